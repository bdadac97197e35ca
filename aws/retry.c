/* The SDKs' "standard" retry mode (aws-protocols.md section 4): which failures are worth another
 * attempt, how long to wait before it, and the per-client retry quota that stops a struggling
 * endpoint from being hammered by every caller at once. Pure functions: the caller (call.c)
 * holds the client's lock around the quota. */
#include "pp_aws.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#define QUOTA_CAPACITY 500
#define COST_RETRY     5
#define COST_TIMEOUT   10
#define BACKOFF_CAP_MS 20000L

static const char *const throttle_codes[] = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "EC2ThrottledException",
};

static const char *const transient_codes[] = {
    "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete",
    "IDPCommunicationError", /* STS */
};

static bool in_list(const char *code, const char *const *list, size_t n)
{
    for (size_t i = 0; code && i < n; i++)
        if (strcmp(code, list[i]) == 0)
            return true;
    return false;
}

enum pp_retry_kind pp_aws_retry_classify(int curl_code, long http_status, const char *code)
{
    switch ((CURLcode)curl_code) {
    case CURLE_OK:
        break;
    case CURLE_OPERATION_TIMEDOUT:
        return PP_RETRY_TIMEOUT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return PP_RETRY_TRANSIENT;
    default:
        /* Certificate failures, a response over the size limit, bad URLs: another attempt
         * would fail the same way. */
        return PP_RETRY_NO;
    }
    /* IAM's LimitExceeded (409) is a service quota, not a rate: retrying cannot help. It is not
     * in the throttling list, and a 409 is not a 5xx, so it falls through to NO. */
    if (in_list(code, throttle_codes, sizeof(throttle_codes) / sizeof(throttle_codes[0])))
        return PP_RETRY_THROTTLE;
    if (http_status == 429)
        return PP_RETRY_THROTTLE;
    if (in_list(code, transient_codes, sizeof(transient_codes) / sizeof(transient_codes[0])))
        return PP_RETRY_TRANSIENT;
    if (http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504)
        return PP_RETRY_TRANSIENT;
    return PP_RETRY_NO;
}

/* PARAPET_RETRY_BASE_MS is for tests only: it shortens the 1 s base so that a test proving
 * three attempts does not sleep for seconds. The 20 s cap is unchanged. */
static long backoff_base_ms(void)
{
    const char *s = getenv("PARAPET_RETRY_BASE_MS");
    long v;
    if (s && *s && pp_parse_long(s, 0, 60000, &v) == 0)
        return v;
    return 1000;
}

long pp_aws_backoff_ms(int attempt, double r)
{
    if (attempt < 1)
        attempt = 1;
    if (r < 0)
        r = 0;
    if (r >= 1)
        r = 0.999999;
    long ceiling = backoff_base_ms();
    for (int i = 1; i < attempt && ceiling < BACKOFF_CAP_MS; i++)
        ceiling *= 2;
    if (ceiling > BACKOFF_CAP_MS)
        ceiling = BACKOFF_CAP_MS;
    return (long)(r * (double)ceiling);
}

void pp_retry_quota_init(pp_retry_quota *q)
{
    q->capacity = QUOTA_CAPACITY;
    q->available = QUOTA_CAPACITY;
}

bool pp_retry_quota_acquire(pp_retry_quota *q, enum pp_retry_kind kind, int *cost)
{
    int c = kind == PP_RETRY_TIMEOUT ? COST_TIMEOUT : COST_RETRY;
    if (q->available < c) {
        if (cost)
            *cost = 0;
        return false;
    }
    q->available -= c;
    if (cost)
        *cost = c;
    return true;
}

void pp_retry_quota_release(pp_retry_quota *q, int cost)
{
    q->available += cost > 0 ? cost : 1;
    if (q->available > q->capacity)
        q->available = q->capacity;
}
