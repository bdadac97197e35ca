/* aws/ protocol codecs on hand-written responses in AWS's wire formats
 * (tests/fixtures/aws-responses/): decoding into the AWS CLI's output shape, errors of every
 * dialect, hostile and broken bodies; request encoding for query, EC2, JSON 1.1, REST-JSON and
 * REST-XML; and the consistency of the operations table with the shape definitions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_test.h"
#include "wire.h"

#define FIXTURES "/tests/fixtures/aws-responses/"

static char *fixture(const char *name, size_t *len)
{
    const char *src = getenv("PARAPET_SRC");
    char path[1024];
    snprintf(path, sizeof(path), "%s" FIXTURES "%s", src ? src : "..", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open fixture %s (set PARAPET_SRC)\n", path);
        pp_test_failures++;
        *len = 0;
        return pp_xstrdup("");
    }
    pp_buf b;
    pp_buf_init(&b, 0);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        pp_buf_append(&b, chunk, n);
    fclose(f);
    *len = b.len;
    return pp_buf_steal(&b);
}

static json_t *expected(const char *name)
{
    size_t len;
    char *text = fixture(name, &len);
    json_error_t err;
    json_t *v = json_loadb(text, len, 0, &err);
    if (!v) {
        fprintf(stderr, "%s:%d: %s\n", name, err.line, err.text);
        pp_test_failures++;
    }
    free(text);
    return v;
}

static void show_mismatch(const char *what, json_t *got, json_t *want)
{
    char *g = json_dumps(got, JSON_SORT_KEYS | JSON_INDENT(1));
    char *w = json_dumps(want, JSON_SORT_KEYS | JSON_INDENT(1));
    fprintf(stderr, "[%s] %s\n--- got\n%s\n--- expected\n%s\n", pp_test_current, what,
            g ? g : "(null)", w ? w : "(null)");
    free(g);
    free(w);
    pp_test_failures++;
}

/* Decodes a fixture and compares the result with its .expected.json twin. */
static void decode_ok(const char *service, const char *operation, long status,
                      const pp_http_header *h, size_t nh, const char *file, const char *want_file)
{
    const pp_service *svc = pp_service_find(service);
    const pp_op *op = pp_op_find(service, operation);
    CHECK(svc != NULL);
    CHECK(op != NULL);
    if (!svc || !op)
        return;
    size_t len;
    char *body = fixture(file, &len);
    pp_aws_resp r = {0};
    int rc = pp_aws_decode(svc, op, status, h, nh, body, len, &r);
    CHECK_INT(rc, 0);
    CHECK(r.ok);
    CHECK_INT(r.http_status, status);
    json_t *want = expected(want_file);
    if (!r.data || !want || !json_equal(r.data, want))
        show_mismatch(file, r.data, want);
    if (!r.ok)
        fprintf(stderr, "  error: %s: %s\n", r.code, r.message);
    json_decref(want);
    pp_aws_resp_clear(&r);
    free(body);
}

/* Decodes a fixture that must fail with `code`; returns the response for further checks. */
static pp_aws_resp decode_err(const char *service, const char *operation, long status,
                              const pp_http_header *h, size_t nh, const char *body, size_t len,
                              const char *code)
{
    pp_aws_resp r = {0};
    int rc = pp_aws_decode(pp_service_find(service), pp_op_find(service, operation), status, h, nh,
                           body, len, &r);
    CHECK_INT(rc, PP_EAWS);
    CHECK(!r.ok);
    CHECK(r.data == NULL);
    CHECK_STR(r.code, code);
    CHECK(r.message != NULL);
    return r;
}

static pp_aws_resp decode_err_file(const char *service, const char *operation, long status,
                                   const pp_http_header *h, size_t nh, const char *file,
                                   const char *code)
{
    size_t len;
    char *body = fixture(file, &len);
    pp_aws_resp r = decode_err(service, operation, status, h, nh, body, len, code);
    free(body);
    return r;
}

/* ---- query (IAM, STS, SNS, CloudWatch) ------------------------------------------------------- */

static void query_success(void)
{
    decode_ok("iam", "ListUsers", 200, NULL, 0, "iam-list-users.xml",
              "iam-list-users.expected.json");
    decode_ok("iam", "GetAccountAuthorizationDetails", 200, NULL, 0, "iam-gaad.xml",
              "iam-gaad.expected.json");
    decode_ok("iam", "GetAccountSummary", 200, NULL, 0, "iam-get-account-summary.xml",
              "iam-get-account-summary.expected.json");
    decode_ok("iam", "GetAccountPasswordPolicy", 200, NULL, 0, "iam-password-policy.xml",
              "iam-password-policy.expected.json");
    decode_ok("iam", "UpdateAccountPasswordPolicy", 200, NULL, 0, "iam-update-password-policy.xml",
              "iam-update-password-policy.expected.json");
    decode_ok("sts", "AssumeRole", 200, NULL, 0, "sts-assume-role.xml",
              "sts-assume-role.expected.json");
    decode_ok("sns", "GetTopicAttributes", 200, NULL, 0, "sns-get-topic-attributes.xml",
              "sns-get-topic-attributes.expected.json");
    decode_ok("cloudwatch", "DescribeAlarms", 200, NULL, 0, "cloudwatch-describe-alarms.xml",
              "cloudwatch-describe-alarms.expected.json");
}

static void query_request_ids(void)
{
    size_t len;
    char *body = fixture("iam-list-users.xml", &len);
    pp_aws_resp r = {0};
    pp_aws_decode(pp_service_find("iam"), pp_op_find("iam", "ListUsers"), 200, NULL, 0, body, len,
                  &r);
    CHECK_STR(r.request_id, "4d1e7c2a-0000-4000-8000-000000000001");
    pp_aws_resp_clear(&r);
    free(body);
    /* A header wins over the body. */
    body = fixture("iam-list-users.xml", &len);
    pp_http_header h[] = {{"X-Amzn-RequestId", "from-header"}};
    pp_aws_decode(pp_service_find("iam"), pp_op_find("iam", "ListUsers"), 200, h, 1, body, len, &r);
    CHECK_STR(r.request_id, "from-header");
    pp_aws_resp_clear(&r);
    free(body);
}

static void query_errors(void)
{
    pp_aws_resp r = decode_err_file("iam", "GetAccountPasswordPolicy", 404, NULL, 0,
                                    "iam-error-nosuchentity.xml", "NoSuchEntity");
    CHECK_STR(r.message, "The Password Policy with domain name 111122223333 cannot be found.");
    CHECK_STR(r.request_id, "4d1e7c2a-0000-4000-8000-000000000002");
    CHECK_INT(r.http_status, 404);
    char *line = pp_aws_resp_error(&r);
    CHECK_STR(line, "NoSuchEntity: The Password Policy with domain name 111122223333 cannot be "
                    "found.");
    free(line);
    pp_aws_resp_clear(&r);

    /* moto's auth layer: <ErrorResponse><Errors><Error>. */
    const char *moto = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ErrorResponse><Errors><Error>"
                       "<Code>InvalidClientTokenId</Code><Message>The security token included in "
                       "the request is invalid.</Message><Type>Sender</Type></Error></Errors>"
                       "</ErrorResponse>";
    r = decode_err("sts", "GetCallerIdentity", 403, NULL, 0, moto, strlen(moto),
                   "InvalidClientTokenId");
    CHECK_STR(r.message, "The security token included in the request is invalid.");
    pp_aws_resp_clear(&r);

    /* An error document that arrives with status 200 is still an error. */
    const char *err200 = "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded"
                         "</Message></Error><RequestId>r-1</RequestId></ErrorResponse>";
    r = decode_err("iam", "ListUsers", 200, NULL, 0, err200, strlen(err200), "Throttling");
    CHECK_STR(r.request_id, "r-1");
    pp_aws_resp_clear(&r);
}

static void iam_policy_documents(void)
{
    /* An undecodable document stays a string (and is logged); the rest still decodes. */
    decode_ok("iam", "GetPolicyVersion", 200, NULL, 0, "iam-policy-version-bad-document.xml",
              "iam-policy-version-bad-document.expected.json");
    char *s = pp_wire_percent_decode("a%20b+c%2Bd%zz%4");
    CHECK_STR(s, "a b+c+d%zz%4");
    free(s);
}

/* ---- EC2 ------------------------------------------------------------------------------------ */

static void ec2_success(void)
{
    decode_ok("ec2", "DescribeSecurityGroups", 200, NULL, 0, "ec2-describe-security-groups.xml",
              "ec2-describe-security-groups.expected.json");
    decode_ok("ec2", "DescribeSecurityGroups", 200, NULL, 0,
              "ec2-describe-security-groups-empty-page.xml",
              "ec2-describe-security-groups-empty-page.expected.json");
    decode_ok("ec2", "DescribeNetworkAcls", 200, NULL, 0, "ec2-describe-network-acls.xml",
              "ec2-describe-network-acls.expected.json");
    decode_ok("ec2", "DescribeInstances", 200, NULL, 0, "ec2-describe-instances.xml",
              "ec2-describe-instances.expected.json");
    decode_ok("ec2", "DescribeVpcEndpoints", 200, NULL, 0, "ec2-describe-vpc-endpoints.xml",
              "ec2-describe-vpc-endpoints.expected.json");

    size_t len;
    char *body = fixture("ec2-describe-security-groups.xml", &len);
    pp_aws_resp r = {0};
    pp_aws_decode(pp_service_find("ec2"), pp_op_find("ec2", "DescribeSecurityGroups"), 200, NULL, 0,
                  body, len, &r);
    CHECK_STR(r.request_id, "59dbff89-0000-4000-8000-000000000004");
    CHECK(json_object_get(r.data, "RequestId") == NULL); /* <requestId> is metadata */
    pp_aws_resp_clear(&r);
    free(body);
}

static void ec2_errors(void)
{
    pp_aws_resp r = decode_err_file("ec2", "DescribeSecurityGroups", 400, NULL, 0,
                                    "ec2-error-not-found.xml", "InvalidGroup.NotFound");
    CHECK_STR(r.message, "The security group 'sg-1' does not exist");
    CHECK_STR(r.request_id, "7a62c49f-0000-4000-8000-000000000003"); /* <RequestID> */
    pp_aws_resp_clear(&r);
    r = decode_err_file("ec2", "DescribeVpcs", 503, NULL, 0, "ec2-error-throttled.xml",
                        "RequestLimitExceeded");
    CHECK_INT(pp_aws_retry_classify(0, r.http_status, r.code), PP_RETRY_THROTTLE);
    pp_aws_resp_clear(&r);
}

/* ---- JSON 1.1 -------------------------------------------------------------------------------- */

static void json_success(void)
{
    pp_http_header h[] = {{"Content-Type", "application/x-amz-json-1.1"},
                          {"x-amzn-RequestId", "d5b4ec6c-0000-4000-8000-000000000012"}};
    decode_ok("kms", "ListKeys", 200, h, 2, "kms-list-keys.json", "kms-list-keys.expected.json");
    decode_ok("kms", "DescribeKey", 200, h, 2, "kms-describe-key.json",
              "kms-describe-key.expected.json");
    decode_ok("kms", "GetKeyPolicy", 200, h, 2, "kms-get-key-policy.json",
              "kms-get-key-policy.expected.json");
    decode_ok("cloudtrail", "DescribeTrails", 200, h, 2, "cloudtrail-describe-trails.json",
              "cloudtrail-describe-trails.expected.json");
    decode_ok("cloudtrail", "GetTrailStatus", 200, h, 2, "cloudtrail-get-trail-status.json",
              "cloudtrail-get-trail-status.expected.json");
    decode_ok("config", "DescribeConfigurationRecorderStatus", 200, h, 2,
              "config-recorder-status.json", "config-recorder-status.expected.json");
    decode_ok("logs", "DescribeMetricFilters", 200, h, 2, "logs-describe-metric-filters.json",
              "logs-describe-metric-filters.expected.json");

    size_t len;
    char *body = fixture("kms-list-keys.json", &len);
    pp_aws_resp r = {0};
    pp_aws_decode(pp_service_find("kms"), pp_op_find("kms", "ListKeys"), 200, h, 2, body, len, &r);
    CHECK_STR(r.request_id, "d5b4ec6c-0000-4000-8000-000000000012");
    pp_aws_resp_clear(&r);
    free(body);

    /* Operations without output answer {} or nothing at all. */
    r = (pp_aws_resp){0};
    CHECK_INT(pp_aws_decode(pp_service_find("kms"), pp_op_find("kms", "EnableKeyRotation"), 200, h,
                            2, "", 0, &r),
              0);
    CHECK(json_is_object(r.data) && json_object_size(r.data) == 0);
    pp_aws_resp_clear(&r);
}

static void json_errors(void)
{
    pp_http_header h[] = {{"x-amzn-RequestId", "d5b4ec6c-0000-4000-8000-000000000013"}};
    pp_aws_resp r = decode_err_file("kms", "DescribeKey", 400, h, 1, "kms-error-not-found.json",
                                    "NotFoundException");
    CHECK_STR(r.message, "Key 'arn:aws:kms:eu-west-1:111122223333:key/0000' does not exist");
    CHECK_STR(r.request_id, "d5b4ec6c-0000-4000-8000-000000000013");
    pp_aws_resp_clear(&r);
    /* __type: anything from ':' on goes; the message may be "Message". */
    r = decode_err_file("cloudtrail", "DescribeTrails", 400, NULL, 0, "json-error-throttling.json",
                        "ThrottlingException");
    CHECK_STR(r.message, "Rate exceeded");
    pp_aws_resp_clear(&r);
    /* JSON 1.1: the body's __type is the code even when a header disagrees. */
    pp_http_header eh[] = {{"X-Amzn-ErrorType", "SomethingElse"}};
    r = decode_err_file("kms", "DescribeKey", 400, eh, 1, "kms-error-not-found.json",
                        "NotFoundException");
    pp_aws_resp_clear(&r);
    /* An XML error from a front end in front of a JSON service. */
    const char *xml = "<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>"
                      "bad</Message></Error></Errors></ErrorResponse>";
    r = decode_err("kms", "ListKeys", 403, NULL, 0, xml, strlen(xml), "SignatureDoesNotMatch");
    pp_aws_resp_clear(&r);
}

/* ---- REST-JSON (GuardDuty) ------------------------------------------------------------------- */

static void restjson(void)
{
    decode_ok("guardduty", "ListDetectors", 200, NULL, 0, "guardduty-list-detectors.json",
              "guardduty-list-detectors.expected.json");
    decode_ok("guardduty", "GetDetector", 200, NULL, 0, "guardduty-get-detector.json",
              "guardduty-get-detector.expected.json");
    /* X-Amzn-ErrorType first (text before ':'), then the body. */
    pp_http_header h[] = {
        {"X-Amzn-ErrorType", "BadRequestException:http://internal.amazon.com/coral/"},
        {"X-Amzn-RequestId", "a1b2"}};
    pp_aws_resp r = decode_err_file("guardduty", "GetDetector", 400, h, 2, "guardduty-error.json",
                                    "BadRequestException");
    CHECK(strstr(r.message, "not owned by the current account") != NULL);
    CHECK_STR(r.request_id, "a1b2");
    pp_aws_resp_clear(&r);
    r = decode_err_file("guardduty", "GetDetector", 400, NULL, 0, "guardduty-error.json",
                        "InvalidInputException");
    pp_aws_resp_clear(&r);
    /* A bare 429 without a body: HTTP429, which the retry rules treat as throttling. */
    r = decode_err("guardduty", "ListDetectors", 429, NULL, 0, "", 0, "HTTP429");
    CHECK_INT(pp_aws_retry_classify(0, 429, r.code), PP_RETRY_THROTTLE);
    pp_aws_resp_clear(&r);
}

/* ---- REST-XML (S3) ----------------------------------------------------------------------------
 */

static void restxml(void)
{
    pp_http_header h[] = {{"x-amz-request-id", "4442587FB7D0A2F9"}};
    decode_ok("s3", "ListBuckets", 200, h, 1, "s3-list-buckets.xml",
              "s3-list-buckets.expected.json");
    decode_ok("s3", "GetBucketPolicy", 200, h, 1, "s3-get-bucket-policy.json",
              "s3-get-bucket-policy.expected.json");
    decode_ok("s3", "GetPublicAccessBlock", 200, h, 1, "s3-get-public-access-block.xml",
              "s3-get-public-access-block.expected.json");
    decode_ok("s3", "GetBucketLogging", 200, h, 1, "s3-get-bucket-logging.xml",
              "s3-get-bucket-logging.expected.json");
    decode_ok("s3", "GetBucketLogging", 200, h, 1, "s3-get-bucket-logging-disabled.xml",
              "s3-get-bucket-logging-disabled.expected.json");
    decode_ok("s3", "GetBucketEncryption", 200, h, 1, "s3-get-bucket-encryption.xml",
              "s3-get-bucket-encryption.expected.json");
    decode_ok("s3", "GetBucketLocation", 200, h, 1, "s3-get-bucket-location.xml",
              "s3-get-bucket-location.expected.json");
    decode_ok("s3", "GetBucketLocation", 200, h, 1, "s3-get-bucket-location-us-east-1.xml",
              "s3-get-bucket-location-us-east-1.expected.json");
    pp_aws_resp r = decode_err_file("s3", "GetBucketPolicy", 404, NULL, 0, "s3-error-no-policy.xml",
                                    "NoSuchBucketPolicy");
    CHECK_STR(r.message, "The bucket policy does not exist");
    CHECK_STR(r.request_id, "4442587FB7D0A2F9");
    pp_aws_resp_clear(&r);
    /* A policy that is not JSON stays text. */
    r = (pp_aws_resp){0};
    CHECK_INT(pp_aws_decode(pp_service_find("s3"), pp_op_find("s3", "GetBucketPolicy"), 200, NULL,
                            0, "not json", 8, &r),
              0);
    CHECK_STR(json_string_value(json_object_get(r.data, "Policy")), "not json");
    pp_aws_resp_clear(&r);
}

/* ---- hostile and broken bodies ----------------------------------------------------------------
 */

static void broken_bodies(void)
{
    /* A proxy's HTML page: HTTP<status>, a short tag-free message, retryable as a 5xx. */
    pp_aws_resp r =
        decode_err_file("ec2", "DescribeVpcs", 502, NULL, 0, "bad-proxy-502.html", "HTTP502");
    CHECK_STR(r.message, "502 Bad Gateway 502 Bad Gateway nginx/1.25.3");
    CHECK_INT(pp_aws_retry_classify(0, 502, r.code), PP_RETRY_TRANSIENT);
    pp_aws_resp_clear(&r);
    r = decode_err_file("kms", "ListKeys", 502, NULL, 0, "bad-proxy-502.html", "HTTP502");
    pp_aws_resp_clear(&r);
    /* A 200 whose body is cut off, of the wrong kind, or not an object: never an empty list. */
    r = decode_err_file("ec2", "DescribeSecurityGroups", 200, NULL, 0, "bad-truncated.xml",
                        "InvalidResponse");
    pp_aws_resp_clear(&r);
    r = decode_err_file("iam", "ListUsers", 200, NULL, 0, "bad-wrong-root.xml", "InvalidResponse");
    CHECK(strstr(r.message, "expected <ListUsersResponse>") != NULL);
    pp_aws_resp_clear(&r);
    r = decode_err_file("s3", "GetBucketLogging", 200, NULL, 0, "bad-wrong-root.xml",
                        "InvalidResponse");
    pp_aws_resp_clear(&r);
    r = decode_err_file("kms", "ListKeys", 200, NULL, 0, "bad-json-array.json", "InvalidResponse");
    pp_aws_resp_clear(&r);
    r = decode_err_file("kms", "ListKeys", 200, NULL, 0, "bad-json-truncated.json",
                        "InvalidResponse");
    pp_aws_resp_clear(&r);
    r = decode_err_file("guardduty", "ListDetectors", 200, NULL, 0, "bad-json-truncated.json",
                        "InvalidResponse");
    pp_aws_resp_clear(&r);
    r = decode_err("iam", "ListUsers", 200, NULL, 0, "", 0, "InvalidResponse");
    pp_aws_resp_clear(&r);
    /* An empty error body still names the status. */
    r = decode_err("iam", "ListUsers", 503, NULL, 0, "", 0, "HTTP503");
    CHECK_STR(r.message, "HTTP status 503");
    pp_aws_resp_clear(&r);
}

static void xml_entities_refused(void)
{
    size_t len;
    char *body = fixture("bad-external-entity.xml", &len);
    pp_aws_resp r = decode_err("iam", "ListUsers", 200, NULL, 0, body, len, "InvalidResponse");
    CHECK(strstr(r.message, "DTD") != NULL);
    CHECK(strstr(r.message, "root:") == NULL); /* nothing of /etc/passwd */
    pp_aws_resp_clear(&r);
    /* As an error body too: no entity is ever expanded into a message. */
    r = decode_err("iam", "ListUsers", 400, NULL, 0, body, len, "HTTP400");
    CHECK(strstr(r.message, "root:") == NULL);
    pp_aws_resp_clear(&r);
    free(body);
}

static char *nested(const char *open, const char *close, int depth, const char *prefix,
                    const char *suffix)
{
    pp_buf b;
    pp_buf_init(&b, 0);
    pp_buf_puts(&b, prefix);
    for (int i = 0; i < depth; i++)
        pp_buf_puts(&b, open);
    for (int i = 0; i < depth; i++)
        pp_buf_puts(&b, close);
    pp_buf_puts(&b, suffix);
    return pp_buf_steal(&b);
}

static void depth_limits(void)
{
    /* 250 levels inside the result decode (generically); 300 are refused. */
    char *ok = nested("<a>", "</a>", 250, "<ListUsersResponse><ListUsersResult><Users/>",
                      "</ListUsersResult></ListUsersResponse>");
    pp_aws_resp r = {0};
    CHECK_INT(pp_aws_decode(pp_service_find("iam"), pp_op_find("iam", "ListUsers"), 200, NULL, 0,
                            ok, strlen(ok), &r),
              0);
    CHECK(json_object_get(r.data, "A") != NULL);
    pp_aws_resp_clear(&r);
    free(ok);
    char *deep = nested("<a>", "</a>", 300, "<ListUsersResponse><ListUsersResult>",
                        "</ListUsersResult></ListUsersResponse>");
    r = decode_err("iam", "ListUsers", 200, NULL, 0, deep, strlen(deep), "InvalidResponse");
    pp_aws_resp_clear(&r);
    free(deep);
    char *json = nested("[", "]", 300, "{\"Keys\":", "}");
    r = decode_err("kms", "ListKeys", 200, NULL, 0, json, strlen(json), "InvalidResponse");
    CHECK(strstr(r.message, "JSON nested deeper than") != NULL);
    pp_aws_resp_clear(&r);
    free(json);
    /* A deep policy document inside a good response stays a string. */
    char *inner = nested("[", "]", 300, "{\\\"a\\\":", "}");
    char *body = pp_xasprintf("{\"Policy\":\"%s\",\"PolicyName\":\"default\"}", inner);
    r = (pp_aws_resp){0};
    CHECK_INT(pp_aws_decode(pp_service_find("kms"), pp_op_find("kms", "GetKeyPolicy"), 200, NULL, 0,
                            body, strlen(body), &r),
              0);
    CHECK(json_is_string(json_object_get(r.data, "Policy")));
    pp_aws_resp_clear(&r);
    free(inner);
    free(body);
}

static void timestamps(void)
{
    const char *in[] = {"2023-04-01T10:00:00Z", "2023-04-01T10:00:00.000Z",
                        "2023-04-01T12:00:00+02:00", "1680343200", "1680343200.75"};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        json_t *t = pp_wire_timestamp(in[i]);
        CHECK_STR(json_string_value(t), "2023-04-01T10:00:00Z");
        json_decref(t);
    }
    CHECK(pp_wire_timestamp("yesterday") == NULL);
}

/* ---- encoding ------------------------------------------------------------------------------- */

static void query_encoding(void)
{
    pp_buf b;
    pp_buf_init(&b, 0);
    json_t *in = json_pack("{s:[s,s],s:i}", "Filter", "User", "Role", "MaxItems", 100);
    CHECK_INT(pp_aws_query_encode(pp_service_find("iam"), "GetAccountAuthorizationDetails", in, &b),
              0);
    CHECK_STR(pp_buf_cstr(&b), "Action=GetAccountAuthorizationDetails&Version=2010-05-08"
                               "&Filter.member.1=User&Filter.member.2=Role&MaxItems=100");
    json_decref(in);

    /* Values are form-encoded (space is +, a literal + is %2B); objects are Name.Key; maps
     * entry.N. */
    pp_buf_reset(&b);
    in = json_pack("{s:s,s:[{s:s}],s:b,s:{s:{s:s,s:s}},s:[],s:n}", "RoleSessionName", "a b+c/é~",
                   "PolicyArns", "arn", "arn:aws:iam::aws:policy/ReadOnlyAccess", "Flag", 0,
                   "Attributes", "$map", "Policy", "{\"x\":1}", "DisplayName", "ops", "TagKeys",
                   "Skipped");
    CHECK_INT(pp_aws_query_encode(pp_service_find("sts"), "AssumeRole", in, &b), 0);
    CHECK_STR(pp_buf_cstr(&b),
              "Action=AssumeRole&Version=2011-06-15&RoleSessionName=a+b%2Bc%2F%C3%A9~"
              "&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess"
              "&Flag=false&Attributes.entry.1.key=Policy"
              "&Attributes.entry.1.value=%7B%22x%22%3A1%7D"
              "&Attributes.entry.2.key=DisplayName&Attributes.entry.2.value=ops&TagKeys=");
    json_decref(in);

    /* EC2: flat lists (Name.N), nested structures, an empty list sends nothing. */
    pp_buf_reset(&b);
    in = json_pack("{s:[{s:s,s:[s,s]}],s:[s],s:[{s:s,s:i,s:i,s:[{s:s}],s:[]}],s:[]}", "Filter",
                   "Name", "vpc-id", "Value", "vpc-0a1", "vpc-0b2", "GroupId", "sg-1",
                   "IpPermissions", "IpProtocol", "tcp", "FromPort", 22, "ToPort", 22, "Groups",
                   "GroupId", "sg-2", "IpRanges", "ResourceId");
    CHECK_INT(pp_aws_query_encode(pp_service_find("ec2"), "DescribeSecurityGroups", in, &b), 0);
    CHECK_STR(pp_buf_cstr(&b),
              "Action=DescribeSecurityGroups&Version=2016-11-15&Filter.1.Name=vpc-id"
              "&Filter.1.Value.1=vpc-0a1&Filter.1.Value.2=vpc-0b2&GroupId.1=sg-1"
              "&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=22"
              "&IpPermissions.1.ToPort=22&IpPermissions.1.Groups.1.GroupId=sg-2");
    json_decref(in);

    /* Not an object: refused. */
    pp_buf_reset(&b);
    in = json_pack("[s]", "x");
    CHECK_INT(pp_aws_query_encode(pp_service_find("iam"), "ListUsers", in, &b), PP_EINVAL);
    json_decref(in);
    pp_buf_free(&b);
}

static const char *header(const pp_wire_req *q, const char *name)
{
    return pp_wire_header(q->headers, q->n_headers, name);
}

static void json_encoding(void)
{
    pp_wire_req q = {0};
    CHECK_INT(pp_proto_json_request(pp_service_find("kms"), "ListKeys", NULL, &q), 0);
    CHECK_STR(q.method, "POST");
    CHECK_STR(q.body, "{}");
    CHECK_INT(q.body_len, 2);
    CHECK_STR(header(&q, "Content-Type"), "application/x-amz-json-1.1");
    CHECK_STR(header(&q, "X-Amz-Target"), "TrentService.ListKeys");
    pp_wire_req_clear(&q);
    json_t *in = json_pack("{s:b}", "includeShadowTrails", 1);
    CHECK_INT(pp_proto_json_request(pp_service_find("cloudtrail"), "DescribeTrails", in, &q), 0);
    CHECK_STR(q.body, "{\"includeShadowTrails\":true}");
    CHECK_STR(header(&q, "X-Amz-Target"),
              "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DescribeTrails");
    pp_wire_req_clear(&q);
    json_decref(in);
}

static void rest_encoding(void)
{
    const pp_service *gd = pp_service_find("guardduty");
    pp_wire_req q = {0};
    json_t *in = json_pack("{s:s,s:i}", "nextToken", "a+b c", "maxResults", 50);
    CHECK_INT(pp_proto_rest_request(gd, pp_op_find("guardduty", "ListDetectors"), in, false, &q),
              0);
    CHECK_STR(q.method, "GET");
    CHECK_STR(q.path, "/detector");
    CHECK_STR(q.query, "nextToken=a%2Bb%20c&maxResults=50");
    CHECK(q.body == NULL);
    CHECK(header(&q, "Content-Type") == NULL); /* GET: no body, no Content-Type */
    pp_wire_req_clear(&q);
    json_decref(in);

    in = json_pack("{s:s}", "DetectorId", "12ab/34 cd");
    CHECK_INT(pp_proto_rest_request(gd, pp_op_find("guardduty", "GetDetector"), in, false, &q), 0);
    CHECK_STR(q.path, "/detector/12ab%2F34%20cd");
    CHECK(q.query == NULL);
    pp_wire_req_clear(&q);
    json_decref(in);

    /* A missing path parameter, or a key with no place in a GET, is a local error. */
    in = json_object();
    CHECK_INT(pp_proto_rest_request(gd, pp_op_find("guardduty", "GetDetector"), in, false, &q),
              PP_EINVAL);
    pp_wire_req_clear(&q);
    json_decref(in);
    in = json_pack("{s:s,s:s}", "DetectorId", "d1", "stray", "x");
    CHECK_INT(pp_proto_rest_request(gd, pp_op_find("guardduty", "GetDetector"), in, false, &q),
              PP_EINVAL);
    pp_wire_req_clear(&q);
    json_decref(in);

    /* POST: the rest of the input is the JSON body. */
    in = json_pack("{s:b,s:s,s:s}", "enable", 1, "clientToken", "tok", "findingPublishingFrequency",
                   "FIFTEEN_MINUTES");
    CHECK_INT(pp_proto_rest_request(gd, pp_op_find("guardduty", "CreateDetector"), in, false, &q),
              0);
    CHECK_STR(q.method, "POST");
    CHECK_STR(q.path, "/detector");
    CHECK_STR(q.body, "{\"enable\":true,\"clientToken\":\"tok\",\"findingPublishingFrequency\":"
                      "\"FIFTEEN_MINUTES\"}");
    CHECK_STR(header(&q, "Content-Type"), "application/json");
    pp_wire_req_clear(&q);
    json_decref(in);

    /* S3: path-style with a custom endpoint, virtual-hosted otherwise. */
    const pp_service *s3 = pp_service_find("s3");
    in = json_pack("{s:s}", "Bucket", "trail-bucket");
    CHECK_INT(pp_proto_rest_request(s3, pp_op_find("s3", "GetBucketLogging"), in, false, &q), 0);
    CHECK_STR(q.path, "/trail-bucket");
    CHECK_STR(q.query, "logging");
    CHECK(q.s3);
    CHECK(q.host_prefix == NULL);
    pp_wire_req_clear(&q);
    CHECK_INT(pp_proto_rest_request(s3, pp_op_find("s3", "GetBucketLogging"), in, true, &q), 0);
    CHECK_STR(q.path, "/");
    CHECK_STR(q.query, "logging");
    CHECK_STR(q.host_prefix, "trail-bucket");
    pp_wire_req_clear(&q);
    json_decref(in);
    /* A bucket name with dots cannot be a host label under the wildcard certificate. */
    in = json_pack("{s:s}", "Bucket", "logs.example.com");
    CHECK_INT(pp_proto_rest_request(s3, pp_op_find("s3", "GetBucketPolicy"), in, true, &q), 0);
    CHECK_STR(q.path, "/logs.example.com");
    CHECK(q.host_prefix == NULL);
    pp_wire_req_clear(&q);
    json_decref(in);
    CHECK_INT(pp_proto_rest_request(s3, pp_op_find("s3", "ListBuckets"), NULL, true, &q), 0);
    CHECK_STR(q.path, "/");
    CHECK(q.query == NULL);
    pp_wire_req_clear(&q);
}

static void url_split(void)
{
    char *sh = NULL, *host = NULL, *path = NULL;
    CHECK_INT(pp_wire_split_url("http://127.0.0.1:4566", &sh, &host, &path), 0);
    CHECK_STR(sh, "http://127.0.0.1:4566");
    CHECK_STR(host, "127.0.0.1:4566");
    CHECK_STR(path, "");
    free(sh);
    free(host);
    free(path);
    CHECK_INT(pp_wire_split_url("https://EC2.eu-west-1.amazonaws.com:443/base/", &sh, &host, &path),
              0);
    CHECK_STR(host, "ec2.eu-west-1.amazonaws.com"); /* default port dropped, as curl sends it */
    CHECK_STR(path, "/base");
    free(sh);
    free(host);
    free(path);
    CHECK_INT(pp_wire_split_url("http://[::1]:8080", &sh, &host, &path), 0);
    CHECK_STR(host, "[::1]:8080");
    free(sh);
    free(host);
    free(path);
    CHECK_INT(pp_wire_split_url("ftp://x", &sh, &host, &path), PP_EINVAL);
    CHECK_INT(pp_wire_split_url("http://user@host/", &sh, &host, &path), PP_EINVAL);
}

/* ---- the tables -------------------------------------------------------------------------------
 */

static bool shape_has(const pp_shape *s, const char *member)
{
    for (size_t i = 0; s && i < s->n_members; i++)
        if (strcmp(s->members[i].name, member) == 0)
            return true;
    return false;
}

static void tables_consistent(void)
{
    CHECK_INT(pp_shapes_check(), 0);
    if (pp_shapes_check())
        fprintf(stderr, "  %s\n", pp_err_msg());
    size_t n = 0;
    for (const pp_op *op; (op = pp_op_at(n)); n++) {
        pp_test_current = op->name;
        const pp_service *svc = pp_service_find(op->service);
        CHECK(svc != NULL);
        CHECK(pp_op_find(op->service, op->name) == op); /* no duplicates */
        CHECK(op->permission && pp_str_startswith(op->permission, op->service) &&
              strchr(op->permission, ':'));
        const pp_shape *out = op->output ? pp_shape_find(op->service, op->output) : NULL;
        CHECK(!op->output || out != NULL);
        if (svc && (svc->proto == PP_PROTO_RESTJSON || svc->proto == PP_PROTO_RESTXML))
            CHECK(op->method && op->uri && op->uri[0] == '/');
        if (op->out_token || op->in_token || op->result_keys) {
            CHECK(op->in_token && op->out_token && op->result_keys);
            CHECK(shape_has(out, op->out_token));
            CHECK(!op->more_key || shape_has(out, op->more_key));
            char **keys = pp_str_split(op->result_keys, ',', NULL);
            for (size_t i = 0; keys[i]; i++)
                CHECK(shape_has(out, keys[i]));
            pp_strv_free(keys);
            CHECK(!op->limit_key || op->limit > 0);
        }
    }
    pp_test_current = "tables_consistent";
    CHECK(n >= 55);
    /* The operations the collectors need (issue 3) are all declared. */
    static const char *const need[][2] = {
        {"iam", "GetAccountAuthorizationDetails"},
        {"iam", "GetCredentialReport"},
        {"iam", "GenerateCredentialReport"},
        {"iam", "ListVirtualMFADevices"},
        {"sts", "AssumeRole"},
        {"ec2", "DescribeFlowLogs"},
        {"ec2", "DescribeNatGateways"},
        {"kms", "ListResourceTags"},
        {"cloudtrail", "GetEventSelectors"},
        {"config", "DescribeDeliveryChannels"},
        {"guardduty", "GetDetector"},
        {"logs", "DescribeLogGroups"},
        {"cloudwatch", "DescribeAlarms"},
        {"sns", "ListSubscriptionsByTopic"},
        {"s3", "GetBucketEncryption"},
    };
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
        CHECK(pp_op_find(need[i][0], need[i][1]) != NULL);
    CHECK(pp_op_find("iam", "NoSuchOperation") == NULL);
    CHECK(pp_op_at(n) == NULL);
}

/* Random damage to every fixture (bytes flipped, cut short, spliced): decoding never crashes,
 * and always ends in either data or a failure with a code, never both, never neither. Run
 * under ASan/UBSan in CI, this is a small deterministic fuzzer for the decoders. */
static void mutated_fixtures(void)
{
    static const struct {
        const char *file, *service, *op;
    } f[] = {
        {"iam-gaad.xml", "iam", "GetAccountAuthorizationDetails"},
        {"iam-list-users.xml", "iam", "ListUsers"},
        {"iam-get-account-summary.xml", "iam", "GetAccountSummary"},
        {"ec2-describe-security-groups.xml", "ec2", "DescribeSecurityGroups"},
        {"ec2-describe-network-acls.xml", "ec2", "DescribeNetworkAcls"},
        {"ec2-describe-instances.xml", "ec2", "DescribeInstances"},
        {"ec2-describe-vpc-endpoints.xml", "ec2", "DescribeVpcEndpoints"},
        {"ec2-error-not-found.xml", "ec2", "DescribeVpcs"},
        {"kms-describe-key.json", "kms", "DescribeKey"},
        {"kms-get-key-policy.json", "kms", "GetKeyPolicy"},
        {"cloudtrail-get-trail-status.json", "cloudtrail", "GetTrailStatus"},
        {"guardduty-get-detector.json", "guardduty", "GetDetector"},
        {"s3-get-bucket-logging.xml", "s3", "GetBucketLogging"},
        {"s3-get-bucket-encryption.xml", "s3", "GetBucketEncryption"},
        {"s3-get-bucket-policy.json", "s3", "GetBucketPolicy"},
        {"sns-get-topic-attributes.xml", "sns", "GetTopicAttributes"},
        {"cloudwatch-describe-alarms.xml", "cloudwatch", "DescribeAlarms"},
    };
    static const char junk[] = "<>&;\"{}[]:,%#\\\x00\xff\xc3 =/";
    unsigned int seed = 20240102;
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        size_t len;
        char *orig = fixture(f[i].file, &len);
        const pp_service *svc = pp_service_find(f[i].service);
        const pp_op *op = pp_op_find(f[i].service, f[i].op);
        for (int round = 0; round < 1000 && len > 0; round++) {
            char *b = pp_xmalloc(len + 1);
            memcpy(b, orig, len + 1);
            size_t n = len;
            int edits = 1 + (int)(rand_r(&seed) % 8);
            for (int e = 0; e < edits; e++) {
                size_t at = (size_t)rand_r(&seed) % n;
                switch (rand_r(&seed) % 3) {
                case 0:
                    b[at] = junk[(size_t)rand_r(&seed) % (sizeof(junk) - 1)];
                    break;
                case 1:
                    n = at + 1; /* cut short */
                    break;
                default: { /* splice: repeat a slice over the rest */
                    size_t from = (size_t)rand_r(&seed) % n;
                    size_t k = n - (at > from ? at : from);
                    memmove(b + at, b + from, k > 64 ? 64 : k);
                }
                }
            }
            long status = round % 5 == 0 ? 400 : 200;
            pp_aws_resp r = {0};
            int rc = pp_aws_decode(svc, op, status, NULL, 0, b, n, &r);
            CHECK(r.ok == (rc == 0));
            CHECK(r.ok ? r.data != NULL && r.code == NULL : r.data == NULL && r.code != NULL);
            if (r.ok) {
                char *dump = json_dumps(r.data, 0); /* valid UTF-8 and serialisable */
                CHECK(dump != NULL);
                free(dump);
            }
            pp_aws_resp_clear(&r);
            free(b);
        }
        free(orig);
    }
}

PP_TEST_MAIN(TEST(query_success), TEST(query_request_ids), TEST(query_errors),
             TEST(iam_policy_documents), TEST(ec2_success), TEST(ec2_errors), TEST(json_success),
             TEST(json_errors), TEST(restjson), TEST(restxml), TEST(broken_bodies),
             TEST(xml_entities_refused), TEST(depth_limits), TEST(timestamps), TEST(query_encoding),
             TEST(json_encoding), TEST(rest_encoding), TEST(url_split), TEST(tables_consistent),
             TEST(mutated_fixtures))
