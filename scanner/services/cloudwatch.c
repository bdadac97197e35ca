/* CloudWatch (regional): metric alarms and the actions they notify. */
#include "collect_util.h"

#define TYPE "AWS::CloudWatch::Alarm"

static const pp_collector_call calls[] = {{.operation = "DescribeAlarms"}, {NULL}};
static const char *const types[] = {TYPE, NULL};

static int collect(pp_collect_ctx *ctx)
{
    pp_collect_req req = {.operation = "DescribeAlarms"};
    pp_aws_resp resp = {0};
    if (pp_collect_call(ctx, &req, &resp) == 0) {
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(resp.data, "MetricAlarms"), i, a)
            pp_collect_emit(ctx, TYPE, pp_json_str(a, "AlarmName"), pp_json_str(a, "AlarmArn"), a);
    }
    pp_aws_resp_clear(&resp);
    return 0;
}

const pp_collector pp_collector_cloudwatch = {
    .name = "cloudwatch",
    .aws_service = "cloudwatch",
    .calls = calls,
    .types = types,
    .collect = collect,
};
