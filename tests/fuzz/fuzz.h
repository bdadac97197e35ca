/* What every fuzz target shares: the libFuzzer entry point and small helpers for turning the
 * fuzzer's bytes into the inputs the parsers take. Each target is built twice: with libFuzzer
 * (-Dfuzz=true, clang) to search for inputs, and with replay.c (any compiler) so that the
 * committed corpus runs as an ordinary meson test under ASan/UBSan and valgrind. */
#ifndef PP_FUZZ_H
#define PP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pp_core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy: parsers that take C strings see the input up to its first NUL. */
static inline char *pp_fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = pp_xmalloc(size + 1);
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
