/* create-flow-logs (AWS::EC2::VPC): CreateFlowLogs for the VPC. Arguments: traffic_type (ALL,
 * ACCEPT or REJECT; default ALL), destination (cloud-watch-logs, the default, or s3), log_group and
 * role (created when missing: default parapet-vpc-flow-logs) or bucket (s3: created when missing).
 */
#include "../rem_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int plan(pp_rem_planner *p, const pp_rem_target *t)
{
    const char *vpc = t->f->res_id;
    const char *traffic = pp_rem_arg(t, "traffic_type", "ALL");
    const char *dest = pp_rem_arg(t, "destination", "cloud-watch-logs");
    if (strcmp(traffic, "ALL") && strcmp(traffic, "ACCEPT") && strcmp(traffic, "REJECT"))
        return pp_err_set(PP_EINVAL, "rule %s: traffic_type must be ALL, ACCEPT or REJECT",
                          t->rule->id);
    if (strcmp(dest, "cloud-watch-logs") && strcmp(dest, "s3"))
        return pp_err_set(PP_EINVAL, "rule %s: destination must be cloud-watch-logs or s3",
                          t->rule->id);
    char id[256];
    snprintf(id, sizeof(id), "create-flow-logs:%s", vpc);
    if (pp_rem_step_get(p, id)) {
        pp_rem_step(p, t, "create-flow-logs", id, '+', NULL, "x");
        return 0;
    }
    const char *dep = NULL;
    json_t *params =
        json_pack("{s:[s], s:s, s:s, s:s, s:o}", "ResourceId", vpc, "ResourceType", "VPC",
                  "TrafficType", traffic, "LogDestinationType", dest, "TagSpecification",
                  pp_rem_ec2_tag_spec("vpc-flow-log", NULL, "parapet-flow-logs"));
    char summary[400];
    if (strcmp(dest, "s3") == 0) {
        char dflt[128];
        /* one bucket per region by default: flow logs of each region stay in it */
        snprintf(dflt, sizeof(dflt), "%s-parapet-flow-logs-%s", t->account, t->region);
        const char *bucket = pp_rem_arg(t, "bucket", dflt);
        if (!pp_rem_find(p, "AWS::S3::Bucket", t->account, NULL, NULL, bucket))
            dep = pp_rem_plan_bucket(p, t, "create-flow-logs", bucket, t->region, "s3-logging");
        char *arn = pp_xasprintf("arn:%s:s3:::%s", pp_rem_partition(t->region), bucket);
        json_object_set_new(params, "LogDestination", json_string(arn));
        free(arn);
        snprintf(summary, sizeof(summary), "create a %s flow log for VPC %s to S3 bucket %s",
                 traffic, vpc, bucket);
    } else {
        const char *group = pp_rem_arg(t, "log_group", "parapet-vpc-flow-logs");
        const char *role = pp_rem_arg(t, "role", "parapet-vpc-flow-logs");
        dep = pp_rem_plan_log_group(p, t, "create-flow-logs", group, role,
                                    "vpc-flow-logs.amazonaws.com", t->region);
        const json_t *lt = json_object_get(pp_rem_step_get(p, dep), "target");
        json_object_set_new(params, "LogGroupName", json_string(group));
        json_object_set_new(params, "DeliverLogsPermissionArn",
                            json_string(pp_rem_str(lt, "role_arn")));
        snprintf(summary, sizeof(summary), "create a %s flow log for VPC %s to log group %s",
                 traffic, vpc, group);
    }
    json_t *step = pp_rem_step(p, t, "create-flow-logs", id, '+', NULL, "%s", summary);
    if (dep)
        pp_rem_depends(step, dep);
    json_t *c = pp_rem_call(step, "ec2", "CreateFlowLogs", t->region, params);
    pp_rem_call_token(c, "ClientToken");
    pp_rem_call_output(c, "FlowLogId", "FlowLogIds[0]");
    pp_rem_undo(step, "ec2", "DeleteFlowLogs", t->region,
                json_pack("{s:[o]}", "FlowLogId", pp_rem_ref(id, "FlowLogId")));
    pp_rem_step_arg(step, "vpc", json_string(vpc));
    pp_rem_step_arg(step, "traffic_type", json_string(traffic));
    return 0;
}

/* A flow log on the VPC that captures what the step would (ALL covers everything) is enough. */
static int check(pp_rem_check *c)
{
    const json_t *target = json_object_get(c->step, "target");
    const char *vpc = pp_rem_str(target, "vpc");
    const char *traffic = pp_rem_str(target, "traffic_type");
    json_t *call = json_array_get(c->calls, 0);
    json_t *data = NULL;
    char *code = NULL;
    json_t *in = json_pack("{s:[{s:s, s:[s]}]}", "Filter", "Name", "resource-id", "Value", vpc);
    int rc =
        pp_rem_read(c, "ec2", "DescribeFlowLogs", pp_rem_str(call, "region"), in, &data, &code);
    json_decref(in);
    free(code);
    if (rc)
        return rc;
    size_t i;
    json_t *fl;
    json_array_foreach(json_object_get(data, "FlowLogs"), i, fl)
    {
        const char *tt = pp_rem_str(fl, "TrafficType");
        if (pp_str_eq(tt, "ALL") || pp_str_eq(tt, traffic)) {
            if (pp_rem_str(fl, "FlowLogId"))
                json_object_set_new(c->outputs, "FlowLogId",
                                    json_string(pp_rem_str(fl, "FlowLogId")));
            pp_rem_check_unneeded(c, "already in the desired state: flow log %s captures %s",
                                  pp_rem_str(fl, "FlowLogId"), tt);
            break;
        }
    }
    json_decref(data);
    if (!c->unneeded) {
        /* the VPC may be gone */
        in = json_pack("{s:[s]}", "VpcId", vpc);
        rc = pp_rem_read(c, "ec2", "DescribeVpcs", pp_rem_str(call, "region"), in, &data, &code);
        json_decref(in);
        if (rc && pp_str_eq(code, "InvalidVpcID.NotFound")) {
            pp_rem_check_unneeded(c, "VPC %s is already gone", vpc);
            rc = 0;
        }
        free(code);
        json_decref(data);
    }
    return rc;
}

static const char *const ops[] = {"ec2:DescribeFlowLogs", "ec2:DescribeVpcs", "ec2:CreateFlowLogs",
                                  PP_REM_OPS_LOG_GROUP,   PP_REM_OPS_BUCKET,  NULL};
static const char *const extra[] = {"iam:PassRole", "ec2:CreateTags", NULL};

const pp_rem_action pp_rem_action_create_flow_logs = {
    .name = "create-flow-logs",
    .type = "AWS::EC2::VPC",
    .ops = ops,
    .extra_permissions = extra,
    .plan = plan,
    .check = check,
};
