/* The scanner: collectors (one per AWS service, scanner/services/), the orchestrator that runs
 * them over accounts x regions, and the coverage that says what was and was not assessed. */
#ifndef PP_SCANNER_H
#define PP_SCANNER_H

#include "pp_aws.h"
#include "pp_core.h"

/* ---- collectors ------------------------------------------------------------------------------ */

typedef struct pp_collect_ctx pp_collect_ctx;

/* An API call a collector makes: the operation (its permission comes from the pp_op table) and
 * the resource types left incomplete when it fails. per_resource calls fan out per resource, and
 * their failures are recorded in the resources' `errors`. */
typedef struct pp_collector_call {
    const char *operation;
    const char *service; /* NULL: the collector's aws_service */
    const char *types;   /* comma-separated; NULL: every type of the collector */
    bool per_resource;
} pp_collector_call;

typedef struct pp_collector {
    const char *name;        /* "ec2": --services and coverage */
    const char *aws_service; /* the pp_service it calls mostly ("ec2"); account uses several */
    bool global;             /* once per account, region "global" */
    int phase;               /* 0, or 1 for collectors that read what phase 0 found (s3) */
    const pp_collector_call *calls; /* terminated by {NULL} */
    const char *const *types;       /* NULL-terminated */
    int (*collect)(pp_collect_ctx *ctx);
} pp_collector;

/* The table of every collector, in a fixed order. */
const pp_collector *pp_collector_at(size_t i);
const pp_collector *pp_collector_find(const char *name);

/* What a collector sees. */
const char *pp_collect_account(const pp_collect_ctx *ctx);
const char *pp_collect_region(const pp_collect_ctx *ctx); /* "global" for global collectors */
/* The region to send API calls to (the client's home region for global collectors). */
const char *pp_collect_api_region(const pp_collect_ctx *ctx);
pp_aws_client *pp_collect_client(pp_collect_ctx *ctx);

/* One API call of a collector. The service defaults to the collector's aws_service. absent_codes
 * lists error codes that mean "there is nothing there" (NoSuchEntity for a password policy that
 * was never set): the call then counts as covered, and the response keeps the code. region NULL
 * means pp_collect_api_region(). */
typedef struct pp_collect_req {
    const char *service;
    const char *operation;
    json_t *input; /* borrowed */
    const char *absent_codes;
    const char *region;
} pp_collect_req;

/* Calls one operation (paged when the op is paged), records coverage; returns 0, or PP_EAWS when
 * it failed (an absent code is a failure for the caller, but not for coverage). resp is filled
 * either way and the caller clears it. */
int pp_collect_call(pp_collect_ctx *ctx, const pp_collect_req *req, pp_aws_resp *resp);
/* n calls at once; one coverage record per distinct operation, aggregating its calls (fan-out
 * over resources). Returns the number that failed. */
size_t pp_collect_calls(pp_collect_ctx *ctx, const pp_collect_req *reqs, size_t n,
                        pp_aws_resp *resps);
/* true when resp failed with one of the comma-separated codes */
bool pp_collect_is(const pp_aws_resp *resp, const char *codes);

/* Every region this account is being scanned in, NULL-terminated, borrowed. */
char *const *pp_collect_regions(const pp_collect_ctx *ctx);
/* The partition of a region, for ARNs: "aws", "aws-cn", "aws-us-gov". */
const char *pp_collect_partition(const pp_collect_ctx *ctx);

/* Adds a resource (takes a reference to doc) and returns it so errors can be recorded. A resource
 * without an id or an object document is not added: NULL, and a coverage error says why. */
pp_resource *pp_collect_emit(pp_collect_ctx *ctx, const char *type, const char *id, const char *arn,
                             json_t *doc);
/* Merges value under key into another resource of this account once every collector of the
 * account has finished (the credential report's user rows go into AWS::IAM::User documents).
 * `match_key` names the document key compared with `match` ("Arn", "UserName"). Steals value. */
void pp_collect_attach(pp_collect_ctx *ctx, const char *type, const char *match_key,
                       const char *match, const char *key, json_t *value);
/* Marks `key` of every resource of `type` in this account as not collected, with error. */
void pp_collect_attach_error(pp_collect_ctx *ctx, const char *type, const char *key,
                             const char *error);
/* Names found by phase-0 collectors that phase-1 collectors need (bucket names). */
void pp_collect_note(pp_collect_ctx *ctx, const char *what, const char *value);
/* The distinct values noted for `what` in this account, NULL-terminated, borrowed. */
const char *const *pp_collect_notes(pp_collect_ctx *ctx, const char *what);

/* Records a coverage entry of the collector's own making (a decode problem, a report that never
 * became ready). */
void pp_collect_coverage(pp_collect_ctx *ctx, const char *service, const char *operation, bool ok,
                         const char *error);

/* ---- scans ---------------------------------------------------------------------------------- */

typedef struct pp_scan_account {
    char *role_arn;    /* NULL: the base credentials' own account */
    char *external_id; /* or NULL */
    char *name;        /* a label from --accounts, or NULL */
    char *id;          /* expected account id from --accounts, or NULL */
    char **regions;    /* NULL-terminated override from --accounts, or NULL */
} pp_scan_account;

/* Reads an --accounts YAML file: a list of {id, role_arn, external_id, regions, name}. Errors
 * carry "file:line:col". */
int pp_scan_accounts_load(const char *path, pp_scan_account **out, size_t *n);
void pp_scan_accounts_free(pp_scan_account *a, size_t n);

typedef struct pp_scan_progress {
    const char *account;
    const char *service;
    int calls_done;
    int resources;
    int errors;
} pp_scan_progress;

typedef struct pp_scan_options {
    pp_aws_client *client;           /* base credentials */
    const pp_scan_account *accounts; /* NULL/0: the base account only */
    size_t n_accounts;
    char *const *regions;  /* NULL-terminated; NULL: the client's region */
    bool all_regions;      /* enabled regions from DescribeRegions */
    char *const *services; /* collector names, NULL-terminated; NULL: all */
    int concurrency;       /* collector tasks at once; 0 = 16 */
    /* Called from worker threads (serialised by the scanner) after each collector call. */
    void (*progress)(void *ud, const pp_scan_progress *p);
    void *progress_ud;
} pp_scan_options;

typedef struct pp_scan_summary {
    long calls, retries, errors, resources;
    time_t started_at, finished_at;
    json_t *accounts; /* ["111122223333"] */
    json_t *regions;
    json_t *by_service; /* {"ec2": resources, ...} */
} pp_scan_summary;

/* Scans into a new inventory (source aws). Returns 0 even when calls failed (they are coverage
 * errors in the inventory); an error only when nothing could be scanned at all (no identity,
 * bad input). */
int pp_scan_run(const pp_scan_options *o, pp_inventory **out, pp_scan_summary *summary);
void pp_scan_summary_clear(pp_scan_summary *s);

/* The least-privilege IAM policy document that a scan with every collector needs. */
json_t *pp_scan_iam_policy(void);

#endif
