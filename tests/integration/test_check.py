"""`parapet check PLAN.json` end to end: the hand-written plan in tests/fixtures/plans/basic with
its .tf tree, the small pack beside it, inline ignores, the baseline, every output format, exit
codes, and that sensitive plan values never reach any output. No AWS: a plan is a file."""
import json
import os
import xml.etree.ElementTree as ET

import harness

FIX = os.path.join(harness.SRC, "tests", "fixtures", "plans")
BASIC = os.path.join(FIX, "basic")
PLAN = os.path.join(BASIC, "plan.json")
PACK = os.path.join(FIX, "policies", "plan-pack")
BASELINE = os.path.join(BASIC, "baseline.yaml")
NOW = "2024-06-01T00:00:00Z"
SECRETS = ["hunter2-not-for-reports", "alice@example.com", '"kms:*"', "kms:*"]

# The status each (rule, address) gets from the pack over the basic plan.
EXPECTED = {
    ("CIS-5.2", "module.net.aws_security_group.ssh"): "FAIL",     # 22 inline, 443 + ::/0 merged
    ("CIS-5.2", "aws_security_group.legacy"): "PASS",             # unknown CIDR, but port 5432
    ("CIS-5.2", "aws_security_group_rule.external"): "FAIL",      # synthetic group, 3389
    ("NACL-ADMIN", "aws_network_acl.main"): "FAIL",
    ("CIS-1.14", 'aws_iam_user.people["alice"]'): "FAIL",
    ("CIS-1.14", 'aws_iam_user.people["bob"]'): "PASS",
    ("CIS-1.16", "aws_iam_role.flow"): "FAIL",
    ("KMS-WILDCARD", "aws_kms_key.trail"): "UNKNOWN",             # default policy: after apply
    ("KMS-WILDCARD", "aws_kms_key.legacy"): "UNKNOWN",            # sensitive: not decidable
    ("CIS-3.6", "aws_kms_key.trail"): "PASS",
    ("TRAIL-KEY", "aws_cloudtrail.main"): "PASS",                 # join through the key's address
    ("VPC-FLOWLOG", "aws_vpc.main"): "PASS",                      # join through a reference
    ("VPC-FLOWLOG", "module.remote.aws_vpc.this[0]"): "FAIL",
    ("PWD-LENGTH", "aws_iam_account_password_policy.strict"): "PASS",
    ("SUBNET-PUBLIC-IP", "aws_subnet.private[0]"): "PASS",
    ("SUBNET-PUBLIC-IP", "aws_subnet.private[1]"): "FAIL",
    ("IMDSV2", "aws_instance.bastion"): "PASS",
}


class CheckTest(harness.TestCase):
    def check(self, *args, plan=PLAN, pack=PACK):
        env = harness.clean_env(self.tmp, PARAPET_NOW=NOW)
        argv = ["check", plan] + (["--policies", pack] if pack else []) + list(args)
        return harness.run(argv, env)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def assert_no_secrets(self, *texts):
        for t in texts:
            for s in SECRETS:
                self.assertNotIn(s, t)

    # ---- statuses and the native report ------------------------------------------------------

    def test_json_statuses_per_address(self):
        code, out, err = self.check("--format", "json", "--quiet")
        self.assertEqual(code, 1, err)
        rep = json.loads(out)
        self.assertEqual(rep["source"]["kind"], "terraform-plan")
        self.assertEqual(rep["source"]["plan"], PLAN)
        got = {}
        for f in rep["findings"]:
            addr = f["resource"].get("address")
            if addr:
                got[(f["rule"], addr)] = f["status"]
                self.assertIsNone(f["resource"]["account"])
                self.assertEqual(f["resource"]["region"], "eu-west-1")
        self.assertEqual(got, EXPECTED)
        # deleted and data resources are not evaluated
        self.assertNotIn("aws_instance.old", out)
        self.assertNotIn("data.aws_caller_identity", out)
        # the account-wide rule cannot be decided from a plan
        gd = [f for f in rep["findings"] if f["rule"] == "GD-EVERYWHERE"]
        self.assertEqual([f["status"] for f in gd], ["UNKNOWN"])
        self.assertIn("whole account", gd[0]["message"])
        self.assert_no_secrets(out, err)

    def test_text_default_grouped_by_address(self):
        code, out, err = self.check("--repo-root", BASIC, "--baseline", BASELINE)
        self.assertEqual(code, 1, err)
        self.assertIn("aws_iam_role.flow  (main.tf:48)\n"
                      "  FAIL    critical CIS-1.16  No role has AdministratorAccess\n", out)
        self.assertIn("aws_network_acl.main  (main.tf:149)", out)
        self.assertIn("fix: remove-nacl-entries", out)
        # suppressed findings are not listed, counted
        self.assertNotIn("people[\"alice\"]", out)
        self.assertNotIn("module.net.aws_security_group.ssh", out)
        self.assertIn("findings: 4 FAIL, 0 ERROR, 3 UNKNOWN, 8 PASS; 3 suppressed", out)
        self.assertIn("1 finding(s) need the whole account", out)
        # stale exceptions and unreadable comments are reported, never silently dropped
        self.assertIn("main.tf:84: expired suppression of CIS-3.6,KMS-WILDCARD for "
                      "aws_kms_key.legacy (expired 2020-06-30)", err)
        self.assertIn("baseline.yaml:10: expired suppression of CIS-1.16 for aws_iam_role.flow",
                      err)
        self.assertIn("modules/net/rules.tf:2: parapet:ignore needs a rule id (ignored)", err)
        self.assert_no_secrets(out, err)

    # ---- exit codes ------------------------------------------------------------------------------

    def write(self, name, text):
        p = self.path(name)
        with open(p, "w") as f:
            f.write(text)
        return p

    def test_exit_codes(self):
        # everything failing accepted: 0; a resource's UNKNOWN fails only with --fail-on-unknown
        accept = self.write("accept.yaml", "\n".join(
            f"- {{rule: {r}, address: '*', reason: accepted in test}}"
            for r in ["CIS-5.2", "NACL-ADMIN", "CIS-1.14", "CIS-1.16", "VPC-FLOWLOG",
                      "SUBNET-PUBLIC-IP"]) + "\n")
        code, out, err = self.check("--baseline", accept)
        self.assertEqual(code, 0, out + err)
        code, _, err = self.check("--baseline", accept, "--fail-on-unknown")
        self.assertEqual(code, 1, err)
        # the account-wide UNKNOWN alone does not fail --fail-on-unknown
        only_gd = self.write("gd.yaml", "\n".join(
            f"- {{rule: {r}, address: '*', reason: r}}"
            for r in ["CIS-5.2", "NACL-ADMIN", "CIS-1.14", "CIS-1.16", "VPC-FLOWLOG",
                      "SUBNET-PUBLIC-IP", "KMS-WILDCARD"]) + "\n")
        code, _, err = self.check("--baseline", only_gd, "--fail-on-unknown")
        self.assertEqual(code, 0, err)
        # --fail-on: only the critical FAIL counts at critical
        code, _, _ = self.check("--fail-on", "critical")
        self.assertEqual(code, 1)
        no_crit = self.write("nocrit.yaml", "- {rule: CIS-1.16, address: aws_iam_role.flow, "
                             "reason: r, expires: 2099-01-01}\n")
        code, _, err = self.check("--fail-on", "critical", "--baseline", no_crit)
        self.assertEqual(code, 0, err)
        code, _, _ = self.check("--fail-on", "high", "--baseline", no_crit)
        self.assertEqual(code, 1)
        # an ERROR (a type mismatch) is an incomplete run: 3
        pack = os.path.join(self.tmp, "errpack")
        os.makedirs(pack)
        self.write("errpack/pack.yaml", "name: errpack\nversion: 1.0.0\ndescription: d\n")
        self.write("errpack/rules.yaml",
                   "- id: ERR-1\n  title: t\n  description: d\n  severity: high\n"
                   "  resource: AWS::EC2::VPC\n  assert: { path: CidrBlock, op: gt, value: 5 }\n")
        code, out, err = self.check(pack=pack)
        self.assertEqual(code, 3, out + err)
        self.assertIn("CidrBlock is a string, the rule expects a number", out)

    def test_invalid_input_exit_2(self):
        v2 = self.write("v2.json", '{"format_version": "2.0", "resource_changes": []}')
        code, out, err = self.check(plan=v2)
        self.assertEqual(code, 2)
        self.assertEqual(out, "")
        self.assertEqual(err, f"parapet: check: {v2}:1:20: unsupported plan format_version "
                              "\"2.0\" (parapet reads 1.x)\n")
        bad = self.write("bad.json", '{"format_version": "1.1",\n "resource_changes": [\n'
                                     '  {"address": "a",, }]}')
        code, out, err = self.check(plan=bad)
        self.assertEqual(code, 2)
        self.assertIn(f"{bad}:3:19: invalid JSON", err)
        with open(PLAN) as f:
            cut = self.write("cut.json", f.read()[:5000])
        code, _, err = self.check(plan=cut)
        self.assertEqual(code, 2)
        self.assertIn("(truncated file?)", err)
        code, _, err = self.check(plan=self.path("missing.json"))
        self.assertEqual(code, 2)
        self.assertIn("missing.json", err)
        code, _, err = self.check("--baseline", os.path.join(FIX, "baselines", "no_reason.yaml"))
        self.assertEqual(code, 2)
        self.assertIn("no_reason.yaml:1:3: entry needs a reason", err)
        code, _, err = self.check("--format", "html")
        self.assertEqual(code, 2)
        code, _, err = self.check("--repo-root", self.path("nope"))
        self.assertEqual(code, 2)
        code, _, err = harness.run(["check"], harness.clean_env(self.tmp))
        self.assertEqual(code, 2)
        self.assertIn("give one plan", err)
        broken = os.path.join(self.tmp, "broken")
        os.makedirs(broken)
        self.write("broken/pack.yaml", "name: broken\nversion: 1.0.0\ndescription: d\n")
        self.write("broken/rules.yaml", "- id: X\n  title: t\n  description: d\n"
                   "  severity: high\n  resource: AWS::EC2::VPC\n"
                   "  assert: { path: NoSuchKey, op: present }\n")
        code, out, err = self.check(pack=broken)
        self.assertEqual(code, 2)
        self.assertIn("rules.yaml:6:", err)

    # ---- SARIF and JUnit ---------------------------------------------------------------------------

    def sarif(self, *args):
        out = self.path("r.sarif")
        code, _, err = self.check("--out", out, *args)
        self.assertIn(code, (0, 1), err)
        with open(out) as f:
            return json.load(f), err

    def test_sarif_structure_and_locations(self):
        doc, err = self.sarif("--repo-root", BASIC, "--baseline", BASELINE)
        try:
            import jsonschema
            with open(os.path.join(harness.SHARED, "testdata", "sarif",
                                   "sarif-schema-2.1.0.json")) as f:
                jsonschema.validate(doc, json.load(f))
        except ImportError:
            pass
        self.assertEqual(doc["version"], "2.1.0")
        run = doc["runs"][0]
        rules = run["tool"]["driver"]["rules"]
        ids = [r["id"] for r in rules]
        self.assertEqual(len(ids), len(set(ids)))  # GitHub rejects duplicate rules
        for r in rules:
            self.assertTrue(r["shortDescription"]["text"])
            self.assertTrue(r["fullDescription"]["text"])
            self.assertTrue(r["help"]["text"])
            self.assertIsInstance(r["properties"]["security-severity"], str)
        by = {}
        for res in run["results"]:
            self.assertIn("primaryLocationLineHash", res["partialFingerprints"])
            name = res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
            by[(res["ruleId"], name)] = res
        def loc(key):
            p = by[key]["locations"][0]["physicalLocation"]
            return p["artifactLocation"]["uri"], p["region"]["startLine"]
        self.assertEqual(loc(("CIS-1.16", "aws_iam_role.flow")), ("main.tf", 48))
        self.assertEqual(loc(("CIS-5.2", "module.net.aws_security_group.ssh")),
                         ("modules/net/main.tf", 7))
        self.assertEqual(loc(("VPC-FLOWLOG", "module.remote.aws_vpc.this[0]")), ("main.tf", 250))
        self.assertEqual(loc(("SUBNET-PUBLIC-IP", "aws_subnet.private[1]")), ("main.tf", 20))
        # the account-wide UNKNOWN has no .tf block: the plan file
        self.assertEqual(loc(("GD-EVERYWHERE", "plan"))[0], "plan.json")
        # inline and baseline suppressions
        alice = by[("CIS-1.14", 'aws_iam_user.people["alice"]')]
        self.assertEqual(alice["suppressions"][0]["kind"], "inSource")
        self.assertEqual(alice["suppressions"][0]["justification"],
                         "break-glass users, tracked in SEC-42")
        ssh = by[("CIS-5.2", "module.net.aws_security_group.ssh")]
        self.assertEqual(ssh["suppressions"][0]["kind"], "external")
        self.assertNotIn("suppressions", by[("CIS-1.16", "aws_iam_role.flow")])  # expired
        self.assertEqual(by[("CIS-1.16", "aws_iam_role.flow")]["level"], "error")
        self.assert_no_secrets(json.dumps(doc), err)
        # stable across runs (fingerprints, order)
        again, _ = self.sarif("--repo-root", BASIC, "--baseline", BASELINE)
        self.assertEqual(doc, again)

    def test_sarif_without_repo_root_points_at_plan(self):
        doc, _ = self.sarif()
        for res in doc["runs"][0]["results"]:
            uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            self.assertTrue(uri.endswith("plan.json"), uri)
            self.assertNotIn("suppressions", res)  # inline comments need --repo-root

    def test_junit(self):
        out = self.path("r.xml")
        code, _, err = self.check("--out", out, "--repo-root", BASIC)
        self.assertEqual(code, 1, err)
        root = ET.parse(out).getroot()
        cases = {}
        for tc in root.iter("testcase"):
            cases[(tc.get("classname"), tc.get("name"))] = tc
        self.assertEqual(len(cases), len(EXPECTED) + 1)
        suppressed = {("CIS-1.14", 'aws_iam_user.people["alice"]')}  # the inline ignore
        for (rule, addr), status in EXPECTED.items():
            tc = cases[(rule, addr)]
            failed = status == "FAIL" and (rule, addr) not in suppressed
            skipped = status == "UNKNOWN" or (rule, addr) in suppressed
            self.assertEqual(tc.find("failure") is not None, failed, (rule, addr))
            self.assertEqual(tc.find("skipped") is not None, skipped, (rule, addr))
        with open(out) as f:
            self.assert_no_secrets(f.read(), err)

    def test_text_to_file(self):
        out = self.path("r.txt")
        code, stdout, err = self.check("--out", out)
        self.assertEqual(code, 1)
        self.assertEqual(stdout, "")
        with open(out) as f:
            text = f.read()
        self.assertIn("aws_iam_role.flow\n  FAIL    critical CIS-1.16", text)
        self.assertIn(f"wrote {out}", err)


if __name__ == "__main__":
    harness.main()
