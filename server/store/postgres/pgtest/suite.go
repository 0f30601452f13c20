package pgtest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/onsi/ginkgo/v2"

	"github.com/scimharness/scimharness/server/store/postgres/ephemeral"
)

// DB is the PostgreSQL of a Ginkgo suite, registered by [Suite].
type DB struct {
	url, how string
}

// URL is the connection string of the suite's database.
func (d *DB) URL() string { return d.url }

// How says how PostgreSQL came up.
func (d *DB) How() string { return d.how }

// Suite registers, at the package level of a Ginkgo suite, the set-up that
// brings PostgreSQL up once for the suite and takes it down after the last
// spec:
//
//	var db = pgtest.Suite()
//
// and db.URL() in specs. It uses SynchronizedBeforeSuite, so under
// ginkgo -p one process starts the server and every process uses it; the
// stop is a DeferCleanup of that process, which Ginkgo runs after all
// processes finish, when specs fail, and when the run is interrupted. The
// setup functions run in every process once the URL is known, in a
// suite-level node, so a DeferCleanup they register runs after the suite
// (open a store there, and close it). When no PostgreSQL can be had, the
// whole suite is skipped, saying how to enable it, or fails when
// SCIM_REQUIRE_POSTGRES=1.
func Suite(setup ...func(url string)) *DB {
	d := &DB{}
	ginkgo.SynchronizedBeforeSuite(func(ctx ginkgo.SpecContext) []byte {
		url, how, stop, err := Start(ctx)
		if err != nil {
			if errors.Is(err, ErrNoPostgres) && !Required() {
				ephemeral.Logf("postgres for tests: skipping: %v", err)
				return nil
			}
			ginkgo.Fail(err.Error())
		}
		release := ephemeral.HoldExit() // Ginkgo exits by itself after its cleanup
		ginkgo.DeferCleanup(func() {
			stop()
			release()
		})
		return []byte(how + "\n" + url)
	}, func(b []byte) {
		if len(b) == 0 {
			ginkgo.Skip(ErrNoPostgres.Error())
		}
		d.how, d.url, _ = strings.Cut(string(b), "\n")
		for _, f := range setup {
			f(d.url)
		}
	})
	return d
}

// ForTest brings up PostgreSQL for one test (or benchmark) and stops it
// with tb.Cleanup. It skips the test when none can be had, or fails it when
// SCIM_REQUIRE_POSTGRES=1.
func ForTest(tb testing.TB) string {
	tb.Helper()
	url, _, stop, err := Start(context.Background())
	if err != nil {
		skipOrFail(tb, err)
	}
	tb.Cleanup(stop)
	return url
}

var shared struct {
	sync.Mutex
	url  string
	stop func()
	err  error
}

// Shared is ForTest for tests that share one server per process, started
// on first use (benchmarks, whose set-up is paid once). The package's
// TestMain must call StopShared after m.Run: testing has no cleanup hook
// for the whole run.
func Shared(tb testing.TB) string {
	tb.Helper()
	shared.Lock()
	defer shared.Unlock()
	if shared.url == "" && shared.err == nil {
		shared.url, _, shared.stop, shared.err = Start(context.Background())
	}
	if shared.err != nil {
		skipOrFail(tb, shared.err)
	}
	return shared.url
}

// StopShared stops the server Shared started, if any.
func StopShared() {
	shared.Lock()
	defer shared.Unlock()
	if shared.stop != nil {
		shared.stop()
	}
	shared.url, shared.stop, shared.err = "", nil, nil
}

func skipOrFail(tb testing.TB, err error) {
	tb.Helper()
	if errors.Is(err, ErrNoPostgres) && !Required() {
		tb.Skip(err.Error())
	}
	tb.Fatal(err)
}
