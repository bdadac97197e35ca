/* report.sarif: SARIF 2.1.0 for GitHub code scanning and other SARIF readers. Shaped by GitHub's
 * rules (shared/reference/premerge.md 3.2): one run, unique rules[] with short and full
 * descriptions and help, security-severity as a string score, results with ruleId, ruleIndex,
 * level and message, partialFingerprints from the stable finding id (alerts survive line moves),
 * locations in the .tf file that declares the resource when the plan reader can say where, else
 * the plan file, and suppressions[] for baseline and inline suppressions.
 *
 * Results are the findings that need attention: FAIL (level by severity), ERROR (warning: not
 * evaluated) and UNKNOWN (note: decided at apply time). PASS and MANUAL are not results. */
#include "report_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char *level_of(enum pp_severity s)
{
    switch (s) {
    case PP_SEV_CRITICAL:
    case PP_SEV_HIGH:
        return "error";
    case PP_SEV_MEDIUM:
        return "warning";
    default:
        return "note";
    }
}

/* GitHub buckets: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low. */
static const char *score_of(enum pp_severity s)
{
    switch (s) {
    case PP_SEV_CRITICAL:
        return "9.5";
    case PP_SEV_HIGH:
        return "8.0";
    case PP_SEV_MEDIUM:
        return "5.5";
    case PP_SEV_LOW:
        return "3.0";
    default:
        return "0.0";
    }
}

/* Percent-encodes what a URI path may not carry as is (RFC 3986 pchar plus '/'). */
static char *uri_path(const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    pp_buf b;
    pp_buf_init(&b, 0);
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/!$&'()*+,;=:@", *p)) {
            pp_buf_putc(&b, (char)*p);
        } else {
            pp_buf_putc(&b, '%');
            pp_buf_putc(&b, hex[*p >> 4]);
            pp_buf_putc(&b, hex[*p & 15]);
        }
    }
    return pp_buf_steal(&b);
}

/* The plan file's URI: relative to the repository root when it lies inside it, as given when
 * relative, else a file:// URI. */
static char *plan_uri(const pp_report_input *in)
{
    const char *plan = in->plan_path;
    char *out = NULL, *rplan = NULL, *rroot = NULL;
    if (!plan)
        return NULL;
    if (in->repo_root) {
        rplan = realpath(plan, NULL);
        rroot = realpath(in->repo_root, NULL);
        size_t n = rroot ? strlen(rroot) : 0;
        if (rplan && rroot && strncmp(rplan, rroot, n) == 0 && rplan[n] == '/') {
            out = uri_path(rplan + n + 1);
            goto _exit;
        }
    }
    if (plan[0] != '/') {
        const char *p = plan;
        while (pp_str_startswith(p, "./"))
            p += 2;
        out = uri_path(p);
        goto _exit;
    }
    char *enc = uri_path(plan);
    out = pp_xasprintf("file://%s", enc);
    free(enc);

_exit:
    free(rplan);
    free(rroot);
    return out;
}

static json_t *text_obj(const char *s)
{
    return json_pack("{so}", "text", rep_jstr(s));
}

static json_t *rule_obj(const rep_rule *rr)
{
    const pp_rule_meta *m = rr->meta;
    const char *title = m->title ? m->title : m->id;
    json_t *o = json_object();
    json_object_set_new(o, "id", rep_jstr(m->id));
    json_object_set_new(o, "name", rep_jstr(m->id));
    json_object_set_new(o, "shortDescription", text_obj(title));
    /* GitHub keeps at most 1024 characters of fullDescription */
    char *full = rep_clean(m->description ? m->description : title, false);
    if (strlen(full) > 1024) {
        size_t cut = 1021;
        while (cut > 0 && ((unsigned char)full[cut] & 0xC0) == 0x80)
            cut--; /* do not split a UTF-8 sequence */
        memcpy(full + cut, "...", 4);
    }
    json_object_set_new(o, "fullDescription", text_obj(full));
    free(full);

    pp_buf help;
    pp_buf_init(&help, 1 << 20);
    pp_buf_puts(&help, m->description ? m->description : title);
    char *rem = rep_remediation_text(m);
    if (rem) {
        pp_buf_puts(&help, "\n\nRemediation: ");
        pp_buf_puts(&help, rem);
        pp_buf_printf(&help, "\n`parapet remediate --rules %s` plans the fix.", m->id);
    }
    free(rem);
    const char *fw;
    json_t *ids;
    json_t *tags = json_pack("[ss]", "security", "parapet");
    json_object_foreach(m->frameworks, fw, ids)
    {
        size_t i;
        json_t *id;
        json_array_foreach(ids, i, id)
        {
            if (!json_is_string(id))
                continue;
            pp_buf_printf(&help, "%s%s %s",
                          help.len && i == 0 ? "\nFramework: "
                          : i                ? ", "
                                             : "",
                          fw, json_string_value(id));
            /* GitHub shows ten tags per rule */
            if (json_array_size(tags) < 10) {
                char *t = pp_xasprintf("%s/%s", fw, json_string_value(id));
                json_array_append_new(tags, rep_jstr(t));
                free(t);
            }
        }
    }
    json_object_set_new(o, "help", text_obj(pp_buf_cstr(&help)));
    pp_buf_free(&help);
    json_object_set_new(o, "defaultConfiguration",
                        json_pack("{ss}", "level", level_of(m->severity)));
    json_t *props = json_object();
    json_object_set_new(props, "security-severity", json_string(score_of(m->severity)));
    json_object_set_new(props, "precision", json_string("high"));
    json_object_set_new(props, "tags", tags);
    json_object_set_new(props, "severity", json_string(pp_severity_name(m->severity)));
    json_object_set_new(o, "properties", props);
    return o;
}

static bool in_source(const json_t *s)
{
    static const char *const keys[] = {"kind", "source"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = json_string_value(json_object_get(s, keys[i]));
        if (v && (strcmp(v, "inline") == 0 || strcmp(v, "inSource") == 0))
            return true;
    }
    return false;
}

static json_t *location_obj(const pp_report_input *in, const pp_finding *f, const char *plan)
{
    json_t *loc = json_object();
    char *file = NULL;
    int line = 0;
    const char *name = f->address ? f->address : f->res_arn ? f->res_arn : f->res_id;
    if (f->address && in->locate && in->locate(in->locate_ud, f->address, &file, &line) == 0 &&
        file) {
        char *uri = uri_path(file);
        json_t *phys = json_object();
        json_object_set_new(phys, "artifactLocation", json_pack("{so}", "uri", rep_jstr(uri)));
        json_object_set_new(phys, "region",
                            json_pack("{sI}", "startLine", (json_int_t)(line > 0 ? line : 1)));
        json_object_set_new(loc, "physicalLocation", phys);
        free(uri);
    } else if (plan) {
        json_t *phys = json_object();
        json_object_set_new(phys, "artifactLocation", json_pack("{so}", "uri", rep_jstr(plan)));
        json_object_set_new(phys, "region", json_pack("{si}", "startLine", 1));
        json_object_set_new(loc, "physicalLocation", phys);
    }
    free(file);
    if (name) {
        json_t *ll = json_object();
        json_object_set_new(ll, "fullyQualifiedName", rep_jstr(name));
        json_object_set_new(ll, "kind", json_string("resource"));
        json_object_set_new(loc, "logicalLocations", json_pack("[o]", ll));
    }
    return loc;
}

static json_t *result_obj(const rep_index *ix, size_t fi, size_t rule_index, const char *plan)
{
    const pp_finding *f = &ix->res->findings[fi];
    const pp_rule_meta *m = f->rule;
    const char *title = m->title ? m->title : m->id;
    char idbuf[41];
    const char *fid = rep_finding_id(f, idbuf);
    json_t *o = json_object();
    json_object_set_new(o, "ruleId", rep_jstr(m->id));
    json_object_set_new(o, "ruleIndex", json_integer((json_int_t)rule_index));
    const char *level = f->status == PP_STATUS_FAIL    ? level_of(m->severity)
                        : f->status == PP_STATUS_ERROR ? "warning"
                                                       : "note";
    json_object_set_new(o, "level", json_string(level));
    json_object_set_new(o, "kind", json_string("fail"));

    pp_buf msg;
    pp_buf_init(&msg, 1 << 20);
    if (f->status == PP_STATUS_ERROR)
        pp_buf_puts(&msg, "Not evaluated (ERROR): ");
    else if (f->status == PP_STATUS_UNKNOWN && f->address)
        pp_buf_puts(&msg, "Known only after apply (UNKNOWN): ");
    else if (f->status == PP_STATUS_UNKNOWN) /* a rule over the whole account, not a resource */
        pp_buf_puts(&msg, "Needs the whole account, not decidable from a plan (UNKNOWN): ");
    pp_buf_puts(&msg, title);
    const char *who = f->address ? f->address : f->res_arn ? f->res_arn : f->res_id;
    if (who)
        pp_buf_printf(&msg, " [%s]", who);
    if (f->message)
        pp_buf_printf(&msg, ": %s", f->message);
    json_object_set_new(o, "message", text_obj(pp_buf_cstr(&msg)));
    pp_buf_free(&msg);

    json_object_set_new(o, "locations", json_pack("[o]", location_obj(ix->in, f, plan)));
    char *fp = pp_xasprintf("%s:1", fid);
    json_object_set_new(
        o, "partialFingerprints",
        json_pack("{ssss}", "primaryLocationLineHash", fp, "parapetFindingId/v1", fid));
    free(fp);
    if (f->suppressed && f->suppression) {
        json_t *s = json_object();
        json_object_set_new(s, "kind",
                            json_string(in_source(f->suppression) ? "inSource" : "external"));
        json_object_set_new(s, "status", json_string("accepted"));
        const char *reason = json_string_value(json_object_get(f->suppression, "reason"));
        json_object_set_new(s, "justification", rep_jstr(reason ? reason : ""));
        json_object_set_new(s, "properties", rep_jclean(f->suppression));
        json_object_set_new(o, "suppressions", json_pack("[o]", s));
    } else if (f->suppressed) {
        json_object_set_new(o, "suppressions",
                            json_pack("[{ssss}]", "kind", "external", "status", "accepted"));
    }
    json_t *props = json_object();
    json_object_set_new(props, "status", json_string(pp_status_name(f->status)));
    json_object_set_new(props, "severity", json_string(pp_severity_name(m->severity)));
    json_object_set_new(props, "resourceType",
                        rep_jstr(f->res_type ? f->res_type : m->resource_type));
    if (f->res_id)
        json_object_set_new(props, "resourceId", rep_jstr(f->res_id));
    if (f->account)
        json_object_set_new(props, "account", rep_jstr(f->account));
    if (f->region)
        json_object_set_new(props, "region", rep_jstr(f->region));
    if (f->evidence)
        json_object_set_new(props, "evidence", rep_jclean(f->evidence));
    json_object_set_new(o, "properties", props);
    return o;
}

int pp_report_sarif(const pp_report_input *in, FILE *out)
{
    rep_index ix;
    int rc = rep_index_build(&ix, in, false);
    if (rc < 0)
        return rc;
    rep_map ids;
    rep_map_init(&ids, ix.n_rules);
    size_t *sarif_index = pp_xcalloc(ix.n_rules ? ix.n_rules : 1, sizeof(size_t));
    char *plan = plan_uri(in);
    json_t *rules = json_array();

    /* rule ids are unique in SARIF even if two packs reuse one: the first wins */
    for (size_t i = 0; i < ix.n_rules; i++) {
        const char *id = ix.rules[i].meta->id;
        size_t at;
        if (rep_map_get(&ids, id, strlen(id), &at)) {
            sarif_index[i] = at;
            continue;
        }
        at = json_array_size(rules);
        rep_map_put(&ids, id, strlen(id), at);
        sarif_index[i] = at;
        json_array_append_new(rules, rule_obj(&ix.rules[i]));
    }

    json_t *driver = json_object();
    json_object_set_new(driver, "name", json_string("parapet"));
    json_object_set_new(driver, "version", json_string(PP_VERSION));
    json_object_set_new(driver, "semanticVersion", json_string(PP_VERSION));
    json_object_set_new(driver, "rules", rules);
    json_t *run_head = json_object();
    json_object_set_new(run_head, "tool", json_pack("{so}", "driver", driver));
    char *cat = pp_xasprintf("parapet/%s/", rep_source_kind(in));
    json_object_set_new(run_head, "automationDetails", json_pack("{ss}", "id", cat));
    free(cat);
    json_object_set_new(run_head, "columnKind", json_string("utf16CodeUnits"));

    /* the run's head is small; results stream after it */
    char *head = json_dumps(run_head, JSON_COMPACT);
    json_decref(run_head);
    if (!head) {
        rc = pp_err_set(PP_EINTERNAL, "report: cannot encode the SARIF run");
        goto _exit;
    }
    head[strlen(head) - 1] = '\0'; /* reopen the object to append "results" */
    fputs("{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\","
          "\"runs\":[",
          out);
    fputs(head, out);
    free(head);
    fputs(",\"results\":[", out);
    bool first = true;
    for (size_t i = 0; i < ix.n_rules; i++) {
        const rep_rule *rr = &ix.rules[i];
        for (size_t k = 0; k < rr->n_findings; k++) {
            size_t fi = rr->findings[k];
            enum pp_status st = in->results->findings[fi].status;
            if (st != PP_STATUS_FAIL && st != PP_STATUS_ERROR && st != PP_STATUS_UNKNOWN)
                continue;
            fputs(first ? "\n" : ",\n", out);
            first = false;
            json_t *r = result_obj(&ix, fi, sarif_index[i], plan);
            rc = rep_dumpf(r, out);
            json_decref(r);
            if (rc < 0)
                goto _exit;
        }
    }
    fputs("]}]}\n", out);
    if (ferror(out))
        rc = pp_err_set(PP_EIO, "report: write error");

_exit:
    free(plan);
    free(sarif_index);
    rep_map_free(&ids);
    rep_index_free(&ix);
    return rc;
}
