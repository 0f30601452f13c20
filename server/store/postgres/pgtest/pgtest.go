// Package pgtest gives tests a PostgreSQL server: [Suite] for a Ginkgo
// suite, [ForTest] and [Shared] for testing's tests and benchmarks. It is a
// thin wrapper over package ephemeral, which brings the server up (a URL,
// Docker, or initdb; see its documentation) without importing testing or
// Ginkgo; pgtest adds what tests need — skipping when no PostgreSQL can be
// had, failing instead when SCIM_REQUIRE_POSTGRES=1, and stopping the
// server in the test's cleanup.
package pgtest

import (
	"context"

	"github.com/scimharness/scimharness/server/store/postgres/ephemeral"
)

// ErrNoPostgres is wrapped by Start's error when no PostgreSQL could be had.
var ErrNoPostgres = ephemeral.ErrNoPostgres

// Required reports whether SCIM_REQUIRE_POSTGRES=1 asks for PostgreSQL
// tests to fail rather than skip when no server can be had (CI sets it).
func Required() bool { return ephemeral.Required() }

// Start is ephemeral.Start: it brings PostgreSQL up and returns the URL of
// an empty database, how it came up, and the idempotent stop.
func Start(ctx context.Context) (dbURL, how string, stop func(), err error) {
	return ephemeral.Start(ctx)
}

// CreateDatabase is ephemeral.CreateDatabase: a fresh database of a test's
// own on the server of adminURL, and the function that drops it.
func CreateDatabase(ctx context.Context, adminURL, prefix string) (dbURL string, drop func(context.Context) error, err error) {
	return ephemeral.CreateDatabase(ctx, adminURL, prefix)
}

// WithDatabase is ephemeral.WithDatabase: connStr naming database name.
func WithDatabase(connStr, name string) (string, error) {
	return ephemeral.WithDatabase(connStr, name)
}
