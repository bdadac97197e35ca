/* Option parsing shared by every command: a table of options, `--name value` or `--name=value`,
 * repeatable options collected into lists, and one usage error line for anything else. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static pp_cli_opt *find(pp_cli_opt *opts, const char *name, size_t len)
{
    for (pp_cli_opt *o = opts; o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

static void list_add(char ***list, const char *v)
{
    size_t n = pp_strv_len(*list);
    *list = pp_xrealloc(*list, (n + 2) * sizeof(**list));
    (*list)[n] = pp_xstrdup(v);
    (*list)[n + 1] = NULL;
}

int pp_cli_parse(int argc, char **argv, pp_cli_opt *opts, char ***positional)
{
    const char *cmd = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (pp_cli_log_option(argc, argv, &i))
            continue;
        if (strcmp(a, "--") == 0) {
            for (i++; i < argc; i++) {
                if (!positional)
                    return pp_cli_usage_error("%s: unexpected argument '%s'", cmd, argv[i]);
                list_add(positional, argv[i]);
            }
            break;
        }
        if (a[0] != '-' || a[1] == '\0') {
            if (!positional)
                return pp_cli_usage_error("%s: unexpected argument '%s'", cmd, a);
            list_add(positional, a);
            continue;
        }
        if (a[1] != '-')
            return pp_cli_usage_error("%s: unknown option '%s'", cmd, a);
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        pp_cli_opt *o = find(opts, name, len);
        if (!o)
            return pp_cli_usage_error("%s: unknown option '%s' (see `parapet help %s`)", cmd, a,
                                      cmd);
        if (o->kind == PP_OPT_FLAG) {
            if (eq)
                return pp_cli_usage_error("%s: --%s takes no value", cmd, o->name);
            *(bool *)o->dest = true;
            continue;
        }
        const char *val = eq ? eq + 1 : NULL;
        if (!val) {
            if (i + 1 >= argc)
                return pp_cli_usage_error("%s: --%s needs a value", cmd, o->name);
            val = argv[++i];
        }
        if (o->kind == PP_OPT_LIST) {
            list_add((char ***)o->dest, val);
        } else if (o->kind == PP_OPT_INT) {
            long v;
            if (pp_parse_long(val, o->min, o->max, &v))
                return pp_cli_usage_error("%s: --%s: %s", cmd, o->name, pp_err_msg());
            *(long *)o->dest = v;
        } else {
            if (o->seen)
                return pp_cli_usage_error("%s: --%s given twice", cmd, o->name);
            *(const char **)o->dest = val;
        }
        o->seen = true;
    }
    return 0;
}

char **pp_cli_split_lists(char **values)
{
    char **out = pp_xcalloc(1, sizeof(*out));
    for (size_t i = 0; values && values[i]; i++) {
        char **parts = pp_str_split(values[i], ',', NULL);
        for (size_t j = 0; parts[j]; j++)
            if (!pp_strv_contains(out, parts[j]))
                list_add(&out, parts[j]);
        pp_strv_free(parts);
    }
    return out;
}
