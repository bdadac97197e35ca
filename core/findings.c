/* The findings model shared by rules, store, reports and remediation. */
#include "pp_core.h"

#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {"PASS", "FAIL", "ERROR", "UNKNOWN", "MANUAL"};
static const char *const severity_names[] = {"info", "low", "medium", "high", "critical"};

const char *pp_status_name(enum pp_status s)
{
    return (unsigned)s < PP_STATUS_COUNT ? status_names[s] : "ERROR";
}

int pp_status_parse(const char *s, enum pp_status *out)
{
    for (int i = 0; s && i < PP_STATUS_COUNT; i++)
        if (strcmp(s, status_names[i]) == 0) {
            *out = (enum pp_status)i;
            return 0;
        }
    return pp_err_set(PP_EINVAL, "'%s' is not a status (PASS, FAIL, ERROR, UNKNOWN, MANUAL)",
                      s ? s : "");
}

const char *pp_severity_name(enum pp_severity s)
{
    return (unsigned)s <= PP_SEV_CRITICAL ? severity_names[s] : "info";
}

int pp_severity_parse(const char *s, enum pp_severity *out)
{
    for (int i = 0; s && i <= PP_SEV_CRITICAL; i++)
        if (strcmp(s, severity_names[i]) == 0) {
            *out = (enum pp_severity)i;
            return 0;
        }
    return pp_err_set(PP_EINVAL, "'%s' is not a severity (critical, high, medium, low, info)",
                      s ? s : "");
}

void pp_rule_meta_free(pp_rule_meta *m)
{
    if (!m)
        return;
    free(m->id);
    free(m->title);
    free(m->description);
    free(m->pack);
    free(m->pack_version);
    free(m->resource_type);
    json_decref(m->frameworks);
    json_decref(m->remediation);
    free(m);
}

pp_results *pp_results_new(void)
{
    pp_results *r = pp_xcalloc(1, sizeof(*r));
    r->packs = json_array();
    return r;
}

static void finding_clear(pp_finding *f)
{
    if (!f->borrowed) {
        free(f->res_type);
        free(f->res_id);
        free(f->res_arn);
        free(f->account);
        free(f->region);
        free(f->address);
    }
    if (!f->static_message)
        free(f->message);
    json_decref(f->evidence);
    json_decref(f->suppression);
}

void pp_results_free(pp_results *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_findings; i++)
        finding_clear(&r->findings[i]);
    free(r->findings);
    for (size_t i = 0; i < r->n_rules; i++)
        pp_rule_meta_free(r->rules[i]);
    free(r->rules);
    free(r->env);
    json_decref(r->packs);
    free(r);
}

pp_rule_meta *pp_results_add_rule(pp_results *r, pp_rule_meta *meta)
{
    r->rules = pp_xrealloc(r->rules, (r->n_rules + 1) * sizeof(*r->rules));
    r->rules[r->n_rules++] = meta;
    return meta;
}

pp_finding *pp_results_add(pp_results *r, const pp_rule_meta *rule)
{
    if (r->n_findings == r->cap_findings) {
        r->cap_findings = r->cap_findings ? r->cap_findings * 2 : 1024;
        r->findings = pp_xrealloc(r->findings, r->cap_findings * sizeof(*r->findings));
    }
    pp_finding *f = &r->findings[r->n_findings++];
    memset(f, 0, sizeof(*f));
    f->rule = rule;
    return f;
}

void pp_finding_set_id(pp_finding *f)
{
    /* NUL separators keep "a"+"bc" and "ab"+"c" apart. */
    const void *parts[] = {
        f->rule ? f->rule->id : "", f->res_type, f->account, f->region, f->res_id, f->address};
    size_t lens[sizeof(parts) / sizeof(parts[0])];
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (!parts[i])
            parts[i] = "";
        lens[i] = strlen(parts[i]);
    }
    char hex[65];
    pp_sha256_parts_hex(parts, lens, sizeof(parts) / sizeof(parts[0]), true, hex);
    memcpy(f->id, hex, 40);
    f->id[40] = '\0';
}

const pp_rule_meta *pp_results_rule(const pp_results *r, const char *id)
{
    for (size_t i = 0; i < r->n_rules; i++)
        if (strcmp(r->rules[i]->id, id) == 0)
            return r->rules[i];
    return NULL;
}

void pp_snapshot_info_clear(pp_snapshot_info *s)
{
    if (!s)
        return;
    free(s->source);
    json_decref(s->accounts);
    json_decref(s->regions);
    free(s->tool_version);
    memset(s, 0, sizeof(*s));
}
