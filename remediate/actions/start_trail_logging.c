/* start-trail-logging (AWS::CloudTrail::Trail): StartLogging in the trail's home region. */
#include "../rem_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int plan(pp_rem_planner *p, const pp_rem_target *t)
{
    const char *name = t->f->res_id;
    const char *home = t->res ? pp_rem_str(t->res->doc, "HomeRegion") : NULL;
    const char *region = home ? home : t->region;
    const char *arn = t->res && t->res->arn ? t->res->arn : name;
    /* calls go to the home region, where the name is unique (moto refuses an ARN there) */
    const char *call_name = name;
    char id[512];
    snprintf(id, sizeof(id), "start-trail-logging:%s", arn);
    bool is_new = false;
    json_t *step = pp_rem_step(p, t, "start-trail-logging", id, '~', &is_new,
                               "start logging on trail %s", name);
    if (!is_new)
        return 0;
    pp_rem_call(step, "cloudtrail", "StartLogging", region, json_pack("{s:s}", "Name", call_name));
    pp_rem_undo(step, "cloudtrail", "StopLogging", region, json_pack("{s:s}", "Name", call_name));
    pp_rem_step_arg(step, "trail", json_string(call_name));
    pp_rem_step_arg(step, "region", json_string(region));
    return 0;
}

static int check(pp_rem_check *c)
{
    const json_t *target = json_object_get(c->step, "target");
    json_t *data = NULL;
    char *code = NULL;
    json_t *in = json_pack("{s:s}", "Name", pp_rem_str(target, "trail"));
    int rc = pp_rem_read(c, "cloudtrail", "GetTrailStatus", pp_rem_str(target, "region"), in, &data,
                         &code);
    json_decref(in);
    if (rc) {
        bool gone = pp_str_eq(code, "TrailNotFoundException");
        free(code);
        if (gone)
            pp_rem_check_unneeded(c, "trail %s is already gone", pp_rem_str(target, "trail"));
        return gone ? 0 : rc;
    }
    if (json_is_true(json_object_get(data, "IsLogging")))
        pp_rem_check_unneeded(c, "already in the desired state: the trail is logging");
    json_decref(data);
    return 0;
}

static const char *const ops[] = {"cloudtrail:GetTrailStatus", "cloudtrail:StartLogging", NULL};

const pp_rem_action pp_rem_action_start_trail_logging = {
    .name = "start-trail-logging",
    .type = "AWS::CloudTrail::Trail",
    .ops = ops,
    .plan = plan,
    .check = check,
};
