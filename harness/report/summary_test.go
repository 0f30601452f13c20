package report_test

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/wire"
)

// longFailedReport is a conformance-like run as the issue saw it: 100
// passing checks of four steps each, then the one failure, plus a
// certification section. The summary must show the failure on the first
// screen all the same.
func longFailedReport() report.Report {
	r := report.Report{Title: "scimharness conform", Target: "http://127.0.0.1:1/scim/v2", Mode: "strict",
		Command: "scimharness conform --url http://127.0.0.1:1/scim/v2", Started: time.Date(2026, 12, 2, 17, 0, 0, 0, time.UTC),
		Sections: []report.Section{{Title: "Certification", Rows: []report.SectionRow{
			{Label: "Profile rfc", Value: "fail", Status: "fail"},
			{Label: "Tested features", Value: "patch, filter (RFC 7644 §3.4.2.2)"},
		}}}}
	areas := []string{"crud", "filter", "patch", "schema", "errors"}
	for i := range 100 {
		name := fmt.Sprintf("%s/check-%d", areas[i%len(areas)], i)
		profile := "rfc"
		if i%3 == 0 {
			profile = "entra"
		}
		r.Scenarios = append(r.Scenarios, report.ScenarioInfo{Name: name, Title: fmt.Sprintf("check number %d behaves", i), Area: areas[i%len(areas)], Profile: profile, Level: scenario.Must, Clause: "RFC 7644 §3.4.2"})
		for j := range 4 {
			r.Results = append(r.Results, scenario.Result{Scenario: name, Step: fmt.Sprintf("step %d", j), Status: scenario.Pass, Level: scenario.Must,
				Clause: "RFC 7643 §2.1", Verified: true, Duration: time.Duration(j+1) * time.Millisecond})
		}
	}
	r.Scenarios = append(r.Scenarios, report.ScenarioInfo{Name: "filter/eq-is-case-insensitive", Title: "a filter on userName ignores case", Area: "filter", Profile: "rfc", Level: scenario.Must, Clause: "RFC 7644 §3.4.2.2"})
	r.Results = append(r.Results,
		scenario.Result{Scenario: "filter/eq-is-case-insensitive", Step: "create u", Setup: true, Status: scenario.Pass, Level: scenario.Must, Verified: true},
		scenario.Result{Scenario: "filter/eq-is-case-insensitive", Step: "filter userName eq upper-case", Status: scenario.Fail, Level: scenario.Must,
			Clause: "RFC 7644 §3.4.2.2", Verified: true, Message: "expected 1 result, got 0\nsent: GET …",
			Exchanges: []wire.Exchange{{Request: wire.Request{Method: "GET", URL: "http://127.0.0.1:1/scim/v2/Users?filter=userName+eq+%22U%22"},
				Response: &wire.Response{Status: 200, Body: wire.Body(`{"totalResults":0}`)}, Duration: 7 * time.Millisecond}}},
	)
	return r
}

var (
	idAttr   = regexp.MustCompile(`\sid="([^"]+)"`)
	hashHref = regexp.MustCompile(`href="#([^"]*)"`)
	rfcHref  = regexp.MustCompile(`<a class="rfc" href="([^"]+)">([^<]+)</a>`)
	wellRFC  = regexp.MustCompile(`^https://www\.rfc-editor\.org/rfc/rfc\d{4}(#(section-\d+(\.\d+)*|appendix-[A-Z](\.\d+)*))?$`)
)

// TestHTMLSummaryAndLinks checks the page's structure without a browser:
// the summary comes first with the terminal's counts, word for word, and
// the failure in its table; ids are unique and every in-page link has its
// target; every RFC reference is a well-formed link to its section.
func TestHTMLSummaryAndLinks(t *testing.T) {
	r := longFailedReport()
	out := render(t, report.WriteHTML, r)
	term := render(t, func(w io.Writer, r report.Report) error {
		return report.WriteChecks(w, r, report.TextOptions{Quiet: true})
	}, r)
	lines := strings.Split(strings.TrimSpace(term), "\n")
	scen, steps := lines[len(lines)-2], lines[len(lines)-1]
	if scen != "scenarios: 101 (100 passed, 1 failed)" || steps != "steps: fail: 401 passed, 1 failed" {
		t.Fatalf("terminal counts %q, %q", scen, steps)
	}
	for _, want := range []string{`<code id="tally-scenarios">` + scen + `</code>`, `<code id="tally-steps">` + steps + `</code>`} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks the terminal's count %q", want)
		}
	}
	// Order: the verdict, the summary and its table of failures before any
	// section and before the results.
	order := []string{`id="verdict"`, `id="summary"`, `id="failed"`, "filter/eq-is-case-insensitive", "a filter on userName ignores case",
		"filter userName eq upper-case: expected 1 result, got 0", `<h2>Certification</h2>`, `id="results"`, `id="c-crud-check-0"`}
	last := -1
	for _, s := range order {
		i := strings.Index(out, s)
		if i < 0 {
			t.Fatalf("HTML lacks %q", s)
		}
		if i < last {
			t.Errorf("%q comes too late", s)
		}
		last = i
	}
	// Only problems is on by default on a failed run; passing scenarios
	// carry the class it hides.
	if !strings.Contains(out, `id="only-problems" class="toggle" checked>`) {
		t.Error("only problems is off on a failed run")
	}
	if n := strings.Count(out, `<tbody class="sc `); n != 101 {
		t.Errorf("%d scenario bodies, want 101", n)
	}
	if n := len(regexp.MustCompile(`<tbody class="sc [^"]* ok" id=`).FindAllString(out, -1)); n != 100 {
		t.Errorf("%d passing scenarios marked ok, want 100", n)
	}
	// Conform has no behaviour or source: no empty columns; each check is
	// named.
	if strings.Contains(out, "<th>Behaviour</th>") || strings.Contains(out, `class="c-source"`) {
		t.Error("empty Behaviour/Source columns shown")
	}
	if !strings.Contains(out, "— check number 7 behaves") {
		t.Error("a check's descriptive name is missing")
	}
	// Anchors: unique, and every href="#x" resolves.
	ids := map[string]int{}
	for _, m := range idAttr.FindAllStringSubmatch(out, -1) {
		ids[m[1]]++
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("id %q used %d times", id, n)
		}
	}
	for _, want := range []string{"c-filter-eq-is-case-insensitive", "c-filter-eq-is-case-insensitive-s2", "c-crud-check-0-s1"} {
		if ids[want] == 0 {
			t.Errorf("no anchor %q", want)
		}
	}
	hrefs := hashHref.FindAllStringSubmatch(out, -1)
	if len(hrefs) < 400 {
		t.Errorf("only %d in-page links", len(hrefs))
	}
	for _, m := range hrefs {
		if ids[m[1]] == 0 {
			t.Errorf("href=#%s has no target", m[1])
		}
	}
	// RFC links: every "RFC nnnn §x" is one, to the right section.
	links := rfcHref.FindAllStringSubmatch(out, -1)
	if len(links) == 0 {
		t.Fatal("no RFC link")
	}
	for _, m := range links {
		if !wellRFC.MatchString(m[1]) {
			t.Errorf("malformed RFC link %q", m[1])
		}
	}
	for _, want := range []string{`<a class="rfc" href="https://www.rfc-editor.org/rfc/rfc7644#section-3.4.2.2">RFC 7644 §3.4.2.2</a>`,
		`<a class="rfc" href="https://www.rfc-editor.org/rfc/rfc7643#section-2.1">RFC 7643 §2.1</a>`} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %s", want)
		}
	}
	// Filters by status, level? (one level here: none), area and profile.
	for _, want := range []string{`id="f-status-fail"`, `id="f-area-crud"`, `id="f-profile-entra"`,
		"body:has(#f-area-crud:checked) tbody.sc:not(.area-crud) { display: none; }"} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks filter %q", want)
		}
	}
	if strings.Contains(out, `id="f-level-`) {
		t.Error("a filter with a single value is shown")
	}
}

// TestHTMLLongReasonIsCut: the summary's table stays short; the whole
// message is under the step.
func TestHTMLLongReasonIsCut(t *testing.T) {
	long := strings.Repeat("é", 400)
	out := render(t, report.WriteHTML, report.Report{Title: "t", Results: []scenario.Result{{Scenario: "a", Step: "s", Status: scenario.Fail, Message: long}}})
	table := out[strings.Index(out, `id="failed"`):strings.Index(out, `id="results"`)]
	if strings.Contains(table, long) || !strings.Contains(table, "é…") {
		t.Error("the reason in the summary is not cut")
	}
	if !strings.Contains(out, long) {
		t.Error("the whole message is not shown")
	}
}

// TestHTMLBlockedStepIsAProblem: under "only problems" a blocked step
// stays (folded, its root failure open), a passing step of the same
// scenario goes.
func TestHTMLBlockedStepIsAProblem(t *testing.T) {
	out := render(t, report.WriteHTML, report.Report{Title: "t", Results: []scenario.Result{
		{Scenario: "crud/get", Step: "create u", Setup: true, Status: scenario.Fail, Message: "expected 201, got 400"},
		{Scenario: "crud/get", Step: "read back", Status: scenario.Blocked, WaitsFor: "create u"},
		{Scenario: "crud/get", Step: "cleanup: delete", Status: scenario.Pass, Cleanup: true},
	}})
	for _, want := range []string{`<tr class="row r-fail problem" id="c-crud-get-s1">`, `<tr class="row r-blocked problem" id="c-crud-get-s2">`,
		`<tr class="row r-pass ok cleanup" id="c-crud-get-s3">`, "Show only problems (1 scenario, 2 steps)"} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

func TestHTMLPassingRunShowsEverything(t *testing.T) {
	r := report.Report{Title: "t", Results: []scenario.Result{{Scenario: "a", Step: "s", Status: scenario.Pass, Verified: true}}}
	out := render(t, report.WriteHTML, r)
	if strings.Contains(out, `id="only-problems" class="toggle" checked`) {
		t.Error("only problems is on for a passing run")
	}
	if !strings.Contains(out, `<p id="failed">Every scenario passed`) {
		t.Error("a passing run does not say so in its summary")
	}
}

func TestHTMLLinksSources(t *testing.T) {
	for _, tc := range []struct {
		name      string
		res       scenario.Result
		want, not string
	}{
		{"source URL", scenario.Result{Source: "Okta SCIM 2.0 spec", SourceURL: "https://developer.okta.com/standards/SCIM/"},
			`<a class="src" href="https://developer.okta.com/standards/SCIM/">Okta SCIM 2.0 spec</a>`, ""},
		{"no URL: RFC in the source linked", scenario.Result{Source: "RFC 7644 section 3.5.2"},
			`<a class="rfc" href="https://www.rfc-editor.org/rfc/rfc7644#section-3.5.2">RFC 7644 section 3.5.2</a>`, ""},
		{"a second section of the same RFC", scenario.Result{Clause: "RFC 7644 §3.3, §3.12"},
			`<a class="rfc" href="https://www.rfc-editor.org/rfc/rfc7644#section-3.3">RFC 7644 §3.3</a>, <a class="rfc" href="https://www.rfc-editor.org/rfc/rfc7644#section-3.12">§3.12</a>`, ""},
		{"a section of no RFC is text", scenario.Result{Clause: "catalog §2"}, "<td>catalog §2</td>", `class="rfc"`},
		{"appendix", scenario.Result{Clause: "RFC 7643 §A"}, `href="https://www.rfc-editor.org/rfc/rfc7643#appendix-A"`, ""},
		{"whole RFC", scenario.Result{Clause: "RFC 7642"}, `<a class="rfc" href="https://www.rfc-editor.org/rfc/rfc7642">RFC 7642</a>`, ""},
		{"a script URL is not linked", scenario.Result{Source: "x", SourceURL: "javascript:alert(1)"}, ">x</td>", "javascript:"},
		{"a hostile URL is escaped", scenario.Result{Source: "x", SourceURL: `https://e.test/"><b>`}, `href="https://e.test/&#34;&gt;&lt;b&gt;"`, `e.test/">`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.res.Scenario, tc.res.Step, tc.res.Status, tc.res.Verified = "sc", "st", scenario.Fail, true
			out := render(t, report.WriteHTML, report.Report{Title: "t", Results: []scenario.Result{tc.res}})
			if !strings.Contains(out, tc.want) {
				t.Errorf("HTML lacks %q", tc.want)
			}
			if tc.not != "" && strings.Contains(out, tc.not) {
				t.Errorf("HTML contains %q", tc.not)
			}
		})
	}
}

// TestHTMLDurationFromExchanges: a result with no time of its own (a
// graded recording) shows its exchanges' time, not 0 ms.
func TestHTMLDurationFromExchanges(t *testing.T) {
	r := report.Report{Title: "t", Results: []scenario.Result{{Scenario: "requests", Step: "#1", Status: scenario.Pass, Verified: true,
		Exchanges: []wire.Exchange{{Request: wire.Request{Method: "GET", URL: "/Users"}, Response: &wire.Response{Status: 200}, Duration: 42 * time.Millisecond}}}}}
	out := render(t, report.WriteHTML, r)
	if !strings.Contains(out, `<td class="c-time">42 ms</td>`) {
		t.Error("row time is not the exchange's")
	}
}
