package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimharness/scimharness/harness/report"
)

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb, noEnv)
	return code, out.String(), errb.String()
}

// TestHelpOnStdout: -h, --help and help CMD print the command's help on
// stdout, exit 0, nothing on stderr; help CMD is exactly CMD -h; every flag
// is listed as --x, as the texts spell them.
func TestHelpOnStdout(t *testing.T) {
	singleDash := regexp.MustCompile(`(?m)^  -[a-z]`)
	for cmd := range commands {
		t.Run(cmd, func(t *testing.T) {
			code, want, errs := runCLI(cmd, "-h")
			if code != exitOK || errs != "" || !strings.HasPrefix(want, "Usage:") || !strings.Contains(want[:min(len(want), 40)], "scimharness "+cmd) {
				t.Fatalf("%s -h: exit %d, stderr %q, stdout starts %.60q", cmd, code, errs, want)
			}
			for _, args := range [][]string{{cmd, "--help"}, {"help", cmd}} {
				code, out, errs := runCLI(args...)
				if code != exitOK || errs != "" || out != want {
					t.Errorf("%v: exit %d, stderr %q, stdout differs from %s -h: %v", args, code, errs, cmd, out != want)
				}
			}
			if cmd != "token" && !strings.Contains(want, "\n  --") {
				t.Errorf("%s -h lists no --flags", cmd)
			}
			if m := singleDash.FindString(want); m != "" {
				t.Errorf("%s -h lists a flag with one dash: %q", cmd, m)
			}
		})
	}
	code, out, _ := runCLI("help")
	if code != exitOK || !strings.Contains(out, "go install ./cmd/scimharness") || !strings.Contains(out, "scimharness cleanup") {
		t.Errorf("help: exit %d\n%s", code, out)
	}
}

// TestBadFlag: a mistyped flag gets one line and a hint, exit 2, and no
// help dump (golden).
func TestBadFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"simulate", "--idpp", "entra"}, "scimharness simulate: unknown flag --idpp\nrun 'scimharness simulate -h' for its flags\n"},
		{[]string{"conform", "--timeout", "soon"}, "scimharness conform: invalid value \"soon\" for flag --timeout: parse error\nrun 'scimharness conform -h' for its flags\n"},
		{[]string{"load", "--url"}, "scimharness load: flag needs an argument: --url\nrun 'scimharness load -h' for its flags\n"},
		{[]string{"replay", "dir", "--bogus"}, "scimharness replay: unknown flag --bogus\nrun 'scimharness replay -h' for its flags\n"},
		{[]string{"cleanup", "-x"}, "scimharness cleanup: unknown flag --x\nrun 'scimharness cleanup -h' for its flags\n"},
		{[]string{"frobnicate"}, "scimharness: unknown command \"frobnicate\"\nrun 'scimharness help' for the commands\n"},
		{[]string{"help", "frobnicate"}, "scimharness help: unknown command \"frobnicate\"\nrun 'scimharness help' for the commands\n"},
	} {
		code, out, errs := runCLI(tc.args...)
		if code != exitUsage || out != "" || errs != tc.want {
			t.Errorf("%v: exit %d, stdout %q\n got %q\nwant %q", tc.args, code, out, errs, tc.want)
		}
	}
}

// TestVersionString: the module version and the VCS revision, and an
// honest "unknown" when the build has none (-buildvcs=false).
func TestVersionString(t *testing.T) {
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"no build info", nil, "(devel) (revision unknown: built without VCS information)"},
		{"-buildvcs=false", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "(devel) (revision unknown: built without VCS information)"},
		{"go install from a clone", &debug.BuildInfo{Main: debug.Module{Version: "v0.3.1-0.20261202150000-abcdef123456"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abcdef1234567890"}, {Key: "vcs.modified", Value: "false"}}}, "v0.3.1-0.20261202150000-abcdef123456 (revision abcdef1234567890)"},
		{"uncommitted changes", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abcdef1234567890"}, {Key: "vcs.modified", Value: "true"}}}, "(devel) (revision abcdef1234567890, with uncommitted changes)"},
		{"@latest from the proxy", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}}, "v1.2.0 (revision unknown: built without VCS information)"},
	} {
		if got := versionString(tc.bi); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestIdPCaseInsensitive: --idp Entra is entra.
func TestIdPCaseInsensitive(t *testing.T) {
	for _, name := range []string{"Entra", "OKTA", "Google"} {
		code, _, errs := runCLI("simulate", "--idp", name, "--url", "http://127.0.0.1:1/scim/v2", "--dry-run", "--users", "1")
		if code != exitOK {
			t.Errorf("--idp %s: exit %d\n%s", name, code, errs)
		}
	}
}

// TestUpFront: a wrong base path, a wrong token, an unreachable server and
// a report directory that cannot be written stop every command before the
// run, with one line and exit 2.
func TestUpFront(t *testing.T) {
	base := referenceTarget(t) // …/scim/v2
	short := strings.TrimSuffix(base, "/v2")
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL + "/scim/v2"
	dead.Close()
	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, nil, 0o644)
	rec := t.TempDir() // the probe fails before the recording is read
	commands := map[string][]string{
		"simulate": {"simulate", "--idp", "okta"},
		"conform":  {"conform"},
		"load":     {"load", "--requests", "10"},
		"replay":   {"replay", rec},
		"cleanup":  {"cleanup", "--prefix", "scimh-00000000"},
	}
	for name, cmd := range commands {
		for _, tc := range []struct {
			name string
			args []string
			want string
		}{
			{"wrong base path", []string{"--url", short, "--token", testToken}, "is not a SCIM base URL (404 on GET /ServiceProviderConfig); the server answers at " + base + ": use --url " + base + "\n"},
			{"wrong token", []string{"--url", base, "--token", "wrong"}, base + " refused the credentials (401 on GET /ServiceProviderConfig); check --token or the --oauth2-* flags\n"},
			{"unreachable", []string{"--url", deadURL, "--token", testToken}, "cannot reach " + deadURL},
			{"report dir not writable", []string{"--url", base, "--token", testToken, "--report-dir", filepath.Join(notDir, "sub")}, "--report-dir"},
		} {
			if tc.name == "report dir not writable" && (name == "load" || name == "cleanup") {
				continue // they write no report
			}
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				code, out, errs := runCLI(append(cmd, tc.args...)...)
				if code != exitUsage || !strings.HasPrefix(errs, "scimharness "+name+": ") || !strings.Contains(errs, tc.want) || strings.Count(errs, "\n") != 1 || out != "" {
					t.Errorf("exit %d, want 2 with one line containing %q\nstderr: %s\nstdout: %.300s", code, tc.want, errs, out)
				}
			})
		}
	}
}

// TestRetries429: a server that answers every fourth request 429 with a
// Retry-After passes with the default retries, and the report says so;
// with --retries 0 the 429s are judged (and fail).
func TestRetries429(t *testing.T) {
	var n atomic.Int64
	var throttled atomic.Int64
	ref := handler(t, "")
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%4 == 0 {
			throttled.Add(1)
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		ref.ServeHTTP(w, r)
	}))
	defer ts.Close()
	dir := t.TempDir()
	code, out, errs := runSim(t, context.Background(), "--idp", "okta", "--url", ts.URL+"/scim/v2", "--token", testToken, "--users", "2", "--groups", "1", "--report-dir", dir)
	if code != exitOK || throttled.Load() == 0 {
		t.Fatalf("default retries: exit %d after %d 429s\n%s\n%s", code, throttled.Load(), out, errs)
	}
	b, err := os.ReadFile(filepath.Join(dir, report.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	json.Unmarshal(b, &rep)
	found := false
	for _, s := range rep.Sections {
		for _, r := range s.Rows {
			found = found || (r.Label == "retries" && strings.Contains(r.Value, "429 answer is retried up to 3 times"))
		}
	}
	if !found {
		t.Errorf("the report does not state the retry policy: %+v", rep.Sections)
	}
	// conform's report says so too.
	cdir := t.TempDir()
	code, out, errs = runCLI("conform", "--url", ts.URL+"/scim/v2", "--token", testToken, "--only", "discovery/", "--report-dir", cdir)
	if b, err := os.ReadFile(filepath.Join(cdir, report.JSONFile)); code != exitOK || err != nil || !strings.Contains(string(b), `"label": "Retries"`) && !strings.Contains(string(b), `"label":"Retries"`) {
		t.Errorf("conform: exit %d, the report lacks the retry policy (%v)\n%s\n%s", code, err, out, errs)
	}
	code, out, _ = runSim(t, context.Background(), "--idp", "okta", "--url", ts.URL+"/scim/v2", "--token", testToken, "--users", "2", "--groups", "1", "--retries", "0")
	if code != exitFail {
		t.Errorf("--retries 0: exit %d, want 1 (the 429s judged)\n%s", code, out)
	}
}

// runPrintedCleanup runs, as written, the cleanup command that a run with
// --keep printed in out, with the test token in SCIM_TOKEN.
func runPrintedCleanup(t *testing.T, out string) (int, string, string) {
	t.Helper()
	m := regexp.MustCompile(`scimharness (cleanup [^)]*)\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no cleanup command in:\n%s", out)
	}
	var o, e bytes.Buffer
	env := func(k string) string {
		if k == "SCIM_TOKEN" {
			return testToken
		}
		return ""
	}
	code := run(context.Background(), strings.Fields(m[1]), &o, &e, env)
	return code, o.String(), e.String()
}

// TestKeepPrintsPrefix: --keep says which prefix the kept data carries and
// how to remove it; cleanup lists it (dry run), then deletes it and only it.
func TestKeepThenCleanup(t *testing.T) {
	base := referenceTarget(t)
	code, out, errs := runSim(t, context.Background(), "--idp", "okta", "--url", base, "--token", testToken, "--users", "2", "--groups", "1", "--keep", "--prefix", "scimh-kept0001")
	if code != exitOK || !strings.Contains(out, "kept what the run created: prefix scimh-kept0001 (remove it with: scimharness cleanup --prefix scimh-kept0001 --url "+base+" --yes)") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	// Somebody else's users, one of them with a name close to the prefix.
	for _, name := range []string{"alice@example.com", "scimh-kept0002-bob@example.com"} {
		req, _ := http.NewRequest(http.MethodPost, base+"/Users", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+name+`"}`))
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("creating %s: %v %v", name, err, resp)
		}
		resp.Body.Close()
	}
	kept := totalOf(t, base, `/Users?filter=userName%20co%20%22scimh-kept0001%22&count=0`)
	if kept == 0 {
		t.Fatal("--keep kept no user")
	}
	code, out, errs = runCLI("cleanup", "--prefix", "scimh-kept0001", "--url", base, "--token", testToken)
	if code != exitOK || !strings.Contains(out, "nothing deleted (dry run: pass --yes to delete them)") || strings.Contains(out, "alice") || strings.Contains(out, "bob") {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errs)
	}
	if n := totalOf(t, base, `/Users?filter=userName%20co%20%22scimh-kept0001%22&count=0`); n != kept {
		t.Fatalf("the dry run deleted: %d users left of %d", n, kept)
	}
	code, out, errs = runCLI("cleanup", "--prefix", "scimh-kept0001", "--url", base, "--token", testToken, "--yes")
	if code != exitOK || !regexp.MustCompile(`(\d+) of (\d+) resources with the prefix scimh-kept0001 deleted`).MatchString(out) {
		t.Fatalf("--yes: exit %d\n%s\n%s", code, out, errs)
	}
	if n := totalOf(t, base, `/Users?filter=userName%20co%20%22scimh-kept0001%22&count=0`); n != 0 {
		t.Errorf("%d users with the prefix left after cleanup --yes", n)
	}
	if n := totalOf(t, base, `/Groups?filter=displayName%20co%20%22scimh-kept0001%22&count=0`); n != 0 {
		t.Errorf("%d groups with the prefix left after cleanup --yes", n)
	}
	if n := totalOf(t, base, `/Users?count=0`); n != 2 {
		t.Errorf("%d users left, want alice and bob, who do not carry the prefix", n)
	}
	code, _, errs = runCLI("cleanup", "--prefix", "scimh", "--url", base, "--token", testToken)
	if code != exitUsage || !strings.Contains(errs, "at least 8 characters") {
		t.Errorf("short prefix: exit %d\n%s", code, errs)
	}
}

// TestConfigErrors: config errors in the config's terms, FILE:LINE, no Go
// types; a tenant id given twice is refused (golden).
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"misspelt keys and wrong types", "tenants:\n  - id: acme\n    token: [x]\n  - id: b\n    tokens: notalist\n    clients:\n      - {id: c, secretsha: x, token_minutes: lots}\n",
			"scimharness serve: FILE:3: unknown key \"token\" in a tenant (known: id, tokens, token_sha256, profile, actors, email_domains, clients, permission_groups, metadata, role_mapping)\n" +
				"FILE:5: `notalist` is not a list\n" +
				"FILE:7: unknown key \"secretsha\" in a client (known: id, secret_sha256, scim, provisioning, token_minutes)\n" +
				"FILE:7: `lots` is not a whole number\n"},
		{"duplicate tenant", "tenants:\n  - id: a\n    tokens: [x]\n  - id: b\n    tokens: [y]\n  - id: a\n    tokens: [z]\n",
			"scimharness serve: FILE:6: tenant id \"a\" is given twice (first at line 2): each tenant once, with all its tokens\n"},
		{"not YAML", "tenants: [\n", "scimharness serve: FILE:1: did not find expected node content\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".yaml")
			os.WriteFile(f, []byte(tc.yaml), 0o644)
			code, _, errs := runCLI("serve", "--config", f)
			want := strings.ReplaceAll(tc.want, "FILE", f)
			if code != exitUsage || errs != want {
				t.Errorf("exit %d\n got %q\nwant %q", code, errs, want)
			}
			if strings.Contains(errs, "main.") || strings.Contains(errs, "type ") {
				t.Errorf("a Go type in the message: %s", errs)
			}
		})
	}
}

// TestServeLogsTenants: serve logs each tenant, its base path and its
// profile, and no token.
func TestServeLogsTenants(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("tenants:\n  - id: acme\n    tokens: [acme-T0ken-distinctive]\n    profile: humbol\n"), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--config", cfg, "--token", "default-T0ken-distinctive"}, io.Discard, &stderr, noEnv)
	}()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), "msg=serving") && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
	}
	cancel()
	<-done
	log := stderr.String()
	for _, want := range []string{"msg=tenant id=default base=/scim/v2 profile=strict", "msg=tenant id=acme base=/t/acme/scim/v2 profile=humbol"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "T0ken") {
		t.Errorf("a token in the log:\n%s", log)
	}
}

var update = flag.Bool("update", false, "rewrite the golden files of TestHelpGolden")

// TestHelpGolden: the top-level help and the help of the short commands,
// byte for byte (go test ./cmd/scimharness -run TestHelpGolden -update
// rewrites them after a deliberate change).
func TestHelpGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"help.golden", []string{"help"}},
		{"cleanup-help.golden", []string{"help", "cleanup"}},
		{"replay-help.golden", []string{"replay", "--help"}},
		{"certify-help.golden", []string{"certify", "-h"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			code, out, errs := runCLI(tc.args...)
			if code != exitOK || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			path := filepath.Join("testdata", tc.golden)
			if *update {
				os.MkdirAll("testdata", 0o755)
				if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if out != string(want) {
				t.Errorf("%v differs from %s:\n%s", tc.args, path, out)
			}
		})
	}
}
