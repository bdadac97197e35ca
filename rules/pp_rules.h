/* parapet rules: YAML policy packs compiled once and evaluated over an inventory into findings.
 * The language is described in docs/rules.md; this header is the whole interface of rules/. */
#ifndef PP_RULES_H
#define PP_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "pp_core.h"

typedef struct pp_ruleset pp_ruleset;

typedef struct pp_rules_options {
    /* Policy pack folders, NULL-terminated. A folder is a pack when it holds pack.yaml, else
     * each of its sub-folders holding a pack.yaml is one. NULL: pp_rules_default_dirs(). */
    const char *const *dirs;
    /* Environment overlay: a name (environments/NAME.yaml inside each pack that has it) or a
     * path to a file (it contains '/' or ends in .yaml/.yml) applied to every pack. NULL: none. */
    const char *env;
    const char *suppressions; /* YAML file or NULL */
    /* Known remediation action names, NULL-terminated, or NULL to skip that check. */
    const char *const *actions;
    /* Also load and validate every pack's test files, and require each automated rule to have
     * at least one PASS and one FAIL case (what `parapet rules lint` does). */
    bool check_tests;
} pp_rules_options;

/* Loads and compiles every rule; on any error returns PP_EINVAL and appends every diagnostic, one
 * "file:line:col: message" per line, to diags (nothing half-loaded: *out stays NULL). */
int pp_rules_load(pp_ruleset **out, const pp_rules_options *o, pp_buf *diags);
void pp_ruleset_free(pp_ruleset *rs);

/* Evaluates every rule over inv at time `now`; the results hold a pp_rule_meta per rule and a
 * finding per evaluated (rule, resource) pair, PASS included, with suppressions applied. */
int pp_rules_eval(const pp_ruleset *rs, const pp_inventory *inv, time_t now, pp_results **out);

/* Runs the packs' own test cases; fills passed/failed (cases) and a readable log of failures.
 * Returns PP_EINVAL (with the diagnostics in log) when a pack or a test file does not load. */
int pp_rules_run_tests(const pp_rules_options *o, time_t now, int *passed, int *failed,
                       pp_buf *log);

/* ---- introspection (rules list, reports) ----------------------------------------------------- */
enum pp_rule_kind {
    PP_RULE_CHECK = 0, /* per resource: where + assert */
    PP_RULE_EXISTS,    /* per account or per account and region: a matching resource must exist */
    PP_RULE_MANUAL,    /* MANUAL, the audit procedure is in the description */
    PP_RULE_ERROR,     /* ERROR with a fixed reason (data parapet does not collect yet) */
};

size_t pp_ruleset_count(const pp_ruleset *rs);
const pp_rule_meta *pp_ruleset_meta(const pp_ruleset *rs, size_t i); /* borrowed */
enum pp_rule_kind pp_ruleset_kind(const pp_ruleset *rs, size_t i);
/* [{"name", "version", "path"}], borrowed. */
const json_t *pp_ruleset_packs(const pp_ruleset *rs);

/* The packs used when no folder is given: the folders of PARAPET_POLICIES (':'-separated) when
 * set, else the source tree's policies/ (compiled in) when it exists, else the installed
 * <datadir>/parapet/policies. NULL-terminated, static storage. */
const char *const *pp_rules_default_dirs(void);

/* ---- suppressions (also usable on their own, e.g. for baselines) -----------------------------
 * A YAML file: a list (or {suppressions: [...]}) of {rule, resource, owner, reason, expires}
 * where rule and resource are globs (resource matches the finding's id, ARN or address) and
 * expires is a date; a suppression is active through the end of that day (UTC). */
typedef struct pp_suppressions pp_suppressions;

int pp_suppressions_load(const char *path, pp_suppressions **out, pp_buf *diags);
void pp_suppressions_free(pp_suppressions *s);
/* Marks matching non-PASS findings: active -> suppressed with suppression {owner, reason,
 * expires, expired: false}; expired -> not suppressed, suppression {..., expired: true}.
 * Returns how many findings it suppressed. */
size_t pp_suppressions_apply(const pp_suppressions *s, pp_results *r, time_t now);

#endif
