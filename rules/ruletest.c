/* Rule tests: the cases a pack ships beside its rules, run by `parapet rules test`. A test file
 * holds groups {rule, now, cases}; a case lists resource documents (with optional `errors`,
 * `unknown` mirrors and coverage failures) and the status expected for each finding id. Every
 * finding of the rule must be expected, so a case says exactly what the rule does. */
#include "rules_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_ACCOUNT "111122223333"
#define DEFAULT_REGION  "us-east-1"

struct texpect {
    const pp_ynode *node;
    char *id;
    enum pp_status status;
    char *message;  /* substring the finding's message must contain, or NULL */
    int suppressed; /* -1: not checked */
};

struct tcase {
    const pp_ynode *node;
    char *name;
    char *rule_id;
    const pp_ynode *rule_node;
    bool has_now;
    time_t now;
    json_t *params;
    pp_inventory *inv;
    struct texpect *expect;
    size_t n_expect;
};

struct pp_test_file {
    char *path;
    struct tcase *cases;
    size_t n;
};

static void tcase_clear(struct tcase *c)
{
    free(c->name);
    free(c->rule_id);
    json_decref(c->params);
    pp_inventory_free(c->inv);
    for (size_t i = 0; i < c->n_expect; i++) {
        free(c->expect[i].id);
        free(c->expect[i].message);
    }
    free(c->expect);
}

void pp_rules_tests_free(struct pp_ruleset *rs)
{
    for (size_t i = 0; i < rs->n_tests; i++) {
        struct pp_test_file *t = rs->tests[i];
        for (size_t k = 0; k < t->n; k++)
            tcase_clear(&t->cases[k]);
        free(t->cases);
        free(t->path);
        free(t);
    }
    free(rs->tests);
    rs->tests = NULL;
    rs->n_tests = 0;
}

static const pp_rule *find_rule(const struct pp_ruleset *rs, const char *id)
{
    for (size_t i = 0; i < rs->n_rules; i++)
        if (strcmp(rs->rules[i]->meta->id, id) == 0)
            return rs->rules[i];
    return NULL;
}

/* A scalar's text, or NULL for null; a diagnostic when it is not a scalar. */
static const char *opt_str(const pp_ynode *n, const char *what, pp_diags *d, bool *ok)
{
    if (!n || pp_yis_null(n))
        return NULL;
    if (n->kind != PP_Y_SCALAR) {
        pp_ydiag(d, n, "%s must be a string, not %s", what, pp_ydesc(n));
        *ok = false;
        return NULL;
    }
    return n->s;
}

static bool load_resource(const pp_ynode *n, const pp_rule *rule, bool plan, pp_inventory *inv,
                          pp_diags *d)
{
    static const char *const known[] = {"type",    "id",  "arn",    "account", "region",
                                        "address", "doc", "errors", "unknown", NULL};
    if (n->kind != PP_Y_MAP) {
        pp_ydiag(d, n, "a test resource is a mapping {type, id, doc, ...}");
        return false;
    }
    if (!pp_ycheck_keys(n, known, "a test resource", d))
        return false;
    bool ok = true;
    const pp_ynode *tn = pp_ymap_get(n, "type");
    const char *type = tn ? opt_str(tn, "type", d, &ok) : rule->type->name;
    const pp_type *t = type ? pp_type_find(type) : NULL;
    if (!t) {
        pp_ydiag(d, tn ? tn : n, "unknown resource type '%s'", type ? type : "");
        return false;
    }
    const pp_ynode *idn = pp_ymap_get(n, "id");
    const char *id = idn ? opt_str(idn, "id", d, &ok) : NULL;
    if (!id) {
        pp_ydiag(d, idn ? idn : n, "a test resource needs an id");
        return false;
    }
    const pp_ynode *an = pp_ymap_get(n, "account"), *rn = pp_ymap_get(n, "region");
    const char *account = an ? opt_str(an, "account", d, &ok) : plan ? NULL : DEFAULT_ACCOUNT;
    const char *region = rn          ? opt_str(rn, "region", d, &ok)
                         : plan      ? NULL
                         : t->global ? "global"
                                     : DEFAULT_REGION;
    const char *arn = opt_str(pp_ymap_get(n, "arn"), "arn", d, &ok);
    const char *address = opt_str(pp_ymap_get(n, "address"), "address", d, &ok);
    const pp_ynode *dn = pp_ymap_get(n, "doc");
    if (!dn || dn->kind != PP_Y_MAP) {
        pp_ydiag(d, dn ? dn : n, "a test resource needs a doc mapping");
        return false;
    }
    json_t *doc = pp_yaml_json(dn, d);
    const pp_ynode *en = pp_ymap_get(n, "errors"), *un = pp_ymap_get(n, "unknown");
    json_t *errors = en ? pp_yaml_json(en, d) : NULL;
    json_t *unknown = un ? pp_yaml_json(un, d) : NULL;
    if (en && !json_is_object(errors)) {
        pp_ydiag(d, en, "errors maps a top-level key to why it could not be collected");
        ok = false;
    }
    if (!ok || !doc) {
        json_decref(doc);
        json_decref(errors);
        json_decref(unknown);
        return false;
    }
    pp_resource *r = pp_resource_new(type, id, arn, account, region, doc);
    json_decref(doc);
    r->address = pp_xstrdup(address);
    r->errors = errors;
    r->unknown = unknown;
    pp_inventory_add(inv, r);
    return true;
}

static bool load_coverage(const pp_ynode *n, const pp_rule *rule, pp_inventory *inv, pp_diags *d)
{
    static const char *const known[] = {"service", "account",      "region", "operation", "error",
                                        "types",   "per_resource", "ok",     NULL};
    if (n->kind != PP_Y_MAP) {
        pp_ydiag(d, n, "a coverage record is a mapping {service, region, operation, error}");
        return false;
    }
    if (!pp_ycheck_keys(n, known, "a coverage record", d))
        return false;
    bool ok = true;
    const pp_ynode *rn = pp_ymap_get(n, "region"), *an = pp_ymap_get(n, "account"),
                   *sn = pp_ymap_get(n, "service");
    pp_coverage c = {0};
    c.service = (char *)(sn ? opt_str(sn, "service", d, &ok) : rule->type->service);
    c.account = (char *)(an ? opt_str(an, "account", d, &ok) : DEFAULT_ACCOUNT);
    c.region = (char *)(rn                   ? opt_str(rn, "region", d, &ok)
                        : rule->type->global ? "global"
                                             : DEFAULT_REGION);
    c.operation = (char *)opt_str(pp_ymap_get(n, "operation"), "operation", d, &ok);
    c.error = (char *)opt_str(pp_ymap_get(n, "error"), "error", d, &ok);
    const pp_ynode *tn = pp_ymap_get(n, "types");
    pp_buf types;
    pp_buf_init(&types, 0);
    for (size_t i = 0; tn && i < (tn->kind == PP_Y_SEQ ? tn->n : 1); i++) {
        const pp_ynode *e = tn->kind == PP_Y_SEQ ? tn->kids[i] : tn;
        const char *s = opt_str(e, "types", d, &ok);
        if (s) {
            if (types.len)
                pp_buf_putc(&types, ',');
            pp_buf_puts(&types, s);
        }
    }
    c.types = types.len ? types.data : NULL;
    const pp_ynode *pr = pp_ymap_get(n, "per_resource"), *okn = pp_ymap_get(n, "ok");
    c.per_resource = pr && pr->kind == PP_Y_SCALAR && strcmp(pr->s, "true") == 0;
    c.ok = okn && okn->kind == PP_Y_SCALAR && strcmp(okn->s, "true") == 0;
    if (!c.ok && !c.error)
        c.error = "AccessDenied: not authorized";
    if (ok)
        pp_inventory_add_coverage(inv, &c);
    pp_buf_free(&types);
    return ok;
}

static bool load_expect(const pp_ynode *n, struct tcase *tc, pp_diags *d)
{
    if (!n || n->kind != PP_Y_MAP || n->n == 0) {
        pp_ydiag(d, n ? n : tc->node, "a case needs expect: {finding id: STATUS, ...}");
        return false;
    }
    tc->expect = pp_xcalloc(n->n / 2, sizeof(*tc->expect));
    bool ok = true;
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        struct texpect *e = &tc->expect[tc->n_expect];
        const pp_ynode *v = n->kids[i + 1], *sn = v;
        e->node = n->kids[i];
        e->suppressed = -1;
        if (v->kind == PP_Y_MAP) {
            static const char *const known[] = {"status", "message", "suppressed", NULL};
            if (!pp_ycheck_keys(v, known, "an expectation (status, message, suppressed)", d)) {
                ok = false;
                continue;
            }
            sn = pp_ymap_get(v, "status");
            const pp_ynode *mn = pp_ymap_get(v, "message"), *xn = pp_ymap_get(v, "suppressed");
            if (mn && mn->kind == PP_Y_SCALAR)
                e->message = pp_xstrdup(mn->s);
            if (xn)
                e->suppressed = xn->kind == PP_Y_SCALAR && strcmp(xn->s, "true") == 0;
        }
        if (!sn || sn->kind != PP_Y_SCALAR || pp_status_parse(sn->s, &e->status) != 0) {
            pp_ydiag(d, sn ? sn : v, "expected a status: PASS, FAIL, ERROR, UNKNOWN or MANUAL");
            free(e->message);
            e->message = NULL;
            ok = false;
            continue;
        }
        e->id = pp_xstrdup(n->kids[i]->s);
        tc->n_expect++;
    }
    return ok;
}

static bool load_case(struct pp_ruleset *rs, const pp_ynode *n, const pp_ynode *rule_node,
                      const char *rule_id, const pp_ynode *now_node, struct tcase *tc, pp_diags *d)
{
    static const char *const known[] = {"name",     "source", "params", "scope", "resources",
                                        "coverage", "expect", "now",    NULL};
    memset(tc, 0, sizeof(*tc));
    tc->node = n;
    if (n->kind != PP_Y_MAP) {
        pp_ydiag(d, n, "a case is a mapping {name, resources, expect}");
        return false;
    }
    if (!pp_ycheck_keys(n, known, "a test case", d))
        return false;
    const pp_rule *rule = find_rule(rs, rule_id);
    if (!rule) {
        pp_ydiag(d, rule_node, "no rule '%s' in the loaded packs", rule_id);
        return false;
    }
    bool ok = true;
    const pp_ynode *nm = pp_ymap_get(n, "name");
    const char *name = nm ? opt_str(nm, "name", d, &ok) : NULL;
    tc->name = name ? pp_xstrdup(name) : pp_xasprintf("line %d", n->line);
    tc->rule_id = pp_xstrdup(rule_id);
    tc->rule_node = rule_node;
    const pp_ynode *nown = pp_ymap_get(n, "now");
    if (!nown)
        nown = now_node;
    if (nown) {
        const char *s = opt_str(nown, "now", d, &ok);
        if (!s || pp_time_parse(s, &tc->now) != 0) {
            pp_ydiag(d, nown, "now: not a timestamp");
            ok = false;
        }
        tc->has_now = true;
    }
    const pp_ynode *src = pp_ymap_get(n, "source");
    enum pp_source_kind kind = PP_SOURCE_AWS;
    if (src) {
        const char *s = opt_str(src, "source", d, &ok);
        if (s && strcmp(s, "plan") == 0)
            kind = PP_SOURCE_PLAN;
        else if (s && strcmp(s, "import") == 0)
            kind = PP_SOURCE_IMPORT;
        else if (!s || strcmp(s, "aws") != 0) {
            pp_ydiag(d, src, "source is aws, import or plan");
            ok = false;
        }
    }
    tc->inv = pp_inventory_new(kind);
    const pp_ynode *pn = pp_ymap_get(n, "params");
    if (pn) {
        if (pn->kind != PP_Y_MAP) {
            pp_ydiag(d, pn, "params must be a mapping");
            ok = false;
        } else {
            tc->params = pp_yaml_json(pn, d);
            const char *k;
            json_t *v;
            json_object_foreach(tc->params, k, v)
            {
                if (!json_object_get(rule->params, k)) {
                    pp_ydiag(d, pn, "unknown parameter '%s' for rule %s", k, rule_id);
                    ok = false;
                }
            }
        }
    }
    const pp_ynode *res = pp_ymap_get(n, "resources");
    if (res && res->kind != PP_Y_SEQ) {
        pp_ydiag(d, res, "resources is a list");
        ok = false;
    }
    for (size_t i = 0; res && res->kind == PP_Y_SEQ && i < res->n; i++)
        ok = load_resource(res->kids[i], rule, kind == PP_SOURCE_PLAN, tc->inv, d) && ok;
    const pp_ynode *cov = pp_ymap_get(n, "coverage");
    for (size_t i = 0; cov && i < (cov->kind == PP_Y_SEQ ? cov->n : 0); i++)
        ok = load_coverage(cov->kids[i], rule, tc->inv, d) && ok;
    if (cov && cov->kind != PP_Y_SEQ) {
        pp_ydiag(d, cov, "coverage is a list");
        ok = false;
    }
    const pp_ynode *sc = pp_ymap_get(n, "scope");
    for (size_t i = 0; sc && sc->kind == PP_Y_SEQ && i < sc->n; i++) {
        const pp_ynode *e = sc->kids[i];
        const char *a = opt_str(pp_ymap_get(e, "account"), "account", d, &ok);
        const char *r = opt_str(pp_ymap_get(e, "region"), "region", d, &ok);
        pp_inventory_add_scope(tc->inv, a ? a : DEFAULT_ACCOUNT, r ? r : DEFAULT_REGION);
    }
    if (sc && sc->kind != PP_Y_SEQ) {
        pp_ydiag(d, sc, "scope is a list of {account, region}");
        ok = false;
    }
    return load_expect(pp_ymap_get(n, "expect"), tc, d) && ok;
}

static void load_group(struct pp_ruleset *rs, struct pp_test_file *t, const pp_ynode *g,
                       pp_diags *d)
{
    static const char *const known[] = {"rule", "now", "cases", NULL};
    if (g->kind != PP_Y_MAP) {
        pp_ydiag(d, g, "a test group is a mapping {rule, cases}");
        return;
    }
    if (!pp_ycheck_keys(g, known, "a test group (rule, now, cases)", d))
        return;
    const pp_ynode *rn = pp_ymap_get(g, "rule"), *cn = pp_ymap_get(g, "cases");
    if (!rn || rn->kind != PP_Y_SCALAR) {
        pp_ydiag(d, rn ? rn : g, "a test group needs rule: ID");
        return;
    }
    if (!cn || cn->kind != PP_Y_SEQ || !cn->n) {
        pp_ydiag(d, cn ? cn : g, "a test group needs cases: [...]");
        return;
    }
    t->cases = pp_xrealloc(t->cases, (t->n + cn->n) * sizeof(*t->cases));
    for (size_t i = 0; i < cn->n; i++) {
        struct tcase *tc = &t->cases[t->n];
        if (load_case(rs, cn->kids[i], rn, rn->s, pp_ymap_get(g, "now"), tc, d))
            t->n++;
        else
            tcase_clear(tc);
    }
}

int pp_rules_tests_load(struct pp_ruleset *rs, const char *path, pp_diags *d)
{
    pp_yfile *f = NULL;
    if (pp_yaml_load(path, &f, d) != 0)
        return PP_EINVAL;
    rs->files = pp_xrealloc(rs->files, (rs->n_files + 1) * sizeof(*rs->files));
    rs->files[rs->n_files++] = f;
    struct pp_test_file *t = pp_xcalloc(1, sizeof(*t));
    t->path = pp_xstrdup(path);
    rs->tests = pp_xrealloc(rs->tests, (rs->n_tests + 1) * sizeof(*rs->tests));
    rs->tests[rs->n_tests++] = t;
    int before = d->n;
    for (size_t i = 0; i < f->n_docs; i++) {
        const pp_ynode *doc = f->docs[i];
        if (pp_yis_null(doc))
            continue;
        if (doc->kind == PP_Y_SEQ)
            for (size_t k = 0; k < doc->n; k++)
                load_group(rs, t, doc->kids[k], d);
        else
            load_group(rs, t, doc, d);
    }
    return d->n > before ? PP_EINVAL : 0;
}

void pp_rules_tests_check_coverage(struct pp_ruleset *rs, pp_diags *d)
{
    for (size_t i = 0; i < rs->n_rules; i++) {
        const pp_rule *r = rs->rules[i];
        bool pass = false, fail = false;
        size_t cases = 0;
        for (size_t t = 0; t < rs->n_tests; t++)
            for (size_t k = 0; k < rs->tests[t]->n; k++) {
                const struct tcase *tc = &rs->tests[t]->cases[k];
                if (strcmp(tc->rule_id, r->meta->id) != 0)
                    continue;
                cases++;
                for (size_t e = 0; e < tc->n_expect; e++) {
                    pass |= tc->expect[e].status == PP_STATUS_PASS;
                    fail |= tc->expect[e].status == PP_STATUS_FAIL;
                }
            }
        if (r->kind == PP_RULE_MANUAL || r->kind == PP_RULE_ERROR)
            continue; /* they have no PASS or FAIL to show */
        const pp_ynode *idn = pp_ymap_get(r->node, "id");
        if (!cases)
            pp_ydiag(d, idn, "rule '%s' has no test cases", r->meta->id);
        else if (!pass || !fail)
            pp_ydiag(d, idn, "rule '%s' has no test case expecting %s", r->meta->id,
                     !pass ? "PASS" : "FAIL");
    }
}

static void log_case(pp_buf *log, const struct tcase *tc, const pp_ynode *at, const char *fmt, ...)
    PP_PRINTF(4, 5);

static void log_case(pp_buf *log, const struct tcase *tc, const pp_ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pp_buf_printf(log, "%s:%d:%d: %s, case '%s': ", at->file, at->line, at->col, tc->rule_id,
                  tc->name);
    pp_buf_vprintf(log, fmt, ap);
    pp_buf_putc(log, '\n');
    va_end(ap);
}

static bool run_case(struct pp_ruleset *rs, const struct tcase *tc, time_t now, pp_buf *log)
{
    const pp_rule *rule = find_rule(rs, tc->rule_id);
    pp_rule *own = NULL;
    size_t jspecs_before = rs->n_jspecs;
    if (tc->params) {
        pp_diags d = {.out = log};
        own = pp_rule_compile(rs, rule->pack, rule->node, tc->params, &d);
        if (!own) {
            log_case(log, tc, tc->node, "the rule does not compile with these params");
            return false;
        }
        rule = own;
    }
    pp_results *res = NULL;
    bool ok = true;
    pp_rules_eval_some(rs, &rule, 1, tc->inv, tc->has_now ? tc->now : now, &res);
    bool *seen = pp_xcalloc(tc->n_expect ? tc->n_expect : 1, sizeof(*seen));
    for (size_t i = 0; i < res->n_findings; i++) {
        const pp_finding *f = &res->findings[i];
        size_t k = 0;
        while (k < tc->n_expect && !pp_str_eq(tc->expect[k].id, f->res_id))
            k++;
        if (k == tc->n_expect) {
            log_case(log, tc, tc->node, "unexpected finding %s: %s: %s", f->res_id,
                     pp_status_name(f->status), f->message ? f->message : "");
            ok = false;
            continue;
        }
        const struct texpect *e = &tc->expect[k];
        seen[k] = true;
        if (e->status != f->status) {
            log_case(log, tc, e->node, "%s: expected %s, got %s: %s", e->id,
                     pp_status_name(e->status), pp_status_name(f->status),
                     f->message ? f->message : "");
            ok = false;
        } else if (e->message && (!f->message || !strstr(f->message, e->message))) {
            log_case(log, tc, e->node, "%s: message \"%s\" does not contain \"%s\"", e->id,
                     f->message ? f->message : "", e->message);
            ok = false;
        } else if (e->suppressed >= 0 && (int)f->suppressed != e->suppressed) {
            log_case(log, tc, e->node, "%s: expected suppressed %s", e->id,
                     e->suppressed ? "true" : "false");
            ok = false;
        }
    }
    for (size_t k = 0; k < tc->n_expect; k++)
        if (!seen[k]) {
            log_case(log, tc, tc->expect[k].node, "%s: no finding (expected %s)", tc->expect[k].id,
                     pp_status_name(tc->expect[k].status));
            ok = false;
        }
    free(seen);
    pp_results_free(res);
    pp_rule_free(own);
    /* indexes the case's own compilation added point into it */
    while (rs->n_jspecs > jspecs_before) {
        pp_jspec *s = rs->jspecs[--rs->n_jspecs];
        free(s->sig);
        free(s);
    }
    return ok;
}

int pp_rules_tests_run(struct pp_ruleset *rs, time_t now, int *passed, int *failed, pp_buf *log)
{
    *passed = *failed = 0;
    for (size_t t = 0; t < rs->n_tests; t++)
        for (size_t k = 0; k < rs->tests[t]->n; k++) {
            if (run_case(rs, &rs->tests[t]->cases[k], now, log))
                (*passed)++;
            else
                (*failed)++;
        }
    return 0;
}

int pp_rules_run_tests(const pp_rules_options *o, time_t now, int *passed, int *failed, pp_buf *log)
{
    *passed = *failed = 0;
    pp_ruleset *rs = NULL;
    pp_rules_options opts = o ? *o : (pp_rules_options){0};
    int rc = pp_rules_load_internal(&rs, &opts, true, log);
    if (rc)
        return rc;
    rc = pp_rules_tests_run(rs, now, passed, failed, log);
    pp_ruleset_free(rs);
    return rc;
}
