/* Responses: the result object every call fills, the protocol dispatch of pp_aws_decode(), and
 * the small helpers the protocol decoders share (headers, request ids, failures, sanitising an
 * unexpected body into a one-line message). */
#include "wire.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

void pp_aws_resp_clear(pp_aws_resp *r)
{
    if (!r)
        return;
    json_decref(r->data);
    free(r->code);
    free(r->message);
    free(r->request_id);
    memset(r, 0, sizeof(*r));
}

/* When AWS refuses the request itself rather than the call, the code alone rarely says what to
 * fix: these are the ones a person meets, with what to check. */
static const char *error_hint(const char *code, const char *msg)
{
    bool expired_sig = msg && strstr(msg, "Signature expired");
    if (strcmp(code, "RequestTimeTooSkewed") == 0 ||
        ((strcmp(code, "SignatureDoesNotMatch") == 0 ||
          strcmp(code, "InvalidSignatureException") == 0) &&
         expired_sig))
        return "this machine's clock is off by more than the 15 minutes AWS accepts";
    if (strcmp(code, "RequestExpired") == 0)
        return "the session token has expired, or this machine's clock is off";
    if (strcmp(code, "ExpiredToken") == 0 || strcmp(code, "ExpiredTokenException") == 0)
        return "the session token has expired: get new credentials";
    return NULL;
}

char *pp_aws_resp_error(const pp_aws_resp *r)
{
    if (!r)
        return pp_xstrdup("");
    if (r->ok)
        return pp_xstrdup("ok");
    const char *code = r->code && *r->code ? r->code : "Error";
    const char *hint = error_hint(code, r->message);
    char *line =
        r->message && *r->message
            ? pp_xasprintf("%s: %s%s%s%s", code, r->message, hint ? " (" : "", hint ? hint : "",
                           hint ? ")" : "")
            : pp_xasprintf("%s%s%s%s", code, hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    pp_redact_inplace(line);
    return line;
}

const char *pp_wire_header(const pp_http_header *h, size_t n, const char *name)
{
    for (size_t i = 0; h && i < n; i++)
        if (h[i].name && strcasecmp(h[i].name, name) == 0)
            return h[i].value;
    return NULL;
}

const char *pp_wire_header_request_id(const pp_http_header *h, size_t n)
{
    const char *id = pp_wire_header(h, n, "x-amzn-RequestId");
    if (!id)
        id = pp_wire_header(h, n, "x-amz-request-id");
    return id && *id ? id : NULL;
}

char *pp_wire_upper_first(const char *s)
{
    char *k = pp_xstrdup(s);
    k[0] = (char)toupper((unsigned char)k[0]);
    return k;
}

int pp_wire_fail(pp_aws_resp *resp, const char *code, const char *fmt, ...)
{
    resp->ok = false;
    json_decref(resp->data);
    resp->data = NULL;
    free(resp->code);
    free(resp->message);
    /* The code comes from the response: a hostile endpoint could put a newline in it and forge
     * log lines, or make it as long as the body. AWS codes are short and printable. */
    resp->code = pp_xstrndup(code && *code ? code : "Unknown", 128);
    for (char *p = resp->code; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            *p = '_';
    pp_buf b;
    pp_buf_init(&b, 1024);
    va_list ap;
    va_start(ap, fmt);
    if (pp_buf_vprintf(&b, fmt, ap) != 0)
        pp_buf_puts(&b, "(message too long)");
    va_end(ap);
    char *msg = pp_buf_steal(&b);
    if (!msg)
        msg = pp_xstrdup("");
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    resp->message = pp_redact(msg);
    free(msg);
    return PP_EAWS;
}

int pp_wire_fail_http(pp_aws_resp *resp, long status, const char *body, size_t len)
{
    /* A proxy's HTML error page, a load balancer's plain text: keep a short, printable,
     * tag-free excerpt so that the one-line error still says something useful. */
    char excerpt[121];
    size_t j = 0;
    bool in_tag = false, space = true;
    for (size_t i = 0; body && i < len && j < sizeof(excerpt) - 1; i++) {
        unsigned char ch = (unsigned char)body[i];
        if (ch == '<') {
            in_tag = true;
            continue;
        }
        if (in_tag) {
            if (ch == '>') {
                in_tag = false;
                if (!space) {
                    excerpt[j++] = ' ';
                    space = true;
                }
            }
            continue;
        }
        if (isspace(ch) || ch < 0x20 || ch >= 0x7f) {
            if (!space) {
                excerpt[j++] = ' ';
                space = true;
            }
            continue;
        }
        excerpt[j++] = (char)ch;
        space = false;
    }
    while (j > 0 && excerpt[j - 1] == ' ')
        j--;
    excerpt[j] = '\0';
    char code[32];
    snprintf(code, sizeof(code), "HTTP%ld", status);
    if (!j)
        return pp_wire_fail(resp, code, "HTTP status %ld", status);
    return pp_wire_fail(resp, code, "%s", excerpt);
}

int pp_aws_decode(const pp_service *svc, const pp_op *op, long http_status,
                  const pp_http_header *headers, size_t n_headers, const char *body, size_t len,
                  pp_aws_resp *resp)
{
    if (!svc || !op)
        return pp_wire_fail(resp, "InvalidRequest", "no service or operation to decode");
    resp->http_status = http_status;
    resp->ok = false;
    const char *rid = pp_wire_header_request_id(headers, n_headers);
    free(resp->request_id);
    resp->request_id = rid ? pp_xstrdup(rid) : NULL;
    switch (svc->proto) {
    case PP_PROTO_QUERY:
    case PP_PROTO_EC2:
        return pp_proto_query_decode(svc, op, op->name, http_status, body, len, resp);
    case PP_PROTO_JSON:
        return pp_proto_json_decode(svc, op, op->name, http_status, headers, n_headers, body, len,
                                    resp);
    case PP_PROTO_RESTJSON:
    case PP_PROTO_RESTXML:
        return pp_proto_rest_decode(svc, op, op->name, http_status, headers, n_headers, body, len,
                                    resp);
    }
    return pp_wire_fail(resp, "InvalidRequest", "unknown protocol");
}

/* ---- requests ----------------------------------------------------------------------------- */

void pp_wire_req_clear(pp_wire_req *r)
{
    if (!r)
        return;
    free(r->method);
    free(r->scheme_host);
    free(r->host);
    free(r->host_prefix);
    free(r->path);
    free(r->query);
    for (size_t i = 0; i < r->n_headers; i++) {
        free((char *)r->headers[i].name);
        free((char *)r->headers[i].value);
    }
    free(r->headers);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

void pp_wire_req_add_header(pp_wire_req *r, const char *name, const char *value)
{
    r->headers = pp_xrealloc(r->headers, (r->n_headers + 1) * sizeof(*r->headers));
    r->headers[r->n_headers].name = pp_xstrdup(name);
    r->headers[r->n_headers].value = pp_xstrdup(value);
    r->n_headers++;
}

int pp_wire_split_url(const char *url, char **scheme_host, char **host, char **base_path)
{
    const char *p = url ? strstr(url, "://") : NULL;
    if (!p || (!pp_str_startswith(url, "http://") && !pp_str_startswith(url, "https://")))
        return pp_err_set(PP_EINVAL, "endpoint '%s' is not an http(s) URL", url ? url : "");
    const char *auth = p + 3;
    const char *end = auth + strcspn(auth, "/?#");
    if (end == auth || memchr(auth, '@', (size_t)(end - auth)))
        return pp_err_set(PP_EINVAL, "endpoint '%s' has no usable host", url);
    bool https = pp_str_startswith(url, "https://");
    /* Host header: drop a port that is the scheme's default, as libcurl would. */
    size_t alen = (size_t)(end - auth);
    const char *colon = NULL;
    if (auth[0] == '[') {
        const char *rb = memchr(auth, ']', alen);
        if (!rb)
            return pp_err_set(PP_EINVAL, "endpoint '%s' has a malformed IPv6 host", url);
        if (rb + 1 < end && rb[1] == ':')
            colon = rb + 1;
    } else {
        colon = memchr(auth, ':', alen);
    }
    size_t hlen = alen;
    if (colon) {
        const char *port = colon + 1;
        size_t plen = (size_t)(end - port);
        if ((https && plen == 3 && memcmp(port, "443", 3) == 0) ||
            (!https && plen == 2 && memcmp(port, "80", 2) == 0))
            hlen = (size_t)(colon - auth);
    }
    *host = pp_xstrndup(auth, hlen);
    for (char *c = *host; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    *scheme_host = pp_xasprintf("%s://%s", https ? "https" : "http", *host);
    const char *path = end;
    size_t path_len = strcspn(path, "?#");
    while (path_len && path[path_len - 1] == '/')
        path_len--;
    *base_path = pp_xstrndup(path, path_len);
    return 0;
}
