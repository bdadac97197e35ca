#!/usr/bin/env python3
"""Report benchmark: writes each format for a synthetic evaluation of N resources (default
100,000, the size of the rules benchmark's inventory) and opens report.html in headless Chromium.

    python3 bench/reports/bench.py [--gen build/tests/browser/gen_report] [--resources 100000]

Prints one Markdown table for docs/benchmarks.md: per format the write time, peak RSS and file
size; then the HTML's open time (navigation start to the script's data-ready mark, and wall
clock from navigate to ready), a filter pass over every resource, and opening the largest
control. Nothing here is asserted: the browser suite checks behaviour, this measures it."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "browser"))
from cdp import Browser, Page  # noqa: E402

FORMATS = ["json", "html", "ocsf", "csv", "sarif", "junit"]
FILES = {"json": "report.json", "html": "report.html", "ocsf": "report.ocsf.json",
         "csv": "report.csv", "sarif": "report.sarif", "junit": "report.junit.xml"}


def run_gen(gen, out, n, fmt):
    t0 = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", gen, "--out", out, "--resources", str(n),
                        "--formats", fmt], capture_output=True, text=True)
    wall = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit(f"gen_report failed: {r.stderr}")
    lines = r.stderr.strip().splitlines()
    rss_kb = int(lines[-1])
    # "built in X s, written in Y s"
    written = float(lines[-2].rsplit("written in ", 1)[1].split()[0])
    return written, wall, rss_kb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gen", default=os.path.join("build", "tests", "browser", "gen_report"))
    ap.add_argument("--resources", type=int, default=100000)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="pp-bench-reports-")
    try:
        rows = []
        for fmt in FORMATS:
            written, wall, rss = run_gen(args.gen, tmp, args.resources, fmt)
            size = os.path.getsize(os.path.join(tmp, FILES[fmt]))
            rows.append((fmt, written, wall, rss, size))
        print(f"Synthetic evaluation: {args.resources} resources "
              f"(3 accounts, 4 regions, 15 rules). gen_report builds the input in memory, then "
              f"writes one format.\n")
        print("| format | write (s) | process wall (s) | peak RSS (MB) | size (MB) |")
        print("|---|---|---|---|---|")
        for fmt, written, wall, rss, size in rows:
            print(f"| {fmt} | {written:.2f} | {wall:.2f} | {rss / 1024:.0f} | {size / 1e6:.1f} |")

        with Browser(width=1280, height=900) as b:
            page = Page(b)
            url = "file://" + os.path.join(tmp, "report.html")
            t0 = time.monotonic()
            page.call("Page.navigate", {"url": url})
            page.wait_for("document.body && document.body.getAttribute('data-ready') === '1'",
                          timeout=120)
            ready_wall = time.monotonic() - t0
            nav = page.eval("performance.now()")
            count = page.eval("document.getElementById('filter-count').textContent")
            t1 = time.monotonic()
            page.eval("""(function () { var el = document.getElementById('f-status');
                el.value = 'FAIL'; el.dispatchEvent(new Event('change')); })()""")
            page.eval("new Promise(function (r) { setTimeout(r, 0); })")
            page.eval("document.getElementById('filter-count').textContent")
            filt = time.monotonic() - t1
            t2 = time.monotonic()
            opened = page.eval("""(function () {
                var best = null, n = -1;
                var c = document.querySelectorAll('details.control');
                for (var i = 0; i < c.length; i++) {
                    var k = Number((c[i].querySelector('.counts').textContent.match(/(\\d+) failed/) || [0, 0])[1]);
                    if (k > n) { n = k; best = c[i]; }
                }
                best.open = true;
                return new Promise(function (resolve) {
                    (function poll() {
                        var rows = best.querySelectorAll('tr.finding').length;
                        if (rows) resolve([best.querySelector('.ctl-id').textContent, n, rows]);
                        else setTimeout(poll, 5);
                    })();
                });
            })()""")
            open_s = time.monotonic() - t2
        print()
        print(f"report.html in headless Chromium ({count}):")
        print()
        print("| measure | seconds |")
        print("|---|---|")
        print(f"| navigation start to data-ready (performance.now) | {nav / 1000:.2f} |")
        print(f"| navigate command to data-ready (wall) | {ready_wall:.2f} |")
        print(f"| status filter over every control and resource | {filt:.2f} |")
        print(f"| open control {opened[0]} ({opened[1]} failed, first {opened[2]} rows) | {open_s:.2f} |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
