package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/store/memory"
	"github.com/scimharness/scimharness/wire"
)

const (
	secretToken    = "report-secret-token-XYZ"
	secretPassword = "Pa55w0rd-never-shown"
)

// sampleReport runs a few scenarios against the reference server: passes,
// a failure, a strict-only warning in compat mode, an informational MAY, an
// unverified step, a skip, a transport error and cleanup.
func sampleReport(t *testing.T) report.Report {
	t.Helper()
	tenants := server.NewTenants()
	tenants.Add(server.DefaultTenant, server.HashToken(secretToken))
	srv, err := server.New(server.Config{Store: memory.New(), Tenants: tenants, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	base := ts.URL + "/scim/v2"
	c, err := client.New(client.Config{BaseURL: base, Token: secretToken, UserAgent: "Okta SCIM Client 1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	opts := scenario.Options{Mode: scenario.Compat, Prefix: "scimh-5a3c9e"}
	okta := scenario.Scenario{Name: "Okta: assign and deactivate", IdP: "okta", Steps: []scenario.Step{
		{
			Name: "look up by userName", Behaviour: "GET /Users?filter=userName eq … with startIndex=1&count=100", Source: "Okta SCIM 2.0 reference", Clause: "RFC 7644 §3.4.2",
			Request: scenario.RequestTemplate{Method: "GET", Path: "/Users", Query: map[string]string{"filter": `userName eq "${prefix}-ada@example.com"`, "startIndex": "1", "count": "100"}},
			Expect:  []scenario.Expectation{scenario.StatusIn(200), scenario.BodyEquals("totalResults", 0), scenario.BodyEquals("startIndex", 1)},
		},
		{
			Name: "create with password", Behaviour: "POST /Users with password, groups: [] and locale", Source: "Okta SCIM 2.0 reference", Clause: "RFC 7644 §3.3",
			Request: scenario.RequestTemplate{Method: "POST", Path: "/Users", Body: map[string]any{
				"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "${prefix}-ada@example.com",
				"name": map[string]any{"givenName": "Ada", "familyName": "Lovelace"}, "password": secretPassword, "active": true, "locale": "en-US",
				"emails": []any{map[string]any{"value": "${prefix}-ada@example.com", "type": "work", "primary": true}},
			}},
			Capture: map[string]string{"userId": "id"},
			Expect:  []scenario.Expectation{scenario.StatusIn(201), scenario.BodyAbsent("password"), scenario.BodyExists("meta.location")},
		},
		{
			Name: "deactivate with path-less replace", Behaviour: `{"op":"replace","value":{"active":false}}`, Source: "Okta SCIM 2.0 reference", Clause: "RFC 7644 §3.5.2.3",
			Request: scenario.RequestTemplate{Method: "PATCH", Path: "/Users/${userId}", Body: map[string]any{
				"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": false}}},
			}},
			Expect: []scenario.Expectation{
				scenario.StatusIn(200, 204),
				// A deliberately wrong expectation, to show a failure.
				scenario.BodyEquals("name.givenName", "Augusta"),
			},
		},
		{
			Name: "answers application/json", Behaviour: "response Content-Type for a client that sent application/json", Source: "pond/scimitar issue 142", Clause: "RFC 7644 §3.1",
			Request: scenario.RequestTemplate{Method: "GET", Path: "/Users/${userId}", Headers: map[string]string{"Accept": "application/json"}},
			Expect:  []scenario.Expectation{scenario.HeaderContains("Content-Type", "application/json").StrictOnlyBecause("most IdPs accept application/scim+json")},
		},
		{
			Name: "offers Cache-Control", Level: scenario.May, Behaviour: "caching hints on a resource", Clause: "RFC 7644 §3.14", Unverified: true,
			Request: scenario.RequestTemplate{Method: "GET", Path: "/Users/${userId}"},
			Expect:  []scenario.Expectation{{Header: "Cache-Control"}},
		},
		{
			Name: "rename group", When: "groupId", Behaviour: "group push rename", Source: "Okta SCIM 2.0 reference",
			Request: scenario.RequestTemplate{Method: "PATCH", Path: "/Groups/${groupId}"},
		},
	}}
	results := scenario.Run(context.Background(), c, okta, opts)

	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	dc, _ := client.New(client.Config{BaseURL: dead.URL + "/scim/v2", Token: secretToken})
	results = append(results, scenario.Run(context.Background(), dc, scenario.Scenario{Name: "Entra: test connection", IdP: "entra", Steps: []scenario.Step{{
		Name: "probe with a random userName", Behaviour: `GET /Users?filter=userName eq "<GUID>"`, Source: "Entra TUT", Clause: "RFC 7644 §3.4.2",
		Request: scenario.RequestTemplate{Method: "GET", Path: "/Users", Query: map[string]string{"filter": `userName eq "7f2c1e9a-3b1d-4c55-9a51-2f0f3c6e8d10"`}},
		Expect:  []scenario.Expectation{scenario.StatusIn(200)},
	}}}, opts)...)

	return report.Report{
		Title:   "scimharness simulate — okta",
		Target:  base,
		IdP:     "okta",
		Mode:    string(scenario.Compat),
		Command: "SCIM_TOKEN=… scimharness simulate --idp okta --compat --base-url " + base,
		Started: time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC),
		Results: results,
	}
}

func render(t *testing.T, write func(io.Writer, report.Report) error, r report.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestSampleHasEveryStatus(t *testing.T) {
	r := sampleReport(t)
	s := scenario.Summarize(r.Results)
	for _, st := range []scenario.Status{scenario.Pass, scenario.Warn, scenario.Fail, scenario.Error, scenario.Skip} {
		if s.Counts[st] == 0 {
			t.Errorf("the sample has no %s result: %v", st, s)
		}
	}
	if s.Info != 1 || s.Verdict != scenario.Error {
		t.Errorf("summary %v", s)
	}
	// Render the sample for people to look at.
	if out := os.Getenv("SCIMHARNESS_REPORT_SAMPLE"); out != "" {
		if err := os.WriteFile(out, []byte(render(t, report.WriteHTML, r)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The JUnit document as a CI server reads it.
type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
	Suites   []struct {
		Name       string `xml:"name,attr"`
		Tests      int    `xml:"tests,attr"`
		Failures   int    `xml:"failures,attr"`
		Errors     int    `xml:"errors,attr"`
		Skipped    int    `xml:"skipped,attr"`
		Properties []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name       string `xml:"name,attr"`
			Classname  string `xml:"classname,attr"`
			Properties []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error   *struct{} `xml:"error"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// TestJUnit: one testcase per scenario (check), named by it; the steps in
// its system-out; a failing step makes the case fail with its message and
// exchanges; totals agree with the elements.
func TestJUnit(t *testing.T) {
	r := sampleReport(t)
	out := render(t, report.WriteJUnit, r)
	var doc junitDoc
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("invalid XML: %v\n%s", err, out)
	}
	if doc.Tests != 2 || doc.Failures != 1 || doc.Errors != 1 || doc.Skipped != 0 {
		t.Errorf("totals %d/%d/%d/%d, want 2 cases: 1 failed, 1 errored", doc.Tests, doc.Failures, doc.Errors, doc.Skipped)
	}
	if len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 2 {
		t.Fatalf("suites %+v", doc.Suites)
	}
	suite := doc.Suites[0]
	if suite.Tests != doc.Tests || suite.Failures != doc.Failures || suite.Errors != doc.Errors {
		t.Errorf("suite attributes %d/%d/%d, root %d/%d/%d", suite.Tests, suite.Failures, suite.Errors, doc.Tests, doc.Failures, doc.Errors)
	}
	fail, errored := suite.Cases[0], suite.Cases[1]
	if fail.Name != "Okta: assign and deactivate" || errored.Name != "Entra: test connection" {
		t.Errorf("case names %q, %q", fail.Name, errored.Name)
	}
	if fail.Failure == nil || !strings.Contains(fail.Failure.Message, `deactivate with path-less replace: expected "name.givenName" to be "Augusta", got "Ada"`) || !strings.Contains(fail.Failure.Text, "> PATCH ") {
		t.Errorf("failure %+v", fail.Failure)
	}
	if errored.Error == nil {
		t.Error("the unreachable target's scenario is not an error")
	}
	props := map[string]string{}
	for _, p := range fail.Properties {
		props[p.Name] = p.Value
	}
	if props["level"] != "MUST" || props["clause"] != "RFC 7644 §3.5.2.3" || props["source"] != "Okta SCIM 2.0 reference" || props["status"] != "fail" {
		t.Errorf("properties %v", props)
	}
	if fail.Classname != "okta.Okta" || errored.Classname != "entra.Entra" {
		t.Errorf("classnames %q, %q", fail.Classname, errored.Classname)
	}
	if !strings.Contains(out, "look up by userName") || !strings.Contains(out, "create with password") {
		t.Error("the steps are not in system-out")
	}
	if strings.Contains(out, secretToken) || strings.Contains(out, secretPassword) {
		t.Error("junit.xml contains a secret")
	}
}

// TestJUnitNamesAreStable: two runs of the same scenarios against servers
// that make other ids give the same testcase names (issue 19: names with
// server UUIDs broke CI trend views).
func TestJUnitNamesAreStable(t *testing.T) {
	names := func() []string {
		var doc junitDoc
		if err := xml.Unmarshal([]byte(render(t, report.WriteJUnit, sampleReport(t))), &doc); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range doc.Suites {
			for _, c := range s.Cases {
				out = append(out, c.Classname+" / "+c.Name)
			}
		}
		return out
	}
	a, b := names(), names()
	if !slices.Equal(a, b) || len(a) == 0 {
		t.Errorf("names differ between runs:\n%q\n%q", a, b)
	}
	for _, n := range a {
		if strings.Count(n, "-") >= 4 { // a UUID
			t.Errorf("a testcase name carries a server id: %q", n)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := sampleReport(t)
	first := render(t, report.WriteJSON, r)
	back, err := report.ReadJSON(strings.NewReader(first))
	if err != nil {
		t.Fatal(err)
	}
	if second := render(t, report.WriteJSON, back); second != first {
		t.Errorf("round trip changed the report")
	}
	if len(back.Results) != len(r.Results) || back.Summary.Verdict != scenario.Error || back.Results[2].Status != scenario.Fail ||
		back.Results[2].Exchanges[0].Response.Status != 200 || !back.Started.Equal(r.Started) {
		t.Errorf("read back %+v", back.Summary)
	}
	var generic map[string]any
	json.Unmarshal([]byte(first), &generic)
	if generic["summary"].(map[string]any)["verdict"] != "error" {
		t.Errorf("statuses are not written as names: %v", generic["summary"])
	}
	if strings.Contains(first, secretToken) || strings.Contains(first, secretPassword) {
		t.Error("report.json contains a secret")
	}
}

func TestHTML(t *testing.T) {
	r := sampleReport(t)
	out := render(t, report.WriteHTML, r)
	for _, want := range []string{
		"<title>scimharness simulate — okta — error</title>",
		`expected &#34;name.givenName&#34; to be &#34;Augusta&#34;, got &#34;Ada&#34;`, // the failure message
		"no answer from the target",                                                    // the transport error
		"tolerated in compat mode",                                                     // the strict-only warning
		`class="badge b-info"`,                                                         // the failing MAY
		`class="unverified"`,
		"RFC 7644 §3.5.2.3",
		"scimharness simulate --idp okta --compat",
		"Bearer [REDACTED]",
		"&#34;password&#34;: &#34;[REDACTED]&#34;", // the request body, redacted and indented
	} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	for _, secret := range []string{secretToken, secretPassword} {
		if strings.Contains(out, secret) {
			t.Errorf("HTML contains %q", secret)
		}
	}
	// Self-contained: nothing fetched, nothing run.
	for _, bad := range []string{"<script", "<link", "src=", "@import", "url("} {
		if strings.Contains(out, bad) {
			t.Errorf("HTML contains %q", bad)
		}
	}
	// The fail, the warning and the error are expanded; passes, the skip
	// and the informational MAY are not.
	if n := strings.Count(out, "<details open>"); n != 3 {
		t.Errorf("%d expanded results, want 3", n)
	}
}

func TestHTMLEscapesHostileStrings(t *testing.T) {
	hostile := `<script>alert("x")</script><img src=x onerror=alert(1)>`
	r := report.Report{
		Title:   hostile,
		Target:  "http://example.test/scim/v2?<b>",
		Command: hostile,
		Results: []scenario.Result{{
			Scenario: hostile, Step: hostile, Status: scenario.Fail, Behaviour: hostile, Source: hostile, Clause: hostile,
			Message: "expected status 200, got 500; response body: " + hostile,
			Exchanges: []wire.Exchange{{
				Request:  wire.Request{Method: "GET", URL: "http://example.test/" + hostile, Header: http.Header{"X-Evil": {hostile}}},
				Response: &wire.Response{Status: 500, Header: http.Header{"Content-Type": {"text/html"}}, Body: wire.Body(hostile)},
			}},
		}},
	}
	out := render(t, report.WriteHTML, r)
	if strings.Contains(out, "<script") || strings.Contains(out, "<img") {
		t.Errorf("hostile markup survived:\n%s", out)
	}
	if !strings.Contains(out, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Error("hostile text is not shown escaped")
	}
	junit := render(t, report.WriteJUnit, r)
	if err := xml.Unmarshal([]byte(junit), new(junitDoc)); err != nil {
		t.Errorf("JUnit with hostile strings is invalid: %v", err)
	}
}

func TestWriteDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "out")
	r := sampleReport(t)
	if err := report.WriteDir(dir, r); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("files %v", entries)
	}
	for _, name := range []string{report.JSONFile, report.JUnitFile, report.HTMLFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || len(b) == 0 {
			t.Errorf("%s: %v", name, err)
		}
		if bytes.Contains(b, []byte(secretToken)) {
			t.Errorf("%s contains the token", name)
		}
	}
}

func TestWriteText(t *testing.T) {
	out := render(t, report.WriteText, sampleReport(t))
	for _, want := range []string{
		"fail  Okta: assign and deactivate / deactivate with path-less replace  [MUST · RFC 7644 §3.5.2.3]",
		`      expected "name.givenName" to be "Augusta", got "Ada"`,
		"info  Okta: assign and deactivate / offers Cache-Control  [MAY · RFC 7644 §3.14 · unverified]",
		"error: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
}

func TestEmptyReport(t *testing.T) {
	r := report.Report{Title: "nothing"}
	for _, w := range []func(io.Writer, report.Report) error{report.WriteJSON, report.WriteJUnit, report.WriteHTML, report.WriteText} {
		if err := w(io.Discard, r); err != nil {
			t.Error(err)
		}
	}
}

// TestSections: extra summaries are shown in the HTML (values with a
// known status as badges, everything escaped) and kept in the JSON; a
// report without them renders as before.
func TestSections(t *testing.T) {
	r := sampleReport(t)
	if out := render(t, report.WriteHTML, r); strings.Contains(out, `class="extra"`) {
		t.Error("a report without sections shows one")
	}
	r.Sections = []report.Section{{Title: "Certification", Rows: []report.SectionRow{
		{Label: "Target", Value: "http://127.0.0.1/scim/v2"},
		{Label: "profile rfc", Value: "success", Status: "pass"},
		{Label: "profile okta", Value: "partial", Status: `warn" onclick="x`},
		{Label: "<b>hostile</b>", Value: "<script>alert(1)</script>"},
	}}}
	out := render(t, report.WriteHTML, r)
	for _, want := range []string{
		`<section class="extra">`, "<h2>Certification</h2>", "<th>Target</th><td>http://127.0.0.1/scim/v2</td>",
		`<th>profile rfc</th><td><span class="badge b-pass">success</span></td>`,
		"<th>profile okta</th><td>partial</td>", // an unknown status: plain text
		"&lt;b&gt;hostile&lt;/b&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(out, "<script") || strings.Contains(out, "onclick") {
		t.Error("hostile section text survived")
	}
	js := render(t, report.WriteJSON, r)
	back, err := report.ReadJSON(strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Sections) != 1 || len(back.Sections[0].Rows) != 4 || back.Sections[0].Rows[1] != (report.SectionRow{Label: "profile rfc", Value: "success", Status: "pass"}) {
		t.Errorf("sections read back as %+v", back.Sections)
	}
	if js2 := render(t, report.WriteJSON, sampleReport(t)); strings.Contains(js2, `"sections"`) {
		t.Error("report.json has sections it was not given")
	}
}

// TestTimings: a measured cycle is one line before the verdict in text, a
// section in HTML, and kept in JSON; JUnit and reports without timings
// are unchanged.
func TestTimings(t *testing.T) {
	r := sampleReport(t)
	plain := map[string]string{}
	for name, w := range map[string]func(io.Writer, report.Report) error{"text": report.WriteText, "json": report.WriteJSON, "junit": report.WriteJUnit} {
		plain[name] = render(t, w, r)
	}
	if strings.Contains(plain["json"], `"timings"`) || strings.Contains(render(t, report.WriteHTML, r), "Timing:") {
		t.Error("a report without timings shows some")
	}
	tm := report.Timing{
		Name: "initial cycle", Users: 10000, Groups: 100, Concurrency: 4, Requests: 20301,
		Duration: 4210 * time.Millisecond, Seconds: 4.21, RequestsPerSecond: 4822,
		CleanupRequests: 10100, Cleanup: 1900 * time.Millisecond,
		Line: "initial cycle: 10000 users, 100 groups, 20301 requests in 4.21 s (4822 req/s), concurrency 4; cleanup (not counted) 10100 requests in 1.90 s",
	}
	r.Timings = []report.Timing{tm}
	text := render(t, report.WriteText, r)
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if n := len(lines); n < 2 || lines[n-2] != tm.Line || !strings.HasPrefix(lines[n-1], "error: ") {
		t.Errorf("text does not end with the timing line and the verdict:\n%s", strings.Join(lines[max(0, len(lines)-3):], "\n"))
	}
	html := render(t, report.WriteHTML, r)
	for _, want := range []string{"<h2>Timing: initial cycle</h2>", "20301 in 4.21 s (4822 req/s), concurrency 4", "10100 requests in 1.90 s"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	back, err := report.ReadJSON(strings.NewReader(render(t, report.WriteJSON, r)))
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Timings) != 1 || back.Timings[0] != tm {
		t.Errorf("timings read back as %+v", back.Timings)
	}
	if junit := render(t, report.WriteJUnit, r); junit != plain["junit"] {
		t.Error("JUnit changed with a timing")
	}
}

// TestWriteChecks: one line per scenario with its verdict and steps, the
// first problem's reason under it, the failures again with the reproduce
// command, and counts of scenarios and of steps; --quiet keeps only the
// closing part, -v is WriteText.
func TestWriteChecks(t *testing.T) {
	r := sampleReport(t)
	write := func(o report.TextOptions) string {
		var b strings.Builder
		if err := report.WriteChecks(&b, r, o); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	out := write(report.TextOptions{Reproduce: "scimharness simulate --idp okta"})
	for _, want := range []string{
		"fail  Okta: assign and deactivate  (7 steps)",
		`      deactivate with path-less replace: expected "name.givenName" to be "Augusta", got "Ada"`,
		"error Entra: test connection  (1 steps)",
		"2 of 2 did not pass:",
		"reproduce: scimharness simulate --idp okta (add -v for every step)",
		"scenarios: 2 (1 failed, 1 errored)",
		"steps: error: 3 passed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "look up by userName") {
		t.Errorf("a passing step is printed without -v:\n%s", out)
	}
	quiet := write(report.TextOptions{Quiet: true})
	if strings.Contains(quiet, "(7 steps)") || !strings.Contains(quiet, "2 of 2 did not pass:") || !strings.Contains(quiet, "scenarios: 2") {
		t.Errorf("--quiet:\n%s", quiet)
	}
	if steps := write(report.TextOptions{Steps: true}); steps != render(t, report.WriteText, r) {
		t.Error("-v is not WriteText")
	}
}

// TestReportsNameTheTool: report.json and junit.xml record the build of
// scimharness that judged the run (issue 19: provenance).
func TestReportsNameTheTool(t *testing.T) {
	r := sampleReport(t)
	for name, w := range map[string]func(io.Writer, report.Report) error{"json": report.WriteJSON, "junit": report.WriteJUnit} {
		if out := render(t, w, r); !strings.Contains(out, "scimharness (devel)") && !strings.Contains(out, "scimharness v") {
			t.Errorf("%s names no tool version:\n%.400s", name, out)
		}
	}
}

// TestWriteChecksCollapsesNotRun: after a Ctrl-C the scenarios that never
// began get one line together, not two each (issue 19: ~54,800 lines after
// an interruption); the one cut off while running keeps its own, and the
// counts still count every scenario.
func TestWriteChecksCollapsesNotRun(t *testing.T) {
	res := func(sc string, st scenario.Status) scenario.Result {
		return scenario.Result{Scenario: sc, Step: "step", Status: st, Message: st.String() + ": the reason"}
	}
	tests := []struct {
		name    string
		results []scenario.Result
		want    []string
		notWant []string
	}{
		{"many not run", []scenario.Result{
			res("team 1", scenario.Pass), res("team 2", scenario.Pass), res("team 2", scenario.Incomplete),
			res("team 3", scenario.Incomplete), res("team 4", scenario.Incomplete), res("team 5", scenario.Incomplete), res("team 5", scenario.Incomplete),
		}, []string{
			"pass  team 1  (1 steps)\n",
			"incomplete team 2  (2 steps)\n      step: incomplete: the reason\n",
			"incomplete 3 more not run, the run was interrupted: team 3 … team 5\n",
			"scenarios: 5 (1 passed, 4 incomplete)\n",
		}, []string{"team 4"}},
		{"one not run", []scenario.Result{res("team 1", scenario.Pass), res("team 2", scenario.Incomplete)}, []string{
			"incomplete team 2  (not run: the run was interrupted)\n",
			"scenarios: 2 (1 passed, 1 incomplete)\n",
		}, []string{"more not run"}},
		{"none interrupted", []scenario.Result{res("team 1", scenario.Pass)}, nil, []string{"not run"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := report.WriteChecks(&b, report.Report{Title: "t", Results: tt.results}, report.TextOptions{}); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("lacks %q:\n%s", w, b.String())
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(b.String(), w) {
					t.Errorf("has %q:\n%s", w, b.String())
				}
			}
		})
	}
}

// TestWriteChecksCollapsesNumberedPasses: a row of passing scenarios that
// differ only by their numbers (an Entra initial cycle's teams) is one
// line; a failure among them keeps its own and splits the row; checks are
// never collapsed (issue 19: 30,406 lines for a 10,000-user run).
func TestWriteChecksCollapsesNumberedPasses(t *testing.T) {
	team := func(n int, st scenario.Status) scenario.Result {
		return scenario.Result{Scenario: fmt.Sprintf("entra: initial cycle, team %d (u%d)", n, n), Step: "create", Status: st, Message: "the reason"}
	}
	var teams []scenario.Result
	for n := 1; n <= 9; n++ {
		st := scenario.Pass
		if n == 5 {
			st = scenario.Fail
		}
		teams = append(teams, team(n, st), team(n, scenario.Pass))
	}
	tests := []struct {
		name    string
		r       report.Report
		want    []string
		notWant []string
	}{
		{"scenarios", report.Report{Results: teams}, []string{
			"pass  entra: initial cycle, team 1 (u1) … entra: initial cycle, team 4 (u4)  (4 scenarios, 8 steps)\n",
			"fail  entra: initial cycle, team 5 (u5)  (2 steps)\n",
			"pass  entra: initial cycle, team 6 (u6) … entra: initial cycle, team 9 (u9)  (4 scenarios, 8 steps)\n",
			"scenarios: 9 (8 passed, 1 failed)\n",
		}, []string{"team 2 (u2)", "team 8 (u8)"}},
		{"two are not a row", report.Report{Results: teams[:4]}, []string{
			"pass  entra: initial cycle, team 1 (u1)  (2 steps)\n", "pass  entra: initial cycle, team 2 (u2)  (2 steps)\n",
		}, []string{"…"}},
		{"checks", report.Report{Results: teams[:8], Unit: "checks"}, []string{
			"pass  entra: initial cycle, team 3 (u3)  (2 steps)\n", "checks: 4 (4 passed)\n",
		}, []string{"…"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := report.WriteChecks(&b, tt.r, report.TextOptions{}); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("lacks %q:\n%s", w, b.String())
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(b.String(), w) {
					t.Errorf("has %q:\n%s", w, b.String())
				}
			}
		})
	}
}

// TestConfidenceShown: a result's confidence (issue 15: every step says
// whether the IdP documents it, was seen doing it, or neither) reaches
// the report JSON, the JUnit properties, the terminal's tag line (-v) and
// the HTML, and an unverified one is labelled so everywhere.
func TestConfidenceShown(t *testing.T) {
	r := report.Report{Title: "t", Results: []scenario.Result{
		{Scenario: "Okta: import", Step: "list users", Status: scenario.Fail, Level: scenario.Must, Clause: "RFC 7644 §3.4.2",
			Behaviour: "GET /Users?startIndex=1&count=100", Source: "Okta SCIM 2.0 reference", SourceURL: "https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20",
			Confidence: scenario.Doc, Verified: true, Message: "expected 200, got 500"},
		{Scenario: "Okta: import", Step: "guess", Status: scenario.Pass, Behaviour: "a variant", Confidence: scenario.Unverified, Verified: false},
	}}
	js := render(t, report.WriteJSON, r)
	if !strings.Contains(js, `"confidence": "doc"`) || !strings.Contains(js, `"confidence": "unverified"`) {
		t.Errorf("report.json lacks the confidences:\n%s", js)
	}
	ju := render(t, report.WriteJUnit, r)
	if !strings.Contains(ju, `name="confidence" value="doc"`) || !strings.Contains(ju, `name="sourceURL" value="https://developer.okta.com/`) {
		t.Errorf("junit.xml lacks the confidence or the source URL:\n%s", ju)
	}
	var txt bytes.Buffer
	if err := report.WriteText(&txt, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "source: doc") || !strings.Contains(txt.String(), "unverified") {
		t.Errorf("the terminal lacks the confidence:\n%s", txt.String())
	}
	h := render(t, report.WriteHTML, r)
	if !strings.Contains(h, `class="confidence" title="The IdP's documentation describes it">doc<`) || !strings.Contains(h, `class="unverified"`) {
		t.Error("report.html lacks the confidence badges")
	}
}

// TestHTMLTimesOnlyWhatWasTimed: a row that sent nothing (certify's
// fingerprints and coverage) shows no time; a request shows its own
// (issue 19: every certify row read "0 ms").
func TestHTMLTimesOnlyWhatWasTimed(t *testing.T) {
	r := report.Report{Title: "t", Results: []scenario.Result{
		{Scenario: "fingerprints", Step: "Okta: lookup before create", Status: scenario.Pass, Verified: true},
		{Scenario: "requests", Step: "#1 GET /Users", Status: scenario.Pass, Verified: true, Duration: 42 * time.Millisecond,
			Exchanges: []wire.Exchange{{Request: wire.Request{Method: "GET", URL: "http://x/scim/v2/Users"}, Response: &wire.Response{Status: 200}, Duration: 42 * time.Millisecond}}},
	}}
	h := render(t, report.WriteHTML, r)
	if strings.Contains(h, `<td class="c-time">0 ms</td>`) {
		t.Error("a row that sent nothing shows 0 ms")
	}
	if !strings.Contains(h, `<td class="c-time">42 ms</td>`) {
		t.Error("the request's own time is not shown")
	}
}

// TestHTMLFoldsPassesPastTheBound: past report.MaxDetailedPasses passing
// steps (one per scenario here), the HTML lists further passing ones without their steps, a
// run of numbered ones of a kind on one line; a scenario that did not
// pass is shown whole wherever it is, and report.json keeps every step.
func TestHTMLFoldsPassesPastTheBound(t *testing.T) {
	step := func(sc string, st scenario.Status, body string) scenario.Result {
		return scenario.Result{Scenario: sc, Step: "create", Status: st, Verified: true, Message: "why " + body,
			Exchanges: []wire.Exchange{{Request: wire.Request{Method: "POST", URL: "http://x/scim/v2/Users", Body: wire.Body(body)}, Response: &wire.Response{Status: 201}}}}
	}
	var rs []scenario.Result
	n := report.MaxDetailedPasses + 5 // the last five: one line
	for i := 1; i <= n; i++ {
		rs = append(rs, step(fmt.Sprintf("team %d", i), scenario.Pass, fmt.Sprintf("body-of-%d;", i)))
	}
	rs = append(rs, step("the failing team", scenario.Fail, "body-of-the-failure;"))
	r := report.Report{Title: "t", Results: rs}
	h := render(t, report.WriteHTML, r)
	for _, want := range []string{"body-of-1;", fmt.Sprintf("body-of-%d;", report.MaxDetailedPasses), "body-of-the-failure;",
		fmt.Sprintf("team %d … team %d", report.MaxDetailedPasses+1, n), "5 scenarios, 5 steps, passed; past 5000 passing steps the page lists scenarios without their steps"} {
		if !strings.Contains(h, want) {
			t.Errorf("the HTML lacks %q", want)
		}
	}
	for _, notWant := range []string{fmt.Sprintf("body-of-%d;", report.MaxDetailedPasses+1), fmt.Sprintf("body-of-%d;", n)} {
		if strings.Contains(h, notWant) {
			t.Errorf("the HTML shows %q, a step of a passing scenario past the bound", notWant)
		}
	}
	j := render(t, report.WriteJSON, r)
	if !strings.Contains(j, fmt.Sprintf("body-of-%d;", n)) {
		t.Error("report.json lacks a step the HTML folded")
	}
}
