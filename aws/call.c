/* Calls: one AWS operation from input to decoded output, on the caller's thread. For each page
 * the request is encoded once; each attempt fetches current credentials, is queued on the
 * engine (which signs and sends it) and its response is decoded here, so that decoding runs in
 * parallel on the callers' threads and a credential refresh (an AssumeRole call of its own) never
 * blocks the engine's loop. Retries follow the SDKs' standard mode (retry.c); pages are followed
 * and their result lists concatenated as the AWS CLI does. */
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#define MAX_PAGES 10000

typedef struct call {
    pp_aws_client *client;
    const pp_aws_req *req;
    pp_aws_resp *resp;
    const pp_service *svc;
    const pp_op *op;
    char *region; /* where the request goes (the client's region when req->region is NULL) */
    char *url;    /* endpoint */
    const char *signing_region;
    bool path_style;
    json_t *input; /* this page's input */
    json_t *result;
    json_t *tokens;  /* page tokens seen, to catch a service that repeats one */
    int attempt;     /* attempts for the current page */
    int retry_cost;  /* quota taken by the current page's last retry */
    bool redirected; /* S3 sent us to the bucket's region once already */
    unsigned int seed;
    pp_xfer x;
} call;

/* ---- helpers -------------------------------------------------------------------------------- */

static int call_fail(call *k, const char *code, const char *fmt, ...) PP_PRINTF(3, 4);

static int call_fail(call *k, const char *code, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pp_wire_fail(k->resp, code, "%s", msg);
    pp_engine_count(k->client->engine, 0, 0, 0, 1);
    return PP_EAWS;
}

/* EC2 actions whose bucket is smaller when sent without a filter and without paging. */
static bool ec2_unfiltered_action(const char *name)
{
    static const char *const heavy[] = {
        "DescribeInstances",      "DescribeInstanceStatus", "DescribeNetworkInterfaces",
        "DescribeSecurityGroups", "DescribeSnapshots",      "DescribeSpotInstanceRequests",
        "DescribeVolumes",
    };
    for (size_t i = 0; i < sizeof(heavy) / sizeof(heavy[0]); i++)
        if (strcmp(name, heavy[i]) == 0)
            return true;
    return false;
}

static enum pp_ec2_category ec2_category(const call *k)
{
    if (k->svc->proto != PP_PROTO_EC2)
        return PP_EC2_NONE;
    if (k->op->mutating)
        return PP_EC2_WRITE;
    if (ec2_unfiltered_action(k->op->name) && !json_object_get(k->input, "Filter") &&
        !json_object_get(k->input, "MaxResults") && !json_object_get(k->input, "NextToken"))
        return PP_EC2_READ_UNFILTERED;
    return PP_EC2_READ;
}

/* EC2 refuses MaxResults together with explicit ids ("GroupId.1"), so the page size is only
 * added to inputs that are filters at most. */
static bool ec2_limit_allowed(json_t *input)
{
    const char *k;
    json_t *v;
    json_object_foreach(input, k, v)
    {
        if (strcmp(k, "Filter") != 0 && strcmp(k, "DryRun") != 0 && strcmp(k, "NextToken") != 0)
            return false;
    }
    return true;
}

/* A random (version 4) UUID. */
static void new_client_token(char out[40])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof(b)) != 1) {
        uint64_t t = (uint64_t)pp_engine_now_ms() ^ (uint64_t)(uintptr_t)out;
        for (size_t i = 0; i < sizeof(b); i++)
            b[i] = (unsigned char)(t >> ((i % 8) * 8)) ^ (unsigned char)(i * 37);
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

/* Builds the wire request for the current page's input. */
static int encode_page(call *k)
{
    pp_wire_req *q = &k->x.req;
    char *base_path = NULL;
    int rc = 0;
    pp_wire_req_clear(q);
    switch (k->svc->proto) {
    case PP_PROTO_QUERY:
    case PP_PROTO_EC2:
        rc = pp_proto_query_request(k->svc, k->op, k->op->name, k->input, q);
        break;
    case PP_PROTO_JSON:
        rc = pp_proto_json_request(k->svc, k->op->name, k->input, q);
        break;
    case PP_PROTO_RESTJSON:
    case PP_PROTO_RESTXML:
        rc = pp_proto_rest_request(k->svc, k->op, k->input, !k->path_style, q);
        break;
    }
    if (rc == 0)
        rc = pp_wire_split_url(k->url, &q->scheme_host, &q->host, &base_path);
    if (rc == 0) {
        const char *p = q->path ? q->path : "/";
        char *full = pp_xasprintf("%s%s", base_path, p);
        free(q->path);
        q->path = full;
    }
    free(base_path);
    return rc;
}

/* Queues the current page's next attempt after delay_ms. */
static int submit(call *k, long delay_ms)
{
    pp_xfer *x = &k->x;
    pp_xfer_reset_result(x);
    pp_creds_clear(&x->creds);
    if (pp_aws_client_creds(k->client, &x->creds) != 0)
        return call_fail(k, "CredentialsError", "%s", pp_err_msg());
    x->signing_region = k->signing_region;
    x->signing_name = k->svc->signing_name;
    x->client = k->client;
    x->service = k->svc->name;
    /* A global service has one endpoint: one bound for it, whatever region was asked. */
    x->region = k->svc->global && k->signing_region ? k->signing_region : k->region;
    x->ec2 = ec2_category(k);
    x->not_before_ms = delay_ms > 0 ? pp_engine_now_ms() + delay_ms : 0;
    k->attempt++;
    k->resp->attempts++;
    pp_engine_submit(k->client->engine, x);
    return 0;
}

static void merge_page(call *k, json_t *page)
{
    if (!k->result) {
        k->result = page;
        return;
    }
    char **keys = pp_str_split(k->op->result_keys, ',', NULL);
    for (size_t i = 0; keys[i]; i++) {
        json_t *add = json_object_get(page, keys[i]);
        if (!json_is_array(add))
            continue;
        json_t *have = json_object_get(k->result, keys[i]);
        if (json_is_array(have))
            json_array_extend(have, add);
        else
            json_object_set(k->result, keys[i], add);
    }
    pp_strv_free(keys);
    json_decref(page);
}

static void finish_ok(call *k)
{
    if (k->req->paginate && k->op->out_token) {
        /* As the CLI prints a fully paginated result: the lists, without paging markers. */
        json_object_del(k->result, k->op->out_token);
        if (k->op->more_key)
            json_object_del(k->result, k->op->more_key);
    }
    k->resp->ok = true;
    k->resp->data = k->result;
    k->result = NULL;
}

/* A page arrived: merge it and decide whether another one follows. */
static void page_done(call *k, json_t *page)
{
    k->resp->pages++;
    const char *tok = NULL;
    bool more = false;
    if (k->req->paginate && k->op->out_token) {
        tok = json_string_value(json_object_get(page, k->op->out_token));
        if (k->op->more_key)
            more = json_is_true(json_object_get(page, k->op->more_key));
        else
            more = tok && *tok;
    }
    char *next = tok ? pp_xstrdup(tok) : NULL;
    merge_page(k, page);
    if (!more) {
        free(next);
        finish_ok(k);
        return;
    }
    if (!next || !*next) {
        free(next);
        call_fail(k, "InvalidResponse", "%s %s: page %d is truncated but carries no %s",
                  k->svc->name, k->op->name, k->resp->pages, k->op->out_token);
        return;
    }
    if (json_object_get(k->tokens, next) || k->resp->pages >= MAX_PAGES) {
        call_fail(k, "PagingLoop", "%s %s: %s after %d pages", k->svc->name, k->op->name,
                  json_object_get(k->tokens, next) ? "the service repeated a page token"
                                                   : "too many pages",
                  k->resp->pages);
        free(next);
        return;
    }
    json_object_set_new(k->tokens, next, json_true());
    json_object_set_new(k->input, k->op->in_token, json_string(next));
    free(next);
    k->attempt = 0;
    k->retry_cost = 0;
    if (encode_page(k) != 0) {
        call_fail(k, "InvalidRequest", "%s", pp_err_msg());
        return;
    }
    submit(k, 0);
}

/* S3 answers a request sent to the wrong region (301 PermanentRedirect, 400
 * AuthorizationHeaderMalformed, ...) with the bucket's region in x-amz-bucket-region. Like the
 * SDKs, follow it once: same page, that region's endpoint and signature, no retry quota spent. */
static bool s3_redirect(call *k)
{
    pp_xfer *x = &k->x;
    if (k->svc->proto != PP_PROTO_RESTXML || k->redirected || x->curl_code)
        return false;
    const char *to = pp_wire_header(x->resp_headers, x->n_resp_headers, "x-amz-bucket-region");
    if (!to || !*to || strcmp(to, k->region) == 0 || strlen(to) > 40 ||
        (x->status != 301 && x->status != 307 && x->status != 400 && x->status != 403))
        return false;
    /* The signing region may point into the region string we pass: keep ours alive. */
    char *region = pp_xstrdup(to);
    char *url = NULL;
    const char *signing = NULL;
    if (pp_aws_client_endpoint(k->client, k->svc, region, &url, &signing) != 0) {
        free(region);
        return false;
    }
    pp_log(PP_LOG_DEBUG, "aws", "%s %s: bucket lives in %s, not %s", k->svc->name, k->op->name,
           region, k->region);
    k->redirected = true;
    free(k->region);
    free(k->url);
    k->region = region;
    k->url = url;
    k->signing_region = signing;
    if (encode_page(k) != 0) {
        call_fail(k, "InvalidRequest", "%s", pp_err_msg());
        return true;
    }
    submit(k, 0);
    return true;
}

/* One attempt finished: decode it, then retry, page on, or finish. */
static void attempt_done(call *k)
{
    pp_xfer *x = &k->x;
    pp_aws_resp page = {0};
    pp_engine_count(k->client->engine, x->local_error ? 0 : 1, 0, 0, 0);
    if (x->local_error) {
        call_fail(k, "InvalidRequest", "%s", x->curl_error);
        return;
    }
    if (x->curl_code != 0) {
        const char *code = "ConnectionError";
        if (x->too_large)
            code = "ResponseTooLarge";
        else if (pp_aws_retry_classify(x->curl_code, 0, NULL) == PP_RETRY_TIMEOUT)
            code = "Timeout";
        pp_wire_fail(&page, code, "%s", x->curl_error);
    } else {
        pp_aws_decode(k->svc, k->op, x->status, x->resp_headers, x->n_resp_headers, x->body.data,
                      x->body.len, &page);
    }
    k->resp->http_status = x->curl_code ? 0 : x->status;
    free(k->resp->request_id);
    k->resp->request_id = page.request_id;
    page.request_id = NULL;

    if (page.ok) {
        pthread_mutex_lock(&k->client->lock);
        pp_retry_quota_release(&k->client->quota, k->retry_cost);
        pthread_mutex_unlock(&k->client->lock);
        json_t *data = page.data;
        page.data = NULL;
        pp_aws_resp_clear(&page);
        page_done(k, data);
        return;
    }

    if (s3_redirect(k)) {
        pp_aws_resp_clear(&page);
        return;
    }
    enum pp_retry_kind kind = pp_aws_retry_classify(x->curl_code, x->status, page.code);
    if (kind == PP_RETRY_THROTTLE)
        pp_engine_count(k->client->engine, 0, 0, 1, 0);
    bool idempotent = !k->op->mutating || (k->req->client_token_key &&
                                           json_object_get(k->input, k->req->client_token_key));
    int max_attempts = k->client->max_attempts > 0 ? k->client->max_attempts : 3;
    if (kind == PP_RETRY_NO || !idempotent || k->attempt >= max_attempts) {
        call_fail(k, page.code, "%s", page.message ? page.message : "");
        k->resp->http_status = x->curl_code ? 0 : x->status;
        pp_aws_resp_clear(&page);
        return;
    }
    int cost = 0;
    pthread_mutex_lock(&k->client->lock);
    bool paid = pp_retry_quota_acquire(&k->client->quota, kind, &cost);
    pthread_mutex_unlock(&k->client->lock);
    if (!paid) {
        call_fail(k, "RetryQuotaExceeded", "retry quota exhausted; last error %s: %s", page.code,
                  page.message ? page.message : "");
        pp_aws_resp_clear(&page);
        return;
    }
    k->retry_cost = cost;
    double r = (double)rand_r(&k->seed) / ((double)RAND_MAX + 1.0);
    long delay = pp_aws_backoff_ms(k->attempt, r);
    pp_engine_count(k->client->engine, 0, 1, 0, 0);
    pp_log(PP_LOG_INFO, "aws", "%s %s: retrying after %s (attempt %d of %d) in %ld ms",
           k->svc->name, k->op->name, page.code, k->attempt + 1, max_attempts, delay);
    pp_aws_resp_clear(&page);
    submit(k, delay);
}

/* The page size parapet asks for. PARAPET_PAGE_SIZE (test-only, documented in docs/testing.md)
 * shrinks it so integration tests exercise paging without seeding thousands of resources; it is
 * raised to what each API accepts at least (EC2 describes take 5 or more). */
static int page_size(const pp_op *op)
{
    const char *env = getenv("PARAPET_PAGE_SIZE");
    long v;
    if (!env || pp_parse_long(env, 1, 1000, &v) || v >= op->limit)
        return op->limit;
    return v < 5 ? 5 : (int)v;
}

/* Validates the request and queues its first attempt. Local problems (unknown operation, bad
 * input, no endpoint) finish the call at once as "InvalidRequest", with nothing sent. */
static void begin(call *k, pp_aws_client *c, const pp_aws_req *req, pp_aws_resp *resp, pp_waiter *w,
                  unsigned int seed)
{
    memset(k, 0, sizeof(*k));
    memset(resp, 0, sizeof(*resp));
    k->x.waiter = w;
    k->x.owner = k;
    k->client = c;
    k->req = req;
    k->resp = resp;
    k->seed = seed;
    k->tokens = json_object();
    k->svc = pp_service_find(req->service);
    k->op = pp_op_find(req->service, req->operation);
    if (!k->svc || !k->op) {
        call_fail(k, "InvalidRequest", "unknown operation %s %s", req->service ? req->service : "",
                  req->operation ? req->operation : "");
        return;
    }
    if (req->input && !json_is_object(req->input)) {
        call_fail(k, "InvalidRequest", "%s %s: input must be a JSON object", k->svc->name,
                  k->op->name);
        return;
    }
    k->region = pp_xstrdup(req->region ? req->region : pp_aws_client_region(c));
    if (pp_aws_client_endpoint(c, k->svc, k->region, &k->url, &k->signing_region) != 0) {
        call_fail(k, "InvalidRequest", "%s", pp_err_msg());
        return;
    }
    k->path_style = k->svc->proto != PP_PROTO_RESTXML || pp_aws_client_path_style(c, k->svc);
    k->input = req->input ? json_deep_copy(req->input) : json_object();
    if (req->client_token_key && !json_object_get(k->input, req->client_token_key)) {
        /* As the SDKs fill idempotency tokens: one per call, the same for all its retries. */
        char token[40];
        new_client_token(token);
        json_object_set_new(k->input, req->client_token_key, json_string(token));
    }
    if (req->paginate && k->op->limit_key && k->op->limit > 0 &&
        !json_object_get(k->input, k->op->limit_key) &&
        (k->svc->proto != PP_PROTO_EC2 || ec2_limit_allowed(k->input)))
        json_object_set_new(k->input, k->op->limit_key, json_integer(page_size(k->op)));
    if (encode_page(k) != 0) {
        call_fail(k, "InvalidRequest", "%s", pp_err_msg());
        return;
    }
    submit(k, 0);
}

static void end(call *k)
{
    pp_xfer_clear(&k->x);
    json_decref(k->input);
    json_decref(k->result);
    json_decref(k->tokens);
    free(k->region);
    free(k->url);
}

size_t pp_aws_call_many(pp_aws_client *c, const pp_aws_req *reqs, size_t n, pp_aws_resp *resps)
{
    if (n == 0)
        return 0;
    if (!c || !c->engine) {
        for (size_t i = 0; i < n; i++) {
            memset(&resps[i], 0, sizeof(resps[i]));
            pp_wire_fail(&resps[i], "InvalidRequest", "no client");
        }
        return n;
    }
    call *calls = pp_xcalloc(n, sizeof(*calls));
    pp_waiter w;
    pp_waiter_init(&w);
    unsigned int seed = (unsigned int)pp_engine_now_ms() ^ (unsigned int)(uintptr_t)calls;
    for (size_t i = 0; i < n; i++) {
        begin(&calls[i], c, &reqs[i], &resps[i], &w, seed + (unsigned int)i * 7919u);
    }
    /* Only finished transfers come back, so n calls cost O(n) here, not O(n^2). */
    for (pp_xfer *done; (done = pp_engine_wait(c->engine, &w));) {
        while (done) {
            pp_xfer *x = done;
            done = x->next;
            x->next = NULL;
            attempt_done(x->owner);
        }
    }
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (!resps[i].ok)
            failed++;
        end(&calls[i]);
    }
    pp_waiter_destroy(&w);
    free(calls);
    return failed;
}

int pp_aws_call(pp_aws_client *c, const pp_aws_req *req, pp_aws_resp *resp)
{
    if (!req || !resp)
        return pp_err_set(PP_EINVAL, "pp_aws_call: no request or response");
    if (pp_aws_call_many(c, req, 1, resp) == 0)
        return 0;
    char *line = pp_aws_resp_error(resp);
    int rc = pp_err_set(PP_EAWS, "%s %s: %s", req->service ? req->service : "",
                        req->operation ? req->operation : "", line);
    free(line);
    return rc;
}
