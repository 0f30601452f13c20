package servertest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/servertest"
	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/server/store/memory"
)

// send sends one request to s and returns the status.
func send(t *testing.T, s *servertest.Server, method, path, token, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func start(t *testing.T, opts ...servertest.Option) *servertest.Server {
	t.Helper()
	s, err := servertest.NewServer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

const user = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com"}`

// TestServer: each option changes what it says and nothing else; the
// server refuses any token but its own (RFC 7644 §2).
func TestServer(t *testing.T) {
	tests := []struct {
		name     string
		opts     []servertest.Option
		wantBase string // suffix of URL
		token    string // "" = the server's own
		// check runs against the started server.
		check func(t *testing.T, s *servertest.Server)
	}{
		{
			name: "defaults", wantBase: "/scim/v2",
			check: func(t *testing.T, s *servertest.Server) {
				if len(s.Token) != 32 {
					t.Errorf("token %d characters, want 32 random hex digits", len(s.Token))
				}
				if s.Tenant != server.DefaultTenant {
					t.Errorf("tenant %q", s.Tenant)
				}
				if got := send(t, s, http.MethodGet, "/Users", "wrong", ""); got != http.StatusUnauthorized {
					t.Errorf("wrong token: %d, want 401", got)
				}
				if got := send(t, s, http.MethodGet, "/Users", "", ""); got != http.StatusUnauthorized {
					t.Errorf("no token: %d, want 401", got)
				}
				if got := send(t, s, http.MethodPost, "/Users", s.Token, user); got != http.StatusCreated {
					t.Errorf("POST /Users: %d, want 201", got)
				}
			},
		},
		{
			name: "token", opts: []servertest.Option{servertest.WithToken("my-token")}, wantBase: "/scim/v2",
			check: func(t *testing.T, s *servertest.Server) {
				if s.Token != "my-token" {
					t.Errorf("Token %q", s.Token)
				}
				if got := send(t, s, http.MethodGet, "/Users", "my-token", ""); got != http.StatusOK {
					t.Errorf("GET /Users: %d", got)
				}
			},
		},
		{
			name: "tenant", opts: []servertest.Option{servertest.WithTenant("acme")}, wantBase: "/t/acme/scim/v2",
			check: func(t *testing.T, s *servertest.Server) {
				if got := send(t, s, http.MethodGet, "/Users", s.Token, ""); got != http.StatusOK {
					t.Errorf("GET /t/acme/scim/v2/Users: %d", got)
				}
				def := *s
				def.URL = strings.TrimSuffix(s.URL, s.BasePath) + "/scim/v2"
				if got := send(t, &def, http.MethodGet, "/Users", s.Token, ""); got != http.StatusUnauthorized {
					t.Errorf("the tenant's token at the default tenant: %d, want 401", got)
				}
			},
		},
		{
			name: "patch no content", opts: []servertest.Option{servertest.WithPatchNoContent()}, wantBase: "/scim/v2",
			check: func(t *testing.T, s *servertest.Server) {
				id := createUser(t, s)
				got := send(t, s, http.MethodPatch, "/Users/"+id, s.Token, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Ada"}]}`)
				if got != http.StatusNoContent {
					t.Errorf("PATCH: %d, want 204", got)
				}
			},
		},
		{
			name: "config", opts: []servertest.Option{servertest.WithConfig(func(c *server.Config) { c.MaxBodyBytes = 10 })}, wantBase: "/scim/v2",
			check: func(t *testing.T, s *servertest.Server) {
				if got := send(t, s, http.MethodPost, "/Users", s.Token, user); got != http.StatusRequestEntityTooLarge {
					t.Errorf("POST over MaxBodyBytes: %d, want 413", got)
				}
			},
		},
		{
			name: "wrap", wantBase: "/scim/v2",
			opts: []servertest.Option{servertest.WithWrap(func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == http.MethodDelete {
						w.WriteHeader(http.StatusTeapot)
						return
					}
					h.ServeHTTP(w, r)
				})
			})},
			check: func(t *testing.T, s *servertest.Server) {
				if got := send(t, s, http.MethodDelete, "/Users/x", s.Token, ""); got != http.StatusTeapot {
					t.Errorf("DELETE through the wrapper: %d, want 418", got)
				}
				if got := send(t, s, http.MethodGet, "/Users/x", s.Token, ""); got != http.StatusNotFound {
					t.Errorf("GET past the wrapper: %d, want 404", got)
				}
				if s.Handler == http.Handler(s.Reference) {
					t.Error("Handler is not the wrapped reference")
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, tc.opts...)
			if !strings.HasPrefix(s.URL, "http://127.0.0.1:") || !strings.HasSuffix(s.URL, tc.wantBase) || s.BasePath != tc.wantBase {
				t.Errorf("URL %q, BasePath %q; want http://127.0.0.1:PORT%s", s.URL, s.BasePath, tc.wantBase)
			}
			tc.check(t, s)
		})
	}
}

func createUser(t *testing.T, s *servertest.Server) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/Users", strings.NewReader(user))
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusCreated || loc == "" {
		t.Fatalf("POST /Users: %d, Location %q", resp.StatusCode, loc)
	}
	return loc[strings.LastIndexByte(loc, '/')+1:]
}

// TestStore: WithStore's store is the one the server writes to.
func TestStore(t *testing.T) {
	st := memory.New()
	s := start(t, servertest.WithStore(st))
	createUser(t, s)
	rt, _ := schema.Default().ResourceType("User")
	got, err := st.Query(context.Background(), server.DefaultTenant, rt, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Total != 1 {
		t.Errorf("the store holds %d users, want the 1 created through the server", got.Total)
	}
}

// TestUnstarted: the handler is ready without a listener; Start gives the
// URL; Close on an unstarted server does nothing.
func TestUnstarted(t *testing.T) {
	s, err := servertest.NewUnstartedServer(servertest.WithToken("tok"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s.URL != "" || s.Client() != nil {
		t.Errorf("unstarted: URL %q", s.URL)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/scim/v2/ServiceProviderConfig", nil)
	req.Header.Set("Authorization", "Bearer tok")
	s.Handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("GET /ServiceProviderConfig through Handler: %d", rec.Code)
	}
	s.Start()
	defer s.Close()
	if got := send(t, s, http.MethodGet, "/ServiceProviderConfig", "tok", ""); got != http.StatusOK {
		t.Errorf("after Start: %d", got)
	}
}

// TestTokensDiffer: two servers never share a default token.
func TestTokensDiffer(t *testing.T) {
	a, b := start(t), start(t)
	if a.Token == b.Token {
		t.Errorf("two servers got token %q", a.Token)
	}
	if got := send(t, b, http.MethodGet, "/Users", a.Token, ""); got != http.StatusUnauthorized {
		t.Errorf("one server's token at the other: %d, want 401", got)
	}
}

// TestRefused: an option the server cannot honour is an error, not a panic.
func TestRefused(t *testing.T) {
	if _, err := servertest.NewServer(servertest.WithTenant("no/slashes")); err == nil {
		t.Error("a tenant id with a slash: no error")
	}
}

// TestLoadFixture is the load command's fixture: users put into a store
// first, then served for a tenant of the run's own with a token of its
// own, on a listener of the caller's (Handler).
func TestLoadFixture(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	rt, _ := schema.Default().ResourceType("User")
	doc, err := rt.Normalize(map[string]any{"userName": "user0@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create(ctx, "scimh-load-1", rt, doc); err != nil {
		t.Fatal(err)
	}
	s, err := servertest.NewUnstartedServer(servertest.WithStore(st), servertest.WithTenant("scimh-load-1"), servertest.WithToken("load-token"))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler)
	defer ts.Close()
	req, _ := http.NewRequest(http.MethodGet, ts.URL+s.BasePath+`/Users?filter=userName+eq+%22user0@example.com%22`, nil)
	req.Header.Set("Authorization", "Bearer load-token")
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct{ TotalResults int }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != http.StatusOK || list.TotalResults != 1 {
		t.Errorf("GET %s/Users?filter=…: %d, %d results, %v; want 200 and the 1 user loaded", s.BasePath, resp.StatusCode, list.TotalResults, err)
	}
}
