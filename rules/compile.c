/* The condition compiler: a rule's `where` and `assert` YAML into pp_cond trees, once, at load.
 * Everything that can be checked without a resource is checked here and reported with its
 * position: construct and operator names, value types, paths against the resource type's
 * declared document paths (below quantifiers and joins too), regexes (with PCRE2's offset),
 * CIDRs, ports, protocols and parameter references. */
#include "rules_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const pp_op_names[PP_OP_COUNT_] = {
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "in",
    "not_in",
    "contains",
    "regex",
    "glob",
    "present",
    "absent",
    "empty",
    "cidr_contains",
    "cidr_within",
    "cidr_overlaps",
    "open_to_world",
};

/* ---- paths --------------------------------------------------------------------------------- */

/* IAM documents write a single statement, action, resource or principal as a lone value and
 * several as a list; `[]` after these keys reads both. */
static bool iam_list_key(const char *k)
{
    static const char *const keys[] = {"Statement",     "Action", "NotAction", "Resource",
                                       "NotResource",   "AWS",    "Service",   "Federated",
                                       "CanonicalUser", NULL};
    for (const char *const *p = keys; *p; p++)
        if (strcmp(*p, k) == 0)
            return true;
    return false;
}

void pp_path_clear(pp_path *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->segs[i].key);
    free(p->segs);
    free(p->text);
    memset(p, 0, sizeof(*p));
}

static void add_seg(pp_path *p, enum pp_seg_kind kind, const char *key, size_t klen, long index)
{
    p->segs = pp_xrealloc(p->segs, (p->n + 1) * sizeof(*p->segs));
    pp_pseg *s = &p->segs[p->n++];
    memset(s, 0, sizeof(*s));
    s->kind = kind;
    s->key = key ? pp_xstrndup(key, klen) : NULL;
    s->key_len = key ? strlen(s->key) : 0;
    s->index = index;
}

int pp_path_parse(const char *text, pp_path *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->text = pp_xstrdup(text);
    const char *p = text;
    int n_each = 0;
    if (strcmp(p, "$") == 0 || strcmp(p, "$$") == 0) {
        out->root = true;
        out->top = p[1] == '$';
        return 0;
    }
    if (pp_str_startswith(p, "$$.")) {
        out->root = out->top = true;
        p += 3;
    } else if (pp_str_startswith(p, "$.")) {
        out->root = true;
        p += 2;
    }
    if (!*p) {
        snprintf(err, errlen, "empty path");
        goto _fail;
    }
    while (*p) {
        const char *k = p;
        while (*p && *p != '.' && *p != '[' && *p != ']')
            p++;
        if (p == k) {
            snprintf(err, errlen, "path '%s': empty key at offset %d", text, (int)(k - text));
            goto _fail;
        }
        add_seg(out, PP_SEG_KEY, k, (size_t)(p - k), 0);
        while (*p == '[') {
            if (p[1] == ']') {
                add_seg(out, PP_SEG_EACH, NULL, 0, 0);
                pp_pseg *prev = &out->segs[out->n - 2];
                /* Statement[], Action[]; Condition.<Operator>.<key>[] */
                if (prev->kind == PP_SEG_KEY &&
                    (iam_list_key(prev->key) ||
                     (out->n >= 4 && out->segs[out->n - 4].kind == PP_SEG_KEY &&
                      strcmp(out->segs[out->n - 4].key, "Condition") == 0)))
                    out->segs[out->n - 1].promote = true;
                out->multi = true;
                n_each++;
                p += 2;
            } else {
                const char *q = p + 1;
                long idx = 0;
                if (!isdigit((unsigned char)*q)) {
                    snprintf(err, errlen, "path '%s': expected [] or [N] at offset %d", text,
                             (int)(p - text));
                    goto _fail;
                }
                while (isdigit((unsigned char)*q) && idx < 1000000)
                    idx = idx * 10 + (*q++ - '0');
                if (*q != ']') {
                    snprintf(err, errlen, "path '%s': expected ] at offset %d", text,
                             (int)(q - text));
                    goto _fail;
                }
                add_seg(out, PP_SEG_INDEX, NULL, 0, idx);
                p = q + 1;
            }
        }
        if (*p == '.') {
            p++;
            if (!*p) {
                snprintf(err, errlen, "path '%s' ends with '.'", text);
                goto _fail;
            }
        } else if (*p) {
            snprintf(err, errlen, "path '%s': unexpected '%c' at offset %d", text, *p,
                     (int)(p - text));
            goto _fail;
        }
    }
    if (out->n > 32 || n_each > 15) {
        snprintf(err, errlen, "path '%s' is too deep", text);
        goto _fail;
    }
    return 0;
_fail:
    pp_path_clear(out);
    return PP_EINVAL;
}

/* The declared form of a path ("IpPermissions[].FromPort") joined to the context prefix. */
static char *declared_form(const char *prefix, const pp_path *p)
{
    pp_buf b;
    pp_buf_init(&b, 0);
    if (!p->root && prefix && *prefix)
        pp_buf_puts(&b, prefix);
    for (size_t i = 0; i < p->n; i++) {
        if (p->segs[i].kind == PP_SEG_KEY) {
            if (b.len)
                pp_buf_putc(&b, '.');
            pp_buf_puts(&b, p->segs[i].key);
        } else {
            pp_buf_puts(&b, "[]");
        }
    }
    return pp_buf_steal(&b);
}

/* Parses the path in node n and checks it against the context's type. */
static bool compile_path(const pp_ynode *n, pp_cctx *c, pp_path *out, char **declared)
{
    char err[256];
    const char *text = pp_ystr(n, "a path", c->d);
    if (!text)
        return false;
    if (pp_path_parse(text, out, err, sizeof(err)) != 0) {
        pp_ydiag(c->d, n, "%s", err);
        return false;
    }
    char *decl = declared_form(c->prefix, out);
    const pp_type *t = out->top ? c->rule_type : c->type;
    if (*decl && t && !pp_type_has_path(t, decl)) {
        if (c->prefix && *c->prefix && !out->root)
            pp_ydiag(c->d, n, "path '%s' (%s) is not declared for %s", text, decl, t->name);
        else
            pp_ydiag(c->d, n, "path '%s' is not declared for %s", text, t->name);
        free(decl);
        pp_path_clear(out);
        return false;
    }
    if (declared)
        *declared = decl;
    else
        free(decl);
    return true;
}

/* ---- values, parameters, for_each items ------------------------------------------------------ */

static const json_t *lookup_ref(const pp_ynode *at, pp_cctx *c, const char *ref, size_t len,
                                bool *ok)
{
    char name[128];
    *ok = false;
    while (len && isspace((unsigned char)*ref))
        ref++, len--;
    while (len && isspace((unsigned char)ref[len - 1]))
        len--;
    if (len >= sizeof(name)) {
        pp_ydiag(c->d, at, "reference too long");
        return NULL;
    }
    memcpy(name, ref, len);
    name[len] = '\0';
    if (pp_str_startswith(name, "params.")) {
        const json_t *v = json_object_get(c->params, name + 7);
        if (!v) {
            pp_ydiag(c->d, at, "unknown parameter '%s'", name + 7);
            return NULL;
        }
        *ok = true;
        return v;
    }
    if (strcmp(name, "item") == 0 || pp_str_startswith(name, "item.")) {
        if (!c->has_item) {
            pp_ydiag(c->d, at, "'%s' is only defined in rules with for_each", name);
            return NULL;
        }
        const json_t *v = c->item;
        if (name[4] == '.') {
            v = json_is_object(v) ? json_object_get(v, name + 5) : NULL;
            if (!v) {
                pp_ydiag(c->d, at, "the for_each item has no key '%s'", name + 5);
                return NULL;
            }
        }
        *ok = true;
        return v;
    }
    pp_ydiag(c->d, at, "unknown reference '{{ %s }}' (use params.NAME or item.KEY)", name);
    return NULL;
}

static bool scalar_text(const json_t *v, pp_buf *b)
{
    if (json_is_string(v))
        return pp_buf_append(b, json_string_value(v), json_string_length(v)) == 0;
    if (json_is_integer(v))
        return pp_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v)) == 0;
    if (json_is_real(v))
        return pp_buf_printf(b, "%.17g", json_real_value(v)) == 0;
    if (json_is_boolean(v))
        return pp_buf_puts(b, json_is_true(v) ? "true" : "false") == 0;
    return false;
}

static json_t *template_value(const pp_ynode *n, pp_cctx *c)
{
    const char *s = n->s;
    const char *open = strstr(s, "{{");
    const char *close = open ? strstr(open, "}}") : NULL;
    bool ok;
    if (open && close && open == s && close[2] == '\0' && !strstr(open + 2, "{{")) {
        const json_t *v = lookup_ref(n, c, open + 2, (size_t)(close - open - 2), &ok);
        return ok ? json_deep_copy(v) : NULL;
    }
    pp_buf b;
    pp_buf_init(&b, 64 * 1024);
    const char *p = s;
    while ((open = strstr(p, "{{")) != NULL) {
        close = strstr(open, "}}");
        if (!close) {
            pp_ydiag(c->d, n, "unterminated '{{' in '%s'", s);
            pp_buf_free(&b);
            return NULL;
        }
        pp_buf_append(&b, p, (size_t)(open - p));
        const json_t *v = lookup_ref(n, c, open + 2, (size_t)(close - open - 2), &ok);
        if (!ok) {
            pp_buf_free(&b);
            return NULL;
        }
        if (!scalar_text(v, &b)) {
            pp_ydiag(c->d, n, "only a scalar can be placed inside a string");
            pp_buf_free(&b);
            return NULL;
        }
        p = close + 2;
    }
    pp_buf_puts(&b, p);
    json_t *out = json_stringn(b.data ? b.data : "", b.len);
    pp_buf_free(&b);
    return out;
}

json_t *pp_value_resolve(const pp_ynode *n, pp_cctx *c)
{
    if (n->kind == PP_Y_SCALAR) {
        if (strstr(n->s, "{{") && !n->str_tag)
            return template_value(n, c);
        return pp_yaml_json(n, c->d);
    }
    if (n->kind == PP_Y_MAP && n->n == 2 &&
        (strcmp(n->kids[0]->s, "param") == 0 || strcmp(n->kids[0]->s, "item") == 0)) {
        bool is_item = n->kids[0]->s[0] == 'i';
        const char *name = pp_ystr(n->kids[1], is_item ? "item" : "param", c->d);
        if (!name)
            return NULL;
        char ref[160];
        snprintf(ref, sizeof(ref), "%s%s%s", is_item ? "item" : "params.",
                 is_item && *name ? "." : "", name);
        bool ok;
        const json_t *v = lookup_ref(n->kids[1], c, ref, strlen(ref), &ok);
        return ok ? json_deep_copy(v) : NULL;
    }
    if (n->kind == PP_Y_SEQ) {
        json_t *a = json_array();
        for (size_t i = 0; i < n->n; i++) {
            json_t *v = pp_value_resolve(n->kids[i], c);
            if (!v) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, v);
        }
        return a;
    }
    json_t *o = json_object();
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        json_t *v = pp_value_resolve(n->kids[i + 1], c);
        if (!v) {
            json_decref(o);
            return NULL;
        }
        json_object_set_new(o, n->kids[i]->s, v);
    }
    return o;
}

/* ---- condition nodes ---------------------------------------------------------------------------
 */

static pp_cond *cond_new(enum pp_ckind kind, const pp_ynode *at)
{
    pp_cond *c = pp_xcalloc(1, sizeof(*c));
    c->kind = kind;
    c->file = at->file;
    c->line = at->line;
    c->col = at->col;
    return c;
}

static void keyexpr_clear(pp_keyexpr *k)
{
    pp_path_clear(&k->path);
    pcre2_code_free(k->capture);
}

static void join_free(pp_join *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n_on; i++)
        keyexpr_clear(&j->on[i]);
    for (size_t i = 0; i < j->n_eq; i++)
        keyexpr_clear(&j->eq[i]);
    free(j->on);
    free(j->eq);
    free(j);
}

void pp_cond_free(pp_cond *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        pp_cond_free(c->kids[i]);
    free(c->kids);
    pp_path_clear(&c->path);
    pp_path_clear(&c->value_path);
    json_decref(c->dflt);
    json_decref(c->value);
    pcre2_code_free(c->re);
    free(c->cidrs);
    pp_cond_free(c->match);
    join_free(c->join);
    free(c->ports);
    free(c->from);
    pp_strv_free(c->actions);
    pp_strv_free(c->resources);
    free(c);
}

static pcre2_code *compile_regex(const pp_ynode *at, const char *pattern, bool icase, pp_cctx *c)
{
    int errcode = 0;
    PCRE2_SIZE off = 0;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | (icase ? PCRE2_CASELESS : 0), &errcode, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(errcode, msg, sizeof(msg));
        pp_ydiag(c->d, at, "invalid regex '%s': %s at offset %zu", pattern, (const char *)msg,
                 (size_t)off);
        return NULL;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* best effort: the interpreter still works */
    return re;
}

static bool parse_cidrs(const pp_ynode *at, const json_t *v, pp_cond *n, pp_cctx *c)
{
    size_t count = json_is_array(v) ? json_array_size(v) : 1;
    if (!json_is_array(v) && !json_is_string(v)) {
        pp_ydiag(c->d, at, "%s needs a CIDR or a list of CIDRs", pp_op_names[n->op]);
        return false;
    }
    if (count == 0) {
        pp_ydiag(c->d, at, "%s needs at least one CIDR", pp_op_names[n->op]);
        return false;
    }
    n->cidrs = pp_xcalloc(count, sizeof(*n->cidrs));
    for (size_t i = 0; i < count; i++) {
        const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
        if (!json_is_string(e) || pp_cidr_parse(json_string_value(e), &n->cidrs[i]) != 0) {
            pp_ydiag(c->d, at, "'%s' is not a CIDR",
                     json_is_string(e) ? json_string_value(e) : "(not a string)");
            return false;
        }
    }
    n->n_cidrs = count;
    return true;
}

static bool parse_op(const pp_ynode *at, pp_cctx *c, enum pp_op *out)
{
    const char *s = pp_ystr(at, "op", c->d);
    if (!s)
        return false;
    for (int i = 0; i < PP_OP_COUNT_; i++)
        if (strcmp(pp_op_names[i], s) == 0) {
            *out = (enum pp_op)i;
            return true;
        }
    pp_ydiag(c->d, at,
             "unknown operator '%s' (eq ne lt le gt ge in not_in contains regex glob present "
             "absent empty cidr_contains cidr_within cidr_overlaps open_to_world)",
             s);
    return false;
}

/* op + value / value_path, already knowing the subject. */
static bool compile_cmp(const pp_ynode *m, pp_cond *n, pp_cctx *c)
{
    const pp_ynode *opn = pp_ymap_get(m, "op");
    const pp_ynode *vn = pp_ymap_get(m, "value");
    const pp_ynode *vpn = pp_ymap_get(m, "value_path");
    const pp_ynode *icn = pp_ymap_get(m, "ignore_case"), *isn = pp_ymap_get(m, "ignore_space");
    if (!parse_op(opn, c, &n->op))
        return false;
    const pp_ynode *flags[] = {icn, isn};
    bool *dest[] = {&n->icase, &n->nospace};
    for (int i = 0; i < 2; i++) {
        if (!flags[i])
            continue;
        json_t *b = pp_yaml_json(flags[i], c->d);
        if (!json_is_boolean(b)) {
            pp_ydiag(c->d, flags[i], "%s must be true or false",
                     i ? "ignore_space" : "ignore_case");
            json_decref(b);
            return false;
        }
        *dest[i] = json_is_true(b);
        json_decref(b);
    }
    if (n->nospace && n->op != PP_OP_EQ && n->op != PP_OP_NE && n->op != PP_OP_CONTAINS) {
        pp_ydiag(c->d, isn, "ignore_space goes with eq, ne and contains");
        return false;
    }
    bool unary = n->op == PP_OP_PRESENT || n->op == PP_OP_ABSENT || n->op == PP_OP_EMPTY ||
                 n->op == PP_OP_OPEN_TO_WORLD;
    if (unary) {
        if (vn || vpn) {
            pp_ydiag(c->d, vn ? vn : vpn, "'%s' takes no value", pp_op_names[n->op]);
            return false;
        }
        return true;
    }
    if (vn && vpn) {
        pp_ydiag(c->d, vpn, "use either value or value_path, not both");
        return false;
    }
    if (!vn && !vpn) {
        pp_ydiag(c->d, opn, "'%s' needs a value (or value_path)", pp_op_names[n->op]);
        return false;
    }
    if (vpn) {
        if (n->op == PP_OP_REGEX || n->op == PP_OP_GLOB) {
            pp_ydiag(c->d, vpn, "'%s' needs a literal value", pp_op_names[n->op]);
            return false;
        }
        if (!compile_path(vpn, c, &n->value_path, NULL))
            return false;
        if (n->value_path.multi) {
            pp_ydiag(c->d, vpn, "value_path '%s' yields several values", n->value_path.text);
            return false;
        }
        n->has_value_path = true;
        return true;
    }
    n->value = pp_value_resolve(vn, c);
    if (!n->value)
        return false;
    const json_t *v = n->value;
    switch (n->op) {
    case PP_OP_LT:
    case PP_OP_LE:
    case PP_OP_GT:
    case PP_OP_GE:
        if (!json_is_number(v)) {
            pp_ydiag(c->d, vn, "'%s' needs a number, not %s", pp_op_names[n->op], pp_ydesc(vn));
            return false;
        }
        break;
    case PP_OP_IN:
    case PP_OP_NOT_IN:
        if (!json_is_array(v)) {
            pp_ydiag(c->d, vn, "'%s' needs a list", pp_op_names[n->op]);
            return false;
        }
        break;
    case PP_OP_CONTAINS:
        if (json_is_array(v) || json_is_object(v) || json_is_null(v)) {
            pp_ydiag(c->d, vn, "'contains' needs a scalar value");
            return false;
        }
        break;
    case PP_OP_REGEX:
        if (!json_is_string(v)) {
            pp_ydiag(c->d, vn, "'regex' needs a string");
            return false;
        }
        n->re = compile_regex(vn, json_string_value(v), n->icase, c);
        return n->re != NULL;
    case PP_OP_GLOB:
        if (!json_is_string(v)) {
            pp_ydiag(c->d, vn, "'glob' needs a string");
            return false;
        }
        break;
    case PP_OP_CIDR_CONTAINS:
    case PP_OP_CIDR_WITHIN:
    case PP_OP_CIDR_OVERLAPS:
        return parse_cidrs(vn, v, n, c);
    case PP_OP_EQ:
    case PP_OP_NE:
        if (json_is_null(v)) {
            pp_ydiag(c->d, vn, "compare with null through 'absent' or 'present'");
            return false;
        }
        break;
    default:
        break;
    }
    return true;
}

static bool parse_ports(const pp_ynode *at, const json_t *v, pp_cond *n, pp_cctx *c)
{
    size_t count = json_is_array(v) ? json_array_size(v) : 1;
    n->ports = pp_xcalloc(count ? count : 1, sizeof(*n->ports));
    for (size_t i = 0; i < count; i++) {
        const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
        long lo = -1, hi = -1;
        if (json_is_integer(e)) {
            lo = hi = (long)json_integer_value(e);
        } else if (json_is_string(e)) {
            const char *s = json_string_value(e);
            char *end = NULL;
            lo = strtol(s, &end, 10);
            hi = lo;
            if (end && *end == '-')
                hi = strtol(end + 1, &end, 10);
            if (!end || *end || end == s)
                lo = -1;
        }
        if (lo < 0 || hi < lo || hi > 65535) {
            pp_ydiag(c->d, at, "ports: expected a port (0-65535) or a range \"FROM-TO\"");
            return false;
        }
        n->ports[i].lo = lo;
        n->ports[i].hi = hi;
    }
    n->n_ports = count;
    if (!count) {
        pp_ydiag(c->d, at, "ports: empty list");
        return false;
    }
    return true;
}

static bool parse_protocols(const pp_ynode *at, const json_t *v, pp_cond *n, pp_cctx *c)
{
    size_t count = json_is_array(v) ? json_array_size(v) : 1;
    if (count == 0 || count > sizeof(n->protos) / sizeof(n->protos[0])) {
        pp_ydiag(c->d, at, "protocol: give one to eight protocols");
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
        int p;
        if (json_is_string(e) && strcmp(json_string_value(e), "any") == 0)
            p = PP_PROTO_ALL;
        else if (pp_proto_parse(e, &p) != 0) {
            pp_ydiag(c->d, at, "protocol: %s", pp_err_msg());
            return false;
        }
        n->protos[i] = p;
    }
    n->n_protos = count;
    return true;
}

/* The shape of the current element for ports_overlap: a security group permission or a NACL
 * entry, decided from the type's declared paths. */
static bool element_shape(pp_cctx *c, const char *suffix_sg, const char *suffix_nacl, bool *nacl)
{
    char buf[512];
    const char *pre = c->prefix && *c->prefix ? c->prefix : NULL;
    snprintf(buf, sizeof(buf), "%s%s%s", pre ? pre : "", pre ? "." : "", suffix_sg);
    if (c->type && pp_type_has_path(c->type, buf)) {
        *nacl = false;
        return true;
    }
    snprintf(buf, sizeof(buf), "%s%s%s", pre ? pre : "", pre ? "." : "", suffix_nacl);
    if (c->type && pp_type_has_path(c->type, buf)) {
        *nacl = true;
        return true;
    }
    return false;
}

static bool compile_ports(const pp_ynode *key, const pp_ynode *v, pp_cond *n, pp_cctx *c)
{
    n->kind = PP_C_PORTS;
    if (!element_shape(c, "IpProtocol", "Protocol", &n->nacl_shape)) {
        pp_ydiag(c->d, key,
                 "ports_overlap reads a security group permission (IpProtocol, FromPort, ToPort) "
                 "or a network ACL entry (Protocol, PortRange); %s%s has neither",
                 c->type ? c->type->name : "this context", c->prefix && *c->prefix ? " here" : "");
        return false;
    }
    json_t *val = pp_value_resolve(v, c);
    if (!val)
        return false;
    bool ok = true;
    json_t *ports = val, *proto = NULL;
    if (json_is_object(val)) {
        static const char *const known[] = {"ports", "protocol", NULL};
        if (v->kind == PP_Y_MAP && !pp_ycheck_keys(v, known, "ports_overlap", c->d)) {
            ok = false;
            goto _exit;
        }
        ports = json_object_get(val, "ports");
        proto = json_object_get(val, "protocol");
    }
    if (ports && !parse_ports(v, ports, n, c))
        ok = false;
    if (ok && proto && !parse_protocols(v, proto, n, c))
        ok = false;
    if (ok && !proto) {
        n->protos[0] = 6;
        n->n_protos = 1;
    }
_exit:
    json_decref(val);
    return ok;
}

static bool compile_nacl(const pp_ynode *key, const pp_ynode *v, pp_cond *n, pp_cctx *c)
{
    n->kind = PP_C_NACL;
    char buf[512];
    snprintf(buf, sizeof(buf), "%s%sEntries[].RuleNumber", c->prefix ? c->prefix : "",
             c->prefix && *c->prefix ? "." : "");
    if (!c->type || !pp_type_has_path(c->type, buf)) {
        pp_ydiag(c->d, key, "nacl_allows reads a network ACL's Entries; %s has none here",
                 c->type ? c->type->name : "this context");
        return false;
    }
    if (v->kind != PP_Y_MAP) {
        pp_ydiag(c->d, v, "nacl_allows needs a mapping {ports, protocol, direction, from}");
        return false;
    }
    static const char *const known[] = {"ports", "protocol", "direction", "from", NULL};
    if (!pp_ycheck_keys(v, known, "nacl_allows", c->d))
        return false;
    json_t *val = pp_value_resolve(v, c);
    if (!val)
        return false;
    bool ok = true;
    const json_t *ports = json_object_get(val, "ports");
    const json_t *proto = json_object_get(val, "protocol");
    const json_t *dir = json_object_get(val, "direction");
    const json_t *from = json_object_get(val, "from");
    if (ports && !parse_ports(pp_ymap_get(v, "ports"), ports, n, c))
        ok = false;
    if (ok && proto && !parse_protocols(pp_ymap_get(v, "protocol"), proto, n, c))
        ok = false;
    if (ok && !proto) {
        n->protos[0] = 6;
        n->n_protos = 1;
    }
    if (ok && dir) {
        const char *d = json_string_value(dir);
        if (d && strcmp(d, "ingress") == 0)
            n->egress = false;
        else if (d && strcmp(d, "egress") == 0)
            n->egress = true;
        else {
            pp_ydiag(c->d, pp_ymap_get(v, "direction"), "direction must be ingress or egress");
            ok = false;
        }
    }
    if (ok) {
        const char *world[] = {"0.0.0.0/0", "::/0"};
        bool is_world =
            !from || (json_is_string(from) && !strcmp(json_string_value(from), "world"));
        size_t count = is_world ? 2 : json_is_array(from) ? json_array_size(from) : 1;
        n->from = pp_xcalloc(count ? count : 1, sizeof(*n->from));
        for (size_t i = 0; ok && i < count; i++) {
            const json_t *e = is_world              ? NULL
                              : json_is_array(from) ? json_array_get(from, i)
                                                    : from;
            const char *s = is_world ? world[i] : json_string_value(e);
            if (!s || pp_cidr_parse(s, &n->from[i]) != 0) {
                pp_ydiag(c->d, pp_ymap_get(v, "from"), "from: expected world or CIDRs");
                ok = false;
            }
        }
        n->n_from = count;
        if (ok && !count) {
            pp_ydiag(c->d, pp_ymap_get(v, "from"), "from: empty list");
            ok = false;
        }
    }
    json_decref(val);
    return ok;
}

static char **string_list(const pp_ynode *at, const json_t *v, const char *what, pp_cctx *c)
{
    size_t count = json_is_array(v) ? json_array_size(v) : 1;
    if (!count) {
        pp_ydiag(c->d, at, "%s: empty list", what);
        return NULL;
    }
    char **out = pp_xcalloc(count + 1, sizeof(*out));
    for (size_t i = 0; i < count; i++) {
        const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
        if (!json_is_string(e)) {
            pp_ydiag(c->d, at, "%s: expected strings", what);
            pp_strv_free(out);
            return NULL;
        }
        out[i] = pp_xstrdup(json_string_value(e));
    }
    return out;
}

static bool compile_policy(const pp_ynode *key, const pp_ynode *v, pp_cond *n, pp_cctx *c)
{
    if (strcmp(key->s, "policy_full_admin") == 0) {
        n->kind = PP_C_POLICY_ADMIN;
        json_t *b = pp_value_resolve(v, c);
        bool ok = json_is_true(b);
        json_decref(b);
        if (!ok)
            pp_ydiag(c->d, v, "policy_full_admin takes true (use not: for the opposite)");
        return ok;
    }
    n->kind = PP_C_POLICY_ALLOWS;
    if (v->kind != PP_Y_MAP) {
        pp_ydiag(c->d, v, "policy_allows needs a mapping {action, resource}");
        return false;
    }
    static const char *const known[] = {"action", "resource", NULL};
    if (!pp_ycheck_keys(v, known, "policy_allows", c->d))
        return false;
    const pp_ynode *an = pp_ymap_get(v, "action");
    const pp_ynode *rn = pp_ymap_get(v, "resource");
    if (!an) {
        pp_ydiag(c->d, v, "policy_allows needs an action");
        return false;
    }
    json_t *a = pp_value_resolve(an, c);
    json_t *r = rn ? pp_value_resolve(rn, c) : json_string("*");
    bool ok = a && r;
    if (ok) {
        n->actions = string_list(an, a, "action", c);
        n->resources = string_list(rn ? rn : v, r, "resource", c);
        ok = n->actions && n->resources;
    }
    json_decref(a);
    json_decref(r);
    return ok;
}

static bool compile_default(const pp_ynode *dn, pp_cond *n, pp_cctx *c)
{
    if (!dn)
        return true;
    n->dflt = pp_value_resolve(dn, c);
    if (n->dflt && json_is_null(n->dflt)) {
        pp_ydiag(c->d, dn, "a default of null means nothing: use present/absent");
        return false;
    }
    return n->dflt != NULL;
}

static const char *const predicate_keys[] = {
    "path",
    "age_days",
    "length",
    "op",
    "value",
    "value_path",
    "ignore_case",
    "ignore_space",
    "default",
    "ports_overlap",
    "nacl_allows",
    "policy_allows",
    "policy_full_admin",
    NULL,
};

static bool is_structured(const char *k)
{
    return !strcmp(k, "ports_overlap") || !strcmp(k, "nacl_allows") ||
           !strcmp(k, "policy_allows") || !strcmp(k, "policy_full_admin");
}

/* A predicate: optional subject (path / age_days / length) and one operator. When `inline_item`
 * the subject is the quantifier's item and subject keys are not allowed. */
static pp_cond *compile_predicate(const pp_ynode *m, pp_cctx *c, bool inline_item)
{
    pp_cond *n = cond_new(PP_C_CMP, m);
    const pp_ynode *subj_key = NULL, *subj = NULL, *structured = NULL, *structured_key = NULL;
    int n_subj = 0, n_ops = 0;
    for (size_t i = 0; i + 1 < m->n; i += 2) {
        const char *k = m->kids[i]->s;
        /* inline in a quantifier, path/join/default belong to the quantifier */
        if (inline_item && (!strcmp(k, "path") || !strcmp(k, "join") || !strcmp(k, "default")))
            continue;
        if (!strcmp(k, "path") || !strcmp(k, "age_days") || !strcmp(k, "length")) {
            subj_key = m->kids[i];
            subj = m->kids[i + 1];
            n_subj++;
        } else if (is_structured(k)) {
            structured_key = m->kids[i];
            structured = m->kids[i + 1];
            n_ops++;
        } else if (!strcmp(k, "op")) {
            n_ops++;
        }
    }
    if (n_subj > 1) {
        pp_ydiag(c->d, subj_key, "give one of path, age_days or length");
        goto _fail;
    }
    if (inline_item && n_subj) {
        pp_ydiag(c->d, subj_key, "'%s' here would hide the item: put the condition under match",
                 subj_key->s);
        goto _fail;
    }
    if (n_ops == 0) {
        pp_ydiag(c->d, m,
                 "a condition needs all, any, none, not, count, op, ports_overlap, nacl_allows, "
                 "policy_allows or policy_full_admin");
        goto _fail;
    }
    if (n_ops > 1) {
        pp_ydiag(c->d, structured_key ? structured_key : m, "give one operator per condition");
        goto _fail;
    }
    if (subj) {
        n->has_path = true;
        n->subj = !strcmp(subj_key->s, "age_days") ? PP_SUBJ_AGE_DAYS
                  : !strcmp(subj_key->s, "length") ? PP_SUBJ_LENGTH
                                                   : PP_SUBJ_VALUE;
        if (!compile_path(subj, c, &n->path, NULL))
            goto _fail;
        if (n->path.multi) {
            pp_ydiag(c->d, subj,
                     "path '%s' yields several values: use any, all, none or count over it",
                     n->path.text);
            goto _fail;
        }
    }
    if (!inline_item && !compile_default(pp_ymap_get(m, "default"), n, c))
        goto _fail;
    if (structured) {
        static const char *const bad[] = {"op",          "value",        "value_path",
                                          "ignore_case", "ignore_space", NULL};
        for (const char *const *b = bad; *b; b++)
            if (pp_ymap_get(m, *b)) {
                pp_ydiag(c->d, pp_ymap_get(m, *b), "'%s' does not go with %s", *b,
                         structured_key->s);
                goto _fail;
            }
        if (n->subj != PP_SUBJ_VALUE) {
            pp_ydiag(c->d, subj_key, "%s reads a document, not %s", structured_key->s, subj_key->s);
            goto _fail;
        }
        bool ok;
        if (!strcmp(structured_key->s, "ports_overlap") ||
            !strcmp(structured_key->s, "nacl_allows")) {
            /* these read fields of the element itself; a path moves the element */
            char *saved = c->prefix;
            char *decl = NULL;
            if (n->has_path)
                decl = declared_form(c->prefix, &n->path);
            if (decl)
                c->prefix = decl;
            ok = structured_key->s[0] == 'p' ? compile_ports(structured_key, structured, n, c)
                                             : compile_nacl(structured_key, structured, n, c);
            c->prefix = saved;
            free(decl);
        } else {
            ok = compile_policy(structured_key, structured, n, c);
        }
        if (!ok)
            goto _fail;
        return n;
    }
    if (!compile_cmp(m, n, c))
        goto _fail;
    if (n->subj == PP_SUBJ_AGE_DAYS || n->subj == PP_SUBJ_LENGTH) {
        if (n->op != PP_OP_EQ && n->op != PP_OP_NE && n->op != PP_OP_LT && n->op != PP_OP_LE &&
            n->op != PP_OP_GT && n->op != PP_OP_GE) {
            pp_ydiag(c->d, pp_ymap_get(m, "op"), "%s compares numbers: use eq ne lt le gt ge",
                     subj_key->s);
            goto _fail;
        }
        if (n->value && !json_is_number(n->value)) {
            pp_ydiag(c->d, pp_ymap_get(m, "value"), "%s compares with a number", subj_key->s);
            goto _fail;
        }
    }
    return n;
_fail:
    pp_cond_free(n);
    return NULL;
}

/* ---- joins -------------------------------------------------------------------------------------
 */

static bool compile_keyexpr(const pp_ynode *n, pp_cctx *c, pp_keyexpr *out)
{
    const pp_ynode *pn = n, *cap = NULL;
    if (n->kind == PP_Y_MAP) {
        static const char *const known[] = {"path", "capture", NULL};
        if (!pp_ycheck_keys(n, known, "a join key", c->d))
            return false;
        pn = pp_ymap_get(n, "path");
        cap = pp_ymap_get(n, "capture");
        if (!pn) {
            pp_ydiag(c->d, n, "a join key needs a path");
            return false;
        }
    }
    if (!compile_path(pn, c, &out->path, NULL))
        return false;
    if (cap) {
        const char *pat = pp_ystr(cap, "capture", c->d);
        if (!pat || !(out->capture = compile_regex(cap, pat, false, c)))
            return false;
        uint32_t groups = 0;
        pcre2_pattern_info(out->capture, PCRE2_INFO_CAPTURECOUNT, &groups);
        if (groups < 1) {
            pp_ydiag(c->d, cap, "capture needs a group: the key is what (...) matches");
            return false;
        }
    }
    return true;
}

static bool compile_keylist(const pp_ynode *n, pp_cctx *c, pp_keyexpr **out, size_t *n_out)
{
    size_t count = n->kind == PP_Y_SEQ ? n->n : 1;
    if (!count) {
        pp_ydiag(c->d, n, "empty list of join keys");
        return false;
    }
    *out = pp_xcalloc(count, sizeof(**out));
    *n_out = count;
    for (size_t i = 0; i < count; i++)
        if (!compile_keyexpr(n->kind == PP_Y_SEQ ? n->kids[i] : n, c, &(*out)[i]))
            return false;
    return true;
}

static pp_join *compile_join(const pp_ynode *jn, pp_cctx *c)
{
    if (jn->kind != PP_Y_MAP) {
        pp_ydiag(c->d, jn, "join needs a mapping {type, on, equals}");
        return NULL;
    }
    static const char *const known[] = {"type", "on", "on_any", "equals", "scope", NULL};
    if (!pp_ycheck_keys(jn, known, "join", c->d))
        return NULL;
    pp_join *j = pp_xcalloc(1, sizeof(*j));
    const pp_ynode *tn = pp_ymap_get(jn, "type"), *on = pp_ymap_get(jn, "on"),
                   *on_any = pp_ymap_get(jn, "on_any"), *eq = pp_ymap_get(jn, "equals"),
                   *sc = pp_ymap_get(jn, "scope");
    const char *tname = tn ? pp_ystr(tn, "type", c->d) : NULL;
    if (!tn)
        pp_ydiag(c->d, jn, "join needs a type");
    if (!tname)
        goto _fail;
    j->type = pp_type_find(tname);
    if (!j->type) {
        pp_ydiag(c->d, tn, "unknown resource type '%s'", tname);
        goto _fail;
    }
    if (on && on_any) {
        pp_ydiag(c->d, jn, "join takes on (a key or a composite key) or on_any, not both");
        goto _fail;
    }
    if ((on || on_any) != (eq != NULL)) {
        pp_ydiag(c->d, jn,
                 eq ? "equals needs on or on_any: the key in the joined resource"
                    : "join needs equals: the key in this resource");
        goto _fail;
    }
    /* the joined side's paths are checked against the joined type, from its root */
    const pp_type *saved_type = c->type;
    char *saved_prefix = c->prefix;
    c->type = j->type;
    c->prefix = NULL;
    /* without keys, a join relates every resource of the type in the same scope */
    bool ok = !eq || compile_keylist(on ? on : on_any, c, &j->on, &j->n_on);
    c->type = saved_type;
    c->prefix = saved_prefix;
    if (!ok)
        goto _fail;
    j->on_any = on_any != NULL;
    if (eq && !compile_keylist(eq, c, &j->eq, &j->n_eq))
        goto _fail;
    if (eq && (j->on_any ? j->n_eq != 1 : j->n_eq != j->n_on)) {
        pp_ydiag(c->d, eq,
                 j->on_any ? "with on_any, equals is one key" : "equals needs as many keys as on");
        goto _fail;
    }
    j->scope = PP_JS_REGION;
    if (sc) {
        const char *s = pp_ystr(sc, "scope", c->d);
        if (!s)
            goto _fail;
        if (!strcmp(s, "region"))
            j->scope = PP_JS_REGION;
        else if (!strcmp(s, "account"))
            j->scope = PP_JS_ACCOUNT;
        else if (!strcmp(s, "any"))
            j->scope = PP_JS_ANY;
        else {
            pp_ydiag(c->d, sc, "scope must be region, account or any");
            goto _fail;
        }
    }
    /* a global type has no region to match */
    if (j->scope == PP_JS_REGION && (j->type->global || (c->type && c->type->global)))
        j->scope = PP_JS_ACCOUNT;
    j->index = pp_ruleset_add_jspec(c->rs, j);
    return j;
_fail:
    join_free(j);
    return NULL;
}

/* ---- quantifiers --------------------------------------------------------------------------- */

static pp_cond *compile_quant(const pp_ynode *key, const pp_ynode *m, pp_cctx *c);
static pp_cond *compile_bool(const pp_ynode *key, const pp_ynode *v, pp_cctx *c);

pp_cond *pp_cond_compile(const pp_ynode *n, pp_cctx *c)
{
    if (!n || n->kind != PP_Y_MAP) {
        pp_ydiag(c->d, n, "a condition must be a mapping, not %s", pp_ydesc(n));
        return NULL;
    }
    if (++c->depth > 48) {
        pp_ydiag(c->d, n, "conditions nested too deeply");
        c->depth--;
        return NULL;
    }
    pp_cond *out = NULL;
    const pp_ynode *bkey = NULL;
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        const char *k = n->kids[i]->s;
        if (!strcmp(k, "all") || !strcmp(k, "any") || !strcmp(k, "none") || !strcmp(k, "not") ||
            !strcmp(k, "count")) {
            bkey = n->kids[i];
            break;
        }
    }
    if (bkey) {
        if (n->n != 2) {
            for (size_t i = 0; i + 1 < n->n; i += 2)
                if (n->kids[i] != bkey) {
                    pp_ydiag(c->d, n->kids[i],
                             "'%s' cannot sit beside '%s': one construct per mapping (wrap them "
                             "in all: [...])",
                             n->kids[i]->s, bkey->s);
                    break;
                }
            goto _exit;
        }
        out = compile_bool(bkey, n->kids[1], c);
        goto _exit;
    }
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        bool known = false;
        for (const char *const *p = predicate_keys; *p && !known; p++)
            known = !strcmp(*p, n->kids[i]->s);
        if (!known) {
            pp_ydiag(c->d, n->kids[i], "unknown key '%s' in a condition", n->kids[i]->s);
            goto _exit;
        }
    }
    out = compile_predicate(n, c, false);
_exit:
    c->depth--;
    return out;
}

static pp_cond *compile_bool(const pp_ynode *key, const pp_ynode *v, pp_cctx *c)
{
    const char *k = key->s;
    if (!strcmp(k, "not")) {
        pp_cond *kid = pp_cond_compile(v, c);
        if (!kid)
            return NULL;
        pp_cond *n = cond_new(PP_C_NOT, key);
        n->kids = pp_xcalloc(1, sizeof(*n->kids));
        n->kids[0] = kid;
        n->n = 1;
        return n;
    }
    if (v->kind == PP_Y_MAP)
        return compile_quant(key, v, c);
    if (!strcmp(k, "count")) {
        pp_ydiag(c->d, v, "count needs a mapping {path or join, match, op, value}");
        return NULL;
    }
    if (v->kind != PP_Y_SEQ) {
        pp_ydiag(c->d, v,
                 "'%s' needs a list of conditions, or a mapping with path or join (a quantifier)",
                 k);
        return NULL;
    }
    if (v->n == 0) {
        pp_ydiag(c->d, v, "'%s' needs at least one condition", k);
        return NULL;
    }
    pp_cond *n = cond_new(!strcmp(k, "all")   ? PP_C_ALL
                          : !strcmp(k, "any") ? PP_C_ANY
                                              : PP_C_NONE,
                          key);
    n->kids = pp_xcalloc(v->n, sizeof(*n->kids));
    bool ok = true;
    for (size_t i = 0; i < v->n; i++) {
        n->kids[n->n] = pp_cond_compile(v->kids[i], c);
        if (n->kids[n->n])
            n->n++;
        else
            ok = false;
    }
    if (!ok) {
        pp_cond_free(n);
        return NULL;
    }
    return n;
}

static pp_cond *compile_quant(const pp_ynode *key, const pp_ynode *m, pp_cctx *c)
{
    pp_cond *n = cond_new(PP_C_QUANT, key);
    const char *k = key->s;
    n->q = !strcmp(k, "any")    ? PP_Q_ANY
           : !strcmp(k, "all")  ? PP_Q_ALL
           : !strcmp(k, "none") ? PP_Q_NONE
                                : PP_Q_COUNT;
    const pp_ynode *pn = pp_ymap_get(m, "path"), *jn = pp_ymap_get(m, "join"),
                   *mn = pp_ymap_get(m, "match");
    char *saved_prefix = c->prefix;
    const pp_type *saved_type = c->type;
    char *decl = NULL;
    bool inline_pred = false;
    for (size_t i = 0; i + 1 < m->n; i += 2) {
        const char *mk = m->kids[i]->s;
        bool ok = !strcmp(mk, "path") || !strcmp(mk, "join") || !strcmp(mk, "match") ||
                  (!strcmp(mk, "default") && pn);
        if (n->q == PP_Q_COUNT)
            ok = ok || !strcmp(mk, "op") || !strcmp(mk, "value");
        else if (!ok &&
                 (!strcmp(mk, "op") || !strcmp(mk, "value") || !strcmp(mk, "value_path") ||
                  !strcmp(mk, "ignore_case") || !strcmp(mk, "ignore_space") || is_structured(mk)))
            ok = inline_pred = true;
        if (!ok) {
            pp_ydiag(c->d, m->kids[i], "unknown key '%s' in %s", mk,
                     n->q == PP_Q_COUNT ? "count (path or join, match, op, value)"
                                        : "a quantifier (path or join, match, default)");
            goto _fail;
        }
    }
    if ((pn && jn) || (!pn && !jn)) {
        pp_ydiag(c->d, m, "%s needs either path (items of an array) or join (related resources)",
                 k);
        goto _fail;
    }
    if (mn && inline_pred) {
        pp_ydiag(c->d, mn, "give either match or an inline condition, not both");
        goto _fail;
    }
    if (pn) {
        if (!compile_path(pn, c, &n->path, &decl))
            goto _fail;
        n->has_path = true;
        if (!compile_default(pp_ymap_get(m, "default"), n, c))
            goto _fail;
        /* the items of `Tags` are the elements of the list (Tags[]) when the type says it is
         * one; a path to scalars (IpRanges[].CidrIp) has those scalars as its items */
        if (n->path.n && n->path.segs[n->path.n - 1].kind != PP_SEG_EACH) {
            char *d2 = pp_xasprintf("%s[]", decl);
            if (c->type && pp_type_has_path(c->type, d2)) {
                const pp_pseg *last = &n->path.segs[n->path.n - 1];
                bool promote = last->kind == PP_SEG_KEY && iam_list_key(last->key);
                add_seg(&n->path, PP_SEG_EACH, NULL, 0, 0);
                n->path.segs[n->path.n - 1].promote = promote;
                n->path.multi = true;
                free(decl);
                decl = d2;
            } else {
                free(d2);
            }
        }
        c->prefix = decl;
    } else {
        n->join = compile_join(jn, c);
        if (!n->join)
            goto _fail;
        c->type = n->join->type;
        c->prefix = NULL;
    }
    if (mn) {
        n->match = pp_cond_compile(mn, c);
        if (!n->match)
            goto _fail;
    } else if (inline_pred) {
        n->match = compile_predicate(m, c, true);
        if (!n->match)
            goto _fail;
    }
    if (n->q == PP_Q_COUNT) {
        const pp_ynode *on = pp_ymap_get(m, "op"), *vn = pp_ymap_get(m, "value");
        c->prefix = saved_prefix;
        c->type = saved_type;
        if (!on || !vn) {
            pp_ydiag(c->d, m, "count needs op and value (count: {path, match, op: ge, value: 1})");
            goto _fail;
        }
        if (!parse_op(on, c, &n->count_op))
            goto _fail;
        if (n->count_op > PP_OP_GE) {
            pp_ydiag(c->d, on, "count compares with eq ne lt le gt ge");
            goto _fail;
        }
        json_t *v = pp_value_resolve(vn, c);
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            pp_ydiag(c->d, vn, "count compares with a whole number");
            json_decref(v);
            goto _fail;
        }
        n->count = (long)json_integer_value(v);
        json_decref(v);
    }
    c->prefix = saved_prefix;
    c->type = saved_type;
    free(decl);
    return n;
_fail:
    c->prefix = saved_prefix;
    c->type = saved_type;
    free(decl);
    pp_cond_free(n);
    return NULL;
}
