/* set-password-policy (AWS::::Account): UpdateAccountPasswordPolicy resets every field the request
 * omits, so the step always sends the whole policy: the account's current policy as the scan saw
 * it, with what the rules ask for laid over it (the stricter value when several findings ask). */
#include "../rem_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *arg, *field;
    bool is_int;
    bool higher_is_stricter; /* ints: the larger value wins; bools: true wins */
} fields[] = {
    {"min_length", "MinimumPasswordLength", true, true},
    {"require_symbols", "RequireSymbols", false, true},
    {"require_numbers", "RequireNumbers", false, true},
    {"require_uppercase", "RequireUppercaseCharacters", false, true},
    {"require_lowercase", "RequireLowercaseCharacters", false, true},
    {"allow_users_to_change", "AllowUsersToChangePassword", false, true},
    {"reuse", "PasswordReusePrevention", true, true},
    {"max_age", "MaxPasswordAge", true, false},
    {"hard_expiry", "HardExpiry", false, true},
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static int int_arg(const json_t *v, long *out)
{
    if (json_is_integer(v)) {
        *out = (long)json_integer_value(v);
        return 0;
    }
    if (json_is_string(v))
        return pp_parse_long(json_string_value(v), 0, 1095, out);
    return -1;
}

static int plan(pp_rem_planner *p, const pp_rem_target *t)
{
    char id[128];
    snprintf(id, sizeof(id), "set-password-policy:%s", t->account);
    bool is_new = false;
    json_t *step = pp_rem_step(p, t, "set-password-policy", id, '~', &is_new, "x");
    json_t *call = NULL;
    if (is_new) {
        const json_t *cur = t->res ? json_object_get(t->res->doc, "PasswordPolicy") : NULL;
        json_t *params = json_object();
        for (size_t i = 0; i < N_FIELDS; i++) {
            const json_t *v = json_object_get(cur, fields[i].field);
            if (v && !json_is_null(v))
                json_object_set(params, fields[i].field, (json_t *)v);
        }
        /* the console's defaults for what an account without a policy has */
        if (!json_object_get(params, "AllowUsersToChangePassword"))
            json_object_set_new(params, "AllowUsersToChangePassword", json_true());
        call = pp_rem_call(step, "iam", "UpdateAccountPasswordPolicy", NULL, params);
        if (cur && json_object_size(cur))
            pp_rem_undo(step, "iam", "UpdateAccountPasswordPolicy", NULL, json_deep_copy(params));
        else
            pp_rem_undo(step, "iam", "DeleteAccountPasswordPolicy", NULL, json_object());
        pp_rem_step_arg(step, "want", json_object());
    }
    call = json_array_get(json_object_get(step, "calls"), 0);
    json_t *params = json_object_get(call, "params");
    json_t *want = json_object_get(json_object_get(step, "target"), "want");
    for (size_t i = 0; i < N_FIELDS; i++) {
        const json_t *a = json_object_get(t->args, fields[i].arg);
        if (!a)
            continue;
        const char *f = fields[i].field;
        json_t *have = json_object_get(want, f);
        if (fields[i].is_int) {
            long n;
            if (int_arg(a, &n) || n < 0)
                return pp_err_set(PP_EINVAL, "rule %s: %s must be a number", t->rule->id,
                                  fields[i].arg);
            if (have) {
                long h = (long)json_integer_value(have);
                n = fields[i].higher_is_stricter ? (h > n ? h : n) : (h < n ? h : n);
            }
            json_object_set_new(params, f, json_integer(n));
            json_object_set_new(want, f, json_integer(n));
            if (strcmp(f, "MaxPasswordAge") == 0)
                json_object_set_new(want, "ExpirePasswords", json_true());
        } else {
            bool b = json_is_true(a) || pp_str_eq(json_string_value(a), "true");
            if (have)
                b = b || json_is_true(have);
            json_object_set_new(params, f, json_boolean(b));
            json_object_set_new(want, f, json_boolean(b));
        }
    }
    pp_buf b;
    pp_buf_init(&b, 600);
    const char *k;
    json_t *v;
    size_t n = 0;
    json_object_foreach(want, k, v)
    {
        char *val = json_dumps(v, JSON_ENCODE_ANY);
        pp_buf_printf(&b, "%s%s=%s", n++ ? ", " : "", k, val ? val : "?");
        free(val);
    }
    pp_rem_step_set_summary(step, "set the account password policy (whole policy sent): %s",
                            pp_buf_cstr(&b));
    pp_buf_free(&b);
    return 0;
}

static int check(pp_rem_check *c)
{
    const json_t *want = json_object_get(json_object_get(c->step, "target"), "want");
    json_t *data = NULL;
    char *code = NULL;
    int rc = pp_rem_read(c, "iam", "GetAccountPasswordPolicy", NULL, NULL, &data, &code);
    if (rc) {
        bool none = pp_str_eq(code, "NoSuchEntity");
        free(code);
        return none ? 0 : rc;
    }
    free(code);
    const json_t *pol = json_object_get(data, "PasswordPolicy");
    bool all = true;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)want, k, v)
    {
        const json_t *have = json_object_get(pol, k);
        if (!have || !json_equal(have, v))
            all = false;
    }
    json_decref(data);
    if (all)
        pp_rem_check_unneeded(c, "already in the desired state: the policy has these settings");
    return 0;
}

static const char *const ops[] = {"iam:GetAccountPasswordPolicy", "iam:UpdateAccountPasswordPolicy",
                                  NULL};

const pp_rem_action pp_rem_action_set_password_policy = {
    .name = "set-password-policy",
    .type = "AWS::::Account",
    .ops = ops,
    .plan = plan,
    .check = check,
};
