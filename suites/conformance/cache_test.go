package conformance_test

import (
	"bytes"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scimharness/scimharness/suites/internal/nested"

	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/store/memory"
)

// TestCachedRunCannotMasquerade runs the suite against a URL twice with
// go test's default caching (no -count=1, GOFLAGS cleared), then once more
// with the server down: every run must really run, and the last must
// fail — never "ok (cached)" for a server that is not there (issue 16).
func TestCachedRunCannotMasquerade(t *testing.T) {
	gobin := nested.Go(t) // go test three times
	const token = "cache-test-token"
	tenants := server.NewTenants()
	if err := tenants.Add(server.DefaultTenant, server.HashToken(token)); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: memory.New(), Tenants: tenants, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	goTest := func() (string, error) {
		// Only cacheable flags (-run): go test caches nothing else.
		cmd := exec.Command(gobin, "test", "-run", "^TestConformance$", ".")
		cmd.Env = append(os.Environ(), "GOFLAGS=", target.EnvBaseURL+"="+ts.URL+"/scim/v2", target.EnvToken+"="+token, "SCIM_REPORT_DIR=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for i := 1; i <= 2; i++ {
		out, err := goTest()
		if err != nil {
			t.Fatalf("run %d against the server: %v\n%s", i, err, out)
		}
		if strings.Contains(out, "(cached)") {
			t.Fatalf("run %d was answered from the test cache:\n%s", i, out)
		}
	}
	ts.Close()
	out, err := goTest()
	if err == nil || strings.Contains(out, "(cached)") {
		t.Fatalf("with the server down, go test passed (or answered from its cache):\n%s", out)
	}
}

// TestInterruptedSuiteReportsIncomplete: a suite cut off by Ginkgo's
// timeout (as by Ctrl-C) writes a results.yaml whose verdict is
// incomplete, never pass. The server answers slowly, so that the suite
// cannot finish within the timeout.
func TestInterruptedSuiteReportsIncomplete(t *testing.T) {
	gobin := nested.Go(t)
	const token = "interrupt-test-token"
	tenants := server.NewTenants()
	if err := tenants.Add(server.DefaultTenant, server.HashToken(token)); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: memory.New(), Tenants: tenants, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		srv.ServeHTTP(w, r)
	}))
	defer ts.Close()
	dir := t.TempDir()
	cmd := exec.Command(gobin, "test", "-count=1", "-run", "^TestConformance$", ".", "-args", "-ginkgo.timeout=2s")
	cmd.Env = append(os.Environ(), "GOFLAGS=", target.EnvBaseURL+"="+ts.URL+"/scim/v2", target.EnvToken+"="+token, "SCIM_REPORT_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the suite passed within its timeout; cannot test the interruption:\n%s", out)
	}
	y, rerr := os.ReadFile(filepath.Join(dir, "results.yaml"))
	if rerr != nil {
		t.Fatalf("no results.yaml: %v\n%s", rerr, out)
	}
	if !strings.Contains(string(y), "verdict: incomplete") || !strings.Contains(string(y), "run: interrupted after ") {
		t.Errorf("results.yaml of an interrupted suite:\n%.1500s", y)
	}
}

// TestHelpNamesTheEnvironment: the compiled suite's -h says which SCIM_*
// variables choose the target (issue 19), after Ginkgo's own flags.
func TestHelpNamesTheEnvironment(t *testing.T) {
	var b bytes.Buffer
	out := flag.CommandLine.Output()
	flag.CommandLine.SetOutput(&b)
	flag.CommandLine.Usage()
	flag.CommandLine.SetOutput(out)
	for _, want := range []string{"ginkgo.label-filter", "SCIM_BASE_URL", "SCIM_TOKEN", "SCIM_YES=1"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("-h lacks %q", want)
		}
	}
}
