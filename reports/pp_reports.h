/* parapet reports: one writer per format (json, ocsf, csv, html, sarif, junit), looked up by name
 * in one table. The input is what an evaluation produced (results, inventory, snapshot); the
 * native JSON (report.json, schema docs/report-schema.json) is the contract other tools read. */
#ifndef PP_REPORTS_H
#define PP_REPORTS_H

#include <stdio.h>

#include "pp_core.h"

/* Maps a Terraform address to the .tf file (relative to the repository root, caller-owned on
 * return, malloc'd) and the line that declares it. Returns 0 when found, PP_ENOTFOUND when not
 * (SARIF then points at the plan file). Provided by the plan reader (issue 7). */
typedef int (*pp_report_locate_fn)(void *ud, const char *address, char **file, int *line);

typedef struct pp_report_input {
    const pp_results *results;        /* rules + findings of this evaluation (required) */
    const pp_inventory *inventory;    /* coverage, scope, resource documents; or NULL */
    const pp_snapshot_info *snapshot; /* id, times, accounts, regions, source; or NULL */
    const pp_results *previous;       /* the previous snapshot's findings, for "changes"; or NULL */
    int64_t previous_snapshot;        /* its snapshot id (0 when unknown) */
    /* Trend for the HTML chart (issue 10), or NULL: an array of
     * {"snapshot": id, "time": "2024-01-02T03:04:05Z", "frameworks": {"cis-aws-3.0": 12, ...}}
     * (FAIL counts per framework). Framework counts may also sit at the top level of each entry
     * beside "snapshot" and "time". Borrowed. */
    json_t *history;
    const char *source_kind; /* "aws" | "terraform-plan" | "snapshot"; NULL: from the inventory */
    const char *plan_path;   /* terraform-plan source: the plan file, for SARIF locations */
    const char *repo_root;   /* SARIF: the checkout the plan's .tf files live in, or NULL */
    pp_report_locate_fn locate; /* SARIF: address -> .tf file and line, or NULL */
    void *locate_ud;
} pp_report_input;

/* One entry of the writer table. */
typedef struct pp_report_writer {
    const char *name;     /* "json" */
    const char *filename; /* "report.json", the name pp_report_write_all gives it */
    const char *summary;  /* one line for `parapet help` */
    int (*write)(const pp_report_input *in, FILE *out);
} pp_report_writer;

/* The writer for a format name, or NULL. */
const pp_report_writer *pp_report_writer_find(const char *format);
/* Writers in table order; NULL past the end. */
const pp_report_writer *pp_report_writer_at(size_t i);

/* Writes one format ("json", "html", "ocsf", "csv", "sarif", "junit") to path, mode 0600. The
 * file appears complete or not at all (written beside it, then renamed). Unknown format or
 * missing results -> PP_EINVAL; I/O -> PP_EIO. */
int pp_report_write(const char *format, const pp_report_input *in, const char *path);

/* Whether reports may be written into dir: fine when it does not exist yet (it will be created
 * 0700); PP_EIO when it is not a directory; PP_EINVAL when it is world-writable and owned by
 * another user (that user could replace what parapet writes there: /tmp itself, say). */
int pp_report_check_dir(const char *dir);

/* Writes every format of a comma-separated list into dir (created 0700 when missing) under the
 * table's file names: report.json, report.html, report.ocsf.json, report.csv, report.sarif,
 * report.junit.xml. Every name is checked before anything is written: an unknown format ->
 * PP_EINVAL and no file; so is the folder (pp_report_check_dir). */
int pp_report_write_all(const char *formats, const pp_report_input *in, const char *dir);

#endif
