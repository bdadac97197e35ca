/* Credentials from the local metadata services (aws-protocols.md section 5): the ECS/EKS
 * container endpoint (chain part 9) and EC2 instance metadata with IMDSv2 sessions (part 10).
 * Plain curl easy handles with short timeouts, no proxy (these addresses are link-local or
 * loopback by design) and no redirects; bodies are capped. */
#include "identity.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_MAX             ((size_t)64 * 1024)
#define IMDS_TIMEOUT_MS      1000L
#define CONTAINER_TIMEOUT_MS 2000L
#define CONTAINER_ATTEMPTS   2
#define IMDS_TOKEN_TTL       "21600"

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    pp_buf *b = ud;
    return pp_buf_append(b, data, size * n) ? 0 : size * n;
}

typedef struct http_result {
    long status; /* 0 when no response arrived */
    pp_buf body;
    char error[CURL_ERROR_SIZE];
} http_result;

/* One request; a transport failure leaves status 0 and a message in res->error. */
static void http_do(const char *method, const char *url, struct curl_slist *headers,
                    long timeout_ms, http_result *res)
{
    res->status = 0;
    res->error[0] = '\0';
    pp_buf_init(&res->body, BODY_MAX);
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(res->error, sizeof(res->error), "curl_easy_init");
        return;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &res->body);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, res->error);
    CURLcode cc = curl_easy_perform(h);
    if (cc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
    } else if (!res->error[0]) {
        snprintf(res->error, sizeof(res->error), "%s", curl_easy_strerror(cc));
    } else if (cc == CURLE_WRITE_ERROR) {
        snprintf(res->error, sizeof(res->error), "response larger than %zu bytes", BODY_MAX);
    }
    curl_easy_cleanup(h);
}

static void http_result_free(http_result *res)
{
    if (res->body.data)
        explicit_bzero(res->body.data, res->body.len);
    pp_buf_free(&res->body);
}

static bool has_crlf(const char *s)
{
    return strpbrk(s, "\r\n") != NULL;
}

/* ---- container endpoint ---------------------------------------------------------------------- */

bool pp_creds_container_configured(void)
{
    const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    return (rel && *rel) || (full && *full);
}

/* botocore accepts a full URI over plain http only to loopback or the ECS/EKS agent addresses. */
static bool container_host_allowed(const char *url)
{
    const char *host = strstr(url, "://") + 3;
    size_t len;
    if (*host == '[') {
        const char *close = strchr(host, ']');
        len = close ? (size_t)(close - host) + 1 : strlen(host);
    } else {
        len = strcspn(host, ":/?#");
    }
    static const char *const agents[] = {"169.254.170.2", "169.254.170.23", "[fd00:ec2::23]"};
    for (size_t i = 0; i < sizeof(agents) / sizeof(agents[0]); i++) {
        if (strlen(agents[i]) == len && strncmp(host, agents[i], len) == 0)
            return true;
    }
    return pp_aws_host_is_loopback(host, len);
}

static int read_token_file(const char *path, char **out)
{
    int rc = 0;
    pp_buf b;
    pp_buf_init(&b, 16 * 1024);
    FILE *f = fopen(path, "rb");
    *out = NULL;
    if (!f)
        return pp_err_set(PP_EINVAL, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %s: %s", path,
                          strerror(errno));
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (pp_buf_append(&b, chunk, n)) {
            rc = pp_err_set(PP_EINVAL, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %s is too large",
                            path);
            goto _exit;
        }
    }
    while (b.len && strchr("\r\n \t", b.data[b.len - 1]))
        b.data[--b.len] = '\0';
    *out = pp_buf_steal(&b);

_exit:
    fclose(f);
    pp_buf_free(&b);
    return rc;
}

int pp_creds_container_fetch(pp_creds *out)
{
    int rc = 0;
    char *url = NULL, *token = NULL, *auth = NULL;
    struct curl_slist *headers = NULL;
    http_result res = {0};
    json_t *doc = NULL;
    const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");

    memset(out, 0, sizeof(*out));
    if (rel && *rel) {
        if (rel[0] != '/' || has_crlf(rel))
            return pp_err_set(PP_EINVAL,
                              "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '%s' is not a path", rel);
        url = pp_xasprintf("http://169.254.170.2%s", rel);
    } else if (full && *full) {
        rc = pp_aws_url_check(full, true, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
        if (rc)
            return rc;
        if (pp_str_startswith(full, "http://") && !container_host_allowed(full))
            return pp_err_set(PP_EINVAL,
                              "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http only to loopback "
                              "or the container agent (169.254.170.2, 169.254.170.23), not '%s'",
                              full);
        url = pp_xstrdup(full);
    } else {
        return pp_err_set(PP_EINVAL, "container credentials: neither "
                                     "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
                                     "AWS_CONTAINER_CREDENTIALS_FULL_URI is set");
    }

    const char *token_file = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    const char *token_env = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    if (token_file && *token_file) {
        rc = read_token_file(token_file, &token);
        if (rc)
            goto _exit;
    } else if (token_env && *token_env) {
        token = pp_xstrdup(token_env);
    }
    if (token) {
        pp_redact_register(token);
        if (has_crlf(token)) {
            rc = pp_err_set(PP_EINVAL, "container authorization token contains a line break");
            goto _exit;
        }
        auth = pp_xasprintf("Authorization: %s", token);
        headers = curl_slist_append(headers, auth);
    }
    headers = curl_slist_append(headers, "Accept: application/json");

    for (int attempt = 1; attempt <= CONTAINER_ATTEMPTS; attempt++) {
        http_result_free(&res);
        http_do("GET", url, headers, CONTAINER_TIMEOUT_MS, &res);
        if (res.status == 200 || (res.status >= 400 && res.status < 500))
            break;
    }
    if (res.status == 0) {
        rc = pp_err_set(PP_EAWS, "container credentials at %s: %s", url, res.error);
        goto _exit;
    }
    doc = json_loadb(pp_buf_cstr(&res.body), res.body.len, 0, NULL);
    if (res.status != 200) {
        const char *msg = json_string_value(json_object_get(doc, "message"));
        if (!msg)
            msg = json_string_value(json_object_get(doc, "Message"));
        rc = pp_err_set(PP_EAWS, "container credentials at %s: HTTP %ld%s%s", url, res.status,
                        msg ? ": " : "", msg ? msg : "");
        goto _exit;
    }
    char what[300];
    snprintf(what, sizeof(what), "container credentials at %s", url);
    if (!doc) {
        rc = pp_err_set(PP_EAWS, "%s: the response is not JSON", what);
        goto _exit;
    }
    rc = pp_creds_from_json(doc, "Token", what, out);

_exit:
    json_decref(doc);
    http_result_free(&res);
    curl_slist_free_all(headers);
    if (auth)
        explicit_bzero(auth, strlen(auth));
    free(auth);
    free(token);
    free(url);
    return rc;
}

/* ---- EC2 instance metadata (IMDSv2) ------------------------------------------------------------
 */

bool pp_creds_imds_disabled(void)
{
    return pp_aws_env_true(getenv("AWS_EC2_METADATA_DISABLED"));
}

static char *imds_base(void)
{
    const char *ep = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    const char *mode = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    if (!ep || !*ep)
        ep = mode && strcasecmp(mode, "IPv6") == 0 ? "http://[fd00:ec2::254]"
                                                   : "http://169.254.169.254";
    size_t n = strlen(ep);
    while (n > 0 && ep[n - 1] == '/')
        n--;
    return pp_xstrndup(ep, n);
}

/* GET path with the session token (when there is one); the body on 200. */
static int imds_get(const char *base, const char *path, const char *token, const char *what,
                    http_result *res)
{
    struct curl_slist *headers = NULL;
    char *hdr = NULL, *url = pp_xasprintf("%s%s", base, path);
    if (token) {
        hdr = pp_xasprintf("X-aws-ec2-metadata-token: %s", token);
        headers = curl_slist_append(headers, hdr);
    }
    http_do("GET", url, headers, IMDS_TIMEOUT_MS, res);
    curl_slist_free_all(headers);
    free(hdr);
    free(url);
    if (res->status == 200)
        return 0;
    if (res->status == 404)
        return pp_err_set(PP_EAWS, "EC2 instance metadata at %s: %s: not found (HTTP 404)", base,
                          what);
    if (res->status)
        return pp_err_set(PP_EAWS, "EC2 instance metadata at %s: %s: HTTP %ld", base, what,
                          res->status);
    return pp_err_set(PP_EAWS, "EC2 instance metadata at %s: %s", base, res->error);
}

int pp_creds_imds_fetch(pp_creds *out)
{
    int rc = 0;
    char *base = imds_base(), *token = NULL, *role = NULL, *path = NULL;
    struct curl_slist *headers = NULL;
    http_result res = {0};
    json_t *doc = NULL;

    memset(out, 0, sizeof(*out));
    if (pp_creds_imds_disabled()) {
        rc = pp_err_set(PP_EINVAL, "EC2 instance metadata is disabled (AWS_EC2_METADATA_DISABLED)");
        goto _exit;
    }
    rc = pp_aws_url_check(base, true, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (rc)
        goto _exit;

    headers = curl_slist_append(headers, "X-aws-ec2-metadata-token-ttl-seconds: " IMDS_TOKEN_TTL);
    char *url = pp_xasprintf("%s/latest/api/token", base);
    http_do("PUT", url, headers, IMDS_TIMEOUT_MS, &res);
    free(url);
    if (res.status == 200 && res.body.len > 0 && !has_crlf(pp_buf_cstr(&res.body))) {
        token = pp_buf_steal(&res.body);
        pp_redact_register(token);
    } else if (res.status == 403 || res.status == 404 || res.status == 405) {
        /* No IMDSv2 here: the SDKs fall back to v1 unless told not to. */
        if (pp_aws_env_true(getenv("AWS_EC2_METADATA_V1_DISABLED"))) {
            rc = pp_err_set(PP_EAWS,
                            "EC2 instance metadata at %s: no IMDSv2 token (HTTP %ld) and "
                            "AWS_EC2_METADATA_V1_DISABLED forbids IMDSv1",
                            base, res.status);
            goto _exit;
        }
    } else if (res.status) {
        rc = pp_err_set(PP_EAWS, "EC2 instance metadata at %s: token request: HTTP %ld", base,
                        res.status);
        goto _exit;
    } else {
        rc = pp_err_set(PP_EAWS, "EC2 instance metadata at %s: %s", base, res.error);
        goto _exit;
    }
    http_result_free(&res);

    rc = imds_get(base, "/latest/meta-data/iam/security-credentials/", token, "IAM role", &res);
    if (rc) {
        if (res.status == 404)
            rc = pp_err_set(PP_EAWS,
                            "EC2 instance metadata at %s: no IAM role is attached to "
                            "this instance",
                            base);
        goto _exit;
    }
    const char *body = pp_buf_cstr(&res.body);
    size_t n = strcspn(body, "\r\n");
    while (n && (body[n - 1] == ' ' || body[n - 1] == '\t'))
        n--;
    role = pp_xstrndup(body, n);
    if (!*role || strspn(role, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                               "_+=,.@-") != strlen(role)) {
        rc = pp_err_set(PP_EAWS, "EC2 instance metadata at %s: unexpected role name", base);
        goto _exit;
    }
    http_result_free(&res);

    path = pp_xasprintf("/latest/meta-data/iam/security-credentials/%s", role);
    rc = imds_get(base, path, token, "role credentials", &res);
    if (rc)
        goto _exit;
    char what[300];
    snprintf(what, sizeof(what), "EC2 instance metadata at %s, role %s", base, role);
    doc = json_loadb(pp_buf_cstr(&res.body), res.body.len, 0, NULL);
    if (!doc) {
        rc = pp_err_set(PP_EAWS, "%s: the response is not JSON", what);
        goto _exit;
    }
    const char *code = json_string_value(json_object_get(doc, "Code"));
    if (code && strcmp(code, "Success") != 0) {
        rc = pp_err_set(PP_EAWS, "%s: Code %s", what, code);
        goto _exit;
    }
    rc = pp_creds_from_json(doc, "Token", what, out);

_exit:
    json_decref(doc);
    http_result_free(&res);
    curl_slist_free_all(headers);
    free(path);
    free(role);
    free(token);
    free(base);
    return rc;
}
