/* Endpoint, region and client-setting resolution: partition defaults, each configured-endpoint
 * source in botocore's order, [services x] blocks, URL checks with the plain-http refusal,
 * region precedence, max attempts and the CA bundle. */
#include "identity.h"
#include "pp_test.h"

#include <stdlib.h>
#include <unistd.h>

extern char **environ;

/* No AWS_* variable from the machine leaks into a case; files point at the fixtures. */
static void clean_env(const char *config, const char *credentials)
{
    char *names[256];
    size_t n = 0;
    for (char **e = environ; *e && n < 256; e++) {
        if (pp_str_startswith(*e, "AWS_"))
            names[n++] = pp_xstrndup(*e, strcspn(*e, "="));
    }
    for (size_t i = 0; i < n; i++) {
        unsetenv(names[i]);
        free(names[i]);
    }
    const char *src = getenv("PARAPET_SRC");
    char *cfg = pp_xasprintf("%s/tests/fixtures/aws-config/%s", src ? src : "..", config);
    char *crd = pp_xasprintf("%s/tests/fixtures/aws-config/%s", src ? src : "..", credentials);
    setenv("AWS_CONFIG_FILE", cfg, 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", crd, 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE000001", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret-env-secret-env-01", 1);
    free(cfg);
    free(crd);
}

static pp_aws_client *client(const pp_aws_client_options *o)
{
    pp_aws_client *c = NULL;
    int rc = pp_aws_client_new(&c, NULL, o);
    if (rc)
        fprintf(stderr, "[%s] client: %s\n", pp_test_current, pp_err_msg());
    CHECK_INT(rc, 0);
    return c;
}

/* Checks the URL and signing region of one service. */
static void expect(pp_aws_client *c, const char *service, const char *region, const char *url,
                   const char *signing)
{
    char *got = NULL;
    const char *sr = NULL;
    if (!c) {
        CHECK(c != NULL);
        return;
    }
    int rc = pp_aws_client_endpoint(c, pp_service_find(service), region, &got, &sr);
    CHECK_INT(rc, 0);
    CHECK_STR(got, url);
    CHECK_STR(sr, signing);
    free(got);
}

static void defaults(void)
{
    clean_env("config", "credentials");
    setenv("AWS_REGION", "eu-west-1", 1);
    pp_aws_client *c = client(NULL);
    expect(c, "iam", NULL, "https://iam.amazonaws.com", "us-east-1");
    expect(c, "iam", "ap-south-1", "https://iam.amazonaws.com", "us-east-1");
    expect(c, "sts", NULL, "https://sts.eu-west-1.amazonaws.com", "eu-west-1");
    expect(c, "ec2", NULL, "https://ec2.eu-west-1.amazonaws.com", "eu-west-1");
    expect(c, "ec2", "ap-south-1", "https://ec2.ap-south-1.amazonaws.com", "ap-south-1");
    expect(c, "kms", NULL, "https://kms.eu-west-1.amazonaws.com", "eu-west-1");
    expect(c, "cloudtrail", NULL, "https://cloudtrail.eu-west-1.amazonaws.com", "eu-west-1");
    expect(c, "config", NULL, "https://config.eu-west-1.amazonaws.com", "eu-west-1");
    expect(c, "guardduty", NULL, "https://guardduty.eu-west-1.amazonaws.com", "eu-west-1");
    expect(c, "logs", NULL, "https://logs.eu-west-1.amazonaws.com", "eu-west-1");
    expect(c, "cloudwatch", NULL, "https://monitoring.eu-west-1.amazonaws.com", "eu-west-1");
    expect(c, "sns", NULL, "https://sns.eu-west-1.amazonaws.com", "eu-west-1");
    expect(c, "s3", NULL, "https://s3.eu-west-1.amazonaws.com", "eu-west-1");
    CHECK(!pp_aws_client_path_style(c, pp_service_find("s3")));
    CHECK_STR(pp_aws_client_region(c), "eu-west-1");

    /* a region that is not a host label is refused, not put into a URL */
    char *url = NULL;
    const char *sr = NULL;
    CHECK_INT(pp_aws_client_endpoint(c, pp_service_find("ec2"), "eu-west-1.evil.com/x", &url, &sr),
              PP_EINVAL);
    CHECK(url == NULL);
    CHECK_INT(pp_aws_client_endpoint(c, NULL, NULL, &url, &sr), PP_EINVAL);
    pp_aws_client_free(c);
    pp_aws_client_free(NULL);
}

static void partitions(void)
{
    clean_env("config", "credentials");
    setenv("AWS_REGION", "cn-northwest-1", 1);
    pp_aws_client *c = client(NULL);
    expect(c, "iam", NULL, "https://iam.cn-north-1.amazonaws.com.cn", "cn-north-1");
    expect(c, "sts", NULL, "https://sts.cn-northwest-1.amazonaws.com.cn", "cn-northwest-1");
    expect(c, "ec2", NULL, "https://ec2.cn-northwest-1.amazonaws.com.cn", "cn-northwest-1");
    expect(c, "iam", "us-gov-east-1", "https://iam.us-gov.amazonaws.com", "us-gov-west-1");
    expect(c, "kms", "us-gov-east-1", "https://kms.us-gov-east-1.amazonaws.com", "us-gov-east-1");
    expect(c, "iam", "eu-west-3", "https://iam.amazonaws.com", "us-east-1");
    pp_aws_client_free(c);
    CHECK_STR(pp_aws_partition_home("cn-north-1"), "cn-north-1");
    CHECK_STR(pp_aws_partition_home("us-gov-east-1"), "us-gov-west-1");
    CHECK_STR(pp_aws_partition_home("eu-west-1"), "us-east-1");
    CHECK_STR(pp_aws_partition_home(NULL), "us-east-1");
}

static void endpoint_option(void)
{
    clean_env("config", "credentials");
    setenv("AWS_REGION", "eu-west-1", 1);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9", 1);
    setenv("AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:10", 1);
    pp_aws_client_options o = {.endpoint_url = "http://127.0.0.1:4566/"};
    pp_aws_client *c = client(&o);
    /* --endpoint-url beats every variable; the trailing slash goes */
    expect(c, "ec2", NULL, "http://127.0.0.1:4566", "eu-west-1");
    expect(c, "ec2", "ap-south-1", "http://127.0.0.1:4566", "ap-south-1");
    /* global services sign in the client's region on a custom endpoint */
    expect(c, "iam", "ap-south-1", "http://127.0.0.1:4566", "eu-west-1");
    expect(c, "s3", NULL, "http://127.0.0.1:4566", "eu-west-1");
    CHECK(pp_aws_client_path_style(c, pp_service_find("s3")));
    pp_aws_client_free(c);
}

static void env_variables(void)
{
    clean_env("config", "credentials");
    setenv("AWS_REGION", "us-east-2", 1);
    setenv("AWS_ENDPOINT_URL", "http://localhost:5000", 1);
    setenv("AWS_ENDPOINT_URL_CONFIG_SERVICE", "http://127.0.0.1:5001", 1);
    setenv("AWS_ENDPOINT_URL_CLOUDWATCH", "http://127.0.0.1:5002", 1);
    setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://127.0.0.1:5003", 1);
    setenv("AWS_ENDPOINT_URL_IAM", "https://iam.example.test", 1);
    setenv("AWS_ENDPOINT_URL_STS", "http://[::1]:5004", 1);
    pp_aws_client *c = client(NULL);
    expect(c, "config", NULL, "http://127.0.0.1:5001", "us-east-2");
    expect(c, "cloudwatch", NULL, "http://127.0.0.1:5002", "us-east-2");
    expect(c, "logs", NULL, "http://127.0.0.1:5003", "us-east-2");
    expect(c, "iam", NULL, "https://iam.example.test", "us-east-2");
    expect(c, "sts", NULL, "http://[::1]:5004", "us-east-2");
    expect(c, "kms", NULL, "http://localhost:5000", "us-east-2");
    expect(c, "s3", NULL, "http://localhost:5000", "us-east-2");
    CHECK(pp_aws_client_path_style(c, pp_service_find("s3")));
    pp_aws_client_free(c);

    /* ...and all of them are ignored when asked to, except --endpoint-url */
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
    c = client(NULL);
    expect(c, "config", NULL, "https://config.us-east-2.amazonaws.com", "us-east-2");
    expect(c, "kms", NULL, "https://kms.us-east-2.amazonaws.com", "us-east-2");
    pp_aws_client_free(c);
    pp_aws_client_options o = {.endpoint_url = "http://127.0.0.1:4566"};
    c = client(&o);
    expect(c, "config", NULL, "http://127.0.0.1:4566", "us-east-2");
    pp_aws_client_free(c);
}

static void services_section(void)
{
    clean_env("config", "credentials");
    pp_aws_client_options o = {.profile = "emu"};
    /* the emu profile has no keys: it gets them from a source this test sets up */
    setenv("AWS_PROFILE", "emu", 1);
    pp_aws_client *c = client(NULL);
    expect(c, "config", NULL, "http://127.0.0.1:4566", "us-east-2");
    expect(c, "iam", NULL, "http://localhost:4567", "us-east-2");
    expect(c, "ec2", NULL, "https://ec2.us-east-2.amazonaws.com", "us-east-2");
    CHECK_STR(pp_aws_client_region(c), "us-east-2");
    pp_aws_client_free(c);

    /* the generic variable beats the profile's services block */
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:7000", 1);
    c = client(NULL);
    expect(c, "config", NULL, "http://127.0.0.1:7000", "us-east-2");
    pp_aws_client_free(c);
    unsetenv("AWS_ENDPOINT_URL");

    /* profile endpoint_url comes last, and the profile can opt out of configured endpoints */
    char path[] = "/tmp/parapet-endpoints-XXXXXX";
    int fd = mkstemp(path);
    /* explicit profiles ignore environment keys: each has its own */
    const char *text = "[profile p]\n"
                       "endpoint_url = http://127.0.0.1:8000\n"
                       "services = s\n"
                       "aws_access_key_id = AKIAPEXAMPLE00000001\n"
                       "aws_secret_access_key = p-secret-p-secret-p-secret\n"
                       "[profile q]\n"
                       "endpoint_url = http://127.0.0.1:8000\n"
                       "ignore_configured_endpoint_urls = true\n"
                       "aws_access_key_id = AKIAQEXAMPLE00000001\n"
                       "aws_secret_access_key = q-secret-q-secret-q-secret\n"
                       "[profile r]\n"
                       "services = absent\n"
                       "[services s]\n"
                       "sns =\n"
                       "  endpoint_url = http://127.0.0.1:8001\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    setenv("AWS_CONFIG_FILE", path, 1);
    o.profile = "p";
    c = client(&o);
    expect(c, "sns", NULL, "http://127.0.0.1:8001", "us-east-1");
    expect(c, "ec2", NULL, "http://127.0.0.1:8000", "us-east-1");
    pp_aws_client_free(c);
    o.profile = "q";
    c = client(&o);
    expect(c, "ec2", NULL, "https://ec2.us-east-1.amazonaws.com", "us-east-1");
    pp_aws_client_free(c);
    o.profile = "r";
    c = NULL;
    CHECK_INT(pp_aws_client_new(&c, NULL, &o), PP_EINVAL);
    CHECK_STR(pp_err_msg(), "profile 'r': services section 'absent' is not defined in the config "
                            "file");
    unlink(path);
}

static void expect_refused(const char *var, const char *url, const char *message)
{
    clean_env("config", "credentials");
    setenv(var, url, 1);
    pp_aws_client *c = NULL;
    CHECK_INT(pp_aws_client_new(&c, NULL, NULL), PP_EINVAL);
    CHECK(c == NULL);
    CHECK_STR(pp_err_msg(), message);
}

static void url_checks(void)
{
    expect_refused("AWS_ENDPOINT_URL", "http://example.com",
                   "AWS_ENDPOINT_URL: refusing plain http to non-loopback host 'example.com' "
                   "(use https)");
    expect_refused("AWS_ENDPOINT_URL_KMS", "http://10.0.0.1:4566/",
                   "AWS_ENDPOINT_URL_KMS: refusing plain http to non-loopback host '10.0.0.1' "
                   "(use https)");
    expect_refused("AWS_ENDPOINT_URL", "ftp://127.0.0.1",
                   "AWS_ENDPOINT_URL: 'ftp://127.0.0.1' is not an http(s) URL");
    expect_refused("AWS_ENDPOINT_URL", "localhost:4566",
                   "AWS_ENDPOINT_URL: 'localhost:4566' is not an http(s) URL");
    expect_refused("AWS_ENDPOINT_URL", "http://", "AWS_ENDPOINT_URL: 'http://' has no host");
    expect_refused("AWS_ENDPOINT_URL", "http://:80/",
                   "AWS_ENDPOINT_URL: 'http://:80/' has no host");
    expect_refused("AWS_ENDPOINT_URL", "http://127.0.0.1 :80",
                   "AWS_ENDPOINT_URL: 'http://127.0.0.1 :80' contains whitespace or control "
                   "characters");
    expect_refused("AWS_ENDPOINT_URL", "http://127.0.0.1:99999",
                   "AWS_ENDPOINT_URL: 'http://127.0.0.1:99999' has an invalid port");
    expect_refused("AWS_ENDPOINT_URL", "http://user:pw@127.0.0.1",
                   "AWS_ENDPOINT_URL: 'http://user:pw@127.0.0.1': user information in endpoint "
                   "URLs is not supported");

    /* --endpoint-url is checked the same way; allow_insecure_endpoint lifts the http rule */
    clean_env("config", "credentials");
    pp_aws_client_options o = {.endpoint_url = "http://moto.internal:5000"};
    pp_aws_client *c = NULL;
    CHECK_INT(pp_aws_client_new(&c, NULL, &o), PP_EINVAL);
    CHECK_STR(pp_err_msg(), "--endpoint-url: refusing plain http to non-loopback host "
                            "'moto.internal' (use https)");
    o.allow_insecure_endpoint = true;
    c = client(&o);
    expect(c, "ec2", NULL, "http://moto.internal:5000", "eu-west-1");
    pp_aws_client_free(c);

    CHECK_INT(pp_aws_url_check("https://example.com", false, "x"), 0);
    CHECK_INT(pp_aws_url_check("HTTPS://example.com:443/path", false, "x"), 0);
    CHECK_INT(pp_aws_url_check("http://127.200.0.1:1", false, "x"), 0);
    CHECK_INT(pp_aws_url_check("http://LOCALHOST", false, "x"), 0);
    CHECK_INT(pp_aws_url_check("http://[::1]", false, "x"), 0);
    CHECK_INT(pp_aws_url_check("http://[::2]", false, "x"), PP_EINVAL);
    CHECK_INT(pp_aws_url_check("http://128.0.0.1", false, "x"), PP_EINVAL);
    CHECK_INT(pp_aws_url_check("http://localhost.evil.com", false, "x"), PP_EINVAL);
    CHECK_INT(pp_aws_url_check("http://127.0.0.1.nip.io", false, "x"), PP_EINVAL);
    CHECK_INT(pp_aws_url_check("", false, "x"), PP_EINVAL);
    CHECK(pp_aws_host_is_loopback("127.0.0.1", 9));
    CHECK(!pp_aws_host_is_loopback("127.0.0.1", 8)); /* "127.0.0." */
}

static void region_precedence(void)
{
    clean_env("config", "credentials");
    pp_aws_client_options o = {.profile = "prod"};
    pp_aws_client *c = client(&o);
    CHECK_STR(pp_aws_client_region(c), "us-west-2"); /* profile */
    pp_aws_client_free(c);
    setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
    c = client(&o);
    CHECK_STR(pp_aws_client_region(c), "ap-south-1");
    pp_aws_client_free(c);
    setenv("AWS_REGION", "eu-north-1", 1);
    c = client(&o);
    CHECK_STR(pp_aws_client_region(c), "eu-north-1");
    pp_aws_client_free(c);
    o.region = "sa-east-1";
    c = client(&o);
    CHECK_STR(pp_aws_client_region(c), "sa-east-1");
    pp_aws_client_free(c);

    /* no region anywhere: us-east-1 */
    clean_env("none", "none");
    c = client(NULL);
    CHECK_STR(pp_aws_client_region(c), "us-east-1");
    pp_aws_client_free(c);
    /* default profile's region from the config file */
    clean_env("config", "credentials");
    c = client(NULL);
    CHECK_STR(pp_aws_client_region(c), "eu-west-1");
    pp_aws_client_free(c);

    setenv("AWS_REGION", "EU_WEST_1", 1);
    c = NULL;
    CHECK_INT(pp_aws_client_new(&c, NULL, NULL), PP_EINVAL);
    CHECK_STR(pp_err_msg(), "AWS_REGION: 'EU_WEST_1' is not a valid region name");
}

static void max_attempts(void)
{
    clean_env("config", "credentials");
    pp_aws_client *c = client(NULL);
    CHECK_INT(c->max_attempts, 3);
    pp_aws_client_free(c);
    setenv("AWS_MAX_ATTEMPTS", "7", 1);
    c = client(NULL);
    CHECK_INT(c->max_attempts, 7);
    pp_aws_client_free(c);
    pp_aws_client_options o = {.max_attempts = 2};
    c = client(&o);
    CHECK_INT(c->max_attempts, 2);
    pp_aws_client_free(c);
    o.max_attempts = 21;
    c = NULL;
    CHECK_INT(pp_aws_client_new(&c, NULL, &o), PP_EINVAL);
    CHECK_STR(pp_err_msg(), "max attempts 21 is not from 1 to 20");

    const char *bad[] = {"0", "21", "three", "-1", "5 "};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setenv("AWS_MAX_ATTEMPTS", bad[i], 1);
        c = NULL;
        CHECK_INT(pp_aws_client_new(&c, NULL, NULL), PP_EINVAL);
        CHECK(strstr(pp_err_msg(), "AWS_MAX_ATTEMPTS: '") == pp_err_msg());
    }

    /* from the profile */
    clean_env("none", "none");
    char path[] = "/tmp/parapet-attempts-XXXXXX";
    int fd = mkstemp(path);
    const char *text = "[default]\nmax_attempts = 10\n[profile bad]\nmax_attempts = 50\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    setenv("AWS_CONFIG_FILE", path, 1);
    c = client(NULL);
    CHECK_INT(c->max_attempts, 10);
    pp_aws_client_free(c);
    o = (pp_aws_client_options){.profile = "bad"};
    c = NULL;
    CHECK_INT(pp_aws_client_new(&c, NULL, &o), PP_EINVAL);
    CHECK_STR(pp_err_msg(), "profile max_attempts: '50' is not a number from 1 to 20");
    unlink(path);
}

static void ca_bundle(void)
{
    clean_env("config", "credentials");
    pp_aws_client *c = client(NULL);
    CHECK(c->ca_bundle == NULL);
    pp_aws_client_free(c);
    char path[] = "/tmp/parapet-ca-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    setenv("AWS_CA_BUNDLE", path, 1);
    c = client(NULL);
    CHECK_STR(c->ca_bundle, path);
    pp_aws_client_free(c);
    unlink(path);
    c = NULL;
    CHECK_INT(pp_aws_client_new(&c, NULL, NULL), PP_EINVAL);
    char *want = pp_xasprintf("AWS_CA_BUNDLE: cannot read '%s'", path);
    CHECK_STR(pp_err_msg(), want);
    free(want);
}

PP_TEST_MAIN(TEST(defaults), TEST(partitions), TEST(endpoint_option), TEST(env_variables),
             TEST(services_section), TEST(url_checks), TEST(region_precedence), TEST(max_attempts),
             TEST(ca_bundle))
