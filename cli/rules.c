/* `parapet rules lint|test|list`: check policy packs, run their test cases, list their rules. */
#include "cli.h"
#include "pp_remediate.h"
#include "pp_rules.h"

#include <stdlib.h>
#include <string.h>

struct rules_args {
    const char *sub;
    const char *env;
    const char *suppressions;
    const char *format;
    const char **dirs; /* NULL-terminated, or NULL for the shipped packs */
    size_t n_dirs;
};

static int parse(int argc, char **argv, struct rules_args *a)
{
    memset(a, 0, sizeof(*a));
    if (argc < 2)
        return pp_cli_usage_error("rules: expected lint, test or list (see `parapet help rules`)");
    a->sub = argv[1];
    if (strcmp(a->sub, "lint") && strcmp(a->sub, "test") && strcmp(a->sub, "list"))
        return pp_cli_usage_error("rules: unknown subcommand '%s' (lint, test, list)", a->sub);
    a->dirs = pp_xcalloc((size_t)argc + 1, sizeof(*a->dirs));
    for (int i = 2; i < argc; i++) {
        const char *s = argv[i];
        const char **slot = NULL;
        if (pp_cli_log_option(argc, argv, &i))
            continue;
        if (strcmp(s, "--env") == 0)
            slot = &a->env;
        else if (strcmp(s, "--suppressions") == 0 && strcmp(a->sub, "lint") == 0)
            slot = &a->suppressions;
        else if (strcmp(s, "--format") == 0 && strcmp(a->sub, "list") == 0)
            slot = &a->format;
        else if (s[0] == '-' && s[1])
            return pp_cli_usage_error("rules %s: unknown option '%s'", a->sub, s);
        else {
            a->dirs[a->n_dirs++] = s;
            continue;
        }
        if (i + 1 >= argc)
            return pp_cli_usage_error("rules %s: %s needs a value", a->sub, s);
        *slot = argv[++i];
    }
    if (a->format && strcmp(a->format, "text") && strcmp(a->format, "json"))
        return pp_cli_usage_error("rules list: --format is text or json");
    return 0;
}

static void print_diags(const pp_buf *diags)
{
    const char *d = pp_buf_cstr(diags);
    fputs(d, stderr);
    if (*d && d[strlen(d) - 1] != '\n')
        fputc('\n', stderr);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static int cmd_lint(const struct rules_args *a, pp_rules_options *o)
{
    pp_buf diags;
    pp_buf_init(&diags, 0);
    pp_ruleset *rs = NULL;
    o->suppressions = a->suppressions;
    o->check_tests = true;
    int rc = pp_rules_load(&rs, o, &diags);
    if (rc) {
        print_diags(&diags);
        int n = count_lines(pp_buf_cstr(&diags));
        pp_cli_error("rules lint: %d problem%s found", n, n == 1 ? "" : "s");
        pp_buf_free(&diags);
        return PP_EXIT_USAGE;
    }
    size_t packs = json_array_size(pp_ruleset_packs(rs));
    printf("%zu rule%s in %zu pack%s: ok\n", pp_ruleset_count(rs),
           pp_ruleset_count(rs) == 1 ? "" : "s", packs, packs == 1 ? "" : "s");
    pp_ruleset_free(rs);
    pp_buf_free(&diags);
    return PP_EXIT_OK;
}

static int cmd_test(pp_rules_options *o)
{
    pp_buf log;
    pp_buf_init(&log, 0);
    int passed = 0, failed = 0;
    int rc = pp_rules_run_tests(o, pp_time_now(), &passed, &failed, &log);
    if (rc) {
        print_diags(&log);
        pp_cli_error("rules test: the policy packs have errors; no case ran");
        pp_buf_free(&log);
        return PP_EXIT_USAGE;
    }
    fputs(pp_buf_cstr(&log), stdout);
    printf("%d passed, %d failed\n", passed, failed);
    pp_buf_free(&log);
    return failed ? PP_EXIT_FAIL : PP_EXIT_OK;
}

static char *frameworks_text(const json_t *fw)
{
    pp_buf b;
    pp_buf_init(&b, 0);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)fw, k, v)
    {
        size_t i;
        json_t *id;
        json_array_foreach(v, i, id)
        {
            pp_buf_printf(&b, "%s%s:%s", b.len ? "," : "", k, json_string_value(id));
        }
    }
    return pp_buf_steal(&b);
}

static int cmd_list(const struct rules_args *a, pp_rules_options *o)
{
    pp_buf diags;
    pp_buf_init(&diags, 0);
    pp_ruleset *rs = NULL;
    if (pp_rules_load(&rs, o, &diags)) {
        print_diags(&diags);
        pp_cli_error("rules list: the policy packs have errors");
        pp_buf_free(&diags);
        return PP_EXIT_USAGE;
    }
    static const char *const kinds[] = {"check", "exists", "manual", "error"};
    bool json = a->format && strcmp(a->format, "json") == 0;
    size_t w_id = 2, w_type = 8, w_act = 11;
    for (size_t i = 0; i < pp_ruleset_count(rs); i++) {
        const pp_rule_meta *m = pp_ruleset_meta(rs, i);
        const char *action = json_string_value(json_object_get(m->remediation, "action"));
        size_t l1 = strlen(m->id), l2 = strlen(m->resource_type), l3 = action ? strlen(action) : 1;
        w_id = l1 > w_id ? l1 : w_id;
        w_type = l2 > w_type ? l2 : w_type;
        w_act = l3 > w_act ? l3 : w_act;
    }
    if (!json)
        printf("%-*s  %-8s  %-6s  %-*s  %-*s  %s\n", (int)w_id, "ID", "SEVERITY", "KIND",
               (int)w_type, "RESOURCE", (int)w_act, "REMEDIATION", "FRAMEWORKS");
    for (size_t i = 0; i < pp_ruleset_count(rs); i++) {
        const pp_rule_meta *m = pp_ruleset_meta(rs, i);
        const char *action = json_string_value(json_object_get(m->remediation, "action"));
        const char *kind = kinds[pp_ruleset_kind(rs, i)];
        if (json) {
            json_t *o2 =
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:s?, s:s}", "id", m->id, "title",
                          m->title ? m->title : "", "severity", pp_severity_name(m->severity),
                          "kind", kind, "resource", m->resource_type, "frameworks", m->frameworks,
                          "remediation", action, "pack", m->pack);
            char *s = json_dumps(o2, JSON_COMPACT);
            printf("%s\n", s ? s : "{}");
            free(s);
            json_decref(o2);
            continue;
        }
        char *fw = frameworks_text(m->frameworks);
        printf("%-*s  %-8s  %-6s  %-*s  %-*s  %s\n", (int)w_id, m->id,
               pp_severity_name(m->severity), kind, (int)w_type, m->resource_type, (int)w_act,
               action ? action : "-", *fw ? fw : "-");
        free(fw);
    }
    pp_ruleset_free(rs);
    pp_buf_free(&diags);
    return PP_EXIT_OK;
}

int pp_cmd_rules(int argc, char **argv)
{
    struct rules_args a;
    int rc = parse(argc, argv, &a);
    if (rc) {
        free(a.dirs);
        return rc;
    }
    pp_cli_log_init();
    pp_rules_options o = {
        .dirs = a.n_dirs ? a.dirs : NULL, .env = a.env, .actions = pp_remediate_action_names()};
    if (strcmp(a.sub, "lint") == 0)
        rc = cmd_lint(&a, &o);
    else if (strcmp(a.sub, "test") == 0)
        rc = cmd_test(&o);
    else
        rc = cmd_list(&a, &o);
    free(a.dirs);
    return rc;
}
