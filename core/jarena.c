/* Bump allocation for jansson values that live until the process exits.
 *
 * `parapet evaluate` parses every stored document (61 MB of JSON for 100,000 resources) into
 * jansson values that stay until exit. jansson makes several small allocations per value, and
 * glibc's malloc was the largest single cost of the whole command. Between pp_json_arena_begin
 * and pp_json_arena_end, jansson values created by the calling thread are carved from large
 * blocks instead; freeing them does nothing, so the arena is only for values that are kept. Any
 * other allocation, and any thread outside begin/end, uses malloc as before: the free function
 * tells arena pointers from heap pointers by address.
 *
 * Sanitizer builds keep every value on the heap so that ASan and LeakSanitizer see them. */
#include "pp_core.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#define PP_ARENA_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define PP_ARENA_OFF 1
#endif
#endif

#ifndef PP_ARENA_OFF
/* Address space reserved, not memory: pages are committed as blocks are first written. */
#define REGION_SIZE ((size_t)1 << 36)
#define BLOCK_SIZE  ((size_t)1 << 20)

static char *region;
static atomic_size_t region_used;
static _Thread_local char *cur, *end;
static _Thread_local int depth;

static bool in_region(const void *p)
{
    return region && (const char *)p >= region && (const char *)p < region + REGION_SIZE;
}

static void *arena_malloc(size_t n)
{
    if (!depth)
        return malloc(n);
    n = (n + 15) & ~(size_t)15;
    if ((size_t)(end - cur) < n) {
        size_t want = (n + BLOCK_SIZE - 1) / BLOCK_SIZE * BLOCK_SIZE;
        size_t off = atomic_fetch_add(&region_used, want);
        if (off + want > REGION_SIZE)
            return malloc(n); /* exhausted: the heap still works, and free() tells them apart */
        cur = region + off;
        end = cur + want;
    }
    void *p = cur;
    cur += n;
    return p;
}

static void arena_free(void *p)
{
    if (!in_region(p))
        free(p);
}

#endif

void pp_json_arena_install(void)
{
#ifndef PP_ARENA_OFF
    if (region)
        return;
    void *m = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return; /* strict overcommit, or a small address-space limit: stay on the heap */
    region = m;
    json_set_alloc_funcs(arena_malloc, arena_free);
#endif
}

void pp_json_arena_begin(void)
{
#ifndef PP_ARENA_OFF
    if (region)
        depth++;
#endif
}

void pp_json_arena_end(void)
{
#ifndef PP_ARENA_OFF
    if (region && depth > 0)
        depth--;
#endif
}
