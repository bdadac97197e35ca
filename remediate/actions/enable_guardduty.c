/* enable-guardduty (region existence rule): CreateDetector with enable=true, or UpdateDetector
 * enable=true for a detector that exists disabled (a region holds one detector). */
#include "../rem_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int plan(pp_rem_planner *p, const pp_rem_target *t)
{
    const char *region = t->region;
    if (!region || strcmp(region, "global") == 0) {
        pp_rem_no_action(p, t, "enable-guardduty needs a finding per region");
        return 0;
    }
    char id[256];
    snprintf(id, sizeof(id), "enable-guardduty:%s/%s", t->account, region);
    if (pp_rem_step_get(p, id)) {
        pp_rem_step(p, t, "enable-guardduty", id, '+', NULL, "x");
        return 0;
    }
    const pp_resource *det = NULL;
    size_t n = 0;
    pp_resource *const *v = pp_inventory_of_type(p->o->inv, "AWS::GuardDuty::Detector", &n);
    for (size_t i = 0; i < n; i++)
        if (pp_str_eq(v[i]->account, t->account) && pp_str_eq(v[i]->region, region))
            det = v[i];
    json_t *step;
    if (det) {
        step = pp_rem_step(p, t, "enable-guardduty", id, '~', NULL,
                           "enable GuardDuty detector %s in %s", det->id, region);
        pp_rem_call(step, "guardduty", "UpdateDetector", region,
                    json_pack("{s:s, s:b}", "DetectorId", det->id, "enable", 1));
        pp_rem_undo(step, "guardduty", "UpdateDetector", region,
                    json_pack("{s:s, s:b}", "DetectorId", det->id, "enable", 0));
    } else {
        step = pp_rem_step(p, t, "enable-guardduty", id, '+', NULL,
                           "create an enabled GuardDuty detector in %s", region);
        json_t *c = pp_rem_call(
            step, "guardduty", "CreateDetector", region,
            json_pack("{s:b, s:{s:s}}", "enable", 1, "tags", PP_REM_TAG_MANAGED, "true"));
        pp_rem_call_token(c, "clientToken");
        pp_rem_call_output(c, "DetectorId", "DetectorId");
        pp_rem_undo(step, "guardduty", "DeleteDetector", region,
                    json_pack("{s:o}", "DetectorId", pp_rem_ref(id, "DetectorId")));
    }
    pp_rem_step_arg(step, "region", json_string(region));
    return 0;
}

static int check(pp_rem_check *c)
{
    const char *region = pp_rem_str(json_object_get(c->step, "target"), "region");
    json_t *data = NULL;
    char *code = NULL;
    int rc = pp_rem_read(c, "guardduty", "ListDetectors", region, NULL, &data, &code);
    free(code);
    if (rc)
        return rc;
    const char *det = json_string_value(json_array_get(json_object_get(data, "DetectorIds"), 0));
    char *id = det ? pp_xstrdup(det) : NULL;
    json_decref(data);
    if (!id)
        return 0;
    json_object_set_new(c->outputs, "DetectorId", json_string(id));
    json_t *in = json_pack("{s:s}", "DetectorId", id);
    rc = pp_rem_read(c, "guardduty", "GetDetector", region, in, &data, &code);
    json_decref(in);
    free(code);
    if (rc) {
        free(id);
        return rc;
    }
    if (pp_str_eq(pp_rem_str(data, "Status"), "ENABLED")) {
        pp_rem_check_unneeded(c, "already in the desired state: detector %s is enabled", id);
    } else if (pp_rem_check_call(c, "CreateDetector")) {
        /* it exists now, disabled: enabling it is the same change */
        pp_rem_check_drop(c, "CreateDetector");
        json_t *call =
            json_pack("{s:s, s:s, s:s, s:{s:s, s:b}}", "service", "guardduty", "operation",
                      "UpdateDetector", "region", region, "params", "DetectorId", id, "enable", 1);
        json_array_append_new(c->calls, call);
    }
    json_decref(data);
    free(id);
    return 0;
}

static const char *const ops[] = {"guardduty:ListDetectors", "guardduty:GetDetector",
                                  "guardduty:CreateDetector", "guardduty:UpdateDetector", NULL};

static const char *const extra[] = {"guardduty:TagResource", NULL};

const pp_rem_action pp_rem_action_enable_guardduty = {
    .name = "enable-guardduty",
    .ops = ops,
    .extra_permissions = extra,
    .plan = plan,
    .check = check,
};
