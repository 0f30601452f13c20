package target_test

import (
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/target"
)

// TestProbe: the probe stops a run that cannot work — with the base URL
// the server suggests when the path is wrong — and lets through a server
// that merely lacks /ServiceProviderConfig.
func TestProbe(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/scim/v2/ServiceProviderConfig", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer good" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{"patch":{"supported":true}}`)
	})
	mux.HandleFunc("/other/ServiceProviderConfig", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404","detail":"no SCIM endpoint at /other/ServiceProviderConfig; the base URL is /api/scim"}`)
	})
	mux.HandleFunc("/", http.NotFound) // plain 404: nothing to suggest
	ts := httptest.NewServer(mux)
	defer ts.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	for _, tc := range []struct {
		name, base, token string
		want              string // "" passes
	}{
		{"right", ts.URL + "/scim/v2", "good", ""},
		{"wrong base: /v2 answers", ts.URL + "/scim", "good", "the server answers at " + ts.URL + "/scim/v2: use --url " + ts.URL + "/scim/v2"},
		{"wrong base: the 404 says where", ts.URL + "/other", "good", "the server says: no SCIM endpoint at /other/ServiceProviderConfig; the base URL is /api/scim"},
		{"no /ServiceProviderConfig, no hint", ts.URL + "/nothing/v2", "good", ""},
		{"wrong token", ts.URL + "/scim/v2", "bad", "refused the credentials (401 on GET /ServiceProviderConfig)"},
		{"unreachable", dead.URL + "/scim/v2", "good", "cannot reach " + dead.URL + "/scim/v2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := target.Connect(context.Background(), target.Config{BaseURL: tc.base, Token: tc.token})
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("err %v, want none", err)
			case tc.want != "" && (err == nil || !errors.Is(err, target.ErrProbe) || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("err %v, want ErrProbe with %q", err, tc.want)
			}
		})
	}
}

// TestFlags: the shared flags give the same Config (and the same usage
// errors) for every command; secrets come from the environment only when
// no flag gives them.
func TestFlags(t *testing.T) {
	env := map[string]string{target.EnvToken: "from-env", target.EnvClientSecret: "secret-env"}
	getenv := func(k string) string { return env[k] }
	for _, tc := range []struct {
		name string
		args []string
		want func(target.Config) bool
		err  string
	}{
		{"defaults", []string{"--url", "http://127.0.0.1/scim/v2"}, func(c target.Config) bool {
			return c.Token == "from-env" && c.Retries == target.DefaultRetries && c.Timeout == client.DefaultTimeout && c.OAuth2 == nil
		}, ""},
		{"token flag wins", []string{"--token", "flag"}, func(c target.Config) bool { return c.Token == "flag" }, ""},
		{"oauth2", []string{"--oauth2-token-url", "http://127.0.0.1/t", "--oauth2-client-id", "id"}, func(c target.Config) bool {
			return c.OAuth2 != nil && c.OAuth2.ClientSecret == "secret-env" && c.Token == ""
		}, ""},
		{"oauth2 half", []string{"--oauth2-client-id", "id"}, nil, "OAuth 2.0 needs --oauth2-token-url"},
		{"oauth2 and token", []string{"--token", "x", "--oauth2-token-url", "http://127.0.0.1/t", "--oauth2-client-id", "id"}, nil, "not both"},
		{"negative retries", []string{"--retries", "-1"}, nil, "--retries -1 is negative"},
		{"zero timeout", []string{"--timeout", "0s"}, nil, "must be positive"},
		{"odd prefix", []string{"--prefix", "a b"}, nil, "--prefix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("x", flag.ContinueOnError)
			f := target.AddFlags(fs, target.FlagSpec{What: "x", OAuth2: true, Retries: true})
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			c, err := f.Config(getenv)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !tc.want(c) {
				t.Errorf("config %+v, err %v", c, err)
			}
		})
	}
}

// TestCheck: consent before writing to a server that is not on this
// machine, credentials required; nothing is sent.
func TestCheck(t *testing.T) {
	// The compiled suite has no --yes flag: its message names the variable.
	fromEnv := target.ConfigFromEnv(func(k string) string {
		return map[string]string{target.EnvBaseURL: "https://scim.example.com/v2", target.EnvToken: "t"}[k]
	})
	if err := fromEnv.Check(); err == nil || !strings.Contains(err.Error(), "set SCIM_YES=1 to consent") || strings.Contains(err.Error(), "--yes") {
		t.Errorf("from the environment: %v", err)
	}
	for _, tc := range []struct {
		name    string
		cfg     target.Config
		consent bool
		err     string
	}{
		{"remote without consent", target.Config{BaseURL: "https://scim.example.com/v2", Token: "t"}, true, "pass --yes (or set SCIM_YES=1) to consent"},
		{"remote with consent", target.Config{BaseURL: "https://scim.example.com/v2", Token: "t", Yes: true}, false, ""},
		{"loopback", target.Config{BaseURL: "http://localhost:1/v2", Token: "t"}, false, ""},
		{"no credentials", target.Config{BaseURL: "http://127.0.0.1:1/v2"}, false, "no credentials"},
		{"not a URL", target.Config{BaseURL: "ftp://x", Token: "t"}, false, "not an absolute http(s) URL"},
	} {
		err := tc.cfg.Check()
		if errors.Is(err, target.ErrConsent) != tc.consent || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: err %v", tc.name, err)
		}
	}
}
