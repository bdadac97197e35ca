/* `parapet evaluate`: re-evaluate a stored snapshot with the current packs, without calling AWS. */
#include "pipeline.h"

#include <stdlib.h>

int pp_cmd_evaluate(int argc, char **argv)
{
    const char *snapshot = NULL;
    char **policies = NULL;
    bool quiet = false;
    pp_cli_eval_opts eo = {0};
    pp_cli_opt opts[] = {
        {"db", PP_OPT_VALUE, &eo.db},
        {"snapshot", PP_OPT_VALUE, &snapshot},
        {"policies", PP_OPT_LIST, &policies},
        {"env", PP_OPT_VALUE, &eo.env},
        {"suppressions", PP_OPT_VALUE, &eo.suppressions},
        {"out", PP_OPT_VALUE, &eo.out},
        {"format", PP_OPT_VALUE, &eo.formats},
        {"fail-on", PP_OPT_VALUE, &eo.fail_on},
        {"quiet", PP_OPT_FLAG, &quiet},
        {NULL},
    };
    pp_ruleset *rs = NULL;
    pp_store *st = NULL;
    pp_inventory *inv = NULL;
    pp_snapshot_info info = {0};
    pp_cli_outcome oc = {0};
    enum pp_severity fail_on;
    int64_t id = 0;
    bool locked = false;
    int exit_code = pp_cli_parse(argc, argv, opts, NULL);
    if (exit_code)
        goto _exit;
    pp_cli_log_init();
    eo.policies = policies;
    eo.quiet = quiet;
    pp_cli_bulk_allocs();
    pp_cli_stage(NULL);
    exit_code = PP_EXIT_USAGE;
    if (pp_cli_fail_on(eo.fail_on, &fail_on) ||
        pp_cli_check_formats("evaluate", eo.formats ? eo.formats : "html,json") ||
        pp_cli_check_out("evaluate", eo.out))
        goto _exit;
    if ((exit_code = pp_cli_load_rules("evaluate", &eo, &rs)))
        goto _exit;
    pp_cli_stage("policies loaded");
    if ((exit_code = pp_cli_open_store("evaluate", eo.db, false, &st)))
        goto _exit;
    /* Evaluating writes an evaluation: one run at a time, as for scan and import. */
    int rc = pp_store_lock(st, "run", 6 * 3600);
    if (rc) {
        exit_code = pp_cli_fail(rc, "evaluate");
        goto _exit;
    }
    locked = true;
    rc = pp_store_resolve_snapshot(st, snapshot ? snapshot : "latest", &id);
    if (!rc)
        rc = pp_store_load_inventory(st, id, NULL, &inv);
    if (!rc)
        rc = pp_store_snapshot_info(st, id, &info);
    if (rc) {
        exit_code = pp_cli_fail(rc == PP_ENOTFOUND ? PP_EINVAL : rc, "evaluate");
        goto _exit;
    }
    pp_cli_stage("inventory loaded");
    if ((exit_code = pp_cli_evaluate("evaluate", st, id, inv, &info, rs, &eo, &oc)))
        goto _exit;
    if (!quiet)
        printf("evaluated snapshot %lld: %zu resources, %zu rules\n", (long long)id,
               pp_inventory_count(inv), pp_ruleset_count(rs));
    pp_cli_print_summary(&oc, &eo);
    exit_code = oc.exit_code;

_exit:
    if (locked)
        pp_store_unlock(st, "run");
    pp_cli_outcome_clear(&oc);
    pp_snapshot_info_clear(&info);
    if (PP_CLI_FREE_AT_EXIT) /* see cli.h */
        pp_inventory_free(inv);
    pp_store_close(st);
    pp_ruleset_free(rs);
    pp_strv_free(policies);
    return exit_code;
}
