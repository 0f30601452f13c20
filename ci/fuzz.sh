#!/usr/bin/env bash
# Runs every native Go fuzz target of the module (each `func FuzzX` in a
# _test.go file) for a bounded time, one after the other, and prints the
# executions of each and their total. Fails if any target fails; the
# failing input is left under the package's testdata/fuzz/FuzzX/ by
# `go test`, where it becomes a regression case once committed.
#
#   FUZZTIME  budget per target, as `go test -fuzztime` reads it. The default
#             is a count of executions (50000x), not a duration: with a
#             duration, Go 1.26's fuzz coordinator can fail a target that
#             found nothing with a bare "context deadline exceeded" when the
#             deadline fires (golang/go#75804, fixed in Go 1.27). A count has
#             no deadline to race, so CI cannot fail by chance on it.
#             A duration (e.g. 60s) still works for long local runs; a
#             failure with that signature and no crasher written is then run
#             again, once, on the count budget instead of being reported.
#   FUZZ      optional regular expression: only targets whose name matches
#
# Example: FUZZTIME=60s ci/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-50000x}
count_budget=50000x
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
    # The coordinator's deadline race (see FUZZTIME above): no input was
    # written, nothing to reproduce. Run the target again on a count budget.
    if grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
      echo "fuzz: $name: coordinator deadline race (golang/go#75804), no crasher; again with -fuzztime $count_budget" >&2
      if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$count_budget" "$dir" >"$log" 2>&1; then
        status=ok
      fi
    fi
  fi
  [ "$status" = ok ] || failed+=("$pkg $name")
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
