#!/usr/bin/env bash
# Runs the README's curl examples, as written, against a real
# `scimharness serve` started with the README's own command, so the README
# cannot drift from what the server does. Fails on the first failing command.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# The serve command is the README's first ```sh line that starts the server;
# run it through a built binary so the process we stop is the server itself.
serve_line=$(grep -m1 '^go run ./cmd/scimharness serve' README.md)
[ -n "$serve_line" ] || { echo "readme-check: no 'go run ./cmd/scimharness serve' line in README.md" >&2; exit 1; }
go build -o "$work/scimharness" ./cmd/scimharness
args=${serve_line#go run ./cmd/scimharness }
# shellcheck disable=SC2086
"$work/scimharness" $args 2>"$work/server.log" &
pid=$!

base=$(sed -n 's/^BASE=\(.*\)$/\1/p' README.md | head -1)
for _ in $(seq 1 100); do
  curl -s -o /dev/null "$base/ServiceProviderConfig" && break
  kill -0 "$pid" 2>/dev/null || { echo "readme-check: server exited:" >&2; cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done

# The block between the readme-check markers, without its ``` fences.
sed -n '/<!-- readme-check:begin -->/,/<!-- readme-check:end -->/p' README.md | grep -v '^<!--' | grep -v '^```' >"$work/examples.sh"
echo "readme-check: running $(grep -c '^curl\|^ID=' "$work/examples.sh") commands from README.md"
out=$(bash -euo pipefail "$work/examples.sh")
echo "$out"
# The last command reads the deleted user: it must be a SCIM 404.
echo "$out" | tail -1 | grep -q '"status":"404"' || { echo "readme-check: the deleted user was not a SCIM 404" >&2; exit 1; }
if grep -q 'dev-token' "$work/server.log"; then echo "readme-check: the token reached the server log" >&2; exit 1; fi
echo "readme-check: README examples work as written"
