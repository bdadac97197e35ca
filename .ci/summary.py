"""Sums meson's test logs (and extra result lines) into the last line CI reads."""
import json
import sys

passed = failed = 0
for path in sys.argv[1:]:
    if path.endswith(".json"):
        try:
            lines = open(path).read().splitlines()
        except FileNotFoundError:
            failed += 1
            print(f"missing test log {path}")
            continue
        for line in lines:
            t = json.loads(line)
            if t["result"] in ("OK", "EXPECTEDFAIL"):
                passed += 1
            else:
                failed += 1
                print(f"failed: {t['name']} ({t['result']}) in {path}")
    else:  # a file of "name PASS|FAIL" lines written by .ci/run for its own checks
        for line in open(path):
            name, result = line.split()
            if result == "PASS":
                passed += 1
            else:
                failed += 1
                print(f"failed: {name}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
