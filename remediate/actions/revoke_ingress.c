/* revoke-ingress (AWS::EC2::SecurityGroup): revoke exactly the ingress the FAIL matched. The
 * evidence carries the matched permissions; of each, the sources that are open to the world
 * (0.0.0.0/0, ::/0, or the CIDRs the rule's `cidrs` argument lists) are revoked, one source per
 * entry, and nothing else of the group. A permission that matched without any such source is
 * revoked with all its IP ranges, as matched. */
#include "../rem_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char **cidr_list(const pp_rem_target *t)
{
    const json_t *v = json_object_get(t->args, "cidrs");
    size_t n = json_array_size(v);
    if (!n) {
        char **d = pp_xcalloc(3, sizeof(char *));
        d[0] = pp_xstrdup("0.0.0.0/0");
        d[1] = pp_xstrdup("::/0");
        return d;
    }
    char **out = pp_xcalloc(n + 1, sizeof(char *));
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (json_is_string(json_array_get(v, i)))
            out[k++] = pp_xstrdup(json_string_value(json_array_get(v, i)));
    return out;
}

static int plan(pp_rem_planner *p, const pp_rem_target *t)
{
    const char *group = t->f->res_id;
    json_t *perms = json_array();
    char **cidrs = cidr_list(t);
    size_t i;
    json_t *ev;
    json_array_foreach(t->f->evidence, i, ev)
    {
        const char *path = pp_rem_str(ev, "path");
        const json_t *perm = json_object_get(ev, "value");
        if (!path || !pp_str_startswith(path, "IpPermissions[") || !json_is_object(perm))
            continue;
        json_t *tmp = json_array();
        if (!pp_rem_sg_split(perm, cidrs, tmp)) {
            /* nothing world-open in it: what matched is its IP ranges, all of them */
            json_t *ranges = json_array();
            size_t k;
            json_t *r;
            json_array_foreach(json_object_get(perm, "IpRanges"), k, r)
            {
                if (pp_rem_str(r, "CidrIp"))
                    json_array_append_new(ranges, json_string(pp_rem_str(r, "CidrIp")));
            }
            json_array_foreach(json_object_get(perm, "Ipv6Ranges"), k, r)
            {
                if (pp_rem_str(r, "CidrIpv6"))
                    json_array_append_new(ranges, json_string(pp_rem_str(r, "CidrIpv6")));
            }
            char **v = pp_xcalloc(json_array_size(ranges) + 1, sizeof(char *));
            json_array_foreach(ranges, k, r) v[k] = pp_xstrdup(json_string_value(r));
            pp_rem_sg_split(perm, v, tmp);
            pp_strv_free(v);
            json_decref(ranges);
        }
        size_t k;
        json_t *one;
        json_array_foreach(tmp, k, one)
        {
            if (!pp_rem_sg_has(perms, one))
                json_array_append(perms, one);
        }
        json_decref(tmp);
    }
    pp_strv_free(cidrs);
    if (json_array_size(perms) == 0) {
        pp_rem_no_action(p, t, "the evidence names no ingress permission to revoke");
        json_decref(perms);
        return 0;
    }
    char id[256];
    snprintf(id, sizeof(id), "revoke-ingress:%s", group);
    bool is_new = false;
    json_t *step = pp_rem_step(p, t, "revoke-ingress", id, '-', &is_new, "x");
    json_t *call;
    if (is_new) {
        call = pp_rem_call(step, "ec2", "RevokeSecurityGroupIngress", t->region,
                           json_pack("{s:s, s:[]}", "GroupId", group, "IpPermissions"));
        pp_rem_call_ok_codes(call, "InvalidPermission.NotFound");
        pp_rem_undo(step, "ec2", "AuthorizeSecurityGroupIngress", t->region,
                    json_pack("{s:s, s:[]}", "GroupId", group, "IpPermissions"));
    }
    call = json_array_get(json_object_get(step, "calls"), 0);
    json_t *list = json_object_get(json_object_get(call, "params"), "IpPermissions");
    json_t *undo_list =
        json_object_get(json_object_get(json_array_get(json_object_get(step, "undo"), 0), "params"),
                        "IpPermissions");
    json_t *one;
    json_array_foreach(perms, i, one)
    {
        if (!pp_rem_sg_has(list, one)) {
            json_array_append(list, one);
            json_array_append(undo_list, one);
        }
    }
    json_decref(perms);
    pp_buf b;
    pp_buf_init(&b, 900);
    json_array_foreach(list, i, one)
    {
        char d[128];
        pp_rem_sg_describe(one, d, sizeof(d));
        if (pp_buf_printf(&b, "%s%s", i ? ", " : "", d))
            break;
    }
    pp_rem_step_set_summary(step, "revoke ingress %s on security group %s", pp_buf_cstr(&b), group);
    pp_buf_free(&b);
    pp_rem_step_arg(step, "group", json_string(group));
    return 0;
}

/* Re-read: only what is still there is revoked; a group that is gone needs nothing. */
static int check(pp_rem_check *c)
{
    const char *group = pp_rem_str(json_object_get(c->step, "target"), "group");
    json_t *call = pp_rem_check_call(c, "RevokeSecurityGroupIngress");
    json_t *data = NULL;
    char *code = NULL;
    json_t *in = json_pack("{s:[s]}", "GroupId", group);
    int rc = pp_rem_read(c, "ec2", "DescribeSecurityGroups", pp_rem_str(call, "region"), in, &data,
                         &code);
    json_decref(in);
    if (rc) {
        bool gone = pp_str_eq(code, "InvalidGroup.NotFound");
        free(code);
        if (gone) {
            pp_rem_check_unneeded(c, "security group %s is already gone", group);
            return 0;
        }
        return rc;
    }
    const json_t *sg = json_array_get(json_object_get(data, "SecurityGroups"), 0);
    size_t left = pp_rem_sg_narrow(call, json_object_get(sg, "IpPermissions"));
    json_decref(data);
    if (left == 0)
        pp_rem_check_unneeded(c, "already in the desired state: none of the ingress is left");
    return 0;
}

static const char *const ops[] = {"ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupIngress",
                                  NULL};

const pp_rem_action pp_rem_action_revoke_ingress = {
    .name = "revoke-ingress",
    .type = "AWS::EC2::SecurityGroup",
    .ops = ops,
    .plan = plan,
    .check = check,
};
