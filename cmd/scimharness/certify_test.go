package main

import (
	"bytes"
	"context"
	"github.com/scimharness/scimharness/certify"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/simulators/okta"
)

const recordToken = "rec-T0ken-9f8e7d6c5b4a-distinctive"

// recordOkta runs `serve --record DIR`, drives the Okta simulator against
// it, stops the server and returns DIR.
func recordOkta(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rec")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan int, 1)
	env := func(k string) string {
		if k == "SCIM_TOKEN" {
			return recordToken
		}
		return ""
	}
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--record", dir}, io.Discard, &stderr, env)
	}()
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
	c, err := client.New(okta.ClientConfig(client.Config{BaseURL: base, Token: recordToken}))
	if err != nil {
		t.Fatal(err)
	}
	// An OIN app, whose path-less PATCHes the replay below must send.
	okta.Run(ctx, c, okta.Options{Users: 2, Groups: 1, App: okta.AppOIN}, scenario.Options{Keep: true})
	// A token in a query string must not reach the recording either.
	req, _ := http.NewRequest("GET", base+"/ServiceProviderConfig?access_token="+recordToken, nil)
	req.Header.Set("Authorization", "Bearer "+recordToken)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("serve exited %d; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
	return dir
}

func TestServeRecordCertifyReplay(t *testing.T) {
	dir := recordOkta(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if len(files) != 1 || !strings.HasPrefix(filepath.Base(files[0]), "default-") {
		t.Fatalf("recording files %v", files)
	}
	raw, _ := os.ReadFile(files[0])
	if bytes.Contains(raw, []byte(recordToken)) || bytes.Contains(raw, []byte("9f8e7d6c5b4a")) {
		t.Fatal("the recording contains the token")
	}

	// certify: the query-string token is a quirk (RFC 6750 §2.3: SHOULD NOT,
	// issue 16's level rule): "certified with quirks", exit 0.
	out := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"certify", dir, "--report-dir", out}, &stdout, &stderr, noEnv)
	if code != exitOK {
		t.Errorf("certify exited %d, want 0 (a quirk: token in query); stdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"token-in-query", "lifecycle coverage", "looks like okta", "certified with quirks", "never"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("certify output lacks %q:\n%s", want, stdout.String())
		}
	}
	for _, f := range []string{report.HTMLFile, report.JSONFile, report.JUnitFile, "certification.json"} {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Error(err)
			continue
		}
		if bytes.Contains(b, []byte(recordToken)) {
			t.Errorf("%s contains the token", f)
		}
	}

	// replay: passes against the reference server, fails against a broken one.
	ref := newTarget(t, handler(t, ""))
	stdout.Reset()
	stderr.Reset()
	code = run(context.Background(), []string{"replay", dir, "--url", ref.base(), "--token", testToken}, &stdout, &stderr, noEnv)
	if code != exitOK {
		t.Errorf("replay against the reference server exited %d:\n%s\n%s", code, stdout.String(), stderr.String())
	}
	// replay --keep says which prefix the kept data carries.
	stdout.Reset()
	code = run(context.Background(), []string{"replay", dir, "--url", ref.base(), "--token", testToken, "--keep", "--prefix", "scimh-replay01"}, &stdout, &stderr, noEnv)
	if code != exitOK || !strings.Contains(stdout.String(), "kept what the replay created: prefix scimh-replay01") {
		t.Errorf("replay --keep exited %d without the prefix:\n%s", code, stdout.String())
	}
	// ... and the cleanup command it prints removes that data, as written.
	if code, out, errs := runPrintedCleanup(t, stdout.String()); code != exitOK || !strings.Contains(out, "resources with the prefix scimh-replay01 deleted") {
		t.Errorf("the printed cleanup: exit %d\n%s\n%s", code, out, errs)
	}
	// A wrong token: one line, exit 2, nothing replayed.
	stdout.Reset()
	stderr.Reset()
	code = run(context.Background(), []string{"replay", dir, "--url", ref.base(), "--token", "wrong"}, &stdout, &stderr, noEnv)
	if code != exitUsage || stdout.Len() != 0 || strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("replay with a wrong token exited %d:\n%s\n%s", code, stdout.String(), stderr.String())
	}
	bad := newTarget(t, handler(t, "rejects-pathless-replace"))
	stdout.Reset()
	code = run(context.Background(), []string{"replay", dir, "--url", bad.base(), "--token", testToken}, &stdout, &stderr, noEnv)
	if code != exitFail {
		t.Errorf("replay against a broken server exited %d, want 1:\n%s", code, stdout.String())
	}
}

func TestCertifyCleanRecordingExitsZero(t *testing.T) {
	dir := recordOkta(t)
	// Drop the deliberate query-string token request: the rest is Okta's.
	files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	raw, _ := os.ReadFile(files[0])
	var keep []string
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if !strings.Contains(line, "access_token") {
			keep = append(keep, line)
		}
	}
	if err := os.WriteFile(files[0], []byte(strings.Join(keep, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"certify", files[0]}, &stdout, &stderr, noEnv); code != exitOK {
		t.Errorf("certify exited %d:\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "certified") || strings.Contains(stdout.String(), "not certified") {
		t.Errorf("output:\n%s", stdout.String())
	}
}

func TestCertifyReplayUsage(t *testing.T) {
	empty := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"certify without a directory", []string{"certify"}, "want one recording"},
		{"certify of an empty directory", []string{"certify", empty}, "no recordings"},
		{"certify of a missing path", []string{"certify", "/nonexistent/rec"}, "no such file"},
		{"certify bad flag", []string{"certify", empty, "--bogus"}, "unknown flag --bogus"},
		{"replay without url", []string{"replay", empty}, "--url is required"},
		{"replay bad url", []string{"replay", empty, "--url", "ftp://x"}, "not an absolute http(s) URL"},
		{"replay remote without consent", []string{"replay", empty, "--url", "https://scim.example.com/scim/v2"}, "pass --yes"},
		{"replay two dirs", []string{"replay", empty, empty, "--url", "http://127.0.0.1:1/scim/v2"}, "want one recording"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tc.args, &stdout, &stderr, noEnv); code != exitUsage {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.want)
			}
		})
	}
}

// TestCertifyTextGroupsByRule (issue 19): a habit repeated on every request
// is one line with its count and first request; -v lists each finding.
func TestCertifyTextGroupsByRule(t *testing.T) {
	res := certify.Result{Verdict: certify.CertifiedWithQuirks, Fingerprints: []certify.Fingerprint{{IdP: "entra", Behaviour: "b", Count: 1, Source: "s"}}}
	for i, rule := range []string{"patch-op-case", "patch-op-case", "boolean-as-string", "patch-op-case"} {
		res.Findings = append(res.Findings, certify.Finding{Level: certify.Quirk, Rule: rule, Message: "the message", Source: "src", Seq: i + 1, Request: "PATCH /Users/x → 200"})
	}
	var grouped, each bytes.Buffer
	writeCertifyText(&grouped, res, false)
	writeCertifyText(&each, res, true)
	g := grouped.String()
	for _, want := range []string{"patch-op-case ×3, first #1 PATCH", "boolean-as-string ×1, first #3 PATCH", "(1 request; s)"} {
		if !strings.Contains(g, want) {
			t.Errorf("grouped output lacks %q:\n%s", want, g)
		}
	}
	if n := strings.Count(g, "patch-op-case"); n != 1 {
		t.Errorf("patch-op-case printed %d times, want once:\n%s", n, g)
	}
	if n := strings.Count(each.String(), "patch-op-case:"); n != 3 {
		t.Errorf("-v printed patch-op-case %d times, want 3:\n%s", n, each.String())
	}
}
