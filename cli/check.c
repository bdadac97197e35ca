/* `parapet check PLAN.json`: the pre-merge gate. Reads a Terraform plan into the scanner's
 * documents, evaluates the same policy packs as a scan, applies inline `# parapet:ignore`
 * comments (with --repo-root) and the baseline, and reports as text, JSON, SARIF or JUnit with
 * the exit codes of design.md section 2. */
#include "pipeline.h"
#include "pp_plan.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMD "check"

typedef struct check_opts {
    const char *plan;
    const char *format;
    const char *out;
    const char *fail_on;
    const char *baseline;
    const char *repo_root;
    const char *env;
    const char *suppressions;
    char **policies;
    bool fail_on_unknown;
    bool quiet;
} check_opts;

/* SARIF locations: the .tf file and line that declare an address. */
static int locate_cb(void *ud, const char *address, char **file, int *line)
{
    pp_tf_location loc;
    if (!ud || pp_plan_locate(ud, address, &loc) < 0)
        return PP_ENOTFOUND;
    *file = pp_xstrdup(loc.file);
    *line = loc.line;
    return 0;
}

/* ---- text output ----------------------------------------------------------------------------- */

static int sev_rank(const pp_finding *f)
{
    return f->rule ? (int)f->rule->severity : 0;
}

static int cmp_findings(const void *a, const void *b)
{
    const pp_finding *x = *(const pp_finding *const *)a, *y = *(const pp_finding *const *)b;
    int c = strcmp(x->address ? x->address : "", y->address ? y->address : "");
    if (c)
        return c;
    if (x->status != y->status)
        return x->status == PP_STATUS_FAIL   ? -1
               : y->status == PP_STATUS_FAIL ? 1
                                             : (int)x->status - (int)y->status;
    if (sev_rank(x) != sev_rank(y))
        return sev_rank(y) - sev_rank(x);
    return strcmp(x->rule->id, y->rule->id);
}

/* "revoke-ingress (targets: matched)" from the rule's remediation mapping. */
static void print_fix(FILE *out, const pp_rule_meta *m)
{
    const char *action = json_string_value(json_object_get(m->remediation, "action"));
    if (!action)
        return;
    fprintf(out, "        fix: %s", action);
    const char *k;
    json_t *v;
    bool first = true;
    json_object_foreach(m->remediation, k, v)
    {
        if (strcmp(k, "action") == 0 || !json_is_string(v))
            continue;
        fprintf(out, "%s%s: %s", first ? " (" : ", ", k, json_string_value(v));
        first = false;
    }
    fprintf(out, "%s\n", first ? "" : ")");
}

static void write_text(FILE *out, const pp_results *r, pp_plan *plan, pp_plan_locator *loc,
                       const check_opts *o)
{
    const pp_finding **v = pp_xcalloc(r->n_findings + 1, sizeof(*v));
    size_t n = 0, whole_account = 0, suppressed = 0;
    long counts[PP_STATUS_COUNT] = {0};
    for (size_t i = 0; i < r->n_findings; i++) {
        const pp_finding *f = &r->findings[i];
        if (f->suppressed) {
            suppressed++;
            continue;
        }
        counts[f->status]++;
        if (f->status == PP_STATUS_PASS || f->status == PP_STATUS_MANUAL)
            continue;
        if (!f->address) {
            whole_account++;
            continue;
        }
        v[n++] = f;
    }
    qsort(v, n, sizeof(*v), cmp_findings);
    const char *cur = NULL;
    for (size_t i = 0; i < n; i++) {
        const pp_finding *f = v[i];
        if (!cur || strcmp(cur, f->address) != 0) {
            cur = f->address;
            pp_tf_location l;
            if (loc && pp_plan_locate(loc, f->address, &l) == 0)
                fprintf(out, "%s%s  (%s:%d)\n", i ? "\n" : "", f->address, l.file, l.line);
            else
                fprintf(out, "%s%s\n", i ? "\n" : "", f->address);
        }
        const pp_rule_meta *m = f->rule;
        fprintf(out, "  %-7s %-8s %s  %s\n", pp_status_name(f->status),
                pp_severity_name(m->severity), m->id, m->title ? m->title : "");
        if (f->message)
            fprintf(out, "        %s\n", f->message);
        if (f->status == PP_STATUS_FAIL)
            print_fix(out, m);
    }
    if (n)
        fputc('\n', out);
    if (whole_account)
        fprintf(out,
                "%zu finding(s) need the whole account (GuardDuty or Config everywhere, ...): "
                "UNKNOWN for a plan, checked by `parapet scan`\n",
                whole_account);
    const pp_plan_stats *st = pp_plan_stats_get(plan);
    fprintf(out,
            "%s: %zu resources evaluated (%zu documents), %zu deleted or not evaluated, %zu of "
            "types parapet does not map\n",
            pp_plan_path(plan), st->evaluated, st->documents, st->deleted + st->data, st->unmapped);
    fprintf(out, "findings: %ld FAIL, %ld ERROR, %ld UNKNOWN, %ld PASS; %zu suppressed%s\n",
            counts[PP_STATUS_FAIL], counts[PP_STATUS_ERROR], counts[PP_STATUS_UNKNOWN],
            counts[PP_STATUS_PASS], suppressed,
            o->repo_root ? "" : " (inline comments are read with --repo-root)");
    free(v);
}

/* ---- the command ----------------------------------------------------------------------------- */

static bool is_report_format(const char *f)
{
    return strcmp(f, "json") == 0 || strcmp(f, "sarif") == 0 || strcmp(f, "junit") == 0;
}

/* The text report for --out, created 0600 like every report parapet writes: findings describe
 * weaknesses. */
static FILE *open_private(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "w");
    if (!f)
        close(fd);
    return f;
}

/* Text unless --out names a report file by its extension. */
static const char *default_format(const char *out)
{
    if (out && pp_str_endswith(out, ".sarif"))
        return "sarif";
    if (out && pp_str_endswith(out, ".xml"))
        return "junit";
    if (out && pp_str_endswith(out, ".json"))
        return "json";
    return "text";
}

/* Exit code: FAIL at or above --fail-on -> 1; with --fail-on-unknown, a resource's UNKNOWN too
 * (the account-wide UNKNOWNs of existence rules are not about the plan's values); else ERROR
 * -> 3. */
static int exit_code(const pp_results *r, const pp_inventory *inv, enum pp_severity fail_on,
                     bool fail_on_unknown)
{
    int code = pp_cli_exit_code(r, inv, fail_on);
    if (code == PP_EXIT_FAIL || !fail_on_unknown)
        return code;
    for (size_t i = 0; i < r->n_findings; i++) {
        const pp_finding *f = &r->findings[i];
        if (f->status == PP_STATUS_UNKNOWN && f->address && !f->suppressed &&
            f->rule->severity >= fail_on)
            return PP_EXIT_FAIL;
    }
    return code;
}

static json_t *plan_regions(const pp_inventory *inv)
{
    json_t *a = json_array();
    for (size_t i = 0; i < pp_inventory_count(inv); i++) {
        const char *reg = pp_inventory_at(inv, i)->region;
        bool seen = false;
        for (size_t k = 0; k < json_array_size(a) && !seen; k++)
            seen = pp_str_eq(json_string_value(json_array_get(a, k)), reg);
        if (!seen && reg)
            json_array_append_new(a, json_string(reg));
    }
    return a;
}

static void print_warnings(pp_plan *plan, pp_plan_locator *loc, const json_t *expired)
{
    if (!pp_plan_complete(plan))
        pp_cli_error("%s: warning: %s is an incomplete plan (-target or deferred changes): "
                     "only its resources were checked",
                     CMD, pp_plan_path(plan));
    size_t i;
    const json_t *p;
    json_array_foreach(loc ? pp_plan_locator_problems(loc) : NULL, i, p)
    {
        pp_cli_error("%s: warning: %s:%lld: %s (ignored)", CMD,
                     json_string_value(json_object_get(p, "file")),
                     (long long)json_integer_value(json_object_get(p, "line")),
                     json_string_value(json_object_get(p, "error")));
    }
    json_array_foreach(expired, i, p)
    {
        pp_cli_error("%s: warning: %s:%lld: expired suppression of %s for %s (expired %s)", CMD,
                     json_string_value(json_object_get(p, "file")),
                     (long long)json_integer_value(json_object_get(p, "line")),
                     json_string_value(json_object_get(p, "rule")),
                     json_string_value(json_object_get(p, "address")),
                     json_string_value(json_object_get(p, "expires")));
    }
}

int pp_cmd_check(int argc, char **argv)
{
    check_opts o = {0};
    char **positional = NULL;
    pp_cli_opt opts[] = {
        {"policies", PP_OPT_LIST, &o.policies},
        {"env", PP_OPT_VALUE, &o.env},
        {"format", PP_OPT_VALUE, &o.format},
        {"out", PP_OPT_VALUE, &o.out},
        {"fail-on", PP_OPT_VALUE, &o.fail_on},
        {"fail-on-unknown", PP_OPT_FLAG, &o.fail_on_unknown},
        {"baseline", PP_OPT_VALUE, &o.baseline},
        {"repo-root", PP_OPT_VALUE, &o.repo_root},
        {"suppressions", PP_OPT_VALUE, &o.suppressions},
        {"quiet", PP_OPT_FLAG, &o.quiet},
        {NULL},
    };
    pp_plan *plan = NULL;
    pp_ruleset *rs = NULL;
    pp_results *r = NULL;
    pp_plan_baseline *bl = NULL;
    pp_plan_locator *loc = NULL;
    json_t *expired = NULL;
    FILE *out = NULL;
    pp_snapshot_info info = {0};
    enum pp_severity fail_on;
    int rc;
    int code = pp_cli_parse(argc, argv, opts, &positional);
    if (code)
        goto _exit;
    pp_cli_log_init();
#if defined(__GLIBC__)
    /* A plan is millions of small JSON values made and freed in bulk; glibc's fast bins turn
     * that into repeated consolidation (a sixth of the run on a 50 MB plan). */
    pp_cli_bulk_allocs();
#endif
    code = PP_EXIT_USAGE;
    if (pp_strv_len(positional) != 1) {
        pp_cli_usage_error("%s: give one plan: parapet check PLAN.json (from `terraform show "
                           "-json PLANFILE`)",
                           CMD);
        goto _exit;
    }
    o.plan = positional[0];
    if (!o.format)
        o.format = default_format(o.out);
    if (strcmp(o.format, "text") != 0 && !is_report_format(o.format)) {
        pp_cli_usage_error("%s: --format: unknown format '%s' (text, json, sarif, junit)", CMD,
                           o.format);
        goto _exit;
    }
    if (pp_cli_fail_on(o.fail_on, &fail_on))
        goto _exit;

    if ((rc = pp_plan_load_file(o.plan, NULL, &plan))) {
        code = pp_cli_fail(rc == PP_EIO ? PP_EINVAL : rc, CMD);
        goto _exit;
    }
    if (o.repo_root && (rc = pp_plan_locator_new(o.repo_root, plan, &loc))) {
        code = pp_cli_usage_error("%s: --repo-root: %s", CMD, pp_err_msg());
        goto _exit;
    }
    if (o.baseline && (rc = pp_plan_baseline_load(o.baseline, &bl))) {
        code = pp_cli_usage_error("%s: --baseline: %s", CMD, pp_err_msg());
        goto _exit;
    }
    pp_cli_eval_opts eo = {.policies = o.policies,
                           .env = o.env,
                           .suppressions = o.suppressions,
                           .no_default_suppressions = true};
    if ((code = pp_cli_load_rules(CMD, &eo, &rs)))
        goto _exit;

    pp_inventory *inv = pp_plan_inventory(plan);
    time_t now = pp_time_now();
    if ((rc = pp_rules_eval(rs, inv, now, &r))) {
        code = pp_cli_fail(rc, CMD);
        goto _exit;
    }
    pp_plan_suppress(r, loc, bl, now, &expired);
    print_warnings(plan, loc, expired);

    info.source = pp_xstrdup("terraform-plan");
    info.started_at = info.finished_at = now;
    info.accounts = json_array();
    info.regions = plan_regions(inv);
    info.tool_version = pp_xstrdup(PP_VERSION);
    info.resources = (long)pp_inventory_count(inv);
    info.complete = pp_plan_complete(plan);
    pp_report_input in = {.results = r,
                          .inventory = inv,
                          .snapshot = &info,
                          .source_kind = "terraform-plan",
                          .plan_path = o.plan,
                          .repo_root = o.repo_root,
                          .locate = loc ? locate_cb : NULL,
                          .locate_ud = loc};
    code = exit_code(r, inv, fail_on, o.fail_on_unknown);
    if (strcmp(o.format, "text") == 0) {
        out = o.out ? open_private(o.out) : stdout;
        if (!out) {
            pp_err_set(PP_EIO, "%s: cannot write", o.out);
            code = pp_cli_fail(PP_EIO, CMD);
            goto _exit;
        }
        write_text(out, r, plan, loc, &o);
        if (out != stdout) {
            FILE *f = out;
            out = NULL;
            if (fclose(f) != 0) {
                pp_err_set(PP_EIO, "%s: write error", o.out);
                pp_cli_fail(PP_EIO, CMD);
                code = PP_EXIT_INCOMPLETE;
                goto _exit;
            }
        }
    } else if (o.out) {
        if ((rc = pp_report_write(o.format, &in, o.out))) {
            pp_cli_fail(rc, CMD);
            code = rc == PP_EINVAL ? PP_EXIT_USAGE : PP_EXIT_INCOMPLETE;
            goto _exit;
        }
    } else {
        const pp_report_writer *w = pp_report_writer_find(o.format);
        if ((rc = w->write(&in, stdout))) {
            pp_cli_fail(rc, CMD);
            code = PP_EXIT_INCOMPLETE;
            goto _exit;
        }
        fflush(stdout);
    }
    if (!o.quiet && (strcmp(o.format, "text") != 0 || o.out)) {
        long fail = 0, unknown = 0, error = 0, supp = 0;
        for (size_t i = 0; i < r->n_findings; i++) {
            const pp_finding *f = &r->findings[i];
            supp += f->suppressed;
            if (f->suppressed)
                continue;
            fail += f->status == PP_STATUS_FAIL;
            error += f->status == PP_STATUS_ERROR;
            unknown += f->status == PP_STATUS_UNKNOWN;
        }
        fprintf(stderr, "parapet: %s: %s: %ld FAIL, %ld ERROR, %ld UNKNOWN, %ld suppressed%s%s\n",
                CMD, o.plan, fail, error, unknown, supp, o.out ? "; wrote " : "",
                o.out ? o.out : "");
    }

_exit:
    if (out && out != stdout)
        fclose(out);
    pp_snapshot_info_clear(&info);
    json_decref(expired);
    if (PP_CLI_FREE_AT_EXIT) {
        pp_results_free(r);
        pp_plan_free(plan);
    }
    pp_ruleset_free(rs);
    pp_plan_baseline_free(bl);
    pp_plan_locator_free(loc);
    pp_strv_free(o.policies);
    pp_strv_free(positional);
    return code;
}
