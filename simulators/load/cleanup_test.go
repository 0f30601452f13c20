package load

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/server/store/memory"
)

const cleanupToken = "cleanup-test-token"

// slowCreates is the reference server whose answers to POST come late:
// the user is stored at once, the 201 written after delay. A run that ends
// (or is cancelled) while creates are in flight has creates the server
// carried out whose ids it has not seen yet: the case the cleanup missed
// ("5048 of 5048 created resources deleted" with users left behind).
// onPost, if set, is called with the number of POSTs received so far.
func slowCreates(t *testing.T, delay time.Duration, onPost func(n int64)) (base string, st store.Store) {
	t.Helper()
	st = memory.New()
	tenants := server.NewTenants()
	tenants.Add(server.DefaultTenant, server.HashToken(cleanupToken))
	srv, err := server.New(server.Config{Store: st, Tenants: tenants, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	var posts atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			srv.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, r)
		if onPost != nil {
			onPost(posts.Add(1))
		}
		time.Sleep(delay)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/scim/v2", st
}

// leftWithPrefix counts the users and groups in st whose names carry
// prefix.
func leftWithPrefix(t *testing.T, st store.Store, prefix string) int {
	t.Helper()
	n := 0
	for _, name := range []string{"User", "Group"} {
		rt, _ := schema.Default().ResourceType(name)
		p, err := st.Query(context.Background(), server.DefaultTenant, rt, store.Query{Count: -1})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Resources {
			for _, k := range []string{"userName", "displayName"} {
				if v, _ := r.Doc[k].(string); strings.Contains(v, prefix) {
					n++
					break
				}
			}
		}
	}
	return n
}

// TestNoLeftovers: a timed run and a cancelled run, with creates in flight
// at their end, leave nothing with the prefix on the server, and the
// created/deleted counts say what really happened.
func TestNoLeftovers(t *testing.T) {
	for _, engine := range []string{EngineFast, EngineNetHTTP} {
		for _, how := range []string{"timed", "cancelled"} {
			t.Run(engine+"/"+how, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var onPost func(int64)
				if how == "cancelled" {
					// Ctrl-C mid-run: after the working set (16 users,
					// 4 groups) and 8 creates of the run, with more in
					// flight.
					onPost = func(n int64) {
						if n == 28 {
							cancel()
						}
					}
				}
				base, st := slowCreates(t, 100*time.Millisecond, onPost)
				prefix := "lt-" + how + "-" + strings.ReplaceAll(engine, "/", "")
				o := Options{URL: base, Token: cleanupToken, Concurrency: 4, Prefix: prefix, Engine: engine,
					Mix: Mix{Lookup: 20, Create: 60, Member: 20}, Timeout: 5 * time.Second, Duration: 400 * time.Millisecond}
				if how == "cancelled" {
					o.Duration = time.Minute
				}
				res, err := Run(ctx, o)
				if err != nil {
					t.Fatal(err)
				}
				if n := leftWithPrefix(t, st, prefix); n != 0 {
					t.Errorf("%d resources with the prefix left on the server; the run said %d of %d deleted", n, res.Deleted, res.Created)
				}
				if res.Deleted != res.Created || len(res.CleanupErrors) > 0 || res.ByOp["create"] == 0 {
					t.Errorf("created %d, deleted %d, creates measured %d, cleanup errors %v", res.Created, res.Deleted, res.ByOp["create"], res.CleanupErrors)
				}
			})
		}
	}
}
