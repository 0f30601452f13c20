package server_test

// Fault tests of issue 9: the request rate limit, and a database outage in
// the middle of an Entra provisioning cycle. Each shows that nothing the
// server acknowledged is lost. (The SIGKILL test is in cmd/scimharness, the
// slow, dropping and 429-answering targets in simulators/entra.)

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	simclient "github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/store/memory"
	"github.com/scimharness/scimharness/server/store/postgres"
	"github.com/scimharness/scimharness/server/store/postgres/pgtest"
	"github.com/scimharness/scimharness/simulators/entra"
	"github.com/scimharness/scimharness/wire"
)

// A burst over a tenant's limit gets 429 with the SCIM error body and
// Retry-After; another tenant is unaffected; the simulators' client, with
// retries on, waits as told and completes.
func TestRateLimitPerTenant(t *testing.T) {
	c := relServer(t, memory.New(), func(cfg *server.Config) {
		cfg.RateLimit = server.RateLimit{PerSecond: 5, Burst: 5}
	})
	ok, limited := 0, 0
	for range 12 {
		r := c.do("GET", "/Users", "")
		switch r.Status {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			limited++
			if !slices.Equal(strs(r.Body["schemas"]), []string{scim.ErrorURN}) || str(r.Body, "status") != "429" || str(r.Body, "detail") == "" {
				t.Errorf("429 body is not a SCIM error: %s", r.Raw)
			}
			if ra := r.Header.Get("Retry-After"); ra != "1" {
				t.Errorf("Retry-After %q, want 1 (a token every 200ms, rounded up to whole seconds)", ra)
			}
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
				t.Errorf("Content-Type %q", ct)
			}
		default:
			t.Errorf("status %d: %s", r.Status, r.Raw)
		}
	}
	if ok != 5 || limited != 7 {
		t.Errorf("a burst of 12: %d × 200 and %d × 429, want 5 and 7", ok, limited)
	}
	acme := c.tenant("acme", acmeToken)
	for i := range 5 {
		if r := acme.do("GET", "/Users", ""); r.Status != http.StatusOK {
			t.Errorf("tenant acme, request %d while the default tenant is limited: %d", i, r.Status)
		}
	}

	sc, err := simclient.New(simclient.Config{BaseURL: c.root + "/scim/v2", Token: defaultToken,
		Retry: simclient.Retry{Max: 5, Base: 10 * time.Millisecond, MaxDelay: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	retried := 0
	for i := range 10 {
		ex, err := sc.Do(context.Background(), simclient.Request{Method: "POST", Path: "/Users",
			Body: obj{"schemas": []any{scim.UserURN}, "userName": "limited-" + string(rune('a'+i))}})
		if err != nil || ex.Status() != http.StatusCreated {
			t.Fatalf("POST %d through the retrying client: %v, status %d", i, err, ex.Status())
		}
		for _, a := range ex.Retried {
			if a.Status() != http.StatusTooManyRequests || a.Response.Header.Get("Retry-After") != "1" {
				t.Errorf("retried attempt: status %d, Retry-After %q", a.Status(), a.Response.Header.Get("Retry-After"))
			}
		}
		retried += len(ex.Retried)
	}
	el := time.Since(start)
	if retried == 0 {
		t.Error("no request was retried: the limit did not apply")
	}
	if el < time.Duration(retried)*time.Second-50*time.Millisecond {
		t.Errorf("%d retries in %v: the client did not wait the Retry-After of 1s", retried, el)
	}
	time.Sleep(time.Second) // a fresh burst for the count
	if n := c.total("/Users"); n != 10 {
		t.Errorf("%d users, want the 10 acknowledged", n)
	}
	t.Logf("rate limit: burst of 12 → 5 × 200, %d × 429; client retried %d requests after 429, all 10 created in %v", limited, retried, el.Round(time.Millisecond))
}

// ackLog wraps a SCIM handler and records what it acknowledged: a 201 to a
// POST of a user or group (it exists), a 204 to a DELETE (it is gone). It
// records before the client sees the answer, so the log is never behind
// what a client was told. It also counts 503s and whether each carried a
// SCIM error body.
type ackLog struct {
	h      http.Handler
	before func(n int) // called before request n (1-based) is served

	mu       sync.Mutex
	n        int
	acked    map[string]bool // "/Users/{id}" → exists
	n503     int
	n503scim int
}

func newAckLog(h http.Handler, before func(int)) *ackLog {
	return &ackLog{h: h, before: before, acked: map[string]bool{}}
}

func (a *ackLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.n++
	n := a.n
	a.mu.Unlock()
	if a.before != nil {
		a.before(n)
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, r)
	a.observe(r, rec)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func (a *ackLog) observe(r *http.Request, rec *httptest.ResponseRecorder) {
	a.mu.Lock()
	defer a.mu.Unlock()
	rest, _ := strings.CutPrefix(r.URL.Path, "/scim/v2")
	var body map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	switch {
	case rec.Code == http.StatusServiceUnavailable:
		a.n503++
		if slices.Equal(strs(body["schemas"]), []string{scim.ErrorURN}) && str(body, "status") == "503" {
			a.n503scim++
		}
	case r.Method == http.MethodPost && rec.Code == http.StatusCreated && (rest == "/Users" || rest == "/Groups"):
		a.acked[rest+"/"+str(body, "id")] = true
	case r.Method == http.MethodDelete && rec.Code == http.StatusNoContent:
		a.acked[rest] = false
	}
}

// verify checks every acknowledged resource against h: present if its
// creation was acknowledged, absent if its deletion was. It returns how
// many it checked.
func (a *ackLog) verify(t *testing.T, h http.Handler, token string) int {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for path, live := range a.acked {
		req := httptest.NewRequest("GET", "/scim/v2"+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		want := http.StatusOK
		if !live {
			want = http.StatusNotFound
		}
		if rec.Code != want {
			t.Errorf("%s: %d, want %d (acknowledged %s)", path, rec.Code, want, map[bool]string{true: "created", false: "deleted"}[live])
		}
	}
	return len(a.acked)
}

// duplicates lists, through h, the userNames (case-insensitively) and
// group displayNames held more than once, and how many resources there are.
func duplicates(t *testing.T, h http.Handler, token string) (dups []string, users, groups int) {
	t.Helper()
	for _, ep := range []string{"/Users", "/Groups"} {
		req := httptest.NewRequest("GET", "/scim/v2"+ep+"?count=1000", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var lr struct {
			TotalResults int              `json:"totalResults"`
			Resources    []map[string]any `json:"Resources"`
		}
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &lr) != nil {
			t.Fatalf("listing %s: %d %s", ep, rec.Code, rec.Body)
		}
		seen := map[string]int{}
		for _, r := range lr.Resources {
			name := str(r, "userName") + str(r, "displayName")
			if ep == "/Users" {
				name = strings.ToLower(str(r, "userName"))
			}
			if seen[name]++; seen[name] == 2 {
				dups = append(dups, ep+": "+name)
			}
		}
		if ep == "/Users" {
			users = lr.TotalResults
		} else {
			groups = lr.TotalResults
		}
	}
	return dups, users, groups
}

// notPassed lists the results that failed or errored.
func notPassed(rs []scenario.Result) []string {
	var out []string
	for _, r := range rs {
		if r.Status >= scenario.Fail {
			out = append(out, r.Scenario+" / "+r.Step+": "+r.Message)
		}
	}
	return out
}

// PostgreSQL refuses connections and drops the open ones for a second and
// a half in the middle of an Entra cycle: the server answers 503 with a
// SCIM error meanwhile, recovers by itself, the Entra client (retries on)
// completes the cycle, everything acknowledged is there, and the cycle run
// again converges with no duplicates.
func TestFaultPostgresOutageDuringEntraCycle(t *testing.T) {
	ctx := context.Background()
	adminURL := pgtest.ForTest(t)
	dbURL, drop, err := pgtest.CreateDatabase(ctx, adminURL, "scimfault_")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(context.Background()); err != nil {
			t.Errorf("dropping the database: %v", err)
		}
	})
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	dbName := cfg.Database
	st, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })

	tenants := server.NewTenants()
	if err := tenants.Add(server.DefaultTenant, server.HashToken(defaultToken)); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: st, Tenants: tenants, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}

	// The outage starts before request cutAt is served and ends 1.5s
	// later, whatever the client does meanwhile.
	const cutAt = 40
	restored := make(chan error, 1)
	var outageAt, restoredAt time.Time
	cut := func(n int) {
		if n != cutAt {
			return
		}
		outageAt = time.Now()
		if _, err := admin.Exec(ctx, `ALTER DATABASE `+dbName+` ALLOW_CONNECTIONS false`); err != nil {
			restored <- err
			return
		}
		var killed int
		if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1`, dbName).Scan(&killed); err != nil {
			restored <- err
			return
		}
		t.Logf("outage at request %d: connections refused, %d backends terminated", n, killed)
		go func() {
			time.Sleep(1500 * time.Millisecond)
			_, err := admin.Exec(ctx, `ALTER DATABASE `+dbName+` ALLOW_CONNECTIONS true`)
			restoredAt = time.Now()
			restored <- err
		}()
	}
	acks := newAckLog(srv, cut)
	ts := httptest.NewServer(acks)
	t.Cleanup(ts.Close)

	var retried int
	var rmu sync.Mutex
	ec, err := simclient.New(entra.ClientConfig(simclient.Config{
		BaseURL: ts.URL + "/scim/v2", Token: defaultToken,
		Retry: simclient.Retry{Max: 10, Base: 50 * time.Millisecond, MaxDelay: 2 * time.Second},
		Capture: func(ex wire.Exchange) {
			rmu.Lock()
			retried += len(ex.Retried)
			rmu.Unlock()
		},
	}))
	if err != nil {
		t.Fatal(err)
	}
	o := entra.Options{Users: 10, Groups: 2, Seed: 9, Prefix: scenario.NewPrefix()}
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	results, quarantined := entra.Run(rctx, ec, o, scenario.Options{Keep: true})
	if acks.n < cutAt {
		t.Fatalf("the cycle made %d requests, fewer than the %d before the outage", acks.n, cutAt)
	}
	if err := <-restored; err != nil {
		t.Fatalf("cutting or restoring the database: %v", err)
	}
	if quarantined {
		t.Errorf("quarantined: %s", results[len(results)-1].Message)
	}
	if bad := notPassed(results); len(bad) > 0 {
		t.Errorf("%d steps did not pass across the outage:\n%s", len(bad), strings.Join(bad, "\n"))
	}
	acks.mu.Lock()
	n503, n503scim, requests := acks.n503, acks.n503scim, acks.n
	acks.mu.Unlock()
	if n503 == 0 || n503scim != n503 {
		t.Errorf("%d × 503 during the outage, %d with a SCIM error body; want at least one, all with the body", n503, n503scim)
	}
	verified := acks.verify(t, srv, defaultToken)

	// The same cycle again (provisioning restarted), twice: the cycles
	// match what is there instead of creating it twice, and the one-off
	// scenarios' creates of names already taken get 409 — never a second
	// resource. The second re-run changes nothing: converged.
	results2, _ := entra.Run(rctx, ec, o, scenario.Options{Keep: true})
	verified2 := acks.verify(t, srv, defaultToken)
	dups, users, groups := duplicates(t, srv, defaultToken)
	if len(dups) > 0 {
		t.Errorf("duplicates after re-running the cycle: %q", dups)
	}
	for _, r := range results2 {
		if r.Status == scenario.Error {
			t.Errorf("re-run: %s / %s: %s", r.Scenario, r.Step, r.Message)
		}
	}
	entra.Run(rctx, ec, o, scenario.Options{Keep: true})
	dups3, users3, groups3 := duplicates(t, srv, defaultToken)
	if len(dups3) > 0 || users3 != users || groups3 != groups {
		t.Errorf("a third run changed the tenant: %d users, %d groups (was %d, %d), duplicates %q", users3, groups3, users, groups, dups3)
	}
	t.Logf("postgres outage: 1 fault (%v, requests %d of %d), %d × 503 (all SCIM errors), %d requests retried; %d acknowledged resources verified after the outage, %d (acknowledgements of the re-run included) after it (re-run: %s); %d users, %d groups, %d duplicates",
		restoredAt.Sub(outageAt).Round(time.Millisecond), cutAt, requests, n503, retried, verified, verified2, scenario.Summarize(results2), users, groups, len(dups))
}
