/* A minimal unit-test harness: each test file is one executable with a table of cases; a failed
 * check prints file:line and the values, and the process exits non-zero. */
#ifndef PP_TEST_H
#define PP_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int pp_test_failures;
static const char *pp_test_current;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: [%s] check failed: %s\n", __FILE__, __LINE__, pp_test_current, \
                    #cond);                                                                        \
            pp_test_failures++;                                                                    \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *pp_a_ = (a), *pp_b_ = (b);                                                     \
        if (!pp_a_ || !pp_b_ || strcmp(pp_a_, pp_b_) != 0) {                                       \
            fprintf(stderr, "%s:%d: [%s] %s\n  got:      \"%s\"\n  expected: \"%s\"\n", __FILE__,  \
                    __LINE__, pp_test_current, #a, pp_a_ ? pp_a_ : "(null)",                       \
                    pp_b_ ? pp_b_ : "(null)");                                                     \
            pp_test_failures++;                                                                    \
        }                                                                                          \
    } while (0)

#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long pp_a_ = (long long)(a), pp_b_ = (long long)(b);                                  \
        if (pp_a_ != pp_b_) {                                                                      \
            fprintf(stderr, "%s:%d: [%s] %s: got %lld, expected %lld\n", __FILE__, __LINE__,       \
                    pp_test_current, #a, pp_a_, pp_b_);                                            \
            pp_test_failures++;                                                                    \
        }                                                                                          \
    } while (0)

typedef struct pp_test_case {
    const char *name;
    void (*fn)(void);
} pp_test_case;

/* Runs every case, or only those named on the command line. */
static inline int pp_test_run(const pp_test_case *cases, size_t n, int argc, char **argv)
{
    int ran = 0;
    for (size_t i = 0; i < n; i++) {
        if (argc > 1) {
            int wanted = 0;
            for (int j = 1; j < argc; j++)
                wanted |= strcmp(argv[j], cases[i].name) == 0;
            if (!wanted)
                continue;
        }
        int before = pp_test_failures;
        pp_test_current = cases[i].name;
        cases[i].fn();
        ran++;
        printf("%s %s\n", pp_test_failures == before ? "ok  " : "FAIL", cases[i].name);
    }
    printf("%d cases, %d failed checks\n", ran, pp_test_failures);
    return pp_test_failures ? 1 : 0;
}

#define PP_TEST_MAIN(...)                                                                          \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        static const pp_test_case cases[] = {__VA_ARGS__};                                         \
        return pp_test_run(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);                   \
    }

#define TEST(fn)                                                                                   \
    {                                                                                              \
#fn, fn                                                                                    \
    }

#endif
