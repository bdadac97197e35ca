/* The credential chain: precedence (environment vs an explicit profile), files, role profiles and
 * their chains with cycle detection (resolved without the network: the chain shows in the
 * source), credential_process against tests/fixtures/bin/cred-process, and the container and
 * IMDSv2 providers against a loopback HTTP server started inside the test, including refresh. */
#include "identity.h"
#include "pp_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static char *fixture(const char *rel)
{
    const char *src = getenv("PARAPET_SRC");
    return pp_xasprintf("%s/tests/fixtures/%s", src ? src : "..", rel);
}

static char home[64];

static void remove_home(void)
{
    rmdir(home); /* empty by then: shared_files removes what it puts there */
}

/* A fresh HOME and no AWS_* variable from the machine; config files from the fixtures (or none:
 * "none" names a file that does not exist). */
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
    unsetenv("PARAPET_NOW");
    if (!home[0]) {
        snprintf(home, sizeof(home), "/tmp/parapet-home-XXXXXX");
        CHECK(mkdtemp(home) != NULL);
        atexit(remove_home);
    }
    setenv("HOME", home, 1);
    char *rel = pp_xasprintf("aws-config/%s", config);
    char *cfg = fixture(rel);
    free(rel);
    rel = pp_xasprintf("aws-config/%s", credentials);
    char *crd = fixture(rel);
    free(rel);
    setenv("AWS_CONFIG_FILE", cfg, 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", crd, 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    free(cfg);
    free(crd);
}

static void set_env_keys(void)
{
    setenv("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE000001", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret-env-secret-env-01", 1);
}

static pp_aws_client *client_for(const char *profile)
{
    pp_aws_client_options o = {.profile = profile};
    pp_aws_client *c = NULL;
    int rc = pp_aws_client_new(&c, NULL, &o);
    if (rc)
        fprintf(stderr, "[%s] client: %s\n", pp_test_current, pp_err_msg());
    CHECK_INT(rc, 0);
    return c;
}

static void expect_source(const char *profile, const char *source)
{
    pp_aws_client *c = client_for(profile);
    if (c)
        CHECK_STR(pp_aws_client_cred_source(c), source);
    pp_aws_client_free(c);
}

static void expect_error(const char *profile, const char *message)
{
    pp_aws_client_options o = {.profile = profile};
    pp_aws_client *c = NULL;
    CHECK_INT(pp_aws_client_new(&c, NULL, &o), PP_EINVAL);
    CHECK(c == NULL);
    CHECK_STR(pp_err_msg(), message);
}

/* "profile X (<fixture path>)" */
static char *file_source(const char *profile, const char *file)
{
    char *rel = pp_xasprintf("aws-config/%s", file);
    char *path = fixture(rel);
    char *s = pp_xasprintf("profile %s (%s)", profile, path);
    free(rel);
    free(path);
    return s;
}

/* ---- precedence and files ---------------------------------------------------------------- */

static void environment_first(void)
{
    clean_env("config", "credentials");
    set_env_keys();
    setenv("AWS_SESSION_TOKEN", "env-token-env-token-env-token", 1);
    pp_aws_client *c = client_for(NULL);
    CHECK_STR(pp_aws_client_cred_source(c), "environment");
    pp_creds k = {0};
    CHECK_INT(pp_aws_client_creds(c, &k), 0);
    CHECK_STR(k.access_key_id, "AKIAENVEXAMPLE000001");
    CHECK_STR(k.secret_access_key, "env-secret-env-secret-env-01");
    CHECK_STR(k.session_token, "env-token-env-token-env-token");
    CHECK_INT(k.expiration, 0);
    CHECK_STR(k.source, "environment");
    pp_creds copy = {0};
    CHECK_INT(pp_creds_copy(&copy, &k), 0);
    CHECK_STR(copy.secret_access_key, k.secret_access_key);
    CHECK(copy.secret_access_key != k.secret_access_key);
    pp_creds_clear(&copy);
    pp_creds_clear(&k);
    CHECK(k.access_key_id == NULL);
    pp_creds_clear(NULL);
    pp_aws_client_free(c);

    /* the secrets were registered for redaction the moment they were read */
    char *red = pp_redact("key env-secret-env-secret-env-01 tok env-token-env-token-env-token");
    CHECK(strstr(red, "env-secret") == NULL);
    CHECK(strstr(red, "env-token") == NULL);
    free(red);

    /* AWS_PROFILE does not beat environment keys... */
    setenv("AWS_PROFILE", "prod", 1);
    expect_source(NULL, "environment");
    /* ...but a profile named explicitly (--profile) does, as in botocore */
    char *want = file_source("prod", "credentials");
    expect_source("prod", want);
    free(want);

    /* only half the environment pair is an error */
    unsetenv("AWS_SECRET_ACCESS_KEY");
    expect_error(NULL, "environment: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
}

static void shared_files(void)
{
    clean_env("config", "credentials");
    char *want = file_source("default", "credentials");
    expect_source(NULL, want);
    free(want);

    pp_aws_client *c = client_for("prod");
    pp_creds k = {0};
    CHECK_INT(pp_aws_client_creds(c, &k), 0);
    CHECK_STR(k.access_key_id, "AKIAPRODEXAMPLE00001");
    CHECK_STR(k.session_token, "prod-token-prod-token-prod-token");
    pp_creds_clear(&k);
    pp_aws_client_free(c);

    /* static keys in the config file (chain part 8) */
    want = file_source("static-config", "config");
    expect_source("static-config", want);
    free(want);
    /* the credentials file beats the config file */
    want = file_source("both-files", "credentials");
    expect_source("both-files", want);
    free(want);

    char *path = fixture("aws-config/credentials");
    char *msg =
        pp_xasprintf("profile 'half' in %s: aws_access_key_id without aws_secret_access_key", path);
    expect_error("half", msg);
    free(msg);
    free(path);

    /* the path shows as ~/.aws/credentials when it is the default one */
    clean_env("none", "none");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    char *dir = pp_xasprintf("%s/.aws", home);
    mkdir(dir, 0700);
    char *file = pp_xasprintf("%s/credentials", dir);
    FILE *f = fopen(file, "w");
    CHECK(f != NULL);
    fputs("[default]\naws_access_key_id = AKIAHOMEEXAMPLE00001\n"
          "aws_secret_access_key = home-secret-home-secret-01\n",
          f);
    fclose(f);
    expect_source(NULL, "profile default (~/.aws/credentials)");
    unlink(file);
    rmdir(dir);
    free(file);
    free(dir);
}

static void unknown_profile(void)
{
    clean_env("config", "credentials");
    char *cfg = fixture("aws-config/config"), *crd = fixture("aws-config/credentials");
    char *msg = pp_xasprintf("profile 'nope' is not defined in %s or %s", cfg, crd);
    expect_error("nope", msg);
    /* AWS_PROFILE is checked too */
    setenv("AWS_PROFILE", "nope", 1);
    set_env_keys();
    pp_aws_client *c = NULL;
    CHECK_INT(pp_aws_client_new(&c, NULL, NULL), PP_EINVAL);
    CHECK_STR(pp_err_msg(), msg);
    free(msg);
    free(cfg);
    free(crd);

    /* nothing anywhere, IMDS disabled */
    clean_env("none", "none");
    cfg = fixture("aws-config/none");
    msg = pp_xasprintf("no AWS credentials found (tried environment variables, profile 'default' "
                       "in %s and %s, container endpoint, EC2 instance metadata: disabled by "
                       "AWS_EC2_METADATA_DISABLED)",
                       cfg, cfg);
    CHECK_INT(pp_aws_client_new(&c, NULL, NULL), PP_EINVAL);
    CHECK_STR(pp_err_msg(), msg);
    free(msg);
    free(cfg);

    /* a malformed file is an error with file:line */
    char path[] = "/tmp/parapet-badcfg-XXXXXX";
    int fd = mkstemp(path);
    CHECK(write(fd, "[default]\nregion eu-west-1\n", 27) == 27);
    close(fd);
    setenv("AWS_CONFIG_FILE", path, 1);
    set_env_keys();
    CHECK_INT(pp_aws_client_new(&c, NULL, NULL), PP_EINVAL);
    msg = pp_xasprintf("%s:2: expected 'key = value'", path);
    CHECK_STR(pp_err_msg(), msg);
    free(msg);
    unlink(path);
}

/* ---- role profiles ------------------------------------------------------------------------- */

static void role_chains(void)
{
    clean_env("config", "credentials");
    char *dflt = file_source("default", "credentials");
    char *prod = file_source("prod", "credentials");
    char *self = file_source("self", "config");
    char *want = pp_xasprintf("assume-role arn:aws:iam::111122223333:role/SecurityAudit (profile "
                              "audit) via %s",
                              dflt);
    expect_source("audit", want);
    free(want);
    /* the external id is a secret from the moment it is read */
    char *red = pp_redact("ExternalId=our-external-id-1234");
    CHECK(strstr(red, "our-external-id-1234") == NULL);
    free(red);

    want = pp_xasprintf("assume-role arn:aws:iam::111122223333:role/A (profile chain-a) via "
                        "assume-role arn:aws:iam::222233334444:role/B (profile chain-b) via %s",
                        prod);
    expect_source("chain-a", want);
    free(want);
    /* AWS_PROFILE selects a role profile too (no environment keys set) */
    setenv("AWS_PROFILE", "chain-b", 1);
    pp_aws_client *c = NULL;
    CHECK_INT(pp_aws_client_new(&c, NULL, NULL), 0);
    want =
        pp_xasprintf("assume-role arn:aws:iam::222233334444:role/B (profile chain-b) via %s", prod);
    CHECK_STR(pp_aws_client_cred_source(c), want);
    free(want);
    /* the STS client behind it shares the endpoint configuration */
    pp_aws_client_free(c);
    unsetenv("AWS_PROFILE");

    want =
        pp_xasprintf("assume-role arn:aws:iam::111122223333:role/Self (profile self) via %s", self);
    expect_source("self", want);
    free(want);

    expect_error("loop-a", "profile 'loop-b': source_profile loop: loop-a -> loop-b -> loop-a");
    expect_error("loop-b", "profile 'loop-a': source_profile loop: loop-b -> loop-a -> loop-b");

    char *cfg = fixture("aws-config/config"), *crd = fixture("aws-config/credentials");
    char *msg = pp_xasprintf(
        "profile 'missing-source': source_profile 'nowhere' is not defined in %s or %s", cfg, crd);
    expect_error("missing-source", msg);
    free(msg);
    free(cfg);
    free(crd);
    expect_error("empty-source", "profile 'empty-source': source_profile 'prod-region-only' has "
                                 "no credentials (no keys, role_arn or credential_process)");
    expect_error("no-source",
                 "profile 'no-source': role_arn needs source_profile or credential_source");
    expect_error("both-sources", "profile 'both-sources' has both source_profile and "
                                 "credential_source; keep one");
    expect_error("bad-source", "profile 'bad-source': credential_source 'Magic' is not one of "
                               "Environment, Ec2InstanceMetadata, EcsContainer");
    expect_error("sso", "profile 'sso' signs in through IAM Identity Center (SSO), which parapet "
                        "does not do itself; use a profile with credential_process = aws "
                        "configure export-credentials --profile sso --format process");
    expect_error("webid", "profile 'webid': web_identity_token_file (web identity federation) is "
                          "not supported; use credential_process or a source_profile");
    expect_error("bad-duration", "profile 'bad-duration': duration_seconds '60' is not a number "
                                 "from 900 to 43200");

    /* credential_source */
    expect_error("from-env", "profile 'from-env' credential_source Environment: AWS_ACCESS_KEY_ID "
                             "is not set");
    set_env_keys();
    expect_source("from-env", "assume-role arn:aws:iam::111122223333:role/FromEnv (profile "
                              "from-env) via environment");
    expect_source("from-imds", "assume-role arn:aws:iam::111122223333:role/FromImds (profile "
                               "from-imds) via EC2 instance metadata");
    expect_error("from-ecs", "profile 'from-ecs' credential_source EcsContainer: neither "
                             "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
                             "AWS_CONTAINER_CREDENTIALS_FULL_URI is set");
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc", 1);
    expect_source("from-ecs", "assume-role arn:aws:iam::111122223333:role/FromEcs (profile "
                              "from-ecs) via container endpoint");
    free(dflt);
    free(prod);
    free(self);
}

static void assume_client(void)
{
    clean_env("config", "credentials");
    set_env_keys();
    setenv("AWS_PROFILE", "emu", 1);
    pp_aws_client *base = client_for(NULL);
    pp_aws_client *c = NULL;
    CHECK_INT(pp_aws_client_assume(&c, base, "arn:aws:iam::444455556666:role/Audit",
                                   "ext-id-secret-1234", NULL),
              0);
    CHECK_STR(pp_aws_client_cred_source(c),
              "assume-role arn:aws:iam::444455556666:role/Audit via environment");
    CHECK(c->base == base);
    CHECK_STR(pp_aws_client_region(c), "us-east-2");
    /* endpoint configuration comes from base: the emu profile's services block */
    char *url = NULL;
    const char *sr = NULL;
    CHECK_INT(pp_aws_client_endpoint(c, pp_service_find("config"), NULL, &url, &sr), 0);
    CHECK_STR(url, "http://127.0.0.1:4566");
    free(url);
    char *red = pp_redact("ext-id-secret-1234");
    CHECK(strstr(red, "ext-id") == NULL);
    free(red);
    pp_aws_client_free(c);

    c = (pp_aws_client *)1;
    CHECK_INT(pp_aws_client_assume(&c, base, "role/Audit", NULL, NULL), PP_EINVAL);
    CHECK(c == NULL);
    CHECK_STR(pp_err_msg(), "role 'role/Audit' is not an ARN");
    pp_aws_client_free(base);
}

/* ---- credential_process ------------------------------------------------------------------- */

static void shell_split(void)
{
    char **v = NULL;
    CHECK_INT(pp_creds_shell_split("a  b\tc", &v), 0);
    CHECK_INT(pp_strv_len(v), 3);
    CHECK_STR(v[2], "c");
    pp_strv_free(v);
    CHECK_INT(pp_creds_shell_split("'a b' \"c \\\"d\\\"\" e\\ f", &v), 0);
    CHECK_INT(pp_strv_len(v), 3);
    CHECK_STR(v[0], "a b");
    CHECK_STR(v[1], "c \"d\"");
    CHECK_STR(v[2], "e f");
    pp_strv_free(v);
    CHECK_INT(pp_creds_shell_split("x \"\" a'b'\"c\" \"a\\$b\\x\" $HOME a;b|c", &v), 0);
    CHECK_INT(pp_strv_len(v), 6);
    CHECK_STR(v[1], "");
    CHECK_STR(v[2], "abc");
    CHECK_STR(v[3], "a$b\\x");
    CHECK_STR(v[4], "$HOME");
    CHECK_STR(v[5], "a;b|c");
    pp_strv_free(v);
    CHECK_INT(pp_creds_shell_split("'open", &v), PP_EINVAL);
    CHECK_STR(pp_err_msg(), "unterminated single quote");
    CHECK_INT(pp_creds_shell_split("\"open", &v), PP_EINVAL);
    CHECK_INT(pp_creds_shell_split("a\\", &v), PP_EINVAL);
    CHECK_INT(pp_creds_shell_split("   ", &v), PP_EINVAL);
    CHECK_STR(pp_err_msg(), "empty command");
    CHECK(v == NULL);
}

static int run_process(const char *args, long timeout_ms, pp_creds *out)
{
    char *bin = fixture("bin/cred-process");
    char *cmd = pp_xasprintf("'%s' %s", bin, args);
    int rc = pp_creds_process_run(cmd, timeout_ms, 64 * 1024, out);
    free(cmd);
    free(bin);
    return rc;
}

static void expect_process_error(const char *args, long timeout_ms, const char *suffix)
{
    pp_creds k = {0};
    CHECK_INT(run_process(args, timeout_ms, &k), PP_EINVAL);
    CHECK(k.access_key_id == NULL);
    char *bin = fixture("bin/cred-process");
    char *want = pp_xasprintf("credential_process: '%s'%s", bin, suffix);
    CHECK_STR(pp_err_msg(), want);
    free(want);
    free(bin);
}

static void credential_process(void)
{
    clean_env("none", "none");
    pp_creds k = {0};
    CHECK_INT(run_process("good 2024-01-02T04:04:05Z", 10000, &k), 0);
    CHECK_STR(k.access_key_id, "ASIAPROCESSEXAMPLE01");
    CHECK_STR(k.secret_access_key, "process-secret-process-secret-01");
    CHECK_STR(k.session_token, "process-token-process-token-01");
    CHECK_INT(k.expiration, 1704164645 + 3600);
    pp_creds_clear(&k);
    char *red = pp_redact("process-secret-process-secret-01 process-token-process-token-01");
    CHECK(strstr(red, "process-") == NULL);
    free(red);

    CHECK_INT(run_process("static", 10000, &k), 0);
    CHECK_STR(k.access_key_id, "AKIAPROCESSEXAMPLE02");
    CHECK(k.session_token == NULL);
    CHECK_INT(k.expiration, 0);
    pp_creds_clear(&k);

    /* no shell: metacharacters and variables reach the command as they are */
    CHECK_INT(run_process("args 'AKIA;echo hi' '$HOME' \"a b|c\"", 10000, &k), 0);
    CHECK_STR(k.access_key_id, "AKIA;echo hi");
    CHECK_STR(k.secret_access_key, "$HOME");
    CHECK_STR(k.session_token, "a b|c");
    pp_creds_clear(&k);

    expect_process_error("v2", 10000, ": Version must be 1 (got 2)");
    expect_process_error("fail", 10000,
                         " exited with status 3: fetch-creds: token expired, run 'corp-login' "
                         "first");
    expect_process_error("garbage", 10000,
                         " did not print a JSON object ('[' or '{' expected near 'Hello' at line "
                         "1)");
    expect_process_error("slow", 300, " did not finish within 0.3 s");
    expect_process_error("big", 10000, " printed more than 65536 bytes");
    expect_process_error("good 'not a time'", 10000,
                         ": Expiration 'not a time' is not a timestamp");

    CHECK_INT(pp_creds_process_run("/nonexistent/fetch-creds --json", 1000, 1024, &k), PP_EINVAL);
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload"))
        /* under valgrind posix_spawnp cannot report the failed exec: the child exits 127 */
        CHECK_STR(pp_err_msg(), "credential_process: '/nonexistent/fetch-creds' exited with "
                                "status 127");
    else
        CHECK_STR(pp_err_msg(),
                  "credential_process: cannot run '/nonexistent/fetch-creds': No such file or "
                  "directory");
}

/* credential_process through a profile, and its place in the chain (after the credentials
 * file, before config-file keys). */
static void process_profile(void)
{
    clean_env("none", "none");
    char *bin = fixture("bin/cred-process");
    char path[] = "/tmp/parapet-proc-XXXXXX";
    int fd = mkstemp(path);
    char *text = pp_xasprintf("[profile proc]\n"
                              "credential_process = %s good\n"
                              "[profile proc-fail]\n"
                              "credential_process = %s fail\n"
                              "[profile proc-and-keys]\n"
                              "credential_process = %s good\n"
                              "aws_access_key_id = AKIACONFIGEXAMPLE009\n"
                              "aws_secret_access_key = config-secret-config-secret-09\n"
                              "[profile proc-role]\n"
                              "role_arn = arn:aws:iam::111122223333:role/P\n"
                              "source_profile = proc\n",
                              bin, bin, bin);
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    setenv("AWS_CONFIG_FILE", path, 1);

    pp_aws_client *c = client_for("proc");
    CHECK_STR(pp_aws_client_cred_source(c), "credential_process (profile proc)");
    pp_creds k = {0};
    CHECK_INT(pp_aws_client_creds(c, &k), 0);
    CHECK_STR(k.access_key_id, "ASIAPROCESSEXAMPLE01");
    CHECK_STR(k.source, "credential_process (profile proc)");
    pp_creds_clear(&k);
    pp_aws_client_free(c);

    expect_source("proc-and-keys", "credential_process (profile proc-and-keys)");
    expect_source("proc-role", "assume-role arn:aws:iam::111122223333:role/P (profile proc-role) "
                               "via credential_process (profile proc)");

    c = client_for("proc-fail");
    CHECK_INT(pp_aws_client_creds(c, &k), PP_EINVAL);
    char *want = pp_xasprintf("credential_process: '%s' exited with status 3: fetch-creds: token "
                              "expired, run 'corp-login' first",
                              bin);
    CHECK_STR(pp_err_msg(), want);
    free(want);
    pp_aws_client_free(c);
    unlink(path);
    free(text);
    free(bin);
}

/* ---- a loopback HTTP server for the container and IMDS providers ---------------------------- */

typedef struct srv {
    int fd, port;
    pthread_t th;
    volatile int stop;
    pthread_mutex_t mu;
    int hits, cred_hits;
    char mode[16];       /* "", "v1", "norole", "down" */
    char expiration[32]; /* credentials' Expiration */
    char want_auth[64];  /* container: expected Authorization */
    char last_auth[256];
    char last_token[128];
    /* STS AssumeRole (POST /) */
    int sts_hits;
    char last_body[2048];    /* form-decoded */
    char last_sectoken[128]; /* X-Amz-Security-Token */
} srv;

#define IMDS_TOKEN "imds-session-token-0123456789"

static void header_get(const char *headers, const char *name, char *out, size_t n)
{
    out[0] = '\0';
    size_t nl = strlen(name);
    for (const char *p = headers; p && *p; p = strstr(p, "\r\n") ? strstr(p, "\r\n") + 2 : NULL) {
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            snprintf(out, n, "%.*s", (int)strcspn(v, "\r\n"), v);
            return;
        }
    }
}

/* application/x-www-form-urlencoded -> text, so checks read like the values sent */
static void form_decode(const char *in, char *out, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; in[i] && j + 1 < n; i++) {
        unsigned int v;
        if (in[i] == '%' && in[i + 1] && in[i + 2] && sscanf(in + i + 1, "%2x", &v) == 1) {
            out[j++] = (char)v;
            i += 2;
        } else {
            out[j++] = in[i] == '+' ? ' ' : in[i];
        }
    }
    out[j] = '\0';
}

static void handle_sts(srv *s, const char *req_body, const char *sectoken, int *status,
                       pp_buf *body)
{
    s->sts_hits++;
    form_decode(req_body, s->last_body, sizeof(s->last_body));
    snprintf(s->last_sectoken, sizeof(s->last_sectoken), "%s", sectoken);
    if (strcmp(s->mode, "deny") == 0) {
        *status = 403;
        pp_buf_puts(body, "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                          "<Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not "
                          "allowed to assume this role</Message></Error><RequestId>r-1</RequestId>"
                          "</ErrorResponse>");
        return;
    }
    *status = 200;
    pp_buf_printf(body,
                  "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                  "<AssumeRoleResult><Credentials><AccessKeyId>ASIASTSEXAMPLE%05d</AccessKeyId>"
                  "<SecretAccessKey>sts-secret-sts-secret-%d</SecretAccessKey>"
                  "<SessionToken>sts-token-sts-token-%d</SessionToken>"
                  "<Expiration>%s</Expiration></Credentials><AssumedRoleUser>"
                  "<AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId>"
                  "<Arn>arn:aws:sts::111122223333:assumed-role/R/s</Arn></AssumedRoleUser>"
                  "</AssumeRoleResult><ResponseMetadata><RequestId>r-%d</RequestId>"
                  "</ResponseMetadata></AssumeRoleResponse>",
                  s->sts_hits, s->sts_hits, s->sts_hits, s->expiration, s->sts_hits);
}

static void handle(srv *s, const char *method, const char *path, const char *headers,
                   const char *req_body, int *status, pp_buf *body)
{
    char ttl[32], token[128], auth[256], sectoken[128];
    header_get(headers, "X-aws-ec2-metadata-token-ttl-seconds", ttl, sizeof(ttl));
    header_get(headers, "X-aws-ec2-metadata-token", token, sizeof(token));
    header_get(headers, "Authorization", auth, sizeof(auth));
    header_get(headers, "X-Amz-Security-Token", sectoken, sizeof(sectoken));
    pthread_mutex_lock(&s->mu);
    s->hits++;
    snprintf(s->last_token, sizeof(s->last_token), "%s", token);
    snprintf(s->last_auth, sizeof(s->last_auth), "%s", auth);
    bool v1 = strcmp(s->mode, "v1") == 0;
    *status = 404;
    if (strcmp(method, "POST") == 0 && strcmp(path, "/") == 0) {
        handle_sts(s, req_body, sectoken, status, body);
    } else if (strcmp(path, "/latest/api/token") == 0) {
        if (v1)
            *status = 405;
        else if (strcmp(method, "PUT") != 0 || strcmp(ttl, "21600") != 0)
            *status = 400;
        else {
            *status = 200;
            pp_buf_puts(body, IMDS_TOKEN);
        }
    } else if (pp_str_startswith(path, "/latest/meta-data/iam/security-credentials/")) {
        const char *role = path + strlen("/latest/meta-data/iam/security-credentials/");
        if (!v1 && strcmp(token, IMDS_TOKEN) != 0) {
            *status = 401;
        } else if (!*role) {
            *status = strcmp(s->mode, "norole") == 0 ? 404 : 200;
            if (*status == 200)
                pp_buf_puts(body, "parapet-role\n");
        } else if (strcmp(role, "parapet-role") == 0) {
            if (strcmp(s->mode, "down") == 0) {
                *status = 500;
            } else {
                s->cred_hits++;
                *status = 200;
                pp_buf_printf(body,
                              "{\"Code\": \"Success\", \"Type\": \"AWS-HMAC\", \"AccessKeyId\": "
                              "\"ASIAIMDSEXAMPLE%05d\", \"SecretAccessKey\": "
                              "\"imds-secret-imds-secret-%d\", \"Token\": \"imds-token-imds-"
                              "token-%d\", \"Expiration\": \"%s\", \"LastUpdated\": "
                              "\"2024-01-02T02:00:00Z\"}",
                              s->cred_hits, s->cred_hits, s->cred_hits, s->expiration);
            }
        }
    } else if (strcmp(path, "/creds") == 0) {
        if (s->want_auth[0] && strcmp(auth, s->want_auth) != 0) {
            *status = 401;
            pp_buf_puts(body, "{\"code\": \"AccessDenied\", \"message\": \"bad token\"}");
        } else {
            s->cred_hits++;
            *status = 200;
            pp_buf_printf(body,
                          "{\"AccessKeyId\": \"ASIACONTAINEREXAMPLE\", \"SecretAccessKey\": "
                          "\"container-secret-container-01\", \"Token\": "
                          "\"container-token-container-01\", \"Expiration\": \"%s\"}",
                          s->expiration);
        }
    }
    pthread_mutex_unlock(&s->mu);
}

static void *srv_main(void *arg)
{
    srv *s = arg;
    while (!s->stop) {
        int cfd = accept(s->fd, NULL, NULL);
        if (cfd < 0) {
            if (s->stop)
                break;
            continue;
        }
        struct timeval tv = {2, 0};
        setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        char req[16384];
        size_t n = 0;
        char *end = NULL;
        size_t want = 0;
        while (n < sizeof(req) - 1) {
            ssize_t got = recv(cfd, req + n, sizeof(req) - 1 - n, 0);
            if (got <= 0)
                break;
            n += (size_t)got;
            req[n] = '\0';
            if (!end && (end = strstr(req, "\r\n\r\n"))) {
                char cl[32];
                header_get(req, "Content-Length", cl, sizeof(cl));
                want = (size_t)(end + 4 - req) + strtoul(cl, NULL, 10);
            }
            if (end && n >= want)
                break;
        }
        req[n] = '\0';
        char method[16] = "", path[512] = "";
        sscanf(req, "%15s %511s", method, path);
        const char *hdrs = strstr(req, "\r\n");
        int status = 500;
        pp_buf body;
        pp_buf_init(&body, 0);
        handle(s, method, path, hdrs ? hdrs + 2 : "", end ? end + 4 : "", &status, &body);
        char *resp = pp_xasprintf("HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n"
                                  "Content-Type: text/plain\r\n\r\n%s",
                                  status, body.len, pp_buf_cstr(&body));
        ssize_t w = send(cfd, resp, strlen(resp), MSG_NOSIGNAL);
        (void)w;
        free(resp);
        pp_buf_free(&body);
        close(cfd);
    }
    return NULL;
}

static void srv_start(srv *s)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    snprintf(s->expiration, sizeof(s->expiration), "2024-01-02T04:00:00Z");
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_INT(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t len = sizeof(a);
    getsockname(s->fd, (struct sockaddr *)&a, &len);
    s->port = ntohs(a.sin_port);
    CHECK_INT(listen(s->fd, 16), 0);
    pthread_create(&s->th, NULL, srv_main, s);
}

static void srv_stop(srv *s)
{
    s->stop = 1;
    shutdown(s->fd, SHUT_RDWR);
    pthread_join(s->th, NULL);
    close(s->fd);
    pthread_mutex_destroy(&s->mu);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    socklen_t len = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

/* ---- container --------------------------------------------------------------------------------
 */

static void container(void)
{
    srv s;
    srv_start(&s);
    clean_env("none", "none");
    char *url = pp_xasprintf("http://127.0.0.1:%d/creds", s.port);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth-token-0001", 1);
    snprintf(s.want_auth, sizeof(s.want_auth), "container-auth-token-0001");
    setenv("PARAPET_NOW", "2024-01-02T03:00:00Z", 1);

    pp_aws_client *c = client_for(NULL);
    CHECK_STR(pp_aws_client_cred_source(c), "container endpoint");
    pp_creds k = {0};
    CHECK_INT(pp_aws_client_creds(c, &k), 0);
    CHECK_STR(k.access_key_id, "ASIACONTAINEREXAMPLE");
    CHECK_STR(k.session_token, "container-token-container-01");
    CHECK_INT(k.expiration, 1704164645 + 3600 - 245);
    CHECK_STR(s.last_auth, "container-auth-token-0001");
    pp_creds_clear(&k);
    pp_aws_client_free(c);
    char *red = pp_redact("Authorization container-auth-token-0001 container-secret-container-01");
    CHECK(strstr(red, "container-auth") == NULL && strstr(red, "container-secret") == NULL);
    free(red);

    /* the token file wins over the variable */
    char path[] = "/tmp/parapet-token-XXXXXX";
    int fd = mkstemp(path);
    CHECK(write(fd, "container-file-token-0002\n", 26) == 26);
    close(fd);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path, 1);
    CHECK_INT(pp_creds_container_fetch(&k), PP_EAWS);
    char *want = pp_xasprintf("container credentials at %s: HTTP 401: bad token", url);
    CHECK_STR(pp_err_msg(), want);
    free(want);
    CHECK_STR(s.last_auth, "container-file-token-0002");
    snprintf(s.want_auth, sizeof(s.want_auth), "container-file-token-0002");
    CHECK_INT(pp_creds_container_fetch(&k), 0);
    pp_creds_clear(&k);
    unlink(path);
    CHECK_INT(pp_creds_container_fetch(&k), PP_EINVAL);
    CHECK(strstr(pp_err_msg(), "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: ") == pp_err_msg());
    unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    srv_stop(&s);

    /* nobody listening */
    free(url);
    url = pp_xasprintf("http://127.0.0.1:%d/creds", free_port());
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    CHECK_INT(pp_creds_container_fetch(&k), PP_EAWS);
    want = pp_xasprintf("container credentials at %s: ", url);
    CHECK(pp_str_startswith(pp_err_msg(), want));
    free(want);
    free(url);

    /* plain http only to loopback or the agent's addresses */
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds", 1);
    CHECK_INT(pp_creds_container_fetch(&k), PP_EINVAL);
    CHECK_STR(pp_err_msg(), "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http only to loopback or "
                            "the container agent (169.254.170.2, 169.254.170.23), not "
                            "'http://example.com/creds'");
    unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "v2/creds", 1);
    CHECK_INT(pp_creds_container_fetch(&k), PP_EINVAL);
    CHECK_STR(pp_err_msg(), "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: 'v2/creds' is not a path");
}

/* ---- IMDSv2 -----------------------------------------------------------------------------------
 */

typedef struct getter {
    pp_aws_client *c;
    int rc;
    char akid[32];
} getter;

static void *get_creds(void *arg)
{
    getter *g = arg;
    pp_creds k = {0};
    g->rc = pp_aws_client_creds(g->c, &k);
    snprintf(g->akid, sizeof(g->akid), "%s", k.access_key_id ? k.access_key_id : "");
    pp_creds_clear(&k);
    return NULL;
}

static void imds(void)
{
    srv s;
    srv_start(&s);
    clean_env("none", "none");
    unsetenv("AWS_EC2_METADATA_DISABLED");
    char *base = pp_xasprintf("http://127.0.0.1:%d/", s.port);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", base, 1);
    setenv("PARAPET_NOW", "2024-01-02T03:00:00Z", 1);
    snprintf(s.expiration, sizeof(s.expiration), "2024-01-02T03:10:00Z");

    pp_aws_client *c = client_for(NULL);
    CHECK_STR(pp_aws_client_cred_source(c), "EC2 instance metadata");
    CHECK_INT(s.hits, 0); /* nothing is fetched before it is needed */
    pp_creds k = {0};
    CHECK_INT(pp_aws_client_creds(c, &k), 0);
    CHECK_STR(k.access_key_id, "ASIAIMDSEXAMPLE00001");
    CHECK_STR(k.session_token, "imds-token-imds-token-1");
    CHECK_INT(k.expiration, 1704164645 + 600 - 245);
    CHECK_STR(s.last_token, IMDS_TOKEN);
    CHECK_INT(s.hits, 3); /* token, role name, credentials */
    pp_creds_clear(&k);
    char *red = pp_redact("imds-secret-imds-secret-1 imds-token-imds-token-1 " IMDS_TOKEN);
    CHECK(strstr(red, "imds-") == NULL);
    free(red);

    /* still ten minutes left: cached */
    CHECK_INT(pp_aws_client_creds(c, &k), 0);
    CHECK_STR(k.access_key_id, "ASIAIMDSEXAMPLE00001");
    CHECK_INT(s.cred_hits, 1);
    pp_creds_clear(&k);

    /* within five minutes of expiry: refreshed once, even with eight threads asking at once */
    setenv("PARAPET_NOW", "2024-01-02T03:06:00Z", 1);
    snprintf(s.expiration, sizeof(s.expiration), "2024-01-02T04:00:00Z");
    getter g[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        g[i] = (getter){.c = c};
        pthread_create(&th[i], NULL, get_creds, &g[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(g[i].rc, 0);
        CHECK_STR(g[i].akid, "ASIAIMDSEXAMPLE00002");
    }
    CHECK_INT(s.cred_hits, 2);

    /* a failed early refresh keeps the old credentials while they have a minute left... */
    setenv("PARAPET_NOW", "2024-01-02T03:57:00Z", 1);
    snprintf(s.mode, sizeof(s.mode), "down");
    CHECK_INT(pp_aws_client_creds(c, &k), 0);
    CHECK_STR(k.access_key_id, "ASIAIMDSEXAMPLE00002");
    pp_creds_clear(&k);
    /* ...and fails after that */
    setenv("PARAPET_NOW", "2024-01-02T03:59:30Z", 1);
    CHECK_INT(pp_aws_client_creds(c, &k), PP_EINVAL);
    if (!strstr(pp_err_msg(), "role credentials: HTTP 500"))
        fprintf(stderr, "error: %s\n", pp_err_msg());
    CHECK(strstr(pp_err_msg(), "role credentials: HTTP 500") != NULL);
    CHECK(pp_str_startswith(pp_err_msg(), "no AWS credentials found (tried "));
    pp_aws_client_free(c);

    /* IMDSv1 fallback when the token PUT is refused, unless v1 is disabled */
    snprintf(s.mode, sizeof(s.mode), "v1");
    CHECK_INT(pp_creds_imds_fetch(&k), 0);
    CHECK(k.access_key_id != NULL);
    CHECK_STR(s.last_token, "");
    pp_creds_clear(&k);
    setenv("AWS_EC2_METADATA_V1_DISABLED", "true", 1);
    CHECK_INT(pp_creds_imds_fetch(&k), PP_EAWS);
    CHECK(strstr(pp_err_msg(), "AWS_EC2_METADATA_V1_DISABLED forbids IMDSv1") != NULL);
    unsetenv("AWS_EC2_METADATA_V1_DISABLED");

    /* no role attached */
    snprintf(s.mode, sizeof(s.mode), "norole");
    CHECK_INT(pp_creds_imds_fetch(&k), PP_EAWS);
    char *want = pp_xasprintf("EC2 instance metadata at http://127.0.0.1:%d: no IAM role is "
                              "attached to this instance",
                              s.port);
    CHECK_STR(pp_err_msg(), want);
    free(want);
    srv_stop(&s);
    free(base);

    /* nobody listening: a short, clear failure */
    base = pp_xasprintf("http://127.0.0.1:%d", free_port());
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", base, 1);
    CHECK_INT(pp_creds_imds_fetch(&k), PP_EAWS);
    want = pp_xasprintf("EC2 instance metadata at %s: ", base);
    CHECK(pp_str_startswith(pp_err_msg(), want));
    free(want);
    free(base);

    /* AWS_EC2_METADATA_DISABLED skips it */
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    CHECK_INT(pp_creds_imds_fetch(&k), PP_EINVAL);
    CHECK(pp_creds_imds_disabled());
}

/* ---- AssumeRole through the engine, against a fake STS on loopback -------------------------- */

static void assume_role_calls(void)
{
    srv s;
    srv_start(&s);
    pp_aws_engine *e = NULL;
    CHECK_INT(pp_aws_engine_new(&e, NULL), 0);
    clean_env("config", "credentials");
    char *url = pp_xasprintf("http://127.0.0.1:%d", s.port);
    setenv("AWS_ENDPOINT_URL", url, 1);
    setenv("PARAPET_NOW", "2024-01-02T03:00:00Z", 1);
    snprintf(s.expiration, sizeof(s.expiration), "2024-01-02T03:30:00Z");

    pp_aws_client_options o = {.profile = "audit"};
    pp_aws_client *c = NULL;
    CHECK_INT(pp_aws_client_new(&c, e, &o), 0);
    CHECK_INT(s.sts_hits, 0);
    pp_creds k = {0};
    CHECK_INT(pp_aws_client_creds(c, &k), 0);
    CHECK_STR(k.access_key_id, "ASIASTSEXAMPLE00001");
    CHECK_STR(k.session_token, "sts-token-sts-token-1");
    CHECK_INT(k.expiration, 1704164645 + 1800 - 245);
    pp_creds_clear(&k);
    /* the profile's settings went into the call, signed with the source profile's keys */
    CHECK(strstr(s.last_body, "Action=AssumeRole") != NULL);
    CHECK(strstr(s.last_body, "RoleArn=arn:aws:iam::111122223333:role/SecurityAudit") != NULL);
    CHECK(strstr(s.last_body, "RoleSessionName=audit-session") != NULL);
    CHECK(strstr(s.last_body, "ExternalId=our-external-id-1234") != NULL);
    CHECK(strstr(s.last_body, "DurationSeconds=1800") != NULL);
    CHECK(strstr(s.last_auth, "Credential=AKIADEFAULTEXAMPLE01/20") != NULL);
    CHECK(strstr(s.last_auth, "/eu-central-1/sts/aws4_request") != NULL);
    CHECK_STR(s.last_sectoken, "");
    char *red = pp_redact("sts-secret-sts-secret-1 sts-token-sts-token-1");
    CHECK(strstr(red, "sts-") == NULL);
    free(red);

    /* cached while fresh; refreshed once (by eight threads at once) when close to expiry */
    CHECK_INT(pp_aws_client_creds(c, &k), 0);
    pp_creds_clear(&k);
    CHECK_INT(s.sts_hits, 1);
    setenv("PARAPET_NOW", "2024-01-02T03:26:00Z", 1);
    snprintf(s.expiration, sizeof(s.expiration), "2024-01-02T04:30:00Z");
    getter g[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        g[i] = (getter){.c = c};
        pthread_create(&th[i], NULL, get_creds, &g[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(g[i].rc, 0);
        CHECK_STR(g[i].akid, "ASIASTSEXAMPLE00002");
    }
    CHECK_INT(s.sts_hits, 2);
    pp_aws_client_free(c);

    /* a chain: B is assumed with prod's session keys, then A with B's */
    s.sts_hits = 0;
    o.profile = "chain-a";
    CHECK_INT(pp_aws_client_new(&c, e, &o), 0);
    CHECK_INT(pp_aws_client_creds(c, &k), 0);
    CHECK_INT(s.sts_hits, 2);
    CHECK_STR(k.access_key_id, "ASIASTSEXAMPLE00002");
    CHECK(strstr(s.last_body, "RoleArn=arn:aws:iam::111122223333:role/A") != NULL);
    CHECK(strstr(s.last_auth, "Credential=ASIASTSEXAMPLE00001/") != NULL);
    CHECK_STR(s.last_sectoken, "sts-token-sts-token-1");
    /* the default session name */
    CHECK(strstr(s.last_body, "RoleSessionName=parapet-1704165960") != NULL);
    CHECK(strstr(s.last_body, "ExternalId") == NULL);
    CHECK(strstr(s.last_body, "DurationSeconds") == NULL);
    pp_creds_clear(&k);
    pp_aws_client_free(c);

    /* pp_aws_client_assume() calls through its base */
    set_env_keys();
    pp_aws_client *base = NULL;
    CHECK_INT(pp_aws_client_new(&base, e, NULL), 0);
    CHECK_INT(pp_aws_client_assume(&c, base, "arn:aws:iam::444455556666:role/Audit",
                                   "ext-id-secret-5678", "cross-account"),
              0);
    CHECK_INT(pp_aws_client_creds(c, &k), 0);
    CHECK(strstr(s.last_body, "RoleArn=arn:aws:iam::444455556666:role/Audit") != NULL);
    CHECK(strstr(s.last_body, "ExternalId=ext-id-secret-5678") != NULL);
    CHECK(strstr(s.last_body, "RoleSessionName=cross-account") != NULL);
    CHECK(strstr(s.last_auth, "Credential=AKIAENVEXAMPLE000001/") != NULL);
    pp_creds_clear(&k);
    pp_aws_client_free(c);

    /* refused: one clear error naming the role */
    snprintf(s.mode, sizeof(s.mode), "deny");
    CHECK_INT(pp_aws_client_assume(&c, base, "arn:aws:iam::444455556666:role/Audit", NULL, NULL),
              0);
    CHECK_INT(pp_aws_client_creds(c, &k), PP_EAWS);
    CHECK_STR(pp_err_msg(), "assume role arn:aws:iam::444455556666:role/Audit: AccessDenied: not "
                            "allowed to assume this role");
    pp_aws_client_free(c);
    pp_aws_client_free(base);
    pp_aws_engine_free(e);
    srv_stop(&s);
    free(url);
}

PP_TEST_MAIN(TEST(environment_first), TEST(shared_files), TEST(unknown_profile), TEST(role_chains),
             TEST(assume_client), TEST(shell_split), TEST(credential_process),
             TEST(process_profile), TEST(container), TEST(imds), TEST(assume_role_calls))
