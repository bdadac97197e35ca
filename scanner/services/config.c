/* AWS Config (regional): configuration recorders with their status, and delivery channels. */
#include "collect_util.h"

#include <stdlib.h>
#include <string.h>

static const pp_collector_call calls[] = {
    {.operation = "DescribeConfigurationRecorders", .types = "AWS::Config::ConfigurationRecorder"},
    {.operation = "DescribeConfigurationRecorderStatus",
     .types = "AWS::Config::ConfigurationRecorder"},
    {.operation = "DescribeDeliveryChannels", .types = "AWS::Config::DeliveryChannel"},
    {.operation = NULL},
};

static const char *const types[] = {"AWS::Config::ConfigurationRecorder",
                                    "AWS::Config::DeliveryChannel", NULL};

static int collect(pp_collect_ctx *ctx)
{
    pp_collect_req reqs[3] = {{.operation = "DescribeConfigurationRecorders"},
                              {.operation = "DescribeConfigurationRecorderStatus"},
                              {.operation = "DescribeDeliveryChannels"}};
    pp_aws_resp r[3];
    pp_collect_calls(ctx, reqs, 3, r);
    size_t i;
    json_t *rec;
    json_array_foreach(json_object_get(r[0].data, "ConfigurationRecorders"), i, rec)
    {
        const char *name = pp_json_str(rec, "name");
        char *res = pp_xasprintf("config-recorder/%s", name);
        char *arn = pp_json_str(rec, "arn")
                        ? pp_xstrdup(pp_json_str(rec, "arn"))
                        : pp_collect_arn(ctx, "config", pp_collect_region(ctx), res);
        pp_resource *out =
            pp_collect_emit(ctx, "AWS::Config::ConfigurationRecorder", name, arn, rec);
        free(res);
        free(arn);
        if (!out)
            continue;
        if (!r[1].ok) {
            char *e = pp_aws_resp_error(&r[1]);
            pp_resource_set_error(out, "Status", e);
            free(e);
            continue;
        }
        size_t j;
        json_t *st;
        json_array_foreach(json_object_get(r[1].data, "ConfigurationRecordersStatus"), j,
                           st) if (pp_str_eq(pp_json_str(st, "name"), name))
            json_object_set(out->doc, "Status", st);
    }
    json_t *ch;
    json_array_foreach(json_object_get(r[2].data, "DeliveryChannels"), i, ch)
    {
        const char *name = pp_json_str(ch, "name");
        char *res = pp_xasprintf("delivery-channel/%s", name);
        char *arn = pp_collect_arn(ctx, "config", pp_collect_region(ctx), res);
        pp_collect_emit(ctx, "AWS::Config::DeliveryChannel", name, arn, ch);
        pp_collect_note(ctx, "bucket", pp_json_str(ch, "s3BucketName"));
        free(res);
        free(arn);
    }
    for (int k = 0; k < 3; k++)
        pp_aws_resp_clear(&r[k]);
    return 0;
}

const pp_collector pp_collector_config = {
    .name = "config",
    .aws_service = "config",
    .calls = calls,
    .types = types,
    .collect = collect,
};
