/* Accepted findings of a plan check: the baseline file (a YAML list of rule, address, reason,
 * expiry) and the inline `# parapet:ignore` comments the locator found, applied to a
 * pp_results. A suppressed finding keeps its status and is marked; an expired entry stops
 * applying and is reported so that nobody's exception outlives its date silently. */
#include "plan_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define MAX_BASELINE_BYTES ((size_t)16 * 1024 * 1024)

typedef struct bl_entry {
    char *rule, *address, *reason, *owner, *until;
    time_t expires;
    int line;
    bool reported;
} bl_entry;

struct pp_plan_baseline {
    char *path;
    bl_entry *e;
    size_t n;
};

void pp_plan_baseline_free(pp_plan_baseline *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        free(b->e[i].rule);
        free(b->e[i].address);
        free(b->e[i].reason);
        free(b->e[i].owner);
        free(b->e[i].until);
    }
    free(b->e);
    free(b->path);
    free(b);
}

size_t pp_plan_baseline_count(const pp_plan_baseline *b)
{
    return b ? b->n : 0;
}

static int yerr(const char *path, yaml_mark_t m, const char *msg)
{
    return pp_err_set(PP_EINVAL, "%s:%zu:%zu: %s", path, m.line + 1, m.column + 1, msg);
}

static const char *scalar(yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int read_entry(pp_plan_baseline *b, yaml_document_t *doc, yaml_node_t *map)
{
    if (map->type != YAML_MAPPING_NODE)
        return yerr(b->path, map->start_mark,
                    "each baseline entry is a mapping with rule, address, reason and expires");
    bl_entry e = {.line = (int)map->start_mark.line + 1};
    int rc = 0;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        yaml_node_t *v = yaml_document_get_node(doc, p->value);
        const char *key = scalar(k), *val = scalar(v);
        if (!key) {
            rc = yerr(b->path, k ? k->start_mark : map->start_mark, "keys must be strings");
            goto _exit;
        }
        char **slot = strcmp(key, "rule") == 0      ? &e.rule
                      : strcmp(key, "address") == 0 ? &e.address
                      : strcmp(key, "reason") == 0  ? &e.reason
                      : strcmp(key, "owner") == 0   ? &e.owner
                      : strcmp(key, "expires") == 0 ? &e.until
                                                    : NULL;
        if (!slot) {
            char msg[160];
            snprintf(msg, sizeof(msg),
                     "unknown key \"%.60s\" (expected rule, address, reason, expires, owner)", key);
            rc = yerr(b->path, k->start_mark, msg);
            goto _exit;
        }
        if (!val || !*val) {
            char msg[96];
            snprintf(msg, sizeof(msg), "\"%s\" must be a non-empty string", key);
            rc = yerr(b->path, v ? v->start_mark : k->start_mark, msg);
            goto _exit;
        }
        if (*slot) {
            rc = yerr(b->path, k->start_mark, "duplicate key");
            goto _exit;
        }
        *slot = pp_xstrdup(val);
        if (slot == &e.until) {
            time_t t;
            if (strlen(val) != 10 || pp_time_parse(val, &t) < 0) {
                rc = yerr(b->path, v->start_mark, "expires must be a date (YYYY-MM-DD)");
                goto _exit;
            }
            e.expires = t + 86400; /* the entry applies through that day */
        }
    }
    if (!e.rule || !e.address || !e.reason) {
        rc = yerr(b->path, map->start_mark,
                  !e.rule      ? "entry needs a rule"
                  : !e.address ? "entry needs an address"
                               : "entry needs a reason (why is this finding accepted?)");
        goto _exit;
    }
    b->e = pp_xrealloc(b->e, (b->n + 1) * sizeof(*b->e));
    b->e[b->n++] = e;
    return 0;
_exit:
    free(e.rule);
    free(e.address);
    free(e.reason);
    free(e.owner);
    free(e.until);
    return rc;
}

int pp_plan_baseline_load(const char *path, pp_plan_baseline **out)
{
    int rc = 0;
    FILE *f = NULL;
    pp_plan_baseline *b = NULL;
    yaml_parser_t parser;
    yaml_document_t doc;
    bool parser_ok = false, doc_ok = false;
    *out = NULL;
    f = fopen(path, "rb");
    if (!f) {
        rc = pp_err_set(PP_EINVAL, "%s: %s", path, strerror(errno));
        goto _exit;
    }
    if (fseek(f, 0, SEEK_END) == 0) {
        long sz = ftell(f);
        if (sz > (long)MAX_BASELINE_BYTES) {
            rc = pp_err_set(PP_EINVAL, "%s: baseline larger than %zu bytes", path,
                            MAX_BASELINE_BYTES);
            goto _exit;
        }
        rewind(f);
    }
    b = pp_xcalloc(1, sizeof(*b));
    b->path = pp_xstrdup(path);
    if (!yaml_parser_initialize(&parser)) {
        rc = pp_err_set(PP_EINTERNAL, "%s: cannot initialise the YAML parser", path);
        goto _exit;
    }
    parser_ok = true;
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = yerr(path, parser.problem_mark, parser.problem ? parser.problem : "invalid YAML");
        goto _exit;
    }
    doc_ok = true;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root ||
        (root->type == YAML_SCALAR_NODE &&
         (!*scalar(root) || strcmp(scalar(root), "null") == 0 || strcmp(scalar(root), "~") == 0)))
        goto _done; /* empty baseline */
    if (root->type != YAML_SEQUENCE_NODE) {
        rc = yerr(path, root->start_mark,
                  "a baseline is a list of entries (- rule: ..., address: ..., reason: ...)");
        goto _exit;
    }
    for (yaml_node_item_t *it = root->data.sequence.items.start; it < root->data.sequence.items.top;
         it++) {
        rc = read_entry(b, &doc, yaml_document_get_node(&doc, *it));
        if (rc < 0)
            goto _exit;
    }
_done:
    *out = b;
    b = NULL;
_exit:
    if (doc_ok)
        yaml_document_delete(&doc);
    if (parser_ok)
        yaml_parser_delete(&parser);
    if (f)
        fclose(f);
    pp_plan_baseline_free(b);
    return rc;
}

/* ---- matching ------------------------------------------------------------------------------- */

/* `*` matches any run of characters; everything else literally (addresses hold [ and "). */
static bool glob(const char *pat, const char *s)
{
    const char *star = NULL, *retry = NULL;
    while (*s) {
        if (*pat == '*') {
            star = pat++;
            retry = s;
        } else if (*pat == *s) {
            pat++;
            s++;
        } else if (star) {
            pat = star + 1;
            s = ++retry;
        } else {
            return false;
        }
    }
    while (*pat == '*')
        pat++;
    return !*pat;
}

/* "CIS-5.2", "CIS-5.2,CIS-5.3" or "*". */
static bool rule_matches(const char *list, const char *rule)
{
    if (!list || !rule)
        return false;
    size_t n = strlen(rule);
    for (const char *p = list; *p;) {
        while (*p == ',' || *p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > p && t[-1] == ' ')
            t--;
        if ((size_t)(t - p) == 1 && *p == '*')
            return true;
        if ((size_t)(t - p) == n && strncmp(p, rule, n) == 0)
            return true;
        p = e;
    }
    return false;
}

static json_t *jstr_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *inline_json(const pp_tf_ignore *ig, const char *address, time_t now)
{
    json_t *o = json_object();
    json_object_set_new(o, "source", json_string("inline"));
    json_object_set_new(o, "rule", json_string(ig->rule));
    json_object_set_new(o, "address", json_string(address));
    json_object_set_new(o, "reason", jstr_or_null(ig->reason));
    json_object_set_new(o, "owner", json_null());
    json_object_set_new(o, "expires", jstr_or_null(ig->until));
    json_object_set_new(o, "expired", json_boolean(ig->expires && now >= ig->expires));
    json_object_set_new(o, "file", json_string(ig->file));
    json_object_set_new(o, "line", json_integer(ig->line));
    return o;
}

static json_t *baseline_json(const pp_plan_baseline *b, const bl_entry *e, time_t now)
{
    json_t *o = json_object();
    json_object_set_new(o, "source", json_string("baseline"));
    json_object_set_new(o, "rule", json_string(e->rule));
    json_object_set_new(o, "address", json_string(e->address));
    json_object_set_new(o, "reason", json_string(e->reason));
    json_object_set_new(o, "owner", jstr_or_null(e->owner));
    json_object_set_new(o, "expires", jstr_or_null(e->until));
    json_object_set_new(o, "expired", json_boolean(e->expires && now >= e->expires));
    json_object_set_new(o, "file", json_string(b->path));
    json_object_set_new(o, "line", json_integer(e->line));
    return o;
}

static bool contains_entry(const json_t *list, const json_t *o)
{
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v)
    {
        if (pp_str_eq(json_string_value(json_object_get(v, "file")),
                      json_string_value(json_object_get(o, "file"))) &&
            json_integer_value(json_object_get(v, "line")) ==
                json_integer_value(json_object_get(o, "line")) &&
            pp_str_eq(json_string_value(json_object_get(v, "rule")),
                      json_string_value(json_object_get(o, "rule"))))
            return true;
    }
    return false;
}

size_t pp_plan_suppress(pp_results *r, pp_plan_locator *loc, const pp_plan_baseline *b, time_t now,
                        json_t **expired)
{
    size_t suppressed = 0;
    json_t *exp = json_array();
    for (size_t i = 0; r && i < r->n_findings; i++) {
        pp_finding *f = &r->findings[i];
        if (!f->address || f->suppression || !f->rule)
            continue;
        if (f->status != PP_STATUS_FAIL && f->status != PP_STATUS_UNKNOWN &&
            f->status != PP_STATUS_ERROR)
            continue;
        json_t *chosen = NULL; /* the first live match, else the first expired one */
        pp_tf_location l;
        if (loc && pp_plan_locate(loc, f->address, &l) == 0) {
            for (size_t k = 0; k < l.n_ignores; k++) {
                const pp_tf_ignore *ig = &l.ignores[k];
                if (!rule_matches(ig->rule, f->rule->id))
                    continue;
                json_t *o = inline_json(ig, f->address, now);
                bool is_expired = json_is_true(json_object_get(o, "expired"));
                if (is_expired && !contains_entry(exp, o))
                    json_array_append(exp, o);
                if (!chosen || (!is_expired && json_is_true(json_object_get(chosen, "expired")))) {
                    json_decref(chosen);
                    chosen = o;
                } else {
                    json_decref(o);
                }
            }
        }
        for (size_t k = 0; b && k < b->n; k++) {
            const bl_entry *e = &b->e[k];
            if (!rule_matches(e->rule, f->rule->id) || !glob(e->address, f->address))
                continue;
            json_t *o = baseline_json(b, e, now);
            bool is_expired = json_is_true(json_object_get(o, "expired"));
            if (!chosen || (!is_expired && json_is_true(json_object_get(chosen, "expired")))) {
                json_decref(chosen);
                chosen = o;
            } else {
                json_decref(o);
            }
        }
        if (!chosen)
            continue;
        f->suppression = chosen;
        f->suppressed = !json_is_true(json_object_get(chosen, "expired"));
        if (f->suppressed)
            suppressed++;
    }
    /* Every expired baseline entry is reported, matched or not: it is stale either way. */
    for (size_t k = 0; b && k < b->n; k++) {
        if (!b->e[k].expires || now < b->e[k].expires)
            continue;
        json_t *o = baseline_json(b, &b->e[k], now);
        json_array_append_new(exp, o);
    }
    if (expired)
        *expired = exp;
    else
        json_decref(exp);
    return suppressed;
}
