package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// statusWithin polls tenant acme's /Users with tok until it answers want or
// the time is up, and returns the last status.
func statusWithin(t *testing.T, root, tok string, want int, d time.Duration) int {
	t.Helper()
	var got int
	for end := time.Now().Add(d); ; time.Sleep(100 * time.Millisecond) {
		if got = do(t, "GET", root+"/t/acme/scim/v2/Users", tok, nil, ""); got == want || time.Now().After(end) {
			return got
		}
	}
}

// TestServeReloadsTokens ("several replicas", issue 14): `token create` and
// `token revoke` take effect on a running serve without a restart; a broken
// file is refused, the tokens in use stay, and the log says why in the
// file's terms; no token reaches the log.
func TestServeReloadsTokens(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "tenants.yaml")
	code, first, _ := runToken(t, "", "create", "--config", cfg, "--tenant", "acme")
	if code != exitOK {
		t.Fatalf("token create: exit %d", code)
	}
	first = strings.TrimSpace(first)
	root, stop := startRecordingServe(t, []string{"--config", cfg}, noEnv)
	if got := do(t, "GET", root+"/t/acme/scim/v2/Users", first, nil, ""); got != http.StatusOK {
		t.Fatalf("the token of the file at start: %d, want 200", got)
	}

	code, second, _ := runToken(t, "", "create", "--config", cfg, "--tenant", "acme")
	if code != exitOK {
		t.Fatalf("token create: exit %d", code)
	}
	second = strings.TrimSpace(second)
	if got := statusWithin(t, root, second, http.StatusOK, 5*time.Second); got != http.StatusOK {
		t.Fatalf("a token created while serve runs: %d after 5 s, want 200", got)
	}

	if code, _, errs := runToken(t, first+"\n", "revoke", "--config", cfg, "--tenant", "acme", "--token-stdin"); code != exitOK {
		t.Fatalf("token revoke: exit %d: %s", code, errs)
	}
	if got := statusWithin(t, root, first, http.StatusUnauthorized, 5*time.Second); got != http.StatusUnauthorized {
		t.Fatalf("a token revoked while serve runs: %d after 5 s, want 401", got)
	}
	if got := do(t, "GET", root+"/t/acme/scim/v2/Users", second, nil, ""); got != http.StatusOK {
		t.Fatalf("the token not revoked: %d, want 200", got)
	}

	// A broken file (an unknown key) is refused as a whole: the second
	// token, which it no longer lists, keeps working.
	if err := os.WriteFile(cfg, []byte("tenants:\n  - id: acme\n    tokenz: [x]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * configPoll)
	if got := do(t, "GET", root+"/t/acme/scim/v2/Users", second, nil, ""); got != http.StatusOK {
		t.Fatalf("after a broken config: %d, want 200 (the old tokens kept)", got)
	}
	logs := stop()
	for _, want := range []string{"tokens_added=1", "tokens_revoked=1", "config not reloaded", `unknown key \"tokenz\" in a tenant`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q:\n%s", want, logs)
		}
	}
	for _, tok := range []string{first, second} {
		if strings.Contains(logs, tok) {
			t.Errorf("a token reached the log:\n%s", logs)
		}
	}
}
