package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/wire"
)

// seen is what a test server observed of one request.
type seen struct {
	method, uri string
	header      http.Header
	body        string
	at          time.Time
}

// recordingServer answers with respond and keeps every request it saw.
type recordingServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newServer(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, n int)) *recordingServer {
	t.Helper()
	s := &recordingServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, seen{r.Method, r.RequestURI, r.Header.Clone(), string(b), time.Now()})
		n := len(s.reqs)
		s.mu.Unlock()
		respond(w, r, n)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *recordingServer) requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.reqs...)
}

func ok(w http.ResponseWriter, _ *http.Request, _ int) {
	w.Header().Set("Content-Type", scim.MediaType)
	io.WriteString(w, `{"id":"1"}`)
}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeSleep records waits instead of sleeping.
type fakeSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (f *fakeSleep) sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waits = append(f.waits, d)
	return ctx.Err()
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{BaseURL: "/scim/v2"},
		{BaseURL: "ftp://x/scim"},
		{BaseURL: "http://x", Retry: Retry{Max: -1}},
		{BaseURL: "http://x", OAuth2: &OAuth2{}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}

func TestHeaders(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		req  Request
		want map[string]string // "" means absent
	}{
		{
			name: "defaults with bearer",
			cfg:  Config{Token: "tok"},
			req:  Request{Method: "POST", Path: "/Users", Body: map[string]any{"userName": "a"}},
			want: map[string]string{"Authorization": "Bearer tok", "Accept": scim.MediaType, "Content-Type": scim.MediaType, "User-Agent": DefaultUserAgent},
		},
		{
			name: "no body, no content type",
			cfg:  Config{Token: "tok"},
			req:  Request{Method: "GET", Path: "/Users"},
			want: map[string]string{"Authorization": "Bearer tok", "Accept": scim.MediaType, "Content-Type": ""},
		},
		{
			name: "google: application/json and its user agent",
			cfg:  Config{Token: "tok", UserAgent: "Google-Auto-Provisioning", Headers: map[string]string{"Content-Type": "application/json"}},
			req:  Request{Method: "POST", Path: "/Users", Body: map[string]any{}},
			want: map[string]string{"Content-Type": "application/json", "User-Agent": "Google-Auto-Provisioning"},
		},
		{
			name: "a content type override is for bodies only",
			cfg:  Config{Headers: map[string]string{"Content-Type": "application/json"}},
			req:  Request{Method: "GET", Path: "/Users"},
			want: map[string]string{"Content-Type": ""},
		},
		{
			name: "request content type wins, empty removes",
			cfg:  Config{Token: "tok", Headers: map[string]string{"Accept": "", "X-Idp": "okta"}},
			req:  Request{Method: "PUT", Path: "/Users/1", Body: map[string]any{}, ContentType: "application/scim+json; charset=utf-8"},
			want: map[string]string{"Accept": "", "X-Idp": "okta", "Content-Type": "application/scim+json; charset=utf-8"},
		},
		{
			name: "request replaces credentials",
			cfg:  Config{Token: "tok"},
			req:  Request{Path: "/Users", Headers: map[string]string{"Authorization": "Bearer wrong"}},
			want: map[string]string{"Authorization": "Bearer wrong"},
		},
		{
			name: "request sends no credentials",
			cfg:  Config{Token: "tok"},
			req:  Request{Path: "/Users", Headers: map[string]string{"Authorization": ""}},
			want: map[string]string{"Authorization": ""},
		},
		{
			name: "no user agent at all",
			cfg:  Config{Headers: map[string]string{"User-Agent": ""}},
			req:  Request{Path: "/Users"},
			want: map[string]string{"User-Agent": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, ok)
			tt.cfg.BaseURL = srv.URL + "/scim/v2"
			ex, err := newClient(t, tt.cfg).Do(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			got := srv.requests()[0].header
			for k, v := range tt.want {
				if g := got.Get(k); g != v {
					t.Errorf("%s: server saw %q, want %q", k, g, v)
				}
				if v == "" && ex.Request.Header.Get(k) != "" {
					t.Errorf("%s: captured %q though not sent", k, ex.Request.Header.Get(k))
				}
			}
		})
	}
}

func TestURLAndBody(t *testing.T) {
	srv := newServer(t, ok)
	c := newClient(t, Config{BaseURL: srv.URL + "/scim/v2/"})
	tests := []struct {
		req      Request
		wantURI  string
		wantBody string
	}{
		{Request{Path: "Users"}, "/scim/v2/Users", ""},
		{Request{Path: "/Users?filter=userName+eq+%22a%22"}, "/scim/v2/Users?filter=userName+eq+%22a%22", ""},
		{Request{Path: `/Users?filter=userName eq "ü"`}, "/scim/v2/Users?filter=userName%20eq%20%22%C3%BC%22", ""},
		{Request{Path: "/Users?startIndex=1", Query: url.Values{"count": {"5"}}}, "/scim/v2/Users?startIndex=1&count=5", ""},
		{Request{Path: "/Users", Query: url.Values{"filter": {`userName eq "a b"`}}}, "/scim/v2/Users?filter=userName+eq+%22a+b%22", ""},
		{Request{Method: "POST", Path: "/Users", Body: map[string]any{"displayName": "<Ünï & co>"}}, "/scim/v2/Users", `{"displayName":"<Ünï & co>"}`},
		{Request{Method: "POST", Path: "/Users", RawBody: []byte(`{"userName": "a",}`)}, "/scim/v2/Users", `{"userName": "a",}`},
	}
	for _, tt := range tests {
		n := len(srv.requests())
		ex, err := c.Do(context.Background(), tt.req)
		if err != nil {
			t.Fatal(err)
		}
		got := srv.requests()[n]
		if got.uri != tt.wantURI || got.body != tt.wantBody {
			t.Errorf("%+v: server saw %s %q, want %s %q", tt.req, got.uri, got.body, tt.wantURI, tt.wantBody)
		}
		if string(ex.Request.Body) != tt.wantBody || !strings.HasSuffix(ex.Request.URL, tt.wantURI) {
			t.Errorf("captured %s %q", ex.Request.URL, ex.Request.Body)
		}
	}
}

func TestAnyStatusIsAnExchange(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("Content-Type", scim.MediaType)
		w.WriteHeader(http.StatusConflict)
		io.WriteString(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness"}`)
	})
	ex, err := newClient(t, Config{BaseURL: srv.URL}).Do(context.Background(), Request{Method: "POST", Path: "/Users", Body: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Status() != 409 || ex.Attempts != 1 || ex.Err != "" || ex.Duration <= 0 {
		t.Errorf("exchange %+v", ex)
	}
	m, err := ex.JSON()
	if err != nil || m["scimType"] != "uniqueness" {
		t.Errorf("JSON() = %v, %v", m, err)
	}
	if s := ex.String(); s != "POST /Users → 409 ("+ex.Duration.Round(time.Millisecond).String()+")" {
		t.Errorf("String() = %q", s)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		http.Redirect(w, r, "http://elsewhere.invalid/", http.StatusFound)
	})
	ex, err := newClient(t, Config{BaseURL: srv.URL, Token: "tok"}).Do(context.Background(), Request{Path: "/Users"})
	if err != nil || ex.Status() != 302 || len(srv.requests()) != 1 {
		t.Errorf("got %v, %v after %d requests", ex, err, len(srv.requests()))
	}
}

func TestRetry(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	type answer struct {
		status     int
		retryAfter string
	}
	tests := []struct {
		name         string
		method       string
		retry        Retry
		answers      []answer // the last repeats
		wantAttempts int
		wantStatus   int
		check        func(t *testing.T, waits []time.Duration)
	}{
		{
			name: "429 honours Retry-After seconds", method: "GET",
			retry:        Retry{Max: 3, Base: time.Millisecond},
			answers:      []answer{{429, "2"}, {200, ""}},
			wantAttempts: 2, wantStatus: 200,
			check: func(t *testing.T, w []time.Duration) {
				if len(w) != 1 || w[0] < 2*time.Second {
					t.Errorf("waits %v, want one ≥ 2s", w)
				}
			},
		},
		{
			name: "503 honours Retry-After HTTP-date", method: "GET",
			retry:        Retry{Max: 3, Base: time.Millisecond},
			answers:      []answer{{503, now.Add(3 * time.Second).Format(http.TimeFormat)}, {200, ""}},
			wantAttempts: 2, wantStatus: 200,
			check: func(t *testing.T, w []time.Duration) {
				if len(w) != 1 || w[0] != 3*time.Second {
					t.Errorf("waits %v, want [3s]", w)
				}
			},
		},
		{
			name: "Statuses 429 only: a 503 is judged, not retried", method: "GET",
			retry:        Retry{Max: 3, Base: time.Millisecond, Statuses: []int{429}},
			answers:      []answer{{503, "1"}, {200, ""}},
			wantAttempts: 1, wantStatus: 503,
		},
		{
			name: "Statuses 429 only: a 429 is retried", method: "POST",
			retry:        Retry{Max: 3, Base: time.Millisecond, Statuses: []int{429}},
			answers:      []answer{{429, "0"}, {429, "0"}, {201, ""}},
			wantAttempts: 3, wantStatus: 201,
		},
		{
			name: "Retry-After is capped at MaxDelay", method: "GET",
			retry:        Retry{Max: 1, MaxDelay: 5 * time.Second},
			answers:      []answer{{429, "3600"}, {200, ""}},
			wantAttempts: 2, wantStatus: 200,
			check: func(t *testing.T, w []time.Duration) {
				if len(w) != 1 || w[0] != 5*time.Second {
					t.Errorf("waits %v, want [5s]", w)
				}
			},
		},
		{
			name: "exponential backoff with jitter", method: "GET",
			retry:        Retry{Max: 3, Base: 100 * time.Millisecond, MaxDelay: 250 * time.Millisecond},
			answers:      []answer{{503, ""}},
			wantAttempts: 4, wantStatus: 503,
			check: func(t *testing.T, w []time.Duration) {
				// Base·2^n jittered to [½,1], capped at 250ms before jitter.
				bounds := [][2]time.Duration{{50, 100}, {100, 200}, {125, 250}}
				if len(w) != 3 {
					t.Fatalf("waits %v", w)
				}
				for i, b := range bounds {
					if w[i] < b[0]*time.Millisecond || w[i] > b[1]*time.Millisecond {
						t.Errorf("wait %d = %v, want in [%vms, %vms]", i, w[i], b[0], b[1])
					}
				}
			},
		},
		{
			name: "Max 0 never retries", method: "GET",
			answers:      []answer{{429, "1"}, {200, ""}},
			wantAttempts: 1, wantStatus: 429,
		},
		{
			name: "POST is retried on 429", method: "POST",
			retry:        Retry{Max: 2, Base: time.Millisecond},
			answers:      []answer{{429, ""}, {201, ""}},
			wantAttempts: 2, wantStatus: 201,
		},
		{
			name: "other statuses are answers", method: "GET",
			retry:        Retry{Max: 2, Base: time.Millisecond},
			answers:      []answer{{500, ""}, {200, ""}},
			wantAttempts: 1, wantStatus: 500,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				a := tt.answers[min(n, len(tt.answers))-1]
				if a.retryAfter != "" {
					w.Header().Set("Retry-After", a.retryAfter)
				}
				w.WriteHeader(a.status)
			})
			c := newClient(t, Config{BaseURL: srv.URL, Retry: tt.retry})
			fs := &fakeSleep{}
			c.sleep, c.now = fs.sleep, func() time.Time { return now }
			ex, err := c.Do(context.Background(), Request{Method: tt.method, Path: "/Users", Body: map[string]any{}})
			if err != nil {
				t.Fatal(err)
			}
			if ex.Attempts != tt.wantAttempts || ex.Status() != tt.wantStatus || len(srv.requests()) != tt.wantAttempts {
				t.Errorf("attempts %d (server saw %d), status %d; want %d, %d", ex.Attempts, len(srv.requests()), ex.Status(), tt.wantAttempts, tt.wantStatus)
			}
			if len(ex.Retried) != tt.wantAttempts-1 {
				t.Errorf("%d retried exchanges kept, want %d", len(ex.Retried), tt.wantAttempts-1)
			}
			if tt.check != nil {
				tt.check(t, fs.waits)
			}
		})
	}
}

// TestRetryAfterWallClock checks the real sleep: the second attempt reaches
// the server no sooner than Retry-After says.
func TestRetryAfterWallClock(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	})
	c := newClient(t, Config{BaseURL: srv.URL, Retry: Retry{Max: 1}})
	ex, err := c.Do(context.Background(), Request{Path: "/Users"})
	if err != nil || ex.Status() != 200 {
		t.Fatal(ex, err)
	}
	r := srv.requests()
	if gap := r[1].at.Sub(r[0].at); gap < time.Second {
		t.Errorf("retried after %v, Retry-After said 1s", gap)
	}
}

func TestRetryStopsWhenContextEnds(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	c := newClient(t, Config{BaseURL: srv.URL, Retry: Retry{Max: 3}})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	ex, err := c.Do(ctx, Request{Path: "/Users"})
	// The 503 is an answer: it stands, with no error.
	if err != nil || ex.Status() != 503 || ex.Attempts != 1 {
		t.Errorf("got %v, %v", ex, err)
	}
}

func TestTransportErrors(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	deadURL := closed.URL
	closed.Close()
	tests := []struct {
		method       string
		statuses     []int
		wantAttempts int
	}{
		{"GET", nil, 3}, {"PUT", nil, 3}, {"DELETE", nil, 3},
		{"POST", nil, 1}, {"PATCH", nil, 1}, // may have reached the server: never twice
		{"GET", []int{429}, 1}, // Statuses: only those answers are retried
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.method, tt.statuses), func(t *testing.T) {
			c := newClient(t, Config{BaseURL: deadURL, Retry: Retry{Max: 2, Base: time.Millisecond, Statuses: tt.statuses}})
			fs := &fakeSleep{}
			c.sleep = fs.sleep
			ex, err := c.Do(context.Background(), Request{Method: tt.method, Path: "/Users/1", Body: map[string]any{}})
			if err == nil {
				t.Fatal("no error from a closed server")
			}
			if ex == nil || ex.Response != nil || ex.Err == "" || ex.Attempts != tt.wantAttempts {
				t.Errorf("exchange %+v, want %d attempts and Err", ex, tt.wantAttempts)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c := newClient(t, Config{BaseURL: srv.URL, Timeout: 50 * time.Millisecond})
	start := time.Now()
	ex, err := c.Do(context.Background(), Request{Path: "/Users"})
	if err == nil || ex.Response != nil || ex.Err == "" {
		t.Fatalf("got %+v, %v; want a transport error", ex, err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("timeout took %v", time.Since(start))
	}
}

func TestPreviewSendsNothing(t *testing.T) {
	srv := newServer(t, ok)
	c := newClient(t, Config{BaseURL: srv.URL + "/scim/v2", Token: "secret-token-123"})
	ex, err := c.Preview(Request{Method: "DELETE", Path: "/Users/x", Query: url.Values{"access_token": {"abc"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(srv.requests()) != 0 {
		t.Error("Preview sent a request")
	}
	if ex.Request.Header.Get("Authorization") != "Bearer "+wire.Redacted || !strings.HasSuffix(ex.Request.URL, "/scim/v2/Users/x?access_token="+wire.Redacted) {
		t.Errorf("preview %+v", ex.Request)
	}
}

func TestRecorderIsBounded(t *testing.T) {
	r := wire.NewRing(3)
	for i := range 5 {
		r.Record(wire.Exchange{Attempts: i})
	}
	got := r.Exchanges()
	if len(got) != 3 || got[0].Attempts != 2 || got[2].Attempts != 4 {
		t.Errorf("kept %+v, want attempts 2,3,4", got)
	}
}

func TestBodyJSON(t *testing.T) {
	for _, b := range []wire.Body{nil, {}, wire.Body(`{"a":"<b>"}`), {0xff, 0x00, 0x80}} {
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		var back wire.Body
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if string(back) != string(b) || (b == nil) != (back == nil) {
			t.Errorf("%q → %s → %q", b, data, back)
		}
	}
}

func TestExchangeJSONKeepsNumbers(t *testing.T) {
	ex := &wire.Exchange{Response: &wire.Response{Status: 200, Body: wire.Body(`{"totalResults":1,"startIndex":1.0}`)}}
	m, err := ex.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if m["totalResults"] != json.Number("1") || m["startIndex"] != json.Number("1.0") {
		t.Errorf("%#v", m)
	}
	for _, bad := range []string{"", "[]", `{"a":1} {}`, "<html>"} {
		ex.Response.Body = wire.Body(bad)
		if _, err := ex.JSON(); err == nil {
			t.Errorf("JSON() of %q succeeded", bad)
		}
	}
	if _, err := (&wire.Exchange{}).JSON(); err == nil {
		t.Error("JSON() without response succeeded")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"120", 2 * time.Minute, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"", 0, false}, {"-1", 0, false}, {"1.5", 0, false}, {"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
