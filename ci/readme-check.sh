#!/usr/bin/env bash
# Runs the README's commands as written, so the README cannot drift from
# what the tool does: it installs the binary with the README's own
# `go install ./cmd/scimharness`, then runs, in README order, every
# `scimharness …` line of its ```sh blocks (servers in the background, one
# per port, replaced when the README starts another on the same port) and
# the curl examples against the README's server. Fails on the first command
# that does not do what the README says. A few lines cannot run here and are
# skipped by name below (each says why).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

work=$(mktemp -d)
declare -A pids=() # port → pid of the server the README started there
starts=0           # servers started, for their log files' names
stop_port() {
  local pid=${pids[$1]:-}
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  unset "pids[$1]"
}
cleanup() {
  for port in "${!pids[@]}"; do stop_port "$port"; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
fail() { echo "readme-check: $*" >&2; exit 1; }

# The install line, as written, into a bin directory of our own.
grep -qx 'go install ./cmd/scimharness *# in a clone' README.md || fail "README.md lost its 'go install ./cmd/scimharness' line"
mkdir -p "$work/bin" "$work/run" # the commands run in run/, as in a fresh directory
GOBIN="$work/bin" go install ./cmd/scimharness
export PATH="$work/bin:$PATH"
command -v scimharness >/dev/null || fail "go install did not put scimharness on PATH"

# Every line of a ```sh block, in order.
awk '/^```sh$/{f=1;next} /^```$/{f=0} f' README.md >"$work/sh-lines"

# A server line: start it in the background and wait until it answers.
start_server() {
  local line=$1 port
  port=$(sed -n 's/.*--addr 127\.0\.0\.1:\([0-9]*\).*/\1/p' <<<"$line")
  port=${port:-8080} # serve's default --addr
  stop_port "$port"
  # A log of its own per start: a server started again on a port must not
  # be taken for up on the line its predecessor logged.
  starts=$((starts + 1))
  local log="$work/server-$port-$starts.log"
  (cd "$work/run" && exec bash -c "exec $line") 2>"$log" &
  pids[$port]=$!
  for _ in $(seq 1 100); do
    grep -q 'msg=serving' "$log" 2>/dev/null && return 0
    kill -0 "${pids[$port]}" 2>/dev/null || { cat "$log" >&2; fail "server exited: $line"; }
    sleep 0.1
  done
  fail "server did not come up: $line"
}

n=0
while IFS= read -r line; do
  case "$line" in
  'go install github.com/scimharness/scimharness/cmd/scimharness@latest'*)
    continue ;; # needs the module on a proxy: the line above it is checked instead
  'scimharness load --url https://staging.example.com'*)
    continue ;; # a placeholder staging URL, not on this machine
  scimharness\ serve\ *)
    start_server "$line"; n=$((n + 1)); continue ;;
  scimharness\ *|SCIM_TOKEN=*scimharness\ *) ;;
  *) continue ;;
  esac
  want=0
  # The README says this one exits 1: a simulator against a deliberate bug.
  case "$line" in *'--url http://127.0.0.1:8081/'*) want=1 ;; esac
  set +e
  (cd "$work/run" && bash -c "$line") >"$work/cmd-out" 2>&1
  got=$?
  set -e
  if [ "$got" != "$want" ]; then
    tail -20 "$work/cmd-out" >&2
    fail "exit $got, want $want: $line"
  fi
  echo "readme-check: ok (exit $got): $line"
  n=$((n + 1))
done <"$work/sh-lines"

# The curl examples need the README's first server: start it again (later
# blocks replaced it) and run the block between the readme-check markers.
serve_line=$(grep -m1 '^scimharness serve' README.md)
start_server "$serve_line"
sed -n '/<!-- readme-check:begin -->/,/<!-- readme-check:end -->/p' README.md | grep -v '^<!--' | grep -v '^```' >"$work/examples.sh"
echo "readme-check: running $(grep -c '^curl\|^ID=' "$work/examples.sh") curl commands from README.md"
out=$(bash -euo pipefail "$work/examples.sh")
echo "$out"
# The last command reads the deleted user: it must be a SCIM 404.
echo "$out" | tail -1 | grep -q '"status":"404"' || fail "the deleted user was not a SCIM 404"

# The tenants config example of "The reference server" loads as written.
awk '/^  ```yaml$/{b++; f=(b==2); next} /^  ```$/{f=0} f' README.md | sed 's/^  //' >"$work/tenants-example.yaml"
grep -q 'profile: board' "$work/tenants-example.yaml" || fail "no tenants config example with profiles in README.md"
start_server "scimharness serve --addr 127.0.0.1:8090 --config $work/tenants-example.yaml"

if grep -q 'dev-token' "$work"/server-*.log; then fail "the token reached a server log"; fi
echo "readme-check: README commands work as written ($n scimharness commands, the curl examples, the config example)"
cd "$repo"
