/* strip-default-security-group (AWS::EC2::SecurityGroup): CIS 5.4 wants a VPC's default group to
 * allow nothing. Every ingress and egress permission the scan saw is revoked, one source each;
 * the group itself stays (a default group cannot be deleted). Only groups named "default". */
#include "../rem_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int plan(pp_rem_planner *p, const pp_rem_target *t)
{
    if (!t->res) {
        pp_rem_no_action(p, t, "security group %s is not in the snapshot", t->f->res_id);
        return 0;
    }
    if (!pp_str_eq(pp_rem_str(t->res->doc, "GroupName"), "default")) {
        pp_rem_no_action(p, t, "strip-default-security-group only acts on a VPC's default group");
        return 0;
    }
    const char *group = t->f->res_id;
    json_t *in = json_array(), *out = json_array();
    size_t i;
    json_t *perm;
    json_array_foreach(json_object_get(t->res->doc, "IpPermissions"), i, perm)
        pp_rem_sg_split(perm, NULL, in);
    json_array_foreach(json_object_get(t->res->doc, "IpPermissionsEgress"), i, perm)
        pp_rem_sg_split(perm, NULL, out);
    if (!json_array_size(in) && !json_array_size(out)) {
        pp_rem_no_action(p, t, "the default group has no rules left to revoke");
        json_decref(in);
        json_decref(out);
        return 0;
    }
    char id[256];
    snprintf(id, sizeof(id), "strip-default-security-group:%s", group);
    bool is_new = false;
    json_t *step = pp_rem_step(p, t, "strip-default-security-group", id, '-', &is_new,
                               "revoke all %zu ingress and %zu egress rules of default security "
                               "group %s",
                               json_array_size(in), json_array_size(out), group);
    if (!is_new) {
        json_decref(in);
        json_decref(out);
        return 0;
    }
    json_t *c;
    if (json_array_size(in)) {
        c = pp_rem_call(step, "ec2", "RevokeSecurityGroupIngress", t->region,
                        json_pack("{s:s, s:O}", "GroupId", group, "IpPermissions", in));
        pp_rem_call_ok_codes(c, "InvalidPermission.NotFound");
        pp_rem_undo(step, "ec2", "AuthorizeSecurityGroupIngress", t->region,
                    json_pack("{s:s, s:O}", "GroupId", group, "IpPermissions", in));
    }
    if (json_array_size(out)) {
        c = pp_rem_call(step, "ec2", "RevokeSecurityGroupEgress", t->region,
                        json_pack("{s:s, s:O}", "GroupId", group, "IpPermissions", out));
        pp_rem_call_ok_codes(c, "InvalidPermission.NotFound");
        pp_rem_undo(step, "ec2", "AuthorizeSecurityGroupEgress", t->region,
                    json_pack("{s:s, s:O}", "GroupId", group, "IpPermissions", out));
    }
    pp_rem_step_arg(step, "group", json_string(group));
    json_decref(in);
    json_decref(out);
    return 0;
}

static int check(pp_rem_check *c)
{
    const char *group = pp_rem_str(json_object_get(c->step, "target"), "group");
    json_t *first = json_array_get(c->calls, 0);
    json_t *data = NULL;
    char *code = NULL;
    json_t *in = json_pack("{s:[s]}", "GroupId", group);
    int rc = pp_rem_read(c, "ec2", "DescribeSecurityGroups", pp_rem_str(first, "region"), in, &data,
                         &code);
    json_decref(in);
    if (rc) {
        bool gone = pp_str_eq(code, "InvalidGroup.NotFound");
        free(code);
        if (gone)
            pp_rem_check_unneeded(c, "security group %s is already gone", group);
        return gone ? 0 : rc;
    }
    const json_t *sg = json_array_get(json_object_get(data, "SecurityGroups"), 0);
    json_t *call = pp_rem_check_call(c, "RevokeSecurityGroupIngress");
    if (call && pp_rem_sg_narrow(call, json_object_get(sg, "IpPermissions")) == 0)
        pp_rem_check_drop(c, "RevokeSecurityGroupIngress");
    call = pp_rem_check_call(c, "RevokeSecurityGroupEgress");
    if (call && pp_rem_sg_narrow(call, json_object_get(sg, "IpPermissionsEgress")) == 0)
        pp_rem_check_drop(c, "RevokeSecurityGroupEgress");
    json_decref(data);
    if (json_array_size(c->calls) == 0)
        pp_rem_check_unneeded(c, "already in the desired state: the group has none of the rules");
    return 0;
}

static const char *const ops[] = {"ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupIngress",
                                  "ec2:RevokeSecurityGroupEgress", NULL};

const pp_rem_action pp_rem_action_strip_default_security_group = {
    .name = "strip-default-security-group",
    .type = "AWS::EC2::SecurityGroup",
    .ops = ops,
    .plan = plan,
    .check = check,
};
