/* Loads a plan with the reader and reports wall time and peak RSS: the numbers behind the
 * `parapet check` benchmark in docs/benchmarks.md. usage: plan_bench PLAN.json [runs] */
#include "pp_plan.h"

#include <stdio.h>
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: plan_bench PLAN.json [runs]\n");
        return 2;
    }
#if defined(__GLIBC__)
    mallopt(M_MXFAST, 0); /* as parapet check does */
#endif
    long runs = 1;
    if (argc > 2 && pp_parse_long(argv[2], 1, 100, &runs) < 0)
        return 2;
    double best = 1e9;
    for (long i = 0; i < runs; i++) {
        pp_plan *p = NULL;
        double t0 = now();
        if (pp_plan_load_file(argv[1], NULL, &p) < 0) {
            fprintf(stderr, "plan_bench: %s\n", pp_err_msg());
            return 2;
        }
        double dt = now() - t0;
        if (dt < best)
            best = dt;
        const pp_plan_stats *st = pp_plan_stats_get(p);
        if (i == 0)
            printf("changes %zu, evaluated %zu, documents %zu, merged %zu, synthetic %zu, "
                   "unmapped %zu\n",
                   st->changes, st->evaluated, st->documents, st->merged, st->synthetic,
                   st->unmapped);
        pp_plan_free(p);
    }
    printf("load %.3f s (best of %ld), peak RSS %ld MB\n", best, runs, peak_rss_kb() / 1024);
    return 0;
}
