/* The HTTP engine: one event-loop thread owning one curl multi handle, so every request of every
 * client shares one connection cache. Callers (call.c, on any thread) queue one transfer per
 * attempt and sleep on their waiter's condition variable; the loop starts a queued transfer when
 * its backoff time has come, its (client, service, region) has fewer than max_in_flight
 * requests running, the engine fewer than max_total, and, for EC2, the request-rate bucket of
 * its (client, region, category) holds a token (aws-protocols.md section 4). It signs each
 * transfer just before sending it, so every attempt carries a fresh X-Amz-Date. */
#include "wire.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_IN_FLIGHT  8
#define DEFAULT_TOTAL      64
#define DEFAULT_CONNECT_MS 3000L
#define DEFAULT_TIMEOUT_MS 60000L
#define DEFAULT_MAX_RESP   ((size_t)64 * 1024 * 1024)
#define MAX_RESP_HEADERS   128
#define MAX_HEADER_BYTES   (64 * 1024)

typedef struct slot {
    const pp_aws_client *client;
    char service[32];
    char region[48];
    int running;
} slot;

/* EC2's documented buckets: capacity and refill per second. */
static const struct {
    double capacity, rate;
} ec2_buckets[] = {
    [PP_EC2_READ] = {100, 20},
    [PP_EC2_READ_UNFILTERED] = {50, 10},
    [PP_EC2_WRITE] = {50, 5},
};

typedef struct bucket {
    const pp_aws_client *client;
    char region[48];
    enum pp_ec2_category cat;
    pp_rate_bucket rb;
} bucket;

typedef struct running {
    CURL *easy;
    struct curl_slist *headers;
    size_t slot;
    size_t header_bytes;
} running;

struct pp_aws_engine {
    pp_aws_engine_options opts;
    pthread_mutex_t lock;
    pthread_t thread;
    bool started;
    bool stop;
    CURLM *multi;
    pp_xfer *head, *tail; /* queued, not started */
    size_t n_running;
    slot *slots;
    size_t n_slots, cap_slots;
    bucket *buckets;
    size_t n_buckets, cap_buckets;
    pp_aws_stats stats;
};

static time_t real_clock(void)
{
    return time(NULL);
}

time_t (*pp_engine_sign_clock)(void) = real_clock;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int64_t pp_engine_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- waiters and transfers ---------------------------------------------------------------- */

void pp_waiter_init(pp_waiter *w)
{
    pthread_cond_init(&w->cond, NULL);
    w->pending = 0;
    w->done = NULL;
}

void pp_waiter_destroy(pp_waiter *w)
{
    if (w)
        pthread_cond_destroy(&w->cond);
}

static void reset_headers(pp_xfer *x)
{
    for (size_t i = 0; i < x->n_resp_headers; i++) {
        free((char *)x->resp_headers[i].name);
        free((char *)x->resp_headers[i].value);
    }
    free(x->resp_headers);
    x->resp_headers = NULL;
    x->n_resp_headers = 0;
}

void pp_xfer_reset_result(pp_xfer *x)
{
    pp_buf_free(&x->body);
    reset_headers(x);
    x->done = false;
    x->curl_code = 0;
    x->curl_error[0] = '\0';
    x->status = 0;
    x->too_large = false;
    x->local_error = false;
}

void pp_xfer_clear(pp_xfer *x)
{
    if (!x)
        return;
    pp_xfer_reset_result(x);
    pp_wire_req_clear(&x->req);
    pp_creds_clear(&x->creds);
}

void pp_engine_lock(pp_aws_engine *e)
{
    pthread_mutex_lock(&e->lock);
}

void pp_engine_unlock(pp_aws_engine *e)
{
    pthread_mutex_unlock(&e->lock);
}

void pp_engine_submit(pp_aws_engine *e, pp_xfer *x)
{
    pthread_mutex_lock(&e->lock);
    x->done = false;
    x->next = NULL;
    if (e->tail)
        e->tail->next = x;
    else
        e->head = x;
    e->tail = x;
    x->waiter->pending++;
    pthread_mutex_unlock(&e->lock);
    curl_multi_wakeup(e->multi);
}

pp_xfer *pp_engine_wait(pp_aws_engine *e, pp_waiter *w)
{
    pthread_mutex_lock(&e->lock);
    while (!w->done && w->pending > 0)
        pthread_cond_wait(&w->cond, &e->lock);
    pp_xfer *list = w->done;
    w->done = NULL;
    for (pp_xfer *x = list; x; x = x->next)
        x->done = false;
    pthread_mutex_unlock(&e->lock);
    return list;
}

void pp_engine_count(pp_aws_engine *e, long requests, long retries, long throttles, long errors)
{
    pthread_mutex_lock(&e->lock);
    e->stats.requests += requests;
    e->stats.retries += retries;
    e->stats.throttles += throttles;
    e->stats.errors += errors;
    pthread_mutex_unlock(&e->lock);
}

size_t pp_engine_max_response(pp_aws_engine *e)
{
    return e->opts.max_response;
}

void pp_aws_engine_stats(pp_aws_engine *e, pp_aws_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!e)
        return;
    pthread_mutex_lock(&e->lock);
    *out = e->stats;
    pthread_mutex_unlock(&e->lock);
}

/* ---- scheduling (under the lock) ---------------------------------------------------------- */

static size_t slot_of(pp_aws_engine *e, const pp_xfer *x)
{
    for (size_t i = 0; i < e->n_slots; i++) {
        slot *s = &e->slots[i];
        if (s->client == x->client && strcmp(s->service, x->service) == 0 &&
            strcmp(s->region, x->region) == 0)
            return i;
    }
    if (e->n_slots == e->cap_slots) {
        e->cap_slots = e->cap_slots ? e->cap_slots * 2 : 16;
        e->slots = pp_xrealloc(e->slots, e->cap_slots * sizeof(*e->slots));
    }
    slot *s = &e->slots[e->n_slots];
    memset(s, 0, sizeof(*s));
    s->client = x->client;
    snprintf(s->service, sizeof(s->service), "%s", x->service);
    snprintf(s->region, sizeof(s->region), "%s", x->region);
    return e->n_slots++;
}

static bucket *bucket_of(pp_aws_engine *e, const pp_xfer *x, int64_t now)
{
    for (size_t i = 0; i < e->n_buckets; i++) {
        bucket *b = &e->buckets[i];
        if (b->client == x->client && b->cat == x->ec2 && strcmp(b->region, x->region) == 0)
            return b;
    }
    if (e->n_buckets == e->cap_buckets) {
        e->cap_buckets = e->cap_buckets ? e->cap_buckets * 2 : 8;
        e->buckets = pp_xrealloc(e->buckets, e->cap_buckets * sizeof(*e->buckets));
    }
    bucket *b = &e->buckets[e->n_buckets++];
    memset(b, 0, sizeof(*b));
    b->client = x->client;
    b->cat = x->ec2;
    snprintf(b->region, sizeof(b->region), "%s", x->region);
    pp_rate_bucket_init(&b->rb, x->ec2, now);
    return b;
}

void pp_rate_bucket_init(pp_rate_bucket *b, enum pp_ec2_category cat, int64_t now_ms)
{
    if (cat < PP_EC2_READ || cat > PP_EC2_WRITE)
        cat = PP_EC2_READ;
    b->capacity = ec2_buckets[cat].capacity;
    b->rate = ec2_buckets[cat].rate;
    b->tokens = b->capacity;
    b->last_ms = now_ms;
}

int64_t pp_rate_bucket_take(pp_rate_bucket *b, int64_t now_ms)
{
    if (now_ms > b->last_ms) {
        b->tokens += (double)(now_ms - b->last_ms) * b->rate / 1000.0;
        if (b->tokens > b->capacity)
            b->tokens = b->capacity;
        b->last_ms = now_ms;
    }
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        return 0;
    }
    int64_t wait = (int64_t)((1.0 - b->tokens) * 1000.0 / b->rate) + 1;
    return wait > 0 ? wait : 1;
}

/* Moves the transfers that may start now from the queue to `start` (a list through ->next);
 * *wake receives when the next queued one could become startable. */
static pp_xfer *dequeue_ready(pp_aws_engine *e, int64_t now, int64_t *wake)
{
    pp_xfer *start = NULL, **start_tail = &start;
    pp_xfer **pp = &e->head, *prev = NULL;
    while (*pp) {
        pp_xfer *x = *pp;
        bool go = false;
        if (x->not_before_ms > now) {
            if (x->not_before_ms < *wake)
                *wake = x->not_before_ms;
        } else if (e->n_running < (size_t)e->opts.max_total) {
            size_t si = slot_of(e, x);
            if (e->slots[si].running < e->opts.max_in_flight) {
                int64_t wait = 0;
                if (x->ec2 != PP_EC2_NONE)
                    wait = pp_rate_bucket_take(&bucket_of(e, x, now)->rb, now);
                if (wait == 0) {
                    go = true;
                    e->slots[si].running++;
                    e->n_running++;
                    running *r = pp_xcalloc(1, sizeof(*r));
                    r->slot = si;
                    x->priv = r;
                } else if (now + wait < *wake) {
                    *wake = now + wait;
                }
            }
        }
        if (go) {
            *pp = x->next;
            if (e->tail == x)
                e->tail = prev;
            x->next = NULL;
            *start_tail = x;
            start_tail = &x->next;
        } else {
            prev = x;
            pp = &x->next;
        }
    }
    return start;
}

/* ---- one transfer --------------------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    pp_xfer *x = ud;
    size_t len = size * n;
    if (pp_buf_append(&x->body, data, len) != 0) {
        x->too_large = true;
        return 0; /* aborts the transfer: never buffer more than the limit */
    }
    return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    pp_xfer *x = ud;
    size_t len = size * n;
    running *r = x->priv;
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        /* A new response (after 100 Continue): forget the previous one's headers. */
        reset_headers(x);
        r->header_bytes = 0;
        return len;
    }
    r->header_bytes += len;
    if (r->header_bytes > MAX_HEADER_BYTES || x->n_resp_headers >= MAX_RESP_HEADERS)
        return len; /* keep the transfer, drop the excess */
    const char *colon = memchr(data, ':', len);
    if (!colon)
        return len;
    const char *v = colon + 1, *end = data + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    x->resp_headers =
        pp_xrealloc(x->resp_headers, (x->n_resp_headers + 1) * sizeof(*x->resp_headers));
    x->resp_headers[x->n_resp_headers].name = pp_xstrndup(data, (size_t)(colon - data));
    x->resp_headers[x->n_resp_headers].value = pp_xstrndup(v, (size_t)(end - v));
    x->n_resp_headers++;
    return len;
}

static struct curl_slist *add_line(struct curl_slist *l, const char *name, const char *value)
{
    char *line = pp_xasprintf("%s: %s", name, value);
    struct curl_slist *n = curl_slist_append(l, line);
    free(line);
    return n ? n : l;
}

/* Signs x with a fresh X-Amz-Date and hands it to curl. Returns 0, or -1 with x->curl_error
 * set (the transfer then completes at once as a local failure). */
static int start(pp_aws_engine *e, pp_xfer *x)
{
    running *r = x->priv;
    pp_wire_req *q = &x->req;
    pp_sigv4_output sig = {0};
    char *host = NULL, *url = NULL;
    pp_http_header *h = NULL;
    size_t nh = 0;
    int rc = -1;

    char amz_date[32];
    time_t now = pp_engine_sign_clock(); /* never PARAPET_NOW: that pins rule time only */
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm);

    host = q->host_prefix ? pp_xasprintf("%s.%s", q->host_prefix, q->host) : pp_xstrdup(q->host);
    const char *scheme = pp_str_startswith(q->scheme_host, "https://") ? "https" : "http";
    url = pp_xasprintf("%s://%s%s%s%s", scheme, host, q->path, q->query ? "?" : "",
                       q->query ? q->query : "");

    /* Every header we sign is one we send: host, date, token, S3 payload hash, then the
     * protocol's own (Content-Type, X-Amz-Target). */
    char payload_hash[65];
    h = pp_xcalloc(q->n_headers + 4, sizeof(*h));
    h[nh++] = (pp_http_header){"Host", host};
    h[nh++] = (pp_http_header){"X-Amz-Date", amz_date};
    if (x->creds.session_token)
        h[nh++] = (pp_http_header){"X-Amz-Security-Token", x->creds.session_token};
    if (q->s3) {
        pp_sha256_hex(q->body ? q->body : "", q->body ? q->body_len : 0, payload_hash);
        h[nh++] = (pp_http_header){"X-Amz-Content-Sha256", payload_hash};
    }
    for (size_t i = 0; i < q->n_headers; i++)
        h[nh++] = q->headers[i];

    pp_sigv4_input in = {
        .method = q->method,
        .path = q->path,
        .query = q->query,
        .headers = h,
        .n_headers = nh,
        .body = q->body ? q->body : "",
        .body_len = q->body ? q->body_len : 0,
        .access_key_id = x->creds.access_key_id,
        .secret_access_key = x->creds.secret_access_key,
        .session_token = x->creds.session_token,
        .region = x->signing_region,
        .service = x->signing_name,
        .amz_date = amz_date,
        .normalize_path = !q->s3,
        .s3_payload_hash = q->s3,
    };
    if (!x->creds.access_key_id || !x->creds.secret_access_key) {
        snprintf(x->curl_error, sizeof(x->curl_error), "no credentials to sign with");
        goto _exit;
    }
    if (pp_sigv4_sign(&in, &sig) != 0) {
        snprintf(x->curl_error, sizeof(x->curl_error), "signing: %s", pp_err_msg());
        goto _exit;
    }

    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(x->curl_error, sizeof(x->curl_error), "out of memory");
        goto _exit;
    }
    r->easy = c;
    for (size_t i = 0; i < nh; i++)
        r->headers = add_line(r->headers, h[i].name, h[i].value);
    r->headers = add_line(r->headers, "Authorization", sig.authorization);
    r->headers = curl_slist_append(r->headers, "Expect:");
    if (!q->body)
        r->headers = curl_slist_append(r->headers, "Content-Type:");

    pp_buf_init(&x->body, e->opts.max_response);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L); /* send the path we signed, byte for byte */
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "parapet/" PP_VERSION);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, e->opts.connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, e->opts.timeout_ms);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)e->opts.max_response);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (x->client && x->client->ca_bundle)
        curl_easy_setopt(c, CURLOPT_CAINFO, x->client->ca_bundle);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->curl_error);
    curl_easy_setopt(c, CURLOPT_PRIVATE, x);
    if (strcmp(q->method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
        if (strcmp(q->method, "POST") != 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(q->body ? q->body_len : 0));
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body ? q->body : "");
    }
    if (curl_multi_add_handle(e->multi, c) != CURLM_OK) {
        snprintf(x->curl_error, sizeof(x->curl_error), "curl refused the transfer");
        goto _exit;
    }
    rc = 0;

_exit:
    pp_sigv4_output_clear(&sig);
    free(h);
    free(host);
    free(url);
    return rc;
}

/* Records the outcome and wakes the transfer's owner. */
static void finish(pp_aws_engine *e, pp_xfer *x, int curl_code, bool local)
{
    running *r = x->priv;
    if (r->easy) {
        long status = 0;
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
        x->status = status;
        curl_multi_remove_handle(e->multi, r->easy);
        curl_easy_cleanup(r->easy);
    }
    curl_slist_free_all(r->headers);
    x->curl_code = curl_code;
    x->local_error = local;
    if (curl_code == CURLE_FILESIZE_EXCEEDED)
        x->too_large = true; /* refused on its Content-Length, before any byte was buffered */
    if (x->too_large)
        snprintf(x->curl_error, sizeof(x->curl_error), "response larger than the %zu byte limit",
                 e->opts.max_response);
    if (curl_code && !x->curl_error[0])
        snprintf(x->curl_error, sizeof(x->curl_error), "%s",
                 curl_easy_strerror((CURLcode)curl_code));
    pthread_mutex_lock(&e->lock);
    e->slots[r->slot].running--;
    e->n_running--;
    x->priv = NULL;
    x->done = true;
    x->next = x->waiter->done; /* off the queue since it started: ->next is free */
    x->waiter->done = x;
    x->waiter->pending--;
    pthread_cond_signal(&x->waiter->cond); /* one thread waits on a waiter */
    pthread_mutex_unlock(&e->lock);
    free(r);
}

static void *loop(void *arg)
{
    pp_aws_engine *e = arg;
    for (;;) {
        int64_t now = pp_engine_now_ms();
        int64_t wake = now + 1000;
        pthread_mutex_lock(&e->lock);
        if (e->stop && !e->head && e->n_running == 0) {
            pthread_mutex_unlock(&e->lock);
            break;
        }
        pp_xfer *ready = dequeue_ready(e, now, &wake);
        pthread_mutex_unlock(&e->lock);

        bool freed = false;
        while (ready) {
            pp_xfer *x = ready;
            ready = x->next;
            x->next = NULL;
            if (start(e, x) != 0) {
                finish(e, x, (int)CURLE_FAILED_INIT, true);
                freed = true;
            }
        }
        int still = 0;
        curl_multi_perform(e->multi, &still);
        CURLMsg *msg;
        int left = 0;
        while ((msg = curl_multi_info_read(e->multi, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            pp_xfer *x = NULL;
            CURLcode code = msg->data.result;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            if (x) {
                finish(e, x, (int)code, false);
                freed = true;
            }
        }
        /* A finished transfer frees a slot: start what waits for it now, not at the next
         * socket event. */
        int64_t timeout = freed ? 0 : wake - pp_engine_now_ms();
        if (timeout < 0)
            timeout = 0;
        if (timeout > 1000)
            timeout = 1000;
        curl_multi_poll(e->multi, NULL, 0, (int)timeout, NULL);
    }
    return NULL;
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

int pp_aws_engine_new(pp_aws_engine **out, const pp_aws_engine_options *opts)
{
    *out = NULL;
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return pp_err_set(PP_EINTERNAL, "libcurl: %s", curl_easy_strerror(curl_init_rc));
    pp_shapes_check(); /* parse the shape table on this thread, before any worker needs it */
    pp_xml_init();
    pp_aws_engine *e = pp_xcalloc(1, sizeof(*e));
    if (opts)
        e->opts = *opts;
    if (e->opts.max_in_flight <= 0)
        e->opts.max_in_flight = DEFAULT_IN_FLIGHT;
    if (e->opts.max_total <= 0)
        e->opts.max_total = DEFAULT_TOTAL;
    if (e->opts.connect_timeout_ms <= 0)
        e->opts.connect_timeout_ms = DEFAULT_CONNECT_MS;
    if (e->opts.timeout_ms <= 0)
        e->opts.timeout_ms = DEFAULT_TIMEOUT_MS;
    if (e->opts.max_response == 0)
        e->opts.max_response = DEFAULT_MAX_RESP;
    pthread_mutex_init(&e->lock, NULL);
    e->multi = curl_multi_init();
    if (!e->multi) {
        pp_aws_engine_free(e);
        return pp_err_set(PP_ENOMEM, "libcurl: cannot create a multi handle");
    }
    curl_multi_setopt(e->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)e->opts.max_total);
    /* Keep idle connections for reuse even though easy handles come and go per attempt. */
    curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, (long)e->opts.max_total);
    if (pthread_create(&e->thread, NULL, loop, e) != 0) {
        pp_aws_engine_free(e);
        return pp_err_set(PP_EINTERNAL, "cannot start the HTTP engine thread");
    }
    e->started = true;
    *out = e;
    return 0;
}

void pp_aws_engine_free(pp_aws_engine *e)
{
    if (!e)
        return;
    if (e->started) {
        pthread_mutex_lock(&e->lock);
        e->stop = true;
        pthread_mutex_unlock(&e->lock);
        curl_multi_wakeup(e->multi);
        pthread_join(e->thread, NULL);
    }
    if (e->multi)
        curl_multi_cleanup(e->multi);
    pthread_mutex_destroy(&e->lock);
    free(e->slots);
    free(e->buckets);
    free(e);
}
