package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/server/store/memory"
)

// benchLogger logs at warn, as ci/bench.sh runs `serve --log-level warn`:
// the request lines are off, as in the measurements the benchmark is
// compared with.
var benchLogger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))

// benchServer returns a server whose default tenant holds n users named
// user<i>@example.com, loaded through the store (not HTTP) to keep set-up short.
func benchServer(b *testing.B, n int) http.Handler {
	b.Helper()
	return benchServerOn(b, n, func(st store.Store) store.Store { return st })
}

// plainStore hides every optional capability of the store it holds (a
// store.GroupsReader is read in two steps), for comparison.
type plainStore struct{ store.Store }

// benchServerOn is benchServer on wrap of the memory store; mods adjust
// the configuration.
func benchServerOn(b *testing.B, n int, wrap func(store.Store) store.Store, mods ...func(*server.Config)) http.Handler {
	b.Helper()
	st := memory.New()
	rt, _ := schema.Default().ResourceType("User")
	ctx := context.Background()
	for i := range n {
		doc, err := rt.Normalize(map[string]any{
			"userName":   fmt.Sprintf("user%d@example.com", i),
			"externalId": fmt.Sprintf("ext-%d", i),
			"name":       map[string]any{"givenName": "Given", "familyName": fmt.Sprintf("Family%d", i)},
			"emails":     []any{map[string]any{"value": fmt.Sprintf("user%d@example.com", i), "type": "work", "primary": true}},
			"active":     true,
		})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Create(ctx, server.DefaultTenant, rt, doc); err != nil {
			b.Fatal(err)
		}
	}
	tenants := server.NewTenants()
	tenants.Add(server.DefaultTenant, server.HashToken("bench"))
	cfg := server.Config{Store: wrap(st), Tenants: tenants, Logger: benchLogger}
	for _, m := range mods {
		m(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return srv
}

// BenchmarkListByUserName is Entra's lookup, `GET /Users?filter=userName eq "…"`,
// through the whole server (auth, routing, filter, store index, render,
// encode) at 1k, 10k and 100k users: the cost per request should stay flat.
//
//	go test -run '^$' -bench 'ListByUserName|BareListResponse' -benchmem ./server/
func BenchmarkListByUserName(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			h := benchServer(b, n)
			target := "/scim/v2/Users?filter=" + url.QueryEscape(fmt.Sprintf(`userName eq "user%d@example.com"`, n/2))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, target, nil)
				req.Header.Set("Authorization", "Bearer bench")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}

// BenchmarkLookupGroups is BenchmarkListByUserName at 100k users with the
// memory store read as a store.GroupsReader (the page and its users' groups
// under one lock, from the members index) and read in two steps (the page,
// then a Query "members.value eq <id>"), the server's path for stores
// without the capability.
func BenchmarkLookupGroups(b *testing.B) {
	for _, c := range []struct {
		name string
		wrap func(store.Store) store.Store
	}{
		{"groups=together", func(st store.Store) store.Store { return st }},
		{"groups=two-step", func(st store.Store) store.Store { return plainStore{st} }},
	} {
		b.Run(c.name, func(b *testing.B) {
			const n = 100_000
			h := benchServerOn(b, n, c.wrap)
			target := "/scim/v2/Users?filter=" + url.QueryEscape(fmt.Sprintf(`userName eq "user%d@example.com"`, n/2))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, target, nil)
				req.Header.Set("Authorization", "Bearer bench")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}

// BenchmarkLookupRenderCache is BenchmarkListByUserName at 100k users with
// the render cache (the default) and without it (Config.RenderCacheBytes
// < 0), looking up the same 1024 users in turn, as the load fixture does:
// a hit copies the user's stored JSON instead of projecting and encoding.
//
//	go test -run '^$' -bench LookupRenderCache -benchmem ./server/
func BenchmarkLookupRenderCache(b *testing.B) {
	for _, c := range []struct {
		name  string
		bytes int
	}{{"cache=on", 0}, {"cache=off", -1}} {
		b.Run(c.name, func(b *testing.B) {
			const n = 100_000
			h := benchServerOn(b, n, func(st store.Store) store.Store { return st },
				func(cfg *server.Config) { cfg.RenderCacheBytes = c.bytes })
			targets := make([]string, 1024)
			for i := range targets {
				targets[i] = "/scim/v2/Users?filter=" + url.QueryEscape(fmt.Sprintf(`userName eq "user%d@example.com"`, i*97%n))
			}
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, targets[i%len(targets)], nil)
				req.Header.Set("Authorization", "Bearer bench")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
				i++
			}
		})
	}
}

// BenchmarkBareListResponse is the floor the server is measured against: a
// bare net/http handler writing a fixed one-user ListResponse.
func BenchmarkBareListResponse(b *testing.B) {
	body := []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"startIndex":1,"itemsPerPage":1,"Resources":[{"id":"2819c223-7f76-453a-919d-413861904646","userName":"user50000@example.com"}]}`)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		w.Write(body)
	})
	target := "/scim/v2/Users?filter=" + url.QueryEscape(`userName eq "user50000@example.com"`)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("Authorization", "Bearer bench")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
	}
}

// entraCreate is the body of an Entra ID create (fixtures/transcripts,
// entra-cycle-initial), with %d for what makes each user unique.
const entraCreate = `{"active":true,"addresses":[{"country":"FR","locality":"Paris","postalCode":"75004","region":"Île-de-France","streetAddress":"8 Rue de Rivoli","type":"work"}],"displayName":"Radia Johnson","emails":[{"primary":true,"type":"work","value":"Radia.Johnson%[1]d@contoso.example"}],"externalId":"RadiaJohnson-%[1]d","meta":{"resourceType":"User"},"name":{"familyName":"Johnson","formatted":"Radia Johnson","givenName":"Radia"},"phoneNumbers":[{"type":"work","value":"+1 425 555 0100"},{"type":"mobile","value":"+1 206 555 0100"},{"type":"fax","value":"+1 425 555 5000"}],"preferredLanguage":"fr-FR","roles":[],"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"title":"Engineering Manager","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Engineering","employeeNumber":"E%[1]d"},"userName":"Radia.Johnson%[1]d@contoso.example"}`

// BenchmarkCreateUser is Entra's create, POST /Users with the body it
// sends, through the whole server at 10k existing users: the write half of
// the Entra initial cycle (ci/bench.sh's target: 100k users in < 60 s).
//
//	go test -run '^$' -bench CreateUser -benchmem ./server/
func BenchmarkCreateUser(b *testing.B) {
	srv := benchServer(b, 10_000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		req := httptest.NewRequest(http.MethodPost, "/scim/v2/Users", strings.NewReader(fmt.Sprintf(entraCreate, i)))
		req.Header.Set("Authorization", "Bearer bench")
		req.Header.Set("Content-Type", "application/scim+json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
