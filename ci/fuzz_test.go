// Package ci_test tests the CI scripts of this directory.
package ci_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fakeGo stands in for go on fuzz.sh's PATH: it records each call in
// $FAKE_GO_LOG and answers `go test` as $FAKE_GO says — pass; race-once
// (the first call fails as Go 1.26's fuzz coordinator does when its
// deadline fires: "context deadline exceeded", no input written);
// race-always; crasher (a real failure: an input written).
const fakeGo = `#!/usr/bin/env bash
echo "$*" >>"$FAKE_GO_LOG"
case $1 in
list) echo github.com/scimharness/scimharness; exit 0 ;;
test) ;;
*) echo "fake go: unexpected: $*" >&2; exit 2 ;;
esac
n=$(grep -c '^test ' "$FAKE_GO_LOG")
echo "fuzz: elapsed: 1s, execs: 100 (100/sec), new interesting: 0"
case $FAKE_GO in
race-once) [ "$n" != 1 ] || { echo "context deadline exceeded"; exit 1; } ;;
race-always) echo "context deadline exceeded"; exit 1 ;;
crasher) echo "    Failing input written to testdata/fuzz/FuzzX/0123"; echo "context deadline exceeded"; exit 1 ;;
esac
echo ok
`

var countBudget = regexp.MustCompile(`-fuzztime [0-9]+x( |$)`)

// TestFuzzScriptDeadlineRace runs ci/fuzz.sh with a fake go: the
// coordinator's deadline race (golang/go#75804) cannot fail the fuzz step,
// a written crasher always does, and the default budget is a count of
// executions, never a duration (issue 19: CI failed on the race).
func TestFuzzScriptDeadlineRace(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	tests := []struct {
		name     string
		fuzztime string // FUZZTIME; empty: the default
		fake     string
		wantOK   bool
		// calls checks fuzz.sh's `go test` calls, in order.
		calls func(t *testing.T, calls []string)
	}{
		{"default budget is a count", "", "pass", true, func(t *testing.T, calls []string) {
			for _, c := range calls {
				if !countBudget.MatchString(c) {
					t.Errorf("a call without a count budget: %s", c)
				}
			}
		}},
		{"race on a duration is run again on the count", "10s", "race-once", true, func(t *testing.T, calls []string) {
			if len(calls) < 2 || !strings.Contains(calls[0], "-fuzztime 10s") || !countBudget.MatchString(calls[1]) || fuzzTarget(calls[0]) != fuzzTarget(calls[1]) {
				t.Errorf("want the raced target run again with a count budget:\n%s", strings.Join(calls, "\n"))
			}
		}},
		{"a race again on the count fails", "10s", "race-always", false, nil},
		{"a crasher fails, and is not run again", "10s", "crasher", false, func(t *testing.T, calls []string) {
			for _, c := range calls {
				if countBudget.MatchString(c) {
					t.Errorf("a failure with a crasher was run again: %s", c)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "go"), []byte(fakeGo), 0o755); err != nil {
				t.Fatal(err)
			}
			log := filepath.Join(dir, "calls")
			cmd := exec.Command(bash, "fuzz.sh")
			cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"),
				"FAKE_GO_LOG="+log, "FAKE_GO="+tt.fake, "FUZZTIME="+tt.fuzztime, "FUZZ=")
			out, err := cmd.CombinedOutput()
			if ok := err == nil; ok != tt.wantOK {
				t.Fatalf("fuzz.sh: %v, want success %v:\n%s", err, tt.wantOK, out)
			}
			b, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			var calls []string
			for _, c := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				if strings.HasPrefix(c, "test ") {
					calls = append(calls, c)
				}
			}
			if len(calls) == 0 {
				t.Fatalf("fuzz.sh ran no target:\n%s", out)
			}
			if tt.calls != nil {
				tt.calls(t, calls)
			}
		})
	}
}

// fuzzTarget is the -fuzz pattern of a `go test` call.
func fuzzTarget(call string) string {
	f := strings.Fields(call)
	for i := range f[:len(f)-1] {
		if f[i] == "-fuzz" {
			return f[i+1]
		}
	}
	return ""
}
