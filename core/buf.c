/* A growable buffer with a hard maximum, for everything built from data parapet does not
 * control (AWS responses, policies, plans). */
#include "pp_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pp_buf_init(pp_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : PP_BUF_DEFAULT_MAX;
}

static int grow(pp_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return pp_err_set(PP_EINVAL, "data exceeds the %zu byte limit", b->max);
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->data = pp_xrealloc(b->data, cap);
    b->cap = cap;
    return 0;
}

int pp_buf_append(pp_buf *b, const void *data, size_t len)
{
    int rc = grow(b, len);
    if (rc)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int pp_buf_puts(pp_buf *b, const char *s)
{
    return pp_buf_append(b, s, strlen(s));
}

int pp_buf_putc(pp_buf *b, char c)
{
    return pp_buf_append(b, &c, 1);
}

int pp_buf_vprintf(pp_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return pp_err_set(PP_EINVAL, "bad format");
    int rc = grow(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int pp_buf_printf(pp_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = pp_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int pp_buf_json_string(pp_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF"; /* jansson writes \u001F */
    int rc = pp_buf_putc(b, '"');
    size_t run = 0; /* runs without escapes are copied in one piece */
    for (size_t i = 0; !rc && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        rc = pp_buf_append(b, s + run, i - run);
        run = i + 1;
        char esc[7] = {'\\', 0};
        size_t len = 2;
        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char)c;
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            len = 6;
        }
        if (!rc)
            rc = pp_buf_append(b, esc, len);
    }
    if (!rc)
        rc = pp_buf_append(b, s + run, n - run);
    return rc ? rc : pp_buf_putc(b, '"');
}

const char *pp_buf_cstr(const pp_buf *b)
{
    return b->data ? b->data : "";
}

char *pp_buf_steal(pp_buf *b)
{
    char *s = b->data ? b->data : pp_xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

void pp_buf_reset(pp_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void pp_buf_free(pp_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---- JSON values ---------------------------------------------------------------------------- */

/* The compact JSON text of v, byte for byte what json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)
 * writes (tests/unit/test_reports.c compares them), but into a buffer in runs: jansson escapes
 * through a callback per piece, which made it most of the time of writing 230,000 findings. */
static int dump_to_buf(const char *buffer, size_t size, void *data)
{
    return pp_buf_append(data, buffer, size) ? -1 : 0;
}

static int json_value(pp_buf *b, const json_t *v, int depth)
{
    if (depth > 2048)
        return pp_err_set(PP_EINVAL, "JSON value nested too deeply");
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        bool first = true;
        int rc = pp_buf_putc(b, '{');
        json_object_foreach((json_t *)v, k, x)
        {
            if (!rc && !first)
                rc = pp_buf_putc(b, ',');
            first = false;
            if (!rc)
                rc = pp_buf_json_string(b, k, strlen(k));
            if (!rc)
                rc = pp_buf_putc(b, ':');
            if (!rc)
                rc = json_value(b, x, depth + 1);
            if (rc)
                return rc;
        }
        return pp_buf_putc(b, '}');
    }
    case JSON_ARRAY: {
        int rc = pp_buf_putc(b, '[');
        for (size_t i = 0; !rc && i < json_array_size(v); i++) {
            if (i)
                rc = pp_buf_putc(b, ',');
            if (!rc)
                rc = json_value(b, json_array_get(v, i), depth + 1);
        }
        return rc ? rc : pp_buf_putc(b, ']');
    }
    case JSON_STRING:
        return pp_buf_json_string(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return pp_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_TRUE:
        return pp_buf_puts(b, "true");
    case JSON_FALSE:
        return pp_buf_puts(b, "false");
    case JSON_NULL:
        return pp_buf_puts(b, "null");
    default: /* reals are rare here: let jansson format them, its way */
        return json_dump_callback(v, dump_to_buf, b, JSON_COMPACT | JSON_ENCODE_ANY) ? PP_EINVAL
                                                                                     : 0;
    }
}

int pp_buf_json_value(pp_buf *b, const json_t *v)
{
    return json_value(b, v, 0);
}
