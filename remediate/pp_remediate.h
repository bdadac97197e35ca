/* parapet remediation (design.md section 6, issue 8): failed findings become a plan of AWS calls,
 * the plan is shown and written as JSON and changes nothing; applying a plan executes exactly its
 * steps in dependency order, journaled in SQLite before and after each step so that a killed apply
 * resumes without repeating a finished step.
 *
 * One mechanism corrects and provisions: a failed rule names an action (remediate/actions/, one
 * file each, found by name in one table); corrections act on the evidence the FAIL carries,
 * existence rules name actions that create what is missing, and `provision` creates components of
 * policies/reference/architecture.yaml with their dependencies. docs/remediation.md describes the
 * plan format, the actions and the safety rules. */
#ifndef PP_REMEDIATE_H
#define PP_REMEDIATE_H

#include <stdbool.h>
#include <stdint.h>

#include "pp_aws.h"
#include "pp_core.h"
#include "pp_store.h"

#define PP_REM_PLAN_SCHEMA         "parapet/remediation-plan/v1"
#define PP_REM_DEFAULT_MAX_CHANGES 50
/* Tags marking what parapet created: nothing without them is ever deleted. */
#define PP_REM_TAG_MANAGED   "parapet:managed"
#define PP_REM_TAG_COMPONENT "parapet:component"

/* ---- actions ------------------------------------------------------------------------------- */

/* Names of every action, NULL-terminated (for `rules lint` and docs). */
const char *const *pp_remediate_action_names(void);
/* Whether an action needs --allow-risky; false for unknown names. */
bool pp_remediate_action_risky(const char *name);
/* The least-privilege IAM policy document the actions need together: every operation they may
 * call (reads before a step included) with the permission the operations table declares, plus the
 * extra permissions some calls imply (iam:PassRole). docs/iam-remediate-policy.json is this. */
json_t *pp_remediate_iam_policy(void);

/* ---- the desired state (policies/reference/architecture.yaml) --------------------------------
 * Loaded as JSON: {"defaults": {...}, "environments": {NAME: {...}}, "components"...} as the file
 * says; see docs/remediation.md for what provisioning reads from it. */
/* Finds architecture.yaml in the pack folders (each a pack folder or a folder of packs) and loads
 * it, with the environment overlay `env` (a name: environments/NAME.yaml beside the file; or a
 * path) laid over its top-level keys; *out is NULL (and 0 returned) when no pack has one. Errors
 * carry "file:line:col". */
int pp_remediate_arch_load(const char *const *dirs, const char *env, json_t **out, char **path_out);

/* ---- planning -------------------------------------------------------------------------------- */

typedef struct pp_rem_plan_opts {
    const pp_results *results; /* the evaluation whose FAIL findings are remediated */
    const pp_inventory *inv;   /* the snapshot it evaluated (resources for arguments and undo) */
    int64_t snapshot;
    int64_t evaluation;
    char *const *rules;     /* only these rule ids (NULL-terminated, globs), or NULL: all */
    char *const *resources; /* only findings whose resource id or ARN matches, or NULL: all */
    const char *account;    /* only findings of this account (a multi-account snapshot), or NULL */
    bool allow_risky;       /* plan RISKY actions (otherwise listed as needing --allow-risky) */
    long max_changes;       /* steps at most; the rest is listed as deferred. 0: default */
    const char *env;        /* environment for provisioning (architecture.yaml), or NULL */
    const json_t *arch;     /* the loaded architecture.yaml, or NULL */
    time_t now;             /* 0: pp_time_now() */
} pp_rem_plan_opts;

/* Builds the plan (the JSON contract described in docs/remediation.md). Changes nothing. Errors:
 * PP_EINVAL for an unusable argument in a rule's remediation block or the architecture. */
int pp_remediate_plan(const pp_rem_plan_opts *o, json_t **out);
/* Checks a plan read back from a file before anything runs: its schema, that every step names a
 * known action, calls only operations that action declares, depends only on earlier-listed steps
 * and refers only to outputs of steps it depends on. PP_EINVAL with the reason. */
int pp_remediate_plan_check(const json_t *plan);
/* The readable diff in the spirit of `terraform plan`: one block per step (+ create, ~ change,
 * - remove), the findings without action, and the counts at the end. */
void pp_remediate_plan_render(const json_t *plan, pp_buf *out, bool color);

/* ---- applying ---------------------------------------------------------------------------------
 */

enum pp_rem_outcome {
    PP_REM_DONE = 0,     /* the calls succeeded */
    PP_REM_UNNEEDED,     /* re-read: already in the desired state, already gone: success */
    PP_REM_FAILED,       /* a call failed */
    PP_REM_SKIPPED_DEP,  /* a step it depends on failed */
    PP_REM_ALREADY_DONE, /* a previous apply of this plan finished it (journal) */
};

typedef struct pp_rem_step_report {
    const char *step_id;
    const char *action;
    const char *summary;
    enum pp_rem_outcome outcome;
    const char *message;    /* note, error or skip reason */
    const char *request_id; /* of the last call, or NULL */
} pp_rem_step_report;

typedef struct pp_rem_apply_opts {
    pp_aws_client *client;
    pp_store *store; /* journal */
    const json_t *plan;
    bool allow_risky;
    long max_changes; /* 0: default */
    int workers;      /* steps at once; 0 = 4 */
    /* Called (serialised) as each step finishes, from worker threads. */
    void (*progress)(void *ud, const pp_rem_step_report *r);
    void *progress_ud;
} pp_rem_apply_opts;

typedef struct pp_rem_apply_result {
    long counts[PP_REM_ALREADY_DONE + 1];
    char *account; /* the caller's account */
    char *key_id;  /* the access key id that made the calls */
} pp_rem_apply_result;

/* Applies the plan. Refuses (PP_EINVAL, nothing done) a plan for another account than the
 * caller's, one with more steps than max_changes, one with risky steps without allow_risky, and a
 * plan that does not pass pp_remediate_plan_check. Otherwise returns 0 whatever the steps' outcome
 * (see result->counts); an AWS failure before any step (GetCallerIdentity) is PP_EAWS. */
int pp_remediate_apply(const pp_rem_apply_opts *o, pp_rem_apply_result *result);
void pp_rem_apply_result_clear(pp_rem_apply_result *r);
const char *pp_rem_outcome_name(enum pp_rem_outcome o);

#endif
