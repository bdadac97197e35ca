/* The remediation actions, found by name in one table (actions.md is the vocabulary). The order is
 * the planning order: actions that create what others use (a trail, its log group) come before
 * the actions that use it (CIS alarms on the trail's log group). */
#include "../rem_int.h"

#include <string.h>

extern const pp_rem_action pp_rem_action_provision;
extern const pp_rem_action pp_rem_action_create_trail;
extern const pp_rem_action pp_rem_action_configure_trail;
extern const pp_rem_action pp_rem_action_start_trail_logging;
extern const pp_rem_action pp_rem_action_enable_key_rotation;
extern const pp_rem_action pp_rem_action_enable_config;
extern const pp_rem_action pp_rem_action_enable_guardduty;
extern const pp_rem_action pp_rem_action_create_flow_logs;
extern const pp_rem_action pp_rem_action_enable_bucket_logging;
extern const pp_rem_action pp_rem_action_set_password_policy;
extern const pp_rem_action pp_rem_action_revoke_ingress;
extern const pp_rem_action pp_rem_action_strip_default_security_group;
extern const pp_rem_action pp_rem_action_remove_nacl_entries;
extern const pp_rem_action pp_rem_action_deactivate_access_key;
extern const pp_rem_action pp_rem_action_detach_user_policies;
extern const pp_rem_action pp_rem_action_create_cis_alarm;

static const pp_rem_action *const actions[] = {
    &pp_rem_action_provision,
    &pp_rem_action_enable_bucket_logging,
    &pp_rem_action_create_trail,
    &pp_rem_action_configure_trail,
    &pp_rem_action_start_trail_logging,
    &pp_rem_action_enable_key_rotation,
    &pp_rem_action_enable_config,
    &pp_rem_action_enable_guardduty,
    &pp_rem_action_create_flow_logs,
    &pp_rem_action_set_password_policy,
    &pp_rem_action_revoke_ingress,
    &pp_rem_action_strip_default_security_group,
    &pp_rem_action_remove_nacl_entries,
    &pp_rem_action_deactivate_access_key,
    &pp_rem_action_detach_user_policies,
    &pp_rem_action_create_cis_alarm,
};
#define N_ACTIONS (sizeof(actions) / sizeof(actions[0]))

const pp_rem_action *pp_rem_action_at(size_t i)
{
    return i < N_ACTIONS ? actions[i] : NULL;
}

const pp_rem_action *pp_rem_action_find(const char *name)
{
    for (size_t i = 0; name && i < N_ACTIONS; i++)
        if (strcmp(actions[i]->name, name) == 0)
            return actions[i];
    return NULL;
}

size_t pp_rem_action_index(const pp_rem_action *a)
{
    for (size_t i = 0; i < N_ACTIONS; i++)
        if (actions[i] == a)
            return i;
    return N_ACTIONS;
}

const char *const *pp_remediate_action_names(void)
{
    static const char *names[N_ACTIONS + 1];
    if (!names[0])
        for (size_t i = 0; i < N_ACTIONS; i++)
            names[i] = actions[i]->name;
    return names;
}

bool pp_remediate_action_risky(const char *name)
{
    const pp_rem_action *a = pp_rem_action_find(name);
    return a && a->risky;
}

/* Every permission the actions need: their operations' (from the operations table) and the
 * extra ones their calls imply, sorted and without repeats. */
json_t *pp_remediate_iam_policy(void)
{
    json_t *set = json_object();
    /* the executor's own call: which account the credentials are for */
    json_object_set_new(set, "sts:GetCallerIdentity", json_true());
    for (size_t i = 0; i < N_ACTIONS; i++) {
        for (const char *const *op = actions[i]->ops; op && *op; op++) {
            char svc[64];
            const char *colon = strchr(*op, ':');
            if (!colon || (size_t)(colon - *op) >= sizeof(svc))
                continue;
            memcpy(svc, *op, (size_t)(colon - *op));
            svc[colon - *op] = '\0';
            const pp_op *o = pp_op_find(svc, colon + 1);
            if (o && o->permission)
                json_object_set_new(set, o->permission, json_true());
        }
        for (const char *const *x = actions[i]->extra_permissions; x && *x; x++)
            json_object_set_new(set, *x, json_true());
    }
    json_t *list = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(set, k, v) json_array_append_new(list, json_string(k));
    json_decref(set);
    /* jansson objects are unordered: sort for a stable, reviewable document */
    size_t n = json_array_size(list);
    for (size_t a = 1; a < n; a++)
        for (size_t b = a; b > 0; b--) {
            json_t *x = json_array_get(list, b - 1), *y = json_array_get(list, b);
            if (strcmp(json_string_value(x), json_string_value(y)) <= 0)
                break;
            json_incref(x);
            json_array_set(list, b - 1, y);
            json_array_set_new(list, b, x);
        }
    return json_pack("{s:s, s:[{s:s, s:s, s:o, s:s}]}", "Version", "2012-10-17", "Statement", "Sid",
                     "ParapetRemediate", "Effect", "Allow", "Action", list, "Resource", "*");
}
