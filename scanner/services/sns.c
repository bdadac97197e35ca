/* SNS (regional): topics with their attributes and subscriptions (an alarm only reaches a person
 * through a topic that has a subscriber). */
#include "collect_util.h"

#include <stdlib.h>
#include <string.h>

#define TYPE "AWS::SNS::Topic"

static const pp_collector_call calls[] = {
    {.operation = "ListTopics"},
    {.operation = "GetTopicAttributes", .per_resource = true},
    {.operation = "ListSubscriptionsByTopic", .per_resource = true},
    {.operation = NULL},
};
static const char *const types[] = {TYPE, NULL};

static int collect(pp_collect_ctx *ctx)
{
    pp_collect_req lreq = {.operation = "ListTopics"};
    pp_aws_resp list = {0};
    if (pp_collect_call(ctx, &lreq, &list))
        goto _exit;
    json_t *topics = json_object_get(list.data, "Topics");
    size_t n = json_array_size(topics);
    pp_collect_req *reqs = pp_xcalloc(2 * n + 1, sizeof(*reqs));
    json_t **inputs = pp_xcalloc(n + 1, sizeof(*inputs));
    pp_aws_resp *resps = pp_xcalloc(2 * n + 1, sizeof(*resps));
    for (size_t i = 0; i < n; i++) {
        inputs[i] =
            json_pack("{s:s}", "TopicArn", pp_json_str(json_array_get(topics, i), "TopicArn"));
        reqs[2 * i] = (pp_collect_req){.operation = "GetTopicAttributes", .input = inputs[i]};
        reqs[2 * i + 1] =
            (pp_collect_req){.operation = "ListSubscriptionsByTopic", .input = inputs[i]};
    }
    pp_collect_calls(ctx, reqs, 2 * n, resps);
    for (size_t i = 0; i < n; i++) {
        const char *arn = pp_json_str(json_array_get(topics, i), "TopicArn");
        const char *name = arn ? strrchr(arn, ':') : NULL;
        json_t *doc = json_pack("{s:s}", "TopicArn", arn);
        pp_resource *r = pp_collect_emit(ctx, TYPE, name ? name + 1 : arn, arn, doc);
        json_decref(doc);
        const char *keys[2] = {"Attributes", "Subscriptions"};
        for (int k = 0; k < 2; k++) {
            pp_aws_resp *rs = &resps[2 * i + (size_t)k];
            if (!r) {
                pp_aws_resp_clear(rs);
                continue;
            }
            if (rs->ok) {
                json_t *v = json_object_get(rs->data, keys[k]);
                json_object_set(r->doc, keys[k], v ? v : (k ? json_array() : json_object()));
            } else {
                char *e = pp_aws_resp_error(rs);
                pp_resource_set_error(r, keys[k], e);
                free(e);
            }
            pp_aws_resp_clear(rs);
        }
        json_decref(inputs[i]);
    }
    free(reqs);
    free(inputs);
    free(resps);
_exit:
    pp_aws_resp_clear(&list);
    return 0;
}

const pp_collector pp_collector_sns = {
    .name = "sns",
    .aws_service = "sns",
    .calls = calls,
    .types = types,
    .collect = collect,
};
