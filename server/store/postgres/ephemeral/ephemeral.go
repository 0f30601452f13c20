// Package ephemeral brings up a throwaway PostgreSQL server, whatever the
// machine offers, and takes it down again: for the tests (through pgtest,
// its thin wrapper for testing and Ginkgo) and for the CLI (conform
// --store postgres without a database URL, through harness/target). It
// imports neither testing nor Ginkgo, so the scimharness binary links
// neither. [Start] tries, in order:
//
//  1. SCIM_TEST_DATABASE_URL: a server someone runs; ephemeral creates a
//     fresh database on it for the run (so runs do not collide) and drops
//     it at the end. The role needs CREATEDB.
//  2. Docker, through the engine's API (docker.go says why not
//     testcontainers-go, the library this used before: it links testing and
//     testify into every binary that imports it), when a Docker engine
//     answers within a few seconds: image postgres:16-alpine, or
//     SCIM_TEST_POSTGRES_IMAGE. When the image is not present and cannot be
//     pulled (no registry), ephemeral goes on to 3 with a log line saying
//     so; when SCIM_TEST_POSTGRES_IMAGE names the image, it fails instead:
//     a setting that asks for an image is not silently ignored.
//  3. A throwaway cluster made with initdb in a temporary directory (the
//     server binaries on PATH or in /usr/lib/postgresql/*/bin), listening on
//     a free loopback port and a unix socket in that directory, fsync off.
//     initdb and postgres refuse to run as root, so as root they run as the
//     user "nobody".
//  4. Nothing: Start returns an error wrapping [ErrNoPostgres], whose text
//     says how to enable PostgreSQL; pgtest skips then, or fails when
//     SCIM_REQUIRE_POSTGRES=1.
//
// It logs which way PostgreSQL came up ("postgres for tests: ..."). What it
// starts it stops: the stop function Start returns is idempotent (pgtest
// registers it with Ginkgo's DeferCleanup and testing's Cleanup, which
// also run when a test fails); SIGINT and SIGTERM stop every live server
// before the process goes (a caller that exits by itself after its
// cleanup, as Ginkgo does, says so with [HoldExit]). Containers are
// terminated by ephemeral itself, so TESTCONTAINERS_RYUK_DISABLED=true is
// fine (ephemeral sets it when the Ryuk image is not present locally,
// since pulling it would fail the same way; it also sets
// TESTCONTAINERS_HOST_OVERRIDE=localhost when the Docker engine runs on
// this machine, see pinLocalDaemon), and what a killed process (SIGKILL, a
// go test timeout) leaves behind — an initdb directory or a labelled
// container whose owner process is gone — is removed by the next Start on
// the same host; a cluster also dies with the process that started it
// (Linux parent-death signal). The labels and directory names still say
// "pgtest", the package's old name, so that leftovers of older runs are
// swept too.
package ephemeral

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoPostgres is wrapped by Start's error when no PostgreSQL could be had.
var ErrNoPostgres = errors.New("no PostgreSQL for tests: set SCIM_TEST_DATABASE_URL to a server's URL (the role needs CREATEDB), " +
	"start a Docker engine (image postgres:16-alpine, or SCIM_TEST_POSTGRES_IMAGE), " +
	"or install the PostgreSQL server binaries (initdb, pg_ctl, postgres) on PATH or in /usr/lib/postgresql/*/bin")

// Required reports whether SCIM_REQUIRE_POSTGRES=1 asks for PostgreSQL
// tests to fail rather than skip when no server can be had (CI sets it).
func Required() bool { return os.Getenv("SCIM_REQUIRE_POSTGRES") == "1" }

// Logf is where ephemeral says what it does; tests may redirect it.
var Logf = logPrintf

var logPrintf = log.Printf

// Start brings up PostgreSQL (see the package documentation for the order
// of the ways tried) and returns the URL of an empty database on it, a
// description of how it came up, and the function that takes everything
// down again (idempotent, safe to call from several goroutines).
func Start(ctx context.Context) (dbURL, how string, stop func(), err error) {
	watchSignals()
	if u := os.Getenv("SCIM_TEST_DATABASE_URL"); u != "" {
		return register(fromURL(ctx, u))
	}
	var skip *skipWay
	dbURL, how, stop, err = fromDocker(ctx)
	if !errors.As(err, &skip) {
		return register(dbURL, how, stop, err)
	}
	Logf("postgres for tests: %v; trying initdb", err)
	dbURL, how, stop, err = fromInitdb(ctx)
	if !errors.As(err, &skip) {
		return register(dbURL, how, stop, err)
	}
	Logf("postgres for tests: %v", err)
	return "", "", nil, ErrNoPostgres
}

// skipWay is the failure of one way that sends Start to the next.
type skipWay struct{ reason string }

func (e *skipWay) Error() string { return e.reason }

// fallThrough explains why a way is skipped.
func fallThrough(format string, args ...any) error {
	return &skipWay{fmt.Sprintf(format, args...)}
}

// The stops of every server up, run on SIGINT or SIGTERM.
var live struct {
	sync.Mutex
	stops   map[int]func()
	next    int
	watched bool
	held    int // callers (Ginkgo suites) that exit by themselves after their cleanup; see HoldExit
}

func register(dbURL, how string, stop func(), err error) (string, string, func(), error) {
	if err != nil {
		return "", "", nil, err
	}
	Logf("postgres for tests: %s", how)
	live.Lock()
	key := live.next
	live.next++
	if live.stops == nil {
		live.stops = map[int]func(){}
	}
	var once sync.Once
	wrapped := func() {
		once.Do(func() {
			stop()
			live.Lock()
			delete(live.stops, key)
			live.Unlock()
		})
	}
	live.stops[key] = wrapped
	live.Unlock()
	return dbURL, how, wrapped, nil
}

// watchSignals installs, once, the handler that stops every live server on
// SIGINT or SIGTERM. While an exit is held (HoldExit: under Ginkgo, which
// runs its cleanup and reports) it leaves the exit to the holder; otherwise it re-raises the signal with the
// default action restored, so the process ends as it would have.
func watchSignals() {
	live.Lock()
	defer live.Unlock()
	if live.watched {
		return
	}
	live.watched = true
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-ch
		live.Lock()
		var stops []func()
		for _, s := range live.stops {
			stops = append(stops, s)
		}
		held := live.held > 0
		live.Unlock()
		for _, s := range stops {
			s()
		}
		if held {
			return
		}
		signal.Stop(ch)
		reraise(sig)
		time.Sleep(time.Second)
		os.Exit(1)
	}()
}

// HoldExit tells the signal handler that the caller ends the process
// itself after a SIGINT or SIGTERM (Ginkgo runs its cleanup, reports and
// exits): the handler then stops the live servers and leaves the exit to
// it. release undoes it; it is safe to call more than once.
func HoldExit() (release func()) {
	live.Lock()
	live.held++
	live.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			live.Lock()
			live.held--
			live.Unlock()
		})
	}
}

// randomName returns prefix followed by random hex, a valid unquoted
// PostgreSQL identifier.
func randomName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// WithDatabase returns the connection string connStr with its database
// replaced by name; connStr is a postgres:// URL or a key=value string.
func WithDatabase(connStr, name string) (string, error) {
	if strings.HasPrefix(connStr, "postgres://") || strings.HasPrefix(connStr, "postgresql://") {
		u, err := url.Parse(connStr)
		if err != nil {
			return "", err
		}
		u.Path = "/" + name
		u.RawPath = ""
		q := u.Query()
		q.Del("dbname")
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return connStr + " dbname=" + name, nil // the last of a repeated key wins
}

// CreateDatabase creates a fresh UTF8 database on the server of adminURL
// and returns its URL and the function that drops it (disconnecting
// whoever is still connected). Tests that must not disturb others (one
// that cuts a database off) take one of their own.
func CreateDatabase(ctx context.Context, adminURL, prefix string) (dbURL string, drop func(context.Context) error, err error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	name := randomName(prefix)
	// template0 with locale C: UTF8 is accepted whatever the server's
	// default locale is.
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+name+` ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	dbURL, err = WithDatabase(adminURL, name)
	if err != nil {
		return "", nil, err
	}
	drop = func(ctx context.Context) error {
		c, err := pgx.Connect(ctx, adminURL)
		if err != nil {
			return err
		}
		defer c.Close(context.WithoutCancel(ctx))
		if _, err := c.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, name); err != nil {
			return err
		}
		_, err = c.Exec(ctx, `DROP DATABASE IF EXISTS `+name)
		return err
	}
	return dbURL, drop, nil
}

// fromURL uses the server of SCIM_TEST_DATABASE_URL, with a database of
// the run's own.
func fromURL(ctx context.Context, adminURL string) (string, string, func(), error) {
	dbURL, drop, err := CreateDatabase(ctx, adminURL, "scimtest_")
	if err != nil {
		return "", "", nil, fmt.Errorf("SCIM_TEST_DATABASE_URL: %w", err)
	}
	name := dbName(dbURL)
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := drop(ctx); err != nil {
			Logf("postgres for tests: dropping database %s: %v", name, err)
		}
	}
	return dbURL, "SCIM_TEST_DATABASE_URL (database " + name + ", dropped at the end)", stop, nil
}

func dbName(connStr string) string {
	cfg, err := pgx.ParseConfig(connStr)
	if err != nil {
		return "?"
	}
	return cfg.Database
}
