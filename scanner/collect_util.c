/* Helpers for collectors: ARNs, JSON access, base64, the credential report's CSV, and the one
 * table that lists every collector. */
#include "collect_util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* Adding a service: one file in scanner/services/, one line here, one line in meson.build. */
static const pp_collector *const collectors[] = {
    &pp_collector_account,    &pp_collector_iam,    &pp_collector_ec2,       &pp_collector_kms,
    &pp_collector_cloudtrail, &pp_collector_config, &pp_collector_guardduty, &pp_collector_logs,
    &pp_collector_cloudwatch, &pp_collector_sns,    &pp_collector_s3,
};

const pp_collector *pp_collector_at(size_t i)
{
    return i < sizeof(collectors) / sizeof(collectors[0]) ? collectors[i] : NULL;
}

const pp_collector *pp_collector_find(const char *name)
{
    for (size_t i = 0; pp_collector_at(i); i++)
        if (strcmp(collectors[i]->name, name) == 0)
            return collectors[i];
    return NULL;
}

char *pp_collect_arn(pp_collect_ctx *ctx, const char *service, const char *region,
                     const char *resource)
{
    return pp_xasprintf("arn:%s:%s:%s:%s:%s", pp_collect_partition(ctx), service,
                        region ? region : "", pp_collect_account(ctx), resource);
}

const char *pp_json_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

void pp_json_merge(json_t *dst, const json_t *src)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)src, k, v)
    {
        if (strcmp(k, "ResponseMetadata") == 0)
            continue;
        json_object_set(dst, k, v);
    }
}

int pp_base64_decode(const char *in, unsigned char **out, size_t *len)
{
    size_t n = strlen(in);
    char *clean = pp_xmalloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)in[i]))
            clean[k++] = in[i];
    clean[k] = '\0';
    if (k % 4) {
        free(clean);
        return pp_err_set(PP_EINVAL, "invalid base64 (length %zu)", k);
    }
    unsigned char *buf = pp_xmalloc(k / 4 * 3 + 1);
    int got = k ? EVP_DecodeBlock(buf, (const unsigned char *)clean, (int)k) : 0;
    if (got < 0) {
        free(clean);
        free(buf);
        return pp_err_set(PP_EINVAL, "invalid base64");
    }
    /* EVP_DecodeBlock counts the padding as zero bytes */
    size_t pad = 0;
    if (k >= 1 && clean[k - 1] == '=')
        pad++;
    if (k >= 2 && clean[k - 2] == '=')
        pad++;
    free(clean);
    buf[got - (int)pad] = '\0';
    *out = buf;
    *len = (size_t)got - pad;
    return 0;
}

/* One CSV field starting at *p; advances past it and its delimiter. */
static int csv_field(const char **p, const char *end, pp_buf *field, bool *eol)
{
    const char *s = *p;
    pp_buf_reset(field);
    if (s < end && *s == '"') {
        s++;
        for (;;) {
            if (s >= end)
                return pp_err_set(PP_EINVAL, "unterminated quoted field");
            if (*s == '"') {
                if (s + 1 < end && s[1] == '"') {
                    pp_buf_putc(field, '"');
                    s += 2;
                    continue;
                }
                s++;
                break;
            }
            if (pp_buf_putc(field, *s++))
                return PP_EINVAL;
        }
    } else {
        while (s < end && *s != ',' && *s != '\n' && *s != '\r')
            if (pp_buf_putc(field, *s++))
                return PP_EINVAL;
    }
    if (s < end && *s == '\r')
        s++;
    if (s >= end || *s == '\n') {
        *eol = true;
        if (s < end)
            s++;
    } else if (*s == ',') {
        *eol = false;
        s++;
    } else {
        return pp_err_set(PP_EINVAL, "unexpected character after a quoted field");
    }
    *p = s;
    return 0;
}

int pp_csv_parse(const char *text, size_t len, size_t max_rows, json_t **out)
{
    const char *p = text, *end = text + len;
    char *header[256];
    size_t n_header = 0;
    json_t *rows = json_array();
    pp_buf field;
    pp_buf_init(&field, 64 * 1024);
    int rc = 0;
    bool eol = false;

    while (p < end && !eol) {
        if (n_header == 256) {
            rc = pp_err_set(PP_EINVAL, "CSV header has more than 256 columns");
            goto _exit;
        }
        if ((rc = csv_field(&p, end, &field, &eol)))
            goto _exit;
        header[n_header++] = pp_xstrdup(pp_buf_cstr(&field));
    }
    if (n_header == 0) {
        rc = pp_err_set(PP_EINVAL, "CSV has no header row");
        goto _exit;
    }
    size_t line = 1;
    while (p < end) {
        line++;
        if (*p == '\n' || *p == '\r') { /* blank line */
            p++;
            continue;
        }
        if (json_array_size(rows) >= max_rows) {
            rc = pp_err_set(PP_EINVAL, "CSV has more than %zu rows", max_rows);
            goto _exit;
        }
        json_t *row = json_object();
        size_t col = 0;
        eol = false;
        while (!eol) {
            if ((rc = csv_field(&p, end, &field, &eol))) {
                json_decref(row);
                pp_err_prefix(rc, "line %zu", line);
                goto _exit;
            }
            if (col >= n_header) {
                json_decref(row);
                rc = pp_err_set(PP_EINVAL, "line %zu: more fields than the header", line);
                goto _exit;
            }
            /* A value or column name that is not UTF-8 would be dropped from the row without a
             * word, and a rule would read the column as absent: refuse the report instead. */
            if (json_object_set_new(row, header[col],
                                    json_stringn(pp_buf_cstr(&field), field.len)) != 0) {
                json_decref(row);
                rc = pp_err_set(PP_EINVAL, "line %zu: field %zu is not UTF-8", line, col + 1);
                goto _exit;
            }
            col++;
        }
        if (col != n_header) {
            json_decref(row);
            rc = pp_err_set(PP_EINVAL, "line %zu: %zu fields, the header has %zu", line, col,
                            n_header);
            goto _exit;
        }
        json_array_append_new(rows, row);
    }
    *out = rows;
    rows = NULL;

_exit:
    for (size_t i = 0; i < n_header; i++)
        free(header[i]);
    pp_buf_free(&field);
    json_decref(rows);
    return rc;
}
