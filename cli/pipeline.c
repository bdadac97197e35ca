/* The evaluation pipeline shared by scan, evaluate and report. */
#include "pipeline.h"
#include "pp_remediate.h"

#include <libgen.h>
#include <pthread.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Wall and CPU time (all threads, user and system) since the previous stage: the CPU time says
 * how well a stage keeps the cores busy. */
void pp_cli_stage(const char *what)
{
    static struct timespec last;
    static double last_cpu;
    struct timespec now;
    struct rusage ru;
    clock_gettime(CLOCK_MONOTONIC, &now);
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    if (last.tv_sec && what)
        pp_log(PP_LOG_INFO, "time", "%s: %.3f s (cpu %.3f s)", what,
               (double)(now.tv_sec - last.tv_sec) + (double)(now.tv_nsec - last.tv_nsec) / 1e9,
               cpu - last_cpu);
    last = now;
    last_cpu = cpu;
}

int pp_cli_fail_on(const char *s, enum pp_severity *out)
{
    if (!s) {
        *out = PP_SEV_LOW;
        return 0;
    }
    if (pp_severity_parse(s, out))
        return pp_cli_usage_error("--fail-on: %s", pp_err_msg());
    return 0;
}

int pp_cli_check_formats(const char *cmd, const char *formats)
{
    char **v = pp_str_split(formats, ',', NULL);
    int rc = 0;
    if (!v[0])
        rc = pp_cli_usage_error("%s: --format is empty", cmd);
    for (size_t i = 0; !rc && v[i]; i++)
        if (!pp_report_writer_find(v[i]))
            rc = pp_cli_usage_error("%s: --format: unknown format '%s' (known: html, json, ocsf, "
                                    "csv, sarif, junit)",
                                    cmd, v[i]);
    pp_strv_free(v);
    return rc;
}

int pp_cli_check_out(const char *cmd, const char *out)
{
    int rc = pp_report_check_dir(out ? out : "parapet-out");
    if (rc)
        return pp_cli_usage_error("%s: --out: %s", cmd, pp_err_msg());
    return 0;
}

static char *default_suppressions(const char *db)
{
    char *copy = pp_xstrdup(db ? db : PP_STORE_DEFAULT_PATH);
    char *path = pp_xasprintf("%s/suppressions.yaml", dirname(copy));
    free(copy);
    if (access(path, R_OK) == 0)
        return path;
    free(path);
    return NULL;
}

int pp_cli_load_rules(const char *cmd, const pp_cli_eval_opts *o, pp_ruleset **out)
{
    pp_buf diags;
    pp_buf_init(&diags, 0);
    char *supp = o->suppressions || o->no_default_suppressions ? NULL : default_suppressions(o->db);
    pp_rules_options ro = {.dirs = (const char *const *)o->policies,
                           .env = o->env,
                           .suppressions = o->suppressions ? o->suppressions : supp,
                           .actions = pp_remediate_action_names()};
    int rc = pp_rules_load(out, &ro, &diags);
    if (rc) {
        const char *d = pp_buf_cstr(&diags);
        if (*d)
            fputs(d, stderr);
        if (!*d || d[strlen(d) - 1] != '\n')
            fputc('\n', stderr);
        pp_cli_error("%s: the policy packs have errors; nothing was evaluated", cmd);
    }
    pp_buf_free(&diags);
    free(supp);
    return rc ? PP_EXIT_USAGE : 0;
}

int pp_cli_open_store(const char *cmd, const char *db, bool create, pp_store **out)
{
    int rc = pp_store_open(out, db ? db : PP_STORE_DEFAULT_PATH, create ? PP_STORE_CREATE : 0);
    if (rc == PP_ENOTFOUND)
        return pp_cli_usage_error("%s: %s: no such database (run `parapet scan` first)", cmd,
                                  db ? db : PP_STORE_DEFAULT_PATH);
    if (rc)
        return pp_cli_fail(rc, cmd);
    return 0;
}

int pp_cli_exit_code(const pp_results *r, const pp_inventory *inv, enum pp_severity fail_on)
{
    bool fail = false, error = false;
    for (size_t i = 0; i < r->n_findings; i++) {
        const pp_finding *f = &r->findings[i];
        if (f->suppressed || f->rule->severity < fail_on)
            continue;
        if (f->status == PP_STATUS_FAIL)
            fail = true;
        else if (f->status == PP_STATUS_ERROR)
            error = true;
    }
    for (size_t i = 0; !error && inv && i < pp_inventory_coverage_count(inv); i++)
        error = !pp_inventory_coverage_at(inv, i)->ok;
    return fail ? PP_EXIT_FAIL : error ? PP_EXIT_INCOMPLETE : PP_EXIT_OK;
}

/* Findings of the previous snapshot's latest evaluation, or NULL. */
static pp_results *previous_results(pp_store *st, int64_t snapshot, int64_t compare,
                                    int64_t *prev_id)
{
    int64_t prev = compare, eval = 0;
    pp_results *r = NULL;
    *prev_id = 0;
    if (compare < 0)
        return NULL;
    if (compare == 0 && pp_store_previous_snapshot(st, snapshot, &prev))
        return NULL;
    if (pp_store_latest_evaluation(st, prev, &eval) || pp_store_load_results(st, eval, &r))
        return NULL;
    *prev_id = prev;
    return r;
}

static json_t *new_failure_json(const pp_finding *f)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:O?, s:{s:s, s:s, s:s?, s:s?, s:s?}}", "id", f->id,
                     "rule", f->rule->id, "title", f->rule->title ? f->rule->title : "", "severity",
                     pp_severity_name(f->rule->severity), "frameworks", f->rule->frameworks,
                     "resource", "type", f->res_type ? f->res_type : "", "id",
                     f->res_id ? f->res_id : "", "arn", f->res_arn, "account", f->account, "region",
                     f->region);
}

static int ptr_cmp(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (const void *const *)a, y = (uintptr_t) * (const void *const *)b;
    return x < y ? -1 : x > y;
}

static void outcome_fill(pp_cli_outcome *oc, const pp_results *r, const pp_results *prev,
                         const pp_inventory *inv, enum pp_severity fail_on)
{
    oc->fail_on = pp_severity_name(fail_on);
    /* One pass over the findings (230,000 of them are 35 MB to stream through): counts, and the
     * unsuppressed FAILs, by severity for the notification and by rule for fail_by_sev. */
    size_t n = r->n_findings ? r->n_findings : 1;
    const pp_finding **fails = pp_xcalloc(n, sizeof(*fails));
    const pp_rule_meta **failing = pp_xcalloc(n, sizeof(*failing));
    size_t n_fails = 0, n_failing = 0, by_sev[PP_SEV_CRITICAL + 1] = {0};
    for (size_t i = 0; i < r->n_findings; i++) {
        const pp_finding *f = &r->findings[i];
        oc->counts[f->status]++;
        if (f->suppressed)
            oc->suppressed++;
        if (f->status != PP_STATUS_FAIL || f->suppressed)
            continue;
        fails[n_fails++] = f;
        by_sev[f->rule->severity]++;
        if (!n_failing || failing[n_failing - 1] != f->rule)
            failing[n_failing++] = f->rule;
    }
    /* rules with an unsuppressed FAIL, by severity: the distinct rules of those findings */
    qsort(failing, n_failing, sizeof(*failing), ptr_cmp);
    for (size_t i = 0; i < n_failing; i++)
        if (!i || failing[i] != failing[i - 1])
            oc->fail_by_sev[failing[i]->severity]++;
    free(failing);
    for (size_t i = 0; inv && i < pp_inventory_coverage_count(inv); i++)
        oc->coverage_errors += !pp_inventory_coverage_at(inv, i)->ok;
    /* Ids in an object make "new" and "resolved" one lookup per finding. */
    json_t *before = json_object();
    for (size_t i = 0; prev && i < prev->n_findings; i++)
        if (prev->findings[i].status == PP_STATUS_FAIL)
            json_object_set_new(before, prev->findings[i].id, json_true());
    /* What a notification names: most severe first, so the cap drops the least important; in
     * finding order within a severity (a counting sort of the FAILs by severity). */
    const pp_finding **sorted = pp_xcalloc(n, sizeof(*sorted));
    size_t at[PP_SEV_CRITICAL + 1], pos = 0;
    for (int sev = PP_SEV_CRITICAL; sev >= PP_SEV_INFO; sev--) {
        at[sev] = pos;
        pos += by_sev[sev];
    }
    for (size_t i = 0; i < n_fails; i++)
        sorted[at[fails[i]->rule->severity]++] = fails[i];
    oc->new_failures = json_array();
    for (size_t i = 0; i < n_fails; i++) {
        const pp_finding *f = sorted[i];
        if (json_object_get(before, f->id))
            continue;
        oc->new_failures_total++;
        oc->new_alert += f->rule->severity >= fail_on;
        if (json_array_size(oc->new_failures) < PP_CLI_NEW_LISTED)
            json_array_append_new(oc->new_failures, new_failure_json(f));
    }
    free(sorted);
    free(fails);
    if (prev) {
        json_t *now = json_object();
        for (size_t i = 0; i < r->n_findings; i++)
            if (r->findings[i].status == PP_STATUS_FAIL) {
                json_object_set_new(now, r->findings[i].id, json_true());
                if (!json_object_get(before, r->findings[i].id))
                    oc->new_fail++;
            }
        const char *id;
        json_t *v;
        json_object_foreach(before, id, v) if (!json_object_get(now, id)) oc->resolved++;
        json_decref(now);
    }
    json_decref(before);
}

void pp_cli_outcome_clear(pp_cli_outcome *oc)
{
    if (!oc)
        return;
    json_decref(oc->new_failures);
    memset(oc, 0, sizeof(*oc));
}

void pp_cli_trend_fill(json_t *trend, const pp_results *r)
{
    json_t *all = json_object();
    size_t i;
    json_t *e;
    const char *fw;
    json_t *v;
    json_array_foreach(trend, i, e)
    {
        json_t *fws = json_object_get(e, "frameworks");
        json_object_foreach(fws, fw, v)
        {
            json_object_set(all, fw, v);
        }
    }
    for (size_t k = 0; r && k < r->n_rules; k++) {
        json_object_foreach(r->rules[k]->frameworks, fw, v)
        {
            json_object_set(all, fw, v);
        }
    }
    json_array_foreach(trend, i, e)
    {
        json_t *fws = json_object_get(e, "frameworks");
        if (!json_is_object(fws)) {
            fws = json_object();
            json_object_set_new(e, "frameworks", fws);
        }
        json_object_foreach(all, fw, v)
        {
            if (!json_object_get(fws, fw))
                json_object_set_new(fws, fw, json_integer(0));
        }
    }
    json_decref(all);
}

static int write_reports(const char *cmd, const pp_report_input *in, const pp_cli_eval_opts *o)
{
    const char *out = o->out ? o->out : "parapet-out";
    int rc = pp_report_write_all(o->formats ? o->formats : "html,json", in, out);
    if (rc) {
        pp_cli_fail(rc, cmd);
        return rc == PP_EINVAL ? PP_EXIT_USAGE : PP_EXIT_INCOMPLETE;
    }
    return 0;
}

/* The findings are stored on a thread of their own while the reports are written: both only
 * read the results (jansson's reference counts are atomic), and each takes about as long. */
struct save_job {
    pp_store *st;
    int64_t snapshot;
    const pp_results *r;
    int rc;
    char error[1024];
};

static void *save_thread(void *arg)
{
    struct save_job *j = arg;
    j->rc = pp_store_save_results(j->st, j->snapshot, j->r, NULL);
    if (j->rc) /* the last error is per thread */
        snprintf(j->error, sizeof(j->error), "%s", pp_err_msg());
    return NULL;
}

/* The trend point of this evaluation, which is not in the database yet: unsuppressed FAILs per
 * framework, as pp_store_history_trend counts them. */
static void trend_append(json_t *trend, const pp_snapshot_info *info, const pp_results *r)
{
    if (!trend || !info)
        return;
    json_t *fws = json_object();
    for (size_t i = 0; i < r->n_findings; i++) {
        const pp_finding *f = &r->findings[i];
        if (f->status != PP_STATUS_FAIL || f->suppressed || !f->rule)
            continue;
        const char *fw;
        json_t *v;
        json_object_foreach(f->rule->frameworks, fw, v)
        {
            json_t *n = json_object_get(fws, fw);
            json_object_set_new(fws, fw, json_integer(json_integer_value(n) + 1));
        }
    }
    char ts[32];
    pp_time_format(info->started_at, ts);
    json_array_append_new(trend, json_pack("{s:I, s:s, s:o}", "snapshot", (json_int_t)info->id,
                                           "time", ts, "frameworks", fws));
    /* keep the window the store gives: its 30 newest plus this one would be 31 */
    while (json_array_size(trend) > 30)
        json_array_remove(trend, 0);
}

int pp_cli_evaluate(const char *cmd, pp_store *st, int64_t snapshot, const pp_inventory *inv,
                    const pp_snapshot_info *info, const pp_ruleset *rs, const pp_cli_eval_opts *o,
                    pp_cli_outcome *oc)
{
    enum pp_severity fail_on;
    pp_results *r = NULL, *prev = NULL;
    json_t *trend = NULL;
    int rc = pp_cli_fail_on(o->fail_on, &fail_on);
    memset(oc, 0, sizeof(*oc));
    if (rc)
        return rc;
    if ((rc = pp_rules_eval(rs, inv, pp_time_now(), &r))) {
        rc = pp_cli_fail(rc, cmd);
        goto _exit;
    }
    pp_cli_stage("rules evaluated");
    /* every read of the database happens before the save thread owns the connection */
    prev = previous_results(st, snapshot, 0, &oc->previous);
    pp_store_history_trend(st, 29, &trend);
    trend_append(trend, info, r);
    pp_cli_trend_fill(trend, r);
    pp_cli_stage("previous findings loaded");

    struct save_job job = {.st = st, .snapshot = snapshot, .r = r};
    pthread_t th;
    bool threaded = pthread_create(&th, NULL, save_thread, &job) == 0;
    if (!threaded)
        save_thread(&job);
    pp_report_input in = {.results = r,
                          .inventory = inv,
                          .snapshot = info,
                          .previous = prev,
                          .previous_snapshot = oc->previous,
                          .history = trend};
    int wrc = write_reports(cmd, &in, o);
    if (threaded)
        pthread_join(th, NULL);
    pp_cli_stage("findings stored and reports written");
    if (job.rc) {
        pp_cli_error("%s: %s", cmd, job.error);
        rc = job.rc == PP_EINVAL ? PP_EXIT_USAGE : PP_EXIT_INCOMPLETE;
        goto _exit;
    }
    if ((rc = wrc))
        goto _exit;
    outcome_fill(oc, r, prev, inv, fail_on);
    oc->exit_code = pp_cli_exit_code(r, inv, fail_on);

_exit:
    json_decref(trend);
    if (PP_CLI_FREE_AT_EXIT) { /* see cli.h: the process exits right after */
        pp_results_free(prev);
        pp_results_free(r);
    }
    return rc;
}

int pp_cli_report_from_store(const char *cmd, pp_store *st, int64_t snapshot, int64_t compare,
                             const pp_cli_eval_opts *o, pp_cli_outcome *oc)
{
    enum pp_severity fail_on;
    pp_results *r = NULL, *prev = NULL;
    pp_inventory *inv = NULL;
    pp_snapshot_info info = {0};
    json_t *trend = NULL;
    int64_t eval = 0;
    int rc = pp_cli_fail_on(o->fail_on, &fail_on);
    memset(oc, 0, sizeof(*oc));
    if (rc)
        return rc;
    rc = pp_store_latest_evaluation(st, snapshot, &eval);
    if (rc == PP_ENOTFOUND) {
        rc = pp_cli_usage_error("%s: snapshot %lld was never evaluated (run `parapet evaluate "
                                "--snapshot %lld`)",
                                cmd, (long long)snapshot, (long long)snapshot);
        goto _exit;
    }
    if (rc || (rc = pp_store_load_results(st, eval, &r)) ||
        (rc = pp_store_load_inventory(st, snapshot, NULL, &inv)) ||
        (rc = pp_store_snapshot_info(st, snapshot, &info))) {
        rc = pp_cli_fail(rc, cmd);
        goto _exit;
    }
    prev = previous_results(st, snapshot, compare, &oc->previous);
    pp_store_history_trend(st, 30, &trend);
    pp_cli_trend_fill(trend, r);
    pp_report_input in = {.results = r,
                          .inventory = inv,
                          .snapshot = &info,
                          .previous = prev,
                          .previous_snapshot = oc->previous,
                          .history = trend,
                          .source_kind = "snapshot"};
    if ((rc = write_reports(cmd, &in, o)))
        goto _exit;
    outcome_fill(oc, r, prev, inv, fail_on);
    oc->exit_code = pp_cli_exit_code(r, inv, fail_on);

_exit:
    json_decref(trend);
    pp_snapshot_info_clear(&info);
    pp_inventory_free(inv);
    pp_results_free(prev);
    pp_results_free(r);
    return rc;
}

void pp_cli_print_summary(const pp_cli_outcome *oc, const pp_cli_eval_opts *o)
{
    if (o->quiet)
        return;
    long failed = 0;
    for (int s = 0; s <= PP_SEV_CRITICAL; s++)
        failed += oc->fail_by_sev[s];
    printf("controls failed: %ld (critical %ld, high %ld, medium %ld, low %ld, info %ld)\n", failed,
           oc->fail_by_sev[PP_SEV_CRITICAL], oc->fail_by_sev[PP_SEV_HIGH],
           oc->fail_by_sev[PP_SEV_MEDIUM], oc->fail_by_sev[PP_SEV_LOW],
           oc->fail_by_sev[PP_SEV_INFO]);
    printf("findings: %ld FAIL, %ld ERROR, %ld MANUAL, %ld UNKNOWN, %ld PASS; %ld suppressed\n",
           oc->counts[PP_STATUS_FAIL], oc->counts[PP_STATUS_ERROR], oc->counts[PP_STATUS_MANUAL],
           oc->counts[PP_STATUS_UNKNOWN], oc->counts[PP_STATUS_PASS], oc->suppressed);
    if (oc->previous)
        printf("since snapshot %lld: %ld new FAIL, %ld resolved\n", (long long)oc->previous,
               oc->new_fail, oc->resolved);
    else
        printf("since the previous snapshot: none to compare with\n");
    /* The few most severe new failures, so a job's log says what to look at first. */
    size_t listed = oc->previous ? json_array_size(oc->new_failures) : 0;
    for (size_t i = 0; i < listed && i < 5; i++) {
        json_t *f = json_array_get(oc->new_failures, i), *res = json_object_get(f, "resource");
        static const char *const keys[] = {"severity", "rule", "type", "id", "account", "region"};
        printf("  new:");
        for (size_t k = 0; k < 6; k++) {
            const char *v = json_string_value(json_object_get(k < 2 ? f : res, keys[k]));
            printf(k == 4 ? " (" : " ");
            /* AWS names (a metric filter's, say) may hold control characters: not for a tty */
            for (const char *c = v ? v : "-"; *c; c++)
                putchar((unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c);
        }
        printf(")\n");
    }
    if (listed && oc->new_failures_total > 5)
        printf("  ... and %ld more in the report\n", oc->new_failures_total - 5);
    printf("coverage errors: %ld%s\n", oc->coverage_errors,
           oc->coverage_errors ? " (see the report's coverage section)" : "");
    const char *out = o->out ? o->out : "parapet-out";
    char **formats = pp_str_split(o->formats ? o->formats : "html,json", ',', NULL);
    printf("reports:");
    for (size_t i = 0; formats[i]; i++) {
        const pp_report_writer *w = pp_report_writer_find(formats[i]);
        if (w)
            printf(" %s/%s", out, w->filename);
    }
    printf("\n");
    pp_strv_free(formats);
    const char *sev = oc->fail_on ? oc->fail_on : "low";
    if (oc->exit_code == PP_EXIT_OK)
        printf("result: exit 0 (nothing failed at or above %s)\n", sev);
    else if (oc->exit_code == PP_EXIT_FAIL)
        printf("result: exit 1 (a FAIL at or above %s)\n", sev);
    else if (oc->exit_code == PP_EXIT_INCOMPLETE)
        printf("result: exit 3 (no FAIL at or above %s, but something could not be assessed)\n",
               sev);
}
