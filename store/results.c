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

int pp_store_save_results(pp_store *st, int64_t snapshot, const pp_results *r,
                          int64_t *evaluation_out)
{
    sqlite3_stmt *ins_eval = NULL, *ins_rule = NULL, *ins_finding = NULL;
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

int pp_store_load_results(pp_store *st, int64_t evaluation, pp_results **out)
{
    sqlite3_stmt *s = NULL;
    pp_results *r = NULL;
    int src;
    *out = NULL;
    int rc =
        pp_store_prepare(st, "SELECT evaluated_at, env, packs FROM evaluations WHERE id = ?", &s);
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

    rc = pp_store_prepare(st,
                          "SELECT finding_id, rule_id, status, res_type, res_id, res_arn, account, "
                          "region, address, message, evidence, suppression, suppressed "
                          "FROM findings WHERE evaluation_id = ? ORDER BY seq",
                          &s);
    if (rc)
        goto _exit;
    sqlite3_bind_int64(s, 1, evaluation);
    const pp_rule_meta *last = NULL; /* findings come grouped by rule: skip most lookups */
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        const char *rule_id = (const char *)sqlite3_column_text(s, 1);
        if (!last || !pp_str_eq(last->id, rule_id))
            last = rule_id ? pp_results_rule(r, rule_id) : NULL;
        pp_finding *f = pp_results_add(r, last);
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
_exit:
    sqlite3_finalize(s);
    if (rc) {
        pp_results_free(r);
        return rc;
    }
    *out = r;
    return 0;
}
