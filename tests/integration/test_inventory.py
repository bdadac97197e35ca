"""`parapet inventory`, `parapet inventory import` and `parapet history` through the binary.

No AWS here: inventories are written as JSON lines, imported, exported and compared. Covers the
round trip (export -> import -> export gives identical lines), filters, bad lines and bad --db
paths (exit 2, one line, nothing written), file modes, incomplete snapshots, a SIGKILLed import,
and a schema from the future.
"""
import json
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import unittest

import harness

ACCOUNT_A = "111122223333"
ACCOUNT_B = "444455556666"


def line(type_, id_, account, region, document, arn=None, **extra):
    obj = {"type": type_, "id": id_, "arn": arn, "account": account, "region": region,
           "document": document}
    obj.update(extra)
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# A small inventory touching every kind of value the format carries.
FIXTURE = [
    line("AWS::EC2::SecurityGroup", "sg-0a1", ACCOUNT_A, "eu-west-1",
         {"GroupId": "sg-0a1", "GroupName": "web", "Description": "caf\u00e9 \"quoted\" \\ back",
          "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                             "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": []}],
          "Zebra": None, "Alpha": [True, False, 1.5, -3]},
         arn="arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0a1"),
    line("AWS::EC2::SecurityGroup", "sg-0b2", ACCOUNT_B, "us-east-1",
         {"GroupId": "sg-0b2", "Tags": [{"Key": "Name", "Value": "\u65e5\u672c"}]}),
    line("AWS::EC2::VPC", "vpc-1", ACCOUNT_A, "eu-west-1", {"VpcId": "vpc-1", "IsDefault": True}),
    line("AWS::IAM::User", "alice", ACCOUNT_A, "global", {"UserName": "alice", "AccessKeys": []},
         arn="arn:aws:iam::111122223333:user/alice",
         errors={"AccessKeys": "ListAccessKeys: AccessDenied: not allowed"}),
    line("AWS::IAM::User", "bob", ACCOUNT_B, "global", {"UserName": "bob"},
         arn="arn:aws:iam::444455556666:user/bob"),
    line("AWS::KMS::Key", "k-1", ACCOUNT_A, "us-east-1",
         {"KeyMetadata": {"KeyId": "k-1", "KeyState": "Enabled"}, "KeyRotationEnabled": True,
          "KeyPolicy": {"Statement": [{"Effect": "Allow", "Action": "kms:*"}]}}),
]


class InventoryTest(harness.TestCase):

    def setUp(self):
        super().setUp()
        self.env = harness.clean_env(self.tmp)
        self.db = os.path.join(self.tmp, "parapet.db")

    def parapet(self, *args, input=None):
        return harness.run(list(args), self.env, timeout=300, input=input)

    def write(self, name, lines):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def import_ok(self, path, db=None, stale_lock=False):
        code, out, err = self.parapet("inventory", "import", path, "--db", db or self.db)
        self.assertEqual(code, 0, err)
        if stale_lock:  # the one warning a run taking over a dead run's lock prints
            self.assertRegex(err, r"^\S+ warn  store: taking over the stale run lock of pid \d+ "
                                  r"on \S+\n$")
        else:
            self.assertEqual(err, "")
        return out

    def export(self, *args, db=None):
        code, out, err = self.parapet("inventory", "--db", db or self.db, *args)
        self.assertEqual(code, 0, err)
        return out

    def history(self, db=None):
        code, out, err = self.parapet("history", "--db", db or self.db, "--format", "json")
        self.assertEqual(code, 0, err)
        return [json.loads(l) for l in out.splitlines()]

    def assert_one_error_line(self, err, prefix):
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertTrue(lines[0].startswith(prefix), f"{lines[0]!r} does not start with {prefix!r}")

    # ---- round trip ---------------------------------------------------------------------------

    def test_export_import_export_is_identical(self):
        src = self.write("in.jsonl", FIXTURE[:3] + [""] + FIXTURE[3:])  # a blank line in the middle
        out = self.import_ok(src)
        self.assertIn("imported 6 resources", out)
        first = self.export()
        lines = first.splitlines()
        self.assertEqual(len(lines), len(FIXTURE))
        # Same resources, same values; keys in the contract's order.
        self.assertEqual(sorted(json.loads(l)["id"] for l in lines),
                         sorted(json.loads(l)["id"] for l in FIXTURE))
        by_id = {json.loads(l)["id"]: json.loads(l) for l in FIXTURE}
        for l in lines:
            got = json.loads(l)
            self.assertEqual(got, by_id[got["id"]])
            self.assertEqual(list(got)[:6], ["type", "id", "arn", "account", "region", "document"])
        # The document keeps the producer's key order.
        sg = next(json.loads(l) for l in lines if json.loads(l)["id"] == "sg-0a1")
        self.assertEqual(list(sg["document"]), ["GroupId", "GroupName", "Description",
                                                "IpPermissions", "Zebra", "Alpha"])
        # Export -> import into another database -> export: byte for byte the same.
        again = self.write("again.jsonl", lines)
        other = os.path.join(self.tmp, "other.db")
        self.import_ok(again, db=other)
        self.assertEqual(self.export(db=other), first)
        # And the exported lines are exactly the input lines, grouped by type.
        self.assertEqual(sorted(lines), sorted(FIXTURE))

    def test_import_from_stdin(self):
        code, out, err = self.parapet("inventory", "import", "-", "--db", self.db,
                                      input="\n".join(FIXTURE) + "\n")
        self.assertEqual(code, 0, err)
        self.assertEqual(len(self.export().splitlines()), len(FIXTURE))

    def test_filters_and_snapshot_selection(self):
        self.import_ok(self.write("a.jsonl", FIXTURE))
        self.import_ok(self.write("b.jsonl", FIXTURE[:1]))

        def ids(*args):
            return sorted(json.loads(l)["id"] for l in self.export(*args).splitlines())

        self.assertEqual(ids(), ["sg-0a1"])  # latest = the second import
        self.assertEqual(len(ids("--snapshot", "1")), len(FIXTURE))
        self.assertEqual(ids("--snapshot", "1", "--type", "AWS::EC2::SecurityGroup"),
                         ["sg-0a1", "sg-0b2"])
        self.assertEqual(ids("--snapshot", "1", "--account", ACCOUNT_B), ["bob", "sg-0b2"])
        self.assertEqual(ids("--snapshot", "1", "--region", "global"), ["alice", "bob"])
        self.assertEqual(ids("--snapshot", "1", "--region", "us-east-1", "--type",
                             "AWS::KMS::Key"), ["k-1"])
        self.assertEqual(ids("--snapshot", "1", "--region", "ap-south-1"), [])

        for args, prefix in [
                (["--type", "AWS::EC2::Nope"], "parapet: inventory: --type: unknown resource type"),
                (["--account", "12"], "parapet: inventory: --account:"),
                (["--snapshot", "99"], "parapet: inventory:"),
                (["--snapshot", "x1"], "parapet: inventory:"),
                (["--bogus"], "parapet: inventory: unknown option")]:
            code, out, err = self.parapet("inventory", "--db", self.db, *args)
            self.assertEqual(code, 2, args)
            self.assertEqual(out, "")
            self.assert_one_error_line(err, prefix)

    # ---- history and snapshot states ----------------------------------------------------------

    def test_history_and_incomplete_snapshots(self):
        self.import_ok(self.write("a.jsonl", FIXTURE))
        # A scan killed half-way leaves an incomplete snapshot (its row and some resources).
        with sqlite3.connect(self.db) as c:
            c.execute("INSERT INTO snapshots (source, started_at, tool_version, complete) "
                      "VALUES ('aws', 1700000000, '0.1.0', 0)")
            c.execute("INSERT INTO resources (snapshot_id, type, id, account, region, document, "
                      "content_hash) VALUES (2, 'AWS::EC2::VPC', 'vpc-9', ?, 'eu-west-1', '{}', "
                      "'x')", (ACCOUNT_A,))
        c.close()
        h = self.history()
        self.assertEqual([s["id"] for s in h], [1, 2])
        self.assertTrue(h[0]["complete"])
        self.assertEqual(h[0]["source"], "import")
        self.assertEqual(h[0]["resources"], len(FIXTURE))
        self.assertEqual(h[0]["accounts"], [ACCOUNT_A, ACCOUNT_B])
        self.assertEqual(h[0]["regions"], ["eu-west-1", "us-east-1"])
        self.assertIsNone(h[0]["evaluation"])
        self.assertFalse(h[1]["complete"])
        self.assertIsNone(h[1]["finished_at"])
        # "latest" never picks it; naming it is refused.
        self.assertNotIn("vpc-9", self.export())
        code, _, err = self.parapet("inventory", "--db", self.db, "--snapshot", "2")
        self.assertEqual(code, 2)
        self.assert_one_error_line(err, "parapet: inventory:")
        self.assertIn("incomplete", err)
        # The next import is unaffected.
        self.import_ok(self.write("b.jsonl", FIXTURE[2:3]))
        self.assertEqual([json.loads(l)["id"] for l in self.export().splitlines()], ["vpc-1"])

        code, out, err = self.parapet("history", "--db", self.db)
        self.assertEqual(code, 0, err)
        rows = out.splitlines()
        self.assertEqual(rows[0].split(), ["ID", "SOURCE", "STARTED", "DURATION", "ACCOUNTS",
                                           "REGIONS", "RESOURCES", "CALLS", "ERRORS", "COMPLETE",
                                           "FAIL"])
        self.assertEqual(len(rows), 4)
        self.assertEqual(rows[2].split()[0], "2")
        self.assertIn(" no ", rows[2])
        self.assertIn(" yes ", rows[1])
        self.assertTrue(rows[1].endswith(" -"))  # not evaluated

        # An evaluation (as `parapet evaluate` stores it) brings the FAIL counts.
        with sqlite3.connect(self.db) as c:
            c.execute("INSERT INTO evaluations (snapshot_id, evaluated_at, tool_version, n_pass, "
                      "n_fail, n_suppressed, n_fail_open, fail_by_framework) VALUES "
                      "(1, 1700000100, '0.1.0', 7, 4, 1, 3, "
                      "'{\"cis-aws-3.0\":2,\"reference\":1}')")
        c.close()
        h = self.history()
        self.assertEqual(h[0]["evaluation"]["FAIL"], 4)
        self.assertEqual(h[0]["evaluation"]["PASS"], 7)
        self.assertEqual(h[0]["evaluation"]["suppressed"], 1)
        self.assertEqual(h[0]["evaluation"]["fail_unsuppressed"], 3)
        self.assertEqual(h[0]["evaluation"]["fail_by_framework"],
                         {"cis-aws-3.0": 2, "reference": 1})
        code, out, err = self.parapet("history", "--db", self.db)
        self.assertTrue(out.splitlines()[1].endswith(" 3 (cis-aws-3.0=2, reference=1)"), out)

    def test_killed_import_leaves_nothing(self):
        # Big enough that the import is still running when it is killed.
        lines = [line("AWS::EC2::SecurityGroup", f"sg-{i:06d}", ACCOUNT_A, "eu-west-1",
                      {"GroupId": f"sg-{i:06d}", "Description": "x" * 200}) for i in range(60000)]
        src = self.write("big.jsonl", lines)
        self.import_ok(self.write("small.jsonl", FIXTURE))
        proc = subprocess.Popen([harness.PARAPET, "inventory", "import", src, "--db", self.db],
                                env=self.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        # Kill it once it holds the run lock: it has checked every line and is writing.
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            with sqlite3.connect(self.db) as c:
                held = c.execute("SELECT count(*) FROM locks WHERE pid = ?",
                                 (proc.pid,)).fetchone()[0]
            c.close()
            if held:
                break
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if proc.returncode != -signal.SIGKILL:
            self.skipTest("the import finished before it could be killed")
        h = self.history()
        self.assertEqual(len(h), 1)  # an import is atomic: not even an incomplete snapshot
        self.assertTrue(h[0]["complete"])
        self.assertEqual(len(self.export().splitlines()), len(FIXTURE))
        # It died holding the run lock; the next run takes the stale lock over.
        with sqlite3.connect(self.db) as c:
            self.assertEqual(c.execute("SELECT pid FROM locks").fetchall(), [(proc.pid,)])
        c.close()
        self.import_ok(src, stale_lock=True)
        self.assertEqual(len(self.export().splitlines()), 60000)

    # ---- bad input ----------------------------------------------------------------------------

    BAD = [
        ('{"type":"AWS::EC2::VPC","id":"v","arn":null,"account":"111122223333",'
         '"region":"eu-west-1","document":{}', ":4:", "invalid JSON"),
        ('{"type":"AWS::EC2::Vpc","id":"v","arn":null,"account":"111122223333",'
         '"region":"eu-west-1","document":{}}', ":4:", "unknown resource type 'AWS::EC2::Vpc'"),
        ('{"type":"AWS::EC2::VPC","id":"v","arn":null,"account":"1111",'
         '"region":"eu-west-1","document":{}}', ":4:", "12-digit"),
        ('{"type":"AWS::EC2::VPC","id":"v","arn":null,"account":"111122223333",'
         '"region":"eu-west-1","document":"{}"}', ":4:", '"document" must be a JSON object'),
        ('{"type":"AWS::IAM::User","id":"u","arn":null,"account":"111122223333",'
         '"region":"us-east-1","document":{}}', ":4:", 'must be "global"'),
        ('{"type":"AWS::EC2::VPC","id":"v","arn":null,"account":"111122223333",'
         '"region":"eu-west-1","document":{},"extra":1}', ":4:", "unknown key 'extra'"),
        (FIXTURE[0], ":4:", "repeats line 1"),
        ('[]', ":4:", "expected a JSON object"),
    ]

    def test_bad_lines_write_nothing(self):
        for bad, where, why in self.BAD:
            with self.subTest(why=why):
                path = self.write("bad.jsonl", [FIXTURE[0], FIXTURE[1], "", bad, FIXTURE[2]])
                fresh = os.path.join(self.tmp, "fresh.db")
                code, out, err = self.parapet("inventory", "import", path, "--db", fresh)
                self.assertEqual(code, 2, err)
                self.assertEqual(out, "")
                self.assert_one_error_line(err, f"parapet: {path}{where}")
                self.assertIn(why, err)
                self.assertEqual([f for f in os.listdir(self.tmp) if f.startswith("fresh.db")],
                                 [])
        # With an existing database: no snapshot is added.
        self.import_ok(self.write("good.jsonl", FIXTURE))
        before = self.history()
        path = self.write("bad.jsonl", FIXTURE[:2] + [self.BAD[1][0]])
        code, _, err = self.parapet("inventory", "import", path, "--db", self.db)
        self.assertEqual(code, 2)
        self.assert_one_error_line(err, f"parapet: {path}:3: unknown resource type")
        self.assertEqual(self.history(), before)

    def test_empty_and_missing_input(self):
        empty = self.write("empty.jsonl", ["", "   "])
        code, _, err = self.parapet("inventory", "import", empty, "--db", self.db)
        self.assertEqual(code, 2)
        self.assert_one_error_line(err, f"parapet: {empty}: no resources")
        code, _, err = self.parapet("inventory", "import", os.path.join(self.tmp, "nope.jsonl"),
                                    "--db", self.db)
        self.assertEqual(code, 2)
        self.assert_one_error_line(err, "parapet: ")
        code, _, err = self.parapet("inventory", "import", "--db", self.db)
        self.assertEqual(code, 2)
        self.assert_one_error_line(err, "parapet: inventory import:")
        self.assertFalse(os.path.exists(self.db))

    def test_bad_db_paths(self):
        good = self.write("good.jsonl", FIXTURE)
        notes = os.path.join(self.tmp, "notes.txt")
        with open(notes, "w") as f:
            f.write("not a database at all, but long enough to look like a file header\n" * 3)
        cases = [
            (os.path.join(self.tmp, "missing", "x.db"), "does not exist"),
            (self.tmp, "is a directory"),
            (notes, "not a usable database"),
        ]
        if os.geteuid() != 0:  # root can write into a read-only directory
            ro = os.path.join(self.tmp, "ro")
            os.mkdir(ro, 0o500)
            self.addCleanup(os.chmod, ro, 0o700)
            cases.append((os.path.join(ro, "x.db"), "not writable"))
        before = sorted(os.listdir(self.tmp))
        for db, why in cases:
            for args in (["inventory", "import", good, "--db", db], ["inventory", "--db", db],
                         ["history", "--db", db]):
                with self.subTest(db=db, cmd=args[:2]):
                    code, out, err = self.parapet(*args)
                    self.assertEqual(code, 2, err)
                    self.assertEqual(out, "")
                    self.assert_one_error_line(err, "parapet: ")
                    if args[1] == "import" or not why == "does not exist":
                        self.assertIn(why, err)
        self.assertEqual(sorted(os.listdir(self.tmp)), before)  # nothing created
        with open(notes) as f:
            self.assertTrue(f.read().startswith("not a database"))  # nothing changed
        # Read-only commands never create a database.
        code, _, err = self.parapet("history", "--db", self.db)
        self.assertEqual(code, 2)
        self.assertIn("no such database", err)
        self.assertFalse(os.path.exists(self.db))

    def test_default_db_and_modes(self):
        # Under a permissive umask SQLite alone would create 0644 files.
        old = os.umask(0o022)
        self.addCleanup(os.umask, old)
        self.write("a.jsonl", FIXTURE)
        code, out, err = self._run_in_tmp("inventory", "import", "a.jsonl")
        self.assertEqual(code, 0, err)
        self.assertTrue(os.path.exists(self.db), "--db defaults to ./parapet.db")
        self.assertEqual(stat.S_IMODE(os.stat(self.db).st_mode), 0o600)
        # While a connection is open the WAL and shared-memory files exist: same mode.
        c = sqlite3.connect(self.db)
        c.execute("BEGIN IMMEDIATE")
        c.execute("INSERT INTO locks VALUES ('probe', 1, 'h', 0)")
        for suffix in ("-wal", "-shm"):
            if os.path.exists(self.db + suffix):
                self.assertEqual(stat.S_IMODE(os.stat(self.db + suffix).st_mode), 0o600, suffix)
        c.rollback()
        c.close()
        code, out, err = self._run_in_tmp("inventory")
        self.assertEqual(code, 0, err)
        self.assertEqual(len(out.splitlines()), len(FIXTURE))
        code, out, err = self._run_in_tmp("history")
        self.assertEqual(code, 0, err)
        with sqlite3.connect(self.db) as c:
            self.assertEqual(c.execute("PRAGMA journal_mode").fetchone()[0], "wal")
        c.close()

    def _run_in_tmp(self, *args):
        p = subprocess.run([harness.PARAPET] + list(args), env=self.env, cwd=self.tmp,
                           capture_output=True, text=True, timeout=120)
        return p.returncode, p.stdout, p.stderr

    def test_import_while_another_run_holds_the_lock(self):
        self.import_ok(self.write("a.jsonl", FIXTURE))
        # A live process on this host (this test) holds the run lock, as a running scan would.
        with sqlite3.connect(self.db) as c:
            c.execute("INSERT INTO locks VALUES ('run', ?, ?, ?)",
                      (os.getpid(), socket.gethostname(), int(time.time())))
        c.close()
        code, out, err = self.parapet("inventory", "import", self.write("b.jsonl", FIXTURE),
                                      "--db", self.db)
        self.assertEqual(code, 4, err)
        self.assert_one_error_line(err, "parapet: inventory import:")
        self.assertIn("in use by another run", err)
        self.assertEqual(len(self.history()), 1)
        # Reading is never blocked by it.
        self.assertEqual(len(self.export().splitlines()), len(FIXTURE))
        # Once that run is gone (its pid no longer exists) the lock is stale and taken over.
        dead = subprocess.Popen(["true"])
        dead.wait()
        with sqlite3.connect(self.db) as c:
            c.execute("UPDATE locks SET pid = ?", (dead.pid,))
        c.close()
        self.import_ok(self.write("c.jsonl", FIXTURE), stale_lock=True)
        self.assertEqual(len(self.history()), 2)
        with sqlite3.connect(self.db) as c:
            self.assertEqual(c.execute("SELECT count(*) FROM locks").fetchone()[0], 0)
        c.close()

    def test_newer_schema_is_refused(self):
        self.import_ok(self.write("a.jsonl", FIXTURE))
        with sqlite3.connect(self.db) as c:
            c.execute("INSERT INTO schema_migrations VALUES (999, 'future', 0, '9.0.0')")
        c.close()
        for args in (["inventory"], ["history"],
                     ["inventory", "import", self.write("b.jsonl", FIXTURE)]):
            code, out, err = self.parapet(*args, "--db", self.db)
            self.assertEqual(code, 2, args)
            self.assert_one_error_line(err, "parapet: ")
            self.assertIn("schema version 999 is newer", err)
        with sqlite3.connect(self.db) as c:
            self.assertEqual(c.execute("SELECT count(*) FROM snapshots").fetchone()[0], 1)
        c.close()


def bench_lines(n):
    """n generated resources of about 1 KB of document each: four types, seven accounts, three
    regions. The data set behind the numbers in docs/store.md."""
    types = [("AWS::EC2::SecurityGroup", False), ("AWS::IAM::User", True),
             ("AWS::EC2::Subnet", False), ("AWS::KMS::Key", False)]
    for i in range(n):
        type_, is_global = types[i % 4]
        account = "1111222233%02d" % (i % 7)
        region = "global" if is_global else ["eu-west-1", "us-east-1", "ap-south-1"][i % 3]
        doc = {"GroupId": "sg-%08x" % i, "GroupName": "group-%d" % i,
               "Description": "generated group number %d for the benchmark" % i,
               "VpcId": "vpc-%04x" % (i % 500), "OwnerId": account,
               "IpPermissions": [{"IpProtocol": "tcp", "FromPort": p, "ToPort": p,
                                  "IpRanges": [{"CidrIp": "10.%d.%d.0/24" % (i % 256, p % 256),
                                                "Description": "rule %d" % p}],
                                  "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}
                                 for p in (22, 443, 8080)],
               "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
               "Tags": [{"Key": "Name", "Value": "bench-%d" % i}, {"Key": "env", "Value": "prod"}]}
        yield line(type_, "r-%d" % i, account, region, doc,
                   arn="arn:aws:ec2:%s:%s:thing/r-%d" % (region, account, i))


@unittest.skipUnless(os.environ.get("PARAPET_BENCH"), "set PARAPET_BENCH=N to time N resources")
class InventoryBench(harness.TestCase):
    """Times import and export of PARAPET_BENCH resources (300000 for docs/store.md). Prints the
    times; asserts only that every resource made the round trip."""

    def test_import_export(self):
        n = int(os.environ["PARAPET_BENCH"])
        env = harness.clean_env(self.tmp)
        src = os.path.join(self.tmp, "bench.jsonl")
        with open(src, "w", encoding="utf-8") as f:
            for l in bench_lines(n):
                f.write(l + "\n")
        db = os.path.join(self.tmp, "bench.db")
        t0 = time.monotonic()
        code, out, err = harness.run(["inventory", "import", src, "--db", db], env, timeout=3600)
        t1 = time.monotonic()
        self.assertEqual(code, 0, err)
        p = subprocess.run([harness.PARAPET, "inventory", "--db", db], env=env,
                           stdout=subprocess.PIPE, timeout=3600)
        t2 = time.monotonic()
        self.assertEqual(p.returncode, 0)
        self.assertEqual(p.stdout.count(b"\n"), n)
        print(f"\n{n} resources, {os.path.getsize(src) / 1e6:.0f} MB of JSON lines: "
              f"import {t1 - t0:.1f} s, export {t2 - t1:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    harness.main()
