/* The YAML loader behind policy packs, overlays, suppressions and rule tests: libyaml events
 * into a tree that keeps every node's position, so each diagnostic can say file:line:col.
 * Hostile input is bounded: file size, nesting depth, alias count and the node count with
 * aliases expanded (the "billion laughs" shape) each have a limit with a clear error. */
#include "rules_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

void pp_diag(pp_diags *d, const char *file, int line, int col, const char *fmt, ...)
{
    d->n++;
    if (!d->out || d->n > PP_DIAGS_MAX + 1)
        return;
    if (d->n == PP_DIAGS_MAX + 1) {
        pp_buf_printf(d->out, "%s: too many errors, stopping here\n", file ? file : "parapet");
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    if (file && line > 0)
        pp_buf_printf(d->out, "%s:%d:%d: ", file, line, col);
    else if (file)
        pp_buf_printf(d->out, "%s: ", file);
    size_t from = d->out->len;
    pp_buf_vprintf(d->out, fmt, ap);
    va_end(ap);
    /* One diagnostic, one line: a key or value quoted in the message may hold a newline, which
     * would split it and could pass for a diagnostic of its own. */
    for (size_t i = from; i < d->out->len; i++)
        if ((unsigned char)d->out->data[i] < ' ' || d->out->data[i] == 0x7f)
            d->out->data[i] = '?';
    pp_buf_putc(d->out, '\n');
}

void pp_ydiag(pp_diags *d, const pp_ynode *n, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pp_diag(d, n ? n->file : NULL, n ? n->line : 0, n ? n->col : 0, "%s", msg);
}

/* ---- building ------------------------------------------------------------------------------ */

struct anchor {
    char *name;
    pp_ynode *node;
};

struct builder {
    pp_yfile *f;
    pp_diags *d;
    pp_ynode *stack[PP_YAML_MAX_DEPTH + 1];
    int depth;
    struct anchor *anchors;
    size_t n_anchors, cap_anchors;
    int aliases;
    bool failed;
    bool stop;        /* a limit was hit: one diagnostic says so, the rest would repeat it */
    const char *data; /* the text, for hints */
};

static pp_ynode *node_new(struct builder *b, enum pp_ykind kind, const yaml_mark_t *m)
{
    pp_ynode *n = pp_xcalloc(1, sizeof(*n));
    n->kind = kind;
    n->line = (int)m->line + 1;
    n->col = (int)m->column + 1;
    n->file = b->f->path;
    n->size = 1;
    if (b->f->n_all == b->f->cap_all) {
        b->f->cap_all = b->f->cap_all ? b->f->cap_all * 2 : 64;
        b->f->all = pp_xrealloc(b->f->all, b->f->cap_all * sizeof(*b->f->all));
    }
    b->f->all[b->f->n_all++] = n;
    return n;
}

static void builder_error(struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
    PP_PRINTF(3, 4);

static void builder_error(struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pp_diag(b->d, b->f->path, (int)m->line + 1, (int)m->column + 1, "%s", msg);
    b->failed = true;
}

static void add_anchor(struct builder *b, const yaml_char_t *name, pp_ynode *n)
{
    if (!name)
        return;
    for (size_t i = 0; i < b->n_anchors; i++)
        if (strcmp(b->anchors[i].name, (const char *)name) == 0) {
            b->anchors[i].node = n; /* YAML allows redefinition: later aliases see the new one */
            return;
        }
    if (b->n_anchors == b->cap_anchors) {
        b->cap_anchors = b->cap_anchors ? b->cap_anchors * 2 : 8;
        b->anchors = pp_xrealloc(b->anchors, b->cap_anchors * sizeof(*b->anchors));
    }
    b->anchors[b->n_anchors].name = pp_xstrdup((const char *)name);
    b->anchors[b->n_anchors].node = n;
    b->n_anchors++;
}

static void clear_anchors(struct builder *b)
{
    for (size_t i = 0; i < b->n_anchors; i++)
        free(b->anchors[i].name);
    b->n_anchors = 0;
}

/* Adds a finished (or aliased) node to the open collection, or makes it the document. */
static void attach(struct builder *b, pp_ynode *n, const yaml_mark_t *m)
{
    if (b->depth == 0) {
        b->f->docs = pp_xrealloc(b->f->docs, (b->f->n_docs + 1) * sizeof(*b->f->docs));
        b->f->docs[b->f->n_docs++] = n;
        return;
    }
    pp_ynode *parent = b->stack[b->depth - 1];
    if (parent->kind == PP_Y_MAP && parent->n % 2 == 0) {
        /* n is a key */
        /* Reported, but still attached so that keys and values stay paired for the errors
         * that follow; a file with any error is discarded whole. */
        if (n->kind != PP_Y_SCALAR) {
            builder_error(b, m, "mapping keys must be scalars");
        } else if (strcmp(n->s, "<<") == 0 && n->plain) {
            builder_error(b, m, "merge keys (<<) are not supported");
        } else {
            for (size_t i = 0; i < parent->n; i += 2)
                if (parent->kids[i]->kind == PP_Y_SCALAR && parent->kids[i]->len == n->len &&
                    memcmp(parent->kids[i]->s, n->s, n->len) == 0) {
                    builder_error(b, m, "duplicate key '%s' (first at line %d)", n->s,
                                  parent->kids[i]->line);
                    break;
                }
        }
    }
    if (parent->size + n->size > PP_YAML_MAX_NODES || n->size > PP_YAML_MAX_NODES) {
        builder_error(b, m, "document too large: more than %d nodes with aliases expanded",
                      PP_YAML_MAX_NODES);
        parent->size = PP_YAML_MAX_NODES + 1;
        b->stop = true;
        return;
    }
    parent->size += n->size;
    parent->kids = pp_xrealloc(parent->kids, (parent->n + 1) * sizeof(*parent->kids));
    parent->kids[parent->n++] = n;
}

static bool tag_ok(struct builder *b, const yaml_char_t *tag, const yaml_mark_t *m, bool *is_str)
{
    *is_str = false;
    if (!tag)
        return true;
    const char *t = (const char *)tag;
    if (strcmp(t, "tag:yaml.org,2002:str") == 0) {
        *is_str = true;
        return true;
    }
    if (pp_str_startswith(t, "tag:yaml.org,2002:") || strcmp(t, "!") == 0)
        return true;
    builder_error(b, m, "unsupported tag '%s'", t);
    return false;
}

static int build(struct builder *b, yaml_parser_t *p)
{
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(p, &ev)) {
            const yaml_mark_t *m = &p->problem_mark;
            /* `{ path: A[].B }` is the classic trap: [ and ] end a plain scalar in flow style */
            const char *hint = "";
            if (p->context && strstr(p->context, "flow") && b->data) {
                const char *line = b->data;
                for (size_t i = 0; i < m->line && line; i++) {
                    line = strchr(line, '\n');
                    line = line ? line + 1 : NULL;
                }
                const char *eol = line ? strchr(line, '\n') : NULL;
                const char *br = line ? strstr(line, "[]") : NULL;
                if (br && (!eol || br < eol))
                    hint = " (inside { } or [ ], quote paths that contain [])";
            }
            if (p->context)
                builder_error(b, m, "YAML syntax error: %s %s%s", p->problem ? p->problem : "",
                              p->context, hint);
            else
                builder_error(b, m, "YAML syntax error: %s%s", p->problem ? p->problem : "invalid",
                              hint);
            return PP_EINVAL;
        }
        const yaml_mark_t *m = &ev.start_mark;
        bool stop = false, is_str = false;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            stop = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            clear_anchors(b);
            break;
        case YAML_SCALAR_EVENT: {
            if (!tag_ok(b, ev.data.scalar.tag, m, &is_str))
                break;
            pp_ynode *n = node_new(b, PP_Y_SCALAR, m);
            n->s = pp_xstrndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
            n->len = ev.data.scalar.length;
            n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev.data.scalar.tag;
            n->str_tag = is_str;
            n->done = true;
            add_anchor(b, ev.data.scalar.anchor, n);
            attach(b, n, m);
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            bool seq = ev.type == YAML_SEQUENCE_START_EVENT;
            const yaml_char_t *tag = seq ? ev.data.sequence_start.tag : ev.data.mapping_start.tag;
            const yaml_char_t *anchor =
                seq ? ev.data.sequence_start.anchor : ev.data.mapping_start.anchor;
            tag_ok(b, tag, m, &is_str);
            if (b->depth >= PP_YAML_MAX_DEPTH) {
                builder_error(b, m, "nesting deeper than %d levels", PP_YAML_MAX_DEPTH);
                yaml_event_delete(&ev);
                return PP_EINVAL;
            }
            pp_ynode *n = node_new(b, seq ? PP_Y_SEQ : PP_Y_MAP, m);
            add_anchor(b, anchor, n);
            b->stack[b->depth++] = n;
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
            pp_ynode *n = b->stack[--b->depth];
            n->done = true;
            attach(b, n, &ev.start_mark);
            break;
        }
        case YAML_ALIAS_EVENT: {
            pp_ynode *target = NULL;
            for (size_t i = 0; i < b->n_anchors; i++)
                if (strcmp(b->anchors[i].name, (const char *)ev.data.alias.anchor) == 0)
                    target = b->anchors[i].node;
            if (++b->aliases > PP_YAML_MAX_ALIASES) {
                builder_error(b, m, "more than %d aliases", PP_YAML_MAX_ALIASES);
                yaml_event_delete(&ev);
                return PP_EINVAL;
            }
            if (!target)
                builder_error(b, m, "unknown alias '%s'", (const char *)ev.data.alias.anchor);
            else if (!target->done)
                builder_error(b, m, "recursive alias '%s'", (const char *)ev.data.alias.anchor);
            else
                attach(b, target, m);
            break;
        }
        default:
            break;
        }
        yaml_event_delete(&ev);
        if (stop)
            break;
        if (b->stop)
            return PP_EINVAL;
        if (b->failed && b->d->n > PP_DIAGS_MAX)
            return PP_EINVAL;
    }
    return b->failed ? PP_EINVAL : 0;
}

void pp_yfile_free(pp_yfile *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_all; i++) {
        free(f->all[i]->s);
        free(f->all[i]->kids);
        free(f->all[i]);
    }
    free(f->all);
    free(f->docs);
    free(f->path);
    free(f);
}

int pp_yaml_parse(const char *name, const char *data, size_t len, pp_yfile **out, pp_diags *d)
{
    *out = NULL;
    pp_yfile *f = pp_xcalloc(1, sizeof(*f));
    f->path = pp_xstrdup(name);
    struct builder b = {.f = f, .d = d, .data = data};
    yaml_parser_t p;
    int rc = PP_EINVAL;
    if (len > PP_YAML_MAX_BYTES) {
        pp_diag(d, name, 0, 0, "file larger than %zu bytes", PP_YAML_MAX_BYTES);
        goto _exit_noparser;
    }
    if (!yaml_parser_initialize(&p)) {
        pp_diag(d, name, 0, 0, "cannot initialise the YAML parser");
        goto _exit_noparser;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
    rc = build(&b, &p);
    yaml_parser_delete(&p);
_exit_noparser:
    clear_anchors(&b);
    free(b.anchors);
    if (rc) {
        pp_yfile_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

int pp_yaml_load(const char *path, pp_yfile **out, pp_diags *d)
{
    *out = NULL;
    char *data = NULL;
    int rc = PP_EINVAL;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        pp_diag(d, path, 0, 0, "cannot open: %s", strerror(errno));
        return PP_EINVAL;
    }
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        pp_diag(d, path, 0, 0, "not a regular file");
        goto _exit;
    }
    if ((size_t)st.st_size > PP_YAML_MAX_BYTES) {
        pp_diag(d, path, 0, 0, "file larger than %zu bytes", PP_YAML_MAX_BYTES);
        goto _exit;
    }
    data = pp_xmalloc((size_t)st.st_size + 1);
    size_t n = fread(data, 1, (size_t)st.st_size, fp);
    if (ferror(fp)) {
        pp_diag(d, path, 0, 0, "cannot read: %s", strerror(errno));
        goto _exit;
    }
    data[n] = '\0';
    rc = pp_yaml_parse(path, data, n, out, d);
_exit:
    free(data);
    fclose(fp);
    return rc;
}

/* ---- reading ------------------------------------------------------------------------------- */

const pp_ynode *pp_ymap_get(const pp_ynode *m, const char *key)
{
    if (!m || m->kind != PP_Y_MAP)
        return NULL;
    for (size_t i = 0; i + 1 < m->n; i += 2)
        if (strcmp(m->kids[i]->s, key) == 0)
            return m->kids[i + 1];
    return NULL;
}

static bool is_null_text(const char *s)
{
    return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
           strcmp(s, "NULL") == 0;
}

bool pp_yis_null(const pp_ynode *n)
{
    return !n || (n->kind == PP_Y_SCALAR && n->plain && is_null_text(n->s));
}

static int bool_text(const char *s)
{
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
        return 1;
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
        return 0;
    return -1;
}

static bool int_text(const char *s, json_int_t *out)
{
    const char *p = s;
    int base = 10;
    if (*p == '+' || *p == '-')
        p++;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o')) {
        if (p != s)
            return false;
        base = p[1] == 'x' ? 16 : 8;
        p += 2;
    }
    if (!*p)
        return false;
    for (const char *q = p; *q; q++) {
        bool ok = base == 16 ? strchr("0123456789abcdefABCDEF", *q) != NULL
                             : (*q >= '0' && *q < (base == 8 ? '8' : ':'));
        if (!ok)
            return false;
    }
    errno = 0;
    char *end = NULL;
    long long v = strtoll(base == 10 ? s : p, &end, base);
    if (errno || *end)
        return false;
    *out = (json_int_t)v;
    return true;
}

static bool float_text(const char *s, double *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    bool digits = false, dot = false;
    while ((*p >= '0' && *p <= '9') || (*p == '.' && !dot)) {
        if (*p == '.')
            dot = true;
        else
            digits = true;
        p++;
    }
    if (!digits)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p)
        return false;
    char *end = NULL;
    *out = strtod(s, &end);
    return end && !*end;
}

const char *pp_ydesc(const pp_ynode *n)
{
    if (!n)
        return "nothing";
    if (n->kind == PP_Y_MAP)
        return "a mapping";
    if (n->kind == PP_Y_SEQ)
        return "a list";
    if (!n->plain)
        return "a string";
    if (is_null_text(n->s))
        return "null";
    if (bool_text(n->s) >= 0)
        return "a boolean";
    json_int_t i;
    double f;
    if (int_text(n->s, &i) || float_text(n->s, &f))
        return "a number";
    return "a string";
}

json_t *pp_yaml_json(const pp_ynode *n, pp_diags *d)
{
    if (n->kind == PP_Y_SCALAR) {
        if (n->plain) {
            if (is_null_text(n->s))
                return json_null();
            int bv = bool_text(n->s);
            if (bv >= 0)
                return json_boolean(bv);
            json_int_t iv;
            if (int_text(n->s, &iv))
                return json_integer(iv);
            double fv;
            if (float_text(n->s, &fv))
                return json_real(fv);
            if (!strcmp(n->s, ".inf") || !strcmp(n->s, "-.inf") || !strcmp(n->s, ".nan")) {
                pp_ydiag(d, n, "'%s' cannot be represented in JSON", n->s);
                return NULL;
            }
        }
        json_t *s = json_stringn(n->s, n->len);
        if (!s)
            pp_ydiag(d, n, "string is not valid UTF-8");
        return s;
    }
    if (n->kind == PP_Y_SEQ) {
        json_t *a = json_array();
        for (size_t i = 0; i < n->n; i++) {
            json_t *v = pp_yaml_json(n->kids[i], d);
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
        json_t *v = pp_yaml_json(n->kids[i + 1], d);
        if (!v) {
            json_decref(o);
            return NULL;
        }
        if (json_object_setn_new(o, n->kids[i]->s, n->kids[i]->len, v) != 0) {
            pp_ydiag(d, n->kids[i], "key is not valid UTF-8");
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

bool pp_ycheck_keys(const pp_ynode *m, const char *const *known, const char *what, pp_diags *d)
{
    bool ok = true;
    for (size_t i = 0; i + 1 < m->n; i += 2) {
        const char *k = m->kids[i]->s;
        bool found = false;
        for (const char *const *p = known; *p && !found; p++)
            found = strcmp(*p, k) == 0;
        if (!found) {
            pp_ydiag(d, m->kids[i], "unknown key '%s' in %s", k, what);
            ok = false;
        }
    }
    return ok;
}

const char *pp_ystr(const pp_ynode *n, const char *what, pp_diags *d)
{
    if (!n || n->kind != PP_Y_SCALAR || pp_yis_null(n)) {
        pp_ydiag(d, n, "%s must be a string, not %s", what, pp_ydesc(n));
        return NULL;
    }
    return n->s;
}
