/* parapet core: the pieces every other library stands on. Bounded buffers, the last-error
 * convention, logging with secret redaction, time, and the resource/inventory model that flows
 * from the scanner (or a Terraform plan) through the store to rules and reports. */
#ifndef PP_CORE_H
#define PP_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#define PP_VERSION "0.1.0"

#if defined(__GNUC__)
#define PP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PP_PRINTF(a, b)
#endif

/* ---- return codes ----------------------------------------------------------------------
 * Functions return 0 on success or a negative pp_rc; the message is in pp_err_msg(). The codes
 * map onto the CLI's exit codes (design.md section 2), so callers can pass them up unchanged. */
enum pp_rc {
    PP_OK = 0,
    PP_ENOMEM = -1,
    PP_EINVAL = -2,  /* bad input: flags, files, policies, plans (exit 2) */
    PP_EAWS = -3,    /* an AWS call failed after its retries (coverage error, exit 3) */
    PP_EIO = -4,     /* local I/O: files, database */
    PP_ELOCKED = -5, /* another run holds the lock (exit 4) */
    PP_ENOTFOUND = -6,
    PP_EINTERNAL = -7,
};

/* The last error of this thread, one line, without "failed to" stacking. Setting it replaces
 * the previous message; pp_err_prefix() adds context in front of the current one ("file:1:2"). */
int pp_err_set(int rc, const char *fmt, ...) PP_PRINTF(2, 3);
int pp_err_prefix(int rc, const char *fmt, ...) PP_PRINTF(2, 3);
const char *pp_err_msg(void);
void pp_err_clear(void);

/* Allocation failure is not an error parapet can report usefully; like git's xmalloc these
 * abort with a message instead of threading ENOMEM through every caller. */
void *pp_xmalloc(size_t n);
void *pp_xcalloc(size_t n, size_t size);
void *pp_xrealloc(void *p, size_t n);
char *pp_xstrdup(const char *s);
char *pp_xstrndup(const char *s, size_t n);
char *pp_xasprintf(const char *fmt, ...) PP_PRINTF(1, 2);

/* jansson values that live until exit (the documents `evaluate` reads) can be bump-allocated:
 * pp_json_arena_install once, before any other thread runs (the CLI's main does); then jansson
 * values the calling thread creates between begin and end are never returned to the heap. Without
 * install (tests, sanitizer builds) begin and end do nothing. See core/jarena.c. */
void pp_json_arena_install(void);
void pp_json_arena_begin(void);
void pp_json_arena_end(void);

/* ---- bounded growable buffer --------------------------------------------------------------
 * Like curl's dynbuf: every buffer has a maximum, so data from AWS can never grow it without
 * bound. Appends past the maximum fail with PP_EINVAL and leave the buffer as it was. */
typedef struct pp_buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max;
} pp_buf;

#define PP_BUF_DEFAULT_MAX ((size_t)64 * 1024 * 1024)

void pp_buf_init(pp_buf *b, size_t max);
int pp_buf_append(pp_buf *b, const void *data, size_t len);
int pp_buf_puts(pp_buf *b, const char *s);
int pp_buf_putc(pp_buf *b, char c);
int pp_buf_printf(pp_buf *b, const char *fmt, ...) PP_PRINTF(2, 3);
int pp_buf_vprintf(pp_buf *b, const char *fmt, va_list ap) PP_PRINTF(2, 0);
/* Appends s (n bytes, UTF-8) as a JSON string exactly as jansson writes it: `"` and `\` escaped,
 * \b \f \n \r \t short, other control characters as \u00XX, everything else as is. */
int pp_buf_json_string(pp_buf *b, const char *s, size_t n);
/* Appends v in jansson's compact form (JSON_COMPACT | JSON_ENCODE_ANY), byte for byte. */
int pp_buf_json_value(pp_buf *b, const json_t *v);

/* Binary documents (core/jbin.c): a JSON value in a compact tagged form that decodes without
 * parsing text. Encoding appends to out; decoding checks everything and returns NULL, with why in
 * err, on anything that is not exactly one well-formed value. */
int pp_jbin_encode(const json_t *v, pp_buf *out);
bool pp_jbin_is(const void *data, size_t len);
json_t *pp_jbin_decode(const void *data, size_t len, char *err, size_t errlen);
const char *pp_buf_cstr(const pp_buf *b); /* "" for an empty buffer */
char *pp_buf_steal(pp_buf *b);            /* caller owns the string; buffer is reset */
void pp_buf_reset(pp_buf *b);
void pp_buf_free(pp_buf *b);

/* ---- strings ------------------------------------------------------------------------------ */
bool pp_str_eq(const char *a, const char *b); /* NULL-safe */
bool pp_str_startswith(const char *s, const char *prefix);
bool pp_str_endswith(const char *s, const char *suffix);
/* Parses a whole decimal integer in [min, max]; no atoi. */
int pp_parse_long(const char *s, long min, long max, long *out);
/* Splits "a,b,c" into a NULL-terminated array of trimmed, non-empty strings. */
char **pp_str_split(const char *s, char sep, size_t *n_out);
void pp_strv_free(char **v);
size_t pp_strv_len(char *const *v);
bool pp_strv_contains(char *const *v, const char *s);
/* Is item one of the entries of a comma-separated list ("a,b,c")? NULL-safe. */
bool pp_str_list_has(const char *list, const char *item);
/* Lower-case hex of a byte string into out (2n+1 bytes). */
void pp_hex(const unsigned char *in, size_t n, char *out);
/* SHA-256 hex digest (65 bytes with NUL). */
void pp_sha256_hex(const void *data, size_t len, char out[65]);
/* The digest of n byte strings one after another, each followed by a NUL byte if nul_after. */
void pp_sha256_parts_hex(const void *const *parts, const size_t *lens, size_t n, bool nul_after,
                         char out[65]);

/* ---- logging and redaction -----------------------------------------------------------------
 * Libraries log through pp_log(); only cli/ installs a sink that writes anywhere. Every line
 * passes through pp_redact() first, so no sink ever sees a registered secret, a session token
 * or an Authorization header. */
enum pp_log_level { PP_LOG_ERROR = 0, PP_LOG_WARN, PP_LOG_INFO, PP_LOG_DEBUG, PP_LOG_TRACE };
typedef void (*pp_log_sink)(enum pp_log_level level, const char *component, const char *msg,
                            void *ud);
void pp_log_set_sink(pp_log_sink sink, void *ud, enum pp_log_level max_level);
bool pp_log_enabled(enum pp_log_level level);
void pp_log(enum pp_log_level level, const char *component, const char *fmt, ...) PP_PRINTF(3, 4);

/* Registers a secret value (secret key, session token, external id) so that it is masked
 * wherever it appears in logs, errors and reports. Short values (< 8 bytes) are ignored. */
void pp_redact_register(const char *secret);
/* Returns a newly allocated copy of s with registered secrets and known secret-bearing patterns
 * (Authorization headers, X-Amz-Security-Token, aws_secret_access_key = ...) masked. */
char *pp_redact(const char *s);
/* Masks in place inside a buffer the caller owns. */
void pp_redact_inplace(char *s);
/* "AKIA...WXYZ" -> "AKIA****WXYZ": enough to recognise a key id, not enough to use it. */
void pp_redact_key_id(const char *akid, char out[32]);

/* ---- time --------------------------------------------------------------------------------
 * parapet's notion of "now" can be pinned with PARAPET_NOW=2024-01-02T03:04:05Z so that rules
 * with ages and rule tests are deterministic. */
time_t pp_time_now(void);
/* Accepts ISO 8601 / RFC 3339 (with fraction and offset), "YYYY-MM-DD", and epoch seconds. */
int pp_time_parse(const char *s, time_t *out);
/* "2024-01-02T03:04:05Z" into out (21 bytes) */
void pp_time_format(time_t t, char out[32]);

/* ---- resources -------------------------------------------------------------------------------
 * A resource is what rules evaluate: a type (AWS Config / CloudFormation name), an id, an ARN
 * where AWS has one, account and region ("global" for IAM), and a document in the AWS CLI's
 * shape. `errors` records follow-up calls that failed for this resource, keyed by the top-level
 * document key they would have filled (e.g. {"KeyRotationEnabled": "GetKeyRotationStatus:
 * AccessDenied: ..."}), so a rule reading that key evaluates to ERROR rather than to "absent". */
typedef struct pp_resource {
    char *type;
    char *id;
    char *arn;     /* NULL when AWS has none */
    char *account; /* NULL for a plan resource whose account is unknown */
    char *region;
    char *address;    /* Terraform address for plan resources, else NULL */
    json_t *doc;      /* owned reference, an object; read-only once loaded from the store,
                       * whose documents share their short strings and integers (core/jbin.c) */
    json_t *errors;   /* owned reference or NULL: {top-level key: "Operation: Code: message"} */
    json_t *unknown;  /* plan resources: after_unknown mirror of doc (true = unknown), or NULL */
    int64_t store_id; /* its row in the store once stored or loaded, else 0 */
} pp_resource;

/* Takes a new reference to doc. */
pp_resource *pp_resource_new(const char *type, const char *id, const char *arn, const char *account,
                             const char *region, json_t *doc);
void pp_resource_free(pp_resource *r);
/* Records that `key` of the document could not be collected. */
void pp_resource_set_error(pp_resource *r, const char *key, const char *error);

/* A coverage record: every API call a scan makes ends in one. */
typedef struct pp_coverage {
    char *account;
    char *region;
    char *service;
    char *operation;
    bool ok;
    char *error; /* "Code: message" when !ok */
    int calls;   /* how many requests (pages, fan-out) this record stands for */
    int retries;
    /* Which resource types are incomplete when this call fails: a comma-separated list, or NULL
     * for every type of the service. A per-resource follow-up call (GetKeyRotationStatus for one
     * key) sets per_resource: its failure is recorded in those resources' `errors` instead, and
     * does not make the whole scope unknown. */
    char *types;
    bool per_resource;
} pp_coverage;

/* The set of resources and coverage records a scan, an import or a plan produced. Resources are
 * indexed by type so rules can walk one type without scanning the rest. Not thread-safe: the
 * scanner funnels its collectors' output through one thread. */
typedef struct pp_inventory pp_inventory;

enum pp_source_kind { PP_SOURCE_AWS = 0, PP_SOURCE_IMPORT, PP_SOURCE_PLAN };

pp_inventory *pp_inventory_new(enum pp_source_kind kind);
void pp_inventory_free(pp_inventory *inv);
enum pp_source_kind pp_inventory_source(const pp_inventory *inv);
/* Takes ownership of r. */
void pp_inventory_add(pp_inventory *inv, pp_resource *r);
size_t pp_inventory_count(const pp_inventory *inv);
pp_resource *pp_inventory_at(const pp_inventory *inv, size_t i);
/* Resources of one type, in insertion order; *n receives the count. Borrowed. */
pp_resource *const *pp_inventory_of_type(const pp_inventory *inv, const char *type, size_t *n);
/* Types present, NULL-terminated, borrowed. */
const char *const *pp_inventory_types(const pp_inventory *inv, size_t *n);

/* Scope: the accounts and regions that were assessed (existence rules iterate over these). */
void pp_inventory_add_scope(pp_inventory *inv, const char *account, const char *region);
size_t pp_inventory_scope_count(const pp_inventory *inv);
void pp_inventory_scope_at(const pp_inventory *inv, size_t i, const char **account,
                           const char **region);

/* Coverage; records are copied. */
void pp_inventory_add_coverage(pp_inventory *inv, const pp_coverage *c);
size_t pp_inventory_coverage_count(const pp_inventory *inv);
const pp_coverage *pp_inventory_coverage_at(const pp_inventory *inv, size_t i);
/* The first coverage error for (account, region-or-"global", service), or NULL when every call
 * for it succeeded. Rules use this to turn "no resources" into ERROR instead of PASS. */
const pp_coverage *pp_inventory_coverage_error(const pp_inventory *inv, const char *account,
                                               const char *region, const char *service);
/* The same, narrowed to the calls a type depends on (records with no `types` count for every
 * type of their service). Per-resource records never count. */
const pp_coverage *pp_inventory_coverage_error_for_type(const pp_inventory *inv,
                                                        const char *account, const char *region,
                                                        const char *type);

/* ---- resource types ---------------------------------------------------------------------------
 * The registry of types parapet knows (design.md section 3): which service collects each, whether
 * it is global, and the paths its document may have (for `rules lint`). Paths use `[]` for array
 * elements and `*` for free-form subtrees (policy documents), e.g. "IpPermissions[].FromPort". */
typedef struct pp_type {
    const char *name;    /* "AWS::EC2::SecurityGroup" */
    const char *service; /* collector / coverage service: "ec2" */
    bool global;         /* region "global" (IAM) */
    const char *const *paths;
} pp_type;

const pp_type *pp_type_find(const char *name);
const pp_type *pp_type_at(size_t i); /* NULL past the end */
/* true when `path` (dotted, `[]` for arrays) is declared for the type or lies under a `*` path. */
bool pp_type_has_path(const pp_type *t, const char *path);

/* ---- findings -------------------------------------------------------------------------------
 * The contract between rules (which produce findings), the store (which keeps them with their
 * snapshot), reports (which render them) and remediation (which acts on the failed ones). */
enum pp_status {
    PP_STATUS_PASS = 0,
    PP_STATUS_FAIL,
    PP_STATUS_ERROR,   /* could not be evaluated: data missing, call denied, type mismatch */
    PP_STATUS_UNKNOWN, /* depends on a value not known until a Terraform apply */
    PP_STATUS_MANUAL,  /* a control that cannot be automated */
};
#define PP_STATUS_COUNT 5

enum pp_severity {
    PP_SEV_INFO = 0,
    PP_SEV_LOW,
    PP_SEV_MEDIUM,
    PP_SEV_HIGH,
    PP_SEV_CRITICAL,
};

const char *pp_status_name(enum pp_status s); /* "PASS" */
int pp_status_parse(const char *s, enum pp_status *out);
const char *pp_severity_name(enum pp_severity s); /* "high" */
int pp_severity_parse(const char *s, enum pp_severity *out);

/* What reports and remediation need to know about a rule, independent of the rule language. */
typedef struct pp_rule_meta {
    char *id;
    char *title;
    char *description;
    char *pack;         /* "cis-aws-3.0" */
    char *pack_version; /* "3.0.0" */
    enum pp_severity severity;
    char *resource_type;
    json_t *frameworks;  /* {"cis-aws-3.0": ["5.2"]} */
    json_t *remediation; /* {"action": "revoke-ingress", ...} or NULL */
} pp_rule_meta;

void pp_rule_meta_free(pp_rule_meta *m);

typedef struct pp_finding {
    char id[41]; /* stable: hex digest of rule id, resource type, account, region and id */
    const pp_rule_meta *rule; /* borrowed from the pp_results that holds the finding */
    enum pp_status status;
    char *res_type; /* for account- or region-scoped findings of existence rules: the rule's type */
    char *res_id;   /* the resource id, or the account / "account/region" the finding is about */
    char *res_arn;
    char *account;
    char *region;
    char *address; /* Terraform address, plan findings only */
    char *message;
    json_t *evidence;    /* what matched (FAIL) or why it could not be evaluated (ERROR); or NULL */
    json_t *suppression; /* {"owner","reason","expires","expired": bool} or NULL */
    bool suppressed;     /* a suppression applies (not expired); the status is kept */
    /* The evaluated resource (borrowed from the inventory), or NULL for findings about an account
     * or region; the store keeps a plain PASS as a reference to its resource row. */
    const pp_resource *resource;
    /* The evaluator does not copy what it already has, for a quarter of a million findings:
     * borrowed: res_type .. address are resource's own strings (so live as long as it does);
     * static_message: message is a string constant. Neither is freed with the finding. */
    bool borrowed;
    bool static_message;
} pp_finding;

/* The outcome of one evaluation: the rules that ran and every (rule, resource) finding. */
typedef struct pp_results {
    pp_rule_meta **rules;
    size_t n_rules;
    pp_finding *findings;
    size_t n_findings, cap_findings;
    time_t evaluated_at;
    char *env;     /* environment overlay, or NULL */
    json_t *packs; /* [{"name": "cis-aws-3.0", "version": "3.0.0", "path": "..."}] */
} pp_results;

pp_results *pp_results_new(void);
void pp_results_free(pp_results *r);
/* Takes ownership of meta; returns it. */
pp_rule_meta *pp_results_add_rule(pp_results *r, pp_rule_meta *meta);
/* Appends a zeroed finding for rule and returns it for the caller to fill (strings owned). */
pp_finding *pp_results_add(pp_results *r, const pp_rule_meta *rule);
/* Computes f->id from its rule and resource fields. */
void pp_finding_set_id(pp_finding *f);
const pp_rule_meta *pp_results_rule(const pp_results *r, const char *id);

/* Snapshot metadata, as the store keeps it and reports print it. */
typedef struct pp_snapshot_info {
    int64_t id;
    char *source; /* "aws", "import", "terraform-plan" */
    time_t started_at;
    time_t finished_at;
    json_t *accounts; /* ["111122223333"] */
    json_t *regions;  /* ["eu-west-1"] */
    char *tool_version;
    long calls, retries, errors;
    long resources;
    bool complete;
} pp_snapshot_info;

void pp_snapshot_info_clear(pp_snapshot_info *s);

#endif
