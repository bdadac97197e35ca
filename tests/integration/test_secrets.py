"""No secret leaves parapet, and what it writes is private. Every command runs with sentinel
credentials (a secret key and a
session token nobody could mistake for anything else), at trace logging, against moto; one scan
also goes through tests/faultproxy so that throttling, denial and expired-token paths print their
errors. Then everything parapet wrote is searched: stdout and stderr of every command, every file
under the working folder (databases and their WAL, reports in every format, remediation plans,
exports), and the text of every table of every database. None may hold the secret key, the
session token (or a long piece of either), an Authorization header or a SigV4 signature. The
proxy also records what parapet sent, to prove the sentinels were really in use.

Files: databases, reports, plans and check outputs are created 0600 (report folders 0700) under
the usual umask 022; --out refuses a world-writable folder owned by another user; plain http to
an endpoint that is not loopback needs --allow-insecure-endpoint, for scan and doctor alike."""
import json
import os
import re
import sqlite3
import stat
import sys

import harness
import seed
from harness import Moto, TestCase, run

sys.path.insert(0, os.path.join(harness.SRC, "tests", "faultproxy"))
from faultproxy import FaultProxy  # noqa: E402

KEY_ID = "ASIASENTINEL0KEYID01"
SECRET = "SentinelSecret/Key+0123456789abcdefSENTINEL"
TOKEN = "IQoJSentinelSessionToken" + "Zm9vYmFy" * 40 + "SENTINELEND"
PROFILE_SECRET = "ProfileSentinelSecretKey0123456789PROFILE"
PROFILE_TOKEN = "ProfileSentinelToken" + "YmF6cXV4" * 30 + "PROFILEEND"
FORMATS = "html,json,ocsf,csv,sarif,junit"

# What may never appear. Pieces of the sentinels catch a secret that was cut or wrapped.
NEEDLES = [SECRET, SECRET[:16], SECRET[-16:], TOKEN[:24], TOKEN[-24:], TOKEN[100:140],
           PROFILE_SECRET, PROFILE_SECRET[:16], PROFILE_TOKEN[:24], PROFILE_TOKEN[-24:]]
PATTERNS = [re.compile(p, re.I) for p in (
    r"authorization\s*[:=]\s*aws4", r"AWS4-HMAC-SHA256\s+Credential=", r"Signature=[0-9a-f]{16}",
    r"x-amz-security-token\s*[:=]\s*\S{16}")]


class Secrets(TestCase):
    def setUp(self):
        super().setUp()
        self.outputs = []  # (what, text)
        self.work = os.path.join(self.tmp, "work")
        os.makedirs(os.path.join(self.tmp, ".aws"))
        os.makedirs(self.work)
        with open(os.path.join(self.tmp, ".aws", "credentials"), "w") as f:
            f.write(f"[sentinel]\naws_access_key_id = ASIAPROFILESENTINEL1\n"
                    f"aws_secret_access_key = {PROFILE_SECRET}\n"
                    f"aws_session_token = {PROFILE_TOKEN}\n")

    def env(self, url):
        return harness.clean_env(self.tmp, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET,
                                 AWS_SESSION_TOKEN=TOKEN, AWS_REGION="us-east-1",
                                 AWS_ENDPOINT_URL=url, PARAPET_LOG="trace",
                                 PARAPET_RETRY_BASE_MS="2", PARAPET_NOW="2030-01-01T00:00:00Z")

    def parapet(self, args, env, ok=(0, 1, 3)):
        rc, out, err = run(args, env, timeout=300)
        self.outputs.append((" ".join(args), out + "\n" + err))
        self.assertIn(rc, ok, f"{args}: exit {rc}\n{err[-2000:]}")
        return rc, out, err

    def p(self, name):
        return os.path.join(self.work, name)

    def test_no_secret_anywhere(self):
        with Moto() as moto:
            seed.seed(moto)
            seed.seed_guardduty(moto)
            with FaultProxy(moto.url) as clean_px:
                env = self.env(clean_px.url)
                self.run_every_command(env, moto)
                sent = clean_px.log
            with FaultProxy(moto.url, seed=3, throttle=0.3, drop=0.05,
                            deny=["kms:GetKeyPolicy", "guardduty", "s3:GetBucketPolicy"]) as px:
                self.parapet(["scan", "--db", self.p("faults.db"), "--out", self.p("faults-out"),
                              "--format", FORMATS, "--region", "us-east-1,eu-west-1",
                              "--log-format", "json"], self.env(px.url))
                self.assertTrue(px.faults("throttle") and px.faults("deny"))
            with FaultProxy(moto.url, expired_token=True) as px:
                self.parapet(["scan", "--db", self.p("expired.db"), "--out",
                              self.p("expired-out"), "--format", FORMATS], self.env(px.url))
                self.parapet(["doctor"], self.env(px.url))
        # The sentinels were really used: the token went out with every request (as the header
        # that carries it), and parapet signed with the secret (moto accepted the signatures).
        self.assertGreater(len(sent), 50)
        self.assertEqual({e["token"] for e in sent}, {TOKEN})
        self.check_everything()

    def run_every_command(self, env, moto):
        db, out = self.p("parapet.db"), self.p("out")
        self.parapet(["doctor"], env)
        self.parapet(["doctor", "--profile", "sentinel", "--endpoint-url", moto.url], env)
        self.parapet(["scan", "--db", db, "--out", out, "--format", FORMATS,
                      "--region", "us-east-1,eu-west-1"], env)
        self.parapet(["scan", "--db", db, "--out", out, "--format", FORMATS, "--quiet"], env)
        self.parapet(["evaluate", "--db", db, "--out", self.p("evaluated"), "--format", FORMATS],
                     env)
        self.parapet(["report", "--db", db, "--out", self.p("reported"), "--format", FORMATS],
                     env)
        rc, lines, _ = self.parapet(["inventory", "--db", db], env, ok=(0,))
        with open(self.p("inventory.jsonl"), "w") as f:
            f.write(lines)
        self.parapet(["inventory", "import", self.p("inventory.jsonl"), "--db",
                      self.p("imported.db")], env, ok=(0,))
        for args in (["history"], ["history", "--format", "json"], ["history", "--trend"]):
            self.parapet(args + ["--db", db], env, ok=(0,))
        for sub in ("lint", "test", "list"):
            self.parapet(["rules", sub], env, ok=(0, 1))
        plan = os.path.join(harness.SRC, "tests", "fixtures", "plans", "basic", "plan.json")
        for fmt in ("text", "json", "sarif", "junit"):
            self.parapet(["check", plan, "--format", fmt, "--out", self.p(f"check.{fmt}")], env)
        self.parapet(["iam-policy", "scan"], env, ok=(0,))
        rc, usage, _ = run(["--help"], env)
        if "remediate" in usage:
            plan_file = self.p("remediation-plan.json")
            self.parapet(["remediate", "--db", db, "--plan-out", plan_file], env, ok=(0,))
            self.assertTrue(os.path.exists(plan_file))
            self.parapet(["remediate", "--apply", plan_file, "--yes", "--db", db], env,
                         ok=(0, 1))
            self.parapet(["remediate", "--journal", "--db", db], env, ok=(0,))
            self.parapet(["remediate", "--journal", "--db", db, "--format", "json"], env, ok=(0,))

    def leaks(self, text):
        found = [n for n in NEEDLES if n in text]
        found += [p.pattern for p in PATTERNS if p.search(text)]
        return found

    def check_everything(self):
        for what, text in self.outputs:
            self.assertEqual(self.leaks(text), [], f"`parapet {what}` printed a secret")
        files = 0
        for root, _, names in os.walk(self.work):
            for name in names:
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    text = f.read().decode("latin-1")
                self.assertEqual(self.leaks(text), [], f"{path} holds a secret")
                files += 1
                if name.endswith(".db"):
                    self.check_database(path)
        self.assertGreater(files, 20)
        # Everything the scan and the reports were expected to write is there to be searched.
        for name in ("report.html", "report.json", "report.ocsf.json", "report.csv",
                     "report.sarif", "report.junit.xml"):
            self.assertTrue(os.path.exists(os.path.join(self.work, "out", name)), name)

    def check_database(self, path):
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            self.assertTrue(tables)
            for t in tables:
                for row in con.execute(f'SELECT * FROM "{t}"'):
                    text = json.dumps([c if not isinstance(c, bytes) else c.decode("latin-1")
                                       for c in row], ensure_ascii=False)
                    self.assertEqual(self.leaks(text), [], f"{path} table {t} holds a secret")
        finally:
            con.close()


class Files(TestCase):
    def setUp(self):
        super().setUp()
        self.old_umask = os.umask(0o022)
        self.addCleanup(os.umask, self.old_umask)
        self.moto = Moto().start()
        self.addCleanup(self.moto.stop)
        seed.seed(self.moto)
        self.env = harness.clean_env(self.tmp, AWS_ACCESS_KEY_ID=harness.DUMMY_KEY,
                                     AWS_SECRET_ACCESS_KEY=harness.DUMMY_SECRET,
                                     AWS_REGION="us-east-1", AWS_ENDPOINT_URL=self.moto.url)

    def mode(self, path):
        return stat.S_IMODE(os.stat(path).st_mode)

    def test_modes(self):
        db, out = os.path.join(self.tmp, "p.db"), os.path.join(self.tmp, "out")
        rc, _, err = run(["scan", "--db", db, "--out", out, "--format", FORMATS], self.env)
        self.assertIn(rc, (1, 3), err)
        checked = []
        for name in os.listdir(self.tmp):
            if name.startswith("p.db"):
                self.assertEqual(self.mode(os.path.join(self.tmp, name)), 0o600, name)
                checked.append(name)
        self.assertIn("p.db", checked)
        self.assertEqual(self.mode(out), 0o700)
        reports = os.listdir(out)
        self.assertEqual(len(reports), 6, reports)
        for name in reports:
            self.assertEqual(self.mode(os.path.join(out, name)), 0o600, name)
        for args in (["evaluate", "--db", db, "--out", out + "2", "--format", FORMATS],
                     ["report", "--db", db, "--out", out + "3", "--format", "html,json"]):
            rc, _, err = run(args, self.env)
            self.assertIn(rc, (1, 3), err)
            self.assertEqual(self.mode(args[4]), 0o700)
            for name in os.listdir(args[4]):
                self.assertEqual(self.mode(os.path.join(args[4], name)), 0o600, name)
        plan = os.path.join(self.tmp, "plan.json")
        rc, _, err = run(["remediate", "--db", db, "--plan-out", plan], self.env)
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.mode(plan), 0o600)
        tf = os.path.join(harness.SRC, "tests", "fixtures", "plans", "basic", "plan.json")
        for fmt in ("json", "sarif", "junit", "text"):
            target = os.path.join(self.tmp, f"check.{fmt}")
            rc, _, err = run(["check", tf, "--format", fmt, "--out", target], self.env)
            self.assertIn(rc, (0, 1, 3), err)
            self.assertEqual(self.mode(target), 0o600, fmt)
        rc, lines, err = run(["inventory", "--db", db], self.env)
        export = os.path.join(self.tmp, "inv.jsonl")
        with open(export, "w") as f:
            f.write(lines)
        imported = os.path.join(self.tmp, "imported.db")
        rc, _, err = run(["inventory", "import", export, "--db", imported], self.env)
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.mode(imported), 0o600)

    def foreign_folder(self):
        """A world-writable folder owned by someone else: made for the test as root, else /tmp."""
        if os.geteuid() == 0:
            d = os.path.join(self.tmp, "shared")
            os.mkdir(d)
            os.chown(d, 65534, 65534)
            os.chmod(d, 0o1777)
            return d
        st = os.stat("/tmp")
        if st.st_mode & stat.S_IWOTH and st.st_uid != os.geteuid():
            return "/tmp"
        self.skipTest("no world-writable folder of another user to try")

    def test_out_refuses_foreign_world_writable_folder(self):
        shared = self.foreign_folder()
        db = os.path.join(self.tmp, "p.db")
        rc, out, err = run(["scan", "--db", db, "--out", shared], self.env)
        self.assertEqual(rc, 2, err)
        self.assertEqual(err.strip().count("\n"), 0, err)
        self.assertIn("refusing a world-writable folder owned by another user", err)
        self.assertFalse(os.path.exists(db), "refused before anything ran")
        self.assertFalse(os.path.exists(os.path.join(shared, "report.json")))
        # evaluate and report refuse it too, once there is something to write.
        mine = os.path.join(self.tmp, "mine")
        rc, _, err = run(["scan", "--db", db, "--out", mine, "--format", "json"], self.env)
        self.assertIn(rc, (1, 3), err)
        for cmd in ("evaluate", "report"):
            rc, _, err = run([cmd, "--db", db, "--out", shared], self.env)
            self.assertEqual(rc, 2, err)
            self.assertIn("world-writable", err)
        self.assertEqual(os.listdir(shared), [])
        # A world-writable folder of one's own is fine.
        own = os.path.join(self.tmp, "own")
        os.mkdir(own)
        os.chmod(own, 0o777)
        rc, _, err = run(["report", "--db", db, "--out", own, "--format", "json"], self.env)
        self.assertIn(rc, (1, 3), err)
        self.assertTrue(os.path.exists(os.path.join(own, "report.json")))

    def test_insecure_endpoint_needs_the_flag(self):
        """http to a name that is not loopback (curl still resolves *.localhost to 127.0.0.1,
        so nothing leaves the machine): refused before any request, allowed with the flag."""
        env = dict(self.env)
        del env["AWS_ENDPOINT_URL"]
        with FaultProxy(self.moto.url) as px:
            url = f"http://parapet.localhost:{px.port}"
            db = os.path.join(self.tmp, "p.db")
            base = ["--endpoint-url", url]
            for cmd in (["scan", "--db", db, "--out", os.path.join(self.tmp, "o"),
                         "--services", "iam"], ["doctor", "--services", "iam"]):
                rc, out, err = run(cmd + base, env)
                self.assertEqual(rc, 2, err)
                self.assertIn("refusing plain http to non-loopback host 'parapet.localhost'", err)
                self.assertEqual(px.log, [], "a request went out before the refusal")
            rc, out, err = run(["doctor", "--services", "iam", "--allow-insecure-endpoint"] + base,
                               env)
            self.assertEqual(rc, 0, err)
            self.assertIn("identity", out)
            n = len(px.log)
            self.assertGreater(n, 0)
            rc, out, err = run(["scan", "--db", db, "--out", os.path.join(self.tmp, "o"),
                                "--services", "iam", "--allow-insecure-endpoint"] + base, env)
            self.assertIn(rc, (1, 3), err)
            self.assertGreater(len(px.log), n)
            # Loopback needs no flag.
            rc, out, err = run(["doctor", "--services", "iam", "--endpoint-url", px.url], env)
            self.assertEqual(rc, 0, err)


if __name__ == "__main__":
    harness.main()
