/* GuardDuty (regional): detectors with their details and features. */
#include "collect_util.h"

#include <stdlib.h>
#include <string.h>

#define TYPE "AWS::GuardDuty::Detector"

static const pp_collector_call calls[] = {
    {.operation = "ListDetectors"},
    {.operation = "GetDetector", .per_resource = true},
    {.operation = NULL},
};

static const char *const types[] = {TYPE, NULL};

static int collect(pp_collect_ctx *ctx)
{
    pp_collect_req lreq = {.operation = "ListDetectors"};
    pp_aws_resp list = {0};
    if (pp_collect_call(ctx, &lreq, &list))
        goto _exit;
    json_t *ids = json_object_get(list.data, "DetectorIds");
    size_t n = json_array_size(ids);
    pp_collect_req *reqs = pp_xcalloc(n + 1, sizeof(*reqs));
    json_t **inputs = pp_xcalloc(n + 1, sizeof(*inputs));
    pp_aws_resp *resps = pp_xcalloc(n + 1, sizeof(*resps));
    for (size_t i = 0; i < n; i++) {
        inputs[i] = json_pack("{s:O}", "DetectorId", json_array_get(ids, i));
        reqs[i] = (pp_collect_req){.operation = "GetDetector", .input = inputs[i]};
    }
    pp_collect_calls(ctx, reqs, n, resps);
    for (size_t i = 0; i < n; i++) {
        const char *id = json_string_value(json_array_get(ids, i));
        json_t *doc = json_pack("{s:s}", "DetectorId", id);
        char *res = pp_xasprintf("detector/%s", id);
        char *arn = pp_collect_arn(ctx, "guardduty", pp_collect_region(ctx), res);
        if (resps[i].ok)
            pp_json_merge(doc, resps[i].data);
        pp_resource *r = pp_collect_emit(ctx, TYPE, id, arn, doc);
        if (r && !resps[i].ok) {
            /* the detector exists but its state is unknown: every rule reading it is ERROR */
            char *e = pp_aws_resp_error(&resps[i]);
            pp_resource_set_error(r, "Status", e);
            pp_resource_set_error(r, "Features", e);
            pp_resource_set_error(r, "DataSources", e);
            free(e);
        }
        json_decref(doc);
        free(res);
        free(arn);
        json_decref(inputs[i]);
        pp_aws_resp_clear(&resps[i]);
    }
    free(reqs);
    free(inputs);
    free(resps);
_exit:
    pp_aws_resp_clear(&list);
    return 0;
}

const pp_collector pp_collector_guardduty = {
    .name = "guardduty",
    .aws_service = "guardduty",
    .calls = calls,
    .types = types,
    .collect = collect,
};
