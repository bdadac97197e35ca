/* The scan orchestrator: accounts x regions x collectors as tasks on a pool of worker threads.
 * Workers block in the AWS engine while it multiplexes their requests on one curl multi handle,
 * so a collector reads like straight-line code and the engine bounds what is in flight. Results
 * funnel into one inventory under the scan lock; cross-collector merges (credential report rows
 * into users) run once every collector of an account has finished. */
#include "pp_scanner.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct attachment {
    char *type, *match_key, *match, *key;
    json_t *value; /* NULL with error set: an attach_error */
    char *error;
};

struct account_state {
    pp_aws_client *client; /* owned when assumed */
    bool owned;
    char *id;
    char *label;
    char **regions; /* NULL-terminated */
    json_t *notes;  /* {what: [values]} */
    struct attachment *att;
    size_t n_att;
    const char **note_view; /* scratch for pp_collect_notes, rebuilt per call under the lock */
    bool ok;
};

struct task {
    const pp_collector *col;
    struct account_state *acct;
    const char *region; /* borrowed from acct->regions, or "global" */
};

struct scan {
    const pp_scan_options *opts;
    pthread_mutex_t lock;
    pp_inventory *inv;
    struct task *tasks;
    size_t n_tasks, next;
    int phase;
    long calls, retries, errors;
    json_t *by_service;
    json_t *progress; /* {account: {service: [calls, resources, errors]}} */
};

struct pp_collect_ctx {
    struct scan *scan;
    struct task *task;
};

/* ---- what a collector sees --------------------------------------------------------------- */

const char *pp_collect_account(const pp_collect_ctx *ctx)
{
    return ctx->task->acct->id;
}

const char *pp_collect_region(const pp_collect_ctx *ctx)
{
    return ctx->task->region;
}

const char *pp_collect_api_region(const pp_collect_ctx *ctx)
{
    if (strcmp(ctx->task->region, "global") == 0)
        return pp_aws_client_region(ctx->task->acct->client);
    return ctx->task->region;
}

pp_aws_client *pp_collect_client(pp_collect_ctx *ctx)
{
    return ctx->task->acct->client;
}

char *const *pp_collect_regions(const pp_collect_ctx *ctx)
{
    return ctx->task->acct->regions;
}

const char *pp_collect_partition(const pp_collect_ctx *ctx)
{
    const char *r = pp_collect_api_region(ctx);
    if (pp_str_startswith(r, "cn-"))
        return "aws-cn";
    if (pp_str_startswith(r, "us-gov-"))
        return "aws-us-gov";
    return "aws";
}

bool pp_collect_is(const pp_aws_resp *resp, const char *codes)
{
    return !resp->ok && pp_str_list_has(codes, resp->code);
}

/* Progress counters per account and collector, reported through the options' callback. */
static void progress_locked(struct scan *s, struct task *t, int calls, int resources, int errors)
{
    const char *acct = t->acct->label ? t->acct->label : t->acct->id;
    json_t *a = json_object_get(s->progress, acct);
    if (!a) {
        a = json_object();
        json_object_set_new(s->progress, acct, a);
    }
    json_t *c = json_object_get(a, t->col->name);
    if (!c) {
        c = json_pack("[i,i,i]", 0, 0, 0);
        json_object_set_new(a, t->col->name, c);
    }
    int v[3];
    for (int i = 0; i < 3; i++)
        v[i] = (int)json_integer_value(json_array_get(c, (size_t)i));
    v[0] += calls;
    v[1] += resources;
    v[2] += errors;
    for (int i = 0; i < 3; i++)
        json_array_set_new(c, (size_t)i, json_integer(v[i]));
    if (s->opts->progress) {
        pp_scan_progress p = {.account = acct,
                              .service = t->col->name,
                              .calls_done = v[0],
                              .resources = v[1],
                              .errors = v[2]};
        s->opts->progress(s->opts->progress_ud, &p);
    }
}

static const pp_collector_call *declared_call(const pp_collector *col, const char *op)
{
    for (const pp_collector_call *c = col->calls; c && c->operation; c++)
        if (strcmp(c->operation, op) == 0)
            return c;
    return NULL;
}

static void add_coverage(pp_collect_ctx *ctx, const char *operation, bool ok, const char *error,
                         int calls, int retries)
{
    struct scan *s = ctx->scan;
    const pp_collector_call *decl = declared_call(ctx->task->col, operation);
    pp_coverage c = {.account = ctx->task->acct->id,
                     .region = (char *)ctx->task->region,
                     .service = (char *)ctx->task->col->name,
                     .operation = (char *)operation,
                     .ok = ok,
                     .error = (char *)error,
                     .calls = calls,
                     .retries = retries,
                     .types = decl ? (char *)decl->types : NULL,
                     .per_resource = decl ? decl->per_resource : false};
    pthread_mutex_lock(&s->lock);
    pp_inventory_add_coverage(s->inv, &c);
    s->calls += calls;
    s->retries += retries;
    if (!ok)
        s->errors++;
    progress_locked(s, ctx->task, calls, 0, ok ? 0 : 1);
    pthread_mutex_unlock(&s->lock);
    if (!ok)
        pp_log(PP_LOG_WARN, "scan", "%s %s %s %s: %s", ctx->task->acct->id, ctx->task->region,
               ctx->task->col->name, operation, error);
}

void pp_collect_coverage(pp_collect_ctx *ctx, const char *service, const char *operation, bool ok,
                         const char *error)
{
    (void)service;
    add_coverage(ctx, operation, ok, error, 0, 0);
}

static pp_aws_req make_req(pp_collect_ctx *ctx, const pp_collect_req *r)
{
    const char *service = r->service ? r->service : ctx->task->col->aws_service;
    const pp_op *op = pp_op_find(service, r->operation);
    return (pp_aws_req){.service = service,
                        .operation = r->operation,
                        .region = r->region ? r->region : pp_collect_api_region(ctx),
                        .input = r->input,
                        .paginate = op && op->out_token};
}

size_t pp_collect_calls(pp_collect_ctx *ctx, const pp_collect_req *reqs, size_t n,
                        pp_aws_resp *resps)
{
    if (n == 0)
        return 0;
    pp_aws_req *areqs = pp_xcalloc(n, sizeof(*areqs));
    for (size_t i = 0; i < n; i++)
        areqs[i] = make_req(ctx, &reqs[i]);
    memset(resps, 0, n * sizeof(*resps));
    size_t failed = pp_aws_call_many(pp_collect_client(ctx), areqs, n, resps);
    free(areqs);

    /* One coverage record per distinct operation: fan-out over 300 keys is one line for the
     * auditor, naming how many calls failed and the first reason. */
    bool *done = pp_xcalloc(n, sizeof(*done));
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        int calls = 0, retries = 0, bad = 0, total = 0;
        char *first = NULL;
        for (size_t j = i; j < n; j++) {
            if (done[j] || strcmp(reqs[j].operation, reqs[i].operation) != 0)
                continue;
            done[j] = true;
            total++;
            calls += resps[j].attempts > 0 ? resps[j].attempts : 1;
            int pages = resps[j].pages > 0 ? resps[j].pages : 1;
            retries += resps[j].attempts > pages ? resps[j].attempts - pages : 0;
            if (!resps[j].ok && !pp_collect_is(&resps[j], reqs[j].absent_codes)) {
                bad++;
                if (!first)
                    first = pp_aws_resp_error(&resps[j]);
            }
        }
        if (bad && total > 1) {
            char *msg = pp_xasprintf("%s (%d of %d calls)", first, bad, total);
            free(first);
            first = msg;
        }
        add_coverage(ctx, reqs[i].operation, bad == 0, first, calls, retries);
        free(first);
    }
    free(done);
    return failed;
}

int pp_collect_call(pp_collect_ctx *ctx, const pp_collect_req *req, pp_aws_resp *resp)
{
    return pp_collect_calls(ctx, req, 1, resp) ? PP_EAWS : 0;
}

pp_resource *pp_collect_emit(pp_collect_ctx *ctx, const char *type, const char *id, const char *arn,
                             json_t *doc)
{
    struct scan *s = ctx->scan;
    pp_resource *r = pp_resource_new(type, id, arn, ctx->task->acct->id, ctx->task->region, doc);
    pthread_mutex_lock(&s->lock);
    pp_inventory_add(s->inv, r);
    json_t *n = json_object_get(s->by_service, ctx->task->col->name);
    json_object_set_new(s->by_service, ctx->task->col->name,
                        json_integer(json_integer_value(n) + 1));
    progress_locked(s, ctx->task, 0, 1, 0);
    pthread_mutex_unlock(&s->lock);
    return r;
}

static void attach(pp_collect_ctx *ctx, struct attachment a)
{
    struct account_state *acct = ctx->task->acct;
    pthread_mutex_lock(&ctx->scan->lock);
    acct->att = pp_xrealloc(acct->att, (acct->n_att + 1) * sizeof(*acct->att));
    acct->att[acct->n_att++] = a;
    pthread_mutex_unlock(&ctx->scan->lock);
}

void pp_collect_attach(pp_collect_ctx *ctx, const char *type, const char *match_key,
                       const char *match, const char *key, json_t *value)
{
    attach(ctx, (struct attachment){.type = pp_xstrdup(type),
                                    .match_key = pp_xstrdup(match_key),
                                    .match = pp_xstrdup(match),
                                    .key = pp_xstrdup(key),
                                    .value = value});
}

void pp_collect_attach_error(pp_collect_ctx *ctx, const char *type, const char *key,
                             const char *error)
{
    attach(ctx, (struct attachment){
                    .type = pp_xstrdup(type), .key = pp_xstrdup(key), .error = pp_xstrdup(error)});
}

void pp_collect_note(pp_collect_ctx *ctx, const char *what, const char *value)
{
    if (!value || !*value)
        return;
    struct account_state *acct = ctx->task->acct;
    pthread_mutex_lock(&ctx->scan->lock);
    json_t *list = json_object_get(acct->notes, what);
    if (!list) {
        list = json_array();
        json_object_set_new(acct->notes, what, list);
    }
    size_t i;
    json_t *v;
    bool seen = false;
    json_array_foreach(list, i, v) seen |= strcmp(json_string_value(v), value) == 0;
    if (!seen)
        json_array_append_new(list, json_string(value));
    pthread_mutex_unlock(&ctx->scan->lock);
}

const char *const *pp_collect_notes(pp_collect_ctx *ctx, const char *what)
{
    struct account_state *acct = ctx->task->acct;
    pthread_mutex_lock(&ctx->scan->lock);
    json_t *list = json_object_get(acct->notes, what);
    size_t n = json_array_size(list);
    /* Phase-1 collectors read notes after phase 0 has finished: the view is stable. */
    free(acct->note_view);
    acct->note_view = pp_xcalloc(n + 1, sizeof(*acct->note_view));
    for (size_t i = 0; i < n; i++)
        acct->note_view[i] = json_string_value(json_array_get(list, i));
    pthread_mutex_unlock(&ctx->scan->lock);
    return acct->note_view;
}

/* ---- accounts ---------------------------------------------------------------------------------
 */

static void account_free(struct account_state *a)
{
    if (a->owned)
        pp_aws_client_free(a->client);
    free(a->id);
    free(a->label);
    pp_strv_free(a->regions);
    json_decref(a->notes);
    for (size_t i = 0; i < a->n_att; i++) {
        free(a->att[i].type);
        free(a->att[i].match_key);
        free(a->att[i].match);
        free(a->att[i].key);
        free(a->att[i].error);
        json_decref(a->att[i].value);
    }
    free(a->att);
    free(a->note_view);
}

static char **strv_dup(char *const *v)
{
    size_t n = pp_strv_len(v);
    char **d = pp_xcalloc(n + 1, sizeof(*d));
    for (size_t i = 0; i < n; i++)
        d[i] = pp_xstrdup(v[i]);
    return d;
}

/* Account id of an ARN ("arn:aws:iam::111122223333:role/x"), or NULL. */
static char *arn_account(const char *arn)
{
    if (!pp_str_startswith(arn, "arn:"))
        return NULL;
    const char *p = arn;
    for (int i = 0; i < 4 && p; i++) {
        p = strchr(p, ':');
        if (p)
            p++;
    }
    if (!p)
        return NULL;
    const char *e = strchr(p, ':');
    return e && e > p ? pp_xstrndup(p, (size_t)(e - p)) : NULL;
}

/* Records a failure that kept a whole account from being scanned: every collector gets an error
 * record for it, so every rule over the account is ERROR. */
static void account_unreachable(struct scan *s, struct account_state *a, const char *operation,
                                const char *error)
{
    for (size_t i = 0; pp_collector_at(i); i++) {
        const pp_collector *col = pp_collector_at(i);
        if (s->opts->services && !pp_strv_contains(s->opts->services, col->name))
            continue;
        for (size_t r = 0; col->global ? r < 1 : a->regions[r] != NULL; r++) {
            const char *region = col->global ? "global" : a->regions[r];
            pp_coverage c = {.account = a->id,
                             .region = (char *)region,
                             .service = (char *)col->name,
                             .operation = (char *)operation,
                             .ok = false,
                             .error = (char *)error};
            pp_inventory_add_coverage(s->inv, &c);
            pp_inventory_add_scope(s->inv, a->id, region);
        }
    }
    s->errors++;
    pp_log(PP_LOG_ERROR, "scan", "account %s: %s: %s", a->id, operation, error);
}

/* A region the account cannot be scanned in: not a region at all (a typo) or an opt-in region
 * the account has not enabled. Every regional collector gets one error record for it and the log
 * one line; no call goes there, where each would fail on its own with a warning of its own. */
static void region_unusable(struct scan *s, struct account_state *a, const char *region,
                            const char *error)
{
    for (size_t i = 0; pp_collector_at(i); i++) {
        const pp_collector *col = pp_collector_at(i);
        if (col->global || (s->opts->services && !pp_strv_contains(s->opts->services, col->name)))
            continue;
        pp_coverage c = {.account = a->id,
                         .region = (char *)region,
                         .service = (char *)col->name,
                         .operation = "DescribeRegions",
                         .ok = false,
                         .error = (char *)error};
        pp_inventory_add_coverage(s->inv, &c);
    }
    pp_inventory_add_scope(s->inv, a->id, region);
    s->errors++;
    pp_log(PP_LOG_ERROR, "scan", "account %s: %s", a->id, error);
}

static bool any_regional_collector(const pp_scan_options *o)
{
    for (size_t i = 0; pp_collector_at(i); i++)
        if (!pp_collector_at(i)->global &&
            (!o->services || pp_strv_contains(o->services, pp_collector_at(i)->name)))
            return true;
    return false;
}

/* Regions named on the command line or in --accounts are checked against DescribeRegions
 * (AllRegions) once per account, and the ones it cannot be scanned in are dropped with one clear
 * error each. When the list cannot be read the regions stay: each call then speaks for itself. */
static void check_regions(struct scan *s, struct account_state *a)
{
    json_t *input = json_pack("{s:b}", "AllRegions", 1);
    pp_aws_req req = {.service = "ec2", .operation = "DescribeRegions", .input = input};
    pp_aws_resp resp = {0};
    int rc = pp_aws_call(a->client, &req, &resp);
    json_decref(input);
    json_t *list = rc ? NULL : json_object_get(resp.data, "Regions");
    if (!json_is_array(list) || json_array_size(list) == 0) {
        pp_log(PP_LOG_DEBUG, "scan", "account %s: regions not checked: %s", a->id,
               rc ? pp_err_msg() : "DescribeRegions listed none");
        pp_aws_resp_clear(&resp);
        return;
    }
    size_t k = 0;
    for (size_t r = 0; a->regions[r]; r++) {
        const char *name = a->regions[r], *status = NULL;
        bool found = false;
        size_t i;
        json_t *e;
        json_array_foreach(list, i, e)
        {
            if (pp_str_eq(json_string_value(json_object_get(e, "RegionName")), name)) {
                found = true;
                status = json_string_value(json_object_get(e, "OptInStatus"));
            }
        }
        char *error = NULL;
        if (!found)
            error = pp_xasprintf("InvalidRegion: '%s' is not a region (DescribeRegions does not "
                                 "list it); nothing was collected there",
                                 name);
        else if (pp_str_eq(status, "not-opted-in"))
            error = pp_xasprintf("RegionNotEnabled: '%s' is an opt-in region this account has not "
                                 "enabled; nothing was collected there",
                                 name);
        if (error) {
            region_unusable(s, a, name, error);
            free(error);
            free(a->regions[r]);
        } else {
            a->regions[k++] = a->regions[r];
        }
    }
    a->regions[k] = NULL;
    pp_aws_resp_clear(&resp);
}

static int enabled_regions(pp_aws_client *client, char ***out, char **error)
{
    json_t *input = json_pack("{s:[{s:s, s:[s,s]}]}", "Filter", "Name", "opt-in-status", "Value",
                              "opt-in-not-required", "opted-in");
    pp_aws_req req = {.service = "ec2", .operation = "DescribeRegions", .input = input};
    pp_aws_resp resp = {0};
    int rc = pp_aws_call(client, &req, &resp);
    json_decref(input);
    if (rc) {
        *error = pp_aws_resp_error(&resp);
        pp_aws_resp_clear(&resp);
        return rc;
    }
    json_t *regions = json_object_get(resp.data, "Regions");
    size_t n = json_array_size(regions);
    char **v = pp_xcalloc(n + 1, sizeof(*v));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name =
            json_string_value(json_object_get(json_array_get(regions, i), "RegionName"));
        if (name)
            v[k++] = pp_xstrdup(name);
    }
    pp_aws_resp_clear(&resp);
    *out = v;
    return 0;
}

static void setup_account(struct scan *s, const pp_scan_account *spec, struct account_state *a)
{
    const pp_scan_options *o = s->opts;
    a->notes = json_object();
    a->label = pp_xstrdup(spec ? spec->name : NULL);
    a->client = o->client;
    char *error = NULL;
    const char *failed_op = NULL;

    /* The fallback id names the account in coverage records even when it cannot be reached. */
    if (spec && spec->id)
        a->id = pp_xstrdup(spec->id);
    else if (spec && spec->role_arn)
        a->id = arn_account(spec->role_arn);
    if (spec && spec->regions)
        a->regions = strv_dup(spec->regions);
    else if (o->regions)
        a->regions = strv_dup(o->regions);

    if (spec && spec->role_arn) {
        if (pp_aws_client_assume(&a->client, o->client, spec->role_arn, spec->external_id, NULL)) {
            a->client = NULL;
            failed_op = "AssumeRole";
            error = pp_xstrdup(pp_err_msg());
            goto _exit;
        }
        a->owned = true;
    }
    pp_aws_req who = {.service = "sts", .operation = "GetCallerIdentity"};
    pp_aws_resp resp = {0};
    if (pp_aws_call(a->client, &who, &resp)) {
        failed_op = spec && spec->role_arn ? "AssumeRole" : "GetCallerIdentity";
        error = pp_aws_resp_error(&resp);
        pp_aws_resp_clear(&resp);
        goto _exit;
    }
    const char *id = json_string_value(json_object_get(resp.data, "Account"));
    if (spec && spec->id && id && strcmp(spec->id, id) != 0) {
        failed_op = "GetCallerIdentity";
        error =
            pp_xasprintf("AccountMismatch: credentials belong to %s, expected %s", id, spec->id);
        pp_aws_resp_clear(&resp);
        goto _exit;
    }
    free(a->id);
    a->id = pp_xstrdup(id);
    pp_aws_resp_clear(&resp);

    if (a->regions && any_regional_collector(o))
        check_regions(s, a);
    if (!a->regions && o->all_regions) {
        if (enabled_regions(a->client, &a->regions, &error)) {
            failed_op = "DescribeRegions";
            goto _exit;
        }
    }
    if (!a->regions) {
        a->regions = pp_xcalloc(2, sizeof(*a->regions));
        a->regions[0] = pp_xstrdup(pp_aws_client_region(a->client));
    }
    a->ok = true;

_exit:
    if (!a->id)
        a->id = pp_xstrdup(spec && spec->role_arn ? spec->role_arn : "unknown");
    if (!a->regions) {
        a->regions = pp_xcalloc(2, sizeof(*a->regions));
        a->regions[0] = pp_xstrdup(pp_aws_client_region(o->client));
    }
    if (!a->ok)
        account_unreachable(s, a, failed_op, error ? error : "unknown error");
    free(error);
}

/* ---- tasks ----------------------------------------------------------------------------------- */

static void *worker(void *arg)
{
    struct scan *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        struct task *t = NULL;
        while (s->next < s->n_tasks) {
            struct task *c = &s->tasks[s->next++];
            if (c->col->phase == s->phase) {
                t = c;
                break;
            }
        }
        pthread_mutex_unlock(&s->lock);
        if (!t)
            return NULL;
        pp_collect_ctx ctx = {.scan = s, .task = t};
        pp_log(PP_LOG_DEBUG, "scan", "collect %s %s %s", t->acct->id, t->region, t->col->name);
        t->col->collect(&ctx);
    }
}

static void run_phase(struct scan *s, int phase)
{
    s->phase = phase;
    s->next = 0;
    int n = s->opts->concurrency > 0 ? s->opts->concurrency : 16;
    if ((size_t)n > s->n_tasks)
        n = (int)s->n_tasks;
    if (n == 0)
        return;
    pthread_t *th = pp_xcalloc((size_t)n, sizeof(*th));
    int started = 0;
    for (int i = 0; i < n; i++)
        if (pthread_create(&th[i], NULL, worker, s) == 0)
            started++;
    if (started == 0)
        worker(s); /* no threads to be had: do the work here */
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(th);
}

/* Applies the deferred merges of one account. */
static void apply_attachments(struct scan *s, struct account_state *a)
{
    for (size_t i = 0; i < a->n_att; i++) {
        struct attachment *at = &a->att[i];
        size_t n = 0;
        pp_resource *const *rs = pp_inventory_of_type(s->inv, at->type, &n);
        for (size_t j = 0; j < n; j++) {
            if (!pp_str_eq(rs[j]->account, a->id))
                continue;
            if (at->error) {
                pp_resource_set_error(rs[j], at->key, at->error);
                continue;
            }
            const char *v = json_string_value(json_object_get(rs[j]->doc, at->match_key));
            if (v && strcmp(v, at->match) == 0)
                json_object_set(rs[j]->doc, at->key, at->value);
        }
    }
}

int pp_scan_run(const pp_scan_options *o, pp_inventory **out, pp_scan_summary *summary)
{
    struct scan s = {.opts = o};
    pthread_mutex_init(&s.lock, NULL);
    s.inv = pp_inventory_new(PP_SOURCE_AWS);
    s.by_service = json_object();
    s.progress = json_object();
    memset(summary, 0, sizeof(*summary));
    summary->started_at = time(NULL);

    size_t n_acct = o->n_accounts ? o->n_accounts : 1;
    struct account_state *accts = pp_xcalloc(n_acct, sizeof(*accts));
    for (size_t i = 0; i < n_acct; i++)
        setup_account(&s, o->n_accounts ? &o->accounts[i] : NULL, &accts[i]);

    /* Tasks: global collectors once per account, regional ones per region. */
    size_t cap = 0;
    for (size_t i = 0; i < n_acct; i++) {
        if (!accts[i].ok)
            continue;
        for (size_t c = 0; pp_collector_at(c); c++) {
            const pp_collector *col = pp_collector_at(c);
            if (o->services && !pp_strv_contains(o->services, col->name))
                continue;
            size_t nr = col->global ? 1 : pp_strv_len(accts[i].regions);
            for (size_t r = 0; r < nr; r++) {
                if (s.n_tasks == cap) {
                    cap = cap ? cap * 2 : 64;
                    s.tasks = pp_xrealloc(s.tasks, cap * sizeof(*s.tasks));
                }
                const char *region = col->global ? "global" : accts[i].regions[r];
                s.tasks[s.n_tasks++] =
                    (struct task){.col = col, .acct = &accts[i], .region = region};
                pp_inventory_add_scope(s.inv, accts[i].id, region);
            }
        }
    }
    run_phase(&s, 0);
    run_phase(&s, 1);
    for (size_t i = 0; i < n_acct; i++)
        apply_attachments(&s, &accts[i]);

    summary->finished_at = time(NULL);
    summary->calls = s.calls;
    summary->retries = s.retries;
    summary->errors = s.errors;
    summary->resources = (long)pp_inventory_count(s.inv);
    summary->accounts = json_array();
    summary->regions = json_array();
    for (size_t i = 0; i < n_acct; i++) {
        json_array_append_new(summary->accounts, json_string(accts[i].id));
        for (size_t r = 0; accts[i].regions[r]; r++) {
            bool seen = false;
            size_t k;
            json_t *v;
            json_array_foreach(summary->regions, k, v) seen |=
                strcmp(json_string_value(v), accts[i].regions[r]) == 0;
            if (!seen)
                json_array_append_new(summary->regions, json_string(accts[i].regions[r]));
        }
    }
    summary->by_service = s.by_service;
    for (size_t i = 0; i < n_acct; i++)
        account_free(&accts[i]);
    free(accts);
    free(s.tasks);
    json_decref(s.progress);
    pthread_mutex_destroy(&s.lock);
    *out = s.inv;
    return 0;
}

void pp_scan_summary_clear(pp_scan_summary *s)
{
    if (!s)
        return;
    json_decref(s->accounts);
    json_decref(s->regions);
    json_decref(s->by_service);
    memset(s, 0, sizeof(*s));
}

/* ---- least privilege ------------------------------------------------------------------------ */

json_t *pp_scan_iam_policy(void)
{
    json_t *actions = json_array();
    for (size_t i = 0; pp_collector_at(i); i++) {
        const pp_collector *col = pp_collector_at(i);
        for (const pp_collector_call *c = col->calls; c->operation; c++) {
            const pp_op *op = pp_op_find(c->service ? c->service : col->aws_service, c->operation);
            if (!op || !op->permission)
                continue;
            bool seen = false;
            size_t k;
            json_t *v;
            json_array_foreach(actions, k, v) seen |=
                strcmp(json_string_value(v), op->permission) == 0;
            if (!seen)
                json_array_append_new(actions, json_string(op->permission));
        }
    }
    /* GetCallerIdentity needs no permission; sorted for a stable, reviewable file */
    size_t n = json_array_size(actions);
    const char **sorted = pp_xcalloc(n, sizeof(*sorted));
    for (size_t i = 0; i < n; i++)
        sorted[i] = json_string_value(json_array_get(actions, i));
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(sorted[j - 1], sorted[j]) > 0; j--) {
            const char *t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_string(sorted[i]));
    free(sorted);
    json_decref(actions);
    return json_pack("{s:s, s:[{s:s, s:s, s:o, s:s}]}", "Version", "2012-10-17", "Statement", "Sid",
                     "ParapetScan", "Effect", "Allow", "Action", list, "Resource", "*");
}
