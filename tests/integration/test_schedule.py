"""`parapet scan` as a scheduled job (issue 10), through the binary against moto on loopback:

- notifications: a loopback webhook receiver checks the JSON payload against report.json, the
  --notify-on modes, PARAPET_NOTIFY_URL, https verification, and that an unreachable, failing or
  slow webhook is one warning line and never changes the exit code;
- retention (--keep) and the failure trend per framework (history --trend, the HTML chart);
- one run at a time: a scan held mid-flight by a gated loopback proxy makes a second scan,
  evaluate and inventory import exit 4 with one line; a SIGKILLed run's lock is taken over;
- the scheduling artifacts: systemd units (systemd-analyze), the cron line (shellcheck), the
  Containerfile's packages against what the binary links, the ECS task definition and schedule
  (botocore shapes, registered in moto), the man page and bash completion against the command
  table, and what `meson install` puts where.

Everything listens on and talks to 127.0.0.1 only.
"""
import http.server
import json
import os
import re
import shutil
import signal
import sqlite3
import ssl
import subprocess
import threading
import time
import unittest
import urllib.error
import urllib.request

import boto3

import harness
from harness import Moto, TestCase, run

SECRET_PATH = "/services/T0000/B0000/s3cretW3bh00kT0ken"


class Receiver:
    """A webhook on 127.0.0.1: records every request and answers `status` after `delay` s."""

    def __init__(self, status=200, delay=0.0, tls=None):
        self.requests = []
        self.status = status
        self.delay = delay
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                owner.requests.append({"path": self.path, "headers": dict(self.headers),
                                       "body": body})
                if owner.delay:
                    time.sleep(owner.delay)
                try:
                    self.send_response(owner.status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.scheme = "http"
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path=SECRET_PATH):
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}{path}"

    def payloads(self):
        return [json.loads(r["body"]) for r in self.requests]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class GatedProxy:
    """A loopback HTTP proxy in front of moto that holds every request until open() is called:
    a scan sent through it takes the run lock and then waits on its first AWS call."""

    def __init__(self, target):
        self.gate = threading.Event()
        self.seen = threading.Event()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def forward(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                owner.seen.set()
                owner.gate.wait(50)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "content-length", "connection",
                                                "accept-encoding", "expect")}
                req = urllib.request.Request(target + self.path, data=body, method=self.command,
                                             headers=headers)
                try:
                    try:
                        with urllib.request.urlopen(req, timeout=50) as r:
                            status, rh, data = r.status, r.headers, r.read()
                    except urllib.error.HTTPError as e:
                        status, rh, data = e.code, e.headers, e.read()
                    self.send_response(status)
                    for k, v in rh.items():
                        if k.lower() not in ("transfer-encoding", "connection", "content-length",
                                             "server", "date"):
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (OSError, urllib.error.URLError):
                    pass  # the client was killed while we held its request

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = forward

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def open(self):
        self.gate.set()

    def stop(self):
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


def open_ssh_group(ec2, vpc, name):
    g = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    return g


def lock_rows(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT name, pid, host, acquired_at FROM locks").fetchall()
    finally:
        con.close()


def snapshot_ids(env, db):
    rc, out, err = run(["history", "--db", db, "--format", "json"], env)
    assert rc == 0, err
    return [json.loads(line) for line in out.splitlines()]


class ScheduledScanTest(TestCase):
    """Notifications, retention and the run lock on real scans of one moto account."""

    @classmethod
    def setUpClass(cls):
        cls.moto = Moto().start()
        ec2 = cls.moto.client("ec2")
        cls.vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        cls.open_group = open_ssh_group(ec2, cls.vpc, "bastion-open")

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def setUp(self):
        super().setUp()
        self.env = self.env_for(self.moto)
        self.db = os.path.join(self.tmp, "parapet.db")
        self.out = os.path.join(self.tmp, "out")

    def receiver(self, **kw):
        r = Receiver(**kw)
        self.addCleanup(r.stop)
        return r

    def scan(self, *extra, env=None, db=None, out=None):
        # The CIS pack alone: these tests are about the job (notifications, retention, locks),
        # and one finding per open group keeps their expectations exact.
        args = ["scan", "--services", "ec2", "--region", "us-east-1", "--no-progress",
                "--policies", os.path.join(harness.SRC, "policies", "cis-aws-3.0"),
                "--db", db or self.db, "--out", out or self.out] + list(extra)
        return run(args, env or self.env, timeout=180)

    def report(self, out=None):
        with open(os.path.join(out or self.out, "report.json")) as f:
            return json.load(f)

    # ---- notifications ---------------------------------------------------------------------

    def test_payload_matches_the_report_and_new_failures_are_named(self):
        recv = self.receiver()
        rc, out, err = self.scan("--notify", recv.url(), "--notify-on", "always")
        self.assertEqual(rc, 1, err)
        self.assertEqual(len(recv.requests), 1)
        req = recv.requests[0]
        self.assertEqual(req["path"], SECRET_PATH)
        self.assertTrue(req["headers"]["Content-Type"].startswith("application/json"))
        self.assertTrue(req["headers"]["User-Agent"].startswith("parapet/"))
        p = json.loads(req["body"])
        rep = self.report()
        hist = snapshot_ids(self.env, self.db)
        self.assertEqual(p["schema"], "parapet/notification/v1")
        self.assertEqual((p["status"], p["exit_code"], p["error"]), ("fail", 1, None))
        self.assertEqual(p["snapshot"]["id"], hist[-1]["id"])
        self.assertEqual(p["snapshot"]["accounts"], [harness.MAIN_ACCOUNT])
        self.assertIsNone(p["previous_snapshot"])
        self.assertIsNone(p["new"])
        for status in ("PASS", "FAIL", "ERROR", "UNKNOWN", "MANUAL", "suppressed"):
            self.assertEqual(p["findings"][status], rep["summary"][status], status)
        # controls failed by severity, as the report's controls say
        failed = {}
        for c in rep["controls"]:
            if c["status"] == "FAIL":
                failed[c["severity"]] = failed.get(c["severity"], 0) + 1
        for sev in ("critical", "high", "medium", "low", "info"):
            self.assertEqual(p["controls_failed"][sev], failed.get(sev, 0), sev)
        self.assertEqual(p["controls_failed"]["total"], sum(failed.values()))
        # first snapshot: every unsuppressed FAIL is new, most severe first
        fails = [f for f in rep["findings"] if f["status"] == "FAIL" and not f.get("suppression")]
        self.assertEqual(p["new_failures_total"], len(fails))
        self.assertEqual({(f["rule"], f["resource"]["id"]) for f in p["new_failures"]},
                         {(f["rule"], f["resource"]["id"]) for f in fails})
        order = ["critical", "high", "medium", "low", "info"]
        sevs = [order.index(f["severity"]) for f in p["new_failures"]]
        self.assertEqual(sevs, sorted(sevs))
        ssh = [f for f in p["new_failures"] if f["resource"]["id"] == self.open_group]
        self.assertEqual(len(ssh), 1)
        self.assertEqual(ssh[0]["severity"], "high")
        self.assertEqual(ssh[0]["resource"]["type"], "AWS::EC2::SecurityGroup")
        self.assertEqual(ssh[0]["resource"]["account"], harness.MAIN_ACCOUNT)
        self.assertEqual(ssh[0]["resource"]["region"], "us-east-1")
        self.assertIn("cis-aws-3.0", ssh[0]["frameworks"])
        # where the reports are: absolute paths that exist
        self.assertEqual(p["reports"]["dir"], os.path.realpath(self.out))
        for f in p["reports"]["files"]:
            self.assertTrue(os.path.isabs(f) and os.path.exists(f), f)
        self.assertEqual(p["coverage_errors"], 0)
        # the Slack text
        self.assertIn(f"FAIL (exit 1), snapshot {p['snapshot']['id']}", p["text"])
        self.assertIn(f"high {ssh[0]['rule']} AWS::EC2::SecurityGroup {self.open_group}",
                      p["text"])
        self.assertIn("report: " + os.path.join(os.path.realpath(self.out), "report.html"),
                      p["text"])
        # nothing secret, no evidence
        body = req["body"].decode()
        self.assertNotIn(harness.DUMMY_SECRET, body)
        self.assertNotIn("s3cretW3bh00kT0ken", body)
        self.assertNotIn("evidence", body)
        self.assertNotIn("s3cretW3bh00kT0ken", out + err)

        # a new open group: --notify-on new names it, and only it is new
        ec2 = self.moto.client("ec2")
        new_group = open_ssh_group(ec2, self.vpc, "temp-debug")
        self.addCleanup(ec2.delete_security_group, GroupId=new_group)
        first = p["snapshot"]["id"]
        rc, out, err = self.scan("--notify", recv.url(), "--notify-on", "new")
        self.assertEqual(rc, 1, err)
        self.assertEqual(len(recv.requests), 2)
        p = recv.payloads()[1]
        self.assertEqual(p["previous_snapshot"], first)
        self.assertEqual(p["new"], 1)
        self.assertEqual(p["resolved"], 0)
        self.assertEqual([f["resource"]["id"] for f in p["new_failures"]], [new_group])
        self.assertIn(f"since snapshot {first}: 1 new FAIL, 0 resolved", out)
        self.assertIn(f"  new: high {ssh[0]['rule']} AWS::EC2::SecurityGroup {new_group} "
                      f"({harness.MAIN_ACCOUNT} us-east-1)", out)
        self.assertTrue(out.rstrip().endswith("result: exit 1 (a FAIL at or above low)"), out)

        # nothing new: no notification in `new` mode, one in the default `fail` mode
        rc, out, err = self.scan("--notify", recv.url(), "--notify-on", "new")
        self.assertEqual(rc, 1, err)
        self.assertEqual(len(recv.requests), 2)
        self.assertIn("0 new FAIL", out)
        rc, out, err = self.scan("--notify", recv.url())
        self.assertEqual(rc, 1, err)
        self.assertEqual(len(recv.requests), 3)
        self.assertEqual(recv.payloads()[2]["new_failures"], [])
        # a new failure below --fail-on is not `new` enough: the run passes, nobody is told
        rc, out, err = self.scan("--notify", recv.url(), "--notify-on", "new",
                                 "--fail-on", "critical")
        self.assertIn(rc, (0, 3), err)
        self.assertEqual(len(recv.requests), 3)

    def test_webhook_failures_never_change_the_exit_code(self):
        rc0, _, err = self.scan(db=os.path.join(self.tmp, "base.db"))
        self.assertEqual(rc0, 1, err)
        dead = Receiver()
        dead_url = dead.url()
        dead.stop()  # nothing listens there any more
        failing = self.receiver(status=500)
        good = self.receiver()
        cases = [
            ([dead_url], "Couldn't connect|Failed to connect|Connection refused"),
            ([failing.url()], r"HTTP 500"),
            ([dead_url, good.url()], "Couldn't connect|Failed to connect|Connection refused"),
        ]
        for urls, why in cases:
            args = []
            for u in urls:
                args += ["--notify", u]
            rc, out, err = self.scan(*args)
            self.assertEqual(rc, rc0, (urls, err))
            warns = [l for l in err.splitlines() if " notify: " in l]
            self.assertEqual(len(warns), 1, err)
            port = dead_url.split(":")[2].split("/")[0] if urls[0] == dead_url else \
                str(failing.server.server_address[1])
            self.assertRegex(warns[0], r"^\S+ warn  notify: http://127\.0\.0\.1:" + port +
                             r": .*(" + why + r").*\(the exit code is not affected\)$")
            self.assertNotIn("s3cretW3bh00kT0ken", err)
            self.assertIn("result: exit 1", out)
        self.assertEqual(len(good.requests), 1)  # the good one of the pair still got its copy
        self.assertEqual(len(failing.requests), 1)

    def test_a_hanging_webhook_is_cut_off(self):
        slow = self.receiver(delay=40)
        rc, out, err = self.scan("--notify", slow.url())
        self.assertEqual(rc, 1, err)
        warns = [l for l in err.splitlines() if " notify: " in l]
        self.assertEqual(len(warns), 1, err)
        self.assertRegex(warns[0], r"(?i)timed? ?out")

    def test_https_webhooks_are_verified(self):
        key, cert = os.path.join(self.tmp, "key.pem"), os.path.join(self.tmp, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        recv = self.receiver(tls=(cert, key))
        rc, out, err = self.scan("--notify", recv.url())
        self.assertEqual(rc, 1, err)
        self.assertEqual(recv.requests, [])  # refused before any request was sent
        warns = [l for l in err.splitlines() if " notify: " in l]
        self.assertEqual(len(warns), 1, err)
        self.assertRegex(warns[0], r"(?i)certificate|SSL")
        env = dict(self.env, PARAPET_NOTIFY_CA_BUNDLE=cert)
        rc, out, err = self.scan("--notify", recv.url(), env=env)
        self.assertEqual(rc, 1, err)
        self.assertEqual(len(recv.requests), 1)
        self.assertNotIn(" notify: ", err)

    def test_urls_from_the_environment(self):
        a, b = self.receiver(), self.receiver()
        env = dict(self.env, PARAPET_NOTIFY_URL=f" {a.url('/a')}\n{b.url('/b')} ")
        rc, out, err = self.scan("--notify-on", "always", env=env)
        self.assertEqual(rc, 1, err)
        self.assertEqual([r["path"] for r in a.requests + b.requests], ["/a", "/b"])
        # --notify replaces the environment's list
        c = self.receiver()
        rc, out, err = self.scan("--notify", c.url(), env=env)
        self.assertEqual((len(a.requests), len(b.requests), len(c.requests)), (1, 1, 1))

    def test_bad_notify_settings_are_usage_errors(self):
        db = os.path.join(self.tmp, "never.db")
        recv = self.receiver()
        cases = [
            (["--notify", "ftp://127.0.0.1/x"], {}, "only http and https"),
            (["--notify", "http://hooks.example.com" + SECRET_PATH], {},
             "--notify: http://hooks.example.com: refusing plain http to a non-loopback host"),
            (["--notify", "https://user:pw@hooks.example.com/x"], {}, "user information"),
            (["--notify", "not a url"], {}, "--notify: not a URL"),
            (["--notify", recv.url(), "--notify-on", "sometimes"], {},
             "--notify-on: 'sometimes' is not one of fail, new, always"),
            (["--notify-on", "new"], {}, "--notify-on needs --notify URL"),
            ([], {"PARAPET_NOTIFY_URL": "http://hooks.example.com" + SECRET_PATH},
             "PARAPET_NOTIFY_URL: http://hooks.example.com: refusing plain http"),
            (["--keep", "-1"], {}, "--keep"),
            (["--keep", "many"], {}, "--keep"),
        ]
        for args, extra_env, message in cases:
            rc, out, err = self.scan(*args, env=dict(self.env, **extra_env), db=db)
            self.assertEqual(rc, 2, (args, err))
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertTrue(err.startswith("parapet: scan: "), err)
            self.assertIn(message, err)
            self.assertNotIn("s3cretW3bh00kT0ken", err)
            self.assertNotIn(":pw@", err)
            self.assertFalse(os.path.exists(db), args)
        self.assertEqual(recv.requests, [])

    def test_a_run_that_cannot_finish_is_reported(self):
        # A usable --out folder (checked before the run starts) where report.json is a folder:
        # the snapshot is stored and evaluated, then the report cannot be written.
        outdir = os.path.join(self.tmp, "reports")
        os.makedirs(os.path.join(outdir, "report.json", "keep"))
        recv = self.receiver()
        rc, out, err = self.scan("--notify", recv.url(), "--notify-on", "new", out=outdir)
        self.assertIn(rc, (2, 3), err)
        self.assertEqual(len(recv.requests), 1)
        p = recv.payloads()[0]
        self.assertEqual((p["status"], p["exit_code"]), ("error", rc))
        self.assertIn("report.json", p["error"])
        self.assertTrue(p["text"].startswith("parapet scan on "), p["text"])
        self.assertIn(f"ERROR (exit {rc})", p["text"])
        self.assertIsNone(p["reports"])
        self.assertNotIn("controls_failed", p)
        # the lock was released all the same
        self.assertEqual(lock_rows(self.db), [])

    # ---- retention ---------------------------------------------------------------------------

    def test_keep_prunes_after_each_run(self):
        recv = self.receiver()
        outs = []
        for i in range(4):
            rc, out, err = self.scan("--keep", "2", "--notify", recv.url(), "--notify-on",
                                     "always")
            self.assertEqual(rc, 1, err)
            outs.append(out)
        hist = snapshot_ids(self.env, self.db)
        self.assertEqual([h["id"] for h in hist], [3, 4])
        self.assertNotIn("retention", outs[0] + outs[1])
        self.assertIn("retention: pruned 1 snapshot beyond the newest 2", outs[2])
        self.assertEqual([p["pruned"] for p in recv.payloads()], [0, 0, 1, 1])
        self.assertIn("retention: pruned 1 old snapshot", recv.payloads()[3]["text"])
        # the previous snapshot is still there to compare with
        self.assertIn("since snapshot 3: 0 new FAIL, 0 resolved", outs[3])
        # --keep 0 keeps everything
        for i in range(2):
            rc, out, err = self.scan("--keep", "0")
            self.assertNotIn("retention", out)
        self.assertEqual([h["id"] for h in snapshot_ids(self.env, self.db)], [3, 4, 5, 6])
        # the default keeps 90: nothing to prune here
        rc, out, err = self.scan()
        self.assertEqual(len(snapshot_ids(self.env, self.db)), 5)

    # ---- one run at a time -----------------------------------------------------------------

    def gated_scan(self, proxy, db):
        env = dict(self.env, AWS_ENDPOINT_URL=proxy.url)
        p = subprocess.Popen([harness.PARAPET, "scan", "--services", "ec2", "--region",
                              "us-east-1", "--no-progress", "--db", db, "--out",
                              os.path.join(self.tmp, "held-out")],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (p.poll() is None and p.kill(), p.communicate()))
        # it holds the lock once its first AWS call reaches the proxy
        self.assertTrue(proxy.seen.wait(60), "the held scan never called AWS")
        rows = lock_rows(db)
        self.assertEqual([(r[0], r[1]) for r in rows], [("run", p.pid)])
        return p

    def test_a_second_run_exits_4_while_a_scan_holds_the_lock(self):
        rc, out, err = self.scan()  # something to report on and evaluate
        self.assertEqual(rc, 1, err)
        proxy = GatedProxy(self.moto.url)
        self.addCleanup(proxy.stop)
        held = self.gated_scan(proxy, self.db)
        recv = self.receiver()
        before = snapshot_ids(self.env, self.db)

        rc, out, err = self.scan("--notify", recv.url(), "--notify-on", "always")
        self.assertEqual(rc, 4, err)
        self.assertEqual(out, "")
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertRegex(err, r"^parapet: scan: .*parapet\.db: in use by another run \(pid "
                         + str(held.pid) + r" on \S+ since \d{4}-\d\d-\d\dT[\d:]+Z\)\n$")
        self.assertEqual(recv.requests, [])  # an overlapping run tells nobody
        self.assertEqual(snapshot_ids(self.env, self.db), before)  # and wrote nothing

        rc, out, err = run(["evaluate", "--db", self.db, "--out", os.path.join(self.tmp, "e")],
                           self.env)
        self.assertEqual(rc, 4, err)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("parapet: evaluate: ", err)
        jsonl = os.path.join(self.tmp, "one.jsonl")
        with open(jsonl, "w") as f:
            f.write(json.dumps({"type": "AWS::EC2::VPC", "id": "vpc-1", "arn": None,
                                "account": "111122223333", "region": "eu-west-1",
                                "document": {"VpcId": "vpc-1"}}) + "\n")
        rc, out, err = run(["inventory", "import", jsonl, "--db", self.db], self.env)
        self.assertEqual(rc, 4, err)
        self.assertEqual(len(err.splitlines()), 1, err)
        # readers never wait
        for args in (["history", "--db", self.db], ["history", "--trend", "--db", self.db],
                     ["inventory", "--db", self.db],
                     ["report", "--db", self.db, "--out", os.path.join(self.tmp, "r")]):
            rc, out, err = run(args, self.env, timeout=60)
            self.assertIn(rc, (0, 1), (args, err))

        proxy.open()
        out, err = held.communicate(timeout=180)
        self.assertEqual(held.returncode, 1, err)
        self.assertEqual(lock_rows(self.db), [])
        # its snapshot (incomplete while it was held) is complete now, and nothing else was added
        after = snapshot_ids(self.env, self.db)
        self.assertEqual([h["id"] for h in after], [h["id"] for h in before])
        self.assertEqual([h["complete"] for h in before], [True, False])
        self.assertEqual([h["complete"] for h in after], [True, True])
        rc, out, err = self.scan()  # and the next one runs
        self.assertEqual(rc, 1, err)

    def test_a_killed_runs_lock_is_taken_over(self):
        proxy = GatedProxy(self.moto.url)
        self.addCleanup(proxy.stop)
        held = self.gated_scan(proxy, self.db)
        held.send_signal(signal.SIGKILL)
        held.communicate()
        self.assertEqual([r[1] for r in lock_rows(self.db)], [held.pid])  # it died holding it
        proxy.open()
        rc, out, err = self.scan()
        self.assertEqual(rc, 1, err)
        stale = [l for l in err.splitlines() if "stale" in l]
        self.assertEqual(len(stale), 1, err)
        self.assertRegex(stale[0], r"^\S+ warn  store: taking over the stale run lock of pid "
                         + str(held.pid) + r" on \S+$")
        self.assertEqual(lock_rows(self.db), [])
        hist = snapshot_ids(self.env, self.db)
        self.assertEqual([h["complete"] for h in hist], [False, True])

    def test_locks_from_other_hosts_go_stale_by_age(self):
        rc, out, err = self.scan()
        self.assertEqual(rc, 1, err)
        con = sqlite3.connect(self.db)
        with con:
            con.execute("INSERT INTO locks VALUES ('run', 4242, 'other-host.example', ?)",
                        (int(time.time()),))
        con.close()
        rc, out, err = self.scan()
        self.assertEqual(rc, 4, err)  # a live-looking holder elsewhere: wait for it
        self.assertIn("(pid 4242 on other-host.example since ", err)
        con = sqlite3.connect(self.db)
        with con:
            con.execute("UPDATE locks SET acquired_at = ?", (int(time.time()) - 7 * 3600,))
        con.close()
        rc, out, err = self.scan()
        self.assertEqual(rc, 1, err)
        self.assertIn("taking over the stale run lock of pid 4242 on other-host.example", err)
        self.assertEqual(lock_rows(self.db), [])


# ---- trend ---------------------------------------------------------------------------------------

PACK_YAML = """name: sched-test
version: 1.0.0
description: two rules in two frameworks, for the trend tests
"""

RULES_YAML = """- id: SCHED-1
  title: No security group is open to the world on SSH
  description: SSH from anywhere.
  severity: high
  resource: AWS::EC2::SecurityGroup
  frameworks: { fw-a: ["1"] }
  assert:
    none:
      path: IpPermissions[]
      match:
        all:
          - any: { path: "IpRanges[].CidrIp", op: eq, value: 0.0.0.0/0, default: [] }
          - ports_overlap: { ports: [22], protocol: tcp }
- id: SCHED-2
  title: No security group is described as legacy
  description: A legacy group.
  severity: low
  resource: AWS::EC2::SecurityGroup
  frameworks: { fw-b: ["2"] }
  assert: { path: Description, op: ne, value: legacy }
"""


def group_line(gid, open_ssh, legacy):
    doc = {"GroupId": gid, "GroupName": gid, "Description": "legacy" if legacy else "ok",
           "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                              "IpRanges": [{"CidrIp": "0.0.0.0/0" if open_ssh else "10.0.0.0/8"}]}]}
    return json.dumps({"type": "AWS::EC2::SecurityGroup", "id": gid, "arn": None,
                       "account": "111122223333", "region": "eu-west-1", "document": doc})


class TrendTest(TestCase):
    """Failures per framework over imported and evaluated snapshots: a framework whose failures
    were all fixed shows 0, in `history --trend` and in the HTML chart."""

    def test_trend_per_framework(self):
        env = harness.clean_env(self.tmp)
        pack = os.path.join(self.tmp, "pack")
        os.makedirs(pack)
        with open(os.path.join(pack, "pack.yaml"), "w") as f:
            f.write(PACK_YAML)
        with open(os.path.join(pack, "rules.yaml"), "w") as f:
            f.write(RULES_YAML)
        db = os.path.join(self.tmp, "t.db")
        out_dir = os.path.join(self.tmp, "out")
        states = [((True, False), (False, True)),   # fw-a 1, fw-b 1
                  ((False, False), (False, True)),  # fw-a 0, fw-b 1
                  ((True, False), (False, False)),  # fw-a 1, fw-b 0
                  ((True, False), (True, True))]    # fw-a 2, fw-b 1
        expected = [{"fw-a": 1, "fw-b": 1}, {"fw-a": 0, "fw-b": 1}, {"fw-a": 1, "fw-b": 0},
                    {"fw-a": 2, "fw-b": 1}]
        for i, (g1, g2) in enumerate(states):
            path = os.path.join(self.tmp, f"s{i}.jsonl")
            with open(path, "w") as f:
                f.write(group_line("sg-1", *g1) + "\n" + group_line("sg-2", *g2) + "\n")
            rc, out, err = run(["inventory", "import", path, "--db", db], env)
            self.assertEqual(rc, 0, err)
            rc, out, err = run(["evaluate", "--db", db, "--policies", pack, "--out", out_dir],
                               env)
            self.assertIn(rc, (0, 1), err)
        rc, out, err = run(["history", "--trend", "--db", db, "--format", "json"], env)
        self.assertEqual(rc, 0, err)
        rows = [json.loads(l) for l in out.splitlines()]
        self.assertEqual([r["frameworks"] for r in rows], expected)
        self.assertEqual([r["fail"] for r in rows], [2, 1, 1, 3])
        self.assertEqual([r["snapshot"] for r in rows], [1, 2, 3, 4])
        rc, out, err = run(["history", "--trend", "--db", db], env)
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertEqual(lines[0].split(), ["SNAPSHOT", "STARTED", "FAIL", "fw-a", "fw-b"])
        self.assertEqual(re.split(r"\s{2,}", lines[2].strip())[2:], ["1 (-1)", "0 (-1)", "1"])
        self.assertEqual(re.split(r"\s{2,}", lines[3].strip())[2:], ["1", "1 (+1)", "0 (-1)"])
        rc, out, err = run(["history", "--trend", "--last", "2", "--db", db, "--format",
                            "json"], env)
        self.assertEqual([json.loads(l)["snapshot"] for l in out.splitlines()], [3, 4])
        # the chart of the last report: one point per snapshot and framework, zeros included
        with open(os.path.join(out_dir, "report.html"), encoding="utf-8") as f:
            html = f.read()
        points = re.findall(r"<title>(fw-[ab]): (\d+) failed \(snapshot (\d+),", html)
        got = {}
        for fw, n, snap in points:
            got.setdefault(int(snap), {})[fw] = int(n)
        self.assertEqual([got[s] for s in sorted(got)], expected)


# ---- artifacts -----------------------------------------------------------------------------------

CONTRIB = os.path.join(harness.SRC, "contrib")


def help_commands():
    rc, out, err = run(["--help"], harness.clean_env("/nonexistent"))
    assert rc == 0, err
    block = out.split("commands:\n", 1)[1].split("\n\n", 1)[0]
    return [l.split()[0] for l in block.splitlines()]


def help_options(command):
    rc, out, err = run(["help", command], harness.clean_env("/nonexistent"))
    assert rc == 0, err
    return sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z-]*[a-z]", out)))


def scan_options():
    return set(help_options("scan")) | {"--log-level", "--log-format", "--debug"}


def debian_package(path):
    """The Debian package owning a file (usrmerge: try both spellings of the path)."""
    real = os.path.realpath(path)
    for p in (path, real, real.replace("/usr/lib/", "/lib/", 1),
              real.replace("/lib/", "/usr/lib/", 1)):
        r = subprocess.run(["dpkg-query", "-S", p], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":")[0].strip()
    raise AssertionError(f"no package owns {path}")


def apt_packages(stage):
    """Packages of the `apt-get install` in a Containerfile stage."""
    m = re.search(r"apt-get install -y --no-install-recommends\s*\\\n(.*?)&&", stage, re.S)
    assert m, stage
    return set(m.group(1).replace("\\\n", " ").split())


class ArtifactTest(TestCase):

    def test_help_for_every_command(self):
        commands = help_commands()
        self.assertTrue({"doctor", "scan", "evaluate", "check", "report", "iam-policy",
                         "inventory", "history", "rules"} <= set(commands), commands)
        for c in commands:
            rc, out, err = run(["help", c], harness.clean_env(self.tmp))
            self.assertEqual(rc, 0, err)
            self.assertTrue(out.startswith("parapet " + c), out)
        rc, out, err = run(["help", "nosuch"], harness.clean_env(self.tmp))
        self.assertEqual(rc, 2)
        self.assertEqual(err, "parapet: help: unknown command 'nosuch'\n")
        rc, out, err = run(["--version"], harness.clean_env(self.tmp))
        with open(os.path.join(harness.SRC, "meson.build")) as f:
            version = re.search(r"version : '([^']+)'", f.read()).group(1)
        self.assertEqual((rc, out), (0, f"parapet {version}\n"))
        # every option a command parses is in its help: an unknown one is refused by name
        for opt in ("--keep", "--notify", "--notify-on", "--allow-insecure-endpoint"):
            self.assertIn(opt, help_options("scan"))
        self.assertEqual(help_options("history"), ["--db", "--format", "--last", "--trend"])

    def test_man_page_covers_every_command_option_and_variable(self):
        path = os.path.join(harness.SRC, "docs", "parapet.1")
        with open(path) as f:
            man = f.read()
        plain = man.replace("\\-", "-")
        for c in help_commands():
            self.assertRegex(man, r"(?m)^\.SS " + re.escape(c) + "$", c)
            for opt in help_options(c):
                self.assertTrue(opt in plain, f"{c} {opt}")
        for opt in ("--log-level", "--log-format", "--debug", "--version", "--help"):
            self.assertTrue(opt in plain, opt)
        for code in range(5):
            self.assertRegex(man, r"(?m)^\.B " + str(code) + "$")
        # every environment variable the sources read is documented
        names = set()
        for root, dirs, files in os.walk(harness.SRC):
            dirs[:] = [d for d in dirs if not d.startswith(("build", ".")) and d != "tests"]
            for name in files:
                if name.endswith((".c", ".h")):
                    with open(os.path.join(root, name), errors="replace") as f:
                        names |= set(re.findall(r'(?:getenv|env_nonempty)\("([A-Z0-9_]+)"\)',
                                                f.read()))
        self.assertIn("PARAPET_NOTIFY_URL", names)
        missing = sorted(n for n in names if n not in plain)
        self.assertEqual(missing, [])
        # groff renders it without a warning
        r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", path], capture_output=True,
                           text=True)
        self.assertEqual((r.returncode, r.stderr), (0, ""))

    def test_bash_completion_covers_every_command_and_option(self):
        comp = os.path.join(CONTRIB, "bash-completion", "parapet")
        script = f"source {comp}\n" + r'''
c() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _parapet
      printf '%s\n' "${COMPREPLY[*]}"; }
'''
        cases = [["parapet", ""]]
        for cmd in help_commands():
            cases.append(["parapet", cmd, "--"])
        cases += [["parapet", "inventory", "import", "--"], ["parapet", "rules", "lint", "--"],
                  ["parapet", "rules", "list", "--"],
                  ["parapet", "scan", "--notify-on", ""], ["parapet", "scan", "--format", "html,o"],
                  ["parapet", "check", "--out", "x.sarif", "--fail-on", ""],
                  ["parapet", "scan", "--services", "ec2,k"], ["parapet", "help", ""],
                  ["parapet", "history", "--format", ""]]
        for words in cases:
            script += "c " + " ".join(f"'{w}'" for w in words) + "\n"
        r = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
        self.assertEqual(r.stderr, "")
        got = r.stdout.split("\n")
        commands = help_commands()
        self.assertEqual(set(got[0].split()), set(commands) | {"help", "--help", "--version"})
        for i, cmd in enumerate(commands):
            offered = set(got[1 + i].split())
            for opt in help_options(cmd):
                self.assertIn(opt, offered, f"{cmd} {opt}")
            self.assertTrue({"--log-level", "--log-format", "--debug"} <= offered, cmd)
        rest = got[1 + len(commands):]
        self.assertEqual(rest[0].split(), ["--db", "--log-level", "--log-format", "--debug"])
        self.assertIn("--suppressions", rest[1].split())
        self.assertIn("--format", rest[2].split())
        self.assertEqual(rest[3].split(), ["fail", "new", "always"])
        self.assertEqual(rest[4].split(), ["html,ocsf"])
        self.assertEqual(rest[5].split(), ["critical", "high", "medium", "low", "info"])
        self.assertEqual(rest[6].split(), ["ec2,kms"])
        self.assertEqual(set(rest[7].split()), set(commands) | {"help"})
        self.assertEqual(rest[8].split(), ["text", "json"])
        if shutil.which("shellcheck"):
            r = subprocess.run(["shellcheck", "-s", "bash", comp], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout)

    def test_meson_install_places_man_page_and_completion(self):
        build = os.path.dirname(os.path.dirname(os.path.abspath(harness.PARAPET)))
        if not os.path.exists(os.path.join(build, "build.ninja")) or not shutil.which("meson"):
            self.skipTest("not run from a meson build directory")
        dest = os.path.join(self.tmp, "dest")
        r = subprocess.run(["meson", "install", "-C", build, "--no-rebuild", "--destdir", dest],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        found = {os.path.relpath(os.path.join(d, f), dest).split("/", 2)[-1]
                 for d, _, fs in os.walk(dest) for f in fs}
        self.assertTrue({"bin/parapet", "share/man/man1/parapet.1",
                         "share/bash-completion/completions/parapet"} <= found, found)

    def test_systemd_units(self):
        if not shutil.which("systemd-analyze"):
            self.skipTest("systemd-analyze is not installed")
        units = os.path.join(self.tmp, "units")
        mandir = os.path.join(self.tmp, "man", "man1")
        os.makedirs(units)
        os.makedirs(mandir)
        shutil.copy(os.path.join(harness.SRC, "docs", "parapet.1"), mandir)
        with open(os.path.join(CONTRIB, "systemd", "parapet-scan.service")) as f:
            service = f.read()
        exec_start = re.search(r"(?m)^ExecStart=(\S+) (.*)$", service)
        self.assertEqual(exec_start.group(1), "/usr/local/bin/parapet")  # meson's default prefix
        args = exec_start.group(2).split()
        self.assertEqual(args[0], "scan")
        for a in args:
            if a.startswith("--"):
                self.assertIn(a, scan_options())
        # verify needs the binary where ExecStart says: point it at the one under test
        with open(os.path.join(units, "parapet-scan.service"), "w") as f:
            f.write(service.replace("/usr/local/bin/parapet", os.path.abspath(harness.PARAPET)))
        shutil.copy(os.path.join(CONTRIB, "systemd", "parapet-scan.timer"), units)
        env = dict(os.environ, MANPATH=os.path.dirname(mandir))
        r = subprocess.run(["systemd-analyze", "verify",
                            os.path.join(units, "parapet-scan.service"),
                            os.path.join(units, "parapet-scan.timer")],
                           capture_output=True, text=True, env=env)
        self.assertEqual((r.returncode, r.stderr.strip()), (0, ""))
        r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager",
                            os.path.join(units, "parapet-scan.service")],
                           capture_output=True, text=True)
        level = re.search(r"Overall exposure level for parapet-scan.service: ([\d.]+)", r.stdout)
        self.assertIsNotNone(level, r.stdout + r.stderr)
        self.assertLessEqual(float(level.group(1)), 2.0, r.stdout)
        for setting in ("DynamicUser=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                        "NoNewPrivileges=yes", "StateDirectory=parapet"):
            self.assertIn("\n" + setting + "\n", service)
        with open(os.path.join(CONTRIB, "systemd", "parapet.env.example")) as f:
            for m in re.finditer(r"(?m)^PARAPET_SCAN_ARGS=(.*)$", f.read()):
                for a in m.group(1).split():
                    if a.startswith("--"):
                        self.assertIn(a, scan_options())

    def test_cron_example(self):
        with open(os.path.join(CONTRIB, "cron", "parapet")) as f:
            lines = [l for l in f.read().splitlines() if l.strip() and not l.startswith("#")]
        jobs = [l for l in lines if not re.match(r"^[A-Z_]+=", l)]
        self.assertEqual(len(jobs), 1)
        fields = jobs[0].split(None, 6)
        field = r"(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*"
        for f in fields[:5]:
            self.assertRegex(f, "^" + field + "$")
        self.assertEqual(fields[5], "parapet")  # cron.d lines name the user
        command = fields[6]
        self.assertNotRegex(command, r"(?<!\\)%")  # cron would turn it into a new line
        for a in re.findall(r"(?<!\S)--[a-z-]+", command):
            self.assertIn(a, scan_options())
        self.assertIn("--quiet", command)
        if not shutil.which("shellcheck"):
            self.skipTest("shellcheck is not installed")
        # cron runs the command with SHELL=/bin/sh; its variable lines are not shell
        self.assertIn("SHELL=/bin/sh", lines)
        script = os.path.join(self.tmp, "cron.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\n" + command + "\n")
        r = subprocess.run(["shellcheck", script], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout)

    def test_containerfile_packages_match_what_the_binary_links(self):
        with open(os.path.join(CONTRIB, "Containerfile")) as f:
            text = f.read()
        self.assertNotRegex(text, r"(?i)\b(curl|wget|git clone)\b|ADD\s+https?:")
        stages = re.split(r"(?m)^FROM ", text)[1:]
        self.assertEqual(len(stages), 2)
        build, runtime = stages
        self.assertRegex(build, r"^docker.io/library/debian:\$\{DEBIAN\} AS build")
        self.assertRegex(runtime, r"^docker.io/library/debian:\$\{DEBIAN\}-slim")
        # package names are those of this machine's Debian, where the binary was linked
        with open("/etc/os-release") as f:
            codename = re.search(r"(?m)^VERSION_CODENAME=(\w+)", f.read()).group(1)
        self.assertEqual(re.search(r"(?m)^ARG DEBIAN=(\w+)$", text).group(1), codename)
        if not shutil.which("dpkg-query"):
            self.skipTest("not a Debian system")
        needed = re.findall(r"\(NEEDED\).*\[(.+)\]",
                            subprocess.run(["readelf", "-d", harness.PARAPET], check=True,
                                           capture_output=True, text=True).stdout)
        where = dict(re.findall(r"^\s*(\S+) => (\S+)", subprocess.run(
            ["ldd", harness.PARAPET], check=True, capture_output=True, text=True).stdout, re.M))
        linked = {debian_package(where[lib]) for lib in needed if lib in where}
        linked.discard("libc6")  # in every Debian image
        # the ASan/UBSan build CI also runs this suite with links the sanitizer runtimes
        linked = {p for p in linked if not re.match(r"lib(asan|ubsan|lsan|tsan)\d+$", p)}
        self.assertEqual(apt_packages(runtime), linked | {"ca-certificates"})
        # the builder has the -dev package of every dependency() meson looks up
        with open(os.path.join(harness.SRC, "meson.build")) as f:
            meson = f.read()
        dev = set()
        for dep in re.findall(r"dependency\('([^']+)'\)", meson):
            if dep == "threads":
                continue
            pcdir = subprocess.run(["pkg-config", "--variable=pcfiledir", dep], check=True,
                                   capture_output=True, text=True).stdout.strip()
            dev.add(debian_package(os.path.join(pcdir, dep + ".pc")))
        self.assertTrue(dev <= apt_packages(build), dev - apt_packages(build))
        self.assertTrue({"meson", "ninja-build", "gcc", "pkg-config", "python3"}
                        <= apt_packages(build))
        # every folder the build reads is copied in: the subdir()s, the folders meson files
        # reach with ../, and what install_man/install_data name
        copied = set(re.findall(r"(?m)^COPY (\S+) \1$", build))
        wanted = set(re.findall(r"subdir\('([^']+)'\)", meson)) | {"policies"}
        wanted |= {p.split("/")[0] for p in re.findall(r"install_\w+\('([^']+)'", meson)}
        for root, dirs, files in os.walk(harness.SRC):
            dirs[:] = [d for d in dirs if not d.startswith(("build", "."))]
            if "meson.build" not in files:
                continue
            with open(os.path.join(root, "meson.build")) as f:
                for rel in re.findall(r"'((?:\.\./)+[A-Za-z][A-Za-z0-9_-]*)/", f.read()):
                    top = os.path.relpath(os.path.normpath(os.path.join(root, rel)), harness.SRC)
                    if not top.startswith(".."):
                        wanted.add(top.split("/")[0])
        self.assertTrue(wanted <= copied, wanted - copied)
        self.assertIn('ENTRYPOINT ["/usr/bin/parapet"]', runtime)
        self.assertIn("--prefix=/usr", build)
        cmd = json.loads(re.search(r"(?ms)^CMD (\[.*?\])$", runtime).group(1).replace("\\\n", ""))
        self.assertEqual(cmd[0], "scan")
        for a in cmd:
            if a.startswith("--"):
                self.assertIn(a, scan_options())

    def test_ecs_task_definition_and_schedule(self):
        import botocore.session
        from botocore.validate import ParamValidator
        ecs_dir = os.path.join(CONTRIB, "ecs")
        docs = {}
        for root, _, files in os.walk(ecs_dir):
            for name in files:
                with open(os.path.join(root, name)) as f:
                    docs[os.path.relpath(os.path.join(root, name), ecs_dir)] = json.load(f)
        session = botocore.session.get_session()
        task, schedule = docs["task-definition.json"], docs["schedule.json"]
        for svc, op, doc in (("ecs", "RegisterTaskDefinition", task),
                             ("scheduler", "CreateSchedule", schedule)):
            shape = session.get_service_model(svc).operation_model(op).input_shape
            report = ParamValidator().validate(doc, shape)
            self.assertFalse(report.has_errors(), report.generate_report())
        container = task["containerDefinitions"][0]
        self.assertEqual(container["command"][0], "scan")
        for a in container["command"]:
            if a.startswith("--"):
                self.assertIn(a, scan_options())
        self.assertIn("PARAPET_NOTIFY_URL", [s["name"] for s in container["secrets"]])
        self.assertNotIn("--notify", container["command"])  # the URL is a secret
        for name, doc in docs.items():
            if name.startswith("iam/"):
                self.assertEqual(doc["Version"], "2012-10-17", name)
                self.assertTrue(doc["Statement"], name)

        # Set it all up in moto as the docs say: roles with the generated scan policy, the
        # seed's cluster, the task definition, the schedule.
        with Moto() as m:
            acct = harness.MAIN_ACCOUNT
            sub = lambda d: json.loads(json.dumps(d).replace("111122223333", acct))
            iam = m.client("iam")
            with open(os.path.join(harness.SRC, "docs", "iam-scan-policy.json")) as f:
                scan_policy = f.read()
            rc, out, err = run(["iam-policy", "scan"], harness.clean_env(self.tmp))
            self.assertEqual(json.loads(out), json.loads(scan_policy))
            roles = {
                "parapet-scan": ("iam/task-role-trust.json",
                                 [scan_policy,
                                  json.dumps(sub(docs["iam/task-role-extra-policy.json"]))]),
                "parapet-task-execution": ("iam/task-role-trust.json",
                                           [json.dumps(sub(
                                               docs["iam/execution-role-secrets-policy.json"]))]),
                "parapet-scheduler": ("iam/scheduler-role-trust.json",
                                      [json.dumps(sub(docs["iam/scheduler-role-policy.json"]))]),
            }
            for role, (trust, policies) in roles.items():
                iam.create_role(RoleName=role,
                                AssumeRolePolicyDocument=json.dumps(sub(docs[trust])))
                for i, p in enumerate(policies):
                    iam.put_role_policy(RoleName=role, PolicyName=f"p{i}", PolicyDocument=p)
            ecs = m.client("ecs")
            ecs.create_cluster(clusterName="production")
            registered = ecs.register_task_definition(**sub(task))["taskDefinition"]
            self.assertEqual(registered["containerDefinitions"][0]["command"],
                             container["command"])
            sched = sub(schedule)
            sched["Target"]["EcsParameters"]["TaskDefinitionArn"] = \
                registered["taskDefinitionArn"].rsplit(":", 1)[0]
            arn = m.client("scheduler").create_schedule(**sched)["ScheduleArn"]
            got = m.client("scheduler").get_schedule(Name=schedule["Name"])
            self.assertEqual(got["Arn"], arn)
            self.assertEqual(got["Target"]["Arn"], f"arn:aws:ecs:us-east-1:{acct}:cluster/production")


if __name__ == "__main__":
    harness.main()
