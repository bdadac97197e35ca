"""Hostile input, end to end through the binary. AWS answers are rewritten by tests/faultproxy
into what a broken or malicious endpoint could send (200 MB bodies, deep nesting, truncation,
wrong types, invalid UTF-8, unconvertible encodings): parapet must keep its memory bounded, mark
exactly the affected call in coverage with a clear error, turn the rules that needed it into ERROR,
print nothing but its own lines, and never crash. Policies, plans, baselines and suppressions that
are alias bombs, deeply nested or enormous are refused with exit 2 before anything is evaluated."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import harness
import seed
from harness import Moto, TestCase, run

sys.path.insert(0, os.path.join(harness.SRC, "tests", "faultproxy"))
from faultproxy import FaultProxy, Response  # noqa: E402

SERVICES = "account,iam,ec2,kms,cloudtrail,config,logs,cloudwatch,sns,s3"
MB = 1024 * 1024
# A line parapet itself writes to stderr: a log line or a "parapet: ..." error.
OWN_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (error|warn |info |debug|trace) \S+: |"
                      r"parapet: )")


def sanitized():
    """True when the binary under test is built with AddressSanitizer (its allocator keeps freed
    memory in quarantine, so resident memory says less about parapet's own bound)."""
    with open(harness.PARAPET, "rb") as f:
        return b"__asan_init" in f.read()


def replace(body, status=200, ctype="text/xml"):
    def fn(resp, req):
        b = body(resp.body) if callable(body) else body
        return Response(status, "OK", [("Content-Type", ctype)], b)
    return fn


class Stream:
    """An endless-looking body of `total` bytes, counting what was actually sent before the client
    hung up."""

    def __init__(self, total, head=b"<DescribeVpcsResponse><vpcSet>"):
        self.total = total
        self.head = head
        self.sent = 0

    def __iter__(self):
        yield self.head
        self.sent = len(self.head)
        piece = b"<item><vpcId>vpc-0</vpcId></item>" * (MB // 34)
        while self.sent < self.total:
            chunk = piece[: self.total - self.sent]
            yield chunk
            self.sent += len(chunk)


def huge(stream, announce):
    def fn(resp, req):
        r = Response(200, "OK", [("Content-Type", "text/xml")], stream)
        r.length = stream.total if announce else None
        return r
    return fn


def run_measured(args, env):
    """Runs parapet under a small Python parent whose only child it is, so RUSAGE_CHILDREN is
    parapet's own peak resident memory. Returns (rc, stdout, stderr, peak bytes)."""
    code = ("import resource, subprocess, sys\n"
            "p = subprocess.run(sys.argv[1:], capture_output=True)\n"
            "sys.stdout.buffer.write(p.stdout)\n"
            "sys.stderr.buffer.write(p.stderr)\n"
            "sys.stderr.write('\\nPEAK_RSS_KB %d\\n' % "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
            "sys.exit(p.returncode)\n")
    p = subprocess.run([sys.executable, "-c", code, harness.PARAPET] + list(args), env=env,
                       capture_output=True, text=True, timeout=600)
    m = re.search(r"\nPEAK_RSS_KB (\d+)\n$", p.stderr)
    return p.returncode, p.stdout, p.stderr[: m.start()], int(m.group(1)) * 1024


class Responses(TestCase):
    """moto in auth mode, seeded; each test rewrites some answers on the way back."""

    @classmethod
    def setUpClass(cls):
        cls.moto = Moto(auth=True).start()
        try:
            seed.seed(cls.moto)
        except Exception:
            cls.moto.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def scan(self, rewrite, regions="us-east-1", measure=False, **extra):
        db = os.path.join(self.tmp, "p.db")
        out = os.path.join(self.tmp, "out")
        env = self.env_for(self.moto, PARAPET_RETRY_BASE_MS="2", **extra)
        with FaultProxy(self.moto.url, rewrite=rewrite) as px:
            env["AWS_ENDPOINT_URL"] = px.url
            args = ["scan", "--db", db, "--out", out, "--region", regions, "--services", SERVICES,
                    "--format", "json,html", "--no-progress"]
            if measure:
                rc, stdout, stderr, peak = run_measured(args, env)
            else:
                (rc, stdout, stderr), peak = run(args, env), None
            self.rewritten = [e for e in px.log if e["fault"] == "rewrite"]
        self.assertIn(rc, (1, 3), f"scan exited {rc}: {stderr[-3000:]}")
        for line in stderr.splitlines():
            self.assertRegex(line, OWN_LINE, "a line parapet did not write reached stderr")
        with open(os.path.join(out, "report.json")) as f:
            report = json.load(f)
        return report, stdout, stderr, peak

    def error_of(self, report, service, operation, region="us-east-1"):
        errs = [c["error"] for c in report["scan"]["coverage"]
                if c["service"] == service and c["operation"] == operation
                and c["region"] == region and c["status"] == "error"]
        self.assertEqual(len(errs), 1, report["scan"]["coverage"])
        return errs[0]

    def statuses(self, report, rtype, region="us-east-1"):
        return {f["status"] for f in report["findings"]
                if f["resource"]["type"] == rtype and f["resource"]["region"] in (region, None)}

    def test_200mb_body_without_length(self):
        """A chunked 200 MB answer: parapet stops reading at its 64 MiB limit, the call fails as
        ResponseTooLarge (no retry: another attempt would be as large), VPC rules are ERROR, and
        parapet's memory stays far below the body's size."""
        stream = Stream(200 * MB)
        report, stdout, stderr, peak = self.scan({"ec2:DescribeVpcs": huge(stream, False)},
                                                 measure=True)
        err = self.error_of(report, "ec2", "DescribeVpcs")
        self.assertTrue(err.startswith("ResponseTooLarge: response larger than the 67108864 byte "
                                       "limit"), err)
        self.assertEqual(len(self.rewritten), 1)
        self.assertLess(stream.sent, 100 * MB, "parapet kept reading past its limit")
        self.assertEqual(self.statuses(report, "AWS::EC2::VPC"), {"ERROR"})
        limit = 400 * MB if sanitized() else 180 * MB
        self.assertLess(peak, limit, f"peak resident memory {peak // MB} MB")

    def test_200mb_body_announced(self):
        """The same size announced in Content-Length is refused before a byte is buffered."""
        stream = Stream(200 * MB)
        report, *_ = self.scan({"ec2:DescribeVpcs": huge(stream, True)})
        self.assertTrue(self.error_of(report, "ec2", "DescribeVpcs").startswith("ResponseTooLarge"))
        self.assertLess(stream.sent, 100 * MB)

    def test_nested_truncated_invalid_utf8_and_encoding(self):
        """One scan, six broken answers across the query, EC2 and JSON dialects: each call fails
        with a clear InvalidResponse that names the call and the problem, and nothing else."""
        deep_xml = ("<DescribeSecurityGroupsResponse>" + "<item>" * 50000 + "</item>" * 50000
                    + "</DescribeSecurityGroupsResponse>").encode()
        deep_json = b'{"Keys": ' + b"[" * 50000 + b"]" * 50000 + b"}"
        rewrite = {
            "ec2:DescribeSecurityGroups": replace(deep_xml),
            "kms:ListKeys": replace(deep_json, ctype="application/x-amz-json-1.1"),
            "iam:GetAccountAuthorizationDetails": replace(lambda b: b[: len(b) // 2]),
            "cloudtrail:DescribeTrails": replace(lambda b: b[: len(b) // 2],
                                                 ctype="application/x-amz-json-1.1"),
            "ec2:DescribeVpcs": replace(lambda b: b.replace(b"</vpcId>", b"\xff\xfe</vpcId>", 1)),
            "config:DescribeConfigurationRecorders": replace(
                b'{"ConfigurationRecorders": [{"name": "\xc3\x28"}]}',
                ctype="application/x-amz-json-1.1"),
            "ec2:DescribeNetworkAcls": replace(
                b'<?xml version="1.0" encoding="ISO-2022-JP"?><DescribeNetworkAclsResponse>'
                b'\x1b$B\xff\xff</DescribeNetworkAclsResponse>'),
        }
        report, stdout, stderr, _ = self.scan(rewrite)
        expect = {
            ("ec2", "DescribeSecurityGroups"): "malformed XML at line 1: Excessive depth",
            ("kms", "ListKeys"): "maximum parsing depth",
            ("iam", "GetAccountAuthorizationDetails"): "malformed XML",
            ("cloudtrail", "DescribeTrails"): "JSON",
            ("ec2", "DescribeVpcs"): "malformed XML",
            ("config", "DescribeConfigurationRecorders"): "JSON",
            ("ec2", "DescribeNetworkAcls"): "malformed XML",
        }
        for (svc, op), why in expect.items():
            err = self.error_of(report, svc, op, "global" if svc == "iam" else "us-east-1")
            self.assertTrue(err.startswith("InvalidResponse: "), err)
            self.assertIn(why, err, err)
        errors = [c for c in report["scan"]["coverage"] if c["status"] == "error"]
        self.assertEqual(len(errors), len(expect), errors)
        for rtype in ("AWS::EC2::SecurityGroup", "AWS::KMS::Key", "AWS::CloudTrail::Trail",
                      "AWS::EC2::VPC", "AWS::EC2::NetworkAcl"):
            self.assertEqual(self.statuses(report, rtype), {"ERROR"}, rtype)
        self.assertNotIn("encoding error", stderr)

    def test_wrong_types(self):
        """A list that arrives as a number, text where list items belong: the call fails (it
        would otherwise read as empty and its rules pass); a port that is not a number is kept,
        and the rules reading it say ERROR for that group."""
        def port_text(b):
            return b.replace(b"<fromPort>22</fromPort>", b"<fromPort>twenty-two</fromPort>")
        rewrite = {
            "kms:ListKeys": replace(b'{"Keys": 5}', ctype="application/x-amz-json-1.1"),
            "ec2:DescribeNetworkAcls": replace(
                lambda b: re.sub(rb"<entrySet>.*?</entrySet>", b"<entrySet>allow all</entrySet>",
                                 b, flags=re.S)),
            "ec2:DescribeSecurityGroups": replace(port_text),
        }
        report, *_ = self.scan(rewrite)
        for svc, op in (("kms", "ListKeys"), ("ec2", "DescribeNetworkAcls")):
            err = self.error_of(report, svc, op)
            self.assertRegex(err, r"^InvalidResponse: \S+ \S+: \d+ values? of the wrong type")
        self.assertEqual(self.statuses(report, "AWS::KMS::Key"), {"ERROR"})
        self.assertEqual(self.statuses(report, "AWS::EC2::NetworkAcl"), {"ERROR"})
        ssh = [f for f in report["findings"] if f["rule"] == "CIS-5.2" and f["status"] == "ERROR"]
        self.assertTrue(ssh, "a port that is not a number must make CIS-5.2 ERROR")
        self.assertIn("FromPort is not a number", ssh[0]["message"])


class RestResponses(TestCase):
    """GuardDuty (REST-JSON) and S3 (REST-XML) need a moto without auth mode (design.md 7)."""

    def test_rest_dialects(self):
        with Moto() as m:
            seed.seed(m)
            seed.seed_guardduty(m)
            db, out = os.path.join(self.tmp, "p.db"), os.path.join(self.tmp, "out")
            rewrite = {
                "guardduty:GetDetector": replace(lambda b: b[: len(b) // 2],
                                                 ctype="application/json"),
                "guardduty:ListDetectors": replace(b'{"detectorIds": "d-1"}',
                                                   ctype="application/json"),
                "s3:GetBucketLogging": replace(b"<BucketLoggingStatus>\xff</BucketLoggingStatus>"),
                "s3:GetPublicAccessBlock": replace(b"<PublicAccessBlockConfiguration>" + b"<a>" * 5000
                                                   + b"</a>" * 5000
                                                   + b"</PublicAccessBlockConfiguration>"),
            }
            with FaultProxy(m.url, rewrite=rewrite) as px:
                env = self.env_for(m)
                env["AWS_ENDPOINT_URL"] = px.url
                rc, stdout, stderr = run(["scan", "--db", db, "--out", out, "--region",
                                          "us-east-1,eu-west-1", "--format", "json",
                                          "--no-progress"], env)
        self.assertIn(rc, (1, 3), stderr)
        with open(os.path.join(out, "report.json")) as f:
            report = json.load(f)
        errs = {(c["region"], c["operation"]): c["error"] for c in report["scan"]["coverage"]
                if c["status"] == "error"}
        self.assertTrue(errs[("eu-west-1", "ListDetectors")].startswith("InvalidResponse: "))
        self.assertIn("wrong type", errs[("eu-west-1", "ListDetectors")])
        self.assertIn("wrong type", errs[("us-east-1", "ListDetectors")])
        logging = [e for (r, op), e in errs.items() if op == "GetBucketLogging"]
        self.assertTrue(logging and all(e.startswith("InvalidResponse: ") for e in logging))
        pab = [e for (r, op), e in errs.items() if op == "GetPublicAccessBlock"]
        self.assertTrue(pab and "Excessive depth in document: 256" in pab[0], pab)
        gd = [f for f in report["findings"] if f["resource"]["type"] == "AWS::GuardDuty::Detector"]
        self.assertTrue(gd)
        self.assertEqual({f["status"] for f in gd}, {"ERROR"})


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 9) + "]\n"
    for i in range(1, 9))
DEEP_YAML = "[" * 100000 + "]" * 100000
PACK = "name: hostile\nversion: 1.0.0\n"


class Files(TestCase):
    """Policies, plans, baselines and suppressions from hostile hands: exit 2, one clear line
    naming the file, nothing evaluated, nothing written, nothing called."""

    def setUp(self):
        super().setUp()
        # Nothing may be called: the endpoint is a port nobody listens on.
        self.env = harness.clean_env(self.tmp, AWS_ACCESS_KEY_ID=harness.DUMMY_KEY,
                                     AWS_SECRET_ACCESS_KEY=harness.DUMMY_SECRET,
                                     AWS_REGION="us-east-1",
                                     AWS_ENDPOINT_URL=f"http://127.0.0.1:{harness.free_port()}")
        self.plan = os.path.join(self.tmp, "plan.json")
        shutil.copy(os.path.join(harness.SRC, "tests", "fixtures", "plans", "basic", "plan.json"),
                    self.plan)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def pack(self, name, rules):
        self.write(f"{name}/p/pack.yaml", PACK)
        self.write(f"{name}/p/rules.yaml", rules)
        return os.path.join(self.tmp, name)

    def refused(self, args, needle):
        rc, out, err = run(args, self.env, timeout=120)
        self.assertEqual(rc, 2, f"{args}: exit {rc}\n{err[-2000:]}")
        lines = [l for l in err.splitlines() if needle in l]
        self.assertEqual(len(lines), 1, err[-3000:])
        self.assertLess(len(err.splitlines()), 4, err[-3000:])
        return lines[0]

    def test_policy_alias_bomb(self):
        bomb = self.pack("bomb", BOMB)
        line = self.refused(["rules", "lint", bomb], "document too large")
        self.assertRegex(line, r"bomb/p/rules\.yaml:\d+:\d+: document too large: more than "
                               r"1000000 nodes with aliases expanded")
        db = os.path.join(self.tmp, "p.db")
        self.refused(["scan", "--policies", bomb, "--db", db, "--out", self.tmp + "/o"],
                     "document too large")
        self.assertFalse(os.path.exists(db), "nothing is written when the policies are refused")
        self.assertFalse(os.path.exists(self.tmp + "/o"))
        self.refused(["check", self.plan, "--policies", bomb], "document too large")

    def test_policy_deep_nesting_and_enormous(self):
        deep = self.pack("deep", DEEP_YAML)
        line = self.refused(["rules", "lint", deep], "nesting deeper")
        self.assertRegex(line, r"deep/p/rules\.yaml:1:\d+: nesting deeper than 64 levels")
        huge = self.pack("huge", "# padding\n" + ("#" * 1023 + "\n") * 9 * 1024)
        line = self.refused(["check", self.plan, "--policies", huge], "larger than")
        self.assertIn("huge/p/rules.yaml: file larger than 8388608 bytes", line)

    def test_suppressions_and_baselines(self):
        bomb = self.write("supp.yaml", BOMB)
        self.refused(["check", self.plan, "--suppressions", bomb], "document too large")
        deep = self.write("deep-supp.yaml", DEEP_YAML)
        self.refused(["check", self.plan, "--suppressions", deep], "nesting deeper")
        for text in (BOMB, DEEP_YAML):
            base = self.write("baseline.yaml", text)
            self.refused(["check", self.plan, "--baseline", base], "baseline.yaml:")
        big = self.write("big-baseline.yaml", "# x\n" * (5 * 1024 * 1024))  # 20 MB
        self.refused(["check", self.plan, "--baseline", big], "big-baseline.yaml")

    def test_plans(self):
        deep = self.write("deep.json", '{"format_version": "1.2", "resource_changes": '
                          + "[" * 100000 + "]" * 100000 + "}")
        line = self.refused(["check", deep], "deep.json")
        self.assertRegex(line, r"deep\.json:1:\d+: .*(nest|deep)")
        cut = self.write("truncated.json", '{"format_version": "1.2", "resource_changes": ['
                         + ",".join(['{"address": "' + "a" * 100 + '"}'] * 10) + "]")
        self.refused(["check", cut], "truncated.json")  # no closing brace
        big = os.path.join(self.tmp, "big.json")
        with open(big, "wb") as f:
            f.truncate(600 * 1024 * 1024)  # sparse: the size alone must refuse it
        line = self.refused(["check", big], "big.json")
        self.assertIn("above the 536870912 byte limit", line)
        for text in ("", "{", "[1, 2]", '{"format_version": "9.0"}', '{"format_version": 1.2}',
                     '\xff\xfe{"format_version": "1.2"}'):
            self.refused(["check", self.write("odd.json", text)], "odd.json")


if __name__ == "__main__":
    harness.main()
