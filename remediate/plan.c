/* The planner: failed findings of one evaluation become steps, each naming its action, the exact
 * AWS calls with their parameters, why, what it depends on and how to undo it. Planning reads the
 * stored snapshot only and changes nothing. Also here: the check a plan file passes before it is
 * applied, and the terraform-plan-like rendering. */
#include "rem_int.h"

#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- step building ----------------------------------------------------------------------------
 */

static json_t *resource_json(const pp_rem_target *t)
{
    const pp_finding *f = t->f;
    return json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?}", "type", f->res_type, "id", f->res_id, "arn",
                     f->res_arn, "account", t->account, "region", t->region);
}

/* Appends value to the array at key (created when missing) unless it is there already. */
static void add_unique(json_t *step, const char *key, const char *value)
{
    json_t *arr = json_object_get(step, key);
    if (!arr) {
        arr = json_array();
        json_object_set_new(step, key, arr);
    }
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (pp_str_eq(json_string_value(v), value))
            return;
    }
    json_array_append_new(arr, json_string(value));
}

/* Another finding is answered by this step. */
static void attach_finding(json_t *step, const char *rule_id, const char *finding_id)
{
    add_unique(step, "rules", rule_id);
    add_unique(step, "findings", finding_id);
}

json_t *pp_rem_step(pp_rem_planner *p, const pp_rem_target *t, const char *action, const char *id,
                    char change, bool *is_new, const char *fmt, ...)
{
    json_t *step = json_object_get(p->index, id);
    if (is_new)
        *is_new = step == NULL;
    if (step) {
        /* Another finding asks for the same change: the step answers both. */
        if (t && t->f) {
            attach_finding(step, t->rule->id, t->f->id);
            const char *why = json_string_value(json_object_get(step, "why"));
            if (t->f->message && (!why || !strstr(why, t->f->message))) {
                char *w = pp_xasprintf("%s; %s: %s", why ? why : "", t->rule->id, t->f->message);
                json_object_set_new(step, "why", json_string(w));
                free(w);
            }
        }
        return step;
    }
    char summary[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(summary, sizeof(summary), fmt, ap);
    va_end(ap);
    char sign[2] = {change, '\0'};
    step = json_object();
    json_object_set_new(step, "id", json_string(id));
    json_object_set_new(step, "action", json_string(action));
    json_object_set_new(step, "change", json_string(sign));
    json_object_set_new(step, "summary", json_string(summary));
    if (t && t->f) {
        json_object_set_new(step, "rule", json_string(t->rule->id));
        json_object_set_new(step, "rules", json_pack("[s]", t->rule->id));
        json_object_set_new(step, "findings", json_pack("[s]", t->f->id));
        json_object_set_new(step, "resource", resource_json(t));
        char *why = pp_xasprintf("%s: %s", t->rule->id, t->f->message ? t->f->message : "FAIL");
        json_object_set_new(step, "why", json_string(why));
        free(why);
    }
    json_object_set_new(step, "risky", json_boolean(pp_remediate_action_risky(action)));
    json_object_set_new(step, "calls", json_array());
    json_object_set_new(step, "depends_on", json_array());
    json_object_set_new(step, "undo", json_null());
    json_array_append_new(p->steps, step);
    json_object_set(p->index, id, step);
    if (t && t->account)
        json_object_set_new(p->accounts, t->account, json_true());
    return step;
}

json_t *pp_rem_step_get(pp_rem_planner *p, const char *id)
{
    return json_object_get(p->index, id);
}

void pp_rem_step_set_summary(json_t *step, const char *fmt, ...)
{
    char summary[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(summary, sizeof(summary), fmt, ap);
    va_end(ap);
    json_object_set_new(step, "summary", json_string(summary));
}

json_t *pp_rem_call(json_t *step, const char *service, const char *operation, const char *region,
                    json_t *params)
{
    json_t *call = json_pack("{s:s, s:s}", "service", service, "operation", operation);
    if (region)
        json_object_set_new(call, "region", json_string(region));
    json_object_set_new(call, "params", params ? params : json_object());
    json_array_append_new(json_object_get(step, "calls"), call);
    return call;
}

void pp_rem_call_ok_codes(json_t *call, const char *codes)
{
    char **v = pp_str_split(codes, ',', NULL);
    json_t *a = json_array();
    for (size_t i = 0; v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    pp_strv_free(v);
    json_object_set_new(call, "ok_codes", a);
}

void pp_rem_call_output(json_t *call, const char *name, const char *path)
{
    json_t *o = json_object_get(call, "outputs");
    if (!o) {
        o = json_object();
        json_object_set_new(call, "outputs", o);
    }
    json_object_set_new(o, name, json_string(path));
}

void pp_rem_call_token(json_t *call, const char *key)
{
    json_object_set_new(call, "client_token_key", json_string(key));
}

json_t *pp_rem_ref(const char *step_id, const char *output)
{
    return json_pack("{s:s, s:s}", "$ref", step_id, "output", output);
}

void pp_rem_depends(json_t *step, const char *id)
{
    json_t *deps = json_object_get(step, "depends_on");
    if (pp_str_eq(json_string_value(json_object_get(step, "id")), id))
        return;
    size_t i;
    json_t *d;
    json_array_foreach(deps, i, d)
    {
        if (pp_str_eq(json_string_value(d), id))
            return;
    }
    json_array_append_new(deps, json_string(id));
}

void pp_rem_undo(json_t *step, const char *service, const char *operation, const char *region,
                 json_t *params)
{
    json_t *undo = json_object_get(step, "undo");
    if (!json_is_array(undo)) {
        undo = json_array();
        json_object_set_new(step, "undo", undo);
    }
    json_t *call = json_pack("{s:s, s:s}", "service", service, "operation", operation);
    if (region)
        json_object_set_new(call, "region", json_string(region));
    json_object_set_new(call, "params", params ? params : json_object());
    json_array_append_new(undo, call);
}

void pp_rem_step_arg(json_t *step, const char *key, json_t *value)
{
    json_t *args = json_object_get(step, "target");
    if (!args) {
        args = json_object();
        json_object_set_new(step, "target", args);
    }
    json_object_set_new(args, key, value);
}

void pp_rem_provide(pp_rem_planner *p, const char *key, const char *step_id)
{
    json_object_set_new(p->provides, key, json_string(step_id));
}

const char *pp_rem_provider(pp_rem_planner *p, const char *key)
{
    return json_string_value(json_object_get(p->provides, key));
}

static json_t *finding_ref(const pp_rem_target *t)
{
    return json_pack("{s:s, s:s, s:s?, s:s?, s:s?}", "rule", t->rule->id, "finding", t->f->id,
                     "resource", t->f->res_id, "type", t->f->res_type, "account", t->account);
}

void pp_rem_no_action(pp_rem_planner *p, const pp_rem_target *t, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    json_t *o = finding_ref(t);
    json_object_set_new(o, "reason", json_string(why));
    json_array_append_new(p->no_action, o);
}

const pp_resource *pp_rem_find(pp_rem_planner *p, const char *type, const char *account,
                               const char *region, const char *key, const char *value)
{
    size_t n = 0;
    pp_resource *const *v = pp_inventory_of_type(p->o->inv, type, &n);
    for (size_t i = 0; v && i < n; i++) {
        const pp_resource *r = v[i];
        if (account && r->account && strcmp(account, r->account) != 0)
            continue;
        if (region && r->region && strcmp(region, r->region) != 0)
            continue;
        const char *have = key ? json_string_value(json_object_get(r->doc, key)) : r->id;
        if (value && pp_str_eq(have, value))
            return r;
    }
    return NULL;
}

char *pp_rem_home_region(pp_rem_planner *p, const pp_rem_target *t)
{
    const char *h = pp_rem_arg(t, "home_region", NULL);
    if (h)
        return pp_xstrdup(h);
    char **regions = pp_rem_regions(p, t->account);
    const char *pick = regions[0] ? regions[0] : "us-east-1";
    for (size_t i = 0; regions[i]; i++)
        if (strcmp(regions[i], "us-east-1") == 0)
            pick = regions[i];
    char *out = pp_xstrdup(pick);
    pp_strv_free(regions);
    return out;
}

char **pp_rem_regions(pp_rem_planner *p, const char *account)
{
    json_t *seen = json_array();
    for (size_t i = 0; i < pp_inventory_scope_count(p->o->inv); i++) {
        const char *a, *r;
        pp_inventory_scope_at(p->o->inv, i, &a, &r);
        if (!r || strcmp(r, "global") == 0 || (account && a && strcmp(a, account) != 0))
            continue;
        bool dup = false;
        size_t k;
        json_t *x;
        json_array_foreach(seen, k, x)
        {
            if (strcmp(json_string_value(x), r) == 0)
                dup = true;
        }
        if (!dup)
            json_array_append_new(seen, json_string(r));
    }
    size_t n = json_array_size(seen);
    char **out = pp_xcalloc(n + 1, sizeof(*out));
    for (size_t i = 0; i < n; i++)
        out[i] = pp_xstrdup(json_string_value(json_array_get(seen, i)));
    json_decref(seen);
    return out;
}

/* ---- selecting findings ------------------------------------------------------------------------
 */

static bool glob_any(char *const *globs, const char *a, const char *b)
{
    if (!globs)
        return true;
    for (size_t i = 0; globs[i]; i++)
        if ((a && fnmatch(globs[i], a, 0) == 0) || (b && fnmatch(globs[i], b, 0) == 0))
            return true;
    return false;
}

typedef struct cand {
    pp_rem_target t;
    const pp_rem_action *a;
    size_t order;
} cand;

static int cand_cmp(const void *x, const void *y)
{
    const cand *a = x, *b = y;
    size_t ia = a->a ? pp_rem_action_index(a->a) : (size_t)-1;
    size_t ib = b->a ? pp_rem_action_index(b->a) : (size_t)-1;
    if (ia != ib)
        return ia < ib ? -1 : 1;
    int c = strcmp(a->t.rule->id, b->t.rule->id);
    if (c)
        return c;
    c = strcmp(a->t.f->res_id ? a->t.f->res_id : "", b->t.f->res_id ? b->t.f->res_id : "");
    if (c)
        return c;
    return a->order < b->order ? -1 : a->order > b->order;
}

/* type, account, region and id as one key */
static char *resource_key(const char *type, const char *account, const char *region, const char *id)
{
    return pp_xasprintf("%s\x1f%s\x1f%s\x1f%s", type ? type : "", account ? account : "",
                        region ? region : "", id ? id : "");
}

/* The snapshot's resources by key, built once: findings find theirs without a scan each. */
static json_t *resource_index(const pp_inventory *inv)
{
    json_t *idx = json_object();
    for (size_t i = 0; i < pp_inventory_count(inv); i++) {
        const pp_resource *r = pp_inventory_at(inv, i);
        char *k = resource_key(r->type, r->account, r->region, r->id);
        json_object_set_new(idx, k, json_integer((json_int_t)i));
        free(k);
    }
    return idx;
}

static const pp_resource *finding_resource(const pp_inventory *inv, const json_t *idx,
                                           const pp_finding *f)
{
    char *k = resource_key(f->res_type, f->account, f->region, f->res_id);
    const json_t *at = json_object_get(idx, k);
    free(k);
    return at ? pp_inventory_at(inv, (size_t)json_integer_value(at)) : NULL;
}

/* ---- max-changes: keep the first steps whose dependencies are kept ------------------------------
 */

static void apply_cap(pp_rem_planner *p, long cap)
{
    json_t *kept = json_array(), *kept_ids = json_object();
    size_t i;
    json_t *s;
    json_array_foreach(p->steps, i, s)
    {
        const char *id = json_string_value(json_object_get(s, "id"));
        bool deps_ok = true;
        size_t k;
        json_t *d;
        json_array_foreach(json_object_get(s, "depends_on"), k, d)
        {
            if (!json_object_get(kept_ids, json_string_value(d)))
                deps_ok = false;
        }
        if (deps_ok && (long)json_array_size(kept) < cap) {
            json_array_append(kept, s);
            json_object_set_new(kept_ids, id, json_true());
        } else {
            json_array_append_new(
                p->deferred,
                json_pack("{s:s, s:O, s:s}", "id", id, "summary", json_object_get(s, "summary"),
                          "reason", deps_ok ? "over --max-changes" : "depends on a deferred step"));
        }
    }
    json_decref(p->steps);
    p->steps = kept;
    json_decref(kept_ids);
}

/* Steps in an order where every step follows what it depends on (planning may add a dependency
 * on a step planned later, e.g. a trail created for an alarm's log group). */
static void order_steps(pp_rem_planner *p)
{
    size_t n = json_array_size(p->steps);
    json_t *out = json_array(), *placed = json_object();
    bool progress = true;
    while (json_array_size(out) < n && progress) {
        progress = false;
        size_t i;
        json_t *s;
        json_array_foreach(p->steps, i, s)
        {
            const char *id = json_string_value(json_object_get(s, "id"));
            if (json_object_get(placed, id))
                continue;
            bool ready = true;
            size_t k;
            json_t *d;
            json_array_foreach(json_object_get(s, "depends_on"), k, d)
            {
                if (!json_object_get(placed, json_string_value(d)))
                    ready = false;
            }
            if (ready) {
                json_array_append(out, s);
                json_object_set_new(placed, id, json_true());
                progress = true;
            }
        }
    }
    /* a cycle cannot come from the planners; keep anything left in its order rather than lose it */
    size_t i;
    json_t *s;
    json_array_foreach(p->steps, i, s)
    {
        if (!json_object_get(placed, json_string_value(json_object_get(s, "id"))))
            json_array_append(out, s);
    }
    json_decref(placed);
    json_decref(p->steps);
    p->steps = out;
}

/* ---- overlap between the packs --------------------------------------------------------------
 * Evaluated together, CIS's existence actions and the reference architecture's provision steps
 * would create the same things twice (a second trail with its own bucket and key, a second set of
 * CIS alarms). The architecture's component wins: the CIS finding is attached to its step. */

struct cover {
    const char *type; /* the kind of component the CIS action creates */
    char desc[32];    /* alarms: the component's AlarmDescription, "CIS 4.1" */
    bool regional;    /* one per region (Config, GuardDuty) */
};

static bool cis_cover(const cand *c, struct cover *cv)
{
    const char *an = c->a ? c->a->name : NULL;
    memset(cv, 0, sizeof(*cv));
    if (pp_str_eq(an, "create-trail"))
        cv->type = "AWS::CloudTrail::Trail";
    else if (pp_str_eq(an, "enable-config"))
        cv->type = "AWS::Config::ConfigurationRecorder", cv->regional = true;
    else if (pp_str_eq(an, "enable-guardduty"))
        cv->type = "AWS::GuardDuty::Detector", cv->regional = true;
    else if (pp_str_eq(an, "create-cis-alarm") && pp_rem_str(c->t.args, "control")) {
        cv->type = "AWS::CloudWatch::Alarm";
        snprintf(cv->desc, sizeof(cv->desc), "CIS %s", pp_rem_str(c->t.args, "control"));
    }
    return cv->type != NULL;
}

/* The component at a dotted path of architecture.yaml ("alarms.root-usage"), or NULL. */
static const json_t *arch_component(const json_t *arch, const char *path)
{
    const json_t *cur = json_object_get(arch, "components");
    char seg[128];
    for (const char *p = path; cur && p && *p;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof(seg))
            return NULL;
        memcpy(seg, p, n);
        seg[n] = '\0';
        cur = json_object_get(cur, seg);
        p = dot ? dot + 1 : NULL;
    }
    return cur;
}

static bool component_covers(const json_t *comp, const struct cover *cv)
{
    if (!comp || !pp_str_eq(pp_rem_str(comp, "type"), cv->type))
        return false;
    if (!cv->desc[0])
        return true;
    const char *d = pp_rem_str(pp_rem_path(comp, "properties.Alarm"), "AlarmDescription");
    return pp_str_eq(d, cv->desc);
}

/* Does a provision step (or, before planning, a provision candidate) cover this candidate? */
static bool provision_covers(const json_t *arch, const char *account, const char *region,
                             const char *component, const cand *c, const struct cover *cv)
{
    return pp_str_eq(account, c->t.account) && (!cv->regional || pp_str_eq(region, c->t.region)) &&
           component_covers(arch_component(arch, component), cv);
}

int pp_remediate_plan(const pp_rem_plan_opts *o, json_t **out)
{
    *out = NULL;
    int rc = 0;
    pp_rem_planner p = {.o = o};
    p.steps = json_array();
    p.index = json_object();
    p.provides = json_object();
    p.no_action = json_array();
    p.needs_risky = json_array();
    p.deferred = json_array();
    p.accounts = json_object();
    p.scratch = json_object();
    cand *cands = NULL;
    json_t *idx = NULL;
    bool *covered = NULL;
    size_t n = 0;
    const pp_results *r = o->results;
    if (!r || !o->inv) {
        rc = pp_err_set(PP_EINVAL, "remediation needs findings and their snapshot");
        goto _exit;
    }
    cands = pp_xcalloc(r->n_findings ? r->n_findings : 1, sizeof(*cands));
    idx = resource_index(o->inv);
    for (size_t i = 0; i < r->n_findings; i++) {
        const pp_finding *f = &r->findings[i];
        if (f->status != PP_STATUS_FAIL || f->suppressed || !f->rule)
            continue;
        if (!glob_any(o->rules, f->rule->id, NULL) ||
            !glob_any(o->resources, f->res_id, f->res_arn) ||
            (o->account && !pp_str_eq(o->account, f->account)))
            continue;
        cand *c = &cands[n++];
        c->order = i;
        c->t.f = f;
        c->t.rule = f->rule;
        c->t.args = f->rule->remediation;
        c->t.account = f->account;
        c->t.region = f->region ? f->region : "global";
        c->t.res = finding_resource(o->inv, idx, f);
        const char *an = json_string_value(json_object_get(f->rule->remediation, "action"));
        c->a = an ? pp_rem_action_find(an) : NULL;
    }
    qsort(cands, n, sizeof(*cands), cand_cmp);
    /* what the reference architecture's provision candidates will cover */
    covered = pp_xcalloc(n ? n : 1, sizeof(*covered));
    for (size_t i = 0; o->arch && i < n; i++) {
        struct cover cv;
        if (!cis_cover(&cands[i], &cv))
            continue;
        for (size_t k = 0; !covered[i] && k < n; k++)
            covered[i] = cands[k].a && pp_str_eq(cands[k].a->name, "provision") &&
                         provision_covers(o->arch, cands[k].t.account, cands[k].t.region,
                                          pp_rem_str(cands[k].t.args, "component"), &cands[i], &cv);
    }
    for (size_t i = 0; i < n; i++) {
        cand *c = &cands[i];
        if (covered[i])
            continue; /* after the provision steps exist (below) */
        const char *an = json_string_value(json_object_get(c->t.args, "action"));
        if (c->t.account)
            json_object_set_new(p.accounts, c->t.account, json_true());
        if (!c->t.args) {
            pp_rem_no_action(&p, &c->t, "rule %s has no remediation", c->t.rule->id);
            continue;
        }
        if (!c->a) {
            pp_rem_no_action(&p, &c->t, "unknown remediation action '%s'", an ? an : "");
            continue;
        }
        if (c->a->type && !pp_str_eq(c->a->type, c->t.f->res_type)) {
            pp_rem_no_action(&p, &c->t, "action %s acts on %s, not %s", c->a->name, c->a->type,
                             c->t.f->res_type);
            continue;
        }
        if (!c->t.account) {
            pp_rem_no_action(&p, &c->t, "the finding names no account");
            continue;
        }
        if (c->a->risky && !o->allow_risky) {
            json_t *x = finding_ref(&c->t);
            json_object_set_new(x, "action", json_string(c->a->name));
            json_object_set_new(x, "reason", json_string("needs --allow-risky"));
            json_array_append_new(p.needs_risky, x);
            continue;
        }
        p.cur = &c->t;
        if ((rc = c->a->plan(&p, &c->t)))
            goto _exit;
    }
    for (size_t i = 0; i < n; i++) {
        if (!covered[i])
            continue;
        cand *c = &cands[i];
        struct cover cv;
        cis_cover(c, &cv);
        json_t *step = NULL, *s;
        size_t k;
        json_array_foreach(p.steps, k, s)
        {
            json_t *res = json_object_get(s, "resource");
            if (!step && pp_str_eq(pp_rem_str(s, "action"), "provision") &&
                provision_covers(o->arch, pp_rem_str(res, "account"), pp_rem_str(res, "region"),
                                 pp_rem_str(s, "component"), c, &cv))
                step = s;
        }
        if (step) {
            attach_finding(step, c->t.rule->id, c->t.f->id); /* fixed by the component */
            continue;
        }
        /* provision planned nothing for it (the component exists but differs): CIS's own
         * action then */
        p.cur = &c->t;
        if ((rc = c->a->plan(&p, &c->t)))
            goto _exit;
    }
    order_steps(&p);
    apply_cap(&p, o->max_changes > 0 ? o->max_changes : PP_REM_DEFAULT_MAX_CHANGES);

    /* the plan */
    time_t now = o->now ? o->now : pp_time_now();
    char ts[32];
    pp_time_format(now, ts);
    long counts[3] = {0, 0, 0};
    size_t i;
    json_t *s;
    json_array_foreach(p.steps, i, s)
    {
        const char *ch = json_string_value(json_object_get(s, "change"));
        counts[ch && *ch == '+' ? 0 : ch && *ch == '-' ? 2 : 1]++;
    }
    json_t *accounts = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(p.accounts, k, v) json_array_append_new(accounts, json_string(k));
    char *steps_text = json_dumps(p.steps, JSON_COMPACT | JSON_SORT_KEYS);
    char *seed = pp_xasprintf("%s|%lld|%lld|%s", ts, (long long)o->snapshot,
                              (long long)o->evaluation, steps_text ? steps_text : "");
    char digest[65];
    pp_sha256_hex(seed, strlen(seed), digest);
    free(seed);
    free(steps_text);
    char plan_id[32];
    snprintf(plan_id, sizeof(plan_id), "rp-%.16s", digest);
    json_t *plan = json_object();
    json_object_set_new(plan, "schema", json_string(PP_REM_PLAN_SCHEMA));
    json_object_set_new(plan, "plan_id", json_string(plan_id));
    json_object_set_new(plan, "account",
                        json_array_size(accounts) == 1 ? json_copy(json_array_get(accounts, 0))
                                                       : json_null());
    json_object_set_new(plan, "accounts", accounts);
    json_object_set_new(plan, "snapshot", json_integer(o->snapshot));
    json_object_set_new(plan, "evaluation", json_integer(o->evaluation));
    json_object_set_new(plan, "created_at", json_string(ts));
    json_object_set_new(plan, "env", o->env ? json_string(o->env) : json_null());
    json_object_set_new(plan, "allow_risky", json_boolean(o->allow_risky));
    json_object_set_new(
        plan, "max_changes",
        json_integer(o->max_changes > 0 ? o->max_changes : PP_REM_DEFAULT_MAX_CHANGES));
    json_object_set_new(plan, "counts",
                        json_pack("{s:i, s:i, s:i, s:i, s:i, s:i}", "create", counts[0], "change",
                                  counts[1], "remove", counts[2], "no_action",
                                  (int)json_array_size(p.no_action), "needs_allow_risky",
                                  (int)json_array_size(p.needs_risky), "deferred",
                                  (int)json_array_size(p.deferred)));
    json_object_set(plan, "steps", p.steps);
    json_object_set(plan, "no_action", p.no_action);
    json_object_set(plan, "needs_allow_risky", p.needs_risky);
    json_object_set(plan, "deferred", p.deferred);
    *out = plan;

_exit:
    free(cands);
    free(covered);
    json_decref(idx);
    json_decref(p.steps);
    json_decref(p.index);
    json_decref(p.provides);
    json_decref(p.no_action);
    json_decref(p.needs_risky);
    json_decref(p.deferred);
    json_decref(p.accounts);
    json_decref(p.scratch);
    return rc;
}

/* ---- checking a plan file -----------------------------------------------------------------------
 */

static bool action_declares(const pp_rem_action *a, const char *service, const char *operation)
{
    char want[160];
    snprintf(want, sizeof(want), "%s:%s", service, operation);
    for (const char *const *op = a->ops; op && *op; op++)
        if (strcmp(*op, want) == 0)
            return true;
    return false;
}

/* Every {"$ref"} inside v must name the step itself or one it depends on, and an output that
 * step declares. */
static int check_refs(const json_t *v, const char *self, const json_t *deps, const json_t *outputs,
                      const char *where, int depth)
{
    if (depth > 64)
        return pp_err_set(PP_EINVAL, "%s: parameters nested too deeply", where);
    if (json_is_object(v)) {
        const json_t *ref = json_object_get(v, "$ref");
        if (ref) {
            const char *id = json_string_value(ref);
            const char *out = json_string_value(json_object_get(v, "output"));
            if (!id || !out || json_object_size(v) != 2)
                return pp_err_set(PP_EINVAL,
                                  "%s: a reference is {\"$ref\": STEP, \"output\": NAME}", where);
            bool known = strcmp(id, self) == 0;
            size_t i;
            json_t *d;
            json_array_foreach(deps, i, d)
            {
                if (pp_str_eq(json_string_value(d), id))
                    known = true;
            }
            if (!known)
                return pp_err_set(PP_EINVAL, "%s: refers to step '%s', which it does not depend on",
                                  where, id);
            const json_t *o = json_object_get(outputs, id);
            if (!json_object_get(o, out))
                return pp_err_set(PP_EINVAL, "%s: step '%s' has no output '%s'", where, id, out);
            return 0;
        }
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c)
        {
            int rc = check_refs(c, self, deps, outputs, where, depth + 1);
            if (rc)
                return rc;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c)
        {
            int rc = check_refs(c, self, deps, outputs, where, depth + 1);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int pp_remediate_plan_check(const json_t *plan)
{
    if (!json_is_object(plan))
        return pp_err_set(PP_EINVAL, "a plan is a JSON object");
    if (!pp_str_eq(pp_rem_str(plan, "schema"), PP_REM_PLAN_SCHEMA))
        return pp_err_set(PP_EINVAL, "not a parapet remediation plan (schema is not %s)",
                          PP_REM_PLAN_SCHEMA);
    const char *plan_id = pp_rem_str(plan, "plan_id");
    if (!plan_id || !*plan_id || strlen(plan_id) > 64)
        return pp_err_set(PP_EINVAL, "the plan has no plan_id");
    const json_t *steps = json_object_get(plan, "steps");
    if (!json_is_array(steps))
        return pp_err_set(PP_EINVAL, "the plan has no steps list");
    int rc = 0;
    json_t *outputs = json_object(); /* step id -> {output: true} */
    size_t i;
    json_t *s;
    json_array_foreach(steps, i, s)
    {
        const char *id = pp_rem_str(s, "id");
        const char *an = pp_rem_str(s, "action");
        char where[160];
        snprintf(where, sizeof(where), "step %zu", i + 1);
        if (!json_is_object(s) || !id || !*id || strlen(id) > 200) {
            rc = pp_err_set(PP_EINVAL, "%s has no id", where);
            goto _exit;
        }
        snprintf(where, sizeof(where), "step %.120s", id);
        if (json_object_get(outputs, id)) {
            rc = pp_err_set(PP_EINVAL, "%s: the id is used twice", where);
            goto _exit;
        }
        const pp_rem_action *a = an ? pp_rem_action_find(an) : NULL;
        if (!a) {
            rc = pp_err_set(PP_EINVAL, "%s: unknown action '%s'", where, an ? an : "");
            goto _exit;
        }
        const json_t *res = json_object_get(s, "resource");
        if (!json_is_object(res) || !pp_rem_str(res, "account")) {
            rc = pp_err_set(PP_EINVAL, "%s: no resource account", where);
            goto _exit;
        }
        if (!json_is_boolean(json_object_get(s, "risky")) ||
            json_is_true(json_object_get(s, "risky")) != a->risky) {
            rc = pp_err_set(PP_EINVAL, "%s: 'risky' does not match action %s", where, a->name);
            goto _exit;
        }
        const json_t *deps = json_object_get(s, "depends_on");
        if (!json_is_array(deps)) {
            rc = pp_err_set(PP_EINVAL, "%s: depends_on is not a list", where);
            goto _exit;
        }
        size_t k;
        json_t *d;
        json_array_foreach(deps, k, d)
        {
            if (!json_is_string(d) || !json_object_get(outputs, json_string_value(d))) {
                rc = pp_err_set(PP_EINVAL, "%s: depends on '%s', which is not an earlier step",
                                where, json_is_string(d) ? json_string_value(d) : "?");
                goto _exit;
            }
        }
        const json_t *calls = json_object_get(s, "calls");
        if (!json_is_array(calls) || json_array_size(calls) == 0) {
            rc = pp_err_set(PP_EINVAL, "%s: no calls", where);
            goto _exit;
        }
        json_t *mine = json_object();
        json_object_set_new(outputs, id, mine);
        json_t *c;
        json_array_foreach(calls, k, c)
        {
            const char *svc = pp_rem_str(c, "service"), *op = pp_rem_str(c, "operation");
            const json_t *params = json_object_get(c, "params");
            if (!svc || !op || !json_is_object(params)) {
                rc = pp_err_set(PP_EINVAL, "%s: call %zu needs service, operation and params",
                                where, k + 1);
                goto _exit;
            }
            if (!pp_op_find(svc, op) || !action_declares(a, svc, op)) {
                rc = pp_err_set(PP_EINVAL, "%s: action %s does not call %s %s", where, a->name, svc,
                                op);
                goto _exit;
            }
            const char *region = pp_rem_str(c, "region");
            if (json_object_get(c, "region") && (!region || strlen(region) > 40)) {
                rc = pp_err_set(PP_EINVAL, "%s: call %zu has a bad region", where, k + 1);
                goto _exit;
            }
            const json_t *ok = json_object_get(c, "ok_codes");
            if (ok && !json_is_array(ok)) {
                rc = pp_err_set(PP_EINVAL, "%s: ok_codes is not a list", where);
                goto _exit;
            }
            if ((rc = check_refs(params, id, deps, outputs, where, 0)))
                goto _exit;
            const char *name;
            json_t *path;
            json_object_foreach(json_object_get(c, "outputs"), name, path)
            {
                if (!json_is_string(path)) {
                    rc = pp_err_set(PP_EINVAL, "%s: output '%s' is not a path", where, name);
                    goto _exit;
                }
                json_object_set_new(mine, name, json_true());
            }
        }
    }
_exit:
    json_decref(outputs);
    return rc;
}

/* ---- rendering ----------------------------------------------------------------------------------
 */

static const char *color_of(const char *change, bool color)
{
    if (!color)
        return "";
    if (pp_str_eq(change, "+"))
        return "\033[32m";
    if (pp_str_eq(change, "-"))
        return "\033[31m";
    return "\033[33m";
}

/* References print as "(known after apply: STEP.OUTPUT)", like terraform's unknown values. */
static json_t *display_params(const json_t *v)
{
    if (json_is_object(v)) {
        const json_t *ref = json_object_get(v, "$ref");
        if (ref) {
            char *t = pp_xasprintf("(known after apply: %s.%s)", json_string_value(ref),
                                   json_string_value(json_object_get(v, "output")));
            json_t *s = json_string(t);
            free(t);
            return s;
        }
        json_t *o = json_object();
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c) json_object_set_new(o, k, display_params(c));
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c) json_array_append_new(a, display_params(c));
        return a;
    }
    return json_deep_copy(v);
}

static void render_call(pp_buf *out, const json_t *c, const char *indent)
{
    json_t *shown = display_params(json_object_get(c, "params"));
    char *params = json_dumps(shown, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(shown);
    const char *region = pp_rem_str(c, "region");
    /* long parameter lists (policies) are cut on the terminal; the plan file has them whole */
    size_t len = params ? strlen(params) : 0;
    pp_buf_printf(out, "%s%s %s%s%s%s %.*s%s\n", indent, pp_rem_str(c, "service"),
                  pp_rem_str(c, "operation"), region ? " [" : "", region ? region : "",
                  region ? "]" : "", 400, params ? params : "{}", len > 400 ? "..." : "");
    free(params);
}

void pp_remediate_plan_render(const json_t *plan, pp_buf *out, bool color)
{
    const char *reset = color ? "\033[0m" : "";
    const json_t *steps = json_object_get(plan, "steps");
    const json_t *accounts = json_object_get(plan, "accounts");
    pp_buf_printf(out, "Remediation plan %s (snapshot %lld", pp_rem_str(plan, "plan_id"),
                  (long long)json_integer_value(json_object_get(plan, "snapshot")));
    size_t i;
    json_t *v;
    json_array_foreach(accounts, i, v)
    {
        pp_buf_printf(out, "%s%s", i ? ", " : ", account ", json_string_value(v));
    }
    pp_buf_printf(out, ")\n");
    if (json_array_size(steps))
        pp_buf_puts(out, "\nparapet will perform these steps:\n");
    json_array_foreach(steps, i, v)
    {
        const char *change = pp_rem_str(v, "change");
        const json_t *res = json_object_get(v, "resource");
        pp_buf_printf(out, "\n  %s%s %s%s  [%s] %s\n", color_of(change, color),
                      change ? change : "~", pp_rem_str(v, "summary"), reset,
                      pp_rem_str(v, "action"), pp_rem_str(v, "id"));
        if (res)
            pp_buf_printf(out, "      resource: %s %s (%s%s%s)\n", pp_rem_str(res, "type"),
                          pp_rem_str(res, "id"), pp_rem_str(res, "account"),
                          pp_rem_str(res, "region") ? " " : "",
                          pp_rem_str(res, "region") ? pp_rem_str(res, "region") : "");
        if (pp_rem_str(v, "why"))
            pp_buf_printf(out, "      why: %.300s\n", pp_rem_str(v, "why"));
        size_t k;
        json_t *c;
        json_array_foreach(json_object_get(v, "calls"), k, c) render_call(out, c, "      ");
        const json_t *deps = json_object_get(v, "depends_on");
        if (json_array_size(deps)) {
            pp_buf_puts(out, "      after:");
            json_array_foreach(deps, k, c) pp_buf_printf(out, " %s", json_string_value(c));
            pp_buf_putc(out, '\n');
        }
        const json_t *undo = json_object_get(v, "undo");
        if (json_is_array(undo)) {
            json_array_foreach(undo, k, c)
            {
                pp_buf_printf(out, "      undo: %s %s\n", pp_rem_str(c, "service"),
                              pp_rem_str(c, "operation"));
            }
        } else {
            pp_buf_puts(out, "      undo: none (not reversible by a call)\n");
        }
    }
    const json_t *risky = json_object_get(plan, "needs_allow_risky");
    if (json_array_size(risky)) {
        pp_buf_printf(out, "\nNeeds --allow-risky (%zu, not planned):\n", json_array_size(risky));
        json_array_foreach(risky, i, v)
        {
            pp_buf_printf(out, "  ! %s %s: %s\n", pp_rem_str(v, "rule"), pp_rem_str(v, "resource"),
                          pp_rem_str(v, "action"));
        }
    }
    const json_t *deferred = json_object_get(plan, "deferred");
    if (json_array_size(deferred)) {
        pp_buf_printf(out, "\nDeferred by --max-changes %lld (%zu, plan again after this one):\n",
                      (long long)json_integer_value(json_object_get(plan, "max_changes")),
                      json_array_size(deferred));
        json_array_foreach(deferred, i, v)
        {
            pp_buf_printf(out, "  . %s (%s)\n", pp_rem_str(v, "summary"), pp_rem_str(v, "reason"));
        }
    }
    const json_t *none = json_object_get(plan, "no_action");
    if (json_array_size(none)) {
        pp_buf_printf(out, "\nNo action (%zu):\n", json_array_size(none));
        json_array_foreach(none, i, v)
        {
            pp_buf_printf(out, "  - %s %s: %s\n", pp_rem_str(v, "rule"), pp_rem_str(v, "resource"),
                          pp_rem_str(v, "reason"));
        }
    }
    const json_t *counts = json_object_get(plan, "counts");
    pp_buf_printf(out,
                  "\nPlan: %lld to create, %lld to change, %lld to remove; %zu without action, "
                  "%zu need --allow-risky, %zu deferred.\n",
                  (long long)json_integer_value(json_object_get(counts, "create")),
                  (long long)json_integer_value(json_object_get(counts, "change")),
                  (long long)json_integer_value(json_object_get(counts, "remove")),
                  json_array_size(none), json_array_size(risky), json_array_size(deferred));
}
