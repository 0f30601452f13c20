#!/usr/bin/env bash
# Runs the Go benchmarks and the load comparison of issue 8 and prints a
# markdown report on stdout (progress and build output go to stderr):
#
#   ci/bench.sh > bench.md
#
# - go test -bench for server, server/filter, server/patch and
#   server/store/memory; server/store/postgres too when a database is at
#   hand (SCIM_TEST_DATABASE_URL, or a Docker engine for pgtest).
# - scimharness load --serve-fixture users=N for N in $BENCH_USERS: the
#   reference server with the memory store against a bare net/http handler
#   under the same load generator and settings (lookups by userName eq, flat
#   out). Targets: ratio ≥ 0.5, and ≥ 20,000 requests/s driven.
#
# Knobs: BENCH_TIME (go test -benchtime, default 1s), BENCH_USERS (default
# "1000 100000"), BENCH_DURATION (default 10s), BENCH_CONCURRENCY (default 64).
set -euo pipefail
cd "$(dirname "$0")/.."

benchtime=${BENCH_TIME:-1s}
users=${BENCH_USERS:-1000 100000}
duration=${BENCH_DURATION:-10s}
concurrency=${BENCH_CONCURRENCY:-64}

pkgs=(./server/ ./server/filter/ ./server/patch/ ./server/store/memory/)
if [[ -n "${SCIM_TEST_DATABASE_URL:-}" ]] || docker info >/dev/null 2>&1; then
	pkgs+=(./server/store/postgres/)
else
	echo "bench.sh: no database (SCIM_TEST_DATABASE_URL or Docker): postgres benchmarks skipped" >&2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "# scimharness benchmarks"
echo
echo "$(go version), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo
echo "## Go benchmarks (-benchtime $benchtime)"
echo
echo "| package | benchmark | ns/op | B/op | allocs/op |"
echo "|---|---|---:|---:|---:|"
for p in "${pkgs[@]}"; do
	echo "bench.sh: go test -bench $p" >&2
	go test -run '^$' -bench . -benchmem -benchtime "$benchtime" "$p" >"$tmp/bench.txt" 2>&1 || {
		cat "$tmp/bench.txt" >&2
		echo "| $p | FAILED (see stderr) | | | |"
		continue
	}
	awk -v pkg="${p#./}" '/^Benchmark/ {
		ns = ""; b = ""; a = ""
		for (i = 3; i <= NF; i++) {
			if ($(i) == "ns/op") ns = $(i-1)
			if ($(i) == "B/op") b = $(i-1)
			if ($(i) == "allocs/op") a = $(i-1)
		}
		name = $1; sub(/-[0-9]+$/, "", name)
		printf "| %s | %s | %s | %s | %s |\n", pkg, name, ns, b, a
	}' "$tmp/bench.txt"
done

echo
echo "## Load: reference server (memory store) vs bare net/http handler"
echo
echo "Same generator and settings for both: \`scimharness load --serve-fixture users=N --duration $duration --concurrency $concurrency\` (lookups by userName eq, flat out, in one process)."
echo
echo "| users | bare req/s | server req/s | ratio (≥ 0.5) | server p50 | p90 | p99 | max | driven ≥ 20k/s |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---|"
go build -o "$tmp/scimharness" ./cmd/scimharness
for n in $users; do
	echo "bench.sh: load --serve-fixture users=$n" >&2
	if ! "$tmp/scimharness" load --serve-fixture "users=$n" --duration "$duration" --concurrency "$concurrency" --json "$tmp/load.json" >"$tmp/load.txt" 2>&1; then
		cat "$tmp/load.txt" >&2
		echo "| $n | FAILED (see stderr) | | | | | | | |"
		continue
	fi
	python3 - "$tmp/load.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s, b = r["server"], r["bare"]
ok = lambda x: "yes" if x else "**no**"
print(f'| {r["users"]} | {b["throughput"]:.0f} | {s["throughput"]:.0f} | {r["ratio"]:.2f} {ok(r["ratioMet"])} '
      f'| {s["p50Ms"]:.2f} ms | {s["p90Ms"]:.2f} ms | {s["p99Ms"]:.2f} ms | {s["maxMs"]:.2f} ms | {ok(r["driveMet"])} |')
PY
done
