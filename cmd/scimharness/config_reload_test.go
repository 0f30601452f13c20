package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
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

// TestServeReloadsProfiles: a tenant's profile in --config changes on a
// running serve for the requests after the change, as its tokens do; a
// file naming an unknown profile is refused as a whole (the profile in
// use stays, one log line says why); a profile that needs routes the
// server was not started with (Huddle's /people/companies/…) is refused
// alone, the tokens of that file applied.
func TestServeReloadsProfiles(t *testing.T) {
	const tok, tok2 = "reload-acme-Tok-7f3e9a1c", "reload-acme-Tok2-b4d2e8f0"
	cfg := filepath.Join(t.TempDir(), "tenants.yaml")
	write := func(profile string, tokens ...string) {
		t.Helper()
		y := "tenants:\n  - id: acme\n    tokens: [\"" + strings.Join(tokens, `", "`) + "\"]\n"
		if profile != "" {
			y += "    profile: " + profile + "\n"
		}
		if err := os.WriteFile(cfg, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("", tok)
	root, stop := startRecordingServe(t, []string{"--config", cfg}, noEnv)
	n := 0
	// noEmails creates a user without emails: 201 on the strict profile,
	// 400 on Holaspirit's, which requires one.
	noEmails := func(token string) int {
		n++
		return do(t, "POST", root+"/t/acme/scim/v2/Users", token, nil,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u`+strconv.Itoa(n)+`@example.com"}`)
	}
	within := func(want int, f func() int) int {
		t.Helper()
		var got int
		for end := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if got = f(); got == want || time.Now().After(end) {
				return got
			}
		}
	}
	if got := noEmails(tok); got != http.StatusCreated {
		t.Fatalf("strict at start: a user without emails: %d, want 201", got)
	}

	write("holaspirit", tok)
	if got := within(http.StatusBadRequest, func() int { return noEmails(tok) }); got != http.StatusBadRequest {
		t.Fatalf("after the profile became holaspirit: a user without emails: %d after 5 s, want 400", got)
	}

	write("nosuch", tok)
	time.Sleep(3 * configPoll)
	if got := noEmails(tok); got != http.StatusBadRequest {
		t.Fatalf("after a config naming an unknown profile: %d, want 400 (holaspirit kept)", got)
	}

	write("huddle", tok, tok2)
	if got := within(http.StatusCreated, func() int { return noEmails(tok2) }); got == http.StatusUnauthorized {
		t.Fatalf("the token added with a profile the server cannot apply running: 401, want it applied")
	}
	if got := noEmails(tok); got != http.StatusBadRequest {
		t.Fatalf("after a config whose profile needs a restart: %d, want 400 (holaspirit kept)", got)
	}
	logs := stop()
	for _, want := range []string{
		"config reloaded: profile", "tenant=acme profile=holaspirit",
		"config not reloaded: keeping the tokens and profiles in use", `profile \"nosuch\"`,
		"config profiles not reloaded: keeping the profiles in use", "/people/companies/{tenant}/users", "restart",
		"tokens_added=1",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q:\n%s", want, logs)
		}
	}
	if c := strings.Count(logs, "config not reloaded"); c != 1 {
		t.Errorf("%d lines say the config was not reloaded, want 1 for the one broken version:\n%s", c, logs)
	}
	for _, s := range []string{tok, tok2} {
		if strings.Contains(logs, s) {
			t.Errorf("a token reached the log:\n%s", logs)
		}
	}
}
