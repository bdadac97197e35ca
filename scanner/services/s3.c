/* S3 (global, phase 1): only the buckets that trails and Config delivery channels write to, with
 * their policy, public access block, logging and encryption. Each bucket is read in its own
 * region. A bucket that cannot be read (another account's log bucket, say) is a coverage error:
 * the rules about it are ERROR, never PASS. */
#include "collect_util.h"

#include <stdlib.h>
#include <string.h>

#define TYPE "AWS::S3::Bucket"

static const pp_collector_call calls[] = {
    {.operation = "GetBucketLocation"},
    {.operation = "GetBucketPolicy", .per_resource = true},
    {.operation = "GetPublicAccessBlock", .per_resource = true},
    {.operation = "GetBucketLogging", .per_resource = true},
    {.operation = "GetBucketEncryption", .per_resource = true},
    {.operation = NULL},
};
static const char *const types[] = {TYPE, NULL};

/* Error codes that mean "not configured", a fact rules judge, not a collection failure. */
static const char *const absent[] = {
    "NoSuchBucketPolicy",
    "NoSuchPublicAccessBlockConfiguration",
    NULL,
    "ServerSideEncryptionConfigurationNotFoundError",
};
static const char *const ops[] = {"GetBucketPolicy", "GetPublicAccessBlock", "GetBucketLogging",
                                  "GetBucketEncryption"};
static const char *const result_keys[] = {"Policy", "PublicAccessBlockConfiguration",
                                          "LoggingEnabled", "ServerSideEncryptionConfiguration"};

static const char *bucket_region(const json_t *loc)
{
    const char *c = json_string_value(json_object_get(loc, "LocationConstraint"));
    if (!c || !*c)
        return "us-east-1"; /* S3 says null for us-east-1 */
    if (strcmp(c, "EU") == 0)
        return "eu-west-1";
    return c;
}

static int collect(pp_collect_ctx *ctx)
{
    const char *const *names = pp_collect_notes(ctx, "bucket");
    size_t n = 0;
    while (names[n])
        n++;
    if (n == 0)
        return 0;
    json_t **inputs = pp_xcalloc(n, sizeof(*inputs));
    pp_collect_req *reqs = pp_xcalloc(4 * n, sizeof(*reqs));
    pp_aws_resp *resps = pp_xcalloc(4 * n, sizeof(*resps));
    for (size_t i = 0; i < n; i++) {
        inputs[i] = json_pack("{s:s}", "Bucket", names[i]);
        reqs[i] = (pp_collect_req){.operation = "GetBucketLocation", .input = inputs[i]};
    }
    pp_collect_calls(ctx, reqs, n, resps);
    char **regions = pp_xcalloc(n, sizeof(*regions));
    for (size_t i = 0; i < n; i++) {
        if (resps[i].ok)
            regions[i] = pp_xstrdup(bucket_region(resps[i].data));
        pp_aws_resp_clear(&resps[i]);
    }
    size_t m = 0;
    size_t *idx = pp_xcalloc(n, sizeof(*idx));
    for (size_t i = 0; i < n; i++) {
        if (!regions[i])
            continue; /* unreadable: the coverage error above says why */
        for (int k = 0; k < 4; k++)
            reqs[4 * m + (size_t)k] = (pp_collect_req){.operation = ops[k],
                                                       .input = inputs[i],
                                                       .absent_codes = absent[k],
                                                       .region = regions[i]};
        idx[m++] = i;
    }
    pp_collect_calls(ctx, reqs, 4 * m, resps);
    for (size_t j = 0; j < m; j++) {
        size_t i = idx[j];
        json_t *doc = json_pack("{s:s, s:s}", "Name", names[i], "BucketRegion", regions[i]);
        char *arn = pp_xasprintf("arn:%s:s3:::%s", pp_collect_partition(ctx), names[i]);
        pp_resource *r = pp_collect_emit(ctx, TYPE, names[i], arn, doc);
        for (int k = 0; k < 4; k++) {
            pp_aws_resp *rs = &resps[4 * j + (size_t)k];
            if (!r) {
                pp_aws_resp_clear(rs);
                continue;
            }
            if (rs->ok) {
                json_t *v = json_object_get(rs->data, result_keys[k]);
                if (v)
                    json_object_set(r->doc, result_keys[k], v);
            } else if (!pp_collect_is(rs, absent[k])) {
                char *e = pp_aws_resp_error(rs);
                pp_resource_set_error(r, result_keys[k], e);
                free(e);
            }
            pp_aws_resp_clear(rs);
        }
        json_decref(doc);
        free(arn);
    }
    for (size_t i = 0; i < n; i++) {
        json_decref(inputs[i]);
        free(regions[i]);
    }
    free(idx);
    free(regions);
    free(inputs);
    free(reqs);
    free(resps);
    return 0;
}

const pp_collector pp_collector_s3 = {
    .name = "s3",
    .aws_service = "s3",
    .global = true,
    .phase = 1,
    .calls = calls,
    .types = types,
    .collect = collect,
};
