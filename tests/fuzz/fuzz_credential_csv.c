/* Fuzz target: the credential report CSV reader (pp_csv_parse in scanner/collect_util.c), which
 * reads what IAM's GetCredentialReport returns after base64 decoding; the base64 decoder runs on
 * the same input first. Checks that every row has exactly the header's keys. */
#include "collect_util.h"
#include "fuzz.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = pp_xmalloc(size ? size : 1);
    if (size)
        memcpy(copy, data, size);
    json_t *rows = NULL;
    if (pp_csv_parse(copy, size, 1000, &rows) == 0) {
        if (!json_is_array(rows))
            abort();
        size_t keys = json_array_size(rows) ? json_object_size(json_array_get(rows, 0)) : 0;
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row)
        {
            /* duplicate or non-UTF-8 header names may collapse keys, but never differently per
             * row */
            if (!json_is_object(row) || json_object_size(row) != keys) {
                fprintf(stderr, "row %zu has %zu keys, row 0 has %zu\n", i, json_object_size(row),
                        keys);
                abort();
            }
        }
    }
    json_decref(rows);
    free(copy);

    char *text = pp_fuzz_cstr(data, size);
    unsigned char *raw = NULL;
    size_t len = 0;
    if (pp_base64_decode(text, &raw, &len) == 0 && len > size)
        abort(); /* base64 never grows */
    free(raw);
    free(text);
    return 0;
}
