/* Fuzz target: pp_rules_load on a whole pack - pack.yaml, rule files, an environment overlay, a
 * suppressions file and rule test files - and, when the pack loads, its own test cases. The input
 * is the pack's files one after the other, each introduced by a line "#> NAME" (pack.yaml,
 * rules.yaml, environments/prod.yaml, suppressions.yaml, rules.test.yaml, tests/more.yaml);
 * anything before the first such line is rules.yaml. Every refusal must say where. */
#include "fuzz.h"
#include "pp_rules.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const names[] = {"pack.yaml",
                                    "rules.yaml",
                                    "environments/prod.yaml",
                                    "suppressions.yaml",
                                    "rules.test.yaml",
                                    "tests/more.yaml",
                                    NULL};
static char dir[64];

static char *path_of(const char *name)
{
    /* the suppressions file lives beside the pack, or it would load as a rule file */
    if (strcmp(name, "suppressions.yaml") == 0)
        return pp_xasprintf("%s/%s", dir, name);
    return pp_xasprintf("%s/pack/%s", dir, name);
}

static void cleanup(void)
{
    for (int i = 0; names[i]; i++) {
        char *p = path_of(names[i]);
        unlink(p);
        free(p);
    }
    static const char *const dirs[] = {"pack/environments", "pack/tests", "pack", ""};
    for (int i = 0; i < 4; i++) {
        char *p = pp_xasprintf("%s/%s", dir, dirs[i]);
        rmdir(p);
        free(p);
    }
}

static void setup(void)
{
    if (dir[0])
        return;
    atexit(cleanup);
    snprintf(dir, sizeof(dir), "/tmp/parapet-fuzz-pack-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    char *p = pp_xasprintf("%s/pack", dir);
    mkdir(p, 0700);
    free(p);
    p = pp_xasprintf("%s/pack/environments", dir);
    mkdir(p, 0700);
    free(p);
    p = pp_xasprintf("%s/pack/tests", dir);
    mkdir(p, 0700);
    free(p);
}

static void write_file(const char *name, const uint8_t *data, size_t n)
{
    char *p = path_of(name);
    FILE *f = fopen(p, "wb");
    if (!f)
        abort();
    if (n)
        fwrite(data, 1, n, f);
    fclose(f);
    free(p);
}

static int known(const uint8_t *line, size_t n)
{
    for (int i = 0; names[i]; i++)
        if (strlen(names[i]) == n && memcmp(line, names[i], n) == 0)
            return i;
    return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    bool present[6] = {false};
    for (int i = 0; names[i]; i++) {
        char *p = path_of(names[i]);
        unlink(p);
        free(p);
    }
    /* split into files at "#> NAME" lines */
    int cur = 1; /* rules.yaml, implicitly, until a "#> NAME" line names a file */
    bool named = false;
    size_t start = 0, i = 0;
    while (i <= size) {
        size_t eol = i;
        while (eol < size && data[eol] != '\n')
            eol++;
        int next = -1;
        if (eol - i > 3 && data[i] == '#' && data[i + 1] == '>' && data[i + 2] == ' ')
            next = known(data + i + 3, eol - i - 3);
        if (next >= 0 || eol >= size) {
            size_t end = next >= 0 ? i : size;
            if (end > start || named) {
                write_file(names[cur], data + start, end - start);
                present[cur] = true;
            }
            if (next >= 0) {
                cur = next;
                named = true;
                start = eol < size ? eol + 1 : size;
            }
        }
        if (eol >= size)
            break;
        i = eol + 1;
    }
    if (!present[0]) {
        static const char pack[] = "name: fuzz\nversion: 1.0.0\nparams: {max_age: 90}\n";
        write_file("pack.yaml", (const uint8_t *)pack, sizeof(pack) - 1);
    }

    char *packdir = pp_xasprintf("%s/pack", dir);
    char *supp = path_of("suppressions.yaml");
    const char *dirs[] = {packdir, NULL};
    /* Remediation action names are not checked (the table lives in remediate/), nor is a test
     * case required per rule; pp_rules_run_tests loads and runs the test files. */
    pp_rules_options o = {
        .dirs = dirs, .env = present[2] ? "prod" : NULL, .suppressions = present[3] ? supp : NULL};
    pp_buf diags;
    pp_buf_init(&diags, 1024 * 1024);
    pp_ruleset *rs = NULL;
    if (pp_rules_load(&rs, &o, &diags) == 0) {
        for (size_t k = 0; k < pp_ruleset_count(rs); k++)
            if (!pp_ruleset_meta(rs, k)->id)
                abort();
        int passed = 0, failed = 0;
        pp_buf log;
        pp_buf_init(&log, 1024 * 1024);
        pp_rules_run_tests(&o, 1717200000, &passed, &failed, &log);
        pp_buf_free(&log);
        if (getenv("PARAPET_FUZZ_VERBOSE"))
            fprintf(stderr, "loaded %zu rules, tests: %d passed, %d failed\n", pp_ruleset_count(rs),
                    passed, failed);
    } else if (getenv("PARAPET_FUZZ_VERBOSE")) {
        fprintf(stderr, "refused: %s", pp_buf_cstr(&diags));
    }
    if (!rs && !*pp_buf_cstr(&diags)) {
        fprintf(stderr, "refused without a diagnostic: %s\n", pp_err_msg());
        abort();
    }
    pp_ruleset_free(rs);
    pp_buf_free(&diags);
    free(packdir);
    free(supp);
    return 0;
}
