/* provision (account or account/region existence rules of the reference pack): creates the
 * component of policies/reference/architecture.yaml that args.component names, and the components
 * it depends on that neither the snapshot nor the plan has yet. */
#include "../rem_int.h"

static int plan(pp_rem_planner *p, const pp_rem_target *t)
{
    pp_rem_no_action(p, t, "provisioning is not available yet");
    return 0;
}

static const char *const ops[] = {NULL};

const pp_rem_action pp_rem_action_provision = {
    .name = "provision",
    .ops = ops,
    .plan = plan,
};
