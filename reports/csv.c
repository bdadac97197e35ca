/* report.csv: one row per finding, RFC 4180 (every field quoted, quotes doubled, CRLF rows).
 * Values come from AWS and from whoever named the resources, so a cell that a spreadsheet would
 * read as a formula (=, +, -, @, tab or CR first, also after leading spaces) is prefixed with a
 * single quote, as OWASP recommends for CSV injection. Text is valid UTF-8, without a BOM. */
#include "report_int.h"

#include <string.h>

static const char *const columns[] = {
    "finding_id", "rule",    "title",       "severity",      "status",      "suppressed",
    "frameworks", "account", "region",      "resource_type", "resource_id", "arn",
    "address",    "message", "remediation", "suppression",
};

#define N_COLUMNS (sizeof(columns) / sizeof(columns[0]))

static bool formula_start(const char *s)
{
    while (*s == ' ')
        s++;
    return *s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' || *s == '\r';
}

/* Appends one quoted cell to b. */
static int put_cell(pp_buf *b, const char *value, bool first)
{
    int rc = 0;
    char *v = rep_clean(value ? value : "", false);
    if (!first)
        rc |= pp_buf_putc(b, ',');
    rc |= pp_buf_putc(b, '"');
    if (formula_start(v))
        rc |= pp_buf_putc(b, '\'');
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            rc |= pp_buf_putc(b, '"');
        rc |= pp_buf_putc(b, *p);
    }
    rc |= pp_buf_putc(b, '"');
    free(v);
    return rc ? PP_EINVAL : 0;
}

/* "cis-aws-3.0 5.2, 5.3; reference NET-1" */
static char *frameworks_text(const json_t *fw)
{
    pp_buf b;
    pp_buf_init(&b, 1 << 16);
    const char *name;
    json_t *ids;
    bool first = true;
    json_object_foreach((json_t *)fw, name, ids)
    {
        pp_buf_puts(&b, first ? "" : "; ");
        first = false;
        pp_buf_puts(&b, name);
        size_t i;
        json_t *id;
        if (json_is_string(ids)) {
            pp_buf_putc(&b, ' ');
            pp_buf_puts(&b, json_string_value(ids));
        }
        json_array_foreach(ids, i, id)
        {
            if (!json_is_string(id))
                continue;
            pp_buf_puts(&b, i ? ", " : " ");
            pp_buf_puts(&b, json_string_value(id));
        }
    }
    return b.len ? pp_buf_steal(&b) : (pp_buf_free(&b), pp_xstrdup(""));
}

int pp_report_csv(const pp_report_input *in, FILE *out)
{
    int rc = 0;
    pp_buf row;
    /* a row is one finding: messages and evidence-free fields, far below this cap */
    pp_buf_init(&row, 16 * 1024 * 1024);
    for (size_t c = 0; c < N_COLUMNS; c++)
        put_cell(&row, columns[c], c == 0);
    pp_buf_puts(&row, "\r\n");
    if (fwrite(row.data, 1, row.len, out) != row.len) {
        rc = pp_err_set(PP_EIO, "report: write error");
        goto _exit;
    }
    for (size_t i = 0; i < in->results->n_findings; i++) {
        const pp_finding *f = &in->results->findings[i];
        const pp_rule_meta *m = f->rule;
        if (!m) {
            rc = pp_err_set(PP_EINVAL, "report: finding %zu has no rule", i);
            goto _exit;
        }
        char idbuf[41];
        char *fw = frameworks_text(m->frameworks);
        char *rem = f->status == PP_STATUS_FAIL ? rep_remediation_text(m) : NULL;
        char *sup = rep_suppression_text(f->suppression);
        const char *cells[N_COLUMNS] = {
            rep_finding_id(f, idbuf),
            m->id,
            m->title ? m->title : m->id,
            pp_severity_name(m->severity),
            pp_status_name(f->status),
            f->suppressed ? "true" : "false",
            fw,
            f->account,
            f->region,
            f->res_type ? f->res_type : m->resource_type,
            f->res_id,
            f->res_arn,
            f->address,
            f->message,
            rem,
            sup,
        };
        pp_buf_reset(&row);
        int crc = 0;
        for (size_t c = 0; c < N_COLUMNS; c++)
            crc |= put_cell(&row, cells[c], c == 0);
        crc |= pp_buf_puts(&row, "\r\n");
        free(fw);
        free(rem);
        free(sup);
        if (crc) {
            rc = pp_err_set(PP_EINVAL, "report: finding %zu does not fit in a CSV row", i);
            goto _exit;
        }
        if (fwrite(row.data, 1, row.len, out) != row.len) {
            rc = pp_err_set(PP_EIO, "report: write error");
            goto _exit;
        }
    }

_exit:
    pp_buf_free(&row);
    return rc;
}
