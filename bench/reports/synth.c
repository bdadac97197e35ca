/* The synthetic evaluation behind the report benchmark, the unit tests and the browser suite
 * (see synth.h). Statuses come from a fixed hash of rule and resource, so output is stable. */
#include "synth.h"

#include <stdlib.h>
#include <string.h>

static const char *const accounts[] = {"111122223333", "444455556666", "777788889999"};
static const char *const regions[] = {"eu-west-1", "us-east-1", "ap-southeast-2", "eu-central-1"};
#define N_ACCOUNTS 3
#define N_REGIONS  4

/* EVALUATED and PREVIOUS: 2024-05-01T12:00:00Z and a day before */
#define EVALUATED 1714564800
#define PREVIOUS  (EVALUATED - 86400)

typedef struct rule_def {
    const char *id, *title, *type, *fw, *controls, *remediation, *description;
    enum pp_severity sev;
    int fail_pct; /* share of resources that fail */
    int scope;    /* 0 per resource, 1 per account, 2 per account and region */
    bool manual;
} rule_def;

static const rule_def rule_defs[] = {
    {"CIS-1.1", "Maintain current contact details", "AWS::::Account", "cis-aws-3.0", "1.1", NULL,
     "Contact details let AWS reach the account owner about security events.", PP_SEV_MEDIUM, 0, 1,
     true},
    {"CIS-1.2", "Ensure security contact information is registered", "AWS::::Account",
     "cis-aws-3.0", "1.2", NULL, "A security contact receives AWS security notifications.",
     PP_SEV_MEDIUM, 0, 1, true},
    {"CIS-1.4", "Ensure no 'root' user account access key exists", "AWS::::Account", "cis-aws-3.0",
     "1.4", "delete-root-access-key",
     "Root access keys give unrestricted access and cannot be limited by policy.", PP_SEV_CRITICAL,
     34, 1, false},
    {"CIS-1.8", "Ensure IAM password policy requires minimum length of 14 or greater",
     "AWS::::Account", "cis-aws-3.0", "1.8", "set-password-policy",
     "Long passwords resist brute force.", PP_SEV_MEDIUM, 50, 1, false},
    {"CIS-1.10", "Ensure MFA is enabled for all IAM users that have a console password",
     "AWS::IAM::User", "cis-aws-3.0", "1.10", "require-mfa",
     "MFA adds a second factor to console sign-in.", PP_SEV_HIGH, 20, 0, false},
    {"CIS-3.6", "Ensure rotation for customer created symmetric CMKs is enabled", "AWS::KMS::Key",
     "cis-aws-3.0", "3.6", "enable-key-rotation",
     "Rotating keys limits what one compromised key exposes.", PP_SEV_MEDIUM, 30, 0, false},
    {"CIS-3.7", "Ensure VPC flow logging is enabled in all VPCs", "AWS::EC2::VPC",
     "cis-aws-3.0,reference", "3.7,NET-4", "create-flow-log",
     "Flow logs record the traffic an incident responder needs.", PP_SEV_MEDIUM, 25, 0, false},
    {"CIS-5.1",
     "Ensure no Network ACLs allow ingress from 0.0.0.0/0 to remote server administration ports",
     "AWS::EC2::NetworkAcl", "cis-aws-3.0", "5.1", "replace-nacl-entry",
     "Open administration ports invite brute force.", PP_SEV_HIGH, 10, 0, false},
    {"CIS-5.2",
     "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration "
     "ports",
     "AWS::EC2::SecurityGroup", "cis-aws-3.0,reference", "5.2,NET-2", "revoke-ingress",
     "SSH and RDP open to the internet are the most attacked services.", PP_SEV_HIGH, 12, 0, false},
    {"CIS-5.3",
     "Ensure no security groups allow ingress from ::/0 to remote server administration ports",
     "AWS::EC2::SecurityGroup", "cis-aws-3.0", "5.3", "revoke-ingress", "The IPv6 twin of 5.2.",
     PP_SEV_HIGH, 5, 0, false},
    {"CIS-5.4", "Ensure the default security group of every VPC restricts all traffic",
     "AWS::EC2::SecurityGroup", "cis-aws-3.0", "5.4", "revoke-default-sg-rules",
     "Resources placed in the default group by accident should not be reachable.", PP_SEV_MEDIUM, 8,
     0, false},
    {"REF-NET-1", "The six subnets of the reference architecture exist in two AZs",
     "AWS::EC2::Subnet", "reference", "NET-1", "create-subnet",
     "Public, private and data tiers in two availability zones.", PP_SEV_HIGH, 25, 2, false},
    {"REF-SEC-1", "GuardDuty is enabled in every scanned region", "AWS::GuardDuty::Detector",
     "reference", "SEC-1", "enable-guardduty", "Threat detection in every region.", PP_SEV_HIGH, 25,
     2, false},
    {"REF-IAM-1", "IAM roles carry a permissions boundary", "AWS::IAM::Role", "reference", "IAM-1",
     NULL, "Boundaries cap what a role can ever be granted.", PP_SEV_LOW, 40, 0, false},
    {"LOCAL-1", "Subnets do not assign public IPs on launch", "AWS::EC2::Subnet", NULL, NULL, NULL,
     "A local rule outside any framework.", PP_SEV_LOW, 15, 0, false},
};
#define N_RULES (sizeof(rule_defs) / sizeof(rule_defs[0]))

/* Share of the inventory per type (per mille), for per-resource types. */
static const struct {
    const char *type;
    int share;
} type_mix[] = {
    {"AWS::EC2::SecurityGroup", 400}, {"AWS::IAM::User", 200}, {"AWS::EC2::Subnet", 150},
    {"AWS::EC2::NetworkAcl", 100},    {"AWS::EC2::VPC", 50},   {"AWS::KMS::Key", 50},
    {"AWS::IAM::Role", 50},
};
#define N_TYPES (sizeof(type_mix) / sizeof(type_mix[0]))

static uint32_t mix(uint32_t h, uint32_t v)
{
    h ^= v + 0x9e3779b9u + (h << 6) + (h >> 2);
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    return h;
}

static uint32_t str_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static pp_rule_meta *make_rule(const rule_def *d, bool hostile)
{
    pp_rule_meta *m = pp_xcalloc(1, sizeof(*m));
    m->id = pp_xstrdup(d->id);
    m->title = pp_xstrdup(d->title);
    if (hostile && strcmp(d->id, "LOCAL-1") == 0)
        m->description = pp_xstrdup("A local rule <b>outside</b> any framework " SYNTH_XSS_IMG);
    else
        m->description = pp_xstrdup(d->description);
    bool ref = d->fw && strcmp(d->fw, "reference") == 0;
    m->pack = pp_xstrdup(d->fw ? (ref ? "reference" : "cis-aws-3.0") : "local");
    m->pack_version = pp_xstrdup(d->fw ? (ref ? "1.0.0" : "3.0.0") : "0.1");
    m->severity = d->sev;
    m->resource_type = pp_xstrdup(d->type);
    m->frameworks = json_object();
    if (d->fw) {
        size_t nf = 0, nc = 0;
        char **fws = pp_str_split(d->fw, ',', &nf);
        char **ctls = pp_str_split(d->controls, ',', &nc);
        for (size_t i = 0; i < nf && i < nc; i++)
            json_object_set_new(m->frameworks, fws[i], json_pack("[s]", ctls[i]));
        pp_strv_free(fws);
        pp_strv_free(ctls);
    }
    if (d->remediation)
        m->remediation = json_pack("{ssss}", "action", d->remediation, "targets", "matched");
    return m;
}

static json_t *tags_for(size_t i, const char *type, bool hostile_one)
{
    json_t *t = json_array();
    char name[64];
    snprintf(name, sizeof(name), "%s-%zu", strrchr(type, ':') + 1, i);
    json_array_append_new(t, json_pack("{ssss}", "Key", "Name", "Value", name));
    json_array_append_new(t, json_pack("{ssss}", "Key", "env", "Value",
                                       i % 3 == 0   ? "production"
                                       : i % 3 == 1 ? "staging"
                                                    : "dev"));
    if (i % 4 == 0)
        json_array_append_new(t, json_pack("{ssss}", "Key", "owner", "Value", "team-platform"));
    if (hostile_one) {
        json_array_clear(t);
        json_array_append_new(t, json_pack("{ssss}", "Key", "Name", "Value", SYNTH_XSS_IMG));
        json_array_append_new(t, json_pack("{ssss}", "Key", "owner", "Value", SYNTH_XSS_SCRIPT));
        json_array_append_new(t, json_pack("{ssss}", "Key", "quote", "Value", SYNTH_XSS_SVG));
        json_array_append_new(t, json_pack("{ssss}", "Key", "cell", "Value", SYNTH_CSV_FORMULA));
        json_array_append_new(
            t, json_pack("{ssss}", "Key", "lines", "Value", "line1\nline2\r\nline3,\"quoted\""));
        /* invalid UTF-8 cannot come through jansson's checked constructors; data from other
         * paths (nocheck) can carry it, and the writers must survive it */
        json_t *bad = json_object();
        json_object_set_new(bad, "Key", json_string("bad-utf8"));
        json_object_set_new(bad, "Value", json_string_nocheck("ok\xff\xfe\xc3(end"));
        json_array_append_new(t, bad);
        json_array_append_new(t, json_pack("{ssss}", "Key", "<b>k</b>", "Value", "@SUM(1+1)*cmd"));
    }
    return t;
}

static json_t *doc_for(const char *type, const char *id, size_t i, bool hostile_one)
{
    json_t *d = json_object();
    if (strcmp(type, "AWS::EC2::SecurityGroup") == 0) {
        json_object_set_new(d, "GroupId", json_string(id));
        json_object_set_new(d, "GroupName", json_string(i % 50 == 0 ? "default" : "app"));
        json_object_set_new(d, "VpcId", json_string("vpc-0abc"));
        json_object_set_new(d, "IpPermissions",
                            json_pack("[{sssisis[{ss}]}]", "IpProtocol", "tcp", "FromPort", 22,
                                      "ToPort", 22, "IpRanges", "CidrIp",
                                      i % 8 == 0 ? "0.0.0.0/0" : "10.0.0.0/16"));
    } else if (strcmp(type, "AWS::IAM::User") == 0) {
        json_object_set_new(d, "UserName", json_string(id));
    } else {
        json_object_set_new(d, "Id", json_string(id));
    }
    json_object_set_new(d, "Tags", tags_for(i, type, hostile_one));
    return d;
}

static void add_resource(pp_inventory *inv, const char *type, const char *id, const char *account,
                         const char *region, size_t i, bool plan, bool hostile_one)
{
    char arn[256];
    const char *svc = strcmp(type, "AWS::IAM::User") == 0 || strcmp(type, "AWS::IAM::Role") == 0
                          ? "iam"
                      : strcmp(type, "AWS::KMS::Key") == 0 ? "kms"
                                                           : "ec2";
    snprintf(arn, sizeof(arn), "arn:aws:%s:%s:%s:%s/%s", svc, strcmp(svc, "iam") == 0 ? "" : region,
             account ? account : "", strrchr(type, ':') + 1, id);
    json_t *doc = doc_for(type, id, i, hostile_one);
    bool no_arn = plan || strcmp(type, "AWS::::Account") == 0;
    pp_resource *r = pp_resource_new(type, id, no_arn ? NULL : arn, account, region, doc);
    json_decref(doc);
    if (plan) {
        char addr[128];
        const char *tf = strcmp(type, "AWS::EC2::SecurityGroup") == 0 ? "aws_security_group"
                         : strcmp(type, "AWS::IAM::User") == 0        ? "aws_iam_user"
                                                                      : "aws_resource";
        if (i % 3 == 0)
            snprintf(addr, sizeof(addr), "module.net.%s.r[%zu]", tf, i);
        else
            snprintf(addr, sizeof(addr), "%s.r[\"k%zu\"]", tf, i);
        r->address = pp_xstrdup(addr);
    }
    pp_inventory_add(inv, r);
}

static void build_inventory(const synth_opts *o, synth *s)
{
    pp_inventory *inv = pp_inventory_new(o->plan ? PP_SOURCE_PLAN : PP_SOURCE_AWS);
    s->inventory = inv;
    if (!o->plan) {
        for (size_t a = 0; a < N_ACCOUNTS; a++) {
            for (size_t r = 0; r < N_REGIONS; r++)
                pp_inventory_add_scope(inv, accounts[a], regions[r]);
            add_resource(inv, "AWS::::Account", accounts[a], accounts[a], "global", a, false,
                         false);
        }
        /* coverage: every service ok, except KMS in one account and region */
        static const char *const ops[][2] = {{"ec2", "DescribeSecurityGroups"},
                                             {"ec2", "DescribeVpcs"},
                                             {"kms", "ListKeys"},
                                             {"guardduty", "ListDetectors"}};
        for (size_t a = 0; a < N_ACCOUNTS; a++) {
            pp_coverage c = {.account = (char *)accounts[a],
                             .region = "global",
                             .service = "iam",
                             .operation = "GetAccountAuthorizationDetails",
                             .ok = true,
                             .calls = 3};
            pp_inventory_add_coverage(inv, &c);
            for (size_t r = 0; r < N_REGIONS; r++) {
                for (size_t k = 0; k < 4; k++) {
                    bool fail = a == 1 && r == 2 && strcmp(ops[k][0], "kms") == 0;
                    pp_coverage cv = {.account = (char *)accounts[a],
                                      .region = (char *)regions[r],
                                      .service = (char *)ops[k][0],
                                      .operation = (char *)ops[k][1],
                                      .ok = !fail,
                                      .error = fail ? "AccessDeniedException: User is not "
                                                      "authorized to perform kms:ListKeys"
                                                    : NULL,
                                      .calls = 1,
                                      .retries = fail ? 3 : 0};
                    pp_inventory_add_coverage(inv, &cv);
                }
            }
        }
    }
    size_t n = o->resources > N_ACCOUNTS ? o->resources - (o->plan ? 0 : N_ACCOUNTS) : 8;
    size_t at = 0;
    for (size_t t = 0; t < N_TYPES; t++) {
        size_t count = n * (size_t)type_mix[t].share / 1000;
        if (t == N_TYPES - 1)
            count = n - at;
        for (size_t i = 0; i < count; i++, at++) {
            const char *type = type_mix[t].type;
            bool global = strstr(type, "IAM") != NULL;
            const char *acct = o->plan ? NULL : accounts[at % N_ACCOUNTS];
            const char *reg = global ? "global" : regions[(at / N_ACCOUNTS) % N_REGIONS];
            char id[64];
            snprintf(id, sizeof(id), "%s-%08zx",
                     global                       ? (strstr(type, "User") ? "user" : "role")
                     : strstr(type, "Security")   ? "sg"
                     : strstr(type, "Subnet")     ? "subnet"
                     : strstr(type, "NetworkAcl") ? "acl"
                     : strstr(type, "VPC")        ? "vpc"
                                                  : "key",
                     at);
            add_resource(inv, type, id, acct, reg, at, o->plan, false);
        }
    }
    if (o->hostile) {
        add_resource(inv, "AWS::EC2::SecurityGroup", "sg-<i>hostile</i>\"'",
                     o->plan ? NULL : accounts[0], regions[0], at++, o->plan, true);
        add_resource(inv, "AWS::IAM::User", "=HYPERLINK(\"http://127.0.0.1/x\",\"hostile\")",
                     o->plan ? NULL : accounts[0], "global", at++, o->plan, true);
    }
}

static bool suppress_me(uint32_t h)
{
    return h % 17 == 3;
}

static int fail_override;
static bool unique_evidence;

static void add_finding(pp_results *res, const pp_rule_meta *m, const rule_def *d,
                        const pp_resource *r, const char *acct, const char *region,
                        const char *scope_id, int variant, bool plan, bool hostile)
{
    int fail_pct = fail_override ? fail_override : d->fail_pct;
    const char *rid = r ? r->id : scope_id;
    uint32_t h = mix(str_hash(d->id), str_hash(rid));
    if (variant)
        h = mix(h, 0xabcdu + (uint32_t)variant);
    pp_finding *f = pp_results_add(res, m);
    f->res_type = pp_xstrdup(d->type);
    f->res_id = pp_xstrdup(rid);
    f->res_arn = r && r->arn ? pp_xstrdup(r->arn) : NULL;
    f->account = acct ? pp_xstrdup(acct) : NULL;
    f->region = region ? pp_xstrdup(region) : NULL;
    f->address = r && r->address ? pp_xstrdup(r->address) : NULL;
    bool kms_gap = !plan && acct && region && strcmp(acct, accounts[1]) == 0 &&
                   strcmp(region, regions[2]) == 0 && strcmp(d->type, "AWS::KMS::Key") == 0;
    if (d->manual) {
        f->status = PP_STATUS_MANUAL;
        f->message = pp_xstrdup("a manual control: check it by hand");
    } else if (kms_gap) {
        f->status = PP_STATUS_ERROR;
        f->message = pp_xstrdup("kms ListKeys failed: AccessDeniedException");
        f->evidence = json_pack("{ss}", "error", "ListKeys: AccessDeniedException");
    } else if (plan && (h % 100) >= 95) {
        f->status = PP_STATUS_UNKNOWN;
        f->message = pp_xstrdup("depends on a value known only after apply");
        f->evidence = json_pack("{s[s]}", "unknown", "ingress");
    } else if ((int)(h % 100) < fail_pct || (hostile && r && strstr(r->id, "hostile"))) {
        f->status = PP_STATUS_FAIL;
        if (hostile && r && strstr(r->id, "hostile")) {
            f->message = pp_xstrdup("open to the world " SYNTH_XSS_SCRIPT);
            f->evidence = json_pack("{s[{ssss}]}", "IpPermissions", "CidrIp", "0.0.0.0/0",
                                    "Description", SYNTH_XSS_IMG);
        } else {
            char msg[160];
            snprintf(msg, sizeof(msg), "%s does not meet %s", rid, d->id);
            f->message = pp_xstrdup(msg);
            f->evidence =
                json_pack("{s[{sssisis[{ss}]}]}", "IpPermissions", "IpProtocol", "tcp", "FromPort",
                          22, "ToPort", 22, "IpRanges", "CidrIp", "0.0.0.0/0");
            if (unique_evidence)
                json_object_set_new(f->evidence, "GroupId", json_string(rid));
        }
        if (suppress_me(h)) {
            f->suppressed = true;
            f->suppression = json_pack("{ssssssssso}", "owner", "team-platform", "reason",
                                       hostile ? "accepted: " SYNTH_XSS_IMG : "bastion by design",
                                       "expires", "2099-12-31", "source",
                                       h % 2 ? "baseline" : "inline", "expired", json_false());
        } else if (h % 31 == 5) {
            f->suppression = json_pack("{sssssssb}", "owner", "team-old", "reason", "was accepted",
                                       "expires", "2020-01-01", "expired", 1);
        }
    } else {
        f->status = PP_STATUS_PASS;
    }
    pp_finding_set_id(f);
}

static pp_results *build_results(const synth_opts *o, const pp_inventory *inv, int variant)
{
    pp_results *res = pp_results_new();
    res->evaluated_at = variant ? PREVIOUS : EVALUATED;
    res->env = pp_xstrdup("production");
    json_array_append_new(res->packs,
                          json_pack("{ssss}", "name", "cis-aws-3.0", "version", "3.0.0"));
    json_array_append_new(res->packs, json_pack("{ssss}", "name", "reference", "version", "1.0.0"));
    json_array_append_new(res->packs, json_pack("{ssss}", "name", "local", "version", "0.1"));
    for (size_t k = 0; k < N_RULES; k++) {
        const rule_def *d = &rule_defs[k];
        pp_rule_meta *m = pp_results_add_rule(res, make_rule(d, o->hostile));
        if (d->scope == 0) {
            size_t n = 0;
            pp_resource *const *rs = pp_inventory_of_type(inv, d->type, &n);
            for (size_t i = 0; i < n; i++) {
                /* the previous run had a little less: those findings are new */
                if (variant && i % 50 == 7)
                    continue;
                add_finding(res, m, d, rs[i], rs[i]->account, rs[i]->region, NULL, variant, o->plan,
                            o->hostile);
            }
            /* keys behind the failed ListKeys: the rules engine says ERROR for that scope */
            if (!o->plan && strcmp(d->type, "AWS::KMS::Key") == 0) {
                char scope[64];
                snprintf(scope, sizeof(scope), "%s/%s", accounts[1], regions[2]);
                add_finding(res, m, d, NULL, accounts[1], regions[2], scope, variant, false,
                            o->hostile);
            }
        } else if (o->plan) {
            /* account-wide rules cannot be decided from a plan */
            pp_finding *f = pp_results_add(res, m);
            f->res_type = pp_xstrdup(d->type);
            f->res_id = pp_xstrdup("(plan)");
            f->status = d->manual ? PP_STATUS_MANUAL : PP_STATUS_UNKNOWN;
            f->message = pp_xstrdup("needs the whole account: not decidable from a plan");
            pp_finding_set_id(f);
        } else {
            for (size_t a = 0; a < N_ACCOUNTS; a++) {
                if (d->scope == 1) {
                    size_t n = 0;
                    pp_resource *const *rs = pp_inventory_of_type(inv, "AWS::::Account", &n);
                    add_finding(res, m, d, a < n ? rs[a] : NULL, accounts[a], "global", accounts[a],
                                variant, false, o->hostile);
                    continue;
                }
                for (size_t r = 0; r < N_REGIONS; r++) {
                    char scope[64];
                    snprintf(scope, sizeof(scope), "%s/%s", accounts[a], regions[r]);
                    add_finding(res, m, d, NULL, accounts[a], regions[r], scope, variant, false,
                                o->hostile);
                }
            }
        }
    }
    return res;
}

void synth_build(const synth_opts *o, synth *s)
{
    memset(s, 0, sizeof(*s));
    s->plan = o->plan;
    fail_override = o->fail_pct;
    unique_evidence = o->unique_evidence;
    build_inventory(o, s);
    s->results = build_results(o, s->inventory, 0);
    if (o->previous)
        s->previous = build_results(o, s->inventory, 1);
    s->snapshot.id = o->plan ? 0 : 42;
    s->snapshot.source = pp_xstrdup(o->plan ? "terraform-plan" : "aws");
    s->snapshot.started_at = o->plan ? 0 : EVALUATED - 300;
    s->snapshot.finished_at = o->plan ? 0 : EVALUATED - 20;
    s->snapshot.accounts = json_array();
    s->snapshot.regions = json_array();
    if (!o->plan) {
        for (size_t a = 0; a < N_ACCOUNTS; a++)
            json_array_append_new(s->snapshot.accounts, json_string(accounts[a]));
        for (size_t r = 0; r < N_REGIONS; r++)
            json_array_append_new(s->snapshot.regions, json_string(regions[r]));
    }
    s->snapshot.tool_version = pp_xstrdup(PP_VERSION);
    s->snapshot.calls = 60;
    s->snapshot.retries = 3;
    s->snapshot.errors = 1;
    s->snapshot.resources = (long)pp_inventory_count(s->inventory);
    s->snapshot.complete = false;
    if (o->history) {
        s->history = json_array();
        for (int i = 0; i < 8; i++) {
            char when[32];
            pp_time_format(EVALUATED - (7 - i) * 86400, when);
            json_array_append_new(s->history,
                                  json_pack("{sisss{sisi}}", "snapshot", 35 + i, "time", when,
                                            "frameworks", "cis-aws-3.0", 40 - i * 3 + (i % 3),
                                            "reference", 20 - i + (i % 2)));
        }
    }
}

void synth_free(synth *s)
{
    if (!s)
        return;
    pp_results_free(s->results);
    pp_results_free(s->previous);
    pp_inventory_free(s->inventory);
    pp_snapshot_info_clear(&s->snapshot);
    json_decref(s->history);
    memset(s, 0, sizeof(*s));
}

void synth_input(const synth *s, pp_report_input *in)
{
    memset(in, 0, sizeof(*in));
    in->results = s->results;
    in->inventory = s->inventory;
    in->snapshot = &s->snapshot;
    in->previous = s->previous;
    in->previous_snapshot = s->previous ? 41 : 0;
    in->history = s->history;
    in->source_kind = s->plan ? "terraform-plan" : "aws";
    in->plan_path = s->plan ? "plans/tfplan.json" : NULL;
    in->locate = s->plan ? synth_locate : NULL;
}

int synth_locate(void *ud, const char *address, char **file, int *line)
{
    (void)ud;
    if (pp_str_startswith(address, "module.net.")) {
        *file = pp_xstrdup("modules/net/main.tf");
        *line = 12;
        return 0;
    }
    if (strstr(address, "aws_iam_user")) {
        *file = pp_xstrdup("iam users.tf"); /* a space, to prove URI encoding */
        *line = 3;
        return 0;
    }
    return PP_ENOTFOUND;
}
