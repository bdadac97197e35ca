/* Pieces the report writers share: clean strings (valid UTF-8, no XML-illegal controls), the
 * per-rule and per-framework rollup every writer prints, resource lookup and the change set
 * against a previous evaluation. Private to reports/. */
#ifndef PP_REPORT_INT_H
#define PP_REPORT_INT_H

#include <stdbool.h>
#include <stdio.h>

#include "pp_reports.h"

/* ---- strings ------------------------------------------------------------------------------ */

/* A copy of s that is valid UTF-8 (invalid bytes become U+FFFD). With xml, C0 controls other
 * than tab, LF and CR become U+FFFD too, since XML 1.0 cannot carry them at all. NULL -> NULL. */
char *rep_clean(const char *s, bool xml);
/* true when s is valid UTF-8 (and, with xml, free of XML-illegal controls). */
bool rep_is_clean(const char *s, bool xml);
/* A JSON string of rep_clean(s), or JSON null for NULL. New reference. */
json_t *rep_jstr(const char *s);
/* v with every string and key made valid UTF-8; a new reference (v itself when already clean).
 * NULL -> JSON null. */
json_t *rep_jclean(json_t *v);
/* Appends rep_jstr(s) in its compact JSON form without building the value. */
int rep_put_str(pp_buf *b, const char *s);
/* One finding of report.json: the object, and the same bytes written directly. */
json_t *rep_finding_obj(const pp_finding *f);
int rep_finding_dump(const pp_finding *f, pp_buf *b);

/* Natural order for control ids: digit runs compare as numbers, so 1.2 < 1.10 < 2.1. */
int rep_natcmp(const char *a, const char *b);

/* "2024-01-02T03:04:05Z" or JSON null for 0. */
json_t *rep_jtime(time_t t);

/* ---- maps --------------------------------------------------------------------------------- */

/* An open-addressing map from byte-string keys (copied) to a size_t. */
typedef struct rep_map {
    char **keys;
    size_t *klen;
    size_t *vals;
    size_t cap, n;
} rep_map;

void rep_map_init(rep_map *m, size_t expect);
void rep_map_free(rep_map *m);
/* Inserts or replaces. */
void rep_map_put(rep_map *m, const char *key, size_t klen, size_t val);
bool rep_map_get(const rep_map *m, const char *key, size_t klen, size_t *val);

/* ---- the rollup --------------------------------------------------------------------------- */

/* The status a control (a rule, or a framework requirement) shows: the worst unsuppressed
 * finding (FAIL > ERROR > UNKNOWN > MANUAL > PASS); REP_NA when nothing was evaluated. A control
 * whose only findings are suppressed shows PASS: the failures are accepted. */
#define REP_NA PP_STATUS_COUNT
const char *rep_status_name(int status); /* also "NOT_APPLICABLE" */
int rep_status_rank(int status);         /* higher is worse */

typedef struct rep_rule {
    const pp_rule_meta *meta;
    const char *service; /* "ec2", from the type registry or the type name */
    char service_buf[32];
    size_t counts[PP_STATUS_COUNT]; /* every finding */
    size_t suppressed;
    int status;       /* enum pp_status or REP_NA */
    size_t *findings; /* indices into results->findings, in result order */
    size_t n_findings;
} rep_rule;

typedef struct rep_control {
    char *id;      /* "5.2" */
    size_t *rules; /* indices into rep_index.rules */
    size_t n_rules;
    int status;
    size_t counts[PP_STATUS_COUNT];
    size_t suppressed;
} rep_control;

typedef struct rep_framework {
    char *name;            /* "cis-aws-3.0" */
    char *version;         /* pack version of the first rule that maps to it, or NULL */
    rep_control *controls; /* natural order of id */
    size_t n_controls;
    size_t status_controls[REP_NA + 1]; /* how many controls show each status */
} rep_framework;

typedef struct rep_index {
    const pp_report_input *in;
    const pp_results *res;
    rep_rule *rules; /* results->rules order */
    size_t n_rules;
    size_t *rule_of;   /* finding index -> rule index */
    rep_framework *fw; /* sorted by name */
    size_t n_fw;
    size_t *unmapped; /* rules that map to no framework */
    size_t n_unmapped;
    size_t totals[PP_STATUS_COUNT];
    size_t suppressed;
    size_t sev_counts[PP_SEV_CRITICAL + 1][PP_STATUS_COUNT]; /* findings by severity */
    rep_map resources; /* type/account/region/id -> inventory position */
    bool have_resources;
} rep_index;

/* Builds the rollup; with_resources also indexes the inventory for rep_resource(). */
int rep_index_build(rep_index *ix, const pp_report_input *in, bool with_resources);
void rep_index_free(rep_index *ix);
/* The inventory resource a finding is about, or NULL (account- or region-scoped findings). */
const pp_resource *rep_resource(const rep_index *ix, const pp_finding *f);
/* The same as an inventory position; false when there is none. */
bool rep_resource_pos(const rep_index *ix, const pp_finding *f, size_t *pos);
/* The service a resource type belongs to ("ec2" for AWS::EC2::VPC). */
const char *rep_service_of(const char *type, char *buf, size_t bufsz);

/* Tags of a resource document as an object {key: value}: from "Tags"/"TagList" (AWS's
 * [{"Key","Value"}] lists) or a "Tags"/"tags" object. New reference, possibly empty. */
json_t *rep_tags(const pp_resource *r);

/* ---- changes against the previous evaluation --------------------------------------------- */

typedef struct rep_change {
    const pp_finding *now;  /* NULL when the finding is gone */
    const pp_finding *prev; /* NULL when the finding is new */
} rep_change;

typedef struct rep_changes {
    rep_change *new_fail; /* FAIL now, not FAIL before (absent or another status) */
    size_t n_new;
    rep_change *resolved; /* FAIL before, not FAIL now (another status or gone) */
    size_t n_resolved;
    rep_change *changed; /* present in both with another status */
    size_t n_changed;
    size_t n_regressed; /* changed from PASS to FAIL */
} rep_changes;

/* Empty when in->previous is NULL. Suppressed findings count with their status. */
void rep_changes_build(rep_changes *c, const pp_report_input *in);
void rep_changes_free(rep_changes *c);

/* ---- misc --------------------------------------------------------------------------------- */

/* The finding's stable id; computed into buf when the producer left it empty. */
const char *rep_finding_id(const pp_finding *f, char buf[41]);

const char *rep_source_kind(const pp_report_input *in);
/* Remediation of a rule as one line of text ("revoke-ingress (targets: matched)"), malloc'd, or
 * NULL when the rule has none. */
char *rep_remediation_text(const pp_rule_meta *m);
/* A short text of a suppression ("owner: reason (until 2025-01-01)"), malloc'd, or NULL. */
char *rep_suppression_text(const json_t *s);

/* The writers, one per file. */
int pp_report_json(const pp_report_input *in, FILE *out);
int pp_report_ocsf(const pp_report_input *in, FILE *out);
int pp_report_csv(const pp_report_input *in, FILE *out);
int pp_report_html(const pp_report_input *in, FILE *out);
int pp_report_sarif(const pp_report_input *in, FILE *out);
int pp_report_junit(const pp_report_input *in, FILE *out);

/* Writes a JSON value compactly to out; PP_EIO on a write error. */
int rep_dumpf(json_t *v, FILE *out);

#endif
