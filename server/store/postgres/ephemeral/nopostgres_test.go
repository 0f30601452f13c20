package ephemeral

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestNoPostgres is a machine with neither a Docker engine nor PostgreSQL
// binaries nor SCIM_TEST_DATABASE_URL: Start finds no way and says how to
// enable one (pgtest's TestNoPostgresSkipsWithHowTo shows the skip).
func TestNoPostgres(t *testing.T) {
	t.Setenv("SCIM_TEST_DATABASE_URL", "")
	t.Setenv("SCIM_TEST_POSTGRES_IMAGE", "")
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	t.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "")
	t.Setenv("PATH", t.TempDir())
	old := serverDirs
	serverDirs = t.TempDir() + "/*/bin"
	defer func() { serverDirs = old }()

	_, _, stop, err := Start(context.Background())
	if stop != nil {
		stop()
	}
	if !errors.Is(err, ErrNoPostgres) {
		t.Fatalf("Start = %v, want ErrNoPostgres", err)
	}
	for _, how := range []string{"SCIM_TEST_DATABASE_URL", "Docker", "initdb"} {
		if !strings.Contains(err.Error(), how) {
			t.Errorf("error %q does not say how to enable Postgres (%s)", err, how)
		}
	}
}

// TestHoldExit: a hold counts until released, and releasing twice is
// releasing once.
func TestHoldExit(t *testing.T) {
	held := func() int { live.Lock(); defer live.Unlock(); return live.held }
	before := held()
	a, b := HoldExit(), HoldExit()
	if got := held(); got != before+2 {
		t.Fatalf("after two holds: %d, want %d", got, before+2)
	}
	a()
	a()
	if got := held(); got != before+1 {
		t.Errorf("after releasing one twice: %d, want %d", got, before+1)
	}
	b()
	if got := held(); got != before {
		t.Errorf("after releasing both: %d, want %d", got, before)
	}
}
