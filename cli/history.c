/* `parapet history`: every snapshot in the database with its counts, whether it completed, and
 * the failures of its latest evaluation per framework; `--trend` turns the evaluated snapshots
 * into one column per framework, with the change from the row above (what a scheduled job
 * watches). */
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>

enum {
    COL_ID,
    COL_SOURCE,
    COL_STARTED,
    COL_DURATION,
    COL_ACCOUNTS,
    COL_REGIONS,
    COL_RESOURCES,
    COL_CALLS,
    COL_ERRORS,
    COL_COMPLETE,
    COL_FAIL,
    N_COLS
};

static const char *const headers[N_COLS] = {"ID",       "SOURCE",   "STARTED",   "DURATION",
                                            "ACCOUNTS", "REGIONS",  "RESOURCES", "CALLS",
                                            "ERRORS",   "COMPLETE", "FAIL"};

static char *duration(const pp_snapshot_info *s)
{
    if (!s->complete || s->finished_at < s->started_at)
        return pp_xstrdup("-");
    long d = (long)(s->finished_at - s->started_at);
    if (d >= 3600)
        return pp_xasprintf("%ldh%02ldm", d / 3600, d / 60 % 60);
    if (d >= 60)
        return pp_xasprintf("%ldm%02lds", d / 60, d % 60);
    return pp_xasprintf("%lds", d);
}

/* "a,b" for up to two values, "a,b +3" beyond: the column stays readable for 40 regions. */
static char *short_list(const json_t *arr)
{
    size_t n = json_array_size(arr);
    if (n == 0)
        return pp_xstrdup("-");
    pp_buf b;
    pp_buf_init(&b, 0);
    for (size_t i = 0; i < n && i < 2; i++)
        pp_buf_printf(&b, "%s%s", i ? "," : "", json_string_value(json_array_get(arr, i)));
    if (n > 2)
        pp_buf_printf(&b, " +%zu", n - 2);
    return pp_buf_steal(&b);
}

static char *fail_cell(const pp_store_history *h)
{
    if (!h->evaluated)
        return pp_xstrdup("-");
    pp_buf b;
    pp_buf_init(&b, 0);
    pp_buf_printf(&b, "%ld", h->fail);
    const char *fw;
    json_t *v;
    bool first = true;
    json_object_foreach(h->fail_by_framework, fw, v)
    {
        pp_buf_printf(&b, "%s%s=%lld", first ? " (" : ", ", fw, json_integer_value(v));
        first = false;
    }
    if (!first)
        pp_buf_putc(&b, ')');
    return pp_buf_steal(&b);
}

static void print_table(const pp_store_history *h, size_t n)
{
    char *(*cells)[N_COLS] = pp_xcalloc(n, sizeof(*cells));
    size_t width[N_COLS];
    for (int c = 0; c < N_COLS; c++)
        width[c] = strlen(headers[c]);
    for (size_t i = 0; i < n; i++) {
        const pp_snapshot_info *s = &h[i].info;
        char ts[32];
        pp_time_format(s->started_at, ts);
        cells[i][COL_ID] = pp_xasprintf("%lld", (long long)s->id);
        cells[i][COL_SOURCE] = pp_xstrdup(s->source ? s->source : "?");
        cells[i][COL_STARTED] = pp_xstrdup(ts);
        cells[i][COL_DURATION] = duration(s);
        cells[i][COL_ACCOUNTS] = short_list(s->accounts);
        cells[i][COL_REGIONS] = short_list(s->regions);
        cells[i][COL_RESOURCES] = pp_xasprintf("%ld", s->resources);
        cells[i][COL_CALLS] = pp_xasprintf("%ld", s->calls);
        cells[i][COL_ERRORS] = pp_xasprintf("%ld", s->errors);
        cells[i][COL_COMPLETE] = pp_xstrdup(s->complete ? "yes" : "no");
        cells[i][COL_FAIL] = fail_cell(&h[i]);
        for (int c = 0; c < N_COLS; c++)
            if (strlen(cells[i][c]) > width[c])
                width[c] = strlen(cells[i][c]);
    }
    for (size_t i = 0; i <= n; i++) {
        for (int c = 0; c < N_COLS; c++) {
            const char *cell = i == 0 ? headers[c] : cells[i - 1][c];
            if (c == N_COLS - 1)
                printf("%s\n", cell);
            else
                printf("%-*s  ", (int)width[c], cell);
        }
    }
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < N_COLS; c++)
            free(cells[i][c]);
    free(cells);
}

static void print_json(const pp_store_history *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const pp_snapshot_info *s = &h[i].info;
        char started[32], finished[32];
        pp_time_format(s->started_at, started);
        pp_time_format(s->finished_at, finished);
        json_t *o = json_pack(
            "{s:I, s:s, s:s, s:o, s:O, s:O, s:I, s:I, s:I, s:I, s:b, s:s*}", "id",
            (json_int_t)s->id, "source", s->source ? s->source : "?", "started_at", started,
            "finished_at", s->complete ? json_string(finished) : json_null(), "accounts",
            s->accounts, "regions", s->regions, "resources", (json_int_t)s->resources, "calls",
            (json_int_t)s->calls, "retries", (json_int_t)s->retries, "errors",
            (json_int_t)s->errors, "complete", s->complete, "tool_version", s->tool_version);
        if (h[i].evaluated) {
            json_t *e = json_object();
            for (int st = 0; st < PP_STATUS_COUNT; st++)
                json_object_set_new(e, pp_status_name((enum pp_status)st),
                                    json_integer(h[i].counts[st]));
            json_object_set_new(e, "suppressed", json_integer(h[i].suppressed));
            json_object_set_new(e, "fail_unsuppressed", json_integer(h[i].fail));
            json_object_set(e, "fail_by_framework",
                            h[i].fail_by_framework ? h[i].fail_by_framework : json_null());
            json_object_set_new(o, "evaluation", e);
        } else {
            json_object_set_new(o, "evaluation", json_null());
        }
        char *line = json_dumps(o, JSON_COMPACT);
        if (line)
            printf("%s\n", line);
        free(line);
        json_decref(o);
    }
}

/* ---- --trend ----------------------------------------------------------------------------------
 * Rows are the evaluated complete snapshots (the same ones the HTML report's chart draws), the
 * newest `last` of them; a framework without a FAIL in a row counts 0 there. */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "12", or "12 (+3)" / "12 (-2)" against the row above. */
static char *trend_cell(json_int_t v, json_int_t before, bool first)
{
    if (first || v == before)
        return pp_xasprintf("%lld", (long long)v);
    return pp_xasprintf("%lld (%+lld)", (long long)v, (long long)(v - before));
}

static void print_trend(json_t *rows, bool json)
{
    size_t n = json_array_size(rows);
    if (json) {
        for (size_t i = 0; i < n; i++) {
            char *line = json_dumps(json_array_get(rows, i), JSON_COMPACT | JSON_SORT_KEYS);
            if (line)
                printf("%s\n", line);
            free(line);
        }
        return;
    }
    if (n == 0) {
        printf("no evaluated snapshots yet\n");
        return;
    }
    /* columns: snapshot, started, fail, then the frameworks in name order */
    json_t *fw_obj = json_object_get(json_array_get(rows, 0), "frameworks");
    size_t nfw = json_object_size(fw_obj), ncol = 3 + nfw;
    const char **names = pp_xcalloc(nfw ? nfw : 1, sizeof(*names));
    size_t k = 0;
    const char *fw;
    json_t *v;
    json_object_foreach(fw_obj, fw, v)
    {
        names[k++] = fw;
    }
    qsort(names, nfw, sizeof(*names), cmp_str);
    char **cells = pp_xcalloc((n + 1) * ncol, sizeof(*cells));
    size_t *width = pp_xcalloc(ncol, sizeof(*width));
    cells[0] = pp_xstrdup("SNAPSHOT");
    cells[1] = pp_xstrdup("STARTED");
    cells[2] = pp_xstrdup("FAIL");
    for (k = 0; k < nfw; k++)
        cells[3 + k] = pp_xstrdup(names[k]);
    for (size_t i = 0; i < n; i++) {
        json_t *row = json_array_get(rows, i), *prev = i ? json_array_get(rows, i - 1) : NULL;
        char **c = &cells[(i + 1) * ncol];
        json_t *fws = json_object_get(row, "frameworks");
        json_t *pfws = json_object_get(prev, "frameworks");
        c[0] = pp_xasprintf("%lld", json_integer_value(json_object_get(row, "snapshot")));
        c[1] = pp_xstrdup(json_string_value(json_object_get(row, "time")));
        c[2] = trend_cell(json_integer_value(json_object_get(row, "fail")),
                          json_integer_value(json_object_get(prev, "fail")), !prev);
        for (k = 0; k < nfw; k++)
            c[3 + k] = trend_cell(json_integer_value(json_object_get(fws, names[k])),
                                  json_integer_value(json_object_get(pfws, names[k])), !prev);
    }
    for (size_t i = 0; i < (n + 1) * ncol; i++)
        if (strlen(cells[i]) > width[i % ncol])
            width[i % ncol] = strlen(cells[i]);
    for (size_t i = 0; i <= n; i++)
        for (size_t c = 0; c < ncol; c++) {
            if (c == ncol - 1)
                printf("%s\n", cells[i * ncol + c]);
            else
                printf("%-*s  ", (int)width[c], cells[i * ncol + c]);
        }
    for (size_t i = 0; i < (n + 1) * ncol; i++)
        free(cells[i]);
    free(cells);
    free(width);
    free(names);
}

int pp_cmd_history(int argc, char **argv)
{
    const char *db = NULL, *format = NULL;
    bool trend = false;
    long last = 0;
    pp_cli_opt opts[] = {
        {"db", PP_OPT_VALUE, &db},
        {"format", PP_OPT_VALUE, &format},
        {"trend", PP_OPT_FLAG, &trend},
        {"last", PP_OPT_INT, &last, 1, 1000000},
        {NULL},
    };
    json_t *rows = NULL;
    pp_store *st = NULL;
    pp_store_history *h = NULL;
    size_t n = 0;
    int exit_code = pp_cli_parse(argc, argv, opts, NULL);
    if (exit_code)
        goto _exit;
    pp_cli_log_init();
    bool json = format && strcmp(format, "json") == 0;
    if (format && !json && strcmp(format, "text") != 0) {
        exit_code = pp_cli_usage_error("history: --format: '%s' is not text or json", format);
        goto _exit;
    }
    if (last && !trend) {
        exit_code = pp_cli_usage_error("history: --last needs --trend");
        goto _exit;
    }
    if ((exit_code = pp_cli_open_store("history", db, false, &st)))
        goto _exit;
    int rc = trend ? pp_store_history_trend(st, last > 0 ? (size_t)last : 0, &rows)
                   : pp_store_history_list(st, &h, &n);
    if (rc) {
        exit_code = pp_cli_fail(rc, "history");
        goto _exit;
    }
    if (trend) {
        pp_cli_trend_fill(rows, NULL); /* a framework without failures counts 0 */
        print_trend(rows, json);
    } else if (json)
        print_json(h, n);
    else if (n == 0)
        printf("no snapshots in %s yet\n", pp_store_path(st));
    else
        print_table(h, n);
    exit_code = fflush(stdout) == 0 ? PP_EXIT_OK : PP_EXIT_USAGE;
_exit:
    json_decref(rows);
    pp_store_history_free(h, n);
    pp_store_close(st);
    return exit_code;
}
