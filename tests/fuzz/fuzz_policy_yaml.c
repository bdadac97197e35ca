/* Fuzz target: the positioned YAML loader behind policy packs, overlays, suppressions and rule
 * tests (rules/yaml.c), and its typed conversion to JSON. Besides crashes and leaks it checks the
 * loader's promise that every diagnostic names the file, so a user can find the problem. */
#include "fuzz.h"
#include "rules_int.h"

#include <stdio.h>

static void check_diags(const char *text)
{
    const char *line = text;
    while (*line) {
        const char *eol = strchr(line, '\n');
        if (strncmp(line, "fuzz.yaml:", 10) != 0) {
            fprintf(stderr, "diagnostic without its file: %.*s\n",
                    (int)(eol ? eol - line : (long)strlen(line)), line);
            abort();
        }
        if (!eol)
            break;
        line = eol + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Loaded files are NUL-terminated (pp_yaml_load), so the parser gets the same here. */
    char *text = pp_fuzz_cstr(data, size);
    pp_buf out;
    pp_buf_init(&out, 1024 * 1024);
    pp_diags d = {.out = &out};
    pp_yfile *f = NULL;
    if (pp_yaml_parse("fuzz.yaml", text, size, &f, &d) == 0) {
        for (size_t i = 0; i < f->n_docs; i++) {
            const pp_ynode *n = f->docs[i];
            (void)pp_ydesc(n);
            json_t *v = pp_yaml_json(n, &d);
            if (v) {
                char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                free(s);
            }
            json_decref(v);
            if (n->kind == PP_Y_MAP) {
                static const char *const known[] = {"id", "title", "assert", NULL};
                pp_ycheck_keys(n, known, "a rule", &d);
                (void)pp_ymap_get(n, "id");
            }
        }
    } else if (d.n == 0) {
        fprintf(stderr, "refused without a diagnostic\n");
        abort();
    }
    check_diags(pp_buf_cstr(&out));
    pp_yfile_free(f);
    pp_buf_free(&out);
    free(text);
    return 0;
}
