package conformance_test

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/server/broken"
)

// TestEachFailurePrintedOnce runs the suite against a server with a
// deliberate bug and counts the failure in go test's output: once, the
// reason on the step's line (issue 19: Expect(problems).To(BeEmpty(), text)
// printed the text and then Gomega's dump of the same slice).
func TestEachFailurePrintedOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test")
	}
	if os.Getenv(target.EnvBaseURL) != "" {
		t.Skip("this is a run against a URL (perhaps the nested one)")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
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
	cmd := exec.Command(gobin, "test", "-count=1", "-run", "^TestConformance$", ".", "-args", "-ginkgo.focus=search/groups")
	cmd.Env = append(os.Environ(), "GOFLAGS=", target.EnvBaseURL+"="+ts.URL+"/scim/v2", target.EnvToken+"="+token, "SCIM_REPORT_DIR=")
	b, err := cmd.CombinedOutput()
	out := string(b)
	if err == nil || !strings.Contains(out, "1 Failed") {
		t.Fatalf("the suite did not fail one spec against the bug:\n%s", out)
	}
	const step = "search/groups / POST /Groups/.search: fail: expected exactly the group "
	if n := strings.Count(out, step); n != 1 {
		t.Errorf("the failure %q is printed %d times, want once:\n%s", step, n, out)
	}
	if strings.Contains(out, "to be empty") {
		t.Errorf("Gomega's dump of the problems is still printed:\n%s", out)
	}
}
