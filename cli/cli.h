/* The command line: the only part of parapet that prints to stdout or exits. Each command is
 * one file exporting a pp_cmd_<name>() entry point, listed once in main.c's table. */
#ifndef PP_CLI_H
#define PP_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "pp_core.h"

/* Exit codes, the same for every command (design.md section 2). */
enum pp_exit {
    PP_EXIT_OK = 0,
    PP_EXIT_FAIL = 1,
    PP_EXIT_USAGE = 2,
    PP_EXIT_INCOMPLETE = 3,
    PP_EXIT_LOCKED = 4,
};

typedef struct pp_cmd {
    const char *name;
    const char *summary;
    const char *usage; /* the synopsis and options, printed by `parapet help NAME` */
    int (*run)(int argc, char **argv);
} pp_cmd;

const pp_cmd *pp_cli_find(const char *name);

/* Command entry points, one per file (argv[0] is the command name). */
int pp_cmd_doctor(int argc, char **argv);
int pp_cmd_scan(int argc, char **argv);
int pp_cmd_evaluate(int argc, char **argv);
int pp_cmd_report(int argc, char **argv);
int pp_cmd_iam_policy(int argc, char **argv);
int pp_cmd_inventory(int argc, char **argv);
int pp_cmd_history(int argc, char **argv);
int pp_cmd_check(int argc, char **argv);
int pp_cmd_rules(int argc, char **argv);
int pp_cmd_remediate(int argc, char **argv);

/* "parapet: <what>: <why>" on stderr, one line, redacted. Returns PP_EXIT_USAGE so that
 * `return pp_cli_usage_error(...)` reads naturally. */
int pp_cli_usage_error(const char *fmt, ...) PP_PRINTF(1, 2);
void pp_cli_error(const char *fmt, ...) PP_PRINTF(1, 2);
/* Maps a pp_rc to an exit code and prints the last error. */
int pp_cli_fail(int rc, const char *what);

/* Large runs leave their inventories and findings to the exiting process: handing millions of
 * JSON values back one by one just before exit costs a fifth of a big run. Sanitizer builds free
 * everything, so a leak anywhere stays visible to the tests. */
#if defined(__SANITIZE_ADDRESS__)
#define PP_CLI_FREE_AT_EXIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PP_CLI_FREE_AT_EXIT 1
#endif
#endif
#ifndef PP_CLI_FREE_AT_EXIT
#define PP_CLI_FREE_AT_EXIT 0
#endif

/* For commands that build and drop millions of small JSON values: glibc's fast bins made bulk
 * frees consolidate over and over, so turn them off. */
void pp_cli_bulk_allocs(void);

/* Command-line options: a table terminated by {NULL}. VALUE stores a const char * (argv-owned),
 * LIST appends copies to a NULL-terminated char ** the caller frees with pp_strv_free, INT
 * stores a long within [min, max], FLAG sets a bool. */
enum pp_opt_kind { PP_OPT_FLAG, PP_OPT_VALUE, PP_OPT_LIST, PP_OPT_INT };
typedef struct pp_cli_opt {
    const char *name; /* without the leading -- */
    enum pp_opt_kind kind;
    void *dest;
    long min, max;
    bool seen;
} pp_cli_opt;

/* Parses argv[1..] (argv[0] is the command name, used in messages). Positional arguments are
 * appended to *positional, or refused when positional is NULL. Returns 0 or PP_EXIT_USAGE
 * after printing the one-line error. */
int pp_cli_parse(int argc, char **argv, pp_cli_opt *opts, char ***positional);
/* "a,b" "c" -> ["a","b","c"] without repeats; NULL-terminated, free with pp_strv_free. */
char **pp_cli_split_lists(char **values);

/* Logging options shared by every command: --log-level, --log-format, --quiet. Returns true
 * when it consumed the option at argv[*i] (and its value). */
bool pp_cli_log_option(int argc, char **argv, int *i);
void pp_cli_log_init(void);

#endif
