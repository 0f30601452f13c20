package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/scimharness/scimharness/wire"
)

// tokenEndpoint issues "tok-1", "tok-2"... and records each form it got.
type tokenEndpoint struct {
	*httptest.Server
	mu        sync.Mutex
	forms     []url.Values
	basicUser string
	basicPass string
	expiresIn string
}

func newTokenEndpoint(t *testing.T, expiresIn string) *tokenEndpoint {
	te := &tokenEndpoint{expiresIn: expiresIn}
	te.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Method != "POST" {
			w.WriteHeader(400)
			return
		}
		te.mu.Lock()
		te.forms = append(te.forms, r.PostForm)
		n := len(te.forms)
		te.basicUser, te.basicPass, _ = r.BasicAuth()
		te.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d-abcdefgh","token_type":"bearer","expires_in":%s}`, n, te.expiresIn)
	}))
	t.Cleanup(te.Close)
	return te
}

func (te *tokenEndpoint) fetches() []url.Values {
	te.mu.Lock()
	defer te.mu.Unlock()
	return append([]url.Values(nil), te.forms...)
}

func TestOAuth2TokenIsFetchedOnceAndReused(t *testing.T) {
	te := newTokenEndpoint(t, "3600")
	srv := newServer(t, ok)
	c := newClient(t, Config{BaseURL: srv.URL, OAuth2: &OAuth2{TokenURL: te.URL, ClientID: "id:1", ClientSecret: "s3cr3t/+", Scope: "scim"}})
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Do(context.Background(), Request{Path: "/Users"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	forms := te.fetches()
	if len(forms) != 1 {
		t.Fatalf("%d token requests, want 1", len(forms))
	}
	if f := forms[0]; f.Get("grant_type") != "client_credentials" || f.Get("scope") != "scim" || f.Get("client_secret") != "" {
		t.Errorf("form %v", f)
	}
	// RFC 6749 §2.3.1: form-encoded, then Basic.
	if te.basicUser != url.QueryEscape("id:1") || te.basicPass != url.QueryEscape("s3cr3t/+") {
		t.Errorf("basic auth %q:%q", te.basicUser, te.basicPass)
	}
	for _, r := range srv.requests() {
		if r.header.Get("Authorization") != "Bearer tok-1-abcdefgh" {
			t.Errorf("SCIM request carried %q", r.header.Get("Authorization"))
		}
	}
}

func TestOAuth2CredentialsInBody(t *testing.T) {
	te := newTokenEndpoint(t, `"3600"`) // a string expires_in, as some send
	srv := newServer(t, ok)
	c := newClient(t, Config{BaseURL: srv.URL, OAuth2: &OAuth2{TokenURL: te.URL, ClientID: "board", ClientSecret: "board-secret", CredentialsInBody: true}})
	if _, err := c.Do(context.Background(), Request{Path: "/Users"}); err != nil {
		t.Fatal(err)
	}
	f := te.fetches()[0]
	if f.Get("client_id") != "board" || f.Get("client_secret") != "board-secret" || te.basicUser != "" {
		t.Errorf("form %v, basic user %q", f, te.basicUser)
	}
}

func TestOAuth2RefreshesWhenExpired(t *testing.T) {
	te := newTokenEndpoint(t, "60")
	srv := newServer(t, ok)
	c := newClient(t, Config{BaseURL: srv.URL, OAuth2: &OAuth2{TokenURL: te.URL, ClientID: "a", ClientSecret: "b"}})
	now := time.Now()
	c.now = func() time.Time { return now }
	for _, advance := range []time.Duration{0, 20 * time.Second, 31 * time.Second} {
		now = now.Add(advance)
		if _, err := c.Do(context.Background(), Request{Path: "/Users"}); err != nil {
			t.Fatal(err)
		}
	}
	// 60s lifetime, refreshed 30s early: the third request (at +51s) fetches.
	if n := len(te.fetches()); n != 2 {
		t.Errorf("%d token fetches, want 2", n)
	}
}

func TestOAuth2RefreshesOnceOn401(t *testing.T) {
	te := newTokenEndpoint(t, "3600")
	tests := []struct {
		name         string
		accept       string // the token the server accepts; "" accepts none
		wantStatus   int
		wantAttempts int
		wantFetches  int
	}{
		{"revoked token is replaced", "Bearer tok-2-abcdefgh", 200, 2, 2},
		{"a second 401 stands", "", 401, 2, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				if r.Header.Get("Authorization") != tt.accept {
					w.WriteHeader(http.StatusUnauthorized)
				}
			})
			c := newClient(t, Config{BaseURL: srv.URL, OAuth2: &OAuth2{TokenURL: te.URL, ClientID: "a", ClientSecret: "b"}})
			ex, err := c.Do(context.Background(), Request{Path: "/Users"})
			if err != nil {
				t.Fatal(err)
			}
			if ex.Status() != tt.wantStatus || ex.Attempts != tt.wantAttempts || len(te.fetches()) != tt.wantFetches {
				t.Errorf("status %d, attempts %d, fetches %d", ex.Status(), ex.Attempts, len(te.fetches()))
			}
		})
	}
}

func TestOAuth2TokenEndpointFailure(t *testing.T) {
	te := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"invalid_client"}`)
	}))
	defer te.Close()
	srv := newServer(t, ok)
	rec := wire.NewRing(10)
	c := newClient(t, Config{BaseURL: srv.URL, Capture: rec.Record, OAuth2: &OAuth2{TokenURL: te.URL, ClientID: "a", ClientSecret: "b"}})
	ex, err := c.Do(context.Background(), Request{Path: "/Users"})
	if err == nil || ex.Err == "" || len(srv.requests()) != 0 {
		t.Fatalf("got %+v, %v; want an error and no SCIM request", ex, err)
	}
	// Both the token exchange and the failed SCIM request are captured.
	if got := rec.Exchanges(); len(got) != 2 || got[0].Status() != 401 {
		t.Errorf("captured %v", got)
	}
}
