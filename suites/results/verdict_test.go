package results_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/suites/checks"
	"github.com/scimharness/scimharness/suites/results"
)

// TestVerdictAgreesEverywhere: results.yaml, report.json and the exit
// status (checks.Passed) give one verdict — an rfc-edge failure does not
// sink it, a core failure or a failed set-up does, an interrupted run is
// incomplete, and a check passing with a failing MAY is recorded "info".
func TestVerdictAgreesEverywhere(t *testing.T) {
	check := func(id string) checks.Check {
		c, ok := checks.ByID(id)
		if !ok {
			t.Fatalf("no check %s", id)
		}
		return c
	}
	res := func(st scenario.Status, info bool) []scenario.Result {
		return []scenario.Result{{Scenario: "x", Step: "subject", Status: st, Info: info, Message: st.String()}}
	}
	tests := []struct {
		name     string
		outcomes []checks.Outcome
		verdict  string
		yaml     []string
	}{
		{"an edge check fails", []checks.Outcome{{Check: check("paging/count"), Results: res(scenario.Pass, false)}, {Check: check("paging/edge-count-0"), Results: res(scenario.Fail, false)}},
			"pass", []string{"verdict: pass", "status: fail"}},
		{"a core check fails", []checks.Outcome{{Check: check("paging/count"), Results: res(scenario.Fail, false)}},
			"fail", []string{"verdict: fail"}},
		{"a set-up fails", []checks.Outcome{{Check: check("crud/get-user"), Results: []scenario.Result{
			{Scenario: "crud/get-user", Step: "create u", Setup: true, Status: scenario.Fail},
			{Scenario: "crud/get-user", Step: "read the user back", Status: scenario.Blocked, WaitsFor: "create u"}}}},
			"fail", []string{"verdict: fail", "status: blocked", "blocked:\n          - read the user back"}},
		{"interrupted", []checks.Outcome{{Check: check("paging/count"), Results: res(scenario.Pass, false)}, {Check: check("search/root"), Results: res(scenario.Incomplete, false)}},
			"incomplete", []string{"verdict: incomplete", "run: interrupted after 1 of 2 checks"}},
		{"a failing MAY", []checks.Outcome{{Check: check("search/root"), Results: res(scenario.Warn, true)}},
			"pass", []string{"verdict: pass", "status: info"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert := results.Certification{Title: "verdict test", Outcomes: tt.outcomes}
			y, err := cert.YAML()
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.yaml {
				if !bytes.Contains(y, []byte(want)) {
					t.Errorf("results.yaml lacks %q:\n%s", want, y)
				}
			}
			var js bytes.Buffer
			if err := report.WriteJSON(&js, cert.Report()); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(js.String(), `"verdict": "`+tt.verdict+`"`) {
				t.Errorf("report.json verdict is not %s:\n%.600s", tt.verdict, js.String())
			}
			if got := cert.Verdict().String(); got != tt.verdict {
				t.Errorf("verdict %s, want %s", got, tt.verdict)
			}
			if passed := checks.Passed(tt.outcomes); passed != (tt.verdict == "pass") {
				t.Errorf("Passed = %v with verdict %s", passed, tt.verdict)
			}
		})
	}
}
