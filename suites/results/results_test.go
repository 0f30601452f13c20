package results_test

import (
	"bytes"
	"context"
	"html/template"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/server/broken"
	"github.com/scimharness/scimharness/suites/checks"
	"github.com/scimharness/scimharness/suites/results"
)

const token = "runner-s3cret-t0ken"

// certify runs the checks selected by prefix against a server with bug
// and writes the certification report into a new directory.
func certify(t *testing.T, bug string, skip []string, prefixes ...string) (results.Certification, string) {
	t.Helper()
	b, ok := broken.ByName(bug)
	if !ok {
		t.Fatalf("no bug %q", bug)
	}
	h, err := broken.Handler(&b, token)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	ctx := context.Background()
	tg, err := target.Open(ctx, target.Config{BaseURL: ts.URL + "/scim/v2", Token: token, SkipFeatures: skip})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tg.Close)
	all := checks.All()
	if checks.SelectsSchema(prefixes) {
		gen, err := checks.SchemaChecks(ctx, tg)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, gen...)
	}
	var selected []checks.Check
	for _, c := range all {
		for _, p := range prefixes {
			if strings.HasPrefix(c.ID, p) {
				selected = append(selected, c)
				break
			}
		}
	}
	cert := results.Certification{
		Title: "runner test", Target: tg, Started: time.Now(),
		Command:  "SCIM_TOKEN=… scimharness conform --url " + tg.BaseURL,
		Outcomes: checks.RunAll(ctx, tg, selected, nil),
	}
	dir := t.TempDir()
	if err := cert.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	return cert, dir
}

type resultsDoc struct {
	Tool     string    `yaml:"tool"`
	Started  time.Time `yaml:"started"`
	Target   string    `yaml:"target"`
	Command  string    `yaml:"command"`
	Declared []string  `yaml:"declaredFeatures"`
	Tested   []string  `yaml:"testedFeatures"`
	Verdict  string    `yaml:"verdict"`
	Profiles []struct {
		Profile, Verdict string
	} `yaml:"profiles"`
	Checks []struct {
		ID, Clause, Level, Profile, Status string
		Problems                           []struct {
			Step, Status, Clause, Message string
			Exchanges                     []struct {
				Request, Body, Response string
				Status                  int
			}
		}
	} `yaml:"checks"`
}

func TestResultsYAML(t *testing.T) {
	cert, dir := certify(t, "500-on-duplicate", []string{target.Sort}, "crud/", "content/", "sort/")
	y, err := os.ReadFile(filepath.Join(dir, results.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	var d resultsDoc
	if err := yaml.Unmarshal(y, &d); err != nil {
		t.Fatal(err)
	}
	if d.Target != cert.Target.BaseURL || !strings.HasPrefix(d.Command, "SCIM_TOKEN=… scimharness conform --url http://127.0.0.1:") {
		t.Errorf("target %q, command %q", d.Target, d.Command)
	}
	if !strings.HasPrefix(d.Tool, "scimharness ") || d.Started.IsZero() {
		t.Errorf("results.yaml names no tool build (%q) or time (%v)", d.Tool, d.Started)
	}
	if !contains(d.Declared, target.Sort) || contains(d.Tested, target.Sort) || !contains(d.Tested, target.Filter) {
		t.Errorf("declared %v, tested %v: sort is declared, and skipped by the override", d.Declared, d.Tested)
	}
	verdicts := map[string]string{}
	for _, p := range d.Profiles {
		verdicts[p.Profile] = p.Verdict
	}
	if verdicts[checks.RFC] != "fail" || verdicts[checks.Google] != "success" || d.Verdict != "fail" {
		t.Errorf("verdict %s, profiles %v; want rfc fail (the duplicate), google success", d.Verdict, verdicts)
	}
	var dup, skipped bool
	for _, c := range d.Checks {
		switch {
		case c.ID == "crud/duplicate-username":
			dup = true
			if c.Status != "fail" || c.Clause == "" || len(c.Problems) == 0 {
				t.Fatalf("crud/duplicate-username: %+v", c)
			}
			p := c.Problems[0]
			if p.Clause == "" || p.Message == "" || len(p.Exchanges) == 0 || p.Exchanges[0].Status != 500 || !strings.HasPrefix(p.Exchanges[0].Request, "POST http://127.0.0.1:") {
				t.Errorf("the failing step lacks its clause, message or exchange: %+v", p)
			}
		case strings.HasPrefix(c.ID, "sort/"):
			skipped = skipped || c.Status == "skip"
		case c.Status == "pass" && len(c.Problems) > 0:
			t.Errorf("%s passed but lists problems", c.ID)
		}
	}
	if !dup || !skipped {
		t.Errorf("checks listed: duplicate %v, a skipped sort check %v", dup, skipped)
	}
	noSecret(t, dir)
}

func TestReportHTMLAndJSON(t *testing.T) {
	_, dir := certify(t, "500-on-duplicate", nil, "crud/", "content/")
	h, err := os.ReadFile(filepath.Join(dir, report.HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"<h2>Certification</h2>",
		`<th>Profile rfc</th><td><span class="badge b-fail">fail</span></td>`,
		`<th>Profile google</th><td><span class="badge b-pass">success</span></td>`,
		"<th>Tested features</th>", "crud/duplicate-username", "scimharness conform --url",
	} {
		if !bytes.Contains(h, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	// The summary: the failed check in its table, with its descriptive
	// name, linked to its anchor; only problems on; no empty Behaviour or
	// Source column (checks have neither).
	c, ok := checks.ByID("crud/duplicate-username")
	if !ok {
		t.Fatal("no check crud/duplicate-username")
	}
	table := h[bytes.Index(h, []byte(`id="failed"`)):bytes.Index(h, []byte(`id="results"`))]
	for _, want := range []string{`<a href="#c-crud-duplicate-username">crud/duplicate-username</a>`, template.HTMLEscapeString(c.Name)} {
		if !bytes.Contains(table, []byte(want)) {
			t.Errorf("the summary's table lacks %q", want)
		}
	}
	for _, want := range []string{`id="c-crud-duplicate-username"`, `id="only-problems" class="toggle" checked>`, `<a class="rfc" href="https://www.rfc-editor.org/rfc/rfc7644#section-3.3">`} {
		if !bytes.Contains(h, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if bytes.Contains(h, []byte("<th>Behaviour</th>")) {
		t.Error("report.html shows an empty Behaviour column")
	}
	if f := os.Getenv("SCIM_CONFORM_HTML"); f != "" {
		_ = os.WriteFile(f, h, 0o644)
	}
	if n := bytes.Count(h, []byte("<body>")); n != 1 {
		t.Errorf("report.html has %d <body>", n)
	}
	f, err := os.Open(filepath.Join(dir, report.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := report.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Sections) != 1 || r.Sections[0].Title != "Certification" {
		t.Errorf("report.json sections: %+v", r.Sections)
	}
	noSecret(t, dir)
}

func noSecret(t *testing.T, dir string) {
	t.Helper()
	for _, f := range []string{results.ResultsFile, report.HTMLFile, report.JSONFile, report.JUnitFile} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(token)) {
			t.Errorf("%s holds the token", f)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestAttributesGroupGeneratedResults: the generated checks' results are
// grouped by resource type and attribute, in results.yaml and as a
// section of report.json/report.html, so a reader sees which attribute a
// server mishandles — here emails, whose PATCH add replaces.
func TestAttributesGroupGeneratedResults(t *testing.T) {
	cert, dir := certify(t, "add-replaces-multivalued", nil, "schema/User/emails/", "schema/User/title/")
	attrs := cert.Attributes()
	if len(attrs) != 2 {
		t.Fatalf("attributes %+v, want User emails and User title", attrs)
	}
	byName := map[string]results.Attribute{}
	for _, a := range attrs {
		byName[a.ResourceType+" "+a.Attribute] = a
	}
	emails, title := byName["User emails"], byName["User title"]
	if emails.Status != "fail" || title.Status != "pass" {
		t.Errorf("User emails is %s, User title %s; want fail and pass", emails.Status, title.Status)
	}
	var failed []string
	for _, k := range emails.Checks {
		if k.Status == "fail" {
			failed = append(failed, k.Kind)
		}
	}
	if strings.Join(failed, ",") != "patch-add" {
		t.Errorf("emails fails %v, want patch-add only", failed)
	}
	sec, ok := cert.AttributeSection()
	if !ok || len(sec.Rows) != 2 || sec.Rows[0].Label != "User emails" || !strings.Contains(sec.Rows[0].Value, "patch-add fail") {
		t.Errorf("section %+v does not lead with emails' patch-add", sec)
	}
	y, err := os.ReadFile(filepath.Join(dir, "results.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(y), "attribute: emails") || !strings.Contains(string(y), "kind: patch-add, status: fail") {
		t.Errorf("results.yaml has no attribute table:\n%s", y[:min(len(y), 2000)])
	}
	j, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(j), "Generated checks by resource type and attribute") {
		t.Error("report.json has no attribute section")
	}
}
