/* The Terraform plan reader: validates `terraform show -json` output, keeps what will exist after
 * apply from resource_changes (with its unknown and sensitive marks), indexes the configuration
 * for references, and runs the type mappers of plan_map.c into an inventory.
 *
 * A 50 MB plan must load in well under a second and a few hundred MB: the file is read once,
 * checked by a small validating scanner that also finds the top-level members, and only the parts
 * we use are handed to jansson (planned_values and prior_state are never built), one resource
 * change at a time so that `before` values are dropped as soon as they are parsed. */
#include "plan_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define COMPONENT     "plan"
#define MAX_DEPTH     512
#define MAX_REF_DEPTH 16

struct pp_plan {
    char *path;
    char *format_version;
    char *terraform_version;
    bool complete;
    pp_plan_stats stats;
    pp_plan_ctx ctx;
    json_t *sensitive;      /* {"address": ["path", ...]} */
    json_t *module_sources; /* {"module.a.module.b": "./src"} */
};

/* ---- string map ------------------------------------------------------------------------- */

static size_t smap_hash(const char *s)
{
    size_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void smap_grow(pp_plan_smap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    char **keys = pp_xcalloc(cap, sizeof(*keys));
    void **vals = pp_xcalloc(cap, sizeof(*vals));
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = smap_hash(m->keys[i]) & (cap - 1);
        while (keys[j])
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
}

void pp_plan_smap_free(pp_plan_smap *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

void *pp_plan_smap_get(const pp_plan_smap *m, const char *key)
{
    if (!m->cap || !key)
        return NULL;
    size_t j = smap_hash(key) & (m->cap - 1);
    while (m->keys[j]) {
        if (strcmp(m->keys[j], key) == 0)
            return m->vals[j];
        j = (j + 1) & (m->cap - 1);
    }
    return NULL;
}

void pp_plan_smap_put(pp_plan_smap *m, const char *key, void *val)
{
    if ((m->n + 1) * 2 > m->cap)
        smap_grow(m);
    size_t j = smap_hash(key) & (m->cap - 1);
    while (m->keys[j]) {
        if (strcmp(m->keys[j], key) == 0) {
            m->vals[j] = val;
            return;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->keys[j] = pp_xstrdup(key);
    m->vals[j] = val;
    m->n++;
}

/* ---- addresses ---------------------------------------------------------------------------- */

char **pp_plan_addr_split(const char *addr, size_t *n)
{
    size_t cap = 8, cnt = 0;
    char **v = pp_xcalloc(cap + 1, sizeof(*v));
    const char *start = addr;
    int depth = 0;
    bool quoted = false;
    for (const char *p = addr;; p++) {
        if (quoted) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                quoted = false;
            else if (!*p)
                break;
            continue;
        }
        if (*p == '"')
            quoted = true;
        else if (*p == '[')
            depth++;
        else if (*p == ']' && depth > 0)
            depth--;
        if ((*p == '.' && depth == 0) || !*p) {
            if (cnt == cap) {
                cap *= 2;
                v = pp_xrealloc(v, (cap + 1) * sizeof(*v));
            }
            v[cnt++] = pp_xstrndup(start, (size_t)(p - start));
            v[cnt] = NULL;
            if (!*p)
                break;
            start = p + 1;
        }
    }
    if (quoted) { /* unterminated quote: keep what was read as the last segment */
        if (cnt == cap) {
            cap += 1;
            v = pp_xrealloc(v, (cap + 1) * sizeof(*v));
        }
        v[cnt++] = pp_xstrdup(start);
        v[cnt] = NULL;
    }
    if (n)
        *n = cnt;
    return v;
}

char *pp_plan_addr_strip_keys(const char *addr)
{
    pp_buf b;
    pp_buf_init(&b, 0);
    int depth = 0;
    bool quoted = false;
    for (const char *p = addr; *p; p++) {
        if (quoted) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                quoted = false;
            continue;
        }
        if (depth > 0) {
            if (*p == '"')
                quoted = true;
            else if (*p == '[')
                depth++;
            else if (*p == ']')
                depth--;
            continue;
        }
        if (*p == '[') {
            depth++;
            continue;
        }
        pp_buf_putc(&b, *p);
    }
    if (!b.data)
        return pp_xstrdup("");
    return pp_buf_steal(&b);
}

/* "net[0]" -> 0, "net[\"a\"]" -> "a"; NULL without a key. */
static json_t *segment_key(const char *seg)
{
    const char *lb = strchr(seg, '[');
    if (!lb)
        return NULL;
    const char *p = lb + 1;
    if (*p == '"') {
        pp_buf b;
        pp_buf_init(&b, 0);
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1])
                p++;
            pp_buf_putc(&b, *p);
        }
        json_t *k = json_string(pp_buf_cstr(&b));
        pp_buf_free(&b);
        return k;
    }
    char *end = NULL;
    long long v = strtoll(p, &end, 10);
    if (end == p || *end != ']')
        return NULL;
    return json_integer(v);
}

/* ---- the validating scanner --------------------------------------------------------------- */

typedef struct jscan {
    const char *base, *p, *end;
    const char *err_at;
    const char *err;
} jscan;

static int js_fail(jscan *s, const char *at, const char *msg)
{
    if (!s->err) {
        s->err = msg;
        s->err_at = at;
    }
    return -1;
}

static void js_ws(jscan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A string starting at s->p ('"'); leaves s->p after the closing quote. *escaped says whether the
 * raw bytes differ from the value (so a key compare on raw bytes is only valid when false). */
static int js_string(jscan *s, bool *escaped)
{
    const char *start = s->p;
    s->p++;
    if (escaped)
        *escaped = false;
    while (s->p < s->end) {
        unsigned char c = (unsigned char)*s->p;
        if (c == '"') {
            s->p++;
            return 0;
        }
        if (c == '\\') {
            if (escaped)
                *escaped = true;
            if (s->p + 1 >= s->end)
                break;
            char e = s->p[1];
            if (e == 'u') {
                if (s->end - s->p < 6)
                    break;
                for (int i = 2; i < 6; i++)
                    if (hexval(s->p[i]) < 0)
                        return js_fail(s, s->p, "invalid \\u escape");
                s->p += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e))
                return js_fail(s, s->p, "invalid escape in string");
            s->p += 2;
            continue;
        }
        if (c < 0x20)
            return js_fail(s, s->p, "control character in string");
        if (c < 0x80) {
            s->p++;
            continue;
        }
        /* UTF-8: validate the sequence length and continuation bytes. */
        int len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (!len || c == 0xC0 || c == 0xC1 || c > 0xF4)
            return js_fail(s, s->p, "invalid UTF-8 in string");
        if (s->end - s->p < len)
            break;
        for (int i = 1; i < len; i++)
            if (((unsigned char)s->p[i] & 0xC0) != 0x80)
                return js_fail(s, s->p, "invalid UTF-8 in string");
        s->p += len;
    }
    (void)start;
    return js_fail(s, s->end, "unexpected end of input in a string");
}

static int js_number(jscan *s)
{
    const char *p = s->p, *start = s->p;
    if (p < s->end && *p == '-')
        p++;
    if (p >= s->end || *p < '0' || *p > '9')
        return js_fail(s, start, "invalid number");
    if (*p == '0')
        p++;
    else
        while (p < s->end && *p >= '0' && *p <= '9')
            p++;
    if (p < s->end && *p == '.') {
        p++;
        if (p >= s->end || *p < '0' || *p > '9')
            return js_fail(s, start, "invalid number");
        while (p < s->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < s->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < s->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= s->end || *p < '0' || *p > '9')
            return js_fail(s, start, "invalid number");
        while (p < s->end && *p >= '0' && *p <= '9')
            p++;
    }
    s->p = p;
    return 0;
}

static int js_value(jscan *s, int depth);

static int js_container(jscan *s, int depth)
{
    char close = *s->p == '{' ? '}' : ']';
    bool obj = close == '}';
    if (depth >= MAX_DEPTH)
        return js_fail(s, s->p, "nesting too deep");
    s->p++;
    js_ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        return 0;
    }
    for (;;) {
        js_ws(s);
        if (s->p >= s->end)
            return js_fail(s, s->end, "unexpected end of input");
        if (obj) {
            if (*s->p != '"')
                return js_fail(s, s->p, "expected a string key");
            if (js_string(s, NULL) < 0)
                return -1;
            js_ws(s);
            if (s->p >= s->end)
                return js_fail(s, s->end, "unexpected end of input");
            if (*s->p != ':')
                return js_fail(s, s->p, "expected ':'");
            s->p++;
        }
        if (js_value(s, depth + 1) < 0)
            return -1;
        js_ws(s);
        if (s->p >= s->end)
            return js_fail(s, s->end, "unexpected end of input");
        if (*s->p == ',') {
            s->p++;
            continue;
        }
        if (*s->p == close) {
            s->p++;
            return 0;
        }
        return js_fail(s, s->p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int js_literal(jscan *s, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
        return js_fail(s, s->p, "invalid literal");
    s->p += n;
    return 0;
}

static int js_value(jscan *s, int depth)
{
    js_ws(s);
    if (s->p >= s->end)
        return js_fail(s, s->p, "unexpected end of input");
    switch (*s->p) {
    case '{':
    case '[':
        return js_container(s, depth);
    case '"':
        return js_string(s, NULL);
    case 't':
        return js_literal(s, "true");
    case 'f':
        return js_literal(s, "false");
    case 'n':
        return js_literal(s, "null");
    default:
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
            return js_number(s);
        return js_fail(s, s->p, "unexpected character");
    }
}

/* Line and column (1-based, bytes) of `at` in base. */
static void line_col(const char *base, const char *at, int *line, int *col)
{
    int l = 1;
    const char *ls = base;
    for (const char *p = base; p < at; p++)
        if (*p == '\n') {
            l++;
            ls = p + 1;
        }
    *line = l;
    *col = (int)(at - ls) + 1;
}

/* ---- loading ------------------------------------------------------------------------------ */

typedef struct slice {
    const char *p;
    size_t n;
} slice;

typedef struct top {
    slice format_version, terraform_version, resource_changes, configuration, variables;
    slice errored, complete, planned_values, values, prior_state;
} top;

static int err_at(const char *name, const char *base, const char *at, const char *fmt, ...)
    PP_PRINTF(4, 5);

static int err_at(const char *name, const char *base, const char *at, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    int line, col;
    line_col(base, at, &line, &col);
    return pp_err_set(PP_EINVAL, "%s:%d:%d: %s", name, line, col, msg);
}

/* Parses a slice with jansson; errors point into the whole file. */
static json_t *slice_load(const char *name, const char *base, slice sl, int *rc)
{
    json_error_t e;
    json_t *v = json_loadb(sl.p, sl.n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!v) {
        size_t pos = (size_t)e.position <= sl.n ? (size_t)e.position : sl.n;
        *rc = err_at(name, base, sl.p + pos, "invalid JSON: %s", e.text);
    }
    return v;
}

/* One line for a scanner error; running out of input is almost always a truncated file. */
static int js_error(const jscan *s, const char *name)
{
    bool eof = s->err_at >= s->end;
    return err_at(name, s->base, s->err_at, "invalid JSON: %s%s", s->err,
                  eof ? " (truncated file?)" : "");
}

static int scan_top(jscan *s, const char *name, top *t)
{
    memset(t, 0, sizeof(*t));
    js_ws(s);
    if (s->p >= s->end)
        return err_at(name, s->base, s->p, "empty file, expected a Terraform plan (JSON)");
    if (*s->p != '{')
        return err_at(name, s->base, s->p, "expected a JSON object (terraform show -json output)");
    s->p++;
    js_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        goto _tail;
    }
    for (;;) {
        js_ws(s);
        if (s->p >= s->end) {
            js_fail(s, s->end, "unexpected end of input");
            break;
        }
        if (*s->p != '"') {
            js_fail(s, s->p, "expected a string key");
            break;
        }
        const char *k = s->p + 1;
        bool escaped = false;
        if (js_string(s, &escaped) < 0)
            break;
        size_t klen = (size_t)(s->p - 1 - k);
        js_ws(s);
        if (s->p >= s->end) {
            js_fail(s, s->end, "unexpected end of input");
            break;
        }
        if (*s->p != ':') {
            js_fail(s, s->p, "expected ':'");
            break;
        }
        s->p++;
        js_ws(s);
        const char *v = s->p;
        if (js_value(s, 1) < 0)
            break;
        slice sl = {v, (size_t)(s->p - v)};
        static const struct {
            const char *key;
            size_t off;
        } wanted[] = {
            {"format_version", offsetof(top, format_version)},
            {"terraform_version", offsetof(top, terraform_version)},
            {"resource_changes", offsetof(top, resource_changes)},
            {"configuration", offsetof(top, configuration)},
            {"variables", offsetof(top, variables)},
            {"errored", offsetof(top, errored)},
            {"complete", offsetof(top, complete)},
            {"planned_values", offsetof(top, planned_values)},
            {"values", offsetof(top, values)},
            {"prior_state", offsetof(top, prior_state)},
        };
        for (size_t i = 0; !escaped && i < sizeof(wanted) / sizeof(wanted[0]); i++)
            if (strlen(wanted[i].key) == klen && memcmp(wanted[i].key, k, klen) == 0)
                *(slice *)((char *)t + wanted[i].off) = sl;
        js_ws(s);
        if (s->p >= s->end) {
            js_fail(s, s->end, "unexpected end of input");
            break;
        }
        if (*s->p == ',') {
            s->p++;
            continue;
        }
        if (*s->p == '}') {
            s->p++;
            goto _tail;
        }
        js_fail(s, s->p, "expected ',' or '}'");
        break;
    }
    return js_error(s, name);
_tail:
    js_ws(s);
    if (s->p < s->end)
        return err_at(name, s->base, s->p, "invalid JSON: unexpected data after the plan object");
    return 0;
}

static bool slice_is(slice sl, const char *lit)
{
    return sl.p && sl.n == strlen(lit) && memcmp(sl.p, lit, sl.n) == 0;
}

/* "1.2" -> accepted; "2.0" -> refused. Returns the version string (owned) or NULL + error. */
static char *check_version(const char *name, const char *base, slice sl, int *rc)
{
    if (!sl.p) {
        *rc = pp_err_set(PP_EINVAL,
                         "%s: not a Terraform plan: no format_version (expected the output of "
                         "`terraform show -json PLANFILE`)",
                         name);
        return NULL;
    }
    json_t *v = slice_load(name, base, sl, rc);
    if (!v)
        return NULL;
    if (!json_is_string(v)) {
        json_decref(v);
        *rc = err_at(name, base, sl.p, "format_version must be a string");
        return NULL;
    }
    const char *s = json_string_value(v);
    char *out = NULL;
    char *end = NULL;
    errno = 0;
    long major = strtol(s, &end, 10);
    if (end == s || errno || (*end && *end != '.')) {
        *rc = err_at(name, base, sl.p, "invalid format_version \"%s\"", s);
    } else if (major != 1) {
        *rc = err_at(name, base, sl.p, "unsupported plan format_version \"%s\" (parapet reads 1.x)",
                     s);
    } else {
        out = pp_xstrdup(s);
    }
    json_decref(v);
    return out;
}

/* ---- configuration index -------------------------------------------------------------------- */

static void index_module(pp_plan *p, const json_t *mod, const char *path)
{
    pp_plan_ctx *ctx = &p->ctx;
    pp_plan_smap_put(&ctx->cfg_mod, path, (void *)mod);
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(mod, "resources"), i, r)
    {
        const char *addr = json_string_value(json_object_get(r, "address"));
        if (!addr)
            continue;
        char *key = pp_xasprintf("%s|%s", path, addr);
        pp_plan_smap_put(&ctx->cfg_res, key, (void *)r);
        free(key);
    }
    const char *call;
    const json_t *c;
    json_object_foreach((json_t *)json_object_get(mod, "module_calls"), call, c)
    {
        char *sub = pp_xasprintf("%s%smodule.%s", path, *path ? "." : "", call);
        const char *src = json_string_value(json_object_get(c, "source"));
        if (src)
            json_object_set_new(p->module_sources, sub, json_string(src));
        const json_t *m = json_object_get(c, "module");
        if (json_is_object(m))
            index_module(p, m, sub);
        free(sub);
    }
}

const json_t *pp_plan_cfg_expr(const pp_plan_rc *rc, const char *attr)
{
    if (!rc->cfg)
        return NULL;
    return json_object_get(json_object_get(rc->cfg, "expressions"), attr);
}

/* ---- references ---------------------------------------------------------------------------- */

pp_plan_rc *pp_plan_rc_find(pp_plan_ctx *ctx, const char *address)
{
    return pp_plan_smap_get(&ctx->by_address, address);
}

typedef struct rc_list {
    pp_plan_rc **v;
    size_t n, cap;
} rc_list;

static bool is_ident(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!(*s == '_' || *s == '-' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

/* The log group ARN AWS will assign, when the name is known: joins from a trail's
 * cloud_watch_logs_group_arn to metric filters (which know the group by name) keep working. */
static json_t *synthetic_arn(const pp_plan_rc *t)
{
    if (strcmp(t->type, "aws_cloudwatch_log_group") == 0) {
        const json_t *n = json_object_get(t->after, "name");
        const json_t *nu = json_object_get(t->unk, "name");
        if (json_is_string(n) && !json_is_true(nu) && !json_is_true(t->unk))
            return json_sprintf("arn:aws:logs:%s::log-group:%s", t->region, json_string_value(n));
    }
    return json_string(t->address);
}

static json_t *rc_attr_value(const pp_plan_ctx *ctx, const pp_plan_rc *t, const char *attr)
{
    if (ctx->want_address)
        return json_string(t->address);
    if (strcmp(attr, "id") == 0 || (strcmp(attr, "key_id") == 0 && t->id_synthetic))
        return json_string(t->id);
    const json_t *v = json_object_get(t->after, attr);
    bool unknown = json_is_true(t->unk) || json_is_true(json_object_get(t->unk, attr));
    if (!unknown && (json_is_string(v) || json_is_number(v) || json_is_boolean(v)))
        return json_incref((json_t *)v);
    if (unknown && strcmp(attr, "arn") == 0)
        return synthetic_arn(t);
    return NULL;
}

static int resolve_expr(pp_plan_ctx *ctx, const char *inst, const json_t *expr,
                        const char *default_attr, bool want_list, const json_t *iter_key, int depth,
                        json_t *out);

/* The parent of a module instance and the call segment: "module.a[0].module.b" ->
 * "module.a[0]" + "b"; false for the root. */
static bool module_parent(const char *inst, char **parent, char **call_seg)
{
    size_t n = 0;
    char **seg = pp_plan_addr_split(inst, &n);
    bool ok = n >= 2 && n % 2 == 0 && strcmp(seg[n - 2], "module") == 0;
    if (ok) {
        pp_buf b;
        pp_buf_init(&b, 0);
        for (size_t i = 0; i + 2 < n; i++)
            pp_buf_printf(&b, "%s%s", i ? "." : "", seg[i]);
        *parent = b.data ? pp_buf_steal(&b) : pp_xstrdup("");
        *call_seg = pp_xstrdup(seg[n - 1]);
    }
    pp_strv_free(seg);
    return ok;
}

static int resolve_resource(pp_plan_ctx *ctx, const char *inst, char **seg, size_t n,
                            const char *default_attr, bool want_list, bool has_iter,
                            const json_t *iter_key, json_t *out)
{
    const char *attr = n >= 3 ? seg[2] : default_attr;
    if (!attr || n > 3 || !is_ident(attr) || !is_ident(seg[0]))
        return -1;
    char *addr = pp_xasprintf("%s%s%s.%s", inst, *inst ? "." : "", seg[0], seg[1]);
    pp_plan_rc *t = pp_plan_rc_find(ctx, addr);
    int rc = -1;
    if (t) {
        json_t *v = rc_attr_value(ctx, t, attr);
        if (v) {
            json_array_append_new(out, v);
            rc = 0;
        }
        goto _exit;
    }
    if (strchr(seg[1], '['))
        goto _exit;
    /* A resource with count/for_each referenced without a static key: the same key as the
     * referencing instance (`x[count.index]`), or every instance for a list (`x[*].id`). */
    rc_list *l = pp_plan_smap_get(&ctx->by_base, addr);
    if (!l)
        goto _exit;
    if (has_iter && iter_key) {
        for (size_t i = 0; i < l->n; i++)
            if (l->v[i]->index && json_equal(l->v[i]->index, (json_t *)iter_key)) {
                json_t *v = rc_attr_value(ctx, l->v[i], attr);
                if (v) {
                    json_array_append_new(out, v);
                    rc = 0;
                }
                break;
            }
    } else if (want_list && !has_iter) {
        rc = 0;
        for (size_t i = 0; i < l->n && rc == 0; i++) {
            json_t *v = rc_attr_value(ctx, l->v[i], attr);
            if (v)
                json_array_append_new(out, v);
            else
                rc = -1;
        }
    }
_exit:
    free(addr);
    return rc;
}

static int resolve_one(pp_plan_ctx *ctx, const char *inst, const char *ref,
                       const char *default_attr, bool want_list, bool has_iter,
                       const json_t *iter_key, int depth, json_t *out)
{
    size_t n = 0;
    char **seg = pp_plan_addr_split(ref, &n);
    int rc = -1;
    char *parent = NULL, *call = NULL, *cfgpath = NULL, *callee = NULL;
    json_t *key = NULL;
    if (n < 2)
        goto _exit;
    if (strcmp(seg[0], "var") == 0) {
        if (n != 2 || !is_ident(seg[1]))
            goto _exit;
        if (!*inst) {
            const json_t *v = json_object_get(json_object_get(ctx->variables, seg[1]), "value");
            if (json_is_string(v)) {
                json_array_append(out, (json_t *)v);
                rc = 0;
            } else if (json_is_array(v) && want_list) {
                size_t i;
                const json_t *e;
                rc = 0;
                json_array_foreach(v, i, e)
                {
                    if (!json_is_string(e))
                        rc = -1;
                    else
                        json_array_append(out, (json_t *)e);
                }
            }
            goto _exit;
        }
        if (!module_parent(inst, &parent, &call))
            goto _exit;
        key = segment_key(call);
        char *lb = strchr(call, '[');
        if (lb)
            *lb = '\0';
        cfgpath = pp_plan_addr_strip_keys(parent);
        const json_t *pm = pp_plan_smap_get(&ctx->cfg_mod, cfgpath);
        const json_t *expr = json_object_get(
            json_object_get(json_object_get(json_object_get(pm, "module_calls"), call),
                            "expressions"),
            seg[1]);
        rc = resolve_expr(ctx, parent, expr, default_attr, want_list, key, depth + 1, out);
        goto _exit;
    }
    if (strcmp(seg[0], "module") == 0) {
        if (n != 3 || !is_ident(seg[2]))
            goto _exit;
        callee = pp_xasprintf("%s%smodule.%s", inst, *inst ? "." : "", seg[1]);
        cfgpath = pp_plan_addr_strip_keys(callee);
        const json_t *cm = pp_plan_smap_get(&ctx->cfg_mod, cfgpath);
        const json_t *expr =
            json_object_get(json_object_get(json_object_get(cm, "outputs"), seg[2]), "expression");
        rc = resolve_expr(ctx, callee, expr, default_attr, want_list, NULL, depth + 1, out);
        goto _exit;
    }
    static const char *const opaque[] = {"data", "local", "self",      "path", "terraform",
                                         "each", "count", "ephemeral", NULL};
    for (const char *const *o = opaque; *o; o++)
        if (strcmp(seg[0], *o) == 0)
            goto _exit;
    rc = resolve_resource(ctx, inst, seg, n, default_attr, want_list, has_iter, iter_key, out);
_exit:
    json_decref(key);
    free(parent);
    free(call);
    free(cfgpath);
    free(callee);
    pp_strv_free(seg);
    return rc;
}

/* Terraform lists every prefix of a reference ("aws_vpc.main.id", "aws_vpc.main"); keep the
 * longest of each. */
static bool ref_is_prefix(const char *a, const char *b)
{
    size_t n = strlen(a);
    return strlen(b) > n && strncmp(a, b, n) == 0 && (b[n] == '.' || b[n] == '[');
}

static int resolve_expr(pp_plan_ctx *ctx, const char *inst, const json_t *expr,
                        const char *default_attr, bool want_list, const json_t *iter_key, int depth,
                        json_t *out)
{
    if (!json_is_object(expr) || depth > MAX_REF_DEPTH)
        return -1;
    const json_t *refs = json_object_get(expr, "references");
    if (!json_is_array(refs) || !json_array_size(refs)) {
        const json_t *cv = json_object_get(expr, "constant_value");
        if (json_is_string(cv)) {
            json_array_append(out, (json_t *)cv);
            return 0;
        }
        if (json_is_array(cv) && want_list) {
            size_t i;
            const json_t *e;
            json_array_foreach(cv, i, e)
            {
                if (!json_is_string(e))
                    return -1;
                json_array_append(out, (json_t *)e);
            }
            return 0;
        }
        return -1;
    }
    size_t n = json_array_size(refs);
    bool has_iter = false;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        const char *r = json_string_value(json_array_get(refs, i));
        if (!r)
            return -1;
        if (pp_str_startswith(r, "count.") || pp_str_startswith(r, "each.")) {
            has_iter = true;
            continue;
        }
        bool prefix = false;
        for (size_t j = 0; j < n && !prefix; j++) {
            const char *o = json_string_value(json_array_get(refs, j));
            prefix = o && ref_is_prefix(r, o);
        }
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = pp_str_eq(r, json_string_value(json_array_get(refs, j)));
        if (prefix || dup)
            continue;
        kept++;
        if (!want_list && kept > 1)
            return -1; /* two things feed one value: a conditional or a function */
    }
    if (!kept)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *r = json_string_value(json_array_get(refs, i));
        if (pp_str_startswith(r, "count.") || pp_str_startswith(r, "each."))
            continue;
        bool skip = false;
        for (size_t j = 0; j < n && !skip; j++)
            skip = ref_is_prefix(r, json_string_value(json_array_get(refs, j)));
        for (size_t j = 0; j < i && !skip; j++)
            skip = pp_str_eq(r, json_string_value(json_array_get(refs, j)));
        if (skip)
            continue;
        if (resolve_one(ctx, inst, r, default_attr, want_list, has_iter, iter_key, depth, out) < 0)
            return -1;
    }
    return 0;
}

json_t *pp_plan_resolve(pp_plan_ctx *ctx, const pp_plan_rc *rc, const char *attr,
                        const char *default_attr, bool want_list)
{
    const json_t *expr = pp_plan_cfg_expr(rc, attr);
    if (!expr)
        return NULL;
    json_t *out = json_array();
    if (resolve_expr(ctx, rc->module, expr, default_attr, want_list, rc->index, 0, out) < 0 ||
        (!want_list && json_array_size(out) != 1)) {
        json_decref(out);
        return NULL;
    }
    if (want_list)
        return out;
    json_t *v = json_incref(json_array_get(out, 0));
    json_decref(out);
    if (!json_is_string(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

pp_plan_rc *pp_plan_resolve_target(pp_plan_ctx *ctx, const pp_plan_rc *rc, const char *attr)
{
    ctx->want_address = true;
    json_t *a = pp_plan_resolve(ctx, rc, attr, "id", false);
    ctx->want_address = false;
    pp_plan_rc *t = a ? pp_plan_rc_find(ctx, json_string_value(a)) : NULL;
    json_decref(a);
    return t;
}

static const json_t *provider_config(pp_plan_ctx *ctx, const pp_plan_rc *rc, const char **key_out)
{
    const json_t *pcs = json_object_get(ctx->config, "provider_config");
    const char *key = json_string_value(json_object_get(rc->cfg, "provider_config_key"));
    const json_t *pc = key ? json_object_get(pcs, key) : NULL;
    if (!pc && key && strrchr(key, ':'))
        pc = json_object_get(pcs, strrchr(key, ':') + 1);
    if (!pc)
        pc = json_object_get(pcs, "aws");
    if (key_out)
        *key_out = key;
    return pc;
}

bool pp_plan_provider_has_default_tags(pp_plan_ctx *ctx, const pp_plan_rc *rc)
{
    const json_t *pc = provider_config(ctx, rc, NULL);
    const json_t *dt = json_object_get(json_object_get(pc, "expressions"), "default_tags");
    return dt && !(json_is_array(dt) && json_array_size(dt) == 0);
}

/* ---- documents ------------------------------------------------------------------------------ */

void pp_plan_doc_register(pp_plan_ctx *ctx, const char *type, const char *key, pp_resource *r)
{
    if (!key || !*key)
        return;
    char *k = pp_xasprintf("%s\x1f%s", type, key);
    pp_plan_smap_put(&ctx->docs, k, r);
    free(k);
}

pp_resource *pp_plan_doc_find(pp_plan_ctx *ctx, const char *type, const char *key)
{
    if (!key)
        return NULL;
    char *k = pp_xasprintf("%s\x1f%s", type, key);
    pp_resource *r = pp_plan_smap_get(&ctx->docs, k);
    free(k);
    return r;
}

static pp_resource *doc_make(pp_plan_ctx *ctx, pp_plan_rc *rc, const char *type, const char *id,
                             const char *arn)
{
    pp_resource *r = pp_resource_new(type, id, arn, NULL, rc->region, NULL);
    r->address = pp_xstrdup(rc->address);
    r->unknown = json_object();
    pp_inventory_add(ctx->inv, r);
    ctx->stats->documents++;
    return r;
}

pp_resource *pp_plan_doc_new(pp_plan_ctx *ctx, pp_plan_rc *rc, const char *type)
{
    const json_t *arn = json_object_get(rc->after, "arn");
    bool arn_known = json_is_string(arn) && !json_is_true(json_object_get(rc->unk, "arn"));
    pp_resource *r = doc_make(ctx, rc, type, rc->id, arn_known ? json_string_value(arn) : NULL);
    rc->res = r;
    pp_plan_smap_put(&ctx->doc_rc, rc->address, rc);
    return r;
}

pp_resource *pp_plan_doc_synthetic(pp_plan_ctx *ctx, pp_plan_rc *rc, const char *type,
                                   const char *id)
{
    pp_resource *r = doc_make(ctx, rc, type, id, NULL);
    rc->res = r;
    ctx->stats->synthetic++;
    pp_log(PP_LOG_DEBUG, COMPONENT, "%s: its %s is not in the plan; checked on its own",
           rc->address, type);
    return r;
}

void pp_plan_note_merged(pp_plan_ctx *ctx, const pp_plan_rc *rc, const pp_resource *into)
{
    json_t *a = json_object_get(ctx->merged, into->address);
    if (!a) {
        a = json_array();
        json_object_set_new(ctx->merged, into->address, a);
    }
    json_array_append_new(a, json_string(rc->address));
    ctx->stats->merged++;
}

/* Drops false leaves and empty containers: what is left are the paths to unknown values. */
/* Prunes a mirror in place: false leaves and containers with nothing unknown below go, so what
 * is left are the paths to unknown values. Returns whether anything unknown remains under m. */
static bool prune(json_t *m)
{
    if (json_is_true(m))
        return true;
    if (json_is_object(m)) {
        const char *k;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(m, tmp, k, v)
        {
            if (!prune(v))
                json_object_del(m, k);
        }
        return json_object_size(m) > 0;
    }
    if (json_is_array(m)) {
        bool any = false;
        for (size_t i = 0; i < json_array_size(m); i++) {
            json_t *v = json_array_get(m, i);
            if (prune(v))
                any = true;
            else if (!json_is_false(v))
                json_array_set_new(m, i, json_false());
        }
        return any;
    }
    return false;
}

static void finish_mirror(pp_resource *r)
{
    if (r->unknown && !prune(r->unknown)) {
        json_decref(r->unknown);
        r->unknown = NULL;
    }
}

static void find_sensitive(const json_t *v, const json_t *marker, pp_buf *path, json_t *out)
{
    if (v == marker) {
        json_array_append_new(out, json_string(pp_buf_cstr(path)));
        return;
    }
    size_t len = path->len;
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c)
        {
            if (len)
                pp_buf_putc(path, '.');
            pp_buf_puts(path, k);
            find_sensitive(c, marker, path, out);
            path->len = len;
            if (path->data)
                path->data[len] = '\0';
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach((json_t *)v, i, c)
        {
            pp_buf_printf(path, "[%zu]", i);
            find_sensitive(c, marker, path, out);
            path->len = len;
            if (path->data)
                path->data[len] = '\0';
        }
    }
}

/* ---- resource changes ---------------------------------------------------------------------- */

static unsigned parse_actions(const json_t *a, bool *ok)
{
    unsigned bits = 0;
    size_t i;
    const json_t *v;
    *ok = json_is_array(a) && json_array_size(a) > 0;
    json_array_foreach(a, i, v)
    {
        const char *s = json_string_value(v);
        if (!s)
            *ok = false;
        else if (strcmp(s, "no-op") == 0)
            bits |= PP_PLAN_ACT_NOOP;
        else if (strcmp(s, "create") == 0)
            bits |= PP_PLAN_ACT_CREATE;
        else if (strcmp(s, "update") == 0)
            bits |= PP_PLAN_ACT_UPDATE;
        else if (strcmp(s, "delete") == 0)
            bits |= PP_PLAN_ACT_DELETE;
        else if (strcmp(s, "read") == 0)
            bits |= PP_PLAN_ACT_READ;
        else if (strcmp(s, "forget") == 0)
            bits |= PP_PLAN_ACT_FORGET;
        /* other actions from newer Terraform: ignored, the rest of the list decides */
    }
    return bits;
}

/* For types we do not map, keep only top-level scalars: enough to resolve references to them
 * (a log group's name and arn) without holding their whole value. */
static json_t *scalars_only(const json_t *after)
{
    json_t *o = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)after, k, v)
    {
        if (json_is_string(v) || json_is_number(v) || json_is_boolean(v))
            json_object_set(o, k, v);
    }
    return o;
}

static json_t *true_keys_only(const json_t *unk)
{
    json_t *o = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)unk, k, v)
    {
        if (json_is_true(v))
            json_object_set(o, k, v);
    }
    return o;
}

static char *rc_region(pp_plan_ctx *ctx, const pp_plan_rc *rc)
{
    const json_t *r = json_object_get(rc->after, "region");
    if (json_is_string(r) && !json_is_true(json_object_get(rc->unk, "region")))
        return pp_xstrdup(json_string_value(r));
    const char *key = NULL;
    const json_t *pc = provider_config(ctx, rc, &key);
    const json_t *expr = json_object_get(json_object_get(pc, "expressions"), "region");
    const json_t *cv = json_object_get(expr, "constant_value");
    if (json_is_string(cv))
        return pp_xstrdup(json_string_value(cv));
    const json_t *refs = json_object_get(expr, "references");
    const char *ref = json_string_value(json_array_get(refs, 0));
    bool root_provider = !key || !strchr(key, ':');
    if (json_array_size(refs) == 1 && ref && pp_str_startswith(ref, "var.") && root_provider) {
        const json_t *v = json_object_get(json_object_get(ctx->variables, ref + 4), "value");
        if (json_is_string(v))
            return pp_xstrdup(json_string_value(v));
    }
    return pp_xstrdup("unknown");
}

static void rc_free(pp_plan_rc *rc)
{
    if (!rc)
        return;
    free(rc->address);
    free(rc->module);
    free(rc->base);
    free(rc->type);
    free(rc->name);
    json_decref(rc->index);
    json_decref(rc->after);
    json_decref(rc->unk);
    json_decref(rc->sens);
    free(rc->id);
    free(rc->region);
    free(rc);
}

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* Reads the object at s->p, leaving s->p after it: out[i] is the slice of the member named
 * keys[i], or {NULL, 0}. False when there is no object there. The whole file was validated by
 * scan_top, so this only finds extents. */
static bool members_scan(jscan *s, const char *const *keys, slice *out)
{
    size_t nk = 0;
    while (keys[nk])
        nk++;
    memset(out, 0, nk * sizeof(*out));
    js_ws(s);
    if (s->p >= s->end || *s->p != '{')
        return false;
    s->p++;
    js_ws(s);
    while (s->p < s->end && *s->p == '"') {
        const char *k = s->p + 1;
        bool escaped = false;
        if (js_string(s, &escaped) < 0)
            return false;
        size_t klen = (size_t)(s->p - 1 - k);
        js_ws(s);
        if (s->p >= s->end || *s->p != ':')
            return false;
        s->p++;
        js_ws(s);
        const char *v = s->p;
        if (js_value(s, 1) < 0)
            return false;
        for (size_t i = 0; !escaped && i < nk; i++)
            if (strlen(keys[i]) == klen && memcmp(keys[i], k, klen) == 0)
                out[i] = (slice){v, (size_t)(s->p - v)};
        js_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            js_ws(s);
        }
    }
    if (s->p >= s->end || *s->p != '}')
        return false;
    s->p++;
    return true;
}

static bool members(const char *base, slice sl, const char *const *keys, slice *out)
{
    jscan s = {.base = base, .p = sl.p, .end = sl.p + sl.n};
    return members_scan(&s, keys, out);
}

/* The parts of a resource change we read, as a small object: `before` (as large as `after` for
 * every unchanged resource) is never built, nor `after` for what will not exist. */
static json_t *load_change(pp_plan *p, jscan *s, int *rc)
{
    const char *base = s->base;
    js_ws(s);
    slice sl = {s->p, 0};
    static const char *const el_keys[] = {"address", "module_address", "mode",    "type",
                                          "name",    "index",          "deposed", NULL};
    static const char *const ch_keys[] = {"actions", "after", "after_unknown", "after_sensitive",
                                          NULL};
    static const char *const top_keys[] = {"address", "module_address", "mode",   "type", "name",
                                           "index",   "deposed",        "change", NULL};
    slice em[8], cm[4];
    *rc = 0;
    if (!members_scan(s, top_keys, em)) {
        *rc = err_at(p->path, base, sl.p, "a resource change must be an object");
        return NULL;
    }
    json_t *e = json_object();
    for (size_t i = 0; el_keys[i]; i++) {
        if (!em[i].p)
            continue;
        json_t *v = slice_load(p->path, base, em[i], rc);
        if (!v)
            goto _fail;
        json_object_set_new(e, el_keys[i], v);
    }
    if (!em[7].p)
        return e;
    json_t *change = json_object();
    json_object_set_new(e, "change", change);
    if (!members(base, em[7], ch_keys, cm))
        return e; /* not an object: reported by the caller */
    bool managed = pp_str_eq(json_string_value(json_object_get(e, "mode")), "managed");
    for (size_t i = 0; ch_keys[i]; i++) {
        if (!cm[i].p || (i > 0 && !managed))
            continue;
        json_t *v = slice_load(p->path, base, cm[i], rc);
        if (!v)
            goto _fail;
        json_object_set_new(change, ch_keys[i], v);
        if (i == 0) {
            bool ok;
            unsigned a = parse_actions(v, &ok);
            if (ok && !(a & (PP_PLAN_ACT_CREATE | PP_PLAN_ACT_UPDATE | PP_PLAN_ACT_NOOP)))
                break; /* nothing will exist: no need for after */
        }
    }
    return e;
_fail:
    json_decref(e);
    return NULL;
}

/* Types whose Terraform id is another attribute (a name the configuration sets, the id of the
 * default object a resource adopts): while `id` is unknown until apply, that value is it. */
static const char *const id_sources[][2] = {
    {"aws_default_route_table", "default_route_table_id"},
    {"aws_default_network_acl", "default_network_acl_id"},
    {"aws_s3_bucket", "bucket"},
    {"aws_iam_user", "name"},
    {"aws_iam_group", "name"},
    {"aws_iam_role", "name"},
    {"aws_config_configuration_recorder", "name"},
    {"aws_config_delivery_channel", "name"},
    {"aws_cloudwatch_metric_alarm", "alarm_name"},
    {"aws_cloudwatch_log_metric_filter", "name"},
    {"aws_cloudwatch_log_group", "name"},
};

static const char *known_str(const json_t *after, const json_t *unk, const char *k)
{
    const json_t *v = json_object_get(after, k);
    if (json_is_true(unk) || json_is_true(json_object_get(unk, k)) || !json_is_string(v) ||
        !*json_string_value(v))
        return NULL;
    return json_string_value(v);
}

static const char *known_id(const char *type, const json_t *after, const json_t *unk)
{
    const char *id = known_str(after, unk, "id");
    for (size_t i = 0; !id && i < sizeof(id_sources) / sizeof(id_sources[0]); i++)
        if (strcmp(type, id_sources[i][0]) == 0)
            id = known_str(after, unk, id_sources[i][1]);
    if (!id && strcmp(type, "aws_iam_account_password_policy") == 0)
        id = "iam-account-password-policy"; /* the provider's fixed id */
    return id;
}

/* One resource_changes element. */
static int read_change(pp_plan *p, jscan *s, size_t idx)
{
    pp_plan_ctx *ctx = &p->ctx;
    int rc = 0;
    const char *base = s->base;
    js_ws(s);
    slice sl = {s->p, 0};
    json_t *e = load_change(p, s, &rc);
    if (!e)
        return rc;
    p->stats.changes++;
    const json_t *change = json_object_get(e, "change");
    const char *address = jstr(e, "address"), *mode = jstr(e, "mode"), *type = jstr(e, "type");
    const char *name = jstr(e, "name");
    bool ok = true;
    unsigned actions = parse_actions(json_object_get(change, "actions"), &ok);
    if (!json_is_object(e) || !address || !mode || !type || !name || !json_is_object(change) ||
        !ok) {
        rc = err_at(p->path, base, sl.p,
                    "resource_changes[%zu]: needs address, mode, type, name and change.actions",
                    idx);
        goto _exit;
    }
    if (strcmp(mode, "managed") != 0 || (actions & PP_PLAN_ACT_READ)) {
        p->stats.data++;
        goto _exit;
    }
    /* What will exist after apply: creates, updates, replacements and no-ops. A deposed object
     * is an old instance on its way out. */
    if (!(actions & (PP_PLAN_ACT_CREATE | PP_PLAN_ACT_UPDATE | PP_PLAN_ACT_NOOP)) ||
        json_object_get(e, "deposed")) {
        p->stats.deleted++;
        goto _exit;
    }
    const json_t *after = json_object_get(change, "after");
    if (!json_is_object(after)) {
        rc = err_at(p->path, base, sl.p,
                    "resource_changes[%zu] (%s): change.after must be an "
                    "object for a resource that will exist",
                    idx, address);
        goto _exit;
    }
    if (pp_plan_smap_get(&ctx->by_address, address)) {
        rc = err_at(p->path, base, sl.p, "resource_changes[%zu]: duplicate address %s", idx,
                    address);
        goto _exit;
    }
    pp_plan_rc *r = pp_xcalloc(1, sizeof(*r));
    r->address = pp_xstrdup(address);
    const char *mod = jstr(e, "module_address");
    r->module = pp_xstrdup(mod ? mod : "");
    r->type = pp_xstrdup(type);
    r->name = pp_xstrdup(name);
    r->base = pp_xasprintf("%s%s%s.%s", r->module, *r->module ? "." : "", type, name);
    const json_t *index = json_object_get(e, "index");
    r->index =
        json_is_integer(index) || json_is_string(index) ? json_incref((json_t *)index) : NULL;
    r->actions = actions;
    r->mapper = pp_plan_mapper_find(type);
    const json_t *unk = json_object_get(change, "after_unknown");
    const json_t *sens = json_object_get(change, "after_sensitive");
    if (r->mapper) {
        r->after = json_incref((json_t *)after);
        r->unk = unk ? json_incref((json_t *)unk) : NULL;
        r->sens = sens ? json_incref((json_t *)sens) : NULL;
    } else {
        r->after = scalars_only(after);
        r->unk = json_is_object(unk) ? true_keys_only(unk)
                 : unk               ? json_incref((json_t *)unk)
                                     : NULL;
    }
    const char *id = known_id(type, after, unk);
    if (id) {
        r->id = pp_xstrdup(id);
    } else {
        r->id = pp_xstrdup(address);
        r->id_synthetic = true;
    }
    char *cfgmod = pp_plan_addr_strip_keys(r->module);
    char *cfgkey = pp_xasprintf("%s|%s.%s", cfgmod, type, name);
    r->cfg = pp_plan_smap_get(&ctx->cfg_res, cfgkey);
    free(cfgkey);
    free(cfgmod);
    r->region = rc_region(ctx, r);

    if (ctx->n_rcs % 256 == 0)
        ctx->rcs = pp_xrealloc(ctx->rcs, (ctx->n_rcs + 256) * sizeof(*ctx->rcs));
    ctx->rcs[ctx->n_rcs++] = r;
    pp_plan_smap_put(&ctx->by_address, r->address, r);
    rc_list *l = pp_plan_smap_get(&ctx->by_base, r->base);
    if (!l) {
        l = pp_xcalloc(1, sizeof(*l));
        pp_plan_smap_put(&ctx->by_base, r->base, l);
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->v = pp_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = r;
    p->stats.evaluated++;
_exit:
    json_decref(e);
    return rc;
}

/* Walks the resource_changes array element by element. */
static int read_changes(pp_plan *p, const char *base, slice arr)
{
    jscan s = {.base = base, .p = arr.p, .end = arr.p + arr.n};
    if (*s.p != '[')
        return err_at(p->path, base, s.p, "resource_changes must be an array");
    s.p++;
    js_ws(&s);
    if (s.p < s.end && *s.p == ']')
        return 0;
    for (size_t idx = 0;; idx++) {
        int rc = read_change(p, &s, idx);
        if (rc < 0)
            return rc;
        js_ws(&s);
        if (s.p < s.end && *s.p == ',') {
            s.p++;
            continue;
        }
        return 0; /* the top-level scan already checked the array's syntax */
    }
}

/* After its mapper ran, a change keeps its top-level scalars and unknown marks: all that
 * resolving a reference to it reads. */
static void rc_shrink(pp_plan_rc *rc)
{
    if (json_is_object(rc->after)) {
        json_t *a = scalars_only(rc->after);
        json_decref(rc->after);
        rc->after = a;
    }
    if (json_is_object(rc->unk)) {
        json_t *u = true_keys_only(rc->unk);
        json_decref(rc->unk);
        rc->unk = u;
    }
    json_decref(rc->sens);
    rc->sens = NULL;
}

/* ---- mapping -------------------------------------------------------------------------------- */

static void map_all(pp_plan *p)
{
    pp_plan_ctx *ctx = &p->ctx;
    for (int phase = 1; phase <= 2; phase++) {
        for (size_t i = 0; i < ctx->n_rcs; i++) {
            pp_plan_rc *rc = ctx->rcs[i];
            if (!rc->mapper || rc->mapper->phase != phase)
                continue;
            rc->mapper->map(ctx, rc);
            /* Memory: a mapped change keeps only what references to it read, and a document
             * nothing merges into gets its final (pruned) mirror now. */
            if (phase == 1 && rc->res && !rc->mapper->target && !rc->mapper->post)
                finish_mirror(rc->res);
            rc_shrink(rc);
        }
    }
    for (size_t i = 0; i < ctx->n_rcs; i++) {
        pp_plan_rc *rc = ctx->rcs[i];
        if (rc->mapper && rc->mapper->post && rc->res)
            rc->mapper->post(ctx, rc);
    }
    for (size_t i = 0; i < ctx->n_rcs; i++) {
        pp_plan_rc *rc = ctx->rcs[i];
        if (rc->mapper)
            continue;
        json_t *n = json_object_get(ctx->unmapped, rc->type);
        json_object_set_new(ctx->unmapped, rc->type,
                            json_integer(n ? json_integer_value(n) + 1 : 1));
        p->stats.unmapped++;
    }
    const char *t;
    json_t *n;
    json_object_foreach(ctx->unmapped, t, n)
    {
        pp_log(PP_LOG_DEBUG, COMPONENT, "not mapped: %s (%lld)", t, json_integer_value(n));
    }
    /* Finish every document: prune its mirror and find what sensitive values it holds. */
    pp_buf path;
    pp_buf_init(&path, 0);
    for (size_t i = 0; i < pp_inventory_count(ctx->inv); i++) {
        pp_resource *r = pp_inventory_at(ctx->inv, i);
        finish_mirror(r);
        if (!ctx->any_sensitive)
            continue;
        json_t *paths = json_array();
        pp_buf_reset(&path);
        find_sensitive(r->doc, ctx->sensitive_marker, &path, paths);
        if (json_array_size(paths))
            json_object_set_new(p->sensitive, r->address, paths);
        else
            json_decref(paths);
    }
    pp_buf_free(&path);
}

/* ---- public ---------------------------------------------------------------------------------- */

static pp_plan *plan_new(const char *name)
{
    pp_plan *p = pp_xcalloc(1, sizeof(*p));
    p->path = pp_xstrdup(name);
    p->complete = true;
    p->sensitive = json_object();
    p->module_sources = json_object();
    pp_plan_ctx *ctx = &p->ctx;
    ctx->merged = json_object();
    ctx->unmapped = json_object();
    ctx->sensitive_marker = json_string(PP_PLAN_SENSITIVE);
    ctx->inv = pp_inventory_new(PP_SOURCE_PLAN);
    ctx->stats = &p->stats;
    return p;
}

/* Everything that needs the file's bytes; mapping runs after they are released. */
static int plan_parse(pp_plan *p, const char *data, size_t len)
{
    int rc = 0;
    json_t *v = NULL;
    pp_plan_ctx *ctx = &p->ctx;
    const char *name = p->path;
    top t;
    jscan s = {.base = data, .p = data, .end = data + len};
    rc = scan_top(&s, name, &t);
    if (rc < 0)
        goto _exit;
    if (!t.format_version.p && t.values.p) {
        rc = pp_err_set(PP_EINVAL,
                        "%s: this is Terraform state, not a plan (use `terraform show "
                        "-json PLANFILE`)",
                        name);
        goto _exit;
    }
    p->format_version = check_version(name, data, t.format_version, &rc);
    if (!p->format_version)
        goto _exit;
    if (!t.resource_changes.p && !t.planned_values.p && !t.configuration.p) {
        rc = pp_err_set(PP_EINVAL,
                        "%s: not a Terraform plan: no resource_changes, planned_values or "
                        "configuration%s",
                        name, t.values.p || t.prior_state.p ? " (a state file?)" : "");
        goto _exit;
    }
    if (slice_is(t.errored, "true")) {
        rc = pp_err_set(PP_EINVAL,
                        "%s: Terraform reports this plan as errored; fix the plan "
                        "before checking it",
                        name);
        goto _exit;
    }
    if (slice_is(t.complete, "false"))
        p->complete = false;
    if (t.terraform_version.p) {
        v = slice_load(name, data, t.terraform_version, &rc);
        if (!v)
            goto _exit;
        if (json_is_string(v))
            p->terraform_version = pp_xstrdup(json_string_value(v));
        json_decref(v);
        v = NULL;
    }
    if (t.variables.p) {
        ctx->variables = slice_load(name, data, t.variables, &rc);
        if (!ctx->variables)
            goto _exit;
    }
    if (t.configuration.p) {
        ctx->config = slice_load(name, data, t.configuration, &rc);
        if (!ctx->config)
            goto _exit;
        const json_t *root = json_object_get(ctx->config, "root_module");
        if (json_is_object(root))
            index_module(p, root, "");
    }
    if (t.resource_changes.p && !slice_is(t.resource_changes, "null")) {
        rc = read_changes(p, data, t.resource_changes);
        if (rc < 0)
            goto _exit;
    }
_exit:
    json_decref(v);
    return rc;
}

static void plan_finish(pp_plan *p)
{
    map_all(p);
    pp_log(PP_LOG_INFO, COMPONENT,
           "%s: %zu changes, %zu evaluated, %zu documents (%zu merged, %zu synthetic), %zu "
           "deleted, %zu data, %zu unmapped",
           p->path, p->stats.changes, p->stats.evaluated, p->stats.documents, p->stats.merged,
           p->stats.synthetic, p->stats.deleted, p->stats.data, p->stats.unmapped);
}

int pp_plan_load_buffer(const char *data, size_t len, const char *name, const pp_plan_opts *opts,
                        pp_plan **out)
{
    size_t max = opts && opts->max_bytes ? opts->max_bytes : PP_PLAN_MAX_BYTES;
    *out = NULL;
    if (len > max)
        return pp_err_set(PP_EINVAL, "%s: plan is %zu bytes, above the %zu byte limit", name, len,
                          max);
    pp_plan *p = plan_new(name);
    int rc = plan_parse(p, data, len);
    if (rc < 0) {
        pp_plan_free(p);
        return rc;
    }
    plan_finish(p);
    *out = p;
    return 0;
}

int pp_plan_load_file(const char *path, const pp_plan_opts *opts, pp_plan **out)
{
    int rc = 0;
    FILE *f = NULL;
    char *buf = NULL;
    pp_plan *p = NULL;
    size_t max = opts && opts->max_bytes ? opts->max_bytes : PP_PLAN_MAX_BYTES;
    struct stat st;
    *out = NULL;
    f = fopen(path, "rb");
    if (!f) {
        rc = pp_err_set(PP_EIO, "%s: %s", path, strerror(errno));
        goto _exit;
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = pp_err_set(PP_EIO, "%s: not a regular file", path);
        goto _exit;
    }
    if ((unsigned long long)st.st_size > max) {
        rc = pp_err_set(PP_EINVAL, "%s: plan is %lld bytes, above the %zu byte limit", path,
                        (long long)st.st_size, max);
        goto _exit;
    }
    size_t len = (size_t)st.st_size;
    buf = pp_xmalloc(len + 1);
    size_t got = 0;
    while (got < len) {
        size_t n = fread(buf + got, 1, len - got, f);
        if (n == 0)
            break;
        got += n;
    }
    if (ferror(f)) {
        rc = pp_err_set(PP_EIO, "%s: %s", path, strerror(errno));
        goto _exit;
    }
    buf[got] = '\0';
    fclose(f);
    f = NULL;
    p = plan_new(path);
    rc = plan_parse(p, buf, got);
    free(buf);
    buf = NULL;
    if (rc < 0)
        goto _exit;
    plan_finish(p);
    *out = p;
    p = NULL;
_exit:
    pp_plan_free(p);
    free(buf);
    if (f)
        fclose(f);
    return rc;
}

void pp_plan_free(pp_plan *p)
{
    if (!p)
        return;
    pp_plan_ctx *ctx = &p->ctx;
    for (size_t i = 0; i < ctx->n_rcs; i++)
        rc_free(ctx->rcs[i]);
    free(ctx->rcs);
    for (size_t i = 0; i < ctx->by_base.cap; i++) {
        rc_list *l = ctx->by_base.vals[i];
        if (ctx->by_base.keys[i] && l) {
            free(l->v);
            free(l);
        }
    }
    pp_plan_smap_free(&ctx->by_address);
    pp_plan_smap_free(&ctx->by_base);
    pp_plan_smap_free(&ctx->cfg_res);
    pp_plan_smap_free(&ctx->cfg_mod);
    pp_plan_smap_free(&ctx->docs);
    pp_plan_smap_free(&ctx->doc_rc);
    json_decref(ctx->config);
    json_decref(ctx->variables);
    json_decref(ctx->sensitive_marker);
    json_decref(ctx->merged);
    json_decref(ctx->unmapped);
    pp_inventory_free(ctx->inv);
    json_decref(p->sensitive);
    json_decref(p->module_sources);
    free(p->path);
    free(p->format_version);
    free(p->terraform_version);
    free(p);
}

pp_inventory *pp_plan_inventory(const pp_plan *p)
{
    return p->ctx.inv;
}

pp_inventory *pp_plan_take_inventory(pp_plan *p)
{
    pp_inventory *inv = p->ctx.inv;
    p->ctx.inv = NULL;
    return inv;
}

const pp_plan_stats *pp_plan_stats_get(const pp_plan *p)
{
    return &p->stats;
}

const char *pp_plan_path(const pp_plan *p)
{
    return p->path;
}

const char *pp_plan_format_version(const pp_plan *p)
{
    return p->format_version;
}

const char *pp_plan_terraform_version(const pp_plan *p)
{
    return p->terraform_version;
}

bool pp_plan_complete(const pp_plan *p)
{
    return p->complete;
}

const json_t *pp_plan_unmapped(const pp_plan *p)
{
    return p->ctx.unmapped;
}

const json_t *pp_plan_sensitive(const pp_plan *p)
{
    return p->sensitive;
}

const json_t *pp_plan_merged_into(const pp_plan *p, const char *address)
{
    return json_object_get(p->ctx.merged, address);
}

const json_t *pp_plan_module_sources(const pp_plan *p)
{
    return p->module_sources;
}
