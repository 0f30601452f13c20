package server_test

// Shared set-up of the reliability tests (issue 9): every test there runs
// over both stores through HTTP. The Postgres variant comes from
// pgtest.ForTest, which skips cleanly when no PostgreSQL can be had (or
// fails under SCIM_REQUIRE_POSTGRES=1).

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/server/store/memory"
	"github.com/scimharness/scimharness/server/store/postgres"
	"github.com/scimharness/scimharness/server/store/postgres/pgtest"
)

// relStore names a store constructor of the matrix.
type relStore struct {
	name string
	open func(t *testing.T) store.Store
}

// relStores is the store matrix: memory, and Postgres when it can be had.
var relStores = []relStore{
	{"memory", func(*testing.T) store.Store { return memory.New() }},
	{"postgres", func(t *testing.T) store.Store {
		url := pgtest.ForTest(t)
		s, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatalf("opening the Postgres store: %v", err)
		}
		t.Cleanup(s.Close)
		return s
	}},
}

// forEachStore runs fn once per store of the matrix, each in its own subtest
// with a fresh store.
func forEachStore(t *testing.T, fn func(t *testing.T, st store.Store)) {
	for _, rs := range relStores {
		t.Run(rs.name, func(t *testing.T) { fn(t, rs.open(t)) })
	}
}

// relServer starts a server over st with the default tenant and "acme" (the
// tokens of server_test.go) and returns a client of the default tenant.
func relServer(t *testing.T, st store.Store, mods ...func(*server.Config)) *client {
	t.Helper()
	tenants := server.NewTenants()
	if err := tenants.Add(server.DefaultTenant, server.HashToken(defaultToken)); err != nil {
		t.Fatal(err)
	}
	if err := tenants.Add("acme", server.HashToken(acmeToken)); err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{
		Store:   st,
		Tenants: tenants,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, m := range mods {
		m(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &client{tb: t, root: ts.URL, base: "/scim/v2", token: defaultToken}
}

// snapshot is every user and group of a tenant as the server lists them,
// in the store's stable order, re-encoded canonically.
func snapshot(c *client) string {
	c.tb.Helper()
	out := map[string]any{}
	for _, ep := range []string{"/Users", "/Groups"} {
		r := c.do("GET", ep+"?count=1000", "")
		if r.Status != 200 {
			c.tb.Fatalf("snapshot %s: status %d: %s", ep, r.Status, r.Raw)
		}
		out[ep] = r.Body
	}
	b, err := json.Marshal(out)
	if err != nil {
		c.tb.Fatal(err)
	}
	return string(b)
}
