/* detach-user-policies (AWS::IAM::User, RISKY: --allow-risky): detach the user's managed policies
 * and delete its inline ones (CIS 1.15: permissions through groups only). The undo re-attaches
 * them and puts the inline documents back as the scan saw them. */
#include "../rem_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int plan(pp_rem_planner *p, const pp_rem_target *t)
{
    const char *user = t->f->res_id;
    if (!t->res) {
        pp_rem_no_action(p, t, "user %s is not in the snapshot", user);
        return 0;
    }
    const json_t *attached = json_object_get(t->res->doc, "AttachedManagedPolicies");
    const json_t *inl = json_object_get(t->res->doc, "UserPolicyList");
    if (!json_array_size(attached) && !json_array_size(inl)) {
        pp_rem_no_action(p, t, "user %s has no policies of its own", user);
        return 0;
    }
    char id[256];
    snprintf(id, sizeof(id), "detach-user-policies:%s", user);
    bool is_new = false;
    json_t *step = pp_rem_step(p, t, "detach-user-policies", id, '-', &is_new,
                               "detach %zu managed and delete %zu inline policies of user %s",
                               json_array_size(attached), json_array_size(inl), user);
    if (!is_new)
        return 0;
    size_t i;
    json_t *v;
    json_array_foreach(attached, i, v)
    {
        const char *arn = pp_rem_str(v, "PolicyArn");
        if (!arn)
            continue;
        json_t *c = pp_rem_call(step, "iam", "DetachUserPolicy", NULL,
                                json_pack("{s:s, s:s}", "UserName", user, "PolicyArn", arn));
        pp_rem_call_ok_codes(c, "NoSuchEntity");
        pp_rem_undo(step, "iam", "AttachUserPolicy", NULL,
                    json_pack("{s:s, s:s}", "UserName", user, "PolicyArn", arn));
    }
    json_array_foreach(inl, i, v)
    {
        const char *name = pp_rem_str(v, "PolicyName");
        if (!name)
            continue;
        json_t *c = pp_rem_call(step, "iam", "DeleteUserPolicy", NULL,
                                json_pack("{s:s, s:s}", "UserName", user, "PolicyName", name));
        pp_rem_call_ok_codes(c, "NoSuchEntity");
        char *doc = json_dumps(json_object_get(v, "PolicyDocument"), JSON_COMPACT);
        pp_rem_undo(step, "iam", "PutUserPolicy", NULL,
                    json_pack("{s:s, s:s, s:s}", "UserName", user, "PolicyName", name,
                              "PolicyDocument", doc ? doc : "{}"));
        free(doc);
    }
    pp_rem_step_arg(step, "user", json_string(user));
    return 0;
}

static int check(pp_rem_check *c)
{
    const char *user = pp_rem_str(json_object_get(c->step, "target"), "user");
    json_t *att = NULL, *inl = NULL;
    char *code = NULL;
    json_t *in = json_pack("{s:s}", "UserName", user);
    int rc = pp_rem_read(c, "iam", "ListAttachedUserPolicies", NULL, in, &att, &code);
    if (rc == 0)
        rc = pp_rem_read(c, "iam", "ListUserPolicies", NULL, in, &inl, &code);
    json_decref(in);
    if (rc) {
        bool gone = pp_str_eq(code, "NoSuchEntity");
        free(code);
        json_decref(att);
        if (gone)
            pp_rem_check_unneeded(c, "user %s is already gone", user);
        return gone ? 0 : rc;
    }
    for (size_t i = json_array_size(c->calls); i-- > 0;) {
        json_t *call = json_array_get(c->calls, i);
        const json_t *pp = json_object_get(call, "params");
        bool there = false;
        size_t k;
        json_t *v;
        if (pp_str_eq(pp_rem_str(call, "operation"), "DetachUserPolicy")) {
            json_array_foreach(json_object_get(att, "AttachedPolicies"), k, v)
            {
                if (pp_str_eq(pp_rem_str(v, "PolicyArn"), pp_rem_str(pp, "PolicyArn")))
                    there = true;
            }
        } else {
            json_array_foreach(json_object_get(inl, "PolicyNames"), k, v)
            {
                if (pp_str_eq(json_string_value(v), pp_rem_str(pp, "PolicyName")))
                    there = true;
            }
        }
        if (!there)
            json_array_remove(c->calls, i);
    }
    json_decref(att);
    json_decref(inl);
    if (json_array_size(c->calls) == 0)
        pp_rem_check_unneeded(c, "already in the desired state: the user has none of them");
    return 0;
}

static const char *const ops[] = {"iam:ListAttachedUserPolicies", "iam:ListUserPolicies",
                                  "iam:DetachUserPolicy", "iam:DeleteUserPolicy", NULL};

const pp_rem_action pp_rem_action_detach_user_policies = {
    .name = "detach-user-policies",
    .type = "AWS::IAM::User",
    .risky = true,
    .ops = ops,
    .plan = plan,
    .check = check,
};
