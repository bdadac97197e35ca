/* `parapet iam-policy scan`: the least-privilege IAM policy a scan needs, generated from what the
 * collectors declare (docs/iam-scan-policy.json is this output, checked by a test). */
#include "cli.h"
#include "pp_remediate.h"
#include "pp_scanner.h"

#include <stdlib.h>
#include <string.h>

int pp_cmd_iam_policy(int argc, char **argv)
{
    char **pos = NULL;
    pp_cli_opt opts[] = {{NULL}};
    int exit_code = pp_cli_parse(argc, argv, opts, &pos);
    if (exit_code)
        goto _exit;
    exit_code = PP_EXIT_USAGE;
    if (pp_strv_len(pos) != 1 ||
        (strcmp(pos[0], "scan") != 0 && strcmp(pos[0], "remediate") != 0)) {
        pp_cli_usage_error("iam-policy: expected `parapet iam-policy scan` or `parapet iam-policy "
                           "remediate`");
        goto _exit;
    }
    /* remediate: what the actions declare (docs/iam-remediate-policy.json is this output) */
    json_t *policy =
        strcmp(pos[0], "remediate") == 0 ? pp_remediate_iam_policy() : pp_scan_iam_policy();
    char *text = json_dumps(policy, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", text);
    free(text);
    json_decref(policy);
    exit_code = PP_EXIT_OK;
_exit:
    pp_strv_free(pos);
    return exit_code;
}
