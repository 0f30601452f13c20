package checks_test

import (
	"context"
	"testing"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/suites/checks"
)

// TestReferenceServerPasses: every check passes against the reference
// server (strict profile, memory store); a check that fails here is wrong.
func TestReferenceServerPasses(t *testing.T) {
	ctx := context.Background()
	tg, err := target.Open(ctx, target.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	for _, c := range checks.All() {
		t.Run(c.ID, func(t *testing.T) {
			rs := c.Run(ctx, tg)
			for _, r := range rs {
				if r.Status >= scenario.Warn || r.Status == scenario.Skip {
					t.Errorf("%s / %s: %s\n%s", r.Scenario, r.Step, r.Status, r.Message)
				}
			}
		})
	}
}

func TestIDsUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range checks.All() {
		if seen[c.ID] || c.ID == "" || c.Name == "" || c.Clause == "" {
			t.Errorf("check %q: duplicate or incomplete", c.ID)
		}
		seen[c.ID] = true
		if err := c.Scenario().Validate(); err != nil {
			t.Errorf("%s: %v", c.ID, err)
		}
	}
}
