/* Opening the database: checking the path before SQLite touches it, creating it 0600, WAL mode,
 * and migrating the schema forward one numbered step (one transaction) at a time. */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Long enough to ride out another process's largest transaction (an import of 300,000
 * resources commits after about 15 s), short enough that a stuck writer is reported
 * instead of hanging a scheduled job. */
#define BUSY_TIMEOUT_MS 60000

int pp_store_sql_error(pp_store *st, int sqlite_rc, const char *what)
{
    const char *msg = st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(sqlite_rc);
    const char *path = st && st->path ? st->path : "database";
    switch (sqlite_rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return pp_err_set(PP_ELOCKED, "%s: %s: database is locked by another run", path, what);
    case SQLITE_CONSTRAINT:
        return pp_err_set(PP_EINVAL, "%s: %s: %s", path, what, msg);
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        return pp_err_set(PP_EINVAL, "%s: not a usable database (%s)", path, msg);
    default:
        return pp_err_set(PP_EIO, "%s: %s: %s", path, what, msg);
    }
}

int pp_store_exec(pp_store *st, const char *sql)
{
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : pp_store_sql_error(st, rc, "exec");
}

int pp_store_prepare(pp_store *st, const char *sql, sqlite3_stmt **out)
{
    int rc = sqlite3_prepare_v2(st->db, sql, -1, out, NULL);
    return rc == SQLITE_OK ? 0 : pp_store_sql_error(st, rc, "prepare");
}

int pp_store_begin(pp_store *st)
{
    int rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : pp_store_sql_error(st, rc, "begin");
}

int pp_store_commit(pp_store *st)
{
    int rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : pp_store_sql_error(st, rc, "commit");
}

void pp_store_rollback(pp_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int pp_store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
    return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, i);
}

static int buf_dump_cb(const char *data, size_t size, void *ud)
{
    return pp_buf_append(ud, data, size) == 0 ? 0 : -1;
}

int pp_store_dump_json(pp_buf *b, const json_t *v, bool sort_keys)
{
    pp_buf_reset(b);
    size_t flags = JSON_COMPACT | JSON_ENCODE_ANY | (sort_keys ? JSON_SORT_KEYS : 0);
    if (json_dump_callback(v, buf_dump_cb, b, flags) != 0)
        return pp_err_set(PP_EINVAL, "JSON value too large to store");
    if (!b->data)
        pp_buf_puts(b, "");
    return 0;
}

int pp_store_bind_json(sqlite3_stmt *s, int i, const json_t *v)
{
    if (!v || json_is_null(v))
        return sqlite3_bind_null(s, i);
    pp_buf b; /* the same text as json_dumps, without its callback per piece */
    pp_buf_init(&b, 0);
    if (pp_buf_json_value(&b, v)) {
        pp_buf_free(&b);
        return SQLITE_TOOBIG;
    }
    return sqlite3_bind_text(s, i, b.data, (int)b.len, free); /* SQLite frees b.data */
}

char *pp_store_col_str(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? pp_xstrdup((const char *)t) : NULL;
}

json_t *pp_store_col_json(sqlite3_stmt *s, int i)
{
    const void *t = sqlite3_column_text(s, i);
    if (!t)
        return NULL;
    /* Written by us: a parse failure means the file was edited by hand; treat as absent. */
    return json_loadb(t, (size_t)sqlite3_column_bytes(s, i), JSON_DECODE_ANY, NULL);
}

/* ---- opening --------------------------------------------------------------------------------- */

static char *dir_of(const char *path)
{
    char *copy = pp_xstrdup(path);
    char *d = pp_xstrdup(dirname(copy));
    free(copy);
    return d;
}

/* Checks the path the way a user thinks about it, so the error says what is wrong ("directory
 * does not exist") rather than SQLite's "unable to open database file". */
static int check_path(const char *path, unsigned flags, bool *exists)
{
    int rc = 0;
    char *dir = dir_of(path);
    struct stat st;
    *exists = false;
    if (stat(path, &st) == 0) {
        *exists = true;
        if (S_ISDIR(st.st_mode)) {
            rc = pp_err_set(PP_EINVAL, "%s: is a directory, not a database file", path);
            goto _exit;
        }
        if (!S_ISREG(st.st_mode)) {
            rc = pp_err_set(PP_EINVAL, "%s: not a regular file", path);
            goto _exit;
        }
        if (access(path, R_OK | W_OK) != 0) {
            rc = pp_err_set(PP_EINVAL, "%s: not readable and writable by this user", path);
            goto _exit;
        }
    } else if (errno != ENOENT) {
        rc = pp_err_set(PP_EINVAL, "%s: %s", path, strerror(errno));
        goto _exit;
    } else if (!(flags & PP_STORE_CREATE)) {
        rc = pp_err_set(PP_ENOTFOUND, "%s: no such database", path);
        goto _exit;
    }
    if (stat(dir, &st) != 0) {
        rc = pp_err_set(PP_EINVAL, "%s: directory '%s' %s", path, dir,
                        errno == ENOENT ? "does not exist" : strerror(errno));
        goto _exit;
    }
    if (!S_ISDIR(st.st_mode)) {
        rc = pp_err_set(PP_EINVAL, "%s: '%s' is not a directory", path, dir);
        goto _exit;
    }
    /* SQLite creates PATH-wal and PATH-shm beside the database, even to read it. */
    if (access(dir, W_OK | X_OK) != 0) {
        rc = pp_err_set(PP_EINVAL, "%s: directory '%s' is not writable", path, dir);
        goto _exit;
    }
_exit:
    free(dir);
    return rc;
}

/* Creates the file ourselves: SQLite would create it 0644 and the database holds the security
 * posture of whole accounts. Its -wal and -shm files inherit the database file's mode. */
static int create_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return pp_err_set(PP_EINVAL, "%s: %s", path, strerror(errno));
    int rc = 0;
    if (fchmod(fd, 0600) != 0)
        rc = pp_err_set(PP_EINVAL, "%s: %s", path, strerror(errno));
    close(fd);
    return rc;
}

static void remove_files(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        char *p = pp_xasprintf("%s%s", path, suffixes[i]);
        unlink(p);
        free(p);
    }
}

static int query_int(pp_store *st, const char *sql, long long *out)
{
    sqlite3_stmt *s = NULL;
    int rc = pp_store_prepare(st, sql, &s);
    if (rc)
        return rc;
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        *out = sqlite3_column_int64(s, 0);
        rc = 0;
    } else {
        rc = pp_store_sql_error(st, src, "query");
    }
    sqlite3_finalize(s);
    return rc;
}

/* The schema version, 0 for an empty database; a database with tables but no migrations table is
 * someone else's and we must not write into it. */
static int read_version(pp_store *st, int *version)
{
    long long ours = 0, tables = 0, v = 0;
    int rc = query_int(st,
                       "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                       "name = 'schema_migrations'",
                       &ours);
    if (!rc)
        rc = query_int(st, "SELECT count(*) FROM sqlite_master", &tables);
    if (rc)
        return rc;
    if (!ours) {
        if (tables)
            return pp_err_set(PP_EINVAL, "%s: an SQLite database, but not parapet's", st->path);
        *version = 0;
        return 0;
    }
    rc = query_int(st, "SELECT coalesce(max(version), 0) FROM schema_migrations", &v);
    if (rc)
        return rc;
    *version = (int)v;
    return 0;
}

/* current: the version read without a lock. An up-to-date database takes no write lock at all,
 * so opening it to read never waits behind a scan or an import that is writing. */
static int migrate(pp_store *st, int current, int max_version)
{
    for (size_t i = 0; pp_store_migration_at(i); i++) {
        const pp_store_migration *m = pp_store_migration_at(i);
        if (m->version > max_version)
            break;
        if (m->version <= current)
            continue;
        int version = 0;
        int rc = pp_store_begin(st);
        if (rc)
            return rc;
        /* Re-read inside the write lock: another process may have migrated meanwhile. */
        rc = read_version(st, &version);
        if (!rc && version < m->version) {
            rc = pp_store_exec(st, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                   "  version INTEGER PRIMARY KEY,"
                                   "  description TEXT NOT NULL,"
                                   "  applied_at INTEGER NOT NULL,"
                                   "  tool_version TEXT NOT NULL)");
            if (!rc)
                rc = pp_store_exec(st, m->sql);
            if (rc)
                pp_err_prefix(rc, "migration %d (%s)", m->version, m->description);
            sqlite3_stmt *s = NULL;
            if (!rc)
                rc = pp_store_prepare(st,
                                      "INSERT INTO schema_migrations (version, description, "
                                      "applied_at, tool_version) VALUES (?, ?, ?, ?)",
                                      &s);
            if (!rc) {
                sqlite3_bind_int(s, 1, m->version);
                sqlite3_bind_text(s, 2, m->description, -1, SQLITE_STATIC);
                sqlite3_bind_int64(s, 3, (sqlite3_int64)time(NULL));
                sqlite3_bind_text(s, 4, PP_VERSION, -1, SQLITE_STATIC);
                int src = sqlite3_step(s);
                if (src != SQLITE_DONE)
                    rc = pp_store_sql_error(st, src, "record migration");
            }
            sqlite3_finalize(s);
        }
        if (!rc)
            rc = pp_store_commit(st);
        if (rc) {
            pp_store_rollback(st);
            return rc;
        }
        pp_log(PP_LOG_DEBUG, "store", "%s: schema at version %d", st->path, m->version);
    }
    return 0;
}

int pp_store_open_version(pp_store **out, const char *path, unsigned flags, int max_version)
{
    pp_store *st = NULL;
    bool exists = false, created = false;
    int version = 0;
    *out = NULL;
    if (!path || !*path)
        return pp_err_set(PP_EINVAL, "database path is empty");
    int rc = check_path(path, flags, &exists);
    if (rc)
        return rc;
    if (!exists) {
        rc = create_file(path);
        if (rc)
            return rc;
        created = true;
    }
    st = pp_xcalloc(1, sizeof(*st));
    st->path = pp_xstrdup(path);
    int src = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE, NULL);
    if (src != SQLITE_OK) {
        rc = pp_store_sql_error(st, src, "open");
        goto _exit;
    }
    sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    /* Before changing anything (the journal mode is written into the file): is it ours, and not
     * newer than we know? */
    rc = read_version(st, &version);
    if (rc)
        goto _exit;
    int known = 0;
    for (size_t i = 0; pp_store_migration_at(i); i++)
        known = pp_store_migration_at(i)->version;
    if (version > known) {
        rc = pp_err_set(PP_EINVAL,
                        "%s: schema version %d is newer than this parapet (%s) knows (%d); use a "
                        "newer parapet",
                        path, version, PP_VERSION, known);
        goto _exit;
    }
    long long fk = 0;
    sqlite3_stmt *s = NULL;
    rc = pp_store_prepare(st, "PRAGMA journal_mode = WAL", &s);
    if (!rc) {
        src = sqlite3_step(s);
        const unsigned char *mode = src == SQLITE_ROW ? sqlite3_column_text(s, 0) : NULL;
        if (src != SQLITE_ROW)
            rc = pp_store_sql_error(st, src, "journal mode");
        else if (!mode || strcmp((const char *)mode, "wal") != 0)
            rc = pp_err_set(PP_EIO, "%s: cannot use WAL mode (journal mode is %s)", path,
                            mode ? (const char *)mode : "unknown");
    }
    sqlite3_finalize(s);
    if (!rc)
        /* NORMAL is durable enough in WAL mode (a power cut may lose the last commit, never
         * corrupt); the size limit stops a long-lived process keeping a WAL as large as its
         * biggest transaction after the checkpoint. */
        rc = pp_store_exec(st, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; "
                               "PRAGMA journal_size_limit = 67108864");
    if (!rc)
        rc = query_int(st, "PRAGMA foreign_keys", &fk);
    if (!rc && !fk)
        rc = pp_err_set(PP_EINTERNAL, "%s: SQLite built without foreign keys", path);
    if (!rc)
        rc = migrate(st, version, max_version);
_exit:
    if (rc) {
        pp_store_close(st);
        if (created)
            remove_files(path);
        return rc;
    }
    *out = st;
    return 0;
}

int pp_store_open(pp_store **out, const char *path, unsigned flags)
{
    return pp_store_open_version(out, path, flags, PP_STORE_SCHEMA_VERSION);
}

void pp_store_close(pp_store *st)
{
    if (!st)
        return;
    if (st->db)
        sqlite3_close_v2(st->db);
    free(st->path);
    free(st);
}

const char *pp_store_path(const pp_store *st)
{
    return st->path;
}

int pp_store_schema_version(pp_store *st)
{
    int v = 0;
    return read_version(st, &v) == 0 ? v : -1;
}
