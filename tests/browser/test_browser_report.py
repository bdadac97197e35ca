"""The HTML report in headless Chromium (Debian's chromium, driven over the DevTools protocol on a
pipe): hostile values run no script, the page loads nothing from anywhere, the expected controls
are there in order, the offline filters work, print mode renders every control, and a screenshot
of the summary is kept under the build folder (ARTIFACTS) for people to look at."""
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import reportcheck  # noqa: E402
from cdp import Browser, Page  # noqa: E402

GEN = os.environ.get("GEN_REPORT", "gen_report")
ARTIFACTS = os.environ.get("ARTIFACTS", tempfile.gettempdir())
TITLE = "parapet report 2024-05-01T12:00:00Z"


def generate(out, *flags):
    r = subprocess.run([GEN, "--out", out, *flags], capture_output=True, text=True, timeout=240)
    if r.returncode != 0:
        raise AssertionError(f"gen_report {flags}: {r.returncode}\n{r.stderr}")
    return out


def url(out):
    return "file://" + os.path.join(os.path.abspath(out), "report.html")


class BrowserReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pp-browser-")
        cls.hostile = generate(os.path.join(cls.tmp, "hostile"), "--hostile", "--previous",
                               "--history", "--resources", "300")
        with open(os.path.join(cls.hostile, "report.json")) as f:
            cls.doc = json.load(f)
        cls.browser = Browser(width=1280, height=900)

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def open(self, out):
        page = Page(self.browser)
        self.addCleanup(page.close)
        page.goto(url(out))
        page.wait_for("document.body && document.body.getAttribute('data-ready') === '1'")
        return page

    def set_filter(self, page, name, value):
        page.eval(f"""(function () {{
            var el = document.getElementById('f-{name}');
            el.value = {json.dumps(value)};
            el.dispatchEvent(new Event('{'input' if name == 'text' else 'change'}'));
        }})()""")
        # the text box is debounced; wait until the count reflects the filter
        page.eval("new Promise(function (r) { setTimeout(r, 300); })")

    def shown(self, page):
        return page.eval("""(function () {
            var c = document.querySelectorAll('details.control:not([hidden])');
            var ids = [];
            for (var i = 0; i < c.length; i++) ids.push(c[i]);
            return ids.map(function (d) { return {
                framework: d.getAttribute('data-framework'), status: d.getAttribute('data-status'),
                has: d.getAttribute('data-has'), severity: d.getAttribute('data-severity'),
                services: d.getAttribute('data-services'),
                id: d.querySelector('summary .ctl-id').textContent }; });
        })()""")

    def resources_shown(self, page):
        text = page.eval("document.getElementById('filter-count').textContent")
        # "N of M controls and R of T resources shown."
        parts = text.split()
        return int(parts[5]), int(parts[7])

    def page_events(self, page, method):
        self.browser.drain(0.3)
        return page.events(method)

    # ---- safety ------------------------------------------------------------------------------

    def test_hostile_values_run_no_script(self):
        page = self.open(self.hostile)
        # render everything the hostile values reach: every control, the resource page with them
        page.eval("""(function () {
            var c = document.querySelectorAll('details.control');
            for (var i = 0; i < c.length; i++) c[i].open = true;
        })()""")
        self.set_filter(page, "text", "hostile")
        page.eval("new Promise(function (r) { setTimeout(r, 200); })")
        self.assertEqual(page.eval("document.title"), TITLE)
        self.assertIsNone(page.eval("window.pwned === undefined ? null : window.pwned"))
        self.assertEqual(page.eval("document.querySelectorAll('#pwned, img, iframe, object').length"), 0)
        self.assertEqual(page.eval("document.querySelectorAll('svg[onload], [onerror], [onload]').length"), 0)
        self.assertEqual(page.eval("document.querySelectorAll('script').length"), 2)
        body = page.eval("document.body.innerText")
        # the values are shown, as text
        self.assertIn("onerror=\"document.title='pwned-img'\"", body)
        self.assertIn("</script><script>document.title='pwned-script'", body)
        self.assertIn("sg-<i>hostile</i>", body)
        self.assertIn("ok\ufffd\ufffd\ufffd(end", body)
        self.assertGreater(page.eval("document.querySelectorAll('#res-body tr').length"), 0)
        self.assertEqual(self.page_events(page, "Runtime.exceptionThrown"), [])
        errors = [e for e in self.page_events(page, "Runtime.consoleAPICalled")
                  if e["params"]["type"] in ("error", "assert")]
        self.assertEqual(errors, [])
        # nothing was refused by the CSP either: the page's own script and style match their hashes
        csp = [e for e in self.page_events(page, "Log.entryAdded")
               if "Content Security Policy" in e["params"]["entry"].get("text", "")]
        self.assertEqual(csp, [], csp[:1])

    def test_csp_blocks_injected_script(self):
        page = self.open(self.hostile)
        # were markup ever to get in, an inline script would still not run
        blocked = page.eval("""(function () {
            var s = document.createElement('script');
            s.textContent = 'window.cspBypass = 1;';
            document.body.appendChild(s);
            var st = document.createElement('div');
            st.setAttribute('onclick', 'window.cspBypass = 2');
            document.body.appendChild(st);
            st.click();
            return window.cspBypass === undefined;
        })()""")
        self.assertTrue(blocked)
        refused = [e for e in self.page_events(page, "Log.entryAdded")
                   if "Content Security Policy" in e["params"]["entry"].get("text", "")]
        self.assertTrue(refused, "the CSP did not report the injected script")

    def test_loads_nothing_from_the_network(self):
        reportcheck.check_html(os.path.join(self.hostile, "report.html"), hostile=True)
        page = self.open(self.hostile)
        page.eval("""(function () {
            var c = document.querySelectorAll('details.control');
            for (var i = 0; i < c.length; i++) c[i].open = true;
            document.getElementById('res-next').click();
        })()""")
        page.eval("new Promise(function (r) { setTimeout(r, 300); })")
        requests = [e["params"]["request"]["url"]
                    for e in self.page_events(page, "Network.requestWillBeSent")]
        self.assertIn(url(self.hostile), requests)
        others = [u for u in requests if u != url(self.hostile) and not u.startswith("data:")]
        self.assertEqual(others, [])
        failed = self.page_events(page, "Network.loadingFailed")
        self.assertEqual(failed, [])
        entries = page.eval("performance.getEntriesByType('resource').map(function (e) { return e.name; })")
        self.assertEqual(entries, [])

    # ---- content -----------------------------------------------------------------------------

    def test_expected_controls(self):
        page = self.open(self.hostile)
        shown = self.shown(page)
        expected = [(fw["name"], c["id"], c["status"]) for fw in self.doc["frameworks"]
                    for c in fw["controls"]]
        mapped = {r for fw in self.doc["frameworks"] for c in fw["controls"] for r in c["rules"]}
        expected += [("(none)", c["rule"], c["status"]) for c in self.doc["controls"]
                     if c["rule"] not in mapped]
        self.assertEqual([(c["framework"], c["id"], c["status"]) for c in shown], expected)
        cis = [c["id"] for c in shown if c["framework"] == "cis-aws-3.0"]
        self.assertEqual(cis[:6], ["1.1", "1.2", "1.4", "1.8", "1.10", "3.6"])
        cards = page.eval("""Array.prototype.map.call(document.querySelectorAll('#summary > .cards .card'),
            function (c) { return [c.querySelector('.label').textContent, Number(c.querySelector('.num').textContent)]; })""")
        counts = dict(cards)
        for s in ("PASS", "FAIL", "ERROR", "UNKNOWN", "MANUAL", "suppressed"):
            self.assertEqual(counts[s], self.doc["summary"][s], s)
        changes = [page.eval(f"Number(document.querySelector('#chg-{i} .num').textContent)")
                   for i in range(4)]
        c = self.doc["changes"]["counts"]
        self.assertEqual(changes, [c["new"], c["resolved"], c["regressed"], c["changed"]])
        self.assertEqual(page.eval("document.querySelectorAll('#trend polyline').length"), 2)
        coverage = page.eval("document.getElementById('coverage').innerText")
        self.assertIn("AccessDeniedException", coverage)
        self.assertIn("kms", coverage)
        # opening a failing control lists its failing resources with evidence
        page.eval("""(function () {
            var d = document.querySelector('details.control[data-framework="cis-aws-3.0"][data-status="FAIL"]');
            d.open = true; })()""")
        rows = page.eval("""(function () {
            var d = document.querySelector('details.control[data-framework="cis-aws-3.0"][data-status="FAIL"]');
            return [d.querySelectorAll('tr.finding').length, d.querySelectorAll('pre.evidence').length]; })()""")
        self.assertGreater(rows[0], 0)
        self.assertGreater(rows[1], 0)

    def test_filters(self):
        page = self.open(self.hostile)
        total_controls = len(self.shown(page))
        findings = self.doc["findings"]

        def key(x):
            r = x["resource"]
            return (r["type"], r["account"], r["region"], r["id"])

        # status
        self.set_filter(page, "status", "FAIL")
        shown = self.shown(page)
        self.assertTrue(shown)
        self.assertLess(len(shown), total_controls)
        for c in shown:
            self.assertTrue(c["status"] == "FAIL" or "FAIL" in c["has"].split(), c)
        fail_res = {key(x) for x in findings if x["status"] == "FAIL"}
        self.assertEqual(self.resources_shown(page)[0], len(fail_res))
        self.set_filter(page, "status", "")

        # severity
        self.set_filter(page, "severity", "critical")
        shown = self.shown(page)
        self.assertTrue(shown and all("critical" in c["severity"].split() for c in shown))
        self.set_filter(page, "severity", "")

        # region: resources and the rows inside an opened control
        self.set_filter(page, "region", "ap-southeast-2")
        cells = page.eval("Array.prototype.map.call(document.querySelectorAll('#res-body td.reg'), function (t) { return t.textContent; })")
        self.assertTrue(cells and set(cells) == {"ap-southeast-2"})
        regional = {key(x) for x in findings if x["resource"]["region"] == "ap-southeast-2"}
        self.assertEqual(self.resources_shown(page)[0], len(regional))
        page.eval("""(function () {
            var c = document.querySelectorAll('details.control:not([hidden])');
            for (var i = 0; i < c.length; i++) c[i].open = true; })()""")
        regs = page.eval("Array.prototype.map.call(document.querySelectorAll('details.control:not([hidden]) tr.finding td.reg'), function (t) { return t.textContent; })")
        self.assertTrue(regs and set(regs) == {"ap-southeast-2"})
        self.set_filter(page, "region", "")

        # account
        self.set_filter(page, "account", "777788889999")
        accts = page.eval("Array.prototype.map.call(document.querySelectorAll('#res-body td.acct'), function (t) { return t.textContent; })")
        self.assertTrue(accts and set(accts) == {"777788889999"})
        self.set_filter(page, "account", "")

        # service
        self.set_filter(page, "service", "iam")
        shown = self.shown(page)
        self.assertTrue(shown and all("iam" in c["services"].split() for c in shown))
        types = page.eval("Array.prototype.map.call(document.querySelectorAll('#res-body td.type'), function (t) { return t.textContent; })")
        self.assertTrue(types and all(t.startswith("AWS::IAM::") for t in types))
        self.set_filter(page, "service", "")

        # framework
        self.set_filter(page, "framework", "reference")
        shown = self.shown(page)
        self.assertTrue(shown and {c["framework"] for c in shown} == {"reference"})
        self.assertEqual(page.eval("document.querySelectorAll('section.framework:not([hidden])').length"), 1)
        self.set_filter(page, "framework", "")

        # free text: a tag value finds its resource, a rule id finds its control
        self.set_filter(page, "text", "team-platform")
        tagged = {key(x) for x in findings}  # at least one resource carries the tag
        n, _ = self.resources_shown(page)
        self.assertGreater(n, 0)
        self.assertLess(n, len(tagged) + 100)
        self.set_filter(page, "text", "CIS-5.3")
        shown = self.shown(page)
        self.assertEqual([c["id"] for c in shown], ["5.3"])

        # reset shows everything again
        page.eval("document.getElementById('filters').reset()")
        page.eval("new Promise(function (r) { setTimeout(r, 200); })")
        self.assertEqual(len(self.shown(page)), total_controls)

    def test_resource_pages(self):
        page = self.open(self.hostile)
        first = page.eval("document.getElementById('res-page').textContent")
        self.assertTrue(first.startswith("Resources 1-50 of "), first)
        # worst first: the failing resources lead the table
        statuses = page.eval("Array.prototype.map.call(document.querySelectorAll('#res-body td.st .badge:first-child'), function (b) { return b.textContent; })")
        self.assertEqual(statuses[0], "FAIL")
        order = {"FAIL": 5, "ERROR": 4, "UNKNOWN": 3, "MANUAL": 2, "PASS": 1, "NOT_APPLICABLE": 0}
        ranks = [order[x] for x in statuses]
        self.assertEqual(ranks, sorted(ranks, reverse=True))
        page.eval("document.getElementById('res-next').click()")
        second = page.eval("document.getElementById('res-page').textContent")
        self.assertTrue(second.startswith("Resources 51-100 of "), second)
        tags = page.eval("document.querySelectorAll('#res-body span.tag').length")
        self.assertGreater(tags, 0)

    # ---- print and artifacts -----------------------------------------------------------------

    def test_print_renders_every_control(self):
        page = self.open(self.hostile)
        page.call("Emulation.setEmulatedMedia", {"media": "print"})
        page.eval("new Promise(function (r) { setTimeout(r, 200); })")
        state = page.eval("""(function () {
            var c = document.querySelectorAll('details.control');
            var open = 0, rendered = 0;
            for (var i = 0; i < c.length; i++) {
                if (c[i].open) open++;
                if (c[i].querySelector('.rule-findings[data-rendered="1"], .rule-findings p.none')) rendered++;
            }
            return [c.length, open, rendered,
                    getComputedStyle(document.querySelector('.filters')).display,
                    getComputedStyle(document.querySelector('details.control')).breakBefore];
        })()""")
        self.assertEqual(state[1], state[0])
        self.assertEqual(state[2], state[0])
        self.assertEqual(state[3], "none")
        self.assertEqual(state[4], "page")
        page.call("Emulation.setEmulatedMedia", {"media": ""})
        pdf = os.path.join(ARTIFACTS, "report-print.pdf")
        page.print_pdf(pdf)
        with open(pdf, "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(b"%PDF"))
        pages = data.count(b"/Type /Page\n") + data.count(b"/Type /Page\r") + data.count(b"/Type /Page/") + data.count(b"/Type /Page>")
        # a page break per control: at least as many pages as controls
        self.assertGreaterEqual(pages, state[0], pages)

    def test_summary_screenshot(self):
        page = self.open(self.hostile)
        box = page.eval("""(function () {
            var r = document.getElementById('summary').getBoundingClientRect();
            return {x: 0, y: r.top + window.scrollY, width: 1280, height: Math.min(r.height, 2400)}; })()""")
        path = os.path.join(ARTIFACTS, "report-summary.png")
        page.screenshot(path, box)
        with open(path, "rb") as f:
            head = f.read(8)
        self.assertEqual(head, b"\x89PNG\r\n\x1a\n")
        self.assertGreater(os.path.getsize(path), 10000)
        full = os.path.join(ARTIFACTS, "report-cover.png")
        page.screenshot(full, {"x": 0, "y": 0, "width": 1280, "height": 900})

    def test_plan_report(self):
        out = generate(os.path.join(self.tmp, "plan"), "--plan", "--hostile", "--resources", "80")
        page = self.open(out)
        body = page.eval("document.getElementById('cover').innerText")
        self.assertIn("Terraform plan", body)
        self.assertIn("plans/tfplan.json", body)
        self.assertGreater(page.eval("Number(document.querySelector('.card.st-UNKNOWN .num').textContent)"), 0)
        self.set_filter(page, "text", "module.net.")
        n, _ = self.resources_shown(page)
        self.assertGreater(n, 0)
        self.assertEqual(page.eval("document.title"), TITLE)

    def test_larger_report_opens(self):
        out = generate(os.path.join(self.tmp, "large"), "--resources", "20000")
        page = self.open(out)
        n, total = self.resources_shown(page)
        self.assertEqual(n, total)
        self.assertGreater(total, 20000)
        self.set_filter(page, "status", "ERROR")
        shown = self.shown(page)
        self.assertTrue(shown and all("ERROR" in c["has"].split() or c["status"] == "ERROR" for c in shown))
        self.assertEqual(self.page_events(page, "Runtime.exceptionThrown"), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
