"""parapet under faults. tests/faultproxy sits between parapet and moto (auth mode, so every
request it forwards must still carry a valid signature) and throttles, fails, drops connections,
slows bodies, denies calls, expires tokens and skews the clock. A scan must either come out exactly
as it would have without the faults, or say precisely what it could not assess: never PASS for
something it could not look at, never retry without bound, and one clear line for the failures a
person has to fix (credentials, clock, region)."""
import collections
import json
import os
import re
import shutil
import sys
import tempfile

import harness
import seed
from harness import Moto, TestCase, run

sys.path.insert(0, os.path.join(harness.SRC, "tests", "faultproxy"))
from faultproxy import FaultProxy  # noqa: E402

# GuardDuty is left out: moto's auth mode refuses every REST-JSON signature (design.md section 7);
# test_hostile covers its dialect against a moto without auth.
SERVICES = "account,iam,ec2,kms,cloudtrail,config,logs,cloudwatch,sns,s3"
REGIONS = "us-east-1,eu-west-1"
# Values moto changes between two scans of the same account: when the trail last delivered, when
# the scanning key was last used.
VOLATILE = re.compile(r"LastUsed|last_used|LatestDelivery|LatestNotification|LatestCloudWatch|"
                      r"LatestDigest", re.I)
# Operations that are called again with the same content by design (the credential report is
# polled until it is ready), so their repeats are not retries.
POLLED = {"GenerateCredentialReport", "GetCredentialReport"}


def normalise(v, key=""):
    if isinstance(v, dict):
        return {k: normalise(x, k) for k, x in v.items()}
    if isinstance(v, list):
        return [normalise(x, key) for x in v]
    return "<volatile>" if VOLATILE.search(key) else v


def inventory_lines(env, db):
    rc, out, err = run(["inventory", "--db", db], env)
    assert rc == 0, err
    lines = [normalise(json.loads(line)) for line in out.splitlines() if line.strip()]
    return sorted(lines, key=lambda r: (r["type"], r["id"], r["account"] or "", r["region"] or ""))


def retry_lines(stderr):
    return re.findall(r"aws: \S+ \S+: retrying after (\S+) \(attempt (\d+) of (\d+)\)", stderr)


class Faults(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = Moto(auth=True).start()
        try:
            seed.seed(cls.moto)
        except Exception:
            cls.moto.stop()
            raise
        cls.base = tempfile.mkdtemp(prefix="parapet-faults-")
        cls.clean_rc, cls.clean, cls.clean_report = cls.scan_once(cls.moto.url, "clean")

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()
        shutil.rmtree(cls.base, ignore_errors=True)

    @classmethod
    def env(cls, url, **extra):
        key, secret = cls.moto.keys()
        env = harness.clean_env(cls.base, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret,
                                AWS_REGION="us-east-1", PARAPET_RETRY_BASE_MS="2",
                                PARAPET_LOG="info")
        env["AWS_ENDPOINT_URL"] = url
        env.update(extra)
        return env

    @classmethod
    def scan_once(cls, url, name, args=(), **extra):
        """Scans through url into its own database; returns (exit code, inventory, report)."""
        db = os.path.join(cls.base, name + ".db")
        out = os.path.join(cls.base, name + "-out")
        env = cls.env(url, **extra)
        rc, stdout, stderr = run(["scan", "--db", db, "--out", out, "--region", REGIONS,
                                  "--services", SERVICES, "--format", "json,html",
                                  "--no-progress"] + list(args), env)
        assert rc in (0, 1, 3), f"scan exited {rc}: {stderr[-2000:]}"
        cls.last = (stdout, stderr, out)
        with open(os.path.join(out, "report.json")) as f:
            report = json.load(f)
        return rc, inventory_lines(env, db), report

    def coverage_errors(self, report):
        return [c for c in report["scan"]["coverage"] if c["status"] != "ok"]

    def assert_same_as_clean(self, rc, inv, report):
        self.assertEqual(self.coverage_errors(report), [])
        self.assertEqual(rc, self.clean_rc)
        self.assertEqual(len(inv), len(self.clean))
        for got, want in zip(inv, self.clean):
            self.assertEqual(got, want, f"{want['type']} {want['id']} differs under faults")
        counts = {k: report["summary"][k] for k in ("PASS", "FAIL", "ERROR", "MANUAL")}
        self.assertEqual(counts, {k: self.clean_report["summary"][k] for k in counts})

    def assert_bounded(self, proxy, max_attempts):
        for key, n in proxy.attempts_by_request().items():
            ops = {e["operation"] for e in proxy.log if e["key"] == key}
            if ops & POLLED:
                continue
            self.assertLessEqual(n, max_attempts, f"{ops} sent {n} times")

    # ---- transient faults: the result must not change -------------------------------------------

    def test_throttling_and_dropped_connections(self):
        """25% throttling in every dialect plus 3% connections cut mid-response: the scan
        completes with exactly the clean scan's inventory and findings, each fault costs exactly
        one logged retry, and no request is sent more than AWS_MAX_ATTEMPTS times."""
        with FaultProxy(self.moto.url, seed=25, throttle=0.25, drop=0.03,
                        drop_first=["ec2:DescribeSecurityGroups", "kms:ListKeys",
                                    "iam:GetAccountAuthorizationDetails"],
                        throttle_first=["ec2:DescribeVpcs", "kms:ListAliases", "sns:ListTopics",
                                        "s3:GetBucketLocation"]) as px:
            rc, inv, report = self.scan_once(px.url, "throttled", AWS_MAX_ATTEMPTS="10")
            stderr = self.last[1]
            throttles, drops = px.faults("throttle"), px.faults("drop")
            self.assertGreater(len(throttles), 10)
            self.assertGreaterEqual(len(drops), 3)
            dialects = {(e["service"], e["operation"]) for e in throttles}
            self.assert_same_as_clean(rc, inv, report)
            retries = retry_lines(stderr)
            self.assertEqual(len(retries), len(throttles) + len(drops), stderr[-3000:])
            codes = collections.Counter(code for code, _, _ in retries)
            for code in ("Throttling", "ThrottlingException", "RequestLimitExceeded", "SlowDown"):
                self.assertIn(code, codes, f"no retry after {code}; throttled: {dialects}")
            self.assertIn("ConnectionError", codes)  # what a cut connection is called
            self.assertTrue(all(total == "10" for _, _, total in retries))
            self.assert_bounded(px, 10)

    def test_server_errors_slow_bodies_and_latency(self):
        """500 and 503 answers, bodies that trickle in and random latency: same inventory, one
        retry per server error."""
        with FaultProxy(self.moto.url, seed=5, error5xx=0.15, slow=0.3,
                        latency=(0.0, 0.02)) as px:
            rc, inv, report = self.scan_once(px.url, "5xx", AWS_MAX_ATTEMPTS="10")
            errors = px.faults("http500") + px.faults("http503")
            self.assertGreater(len(errors), 3)
            self.assertGreater(len(px.faults("slow")), 3)
            self.assert_same_as_clean(rc, inv, report)
            self.assertEqual(len(retry_lines(self.last[1])), len(errors))
            self.assert_bounded(px, 10)

    def test_retry_quota_stops_a_storm(self):
        """Every call throttled, 10 attempts allowed: the client's retry quota (500, 5 a retry)
        ends the storm after about 100 retries instead of 9 per call, every call ends in a
        coverage error, and nothing is PASS or FAIL."""
        services = [s for s in ("iam", "ec2", "kms", "cloudtrail", "config", "logs",
                                "cloudwatch", "sns", "s3")]
        with FaultProxy(self.moto.url, seed=1, throttle=1.0, only=services) as px:
            rc, inv, report = self.scan_once(px.url, "storm", AWS_MAX_ATTEMPTS="10",
                                             PARAPET_RETRY_BASE_MS="1")
            stdout, stderr, _ = self.last
            throttled = px.faults("throttle")
            distinct = {e["key"] for e in throttled}
        self.assertEqual(rc, 3, stdout)
        retries = len(throttled) - len(distinct)
        self.assertLessEqual(retries, 101, "the quota did not bound the retries")
        self.assertLess(retries, len(distinct) * 9, "the quota did not cut the retries short")
        errors = self.coverage_errors(report)
        self.assertEqual(len(errors), len(report["scan"]["coverage"]))
        quota = [c for c in errors if c["error"].startswith("RetryQuotaExceeded")]
        self.assertGreater(len(quota), len(errors) // 2)
        self.assertIn("RetryQuotaExceeded", stderr)
        self.assertEqual(report["summary"]["PASS"], 0)
        self.assertEqual(report["summary"]["FAIL"], 0)
        self.assertGreater(report["summary"]["ERROR"], 0)
        # What remains is the account itself, every key it would have had marked as not collected.
        self.assertEqual([r["type"] for r in inv], ["AWS::::Account"])
        self.assertTrue(all(e.startswith("RetryQuotaExceeded") for e in inv[0]["errors"].values()))

    # ---- denied calls: ERROR, never PASS ---------------------------------------------------------

    def test_denied_service_and_operation_are_errors(self):
        """KMS denied entirely (JSON dialect) and EC2 DescribeSecurityGroups denied (EC2
        dialect): coverage records both errors, every finding about keys and security groups is
        ERROR where the clean scan had PASS and FAIL, the reports' coverage sections say why, and
        the other FAILs keep the exit code at 1."""
        with FaultProxy(self.moto.url, deny=["kms", "ec2:DescribeSecurityGroups"]) as px:
            rc, inv, report = self.scan_once(px.url, "denied")
            stdout, stderr, out = self.last
            self.assertGreater(len(px.faults("deny")), 0)
        self.assertEqual(rc, 1)
        errors = self.coverage_errors(report)
        for region in REGIONS.split(","):
            kms = [c for c in errors if c["service"] == "kms" and c["region"] == region]
            self.assertTrue(kms, f"no KMS coverage error in {region}")
            self.assertTrue(all(c["error"].startswith("AccessDeniedException: ") for c in kms))
            sg = [c for c in errors if c["operation"] == "DescribeSecurityGroups"
                  and c["region"] == region]
            self.assertEqual(len(sg), 1)
            self.assertTrue(sg[0]["error"].startswith("UnauthorizedOperation: "))
        denied_types = {"AWS::KMS::Key", "AWS::EC2::SecurityGroup"}
        for want in ("PASS", "FAIL"):
            self.assertTrue(any(f["resource"]["type"] in denied_types and f["status"] == want
                                for f in self.clean_report["findings"]),
                            f"the clean scan has no {want} to lose")
        about = [f for f in report["findings"] if f["resource"]["type"] in denied_types]
        self.assertTrue(about)
        self.assertEqual({f["status"] for f in about}, {"ERROR"},
                         [(f["rule"], f["status"]) for f in about if f["status"] != "ERROR"])
        self.assertFalse([r for r in inv if r["type"] in denied_types])
        self.assertIn("coverage errors: ", stdout)
        self.assertNotIn("coverage errors: 0", stdout)
        with open(os.path.join(out, "report.html")) as f:
            html = f.read()
        section = re.search(r'<section[^>]*id="coverage".*?</section>', html, re.S)
        self.assertIsNotNone(section, "the HTML report has no coverage section")
        section = section.group(0)
        self.assertIn("What could not be assessed", section)
        for needle in ("AccessDeniedException", "UnauthorizedOperation", "DescribeSecurityGroups",
                       "ListKeys"):
            self.assertIn(needle, section)
        # Other services were assessed as usual.
        self.assertTrue(any(r["type"] == "AWS::IAM::User" for r in inv))

    def write_pack(self):
        pack = os.path.join(self.tmp, "pack")
        os.makedirs(pack)
        with open(os.path.join(pack, "pack.yaml"), "w") as f:
            f.write("name: kms-only\nversion: 1.0.0\n")
        with open(os.path.join(pack, "kms.yaml"), "w") as f:
            f.write("- id: K-1\n  title: keys are enabled\n  description: d\n  severity: high\n"
                    "  resource: AWS::KMS::Key\n"
                    "  assert: {path: KeyMetadata.KeyState, op: eq, value: Enabled}\n"
                    "- id: K-2\n  title: the rotating key rotates\n  description: d\n"
                    "  severity: high\n  resource: AWS::KMS::Key\n"
                    "  where: {path: KeyMetadata.Description, op: eq, value: rotating}\n"
                    "  assert: {path: KeyRotationEnabled, op: eq, value: true}\n")
        return pack

    def test_denied_calls_without_failures_exit_3(self):
        """With only rules that pass, a denied follow-up call (GetKeyRotationStatus) makes that
        key's finding ERROR and a denied list call (ListKeys) makes the region's findings ERROR:
        exit 3 both times, exit 0 without the denial."""
        pack = self.write_pack()
        args = ["--policies", pack]
        rc, _, report = self.scan_once(self.moto.url, "kms-clean", args)
        self.assertEqual(rc, 0, self.last[0])
        self.assertEqual({f["status"] for f in report["findings"]}, {"PASS"})
        with FaultProxy(self.moto.url, deny=["kms:GetKeyRotationStatus"]) as px:
            rc, _, report = self.scan_once(px.url, "kms-rotation-denied", args)
        self.assertEqual(rc, 3, self.last[0])
        k2 = [f for f in report["findings"] if f["rule"] == "K-2"]
        self.assertEqual([f["status"] for f in k2], ["ERROR"])
        self.assertIn("GetKeyRotationStatus", json.dumps(k2[0]))
        self.assertTrue(all(f["status"] == "PASS" for f in report["findings"] if f["rule"] == "K-1"))
        self.assertIn("result: exit 3", self.last[0])
        with FaultProxy(self.moto.url, deny=["kms:ListKeys"]) as px:
            rc, _, report = self.scan_once(px.url, "kms-list-denied", args)
        self.assertEqual(rc, 3)
        statuses = collections.Counter((f["rule"], f["status"]) for f in report["findings"])
        self.assertEqual(set(statuses), {("K-1", "ERROR"), ("K-2", "ERROR")})

    # ---- one clear line ---------------------------------------------------------------------------

    def one_line(self, stderr, needle):
        lines = [l for l in stderr.splitlines() if needle in l]
        self.assertEqual(len(lines), 1, stderr)
        return lines[0]

    def doctor(self, url):
        env = self.env(url, PARAPET_LOG="warn")
        return run(["doctor", "--services", "iam,kms"], env)

    def test_expired_session_token(self):
        with FaultProxy(self.moto.url, expired_token=True) as px:
            rc, inv, report = self.scan_once(px.url, "expired")
            stderr = self.last[1]
            line = self.one_line(stderr, "ExpiredToken")
            self.assertIn("GetCallerIdentity", line)
            self.assertIn("the session token has expired", line)
            self.assertEqual(rc, 3)
            self.assertEqual(inv, [])
            self.assertEqual(len(px.log), 1, "nothing is called after the identity is refused")
            rc, out, err = self.doctor(px.url)
        self.assertEqual(rc, 3)
        line = self.one_line(err, "ExpiredToken")
        self.assertTrue(line.startswith("parapet: doctor: "), line)
        self.assertIn("the session token has expired", line)

    def test_clock_20_minutes_off(self):
        """The proxy's clock runs 20 minutes ahead, as AWS's would for a machine 20 minutes
        behind: the signature is refused as expired, and parapet says to check the clock."""
        with FaultProxy(self.moto.url, clock_offset_s=1200) as px:
            rc, inv, report = self.scan_once(px.url, "clock")
            line = self.one_line(self.last[1], "Signature expired")
            self.assertIn("clock is off", line)
            self.assertEqual(rc, 3)
            rc, out, err = self.doctor(px.url)
        self.assertEqual(rc, 3)
        self.assertIn("clock is off", self.one_line(err, "Signature expired"))
        with FaultProxy(self.moto.url, clock_offset_s=240) as px:
            rc, inv, report = self.scan_once(px.url, "clock-4min")
        self.assertEqual(self.coverage_errors(report), [], "4 minutes is within what AWS accepts")

    def test_wrong_region(self):
        """A region that does not exist, and an opt-in region the account has not enabled: one
        line each, coverage errors for every regional collector there, no call sent there, and the
        good region scanned as usual."""
        with FaultProxy(self.moto.url) as px:
            rc, inv, report = self.scan_once(px.url, "region",
                                             ["--region", "us-east-7,ap-east-1"])
            sent = {e["region"] for e in px.log}
        stderr = self.last[1]
        line = self.one_line(stderr, "us-east-7")
        self.assertIn("is not a region", line)
        line = self.one_line(stderr, "ap-east-1")
        self.assertIn("not enabled", line)
        self.assertNotIn("us-east-7", sent)
        self.assertNotIn("ap-east-1", sent)
        bad = {c["region"] for c in self.coverage_errors(report)}
        self.assertEqual(bad, {"us-east-7", "ap-east-1"})
        self.assertTrue(any(r["region"] == "us-east-1" for r in inv))
        for f in report["findings"]:
            if f["resource"]["region"] in ("us-east-7", "ap-east-1"):
                self.assertIn(f["status"], ("ERROR", "MANUAL"), f)


if __name__ == "__main__":
    harness.main()
