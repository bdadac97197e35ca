/* A synthetic evaluation for the report writers: rules shaped like the CIS and reference packs,
 * an inventory of N resources over three accounts and four regions with tags, coverage with a
 * failed call, findings with evidence, suppressions, a previous evaluation for changes and a
 * trend history. Optional hostile values (markup, script, formulas, invalid UTF-8) and a
 * Terraform-plan flavour. Deterministic: the same options give the same bytes. Used by the
 * report generator (bench/reports), the unit tests and the browser suite. */
#ifndef SYNTH_H
#define SYNTH_H

#include "pp_reports.h"

typedef struct synth_opts {
    size_t resources;     /* inventory size (account resources included) */
    bool hostile;         /* add resources with hostile names, tags and messages */
    bool plan;            /* a Terraform plan: addresses, UNKNOWN, no accounts */
    bool previous;        /* also build a previous evaluation */
    bool history;         /* also build a trend history */
    int fail_pct;         /* share of failing resources for every rule, 0 for the rules' own */
    bool unique_evidence; /* evidence names its resource, so no two are alike (worst case) */
} synth_opts;

typedef struct synth {
    pp_results *results;
    pp_results *previous;
    pp_inventory *inventory;
    pp_snapshot_info snapshot;
    json_t *history;
    bool plan;
} synth;

void synth_build(const synth_opts *o, synth *out);
void synth_free(synth *s);
/* Fills a report input that borrows from s. */
void synth_input(const synth *s, pp_report_input *in);
/* A locate callback for plan findings: module.X.* in modules/X/main.tf, else main.tf. */
int synth_locate(void *ud, const char *address, char **file, int *line);

/* The hostile strings the suite checks for. */
#define SYNTH_XSS_IMG     "<img src=x onerror=\"document.title='pwned-img'\">"
#define SYNTH_XSS_SCRIPT  "</script><script>document.title='pwned-script';window.pwned=1</script>"
#define SYNTH_XSS_SVG     "\"'><svg onload=\"window.pwned=2\"><div id=\"pwned\">x</div>"
#define SYNTH_CSV_FORMULA "=cmd|' /C calc'!A0"

#endif
