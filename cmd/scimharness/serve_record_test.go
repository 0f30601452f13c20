package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimharness/scimharness/certify/record"
	"github.com/scimharness/scimharness/server"
)

// startRecordingServe runs `serve args…` until the test's stop; it returns the
// server's root URL and a stop function that returns serve's stderr.
func startRecordingServe(t *testing.T, args []string, env func(string) string) (string, func() string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), io.Discard, &stderr, env)
	}()
	urlRe := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)/scim/v2`)
	var root string
	for deadline := time.Now().Add(10 * time.Second); root == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := urlRe.FindStringSubmatch(stderr.String()); m != nil {
			root = m[1]
		}
	}
	if root == "" {
		cancel()
		t.Fatalf("server did not start; stderr:\n%s", stderr.String())
	}
	stopped := false
	stop := func() string {
		if !stopped {
			stopped = true
			cancel()
			select {
			case code := <-done:
				if code != exitOK {
					t.Errorf("serve exited %d; stderr:\n%s", code, stderr.String())
				}
			case <-time.After(15 * time.Second):
				t.Fatal("serve did not shut down")
			}
		}
		return stderr.String()
	}
	t.Cleanup(func() { stop() })
	return root, stop
}

// openFilesIn counts this process's descriptors open on files in dir.
func openFilesIn(t *testing.T, dir string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	n := 0
	for _, fd := range fds {
		if p, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasPrefix(p, dir+string(filepath.Separator)) {
			n++
		}
	}
	return n
}

func do(t *testing.T, method, url, token string, hdr map[string]string, body string) int {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Issue 14 #4, #6, #7 and #8 through `serve --record`: anonymous clients
// open one file between them, bounded and apart from the tenants', and
// fill no recording (they are counted in the log); a
// tenant's token from --config — in plain or only as its hash — is
// replaced wherever a client puts it, also in another tenant's recording;
// a password spelled "paſsword" is not kept; bodies are kept up to
// --max-body-bytes, marked truncated.
func TestServeRecordKeepsOnlyAuthenticatedAndRedacted(t *testing.T) {
	const (
		defTok    = "serve-default-Tok-5b1e0a77"
		acmeTok   = "serve-acme-Tok-c0ffee4242"
		globexTok = "serve-globex-Tok-hashed-9d9d"
		longS     = "LongS-Secret-Value-31337"
	)
	gh := server.HashToken(globexTok)
	cfg := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(cfg, []byte("tenants:\n  - id: acme\n    tokens: [\""+acmeTok+"\"]\n  - id: globex\n    token_sha256: [\""+hex.EncodeToString(gh[:])+"\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "rec")
	root, stop := startRecordingServe(t, []string{"--token", defTok, "--config", cfg, "--record", dir, "--max-body-bytes", "2000"}, noEnv)

	// An anonymous flood naming a new tenant each time (issue 14 #4: 20,400
	// such requests took the process to 19,999 descriptors), with acme's
	// real client working through it.
	const anonymous = 4000
	start := time.Now()
	var wg sync.WaitGroup
	next := make(chan int)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if code := do(t, "GET", root+"/t/anon"+strconv.Itoa(i)+"/scim/v2/Users", "", nil, ""); code != http.StatusUnauthorized {
					t.Errorf("anonymous request: %d", code)
				}
			}
		}()
	}
	for i := range anonymous {
		next <- i
		if i%1000 == 0 {
			if code := do(t, "GET", root+"/t/acme/scim/v2/ServiceProviderConfig", acmeTok, nil, ""); code != http.StatusOK {
				t.Errorf("acme's client during the flood: %d", code)
			}
		}
	}
	close(next)
	wg.Wait()
	if n := openFilesIn(t, dir); n > 2 {
		t.Errorf("%d recording files open after the flood, want 2 (acme's and the anonymous file)", n)
	}
	t.Logf("%d anonymous requests in %v", anonymous, time.Since(start))
	do(t, "GET", root+"/t/globex/../acme/scim/v2/Users", "", nil, "")
	// The default tenant's client carries acme's token in a query
	// parameter, before acme's client ever spoke: a literal from --config.
	do(t, "GET", root+"/scim/v2/Users?ref="+acmeTok, defTok, nil, "")
	acme := root + "/t/acme/scim/v2"
	do(t, "GET", acme+"/Users", acmeTok, map[string]string{"X-Ref": "x " + acmeTok}, "")
	do(t, "GET", acme+"/Users/"+acmeTok, acmeTok, nil, "")
	user := func(name, extra string) string {
		return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + name + `"` + extra + `}`
	}
	do(t, "POST", acme+"/Users", acmeTok, nil, user("s1", `,"pa\u017Fsword":"`+longS+`"`))
	do(t, "POST", acme+"/Users", acmeTok, nil, user("s2", `,"pa`+"\u017F"+`sword":"`+longS+`"`))
	if code := do(t, "POST", acme+"/Users", acmeTok, nil, user("big", `,"displayName":"`+strings.Repeat("x", 5000)+`"`)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a 5 KB body over --max-body-bytes 2000: %d, want 413", code)
	}
	// globex's token is known only as its hash: learnt when it
	// authenticates.
	do(t, "GET", root+"/t/globex/scim/v2/Users?x="+globexTok, globexTok, map[string]string{"X-Also": globexTok}, "")
	logs := stop()

	files, _ := filepath.Glob(filepath.Join(dir, "*"+record.Ext))
	if len(files) != 3 {
		t.Fatalf("recording files %v, want default's, acme's and globex's only", files)
	}
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		for _, secret := range []string{defTok, acmeTok, globexTok, longS} {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("%s holds the secret %q", filepath.Base(f), secret)
			}
		}
	}
	anon, _ := filepath.Glob(filepath.Join(dir, record.AnonymousDir, "*"))
	if len(anon) != 1 {
		t.Fatalf("anonymous files %v, want one", anon)
	}
	raw, _ := os.ReadFile(anon[0])
	if len(raw) == 0 || len(raw) > record.DefaultMaxAnonymousBytes || bytes.Contains(raw, []byte(acmeTok)) || bytes.Contains(raw, []byte(defTok)) {
		t.Errorf("the anonymous file: %d bytes (want 1 to %d), with a token: %v", len(raw), record.DefaultMaxAnonymousBytes,
			bytes.Contains(raw, []byte(acmeTok)) || bytes.Contains(raw, []byte(defTok)))
	}
	recs, err := record.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, rc := range recs {
		for _, e := range rc.Entries {
			n[rc.Tenant]++
			if e.Response.Status == http.StatusUnauthorized {
				t.Errorf("%s: an unauthenticated exchange was recorded: %s", rc.Tenant, e)
			}
			if e.Response.Status == http.StatusRequestEntityTooLarge && (!e.Truncated || len(e.Request.Body) > 2000) {
				t.Errorf("the 413's request body: %d bytes kept, truncated %v; want at most 2000, truncated", len(e.Request.Body), e.Truncated)
			}
		}
	}
	if n["default"] != 1 || n["acme"] != 9 || n["globex"] != 1 {
		t.Errorf("entries per tenant %v, want default 1, acme 9 (4 during the flood), globex 1", n)
	}
	if !strings.Contains(logs, "without_valid_token="+strconv.Itoa(anonymous+1)) {
		t.Errorf("the log does not count the %d anonymous exchanges:\n%s", anonymous+1, logs)
	}
}

// Two `serve` processes sharing SCIM_TOKEN_KEY and --config accept each
// other's OAuth2 access tokens (issue 14, "Several replicas"); a key too
// short to be a secret is refused.
func TestServeReplicasShareAccessTokens(t *testing.T) {
	sum := server.HashToken("board-idp-secret")
	cfg := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(cfg, []byte("tenants:\n  - id: hub\n    profile: board\n    clients:\n      - {id: idp, secret_sha256: \""+hex.EncodeToString(sum[:])+"\", scim: true, token_minutes: 60}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string {
		if k == "SCIM_TOKEN_KEY" {
			return "replica-key-0123456789abcdef0123456789"
		}
		return ""
	}
	a, _ := startRecordingServe(t, []string{"--config", cfg}, env)
	b, _ := startRecordingServe(t, []string{"--config", cfg}, env)
	resp, err := http.PostForm(a+"/t/hub/connect/token", map[string][]string{"grant_type": {"client_credentials"},
		"client_id": {"idp"}, "client_secret": {"board-idp-secret"}, "scope": {"board-scim"}})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`"access_token":"([^"]+)"`).FindSubmatch(raw)
	if m == nil {
		t.Fatalf("token from replica a: %d %s", resp.StatusCode, raw)
	}
	if code := do(t, "GET", b+"/t/hub/scim/Users", string(m[1]), nil, ""); code != http.StatusOK {
		t.Errorf("replica b with replica a's token: %d, want 200", code)
	}

	var stderr bytes.Buffer
	short := func(k string) string {
		if k == "SCIM_TOKEN_KEY" {
			return "short"
		}
		return ""
	}
	if code := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--config", cfg}, io.Discard, &stderr, short); code != exitUsage || !strings.Contains(stderr.String(), "SCIM_TOKEN_KEY") {
		t.Errorf("a 5-byte SCIM_TOKEN_KEY: exit %d, %s; want a usage error", code, stderr.String())
	}
}
