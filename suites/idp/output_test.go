package idp_test

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

// TestEachFailurePrintedOnce runs one Okta spec where it must fail —
// against a server with a deliberate bug, and against a remote URL without
// consent — and counts each failure in go test's output: once, the reason
// on the step's line, no Go type (issue 19: Expect(p).To(BeEmpty(), text)
// printed the text and then Gomega's dump of the same slice, and
// HaveOccurred an error's message twice under its type).
func TestEachFailurePrintedOnce(t *testing.T) {
	gobin := nested.Go(t)
	bug, ok := broken.ByName("lowercases-username")
	if !ok {
		t.Fatal("no bug lowercases-username")
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
		failures  []string // each printed once
		notWant   []string
	}{
		{"failed steps", ts.URL + "/scim/v2", []string{
			"Okta: SCIM 2.0 spec test / create a user: fail: the server changed the case of userName",
			"Okta: SCIM 2.0 spec test / get the user by id: fail: the server changed the case of userName",
		}, []string{"to be empty"}},
		{"no consent", "https://scim.example.invalid/scim/v2", []string{"set SCIM_YES=1 to consent"}, []string{"consentError", "occurred"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(gobin, "test", "-count=1", "-run", "^TestIdPs$", ".", "-args", "-ginkgo.focus=Okta: SCIM 2.0 spec test")
			cmd.Env = append(os.Environ(), "GOFLAGS=", target.EnvBaseURL+"="+tt.url, target.EnvToken+"="+token, target.EnvYes+"=")
			b, err := cmd.CombinedOutput()
			out := string(b)
			if err == nil {
				t.Fatalf("the suite passed:\n%s", out)
			}
			for _, f := range tt.failures {
				if n := strings.Count(out, f); n != 1 {
					t.Errorf("the failure %q is printed %d times, want once:\n%s", f, n, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("the output has %q:\n%s", w, out)
				}
			}
		})
	}
}
