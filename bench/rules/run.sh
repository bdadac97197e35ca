#!/usr/bin/env bash
# The rules benchmark (issue 4): synthetic inventories of 10k, 100k and 300k resources; jq
# evaluating CIS 5.2 alone over the JSON lines against `parapet evaluate` with every shipped rule
# over the same resources imported into a database, and the engine alone (bench_eval). Wall time
# and peak RSS of each. Run from the repository root after building:
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

measure() { # label command...
  local label=$1; shift
  /usr/bin/time -f "$label: %e s wall, %M KB peak RSS" "$@" > "$work/out.txt" 2> "$work/time.txt" || true
  tail -1 "$work/time.txt"
}

for n in $sizes; do
  echo "== $n resources"
  python3 bench/rules/gen.py "$n" > "$work/inv.jsonl"
  measure "jq, CIS 5.2 only" jq -c -f "$work/cis52.jq" "$work/inv.jsonl"
  rm -f "$work/bench.db"
  measure "parapet inventory import" "$bin" inventory import "$work/inv.jsonl" --db "$work/bench.db"
  measure "parapet evaluate, every shipped rule (json report)" \
    "$bin" evaluate --db "$work/bench.db" --out "$work/out" --format json
  "$work/bench_eval" "$work/inv.jsonl" policies
done
