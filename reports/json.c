/* report.json, the native contract (design.md section 5, docs/report-schema.json). Written as a
 * stream: the header objects are small and built whole, each finding is built, written and freed
 * on its own, so 300k findings never become one giant json_t. */
#include "report_int.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

static json_t *counts_obj(const size_t counts[PP_STATUS_COUNT], size_t suppressed)
{
    json_t *o = json_object();
    for (int s = 0; s < PP_STATUS_COUNT; s++)
        json_object_set_new(o, pp_status_name((enum pp_status)s),
                            json_integer((json_int_t)counts[s]));
    json_object_set_new(o, "suppressed", json_integer((json_int_t)suppressed));
    return o;
}

/* Accounts and regions: the snapshot's, else the inventory's scope. */
static void scope_lists(const pp_report_input *in, json_t **accounts, json_t **regions)
{
    if (in->snapshot && json_is_array(in->snapshot->accounts))
        *accounts = rep_jclean(in->snapshot->accounts);
    if (in->snapshot && json_is_array(in->snapshot->regions))
        *regions = rep_jclean(in->snapshot->regions);
    if (*accounts && *regions)
        return;
    json_t *a = json_array(), *r = json_array();
    size_t n = in->inventory ? pp_inventory_scope_count(in->inventory) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *acct, *reg;
        pp_inventory_scope_at(in->inventory, i, &acct, &reg);
        bool have_a = false, have_r = false;
        size_t j;
        json_t *v;
        json_array_foreach(a, j, v) have_a |= pp_str_eq(json_string_value(v), acct);
        json_array_foreach(r, j, v) have_r |= pp_str_eq(json_string_value(v), reg);
        if (acct && !have_a)
            json_array_append_new(a, rep_jstr(acct));
        if (reg && !have_r)
            json_array_append_new(r, rep_jstr(reg));
    }
    if (!*accounts)
        *accounts = json_incref(a);
    if (!*regions)
        *regions = json_incref(r);
    json_decref(a);
    json_decref(r);
}

static json_t *scan_obj(const pp_report_input *in)
{
    const pp_snapshot_info *s = in->snapshot;
    json_t *o = json_object();
    json_t *accounts = NULL, *regions = NULL;
    json_object_set_new(o, "id", s && s->id > 0 ? json_integer(s->id) : json_null());
    json_object_set_new(o, "started_at", rep_jtime(s ? s->started_at : 0));
    json_object_set_new(o, "finished_at", rep_jtime(s ? s->finished_at : 0));
    json_object_set_new(o, "evaluated_at", rep_jtime(in->results->evaluated_at));
    json_object_set_new(o, "complete", s ? json_boolean(s->complete) : json_null());
    scope_lists(in, &accounts, &regions);
    json_object_set_new(o, "accounts", accounts);
    json_object_set_new(o, "regions", regions);
    json_object_set_new(o, "calls", json_integer(s ? s->calls : 0));
    json_object_set_new(o, "retries", json_integer(s ? s->retries : 0));
    json_object_set_new(o, "errors", json_integer(s ? s->errors : 0));
    json_object_set_new(o, "resources",
                        json_integer(s               ? s->resources
                                     : in->inventory ? (json_int_t)pp_inventory_count(in->inventory)
                                                     : 0));
    json_t *cov = json_array();
    size_t n = in->inventory ? pp_inventory_coverage_count(in->inventory) : 0;
    for (size_t i = 0; i < n; i++) {
        const pp_coverage *c = pp_inventory_coverage_at(in->inventory, i);
        json_t *e = json_object();
        json_object_set_new(e, "account", rep_jstr(c->account));
        json_object_set_new(e, "region", rep_jstr(c->region));
        json_object_set_new(e, "service", rep_jstr(c->service));
        json_object_set_new(e, "operation", rep_jstr(c->operation));
        json_object_set_new(e, "status", json_string(c->ok ? "ok" : "error"));
        json_object_set_new(e, "error", c->ok ? json_null() : rep_jstr(c->error ? c->error : ""));
        json_object_set_new(e, "calls", json_integer(c->calls));
        json_object_set_new(e, "retries", json_integer(c->retries));
        json_array_append_new(cov, e);
    }
    json_object_set_new(o, "coverage", cov);
    return o;
}

static json_t *source_obj(const pp_report_input *in)
{
    json_t *o = json_object();
    const char *kind = rep_source_kind(in);
    json_object_set_new(o, "kind", json_string(kind));
    json_object_set_new(o, "snapshot",
                        in->snapshot && in->snapshot->id > 0 ? json_integer(in->snapshot->id)
                                                             : json_null());
    if (strcmp(kind, "terraform-plan") == 0)
        json_object_set_new(o, "plan", rep_jstr(in->plan_path));
    json_object_set_new(o, "env", rep_jstr(in->results->env));
    json_object_set_new(o, "packs",
                        rep_jclean(in->results->packs ? in->results->packs : json_array()));
    return o;
}

static json_t *summary_obj(const rep_index *ix)
{
    json_t *o = counts_obj(ix->totals, ix->suppressed);
    json_object_set_new(o, "total", json_integer((json_int_t)ix->res->n_findings));
    json_t *sev = json_object();
    for (int s = PP_SEV_CRITICAL; s >= PP_SEV_INFO; s--) {
        json_t *c = json_object();
        for (int st = 0; st < PP_STATUS_COUNT; st++)
            json_object_set_new(c, pp_status_name((enum pp_status)st),
                                json_integer((json_int_t)ix->sev_counts[s][st]));
        json_object_set_new(sev, pp_severity_name((enum pp_severity)s), c);
    }
    json_object_set_new(o, "by_severity", sev);
    return o;
}

static json_t *control_obj(const rep_rule *rr)
{
    const pp_rule_meta *m = rr->meta;
    json_t *o = json_object();
    json_object_set_new(o, "rule", rep_jstr(m->id));
    json_object_set_new(o, "title", rep_jstr(m->title ? m->title : m->id));
    json_object_set_new(o, "severity", json_string(pp_severity_name(m->severity)));
    json_object_set_new(o, "status", json_string(rep_status_name(rr->status)));
    json_object_set_new(o, "counts", counts_obj(rr->counts, rr->suppressed));
    json_object_set_new(o, "frameworks", rep_jclean(m->frameworks ? m->frameworks : json_object()));
    json_object_set_new(o, "resource_type", rep_jstr(m->resource_type));
    json_object_set_new(o, "pack", rep_jstr(m->pack));
    json_object_set_new(o, "pack_version", rep_jstr(m->pack_version));
    return o;
}

static json_t *framework_obj(const rep_index *ix, const rep_framework *f)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(f->name));
    json_object_set_new(o, "version", f->version ? json_string(f->version) : json_null());
    json_t *ctls = json_array();
    for (size_t c = 0; c < f->n_controls; c++) {
        const rep_control *ctl = &f->controls[c];
        json_t *e = json_object();
        json_object_set_new(e, "id", json_string(ctl->id));
        json_object_set_new(e, "status", json_string(rep_status_name(ctl->status)));
        json_t *rules = json_array();
        for (size_t k = 0; k < ctl->n_rules; k++)
            json_array_append_new(rules, rep_jstr(ix->rules[ctl->rules[k]].meta->id));
        json_object_set_new(e, "rules", rules);
        json_object_set_new(e, "counts", counts_obj(ctl->counts, ctl->suppressed));
        json_array_append_new(ctls, e);
    }
    json_object_set_new(o, "controls", ctls);
    return o;
}

static json_t *change_obj(const rep_change *c)
{
    const pp_finding *f = c->now ? c->now : c->prev;
    char buf[41];
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(rep_finding_id(f, buf)));
    json_object_set_new(o, "rule", rep_jstr(f->rule ? f->rule->id : NULL));
    json_object_set_new(o, "resource", rep_jstr(f->res_id));
    json_object_set_new(o, "from",
                        c->prev ? json_string(pp_status_name(c->prev->status)) : json_null());
    json_object_set_new(o, "to",
                        c->now ? json_string(pp_status_name(c->now->status)) : json_null());
    return o;
}

static json_t *changes_list(const rep_change *arr, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, change_obj(&arr[i]));
    return a;
}

static json_t *finding_obj(const pp_finding *f)
{
    const pp_rule_meta *m = f->rule;
    char buf[41];
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(rep_finding_id(f, buf)));
    json_object_set_new(o, "rule", rep_jstr(m->id));
    json_object_set_new(o, "title", rep_jstr(m->title ? m->title : m->id));
    json_object_set_new(o, "severity", json_string(pp_severity_name(m->severity)));
    json_object_set_new(o, "status", json_string(pp_status_name(f->status)));
    json_object_set_new(o, "suppressed", json_boolean(f->suppressed));
    json_object_set_new(o, "frameworks", rep_jclean(m->frameworks ? m->frameworks : json_object()));
    json_t *r = json_object();
    json_object_set_new(r, "type", rep_jstr(f->res_type ? f->res_type : m->resource_type));
    json_object_set_new(r, "id", rep_jstr(f->res_id));
    json_object_set_new(r, "arn", rep_jstr(f->res_arn));
    json_object_set_new(r, "account", rep_jstr(f->account));
    json_object_set_new(r, "region", rep_jstr(f->region));
    if (f->address)
        json_object_set_new(r, "address", rep_jstr(f->address));
    json_object_set_new(o, "resource", r);
    json_object_set_new(o, "message", rep_jstr(f->message));
    json_object_set_new(o, "evidence", rep_jclean(f->evidence));
    /* what to do about it matters only where something failed */
    json_object_set_new(o, "remediation",
                        f->status == PP_STATUS_FAIL ? rep_jclean(m->remediation) : json_null());
    json_object_set_new(o, "suppression", rep_jclean(f->suppression));
    return o;
}

/* finding_obj(f) in its compact form, written directly: a report of 230,000 findings spent most
 * of its time building and freeing those objects. tests/unit/test_reports.c compares the two. */
static int put_json(pp_buf *b, json_t *v)
{
    json_t *c = rep_jclean(v);
    int rc = pp_buf_json_value(b, c);
    json_decref(c);
    return rc;
}

/* What is the same in every finding of a rule, serialised once per rule: `"rule":..,"title":..,
 * "severity":".."`, the frameworks and the remediation. */
struct rule_json {
    const pp_rule_meta *m;
    pp_buf head, fw, rem;
};

static void rule_json_init(struct rule_json *c)
{
    c->m = NULL;
    pp_buf_init(&c->head, 0);
    pp_buf_init(&c->fw, 0);
    pp_buf_init(&c->rem, 0);
}

static void rule_json_free(struct rule_json *c)
{
    pp_buf_free(&c->head);
    pp_buf_free(&c->fw);
    pp_buf_free(&c->rem);
}

static int rule_json_for(struct rule_json *c, const pp_rule_meta *m)
{
    if (c->m == m)
        return 0;
    c->m = NULL;
    pp_buf_reset(&c->head);
    pp_buf_reset(&c->fw);
    pp_buf_reset(&c->rem);
    int rc = pp_buf_puts(&c->head, "\"rule\":");
    rc = rc ? rc : rep_put_str(&c->head, m->id);
    rc = rc ? rc : pp_buf_puts(&c->head, ",\"title\":");
    rc = rc ? rc : rep_put_str(&c->head, m->title ? m->title : m->id);
    rc = rc ? rc : pp_buf_printf(&c->head, ",\"severity\":\"%s\"", pp_severity_name(m->severity));
    rc = rc ? rc : m->frameworks ? put_json(&c->fw, m->frameworks) : pp_buf_puts(&c->fw, "{}");
    rc = rc ? rc : put_json(&c->rem, m->remediation);
    if (!rc)
        c->m = m;
    return rc;
}

static int finding_dump(const pp_finding *f, pp_buf *b, struct rule_json *rj)
{
    const pp_rule_meta *m = f->rule;
    char buf[41];
    int rc = rule_json_for(rj, m);
    rc = rc ? rc : pp_buf_puts(b, "{\"id\":\"");
    rc = rc ? rc : pp_buf_puts(b, rep_finding_id(f, buf));
    rc = rc ? rc : pp_buf_puts(b, "\",");
    rc = rc ? rc : pp_buf_append(b, rj->head.data, rj->head.len);
    rc = rc ? rc : pp_buf_puts(b, ",\"status\":\"");
    rc = rc ? rc : pp_buf_puts(b, pp_status_name(f->status));
    rc = rc ? rc
            : pp_buf_puts(b, f->suppressed ? "\",\"suppressed\":true,\"frameworks\":"
                                           : "\",\"suppressed\":false,\"frameworks\":");
    rc = rc ? rc : pp_buf_append(b, rj->fw.data, rj->fw.len);
    rc = rc ? rc : pp_buf_puts(b, ",\"resource\":{\"type\":");
    rc = rc ? rc : rep_put_str(b, f->res_type ? f->res_type : m->resource_type);
    rc = rc ? rc : pp_buf_puts(b, ",\"id\":");
    rc = rc ? rc : rep_put_str(b, f->res_id);
    rc = rc ? rc : pp_buf_puts(b, ",\"arn\":");
    rc = rc ? rc : rep_put_str(b, f->res_arn);
    rc = rc ? rc : pp_buf_puts(b, ",\"account\":");
    rc = rc ? rc : rep_put_str(b, f->account);
    rc = rc ? rc : pp_buf_puts(b, ",\"region\":");
    rc = rc ? rc : rep_put_str(b, f->region);
    if (!rc && f->address) {
        rc = pp_buf_puts(b, ",\"address\":");
        rc = rc ? rc : rep_put_str(b, f->address);
    }
    rc = rc ? rc : pp_buf_puts(b, "},\"message\":");
    rc = rc ? rc : rep_put_str(b, f->message);
    rc = rc ? rc : pp_buf_puts(b, ",\"evidence\":");
    rc = rc ? rc : put_json(b, f->evidence);
    rc = rc ? rc : pp_buf_puts(b, ",\"remediation\":");
    if (f->status == PP_STATUS_FAIL)
        rc = rc ? rc : pp_buf_append(b, rj->rem.data, rj->rem.len);
    else
        rc = rc ? rc : pp_buf_puts(b, "null");
    rc = rc ? rc : pp_buf_puts(b, ",\"suppression\":");
    rc = rc ? rc : put_json(b, f->suppression);
    return rc ? rc : pp_buf_putc(b, '}');
}

int rep_finding_dump(const pp_finding *f, pp_buf *b)
{
    struct rule_json rj;
    rule_json_init(&rj);
    int rc = finding_dump(f, b, &rj);
    rule_json_free(&rj);
    return rc;
}

json_t *rep_finding_obj(const pp_finding *f)
{
    return finding_obj(f);
}

/* The findings array is most of report.json (115 MB for 230,000 findings). It is rendered in
 * slices on two threads, and this one writes the slices in order as they complete; at most
 * SLICE_WINDOW slices are held at once, so memory stays a few MB whatever the count. */
#define SLICE_FINDINGS 1024
#define SLICE_WINDOW   8

struct slice {
    pp_buf b;
    size_t k; /* which slice b holds, or SIZE_MAX */
    int rc;
    char err[256]; /* the message of rc: the last error is per thread */
};

struct render {
    const pp_results *r;
    size_t n_slices;
    size_t next;    /* the next slice to render */
    size_t written; /* slices written so far */
    bool stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct slice slots[SLICE_WINDOW];
};

static int render_slice(const pp_results *r, size_t k, pp_buf *b, struct rule_json *rj)
{
    int rc = 0;
    size_t lo = k * SLICE_FINDINGS, hi = lo + SLICE_FINDINGS;
    if (hi > r->n_findings)
        hi = r->n_findings;
    pp_buf_reset(b);
    for (size_t i = lo; i < hi && !rc; i++) {
        if (i)
            pp_buf_puts(b, ",\n");
        rc = finding_dump(&r->findings[i], b, rj);
    }
    return rc;
}

/* Renders one slice if one may be taken now (called and returns with mu held). */
static bool render_one(struct render *rd, struct rule_json *rj)
{
    if (rd->stop || rd->next >= rd->n_slices || rd->next >= rd->written + SLICE_WINDOW)
        return false;
    size_t k = rd->next++;
    struct slice *sl = &rd->slots[k % SLICE_WINDOW];
    pthread_mutex_unlock(&rd->mu);
    int rc = render_slice(rd->r, k, &sl->b, rj);
    pthread_mutex_lock(&rd->mu);
    sl->rc = rc;
    if (rc)
        snprintf(sl->err, sizeof(sl->err), "%s", pp_err_msg());
    sl->k = k;
    pthread_cond_broadcast(&rd->cv);
    return true;
}

static void *render_thread(void *arg)
{
    struct render *rd = arg;
    /* This thread only speeds the report up; when the findings are being stored at the same time
     * (the CLI does both at once), that is the longer task and should have the core first. */
    setpriority(PRIO_PROCESS, (id_t)gettid(), 5);
    struct rule_json rj;
    rule_json_init(&rj);
    pthread_mutex_lock(&rd->mu);
    while (!rd->stop && rd->next < rd->n_slices)
        if (!render_one(rd, &rj))
            pthread_cond_wait(&rd->cv, &rd->mu);
    pthread_mutex_unlock(&rd->mu);
    rule_json_free(&rj);
    return NULL;
}

static int write_findings(const pp_results *r, FILE *out)
{
    struct render rd = {.r = r, .n_slices = (r->n_findings + SLICE_FINDINGS - 1) / SLICE_FINDINGS};
    struct rule_json rj;
    int rc = 0;
    rule_json_init(&rj);
    pthread_mutex_init(&rd.mu, NULL);
    pthread_cond_init(&rd.cv, NULL);
    for (size_t i = 0; i < SLICE_WINDOW; i++) {
        pp_buf_init(&rd.slots[i].b, 0);
        rd.slots[i].k = SIZE_MAX;
    }
    pthread_t th;
    bool threaded = rd.n_slices > 1 && pthread_create(&th, NULL, render_thread, &rd) == 0;
    pthread_mutex_lock(&rd.mu);
    while (rd.written < rd.n_slices && !rc) {
        struct slice *sl = &rd.slots[rd.written % SLICE_WINDOW];
        if (sl->k != rd.written) { /* not rendered yet: render one (maybe it), or wait */
            if (!render_one(&rd, &rj))
                pthread_cond_wait(&rd.cv, &rd.mu);
            continue;
        }
        pthread_mutex_unlock(&rd.mu);
        if ((rc = sl->rc))
            pp_err_set(rc, "%s", sl->err);
        if (!rc && fwrite(sl->b.data, 1, sl->b.len, out) != sl->b.len)
            rc = pp_err_set(PP_EIO, "report: write error");
        pthread_mutex_lock(&rd.mu);
        sl->k = SIZE_MAX;
        rd.written++;
        pthread_cond_broadcast(&rd.cv);
    }
    rd.stop = true;
    pthread_cond_broadcast(&rd.cv);
    pthread_mutex_unlock(&rd.mu);
    if (threaded)
        pthread_join(th, NULL);
    for (size_t i = 0; i < SLICE_WINDOW; i++)
        pp_buf_free(&rd.slots[i].b);
    pthread_mutex_destroy(&rd.mu);
    pthread_cond_destroy(&rd.cv);
    rule_json_free(&rj);
    return rc;
}

/* Writes `"key":` followed by v (consumed). */
static int put_member(FILE *out, const char *key, json_t *v, bool first)
{
    fprintf(out, "%s\"%s\":", first ? "" : ",", key);
    int rc = rep_dumpf(v, out);
    json_decref(v);
    return rc;
}

int pp_report_json(const pp_report_input *in, FILE *out)
{
    rep_index ix;
    rep_changes ch;
    int rc = rep_index_build(&ix, in, false);
    if (rc < 0)
        return rc;
    rep_changes_build(&ch, in);

    json_t *tool = json_object();
    json_object_set_new(tool, "name", json_string("parapet"));
    json_object_set_new(tool, "version", json_string(PP_VERSION));

    fputs("{", out);
    if ((rc = put_member(out, "schema", json_string("parapet/report/v1"), true)) < 0 ||
        (rc = put_member(out, "tool", tool, false)) < 0 ||
        (rc = put_member(out, "source", source_obj(in), false)) < 0 ||
        (rc = put_member(out, "scan", scan_obj(in), false)) < 0 ||
        (rc = put_member(out, "summary", summary_obj(&ix), false)) < 0)
        goto _exit;

    fputs(",\"controls\":[", out);
    for (size_t i = 0; i < ix.n_rules; i++) {
        if (i)
            fputc(',', out);
        json_t *c = control_obj(&ix.rules[i]);
        rc = rep_dumpf(c, out);
        json_decref(c);
        if (rc < 0)
            goto _exit;
    }
    fputs("],\"frameworks\":[", out);
    for (size_t i = 0; i < ix.n_fw; i++) {
        if (i)
            fputc(',', out);
        json_t *f = framework_obj(&ix, &ix.fw[i]);
        rc = rep_dumpf(f, out);
        json_decref(f);
        if (rc < 0)
            goto _exit;
    }
    fputc(']', out);

    if (in->previous) {
        json_t *c = json_object();
        json_object_set_new(c, "previous_snapshot",
                            in->previous_snapshot > 0 ? json_integer(in->previous_snapshot)
                                                      : json_null());
        json_object_set_new(c, "previous_evaluated_at", rep_jtime(in->previous->evaluated_at));
        json_t *counts = json_object();
        json_object_set_new(counts, "new", json_integer((json_int_t)ch.n_new));
        json_object_set_new(counts, "resolved", json_integer((json_int_t)ch.n_resolved));
        json_object_set_new(counts, "changed", json_integer((json_int_t)ch.n_changed));
        json_object_set_new(counts, "regressed", json_integer((json_int_t)ch.n_regressed));
        json_object_set_new(c, "counts", counts);
        json_object_set_new(c, "new", changes_list(ch.new_fail, ch.n_new));
        json_object_set_new(c, "resolved", changes_list(ch.resolved, ch.n_resolved));
        json_object_set_new(c, "changed", changes_list(ch.changed, ch.n_changed));
        if ((rc = put_member(out, "changes", c, false)) < 0)
            goto _exit;
    }

    fputs(",\"findings\":[", out);
    if ((rc = write_findings(in->results, out)))
        goto _exit;
    fputs("]}\n", out);
    if (ferror(out))
        rc = pp_err_set(PP_EIO, "report: write error");

_exit:
    rep_changes_free(&ch);
    rep_index_free(&ix);
    return rc;
}
