/* Small string helpers: NULL-safe comparisons, checked integer parsing, splitting, hashing. */
#include "pp_core.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <pthread.h>

bool pp_str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

bool pp_str_startswith(const char *s, const char *prefix)
{
    return s && prefix && strncmp(s, prefix, strlen(prefix)) == 0;
}

bool pp_str_endswith(const char *s, const char *suffix)
{
    if (!s || !suffix)
        return false;
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

int pp_parse_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s || isspace((unsigned char)*s))
        return pp_err_set(PP_EINVAL, "'%s' is not a number", s ? s : "");
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end)
        return pp_err_set(PP_EINVAL, "'%s' is not a number", s);
    if (v < min || v > max)
        return pp_err_set(PP_EINVAL, "%ld is outside %ld..%ld", v, min, max);
    *out = v;
    return 0;
}

char **pp_str_split(const char *s, char sep, size_t *n_out)
{
    size_t cap = 4, n = 0;
    char **v = pp_xcalloc(cap, sizeof(*v));
    const char *p = s ? s : "";
    while (*p) {
        const char *e = strchr(p, sep);
        size_t len = e ? (size_t)(e - p) : strlen(p);
        const char *a = p, *b = p + len;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        if (b > a) {
            if (n + 2 > cap) {
                cap *= 2;
                v = pp_xrealloc(v, cap * sizeof(*v));
            }
            v[n++] = pp_xstrndup(a, (size_t)(b - a));
        }
        if (!e)
            break;
        p = e + 1;
    }
    v[n] = NULL;
    if (n_out)
        *n_out = n;
    return v;
}

void pp_strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

size_t pp_strv_len(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

bool pp_strv_contains(char *const *v, const char *s)
{
    for (size_t i = 0; v && v[i]; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

bool pp_str_list_has(const char *list, const char *item)
{
    if (!list || !item)
        return false;
    size_t n = strlen(item);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, item, n) == 0)
            return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

void pp_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* EVP_sha256() makes OpenSSL 3 look the implementation up on every digest, which cost half of a
 * rules evaluation (one digest per finding id); fetch it once for the process. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void pp_sha256_hex(const void *data, size_t len, char out[65])
{
    pp_sha256_parts_hex(&data, &len, 1, false, out);
}

/* One digest context per thread, made once: creating and freeing one per digest was most of the
 * cost of a finding id. The key's destructor frees it when the thread ends. */
static pthread_key_t sha256_ctx_key;
static pthread_once_t sha256_ctx_once = PTHREAD_ONCE_INIT;

static void sha256_ctx_free(void *ctx)
{
    EVP_MD_CTX_free(ctx);
}

static void sha256_ctx_key_make(void)
{
    pthread_key_create(&sha256_ctx_key, sha256_ctx_free);
}

static EVP_MD_CTX *sha256_ctx(void)
{
    pthread_once(&sha256_ctx_once, sha256_ctx_key_make);
    EVP_MD_CTX *ctx = pthread_getspecific(sha256_ctx_key);
    if (!ctx && (ctx = EVP_MD_CTX_new()) && pthread_setspecific(sha256_ctx_key, ctx) != 0) {
        EVP_MD_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

void pp_sha256_parts_hex(const void *const *parts, const size_t *lens, size_t n, bool nul_after,
                         char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    pthread_once(&sha256_once, sha256_fetch);
    const EVP_MD *alg = sha256_md ? sha256_md : EVP_sha256();
    EVP_MD_CTX *ctx = sha256_ctx();
    if (!ctx || !EVP_DigestInit_ex2(ctx, alg, NULL)) { /* only when memory ran out */
        fputs("parapet: out of memory (sha256)\n", stderr);
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        EVP_DigestUpdate(ctx, parts[i], lens[i]);
        if (nul_after)
            EVP_DigestUpdate(ctx, "", 1);
    }
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    pp_hex(md, 32, out);
}
