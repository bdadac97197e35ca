/* rules: the YAML loader, the compiler's diagnostics (exact text), every operator and construct,
 * the subtle CIS cases (protocol -1, port ranges, UDP 22, ::/0, egress, NACL shadowing, IAM
 * wildcards, NotAction, Deny, s3:* vs *:*), ERROR and UNKNOWN propagation, existence rules, joins,
 * suppressions, environment overlays and the rule test runner. */
#include "pp_rules.h"
#include "pp_test.h"
#include "rules_int.h"

#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOW 1717200000 /* 2024-06-01T00:00:00Z */

/* ---- helpers ----------------------------------------------------------------------------------
 */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(p);
}

static void rm_rf(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *mk_tmp(void)
{
    char t[] = "/tmp/pp-rules-XXXXXX";
    return pp_xstrdup(mkdtemp(t));
}

static void put(const char *dir, const char *name, const char *text)
{
    char *path = pp_xasprintf("%s/%s", dir, name);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    char *cmd = NULL;
    mkdir(path, 0700); /* one level of sub-folder is all the tests need */
    *slash = '/';
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    free(cmd);
    free(path);
}

/* A rule with the usual boilerplate; body lines are indented by two spaces. */
static char *rule(const char *id, const char *type, const char *body)
{
    return pp_xasprintf("- id: %s\n  title: title of %s\n  description: why %s matters\n"
                        "  severity: high\n  resource: %s\n%s",
                        id, id, id, type, body);
}

/* Loads a one-pack ruleset from text; on failure the diagnostics (paths without the temporary
 * folder) go to *diags_out when given, else to stderr and a failed check. */
static pp_ruleset *load_opts(const char *rules_yaml, const char *extra_name, const char *extra,
                             const char *env, const char *const *actions, bool tests,
                             char **diags_out)
{
    char *dir = mk_tmp();
    put(dir, "pack.yaml", "name: t\nversion: 1.0.0\nparams: { pack_param: 5 }\n");
    put(dir, "rules.yaml", rules_yaml);
    if (extra_name)
        put(dir, extra_name, extra);
    const char *dirs[] = {dir, NULL};
    char *envpath = NULL;
    if (env && strchr(env, '/'))
        env = envpath = pp_xasprintf("%s/%s", dir, env);
    pp_rules_options o = {.dirs = dirs, .env = env, .actions = actions, .check_tests = tests};
    pp_buf diags;
    pp_buf_init(&diags, 0);
    pp_ruleset *rs = NULL;
    int rc = pp_rules_load(&rs, &o, &diags);
    /* strip the temporary folder from the paths so the text is stable */
    pp_buf clean;
    pp_buf_init(&clean, 0);
    const char *p = pp_buf_cstr(&diags);
    size_t dl = strlen(dir);
    while (*p) {
        if (strncmp(p, dir, dl) == 0 && p[dl] == '/') {
            p += dl + 1;
            continue;
        }
        pp_buf_putc(&clean, *p++);
    }
    if (diags_out) {
        *diags_out = pp_buf_steal(&clean);
    } else if (rc) {
        fprintf(stderr, "load failed:\n%s", pp_buf_cstr(&clean));
        CHECK(rc == 0);
    }
    CHECK((rc == 0) == (rs != NULL));
    pp_buf_free(&clean);
    pp_buf_free(&diags);
    rm_rf(dir);
    free(dir);
    free(envpath);
    return rs;
}

static pp_ruleset *load(const char *rules_yaml)
{
    return load_opts(rules_yaml, NULL, NULL, NULL, NULL, false, NULL);
}

static char *lint(const char *rules_yaml)
{
    char *d = NULL;
    pp_ruleset *rs = load_opts(rules_yaml, NULL, NULL, NULL, NULL, false, &d);
    pp_ruleset_free(rs);
    return d;
}

/* An inventory from JSON written with single quotes: a list of resources {type, id, doc, ...}
 * (account and region default to 111122223333 and us-east-1, "global" for global types), plus
 * {coverage: {...}} records and {scope: [account, region]} entries. */
static pp_inventory *inv_of(enum pp_source_kind kind, const char *sq)
{
    char *s = pp_xstrdup(sq);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t je;
    json_t *a = json_loads(s, 0, &je);
    if (!a)
        fprintf(stderr, "bad test JSON: %s at %d: %s\n", je.text, je.position, s);
    CHECK(a != NULL);
    free(s);
    pp_inventory *inv = pp_inventory_new(kind);
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e)
    {
        json_t *cov = json_object_get(e, "coverage");
        if (cov) {
            pp_coverage c = {0};
            c.account = (char *)json_string_value(json_object_get(cov, "account"));
            c.region = (char *)json_string_value(json_object_get(cov, "region"));
            c.service = (char *)json_string_value(json_object_get(cov, "service"));
            c.operation = (char *)json_string_value(json_object_get(cov, "operation"));
            c.error = (char *)json_string_value(json_object_get(cov, "error"));
            c.types = (char *)json_string_value(json_object_get(cov, "types"));
            c.per_resource = json_is_true(json_object_get(cov, "per_resource"));
            c.ok = json_is_true(json_object_get(cov, "ok"));
            if (!c.account)
                c.account = "111122223333";
            pp_inventory_add_coverage(inv, &c);
            continue;
        }
        json_t *scope = json_object_get(e, "scope");
        if (scope) {
            pp_inventory_add_scope(inv, json_string_value(json_array_get(scope, 0)),
                                   json_string_value(json_array_get(scope, 1)));
            continue;
        }
        const char *type = json_string_value(json_object_get(e, "type"));
        const pp_type *t = pp_type_find(type);
        CHECK(t != NULL);
        json_t *acct = json_object_get(e, "account"), *reg = json_object_get(e, "region");
        const char *account = acct ? json_string_value(acct) : "111122223333";
        const char *region = reg ? json_string_value(reg) : t && t->global ? "global" : "us-east-1";
        json_t *doc = json_object_get(e, "doc");
        pp_resource *r = pp_resource_new(type, json_string_value(json_object_get(e, "id")),
                                         json_string_value(json_object_get(e, "arn")), account,
                                         region, doc ? doc : NULL);
        if (json_object_get(e, "errors"))
            r->errors = json_incref(json_object_get(e, "errors"));
        if (json_object_get(e, "unknown"))
            r->unknown = json_incref(json_object_get(e, "unknown"));
        r->address = pp_xstrdup(json_string_value(json_object_get(e, "address")));
        pp_inventory_add(inv, r);
    }
    json_decref(a);
    return inv;
}

static pp_inventory *inv(const char *sq)
{
    return inv_of(PP_SOURCE_AWS, sq);
}

static const pp_finding *find(const pp_results *r, const char *rule_id, const char *res_id)
{
    for (size_t i = 0; r && i < r->n_findings; i++)
        if (strcmp(r->findings[i].rule->id, rule_id) == 0 &&
            pp_str_eq(r->findings[i].res_id, res_id))
            return &r->findings[i];
    return NULL;
}

static size_t count_for(const pp_results *r, const char *rule_id)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_findings; i++)
        n += strcmp(r->findings[i].rule->id, rule_id) == 0;
    return n;
}

/* The status of one finding after a fresh evaluation ("none" when there is none). */
static const char *st(const pp_ruleset *rs, const pp_inventory *iv, const char *rule_id,
                      const char *res_id)
{
    static char out[64];
    pp_results *r = NULL;
    CHECK(pp_rules_eval(rs, iv, NOW, &r) == 0);
    const pp_finding *f = find(r, rule_id, res_id);
    snprintf(out, sizeof(out), "%s", f ? pp_status_name(f->status) : "none");
    pp_results_free(r);
    return out;
}

static char *msg_of(const pp_ruleset *rs, const pp_inventory *iv, const char *rule_id,
                    const char *res_id)
{
    pp_results *r = NULL;
    pp_rules_eval(rs, iv, NOW, &r);
    const pp_finding *f = find(r, rule_id, res_id);
    char *m = pp_xstrdup(f && f->message ? f->message : "(none)");
    pp_results_free(r);
    return m;
}

/* ---- YAML loader ------------------------------------------------------------------------------
 */

static char *yaml_diag(const char *text)
{
    pp_buf b;
    pp_buf_init(&b, 0);
    pp_diags d = {.out = &b};
    pp_yfile *f = NULL;
    int rc = pp_yaml_parse("f.yaml", text, strlen(text), &f, &d);
    CHECK((rc == 0) == (f != NULL));
    pp_yfile_free(f);
    return pp_buf_steal(&b);
}

static void yaml_positions(void)
{
    pp_diags d = {0};
    pp_yfile *f = NULL;
    const char *text = "a: 1\nb:\n  - x\n  - 'y'\n---\nc: [1, 2]\n";
    CHECK_INT(pp_yaml_parse("f.yaml", text, strlen(text), &f, &d), 0);
    CHECK_INT(f->n_docs, 2);
    const pp_ynode *b = pp_ymap_get(f->docs[0], "b");
    CHECK(b && b->kind == PP_Y_SEQ);
    CHECK_INT(b->kids[0]->line, 3);
    CHECK_INT(b->kids[0]->col, 5);
    CHECK(b->kids[0]->plain);
    CHECK(!b->kids[1]->plain);
    CHECK_INT(f->docs[0]->kids[2]->line, 2); /* the key b */
    CHECK_INT(f->docs[0]->kids[2]->col, 1);
    json_t *j = pp_yaml_json(f->docs[1], &d);
    char *s = json_dumps(j, JSON_COMPACT);
    CHECK_STR(s, "{\"c\":[1,2]}");
    free(s);
    json_decref(j);
    /* typing: plain scalars by YAML 1.2 core rules, quoted ones stay strings */
    pp_yfile *g = NULL;
    const char *t2 = "[~, true, False, 12, -3, 0x1f, 1.5, '22', \"-1\", 2.5, abc, '']\n";
    CHECK_INT(pp_yaml_parse("g.yaml", t2, strlen(t2), &g, &d), 0);
    j = pp_yaml_json(g->docs[0], &d);
    s = json_dumps(j, JSON_COMPACT);
    CHECK_STR(s, "[null,true,false,12,-3,31,1.5,\"22\",\"-1\",2.5,\"abc\",\"\"]");
    free(s);
    json_decref(j);
    pp_yfile_free(g);
    pp_yfile_free(f);
    CHECK_INT(d.n, 0);
}

static void yaml_errors(void)
{
    char *m = yaml_diag("a: [1, 2\nb: 3\n");
    CHECK_STR(m, "f.yaml:2:2: YAML syntax error: did not find expected ',' or ']' while parsing "
                 "a flow sequence\n");
    free(m);
    m = yaml_diag("a: 1\nb: 2\na: 3\n");
    CHECK_STR(m, "f.yaml:3:1: duplicate key 'a' (first at line 1)\n");
    free(m);
    m = yaml_diag("a: *nope\n");
    CHECK_STR(m, "f.yaml:1:4: unknown alias 'nope'\n");
    free(m);
    m = yaml_diag("a: &x [1, *x]\n");
    CHECK_STR(m, "f.yaml:1:11: recursive alias 'x'\n");
    free(m);
    m = yaml_diag("base: &b {x: 1}\nother:\n  <<: *b\n");
    CHECK_STR(m, "f.yaml:3:3: merge keys (<<) are not supported\n");
    free(m);
    m = yaml_diag("x: !Ref y\n");
    CHECK_STR(m, "f.yaml:1:4: unsupported tag '!Ref'\n");
    free(m);
    m = yaml_diag("a: { path: IpRanges[].CidrIp, op: eq }\n");
    CHECK_STR(m, "f.yaml:1:20: YAML syntax error: did not find expected ',' or '}' while parsing "
                 "a flow mapping (inside { } or [ ], quote paths that contain [])\n");
    free(m);

    /* billion laughs: nine levels of ten aliases each */
    pp_buf b;
    pp_buf_init(&b, 0);
    pp_buf_puts(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 9; i++) {
        pp_buf_printf(&b, "a%d: &a%d [", i, i);
        for (int k = 0; k < 10; k++)
            pp_buf_printf(&b, "%s*a%d", k ? ", " : "", i - 1);
        pp_buf_puts(&b, "]\n");
    }
    m = yaml_diag(pp_buf_cstr(&b));
    CHECK(strstr(m, "document too large: more than 1000000 nodes with aliases expanded") != NULL);
    free(m);
    pp_buf_free(&b);

    /* deep nesting */
    pp_buf_init(&b, 0);
    for (int i = 0; i < 70; i++)
        pp_buf_putc(&b, '[');
    for (int i = 0; i < 70; i++)
        pp_buf_putc(&b, ']');
    m = yaml_diag(pp_buf_cstr(&b));
    CHECK_STR(m, "f.yaml:1:65: nesting deeper than 64 levels\n");
    free(m);
    pp_buf_free(&b);

    /* too many aliases */
    pp_buf_init(&b, 0);
    pp_buf_puts(&b, "a: &a 1\nb: [");
    for (int i = 0; i < 1001; i++)
        pp_buf_printf(&b, "%s*a", i ? "," : "");
    pp_buf_puts(&b, "]\n");
    m = yaml_diag(pp_buf_cstr(&b));
    CHECK(strstr(m, "more than 1000 aliases") != NULL);
    free(m);
    pp_buf_free(&b);

    /* huge input */
    size_t big = PP_YAML_MAX_BYTES + 1;
    char *huge = pp_xmalloc(big + 1);
    memset(huge, '#', big);
    huge[big] = '\0';
    pp_buf_init(&b, 0);
    pp_diags d = {.out = &b};
    pp_yfile *f = NULL;
    CHECK_INT(pp_yaml_parse("h.yaml", huge, big, &f, &d), PP_EINVAL);
    CHECK_STR(pp_buf_cstr(&b), "h.yaml: file larger than 8388608 bytes\n");
    pp_buf_free(&b);
    free(huge);
}

/* ---- load-time diagnostics, exact text ------------------------------------------------------ */

static void lint_golden(void)
{
    pp_buf y;
    pp_buf_init(&y, 0);
    char *r;
    r = rule("A-1", "AWS::EC2::SecurityGroup",
             "  assert:\n"
             "    none:\n"
             "      path: IpPermisions[]\n"
             "      match: { path: FromPort, op: eq, value: 22 }\n");
    pp_buf_puts(&y, r);
    free(r);
    pp_buf_puts(&y, "- id: A-2\n  title: t\n  description: d\n  severity: urgent\n"
                    "  resource: AWS::EC2::Nope\n  colour: red\n"
                    "  assert: { path: GroupName, op: eq, value: x }\n");
    r = rule("A-3", "AWS::EC2::SecurityGroup",
             "  assert: { path: GroupName, op: matches, value: x }\n");
    pp_buf_puts(&y, r);
    free(r);
    r = rule("A-4", "AWS::EC2::SecurityGroup",
             "  assert: { path: GroupName, op: regex, value: 'a(b' }\n");
    pp_buf_puts(&y, r);
    free(r);
    r = rule("A-5", "AWS::EC2::SecurityGroup",
             "  assert: { path: GroupName, op: eq, value: '{{ params.nope }}' }\n");
    pp_buf_puts(&y, r);
    free(r);
    r = rule("A-6", "AWS::EC2::SecurityGroup",
             "  assert:\n"
             "    any:\n"
             "      path: IpPermissions[]\n"
             "      match: { path: 'IpRange[].CidrIp', op: eq, value: 0.0.0.0/0 }\n");
    pp_buf_puts(&y, r);
    free(r);
    r = rule("A-7", "AWS::EC2::VPC",
             "  assert:\n"
             "    any:\n"
             "      join: { type: AWS::EC2::FlowLog, on: ResourceIdd, equals: VpcId }\n");
    pp_buf_puts(&y, r);
    free(r);
    r = rule("A-8", "AWS::EC2::SecurityGroup",
             "  assert: { path: GroupName, op: lt, value: abc }\n"
             "  remediation: { action: paint-it-red }\n");
    pp_buf_puts(&y, r);
    free(r);
    r = rule("A-1", "AWS::EC2::SecurityGroup",
             "  assert: { path: 'IpPermissions[0].FromPort', op: eq, value: 22 }\n");
    pp_buf_puts(&y, r);
    free(r);
    r = rule("A-9", "AWS::EC2::SecurityGroup", "  assert: { path: GroupName, op: eq, value: x }\n");
    pp_buf_puts(&y, r);
    free(r);
    const char *actions[] = {"revoke-ingress", NULL};
    char *d = NULL;
    pp_ruleset *rs = load_opts(pp_buf_cstr(&y), NULL, NULL, NULL, actions, false, &d);
    CHECK(rs == NULL);
    CHECK_STR(d,
              "rules.yaml:8:13: path 'IpPermisions[]' is not declared for "
              "AWS::EC2::SecurityGroup\n"
              "rules.yaml:15:3: unknown key 'colour' in a rule\n"
              "rules.yaml:13:13: 'urgent' is not a severity (critical, high, medium, low, info)\n"
              "rules.yaml:14:13: unknown resource type 'AWS::EC2::Nope'\n"
              "rules.yaml:22:34: unknown operator 'matches' (eq ne lt le gt ge in not_in "
              "contains regex glob present absent empty cidr_contains cidr_within "
              "cidr_overlaps open_to_world)\n"
              "rules.yaml:28:48: invalid regex 'a(b': missing closing parenthesis at offset "
              "3\n"
              "rules.yaml:34:45: unknown parameter 'nope'\n"
              "rules.yaml:43:22: path 'IpRange[].CidrIp' (IpPermissions[].IpRange[].CidrIp) "
              "is not declared for AWS::EC2::SecurityGroup\n"
              "rules.yaml:51:44: path 'ResourceIdd' is not declared for AWS::EC2::FlowLog\n"
              "rules.yaml:57:45: 'lt' needs a number, not a string\n"
              "rules.yaml:58:26: unknown remediation action 'paint-it-red'\n"
              "rules.yaml:59:7: duplicate rule id 'A-1' (first at rules.yaml:1:3)\n");
    free(d);
    pp_buf_free(&y);

    /* missing keys, structure errors */
    d = lint("- id: B-1\n  severity: low\n  resource: AWS::EC2::VPC\n"
             "  assert: { path: VpcId, op: present, value: x }\n"
             "- id: B-2\n  title: t\n  description: d\n  severity: low\n"
             "  resource: AWS::EC2::VPC\n  manual: true\n  assert: { path: VpcId, op: present }\n"
             "- id: B-3\n  title: t\n  description: d\n  severity: low\n"
             "  resource: AWS::EC2::VPC\n"
             "  assert: { path: VpcId, op: present, any: [] }\n"
             "- id: B-4\n  title: t\n  description: d\n  severity: low\n"
             "  resource: AWS::IAM::User\n  exists: region\n"
             "  assert: { path: UserName, op: present }\n"
             "- id: B-5\n  title: t\n  description: d\n  severity: low\n"
             "  resource: AWS::EC2::VPC\n"
             "  assert: { path: 'CidrBlockAssociationSet[].CidrBlock', op: eq, value: x }\n");
    CHECK_STR(d, "rules.yaml:1:3: rule needs 'title'\n"
                 "rules.yaml:1:3: rule needs 'description'\n"
                 "rules.yaml:4:46: 'present' takes no value\n"
                 "rules.yaml:5:3: a rule has exactly one of assert, manual (MANUAL) or error "
                 "(ERROR with a reason)\n"
                 "rules.yaml:17:13: 'path' cannot sit beside 'any': one construct per mapping "
                 "(wrap them in all: [...])\n"
                 "rules.yaml:23:11: AWS::IAM::User is global: its existence is per account\n"
                 "rules.yaml:30:19: path 'CidrBlockAssociationSet[].CidrBlock' yields several "
                 "values: use any, all, none or count over it\n");
    free(d);
}

static void lint_tests_required(void)
{
    char *r = rule("T-1", "AWS::EC2::VPC", "  assert: { path: State, op: eq, value: available }\n");
    char *r2 = rule("T-2", "AWS::EC2::VPC", "  manual: true\n");
    char *both = pp_xasprintf("%s%s", r, r2);
    const char *tests = "rule: T-1\ncases:\n  - name: only a pass\n    resources:\n"
                        "      - { id: vpc-1, doc: { State: available } }\n"
                        "    expect: { vpc-1: PASS }\n";
    char *d = NULL;
    pp_ruleset *rs = load_opts(both, "rules.test.yaml", tests, NULL, NULL, true, &d);
    CHECK(rs == NULL);
    CHECK_STR(d, "rules.yaml:1:7: rule 'T-1' has no test case expecting FAIL\n");
    free(d);
    pp_ruleset_free(rs);
    /* without check_tests the same pack loads */
    rs = load_opts(both, "rules.test.yaml", tests, NULL, NULL, false, NULL);
    CHECK(rs != NULL);
    pp_ruleset_free(rs);
    /* a test file naming a rule that does not exist */
    d = NULL;
    rs = load_opts(both, "tests/x.yaml",
                   "rule: NOPE\ncases:\n  - resources: []\n    expect: { a: PASS }\n", NULL, NULL,
                   true, &d);
    CHECK(rs == NULL);
    CHECK(strstr(d, "tests/x.yaml:1:7: no rule 'NOPE' in the loaded packs\n") != NULL);
    free(d);
    free(r);
    free(r2);
    free(both);
}

/* ---- operators ---------------------------------------------------------------------------- */

static void operators(void)
{
    pp_buf y;
    pp_buf_init(&y, 0);
    static const struct {
        const char *id, *type, *assert;
    } rules[] = {
        {"EQ", "AWS::EC2::SecurityGroup", "{ path: GroupName, op: eq, value: web }"},
        {"EQI", "AWS::EC2::SecurityGroup",
         "{ path: GroupName, op: eq, value: WEB, ignore_case: true }"},
        {"NE", "AWS::EC2::SecurityGroup", "{ path: GroupName, op: ne, value: web }"},
        {"LT", "AWS::EC2::SecurityGroup",
         "{ path: 'IpPermissions[0].FromPort', op: lt, value: 1024 }"},
        {"GE", "AWS::EC2::SecurityGroup",
         "{ path: 'IpPermissions[0].FromPort', op: ge, value: 22 }"},
        {"IN", "AWS::EC2::SecurityGroup", "{ path: GroupName, op: in, value: [web, db] }"},
        {"NOTIN", "AWS::EC2::SecurityGroup", "{ path: GroupName, op: not_in, value: [web, db] }"},
        {"CONTAINS", "AWS::EC2::SecurityGroup", "{ path: Description, op: contains, value: prod }"},
        {"CONTAINSL", "AWS::IAM::User", "{ path: GroupList, op: contains, value: Admins }"},
        {"REGEX", "AWS::EC2::SecurityGroup",
         "{ path: GroupName, op: regex, value: '^web-[0-9]+$' }"},
        {"REGEXI", "AWS::EC2::SecurityGroup",
         "{ path: GroupName, op: regex, value: '^WEB', ignore_case: true }"},
        {"GLOB", "AWS::EC2::SecurityGroup", "{ path: GroupName, op: glob, value: 'web-*' }"},
        {"PRESENT", "AWS::EC2::SecurityGroup", "{ path: VpcId, op: present }"},
        {"ABSENT", "AWS::EC2::SecurityGroup", "{ path: Description, op: absent }"},
        {"EMPTY", "AWS::EC2::SecurityGroup", "{ path: Tags, op: empty }"},
        {"WITHIN", "AWS::EC2::SecurityGroup",
         "{ path: 'IpPermissions[0].IpRanges[0].CidrIp', op: cidr_within, value: [10.0.0.0/8, "
         "192.168.0.0/16] }"},
        {"CONTAINSC", "AWS::EC2::SecurityGroup",
         "{ path: 'IpPermissions[0].IpRanges[0].CidrIp', op: cidr_contains, value: 10.1.2.3 }"},
        {"OVERLAPS", "AWS::EC2::SecurityGroup",
         "{ path: 'IpPermissions[0].IpRanges[0].CidrIp', op: cidr_overlaps, value: 10.1.2.0/24 }"},
        {"WORLD6", "AWS::EC2::SecurityGroup",
         "{ path: 'IpPermissions[0].Ipv6Ranges[0].CidrIpv6', op: open_to_world }"},
        {"AGE", "AWS::IAM::User", "{ age_days: CreateDate, op: le, value: 90 }"},
        {"LEN", "AWS::EC2::SecurityGroup", "{ length: Tags, op: ge, value: 2 }"},
        {"DEFAULT", "AWS::EC2::SecurityGroup",
         "{ path: Description, op: eq, value: none, default: none }"},
        {"VPATH", "AWS::EC2::SecurityGroup", "{ path: GroupId, op: eq, value_path: GroupName }"},
        {"PARAM", "AWS::EC2::SecurityGroup",
         "{ path: 'IpPermissions[0].FromPort', op: eq, value: { param: pack_param } }"},
    };
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        char *body = pp_xasprintf("  assert: %s\n", rules[i].assert);
        char *r = rule(rules[i].id, rules[i].type, body);
        pp_buf_puts(&y, r);
        free(r);
        free(body);
    }
    pp_ruleset *rs = load(pp_buf_cstr(&y));
    pp_buf_free(&y);
    if (!rs)
        return;
    pp_inventory *iv = inv(
        "[{'type': 'AWS::EC2::SecurityGroup', 'id': 'a', 'doc': {'GroupName': 'web', 'GroupId': "
        "'web', 'VpcId': 'vpc-1', 'Description': 'prod web', 'Tags': [{'Key': 'k', 'Value': 'v'},"
        " {'Key': 'k2', 'Value': 'v'}], 'IpPermissions': [{'IpProtocol': 'tcp', 'FromPort': 5, "
        "'ToPort': 5, 'IpRanges': [{'CidrIp': '10.1.0.0/16'}], 'Ipv6Ranges': [{'CidrIpv6': "
        "'::/0'}]}]}},"
        " {'type': 'AWS::EC2::SecurityGroup', 'id': 'b', 'doc': {'GroupName': 'web-12', "
        "'GroupId': 'sg-b', 'Tags': [], 'IpPermissions': [{'IpProtocol': 'tcp', 'FromPort': 2000,"
        " 'ToPort': 2000, 'IpRanges': [{'CidrIp': '172.16.0.0/12'}], 'Ipv6Ranges': [{'CidrIpv6': "
        "'2001:db8::/32'}]}]}},"
        " {'type': 'AWS::EC2::SecurityGroup', 'id': 'c', 'doc': {'GroupName': 7, 'GroupId': 7, "
        "'VpcId': null, 'Description': 'x', 'Tags': {'not': 'a list'}, 'IpPermissions': "
        "[{'IpProtocol': 'tcp', 'FromPort': 'low', 'IpRanges': [{'CidrIp': 'not-a-cidr'}], "
        "'Ipv6Ranges': [{'CidrIpv6': 'nope'}]}]}},"
        " {'type': 'AWS::IAM::User', 'id': 'u1', 'doc': {'CreateDate': '2024-05-01T10:00:00Z', "
        "'GroupList': ['Admins', 'Dev']}},"
        " {'type': 'AWS::IAM::User', 'id': 'u2', 'doc': {'CreateDate': 1600000000, 'GroupList': "
        "['Dev']}},"
        " {'type': 'AWS::IAM::User', 'id': 'u3', 'doc': {'CreateDate': 'N/A', 'GroupList': 'x'}}]");
    static const struct {
        const char *rule, *a, *b, *c;
    } want[] = {
        {"EQ", "PASS", "FAIL", "ERROR"},       {"EQI", "PASS", "FAIL", "ERROR"},
        {"NE", "FAIL", "PASS", "ERROR"},       {"LT", "PASS", "FAIL", "ERROR"},
        {"GE", "FAIL", "PASS", "ERROR"},       {"IN", "PASS", "FAIL", "ERROR"},
        {"NOTIN", "FAIL", "PASS", "ERROR"},    {"CONTAINS", "PASS", "ERROR", "FAIL"},
        {"REGEX", "FAIL", "PASS", "ERROR"},    {"REGEXI", "PASS", "PASS", "ERROR"},
        {"GLOB", "FAIL", "PASS", "ERROR"},     {"PRESENT", "PASS", "FAIL", "FAIL"},
        {"ABSENT", "FAIL", "PASS", "FAIL"},    {"EMPTY", "FAIL", "PASS", "FAIL"},
        {"WITHIN", "PASS", "FAIL", "ERROR"},   {"CONTAINSC", "PASS", "FAIL", "ERROR"},
        {"OVERLAPS", "PASS", "FAIL", "ERROR"}, {"WORLD6", "PASS", "FAIL", "ERROR"},
        {"LEN", "PASS", "FAIL", "FAIL"},       {"DEFAULT", "FAIL", "PASS", "FAIL"},
        {"VPATH", "PASS", "FAIL", "PASS"},     {"PARAM", "PASS", "FAIL", "ERROR"},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        pp_test_current = want[i].rule;
        CHECK_STR(st(rs, iv, want[i].rule, "a"), want[i].a);
        CHECK_STR(st(rs, iv, want[i].rule, "b"), want[i].b);
        CHECK_STR(st(rs, iv, want[i].rule, "c"), want[i].c);
    }
    pp_test_current = "operators";
    CHECK_STR(st(rs, iv, "CONTAINSL", "u1"), "PASS");
    CHECK_STR(st(rs, iv, "CONTAINSL", "u2"), "FAIL");
    CHECK_STR(st(rs, iv, "CONTAINSL", "u3"), "FAIL"); /* "x" does not contain "Admins" */
    CHECK_STR(st(rs, iv, "AGE", "u1"), "PASS");       /* 30 days */
    CHECK_STR(st(rs, iv, "AGE", "u2"), "FAIL");       /* epoch seconds, years ago */
    CHECK_STR(st(rs, iv, "AGE", "u3"), "ERROR");      /* N/A is not a timestamp */
    char *m = msg_of(rs, iv, "EQ", "c");
    CHECK_STR(m, "GroupName is a number, the rule expects a string");
    free(m);
    m = msg_of(rs, iv, "EQ", "b");
    CHECK_STR(m, "GroupName is 'web-12', expected eq 'web'");
    free(m);
    m = msg_of(rs, iv, "AGE", "u3");
    CHECK_STR(m, "CreateDate: 'N/A' is not a timestamp");
    free(m);
    m = msg_of(rs, iv, "AGE", "u2");
    CHECK(strstr(m, "age in days of CreateDate is ") == m);
    free(m);
    m = msg_of(rs, iv, "WITHIN", "c");
    CHECK_STR(m, "IpPermissions[0].IpRanges[0].CidrIp: 'not-a-cidr' is not a CIDR");
    free(m);
    pp_inventory_free(iv);
    pp_ruleset_free(rs);
}

/* ---- quantifiers, Kleene logic, evidence ----------------------------------------------------- */

static void quantifiers(void)
{
    pp_buf y;
    pp_buf_init(&y, 0);
    const char *bodies[][2] = {
        {"ANY", "  assert: { any: { path: 'Tags[].Key', op: eq, value: owner } }\n"},
        {"ALL", "  assert: { all: { path: Tags, match: { path: Value, op: ne, value: '' } } }\n"},
        {"NONE",
         "  assert: { none: { path: 'Tags[]', match: { path: Key, op: glob, value: 'tmp*' } } }\n"},
        {"COUNT", "  assert: { count: { path: 'Tags[]', match: { path: Key, op: regex, value: '^k' "
                  "}, op: le, value: 1 } }\n"},
        {"NOT", "  assert: { not: { path: GroupName, op: eq, value: bad } }\n"},
        {"OR", "  assert: { any: [ { path: GroupName, op: eq, value: x }, { path: Description, op: "
               "eq, value: ok } ] }\n"},
        {"AND", "  assert: { all: [ { path: GroupName, op: eq, value: x }, { path: Description, "
                "op: eq, value: ok } ] }\n"},
        {"ROOT", "  assert: { all: { path: 'Tags[]', match: { path: Value, op: eq, value_path: "
                 "$.GroupName } } }\n"},
        {"DEF",
         "  assert: { none: { path: 'IpPermissionsEgress[]', default: [], op: present } }\n"},
        {"NODEF", "  assert: { none: { path: 'IpPermissionsEgress[]', op: present } }\n"},
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        char *r = rule(bodies[i][0], "AWS::EC2::SecurityGroup", bodies[i][1]);
        pp_buf_puts(&y, r);
        free(r);
    }
    pp_ruleset *rs = load(pp_buf_cstr(&y));
    pp_buf_free(&y);
    if (!rs)
        return;
    pp_inventory *iv = inv(
        "[{'type': 'AWS::EC2::SecurityGroup', 'id': 'a', 'doc': {'GroupName': 'x', 'Tags': "
        "[{'Key': 'owner', 'Value': 'x'}, {'Key': 'k2', 'Value': 'x'}]}},"
        " {'type': 'AWS::EC2::SecurityGroup', 'id': 'b', 'doc': {'GroupName': 'bad', "
        "'Description': 'ok', 'Tags': [{'Key': 'tmp1', 'Value': ''}, {'Key': 'k1', 'Value': 'v'},"
        " {'Key': 'k2', 'Value': 'v'}]}},"
        " {'type': 'AWS::EC2::SecurityGroup', 'id': 'c', 'doc': {'GroupName': 'y', 'Tags': "
        "[{'Key': 'owner'}, {'Value': 'v'}]}}]");
    CHECK_STR(st(rs, iv, "ANY", "a"), "PASS");
    CHECK_STR(st(rs, iv, "ANY", "b"), "FAIL");
    /* c: one Key is missing but another matches: any is decided */
    CHECK_STR(st(rs, iv, "ANY", "c"), "PASS");
    CHECK_STR(st(rs, iv, "ALL", "a"), "PASS");
    CHECK_STR(st(rs, iv, "ALL", "b"), "FAIL");
    CHECK_STR(st(rs, iv, "ALL", "c"), "ERROR"); /* a missing Value decides nothing */
    CHECK_STR(st(rs, iv, "NONE", "a"), "PASS");
    CHECK_STR(st(rs, iv, "NONE", "b"), "FAIL");
    CHECK_STR(st(rs, iv, "COUNT", "a"), "PASS");
    CHECK_STR(st(rs, iv, "COUNT", "b"), "FAIL");
    CHECK_STR(st(rs, iv, "NOT", "a"), "PASS");
    CHECK_STR(st(rs, iv, "NOT", "b"), "FAIL");
    CHECK_STR(st(rs, iv, "OR", "a"), "PASS");
    CHECK_STR(st(rs, iv, "OR", "b"), "PASS");
    /* OR on c: GroupName y is not x, Description is missing: undecided, so ERROR */
    CHECK_STR(st(rs, iv, "OR", "c"), "ERROR");
    /* AND on a: GroupName x, Description missing -> ERROR; on b: GroupName bad -> FAIL even
     * though nothing else was read */
    CHECK_STR(st(rs, iv, "AND", "a"), "ERROR");
    CHECK_STR(st(rs, iv, "AND", "b"), "FAIL");
    CHECK_STR(st(rs, iv, "ROOT", "a"), "PASS");
    CHECK_STR(st(rs, iv, "ROOT", "b"), "FAIL");
    CHECK_STR(st(rs, iv, "DEF", "a"), "PASS");
    CHECK_STR(st(rs, iv, "NODEF", "a"), "ERROR");
    char *m = msg_of(rs, iv, "AND", "a");
    CHECK_STR(m, "Description is missing");
    free(m);
    m = msg_of(rs, iv, "ALL", "c");
    CHECK_STR(m, "Tags[0].Value is missing");
    free(m);

    /* evidence: exactly the matching elements, with their concrete paths */
    pp_results *r = NULL;
    pp_rules_eval(rs, iv, NOW, &r);
    const pp_finding *f = find(r, "NONE", "b");
    CHECK(f && f->status == PP_STATUS_FAIL);
    char *ev = f ? json_dumps(f->evidence, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    CHECK_STR(ev, "[{\"message\":\"Tags[0] matches\",\"path\":\"Tags[0]\",\"value\":{\"Key\":"
                  "\"tmp1\",\"Value\":\"\"}}]");
    free(ev);
    CHECK_STR(f ? f->message : NULL, "Tags[0] matches");
    f = find(r, "COUNT", "b");
    ev = f ? json_dumps(f->evidence, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    CHECK_STR(ev, "[{\"matched\":2,\"message\":\"2 of Tags[] match, expected le 1\"},"
                  "{\"message\":\"Tags[1] matches\",\"path\":\"Tags[1]\",\"value\":{\"Key\":"
                  "\"k1\",\"Value\":\"v\"}},{\"message\":\"Tags[2] matches\",\"path\":\"Tags[2]\","
                  "\"value\":{\"Key\":\"k2\",\"Value\":\"v\"}}]");
    free(ev);
    /* PASS keeps no evidence; every evaluated pair has a finding with an id */
    f = find(r, "NONE", "a");
    CHECK(f && f->evidence == NULL && strlen(f->id) == 40);
    CHECK_INT(count_for(r, "NONE"), 3);
    pp_results_free(r);
    pp_inventory_free(iv);

    /* a list that could not be read may hold any number of items: count cannot pass on it
     * (found by the CIS 1.13 test: at most one active key, keys not collected) */
    iv = inv("[{'type': 'AWS::EC2::SecurityGroup', 'id': 'no-tags', 'doc': {'GroupName': 'x'}},"
             " {'type': 'AWS::EC2::SecurityGroup', 'id': 'tags-failed', 'doc': {'GroupName': 'x'},"
             " 'errors': {'Tags': 'DescribeTags: Throttling: slow down'}},"
             " {'type': 'AWS::EC2::SecurityGroup', 'id': 'one-bad-tag', 'doc': {'GroupName': 'x',"
             " 'Tags': [{'Value': 'v'}, {'Key': 'k1'}, {'Key': 'k2'}]}}]");
    CHECK_STR(st(rs, iv, "COUNT", "no-tags"), "ERROR");
    CHECK_STR(st(rs, iv, "COUNT", "tags-failed"), "ERROR");
    /* an item that cannot be judged is still one item: two matches already exceed le 1 */
    CHECK_STR(st(rs, iv, "COUNT", "one-bad-tag"), "FAIL");
    m = msg_of(rs, iv, "COUNT", "no-tags");
    CHECK_STR(m, "Tags is missing");
    free(m);
    pp_inventory_free(iv);
    pp_ruleset_free(rs);
}

/* ---- ports and security groups: the CIS 5.2 / 5.3 subtleties -------------------------------- */

static const char *SG_RULES =
    "- id: SG-22\n  title: t\n  description: d\n  severity: high\n"
    "  resource: AWS::EC2::SecurityGroup\n"
    "  params: { admin_ports: [22, 3389] }\n"
    "  assert:\n"
    "    none:\n"
    "      path: IpPermissions[]\n"
    "      match:\n"
    "        all:\n"
    "          - any:\n"
    "              - any: { path: 'IpRanges[].CidrIp', op: open_to_world }\n"
    "              - any: { path: 'Ipv6Ranges[].CidrIpv6', op: open_to_world, default: [] }\n"
    "          - ports_overlap: { ports: '{{ params.admin_ports }}' }\n"
    "- id: SG-UDP\n  title: t\n  description: d\n  severity: low\n"
    "  resource: AWS::EC2::SecurityGroup\n"
    "  assert: { none: { path: 'IpPermissions[]', ports_overlap: { ports: [53], protocol: udp } } "
    "}\n"
    "- id: SG-RANGE\n  title: t\n  description: d\n  severity: low\n"
    "  resource: AWS::EC2::SecurityGroup\n"
    "  assert: { none: { path: 'IpPermissions[]', ports_overlap: { ports: ['8000-8080'], protocol: "
    "[tcp, udp] } } }\n";

static void ports(void)
{
    pp_ruleset *rs = load(SG_RULES);
    if (!rs)
        return;
    pp_inventory *iv = inv(
        "[{'type': 'AWS::EC2::SecurityGroup', 'id': 'ssh', 'doc': {'IpPermissions': "
        "[{'IpProtocol': 'tcp', 'FromPort': 22, 'ToPort': 22, 'IpRanges': [{'CidrIp': "
        "'0.0.0.0/0'}], 'Ipv6Ranges': []}]}},"
        /* protocol -1: every port */
        " {'type': 'AWS::EC2::SecurityGroup', 'id': 'all', 'doc': {'IpPermissions': "
        "[{'IpProtocol': '-1', 'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}]}},"
        " {'type': 'AWS::EC2::SecurityGroup', 'id': 'all-num', 'doc': {'IpPermissions': "
        "[{'IpProtocol': -1, 'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}]}},"
        /* a range that covers 3389 */
        " {'type': 'AWS::EC2::SecurityGroup', 'id': 'range', 'doc': {'IpPermissions': "
        "[{'IpProtocol': '6', 'FromPort': 3000, 'ToPort': 4000, 'IpRanges': [{'CidrIp': "
        "'0.0.0.0/0'}]}]}},"
        /* a range that covers neither */
        " {'type': 'AWS::EC2::SecurityGroup', 'id': 'range-ok', 'doc': {'IpPermissions': "
        "[{'IpProtocol': 'tcp', 'FromPort': 23, 'ToPort': 3388, 'IpRanges': [{'CidrIp': "
        "'0.0.0.0/0'}]}]}},"
        /* UDP 22 is not SSH */
        " {'type': 'AWS::EC2::SecurityGroup', 'id': 'udp22', 'doc': {'IpPermissions': "
        "[{'IpProtocol': 'udp', 'FromPort': 22, 'ToPort': 22, 'IpRanges': [{'CidrIp': "
        "'0.0.0.0/0'}]}]}},"
        /* IPv6 ::/0 */
        " {'type': 'AWS::EC2::SecurityGroup', 'id': 'v6', 'doc': {'IpPermissions': "
        "[{'IpProtocol': 'tcp', 'FromPort': 3389, 'ToPort': 3389, 'IpRanges': [], 'Ipv6Ranges': "
        "[{'CidrIpv6': '::/0'}]}]}},"
        /* egress open to the world does not matter */
        " {'type': 'AWS::EC2::SecurityGroup', 'id': 'egress', 'doc': {'IpPermissions': [], "
        "'IpPermissionsEgress': [{'IpProtocol': '-1', 'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}]}},"
        /* a private range on 22 */
        " {'type': 'AWS::EC2::SecurityGroup', 'id': 'private', 'doc': {'IpPermissions': "
        "[{'IpProtocol': 'tcp', 'FromPort': 22, 'ToPort': 22, 'IpRanges': [{'CidrIp': "
        "'10.0.0.0/8'}]}]}},"
        /* icmp from anywhere is not a port */
        " {'type': 'AWS::EC2::SecurityGroup', 'id': 'icmp', 'doc': {'IpPermissions': "
        "[{'IpProtocol': 'icmp', 'FromPort': -1, 'ToPort': -1, 'IpRanges': [{'CidrIp': "
        "'0.0.0.0/0'}]}]}},"
        /* a tcp permission without ports is malformed: ERROR, never a silent PASS */
        " {'type': 'AWS::EC2::SecurityGroup', 'id': 'broken', 'doc': {'IpPermissions': "
        "[{'IpProtocol': 'tcp', 'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}]}}]");
    CHECK_STR(st(rs, iv, "SG-22", "ssh"), "FAIL");
    CHECK_STR(st(rs, iv, "SG-22", "all"), "FAIL");
    CHECK_STR(st(rs, iv, "SG-22", "all-num"), "FAIL");
    CHECK_STR(st(rs, iv, "SG-22", "range"), "FAIL");
    CHECK_STR(st(rs, iv, "SG-22", "range-ok"), "PASS");
    CHECK_STR(st(rs, iv, "SG-22", "udp22"), "PASS");
    CHECK_STR(st(rs, iv, "SG-22", "v6"), "FAIL");
    CHECK_STR(st(rs, iv, "SG-22", "egress"), "PASS");
    CHECK_STR(st(rs, iv, "SG-22", "private"), "PASS");
    CHECK_STR(st(rs, iv, "SG-22", "icmp"), "PASS");
    CHECK_STR(st(rs, iv, "SG-22", "broken"), "ERROR");
    CHECK_STR(st(rs, iv, "SG-UDP", "udp22"), "PASS");
    CHECK_STR(st(rs, iv, "SG-UDP", "all"), "FAIL");
    CHECK_STR(st(rs, iv, "SG-UDP", "ssh"), "PASS");
    CHECK_STR(st(rs, iv, "SG-RANGE", "range"), "PASS");
    CHECK_STR(st(rs, iv, "SG-RANGE", "all"), "FAIL");
    char *m = msg_of(rs, iv, "SG-22", "broken");
    CHECK_STR(m, "IpPermissions[0]: FromPort is missing");
    free(m);
    pp_results *r = NULL;
    pp_rules_eval(rs, iv, NOW, &r);
    const pp_finding *f = find(r, "SG-22", "v6");
    char *ev = f ? json_dumps(f->evidence, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    CHECK_STR(ev, "[{\"message\":\"IpPermissions[0] matches\",\"path\":\"IpPermissions[0]\","
                  "\"value\":{\"FromPort\":3389,\"IpProtocol\":\"tcp\",\"IpRanges\":[],"
                  "\"Ipv6Ranges\":[{\"CidrIpv6\":\"::/0\"}],\"ToPort\":3389}}]");
    free(ev);
    pp_results_free(r);
    pp_inventory_free(iv);
    pp_ruleset_free(rs);

    /* protocol names and numbers */
    int p;
    json_t *v = json_string("all");
    CHECK(pp_proto_parse(v, &p) == 0 && p == PP_PROTO_ALL);
    json_decref(v);
    v = json_string("17");
    CHECK(pp_proto_parse(v, &p) == 0 && p == 17);
    json_decref(v);
    v = json_string("gre");
    CHECK_INT(pp_proto_parse(v, &p), PP_EINVAL);
    json_decref(v);
    pp_cidr a, b;
    CHECK_INT(pp_cidr_parse("10.0.0.0/8", &a), 0);
    CHECK_INT(pp_cidr_parse("10.255.1.0/24", &b), 0);
    CHECK(pp_cidr_contains(&a, &b) && !pp_cidr_contains(&b, &a) && pp_cidr_overlaps(&a, &b));
    CHECK_INT(pp_cidr_parse("2001:db8::/32", &a), 0);
    CHECK(!pp_cidr_overlaps(&a, &b));
    CHECK_INT(pp_cidr_parse("10.0.0.0/33", &a), PP_EINVAL);
    CHECK_INT(pp_cidr_parse("10.0.0/8", &a), PP_EINVAL);
}

/* ---- network ACLs: rule-number order ----------------------------------------------------------
 */

static void nacls(void)
{
    pp_ruleset *rs = load("- id: NACL\n  title: t\n  description: d\n  severity: high\n"
                          "  resource: AWS::EC2::NetworkAcl\n"
                          "  assert: { not: { nacl_allows: { ports: [22, 3389] } } }\n"
                          "- id: NACL-ANY\n  title: t\n  description: d\n  severity: high\n"
                          "  resource: AWS::EC2::NetworkAcl\n"
                          "  assert: { not: { nacl_allows: { protocol: any } } }\n"
                          "- id: NACL-OUT\n  title: t\n  description: d\n  severity: high\n"
                          "  resource: AWS::EC2::NetworkAcl\n"
                          "  assert: { not: { nacl_allows: { ports: [443], direction: egress, "
                          "from: [10.0.0.0/8] } } }\n");
    if (!rs)
        return;
    /* {RuleNumber, Protocol, RuleAction, Egress, CidrBlock or Ipv6CidrBlock, PortRange} */
    static const char *const acls[][2] = {
        {"shadowed",
         "[[90, '6', 'deny', false, '0.0.0.0/0', 22, 22], [91, '6', 'deny', false, "
         "'0.0.0.0/0', 3389, 3389], [100, '-1', 'allow', false, '0.0.0.0/0'], [32767, '-1', "
         "'deny', false, '0.0.0.0/0']]"},
        /* the deny only covers 22: 3389 is still open */
        {"partial", "[[90, '6', 'deny', false, '0.0.0.0/0', 22, 22], [100, '6', 'allow', false, "
                    "'0.0.0.0/0', 0, 65535]]"},
        /* the allow comes first: the deny after it changes nothing */
        {"allow-first", "[[100, '6', 'deny', false, '0.0.0.0/0', 22, 22], [50, '6', 'allow', "
                        "false, '0.0.0.0/0', 22, 22]]"},
        {"v6", "[[100, '-1', 'allow', false, '::/0'], [101, '-1', 'deny', false, '0.0.0.0/0']]"},
        /* only egress allows: ingress is closed */
        {"egress-only",
         "[[100, '-1', 'allow', true, '0.0.0.0/0'], [32767, '-1', 'deny', false, '0.0.0.0/0']]"},
        /* a narrower source is not the world */
        {"private", "[[100, '6', 'allow', false, '10.0.0.0/8', 22, 22]]"},
        /* a udp allow does not open ssh */
        {"udp", "[[100, '17', 'allow', false, '0.0.0.0/0', 22, 22]]"},
        {"broken", "[[100, '6', 'allow', false, '0.0.0.0/0']]"},
    };
    pp_buf b;
    pp_buf_init(&b, 0);
    pp_buf_putc(&b, '[');
    for (size_t i = 0; i < sizeof(acls) / sizeof(acls[0]); i++) {
        char *t = pp_xstrdup(acls[i][1]);
        for (char *p = t; *p; p++)
            if (*p == '\'')
                *p = '"';
        json_t *rows = json_loads(t, 0, NULL);
        free(t);
        json_t *entries = json_array();
        size_t k;
        json_t *row;
        json_array_foreach(rows, k, row)
        {
            const char *cidr = json_string_value(json_array_get(row, 4));
            json_t *e = json_pack("{s:O, s:O, s:O, s:O, s:s}", "RuleNumber", json_array_get(row, 0),
                                  "Protocol", json_array_get(row, 1), "RuleAction",
                                  json_array_get(row, 2), "Egress", json_array_get(row, 3),
                                  strchr(cidr, ':') ? "Ipv6CidrBlock" : "CidrBlock", cidr);
            if (json_array_size(row) > 5)
                json_object_set_new(e, "PortRange",
                                    json_pack("{s:O, s:O}", "From", json_array_get(row, 5), "To",
                                              json_array_get(row, 6)));
            json_array_append_new(entries, e);
        }
        json_t *res = json_pack("{s:s, s:s, s:{s:o}}", "type", "AWS::EC2::NetworkAcl", "id",
                                acls[i][0], "doc", "Entries", entries);
        char *dump = json_dumps(res, JSON_COMPACT);
        pp_buf_printf(&b, "%s%s", i ? ", " : "", dump);
        free(dump);
        json_decref(res);
        json_decref(rows);
    }
    pp_buf_putc(&b, ']');
    pp_inventory *iv = inv(pp_buf_cstr(&b));
    pp_buf_free(&b);
    CHECK_STR(st(rs, iv, "NACL", "shadowed"), "PASS");
    CHECK_STR(st(rs, iv, "NACL", "partial"), "FAIL");
    CHECK_STR(st(rs, iv, "NACL", "allow-first"), "FAIL");
    CHECK_STR(st(rs, iv, "NACL", "v6"), "FAIL");
    CHECK_STR(st(rs, iv, "NACL", "egress-only"), "PASS");
    CHECK_STR(st(rs, iv, "NACL", "private"), "PASS");
    CHECK_STR(st(rs, iv, "NACL", "udp"), "PASS");
    CHECK_STR(st(rs, iv, "NACL", "broken"), "ERROR");
    CHECK_STR(st(rs, iv, "NACL-ANY", "udp"), "FAIL");
    CHECK_STR(st(rs, iv, "NACL-ANY", "egress-only"), "PASS");
    CHECK_STR(st(rs, iv, "NACL-OUT", "egress-only"), "FAIL");
    CHECK_STR(st(rs, iv, "NACL-OUT", "shadowed"), "PASS");
    char *m = msg_of(rs, iv, "NACL", "partial");
    CHECK_STR(m, "entry 100 allows tcp 3389 from 0.0.0.0/0 (no lower-numbered deny)");
    free(m);
    m = msg_of(rs, iv, "NACL", "broken");
    CHECK_STR(m, "Entries[0].PortRange is missing for protocol 6");
    free(m);
    pp_results *r = NULL;
    pp_rules_eval(rs, iv, NOW, &r);
    const pp_finding *f = find(r, "NACL", "partial");
    CHECK(f && json_array_size(f->evidence) == 1);
    CHECK_STR(f ? json_string_value(json_object_get(json_array_get(f->evidence, 0), "path")) : NULL,
              "Entries[1]");
    pp_results_free(r);
    pp_inventory_free(iv);
    pp_ruleset_free(rs);
}

/* ---- IAM ----------------------------------------------------------------------------------------
 */

static int allows(const char *doc_sq, const char *action, const char *resource)
{
    char *s = pp_xstrdup(doc_sq);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_t *doc = json_loads(s, 0, NULL);
    char *acts[] = {(char *)action, NULL}, *res[] = {(char *)resource, NULL};
    char err[256];
    int rc = pp_iam_allows(doc, acts, res, NULL, "", err, sizeof(err));
    json_decref(doc);
    free(s);
    return rc;
}

static void iam(void)
{
    CHECK(pp_iam_glob_covers("s3:*", "s3:GetObject", true));
    CHECK(pp_iam_glob_covers("S3:get*", "s3:GetObject", true));
    CHECK(!pp_iam_glob_covers("s3:*", "*:*", true));
    CHECK(pp_iam_glob_covers("*", "*:*", true));
    CHECK(pp_iam_glob_covers("iam:?etUser", "iam:GetUser", true));
    CHECK(!pp_iam_glob_covers("iam:?etUser", "iam:*", true));
    CHECK(pp_iam_glob_overlaps("iam:*", "*:*", true));
    CHECK(pp_iam_glob_overlaps("*Object", "s3:Get*", true));
    CHECK(!pp_iam_glob_overlaps("ec2:*", "s3:*", true));
    CHECK(!pp_iam_glob_covers("arn:aws:s3:::b/*", "*", false));

    const char *admin = "{'Statement': {'Effect': 'Allow', 'Action': '*', 'Resource': '*'}}";
    CHECK_INT(allows(admin, "*", "*"), 1);
    CHECK_INT(allows(admin, "iam:CreateUser", "arn:aws:iam::1:user/x"), 1);
    const char *s3 = "{'Statement': [{'Effect': 'Allow', 'Action': ['s3:*'], 'Resource': '*'}]}";
    CHECK_INT(allows(s3, "*", "*"), 0);
    CHECK_INT(allows(s3, "s3:PutObject", "*"), 1);
    CHECK_INT(allows(s3, "S3:putobject", "arn:aws:s3:::b/k"), 1);
    const char *deny = "{'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}, "
                       "{'Effect': 'Deny', 'Action': 'iam:*', 'Resource': '*'}]}";
    CHECK_INT(allows(deny, "iam:CreateUser", "*"), 0);
    CHECK_INT(allows(deny, "ec2:RunInstances", "*"), 1);
    CHECK_INT(allows(deny, "*", "*"), 0);
    const char *cond = "{'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}, "
                       "{'Effect': 'Deny', 'Action': '*', 'Resource': '*', 'Condition': "
                       "{'Bool': {'aws:MultiFactorAuthPresent': 'false'}}}]}";
    CHECK_INT(allows(cond, "iam:CreateUser", "*"), 1); /* the Deny may not apply */
    const char *notaction = "{'Statement': {'Effect': 'Allow', 'NotAction': ['iam:*', "
                            "'organizations:*'], 'Resource': '*'}}";
    CHECK_INT(allows(notaction, "ec2:RunInstances", "*"), 1);
    CHECK_INT(allows(notaction, "iam:CreateUser", "*"), 0);
    CHECK_INT(allows(notaction, "*", "*"), 0);
    const char *notres = "{'Statement': {'Effect': 'Allow', 'Action': 's3:*', 'NotResource': "
                         "'arn:aws:s3:::secret/*'}}";
    CHECK_INT(allows(notres, "s3:GetObject", "arn:aws:s3:::public/k"), 1);
    CHECK_INT(allows(notres, "s3:GetObject", "arn:aws:s3:::secret/k"), 0);
    CHECK_INT(allows(notres, "s3:GetObject", "*"), 0);
    CHECK_INT(allows("{'Statement': [{'Effect': 'Maybe', 'Action': '*'}]}", "*", "*"), -1);
    CHECK_INT(allows("{'Version': '2012-10-17'}", "*", "*"), -1);

    /* through rules: attached policies with the admin statement, JSON-string documents */
    pp_ruleset *rs =
        load("- id: ADMIN\n  title: t\n  description: d\n  severity: high\n"
             "  resource: AWS::IAM::Policy\n"
             "  where: { path: AttachmentCount, op: gt, value: 0 }\n"
             "  assert: { not: { path: Document, policy_full_admin: true } }\n"
             "- id: PASSROLE\n  title: t\n  description: d\n  severity: high\n"
             "  resource: AWS::IAM::Policy\n"
             "  assert: { not: { path: Document, policy_allows: { action: iam:PassRole } } }\n"
             "- id: TRUST\n  title: t\n  description: d\n  severity: high\n"
             "  resource: AWS::IAM::Role\n"
             "  assert:\n"
             "    all:\n"
             "      path: 'AssumeRolePolicyDocument.Statement[]'\n"
             "      match: { any: { path: 'Principal.Service[]', op: eq, value: "
             "ecs-tasks.amazonaws.com } }\n");
    if (!rs)
        return;
    pp_inventory *iv = inv(
        "[{'type': 'AWS::IAM::Policy', 'id': 'admin', 'doc': {'AttachmentCount': 1, 'Document': "
        "{'Statement': [{'Sid': 'ro', 'Effect': 'Allow', 'Action': 's3:Get*', 'Resource': '*'}, "
        "{'Sid': 'all', 'Effect': 'Allow', 'Action': ['*'], 'Resource': ['*']}]}}},"
        " {'type': 'AWS::IAM::Policy', 'id': 's3all', 'doc': {'AttachmentCount': 2, 'Document': "
        "{'Statement': {'Effect': 'Allow', 'Action': 's3:*', 'Resource': '*'}}}},"
        " {'type': 'AWS::IAM::Policy', 'id': 'unattached', 'doc': {'AttachmentCount': 0, "
        "'Document': {'Statement': {'Effect': 'Allow', 'Action': '*', 'Resource': '*'}}}},"
        " {'type': 'AWS::IAM::Policy', 'id': 'string', 'doc': {'AttachmentCount': 1, 'Document': "
        "'{\\'Statement\\': [{\\'Effect\\': \\'Allow\\', \\'Action\\': \\'*:*\\', "
        "\\'Resource\\': \\'*\\'}]}'}},"
        " {'type': 'AWS::IAM::Role', 'id': 'task', 'doc': {'AssumeRolePolicyDocument': "
        "{'Statement': {'Effect': 'Allow', 'Principal': {'Service': 'ecs-tasks.amazonaws.com'}, "
        "'Action': 'sts:AssumeRole'}}}},"
        " {'type': 'AWS::IAM::Role', 'id': 'two', 'doc': {'AssumeRolePolicyDocument': "
        "{'Statement': [{'Effect': 'Allow', 'Principal': {'Service': ['ec2.amazonaws.com', "
        "'ecs-tasks.amazonaws.com']}, 'Action': 'sts:AssumeRole'}, {'Effect': 'Allow', "
        "'Principal': {'Service': 'lambda.amazonaws.com'}, 'Action': 'sts:AssumeRole'}]}}}]");
    CHECK_STR(st(rs, iv, "ADMIN", "admin"), "FAIL");
    CHECK_STR(st(rs, iv, "ADMIN", "s3all"), "PASS");
    CHECK_STR(st(rs, iv, "ADMIN", "unattached"), "none");
    /* the quote trick above turns \' into \" inside the string document */
    CHECK_STR(st(rs, iv, "ADMIN", "string"), "FAIL");
    CHECK_STR(st(rs, iv, "PASSROLE", "admin"), "FAIL");
    CHECK_STR(st(rs, iv, "PASSROLE", "s3all"), "PASS");
    CHECK_STR(st(rs, iv, "TRUST", "task"), "PASS");
    CHECK_STR(st(rs, iv, "TRUST", "two"), "FAIL");
    pp_results *r = NULL;
    pp_rules_eval(rs, iv, NOW, &r);
    const pp_finding *f = find(r, "ADMIN", "admin");
    CHECK_STR(f ? f->message : NULL, "statement all allows * on *");
    CHECK_STR(f ? json_string_value(json_object_get(json_array_get(f->evidence, 0), "path")) : NULL,
              "Document.Statement[1]");
    pp_results_free(r);
    pp_inventory_free(iv);
    pp_ruleset_free(rs);
}

/* ---- ERROR: missing data, collection errors, wrong types --------------------------------------
 */

static void errors(void)
{
    pp_ruleset *rs =
        load("- id: ROT\n  title: t\n  description: d\n  severity: high\n"
             "  resource: AWS::KMS::Key\n"
             "  where:\n"
             "    all:\n"
             "      - { path: KeyMetadata.KeyManager, op: eq, value: CUSTOMER }\n"
             "      - { path: KeyMetadata.KeySpec, op: eq, value: SYMMETRIC_DEFAULT }\n"
             "  assert: { path: KeyRotationEnabled, op: eq, value: true }\n"
             "- id: FL\n  title: t\n  description: d\n  severity: high\n"
             "  resource: AWS::EC2::FlowLog\n"
             "  assert: { path: FlowLogStatus, op: eq, value: ACTIVE }\n");
    if (!rs)
        return;
    pp_inventory *iv = inv(
        "[{'type': 'AWS::KMS::Key', 'id': 'ok', 'doc': {'KeyMetadata': {'KeyManager': 'CUSTOMER',"
        " 'KeySpec': 'SYMMETRIC_DEFAULT'}, 'KeyRotationEnabled': true}},"
        " {'type': 'AWS::KMS::Key', 'id': 'off', 'doc': {'KeyMetadata': {'KeyManager': 'CUSTOMER',"
        " 'KeySpec': 'SYMMETRIC_DEFAULT'}, 'KeyRotationEnabled': false}},"
        " {'type': 'AWS::KMS::Key', 'id': 'asym', 'doc': {'KeyMetadata': {'KeyManager': "
        "'CUSTOMER', 'KeySpec': 'RSA_2048'}}},"
        " {'type': 'AWS::KMS::Key', 'id': 'aws', 'doc': {'KeyMetadata': {'KeyManager': 'AWS', "
        "'KeySpec': 'SYMMETRIC_DEFAULT'}}},"
        " {'type': 'AWS::KMS::Key', 'id': 'denied', 'doc': {'KeyMetadata': {'KeyManager': "
        "'CUSTOMER', 'KeySpec': 'SYMMETRIC_DEFAULT'}}, 'errors': {'KeyRotationEnabled': "
        "'GetKeyRotationStatus: AccessDeniedException: no'}},"
        " {'type': 'AWS::KMS::Key', 'id': 'missing', 'doc': {'KeyMetadata': {'KeyManager': "
        "'CUSTOMER', 'KeySpec': 'SYMMETRIC_DEFAULT'}}},"
        " {'type': 'AWS::KMS::Key', 'id': 'typed', 'doc': {'KeyMetadata': {'KeyManager': "
        "'CUSTOMER', 'KeySpec': 'SYMMETRIC_DEFAULT'}, 'KeyRotationEnabled': 'true'}},"
        " {'type': 'AWS::KMS::Key', 'id': 'nometa', 'doc': {'KeyMetadata': 'oops'}},"
        " {'coverage': {'region': 'eu-west-1', 'service': 'kms', 'operation': 'ListKeys', "
        "'error': 'AccessDeniedException: denied'}},"
        " {'coverage': {'region': 'us-east-1', 'service': 'ec2', 'operation': 'DescribeFlowLogs',"
        " 'error': 'UnauthorizedOperation: no', 'types': 'AWS::EC2::FlowLog'}},"
        " {'coverage': {'region': 'us-east-1', 'service': 'kms', 'operation': "
        "'GetKeyRotationStatus', 'error': 'x', 'per_resource': true}}]");
    CHECK_STR(st(rs, iv, "ROT", "ok"), "PASS");
    CHECK_STR(st(rs, iv, "ROT", "off"), "FAIL");
    CHECK_STR(st(rs, iv, "ROT", "asym"), "none"); /* out of scope, not a finding */
    CHECK_STR(st(rs, iv, "ROT", "aws"), "none");
    CHECK_STR(st(rs, iv, "ROT", "denied"), "ERROR");
    CHECK_STR(st(rs, iv, "ROT", "missing"), "ERROR");
    CHECK_STR(st(rs, iv, "ROT", "typed"), "ERROR");
    CHECK_STR(st(rs, iv, "ROT", "nometa"), "ERROR");
    /* a failed ListKeys in eu-west-1: the rule cannot pass there */
    CHECK_STR(st(rs, iv, "ROT", "111122223333/eu-west-1"), "ERROR");
    /* the per-resource failure does not make us-east-1 unknown */
    CHECK_STR(st(rs, iv, "ROT", "111122223333/us-east-1"), "none");
    CHECK_STR(st(rs, iv, "FL", "111122223333/us-east-1"), "ERROR");
    char *m = msg_of(rs, iv, "ROT", "denied");
    CHECK_STR(m, "KeyRotationEnabled: could not be collected (GetKeyRotationStatus: "
                 "AccessDeniedException: no)");
    free(m);
    m = msg_of(rs, iv, "ROT", "missing");
    CHECK_STR(m, "KeyRotationEnabled is missing");
    free(m);
    m = msg_of(rs, iv, "ROT", "typed");
    CHECK_STR(m, "KeyRotationEnabled is a string, the rule expects a boolean");
    free(m);
    m = msg_of(rs, iv, "ROT", "nometa");
    CHECK_STR(m, "KeyMetadata: expected an object, got a string");
    free(m);
    m = msg_of(rs, iv, "ROT", "111122223333/eu-west-1");
    CHECK_STR(m, "AWS::KMS::Key could not be collected in 111122223333/eu-west-1: ListKeys: "
                 "AccessDeniedException: denied");
    free(m);
    pp_inventory_free(iv);
    pp_ruleset_free(rs);
}

/* ---- UNKNOWN: plan values not known until apply ---------------------------------------------- */

static void unknowns(void)
{
    pp_ruleset *rs = load(SG_RULES);
    if (!rs)
        return;
    pp_inventory *iv = inv_of(
        PP_SOURCE_PLAN,
        "[{'type': 'AWS::EC2::SecurityGroup', 'id': 'cidr-unknown', 'account': null, 'region': "
        "null, 'address': 'aws_security_group.a', 'doc': {'IpPermissions': [{'IpProtocol': "
        "'tcp', 'FromPort': 22, 'ToPort': 22, 'IpRanges': [{}]}]}, 'unknown': {'IpPermissions': "
        "[{'IpRanges': [{'CidrIp': true}]}]}},"
        /* the unknown CIDR does not matter: the port is 443 */
        " {'type': 'AWS::EC2::SecurityGroup', 'id': 'port-known', 'account': null, 'region': "
        "null, 'doc': {'IpPermissions': [{'IpProtocol': 'tcp', 'FromPort': 443, 'ToPort': 443, "
        "'IpRanges': [{}]}]}, 'unknown': {'IpPermissions': [{'IpRanges': [{'CidrIp': true}]}]}},"
        /* a known open rule decides FAIL whatever the unknown one is */
        " {'type': 'AWS::EC2::SecurityGroup', 'id': 'one-known-bad', 'account': null, "
        "'region': null, 'doc': {'IpPermissions': [{'IpProtocol': 'tcp', 'FromPort': 22, "
        "'ToPort': 22, 'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}, {'IpProtocol': 'tcp'}]}, "
        "'unknown': {'IpPermissions': [{}, {'FromPort': true, 'ToPort': true, 'IpRanges': "
        "true}]}},"
        " {'type': 'AWS::EC2::SecurityGroup', 'id': 'whole', 'account': null, 'region': null, "
        "'doc': {}, 'unknown': {'IpPermissions': true}}]");
    CHECK_STR(st(rs, iv, "SG-22", "cidr-unknown"), "UNKNOWN");
    CHECK_STR(st(rs, iv, "SG-22", "port-known"), "PASS");
    CHECK_STR(st(rs, iv, "SG-22", "one-known-bad"), "FAIL");
    CHECK_STR(st(rs, iv, "SG-22", "whole"), "UNKNOWN");
    char *m = msg_of(rs, iv, "SG-22", "cidr-unknown");
    CHECK_STR(m, "IpPermissions[0].IpRanges[0].CidrIp is unknown until apply");
    free(m);
    pp_results *r = NULL;
    pp_rules_eval(rs, iv, NOW, &r);
    const pp_finding *f = find(r, "SG-22", "cidr-unknown");
    CHECK_STR(f ? f->address : NULL, "aws_security_group.a");
    CHECK(f && f->account == NULL);
    pp_results_free(r);
    pp_inventory_free(iv);
    pp_ruleset_free(rs);
}

/* ---- existence rules ----------------------------------------------------------------------- */

static void existence(void)
{
    pp_ruleset *rs =
        load("- id: GD\n  title: t\n  description: d\n  severity: high\n"
             "  resource: AWS::GuardDuty::Detector\n  exists: region\n"
             "  assert: { path: Status, op: eq, value: ENABLED }\n"
             "- id: TRAIL\n  title: t\n  description: d\n  severity: high\n"
             "  resource: AWS::CloudTrail::Trail\n  exists: account\n"
             "  where: { path: IsMultiRegionTrail, op: eq, value: true }\n"
             "  assert: { path: Status.IsLogging, op: eq, value: true }\n"
             "- id: SUBNETS\n  title: t\n  description: d\n  severity: high\n"
             "  resource: AWS::EC2::Subnet\n  exists: region\n"
             "  params:\n    subnets:\n      - { name: public-a, cidr: 10.0.1.0/24 }\n"
             "      - { name: public-b, cidr: 10.0.2.0/24 }\n"
             "  for_each: '{{ params.subnets }}'\n"
             "  assert: { path: CidrBlock, op: eq, value: '{{ item.cidr }}' }\n"
             "  remediation: { action: create-subnet, cidr: from-evidence }\n"
             "- id: MAN\n  title: t\n  description: look at the console\n  severity: low\n"
             "  resource: AWS::::Account\n  manual: true\n"
             "- id: NC\n  title: t\n  description: d\n  severity: low\n"
             "  resource: AWS::::Account\n  error: Access Analyzer is not collected yet\n");
    if (!rs)
        return;
    pp_inventory *iv =
        inv("[{'scope': ['111122223333', 'us-east-1']}, {'scope': ['111122223333', 'eu-west-1']},"
            " {'scope': ['111122223333', 'ap-south-1']}, {'scope': ['111122223333', 'global']},"
            " {'scope': ['444455556666', 'us-east-1']},"
            " {'type': 'AWS::GuardDuty::Detector', 'id': 'd1', 'doc': {'Status': 'ENABLED'}},"
            " {'type': 'AWS::GuardDuty::Detector', 'id': 'd2', 'region': 'eu-west-1', 'doc': "
            "{'Status': 'DISABLED'}},"
            " {'type': 'AWS::GuardDuty::Detector', 'id': 'd3', 'account': '444455556666', 'doc': "
            "{'Status': 'ENABLED'}},"
            " {'coverage': {'region': 'ap-south-1', 'service': 'guardduty', 'operation': "
            "'ListDetectors', 'error': 'AccessDenied: no'}},"
            /* a scan records every call: these say what was looked at */
            " {'coverage': {'region': 'us-east-1', 'service': 'guardduty', 'ok': true}},"
            " {'coverage': {'region': 'eu-west-1', 'service': 'guardduty', 'ok': true}},"
            " {'coverage': {'account': '444455556666', 'region': 'us-east-1', 'service': "
            "'guardduty', 'ok': true}},"
            " {'coverage': {'region': 'us-east-1', 'service': 'cloudtrail', 'ok': true}},"
            " {'coverage': {'account': '444455556666', 'region': 'us-east-1', 'service': "
            "'cloudtrail', 'ok': true}},"
            " {'coverage': {'region': 'us-east-1', 'service': 'ec2', 'ok': true}},"
            " {'coverage': {'region': 'eu-west-1', 'service': 'ec2', 'types': "
            "'AWS::EC2::Subnet', 'ok': true}},"
            " {'type': 'AWS::CloudTrail::Trail', 'id': 'regional', 'doc': {'IsMultiRegionTrail': "
            "false, 'Status': {'IsLogging': true}}},"
            " {'type': 'AWS::CloudTrail::Trail', 'id': 'stopped', 'region': 'eu-west-1', 'doc': "
            "{'IsMultiRegionTrail': true, 'Status': {'IsLogging': false}}},"
            " {'type': 'AWS::CloudTrail::Trail', 'id': 'good', 'account': '444455556666', 'doc': "
            "{'IsMultiRegionTrail': true, 'Status': {'IsLogging': true}}},"
            " {'type': 'AWS::EC2::Subnet', 'id': 's1', 'doc': {'CidrBlock': '10.0.1.0/24'}}]");
    CHECK_STR(st(rs, iv, "GD", "111122223333/us-east-1"), "PASS");
    CHECK_STR(st(rs, iv, "GD", "111122223333/eu-west-1"), "FAIL");
    CHECK_STR(st(rs, iv, "GD", "111122223333/ap-south-1"), "ERROR");
    CHECK_STR(st(rs, iv, "GD", "444455556666/us-east-1"), "PASS");
    CHECK_STR(st(rs, iv, "GD", "111122223333/global"), "none");
    CHECK_STR(st(rs, iv, "TRAIL", "111122223333"), "FAIL");
    CHECK_STR(st(rs, iv, "TRAIL", "444455556666"), "PASS");
    CHECK_STR(st(rs, iv, "SUBNETS", "111122223333/us-east-1#public-a"), "PASS");
    CHECK_STR(st(rs, iv, "SUBNETS", "111122223333/us-east-1#public-b"), "FAIL");
    CHECK_STR(st(rs, iv, "SUBNETS", "111122223333/eu-west-1#public-a"), "FAIL");
    CHECK_STR(st(rs, iv, "MAN", "111122223333"), "MANUAL");
    CHECK_STR(st(rs, iv, "MAN", "444455556666"), "MANUAL");
    CHECK_STR(st(rs, iv, "NC", "111122223333"), "ERROR");
    /* ap-south-1 had no ec2 calls: nothing to say about its subnets */
    CHECK_STR(st(rs, iv, "SUBNETS", "111122223333/ap-south-1#public-a"), "none");
    char *m = msg_of(rs, iv, "GD", "111122223333/eu-west-1");
    CHECK_STR(m, "none of the 1 AWS::GuardDuty::Detector in 111122223333/eu-west-1 satisfies "
                 "the rule");
    free(m);
    m = msg_of(rs, iv, "TRAIL", "111122223333");
    CHECK_STR(m, "none of the 1 AWS::CloudTrail::Trail in 111122223333 satisfies the rule");
    free(m);
    m = msg_of(rs, iv, "NC", "111122223333");
    CHECK_STR(m, "Access Analyzer is not collected yet");
    free(m);
    pp_results *r = NULL;
    pp_rules_eval(rs, iv, NOW, &r);
    const pp_finding *f = find(r, "SUBNETS", "111122223333/us-east-1#public-b");
    CHECK_STR(f ? f->res_type : NULL, "AWS::EC2::Subnet");
    CHECK_STR(f ? f->region : NULL, "us-east-1");
    json_t *item = f ? json_object_get(json_array_get(f->evidence, 0), "item") : NULL;
    CHECK_STR(json_string_value(json_object_get(item, "cidr")), "10.0.2.0/24");
    f = find(r, "GD", "111122223333/eu-west-1");
    json_t *cand = f ? json_object_get(json_array_get(f->evidence, 0), "candidates") : NULL;
    CHECK_STR(json_string_value(json_object_get(json_array_get(cand, 0), "id")), "d2");
    CHECK_STR(json_string_value(json_object_get(json_array_get(cand, 0), "message")),
              "Status is 'DISABLED', expected eq 'ENABLED'");
    pp_results_free(r);
    pp_inventory_free(iv);

    /* a scan that left GuardDuty out (--services ec2) says nothing about detectors */
    iv = inv("[{'scope': ['111122223333', 'us-east-1']}, {'coverage': {'region': 'us-east-1', "
             "'service': 'ec2', 'operation': 'DescribeVpcs', 'ok': true}}]");
    CHECK_STR(st(rs, iv, "GD", "111122223333/us-east-1"), "none");
    CHECK_STR(st(rs, iv, "SUBNETS", "111122223333/us-east-1#public-a"), "FAIL");
    pp_inventory_free(iv);

    /* without a scope list the assessed scopes come from the data */
    iv = inv("[{'type': 'AWS::GuardDuty::Detector', 'id': 'd1', 'region': 'eu-west-1', 'doc': "
             "{'Status': 'ENABLED'}}, {'coverage': {'region': 'us-west-2', 'service': "
             "'guardduty', 'operation': 'ListDetectors', 'ok': true}}, {'coverage': {'region': "
             "'eu-west-1', 'service': 'guardduty', 'operation': 'ListDetectors', 'ok': true}}]");
    CHECK_STR(st(rs, iv, "GD", "111122223333/eu-west-1"), "PASS");
    CHECK_STR(st(rs, iv, "GD", "111122223333/us-west-2"), "FAIL");
    pp_inventory_free(iv);

    /* a plan shows only part of the account */
    iv = inv_of(PP_SOURCE_PLAN, "[{'type': 'AWS::GuardDuty::Detector', 'id': 'd1', 'account': "
                                "null, 'region': null, 'doc': {'Status': 'ENABLED'}}]");
    CHECK_STR(st(rs, iv, "GD", "plan"), "UNKNOWN");
    CHECK_STR(st(rs, iv, "MAN", "plan"), "MANUAL");
    CHECK_STR(st(rs, iv, "NC", "plan"), "UNKNOWN");
    pp_inventory_free(iv);
    pp_ruleset_free(rs);
}

/* ---- joins ------------------------------------------------------------------------------------
 */

static void joins(void)
{
    pp_ruleset *rs = load(
        "- id: FLOW\n  title: t\n  description: d\n  severity: high\n"
        "  resource: AWS::EC2::VPC\n"
        "  assert:\n"
        "    any:\n"
        "      join: { type: AWS::EC2::FlowLog, on: ResourceId, equals: VpcId }\n"
        "      match: { path: FlowLogStatus, op: eq, value: ACTIVE }\n"
        "- id: TRAILKEY\n  title: t\n  description: d\n  severity: high\n"
        "  resource: AWS::CloudTrail::Trail\n"
        "  where: { path: KmsKeyId, op: present }\n"
        "  assert:\n"
        "    any:\n"
        "      join:\n"
        "        type: AWS::KMS::Key\n"
        "        on_any: [KeyMetadata.Arn, KeyMetadata.KeyId, 'Aliases[].AliasName', "
        "'Aliases[].AliasArn']\n"
        "        equals: KmsKeyId\n"
        "      match: { path: KeyRotationEnabled, op: eq, value: true }\n"
        "- id: CHAIN\n  title: t\n  description: d\n  severity: high\n"
        "  resource: AWS::CloudTrail::Trail\n"
        "  where: { path: IsMultiRegionTrail, op: eq, value: true }\n"
        "  params: { pattern: UnauthorizedOperation }\n"
        "  assert:\n"
        "    any:\n"
        "      join:\n"
        "        type: AWS::Logs::MetricFilter\n"
        "        on: logGroupName\n"
        "        equals: { path: CloudWatchLogsLogGroupArn, capture: 'log-group:([^:]+)' }\n"
        "      match:\n"
        "        all:\n"
        "          - { path: filterPattern, op: contains, value: '{{ params.pattern }}' }\n"
        "          - any:\n"
        "              path: metricTransformations[]\n"
        "              match:\n"
        "                any:\n"
        "                  join:\n"
        "                    type: AWS::CloudWatch::Alarm\n"
        "                    on: [Namespace, MetricName]\n"
        "                    equals: [metricNamespace, metricName]\n"
        "                  match:\n"
        "                    any:\n"
        "                      join: { type: AWS::SNS::Topic, on: TopicArn, equals: "
        "'AlarmActions[]' }\n"
        "                      match: { count: { path: 'Subscriptions[]', op: ge, value: 1 } }\n");
    if (!rs)
        return;
    pp_inventory *iv = inv(
        "[{'type': 'AWS::EC2::VPC', 'id': 'vpc-1', 'doc': {'VpcId': 'vpc-1'}},"
        " {'type': 'AWS::EC2::VPC', 'id': 'vpc-2', 'doc': {'VpcId': 'vpc-2'}},"
        " {'type': 'AWS::EC2::VPC', 'id': 'vpc-3', 'region': 'eu-west-1', 'doc': {'VpcId': "
        "'vpc-3'}},"
        " {'type': 'AWS::EC2::VPC', 'id': 'vpc-4', 'region': 'eu-west-2', 'doc': {'VpcId': "
        "'vpc-4'}},"
        " {'type': 'AWS::EC2::FlowLog', 'id': 'fl-1', 'doc': {'ResourceId': 'vpc-1', "
        "'FlowLogStatus': 'ACTIVE'}},"
        " {'type': 'AWS::EC2::FlowLog', 'id': 'fl-2', 'doc': {'ResourceId': 'vpc-2', "
        "'FlowLogStatus': 'FAILED'}},"
        /* the same id in another region must not join */
        " {'type': 'AWS::EC2::FlowLog', 'id': 'fl-3', 'doc': {'ResourceId': 'vpc-3', "
        "'FlowLogStatus': 'ACTIVE'}},"
        " {'coverage': {'region': 'eu-west-2', 'service': 'ec2', 'operation': "
        "'DescribeFlowLogs', 'error': 'Throttling: slow down', 'types': 'AWS::EC2::FlowLog'}},"
        /* KMS keys by id, ARN and alias */
        " {'type': 'AWS::KMS::Key', 'id': 'k1', 'doc': {'KeyMetadata': {'KeyId': 'k1', 'Arn': "
        "'arn:aws:kms:us-east-1:111122223333:key/k1'}, 'KeyRotationEnabled': true, 'Aliases': "
        "[{'AliasName': 'alias/trail', 'AliasArn': "
        "'arn:aws:kms:us-east-1:111122223333:alias/trail'}]}},"
        " {'type': 'AWS::KMS::Key', 'id': 'k2', 'doc': {'KeyMetadata': {'KeyId': 'k2', 'Arn': "
        "'arn:aws:kms:us-east-1:111122223333:key/k2'}, 'KeyRotationEnabled': false}},"
        " {'type': 'AWS::CloudTrail::Trail', 'id': 't-arn', 'doc': {'KmsKeyId': "
        "'arn:aws:kms:us-east-1:111122223333:key/k1', 'IsMultiRegionTrail': false}},"
        " {'type': 'AWS::CloudTrail::Trail', 'id': 't-alias', 'doc': {'KmsKeyId': 'alias/trail',"
        " 'IsMultiRegionTrail': false}},"
        " {'type': 'AWS::CloudTrail::Trail', 'id': 't-aliasarn', 'doc': {'KmsKeyId': "
        "'arn:aws:kms:us-east-1:111122223333:alias/trail', 'IsMultiRegionTrail': false}},"
        " {'type': 'AWS::CloudTrail::Trail', 'id': 't-id', 'doc': {'KmsKeyId': 'k1', "
        "'IsMultiRegionTrail': false}},"
        " {'type': 'AWS::CloudTrail::Trail', 'id': 't-norot', 'doc': {'KmsKeyId': 'k2', "
        "'IsMultiRegionTrail': false}},"
        " {'type': 'AWS::CloudTrail::Trail', 'id': 't-gone', 'doc': {'KmsKeyId': 'k9', "
        "'IsMultiRegionTrail': false}},"
        /* the 4.1 chain */
        " {'type': 'AWS::CloudTrail::Trail', 'id': 'main', 'doc': {'IsMultiRegionTrail': true, "
        "'CloudWatchLogsLogGroupArn': 'arn:aws:logs:us-east-1:111122223333:log-group:ct:*'}},"
        " {'type': 'AWS::CloudTrail::Trail', 'id': 'other', 'doc': {'IsMultiRegionTrail': true, "
        "'CloudWatchLogsLogGroupArn': 'arn:aws:logs:us-east-1:111122223333:log-group:other:*'}},"
        " {'type': 'AWS::CloudTrail::Trail', 'id': 'nosub', 'doc': {'IsMultiRegionTrail': true, "
        "'CloudWatchLogsLogGroupArn': 'arn:aws:logs:us-east-1:111122223333:log-group:nosub:*'}},"
        " {'type': 'AWS::CloudTrail::Trail', 'id': 'weird', 'doc': {'IsMultiRegionTrail': true, "
        "'CloudWatchLogsLogGroupArn': 'not-an-arn'}},"
        " {'type': 'AWS::Logs::MetricFilter', 'id': 'mf1', 'doc': {'logGroupName': 'ct', "
        "'filterPattern': '{ ($.errorCode = \\'*UnauthorizedOperation\\') }', "
        "'metricTransformations': [{'metricName': 'Unauth', 'metricNamespace': 'CIS'}]}},"
        " {'type': 'AWS::Logs::MetricFilter', 'id': 'mf2', 'doc': {'logGroupName': 'other', "
        "'filterPattern': 'nothing', 'metricTransformations': [{'metricName': 'X', "
        "'metricNamespace': 'CIS'}]}},"
        " {'type': 'AWS::Logs::MetricFilter', 'id': 'mf3', 'doc': {'logGroupName': 'nosub', "
        "'filterPattern': 'UnauthorizedOperation', 'metricTransformations': [{'metricName': "
        "'U2', 'metricNamespace': 'CIS'}]}},"
        " {'type': 'AWS::CloudWatch::Alarm', 'id': 'a1', 'doc': {'Namespace': 'CIS', "
        "'MetricName': 'Unauth', 'AlarmActions': ['arn:aws:sns:us-east-1:111122223333:sec']}},"
        " {'type': 'AWS::CloudWatch::Alarm', 'id': 'a2', 'doc': {'Namespace': 'CIS', "
        "'MetricName': 'U2', 'AlarmActions': ['arn:aws:sns:us-east-1:111122223333:empty']}},"
        " {'type': 'AWS::SNS::Topic', 'id': 'sec', 'doc': {'TopicArn': "
        "'arn:aws:sns:us-east-1:111122223333:sec', 'Subscriptions': [{'Protocol': 'email'}]}},"
        " {'type': 'AWS::SNS::Topic', 'id': 'empty', 'doc': {'TopicArn': "
        "'arn:aws:sns:us-east-1:111122223333:empty', 'Subscriptions': []}}]");
    CHECK_STR(st(rs, iv, "FLOW", "vpc-1"), "PASS");
    CHECK_STR(st(rs, iv, "FLOW", "vpc-2"), "FAIL");
    CHECK_STR(st(rs, iv, "FLOW", "vpc-3"), "FAIL");
    CHECK_STR(st(rs, iv, "FLOW", "vpc-4"), "ERROR");
    CHECK_STR(st(rs, iv, "TRAILKEY", "t-arn"), "PASS");
    CHECK_STR(st(rs, iv, "TRAILKEY", "t-alias"), "PASS");
    CHECK_STR(st(rs, iv, "TRAILKEY", "t-aliasarn"), "PASS");
    CHECK_STR(st(rs, iv, "TRAILKEY", "t-id"), "PASS");
    CHECK_STR(st(rs, iv, "TRAILKEY", "t-norot"), "FAIL");
    CHECK_STR(st(rs, iv, "TRAILKEY", "t-gone"), "FAIL");
    CHECK_STR(st(rs, iv, "CHAIN", "main"), "PASS");
    CHECK_STR(st(rs, iv, "CHAIN", "other"), "FAIL");
    CHECK_STR(st(rs, iv, "CHAIN", "nosub"), "FAIL");
    CHECK_STR(st(rs, iv, "CHAIN", "weird"), "ERROR");
    char *m = msg_of(rs, iv, "FLOW", "vpc-3");
    CHECK_STR(m, "no AWS::EC2::FlowLog with ResourceId = vpc-3");
    free(m);
    m = msg_of(rs, iv, "FLOW", "vpc-2");
    CHECK_STR(m, "AWS::EC2::FlowLog fl-2 does not match");
    free(m);
    m = msg_of(rs, iv, "FLOW", "vpc-4");
    CHECK_STR(m, "AWS::EC2::FlowLog could not be fully collected: ec2 111122223333/eu-west-2: "
                 "DescribeFlowLogs: Throttling: slow down");
    free(m);
    m = msg_of(rs, iv, "CHAIN", "weird");
    CHECK_STR(m, "CloudWatchLogsLogGroupArn does not match the join's capture pattern");
    free(m);
    /* one index per join spec, shared by rules */
    CHECK(rs->n_jspecs == 5);
    pp_inventory_free(iv);
    pp_ruleset_free(rs);

    /* a key-less join relates everything of the type in the scope; $$. reads the finding's own
     * resource from inside a join (the NAT of a private subnet's route is in its AZ) */
    rs = load("- id: CHANNEL\n  title: t\n  description: d\n  severity: high\n"
              "  resource: AWS::Config::ConfigurationRecorder\n"
              "  assert: { any: { join: { type: AWS::Config::DeliveryChannel } } }\n"
              "- id: NAT-AZ\n  title: t\n  description: d\n  severity: high\n"
              "  resource: AWS::EC2::Subnet\n"
              "  assert:\n"
              "    all:\n"
              "      join: { type: AWS::EC2::RouteTable, on: 'Associations[].SubnetId', equals: "
              "SubnetId }\n"
              "      match:\n"
              "        all:\n"
              "          path: Routes[]\n"
              "          match:\n"
              "            any:\n"
              "              - { path: NatGatewayId, op: absent }\n"
              "              - any:\n"
              "                  join: { type: AWS::EC2::NatGateway, on: NatGatewayId, equals: "
              "NatGatewayId }\n"
              "                  match:\n"
              "                    any:\n"
              "                      join: { type: AWS::EC2::Subnet, on: SubnetId, equals: "
              "SubnetId }\n"
              "                      match: { path: AvailabilityZone, op: eq, value_path: "
              "$$.AvailabilityZone }\n");
    if (!rs)
        return;
    iv = inv("[{'type': 'AWS::Config::ConfigurationRecorder', 'id': 'r1', 'doc': {}},"
             " {'type': 'AWS::Config::ConfigurationRecorder', 'id': 'r2', 'region': 'eu-west-1', "
             "'doc': {}},"
             " {'type': 'AWS::Config::DeliveryChannel', 'id': 'ch', 'doc': {}},"
             " {'type': 'AWS::EC2::Subnet', 'id': 'pub-a', 'doc': {'SubnetId': 'pub-a', "
             "'AvailabilityZone': 'a'}},"
             " {'type': 'AWS::EC2::Subnet', 'id': 'priv-a', 'doc': {'SubnetId': 'priv-a', "
             "'AvailabilityZone': 'a'}},"
             " {'type': 'AWS::EC2::Subnet', 'id': 'priv-b', 'doc': {'SubnetId': 'priv-b', "
             "'AvailabilityZone': 'b'}},"
             " {'type': 'AWS::EC2::NatGateway', 'id': 'nat-a', 'doc': {'NatGatewayId': 'nat-a', "
             "'SubnetId': 'pub-a'}},"
             " {'type': 'AWS::EC2::RouteTable', 'id': 'rt', 'doc': {'Associations': [{'SubnetId': "
             "'priv-a'}, {'SubnetId': 'priv-b'}], 'Routes': [{'GatewayId': 'local'}, "
             "{'NatGatewayId': 'nat-a'}]}}]");
    CHECK_STR(st(rs, iv, "CHANNEL", "r1"), "PASS");
    CHECK_STR(st(rs, iv, "CHANNEL", "r2"), "FAIL");
    m = msg_of(rs, iv, "CHANNEL", "r2");
    CHECK_STR(m, "no AWS::Config::DeliveryChannel in this region");
    free(m);
    CHECK_STR(st(rs, iv, "NAT-AZ", "priv-a"), "PASS");
    CHECK_STR(st(rs, iv, "NAT-AZ", "priv-b"), "FAIL");
    pp_inventory_free(iv);
    pp_ruleset_free(rs);
}

/* ---- suppressions
 * -------------------------------------------------------------------------------- */

static void suppressions(void)
{
    char *dir = mk_tmp();
    char *r = rule("S-1", "AWS::EC2::SecurityGroup",
                   "  assert: { path: GroupName, op: eq, value: ok }\n");
    put(dir, "pack.yaml", "name: s\nversion: '1'\n");
    put(dir, "rules.yaml", r);
    free(r);
    char *sdir = mk_tmp();
    put(sdir, "supp.yaml",
        "suppressions:\n"
        "  - { rule: S-1, resource: 'sg-keep*', owner: alice, reason: bastion, expires: "
        "2024-06-01 }\n"
        "  - { rule: 'S-*', resource: 'arn:aws:ec2:*:sg/sg-old', owner: bob, reason: legacy, "
        "expires: 2024-05-31 }\n");
    put(sdir, "bad.yaml", "- { rule: S-1, owner: alice, expires: someday, colour: red }\n");
    char *supp = pp_xasprintf("%s/supp.yaml", sdir), *bad = pp_xasprintf("%s/bad.yaml", sdir);
    const char *dirs[] = {dir, NULL};
    pp_rules_options o = {.dirs = dirs, .suppressions = supp};
    pp_buf diags;
    pp_buf_init(&diags, 0);
    pp_ruleset *rs = NULL;
    CHECK_INT(pp_rules_load(&rs, &o, &diags), 0);
    pp_inventory *iv =
        inv("[{'type': 'AWS::EC2::SecurityGroup', 'id': 'sg-keep1', 'doc': {'GroupName': 'no'}},"
            " {'type': 'AWS::EC2::SecurityGroup', 'id': 'sg-old', 'arn': 'arn:aws:ec2:us-east-1:1:"
            "sg/sg-old', 'doc': {'GroupName': 'no'}},"
            " {'type': 'AWS::EC2::SecurityGroup', 'id': 'sg-other', 'doc': {'GroupName': 'no'}},"
            " {'type': 'AWS::EC2::SecurityGroup', 'id': 'sg-keep2', 'doc': {'GroupName': 'ok'}}]");
    pp_results *res = NULL;
    /* NOW is 2024-06-01T00:00:00Z: the first expires at the end of that day, the second ended */
    if (rs)
        pp_rules_eval(rs, iv, NOW, &res);
    const pp_finding *f = find(res, "S-1", "sg-keep1");
    CHECK(f && f->status == PP_STATUS_FAIL && f->suppressed);
    char *s = f ? json_dumps(f->suppression, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    CHECK_STR(s, "{\"expired\":false,\"expires\":\"2024-06-01\",\"owner\":\"alice\",\"reason\":"
                 "\"bastion\"}");
    free(s);
    f = find(res, "S-1", "sg-old");
    CHECK(f && f->status == PP_STATUS_FAIL && !f->suppressed);
    CHECK(f && json_is_true(json_object_get(f->suppression, "expired")));
    f = find(res, "S-1", "sg-other");
    CHECK(f && !f->suppressed && !f->suppression);
    f = find(res, "S-1", "sg-keep2"); /* PASS findings are never marked */
    CHECK(f && f->status == PP_STATUS_PASS && !f->suppression);
    pp_results_free(res);
    res = NULL;
    /* a day later the first one has expired too */
    if (rs)
        pp_rules_eval(rs, iv, NOW + 86400, &res);
    f = find(res, "S-1", "sg-keep1");
    CHECK(f && !f->suppressed && json_is_true(json_object_get(f->suppression, "expired")));
    pp_results_free(res);
    pp_ruleset_free(rs);
    pp_inventory_free(iv);

    /* malformed: every problem with its position, and nothing loads */
    pp_buf_reset(&diags);
    pp_suppressions *sp = NULL;
    CHECK_INT(pp_suppressions_load(bad, &sp, &diags), PP_EINVAL);
    CHECK(sp == NULL);
    char *expect = pp_xasprintf(
        "%s:1:48: unknown key 'colour' in a suppression (rule, resource, account, owner, "
        "reason, expires)\n"
        "%s:1:3: suppression needs 'reason'\n",
        bad, bad);
    CHECK_STR(pp_buf_cstr(&diags), expect);
    free(expect);
    pp_buf_reset(&diags);
    put(sdir, "bad.yaml", "- { rule: S-1, owner: alice, reason: r, expires: someday }\n");
    CHECK_INT(pp_suppressions_load(bad, &sp, &diags), PP_EINVAL);
    expect = pp_xasprintf("%s:1:50: expires: 'someday' is not a date (YYYY-MM-DD)\n", bad);
    CHECK_STR(pp_buf_cstr(&diags), expect);
    free(expect);
    /* the ruleset refuses to load with a broken suppressions file */
    pp_buf_reset(&diags);
    o.suppressions = bad;
    rs = NULL;
    CHECK_INT(pp_rules_load(&rs, &o, &diags), PP_EINVAL);
    CHECK(rs == NULL);
    pp_buf_free(&diags);
    free(supp);
    free(bad);
    rm_rf(dir);
    free(dir);
    rm_rf(sdir);
    free(sdir);
}

/* ---- parameters and environment overlays ----------------------------------------------------- */

static void overlays(void)
{
    char *r = rule("P-1", "AWS::IAM::User",
                   "  params: { max_age: 90, names: [a] }\n"
                   "  assert: { age_days: CreateDate, op: le, value: '{{ params.max_age }}' }\n");
    char *r2 = rule("P-2", "AWS::IAM::User",
                    "  assert: { path: UserName, op: regex, value: '^{{ params.prefix }}-' }\n"
                    "  params: { prefix: dev }\n");
    char *both = pp_xasprintf("%s%s", r, r2);
    pp_inventory *iv = inv("[{'type': 'AWS::IAM::User', 'id': 'u', 'doc': {'UserName': "
                           "'prod-x', 'CreateDate': '2024-01-01T00:00:00Z'}}]");
    /* defaults */
    pp_ruleset *rs = load(both);
    CHECK_STR(st(rs, iv, "P-1", "u"), "FAIL"); /* 152 days > 90 */
    CHECK_STR(st(rs, iv, "P-2", "u"), "FAIL");
    pp_ruleset_free(rs);
    /* by name: environments/prod.yaml */
    rs = load_opts(both, "environments/prod.yaml",
                   "params: { prefix: prod }\nrules: { P-1: { params: { max_age: 200 } } }\n",
                   "prod", NULL, false, NULL);
    CHECK_STR(st(rs, iv, "P-1", "u"), "PASS");
    CHECK_STR(st(rs, iv, "P-2", "u"), "PASS");
    pp_results *res = NULL;
    if (rs)
        pp_rules_eval(rs, iv, NOW, &res);
    CHECK_STR(res ? res->env : NULL, "prod");
    pp_results_free(res);
    pp_ruleset_free(rs);
    /* by file */
    rs = load_opts(both, "environments/my-env.yaml", "params: { max_age: 365 }\n",
                   "environments/my-env.yaml", NULL, false, NULL);
    CHECK_STR(st(rs, iv, "P-1", "u"), "PASS");
    CHECK_STR(st(rs, iv, "P-2", "u"), "FAIL");
    pp_ruleset_free(rs);
    /* errors: unknown names, wrong types, an environment nobody has */
    char *d = NULL;
    rs = load_opts(both, "environments/bad.yaml",
                   "params: { max_age: old, nope: 1 }\nrules: { P-9: {}, P-2: { params: { "
                   "max_age: 1 } } }\ncolour: red\n",
                   "bad", NULL, false, &d);
    CHECK(rs == NULL);
    CHECK_STR(d, "environments/bad.yaml:3:1: unknown key 'colour' in an environment file "
                 "(description, params, rules)\n"
                 "environments/bad.yaml:1:20: parameter 'max_age' is a number, not a string\n"
                 "environments/bad.yaml:1:25: unknown parameter 'nope' in pack t\n"
                 "environments/bad.yaml:2:10: no rule 'P-9' in pack t\n"
                 "environments/bad.yaml:2:36: unknown parameter 'max_age' for rule P-2\n");
    free(d);
    d = NULL;
    rs = load_opts(both, NULL, NULL, "staging", NULL, false, &d);
    CHECK(rs == NULL);
    CHECK_STR(d, "environment 'staging' not found (no pack has environments/staging.yaml)\n");
    free(d);
    pp_inventory_free(iv);
    free(r);
    free(r2);
    free(both);
}

/* ---- the rule test runner -------------------------------------------------------------------- */

static void rule_tests(void)
{
    const char *src = getenv("PARAPET_SRC");
    CHECK(src != NULL);
    if (!src)
        return;
    char *packs = pp_xasprintf("%s/tests/fixtures/rules/packs", src);
    const char *dirs[] = {packs, NULL};
    pp_rules_options o = {.dirs = dirs};
    pp_buf log;
    pp_buf_init(&log, 0);
    int passed = -1, failed = -1;
    CHECK_INT(pp_rules_run_tests(&o, NOW, &passed, &failed, &log), 0);
    if (failed)
        fprintf(stderr, "%s", pp_buf_cstr(&log));
    CHECK(passed >= 10);
    CHECK_INT(failed, 0);
    pp_buf_free(&log);
    free(packs);

    /* a case that fails is counted and explained */
    char *dir = mk_tmp();
    char *r = rule("R-1", "AWS::EC2::VPC", "  assert: { path: State, op: eq, value: available }\n");
    put(dir, "pack.yaml", "name: r\nversion: '1'\n");
    put(dir, "rules.yaml", r);
    put(dir, "rules.test.yaml",
        "rule: R-1\ncases:\n"
        "  - name: right\n    resources: [{ id: v1, doc: { State: available } }]\n"
        "    expect: { v1: PASS }\n"
        "  - name: wrong\n    resources:\n      - { id: v2, doc: { State: pending } }\n"
        "      - { id: v3, doc: { State: available } }\n"
        "    expect: { v2: PASS, v4: FAIL }\n"
        "  - name: message\n    resources: [{ id: v5, doc: { State: pending } }]\n"
        "    expect: { v5: { status: FAIL, message: \"expected eq 'available'\" } }\n");
    const char *dirs2[] = {dir, NULL};
    o.dirs = dirs2;
    pp_buf_init(&log, 0);
    CHECK_INT(pp_rules_run_tests(&o, NOW, &passed, &failed, &log), 0);
    CHECK_INT(passed, 2);
    CHECK_INT(failed, 1);
    char *expect = pp_xasprintf(
        "%s/rules.test.yaml:10:15: R-1, case 'wrong': v2: expected PASS, got FAIL: State is "
        "'pending', expected eq 'available'\n"
        "%s/rules.test.yaml:6:5: R-1, case 'wrong': unexpected finding v3: PASS: compliant\n"
        "%s/rules.test.yaml:10:25: R-1, case 'wrong': v4: no finding (expected FAIL)\n",
        dir, dir, dir);
    CHECK_STR(pp_buf_cstr(&log), expect);
    free(expect);
    pp_buf_free(&log);
    free(r);
    rm_rf(dir);
    free(dir);
}

/* ---- threads give the same findings in the same order --------------------------------------- */

/* Join indexes are built by the workers, and tasks that read them wait for them: with joins,
 * existence rules and plain rules together, any number of threads gives the findings of one. */
static void determinism_with_joins(void)
{
    pp_ruleset *rs = load("- id: FLOW\n  title: t\n  description: d\n  severity: high\n"
                          "  resource: AWS::EC2::VPC\n"
                          "  assert:\n"
                          "    any:\n"
                          "      join: { type: AWS::EC2::FlowLog, on: ResourceId, equals: VpcId }\n"
                          "      match: { path: FlowLogStatus, op: eq, value: ACTIVE }\n"
                          "- id: SG-IN-VPC\n  title: t\n  description: d\n  severity: low\n"
                          "  resource: AWS::EC2::SecurityGroup\n"
                          "  assert:\n"
                          "    any: { join: { type: AWS::EC2::VPC, on: VpcId, equals: VpcId } }\n"
                          "- id: SG-NAMED\n  title: t\n  description: d\n  severity: low\n"
                          "  resource: AWS::EC2::SecurityGroup\n"
                          "  assert: { path: GroupName, op: regex, value: '^g-[0-9]*[02468]$' }\n"
                          "- id: ONE-FLOWING\n  title: t\n  description: d\n  severity: low\n"
                          "  resource: AWS::EC2::VPC\n  exists: region\n"
                          "  assert:\n"
                          "    any:\n"
                          "      join: { type: AWS::EC2::FlowLog, on: ResourceId, equals: VpcId }\n"
                          "      match: { path: FlowLogStatus, op: eq, value: ACTIVE }\n");
    if (!rs)
        return;
    pp_buf b;
    pp_buf_init(&b, 0);
    pp_buf_putc(&b, '[');
    for (int i = 0; i < 3000; i++)
        pp_buf_printf(&b,
                      "%s{'type': 'AWS::EC2::VPC', 'id': 'vpc-%d', 'doc': {'VpcId': 'vpc-%d'}}, "
                      "{'type': 'AWS::EC2::FlowLog', 'id': 'fl-%d', 'doc': {'ResourceId': "
                      "'vpc-%d', 'FlowLogStatus': '%s'}}, "
                      "{'type': 'AWS::EC2::SecurityGroup', 'id': 'sg-%d', 'doc': {'GroupName': "
                      "'g-%d', 'VpcId': 'vpc-%d'}}",
                      i ? ", " : "", i, i, i, i, i % 3 ? "ACTIVE" : "FAILED", i, i,
                      i % 5 ? i : i + 5000);
    pp_buf_putc(&b, ']');
    pp_inventory *iv = inv(pp_buf_cstr(&b));
    pp_buf_free(&b);
    pp_results *res[4] = {NULL};
    const char *threads[4] = {"1", "2", "3", "16"};
    for (int t = 0; t < 4; t++) {
        setenv("PARAPET_RULES_THREADS", threads[t], 1);
        CHECK_INT(pp_rules_eval(rs, iv, NOW, &res[t]), 0);
    }
    unsetenv("PARAPET_RULES_THREADS");
    pp_results *a = res[0];
    size_t fails[4] = {0};
    for (size_t i = 0; i < a->n_findings; i++)
        if (a->findings[i].status == PP_STATUS_FAIL)
            fails[a->findings[i].rule == a->rules[0]   ? 0
                  : a->findings[i].rule == a->rules[1] ? 1
                  : a->findings[i].rule == a->rules[2] ? 2
                                                       : 3]++;
    CHECK_INT(a->n_findings, 9001);
    CHECK_INT(fails[0], 1000); /* every third flow log FAILED */
    CHECK_INT(fails[1], 600);  /* every fifth group names a VPC that does not exist */
    CHECK_INT(fails[2], 1500); /* odd names */
    CHECK_INT(fails[3], 0);    /* the region has an active one */
    for (int t = 1; t < 4; t++) {
        CHECK_INT(res[t]->n_findings, a->n_findings);
        size_t diff = 0;
        for (size_t i = 0; i < a->n_findings && i < res[t]->n_findings; i++)
            diff += strcmp(a->findings[i].id, res[t]->findings[i].id) != 0 ||
                    a->findings[i].status != res[t]->findings[i].status ||
                    !pp_str_eq(a->findings[i].message, res[t]->findings[i].message);
        CHECK_INT(diff, 0);
    }
    for (int t = 0; t < 4; t++)
        pp_results_free(res[t]);
    pp_inventory_free(iv);
    pp_ruleset_free(rs);
}

static void determinism(void)
{
    pp_ruleset *rs = load(SG_RULES);
    if (!rs)
        return;
    pp_buf b;
    pp_buf_init(&b, 0);
    pp_buf_putc(&b, '[');
    for (int i = 0; i < 3000; i++)
        pp_buf_printf(&b,
                      "%s{'type': 'AWS::EC2::SecurityGroup', 'id': 'sg-%d', 'doc': "
                      "{'IpPermissions': [{'IpProtocol': 'tcp', 'FromPort': %d, 'ToPort': %d, "
                      "'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}]}}",
                      i ? ", " : "", i, i % 40, i % 40);
    pp_buf_putc(&b, ']');
    pp_inventory *iv = inv(pp_buf_cstr(&b));
    pp_buf_free(&b);
    setenv("PARAPET_RULES_THREADS", "1", 1);
    pp_results *a = NULL, *c = NULL;
    pp_rules_eval(rs, iv, NOW, &a);
    setenv("PARAPET_RULES_THREADS", "2", 1);
    pp_rules_eval(rs, iv, NOW, &c);
    unsetenv("PARAPET_RULES_THREADS");
    CHECK_INT(a->n_findings, 9000);
    CHECK_INT(a->n_findings, c->n_findings);
    size_t diff = 0, fails = 0;
    for (size_t i = 0; i < a->n_findings && i < c->n_findings; i++) {
        diff += strcmp(a->findings[i].id, c->findings[i].id) != 0 ||
                a->findings[i].status != c->findings[i].status;
        fails += a->findings[i].status == PP_STATUS_FAIL;
    }
    CHECK_INT(diff, 0);
    /* SG-22: ports 22 (i % 40 == 22) from the world; SG-RANGE never; SG-UDP never */
    CHECK_INT(fails, 75);
    CHECK_INT(a->n_rules, 3);
    CHECK_STR(a->rules[0]->pack, "t");
    CHECK_STR(a->rules[0]->pack_version, "1.0.0");
    CHECK_STR(json_string_value(json_object_get(json_array_get(a->packs, 0), "name")), "t");
    pp_results_free(a);
    pp_results_free(c);
    pp_inventory_free(iv);
    pp_ruleset_free(rs);
}

/* ---- mutated rules: never a crash, every failure a diagnostic ---------------------------------
 */

static void mutations(void)
{
    const char *base = SG_RULES;
    size_t len = strlen(base);
    unsigned seed = 12345;
    static const char alphabet[] = "{}[]:,-'\"&*!|>#%@ \n\tab01$.";
    int compiled = 0, refused = 0;
    long rounds = 400; /* PP_MUTATION_ROUNDS=100000 for a longer soak */
    if (getenv("PP_MUTATION_ROUNDS"))
        pp_parse_long(getenv("PP_MUTATION_ROUNDS"), 1, 100000000, &rounds);
    for (long round = 0; round < rounds; round++) {
        char *text = pp_xmalloc(len + 8);
        memcpy(text, base, len + 1);
        int edits = 1 + (int)(round % 4);
        for (int e = 0; e < edits; e++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % len;
            seed = seed * 1103515245u + 12345u;
            text[at] = alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
        }
        pp_buf out;
        pp_buf_init(&out, 0);
        pp_diags d = {.out = &out};
        pp_yfile *f = NULL;
        pp_ruleset rs = {0};
        pp_pack pack = {.name = "t", .version = "1", .params = json_object()};
        if (pp_yaml_parse("m.yaml", text, strlen(text), &f, &d) == 0) {
            for (size_t i = 0; i < f->n_docs; i++) {
                const pp_ynode *doc = f->docs[i];
                for (size_t k = 0; doc->kind == PP_Y_SEQ && k < doc->n; k++) {
                    if (doc->kids[k]->kind != PP_Y_MAP)
                        continue;
                    pp_rule *r = pp_rule_compile(&rs, &pack, doc->kids[k], NULL, &d);
                    compiled += r != NULL;
                    pp_rule_free(r);
                }
            }
        }
        /* a refusal always says why, with a position */
        if (d.n) {
            refused++;
            CHECK(strstr(pp_buf_cstr(&out), "m.yaml:") == pp_buf_cstr(&out));
        }
        for (size_t i = 0; i < rs.n_jspecs; i++) {
            free(rs.jspecs[i]->sig);
            free(rs.jspecs[i]);
        }
        free(rs.jspecs);
        json_decref(pack.params);
        pp_yfile_free(f);
        pp_buf_free(&out);
        free(text);
    }
    CHECK(compiled > 100);
    CHECK(refused > 50);
}

/* ---- docs/rules.md: every YAML example parses, every complete rule in them compiles ---------- */

static void docs_examples(void)
{
    const char *src = getenv("PARAPET_SRC");
    if (!src)
        return;
    char *path = pp_xasprintf("%s/docs/rules.md", src);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    free(path);
    if (!f)
        return;
    pp_buf md;
    pp_buf_init(&md, 0);
    char line[4096];
    while (fgets(line, sizeof(line), f))
        pp_buf_puts(&md, line);
    fclose(f);
    int blocks = 0, rules_compiled = 0;
    const char *p = pp_buf_cstr(&md);
    while ((p = strstr(p, "```yaml\n")) != NULL) {
        p += 8;
        const char *end = strstr(p, "```");
        if (!end)
            break;
        char *text = pp_xstrndup(p, (size_t)(end - p));
        p = end + 3;
        blocks++;
        char *d = yaml_diag(text);
        if (*d)
            fprintf(stderr, "docs/rules.md example %d:\n%s%s", blocks, text, d);
        CHECK_STR(d, "");
        free(d);
        /* each document that is a whole rule must also compile */
        for (char *cur = text; cur;) {
            char *sep = strstr(cur, "\n---\n");
            if (sep)
                *sep = '\0';
            if (strncmp(cur, "id:", 3) == 0 && strstr(cur, "\nresource:")) {
                pp_buf r;
                pp_buf_init(&r, 0);
                if (!strstr(cur, "\ntitle:"))
                    pp_buf_puts(&r, "title: t\n");
                if (!strstr(cur, "\ndescription:"))
                    pp_buf_puts(&r, "description: d\n");
                if (!strstr(cur, "\nseverity:"))
                    pp_buf_puts(&r, "severity: low\n");
                pp_buf_puts(&r, cur);
                char *diags = NULL;
                pp_ruleset *rs = load_opts(pp_buf_cstr(&r), NULL, NULL, NULL, NULL, false, &diags);
                if (!rs)
                    fprintf(stderr, "docs/rules.md example %d does not compile:\n%s%s", blocks,
                            pp_buf_cstr(&r), diags);
                CHECK(rs != NULL);
                rules_compiled += rs != NULL;
                pp_ruleset_free(rs);
                free(diags);
                pp_buf_free(&r);
            }
            cur = sep ? sep + 5 : NULL;
        }
        free(text);
    }
    CHECK(blocks >= 15);
    CHECK(rules_compiled >= 6);
    if (pp_test_failures)
        fprintf(stderr, "%d examples, %d rules compiled\n", blocks, rules_compiled);
    pp_buf_free(&md);
}

PP_TEST_MAIN(TEST(yaml_positions), TEST(yaml_errors), TEST(lint_golden), TEST(lint_tests_required),
             TEST(operators), TEST(quantifiers), TEST(ports), TEST(nacls), TEST(iam), TEST(errors),
             TEST(unknowns), TEST(existence), TEST(joins), TEST(suppressions), TEST(overlays),
             TEST(rule_tests), TEST(determinism), TEST(determinism_with_joins), TEST(docs_examples),
             TEST(mutations))
