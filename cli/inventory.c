/* `parapet inventory`: a stored snapshot's resources as JSON lines, streamed from the database;
 * `parapet inventory import`: the same lines back into a new snapshot (offline evaluation,
 * fixtures, benchmarks, moving inventories between machines). */
#include "pipeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int print_row(void *ud, const pp_store_row *row)
{
    pp_buf *line = ud;
    pp_buf_reset(line);
    int rc = pp_store_format_row(line, row);
    if (rc)
        return rc;
    if (fwrite(line->data, 1, line->len, stdout) != line->len)
        return pp_err_set(PP_EIO, "stdout: %s", strerror(errno));
    return 0;
}

static bool is_account(const char *s)
{
    size_t n = strspn(s, "0123456789");
    return n == 12 && s[n] == '\0';
}

/* Copies a stream that cannot be read twice (stdin, a pipe) into a temporary file, because the
 * import reads its input twice: once to check every line, once to store. */
static FILE *seekable(FILE *f)
{
    if (fseek(f, 0, SEEK_SET) == 0)
        return f;
    FILE *tmp = tmpfile();
    if (!tmp)
        return NULL;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (fwrite(chunk, 1, n, tmp) != n) {
            fclose(tmp);
            return NULL;
        }
    if (ferror(f) || fflush(tmp) != 0 || fseek(tmp, 0, SEEK_SET) != 0) {
        fclose(tmp);
        return NULL;
    }
    return tmp;
}

static int cmd_import(int argc, char **argv)
{
    const char *db = NULL;
    char **files = NULL;
    pp_cli_opt opts[] = {{"db", PP_OPT_VALUE, &db}, {NULL}};
    FILE *in = NULL, *data = NULL;
    pp_store *st = NULL;
    bool locked = false;
    int exit_code = pp_cli_parse(argc, argv, opts, &files);
    if (exit_code)
        goto _exit;
    pp_cli_log_init();
    if (pp_strv_len(files) != 1) {
        exit_code = pp_cli_usage_error("inventory import: expects one FILE.jsonl ('-' for stdin)");
        goto _exit;
    }
    const char *name = files[0];
    bool from_stdin = strcmp(name, "-") == 0;
    in = from_stdin ? stdin : fopen(name, "r");
    if (!in) {
        exit_code = pp_cli_usage_error("%s: %s", name, strerror(errno));
        goto _exit;
    }
    data = seekable(in);
    if (!data) {
        exit_code = pp_cli_usage_error("%s: cannot buffer the input: %s", name, strerror(errno));
        goto _exit;
    }
    /* Every line is checked before the database is opened: a bad file creates nothing. */
    pp_store_import_stats stats = {0};
    int rc = pp_store_check_jsonl(data, name, &stats);
    if (rc) {
        pp_cli_error("%s", pp_err_msg());
        exit_code = PP_EXIT_USAGE;
        goto _exit;
    }
    if (fseek(data, 0, SEEK_SET) != 0) {
        exit_code = pp_cli_usage_error("%s: %s", name, strerror(errno));
        goto _exit;
    }
    if ((exit_code = pp_cli_open_store("inventory import", db, true, &st)))
        goto _exit;
    /* One run at a time, as for scan: a large import holds SQLite's write lock for seconds, and a
     * scan starting meanwhile should exit 4 at once rather than fail half-way. */
    if ((rc = pp_store_lock(st, "run", 6 * 3600))) {
        exit_code = pp_cli_fail(rc, "inventory import");
        goto _exit;
    }
    locked = true;
    rc = pp_store_import_jsonl(st, data, name, &stats);
    if (rc) {
        /* The file changed under us or the database failed: the import was rolled back. */
        exit_code = pp_cli_fail(rc, "inventory import");
        goto _exit;
    }
    printf("imported %zu resources from %s into snapshot %lld of %s\n", stats.resources, name,
           (long long)stats.snapshot, pp_store_path(st));
    exit_code = PP_EXIT_OK;
_exit:
    if (locked)
        pp_store_unlock(st, "run");
    pp_store_close(st);
    if (data && data != in)
        fclose(data);
    if (in && in != stdin)
        fclose(in);
    pp_strv_free(files);
    return exit_code;
}

int pp_cmd_inventory(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "import") == 0) {
        static char name[] = "inventory import"; /* the name its messages carry */
        argv[1] = name;
        return cmd_import(argc - 1, argv + 1);
    }
    const char *db = NULL, *snapshot = NULL;
    pp_store_filter filter = {0};
    pp_cli_opt opts[] = {
        {"db", PP_OPT_VALUE, &db},
        {"snapshot", PP_OPT_VALUE, &snapshot},
        {"type", PP_OPT_VALUE, &filter.type},
        {"account", PP_OPT_VALUE, &filter.account},
        {"region", PP_OPT_VALUE, &filter.region},
        {NULL},
    };
    pp_store *st = NULL;
    pp_buf line;
    pp_buf_init(&line, PP_BUF_DEFAULT_MAX);
    int exit_code = pp_cli_parse(argc, argv, opts, NULL);
    if (exit_code)
        goto _exit;
    pp_cli_log_init();
    if (filter.type && !pp_type_find(filter.type)) {
        exit_code =
            pp_cli_usage_error("inventory: --type: unknown resource type '%s'", filter.type);
        goto _exit;
    }
    if (filter.account && !is_account(filter.account)) {
        exit_code = pp_cli_usage_error("inventory: --account: '%s' is not a 12-digit account id",
                                       filter.account);
        goto _exit;
    }
    if ((exit_code = pp_cli_open_store("inventory", db, false, &st)))
        goto _exit;
    int64_t id = 0;
    int rc = pp_store_resolve_snapshot(st, snapshot ? snapshot : "latest", &id);
    if (!rc)
        rc = pp_store_each_resource(st, id, &filter, print_row, &line);
    if (!rc && fflush(stdout) != 0)
        rc = pp_err_set(PP_EIO, "stdout: %s", strerror(errno));
    if (rc) {
        exit_code = pp_cli_fail(rc == PP_ENOTFOUND ? PP_EINVAL : rc, "inventory");
        goto _exit;
    }
    exit_code = PP_EXIT_OK;
_exit:
    pp_buf_free(&line);
    pp_store_close(st);
    return exit_code;
}
