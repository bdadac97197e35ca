/* Fuzz target: inventory JSON lines (`parapet inventory import`): one line through
 * pp_store_parse_line, and the whole input as a file through pp_store_check_jsonl. A parsed line
 * must format back into a line that parses to the same resource. */
#include "fuzz.h"
#include "pp_store.h"

#include <stdio.h>

static void roundtrip(const pp_resource *r)
{
    const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER;
    char *doc = json_dumps(r->doc, flags);
    char *errors = r->errors ? json_dumps(r->errors, flags) : NULL;
    char *unknown = r->unknown ? json_dumps(r->unknown, flags | JSON_ENCODE_ANY) : NULL;
    if (!doc)
        abort();
    pp_store_row row = {.type = r->type,
                        .id = r->id,
                        .arn = r->arn,
                        .account = r->account,
                        .region = r->region,
                        .address = r->address,
                        .document = doc,
                        .document_len = strlen(doc),
                        .errors = errors,
                        .unknown = unknown};
    pp_buf b;
    pp_buf_init(&b, 0);
    if (pp_store_format_row(&b, &row) != 0)
        abort();
    pp_resource *back = NULL;
    int col = 0;
    if (pp_store_parse_line(b.data, b.len - 1, &back, &col) != 0) {
        fprintf(stderr, "formatted line does not parse: %s\n%s", pp_err_msg(), b.data);
        abort();
    }
    if (strcmp(back->type, r->type) || strcmp(back->id, r->id) || !json_equal(back->doc, r->doc))
        abort();
    pp_resource_free(back);
    pp_buf_free(&b);
    free(doc);
    free(errors);
    free(unknown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = pp_xmalloc(size ? size : 1);
    if (size)
        memcpy(line, data, size);
    const char *nl = memchr(line, '\n', size);
    size_t len = nl ? (size_t)(nl - line) : size;
    pp_resource *r = NULL;
    int col = 0;
    if (pp_store_parse_line(line, len, &r, &col) == 0) {
        if (!r || !r->type || !r->id || !json_is_object(r->doc))
            abort();
        roundtrip(r);
    }
    pp_resource_free(r);

    FILE *f = fmemopen(line, size ? size : 1, "rb");
    if (f) {
        pp_store_import_stats st = {0};
        if (pp_store_check_jsonl(f, "fuzz.jsonl", &st) == 0 && st.resources == 0)
            abort();
        fclose(f);
    }
    free(line);
    return 0;
}
