/* What scan, evaluate and report share: loading the policy packs, evaluating a snapshot, storing
 * the findings, writing the reports, the one-screen summary, and the exit code. */
#ifndef PP_CLI_PIPELINE_H
#define PP_CLI_PIPELINE_H

#include "cli.h"
#include "pp_reports.h"
#include "pp_rules.h"
#include "pp_store.h"

typedef struct pp_cli_eval_opts {
    char **policies;          /* --policies (repeatable), NULL: the shipped packs */
    const char *env;          /* --env */
    const char *suppressions; /* --suppressions, NULL: suppressions.yaml beside the db if any */
    const char *out;          /* --out DIR */
    const char *formats;      /* --format */
    const char *fail_on;      /* --fail-on */
    const char *db;           /* --db */
    bool quiet;
    bool no_default_suppressions; /* check: no database, so no suppressions file beside it */
} pp_cli_eval_opts;

/* Logs, at info level, how long the step since the previous call took ("evaluate: 1.234 s"), so
 * `--log-level info` shows where a run spends its time. */
void pp_cli_stage(const char *what);

/* Parsed --fail-on (default low). Returns PP_EXIT_USAGE after printing on a bad value. */
int pp_cli_fail_on(const char *s, enum pp_severity *out);
/* Checks --format names before anything runs. */
int pp_cli_check_formats(const char *cmd, const char *formats);
/* Checks the --out folder (default parapet-out) before anything runs: pp_report_check_dir. */
int pp_cli_check_out(const char *cmd, const char *out);
/* Loads the packs (remediation actions checked against the engine's table); every diagnostic
 * goes to stderr. Returns 0 or PP_EXIT_USAGE. */
int pp_cli_load_rules(const char *cmd, const pp_cli_eval_opts *o, pp_ruleset **out);
/* Opens (creating with `create`) the database, mapping errors to exit codes. */
int pp_cli_open_store(const char *cmd, const char *db, bool create, pp_store **out);

typedef struct pp_cli_outcome {
    int exit_code;
    long fail_by_sev[PP_SEV_CRITICAL + 1]; /* controls with an unsuppressed FAIL, by severity */
    long counts[PP_STATUS_COUNT];          /* findings */
    long suppressed;
    long coverage_errors;
    long new_fail, resolved;
    int64_t previous; /* 0 when none */
    /* What a notification lists (issue 10): the unsuppressed FAIL findings that did not fail in
     * the previous snapshot (every unsuppressed FAIL when there is none), most severe first, at
     * most PP_CLI_NEW_LISTED of them: [{"id", "rule", "title", "severity", "frameworks",
     * "resource": {"type", "id", "arn", "account", "region"}}]. new_failures_total counts them
     * all, new_alert those at or above --fail-on. Owned: pp_cli_outcome_clear. */
    json_t *new_failures;
    long new_failures_total;
    long new_alert;
    const char *fail_on; /* the --fail-on in force, by name */
} pp_cli_outcome;

#define PP_CLI_NEW_LISTED 50

/* Frees what an outcome owns; the outcome is zeroed. NULL is fine. */
void pp_cli_outcome_clear(pp_cli_outcome *oc);
/* Makes a FAIL trend (pp_store_history_trend's shape) chartable: every framework that any entry
 * or the rules of r (may be NULL) name gets a count in every entry, 0 where it had no FAIL, so a
 * framework whose failures were all fixed draws a line down to zero instead of stopping. */
void pp_cli_trend_fill(json_t *trend, const pp_results *r);

/* Evaluates inv (snapshot `snapshot` of st), saves the findings, writes the reports and computes
 * the outcome. Prints nothing. Returns 0, or an exit code (after printing the error). */
int pp_cli_evaluate(const char *cmd, pp_store *st, int64_t snapshot, const pp_inventory *inv,
                    const pp_snapshot_info *info, const pp_ruleset *rs, const pp_cli_eval_opts *o,
                    pp_cli_outcome *outcome);
/* Writes reports for stored findings (parapet report); compare: the snapshot whose findings
 * count as "previous", 0 for the automatic previous one, -1 for none. */
int pp_cli_report_from_store(const char *cmd, pp_store *st, int64_t snapshot, int64_t compare,
                             const pp_cli_eval_opts *o, pp_cli_outcome *outcome);
/* Exit code of a set of findings and coverage (design.md section 2). */
int pp_cli_exit_code(const pp_results *r, const pp_inventory *inv, enum pp_severity fail_on);
/* The one-screen summary on stdout. */
void pp_cli_print_summary(const pp_cli_outcome *oc, const pp_cli_eval_opts *o);

#endif
