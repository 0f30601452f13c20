package ephemeral

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestWithDatabase(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://u:p@h:5432/old?sslmode=disable", "postgres://u:p@h:5432/new?sslmode=disable"},
		{"postgresql://u@/old?host=/tmp/x&port=5", "postgresql://u@/new?host=%2Ftmp%2Fx&port=5"},
		{"postgres://h/old?dbname=other", "postgres://h/new"},
		{"host=/tmp/x port=5 dbname=old", "host=/tmp/x port=5 dbname=old dbname=new"},
	} {
		got, err := WithDatabase(c.in, "new")
		if err != nil || got != c.want {
			t.Errorf("WithDatabase(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		if name := dbName(got); name != "new" {
			t.Errorf("WithDatabase(%q) names database %q", c.in, name)
		}
	}
}

func TestFallThroughIsNotFatal(t *testing.T) {
	var skip *skipWay
	if err := fallThrough("docker: %s", "down"); !errors.As(err, &skip) || err.Error() != "docker: down" {
		t.Errorf("fallThrough = %v", err)
	}
}

// TestSweepClusters checks that a cluster directory whose process is gone
// is removed, and one whose process runs (this one) is kept.
func TestSweepClusters(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no process checks on Windows: nothing is swept")
	}
	mk := func(pid int) string {
		dir, err := os.MkdirTemp("", clusterPrefix+"*")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	Logf = t.Logf
	t.Cleanup(func() { Logf = logPrintf })
	mine := mk(os.Getpid())
	gone := mk(1 << 30) // above any pid_max: no such process
	sweepClusters()
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("the directory of a running process was removed: %v", err)
	}
	if _, err := os.Stat(gone); !os.IsNotExist(err) {
		t.Errorf("the directory of a gone process is still there: %v", err)
	}
}

// TestStart: whatever way the machine offers, Start gives an empty
// database that accepts connections, and its stop takes it down (twice is
// once). No way at all is ErrNoPostgres, not a failure, unless
// SCIM_REQUIRE_POSTGRES=1.
func TestStart(t *testing.T) {
	ctx := context.Background()
	Logf = t.Logf
	t.Cleanup(func() { Logf = logPrintf })
	dbURL, how, stop, err := Start(ctx)
	if errors.Is(err, ErrNoPostgres) && !Required() {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("up: %s", how)
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		stop()
		t.Fatal(err)
	}
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`).Scan(&n)
	conn.Close(ctx)
	if err != nil || n != 0 {
		t.Errorf("a fresh database: %d tables, %v", n, err)
	}
	stop()
	stop()
	if c, err := pgx.Connect(ctx, dbURL); err == nil {
		c.Close(ctx)
		t.Errorf("%s still accepts connections after stop", how)
	}
}
