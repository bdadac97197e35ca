/* create-cis-alarm (account existence rule, CIS 4.x): a metric filter for the control's pattern on
 * the log group of the account's multi-region trail, and an alarm on its metric that notifies an
 * SNS topic (created, with its subscription, when missing). Arguments: control ("4.1"), pattern,
 * metric_name, namespace (CISBenchmark), topic (parapet-cis-alarms), subscription ({protocol,
 * endpoint}). The trail comes from the snapshot, or from a step of the same plan that creates or
 * configures it. */
#include "../rem_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int plan(pp_rem_planner *p, const pp_rem_target *t)
{
    const char *control = pp_rem_arg(t, "control", NULL);
    const char *pattern = pp_rem_arg(t, "pattern", NULL);
    if (!control || !pattern)
        return pp_err_set(PP_EINVAL, "rule %s: create-cis-alarm needs control and pattern",
                          t->rule->id);
    char dflt_metric[64];
    snprintf(dflt_metric, sizeof(dflt_metric), "cis-%s", control);
    const char *metric = pp_rem_arg(t, "metric_name", dflt_metric);
    const char *ns = pp_rem_arg(t, "namespace", "CISBenchmark");
    const char *topic = pp_rem_arg(t, "topic", "parapet-cis-alarms");
    const json_t *sub = json_object_get(t->args, "subscription");

    /* the log group a multi-region trail delivers to */
    char key[160], group[256] = "", region[64] = "";
    snprintf(key, sizeof(key), "trail-log-group:%s", t->account);
    const char *trail_step = pp_rem_provider(p, key);
    if (trail_step) {
        const json_t *tt = json_object_get(pp_rem_step_get(p, trail_step), "target");
        snprintf(group, sizeof(group), "%s", pp_rem_str(tt, "log_group"));
        snprintf(region, sizeof(region), "%s", pp_rem_str(tt, "log_region"));
    } else {
        size_t n = 0;
        pp_resource *const *v = pp_inventory_of_type(p->o->inv, "AWS::CloudTrail::Trail", &n);
        for (size_t i = 0; i < n && !group[0]; i++) {
            if (!pp_str_eq(v[i]->account, t->account) ||
                !json_is_true(json_object_get(v[i]->doc, "IsMultiRegionTrail")))
                continue;
            pp_rem_log_group_arn_parse(pp_rem_str(v[i]->doc, "CloudWatchLogsLogGroupArn"), group,
                                       sizeof(group), region, sizeof(region));
        }
    }
    if (!group[0]) {
        pp_rem_no_action(p, t,
                         "no multi-region trail delivers to CloudWatch Logs (and none is planned)");
        return 0;
    }
    char id[300];
    snprintf(id, sizeof(id), "create-cis-alarm:%s/%s", t->account, control);
    if (pp_rem_step_get(p, id)) {
        pp_rem_step(p, t, "create-cis-alarm", id, '+', NULL, "x");
        return 0;
    }
    const char *topic_step = pp_rem_plan_topic(p, t, "create-cis-alarm", topic, sub, region);
    char filter[128], alarm[200];
    snprintf(filter, sizeof(filter), "parapet-cis-%s", control);
    snprintf(alarm, sizeof(alarm), "parapet-cis-%s-%s", control, metric);
    char *topic_arn =
        pp_xasprintf("arn:%s:sns:%s:%s:%s", pp_rem_partition(region), region, t->account, topic);
    json_t *step = pp_rem_step(p, t, "create-cis-alarm", id, '+', NULL,
                               "CIS %s: metric filter %s on %s and alarm %s to topic %s", control,
                               filter, group, alarm, topic);
    pp_rem_depends(step, topic_step);
    if (trail_step)
        pp_rem_depends(step, trail_step);
    pp_rem_call(step, "logs", "PutMetricFilter", region,
                json_pack("{s:s, s:s, s:s, s:[{s:s, s:s, s:s}]}", "logGroupName", group,
                          "filterName", filter, "filterPattern", pattern, "metricTransformations",
                          "metricName", metric, "metricNamespace", ns, "metricValue", "1"));
    pp_rem_call(step, "cloudwatch", "PutMetricAlarm", region,
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:f, s:s, s:s, s:[s], s:o}",
                          "AlarmName", alarm, "AlarmDescription", "parapet-cis-control-alarm",
                          "MetricName", metric, "Namespace", ns, "Statistic", "Sum", "Period", 300,
                          "EvaluationPeriods", 1, "Threshold", 1.0, "ComparisonOperator",
                          "GreaterThanOrEqualToThreshold", "TreatMissingData", "notBreaching",
                          "AlarmActions", topic_arn, "Tags", pp_rem_tags(NULL, "Key", "Value")));
    pp_rem_undo(step, "cloudwatch", "DeleteAlarms", region,
                json_pack("{s:[s]}", "AlarmNames", alarm));
    pp_rem_undo(step, "logs", "DeleteMetricFilter", region,
                json_pack("{s:s, s:s}", "logGroupName", group, "filterName", filter));
    json_object_set_new(step, "resource",
                        json_pack("{s:s, s:s, s:s, s:s}", "type", "AWS::CloudWatch::Alarm", "id",
                                  alarm, "account", t->account, "region", region));
    pp_rem_step_arg(step, "region", json_string(region));
    pp_rem_step_arg(step, "group", json_string(group));
    pp_rem_step_arg(step, "filter", json_string(filter));
    pp_rem_step_arg(step, "pattern", json_string(pattern));
    pp_rem_step_arg(step, "alarm", json_string(alarm));
    free(topic_arn);
    return 0;
}

static int check(pp_rem_check *c)
{
    const json_t *target = json_object_get(c->step, "target");
    const char *region = pp_rem_str(target, "region");
    json_t *data = NULL;
    char *code = NULL;
    json_t *in = json_pack("{s:s, s:s}", "logGroupName", pp_rem_str(target, "group"),
                           "filterNamePrefix", pp_rem_str(target, "filter"));
    int rc = pp_rem_read(c, "logs", "DescribeMetricFilters", region, in, &data, &code);
    json_decref(in);
    free(code);
    if (rc)
        return rc;
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(data, "metricFilters"), i, f)
    {
        if (pp_str_eq(pp_rem_str(f, "filterName"), pp_rem_str(target, "filter")) &&
            pp_str_eq(pp_rem_str(f, "filterPattern"), pp_rem_str(target, "pattern")))
            pp_rem_check_drop(c, "PutMetricFilter");
    }
    json_decref(data);
    in = json_pack("{s:[s]}", "AlarmNames", pp_rem_str(target, "alarm"));
    rc = pp_rem_read(c, "cloudwatch", "DescribeAlarms", region, in, &data, &code);
    json_decref(in);
    free(code);
    if (rc)
        return rc;
    if (json_array_size(json_object_get(data, "MetricAlarms")) > 0)
        pp_rem_check_drop(c, "PutMetricAlarm");
    json_decref(data);
    if (json_array_size(c->calls) == 0)
        pp_rem_check_unneeded(c, "already in the desired state: filter and alarm exist");
    return 0;
}

static const char *const ops[] = {
    "logs:DescribeMetricFilters", "logs:PutMetricFilter", "cloudwatch:DescribeAlarms",
    "cloudwatch:PutMetricAlarm",  PP_REM_OPS_TOPIC,       NULL};
static const char *const extra[] = {"cloudwatch:TagResource", "sns:TagResource", NULL};

const pp_rem_action pp_rem_action_create_cis_alarm = {
    .name = "create-cis-alarm",
    .ops = ops,
    .extra_permissions = extra,
    .plan = plan,
    .check = check,
};
