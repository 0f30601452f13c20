package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	simclient "github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/store/postgres"
	"github.com/scimharness/scimharness/server/store/postgres/pgtest"
	"github.com/scimharness/scimharness/simulators/entra"
)

// roundRobin sends each request to the next backend in turn, as a load
// balancer without affinity does, and counts what each one got.
type roundRobin struct {
	next     atomic.Uint64
	backends []*httputil.ReverseProxy
	served   []atomic.Int64
}

func newRoundRobin(t *testing.T, urls ...string) *roundRobin {
	rr := &roundRobin{served: make([]atomic.Int64, len(urls))}
	for _, u := range urls {
		target, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		rr.backends = append(rr.backends, httputil.NewSingleHostReverseProxy(target))
	}
	return rr
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := int(rr.next.Add(1)-1) % len(rr.backends)
	rr.served[i].Add(1)
	rr.backends[i].ServeHTTP(w, r)
}

// TestEntraCycleThroughTwoReplicas ("several replicas on one PostgreSQL",
// issue 14): an Entra ID provisioning cycle through two reference servers —
// each with its own connection pool, as two processes have — over one
// database, behind a round-robin proxy, so that consecutive requests of one
// resource land on different replicas. The cycle passes, every resource
// the cycle was told exists is there through the other replica, and no
// user or group exists twice.
func TestEntraCycleThroughTwoReplicas(t *testing.T) {
	dbURL := pgtest.ForTest(t)
	key := []byte("replicas-share-this-token-key-32bytes!")
	var replicas []http.Handler
	var urls []string
	for range 2 {
		st, err := postgres.Open(context.Background(), dbURL)
		if err != nil {
			t.Fatalf("opening the Postgres store: %v", err)
		}
		t.Cleanup(st.Close)
		tenants := server.NewTenants()
		if err := tenants.Add(server.DefaultTenant, server.HashToken(defaultToken)); err != nil {
			t.Fatal(err)
		}
		srv, err := server.New(server.Config{
			Store: st, Tenants: tenants, TokenKey: key,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv)
		t.Cleanup(ts.Close)
		replicas = append(replicas, srv)
		urls = append(urls, ts.URL)
	}
	rr := newRoundRobin(t, urls...)
	acks := newAckLog(rr, nil)
	front := httptest.NewServer(acks)
	t.Cleanup(front.Close)

	ec, err := simclient.New(entra.ClientConfig(simclient.Config{
		BaseURL: front.URL + "/scim/v2", Token: defaultToken,
		Retry: simclient.Retry{Max: 3, Base: 50 * time.Millisecond, MaxDelay: time.Second},
	}))
	if err != nil {
		t.Fatal(err)
	}
	o := entra.Options{Users: 10, Groups: 2, Seed: 14, Prefix: scenario.NewPrefix()}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	results, quarantined := entra.Run(ctx, ec, o, scenario.Options{Keep: true})
	if quarantined {
		t.Errorf("quarantined: %s", results[len(results)-1].Message)
	}
	if bad := notPassed(results); len(bad) > 0 {
		t.Errorf("%d steps did not pass through two replicas:\n%s", len(bad), strings.Join(bad, "\n"))
	}
	a, b := rr.served[0].Load(), rr.served[1].Load()
	if a == 0 || b == 0 {
		t.Fatalf("the replicas served %d and %d requests; both must serve", a, b)
	}
	// Lost writes: each replica must see every acknowledged resource.
	verified := 0
	for _, h := range replicas {
		verified = acks.verify(t, h, defaultToken)
	}
	dups, users, groups := duplicates(t, replicas[0], defaultToken)
	if len(dups) > 0 {
		t.Errorf("duplicates: %q", dups)
	}
	t.Logf("two replicas: %d and %d requests, %d acknowledged resources verified on each; %d users, %d groups; %s",
		a, b, verified, users, groups, scenario.Summarize(results))
}
