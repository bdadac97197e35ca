/* What the planner, the executor and the actions share inside remediate/ (and nowhere else).
 *
 * A plan is JSON from the start (docs/remediation.md): a step is an object with its calls, so the
 * planner builds steps through the helpers below and the executor runs exactly what the file
 * says. Values a step only learns when a step it depends on has run (a new VPC's id) are
 * references {"$ref": STEP_ID, "output": NAME}, resolved just before the step runs. */
#ifndef PP_REM_INT_H
#define PP_REM_INT_H

#include "pp_remediate.h"

#include <pthread.h>

typedef struct pp_rem_planner pp_rem_planner;
typedef struct pp_rem_check pp_rem_check;

/* One failed finding an action is asked to plan for. */
typedef struct pp_rem_target {
    const pp_finding *f;
    const pp_rule_meta *rule;
    const json_t *args;     /* the rule's remediation mapping */
    const pp_resource *res; /* the finding's resource in the snapshot, or NULL (existence rules) */
    const char *account;
    const char *region; /* the finding's region ("global" for IAM), never NULL */
} pp_rem_target;

/* A check re-reads the resource before its step runs. It sets `unneeded` (with a note) when the
 * desired state already holds or the target is gone, may narrow `calls` to what is still needed,
 * and fills `outputs` when it finds a resource an earlier, interrupted apply created. */
struct pp_rem_check {
    pp_aws_client *client;
    const json_t *step;
    json_t *calls; /* the step's calls with references resolved (owned by the executor) */
    const char *account;
    bool unneeded;
    char *note;      /* owned */
    json_t *outputs; /* owned object, created by the executor */
};

typedef struct pp_rem_action {
    const char *name;
    const char *type; /* the resource type it corrects; NULL: account or region scope */
    bool risky;
    const char *const *ops; /* "service:Operation" it may call (reads included), NULL-terminated */
    const char *const *extra_permissions; /* implied by its calls (iam:PassRole), or NULL */
    int (*plan)(pp_rem_planner *p, const pp_rem_target *t);
    int (*check)(pp_rem_check *c); /* NULL: no re-read (the calls are idempotent) */
} pp_rem_action;

/* The table (actions/table.c), in planning order: creators of what others use come first. */
const pp_rem_action *pp_rem_action_at(size_t i);
const pp_rem_action *pp_rem_action_find(const char *name);
size_t pp_rem_action_index(const pp_rem_action *a);

/* ---- planner helpers (plan.c) ------------------------------------------------------------ */

struct pp_rem_planner {
    const pp_rem_plan_opts *o;
    json_t *steps;    /* array in order */
    json_t *index;    /* id -> step */
    json_t *provides; /* key -> step id: what a step makes that others need ("trail-log-group") */
    json_t *no_action, *needs_risky, *deferred;
    json_t *accounts; /* account -> true */
    json_t *scratch;  /* per-plan state an action keeps between findings, under its name */
    const pp_rem_target *cur;
};

/* The step `id`, created when new (*is_new true) with the target's resource, the action's name,
 * a change sign ('+', '~', '-') and a summary; an existing step gets the target's rule and
 * finding added to its `rules` and `findings`. Borrowed. */
json_t *pp_rem_step(pp_rem_planner *p, const pp_rem_target *t, const char *action, const char *id,
                    char change, bool *is_new, const char *fmt, ...) PP_PRINTF(7, 8);
json_t *pp_rem_step_get(pp_rem_planner *p, const char *id);
void pp_rem_step_set_summary(json_t *step, const char *fmt, ...) PP_PRINTF(2, 3);
/* Appends a call; steals params (NULL: {}). region NULL: the client's region (global services:
 * their home region). Returns the call object (borrowed) for the helpers below. */
json_t *pp_rem_call(json_t *step, const char *service, const char *operation, const char *region,
                    json_t *params);
/* Error codes (comma-separated) that count as success for this call: "already in the desired
 * state", "already gone", "Duplicate". */
void pp_rem_call_ok_codes(json_t *call, const char *codes);
/* Output NAME of the step is the response value at the dotted path ("Vpc.VpcId"). */
void pp_rem_call_output(json_t *call, const char *name, const char *path);
/* The request carries an idempotency token in input key `key` (retries are then safe). */
void pp_rem_call_token(json_t *call, const char *key);
/* {"$ref": step, "output": name} */
json_t *pp_rem_ref(const char *step_id, const char *output);
void pp_rem_depends(json_t *step, const char *id);
/* The call that undoes (part of) the step; steals params. */
void pp_rem_undo(json_t *step, const char *service, const char *operation, const char *region,
                 json_t *params);
/* A value every check of the step may read (what the re-read compares against). */
void pp_rem_step_arg(json_t *step, const char *key, json_t *value); /* steals value */
/* Output a step provides for others (e.g. the trail's log group name), under a key. */
void pp_rem_provide(pp_rem_planner *p, const char *key, const char *step_id);
const char *pp_rem_provider(pp_rem_planner *p, const char *key);
/* Lists the finding under "no action" with a reason. */
void pp_rem_no_action(pp_rem_planner *p, const pp_rem_target *t, const char *fmt, ...)
    PP_PRINTF(3, 4);
/* A resource of the snapshot: type, account, region (NULL: any), and the document key equal to
 * value (NULL key: the id). Borrowed, NULL when none. */
const pp_resource *pp_rem_find(pp_rem_planner *p, const char *type, const char *account,
                               const char *region, const char *key, const char *value);
/* Regions the snapshot assessed for an account (scope), NULL-terminated; free with pp_strv_free. */
char **pp_rem_regions(pp_rem_planner *p, const char *account);
/* Where account-wide things go (global resource recording, the trail's log group): the target's
 * home_region argument, else us-east-1 when the snapshot assessed it, else the first region it
 * assessed, else us-east-1. Owned. */
char *pp_rem_home_region(pp_rem_planner *p, const pp_rem_target *t);

/* ---- executor helpers (exec.c) --------------------------------------------------------------- */

/* One read for a check; *data (owned) on success. On an AWS failure returns PP_EAWS with the
 * error code in *code (owned, may be NULL). */
int pp_rem_read(pp_rem_check *c, const char *service, const char *operation, const char *region,
                json_t *input, json_t **data, char **code);
void pp_rem_check_unneeded(pp_rem_check *c, const char *fmt, ...) PP_PRINTF(2, 3);
/* The resolved call of the step with this operation (first one), borrowed, or NULL. */
json_t *pp_rem_check_call(pp_rem_check *c, const char *operation);
/* Drops the resolved calls with this operation (they are no longer needed). */
void pp_rem_check_drop(pp_rem_check *c, const char *operation);
/* DescribeTrails for one trail (a name or an ARN) in region: *doc (owned) is its document, or
 * NULL when there is no such trail. */
int pp_rem_read_trail(pp_rem_check *c, const char *trail, const char *region, json_t **doc);

/* ---- shared building blocks (common.c) ------------------------------------------------------
 * Pieces several actions plan: a log bucket with the policy a service needs, a KMS key for logs,
 * a CloudWatch Logs group with the role a service writes through, an SNS topic. Each adds one
 * step (or returns the one already planned) and returns its id; their checks are dispatched on
 * the step's "kind" by pp_rem_common_check(). */
const char *pp_rem_plan_bucket(pp_rem_planner *p, const pp_rem_target *t, const char *action,
                               const char *bucket, const char *region, const char *purpose);
/* Turns on server access logging of a bucket step this plan creates, to `target` (with the step
 * that creates the target, or NULL when it exists). */
void pp_rem_bucket_logging(pp_rem_planner *p, const char *bucket_step, const char *bucket,
                           const char *target, const char *target_step);
const char *pp_rem_plan_logs_key(pp_rem_planner *p, const pp_rem_target *t, const char *action,
                                 const char *alias, const char *region);
const char *pp_rem_plan_log_group(pp_rem_planner *p, const pp_rem_target *t, const char *action,
                                  const char *group, const char *role,
                                  const char *service_principal, const char *region);
const char *pp_rem_plan_topic(pp_rem_planner *p, const pp_rem_target *t, const char *action,
                              const char *topic, const json_t *subscription, const char *region);
/* Re-reads of the common pieces: a bucket (CreateBucket dropped when it is parapet's; left alone
 * when it is someone else's), a key by alias (adopted: outputs KeyId and KeyArn). */
int pp_rem_check_bucket(pp_rem_check *c, const char *bucket, const char *region);
int pp_rem_check_key(pp_rem_check *c, const char *alias, const char *region);
/* Handles the check of a common kind; returns 1 when the step is not of a common kind. */
int pp_rem_common_check(pp_rem_check *c);
/* Ops and permissions of the common pieces, for the actions that use them. */
#define PP_REM_OPS_BUCKET                                                                          \
    "s3:GetBucketTagging", "s3:CreateBucket", "s3:PutBucketPolicy", "s3:PutBucketTagging",         \
        "s3:PutPublicAccessBlock", "s3:PutBucketLogging"
#define PP_REM_OPS_KEY                                                                             \
    "kms:DescribeKey", "kms:CreateKey", "kms:CreateAlias", "kms:EnableKeyRotation"
#define PP_REM_OPS_LOG_GROUP                                                                       \
    "logs:DescribeLogGroups", "logs:CreateLogGroup", "iam:GetRole", "iam:CreateRole",              \
        "iam:PutRolePolicy"
#define PP_REM_OPS_TOPIC "sns:CreateTopic", "sns:ListSubscriptionsByTopic", "sns:Subscribe"

/* ---- security group permissions (sg.c) -------------------------------------------------------
 * Permissions in the EC2 input shape ({IpProtocol, FromPort, ToPort, IpRanges: [{CidrIp}],
 * Ipv6Ranges: [{CidrIpv6}], PrefixListIds: [{PrefixListId}], UserIdGroupPairs: [{GroupId}]}),
 * one source each so that a revoke removes exactly the entries listed. */
/* Appends to out one permission per source of perm (as a scan document has it); with only_cidrs
 * (NULL-terminated) just the IP ranges in that list. Returns how many it added. */
size_t pp_rem_sg_split(const json_t *perm, char *const *only_cidrs, json_t *out);
/* Whether a one-source permission is present in a group's permission list. */
bool pp_rem_sg_has(const json_t *perms, const json_t *one);
/* "tcp 22 from 0.0.0.0/0" into buf */
void pp_rem_sg_describe(const json_t *one, char *buf, size_t len);
/* Keeps in call's IpPermissions only what `current` (the group's list now) still has; returns
 * how many are left. */
size_t pp_rem_sg_narrow(json_t *call, const json_t *current);

/* ---- small JSON helpers (common.c) ----------------------------------------------------------- */
const char *pp_rem_str(const json_t *o, const char *key); /* string member or NULL */
/* Dotted path with [N] indices into v ("Vpc.VpcId", "Entries[0].RuleNumber"); borrowed. */
json_t *pp_rem_path(const json_t *v, const char *path);
/* [{"Key": PP_REM_TAG_MANAGED, "Value": "true"}] plus the component tag when given (new). */
json_t *pp_rem_tags(const char *component, const char *key_name, const char *value_name);
/* EC2 TagSpecification for a new resource of `resource_type` ("vpc"), with the Name tag. */
json_t *pp_rem_ec2_tag_spec(const char *resource_type, const char *component, const char *name);
/* "arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*" -> NAME and REGION */
bool pp_rem_log_group_arn_parse(const char *arn, char *name, size_t nlen, char *region,
                                size_t rlen);
/* The partition of a region, for ARNs. */
const char *pp_rem_partition(const char *region);
/* A region or, for "global" and NULL, NULL (the client's region). */
const char *pp_rem_call_region(const char *region);
/* An argument: string member of the remediation mapping or a default. */
const char *pp_rem_arg(const pp_rem_target *t, const char *key, const char *dflt);
bool pp_rem_arg_bool(const pp_rem_target *t, const char *key, bool dflt);

#endif
