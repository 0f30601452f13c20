package main

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/store/memory"
)

func sha(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// TestConfigHuddleBoard: the tenant keys of Huddle and Board companies
// (actors, email_domains, clients, permission_groups, metadata) reach the
// server from the --config file.
func TestConfigHuddleBoard(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	yaml := `tenants:
  - id: "123"
    profile: huddle
    token_sha256: ["` + sha("admin") + `"]
    actors:
      - {name: viewer, token_sha256: "` + sha("viewer") + `", provisioning: false}
    email_domains: [example.com]
    clients:
      - {id: frooty, secret_sha256: "` + sha("cherry") + `", provisioning: true, token_minutes: 5}
  - id: hub
    profile: board
    clients:
      - {id: idp, secret_sha256: "` + sha("s") + `", scim: true, token_minutes: 259200}
    permission_groups:
      - {name: Planners, default: true}
    metadata: [name.givenName]
`
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	tenants, err := loadTenants("", cfg)
	if err != nil {
		t.Fatal(err)
	}
	profiles, err := loadProfiles("strict", cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: memory.New(), Tenants: tenants, Providers: profiles,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	do := func(method, path, auth, ct, body string) (int, string) {
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	user := func(name string) string {
		return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + name + `"}`
	}
	form := "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name, method, path, auth, ct, body string
		status                             int
		want                               string
	}{
		{"huddle admin", "POST", "/people/companies/123/users", "OAuth2 admin", "application/scim+json", user("a@example.com"), 201, ""},
		{"huddle viewer", "POST", "/people/companies/123/users", "OAuth2 viewer", "application/scim+json", user("v@example.com"), 403, "provisioning"},
		{"huddle domain", "POST", "/people/companies/123/users", "OAuth2 admin", "application/scim+json", user("a@other.org"), 403, "not authorized"},
		{"huddle client token", "POST", "/t/123/connect/token", "", form, url.Values{"grant_type": {"client_credentials"}, "client_id": {"frooty"}, "client_secret": {"cherry"}}.Encode(), 200, `"expires_in":300`},
		{"board token", "POST", "/t/hub/connect/token", "", form, url.Values{"grant_type": {"client_credentials"}, "client_id": {"idp"}, "client_secret": {"s"}, "scope": {"board-scim"}}.Encode(), 200, `"expires_in":15552000`},
	} {
		status, body := do(tc.method, tc.path, tc.auth, tc.ct, tc.body)
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s; want %d with %q", tc.name, status, body, tc.status, tc.want)
		}
	}

	for _, bad := range []struct{ yaml, want string }{
		{"tenants:\n  - {id: a, profile: board, clients: [{id: x, secret_sha256: \"" + sha("s") + "\", token_minutes: 259201}]}\n", "259200"},
		{"tenants:\n  - {id: a, profile: humbol, email_domains: [x.com]}\n", "takes no"},
		{"tenants:\n  - {id: a, profile: board, email_domains: [x.com]}\n", "Huddle settings"},
		{"tenants:\n  - {id: a, profile: huddle, actors: [{name: v, token_sha256: nothex}]}\n", "64 hex"},
		{"tenants:\n  - {id: a, profile: board, permission_groups: [{name: A, default: true}, {name: B, default: true}]}\n", "only one default"},
		{"tenants:\n  - {id: a, profile: board, clients: [{id: x, secret: s}]}\n", "secret"},
	} {
		p := filepath.Join(t.TempDir(), "bad.yaml")
		os.WriteFile(p, []byte(bad.yaml), 0o600)
		_, err := loadProfiles("strict", p)
		if err == nil {
			_, err = loadTenants("x", p)
		}
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: err %v, want %q", bad.yaml, err, bad.want)
		}
	}
}
