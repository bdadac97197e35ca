/* Building blocks several actions plan, and small JSON helpers. A block is one step that creates
 * something other steps use: a log bucket with the policy its writer needs, a KMS key for logs, a
 * CloudWatch Logs group with the role a service delivers through, an SNS topic. Each is planned
 * once per plan (its id names what it creates) and re-read by pp_rem_common_check() before it
 * runs, so an interrupted apply adopts what it already made. */
#include "rem_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON helpers ---------------------------------------------------------------------------- */

const char *pp_rem_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

json_t *pp_rem_path(const json_t *v, const char *path)
{
    if (!path)
        return NULL;
    const char *p = path;
    json_t *cur = (json_t *)v;
    while (cur && *p) {
        if (*p == '.') {
            p++;
            continue;
        }
        if (*p == '[') {
            char *end = NULL;
            long idx = strtol(p + 1, &end, 10);
            if (!end || *end != ']' || !json_is_array(cur))
                return NULL;
            cur = json_array_get(cur, (size_t)idx);
            p = end + 1;
            continue;
        }
        size_t n = strcspn(p, ".[");
        char key[256];
        if (n >= sizeof(key) || !json_is_object(cur))
            return NULL;
        memcpy(key, p, n);
        key[n] = '\0';
        cur = json_object_get(cur, key);
        p += n;
    }
    return cur;
}

json_t *pp_rem_tags(const char *component, const char *key_name, const char *value_name)
{
    json_t *a = json_array();
    json_array_append_new(
        a, json_pack("{s:s, s:s}", key_name, PP_REM_TAG_MANAGED, value_name, "true"));
    if (component)
        json_array_append_new(
            a, json_pack("{s:s, s:s}", key_name, PP_REM_TAG_COMPONENT, value_name, component));
    return a;
}

json_t *pp_rem_ec2_tag_spec(const char *resource_type, const char *component, const char *name)
{
    json_t *tags = pp_rem_tags(component, "Key", "Value");
    if (name)
        json_array_append_new(tags, json_pack("{s:s, s:s}", "Key", "Name", "Value", name));
    return json_pack("[{s:s, s:o}]", "ResourceType", resource_type, "Tag", tags);
}

const char *pp_rem_partition(const char *region)
{
    if (region && pp_str_startswith(region, "cn-"))
        return "aws-cn";
    if (region && pp_str_startswith(region, "us-gov-"))
        return "aws-us-gov";
    return "aws";
}

const char *pp_rem_call_region(const char *region)
{
    if (!region || !*region || strcmp(region, "global") == 0)
        return NULL;
    return region;
}

const char *pp_rem_arg(const pp_rem_target *t, const char *key, const char *dflt)
{
    const char *v = t ? json_string_value(json_object_get(t->args, key)) : NULL;
    return v && *v ? v : dflt;
}

bool pp_rem_arg_bool(const pp_rem_target *t, const char *key, bool dflt)
{
    const json_t *v = t ? json_object_get(t->args, key) : NULL;
    if (json_is_boolean(v))
        return json_is_true(v);
    if (json_is_string(v))
        return strcmp(json_string_value(v), "true") == 0;
    return dflt;
}

bool pp_rem_log_group_arn_parse(const char *arn, char *name, size_t nlen, char *region, size_t rlen)
{
    if (!arn || !pp_str_startswith(arn, "arn:"))
        return false;
    const char *p = arn;
    for (int i = 0; i < 3 && p; i++)
        p = strchr(p + 1, ':');
    if (!p)
        return false;
    const char *r = p + 1, *re = strchr(r, ':');
    const char *lg = strstr(arn, ":log-group:");
    if (!re || !lg)
        return false;
    snprintf(region, rlen, "%.*s", (int)(re - r), r);
    const char *n = lg + strlen(":log-group:");
    size_t len = strcspn(n, ":");
    snprintf(name, nlen, "%.*s", (int)len, n);
    return len > 0;
}

static char *dump(json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(v);
    return s;
}

/* ---- log bucket ---------------------------------------------------------------------------------
 */

/* The bucket policy a log writer needs (CloudTrail, Config, S3 server access logging), with
 * TLS-only access for everyone. */
static json_t *bucket_policy(const char *bucket, const char *account, const char *region,
                             const char *purpose)
{
    const char *part = pp_rem_partition(region);
    char *arn = pp_xasprintf("arn:%s:s3:::%s", part, bucket);
    char *objects = pp_xasprintf("arn:%s:s3:::%s/*", part, bucket);
    json_t *st = json_array();
    const char *principal = strcmp(purpose, "config") == 0       ? "config.amazonaws.com"
                            : strcmp(purpose, "s3-logging") == 0 ? "logging.s3.amazonaws.com"
                                                                 : "cloudtrail.amazonaws.com";
    if (strcmp(purpose, "s3-logging") != 0)
        json_array_append_new(st, json_pack("{s:s, s:s, s:{s:s}, s:s, s:s}", "Sid", "AclCheck",
                                            "Effect", "Allow", "Principal", "Service", principal,
                                            "Action", "s3:GetBucketAcl", "Resource", arn));
    char *write_res = strcmp(purpose, "s3-logging") == 0
                          ? pp_xstrdup(objects)
                          : pp_xasprintf("arn:%s:s3:::%s/AWSLogs/%s/*", part, bucket, account);
    json_t *write =
        json_pack("{s:s, s:s, s:{s:s}, s:s, s:s}", "Sid", "Write", "Effect", "Allow", "Principal",
                  "Service", principal, "Action", "s3:PutObject", "Resource", write_res);
    if (strcmp(purpose, "s3-logging") != 0)
        json_object_set_new(
            write, "Condition",
            json_pack("{s:{s:s}}", "StringEquals", "s3:x-amz-acl", "bucket-owner-full-control"));
    else
        json_object_set_new(write, "Condition",
                            json_pack("{s:{s:s}}", "StringEquals", "aws:SourceAccount", account));
    json_array_append_new(st, write);
    json_array_append_new(st, json_pack("{s:s, s:s, s:s, s:s, s:[s, s], s:{s:{s:s}}}", "Sid",
                                        "TlsOnly", "Effect", "Deny", "Principal", "*", "Action",
                                        "s3:*", "Resource", arn, objects, "Condition", "Bool",
                                        "aws:SecureTransport", "false"));
    free(arn);
    free(objects);
    free(write_res);
    return json_pack("{s:s, s:o}", "Version", "2012-10-17", "Statement", st);
}

const char *pp_rem_plan_bucket(pp_rem_planner *p, const pp_rem_target *t, const char *action,
                               const char *bucket, const char *region, const char *purpose)
{
    char id[300];
    snprintf(id, sizeof(id), "bucket:%s", bucket);
    bool is_new = false;
    json_t *step = pp_rem_step(p, t, action, id, '+', &is_new,
                               "create S3 bucket %s for %s logs (encrypted, private, tagged)",
                               bucket, purpose);
    const char *sid = json_string_value(json_object_get(step, "id"));
    if (!is_new)
        return sid;
    json_object_set_new(step, "kind", json_string("bucket"));
    json_object_set_new(step, "resource",
                        json_pack("{s:s, s:s, s:s, s:s}", "type", "AWS::S3::Bucket", "id", bucket,
                                  "account", t->account, "region", "global"));
    json_t *create = json_pack("{s:s}", "Bucket", bucket);
    if (region && strcmp(region, "us-east-1") != 0) {
        char *xml = pp_xasprintf("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/"
                                 "2006-03-01/\"><LocationConstraint>%s</LocationConstraint>"
                                 "</CreateBucketConfiguration>",
                                 region);
        json_object_set_new(create, "$body", json_string(xml));
        free(xml);
    }
    json_t *c = pp_rem_call(step, "s3", "CreateBucket", region, create);
    pp_rem_call_ok_codes(c, "BucketAlreadyOwnedByYou");
    pp_rem_call(step, "s3", "PutBucketTagging", region,
                json_pack("{s:s, s:s}", "Bucket", bucket, "$body",
                          "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>"
                          "<Tag><Key>" PP_REM_TAG_MANAGED "</Key><Value>true</Value></Tag>"
                          "</TagSet></Tagging>"));
    pp_rem_call(step, "s3", "PutPublicAccessBlock", region,
                json_pack("{s:s, s:s}", "Bucket", bucket, "$body",
                          "<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/"
                          "2006-03-01/\"><BlockPublicAcls>true</BlockPublicAcls>"
                          "<IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true"
                          "</BlockPublicPolicy><RestrictPublicBuckets>true"
                          "</RestrictPublicBuckets></PublicAccessBlockConfiguration>"));
    char *policy = dump(bucket_policy(bucket, t->account, region, purpose));
    pp_rem_call(step, "s3", "PutBucketPolicy", region,
                json_pack("{s:s, s:s}", "Bucket", bucket, "$body", policy));
    free(policy);
    pp_rem_step_arg(step, "bucket", json_string(bucket));
    pp_rem_step_arg(step, "region", json_string(region ? region : "us-east-1"));
    pp_rem_undo(step, "s3", "DeleteBucket", region, json_pack("{s:s}", "Bucket", bucket));
    return sid;
}

void pp_rem_bucket_logging(pp_rem_planner *p, const char *bucket_step, const char *bucket,
                           const char *target, const char *target_step)
{
    json_t *step = pp_rem_step_get(p, bucket_step);
    const json_t *target_args = json_object_get(step, "target");
    if (!step || strpbrk(target, "<>&\"'") || strpbrk(bucket, "<>&\"'"))
        return;
    char *xml = pp_xasprintf("<BucketLoggingStatus xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/"
                             "\"><LoggingEnabled><TargetBucket>%s</TargetBucket><TargetPrefix>%s/"
                             "</TargetPrefix></LoggingEnabled></BucketLoggingStatus>",
                             target, bucket);
    pp_rem_call(step, "s3", "PutBucketLogging", pp_rem_str(target_args, "region"),
                json_pack("{s:s, s:s}", "Bucket", bucket, "$body", xml));
    free(xml);
    if (target_step)
        pp_rem_depends(step, target_step);
    const char *summary = pp_rem_str(step, "summary");
    char *s2 = pp_xasprintf("%s, access-logged to %s", summary ? summary : "", target);
    json_object_set_new(step, "summary", json_string(s2));
    free(s2);
}

/* ---- KMS key for logs
 * ----------------------------------------------------------------------------- */

static json_t *key_policy(const char *account, const char *region)
{
    const char *part = pp_rem_partition(region);
    char *root = pp_xasprintf("arn:%s:iam::%s:root", part, account);
    char *logs = pp_xasprintf("logs.%s.amazonaws.com", region ? region : "us-east-1");
    json_t *st = json_array();
    json_array_append_new(st, json_pack("{s:s, s:s, s:{s:s}, s:s, s:s}", "Sid", "AccountAdmin",
                                        "Effect", "Allow", "Principal", "AWS", root, "Action",
                                        "kms:*", "Resource", "*"));
    json_array_append_new(st, json_pack("{s:s, s:s, s:{s:[s, s]}, s:[s, s, s, s], s:s}", "Sid",
                                        "LogServices", "Effect", "Allow", "Principal", "Service",
                                        "cloudtrail.amazonaws.com", logs, "Action",
                                        "kms:GenerateDataKey*", "kms:Decrypt", "kms:Encrypt",
                                        "kms:DescribeKey", "Resource", "*"));
    free(root);
    free(logs);
    return json_pack("{s:s, s:o}", "Version", "2012-10-17", "Statement", st);
}

const char *pp_rem_plan_logs_key(pp_rem_planner *p, const pp_rem_target *t, const char *action,
                                 const char *alias, const char *region)
{
    char id[300];
    snprintf(id, sizeof(id), "kms-key:%s:%s", region ? region : "default", alias);
    bool is_new = false;
    json_t *step =
        pp_rem_step(p, t, action, id, '+', &is_new,
                    "create KMS key %s (rotating, for CloudTrail and CloudWatch Logs) in %s", alias,
                    region ? region : "the default region");
    const char *sid = json_string_value(json_object_get(step, "id"));
    if (!is_new)
        return sid;
    json_object_set_new(step, "kind", json_string("kms-key"));
    json_object_set_new(step, "resource",
                        json_pack("{s:s, s:s, s:s, s:s?}", "type", "AWS::KMS::Key", "id", alias,
                                  "account", t->account, "region", region));
    char *policy = dump(key_policy(t->account, region));
    json_t *c = pp_rem_call(step, "kms", "CreateKey", region,
                            json_pack("{s:s, s:s, s:s, s:s, s:o}", "Description",
                                      "parapet: encrypts log deliveries", "KeyUsage",
                                      "ENCRYPT_DECRYPT", "KeySpec", "SYMMETRIC_DEFAULT", "Policy",
                                      policy, "Tags", pp_rem_tags(NULL, "TagKey", "TagValue")));
    free(policy);
    pp_rem_call_output(c, "KeyId", "KeyMetadata.KeyId");
    pp_rem_call_output(c, "KeyArn", "KeyMetadata.Arn");
    pp_rem_call(
        step, "kms", "CreateAlias", region,
        json_pack("{s:s, s:o}", "AliasName", alias, "TargetKeyId", pp_rem_ref(sid, "KeyId")));
    pp_rem_call(step, "kms", "EnableKeyRotation", region,
                json_pack("{s:o}", "KeyId", pp_rem_ref(sid, "KeyId")));
    pp_rem_step_arg(step, "alias", json_string(alias));
    pp_rem_step_arg(step, "region", region ? json_string(region) : json_null());
    pp_rem_undo(
        step, "kms", "ScheduleKeyDeletion", region,
        json_pack("{s:o, s:i}", "KeyId", pp_rem_ref(sid, "KeyId"), "PendingWindowInDays", 30));
    return sid;
}

/* ---- CloudWatch Logs group and delivery role
 * ------------------------------------------------------- */

const char *pp_rem_plan_log_group(pp_rem_planner *p, const pp_rem_target *t, const char *action,
                                  const char *group, const char *role,
                                  const char *service_principal, const char *region)
{
    char id[400];
    snprintf(id, sizeof(id), "log-group:%s:%s", region ? region : "default", group);
    bool is_new = false;
    json_t *step =
        pp_rem_step(p, t, action, id, '+', &is_new,
                    "create CloudWatch Logs group %s and role %s for %s to deliver to it", group,
                    role, service_principal);
    const char *sid = json_string_value(json_object_get(step, "id"));
    if (!is_new)
        return sid;
    const char *part = pp_rem_partition(region);
    const char *reg = region ? region : "us-east-1";
    char *group_arn =
        pp_xasprintf("arn:%s:logs:%s:%s:log-group:%s:*", part, reg, t->account, group);
    char *role_arn = pp_xasprintf("arn:%s:iam::%s:role/%s", part, t->account, role);
    json_object_set_new(step, "kind", json_string("log-group"));
    json_object_set_new(step, "resource",
                        json_pack("{s:s, s:s, s:s, s:s?}", "type", "AWS::Logs::LogGroup", "id",
                                  group, "account", t->account, "region", region));
    json_t *c = pp_rem_call(
        step, "logs", "CreateLogGroup", region,
        json_pack("{s:s, s:{s:s}}", "logGroupName", group, "tags", PP_REM_TAG_MANAGED, "true"));
    pp_rem_call_ok_codes(c, "ResourceAlreadyExistsException");
    char *trust = dump(json_pack("{s:s, s:[{s:s, s:{s:s}, s:s}]}", "Version", "2012-10-17",
                                 "Statement", "Effect", "Allow", "Principal", "Service",
                                 service_principal, "Action", "sts:AssumeRole"));
    /* values sent by the query protocol carry no spaces: moto's auth mode re-encodes form bodies
     * with '+' and then rejects the signature of one that spelled a space %20 */
    c = pp_rem_call(step, "iam", "CreateRole", NULL,
                    json_pack("{s:s, s:s, s:s, s:o}", "RoleName", role, "AssumeRolePolicyDocument",
                              trust, "Description", "parapet-log-delivery", "Tags",
                              pp_rem_tags(NULL, "Key", "Value")));
    pp_rem_call_ok_codes(c, "EntityAlreadyExists");
    free(trust);
    char *policy =
        dump(json_pack("{s:s, s:[{s:s, s:[s, s, s], s:s}]}", "Version", "2012-10-17", "Statement",
                       "Effect", "Allow", "Action", "logs:CreateLogStream", "logs:PutLogEvents",
                       "logs:DescribeLogStreams", "Resource", group_arn));
    pp_rem_call(step, "iam", "PutRolePolicy", NULL,
                json_pack("{s:s, s:s, s:s}", "RoleName", role, "PolicyName", "deliver-logs",
                          "PolicyDocument", policy));
    free(policy);
    pp_rem_step_arg(step, "group", json_string(group));
    pp_rem_step_arg(step, "role", json_string(role));
    pp_rem_step_arg(step, "group_arn", json_string(group_arn));
    pp_rem_step_arg(step, "role_arn", json_string(role_arn));
    pp_rem_step_arg(step, "region", region ? json_string(region) : json_null());
    pp_rem_undo(step, "logs", "DeleteLogGroup", region, json_pack("{s:s}", "logGroupName", group));
    pp_rem_undo(step, "iam", "DeleteRolePolicy", NULL,
                json_pack("{s:s, s:s}", "RoleName", role, "PolicyName", "deliver-logs"));
    pp_rem_undo(step, "iam", "DeleteRole", NULL, json_pack("{s:s}", "RoleName", role));
    free(group_arn);
    free(role_arn);
    return sid;
}

/* ---- SNS topic
 * --------------------------------------------------------------------------------------- */

const char *pp_rem_plan_topic(pp_rem_planner *p, const pp_rem_target *t, const char *action,
                              const char *topic, const json_t *subscription, const char *region)
{
    char id[300];
    snprintf(id, sizeof(id), "sns-topic:%s:%s", region ? region : "default", topic);
    bool is_new = false;
    const char *proto = pp_rem_str(subscription, "protocol");
    const char *endpoint = pp_rem_str(subscription, "endpoint");
    json_t *step = pp_rem_step(p, t, action, id, '+', &is_new, "create SNS topic %s%s%s%s%s", topic,
                               proto && endpoint ? " with a " : "", proto && endpoint ? proto : "",
                               proto && endpoint ? " subscription to " : "",
                               proto && endpoint ? endpoint : "");
    const char *sid = json_string_value(json_object_get(step, "id"));
    if (!is_new)
        return sid;
    json_object_set_new(step, "kind", json_string("topic"));
    json_object_set_new(step, "resource",
                        json_pack("{s:s, s:s, s:s, s:s?}", "type", "AWS::SNS::Topic", "id", topic,
                                  "account", t->account, "region", region));
    json_t *c = pp_rem_call(
        step, "sns", "CreateTopic", region,
        json_pack("{s:s, s:o}", "Name", topic, "Tags", pp_rem_tags(NULL, "Key", "Value")));
    pp_rem_call_output(c, "TopicArn", "TopicArn");
    if (proto && endpoint)
        pp_rem_call(step, "sns", "Subscribe", region,
                    json_pack("{s:o, s:s, s:s}", "TopicArn", pp_rem_ref(sid, "TopicArn"),
                              "Protocol", proto, "Endpoint", endpoint));
    pp_rem_step_arg(step, "topic", json_string(topic));
    if (proto && endpoint)
        pp_rem_step_arg(step, "subscription",
                        json_pack("{s:s, s:s}", "protocol", proto, "endpoint", endpoint));
    pp_rem_undo(step, "sns", "DeleteTopic", region,
                json_pack("{s:o}", "TopicArn", pp_rem_ref(sid, "TopicArn")));
    return sid;
}

/* ---- checks of the common kinds
 * ----------------------------------------------------------------------- */

int pp_rem_check_bucket(pp_rem_check *c, const char *bucket, const char *region)
{
    json_t *data = NULL;
    char *code = NULL;
    json_t *in = json_pack("{s:s}", "Bucket", bucket);
    int rc = pp_rem_read(c, "s3", "GetBucketTagging", region, in, &data, &code);
    json_decref(in);
    if (rc == 0) {
        bool ours = false;
        size_t i;
        json_t *tag;
        json_array_foreach(json_object_get(data, "TagSet"), i, tag)
        {
            if (pp_str_eq(pp_rem_str(tag, "Key"), PP_REM_TAG_MANAGED))
                ours = true;
        }
        json_decref(data);
        if (!ours)
            pp_rem_check_unneeded(c, "bucket %s exists and is not parapet's: left as it is",
                                  bucket);
        else
            pp_rem_check_drop(c, "CreateBucket");
        free(code);
        return 0;
    }
    if (pp_str_eq(code, "NoSuchTagSet")) {
        /* exists without tags: someone else's (or our CreateBucket ran and nothing after it) */
        free(code);
        return 0;
    }
    if (pp_str_eq(code, "NoSuchBucket")) {
        free(code);
        return 0;
    }
    free(code);
    return rc;
}

int pp_rem_read_trail(pp_rem_check *c, const char *trail, const char *region, json_t **doc)
{
    *doc = NULL;
    json_t *data = NULL;
    char *code = NULL;
    json_t *in = json_pack("{s:[s], s:b}", "trailNameList", trail, "includeShadowTrails", 0);
    int rc = pp_rem_read(c, "cloudtrail", "DescribeTrails", region, in, &data, &code);
    json_decref(in);
    free(code);
    if (rc)
        return rc;
    /* some endpoints answer with every trail whatever the name list says: match the name */
    size_t i;
    json_t *tr;
    json_array_foreach(json_object_get(data, "trailList"), i, tr)
    {
        if (!*doc && (pp_str_eq(pp_rem_str(tr, "Name"), trail) ||
                      pp_str_eq(pp_rem_str(tr, "TrailARN"), trail)))
            *doc = json_incref(tr);
    }
    json_decref(data);
    return 0;
}

int pp_rem_check_key(pp_rem_check *c, const char *alias, const char *region)
{
    json_t *data = NULL;
    char *code = NULL;
    json_t *in = json_pack("{s:s}", "KeyId", alias);
    int rc = pp_rem_read(c, "kms", "DescribeKey", region, in, &data, &code);
    json_decref(in);
    if (rc == 0) {
        json_t *md = json_object_get(data, "KeyMetadata");
        if (pp_rem_str(md, "KeyId"))
            json_object_set_new(c->outputs, "KeyId", json_string(pp_rem_str(md, "KeyId")));
        if (pp_rem_str(md, "Arn"))
            json_object_set_new(c->outputs, "KeyArn", json_string(pp_rem_str(md, "Arn")));
        pp_rem_check_unneeded(c, "key %s already exists", alias);
        json_decref(data);
    } else if (pp_str_eq(code, "NotFoundException")) {
        rc = 0;
    }
    free(code);
    return rc;
}

static int check_log_group(pp_rem_check *c, const json_t *target)
{
    json_t *data = NULL;
    char *code = NULL;
    const char *group = pp_rem_str(target, "group");
    json_t *in = json_pack("{s:s}", "logGroupNamePrefix", group);
    int rc =
        pp_rem_read(c, "logs", "DescribeLogGroups", pp_rem_str(target, "region"), in, &data, &code);
    json_decref(in);
    free(code);
    if (rc)
        return rc;
    bool found = false;
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(data, "logGroups"), i, g)
    {
        if (pp_str_eq(pp_rem_str(g, "logGroupName"), group))
            found = true;
    }
    json_decref(data);
    if (found)
        pp_rem_check_drop(c, "CreateLogGroup");
    in = json_pack("{s:s}", "RoleName", pp_rem_str(target, "role"));
    rc = pp_rem_read(c, "iam", "GetRole", NULL, in, &data, &code);
    json_decref(in);
    if (rc == 0) {
        pp_rem_check_drop(c, "CreateRole");
        json_decref(data);
    } else if (pp_str_eq(code, "NoSuchEntity")) {
        rc = 0;
    }
    free(code);
    /* the role's policy is put again either way: it is one idempotent call */
    return rc;
}

int pp_rem_common_check(pp_rem_check *c)
{
    const char *kind = pp_rem_str(c->step, "kind");
    const json_t *target = json_object_get(c->step, "target");
    if (pp_str_eq(kind, "bucket"))
        return pp_rem_check_bucket(c, pp_rem_str(target, "bucket"), pp_rem_str(target, "region"));
    if (pp_str_eq(kind, "kms-key"))
        return pp_rem_check_key(c, pp_rem_str(target, "alias"), pp_rem_str(target, "region"));
    if (pp_str_eq(kind, "log-group"))
        return check_log_group(c, target);
    if (pp_str_eq(kind, "topic"))
        return 0; /* CreateTopic and Subscribe are idempotent and return the ARN */
    return 1;
}
