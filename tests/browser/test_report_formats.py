"""Every report format, validated: report.json against docs/report-schema.json, SARIF against the
SARIF 2.1.0 schema and GitHub's rules, OCSF keys, CSV shape and formula neutralisation, JUnit
counts, and a self-contained HTML. The reports come from gen_report (bench/reports): a scan with
a previous snapshot and history, the same with hostile values, and a Terraform plan."""
import csv
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import reportcheck  # noqa: E402

GEN = os.environ.get("GEN_REPORT", "gen_report")
ALL = ["report.json", "report.html", "report.ocsf.json", "report.csv", "report.sarif",
       "report.junit.xml"]


def generate(out, *flags, formats=None):
    cmd = [GEN, "--out", out, *flags]
    if formats:
        cmd += ["--formats", formats]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    if r.returncode != 0:
        raise AssertionError(f"gen_report {flags}: {r.returncode}\n{r.stderr}")


class ReportFormats(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pp-reports-")
        cls.scan = os.path.join(cls.tmp, "scan")
        cls.hostile = os.path.join(cls.tmp, "hostile")
        cls.plan = os.path.join(cls.tmp, "plan")
        generate(cls.scan, "--previous", "--history", "--resources", "400")
        generate(cls.hostile, "--previous", "--history", "--hostile")
        generate(cls.plan, "--plan", "--hostile", "--resources", "120")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_every_format_validates(self):
        for out, plan, hostile in ((self.scan, False, False), (self.hostile, False, True),
                                   (self.plan, True, True)):
            with self.subTest(out=os.path.basename(out)):
                found = reportcheck.check_dir(out, plan=plan, hostile=hostile)
                self.assertEqual(sorted(found), sorted(ALL))

    def test_files_are_private(self):
        self.assertEqual(stat.S_IMODE(os.stat(self.scan).st_mode), 0o700)
        for name in ALL:
            mode = stat.S_IMODE(os.stat(os.path.join(self.scan, name)).st_mode)
            self.assertEqual(mode, 0o600, name)
        self.assertEqual(sorted(os.listdir(self.scan)), sorted(ALL), "temporary files left")

    def test_schema_rejects_broken_reports(self):
        # the schema must be able to fail: each mutation breaks one promise of the contract
        with open(os.path.join(self.scan, "report.json")) as f:
            good = json.load(f)
        self.assertEqual(reportcheck.schema_errors(good), [])
        mutations = [
            lambda d: d.pop("findings"),
            lambda d: d.__setitem__("schema", "parapet/report/v2"),
            lambda d: d["findings"][0].__setitem__("status", "OK"),
            lambda d: d["findings"][0].__setitem__("id", "not-a-digest"),
            lambda d: d["findings"][0]["resource"].pop("arn"),
            lambda d: d["summary"].__setitem__("FAIL", -1),
            lambda d: d["scan"]["coverage"][0].__setitem__("status", "maybe"),
            lambda d: d["controls"][0].__setitem__("severity", "severe"),
            lambda d: d["changes"]["new"].append({"id": "x"}),
            lambda d: d.__setitem__("extra", 1),
        ]
        for i, mutate in enumerate(mutations):
            doc = json.loads(json.dumps(good))
            mutate(doc)
            self.assertNotEqual(reportcheck.schema_errors(doc), [], f"mutation {i} accepted")

    def test_contract_content(self):
        with open(os.path.join(self.scan, "report.json")) as f:
            doc = json.load(f)
        self.assertEqual(doc["source"]["kind"], "aws")
        self.assertEqual(doc["scan"]["id"], 42)
        statuses = {x["status"] for x in doc["findings"]}
        self.assertTrue({"PASS", "FAIL", "ERROR", "MANUAL"} <= statuses, statuses)
        errors = [c for c in doc["scan"]["coverage"] if c["status"] == "error"]
        self.assertEqual(len(errors), 1)
        self.assertTrue(errors[0]["error"].startswith("AccessDeniedException"))
        cis = next(f for f in doc["frameworks"] if f["name"] == "cis-aws-3.0")
        ids = [c["id"] for c in cis["controls"]]
        self.assertLess(ids.index("1.2"), ids.index("1.10"))
        self.assertEqual(ids, sorted(ids, key=lambda s: [int(p) for p in s.split(".")]))
        ch = doc["changes"]
        self.assertGreater(ch["counts"]["new"], 0)
        self.assertGreater(ch["counts"]["resolved"], 0)
        self.assertGreater(ch["counts"]["regressed"], 0)
        sup = [x for x in doc["findings"] if x["suppressed"]]
        self.assertTrue(sup and all(x["suppression"]["owner"] for x in sup))

    def test_ids_are_stable(self):
        again = os.path.join(self.tmp, "again")
        generate(again, "--previous", "--history", "--resources", "400", formats="json,html")
        for name in ("report.json", "report.html"):
            with open(os.path.join(self.scan, name), "rb") as a, open(os.path.join(again, name), "rb") as b:
                self.assertEqual(a.read(), b.read(), f"{name} differs between identical runs")

    def test_csv_injection_is_neutralised(self):
        rows = reportcheck.check_csv(os.path.join(self.hostile, "report.csv"))
        cells = [c for r in rows[1:] for c in r]
        # the hostile IAM user is named like a formula: it must reach the sheet as text
        formula = [c for c in cells if c.lstrip("'").startswith("=HYPERLINK")]
        self.assertTrue(formula)
        for c in formula:
            self.assertTrue(c.startswith("'="), c)
        # quotes and newlines stay inside their field
        msgs = [r[13] for r in rows[1:] if "pwned-script" in r[13]]
        self.assertTrue(msgs)
        self.assertTrue(all(len(r) == len(reportcheck.CSV_COLUMNS) for r in rows))
        with open(os.path.join(self.hostile, "report.csv"), "rb") as f:
            raw = f.read()
        raw.decode("utf-8")  # invalid UTF-8 from tags never reaches the file
        self.assertNotIn(b'\n"=', raw.replace(b"\r\n", b"\n"))

    def test_hostile_values_stay_data(self):
        with open(os.path.join(self.hostile, "report.json"), encoding="utf-8") as f:
            doc = json.load(f)
        ids = [x["resource"]["id"] for x in doc["findings"]]
        self.assertIn("sg-<i>hostile</i>\"'", ids)
        with open(os.path.join(self.hostile, "report.ocsf.json"), encoding="utf-8") as f:
            ocsf = json.load(f)
        labels = [l for e in ocsf for l in e["resources"][0]["labels"]]
        self.assertIn("Name:<img src=x onerror=\"document.title='pwned-img'\">", labels)
        bad = {l for l in labels if l.startswith("bad-utf8:")}
        self.assertEqual(bad, {"bad-utf8:ok\ufffd\ufffd\ufffd(end"})
        with open(os.path.join(self.hostile, "report.html"), encoding="utf-8") as f:
            text = f.read()
        self.assertNotIn("<img", text)
        self.assertNotIn("<svg onload", text)
        self.assertNotIn("<i>hostile", text)
        root = ET.parse(os.path.join(self.hostile, "report.junit.xml")).getroot()
        names = [c.get("name") for c in root.iter("testcase")]
        self.assertTrue(any(n.startswith("sg-<i>hostile</i>") for n in names))

    def test_plan_reports(self):
        with open(os.path.join(self.plan, "report.json")) as f:
            doc = json.load(f)
        self.assertEqual(doc["source"]["kind"], "terraform-plan")
        self.assertEqual(doc["source"]["plan"], "plans/tfplan.json")
        addressed = [x for x in doc["findings"] if "address" in x["resource"]]
        self.assertTrue(addressed)
        self.assertTrue(any(x["resource"]["address"].startswith("module.net.") for x in addressed))
        self.assertIn("UNKNOWN", {x["status"] for x in doc["findings"]})
        sarif = reportcheck.check_sarif(os.path.join(self.plan, "report.sarif"), plan=True)
        results = sarif["runs"][0]["results"]
        by_uri = {}
        for r in results:
            loc = r["locations"][0]["physicalLocation"]
            by_uri.setdefault(loc["artifactLocation"]["uri"], set()).add(loc["region"]["startLine"])
        self.assertEqual(by_uri.get("modules/net/main.tf"), {12})
        self.assertEqual(by_uri.get("iam%20users.tf"), {3})
        self.assertEqual(by_uri.get("plans/tfplan.json"), {1})
        unknown = [r for r in results if r["properties"]["status"] == "UNKNOWN"]
        self.assertTrue(unknown and all(r["level"] == "note" for r in unknown))
        statuses = {r["properties"]["status"] for r in results}
        self.assertNotIn("PASS", statuses)
        root = ET.parse(os.path.join(self.plan, "report.junit.xml")).getroot()
        skipped = [c for c in root.iter("testcase") if c.find("skipped") is not None]
        self.assertTrue(any(s.find("skipped").get("message", "").startswith("UNKNOWN") for s in skipped))

    def test_sarif_suppressions(self):
        sarif = reportcheck.check_sarif(os.path.join(self.scan, "report.sarif"))
        with open(os.path.join(self.scan, "report.json")) as f:
            doc = json.load(f)
        suppressed = {x["id"] for x in doc["findings"] if x["suppressed"]}
        self.assertTrue(suppressed)
        seen = set()
        for r in sarif["runs"][0]["results"]:
            fid = r["partialFingerprints"]["parapetFindingId/v1"]
            if fid in suppressed:
                s = r["suppressions"][0]
                self.assertEqual(s["status"], "accepted")
                self.assertIn(s["kind"], ("inSource", "external"))
                self.assertTrue(s["justification"])
                seen.add(fid)
            else:
                self.assertNotIn("suppressions", r)
        self.assertEqual(seen, {x["id"] for x in doc["findings"]
                                if x["suppressed"] and x["status"] in ("FAIL", "ERROR", "UNKNOWN")})
        kinds = {r["suppressions"][0]["kind"] for r in sarif["runs"][0]["results"] if "suppressions" in r}
        self.assertEqual(kinds, {"inSource", "external"})

    def test_unknown_format_writes_nothing(self):
        out = os.path.join(self.tmp, "bad")
        r = subprocess.run([GEN, "--out", out, "--formats", "json,pdf"], capture_output=True,
                           text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("unknown report format 'pdf'", r.stderr)
        self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main(verbosity=2)
