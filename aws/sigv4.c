/* AWS Signature Version 4 (aws-protocols.md section 1), with OpenSSL's SHA-256 and HMAC. The
 * signer works on the request exactly as it goes on the wire (path and query already encoded),
 * keeps query parameters as an ordered list (duplicate keys are legal) and adds the headers it
 * signs on the caller's behalf: X-Amz-Date (from amz_date) when absent, X-Amz-Security-Token when
 * session_token is set and the header is absent, and for S3 X-Amz-Content-Sha256 (the payload
 * hash, out->payload_hash) when absent. The caller must send exactly those headers too. */
#include "pp_aws.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

static const char hexdig[] = "0123456789ABCDEF";

static bool unreserved(unsigned char ch)
{
    return isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

static void encode_into(pp_buf *b, const char *s, size_t len, bool keep_slash)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (unreserved(ch) || (keep_slash && ch == '/')) {
            pp_buf_putc(b, (char)ch);
        } else {
            char esc[3] = {'%', hexdig[ch >> 4], hexdig[ch & 15]};
            pp_buf_append(b, esc, 3);
        }
    }
}

char *pp_aws_uri_encode(const char *s, size_t len, bool keep_slash)
{
    pp_buf b;
    pp_buf_init(&b, 0);
    encode_into(&b, s ? s : "", s ? len : 0, keep_slash);
    return pp_buf_steal(&b);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* %XY decoding only ('+' stays '+'); malformed escapes are kept as they are. */
static char *percent_decode(const char *s, size_t len, size_t *out_len)
{
    char *out = pp_xmalloc(len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = hexval(s[i + 1])) >= 0 &&
            (lo = hexval(s[i + 2])) >= 0) {
            out[n++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[n++] = s[i];
        }
    }
    out[n] = '\0';
    *out_len = n;
    return out;
}

/* ---- canonical URI -------------------------------------------------------------------------- */

static char *canonical_uri(const char *path, bool normalize)
{
    pp_buf b;
    pp_buf_init(&b, 0);
    if (!path || !*path)
        return pp_xstrdup("/");
    if (!normalize) {
        /* S3: the path as sent, already encoded once. */
        pp_buf_puts(&b, path);
        return pp_buf_steal(&b);
    }
    /* Segments kept after dropping empty and "." ones and resolving "..". */
    size_t plen = strlen(path);
    const char **seg = pp_xmalloc((plen + 1) * sizeof(*seg));
    size_t *seglen = pp_xmalloc((plen + 1) * sizeof(*seglen));
    size_t n = 0;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        size_t l = strcspn(p, "/");
        if (l == 1 && p[0] == '.') {
            /* skip */
        } else if (l == 2 && p[0] == '.' && p[1] == '.') {
            if (n > 0)
                n--;
        } else {
            seg[n] = p;
            seglen[n++] = l;
        }
        p += l;
    }
    for (size_t i = 0; i < n; i++) {
        pp_buf_putc(&b, '/');
        encode_into(&b, seg[i], seglen[i], true);
    }
    if (n == 0 || path[plen - 1] == '/')
        pp_buf_putc(&b, '/');
    free(seg);
    free(seglen);
    return pp_buf_steal(&b);
}

/* ---- canonical query string ------------------------------------------------------------------ */

typedef struct qparam {
    char *key;
    char *value;
} qparam;

static int qparam_cmp(const void *a, const void *b)
{
    const qparam *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

static char *canonical_query(const char *query)
{
    pp_buf b;
    pp_buf_init(&b, 0);
    if (!query || !*query)
        return pp_xstrdup("");
    size_t cap = 1;
    for (const char *p = query; *p; p++)
        cap += *p == '&';
    qparam *params = pp_xcalloc(cap, sizeof(*params));
    size_t n = 0;
    const char *p = query;
    while (*p) {
        size_t l = strcspn(p, "&");
        if (l > 0) {
            const char *eq = memchr(p, '=', l);
            size_t klen = eq ? (size_t)(eq - p) : l;
            const char *v = eq ? eq + 1 : p + l;
            size_t vlen = (size_t)(p + l - v);
            size_t dk, dv;
            char *k = percent_decode(p, klen, &dk);
            char *val = percent_decode(v, vlen, &dv);
            params[n].key = pp_aws_uri_encode(k, dk, false);
            params[n].value = pp_aws_uri_encode(val, dv, false);
            n++;
            free(k);
            free(val);
        }
        p += l;
        if (*p == '&')
            p++;
    }
    qsort(params, n, sizeof(*params), qparam_cmp);
    for (size_t i = 0; i < n; i++) {
        pp_buf_printf(&b, "%s%s=%s", i ? "&" : "", params[i].key, params[i].value);
        free(params[i].key);
        free(params[i].value);
    }
    free(params);
    return pp_buf_steal(&b);
}

/* ---- canonical headers ------------------------------------------------------------------------
 */

typedef struct chdr {
    char *name; /* lower-case */
    pp_buf value;
} chdr;

static int chdr_cmp(const void *a, const void *b)
{
    return strcmp(((const chdr *)a)->name, ((const chdr *)b)->name);
}

/* Headers the SDKs leave unsigned: hop-by-hop ones and those proxies rewrite. */
static bool unsigned_header(const char *lname)
{
    static const char *const skip[] = {"connection",   "expect",     "keep-alive",
                                       "te",           "trailer",    "transfer-encoding",
                                       "upgrade",      "user-agent", "x-amzn-trace-id",
                                       "authorization"};
    for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++) {
        if (strcmp(lname, skip[i]) == 0)
            return true;
    }
    return pp_str_startswith(lname, "proxy-");
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Trimmed, with every run of whitespace (folded lines included) collapsed to one space. */
static void append_value(pp_buf *b, const char *v)
{
    bool pending = false, any = false;
    for (const char *p = v ? v : ""; *p; p++) {
        if (is_space(*p)) {
            pending = any;
            continue;
        }
        if (pending)
            pp_buf_putc(b, ' ');
        pending = false;
        any = true;
        pp_buf_putc(b, *p);
    }
}

static void add_header(chdr *h, size_t *n, const char *name, const char *value)
{
    char *lname = pp_xstrdup(name);
    for (char *q = lname; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    /* trim the name too: "Name :value" is not valid HTTP, but be exact about what is signed */
    size_t l = strlen(lname);
    while (l && is_space(lname[l - 1]))
        lname[--l] = '\0';
    if (unsigned_header(lname)) {
        free(lname);
        return;
    }
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(h[i].name, lname) == 0) {
            pp_buf_putc(&h[i].value, ',');
            append_value(&h[i].value, value);
            free(lname);
            return;
        }
    }
    h[*n].name = lname;
    pp_buf_init(&h[*n].value, 0);
    pp_buf_puts(&h[*n].value, ""); /* an empty value is still a value */
    append_value(&h[*n].value, value);
    (*n)++;
}

static bool has_header(const chdr *h, size_t n, const char *lname)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(h[i].name, lname) == 0)
            return true;
    }
    return false;
}

/* ---- signing -----------------------------------------------------------------------------------
 */

static void hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &len);
}

void pp_sigv4_output_clear(pp_sigv4_output *o)
{
    if (!o)
        return;
    free(o->canonical_request);
    free(o->string_to_sign);
    free(o->authorization);
    free(o->signed_headers);
    free(o->payload_hash);
    memset(o, 0, sizeof(*o));
}

int pp_sigv4_sign(const pp_sigv4_input *in, pp_sigv4_output *out)
{
    int rc = 0;
    chdr *h = NULL;
    size_t nh = 0;
    char *uri = NULL, *query = NULL;
    pp_buf creq, sts, sh;
    char payload_hash[65], creq_hash[65], date[9], sig[65];
    unsigned char k1[32], k2[32], k3[32], k4[32], mac[32];

    memset(out, 0, sizeof(*out));
    pp_buf_init(&creq, 0);
    pp_buf_init(&sts, 0);
    pp_buf_init(&sh, 0);
    if (!in->method || !in->amz_date || strlen(in->amz_date) != 16 || !in->region || !in->service ||
        !in->access_key_id || !in->secret_access_key)
        return pp_err_set(PP_EINVAL, "sigv4: incomplete signing input");
    memcpy(date, in->amz_date, 8);
    date[8] = '\0';

    pp_sha256_hex(in->body ? in->body : "", in->body ? in->body_len : 0, payload_hash);
    h = pp_xcalloc(in->n_headers + 3, sizeof(*h));
    for (size_t i = 0; i < in->n_headers; i++)
        add_header(h, &nh, in->headers[i].name, in->headers[i].value);
    if (!has_header(h, nh, "host")) {
        rc = pp_err_set(PP_EINVAL, "sigv4: the request has no Host header");
        goto _exit;
    }
    if (!has_header(h, nh, "x-amz-date"))
        add_header(h, &nh, "x-amz-date", in->amz_date);
    if (in->session_token && !has_header(h, nh, "x-amz-security-token"))
        add_header(h, &nh, "x-amz-security-token", in->session_token);
    if (in->s3_payload_hash && !has_header(h, nh, "x-amz-content-sha256"))
        add_header(h, &nh, "x-amz-content-sha256", payload_hash);
    qsort(h, nh, sizeof(*h), chdr_cmp);
    for (size_t i = 0; i < nh; i++)
        pp_buf_printf(&sh, "%s%s", i ? ";" : "", h[i].name);

    uri = canonical_uri(in->path, in->normalize_path);
    query = canonical_query(in->query);
    pp_buf_printf(&creq, "%s\n%s\n%s\n", in->method, uri, query);
    for (size_t i = 0; i < nh; i++)
        pp_buf_printf(&creq, "%s:%s\n", h[i].name, pp_buf_cstr(&h[i].value));
    pp_buf_printf(&creq, "\n%s\n%s", pp_buf_cstr(&sh), payload_hash);

    pp_sha256_hex(creq.data, creq.len, creq_hash);
    pp_buf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", in->amz_date, date,
                  in->region, in->service, creq_hash);

    char *k0 = pp_xasprintf("AWS4%s", in->secret_access_key);
    hmac(k0, strlen(k0), date, k1);
    explicit_bzero(k0, strlen(k0));
    free(k0);
    hmac(k1, 32, in->region, k2);
    hmac(k2, 32, in->service, k3);
    hmac(k3, 32, "aws4_request", k4);
    hmac(k4, 32, pp_buf_cstr(&sts), mac);
    pp_hex(mac, 32, sig);
    explicit_bzero(k4, sizeof(k4));

    out->authorization = pp_xasprintf(
        "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
        in->access_key_id, date, in->region, in->service, pp_buf_cstr(&sh), sig);
    out->canonical_request = pp_buf_steal(&creq);
    out->string_to_sign = pp_buf_steal(&sts);
    out->signed_headers = pp_buf_steal(&sh);
    out->payload_hash = pp_xstrdup(payload_hash);

_exit:
    for (size_t i = 0; i < nh; i++) {
        free(h[i].name);
        pp_buf_free(&h[i].value);
    }
    free(h);
    free(uri);
    free(query);
    pp_buf_free(&creq);
    pp_buf_free(&sts);
    pp_buf_free(&sh);
    return rc;
}
