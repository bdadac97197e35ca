/* remediate: planning from findings (exactly the matched entries, one step per resource, the whole
 * password policy, risky and missing actions, the change cap), the checks a plan file must pass,
 * the rendering, provisioning from an architecture (templates, references, dependencies, what the
 * snapshot already has), architecture.yaml with an environment overlay, the generated IAM policy,
 * and the refusals of apply that come before any AWS call. Applying against AWS is proven by
 * tests/integration/test_remediate.py. */
#include "components.h"
#include "pp_remediate.h"
#include "pp_test.h"
#include "rem_int.h"

#include <sys/stat.h>
#include <unistd.h>

#define ACCOUNT "111122223333"

/* ---- fixtures ---------------------------------------------------------------------------------
 */

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    if (!v) {
        fprintf(stderr, "bad test JSON: %s: %s\n", e.text, text);
        exit(2);
    }
    return v;
}

static pp_rule_meta *rule(pp_results *r, const char *id, const char *type, const char *rem)
{
    pp_rule_meta *m = pp_xcalloc(1, sizeof(*m));
    m->id = pp_xstrdup(id);
    m->title = pp_xstrdup(id);
    m->resource_type = pp_xstrdup(type);
    m->severity = PP_SEV_HIGH;
    m->remediation = rem ? J(rem) : NULL;
    return pp_results_add_rule(r, m);
}

static pp_finding *fail(pp_results *r, const pp_rule_meta *m, const char *type, const char *id,
                        const char *region, const char *evidence)
{
    pp_finding *f = pp_results_add(r, m);
    f->status = PP_STATUS_FAIL;
    f->res_type = pp_xstrdup(type);
    f->res_id = pp_xstrdup(id);
    f->account = pp_xstrdup(ACCOUNT);
    f->region = pp_xstrdup(region);
    f->message = pp_xasprintf("%s fails", id);
    f->evidence = evidence ? J(evidence) : NULL;
    pp_finding_set_id(f);
    return f;
}

static void add(pp_inventory *inv, const char *type, const char *id, const char *region,
                const char *doc)
{
    json_t *d = J(doc);
    pp_inventory_add(inv, pp_resource_new(type, id, NULL, ACCOUNT, region, d));
    json_decref(d);
}

static json_t *plan_of(pp_results *r, pp_inventory *inv, bool risky, long cap, const json_t *arch)
{
    pp_rem_plan_opts o = {.results = r,
                          .inv = inv,
                          .snapshot = 7,
                          .evaluation = 9,
                          .allow_risky = risky,
                          .max_changes = cap,
                          .arch = arch,
                          .now = 1700000000};
    json_t *plan = NULL;
    int rc = pp_remediate_plan(&o, &plan);
    if (rc)
        fprintf(stderr, "plan: %s\n", pp_err_msg());
    CHECK_INT(rc, 0);
    return plan;
}

static json_t *step_of(const json_t *plan, const char *id)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(plan, "steps"), i, s)
    {
        if (pp_str_eq(pp_rem_str(s, "id"), id))
            return s;
    }
    return NULL;
}

static bool jeq(const json_t *v, const char *text)
{
    json_t *want = J(text);
    bool same = json_equal((json_t *)v, want);
    if (!same) {
        char *got = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        fprintf(stderr, "  got:      %s\n  expected: %s\n", got ? got : "(null)", text);
        free(got);
    }
    json_decref(want);
    return same;
}

/* ---- corrections
 * --------------------------------------------------------------------------------- */

static void test_revoke_ingress_matched_only(void)
{
    pp_results *r = pp_results_new();
    pp_inventory *inv = pp_inventory_new(PP_SOURCE_AWS);
    const pp_rule_meta *m52 = rule(r, "CIS-5.2", "AWS::EC2::SecurityGroup",
                                   "{\"action\": \"revoke-ingress\", \"targets\": \"matched\"}");
    const pp_rule_meta *m53 =
        rule(r, "CIS-5.3", "AWS::EC2::SecurityGroup",
             "{\"action\": \"revoke-ingress\", \"targets\": \"matched\", \"cidrs\": [\"::/0\"]}");
    /* the matched permission also holds a private range and an IPv6 world range */
    const char *perm = "{\"IpProtocol\": \"tcp\", \"FromPort\": 22, \"ToPort\": 22, \"IpRanges\": "
                       "[{\"CidrIp\": \"0.0.0.0/0\"}, {\"CidrIp\": \"10.0.0.0/8\"}], "
                       "\"Ipv6Ranges\": [{\"CidrIpv6\": \"::/0\"}]}";
    char *ev = pp_xasprintf("[{\"path\": \"IpPermissions[0]\", \"value\": %s, \"message\": "
                            "\"IpPermissions[0] matches\"}]",
                            perm);
    fail(r, m52, "AWS::EC2::SecurityGroup", "sg-1", "eu-west-1", ev);
    fail(r, m53, "AWS::EC2::SecurityGroup", "sg-1", "eu-west-1", ev);
    free(ev);
    json_t *plan = plan_of(r, inv, false, 0, NULL);
    CHECK_INT(json_array_size(json_object_get(plan, "steps")), 1);
    json_t *s = step_of(plan, "revoke-ingress:sg-1");
    CHECK(s != NULL);
    CHECK_STR(pp_rem_str(s, "change"), "-");
    CHECK(jeq(json_object_get(s, "rules"), "[\"CIS-5.2\", \"CIS-5.3\"]"));
    json_t *call = json_array_get(json_object_get(s, "calls"), 0);
    CHECK_STR(pp_rem_str(call, "operation"), "RevokeSecurityGroupIngress");
    CHECK_STR(pp_rem_str(call, "region"), "eu-west-1");
    /* the world ranges, one source each; 10.0.0.0/8 stays */
    CHECK(jeq(json_object_get(call, "params"),
              "{\"GroupId\": \"sg-1\", \"IpPermissions\": ["
              "{\"IpProtocol\": \"tcp\", \"FromPort\": 22, \"ToPort\": 22, \"IpRanges\": "
              "[{\"CidrIp\": \"0.0.0.0/0\"}]},"
              "{\"IpProtocol\": \"tcp\", \"FromPort\": 22, \"ToPort\": 22, \"Ipv6Ranges\": "
              "[{\"CidrIpv6\": \"::/0\"}]}]}"));
    json_t *undo = json_array_get(json_object_get(s, "undo"), 0);
    CHECK_STR(pp_rem_str(undo, "operation"), "AuthorizeSecurityGroupIngress");
    CHECK(json_equal(json_object_get(undo, "params"), json_object_get(call, "params")));
    CHECK(strstr(pp_rem_str(s, "summary"), "tcp 22 from 0.0.0.0/0") != NULL);
    CHECK_INT(pp_remediate_plan_check(plan), 0);
    json_decref(plan);
    /* --account, --rules and --resources narrow the findings */
    char *const rules[] = {"CIS-5.3", NULL}, *const none[] = {"sg-2*", NULL};
    pp_rem_plan_opts o = {.results = r, .inv = inv, .account = "999999999999"};
    CHECK_INT(pp_remediate_plan(&o, &plan), 0);
    CHECK_INT(json_array_size(json_object_get(plan, "steps")), 0);
    json_decref(plan);
    o.account = ACCOUNT;
    o.rules = rules;
    CHECK_INT(pp_remediate_plan(&o, &plan), 0);
    CHECK(jeq(json_object_get(json_array_get(json_object_get(plan, "steps"), 0), "rules"),
              "[\"CIS-5.3\"]"));
    json_decref(plan);
    o.resources = none;
    CHECK_INT(pp_remediate_plan(&o, &plan), 0);
    CHECK_INT(json_array_size(json_object_get(plan, "steps")), 0);
    json_decref(plan);
    pp_results_free(r);
    pp_inventory_free(inv);
}

static void test_default_group_and_groups_wire_name(void)
{
    pp_results *r = pp_results_new();
    pp_inventory *inv = pp_inventory_new(PP_SOURCE_AWS);
    const pp_rule_meta *m = rule(r, "CIS-5.4", "AWS::EC2::SecurityGroup",
                                 "{\"action\": \"strip-default-security-group\"}");
    add(inv, "AWS::EC2::SecurityGroup", "sg-d", "us-east-1",
        "{\"GroupId\": \"sg-d\", \"GroupName\": \"default\", \"IpPermissions\": [{\"IpProtocol\": "
        "\"-1\", \"UserIdGroupPairs\": [{\"GroupId\": \"sg-d\"}]}], \"IpPermissionsEgress\": "
        "[{\"IpProtocol\": \"-1\", \"IpRanges\": [{\"CidrIp\": \"0.0.0.0/0\"}]}]}");
    add(inv, "AWS::EC2::SecurityGroup", "sg-x", "us-east-1",
        "{\"GroupId\": \"sg-x\", \"GroupName\": \"web\", \"IpPermissions\": []}");
    fail(r, m, "AWS::EC2::SecurityGroup", "sg-d", "us-east-1", NULL);
    fail(r, m, "AWS::EC2::SecurityGroup", "sg-x", "us-east-1", NULL);
    json_t *plan = plan_of(r, inv, false, 0, NULL);
    json_t *s = step_of(plan, "strip-default-security-group:sg-d");
    CHECK(s != NULL);
    /* group sources go by the query API's name */
    CHECK(jeq(json_object_get(json_array_get(json_object_get(s, "calls"), 0), "params"),
              "{\"GroupId\": \"sg-d\", \"IpPermissions\": [{\"IpProtocol\": \"-1\", \"Groups\": "
              "[{\"GroupId\": \"sg-d\"}]}]}"));
    CHECK_STR(pp_rem_str(json_array_get(json_object_get(s, "calls"), 1), "operation"),
              "RevokeSecurityGroupEgress");
    /* a group not named default is not stripped */
    CHECK(step_of(plan, "strip-default-security-group:sg-x") == NULL);
    CHECK_INT(json_array_size(json_object_get(plan, "no_action")), 1);
    json_decref(plan);
    pp_results_free(r);
    pp_inventory_free(inv);
}

static void test_nacl_entries(void)
{
    pp_results *r = pp_results_new();
    pp_inventory *inv = pp_inventory_new(PP_SOURCE_AWS);
    const pp_rule_meta *m = rule(r, "CIS-5.1", "AWS::EC2::NetworkAcl",
                                 "{\"action\": \"remove-nacl-entries\", \"targets\": \"matched\"}");
    fail(r, m, "AWS::EC2::NetworkAcl", "acl-1", "us-east-1",
         "[{\"path\": \"Entries[1]\", \"value\": {\"RuleNumber\": 100, \"Egress\": false, "
         "\"Protocol\": \"6\", \"RuleAction\": \"allow\", \"CidrBlock\": \"0.0.0.0/0\", "
         "\"PortRange\": {\"From\": 3389, \"To\": 3389}}, \"message\": \"entry 100 allows\"},"
         "{\"path\": \"Entries[4]\", \"value\": {\"RuleNumber\": 32767, \"Egress\": false, "
         "\"Protocol\": \"-1\", \"RuleAction\": \"allow\", \"CidrBlock\": \"0.0.0.0/0\"}, "
         "\"message\": \"entry 32767\"}]");
    json_t *plan = plan_of(r, inv, false, 0, NULL);
    json_t *s = step_of(plan, "remove-nacl-entries:acl-1");
    CHECK(s != NULL);
    CHECK_INT(json_array_size(json_object_get(s, "calls")), 1); /* not the default entry */
    CHECK(jeq(json_object_get(json_array_get(json_object_get(s, "calls"), 0), "params"),
              "{\"NetworkAclId\": \"acl-1\", \"RuleNumber\": 100, \"Egress\": false}"));
    CHECK(jeq(json_object_get(json_array_get(json_object_get(s, "undo"), 0), "params"),
              "{\"NetworkAclId\": \"acl-1\", \"RuleNumber\": 100, \"Egress\": false, "
              "\"Protocol\": \"6\", \"RuleAction\": \"allow\", \"CidrBlock\": \"0.0.0.0/0\", "
              "\"PortRange\": {\"From\": 3389, \"To\": 3389}}"));
    json_decref(plan);
    pp_results_free(r);
    pp_inventory_free(inv);
}

static void test_password_policy_whole(void)
{
    pp_results *r = pp_results_new();
    pp_inventory *inv = pp_inventory_new(PP_SOURCE_AWS);
    add(inv, "AWS::::Account", ACCOUNT, "global",
        "{\"PasswordPolicy\": {\"MinimumPasswordLength\": 8, \"RequireSymbols\": true, "
        "\"MaxPasswordAge\": 90, \"ExpirePasswords\": true}}");
    const pp_rule_meta *m18 = rule(r, "CIS-1.8", "AWS::::Account",
                                   "{\"action\": \"set-password-policy\", \"min_length\": 14}");
    const pp_rule_meta *m19 =
        rule(r, "CIS-1.9", "AWS::::Account",
             "{\"action\": \"set-password-policy\", \"min_length\": \"12\", \"reuse\": 24}");
    fail(r, m18, "AWS::::Account", ACCOUNT, "global", NULL);
    fail(r, m19, "AWS::::Account", ACCOUNT, "global", NULL);
    json_t *plan = plan_of(r, inv, false, 0, NULL);
    CHECK_INT(json_array_size(json_object_get(plan, "steps")), 1);
    json_t *s = step_of(plan, "set-password-policy:" ACCOUNT);
    /* what the account has stays, the stricter of the asks wins, and it is sent whole */
    CHECK(jeq(json_object_get(json_array_get(json_object_get(s, "calls"), 0), "params"),
              "{\"MinimumPasswordLength\": 14, \"RequireSymbols\": true, \"MaxPasswordAge\": 90, "
              "\"AllowUsersToChangePassword\": true, \"PasswordReusePrevention\": 24}"));
    CHECK_STR(pp_rem_str(json_array_get(json_object_get(s, "undo"), 0), "operation"),
              "UpdateAccountPasswordPolicy");
    CHECK(pp_rem_str(json_array_get(json_object_get(s, "calls"), 0), "region") == NULL);
    json_decref(plan);
    pp_results_free(r);
    pp_inventory_free(inv);
}

static void test_risky_and_no_action(void)
{
    pp_results *r = pp_results_new();
    pp_inventory *inv = pp_inventory_new(PP_SOURCE_AWS);
    const pp_rule_meta *keys = rule(
        r, "CIS-1.13", "AWS::IAM::User",
        "{\"action\": \"deactivate-access-key\", \"targets\": \"matched\", \"keep_one\": true}");
    const pp_rule_meta *none = rule(r, "CIS-1.10", "AWS::IAM::User", NULL);
    const pp_rule_meta *unknown = rule(r, "X-1", "AWS::IAM::User", "{\"action\": \"nuke\"}");
    const pp_rule_meta *wrong =
        rule(r, "X-2", "AWS::IAM::User", "{\"action\": \"enable-key-rotation\"}");
    const char *ev =
        "[{\"path\": \"AccessKeys[0]\", \"value\": {\"AccessKeyId\": "
        "\"AKIAAAAAAAAAAAAAAAA1\", \"Status\": \"Active\", \"CreateDate\": "
        "\"2020-01-01T00:00:00Z\"}, \"message\": \"a\"}, {\"path\": \"AccessKeys[1]\", "
        "\"value\": {\"AccessKeyId\": \"AKIAAAAAAAAAAAAAAAA2\", \"Status\": "
        "\"Active\", \"CreateDate\": \"2023-01-01T00:00:00Z\"}, \"message\": \"b\"}]";
    fail(r, keys, "AWS::IAM::User", "bob", "global", ev);
    fail(r, none, "AWS::IAM::User", "alice", "global", NULL);
    fail(r, unknown, "AWS::IAM::User", "carol", "global", NULL);
    fail(r, wrong, "AWS::IAM::User", "dave", "global", NULL);
    pp_finding *passed = fail(r, keys, "AWS::IAM::User", "erin", "global", ev);
    passed->status = PP_STATUS_PASS;
    pp_finding *sup = fail(r, keys, "AWS::IAM::User", "frank", "global", ev);
    sup->suppressed = true;

    json_t *plan = plan_of(r, inv, false, 0, NULL);
    CHECK_INT(json_array_size(json_object_get(plan, "steps")), 0);
    const json_t *risky = json_object_get(plan, "needs_allow_risky");
    CHECK_INT(json_array_size(risky), 1);
    CHECK_STR(pp_rem_str(json_array_get(risky, 0), "resource"), "bob");
    const json_t *na = json_object_get(plan, "no_action");
    CHECK_INT(json_array_size(na), 3);
    char *text = json_dumps(na, JSON_COMPACT);
    CHECK(strstr(text, "rule CIS-1.10 has no remediation") != NULL);
    CHECK(strstr(text, "unknown remediation action 'nuke'") != NULL);
    CHECK(strstr(text, "acts on AWS::KMS::Key") != NULL);
    free(text);
    json_decref(plan);

    plan = plan_of(r, inv, true, 0, NULL);
    json_t *s = step_of(plan, "deactivate-access-key:bob");
    CHECK(s != NULL);
    CHECK(json_is_true(json_object_get(s, "risky")));
    /* keep_one: the newer key stays active */
    CHECK_INT(json_array_size(json_object_get(s, "calls")), 1);
    CHECK(jeq(json_object_get(json_array_get(json_object_get(s, "calls"), 0), "params"),
              "{\"UserName\": \"bob\", \"AccessKeyId\": \"AKIAAAAAAAAAAAAAAAA1\", \"Status\": "
              "\"Inactive\"}"));
    /* the summary masks key ids */
    CHECK(strstr(pp_rem_str(s, "summary"), "AKIAAAAAAAAAAAAAAAA1") == NULL);
    json_decref(plan);
    pp_results_free(r);
    pp_inventory_free(inv);
}

static void test_max_changes_defers(void)
{
    pp_results *r = pp_results_new();
    pp_inventory *inv = pp_inventory_new(PP_SOURCE_AWS);
    pp_inventory_add_scope(inv, ACCOUNT, "us-east-1");
    const pp_rule_meta *rot =
        rule(r, "CIS-3.6", "AWS::KMS::Key", "{\"action\": \"enable-key-rotation\"}");
    const pp_rule_meta *trail =
        rule(r, "CIS-3.1", "AWS::CloudTrail::Trail", "{\"action\": \"create-trail\"}");
    fail(r, trail, "AWS::CloudTrail::Trail", ACCOUNT, NULL, NULL);
    fail(r, rot, "AWS::KMS::Key", "k1", "us-east-1", NULL);
    fail(r, rot, "AWS::KMS::Key", "k2", "us-east-1", NULL);
    json_t *plan = plan_of(r, inv, false, 0, NULL);
    /* the trail comes after its bucket (access-logged to a bucket of its own), key and log group */
    json_t *steps = json_object_get(plan, "steps");
    json_t *t = step_of(plan, "create-trail:" ACCOUNT "/parapet-trail");
    CHECK(t != NULL);
    CHECK_INT(json_array_size(json_object_get(t, "depends_on")), 3);
    size_t i;
    json_t *s;
    size_t trail_at = 0;
    json_array_foreach(steps, i, s)
    {
        if (s == t)
            trail_at = i;
    }
    json_t *d;
    json_array_foreach(json_object_get(t, "depends_on"), i, d)
    {
        size_t k;
        json_array_foreach(steps, k, s)
        {
            if (pp_str_eq(pp_rem_str(s, "id"), json_string_value(d)))
                CHECK(k < trail_at);
        }
    }
    CHECK(jeq(json_object_get(json_array_get(json_object_get(t, "calls"), 0), "params"),
              "{\"Name\": \"parapet-trail\", \"S3BucketName\": \"" ACCOUNT "-parapet-cloudtrail\","
              " \"IsMultiRegionTrail\": true, \"EnableLogFileValidation\": true, "
              "\"IncludeGlobalServiceEvents\": true, \"CloudWatchLogsLogGroupArn\": "
              "\"arn:aws:logs:us-east-1:" ACCOUNT ":log-group:parapet-cloudtrail:*\", "
              "\"CloudWatchLogsRoleArn\": \"arn:aws:iam::" ACCOUNT
              ":role/parapet-cloudtrail-logs\","
              " \"TagsList\": [{\"Key\": \"parapet:managed\", \"Value\": \"true\"}], "
              "\"KmsKeyId\": {\"$ref\": \"kms-key:us-east-1:alias/parapet-cloudtrail\", "
              "\"output\": \"KeyArn\"}}"));
    size_t all = json_array_size(steps);
    CHECK_INT(all, 7); /* bucket, access-log bucket, key, log group, trail, two rotations */
    CHECK_INT(pp_remediate_plan_check(plan), 0);
    json_decref(plan);

    plan = plan_of(r, inv, false, 2, NULL);
    CHECK_INT(json_array_size(json_object_get(plan, "steps")), 2);
    CHECK_INT(json_array_size(json_object_get(plan, "deferred")), all - 2);
    char *text = json_dumps(json_object_get(plan, "deferred"), JSON_COMPACT);
    CHECK(strstr(text, "depends on a deferred step") != NULL);
    CHECK(strstr(text, "over --max-changes") != NULL);
    free(text);
    CHECK_INT(json_integer_value(json_object_get(plan, "max_changes")), 2);
    json_decref(plan);
    pp_results_free(r);
    pp_inventory_free(inv);
}

/* ---- plan files --------------------------------------------------------------------------------
 */

static json_t *small_plan(void)
{
    pp_results *r = pp_results_new();
    pp_inventory *inv = pp_inventory_new(PP_SOURCE_AWS);
    pp_inventory_add_scope(inv, ACCOUNT, "us-east-1");
    const pp_rule_meta *fl = rule(r, "CIS-3.7", "AWS::EC2::VPC",
                                  "{\"action\": \"create-flow-logs\", \"traffic_type\": \"ALL\"}");
    const pp_rule_meta *gd =
        rule(r, "GD", "AWS::GuardDuty::Detector", "{\"action\": \"enable-guardduty\"}");
    fail(r, fl, "AWS::EC2::VPC", "vpc-1", "us-east-1", NULL);
    fail(r, gd, "AWS::GuardDuty::Detector", ACCOUNT "/us-east-1", "us-east-1", NULL);
    json_t *plan = plan_of(r, inv, false, 0, NULL);
    pp_results_free(r);
    pp_inventory_free(inv);
    return plan;
}

static void expect_refused(json_t *plan, const char *what)
{
    int rc = pp_remediate_plan_check(plan);
    CHECK_INT(rc, PP_EINVAL);
    if (rc && !strstr(pp_err_msg(), what))
        fprintf(stderr, "  message '%s' lacks '%s'\n", pp_err_msg(), what);
    CHECK(rc == 0 || strstr(pp_err_msg(), what) != NULL);
    json_decref(plan);
}

static void test_plan_check(void)
{
    json_t *plan = small_plan();
    CHECK_INT(json_array_size(json_object_get(plan, "steps")), 3);
    CHECK_INT(pp_remediate_plan_check(plan), 0);
    CHECK(pp_str_startswith(pp_rem_str(plan, "plan_id"), "rp-"));
    CHECK_STR(pp_rem_str(plan, "account"), ACCOUNT);
    CHECK_STR(pp_rem_str(plan, "schema"), PP_REM_PLAN_SCHEMA);
    json_t *fl = step_of(plan, "create-flow-logs:vpc-1");
    CHECK_STR(pp_rem_str(json_array_get(json_object_get(fl, "calls"), 0), "client_token_key"),
              "ClientToken");
    json_decref(plan);

    /* an operation the action does not declare, known or not */
    plan = small_plan();
    json_object_set_new(
        json_array_get(json_object_get(step_of(plan, "create-flow-logs:vpc-1"), "calls"), 0),
        "operation", json_string("TerminateInstances"));
    expect_refused(plan, "does not call ec2 TerminateInstances");
    plan = small_plan();
    json_object_set_new(
        json_array_get(json_object_get(step_of(plan, "create-flow-logs:vpc-1"), "calls"), 0),
        "operation", json_string("RevokeSecurityGroupIngress"));
    expect_refused(plan, "does not call ec2 RevokeSecurityGroupIngress");
    plan = small_plan();
    json_object_set_new(step_of(plan, "create-flow-logs:vpc-1"), "action", json_string("nuke"));
    expect_refused(plan, "unknown action 'nuke'");
    plan = small_plan();
    json_object_set_new(step_of(plan, "create-flow-logs:vpc-1"), "risky", json_true());
    expect_refused(plan, "'risky' does not match");
    plan = small_plan();
    json_object_set_new(
        json_array_get(json_object_get(plan, "steps"), 1), "id",
        json_string(pp_rem_str(json_array_get(json_object_get(plan, "steps"), 0), "id")));
    expect_refused(plan, "used twice");
    /* order: a step may only depend on one listed before it */
    plan = small_plan();
    json_array_append_new(
        json_object_get(json_array_get(json_object_get(plan, "steps"), 0), "depends_on"),
        json_string("create-flow-logs:vpc-1"));
    expect_refused(plan, "not an earlier step");
    /* references: only to steps depended on, only declared outputs */
    plan = small_plan();
    json_object_set_new(
        json_object_get(
            json_array_get(json_object_get(step_of(plan, "create-flow-logs:vpc-1"), "calls"), 0),
            "params"),
        "LogGroupName", pp_rem_ref("enable-guardduty:" ACCOUNT "/us-east-1", "DetectorId"));
    expect_refused(plan, "which it does not depend on");
    plan = small_plan();
    json_t *fls = step_of(plan, "create-flow-logs:vpc-1");
    const char *dep = json_string_value(json_array_get(json_object_get(fls, "depends_on"), 0));
    json_object_set_new(json_object_get(json_array_get(json_object_get(fls, "calls"), 0), "params"),
                        "LogGroupName", pp_rem_ref(dep, "Nope"));
    expect_refused(plan, "has no output 'Nope'");
    plan = small_plan();
    json_object_set_new(plan, "schema", json_string("other"));
    expect_refused(plan, "not a parapet remediation plan");
}

static void test_render(void)
{
    pp_results *r = pp_results_new();
    pp_inventory *inv = pp_inventory_new(PP_SOURCE_AWS);
    pp_inventory_add_scope(inv, ACCOUNT, "us-east-1");
    fail(r, rule(r, "R1", "AWS::KMS::Key", "{\"action\": \"enable-key-rotation\"}"),
         "AWS::KMS::Key", "k1", "us-east-1", NULL);
    fail(r, rule(r, "R2", "AWS::GuardDuty::Detector", "{\"action\": \"enable-guardduty\"}"),
         "AWS::GuardDuty::Detector", ACCOUNT "/us-east-1", "us-east-1", NULL);
    fail(r,
         rule(r, "R3", "AWS::EC2::SecurityGroup",
              "{\"action\": \"revoke-ingress\", \"targets\": \"matched\"}"),
         "AWS::EC2::SecurityGroup", "sg-9", "us-east-1",
         "[{\"path\": \"IpPermissions[0]\", \"value\": {\"IpProtocol\": \"-1\", \"IpRanges\": "
         "[{\"CidrIp\": \"0.0.0.0/0\"}]}, \"message\": \"m\"}]");
    fail(r, rule(r, "R4", "AWS::IAM::User", NULL), "AWS::IAM::User", "u", "global", NULL);
    json_t *plan = plan_of(r, inv, false, 0, NULL);
    pp_buf b;
    pp_buf_init(&b, PP_BUF_DEFAULT_MAX);
    pp_remediate_plan_render(plan, &b, false);
    const char *t = pp_buf_cstr(&b);
    CHECK(strstr(t, "\n  + create an enabled GuardDuty detector in us-east-1") != NULL);
    CHECK(strstr(t, "\n  ~ enable automatic rotation of KMS key k1") != NULL);
    CHECK(strstr(t, "\n  - revoke ingress all traffic from 0.0.0.0/0 on security group sg-9") !=
          NULL);
    CHECK(strstr(t, "guardduty CreateDetector [us-east-1]") != NULL);
    CHECK(strstr(t, "undo: kms DisableKeyRotation") != NULL);
    CHECK(strstr(t, "No action (1):\n  - R4 u: rule R4 has no remediation") != NULL);
    CHECK(strstr(t, "Plan: 1 to create, 1 to change, 1 to remove; 1 without action") != NULL);
    CHECK(strstr(t, "\033[") == NULL);
    pp_buf_free(&b);
    json_decref(plan);
    pp_results_free(r);
    pp_inventory_free(inv);
}

/* ---- provisioning
 * -------------------------------------------------------------------------------- */

static const char *ARCH =
    "{\"format\": \"parapet/architecture/v1\", \"region\": \"eu-west-1\", \"regions\": "
    "[\"eu-west-1\", \"us-east-1\"], \"name_prefix\": \"t\", \"a_cidr\": \"10.9.1.0/24\", "
    "\"tags\": {\"Owner\": \"ops\"}, \"days\": 30,"
    "\"components\": {"
    " \"vpc\": {\"type\": \"AWS::EC2::VPC\", \"properties\": {\"CidrBlock\": \"10.9.0.0/16\", "
    "\"EnableDnsSupport\": true}, \"tags\": {\"Name\": \"{{ params.name_prefix }}-vpc\"}},"
    " \"subnets\": {\"a\": {\"type\": \"AWS::EC2::Subnet\", \"properties\": {\"VpcId\": {\"ref\": "
    "\"vpc\"}, \"CidrBlock\": \"{{ params.a_cidr }}\", \"AvailabilityZone\": \"{{ params.region "
    "}}a\"}}},"
    " \"logs\": {\"type\": \"AWS::Logs::LogGroup\", \"properties\": {\"logGroupName\": "
    "\"{{ params.name_prefix }}-logs\", \"retentionInDays\": \"{{ params.days }}\"}},"
    " \"role\": {\"type\": \"AWS::IAM::Role\", \"scope\": \"global\", \"properties\": "
    "{\"RoleName\": \"{{ params.name_prefix }}-role\", \"AssumeRolePolicyDocument\": "
    "{\"Version\": \"2012-10-17\"}, \"Policies\": [{\"PolicyName\": \"p\", \"PolicyDocument\": "
    "{\"Statement\": [{\"Resource\": {\"ref\": \"logs\", \"attr\": \"Arn\"}}]}}]}},"
    " \"detector\": {\"type\": \"AWS::GuardDuty::Detector\", \"scope\": \"every_region\", "
    "\"properties\": {\"Enable\": true}, \"home_region_properties\": "
    "{\"FindingPublishingFrequency\": \"SIX_HOURS\"}},"
    " \"loop\": {\"type\": \"AWS::EC2::VPC\", \"properties\": {\"CidrBlock\": {\"ref\": "
    "\"loop\"}}},"
    " \"bad\": {\"type\": \"AWS::EC2::VPC\", \"properties\": {\"CidrBlock\": \"{{ params.nope "
    "}}\"}}}}";

static pp_results *provision_findings(const char *const *components, const char *region)
{
    pp_results *r = pp_results_new();
    for (size_t i = 0; components[i]; i++) {
        char *rem =
            pp_xasprintf("{\"action\": \"provision\", \"component\": \"%s\"}", components[i]);
        char *id = pp_xasprintf("REF-%zu", i);
        const pp_rule_meta *m = rule(r, id, "AWS::EC2::VPC", rem);
        char *res = region ? pp_xasprintf("%s/%s", ACCOUNT, region) : pp_xstrdup(ACCOUNT);
        fail(r, m, "AWS::EC2::VPC", res, region, NULL);
        free(res);
        free(rem);
        free(id);
    }
    return r;
}

static void test_provision_dependencies(void)
{
    json_t *arch = J(ARCH);
    pp_results *r = provision_findings((const char *const[]){"subnets.a", "vpc", NULL}, NULL);
    pp_inventory *inv = pp_inventory_new(PP_SOURCE_AWS);
    json_t *plan = plan_of(r, inv, false, 0, arch);
    json_t *steps = json_object_get(plan, "steps");
    CHECK_INT(json_array_size(steps), 2);
    CHECK_STR(pp_rem_str(json_array_get(steps, 0), "id"), "provision:vpc");
    json_t *sub = step_of(plan, "provision:subnets.a");
    CHECK(jeq(json_object_get(sub, "depends_on"), "[\"provision:vpc\"]"));
    json_t *call = json_array_get(json_object_get(sub, "calls"), 0);
    CHECK_STR(pp_rem_str(call, "operation"), "CreateSubnet");
    CHECK_STR(pp_rem_str(call, "region"), "eu-west-1");
    json_t *params = json_object_get(call, "params");
    CHECK(
        jeq(json_object_get(params, "VpcId"), "{\"$ref\": \"provision:vpc\", \"output\": \"Id\"}"));
    CHECK_STR(pp_rem_str(params, "CidrBlock"), "10.9.1.0/24");
    CHECK_STR(pp_rem_str(params, "AvailabilityZone"), "eu-west-1a");
    char *tags = json_dumps(json_object_get(params, "TagSpecification"), JSON_COMPACT);
    CHECK(strstr(tags, "{\"Key\":\"parapet:component\",\"Value\":\"subnets.a\"}") != NULL);
    CHECK(strstr(tags, "{\"Key\":\"parapet:managed\",\"Value\":\"true\"}") != NULL);
    CHECK(strstr(tags, "{\"Key\":\"Owner\",\"Value\":\"ops\"}") != NULL);
    free(tags);
    /* planned first as the subnet's dependency, the VPC step answers the VPC's finding */
    CHECK(jeq(json_object_get(step_of(plan, "provision:vpc"), "rules"), "[\"REF-1\"]"));
    CHECK(jeq(json_object_get(sub, "rules"), "[\"REF-0\"]"));
    json_t *vcalls = json_object_get(step_of(plan, "provision:vpc"), "calls");
    CHECK_STR(pp_rem_str(json_array_get(vcalls, 1), "operation"), "ModifyVpcAttribute");
    CHECK_INT(pp_remediate_plan_check(plan), 0);
    json_decref(plan);

    /* the snapshot has the VPC (by its component tag): the subnet gets its id, no VPC step */
    add(inv, "AWS::EC2::VPC", "vpc-77", "eu-west-1",
        "{\"VpcId\": \"vpc-77\", \"CidrBlock\": \"10.1.0.0/16\", \"Tags\": [{\"Key\": "
        "\"parapet:component\", \"Value\": \"vpc\"}]}");
    pp_results_free(r);
    r = provision_findings((const char *const[]){"subnets.a", NULL}, NULL);
    plan = plan_of(r, inv, false, 0, arch);
    CHECK_INT(json_array_size(json_object_get(plan, "steps")), 1);
    sub = step_of(plan, "provision:subnets.a");
    CHECK_STR(
        pp_rem_str(json_object_get(json_array_get(json_object_get(sub, "calls"), 0), "params"),
                   "VpcId"),
        "vpc-77");
    CHECK_INT(json_array_size(json_object_get(sub, "depends_on")), 0);
    json_decref(plan);
    /* and a subnet found by its CIDR inside that VPC is not created again */
    add(inv, "AWS::EC2::Subnet", "subnet-1", "eu-west-1",
        "{\"SubnetId\": \"subnet-1\", \"CidrBlock\": \"10.9.1.0/24\", \"VpcId\": \"vpc-77\"}");
    plan = plan_of(r, inv, false, 0, arch);
    CHECK_INT(json_array_size(json_object_get(plan, "steps")), 0);
    CHECK_INT(json_array_size(json_object_get(plan, "no_action")), 1);
    json_decref(plan);
    pp_results_free(r);
    pp_inventory_free(inv);
    json_decref(arch);
}

/* Evaluated together, CIS's existence actions and the architecture's components would create the
 * same thing twice; the component's step takes the CIS finding, and only where no component is
 * provisioned (another region here) does CIS's own action run. */
static void test_packs_do_not_create_twice(void)
{
    json_t *arch = J(ARCH);
    pp_results *r = pp_results_new();
    const pp_rule_meta *ref = rule(r, "REF-GD", "AWS::GuardDuty::Detector",
                                   "{\"action\": \"provision\", \"component\": \"detector\"}");
    const pp_rule_meta *cis =
        rule(r, "CIS-GD", "AWS::GuardDuty::Detector", "{\"action\": \"enable-guardduty\"}");
    fail(r, ref, "AWS::GuardDuty::Detector", ACCOUNT "/eu-west-1", "eu-west-1", NULL);
    fail(r, cis, "AWS::GuardDuty::Detector", ACCOUNT "/eu-west-1", "eu-west-1", NULL);
    fail(r, cis, "AWS::GuardDuty::Detector", ACCOUNT "/us-east-1", "us-east-1", NULL);
    pp_inventory *inv = pp_inventory_new(PP_SOURCE_AWS);
    json_t *plan = plan_of(r, inv, false, 0, arch);
    json_t *steps = json_object_get(plan, "steps");
    CHECK_INT(json_array_size(steps), 2);
    json_t *prov = step_of(plan, "provision:detector@eu-west-1");
    CHECK(prov != NULL);
    CHECK(jeq(json_object_get(prov, "rules"), "[\"REF-GD\", \"CIS-GD\"]"));
    CHECK_INT(json_array_size(json_object_get(prov, "findings")), 2);
    size_t i, creates = 0;
    json_t *st;
    json_array_foreach(steps, i, st)
    {
        json_t *c;
        size_t k;
        json_array_foreach(json_object_get(st, "calls"), k, c) creates +=
            pp_str_eq(pp_rem_str(c, "operation"), "CreateDetector") &&
            pp_str_eq(pp_rem_str(c, "region"), "eu-west-1");
    }
    CHECK_INT(creates, 1); /* one detector in eu-west-1, not two */
    int other = 0;
    json_array_foreach(steps, i, st)
    {
        if (pp_str_eq(pp_rem_str(st, "action"), "enable-guardduty") &&
            pp_str_eq(pp_rem_str(json_object_get(st, "resource"), "region"), "us-east-1"))
            other++;
    }
    CHECK_INT(other, 1);
    CHECK_INT(pp_remediate_plan_check(plan), 0);
    json_decref(plan);
    pp_results_free(r);
    pp_inventory_free(inv);
    json_decref(arch);
}

static void test_provision_scopes_and_names(void)
{
    json_t *arch = J(ARCH);
    pp_inventory *inv = pp_inventory_new(PP_SOURCE_AWS);
    /* an every_region component for an account finding: each region of params.regions, with the
     * home region's properties in params.region only */
    pp_results *r = provision_findings((const char *const[]){"detector", "role", NULL}, NULL);
    json_t *plan = plan_of(r, inv, false, 0, arch);
    json_t *home = step_of(plan, "provision:detector@eu-west-1");
    json_t *other = step_of(plan, "provision:detector@us-east-1");
    CHECK(home && other);
    json_t *hp = json_object_get(json_array_get(json_object_get(home, "calls"), 0), "params");
    json_t *op = json_object_get(json_array_get(json_object_get(other, "calls"), 0), "params");
    CHECK_STR(pp_rem_str(hp, "findingPublishingFrequency"), "SIX_HOURS");
    CHECK(json_object_get(op, "findingPublishingFrequency") == NULL);
    CHECK(json_is_true(json_object_get(hp, "enable")));
    /* a global role whose inline policy names the log group's ARN: known from its name */
    json_t *role = step_of(plan, "provision:role");
    CHECK(jeq(json_object_get(role, "depends_on"), "[\"provision:logs\"]"));
    json_t *put = NULL;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(role, "calls"), i, c)
    {
        if (pp_str_eq(pp_rem_str(c, "operation"), "PutRolePolicy"))
            put = c;
        CHECK(pp_rem_str(c, "region") == NULL);
    }
    CHECK(put != NULL);
    CHECK(strstr(pp_rem_str(json_object_get(put, "params"), "PolicyDocument"),
                 "arn:aws:logs:eu-west-1:" ACCOUNT ":log-group:t-logs:*") != NULL);
    json_t *logs = step_of(plan, "provision:logs");
    CHECK(jeq(json_object_get(json_array_get(json_object_get(logs, "calls"), 1), "params"),
              "{\"logGroupName\": \"t-logs\", \"retentionInDays\": 30}"));
    json_decref(plan);
    pp_results_free(r);
    /* a region finding: that region only */
    r = provision_findings((const char *const[]){"detector", NULL}, "us-east-1");
    plan = plan_of(r, inv, false, 0, arch);
    CHECK_INT(json_array_size(json_object_get(plan, "steps")), 1);
    CHECK(step_of(plan, "provision:detector@us-east-1") != NULL);
    json_decref(plan);
    pp_results_free(r);

    /* a cycle and an unknown parameter are errors in the architecture */
    r = provision_findings((const char *const[]){"loop", NULL}, NULL);
    pp_rem_plan_opts o = {.results = r, .inv = inv, .arch = arch};
    json_t *bad = NULL;
    CHECK_INT(pp_remediate_plan(&o, &bad), PP_EINVAL);
    CHECK(strstr(pp_err_msg(), "depends on itself") != NULL);
    pp_results_free(r);
    r = provision_findings((const char *const[]){"bad", NULL}, NULL);
    o.results = r;
    CHECK_INT(pp_remediate_plan(&o, &bad), PP_EINVAL);
    CHECK(strstr(pp_err_msg(), "unknown parameter 'params.nope'") != NULL);
    pp_results_free(r);
    /* without an architecture the finding has no action */
    r = provision_findings((const char *const[]){"vpc", NULL}, NULL);
    plan = plan_of(r, inv, false, 0, NULL);
    CHECK_INT(json_array_size(json_object_get(plan, "steps")), 0);
    CHECK(strstr(pp_rem_str(json_array_get(json_object_get(plan, "no_action"), 0), "reason"),
                 "no architecture.yaml") != NULL);
    json_decref(plan);
    pp_results_free(r);
    pp_inventory_free(inv);
    json_decref(arch);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_arch_load(void)
{
    char dir[] = "/tmp/pp-remed-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *pack = pp_xasprintf("%s/reference", dir);
    char *envs = pp_xasprintf("%s/environments", pack);
    mkdir(pack, 0700);
    mkdir(envs, 0700);
    char *file = pp_xasprintf("%s/architecture.yaml", pack);
    char *env = pp_xasprintf("%s/staging.yaml", envs);
    write_file(file, "format: parapet/architecture/v1\nregion: us-east-1\ncount: 3\nflag: true\n"
                     "quoted: \"3\"\nlist: [a, b]\nbase: &b { x: 1 }\ncopy: *b\n"
                     "components:\n  vpc: { type: AWS::EC2::VPC, properties: { CidrBlock: "
                     "10.0.0.0/16 } }\n");
    write_file(env, "params:\n  region: eu-west-1\n  unknown: 1\n");
    const char *dirs[] = {dir, NULL};
    json_t *arch = NULL;
    char *path = NULL;
    CHECK_INT(pp_remediate_arch_load(dirs, NULL, &arch, &path), 0);
    CHECK_STR(path, file);
    CHECK_STR(pp_rem_str(arch, "region"), "us-east-1");
    CHECK(json_is_integer(json_object_get(arch, "count")));
    CHECK(json_is_true(json_object_get(arch, "flag")));
    CHECK_STR(pp_rem_str(arch, "quoted"), "3");
    CHECK(jeq(json_object_get(arch, "copy"), "{\"x\": 1}"));
    CHECK_STR(pp_rem_str(pp_rem_path(arch, "components.vpc.properties"), "CidrBlock"),
              "10.0.0.0/16");
    json_decref(arch);
    free(path);
    /* the overlay replaces the file's own keys only */
    CHECK_INT(pp_remediate_arch_load(dirs, "staging", &arch, NULL), 0);
    CHECK_STR(pp_rem_str(arch, "region"), "eu-west-1");
    CHECK(json_object_get(arch, "unknown") == NULL);
    json_decref(arch);
    /* no file: nothing, no error */
    const char *none[] = {envs, NULL};
    arch = NULL;
    CHECK_INT(pp_remediate_arch_load(none, NULL, &arch, NULL), 0);
    CHECK(arch == NULL);
    /* a YAML error names the place */
    write_file(file, "format: x\nregion: [a,\n");
    CHECK_INT(pp_remediate_arch_load(dirs, NULL, &arch, NULL), PP_EINVAL);
    CHECK(strstr(pp_err_msg(), "architecture.yaml:") != NULL);
    CHECK(strstr(pp_err_msg(), ":3:1:") != NULL || strstr(pp_err_msg(), ":2:") != NULL);
    unlink(env);
    unlink(file);
    rmdir(envs);
    rmdir(pack);
    rmdir(dir);
    free(pack);
    free(envs);
    free(file);
    free(env);
}

/* ---- declarations
 * -------------------------------------------------------------------------------- */

static void test_actions_declared(void)
{
    const char *const *names = pp_remediate_action_names();
    size_t n = 0;
    for (; names[n]; n++)
        CHECK(pp_rem_action_find(names[n]) != NULL);
    CHECK_INT(n, 16);
    static const char *const vocabulary[] = {
        "revoke-ingress",        "strip-default-security-group",
        "remove-nacl-entries",   "enable-key-rotation",
        "configure-trail",       "start-trail-logging",
        "create-flow-logs",      "set-password-policy",
        "enable-bucket-logging", "deactivate-access-key",
        "detach-user-policies",  "enable-config",
        "enable-guardduty",      "create-trail",
        "create-cis-alarm",      "provision"};
    for (size_t i = 0; i < sizeof(vocabulary) / sizeof(vocabulary[0]); i++)
        CHECK(pp_rem_action_find(vocabulary[i]) != NULL);
    CHECK(pp_remediate_action_risky("deactivate-access-key"));
    CHECK(pp_remediate_action_risky("detach-user-policies"));
    CHECK(!pp_remediate_action_risky("revoke-ingress"));
    /* every operation an action declares is in the operations table, writes marked mutating */
    for (size_t i = 0; pp_rem_action_at(i); i++) {
        const pp_rem_action *a = pp_rem_action_at(i);
        CHECK(a->plan != NULL);
        for (const char *const *op = a->ops; op && *op; op++) {
            char svc[64];
            const char *colon = strchr(*op, ':');
            CHECK(colon != NULL);
            snprintf(svc, sizeof(svc), "%.*s", (int)(colon - *op), *op);
            const pp_op *o = pp_op_find(svc, colon + 1);
            if (!o)
                fprintf(stderr, "  %s declares unknown %s\n", a->name, *op);
            CHECK(o != NULL);
            bool write = !pp_str_startswith(colon + 1, "Describe") &&
                         !pp_str_startswith(colon + 1, "Get") &&
                         !pp_str_startswith(colon + 1, "List");
            if (o && write != o->mutating)
                fprintf(stderr, "  %s: mutating is %d\n", *op, o->mutating);
            CHECK(!o || write == o->mutating);
        }
    }
}

static void test_iam_policy_current(void)
{
    json_t *policy = pp_remediate_iam_policy();
    json_t *actions =
        json_object_get(json_array_get(json_object_get(policy, "Statement"), 0), "Action");
    CHECK(json_array_size(actions) > 60);
    bool sts = false, pass = false;
    size_t i;
    json_t *a;
    json_array_foreach(actions, i, a)
    {
        if (i)
            CHECK(strcmp(json_string_value(json_array_get(actions, i - 1)), json_string_value(a)) <
                  0);
        sts |= pp_str_eq(json_string_value(a), "sts:GetCallerIdentity");
        pass |= pp_str_eq(json_string_value(a), "iam:PassRole");
        CHECK(!pp_str_eq(json_string_value(a), "iam:DeleteUser"));
    }
    CHECK(sts && pass);
    const char *src = getenv("PARAPET_SRC");
    char *path = pp_xasprintf("%s/docs/iam-remediate-policy.json", src ? src : ".");
    json_error_t e;
    json_t *file = json_load_file(path, 0, &e);
    if (!file || !json_equal(file, policy))
        fprintf(stderr, "  %s is not current: run `parapet iam-policy remediate > %s`\n", path,
                path);
    CHECK(file && json_equal(file, policy));
    json_decref(file);
    free(path);
    json_decref(policy);
}

/* Refusals that come before any AWS call: too many steps, risky steps without the flag. */
static void test_apply_refusals(void)
{
    pp_results *r = pp_results_new();
    pp_inventory *inv = pp_inventory_new(PP_SOURCE_AWS);
    const pp_rule_meta *rot =
        rule(r, "CIS-3.6", "AWS::KMS::Key", "{\"action\": \"enable-key-rotation\"}");
    fail(r, rot, "AWS::KMS::Key", "k1", "us-east-1", NULL);
    fail(r, rot, "AWS::KMS::Key", "k2", "us-east-1", NULL);
    json_t *plan = plan_of(r, inv, false, 0, NULL);
    pp_rem_apply_opts o = {.plan = plan, .max_changes = 1};
    pp_rem_apply_result res;
    CHECK_INT(pp_remediate_apply(&o, &res), PP_EINVAL);
    CHECK(strstr(pp_err_msg(), "more than --max-changes 1") != NULL);
    json_decref(plan);
    const pp_rule_meta *det =
        rule(r, "CIS-1.15", "AWS::IAM::User", "{\"action\": \"detach-user-policies\"}");
    add(inv, "AWS::IAM::User", "bob", "global",
        "{\"UserName\": \"bob\", \"AttachedManagedPolicies\": [{\"PolicyArn\": \"arn:x\"}]}");
    fail(r, det, "AWS::IAM::User", "bob", "global", NULL);
    plan = plan_of(r, inv, true, 0, NULL);
    o.plan = plan;
    o.max_changes = 0;
    CHECK_INT(pp_remediate_apply(&o, &res), PP_EINVAL);
    CHECK(strstr(pp_err_msg(), "apply with --allow-risky") != NULL);
    /* a tampered plan is refused by the same check as on load */
    json_object_set_new(json_array_get(json_object_get(plan, "steps"), 0), "action",
                        json_string("nuke"));
    CHECK_INT(pp_remediate_apply(&o, &res), PP_EINVAL);
    json_decref(plan);
    pp_results_free(r);
    pp_inventory_free(inv);
}

PP_TEST_MAIN(TEST(test_revoke_ingress_matched_only), TEST(test_default_group_and_groups_wire_name),
             TEST(test_nacl_entries), TEST(test_password_policy_whole),
             TEST(test_risky_and_no_action), TEST(test_max_changes_defers), TEST(test_plan_check),
             TEST(test_render), TEST(test_provision_dependencies),
             TEST(test_provision_scopes_and_names), TEST(test_packs_do_not_create_twice),
             TEST(test_arch_load), TEST(test_actions_declared), TEST(test_iam_policy_current),
             TEST(test_apply_refusals))
