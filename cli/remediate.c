/* `parapet remediate`: plan (the default; changes nothing), apply a plan file, or list the journal.
 * The plan comes from the failed findings of a stored evaluation; applying executes exactly that
 * file's steps under the database's run lock, journaled so that a killed apply resumes. */
#include "pipeline.h"
#include "pp_remediate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PLAN_FILE "parapet-plan.json"

/* ---- plan -------------------------------------------------------------------------------------
 */

/* Plans hold no secrets, but they describe the account's weaknesses: 0600 like the database. */
static int write_plan(const char *path, const json_t *plan)
{
    char *text = json_dumps(plan, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text)
        return pp_err_set(PP_EINTERNAL, "the plan could not be serialised");
    int rc = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = pp_err_set(PP_EINVAL, "%s: %s", path, strerror(errno));
        goto _exit;
    }
    if (fchmod(fd, 0600) != 0) {
        rc = pp_err_set(PP_EIO, "%s: %s", path, strerror(errno));
        close(fd);
        goto _exit;
    }
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = pp_err_set(PP_EIO, "%s: %s", path, strerror(errno));
            break;
        }
        off += (size_t)w;
    }
    if (rc == 0 && (write(fd, "\n", 1) != 1 || fsync(fd) != 0))
        rc = pp_err_set(PP_EIO, "%s: %s", path, strerror(errno));
    if (close(fd) != 0 && rc == 0)
        rc = pp_err_set(PP_EIO, "%s: %s", path, strerror(errno));
_exit:
    free(text);
    return rc;
}

typedef struct plan_args {
    const char *db, *snapshot, *plan_out, *env, *account;
    char **rules, **resources, **policies;
    bool allow_risky, quiet;
    long max_changes;
} plan_args;

static int do_plan(const plan_args *a)
{
    pp_store *st = NULL;
    pp_results *res = NULL;
    pp_inventory *inv = NULL;
    json_t *arch = NULL, *plan = NULL;
    char *arch_path = NULL;
    int64_t snap = 0, eval = 0;
    int exit_code = pp_cli_open_store("remediate", a->db, false, &st);
    if (exit_code)
        goto _exit;
    exit_code = PP_EXIT_USAGE;
    int rc = pp_store_resolve_snapshot(st, a->snapshot ? a->snapshot : "latest", &snap);
    if (rc) {
        pp_cli_error("remediate: --snapshot %s: %s", a->snapshot ? a->snapshot : "latest",
                     pp_err_msg());
        goto _exit;
    }
    rc = pp_store_latest_evaluation(st, snap, &eval);
    if (rc == PP_ENOTFOUND) {
        pp_cli_error("remediate: snapshot %lld was never evaluated (run `parapet evaluate "
                     "--snapshot %lld`)",
                     (long long)snap, (long long)snap);
        goto _exit;
    }
    if (rc || (rc = pp_store_load_results(st, eval, &res)) ||
        (rc = pp_store_load_inventory(st, snap, NULL, &inv))) {
        exit_code = pp_cli_fail(rc, "remediate");
        goto _exit;
    }
    const char *env = a->env ? a->env : res->env;
    const char *const *dirs =
        a->policies ? (const char *const *)a->policies : pp_rules_default_dirs();
    if ((rc = pp_remediate_arch_load(dirs, env, &arch, &arch_path))) {
        pp_cli_error("remediate: %s", pp_err_msg());
        goto _exit;
    }
    pp_rem_plan_opts po = {.results = res,
                           .inv = inv,
                           .snapshot = snap,
                           .evaluation = eval,
                           .rules = a->rules && a->rules[0] ? a->rules : NULL,
                           .resources = a->resources && a->resources[0] ? a->resources : NULL,
                           .account = a->account,
                           .allow_risky = a->allow_risky,
                           .max_changes = a->max_changes,
                           .env = env,
                           .arch = arch};
    if ((rc = pp_remediate_plan(&po, &plan))) {
        pp_cli_error("remediate: %s", pp_err_msg());
        goto _exit;
    }
    const char *out = a->plan_out ? a->plan_out : DEFAULT_PLAN_FILE;
    if ((rc = write_plan(out, plan))) {
        exit_code = pp_cli_fail(rc, "remediate");
        goto _exit;
    }
    if (!a->quiet) {
        pp_buf b;
        pp_buf_init(&b, PP_BUF_DEFAULT_MAX);
        pp_remediate_plan_render(plan, &b, isatty(STDOUT_FILENO));
        fputs(pp_buf_cstr(&b), stdout);
        pp_buf_free(&b);
        size_t n = json_array_size(json_object_get(plan, "steps"));
        if (n)
            printf("\nPlan written to %s. Nothing has changed; apply exactly these steps with:\n"
                   "  parapet remediate --apply %s%s\n",
                   out, out, a->allow_risky ? " --allow-risky" : "");
        else
            printf("\nNothing to do. Plan written to %s.\n", out);
    }
    exit_code = PP_EXIT_OK;
_exit:
    json_decref(plan);
    json_decref(arch);
    free(arch_path);
    pp_inventory_free(inv);
    pp_results_free(res);
    pp_store_close(st);
    return exit_code;
}

/* ---- apply -------------------------------------------------------------------------------------
 */

static void progress(void *ud, const pp_rem_step_report *r)
{
    bool quiet = *(bool *)ud;
    if (quiet)
        return;
    const char *what = r->outcome == PP_REM_DONE          ? "done"
                       : r->outcome == PP_REM_UNNEEDED    ? "unneeded"
                       : r->outcome == PP_REM_FAILED      ? "FAILED"
                       : r->outcome == PP_REM_SKIPPED_DEP ? "skipped"
                                                          : "already done";
    printf("  %-12s %s: %s", what, r->step_id, r->summary ? r->summary : "");
    if (r->message)
        printf(" (%s)", r->message);
    if (r->request_id)
        printf(" [request %s]", r->request_id);
    putchar('\n');
    fflush(stdout);
}

static bool confirm(const json_t *plan)
{
    size_t n = json_array_size(json_object_get(plan, "steps"));
    const char *acct = json_string_value(json_object_get(plan, "account"));
    printf("\nApply these %zu step%s to account %s? Only 'yes' will be accepted: ", n,
           n == 1 ? "" : "s", acct ? acct : "?");
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof(line), stdin))
        return false;
    line[strcspn(line, "\r\n")] = '\0';
    return strcmp(line, "yes") == 0;
}

typedef struct apply_args {
    const char *db, *file, *profile, *endpoint, *region;
    bool yes, allow_risky, insecure, quiet;
    long max_changes, workers;
} apply_args;

static int do_apply(const apply_args *a)
{
    json_t *plan = NULL;
    pp_store *st = NULL;
    pp_aws_engine *engine = NULL;
    pp_aws_client *client = NULL;
    pp_rem_apply_result res = {0};
    bool locked = false;
    int exit_code = PP_EXIT_USAGE;
    json_error_t jerr;
    plan = json_load_file(a->file, JSON_REJECT_DUPLICATES, &jerr);
    if (!plan) {
        pp_cli_error("remediate: %s:%d:%d: %s", a->file, jerr.line, jerr.column, jerr.text);
        goto _exit;
    }
    if (pp_remediate_plan_check(plan)) {
        pp_cli_error("remediate: %s: %s", a->file, pp_err_msg());
        goto _exit;
    }
    size_t n = json_array_size(json_object_get(plan, "steps"));
    if (!a->yes) {
        if (!isatty(STDIN_FILENO)) {
            pp_cli_error("remediate: --apply needs --yes when standard input is not a terminal");
            goto _exit;
        }
        pp_buf b;
        pp_buf_init(&b, PP_BUF_DEFAULT_MAX);
        pp_remediate_plan_render(plan, &b, isatty(STDOUT_FILENO));
        fputs(pp_buf_cstr(&b), stdout);
        pp_buf_free(&b);
        if (!confirm(plan)) {
            pp_cli_error("remediate: not applied (the answer was not 'yes')");
            goto _exit;
        }
    }
    int rc = pp_aws_engine_new(&engine, NULL);
    pp_aws_client_options co = {.profile = a->profile,
                                .endpoint_url = a->endpoint,
                                .region = a->region,
                                .allow_insecure_endpoint = a->insecure};
    if (!rc)
        rc = pp_aws_client_new(&client, engine, &co);
    if (rc) {
        exit_code = pp_cli_fail(rc, "remediate");
        goto _exit;
    }
    if ((exit_code = pp_cli_open_store("remediate", a->db, true, &st)))
        goto _exit;
    if ((rc = pp_store_lock(st, "run", 6 * 3600))) {
        exit_code = pp_cli_fail(rc, "remediate");
        goto _exit;
    }
    locked = true;
    bool quiet = a->quiet;
    if (!quiet)
        printf("Applying plan %s (%zu steps):\n",
               json_string_value(json_object_get(plan, "plan_id")), n);
    fflush(stdout);
    pp_rem_apply_opts ao = {.client = client,
                            .store = st,
                            .plan = plan,
                            .allow_risky = a->allow_risky,
                            .max_changes = a->max_changes,
                            .workers = (int)a->workers,
                            .progress = progress,
                            .progress_ud = &quiet};
    rc = pp_remediate_apply(&ao, &res);
    if (rc) {
        exit_code = pp_cli_fail(rc, "remediate");
        goto _exit;
    }
    long failed = res.counts[PP_REM_FAILED] + res.counts[PP_REM_SKIPPED_DEP];
    if (!quiet)
        printf("\nApplied: %ld done, %ld already in the desired state, %ld done by an earlier "
               "apply, %ld failed, %ld skipped for a failed dependency.\n",
               res.counts[PP_REM_DONE], res.counts[PP_REM_UNNEEDED],
               res.counts[PP_REM_ALREADY_DONE], res.counts[PP_REM_FAILED],
               res.counts[PP_REM_SKIPPED_DEP]);
    if (failed && !quiet)
        printf("The apply was partial; fix the cause and run the same --apply again: finished "
               "steps are not repeated.\n");
    else if (!quiet)
        printf("Scan again to confirm: parapet scan\n");
    exit_code = failed ? PP_EXIT_FAIL : PP_EXIT_OK;
_exit:
    if (locked)
        pp_store_unlock(st, "run");
    pp_rem_apply_result_clear(&res);
    pp_store_close(st);
    pp_aws_client_free(client);
    pp_aws_engine_free(engine);
    json_decref(plan);
    return exit_code;
}

/* ---- journal -----------------------------------------------------------------------------------
 */

static int do_journal(const char *db, const char *plan_id, const char *format)
{
    pp_store *st = NULL;
    pp_journal_entry *e = NULL;
    size_t n = 0;
    bool json = format && strcmp(format, "json") == 0;
    if (format && !json && strcmp(format, "text") != 0)
        return pp_cli_usage_error("remediate: --format: '%s' is not text or json", format);
    int exit_code = pp_cli_open_store("remediate", db, false, &st);
    if (exit_code)
        return exit_code;
    int rc = pp_store_journal_list(st, plan_id, &e, &n);
    if (rc) {
        exit_code = pp_cli_fail(rc, "remediate");
        goto _exit;
    }
    if (!json && n == 0)
        printf("The journal is empty%s.\n", plan_id ? " for this plan" : "");
    else if (!json)
        printf("%-20s  %-19s  %-8s  %-22s  %-14s  %s\n", "UPDATED", "PLAN", "STATE", "ACTION",
               "KEY ID", "STEP / MESSAGE");
    for (size_t i = 0; i < n; i++) {
        char ts[32], created[32];
        pp_time_format(e[i].updated_at, ts);
        pp_time_format(e[i].created_at, created);
        char key[32] = "";
        if (e[i].key_id)
            pp_redact_key_id(e[i].key_id, key);
        if (json) {
            json_t *o = json_pack(
                "{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s, s:s, s:O?, s:O?, s:s?, "
                "s:s?, s:s?}",
                "plan_id", e[i].plan_id, "step_id", e[i].step_id, "state", e[i].state, "action",
                e[i].action, "rule", e[i].rule_id, "resource", e[i].resource_id, "account",
                e[i].account, "region", e[i].region, "created_at", created, "updated_at", ts,
                "call", e[i].call, "result", e[i].result, "request_id", e[i].request_id, "key_id",
                e[i].key_id ? key : NULL, "message", e[i].message);
            char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
            printf("%s\n", s ? s : "{}");
            free(s);
            json_decref(o);
            continue;
        }
        printf("%-20s  %-19s  %-8s  %-22s  %-14s  %s", ts, e[i].plan_id ? e[i].plan_id : "",
               e[i].state ? e[i].state : "", e[i].action ? e[i].action : "", key,
               e[i].step_id ? e[i].step_id : "");
        if (e[i].message)
            printf(": %s", e[i].message);
        if (e[i].request_id)
            printf(" [request %s]", e[i].request_id);
        putchar('\n');
    }
_exit:
    pp_store_journal_free(e, n);
    pp_store_close(st);
    return exit_code;
}

/* ---- the command --------------------------------------------------------------------------------
 */

int pp_cmd_remediate(int argc, char **argv)
{
    plan_args pa = {.max_changes = PP_REM_DEFAULT_MAX_CHANGES};
    apply_args aa = {0};
    const char *plan_id = NULL, *format = NULL;
    bool journal = false;
    char **rules_raw = NULL, **resources_raw = NULL;
    long workers = 4;
    pp_cli_opt opts[] = {
        {"db", PP_OPT_VALUE, &pa.db},
        {"snapshot", PP_OPT_VALUE, &pa.snapshot},
        {"rules", PP_OPT_LIST, &rules_raw},
        {"resources", PP_OPT_LIST, &resources_raw},
        {"account", PP_OPT_VALUE, &pa.account},
        {"plan-out", PP_OPT_VALUE, &pa.plan_out},
        {"env", PP_OPT_VALUE, &pa.env},
        {"policies", PP_OPT_LIST, &pa.policies},
        {"allow-risky", PP_OPT_FLAG, &pa.allow_risky},
        {"max-changes", PP_OPT_INT, &pa.max_changes, 1, 100000},
        {"apply", PP_OPT_VALUE, &aa.file},
        {"yes", PP_OPT_FLAG, &aa.yes},
        {"journal", PP_OPT_FLAG, &journal},
        {"plan", PP_OPT_VALUE, &plan_id},
        {"format", PP_OPT_VALUE, &format},
        {"profile", PP_OPT_VALUE, &aa.profile},
        {"endpoint-url", PP_OPT_VALUE, &aa.endpoint},
        {"region", PP_OPT_VALUE, &aa.region},
        {"allow-insecure-endpoint", PP_OPT_FLAG, &aa.insecure},
        {"concurrency", PP_OPT_INT, &workers, 1, 32},
        {"quiet", PP_OPT_FLAG, &pa.quiet},
        {NULL},
    };
    int exit_code = pp_cli_parse(argc, argv, opts, NULL);
    if (exit_code)
        goto _exit;
    pp_cli_log_init();
    pa.rules = pp_cli_split_lists(rules_raw);
    pa.resources = pp_cli_split_lists(resources_raw);
    /* which mode: the options of another mode are mistakes, said before anything runs */
    bool plan_only_opt =
        pa.snapshot || rules_raw || resources_raw || pa.plan_out || pa.env || pa.policies;
    bool aws_opt = aa.profile || aa.endpoint || aa.region || aa.insecure;
    if (journal) {
        if (aa.file || aa.yes || plan_only_opt || aws_opt || pa.allow_risky) {
            exit_code = pp_cli_usage_error("remediate: --journal takes only --db, --plan and "
                                           "--format");
            goto _exit;
        }
        exit_code = do_journal(pa.db, plan_id, format);
        goto _exit;
    }
    if (plan_id || format) {
        exit_code = pp_cli_usage_error("remediate: --plan and --format go with --journal");
        goto _exit;
    }
    if (aa.file) {
        if (plan_only_opt) {
            exit_code = pp_cli_usage_error("remediate: --apply executes the plan file as it is; "
                                           "--snapshot, --rules, --resources, --account, "
                                           "--plan-out, --env and --policies are for planning");
            goto _exit;
        }
        aa.db = pa.db;
        aa.allow_risky = pa.allow_risky;
        aa.max_changes = pa.max_changes;
        aa.workers = workers;
        aa.quiet = pa.quiet;
        exit_code = do_apply(&aa);
        goto _exit;
    }
    if (aa.yes || aws_opt) {
        exit_code = pp_cli_usage_error("remediate: --yes and AWS options go with --apply; "
                                       "planning reads the database only");
        goto _exit;
    }
    exit_code = do_plan(&pa);
_exit:
    pp_strv_free(rules_raw);
    pp_strv_free(resources_raw);
    pp_strv_free(pa.rules);
    pp_strv_free(pa.resources);
    pp_strv_free(pa.policies);
    return exit_code;
}
