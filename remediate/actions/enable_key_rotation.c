/* enable-key-rotation (AWS::KMS::Key): EnableKeyRotation, with the rotation period when the rule
 * names one (rotation_period_days, 90-2560). */
#include "../rem_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long period_arg(const pp_rem_target *t)
{
    const json_t *v = json_object_get(t->args, "rotation_period_days");
    long n = 0;
    if (json_is_integer(v))
        n = (long)json_integer_value(v);
    else if (json_is_string(v) && pp_parse_long(json_string_value(v), 90, 2560, &n))
        n = -1;
    return n;
}

static int plan(pp_rem_planner *p, const pp_rem_target *t)
{
    long period = period_arg(t);
    if (period < 0 || (period && (period < 90 || period > 2560)))
        return pp_err_set(PP_EINVAL, "rule %s: rotation_period_days must be 90 to 2560",
                          t->rule->id);
    char id[256];
    snprintf(id, sizeof(id), "enable-key-rotation:%s", t->f->res_id);
    bool is_new = false;
    json_t *step = pp_rem_step(p, t, "enable-key-rotation", id, '~', &is_new,
                               "enable automatic rotation of KMS key %s%s", t->f->res_id,
                               period ? " (custom period)" : "");
    if (!is_new)
        return 0;
    json_t *params = json_pack("{s:s}", "KeyId", t->f->res_id);
    if (period)
        json_object_set_new(params, "RotationPeriodInDays", json_integer(period));
    pp_rem_call(step, "kms", "EnableKeyRotation", t->region, params);
    pp_rem_undo(step, "kms", "DisableKeyRotation", t->region,
                json_pack("{s:s}", "KeyId", t->f->res_id));
    pp_rem_step_arg(step, "key", json_string(t->f->res_id));
    if (period)
        pp_rem_step_arg(step, "period", json_integer(period));
    return 0;
}

static int check(pp_rem_check *c)
{
    const json_t *target = json_object_get(c->step, "target");
    const char *key = pp_rem_str(target, "key");
    json_t *call = json_array_get(c->calls, 0);
    json_t *data = NULL;
    char *code = NULL;
    json_t *in = json_pack("{s:s}", "KeyId", key);
    int rc =
        pp_rem_read(c, "kms", "GetKeyRotationStatus", pp_rem_str(call, "region"), in, &data, &code);
    json_decref(in);
    if (rc) {
        bool gone = pp_str_eq(code, "NotFoundException");
        free(code);
        if (gone)
            pp_rem_check_unneeded(c, "key %s is already gone", key);
        return gone ? 0 : rc;
    }
    bool on = json_is_true(json_object_get(data, "KeyRotationEnabled"));
    const json_t *want = json_object_get(target, "period");
    const json_t *have = json_object_get(data, "RotationPeriodInDays");
    if (on && (!want || (have && json_integer_value(have) == json_integer_value(want))))
        pp_rem_check_unneeded(c, "already in the desired state: rotation is enabled");
    json_decref(data);
    return 0;
}

static const char *const ops[] = {"kms:GetKeyRotationStatus", "kms:EnableKeyRotation", NULL};

const pp_rem_action pp_rem_action_enable_key_rotation = {
    .name = "enable-key-rotation",
    .type = "AWS::KMS::Key",
    .ops = ops,
    .plan = plan,
    .check = check,
};
