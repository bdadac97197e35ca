/* The rules engine alone: loads `parapet inventory` JSON lines into an inventory, loads the
 * packs, and times pp_rules_load and pp_rules_eval (wall clock), printing the finding counts and
 * peak RSS. usage: bench_eval FILE.jsonl [PACK_DIR ...] */
#include "pp_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_eval FILE.jsonl [PACK_DIR ...]\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    double t0 = now_s();
    pp_inventory *inv = pp_inventory_new(PP_SOURCE_IMPORT);
    pp_buf line;
    pp_buf_init(&line, 0);
    char chunk[65536];
    size_t n = 0;
    while (fgets(chunk, sizeof(chunk), f)) {
        pp_buf_puts(&line, chunk);
        if (line.len && line.data[line.len - 1] != '\n' && !feof(f))
            continue;
        json_t *o = json_loads(line.data, 0, NULL);
        pp_buf_reset(&line);
        if (!o)
            continue;
        pp_resource *r = pp_resource_new(json_string_value(json_object_get(o, "type")),
                                         json_string_value(json_object_get(o, "id")),
                                         json_string_value(json_object_get(o, "arn")),
                                         json_string_value(json_object_get(o, "account")),
                                         json_string_value(json_object_get(o, "region")),
                                         json_object_get(o, "document"));
        pp_inventory_add(inv, r);
        json_decref(o);
        n++;
    }
    fclose(f);
    pp_buf_free(&line);
    double t1 = now_s();
    pp_rules_options o = {.dirs = argc > 2 ? (const char *const *)argv + 2 : NULL};
    pp_buf diags;
    pp_buf_init(&diags, 0);
    pp_ruleset *rs = NULL;
    if (pp_rules_load(&rs, &o, &diags)) {
        fputs(pp_buf_cstr(&diags), stderr);
        return 2;
    }
    double t2 = now_s();
    pp_results *res = NULL;
    pp_rules_eval(rs, inv, pp_time_now(), &res);
    double t3 = now_s();
    size_t counts[PP_STATUS_COUNT] = {0};
    for (size_t i = 0; i < res->n_findings; i++)
        counts[res->findings[i].status]++;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%zu resources (read %.2fs), %zu rules (load %.3fs), eval %.3fs: %zu findings "
           "(PASS %zu, FAIL %zu, ERROR %zu, UNKNOWN %zu, MANUAL %zu), peak RSS %ld MB\n",
           n, t1 - t0, pp_ruleset_count(rs), t2 - t1, t3 - t2, res->n_findings,
           counts[PP_STATUS_PASS], counts[PP_STATUS_FAIL], counts[PP_STATUS_ERROR],
           counts[PP_STATUS_UNKNOWN], counts[PP_STATUS_MANUAL], ru.ru_maxrss / 1024);
    pp_results_free(res);
    pp_ruleset_free(rs);
    pp_inventory_free(inv);
    return 0;
}
