package entra_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/server/broken"
	"github.com/scimharness/scimharness/simulators/entra"
	"github.com/scimharness/scimharness/simulators/internal/simtest"
)

// TestBlindToConformanceOnlyBugs: the bugs listed as invisible to Entra
// (for TestEveryBugIsConsidered) are invisible indeed — a run against each, with
// and without the flag, fails nothing. A bug Entra does see belongs in
// TestBrokenServersAreCaught instead.
func TestBlindToConformanceOnlyBugs(t *testing.T) {
	for name := range invisible {
		for _, o := range []entra.Options{{}, {Flag: true}} {
			t.Run(fmt.Sprintf("%s/flag=%v", name, o.Flag), func(t *testing.T) {
				bug, ok := broken.ByName(name)
				if !ok {
					t.Fatalf("no bug %q", name)
				}
				_, c := start(t, simtest.Broken(t, bug))
				results, quarantined := run(t, c, o, scenario.Options{})
				if failing := bad(results, scenario.Fail); len(failing) > 0 || quarantined {
					t.Errorf("listed as invisible to Entra, but the run failed (quarantined %v):\n%s", quarantined, strings.Join(failing, "\n\n"))
				}
			})
		}
	}
}
