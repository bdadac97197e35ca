/* `parapet scan`: collect every in-scope resource of the accounts and regions asked for, store
 * them as a snapshot, evaluate the policy packs, write the reports, and say what changed. */
#include "notify.h"
#include "pipeline.h"
#include "pp_scanner.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

/* ---- progress on a terminal ------------------------------------------------------------------ */

struct progress {
    bool on;
    json_t *rows; /* "account service" -> [calls, resources, errors] */
    int drawn;    /* lines drawn last time */
    double last;
};

static double now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static void progress_draw(struct progress *p, bool final)
{
    if (p->drawn)
        fprintf(stderr, "\033[%dA", p->drawn);
    int lines = 0;
    const char *k;
    json_t *v;
    json_object_foreach(p->rows, k, v)
    {
        fprintf(stderr, "\033[2K  %-40s %5lld calls %6lld resources %3lld errors\n", k,
                json_integer_value(json_array_get(v, 0)), json_integer_value(json_array_get(v, 1)),
                json_integer_value(json_array_get(v, 2)));
        lines++;
    }
    p->drawn = final ? 0 : lines;
    fflush(stderr);
}

static void progress_cb(void *ud, const pp_scan_progress *sp)
{
    struct progress *p = ud;
    char key[160];
    snprintf(key, sizeof(key), "%s %s", sp->account, sp->service);
    json_object_set_new(p->rows, key,
                        json_pack("[i,i,i]", sp->calls_done, sp->resources, sp->errors));
    double t = now_s();
    if (t - p->last >= 0.2) {
        p->last = t;
        progress_draw(p, false);
    }
}

/* ---- validation ----------------------------------------------------------------------------- */

static bool valid_region(const char *r)
{
    static pcre2_code *re;
    if (!re) {
        int err;
        PCRE2_SIZE off;
        re = pcre2_compile((PCRE2_SPTR) "^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$", PCRE2_ZERO_TERMINATED, 0,
                           &err, &off, NULL);
    }
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    int rc = pcre2_match(re, (PCRE2_SPTR)r, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    return rc >= 0;
}

static bool valid_url(const char *u)
{
    if (!pp_str_startswith(u, "http://") && !pp_str_startswith(u, "https://"))
        return false;
    const char *host = strstr(u, "://") + 3;
    return *host && *host != '/' && *host != ':' && !strpbrk(u, " \t\r\n");
}

int pp_cmd_scan(int argc, char **argv)
{
    const char *profile = NULL, *accounts_file = NULL, *external_id = NULL, *endpoint = NULL;
    char **regions_raw = NULL, **services_raw = NULL, **role_arns = NULL, **policies = NULL;
    char **notify_raw = NULL;
    const char *notify_on_s = NULL;
    bool all_regions = false, quiet = false, no_progress = false, insecure = false;
    long concurrency = 16, keep = 90;
    pp_cli_eval_opts eo = {0};
    pp_cli_opt opts[] = {
        {"profile", PP_OPT_VALUE, &profile},
        {"region", PP_OPT_LIST, &regions_raw},
        {"all-regions", PP_OPT_FLAG, &all_regions},
        {"services", PP_OPT_LIST, &services_raw},
        {"role-arn", PP_OPT_LIST, &role_arns},
        {"accounts", PP_OPT_VALUE, &accounts_file},
        {"external-id", PP_OPT_VALUE, &external_id},
        {"endpoint-url", PP_OPT_VALUE, &endpoint},
        {"allow-insecure-endpoint", PP_OPT_FLAG, &insecure},
        {"db", PP_OPT_VALUE, &eo.db},
        {"policies", PP_OPT_LIST, &policies},
        {"env", PP_OPT_VALUE, &eo.env},
        {"suppressions", PP_OPT_VALUE, &eo.suppressions},
        {"out", PP_OPT_VALUE, &eo.out},
        {"format", PP_OPT_VALUE, &eo.formats},
        {"fail-on", PP_OPT_VALUE, &eo.fail_on},
        {"concurrency", PP_OPT_INT, &concurrency, 1, 256},
        {"quiet", PP_OPT_FLAG, &quiet},
        {"no-progress", PP_OPT_FLAG, &no_progress},
        {"keep", PP_OPT_INT, &keep, 0, 1000000},
        {"notify", PP_OPT_LIST, &notify_raw},
        {"notify-on", PP_OPT_VALUE, &notify_on_s},
        {NULL},
    };
    char **regions = NULL, **services = NULL;
    pp_scan_account *accounts = NULL;
    size_t n_accounts = 0;
    pp_ruleset *rs = NULL;
    pp_store *st = NULL;
    pp_store_writer *w = NULL;
    pp_aws_engine *engine = NULL;
    pp_aws_client *client = NULL;
    pp_inventory *inv = NULL;
    pp_scan_summary sum = {0};
    pp_snapshot_info info = {0};
    struct progress prog = {0};
    pp_cli_outcome oc = {0};
    char **notify_urls = NULL;
    enum pp_notify_on notify_on = PP_NOTIFY_FAIL;
    bool locked = false, run_started = false, evaluated = false;
    long pruned = 0;
    enum pp_severity fail_on;
    int exit_code = pp_cli_parse(argc, argv, opts, NULL);
    if (exit_code)
        goto _exit;
    pp_cli_log_init();
    eo.policies = policies;
    eo.quiet = quiet;

    /* Everything the user typed is checked before anything is written or called. */
    exit_code = PP_EXIT_USAGE;
    regions = pp_cli_split_lists(regions_raw);
    services = pp_cli_split_lists(services_raw);
    if (regions[0] && all_regions) {
        pp_cli_usage_error("scan: --region and --all-regions exclude each other");
        goto _exit;
    }
    for (size_t i = 0; regions[i]; i++)
        if (!valid_region(regions[i])) {
            pp_cli_usage_error("scan: --region: '%s' is not a region name", regions[i]);
            goto _exit;
        }
    for (size_t i = 0; services[i]; i++)
        if (!pp_collector_find(services[i])) {
            pp_cli_usage_error("scan: --services: unknown service '%s' (known: account, iam, ec2, "
                               "kms, cloudtrail, config, guardduty, logs, cloudwatch, sns, s3)",
                               services[i]);
            goto _exit;
        }
    if (role_arns && accounts_file) {
        pp_cli_usage_error("scan: --role-arn and --accounts exclude each other");
        goto _exit;
    }
    if (external_id && !role_arns) {
        pp_cli_usage_error("scan: --external-id needs --role-arn");
        goto _exit;
    }
    if (endpoint && !valid_url(endpoint)) {
        pp_cli_usage_error("scan: --endpoint-url: '%s' is not an http(s) URL", endpoint);
        goto _exit;
    }
    if (pp_cli_fail_on(eo.fail_on, &fail_on) ||
        pp_cli_check_formats("scan", eo.formats ? eo.formats : "html,json") ||
        pp_cli_check_out("scan", eo.out))
        goto _exit;
    /* Webhooks from the command line, else from the environment (where a secret store such as
     * ECS secrets or systemd credentials can put them without showing them in `ps`). */
    const char *notify_from = notify_raw ? "--notify" : "PARAPET_NOTIFY_URL";
    notify_urls = notify_raw ? notify_raw : pp_notify_env_urls();
    notify_raw = NULL;
    if (notify_on_s && pp_notify_on_parse(notify_on_s, &notify_on)) {
        pp_cli_usage_error("scan: --notify-on: %s", pp_err_msg());
        goto _exit;
    }
    for (size_t i = 0; notify_urls[i]; i++)
        if (pp_notify_url_check(notify_urls[i], insecure)) {
            pp_cli_usage_error("scan: %s: %s", notify_from, pp_err_msg());
            goto _exit;
        }
    if (notify_on_s && !notify_urls[0]) {
        pp_cli_usage_error("scan: --notify-on needs --notify URL (or PARAPET_NOTIFY_URL)");
        goto _exit;
    }
    if (accounts_file) {
        if (pp_scan_accounts_load(accounts_file, &accounts, &n_accounts)) {
            pp_cli_error("scan: --accounts: %s", pp_err_msg());
            goto _exit;
        }
    } else if (role_arns) {
        n_accounts = pp_strv_len(role_arns);
        accounts = pp_xcalloc(n_accounts, sizeof(*accounts));
        for (size_t i = 0; i < n_accounts; i++) {
            accounts[i].role_arn = pp_xstrdup(role_arns[i]);
            accounts[i].external_id = pp_xstrdup(external_id);
            if (!pp_str_startswith(role_arns[i], "arn:") || !strstr(role_arns[i], ":role/")) {
                pp_cli_usage_error("scan: --role-arn: '%s' is not a role ARN", role_arns[i]);
                goto _exit;
            }
        }
        if (external_id)
            pp_redact_register(external_id);
    }
    if ((exit_code = pp_cli_load_rules("scan", &eo, &rs)))
        goto _exit;
    exit_code = PP_EXIT_USAGE;
    pp_aws_client_options co = {.profile = profile,
                                .endpoint_url = endpoint,
                                .region = regions[0],
                                .allow_insecure_endpoint = insecure};
    int rc = pp_aws_engine_new(&engine, NULL);
    if (!rc)
        rc = pp_aws_client_new(&client, engine, &co);
    if (rc) {
        exit_code = pp_cli_fail(rc, "scan");
        goto _exit;
    }
    if ((exit_code = pp_cli_open_store("scan", eo.db, true, &st)))
        goto _exit;
    if ((rc = pp_store_lock(st, "run", 6 * 3600))) {
        exit_code = pp_cli_fail(rc, "scan");
        goto _exit;
    }
    locked = true;
    run_started = true;

    prog.on = !quiet && !no_progress && isatty(STDERR_FILENO);
    prog.rows = json_object();
    pp_scan_options so = {.client = client,
                          .accounts = accounts,
                          .n_accounts = n_accounts,
                          .regions = regions[0] ? regions : NULL,
                          .all_regions = all_regions,
                          .services = services[0] ? services : NULL,
                          .concurrency = (int)concurrency,
                          .progress = prog.on ? progress_cb : NULL,
                          .progress_ud = &prog};
    time_t started = time(NULL);
    if ((rc = pp_store_writer_begin(st, "aws", started, 0, &w))) {
        exit_code = pp_cli_fail(rc, "scan");
        goto _exit;
    }
    if ((rc = pp_scan_run(&so, &inv, &sum))) {
        exit_code = pp_cli_fail(rc, "scan");
        goto _exit;
    }
    if (prog.on)
        progress_draw(&prog, true);
    pp_snapshot_info in = {.started_at = sum.started_at,
                           .finished_at = sum.finished_at,
                           .accounts = sum.accounts,
                           .regions = sum.regions,
                           .calls = sum.calls,
                           .retries = sum.retries,
                           .errors = sum.errors};
    if ((rc = pp_store_writer_add_inventory(w, inv)) ||
        (rc = pp_store_writer_finish(w, &in, &info))) {
        exit_code = pp_cli_fail(rc, "scan");
        goto _exit;
    }
    if (!quiet) {
        printf("scanned snapshot %lld: %ld resources (", (long long)info.id, sum.resources);
        const char *k;
        json_t *v;
        bool first = true;
        json_object_foreach(sum.by_service, k, v)
        {
            printf("%s%s %lld", first ? "" : ", ", k, json_integer_value(v));
            first = false;
        }
        printf("), %ld calls, %ld retries, %ld errors, %lds\n", sum.calls, sum.retries, sum.errors,
               (long)(sum.finished_at - sum.started_at));
    }
    if ((exit_code = pp_cli_evaluate("scan", st, info.id, inv, &info, rs, &eo, &oc)))
        goto _exit;
    exit_code = oc.exit_code;
    evaluated = true;
    /* Retention once the new snapshot is stored and evaluated; a problem with it is worth a
     * warning, not a different verdict on the accounts. --keep counts complete snapshots only, so
     * runs killed half-way never push good ones out. */
    size_t deleted = 0;
    if (keep > 0 && pp_store_prune(st, (size_t)keep, &deleted))
        pp_log(PP_LOG_WARN, "scan", "retention: %s", pp_err_msg());
    pruned = (long)deleted;
    /* Printing and notifying need no lock: the next run may start. */
    pp_store_unlock(st, "run");
    locked = false;
    if (!quiet && pruned)
        printf("retention: pruned %ld snapshot%s beyond the newest %ld\n", pruned,
               pruned == 1 ? "" : "s", keep);
    pp_cli_print_summary(&oc, &eo);
    fflush(stdout);

_exit:
    /* An unfinished writer may hold an open batch: roll it back before the lock row is deleted,
     * or the rollback would bring the row back. */
    pp_store_writer_free(w);
    w = NULL;
    if (run_started && notify_urls && notify_urls[0]) {
        /* A run that stopped half-way is reported with the error it printed. */
        char *error = evaluated ? NULL : pp_redact(pp_err_msg());
        if (locked)
            pp_store_unlock(st, "run");
        locked = false;
        char dir[PATH_MAX];
        const char *out = eo.out ? eo.out : "parapet-out";
        pp_notify_run run = {.command = "scan",
                             .exit_code = exit_code,
                             .error = error,
                             .snapshot = &info,
                             .report_dir = evaluated ? (realpath(out, dir) ? dir : out) : NULL,
                             .formats = eo.formats,
                             .pruned = pruned};
        if (pp_notify_wanted(notify_on, &run, evaluated ? &oc : NULL)) {
            json_t *payload = pp_notify_payload(&run, evaluated ? &oc : NULL);
            pp_notify_send(notify_urls, payload);
            json_decref(payload);
        }
        free(error);
    }
    if (locked)
        pp_store_unlock(st, "run");
    pp_cli_outcome_clear(&oc);
    pp_strv_free(notify_urls);
    pp_strv_free(notify_raw);
    json_decref(prog.rows);
    pp_snapshot_info_clear(&info);
    pp_scan_summary_clear(&sum);
    if (PP_CLI_FREE_AT_EXIT) /* see cli.h */
        pp_inventory_free(inv);
    pp_store_writer_free(w);
    pp_store_close(st);
    pp_aws_client_free(client);
    pp_aws_engine_free(engine);
    pp_ruleset_free(rs);
    pp_scan_accounts_free(accounts, n_accounts);
    pp_strv_free(regions);
    pp_strv_free(services);
    pp_strv_free(regions_raw);
    pp_strv_free(services_raw);
    pp_strv_free(role_arns);
    pp_strv_free(policies);
    return exit_code;
}
