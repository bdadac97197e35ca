#!/usr/bin/env bash
# The rules benchmark (issue 4): synthetic inventories of 10k, 100k and 300k resources; jq
# evaluating CIS 5.2 alone over the JSON lines against `parapet evaluate` with every shipped rule
# over the same resources imported into a database, and the engine alone (bench_eval). Wall time
# (median of RUNS runs, default 5, with the range) and peak RSS of each. Run from the repository
# root after building, on an idle machine:
#   bash bench/rules/run.sh [BUILD_DIR] [SIZES...]
set -euo pipefail
build=${1:-build}
shift || true
sizes=${*:-10000 100000 300000}
bin="$build/cli/parapet"
work=$(mktemp -d /tmp/pp-bench-rules-XXXXXX)
trap 'rm -rf "$work"' EXIT

cc -O2 -std=c11 -D_GNU_SOURCE -Irules -Icore bench/rules/bench_eval.c \
   "$build/rules/libpp_rules.a" "$build/core/libpp_core.a" \
   $(pkg-config --cflags --libs jansson yaml-0.1 libpcre2-8 openssl) -lpthread -lm \
   -o "$work/bench_eval"

cat > "$work/cis52.jq" <<'JQ'
select(.type == "AWS::EC2::SecurityGroup")
| {id, fail: ([.document.IpPermissions[]
   | select(any(.IpRanges[]; .CidrIp == "0.0.0.0/0"))
   | select(.IpProtocol == "-1" or ((.IpProtocol == "tcp" or .IpProtocol == "6")
            and ((.FromPort <= 22 and .ToPort >= 22) or (.FromPort <= 3389 and .ToPort >= 3389))))]
   | length > 0)}
JQ

# measure LABEL COMMAND...: RUNS runs (default 5); prints the median wall time with the range and
# the highest peak RSS. Before each run, `prepare` (if set) restores the inputs.
measure() {
  local label=$1; shift
  : > "$work/times.txt"
  for _ in $(seq "${RUNS:-5}"); do
    if [ -n "${prepare:-}" ]; then eval "$prepare"; fi
    /usr/bin/time -f "%e %M" "$@" > "$work/out.txt" 2> "$work/time.txt" || true
    tail -1 "$work/time.txt" >> "$work/times.txt"
  done
  sort -n "$work/times.txt" | awk -v label="$label" '
    { t[NR] = $1; if ($2 > rss) rss = $2 }
    END {
      printf "%s: %.2f s wall (median of %d, %.2f-%.2f), %d KB peak RSS\n",
             label, t[int((NR + 1) / 2)], NR, t[1], t[NR], rss
    }'
}

for n in $sizes; do
  echo "== $n resources"
  python3 bench/rules/gen.py "$n" > "$work/inv.jsonl"
  jq -c -f "$work/cis52.jq" "$work/inv.jsonl" > /dev/null # the first run over a new file is slow
  prepare='' measure "jq, CIS 5.2 only" jq -c -f "$work/cis52.jq" "$work/inv.jsonl"
  prepare='rm -f "$work/bench.db"' RUNS=1 \
    measure "parapet inventory import" "$bin" inventory import "$work/inv.jsonl" --db "$work/bench.db"
  # each run evaluates a copy of the freshly imported database, as the first evaluation of a scan
  prepare='cp "$work/bench.db" "$work/eval.db"; rm -rf "$work/out"' \
    measure "parapet evaluate, every shipped rule (json report)" \
    "$bin" evaluate --db "$work/eval.db" --out "$work/out" --format json
  "$work/bench_eval" "$work/inv.jsonl" policies
done
