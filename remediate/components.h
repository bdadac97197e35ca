/* The resource types `provision` can create from architecture.yaml (components.c): for each, how
 * to recognise it in a snapshot, the calls that create and configure it, and the re-read that
 * adopts one an interrupted apply already made. Shared by actions/provision.c only. */
#ifndef PP_REM_COMPONENTS_H
#define PP_REM_COMPONENTS_H

#include "rem_int.h"

typedef struct pp_rem_ctype pp_rem_ctype;

typedef struct pp_rem_cbuild {
    pp_rem_planner *p;
    const pp_rem_target *t;
    const char *path; /* component path: "subnets.public-a" */
    const pp_rem_ctype *type;
    json_t *props;      /* rendered properties; in build(), references resolved */
    json_t *tags;       /* {key: value}, parapet's included */
    const char *region; /* NULL: global (IAM) */
    const char *account;
    const json_t *params;
    json_t *step;    /* build(): the step to add calls to */
    const char *sid; /* its id */
    json_t *handle;  /* build(): add "Id" / "Arn" here when they are known before apply */
    /* identify(): the handle of the component a {ref} object names (owned), planning it when
     * needed; NULL on error */
    json_t *(*ref)(struct pp_rem_cbuild *b, const json_t *ref_obj);
} pp_rem_cbuild;

struct pp_rem_ctype {
    const char *type; /* "AWS::EC2::VPC" */
    /* The handle {"Id", "Arn"} of a resource of the snapshot that is this component, or NULL. */
    json_t *(*identify)(pp_rem_cbuild *b);
    int (*build)(pp_rem_cbuild *b);
    int (*check)(pp_rem_check *c); /* NULL: the calls say themselves when it exists */
};

const pp_rem_ctype *pp_rem_ctype_find(const char *type);
/* Everything the component types may call, for provision's declaration. */
extern const char *const pp_rem_component_ops[];
extern const char *const pp_rem_component_extra[];
/* Deep-merges object src into dst (home_region_properties). */
void pp_rem_merge(json_t *dst, const json_t *src);

#endif
