/* The engine and calls against a loopback HTTP server of our own (a thread in this process): the
 * exact request parapet sends and signs, retries on throttling, 5xx and dropped connections with
 * a fresh signature each attempt, the retry quota, timeouts, the response size limit, writes
 * that must not be retried, paging, and the in-flight bounds. The server verifies every
 * request's SigV4 signature itself. Nothing leaves 127.0.0.1. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pp_test.h"
#include "wire.h"

#define AKID   "AKIDEXAMPLEENGINE001"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

/* ---- the server --------------------------------------------------------------------------- */

enum act { RESPOND = 0, DROP, SLOW, UNSIZED };

typedef struct canned {
    enum act act;
    int status;
    const char *body; /* NULL: "" */
    const char *ctype;
    int sleep_ms;
    size_t repeat_body; /* when > 0, the body is this many 'x' bytes */
    const char *extra;  /* more header lines, each ending in \r\n */
} canned;

typedef struct seen {
    char method[16];
    char target[4096];
    pp_http_header headers[64];
    size_t n_headers;
    char *body;
    size_t body_len;
    bool signature_ok;
    char sig_error[200];
} seen;

static struct server {
    int fd;
    int port;
    pthread_t thread;
    pthread_mutex_t lock;
    canned script[64];
    size_t n_script, next;
    canned fallback;
    seen reqs[128];
    size_t n_reqs;
    int active, max_active;
    int connections;
    int threads;
    bool stop;
} srv;

static void srv_script(const canned *c, size_t n, canned fallback)
{
    pthread_mutex_lock(&srv.lock);
    for (size_t i = 0; i < srv.n_reqs; i++) {
        for (size_t j = 0; j < srv.reqs[i].n_headers; j++) {
            free((char *)srv.reqs[i].headers[j].name);
            free((char *)srv.reqs[i].headers[j].value);
        }
        free(srv.reqs[i].body);
    }
    memset(srv.reqs, 0, sizeof(srv.reqs));
    srv.n_reqs = 0;
    if (n)
        memcpy(srv.script, c, n * sizeof(*c));
    srv.n_script = n;
    srv.next = 0;
    srv.fallback = fallback;
    srv.max_active = srv.active; /* a slow reply of an earlier case may still be in flight */
    srv.connections = 0;
    pthread_mutex_unlock(&srv.lock);
}

/* Waits for slow replies of earlier cases to finish, so that concurrency counts start at 0. */
static void srv_idle(void)
{
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&srv.lock);
        int active = srv.active;
        pthread_mutex_unlock(&srv.lock);
        if (active == 0)
            return;
        usleep(10000);
    }
}

static const char *hdr(const seen *s, const char *name)
{
    return pp_wire_header(s->headers, s->n_headers, name);
}

/* Rebuilds the canonical request from what arrived and checks the Authorization header. */
static void verify_signature(seen *s)
{
    const char *auth = hdr(s, "Authorization");
    const char *date = hdr(s, "X-Amz-Date");
    char scope_region[64] = "", scope_service[64] = "", signed_list[1024] = "";
    if (!auth || !date) {
        snprintf(s->sig_error, sizeof(s->sig_error), "no Authorization or X-Amz-Date");
        return;
    }
    const char *cred = strstr(auth, "Credential=");
    const char *sh = strstr(auth, "SignedHeaders=");
    if (!cred || !sh ||
        sscanf(cred, "Credential=" AKID "/%*8s/%63[^/]/%63[^/]/", scope_region, scope_service) !=
            2 ||
        sscanf(sh, "SignedHeaders=%1023[^,]", signed_list) != 1) {
        snprintf(s->sig_error, sizeof(s->sig_error), "unparsable Authorization: %s", auth);
        return;
    }
    pp_http_header use[64];
    size_t n = 0;
    char **names = pp_str_split(signed_list, ';', NULL);
    for (size_t i = 0; names[i]; i++)
        for (size_t j = 0; j < s->n_headers; j++)
            if (strcasecmp(names[i], s->headers[j].name) == 0)
                use[n++] = s->headers[j];
    pp_strv_free(names);
    char path[4096];
    snprintf(path, sizeof(path), "%s", s->target);
    char *q = strchr(path, '?');
    if (q)
        *q++ = '\0';
    bool s3 = strcmp(scope_service, "s3") == 0;
    pp_sigv4_input in = {.method = s->method,
                         .path = path,
                         .query = q,
                         .headers = use,
                         .n_headers = n,
                         .body = s->body ? s->body : "",
                         .body_len = s->body_len,
                         .access_key_id = AKID,
                         .secret_access_key = SECRET,
                         .region = scope_region,
                         .service = scope_service,
                         .amz_date = date,
                         .normalize_path = !s3,
                         .s3_payload_hash = s3};
    pp_sigv4_output out = {0};
    if (pp_sigv4_sign(&in, &out) == 0 && pp_str_eq(out.authorization, auth))
        s->signature_ok = true;
    else
        snprintf(s->sig_error, sizeof(s->sig_error), "signature mismatch");
    pp_sigv4_output_clear(&out);
}

/* Reads one request; false on EOF or error. */
static bool read_request(int fd, seen *s)
{
    char buf[65536];
    size_t len = 0;
    char *end = NULL;
    while (!end) {
        ssize_t r = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
        if (r <= 0)
            return false;
        len += (size_t)r;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (!end && len >= sizeof(buf) - 1)
            return false;
    }
    *end = '\0';
    char *line = buf, *next = strstr(line, "\r\n");
    if (next)
        *next = '\0';
    if (sscanf(line, "%15s %4095s", s->method, s->target) != 2)
        return false;
    size_t content_length = 0;
    for (line = next ? next + 2 : NULL; line && *line; line = next ? next + 2 : NULL) {
        next = strstr(line, "\r\n");
        if (next)
            *next = '\0';
        char *colon = strchr(line, ':');
        if (!colon || s->n_headers >= 64)
            continue;
        char *v = colon + 1;
        while (*v == ' ')
            v++;
        s->headers[s->n_headers].name = pp_xstrndup(line, (size_t)(colon - line));
        s->headers[s->n_headers].value = pp_xstrdup(v);
        if (strcasecmp(s->headers[s->n_headers].name, "Content-Length") == 0)
            content_length = (size_t)strtoul(v, NULL, 10);
        s->n_headers++;
    }
    size_t have = len - (size_t)(end + 4 - buf);
    s->body = pp_xmalloc(content_length + 1);
    memcpy(s->body, end + 4, have < content_length ? have : content_length);
    while (have < content_length) {
        ssize_t r = recv(fd, s->body + have, content_length - have, 0);
        if (r <= 0)
            return false;
        have += (size_t)r;
    }
    s->body[content_length] = '\0';
    s->body_len = content_length;
    return true;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void *conn_main(void *arg)
{
    int fd = (int)(intptr_t)arg;
    for (;;) {
        seen s;
        memset(&s, 0, sizeof(s));
        if (!read_request(fd, &s)) {
            for (size_t j = 0; j < s.n_headers; j++) {
                free((char *)s.headers[j].name);
                free((char *)s.headers[j].value);
            }
            free(s.body);
            break;
        }
        verify_signature(&s);
        pthread_mutex_lock(&srv.lock);
        canned c = srv.next < srv.n_script ? srv.script[srv.next++] : srv.fallback;
        if (srv.n_reqs < 128)
            srv.reqs[srv.n_reqs++] = s;
        srv.active++;
        if (srv.active > srv.max_active)
            srv.max_active = srv.active;
        pthread_mutex_unlock(&srv.lock);

        if (c.sleep_ms)
            usleep((useconds_t)c.sleep_ms * 1000);
        bool close_after = false;
        if (c.act == DROP) {
            close_after = true;
        } else {
            char *body = c.repeat_body ? pp_xmalloc(c.repeat_body + 1) : NULL;
            if (body) {
                memset(body, 'x', c.repeat_body);
                body[c.repeat_body] = '\0';
            }
            const char *b = body ? body : c.body ? c.body : "";
            char head[512];
            if (c.act == UNSIZED) {
                snprintf(head, sizeof(head),
                         "HTTP/1.1 %d X\r\nContent-Type: %s\r\nConnection: close\r\n"
                         "x-amzn-RequestId: srv-%zu\r\n\r\n",
                         c.status, c.ctype ? c.ctype : "text/xml", srv.n_reqs);
                close_after = true;
            } else {
                snprintf(head, sizeof(head),
                         "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s\r\n",
                         c.status, c.ctype ? c.ctype : "text/xml", strlen(b),
                         c.extra ? c.extra : "");
            }
            send_all(fd, head, strlen(head));
            send_all(fd, b, strlen(b));
            free(body);
        }
        pthread_mutex_lock(&srv.lock);
        srv.active--;
        pthread_mutex_unlock(&srv.lock);
        if (close_after)
            break;
    }
    close(fd);
    pthread_mutex_lock(&srv.lock);
    srv.threads--;
    pthread_mutex_unlock(&srv.lock);
    return NULL;
}

static void *accept_main(void *arg)
{
    (void)arg;
    for (;;) {
        int c = accept(srv.fd, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        pthread_mutex_lock(&srv.lock);
        bool stop = srv.stop;
        if (!stop) {
            srv.connections++;
            srv.threads++;
        }
        pthread_mutex_unlock(&srv.lock);
        if (stop) {
            close(c);
            break;
        }
        pthread_t t;
        pthread_create(&t, NULL, conn_main, (void *)(intptr_t)c);
        pthread_detach(t);
    }
    return NULL;
}

static void srv_start(void)
{
    pthread_mutex_init(&srv.lock, NULL);
    srv.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(srv.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(srv.fd, (struct sockaddr *)&a, sizeof(a)) || listen(srv.fd, 64)) {
        perror("test server");
        exit(1);
    }
    socklen_t alen = sizeof(a);
    getsockname(srv.fd, (struct sockaddr *)&a, &alen);
    srv.port = ntohs(a.sin_port);
    pthread_create(&srv.thread, NULL, accept_main, NULL);
}

static void srv_stop(void)
{
    pthread_mutex_lock(&srv.lock);
    srv.stop = true;
    pthread_mutex_unlock(&srv.lock);
    shutdown(srv.fd, SHUT_RDWR);
    close(srv.fd);
    pthread_join(srv.thread, NULL);
    /* Connection threads end when their peer (curl) closes; engines are freed by now. */
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&srv.lock);
        int left = srv.threads;
        pthread_mutex_unlock(&srv.lock);
        if (left == 0)
            break;
        usleep(10000);
    }
    srv_script(NULL, 0, (canned){0});
}

/* ---- clients ------------------------------------------------------------------------------- */

static atomic_long fake_now;

/* Every signature gets its own second, so a re-signed attempt is visibly fresh. */
static time_t stepping_clock(void)
{
    return (time_t)atomic_fetch_add(&fake_now, 1);
}

static void env_for_server(const char *max_attempts)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", srv.port);
    setenv("AWS_ENDPOINT_URL", url, 1);
    setenv("AWS_ACCESS_KEY_ID", AKID, 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_PROFILE");
    setenv("AWS_REGION", "eu-west-1", 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/parapet-test-config", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/parapet-test-credentials", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("AWS_MAX_ATTEMPTS", max_attempts, 1);
    /* A proxy from the machine's environment must not come between us and our server. */
    const char *proxies[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                             "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
    for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
        unsetenv(proxies[i]);
    setenv("PARAPET_RETRY_BASE_MS", "2", 1); /* test-only: keep backoff short */
}

typedef struct rig {
    pp_aws_engine *e;
    pp_aws_client *c;
} rig;

static rig rig_new(const pp_aws_engine_options *o, const char *max_attempts)
{
    rig r = {0};
    env_for_server(max_attempts);
    CHECK_INT(pp_aws_engine_new(&r.e, o), 0);
    if (pp_aws_client_new(&r.c, r.e, NULL) != 0) {
        fprintf(stderr, "client: %s\n", pp_err_msg());
        pp_test_failures++;
    }
    return r;
}

static void rig_free(rig *r)
{
    pp_aws_client_free(r->c);
    pp_aws_engine_free(r->e);
}

static int quota_left(pp_aws_client *c)
{
    pthread_mutex_lock(&c->lock);
    int q = c->quota.available;
    pthread_mutex_unlock(&c->lock);
    return q;
}

static const char *const WHOAMI =
    "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    "<GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/alice</Arn>"
    "<UserId>AIDAEXAMPLE</UserId><Account>111122223333</Account></GetCallerIdentityResult>"
    "<ResponseMetadata><RequestId>whoami-1</RequestId></ResponseMetadata>"
    "</GetCallerIdentityResponse>";
static const char *const THROTTLED = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling"
                                     "</Code><Message>Rate exceeded</Message></Error>"
                                     "<RequestId>t-1</RequestId></ErrorResponse>";
static const char *const FAILURE = "<ErrorResponse><Error><Type>Receiver</Type><Code>"
                                   "ServiceUnavailable</Code><Message>try later</Message></Error>"
                                   "</ErrorResponse>";
static const char *const DENIED = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied"
                                  "</Code><Message>no</Message></Error></ErrorResponse>";

#define OK200(b)                                                                                   \
    (canned)                                                                                       \
    {                                                                                              \
        .status = 200, .body = (b)                                                                 \
    }

static int whoami(rig *r, pp_aws_resp *resp)
{
    pp_aws_req req = {.service = "sts", .operation = "GetCallerIdentity"};
    return pp_aws_call(r->c, &req, resp);
}

static void all_signed(void)
{
    pthread_mutex_lock(&srv.lock);
    for (size_t i = 0; i < srv.n_reqs; i++) {
        if (!srv.reqs[i].signature_ok) {
            fprintf(stderr, "[%s] request %zu: %s\n", pp_test_current, i, srv.reqs[i].sig_error);
            pp_test_failures++;
        }
    }
    pthread_mutex_unlock(&srv.lock);
}

/* ---- cases ----------------------------------------------------------------------------------- */

static void request_shape(void)
{
    rig r = rig_new(NULL, "3");
    canned ok = OK200(WHOAMI);
    srv_script(&ok, 1, ok);
    pp_aws_resp resp = {0};
    CHECK_INT(whoami(&r, &resp), 0);
    CHECK_STR(json_string_value(json_object_get(resp.data, "Account")), "111122223333");
    CHECK_STR(resp.request_id, "whoami-1");
    CHECK_INT(resp.attempts, 1);
    CHECK_INT(resp.pages, 1);
    CHECK_INT(resp.http_status, 200);
    pp_aws_resp_clear(&resp);

    seen *s = &srv.reqs[0];
    char host[64];
    snprintf(host, sizeof(host), "127.0.0.1:%d", srv.port);
    CHECK_STR(s->method, "POST");
    CHECK_STR(s->target, "/");
    CHECK_STR(s->body, "Action=GetCallerIdentity&Version=2011-06-15");
    CHECK_STR(hdr(s, "Host"), host);
    CHECK_STR(hdr(s, "Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
    CHECK_STR(hdr(s, "Content-Length"), "43");
    CHECK(hdr(s, "Expect") == NULL);
    CHECK(hdr(s, "Transfer-Encoding") == NULL);
    CHECK_STR(hdr(s, "User-Agent"), "parapet/" PP_VERSION);
    CHECK(hdr(s, "X-Amz-Date") && strlen(hdr(s, "X-Amz-Date")) == 16);
    const char *auth = hdr(s, "Authorization");
    CHECK(auth && strstr(auth, "/eu-west-1/sts/aws4_request") != NULL);
    CHECK(auth && strstr(auth, "SignedHeaders=content-type;host;x-amz-date,") != NULL);
    CHECK(s->signature_ok);

    /* JSON 1.1: X-Amz-Target signed, a body even when the input is empty. */
    srv_script(&(canned){.status = 200, .body = "{\"Keys\":[],\"Truncated\":false}"}, 1, ok);
    pp_aws_req kms = {.service = "kms", .operation = "ListKeys"};
    CHECK_INT(pp_aws_call(r.c, &kms, &resp), 0);
    s = &srv.reqs[0];
    CHECK_STR(s->body, "{}");
    CHECK_STR(hdr(s, "X-Amz-Target"), "TrentService.ListKeys");
    CHECK_STR(hdr(s, "Content-Type"), "application/x-amz-json-1.1");
    CHECK(strstr(hdr(s, "Authorization"), "content-type;host;x-amz-date;x-amz-target") != NULL);
    CHECK(s->signature_ok);
    pp_aws_resp_clear(&resp);

    /* REST-JSON GET: no body, no Content-Type; the path parameter is encoded. */
    srv_script(&(canned){.status = 200, .body = "{\"status\":\"ENABLED\"}"}, 1, ok);
    json_t *in = json_pack("{s:s}", "DetectorId", "12abc34d");
    pp_aws_req gd = {.service = "guardduty", .operation = "GetDetector", .input = in};
    CHECK_INT(pp_aws_call(r.c, &gd, &resp), 0);
    CHECK_STR(json_string_value(json_object_get(resp.data, "Status")), "ENABLED");
    s = &srv.reqs[0];
    CHECK_STR(s->method, "GET");
    CHECK_STR(s->target, "/detector/12abc34d");
    CHECK(hdr(s, "Content-Type") == NULL);
    CHECK(s->body_len == 0);
    CHECK(strstr(hdr(s, "Authorization"), "SignedHeaders=host;x-amz-date,") != NULL);
    CHECK(s->signature_ok);
    pp_aws_resp_clear(&resp);
    json_decref(in);

    /* S3 with a custom endpoint: path-style, x-amz-content-sha256 sent and signed. */
    srv_script(&(canned){.status = 200, .body = "<BucketLoggingStatus/>"}, 1, ok);
    in = json_pack("{s:s}", "Bucket", "trail-bucket");
    pp_aws_req s3 = {.service = "s3", .operation = "GetBucketLogging", .input = in};
    CHECK_INT(pp_aws_call(r.c, &s3, &resp), 0);
    s = &srv.reqs[0];
    CHECK_STR(s->target, "/trail-bucket?logging");
    CHECK_STR(hdr(s, "X-Amz-Content-Sha256"),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(strstr(hdr(s, "Authorization"), "host;x-amz-content-sha256;x-amz-date") != NULL);
    CHECK(s->signature_ok);
    pp_aws_resp_clear(&resp);
    json_decref(in);

    /* Session credentials: X-Amz-Security-Token sent and signed. */
    setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEXAMPLESESSIONTOKEN", 1);
    pp_aws_client *sc = NULL;
    CHECK_INT(pp_aws_client_new(&sc, r.e, NULL), 0);
    srv_script(&ok, 1, ok);
    pp_aws_req who = {.service = "sts", .operation = "GetCallerIdentity"};
    CHECK_INT(pp_aws_call(sc, &who, &resp), 0);
    s = &srv.reqs[0];
    CHECK_STR(hdr(s, "X-Amz-Security-Token"), "FwoGZXIvYXdzEXAMPLESESSIONTOKEN");
    CHECK(strstr(hdr(s, "Authorization"), "x-amz-date;x-amz-security-token") != NULL);
    CHECK(s->signature_ok);
    pp_aws_resp_clear(&resp);
    pp_aws_client_free(sc);
    unsetenv("AWS_SESSION_TOKEN");
    rig_free(&r);
}

static void throttle_then_success(void)
{
    rig r = rig_new(NULL, "3");
    canned script[] = {
        {.status = 400, .body = THROTTLED}, {.status = 429, .body = ""}, OK200(WHOAMI)};
    srv_script(script, 3, OK200(WHOAMI));
    pp_aws_resp resp = {0};
    CHECK_INT(whoami(&r, &resp), 0);
    CHECK(resp.ok);
    CHECK_INT(resp.attempts, 3);
    CHECK_INT(srv.n_reqs, 3);
    pp_aws_stats st;
    pp_aws_engine_stats(r.e, &st);
    CHECK_INT(st.requests, 3);
    CHECK_INT(st.retries, 2);
    CHECK_INT(st.throttles, 2);
    CHECK_INT(st.errors, 0);
    /* Two retries paid 5 each; the success refunded the last one. */
    CHECK_INT(quota_left(r.c), 495);
    /* Every attempt was signed afresh: its own X-Amz-Date, a valid signature over it. */
    all_signed();
    CHECK(strcmp(hdr(&srv.reqs[0], "X-Amz-Date"), hdr(&srv.reqs[1], "X-Amz-Date")) != 0);
    CHECK(strcmp(hdr(&srv.reqs[1], "X-Amz-Date"), hdr(&srv.reqs[2], "X-Amz-Date")) != 0);
    CHECK(strcmp(hdr(&srv.reqs[0], "Authorization"), hdr(&srv.reqs[2], "Authorization")) != 0);
    pp_aws_resp_clear(&resp);
    rig_free(&r);
}

static void dropped_connection(void)
{
    rig r = rig_new(NULL, "3");
    canned script[] = {{.act = DROP}, {.act = DROP}, OK200(WHOAMI)};
    srv_script(script, 3, OK200(WHOAMI));
    pp_aws_resp resp = {0};
    CHECK_INT(whoami(&r, &resp), 0);
    CHECK_INT(resp.attempts, 3);
    CHECK_INT(quota_left(r.c), 495);
    all_signed();
    pp_aws_resp_clear(&resp);

    /* Dropped every time: ConnectionError after the configured attempts. */
    canned drop = {.act = DROP};
    srv_script(&drop, 1, drop);
    CHECK_INT(whoami(&r, &resp), PP_EAWS);
    CHECK_STR(resp.code, "ConnectionError");
    CHECK_INT(resp.attempts, 3);
    CHECK_INT(resp.http_status, 0);
    pp_aws_resp_clear(&resp);
    rig_free(&r);
}

static void not_retryable(void)
{
    rig r = rig_new(NULL, "3");
    canned deny = {.status = 403, .body = DENIED};
    srv_script(&deny, 1, deny);
    pp_aws_resp resp = {0};
    CHECK_INT(whoami(&r, &resp), PP_EAWS);
    CHECK_STR(resp.code, "AccessDenied");
    CHECK_STR(resp.message, "no");
    CHECK_INT(resp.attempts, 1);
    CHECK_INT(resp.http_status, 403);
    CHECK(resp.data == NULL);
    pp_aws_stats st;
    pp_aws_engine_stats(r.e, &st);
    CHECK_INT(st.errors, 1);
    CHECK_INT(st.retries, 0);
    CHECK_INT(quota_left(r.c), 500);
    char *line = pp_aws_resp_error(&resp);
    CHECK_STR(line, "AccessDenied: no");
    free(line);
    pp_aws_resp_clear(&resp);

    /* A 200 that is not the response we asked for is a failure, never retried, never empty. */
    canned html = {
        .status = 200, .body = "<html><body>captive portal</body></html>", .ctype = "text/html"};
    srv_script(&html, 1, html);
    CHECK_INT(whoami(&r, &resp), PP_EAWS);
    CHECK_STR(resp.code, "InvalidResponse");
    CHECK_INT(resp.attempts, 1);
    pp_aws_resp_clear(&resp);
    rig_free(&r);
}

static void attempts_exhausted(void)
{
    rig r = rig_new(NULL, "3");
    canned fail = {.status = 503, .body = FAILURE};
    srv_script(&fail, 1, fail);
    pp_aws_resp resp = {0};
    CHECK_INT(whoami(&r, &resp), PP_EAWS);
    CHECK_STR(resp.code, "ServiceUnavailable");
    CHECK_INT(resp.attempts, 3);
    CHECK_INT(srv.n_reqs, 3);
    CHECK_INT(quota_left(r.c), 490); /* two paid retries, no success to refund them */
    pp_aws_resp_clear(&resp);

    /* A proxy's 502 page: retried as a 5xx, reported as HTTP502 with a readable message. */
    canned proxy = {.status = 502,
                    .body = "<html><head><title>502 Bad Gateway</title></head></html>",
                    .ctype = "text/html"};
    srv_script(&proxy, 1, proxy);
    CHECK_INT(whoami(&r, &resp), PP_EAWS);
    CHECK_STR(resp.code, "HTTP502");
    CHECK_STR(resp.message, "502 Bad Gateway");
    CHECK_INT(resp.attempts, 3);
    pp_aws_resp_clear(&resp);
    rig_free(&r);

    /* AWS_MAX_ATTEMPTS=1: no retry at all. */
    r = rig_new(NULL, "1");
    srv_script(&fail, 1, fail);
    CHECK_INT(whoami(&r, &resp), PP_EAWS);
    CHECK_INT(resp.attempts, 1);
    pp_aws_resp_clear(&resp);
    rig_free(&r);
}

static void quota_exhausted(void)
{
    rig r = rig_new(NULL, "5");
    pthread_mutex_lock(&r.c->lock);
    r.c->quota.available = 7;
    pthread_mutex_unlock(&r.c->lock);
    canned fail = {.status = 500, .body = FAILURE};
    srv_script(&fail, 1, fail);
    pp_aws_resp resp = {0};
    CHECK_INT(whoami(&r, &resp), PP_EAWS);
    CHECK_STR(resp.code, "RetryQuotaExceeded");
    CHECK(strstr(resp.message, "ServiceUnavailable") != NULL);
    CHECK_INT(resp.attempts, 2); /* the first retry paid 5, the second could not */
    CHECK_INT(srv.n_reqs, 2);
    CHECK_INT(quota_left(r.c), 2);
    pp_aws_resp_clear(&resp);
    /* A first-try success refunds 1. */
    canned ok = OK200(WHOAMI);
    srv_script(&ok, 1, ok);
    CHECK_INT(whoami(&r, &resp), 0);
    CHECK_INT(quota_left(r.c), 3);
    pp_aws_resp_clear(&resp);
    rig_free(&r);
}

static void timeouts(void)
{
    pp_aws_engine_options o = {.timeout_ms = 300};
    rig r = rig_new(&o, "2");
    canned slow = {.act = SLOW, .status = 200, .body = WHOAMI, .sleep_ms = 1500};
    srv_script(&slow, 1, slow);
    pp_aws_resp resp = {0};
    CHECK_INT(whoami(&r, &resp), PP_EAWS);
    CHECK_STR(resp.code, "Timeout");
    CHECK_INT(resp.attempts, 2);
    CHECK_INT(quota_left(r.c), 490); /* a retry after a timeout costs 10 */
    pp_aws_resp_clear(&resp);
    rig_free(&r);
}

static void response_size_limit(void)
{
    pp_aws_engine_options o = {.max_response = 1000};
    rig r = rig_new(&o, "3");
    canned big = {.status = 200, .repeat_body = 5000};
    srv_script(&big, 1, big);
    pp_aws_resp resp = {0};
    CHECK_INT(whoami(&r, &resp), PP_EAWS);
    CHECK_STR(resp.code, "ResponseTooLarge");
    CHECK_INT(resp.attempts, 1);
    pp_aws_resp_clear(&resp);
    /* Without a Content-Length the limit holds while the body streams in. */
    canned unsized = {.act = UNSIZED, .status = 200, .repeat_body = 200000};
    srv_script(&unsized, 1, unsized);
    CHECK_INT(whoami(&r, &resp), PP_EAWS);
    CHECK_STR(resp.code, "ResponseTooLarge");
    CHECK_INT(resp.attempts, 1);
    pp_aws_resp_clear(&resp);
    /* Under the limit, an unsized body is fine. */
    canned small = {.act = UNSIZED, .status = 200, .body = WHOAMI};
    srv_script(&small, 1, small);
    CHECK(strlen(WHOAMI) < 1000);
    CHECK_INT(whoami(&r, &resp), 0);
    CHECK_STR(json_string_value(json_object_get(resp.data, "Account")), "111122223333");
    pp_aws_resp_clear(&resp);
    rig_free(&r);
}

static void writes(void)
{
    rig r = rig_new(NULL, "3");
    canned fail = {.status = 503, .body = FAILURE};
    srv_script(&fail, 1, fail);
    json_t *in = json_pack("{s:i}", "MinimumPasswordLength", 14);
    pp_aws_req upd = {.service = "iam", .operation = "UpdateAccountPasswordPolicy", .input = in};
    pp_aws_resp resp = {0};
    CHECK_INT(pp_aws_call(r.c, &upd, &resp), PP_EAWS);
    CHECK_INT(resp.attempts, 1); /* a write without a client token is never retried */
    CHECK_INT(srv.n_reqs, 1);
    pp_aws_resp_clear(&resp);
    json_decref(in);

    /* With a client token the write is idempotent: retried, with the same token each time. */
    const char *created = "<CreateFlowLogsResponse xmlns=\"http://ec2.amazonaws.com/doc/"
                          "2016-11-15/\"><requestId>r</requestId><clientToken>x</clientToken>"
                          "<flowLogIdSet><item>fl-1</item></flowLogIdSet><unsuccessful/>"
                          "</CreateFlowLogsResponse>";
    canned script[] = {{.status = 503, .body = FAILURE}, OK200(created)};
    srv_script(script, 2, OK200(created));
    in = json_pack("{s:[s],s:s,s:s}", "ResourceId", "vpc-0a1", "ResourceType", "VPC", "TrafficType",
                   "ALL");
    pp_aws_req cfl = {.service = "ec2",
                      .operation = "CreateFlowLogs",
                      .input = in,
                      .client_token_key = "ClientToken"};
    CHECK_INT(pp_aws_call(r.c, &cfl, &resp), 0);
    CHECK_INT(resp.attempts, 2);
    CHECK_STR(json_string_value(json_array_get(json_object_get(resp.data, "FlowLogIds"), 0)),
              "fl-1");
    CHECK(json_array_size(json_object_get(resp.data, "Unsuccessful")) == 0);
    const char *t1 = strstr(srv.reqs[0].body, "ClientToken=");
    const char *t2 = strstr(srv.reqs[1].body, "ClientToken=");
    CHECK(t1 && t2 && strlen(t1) >= 12 + 36 && strncmp(t1, t2, 12 + 36) == 0);
    CHECK(strstr(srv.reqs[0].body, "ResourceId.1=vpc-0a1") != NULL);
    CHECK(json_object_get(in, "ClientToken") == NULL); /* the caller's input is untouched */
    pp_aws_resp_clear(&resp);
    json_decref(in);
    rig_free(&r);
}

static const char *users_page(const char *users, const char *truncated, const char *marker)
{
    static char buf[4][1024];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, 1024,
             "<ListUsersResponse><ListUsersResult><Users>%s</Users><IsTruncated>%s</IsTruncated>"
             "%s%s%s</ListUsersResult></ListUsersResponse>",
             users, truncated, marker ? "<Marker>" : "", marker ? marker : "",
             marker ? "</Marker>" : "");
    return b;
}

static void paging(void)
{
    rig r = rig_new(NULL, "3");
    pp_aws_resp resp = {0};
    /* IAM: Marker + IsTruncated; a truncated page may hold no items at all. */
    canned iam[] = {
        OK200(users_page("<member><UserName>a</UserName></member><member><UserName>b</UserName>"
                         "</member>",
                         "true", "m1")),
        OK200(users_page("", "true", "m2")),
        OK200(users_page("<member><UserName>c</UserName></member>", "false", NULL)),
    };
    srv_script(iam, 3, (canned){.status = 500, .body = FAILURE});
    pp_aws_req lu = {.service = "iam", .operation = "ListUsers", .paginate = true};
    CHECK_INT(pp_aws_call(r.c, &lu, &resp), 0);
    CHECK_INT(resp.pages, 3);
    CHECK_INT(resp.attempts, 3);
    json_t *users = json_object_get(resp.data, "Users");
    CHECK_INT(json_array_size(users), 3);
    CHECK_STR(json_string_value(json_object_get(json_array_get(users, 2), "UserName")), "c");
    CHECK(json_object_get(resp.data, "Marker") == NULL);
    CHECK(json_object_get(resp.data, "IsTruncated") == NULL);
    CHECK_STR(srv.reqs[0].body, "Action=ListUsers&Version=2010-05-08&MaxItems=1000");
    CHECK_STR(srv.reqs[1].body, "Action=ListUsers&Version=2010-05-08&MaxItems=1000&Marker=m1");
    CHECK_STR(srv.reqs[2].body, "Action=ListUsers&Version=2010-05-08&MaxItems=1000&Marker=m2");
    pp_aws_resp_clear(&resp);

    /* EC2: a page may be empty yet carry a token; the last one carries none. */
    const char *sg1 = "<DescribeSecurityGroupsResponse><requestId>1</requestId>"
                      "<securityGroupInfo><item><groupId>sg-1</groupId></item></securityGroupInfo>"
                      "<nextToken>t1</nextToken></DescribeSecurityGroupsResponse>";
    const char *sg2 = "<DescribeSecurityGroupsResponse><requestId>2</requestId>"
                      "<securityGroupInfo/><nextToken>t2</nextToken>"
                      "</DescribeSecurityGroupsResponse>";
    const char *sg3 = "<DescribeSecurityGroupsResponse><requestId>3</requestId>"
                      "<securityGroupInfo><item><groupId>sg-3</groupId></item></securityGroupInfo>"
                      "<nextToken></nextToken></DescribeSecurityGroupsResponse>";
    canned ec2[] = {OK200(sg1), OK200(sg2), OK200(sg3)};
    srv_script(ec2, 3, (canned){.status = 500, .body = FAILURE});
    json_t *flt = json_pack("{s:[{s:s,s:[s]}]}", "Filter", "Name", "vpc-id", "Value", "vpc-1");
    pp_aws_req dsg = {
        .service = "ec2", .operation = "DescribeSecurityGroups", .input = flt, .paginate = true};
    CHECK_INT(pp_aws_call(r.c, &dsg, &resp), 0);
    CHECK_INT(resp.pages, 3);
    CHECK_INT(json_array_size(json_object_get(resp.data, "SecurityGroups")), 2);
    CHECK(json_object_get(resp.data, "NextToken") == NULL);
    CHECK(strstr(srv.reqs[0].body, "Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-1&MaxResults=1000") !=
          NULL);
    CHECK(strstr(srv.reqs[1].body, "&NextToken=t1") != NULL);
    CHECK(strstr(srv.reqs[2].body, "&NextToken=t2") != NULL);
    pp_aws_resp_clear(&resp);

    /* A service that repeats a token would page forever: PagingLoop. */
    canned loop[] = {OK200(sg1), OK200(sg1)};
    srv_script(loop, 2, OK200(sg1));
    CHECK_INT(pp_aws_call(r.c, &dsg, &resp), PP_EAWS);
    CHECK_STR(resp.code, "PagingLoop");
    CHECK(resp.data == NULL);
    pp_aws_resp_clear(&resp);

    /* Truncated without a marker: fail closed rather than return a partial list. */
    canned broken = OK200(users_page("<member><UserName>a</UserName></member>", "true", NULL));
    srv_script(&broken, 1, broken);
    CHECK_INT(pp_aws_call(r.c, &lu, &resp), PP_EAWS);
    CHECK_STR(resp.code, "InvalidResponse");
    pp_aws_resp_clear(&resp);

    /* A page that fails fails the call: no partial data. */
    canned half[] = {iam[0], {.status = 403, .body = DENIED}};
    srv_script(half, 2, half[1]);
    CHECK_INT(pp_aws_call(r.c, &lu, &resp), PP_EAWS);
    CHECK_STR(resp.code, "AccessDenied");
    CHECK(resp.data == NULL);
    CHECK_INT(resp.pages, 1);
    pp_aws_resp_clear(&resp);

    /* Without paginate: one page, markers kept for callers that page themselves. */
    srv_script(iam, 1, iam[0]);
    pp_aws_req one = {.service = "iam", .operation = "ListUsers"};
    CHECK_INT(pp_aws_call(r.c, &one, &resp), 0);
    CHECK_STR(json_string_value(json_object_get(resp.data, "Marker")), "m1");
    CHECK_STR(srv.reqs[0].body, "Action=ListUsers&Version=2010-05-08");
    pp_aws_resp_clear(&resp);
    json_decref(flt);
    rig_free(&r);
}

static void s3_region_redirect(void)
{
    rig r = rig_new(NULL, "3");
    const char *moved = "<Error><Code>PermanentRedirect</Code><Message>The bucket you are "
                        "attempting to access must be addressed using the specified endpoint."
                        "</Message></Error>";
    canned script[] = {{.status = 301,
                        .body = moved,
                        .extra = "x-amz-bucket-region: "
                                 "ap-southeast-2\r\n"},
                       OK200("<BucketLoggingStatus/>")};
    srv_script(script, 2, script[0]);
    json_t *in = json_pack("{s:s}", "Bucket", "far-away");
    pp_aws_req req = {.service = "s3", .operation = "GetBucketLogging", .input = in};
    pp_aws_resp resp = {0};
    CHECK_INT(pp_aws_call(r.c, &req, &resp), 0);
    CHECK_INT(srv.n_reqs, 2);
    CHECK(strstr(hdr(&srv.reqs[0], "Authorization"), "/eu-west-1/s3/") != NULL);
    CHECK(strstr(hdr(&srv.reqs[1], "Authorization"), "/ap-southeast-2/s3/") != NULL);
    CHECK_INT(quota_left(r.c), 500); /* not a retry */
    all_signed();
    pp_aws_resp_clear(&resp);
    /* Followed once only: a second redirect is the error it says. */
    canned again[] = {
        script[0], {.status = 301, .body = moved, .extra = "x-amz-bucket-region: eu-west-1\r\n"}};
    srv_script(again, 2, again[1]);
    CHECK_INT(pp_aws_call(r.c, &req, &resp), PP_EAWS);
    CHECK_STR(resp.code, "PermanentRedirect");
    CHECK_INT(srv.n_reqs, 2);
    pp_aws_resp_clear(&resp);
    json_decref(in);
    rig_free(&r);
}

static void bounds(void)
{
    /* At most max_in_flight requests per (client, service, region) reach the server at once. */
    srv_idle();
    pp_aws_engine_options o = {.max_in_flight = 2};
    rig r = rig_new(&o, "3");
    canned slow = {.act = SLOW, .status = 200, .body = WHOAMI, .sleep_ms = 100};
    srv_script(&slow, 1, slow);
    pp_aws_req reqs[6];
    pp_aws_resp resps[6];
    for (int i = 0; i < 6; i++)
        reqs[i] = (pp_aws_req){.service = "sts", .operation = "GetCallerIdentity"};
    CHECK_INT(pp_aws_call_many(r.c, reqs, 6, resps), 0);
    for (int i = 0; i < 6; i++) {
        CHECK(resps[i].ok);
        pp_aws_resp_clear(&resps[i]);
    }
    CHECK_INT(srv.n_reqs, 6);
    CHECK(srv.max_active >= 1);
    CHECK(srv.max_active <= 2);
    if (srv.max_active > 2)
        fprintf(stderr, "  max_active %d\n", srv.max_active);
    /* Another region is another bound. */
    srv_script(&slow, 1, slow);
    for (int i = 0; i < 6; i++)
        reqs[i].region = i % 2 ? "eu-west-1" : "eu-central-1";
    CHECK_INT(pp_aws_call_many(r.c, reqs, 6, resps), 0);
    for (int i = 0; i < 6; i++)
        pp_aws_resp_clear(&resps[i]);
    CHECK(srv.max_active <= 4);
    rig_free(&r);

    /* And at most max_total across the engine. */
    pp_aws_engine_options t = {.max_total = 1};
    r = rig_new(&t, "3");
    srv_script(&slow, 1, slow);
    for (int i = 0; i < 4; i++)
        reqs[i].region = i % 2 ? "eu-west-1" : "eu-central-1";
    CHECK_INT(pp_aws_call_many(r.c, reqs, 4, resps), 0);
    for (int i = 0; i < 4; i++)
        pp_aws_resp_clear(&resps[i]);
    CHECK_INT(srv.max_active, 1);
    rig_free(&r);
}

static void connection_reuse(void)
{
    rig r = rig_new(NULL, "3");
    canned ok = OK200(WHOAMI);
    srv_script(&ok, 1, ok);
    pp_aws_resp resp = {0};
    for (int i = 0; i < 5; i++) {
        CHECK_INT(whoami(&r, &resp), 0);
        pp_aws_resp_clear(&resp);
    }
    CHECK_INT(srv.n_reqs, 5);
    CHECK_INT(srv.connections, 1); /* one kept-alive connection for all five */
    rig_free(&r);
}

static void local_errors(void)
{
    rig r = rig_new(NULL, "3");
    canned ok = OK200(WHOAMI);
    srv_script(&ok, 1, ok);
    pp_aws_resp resp = {0};
    pp_aws_req bad = {.service = "iam", .operation = "DeleteEverything"};
    CHECK_INT(pp_aws_call(r.c, &bad, &resp), PP_EAWS);
    CHECK_STR(resp.code, "InvalidRequest");
    pp_aws_resp_clear(&resp);
    json_t *in = json_object();
    pp_aws_req nodet = {.service = "guardduty", .operation = "GetDetector", .input = in};
    CHECK_INT(pp_aws_call(r.c, &nodet, &resp), PP_EAWS);
    CHECK_STR(resp.code, "InvalidRequest");
    CHECK(strstr(resp.message, "DetectorId") != NULL);
    pp_aws_resp_clear(&resp);
    json_decref(in);
    CHECK_INT(srv.n_reqs, 0); /* nothing was sent */
    rig_free(&r);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    atomic_store(&fake_now, (long)time(NULL));
    pp_engine_sign_clock = stepping_clock;
    srv_start();
    static const pp_test_case cases[] = {
        TEST(request_shape),    TEST(throttle_then_success), TEST(dropped_connection),
        TEST(not_retryable),    TEST(attempts_exhausted),    TEST(quota_exhausted),
        TEST(timeouts),         TEST(response_size_limit),   TEST(writes),
        TEST(paging),           TEST(s3_region_redirect),    TEST(bounds),
        TEST(connection_reuse), TEST(local_errors),
    };
    int rc = pp_test_run(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
    srv_stop();
    return rc;
}
