#!/usr/bin/env bash
# Entrypoint for the locally built PostgreSQL test image (see ci/postgres-image.sh).
#
# It mimics the parts of the official postgres image's entrypoint that
# testcontainers-go's postgres module relies on, so the module can use this
# image unchanged:
#   - POSTGRES_USER (default postgres), POSTGRES_PASSWORD (required unless
#     POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_DB (default: $POSTGRES_USER),
#     PGDATA (default /var/lib/postgresql/data), POSTGRES_INITDB_ARGS, and the
#     *_FILE variants of the first three (e.g. POSTGRES_PASSWORD_FILE);
#   - `postgres [flags]` (or just flags, e.g. `-c fsync=off`) runs the server;
#     any other command is exec'd as is;
#   - on an empty PGDATA: initdb, a temporary socket-only server for creating
#     POSTGRES_DB and running /docker-entrypoint-initdb.d/*, then the real
#     server. Both servers log to the container's stderr, so on a fresh start
#     "database system is ready to accept connections" is logged exactly twice,
#     which is what the module's log wait strategy counts (WithOccurrence(2)).
# The real server is exec'd, so it is PID 1 and docker's stop signal (SIGINT,
# set by the image) reaches it directly and triggers a fast shutdown.
# No `set -u`, like the official entrypoint: non-executable init scripts are
# sourced into this shell and may rely on unset variables expanding to "".
set -Eeo pipefail

PG_BIN=/usr/lib/postgresql/15/bin
# Do not depend on the image's ENV: someone may override PATH at `docker run`.
export PATH="$PG_BIN:$PATH"
export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
# Without a UTF-8 locale initdb would pick SQL_ASCII. C.UTF-8 ships with libc,
# so no locale package is needed, and its byte-order collation is deterministic.
export LANG="${LANG:-C.UTF-8}"

log() { printf '%s [entrypoint] %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$*" >&2; }

# file_env VAR [DEFAULT]: VAR may also be given as VAR_FILE (a path whose
# contents become the value), as in the official image; not both.
file_env() {
  local var="$1" def="${2:-}"
  local fvar="${var}_FILE"
  if [ -n "${!var:-}" ] && [ -n "${!fvar:-}" ]; then
    log "error: both $var and $fvar are set (but are exclusive)"
    exit 1
  fi
  local val="$def"
  if [ -n "${!var:-}" ]; then
    val="${!var}"
  elif [ -n "${!fvar:-}" ]; then
    val="$(<"${!fvar}")"
  fi
  export "$var"="$val"
  unset "$fvar"
}

# Flags only (`docker run IMAGE -c fsync=off`) mean "run the server with these".
if [ "$#" -eq 0 ] || [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi

# Any other command (bash, psql, pg_isready, ...) runs as given.
if [ "$1" != postgres ]; then
  exec "$@"
fi

# As root: prepare the directories, then re-run this script as the postgres
# user. setpriv (util-linux, part of every Debian base) execs directly: no
# extra process, no PAM session, signals go straight to the server.
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  # Only touch what is not already ours (a mounted volume may be large).
  find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
  chmod 0700 "$PGDATA"
  chown postgres:postgres /var/run/postgresql
  chmod 3777 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

file_env POSTGRES_USER postgres
file_env POSTGRES_PASSWORD
file_env POSTGRES_DB "$POSTGRES_USER"
POSTGRES_HOST_AUTH_METHOD="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
POSTGRES_INITDB_ARGS="${POSTGRES_INITDB_ARGS:-}"

# psql against the temporary server: unix socket, local "trust" auth.
temp_psql() {
  psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "$POSTGRES_USER" "$@"
}

run_init_files() {
  local f
  shopt -s nullglob
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh)
        # Executable scripts run on their own; others are sourced (official
        # image behaviour), so they can use this script's variables.
        if [ -x "$f" ]; then
          log "running $f"; "$f"
        else
          log "sourcing $f"; # shellcheck disable=SC1090
          . "$f"
        fi
        ;;
      *.sql)     log "running $f"; temp_psql --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz)  log "running $f"; gzip -dc "$f" | temp_psql --dbname "$POSTGRES_DB" ;;
      *.sql.xz)  log "running $f"; xz -dc "$f" | temp_psql --dbname "$POSTGRES_DB" ;;
      *.sql.zst) log "running $f"; zstd -dc "$f" | temp_psql --dbname "$POSTGRES_DB" ;;
      *)         log "ignoring $f" ;;
    esac
  done
  shopt -u nullglob
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    log "error: database is uninitialized and superuser password is not specified."
    log "       Set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust to allow"
    log "       all connections without a password; never do that outside tests)."
    exit 1
  fi

  log "initializing database in $PGDATA for user $POSTGRES_USER"
  # Inside the container (unix socket) trust, like the official image, so
  # init scripts and `docker exec ... psql -U user` work without a password;
  # every TCP connection must authenticate (unless trust was asked for).
  # shellcheck disable=SC2206 # POSTGRES_INITDB_ARGS is a word list by contract
  initdb_args=(--username="$POSTGRES_USER"
    --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD" $POSTGRES_INITDB_ARGS)
  if [ -n "$POSTGRES_PASSWORD" ]; then
    # Process substitution: the password never lands on disk or in argv.
    initdb --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") "${initdb_args[@]}" >&2
  else
    initdb "${initdb_args[@]}" >&2
  fi
  {
    echo
    echo "# Added by docker-entrypoint.sh"
    echo "host all all all $POSTGRES_HOST_AUTH_METHOD"
  } >>"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"

  # Temporary server: unix socket only, so nothing outside the container can
  # connect before initialization is done. The caller's flags (e.g.
  # `-c fsync=off`) apply too, which speeds up initialization. Without -l its
  # log goes to our stderr: that is the first "ready to accept connections".
  shift # drop "postgres"; "$@" is now just the server flags
  log "starting temporary server"
  pg_ctl -D "$PGDATA" -w start \
    -o "$(printf '%q ' "$@" -c "listen_addresses=" -p "${PGPORT:-5432}")" >&2

  if [ "$POSTGRES_DB" != postgres ]; then
    exists="$(temp_psql --dbname postgres -tA --set db="$POSTGRES_DB" \
      <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")"
    if [ -z "$exists" ]; then
      log "creating database $POSTGRES_DB"
      temp_psql --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";' >/dev/null
    fi
  fi
  run_init_files

  log "stopping temporary server"
  pg_ctl -D "$PGDATA" -m fast -w stop >&2
  log "initialization complete; starting server"
  set -- postgres "$@"
fi

exec "$@"
