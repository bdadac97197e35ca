/* core: buffers, parsing, time, redaction, inventory, type paths. */
#include "pp_core.h"
#include "pp_test.h"

static void buf_limits(void)
{
    pp_buf b;
    pp_buf_init(&b, 8);
    CHECK_INT(pp_buf_puts(&b, "1234"), 0);
    CHECK_INT(pp_buf_printf(&b, "%d", 5678), 0);
    CHECK_STR(pp_buf_cstr(&b), "12345678");
    CHECK_INT(pp_buf_putc(&b, 'x'), PP_EINVAL);
    CHECK_STR(pp_buf_cstr(&b), "12345678");
    pp_buf_free(&b);
    pp_buf_free(NULL);
}

static void parse_long(void)
{
    long v = 0;
    CHECK_INT(pp_parse_long("42", 0, 100, &v), 0);
    CHECK_INT(v, 42);
    CHECK_INT(pp_parse_long("4x", 0, 100, &v), PP_EINVAL);
    CHECK_INT(pp_parse_long("", 0, 100, &v), PP_EINVAL);
    CHECK_INT(pp_parse_long(" 4", 0, 100, &v), PP_EINVAL);
    CHECK_INT(pp_parse_long("101", 0, 100, &v), PP_EINVAL);
}

static void split(void)
{
    size_t n = 0;
    char **v = pp_str_split(" a, b ,,c ", ',', &n);
    CHECK_INT(n, 3);
    CHECK_STR(v[0], "a");
    CHECK_STR(v[1], "b");
    CHECK_STR(v[2], "c");
    CHECK(v[3] == NULL);
    pp_strv_free(v);
}

static void time_parse(void)
{
    time_t t = 0;
    char out[32];
    CHECK_INT(pp_time_parse("2024-01-02T03:04:05Z", &t), 0);
    CHECK_INT(t, 1704164645);
    CHECK_INT(pp_time_parse("2024-01-02T03:04:05.123456Z", &t), 0);
    CHECK_INT(t, 1704164645);
    CHECK_INT(pp_time_parse("2024-01-02T04:04:05+01:00", &t), 0);
    CHECK_INT(t, 1704164645);
    CHECK_INT(pp_time_parse("1704164645.5", &t), 0);
    CHECK_INT(t, 1704164645);
    CHECK_INT(pp_time_parse("2024-01-02", &t), 0);
    pp_time_format(1704164645, out);
    CHECK_STR(out, "2024-01-02T03:04:05Z");
    CHECK_INT(pp_time_parse("2024-13-02", &t), PP_EINVAL);
    CHECK_INT(pp_time_parse("N/A", &t), PP_EINVAL);
    CHECK_INT(pp_time_parse("2024-01-02T03:04", &t), PP_EINVAL);
}

static void redaction(void)
{
    pp_redact_register("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    char *s = pp_redact("secret is wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY here");
    CHECK_STR(s, "secret is [REDACTED] here");
    free(s);
    s = pp_redact("Authorization: AWS4-HMAC-SHA256 Credential=AKID/x, Signature=abc");
    CHECK_STR(s, "Authorization: [REDACTED]");
    free(s);
    s = pp_redact("X-Amz-Security-Token: FQoGZXIvYXdzEXAMPLE");
    CHECK_STR(s, "X-Amz-Security-Token: [REDACTED]");
    free(s);
    s = pp_redact("aws_secret_access_key = abcdEFGH1234");
    CHECK_STR(s, "aws_secret_access_key = [REDACTED]");
    free(s);
    s = pp_redact("{\"SecretAccessKey\":\"abcdEFGH1234\",\"AccessKeyId\":\"ASIAEXAMPLE\"}");
    CHECK_STR(s, "{\"SecretAccessKey\":\"[REDACTED]\",\"AccessKeyId\":\"ASIAEXAMPLE\"}");
    free(s);
    s = pp_redact("<SessionToken>tok/en+==</SessionToken>");
    CHECK_STR(s, "<SessionToken>[REDACTED]</SessionToken>");
    free(s);
    char key[32];
    pp_redact_key_id("AKIAIOSFODNN7EXAMPLE", key);
    CHECK_STR(key, "AKIA****MPLE");
    pp_err_set(PP_EINVAL, "bad key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    CHECK_STR(pp_err_msg(), "bad key [REDACTED]");
}

static void inventory(void)
{
    pp_inventory *inv = pp_inventory_new(PP_SOURCE_AWS);
    json_t *doc = json_pack("{s:s}", "GroupId", "sg-1");
    pp_inventory_add(inv, pp_resource_new("AWS::EC2::SecurityGroup", "sg-1", NULL, "1", "r", doc));
    pp_inventory_add(inv, pp_resource_new("AWS::KMS::Key", "k", NULL, "1", "r", NULL));
    pp_inventory_add(inv, pp_resource_new("AWS::EC2::SecurityGroup", "sg-2", NULL, "1", "r", doc));
    json_decref(doc);
    size_t n = 0;
    pp_resource *const *sgs = pp_inventory_of_type(inv, "AWS::EC2::SecurityGroup", &n);
    CHECK_INT(n, 2);
    CHECK_STR(sgs[1]->id, "sg-2");
    CHECK(pp_inventory_of_type(inv, "AWS::IAM::User", &n) == NULL && n == 0);
    pp_coverage c = {.account = "1",
                     .region = "r",
                     .service = "kms",
                     .operation = "ListKeys",
                     .ok = false,
                     .error = "AccessDenied: no"};
    pp_inventory_add_coverage(inv, &c);
    CHECK(pp_inventory_coverage_error(inv, "1", "r", "kms") != NULL);
    CHECK(pp_inventory_coverage_error(inv, "1", "r", "ec2") == NULL);
    CHECK(pp_inventory_coverage_error_for_type(inv, "1", "r", "AWS::KMS::Key") != NULL);
    pp_coverage fl = {.account = "1",
                      .region = "r",
                      .service = "ec2",
                      .operation = "DescribeFlowLogs",
                      .error = "AccessDenied: no",
                      .types = "AWS::EC2::FlowLog"};
    pp_inventory_add_coverage(inv, &fl);
    pp_coverage one = {.account = "1",
                       .region = "r",
                       .service = "ec2",
                       .operation = "DescribeSecurityGroupRules",
                       .error = "Throttling: x",
                       .per_resource = true};
    pp_inventory_add_coverage(inv, &one);
    CHECK(pp_inventory_coverage_error_for_type(inv, "1", "r", "AWS::EC2::FlowLog") != NULL);
    CHECK(pp_inventory_coverage_error_for_type(inv, "1", "r", "AWS::EC2::SecurityGroup") == NULL);
    CHECK(pp_inventory_coverage_error(inv, "1", "r", "ec2") != NULL);
    pp_inventory_free(inv);
    pp_inventory_free(NULL);
}

static void type_paths(void)
{
    const pp_type *sg = pp_type_find("AWS::EC2::SecurityGroup");
    CHECK(sg != NULL);
    CHECK(pp_type_has_path(sg, "IpPermissions"));
    CHECK(pp_type_has_path(sg, "IpPermissions[]"));
    CHECK(pp_type_has_path(sg, "IpPermissions[].IpRanges[].CidrIp"));
    CHECK(!pp_type_has_path(sg, "IpPermissions[].IpRanges[].Cidr"));
    CHECK(!pp_type_has_path(sg, "IpPerm"));
    const pp_type *key = pp_type_find("AWS::KMS::Key");
    CHECK(pp_type_has_path(key, "KeyPolicy"));
    CHECK(pp_type_has_path(key, "KeyPolicy.Statement[].Effect"));
    CHECK(!pp_type_has_path(key, "KeyPolicyX"));
    CHECK(pp_type_find("AWS::Nope") == NULL);
}

PP_TEST_MAIN(TEST(buf_limits), TEST(parse_long), TEST(split), TEST(time_parse), TEST(redaction),
             TEST(inventory), TEST(type_paths))
