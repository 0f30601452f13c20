package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/server/store/memory"
)

// brokenStore is a memory store whose Query and Get can be made to fail.
type brokenStore struct {
	*memory.Store
	fail func() error // nil: work normally
}

var _ store.Store = (*brokenStore)(nil)

func (b *brokenStore) Get(ctx context.Context, tenant string, rt *schema.ResourceType, id string) (store.Resource, error) {
	if b.fail != nil {
		return store.Resource{}, b.fail()
	}
	return b.Store.Get(ctx, tenant, rt, id)
}

func (b *brokenStore) Query(ctx context.Context, tenant string, rt *schema.ResourceType, q store.Query) (store.Page, error) {
	if b.fail != nil {
		return store.Page{}, b.fail()
	}
	return b.Store.Query(ctx, tenant, rt, q)
}

// GetWithGroups and QueryWithGroups fail as Get and Query do: the memory
// store is a store.GroupsReader, and the server reads users through it.
func (b *brokenStore) GetWithGroups(ctx context.Context, tenant string, rt *schema.ResourceType, id string, gt *schema.ResourceType) (store.Resource, []store.Resource, error) {
	if b.fail != nil {
		return store.Resource{}, nil, b.fail()
	}
	return b.Store.GetWithGroups(ctx, tenant, rt, id, gt)
}

func (b *brokenStore) QueryWithGroups(ctx context.Context, tenant string, rt *schema.ResourceType, q store.Query, gt *schema.ResourceType) (store.Page, map[string][]store.Resource, error) {
	if b.fail != nil {
		return store.Page{}, nil, b.fail()
	}
	return b.Store.QueryWithGroups(ctx, tenant, rt, q, gt)
}

// TestStoreFailures: a lost backing store is a 503 with Retry-After (IdPs
// retry it); any other failure, even a panic, is a 500 whose body is the
// SCIM error and tells nothing of the internals.
func TestStoreFailures(t *testing.T) {
	bs := &brokenStore{Store: memory.New()}
	var logs syncBuffer
	c := newClient(t, func(cfg *server.Config) {
		cfg.Store = bs
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	c.serverErrorsExpected = true
	id := str(c.createUser("fine", nil), "id")

	tests := []struct {
		name   string
		fail   func() error
		status int
	}{
		{"unavailable", func() error { return fmt.Errorf("dial tcp 10.0.0.7:5432: %w", schema.ErrUnavailable) }, http.StatusServiceUnavailable},
		{"internal", func() error { return errors.New("pq: relation \"secret_table\" does not exist") }, http.StatusInternalServerError},
		{"panic", func() error { panic("store exploded: secret_table") }, http.StatusInternalServerError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bs.fail = tc.fail
			defer func() { bs.fail = nil }()
			for _, p := range []string{"/Users", "/Users/" + id} {
				r := c.do("GET", p, "")
				if r.Status != tc.status {
					t.Fatalf("GET %s: status %d, want %d: %s", p, r.Status, tc.status, r.Raw)
				}
				if strings.Contains(string(r.Raw), "secret_table") || strings.Contains(string(r.Raw), "10.0.0.7") {
					t.Errorf("internal detail leaked to the client: %s", r.Raw)
				}
				if tc.status == http.StatusServiceUnavailable && r.Header.Get("Retry-After") == "" {
					t.Error("503 without Retry-After")
				}
			}
		})
	}
	if !strings.Contains(logs.String(), "store exploded") {
		t.Error("the panic was not logged")
	}
	// The server still works afterwards.
	want(t, c.do("GET", "/Users/"+id, ""), http.StatusOK, "")
}

// TestLogsKeepSecrets: the request log has method, path and status but
// never the bearer token or the query string.
func TestLogsKeepSecrets(t *testing.T) {
	var logs syncBuffer
	c := newClient(t, func(cfg *server.Config) { cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	c.list("/Users", "filter", `userName eq "private.person@example.com"`)
	c.withToken("wrong-secret-token").do("GET", "/Users", "")
	out := logs.String()
	for _, secret := range []string{defaultToken, "wrong-secret-token", "private.person"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "/scim/v2/Users") || !strings.Contains(out, "status=401") || !strings.Contains(out, "status=200") {
		t.Errorf("the log lacks the path or statuses:\n%s", out)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestNewValidatesConfig(t *testing.T) {
	if _, err := server.New(server.Config{Tenants: server.NewTenants()}); err == nil {
		t.Error("New without a Store succeeded")
	}
	if _, err := server.New(server.Config{Store: memory.New()}); err == nil {
		t.Error("New without Tenants succeeded")
	}
}

func TestTenants(t *testing.T) {
	ts := server.NewTenants()
	for _, bad := range []string{"", "-x", "a b", "a/b", strings.Repeat("a", 65), "é"} {
		if err := ts.Add(bad, server.HashToken("x")); err == nil {
			t.Errorf("Add(%q) accepted a bad tenant id", bad)
		}
	}
	if err := ts.Add("ok.tenant_1-a", server.HashToken("tok")); err != nil {
		t.Fatal(err)
	}
	if !ts.Allowed("ok.tenant_1-a", "tok") || ts.Allowed("ok.tenant_1-a", "tok2") || ts.Allowed("other", "tok") || ts.Allowed("ok.tenant_1-a", "") {
		t.Error("Allowed answers wrongly")
	}
	if got := ts.Names(); len(got) != 1 || got[0] != "ok.tenant_1-a" {
		t.Errorf("Names = %v", got)
	}

	h := server.HashToken("t0k3n")
	text := fmt.Sprintf("%x", h[:])
	for _, s := range []string{text, "sha256:" + text, strings.ToUpper(text)} {
		got, err := server.ParseTokenHash(s)
		if err != nil || got != h {
			t.Errorf("ParseTokenHash(%q) = %x, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "xyz", text[:62], text + "00"} {
		if _, err := server.ParseTokenHash(s); err == nil {
			t.Errorf("ParseTokenHash(%q) accepted", s)
		}
	}
}

// levelHandler is a slog.Handler enabled from level on that drops every
// record: the cost of a request line up to the handler, without its I/O.
type levelHandler struct{ level slog.Level }

func (h levelHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }
func (levelHandler) Handle(context.Context, slog.Record) error      { return nil }
func (h levelHandler) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h levelHandler) WithGroup(string) slog.Handler                { return h }

// TestRequestLogOffAllocatesNothing: with request lines off (a logger at
// warn, as `serve --log-level warn` under load), a request allocates less
// than with them on — the line is not put together only to be dropped.
func TestRequestLogOffAllocatesNothing(t *testing.T) {
	allocs := func(level slog.Level) float64 {
		tenants := server.NewTenants()
		if err := tenants.Add(server.DefaultTenant, server.HashToken("tok")); err != nil {
			t.Fatal(err)
		}
		srv, err := server.New(server.Config{Store: memory.New(), Tenants: tenants, Logger: slog.New(levelHandler{level})})
		if err != nil {
			t.Fatal(err)
		}
		return testing.AllocsPerRun(200, func() {
			req := httptest.NewRequest(http.MethodGet, "/scim/v2/Users?filter=userName+eq+%22nobody%22", nil)
			req.Header.Set("Authorization", "Bearer tok")
			srv.ServeHTTP(httptest.NewRecorder(), req)
		})
	}
	on, off := allocs(slog.LevelInfo), allocs(slog.LevelWarn)
	if off >= on {
		t.Errorf("a request allocates %.0f times with request lines off and %.0f with them on: want fewer off", off, on)
	}
}
