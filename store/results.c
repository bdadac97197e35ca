/* Evaluations: one pp_results per row of `evaluations`, with its rules' metadata and every finding,
 * so a report can be regenerated from the database alone. */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

static json_t *meta_to_json(const pp_rule_meta *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(m->id));
    json_object_set_new(o, "title", m->title ? json_string(m->title) : json_null());
    json_object_set_new(o, "description",
                        m->description ? json_string(m->description) : json_null());
    json_object_set_new(o, "pack", m->pack ? json_string(m->pack) : json_null());
    json_object_set_new(o, "pack_version",
                        m->pack_version ? json_string(m->pack_version) : json_null());
    json_object_set_new(o, "severity", json_string(pp_severity_name(m->severity)));
    json_object_set_new(o, "resource_type",
                        m->resource_type ? json_string(m->resource_type) : json_null());
    json_object_set(o, "frameworks", m->frameworks ? m->frameworks : json_null());
    json_object_set(o, "remediation", m->remediation ? m->remediation : json_null());
    return o;
}

static char *json_str_dup(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? pp_xstrdup(v) : NULL;
}

static json_t *json_nonnull(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return v && !json_is_null(v) ? json_incref(v) : NULL;
}

static pp_rule_meta *meta_from_json(const json_t *o)
{
    pp_rule_meta *m = pp_xcalloc(1, sizeof(*m));
    m->id = json_str_dup(o, "id");
    m->title = json_str_dup(o, "title");
    m->description = json_str_dup(o, "description");
    m->pack = json_str_dup(o, "pack");
    m->pack_version = json_str_dup(o, "pack_version");
    enum pp_severity sev = PP_SEV_INFO;
    if (pp_severity_parse(json_string_value(json_object_get(o, "severity")), &sev) != 0)
        pp_err_clear();
    m->severity = sev;
    m->resource_type = json_str_dup(o, "resource_type");
    m->frameworks = json_nonnull(o, "frameworks");
    m->remediation = json_nonnull(o, "remediation");
    return m;
}

static int step_reset(pp_store *st, sqlite3_stmt *s, const char *what)
{
    int src = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return src == SQLITE_DONE ? 0 : pp_store_sql_error(st, src, what);
}

/* ---- plain PASS findings ---------------------------------------------------------------------
 * A PASS that says only "compliant" about a stored resource is kept as a pair (its position in the
 * evaluation, the resource's row) in a per-rule list (migration 5): positions as increasing
 * deltas, rows as zigzag deltas, each an unsigned LEB128 varint. */

static bool plain_pass(const pp_finding *f)
{
    return f->status == PP_STATUS_PASS && !f->suppressed && !f->suppression && !f->evidence &&
           f->rule && f->rule->id && f->resource && f->resource->store_id > 0 && !f->address &&
           pp_str_eq(f->message, "compliant");
}

static int put_varint(pp_buf *b, uint64_t v)
{
    unsigned char tmp[10];
    size_t n = 0;
    do {
        tmp[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v)
            tmp[n] |= 0x80;
        n++;
    } while (v);
    return pp_buf_append(b, tmp, n);
}

static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        unsigned char c = *(*p)++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

struct pass_list {
    const char *rule_id;
    size_t count;
    pp_buf entries;
    size_t last_pos;
    int64_t last_seq;
};

static int pass_list_flush(pp_store *st, sqlite3_stmt *ins, int64_t eval_id, struct pass_list *l)
{
    int rc = 0;
    if (l->count) {
        sqlite3_bind_int64(ins, 1, eval_id);
        sqlite3_bind_text(ins, 2, l->rule_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 3, (sqlite3_int64)l->count);
        sqlite3_bind_blob(ins, 4, l->entries.data, (int)l->entries.len, SQLITE_STATIC);
        rc = step_reset(st, ins, "save passes");
    }
    pp_buf_reset(&l->entries);
    l->count = 0;
    l->last_pos = 0;
    l->last_seq = 0;
    l->rule_id = NULL;
    return rc;
}

static int pass_list_add(struct pass_list *l, size_t pos, int64_t seq)
{
    int64_t d = seq - l->last_seq;
    uint64_t zig = d < 0 ? ((uint64_t)(-(d + 1)) << 1) | 1 : (uint64_t)d << 1;
    int rc = put_varint(&l->entries, (uint64_t)(pos - l->last_pos));
    if (!rc)
        rc = put_varint(&l->entries, zig);
    l->last_pos = pos;
    l->last_seq = seq;
    l->count++;
    return rc;
}

int pp_store_save_results(pp_store *st, int64_t snapshot, const pp_results *r,
                          int64_t *evaluation_out)
{
    sqlite3_stmt *ins_eval = NULL, *ins_rule = NULL, *ins_finding = NULL, *ins_pass = NULL;
    struct pass_list pl = {0};
    pp_buf_init(&pl.entries, 0);
    json_t *by_fw = json_object();
    long counts[PP_STATUS_COUNT] = {0};
    long suppressed = 0, fail_open = 0;
    int64_t eval_id = 0;
    pp_snapshot_info info;
    int rc = pp_store_snapshot_info(st, snapshot, &info);
    if (rc)
        goto _exit;
    pp_snapshot_info_clear(&info);

    /* The summaries `history` shows, computed once here instead of on every listing. */
    for (size_t i = 0; i < r->n_findings; i++) {
        const pp_finding *f = &r->findings[i];
        if ((unsigned)f->status < PP_STATUS_COUNT)
            counts[f->status]++;
        suppressed += f->suppressed;
        if (f->status != PP_STATUS_FAIL || f->suppressed)
            continue;
        fail_open++;
        const char *fw;
        json_t *v;
        if (f->rule && json_is_object(f->rule->frameworks))
            json_object_foreach(f->rule->frameworks, fw, v)
            {
                json_t *n = json_object_get(by_fw, fw);
                json_object_set_new(by_fw, fw, json_integer(json_integer_value(n) + 1));
            }
    }

    rc = pp_store_prepare(st,
                          "INSERT INTO evaluations (snapshot_id, evaluated_at, env, packs, "
                          "tool_version, n_pass, n_fail, n_error, n_unknown, n_manual, "
                          "n_suppressed, n_fail_open, fail_by_framework) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          &ins_eval);
    if (!rc)
        rc = pp_store_prepare(st,
                              "INSERT INTO rules (evaluation_id, id, severity, meta) "
                              "VALUES (?, ?, ?, ?)",
                              &ins_rule);
    if (!rc)
        rc = pp_store_prepare(st,
                              "INSERT INTO findings (evaluation_id, finding_id, rule_id, status, "
                              "res_type, res_id, res_arn, account, region, address, message, "
                              "evidence, suppression, suppressed) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              &ins_finding);
    if (!rc)
        rc = pp_store_prepare(st,
                              "INSERT INTO passes (evaluation_id, rule_id, count, entries) "
                              "VALUES (?, ?, ?, ?)",
                              &ins_pass);
    if (!rc)
        rc = pp_store_begin(st);
    if (rc)
        goto _exit;

    sqlite3_bind_int64(ins_eval, 1, snapshot);
    sqlite3_bind_int64(ins_eval, 2,
                       (sqlite3_int64)(r->evaluated_at ? r->evaluated_at : pp_time_now()));
    pp_store_bind_text(ins_eval, 3, r->env);
    if (r->packs)
        pp_store_bind_json(ins_eval, 4, r->packs);
    else
        sqlite3_bind_text(ins_eval, 4, "[]", -1, SQLITE_STATIC);
    sqlite3_bind_text(ins_eval, 5, PP_VERSION, -1, SQLITE_STATIC);
    for (int i = 0; i < PP_STATUS_COUNT; i++)
        sqlite3_bind_int64(ins_eval, 6 + i, counts[i]);
    sqlite3_bind_int64(ins_eval, 11, suppressed);
    sqlite3_bind_int64(ins_eval, 12, fail_open);
    pp_store_bind_json(ins_eval, 13, by_fw);
    rc = step_reset(st, ins_eval, "save evaluation");
    if (rc)
        goto _exit;
    eval_id = sqlite3_last_insert_rowid(st->db);

    for (size_t i = 0; !rc && i < r->n_rules; i++) {
        const pp_rule_meta *m = r->rules[i];
        if (!m->id) {
            rc = pp_err_set(PP_EINVAL, "rule %zu of the evaluation has no id", i);
            break;
        }
        json_t *meta = meta_to_json(m);
        sqlite3_bind_int64(ins_rule, 1, eval_id);
        sqlite3_bind_text(ins_rule, 2, m->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins_rule, 3, pp_severity_name(m->severity), -1, SQLITE_STATIC);
        pp_store_bind_json(ins_rule, 4, meta);
        rc = step_reset(st, ins_rule, "save rule");
        json_decref(meta);
    }
    for (size_t i = 0; !rc && i < r->n_findings; i++) {
        const pp_finding *f = &r->findings[i];
        if (plain_pass(f)) {
            if (pl.rule_id && strcmp(pl.rule_id, f->rule->id) != 0)
                rc = pass_list_flush(st, ins_pass, eval_id, &pl);
            pl.rule_id = f->rule->id;
            if (!rc)
                rc = pass_list_add(&pl, i, f->resource->store_id);
            continue;
        }
        sqlite3_stmt *s = ins_finding;
        sqlite3_bind_int64(s, 1, eval_id);
        sqlite3_bind_text(s, 2, f->id, -1, SQLITE_STATIC);
        pp_store_bind_text(s, 3, f->rule ? f->rule->id : NULL);
        sqlite3_bind_text(s, 4, pp_status_name(f->status), -1, SQLITE_STATIC);
        pp_store_bind_text(s, 5, f->res_type);
        pp_store_bind_text(s, 6, f->res_id);
        pp_store_bind_text(s, 7, f->res_arn);
        pp_store_bind_text(s, 8, f->account);
        pp_store_bind_text(s, 9, f->region);
        pp_store_bind_text(s, 10, f->address);
        pp_store_bind_text(s, 11, f->message);
        pp_store_bind_json(s, 12, f->evidence);
        pp_store_bind_json(s, 13, f->suppression);
        sqlite3_bind_int(s, 14, f->suppressed ? 1 : 0);
        rc = step_reset(st, s, "save finding");
    }
    if (!rc)
        rc = pass_list_flush(st, ins_pass, eval_id, &pl);
    if (!rc)
        rc = pp_store_commit(st);
    if (!rc)
        pp_log(PP_LOG_INFO, "store", "evaluation %lld of snapshot %lld: %zu findings",
               (long long)eval_id, (long long)snapshot, r->n_findings);
_exit:
    if (rc)
        pp_store_rollback(st);
    sqlite3_finalize(ins_eval);
    sqlite3_finalize(ins_rule);
    sqlite3_finalize(ins_finding);
    sqlite3_finalize(ins_pass);
    pp_buf_free(&pl.entries);
    json_decref(by_fw);
    if (!rc && evaluation_out)
        *evaluation_out = eval_id;
    return rc;
}

int pp_store_latest_evaluation(pp_store *st, int64_t snapshot, int64_t *out)
{
    sqlite3_stmt *s = NULL;
    int rc = pp_store_prepare(st, "SELECT max(id) FROM evaluations WHERE snapshot_id = ?", &s);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, snapshot);
    int src = sqlite3_step(s);
    if (src != SQLITE_ROW)
        rc = pp_store_sql_error(st, src, "read evaluations");
    else if (sqlite3_column_type(s, 0) == SQLITE_NULL)
        rc = pp_err_set(PP_ENOTFOUND, "snapshot %lld has not been evaluated", (long long)snapshot);
    else
        *out = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return rc;
}

/* The resource rows plain PASS findings refer to: (seq, type, id, arn, account, region) of the
 * evaluated snapshot, sorted by seq for binary search. */
struct res_row {
    int64_t seq;
    char *type, *id, *arn, *account, *region;
};

static int load_res_rows(pp_store *st, int64_t snapshot, struct res_row **out, size_t *n_out)
{
    sqlite3_stmt *s = NULL;
    struct res_row *v = NULL;
    size_t n = 0, cap = 0;
    int src, rc = pp_store_prepare(st,
                                   "SELECT seq, type, id, arn, account, region FROM resources "
                                   "WHERE snapshot_id = ? ORDER BY seq",
                                   &s);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, snapshot);
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            v = pp_xrealloc(v, cap * sizeof(*v));
        }
        v[n++] = (struct res_row){sqlite3_column_int64(s, 0), pp_store_col_str(s, 1),
                                  pp_store_col_str(s, 2),     pp_store_col_str(s, 3),
                                  pp_store_col_str(s, 4),     pp_store_col_str(s, 5)};
    }
    if (src != SQLITE_DONE)
        rc = pp_store_sql_error(st, src, "read resources");
    sqlite3_finalize(s);
    *out = v;
    *n_out = n;
    return rc;
}

static void res_rows_free(struct res_row *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].type);
        free(v[i].id);
        free(v[i].arn);
        free(v[i].account);
        free(v[i].region);
    }
    free(v);
}

static const struct res_row *res_find(const struct res_row *v, size_t n, int64_t seq)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && v[lo].seq == seq ? &v[lo] : NULL;
}

struct pass_entry {
    size_t pos;
    int64_t seq;
    const pp_rule_meta *rule;
};

/* Fills r->findings: the plain PASS findings at the positions they had, the stored rows (in
 * their order) in the places left. */
static int place_findings(pp_store *st, int64_t evaluation, int64_t snapshot, pp_results *r)
{
    sqlite3_stmt *s = NULL;
    struct pass_entry *pe = NULL;
    struct res_row *rows = NULL;
    bool *taken = NULL;
    size_t n_pe = 0, cap_pe = 0, n_rows = 0, n_stored = 0;
    int src;
    int rc = pp_store_prepare(st,
                              "SELECT rule_id, count, entries FROM passes WHERE evaluation_id = ? "
                              "ORDER BY seq",
                              &s);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, evaluation);
    while (!rc && (src = sqlite3_step(s)) == SQLITE_ROW) {
        const char *rule_id = (const char *)sqlite3_column_text(s, 0);
        const pp_rule_meta *rule = rule_id ? pp_results_rule(r, rule_id) : NULL;
        sqlite3_int64 count = sqlite3_column_int64(s, 1);
        const unsigned char *p = sqlite3_column_blob(s, 2);
        const unsigned char *end = p + sqlite3_column_bytes(s, 2);
        if (!rule || count < 0 || count > (sqlite3_int64)(end - p)) {
            rc = pp_err_set(PP_EIO, "%s: evaluation %lld: a passes row is damaged", st->path,
                            (long long)evaluation);
            break;
        }
        size_t pos = 0;
        int64_t seq = 0;
        for (sqlite3_int64 k = 0; k < count; k++) {
            uint64_t dpos, zig;
            if (get_varint(&p, end, &dpos) || get_varint(&p, end, &zig)) {
                rc = pp_err_set(PP_EIO, "%s: evaluation %lld: a passes row is damaged", st->path,
                                (long long)evaluation);
                break;
            }
            pos += (size_t)dpos;
            seq += (zig & 1) ? -(int64_t)(zig >> 1) - 1 : (int64_t)(zig >> 1);
            if (n_pe == cap_pe) {
                cap_pe = cap_pe ? cap_pe * 2 : 1024;
                pe = pp_xrealloc(pe, cap_pe * sizeof(*pe));
            }
            pe[n_pe++] = (struct pass_entry){pos, seq, rule};
        }
    }
    if (!rc && src != SQLITE_DONE)
        rc = pp_store_sql_error(st, src, "read passes");
    sqlite3_finalize(s);
    s = NULL;
    if (!rc)
        rc = pp_store_prepare(st, "SELECT count(*) FROM findings WHERE evaluation_id = ?", &s);
    if (!rc) {
        sqlite3_bind_int64(s, 1, evaluation);
        if ((src = sqlite3_step(s)) == SQLITE_ROW)
            n_stored = (size_t)sqlite3_column_int64(s, 0);
        else
            rc = pp_store_sql_error(st, src, "count findings");
        sqlite3_finalize(s);
        s = NULL;
    }
    if (!rc && n_pe)
        rc = load_res_rows(st, snapshot, &rows, &n_rows);
    if (rc)
        goto _exit;

    size_t total = n_stored + n_pe;
    r->findings = pp_xrealloc(r->findings, (total ? total : 1) * sizeof(*r->findings));
    memset(r->findings, 0, (total ? total : 1) * sizeof(*r->findings));
    r->cap_findings = total ? total : 1;
    r->n_findings = total;
    taken = pp_xcalloc(total ? total : 1, sizeof(*taken));
    for (size_t i = 0; i < n_pe; i++) {
        const struct res_row *row = res_find(rows, n_rows, pe[i].seq);
        if (pe[i].pos >= total || taken[pe[i].pos] || !row) {
            rc = pp_err_set(PP_EIO, "%s: evaluation %lld refers to a resource row that is gone",
                            st->path, (long long)evaluation);
            goto _exit;
        }
        pp_finding *f = &r->findings[pe[i].pos];
        taken[pe[i].pos] = true;
        f->rule = pe[i].rule;
        f->status = PP_STATUS_PASS;
        f->res_type = pp_xstrdup(row->type);
        f->res_id = pp_xstrdup(row->id);
        f->res_arn = pp_xstrdup(row->arn);
        f->account = pp_xstrdup(row->account);
        f->region = pp_xstrdup(row->region);
        f->message = pp_xstrdup("compliant");
        pp_finding_set_id(f);
    }

    rc = pp_store_prepare(st,
                          "SELECT finding_id, rule_id, status, res_type, res_id, res_arn, account, "
                          "region, address, message, evidence, suppression, suppressed "
                          "FROM findings WHERE evaluation_id = ? ORDER BY seq",
                          &s);
    if (rc)
        goto _exit;
    sqlite3_bind_int64(s, 1, evaluation);
    const pp_rule_meta *last = NULL; /* findings come grouped by rule: skip most lookups */
    size_t slot = 0;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        while (slot < total && taken[slot])
            slot++;
        if (slot == total) {
            rc = pp_err_set(PP_EIO, "%s: evaluation %lld has more findings than it counted",
                            st->path, (long long)evaluation);
            goto _exit;
        }
        pp_finding *f = &r->findings[slot];
        taken[slot] = true;
        const char *rule_id = (const char *)sqlite3_column_text(s, 1);
        if (!last || !pp_str_eq(last->id, rule_id))
            last = rule_id ? pp_results_rule(r, rule_id) : NULL;
        f->rule = last;
        const char *fid = (const char *)sqlite3_column_text(s, 0);
        snprintf(f->id, sizeof(f->id), "%s", fid ? fid : "");
        enum pp_status status = PP_STATUS_ERROR;
        if (pp_status_parse((const char *)sqlite3_column_text(s, 2), &status) != 0)
            pp_err_clear();
        f->status = status;
        f->res_type = pp_store_col_str(s, 3);
        f->res_id = pp_store_col_str(s, 4);
        f->res_arn = pp_store_col_str(s, 5);
        f->account = pp_store_col_str(s, 6);
        f->region = pp_store_col_str(s, 7);
        f->address = pp_store_col_str(s, 8);
        f->message = pp_store_col_str(s, 9);
        f->evidence = pp_store_col_json(s, 10);
        f->suppression = pp_store_col_json(s, 11);
        f->suppressed = sqlite3_column_int(s, 12) != 0;
    }
    if (src != SQLITE_DONE)
        rc = pp_store_sql_error(st, src, "read findings");

_exit: /* the findings array is zeroed, so pp_results_free can free whatever was filled */
    sqlite3_finalize(s);
    res_rows_free(rows, n_rows);
    free(pe);
    free(taken);
    return rc;
}

int pp_store_load_results(pp_store *st, int64_t evaluation, pp_results **out)
{
    sqlite3_stmt *s = NULL;
    pp_results *r = NULL;
    int src;
    *out = NULL;
    int rc = pp_store_prepare(st,
                              "SELECT evaluated_at, env, packs, snapshot_id FROM evaluations "
                              "WHERE id = ?",
                              &s);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, evaluation);
    src = sqlite3_step(s);
    if (src == SQLITE_DONE) {
        rc = pp_err_set(PP_ENOTFOUND, "%s: no evaluation %lld", st->path, (long long)evaluation);
        goto _exit;
    }
    if (src != SQLITE_ROW) {
        rc = pp_store_sql_error(st, src, "read evaluation");
        goto _exit;
    }
    r = pp_results_new();
    r->evaluated_at = (time_t)sqlite3_column_int64(s, 0);
    int64_t snapshot = sqlite3_column_int64(s, 3);
    r->env = pp_store_col_str(s, 1);
    json_t *packs = pp_store_col_json(s, 2);
    if (json_is_array(packs)) {
        json_decref(r->packs);
        r->packs = packs;
    } else {
        json_decref(packs);
    }
    sqlite3_finalize(s);
    s = NULL;

    rc = pp_store_prepare(st, "SELECT meta FROM rules WHERE evaluation_id = ? ORDER BY seq", &s);
    if (rc)
        goto _exit;
    sqlite3_bind_int64(s, 1, evaluation);
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        json_t *meta = pp_store_col_json(s, 0);
        if (!json_is_object(meta)) {
            json_decref(meta);
            rc = pp_err_set(PP_EIO, "%s: evaluation %lld: a stored rule is not a JSON object",
                            st->path, (long long)evaluation);
            goto _exit;
        }
        pp_results_add_rule(r, meta_from_json(meta));
        json_decref(meta);
    }
    if (src != SQLITE_DONE) {
        rc = pp_store_sql_error(st, src, "read rules");
        goto _exit;
    }
    sqlite3_finalize(s);
    s = NULL;

    rc = place_findings(st, evaluation, snapshot, r);
_exit:
    sqlite3_finalize(s);
    if (rc) {
        pp_results_free(r);
        return rc;
    }
    *out = r;
    return 0;
}
