#!/usr/bin/env bash
# What the database itself does for the lookup the server answers most (a
# user by userName, case-insensitively): pgbench, prepared statements, on an
# indexed JSONB table of its own in the database of $DATABASE_URL. ci/bench.sh
# runs it on the same throwaway cluster (ci/pg-local.sh) as the server's
# Postgres load, right after it, and divides the server's lookups/s by the
# TPS this prints (issue 20: target ≥ 0.3).
#
# Usage: DATABASE_URL=postgres://... ci/pgbench-lookup.sh
#   prints one line on stdout: the TPS pgbench reports (excluding
#   connection time); pgbench's own output goes to stderr.
# Environment (optional): PGBENCH_ROWS (100000), PGBENCH_CLIENTS (16),
#   PGBENCH_THREADS (2), PGBENCH_TIME (seconds, 20).
#
# The table, scimharness_pgbench_users (id, doc jsonb), is created afresh
# and dropped at the end: docs shaped like the server's users (userName,
# emails, name), the index on lower(doc ->> 'userName'), ANALYZEd; the
# statement is
#   SELECT id, doc FROM scimharness_pgbench_users
#   WHERE lower(doc ->> 'userName') = lower($1)
# with $1 a random existing userName in mixed case.
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL must name the database}"
rows=${PGBENCH_ROWS:-100000}
clients=${PGBENCH_CLIENTS:-16}
threads=${PGBENCH_THREADS:-2}
secs=${PGBENCH_TIME:-20}

find_tool() {
	if command -v "$1" >/dev/null 2>&1; then
		command -v "$1"
		return
	fi
	local p
	p=$(ls /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -1 || true)
	[[ -n "$p" ]] || { echo "pgbench-lookup: $1 not found (PATH, /usr/lib/postgresql/*/bin)" >&2; exit 2; }
	echo "$p"
}
psql=$(find_tool psql)
pgbench=$(find_tool pgbench)

tmp=$(mktemp -d)
cleanup() {
	"$psql" -q -X "$DATABASE_URL" -c 'DROP TABLE IF EXISTS scimharness_pgbench_users' >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

"$psql" -q -X -v ON_ERROR_STOP=1 "$DATABASE_URL" >&2 <<SQL
DROP TABLE IF EXISTS scimharness_pgbench_users;
CREATE TABLE scimharness_pgbench_users (id text PRIMARY KEY, doc jsonb NOT NULL);
INSERT INTO scimharness_pgbench_users
SELECT md5(i::text), jsonb_build_object(
    'userName', 'user' || lpad(i::text, 7, '0') || '@example.com',
    'externalId', 'ext-' || lpad(i::text, 7, '0'),
    'active', true,
    'name', jsonb_build_object('givenName', 'Given', 'familyName', 'Family' || (i % 1000)),
    'emails', jsonb_build_array(jsonb_build_object('value', 'user' || lpad(i::text, 7, '0') || '@example.com', 'type', 'work', 'primary', true)))
FROM generate_series(0, $((rows - 1))) AS i;
CREATE INDEX ON scimharness_pgbench_users (lower(doc ->> 'userName'));
VACUUM ANALYZE scimharness_pgbench_users;
SQL

cat >"$tmp/lookup.sql" <<SQL
\set i random(0, $((rows - 1)))
SELECT id, doc FROM scimharness_pgbench_users WHERE lower(doc ->> 'userName') = lower('USER' || lpad(:i::text, 7, '0') || '@Example.com');
SQL

"$pgbench" -n -M prepared -c "$clients" -j "$threads" -T "$secs" -f "$tmp/lookup.sql" "$DATABASE_URL" >"$tmp/out.txt" 2>&1 || {
	cat "$tmp/out.txt" >&2
	exit 1
}
cat "$tmp/out.txt" >&2
# "tps = 39800.123456 (without initial connection time)"; older pgbench
# prints "excluding connections establishing".
tps=$(sed -n -E 's/^tps = ([0-9.]+) \((without initial connection time|excluding connections establishing)\).*/\1/p' "$tmp/out.txt" | head -1)
[[ -n "$tps" ]] || { echo "pgbench-lookup: no TPS in pgbench's output" >&2; exit 1; }
echo "$tps"
