/* enable-bucket-logging (AWS::S3::Bucket): PutBucketLogging to a target bucket (target_bucket,
 * default ACCOUNT-parapet-access-logs-REGION, created with the logging service's permission when
 * the snapshot does not have it) under a prefix (prefix, default BUCKET/). */
#include "../rem_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool xml_safe(const char *s)
{
    return s && !strpbrk(s, "<>&\"'");
}

static int plan(pp_rem_planner *p, const pp_rem_target *t)
{
    const char *bucket = t->f->res_id;
    const char *loc = t->res ? pp_rem_str(t->res->doc, "LocationConstraint") : NULL;
    const char *region = loc && *loc ? loc : "us-east-1";
    if (pp_str_eq(region, "EU"))
        region = "eu-west-1";
    char dflt[160], prefix_d[300];
    snprintf(dflt, sizeof(dflt), "%s-parapet-access-logs-%s", t->account, region);
    snprintf(prefix_d, sizeof(prefix_d), "%s/", bucket);
    const char *target = pp_rem_arg(t, "target_bucket", dflt);
    const char *prefix = pp_rem_arg(t, "prefix", prefix_d);
    if (strcmp(target, bucket) == 0)
        return pp_err_set(PP_EINVAL, "rule %s: a bucket cannot log to itself", t->rule->id);
    if (!xml_safe(target) || !xml_safe(prefix) || !xml_safe(bucket))
        return pp_err_set(PP_EINVAL, "rule %s: bucket names and prefixes cannot hold < > & \" '",
                          t->rule->id);
    char id[300];
    snprintf(id, sizeof(id), "enable-bucket-logging:%s", bucket);
    if (pp_rem_step_get(p, id)) {
        pp_rem_step(p, t, "enable-bucket-logging", id, '~', NULL, "x");
        return 0;
    }
    const char *dep = NULL;
    if (!pp_rem_find(p, "AWS::S3::Bucket", t->account, NULL, NULL, target))
        dep = pp_rem_plan_bucket(p, t, "enable-bucket-logging", target, region, "s3-logging");
    json_t *step =
        pp_rem_step(p, t, "enable-bucket-logging", id, '~', NULL,
                    "turn on server access logging of bucket %s to %s/%s", bucket, target, prefix);
    if (dep)
        pp_rem_depends(step, dep);
    char *xml = pp_xasprintf("<BucketLoggingStatus xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/"
                             "\"><LoggingEnabled><TargetBucket>%s</TargetBucket><TargetPrefix>%s"
                             "</TargetPrefix></LoggingEnabled></BucketLoggingStatus>",
                             target, prefix);
    pp_rem_call(step, "s3", "PutBucketLogging", region,
                json_pack("{s:s, s:s}", "Bucket", bucket, "$body", xml));
    free(xml);
    pp_rem_undo(
        step, "s3", "PutBucketLogging", region,
        json_pack("{s:s, s:s}", "Bucket", bucket, "$body",
                  "<BucketLoggingStatus xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>"));
    pp_rem_step_arg(step, "bucket", json_string(bucket));
    pp_rem_step_arg(step, "region", json_string(region));
    /* log buckets this plan creates (a new trail's) log to the same target */
    pp_rem_step_arg(step, "target_bucket", json_string(target));
    if (dep)
        pp_rem_step_arg(step, "target_step", json_string(dep));
    char key[160];
    snprintf(key, sizeof(key), "access-log-target:%s", t->account);
    if (!pp_rem_provider(p, key))
        pp_rem_provide(p, key, id);
    return 0;
}

static int check(pp_rem_check *c)
{
    const json_t *target = json_object_get(c->step, "target");
    const char *bucket = pp_rem_str(target, "bucket");
    json_t *data = NULL;
    char *code = NULL;
    json_t *in = json_pack("{s:s}", "Bucket", bucket);
    int rc =
        pp_rem_read(c, "s3", "GetBucketLogging", pp_rem_str(target, "region"), in, &data, &code);
    json_decref(in);
    if (rc) {
        bool gone = pp_str_eq(code, "NoSuchBucket");
        free(code);
        if (gone)
            pp_rem_check_unneeded(c, "bucket %s is already gone", bucket);
        return gone ? 0 : rc;
    }
    if (pp_rem_str(json_object_get(data, "LoggingEnabled"), "TargetBucket"))
        pp_rem_check_unneeded(c, "already in the desired state: bucket %s logs to %s", bucket,
                              pp_rem_str(json_object_get(data, "LoggingEnabled"), "TargetBucket"));
    json_decref(data);
    return 0;
}

static const char *const ops[] = {"s3:GetBucketLogging", "s3:PutBucketLogging", PP_REM_OPS_BUCKET,
                                  NULL};

const pp_rem_action pp_rem_action_enable_bucket_logging = {
    .name = "enable-bucket-logging",
    .type = "AWS::S3::Bucket",
    .ops = ops,
    .plan = plan,
    .check = check,
};
