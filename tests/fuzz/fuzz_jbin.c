/* Fuzz target: binary documents (core/jbin.c), which the store decodes from the database. Any
 * input either decodes to one value or is refused; a decoded value encodes to bytes that decode
 * to an equal value, and its JSON text, read back and encoded, gives the same bytes again. */
#include "fuzz.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[128];
    json_t *v = pp_jbin_decode(data, size, err, sizeof(err));
    if (!v) {
        if (!err[0])
            abort(); /* a refusal always says why */
        return 0;
    }
    pp_buf b;
    pp_buf_init(&b, 0);
    if (pp_jbin_encode(v, &b) != 0)
        abort();
    json_t *back = pp_jbin_decode(b.data, b.len, err, sizeof(err));
    if (!back || !json_equal(back, v)) {
        fprintf(stderr, "re-encoded value does not decode to itself: %s\n", back ? "" : err);
        abort();
    }
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_t *parsed = text ? json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL) : NULL;
    pp_buf again;
    pp_buf_init(&again, 0);
    if (!parsed || pp_jbin_encode(parsed, &again) != 0 || again.len != b.len ||
        memcmp(again.data, b.data, b.len) != 0)
        abort();
    pp_buf_free(&again);
    json_decref(parsed);
    free(text);
    json_decref(back);
    pp_buf_free(&b);
    json_decref(v);
    return 0;
}
