/* CloudWatch Logs (regional): metric filters, the first link of the CIS 4.x chain
 * trail -> log group -> metric filter -> alarm -> SNS topic. */
#include "collect_util.h"

#include <stdlib.h>

#define TYPE "AWS::Logs::MetricFilter"

static const pp_collector_call calls[] = {{.operation = "DescribeMetricFilters"}, {NULL}};
static const char *const types[] = {TYPE, NULL};

static int collect(pp_collect_ctx *ctx)
{
    pp_collect_req req = {.operation = "DescribeMetricFilters"};
    pp_aws_resp resp = {0};
    if (pp_collect_call(ctx, &req, &resp) == 0) {
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(resp.data, "metricFilters"), i, f)
        {
            /* filter names are unique per log group only */
            const char *group = pp_json_str(f, "logGroupName");
            char *id = pp_xasprintf("%s:%s", group ? group : "", pp_json_str(f, "filterName"));
            char *res = pp_xasprintf("log-group:%s:metric-filter:%s", group ? group : "",
                                     pp_json_str(f, "filterName"));
            char *arn = pp_collect_arn(ctx, "logs", pp_collect_region(ctx), res);
            pp_collect_emit(ctx, TYPE, id, arn, f);
            free(id);
            free(res);
            free(arn);
        }
    }
    pp_aws_resp_clear(&resp);
    return 0;
}

const pp_collector pp_collector_logs = {
    .name = "logs",
    .aws_service = "logs",
    .calls = calls,
    .types = types,
    .collect = collect,
};
