package checks_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/server/broken"
	"github.com/scimharness/scimharness/suites/checks"
)

// TestBrokenServersFailNamingTheBug runs every check (the generated ones
// too) against each bug of
// the one catalog (broken.All) and requires the checks the bug names to see
// it: each of bug.Fails fails, each of bug.Warns (SHOULD checks) warns and
// does not fail. A check that passes against the bug it is meant to see is
// worthless. TestReferenceServerPasses shows the same checks pass without
// the bug; ci/conform-process.sh repeats both over HTTP in another process.
func TestBrokenServersFailNamingTheBug(t *testing.T) {
	for _, bug := range broken.All() {
		t.Run(bug.Name, func(t *testing.T) {
			h, err := broken.Handler(&bug, "tok")
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(h)
			defer ts.Close()
			ctx := context.Background()
			tg, err := target.Open(ctx, target.Config{BaseURL: ts.URL + "/scim/v2", Token: "tok"})
			if err != nil {
				t.Fatal(err)
			}
			// The schema-driven checks are generated from the bug's own
			// server, as conform and the Ginkgo suite generate them.
			generated, err := checks.SchemaChecks(ctx, tg)
			if err != nil {
				t.Fatal(err)
			}
			all := append(checks.All(), generated...)
			for _, id := range append(slices.Clone(bug.Fails), bug.Warns...) {
				if !slices.ContainsFunc(all, func(c checks.Check) bool { return c.ID == id }) {
					t.Fatalf("the bug names check %q, which does not exist", id)
				}
			}
			status := map[string]scenario.Status{}
			var failed []string
			for _, o := range checks.RunAll(ctx, tg, all, nil) {
				status[o.Check.ID] = o.Status()
				if o.Status() >= scenario.Fail {
					failed = append(failed, o.Check.ID)
				}
				if slices.Contains(bug.Fails, o.Check.ID) || slices.Contains(bug.Warns, o.Check.ID) {
					for _, r := range o.Results {
						if r.Status >= scenario.Warn {
							msg, _, _ := strings.Cut(r.Message, "\n")
							t.Logf("%s / %s: %s: %s", o.Check.ID, r.Step, r.Status, msg)
						}
					}
				}
			}
			t.Logf("failing checks: %v", failed)
			for _, id := range bug.Fails {
				if status[id] < scenario.Fail {
					t.Errorf("check %s is %s against %s, not fail", id, status[id], bug.Name)
				}
			}
			for _, id := range bug.Warns {
				if status[id] != scenario.Warn {
					t.Errorf("check %s is %s against %s, not warn", id, status[id], bug.Name)
				}
			}
		})
	}
}
