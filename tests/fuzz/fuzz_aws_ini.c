/* Fuzz target: the ~/.aws/config and ~/.aws/credentials parser (aws/ini.c) and its lookups,
 * including the indented sub-sections of [services x]. Parse errors must name the file and line. */
#include "fuzz.h"
#include "pp_aws.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The file reader refuses NUL bytes, so the parser only ever sees C strings. */
    char *text = pp_fuzz_cstr(data, size);
    pp_aws_ini *ini = NULL;
    if (pp_aws_ini_parse(&ini, text, "fuzz.ini") == 0) {
        static const char *const sections[] = {"default", "profile audit", "services local",
                                               "sso-session s", NULL};
        static const char *const keys[] = {
            "region", "role_arn", "source_profile", "credential_process", "endpoint_url",
            "s3",     NULL};
        for (size_t i = 0; sections[i]; i++) {
            (void)pp_aws_ini_has_section(ini, sections[i]);
            for (size_t k = 0; keys[k]; k++) {
                const char *v = pp_aws_ini_get(ini, sections[i], keys[k]);
                if (v)
                    (void)strlen(v);
                v = pp_aws_ini_get_sub(ini, sections[i], keys[k], "endpoint_url");
                if (v)
                    (void)strlen(v);
            }
        }
    } else if (strncmp(pp_err_msg(), "fuzz.ini:", 9) != 0) {
        fprintf(stderr, "parse error without file:line: %s\n", pp_err_msg());
        abort();
    }
    pp_aws_ini_free(ini);
    free(text);
    return 0;
}
