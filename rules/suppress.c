/* Suppressions: accepted findings, each with an owner, a reason and an expiry date. A suppressed
 * finding keeps its status and is marked; once expired it stops applying and says so, so an
 * exception cannot outlive its review quietly. */
#include "rules_int.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

struct supp {
    char *rule;     /* glob on the rule id */
    char *resource; /* glob on the finding's resource id, ARN or address */
    char *account;  /* glob, or NULL for any */
    char *owner, *reason, *expires;
    time_t until; /* last second it applies */
};

struct pp_suppressions {
    struct supp *v;
    size_t n;
};

void pp_suppressions_free(pp_suppressions *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].rule);
        free(s->v[i].resource);
        free(s->v[i].account);
        free(s->v[i].owner);
        free(s->v[i].reason);
        free(s->v[i].expires);
    }
    free(s->v);
    free(s);
}

static bool load_entry(const pp_ynode *e, struct supp *out, pp_diags *d)
{
    static const char *const known[] = {"rule",   "resource", "account", "owner",
                                        "reason", "expires",  NULL};
    memset(out, 0, sizeof(*out));
    if (e->kind != PP_Y_MAP) {
        pp_ydiag(d, e, "a suppression is a mapping {rule, resource, owner, reason, expires}");
        return false;
    }
    int before = d->n;
    pp_ycheck_keys(e, known, "a suppression (rule, resource, account, owner, reason, expires)", d);
    static const char *const required[] = {"rule", "owner", "reason", "expires", NULL};
    for (const char *const *k = required; *k; k++)
        if (!pp_ymap_get(e, *k))
            pp_ydiag(d, e, "suppression needs '%s'", *k);
    if (d->n > before)
        return false;
    const char *rule = pp_ystr(pp_ymap_get(e, "rule"), "rule", d);
    const pp_ynode *rn = pp_ymap_get(e, "resource");
    const char *res = rn ? pp_ystr(rn, "resource", d) : "*";
    const pp_ynode *an = pp_ymap_get(e, "account");
    const char *acct = an ? pp_ystr(an, "account", d) : NULL;
    const char *owner = pp_ystr(pp_ymap_get(e, "owner"), "owner", d);
    const char *reason = pp_ystr(pp_ymap_get(e, "reason"), "reason", d);
    const pp_ynode *xn = pp_ymap_get(e, "expires");
    const char *exp = pp_ystr(xn, "expires", d);
    if (d->n > before)
        return false;
    if (!*owner || !*reason) {
        pp_ydiag(d, !*owner ? pp_ymap_get(e, "owner") : pp_ymap_get(e, "reason"),
                 "owner and reason must not be empty");
        return false;
    }
    time_t t;
    if (pp_time_parse(exp, &t) != 0 || strlen(exp) < 10) {
        pp_ydiag(d, xn, "expires: '%s' is not a date (YYYY-MM-DD)", exp);
        return false;
    }
    out->until = strlen(exp) == 10 ? t + 86399 : t; /* a date covers its whole (UTC) day */
    out->rule = pp_xstrdup(rule);
    out->resource = pp_xstrdup(res);
    out->account = pp_xstrdup(acct);
    out->owner = pp_xstrdup(owner);
    out->reason = pp_xstrdup(reason);
    out->expires = pp_xstrdup(exp);
    return true;
}

int pp_suppressions_load(const char *path, pp_suppressions **out, pp_buf *diags)
{
    *out = NULL;
    pp_diags d = {.out = diags};
    pp_yfile *f = NULL;
    if (pp_yaml_load(path, &f, &d) != 0)
        return pp_err_set(PP_EINVAL, "%s: invalid suppressions file", path);
    pp_suppressions *s = pp_xcalloc(1, sizeof(*s));
    for (size_t i = 0; i < f->n_docs; i++) {
        const pp_ynode *doc = f->docs[i];
        if (pp_yis_null(doc))
            continue;
        const pp_ynode *list = doc;
        if (doc->kind == PP_Y_MAP) {
            static const char *const known[] = {"suppressions", NULL};
            pp_ycheck_keys(doc, known, "a suppressions file", &d);
            list = pp_ymap_get(doc, "suppressions");
            if (!list) {
                pp_ydiag(&d, doc, "expected a list of suppressions (or suppressions: [...])");
                continue;
            }
        }
        if (pp_yis_null(list))
            continue;
        if (list->kind != PP_Y_SEQ) {
            pp_ydiag(&d, list, "expected a list of suppressions, not %s", pp_ydesc(list));
            continue;
        }
        s->v = pp_xrealloc(s->v, (s->n + list->n) * sizeof(*s->v));
        for (size_t k = 0; k < list->n; k++)
            if (load_entry(list->kids[k], &s->v[s->n], &d))
                s->n++;
    }
    pp_yfile_free(f);
    if (d.n) {
        pp_suppressions_free(s);
        return pp_err_set(PP_EINVAL, "%s: invalid suppressions file", path);
    }
    *out = s;
    return 0;
}

static bool glob(const char *pattern, const char *s)
{
    return s && fnmatch(pattern, s, 0) == 0;
}

size_t pp_suppressions_apply(const pp_suppressions *s, pp_results *r, time_t now)
{
    size_t applied = 0;
    if (!s || !r)
        return 0;
    for (size_t i = 0; i < r->n_findings; i++) {
        pp_finding *f = &r->findings[i];
        if (f->status == PP_STATUS_PASS || !f->rule)
            continue;
        const struct supp *active = NULL, *expired = NULL;
        for (size_t k = 0; k < s->n && !active; k++) {
            const struct supp *e = &s->v[k];
            if (!glob(e->rule, f->rule->id))
                continue;
            if (!glob(e->resource, f->res_id) && !glob(e->resource, f->res_arn) &&
                !glob(e->resource, f->address))
                continue;
            if (e->account && !glob(e->account, f->account))
                continue;
            if (now <= e->until)
                active = e;
            else if (!expired)
                expired = e;
        }
        const struct supp *e = active ? active : expired;
        if (!e)
            continue;
        json_decref(f->suppression);
        f->suppression = json_pack("{s:s, s:s, s:s, s:b}", "owner", e->owner, "reason", e->reason,
                                   "expires", e->expires, "expired", active == NULL);
        f->suppressed = active != NULL;
        applied += active != NULL;
    }
    return applied;
}
