/* enable-config (account/region existence rule, CIS 3.3 "AWS Config is enabled in all regions"):
 * PutConfigurationRecorder recording all supported types (global types only in the home region:
 * home_region, default us-east-1 when scanned, else the first region scanned), PutDeliveryChannel
 * to a bucket (bucket; default ACCOUNT-parapet-config, created with Config's bucket policy when the
 * snapshot does not have it), StartConfigurationRecorder. The recorder assumes `role` (an ARN) or
 * Config's service-linked role, created when missing. An existing recorder or channel in the
 * region keeps its name (a region holds one of each). */
#include "../rem_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int plan(pp_rem_planner *p, const pp_rem_target *t)
{
    const char *region = t->region;
    if (!region || strcmp(region, "global") == 0) {
        pp_rem_no_action(p, t, "enable-config needs a finding per region");
        return 0;
    }
    char id[256];
    snprintf(id, sizeof(id), "enable-config:%s/%s", t->account, region);
    if (pp_rem_step_get(p, id)) {
        pp_rem_step(p, t, "enable-config", id, '+', NULL, "x");
        return 0;
    }
    char *home = pp_rem_home_region(p, t);
    const char *part = pp_rem_partition(region);
    const pp_resource *rec = NULL;
    size_t n = 0;
    pp_resource *const *v =
        pp_inventory_of_type(p->o->inv, "AWS::Config::ConfigurationRecorder", &n);
    for (size_t i = 0; i < n && !rec; i++)
        if (pp_str_eq(v[i]->account, t->account) && pp_str_eq(v[i]->region, region))
            rec = v[i];
    const pp_resource *chan = NULL;
    v = pp_inventory_of_type(p->o->inv, "AWS::Config::DeliveryChannel", &n);
    const char *other_bucket = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!pp_str_eq(v[i]->account, t->account))
            continue;
        if (pp_str_eq(v[i]->region, region))
            chan = v[i];
        else if (!other_bucket)
            other_bucket = pp_rem_str(v[i]->doc, "s3BucketName");
    }
    const char *rec_name = rec ? pp_rem_str(rec->doc, "name") : NULL;
    if (!rec_name)
        rec_name = "default";
    const char *role = pp_rem_arg(t, "role", rec ? pp_rem_str(rec->doc, "roleARN") : NULL);
    char *slr = NULL;
    const char *role_step = NULL;
    if (!role) {
        slr = pp_xasprintf("arn:%s:iam::%s:role/aws-service-role/config.amazonaws.com/"
                           "AWSServiceRoleForConfig",
                           part, t->account);
        role = slr;
        char rid[128];
        snprintf(rid, sizeof(rid), "config-service-role:%s", t->account);
        bool is_new = false;
        json_t *rs =
            pp_rem_step(p, t, "enable-config", rid, '+', &is_new,
                        "create AWS Config's service-linked role in account %s", t->account);
        role_step = json_string_value(json_object_get(rs, "id"));
        if (is_new) {
            json_object_set_new(rs, "kind", json_string("service-linked-role"));
            json_object_set_new(rs, "resource",
                                json_pack("{s:s, s:s, s:s, s:s}", "type", "AWS::IAM::Role", "id",
                                          "AWSServiceRoleForConfig", "account", t->account,
                                          "region", "global"));
            json_t *c = pp_rem_call(rs, "iam", "CreateServiceLinkedRole", NULL,
                                    json_pack("{s:s}", "AWSServiceName", "config.amazonaws.com"));
            pp_rem_call_ok_codes(c, "InvalidInput,EntityAlreadyExists");
            pp_rem_undo(rs, "iam", "DeleteServiceLinkedRole", NULL,
                        json_pack("{s:s}", "RoleName", "AWSServiceRoleForConfig"));
        }
    }
    const char *bucket_step = NULL;
    char dflt[160];
    snprintf(dflt, sizeof(dflt), "%s-parapet-config", t->account);
    const char *bucket = pp_rem_arg(t, "bucket", other_bucket ? other_bucket : dflt);
    if (!chan && !pp_rem_find(p, "AWS::S3::Bucket", t->account, NULL, NULL, bucket))
        bucket_step = pp_rem_plan_bucket(p, t, "enable-config", bucket, home, "config");
    bool global = strcmp(region, home) == 0;
    json_t *step = pp_rem_step(p, t, "enable-config", id, '+', NULL,
                               "record every supported resource type%s with AWS Config in %s, "
                               "delivering to %s",
                               global ? " (and global types)" : "", region,
                               chan ? "the existing channel" : bucket);
    if (role_step)
        pp_rem_depends(step, role_step);
    if (bucket_step)
        pp_rem_depends(step, bucket_step);
    pp_rem_call(step, "config", "PutConfigurationRecorder", region,
                json_pack("{s:{s:s, s:s, s:{s:b, s:b}}}", "ConfigurationRecorder", "name", rec_name,
                          "roleARN", role, "recordingGroup", "allSupported", 1,
                          "includeGlobalResourceTypes", global));
    if (!chan)
        pp_rem_call(step, "config", "PutDeliveryChannel", region,
                    json_pack("{s:{s:s, s:s}}", "DeliveryChannel", "name", "default",
                              "s3BucketName", bucket));
    pp_rem_call(step, "config", "StartConfigurationRecorder", region,
                json_pack("{s:s}", "ConfigurationRecorderName", rec_name));
    pp_rem_undo(step, "config", "StopConfigurationRecorder", region,
                json_pack("{s:s}", "ConfigurationRecorderName", rec_name));
    pp_rem_step_arg(step, "region", json_string(region));
    pp_rem_step_arg(step, "recorder", json_string(rec_name));
    free(slr);
    free(home);
    return 0;
}

static int check(pp_rem_check *c)
{
    /* the service-linked role step: CreateServiceLinkedRole says when it exists already */
    if (pp_str_eq(pp_rem_str(c->step, "kind"), "service-linked-role"))
        return 0;
    const json_t *target = json_object_get(c->step, "target");
    const char *region = pp_rem_str(target, "region");
    json_t *data = NULL;
    char *code = NULL;
    int rc =
        pp_rem_read(c, "config", "DescribeConfigurationRecorderStatus", region, NULL, &data, &code);
    free(code);
    if (rc)
        return rc;
    bool recording = false;
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(data, "ConfigurationRecordersStatus"), i, s)
    {
        if (json_is_true(json_object_get(s, "recording")))
            recording = true;
    }
    json_decref(data);
    rc = pp_rem_read(c, "config", "DescribeDeliveryChannels", region, NULL, &data, &code);
    free(code);
    if (rc)
        return rc;
    bool channel = json_array_size(json_object_get(data, "DeliveryChannels")) > 0;
    json_decref(data);
    if (channel)
        pp_rem_check_drop(c, "PutDeliveryChannel");
    if (recording && channel)
        pp_rem_check_unneeded(c, "already in the desired state: Config is recording in %s", region);
    return 0;
}

static const char *const ops[] = {"config:DescribeConfigurationRecorderStatus",
                                  "config:DescribeDeliveryChannels",
                                  "config:PutConfigurationRecorder",
                                  "config:PutDeliveryChannel",
                                  "config:StartConfigurationRecorder",
                                  "iam:CreateServiceLinkedRole",
                                  PP_REM_OPS_BUCKET,
                                  NULL};
static const char *const extra[] = {"iam:PassRole", NULL};

const pp_rem_action pp_rem_action_enable_config = {
    .name = "enable-config",
    .ops = ops,
    .extra_permissions = extra,
    .plan = plan,
    .check = check,
};
