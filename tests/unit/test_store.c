/* store: migrations, path checks, snapshot lifecycle, round trips of resources, coverage and
 * results, JSON lines validation, journal, lock and retention. */
#include "pp_core.h"
#include "pp_store.h"
#include "pp_test.h"
#include "store_internal.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[256];
static int path_seq;

static void remove_tmpdir(void)
{
    char *cmd = pp_xasprintf("chmod -R u+w '%s' && rm -rf '%s'", tmpdir, tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    free(cmd);
}

/* One temporary directory per run, made on first use so any single case can run alone. */
static const char *tmp(void)
{
    if (tmpdir[0])
        return tmpdir;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof(tmpdir), "%s/pp-store-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        exit(1);
    }
    atexit(remove_tmpdir);
    return tmpdir;
}

/* A fresh database path in this run's temporary directory. */
static char *new_path(void)
{
    return pp_xasprintf("%s/db%d.sqlite", tmp(), ++path_seq);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int file_mode(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

static long long query(pp_store *st, const char *sql)
{
    sqlite3_stmt *s = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static pp_store *open_new(char **path_out)
{
    char *path = new_path();
    pp_store *st = NULL;
    int rc = pp_store_open(&st, path, PP_STORE_CREATE);
    CHECK_INT(rc, 0);
    if (path_out)
        *path_out = path;
    else
        free(path);
    return st;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    pp_buf b;
    pp_buf_init(&b, 0);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        pp_buf_append(&b, chunk, n);
    fclose(f);
    return pp_buf_steal(&b);
}

/* ---- migrations and paths -------------------------------------------------------------------- */

static void migrations_fresh(void)
{
    char *path = NULL;
    pp_store *st = open_new(&path);
    CHECK_INT(pp_store_schema_version(st), PP_STORE_SCHEMA_VERSION);
    /* The last migration is the version this build claims. */
    size_t n = 0;
    while (pp_store_migration_at(n))
        n++;
    CHECK_INT(pp_store_migration_at(n - 1)->version, PP_STORE_SCHEMA_VERSION);
    CHECK_INT(query(st, "SELECT count(*) FROM schema_migrations"), n);
    for (size_t i = 0; i < n; i++)
        CHECK_INT(pp_store_migration_at(i)->version, (long long)i + 1);
    sqlite3_stmt *s = NULL;
    sqlite3_prepare_v2(st->db, "PRAGMA journal_mode", -1, &s, NULL);
    CHECK(sqlite3_step(s) == SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    CHECK_INT(query(st, "PRAGMA foreign_keys"), 1);
    CHECK(query(st, "PRAGMA busy_timeout") > 0);
    CHECK_INT(file_mode(path), 0600);
    /* A write creates the WAL; it must not be more readable than the database. */
    pp_store_writer *w = NULL;
    CHECK_INT(pp_store_writer_begin(st, "aws", 0, 0, &w), 0);
    pp_store_writer_free(w);
    char *wal = pp_xasprintf("%s-wal", path);
    CHECK_INT(file_mode(wal), 0600);
    pp_store_close(st);
    free(wal);
    free(path);
}

static void migrations_reopen_and_forward(void)
{
    char *path = new_path();
    pp_store *st = NULL;
    /* An old binary's database: only the first migration. */
    CHECK_INT(pp_store_open_version(&st, path, PP_STORE_CREATE, 1), 0);
    CHECK_INT(pp_store_schema_version(st), 1);
    CHECK_INT(query(st, "SELECT count(*) FROM sqlite_master WHERE name = 'evaluations'"), 0);
    /* what that binary wrote, in its own schema */
    CHECK_INT(sqlite3_exec(st->db,
                           "INSERT INTO snapshots (source, started_at, tool_version, complete) "
                           "VALUES ('aws', 100, '0.0.1', 1);"
                           "INSERT INTO coverage (snapshot_id, service, operation, ok, error) "
                           "VALUES (1, 'kms', 'ListKeys', 0, 'AccessDenied: no')",
                           NULL, NULL, NULL),
              SQLITE_OK);
    pp_store_close(st);

    /* This build migrates it forward, keeping the data. */
    CHECK_INT(pp_store_open(&st, path, 0), 0);
    CHECK_INT(pp_store_schema_version(st), PP_STORE_SCHEMA_VERSION);
    CHECK_INT(query(st, "SELECT count(*) FROM sqlite_master WHERE name = 'evaluations'"), 1);
    CHECK_INT(query(st, "SELECT count(*) FROM snapshots"), 1);
    /* old coverage records count for every type of their service, as they always did */
    CHECK_INT(query(st, "SELECT count(*) FROM coverage WHERE types IS NULL AND per_resource = 0"),
              1);
    pp_store_close(st);

    /* Re-opening an up-to-date database changes nothing. */
    CHECK_INT(pp_store_open(&st, path, 0), 0);
    CHECK_INT(query(st, "SELECT count(*) FROM schema_migrations"), PP_STORE_SCHEMA_VERSION);
    CHECK_INT(query(st, "SELECT count(*) FROM snapshots"), 1);
    pp_store_close(st);
    free(path);
}

static void newer_schema_refused(void)
{
    char *path = NULL;
    pp_store *st = open_new(&path);
    CHECK_INT(sqlite3_exec(st->db,
                           "INSERT INTO schema_migrations VALUES (99, 'future', 0, '9.9.9')", NULL,
                           NULL, NULL),
              SQLITE_OK);
    pp_store_close(st);
    st = NULL;
    CHECK_INT(pp_store_open(&st, path, 0), PP_EINVAL);
    CHECK(st == NULL);
    CHECK(strstr(pp_err_msg(), "schema version 99 is newer") != NULL);
    CHECK(strstr(pp_err_msg(), path) != NULL);
    /* Refusing must not delete someone's database. */
    CHECK(exists(path));
    free(path);
}

static void bad_paths(void)
{
    pp_store *st = NULL;
    char *missing_dir = pp_xasprintf("%s/nope/x.db", tmp());
    CHECK_INT(pp_store_open(&st, missing_dir, PP_STORE_CREATE), PP_EINVAL);
    CHECK(strstr(pp_err_msg(), "does not exist") != NULL);
    CHECK(!exists(missing_dir));

    CHECK_INT(pp_store_open(&st, tmpdir, PP_STORE_CREATE), PP_EINVAL);
    CHECK(strstr(pp_err_msg(), "is a directory") != NULL);

    char *text = pp_xasprintf("%s/notes.txt", tmpdir);
    const char *content = "these are notes, not a database, and long enough to have a header\n";
    write_file(text, content);
    CHECK_INT(pp_store_open(&st, text, PP_STORE_CREATE), PP_EINVAL);
    CHECK(strstr(pp_err_msg(), "not a usable database") != NULL);
    char *after = read_file(text);
    CHECK_STR(after, content);
    char *text_wal = pp_xasprintf("%s-wal", text);
    CHECK(!exists(text_wal));
    free(text_wal);
    free(after);

    /* Another program's SQLite database is left alone. */
    char *foreign = pp_xasprintf("%s/foreign.db", tmpdir);
    sqlite3 *db = NULL;
    sqlite3_open(foreign, &db);
    sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL);
    sqlite3_close(db);
    CHECK_INT(pp_store_open(&st, foreign, PP_STORE_CREATE), PP_EINVAL);
    CHECK(strstr(pp_err_msg(), "not parapet's") != NULL);

    char *absent = pp_xasprintf("%s/absent.db", tmpdir);
    CHECK_INT(pp_store_open(&st, absent, 0), PP_ENOTFOUND);
    CHECK(!exists(absent));

    if (geteuid() != 0) { /* root writes anywhere */
        char *ro = pp_xasprintf("%s/ro", tmpdir);
        mkdir(ro, 0500);
        char *inside = pp_xasprintf("%s/x.db", ro);
        CHECK_INT(pp_store_open(&st, inside, PP_STORE_CREATE), PP_EINVAL);
        CHECK(strstr(pp_err_msg(), "not writable") != NULL);
        CHECK(!exists(inside));
        free(inside);
        free(ro);
    }
    CHECK_INT(pp_store_open(&st, "", PP_STORE_CREATE), PP_EINVAL);
    free(missing_dir);
    free(text);
    free(foreign);
    free(absent);
}

/* ---- snapshots ------------------------------------------------------------------------------- */

static pp_resource *make_resource(const char *type, const char *id, const char *account,
                                  const char *region, const char *doc_json)
{
    json_t *doc = json_loads(doc_json, 0, NULL);
    char *arn = pp_xasprintf("arn:aws:test:%s:%s:%s", region, account, id);
    pp_resource *r = pp_resource_new(type, id, arn, account, region, doc);
    free(arn);
    json_decref(doc);
    return r;
}

static void snapshot_lifecycle(void)
{
    pp_store *st = open_new(NULL);
    int64_t id = 0;
    CHECK_INT(pp_store_resolve_snapshot(st, "latest", &id), PP_ENOTFOUND);

    /* A scan that dies after committing a batch. */
    pp_store_writer *w = NULL;
    CHECK_INT(pp_store_writer_begin(st, "aws", 1000, 0, &w), 0);
    int64_t killed = pp_store_writer_snapshot(w);
    pp_resource *r = make_resource("AWS::EC2::VPC", "vpc-1", "111122223333", "eu-west-1", "{}");
    CHECK_INT(pp_store_writer_add_resource(w, r), 0);
    pp_store_writer_free(w); /* never finished */
    CHECK_INT(pp_store_resolve_snapshot(st, "latest", &id), PP_ENOTFOUND);
    char spec[32];
    snprintf(spec, sizeof(spec), "%lld", (long long)killed);
    CHECK_INT(pp_store_resolve_snapshot(st, spec, &id), PP_EINVAL);
    CHECK(strstr(pp_err_msg(), "incomplete") != NULL);
    pp_store_history *h = NULL;
    size_t n = 0;
    CHECK_INT(pp_store_history_list(st, &h, &n), 0);
    CHECK_INT(n, 1);
    CHECK(n == 1 && !h[0].info.complete && !h[0].evaluated);
    pp_store_history_free(h, n);

    /* The next scan is unaffected: same resource key, new snapshot. */
    CHECK_INT(pp_store_writer_begin(st, "aws", 2000, 0, &w), 0);
    int64_t first = pp_store_writer_snapshot(w);
    CHECK_INT(pp_store_writer_add_resource(w, r), 0);
    pp_snapshot_info info = {0};
    CHECK_INT(pp_store_writer_finish(w, NULL, &info), 0);
    pp_store_writer_free(w);
    CHECK(info.complete);
    CHECK_INT(info.resources, 1);
    CHECK_INT(info.started_at, 2000);
    CHECK_STR(info.source, "aws");
    CHECK_STR(info.tool_version, PP_VERSION);
    pp_snapshot_info_clear(&info);
    CHECK_INT(pp_store_resolve_snapshot(st, "latest", &id), 0);
    CHECK_INT(id, first);

    /* Another one in progress does not become "latest"; an import is a different source. */
    CHECK_INT(pp_store_writer_begin(st, "import", 0, 0, &w), 0);
    int64_t running = pp_store_writer_snapshot(w);
    CHECK_INT(pp_store_resolve_snapshot(st, "latest", &id), 0);
    CHECK_INT(id, first);
    CHECK_INT(pp_store_writer_finish(w, NULL, NULL), 0);
    pp_store_writer_free(w);
    CHECK_INT(pp_store_resolve_snapshot(st, "latest", &id), 0);
    CHECK_INT(id, running);
    CHECK_INT(pp_store_previous_snapshot(st, running, &id), PP_ENOTFOUND);

    CHECK_INT(pp_store_writer_begin(st, "aws", 0, 0, &w), 0);
    int64_t second = pp_store_writer_snapshot(w);
    CHECK_INT(pp_store_writer_finish(w, NULL, NULL), 0);
    pp_store_writer_free(w);
    CHECK_INT(pp_store_previous_snapshot(st, second, &id), 0);
    CHECK_INT(id, first); /* skips the incomplete one and the import */

    /* An atomic writer that is abandoned leaves no row at all. */
    long long before = query(st, "SELECT count(*) FROM snapshots");
    CHECK_INT(pp_store_writer_begin(st, "import", 0, PP_STORE_ATOMIC, &w), 0);
    CHECK_INT(pp_store_writer_add_resource(w, r), 0);
    pp_store_writer_free(w);
    CHECK_INT(query(st, "SELECT count(*) FROM snapshots"), before);

    CHECK_INT(pp_store_resolve_snapshot(st, "99999", &id), PP_ENOTFOUND);
    CHECK_INT(pp_store_resolve_snapshot(st, "abc", &id), PP_EINVAL);
    CHECK_INT(pp_store_resolve_snapshot(st, "-1", &id), PP_EINVAL);
    CHECK_INT(pp_store_writer_begin(st, "gcp", 0, 0, &w), PP_EINVAL);
    pp_resource_free(r);
    pp_store_close(st);
}

static void batches_survive_a_kill(void)
{
    /* A real kill: the child commits more than one batch and dies without finishing. */
    char *path = NULL;
    pp_store *st = open_new(&path);
    pp_store_close(st);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        pp_store *cst = NULL;
        pp_store_writer *w = NULL;
        if (pp_store_open(&cst, path, 0) || pp_store_writer_begin(cst, "aws", 0, 0, &w))
            _exit(1);
        for (int i = 0; i < 25000; i++) {
            char id[32];
            snprintf(id, sizeof(id), "sg-%d", i);
            pp_resource *r =
                make_resource("AWS::EC2::SecurityGroup", id, "111122223333", "us-east-1", "{}");
            if (pp_store_writer_add_resource(w, r))
                _exit(1);
            pp_resource_free(r);
        }
        raise(SIGKILL);
        _exit(1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK_INT(pp_store_open(&st, path, 0), 0);
    CHECK_INT(query(st, "SELECT count(*) FROM snapshots WHERE complete = 0"), 1);
    long long kept = query(st, "SELECT count(*) FROM resources");
    CHECK(kept >= 20000 && kept < 25000); /* the committed batch, not the pending rows */
    int64_t id = 0;
    CHECK_INT(pp_store_resolve_snapshot(st, "latest", &id), PP_ENOTFOUND);
    pp_store_history *h = NULL;
    size_t n = 0;
    CHECK_INT(pp_store_history_list(st, &h, &n), 0);
    CHECK(n == 1 && !h[0].info.complete && h[0].info.resources == kept);
    pp_store_history_free(h, n);
    pp_store_close(st);
    free(path);
}

static void readers_do_not_wait_for_writers(void)
{
    char *path = NULL;
    pp_store *writer = open_new(&path);
    pp_store_writer *w = NULL;
    CHECK_INT(pp_store_writer_begin(writer, "aws", 0, 0, &w), 0);
    CHECK_INT(pp_store_writer_finish(w, NULL, NULL), 0);
    pp_store_writer_free(w);
    /* A long import holds the write lock... */
    CHECK_INT(pp_store_writer_begin(writer, "import", 0, PP_STORE_ATOMIC, &w), 0);
    pp_resource *r = make_resource("AWS::EC2::VPC", "vpc-1", "111122223333", "eu-west-1", "{}");
    CHECK_INT(pp_store_writer_add_resource(w, r), 0);
    pp_resource_free(r);
    /* ...while another process opens the database and reads: no waiting, no error. */
    pp_store *reader = NULL;
    CHECK_INT(pp_store_open(&reader, path, 0), 0);
    if (reader) {
        sqlite3_busy_timeout(reader->db, 0); /* any lock attempt would now fail at once */
        int64_t id = 0;
        CHECK_INT(pp_store_resolve_snapshot(reader, "latest", &id), 0);
        CHECK_INT(id, 1);
        pp_store_history *h = NULL;
        size_t n = 0;
        CHECK_INT(pp_store_history_list(reader, &h, &n), 0);
        CHECK_INT(n, 1); /* the atomic import is invisible until it finishes */
        pp_store_history_free(h, n);
        /* A second writer is refused as locked (exit 4 class), not corrupted. */
        pp_store_writer *w2 = NULL;
        CHECK_INT(pp_store_writer_begin(reader, "aws", 0, PP_STORE_ATOMIC, &w2), PP_ELOCKED);
        pp_store_writer_free(w2);
    }
    pp_store_close(reader);
    CHECK_INT(pp_store_writer_finish(w, NULL, NULL), 0);
    pp_store_writer_free(w);
    pp_store_close(writer);
    free(path);
}

static void resource_roundtrip(void)
{
    pp_store *st = open_new(NULL);
    pp_store_writer *w = NULL;
    CHECK_INT(pp_store_writer_begin(st, "terraform-plan", 0, 0, &w), 0);
    /* Keys deliberately out of order, with escapes and non-ASCII text. */
    pp_resource *a =
        make_resource("AWS::EC2::SecurityGroup", "sg-1", "111122223333", "eu-west-1",
                      "{\"Zeta\": 1, \"GroupName\": \"w\\u00e9b \\\"x\\\"\\n\\u001f\", \"Alpha\": "
                      "[{\"b\": true, \"a\": null}], \"Real\": 1.5}");
    a->errors = json_pack("{s:s}", "Tags", "DescribeTags: AccessDenied: no");
    a->unknown = json_pack("{s:b}", "GroupName", 1);
    a->address = pp_xstrdup("aws_security_group.web");
    pp_resource *b = make_resource("AWS::IAM::User", "alice", "111122223333", "global",
                                   "{\"UserName\": \"alice\"}");
    free(b->arn);
    b->arn = NULL;
    pp_resource *c = make_resource("AWS::EC2::SecurityGroup", "sg-2", "444455556666", "us-east-1",
                                   "{\"GroupId\": \"sg-2\"}");
    free(c->account);
    c->account = NULL;
    CHECK_INT(pp_store_writer_add_resource(w, a), 0);
    CHECK_INT(pp_store_writer_add_resource(w, b), 0);
    CHECK_INT(pp_store_writer_add_resource(w, c), 0);
    CHECK_INT(pp_store_writer_add_resource(w, a), PP_EINVAL); /* same key twice */
    CHECK(strstr(pp_err_msg(), "appears twice") != NULL);
    CHECK_INT(pp_store_writer_finish(w, NULL, NULL), 0);
    int64_t snap = pp_store_writer_snapshot(w);
    pp_store_writer_free(w);

    pp_inventory *inv = NULL;
    CHECK_INT(pp_store_load_inventory(st, snap, NULL, &inv), 0);
    CHECK_INT(pp_inventory_count(inv), 3);
    CHECK_INT(pp_inventory_source(inv), PP_SOURCE_PLAN);
    /* Order: by type, then insertion. */
    pp_resource *got = pp_inventory_at(inv, 0);
    CHECK_STR(got->type, "AWS::EC2::SecurityGroup");
    CHECK_STR(got->id, "sg-1");
    CHECK_STR(got->arn, a->arn);
    CHECK_STR(got->account, "111122223333");
    CHECK_STR(got->region, "eu-west-1");
    CHECK_STR(got->address, "aws_security_group.web");
    CHECK(json_equal(got->doc, a->doc));
    CHECK(json_equal(got->errors, a->errors));
    CHECK(json_equal(got->unknown, a->unknown));
    char *d1 = json_dumps(got->doc, JSON_COMPACT);
    char *d2 = json_dumps(a->doc, JSON_COMPACT);
    CHECK_STR(d1, d2); /* the producer's key order is kept */
    free(d1);
    free(d2);
    got = pp_inventory_at(inv, 1);
    CHECK_STR(got->id, "sg-2");
    CHECK(got->account == NULL);
    CHECK(got->errors == NULL && got->unknown == NULL && got->address == NULL);
    got = pp_inventory_at(inv, 2);
    CHECK_STR(got->type, "AWS::IAM::User");
    CHECK(got->arn == NULL);
    CHECK_STR(got->region, "global");
    pp_inventory_free(inv);

    /* Filters. */
    pp_store_filter f = {.type = "AWS::EC2::SecurityGroup", .region = "us-east-1"};
    CHECK_INT(pp_store_load_inventory(st, snap, &f, &inv), 0);
    CHECK_INT(pp_inventory_count(inv), 1);
    CHECK_STR(pp_inventory_at(inv, 0)->id, "sg-2");
    pp_inventory_free(inv);
    pp_store_filter fa = {.account = "111122223333"};
    CHECK_INT(pp_store_load_inventory(st, snap, &fa, &inv), 0);
    CHECK_INT(pp_inventory_count(inv), 2);
    pp_inventory_free(inv);

    /* The content hash is SHA-256 of the canonical (sorted, compact) document. */
    char *canon = json_dumps(a->doc, JSON_COMPACT | JSON_SORT_KEYS);
    char hex[65];
    pp_sha256_hex(canon, strlen(canon), hex);
    free(canon);
    sqlite3_stmt *s = NULL;
    sqlite3_prepare_v2(st->db, "SELECT content_hash FROM resources WHERE id = 'sg-1'", -1, &s,
                       NULL);
    CHECK(sqlite3_step(s) == SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(s, 0), hex);
    sqlite3_finalize(s);

    pp_resource_free(a);
    pp_resource_free(b);
    pp_resource_free(c);
    pp_store_close(st);
}

/* Loading reads batches of 4096 rows while the previous batch is parsed: sizes around the batch
 * edges keep every resource in order, and a corrupt document in any batch fails the whole load. */
static int64_t store_n_users(pp_store *st, int n)
{
    pp_store_writer *w = NULL;
    CHECK_INT(pp_store_writer_begin(st, "import", 0, 0, &w), 0);
    for (int i = 0; i < n; i++) {
        char id[32], doc[64];
        snprintf(id, sizeof(id), "u-%05d", i);
        snprintf(doc, sizeof(doc), "{\"UserName\": \"%s\", \"n\": %d}", id, i);
        pp_resource *r = make_resource("AWS::IAM::User", id, "111122223333", "global", doc);
        CHECK_INT(pp_store_writer_add_resource(w, r), 0);
        pp_resource_free(r);
    }
    CHECK_INT(pp_store_writer_finish(w, NULL, NULL), 0);
    int64_t snap = pp_store_writer_snapshot(w);
    pp_store_writer_free(w);
    return snap;
}

static void load_in_batches(void)
{
    static const int sizes[] = {1, 63, 64, 4096, 8192, 10000};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        int n = sizes[k];
        pp_store *st = open_new(NULL);
        int64_t snap = store_n_users(st, n);
        pp_inventory *inv = NULL;
        CHECK_INT(pp_store_load_inventory(st, snap, NULL, &inv), 0);
        CHECK_INT(pp_inventory_count(inv), n);
        bool in_order = true;
        for (int i = 0; i < n && inv; i++) {
            const pp_resource *r = pp_inventory_at(inv, (size_t)i);
            char id[32];
            snprintf(id, sizeof(id), "u-%05d", i);
            in_order = in_order && pp_str_eq(r->id, id) &&
                       json_integer_value(json_object_get(r->doc, "n")) == i;
        }
        CHECK(in_order);
        pp_inventory_free(inv);

        /* a binary document cut short, or JSON text (as stored before binary documents) that is
         * not an object: early, in the middle or in the last batch */
        int bad = k % 3 == 0 ? 0 : k % 3 == 1 ? n / 2 : n - 1;
        for (int text = 0; text < 2; text++) {
            char *sql =
                pp_xasprintf("UPDATE resources SET document = %s WHERE id = 'u-%05d'",
                             text ? "'[1]'" : "substr(document, 1, length(document) - 1)", bad);
            CHECK_INT(sqlite3_exec(st->db, sql, NULL, NULL, NULL), SQLITE_OK);
            free(sql);
            inv = NULL;
            CHECK_INT(pp_store_load_inventory(st, snap, NULL, &inv), PP_EIO);
            CHECK(inv == NULL);
            char want[96];
            snprintf(want, sizeof(want),
                     "stored document of AWS::IAM::User u-%05d cannot be read: %s", bad,
                     text ? "not a JSON object" : "truncated");
            if (!strstr(pp_err_msg(), want))
                CHECK_STR(pp_err_msg(), want);
        }
        pp_store_close(st);
    }
}

/* Large documents end a batch before 4096 rows (at 16 MB of row data): 1,500 documents of 20 KB
 * make several batches, each loaded whole and in order, errors and all fields intact. */
static void load_large_documents(void)
{
    pp_store *st = open_new(NULL);
    pp_store_writer *w = NULL;
    CHECK_INT(pp_store_writer_begin(st, "import", 0, 0, &w), 0);
    char *pad = pp_xmalloc(20001);
    memset(pad, 'x', 20000);
    pad[20000] = '\0';
    for (int i = 0; i < 1500; i++) {
        char id[32];
        snprintf(id, sizeof(id), "k-%05d", i);
        pp_resource *r =
            pp_resource_new("AWS::KMS::Key", id, NULL, "111122223333", "eu-west-1", NULL);
        json_object_set_new(r->doc, "n", json_integer(i));
        json_object_set_new(r->doc, "pad", json_string(pad));
        if (i % 100 == 7)
            r->errors = json_pack("{s:s}", "KeyPolicy", "GetKeyPolicy: AccessDenied: no");
        CHECK_INT(pp_store_writer_add_resource(w, r), 0);
        pp_resource_free(r);
    }
    CHECK_INT(pp_store_writer_finish(w, NULL, NULL), 0);
    int64_t snap = pp_store_writer_snapshot(w);
    pp_store_writer_free(w);
    free(pad);
    pp_inventory *inv = NULL;
    CHECK_INT(pp_store_load_inventory(st, snap, NULL, &inv), 0);
    CHECK_INT(pp_inventory_count(inv), 1500);
    size_t good = 0, errors = 0;
    for (size_t i = 0; inv && i < pp_inventory_count(inv); i++) {
        const pp_resource *r = pp_inventory_at(inv, i);
        char id[32];
        snprintf(id, sizeof(id), "k-%05zu", i);
        good += pp_str_eq(r->id, id) && r->arn == NULL && pp_str_eq(r->region, "eu-west-1") &&
                json_integer_value(json_object_get(r->doc, "n")) == (json_int_t)i &&
                json_string_length(json_object_get(r->doc, "pad")) == 20000;
        errors += r->errors != NULL && (i % 100 == 7);
    }
    CHECK_INT(good, 1500);
    CHECK_INT(errors, 15);
    pp_inventory_free(inv);
    pp_store_close(st);
}

static void coverage_and_scope_roundtrip(void)
{
    pp_store *st = open_new(NULL);
    pp_inventory *inv = pp_inventory_new(PP_SOURCE_AWS);
    pp_inventory_add(inv, make_resource("AWS::KMS::Key", "k1", "111122223333", "eu-west-1", "{}"));
    pp_coverage ok = {.account = "111122223333",
                      .region = "eu-west-1",
                      .service = "kms",
                      .operation = "ListKeys",
                      .ok = true,
                      .calls = 3,
                      .retries = 1};
    pp_coverage bad = {.account = "111122223333",
                       .region = "global",
                       .service = "iam",
                       .operation = "GetAccountAuthorizationDetails",
                       .ok = false,
                       .error = "AccessDenied: User is not authorized",
                       .calls = 1,
                       .retries = 2,
                       .types = "AWS::IAM::User,AWS::IAM::Role"};
    pp_coverage one = {.account = "111122223333",
                       .region = "eu-west-1",
                       .service = "kms",
                       .operation = "GetKeyPolicy",
                       .ok = false,
                       .error = "AccessDenied: no",
                       .calls = 1,
                       .per_resource = true};
    pp_inventory_add_coverage(inv, &ok);
    pp_inventory_add_coverage(inv, &bad);
    pp_inventory_add_coverage(inv, &one);
    pp_inventory_add_scope(inv, "111122223333", "eu-west-1");
    pp_inventory_add_scope(inv, "111122223333", "us-east-1");
    pp_inventory_add_scope(inv, "111122223333", "global");
    int64_t snap = 0;
    CHECK_INT(pp_store_save_inventory(st, inv, NULL, &snap), 0);
    pp_inventory_free(inv);

    pp_snapshot_info info;
    CHECK_INT(pp_store_snapshot_info(st, snap, &info), 0);
    CHECK_INT(info.calls, 5);
    CHECK_INT(info.retries, 3);
    CHECK_INT(info.errors, 2);
    CHECK_INT(info.resources, 1);
    CHECK(info.complete);
    CHECK(info.finished_at >= info.started_at);
    char *acc = json_dumps(info.accounts, JSON_COMPACT);
    char *reg = json_dumps(info.regions, JSON_COMPACT);
    CHECK_STR(acc, "[\"111122223333\"]");
    CHECK_STR(reg, "[\"eu-west-1\",\"us-east-1\"]");
    free(acc);
    free(reg);
    pp_snapshot_info_clear(&info);

    CHECK_INT(pp_store_load_inventory(st, snap, NULL, &inv), 0);
    CHECK_INT(pp_inventory_coverage_count(inv), 3);
    /* what a failed call leaves incomplete survives the round trip, so a snapshot evaluated
     * again judges coverage exactly as the scan did */
    CHECK_STR(pp_inventory_coverage_at(inv, 1)->types, "AWS::IAM::User,AWS::IAM::Role");
    CHECK(!pp_inventory_coverage_at(inv, 1)->per_resource);
    CHECK(pp_inventory_coverage_at(inv, 2)->per_resource);
    CHECK(pp_inventory_coverage_at(inv, 2)->types == NULL);
    CHECK(pp_inventory_coverage_error(inv, "111122223333", "eu-west-1", "kms") == NULL);
    CHECK(pp_inventory_coverage_error_for_type(inv, "111122223333", "global", "AWS::IAM::Role"));
    CHECK(!pp_inventory_coverage_error_for_type(inv, "111122223333", "global", "AWS::IAM::Group"));
    const pp_coverage *c = pp_inventory_coverage_at(inv, 1);
    CHECK_STR(c->account, "111122223333");
    CHECK_STR(c->region, "global");
    CHECK_STR(c->service, "iam");
    CHECK_STR(c->operation, "GetAccountAuthorizationDetails");
    CHECK(!c->ok);
    CHECK_STR(c->error, "AccessDenied: User is not authorized");
    CHECK_INT(c->calls, 1);
    CHECK_INT(c->retries, 2);
    c = pp_inventory_coverage_at(inv, 0);
    CHECK(c->ok && c->error == NULL && c->calls == 3 && c->retries == 1);
    CHECK(pp_inventory_coverage_error(inv, "111122223333", "global", "iam") != NULL);
    CHECK_INT(pp_inventory_scope_count(inv), 3);
    const char *a = NULL, *r = NULL;
    pp_inventory_scope_at(inv, 0, &a, &r);
    CHECK_STR(r, "eu-west-1");
    pp_inventory_free(inv);

    /* Counters and scope given by the producer win over derived ones. */
    pp_inventory *empty = pp_inventory_new(PP_SOURCE_AWS);
    pp_snapshot_info given = {.started_at = 50,
                              .finished_at = 80,
                              .calls = 7,
                              .retries = 0,
                              .errors = 2,
                              .accounts = json_pack("[s]", "999988887777"),
                              .regions = json_pack("[s]", "ap-south-1")};
    CHECK_INT(pp_store_save_inventory(st, empty, &given, &snap), 0);
    CHECK_INT(pp_store_snapshot_info(st, snap, &info), 0);
    CHECK_INT(info.calls, 7);
    CHECK_INT(info.errors, 2);
    CHECK_INT(info.started_at, 50);
    CHECK_INT(info.finished_at, 80);
    CHECK(json_equal(info.accounts, given.accounts));
    CHECK(json_equal(info.regions, given.regions));
    pp_snapshot_info_clear(&info);
    json_decref(given.accounts);
    json_decref(given.regions);
    pp_inventory_free(empty);
    pp_store_close(st);
}

/* ---- results --------------------------------------------------------------------------------- */

static pp_rule_meta *make_rule(const char *id, enum pp_severity sev, const char *frameworks)
{
    pp_rule_meta *m = pp_xcalloc(1, sizeof(*m));
    m->id = pp_xstrdup(id);
    m->title = pp_xasprintf("title of %s", id);
    m->description = pp_xstrdup("why \"it\" matters\nline two");
    m->pack = pp_xstrdup("cis-aws-3.0");
    m->pack_version = pp_xstrdup("3.0.0");
    m->severity = sev;
    m->resource_type = pp_xstrdup("AWS::EC2::SecurityGroup");
    m->frameworks = frameworks ? json_loads(frameworks, 0, NULL) : NULL;
    m->remediation = json_pack("{s:s, s:s}", "action", "revoke-ingress", "targets", "matched");
    return m;
}

static void add_finding(pp_results *r, const pp_rule_meta *rule, enum pp_status status,
                        const char *id, bool suppressed)
{
    pp_finding *f = pp_results_add(r, rule);
    f->status = status;
    f->res_type = pp_xstrdup("AWS::EC2::SecurityGroup");
    f->res_id = pp_xstrdup(id);
    f->res_arn = pp_xasprintf("arn:aws:ec2:eu-west-1:111122223333:security-group/%s", id);
    f->account = pp_xstrdup("111122223333");
    f->region = pp_xstrdup("eu-west-1");
    f->message = pp_xasprintf("%s is %s", id, pp_status_name(status));
    f->evidence = json_pack("{s:[{s:i}]}", "matched", "FromPort", 22);
    if (suppressed)
        f->suppression = json_pack("{s:s, s:s, s:s, s:b}", "owner", "ops", "reason", "legacy",
                                   "expires", "2030-01-01", "expired", 0);
    f->suppressed = suppressed;
    pp_finding_set_id(f);
}

static void results_roundtrip(void)
{
    pp_store *st = open_new(NULL);
    pp_inventory *inv = pp_inventory_new(PP_SOURCE_AWS);
    int64_t snap = 0;
    CHECK_INT(pp_store_save_inventory(st, inv, NULL, &snap), 0);
    pp_inventory_free(inv);

    pp_results *r = pp_results_new();
    r->evaluated_at = 1704164645;
    r->env = pp_xstrdup("production");
    json_array_append_new(r->packs, json_pack("{s:s, s:s, s:s}", "name", "cis-aws-3.0", "version",
                                              "3.0.0", "path", "/p/cis"));
    pp_rule_meta *r1 = pp_results_add_rule(
        r, make_rule("CIS-5.2", PP_SEV_HIGH, "{\"cis-aws-3.0\": [\"5.2\"], \"ref\": [\"n1\"]}"));
    pp_rule_meta *r2 = pp_results_add_rule(r, make_rule("REF-1", PP_SEV_LOW, NULL));
    free(r2->title);
    r2->title = NULL;
    json_decref(r2->remediation);
    r2->remediation = NULL;
    add_finding(r, r1, PP_STATUS_FAIL, "sg-1", false);
    add_finding(r, r1, PP_STATUS_FAIL, "sg-2", true);
    add_finding(r, r1, PP_STATUS_PASS, "sg-3", false);
    add_finding(r, r2, PP_STATUS_ERROR, "sg-1", false);
    add_finding(r, r2, PP_STATUS_MANUAL, "sg-4", false);
    pp_finding *plan = pp_results_add(r, r2);
    plan->status = PP_STATUS_UNKNOWN;
    plan->address = pp_xstrdup("aws_security_group.x");
    pp_finding_set_id(plan);

    int64_t eval = 0;
    CHECK_INT(pp_store_save_results(st, snap, r, &eval), 0);
    int64_t latest = 0;
    CHECK_INT(pp_store_latest_evaluation(st, snap, &latest), 0);
    CHECK_INT(latest, eval);

    pp_results *got = NULL;
    CHECK_INT(pp_store_load_results(st, eval, &got), 0);
    CHECK_INT(got->evaluated_at, 1704164645);
    CHECK_STR(got->env, "production");
    CHECK(json_equal(got->packs, r->packs));
    CHECK_INT(got->n_rules, 2);
    for (size_t i = 0; i < 2 && got->n_rules == 2; i++) {
        const pp_rule_meta *x = r->rules[i], *y = got->rules[i];
        CHECK_STR(y->id, x->id);
        CHECK(pp_str_eq(y->title, x->title));
        CHECK_STR(y->description, x->description);
        CHECK_STR(y->pack, x->pack);
        CHECK_STR(y->pack_version, x->pack_version);
        CHECK_INT(y->severity, x->severity);
        CHECK_STR(y->resource_type, x->resource_type);
        CHECK((x->frameworks == NULL) == (y->frameworks == NULL));
        CHECK(!x->frameworks || json_equal(x->frameworks, y->frameworks));
        CHECK((x->remediation == NULL) == (y->remediation == NULL));
        CHECK(!x->remediation || json_equal(x->remediation, y->remediation));
    }
    CHECK_INT(got->n_findings, r->n_findings);
    for (size_t i = 0; i < r->n_findings && i < got->n_findings; i++) {
        const pp_finding *x = &r->findings[i], *y = &got->findings[i];
        CHECK_STR(y->id, x->id);
        CHECK(y->rule && pp_str_eq(y->rule->id, x->rule->id));
        CHECK(y->rule == pp_results_rule(got, x->rule->id)); /* borrowed from got */
        CHECK_INT(y->status, x->status);
        CHECK(pp_str_eq(y->res_type, x->res_type));
        CHECK(pp_str_eq(y->res_id, x->res_id));
        CHECK(pp_str_eq(y->res_arn, x->res_arn));
        CHECK(pp_str_eq(y->account, x->account));
        CHECK(pp_str_eq(y->region, x->region));
        CHECK(pp_str_eq(y->address, x->address));
        CHECK(pp_str_eq(y->message, x->message));
        CHECK((x->evidence == NULL) == (y->evidence == NULL));
        CHECK(!x->evidence || json_equal(x->evidence, y->evidence));
        CHECK((x->suppression == NULL) == (y->suppression == NULL));
        CHECK(!x->suppression || json_equal(x->suppression, y->suppression));
        CHECK_INT(y->suppressed, x->suppressed);
    }
    pp_results_free(got);

    /* History: counts of the latest evaluation, unsuppressed FAILs per framework. */
    pp_store_history *h = NULL;
    size_t n = 0;
    CHECK_INT(pp_store_history_list(st, &h, &n), 0);
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK(h[0].evaluated);
        CHECK_INT(h[0].counts[PP_STATUS_PASS], 1);
        CHECK_INT(h[0].counts[PP_STATUS_FAIL], 2);
        CHECK_INT(h[0].counts[PP_STATUS_ERROR], 1);
        CHECK_INT(h[0].counts[PP_STATUS_UNKNOWN], 1);
        CHECK_INT(h[0].counts[PP_STATUS_MANUAL], 1);
        CHECK_INT(h[0].suppressed, 1);
        CHECK_INT(h[0].fail, 1);
        CHECK_INT(json_integer_value(json_object_get(h[0].fail_by_framework, "cis-aws-3.0")), 1);
        CHECK_INT(json_integer_value(json_object_get(h[0].fail_by_framework, "ref")), 1);
    }
    pp_store_history_free(h, n);
    json_t *trend = NULL;
    CHECK_INT(pp_store_history_trend(st, 0, &trend), 0);
    CHECK_INT(json_array_size(trend), 1);
    CHECK_INT(json_integer_value(json_object_get(json_array_get(trend, 0), "snapshot")), snap);
    json_decref(trend);

    /* A second evaluation becomes the latest. */
    pp_results *r2nd = pp_results_new();
    int64_t eval2 = 0;
    CHECK_INT(pp_store_save_results(st, snap, r2nd, &eval2), 0);
    CHECK_INT(pp_store_latest_evaluation(st, snap, &latest), 0);
    CHECK_INT(latest, eval2);
    pp_results_free(r2nd);

    CHECK_INT(pp_store_save_results(st, snap + 100, r, &eval), PP_ENOTFOUND);
    CHECK_INT(pp_store_latest_evaluation(st, snap + 100, &latest), PP_ENOTFOUND);
    CHECK_INT(pp_store_load_results(st, 12345, &got), PP_ENOTFOUND);
    pp_results_free(r);
    pp_store_close(st);
}

/* ---- JSON lines ------------------------------------------------------------------------------ */

static const char *const good_line =
    "{\"type\":\"AWS::EC2::VPC\",\"id\":\"vpc-1\",\"arn\":null,\"account\":\"111122223333\","
    "\"region\":\"eu-west-1\",\"document\":{\"VpcId\":\"vpc-1\"}}";

static void parse_line_cases(void)
{
    static const struct {
        const char *line;
        const char *error; /* substring; NULL: valid */
        int column;
    } cases[] = {
        {"{\"type\":\"AWS::EC2::VPC\",\"id\":\"vpc-1\",\"arn\":null,\"account\":\"111122223333\","
         "\"region\":\"eu-west-1\",\"document\":{}}",
         NULL, 0},
        {"{\"type\":\"AWS::IAM::User\",\"id\":\"bob\",\"account\":\"111122223333\","
         "\"region\":\"global\",\"document\":{},\"errors\":{\"Tags\":\"x\"}}",
         NULL, 0},
        {"{\"type\":\"AWS::EC2::VPC\",\"id\":\"v\",\"arn\":\"arn:aws:ec2:x\",\"account\":null,"
         "\"region\":\"us-gov-west-1\",\"document\":{},\"address\":\"aws_vpc.x\","
         "\"unknown\":{\"VpcId\":true}}",
         NULL, 0},
        {"{\"type\": \"AWS::EC2::VPC\", \"id\": x}", "invalid JSON", 33},
        {"[1, 2]", "expected a JSON object", 0},
        {"{\"type\":\"AWS::EC2::Vpc\",\"id\":\"v\",\"account\":null,\"region\":\"eu-west-1\","
         "\"document\":{}}",
         "unknown resource type 'AWS::EC2::Vpc'", 0},
        {"{\"id\":\"v\",\"account\":null,\"region\":\"eu-west-1\",\"document\":{}}",
         "\"type\" must be a string", 0},
        {"{\"type\":\"AWS::EC2::VPC\",\"id\":\"\",\"account\":null,\"region\":\"eu-west-1\","
         "\"document\":{}}",
         "\"id\" must be a non-empty string", 0},
        {"{\"type\":\"AWS::EC2::VPC\",\"id\":\"v\",\"arn\":5,\"account\":null,"
         "\"region\":\"eu-west-1\",\"document\":{}}",
         "\"arn\" must be null", 0},
        {"{\"type\":\"AWS::EC2::VPC\",\"id\":\"v\",\"account\":\"1234\",\"region\":\"eu-west-1\","
         "\"document\":{}}",
         "12-digit", 0},
        {"{\"type\":\"AWS::EC2::VPC\",\"id\":\"v\",\"region\":\"eu-west-1\",\"document\":{}}",
         "12-digit", 0},
        {"{\"type\":\"AWS::EC2::VPC\",\"id\":\"v\",\"account\":null,\"region\":\"global\","
         "\"document\":{}}",
         "not a region name", 0},
        {"{\"type\":\"AWS::IAM::Role\",\"id\":\"v\",\"account\":null,\"region\":\"eu-west-1\","
         "\"document\":{}}",
         "must be \"global\"", 0},
        {"{\"type\":\"AWS::EC2::VPC\",\"id\":\"v\",\"account\":null,\"region\":\"eu-west-1\","
         "\"document\":[]}",
         "\"document\" must be a JSON object", 0},
        {"{\"type\":\"AWS::EC2::VPC\",\"id\":\"v\",\"account\":null,\"region\":\"eu-west-1\"}",
         "\"document\" must be a JSON object", 0},
        {"{\"type\":\"AWS::EC2::VPC\",\"id\":\"v\",\"account\":null,\"region\":\"eu-west-1\","
         "\"document\":{},\"errors\":{\"k\":1}}",
         "\"errors\" must be an object of strings", 0},
        {"{\"type\":\"AWS::EC2::VPC\",\"id\":\"v\",\"account\":null,\"region\":\"eu-west-1\","
         "\"document\":{},\"Document\":{}}",
         "unknown key 'Document'", 0},
        {"{\"type\":\"AWS::EC2::VPC\",\"type\":\"AWS::EC2::VPC\"}", "duplicate object key", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pp_resource *r = NULL;
        int column = -1;
        int rc = pp_store_parse_line(cases[i].line, strlen(cases[i].line), &r, &column);
        if (!cases[i].error) {
            CHECK_INT(rc, 0);
            CHECK(r != NULL);
        } else {
            CHECK_INT(rc, PP_EINVAL);
            CHECK(r == NULL);
            if (!strstr(pp_err_msg(), cases[i].error))
                fprintf(stderr, "case %zu: '%s' lacks '%s'\n", i, pp_err_msg(), cases[i].error);
            CHECK(strstr(pp_err_msg(), cases[i].error) != NULL);
            if (cases[i].column)
                CHECK_INT(column, cases[i].column);
        }
        pp_resource_free(r);
    }
}

static void format_parse_roundtrip(void)
{
    pp_store_row row = {
        .type = "AWS::IAM::User",
        .id = "a\"b\\c\x01\xc3\xa9",
        .arn = NULL,
        .account = "111122223333",
        .region = "global",
        .document = "{\"x\":[1,{\"y\":\"\\u001F\"}]}",
        .errors = "{\"Tags\":\"e\"}",
    };
    row.document_len = strlen(row.document);
    pp_buf b;
    pp_buf_init(&b, 0);
    CHECK_INT(pp_store_format_row(&b, &row), 0);
    CHECK_STR(pp_buf_cstr(&b),
              "{\"type\":\"AWS::IAM::User\",\"id\":\"a\\\"b\\\\c\\u0001\xc3\xa9\",\"arn\":null,"
              "\"account\":\"111122223333\",\"region\":\"global\",\"document\":{\"x\":[1,{\"y\":"
              "\"\\u001F\"}]},\"errors\":{\"Tags\":\"e\"}}\n");
    pp_resource *r = NULL;
    CHECK_INT(pp_store_parse_line(b.data, b.len, &r, NULL), 0);
    if (r) {
        CHECK_STR(r->id, row.id);
        CHECK(r->arn == NULL);
        CHECK_STR(json_string_value(json_object_get(r->errors, "Tags")), "e");
        /* jansson re-encodes the document to the same bytes. */
        char *doc = json_dumps(r->doc, JSON_COMPACT);
        CHECK_STR(doc, row.document);
        free(doc);
    }
    pp_resource_free(r);
    pp_buf_free(&b);
}

static FILE *text_file(const char *text)
{
    FILE *f = tmpfile();
    fputs(text, f);
    rewind(f);
    return f;
}

static void check_jsonl_errors(void)
{
    pp_store_import_stats stats = {0};
    pp_buf in;
    pp_buf_init(&in, 0);
    pp_buf_printf(&in, "\n%s\n  \r\n%s", good_line, good_line);
    FILE *f = text_file(pp_buf_cstr(&in));
    CHECK_INT(pp_store_check_jsonl(f, "inv.jsonl", &stats), PP_EINVAL);
    CHECK_STR(pp_err_msg(),
              "inv.jsonl:4: AWS::EC2::VPC vpc-1 in 111122223333/eu-west-1 repeats line 2");
    fclose(f);

    f = text_file("\n\n{\"type\": 1");
    CHECK_INT(pp_store_check_jsonl(f, "x.jsonl", &stats), PP_EINVAL);
    CHECK(pp_str_startswith(pp_err_msg(), "x.jsonl:3:"));
    CHECK(strstr(pp_err_msg(), "invalid JSON") != NULL);
    fclose(f);

    f = text_file("\n \n");
    CHECK_INT(pp_store_check_jsonl(f, "empty.jsonl", &stats), PP_EINVAL);
    CHECK(strstr(pp_err_msg(), "no resources") != NULL);
    fclose(f);

    pp_buf_reset(&in);
    pp_buf_printf(&in, "%s\r\n\n", good_line);
    f = text_file(pp_buf_cstr(&in));
    CHECK_INT(pp_store_check_jsonl(f, "ok.jsonl", &stats), 0);
    CHECK_INT(stats.resources, 1);
    CHECK_INT(stats.lines, 2);
    fclose(f);
    pp_buf_free(&in);
}

static int collect_line(void *ud, const pp_store_row *row)
{
    return pp_store_format_row(ud, row);
}

static void import_jsonl(void)
{
    pp_store *st = open_new(NULL);
    const char *text =
        "{\"type\":\"AWS::EC2::VPC\",\"id\":\"vpc-1\",\"arn\":null,\"account\":\"111122223333\","
        "\"region\":\"eu-west-1\",\"document\":{\"b\":1,\"a\":2}}\n"
        "\n"
        "{\"type\":\"AWS::IAM::User\",\"id\":\"u\",\"arn\":\"arn:aws:iam::111122223333:user/u\","
        "\"account\":\"111122223333\",\"region\":\"global\",\"document\":{},\"errors\":{\"K\":"
        "\"Op: Denied: no\"}}\n"
        "{\"type\":\"AWS::IAM::User\",\"id\":\"v\",\"arn\":null,\"account\":\"444455556666\","
        "\"region\":\"global\",\"document\":{}}\n"
        "{\"type\":\"AWS::EC2::VPC\",\"id\":\"vpc-2\",\"arn\":null,\"account\":\"111122223333\","
        "\"region\":\"us-east-1\",\"document\":{}}\n";
    FILE *f = text_file(text);
    pp_store_import_stats stats = {0};
    CHECK_INT(pp_store_import_jsonl(st, f, "in.jsonl", &stats), 0);
    fclose(f);
    CHECK_INT(stats.resources, 4);
    CHECK_INT(stats.lines, 5);
    pp_snapshot_info info;
    CHECK_INT(pp_store_snapshot_info(st, stats.snapshot, &info), 0);
    CHECK_STR(info.source, "import");
    CHECK(info.complete);
    CHECK_INT(info.resources, 4);
    char *acc = json_dumps(info.accounts, JSON_COMPACT);
    char *reg = json_dumps(info.regions, JSON_COMPACT);
    CHECK_STR(acc, "[\"111122223333\",\"444455556666\"]");
    CHECK_STR(reg, "[\"eu-west-1\",\"us-east-1\"]");
    free(acc);
    free(reg);
    pp_snapshot_info_clear(&info);
    pp_inventory *inv = NULL;
    CHECK_INT(pp_store_load_inventory(st, stats.snapshot, NULL, &inv), 0);
    CHECK_INT(pp_inventory_source(inv), PP_SOURCE_IMPORT);
    CHECK_INT(pp_inventory_scope_count(inv), 3); /* two regions + the global-only account */
    const char *a = NULL, *r = NULL;
    pp_inventory_scope_at(inv, 2, &a, &r);
    CHECK_STR(a, "444455556666");
    CHECK_STR(r, "global");
    pp_inventory_free(inv);

    /* Export gives the same lines (grouped by type, keys in the producer's order). */
    pp_buf out;
    pp_buf_init(&out, 0);
    CHECK_INT(pp_store_each_resource(st, stats.snapshot, NULL, collect_line, &out), 0);
    CHECK(strstr(pp_buf_cstr(&out), "\"document\":{\"b\":1,\"a\":2}}\n") != NULL);
    f = text_file(pp_buf_cstr(&out));
    pp_store_import_stats again = {0};
    CHECK_INT(pp_store_import_jsonl(st, f, "again.jsonl", &again), 0);
    fclose(f);
    pp_buf out2;
    pp_buf_init(&out2, 0);
    CHECK_INT(pp_store_each_resource(st, again.snapshot, NULL, collect_line, &out2), 0);
    CHECK_STR(pp_buf_cstr(&out2), pp_buf_cstr(&out));
    pp_buf_free(&out);
    pp_buf_free(&out2);

    /* A bad last line: nothing of the import remains. */
    long long snaps = query(st, "SELECT count(*) FROM snapshots");
    long long res = query(st, "SELECT count(*) FROM resources");
    pp_buf bad;
    pp_buf_init(&bad, 0);
    pp_buf_printf(&bad, "%s%s", text, "{\"type\":\"AWS::Nope\"}\n");
    f = text_file(pp_buf_cstr(&bad));
    CHECK_INT(pp_store_import_jsonl(st, f, "bad.jsonl", &stats), PP_EINVAL);
    CHECK_STR(pp_err_msg(), "bad.jsonl:6: unknown resource type 'AWS::Nope'");
    fclose(f);
    pp_buf_free(&bad);
    CHECK_INT(query(st, "SELECT count(*) FROM snapshots"), snaps);
    CHECK_INT(query(st, "SELECT count(*) FROM resources"), res);
    pp_store_close(st);
}

/* ---- journal, lock, retention ---------------------------------------------------------------- */

static void journal_roundtrip(void)
{
    pp_store *st = open_new(NULL);
    pp_journal_entry e = {
        .plan_id = "plan-1",
        .step_id = "s1",
        .account = "111122223333",
        .region = "eu-west-1",
        .rule_id = "CIS-5.2",
        .resource_id = "sg-1",
        .action = "revoke-ingress",
        .state = "running",
        .key_id = "AKIAEXAMPLE",
    };
    e.call = json_pack("{s:s, s:s}", "service", "ec2", "operation", "RevokeSecurityGroupIngress");
    CHECK_INT(pp_store_journal_put(st, &e), 0);
    json_decref(e.call);
    pp_journal_entry after = {
        .plan_id = "plan-1", .step_id = "s1", .state = "done", .request_id = "req-9"};
    after.result = json_pack("{s:b}", "Return", 1);
    CHECK_INT(pp_store_journal_put(st, &after), 0);
    json_decref(after.result);
    pp_journal_entry other = {.plan_id = "plan-2", .step_id = "s1", .state = "pending"};
    CHECK_INT(pp_store_journal_put(st, &other), 0);
    pp_journal_entry badstate = {.plan_id = "p", .step_id = "s", .state = "exploded"};
    CHECK_INT(pp_store_journal_put(st, &badstate), PP_EINVAL);

    pp_journal_entry *list = NULL;
    size_t n = 0;
    CHECK_INT(pp_store_journal_list(st, "plan-1", &list, &n), 0);
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK_STR(list[0].state, "done");
        CHECK_STR(list[0].action, "revoke-ingress"); /* kept from the first write */
        CHECK_STR(list[0].request_id, "req-9");
        CHECK_STR(list[0].key_id, "AKIAEXAMPLE");
        CHECK_STR(json_string_value(json_object_get(list[0].call, "operation")),
                  "RevokeSecurityGroupIngress");
        CHECK(json_is_true(json_object_get(list[0].result, "Return")));
        CHECK(list[0].created_at > 0 && list[0].updated_at >= list[0].created_at);
    }
    pp_store_journal_free(list, n);
    CHECK_INT(pp_store_journal_list(st, NULL, &list, &n), 0);
    CHECK_INT(n, 2);
    pp_store_journal_free(list, n);
    pp_store_close(st);
}

static void run_lock(void)
{
    char *path = NULL;
    pp_store *st = open_new(&path);
    CHECK_INT(pp_store_lock(st, "run", 0), 0);
    CHECK_INT(pp_store_lock(st, "run", 0), 0); /* our own lock again */

    /* A live process elsewhere holds it: refused with who holds it. */
    char host[256];
    gethostname(host, sizeof(host));
    sqlite3_stmt *s = NULL;
    sqlite3_prepare_v2(st->db, "UPDATE locks SET pid = ?, host = ? WHERE name = 'run'", -1, &s,
                       NULL);
    sqlite3_bind_int64(s, 1, (sqlite3_int64)getppid());
    sqlite3_bind_text(s, 2, host, -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_finalize(s);
    CHECK_INT(pp_store_lock(st, "run", 0), PP_ELOCKED);
    CHECK(strstr(pp_err_msg(), "in use by another run") != NULL);
    /* ... unless it is older than the stale limit. */
    sqlite3_exec(st->db, "UPDATE locks SET acquired_at = acquired_at - 1000", NULL, NULL, NULL);
    CHECK_INT(pp_store_lock(st, "run", 600), 0);

    /* A dead process on this host: stale at once. */
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    sqlite3_prepare_v2(st->db, "UPDATE locks SET pid = ? WHERE name = 'run'", -1, &s, NULL);
    sqlite3_bind_int64(s, 1, (sqlite3_int64)child);
    sqlite3_step(s);
    sqlite3_finalize(s);
    CHECK_INT(pp_store_lock(st, "run", 0), 0);
    CHECK_INT(pp_store_unlock(st, "run"), 0);
    CHECK_INT(query(st, "SELECT count(*) FROM locks"), 0);
    pp_store_close(st);
    free(path);
}

static void retention(void)
{
    pp_store *st = open_new(NULL);
    int64_t ids[5];
    for (int i = 0; i < 5; i++) {
        pp_store_writer *w = NULL;
        CHECK_INT(pp_store_writer_begin(st, "aws", 0, 0, &w), 0);
        pp_resource *r = make_resource("AWS::EC2::VPC", "vpc-1", "111122223333", "eu-west-1", "{}");
        CHECK_INT(pp_store_writer_add_resource(w, r), 0);
        pp_resource_free(r);
        ids[i] = pp_store_writer_snapshot(w);
        if (i != 1) /* snapshot 1 is a killed scan */
            CHECK_INT(pp_store_writer_finish(w, NULL, NULL), 0);
        pp_store_writer_free(w);
    }
    pp_results *res = pp_results_new();
    add_finding(res, pp_results_add_rule(res, make_rule("R", PP_SEV_LOW, NULL)), PP_STATUS_FAIL,
                "x", false);
    int64_t eval = 0;
    CHECK_INT(pp_store_save_results(st, ids[0], res, &eval), 0);
    pp_results_free(res);
    pp_journal_entry e = {.plan_id = "p", .step_id = "s", .state = "done", .snapshot = ids[0]};
    CHECK_INT(pp_store_journal_put(st, &e), 0);

    size_t deleted = 0;
    CHECK_INT(pp_store_prune(st, 2, &deleted), 0);
    CHECK_INT(deleted, 3); /* two complete and the killed one before the oldest kept */
    CHECK_INT(query(st, "SELECT count(*) FROM snapshots"), 2);
    CHECK_INT(query(st, "SELECT min(id) FROM snapshots"), ids[3]);
    CHECK_INT(query(st, "SELECT count(*) FROM resources"), 2);
    CHECK_INT(query(st, "SELECT count(*) FROM findings"), 0);
    CHECK_INT(query(st, "SELECT count(*) FROM evaluations"), 0);
    /* The journal outlives the snapshot it was planned from. */
    CHECK_INT(query(st, "SELECT count(*) FROM journal WHERE snapshot_id IS NULL"), 1);
    CHECK_INT(pp_store_prune(st, 0, &deleted), PP_EINVAL);
    CHECK_INT(pp_store_prune(st, 10, &deleted), 0);
    CHECK_INT(deleted, 0);
    pp_store_close(st);
}

/* Plain PASS findings (a stored resource, "compliant", nothing else) are kept as references to
 * resource rows; everything comes back in its place, field for field, ids recomputed. */
static void plain_passes_roundtrip(void)
{
    pp_store *st = open_new(NULL);
    pp_inventory *inv = pp_inventory_new(PP_SOURCE_AWS);
    for (int i = 0; i < 50; i++) {
        char id[32];
        snprintf(id, sizeof(id), "sg-%02d", i);
        pp_resource *r = make_resource("AWS::EC2::SecurityGroup", id, "111122223333",
                                       i % 2 ? "eu-west-1" : "us-east-1", "{\"GroupId\":\"x\"}");
        free(r->arn);
        r->arn = pp_xasprintf("arn:aws:ec2:eu-west-1:111122223333:security-group/%s", id);
        pp_inventory_add(inv, r);
    }
    pp_store_writer *w = NULL;
    pp_snapshot_info info = {0};
    CHECK_INT(pp_store_writer_begin(st, "aws", 0, 0, &w), 0);
    CHECK_INT(pp_store_writer_add_inventory(w, inv), 0);
    CHECK_INT(pp_store_writer_finish(w, NULL, &info), 0);
    pp_store_writer_free(w);
    CHECK(pp_inventory_at(inv, 0)->store_id > 0);

    pp_results *r = pp_results_new();
    r->evaluated_at = 1704164645;
    pp_rule_meta *rules[2];
    for (int k = 0; k < 2; k++) {
        rules[k] = pp_xcalloc(1, sizeof(*rules[k]));
        rules[k]->id = pp_xstrdup(k ? "R-2" : "R-1");
        rules[k]->severity = PP_SEV_HIGH;
        pp_results_add_rule(r, rules[k]);
    }
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < pp_inventory_count(inv); i++) {
            /* reversed for the second rule, so row deltas go both ways */
            const pp_resource *res = pp_inventory_at(inv, k ? pp_inventory_count(inv) - 1 - i : i);
            pp_finding *f = pp_results_add(r, rules[k]);
            f->resource = res;
            f->res_type = pp_xstrdup(res->type);
            f->res_id = pp_xstrdup(res->id);
            f->res_arn = pp_xstrdup(res->arn);
            f->account = pp_xstrdup(res->account);
            f->region = pp_xstrdup(res->region);
            f->status = i % 7 == 3 ? PP_STATUS_FAIL : PP_STATUS_PASS;
            f->message =
                pp_xstrdup(f->status == PP_STATUS_FAIL ? "open to the world" : "compliant");
            if (f->status == PP_STATUS_FAIL)
                f->evidence = json_pack("[{s:s}]", "path", "IpPermissions[0]");
            if (i == 10) /* a PASS with something to say is kept whole */
                f->suppression = json_pack("{s:s}", "owner", "ops");
            pp_finding_set_id(f);
        }
    /* an account-level finding has no resource row */
    pp_finding *acct = pp_results_add(r, rules[1]);
    acct->status = PP_STATUS_PASS;
    acct->res_type = pp_xstrdup("AWS::EC2::SecurityGroup");
    acct->res_id = pp_xstrdup("111122223333/eu-west-1");
    acct->account = pp_xstrdup("111122223333");
    acct->message = pp_xstrdup("compliant");
    pp_finding_set_id(acct);

    int64_t eval = 0;
    CHECK_INT(pp_store_save_results(st, info.id, r, &eval), 0);
    long rows = query(st, "SELECT count(*) FROM findings");
    CHECK(rows < 40); /* the plain passes are not rows */
    CHECK_INT(query(st, "SELECT sum(count) FROM passes") + rows, (long)r->n_findings);

    pp_results *back = NULL;
    CHECK_INT(pp_store_load_results(st, eval, &back), 0);
    CHECK_INT(back ? back->n_findings : 0, r->n_findings);
    for (size_t i = 0; back && i < r->n_findings && i < back->n_findings; i++) {
        const pp_finding *a = &r->findings[i], *b = &back->findings[i];
        CHECK_STR(b->id, a->id);
        CHECK_STR(b->rule ? b->rule->id : NULL, a->rule->id);
        CHECK_INT(b->status, a->status);
        CHECK_STR(b->res_type, a->res_type);
        CHECK_STR(b->res_id, a->res_id);
        CHECK(pp_str_eq(b->res_arn, a->res_arn));
        CHECK(pp_str_eq(b->region, a->region));
        CHECK_STR(b->message, a->message);
        CHECK(json_equal(b->evidence, a->evidence) || (!b->evidence && !a->evidence));
        CHECK(json_equal(b->suppression, a->suppression) || (!b->suppression && !a->suppression));
    }
    pp_results_free(back);

    /* a damaged list is an error, not a crash or a short list */
    CHECK_INT(
        sqlite3_exec(st->db, "UPDATE passes SET entries = x'ff' WHERE seq = 1", NULL, NULL, NULL),
        SQLITE_OK);
    back = NULL;
    CHECK_INT(pp_store_load_results(st, eval, &back), PP_EIO);
    CHECK(back == NULL);
    pp_results_free(r);
    pp_snapshot_info_clear(&info);
    pp_inventory_free(inv);
    pp_store_close(st);
}

PP_TEST_MAIN(TEST(migrations_fresh), TEST(migrations_reopen_and_forward),
             TEST(newer_schema_refused), TEST(bad_paths), TEST(snapshot_lifecycle),
             TEST(batches_survive_a_kill), TEST(readers_do_not_wait_for_writers),
             TEST(resource_roundtrip), TEST(load_in_batches), TEST(load_large_documents),
             TEST(coverage_and_scope_roundtrip), TEST(results_roundtrip),
             TEST(plain_passes_roundtrip), TEST(parse_line_cases), TEST(format_parse_roundtrip),
             TEST(check_jsonl_errors), TEST(import_jsonl), TEST(journal_roundtrip), TEST(run_lock),
             TEST(retention))
