/* Webhook notifications of a scheduled run's outcome (issue 10): a JSON summary with a
 * Slack-compatible "text" field, POSTed over libcurl. A notification never changes a run's exit
 * code: failures to deliver are one warning line each. Webhook URLs are secrets (Slack's carry
 * their token in the path): nothing here logs more of one than its scheme, host and port. */
#ifndef PP_CLI_NOTIFY_H
#define PP_CLI_NOTIFY_H

#include "pipeline.h"

/* When to notify. Every mode also reports a run that could not complete (status "error"). */
enum pp_notify_on {
    PP_NOTIFY_FAIL = 0, /* the run exits 1 or 3 (the default) */
    PP_NOTIFY_NEW,      /* a new unsuppressed FAIL at or above --fail-on since the previous run */
    PP_NOTIFY_ALWAYS,   /* every run */
};

#define PP_NOTIFY_TIMEOUT_S 10
/* New failures named in the "text" field; the JSON lists up to PP_CLI_NEW_LISTED. */
#define PP_NOTIFY_TEXT_LISTED 10

/* "fail", "new" or "always"; PP_EINVAL otherwise. */
int pp_notify_on_parse(const char *s, enum pp_notify_on *out);
const char *pp_notify_on_name(enum pp_notify_on on);

/* Checks a webhook URL: http or https, a host, no user information, and plain http only to a
 * loopback host unless allow_insecure. PP_EINVAL with a message that shows only the origin. */
int pp_notify_url_check(const char *url, bool allow_insecure);
/* "https://hooks.example.com:8443" of a URL: what logs and errors may show. Caller frees. */
char *pp_notify_url_origin(const char *url);
/* The URLs of PARAPET_NOTIFY_URL (whitespace-separated), NULL-terminated; empty when unset. */
char **pp_notify_env_urls(void);

/* What a notification is about besides the outcome. */
typedef struct pp_notify_run {
    const char *command;              /* "scan" */
    int exit_code;                    /* the run's exit code */
    const char *error;                /* one line when the run did not complete, else NULL */
    const pp_snapshot_info *snapshot; /* NULL when no snapshot was stored */
    const char *report_dir;           /* absolute folder of the reports, NULL when none */
    const char *formats;              /* the --format list, NULL: html,json */
    long pruned;                      /* snapshots retention deleted */
} pp_notify_run;

/* Whether `on` asks for a notification of this run (oc NULL when it did not complete). */
bool pp_notify_wanted(enum pp_notify_on on, const pp_notify_run *run, const pp_cli_outcome *oc);
/* The payload: see docs/scheduling.md for its fields. oc may be NULL when run->error is set. */
json_t *pp_notify_payload(const pp_notify_run *run, const pp_cli_outcome *oc);
/* POSTs body (JSON) to url within timeout_s seconds; any 2xx answer is success. PP_EIO with a
 * one-line reason naming only the URL's origin. */
int pp_notify_post(const char *url, const char *body, long timeout_s);
/* Posts payload to every URL, logging one warning line per failure; returns how many failed. */
size_t pp_notify_send(char *const *urls, const json_t *payload);

#endif
