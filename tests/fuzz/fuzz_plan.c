/* Fuzz target: the Terraform plan reader (scanner/plan*.c): `terraform show -json` output mapped
 * to resource documents, and the `# parapet:ignore` comment parser of .tf files. Refusals must be
 * one line naming the plan. */
#include "fuzz.h"
#include "pp_plan.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = pp_xmalloc(size ? size : 1);
    if (size)
        memcpy(body, data, size);
    pp_plan *p = NULL;
    pp_plan_opts o = {.max_bytes = 4 * 1024 * 1024};
    if (pp_plan_load_buffer(body, size, "plan.json", &o, &p) == 0) {
        pp_inventory *inv = pp_plan_inventory(p);
        for (size_t i = 0; i < pp_inventory_count(inv); i++) {
            pp_resource *r = pp_inventory_at(inv, i);
            if (!r->type || !r->id || !json_is_object(r->doc))
                abort();
            char *s = json_dumps(r->doc, JSON_COMPACT);
            if (!s)
                abort();
            free(s);
        }
        (void)pp_plan_stats_get(p);
        (void)pp_plan_complete(p);
        (void)pp_plan_merged_into(p, "aws_security_group.a");
    } else {
        const char *m = pp_err_msg();
        if (strncmp(m, "plan.json", 9) != 0 || strchr(m, '\n')) {
            fprintf(stderr, "refusal does not name the plan on one line: %s\n", m);
            abort();
        }
    }
    pp_plan_free(p);
    free(body);

    char *text = pp_fuzz_cstr(data, size);
    pp_tf_ignore ig = {0};
    if (pp_tf_ignore_parse(text, &ig) == 0 && !ig.rule)
        abort();
    pp_tf_ignore_clear(&ig);
    free(text);
    return 0;
}
