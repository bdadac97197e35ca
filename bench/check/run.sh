#!/usr/bin/env bash
# The `parapet check` benchmark: a generated 10,000-resource plan (~45-50 MB, half unchanged
# resources, as a CI plan against existing infrastructure looks), read by the plan reader alone
# (plan_bench: load time and peak RSS) and checked end to end by the parapet binary (wall and CPU
# time, peak RSS) for each output format. Targets: under 2 s, under 500 MB.
#
# usage: bench/check/run.sh [PARAPET_BIN] [POLICY_DIR]
#   PARAPET_BIN  default build-plan/cli/parapet;  POLICY_DIR  default the plan fixtures' pack
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/build-plan/cli/parapet}
pack=${2:-$root/tests/fixtures/plans/policies/plan-pack}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$root/bench/check/gen_plan.py" "$work/plan.json" --resources 10000
echo "plan: $(( $(stat -c %s "$work/plan.json") / 1000000 )) MB ($(stat -c %s "$work/plan.json") bytes), 10000 resource changes"

cc -O2 -D_GNU_SOURCE -I"$root/scanner" -I"$root/core" "$root/bench/check/plan_bench.c" \
  "$root"/scanner/plan.c "$root"/scanner/plan_map.c "$root"/scanner/plan_locate.c \
  "$root"/scanner/plan_suppress.c "$root"/core/*.c -o "$work/plan_bench" \
  $(pkg-config --cflags --libs jansson yaml-0.1 libpcre2-8 openssl) -lm
echo "reader alone:"
"$work/plan_bench" "$work/plan.json" 3 | sed 's/^/  /'

echo "parapet check (best of 3 per format; load average: $(cut -d' ' -f1-3 /proc/loadavg)):"
for fmt in text json sarif junit; do
  best=""
  for i in 1 2 3; do
    /usr/bin/time -o "$work/time" -f "%e %U %S %M" "$bin" check "$work/plan.json" \
      --policies "$pack" --format "$fmt" --out "$work/out.$fmt" --quiet >/dev/null 2>&1 || true
    line=$(tail -1 "$work/time")
    wall=${line%% *}
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < ${best%% *})}"; then best=$line; fi
  done
  read -r wall user sys rss <<<"$best"
  printf '  %-6s %5.2f s wall (%4.2f user + %4.2f sys), peak RSS %d MB, output %d KB\n' \
    "$fmt" "$wall" "$user" "$sys" $((rss / 1024)) $(( $(stat -c %s "$work/out.$fmt") / 1024 ))
done
