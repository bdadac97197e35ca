/* aws/retry.c and the EC2 rate buckets: which failures are retried, how long the SDKs' standard
 * mode waits, the per-client retry quota, and EC2's documented request buckets. */
#include <curl/curl.h>
#include <stdlib.h>

#include "pp_test.h"
#include "wire.h"

static void classify_throttling(void)
{
    static const char *const codes[] = {
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
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        CHECK_INT(pp_aws_retry_classify(0, 400, codes[i]), PP_RETRY_THROTTLE);
    /* EC2 sends RequestLimitExceeded with 503: throttling, not merely a 5xx. */
    CHECK_INT(pp_aws_retry_classify(0, 503, "RequestLimitExceeded"), PP_RETRY_THROTTLE);
    /* GuardDuty and others: a bare 429. */
    CHECK_INT(pp_aws_retry_classify(0, 429, "HTTP429"), PP_RETRY_THROTTLE);
    CHECK_INT(pp_aws_retry_classify(0, 429, NULL), PP_RETRY_THROTTLE);
}

static void classify_transient(void)
{
    CHECK_INT(pp_aws_retry_classify(0, 400, "RequestTimeout"), PP_RETRY_TRANSIENT);
    CHECK_INT(pp_aws_retry_classify(0, 400, "RequestTimeoutException"), PP_RETRY_TRANSIENT);
    CHECK_INT(pp_aws_retry_classify(0, 400, "PriorRequestNotComplete"), PP_RETRY_TRANSIENT);
    CHECK_INT(pp_aws_retry_classify(0, 400, "IDPCommunicationError"), PP_RETRY_TRANSIENT);
    CHECK_INT(pp_aws_retry_classify(0, 500, "ServiceFailure"), PP_RETRY_TRANSIENT);
    CHECK_INT(pp_aws_retry_classify(0, 500, "InternalError"), PP_RETRY_TRANSIENT);
    CHECK_INT(pp_aws_retry_classify(0, 502, "HTTP502"), PP_RETRY_TRANSIENT);
    CHECK_INT(pp_aws_retry_classify(0, 503, "ServiceUnavailable"), PP_RETRY_TRANSIENT);
    CHECK_INT(pp_aws_retry_classify(0, 504, NULL), PP_RETRY_TRANSIENT);
    /* No response at all. */
    CHECK_INT(pp_aws_retry_classify(CURLE_COULDNT_CONNECT, 0, NULL), PP_RETRY_TRANSIENT);
    CHECK_INT(pp_aws_retry_classify(CURLE_GOT_NOTHING, 0, NULL), PP_RETRY_TRANSIENT);
    CHECK_INT(pp_aws_retry_classify(CURLE_RECV_ERROR, 0, NULL), PP_RETRY_TRANSIENT);
    CHECK_INT(pp_aws_retry_classify(CURLE_SEND_ERROR, 0, NULL), PP_RETRY_TRANSIENT);
    CHECK_INT(pp_aws_retry_classify(CURLE_PARTIAL_FILE, 0, NULL), PP_RETRY_TRANSIENT);
    CHECK_INT(pp_aws_retry_classify(CURLE_OPERATION_TIMEDOUT, 0, NULL), PP_RETRY_TIMEOUT);
}

static void classify_final(void)
{
    /* IAM's LimitExceeded (409) is a service quota: retrying cannot help. */
    CHECK_INT(pp_aws_retry_classify(0, 409, "LimitExceeded"), PP_RETRY_NO);
    CHECK_INT(pp_aws_retry_classify(0, 403, "AccessDenied"), PP_RETRY_NO);
    CHECK_INT(pp_aws_retry_classify(0, 400, "ValidationError"), PP_RETRY_NO);
    CHECK_INT(pp_aws_retry_classify(0, 404, "NoSuchEntity"), PP_RETRY_NO);
    CHECK_INT(pp_aws_retry_classify(0, 401, "AuthFailure"), PP_RETRY_NO);
    CHECK_INT(pp_aws_retry_classify(0, 200, "InvalidResponse"), PP_RETRY_NO);
    CHECK_INT(pp_aws_retry_classify(0, 400, NULL), PP_RETRY_NO);
    /* Local failures that another attempt would repeat. */
    CHECK_INT(pp_aws_retry_classify(CURLE_PEER_FAILED_VERIFICATION, 0, NULL), PP_RETRY_NO);
    CHECK_INT(pp_aws_retry_classify(CURLE_FILESIZE_EXCEEDED, 0, NULL), PP_RETRY_NO);
    CHECK_INT(pp_aws_retry_classify(CURLE_WRITE_ERROR, 0, NULL), PP_RETRY_NO);
    CHECK_INT(pp_aws_retry_classify(CURLE_URL_MALFORMAT, 0, NULL), PP_RETRY_NO);
}

static void backoff_bounds(void)
{
    unsetenv("PARAPET_RETRY_BASE_MS");
    /* rand[0,1) * min(2^(i-1), 20) seconds */
    CHECK_INT(pp_aws_backoff_ms(1, 0.0), 0);
    CHECK_INT(pp_aws_backoff_ms(1, 0.5), 500);
    CHECK_INT(pp_aws_backoff_ms(2, 0.5), 1000);
    CHECK_INT(pp_aws_backoff_ms(3, 0.5), 2000);
    CHECK_INT(pp_aws_backoff_ms(5, 0.5), 8000);
    CHECK_INT(pp_aws_backoff_ms(6, 0.5), 10000); /* 2^5 = 32 s, capped at 20 s */
    CHECK_INT(pp_aws_backoff_ms(60, 0.5), 10000);
    for (int attempt = 1; attempt <= 40; attempt++) {
        long ceiling = attempt >= 6 ? 20000 : 1000L << (attempt - 1);
        for (int i = 0; i < 100; i++) {
            double r = i / 100.0;
            long d = pp_aws_backoff_ms(attempt, r);
            CHECK(d >= 0 && d < ceiling);
            CHECK(d <= pp_aws_backoff_ms(attempt, r + 0.0099));
        }
        CHECK(pp_aws_backoff_ms(attempt, 0.999999) < 20000);
    }
    /* Out-of-range inputs are clamped, never negative or above the cap. */
    CHECK_INT(pp_aws_backoff_ms(0, 0.5), 500);
    CHECK_INT(pp_aws_backoff_ms(1, -3.0), 0);
    CHECK(pp_aws_backoff_ms(1, 7.0) < 1000);
}

static void backoff_test_base(void)
{
    setenv("PARAPET_RETRY_BASE_MS", "10", 1);
    CHECK_INT(pp_aws_backoff_ms(1, 0.5), 5);
    CHECK_INT(pp_aws_backoff_ms(3, 0.5), 20);
    CHECK_INT(pp_aws_backoff_ms(30, 0.5), 10000); /* the cap stays 20 s */
    setenv("PARAPET_RETRY_BASE_MS", "junk", 1);
    CHECK_INT(pp_aws_backoff_ms(1, 0.5), 500);
    unsetenv("PARAPET_RETRY_BASE_MS");
}

static void quota_accounting(void)
{
    pp_retry_quota q;
    int cost = -1;
    pp_retry_quota_init(&q);
    CHECK_INT(q.capacity, 500);
    CHECK_INT(q.available, 500);
    CHECK(pp_retry_quota_acquire(&q, PP_RETRY_THROTTLE, &cost));
    CHECK_INT(cost, 5);
    CHECK_INT(q.available, 495);
    CHECK(pp_retry_quota_acquire(&q, PP_RETRY_TIMEOUT, &cost));
    CHECK_INT(cost, 10);
    CHECK_INT(q.available, 485);
    /* A success after a retry refunds that retry's cost; a first-try success refunds 1. */
    pp_retry_quota_release(&q, 10);
    CHECK_INT(q.available, 495);
    pp_retry_quota_release(&q, 0);
    CHECK_INT(q.available, 496);
    for (int i = 0; i < 10; i++)
        pp_retry_quota_release(&q, 0);
    CHECK_INT(q.available, 500); /* never above capacity */

    /* Exhaustion: 100 retries of 5 drain 500, the 101st is refused and takes nothing. */
    for (int i = 0; i < 100; i++)
        CHECK(pp_retry_quota_acquire(&q, PP_RETRY_TRANSIENT, &cost));
    CHECK_INT(q.available, 0);
    CHECK(!pp_retry_quota_acquire(&q, PP_RETRY_TRANSIENT, &cost));
    CHECK_INT(cost, 0);
    CHECK_INT(q.available, 0);
    q.available = 7;
    CHECK(!pp_retry_quota_acquire(&q, PP_RETRY_TIMEOUT, &cost)); /* 10 > 7 */
    CHECK(pp_retry_quota_acquire(&q, PP_RETRY_THROTTLE, &cost)); /* 5 <= 7 */
    CHECK_INT(q.available, 2);
}

static void ec2_buckets(void)
{
    pp_rate_bucket b;
    /* Non-mutating: a burst of 100, then 20 per second. */
    pp_rate_bucket_init(&b, PP_EC2_READ, 1000);
    for (int i = 0; i < 100; i++)
        CHECK_INT(pp_rate_bucket_take(&b, 1000), 0);
    int64_t wait = pp_rate_bucket_take(&b, 1000);
    CHECK(wait >= 50 && wait <= 51);
    CHECK(pp_rate_bucket_take(&b, 1000 + 20) > 0);    /* 0.4 token */
    CHECK_INT(pp_rate_bucket_take(&b, 1000 + 51), 0); /* one token after 1/20 s */
    CHECK(pp_rate_bucket_take(&b, 1000 + 52) > 0);
    /* A long pause refills to the burst size, not beyond. */
    for (int i = 0; i < 100; i++)
        CHECK_INT(pp_rate_bucket_take(&b, 600000), 0);
    CHECK(pp_rate_bucket_take(&b, 600000) > 0);

    /* Mutating: 50, then 5 per second. */
    pp_rate_bucket_init(&b, PP_EC2_WRITE, 0);
    for (int i = 0; i < 50; i++)
        CHECK_INT(pp_rate_bucket_take(&b, 0), 0);
    wait = pp_rate_bucket_take(&b, 0);
    CHECK(wait >= 200 && wait <= 201);
    CHECK_INT(pp_rate_bucket_take(&b, 201), 0);

    /* Unfiltered, unpaginated heavy describes: 50, then 10 per second. */
    pp_rate_bucket_init(&b, PP_EC2_READ_UNFILTERED, 0);
    for (int i = 0; i < 50; i++)
        CHECK_INT(pp_rate_bucket_take(&b, 0), 0);
    wait = pp_rate_bucket_take(&b, 0);
    CHECK(wait >= 100 && wait <= 101);
}

PP_TEST_MAIN(TEST(classify_throttling), TEST(classify_transient), TEST(classify_final),
             TEST(backoff_bounds), TEST(backoff_test_base), TEST(quota_accounting),
             TEST(ec2_buckets))
