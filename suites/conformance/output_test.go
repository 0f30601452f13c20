package conformance_test

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/suites/internal/nested"

	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/server/broken"
)

// TestEachFailurePrintedOnce runs the suite where it must fail — against a
// server with a deliberate bug, and against a remote URL without consent
// — and counts the failure in go test's output: once, the reason on the
// step's line, no Go type (issue 19: Expect(problems).To(BeEmpty(), text)
// printed the text and then Gomega's dump of the same slice, and
// HaveOccurred an error's message twice under its type).
func TestEachFailurePrintedOnce(t *testing.T) {
	gobin := nested.Go(t)
	bug, ok := broken.ByName("groups-search-ignores-filter")
	if !ok {
		t.Fatal("no bug groups-search-ignores-filter")
	}
	const token = "output-test-token"
	h, err := broken.Handler(&bug, token)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	tests := []struct {
		name, url string
		failure   string // printed once
		notWant   []string
	}{
		{"a failed check", ts.URL + "/scim/v2", "search/groups / POST /Groups/.search: fail: expected exactly the group ", []string{"to be empty"}},
		{"no consent", "https://scim.example.invalid/scim/v2", "set SCIM_YES=1 to consent", []string{"consentError", "occurred"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(gobin, "test", "-count=1", "-run", "^TestConformance$", ".", "-args", "-ginkgo.focus=search/groups")
			cmd.Env = append(os.Environ(), "GOFLAGS=", target.EnvBaseURL+"="+tt.url, target.EnvToken+"="+token, "SCIM_REPORT_DIR=", target.EnvYes+"=")
			b, err := cmd.CombinedOutput()
			out := string(b)
			if err == nil {
				t.Fatalf("the suite passed:\n%s", out)
			}
			if n := strings.Count(out, tt.failure); n != 1 {
				t.Errorf("the failure %q is printed %d times, want once:\n%s", tt.failure, n, out)
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("the output has %q:\n%s", w, out)
				}
			}
		})
	}
}
