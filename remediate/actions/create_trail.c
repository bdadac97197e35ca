/* create-trail (account existence rule, CIS 3.1 and friends): a multi-region trail with log file
 * validation, KMS encryption and CloudWatch Logs delivery, writing to a log bucket with the
 * CloudTrail bucket policy, then StartLogging. Arguments: name (parapet-trail), bucket
 * (ACCOUNT-parapet-cloudtrail), kms_key ("create", an alias or an ARN), cloudwatch_logs_group
 * ("create" or a name), home_region. What the snapshot already has is used, the rest is planned
 * as steps of its own before the trail. */
#include "../rem_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int plan(pp_rem_planner *p, const pp_rem_target *t)
{
    const char *name = pp_rem_arg(t, "name", "parapet-trail");
    char id[300];
    snprintf(id, sizeof(id), "create-trail:%s/%s", t->account, name);
    if (pp_rem_step_get(p, id)) {
        pp_rem_step(p, t, "create-trail", id, '+', NULL, "x");
        return 0;
    }
    char *home = pp_rem_home_region(p, t);
    char dflt[160];
    snprintf(dflt, sizeof(dflt), "%s-parapet-cloudtrail", t->account);
    const char *bucket = pp_rem_arg(t, "bucket", dflt);
    const char *kms = pp_rem_arg(t, "kms_key", "create");
    const char *cwl = pp_rem_arg(t, "cloudwatch_logs_group", "create");
    const char *group = strcmp(cwl, "create") == 0 ? "parapet-cloudtrail" : cwl;
    const char *role = pp_rem_arg(t, "cloudwatch_logs_role", "parapet-cloudtrail-logs");
    const char *bucket_step = NULL, *key_step = NULL, *lg_step = NULL;
    if (!pp_rem_find(p, "AWS::S3::Bucket", t->account, NULL, NULL, bucket)) {
        bucket_step = pp_rem_plan_bucket(p, t, "create-trail", bucket, home, "cloudtrail");
        /* CIS 3.4 wants the trail's bucket access-logged: to the target other buckets of this
         * plan log to, else to access_log_bucket (created when missing) */
        char lkey[160], dflt_target[160];
        snprintf(lkey, sizeof(lkey), "access-log-target:%s", t->account);
        snprintf(dflt_target, sizeof(dflt_target), "%s-parapet-access-logs-%s", t->account, home);
        const json_t *lt = json_object_get(pp_rem_step_get(p, pp_rem_provider(p, lkey)), "target");
        const char *target = pp_rem_str(lt, "target_bucket");
        const char *target_step = pp_rem_str(lt, "target_step");
        if (!target) {
            target = pp_rem_arg(t, "access_log_bucket", dflt_target);
            if (!pp_rem_find(p, "AWS::S3::Bucket", t->account, NULL, NULL, target))
                target_step = pp_rem_plan_bucket(p, t, "create-trail", target, home, "s3-logging");
        }
        if (strcmp(target, bucket) != 0)
            pp_rem_bucket_logging(p, bucket_step, bucket, target, target_step);
    }
    if (strcmp(kms, "create") == 0)
        key_step = pp_rem_plan_logs_key(p, t, "create-trail", "alias/parapet-cloudtrail", home);
    lg_step =
        pp_rem_plan_log_group(p, t, "create-trail", group, role, "cloudtrail.amazonaws.com", home);
    const json_t *lt = json_object_get(pp_rem_step_get(p, lg_step), "target");
    json_t *step = pp_rem_step(p, t, "create-trail", id, '+', NULL,
                               "create multi-region trail %s (validation, KMS, CloudWatch Logs "
                               "group %s) logging to bucket %s, and start it",
                               name, group, bucket);
    json_object_set_new(step, "resource",
                        json_pack("{s:s, s:s, s:s, s:s}", "type", "AWS::CloudTrail::Trail", "id",
                                  name, "account", t->account, "region", home));
    if (bucket_step)
        pp_rem_depends(step, bucket_step);
    if (key_step)
        pp_rem_depends(step, key_step);
    pp_rem_depends(step, lg_step);
    json_t *params = json_pack(
        "{s:s, s:s, s:b, s:b, s:b, s:s, s:s, s:o}", "Name", name, "S3BucketName", bucket,
        "IsMultiRegionTrail", 1, "EnableLogFileValidation", 1, "IncludeGlobalServiceEvents", 1,
        "CloudWatchLogsLogGroupArn", pp_rem_str(lt, "group_arn"), "CloudWatchLogsRoleArn",
        pp_rem_str(lt, "role_arn"), "TagsList", pp_rem_tags(NULL, "Key", "Value"));
    json_object_set_new(params, "KmsKeyId",
                        key_step ? pp_rem_ref(key_step, "KeyArn") : json_string(kms));
    json_t *c = pp_rem_call(step, "cloudtrail", "CreateTrail", home, params);
    pp_rem_call_ok_codes(c, "TrailAlreadyExistsException");
    pp_rem_call(step, "cloudtrail", "StartLogging", home, json_pack("{s:s}", "Name", name));
    pp_rem_undo(step, "cloudtrail", "DeleteTrail", home, json_pack("{s:s}", "Name", name));
    pp_rem_step_arg(step, "trail", json_string(name));
    pp_rem_step_arg(step, "region", json_string(home));
    pp_rem_step_arg(step, "log_group", json_string(group));
    pp_rem_step_arg(step, "log_region", json_string(home));
    char key[160];
    snprintf(key, sizeof(key), "trail-log-group:%s", t->account);
    pp_rem_provide(p, key, json_string_value(json_object_get(step, "id")));
    free(home);
    return 0;
}

static int check(pp_rem_check *c)
{
    const json_t *target = json_object_get(c->step, "target");
    const char *trail = pp_rem_str(target, "trail");
    const char *region = pp_rem_str(target, "region");
    json_t *doc = NULL;
    int rc = pp_rem_read_trail(c, trail, region, &doc);
    if (rc || !doc)
        return rc;
    json_decref(doc);
    pp_rem_check_drop(c, "CreateTrail");
    json_t *data = NULL;
    char *code = NULL;
    json_t *in = json_pack("{s:s}", "Name", trail);
    rc = pp_rem_read(c, "cloudtrail", "GetTrailStatus", region, in, &data, &code);
    json_decref(in);
    free(code);
    if (rc)
        return rc;
    if (json_is_true(json_object_get(data, "IsLogging")))
        pp_rem_check_unneeded(c, "already in the desired state: trail %s exists and logs", trail);
    json_decref(data);
    return 0;
}

static const char *const ops[] = {"cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus",
                                  "cloudtrail:CreateTrail",    "cloudtrail:StartLogging",
                                  PP_REM_OPS_BUCKET,           PP_REM_OPS_KEY,
                                  PP_REM_OPS_LOG_GROUP,        NULL};
static const char *const extra[] = {"iam:PassRole", "cloudtrail:AddTags", NULL};

const pp_rem_action pp_rem_action_create_trail = {
    .name = "create-trail",
    .ops = ops,
    .extra_permissions = extra,
    .plan = plan,
    .check = check,
};
