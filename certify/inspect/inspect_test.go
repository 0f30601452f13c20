package inspect_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimharness/scimharness/certify/inspect"
)

const (
	userBody   = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alice@example.com","password":"hunter2-SECRET"}`
	replaceOp  = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":false}]}`
	badFilter  = "/scim/v2/Users?filter=" + "userName%20eq"
	tokenInURL = "/scim/v2/Users?access_token=" + tokDefault
)

func hasFinding(ev inspect.Event, rule, level string) bool {
	for _, f := range ev.Findings {
		if f.Rule == rule && f.Level == level {
			return true
		}
	}
	return false
}

func TestSessionNeedsTheTenantsToken(t *testing.T) {
	s := newStack(t, inspect.Options{})
	for _, c := range []struct {
		tenant, token string
		want          int
	}{
		{"default", "", http.StatusUnauthorized},
		{"default", "wrong", http.StatusUnauthorized},
		{"default", tokAcme, http.StatusUnauthorized}, // another tenant's token
		{"acme", tokDefault, http.StatusUnauthorized},
		{"nosuch", tokDefault, http.StatusUnauthorized},
		{"default", tokDefault, http.StatusOK},
		{"acme", tokAcme, http.StatusOK},
	} {
		code, key := s.session(t, c.tenant, c.token)
		if code != c.want {
			t.Errorf("session %s with %q: %d, want %d", c.tenant, c.token, code, c.want)
		}
		if code == http.StatusOK && len(key) != 64 {
			t.Errorf("key %q: want 64 hex characters", key)
		}
	}
	// GET is not a way to mint keys.
	resp, err := http.Get(s.ts.URL + "/_harness/session")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET session: %d", resp.StatusCode)
	}
}

func TestEventsAreGradedAsTheyArrive(t *testing.T) {
	s := newStack(t, inspect.Options{})
	st, code := s.open(t, "default", s.key(t, "default", tokDefault), "")
	if code != http.StatusOK {
		t.Fatalf("events: %d", code)
	}

	s.scim(t, http.MethodPost, "/scim/v2/Users", tokDefault, userBody)
	ev := st.next(t)
	if ev.Method != "POST" || ev.Path != "/scim/v2/Users" || ev.Status != http.StatusCreated || ev.Tenant != "default" || ev.Grade != "ok" {
		t.Errorf("create: %+v", ev)
	}
	if ev.Time.IsZero() || ev.ID == 0 || ev.Seq != 1 {
		t.Errorf("create: time %v id %d seq %d", ev.Time, ev.ID, ev.Seq)
	}

	s.scim(t, http.MethodPatch, "/scim/v2/Users/whatever", tokDefault, replaceOp)
	ev = st.next(t)
	if ev.Grade != "quirk" || !hasFinding(ev, "patch-op-case", "quirk") {
		t.Errorf("PATCH op Replace: grade %s, findings %+v", ev.Grade, ev.Findings)
	}

	s.scim(t, http.MethodGet, badFilter, tokDefault, "")
	ev = st.next(t)
	if ev.Grade != "violation" || !hasFinding(ev, "filter-syntax", "violation") || ev.Status != http.StatusBadRequest {
		t.Errorf("malformed filter: status %d grade %s, findings %+v", ev.Status, ev.Grade, ev.Findings)
	}

	s.scim(t, http.MethodGet, tokenInURL, tokDefault, "")
	ev = st.next(t)
	if ev.Grade != "quirk" || !hasFinding(ev, "token-in-query", "quirk") { // RFC 6750 §2.3: SHOULD NOT
		t.Errorf("token in query: grade %s, findings %+v", ev.Grade, ev.Findings)
	}

	// Requests that authenticate as nobody are not the tenant's: not shown
	// (issue 14 #7), however many.
	for range 3 {
		s.scim(t, http.MethodGet, "/scim/v2/Users", "", "")
		s.scim(t, http.MethodGet, "/scim/v2/Users", "wrong-"+tokDefault, "")
	}
	st.none(t, 200*time.Millisecond)

	// Nothing secret ever reaches the stream.
	raw := st.text()
	for _, secret := range []string{tokDefault, tokAcme, "hunter2", "SECRET"} {
		if strings.Contains(raw, secret) {
			t.Errorf("the stream carries %q:\n%s", secret, raw)
		}
	}
	// The inspector's own requests are not shown.
	st.none(t, 200*time.Millisecond)
}

func TestTenantsAreSeparate(t *testing.T) {
	s := newStack(t, inspect.Options{})
	acmeKey := s.key(t, "acme", tokAcme)
	acme, _ := s.open(t, "acme", acmeKey, "")
	def, _ := s.open(t, "default", s.key(t, "default", tokDefault), "")

	s.scim(t, http.MethodGet, "/scim/v2/Users", tokDefault, "")
	s.scim(t, http.MethodGet, "/t/acme/scim/v2/Users", tokAcme, "")
	// default's token on acme authenticates as nobody: neither acme's nor
	// default's traffic, shown to neither.
	s.scim(t, http.MethodGet, "/t/acme/scim/v2/Users", tokDefault, "")
	// A path that names acme only after "..": acme's (the server serves
	// it as /t/acme/...), not globex's.
	s.scim(t, http.MethodGet, "/t/globex/../acme/scim/v2/Users", tokAcme, "")

	for i := 0; i < 2; i++ {
		if ev := acme.next(t); ev.Tenant != "acme" || !strings.HasPrefix(ev.Path, "/t/acme/") {
			t.Errorf("acme's stream shows %+v", ev)
		}
	}
	if ev := def.next(t); ev.Tenant != "default" {
		t.Errorf("default's stream shows %+v", ev)
	}
	acme.none(t, 200*time.Millisecond)
	def.none(t, 10*time.Millisecond)

	// A key opens its own tenant only.
	if _, code := s.open(t, "default", acmeKey, ""); code != http.StatusForbidden {
		t.Errorf("acme's key on default: %d, want 403", code)
	}
	if _, code := s.open(t, "default", "", ""); code != http.StatusUnauthorized {
		t.Errorf("no key: %d, want 401", code)
	}
	if _, code := s.open(t, "default", strings.Repeat("0", 64), ""); code != http.StatusUnauthorized {
		t.Errorf("made-up key: %d, want 401", code)
	}
	// And a new stream of acme replays acme's events only.
	again, _ := s.open(t, "", acmeKey, "")
	for i := 0; i < 2; i++ {
		if ev := again.next(t); ev.Tenant != "acme" {
			t.Errorf("acme's replay shows %+v", ev)
		}
	}
	again.none(t, 100*time.Millisecond)
}

func TestRingReplaysTheLatest(t *testing.T) {
	s := newStack(t, inspect.Options{Buffer: 3})
	for i := 0; i < 5; i++ {
		s.scim(t, http.MethodGet, "/scim/v2/Users?startIndex="+string(rune('1'+i)), tokDefault, "")
	}
	if got := s.insp.Recent("default", 0); len(got) != 3 || got[0].Seq != 3 || got[2].Seq != 5 {
		t.Fatalf("ring holds %+v", got)
	}
	key := s.key(t, "default", tokDefault)
	st, _ := s.open(t, "default", key, "")
	var last inspect.Event
	for _, want := range []int{3, 4, 5} {
		if last = st.next(t); last.Seq != want {
			t.Errorf("replay: seq %d, want %d", last.Seq, want)
		}
	}
	// A reconnecting EventSource gets only what it missed.
	s.scim(t, http.MethodGet, "/scim/v2/Users", tokDefault, "")
	st2, _ := s.open(t, "default", key, itoa(last.ID))
	if ev := st2.next(t); ev.Seq != 6 {
		t.Errorf("after Last-Event-ID: seq %d, want 6", ev.Seq)
	}
	st2.none(t, 100*time.Millisecond)
}

func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestKeysExpire(t *testing.T) {
	now := time.Now()
	var skew atomic.Int64
	s := newStack(t, inspect.Options{Now: func() time.Time { return now.Add(time.Duration(skew.Load())) }, KeyTTL: time.Hour})
	key := s.key(t, "default", tokDefault)
	if _, code := s.open(t, "default", key, ""); code != http.StatusOK {
		t.Fatalf("fresh key: %d", code)
	}
	skew.Store(int64(time.Hour + time.Second))
	if _, code := s.open(t, "default", key, ""); code != http.StatusUnauthorized {
		t.Errorf("key after an hour: %d, want 401", code)
	}
}

func TestPage(t *testing.T) {
	s := newStack(t, inspect.Options{})
	resp, err := http.Get(s.ts.URL + "/_harness/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
	// Self-contained: no external assets.
	for _, ext := range []string{`src="http`, `href="http`, `src="//`, `href="//`, "@import"} {
		if strings.Contains(string(body), ext) {
			t.Errorf("page loads an external asset (%s)", ext)
		}
	}
	// /_harness redirects to the page; SCIM routes are untouched.
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = c.Get(s.ts.URL + "/_harness")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/_harness/" {
		t.Errorf("/_harness: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if code := s.scim(t, http.MethodGet, "/scim/v2/ServiceProviderConfig", tokDefault, ""); code != http.StatusOK {
		t.Errorf("SCIM behind the inspector: %d", code)
	}
}

// Issue 14 #10: guessing tokens or view keys is throttled per remote
// address. After GuessBurst failures an address gets 429 with Retry-After
// for every attempt — a right token too, so the answer tells nothing — until
// its failures drain (one per GuessEvery); other addresses are not affected.
func TestGuessingIsThrottled(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var skew atomic.Int64
	in := inspect.New(inspect.Options{
		Authorize:  func(tenant, token string) bool { return tenant == "acme" && token == "right-token" },
		GuessBurst: 3, GuessEvery: time.Minute,
		Now: func() time.Time { return now.Add(time.Duration(skew.Load())) },
	})
	try := func(addr, path, token string) *httptest.ResponseRecorder {
		var r *http.Request
		if path == "/_harness/session" {
			r = httptest.NewRequest("POST", path, strings.NewReader(`{"tenant":"acme"}`))
		} else {
			r = httptest.NewRequest("GET", path, nil)
		}
		r.RemoteAddr = addr
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		in.ServeHTTP(w, r)
		return w
	}
	const guesser, other = "192.0.2.9:5555", "198.51.100.4:80"
	for i, c := range []struct {
		path, token string
		want        int
	}{
		{"/_harness/session", "guess-1", 401},
		{"/_harness/events?key=" + strings.Repeat("ab", 32), "", 401}, // a made-up view key counts too
		{"/_harness/session", "guess-2", 401},
		{"/_harness/session", "guess-3", 429},
		{"/_harness/session", "right-token", 429},
		{"/_harness/events?key=" + strings.Repeat("cd", 32), "", 429},
	} {
		w := try(guesser, c.path, c.token)
		if w.Code != c.want {
			t.Errorf("attempt %d (%s): %d, want %d", i+1, c.token, w.Code, c.want)
		}
		if w.Code == 429 && w.Header().Get("Retry-After") != "60" {
			t.Errorf("attempt %d: Retry-After %q, want 60 (one failure drains per minute)", i+1, w.Header().Get("Retry-After"))
		}
	}
	if w := try(other, "/_harness/session", "right-token"); w.Code != 200 {
		t.Errorf("another address with the right token: %d, want 200", w.Code)
	}
	skew.Store(int64(time.Minute))
	if w := try(guesser, "/_harness/session", "right-token"); w.Code != 200 {
		t.Errorf("a minute later, the right token: %d, want 200", w.Code)
	}
	if w := try(guesser, "/_harness/session", "guess-4"); w.Code != 401 {
		t.Errorf("then a wrong one: %d, want 401", w.Code)
	}
	if w := try(guesser, "/_harness/session", "guess-5"); w.Code != 429 {
		t.Errorf("and another: %d, want 429 (no burst until the failures drain)", w.Code)
	}
}

// Issue 14 #7: each tenant has its own ring: however busy another tenant
// is, a tenant's recent events stay there to be replayed.
func TestRingsArePerTenant(t *testing.T) {
	s := newStack(t, inspect.Options{Buffer: 3})
	s.scim(t, http.MethodGet, "/t/acme/scim/v2/Users", tokAcme, "")
	s.scim(t, http.MethodGet, "/t/acme/scim/v2/Groups", tokAcme, "")
	for range 10 {
		s.scim(t, http.MethodGet, "/scim/v2/Users", tokDefault, "")
	}
	if got := s.insp.Recent("acme", 0); len(got) != 2 || got[0].Path != "/t/acme/scim/v2/Users" {
		t.Errorf("acme's ring after default's 10 requests: %+v, want its 2 events", got)
	}
	if got := s.insp.Recent("default", 0); len(got) != 3 || got[2].Seq != 10 {
		t.Errorf("default's ring: %d events, want its last 3", len(got))
	}
}
