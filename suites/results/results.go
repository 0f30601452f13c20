// Package results turns the outcomes of a conformance run into the
// certification report: results.yaml (for machines and for review in a
// pull request), a self-contained report.html, and the report.json and
// junit.xml every harness run writes. The Ginkgo suites (from a
// ReportAfterSuite) and `scimharness conform` both write it, so a report
// reads the same whichever ran the checks.
package results

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/internal/version"
	"github.com/scimharness/scimharness/suites/checks"
	"github.com/scimharness/scimharness/wire"
)

// ResultsFile is the machine-readable certification report.
const ResultsFile = "results.yaml"

// Certification is one run of the conformance checks against one target.
type Certification struct {
	Title    string
	Target   *target.Target
	Command  string
	Started  time.Time
	Outcomes []checks.Outcome
}

// Results are every result, in check order.
func (c Certification) Results() []scenario.Result {
	var rs []scenario.Result
	for _, o := range c.Outcomes {
		rs = append(rs, o.Results...)
	}
	return rs
}

// Profiles gives the verdict of each profile that had checks.
func (c Certification) Profiles() []ProfileVerdict {
	var out []ProfileVerdict
	for _, p := range checks.Profiles {
		if v := checks.ProfileVerdict(c.Outcomes, p); v != "none" {
			out = append(out, ProfileVerdict{Profile: p, Verdict: v})
		}
	}
	return out
}

// ProfileVerdict is one profile's verdict: success, partial or fail.
type ProfileVerdict struct {
	Profile string `yaml:"profile"`
	Verdict string `yaml:"verdict"`
}

// Run is how far the run got (checks.RunOf).
func (c Certification) Run() checks.Run { return checks.RunOf(c.Outcomes) }

// Verdict is the run's verdict: Incomplete when it did not finish, Fail
// when a counted check failed or could not be judged (checks.Passed:
// rfc-edge does not count), and otherwise the worst status of the counted
// checks, Pass or Warn. results.yaml, report.json and report.html all give
// this verdict, and `scimharness conform` exits by it.
func (c Certification) Verdict() scenario.Status {
	switch {
	case !c.Run().Complete():
		return scenario.Incomplete
	case !checks.Passed(c.Outcomes):
		return scenario.Fail
	}
	v := scenario.Pass
	for _, o := range c.Outcomes {
		if o.Counted() {
			v = max(v, o.Worst())
		}
	}
	return v
}

// Report is the run as a report.Report, for the shared writers.
func (c Certification) Report() report.Report {
	r := report.Report{Title: c.Title, Command: c.Command, Started: c.Started, Mode: string(scenario.Strict), Results: c.Results(), Unit: "checks"}
	if run := c.Run(); !run.Complete() {
		r.Interrupted = run.String()
	}
	r.Summary = scenario.Summarize(r.Results)
	r.Summary.Verdict = c.Verdict()
	if c.Target != nil {
		r.Target = c.Target.BaseURL
	}
	r.Sections = []report.Section{c.Section()}
	if sec, ok := c.AttributeSection(); ok {
		r.Sections = append(r.Sections, sec)
	}
	for _, o := range c.Outcomes {
		area, _, _ := strings.Cut(o.Check.ID, "/")
		r.Scenarios = append(r.Scenarios, report.ScenarioInfo{Name: o.Check.ID, Title: o.Check.Name, Area: area,
			Profile: o.Check.ProfileOf(), Level: o.Check.LevelOf(), Clause: o.Check.Clause})
	}
	return r
}

type yamlDoc struct {
	Title    string           `yaml:"title"`
	Tool     string           `yaml:"tool"`
	Target   string           `yaml:"target"`
	Store    string           `yaml:"store,omitempty"`
	Started  time.Time        `yaml:"started"`
	Command  string           `yaml:"command"`
	Declared []string         `yaml:"declaredFeatures"`
	Tested   []string         `yaml:"testedFeatures"`
	Verdict  string           `yaml:"verdict"`
	Run      string           `yaml:"run"`
	Summary  string           `yaml:"summary"`
	Profiles []ProfileVerdict `yaml:"profiles"`
	// Attributes: the generated checks' verdicts by resource type and
	// attribute (Certification.Attributes).
	Attributes []Attribute `yaml:"attributes,omitempty"`
	Checks     []yamlCheck `yaml:"checks"`
}

type yamlCheck struct {
	ID       string     `yaml:"id"`
	Name     string     `yaml:"name"`
	Clause   string     `yaml:"clause"`
	Level    string     `yaml:"level"`
	Profile  string     `yaml:"profile"`
	Features []string   `yaml:"features,omitempty,flow"`
	Status   string     `yaml:"status"`
	Problems []yamlStep `yaml:"problems,omitempty"`
}

type yamlStep struct {
	Step      string         `yaml:"step"`
	Status    string         `yaml:"status"`
	Clause    string         `yaml:"clause,omitempty"`
	Message   string         `yaml:"message,omitempty"`
	Exchanges []yamlExchange `yaml:"exchanges,omitempty"`
	// Blocked are the steps this failure blocked: folded under their root,
	// not listed as failures of their own.
	Blocked []string `yaml:"blocked,omitempty"`
}

// yamlExchange is an exchange with bodies as text (already redacted by the
// client).
type yamlExchange struct {
	Request  string `yaml:"request"`
	Body     string `yaml:"body,omitempty"`
	Status   int    `yaml:"status,omitempty"`
	Response string `yaml:"response,omitempty"`
	Error    string `yaml:"error,omitempty"`
}

func viewExchange(ex wire.Exchange) yamlExchange {
	y := yamlExchange{Request: ex.Request.Method + " " + ex.Request.URL, Body: string(ex.Request.Body), Error: ex.Err}
	if ex.Response != nil {
		y.Status, y.Response = ex.Response.Status, string(ex.Response.Body)
	}
	return y
}

// YAML renders results.yaml: the target, its declared and tested
// features, a verdict per profile, and every check — with, for each one
// that did not pass, the failing steps, their clause and exchanges.
func (c Certification) YAML() ([]byte, error) {
	sum := scenario.Summarize(c.Results())
	d := yamlDoc{Title: c.Title, Tool: "scimharness " + version.String(), Started: c.Started, Command: c.Command, Verdict: c.Verdict().String(), Run: c.Run().String(), Summary: sum.String(), Profiles: c.Profiles(), Attributes: c.Attributes()}
	if t := c.Target; t != nil {
		d.Target, d.Declared, d.Tested = t.BaseURL, t.Declared.List(), t.Features.List()
		if t.InProcess {
			d.Store = t.Store
		}
	}
	for _, o := range c.Outcomes {
		yc := yamlCheck{ID: o.Check.ID, Name: o.Check.Name, Clause: o.Check.Clause, Level: string(o.Check.LevelOf()), Profile: o.Check.ProfileOf(), Features: o.Check.Features, Status: o.Label()}
		roots := map[string]int{} // step → its index in Problems
		for _, r := range o.Results {
			if r.Status < scenario.Warn {
				continue
			}
			if i, ok := roots[r.WaitsFor]; ok && r.Status == scenario.Blocked {
				yc.Problems[i].Blocked = append(yc.Problems[i].Blocked, r.Step)
				continue
			}
			roots[r.Step] = len(yc.Problems)
			// An info (a failing MAY) is listed as one, so that the
			// check's status and its messages agree.
			ys := yamlStep{Step: r.Step, Status: r.Status.String(), Clause: r.Clause, Message: r.Message}
			if r.Status == scenario.Warn && r.Info {
				ys.Status = "info"
			}
			for _, ex := range r.Exchanges {
				ys.Exchanges = append(ys.Exchanges, viewExchange(ex))
			}
			yc.Problems = append(yc.Problems, ys)
		}
		d.Checks = append(d.Checks, yc)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// Section is the certification summary the HTML report shows above the
// results, and report.json keeps: the target, its declared and tested
// features, and the verdict of each profile.
func (c Certification) Section() report.Section {
	sec := report.Section{Title: "Certification"}
	add := func(label, value, status string) {
		sec.Rows = append(sec.Rows, report.SectionRow{Label: label, Value: value, Status: status})
	}
	if t := c.Target; t != nil {
		add("Target", t.BaseURL, "")
		if t.InProcess {
			add("Store", "reference server, "+t.Store+" store", "")
		}
		add("Declared features", listOrNone(t.Declared.List()), "")
		add("Tested features", listOrNone(t.Features.List()), "")
		if t.Retries != "" {
			add("Retries", t.Retries, "")
		}
	}
	for _, p := range c.Profiles() {
		add("Profile "+p.Profile, p.Verdict, verdictStatus(p.Verdict))
	}
	return sec
}

// Attribute is the verdict of the generated checks of one attribute of
// one resource type (issue 17: a reader sees at a glance which attributes
// a server mishandles): the worst status of its checks, and each check's
// kind with its status, in run order.
type Attribute struct {
	ResourceType string            `yaml:"resourceType"`
	Attribute    string            `yaml:"attribute"`
	Status       string            `yaml:"status"`
	Checks       []AttributeResult `yaml:"checks,flow"`
	worst        scenario.Status
}

// Problems names the kinds of a's checks that did not pass and were not
// skipped, with their status ("patch-add fail"), in run order.
func (a Attribute) Problems() []string {
	var out []string
	for _, k := range a.Checks {
		if k.Status != scenario.Pass.String() && k.Status != scenario.Skip.String() {
			out = append(out, k.Kind+" "+k.Status)
		}
	}
	return out
}

func (a Attribute) passed() int {
	n := 0
	for _, k := range a.Checks {
		if k.Status == scenario.Pass.String() {
			n++
		}
	}
	return n
}

// AttributeResult is one generated check of an Attribute.
type AttributeResult struct {
	Kind   string `yaml:"kind"`
	Status string `yaml:"status"`
}

// Attributes groups the generated (schema/…) outcomes by resource type and
// attribute, in run order; none when the run had no generated check.
func (c Certification) Attributes() []Attribute {
	var out []Attribute
	at := map[string]int{}
	for _, o := range c.Outcomes {
		rt, attr, kind, ok := checks.SchemaID(o.Check.ID)
		if !ok {
			continue
		}
		i, seen := at[rt+"/"+attr]
		if !seen {
			i = len(out)
			at[rt+"/"+attr] = i
			out = append(out, Attribute{ResourceType: rt, Attribute: attr})
		}
		a := &out[i]
		a.Checks = append(a.Checks, AttributeResult{Kind: kind, Status: o.Label()})
		if st := o.Status(); st > a.worst || len(a.Checks) == 1 {
			a.worst, a.Status = st, o.Label()
		}
	}
	return out
}

// AttributeSection is Attributes as a report section: a row per resource
// type and attribute, its worst status as the badge, and the kinds that
// did not pass named. Attributes that passed everything are one row each
// too, so the table is the whole coverage.
func (c Certification) AttributeSection() (report.Section, bool) {
	attrs := c.Attributes()
	if len(attrs) == 0 {
		return report.Section{}, false
	}
	sec := report.Section{Title: "Generated checks by resource type and attribute"}
	// The attributes a check did not pass on first, so that they sit at
	// the top of the section, then the rest in run order.
	slices.SortStableFunc(attrs, func(a, b Attribute) int {
		return cmp.Compare(b.worst, a.worst)
	})
	for _, a := range attrs {
		v := fmt.Sprintf("%d of %d passed", a.passed(), len(a.Checks))
		if bad := a.Problems(); len(bad) > 0 {
			v += ": " + strings.Join(bad, ", ")
		}
		sec.Rows = append(sec.Rows, report.SectionRow{Label: a.ResourceType + " " + a.Attribute, Value: v, Status: a.Status})
	}
	return sec, true
}

// verdictStatus is the badge colour of a profile verdict.
func verdictStatus(v string) string {
	switch v {
	case "success":
		return scenario.Pass.String()
	case "partial":
		return scenario.Warn.String()
	case "incomplete":
		return scenario.Incomplete.String()
	}
	return scenario.Fail.String()
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// HTML renders report.html: the shared HTML report, the certification
// summary (target, features, verdict per profile) on top of the results.
func (c Certification) HTML() ([]byte, error) {
	var page bytes.Buffer
	if err := report.WriteHTML(&page, c.Report()); err != nil {
		return nil, err
	}
	return page.Bytes(), nil
}

// WriteDir writes results.yaml, and report.html, report.json and
// junit.xml (the shared writers, with the certification summary), into
// dir.
func (c Certification) WriteDir(dir string) error {
	if err := report.WriteDir(dir, c.Report()); err != nil {
		return err
	}
	y, err := c.YAML()
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+ResultsFile+".tmp")
	if err := os.WriteFile(tmp, y, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, ResultsFile))
}
