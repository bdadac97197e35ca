/* deactivate-access-key (AWS::IAM::User, RISKY: --allow-risky): UpdateAccessKey Status=Inactive for
 * the access keys the FAIL matched (stale or extra keys). With keep_one: true (rules about "more
 * than one active key"), the matched key used most recently (else created last) stays active.
 * Keys are deactivated, never deleted: the undo turns them back on. */
#include "../rem_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *key_time(const json_t *k)
{
    const char *used = pp_rem_str(json_object_get(k, "AccessKeyLastUsed"), "LastUsedDate");
    return used ? used : pp_rem_str(k, "CreateDate");
}

static int plan(pp_rem_planner *p, const pp_rem_target *t)
{
    const char *user = t->f->res_id;
    json_t *keys = json_array();
    size_t i;
    json_t *ev;
    json_array_foreach(t->f->evidence, i, ev)
    {
        const json_t *v = json_object_get(ev, "value");
        const char *kid = pp_rem_str(v, "AccessKeyId");
        if (!kid || !pp_str_eq(pp_rem_str(v, "Status"), "Active"))
            continue;
        bool dup = false;
        size_t k;
        json_t *have;
        json_array_foreach(keys, k, have)
        {
            if (pp_str_eq(pp_rem_str(have, "AccessKeyId"), kid))
                dup = true;
        }
        if (!dup)
            json_array_append(keys, (json_t *)v);
    }
    if (pp_rem_arg_bool(t, "keep_one", false) && json_array_size(keys) > 0) {
        size_t best = 0;
        json_array_foreach(keys, i, ev)
        {
            const char *a = key_time(ev), *b = key_time(json_array_get(keys, best));
            if (a && (!b || strcmp(a, b) > 0))
                best = i;
        }
        json_array_remove(keys, best);
    }
    if (json_array_size(keys) == 0) {
        json_decref(keys);
        pp_rem_no_action(p, t, "the evidence names no active access key to deactivate");
        return 0;
    }
    char id[256];
    snprintf(id, sizeof(id), "deactivate-access-key:%s", user);
    bool is_new = false;
    json_t *step = pp_rem_step(p, t, "deactivate-access-key", id, '~', &is_new, "x");
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        const char *kid = pp_rem_str(k, "AccessKeyId");
        bool have = false;
        size_t x;
        json_t *c;
        json_array_foreach(json_object_get(step, "calls"), x, c)
        {
            if (pp_str_eq(pp_rem_str(json_object_get(c, "params"), "AccessKeyId"), kid))
                have = true;
        }
        if (have)
            continue;
        json_t *c2 = pp_rem_call(step, "iam", "UpdateAccessKey", NULL,
                                 json_pack("{s:s, s:s, s:s}", "UserName", user, "AccessKeyId", kid,
                                           "Status", "Inactive"));
        pp_rem_call_ok_codes(c2, "NoSuchEntity");
        pp_rem_undo(
            step, "iam", "UpdateAccessKey", NULL,
            json_pack("{s:s, s:s, s:s}", "UserName", user, "AccessKeyId", kid, "Status", "Active"));
    }
    json_decref(keys);
    pp_buf b;
    pp_buf_init(&b, 600);
    json_t *c;
    json_array_foreach(json_object_get(step, "calls"), i, c)
    {
        char masked[32];
        pp_redact_key_id(pp_rem_str(json_object_get(c, "params"), "AccessKeyId"), masked);
        pp_buf_printf(&b, "%s%s", i ? ", " : "", masked);
    }
    pp_rem_step_set_summary(step, "deactivate access key%s %s of user %s",
                            json_array_size(json_object_get(step, "calls")) > 1 ? "s" : "",
                            pp_buf_cstr(&b), user);
    pp_buf_free(&b);
    pp_rem_step_arg(step, "user", json_string(user));
    return 0;
}

static int check(pp_rem_check *c)
{
    const char *user = pp_rem_str(json_object_get(c->step, "target"), "user");
    json_t *data = NULL;
    char *code = NULL;
    json_t *in = json_pack("{s:s}", "UserName", user);
    int rc = pp_rem_read(c, "iam", "ListAccessKeys", NULL, in, &data, &code);
    json_decref(in);
    if (rc) {
        bool gone = pp_str_eq(code, "NoSuchEntity");
        free(code);
        if (gone)
            pp_rem_check_unneeded(c, "user %s is already gone", user);
        return gone ? 0 : rc;
    }
    for (size_t i = json_array_size(c->calls); i-- > 0;) {
        const char *kid =
            pp_rem_str(json_object_get(json_array_get(c->calls, i), "params"), "AccessKeyId");
        bool active = false;
        size_t k;
        json_t *key;
        json_array_foreach(json_object_get(data, "AccessKeyMetadata"), k, key)
        {
            if (pp_str_eq(pp_rem_str(key, "AccessKeyId"), kid) &&
                pp_str_eq(pp_rem_str(key, "Status"), "Active"))
                active = true;
        }
        if (!active)
            json_array_remove(c->calls, i);
    }
    json_decref(data);
    if (json_array_size(c->calls) == 0)
        pp_rem_check_unneeded(c, "already in the desired state: the keys are inactive or gone");
    return 0;
}

static const char *const ops[] = {"iam:ListAccessKeys", "iam:UpdateAccessKey", NULL};

const pp_rem_action pp_rem_action_deactivate_access_key = {
    .name = "deactivate-access-key",
    .type = "AWS::IAM::User",
    .risky = true,
    .ops = ops,
    .plan = plan,
    .check = check,
};
