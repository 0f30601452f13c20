#!/usr/bin/env bash
# Runs the compiled conformance suite (go test -c) against `scimharness serve`
# in ANOTHER process, through SCIM_BASE_URL, the way a team runs it against
# its staging server:
#   - against the reference server it must pass;
#   - against the reference server started with each deliberate bug of the
#     one catalog (server/broken, listed by `serve --bug list` with the
#     checks that must see each bug), every check the bug names in "fails"
#     must fail (so the suite fails) and every check it names in "warns"
#     must warn (read from the certification report, SCIM_REPORT_DIR).
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
  rm -rf "$work/report"
  (cd "$work" && SCIM_BASE_URL="$url" SCIM_TOKEN=ci-token SCIM_REPORT_DIR="$work/report" ./scim-conformance -ginkgo.no-color >"$work/suite.out" 2>&1)
}

# status ID prints the status of check ID in the certification report.
status() {
  awk -v id="$1" '
    /^  - id: / { cur = $3 }
    /^    status: / && cur == id { print $2; exit }
  ' "$work/report/results.yaml"
}

start
if ! suite; then
  echo "conform-process: the suite FAILED against the reference server in another process:" >&2
  tail -40 "$work/suite.out" >&2
  exit 1
fi
echo "conform-process: reference server: $(grep -Eo 'Ran [0-9]+ of [0-9]+ Specs' "$work/suite.out") — passed"
stop

"$work/scimharness" serve --bug list >"$work/bugs.tsv"
n=0
while IFS=$'\t' read -r -u 3 bug fails warns; do
  fails=${fails#fails=}
  warns=${warns#warns=}
  if [ -z "$fails$warns" ]; then
    echo "conform-process: bug $bug names no check that must see it" >&2
    exit 1
  fi
  start --bug "$bug"
  passed=1
  suite || passed=0
  # The failing checks, by id: "[FAILED] filter/and (RFC 7644 §3.4.2.2) failed:".
  failed=$(sed -n 's/^ *\[FAILED\] \([^ ]*\) (.*) failed:.*/\1/p' "$work/suite.out" | sort -u)
  if [ -n "$fails" ] && [ "$passed" = 1 ]; then
    echo "conform-process: the suite PASSED against a server with bug $bug" >&2
    exit 1
  fi
  for id in ${fails//,/ }; do
    if ! grep -qxF "$id" <<<"$failed"; then
      echo "conform-process: --bug $bug: check $id did not fail; failed: $(echo $failed)" >&2
      tail -20 "$work/suite.out" >&2
      exit 1
    fi
  done
  for id in ${warns//,/ }; do
    if [ ! -f "$work/report/results.yaml" ]; then
      echo "conform-process: --bug $bug: no certification report in $work/report" >&2
      tail -20 "$work/suite.out" >&2
      exit 1
    fi
    got=$(status "$id")
    if [ "$got" != warn ]; then
      echo "conform-process: --bug $bug: check $id is ${got:-missing}, not warn" >&2
      exit 1
    fi
  done
  echo "conform-process: --bug $bug: $(echo "$failed" | grep -c . || true) checks failed (named: ${fails:-none}); warned: ${warns:-none}"
  stop
  n=$((n + 1))
done 3<"$work/bugs.tsv"
if [ "$n" != "$(wc -l <"$work/bugs.tsv")" ] || [ "$n" = 0 ]; then
  echo "conform-process: ran $n of $(wc -l <"$work/bugs.tsv") bugs" >&2
  exit 1
fi
echo "conform-process: one pass, $n bugs caught, each by the checks it names, over HTTP in another process"
