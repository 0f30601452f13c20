package inspect_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimharness/scimharness/certify/inspect"
	"github.com/scimharness/scimharness/certify/record"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/store/memory"
)

// Tokens of the test tenants; they must never reach a page or a stream.
const (
	tokDefault = "tok-default-7f3c9e1a-SECRET"
	tokAcme    = "tok-acme-b52d04c8-SECRET"
)

// stack is the reference server with the inspector mounted as `serve
// --inspect` mounts it.
type stack struct {
	ts   *httptest.Server
	insp *inspect.Inspector
}

func newStack(t *testing.T, o inspect.Options) *stack {
	t.Helper()
	tenants := server.NewTenants()
	if err := tenants.Add(server.DefaultTenant, server.HashToken(tokDefault)); err != nil {
		t.Fatal(err)
	}
	if err := tenants.Add("acme", server.HashToken(tokAcme)); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: memory.New(), Tenants: tenants, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	o.Authorize = tenants.Allowed
	insp := inspect.New(o)
	obs, err := record.NewObserver(record.Options{Secrets: []string{tokDefault, tokAcme}, Observe: insp.Observe})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(insp.Mount(obs.Wrap(srv)))
	t.Cleanup(ts.Close)
	return &stack{ts: ts, insp: insp}
}

// scim makes one SCIM request and returns the status.
func (s *stack) scim(t *testing.T, method, path, token, body string) int {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := s.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// session trades a token for a view key; it returns the status and key.
func (s *stack) session(t *testing.T, tenant, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.ts.URL+"/_harness/session", strings.NewReader(`{"tenant":"`+tenant+`"}`))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Key    string `json:"key"`
		Tenant string `json:"tenant"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode == http.StatusOK && out.Tenant != tenant {
		t.Fatalf("session for %q is for %q", tenant, out.Tenant)
	}
	return resp.StatusCode, out.Key
}

func (s *stack) key(t *testing.T, tenant, token string) string {
	t.Helper()
	code, key := s.session(t, tenant, token)
	if code != http.StatusOK || key == "" {
		t.Fatalf("session %s: %d", tenant, code)
	}
	return key
}

// stream is a connected event stream.
type stream struct {
	resp   *http.Response
	events chan sse
	mu     sync.Mutex
	raw    bytes.Buffer // everything received
}

type sse struct {
	id, event, data string
}

func (s *stack) open(t *testing.T, tenant, key string, lastID string) (*stream, int) {
	t.Helper()
	u := s.ts.URL + "/_harness/events?tenant=" + url.QueryEscape(tenant) + "&key=" + url.QueryEscape(key)
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := s.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, resp.StatusCode
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("events Content-Type %q", ct)
	}
	st := &stream{resp: resp, events: make(chan sse, 1000)}
	t.Cleanup(func() { resp.Body.Close() })
	go func() {
		defer close(st.events)
		br := bufio.NewReader(resp.Body)
		var cur sse
		for {
			line, err := br.ReadString('\n')
			st.mu.Lock()
			st.raw.WriteString(line)
			st.mu.Unlock()
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "":
				if cur.event != "" || cur.data != "" {
					st.events <- cur
				}
				cur = sse{}
			case strings.HasPrefix(line, "id: "):
				cur.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				cur.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				cur.data = line[6:]
			}
		}
	}()
	return st, http.StatusOK
}

// next returns the next exchange event, or fails after a few seconds.
func (st *stream) next(t *testing.T) inspect.Event {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e, ok := <-st.events:
			if !ok {
				t.Fatal("stream ended")
			}
			if e.event != "exchange" {
				continue
			}
			var ev inspect.Event
			if err := json.Unmarshal([]byte(e.data), &ev); err != nil {
				t.Fatalf("event data %q: %v", e.data, err)
			}
			return ev
		case <-timeout:
			t.Fatal("no event within 5s")
		}
	}
}

// none checks that no exchange event arrives for a while.
func (st *stream) none(t *testing.T, d time.Duration) {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case e := <-st.events:
			if e.event == "exchange" {
				t.Fatalf("unexpected event %s", e.data)
			}
		case <-timeout:
			return
		}
	}
}

func (st *stream) text() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.raw.String()
}
