#!/usr/bin/env bash
# Runs scimharness against a SCIM server the project did not write: the
# in-memory server on github.com/elimity-com/scim in ci/peer (its own Go
# module, so the main module's go test ./... never builds it). conform (all
# its checks, the schema-driven ones included), the three IdP simulators and a bounded differential fuzz run against it; every
# failure must be pinned in ci/peer/findings.yaml with the RFC clause that
# makes it a real defect of the peer (issue 16 item 5). A failure that is not
# pinned fails CI: it is either a new false failure of the harness (fix the
# harness) or a new defect of the peer (pin it with its clause). A pin that
# no longer fails fails CI too. Loopback only; about ten seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
pid=""
stop() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi
}
trap 'stop; rm -rf "$work"' EXIT INT TERM

go build -o "$work/scimharness" ./cmd/scimharness
# The peer is its own module: the main module's go vet and go test skip it.
(cd ci/peer && go vet ./... && go test -count=1 ./... && go build -o "$work/peer" . && go build -o "$work/compare" ./compare)

token=peer-ci-token
"$work/peer" --addr 127.0.0.1:0 --token "$token" 2>"$work/peer.log" &
pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/^url=\(http:.*\)$/\1/p' "$work/peer.log" | head -1)
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then echo "peer: the peer server did not start:" >&2; cat "$work/peer.log" >&2; exit 1; fi
echo "peer: elimity-com/scim server at $url"

export SCIM_TOKEN="$token"
# Exit status 1 (something failed) is expected: the comparison judges it.
# Anything else (2: unusable, 130: interrupted) is not a run.
run() {
  local name=$1; shift
  local rc=0
  "$work/scimharness" "$@" >"$work/$name.out" 2>&1 || rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "peer: scimharness $1 exited $rc:" >&2; tail -30 "$work/$name.out" >&2; exit 1
  fi
  echo "peer: $name exit $rc"
}
# Every check: the hand-written ones and the schema-driven ones (schema/…,
# generated from the peer's own /ResourceTypes and /Schemas; findings.yaml
# pins their failures by cause, with patterns and counts).
run conform conform --url "$url" --report-dir "$work/conform"
for idp in entra okta google; do
  run "simulate-$idp" simulate --idp "$idp" --url "$url" --report-dir "$work/simulate-$idp"
done
run fuzz fuzz --url "$url" --seed 1 --requests 300

if ! "$work/compare" --findings ci/peer/findings.yaml --dir "$work"; then
  echo "peer: the failures against the peer differ from ci/peer/findings.yaml; conform's summary:" >&2
  sed -n '/did not pass:/,/^reproduce:/p' "$work/conform.out" >&2
  for idp in entra okta google; do sed -n '/did not pass:/,/^reproduce:/p' "$work/simulate-$idp.out" >&2; done
  grep -A3 '^disagreement' "$work/fuzz.out" >&2 || true
  exit 1
fi
