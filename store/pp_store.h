/* The store: parapet's only persistent state, one SQLite database (WAL mode, schema migrations).
 * It keeps snapshots (what a scan, an import or a plan saw: resources, coverage, scope), the
 * evaluations of those snapshots (rules and findings), the remediation journal, and the run lock.
 *
 * A store handle is not thread-safe: the scanner funnels its output through one thread. Several
 * processes may open the same database: readers never block (WAL), writers wait up to the busy
 * timeout and then fail with PP_ELOCKED. */
#ifndef PP_STORE_H
#define PP_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "pp_core.h"

/* The schema version this build writes; migrations take older databases up to it, and a newer
 * database is refused (an older parapet must not write to a schema it does not know). */
#define PP_STORE_SCHEMA_VERSION 6

#define PP_STORE_DEFAULT_PATH "parapet.db"

typedef struct pp_store pp_store;

enum pp_store_open_flags {
    /* Create the database (mode 0600) when the file does not exist. Without it a missing file
     * is PP_ENOTFOUND, so read-only commands never leave an empty database behind. */
    PP_STORE_CREATE = 1 << 0,
};

/* Opens (and migrates) the database at path. An unusable path - its directory missing or not
 * writable, a directory, a file that is not a database or not parapet's, a schema newer than this
 * build - is PP_EINVAL with a one-line message naming the path, and leaves nothing behind: a file
 * this call created is removed again. A lock held past the busy timeout is PP_ELOCKED. */
int pp_store_open(pp_store **out, const char *path, unsigned flags);
/* Closes; NULL is fine. Prepared statements of unfinished snapshot writers must be freed first. */
void pp_store_close(pp_store *st);
const char *pp_store_path(const pp_store *st);
/* The schema version of the open database (PP_STORE_SCHEMA_VERSION once open succeeded). */
int pp_store_schema_version(pp_store *st);

/* ---- snapshots: writing ----------------------------------------------------------------------
 * A producer (scan, import, plan) begins a snapshot, adds resources, coverage and scope, and
 * finishes it. Until finish the snapshot is incomplete: `history` shows it as such, "latest" and
 * the previous-snapshot lookup never pick it, and a producer killed half-way leaves only that
 * incomplete row (and whatever batches it committed) behind. */
typedef struct pp_store_writer pp_store_writer;

enum pp_store_writer_flags {
    /* Everything in one transaction: nothing is visible (not even an incomplete snapshot) until
     * finish, and pp_store_writer_free without finish leaves no trace. For imports. Without it,
     * resources are committed in batches so a long scan does not hold one huge transaction. */
    PP_STORE_ATOMIC = 1 << 0,
};

/* source: "aws", "import" or "terraform-plan". started_at 0 means now. */
int pp_store_writer_begin(pp_store *st, const char *source, time_t started_at, unsigned flags,
                          pp_store_writer **out);
int64_t pp_store_writer_snapshot(const pp_store_writer *w);
/* Copies what it needs; the caller keeps r. A second resource with the same type, account,
 * region and id in one snapshot is PP_EINVAL (finding ids would collide). add_inventory also sets
 * each resource's store_id, which lets evaluations refer to it. */
int pp_store_writer_add_resource(pp_store_writer *w, const pp_resource *r);
int pp_store_writer_add_coverage(pp_store_writer *w, const pp_coverage *c);
/* Idempotent: adding the same (account, region) twice keeps one row. */
int pp_store_writer_add_scope(pp_store_writer *w, const char *account, const char *region);
/* Adds every resource, coverage record and scope entry of inv. */
int pp_store_writer_add_inventory(pp_store_writer *w, const pp_inventory *inv);
/* Commits what is pending and marks the snapshot complete. From info (which may be NULL) it takes
 * finished_at (0: now), accounts and regions (NULL: the distinct accounts and non-global regions
 * of the scope), tool_version (NULL: PP_VERSION) and the calls/retries/errors counters; with info
 * NULL the counters are derived from the coverage added (sums of calls and retries, the number of
 * error records). The resource count is always what was added. *info_out (if not NULL) receives
 * the stored metadata. */
int pp_store_writer_finish(pp_store_writer *w, const pp_snapshot_info *info,
                           pp_snapshot_info *info_out);
/* Frees the writer. Unfinished: an atomic snapshot is rolled back completely; otherwise the
 * pending batch is rolled back and the snapshot stays incomplete (as if the process died). */
void pp_store_writer_free(pp_store_writer *w);

/* Stores a whole inventory as a complete snapshot in one transaction (pp_inventory_source() gives
 * the source). info as for pp_store_writer_finish (started_at 0: now). */
int pp_store_save_inventory(pp_store *st, const pp_inventory *inv, const pp_snapshot_info *info,
                            int64_t *snapshot_out);

/* ---- snapshots: reading ---------------------------------------------------------------------- */

/* "latest" (the newest complete snapshot) or a decimal id. An id that does not exist is
 * PP_ENOTFOUND; an incomplete one is PP_EINVAL (its producer never finished); an empty store
 * asked for "latest" is PP_ENOTFOUND. */
int pp_store_resolve_snapshot(pp_store *st, const char *spec, int64_t *out);
/* The newest complete snapshot older than `snapshot` with the same source (for "changes since
 * the previous run"); PP_ENOTFOUND when there is none. */
int pp_store_previous_snapshot(pp_store *st, int64_t snapshot, int64_t *out);
/* Metadata of one snapshot; clear it with pp_snapshot_info_clear. */
int pp_store_snapshot_info(pp_store *st, int64_t snapshot, pp_snapshot_info *out);

/* Which resources a read returns; NULL fields match everything. */
typedef struct pp_store_filter {
    const char *type;
    const char *account;
    const char *region;
} pp_store_filter;

/* One stored resource as text, for streaming (borrowed, valid during the callback only). The
 * store keeps documents in binary form (core/jbin.c); pp_store_each_resource hands them over as
 * JSON text as well, in document, so that callers never see the difference. */
typedef struct pp_store_row {
    const char *type;
    const char *id;
    const char *arn;     /* NULL when none */
    const char *account; /* NULL when unknown (plan resources) */
    const char *region;
    const char *address;  /* NULL unless a plan resource */
    const char *document; /* compact JSON object, keys in the producer's order */
    size_t document_len;
    const void *document_bin; /* the stored binary document, or NULL when stored as text */
    size_t document_bin_len;
    const char *errors;       /* compact JSON object or NULL */
    const char *unknown;      /* compact JSON or NULL */
    const char *content_hash; /* SHA-256 hex of the canonical (sorted-key) document */
    int64_t seq;              /* the row's id (pp_resource.store_id) */
} pp_store_row;

/* Calls cb for each matching resource, ordered by type, then the order they were added; a
 * non-zero return from cb stops the walk and is returned. Memory use does not grow with the
 * snapshot, so 300,000 resources stream as easily as 30. */
int pp_store_each_resource(pp_store *st, int64_t snapshot, const pp_store_filter *filter,
                           int (*cb)(void *ud, const pp_store_row *row), void *ud);
/* Loads a snapshot's resources (filtered; filter may be NULL), coverage and scope into a new
 * inventory whose source kind matches the snapshot's. */
int pp_store_load_inventory(pp_store *st, int64_t snapshot, const pp_store_filter *filter,
                            pp_inventory **out);

/* ---- history and retention ------------------------------------------------------------------- */

typedef struct pp_store_history {
    pp_snapshot_info info;
    bool evaluated;               /* has at least one evaluation */
    long counts[PP_STATUS_COUNT]; /* findings by status in the latest evaluation */
    long suppressed;
    long fail;                 /* FAIL findings that are not suppressed */
    json_t *fail_by_framework; /* {"cis-aws-3.0": 3}: unsuppressed FAILs per framework, or NULL */
} pp_store_history;

/* Every snapshot, oldest first. Free with pp_store_history_free. */
int pp_store_history_list(pp_store *st, pp_store_history **out, size_t *n);
void pp_store_history_free(pp_store_history *h, size_t n);
/* The FAIL trend of evaluated complete snapshots, oldest first, at most `limit` (0: all) newest:
 * [{"snapshot": 3, "time": "2024-01-02T03:04:05Z", "fail": 4,
 *   "frameworks": {"cis-aws-3.0": 4}}] (unsuppressed FAILs, in total and per framework). */
int pp_store_history_trend(pp_store *st, size_t limit, json_t **out);

/* Retention (issue 10): deletes complete snapshots beyond the newest `keep`, and incomplete ones
 * older than the oldest snapshot kept, with everything that belongs to them. */
int pp_store_prune(pp_store *st, size_t keep, size_t *deleted);

/* ---- evaluations ----------------------------------------------------------------------------- */

/* Saves one evaluation of a snapshot: its rules (every pp_rule_meta field), findings (every
 * field), time, environment and packs, in one transaction. */
int pp_store_save_results(pp_store *st, int64_t snapshot, const pp_results *r,
                          int64_t *evaluation_out);
/* The newest evaluation of a snapshot; PP_ENOTFOUND when it was never evaluated. */
int pp_store_latest_evaluation(pp_store *st, int64_t snapshot, int64_t *out);
/* Loads an evaluation back into a pp_results, so reports regenerate from the database alone. */
int pp_store_load_results(pp_store *st, int64_t evaluation, pp_results **out);

/* ---- import / export as JSON lines -----------------------------------------------------------
 * One resource a line: {"type","id","arn","account","region","document"} in that order, compact,
 * followed by "errors", "address" and "unknown" only when the resource has them. */

/* Appends one line (with its newline) for row to b. */
int pp_store_format_row(pp_buf *b, const pp_store_row *row);
/* Parses one line into a resource, checking it: an object with exactly the known keys, a known
 * type, a non-empty id, arn string or null, a 12-digit account or null, a region name ("global"
 * exactly for global types), a document object, errors an object of strings. PP_EINVAL with the
 * reason; *column (may be NULL) receives the 1-based column of a JSON syntax error, else 0. */
int pp_store_parse_line(const char *line, size_t len, pp_resource **out, int *column);

typedef struct pp_store_import_stats {
    size_t lines;     /* lines read, blank ones included */
    size_t resources; /* resources found (and, for an import, stored) */
    int64_t snapshot; /* the new snapshot, 0 for a check */
} pp_store_import_stats;

/* Reads and checks every line of f without a database. Errors are PP_EINVAL "NAME:LINE: why"
 * (or "NAME:LINE:COL: why" for JSON syntax), also for a repeated resource, and an input without
 * any resource. Blank lines are ignored. */
int pp_store_check_jsonl(FILE *f, const char *name, pp_store_import_stats *stats);
/* Imports f into a new complete snapshot of source "import" in one transaction; any bad line
 * rolls everything back (same errors as the check). Scope is the distinct (account, region) of
 * the regional resources; an account seen only in global resources gets (account, "global") so
 * it is not lost. Accounts and regions of the snapshot follow from the scope. */
int pp_store_import_jsonl(pp_store *st, FILE *f, const char *name, pp_store_import_stats *stats);

/* ---- remediation journal (issue 8) -----------------------------------------------------------
 * One row per (plan, step), written before a step runs and updated after, so a killed apply can
 * resume without repeating finished steps. */
typedef struct pp_journal_entry {
    char *plan_id;
    char *step_id;
    int64_t snapshot; /* the snapshot the plan was made from, or 0 */
    char *account;
    char *region;
    char *rule_id;
    char *resource_id;
    char *action;
    char *state;    /* "pending", "running", "done", "failed", "skipped" */
    json_t *call;   /* {"service","operation","params"} or NULL */
    json_t *result; /* response summary or error, or NULL */
    char *request_id;
    char *key_id; /* the access key id that made the call (never the secret) */
    char *message;
    time_t created_at, updated_at;
} pp_journal_entry;

/* Inserts or updates the (plan_id, step_id) row; created_at is kept, updated_at set to now. */
int pp_store_journal_put(pp_store *st, const pp_journal_entry *e);
/* Entries of one plan (plan_id NULL: all), in the order they were first written. */
int pp_store_journal_list(pp_store *st, const char *plan_id, pp_journal_entry **out, size_t *n);
void pp_journal_entry_clear(pp_journal_entry *e);
void pp_store_journal_free(pp_journal_entry *e, size_t n);

/* ---- the run lock (issue 10) -----------------------------------------------------------------
 * One run at a time per database: a row naming the holder (pid, host, time). A holder on this
 * host whose process is gone, or one whose lock is older than stale_after seconds, is stale and
 * taken over. Held by another live run: PP_ELOCKED with who holds it. */
int pp_store_lock(pp_store *st, const char *name, long stale_after);
int pp_store_unlock(pp_store *st, const char *name);

#endif
