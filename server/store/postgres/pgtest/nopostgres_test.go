package pgtest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// recordingTB records whether a helper skipped or failed, instead of doing it.
type recordingTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordingTB) Helper() {}

// Skip and Fatal end the goroutine, as testing.T's do.
func (r *recordingTB) Skip(args ...any)  { r.skipped = toString(args); runtime.Goexit() }
func (r *recordingTB) Fatal(args ...any) { r.failed = toString(args); runtime.Goexit() }

func toString(args []any) string {
	var b strings.Builder
	for _, a := range args {
		if e, ok := a.(error); ok {
			b.WriteString(e.Error())
		} else if s, ok := a.(string); ok {
			b.WriteString(s)
		}
	}
	return b.String()
}

// TestNoPostgresSkipsWithHowTo is a machine with neither a Docker engine nor
// PostgreSQL binaries nor SCIM_TEST_DATABASE_URL: the specs are skipped with a message saying how to enable them, and
// SCIM_REQUIRE_POSTGRES=1 turns the skip into a failure.
func TestNoPostgresSkipsWithHowTo(t *testing.T) {
	// What Start returns on such a machine (ephemeral's TestNoPostgres
	// shows that it does).
	err := fmt.Errorf("postgres: %w", ErrNoPostgres)
	for _, tc := range []struct {
		require  string
		wantSkip bool
	}{{"", true}, {"1", false}} {
		t.Setenv("SCIM_REQUIRE_POSTGRES", tc.require)
		r := &recordingTB{}
		done := make(chan struct{})
		go func() { defer close(done); skipOrFail(r, err) }()
		<-done
		if tc.wantSkip && (r.skipped == "" || r.failed != "") {
			t.Errorf("SCIM_REQUIRE_POSTGRES=%q: skipped %q, failed %q; want a skip", tc.require, r.skipped, r.failed)
		}
		if !tc.wantSkip && r.failed == "" {
			t.Errorf("SCIM_REQUIRE_POSTGRES=%q: not failed; want a failure", tc.require)
		}
		msg := r.skipped + r.failed
		for _, how := range []string{"SCIM_TEST_DATABASE_URL", "Docker", "initdb"} {
			if !strings.Contains(msg, how) {
				t.Errorf("message %q does not say how to enable Postgres (%s)", msg, how)
			}
		}
	}
}
