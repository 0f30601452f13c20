package client

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/wire"
)

// TestNoSecretIsCaptured drives real requests carrying every kind of secret
// through a server that echoes them back, and greps the captured exchanges.
func TestNoSecretIsCaptured(t *testing.T) {
	secrets := []string{"static-bearer-TOKEN-1", "user-PASSWORD-2", "client-SECRET-3", "query-ACCESS-4", "cookie-VALUE-5", "patch-PASSWORD-6", "raw-PASSWORD-7", "tok-1-abcdefgh"}
	echo := func(w http.ResponseWriter, r *http.Request, _ int) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Set-Cookie", "session=cookie-VALUE-5")
		w.Header().Set("Content-Type", scim.MediaType)
		// A careless server echoes everything, including the token.
		json.NewEncoder(w).Encode(map[string]any{
			"detail":   "you sent " + r.Header.Get("Authorization") + " with " + string(b),
			"password": "user-PASSWORD-2",
		})
	}
	srv := newServer(t, echo)
	te := newTokenEndpoint(t, "3600")
	rec := wire.NewRing(100)
	ctx := context.Background()

	static := newClient(t, Config{BaseURL: srv.URL, Token: "static-bearer-TOKEN-1", Capture: rec.Record})
	oauth := newClient(t, Config{BaseURL: srv.URL, Capture: rec.Record, OAuth2: &OAuth2{TokenURL: te.URL, ClientID: "c", ClientSecret: "client-SECRET-3", CredentialsInBody: true}})
	reqs := []Request{
		{Method: "POST", Path: "/Users", Body: map[string]any{"userName": "a", "password": "user-PASSWORD-2"}},
		{Method: "GET", Path: "/Users", Query: url.Values{"access_token": {"query-ACCESS-4"}}},
		{Method: "GET", Path: "/Users", Headers: map[string]string{"Cookie": "session=cookie-VALUE-5"}},
		{Method: "PATCH", Path: "/Users/1", Body: map[string]any{"Operations": []any{map[string]any{"op": "replace", "path": "password", "value": "patch-PASSWORD-6"}}}},
		{Method: "POST", Path: "/Users", RawBody: []byte(`{"userName":"b","password":"raw-PASSWORD-7",`)},
	}
	for _, c := range []*Client{static, oauth} {
		for _, r := range reqs {
			if _, err := c.Do(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The secrets did reach the server: the test is not vacuous.
	var sent strings.Builder
	for _, r := range srv.requests() {
		sent.WriteString(r.uri + r.body + r.header.Get("Authorization") + r.header.Get("Cookie"))
	}
	for _, s := range secrets[:7] {
		if s != "client-SECRET-3" && !strings.Contains(sent.String(), s) {
			t.Errorf("%s never reached the server", s)
		}
	}
	captured, err := json.Marshal(rec.Exchanges())
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Exchanges()) != 11 { // 10 SCIM requests and one token request
		t.Errorf("%d exchanges captured, want 11", len(rec.Exchanges()))
	}
	for _, s := range secrets {
		if strings.Contains(string(captured), s) {
			t.Errorf("captured exchanges contain %q", s)
		}
	}
	if !strings.Contains(string(captured), wire.Redacted) {
		t.Error("nothing was redacted")
	}
}
