/* Writes reports for a synthetic evaluation (synth.h): the input of the report benchmark
 * (100,000 resources: size and open time of report.html) and of the browser suite.
 *
 *   gen_report --out DIR [--resources N] [--formats LIST] [--hostile] [--plan] [--previous]
 *              [--history] [--fail-pct N] [--unique-evidence]
 */
#include "synth.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int usage(void)
{
    fprintf(stderr, "usage: gen_report --out DIR [--resources N] [--formats LIST] [--hostile] "
                    "[--plan] [--previous] [--history] [--fail-pct N] [--unique-evidence]\n");
    return 2;
}

int main(int argc, char **argv)
{
    synth_opts o = {.resources = 60};
    const char *out = NULL;
    const char *formats = "json,html,ocsf,csv,sarif,junit";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (strcmp(argv[i], "--formats") == 0 && i + 1 < argc) {
            formats = argv[++i];
        } else if (strcmp(argv[i], "--resources") == 0 && i + 1 < argc) {
            long n;
            if (pp_parse_long(argv[++i], 1, 10000000, &n) < 0)
                return usage();
            o.resources = (size_t)n;
        } else if (strcmp(argv[i], "--fail-pct") == 0 && i + 1 < argc) {
            long n;
            if (pp_parse_long(argv[++i], 0, 100, &n) < 0)
                return usage();
            o.fail_pct = (int)n;
        } else if (strcmp(argv[i], "--unique-evidence") == 0) {
            o.unique_evidence = true;
        } else if (strcmp(argv[i], "--hostile") == 0) {
            o.hostile = true;
        } else if (strcmp(argv[i], "--plan") == 0) {
            o.plan = true;
        } else if (strcmp(argv[i], "--previous") == 0) {
            o.previous = true;
        } else if (strcmp(argv[i], "--history") == 0) {
            o.history = true;
        } else {
            return usage();
        }
    }
    if (!out)
        return usage();
    struct timespec t0, t1, t2;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    synth s;
    synth_build(&o, &s);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pp_report_input in;
    synth_input(&s, &in);
    int rc = pp_report_write_all(formats, &in, out);
    clock_gettime(CLOCK_MONOTONIC, &t2);
    if (rc < 0) {
        fprintf(stderr, "gen_report: %s\n", pp_err_msg());
        synth_free(&s);
        return 1;
    }
    fprintf(stderr, "gen_report: %zu resources, %zu findings: built in %.2f s, written in %.2f s\n",
            pp_inventory_count(s.inventory), s.results->n_findings,
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
            (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9);
    synth_free(&s);
    return 0;
}
