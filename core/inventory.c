/* Resources, coverage and scope of one snapshot, indexed by type. */
#include "pp_core.h"

#include <stdlib.h>
#include <string.h>

pp_resource *pp_resource_new(const char *type, const char *id, const char *arn, const char *account,
                             const char *region, json_t *doc)
{
    pp_resource *r = pp_xcalloc(1, sizeof(*r));
    r->type = pp_xstrdup(type);
    r->id = pp_xstrdup(id);
    r->arn = pp_xstrdup(arn);
    r->account = pp_xstrdup(account);
    r->region = pp_xstrdup(region);
    r->doc = doc ? json_incref(doc) : json_object();
    return r;
}

void pp_resource_free(pp_resource *r)
{
    if (!r)
        return;
    free(r->type);
    free(r->id);
    free(r->arn);
    free(r->account);
    free(r->region);
    free(r->address);
    json_decref(r->doc);
    json_decref(r->errors);
    json_decref(r->unknown);
    free(r);
}

void pp_resource_set_error(pp_resource *r, const char *key, const char *error)
{
    if (!r->errors)
        r->errors = json_object();
    json_object_set_new(r->errors, key, json_string(error));
}

struct type_bucket {
    char *type;
    pp_resource **items;
    size_t n, cap;
};

struct scope {
    char *account;
    char *region;
};

struct pp_inventory {
    enum pp_source_kind kind;
    pp_resource **all;
    size_t n, cap;
    struct type_bucket *buckets;
    size_t n_buckets;
    const char **type_names; /* NULL-terminated mirror of buckets[].type */
    pp_coverage *coverage;
    size_t n_cov, cap_cov;
    struct scope *scopes;
    size_t n_scopes, cap_scopes;
};

pp_inventory *pp_inventory_new(enum pp_source_kind kind)
{
    pp_inventory *inv = pp_xcalloc(1, sizeof(*inv));
    inv->kind = kind;
    inv->type_names = pp_xcalloc(1, sizeof(*inv->type_names));
    return inv;
}

void pp_inventory_free(pp_inventory *inv)
{
    if (!inv)
        return;
    for (size_t i = 0; i < inv->n; i++)
        pp_resource_free(inv->all[i]);
    free(inv->all);
    for (size_t i = 0; i < inv->n_buckets; i++) {
        free(inv->buckets[i].type);
        free(inv->buckets[i].items);
    }
    free(inv->buckets);
    free(inv->type_names);
    for (size_t i = 0; i < inv->n_cov; i++) {
        pp_coverage *c = &inv->coverage[i];
        free(c->account);
        free(c->region);
        free(c->service);
        free(c->operation);
        free(c->error);
        free(c->types);
    }
    free(inv->coverage);
    for (size_t i = 0; i < inv->n_scopes; i++) {
        free(inv->scopes[i].account);
        free(inv->scopes[i].region);
    }
    free(inv->scopes);
    free(inv);
}

enum pp_source_kind pp_inventory_source(const pp_inventory *inv)
{
    return inv->kind;
}

static struct type_bucket *bucket_for(pp_inventory *inv, const char *type, bool create)
{
    for (size_t i = 0; i < inv->n_buckets; i++)
        if (strcmp(inv->buckets[i].type, type) == 0)
            return &inv->buckets[i];
    if (!create)
        return NULL;
    inv->buckets = pp_xrealloc(inv->buckets, (inv->n_buckets + 1) * sizeof(*inv->buckets));
    struct type_bucket *b = &inv->buckets[inv->n_buckets++];
    memset(b, 0, sizeof(*b));
    b->type = pp_xstrdup(type);
    inv->type_names = pp_xrealloc(inv->type_names, (inv->n_buckets + 1) * sizeof(*inv->type_names));
    for (size_t i = 0; i < inv->n_buckets; i++)
        inv->type_names[i] = inv->buckets[i].type;
    inv->type_names[inv->n_buckets] = NULL;
    return b;
}

void pp_inventory_add(pp_inventory *inv, pp_resource *r)
{
    if (inv->n == inv->cap) {
        inv->cap = inv->cap ? inv->cap * 2 : 256;
        inv->all = pp_xrealloc(inv->all, inv->cap * sizeof(*inv->all));
    }
    inv->all[inv->n++] = r;
    struct type_bucket *b = bucket_for(inv, r->type, true);
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->items = pp_xrealloc(b->items, b->cap * sizeof(*b->items));
    }
    b->items[b->n++] = r;
}

size_t pp_inventory_count(const pp_inventory *inv)
{
    return inv->n;
}

pp_resource *pp_inventory_at(const pp_inventory *inv, size_t i)
{
    return i < inv->n ? inv->all[i] : NULL;
}

pp_resource *const *pp_inventory_of_type(const pp_inventory *inv, const char *type, size_t *n)
{
    struct type_bucket *b = bucket_for((pp_inventory *)inv, type, false);
    *n = b ? b->n : 0;
    return b ? b->items : NULL;
}

const char *const *pp_inventory_types(const pp_inventory *inv, size_t *n)
{
    if (n)
        *n = inv->n_buckets;
    return inv->type_names;
}

void pp_inventory_add_scope(pp_inventory *inv, const char *account, const char *region)
{
    for (size_t i = 0; i < inv->n_scopes; i++)
        if (pp_str_eq(inv->scopes[i].account, account) && pp_str_eq(inv->scopes[i].region, region))
            return;
    if (inv->n_scopes == inv->cap_scopes) {
        inv->cap_scopes = inv->cap_scopes ? inv->cap_scopes * 2 : 8;
        inv->scopes = pp_xrealloc(inv->scopes, inv->cap_scopes * sizeof(*inv->scopes));
    }
    inv->scopes[inv->n_scopes].account = pp_xstrdup(account);
    inv->scopes[inv->n_scopes].region = pp_xstrdup(region);
    inv->n_scopes++;
}

size_t pp_inventory_scope_count(const pp_inventory *inv)
{
    return inv->n_scopes;
}

void pp_inventory_scope_at(const pp_inventory *inv, size_t i, const char **account,
                           const char **region)
{
    *account = i < inv->n_scopes ? inv->scopes[i].account : NULL;
    *region = i < inv->n_scopes ? inv->scopes[i].region : NULL;
}

void pp_inventory_add_coverage(pp_inventory *inv, const pp_coverage *c)
{
    if (inv->n_cov == inv->cap_cov) {
        inv->cap_cov = inv->cap_cov ? inv->cap_cov * 2 : 64;
        inv->coverage = pp_xrealloc(inv->coverage, inv->cap_cov * sizeof(*inv->coverage));
    }
    pp_coverage *d = &inv->coverage[inv->n_cov++];
    d->account = pp_xstrdup(c->account);
    d->region = pp_xstrdup(c->region);
    d->service = pp_xstrdup(c->service);
    d->operation = pp_xstrdup(c->operation);
    d->ok = c->ok;
    d->error = pp_xstrdup(c->error);
    d->calls = c->calls;
    d->retries = c->retries;
    d->types = pp_xstrdup(c->types);
    d->per_resource = c->per_resource;
}

size_t pp_inventory_coverage_count(const pp_inventory *inv)
{
    return inv->n_cov;
}

const pp_coverage *pp_inventory_coverage_at(const pp_inventory *inv, size_t i)
{
    return i < inv->n_cov ? &inv->coverage[i] : NULL;
}

const pp_coverage *pp_inventory_coverage_error(const pp_inventory *inv, const char *account,
                                               const char *region, const char *service)
{
    for (size_t i = 0; i < inv->n_cov; i++) {
        const pp_coverage *c = &inv->coverage[i];
        if (!c->ok && !c->per_resource && pp_str_eq(c->service, service) &&
            pp_str_eq(c->account, account) && pp_str_eq(c->region, region))
            return c;
    }
    return NULL;
}

const pp_coverage *pp_inventory_coverage_error_for_type(const pp_inventory *inv,
                                                        const char *account, const char *region,
                                                        const char *type)
{
    const pp_type *t = pp_type_find(type);
    if (!t)
        return NULL;
    for (size_t i = 0; i < inv->n_cov; i++) {
        const pp_coverage *c = &inv->coverage[i];
        if (c->ok || c->per_resource || !pp_str_eq(c->account, account) ||
            !pp_str_eq(c->region, region))
            continue;
        if (c->types ? pp_str_list_has(c->types, type) : pp_str_eq(c->service, t->service))
            return c;
    }
    return NULL;
}
