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
# - scimharness load --serve-fixture users=100000 --database-url on a
#   throwaway cluster (ci/pg-local.sh), when PostgreSQL binaries are at
#   hand. Target: ≥ 5,000 lookups/s. On the same cluster, after it,
#   ci/pgbench-lookup.sh: pgbench's TPS for an indexed JSONB lookup by
#   lower(userName) at as many rows (16 clients, prepared, -T 20), and the
#   ratio server lookups/s ÷ pgbench TPS. Target: ≥ 0.3 (issue 20).
# - the Entra initial cycle of 10,000 users and 100 groups against
#   `scimharness serve` (memory store) in another process. Target: < 10 s.
#
# Knobs: BENCH_TIME (go test -benchtime, default 1s), BENCH_COUNT (go test
# -count, default 3; the best run is reported), BENCH_USERS (default
# "1000 100000"), BENCH_DURATION (default 20s), BENCH_CONCURRENCY (default 64),
# BENCH_PG_USERS (100000), BENCH_PG_CONCURRENCY (32), BENCH_PGBENCH_CLIENTS
# (16), BENCH_PGBENCH_TIME (seconds, 20), BENCH_ENTRA_USERS
# (10000), BENCH_ENTRA_GROUPS (100), BENCH_ENTRA_CONCURRENCY (4).
set -euo pipefail
cd "$(dirname "$0")/.."

benchtime=${BENCH_TIME:-1s}
count=${BENCH_COUNT:-3}
pg_users=${BENCH_PG_USERS:-100000}
pg_concurrency=${BENCH_PG_CONCURRENCY:-32}
pgbench_clients=${BENCH_PGBENCH_CLIENTS:-16}
pgbench_time=${BENCH_PGBENCH_TIME:-20}
entra_users=${BENCH_ENTRA_USERS:-10000}
entra_groups=${BENCH_ENTRA_GROUPS:-100}
entra_concurrency=${BENCH_ENTRA_CONCURRENCY:-4}
users=${BENCH_USERS:-1000 100000}
duration=${BENCH_DURATION:-20s}
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
echo "## Go benchmarks (-benchtime $benchtime, best of -count $count)"
echo
: >"$tmp/bench.txt"
for p in "${pkgs[@]}"; do
	echo "bench.sh: go test -bench $p" >&2
	if ! go test -run '^$' -bench . -benchmem -benchtime "$benchtime" -count "$count" "$p" >"$tmp/one.txt" 2>&1; then
		cat "$tmp/one.txt" >&2
		echo "| $p | FAILED (see stderr) | | | |"
		continue
	fi
	sed "s|^Benchmark|${p#./} Benchmark|" "$tmp/one.txt" | grep -E '^[^ ]+ Benchmark' >>"$tmp/bench.txt" || true
done
# The best (lowest) ns/op of the -count runs stands for each benchmark: a
# shared machine only ever adds time. The scaling table divides the cost at
# the largest population by the cost at the smallest: flat is about 1.
python3 - "$tmp/bench.txt" <<'PY'
import re, sys
best = {}
for line in open(sys.argv[1]):
    f = line.split()
    pkg, name = f[0].rstrip('/'), re.sub(r'-\d+$', '', f[1])
    vals = {f[i + 1]: f[i] for i in range(2, len(f) - 1) if f[i + 1] in ('ns/op', 'B/op', 'allocs/op')}
    ns = float(vals.get('ns/op', 'nan'))
    k = (pkg, name)
    if k not in best or ns < best[k][0]:
        best[k] = (ns, vals.get('B/op', ''), vals.get('allocs/op', ''))
def fmt(ns):
    return f'{ns/1000:.2f} µs' if ns >= 1000 else f'{ns:.0f} ns'
print('| package | benchmark | time/op | B/op | allocs/op |')
print('|---|---|---:|---:|---:|')
for (pkg, name), (ns, b, a) in best.items():
    print(f'| {pkg} | {name} | {fmt(ns)} | {b} | {a} |')
print()
print('### Scaling: cost at the largest population ÷ cost at the smallest (flat ≈ 1)')
print()
print('| package | benchmark | smallest | largest | ratio | allocs/op equal |')
print('|---|---|---:|---:|---:|---|')
fam = {}
for (pkg, name), v in best.items():
    m = re.match(r'(.*)/(users|existing)=(\d+)(.*)$', name)
    if m:
        fam.setdefault((pkg, m.group(1) + m.group(4)), []).append((int(m.group(3)), v))
for (pkg, name), sizes in fam.items():
    sizes.sort()
    (n0, v0), (n1, v1) = sizes[0], sizes[-1]
    if n0 == n1:
        continue
    print(f'| {pkg} | {name} | {fmt(v0[0])} at {n0:,} | {fmt(v1[0])} at {n1:,} | {v1[0]/v0[0]:.2f} | {"yes" if v0[2] == v1[2] else "no: " + v0[2] + " vs " + v1[2]} |')
PY
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

echo
echo "## Load: reference server on the PostgreSQL store"
echo
if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	echo "A throwaway cluster on the same machine (\`ci/pg-local.sh\`), $pg_users users in a fresh tenant, lookups by userName eq, flat out: \`ci/pg-local.sh run -- scimharness load --serve-fixture users=$pg_users --database-url '\$DATABASE_URL' --duration $duration --concurrency $pg_concurrency\`. Then, on the same cluster, what the database itself does for that lookup: \`ci/pgbench-lookup.sh\` (pgbench -M prepared, $pgbench_clients clients, -T $pgbench_time, an indexed JSONB lookup by lower(userName) over $pg_users rows of its own table). Each lookup through the server is one statement (the user and its derived groups, \`server/store/postgres/groups.go\`)."
	echo
	echo "| users | concurrency | lookups/s (≥ 5,000) | p50 | p90 | p99 | max | pgbench TPS | lookups/s ÷ TPS (≥ 0.3) |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---|"
	echo "bench.sh: load --serve-fixture users=$pg_users --database-url, then pgbench (ci/pg-local.sh)" >&2
	# One cluster for both: the server's load first, pgbench after it (never
	# at the same time: they would share the 2 cores).
	# shellcheck disable=SC2016
	if ci/pg-local.sh run -- env PGBENCH_ROWS="$pg_users" PGBENCH_CLIENTS="$pgbench_clients" PGBENCH_TIME="$pgbench_time" \
		bash -c '"$1" load --serve-fixture "users=$2" --database-url "$DATABASE_URL" --duration "$3" --concurrency "$4" --json "$5" >"$6" 2>&1 &&
			ci/pgbench-lookup.sh >"$7" 2>>"$6"' _ \
		"$tmp/scimharness" "$pg_users" "$duration" "$pg_concurrency" "$tmp/pg.json" "$tmp/pg.txt" "$tmp/pgbench.txt"; then
		python3 - "$tmp/pg.json" "$pg_concurrency" "$tmp/pgbench.txt" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["server"]
tps = float(open(sys.argv[3]).read().split()[0])
ratio = s["throughput"] / tps if tps > 0 else 0.0
ok = lambda x: "yes" if x else "**no**"
print(f'| {r["users"]} | {sys.argv[2]} | {s["throughput"]:.0f} {ok(r.get("postgresMet"))} '
      f'| {s["p50Ms"]:.2f} ms | {s["p90Ms"]:.2f} ms | {s["p99Ms"]:.2f} ms | {s["maxMs"]:.2f} ms '
      f'| {tps:.0f} | {ratio:.2f} {"met" if ratio >= 0.3 else "**not met**"} |')
PY
	else
		cat "$tmp/pg.txt" >&2
		echo "| $pg_users | $pg_concurrency | FAILED (see stderr) | | | | | | |"
	fi
else
	echo "Skipped: no PostgreSQL binaries (initdb) on this machine."
fi

echo
echo "## Entra initial cycle against the memory store"
echo
echo "\`scimharness serve\` in its own process; \`scimharness simulate --idp entra --entra-cycle initial --users $entra_users --groups $entra_groups --entra-concurrency $entra_concurrency\`: Test Connection, then per user Entra's match query and create, per group its query, create and member PATCH, every answer judged; the cycle's own time, cleanup apart. Target: under 10 s."
echo
echo "| users | groups | concurrency | requests | seconds (< 10) | requests/s | verdict |"
echo "|---:|---:|---:|---:|---:|---:|---|"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
tok=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
SCIM_TOKEN=$tok "$tmp/scimharness" serve --addr "127.0.0.1:$port" 2>"$tmp/serve.log" &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 1 100); do
	curl -s -o /dev/null "http://127.0.0.1:$port/scim/v2/ServiceProviderConfig" && break
	sleep 0.1
done
echo "bench.sh: simulate --idp entra --entra-cycle initial --users $entra_users --groups $entra_groups" >&2
if SCIM_TOKEN=$tok "$tmp/scimharness" simulate --idp entra --url "http://127.0.0.1:$port/scim/v2" --entra-cycle initial \
	--users "$entra_users" --groups "$entra_groups" --entra-concurrency "$entra_concurrency" --report-dir "$tmp/entra" >"$tmp/entra.txt" 2>&1; then
	verdict=pass
else
	verdict="**fail** (see stderr)"
	tail -20 "$tmp/entra.txt" >&2
fi
python3 - "$tmp/entra/report.json" "$verdict" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for t in r.get("timings", []):
    ok = "yes" if t["seconds"] < 10 else "**no**"
    print(f'| {t["users"]} | {t["groups"]} | {t["concurrency"]} | {t["requests"]} | {t["seconds"]:.2f} {ok} | {t["requestsPerSecond"]:.0f} | {sys.argv[2]} |')
PY
kill "$serve_pid" 2>/dev/null || true
