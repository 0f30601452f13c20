package entra

import (
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/scenario"
)

// The escrow thresholds of QUAR, fed with the page's own examples: from
// 5,000 failures Entra quarantines above 40% or above 40,000 failures,
// reference failures left out of both; above 60,000 failures, reference
// ones included, it quarantines whatever the share. The harness's
// read-backs count toward nothing.
func TestQuarantineEscrowThresholds(t *testing.T) {
	type batch struct {
		n    int
		kind opKind
		st   scenario.Status
	}
	cases := []struct {
		name    string
		batches []batch
		want    string // "" for not quarantined, else a word of the reason
	}{
		{"4,000 failures and nothing else: below the minimum", []batch{{4000, opEntra, scenario.Fail}}, ""},
		{"5,000 failures and 1,000 successes: evaluated, above 40%", []batch{{1000, opEntra, scenario.Pass}, {5000, opEntra, scenario.Fail}}, "threshold 40%"},
		{"30,000 failed, 5,000 successful", []batch{{5000, opEntra, scenario.Pass}, {30000, opEntra, scenario.Fail}}, "threshold 40%"},
		{"20,000 failures and 100,000 successes", []batch{{100000, opEntra, scenario.Pass}, {20000, opEntra, scenario.Fail}}, ""},
		{"45,000 failed users among 100,000 successes: above 40,000", []batch{{100000, opEntra, scenario.Pass}, {45000, opEntra, scenario.Fail}}, "more than 40000 failures"},
		{"40,000 failed users and 21,000 failed manager updates: above 60,000", []batch{{100000, opEntra, scenario.Pass}, {40000, opEntra, scenario.Fail}, {21000, opReference, scenario.Fail}}, "absolute threshold of 60000"},
		{"reference failures alone below 60,000", []batch{{10, opEntra, scenario.Pass}, {59000, opReference, scenario.Fail}}, ""},
		{"harness read-backs count toward nothing", []batch{{10, opEntra, scenario.Pass}, {70000, opHarness, scenario.Fail}}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var current opKind
			q := &quarantine{threshold: EntraQuarantineRatio, min: EntraQuarantineFailures, max: EntraQuarantineMax, absolute: EntraQuarantineAbsolute,
				kind: func(scenario.Result) opKind { return current }}
			for _, b := range tc.batches {
				current = b.kind
				for range b.n {
					q.observe(scenario.Result{Scenario: "entra: provisioning cycles, team 1", Step: "a step", Status: b.st})
				}
			}
			q.finish()
			switch {
			case tc.want == "" && q.tripped:
				t.Errorf("quarantined: %s", q.reason)
			case tc.want != "" && !q.tripped:
				t.Errorf("not quarantined (%d of %d failed, %d reference failures)", q.failed, q.ops, q.refFailed)
			case tc.want != "" && !strings.Contains(q.reason, tc.want):
				t.Errorf("reason %q does not say %q", q.reason, tc.want)
			}
		})
	}
}
