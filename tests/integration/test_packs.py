"""The policy packs against a drifted account: moto in auth mode seeded by seed.py (GuardDuty
through a second moto without auth mode, which moto 5.2's auth mode refuses, as demo/demo.py
does), one `parapet scan` with the shipped packs, and the exact status of every planted case in
report.json. Also: the packs lint clean with every environment, every remediation names an action
of the shared vocabulary, and every CIS 3.0 control of sections 1, 3, 4 and 5 has its rule."""
import json
import os

import harness
import reportcheck
import seed
from harness import Moto, TestCase, run

ACCOUNT = harness.MAIN_ACCOUNT
POLICIES = os.path.join(harness.SRC, "policies")

# The remediation action vocabulary (shared with remediate/actions/).
ACTIONS = {"revoke-ingress", "strip-default-security-group", "remove-nacl-entries",
           "enable-key-rotation", "configure-trail", "start-trail-logging", "create-flow-logs",
           "set-password-policy", "enable-bucket-logging", "deactivate-access-key",
           "detach-user-policies", "enable-config", "enable-guardduty", "create-trail",
           "create-cis-alarm", "provision"}

CIS_CONTROLS = (["1.%d" % i for i in range(1, 23)] + ["3.%d" % i for i in range(1, 10)]
                + ["4.%d" % i for i in range(1, 17)] + ["5.%d" % i for i in range(1, 7)])
MANUAL = {"1.1", "1.2", "1.3", "1.18", "1.21", "1.22", "5.5"}
NOT_COLLECTED = {"1.20", "4.16"}


def component_paths(node, prefix=""):
    """Every component path of architecture.yaml's `components` (a mapping with a `type`)."""
    if isinstance(node, dict) and "type" in node:
        return {prefix}
    out = set()
    for k, v in (node or {}).items():
        out |= component_paths(v, f"{prefix}.{k}" if prefix else k)
    return out


class PacksOnDriftedAccount(TestCase):
    @classmethod
    def setUpClass(cls):
        import tempfile
        cls.dir = tempfile.mkdtemp(prefix="parapet-packs-")
        cls.moto = Moto(auth=True).start()
        cls.gd = Moto(auth=False).start()
        try:
            cls.ids = seed.seed(cls.moto)
            seed.seed_guardduty(cls.gd)
            key, secret = cls.moto.keys()
            env = harness.clean_env(cls.dir, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret,
                                    AWS_REGION="us-east-1", AWS_ENDPOINT_URL=cls.moto.url,
                                    AWS_ENDPOINT_URL_GUARDDUTY=cls.gd.url, PARAPET_POLICIES=POLICIES)
            cls.out = os.path.join(cls.dir, "out")
            cls.rc, cls.stdout, cls.stderr = run(
                ["scan", "--region", "us-east-1,eu-west-1", "--db", os.path.join(cls.dir, "p.db"),
                 "--out", cls.out, "--format", "json", "--no-progress"], env, timeout=600)
        finally:
            cls.moto.stop()
            cls.gd.stop()
        cls.report = None
        path = os.path.join(cls.out, "report.json")
        if os.path.exists(path):
            cls.report = reportcheck.check_report_json(path)

    @classmethod
    def tearDownClass(cls):
        import shutil
        shutil.rmtree(cls.dir, ignore_errors=True)

    def findings(self, rule):
        return [f for f in self.report["findings"] if f["rule"] == rule]

    def test_scan_fails_on_the_planted_drift(self):
        self.assertEqual(self.rc, 1, self.stderr[-3000:])
        self.assertIsNotNone(self.report)
        self.assertEqual(self.report["scan"]["regions"], ["us-east-1", "eu-west-1"])
        # every call of the scan succeeded: no status below comes from a coverage gap
        bad = [c for c in self.report["scan"]["coverage"] if c["status"] != "ok"]
        self.assertEqual(bad, [])

    def test_every_planted_case_has_its_exact_status(self):
        self.assertGreater(len(seed.PLANTED), 100)
        wrong = []
        for case in seed.PLANTED:
            rule, res, want = case["rule"], case["resource"], case["status"]
            got = [f for f in self.findings(rule) if f["resource"]["id"] == res]
            statuses = [f["status"] for f in got]
            if want is None:
                if statuses:
                    wrong.append(f"{rule} {res}: expected no finding, got {statuses}")
            elif statuses != [want]:
                wrong.append(f"{rule} {res}: expected {want}, got {statuses or 'no finding'}"
                             + (f" ({got[0]['message']})" if got else ""))
        self.assertEqual(wrong, [], "\n".join(wrong))

    def test_failures_carry_evidence_and_remediation(self):
        by_rule = {}
        for f in self.report["findings"]:
            by_rule.setdefault(f["rule"], []).append(f)
        # the open SSH permission, exactly, is what revoke-ingress would act on
        f = [x for x in by_rule["CIS-5.2"] if x["resource"]["id"] == self.ids["sgs"]["open-ssh"]][0]
        self.assertEqual(f["remediation"]["action"], "revoke-ingress")
        self.assertEqual(f["remediation"]["cidrs"], ["0.0.0.0/0"])
        self.assertEqual([e["path"] for e in f["evidence"]], ["IpPermissions[0]"])
        self.assertEqual(f["evidence"][0]["value"]["FromPort"], 22)
        # the NACL entry that lets RDP in, not the whole ACL
        f = [x for x in by_rule["CIS-5.1"] if x["resource"]["id"] == self.ids["nacls"]["open-rdp"]][0]
        self.assertEqual(f["remediation"]["action"], "remove-nacl-entries")
        self.assertIn("entry 100 allows tcp 3389", f["message"])
        # bob's two keys are the evidence; the engine keeps the one used last
        f = [x for x in by_rule["CIS-1.13"] if x["resource"]["id"] == "bob"][0]
        self.assertEqual(f["remediation"], {"action": "deactivate-access-key", "targets": "matched",
                                            "keep_one": True})
        self.assertEqual(sum(1 for e in f["evidence"] if "value" in e), 2)
        # the password policy is sent whole, with the pack's values
        f = by_rule["CIS-1.8"][0]
        self.assertEqual(f["remediation"]["min_length"], 14)
        self.assertEqual(f["remediation"]["reuse"], 24)
        # a missing component names its path in architecture.yaml
        f = [x for x in by_rule["REF-NAT-GATEWAY-B"]][0]
        self.assertEqual(f["remediation"], {"action": "provision", "component": "nat_gateways.b"})
        self.assertEqual(f["frameworks"], {"reference-architecture": ["nat_gateways.b"]})
        # the 4.x remediation carries the published pattern and where to send the alarm
        f = by_rule["CIS-4.3"][0]
        self.assertEqual(f["remediation"]["action"], "create-cis-alarm")
        self.assertIn('$.userIdentity.type = "Root"', f["remediation"]["pattern"])
        self.assertEqual(set(f["remediation"]["subscription"]), {"protocol", "endpoint"})

    def test_every_cis_control_is_reported(self):
        controls = {}
        for c in self.report["controls"]:
            for cid in c["frameworks"].get("cis-aws-3.0", []):
                controls[cid] = c
        self.assertEqual(sorted(controls), sorted(CIS_CONTROLS))
        for cid in MANUAL:
            self.assertEqual(controls[cid]["status"], "MANUAL", cid)
        for cid in NOT_COLLECTED:
            self.assertEqual(controls[cid]["status"], "ERROR", cid)
            f = self.findings(f"CIS-{cid}")[0]
            self.assertIn("not collected yet", f["message"])


class PacksStatic(TestCase):
    def rules(self):
        rc, out, err = run(["rules", "list", "--format", "json", POLICIES],
                           harness.clean_env(self.tmp))
        self.assertEqual(rc, 0, err)
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def test_lint_with_every_environment(self):
        for env in (None, "development", "staging", "production"):
            args = ["rules", "lint"] + (["--env", env] if env else []) + [POLICIES]
            rc, out, err = run(args, harness.clean_env(self.tmp))
            self.assertEqual(rc, 0, f"{env}: {out}{err}")

    def test_remediations_use_the_shared_vocabulary(self):
        rules = self.rules()
        self.assertGreater(len(rules), 100)
        used = set()
        for r in rules:
            if r["remediation"]:  # the action's name
                self.assertIn(r["remediation"], ACTIONS, r["id"])
                used.add(r["remediation"])
        # enable-guardduty and enable-config stay for other packs: the reference pack provisions
        self.assertGreaterEqual(len(used), 13)

    def test_provision_names_components_of_the_architecture(self):
        import yaml
        with open(os.path.join(POLICIES, "reference", "architecture.yaml")) as f:
            arch = yaml.safe_load(f)
        paths = component_paths(arch["components"])
        self.assertIn("subnets.public-a", paths)
        self.assertIn("iam.roles.support", paths)
        named = set()
        for pack in ("cis-aws-3.0", "reference"):
            folder = os.path.join(POLICIES, pack)
            for name in os.listdir(folder):
                if not name.endswith(".yaml") or name.endswith(".test.yaml") or name in (
                        "pack.yaml", "architecture.yaml"):
                    continue
                with open(os.path.join(folder, name)) as f:
                    for doc in yaml.safe_load_all(f):
                        for r in doc if isinstance(doc, list) else [doc]:
                            rem = r.get("remediation") or {}
                            if rem.get("action") == "provision":
                                named.add(rem["component"])
        self.assertGreater(len(named), 50)
        self.assertEqual(sorted(named - paths), [])
        # every ref inside the architecture names a component
        refs = set()

        def walk(v):
            if isinstance(v, dict):
                if set(v) <= {"ref", "attr"} and "ref" in v:
                    refs.add(v["ref"])
                for x in v.values():
                    walk(x)
            elif isinstance(v, list):
                for x in v:
                    walk(x)
        walk(arch["components"])
        self.assertEqual(sorted(refs - paths), [])


if __name__ == "__main__":
    harness.main()
