/* Shared between the plan reader (plan.c), the type mappers (plan_map.c), the locator
 * (plan_locate.c) and suppression (plan_suppress.c); not part of the scanner's interface. */
#ifndef PP_PLAN_INTERNAL_H
#define PP_PLAN_INTERNAL_H

#include "pp_plan.h"

/* ---- string map: open addressing, keys copied, values borrowed -------------------------- */
typedef struct pp_plan_smap {
    char **keys;
    void **vals;
    size_t n, cap;
} pp_plan_smap;

void pp_plan_smap_free(pp_plan_smap *m);
void *pp_plan_smap_get(const pp_plan_smap *m, const char *key);
/* Inserts or replaces. */
void pp_plan_smap_put(pp_plan_smap *m, const char *key, void *val);

/* ---- one evaluated resource change ------------------------------------------------------- */
enum {
    PP_PLAN_ACT_NOOP = 1 << 0,
    PP_PLAN_ACT_CREATE = 1 << 1,
    PP_PLAN_ACT_UPDATE = 1 << 2,
    PP_PLAN_ACT_DELETE = 1 << 3,
    PP_PLAN_ACT_READ = 1 << 4,
    PP_PLAN_ACT_FORGET = 1 << 5,
};

struct pp_plan_mapper;

typedef struct pp_plan_rc {
    char *address;
    char *module; /* module instance address ("module.net[0]"), "" in the root module */
    char *base;   /* address without the resource's own instance key */
    char *type;
    char *name;
    json_t *index; /* count (integer) or for_each (string) key, or NULL */
    unsigned actions;
    json_t *after, *unk, *sens; /* owned; unk and sens may be NULL, true or a mirror */
    const json_t *cfg;          /* configuration resource entry, borrowed, or NULL */
    char *id;                   /* known id, or the address when unknown until apply */
    bool id_synthetic;
    char *region;
    const struct pp_plan_mapper *mapper; /* NULL when the type is not mapped */
    pp_resource *res;                    /* the document this change produced, or NULL */
} pp_plan_rc;

/* The reader's state while mapping, owned by pp_plan. */
typedef struct pp_plan_ctx {
    pp_plan_rc **rcs;
    size_t n_rcs;
    pp_plan_smap by_address; /* address -> rc */
    pp_plan_smap by_base;    /* base address -> first rc (instances chained via index order) */
    pp_plan_smap cfg_res;    /* "module.a.module.b|type.name" (no keys) -> config resource */
    pp_plan_smap cfg_mod;    /* "module.a.module.b" (no keys), "" for root -> config module */
    pp_plan_smap docs;       /* "AWS::Type\x1fkey" -> pp_resource (joins for merging) */
    pp_plan_smap doc_rc;     /* address of a document -> rc that owns it */
    json_t *config;          /* configuration, owned */
    json_t *variables;       /* root variables, owned, or NULL */
    json_t *sensitive_marker;
    bool want_address;  /* resolution returns target addresses (pp_plan_resolve_target) */
    bool any_sensitive; /* some document holds the sensitive marker */
    json_t *merged;     /* {"document address": ["merged address", ...]} */
    json_t *unmapped;   /* {"type": n} */
    pp_inventory *inv;
    pp_plan_stats *stats;
} pp_plan_ctx;

/* A mapper turns one change into a document (phase 1) or folds it into others (phase 2). */
typedef struct pp_plan_mapper {
    const char *tf_type;
    int phase;
    void (*map)(pp_plan_ctx *ctx, pp_plan_rc *rc);
    void (*post)(pp_plan_ctx *ctx, pp_plan_rc *rc); /* after every merge, or NULL */
    bool target; /* later phases write into its documents: keep the full mirror until then */
} pp_plan_mapper;

const pp_plan_mapper *pp_plan_mapper_find(const char *tf_type);

/* Resolves attribute `attr` of rc from its configuration's references when the value in `after`
 * is unknown: a reference to another planned resource's id (or arn) gives that resource's id
 * (known, or its address). default_attr ("id", "arn" or NULL) is assumed for a reference that
 * names a resource without an attribute (`aws_subnet.x[count.index].id` is recorded as
 * "aws_subnet.x"). Returns a new string (want_list false) or array of strings, or NULL. */
json_t *pp_plan_resolve(pp_plan_ctx *ctx, const pp_plan_rc *rc, const char *attr,
                        const char *default_attr, bool want_list);
/* The one planned resource that attribute `attr` of rc refers to (through module variables and
 * outputs), or NULL. */
pp_plan_rc *pp_plan_resolve_target(pp_plan_ctx *ctx, const pp_plan_rc *rc, const char *attr);
/* Whether rc's provider configuration sets default_tags (then tags_all is not just tags). */
bool pp_plan_provider_has_default_tags(pp_plan_ctx *ctx, const pp_plan_rc *rc);
/* The configuration expression of a top-level attribute of rc, or NULL. */
const json_t *pp_plan_cfg_expr(const pp_plan_rc *rc, const char *attr);
/* The planned resource at an absolute address, or NULL. */
pp_plan_rc *pp_plan_rc_find(pp_plan_ctx *ctx, const char *address);

/* Registers doc under (type, key) for later merges, and finds it. */
void pp_plan_doc_register(pp_plan_ctx *ctx, const char *type, const char *key, pp_resource *r);
pp_resource *pp_plan_doc_find(pp_plan_ctx *ctx, const char *type, const char *key);
/* Creates the document of rc (id: rc->id, arn when known), adds it to the inventory and returns
 * it with an empty doc and a parallel mirror in r->unknown. */
pp_resource *pp_plan_doc_new(pp_plan_ctx *ctx, pp_plan_rc *rc, const char *type);
/* A document for a parent that is not in the plan, made from a child resource (rc). */
pp_resource *pp_plan_doc_synthetic(pp_plan_ctx *ctx, pp_plan_rc *rc, const char *type,
                                   const char *id);
/* Records that rc was folded into the document `into`. */
void pp_plan_note_merged(pp_plan_ctx *ctx, const pp_plan_rc *rc, const pp_resource *into);

/* Address helpers: split "a.b[\"x.y\"].c" on dots outside brackets and quotes. */
char **pp_plan_addr_split(const char *addr, size_t *n);
/* Module path without instance keys: "module.a[0].module.b" -> "module.a.module.b". */
char *pp_plan_addr_strip_keys(const char *addr);

#endif
