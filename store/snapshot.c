/* Snapshots: the writer that producers feed (batched inserts through prepared statements), the
 * readers (resolve, stream, load into a pp_inventory), history and retention. */
#include "store_internal.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Rows per transaction for a non-atomic writer: large enough that commits cost nothing next to
 * the inserts, small enough that a killed scan keeps most of what it had. */
#define BATCH_ROWS 20000

struct pp_store_writer {
    pp_store *st;
    int64_t snapshot;
    unsigned flags;
    bool in_tx;
    size_t pending;
    long resources;
    long calls, retries, errors;
    sqlite3_stmt *ins_resource;
    sqlite3_stmt *ins_coverage;
    int64_t last_seq; /* row id of the last resource added */
    sqlite3_stmt *ins_scope;
    pp_buf doc;
    pp_buf canon;
};

static bool valid_source(const char *s)
{
    return pp_str_eq(s, "aws") || pp_str_eq(s, "import") || pp_str_eq(s, "terraform-plan");
}

static int step_done(pp_store *st, sqlite3_stmt *s, const char *what)
{
    int src = sqlite3_step(s);
    int rc = src == SQLITE_DONE ? 0 : pp_store_sql_error(st, src, what);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

static int ensure_tx(pp_store_writer *w)
{
    if (w->in_tx)
        return 0;
    int rc = pp_store_begin(w->st);
    if (!rc)
        w->in_tx = true;
    return rc;
}

/* Counts a row; a non-atomic writer commits every BATCH_ROWS rows. */
static int row_added(pp_store_writer *w)
{
    if (++w->pending < BATCH_ROWS || (w->flags & PP_STORE_ATOMIC))
        return 0;
    w->pending = 0;
    w->in_tx = false;
    return pp_store_commit(w->st);
}

int pp_store_writer_begin(pp_store *st, const char *source, time_t started_at, unsigned flags,
                          pp_store_writer **out)
{
    pp_store_writer *w = NULL;
    sqlite3_stmt *s = NULL;
    *out = NULL;
    if (!valid_source(source))
        return pp_err_set(PP_EINVAL, "snapshot source '%s' is not aws, import or terraform-plan",
                          source ? source : "");
    w = pp_xcalloc(1, sizeof(*w));
    w->st = st;
    w->flags = flags;
    pp_buf_init(&w->doc, PP_BUF_DEFAULT_MAX);
    pp_buf_init(&w->canon, PP_BUF_DEFAULT_MAX);
    int rc = pp_store_prepare(st,
                              "INSERT INTO resources (snapshot_id, type, id, arn, account, region, "
                              "address, document, errors, unknown, content_hash) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              &w->ins_resource);
    if (!rc)
        rc = pp_store_prepare(st,
                              "INSERT INTO coverage (snapshot_id, account, region, service, "
                              "operation, ok, error, calls, retries, types, per_resource) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              &w->ins_coverage);
    if (!rc)
        rc = pp_store_prepare(st,
                              "INSERT OR IGNORE INTO scope (snapshot_id, account, region) "
                              "VALUES (?, ?, ?)",
                              &w->ins_scope);
    if (!rc)
        rc = pp_store_prepare(st,
                              "INSERT INTO snapshots (source, started_at, tool_version, complete) "
                              "VALUES (?, ?, ?, 0)",
                              &s);
    if (rc)
        goto _exit;
    /* An atomic writer opens its one transaction before the snapshot row exists, so not even an
     * incomplete snapshot is visible until finish. Otherwise the row commits now: a producer
     * killed from here on leaves an incomplete snapshot that `history` shows. */
    if (flags & PP_STORE_ATOMIC) {
        rc = ensure_tx(w);
        if (rc)
            goto _exit;
    }
    sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)(started_at ? started_at : pp_time_now()));
    sqlite3_bind_text(s, 3, PP_VERSION, -1, SQLITE_STATIC);
    rc = step_done(st, s, "begin snapshot");
    if (rc)
        goto _exit;
    w->snapshot = sqlite3_last_insert_rowid(st->db);
    pp_log(PP_LOG_DEBUG, "store", "snapshot %lld begun (%s)", (long long)w->snapshot, source);
_exit:
    sqlite3_finalize(s);
    if (rc) {
        pp_store_writer_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

int64_t pp_store_writer_snapshot(const pp_store_writer *w)
{
    return w->snapshot;
}

int pp_store_writer_add_resource(pp_store_writer *w, const pp_resource *r)
{
    if (!r->type || !r->id || !*r->id || !json_is_object(r->doc))
        return pp_err_set(PP_EINVAL, "resource %s %s: needs a type, an id and a document object",
                          r->type ? r->type : "(no type)", r->id ? r->id : "(no id)");
    /* the document in binary form (core/jbin.c), which loads without parsing text; the hash is
     * of the canonical text, so that it does not depend on how the document is stored */
    pp_buf_reset(&w->doc);
    int rc = pp_jbin_encode(r->doc, &w->doc);
    if (!rc)
        rc = pp_store_dump_json(&w->canon, r->doc, true);
    if (rc)
        return pp_err_prefix(rc, "resource %s %s", r->type, r->id);
    char hash[65];
    pp_sha256_hex(w->canon.data, w->canon.len, hash);
    rc = ensure_tx(w);
    if (rc)
        return rc;
    sqlite3_stmt *s = w->ins_resource;
    sqlite3_bind_int64(s, 1, w->snapshot);
    pp_store_bind_text(s, 2, r->type);
    pp_store_bind_text(s, 3, r->id);
    pp_store_bind_text(s, 4, r->arn);
    pp_store_bind_text(s, 5, r->account);
    pp_store_bind_text(s, 6, r->region);
    pp_store_bind_text(s, 7, r->address);
    sqlite3_bind_blob(s, 8, w->doc.data, (int)w->doc.len, SQLITE_STATIC);
    pp_store_bind_json(s, 9, r->errors);
    pp_store_bind_json(s, 10, r->unknown);
    sqlite3_bind_text(s, 11, hash, 64, SQLITE_STATIC);
    int src = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (src == SQLITE_CONSTRAINT || (src & 0xff) == SQLITE_CONSTRAINT)
        return pp_err_set(PP_EINVAL, "resource %s %s in %s/%s appears twice in one snapshot",
                          r->type, r->id, r->account ? r->account : "-",
                          r->region ? r->region : "-");
    if (src != SQLITE_DONE)
        return pp_store_sql_error(w->st, src, "add resource");
    w->resources++;
    w->last_seq = sqlite3_last_insert_rowid(w->st->db);
    return row_added(w);
}

int pp_store_writer_add_coverage(pp_store_writer *w, const pp_coverage *c)
{
    if (!c->service || !c->operation)
        return pp_err_set(PP_EINVAL, "coverage record needs a service and an operation");
    int rc = ensure_tx(w);
    if (rc)
        return rc;
    sqlite3_stmt *s = w->ins_coverage;
    sqlite3_bind_int64(s, 1, w->snapshot);
    pp_store_bind_text(s, 2, c->account);
    pp_store_bind_text(s, 3, c->region);
    pp_store_bind_text(s, 4, c->service);
    pp_store_bind_text(s, 5, c->operation);
    sqlite3_bind_int(s, 6, c->ok ? 1 : 0);
    pp_store_bind_text(s, 7, c->error);
    sqlite3_bind_int(s, 8, c->calls);
    sqlite3_bind_int(s, 9, c->retries);
    pp_store_bind_text(s, 10, c->types);
    sqlite3_bind_int(s, 11, c->per_resource ? 1 : 0);
    rc = step_done(w->st, s, "add coverage");
    if (rc)
        return rc;
    w->calls += c->calls;
    w->retries += c->retries;
    w->errors += c->ok ? 0 : 1;
    return row_added(w);
}

int pp_store_writer_add_scope(pp_store_writer *w, const char *account, const char *region)
{
    if (!account || !region)
        return pp_err_set(PP_EINVAL, "scope needs an account and a region");
    int rc = ensure_tx(w);
    if (rc)
        return rc;
    sqlite3_stmt *s = w->ins_scope;
    sqlite3_bind_int64(s, 1, w->snapshot);
    sqlite3_bind_text(s, 2, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, region, -1, SQLITE_STATIC);
    rc = step_done(w->st, s, "add scope");
    return rc ? rc : row_added(w);
}

int pp_store_writer_add_inventory(pp_store_writer *w, const pp_inventory *inv)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < pp_inventory_count(inv); i++) {
        pp_resource *r = pp_inventory_at(inv, i);
        rc = pp_store_writer_add_resource(w, r);
        if (!rc) /* so the evaluation of this very inventory can refer to the row */
            r->store_id = w->last_seq;
    }
    for (size_t i = 0; !rc && i < pp_inventory_coverage_count(inv); i++)
        rc = pp_store_writer_add_coverage(w, pp_inventory_coverage_at(inv, i));
    for (size_t i = 0; !rc && i < pp_inventory_scope_count(inv); i++) {
        const char *account = NULL, *region = NULL;
        pp_inventory_scope_at(inv, i, &account, &region);
        rc = pp_store_writer_add_scope(w, account, region);
    }
    return rc;
}

/* The distinct values of a scope column as a JSON array, sorted. */
static int scope_values(pp_store *st, int64_t snapshot, bool regions, json_t **out)
{
    sqlite3_stmt *s = NULL;
    json_t *arr = json_array();
    int rc = pp_store_prepare(st,
                              regions ? "SELECT DISTINCT region FROM scope WHERE snapshot_id = ? "
                                        "AND region <> 'global' ORDER BY region"
                                      : "SELECT DISTINCT account FROM scope WHERE snapshot_id = ? "
                                        "ORDER BY account",
                              &s);
    if (rc)
        goto _exit;
    sqlite3_bind_int64(s, 1, snapshot);
    int src;
    while ((src = sqlite3_step(s)) == SQLITE_ROW)
        json_array_append_new(arr, json_string((const char *)sqlite3_column_text(s, 0)));
    if (src != SQLITE_DONE)
        rc = pp_store_sql_error(st, src, "read scope");
_exit:
    sqlite3_finalize(s);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

int pp_store_writer_finish(pp_store_writer *w, const pp_snapshot_info *info,
                           pp_snapshot_info *info_out)
{
    json_t *accounts = NULL, *regions = NULL;
    sqlite3_stmt *s = NULL;
    pp_store *st = w->st;
    int rc = ensure_tx(w);
    if (rc)
        goto _exit;
    if (info && info->accounts)
        accounts = json_incref(info->accounts);
    else
        rc = scope_values(st, w->snapshot, false, &accounts);
    if (!rc && info && info->regions)
        regions = json_incref(info->regions);
    else if (!rc)
        rc = scope_values(st, w->snapshot, true, &regions);
    if (!rc)
        rc = pp_store_prepare(st,
                              "UPDATE snapshots SET finished_at = ?, accounts = ?, regions = ?, "
                              "tool_version = ?, calls = ?, retries = ?, errors = ?, "
                              "resources = ?, complete = 1 WHERE id = ?",
                              &s);
    if (rc)
        goto _exit;
    /* All-zero counters in info mean "not counted": derive them from the coverage added. */
    bool counted = info && (info->calls || info->retries || info->errors);
    time_t finished = info && info->finished_at ? info->finished_at : pp_time_now();
    sqlite3_bind_int64(s, 1, (sqlite3_int64)finished);
    pp_store_bind_json(s, 2, accounts);
    pp_store_bind_json(s, 3, regions);
    pp_store_bind_text(s, 4, info && info->tool_version ? info->tool_version : PP_VERSION);
    sqlite3_bind_int64(s, 5, counted ? info->calls : w->calls);
    sqlite3_bind_int64(s, 6, counted ? info->retries : w->retries);
    sqlite3_bind_int64(s, 7, counted ? info->errors : w->errors);
    sqlite3_bind_int64(s, 8, w->resources);
    sqlite3_bind_int64(s, 9, w->snapshot);
    rc = step_done(st, s, "finish snapshot");
    if (!rc)
        rc = pp_store_commit(st);
    if (rc)
        goto _exit;
    w->in_tx = false;
    w->pending = 0;
    pp_log(PP_LOG_INFO, "store", "snapshot %lld complete: %ld resources", (long long)w->snapshot,
           w->resources);
    if (info_out)
        rc = pp_store_snapshot_info(st, w->snapshot, info_out);
_exit:
    sqlite3_finalize(s);
    json_decref(accounts);
    json_decref(regions);
    return rc;
}

void pp_store_writer_free(pp_store_writer *w)
{
    if (!w)
        return;
    if (w->in_tx)
        pp_store_rollback(w->st);
    sqlite3_finalize(w->ins_resource);
    sqlite3_finalize(w->ins_coverage);
    sqlite3_finalize(w->ins_scope);
    pp_buf_free(&w->doc);
    pp_buf_free(&w->canon);
    free(w);
}

static const char *source_name(enum pp_source_kind k)
{
    switch (k) {
    case PP_SOURCE_IMPORT:
        return "import";
    case PP_SOURCE_PLAN:
        return "terraform-plan";
    default:
        return "aws";
    }
}

int pp_store_save_inventory(pp_store *st, const pp_inventory *inv, const pp_snapshot_info *info,
                            int64_t *snapshot_out)
{
    pp_store_writer *w = NULL;
    int rc = pp_store_writer_begin(st, source_name(pp_inventory_source(inv)),
                                   info ? info->started_at : 0, PP_STORE_ATOMIC, &w);
    if (!rc)
        rc = pp_store_writer_add_inventory(w, inv);
    if (!rc)
        rc = pp_store_writer_finish(w, info, NULL);
    if (!rc && snapshot_out)
        *snapshot_out = w->snapshot;
    pp_store_writer_free(w);
    return rc;
}

/* ---- reading --------------------------------------------------------------------------------- */

static int lookup_id(pp_store *st, const char *sql, int64_t arg, int64_t *out, bool *found)
{
    sqlite3_stmt *s = NULL;
    int rc = pp_store_prepare(st, sql, &s);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, arg);
    int src = sqlite3_step(s);
    *found = src == SQLITE_ROW;
    if (src == SQLITE_ROW)
        *out = sqlite3_column_int64(s, 0);
    else if (src != SQLITE_DONE)
        rc = pp_store_sql_error(st, src, "query");
    sqlite3_finalize(s);
    return rc;
}

int pp_store_resolve_snapshot(pp_store *st, const char *spec, int64_t *out)
{
    bool found = false;
    int64_t v = 0;
    if (!spec || strcmp(spec, "latest") == 0) {
        int rc =
            lookup_id(st, "SELECT id FROM snapshots WHERE complete = 1 ORDER BY id DESC LIMIT 1", 0,
                      &v, &found);
        if (rc)
            return rc;
        if (!found)
            return pp_err_set(PP_ENOTFOUND, "%s: no complete snapshot yet", st->path);
        *out = v;
        return 0;
    }
    long id = 0;
    if (pp_parse_long(spec, 1, LONG_MAX, &id) != 0)
        return pp_err_set(PP_EINVAL, "snapshot '%s' is not an id or 'latest'", spec);
    int rc = lookup_id(st, "SELECT complete FROM snapshots WHERE id = ?", id, &v, &found);
    if (rc)
        return rc;
    if (!found)
        return pp_err_set(PP_ENOTFOUND, "%s: no snapshot %ld", st->path, id);
    if (!v)
        return pp_err_set(PP_EINVAL, "snapshot %ld is incomplete: its producer never finished it",
                          id);
    *out = id;
    return 0;
}

int pp_store_previous_snapshot(pp_store *st, int64_t snapshot, int64_t *out)
{
    bool found = false;
    int rc = lookup_id(st,
                       "SELECT id FROM snapshots WHERE complete = 1 AND id < ?1 AND source = "
                       "(SELECT source FROM snapshots WHERE id = ?1) ORDER BY id DESC LIMIT 1",
                       snapshot, out, &found);
    if (!rc && !found)
        rc = pp_err_set(PP_ENOTFOUND, "no complete snapshot before %lld from the same source",
                        (long long)snapshot);
    return rc;
}

/* An incomplete snapshot's count is only written at finish: count what its producer committed. */
#define INFO_COLUMNS                                                                               \
    "s.id, s.source, s.started_at, s.finished_at, s.accounts, s.regions, s.tool_version, "         \
    "s.calls, s.retries, s.errors, CASE WHEN s.complete THEN s.resources ELSE "                    \
    "(SELECT count(*) FROM resources WHERE snapshot_id = s.id) END, s.complete"
#define INFO_NCOLS 12

static void read_info(sqlite3_stmt *s, pp_snapshot_info *info)
{
    memset(info, 0, sizeof(*info));
    info->id = sqlite3_column_int64(s, 0);
    info->source = pp_store_col_str(s, 1);
    info->started_at = (time_t)sqlite3_column_int64(s, 2);
    info->finished_at = (time_t)sqlite3_column_int64(s, 3);
    info->accounts = pp_store_col_json(s, 4);
    info->regions = pp_store_col_json(s, 5);
    if (!json_is_array(info->accounts)) {
        json_decref(info->accounts);
        info->accounts = json_array();
    }
    if (!json_is_array(info->regions)) {
        json_decref(info->regions);
        info->regions = json_array();
    }
    info->tool_version = pp_store_col_str(s, 6);
    info->calls = (long)sqlite3_column_int64(s, 7);
    info->retries = (long)sqlite3_column_int64(s, 8);
    info->errors = (long)sqlite3_column_int64(s, 9);
    info->resources = (long)sqlite3_column_int64(s, 10);
    info->complete = sqlite3_column_int(s, 11) != 0;
}

int pp_store_snapshot_info(pp_store *st, int64_t snapshot, pp_snapshot_info *out)
{
    sqlite3_stmt *s = NULL;
    memset(out, 0, sizeof(*out));
    int rc = pp_store_prepare(st, "SELECT " INFO_COLUMNS " FROM snapshots s WHERE s.id = ?", &s);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, snapshot);
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW)
        read_info(s, out);
    else if (src == SQLITE_DONE)
        rc = pp_err_set(PP_ENOTFOUND, "%s: no snapshot %lld", st->path, (long long)snapshot);
    else
        rc = pp_store_sql_error(st, src, "read snapshot");
    sqlite3_finalize(s);
    return rc;
}

/* A stored document that will not decode is an error, never an empty document. */
static int bad_document(const char *type, const char *id, const char *why)
{
    return pp_err_set(PP_EIO, "stored document of %s %s cannot be read: %s", type, id, why);
}

/* The binary document of row as the compact JSON text it was stored from, in text. */
static int bin_to_text(pp_store_row *row, pp_buf *text)
{
    char err[128];
    json_t *doc = pp_jbin_decode(row->document_bin, row->document_bin_len, err, sizeof(err));
    if (!doc)
        return bad_document(row->type, row->id, err);
    int rc = pp_store_dump_json(text, doc, false);
    json_decref(doc);
    if (rc)
        return rc;
    row->document = text->data;
    row->document_len = text->len;
    return 0;
}

/* as_text: a document stored in binary form is handed over as JSON text too */
static int each_resource(pp_store *st, int64_t snapshot, const pp_store_filter *filter,
                         bool as_text, int (*cb)(void *ud, const pp_store_row *row), void *ud)
{
    static const pp_store_filter none = {0};
    const pp_store_filter *f = filter ? filter : &none;
    sqlite3_stmt *s = NULL;
    /* The SQL is built from fixed fragments only; values are bound. resources_by_type yields
     * (type, seq) order without a sort, so rows stream straight from the index. */
    pp_buf sql;
    pp_buf_init(&sql, 0);
    pp_buf_puts(&sql, "SELECT type, id, arn, account, region, address, document, errors, unknown, "
                      "content_hash, seq FROM resources INDEXED BY resources_by_type "
                      "WHERE snapshot_id = ?1");
    if (f->type)
        pp_buf_puts(&sql, " AND type = ?2");
    if (f->account)
        pp_buf_puts(&sql, " AND account = ?3");
    if (f->region)
        pp_buf_puts(&sql, " AND region = ?4");
    pp_buf_puts(&sql, " ORDER BY type, seq");
    int rc = pp_store_prepare(st, pp_buf_cstr(&sql), &s);
    pp_buf_free(&sql);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, snapshot);
    if (f->type)
        sqlite3_bind_text(s, 2, f->type, -1, SQLITE_STATIC);
    if (f->account)
        sqlite3_bind_text(s, 3, f->account, -1, SQLITE_STATIC);
    if (f->region)
        sqlite3_bind_text(s, 4, f->region, -1, SQLITE_STATIC);
    pp_buf text;
    pp_buf_init(&text, 0);
    int src;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        pp_store_row row = {
            .type = (const char *)sqlite3_column_text(s, 0),
            .id = (const char *)sqlite3_column_text(s, 1),
            .arn = (const char *)sqlite3_column_text(s, 2),
            .account = (const char *)sqlite3_column_text(s, 3),
            .region = (const char *)sqlite3_column_text(s, 4),
            .address = (const char *)sqlite3_column_text(s, 5),
            .errors = (const char *)sqlite3_column_text(s, 7),
            .unknown = (const char *)sqlite3_column_text(s, 8),
            .content_hash = (const char *)sqlite3_column_text(s, 9),
            .seq = sqlite3_column_int64(s, 10),
        };
        if (sqlite3_column_type(s, 6) == SQLITE_BLOB) {
            row.document_bin = sqlite3_column_blob(s, 6);
            row.document_bin_len = (size_t)sqlite3_column_bytes(s, 6);
            if (as_text && (rc = bin_to_text(&row, &text)))
                break;
        } else { /* JSON text, written before schema version 6 */
            row.document = (const char *)sqlite3_column_text(s, 6);
            row.document_len = (size_t)sqlite3_column_bytes(s, 6);
        }
        rc = cb(ud, &row);
        if (rc)
            break;
    }
    if (!rc && src != SQLITE_DONE)
        rc = pp_store_sql_error(st, src, "read resources");
    sqlite3_finalize(s);
    pp_buf_free(&text);
    return rc;
}

int pp_store_each_resource(pp_store *st, int64_t snapshot, const pp_store_filter *filter,
                           int (*cb)(void *ud, const pp_store_row *row), void *ud)
{
    return each_resource(st, snapshot, filter, true, cb, ud);
}

static json_t *parse_text(const char *text)
{
    return text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
}

/* Loading: SQLite hands rows over one at a time on this thread, while parsing the documents is
 * most of the cost (60 MB of JSON for 100,000 resources). Rows are copied into batches; each full
 * batch is parsed on two threads while this thread reads the next one into the other buffer, and
 * batches are added to the inventory in the order they were read. Reading a batch takes a quarter
 * of the time parsing it does, so this thread then takes its share of the parsing too: a batch is
 * parsed in slices that whichever thread is free takes. */
#define LOAD_BATCH 4096
#define LOAD_BYTES ((size_t)16 << 20) /* or fewer rows, when documents are large */
#define LOAD_SLICE 128

/* A row as read: its fields are copied into the batch's bytes, one after the other, and the
 * resource is made from them by a parser thread, so that this thread only reads. */
enum { F_TYPE, F_ID, F_ARN, F_ACCOUNT, F_REGION, F_ADDRESS, F_ERRORS, F_UNKNOWN, F_DOC, F_COUNT };

struct pending {
    size_t off[F_COUNT]; /* into batch.bytes, SIZE_MAX for NULL; each string NUL-terminated */
    size_t doc_len;
    bool bin; /* the document is a binary document, else JSON text */
    int64_t seq;
    pp_resource *r; /* made by a parser thread */
    bool ok;        /* its document decoded to an object */
};

struct batch {
    struct pending rows[LOAD_BATCH];
    size_t n;
    pp_buf bytes;
    atomic_size_t next; /* the next slice to parse */
    pthread_t th[2];
    bool started[2];
};

struct loader {
    pp_inventory *inv;
    struct batch b[2];
    int cur; /* the batch being read into */
    int rc;  /* the first failure of a committed batch */
};

/* Parses slices of a batch until none is left. */
static void *parse_slices(void *arg)
{
    struct batch *bt = arg;
    pp_json_arena_begin();
    for (;;) {
        size_t lo = atomic_fetch_add(&bt->next, 1) * LOAD_SLICE;
        if (lo >= bt->n)
            break;
        size_t hi = lo + LOAD_SLICE < bt->n ? lo + LOAD_SLICE : bt->n;
        for (size_t i = lo; i < hi; i++) {
            struct pending *p = &bt->rows[i];
            const char *f[F_COUNT];
            for (int k = 0; k < F_COUNT; k++)
                f[k] = p->off[k] == SIZE_MAX ? NULL : bt->bytes.data + p->off[k];
            json_t *doc = p->bin ? pp_jbin_decode(f[F_DOC], p->doc_len, NULL, 0)
                                 : json_loadb(f[F_DOC], p->doc_len, 0, NULL);
            p->ok = json_is_object(doc);
            p->r = pp_resource_new(f[F_TYPE], f[F_ID], f[F_ARN], f[F_ACCOUNT], f[F_REGION], doc);
            json_decref(doc); /* the resource holds it */
            p->r->store_id = p->seq;
            p->r->address = f[F_ADDRESS] ? pp_xstrdup(f[F_ADDRESS]) : NULL;
            p->r->errors = parse_text(f[F_ERRORS]);
            p->r->unknown = parse_text(f[F_UNKNOWN]);
        }
    }
    pp_json_arena_end();
    return NULL;
}

/* Starts parsing a full batch; what the threads have not taken is parsed when it is joined. */
static void batch_start(struct batch *bt)
{
    atomic_store(&bt->next, 0);
    for (int h = 0; h < 2; h++)
        bt->started[h] = bt->n >= 64 && pthread_create(&bt->th[h], NULL, parse_slices, bt) == 0;
}

/* Waits for a batch batch_start began, adds its resources to the inventory (or frees them once a
 * batch has failed) and empties it. */
static void batch_commit(struct loader *l, struct batch *bt)
{
    parse_slices(bt);
    for (int h = 0; h < 2; h++) {
        if (bt->started[h])
            pthread_join(bt->th[h], NULL);
        bt->started[h] = false;
    }
    for (size_t i = 0; i < bt->n; i++) {
        struct pending *p = &bt->rows[i];
        if (!l->rc && !p->ok) {
            char why[128] = "not a JSON object";
            if (p->bin)
                json_decref(
                    pp_jbin_decode(bt->bytes.data + p->off[F_DOC], p->doc_len, why, sizeof(why)));
            l->rc = bad_document(p->r->type, p->r->id, why);
        }
        if (l->rc)
            pp_resource_free(p->r);
        else
            pp_inventory_add(l->inv, p->r);
        p->r = NULL;
    }
    bt->n = 0;
    pp_buf_reset(&bt->bytes);
}

/* The current batch is full (or the walk ended): commit the previous one, start this one. */
static int flush_batch(struct loader *l)
{
    struct batch *prev = &l->b[1 - l->cur];
    if (prev->n)
        batch_commit(l, prev);
    batch_start(&l->b[l->cur]);
    l->cur = 1 - l->cur;
    return l->rc;
}

/* Appends a field (n bytes, then a NUL) to the batch's bytes; NULL is no field. */
static int put_field(struct batch *bt, struct pending *p, int k, const void *v, size_t n)
{
    p->off[k] = SIZE_MAX;
    if (!v)
        return 0;
    p->off[k] = bt->bytes.len;
    int rc = pp_buf_append(&bt->bytes, v, n);
    return rc ? rc : pp_buf_append(&bt->bytes, "", 1);
}

static int load_row(void *ud, const pp_store_row *row)
{
    struct loader *l = ud;
    struct batch *bt = &l->b[l->cur];
    struct pending *p = &bt->rows[bt->n];
    const char *text[] = {row->type,   row->id,      row->arn,    row->account,
                          row->region, row->address, row->errors, row->unknown};
    int rc = 0;
    for (int k = 0; k < F_DOC && !rc; k++)
        rc = put_field(bt, p, k, text[k], text[k] ? strlen(text[k]) : 0);
    p->bin = row->document_bin != NULL;
    p->doc_len = p->bin ? row->document_bin_len : row->document_len;
    if (!rc)
        rc = put_field(bt, p, F_DOC, p->bin ? row->document_bin : (const void *)row->document,
                       p->doc_len);
    if (rc)
        return rc;
    p->seq = row->seq;
    p->r = NULL;
    bt->n++;
    return bt->n == LOAD_BATCH || bt->bytes.len >= LOAD_BYTES ? flush_batch(l) : 0;
}

static int load_coverage_and_scope(pp_store *st, int64_t snapshot, pp_inventory *inv)
{
    sqlite3_stmt *s = NULL;
    int src = SQLITE_DONE;
    int rc = pp_store_prepare(st,
                              "SELECT account, region, service, operation, ok, error, calls, "
                              "retries, types, per_resource FROM coverage WHERE snapshot_id = ? "
                              "ORDER BY seq",
                              &s);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, snapshot);
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        pp_coverage c = {
            .account = (char *)sqlite3_column_text(s, 0),
            .region = (char *)sqlite3_column_text(s, 1),
            .service = (char *)sqlite3_column_text(s, 2),
            .operation = (char *)sqlite3_column_text(s, 3),
            .ok = sqlite3_column_int(s, 4) != 0,
            .error = (char *)sqlite3_column_text(s, 5),
            .calls = sqlite3_column_int(s, 6),
            .retries = sqlite3_column_int(s, 7),
            .types = (char *)sqlite3_column_text(s, 8),
            .per_resource = sqlite3_column_int(s, 9) != 0,
        };
        pp_inventory_add_coverage(inv, &c);
    }
    if (src != SQLITE_DONE)
        rc = pp_store_sql_error(st, src, "read coverage");
    sqlite3_finalize(s);
    s = NULL;
    if (!rc)
        rc = pp_store_prepare(st,
                              "SELECT account, region FROM scope WHERE snapshot_id = ? ORDER BY "
                              "account, region",
                              &s);
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, snapshot);
    while ((src = sqlite3_step(s)) == SQLITE_ROW)
        pp_inventory_add_scope(inv, (const char *)sqlite3_column_text(s, 0),
                               (const char *)sqlite3_column_text(s, 1));
    if (src != SQLITE_DONE)
        rc = pp_store_sql_error(st, src, "read scope");
    sqlite3_finalize(s);
    return rc;
}

int pp_store_load_inventory(pp_store *st, int64_t snapshot, const pp_store_filter *filter,
                            pp_inventory **out)
{
    pp_snapshot_info info;
    pp_inventory *inv = NULL;
    *out = NULL;
    int rc = pp_store_snapshot_info(st, snapshot, &info);
    if (rc)
        return rc;
    enum pp_source_kind kind = PP_SOURCE_AWS;
    if (pp_str_eq(info.source, "import"))
        kind = PP_SOURCE_IMPORT;
    else if (pp_str_eq(info.source, "terraform-plan"))
        kind = PP_SOURCE_PLAN;
    pp_snapshot_info_clear(&info);
    inv = pp_inventory_new(kind);
    struct loader *l = pp_xcalloc(1, sizeof(*l));
    l->inv = inv;
    for (int i = 0; i < 2; i++) /* a row is bounded by SQLite's own limit (1 GB) */
        pp_buf_init(&l->b[i].bytes, SIZE_MAX / 2);
    rc = each_resource(st, snapshot, filter, false, load_row, l);
    /* the last partial batch and the one in flight; also frees what a failed walk left pending */
    if (rc && !l->rc)
        l->rc = rc;
    if (l->b[1 - l->cur].n) /* read first */
        batch_commit(l, &l->b[1 - l->cur]);
    if (l->b[l->cur].n) {
        batch_start(&l->b[l->cur]);
        batch_commit(l, &l->b[l->cur]);
    }
    if (!rc)
        rc = l->rc;
    for (int i = 0; i < 2; i++)
        pp_buf_free(&l->b[i].bytes);
    free(l);
    if (!rc)
        rc = load_coverage_and_scope(st, snapshot, inv);
    if (rc) {
        pp_inventory_free(inv);
        return rc;
    }
    *out = inv;
    return 0;
}

/* ---- history and retention ------------------------------------------------------------------- */

int pp_store_history_list(pp_store *st, pp_store_history **out, size_t *n)
{
    sqlite3_stmt *s = NULL;
    pp_store_history *h = NULL;
    size_t count = 0, cap = 0;
    *out = NULL;
    *n = 0;
    int rc = pp_store_prepare(
        st,
        "SELECT " INFO_COLUMNS ", e.id, e.n_pass, e.n_fail, e.n_error, e.n_unknown, e.n_manual, "
        "e.n_suppressed, e.fail_by_framework, e.n_fail_open FROM snapshots s LEFT JOIN evaluations "
        "e ON e.id = "
        "(SELECT max(id) FROM evaluations WHERE snapshot_id = s.id) ORDER BY s.id",
        &s);
    if (rc)
        return rc;
    int src;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            h = pp_xrealloc(h, cap * sizeof(*h));
        }
        pp_store_history *e = &h[count++];
        memset(e, 0, sizeof(*e));
        read_info(s, &e->info);
        int c = INFO_NCOLS;
        e->evaluated = sqlite3_column_type(s, c) != SQLITE_NULL;
        if (!e->evaluated)
            continue;
        for (int i = 0; i < PP_STATUS_COUNT; i++)
            e->counts[i] = (long)sqlite3_column_int64(s, c + 1 + i);
        e->suppressed = (long)sqlite3_column_int64(s, c + 6);
        e->fail_by_framework = pp_store_col_json(s, c + 7);
        e->fail = (long)sqlite3_column_int64(s, c + 8);
    }
    if (src != SQLITE_DONE)
        rc = pp_store_sql_error(st, src, "read history");
    sqlite3_finalize(s);
    if (rc) {
        pp_store_history_free(h, count);
        return rc;
    }
    *out = h;
    *n = count;
    return 0;
}

void pp_store_history_free(pp_store_history *h, size_t n)
{
    if (!h)
        return;
    for (size_t i = 0; i < n; i++) {
        pp_snapshot_info_clear(&h[i].info);
        json_decref(h[i].fail_by_framework);
    }
    free(h);
}

int pp_store_history_trend(pp_store *st, size_t limit, json_t **out)
{
    pp_store_history *h = NULL;
    size_t n = 0;
    *out = NULL;
    int rc = pp_store_history_list(st, &h, &n);
    if (rc)
        return rc;
    size_t evaluated = 0;
    for (size_t i = 0; i < n; i++)
        evaluated += h[i].info.complete && h[i].evaluated;
    size_t skip = limit && evaluated > limit ? evaluated - limit : 0;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        if (!h[i].info.complete || !h[i].evaluated)
            continue;
        if (skip) {
            skip--;
            continue;
        }
        char ts[32];
        pp_time_format(h[i].info.started_at, ts);
        json_t *fws = h[i].fail_by_framework ? json_incref(h[i].fail_by_framework) : json_object();
        json_array_append_new(arr, json_pack("{s:I, s:s, s:I, s:o}", "snapshot",
                                             (json_int_t)h[i].info.id, "time", ts, "fail",
                                             (json_int_t)h[i].fail, "frameworks", fws));
    }
    pp_store_history_free(h, n);
    *out = arr;
    return 0;
}

int pp_store_prune(pp_store *st, size_t keep, size_t *deleted)
{
    bool found = false;
    int64_t oldest_kept = 0;
    sqlite3_stmt *s = NULL;
    if (deleted)
        *deleted = 0;
    if (keep < 1)
        return pp_err_set(PP_EINVAL, "retention must keep at least one snapshot");
    int rc = lookup_id(st,
                       "SELECT id FROM snapshots WHERE complete = 1 ORDER BY id DESC LIMIT 1 "
                       "OFFSET ?",
                       (int64_t)(keep - 1), &oldest_kept, &found);
    if (rc || !found)
        return rc;
    rc = pp_store_begin(st);
    if (!rc)
        rc = pp_store_prepare(st, "DELETE FROM snapshots WHERE id < ?", &s);
    if (!rc) {
        sqlite3_bind_int64(s, 1, oldest_kept);
        rc = step_done(st, s, "prune");
    }
    size_t n = rc ? 0 : (size_t)sqlite3_changes(st->db);
    if (!rc)
        rc = pp_store_commit(st);
    sqlite3_finalize(s);
    if (rc) {
        pp_store_rollback(st);
        return rc;
    }
    if (n)
        pp_log(PP_LOG_INFO, "store", "pruned %zu snapshots older than %lld", n,
               (long long)oldest_kept);
    if (deleted)
        *deleted = n;
    return 0;
}
