#!/usr/bin/env bash
# Measures every performance target of issues 8 and 20 in one run and prints
# a markdown report on stdout, ending with one table: target | measured |
# met (progress and build output go to stderr):
#
#   ci/bench.sh > bench.md
#
# Sections (BENCH_ONLY picks some, e.g. BENCH_ONLY="memory peer"):
# - go: go test -bench for server, server/filter, server/patch and
#   server/store/memory; server/store/postgres too when a database is at
#   hand (SCIM_TEST_DATABASE_URL, or a Docker engine for pgtest).
# - load: scimharness load --serve-fixture users=N for N in $BENCH_USERS: the
#   reference server with the memory store against a bare net/http handler
#   under the project's own generator (fasthttp, in one process; lookups by
#   userName eq, flat out). Targets: ratio ≥ 0.65 at the largest N, flat
#   (server req/s at the smallest ÷ at the largest ≤ 1.2), ≥ 20,000
#   requests/s driven.
# - pg: scimharness load --serve-fixture users=$BENCH_PG_USERS --database-url
#   on a throwaway cluster (ci/pg-local.sh), then ci/pgbench-lookup.sh on the
#   same cluster: pgbench's TPS for an indexed JSONB lookup by
#   lower(userName). Targets: ≥ 5,000 lookups/s; lookups/s ÷ TPS ≥ 0.3.
# - memory: `scimharness serve` (memory store) in processes of their own:
#   conform against an empty server, then that server filled by Entra
#   initial cycles to each population of $BENCH_WRK_USERS; a second server
#   filled by the Entra initial cycle of $BENCH_ENTRA_USERS users and
#   $BENCH_ENTRA_GROUPS groups (target: < 60 s), then conform against it
#   (target: its time ÷ the empty server's ≤ 1.5) and its peak RSS. At each
#   population wrk (installed from Debian when absent and apt-get is at hand)
#   drives lookups by userName eq, rotating over 1,000 of the server's own
#   userNames, at the server and at a bare net/http handler (ci/bare.go) in
#   turns. Targets: server ÷ bare ≥ 0.65 at the largest population, flat
#   (smallest ÷ largest ≤ 1.2).
# - peer: the elimity-com/scim server of ci/peer seeded with
#   $BENCH_PEER_USERS users, driven by the same wrk script (or, without wrk,
#   by scimharness load --lookup-only, and the reference server at the same
#   population with it). No target: it is the figure a team would otherwise
#   get.
# - entra-pg: `scimharness serve --database-url` on a throwaway cluster, the
#   Entra initial cycle of $BENCH_ENTRA_USERS users and $BENCH_ENTRA_GROUPS
#   groups against it (target: < 120 s), its peak RSS.
#
# Knobs: BENCH_ONLY (default "go load pg memory peer entra-pg"), BENCH_TIME
# (go test -benchtime, 1s), BENCH_COUNT (go test -count, 3; the best run is
# reported), BENCH_USERS (load's populations, "1000 100000"), BENCH_DURATION
# (load, 20s), BENCH_CONCURRENCY (load, 64), BENCH_PG_USERS (100000),
# BENCH_PG_CONCURRENCY (32), BENCH_PGBENCH_CLIENTS (16), BENCH_PGBENCH_TIME
# (seconds, 20), BENCH_ENTRA_USERS (100000), BENCH_ENTRA_GROUPS (1000),
# BENCH_ENTRA_CONCURRENCY (4), BENCH_WRK_USERS (the small server's
# populations, "1000 10000"), BENCH_WRK_DURATION (seconds per turn, 10),
# BENCH_WRK_ROUNDS (turns per target and population, 2), BENCH_WRK_THREADS
# (2), BENCH_WRK_CONNECTIONS (32), BENCH_PEER_USERS (10000).
set -euo pipefail
cd "$(dirname "$0")/.."

only=${BENCH_ONLY:-go load pg memory peer entra-pg}
benchtime=${BENCH_TIME:-1s}
count=${BENCH_COUNT:-3}
users=${BENCH_USERS:-1000 100000}
duration=${BENCH_DURATION:-20s}
concurrency=${BENCH_CONCURRENCY:-64}
pg_users=${BENCH_PG_USERS:-100000}
pg_concurrency=${BENCH_PG_CONCURRENCY:-32}
pgbench_clients=${BENCH_PGBENCH_CLIENTS:-16}
pgbench_time=${BENCH_PGBENCH_TIME:-20}
entra_users=${BENCH_ENTRA_USERS:-100000}
entra_groups=${BENCH_ENTRA_GROUPS:-1000}
entra_concurrency=${BENCH_ENTRA_CONCURRENCY:-4}
wrk_users=${BENCH_WRK_USERS:-1000 10000}
wrk_duration=${BENCH_WRK_DURATION:-10}
wrk_rounds=${BENCH_WRK_ROUNDS:-2}
wrk_threads=${BENCH_WRK_THREADS:-2}
wrk_connections=${BENCH_WRK_CONNECTIONS:-32}
peer_users=${BENCH_PEER_USERS:-10000}

want() { [[ " $only " == *" $1 "* ]]; }
log() { echo "bench.sh: $*" >&2; }

tmp=$(mktemp -d)
pids=()
pgdir=""
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [[ -n "$pgdir" ]]; then ci/pg-local.sh stop "$pgdir" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One token for every server of the run; never printed.
SCIM_TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
export SCIM_TOKEN

log "go build ./cmd/scimharness"
go build -o "$tmp/scimharness" ./cmd/scimharness

# ---------------------------------------------------------------- helpers

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_serve NAME [ARG...]: `scimharness serve` on a free loopback port with
# the run's token; sets serve_url and serve_pid. Request logs are off
# (--log-level warn): at tens of thousands of requests a second they would be
# what is measured.
start_serve() {
	local name=$1 port
	shift
	port=$(free_port)
	"$tmp/scimharness" serve --addr "127.0.0.1:$port" --log-level warn "$@" 2>"$tmp/$name.log" &
	serve_pid=$!
	pids+=("$serve_pid")
	serve_url="http://127.0.0.1:$port/scim/v2"
	for _ in $(seq 1 300); do
		curl -s -o /dev/null "$serve_url/ServiceProviderConfig" && return 0
		kill -0 "$serve_pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$tmp/$name.log" >&2
	return 1
}

# start_url_server NAME CMD...: a server that prints "url=…" on stderr once
# it listens (ci/bare.go, ci/peer); sets url_of and pid_of.
start_url_server() {
	local name=$1
	shift
	"$@" 2>"$tmp/$name.log" &
	pid_of=$!
	pids+=("$pid_of")
	url_of=""
	for _ in $(seq 1 3000); do
		url_of=$(sed -n 's/^url=\(http:.*\)$/\1/p' "$tmp/$name.log" | head -1)
		[[ -n "$url_of" ]] && return 0
		kill -0 "$pid_of" 2>/dev/null || break
		sleep 0.1
	done
	cat "$tmp/$name.log" >&2
	return 1
}

stop_pid() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# peak_rss WHAT PID: the process's peak resident set (VmHWM) into rss.jsonl.
peak_rss() {
	local kb
	kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$2/status" 2>/dev/null || true)
	[[ -n "$kb" ]] && printf '{"what": "%s", "kB": %s}\n' "$1" "$kb" >>"$tmp/rss.jsonl"
	return 0
}

# entra NAME URL USERS GROUPS: the Entra initial cycle, every answer judged,
# what it created kept (the next measurements need the population; the
# servers are thrown away). The report lands in $tmp/NAME; the verdict in
# $tmp/NAME.verdict.
entra() {
	local name=$1 url=$2 n=$3 g=$4 verdict=pass
	log "simulate --idp entra --entra-cycle initial --users $n --groups $g at $name"
	if ! "$tmp/scimharness" simulate --idp entra --url "$url" --entra-cycle initial --keep \
		--users "$n" --groups "$g" --entra-concurrency "$entra_concurrency" --report-dir "$tmp/$name" >"$tmp/$name.txt" 2>&1; then
		verdict=fail
		tail -20 "$tmp/$name.txt" >&2
	fi
	echo "$verdict" >"$tmp/$name.verdict"
	[[ $verdict == pass ]]
}

# conform_timed USERS URL: conform's wall time against a server holding
# USERS users, into conform.jsonl.
conform_timed() {
	local n=$1 url=$2 t0 t1 rc=0
	log "conform against $n users"
	t0=$(date +%s.%N)
	"$tmp/scimharness" conform --url "$url" --quiet --report-dir "$tmp/conform-$n" >"$tmp/conform-$n.txt" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	[[ $rc == 0 ]] || tail -20 "$tmp/conform-$n.txt" >&2
	python3 -c 'import sys; print(f"{{\"users\": {sys.argv[1]}, \"seconds\": {float(sys.argv[3]) - float(sys.argv[2]):.2f}, \"exit\": {sys.argv[4]}}}")' "$n" "$t0" "$t1" "$rc" >>"$tmp/conform.jsonl"
}

# lookup_script URL OUT: a wrk Lua script that sends GET /Users?filter=
# userName eq "…" rotating over up to 1,000 userNames the server at URL
# holds (ten pages of 100 at random offsets; the first twenty are checked
# to be found exactly once). The token comes from $SCIM_TOKEN.
lookup_script() {
	python3 - "$1" "$2" <<'PY'
import json, os, random, sys, urllib.parse, urllib.request
base, out = sys.argv[1], sys.argv[2]
def get(path):
    req = urllib.request.Request(base + path, headers={
        "Authorization": "Bearer " + os.environ["SCIM_TOKEN"], "Accept": "application/scim+json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.load(r)
total = get("/Users?count=1")["totalResults"]
rnd, names = random.Random(20), set()
for _ in range(10):
    for u in get(f"/Users?startIndex={rnd.randint(1, max(1, total - 99))}&count=100").get("Resources", []):
        names.add(u["userName"])
if not names:
    sys.exit(f"bench.sh: {base} holds no users")
paths = ["/Users?filter=" + urllib.parse.quote(f'userName eq "{n}"', safe="") for n in sorted(names)]
rnd.shuffle(paths)
for p in paths[:20]:
    if get(p)["totalResults"] != 1:
        sys.exit(f"bench.sh: {base}{p} does not find exactly one user")
with open(out, "w") as f:
    f.write(f"-- ci/bench.sh: lookups by userName eq over {len(paths)} of the {total} users of the target\n")
    f.write("local paths = {\n" + "".join(f'  "{p}",\n' for p in paths) + "}\n")
    f.write('''local reqs, i = {}, 0
function init(args)
  local h = { ["Authorization"] = "Bearer " .. os.getenv("SCIM_TOKEN"), ["Accept"] = "application/scim+json" }
  for k, p in ipairs(paths) do reqs[k] = wrk.format("GET", wrk.path .. p, h) end
end
function request()
  i = i % #reqs + 1
  return reqs[i]
end
''')
print(f"bench.sh: {len(paths)} userNames of {total} users at {base}", file=sys.stderr)
PY
}

# wrk_turn TARGET USERS URL SCRIPT: one wrk run of $wrk_duration seconds,
# parsed into wrk.jsonl (requests/s, errors, p50, p99).
wrk_turn() {
	local what=$1 n=$2 url=$3 script=$4 out="$tmp/wrk-$1-$2-$RANDOM.txt"
	log "wrk $what at $n users"
	wrk -t"$wrk_threads" -c"$wrk_connections" -d"${wrk_duration}s" --latency -s "$script" "$url" >"$out" 2>&1 || { cat "$out" >&2; return 1; }
	python3 - "$out" "$what" "$n" "wrk" >>"$tmp/wrk.jsonl" <<'PY'
import json, re, sys
txt, what, n, gen = open(sys.argv[1]).read(), sys.argv[2], int(sys.argv[3]), sys.argv[4]
def ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
def lat(p):
    m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", txt, re.M)
    return ms(*m.groups()) if m else None
m = re.search(r"(\d+) requests in", txt)
reqs = int(m.group(1)) if m else 0
errs = sum(int(x) for x in re.findall(r"Non-2xx or 3xx responses: (\d+)", txt))
s = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", txt)
if s:
    errs += sum(int(x) for x in s.groups())
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", txt).group(1))
print(json.dumps({"gen": gen, "target": what, "users": n, "rps": rps, "requests": reqs, "errors": errs, "p50": lat(50), "p99": lat(99)}))
PY
}

# load_turn TARGET USERS URL: scimharness load --lookup-only (its own
# working set of one user per worker), the generator when wrk is absent.
load_turn() {
	local what=$1 n=$2 url=$3
	log "load --lookup-only $what at $n users"
	"$tmp/scimharness" load --url "$url" --lookup-only --duration "${wrk_duration}s" --concurrency "$wrk_connections" \
		--json "$tmp/lt.json" >"$tmp/lt.txt" 2>&1 || { cat "$tmp/lt.txt" >&2; return 1; }
	python3 - "$tmp/lt.json" "$what" "$n" >>"$tmp/wrk.jsonl" <<'PY'
import json, sys
r, what, n = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3])
print(json.dumps({"gen": "load", "target": what, "users": n, "rps": r["throughput"], "requests": r.get("requests", 0),
                  "errors": r.get("errors", 0), "p50": r.get("p50Ms"), "p99": r.get("p99Ms")}))
PY
}

# compare_wrk USERS URL: $wrk_rounds turns of the bare handler and the
# server, alternating (bare first, then server first), so that a slow spell
# of the shared machine falls on both.
compare_wrk() {
	local n=$1 url=$2 r
	lookup_script "$url" "$tmp/lookup-$n.lua" || return 1
	for r in $(seq 1 "$wrk_rounds"); do
		if ((r % 2)); then
			wrk_turn bare "$n" "$bare_url" "$tmp/lookup-$n.lua" && wrk_turn server "$n" "$url" "$tmp/lookup-$n.lua"
		else
			wrk_turn server "$n" "$url" "$tmp/lookup-$n.lua" && wrk_turn bare "$n" "$bare_url" "$tmp/lookup-$n.lua"
		fi || return 1
	done
}

have_wrk=no
if want memory || want peer; then
	if ! command -v wrk >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [[ $(id -u) == 0 ]]; then
		log "installing wrk (apt-get)"
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } >&2 || log "apt-get install wrk failed"
	fi
	if command -v wrk >/dev/null 2>&1; then have_wrk=yes; else log "no wrk: the external-generator figures are skipped"; fi
fi

# ---------------------------------------------------------------- go

if want go; then
	pkgs=(./server/ ./server/filter/ ./server/patch/ ./server/store/memory/)
	if [[ -n "${SCIM_TEST_DATABASE_URL:-}" ]] || docker info >/dev/null 2>&1; then
		pkgs+=(./server/store/postgres/)
	else
		log "no database (SCIM_TEST_DATABASE_URL or Docker): postgres benchmarks skipped"
	fi
	{
		echo "## Go benchmarks (-benchtime $benchtime, best of -count $count)"
		echo
		: >"$tmp/bench.txt"
		for p in "${pkgs[@]}"; do
			log "go test -bench $p"
			if ! go test -run '^$' -bench . -benchmem -benchtime "$benchtime" -count "$count" "$p" >"$tmp/one.txt" 2>&1; then
				cat "$tmp/one.txt" >&2
				echo "| $p | FAILED (see stderr) | | | |"
				continue
			fi
			sed "s|^Benchmark|${p#./} Benchmark|" "$tmp/one.txt" | grep -E '^[^ ]+ Benchmark' >>"$tmp/bench.txt" || true
		done
		# The best (lowest) ns/op of the -count runs stands for each
		# benchmark: a shared machine only ever adds time. The scaling
		# table divides the cost at the largest population by the cost at
		# the smallest: flat is about 1.
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
	} >"$tmp/sec-go.md"
fi

# ---------------------------------------------------------------- load

if want load; then
	{
		echo "## Load: reference server (memory store) vs bare net/http handler, the project's generator"
		echo
		echo "Same generator and settings for both: \`scimharness load --serve-fixture users=N --duration $duration --concurrency $concurrency\` (fasthttp; lookups by userName eq, flat out, generator and both servers in one process)."
		echo
		echo "| users | bare req/s | server req/s | ratio | server p50 | p90 | p99 | max | driven ≥ 20k/s |"
		echo "|---:|---:|---:|---:|---:|---:|---:|---:|---|"
		for n in $users; do
			log "load --serve-fixture users=$n"
			if ! "$tmp/scimharness" load --serve-fixture "users=$n" --duration "$duration" --concurrency "$concurrency" --json "$tmp/load-$n.json" >"$tmp/load.txt" 2>&1; then
				cat "$tmp/load.txt" >&2
				rm -f "$tmp/load-$n.json"
				echo "| $n | FAILED (see stderr) | | | | | | | |"
				continue
			fi
			python3 - "$tmp/load-$n.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s, b = r["server"], r["bare"]
ok = lambda x: "yes" if x else "**no**"
print(f'| {r["users"]} | {b["throughput"]:.0f} | {s["throughput"]:.0f} | {r["ratio"]:.2f} '
      f'| {s["p50Ms"]:.2f} ms | {s["p90Ms"]:.2f} ms | {s["p99Ms"]:.2f} ms | {s["maxMs"]:.2f} ms | {ok(r["driveMet"])} |')
PY
		done
		echo
	} >"$tmp/sec-load.md"
fi

# ---------------------------------------------------------------- pg

pg_here() { command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }

if want pg; then
	{
		echo "## Load: reference server on the PostgreSQL store"
		echo
		if pg_here; then
			echo "A throwaway cluster on the same machine (\`ci/pg-local.sh\`), $pg_users users in a fresh tenant, lookups by userName eq, flat out: \`ci/pg-local.sh run -- scimharness load --serve-fixture users=$pg_users --database-url '\$DATABASE_URL' --duration $duration --concurrency $pg_concurrency\`. Then, on the same cluster, what the database itself does for that lookup: \`ci/pgbench-lookup.sh\` (pgbench -M prepared, $pgbench_clients clients, -T $pgbench_time, an indexed JSONB lookup by lower(userName) over $pg_users rows of its own table). Each lookup through the server is one statement (the user and its derived groups, \`server/store/postgres/groups.go\`)."
			echo
			echo "| users | concurrency | lookups/s (≥ 5,000) | p50 | p90 | p99 | max | pgbench TPS | lookups/s ÷ TPS (≥ 0.3) |"
			echo "|---:|---:|---:|---:|---:|---:|---:|---:|---|"
			log "load --serve-fixture users=$pg_users --database-url, then pgbench (ci/pg-local.sh)"
			# One cluster for both: the server's load first, pgbench after
			# it (never at the same time: they would share the 2 cores).
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
      f'| {tps:.0f} | {ratio:.2f} {ok(ratio >= 0.3)} |')
PY
			else
				cat "$tmp/pg.txt" >&2
				rm -f "$tmp/pg.json" "$tmp/pgbench.txt"
				echo "| $pg_users | $pg_concurrency | FAILED (see stderr) | | | | | | |"
			fi
		else
			echo "Skipped: no PostgreSQL binaries (initdb) on this machine."
		fi
		echo
	} >"$tmp/sec-pg.md"
fi

# ---------------------------------------------------------------- memory

# Servers in processes of their own, driven from outside: the small one
# first (conform while it is empty, then filled to each population of
# $wrk_users), then the large one (the Entra cycle at full size, wrk, conform
# at that population, peak RSS).
if want memory || want peer; then
	if [[ $have_wrk == yes ]]; then
		go build -o "$tmp/bare" ci/bare.go
		start_url_server bare "$tmp/bare"
		bare_url=$url_of
		bare_pid=$pid_of
	fi
fi

small_pid=""
if want memory && start_serve serve-small; then
	small_url=$serve_url
	small_pid=$serve_pid
	conform_timed 0 "$small_url"
	have=0
	for n in $wrk_users; do
		if ((n > have)); then
			entra "entra-small-$n" "$small_url" $((n - have)) $(((n - have) / 100)) || true
			have=$n
		fi
		if [[ $have_wrk == yes ]]; then compare_wrk "$n" "$small_url" || true; fi
	done
	# Without wrk the peer's section measures this server with load at the
	# peer's population: it stays up for that.
	if [[ $have_wrk == yes ]] || ! want peer; then
		stop_pid "$small_pid"
		small_pid=""
	fi
fi
if want memory && start_serve serve-large; then
	large_pid=$serve_pid
	entra entra-memory "$serve_url" "$entra_users" "$entra_groups" || true
	if [[ $have_wrk == yes ]]; then compare_wrk "$entra_users" "$serve_url" || true; fi
	conform_timed "$entra_users" "$serve_url"
	peak_rss "reference server, memory store, $entra_users users and $entra_groups groups (Entra cycle, wrk, conform)" "$large_pid"
	stop_pid "$large_pid"
fi

# ---------------------------------------------------------------- peer

if want peer; then
	log "ci/peer: go build, seeding $peer_users users"
	(cd ci/peer && go build -o "$tmp/peer" .)
	t0=$(date +%s)
	if start_url_server peer "$tmp/peer" --addr 127.0.0.1:0 --token "$SCIM_TOKEN" --users "$peer_users"; then
		peer_url=$url_of
		peer_pid=$pid_of
		log "peer seeded in $(($(date +%s) - t0)) s"
		if [[ $have_wrk == yes ]]; then
			lookup_script "$peer_url" "$tmp/lookup-peer.lua" && wrk_turn peer "$peer_users" "$peer_url" "$tmp/lookup-peer.lua" || true
		else
			load_turn peer "$peer_users" "$peer_url" || true
			# The reference server at the same population, same generator.
			if [[ -n "$small_pid" ]]; then load_turn server "$peer_users" "$small_url" || true; fi
		fi
		peak_rss "elimity-com/scim peer, $peer_users users" "$peer_pid"
		stop_pid "$peer_pid"
	fi
	if [[ -n "$small_pid" ]]; then stop_pid "$small_pid"; fi
fi

# ---------------------------------------------------------------- entra-pg

if want entra-pg && pg_here; then
	log "ci/pg-local.sh start, serve --database-url, Entra $entra_users/$entra_groups"
	pgdir=$(mktemp -d /tmp/bench-pg.XXXXXX)
	if pg_url=$(ci/pg-local.sh start "$pgdir" 2>"$tmp/pg-local.log"); then
		if start_serve serve-pg --database-url "$pg_url"; then
			entra entra-postgres "$serve_url" "$entra_users" "$entra_groups" || true
			peak_rss "reference server, PostgreSQL store, $entra_users users and $entra_groups groups (Entra cycle)" "$serve_pid"
			stop_pid "$serve_pid"
		fi
	else
		cat "$tmp/pg-local.log" >&2
	fi
	ci/pg-local.sh stop "$pgdir" || true
	pgdir=""
fi

# ---------------------------------------------------------------- report

echo "# scimharness benchmarks"
echo
echo "$(go version), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%M:%SZ); sections: $only"
echo
for s in go load pg; do
	if [[ -f "$tmp/sec-$s.md" ]]; then cat "$tmp/sec-$s.md"; fi
done
python3 - "$tmp" "$wrk_duration" "$wrk_rounds" "$wrk_threads" "$wrk_connections" "$entra_concurrency" "$have_wrk" <<'PY'
import glob, json, os, sys
tmp, dur, rounds, threads, conns, entra_conc, have_wrk = sys.argv[1:]
def jsonl(name):
    p = os.path.join(tmp, name)
    return [json.loads(l) for l in open(p)] if os.path.exists(p) else []
def load_json(p):
    return json.load(open(p)) if os.path.exists(p) else None
ok = lambda x: "yes" if x else "**no**"
rows = []  # the summary: target, measured, met

# The project's generator (section load).
loads = sorted((r for r in (load_json(p) for p in glob.glob(os.path.join(tmp, "load-*.json"))) if r), key=lambda r: r["users"])
if loads:
    big, small = loads[-1], loads[0]
    rows.append((f"memory server ≥ 0.65 × bare handler at {big['users']:,} users, `load --serve-fixture` (fasthttp, one process)",
                 f"{big['server']['throughput']:.0f} vs {big['bare']['throughput']:.0f} req/s: **{big['ratio']:.2f}**", ok(big["ratio"] >= 0.65)))
    if big is not small:
        f = small["server"]["throughput"] / big["server"]["throughput"]
        rows.append((f"memory server flat from {small['users']:,} to {big['users']:,} users, same generator (req/s ratio ≤ 1.2)",
                     f"{small['server']['throughput']:.0f} vs {big['server']['throughput']:.0f} req/s: **{f:.2f}**", ok(f <= 1.2)))
    rows.append((f"load drives ≥ 20,000 req/s at the memory server ({big['users']:,} users)", f"{big['server']['throughput']:.0f} req/s", ok(big["driveMet"])))

# PostgreSQL (section pg).
pg = load_json(os.path.join(tmp, "pg.json"))
if pg:
    s = pg["server"]
    rows.append((f"PostgreSQL store ≥ 5,000 lookups/s at {pg['users']:,} users", f"**{s['throughput']:.0f}**/s", ok(pg.get("postgresMet"))))
    tpsf = os.path.join(tmp, "pgbench.txt")
    if os.path.exists(tpsf):
        tps = float(open(tpsf).read().split()[0])
        rows.append(("PostgreSQL lookups/s ≥ 0.3 × pgbench's indexed JSONB lookup TPS, same cluster",
                     f"{s['throughput']:.0f} / {tps:.0f}: **{s['throughput']/tps:.2f}**", ok(s["throughput"] / tps >= 0.3)))

# wrk (section memory) and the peer.
turns = jsonl("wrk.jsonl")
def agg(target, n, gen=None):
    ts = [t for t in turns if t["target"] == target and t["users"] == n and (gen is None or t["gen"] == gen)]
    if not ts:
        return None
    return {"rps": sum(t["rps"] for t in ts) / len(ts), "errors": sum(t["errors"] for t in ts), "requests": sum(t["requests"] for t in ts),
            "p50": max((t["p50"] or 0) for t in ts), "p99": max((t["p99"] or 0) for t in ts), "gen": ts[0]["gen"], "turns": len(ts)}
sizes = sorted({t["users"] for t in turns if t["target"] == "server"})
def lat(v):
    return f"{v:.2f} ms" if v else ""
peer_sizes = sorted({t["users"] for t in turns if t["target"] == "peer"})
if turns:
    print("## Lookups driven by an external generator")
    print()
    if have_wrk != "yes":
        print("wrk is not installed here (and could not be installed with apt-get): no bare-handler figures; the peer and the reference server are measured with `scimharness load --lookup-only` instead.")
        print()
    print(f"`wrk -t{threads} -c{conns} -d{dur}s --latency` with a Lua script sending `GET /Users?filter=userName eq \"…\"` and the bearer token, rotating over 1,000 userNames the target holds; "
          f"servers in processes of their own (`scimharness serve --log-level warn`, filled by Entra initial cycles; the peer seeded by `ci/peer --users N`); "
          f"the bare handler is `ci/bare.go`; bare and server take {rounds} turns each, alternating; a figure is the mean of the turns, p50/p99 the worst turn's.")
    print()
    print("| target | users | generator | req/s | ÷ bare | errors | p50 | p99 |")
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for n in sizes:
        b, s = agg("bare", n), agg("server", n)
        if b:
            print(f"| bare handler | {n:,} | {b['gen']} | {b['rps']:.0f} | | {b['errors']} | {lat(b['p50'])} | {lat(b['p99'])} |")
        ratio = f"{s['rps']/b['rps']:.2f}" if b else ""
        print(f"| reference server (memory) | {n:,} | {s['gen']} | {s['rps']:.0f} | {ratio} | {s['errors']} | {lat(s['p50'])} | {lat(s['p99'])} |")
    for n in peer_sizes:
        p = agg("peer", n)
        print(f"| elimity-com/scim peer (ci/peer) | {n:,} | {p['gen']} | {p['rps']:.1f} | | {p['errors']} | {lat(p['p50'])} | {lat(p['p99'])} |")
    print()
wrk_sizes = [n for n in sizes if agg("bare", n, "wrk")]
if wrk_sizes:
    big, small = wrk_sizes[-1], wrk_sizes[0]
    b, s = agg("bare", big), agg("server", big)
    rows.append((f"memory server ≥ 0.65 × bare handler at {big:,} users, wrk (separate processes)",
                 f"{s['rps']:.0f} vs {b['rps']:.0f} req/s: **{s['rps']/b['rps']:.2f}**", ok(s["rps"] / b["rps"] >= 0.65 and s["errors"] == 0)))
    if big != small:
        f = agg("server", small)["rps"] / s["rps"]
        rows.append((f"memory server flat from {small:,} to {big:,} users, wrk (req/s ratio ≤ 1.2)",
                     f"{agg('server', small)['rps']:.0f} vs {s['rps']:.0f} req/s: **{f:.2f}**", ok(f <= 1.2)))
elif have_wrk != "yes":
    rows.append(("memory server ≥ 0.65 × bare handler, and flat, with wrk", "skipped: no wrk", "—"))
for n in peer_sizes:
    p, s = agg("peer", n), agg("server", n)
    if s:
        rows.append((f"peer row: elimity-com/scim server vs this server, {n:,} users, same generator ({p['gen']}) and lookups",
                     f"{p['rps']:.1f} vs {s['rps']:.0f} req/s: this server **×{s['rps']/p['rps']:.0f}**" + (f" ({p['errors']} peer errors)" if p["errors"] else ""), "— (no target)"))

# Entra initial cycles.
ent = []
for name, store, limit in (("entra-memory", "memory", 60), ("entra-postgres", "PostgreSQL", 120)):
    r = load_json(os.path.join(tmp, name, "report.json"))
    vf = os.path.join(tmp, name + ".verdict")
    verdict = open(vf).read().strip() if os.path.exists(vf) else None
    if verdict is None:
        continue
    ts = (r or {}).get("timings", [])
    if not ts:
        rows.append((f"Entra initial cycle, {store} store, < {limit} s", "FAILED (see stderr)", "**no**"))
        continue
    t = ts[0]
    ent.append((store, t, verdict, limit))
    rows.append((f"Entra initial cycle, {t['users']:,} users and {t['groups']:,} groups, {store} store, < {limit} s, every answer judged",
                 f"**{t['seconds']:.1f} s** ({t['requests']} requests, {t['requestsPerSecond']:.0f}/s; {verdict})", ok(t["seconds"] < limit and verdict == "pass")))
if ent:
    print("## Entra initial cycle")
    print()
    print(f"`scimharness serve --log-level warn` in its own process (memory store, or PostgreSQL on a throwaway `ci/pg-local.sh` cluster with `--database-url`); "
          f"`scimharness simulate --idp entra --entra-cycle initial --users N --groups G --entra-concurrency {entra_conc} --keep`: Test Connection, then per user Entra's match query and create, "
          "per group its query, create and member PATCH, every answer judged; the cycle's own time (`--keep`: the population stays for the measurements after it).")
    print()
    print("| store | users | groups | concurrency | requests | seconds | requests/s | verdict |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for store, t, verdict, limit in ent:
        print(f"| {store} | {t['users']} | {t['groups']} | {t['concurrency']} | {t['requests']} | {t['seconds']:.2f} (< {limit}: {ok(t['seconds'] < limit)}) | {t['requestsPerSecond']:.0f} | {verdict} |")
    print()

# conform at a population.
conf = {c["users"]: c for c in jsonl("conform.jsonl")}
if conf:
    print("## conform against an empty server and a populated one")
    print()
    print("`scimharness conform --url … --quiet` against `scimharness serve` (memory store): empty, and holding the Entra cycle's users and groups.")
    print()
    print("| users on the server | seconds | exit |")
    print("|---:|---:|---:|")
    for n in sorted(conf):
        print(f"| {n:,} | {conf[n]['seconds']:.1f} | {conf[n]['exit']} |")
    print()
    if 0 in conf and len(conf) > 1:
        n = max(conf)
        f = conf[n]["seconds"] / conf[0]["seconds"]
        rows.append((f"conform's run time at {n:,} existing users ÷ against an empty server ≤ 1.5",
                     f"{conf[n]['seconds']:.1f} s vs {conf[0]['seconds']:.1f} s: **{f:.2f}** (exit {conf[n]['exit']} and {conf[0]['exit']})",
                     ok(f <= 1.5 and conf[n]["exit"] == conf[0]["exit"] == 0)))

for r in jsonl("rss.jsonl"):
    rows.append((f"peak RSS (VmHWM): {r['what']}", f"{r['kB']/1024:.0f} MiB", "— (no target)"))

print("## Targets (issues 8 and 20), this run")
print()
print("| target | measured | met? |")
print("|---|---|---|")
for t, m, met in rows:
    print(f"| {t} | {m} | {met} |")
PY
