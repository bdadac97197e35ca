/* The evaluator: compiled rules over an inventory into findings. Each rule walks only the
 * resources of its type; joins look related resources up in hash indexes built once per
 * evaluation; rules are shared out between worker threads and their findings merged in rule
 * order, so the output does not depend on the thread count.
 *
 * Conditions are three-valued plus ERROR (Kleene logic): a branch that could not be evaluated
 * (missing data, wrong type, a failed collection) or depends on a value unknown until a
 * Terraform apply only decides the result when the other branches do not. So a rule never turns
 * missing data into a silent PASS or FAIL, yet `any: [inactive, recent]` still passes an
 * inactive key whose date reads "N/A". */
#include "rules_int.h"

#include <fnmatch.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { TV_FALSE = 0, TV_TRUE = 1, TV_UNKNOWN = 2, TV_ERROR = 3 } tv;

/* ---- a small string-keyed hash map ------------------------------------------------------ */

struct hent {
    char *key;
    uint64_t hash;
    void *val;
    struct hent *next;
};

struct hmap {
    struct hent **tab;
    size_t cap, n;
};

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct hent *hmap_find(const struct hmap *m, const char *key)
{
    if (!m->cap)
        return NULL;
    uint64_t h = fnv(key);
    for (struct hent *e = m->tab[h & (m->cap - 1)]; e; e = e->next)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static struct hent *hmap_put(struct hmap *m, const char *key)
{
    struct hent *e = hmap_find(m, key);
    if (e)
        return e;
    if (m->n + 1 > m->cap / 2) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        struct hent **tab = pp_xcalloc(cap, sizeof(*tab));
        for (size_t i = 0; i < m->cap; i++)
            for (struct hent *x = m->tab[i], *next; x; x = next) {
                next = x->next;
                x->next = tab[x->hash & (cap - 1)];
                tab[x->hash & (cap - 1)] = x;
            }
        free(m->tab);
        m->tab = tab;
        m->cap = cap;
    }
    e = pp_xcalloc(1, sizeof(*e));
    e->key = pp_xstrdup(key);
    e->hash = fnv(key);
    e->next = m->tab[e->hash & (m->cap - 1)];
    m->tab[e->hash & (m->cap - 1)] = e;
    m->n++;
    return e;
}

static void hmap_free(struct hmap *m, void (*free_val)(void *))
{
    for (size_t i = 0; i < m->cap; i++)
        for (struct hent *x = m->tab[i], *next; x; x = next) {
            next = x->next;
            if (free_val)
                free_val(x->val);
            free(x->key);
            free(x);
        }
    free(m->tab);
    memset(m, 0, sizeof(*m));
}

struct rlist {
    const pp_resource **v;
    size_t n, cap;
};

static void rlist_add(struct rlist *l, const pp_resource *r)
{
    if (l->n && l->v[l->n - 1] == r) /* several keys of one resource */
        return;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->v = pp_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = r;
}

static void rlist_free(void *p)
{
    struct rlist *l = p;
    if (l)
        free(l->v);
    free(l);
}

/* ---- evaluation state ---------------------------------------------------------------------- */

struct jindex {
    struct hmap keys;     /* scope \x1e key -> struct rlist */
    struct hmap coverage; /* scope -> "why" (a collection error for the type there) */
    struct hmap unknown;  /* scope -> resources whose key is unknown until apply */
    struct hmap errors;   /* scope -> resources whose key could not be collected */
};

struct scope;

struct estate {
    const pp_ruleset *rs;
    const pp_inventory *inv;
    time_t now;
    struct jindex *idx;
    const struct scope *scopes[2]; /* assessed accounts [0] and account/regions [1] */
    size_t n_scopes[2];
    pcre2_match_data *md;
    const pp_resource *top; /* the resource the finding is about */
    char msg[768];          /* why the last ERROR or UNKNOWN */
};

struct ctx {
    struct estate *es;
    const pp_resource *res;
    const json_t *cur, *cur_unk;
    bool at_root;
    const struct ctx *parent;
    const pp_path *via;  /* the path that reached cur from parent */
    const long *via_idx; /* indices of via's [] segments */
};

static tv set_msg(struct estate *es, tv t, const char *fmt, ...) PP_PRINTF(3, 4);

static tv set_msg(struct estate *es, tv t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(es->msg, sizeof(es->msg), fmt, ap);
    va_end(ap);
    return t;
}

static void fmt_segs(pp_buf *b, const pp_path *p, size_t upto, const long *idx)
{
    size_t k = 0;
    for (size_t i = 0; i < upto && i < p->n; i++) {
        const pp_pseg *s = &p->segs[i];
        if (s->kind == PP_SEG_KEY) {
            if (b->len)
                pp_buf_putc(b, '.');
            pp_buf_puts(b, s->key);
        } else if (s->kind == PP_SEG_EACH) {
            pp_buf_printf(b, "[%ld]", idx ? idx[k] : 0L);
            k++;
        } else {
            pp_buf_printf(b, "[%ld]", s->index);
        }
    }
}

/* The concrete path of the current element ("IpPermissions[2]"), "" at a resource's root. */
static void fmt_ctx(const struct ctx *c, pp_buf *b)
{
    if (!c->parent)
        return;
    if (!c->via->root)
        fmt_ctx(c->parent, b);
    fmt_segs(b, c->via, c->via->n, c->via_idx);
}

/* "AWS::EC2::FlowLog fl-1: " when the context is a joined resource, else "". */
static void fmt_label(const struct ctx *c, char *out, size_t len)
{
    while (c->parent)
        c = c->parent;
    if (c->res != c->es->top)
        snprintf(out, len, "%s %s: ", c->res->type, c->res->id ? c->res->id : "?");
    else
        out[0] = '\0';
}

static char *ctx_path(const struct ctx *c, const pp_path *p, size_t upto, const long *idx)
{
    pp_buf b;
    pp_buf_init(&b, 0);
    if (p && p->top)
        pp_buf_puts(&b, "$$");
    else if (!p || !p->root)
        fmt_ctx(c, &b);
    if (p)
        fmt_segs(&b, p, upto, idx);
    return pp_buf_steal(&b);
}

/* Compact JSON for messages, cut at ~80 bytes. */
static void short_json(const json_t *v, char *out, size_t len)
{
    if (!v) {
        snprintf(out, len, "missing");
        return;
    }
    if (json_is_string(v)) {
        snprintf(out, len, "'%.*s%s'", 72, json_string_value(v),
                 json_string_length(v) > 72 ? "..." : "");
        return;
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    snprintf(out, len, "%.*s%s", 76, s ? s : "?", s && strlen(s) > 76 ? "..." : "");
    free(s);
}

static void ev_add(json_t *ev, const char *path, const json_t *value, const char *msg)
{
    if (!ev || json_array_size(ev) >= PP_EVIDENCE_MAX)
        return;
    json_t *o = json_object();
    if (path && *path)
        json_object_set_new(o, "path", json_string(path));
    if (value)
        json_object_set_new(o, "value", json_deep_copy(value));
    json_object_set_new(o, "message", json_string(msg));
    json_array_append_new(ev, o);
}

static bool deep_has_true(const json_t *u)
{
    if (json_is_true(u))
        return true;
    size_t i;
    const char *k;
    json_t *v;
    if (json_is_array(u))
        json_array_foreach(u, i, v)
        {
            if (deep_has_true(v))
                return true;
        }
    if (json_is_object(u))
        json_object_foreach((json_t *)u, k, v)
        {
            if (deep_has_true(v))
                return true;
        }
    return false;
}

/* ---- path walking ---------------------------------------------------------------------------- */

enum { IT_OK = 0, IT_MISSING, IT_UNKNOWN, IT_ERROR };

struct item {
    const json_t *v, *unk;
    int st;
    long idx[16];
    size_t n_idx;
    size_t seg; /* where the walk stopped (missing / unknown / error), else p->n */
};

typedef bool (*visit_fn)(struct ctx *c, const pp_path *p, struct item *it, void *ud);

struct walk {
    struct ctx *c;
    const pp_path *p;
    const pp_resource *res; /* whose document the walk starts in */
    bool from_root;
    visit_fn fn;
    void *ud;
    struct item it;
    bool stop;
};

static void emit(struct walk *w, size_t seg, const json_t *v, const json_t *unk, int st)
{
    w->it.v = v;
    w->it.unk = unk;
    w->it.st = st;
    w->it.seg = seg;
    if (st == IT_UNKNOWN) {
        char *path = ctx_path(w->c, w->p, seg, w->it.idx);
        char label[160];
        fmt_label(w->c, label, sizeof(label));
        set_msg(w->c->es, TV_UNKNOWN, "%s%s is unknown until apply", label, path);
        free(path);
    }
    if (w->fn(w->c, w->p, &w->it, w->ud))
        w->stop = true;
}

static void walk_error(struct walk *w, size_t seg, const char *what)
{
    char *path = ctx_path(w->c, w->p, seg, w->it.idx);
    char label[160];
    fmt_label(w->c, label, sizeof(label));
    set_msg(w->c->es, TV_ERROR, "%s%s: %s", label, *path ? path : "document", what);
    free(path);
    emit(w, seg, NULL, NULL, IT_ERROR);
}

static const char *jtype(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "a list";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

static void walk_rec(struct walk *w, size_t i, const json_t *v, const json_t *unk)
{
    if (w->stop)
        return;
    if (json_is_true(unk)) {
        emit(w, i, v, unk, IT_UNKNOWN);
        return;
    }
    if (!v || json_is_null(v)) {
        emit(w, i, NULL, NULL, IT_MISSING);
        return;
    }
    if (i == w->p->n) {
        emit(w, i, v, unk, IT_OK);
        return;
    }
    const pp_pseg *s = &w->p->segs[i];
    char what[200];
    switch (s->kind) {
    case PP_SEG_KEY: {
        if (i == 0 && w->from_root && w->res->errors) {
            const json_t *e = json_object_get(w->res->errors, s->key);
            if (e) {
                snprintf(what, sizeof(what), "could not be collected (%s)",
                         json_is_string(e) ? json_string_value(e) : "error");
                walk_error(w, 1, what);
                return;
            }
        }
        if (!json_is_object(v)) {
            snprintf(what, sizeof(what), "expected an object, got %s", jtype(v));
            walk_error(w, i, what);
            return;
        }
        walk_rec(w, i + 1, json_object_getn(v, s->key, s->key_len),
                 json_is_object(unk) ? json_object_getn(unk, s->key, s->key_len) : NULL);
        return;
    }
    case PP_SEG_EACH: {
        if (w->it.n_idx >= 16) {
            walk_error(w, i, "too many nested lists");
            return;
        }
        if (json_is_array(v)) {
            for (size_t k = 0; k < json_array_size(v) && !w->stop; k++) {
                w->it.idx[w->it.n_idx++] = (long)k;
                walk_rec(w, i + 1, json_array_get(v, k),
                         json_is_array(unk) ? json_array_get(unk, k) : NULL);
                w->it.n_idx--;
            }
        } else if (s->promote) {
            w->it.idx[w->it.n_idx++] = 0;
            walk_rec(w, i + 1, v, unk);
            w->it.n_idx--;
        } else {
            snprintf(what, sizeof(what), "expected a list, got %s", jtype(v));
            walk_error(w, i, what);
        }
        return;
    }
    case PP_SEG_INDEX:
        if (!json_is_array(v)) {
            snprintf(what, sizeof(what), "expected a list, got %s", jtype(v));
            walk_error(w, i, what);
            return;
        }
        walk_rec(w, i + 1, json_array_get(v, (size_t)s->index),
                 json_is_array(unk) ? json_array_get(unk, (size_t)s->index) : NULL);
        return;
    }
}

static void walk(struct ctx *c, const pp_path *p, visit_fn fn, void *ud)
{
    struct walk w = {.c = c, .p = p, .fn = fn, .ud = ud};
    w.res = p->top ? c->es->top : c->res;
    const json_t *base = p->root ? w.res->doc : c->cur;
    const json_t *unk = p->root ? w.res->unknown : c->cur_unk;
    w.from_root = p->root || c->at_root;
    walk_rec(&w, 0, base, unk);
}

static bool take_first(struct ctx *c, const pp_path *p, struct item *it, void *ud)
{
    (void)c;
    (void)p;
    *(struct item *)ud = *it;
    return true;
}

/* The single item a single-valued path yields (or the current element without a path). */
static void resolve1(struct ctx *c, const pp_cond *n, bool has_path, const pp_path *p,
                     struct item *out)
{
    memset(out, 0, sizeof(*out));
    if (!has_path) {
        out->v = c->cur;
        out->unk = c->cur_unk;
        out->st = json_is_true(c->cur_unk)            ? IT_UNKNOWN
                  : (!c->cur || json_is_null(c->cur)) ? IT_MISSING
                                                      : IT_OK;
        if (out->st == IT_UNKNOWN) {
            char *path = ctx_path(c, NULL, 0, NULL);
            set_msg(c->es, TV_UNKNOWN, "%s is unknown until apply", *path ? path : "value");
            free(path);
        }
        return;
    }
    (void)n;
    out->st = IT_MISSING;
    walk(c, p, take_first, out);
}

/* ---- comparisons ----------------------------------------------------------------------------- */

static int jclass(const json_t *v)
{
    if (json_is_number(v))
        return 1;
    if (json_is_string(v))
        return 2;
    if (json_is_boolean(v))
        return 3;
    if (json_is_array(v))
        return 4;
    if (json_is_object(v))
        return 5;
    return 0;
}

static bool jeq(const json_t *a, const json_t *b, bool icase)
{
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        return json_number_value(a) == json_number_value(b);
    }
    if (json_is_string(a) && json_is_string(b)) {
        size_t la = json_string_length(a), lb = json_string_length(b);
        if (la != lb)
            return false;
        return icase ? strncasecmp(json_string_value(a), json_string_value(b), la) == 0
                     : memcmp(json_string_value(a), json_string_value(b), la) == 0;
    }
    return json_equal((json_t *)a, (json_t *)b);
}

/* A concrete path formatted only when a message or evidence needs it: most comparisons are
 * decided without one, and formatting is most of their cost otherwise. */
struct lpath {
    const struct ctx *c;
    const pp_path *p; /* NULL: the current element */
    size_t upto;
    const long *idx;
    char *s;
    const char *fixed; /* a constant text instead */
};

static const char *lp_get(struct lpath *l)
{
    if (l->fixed)
        return l->fixed;
    if (!l->s)
        l->s = ctx_path(l->c, l->p, l->upto, l->idx);
    return l->s;
}

static void lp_free(struct lpath *l)
{
    free(l->s);
    l->s = NULL;
}

static tv type_error(struct ctx *c, struct lpath *lp, const json_t *v, const char *want)
{
    char label[160];
    fmt_label(c, label, sizeof(label));
    const char *path = lp_get(lp);
    return set_msg(c->es, TV_ERROR, "%s%s is %s, the rule expects %s", label,
                   *path ? path : "value", jtype(v), want);
}

static tv cidr_subject(struct ctx *c, struct lpath *lp, const json_t *v, pp_cidr *out)
{
    if (!json_is_string(v))
        return type_error(c, lp, v, "a CIDR");
    if (pp_cidr_parse(json_string_value(v), out) != 0) {
        char label[160];
        fmt_label(c, label, sizeof(label));
        return set_msg(c->es, TV_ERROR, "%s%s: '%s' is not a CIDR", label, lp_get(lp),
                       json_string_value(v));
    }
    return TV_TRUE;
}

static json_t *strip_space(const json_t *v)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v), o = 0;
    char *buf = pp_xmalloc(len + 1);
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            buf[o++] = s[i];
    json_t *out = json_stringn(buf, o);
    free(buf);
    return out;
}

static tv apply_op(struct ctx *c, const pp_cond *n, struct lpath *path, const json_t *v,
                   const json_t *want);

/* ignore_space: compares the strings with their whitespace taken out */
static tv apply_op_nospace(struct ctx *c, const pp_cond *n, struct lpath *path, const json_t *v,
                           const json_t *want)
{
    json_t *a = json_is_string(v) ? strip_space(v) : json_incref((json_t *)v);
    json_t *b = json_is_string(want) ? strip_space(want) : json_incref((json_t *)want);
    pp_cond plain = *n;
    plain.nospace = false;
    tv r = apply_op(c, &plain, path, a, b);
    json_decref(a);
    json_decref(b);
    return r;
}

static tv apply_op(struct ctx *c, const pp_cond *n, struct lpath *path, const json_t *v,
                   const json_t *want)
{
    if (n->nospace)
        return apply_op_nospace(c, n, path, v, want);
    switch (n->op) {
    case PP_OP_EQ:
    case PP_OP_NE: {
        if (jclass(v) != jclass(want))
            return type_error(c, path, v, jtype(want));
        bool eq = jeq(v, want, n->icase);
        return (n->op == PP_OP_EQ) == eq ? TV_TRUE : TV_FALSE;
    }
    case PP_OP_LT:
    case PP_OP_LE:
    case PP_OP_GT:
    case PP_OP_GE: {
        if (!json_is_number(v))
            return type_error(c, path, v, "a number");
        if (!json_is_number(want)) {
            struct lpath other = {.fixed = "the value to compare with"};
            return type_error(c, &other, want, "a number");
        }
        double a = json_number_value(v), b = json_number_value(want);
        bool r = n->op == PP_OP_LT   ? a < b
                 : n->op == PP_OP_LE ? a <= b
                 : n->op == PP_OP_GT ? a > b
                                     : a >= b;
        return r ? TV_TRUE : TV_FALSE;
    }
    case PP_OP_IN:
    case PP_OP_NOT_IN: {
        bool same = false, found = false;
        size_t i;
        json_t *e;
        json_array_foreach(want, i, e)
        {
            if (jclass(e) != jclass(v))
                continue;
            same = true;
            if (jeq(v, e, n->icase)) {
                found = true;
                break;
            }
        }
        if (!same)
            return type_error(c, path, v, "a value like those of the list");
        return (n->op == PP_OP_IN) == found ? TV_TRUE : TV_FALSE;
    }
    case PP_OP_CONTAINS:
        if (json_is_string(v)) {
            if (!json_is_string(want)) {
                struct lpath other = {.fixed = "the value to look for"};
                return type_error(c, &other, want, "a string");
            }
            const char *h = json_string_value(v), *nd = json_string_value(want);
            return (n->icase ? strcasestr(h, nd) : strstr(h, nd)) ? TV_TRUE : TV_FALSE;
        }
        if (json_is_array(v)) {
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e)
            {
                if (jclass(e) == jclass(want) && jeq(e, want, n->icase))
                    return TV_TRUE;
            }
            return TV_FALSE;
        }
        return type_error(c, path, v, "a string or a list");
    case PP_OP_REGEX: {
        if (!json_is_string(v))
            return type_error(c, path, v, "a string");
        int rc = pcre2_match(n->re, (PCRE2_SPTR)json_string_value(v), json_string_length(v), 0, 0,
                             c->es->md, NULL);
        if (rc >= 0)
            return TV_TRUE;
        if (rc == PCRE2_ERROR_NOMATCH)
            return TV_FALSE;
        return set_msg(c->es, TV_ERROR, "%s: regex match failed (PCRE2 error %d)", lp_get(path),
                       rc);
    }
    case PP_OP_GLOB:
        if (!json_is_string(v))
            return type_error(c, path, v, "a string");
        return fnmatch(json_string_value(want), json_string_value(v),
                       n->icase ? FNM_CASEFOLD : 0) == 0
                   ? TV_TRUE
                   : TV_FALSE;
    case PP_OP_CIDR_CONTAINS:
    case PP_OP_CIDR_WITHIN:
    case PP_OP_CIDR_OVERLAPS: {
        pp_cidr s;
        tv t = cidr_subject(c, path, v, &s);
        if (t != TV_TRUE)
            return t;
        pp_cidr tmp;
        const pp_cidr *list = n->cidrs;
        size_t count = n->n_cidrs;
        if (n->has_value_path) { /* the other side comes from the document */
            struct lpath other = {.fixed = "value_path"};
            t = cidr_subject(c, &other, want, &tmp);
            if (t != TV_TRUE)
                return t;
            list = &tmp;
            count = 1;
        }
        for (size_t i = 0; i < count; i++) {
            bool r = n->op == PP_OP_CIDR_CONTAINS ? pp_cidr_contains(&s, &list[i])
                     : n->op == PP_OP_CIDR_WITHIN ? pp_cidr_contains(&list[i], &s)
                                                  : pp_cidr_overlaps(&s, &list[i]);
            if (r)
                return TV_TRUE;
        }
        return TV_FALSE;
    }
    case PP_OP_OPEN_TO_WORLD: {
        pp_cidr s;
        tv t = cidr_subject(c, path, v, &s);
        if (t != TV_TRUE)
            return t;
        return s.prefix == 0 ? TV_TRUE : TV_FALSE;
    }
    default:
        return set_msg(c->es, TV_ERROR, "operator not applicable");
    }
}

static tv eval_cmp(struct ctx *c, const pp_cond *n, json_t *ev)
{
    struct estate *es = c->es;
    struct item it;
    resolve1(c, n, n->has_path, &n->path, &it);
    if (it.st == IT_ERROR)
        return TV_ERROR;
    if (it.st == IT_UNKNOWN)
        return TV_UNKNOWN;
    struct lpath lp = {
        c, n->has_path ? &n->path : NULL, n->has_path ? n->path.n : 0, it.idx, NULL, NULL};
    const json_t *v = it.st == IT_MISSING ? NULL : it.v;
    json_t *tmp = NULL;
    tv r;
    char label[160] = "";
    if (n->subj == PP_SUBJ_VALUE &&
        (n->op == PP_OP_PRESENT || n->op == PP_OP_ABSENT || n->op == PP_OP_EMPTY)) {
        bool empty = !v || (json_is_string(v) && json_string_length(v) == 0) ||
                     (json_is_array(v) && json_array_size(v) == 0) ||
                     (json_is_object(v) && json_object_size(v) == 0);
        r = n->op == PP_OP_PRESENT  ? (v ? TV_TRUE : TV_FALSE)
            : n->op == PP_OP_ABSENT ? (v ? TV_FALSE : TV_TRUE)
                                    : (empty ? TV_TRUE : TV_FALSE);
        if (ev) {
            char msg[512];
            const char *path = lp_get(&lp);
            fmt_label(c, label, sizeof(label));
            snprintf(msg, sizeof(msg), "%s%s is %s", label, *path ? path : "value",
                     !v      ? "missing"
                     : empty ? "empty"
                             : "present");
            ev_add(ev, path, v, msg);
        }
        goto _exit;
    }
    if (!v) {
        if (!n->dflt) {
            const char *path = lp_get(&lp);
            fmt_label(c, label, sizeof(label));
            r = set_msg(es, TV_ERROR, "%s%s is missing", label, *path ? path : "value");
            goto _exit;
        }
        v = n->dflt;
    }
    if (n->subj == PP_SUBJ_AGE_DAYS) {
        time_t t;
        if (json_is_number(v)) {
            t = (time_t)json_number_value(v);
        } else if (!json_is_string(v) || pp_time_parse(json_string_value(v), &t) != 0) {
            fmt_label(c, label, sizeof(label));
            r = json_is_string(v) ? set_msg(es, TV_ERROR, "%s%s: '%s' is not a timestamp", label,
                                            lp_get(&lp), json_string_value(v))
                                  : type_error(c, &lp, v, "a timestamp");
            goto _exit;
        }
        tmp = json_integer((json_int_t)floor((double)(es->now - t) / 86400.0));
        v = tmp;
    } else if (n->subj == PP_SUBJ_LENGTH) {
        size_t len;
        if (json_is_array(v))
            len = json_array_size(v);
        else if (json_is_object(v))
            len = json_object_size(v);
        else if (json_is_string(v))
            len = json_string_length(v);
        else {
            r = type_error(c, &lp, v, "a list, an object or a string");
            goto _exit;
        }
        tmp = json_integer((json_int_t)len);
        v = tmp;
    }
    const json_t *want = n->value;
    if (n->has_value_path) {
        struct item w2;
        resolve1(c, n, true, &n->value_path, &w2);
        if (w2.st == IT_ERROR || w2.st == IT_UNKNOWN) {
            r = w2.st == IT_ERROR ? TV_ERROR : TV_UNKNOWN;
            goto _exit;
        }
        if (w2.st == IT_MISSING) {
            char *vp = ctx_path(c, &n->value_path, n->value_path.n, w2.idx);
            fmt_label(c, label, sizeof(label));
            r = set_msg(es, TV_ERROR, "%s%s is missing", label, vp);
            free(vp);
            goto _exit;
        }
        want = w2.v;
    }
    r = apply_op(c, n, &lp, v, want);
    if (ev && r != TV_ERROR) {
        char got[96], exp[96], msg[512];
        const char *path = lp_get(&lp);
        fmt_label(c, label, sizeof(label));
        short_json(v, got, sizeof(got));
        short_json(want, exp, sizeof(exp));
        const char *subj = n->subj == PP_SUBJ_AGE_DAYS ? "age in days of "
                           : n->subj == PP_SUBJ_LENGTH ? "length of "
                                                       : "";
        if (n->op == PP_OP_OPEN_TO_WORLD)
            snprintf(msg, sizeof(msg), "%s%s is %s%s", label, path, got,
                     r == TV_TRUE ? " (open to the world)" : "");
        else
            snprintf(msg, sizeof(msg), "%s%s%s is %s, %s %s %s", label, subj,
                     *path ? path : "value", got, r == TV_TRUE ? "matching" : "expected",
                     pp_op_names[n->op], exp);
        ev_add(ev, path, v, msg);
    }
_exit:
    json_decref(tmp);
    lp_free(&lp);
    return r;
}

/* ---- boolean structure ------------------------------------------------------------------- */

static tv eval(struct ctx *c, const pp_cond *n, json_t *ev);

static tv worst(tv a, tv b)
{
    return a == TV_ERROR || b == TV_ERROR ? TV_ERROR : TV_UNKNOWN;
}

static tv eval_bool(struct ctx *c, const pp_cond *n, json_t *ev)
{
    /* decided: the value that settles the node (all: FALSE, any: TRUE, none: TRUE of a kid) */
    bool is_all = n->kind == PP_C_ALL;
    tv decisive = is_all ? TV_FALSE : TV_TRUE;
    bool decided = false, pending = false;
    tv pend = TV_UNKNOWN;
    json_t **kid_ev = ev ? pp_xcalloc(n->n, sizeof(*kid_ev)) : NULL;
    tv *res = ev ? pp_xcalloc(n->n, sizeof(*res)) : NULL;
    size_t done = 0;
    for (size_t i = 0; i < n->n && !decided; i++) {
        if (ev)
            kid_ev[i] = json_array();
        tv r = eval(c, n->kids[i], ev ? kid_ev[i] : NULL);
        if (ev)
            res[i] = r;
        done = i + 1;
        if (r == decisive)
            decided = true;
        else if (r == TV_UNKNOWN || r == TV_ERROR) {
            pend = pending ? worst(pend, r) : r;
            pending = true;
        }
    }
    tv out;
    if (decided)
        out = n->kind == PP_C_ALL ? TV_FALSE : n->kind == PP_C_ANY ? TV_TRUE : TV_FALSE;
    else if (pending)
        out = pend;
    else
        out = n->kind == PP_C_ALL ? TV_TRUE : n->kind == PP_C_ANY ? TV_FALSE : TV_TRUE;
    if (ev) {
        for (size_t i = 0; i < done; i++) {
            /* decided: only the kids that decided explain it; otherwise every kid does */
            if (!decided || res[i] == decisive)
                json_array_extend(ev, kid_ev[i]);
            json_decref(kid_ev[i]);
        }
        free(kid_ev);
        free(res);
    }
    return out;
}

/* ---- quantifiers --------------------------------------------------------------------------- */

struct qitem {
    char *path;
    const json_t *v;
    const pp_resource *res;
    tv r;
};

struct qacc {
    const pp_cond *n;
    int t, f, u, e;
    /* a list on the path could not be read (missing, not collected, unknown): it may hold any
     * number of items, which only `count` has to take into account */
    tv unseen;
    bool explain;
    struct qitem *items;
    size_t n_items, cap_items;
};

static bool q_stop(const struct qacc *a)
{
    if (a->explain)
        return false;
    return (a->n->q == PP_Q_ANY && a->t) || (a->n->q == PP_Q_NONE && a->t) ||
           (a->n->q == PP_Q_ALL && a->f);
}

static void q_tally(struct qacc *a, tv r, char *path, const json_t *v, const pp_resource *res)
{
    if (r == TV_TRUE)
        a->t++;
    else if (r == TV_FALSE)
        a->f++;
    else if (r == TV_UNKNOWN)
        a->u++;
    else
        a->e++;
    if (!a->explain) {
        free(path);
        return;
    }
    if (a->n_items == a->cap_items) {
        a->cap_items = a->cap_items ? a->cap_items * 2 : 8;
        a->items = pp_xrealloc(a->items, a->cap_items * sizeof(*a->items));
    }
    a->items[a->n_items++] = (struct qitem){path, v, res, r};
}

static tv q_element(struct ctx *c, const pp_path *p, const json_t *v, const json_t *unk,
                    const long *idx, struct qacc *a)
{
    struct ctx child = {c->es, p->top ? c->es->top : c->res, v, unk, false, c, p, idx};
    tv r = a->n->match ? eval(&child, a->n->match, NULL) : TV_TRUE;
    q_tally(a, r, a->explain ? ctx_path(c, p, p->n, idx) : NULL, v, NULL);
    return r;
}

/* Did the walk stop above a `[]`, so that a whole list (not one item) went unread? */
static bool list_unread(const pp_path *p, size_t seg)
{
    for (size_t i = seg; i < p->n; i++)
        if (p->segs[i].kind == PP_SEG_EACH)
            return true;
    return false;
}

static bool q_visit(struct ctx *c, const pp_path *p, struct item *it, void *ud)
{
    struct qacc *a = ud;
    const pp_cond *n = a->n;
    bool unread = it->st != IT_OK && list_unread(p, it->seg);
    if (it->st == IT_ERROR) {
        q_tally(a, TV_ERROR, NULL, NULL, NULL);
        if (unread)
            a->unseen = TV_ERROR;
    } else if (it->st == IT_UNKNOWN) {
        q_tally(a, TV_UNKNOWN, NULL, NULL, NULL);
        if (unread && a->unseen != TV_ERROR)
            a->unseen = TV_UNKNOWN;
    } else if (it->st == IT_MISSING) {
        if (!n->dflt) {
            if (unread)
                a->unseen = TV_ERROR;
            char *path = ctx_path(c, p, it->seg, it->idx);
            char label[160];
            fmt_label(c, label, sizeof(label));
            set_msg(c->es, TV_ERROR, "%s%s is missing", label, *path ? path : "value");
            free(path);
            q_tally(a, TV_ERROR, NULL, NULL, NULL);
        } else if (json_is_array(n->dflt)) {
            size_t i;
            json_t *e;
            json_array_foreach(n->dflt, i, e)
            {
                q_element(c, p, e, NULL, it->idx, a);
            }
        } else {
            q_element(c, p, n->dflt, NULL, it->idx, a);
        }
    } else {
        q_element(c, p, it->v, it->unk, it->idx, a);
    }
    return q_stop(a);
}

/* Settles a quantifier from its tallies; `incomplete` says more items may exist unseen. */
static tv q_result(struct estate *es, const pp_cond *n, struct qacc *a, tv incomplete)
{
    int e = a->e + (incomplete == TV_ERROR), u = a->u + (incomplete == TV_UNKNOWN);
    tv pend = e ? TV_ERROR : TV_UNKNOWN;
    switch (n->q) {
    case PP_Q_ANY:
        return a->t ? TV_TRUE : (e || u) ? pend : TV_FALSE;
    case PP_Q_ALL:
        return a->f ? TV_FALSE : (e || u) ? pend : TV_TRUE;
    case PP_Q_NONE:
        return a->t ? TV_FALSE : (e || u) ? pend : TV_TRUE;
    case PP_Q_COUNT: {
        /* the true count lies in [lo, hi]; decided when the comparison agrees over all of it */
        long lo = a->t, hi = a->t + a->u + a->e + (incomplete ? 1000000000L : 0), v = n->count;
        bool all, none;
        switch (n->count_op) {
        case PP_OP_EQ:
            all = lo == v && hi == v;
            none = v < lo || v > hi;
            break;
        case PP_OP_NE:
            all = v < lo || v > hi;
            none = lo == v && hi == v;
            break;
        case PP_OP_LT:
            all = hi < v;
            none = lo >= v;
            break;
        case PP_OP_LE:
            all = hi <= v;
            none = lo > v;
            break;
        case PP_OP_GT:
            all = lo > v;
            none = hi <= v;
            break;
        default:
            all = lo >= v;
            none = hi < v;
            break;
        }
        if (all)
            return TV_TRUE;
        if (none)
            return TV_FALSE;
        if (pend == TV_UNKNOWN && !es->msg[0])
            set_msg(es, TV_UNKNOWN, "count depends on unknown values");
        return pend;
    }
    }
    return TV_ERROR;
}

static void q_explain(struct ctx *c, const pp_cond *n, struct qacc *a, tv r, json_t *ev,
                      const char *what, bool list_failed)
{
    /* which items explain r */
    tv want;
    bool summary = false;
    switch (n->q) {
    case PP_Q_ANY:
        /* related resources are few: name the ones that fell short */
        want = r == TV_FALSE && list_failed ? TV_FALSE : TV_TRUE;
        summary = r == TV_FALSE && !list_failed;
        break;
    case PP_Q_ALL:
        want = r == TV_FALSE ? TV_FALSE : TV_TRUE;
        break;
    case PP_Q_NONE:
        want = TV_TRUE;
        summary = r == TV_TRUE;
        break;
    default:
        want = TV_TRUE;
        break;
    }
    char label[160];
    fmt_label(c, label, sizeof(label));
    if (summary || n->q == PP_Q_COUNT) {
        char msg[512];
        if (n->q == PP_Q_COUNT)
            snprintf(msg, sizeof(msg), "%s%d of %s match, expected %s %ld", label, a->t, what,
                     pp_op_names[n->count_op], n->count);
        else
            snprintf(msg, sizeof(msg), "%sno item of %s matches", label, what);
        json_t *o = json_pack("{s:s, s:i}", "message", msg, "matched", a->t);
        if (json_array_size(ev) < PP_EVIDENCE_MAX)
            json_array_append(ev, o);
        json_decref(o);
        if (summary)
            return;
    }
    for (size_t i = 0; i < a->n_items; i++) {
        struct qitem *q = &a->items[i];
        if (q->r != want)
            continue;
        char msg[512];
        const char *verb = want == TV_TRUE ? "matches" : "does not match";
        if (q->res) {
            snprintf(msg, sizeof(msg), "%s %s %s", q->res->type, q->res->id ? q->res->id : "?",
                     verb);
            if (json_array_size(ev) < PP_EVIDENCE_MAX)
                json_array_append_new(ev, json_pack("{s:s, s:s?, s:s?, s:s}", "type", q->res->type,
                                                    "id", q->res->id, "arn", q->res->arn, "message",
                                                    msg));
        } else {
            snprintf(msg, sizeof(msg), "%s%s %s", label, q->path ? q->path : "item", verb);
            ev_add(ev, q->path, q->v, msg);
        }
    }
}

static void qacc_clear(struct qacc *a)
{
    for (size_t i = 0; i < a->n_items; i++)
        free(a->items[i].path);
    free(a->items);
}

static tv eval_quant_path(struct ctx *c, const pp_cond *n, json_t *ev)
{
    struct qacc a = {.n = n, .unseen = TV_FALSE, .explain = ev != NULL};
    walk(c, &n->path, q_visit, &a);
    tv r = q_result(c->es, n, &a, a.unseen);
    if (ev && r != TV_ERROR && r != TV_UNKNOWN) {
        char *base = ctx_path(c, NULL, 0, NULL);
        char *what = pp_xasprintf("%s%s%s", base, *base && !n->path.root ? "." : "", n->path.text);
        q_explain(c, n, &a, r, ev, what, false);
        free(what);
        free(base);
    }
    qacc_clear(&a);
    return r;
}

/* ---- joins -------------------------------------------------------------------------------- */

#define KEY_MAX_COMBOS 256

/* The key text of a scalar, through the capture group when there is one. */
static int key_text(struct estate *es, const pp_keyexpr *k, const json_t *v, pp_buf *out)
{
    char num[64];
    const char *s;
    size_t len;
    if (json_is_string(v)) {
        s = json_string_value(v);
        len = json_string_length(v);
    } else if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        s = num;
        len = strlen(num);
    } else if (json_is_boolean(v)) {
        s = json_is_true(v) ? "true" : "false";
        len = strlen(s);
    } else {
        return -1;
    }
    if (k->capture) {
        int rc = pcre2_match(k->capture, (PCRE2_SPTR)s, len, 0, 0, es->md, NULL);
        if (rc < 2)
            return -2;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(es->md);
        s += ov[2];
        len = ov[3] - ov[2];
    }
    pp_buf_append(out, s, len);
    return 0;
}

enum { KF_MISSING = 1, KF_UNKNOWN = 2, KF_ERROR = 4 };

struct kcollect {
    struct estate *es;
    const pp_keyexpr *k;
    char **vals;
    size_t n;
    int flags;
    char *bad; /* a value the capture pattern did not match */
};

static bool k_visit(struct ctx *c, const pp_path *p, struct item *it, void *ud)
{
    struct kcollect *kc = ud;
    if (it->st == IT_MISSING) {
        if (!(kc->flags & KF_MISSING)) {
            char *path = ctx_path(c, p, it->seg, it->idx);
            char label[160];
            fmt_label(c, label, sizeof(label));
            set_msg(c->es, TV_ERROR, "%s%s is missing", label, *path ? path : "key");
            free(path);
        }
        kc->flags |= KF_MISSING;
        return false;
    }
    if (it->st != IT_OK) {
        kc->flags |= it->st == IT_UNKNOWN ? KF_UNKNOWN : KF_ERROR;
        return false;
    }
    pp_buf b;
    pp_buf_init(&b, 64 * 1024);
    int rc = key_text(kc->es, kc->k, it->v, &b);
    if (rc == -2 && !kc->bad)
        kc->bad = ctx_path(c, p, p->n, it->idx);
    if (rc == 0 && kc->n < KEY_MAX_COMBOS) {
        kc->vals = pp_xrealloc(kc->vals, (kc->n + 1) * sizeof(*kc->vals));
        kc->vals[kc->n++] = pp_buf_steal(&b);
    }
    pp_buf_free(&b);
    return false;
}

static void scope_key(const pp_resource *r, enum pp_jscope scope, pp_buf *b)
{
    if (scope != PP_JS_ANY)
        pp_buf_puts(b, r->account ? r->account : "");
    pp_buf_putc(b, '\x1f');
    if (scope == PP_JS_REGION)
        pp_buf_puts(b, r->region ? r->region : "");
}

/* Every key a context yields: for a composite key each combination of its parts' values (parts
 * joined by \x1e), for alternatives the values of each. Returns KF_* flags for parts that were
 * missing, unknown or not collected; *bad names a value the capture pattern did not match. */
static int collect_keys(struct ctx *c, const pp_keyexpr *ks, size_t nk, bool alternatives,
                        char ***out, size_t *n_out, char **bad)
{
    char **acc = NULL;
    size_t n_acc = 0;
    int flags = 0;
    *bad = NULL;
    if (!alternatives) {
        acc = pp_xcalloc(1, sizeof(*acc));
        acc[0] = pp_xstrdup("");
        n_acc = 1;
    }
    for (size_t i = 0; i < nk; i++) {
        struct kcollect kc = {.es = c->es, .k = &ks[i]};
        walk(c, &ks[i].path, k_visit, &kc);
        flags |= kc.flags;
        if (kc.bad && !*bad)
            *bad = kc.bad;
        else
            free(kc.bad);
        if (alternatives) {
            acc = pp_xrealloc(acc, (n_acc + kc.n + 1) * sizeof(*acc));
            for (size_t k = 0; k < kc.n; k++)
                acc[n_acc++] = kc.vals[k];
            free(kc.vals);
            continue;
        }
        size_t cap = n_acc * kc.n > KEY_MAX_COMBOS ? KEY_MAX_COMBOS : n_acc * kc.n;
        char **next = pp_xcalloc(cap ? cap : 1, sizeof(*next));
        size_t m = 0;
        for (size_t x = 0; x < n_acc; x++)
            for (size_t y = 0; y < kc.n && m < cap; y++)
                next[m++] = pp_xasprintf("%s%s%s", acc[x], i ? "\x1e" : "", kc.vals[y]);
        for (size_t x = 0; x < n_acc; x++)
            free(acc[x]);
        free(acc);
        for (size_t k = 0; k < kc.n; k++)
            free(kc.vals[k]);
        free(kc.vals);
        acc = next;
        n_acc = m;
    }
    *out = acc;
    *n_out = n_acc;
    return flags;
}

static void strv_free_n(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static tv eval_join(struct ctx *c, const pp_cond *n, json_t *ev)
{
    struct estate *es = c->es;
    const pp_join *j = n->join;
    struct jindex *ix = &es->idx[j->index];
    char **keys = NULL, *bad = NULL;
    size_t n_keys = 0;
    /* `equals` is a composite key in this context even when `on` lists alternatives */
    int flags = collect_keys(c, j->eq, j->n_eq, false, &keys, &n_keys, &bad);
    char label[160];
    fmt_label(c, label, sizeof(label));
    if (flags || bad) {
        tv r = flags & (KF_ERROR | KF_MISSING) ? TV_ERROR : TV_UNKNOWN;
        if (bad && !flags)
            r = set_msg(es, TV_ERROR, "%s%s does not match the join's capture pattern", label, bad);
        free(bad);
        strv_free_n(keys, n_keys);
        return r;
    }
    pp_buf sk;
    pp_buf_init(&sk, 0);
    scope_key(c->res, j->scope, &sk);
    size_t scope_len = sk.len;
    struct rlist found = {0};
    for (size_t i = 0; i < n_keys; i++) {
        sk.len = scope_len;
        sk.data[sk.len] = '\0';
        pp_buf_putc(&sk, '\x1e');
        pp_buf_puts(&sk, keys[i]);
        struct hent *e = hmap_find(&ix->keys, sk.data);
        if (!e)
            continue;
        struct rlist *l = e->val;
        for (size_t k = 0; k < l->n; k++) {
            bool seen = false;
            for (size_t x = 0; x < found.n && !seen; x++)
                seen = found.v[x] == l->v[k];
            if (!seen)
                rlist_add(&found, l->v[k]);
        }
    }
    sk.len = scope_len;
    sk.data[sk.len] = '\0';
    tv incomplete = TV_FALSE;
    struct hent *cov = hmap_find(&ix->coverage, sk.data);
    if (cov || hmap_find(&ix->errors, sk.data))
        incomplete = TV_ERROR;
    else if (hmap_find(&ix->unknown, sk.data))
        incomplete = TV_UNKNOWN;
    struct qacc a = {.n = n, .explain = ev != NULL};
    for (size_t i = 0; i < found.n && !q_stop(&a); i++) {
        const pp_resource *r = found.v[i];
        struct ctx child = {es, r, r->doc, r->unknown, true, NULL, NULL, NULL};
        tv t = n->match ? eval(&child, n->match, NULL) : TV_TRUE;
        q_tally(&a, t, NULL, NULL, r);
    }
    tv r = q_result(es, n, &a, incomplete);
    if (r == incomplete && (r == TV_ERROR || r == TV_UNKNOWN)) {
        if (cov)
            set_msg(es, TV_ERROR, "%s%s could not be fully collected: %s", label, j->type->name,
                    (const char *)cov->val);
        else if (incomplete == TV_ERROR)
            set_msg(es, TV_ERROR, "%sthe key of some %s could not be collected", label,
                    j->type->name);
        else
            set_msg(es, TV_UNKNOWN, "%sthe key of some %s is unknown until apply", label,
                    j->type->name);
    }
    if (ev && r != TV_ERROR && r != TV_UNKNOWN) {
        /* the key as the rule names it: "ResourceId = vpc-1", or the scope for a key-less join */
        char *keyed = j->n_on ? pp_xasprintf(" with %s = %s", j->on[0].path.text,
                                             n_keys ? keys[0] : "(no key)")
                              : pp_xstrdup(j->scope == PP_JS_REGION    ? " in this region"
                                           : j->scope == PP_JS_ACCOUNT ? " in this account"
                                                                       : "");
        char *what = pp_xasprintf("the %s%s", j->type->name, keyed);
        if (!found.n && n->q != PP_Q_COUNT) {
            char msg[512];
            snprintf(msg, sizeof(msg), "%sno %s%s", label, j->type->name, keyed);
            json_t *o = json_pack("{s:s, s:{s:s, s:s}}", "message", msg, "join", "type",
                                  j->type->name, "key", n_keys ? keys[0] : "");
            if (json_array_size(ev) < PP_EVIDENCE_MAX)
                json_array_append_new(ev, o);
            else
                json_decref(o);
        } else {
            q_explain(c, n, &a, r, ev, what, true);
        }
        free(what);
        free(keyed);
    }
    qacc_clear(&a);
    free(found.v);
    pp_buf_free(&sk);
    strv_free_n(keys, n_keys);
    return r;
}

/* ---- networks and IAM ---------------------------------------------------------------------- */

static tv subject_of(struct ctx *c, const pp_cond *n, struct item *it, struct lpath *lp,
                     bool whole_unknown)
{
    resolve1(c, n, n->has_path, &n->path, it);
    *lp = (struct lpath){
        c, n->has_path ? &n->path : NULL, n->has_path ? n->path.n : 0, it->idx, NULL, NULL};
    if (it->st == IT_ERROR)
        return TV_ERROR;
    if (it->st == IT_UNKNOWN || (whole_unknown && deep_has_true(it->unk))) {
        if (it->st != IT_UNKNOWN) {
            const char *path = lp_get(lp);
            set_msg(c->es, TV_UNKNOWN, "%s has values unknown until apply",
                    *path ? path : "the document");
        }
        return TV_UNKNOWN;
    }
    if (it->st == IT_MISSING) {
        if (n->dflt) {
            it->v = n->dflt;
            return TV_TRUE;
        }
        char label[160];
        fmt_label(c, label, sizeof(label));
        const char *path = lp_get(lp);
        return set_msg(c->es, TV_ERROR, "%s%s is missing", label, *path ? path : "value");
    }
    return TV_TRUE;
}

static tv eval_ports(struct ctx *c, const pp_cond *n, json_t *ev)
{
    struct item it;
    struct lpath lp;
    char what[128], err[256];
    tv r = subject_of(c, n, &it, &lp, false);
    if (r != TV_TRUE)
        goto _exit;
    /* only the protocol and ports matter here: an unknown CIDR beside them does not */
    static const char *const sg_keys[] = {"IpProtocol", "FromPort", "ToPort", NULL};
    static const char *const acl_keys[] = {"Protocol", "PortRange", NULL};
    for (const char *const *k = n->nacl_shape ? acl_keys : sg_keys; *k; k++)
        if (json_is_true(it.unk) ||
            (json_is_object(it.unk) && deep_has_true(json_object_get(it.unk, *k)))) {
            const char *path = lp_get(&lp);
            r = set_msg(c->es, TV_UNKNOWN, "%s%s%s is unknown until apply", path, *path ? "." : "",
                        *k);
            goto _exit;
        }
    int rc = pp_ports_overlap(it.v, n->nacl_shape, n->protos, n->n_protos, n->ports, n->n_ports,
                              what, sizeof(what), err, sizeof(err));
    if (rc < 0) {
        char label[160];
        fmt_label(c, label, sizeof(label));
        const char *path = lp_get(&lp);
        r = set_msg(c->es, TV_ERROR, "%s%s%s%s", label, path, *path ? ": " : "", err);
        goto _exit;
    }
    r = rc ? TV_TRUE : TV_FALSE;
    if (ev) {
        char msg[384];
        const char *path = lp_get(&lp);
        if (rc)
            snprintf(msg, sizeof(msg), "%s covers %s", *path ? path : "the permission", what);
        else
            snprintf(msg, sizeof(msg), "%s does not cover the ports",
                     *path ? path : "the permission");
        ev_add(ev, path, it.v, msg);
    }
_exit:
    lp_free(&lp);
    return r;
}

static tv eval_nacl(struct ctx *c, const pp_cond *n, json_t *ev)
{
    struct item it;
    struct lpath lp;
    char err[256];
    bool root = !n->has_path && c->at_root;
    const json_t *e = root && c->res->errors ? json_object_get(c->res->errors, "Entries") : NULL;
    if (e)
        return set_msg(c->es, TV_ERROR, "Entries could not be collected (%s)",
                       json_is_string(e) ? json_string_value(e) : "error");
    tv r = subject_of(c, n, &it, &lp, false);
    if (r != TV_TRUE)
        goto _exit;
    const json_t *unk = json_is_object(it.unk) ? json_object_get(it.unk, "Entries") : NULL;
    if (deep_has_true(unk)) {
        r = set_msg(c->es, TV_UNKNOWN, "%sEntries has values unknown until apply", lp_get(&lp));
        goto _exit;
    }
    if (!json_is_object(it.v)) {
        r = type_error(c, &lp, it.v, "a network ACL");
        goto _exit;
    }
    char *base = ev && *lp_get(&lp) ? pp_xasprintf("%s.", lp_get(&lp)) : NULL;
    json_t *tmp = ev ? json_array() : NULL;
    int rc =
        pp_nacl_allows(json_object_get(it.v, "Entries"), n->egress, n->from, n->n_from, n->protos,
                       n->n_protos, n->ports, n->n_ports, tmp, base ? base : "", err, sizeof(err));
    free(base);
    if (rc < 0) {
        char label[160];
        fmt_label(c, label, sizeof(label));
        const char *path = lp_get(&lp);
        r = set_msg(c->es, TV_ERROR, "%s%s%s%s", label, path, *path ? ": " : "", err);
    } else {
        r = rc ? TV_TRUE : TV_FALSE;
        if (ev && rc)
            json_array_extend(ev, tmp);
        else if (ev)
            ev_add(ev, lp_get(&lp), NULL, "no entry lets this traffic in before a deny");
    }
    json_decref(tmp);
_exit:
    lp_free(&lp);
    return r;
}

static tv eval_policy(struct ctx *c, const pp_cond *n, json_t *ev)
{
    struct item it;
    struct lpath lp;
    char err[256];
    tv r = subject_of(c, n, &it, &lp, true);
    if (r != TV_TRUE)
        goto _exit;
    char *base = ev && *lp_get(&lp) ? pp_xasprintf("%s.", lp_get(&lp)) : NULL;
    json_t *tmp = ev ? json_array() : NULL;
    int rc = n->kind == PP_C_POLICY_ADMIN
                 ? pp_iam_full_admin(it.v, tmp, base ? base : "", err, sizeof(err))
                 : pp_iam_allows(it.v, n->actions, n->resources, tmp, base ? base : "", err,
                                 sizeof(err));
    free(base);
    if (rc < 0) {
        char label[160];
        fmt_label(c, label, sizeof(label));
        const char *path = lp_get(&lp);
        r = set_msg(c->es, TV_ERROR, "%s%s%s%s", label, path, *path ? ": " : "", err);
    } else {
        r = rc ? TV_TRUE : TV_FALSE;
        if (ev && rc)
            json_array_extend(ev, tmp);
        else if (ev)
            ev_add(ev, lp_get(&lp), NULL,
                   n->kind == PP_C_POLICY_ADMIN ? "no statement allows * on *"
                                                : "no statement allows it (or a Deny wins)");
    }
    json_decref(tmp);
_exit:
    lp_free(&lp);
    return r;
}

static tv eval(struct ctx *c, const pp_cond *n, json_t *ev)
{
    switch (n->kind) {
    case PP_C_ALL:
    case PP_C_ANY:
    case PP_C_NONE:
        return eval_bool(c, n, ev);
    case PP_C_NOT: {
        tv r = eval(c, n->kids[0], ev);
        return r == TV_TRUE ? TV_FALSE : r == TV_FALSE ? TV_TRUE : r;
    }
    case PP_C_QUANT:
        return n->join ? eval_join(c, n, ev) : eval_quant_path(c, n, ev);
    case PP_C_CMP:
        return eval_cmp(c, n, ev);
    case PP_C_PORTS:
        return eval_ports(c, n, ev);
    case PP_C_NACL:
        return eval_nacl(c, n, ev);
    case PP_C_POLICY_ALLOWS:
    case PP_C_POLICY_ADMIN:
        return eval_policy(c, n, ev);
    }
    return set_msg(c->es, TV_ERROR, "unknown condition");
}

/* ---- indexes ------------------------------------------------------------------------------ */

static void count_scope(struct hmap *m, const char *scope)
{
    struct hent *e = hmap_put(m, scope);
    e->val = (void *)((uintptr_t)e->val + 1);
}

static void jindex_build(struct estate *es, const pp_jspec *spec, struct jindex *ix)
{
    size_t n;
    pp_resource *const *rs = pp_inventory_of_type(es->inv, spec->type->name, &n);
    pp_buf b;
    pp_buf_init(&b, 0);
    for (size_t i = 0; i < n; i++) {
        const pp_resource *r = rs[i];
        struct ctx c = {es, r, r->doc, r->unknown, true, NULL, NULL, NULL};
        es->top = r;
        char **keys = NULL, *bad = NULL;
        size_t n_keys = 0;
        int flags = collect_keys(&c, spec->on, spec->n_on, spec->on_any, &keys, &n_keys, &bad);
        free(bad);
        pp_buf_reset(&b);
        scope_key(r, spec->scope, &b);
        /* a missing key just does not join; one we cannot see might */
        if (flags & KF_UNKNOWN)
            count_scope(&ix->unknown, b.data);
        if (flags & KF_ERROR)
            count_scope(&ix->errors, b.data);
        size_t scope_len = b.len;
        for (size_t k = 0; k < n_keys; k++) {
            b.len = scope_len;
            b.data[b.len] = '\0';
            pp_buf_putc(&b, '\x1e');
            pp_buf_puts(&b, keys[k]);
            struct hent *e = hmap_put(&ix->keys, b.data);
            if (!e->val)
                e->val = pp_xcalloc(1, sizeof(struct rlist));
            rlist_add(e->val, r);
        }
        strv_free_n(keys, n_keys);
    }
    /* scopes where the type could not be collected: a join there may miss its match */
    size_t nc = pp_inventory_coverage_count(es->inv);
    for (size_t i = 0; i < nc; i++) {
        const pp_coverage *cv = pp_inventory_coverage_at(es->inv, i);
        if (cv->ok || cv->per_resource)
            continue;
        if (!pp_inventory_coverage_error_for_type(es->inv, cv->account, cv->region,
                                                  spec->type->name))
            continue;
        pp_resource fake = {.account = cv->account, .region = cv->region};
        pp_buf_reset(&b);
        scope_key(&fake, spec->scope, &b);
        struct hent *e = hmap_put(&ix->coverage, b.data);
        if (!e->val)
            e->val = pp_xasprintf("%s %s/%s: %s: %s", cv->service, cv->account ? cv->account : "",
                                  cv->region ? cv->region : "", cv->operation ? cv->operation : "",
                                  cv->error ? cv->error : "error");
    }
    pp_buf_free(&b);
}

static void jindex_free(struct jindex *ix)
{
    hmap_free(&ix->keys, rlist_free);
    hmap_free(&ix->coverage, free);
    hmap_free(&ix->unknown, NULL);
    hmap_free(&ix->errors, NULL);
}

/* ---- findings -------------------------------------------------------------------------------- */

struct fvec {
    pp_finding *v;
    size_t n, cap;
};

/* A new zeroed finding at the end of fv. */
static pp_finding *fv_new(struct fvec *fv)
{
    if (fv->n == fv->cap) {
        fv->cap = fv->cap ? fv->cap * 2 : 16;
        fv->v = pp_xrealloc(fv->v, fv->cap * sizeof(*fv->v));
    }
    pp_finding *f = &fv->v[fv->n++];
    memset(f, 0, sizeof(*f));
    return f;
}

static pp_finding *fv_add(struct fvec *fv, const char *type, const char *id, const char *arn,
                          const char *account, const char *region, const char *address)
{
    pp_finding *f = fv_new(fv);
    f->res_type = pp_xstrdup(type);
    f->res_id = pp_xstrdup(id);
    f->res_arn = pp_xstrdup(arn);
    f->account = pp_xstrdup(account);
    f->region = pp_xstrdup(region);
    f->address = pp_xstrdup(address);
    return f;
}

/* A finding about r that borrows r's strings rather than copying them (see pp_finding). */
static pp_finding *fv_add_on(struct fvec *fv, const pp_resource *r)
{
    pp_finding *f = fv_new(fv);
    f->res_type = r->type;
    f->res_id = r->id;
    f->res_arn = r->arn;
    f->account = r->account;
    f->region = r->region;
    f->address = r->address;
    f->resource = r;
    f->borrowed = true;
    return f;
}

static char *ev_message(const json_t *ev, const char *fallback)
{
    size_t n = json_array_size(ev);
    const char *first =
        n ? json_string_value(json_object_get(json_array_get(ev, 0), "message")) : NULL;
    if (!first)
        return pp_xstrdup(fallback);
    if (n > 1)
        return pp_xasprintf("%s (and %zu more)", first, n - 1);
    return pp_xstrdup(first);
}

static json_t *ev_reason(const char *msg)
{
    return json_pack("[{s:s}]", "message", msg);
}

/* Evaluates where + assert on one resource (or a candidate of an existence rule). On FAIL with
 * want_ev, *ev receives the explanation. Returns the status, or -1 when out of scope. */
static int eval_resource(struct estate *es, const pp_resource *r, const pp_cond *where,
                         const pp_cond *assert, bool want_ev, json_t **ev)
{
    struct ctx c = {es, r, r->doc, r->unknown, true, NULL, NULL, NULL};
    es->top = r;
    es->msg[0] = '\0';
    if (ev)
        *ev = NULL;
    if (where) {
        tv w = eval(&c, where, NULL);
        if (w == TV_FALSE)
            return -1;
        if (w == TV_ERROR)
            return PP_STATUS_ERROR;
        if (w == TV_UNKNOWN)
            return PP_STATUS_UNKNOWN;
    }
    es->msg[0] = '\0';
    tv a = eval(&c, assert, NULL);
    if (a == TV_TRUE)
        return PP_STATUS_PASS;
    if (a == TV_ERROR)
        return PP_STATUS_ERROR;
    if (a == TV_UNKNOWN)
        return PP_STATUS_UNKNOWN;
    if (want_ev) {
        *ev = json_array();
        eval(&c, assert, *ev); /* again, collecting what matched: only failures pay for it */
    }
    return PP_STATUS_FAIL;
}

static void finish(pp_finding *f, int status, char *msg, json_t *ev)
{
    f->status = (enum pp_status)status;
    f->message = msg;
    f->evidence = ev;
}

/* Per-resource rules also yield ERROR for each scope where the type could not be collected. */
static void coverage_findings(struct estate *es, const pp_rule *rule, struct fvec *out)
{
    size_t nc = pp_inventory_coverage_count(es->inv);
    struct hmap seen = {0};
    for (size_t i = 0; i < nc; i++) {
        const pp_coverage *cv = pp_inventory_coverage_at(es->inv, i);
        if (cv->ok || cv->per_resource)
            continue;
        const pp_coverage *hit = pp_inventory_coverage_error_for_type(es->inv, cv->account,
                                                                      cv->region, rule->type->name);
        if (!hit)
            continue;
        char *id =
            pp_xasprintf("%s/%s", cv->account ? cv->account : "", cv->region ? cv->region : "");
        if (hmap_find(&seen, id)) {
            free(id);
            continue;
        }
        hmap_put(&seen, id);
        pp_finding *f = fv_add(out, rule->type->name, id, NULL, cv->account, cv->region, NULL);
        char *msg = pp_xasprintf("%s could not be collected in %s: %s: %s", rule->type->name, id,
                                 hit->operation ? hit->operation : hit->service,
                                 hit->error ? hit->error : "error");
        json_t *ev =
            json_pack("[{s:s, s:{s:s?, s:s?, s:s?, s:s?, s:s?}}]", "message", msg, "coverage",
                      "account", hit->account, "region", hit->region, "service", hit->service,
                      "operation", hit->operation, "error", hit->error);
        finish(f, PP_STATUS_ERROR, msg, ev);
        free(id);
    }
    hmap_free(&seen, NULL);
}

/* One resource against one per-resource rule; out of scope adds nothing. */
static void eval_check_one(struct estate *es, const pp_rule *rule, const pp_resource *r,
                           struct fvec *out)
{
    json_t *ev = NULL;
    int st = eval_resource(es, r, rule->wheres[0], rule->asserts[0], true, &ev);
    if (st < 0)
        return;
    pp_finding *f = fv_add_on(out, r);
    if (st == PP_STATUS_PASS) {
        finish(f, st, (char *)"compliant", NULL);
        f->static_message = true;
    } else if (st == PP_STATUS_FAIL)
        finish(f, st, ev_message(ev, rule->meta->title), ev);
    else
        finish(f, st, pp_xstrdup(es->msg[0] ? es->msg : "could not be evaluated"),
               ev_reason(es->msg[0] ? es->msg : "could not be evaluated"));
}

/* ---- existence, manual and fixed-error rules ------------------------------------------------ */

struct scope {
    char *account, *region;
};

static void scope_add(struct scope **v, size_t *n, struct hmap *seen, const char *a, const char *r)
{
    if (!a)
        return;
    char key[320];
    snprintf(key, sizeof(key), "%s\x1f%s", a, r ? r : "");
    struct hent *e = hmap_put(seen, key);
    if (e->val)
        return;
    e->val = (void *)1;
    *v = pp_xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[*n].account = pp_xstrdup(a);
    (*v)[*n].region = pp_xstrdup(r);
    (*n)++;
}

/* The accounts (per_region false) or account/region pairs assessed: the inventory's scope, or
 * when it has none, what its resources and coverage records show. Computed once per evaluation
 * (pp_rules_eval_some), not per rule: the fallback walks every resource. */
static struct scope *assessed(const pp_inventory *inv, bool per_region, size_t *n_out)
{
    struct scope *v = NULL;
    struct hmap seen = {0};
    size_t n = 0, ns = pp_inventory_scope_count(inv);
    for (size_t i = 0; i < ns; i++) {
        const char *a, *r;
        pp_inventory_scope_at(inv, i, &a, &r);
        if (per_region && (!r || strcmp(r, "global") == 0))
            continue;
        scope_add(&v, &n, &seen, a, per_region ? r : NULL);
    }
    if (!ns) {
        for (size_t i = 0; i < pp_inventory_count(inv); i++) {
            const pp_resource *r = pp_inventory_at(inv, i);
            if (per_region && (!r->region || strcmp(r->region, "global") == 0))
                continue;
            scope_add(&v, &n, &seen, r->account, per_region ? r->region : NULL);
        }
        for (size_t i = 0; i < pp_inventory_coverage_count(inv); i++) {
            const pp_coverage *c = pp_inventory_coverage_at(inv, i);
            if (per_region && (!c->region || strcmp(c->region, "global") == 0))
                continue;
            scope_add(&v, &n, &seen, c->account, per_region ? c->region : NULL);
        }
    }
    hmap_free(&seen, NULL);
    *n_out = n;
    return v;
}

static void scopes_free(struct scope *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].account);
        free(v[i].region);
    }
    free(v);
}

static const pp_coverage *scope_coverage(const pp_inventory *inv, const pp_rule *rule,
                                         const char *account, const char *region)
{
    if (region)
        return pp_inventory_coverage_error_for_type(inv, account, region, rule->type->name);
    size_t nc = pp_inventory_coverage_count(inv);
    for (size_t i = 0; i < nc; i++) {
        const pp_coverage *c = pp_inventory_coverage_at(inv, i);
        if (c->ok || c->per_resource || !pp_str_eq(c->account, account))
            continue;
        const pp_coverage *hit =
            pp_inventory_coverage_error_for_type(inv, account, c->region, rule->type->name);
        if (hit)
            return hit;
    }
    return NULL;
}

#define CANDIDATES_MAX 10

/* A unit of work: one rule, or a chunk of a big per-resource rule, so that two cores share even
 * a single rule over many resources. Findings merge in unit order: the same for any thread
 * count. */
#define CHUNK 2048

struct unit {
    const pp_rule *rule;
    size_t lo, hi;
    bool last;
    struct fvec out;
};

/* What one item of an existence rule has seen of a scope's candidates so far. */
struct xstate {
    const pp_resource *satisfied;
    int n_err, n_unk, n_failed;
    char first_err[768];
    json_t *failed; /* the first CANDIDATES_MAX candidates that did not satisfy it */
};

static void exists_step(struct estate *es, const pp_rule *rule, size_t k, const pp_resource *r,
                        struct xstate *x)
{
    json_t *ev = NULL;
    int st = eval_resource(es, r, rule->wheres[k], rule->asserts[k], true, &ev);
    if (st == PP_STATUS_PASS)
        x->satisfied = r;
    else if (st == PP_STATUS_ERROR || st == PP_STATUS_UNKNOWN) {
        if (st == PP_STATUS_ERROR)
            x->n_err++;
        else
            x->n_unk++;
        if (!x->first_err[0])
            snprintf(x->first_err, sizeof(x->first_err), "%s %s: %s", r->type, r->id,
                     es->msg[0] ? es->msg : "could not be evaluated");
    } else if (st == PP_STATUS_FAIL) {
        x->n_failed++;
        if (json_array_size(x->failed) < CANDIDATES_MAX) {
            char *why = ev_message(ev, "does not satisfy the rule");
            json_array_append_new(x->failed, json_pack("{s:s, s:s?, s:s?, s:s}", "type", r->type,
                                                       "id", r->id, "arn", r->arn, "message", why));
            free(why);
        }
    }
    json_decref(ev);
}

static void exists_finish(struct estate *es, const pp_rule *rule, size_t k, struct xstate *x,
                          const char *account, const char *region, struct fvec *out)
{
    char *id = region ? pp_xasprintf("%s/%s", account, region) : pp_xstrdup(account);
    if (rule->labels) {
        char *id2 = pp_xasprintf("%s#%s", id, rule->labels[k]);
        free(id);
        id = id2;
    }
    pp_finding *f = fv_add(out, rule->type->name, id, NULL, account, region, NULL);
    const pp_coverage *cov = x->satisfied ? NULL : scope_coverage(es->inv, rule, account, region);
    if (x->satisfied) {
        finish(f, PP_STATUS_PASS,
               pp_xasprintf("satisfied by %s", x->satisfied->id ? x->satisfied->id : "?"), NULL);
    } else if (cov) {
        char *msg = pp_xasprintf("%s could not be collected in %s: %s: %s", rule->type->name, id,
                                 cov->operation ? cov->operation : cov->service,
                                 cov->error ? cov->error : "error");
        finish(f, PP_STATUS_ERROR, msg, ev_reason(msg));
    } else if (x->n_err || x->n_unk) {
        char *msg = pp_xstrdup(x->first_err);
        finish(f, x->n_err ? PP_STATUS_ERROR : PP_STATUS_UNKNOWN, msg, ev_reason(msg));
    } else {
        char *msg = x->n_failed
                        ? pp_xasprintf("none of the %d %s in %s satisfies the rule", x->n_failed,
                                       rule->type->name, id)
                        : pp_xasprintf("no %s in %s satisfies the rule", rule->type->name, id);
        json_t *ev =
            json_pack("[{s:s, s:s, s:O}]", "message", msg, "scope", id, "candidates", x->failed);
        if (rule->items)
            json_object_set_new(json_array_get(ev, 0), "item",
                                json_deep_copy(json_array_get(rule->items, k)));
        finish(f, PP_STATUS_FAIL, msg, ev);
    }
    free(id);
}

/* The items of several existence rules over one type and scope kind, against one scope's
 * candidates: candidate by candidate, every item that is not yet satisfied in turn (for the same
 * reason per-resource rules go resource by resource). Each rule's findings for the scope are
 * appended to its own output, item by item. */
static void eval_exists_scope(struct estate *es, struct unit *const *us, size_t nu,
                              const struct rlist *cands, const char *account, const char *region)
{
    size_t total = 0;
    for (size_t u = 0; u < nu; u++)
        total += us[u]->rule->n_items;
    struct xstate *xs = pp_xcalloc(total ? total : 1, sizeof(*xs));
    for (size_t x = 0; x < total; x++)
        xs[x].failed = json_array();
    size_t open = total;
    for (size_t i = 0; cands && i < cands->n && open; i++) {
        struct xstate *x = xs;
        for (size_t u = 0; u < nu; u++)
            for (size_t k = 0; k < us[u]->rule->n_items; k++, x++)
                if (!x->satisfied) {
                    exists_step(es, us[u]->rule, k, cands->v[i], x);
                    if (x->satisfied)
                        open--;
                }
    }
    struct xstate *x = xs;
    for (size_t u = 0; u < nu; u++)
        for (size_t k = 0; k < us[u]->rule->n_items; k++, x++) {
            exists_finish(es, us[u]->rule, k, x, account, region, &us[u]->out);
            json_decref(x->failed);
        }
    free(xs);
}

/* Was the type collected at all in this scope? A scan records every call it makes, so a scope
 * without a single record for the type's service was not looked at (`scan --services ec2` says
 * nothing about GuardDuty): an existence rule has nothing to say there. Inventories without any
 * coverage (imports, tests) rely on their scope list alone. */
static bool collected(const pp_inventory *inv, const pp_type *t, const char *account,
                      const char *region)
{
    size_t nc = pp_inventory_coverage_count(inv);
    if (!nc)
        return true;
    for (size_t i = 0; i < nc; i++) {
        const pp_coverage *c = pp_inventory_coverage_at(inv, i);
        if (!pp_str_eq(c->account, account))
            continue;
        if (region && !pp_str_eq(c->region, t->global ? "global" : region))
            continue;
        if (c->types ? pp_str_list_has(c->types, t->name) : pp_str_eq(c->service, t->service))
            return true;
    }
    return false;
}

/* Existence rules of one type and scope kind (see struct task), their scopes in order. */
static void eval_exists_rules(struct estate *es, struct unit *const *us, size_t nu)
{
    const pp_rule *r0 = us[0]->rule;
    size_t n_scopes = es->n_scopes[r0->per_region];
    const struct scope *scopes = es->scopes[r0->per_region];
    if (!n_scopes && pp_inventory_source(es->inv) == PP_SOURCE_PLAN) {
        for (size_t u = 0; u < nu; u++) {
            pp_finding *f =
                fv_add(&us[u]->out, us[u]->rule->type->name, "plan", NULL, NULL, NULL, NULL);
            char *msg = pp_xstrdup("needs the whole account: a plan shows only what it changes");
            finish(f, PP_STATUS_UNKNOWN, msg, ev_reason(msg));
        }
        return;
    }
    /* candidates grouped by scope in one pass over the type */
    struct hmap groups = {0};
    size_t n;
    pp_resource *const *rs = pp_inventory_of_type(es->inv, r0->type->name, &n);
    pp_buf b;
    pp_buf_init(&b, 0);
    for (size_t i = 0; i < n; i++) {
        pp_buf_reset(&b);
        scope_key(rs[i], r0->per_region ? PP_JS_REGION : PP_JS_ACCOUNT, &b);
        struct hent *e = hmap_put(&groups, b.data);
        if (!e->val)
            e->val = pp_xcalloc(1, sizeof(struct rlist));
        rlist_add(e->val, rs[i]);
    }
    for (size_t s = 0; s < n_scopes; s++) {
        if (!collected(es->inv, r0->type, scopes[s].account, scopes[s].region))
            continue;
        pp_resource fake = {.account = scopes[s].account, .region = scopes[s].region};
        pp_buf_reset(&b);
        scope_key(&fake, r0->per_region ? PP_JS_REGION : PP_JS_ACCOUNT, &b);
        struct hent *e = hmap_find(&groups, b.data);
        eval_exists_scope(es, us, nu, e ? e->val : NULL, scopes[s].account, scopes[s].region);
    }
    pp_buf_free(&b);
    hmap_free(&groups, rlist_free);
}

static void eval_fixed_rule(struct estate *es, const pp_rule *rule, struct fvec *out)
{
    size_t n_scopes = es->n_scopes[0];
    const struct scope *scopes = es->scopes[0];
    bool manual = rule->kind == PP_RULE_MANUAL;
    bool plan = pp_inventory_source(es->inv) == PP_SOURCE_PLAN;
    if (!n_scopes && plan) {
        pp_finding *f = fv_add(out, rule->type->name, "plan", NULL, NULL, NULL, NULL);
        char *msg = manual ? pp_xstrdup("manual check: see the rule's audit procedure")
                           : pp_xasprintf("cannot be checked on a plan: %s", rule->reason);
        finish(f, manual ? PP_STATUS_MANUAL : PP_STATUS_UNKNOWN, msg,
               manual ? NULL : ev_reason(msg));
    }
    for (size_t s = 0; s < n_scopes; s++) {
        pp_finding *f =
            fv_add(out, rule->type->name, scopes[s].account, NULL, scopes[s].account, NULL, NULL);
        if (manual) {
            finish(f, PP_STATUS_MANUAL, pp_xstrdup("manual check: see the rule's audit procedure"),
                   NULL);
        } else {
            char *msg = pp_xstrdup(rule->reason);
            finish(f, PP_STATUS_ERROR, msg, ev_reason(msg));
        }
    }
}

/* ---- driver ---------------------------------------------------------------------------------- */

/* What a worker takes at once: one unit, all the per-resource units of one type over the same
 * chunk, or the existence rules of one type and scope kind. The latter are evaluated
 * resource by resource, every rule in turn, so that a document is walked by all its rules while it
 * is in the cache rather than fetched again from memory by each rule (100,000 documents take about
 * 700 MB). */
struct task {
    size_t first, n; /* its units are job.order[first .. first + n) */
    bool joins;      /* reads the join indexes: waits until they are built */
    size_t cost;     /* resources visited times rules: the largest tasks are taken first */
};

struct job {
    const pp_ruleset *rs;
    const pp_inventory *inv;
    time_t now;
    struct jindex *idx;
    struct scope *scopes[2];
    size_t n_scopes[2];
    struct unit *units;
    size_t n_units;
    struct unit **order; /* the units, grouped by task */
    /* tasks[0 .. n_plain) do not read join indexes, the rest do; each part largest first, so
     * that the last tasks taken are small and the workers finish together */
    struct task *tasks;
    size_t n_tasks, n_plain;
    atomic_size_t next_plain, next_joined;
    /* The join indexes are built by the workers before they take tasks (the largest, 40,000
     * security groups by id, takes as long as a tenth of the evaluation). A worker takes tasks
     * that read them only once all are built, and others until then. */
    atomic_size_t next_index;
    atomic_size_t indexes_built;
    /* The worker that finishes the last task that reads them frees the indexes, while the other
     * goes on with the rest (freeing them after the workers was a serial 0.02 s). */
    atomic_size_t joined_done;
    bool indexes_freed;
    pthread_mutex_t mu;
    pthread_cond_t built;
};

static void estate_init(struct estate *es, const struct job *j)
{
    memset(es, 0, sizeof(*es));
    es->rs = j->rs;
    es->inv = j->inv;
    es->now = j->now;
    es->idx = j->idx;
    for (int i = 0; i < 2; i++) {
        es->scopes[i] = j->scopes[i];
        es->n_scopes[i] = j->n_scopes[i];
    }
    es->md = pcre2_match_data_create(16, NULL);
}

static const struct task *take_task(struct job *j, bool joined)
{
    size_t t = atomic_fetch_add(joined ? &j->next_joined : &j->next_plain, 1);
    size_t lo = joined ? j->n_plain : 0, hi = joined ? j->n_tasks : j->n_plain;
    return lo + t < hi ? &j->tasks[lo + t] : NULL;
}

static void *worker(void *arg)
{
    struct job *j = arg;
    struct estate es;
    estate_init(&es, j);
    for (;;) {
        size_t i = atomic_fetch_add(&j->next_index, 1);
        if (i >= j->rs->n_jspecs)
            break;
        jindex_build(&es, j->rs->jspecs[i], &j->idx[i]);
        pthread_mutex_lock(&j->mu);
        if (atomic_fetch_add(&j->indexes_built, 1) + 1 == j->rs->n_jspecs)
            pthread_cond_broadcast(&j->built);
        pthread_mutex_unlock(&j->mu);
    }
    for (;;) {
        const struct task *tk = NULL;
        if (atomic_load(&j->indexes_built) == j->rs->n_jspecs)
            tk = take_task(j, true);
        if (!tk && !(tk = take_task(j, false))) {
            pthread_mutex_lock(&j->mu);
            while (atomic_load(&j->indexes_built) < j->rs->n_jspecs)
                pthread_cond_wait(&j->built, &j->mu);
            pthread_mutex_unlock(&j->mu);
            tk = take_task(j, true);
        }
        if (!tk)
            break;
        struct unit *const *us = j->order + tk->first;
        switch (us[0]->rule->kind) {
        case PP_RULE_CHECK: {
            size_t n;
            pp_resource *const *rs = pp_inventory_of_type(es.inv, us[0]->rule->type->name, &n);
            for (size_t i = us[0]->lo; i < us[0]->hi && i < n; i++)
                for (size_t k = 0; k < tk->n; k++)
                    eval_check_one(&es, us[k]->rule, rs[i], &us[k]->out);
            for (size_t k = 0; k < tk->n; k++) /* the last chunk adds the coverage findings */
                if (us[k]->last)
                    coverage_findings(&es, us[k]->rule, &us[k]->out);
            break;
        }
        case PP_RULE_EXISTS:
            eval_exists_rules(&es, us, tk->n);
            break;
        default:
            eval_fixed_rule(&es, us[0]->rule, &us[0]->out);
            break;
        }
        if (tk->joins && atomic_fetch_add(&j->joined_done, 1) + 1 == j->n_tasks - j->n_plain) {
            for (size_t i = 0; i < j->rs->n_jspecs; i++)
                jindex_free(&j->idx[i]);
            j->indexes_freed = true; /* read after pthread_join */
        }
        /* ids depend on the rule id only, so the ruleset's meta will do until the merge */
        for (size_t k = 0; k < tk->n; k++)
            for (size_t f = 0; f < us[k]->out.n; f++) {
                us[k]->out.v[f].rule = us[k]->rule->meta;
                pp_finding_set_id(&us[k]->out.v[f]);
            }
    }
    pcre2_match_data_free(es.md);
    return NULL;
}

static pp_rule_meta *meta_dup(const pp_rule_meta *m)
{
    pp_rule_meta *d = pp_xcalloc(1, sizeof(*d));
    d->id = pp_xstrdup(m->id);
    d->title = pp_xstrdup(m->title);
    d->description = pp_xstrdup(m->description);
    d->pack = pp_xstrdup(m->pack);
    d->pack_version = pp_xstrdup(m->pack_version);
    d->severity = m->severity;
    d->resource_type = pp_xstrdup(m->resource_type);
    d->frameworks = m->frameworks ? json_deep_copy(m->frameworks) : json_object();
    d->remediation = m->remediation ? json_deep_copy(m->remediation) : NULL;
    return d;
}

/* Whether a condition, or one under it, reads a join index. */
static bool cond_joins(const pp_cond *c)
{
    if (!c)
        return false;
    if (c->join || cond_joins(c->match))
        return true;
    for (size_t i = 0; i < c->n; i++)
        if (cond_joins(c->kids[i]))
            return true;
    return false;
}

static bool rule_joins(const pp_rule *r)
{
    for (size_t i = 0; i < r->n_items; i++)
        if ((r->wheres && cond_joins(r->wheres[i])) || (r->asserts && cond_joins(r->asserts[i])))
            return true;
    return false;
}

static int task_cmp(const void *a, const void *b)
{
    const struct task *x = a, *y = b;
    return x->cost > y->cost ? -1 : x->cost < y->cost ? 1 : x->first < y->first ? -1 : 1;
}

static int thread_count(const pp_inventory *inv, size_t n_units)
{
    const char *s = getenv("PARAPET_RULES_THREADS");
    long n = 2;
    if (s && pp_parse_long(s, 1, 16, &n) != 0)
        n = 2;
    if (!s && pp_inventory_count(inv) < 5000)
        n = 1; /* not worth a thread */
    if ((size_t)n > n_units)
        n = n_units ? (long)n_units : 1;
    return (int)n;
}

int pp_rules_eval_some(const pp_ruleset *rs, const pp_rule *const *which, size_t n_which,
                       const pp_inventory *inv, time_t now, pp_results **out)
{
    *out = NULL;
    if (!which) {
        which = (const pp_rule *const *)rs->rules;
        n_which = rs->n_rules;
    }
    struct job j = {.rs = rs, .inv = inv, .now = now};
    j.idx = pp_xcalloc(rs->n_jspecs ? rs->n_jspecs : 1, sizeof(*j.idx));
    size_t cap = 0;
    for (size_t i = 0; i < n_which; i++) {
        size_t n = 0, chunks = 1;
        if (which[i]->kind == PP_RULE_CHECK) {
            pp_inventory_of_type(inv, which[i]->type->name, &n);
            chunks = n ? (n + CHUNK - 1) / CHUNK : 1;
        }
        for (size_t c = 0; c < chunks; c++) {
            if (j.n_units == cap) {
                cap = cap ? cap * 2 : 64;
                j.units = pp_xrealloc(j.units, cap * sizeof(*j.units));
            }
            j.units[j.n_units++] =
                (struct unit){which[i], c * CHUNK, (c + 1) * CHUNK, c + 1 == chunks, {0}};
        }
    }
    /* tasks (see struct task): units of one type grouped, the others alone; those that read
     * join indexes after those that do not, so that the indexes are ready when they are reached */
    j.order = pp_xcalloc(j.n_units ? j.n_units : 1, sizeof(*j.order));
    j.tasks = pp_xcalloc(j.n_units ? j.n_units : 1, sizeof(*j.tasks));
    bool *taken = pp_xcalloc(j.n_units ? j.n_units : 1, sizeof(*taken));
    bool *joins = pp_xcalloc(j.n_units ? j.n_units : 1, sizeof(*joins));
    for (size_t u = 0; u < j.n_units; u++)
        joins[u] = u && j.units[u].rule == j.units[u - 1].rule ? joins[u - 1]
                                                               : rule_joins(j.units[u].rule);
    size_t n_order = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t u = 0; u < j.n_units; u++) {
            if (taken[u] || joins[u] != (pass == 1))
                continue;
            struct task *tk = &j.tasks[j.n_tasks++];
            tk->first = n_order;
            tk->joins = joins[u];
            const pp_rule *r = j.units[u].rule;
            size_t n_type = 0;
            if (r->kind != PP_RULE_CHECK && r->kind != PP_RULE_EXISTS)
                n_type = 1;
            else
                pp_inventory_of_type(inv, r->type->name, &n_type);
            if (r->kind == PP_RULE_CHECK)
                n_type = n_type > j.units[u].lo ? n_type - j.units[u].lo : 0;
            if (r->kind == PP_RULE_CHECK && n_type > CHUNK)
                n_type = CHUNK;
            for (size_t v = u; v < j.n_units; v++) {
                const pp_rule *o = j.units[v].rule;
                bool same = v == u ||
                            (r->kind == PP_RULE_CHECK && o->kind == PP_RULE_CHECK &&
                             o->type == r->type && j.units[v].lo == j.units[u].lo) ||
                            (r->kind == PP_RULE_EXISTS && o->kind == PP_RULE_EXISTS &&
                             o->type == r->type && o->per_region == r->per_region);
                if (!taken[v] && joins[v] == joins[u] && same) {
                    taken[v] = true;
                    j.order[n_order++] = &j.units[v];
                    tk->n++;
                }
            }
            tk->cost = (n_type ? n_type : 1) * tk->n;
            if (!joins[u])
                j.n_plain = j.n_tasks;
        }
    /* the order of the findings is the units', whatever order the tasks run in */
    qsort(j.tasks, j.n_plain, sizeof(*j.tasks), task_cmp);
    qsort(j.tasks + j.n_plain, j.n_tasks - j.n_plain, sizeof(*j.tasks), task_cmp);
    free(taken);
    free(joins);
    atomic_init(&j.next_plain, 0);
    atomic_init(&j.next_joined, 0);
    atomic_init(&j.next_index, 0);
    atomic_init(&j.indexes_built, 0);
    atomic_init(&j.joined_done, 0);
    pthread_mutex_init(&j.mu, NULL);
    pthread_cond_init(&j.built, NULL);
    for (int i = 0; i < 2; i++)
        j.scopes[i] = assessed(inv, i == 1, &j.n_scopes[i]);
    int nt = thread_count(inv, j.n_tasks);
    pthread_t th[16];
    int started = 0;
    for (int t = 1; t < nt; t++)
        if (pthread_create(&th[started], NULL, worker, &j) == 0)
            started++;
    worker(&j);
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);

    pp_results *res = pp_results_new();
    res->evaluated_at = now;
    res->env = pp_xstrdup(rs->env);
    json_decref(res->packs);
    res->packs = json_deep_copy(rs->packs_json);
    size_t total = 0;
    for (size_t u = 0; u < j.n_units; u++)
        total += j.units[u].out.n;
    res->findings = pp_xrealloc(res->findings, (total ? total : 1) * sizeof(*res->findings));
    res->cap_findings = total ? total : 1;
    const pp_rule_meta *meta = NULL;
    for (size_t u = 0; u < j.n_units; u++) {
        if (u == 0 || j.units[u].rule != j.units[u - 1].rule)
            meta = pp_results_add_rule(res, meta_dup(j.units[u].rule->meta));
        for (size_t k = 0; k < j.units[u].out.n; k++) {
            pp_finding *f = pp_results_add(res, meta);
            *f = j.units[u].out.v[k];
            f->rule = meta;
        }
        free(j.units[u].out.v);
    }
    for (size_t i = 0; !j.indexes_freed && i < rs->n_jspecs; i++)
        jindex_free(&j.idx[i]);
    pthread_mutex_destroy(&j.mu);
    pthread_cond_destroy(&j.built);
    for (int i = 0; i < 2; i++)
        scopes_free(j.scopes[i], j.n_scopes[i]);
    free(j.idx);
    free(j.units);
    free(j.order);
    free(j.tasks);
    if (rs->sup)
        pp_suppressions_apply(rs->sup, res, now);
    *out = res;
    return 0;
}

int pp_rules_eval(const pp_ruleset *rs, const pp_inventory *inv, time_t now, pp_results **out)
{
    if (!rs || !inv || !out)
        return pp_err_set(PP_EINVAL, "pp_rules_eval: missing argument");
    return pp_rules_eval_some(rs, NULL, 0, inv, now, out);
}
