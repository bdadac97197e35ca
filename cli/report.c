/* `parapet report`: write the reports of a stored evaluation again, in any format, optionally
 * against another snapshot for the changes section. */
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>

int pp_cmd_report(int argc, char **argv)
{
    const char *snapshot = NULL, *compare = NULL;
    bool quiet = false;
    pp_cli_eval_opts eo = {0};
    pp_cli_opt opts[] = {
        {"db", PP_OPT_VALUE, &eo.db},          {"snapshot", PP_OPT_VALUE, &snapshot},
        {"compare", PP_OPT_VALUE, &compare},   {"out", PP_OPT_VALUE, &eo.out},
        {"format", PP_OPT_VALUE, &eo.formats}, {"fail-on", PP_OPT_VALUE, &eo.fail_on},
        {"quiet", PP_OPT_FLAG, &quiet},        {NULL},
    };
    pp_store *st = NULL;
    pp_cli_outcome oc = {0};
    enum pp_severity fail_on;
    int64_t id = 0, cmp = 0;
    int exit_code = pp_cli_parse(argc, argv, opts, NULL);
    if (exit_code)
        goto _exit;
    pp_cli_log_init();
    eo.quiet = quiet;
    exit_code = PP_EXIT_USAGE;
    if (pp_cli_fail_on(eo.fail_on, &fail_on) ||
        pp_cli_check_formats("report", eo.formats ? eo.formats : "html,json") ||
        pp_cli_check_out("report", eo.out))
        goto _exit;
    if ((exit_code = pp_cli_open_store("report", eo.db, false, &st)))
        goto _exit;
    int rc = pp_store_resolve_snapshot(st, snapshot ? snapshot : "latest", &id);
    if (!rc && compare && strcmp(compare, "previous") != 0)
        rc = pp_store_resolve_snapshot(st, compare, &cmp);
    if (rc) {
        exit_code = pp_cli_fail(rc == PP_ENOTFOUND ? PP_EINVAL : rc, "report");
        goto _exit;
    }
    if ((exit_code = pp_cli_report_from_store("report", st, id, cmp, &eo, &oc)))
        goto _exit;
    pp_cli_print_summary(&oc, &eo);
    exit_code = oc.exit_code;

_exit:
    pp_cli_outcome_clear(&oc);
    pp_store_close(st);
    return exit_code;
}
