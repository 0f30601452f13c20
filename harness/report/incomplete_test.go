package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/scenario"
)

// interrupted is a run cut off after its first check, whose set-up failed
// and blocked its subject.
func interrupted() report.Report {
	return report.Report{
		Title: "conform", Target: "http://127.0.0.1:1/scim/v2", Interrupted: "interrupted after 1 of 2 checks",
		Results: []scenario.Result{
			{Scenario: "crud/get-user", Step: "create u", Setup: true, Status: scenario.Fail, Message: "expected status 201, got 400\nsent: POST …"},
			{Scenario: "crud/get-user", Step: "read the user back", Status: scenario.Blocked, WaitsFor: "create u", Message: `blocked: not judged, it waits for step "create u", which ended fail`},
			{Scenario: "crud/put-replaces", Step: "create u", Setup: true, Status: scenario.Fail, Message: "expected status 201, got 400\nsent: POST …"},
			{Scenario: "crud/delete", Step: "delete", Status: scenario.Incomplete, Message: "incomplete: not run, the run was interrupted (context canceled)"},
		},
	}
}

// TestInterruptedRunNeverReadsAsPass: every writer says the run was
// interrupted, and none gives it a passing verdict.
func TestInterruptedRunNeverReadsAsPass(t *testing.T) {
	r := interrupted()
	var text, junit, html, js bytes.Buffer
	for _, w := range []struct {
		buf   *bytes.Buffer
		write func(*bytes.Buffer) error
	}{
		{&text, func(b *bytes.Buffer) error { return report.WriteText(b, r) }},
		{&junit, func(b *bytes.Buffer) error { return report.WriteJUnit(b, r) }},
		{&html, func(b *bytes.Buffer) error { return report.WriteHTML(b, r) }},
		{&js, func(b *bytes.Buffer) error { return report.WriteJSON(b, r) }},
	} {
		if err := w.write(w.buf); err != nil {
			t.Fatal(err)
		}
	}
	for name, out := range map[string]string{"text": text.String(), "junit": junit.String(), "html": html.String(), "json": js.String()} {
		if !strings.Contains(out, "interrupted after 1 of 2 checks") {
			t.Errorf("%s does not say the run was interrupted:\n%s", name, out)
		}
	}
	if !strings.Contains(junit.String(), `type="incomplete"`) {
		t.Errorf("junit: the incomplete step is not an error:\n%s", junit.String())
	}
	var back report.Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Summary.Verdict == scenario.Pass {
		t.Errorf("json verdict %s (%v)", back.Summary.Verdict, err)
	}
	if strings.Contains(html.String(), `class="verdict v-pass"`) {
		t.Error("html verdict is pass")
	}
}

// TestRootFailureShownOnce: the text report gives a blocked step one line
// naming what it waited for, and a set-up failing the same way again
// points at the first instead of repeating it.
func TestRootFailureShownOnce(t *testing.T) {
	var b bytes.Buffer
	if err := report.WriteText(&b, interrupted()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := strings.Count(out, "expected status 201, got 400"); n != 1 {
		t.Errorf("the root failure is shown %d times:\n%s", n, out)
	}
	for _, want := range []string{`↳ waits for "create u"`, "the same failure as crud/get-user / create u"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "blocked: not judged") {
		t.Errorf("a blocked step repeats its message:\n%s", out)
	}
}
