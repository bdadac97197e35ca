/* remove-nacl-entries (AWS::EC2::NetworkAcl): delete the NACL entries the FAIL matched, by rule
 * number and direction, and nothing else of the ACL. The evidence carries each entry as the scan
 * saw it; the re-read deletes only entries that are still that entry. */
#include "../rem_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const json_t *find_entry(const json_t *entries, long number, bool egress)
{
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e)
    {
        if (json_integer_value(json_object_get(e, "RuleNumber")) == number &&
            json_is_true(json_object_get(e, "Egress")) == egress)
            return e;
    }
    return NULL;
}

static int plan(pp_rem_planner *p, const pp_rem_target *t)
{
    const char *acl = t->f->res_id;
    char id[256];
    snprintf(id, sizeof(id), "remove-nacl-entries:%s", acl);
    json_t *step = NULL;
    pp_buf b;
    pp_buf_init(&b, 800);
    size_t i;
    json_t *ev;
    json_array_foreach(t->f->evidence, i, ev)
    {
        const char *path = pp_rem_str(ev, "path");
        const json_t *e = json_object_get(ev, "value");
        const json_t *num = json_object_get(e, "RuleNumber");
        if (!path || !strstr(path, "Entries[") || !json_is_integer(num))
            continue;
        long number = (long)json_integer_value(num);
        bool egress = json_is_true(json_object_get(e, "Egress"));
        if (number >= 32767)
            continue; /* the default entry cannot be deleted */
        if (!step) {
            step = pp_rem_step(p, t, "remove-nacl-entries", id, '-', NULL, "x");
            pp_rem_step_arg(step, "acl", json_string(acl));
        }
        json_t *calls = json_object_get(step, "calls");
        bool have = false;
        size_t k;
        json_t *c;
        json_array_foreach(calls, k, c)
        {
            json_t *pp = json_object_get(c, "params");
            if (json_integer_value(json_object_get(pp, "RuleNumber")) == number &&
                json_is_true(json_object_get(pp, "Egress")) == egress)
                have = true;
        }
        if (have)
            continue;
        c = pp_rem_call(step, "ec2", "DeleteNetworkAclEntry", t->region,
                        json_pack("{s:s, s:I, s:b}", "NetworkAclId", acl, "RuleNumber",
                                  (json_int_t)number, "Egress", egress));
        pp_rem_call_ok_codes(c, "InvalidNetworkAclEntry.NotFound");
        /* undo puts the same entry back */
        json_t *undo = json_pack("{s:s, s:I, s:b}", "NetworkAclId", acl, "RuleNumber",
                                 (json_int_t)number, "Egress", egress);
        static const char *const keys[] = {"Protocol",      "RuleAction", "CidrBlock",
                                           "Ipv6CidrBlock", "PortRange",  "IcmpTypeCode"};
        for (size_t x = 0; x < sizeof(keys) / sizeof(keys[0]); x++)
            if (json_object_get(e, keys[x]))
                json_object_set(undo, keys[x], json_object_get(e, keys[x]));
        pp_rem_undo(step, "ec2", "CreateNetworkAclEntry", t->region, undo);
        json_t *expect = json_object_get(json_object_get(step, "target"), "entries");
        if (!expect) {
            pp_rem_step_arg(step, "entries", json_array());
            expect = json_object_get(json_object_get(step, "target"), "entries");
        }
        json_array_append(expect, (json_t *)e);
    }
    if (!step) {
        pp_rem_no_action(p, t, "the evidence names no NACL entry that can be deleted");
        pp_buf_free(&b);
        return 0;
    }
    json_t *c;
    json_array_foreach(json_object_get(step, "calls"), i, c)
    {
        json_t *pp = json_object_get(c, "params");
        pp_buf_printf(&b, "%s%s %lld", i ? ", " : "",
                      json_is_true(json_object_get(pp, "Egress")) ? "egress" : "ingress",
                      (long long)json_integer_value(json_object_get(pp, "RuleNumber")));
    }
    pp_rem_step_set_summary(step, "delete entries %s of network ACL %s", pp_buf_cstr(&b), acl);
    pp_buf_free(&b);
    return 0;
}

static bool same_entry(const json_t *a, const json_t *b)
{
    static const char *const keys[] = {"Protocol", "RuleAction", "CidrBlock", "Ipv6CidrBlock",
                                       "PortRange"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const json_t *x = json_object_get(a, keys[i]), *y = json_object_get(b, keys[i]);
        if ((x || y) && !(x && y && json_equal(x, y)))
            return false;
    }
    return true;
}

static int check(pp_rem_check *c)
{
    const json_t *target = json_object_get(c->step, "target");
    const char *acl = pp_rem_str(target, "acl");
    json_t *first = json_array_get(c->calls, 0);
    json_t *data = NULL;
    char *code = NULL;
    json_t *in = json_pack("{s:[s]}", "NetworkAclId", acl);
    int rc =
        pp_rem_read(c, "ec2", "DescribeNetworkAcls", pp_rem_str(first, "region"), in, &data, &code);
    json_decref(in);
    if (rc) {
        bool gone = pp_str_eq(code, "InvalidNetworkAclID.NotFound");
        free(code);
        if (gone)
            pp_rem_check_unneeded(c, "network ACL %s is already gone", acl);
        return gone ? 0 : rc;
    }
    const json_t *now =
        json_object_get(json_array_get(json_object_get(data, "NetworkAcls"), 0), "Entries");
    for (size_t i = json_array_size(c->calls); i-- > 0;) {
        json_t *pp = json_object_get(json_array_get(c->calls, i), "params");
        long number = (long)json_integer_value(json_object_get(pp, "RuleNumber"));
        bool egress = json_is_true(json_object_get(pp, "Egress"));
        const json_t *have = find_entry(now, number, egress);
        const json_t *planned = find_entry(json_object_get(target, "entries"), number, egress);
        /* gone, or replaced by a different entry under the same number: not ours to delete */
        if (!have || (planned && !same_entry(have, planned)))
            json_array_remove(c->calls, i);
    }
    json_decref(data);
    if (json_array_size(c->calls) == 0)
        pp_rem_check_unneeded(c, "already in the desired state: the entries are gone or changed");
    return 0;
}

static const char *const ops[] = {"ec2:DescribeNetworkAcls", "ec2:DeleteNetworkAclEntry", NULL};

const pp_rem_action pp_rem_action_remove_nacl_entries = {
    .name = "remove-nacl-entries",
    .type = "AWS::EC2::NetworkAcl",
    .ops = ops,
    .plan = plan,
    .check = check,
};
