/* CloudTrail (regional): trails with their status and event selectors. A multi-region trail is
 * reported once, in its home region (its shadow copies in other regions are skipped), unless its
 * home region is not being scanned, in which case the first scanned region reports it. */
#include "collect_util.h"

#include <stdlib.h>
#include <string.h>

#define TYPE "AWS::CloudTrail::Trail"

static const pp_collector_call calls[] = {
    {.operation = "DescribeTrails"},
    {.operation = "GetTrailStatus", .per_resource = true},
    {.operation = "GetEventSelectors", .per_resource = true},
    {.operation = NULL},
};

static const char *const types[] = {TYPE, NULL};

static bool reported_here(pp_collect_ctx *ctx, const char *home)
{
    char *const *regions = pp_collect_regions(ctx);
    if (pp_strv_contains(regions, home))
        return pp_str_eq(home, pp_collect_region(ctx));
    return pp_str_eq(regions[0], pp_collect_region(ctx));
}

static int collect(pp_collect_ctx *ctx)
{
    json_t *in = json_pack("{s:b}", "includeShadowTrails", 1);
    pp_collect_req req = {.operation = "DescribeTrails", .input = in};
    pp_aws_resp list = {0};
    pp_collect_call(ctx, &req, &list);
    json_decref(in);
    if (!list.ok)
        goto _exit;

    json_t *trails = json_object_get(list.data, "trailList");
    size_t n = json_array_size(trails), m = 0;
    pp_resource **res = pp_xcalloc(n + 1, sizeof(*res));
    for (size_t i = 0; i < n; i++) {
        json_t *t = json_array_get(trails, i);
        const char *home = pp_json_str(t, "HomeRegion");
        if (home && !reported_here(ctx, home))
            continue;
        res[m++] =
            pp_collect_emit(ctx, TYPE, pp_json_str(t, "Name"), pp_json_str(t, "TrailARN"), t);
        pp_collect_note(ctx, "bucket", pp_json_str(t, "S3BucketName"));
    }
    pp_collect_req *reqs = pp_xcalloc(2 * m + 1, sizeof(*reqs));
    json_t **inputs = pp_xcalloc(2 * m + 1, sizeof(*inputs));
    pp_aws_resp *resps = pp_xcalloc(2 * m + 1, sizeof(*resps));
    for (size_t i = 0; i < m; i++) {
        /* by ARN: the name is ambiguous for trails homed elsewhere */
        const char *arn = res[i]->arn ? res[i]->arn : res[i]->id;
        const char *home = pp_json_str(res[i]->doc, "HomeRegion");
        inputs[2 * i] = json_pack("{s:s}", "Name", arn);
        inputs[2 * i + 1] = json_pack("{s:s}", "TrailName", arn);
        reqs[2 * i] =
            (pp_collect_req){.operation = "GetTrailStatus", .input = inputs[2 * i], .region = home};
        reqs[2 * i + 1] = (pp_collect_req){
            .operation = "GetEventSelectors", .input = inputs[2 * i + 1], .region = home};
    }
    pp_collect_calls(ctx, reqs, 2 * m, resps);
    for (size_t i = 0; i < m; i++) {
        pp_aws_resp *st = &resps[2 * i], *sel = &resps[2 * i + 1];
        if (st->ok) {
            json_t *status = json_deep_copy(st->data);
            json_object_del(status, "ResponseMetadata");
            json_object_set_new(res[i]->doc, "Status", status);
        } else {
            char *e = pp_aws_resp_error(st);
            pp_resource_set_error(res[i], "Status", e);
            free(e);
        }
        if (sel->ok) {
            json_t *es = json_object_get(sel->data, "EventSelectors");
            json_t *aes = json_object_get(sel->data, "AdvancedEventSelectors");
            json_object_set(res[i]->doc, "EventSelectors", es ? es : json_array());
            if (aes)
                json_object_set(res[i]->doc, "AdvancedEventSelectors", aes);
        } else {
            char *e = pp_aws_resp_error(sel);
            pp_resource_set_error(res[i], "EventSelectors", e);
            pp_resource_set_error(res[i], "AdvancedEventSelectors", e);
            free(e);
        }
        pp_aws_resp_clear(st);
        pp_aws_resp_clear(sel);
        json_decref(inputs[2 * i]);
        json_decref(inputs[2 * i + 1]);
    }
    free(reqs);
    free(inputs);
    free(resps);
    free(res);
_exit:
    pp_aws_resp_clear(&list);
    return 0;
}

const pp_collector pp_collector_cloudtrail = {
    .name = "cloudtrail",
    .aws_service = "cloudtrail",
    .calls = calls,
    .types = types,
    .collect = collect,
};
