/* Fuzz target: the rule compiler (rules/compile.c, pp_rule_compile in rules/load.c) and, for
 * every rule that compiles, the evaluator over a small inventory that has a resource of the
 * common types, a join partner, a resource with a collection error and a coverage gap. Inputs are
 * rule files: one mapping, a list of them, or several documents. */
#include "fuzz.h"
#include "rules_int.h"

#include <stdio.h>

static const char *const resources_json =
    "["
    "{\"t\":\"AWS::EC2::SecurityGroup\",\"id\":\"sg-1\",\"r\":\"us-east-1\",\"d\":"
    "{\"GroupId\":\"sg-1\",\"GroupName\":\"web\",\"VpcId\":\"vpc-1\",\"IpPermissions\":["
    "{\"IpProtocol\":\"tcp\",\"FromPort\":22,\"ToPort\":22,\"IpRanges\":[{\"CidrIp\":"
    "\"0.0.0.0/0\"}],\"Ipv6Ranges\":[{\"CidrIpv6\":\"::/0\"}],\"UserIdGroupPairs\":[]},"
    "{\"IpProtocol\":\"-1\",\"IpRanges\":[{\"CidrIp\":\"10.0.0.0/8\"}]}],"
    "\"IpPermissionsEgress\":[],\"Tags\":[{\"Key\":\"Name\",\"Value\":\"web\"}]}},"
    "{\"t\":\"AWS::EC2::SecurityGroup\",\"id\":\"sg-2\",\"r\":\"us-east-1\",\"d\":"
    "{\"GroupId\":\"sg-2\",\"GroupName\":\"default\",\"VpcId\":\"vpc-1\",\"IpPermissions\":"
    "\"not a list\",\"IpPermissionsEgress\":[{\"IpProtocol\":\"udp\",\"FromPort\":\"x\"}]}},"
    "{\"t\":\"AWS::EC2::VPC\",\"id\":\"vpc-1\",\"r\":\"us-east-1\",\"d\":{\"VpcId\":\"vpc-1\","
    "\"CidrBlock\":\"10.0.0.0/16\",\"IsDefault\":false}},"
    "{\"t\":\"AWS::EC2::FlowLog\",\"id\":\"fl-1\",\"r\":\"us-east-1\",\"d\":{\"FlowLogId\":"
    "\"fl-1\",\"ResourceId\":\"vpc-1\",\"TrafficType\":\"ALL\"}},"
    "{\"t\":\"AWS::EC2::NetworkAcl\",\"id\":\"acl-1\",\"r\":\"us-east-1\",\"d\":"
    "{\"NetworkAclId\":\"acl-1\",\"VpcId\":\"vpc-1\",\"Entries\":[{\"RuleNumber\":90,"
    "\"Protocol\":\"6\",\"RuleAction\":\"deny\",\"Egress\":false,\"CidrBlock\":\"0.0.0.0/0\","
    "\"PortRange\":{\"From\":3389,\"To\":3389}},{\"RuleNumber\":100,\"Protocol\":\"-1\","
    "\"RuleAction\":\"allow\",\"Egress\":false,\"CidrBlock\":\"0.0.0.0/0\"}]}},"
    "{\"t\":\"AWS::IAM::Policy\",\"id\":\"admin\",\"r\":\"global\",\"d\":{\"PolicyName\":"
    "\"admin\",\"AttachmentCount\":1,\"PolicyVersionList\":[{\"IsDefaultVersion\":true,"
    "\"Document\":{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
    "\"*\",\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"NotAction\":[\"s3:Get*\"],\"Resource\":"
    "\"arn:aws:s3:::b/*\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}}]}},"
    "{\"t\":\"AWS::IAM::User\",\"id\":\"alice\",\"r\":\"global\",\"d\":{\"UserName\":\"alice\","
    "\"CreateDate\":\"2020-01-01T00:00:00Z\",\"AccessKeys\":[{\"AccessKeyId\":\"AKIA1\","
    "\"Status\":\"Active\",\"CreateDate\":\"2021-02-03T04:05:06Z\"}],\"MFADevices\":[],"
    "\"CredentialReport\":{\"password_enabled\":\"true\",\"mfa_active\":\"false\"}}},"
    "{\"t\":\"AWS::KMS::Key\",\"id\":\"k-1\",\"r\":\"us-east-1\",\"d\":{\"KeyMetadata\":"
    "{\"KeyId\":\"k-1\",\"KeyState\":\"Enabled\",\"KeyManager\":\"CUSTOMER\",\"KeySpec\":"
    "\"SYMMETRIC_DEFAULT\"},\"KeyRotationEnabled\":false},\"e\":{\"KeyPolicy\":"
    "\"GetKeyPolicy: AccessDeniedException: no\"}},"
    "{\"t\":\"AWS::CloudTrail::Trail\",\"id\":\"main\",\"r\":\"us-east-1\",\"d\":{\"Name\":"
    "\"main\",\"IsMultiRegionTrail\":true,\"KmsKeyId\":\"k-1\",\"S3BucketName\":\"logs\","
    "\"Status\":{\"IsLogging\":true},\"EventSelectors\":[{\"ReadWriteType\":\"All\"}]}}"
    "]";

static pp_inventory *inventory(void)
{
    static pp_inventory *inv;
    if (inv)
        return inv;
    inv = pp_inventory_new(PP_SOURCE_AWS);
    json_t *all = json_loads(resources_json, 0, NULL);
    if (!all)
        abort(); /* the table above is broken */
    size_t i;
    json_t *e;
    json_array_foreach(all, i, e)
    {
        pp_resource *r =
            pp_resource_new(json_string_value(json_object_get(e, "t")),
                            json_string_value(json_object_get(e, "id")), NULL, "111122223333",
                            json_string_value(json_object_get(e, "r")), json_object_get(e, "d"));
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(e, "e"), k, v)
        {
            pp_resource_set_error(r, k, json_string_value(v));
        }
        pp_inventory_add(inv, r);
    }
    json_decref(all);
    pp_inventory_add_scope(inv, "111122223333", "us-east-1");
    pp_inventory_add_scope(inv, "111122223333", "eu-west-1");
    pp_inventory_add_scope(inv, "111122223333", "global");
    pp_coverage c = {.account = "111122223333",
                     .region = "eu-west-1",
                     .service = "ec2",
                     .operation = "DescribeSecurityGroups",
                     .ok = false,
                     .error = "AccessDenied: no"};
    pp_inventory_add_coverage(inv, &c);
    return inv;
}

static void add_rule(pp_ruleset *rs, pp_pack *pack, const pp_ynode *n, pp_diags *d)
{
    if (n->kind != PP_Y_MAP)
        return;
    pp_rule *r = pp_rule_compile(rs, pack, n, NULL, d);
    if (!r)
        return;
    rs->rules = pp_xrealloc(rs->rules, (rs->n_rules + 1) * sizeof(*rs->rules));
    rs->rules[rs->n_rules++] = r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const actions[] = {"revoke-ingress", "enable-key-rotation", NULL};
    char *text = pp_fuzz_cstr(data, size);
    pp_diags d = {0};
    pp_yfile *f = NULL;
    pp_ruleset *rs = NULL;
    pp_results *res = NULL;
    if (pp_yaml_parse("fuzz.yaml", text, size, &f, &d) != 0)
        goto _exit;

    rs = pp_xcalloc(1, sizeof(*rs));
    rs->actions = actions;
    pp_pack *pack = pp_xcalloc(1, sizeof(*pack));
    pack->name = pp_xstrdup("fuzz");
    pack->version = pp_xstrdup("1.0.0");
    pack->dir = pp_xstrdup("fuzz");
    pack->params = json_pack("{s:[i,i], s:s, s:i}", "admin_ports", 22, 3389, "region", "us-east-1",
                             "max_age", 90);
    rs->packs = pp_xcalloc(1, sizeof(*rs->packs));
    rs->packs[rs->n_packs++] = pack;
    for (size_t i = 0; i < f->n_docs; i++) {
        const pp_ynode *n = f->docs[i];
        if (n->kind == PP_Y_SEQ)
            for (size_t k = 0; k < n->n; k++)
                add_rule(rs, pack, n->kids[k], &d);
        else
            add_rule(rs, pack, n, &d);
    }
    rs->actions = NULL;
    /* As pp_rules_load does: one error anywhere and nothing is evaluated (a failed rule's joins
     * stay registered in the ruleset, so evaluating the rest would not be the loader's path). */
    if (rs->n_rules && d.n == 0) {
        /* 2024-06-01: ages are computed against a fixed time, as rule tests do */
        if (pp_rules_eval_some(rs, NULL, 0, inventory(), 1717200000, &res) == 0) {
            for (size_t i = 0; i < res->n_findings; i++)
                if (res->findings[i].status > PP_STATUS_MANUAL)
                    abort();
        }
    }

_exit:
    pp_results_free(res);
    pp_ruleset_free(rs);
    pp_yfile_free(f);
    free(text);
    return 0;
}
