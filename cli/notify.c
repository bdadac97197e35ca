/* Webhook notifications: decide whether a run is worth telling, build the JSON summary and its
 * Slack-compatible "text", and POST it with short timeouts. Delivery problems are warnings only:
 * the exit code of a scheduled job must say what the job found, not whether a chat was up. */
#include "notify.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

static const char *const on_names[] = {"fail", "new", "always"};

int pp_notify_on_parse(const char *s, enum pp_notify_on *out)
{
    for (int i = 0; i < 3; i++)
        if (pp_str_eq(s, on_names[i])) {
            *out = (enum pp_notify_on)i;
            return 0;
        }
    return pp_err_set(PP_EINVAL, "'%s' is not one of fail, new, always", s ? s : "");
}

const char *pp_notify_on_name(enum pp_notify_on on)
{
    return (unsigned)on < 3 ? on_names[on] : "fail";
}

/* ---- URLs ------------------------------------------------------------------------------------ */

static bool host_is_loopback(const char *host)
{
    if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
        return true;
    /* 127.0.0.0/8 as curl normalises it: four decimal parts */
    unsigned a, b, c, d;
    char tail;
    return sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a == 127 && b < 256 &&
           c < 256 && d < 256;
}

/* Parses url with curl's own parser, the one that will send the request. */
static CURLU *url_parse(const char *url)
{
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p == 0x7f)
            return NULL;
    CURLU *u = curl_url();
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        curl_url_cleanup(u);
        u = NULL;
    }
    return u;
}

static char *url_part(CURLU *u, CURLUPart what)
{
    char *v = NULL;
    if (curl_url_get(u, what, &v, 0) != CURLUE_OK)
        return NULL;
    char *copy = pp_xstrdup(v);
    curl_free(v);
    return copy;
}

char *pp_notify_url_origin(const char *url)
{
    CURLU *u = url ? url_parse(url) : NULL;
    if (!u)
        return pp_xstrdup("(unparsable URL)");
    char *scheme = url_part(u, CURLUPART_SCHEME), *host = url_part(u, CURLUPART_HOST);
    char *port = url_part(u, CURLUPART_PORT); /* only when the URL names one */
    char *origin = pp_xasprintf("%s://%s%s%s", scheme ? scheme : "?", host ? host : "?",
                                port ? ":" : "", port ? port : "");
    free(scheme);
    free(host);
    free(port);
    curl_url_cleanup(u);
    return origin;
}

int pp_notify_url_check(const char *url, bool allow_insecure)
{
    char *scheme = NULL, *host = NULL, *user = NULL, *path = NULL, *query = NULL;
    char *origin = NULL;
    int rc = 0;
    CURLU *u = url && *url ? url_parse(url) : NULL;
    if (!u) {
        /* the text may be a mistyped secret: say what is wrong, not what it was */
        rc = pp_err_set(PP_EINVAL, "not a URL (expected https://host/path)");
        goto _exit;
    }
    origin = pp_notify_url_origin(url);
    scheme = url_part(u, CURLUPART_SCHEME);
    host = url_part(u, CURLUPART_HOST);
    user = url_part(u, CURLUPART_USER);
    bool https = pp_str_eq(scheme, "https");
    if (!https && !pp_str_eq(scheme, "http")) {
        rc = pp_err_set(PP_EINVAL, "%s: only http and https URLs are supported", origin);
        goto _exit;
    }
    if (!host || !*host) {
        rc = pp_err_set(PP_EINVAL, "%s: the URL has no host", origin);
        goto _exit;
    }
    if (user) {
        rc = pp_err_set(PP_EINVAL, "%s: user information in webhook URLs is not supported", origin);
        goto _exit;
    }
    if (!https && !allow_insecure && !host_is_loopback(host)) {
        rc = pp_err_set(PP_EINVAL,
                        "%s: refusing plain http to a non-loopback host (use https, or "
                        "--allow-insecure-endpoint)",
                        origin);
        goto _exit;
    }
    /* The path and query of a webhook are usually its credential: mask them wherever they might
     * show up later (curl errors, debug logs). */
    pp_redact_register(url);
    path = url_part(u, CURLUPART_PATH);
    query = url_part(u, CURLUPART_QUERY);
    if (path)
        pp_redact_register(path);
    if (query)
        pp_redact_register(query);

_exit:
    free(scheme);
    free(host);
    free(user);
    free(path);
    free(query);
    free(origin);
    curl_url_cleanup(u);
    return rc;
}

char **pp_notify_env_urls(void)
{
    const char *v = getenv("PARAPET_NOTIFY_URL");
    char **out = pp_xcalloc(1, sizeof(*out));
    size_t n = 0;
    while (v && *v) {
        while (*v && isspace((unsigned char)*v))
            v++;
        size_t len = 0;
        while (v[len] && !isspace((unsigned char)v[len]))
            len++;
        if (len) {
            out = pp_xrealloc(out, (n + 2) * sizeof(*out));
            out[n++] = pp_xstrndup(v, len);
            out[n] = NULL;
        }
        v += len;
    }
    return out;
}

/* ---- what to send ---------------------------------------------------------------------------- */

bool pp_notify_wanted(enum pp_notify_on on, const pp_notify_run *run, const pp_cli_outcome *oc)
{
    /* A job that cannot run is news in every mode: nobody learns of new failures otherwise. */
    if (run->error || !oc)
        return true;
    switch (on) {
    case PP_NOTIFY_ALWAYS:
        return true;
    case PP_NOTIFY_NEW:
        return oc->new_alert > 0;
    case PP_NOTIFY_FAIL:
    default:
        return run->exit_code != PP_EXIT_OK;
    }
}

static const char *status_name(const pp_notify_run *run)
{
    if (run->error)
        return "error";
    switch (run->exit_code) {
    case PP_EXIT_OK:
        return "pass";
    case PP_EXIT_FAIL:
        return "fail";
    case PP_EXIT_INCOMPLETE:
        return "incomplete";
    default:
        return "error";
    }
}

/* Slack reads &, < and > as markup and control characters break the message: escape the one,
 * replace the other, so resource names from AWS stay text. */
static void text_put(pp_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : "-"); *p; p++) {
        if (*p == '&')
            pp_buf_puts(b, "&amp;");
        else if (*p == '<')
            pp_buf_puts(b, "&lt;");
        else if (*p == '>')
            pp_buf_puts(b, "&gt;");
        else if (*p < 0x20 || *p == 0x7f)
            pp_buf_putc(b, '?');
        else
            pp_buf_putc(b, (char)*p);
    }
}

static void text_list(pp_buf *b, const json_t *arr)
{
    size_t n = json_array_size(arr);
    for (size_t i = 0; i < n && i < 3; i++) {
        pp_buf_puts(b, i ? "," : "");
        text_put(b, json_string_value(json_array_get(arr, i)));
    }
    if (n > 3)
        pp_buf_printf(b, " +%zu", n - 3);
    if (n == 0)
        pp_buf_putc(b, '-');
}

static char *build_text(const pp_notify_run *run, const pp_cli_outcome *oc, const char *host,
                        const char *report)
{
    pp_buf b;
    /* Slack truncates long messages anyway; a cap keeps hostile names from growing this. */
    pp_buf_init(&b, 32 * 1024);
    const char *status = status_name(run);
    pp_buf_puts(&b, "parapet ");
    text_put(&b, run->command);
    pp_buf_puts(&b, " on ");
    text_put(&b, host);
    pp_buf_puts(&b, ": ");
    for (const char *s = status; *s; s++)
        pp_buf_putc(&b, (char)toupper((unsigned char)*s));
    pp_buf_printf(&b, " (exit %d)", run->exit_code);
    if (run->snapshot && run->snapshot->id) {
        pp_buf_printf(&b, ", snapshot %lld, accounts ", (long long)run->snapshot->id);
        text_list(&b, run->snapshot->accounts);
        pp_buf_puts(&b, ", regions ");
        text_list(&b, run->snapshot->regions);
    }
    if (run->error) {
        pp_buf_puts(&b, "\n");
        text_put(&b, run->error);
    }
    if (oc) {
        long total = 0;
        for (int s = 0; s <= PP_SEV_CRITICAL; s++)
            total += oc->fail_by_sev[s];
        pp_buf_printf(&b,
                      "\ncontrols failed: %ld (critical %ld, high %ld, medium %ld, low %ld, "
                      "info %ld); fail-on %s",
                      total, oc->fail_by_sev[PP_SEV_CRITICAL], oc->fail_by_sev[PP_SEV_HIGH],
                      oc->fail_by_sev[PP_SEV_MEDIUM], oc->fail_by_sev[PP_SEV_LOW],
                      oc->fail_by_sev[PP_SEV_INFO], oc->fail_on ? oc->fail_on : "low");
        if (oc->previous)
            pp_buf_printf(&b, "\nsince snapshot %lld: %ld new FAIL, %ld resolved",
                          (long long)oc->previous, oc->new_fail, oc->resolved);
        else
            pp_buf_printf(&b, "\nfirst snapshot: all %ld unsuppressed FAIL findings are new",
                          oc->new_failures_total);
        size_t n = json_array_size(oc->new_failures);
        for (size_t i = 0; i < n && i < PP_NOTIFY_TEXT_LISTED; i++) {
            json_t *f = json_array_get(oc->new_failures, i);
            json_t *res = json_object_get(f, "resource");
            pp_buf_puts(&b, "\n- ");
            text_put(&b, json_string_value(json_object_get(f, "severity")));
            pp_buf_putc(&b, ' ');
            text_put(&b, json_string_value(json_object_get(f, "rule")));
            pp_buf_putc(&b, ' ');
            text_put(&b, json_string_value(json_object_get(res, "type")));
            pp_buf_putc(&b, ' ');
            text_put(&b, json_string_value(json_object_get(res, "id")));
            pp_buf_puts(&b, " (");
            text_put(&b, json_string_value(json_object_get(res, "account")));
            pp_buf_putc(&b, ' ');
            text_put(&b, json_string_value(json_object_get(res, "region")));
            pp_buf_putc(&b, ')');
        }
        if (oc->new_failures_total > PP_NOTIFY_TEXT_LISTED)
            pp_buf_printf(&b, "\n... and %ld more new failures in the report",
                          oc->new_failures_total - PP_NOTIFY_TEXT_LISTED);
        pp_buf_printf(&b, "\ncoverage errors: %ld", oc->coverage_errors);
    }
    if (report) {
        pp_buf_puts(&b, "\nreport: ");
        text_put(&b, report);
    }
    if (run->pruned > 0)
        pp_buf_printf(&b, "\nretention: pruned %ld old snapshot%s", run->pruned,
                      run->pruned == 1 ? "" : "s");
    return pp_buf_steal(&b);
}

static json_t *time_or_null(time_t t)
{
    if (!t)
        return json_null();
    char ts[32];
    pp_time_format(t, ts);
    return json_string(ts);
}

json_t *pp_notify_payload(const pp_notify_run *run, const pp_cli_outcome *oc)
{
    char host[256];
    if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "unknown");
    host[sizeof(host) - 1] = '\0';

    json_t *files = json_array();
    char **formats = pp_str_split(run->formats ? run->formats : "html,json", ',', NULL);
    const char *html = NULL;
    for (size_t i = 0; run->report_dir && formats[i]; i++) {
        const pp_report_writer *w = pp_report_writer_find(formats[i]);
        if (!w)
            continue;
        char *path = pp_xasprintf("%s/%s", run->report_dir, w->filename);
        json_array_append_new(files, json_string(path));
        free(path);
        if (strcmp(w->name, "html") == 0)
            html = json_string_value(json_array_get(files, json_array_size(files) - 1));
    }
    pp_strv_free(formats);
    const char *report = html ? html : json_string_value(json_array_get(files, 0));
    char *text = build_text(run, oc, host, report);

    json_t *o = json_object();
    json_object_set_new(o, "text", json_string(text));
    json_object_set_new(o, "schema", json_string("parapet/notification/v1"));
    json_object_set_new(o, "tool",
                        json_pack("{s:s, s:s}", "name", "parapet", "version", PP_VERSION));
    json_object_set_new(o, "command", json_string(run->command ? run->command : "scan"));
    json_object_set_new(o, "host", json_string(host));
    json_object_set_new(o, "status", json_string(status_name(run)));
    json_object_set_new(o, "exit_code", json_integer(run->exit_code));
    json_object_set_new(o, "error", run->error ? json_string(run->error) : json_null());
    const pp_snapshot_info *s = run->snapshot;
    if (s && s->id)
        json_object_set_new(o, "snapshot",
                            json_pack("{s:I, s:o, s:o, s:O?, s:O?, s:I}", "id", (json_int_t)s->id,
                                      "started_at", time_or_null(s->started_at), "finished_at",
                                      time_or_null(s->finished_at), "accounts", s->accounts,
                                      "regions", s->regions, "resources",
                                      (json_int_t)s->resources));
    else
        json_object_set_new(o, "snapshot", json_null());
    if (oc) {
        json_t *by = json_object();
        long total = 0;
        for (int k = PP_SEV_CRITICAL; k >= PP_SEV_INFO; k--) {
            json_object_set_new(by, pp_severity_name((enum pp_severity)k),
                                json_integer(oc->fail_by_sev[k]));
            total += oc->fail_by_sev[k];
        }
        json_object_set_new(by, "total", json_integer(total));
        json_t *counts = json_object();
        for (int k = 0; k < PP_STATUS_COUNT; k++)
            json_object_set_new(counts, pp_status_name((enum pp_status)k),
                                json_integer(oc->counts[k]));
        json_object_set_new(counts, "suppressed", json_integer(oc->suppressed));
        json_object_set_new(o, "fail_on", json_string(oc->fail_on ? oc->fail_on : "low"));
        json_object_set_new(o, "controls_failed", by);
        json_object_set_new(o, "findings", counts);
        json_object_set_new(o, "previous_snapshot",
                            oc->previous ? json_integer(oc->previous) : json_null());
        json_object_set_new(o, "new", oc->previous ? json_integer(oc->new_fail) : json_null());
        json_object_set_new(o, "resolved", oc->previous ? json_integer(oc->resolved) : json_null());
        json_object_set_new(o, "new_failures",
                            oc->new_failures ? json_incref(oc->new_failures) : json_array());
        json_object_set_new(o, "new_failures_total", json_integer(oc->new_failures_total));
        json_object_set_new(o, "coverage_errors", json_integer(oc->coverage_errors));
    }
    if (json_array_size(files))
        json_object_set_new(o, "reports",
                            json_pack("{s:s, s:O}", "dir", run->report_dir, "files", files));
    else
        json_object_set_new(o, "reports", json_null());
    json_object_set_new(o, "pruned", json_integer(run->pruned));
    json_decref(files);
    free(text);
    return o;
}

/* ---- delivery -------------------------------------------------------------------------------- */

/* Webhook answers are read and dropped; a cap stops an endless one early. */
static size_t discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
    size_t *seen = ud;
    (void)ptr;
    *seen += size * nmemb;
    return *seen > 1024 * 1024 ? 0 : size * nmemb;
}

int pp_notify_post(const char *url, const char *body, long timeout_s)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = NULL;
    char *origin = pp_notify_url_origin(url);
    size_t seen = 0;
    int rc = 0;
    CURLU *u = url_parse(url);
    char *host = u ? url_part(u, CURLUPART_HOST) : NULL;
    CURL *h = curl_easy_init();
    if (!h || !u) {
        rc = pp_err_set(PP_EIO, "%s: cannot set up the request", origin);
        goto _exit;
    }
    headers = curl_slist_append(headers, "Content-Type: application/json; charset=utf-8");
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(h, CURLOPT_CURLU, u);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(h, CURLOPT_USERAGENT, "parapet/" PP_VERSION);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout_s);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    /* A redirect could lead a POST with our findings to plain http or elsewhere: never follow. */
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    const char *ca = getenv("PARAPET_NOTIFY_CA_BUNDLE");
    if (ca && *ca)
        curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    /* A receiver on this machine is never reached through a proxy from the environment. */
    if (host && host_is_loopback(host))
        curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &seen);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && status >= 200 && status < 300)) {
        rc = pp_err_set(PP_EIO, "%s: %s", origin, *errbuf ? errbuf : curl_easy_strerror(cc));
        goto _exit;
    }
    if (status < 200 || status >= 300) {
        rc = pp_err_set(PP_EIO, "%s: HTTP %ld", origin, status);
        goto _exit;
    }

_exit:
    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
    curl_url_cleanup(u);
    free(host);
    free(origin);
    return rc;
}

size_t pp_notify_send(char *const *urls, const json_t *payload)
{
    size_t failed = 0;
    char *body = json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER);
    for (size_t i = 0; urls && urls[i]; i++) {
        if (!body || pp_notify_post(urls[i], body, PP_NOTIFY_TIMEOUT_S)) {
            if (!body)
                pp_err_set(PP_ENOMEM, "the payload could not be encoded");
            pp_log(PP_LOG_WARN, "notify", "%s (the exit code is not affected)", pp_err_msg());
            failed++;
        } else {
            char *origin = pp_notify_url_origin(urls[i]);
            pp_log(PP_LOG_INFO, "notify", "sent to %s", origin);
            free(origin);
        }
    }
    free(body);
    return failed;
}
