/* ~/.aws/config and ~/.aws/credentials parsing: sections, comments, values kept whole, indented
 * sub-keys, and file:line errors for malformed lines. */
#include "pp_aws.h"
#include "pp_test.h"

#include <stdlib.h>
#include <unistd.h>

static const char *const config_text = "# config file. Comments go on their own line.\n"
                                       "; so do these\n"
                                       "[default]\n"
                                       "region = eu-west-1\n"
                                       "output=json\n"
                                       "\n"
                                       "[profile audit]\n"
                                       "role_arn = arn:aws:iam::111122223333:role/SecurityAudit\n"
                                       "source_profile = default\n"
                                       "external_id = our-external-id # not a comment\n"
                                       "Region : us-east-2\r\n"
                                       "[profile   emu]\n"
                                       "services = local-emu\n"
                                       "credential_process = /usr/local/bin/fetch-creds --json\n"
                                       "empty =\n"
                                       "[services local-emu]\n"
                                       "config_service =\n"
                                       "  endpoint_url = http://127.0.0.1:4566\n"
                                       "  # an indented comment\n"
                                       "iam =\n"
                                       "\tendpoint_url = http://127.0.0.1:4567/\n"
                                       "\tother = x\n"
                                       "[sso-session corp]\n"
                                       "sso_region = us-east-1\n";

static void parse_config(void)
{
    pp_aws_ini *ini = NULL;
    CHECK_INT(pp_aws_ini_parse(&ini, config_text, "config"), 0);
    CHECK(ini != NULL);
    CHECK_STR(pp_aws_ini_get(ini, "default", "region"), "eu-west-1");
    CHECK_STR(pp_aws_ini_get(ini, "default", "output"), "json");
    CHECK_STR(pp_aws_ini_get(ini, "profile audit", "role_arn"),
              "arn:aws:iam::111122223333:role/SecurityAudit");
    /* botocore keeps text after a value: no inline comments */
    CHECK_STR(pp_aws_ini_get(ini, "profile audit", "external_id"),
              "our-external-id # not a comment");
    /* keys are case-insensitive, ':' separates too, CRLF is tolerated */
    CHECK_STR(pp_aws_ini_get(ini, "profile audit", "region"), "us-east-2");
    CHECK_STR(pp_aws_ini_get(ini, "profile audit", "REGION"), "us-east-2");
    /* whitespace inside the header is collapsed */
    CHECK(pp_aws_ini_has_section(ini, "profile emu"));
    CHECK_STR(pp_aws_ini_get(ini, "profile emu", "credential_process"),
              "/usr/local/bin/fetch-creds --json");
    CHECK_STR(pp_aws_ini_get(ini, "profile emu", "empty"), "");
    CHECK_STR(pp_aws_ini_get_sub(ini, "services local-emu", "config_service", "endpoint_url"),
              "http://127.0.0.1:4566");
    CHECK_STR(pp_aws_ini_get_sub(ini, "services local-emu", "iam", "endpoint_url"),
              "http://127.0.0.1:4567/");
    CHECK_STR(pp_aws_ini_get_sub(ini, "services local-emu", "iam", "other"), "x");
    CHECK_STR(pp_aws_ini_get(ini, "services local-emu", "config_service"), "");
    CHECK(pp_aws_ini_get_sub(ini, "services local-emu", "ec2", "endpoint_url") == NULL);
    CHECK(pp_aws_ini_get_sub(ini, "services local-emu", "iam", "nope") == NULL);
    CHECK(pp_aws_ini_has_section(ini, "sso-session corp"));
    CHECK_STR(pp_aws_ini_get(ini, "sso-session corp", "sso_region"), "us-east-1");
    /* section names are case-sensitive; absent things are NULL */
    CHECK(!pp_aws_ini_has_section(ini, "Default"));
    CHECK(pp_aws_ini_get(ini, "default", "missing") == NULL);
    CHECK(pp_aws_ini_get(ini, "nope", "region") == NULL);
    CHECK(pp_aws_ini_get(NULL, "default", "region") == NULL);
    pp_aws_ini_free(ini);
    pp_aws_ini_free(NULL);
}

static void expect_error(const char *text, const char *message)
{
    pp_aws_ini *ini = (pp_aws_ini *)1;
    CHECK_INT(pp_aws_ini_parse(&ini, text, "/home/u/.aws/config"), PP_EINVAL);
    CHECK(ini == NULL);
    CHECK_STR(pp_err_msg(), message);
}

static void errors(void)
{
    expect_error("region = x\n", "/home/u/.aws/config:1: 'region' before any [section] header");
    expect_error("  token = very-secret-value\n[a]\n",
                 "/home/u/.aws/config:1: 'token' before any [section] header");
    expect_error("[default]\nregion\n", "/home/u/.aws/config:2: expected 'key = value'");
    expect_error("[default]\n= value\n", "/home/u/.aws/config:2: expected 'key = value'");
    expect_error("# c\n[default\n", "/home/u/.aws/config:2: section header without ']'");
    expect_error("[]\n", "/home/u/.aws/config:1: empty section name");
    expect_error("[a] b\n", "/home/u/.aws/config:1: unexpected text after section header");
    expect_error("[a]\nk = 1\n\n[a]\n", "/home/u/.aws/config:4: section [a] already defined on "
                                        "line 1");
    expect_error("[a]\nk = 1\nK = 2\n",
                 "/home/u/.aws/config:3: key 'k' already set in [a] on line 2");
    expect_error("[a]\n  sub = 1\n", "/home/u/.aws/config:2: indented line without a key above it");
    expect_error("[services s]\niam =\n  endpoint_url\n",
                 "/home/u/.aws/config:3: expected 'key = value' in an indented block");
    expect_error("[services s]\niam =\n  a = 1\n  a = 2\n",
                 "/home/u/.aws/config:4: duplicate key 'a' under 'iam'");
    /* a trailing comment after a header is fine */
    pp_aws_ini *ini = NULL;
    CHECK_INT(pp_aws_ini_parse(&ini, "[a] # note\nk=v", "x"), 0);
    CHECK_STR(pp_aws_ini_get(ini, "a", "k"), "v");
    pp_aws_ini_free(ini);
}

static void files(void)
{
    pp_aws_ini *ini = NULL;
    /* a missing file is an empty one */
    CHECK_INT(pp_aws_ini_parse_file(&ini, "/nonexistent/parapet/config"), 0);
    CHECK(ini != NULL);
    CHECK(!pp_aws_ini_has_section(ini, "default"));
    pp_aws_ini_free(ini);

    char path[] = "/tmp/parapet-ini-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *bad = "[default]\nregion = eu-west-1\nthis line is wrong\n";
    CHECK(write(fd, bad, strlen(bad)) == (ssize_t)strlen(bad));
    close(fd);
    ini = NULL;
    CHECK_INT(pp_aws_ini_parse_file(&ini, path), PP_EINVAL);
    char *want = pp_xasprintf("%s:3: expected 'key = value'", path);
    CHECK_STR(pp_err_msg(), want);
    free(want);
    unlink(path);

    /* the fixture the credential tests use parses */
    const char *src = getenv("PARAPET_SRC");
    char *fixture = pp_xasprintf("%s/tests/fixtures/aws-config/config", src ? src : "..");
    CHECK_INT(pp_aws_ini_parse_file(&ini, fixture), 0);
    CHECK(pp_aws_ini_has_section(ini, "profile chain-a"));
    pp_aws_ini_free(ini);
    free(fixture);
}

PP_TEST_MAIN(TEST(parse_config), TEST(errors), TEST(files))
