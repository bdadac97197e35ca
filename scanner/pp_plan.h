/* The Terraform plan reader: `terraform show -json` output -> a pp_inventory of the same documents
 * the scanner produces (design.md section 3), so one rule serves a live account and a plan. Also
 * what `parapet check` needs that is specific to plans: the .tf locator (the file and line that
 * declare an address), inline `# parapet:ignore` suppressions and the baseline file.
 *
 * Conventions of plan documents (docs/resources.md, "Terraform plans"):
 * - pp_resource.address is the full Terraform address; account is NULL; region is the provider's
 *   region when the plan says it, else "unknown"; the inventory's scope stays empty, so rules that
 *   need the whole account (GuardDuty in every region, Config everywhere) cannot decide a plan.
 * - pp_resource.unknown mirrors the document: `true` where the value is not available to rules
 *   (unknown until apply, or sensitive), `false` for a known array element, missing keys known. It
 *   is NULL when the whole document is known. An unknown value sits in the document as JSON null.
 * - A sensitive value is replaced by the string "(sensitive)" and its document path recorded.
 * - An id (or ARN) unknown until apply is the resource's address; a reference to it from another
 *   resource's configuration resolves to the same string, so joins still work. */
#ifndef PP_PLAN_H
#define PP_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "pp_core.h"

#define PP_PLAN_MAX_BYTES ((size_t)512 * 1024 * 1024)
#define PP_PLAN_SENSITIVE "(sensitive)"

typedef struct pp_plan pp_plan;

typedef struct pp_plan_opts {
    size_t max_bytes; /* 0: PP_PLAN_MAX_BYTES */
} pp_plan_opts;

typedef struct pp_plan_stats {
    size_t changes;   /* resource_changes entries */
    size_t evaluated; /* managed resources that will exist after apply */
    size_t deleted;   /* pure deletes and forgets: not evaluated */
    size_t data;      /* data sources and reads: not evaluated */
    size_t documents; /* documents in the inventory */
    size_t merged;    /* resources folded into another document (rules, attachments, ...) */
    size_t synthetic; /* documents made for a parent that is not in the plan */
    size_t unmapped;  /* evaluated resources of types parapet does not map */
} pp_plan_stats;

/* Reads and maps a plan. Refuses (PP_EINVAL, one line with "path:line:col" where the JSON is at
 * fault) format_version 2.x and later, malformed or truncated JSON, a state file, an errored plan,
 * and files above the size cap (PP_EIO when the file cannot be read). */
int pp_plan_load_file(const char *path, const pp_plan_opts *opts, pp_plan **out);
/* The same over a buffer; name is used in messages. */
int pp_plan_load_buffer(const char *data, size_t len, const char *name, const pp_plan_opts *opts,
                        pp_plan **out);
void pp_plan_free(pp_plan *p);

/* The documents (PP_SOURCE_PLAN, empty scope). Borrowed; take transfers ownership (once). */
pp_inventory *pp_plan_inventory(const pp_plan *p);
pp_inventory *pp_plan_take_inventory(pp_plan *p);

const pp_plan_stats *pp_plan_stats_get(const pp_plan *p);
const char *pp_plan_path(const pp_plan *p);
const char *pp_plan_format_version(const pp_plan *p);
const char *pp_plan_terraform_version(const pp_plan *p); /* NULL when absent */
/* false when Terraform says the plan is incomplete (-target, deferred changes). */
bool pp_plan_complete(const pp_plan *p);
/* {"aws_lambda_function": 3, ...}: evaluated resources whose type is not mapped. Borrowed. */
const json_t *pp_plan_unmapped(const pp_plan *p);
/* {"address": ["KeyPolicy", "Tags[0].Value"]}: document paths replaced by "(sensitive)". */
const json_t *pp_plan_sensitive(const pp_plan *p);
/* The addresses whose resources were folded into the document of `address` (rules merged into
 * their security group, attachments into their principal), or NULL. Borrowed array of strings. */
const json_t *pp_plan_merged_into(const pp_plan *p, const char *address);
/* Local module call sources from the plan's configuration: {"module.net": "./modules/net",
 * "module.net.module.sg": "../sg"}, keys without instance keys. Borrowed. */
const json_t *pp_plan_module_sources(const pp_plan *p);

/* ---- .tf locations ---------------------------------------------------------------------------
 * Given the configuration's root directory, finds the file and line of the `resource "T" "N"`
 * block that declares an address. Module addresses follow the module call's `source` when it is
 * a local path (from the plan, else from the `module` blocks); resources of a remote module are
 * located at their `module` block. Files are lexed (comments, strings, heredocs, braces), not
 * parsed as HCL. */
typedef struct pp_plan_locator pp_plan_locator;

typedef struct pp_tf_ignore {
    char *rule;     /* rule id, or "*" */
    char *reason;   /* NULL when none was given */
    char *until;    /* "YYYY-MM-DD" or NULL */
    time_t expires; /* end of the `until` day (UTC), 0 when none */
    char *file;     /* repo-relative */
    int line;
} pp_tf_ignore;

typedef struct pp_tf_location {
    const char *file;            /* repo-relative path */
    int line;                    /* the block's first line */
    int end_line;                /* its closing brace */
    const pp_tf_ignore *ignores; /* `# parapet:ignore` comments on, above or inside the block and */
    size_t n_ignores;            /* on the enclosing module blocks */
} pp_tf_location;

/* plan may be NULL (module sources are then read from `module` blocks only). */
int pp_plan_locator_new(const char *repo_root, const pp_plan *plan, pp_plan_locator **out);
void pp_plan_locator_free(pp_plan_locator *l);
/* 0 and *loc filled (borrowed until the locator is freed), or PP_ENOTFOUND. */
int pp_plan_locate(pp_plan_locator *l, const char *address, pp_tf_location *loc);
/* Comments that looked like `parapet:ignore` but could not be read: [{"file","line","error"}]. */
const json_t *pp_plan_locator_problems(const pp_plan_locator *l);

/* Parses the text after a comment marker ("parapet:ignore CIS-5.2 reason until=2025-01-31").
 * 0 when it is a valid ignore (out filled, strings owned), PP_ENOTFOUND when the comment is not
 * a parapet:ignore at all, PP_EINVAL (message set) when it is one but malformed. */
int pp_tf_ignore_parse(const char *comment, pp_tf_ignore *out);
void pp_tf_ignore_clear(pp_tf_ignore *ig);

/* ---- baselines and suppression ----------------------------------------------------------------
 * A baseline is a YAML list of accepted findings:
 *   - rule: CIS-5.2
 *     address: module.net.aws_security_group.ssh   # `*` matches any run of characters
 *     reason: bastion, tracked in OPS-12
 *     expires: 2025-06-30                          # optional; the entry applies through that day
 *     owner: platform-team                         # optional */
typedef struct pp_plan_baseline pp_plan_baseline;

int pp_plan_baseline_load(const char *path, pp_plan_baseline **out);
void pp_plan_baseline_free(pp_plan_baseline *b);
size_t pp_plan_baseline_count(const pp_plan_baseline *b);

/* Marks findings of a plan evaluation as suppressed by inline ignores (when loc is given) and by
 * the baseline (when given): f->suppression = {"source": "inline"|"baseline", "reason", "owner",
 * "expires", "expired", "file", "line"}, f->suppressed = true unless the entry has expired (an
 * expired entry is recorded on the finding but stops applying). Returns the number of suppressed
 * findings; *expired (optional) receives a new array of the expired entries that matched a
 * finding or are in the baseline: [{"source","rule","address","reason","expires","file","line"}].
 */
size_t pp_plan_suppress(pp_results *r, pp_plan_locator *loc, const pp_plan_baseline *b, time_t now,
                        json_t **expired);

#endif
