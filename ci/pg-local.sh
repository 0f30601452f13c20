#!/usr/bin/env bash
# Starts a throwaway PostgreSQL on loopback with initdb and pg_ctl, for the
# Postgres store's load figures and for trying `scimharness serve
# --database-url` by hand. Nothing is installed and nothing outside the
# cluster directory is touched.
#
# Usage: ci/pg-local.sh run [--] COMMAND [ARG...]
#          starts a cluster, runs COMMAND with DATABASE_URL in its
#          environment, an argument that is exactly or contains the literal
#          text $DATABASE_URL (quote it: '$DATABASE_URL') replaced by the
#          URL, then stops the cluster and removes it, also on Ctrl-C or
#          failure; the exit status is COMMAND's. E.g.
#            ci/pg-local.sh run -- scimharness load --serve-fixture users=100000 --database-url '$DATABASE_URL'
#        ci/pg-local.sh start [DIR]
#          starts a cluster in DIR (default: a new directory under $TMPDIR
#          or /tmp), prints its URL on stdout and the directory on stderr,
#          and leaves it running.
#        ci/pg-local.sh stop DIR
#          stops the cluster of DIR and removes DIR (only a directory that
#          start made: it holds the file .pg-local).
# Environment (optional):
#   PG_LOCAL_PORT  the TCP port (default: a free one from 25432 on)
#   PG_BIN         the directory of initdb, pg_ctl and postgres (default:
#                  PATH, else the newest /usr/lib/postgresql/*/bin)
#   PG_LOCAL_STATEMENTS=1  load pg_stat_statements (CREATE EXTENSION
#                  pg_stat_statements to read it); off by default, since it
#                  costs some throughput
#
# The cluster: PostgreSQL as found (15 here), UTF8, locale C, listening on
# 127.0.0.1 only (and a unix socket in DIR), user postgres with a random
# password (in the URL), fsync off (it is thrown away; lookups do not
# write), max_connections 200, otherwise PostgreSQL's defaults. initdb and postgres refuse to run as
# root: as root they run as the user "nobody", DIR chowned to it.
set -euo pipefail

die() { echo "pg-local: $*" >&2; exit 2; }

usage() {
  sed -n '/^# Usage:/,/^# The cluster/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

find_bin() {
  if [ -n "${PG_BIN:-}" ]; then
    echo "$PG_BIN"
    return 0
  fi
  local p
  if p="$(command -v initdb 2>/dev/null)"; then
    p="$(readlink -f "$p")"
    dirname "$p"
    return 0
  fi
  # Debian and Ubuntu keep the server binaries off PATH.
  p="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n | tail -1)"
  [ -n "$p" ] || die "initdb is neither on PATH nor in /usr/lib/postgresql/*/bin (set PG_BIN, or install the PostgreSQL server)"
  echo "$p"
}

# as_owner runs a command as the cluster's owner: ourselves, or nobody as root.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u nobody -- "$@"
  else
    "$@"
  fi
}

port_free() {
  # Something answers on the port: not free.
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
  local dir="${1:-}" bin port pw url
  bin="$(find_bin)"
  for b in initdb pg_ctl postgres; do
    [ -x "$bin/$b" ] || die "no $b in $bin"
  done
  if [ -z "$dir" ]; then
    dir="$(mktemp -d "${TMPDIR:-/tmp}/pg-local.XXXXXX")"
  else
    mkdir -p "$dir"
    [ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
  fi
  dir="$(cd "$dir" && pwd)"
  touch "$dir/.pg-local"
  if [ "$(id -u)" = 0 ]; then
    id nobody >/dev/null 2>&1 || die "running as root and there is no user nobody to run postgres as"
    chown nobody "$dir"
    chmod 0700 "$dir"
    runuser -u nobody -- test -w "$dir" || die "the user nobody cannot write $dir (a parent directory is closed to it); give another DIR"
  fi
  pw="$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s\n' "$pw" >"$dir/pwfile"
  [ "$(id -u)" != 0 ] || chown nobody "$dir/pwfile"
  chmod 0600 "$dir/pwfile"
  if ! as_owner env LC_ALL=C "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    die "initdb failed (log above; the directory $dir is left for a look)"
  fi
  rm -f "$dir/pwfile"
  port="${PG_LOCAL_PORT:-}"
  local tries=0 extra=""
  [ "${PG_LOCAL_STATEMENTS:-}" != 1 ] || extra="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on"
  while :; do
    if [ -z "${PG_LOCAL_PORT:-}" ]; then
      port=$((25432 + tries * 7 + RANDOM % 5))
      port_free "$port" || { tries=$((tries + 1)); [ "$tries" -lt 50 ] || die "no free port found"; continue; }
    fi
    if as_owner env LC_ALL=C "$bin/pg_ctl" start -D "$dir/data" -w -t 60 -l "$dir/postgres.log" \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 $extra" >/dev/null; then
      break
    fi
    # Lost a race for the port, or a real failure: retry a few times only
    # when the port was ours to choose.
    tries=$((tries + 1))
    if [ -n "${PG_LOCAL_PORT:-}" ] || [ "$tries" -ge 5 ]; then
      tail -20 "$dir/postgres.log" >&2 || true
      die "postgres did not start (log above; stop it with: $0 stop $dir)"
    fi
  done
  url="postgres://postgres:$pw@127.0.0.1:$port/postgres?sslmode=disable"
  printf '%s\n' "$url" >"$dir/url"
  chmod 0600 "$dir/url"
  echo "pg-local: $("$bin/postgres" --version) on 127.0.0.1:$port, cluster in $dir (stop: $0 stop $dir)" >&2
  printf '%s\n' "$url"
}

stop() {
  local dir="${1:-}" bin
  [ -n "$dir" ] || die "stop needs the cluster's directory"
  [ -d "$dir" ] || die "$dir does not exist"
  [ -f "$dir/.pg-local" ] || die "$dir was not made by $0 start (no .pg-local in it): not removing it"
  bin="$(find_bin)"
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" stop -D "$dir/data" -m fast -w -t 60 >/dev/null 2>&1 ||
      as_owner "$bin/pg_ctl" stop -D "$dir/data" -m immediate -w >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

run() {
  [ "${1:-}" != "--" ] || shift
  [ $# -gt 0 ] || die "run needs a command (see --help)"
  local url status=0
  # Global: the EXIT trap runs after this function has returned.
  run_dir="$(mktemp -d "${TMPDIR:-/tmp}/pg-local.XXXXXX")"
  trap 'stop "$run_dir"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  url="$(start "$run_dir")"
  local args=() a
  for a in "$@"; do
    args+=("${a//\$DATABASE_URL/$url}")
  done
  DATABASE_URL="$url" "${args[@]}" || status=$?
  return "$status"
}

case "${1:-}" in
  run) shift; run "$@" ;;
  start) shift; [ $# -le 1 ] || die "start takes at most one directory"; start "$@" ;;
  stop) shift; [ $# -eq 1 ] || die "stop takes the cluster's directory"; stop "$1" ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
