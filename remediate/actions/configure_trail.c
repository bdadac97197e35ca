/* configure-trail (AWS::CloudTrail::Trail): UpdateTrail with what the FAILs ask for - multi-region
 * (multi_region), log file validation (log_validation), a KMS key (kms_key: an alias, an ARN, or
 * "create" for a new rotating key), CloudWatch Logs delivery (cloudwatch_logs_group: a group name
 * or "create") - then StartLogging. Several findings on one trail make one step. */
#include "../rem_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRAIL_LOG_GROUP "parapet-cloudtrail"
#define TRAIL_LOG_ROLE  "parapet-cloudtrail-logs"
#define TRAIL_KEY_ALIAS "alias/parapet-cloudtrail"

static void set_want(json_t *step, const char *key, json_t *v)
{
    json_t *target = json_object_get(step, "target");
    json_t *want = json_object_get(target, "want");
    json_object_set_new(want, key, v);
}

static int plan(pp_rem_planner *p, const pp_rem_target *t)
{
    const json_t *doc = t->res ? t->res->doc : NULL;
    const char *name = t->f->res_id;
    const char *arn = t->res && t->res->arn ? t->res->arn : name;
    const char *home = pp_rem_str(doc, "HomeRegion");
    /* calls go to the home region, where the name is unique (moto refuses an ARN there) */
    const char *call_name = pp_rem_str(doc, "Name") ? pp_rem_str(doc, "Name") : name;
    const char *region = home ? home : t->region;
    char id[512];
    snprintf(id, sizeof(id), "configure-trail:%s", arn);
    bool is_new = false;
    json_t *step = pp_rem_step(p, t, "configure-trail", id, '~', &is_new, "x");
    const char *sid = json_string_value(json_object_get(step, "id"));
    if (is_new) {
        pp_rem_call(step, "cloudtrail", "UpdateTrail", region,
                    json_pack("{s:s}", "Name", call_name));
        pp_rem_call(step, "cloudtrail", "StartLogging", region,
                    json_pack("{s:s}", "Name", call_name));
        pp_rem_step_arg(step, "trail", json_string(call_name));
        pp_rem_step_arg(step, "region", json_string(region));
        pp_rem_step_arg(step, "want", json_object());
        /* undo: the settings as the scan saw them ("" turns encryption or delivery off) */
        json_t *undo = json_pack("{s:s}", "Name", call_name);
        json_object_set_new(undo, "IsMultiRegionTrail",
                            json_boolean(json_is_true(json_object_get(doc, "IsMultiRegionTrail"))));
        json_object_set_new(
            undo, "EnableLogFileValidation",
            json_boolean(json_is_true(json_object_get(doc, "LogFileValidationEnabled"))));
        const char *kms = pp_rem_str(doc, "KmsKeyId");
        json_object_set_new(undo, "KmsKeyId", json_string(kms ? kms : ""));
        const char *cwl = pp_rem_str(doc, "CloudWatchLogsLogGroupArn");
        json_object_set_new(undo, "CloudWatchLogsLogGroupArn", json_string(cwl ? cwl : ""));
        const char *cwr = pp_rem_str(doc, "CloudWatchLogsRoleArn");
        json_object_set_new(undo, "CloudWatchLogsRoleArn", json_string(cwr ? cwr : ""));
        pp_rem_undo(step, "cloudtrail", "UpdateTrail", region, undo);
        if (!json_is_true(pp_rem_path(doc, "Status.IsLogging")))
            pp_rem_undo(step, "cloudtrail", "StopLogging", region,
                        json_pack("{s:s}", "Name", call_name));
    }
    json_t *params = json_object_get(json_array_get(json_object_get(step, "calls"), 0), "params");
    if (pp_rem_arg_bool(t, "multi_region", false)) {
        json_object_set_new(params, "IsMultiRegionTrail", json_true());
        json_object_set_new(params, "IncludeGlobalServiceEvents", json_true());
        set_want(step, "IsMultiRegionTrail", json_true());
    }
    if (pp_rem_arg_bool(t, "log_validation", false)) {
        json_object_set_new(params, "EnableLogFileValidation", json_true());
        set_want(step, "LogFileValidationEnabled", json_true());
    }
    const char *kms = pp_rem_arg(t, "kms_key", NULL);
    if (kms && !json_object_get(params, "KmsKeyId")) {
        if (strcmp(kms, "create") == 0) {
            const char *key =
                pp_rem_plan_logs_key(p, t, "configure-trail", TRAIL_KEY_ALIAS, region);
            step = pp_rem_step_get(p, id);
            pp_rem_depends(step, key);
            json_object_set_new(params, "KmsKeyId", pp_rem_ref(key, "KeyArn"));
        } else {
            json_object_set_new(params, "KmsKeyId", json_string(kms));
        }
        set_want(step, "KmsKeyId", json_true());
    }
    const char *cwl = pp_rem_arg(t, "cloudwatch_logs_group", NULL);
    if (cwl && !json_object_get(params, "CloudWatchLogsLogGroupArn")) {
        const char *group = strcmp(cwl, "create") == 0 ? TRAIL_LOG_GROUP : cwl;
        const char *role = pp_rem_arg(t, "cloudwatch_logs_role", TRAIL_LOG_ROLE);
        const char *lg = pp_rem_plan_log_group(p, t, "configure-trail", group, role,
                                               "cloudtrail.amazonaws.com", region);
        step = pp_rem_step_get(p, id);
        pp_rem_depends(step, lg);
        const json_t *lt = json_object_get(pp_rem_step_get(p, lg), "target");
        json_object_set_new(params, "CloudWatchLogsLogGroupArn",
                            json_string(pp_rem_str(lt, "group_arn")));
        json_object_set_new(params, "CloudWatchLogsRoleArn",
                            json_string(pp_rem_str(lt, "role_arn")));
        set_want(step, "CloudWatchLogsLogGroupArn", json_true());
        pp_rem_step_arg(step, "log_group", json_string(group));
        pp_rem_step_arg(step, "log_region", json_string(region));
    }
    /* alarms (CIS 4.x) need the log group of a multi-region trail */
    bool multi = json_is_true(json_object_get(doc, "IsMultiRegionTrail")) ||
                 json_is_true(json_object_get(params, "IsMultiRegionTrail"));
    const json_t *target = json_object_get(step, "target");
    char key[160];
    snprintf(key, sizeof(key), "trail-log-group:%s", t->account);
    if (multi && pp_rem_str(target, "log_group") && !pp_rem_provider(p, key))
        pp_rem_provide(p, key, sid);
    pp_buf b;
    pp_buf_init(&b, 512);
    const char *k;
    json_t *v;
    size_t n = 0;
    json_object_foreach(json_object_get(target, "want"), k, v)
    {
        const char *what = strcmp(k, "IsMultiRegionTrail") == 0         ? "multi-region"
                           : strcmp(k, "LogFileValidationEnabled") == 0 ? "log file validation"
                           : strcmp(k, "KmsKeyId") == 0                 ? "KMS encryption"
                                                                        : "CloudWatch Logs";
        pp_buf_printf(&b, "%s%s", n++ ? ", " : "", what);
    }
    pp_rem_step_set_summary(step, "update trail %s: %s; start logging", name,
                            n ? pp_buf_cstr(&b) : "no setting changes");
    pp_buf_free(&b);
    return 0;
}

static int check(pp_rem_check *c)
{
    const json_t *target = json_object_get(c->step, "target");
    const char *trail = pp_rem_str(target, "trail");
    const char *region = pp_rem_str(target, "region");
    json_t *doc = NULL;
    int rc = pp_rem_read_trail(c, trail, region, &doc);
    if (rc)
        return rc;
    if (!doc) {
        pp_rem_check_unneeded(c, "trail %s is already gone", trail);
        return 0;
    }
    bool all = true;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(target, "want"), k, v)
    {
        const json_t *have = json_object_get(doc, k);
        if (json_is_boolean(v) && strcmp(k, "KmsKeyId") && strcmp(k, "CloudWatchLogsLogGroupArn"))
            all = all && json_is_true(have);
        else
            all = all && json_is_string(have) && json_string_length(have) > 0;
    }
    json_decref(doc);
    if (all)
        pp_rem_check_drop(c, "UpdateTrail");
    json_t *data = NULL;
    char *code = NULL;
    json_t *in = json_pack("{s:s}", "Name", trail);
    rc = pp_rem_read(c, "cloudtrail", "GetTrailStatus", region, in, &data, &code);
    json_decref(in);
    free(code);
    if (rc)
        return rc;
    if (json_is_true(json_object_get(data, "IsLogging")))
        pp_rem_check_drop(c, "StartLogging");
    json_decref(data);
    if (json_array_size(c->calls) == 0)
        pp_rem_check_unneeded(c, "already in the desired state: the trail has these settings and "
                                 "is logging");
    return 0;
}

static const char *const ops[] = {"cloudtrail:DescribeTrails",
                                  "cloudtrail:GetTrailStatus",
                                  "cloudtrail:UpdateTrail",
                                  "cloudtrail:StartLogging",
                                  PP_REM_OPS_KEY,
                                  PP_REM_OPS_LOG_GROUP,
                                  NULL};
static const char *const extra[] = {"iam:PassRole", NULL};

const pp_rem_action pp_rem_action_configure_trail = {
    .name = "configure-trail",
    .type = "AWS::CloudTrail::Trail",
    .ops = ops,
    .extra_permissions = extra,
    .plan = plan,
    .check = check,
};
