/* Unit tests for the hardening fixes (issue 9): what a hostile endpoint can put into an error code,
 * the hints on errors a person must fix (clock, expired token), the credential report refusing
 * text that is not UTF-8, and the report folder check behind `--out`. */
#include "pp_test.h"

#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect_util.h"
#include "pp_aws.h"
#include "pp_reports.h"

static void error_code_is_one_printable_word(void)
{
    const pp_service *kms = pp_service_find("kms");
    const pp_op *op = pp_op_find("kms", "ListKeys");
    const char *body = "{\"__type\":\"Evil\\nforged line\\u0001\",\"message\":\"m\"}";
    pp_aws_resp r = {0};
    CHECK_INT(pp_aws_decode(kms, op, 400, NULL, 0, body, strlen(body), &r), PP_EAWS);
    CHECK_STR(r.code, "Evil_forged_line_");
    pp_aws_resp_clear(&r);

    char big[1024] = "{\"__type\":\"";
    size_t n = strlen(big);
    memset(big + n, 'A', 600);
    memcpy(big + n + 600, "\"}", 3);
    CHECK_INT(pp_aws_decode(kms, op, 400, NULL, 0, big, strlen(big), &r), PP_EAWS);
    CHECK_INT(strlen(r.code), 128);
    pp_aws_resp_clear(&r);
}

static pp_aws_resp decode(const char *service, const char *operation, const char *body)
{
    pp_aws_resp r = {0};
    pp_aws_decode(pp_service_find(service), pp_op_find(service, operation), 200, NULL, 0, body,
                  strlen(body), &r);
    return r;
}

static void wrong_types_where_a_list_belongs(void)
{
    /* Kept, {"Keys": 5} would read as "no keys" and every key rule would have nothing to FAIL. */
    pp_aws_resp r = decode("kms", "ListKeys", "{\"Keys\": 5}");
    CHECK(!r.ok);
    CHECK_STR(r.code, "InvalidResponse");
    CHECK_STR(r.message, "kms ListKeys: 1 value of the wrong type where a list or structure "
                         "belongs");
    pp_aws_resp_clear(&r);
    r = decode("cloudtrail", "DescribeTrails", "{\"trailList\": [{\"Name\": \"t\"}, \"x\"]}");
    CHECK_STR(r.code, "InvalidResponse");
    pp_aws_resp_clear(&r);
    r = decode("guardduty", "ListDetectors", "{\"detectorIds\": \"abc\"}");
    CHECK_STR(r.code, "InvalidResponse");
    pp_aws_resp_clear(&r);
    /* XML: text where a list's items belong */
    r = decode("ec2", "DescribeSecurityGroups",
               "<DescribeSecurityGroupsResponse><securityGroupInfo><item><groupId>sg-1</groupId>"
               "<ipPermissions><item><ipProtocol>tcp</ipProtocol><ipRanges>0.0.0.0/0</ipRanges>"
               "</item></ipPermissions></item></securityGroupInfo>"
               "</DescribeSecurityGroupsResponse>");
    CHECK_STR(r.code, "InvalidResponse");
    pp_aws_resp_clear(&r);
    r = decode("s3", "GetPublicAccessBlock",
               "<PublicAccessBlockConfiguration>on</PublicAccessBlockConfiguration>");
    CHECK_STR(r.code, "InvalidResponse");
    pp_aws_resp_clear(&r);
    /* A scalar of the wrong type is kept as text: rules report it (ERROR), the rest is usable. */
    r = decode("ec2", "DescribeSecurityGroups",
               "<DescribeSecurityGroupsResponse>\n  <securityGroupInfo>\n <item><groupId>sg-1"
               "</groupId><ipPermissions><item><fromPort>twenty-two</fromPort></item>"
               "</ipPermissions></item></securityGroupInfo></DescribeSecurityGroupsResponse>");
    CHECK(r.ok);
    json_t *port = json_object_get(
        json_array_get(json_object_get(json_array_get(json_object_get(r.data, "SecurityGroups"), 0),
                                       "IpPermissions"),
                       0),
        "FromPort");
    CHECK_STR(json_string_value(port), "twenty-two");
    pp_aws_resp_clear(&r);
}

static char *error_line(const char *code, const char *message)
{
    pp_aws_resp r = {.code = (char *)code, .message = (char *)message};
    return pp_aws_resp_error(&r);
}

static void hints_for_what_a_person_must_fix(void)
{
    char *l = error_line("ExpiredToken", "The security token included in the request is expired");
    CHECK_STR(l, "ExpiredToken: The security token included in the request is expired (the "
                 "session token has expired: get new credentials)");
    free(l);
    l = error_line("SignatureDoesNotMatch", "Signature expired: 20240101T000000Z is now earlier "
                                            "than 20240101T001500Z (20240101T003000Z - 15 min.)");
    CHECK(strstr(l, "(this machine's clock is off by more than the 15 minutes AWS accepts)"));
    free(l);
    l = error_line("RequestTimeTooSkewed", NULL);
    CHECK(strstr(l, "RequestTimeTooSkewed (this machine's clock is off"));
    free(l);
    l = error_line("RequestExpired", "Request has expired.");
    CHECK(strstr(l, "session token has expired, or this machine's clock is off"));
    free(l);
    /* A wrong secret is not a clock problem. */
    l = error_line("SignatureDoesNotMatch", "The request signature we calculated does not match");
    CHECK_STR(l, "SignatureDoesNotMatch: The request signature we calculated does not match");
    free(l);
}

static void credential_report_not_utf8(void)
{
    json_t *rows = NULL;
    const char *bad_value = "user,mfa_active\nalice,\xff\xfe\n";
    CHECK_INT(pp_csv_parse(bad_value, strlen(bad_value), 10, &rows), PP_EINVAL);
    CHECK_STR(pp_err_msg(), "line 2: field 2 is not UTF-8");
    CHECK(rows == NULL);
    const char *bad_header = "user,mfa_\xc3\x28\nalice,true\n";
    CHECK_INT(pp_csv_parse(bad_header, strlen(bad_header), 10, &rows), PP_EINVAL);
    const char *good = "user,mfa_active\nalice,true\n\"b\xc3\xa9\",false\n";
    CHECK_INT(pp_csv_parse(good, strlen(good), 10, &rows), 0);
    CHECK_INT(json_array_size(rows), 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(rows, 1), "user")), "b\xc3\xa9");
    json_decref(rows);
}

static void report_folder_check(void)
{
    char base[] = "/tmp/parapet-harden-XXXXXX";
    CHECK(mkdtemp(base) != NULL);
    char *missing = pp_xasprintf("%s/new", base);
    char *file = pp_xasprintf("%s/file", base);
    char *open = pp_xasprintf("%s/open", base);
    char *foreign = pp_xasprintf("%s/foreign", base);
    FILE *f = fopen(file, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    CHECK_INT(pp_report_check_dir(base), 0);
    CHECK_INT(pp_report_check_dir(missing), 0);
    CHECK_INT(pp_report_check_dir(file), PP_EIO);
    CHECK_INT(pp_report_check_dir(""), PP_EINVAL);
    /* World-writable but ours: another user cannot have planted anything we would trust. */
    CHECK_INT(mkdir(open, 0700), 0);
    CHECK_INT(chmod(open, 0777), 0);
    CHECK_INT(pp_report_check_dir(open), 0);
    /* World-writable and someone else's: refused, and pp_report_write_all writes nothing. */
    const char *theirs = NULL;
    if (geteuid() == 0) {
        CHECK_INT(mkdir(foreign, 0700), 0);
        CHECK_INT(chown(foreign, 65534, 65534), 0);
        CHECK_INT(chmod(foreign, 01777), 0);
        theirs = foreign;
    } else {
        struct stat st;
        if (stat("/tmp", &st) == 0 && (st.st_mode & S_IWOTH) && st.st_uid != geteuid())
            theirs = "/tmp";
    }
    if (theirs) {
        CHECK_INT(pp_report_check_dir(theirs), PP_EINVAL);
        CHECK(strstr(pp_err_msg(), "world-writable folder owned by another user") != NULL);
        pp_results *res = pp_results_new();
        pp_report_input in = {.results = res};
        CHECK_INT(pp_report_write_all("json", &in, theirs), PP_EINVAL);
        char *json = pp_xasprintf("%s/report.json", theirs);
        CHECK(access(json, F_OK) != 0);
        free(json);
        pp_results_free(res);
    }
    /* Reports in a folder of our own are 0600, the folder it creates 0700. */
    pp_results *res = pp_results_new();
    pp_report_input in = {.results = res};
    CHECK_INT(pp_report_write_all("json,csv", &in, missing), 0);
    struct stat st;
    CHECK_INT(stat(missing, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0700);
    char *json = pp_xasprintf("%s/report.json", missing);
    CHECK_INT(stat(json, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    unlink(json);
    free(json);
    char *csv = pp_xasprintf("%s/report.csv", missing);
    unlink(csv);
    free(csv);
    pp_results_free(res);

    rmdir(missing);
    unlink(file);
    rmdir(open);
    rmdir(foreign);
    rmdir(base);
    free(missing);
    free(file);
    free(open);
    free(foreign);
}

PP_TEST_MAIN(TEST(error_code_is_one_printable_word), TEST(wrong_types_where_a_list_belongs),
             TEST(hints_for_what_a_person_must_fix), TEST(credential_report_not_utf8),
             TEST(report_folder_check))
