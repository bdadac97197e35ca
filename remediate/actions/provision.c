/* provision (existence rules of the reference pack): creates the component of
 * policies/reference/architecture.yaml (format parapet/architecture/v1) that args.component names,
 * and first every component it refers to ({ref: PATH}) that neither the snapshot nor the plan has.
 *
 * Values: "{{ params.NAME }}" is the parameter (typed when it is the whole string); {ref: PATH} is
 * the id of component PATH and {ref: PATH, attr: Arn} its ARN - known at plan time when the
 * component exists or its id is a name, else a reference to the output of the step creating it.
 * Scopes: region (params.region), every_region (the finding's region, or each of params.regions),
 * global (IAM). Everything created is tagged parapet:managed=true and parapet:component=PATH with
 * params.tags and the component's tags, where AWS takes tags; the re-read before a step adopts a
 * resource carrying its parapet:component tag instead of creating a second one. The calls each
 * type makes are in remediate/components.c. */
#include "../components.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the architecture ------------------------------------------------------------------------ */

static void index_components(const json_t *node, const char *prefix, json_t *out)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)node, k, v)
    {
        if (!json_is_object(v))
            continue;
        char *path = *prefix ? pp_xasprintf("%s.%s", prefix, k) : pp_xstrdup(k);
        if (json_is_string(json_object_get(v, "type")))
            json_object_set(out, path, v);
        else
            index_components(v, path, out);
        free(path);
    }
}

/* The per-plan state: parameters, components by path, and what each (path, region) became. */
static json_t *state(pp_rem_planner *p, char *err, size_t errlen)
{
    json_t *st = json_object_get(p->scratch, "provision");
    if (st)
        return st;
    const json_t *arch = p->o->arch;
    if (!json_is_object(arch)) {
        snprintf(err, errlen, "no architecture.yaml in the policy packs");
        return NULL;
    }
    const char *fmt = pp_rem_str(arch, "format");
    if (fmt && strcmp(fmt, "parapet/architecture/v1") != 0) {
        snprintf(err, errlen, "architecture.yaml: format %s is not parapet/architecture/v1", fmt);
        return NULL;
    }
    st = json_object();
    json_t *params = json_object(), *comps = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)arch, k, v)
    {
        if (strcmp(k, "format") && strcmp(k, "components"))
            json_object_set(params, k, v);
    }
    index_components(json_object_get(arch, "components"), "", comps);
    json_object_set_new(st, "params", params);
    json_object_set_new(st, "components", comps);
    json_object_set_new(st, "handles", json_object());
    json_object_set_new(st, "visiting", json_object());
    json_object_set_new(p->scratch, "provision", st);
    return st;
}

/* ---- values -----------------------------------------------------------------------------------
 */

static int param_text(const json_t *v, pp_buf *out)
{
    if (json_is_string(v))
        return pp_buf_puts(out, json_string_value(v));
    if (json_is_integer(v))
        return pp_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    if (json_is_real(v))
        return pp_buf_printf(out, "%g", json_real_value(v));
    if (json_is_boolean(v))
        return pp_buf_puts(out, json_is_true(v) ? "true" : "false");
    return -1;
}

/* "{{ params.NAME }}" templates: the parameter itself when it is the whole string, else its
 * text inside the string. */
static json_t *render(const json_t *v, const json_t *params, int depth)
{
    if (depth > 64)
        return NULL;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!strstr(s, "{{"))
            return json_incref((json_t *)v);
        pp_buf b;
        pp_buf_init(&b, 256 * 1024);
        const char *p = s;
        json_t *whole = NULL;
        while (*p) {
            const char *open = strstr(p, "{{");
            if (!open) {
                pp_buf_puts(&b, p);
                break;
            }
            const char *close = strstr(open, "}}");
            if (!close) {
                pp_buf_puts(&b, p);
                break;
            }
            pp_buf_append(&b, p, (size_t)(open - p));
            const char *n = open + 2;
            while (*n == ' ')
                n++;
            const char *e = close;
            while (e > n && e[-1] == ' ')
                e--;
            char name[200];
            snprintf(name, sizeof(name), "%.*s", (int)(e - n), n);
            const json_t *val =
                pp_str_startswith(name, "params.") ? pp_rem_path(params, name + 7) : NULL;
            if (!val) {
                pp_err_set(PP_EINVAL, "architecture.yaml: unknown parameter '%s'", name);
                pp_buf_free(&b);
                return NULL;
            }
            if (open == s && close[2] == '\0') {
                whole = json_deep_copy(val);
                break;
            }
            if (param_text(val, &b)) {
                pp_err_set(PP_EINVAL, "architecture.yaml: parameter '%s' is not text", name);
                pp_buf_free(&b);
                return NULL;
            }
            p = close + 2;
        }
        json_t *out = whole ? whole : json_string(pp_buf_cstr(&b));
        pp_buf_free(&b);
        return out;
    }
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c)
        {
            json_t *r = render(c, params, depth + 1);
            if (!r) {
                json_decref(o);
                return NULL;
            }
            json_object_set_new(o, k, r);
        }
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c)
        {
            json_t *r = render(c, params, depth + 1);
            if (!r) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, r);
        }
        return a;
    }
    return json_incref((json_t *)v);
}

/* ---- planning components ------------------------------------------------------------------------
 */

static const char *scope_of(const json_t *comp)
{
    const char *s = pp_rem_str(comp, "scope");
    return s ? s : "region";
}

/* The region a component lives in, given the region of whoever asks (NULL: IAM). */
static const char *region_for(const json_t *comp, const json_t *params, const char *asking)
{
    const char *scope = scope_of(comp);
    if (strcmp(scope, "global") == 0)
        return NULL;
    if (strcmp(scope, "every_region") == 0 && asking)
        return asking;
    const char *r = pp_rem_str(params, "region");
    return r ? r : "us-east-1";
}

static json_t *plan_component(pp_rem_planner *p, const pp_rem_target *t, const char *path,
                              const char *region, int depth);

/* Replaces {ref: PATH[, attr]} in v by the value, planning PATH first when needed; records the
 * steps it depends on in deps. */
static json_t *resolve_refs(pp_rem_planner *p, const pp_rem_target *t, const json_t *v,
                            const char *region, json_t *deps, int depth)
{
    if (json_is_object(v)) {
        const char *ref = pp_rem_str(v, "ref");
        if (ref && json_object_size(v) <= 2) {
            const char *attr = pp_rem_str(v, "attr");
            if (!attr)
                attr = "Id";
            json_t *st = json_object_get(p->scratch, "provision");
            const json_t *comp = json_object_get(json_object_get(st, "components"), ref);
            if (!comp) {
                pp_err_set(PP_EINVAL, "architecture.yaml: {ref: %s} names no component", ref);
                return NULL;
            }
            const char *r = region_for(comp, json_object_get(st, "params"), region);
            json_t *h = plan_component(p, t, ref, r, depth + 1);
            if (!h)
                return NULL;
            json_t *out = NULL;
            const json_t *lit = json_object_get(h, attr);
            const char *sid = pp_rem_str(h, "step");
            if (sid && !json_object_get(deps, sid))
                json_object_set_new(deps, sid, json_true());
            if (lit)
                out = json_deep_copy(lit);
            else if (sid)
                out = pp_rem_ref(sid, attr);
            else
                pp_err_set(PP_EINVAL, "architecture.yaml: component %s has no %s", ref, attr);
            json_decref(h);
            return out;
        }
        json_t *o = json_object();
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c)
        {
            json_t *r = resolve_refs(p, t, c, region, deps, depth);
            if (!r) {
                json_decref(o);
                return NULL;
            }
            json_object_set_new(o, k, r);
        }
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c)
        {
            json_t *r = resolve_refs(p, t, c, region, deps, depth);
            if (!r) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, r);
        }
        return a;
    }
    return json_incref((json_t *)v);
}

static json_t *all_tags(const json_t *params, const json_t *comp_tags, const char *path)
{
    json_t *m = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(params, "tags"), k, v)
    {
        if (json_is_string(v))
            json_object_set(m, k, v);
    }
    json_object_foreach((json_t *)comp_tags, k, v)
    {
        if (json_is_string(v))
            json_object_set(m, k, v);
    }
    json_object_set_new(m, PP_REM_TAG_MANAGED, json_string("true"));
    json_object_set_new(m, PP_REM_TAG_COMPONENT, json_string(path));
    return m;
}

static json_t *ref_cb(pp_rem_cbuild *b, const json_t *obj)
{
    const char *ref = pp_rem_str(obj, "ref");
    json_t *st = json_object_get(b->p->scratch, "provision");
    const json_t *comp = ref ? json_object_get(json_object_get(st, "components"), ref) : NULL;
    if (!comp)
        return NULL;
    return plan_component(b->p, b->t, ref,
                          region_for(comp, json_object_get(st, "params"), b->region), 1);
}

/* A handle: {"step": id} for a component this plan creates, and/or {"Id", "Arn"} when they are
 * known now. Caller owns it; NULL on error. */
static json_t *plan_component(pp_rem_planner *p, const pp_rem_target *t, const char *path,
                              const char *region, int depth)
{
    json_t *st = json_object_get(p->scratch, "provision");
    json_t *handles = json_object_get(st, "handles");
    json_t *visiting = json_object_get(st, "visiting");
    const json_t *params = json_object_get(st, "params");
    const json_t *comp = json_object_get(json_object_get(st, "components"), path);
    char key[400];
    snprintf(key, sizeof(key), "%s@%s", path, region ? region : "global");
    json_t *h = json_object_get(handles, key);
    if (h)
        return json_incref(h);
    if (!comp) {
        pp_err_set(PP_EINVAL, "architecture.yaml: no component %s", path);
        return NULL;
    }
    if (depth > 32 || json_object_get(visiting, key)) {
        pp_err_set(PP_EINVAL, "architecture.yaml: component %s depends on itself", path);
        return NULL;
    }
    const pp_rem_ctype *ct = pp_rem_ctype_find(pp_rem_str(comp, "type"));
    if (!ct) {
        pp_err_set(PP_EINVAL, "architecture.yaml: component %s: type %s cannot be provisioned",
                   path, pp_rem_str(comp, "type"));
        return NULL;
    }
    json_t *props = NULL, *tags = NULL, *deps = NULL, *resolved = NULL, *out = NULL;
    json_object_set_new(visiting, key, json_true());
    props = render(json_object_get(comp, "properties"), params, 0);
    if (props && strcmp(scope_of(comp), "every_region") == 0 && region &&
        pp_str_eq(region, pp_rem_str(params, "region"))) {
        json_t *home = render(json_object_get(comp, "home_region_properties"), params, 0);
        if (json_is_object(home))
            pp_rem_merge(props, home);
        json_decref(home);
    }
    json_t *ctags = props ? render(json_object_get(comp, "tags"), params, 0) : NULL;
    if (!props || (json_object_get(comp, "tags") && !ctags))
        goto _exit;
    if (!json_is_object(props)) {
        json_decref(props);
        props = json_object();
    }
    tags = all_tags(params, ctags, path);
    json_decref(ctags);

    /* already there (the snapshot has it): its ids, no step */
    pp_rem_cbuild b = {.p = p,
                       .t = t,
                       .path = path,
                       .type = ct,
                       .props = props,
                       .tags = tags,
                       .region = region,
                       .account = t->account,
                       .params = params,
                       .ref = ref_cb};
    json_t *existing = ct->identify ? ct->identify(&b) : NULL;
    if (existing) {
        out = existing;
        json_object_set(handles, key, out);
        goto _exit;
    }
    deps = json_object();
    resolved = resolve_refs(p, t, props, region, deps, depth);
    if (!resolved)
        goto _exit;
    const json_t *extra = json_object_get(comp, "depends_on");
    size_t i;
    json_t *d;
    json_array_foreach(extra, i, d)
    {
        const char *dp = json_string_value(d);
        const json_t *dc = dp ? json_object_get(json_object_get(st, "components"), dp) : NULL;
        if (!dc) {
            pp_err_set(PP_EINVAL, "architecture.yaml: %s depends on unknown component %s", path,
                       dp ? dp : "?");
            goto _exit;
        }
        json_t *dh = plan_component(p, t, dp, region_for(dc, params, region), depth + 1);
        if (!dh)
            goto _exit;
        if (pp_rem_str(dh, "step"))
            json_object_set_new(deps, pp_rem_str(dh, "step"), json_true());
        json_decref(dh);
    }
    char id[420];
    if (strcmp(scope_of(comp), "every_region") == 0)
        snprintf(id, sizeof(id), "provision:%s@%s", path, region ? region : "global");
    else
        snprintf(id, sizeof(id), "provision:%s", path);
    json_t *step =
        pp_rem_step(p, NULL, "provision", id, '+', NULL, "create %s %s%s%s",
                    pp_rem_str(comp, "type"), path, region ? " in " : "", region ? region : "");
    json_object_set_new(step, "resource",
                        json_pack("{s:s?, s:s, s:s, s:s}", "type", pp_rem_str(comp, "type"), "id",
                                  path, "account", t->account, "region",
                                  region ? region : "global"));
    json_object_set_new(step, "component", json_string(path));
    json_object_set_new(step, "kind", json_string(ct->type));
    if (t->f && depth == 0) {
        json_object_set_new(step, "rule", json_string(t->rule->id));
        json_object_set_new(step, "rules", json_pack("[s]", t->rule->id));
        json_object_set_new(step, "findings", json_pack("[s]", t->f->id));
        char *why = pp_xasprintf("%s: %s", t->rule->id, t->f->message ? t->f->message : "FAIL");
        json_object_set_new(step, "why", json_string(why));
        free(why);
    } else {
        json_object_set_new(step, "rules", json_array());
        json_object_set_new(step, "findings", json_array());
        json_object_set_new(step, "why",
                            json_string("a component another step of this plan refers to"));
    }
    const char *k;
    json_t *v;
    json_object_foreach(deps, k, v) pp_rem_depends(step, k);
    b.props = resolved;
    b.step = step;
    b.sid = json_string_value(json_object_get(step, "id"));
    out = json_pack("{s:s}", "step", b.sid);
    b.handle = out;
    if (ct->build(&b)) {
        json_decref(out);
        out = NULL;
        goto _exit;
    }
    pp_rem_step_arg(step, "component", json_string(path));
    pp_rem_step_arg(step, "region", region ? json_string(region) : json_null());
    json_object_set(handles, key, out);
_exit:
    json_object_del(visiting, key);
    json_decref(props);
    json_decref(tags);
    json_decref(deps);
    json_decref(resolved);
    return out;
}

static int plan(pp_rem_planner *p, const pp_rem_target *t)
{
    char err[300];
    json_t *st = state(p, err, sizeof(err));
    if (!st) {
        pp_rem_no_action(p, t, "%s", err);
        return 0;
    }
    const char *path = pp_rem_arg(t, "component", NULL);
    const json_t *comp = path ? json_object_get(json_object_get(st, "components"), path) : NULL;
    if (!comp) {
        pp_rem_no_action(p, t, "architecture.yaml has no component '%s'", path ? path : "");
        return 0;
    }
    const json_t *params = json_object_get(st, "params");
    json_t *regions = json_array();
    const char *scope = scope_of(comp);
    bool regional_finding = t->region && strcmp(t->region, "global") != 0;
    if (strcmp(scope, "every_region") == 0 && !regional_finding) {
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(params, "regions"), i, r)
        {
            if (json_is_string(r))
                json_array_append(regions, r);
        }
    } else {
        const char *r = region_for(comp, params, regional_finding ? t->region : NULL);
        json_array_append_new(regions, r ? json_string(r) : json_null());
    }
    int rc = 0;
    size_t i;
    json_t *r;
    json_array_foreach(regions, i, r)
    {
        json_t *h = plan_component(p, t, path, json_string_value(r), 0);
        if (!h) {
            rc = PP_EINVAL;
            break;
        }
        const char *sid = pp_rem_str(h, "step");
        if (sid) {
            /* the finding is answered by this step (it may have been planned as a dependency) */
            pp_rem_step(p, t, "provision", sid, '+', NULL, "x");
        } else {
            pp_rem_no_action(p, t,
                             "component %s exists already (%s); the rule fails on its "
                             "settings, which provision does not change",
                             path, pp_rem_str(h, "Id") ? pp_rem_str(h, "Id") : "?");
        }
        json_decref(h);
    }
    json_decref(regions);
    return rc;
}

static int check(pp_rem_check *c)
{
    const pp_rem_ctype *ct = pp_rem_ctype_find(pp_rem_str(c->step, "kind"));
    return ct && ct->check ? ct->check(c) : 0;
}

const pp_rem_action pp_rem_action_provision = {
    .name = "provision",
    .ops = pp_rem_component_ops,
    .extra_permissions = pp_rem_component_extra,
    .plan = plan,
    .check = check,
};
