"""`parapet rules lint|test|list` and the rules engine end to end through the binary.

No AWS here: packs are written to temporary folders, inventories are imported as JSON lines and
evaluated with `parapet evaluate`, and the native report is read back. Covers exit codes (0, 1,
2), the file:line:col diagnostics, the "N passed, N failed" summary, the default pack lookup,
environment overlays, suppressions, and that evidence reaches the report.
"""
import json
import os
import textwrap
import unittest

import harness

FIXTURES = os.path.join(harness.SRC, "tests", "fixtures", "rules", "packs")
NOW = "2024-06-01T00:00:00Z"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text))


class RulesCli(harness.TestCase):
    def env(self, **extra):
        settings = {"PARAPET_NOW": NOW, "PARAPET_POLICIES": None}
        settings.update(extra)
        return harness.clean_env(self.tmp, **settings)

    def pack(self, rules, tests=None, name="p"):
        d = os.path.join(self.tmp, name)
        write(os.path.join(d, "pack.yaml"), "name: %s\nversion: 1.0.0\n" % name)
        write(os.path.join(d, "rules.yaml"), rules)
        if tests:
            write(os.path.join(d, "rules.test.yaml"), tests)
        return d

    def test_lint_clean_pack(self):
        rc, out, err = harness.run(["rules", "lint", FIXTURES], self.env())
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"^\d+ rules in 1 pack: ok\n$")

    def test_lint_reports_every_problem_with_its_position(self):
        d = self.pack("""\
            - id: BAD-1
              title: t
              description: d
              severity: huge
              resource: AWS::EC2::SecurityGroup
              assert: { path: GroupNam, op: eq, value: x }
            - id: BAD-2
              title: t
              description: d
              severity: low
              resource: AWS::EC2::SecurityGroup
              assert: { path: GroupName, op: regex, value: "(" }
            """)
        rc, out, err = harness.run(["rules", "lint", d], self.env())
        self.assertEqual(rc, 2)
        self.assertEqual(out, "")
        rules = os.path.join(d, "rules.yaml")
        self.assertEqual(err.splitlines(), [
            "%s:4:13: 'huge' is not a severity (critical, high, medium, low, info)" % rules,
            "%s:6:19: path 'GroupNam' is not declared for AWS::EC2::SecurityGroup" % rules,
            "%s:12:48: invalid regex '(': missing closing parenthesis at offset 1" % rules,
            "parapet: rules lint: 3 problems found",
        ])
        # scan and evaluate refuse the same pack before doing anything
        rc, out, err = harness.run(["rules", "list", d], self.env())
        self.assertEqual(rc, 2)

    def test_lint_wants_pass_and_fail_cases(self):
        d = self.pack("""\
            id: T-1
            title: t
            description: d
            severity: low
            resource: AWS::EC2::VPC
            assert: { path: State, op: eq, value: available }
            """, """\
            rule: T-1
            cases:
              - resources: [{ id: v, doc: { State: available } }]
                expect: { v: PASS }
            """)
        rc, out, err = harness.run(["rules", "lint", d], self.env())
        self.assertEqual(rc, 2)
        self.assertIn("rules.yaml:1:5: rule 'T-1' has no test case expecting FAIL", err)
        # test still runs what there is
        rc, out, err = harness.run(["rules", "test", d], self.env())
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "1 passed, 0 failed\n")

    def test_test_runs_cases_and_reports_failures(self):
        rc, out, err = harness.run(["rules", "test", FIXTURES], self.env())
        self.assertEqual(rc, 0, out + err)
        self.assertRegex(out.splitlines()[-1], r"^\d+ passed, 0 failed$")
        d = self.pack("""\
            id: T-2
            title: t
            description: d
            severity: low
            resource: AWS::EC2::VPC
            assert: { path: State, op: eq, value: available }
            """, """\
            rule: T-2
            cases:
              - name: good
                resources: [{ id: v1, doc: { State: available } }]
                expect: { v1: PASS }
              - name: wrong on purpose
                resources: [{ id: v2, doc: { State: pending } }]
                expect: { v2: PASS }
            """)
        rc, out, err = harness.run(["rules", "test", d], self.env())
        self.assertEqual(rc, 1)
        lines = out.splitlines()
        self.assertEqual(lines[-1], "1 passed, 1 failed")
        self.assertIn("T-2, case 'wrong on purpose': v2: expected PASS, got FAIL: State is "
                      "'pending', expected eq 'available'", lines[0])

    def test_environment_overlay(self):
        # the fixture pack's prod overlay changes the subnets its test expects
        rc, out, err = harness.run(["rules", "test", "--env", "prod", FIXTURES], self.env())
        self.assertEqual(rc, 1)
        self.assertIn("#prod-a", out)
        rc, out, err = harness.run(["rules", "lint", "--env", "nope", FIXTURES], self.env())
        self.assertEqual(rc, 2)
        self.assertIn("environment 'nope' not found", err)

    def test_list_and_default_lookup(self):
        rc, out, err = harness.run(["rules", "list"], self.env(PARAPET_POLICIES=FIXTURES))
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertTrue(lines[0].startswith("ID "))
        sg = [l for l in lines if l.startswith("EX-SG-ADMIN ")]
        self.assertEqual(len(sg), 1)
        self.assertEqual(sg[0].split(), ["EX-SG-ADMIN", "high", "check", "AWS::EC2::SecurityGroup",
                                         "revoke-ingress", "example:1.1"])
        rc, out, err = harness.run(["rules", "list", "--format", "json", FIXTURES], self.env())
        self.assertEqual(rc, 0, err)
        rows = [json.loads(l) for l in out.splitlines()]
        kinds = {r["id"]: r["kind"] for r in rows}
        self.assertEqual(kinds["EX-GUARDDUTY"], "exists")
        self.assertEqual(kinds["EX-CONTACTS"], "manual")
        self.assertEqual(kinds["EX-ANALYZER"], "error")
        rc, out, err = harness.run(["rules", "frobnicate"], self.env())
        self.assertEqual(rc, 2)
        rc, out, err = harness.run(["rules", "list", os.path.join(self.tmp, "nowhere")],
                                   self.env())
        self.assertEqual(rc, 2)
        self.assertIn("nowhere: no such policy folder", err)

    def test_evaluate_end_to_end(self):
        """Import resources, evaluate the fixture pack, read statuses and evidence back."""
        inv = os.path.join(self.tmp, "inv.jsonl")
        lines = [
            {"type": "AWS::EC2::SecurityGroup", "id": "sg-open", "arn": None,
             "account": "111122223333", "region": "us-east-1",
             "document": {"GroupId": "sg-open", "IpPermissions": [
                 {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                  "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
                 {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}},
            {"type": "AWS::EC2::SecurityGroup", "id": "sg-closed", "arn": None,
             "account": "111122223333", "region": "us-east-1",
             "document": {"GroupId": "sg-closed", "IpPermissions": []}},
            {"type": "AWS::KMS::Key", "id": "k1", "arn": None, "account": "111122223333",
             "region": "us-east-1",
             "document": {"KeyMetadata": {"KeyManager": "CUSTOMER", "KeySpec": "SYMMETRIC_DEFAULT",
                                          "KeyState": "Enabled"}},
             "errors": {"KeyRotationEnabled": "GetKeyRotationStatus: AccessDeniedException: no"}},
        ]
        with open(inv, "w") as f:
            for l in lines:
                f.write(json.dumps(l) + "\n")
        db = os.path.join(self.tmp, "p.db")
        rc, out, err = harness.run(["inventory", "import", inv, "--db", db], self.env())
        self.assertEqual(rc, 0, err)
        supp = os.path.join(self.tmp, "supp.yaml")
        write(supp, """\
            - rule: EX-SG-ADMIN
              resource: sg-open
              owner: alice
              reason: demo
              expires: 2030-01-01
            """)
        outdir = os.path.join(self.tmp, "out")
        rc, out, err = harness.run(["evaluate", "--db", db, "--policies", FIXTURES,
                                    "--suppressions", supp, "--out", outdir, "--format", "json"],
                                   self.env())
        # the existence rules fail (no detector, no reference subnets in us-east-1): exit 1
        self.assertEqual(rc, 1, out + err)
        with open(os.path.join(outdir, "report.json")) as f:
            report = json.load(f)
        by = {(x["rule"], x["resource"]["id"]): x for x in report["findings"]}
        open_sg = by[("EX-SG-ADMIN", "sg-open")]
        self.assertEqual(open_sg["status"], "FAIL")
        self.assertTrue(open_sg["suppressed"])
        self.assertEqual(open_sg["suppression"]["owner"], "alice")
        self.assertEqual([e["path"] for e in open_sg["evidence"]], ["IpPermissions[1]"])
        self.assertEqual(by[("EX-SG-ADMIN", "sg-closed")]["status"], "PASS")
        key = by[("EX-KMS-ROTATION", "k1")]
        self.assertEqual(key["status"], "ERROR")
        self.assertIn("GetKeyRotationStatus", key["message"])
        self.assertEqual(by[("EX-CONTACTS", "111122223333")]["status"], "MANUAL")
        gd = by[("EX-GUARDDUTY", "111122223333/us-east-1")]
        self.assertEqual(gd["status"], "FAIL")
        self.assertEqual(gd["resource"]["type"], "AWS::GuardDuty::Detector")
        self.assertIn("no AWS::GuardDuty::Detector in 111122223333/us-east-1", gd["message"])
        subnet = by[("EX-SUBNETS", "111122223333/us-east-1#public-b")]
        self.assertEqual(subnet["evidence"][0]["item"], {"name": "public-b", "cidr": "10.0.2.0/24"})


if __name__ == "__main__":
    harness.main()
