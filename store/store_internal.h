/* What the store's files share with each other (and with its unit test), not with other modules. */
#ifndef PP_STORE_INTERNAL_H
#define PP_STORE_INTERNAL_H

#include "pp_store.h"

#include <sqlite3.h>

typedef struct pp_store_migration {
    int version;
    const char *description;
    const char *sql;
} pp_store_migration;

/* The migrations in order; NULL past the end. */
const pp_store_migration *pp_store_migration_at(size_t i);

struct pp_store {
    sqlite3 *db;
    char *path;
};

/* Opens like pp_store_open but migrates only up to max_version: lets tests build an old schema
 * and then watch a later open migrate it forward. */
int pp_store_open_version(pp_store **out, const char *path, unsigned flags, int max_version);

/* Sets the last error from SQLite's state for a result code, "PATH: what: message", mapping
 * busy to PP_ELOCKED, constraint violations to PP_EINVAL and everything else to PP_EIO. */
int pp_store_sql_error(pp_store *st, int sqlite_rc, const char *what);
int pp_store_exec(pp_store *st, const char *sql);
int pp_store_prepare(pp_store *st, const char *sql, sqlite3_stmt **out);
/* BEGIN IMMEDIATE: take the write lock now rather than fail half-way through a transaction. */
int pp_store_begin(pp_store *st);
int pp_store_commit(pp_store *st);
void pp_store_rollback(pp_store *st);

/* Binding helpers: NULL strings and JSON bind as SQL NULL. JSON is stored compact. */
int pp_store_bind_text(sqlite3_stmt *s, int i, const char *v);
int pp_store_bind_json(sqlite3_stmt *s, int i, const json_t *v);
/* Column helpers returning owned copies (NULL for SQL NULL). */
char *pp_store_col_str(sqlite3_stmt *s, int i);
json_t *pp_store_col_json(sqlite3_stmt *s, int i);

/* Writes the compact JSON of v into b (reset first); sort_keys gives the canonical form. */
int pp_store_dump_json(pp_buf *b, const json_t *v, bool sort_keys);

#endif
