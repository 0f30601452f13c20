package server

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/provider/huddle"
	"github.com/scimharness/scimharness/server/store/memory"
)

// fakeClock is a settable clock for the limiter.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newFakeClock() *fakeClock           { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }
func takes(l *rateLimiter, t string, n int) int {
	ok := 0
	for range n {
		if a, _ := l.allow(t); a {
			ok++
		}
	}
	return ok
}

func TestRateLimiterBucket(t *testing.T) {
	clk := newFakeClock()
	l := newRateLimiter(RateLimit{PerSecond: 2, Burst: 4}, clk.now)
	if got := takes(l, "a", 10); got != 4 {
		t.Fatalf("a burst of 10 let %d through, want the burst of 4", got)
	}
	ok, wait := l.allow("a")
	if ok || wait != 500*time.Millisecond {
		t.Errorf("over the limit: allowed %v, wait %v; want refused, 500ms (one token at 2/s)", ok, wait)
	}
	if got := takes(l, "b", 4); got != 4 {
		t.Errorf("tenant b got %d of 4: another tenant's bucket must not be touched", got)
	}
	clk.add(time.Second)
	if got := takes(l, "a", 10); got != 2 {
		t.Errorf("after 1s at 2/s, %d let through, want 2", got)
	}
	clk.add(time.Hour)
	if got := takes(l, "a", 10); got != 4 {
		t.Errorf("after an idle hour, %d let through, want the burst (4), not more", got)
	}
}

func TestRateLimiterDefaultsAndOff(t *testing.T) {
	for _, rl := range []RateLimit{{}, {PerSecond: -1}, {Burst: 5}} {
		if newRateLimiter(rl, nil) != nil {
			t.Errorf("%+v: a limiter, want none (off)", rl)
		}
	}
	if l := newRateLimiter(RateLimit{PerSecond: 2.5}, nil); l.burst != 3 {
		t.Errorf("default burst of 2.5/s is %v, want 3", l.burst)
	}
	if l := newRateLimiter(RateLimit{PerSecond: 0.1}, nil); l.burst != 1 {
		t.Errorf("default burst of 0.1/s is %v, want 1", l.burst)
	}
}

// Buckets of tenants named in URLs do not grow without bound: full ones
// are dropped, busy ones kept.
func TestRateLimiterEviction(t *testing.T) {
	clk := newFakeClock()
	l := newRateLimiter(RateLimit{PerSecond: 1, Burst: 2}, clk.now)
	takes(l, "busy", 2)
	for i := range maxBuckets - 1 {
		l.allow(fmt.Sprint("t", i))
	}
	clk.add(time.Second) // t* are full again (1 of 2 taken, 1/s); busy (2 taken) is not
	l.allow("newcomer")
	if n := len(l.buckets); n != 2 {
		t.Errorf("%d buckets after eviction, want 2 (busy and newcomer)", n)
	}
	if got := takes(l, "busy", 3); got != 1 {
		t.Errorf("the busy tenant got %d of 3, want 1 (refilled for 1s): its bucket was evicted and it got a fresh burst", got)
	}
}

func TestPathTenant(t *testing.T) {
	for p, want := range map[string]string{
		"/scim/v2/Users":               DefaultTenant,
		"/t/acme/scim/v2/Users":        "acme",
		"/t/acme":                      "acme",
		"/t//scim":                     DefaultTenant,
		"/people/companies/42/users/7": "42",
		"/connect/token":               DefaultTenant,
		"/t/other/connect/token":       "other",
		"/scim/v2/Users/t/acme/x":      DefaultTenant,
	} {
		if got := pathTenant(p, []string{"/t/", "/people/companies/"}); got != want {
			t.Errorf("pathTenant(%q) = %q, want %q", p, got, want)
		}
	}
}

// The limiter reads the tenant of a provider's route (Huddle's company) as
// routing will: the prefix comes from the route, not from a list of vendors.
func TestTenantPrefixes(t *testing.T) {
	hp, err := huddle.New(provider.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		providers *provider.Map
		want      string
	}{
		{nil, "/t/"},
		{&provider.Map{Tenants: map[string]*provider.Provider{"123": hp}}, "/t/ /people/companies/"},
	} {
		s, err := New(Config{Store: memory.New(), Tenants: NewTenants(), Providers: tc.providers, RateLimit: RateLimit{PerSecond: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(s.prefixes); got != "["+tc.want+"]" {
			t.Errorf("prefixes %s, want [%s]", got, tc.want)
		}
	}
}

// The 429 is a SCIM error with Retry-After in whole seconds, at least 1.
func TestRateLimitAnswer(t *testing.T) {
	clk := newFakeClock()
	l := newRateLimiter(RateLimit{PerSecond: 0.25, Burst: 1}, clk.now)
	r := httptest.NewRequest("GET", "/t/acme/scim/v2/Users", nil)
	if w := httptest.NewRecorder(); l.limit(w, r, "acme", true) {
		t.Fatal("the first request was refused")
	}
	w := httptest.NewRecorder()
	if !l.limit(w, r, "acme", true) {
		t.Fatal("the second request was let through")
	}
	if w.Code != 429 || w.Header().Get("Retry-After") != "4" || w.Header().Get("Content-Type") != scim.MediaType {
		t.Errorf("status %d, Retry-After %q, Content-Type %q; want 429, 4, %s", w.Code, w.Header().Get("Retry-After"), w.Header().Get("Content-Type"), scim.MediaType)
	}
}

// Requests that do not authenticate for the tenant of their path — no
// token, a wrong one, another tenant's, or a path that only names the
// tenant after "..": /t/globex/../acme — spend the bucket of their remote
// address, never the tenant's: an attacker without acme's token cannot get
// acme's real client refused (issue 14 #7: 12 of 16 were 429 before).
func TestRateLimitAnonymousDoNotSpendTheTenant(t *testing.T) {
	tenants := NewTenants()
	for name, tok := range map[string]string{"acme": "acme-token-1234", "globex": "globex-token-1234"} {
		if err := tenants.Add(name, HashToken(tok)); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := New(Config{Store: memory.New(), Tenants: tenants, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		RateLimit: RateLimit{PerSecond: 0.001, Burst: 16}})
	if err != nil {
		t.Fatal(err)
	}
	do := func(path, token, remote string) int {
		r := httptest.NewRequest("GET", path, nil)
		r.RemoteAddr = remote
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w.Code
	}
	attacks := []struct{ name, path, token string }{
		{"no token", "/t/acme/scim/v2/Users", ""},
		{"a wrong token", "/t/acme/scim/v2/Users", "guess-guess-guess"},
		{"another tenant's token", "/t/acme/scim/v2/Users", "globex-token-1234"},
		{"a dotted path", "/t/globex/../acme/scim/v2/Users", ""},
	}
	attackerLimited := 0
	for _, a := range attacks {
		for range 16 {
			if do(a.path, a.token, "192.0.2.7:4000") == http.StatusTooManyRequests {
				attackerLimited++
			}
		}
	}
	// 64 anonymous requests from one address with a burst of 16: 48 refused.
	if attackerLimited != 48 {
		t.Errorf("the attacker's address got %d × 429 of 64, want 48: its own bucket, burst 16", attackerLimited)
	}
	for i := range 16 {
		if code := do("/t/acme/scim/v2/Users", "acme-token-1234", "192.0.2.7:4001"); code != http.StatusOK {
			t.Errorf("acme's real client, request %d of its burst of 16 after the attack: %d, want 200", i+1, code)
		}
	}
	if code := do("/t/acme/scim/v2/Users", "acme-token-1234", "192.0.2.8:1"); code != http.StatusTooManyRequests {
		t.Errorf("acme's 17th request: %d, want 429 (its own limit still applies)", code)
	}
	if code := do("/t/acme/scim/v2/Users", "", "198.51.100.1:1"); code != http.StatusUnauthorized {
		t.Errorf("an anonymous request from another address: %d, want 401 (its own bucket is full)", code)
	}
}
