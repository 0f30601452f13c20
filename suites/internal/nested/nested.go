// Package nested is the one preamble of the suites' tests that run the
// suite again in a nested `go test`, as a user runs it against a URL: the
// output, the cache and the report of such a run are what they check.
package nested

import (
	"os"
	"os/exec"
	"testing"

	"github.com/scimharness/scimharness/harness/target"
)

// Go returns the go command for the nested run, or skips t when there
// must or can be none: under -short, in a run that is itself against a
// URL (perhaps the nested one: it must not nest again), without a go
// command.
func Go(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs go test")
	}
	if os.Getenv(target.EnvBaseURL) != "" {
		t.Skip("this is a run against a URL (perhaps the nested one)")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	return gobin
}
