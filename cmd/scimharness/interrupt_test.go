package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// interruptAfter serves h and cancels the run (as SIGINT does, through
// main's signal.NotifyContext) when the n-th POST arrives, answering it.
func interruptAfter(t *testing.T, n int64, h http.Handler) (*fakeTarget, context.Context) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var posts atomic.Int64
	return newTarget(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && posts.Add(1) == n {
			cancel()
		}
		h.ServeHTTP(w, r)
	})), ctx
}

// leftUsers counts the users on the server behind tg (none should be left
// after a run: cleanup runs after an interruption too).
func leftUsers(t *testing.T, tg *fakeTarget) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, tg.base()+"/Users?count=1", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	rec := httptest.NewRecorder()
	tg.Config.Handler.ServeHTTP(rec, req)
	var doc struct{ TotalResults int }
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("listing users: %v: %s", err, rec.Body.String())
	}
	return doc.TotalResults
}

// TestConformInterruptedIsIncomplete: an interrupted conform exits 130,
// says how far it got, writes a report whose verdict is incomplete (never
// pass), and still deletes what it created.
func TestConformInterruptedIsIncomplete(t *testing.T) {
	tg, ctx := interruptAfter(t, 6, handler(t, ""))
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"conform", "--url", tg.base(), "--token", testToken, "--report-dir", dir, "--only", "crud/,filter/"}, &out, &errb, noEnv)
	if code != exitInterrupted {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitInterrupted, out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), "interrupted after ") || !strings.Contains(out.String(), "INCOMPLETE: interrupted after ") {
		t.Errorf("the terminal does not say the run was interrupted:\n%s\n%s", out.String(), errb.String())
	}
	y, err := os.ReadFile(filepath.Join(dir, "results.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"verdict: incomplete", "run: interrupted after ", "status: incomplete", "verdict: incomplete\n"} {
		if !bytes.Contains(y, []byte(want)) {
			t.Errorf("results.yaml lacks %q:\n%s", want, y)
		}
	}
	if bytes.Contains(y, []byte("verdict: pass")) || bytes.Contains(y, []byte("verdict: success")) {
		t.Errorf("results.yaml passes an interrupted run:\n%s", y)
	}
	for _, f := range []string{"report.json", "junit.xml", "report.html"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if !bytes.Contains(b, []byte("interrupted after ")) {
			t.Errorf("%s does not say the run was interrupted", f)
		}
	}
	if n := leftUsers(t, tg); n != 0 {
		t.Errorf("%d users left behind: cleanup did not run after the interruption", n)
	}
}

// TestReplayInterruptedIsIncomplete: an interrupted replay exits 130, not
// 0, and says so.
func TestReplayInterruptedIsIncomplete(t *testing.T) {
	dir := recordOkta(t)
	tg, ctx := interruptAfter(t, 1, handler(t, ""))
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"replay", dir, "--url", tg.base(), "--token", testToken, "--report-dir", out}, &stdout, &stderr, noEnv)
	if code != exitInterrupted {
		t.Fatalf("replay exited %d, want %d:\n%s\n%s", code, exitInterrupted, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted after 0 of 1 recordings") || !strings.Contains(stdout.String(), "INCOMPLETE") {
		t.Errorf("the terminal does not say the replay was interrupted:\n%s\n%s", stdout.String(), stderr.String())
	}
	b, _ := os.ReadFile(filepath.Join(out, "report.json"))
	if !bytes.Contains(b, []byte(`"interrupted": "interrupted after 0 of 1 recordings"`)) {
		t.Errorf("report.json does not say the replay was interrupted:\n%.400s", b)
	}
	if n := leftUsers(t, tg); n != 0 {
		t.Errorf("%d users left behind", n)
	}
}

// TestLoadInterruptedIsIncomplete: a load run interrupted mid-way (as
// SIGINT does) exits 130, says so, and still deletes every resource it
// created, those whose creates were in flight included (issue 16 item 4,
// issue 19).
func TestLoadInterruptedIsIncomplete(t *testing.T) {
	tg, ctx := interruptAfter(t, 20, handler(t, ""))
	var out, errb bytes.Buffer
	code := run(ctx, []string{"load", "--url", tg.base(), "--token", testToken, "--requests", "100000", "--concurrency", "4"}, &out, &errb, noEnv)
	if code != exitInterrupted {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitInterrupted, out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), "interrupted") {
		t.Errorf("the terminal does not say the run was interrupted:\n%s", errb.String())
	}
	if n := leftUsers(t, tg); n != 0 {
		t.Errorf("%d users left behind: cleanup did not run after the interruption\n%s", n, out.String())
	}
}

// TestConformSIGINT sends a real SIGINT to a built `scimharness conform`
// mid-run: it exits 130, its results.yaml says incomplete, and what it
// created is deleted anyway.
func TestConformSIGINT(t *testing.T) {
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
	reached := make(chan struct{})
	var posts atomic.Int64
	h := handler(t, "")
	tg := newTarget(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && posts.Add(1) == 8 {
			close(reached)
		}
		h.ServeHTTP(w, r)
	}))
	dir := t.TempDir()
	cmd := exec.Command(bin, "conform", "--url", tg.base(), "--report-dir", dir, "--only", "crud/,filter/,patch/")
	cmd.Env = append(os.Environ(), "SCIM_TOKEN="+testToken)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the run never reached its 8th POST")
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Fatalf("conform ended with %v, want exit %d\n%s\n%s", err, exitInterrupted, out.String(), errb.String())
	}
	y, _ := os.ReadFile(filepath.Join(dir, "results.yaml"))
	if !bytes.Contains(y, []byte("verdict: incomplete")) || !strings.Contains(errb.String(), "interrupted after ") {
		t.Errorf("not reported incomplete:\n%s\n%s", y, errb.String())
	}
	if n := leftUsers(t, tg); n != 0 {
		t.Errorf("%d users left behind after SIGINT", n)
	}
}
