package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimharness/scimharness/server/broken"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine to write while
// the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func noEnv(string) string { return "" }

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", nil, exitUsage, "Usage:"},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"unknown flag", []string{"serve", "--bogus"}, exitUsage, "scimharness serve: unknown flag --bogus\nrun 'scimharness serve -h' for its flags\n"},
		{"extra argument", []string{"serve", "--token", "x", "extra"}, exitUsage, `unexpected argument "extra"`},
		{"no token", []string{"serve"}, exitUsage, "no token"},
		{"non-loopback without TLS", []string{"serve", "--token", "x", "--addr", "0.0.0.0:0"}, exitUsage, "not a loopback address"},
		{"half TLS", []string{"serve", "--token", "x", "--tls-cert", "c.pem"}, exitUsage, "--tls-cert and --tls-key go together"},
		{"bad log level", []string{"serve", "--token", "x", "--log-level", "loud"}, exitUsage, "--log-level"},
		{"missing config", []string{"serve", "--config", "/nonexistent/x.yaml"}, exitUsage, "--config"},
		{"help", []string{"help"}, exitOK, ""},
		{"serve help says ephemeral", []string{"serve", "-h"}, exitOK, "LOST when the server stops"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tc.args, &out, &errb, noEnv)
			if code != tc.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tc.code, errb.String())
			}
			if !strings.Contains(out.String()+errb.String(), tc.want) {
				t.Errorf("output lacks %q:\nstdout: %s\nstderr: %s", tc.want, out.String(), errb.String())
			}
		})
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"version"}, &out, io.Discard, noEnv); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.HasPrefix(out.String(), "scimharness ") {
		t.Errorf("version output %q", out.String())
	}
}

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte(`tenants:
  - id: acme
    tokens: ["acme-secret"]
  - id: globex
    token_sha256: ["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]
`), 0o600)
	tn, err := loadTenants("", good)
	if err != nil {
		t.Fatal(err)
	}
	if !tn.Allowed("acme", "acme-secret") || tn.Allowed("acme", "other") {
		t.Error("acme token not honoured exactly")
	}
	if !tn.Allowed("globex", "test") { // sha256("test") is the hash above
		t.Error("globex hash not honoured")
	}
	if tn.Allowed("default", "acme-secret") {
		t.Error("a tenant's token opened the default tenant")
	}
	for name, body := range map[string]string{
		"unknown key": "tenants:\n  - id: a\n    tokenz: [x]\n",
		"bad hash":    "tenants:\n  - id: a\n    token_sha256: [abc]\n",
		"no id":       "tenants:\n  - tokens: [x]\n",
		"bad id":      "tenants:\n  - id: \"a/b\"\n    tokens: [x]\n",
		"no tokens":   "tenants:\n  - id: a\n",
		"not yaml":    "tenants: [: :\n",
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
		os.WriteFile(p, []byte(body), 0o600)
		if _, err := loadTenants("", p); err == nil {
			t.Errorf("%s: config accepted", name)
		}
	}
}

// TestServeLifecycle runs `scimharness serve` as the README does, creates,
// finds, patches and deletes a user over real HTTP, then stops it the way
// SIGINT does and expects a clean exit.
func TestServeLifecycle(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan int, 1)
	env := func(k string) string {
		if k == "SCIM_TOKEN" {
			return "from-env"
		}
		return ""
	}
	go func() { done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, io.Discard, &stderr, env) }()

	urlRe := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/scim/v2)`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := urlRe.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("server did not start; stderr:\n%s", stderr.String())
	}

	call := func(method, path, body string, want int) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer from-env")
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, raw)
		}
		var m map[string]any
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatalf("%s %s: body is not JSON: %s", method, path, raw)
			}
		}
		return m
	}
	u := call("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com","name":{"givenName":"Barbara","familyName":"Jensen"},"active":true}`, 201)
	id, _ := u["id"].(string)
	if id == "" {
		t.Fatalf("no id in %v", u)
	}
	found := call("GET", `/Users?filter=userName+eq+%22BJENSEN@example.com%22`, "", 200)
	if found["totalResults"] != float64(1) {
		t.Fatalf("filter found %v", found["totalResults"])
	}
	p := call("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`, 200)
	if p["active"] != false {
		t.Errorf("PATCH active = %v", p["active"])
	}
	call("DELETE", "/Users/"+id, "", 204)
	call("GET", "/Users/"+id, "", 404)
	call("GET", "/Users", "", 200)

	// The token never reaches the log.
	if strings.Contains(stderr.String(), "from-env") {
		t.Error("the bearer token appears in the log")
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("serve exited %d after shutdown; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

// TestServeHelpHidesToken: -h prints flag defaults, so a token taken from
// the environment must not be one.
func TestServeHelpHidesToken(t *testing.T) {
	var out, errb bytes.Buffer
	env := func(k string) string {
		if k == "SCIM_TOKEN" {
			return "super-secret-token-value"
		}
		return ""
	}
	if code := run(context.Background(), []string{"serve", "-h"}, &out, &errb, env); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if strings.Contains(out.String()+errb.String(), "super-secret-token-value") {
		t.Error("serve -h printed the token from SCIM_TOKEN")
	}
}

// TestServeBugList: serve --bug list prints every bug of the catalog, one
// a line, with the checks that must see it (ci/conform-process.sh reads it).
func TestServeBugList(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--bug", "list"}, &out, &errb, noEnv); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	all := broken.All()
	if len(lines) != len(all) {
		t.Fatalf("%d lines for %d bugs:\n%s", len(lines), len(all), out.String())
	}
	for i, b := range all {
		want := b.Name + "\tfails=" + strings.Join(b.Fails, ",") + "\twarns=" + strings.Join(b.Warns, ",")
		if lines[i] != want {
			t.Errorf("line %d = %q, want %q", i+1, lines[i], want)
		}
	}
}
