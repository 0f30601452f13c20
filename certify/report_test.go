package certify_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"os"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/certify"
	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/simulators/entra"
)

// TestReportPutsCertificationFirst: what a certification is read for —
// lifecycle coverage, fingerprints, findings grouped by rule with their
// count — comes right under the summary, before the hundreds of requests;
// and every request shows the time the server took, not 0 ms.
// SCIM_CERTIFY_HTML=FILE keeps the page.
func TestReportPutsCertificationFirst(t *testing.T) {
	recs := recording(t, func(base string) {
		c := newClient(t, entra.ClientConfig(client.Config{BaseURL: base, Token: token}))
		entra.Run(context.Background(), c, entra.Options{Users: 5, Groups: 1, Seed: 7}, scenario.Options{})
	})
	res := certify.Grade(recs)
	rep := res.Report("scimharness certify DIR", recs[0].Entries[0].Time)

	// The order of the results: verdict, fingerprints, coverage, requests.
	var order []string
	for _, r := range rep.Results {
		if len(order) == 0 || order[len(order)-1] != r.Scenario {
			order = append(order, r.Scenario)
		}
	}
	want := []string{certify.ScenarioVerdict, certify.ScenarioFingerprints, certify.ScenarioCoverage, certify.ScenarioRequests}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("scenarios in the order %v, want %v", order, want)
	}
	for _, r := range rep.Results {
		if r.Scenario == certify.ScenarioRequests && r.Duration <= 0 {
			t.Errorf("%s: duration %v, want the server's time", r.Step, r.Duration)
		}
	}

	// Findings by rule: one row per rule and level, with its count.
	n := 0
	for _, f := range res.Findings {
		if f.Rule == "patch-op-case" {
			n++
		}
	}
	if n < 2 {
		t.Fatalf("%d patch-op-case findings; the test needs several", n)
	}
	var rules *report.Section
	for i, s := range rep.Sections {
		if strings.HasPrefix(s.Title, "Findings by rule") {
			rules = &rep.Sections[i]
		}
	}
	if rules == nil {
		t.Fatalf("no findings-by-rule section in %+v", rep.Sections)
	}
	var row *report.SectionRow
	for i, r := range rules.Rows {
		if r.Label == "patch-op-case (tolerated quirk)" {
			if row != nil {
				t.Error("patch-op-case listed twice")
			}
			row = &rules.Rows[i]
		}
	}
	if row == nil || !strings.HasPrefix(row.Value, fmt.Sprintf("%d× ", n)) || row.Status != "warn" {
		t.Errorf("patch-op-case row %+v, want its %d findings counted", row, n)
	}

	var page bytes.Buffer
	if err := report.WriteHTML(&page, rep); err != nil {
		t.Fatal(err)
	}
	out := page.String()
	if f := os.Getenv("SCIM_CERTIFY_HTML"); f != "" {
		_ = os.WriteFile(f, page.Bytes(), 0o644)
	}
	last := -1
	for _, s := range []string{`id="summary"`, "<h2>Lifecycle coverage</h2>", "<h2>IdP fingerprints</h2>", "<h2>Findings by rule", "patch-op-case (tolerated quirk)", `id="results"`, `id="c-requests"`} {
		i := strings.Index(out, s)
		if i < last {
			t.Errorf("%q missing or too late (at %d, after %d)", s, i, last)
		}
		last = i
	}
	if strings.Contains(out, token) {
		t.Error("the report holds the token")
	}

	// The headline says what the terminal says: requests and findings,
	// not the report's internal scenarios.
	if !strings.Contains(out, html.EscapeString(res.Summary())) {
		t.Errorf("the HTML headline lacks the terminal's summary %q", res.Summary())
	}
	if !strings.Contains(out, fmt.Sprintf("<b>%d</b> tolerated quirks", res.Count(certify.Quirk))) {
		t.Errorf("no card counting the %d tolerated quirks", res.Count(certify.Quirk))
	}
	sum := 0
	for _, c := range rep.Tally.Groups[0].Counts {
		sum += c.N
	}
	if rep.Tally.Groups[0].Unit != "requests" || sum != res.Requests {
		t.Errorf("request cards %+v add up to %d, want the %d requests", rep.Tally.Groups[0], sum, res.Requests)
	}
	if strings.Contains(out, `id="tally-steps"`) {
		t.Error("the certification headline still counts steps")
	}
}
