#!/usr/bin/env bash
# Runs the compiled conformance suite (go test -c) against `scimharness serve`
# in ANOTHER process, through SCIM_BASE_URL, the way a team runs it against
# its staging server:
#   - against the reference server it must pass;
#   - against the reference server started with each deliberate bug
#     (`serve --bug NAME`) it must fail, and the failing specs are printed.
# The same checks run in-process in `go test ./suites/...`; this shows that
# the URL path gives the same result. Fails on the first surprise.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
pid=""
stop() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi
}
trap 'stop; rm -rf "$work"' EXIT INT TERM

go build -o "$work/scimharness" ./cmd/scimharness
go test -c -o "$work/scim-conformance" ./suites/conformance/

# start serves the reference server on a free loopback port and sets $url.
start() {
  "$work/scimharness" serve --addr 127.0.0.1:0 --token ci-token "$@" 2>"$work/serve.log" &
  pid=$!
  url=""
  for _ in $(seq 1 100); do
    url=$(sed -n 's/.*url=\(http:[^ ]*\/scim\/v2\).*/\1/p' "$work/serve.log" | head -1)
    [ -n "$url" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "conform-process: the server did not start:" >&2
  cat "$work/serve.log" >&2
  exit 1
}

suite() {
  (cd "$work" && SCIM_BASE_URL="$url" SCIM_TOKEN=ci-token ./scim-conformance -ginkgo.no-color >"$work/suite.out" 2>&1)
}

start
if ! suite; then
  echo "conform-process: the suite FAILED against the reference server in another process:" >&2
  tail -40 "$work/suite.out" >&2
  exit 1
fi
echo "conform-process: reference server: $(grep -Eo 'Ran [0-9]+ of [0-9]+ Specs' "$work/suite.out") — passed"
stop

bugs=$("$work/scimharness" simulate --list-bugs | awk 'NR>1 {print $1}')
for bug in $bugs; do
  start --bug "$bug"
  if suite; then
    echo "conform-process: the suite PASSED against a server with bug $bug" >&2
    exit 1
  fi
  # The failing checks, by id: "[FAILED] filter/and (RFC 7644 §3.4.2.2) failed:".
  failed=$(sed -n 's/^ *\[FAILED\] \([^ ]*\) (.*) failed:.*/\1/p' "$work/suite.out" | sort -u)
  if [ -z "$failed" ]; then
    echo "conform-process: --bug $bug: the suite failed but named no failing check:" >&2
    tail -20 "$work/suite.out" >&2
    exit 1
  fi
  echo "conform-process: --bug $bug: $(echo "$failed" | wc -l) checks failed, e.g. $(echo "$failed" | head -3 | paste -sd ' ' -)"
  stop
done
echo "conform-process: one pass, $(echo "$bugs" | wc -w) bugs caught, each by the suite over HTTP in another process"
