/* Inventories as JSON lines: the export format of `parapet inventory` and the input of `parapet
 * inventory import`. Every line is checked before anything is stored, and an import is one
 * transaction, so a bad line leaves no snapshot behind. */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* A generous bound on one line: the largest documents (IAM authorization details with inline
 * policies) are tens of kilobytes. */
#define MAX_LINE ((size_t)64 * 1024 * 1024)

/* ---- formatting ------------------------------------------------------------------------------ */

static int put_json_string(pp_buf *b, const char *s)
{
    return pp_buf_json_string(b, s, strlen(s));
}

static int put_field(pp_buf *b, const char *key, const char *value)
{
    int rc = pp_buf_printf(b, ",\"%s\":", key);
    if (!rc)
        rc = value ? put_json_string(b, value) : pp_buf_puts(b, "null");
    return rc;
}

int pp_store_format_row(pp_buf *b, const pp_store_row *row)
{
    int rc = pp_buf_puts(b, "{\"type\":");
    if (!rc)
        rc = put_json_string(b, row->type);
    if (!rc)
        rc = put_field(b, "id", row->id);
    if (!rc)
        rc = put_field(b, "arn", row->arn);
    if (!rc)
        rc = put_field(b, "account", row->account);
    if (!rc)
        rc = put_field(b, "region", row->region);
    if (!rc)
        rc = pp_buf_puts(b, ",\"document\":");
    if (!rc)
        rc = pp_buf_append(b, row->document, row->document_len);
    if (!rc && row->errors)
        rc = pp_buf_printf(b, ",\"errors\":%s", row->errors);
    if (!rc && row->address)
        rc = put_field(b, "address", row->address);
    if (!rc && row->unknown)
        rc = pp_buf_printf(b, ",\"unknown\":%s", row->unknown);
    if (!rc)
        rc = pp_buf_puts(b, "}\n");
    return rc ? pp_err_set(PP_EINVAL, "resource %s %s: line too long", row->type, row->id) : 0;
}

/* ---- parsing --------------------------------------------------------------------------------- */

static const char *const known_keys[] = {"type",     "id",     "arn",     "account", "region",
                                         "document", "errors", "address", "unknown", NULL};

static bool is_account(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (s[n] < '0' || s[n] > '9')
            return false;
    return n == 12;
}

/* "eu-west-1", "us-gov-east-1", "cn-north-1": lower-case words and a number, dash-separated. */
static bool is_region(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n > 32 || s[0] < 'a' || s[0] > 'z' || s[n - 1] < '0' || s[n - 1] > '9')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
        if (c == '-' && (i == 0 || s[i - 1] == '-'))
            return false;
    }
    return strchr(s, '-') != NULL;
}

/* A string member, NULL when absent or null; *bad when present with another JSON type. */
static const char *opt_string(json_t *o, const char *key, bool *bad)
{
    json_t *v = json_object_get(o, key);
    *bad = v && !json_is_null(v) && !json_is_string(v);
    return json_string_value(v);
}

int pp_store_parse_line(const char *line, size_t len, pp_resource **out, int *column)
{
    json_error_t err;
    json_t *o = NULL;
    int rc = 0;
    bool bad = false;
    *out = NULL;
    if (column)
        *column = 0;
    o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
    if (!o) {
        if (column)
            *column = err.column > 0 ? err.column : 1;
        return pp_err_set(PP_EINVAL, "invalid JSON: %s", err.text);
    }
    if (!json_is_object(o)) {
        rc = pp_err_set(PP_EINVAL, "expected a JSON object, one resource a line");
        goto _exit;
    }
    const char *key;
    json_t *value;
    json_object_foreach(o, key, value)
    {
        size_t i = 0;
        while (known_keys[i] && strcmp(known_keys[i], key) != 0)
            i++;
        if (!known_keys[i]) {
            rc = pp_err_set(PP_EINVAL,
                            "unknown key '%s' (known: type, id, arn, account, region, document, "
                            "errors, address, unknown)",
                            key);
            goto _exit;
        }
    }
    const char *type = json_string_value(json_object_get(o, "type"));
    if (!type) {
        rc = pp_err_set(PP_EINVAL, "\"type\" must be a string");
        goto _exit;
    }
    const pp_type *t = pp_type_find(type);
    if (!t) {
        rc = pp_err_set(PP_EINVAL, "unknown resource type '%s'", type);
        goto _exit;
    }
    const char *id = json_string_value(json_object_get(o, "id"));
    if (!id || !*id) {
        rc = pp_err_set(PP_EINVAL, "\"id\" must be a non-empty string");
        goto _exit;
    }
    const char *arn = opt_string(o, "arn", &bad);
    if (bad || (arn && !pp_str_startswith(arn, "arn:"))) {
        rc = pp_err_set(PP_EINVAL, "\"arn\" must be null or a string starting with \"arn:\"");
        goto _exit;
    }
    json_t *acc = json_object_get(o, "account");
    const char *account = json_string_value(acc);
    if (!acc || (!json_is_null(acc) && !(account && is_account(account)))) {
        rc = pp_err_set(PP_EINVAL, "\"account\" must be a 12-digit account id or null");
        goto _exit;
    }
    const char *region = json_string_value(json_object_get(o, "region"));
    if (!region) {
        rc = pp_err_set(PP_EINVAL, "\"region\" must be a string");
        goto _exit;
    }
    if (t->global && strcmp(region, "global") != 0) {
        rc = pp_err_set(PP_EINVAL, "%s is global: \"region\" must be \"global\", not '%s'", type,
                        region);
        goto _exit;
    }
    if (!t->global && !is_region(region)) {
        rc = pp_err_set(PP_EINVAL, "\"region\" '%s' is not a region name (like \"eu-west-1\")",
                        region);
        goto _exit;
    }
    json_t *doc = json_object_get(o, "document");
    if (!json_is_object(doc)) {
        rc = pp_err_set(PP_EINVAL, "\"document\" must be a JSON object");
        goto _exit;
    }
    json_t *errors = json_object_get(o, "errors");
    if (errors && !json_is_null(errors)) {
        const char *k;
        json_t *v;
        bool ok = json_is_object(errors);
        json_object_foreach(errors, k, v) ok = ok && json_is_string(v);
        if (!ok) {
            rc = pp_err_set(PP_EINVAL, "\"errors\" must be an object of strings or null");
            goto _exit;
        }
    }
    const char *address = opt_string(o, "address", &bad);
    if (bad) {
        rc = pp_err_set(PP_EINVAL, "\"address\" must be a string or null");
        goto _exit;
    }
    json_t *unknown = json_object_get(o, "unknown");
    pp_resource *r = pp_resource_new(type, id, arn, account, region, doc);
    r->address = address ? pp_xstrdup(address) : NULL;
    r->errors = errors && !json_is_null(errors) ? json_incref(errors) : NULL;
    r->unknown = unknown && !json_is_null(unknown) ? json_incref(unknown) : NULL;
    *out = r;
_exit:
    json_decref(o);
    return rc;
}

/* ---- reading files --------------------------------------------------------------------------- */

/* 128 bits of SHA-256 per key: a set of 300,000 resources in a few megabytes, no false
 * duplicates in practice. */
typedef struct digest_set {
    unsigned char (*keys)[16];
    size_t *lines; /* 0 marks an empty slot */
    size_t cap, n;
} digest_set;

static void digest_of(const char *const *parts, size_t n, unsigned char out[16])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        abort();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (size_t i = 0; i < n; i++) {
        /* NUL separators keep ("ab", "c") and ("a", "bc") apart; NULL differs from "". */
        const char *p = parts[i] ? parts[i] : "\x01";
        EVP_DigestUpdate(ctx, p, strlen(p) + 1);
    }
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    memcpy(out, md, 16);
}

static void dset_free(digest_set *s)
{
    free(s->keys);
    free(s->lines);
    memset(s, 0, sizeof(*s));
}

/* Inserts key with its line; returns 0 when new, else the line it was first seen on. */
static size_t dset_put(digest_set *s, const unsigned char key[16], size_t line)
{
    if ((s->n + 1) * 2 > s->cap) {
        digest_set bigger = {0};
        bigger.cap = s->cap ? s->cap * 2 : 1024;
        bigger.keys = pp_xcalloc(bigger.cap, 16);
        bigger.lines = pp_xcalloc(bigger.cap, sizeof(size_t));
        for (size_t i = 0; i < s->cap; i++)
            if (s->lines[i])
                dset_put(&bigger, s->keys[i], s->lines[i]);
        dset_free(s);
        *s = bigger;
    }
    size_t h;
    memcpy(&h, key, sizeof(h));
    for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (!s->lines[i]) {
            memcpy(s->keys[i], key, 16);
            s->lines[i] = line;
            s->n++;
            return 0;
        }
        if (memcmp(s->keys[i], key, 16) == 0)
            return s->lines[i];
    }
}

typedef struct line_reader {
    FILE *f;
    const char *name;
    char *line;
    size_t line_cap;
    size_t lineno;
    digest_set keys;
} line_reader;

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

/* The next resource: 0 with *out set, 1 at the end of the input, or an error "NAME:LINE: why". */
static int next_resource(line_reader *lr, pp_resource **out)
{
    *out = NULL;
    for (;;) {
        ssize_t n = getline(&lr->line, &lr->line_cap, lr->f);
        if (n < 0) {
            if (ferror(lr->f))
                return pp_err_set(PP_EINVAL, "%s: read error after line %zu", lr->name, lr->lineno);
            return 1;
        }
        lr->lineno++;
        if ((size_t)n > MAX_LINE)
            return pp_err_set(PP_EINVAL, "%s:%zu: line longer than %zu bytes", lr->name, lr->lineno,
                              MAX_LINE);
        if (blank(lr->line, (size_t)n))
            continue;
        int column = 0;
        pp_resource *r = NULL;
        int rc = pp_store_parse_line(lr->line, (size_t)n, &r, &column);
        if (rc) {
            if (column)
                return pp_err_prefix(rc, "%s:%zu:%d", lr->name, lr->lineno, column);
            return pp_err_prefix(rc, "%s:%zu", lr->name, lr->lineno);
        }
        const char *parts[] = {r->type, r->account, r->region, r->id};
        unsigned char key[16];
        digest_of(parts, 4, key);
        size_t first = dset_put(&lr->keys, key, lr->lineno);
        if (first) {
            rc = pp_err_set(PP_EINVAL, "%s:%zu: %s %s in %s/%s repeats line %zu", lr->name,
                            lr->lineno, r->type, r->id, r->account ? r->account : "-", r->region,
                            first);
            pp_resource_free(r);
            return rc;
        }
        *out = r;
        return 0;
    }
}

static void reader_clear(line_reader *lr)
{
    free(lr->line);
    dset_free(&lr->keys);
}

int pp_store_check_jsonl(FILE *f, const char *name, pp_store_import_stats *stats)
{
    line_reader lr = {.f = f, .name = name};
    pp_store_import_stats st = {0};
    int rc;
    pp_resource *r = NULL;
    while ((rc = next_resource(&lr, &r)) == 0) {
        st.resources++;
        pp_resource_free(r);
    }
    st.lines = lr.lineno;
    reader_clear(&lr);
    if (rc < 0)
        return rc;
    if (!st.resources)
        return pp_err_set(PP_EINVAL, "%s: no resources (one JSON object a line expected)", name);
    if (stats)
        *stats = st;
    return 0;
}

/* Accounts seen, and whether any of their resources was regional (small: linear is fine). */
typedef struct account_seen {
    char *account;
    bool regional;
} account_seen;

int pp_store_import_jsonl(pp_store *st, FILE *f, const char *name, pp_store_import_stats *stats)
{
    line_reader lr = {.f = f, .name = name};
    pp_store_import_stats out = {0};
    pp_store_writer *w = NULL;
    pp_resource *r = NULL;
    digest_set scope = {0};
    account_seen *accounts = NULL;
    size_t n_accounts = 0;
    int rc = pp_store_writer_begin(st, "import", 0, PP_STORE_ATOMIC, &w);
    if (rc)
        goto _exit;
    while ((rc = next_resource(&lr, &r)) == 0) {
        rc = pp_store_writer_add_resource(w, r);
        if (rc) {
            pp_err_prefix(rc, "%s:%zu", name, lr.lineno);
            goto _exit;
        }
        out.resources++;
        if (r->account) {
            size_t i = n_accounts;
            while (i > 0 && strcmp(accounts[i - 1].account, r->account) != 0)
                i--;
            if (i == 0) {
                accounts = pp_xrealloc(accounts, (n_accounts + 1) * sizeof(*accounts));
                accounts[n_accounts].account = pp_xstrdup(r->account);
                accounts[n_accounts].regional = false;
                i = ++n_accounts;
            }
            bool regional = strcmp(r->region, "global") != 0;
            accounts[i - 1].regional |= regional;
            const char *parts[] = {r->account, r->region};
            unsigned char key[16];
            digest_of(parts, 2, key);
            if (regional && dset_put(&scope, key, 1) == 0)
                rc = pp_store_writer_add_scope(w, r->account, r->region);
        }
        pp_resource_free(r);
        r = NULL;
        if (rc)
            goto _exit;
    }
    if (rc < 0)
        goto _exit;
    rc = 0;
    out.lines = lr.lineno;
    if (!out.resources) {
        rc = pp_err_set(PP_EINVAL, "%s: no resources (one JSON object a line expected)", name);
        goto _exit;
    }
    for (size_t i = 0; !rc && i < n_accounts; i++)
        if (!accounts[i].regional)
            rc = pp_store_writer_add_scope(w, accounts[i].account, "global");
    if (!rc)
        rc = pp_store_writer_finish(w, NULL, NULL);
    if (!rc)
        out.snapshot = pp_store_writer_snapshot(w);
_exit:
    pp_resource_free(r);
    pp_store_writer_free(w); /* unfinished: rolls the whole import back */
    reader_clear(&lr);
    dset_free(&scope);
    for (size_t i = 0; i < n_accounts; i++)
        free(accounts[i].account);
    free(accounts);
    if (!rc && stats)
        *stats = out;
    return rc;
}
