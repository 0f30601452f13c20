#!/usr/bin/env bash
# Runs every native Go fuzz target of the module (each `func FuzzX` in a
# _test.go file) for a bounded time, one after the other, and prints the
# executions of each and their total. Fails if any target fails; the
# failing input is left under the package's testdata/fuzz/FuzzX/ by
# `go test`, where it becomes a regression case once committed.
#
#   FUZZTIME  time per target, as `go test -fuzztime` reads it (default 10s;
#             "1000x" runs a fixed number of executions)
#   FUZZ      optional regular expression: only targets whose name matches
#
# Example: FUZZTIME=60s ci/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-10s}
only=${FUZZ:-.}
module=$(go list -m)

# "package-dir target" pairs, sorted, from the test files git would ship.
mapfile -t targets < <(
  grep -rlE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(' . |
    while read -r f; do
      d=$(dirname "$f")
      grep -oE '^func Fuzz[A-Za-z0-9_]*' "$f" | sed "s|^func |$d |"
    done | sort
)
[ "${#targets[@]}" -gt 0 ] || { echo "fuzz: no fuzz targets found" >&2; exit 1; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT INT TERM
total=0
failed=()
printf '%-52s %-16s %14s\n' "package" "target" "executions"
for t in "${targets[@]}"; do
  dir=${t% *}
  name=${t#* }
  [[ $name =~ $only ]] || continue
  pkg="$module/${dir#./}"
  status=ok
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$dir" >"$log" 2>&1; then
    status=FAIL
    failed+=("$pkg $name")
  fi
  # The fuzzer's progress lines end with the running total:
  # "fuzz: elapsed: 10s, execs: 123456 (12345/sec), new interesting: ..."
  execs=$( (grep -oE 'execs: [0-9]+' "$log" || true) | tail -1 | awk '{print $2}')
  execs=${execs:-0}
  total=$((total + execs))
  printf '%-52s %-16s %14s %s\n' "${pkg#"$module"/}" "$name" "$execs" "$status"
  if [ "$status" = FAIL ]; then
    sed 's/^/    /' "$log" | tail -40
  fi
done
printf '%-52s %-16s %14s\n' "total" "" "$total"
echo "fuzz: ${fuzztime} per target"
if [ "${#failed[@]}" -gt 0 ]; then
  printf 'fuzz: FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
