/* Loading policy packs: finding them, reading pack.yaml, parameter files and environment
 * overlays, compiling every rule, and refusing the whole set with every diagnostic when anything
 * is wrong. A pack is a folder with pack.yaml; its other YAML files hold rules (one mapping, a
 * list of them, or several documents), except environments/ (overlays), the files pack.yaml
 * names under params_files, and test files (*.test.yaml or anything under tests/). */
#include "rules_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef PP_POLICIES_SRC_DIR
#define PP_POLICIES_SRC_DIR ""
#endif
#ifndef PP_POLICIES_INSTALL_DIR
#define PP_POLICIES_INSTALL_DIR "/usr/local/share/parapet/policies"
#endif

/* ---- small helpers ----------------------------------------------------------------------------
 */

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static bool yaml_name(const char *n)
{
    return pp_str_endswith(n, ".yaml") || pp_str_endswith(n, ".yml");
}

static bool test_name(const char *n)
{
    return pp_str_endswith(n, ".test.yaml") || pp_str_endswith(n, ".test.yml");
}

static int filter_visible(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

/* ---- the ruleset -------------------------------------------------------------------------------
 */

size_t pp_ruleset_add_jspec(struct pp_ruleset *rs, pp_join *j)
{
    pp_buf b;
    pp_buf_init(&b, 0);
    pp_buf_printf(&b, "%s|%d|%d", j->type->name, (int)j->scope, (int)j->on_any);
    for (size_t i = 0; i < j->n_on; i++) {
        char *cap = NULL;
        if (j->on[i].capture) {
            PCRE2_SIZE len = 0;
            pcre2_pattern_info(j->on[i].capture, PCRE2_INFO_SIZE, &len);
            cap = pp_xasprintf("%zu", (size_t)len);
        }
        pp_buf_printf(&b, "|%s~%s", j->on[i].path.text, cap ? cap : "");
        free(cap);
    }
    bool capture = false;
    for (size_t i = 0; i < j->n_on; i++)
        capture = capture || j->on[i].capture;
    for (size_t i = 0; i < rs->n_jspecs; i++)
        /* a capture on the indexed side makes an index its own */
        if (strcmp(rs->jspecs[i]->sig, b.data) == 0 && !capture) {
            pp_buf_free(&b);
            return i;
        }
    pp_jspec *s = pp_xcalloc(1, sizeof(*s));
    s->sig = pp_buf_steal(&b);
    s->type = j->type;
    s->on = j->on;
    s->n_on = j->n_on;
    s->on_any = j->on_any;
    s->scope = j->scope;
    rs->jspecs = pp_xrealloc(rs->jspecs, (rs->n_jspecs + 1) * sizeof(*rs->jspecs));
    rs->jspecs[rs->n_jspecs] = s;
    return rs->n_jspecs++;
}

void pp_rule_free(pp_rule *r)
{
    if (!r)
        return;
    pp_rule_meta_free(r->meta);
    free(r->reason);
    for (size_t i = 0; i < r->n_items; i++) {
        pp_cond_free(r->wheres ? r->wheres[i] : NULL);
        pp_cond_free(r->asserts ? r->asserts[i] : NULL);
        if (r->labels)
            free(r->labels[i]);
    }
    free(r->wheres);
    free(r->asserts);
    free(r->labels);
    json_decref(r->items);
    json_decref(r->params);
    free(r);
}

void pp_ruleset_free(pp_ruleset *rs)
{
    if (!rs)
        return;
    pp_rules_tests_free(rs);
    for (size_t i = 0; i < rs->n_rules; i++)
        pp_rule_free(rs->rules[i]);
    free(rs->rules);
    for (size_t i = 0; i < rs->n_jspecs; i++) {
        free(rs->jspecs[i]->sig);
        free(rs->jspecs[i]);
    }
    free(rs->jspecs);
    for (size_t i = 0; i < rs->n_packs; i++) {
        pp_pack *p = rs->packs[i];
        free(p->name);
        free(p->version);
        free(p->dir);
        json_decref(p->params);
        json_decref(p->env_params);
        json_decref(p->env_rules);
        free(p);
    }
    free(rs->packs);
    json_decref(rs->packs_json);
    pp_suppressions_free(rs->sup);
    free(rs->env);
    for (size_t i = 0; i < rs->n_files; i++)
        pp_yfile_free(rs->files[i]);
    free(rs->files);
    free(rs);
}

size_t pp_ruleset_count(const pp_ruleset *rs)
{
    return rs ? rs->n_rules : 0;
}

const pp_rule_meta *pp_ruleset_meta(const pp_ruleset *rs, size_t i)
{
    return rs && i < rs->n_rules ? rs->rules[i]->meta : NULL;
}

enum pp_rule_kind pp_ruleset_kind(const pp_ruleset *rs, size_t i)
{
    return rs && i < rs->n_rules ? rs->rules[i]->kind : PP_RULE_CHECK;
}

const json_t *pp_ruleset_packs(const pp_ruleset *rs)
{
    return rs ? rs->packs_json : NULL;
}

const char *const *pp_rules_default_dirs(void)
{
    static char *dirs[33];
    static char **split;
    pp_strv_free(split);
    split = NULL;
    size_t n = 0;
    const char *env = getenv("PARAPET_POLICIES");
    if (env && *env) {
        split = pp_str_split(env, ':', NULL);
        for (size_t i = 0; split[i] && n < 32; i++)
            dirs[n++] = split[i];
    } else if (*PP_POLICIES_SRC_DIR && is_dir(PP_POLICIES_SRC_DIR)) {
        dirs[n++] = (char *)PP_POLICIES_SRC_DIR;
    } else {
        dirs[n++] = (char *)PP_POLICIES_INSTALL_DIR;
    }
    dirs[n] = NULL;
    return (const char *const *)dirs;
}

/* ---- loading --------------------------------------------------------------------------------- */

struct rnode {
    const pp_ynode *node;
    pp_pack *pack;
};

struct loader {
    pp_ruleset *rs;
    pp_diags d;
    const pp_rules_options *o;
    bool tests;
    struct rnode *rnodes;
    size_t n_rnodes;
    /* an explicit overlay file applies to every pack */
    const pp_ynode *env_file;
};

static pp_yfile *keep_file(struct loader *l, const char *path)
{
    pp_yfile *f = NULL;
    if (pp_yaml_load(path, &f, &l->d) != 0)
        return NULL;
    l->rs->files = pp_xrealloc(l->rs->files, (l->rs->n_files + 1) * sizeof(*l->rs->files));
    l->rs->files[l->rs->n_files++] = f;
    return f;
}

static const pp_ynode *single_doc(struct loader *l, pp_yfile *f, const char *what)
{
    const pp_ynode *doc = NULL;
    for (size_t i = 0; i < f->n_docs; i++) {
        if (pp_yis_null(f->docs[i]))
            continue;
        if (doc) {
            pp_ydiag(&l->d, f->docs[i], "%s holds one document", what);
            return NULL;
        }
        doc = f->docs[i];
    }
    if (!doc)
        pp_diag(&l->d, f->path, 0, 0, "%s is empty", what);
    else if (doc->kind != PP_Y_MAP) {
        pp_ydiag(&l->d, doc, "%s must be a mapping, not %s", what, pp_ydesc(doc));
        return NULL;
    }
    return doc;
}

static void find_packs(struct loader *l, const char *dir, char ***out, size_t *n)
{
    char *meta = pp_xasprintf("%s/pack.yaml", dir);
    bool here = is_file(meta);
    free(meta);
    if (here) {
        *out = pp_xrealloc(*out, (*n + 1) * sizeof(**out));
        (*out)[(*n)++] = pp_xstrdup(dir);
        return;
    }
    if (!is_dir(dir)) {
        pp_diag(&l->d, dir, 0, 0, "no such policy folder");
        return;
    }
    struct dirent **ents = NULL;
    int ne = scandir(dir, &ents, filter_visible, alphasort);
    size_t before = *n;
    for (int i = 0; i < ne; i++) {
        char *sub = pp_xasprintf("%s/%s", dir, ents[i]->d_name);
        char *m = pp_xasprintf("%s/pack.yaml", sub);
        if (is_dir(sub) && is_file(m)) {
            *out = pp_xrealloc(*out, (*n + 1) * sizeof(**out));
            (*out)[(*n)++] = sub;
        } else {
            free(sub);
        }
        free(m);
        free(ents[i]);
    }
    free(ents);
    if (ne < 0)
        pp_diag(&l->d, dir, 0, 0, "cannot read: %s", strerror(errno));
    else if (*n == before)
        pp_diag(&l->d, dir, 0, 0, "no policy pack here (a pack folder holds pack.yaml)");
}

static void collect_files(struct loader *l, const char *root, const char *rel, int depth,
                          char ***rules, size_t *n_rules, char ***tests, size_t *n_tests)
{
    char *dir = *rel ? pp_xasprintf("%s/%s", root, rel) : pp_xstrdup(root);
    struct dirent **ents = NULL;
    int ne = scandir(dir, &ents, filter_visible, alphasort);
    if (ne < 0)
        pp_diag(&l->d, dir, 0, 0, "cannot read: %s", strerror(errno));
    for (int i = 0; i < ne; i++) {
        const char *name = ents[i]->d_name;
        char *r = *rel ? pp_xasprintf("%s/%s", rel, name) : pp_xstrdup(name);
        char *full = pp_xasprintf("%s/%s", root, r);
        if (is_dir(full)) {
            if (!(depth == 0 && strcmp(name, "environments") == 0) && depth < 8)
                collect_files(l, root, r, depth + 1, rules, n_rules, tests, n_tests);
        } else if (yaml_name(name) && !(depth == 0 && strcmp(name, "pack.yaml") == 0)) {
            bool is_test = test_name(name) || pp_str_startswith(r, "tests/");
            char ***list = is_test ? tests : rules;
            size_t *cnt = is_test ? n_tests : n_rules;
            *list = pp_xrealloc(*list, (*cnt + 1) * sizeof(**list));
            (*list)[(*cnt)++] = pp_xstrdup(full);
        }
        free(r);
        free(full);
        free(ents[i]);
    }
    free(ents);
    free(dir);
}

static bool params_map(struct loader *l, const pp_ynode *n, json_t *into)
{
    if (n->kind != PP_Y_MAP) {
        pp_ydiag(&l->d, n, "params must be a mapping, not %s", pp_ydesc(n));
        return false;
    }
    json_t *o = pp_yaml_json(n, &l->d);
    if (!o)
        return false;
    json_object_update(into, o);
    json_decref(o);
    return true;
}

static pp_pack *load_pack(struct loader *l, const char *dir, char ***skip, size_t *n_skip)
{
    char *meta_path = pp_xasprintf("%s/pack.yaml", dir);
    pp_yfile *f = keep_file(l, meta_path);
    free(meta_path);
    if (!f)
        return NULL;
    const pp_ynode *m = single_doc(l, f, "pack.yaml");
    if (!m)
        return NULL;
    static const char *const known[] = {"name",   "version",      "description",
                                        "params", "params_files", NULL};
    pp_ycheck_keys(m, known, "pack.yaml (name, version, description, params, params_files)", &l->d);
    const pp_ynode *nn = pp_ymap_get(m, "name"), *vn = pp_ymap_get(m, "version");
    if (!nn)
        pp_ydiag(&l->d, m, "pack.yaml needs a name");
    if (!vn)
        pp_ydiag(&l->d, m, "pack.yaml needs a version");
    const char *name = nn ? pp_ystr(nn, "name", &l->d) : NULL;
    const char *version = vn ? pp_ystr(vn, "version", &l->d) : NULL;
    if (!name || !version)
        return NULL;
    pp_pack *p = pp_xcalloc(1, sizeof(*p));
    p->name = pp_xstrdup(name);
    p->version = pp_xstrdup(version);
    p->dir = pp_xstrdup(dir);
    p->params = json_object();
    const pp_ynode *pf = pp_ymap_get(m, "params_files");
    if (pf) {
        size_t cnt = pf->kind == PP_Y_SEQ ? pf->n : 1;
        for (size_t i = 0; i < cnt; i++) {
            const pp_ynode *e = pf->kind == PP_Y_SEQ ? pf->kids[i] : pf;
            const char *rel = pp_ystr(e, "params_files entry", &l->d);
            if (!rel)
                continue;
            if (strstr(rel, "..") || rel[0] == '/') {
                pp_ydiag(&l->d, e, "params_files name files inside the pack");
                continue;
            }
            char *path = pp_xasprintf("%s/%s", dir, rel);
            if (!is_file(path)) {
                pp_ydiag(&l->d, e, "no such file '%s'", rel);
                free(path);
                continue;
            }
            pp_yfile *pfile = keep_file(l, path);
            const pp_ynode *doc = pfile ? single_doc(l, pfile, rel) : NULL;
            if (doc)
                params_map(l, doc, p->params);
            *skip = pp_xrealloc(*skip, (*n_skip + 1) * sizeof(**skip));
            (*skip)[(*n_skip)++] = path;
        }
    }
    const pp_ynode *pn = pp_ymap_get(m, "params");
    if (pn)
        params_map(l, pn, p->params);
    return p;
}

static void add_rnode(struct loader *l, const pp_ynode *n, pp_pack *p)
{
    if (n->kind != PP_Y_MAP) {
        pp_ydiag(&l->d, n, "a rule must be a mapping, not %s", pp_ydesc(n));
        return;
    }
    l->rnodes = pp_xrealloc(l->rnodes, (l->n_rnodes + 1) * sizeof(*l->rnodes));
    l->rnodes[l->n_rnodes].node = n;
    l->rnodes[l->n_rnodes].pack = p;
    l->n_rnodes++;
}

static void load_rule_file(struct loader *l, const char *path, pp_pack *p)
{
    pp_yfile *f = keep_file(l, path);
    if (!f)
        return;
    for (size_t i = 0; i < f->n_docs; i++) {
        const pp_ynode *doc = f->docs[i];
        if (pp_yis_null(doc))
            continue;
        if (doc->kind == PP_Y_SEQ)
            for (size_t k = 0; k < doc->n; k++)
                add_rnode(l, doc->kids[k], p);
        else
            add_rnode(l, doc, p);
    }
}

/* ---- environment overlays ----------------------------------------------------------------- */

/* The default a pack or rule declares for a parameter (a new reference), or NULL. */
static json_t *declared_param(struct loader *l, pp_pack *p, const char *rule_id, const char *name)
{
    json_t *v = json_object_get(p->params, name);
    if (v)
        return json_incref(v);
    for (size_t i = 0; i < l->n_rnodes; i++) {
        if (l->rnodes[i].pack != p)
            continue;
        const pp_ynode *idn = pp_ymap_get(l->rnodes[i].node, "id");
        if (rule_id && (!idn || idn->kind != PP_Y_SCALAR || strcmp(idn->s, rule_id) != 0))
            continue;
        const pp_ynode *dn = pp_ymap_get(pp_ymap_get(l->rnodes[i].node, "params"), name);
        if (dn) {
            pp_diags quiet = {0}; /* the rule's own errors are reported when it compiles */
            json_t *j = pp_yaml_json(dn, &quiet);
            if (j)
                return j;
        }
    }
    return NULL;
}

static bool same_class(const json_t *a, const json_t *b)
{
    return json_typeof(a) == json_typeof(b) || (json_is_number(a) && json_is_number(b)) ||
           (json_is_boolean(a) && json_is_boolean(b));
}

static const char *class_name(const json_t *v)
{
    if (json_is_array(v))
        return "a list";
    if (json_is_object(v))
        return "a mapping";
    if (json_is_string(v))
        return "a string";
    if (json_is_number(v))
        return "a number";
    if (json_is_boolean(v))
        return "a boolean";
    return "null";
}

/* Checks the params of an overlay mapping against what the pack (or the rule) declares. */
static json_t *overlay_params(struct loader *l, pp_pack *p, const char *rule_id, const pp_ynode *pn,
                              bool quiet_unknown)
{
    if (pn->kind != PP_Y_MAP) {
        pp_ydiag(&l->d, pn, "params must be a mapping, not %s", pp_ydesc(pn));
        return NULL;
    }
    json_t *out = json_object();
    for (size_t i = 0; i + 1 < pn->n; i += 2) {
        const char *name = pn->kids[i]->s;
        json_t *decl = declared_param(l, p, rule_id, name);
        if (!decl) {
            if (!quiet_unknown)
                pp_ydiag(&l->d, pn->kids[i], "unknown parameter '%s'%s%s", name,
                         rule_id ? " for rule " : " in pack ", rule_id ? rule_id : p->name);
            continue;
        }
        json_t *v = pp_yaml_json(pn->kids[i + 1], &l->d);
        if (v && !same_class(decl, v)) {
            pp_ydiag(&l->d, pn->kids[i + 1], "parameter '%s' is %s, not %s", name, class_name(decl),
                     class_name(v));
            json_decref(v);
            v = NULL;
        }
        json_decref(decl);
        if (v)
            json_object_set_new(out, name, v);
    }
    return out;
}

static bool rule_in_pack(struct loader *l, pp_pack *p, const char *id)
{
    for (size_t i = 0; i < l->n_rnodes; i++) {
        const pp_ynode *idn = pp_ymap_get(l->rnodes[i].node, "id");
        if ((!p || l->rnodes[i].pack == p) && idn && idn->kind == PP_Y_SCALAR &&
            strcmp(idn->s, id) == 0)
            return true;
    }
    return false;
}

/* Applies overlay document m to pack p. With several packs sharing one file, a name unknown to
 * this pack is fine as long as some pack knows it (checked by the caller). */
static void apply_overlay(struct loader *l, pp_pack *p, const pp_ynode *m, bool shared)
{
    const pp_ynode *pn = pp_ymap_get(m, "params"), *rn = pp_ymap_get(m, "rules");
    if (pn) {
        json_t *o = overlay_params(l, p, NULL, pn, shared);
        if (o) {
            if (!p->env_params)
                p->env_params = json_object();
            json_object_update(p->env_params, o);
            json_decref(o);
        }
    }
    if (rn && rn->kind != PP_Y_MAP) {
        pp_ydiag(&l->d, rn, "rules must map rule ids to {params: ...}");
        return;
    }
    for (size_t i = 0; rn && i + 1 < rn->n; i += 2) {
        const char *id = rn->kids[i]->s;
        const pp_ynode *body = rn->kids[i + 1];
        if (!rule_in_pack(l, p, id)) {
            if (!shared)
                pp_ydiag(&l->d, rn->kids[i], "no rule '%s' in pack %s", id, p->name);
            continue;
        }
        static const char *const known[] = {"params", NULL};
        if (body->kind != PP_Y_MAP) {
            pp_ydiag(&l->d, body, "expected {params: ...}");
            continue;
        }
        pp_ycheck_keys(body, known, "a rule overlay", &l->d);
        const pp_ynode *bp = pp_ymap_get(body, "params");
        if (!bp)
            continue;
        json_t *o = overlay_params(l, p, id, bp, false);
        if (o) {
            if (!p->env_rules)
                p->env_rules = json_object();
            json_object_set_new(p->env_rules, id, o);
        }
    }
}

static void load_env(struct loader *l)
{
    const char *env = l->o->env;
    static const char *const known[] = {"description", "params", "rules", NULL};
    if (!env || !*env)
        return;
    l->rs->env = pp_xstrdup(env);
    bool is_path = strchr(env, '/') || yaml_name(env);
    if (is_path) {
        if (!is_file(env)) {
            pp_diag(&l->d, env, 0, 0, "no such environment file");
            return;
        }
        pp_yfile *f = keep_file(l, env);
        const pp_ynode *m = f ? single_doc(l, f, "an environment file") : NULL;
        if (!m)
            return;
        pp_ycheck_keys(m, known, "an environment file (description, params, rules)", &l->d);
        for (size_t i = 0; i < l->rs->n_packs; i++)
            apply_overlay(l, l->rs->packs[i], m, l->rs->n_packs > 1);
        if (l->rs->n_packs > 1) {
            /* names no pack knows */
            const pp_ynode *pn = pp_ymap_get(m, "params"), *rn = pp_ymap_get(m, "rules");
            for (size_t i = 0; pn && pn->kind == PP_Y_MAP && i + 1 < pn->n; i += 2) {
                bool any = false;
                for (size_t k = 0; k < l->rs->n_packs && !any; k++) {
                    json_t *decl = declared_param(l, l->rs->packs[k], NULL, pn->kids[i]->s);
                    any = decl != NULL;
                    json_decref(decl);
                }
                if (!any)
                    pp_ydiag(&l->d, pn->kids[i], "unknown parameter '%s'", pn->kids[i]->s);
            }
            for (size_t i = 0; rn && rn->kind == PP_Y_MAP && i + 1 < rn->n; i += 2)
                if (!rule_in_pack(l, NULL, rn->kids[i]->s))
                    pp_ydiag(&l->d, rn->kids[i], "no rule '%s' in any pack", rn->kids[i]->s);
        }
        return;
    }
    for (const char *c = env; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_')) {
            pp_diag(&l->d, NULL, 0, 0, "environment '%s': a name is letters, digits, - and _", env);
            return;
        }
    bool found = false;
    for (size_t i = 0; i < l->rs->n_packs; i++) {
        pp_pack *p = l->rs->packs[i];
        char *path = pp_xasprintf("%s/environments/%s.yaml", p->dir, env);
        if (is_file(path)) {
            found = true;
            pp_yfile *f = keep_file(l, path);
            const pp_ynode *m = f ? single_doc(l, f, "an environment file") : NULL;
            if (m) {
                pp_ycheck_keys(m, known, "an environment file (description, params, rules)", &l->d);
                apply_overlay(l, p, m, false);
            }
        }
        free(path);
    }
    if (!found)
        pp_diag(&l->d, NULL, 0, 0, "environment '%s' not found (no pack has environments/%s.yaml)",
                env, env);
}

/* ---- rules ---------------------------------------------------------------------------------- */

static const char *const rule_keys[] = {
    "id",     "title",       "description", "severity", "resource", "frameworks", "where", "assert",
    "params", "remediation", "exists",      "for_each", "label",    "manual",     "error", NULL,
};

static json_t *frameworks_of(const pp_ynode *n, pp_diags *d)
{
    if (n->kind != PP_Y_MAP) {
        pp_ydiag(d, n, "frameworks maps a framework to its control ids, not %s", pp_ydesc(n));
        return NULL;
    }
    json_t *o = json_object();
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        const pp_ynode *v = n->kids[i + 1];
        json_t *ids = json_array();
        size_t cnt = v->kind == PP_Y_SEQ ? v->n : 1;
        bool ok = v->kind != PP_Y_MAP;
        for (size_t k = 0; ok && k < cnt; k++) {
            const pp_ynode *e = v->kind == PP_Y_SEQ ? v->kids[k] : v;
            /* raw text: an unquoted 5.10 stays "5.10", not the number 5.1 */
            if (e->kind != PP_Y_SCALAR || pp_yis_null(e))
                ok = false;
            else
                json_array_append_new(ids, json_string(e->s));
        }
        if (!ok) {
            pp_ydiag(d, v, "control ids of '%s' must be a list of strings", n->kids[i]->s);
            json_decref(ids);
            json_decref(o);
            return NULL;
        }
        json_object_set_new(o, n->kids[i]->s, ids);
    }
    return o;
}

static char *item_label(const pp_ynode *ln, pp_cctx *c, size_t k, const json_t *item)
{
    if (ln) {
        json_t *v = pp_value_resolve(ln, c);
        char *out = json_is_string(v) ? pp_xstrdup(json_string_value(v)) : NULL;
        if (v && !out)
            pp_ydiag(c->d, ln, "label must make a string");
        json_decref(v);
        return out;
    }
    if (json_is_string(item))
        return pp_xstrdup(json_string_value(item));
    if (json_is_integer(item))
        return pp_xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(item));
    const json_t *name = json_object_get(item, "name");
    if (json_is_string(name))
        return pp_xstrdup(json_string_value(name));
    return pp_xasprintf("%zu", k);
}

static bool action_known(const char *const *actions, const char *a)
{
    if (!actions)
        return true;
    for (const char *const *p = actions; *p; p++)
        if (strcmp(*p, a) == 0)
            return true;
    return false;
}

pp_rule *pp_rule_compile(struct pp_ruleset *rs, pp_pack *pack, const pp_ynode *n,
                         const json_t *param_overrides, pp_diags *d)
{
    int before = d->n;
    pp_rule *r = pp_xcalloc(1, sizeof(*r));
    r->meta = pp_xcalloc(1, sizeof(*r->meta));
    r->pack = pack;
    r->node = n;
    r->file = n->file;
    r->line = n->line;
    r->col = n->col;
    pp_cctx c = {.d = d, .rs = rs};
    pp_ycheck_keys(n, rule_keys, "a rule", d);

    static const char *const required[] = {"id",       "title",    "description",
                                           "severity", "resource", NULL};
    for (const char *const *k = required; *k; k++)
        if (!pp_ymap_get(n, *k))
            pp_ydiag(d, n, "rule needs '%s'", *k);
    const pp_ynode *idn = pp_ymap_get(n, "id");
    const char *id = idn ? pp_ystr(idn, "id", d) : NULL;
    if (id) {
        for (const char *p = id; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || strchr("-_.:", *p))) {
                pp_ydiag(d, idn, "rule id '%s': use letters, digits and - _ . :", id);
                break;
            }
        r->meta->id = pp_xstrdup(id);
    }
    const pp_ynode *tn = pp_ymap_get(n, "title"), *dn = pp_ymap_get(n, "description");
    const char *title = tn ? pp_ystr(tn, "title", d) : NULL;
    const char *desc = dn ? pp_ystr(dn, "description", d) : NULL;
    r->meta->title = pp_xstrdup(title);
    r->meta->description = pp_xstrdup(desc);
    r->meta->pack = pp_xstrdup(pack->name);
    r->meta->pack_version = pp_xstrdup(pack->version);
    const pp_ynode *sn = pp_ymap_get(n, "severity");
    const char *sev = sn ? pp_ystr(sn, "severity", d) : NULL;
    if (sev && pp_severity_parse(sev, &r->meta->severity) != 0)
        pp_ydiag(d, sn, "%s", pp_err_msg());
    const pp_ynode *resn = pp_ymap_get(n, "resource");
    const char *tname = resn ? pp_ystr(resn, "resource", d) : NULL;
    if (tname) {
        r->type = pp_type_find(tname);
        if (!r->type)
            pp_ydiag(d, resn, "unknown resource type '%s'", tname);
        r->meta->resource_type = pp_xstrdup(tname);
    }
    const pp_ynode *fwn = pp_ymap_get(n, "frameworks");
    r->meta->frameworks = fwn ? frameworks_of(fwn, d) : json_object();

    /* parameters: pack defaults, the rule's own, the overlay, a test case's. Layers replace
     * whole top-level values and nothing changes a value once loaded, so the rule's object can
     * share the pack's values: a deep copy of the reference pack's architecture per rule was
     * most of the time of loading the packs. */
    r->params = json_copy(pack->params);
    const pp_ynode *pn = pp_ymap_get(n, "params");
    if (pn) {
        if (pn->kind != PP_Y_MAP) {
            pp_ydiag(d, pn, "params must be a mapping, not %s", pp_ydesc(pn));
        } else {
            json_t *o = pp_yaml_json(pn, d);
            if (o)
                json_object_update(r->params, o);
            json_decref(o);
        }
    }
    if (pack->env_params) {
        const char *k;
        json_t *v;
        json_object_foreach(pack->env_params, k, v)
        {
            if (json_object_get(r->params, k))
                json_object_set(r->params, k, v);
        }
    }
    if (id && pack->env_rules && json_object_get(pack->env_rules, id))
        json_object_update(r->params, json_object_get(pack->env_rules, id));
    if (param_overrides)
        json_object_update(r->params, (json_t *)param_overrides);
    c.params = r->params;

    const pp_ynode *mn = pp_ymap_get(n, "manual"), *en = pp_ymap_get(n, "error"),
                   *an = pp_ymap_get(n, "assert"), *wn = pp_ymap_get(n, "where"),
                   *xn = pp_ymap_get(n, "exists"), *fen = pp_ymap_get(n, "for_each"),
                   *ln = pp_ymap_get(n, "label"), *remn = pp_ymap_get(n, "remediation");
    int kinds = (mn != NULL) + (en != NULL) + (an != NULL);
    if (kinds != 1)
        pp_ydiag(d, n,
                 "a rule has exactly one of assert, manual (MANUAL) or error (ERROR with a "
                 "reason)");
    if (mn) {
        json_t *b = pp_yaml_json(mn, d);
        if (!json_is_true(b))
            pp_ydiag(d, mn, "manual takes true");
        json_decref(b);
        r->kind = PP_RULE_MANUAL;
    } else if (en) {
        const char *reason = pp_ystr(en, "error", d);
        r->reason = pp_xstrdup(reason);
        r->kind = PP_RULE_ERROR;
    }
    if ((mn || en) && (wn || xn || fen)) {
        const pp_ynode *bad = wn ? wn : xn ? xn : fen;
        pp_ydiag(d, bad, "a %s rule takes no where, exists or for_each", mn ? "manual" : "error");
    }
    if (xn) {
        const char *s = pp_ystr(xn, "exists", d);
        if (s && strcmp(s, "region") == 0)
            r->per_region = true;
        else if (s && strcmp(s, "account") != 0)
            pp_ydiag(d, xn, "exists is account or region");
        if (r->per_region && r->type && r->type->global)
            pp_ydiag(d, xn, "%s is global: its existence is per account", r->type->name);
        if (an)
            r->kind = PP_RULE_EXISTS;
    }
    if ((fen || ln) && !xn)
        pp_ydiag(d, fen ? fen : ln, "%s only goes with exists", fen ? "for_each" : "label");
    if (ln && !fen)
        pp_ydiag(d, ln, "label only goes with for_each");

    r->n_items = 1;
    if (fen && xn) {
        r->items = pp_value_resolve(fen, &c);
        if (r->items && (!json_is_array(r->items) || !json_array_size(r->items))) {
            pp_ydiag(d, fen, "for_each needs a non-empty list");
            json_decref(r->items);
            r->items = NULL;
        }
        if (r->items) {
            r->n_items = json_array_size(r->items);
            r->labels = pp_xcalloc(r->n_items, sizeof(*r->labels));
        }
    }
    r->wheres = pp_xcalloc(r->n_items, sizeof(*r->wheres));
    r->asserts = pp_xcalloc(r->n_items, sizeof(*r->asserts));
    c.type = r->type;
    c.rule_type = r->type;
    if (an && r->type) {
        for (size_t k = 0; k < r->n_items; k++) {
            c.item = r->items ? json_array_get(r->items, k) : NULL;
            c.has_item = r->items != NULL;
            if (r->labels) {
                r->labels[k] = item_label(ln, &c, k, c.item);
                if (!r->labels[k])
                    r->labels[k] = pp_xasprintf("%zu", k);
            }
            if (wn)
                r->wheres[k] = pp_cond_compile(wn, &c);
            r->asserts[k] = pp_cond_compile(an, &c);
            if (d->n > before)
                break; /* the same error for every item says nothing new */
        }
    }
    if (remn) {
        if (remn->kind != PP_Y_MAP) {
            pp_ydiag(d, remn, "remediation must be a mapping {action: NAME, ...}");
        } else {
            const pp_ynode *act = pp_ymap_get(remn, "action");
            const char *a = act ? pp_ystr(act, "remediation action", d) : NULL;
            if (!act)
                pp_ydiag(d, remn, "remediation needs an action");
            else if (a && !action_known(rs->actions, a))
                pp_ydiag(d, act, "unknown remediation action '%s'", a);
            r->meta->remediation = pp_value_resolve(remn, &c);
        }
    }
    if (d->n > before) {
        pp_rule_free(r);
        return NULL;
    }
    return r;
}

int pp_rules_load_internal(pp_ruleset **out, const pp_rules_options *o, bool tests, pp_buf *diags)
{
    *out = NULL;
    struct loader l = {.o = o, .tests = tests};
    l.d.out = diags;
    l.rs = pp_xcalloc(1, sizeof(*l.rs));
    l.rs->packs_json = json_array();
    l.rs->actions = o ? o->actions : NULL;
    const char *const *dirs = o && o->dirs ? o->dirs : pp_rules_default_dirs();
    char **pack_dirs = NULL;
    size_t n_pack_dirs = 0;
    for (size_t i = 0; dirs[i]; i++)
        find_packs(&l, dirs[i], &pack_dirs, &n_pack_dirs);
    if (!n_pack_dirs && !l.d.n)
        pp_diag(&l.d, NULL, 0, 0, "no policy packs to load");
    char **test_files = NULL;
    size_t n_test_files = 0;
    for (size_t i = 0; i < n_pack_dirs; i++) {
        char **skip = NULL, **rule_files = NULL;
        size_t n_skip = 0, n_rule_files = 0;
        pp_pack *p = load_pack(&l, pack_dirs[i], &skip, &n_skip);
        if (!p) {
            for (size_t s = 0; s < n_skip; s++)
                free(skip[s]);
            free(skip);
            continue;
        }
        for (size_t k = 0; k < l.rs->n_packs; k++)
            if (strcmp(l.rs->packs[k]->name, p->name) == 0)
                pp_diag(&l.d, pack_dirs[i], 0, 0, "pack '%s' is loaded twice (also %s)", p->name,
                        l.rs->packs[k]->dir);
        l.rs->packs = pp_xrealloc(l.rs->packs, (l.rs->n_packs + 1) * sizeof(*l.rs->packs));
        l.rs->packs[l.rs->n_packs++] = p;
        json_array_append_new(l.rs->packs_json, json_pack("{s:s, s:s, s:s}", "name", p->name,
                                                          "version", p->version, "path", p->dir));
        collect_files(&l, pack_dirs[i], "", 0, &rule_files, &n_rule_files, &test_files,
                      &n_test_files);
        for (size_t k = 0; k < n_rule_files; k++) {
            bool skipped = false;
            for (size_t s = 0; s < n_skip && !skipped; s++)
                skipped = strcmp(skip[s], rule_files[k]) == 0;
            if (!skipped)
                load_rule_file(&l, rule_files[k], p);
            free(rule_files[k]);
        }
        free(rule_files);
        for (size_t s = 0; s < n_skip; s++)
            free(skip[s]);
        free(skip);
    }
    load_env(&l);
    /* compiled even after errors elsewhere, so one run reports every problem */
    for (size_t i = 0; i < l.n_rnodes; i++) {
        const pp_ynode *n = l.rnodes[i].node;
        pp_rule *r = pp_rule_compile(l.rs, l.rnodes[i].pack, n, NULL, &l.d);
        const pp_ynode *idn = pp_ymap_get(n, "id");
        for (size_t k = 0; idn && idn->kind == PP_Y_SCALAR && k < i; k++) {
            const pp_ynode *other = pp_ymap_get(l.rnodes[k].node, "id");
            if (other && other->kind == PP_Y_SCALAR && strcmp(other->s, idn->s) == 0) {
                pp_ydiag(&l.d, idn, "duplicate rule id '%s' (first at %s:%d:%d)", idn->s,
                         l.rnodes[k].node->file, l.rnodes[k].node->line, l.rnodes[k].node->col);
                break;
            }
        }
        if (!r)
            continue;
        l.rs->rules = pp_xrealloc(l.rs->rules, (l.rs->n_rules + 1) * sizeof(*l.rs->rules));
        l.rs->rules[l.rs->n_rules++] = r;
    }
    if (o && o->suppressions) {
        pp_suppressions *sup = NULL;
        pp_buf sd;
        pp_buf_init(&sd, 0);
        if (pp_suppressions_load(o->suppressions, &sup, &sd) != 0) {
            l.d.n++;
            if (diags)
                pp_buf_puts(diags, pp_buf_cstr(&sd));
        }
        pp_buf_free(&sd);
        l.rs->sup = sup;
    }
    if (tests && l.d.n == 0) {
        for (size_t i = 0; i < n_test_files; i++)
            pp_rules_tests_load(l.rs, test_files[i], &l.d);
        if (o && o->check_tests)
            pp_rules_tests_check_coverage(l.rs, &l.d);
    }
    for (size_t i = 0; i < n_test_files; i++)
        free(test_files[i]);
    free(test_files);
    for (size_t i = 0; i < n_pack_dirs; i++)
        free(pack_dirs[i]);
    free(pack_dirs);
    free(l.rnodes);
    l.rs->actions = NULL; /* the caller's array need not outlive the load */
    if (l.d.n) {
        pp_ruleset_free(l.rs);
        return pp_err_set(PP_EINVAL, "%d error%s in the policy packs", l.d.n,
                          l.d.n == 1 ? "" : "s");
    }
    *out = l.rs;
    return 0;
}

int pp_rules_load(pp_ruleset **out, const pp_rules_options *o, pp_buf *diags)
{
    if (!out)
        return pp_err_set(PP_EINVAL, "pp_rules_load: missing argument");
    return pp_rules_load_internal(out, o, o && o->check_tests, diags);
}
