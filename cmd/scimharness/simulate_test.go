package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/server/broken"
)

const testToken = "s3cret-t0ken"

// fakeIdP is a tiny IdP flow — look up, create, find, deactivate — that
// keeps these tests independent of the real simulators: the command's
// plumbing is what is tested here.
func fakeIdP() idp {
	userName := "${prefix}-ada@example.com"
	lookup := `/Users?filter=userName eq "` + userName + `"`
	return idp{name: "fake", about: "test double", build: func(c *simConfig, base client.Config) (plan, error) {
		sc := scenario.Scenario{Name: "fake provisioning", IdP: "fake", Steps: []scenario.Step{
			{Name: "lookup before create", Request: scenario.RequestTemplate{Method: http.MethodGet, Path: lookup},
				Expect: []scenario.Expectation{scenario.StatusIn(200), scenario.BodyEquals("totalResults", 0)}},
			{Name: "create", Request: scenario.RequestTemplate{Method: http.MethodPost, Path: "/Users",
				Body: map[string]any{"userName": userName, "active": true}},
				Capture: map[string]string{"id": "id"},
				Expect:  []scenario.Expectation{scenario.StatusIn(201)}},
			{Name: "find", Request: scenario.RequestTemplate{Method: http.MethodGet, Path: lookup},
				Expect: []scenario.Expectation{scenario.StatusIn(200), scenario.BodyEquals("totalResults", 1)}},
			{Name: "deactivate", Request: scenario.RequestTemplate{Method: http.MethodPatch, Path: "/Users/${id}",
				Body: map[string]any{"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
					"Operations": []any{map[string]any{"op": "replace", "path": "active", "value": false}}}},
				Expect: []scenario.Expectation{scenario.StatusIn(200, 204)}},
		}}
		base.UserAgent = "Fake IdP/1.0"
		return plan{scenarios: []scenario.Scenario{sc}, client: base}, nil
	}}
}

// withFakeIdP makes --idp fake available for the test.
func withFakeIdP(t *testing.T) {
	t.Helper()
	orig := findIdP
	findIdP = func(name string) (idp, bool) {
		if name == "fake" {
			return fakeIdP(), true
		}
		return orig(name)
	}
	t.Cleanup(func() { findIdP = orig })
}

// fakeTarget serves h and counts requests by User-Agent.
type fakeTarget struct {
	*httptest.Server
	mu     sync.Mutex
	agents map[string]int
	n      atomic.Int64
}

func newTarget(t *testing.T, h http.Handler) *fakeTarget {
	t.Helper()
	tg := &fakeTarget{agents: map[string]int{}}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.n.Add(1)
		tg.mu.Lock()
		tg.agents[r.Header.Get("User-Agent")]++
		tg.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(tg.Close)
	return tg
}

func (tg *fakeTarget) base() string { return tg.URL + "/scim/v2" }

func handler(t *testing.T, bugName string) http.Handler {
	t.Helper()
	var bug *broken.Bug
	if bugName != "" {
		b, ok := broken.ByName(bugName)
		if !ok {
			t.Fatalf("no bug %q", bugName)
		}
		bug = &b
	}
	h, err := broken.Handler(bug, testToken)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func runSim(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(ctx, append([]string{"simulate"}, args...), &out, &errb, noEnv)
	return code, out.String(), errb.String()
}

func TestSimulateUsage(t *testing.T) {
	withFakeIdP(t)
	const local = "http://127.0.0.1:1/scim/v2"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no idp", []string{"--url", local, "--token", "x"}, "--idp is required"},
		{"unknown idp", []string{"--idp", "onelogin", "--url", local, "--token", "x"}, `unknown --idp "onelogin"`},
		{"missing url", []string{"--idp", "fake", "--token", "x"}, "--url is required"},
		{"relative url", []string{"--idp", "fake", "--url", "/scim/v2", "--token", "x"}, "not an absolute http(s) URL"},
		{"missing token", []string{"--idp", "fake", "--url", local}, "no credentials"},
		{"non-loopback without --yes", []string{"--idp", "fake", "--url", "https://scim.example.com/scim/v2", "--token", "x"}, "pass --yes to consent"},
		{"bad mode", []string{"--idp", "fake", "--url", local, "--token", "x", "--mode", "lenient"}, `--mode "lenient"`},
		{"strict and compat", []string{"--idp", "fake", "--url", local, "--token", "x", "--strict", "--compat"}, "exclude each other"},
		{"mode contradicts", []string{"--idp", "fake", "--url", local, "--token", "x", "--mode", "compat", "--strict"}, "contradicts"},
		{"another IdP's flag", []string{"--idp", "fake", "--url", local, "--token", "x", "--entra-flag"}, "--entra-flag applies to --idp entra"},
		{"zero users", []string{"--idp", "fake", "--url", local, "--token", "x", "--users", "0"}, "--users"},
		{"bad prefix", []string{"--idp", "fake", "--url", local, "--token", "x", "--prefix", "a b"}, "--prefix"},
		{"incomplete oauth2", []string{"--idp", "fake", "--url", local, "--oauth2-token-url", "http://127.0.0.1:1/token"}, "OAuth 2.0 needs"},
		{"token and oauth2", []string{"--idp", "fake", "--url", local, "--token", "x", "--oauth2-token-url", "http://127.0.0.1:1/token", "--oauth2-client-id", "c", "--oauth2-client-secret", "s"}, "not both"},
		{"unexpected argument", []string{"--idp", "fake", "--url", local, "--token", "x", "extra"}, `unexpected argument "extra"`},
		{"unknown flag", []string{"--bogus"}, "unknown flag --bogus"},
		{"groups for google", []string{"--idp", "google", "--url", local, "--token", "x", "--groups", "1"}, "pushes no groups"},
		{"no groups for okta", []string{"--idp", "okta", "--url", local, "--token", "x", "--groups", "0"}, "at least one group"},
		{"bad google update", []string{"--idp", "google", "--url", local, "--token", "x", "--google-update", "post"}, "google: Update"},
		{"bad entra role mode", []string{"--idp", "entra", "--url", local, "--token", "x", "--entra-role-mode", "many"}, "role mode"},
		{"missing entra mapping", []string{"--idp", "entra", "--url", local, "--token", "x", "--entra-mapping", "/nonexistent.yaml"}, "mapping"},
		{"bad entra match", []string{"--idp", "entra", "--url", local, "--token", "x", "--entra-match", "phone"}, "Match"},
		{"bad entra cycle", []string{"--idp", "entra", "--url", local, "--token", "x", "--entra-cycle", "incremental"}, "cycle"},
		{"zero entra concurrency", []string{"--idp", "entra", "--url", local, "--token", "x", "--entra-concurrency", "0"}, "--entra-concurrency"},
		{"entra cycle for okta", []string{"--idp", "okta", "--url", local, "--token", "x", "--entra-cycle", "initial"}, "--entra-cycle applies to --idp entra"},
		{"bad evidence", []string{"--idp", "fake", "--url", local, "--token", "x", "--evidence", "some"}, "--evidence"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runSim(t, context.Background(), tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr: %s", code, exitUsage, errs)
			}
			if !strings.Contains(errs, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, errs)
			}
			if strings.Contains(out+errs, "s3cret") {
				t.Error("a secret was printed")
			}
		})
	}
}

func TestListBugs(t *testing.T) {
	code, out, _ := runSim(t, context.Background(), "--list-bugs")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, b := range broken.All() {
		if !strings.Contains(out, b.Name) {
			t.Errorf("--list-bugs lacks %q", b.Name)
		}
	}
}

// TestDryRunSendsNothing: a dry run needs no token, no consent and no
// URL; the target sees none of its requests, and it prints the transcript
// of the run against the reference server — requests as sent, variables
// expanded and ids normalised, each under its step and source.
func TestDryRunSendsNothing(t *testing.T) {
	withFakeIdP(t)
	tg := newTarget(t, handler(t, ""))
	code, out, errs := runSim(t, context.Background(), "--idp", "fake", "--url", tg.base(), "--dry-run", "--prefix", "scimh-dry")
	if code != exitOK {
		t.Fatalf("exit %d; stderr: %s", code, errs)
	}
	if n := tg.n.Load(); n != 0 {
		t.Errorf("the target received %d requests", n)
	}
	for _, want := range []string{"# fake provisioning / create — ", "\nPOST /Users\n", `"userName":"${prefix}-ada@example.com"`,
		"\nPATCH /Users/<id1>\n", "User-Agent: Fake IdP/1.0", "Authorization: Bearer [REDACTED]"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "${id}") || strings.Contains(out, "scimh-dry") {
		t.Errorf("dry-run output holds an unexpanded variable or the raw prefix:\n%s", out)
	}
	if !strings.Contains(errs, "nothing was sent to "+tg.base()) {
		t.Errorf("stderr does not say nothing was sent to the target:\n%s", errs)
	}
	// Consent is about writing; a dry run to a remote URL writes nothing,
	// and one without a URL sends nowhere.
	for _, url := range [][]string{{"--url", "https://scim.example.com/v2"}, nil} {
		if code, _, errs := runSim(t, context.Background(), append([]string{"--idp", "fake", "--dry-run"}, url...)...); code != exitOK {
			t.Errorf("dry run %v: exit %d; %s", url, code, errs)
		}
	}
	// What a dry run cannot do: report or trim a run that did not happen.
	for _, bad := range [][]string{{"--report-dir", t.TempDir()}, {"--evidence", "problems"}} {
		if code, _, errs := runSim(t, context.Background(), append([]string{"--idp", "fake", "--dry-run"}, bad...)...); code != exitUsage || !strings.Contains(errs, bad[0]) {
			t.Errorf("dry run %v: exit %d, want %d naming %s:\n%s", bad, code, exitUsage, bad[0], errs)
		}
	}
}

// TestSimulateFake runs the fake IdP against the reference server and
// against broken servers: 0 only when everything passed, reports written,
// the IdP's User-Agent used, and the token nowhere in the output.
func TestSimulateFake(t *testing.T) {
	withFakeIdP(t)
	tests := []struct {
		bug  string
		code int
	}{
		{"", exitOK},
		{"ignores-filter", exitFail},
		{"404-for-empty-list", exitFail},
		{"rejects-pathless-replace", exitOK}, // the fake IdP sends a path: the bug does not show
	}
	for _, tc := range tests {
		t.Run("bug="+tc.bug, func(t *testing.T) {
			tg := newTarget(t, handler(t, tc.bug))
			// Somebody's data is already there: the run must neither
			// mistake it for its own nor touch it.
			existing := seedUser(t, tg.base(), "existing@example.com")
			dir := filepath.Join(t.TempDir(), "report")
			code, out, errs := runSim(t, context.Background(), "--idp", "fake", "--url", tg.base(), "--token", testToken, "--report-dir", dir)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errs)
			}
			rep := readReport(t, dir)
			if rep.IdP != "fake" || rep.Mode != "compat" || len(rep.Results) == 0 {
				t.Errorf("report: idp %q mode %q, %d results", rep.IdP, rep.Mode, len(rep.Results))
			}
			if !strings.Contains(out, rep.Summary.String()) {
				t.Errorf("stdout lacks the summary %q:\n%s", rep.Summary, out)
			}
			if tg.agents["Fake IdP/1.0"] == 0 || tg.agents[client.DefaultUserAgent] != 1 {
				t.Errorf("want the IdP's User-Agent on its requests and the harness's on the probe alone: %v", tg.agents)
			}
			if strings.Contains(rep.Command, testToken) || !strings.Contains(rep.Command, "SCIM_TOKEN=") {
				t.Errorf("reproduce command: %q", rep.Command)
			}
			assertNoSecret(t, dir, out+errs)
			if st := get(t, tg.base()+"/Users/"+existing); st != http.StatusOK {
				t.Errorf("the existing user: GET %d after the run", st)
			}
		})
	}
}

// TestSimulateInterrupted: Ctrl-C mid-run stops the steps, still cleans up
// what was created, and exits 1.
func TestSimulateInterrupted(t *testing.T) {
	withFakeIdP(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ref := handler(t, "")
	var created atomic.Bool
	tg := newTarget(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if created.Load() && r.Method == http.MethodGet {
			cancel() // Ctrl-C once the create has been answered
		}
		ref.ServeHTTP(w, r)
		if r.Method == http.MethodPost {
			created.Store(true)
		}
	}))
	code, out, errs := runSim(t, ctx, "--idp", "fake", "--url", tg.base(), "--token", testToken, "--prefix", "scimh-int", "-v")
	if code != exitInterrupted || !strings.Contains(errs, "interrupted") || !strings.Contains(out, "INCOMPLETE: interrupted after") {
		t.Fatalf("exit %d (want 130); stdout: %s; stderr: %s", code, out, errs)
	}
	if !strings.Contains(out, "cleanup: DELETE /Users/") {
		t.Errorf("no cleanup result:\n%s", out)
	}
	// The user is gone.
	req, _ := http.NewRequest(http.MethodGet, tg.base()+`/Users?filter=userName+sw+%22scimh-int%22`, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if !strings.Contains(buf.String(), `"totalResults":0`) {
		t.Errorf("created user left behind: %s", buf.String())
	}
}

func TestSimulateUnreachable(t *testing.T) {
	withFakeIdP(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nobody listens there now
	code, _, errs := runSim(t, context.Background(), "--idp", "fake", "--url", "http://"+addr+"/scim/v2", "--token", testToken)
	if code != exitUsage || !strings.Contains(errs, "cannot reach http://"+addr+"/scim/v2") {
		t.Errorf("exit %d; stderr: %s", code, errs)
	}
}

func TestSimulateWrongToken(t *testing.T) {
	withFakeIdP(t)
	tg := newTarget(t, handler(t, ""))
	code, _, errs := runSim(t, context.Background(), "--idp", "fake", "--url", tg.base(), "--token", "wrong")
	if code != exitUsage || !strings.Contains(errs, "refused the credentials (401") {
		t.Errorf("exit %d; stderr: %s", code, errs)
	}
	if n := tg.n.Load(); n != 1 {
		t.Errorf("%d requests after a refused probe, want 1", n)
	}
}

func TestServeUnknownBug(t *testing.T) {
	var errb bytes.Buffer
	code := run(context.Background(), []string{"serve", "--token", "x", "--bug", "nope"}, &bytes.Buffer{}, &errb, noEnv)
	if code != exitUsage || !strings.Contains(errb.String(), `--bug "nope"`) || !strings.Contains(errb.String(), "ignores-filter") {
		t.Errorf("exit %d; stderr: %s", code, errb.String())
	}
}

func TestReproduce(t *testing.T) {
	fs, c := simulateFlags(&bytes.Buffer{}, noEnv)
	if err := fs.Parse([]string{"--idp", "okta", "--url", "https://u:pw@scim.example.com/v2?x=1", "--token", "tok", "--users", "3", "--strict", "--prefix", "scimh-abc"}); err != nil {
		t.Fatal(err)
	}
	got := reproduce(fs, c)
	want := "SCIM_TOKEN=… scimharness simulate --idp okta --strict=true --url 'https://u:xxxxx@scim.example.com/v2?x=1' --users 3"
	if got != want {
		t.Errorf("reproduce:\n got %s\nwant %s", got, want)
	}
}

func readReport(t *testing.T, dir string) report.Report {
	t.Helper()
	for _, f := range []string{report.JSONFile, report.JUnitFile, report.HTMLFile} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("report file %s: %v", f, err)
		}
	}
	f, err := os.Open(filepath.Join(dir, report.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := report.ReadJSON(f)
	if err != nil {
		t.Fatalf("report.json: %v", err)
	}
	return rep
}

// assertNoSecret: neither the output nor any report file holds the token.
func assertNoSecret(t *testing.T, dir, output string) {
	t.Helper()
	if strings.Contains(output, testToken) {
		t.Error("the token was printed")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if bytes.Contains(b, []byte(testToken)) {
			t.Errorf("the token is in %s", e.Name())
		}
	}
}

// seedUser creates a user the run did not create and returns its id.
func seedUser(t *testing.T, base, userName string) string {
	t.Helper()
	cl, err := client.New(client.Config{BaseURL: base, Token: testToken, UserAgent: "test-seed"})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := cl.Do(context.Background(), client.Request{Method: http.MethodPost, Path: "/Users", Body: map[string]any{"userName": userName}})
	if err != nil || ex.Status() != http.StatusCreated {
		t.Fatalf("seeding %s: %v %d", userName, err, ex.Status())
	}
	doc, _ := ex.JSON()
	id, _ := doc["id"].(string)
	return id
}

func get(t *testing.T, u string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestSimulateProcesses is the README's flow with real processes: build the
// binary, start `scimharness serve`, and run `scimharness simulate` against
// it — exit 0 — then against `serve --bug ignores-filter` — exit 1.
func TestSimulateProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the binary with")
	}
	bin := filepath.Join(t.TempDir(), "scimharness")
	if out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	tests := []struct {
		serveArgs []string
		code      int
	}{
		{nil, exitOK},
		{[]string{"--bug", "ignores-filter"}, exitFail},
	}
	for _, tc := range tests {
		t.Run(strings.Join(append([]string{"serve"}, tc.serveArgs...), " "), func(t *testing.T) {
			base := startServe(t, bin, tc.serveArgs...)
			cmd := exec.Command(bin, "simulate", "--idp", "okta", "--url", base, "--users", "2", "--groups", "1")
			cmd.Env = append(os.Environ(), "SCIM_TOKEN=proc-token")
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Errorf("simulate exited %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out.String(), errb.String())
			}
		})
	}
}

// startServe starts `scimharness serve` on a free port and returns its SCIM
// base URL, read from its log; the process is stopped when the test ends.
func startServe(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--token", "proc-token"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	urlRe := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/scim/v2)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := urlRe.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case u := <-found:
		return u
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not log its URL")
	}
	return ""
}

// TestSimulateIdPs runs each real simulator in process: against the
// reference server every MUST passes (exit 0, reports written), and against
// a bug that IdP's traffic reaches the run fails (exit 1).
func TestSimulateIdPs(t *testing.T) {
	tests := []struct {
		idp, bug string
		code     int
	}{
		{"okta", "", exitOK},
		{"okta", "rejects-pathless-replace", exitFail}, // with --okta-app oin (below)
		{"google", "", exitOK},
		{"google", "rejects-application-json", exitFail},
		{"entra", "", exitOK},
		{"entra", "remove-members-wipes-all", exitFail},
		{"entra", "404-for-empty-list", exitFail}, // quarantined at Test Connection
	}
	covered := map[string]bool{}
	for _, tc := range tests {
		covered[tc.idp] = true
		t.Run(tc.idp+"/bug="+tc.bug, func(t *testing.T) {
			tg := newTarget(t, handler(t, tc.bug))
			dir := t.TempDir()
			args := []string{"--idp", tc.idp, "--url", tg.base(), "--token", testToken, "--users", "2", "--report-dir", dir}
			if tc.idp != "google" {
				args = append(args, "--groups", "1")
			}
			if tc.bug == "rejects-pathless-replace" {
				args = append(args, "--okta-app", "oin") // AIW apps PUT instead
			}
			code, out, errs := runSim(t, context.Background(), args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errs)
			}
			rep := readReport(t, dir)
			if rep.IdP != tc.idp || len(rep.Results) == 0 {
				t.Errorf("report: idp %q, %d results", rep.IdP, len(rep.Results))
			}
			assertNoSecret(t, dir, out+errs)
		})
	}
	for _, p := range idps {
		if !covered[p.name] {
			t.Errorf("--idp %s is not tested here", p.name)
		}
	}
}

// --entra-cycle initial runs Entra's initial cycle alone, prints its own
// timing apart from cleanup and writes it into report.json; passing
// results keep no exchanges unless --evidence all.
func TestSimulateEntraInitialCycle(t *testing.T) {
	cases := []struct {
		name      string
		extra     []string
		exchanges bool // passing results keep their exchanges
	}{
		{"default evidence", nil, false},
		{"evidence all", []string{"--evidence", "all"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tg := newTarget(t, handler(t, ""))
			dir := t.TempDir()
			args := append([]string{"--idp", "entra", "--url", tg.base(), "--token", testToken, "--users", "6", "--groups", "2",
				"--entra-cycle", "initial", "--entra-concurrency", "2", "--report-dir", dir}, tc.extra...)
			code, out, errs := runSim(t, context.Background(), args...)
			if code != exitOK {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
			}
			// 2 Test Connection (user and group probes) + 6 × (match + POST) + 2 × (query + POST + PATCH)
			line := regexp.MustCompile(`(?m)^initial cycle: 6 users, 2 groups, 20 requests in [0-9.]+ s \([0-9]+ req/s\), concurrency 2; cleanup \(not counted\) 8 requests in [0-9.]+ s$`)
			if !line.MatchString(out) {
				t.Errorf("no timing line in the output:\n%s", out)
			}
			if strings.Contains(out, "read back") || strings.Contains(out, "incremental") {
				t.Errorf("more than the initial cycle ran:\n%s", out)
			}
			rep := readReport(t, dir)
			if len(rep.Timings) != 1 {
				t.Fatalf("report.json timings %+v", rep.Timings)
			}
			tm := rep.Timings[0]
			if tm.Name != "initial cycle" || tm.Users != 6 || tm.Groups != 2 || tm.Requests != 20 || tm.CleanupRequests != 8 ||
				tm.Concurrency != 2 || tm.Duration <= 0 || tm.Seconds <= 0 || tm.RequestsPerSecond <= 0 || !line.MatchString(tm.Line) {
				t.Errorf("timing %+v", tm)
			}
			if len(rep.Results) != 20+8 || rep.Summary.Verdict != scenario.Pass {
				t.Errorf("%d results, %s", len(rep.Results), rep.Summary)
			}
			for _, r := range rep.Results {
				if got := len(r.Exchanges) > 0; got != tc.exchanges {
					t.Errorf("%s: %d exchanges kept", r.Step, len(r.Exchanges))
					break
				}
			}
			html, err := os.ReadFile(filepath.Join(dir, report.HTMLFile))
			if err != nil || !strings.Contains(string(html), "Timing: initial cycle") {
				t.Errorf("report.html has no timing section (%v)", err)
			}
			assertNoSecret(t, dir, out+errs)
		})
	}
}

// TestHelpHidesSecrets: -h prints flag defaults, and secrets from the
// environment must not be among them.
func TestHelpHidesSecrets(t *testing.T) {
	env := func(k string) string {
		switch k {
		case "SCIM_TOKEN":
			return testToken
		case "SCIM_OAUTH2_CLIENT_SECRET":
			return "oauth-s3cret"
		}
		return ""
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"simulate", "-h"}, &out, &errb, env); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	help := out.String() + errb.String()
	if strings.Contains(help, testToken) || strings.Contains(help, "oauth-s3cret") {
		t.Error("-h printed a secret")
	}
	for _, want := range []string{"--idp", "Exit status", "okta"} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

// TestSimulateOAuth2: the client-credentials flags replace --token; the
// secret comes from the environment and appears nowhere; a token endpoint
// that gives no token is a usage problem (exit 2), not a server failure.
func TestSimulateOAuth2(t *testing.T) {
	withFakeIdP(t)
	tg := newTarget(t, handler(t, ""))
	const secret = "client-s3cret"
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, pw, ok := r.BasicAuth(); !ok || id != "harness" || pw != secret {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"` + testToken + `","token_type":"Bearer","expires_in":3600}`))
	}))
	defer tokens.Close()
	for _, tc := range []struct {
		name, secret string
		code         int
		want         string
	}{
		{"good secret", secret, exitOK, "pass:"},
		{"wrong secret", "nope", exitUsage, "cannot get an access token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := func(k string) string {
				if k == "SCIM_OAUTH2_CLIENT_SECRET" {
					return tc.secret
				}
				return ""
			}
			dir := t.TempDir()
			var out, errb bytes.Buffer
			code := run(context.Background(), []string{"simulate", "--idp", "fake", "--url", tg.base(),
				"--oauth2-token-url", tokens.URL, "--oauth2-client-id", "harness", "--report-dir", dir}, &out, &errb, env)
			if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.want) {
				t.Fatalf("exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", code, tc.code, tc.want, out.String(), errb.String())
			}
			if strings.Contains(out.String()+errb.String(), tc.secret) {
				t.Error("the client secret was printed")
			}
			if code == exitOK {
				rep := readReport(t, dir)
				if !strings.Contains(rep.Command, "SCIM_OAUTH2_CLIENT_SECRET=") || strings.Contains(rep.Command, secret) {
					t.Errorf("reproduce command: %q", rep.Command)
				}
				assertNoSecret(t, dir, "")
			}
		})
	}
}

// TestEntraIntoHumbol: the README's Entra-with-Humbol workflow runs from
// the CLI as written — serve a Humbol tenant, simulate Entra with
// --entra-mapping humbol — and passes (issue 19: the roles sent were not
// Humbol's, and Test Connection's group probe met Humbol's 404).
func TestEntraIntoHumbol(t *testing.T) {
	const token = "acme-T0ken-for-humbol"
	cfg := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(cfg, []byte("tenants:\n  - id: acme\n    tokens: ["+token+"]\n    profile: humbol\n    role_mapping: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var log syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--config", cfg, "--token", "dev-token"}, io.Discard, &log, noEnv)
	}()
	defer func() { cancel(); <-done }()
	serving := regexp.MustCompile(`msg=serving url=(http://127\.0\.0\.1:\d+)/`)
	var m []string
	for deadline := time.Now().Add(10 * time.Second); m == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		m = serving.FindStringSubmatch(log.String())
	}
	if m == nil {
		t.Fatalf("serve did not start:\n%s", log.String())
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"simulate", "--idp", "entra", "--entra-mapping", "humbol", "--url", m[1] + "/t/acme/scim/v2", "--token", token}, &out, &errb, noEnv)
	if code != exitOK || strings.Contains(out.String(), "fail ") {
		t.Fatalf("exit %d:\n%s\n%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "pass  entra: provisioning cycles, team 1") {
		t.Errorf("the provisioning cycles did not pass:\n%s", out.String())
	}
}

// TestSimulateTranscript: --transcript writes what a live run sent in the
// golden-transcript format — the same options give exactly the golden
// file the simulator's own test compares with (fixtures/transcripts), and
// no secret reaches it. Refused with --dry-run and --evidence problems.
func TestSimulateTranscript(t *testing.T) {
	tg := newTarget(t, handler(t, ""))
	file := filepath.Join(t.TempDir(), "okta.txt")
	code, out, errs := runSim(t, context.Background(), "--idp", "okta", "--url", tg.base(), "--token", testToken,
		"--users", "1", "--groups", "1", "--seed", "7", "--prefix", "scimh-golden00", "--transcript", file)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "transcripts", "okta-aiw.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("the live run's transcript differs from okta-aiw.txt:\n%s", got)
	}
	if strings.Contains(string(got), testToken) {
		t.Error("the transcript holds the token")
	}
	for _, bad := range [][]string{{"--dry-run"}, {"--evidence", "problems"}} {
		args := append([]string{"--idp", "okta", "--url", tg.base(), "--token", testToken, "--transcript", file}, bad...)
		if code, _, errs := runSim(t, context.Background(), args...); code != exitUsage || !strings.Contains(errs, "--transcript") {
			t.Errorf("%v: exit %d, want %d with a word on --transcript:\n%s", bad, code, exitUsage, errs)
		}
	}
}

// TestSimulateEntraLogVariants: the Entra shapes seen only in logs are
// flags — every role in one Add, a manager removed by a filter path —
// that pass the reference server; one role mode needs the other.
func TestSimulateEntraLogVariants(t *testing.T) {
	tg := newTarget(t, handler(t, ""))
	args := []string{"--idp", "entra", "--url", tg.base(), "--token", testToken, "--users", "2", "--groups", "1"}
	code, out, errs := runSim(t, context.Background(), append(args, "--entra-role-mode", "complex", "--entra-roles-one-patch", "--entra-manager-remove-filter")...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	code, _, errs = runSim(t, context.Background(), append(args, "--entra-roles-one-patch")...)
	if code != exitUsage || !strings.Contains(errs, "AppRoleAssignmentsComplex") {
		t.Errorf("--entra-roles-one-patch without the complex role mode: exit %d\n%s", code, errs)
	}
}
