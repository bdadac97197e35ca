/* cli/notify.c: when a run is worth a notification, what the payload says (and never says), which
 * webhook URLs are accepted, and that a failed delivery is an error naming only the origin. */
#include "notify.h"
#include "pp_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void on_names(void)
{
    enum pp_notify_on on = PP_NOTIFY_ALWAYS;
    CHECK_INT(pp_notify_on_parse("fail", &on), 0);
    CHECK_INT(on, PP_NOTIFY_FAIL);
    CHECK_INT(pp_notify_on_parse("new", &on), 0);
    CHECK_INT(on, PP_NOTIFY_NEW);
    CHECK_INT(pp_notify_on_parse("always", &on), 0);
    CHECK_INT(on, PP_NOTIFY_ALWAYS);
    CHECK_INT(pp_notify_on_parse("never", &on), PP_EINVAL);
    CHECK_STR(pp_err_msg(), "'never' is not one of fail, new, always");
    CHECK_INT(pp_notify_on_parse("FAIL", &on), PP_EINVAL);
    CHECK_STR(pp_notify_on_name(PP_NOTIFY_NEW), "new");
}

static void urls(void)
{
    CHECK_INT(pp_notify_url_check("https://hooks.example.com/services/T0/B0/abc", false), 0);
    CHECK_INT(pp_notify_url_check("http://127.0.0.1:8080/hook", false), 0);
    CHECK_INT(pp_notify_url_check("http://127.5.6.7/hook", false), 0);
    CHECK_INT(pp_notify_url_check("http://localhost:9/hook", false), 0);
    CHECK_INT(pp_notify_url_check("http://[::1]:9/hook", false), 0);
    CHECK_INT(pp_notify_url_check("http://hooks.example.com/x/very-secret-path", false), PP_EINVAL);
    CHECK_STR(pp_err_msg(), "http://hooks.example.com: refusing plain http to a non-loopback host "
                            "(use https, or --allow-insecure-endpoint)");
    CHECK_INT(pp_notify_url_check("http://hooks.example.com/x", true), 0);
    /* 127.0.0.1.example.com is not loopback */
    CHECK_INT(pp_notify_url_check("http://127.0.0.1.example.com/x", false), PP_EINVAL);
    CHECK_INT(pp_notify_url_check("ftp://127.0.0.1/x", true), PP_EINVAL);
    CHECK_INT(pp_notify_url_check("https://user:pw@hooks.example.com/x", false), PP_EINVAL);
    CHECK(strstr(pp_err_msg(), "user information") != NULL);
    CHECK(strstr(pp_err_msg(), "pw") == NULL);
    CHECK_INT(pp_notify_url_check("hooks.example.com/path-secret", false), PP_EINVAL);
    CHECK_INT(pp_notify_url_check("https://hooks.example.com/a b", false), PP_EINVAL);
    CHECK_STR(pp_err_msg(), "not a URL (expected https://host/path)");
    CHECK_INT(pp_notify_url_check("", false), PP_EINVAL);
    CHECK_INT(pp_notify_url_check("https://:443/nohost", false), PP_EINVAL);

    char *o = pp_notify_url_origin("https://hooks.example.com:8443/services/T0/B0/abc?x=1");
    CHECK_STR(o, "https://hooks.example.com:8443");
    free(o);
    o = pp_notify_url_origin("http://[::1]/x");
    CHECK_STR(o, "http://[::1]");
    free(o);
    o = pp_notify_url_origin("not a url");
    CHECK_STR(o, "(unparsable URL)");
    free(o);

    /* an accepted URL's path is a secret from then on */
    CHECK_INT(pp_notify_url_check("https://hooks.example.com/services/T0/B0/s3cr3tT0ken", false),
              0);
    char *clean = pp_redact("posting to /services/T0/B0/s3cr3tT0ken failed");
    CHECK(strstr(clean, "s3cr3tT0ken") == NULL);
    free(clean);
}

static void env_urls(void)
{
    setenv("PARAPET_NOTIFY_URL", "  https://a.example/1 \n\thttps://b.example/2  ", 1);
    char **v = pp_notify_env_urls();
    CHECK_INT(pp_strv_len(v), 2);
    CHECK_STR(v[0], "https://a.example/1");
    CHECK_STR(v[1], "https://b.example/2");
    pp_strv_free(v);
    setenv("PARAPET_NOTIFY_URL", "   ", 1);
    v = pp_notify_env_urls();
    CHECK_INT(pp_strv_len(v), 0);
    pp_strv_free(v);
    unsetenv("PARAPET_NOTIFY_URL");
    v = pp_notify_env_urls();
    CHECK(v && v[0] == NULL);
    pp_strv_free(v);
}

static void wanted(void)
{
    pp_cli_outcome oc = {0};
    pp_notify_run run = {.command = "scan", .exit_code = PP_EXIT_OK};
    CHECK(!pp_notify_wanted(PP_NOTIFY_FAIL, &run, &oc));
    CHECK(!pp_notify_wanted(PP_NOTIFY_NEW, &run, &oc));
    CHECK(pp_notify_wanted(PP_NOTIFY_ALWAYS, &run, &oc));
    run.exit_code = PP_EXIT_FAIL;
    CHECK(pp_notify_wanted(PP_NOTIFY_FAIL, &run, &oc));
    CHECK(!pp_notify_wanted(PP_NOTIFY_NEW, &run, &oc)); /* failing, but nothing new */
    oc.new_failures_total = 2;                          /* new, but below --fail-on */
    CHECK(!pp_notify_wanted(PP_NOTIFY_NEW, &run, &oc));
    oc.new_alert = 1;
    CHECK(pp_notify_wanted(PP_NOTIFY_NEW, &run, &oc));
    run.exit_code = PP_EXIT_INCOMPLETE;
    oc.new_alert = 0;
    CHECK(pp_notify_wanted(PP_NOTIFY_FAIL, &run, &oc));
    /* a run that could not complete is reported whatever the mode */
    run.error = "scan: credentials expired";
    CHECK(pp_notify_wanted(PP_NOTIFY_NEW, &run, NULL));
    CHECK(pp_notify_wanted(PP_NOTIFY_FAIL, &run, NULL));
}

static json_t *a_failure(const char *sev, const char *rule, const char *id)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:{s:[s]}, s:{s:s, s:s, s:s, s:s, s:s}}", "id",
                     "0123456789abcdef0123456789abcdef01234567", "rule", rule, "title", "a title",
                     "severity", sev, "frameworks", "cis-aws-3.0", "5.2", "resource", "type",
                     "AWS::EC2::SecurityGroup", "id", id, "arn", "arn:aws:ec2:::sg", "account",
                     "111122223333", "region", "eu-west-1");
}

static void payload(void)
{
    pp_cli_outcome oc = {.exit_code = PP_EXIT_FAIL, .fail_on = "high", .previous = 41};
    oc.fail_by_sev[PP_SEV_CRITICAL] = 1;
    oc.fail_by_sev[PP_SEV_HIGH] = 2;
    oc.counts[PP_STATUS_FAIL] = 9;
    oc.counts[PP_STATUS_PASS] = 30;
    oc.suppressed = 1;
    oc.new_fail = 12;
    oc.resolved = 3;
    oc.coverage_errors = 4;
    oc.new_failures = json_array();
    for (int i = 0; i < 12; i++)
        json_array_append_new(oc.new_failures, a_failure(i ? "high" : "critical", "CIS-5.2",
                                                         i ? "sg-1" : "sg-<b>&\x1b[31mred"));
    oc.new_failures_total = 12;
    oc.new_alert = 12;
    pp_snapshot_info snap = {.id = 42,
                             .started_at = 1704164645,
                             .finished_at = 1704164700,
                             .accounts = json_pack("[s,s,s,s]", "1", "2", "3", "4"),
                             .regions = json_pack("[s]", "eu-west-1"),
                             .resources = 77};
    pp_notify_run run = {.command = "scan",
                         .exit_code = PP_EXIT_FAIL,
                         .snapshot = &snap,
                         .report_dir = "/srv/out",
                         .formats = "json,html",
                         .pruned = 2};
    json_t *p = pp_notify_payload(&run, &oc);
    CHECK_STR(json_string_value(json_object_get(p, "status")), "fail");
    CHECK_INT(json_integer_value(json_object_get(p, "exit_code")), 1);
    CHECK(json_is_null(json_object_get(p, "error")));
    CHECK_STR(json_string_value(json_object_get(p, "schema")), "parapet/notification/v1");
    CHECK_INT(json_integer_value(json_object_get(json_object_get(p, "snapshot"), "id")), 42);
    CHECK_STR(json_string_value(json_object_get(json_object_get(p, "snapshot"), "started_at")),
              "2024-01-02T03:04:05Z");
    json_t *cf = json_object_get(p, "controls_failed");
    CHECK_INT(json_integer_value(json_object_get(cf, "critical")), 1);
    CHECK_INT(json_integer_value(json_object_get(cf, "high")), 2);
    CHECK_INT(json_integer_value(json_object_get(cf, "total")), 3);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(p, "findings"), "FAIL")), 9);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(p, "findings"), "suppressed")), 1);
    CHECK_INT(json_integer_value(json_object_get(p, "previous_snapshot")), 41);
    CHECK_INT(json_integer_value(json_object_get(p, "new")), 12);
    CHECK_INT(json_integer_value(json_object_get(p, "resolved")), 3);
    CHECK_INT(json_integer_value(json_object_get(p, "coverage_errors")), 4);
    CHECK_INT(json_array_size(json_object_get(p, "new_failures")), 12);
    CHECK_STR(json_string_value(json_object_get(p, "fail_on")), "high");
    CHECK_INT(json_integer_value(json_object_get(p, "pruned")), 2);
    json_t *rep = json_object_get(p, "reports");
    CHECK_STR(json_string_value(json_object_get(rep, "dir")), "/srv/out");
    CHECK_STR(json_string_value(json_array_get(json_object_get(rep, "files"), 0)),
              "/srv/out/report.json");
    CHECK_STR(json_string_value(json_array_get(json_object_get(rep, "files"), 1)),
              "/srv/out/report.html");

    const char *text = json_string_value(json_object_get(p, "text"));
    CHECK(text != NULL);
    text = text ? text : "";
    CHECK(strstr(text, ": FAIL (exit 1), snapshot 42, accounts 1,2,3 +1, regions eu-west-1") !=
          NULL);
    CHECK(strstr(text, "controls failed: 3 (critical 1, high 2, medium 0, low 0, info 0); "
                       "fail-on high") != NULL);
    CHECK(strstr(text, "since snapshot 41: 12 new FAIL, 3 resolved") != NULL);
    /* Slack markup and terminal escapes from a hostile name are neutralised */
    CHECK(strstr(text, "- critical CIS-5.2 AWS::EC2::SecurityGroup sg-&lt;b&gt;&amp;?[31mred "
                       "(111122223333 eu-west-1)") != NULL);
    CHECK(strchr(text, '\x1b') == NULL);
    CHECK(strstr(text, "<b>") == NULL);
    CHECK(strstr(text, "... and 2 more new failures in the report") != NULL);
    CHECK(strstr(text, "report: /srv/out/report.html") != NULL);
    CHECK(strstr(text, "retention: pruned 2 old snapshots") != NULL);
    size_t lines = 0;
    for (const char *c = text; *c; c++)
        lines += *c == '\n';
    CHECK_INT(lines, 2 + PP_NOTIFY_TEXT_LISTED + 4);
    json_decref(p);

    /* the first run: no previous snapshot, new counts are null, every failure is new */
    oc.previous = 0;
    p = pp_notify_payload(&run, &oc);
    CHECK(json_is_null(json_object_get(p, "previous_snapshot")));
    CHECK(json_is_null(json_object_get(p, "new")));
    CHECK(json_is_null(json_object_get(p, "resolved")));
    CHECK(strstr(json_string_value(json_object_get(p, "text")),
                 "first snapshot: all 12 unsuppressed FAIL findings are new") != NULL);
    json_decref(p);

    /* a run that stopped half-way: the error, no counts, no reports */
    pp_notify_run broken = {.command = "scan",
                            .exit_code = PP_EXIT_INCOMPLETE,
                            .error = "scan: sts GetCallerIdentity: ExpiredToken: expired"};
    p = pp_notify_payload(&broken, NULL);
    CHECK_STR(json_string_value(json_object_get(p, "status")), "error");
    CHECK_STR(json_string_value(json_object_get(p, "error")), broken.error);
    CHECK(json_is_null(json_object_get(p, "snapshot")));
    CHECK(json_is_null(json_object_get(p, "reports")));
    CHECK(json_object_get(p, "controls_failed") == NULL);
    CHECK(strstr(json_string_value(json_object_get(p, "text")),
                 ": ERROR (exit 3)\nscan: sts GetCallerIdentity: ExpiredToken: expired") != NULL);
    json_decref(p);

    json_decref(oc.new_failures);
    json_decref(snap.accounts);
    json_decref(snap.regions);
}

/* A loopback port nothing listens on: bound, then closed. */
static int dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0)
            close(fd);
        return 9;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static void delivery_failure(void)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook/topsecret-part", dead_port());
    CHECK_INT(pp_notify_url_check(url, false), 0);
    CHECK_INT(pp_notify_post(url, "{}", 2), PP_EIO);
    CHECK(strstr(pp_err_msg(), "http://127.0.0.1:") == pp_err_msg());
    CHECK(strstr(pp_err_msg(), "topsecret") == NULL);
    json_t *p = json_object();
    char *v[] = {url, url, NULL};
    CHECK_INT(pp_notify_send(v, p), 2);
    json_decref(p);
}

PP_TEST_MAIN(TEST(on_names), TEST(urls), TEST(env_urls), TEST(wanted), TEST(payload),
             TEST(delivery_failure))
