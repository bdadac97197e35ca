/* parapet's entry point: the command table, help, version, and the logging sink. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <curl/curl.h>
#include <libxml/parser.h>

static const pp_cmd commands[] = {
    {"doctor", "check credentials, endpoints and permissions per service",
     "parapet doctor [--profile P] [--endpoint-url URL] [--allow-insecure-endpoint] [--region R]\n"
     "               [--services LIST]\n"
     "\n"
     "Resolves credentials (prints the key id and where it came from, never the secret), calls\n"
     "STS GetCallerIdentity, then one cheap read call per service, and prints a table of\n"
     "service, endpoint and ok or the AWS error.\n"
     "\n"
     "  --profile P         use profile P from ~/.aws/config and ~/.aws/credentials\n"
     "  --endpoint-url URL  send every call to URL (moto server, LocalStack)\n"
     "  --allow-insecure-endpoint\n"
     "                      allow plain http to a non-loopback --endpoint-url\n"
     "  --region R          default region (else AWS_REGION, AWS_DEFAULT_REGION, profile)\n"
     "  --services LIST     comma-separated: iam,ec2,kms,cloudtrail,config,guardduty,logs,\n"
     "                      cloudwatch,sns,s3 (default: all)\n"
     "\n"
     "Exit 0 when every service answers, 3 when some do not, 2 on bad usage.\n",
     pp_cmd_doctor},
    {"scan", "scan accounts and regions, evaluate the policy packs, write reports",
     "parapet scan [--profile P] [--region R,R | --all-regions] [--services LIST]\n"
     "             [--role-arn ARN ... | --accounts FILE] [--external-id ID]\n"
     "             [--endpoint-url URL] [--allow-insecure-endpoint] [--db FILE]\n"
     "             [--policies DIR ...] [--env NAME] [--suppressions FILE] [--out DIR]\n"
     "             [--format LIST] [--fail-on SEVERITY] [--concurrency N] [--keep N]\n"
     "             [--notify URL ...] [--notify-on fail|new|always] [--quiet] [--no-progress]\n"
     "             [--log-level LEVEL] [--log-format text|json]\n"
     "\n"
     "Collects the security-relevant state of each account and region into a new snapshot in\n"
     "the database, evaluates the policy packs on it, writes the reports, prunes old snapshots\n"
     "and prints a summary: controls failed by severity, new and resolved failures since the\n"
     "previous snapshot, coverage errors, where the reports are, the exit code. One run at a\n"
     "time per database (scan, evaluate, inventory import).\n"
     "\n"
     "  --region R,R          regions to scan (default: AWS_REGION / profile region)\n"
     "  --all-regions         every region enabled in the account (DescribeRegions)\n"
     "  --services LIST       collectors: account,iam,ec2,kms,cloudtrail,config,guardduty,\n"
     "                        logs,cloudwatch,sns,s3 (default: all)\n"
     "  --role-arn ARN        scan the account of this role through AssumeRole (repeatable)\n"
     "  --accounts FILE       YAML list of {id, role_arn, external_id, regions, name}\n"
     "  --external-id ID      external id for --role-arn\n"
     "  --endpoint-url URL    send every call to URL (moto server, LocalStack)\n"
     "  --allow-insecure-endpoint\n"
     "                        allow plain http to a non-loopback --endpoint-url or --notify\n"
     "  --db FILE             database (default ./parapet.db)\n"
     "  --policies DIR        policy pack folder (repeatable; default: the shipped packs)\n"
     "  --env NAME            environment overlay (policies/<pack>/environments/NAME.yaml)\n"
     "  --suppressions FILE   suppressions (default: suppressions.yaml beside the database)\n"
     "  --out DIR             report folder (default ./parapet-out)\n"
     "  --format LIST         html,json,ocsf,csv,sarif,junit (default html,json)\n"
     "  --fail-on SEVERITY    lowest severity that fails the run (default low)\n"
     "  --concurrency N       collector tasks at once (default 16)\n"
     "  --keep N              keep the newest N complete snapshots, prune older ones after the\n"
     "                        run (default 90; 0 keeps everything)\n"
     "  --notify URL          POST a JSON summary (Slack-compatible \"text\") to this webhook\n"
     "                        (repeatable; default: PARAPET_NOTIFY_URL, space-separated)\n"
     "  --notify-on WHEN      fail (default): the run exits 1 or 3; new: a new FAIL at or\n"
     "                        above --fail-on since the previous snapshot; always. A run that\n"
     "                        could not complete is always reported; exit 4 never is\n"
     "  --quiet               print nothing on stdout (errors and warnings still go to stderr)\n"
     "  --no-progress         no progress table on a terminal\n"
     "\n"
     "Webhooks must be https (plain http only to loopback), get 10 s, and a failed delivery\n"
     "is one warning line that never changes the exit code.\n"
     "\n"
     "Exit 0: nothing failed; 1: a FAIL at or above --fail-on; 2: bad input; 3: something could\n"
     "not be assessed (ERROR or a coverage error); 4: another run holds the database.\n",
     pp_cmd_scan},
    {"evaluate", "evaluate a stored snapshot again, without calling AWS",
     "parapet evaluate [--db FILE] [--snapshot ID|latest] [--policies DIR ...] [--env NAME]\n"
     "                 [--suppressions FILE] [--out DIR] [--format LIST] [--fail-on SEVERITY]\n"
     "                 [--quiet]\n"
     "\n"
     "Re-evaluates a snapshot (default: the latest complete one) with the current policy packs,\n"
     "stores the findings and writes the reports. It writes to the database, so it takes the\n"
     "run lock like scan: while another run holds it, evaluate exits 4 at once.\n"
     "\n"
     "  --db FILE             database (default ./parapet.db; never created)\n"
     "  --snapshot ID         snapshot id or \"latest\" (default)\n"
     "  --policies DIR        policy pack folder (repeatable; default: the shipped packs)\n"
     "  --env NAME            environment overlay\n"
     "  --suppressions FILE   suppressions (default: suppressions.yaml beside the database)\n"
     "  --out DIR             report folder (default ./parapet-out)\n"
     "  --format LIST         html,json,ocsf,csv,sarif,junit (default html,json)\n"
     "  --fail-on SEVERITY    lowest severity that fails the run (default low)\n"
     "  --quiet               print nothing on stdout\n"
     "\n"
     "Exit codes as for scan.\n",
     pp_cmd_evaluate},
    {"check", "check a Terraform plan against the policy packs (pre-merge gate)",
     "parapet check PLAN.json [--policies DIR ...] [--env NAME] [--format text|json|sarif|junit]\n"
     "              [--out FILE] [--fail-on SEVERITY] [--fail-on-unknown] [--baseline FILE]\n"
     "              [--repo-root DIR] [--suppressions FILE] [--quiet]\n"
     "\n"
     "PLAN.json is `terraform show -json PLANFILE` output (format_version 1.x). What will exist\n"
     "after apply (creates, updates, replacements, unchanged resources) is mapped to the same\n"
     "documents a scan produces and evaluated by the same rules; deletions are not. A value\n"
     "Terraform knows only after apply makes the rules that need it UNKNOWN, never PASS or\n"
     "FAIL; sensitive values are never printed. Rules that need the whole account (GuardDuty\n"
     "or Config in every region) are UNKNOWN for a plan.\n"
     "\n"
     "  --policies DIR     policy pack folder (repeatable; default: the shipped packs)\n"
     "  --env NAME         environment overlay (policies/<pack>/environments/NAME.yaml)\n"
     "  --suppressions FILE  suppressions file (YAML), as for scan\n"
     "  --format F         text (default), json (the native report), sarif (GitHub code\n"
     "                     scanning), junit (Jenkins); --out FILE.sarif/.xml/.json implies it\n"
     "  --out FILE         write there instead of stdout\n"
     "  --fail-on SEV      lowest severity that fails the check (default low)\n"
     "  --fail-on-unknown  a resource's UNKNOWN fails the check too\n"
     "  --baseline FILE    YAML list of accepted findings: rule, address (* globs), reason,\n"
     "                     expires (YYYY-MM-DD, through that day), owner\n"
     "  --repo-root DIR    the Terraform configuration: SARIF and text point at the .tf file\n"
     "                     and line of each resource, and `# parapet:ignore RULE reason\n"
     "                     until=YYYY-MM-DD` comments on, above or inside a resource block\n"
     "                     (or its module block) suppress that rule for it\n"
     "  --quiet            no one-line count on stderr after json/sarif/junit or --out\n"
     "\n"
     "Expired suppressions stop applying and are reported on stderr. Exit 0: nothing failed;\n"
     "1: a FAIL at or above --fail-on; 2: invalid plan, policy, baseline or usage; 3: a rule\n"
     "could not be evaluated (ERROR).\n",
     pp_cmd_check},
    {"remediate", "plan fixes for failed findings, apply a plan, list the journal",
     "parapet remediate [--db FILE] [--snapshot ID] [--rules ID,...] [--resources ID,...]\n"
     "                  [--account ID] [--plan-out FILE] [--env NAME] [--policies DIR ...]\n"
     "                  [--allow-risky] [--max-changes N] [--quiet]\n"
     "parapet remediate --apply PLAN_FILE [--yes] [--db FILE] [--allow-risky] [--max-changes N]\n"
     "                  [--profile P] [--endpoint-url URL] [--region R] [--concurrency N]\n"
     "parapet remediate --journal [--plan ID] [--db FILE] [--format text|json]\n"
     "\n"
     "Planning (the default) changes nothing: the failed, unsuppressed findings of a snapshot's\n"
     "latest evaluation become a plan - each step with its rule, resource, action, the exact\n"
     "AWS calls and parameters, why, what it depends on and how to undo it - written as JSON\n"
     "(mode 0600) and shown as a diff (+ create, ~ change, - remove). Findings whose rule has no\n"
     "remediation are listed as \"no action\". Rules of the reference pack provision the\n"
     "components of policies/reference/architecture.yaml for --env.\n"
     "\n"
     "--apply executes exactly that plan: it refuses a plan for another account, re-reads each\n"
     "resource before its step (already in the desired state or already gone counts as done),\n"
     "runs steps in dependency order, independent ones at once, and never runs a step after one\n"
     "it depends on failed. Every step is journaled before and after it runs: applying the same\n"
     "plan again resumes and never repeats a finished step. It takes the database's run lock.\n"
     "\n"
     "  --db FILE          database (default ./parapet.db)\n"
     "  --snapshot ID      snapshot id or \"latest\" (default)\n"
     "  --rules LIST       only these rule ids (globs, comma-separated, repeatable)\n"
     "  --resources LIST   only findings whose resource id or ARN matches (globs)\n"
     "  --account ID       only findings of this account (a plan is applied to one account)\n"
     "  --plan-out FILE    where the plan goes (default ./parapet-plan.json)\n"
     "  --env NAME         environment for provisioning (default: the evaluation's)\n"
     "  --policies DIR     pack folders holding architecture.yaml (default: the shipped packs)\n"
     "  --allow-risky      plan and apply actions that can lock people out (deactivating access\n"
     "                     keys, detaching user policies); without it they are only listed\n"
     "  --max-changes N    resources one plan or apply may touch (default 50)\n"
     "  --apply FILE       execute this plan; --yes skips the confirmation (required when\n"
     "                     standard input is not a terminal)\n"
     "  --journal          list what was done, when, by which access key id; --plan ID narrows\n"
     "  --concurrency N    steps at once while applying (default 4)\n"
     "\n"
     "Exit 0: planned, or every step done or already in the desired state; 1: a step failed or\n"
     "was skipped because one it depends on failed (partial: apply again after fixing it); 2: bad\n"
     "input or a plan refused; 4: another run holds the database.\n",
     pp_cmd_remediate},
    {"report", "write the reports of a stored evaluation",
     "parapet report [--db FILE] [--snapshot ID|latest] [--compare ID|previous] [--out DIR]\n"
     "               [--format LIST] [--fail-on SEVERITY] [--quiet]\n"
     "\n"
     "Writes the reports of the latest evaluation of a snapshot from the database alone;\n"
     "--compare names the snapshot whose findings the changes section compares with (default:\n"
     "the previous complete snapshot). It only reads the database: no lock, never waits.\n"
     "\n"
     "  --db FILE             database (default ./parapet.db; never created)\n"
     "  --snapshot ID         snapshot id or \"latest\" (default)\n"
     "  --compare ID          snapshot id, \"latest\" or \"previous\" (default)\n"
     "  --out DIR             report folder (default ./parapet-out)\n"
     "  --format LIST         html,json,ocsf,csv,sarif,junit (default html,json)\n"
     "  --fail-on SEVERITY    lowest severity that makes the exit code 1 (default low)\n"
     "  --quiet               print nothing on stdout\n"
     "\n"
     "Exit codes as for scan.\n",
     pp_cmd_report},
    {"iam-policy", "print the least-privilege IAM policy a scan needs",
     "parapet iam-policy scan\n"
     "parapet iam-policy remediate\n"
     "\n"
     "Prints the IAM policy document (JSON) that grants exactly the read calls the collectors\n"
     "declare; attach it to the role or user parapet scans with. `remediate` prints the policy\n"
     "the remediation actions declare (their writes and the reads before each step).\n",
     pp_cmd_iam_policy},
    {"inventory", "print a snapshot's resources as JSON lines, or import such lines",
     "parapet inventory [--db FILE] [--snapshot ID|latest] [--type T] [--account A] [--region R]\n"
     "parapet inventory import FILE.jsonl [--db FILE]\n"
     "\n"
     "Prints one JSON object a line, {\"type\",\"id\",\"arn\",\"account\",\"region\",\n"
     "\"document\"} (plus \"errors\" when a follow-up call failed for the resource), grouped by\n"
     "type, from the latest complete snapshot or the one named. `import` reads the same lines\n"
     "(blank lines are skipped, \"arn\" may be null, '-' reads stdin) into a new complete\n"
     "snapshot of source \"import\", checking every line first: a bad line stores nothing.\n"
     "\n"
     "  --db FILE          database (default ./parapet.db)\n"
     "  --snapshot ID      snapshot id or \"latest\" (default)\n"
     "  --type T           only resources of type T (AWS::EC2::SecurityGroup)\n"
     "  --account A        only resources of account A\n"
     "  --region R         only resources of region R (\"global\" for IAM)\n"
     "\n"
     "import takes the run lock like scan (one run at a time); reading never waits.\n"
     "\n"
     "Exit 0 on success, 2 on bad usage, a bad line (FILE:LINE: why) or an unusable database,\n"
     "4 when another run holds the database.\n",
     pp_cmd_inventory},
    {"history", "list the snapshots in the database with their counts and failures",
     "parapet history [--db FILE] [--format text|json]\n"
     "parapet history --trend [--last N] [--db FILE] [--format text|json]\n"
     "\n"
     "Lists every snapshot, oldest first: id, source, start time, duration, accounts, regions,\n"
     "resources, API calls, call errors, whether it completed (a scan killed half-way stays\n"
     "incomplete and is never used as \"latest\"), and the unsuppressed FAIL findings of its\n"
     "latest evaluation per framework. --format json prints one object a line.\n"
     "\n"
     "--trend shows the evaluated complete snapshots only, one column per framework with its\n"
     "unsuppressed FAIL findings and the change from the row above (\"7 (+2)\"); --last N keeps\n"
     "the newest N rows. With --format json each row is {\"snapshot\", \"time\", \"fail\",\n"
     "\"frameworks\"}. Reading never waits for a running scan.\n",
     pp_cmd_history},
    {"rules", "check policy packs, run their test cases, list their rules",
     "parapet rules lint [--env NAME] [--suppressions FILE] [DIR ...]\n"
     "parapet rules test [--env NAME] [DIR ...]\n"
     "parapet rules list [--env NAME] [--format text|json] [DIR ...]\n"
     "\n"
     "DIR is a pack (a folder with pack.yaml) or a folder of packs; the default is the shipped\n"
     "packs: the folders of PARAPET_POLICIES (':'-separated), else the source tree's policies/,\n"
     "else the installed share/parapet/policies.\n"
     "\n"
     "lint loads and compiles every rule, overlay and test file and prints each problem as\n"
     "file:line:col: message; it also wants one PASS and one FAIL test case per automated rule.\n"
     "Exit 2 on any problem, else 0 with a count. test runs every case, prints the failures and\n"
     "ends with \"N passed, N failed\"; exit 1 when a case fails (PARAPET_NOW pins the time).\n"
     "list prints id, severity, kind, resource type, remediation action and frameworks.\n",
     pp_cmd_rules},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

const pp_cmd *pp_cli_find(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void print_usage(FILE *f)
{
    fprintf(f, "usage: parapet COMMAND [OPTIONS]\n\n"
               "A security and compliance auditor for AWS.\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n`parapet help COMMAND` describes a command; `parapet --version` prints the "
               "version.\nEvery command takes --log-level error|warn|info|debug|trace, "
               "--log-format text|json\nand --debug (logs go to stderr; PARAPET_LOG sets the "
               "level too). `man parapet` has it all.\n");
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 3) {
        print_usage(stdout);
        return PP_EXIT_OK;
    }
    const pp_cmd *c = pp_cli_find(argv[2]);
    if (!c)
        return pp_cli_usage_error("help: unknown command '%s'", argv[2]);
    fputs(c->usage, stdout);
    return PP_EXIT_OK;
}

void pp_cli_bulk_allocs(void)
{
#if defined(__GLIBC__)
    mallopt(M_MXFAST, 0);
#endif
}

/* ---- errors ---------------------------------------------------------------------------------- */

static void vprint_error(const char *fmt, va_list ap) PP_PRINTF(1, 0);
static void vprint_error(const char *fmt, va_list ap)
{
    char line[2048];
    vsnprintf(line, sizeof(line), fmt, ap);
    char *clean = pp_redact(line);
    /* one line: newlines from AWS messages would split it */
    for (char *p = clean; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fprintf(stderr, "parapet: %s\n", clean);
    free(clean);
}

void pp_cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint_error(fmt, ap);
    va_end(ap);
}

int pp_cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint_error(fmt, ap);
    va_end(ap);
    return PP_EXIT_USAGE;
}

int pp_cli_fail(int rc, const char *what)
{
    pp_cli_error("%s: %s", what, pp_err_msg());
    switch (rc) {
    case PP_EINVAL:
        return PP_EXIT_USAGE;
    case PP_ELOCKED:
        return PP_EXIT_LOCKED;
    case PP_EAWS:
        return PP_EXIT_INCOMPLETE;
    default:
        return PP_EXIT_USAGE;
    }
}

/* ---- logging --------------------------------------------------------------------------------- */

static enum pp_log_level log_level = PP_LOG_WARN;
static bool log_json;

static const char *level_name(enum pp_log_level l)
{
    static const char *const names[] = {"error", "warn", "info", "debug", "trace"};
    return names[l];
}

static void stderr_sink(enum pp_log_level level, const char *component, const char *msg, void *ud)
{
    (void)ud;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    char ts[32];
    pp_time_format(tv.tv_sec, ts);
    if (log_json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "time", ts, "level", level_name(level),
                              "component", component, "msg", msg);
        char *s = json_dumps(o, JSON_COMPACT);
        fprintf(stderr, "%s\n", s ? s : "{}");
        free(s);
        json_decref(o);
    } else {
        fprintf(stderr, "%s %-5s %s: %s\n", ts, level_name(level), component, msg);
    }
}

bool pp_cli_log_option(int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char *val = NULL;
    bool is_level = false, is_format = false;
    if (strcmp(a, "--log-level") == 0 || strcmp(a, "--log-format") == 0) {
        if (*i + 1 >= argc) {
            pp_cli_usage_error("%s needs a value", a);
            exit(PP_EXIT_USAGE);
        }
        val = argv[++*i];
        is_level = a[6] == 'l';
        is_format = !is_level;
    } else if (pp_str_startswith(a, "--log-level=")) {
        val = a + 12;
        is_level = true;
    } else if (pp_str_startswith(a, "--log-format=")) {
        val = a + 13;
        is_format = true;
    } else if (strcmp(a, "--debug") == 0) {
        log_level = PP_LOG_DEBUG;
        return true;
    } else {
        return false;
    }
    if (is_level) {
        static const char *const names[] = {"error", "warn", "info", "debug", "trace"};
        for (int l = 0; l <= PP_LOG_TRACE; l++)
            if (strcmp(val, names[l]) == 0) {
                log_level = (enum pp_log_level)l;
                return true;
            }
        pp_cli_usage_error("--log-level: '%s' is not one of error, warn, info, debug, trace", val);
        exit(PP_EXIT_USAGE);
    }
    if (is_format) {
        if (strcmp(val, "json") == 0)
            log_json = true;
        else if (strcmp(val, "text") == 0)
            log_json = false;
        else {
            pp_cli_usage_error("--log-format: '%s' is not text or json", val);
            exit(PP_EXIT_USAGE);
        }
    }
    return true;
}

void pp_cli_log_init(void)
{
    pp_log_set_sink(stderr_sink, NULL, log_level);
}

int main(int argc, char **argv)
{
    pp_json_arena_install(); /* before any thread or jansson value exists: see core/jarena.c */
    const char *env_level = getenv("PARAPET_LOG");
    if (env_level) {
        static const char *const names[] = {"error", "warn", "info", "debug", "trace"};
        for (int l = 0; l <= PP_LOG_TRACE; l++)
            if (strcmp(env_level, names[l]) == 0)
                log_level = (enum pp_log_level)l;
    }
    pp_cli_log_init();
    if (argc < 2) {
        print_usage(stderr);
        return PP_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("parapet %s\n", PP_VERSION);
        return PP_EXIT_OK;
    }
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        print_usage(stdout);
        return PP_EXIT_OK;
    }
    if (strcmp(name, "help") == 0)
        return cmd_help(argc, argv);
    const pp_cmd *c = pp_cli_find(name);
    if (!c) {
        pp_cli_usage_error("unknown command '%s' (see `parapet --help`)", name);
        return PP_EXIT_USAGE;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    xmlInitParser();
    int rc = c->run(argc - 1, argv + 1);
    xmlCleanupParser();
    curl_global_cleanup();
    return rc;
}
