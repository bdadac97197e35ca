"""Checks for every report format parapet writes, for any test that produces reports.

    import reportcheck
    report = reportcheck.check_report_json(out / "report.json")   # JSON Schema + consistency
    reportcheck.check_dir(out)                                     # whatever formats are there

report.json is validated against docs/report-schema.json (draft 2020-12), report.sarif against the
OASIS SARIF 2.1.0 schema in ../shared/testdata/sarif plus GitHub's upload rules, report.ocsf.json
for the Detection Finding keys, report.csv for RFC 4180 shape and formula neutralisation,
report.junit.xml for counts, report.html for self-containment (no external reference, strict CSP
whose hashes match the inline script and style). Each check raises AssertionError with a reason.
"""
import base64
import csv
import hashlib
import html.parser
import io
import json
import os
import re
import xml.etree.ElementTree as ET

import jsonschema

SRC = os.environ.get("PARAPET_SRC",
                     os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
SHARED = os.environ.get("PARAPET_SHARED", os.path.join(SRC, "..", "shared"))

REPORT_SCHEMA = os.path.join(SRC, "docs", "report-schema.json")
SARIF_SCHEMA = os.path.join(SHARED, "testdata", "sarif", "sarif-schema-2.1.0.json")

STATUSES = ("PASS", "FAIL", "ERROR", "UNKNOWN", "MANUAL")
OCSF_KEYS = {"message", "metadata", "severity_id", "severity", "status", "status_code",
             "status_detail", "status_id", "unmapped", "activity_name", "activity_id",
             "finding_info", "resources", "category_name", "category_uid", "class_name",
             "class_uid", "cloud", "remediation", "risk_details", "time", "time_dt", "type_uid",
             "type_name"}
OCSF_SEVERITY = {"info": (1, "Informational"), "low": (2, "Low"), "medium": (3, "Medium"),
                 "high": (4, "High"), "critical": (5, "Critical")}
CSV_COLUMNS = ["finding_id", "rule", "title", "severity", "status", "suppressed", "frameworks",
               "account", "region", "resource_type", "resource_id", "arn", "address", "message",
               "remediation", "suppression"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_validators = {}


def _validator(path, cls=None):
    if path not in _validators:
        with open(path) as f:
            schema = json.load(f)
        cls = cls or jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        _validators[path] = cls(schema)
    return _validators[path]


def schema_errors(doc, path=REPORT_SCHEMA):
    """Every JSON Schema error of doc as 'path: message' lines (empty when valid)."""
    v = _validator(path, jsonschema.Draft202012Validator if path == REPORT_SCHEMA else None)
    return [f"{e.json_path}: {e.message[:300]}" for e in v.iter_errors(doc)]


def check_report_json(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    errors = schema_errors(doc)
    assert not errors, f"{path} does not match docs/report-schema.json:\n" + "\n".join(errors[:20])
    findings = doc["findings"]
    ids = [x["id"] for x in findings]
    assert len(ids) == len(set(ids)), f"{path}: duplicate finding ids"
    counts = {s: 0 for s in STATUSES}
    for x in findings:
        counts[x["status"]] += 1
        if doc["source"]["kind"] != "terraform-plan":
            assert "address" not in x["resource"], f"{path}: address outside a plan"
    for s in STATUSES:
        assert doc["summary"][s] == counts[s], f"{path}: summary {s} {doc['summary'][s]} != {counts[s]}"
    assert doc["summary"]["total"] == len(findings)
    assert doc["summary"]["suppressed"] == sum(1 for x in findings if x["suppressed"])
    per_rule = {}
    for x in findings:
        per_rule.setdefault(x["rule"], {s: 0 for s in STATUSES})[x["status"]] += 1
    for c in doc["controls"]:
        got = {s: c["counts"][s] for s in STATUSES}
        assert got == per_rule.get(c["rule"], {s: 0 for s in STATUSES}), f"{path}: counts of {c['rule']}"
    if "changes" in doc:
        for key in ("new", "resolved", "changed"):
            assert doc["changes"]["counts"][key] == len(doc["changes"][key])
        now = set(ids)
        for c in doc["changes"]["new"]:
            assert c["id"] in now and c["to"] == "FAIL" and c["from"] != "FAIL"
        for c in doc["changes"]["resolved"]:
            assert c["from"] == "FAIL" and c["to"] != "FAIL"
            assert (c["to"] is None) == (c["id"] not in now)
    return doc


def _github_rules(doc, path, plan):
    runs = doc["runs"]
    assert doc["version"] == "2.1.0" and doc.get("$schema")
    assert 1 <= len(runs) <= 20
    for run in runs:
        driver = run["tool"]["driver"]
        assert driver["name"]
        rules = driver.get("rules", [])
        rule_ids = [r["id"] for r in rules]
        assert len(rule_ids) == len(set(rule_ids)), f"{path}: duplicate rules[] ids"
        for r in rules:
            assert r["shortDescription"]["text"], r["id"]
            assert 0 < len(r["fullDescription"]["text"]) <= 1024, r["id"]
            assert r["help"]["text"], r["id"]
            sev = r["properties"]["security-severity"]
            assert isinstance(sev, str) and 0.0 <= float(sev) <= 10.0, r["id"]
            assert len(r["properties"].get("tags", [])) <= 20
        assert len(run["results"]) <= 25000 or not plan, f"{path}: more results than GitHub keeps"
        for res in run["results"]:
            assert rules[res["ruleIndex"]]["id"] == res["ruleId"], f"{path}: ruleIndex mismatch"
            assert res["level"] in ("note", "warning", "error")
            assert res["message"]["text"]
            assert 1 <= len(res["locations"]) <= 10
            assert res["partialFingerprints"]["primaryLocationLineHash"]
            if plan:
                phys = res["locations"][0]["physicalLocation"]
                uri = phys["artifactLocation"]["uri"]
                assert not re.match(r"^[a-z]+:", uri) or uri.startswith("file://"), uri
                assert not uri.startswith("/"), uri
                assert phys["region"]["startLine"] >= 1
            for s in res.get("suppressions", []):
                assert s["kind"] in ("inSource", "external")


def check_sarif(path, plan=False):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    errors = schema_errors(doc, SARIF_SCHEMA)
    assert not errors, f"{path} is not valid SARIF 2.1.0:\n" + "\n".join(errors[:20])
    _github_rules(doc, path, plan)
    return doc


def check_ocsf(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    assert isinstance(doc, list)
    for e in doc:
        assert set(e) == OCSF_KEYS, f"{path}: keys {sorted(set(e) ^ OCSF_KEYS)}"
        assert e["class_uid"] == 2004 and e["category_uid"] == 2 and e["type_uid"] == 200401
        assert e["activity_id"] == 1
        assert e["status_code"] in ("PASS", "FAIL", "MANUAL")
        assert e["status_id"] in (1, 3) and e["status"] in ("New", "Suppressed")
        assert 1 <= e["severity_id"] <= 5
        assert isinstance(e["unmapped"]["compliance"], dict)
        native = e["unmapped"]["status"]
        if native in ("ERROR", "UNKNOWN"):
            assert e["status_code"] == "MANUAL" and e["status_detail"].startswith(native + ":")
        else:
            assert e["status_code"] == native
        assert isinstance(e["time"], int) and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", e["time_dt"])
        assert e["resources"] and e["resources"][0]["uid"]
    return doc


def check_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        data = f.read()
    assert not data.startswith("\ufeff")
    # RFC 4180: CRLF after every record
    assert data.endswith("\r\n")
    # newlines inside quoted fields are part of the field
    rows = list(csv.reader(io.StringIO(data, newline="")))
    assert rows[0] == CSV_COLUMNS, rows[0]
    for i, row in enumerate(rows[1:], 2):
        assert len(row) == len(CSV_COLUMNS), f"{path}: record {i} has {len(row)} fields"
        for cell in row:
            assert not cell.lstrip(" ").startswith(FORMULA_START), f"{path}: formula cell {cell!r}"
    return rows


def check_junit(path):
    tree = ET.parse(path)
    root = tree.getroot()
    assert root.tag == "testsuites"
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        n = {"tests": len(cases),
             "failures": sum(1 for c in cases if c.find("failure") is not None),
             "errors": sum(1 for c in cases if c.find("error") is not None),
             "skipped": sum(1 for c in cases if c.find("skipped") is not None)}
        for k, v in n.items():
            assert int(suite.get(k)) == v, f"{path}: suite {suite.get('name')} {k}"
            total[k] += v
        for c in cases:
            assert c.get("classname") == suite.get("name")
            assert len(list(c)) <= 1
    for k, v in total.items():
        assert int(root.get(k)) == v, f"{path}: testsuites {k}"
    return root


class _HTMLScan(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.csp = []
        self.inline = []  # (tag, type, text)
        self._cur = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp.append(a.get("content") or "")
        if tag in ("script", "style"):
            self._cur = [tag, a.get("type"), ""]

    def handle_data(self, data):
        if self._cur is not None:
            self._cur[2] += data

    def handle_endtag(self, tag):
        if self._cur is not None and tag == self._cur[0]:
            self.inline.append(tuple(self._cur))
            self._cur = None


URL_ATTRS = ("src", "href", "action", "formaction", "data", "poster", "srcset", "background",
             "xlink:href", "ping", "manifest", "cite", "longdesc", "codebase")


def check_html(path, hostile=False):
    """A self-contained page: one strict CSP, hashed inline script and style only, nothing that
    loads anything. Returns the parser with the tags and inline blocks."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    p = _HTMLScan()
    p.feed(text)
    p.close()
    assert text.lstrip().lower().startswith("<!doctype html>")
    assert len(p.csp) == 1, "exactly one Content-Security-Policy meta"
    csp = {d.split()[0]: d.split()[1:] for d in (x.strip() for x in p.csp[0].split(";")) if d}
    assert csp.get("default-src") == ["'none'"], csp
    assert csp.get("img-src") == ["data:"], csp
    for directive in ("script-src", "style-src"):
        for src in csp.get(directive, []):
            assert src.startswith("'sha256-") or src.startswith("'nonce-"), (directive, src)
            assert "unsafe" not in src
    hashes = set(csp.get("script-src", []) + csp.get("style-src", []))
    for tag, typ, body in p.inline:
        if tag == "script" and typ == "application/json":
            assert "<" not in body, "data block carries a raw '<'"
            json.loads(body)
            continue
        digest = "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"
        assert digest in hashes, f"inline {tag} not allowed by the CSP hash"
    for tag, attrs in p.tags:
        assert tag not in ("img", "iframe", "object", "embed", "link", "base", "frame", "audio",
                           "video", "source", "track", "applet"), f"element <{tag}> in the report"
        for k, v in attrs.items():
            assert not k.startswith("on"), f"event handler attribute {k} on <{tag}>"
            if k in URL_ATTRS:
                assert k == "href" and tag == "a" and (v or "").startswith("#"), f"{tag} {k}={v!r}"
        if tag == "script":
            assert "src" not in attrs
    if not hostile:
        # no URL of any kind in a report built from ordinary data
        assert not re.search(r"(https?|ftp|wss?)://", text), "a URL in the report"
    return p


def check_dir(out, plan=False, hostile=False):
    """Checks every report file present in out; returns {filename: parsed}."""
    found = {}
    checks = {"report.json": check_report_json, "report.ocsf.json": check_ocsf,
              "report.csv": check_csv, "report.junit.xml": check_junit,
              "report.sarif": lambda p: check_sarif(p, plan=plan),
              "report.html": lambda p: check_html(p, hostile=hostile)}
    for name, fn in checks.items():
        path = os.path.join(out, name)
        if os.path.exists(path):
            found[name] = fn(path)
    assert found, f"no report in {out}"
    return found


if __name__ == "__main__":
    # python3 tests/integration/reportcheck.py DIR [--plan] [--hostile]: check a report folder
    import sys
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        sys.exit("usage: reportcheck.py DIR [--plan] [--hostile]")
    done = check_dir(args[0], plan="--plan" in sys.argv, hostile="--hostile" in sys.argv)
    print("ok: " + ", ".join(sorted(done)))
