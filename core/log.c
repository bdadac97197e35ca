/* Logging and redaction. Every log line and every error message passes through pp_redact(): the
 * registered secrets (secret keys, session tokens, external ids) and the patterns that carry
 * secrets on the wire are masked before any sink sees them. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "pp_core.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#define MASK "[REDACTED]"

static pp_log_sink log_sink;
static void *log_ud;
static enum pp_log_level log_max = PP_LOG_WARN;

void pp_log_set_sink(pp_log_sink sink, void *ud, enum pp_log_level max_level)
{
    log_sink = sink;
    log_ud = ud;
    log_max = max_level;
}

bool pp_log_enabled(enum pp_log_level level)
{
    return log_sink && level <= log_max;
}

void pp_log(enum pp_log_level level, const char *component, const char *fmt, ...)
{
    if (!pp_log_enabled(level))
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    char *clean = pp_redact(line);
    log_sink(level, component, clean, log_ud);
    free(clean);
}

/* ---- registered secrets ---------------------------------------------------------------- */

static pthread_mutex_t secrets_lock = PTHREAD_MUTEX_INITIALIZER;
static char **secrets;
static size_t n_secrets, cap_secrets;

void pp_redact_register(const char *secret)
{
    if (!secret || strlen(secret) < 8)
        return;
    pthread_mutex_lock(&secrets_lock);
    for (size_t i = 0; i < n_secrets; i++) {
        if (strcmp(secrets[i], secret) == 0) {
            pthread_mutex_unlock(&secrets_lock);
            return;
        }
    }
    if (n_secrets == cap_secrets) {
        cap_secrets = cap_secrets ? cap_secrets * 2 : 8;
        secrets = pp_xrealloc(secrets, cap_secrets * sizeof(*secrets));
    }
    secrets[n_secrets++] = pp_xstrdup(secret);
    pthread_mutex_unlock(&secrets_lock);
}

/* ---- patterns --------------------------------------------------------------------------- */

/* Each keeps its first group (the name) and masks what follows. */
static const char *const pattern_src[] = {
    "(authorization\\s*[:=]\\s*)[^\\r\\n]+",
    "(x-amz-security-token[\"']?\\s*[:=]\\s*[\"']?)[^\\s&\"',;]+",
    /* one pattern split over two lines (the parentheses tell clang the joint is meant) */
    ("((?:aws_secret_access_key|aws_session_token|aws_security_token|secret_?access_?key|"
     "session_?token|\"token\"|authorization_?token)[\"']?\\s*[:=]\\s*[\"']?)[^\\s\"',;&}]+"),
    "(<(?:SecretAccessKey|SessionToken|Token)>)[^<]*",
    "(Signature=)[0-9a-f]{16,}",
};
#define N_PATTERNS (sizeof(pattern_src) / sizeof(pattern_src[0]))

static pcre2_code *patterns[N_PATTERNS];
static pthread_once_t patterns_once = PTHREAD_ONCE_INIT;

static void compile_patterns(void)
{
    for (size_t i = 0; i < N_PATTERNS; i++) {
        int err;
        PCRE2_SIZE off;
        patterns[i] = pcre2_compile((PCRE2_SPTR)pattern_src[i], PCRE2_ZERO_TERMINATED,
                                    PCRE2_CASELESS, &err, &off, NULL);
        if (!patterns[i])
            abort(); /* a bug in the table above, caught by the unit tests */
    }
}

static char *substitute(pcre2_code *re, const char *s)
{
    size_t len = strlen(s);
    PCRE2_SIZE outlen = len * 2 + 64;
    for (int attempt = 0; attempt < 4; attempt++) {
        char *out = pp_xmalloc(outlen);
        PCRE2_SIZE got = outlen;
        int rc = pcre2_substitute(
            re, (PCRE2_SPTR)s, len, 0, PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH,
            NULL, NULL, (PCRE2_SPTR) "$1" MASK, PCRE2_ZERO_TERMINATED, (PCRE2_UCHAR *)out, &got);
        if (rc >= 0)
            return out;
        free(out);
        if (rc != PCRE2_ERROR_NOMEMORY)
            return NULL;
        outlen = got + 1;
    }
    return NULL;
}

static char *replace_all(char *s, const char *needle)
{
    size_t nlen = strlen(needle);
    if (!strstr(s, needle))
        return s;
    pp_buf b;
    pp_buf_init(&b, 0);
    const char *p = s, *hit;
    while ((hit = strstr(p, needle))) {
        pp_buf_append(&b, p, (size_t)(hit - p));
        pp_buf_puts(&b, MASK);
        p = hit + nlen;
    }
    pp_buf_puts(&b, p);
    free(s);
    return pp_buf_steal(&b);
}

char *pp_redact(const char *s)
{
    if (!s)
        return NULL;
    pthread_once(&patterns_once, compile_patterns);
    char *cur = pp_xstrdup(s);
    pthread_mutex_lock(&secrets_lock);
    for (size_t i = 0; i < n_secrets; i++)
        cur = replace_all(cur, secrets[i]);
    pthread_mutex_unlock(&secrets_lock);
    for (size_t i = 0; i < N_PATTERNS; i++) {
        char *next = substitute(patterns[i], cur);
        if (!next) {
            /* Invalid UTF-8 never reaches here (no UTF flag); any other failure masks the whole
             * line rather than risk printing a secret. */
            free(cur);
            return pp_xstrdup(MASK);
        }
        free(cur);
        cur = next;
    }
    return cur;
}

void pp_redact_inplace(char *s)
{
    if (!s || !*s)
        return;
    char *clean = pp_redact(s);
    size_t len = strlen(s);
    size_t clen = strlen(clean);
    if (clen > len)
        clen = len; /* masking only shortens in practice; truncate defensively */
    memcpy(s, clean, clen);
    s[clen] = '\0';
    free(clean);
}

void pp_redact_key_id(const char *akid, char out[32])
{
    size_t n = akid ? strlen(akid) : 0;
    if (n < 12) {
        snprintf(out, 32, "****");
        return;
    }
    snprintf(out, 32, "%.4s****%.4s", akid, akid + n - 4);
}
