/* The executor: applies exactly the steps of a checked plan. Steps run in dependency order, as
 * many at once as `workers` allows (the AWS engine keeps EC2 writes inside their rate bucket), and
 * never after a step they depend on failed. Each step is journaled before it runs (intent and
 * calls) and after (outcome, outputs, request id), so a killed apply resumes: finished steps are
 * taken from the journal with their outputs and never repeated, and an interrupted one is re-read
 * before it runs again. */
#include "rem_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum node_state { N_PENDING = 0, N_RUNNING, N_FINISHED };

typedef struct node {
    json_t *step; /* borrowed from the plan */
    const char *id;
    const pp_rem_action *a;
    enum node_state state;
    enum pp_rem_outcome outcome;
    json_t *outputs; /* owned */
    size_t *deps;
    size_t n_deps;
} node;

typedef struct exec {
    const pp_rem_apply_opts *o;
    node *nodes;
    size_t n;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    const char *plan_id;
    int64_t snapshot;
    const char *account;
    const char *key_id;
    pp_rem_apply_result *res;
} exec;

const char *pp_rem_outcome_name(enum pp_rem_outcome o)
{
    switch (o) {
    case PP_REM_DONE:
        return "done";
    case PP_REM_UNNEEDED:
        return "unneeded";
    case PP_REM_FAILED:
        return "failed";
    case PP_REM_SKIPPED_DEP:
        return "skipped";
    case PP_REM_ALREADY_DONE:
        return "already-done";
    }
    return "?";
}

void pp_rem_apply_result_clear(pp_rem_apply_result *r)
{
    if (!r)
        return;
    free(r->account);
    free(r->key_id);
    memset(r, 0, sizeof(*r));
}

static bool outcome_ok(enum pp_rem_outcome o)
{
    return o == PP_REM_DONE || o == PP_REM_UNNEEDED || o == PP_REM_ALREADY_DONE;
}

/* ---- references
 * ---------------------------------------------------------------------------------- */

static node *node_by_id(exec *x, const char *id)
{
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->nodes[i].id, id) == 0)
            return &x->nodes[i];
    return NULL;
}

/* A copy of v with references replaced: to other steps always, to `self` only when its outputs
 * are given (they are known once the calls before have run). An unknown output fails. */
static json_t *resolve(exec *x, const json_t *v, const char *self, const json_t *self_out,
                       char *err, size_t errlen)
{
    if (json_is_object(v)) {
        const json_t *ref = json_object_get(v, "$ref");
        if (ref) {
            const char *id = json_string_value(ref);
            const char *name = json_string_value(json_object_get(v, "output"));
            if (id && strcmp(id, self) == 0) {
                if (!self_out)
                    return json_deep_copy(v);
                json_t *val = json_object_get(self_out, name ? name : "");
                if (!val) {
                    snprintf(err, errlen, "output %s of this step is not known yet", name);
                    return NULL;
                }
                return json_deep_copy(val);
            }
            node *d = id ? node_by_id(x, id) : NULL;
            json_t *val = d && d->outputs ? json_object_get(d->outputs, name ? name : "") : NULL;
            if (!val) {
                snprintf(err, errlen, "output %s of step %s is not known", name ? name : "?",
                         id ? id : "?");
                return NULL;
            }
            return json_deep_copy(val);
        }
        json_t *o = json_object();
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c)
        {
            json_t *r = resolve(x, c, self, self_out, err, errlen);
            if (!r) {
                json_decref(o);
                return NULL;
            }
            json_object_set_new(o, k, r);
        }
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c)
        {
            json_t *r = resolve(x, c, self, self_out, err, errlen);
            if (!r) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, r);
        }
        return a;
    }
    return json_deep_copy(v);
}

/* ---- journal
 * -------------------------------------------------------------------------------------- */

static void journal(exec *x, node *nd, const char *state, json_t *call, json_t *result,
                    const char *request_id, const char *message)
{
    const json_t *res = json_object_get(nd->step, "resource");
    pp_journal_entry e = {
        .plan_id = (char *)x->plan_id,
        .step_id = (char *)nd->id,
        .snapshot = x->snapshot,
        .account = (char *)pp_rem_str(res, "account"),
        .region = (char *)pp_rem_str(res, "region"),
        .rule_id = (char *)pp_rem_str(nd->step, "rule"),
        .resource_id = (char *)pp_rem_str(res, "id"),
        .action = (char *)nd->a->name,
        .state = (char *)state,
        .call = call,
        .result = result,
        .request_id = (char *)request_id,
        .key_id = (char *)x->key_id,
        .message = (char *)message,
    };
    /* the store handle is shared by the workers */
    pthread_mutex_lock(&x->lock);
    if (pp_store_journal_put(x->o->store, &e))
        pp_log(PP_LOG_ERROR, "remediate", "journal: step %s: %s", nd->id, pp_err_msg());
    pthread_mutex_unlock(&x->lock);
}

/* ---- checks' helpers ----------------------------------------------------------------------------
 */

int pp_rem_read(pp_rem_check *c, const char *service, const char *operation, const char *region,
                json_t *input, json_t **data, char **code)
{
    *data = NULL;
    if (code)
        *code = NULL;
    const pp_op *op = pp_op_find(service, operation);
    pp_aws_req req = {.service = service,
                      .operation = operation,
                      .region = pp_rem_call_region(region),
                      .input = input,
                      .paginate = op && op->out_token};
    pp_aws_resp resp;
    int rc = pp_aws_call(c->client, &req, &resp);
    if (rc == 0) {
        *data = resp.data;
        resp.data = NULL;
    } else if (code && resp.code) {
        *code = pp_xstrdup(resp.code);
    }
    pp_aws_resp_clear(&resp);
    return rc;
}

void pp_rem_check_unneeded(pp_rem_check *c, const char *fmt, ...)
{
    char note[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(note, sizeof(note), fmt, ap);
    va_end(ap);
    c->unneeded = true;
    free(c->note);
    c->note = pp_xstrdup(note);
}

json_t *pp_rem_check_call(pp_rem_check *c, const char *operation)
{
    size_t i;
    json_t *call;
    json_array_foreach(c->calls, i, call)
    {
        if (pp_str_eq(pp_rem_str(call, "operation"), operation))
            return call;
    }
    return NULL;
}

void pp_rem_check_drop(pp_rem_check *c, const char *operation)
{
    for (size_t i = json_array_size(c->calls); i-- > 0;)
        if (pp_str_eq(pp_rem_str(json_array_get(c->calls, i), "operation"), operation))
            json_array_remove(c->calls, i);
}

/* ---- one step
 * ------------------------------------------------------------------------------------ */

static bool code_listed(const json_t *codes, const char *code)
{
    size_t i;
    json_t *c;
    json_array_foreach(codes, i, c)
    {
        if (code && pp_str_eq(json_string_value(c), code))
            return true;
    }
    return false;
}

/* Runs the step; fills nd->outcome and nd->outputs, and the message and request id. */
static void run_step(exec *x, node *nd, char **message, char **request_id)
{
    char err[512] = "";
    pp_rem_check chk = {.client = x->o->client, .step = nd->step, .account = x->account};
    nd->outputs = json_object();
    chk.outputs = nd->outputs;
    chk.calls = resolve(x, json_object_get(nd->step, "calls"), nd->id, NULL, err, sizeof(err));
    json_t *journal_call = chk.calls ? json_deep_copy(chk.calls) : NULL;
    journal(x, nd, "running", journal_call, NULL, NULL, pp_rem_str(nd->step, "summary"));
    json_decref(journal_call);
    if (!chk.calls) {
        nd->outcome = PP_REM_FAILED;
        *message = pp_xstrdup(err);
        return;
    }
    if (nd->a->check) {
        int rc = pp_rem_common_check(&chk);
        if (rc == 1)
            rc = nd->a->check(&chk);
        if (rc) {
            nd->outcome = PP_REM_FAILED;
            *message = pp_xasprintf("re-read: %s", pp_err_msg());
            goto _exit;
        }
        if (chk.unneeded || json_array_size(chk.calls) == 0) {
            nd->outcome = PP_REM_UNNEEDED;
            *message = pp_xstrdup(chk.note ? chk.note : "already in the desired state");
            goto _exit;
        }
    }
    pp_buf notes;
    pp_buf_init(&notes, 4096);
    size_t i;
    json_t *call;
    nd->outcome = PP_REM_DONE;
    json_array_foreach(chk.calls, i, call)
    {
        json_t *params =
            resolve(x, json_object_get(call, "params"), nd->id, nd->outputs, err, sizeof(err));
        if (!params) {
            nd->outcome = PP_REM_FAILED;
            *message = pp_xstrdup(err);
            break;
        }
        pp_aws_req req = {.service = pp_rem_str(call, "service"),
                          .operation = pp_rem_str(call, "operation"),
                          .region = pp_rem_call_region(pp_rem_str(call, "region")),
                          .input = params,
                          .client_token_key = pp_rem_str(call, "client_token_key")};
        pp_aws_resp resp;
        pp_aws_call(x->o->client, &req, &resp);
        json_decref(params);
        if (resp.request_id) {
            free(*request_id);
            *request_id = pp_xstrdup(resp.request_id);
        }
        if (!resp.ok) {
            if (code_listed(json_object_get(call, "ok_codes"), resp.code)) {
                /* "already in the desired state", "already gone", "Duplicate" */
                pp_buf_printf(&notes, "%s%s %s: %s (counted as done)", notes.len ? "; " : "",
                              req.service, req.operation, resp.code);
                pp_aws_resp_clear(&resp);
                continue;
            }
            char *line = pp_aws_resp_error(&resp);
            *message = pp_xasprintf("%s %s: %s", req.service, req.operation, line);
            free(line);
            nd->outcome = PP_REM_FAILED;
            pp_aws_resp_clear(&resp);
            break;
        }
        const char *name;
        json_t *path;
        json_object_foreach(json_object_get(call, "outputs"), name, path)
        {
            json_t *v = pp_rem_path(resp.data, json_string_value(path));
            if (v && !json_is_null(v))
                json_object_set(nd->outputs, name, v);
        }
        pp_aws_resp_clear(&resp);
    }
    if (nd->outcome == PP_REM_DONE && notes.len)
        *message = pp_buf_steal(&notes);
    pp_buf_free(&notes);
_exit:
    free(chk.note);
    json_decref(chk.calls);
}

static void finish_step(exec *x, node *nd, const char *message, const char *request_id)
{
    /* "skipped" covers both unneeded (a success, result.outcome says so) and a failed
     * dependency; only done and unneeded steps count as finished when the plan is applied again */
    const char *state = nd->outcome == PP_REM_DONE     ? "done"
                        : nd->outcome == PP_REM_FAILED ? "failed"
                                                       : "skipped";
    json_t *result = json_pack("{s:s, s:O?}", "outcome", pp_rem_outcome_name(nd->outcome),
                               "outputs", nd->outputs);
    if (message)
        json_object_set_new(result, nd->outcome == PP_REM_FAILED ? "error" : "note",
                            json_string(message));
    journal(x, nd, state, NULL, result, request_id, message);
    json_decref(result);
}

static void report(exec *x, node *nd, const char *message, const char *request_id)
{
    pp_rem_step_report r = {.step_id = nd->id,
                            .action = nd->a->name,
                            .summary = pp_rem_str(nd->step, "summary"),
                            .outcome = nd->outcome,
                            .message = message,
                            .request_id = request_id};
    x->res->counts[nd->outcome]++;
    if (x->o->progress)
        x->o->progress(x->o->progress_ud, &r);
}

/* ---- scheduling
 * ---------------------------------------------------------------------------------- */

/* Under the lock: the next step whose dependencies are all finished; steps behind a failed one
 * are finished as skipped on the way. *done is set when nothing is left to run or wait for. */
static node *next_ready(exec *x, bool *done)
{
    bool again = true;
    while (again) {
        again = false;
        bool waiting = false;
        for (size_t i = 0; i < x->n; i++) {
            node *nd = &x->nodes[i];
            if (nd->state == N_RUNNING)
                waiting = true;
            if (nd->state != N_PENDING)
                continue;
            bool ready = true, dep_failed = false;
            for (size_t k = 0; k < nd->n_deps; k++) {
                node *d = &x->nodes[nd->deps[k]];
                if (d->state != N_FINISHED)
                    ready = false;
                else if (!outcome_ok(d->outcome))
                    dep_failed = true;
            }
            if (dep_failed) {
                nd->state = N_FINISHED;
                nd->outcome = PP_REM_SKIPPED_DEP;
                char *msg = NULL;
                for (size_t k = 0; k < nd->n_deps && !msg; k++)
                    if (!outcome_ok(x->nodes[nd->deps[k]].outcome))
                        msg = pp_xasprintf("skipped: dependency failed (%s)",
                                           x->nodes[nd->deps[k]].id);
                pthread_mutex_unlock(&x->lock);
                finish_step(x, nd, msg, NULL);
                pthread_mutex_lock(&x->lock);
                report(x, nd, msg, NULL);
                free(msg);
                again = true;
                continue;
            }
            if (ready) {
                nd->state = N_RUNNING;
                *done = false;
                return nd;
            }
            waiting = true;
        }
        if (!again)
            *done = !waiting;
    }
    return NULL;
}

static void *worker(void *arg)
{
    exec *x = arg;
    pthread_mutex_lock(&x->lock);
    for (;;) {
        bool done = false;
        node *nd = next_ready(x, &done);
        if (!nd) {
            if (done)
                break;
            pthread_cond_wait(&x->cond, &x->lock);
            continue;
        }
        pthread_mutex_unlock(&x->lock);
        char *message = NULL, *request_id = NULL;
        run_step(x, nd, &message, &request_id);
        finish_step(x, nd, message, request_id);
        pthread_mutex_lock(&x->lock);
        nd->state = N_FINISHED;
        report(x, nd, message, request_id);
        free(message);
        free(request_id);
        pthread_cond_broadcast(&x->cond);
    }
    pthread_cond_broadcast(&x->cond);
    pthread_mutex_unlock(&x->lock);
    return NULL;
}

/* ---- apply
 * ---------------------------------------------------------------------------------------- */

static int caller_identity(pp_aws_client *c, char **account)
{
    pp_aws_req req = {.service = "sts", .operation = "GetCallerIdentity"};
    pp_aws_resp resp;
    int rc = pp_aws_call(c, &req, &resp);
    if (rc == 0) {
        const char *a = pp_rem_str(resp.data, "Account");
        if (a)
            *account = pp_xstrdup(a);
        else
            rc = pp_err_set(PP_EAWS, "GetCallerIdentity returned no account");
    }
    pp_aws_resp_clear(&resp);
    return rc;
}

/* Finished steps of an earlier apply of the same plan, with their outputs. */
static int load_journal(exec *x)
{
    pp_journal_entry *e = NULL;
    size_t n = 0;
    int rc = pp_store_journal_list(x->o->store, x->plan_id, &e, &n);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        node *nd = node_by_id(x, e[i].step_id);
        if (!nd || !e[i].state)
            continue;
        const char *outcome = pp_rem_str(e[i].result, "outcome");
        bool finished = strcmp(e[i].state, "done") == 0 ||
                        (strcmp(e[i].state, "skipped") == 0 && pp_str_eq(outcome, "unneeded"));
        if (!finished)
            continue;
        nd->state = N_FINISHED;
        nd->outcome = PP_REM_ALREADY_DONE;
        json_t *out = json_object_get(e[i].result, "outputs");
        nd->outputs = json_is_object(out) ? json_deep_copy(out) : json_object();
    }
    pp_store_journal_free(e, n);
    return 0;
}

int pp_remediate_apply(const pp_rem_apply_opts *o, pp_rem_apply_result *result)
{
    memset(result, 0, sizeof(*result));
    int rc = pp_remediate_plan_check(o->plan);
    if (rc)
        return rc;
    exec x = {.o = o, .res = result};
    pthread_mutex_init(&x.lock, NULL);
    pthread_cond_init(&x.cond, NULL);
    pthread_t *threads = NULL;
    size_t n_threads = 0;
    pp_creds creds = {0};
    const json_t *steps = json_object_get(o->plan, "steps");
    x.plan_id = pp_rem_str(o->plan, "plan_id");
    x.snapshot = json_integer_value(json_object_get(o->plan, "snapshot"));
    x.n = json_array_size(steps);
    x.nodes = pp_xcalloc(x.n ? x.n : 1, sizeof(*x.nodes));
    long cap = o->max_changes > 0 ? o->max_changes : PP_REM_DEFAULT_MAX_CHANGES;
    if ((long)x.n > cap) {
        rc = pp_err_set(PP_EINVAL,
                        "the plan has %zu steps, more than --max-changes %ld allows; plan again "
                        "with the same cap or raise it",
                        x.n, cap);
        goto _exit;
    }
    for (size_t i = 0; i < x.n; i++) {
        node *nd = &x.nodes[i];
        nd->step = json_array_get(steps, i);
        nd->id = pp_rem_str(nd->step, "id");
        nd->a = pp_rem_action_find(pp_rem_str(nd->step, "action"));
        if (nd->a->risky && !o->allow_risky) {
            rc = pp_err_set(PP_EINVAL, "step %s (%s) is risky: apply with --allow-risky", nd->id,
                            nd->a->name);
            goto _exit;
        }
        const json_t *deps = json_object_get(nd->step, "depends_on");
        nd->n_deps = json_array_size(deps);
        nd->deps = pp_xcalloc(nd->n_deps ? nd->n_deps : 1, sizeof(size_t));
        for (size_t k = 0; k < nd->n_deps; k++) {
            const char *d = json_string_value(json_array_get(deps, k));
            for (size_t j = 0; j < i; j++)
                if (strcmp(x.nodes[j].id, d) == 0)
                    nd->deps[k] = j;
        }
    }

    /* whose credentials, which account: a plan for another account is refused */
    if ((rc = pp_aws_client_creds(o->client, &creds)))
        goto _exit;
    result->key_id = pp_xstrdup(creds.access_key_id);
    x.key_id = result->key_id;
    if ((rc = caller_identity(o->client, &result->account)))
        goto _exit;
    x.account = result->account;
    for (size_t i = 0; i < x.n; i++) {
        const char *acct = pp_rem_str(json_object_get(x.nodes[i].step, "resource"), "account");
        if (!pp_str_eq(acct, result->account)) {
            rc = pp_err_set(PP_EINVAL,
                            "the plan is for account %s, but the credentials are for account %s",
                            acct, result->account);
            goto _exit;
        }
    }
    const json_t *accounts = json_object_get(o->plan, "accounts");
    size_t ai;
    json_t *av;
    json_array_foreach(accounts, ai, av)
    {
        if (!pp_str_eq(json_string_value(av), result->account)) {
            rc = pp_err_set(PP_EINVAL,
                            "the plan is for account %s, but the credentials are for account %s",
                            json_string_value(av), result->account);
            goto _exit;
        }
    }
    if ((rc = load_journal(&x)))
        goto _exit;
    for (size_t i = 0; i < x.n; i++)
        if (x.nodes[i].state == N_FINISHED) {
            pp_rem_step_report r = {.step_id = x.nodes[i].id,
                                    .action = x.nodes[i].a->name,
                                    .summary = pp_rem_str(x.nodes[i].step, "summary"),
                                    .outcome = PP_REM_ALREADY_DONE,
                                    .message = "finished by an earlier apply of this plan"};
            result->counts[PP_REM_ALREADY_DONE]++;
            if (o->progress)
                o->progress(o->progress_ud, &r);
        }

    int workers = o->workers > 0 ? o->workers : 4;
    threads = pp_xcalloc((size_t)workers, sizeof(*threads));
    for (int i = 0; i < workers; i++) {
        if (pthread_create(&threads[n_threads], NULL, worker, &x) == 0)
            n_threads++;
    }
    if (n_threads == 0)
        worker(&x);
    for (size_t i = 0; i < n_threads; i++)
        pthread_join(threads[i], NULL);

_exit:
    pp_creds_clear(&creds);
    free(threads);
    for (size_t i = 0; i < x.n; i++) {
        json_decref(x.nodes[i].outputs);
        free(x.nodes[i].deps);
    }
    free(x.nodes);
    pthread_cond_destroy(&x.cond);
    pthread_mutex_destroy(&x.lock);
    return rc;
}
