package main

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/store/memory"
)

// runToken runs `scimharness token args…` and returns the exit code, stdout
// and stderr.
func runToken(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := token(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// statusWith loads the config file as serve does and answers whether the
// token opens tenant's /Users.
func statusWith(t *testing.T, cfg, tenant, tok string) int {
	t.Helper()
	tenants, err := loadTenants("", cfg)
	if err != nil {
		t.Fatalf("loading %s: %v", cfg, err)
	}
	srv, err := server.New(server.Config{Store: memory.New(), Tenants: tenants, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	req, _ := http.NewRequest("GET", ts.URL+"/t/"+tenant+"/scim/v2/Users", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestTokenLifecycle: Humbol's "tokens created by an admin command, shown
// once, stored hashed, revocable" (seed 000), against a config file that
// already holds another tenant and a comment.
func TestTokenLifecycle(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "tenants.yaml")
	const orig = "# tenants of the test\ntenants:\n  - id: other # keep me\n    token_sha256: [\"" +
		"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"]\n    profile: humbol\n"
	if err := os.WriteFile(cfg, []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}

	code, tok, stderr := runToken(t, "", "create", "--config", cfg, "--tenant", "acme")
	if code != exitOK {
		t.Fatalf("create: exit %d: %s", code, stderr)
	}
	tok = strings.TrimSpace(tok)
	if len(tok) < 40 || strings.ContainsAny(tok, " \n") {
		t.Fatalf("create printed %q; want one random token", tok)
	}
	if strings.Contains(stderr, tok) {
		t.Errorf("the token was also written to stderr: %s", stderr)
	}
	raw, _ := os.ReadFile(cfg)
	h := server.HashToken(tok)
	hexHash := strings.ToLower(strings.TrimSpace(bytesHex(h[:])))
	if strings.Contains(string(raw), tok) {
		t.Fatalf("the token itself landed in the file:\n%s", raw)
	}
	if !strings.Contains(string(raw), hexHash) {
		t.Fatalf("the token's hash is not in the file:\n%s", raw)
	}
	for _, keep := range []string{"# tenants of the test", "keep me", "profile: humbol", "9f86d081"} {
		if !strings.Contains(string(raw), keep) {
			t.Errorf("the edit lost %q:\n%s", keep, raw)
		}
	}
	if st, _ := os.Stat(cfg); st.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600 kept", st.Mode().Perm())
	}

	// A second token for the same tenant is appended, not replacing.
	code, tok2, _ := runToken(t, "", "create", "--config", cfg, "--tenant", "acme")
	tok2 = strings.TrimSpace(tok2)
	if code != exitOK || tok2 == tok {
		t.Fatalf("second create: exit %d, token %q (first %q)", code, tok2, tok)
	}

	code, list, _ := runToken(t, "", "list", "--config", cfg)
	if code != exitOK || !strings.Contains(list, "acme\t"+hexHash) || strings.Contains(list, tok) || strings.Contains(list, tok2) {
		t.Fatalf("list: exit %d:\n%s", code, list)
	}

	if s := statusWith(t, cfg, "acme", tok); s != http.StatusOK {
		t.Fatalf("new token: status %d, want 200", s)
	}
	if s := statusWith(t, cfg, "other", tok); s != http.StatusUnauthorized {
		t.Fatalf("new token on another tenant: status %d, want 401", s)
	}

	code, _, stderr = runToken(t, "", "revoke", "--config", cfg, "--tenant", "acme", "--token-sha256", hexHash)
	if code != exitOK {
		t.Fatalf("revoke: exit %d: %s", code, stderr)
	}
	if s := statusWith(t, cfg, "acme", tok); s != http.StatusUnauthorized {
		t.Fatalf("revoked token: status %d, want 401", s)
	}
	if s := statusWith(t, cfg, "acme", tok2); s != http.StatusOK {
		t.Fatalf("the other token after revoking the first: status %d, want 200", s)
	}

	// Revoke by the token itself, read from stdin.
	code, _, stderr = runToken(t, tok2+"\n", "revoke", "--config", cfg, "--tenant", "acme", "--token-stdin")
	if code != exitOK {
		t.Fatalf("revoke --token-stdin: exit %d: %s", code, stderr)
	}
	if s := statusWith(t, cfg, "acme", tok2); s != http.StatusUnauthorized {
		t.Fatalf("token revoked from stdin: status %d, want 401", s)
	}
}

func bytesHex(b []byte) string {
	const digits = "0123456789abcdef"
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(digits[c>>4])
		sb.WriteByte(digits[c&15])
	}
	return sb.String()
}

func TestTokenErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	fresh := filepath.Join(dir, "new.yaml")
	if err := os.WriteFile(cfg, []byte("tenants:\n  - id: acme\n    token_sha256: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no subcommand", nil, exitUsage, "Usage:"},
		{"unknown subcommand", []string{"mint", "--config", cfg}, exitUsage, "unknown subcommand"},
		{"no config", []string{"create", "--tenant", "acme"}, exitUsage, "--config is required"},
		{"no tenant", []string{"create", "--config", cfg}, exitUsage, "--tenant is required"},
		{"bad tenant id", []string{"create", "--config", cfg, "--tenant", "a b"}, exitUsage, "tenant id"},
		{"revoke without a token", []string{"revoke", "--config", cfg, "--tenant", "acme"}, exitUsage, "--token-sha256 or --token-stdin"},
		{"revoke a bad hash", []string{"revoke", "--config", cfg, "--tenant", "acme", "--token-sha256", "xyz"}, exitUsage, "64 hex digits"},
		{"revoke an unknown hash", []string{"revoke", "--config", cfg, "--tenant", "acme", "--token-sha256", strings.Repeat("ab", 32)}, exitFail, "has no token"},
		{"revoke on an unknown tenant", []string{"revoke", "--config", cfg, "--tenant", "nope", "--token-sha256", strings.Repeat("ab", 32)}, exitFail, "not in"},
		{"create makes a missing file", []string{"create", "--config", fresh, "--tenant", "acme"}, exitOK, "shown once"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runToken(t, "", tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
	if _, err := readFileConfig(fresh); err != nil {
		t.Fatalf("the created file is not a valid config: %v", err)
	}
	if st, _ := os.Stat(fresh); st.Mode().Perm() != 0o600 {
		t.Errorf("a created file has mode %v, want 0600", st.Mode().Perm())
	}
}
