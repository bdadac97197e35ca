/* The remediation journal (issue 8) and the run lock (issue 10): the two tables that say what a
 * run did and whether a run is going on. */
#include "store_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- journal --------------------------------------------------------------------------------- */

static const char *const journal_states[] = {"pending", "running", "done",
                                             "failed",  "skipped", NULL};

int pp_store_journal_put(pp_store *st, const pp_journal_entry *e)
{
    sqlite3_stmt *s = NULL;
    if (!e->plan_id || !e->step_id || !e->state)
        return pp_err_set(PP_EINVAL, "journal entry needs a plan id, a step id and a state");
    size_t i = 0;
    while (journal_states[i] && strcmp(journal_states[i], e->state) != 0)
        i++;
    if (!journal_states[i])
        return pp_err_set(PP_EINVAL,
                          "journal state '%s' is not pending, running, done, failed or skipped",
                          e->state);
    /* A later write for the same step updates it; fields it leaves NULL keep what was there, so
     * "after" writes need not repeat the "before" ones. */
    int rc = pp_store_prepare(
        st,
        "INSERT INTO journal (plan_id, step_id, snapshot_id, account, region, rule_id, "
        "resource_id, action, state, call, result, request_id, key_id, message, created_at, "
        "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
        "?15) "
        "ON CONFLICT (plan_id, step_id) DO UPDATE SET "
        "snapshot_id = coalesce(excluded.snapshot_id, snapshot_id), "
        "account = coalesce(excluded.account, account), "
        "region = coalesce(excluded.region, region), "
        "rule_id = coalesce(excluded.rule_id, rule_id), "
        "resource_id = coalesce(excluded.resource_id, resource_id), "
        "action = coalesce(excluded.action, action), "
        "state = excluded.state, "
        "call = coalesce(excluded.call, call), "
        "result = coalesce(excluded.result, result), "
        "request_id = coalesce(excluded.request_id, request_id), "
        "key_id = coalesce(excluded.key_id, key_id), "
        "message = coalesce(excluded.message, message), "
        "updated_at = excluded.updated_at",
        &s);
    if (rc)
        return rc;
    pp_store_bind_text(s, 1, e->plan_id);
    pp_store_bind_text(s, 2, e->step_id);
    if (e->snapshot > 0)
        sqlite3_bind_int64(s, 3, e->snapshot);
    pp_store_bind_text(s, 4, e->account);
    pp_store_bind_text(s, 5, e->region);
    pp_store_bind_text(s, 6, e->rule_id);
    pp_store_bind_text(s, 7, e->resource_id);
    pp_store_bind_text(s, 8, e->action);
    pp_store_bind_text(s, 9, e->state);
    pp_store_bind_json(s, 10, e->call);
    pp_store_bind_json(s, 11, e->result);
    pp_store_bind_text(s, 12, e->request_id);
    pp_store_bind_text(s, 13, e->key_id);
    pp_store_bind_text(s, 14, e->message);
    sqlite3_bind_int64(s, 15, (sqlite3_int64)pp_time_now());
    int src = sqlite3_step(s);
    if (src != SQLITE_DONE)
        rc = pp_store_sql_error(st, src, "journal");
    sqlite3_finalize(s);
    return rc;
}

void pp_journal_entry_clear(pp_journal_entry *e)
{
    if (!e)
        return;
    free(e->plan_id);
    free(e->step_id);
    free(e->account);
    free(e->region);
    free(e->rule_id);
    free(e->resource_id);
    free(e->action);
    free(e->state);
    json_decref(e->call);
    json_decref(e->result);
    free(e->request_id);
    free(e->key_id);
    free(e->message);
    memset(e, 0, sizeof(*e));
}

void pp_store_journal_free(pp_journal_entry *e, size_t n)
{
    if (!e)
        return;
    for (size_t i = 0; i < n; i++)
        pp_journal_entry_clear(&e[i]);
    free(e);
}

int pp_store_journal_list(pp_store *st, const char *plan_id, pp_journal_entry **out, size_t *n)
{
    sqlite3_stmt *s = NULL;
    pp_journal_entry *v = NULL;
    size_t count = 0, cap = 0;
    *out = NULL;
    *n = 0;
    int rc = pp_store_prepare(st,
                              "SELECT plan_id, step_id, snapshot_id, account, region, rule_id, "
                              "resource_id, action, state, call, result, request_id, key_id, "
                              "message, created_at, updated_at FROM journal "
                              "WHERE ?1 IS NULL OR plan_id = ?1 ORDER BY seq",
                              &s);
    if (rc)
        return rc;
    pp_store_bind_text(s, 1, plan_id);
    int src;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            v = pp_xrealloc(v, cap * sizeof(*v));
        }
        pp_journal_entry *e = &v[count++];
        e->plan_id = pp_store_col_str(s, 0);
        e->step_id = pp_store_col_str(s, 1);
        e->snapshot = sqlite3_column_int64(s, 2);
        e->account = pp_store_col_str(s, 3);
        e->region = pp_store_col_str(s, 4);
        e->rule_id = pp_store_col_str(s, 5);
        e->resource_id = pp_store_col_str(s, 6);
        e->action = pp_store_col_str(s, 7);
        e->state = pp_store_col_str(s, 8);
        e->call = pp_store_col_json(s, 9);
        e->result = pp_store_col_json(s, 10);
        e->request_id = pp_store_col_str(s, 11);
        e->key_id = pp_store_col_str(s, 12);
        e->message = pp_store_col_str(s, 13);
        e->created_at = (time_t)sqlite3_column_int64(s, 14);
        e->updated_at = (time_t)sqlite3_column_int64(s, 15);
    }
    if (src != SQLITE_DONE)
        rc = pp_store_sql_error(st, src, "read journal");
    sqlite3_finalize(s);
    if (rc) {
        pp_store_journal_free(v, count);
        return rc;
    }
    *out = v;
    *n = count;
    return 0;
}

/* ---- run lock -------------------------------------------------------------------------------- */

static void host_name(char out[256])
{
    if (gethostname(out, 256) != 0)
        snprintf(out, 256, "unknown");
    out[255] = '\0';
}

int pp_store_lock(pp_store *st, const char *name, long stale_after)
{
    sqlite3_stmt *s = NULL;
    char host[256];
    host_name(host);
    long pid = (long)getpid();
    time_t now = time(NULL);
    int rc = pp_store_begin(st);
    if (rc)
        return rc;
    rc = pp_store_prepare(st, "SELECT pid, host, acquired_at FROM locks WHERE name = ?", &s);
    if (rc)
        goto _exit;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        long holder = (long)sqlite3_column_int64(s, 0);
        const char *holder_host = (const char *)sqlite3_column_text(s, 1);
        time_t since = (time_t)sqlite3_column_int64(s, 2);
        bool same_host = pp_str_eq(holder_host, host);
        bool ours = same_host && holder == pid;
        /* Only a process on this host can be checked for life; elsewhere age decides. */
        bool dead = same_host && !ours && kill((pid_t)holder, 0) != 0 && errno == ESRCH;
        bool old = stale_after > 0 && now - since > stale_after;
        if (!ours && !dead && !old) {
            char ts[32];
            pp_time_format(since, ts);
            rc = pp_err_set(PP_ELOCKED, "%s: in use by another run (pid %ld on %s since %s)",
                            st->path, holder, holder_host ? holder_host : "?", ts);
            goto _exit;
        }
        if (!ours)
            pp_log(PP_LOG_WARN, "store", "taking over the stale %s lock of pid %ld on %s", name,
                   holder, holder_host ? holder_host : "?");
    } else if (src != SQLITE_DONE) {
        rc = pp_store_sql_error(st, src, "read lock");
        goto _exit;
    }
    sqlite3_finalize(s);
    s = NULL;
    rc = pp_store_prepare(st,
                          "INSERT OR REPLACE INTO locks (name, pid, host, acquired_at) "
                          "VALUES (?, ?, ?, ?)",
                          &s);
    if (rc)
        goto _exit;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, pid);
    sqlite3_bind_text(s, 3, host, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)now);
    src = sqlite3_step(s);
    if (src != SQLITE_DONE)
        rc = pp_store_sql_error(st, src, "take lock");
    if (!rc)
        rc = pp_store_commit(st);
_exit:
    sqlite3_finalize(s);
    if (rc)
        pp_store_rollback(st);
    return rc;
}

int pp_store_unlock(pp_store *st, const char *name)
{
    sqlite3_stmt *s = NULL;
    char host[256];
    host_name(host);
    int rc = pp_store_prepare(st, "DELETE FROM locks WHERE name = ? AND pid = ? AND host = ?", &s);
    if (rc)
        return rc;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)getpid());
    sqlite3_bind_text(s, 3, host, -1, SQLITE_STATIC);
    int src = sqlite3_step(s);
    if (src != SQLITE_DONE)
        rc = pp_store_sql_error(st, src, "release lock");
    sqlite3_finalize(s);
    return rc;
}
