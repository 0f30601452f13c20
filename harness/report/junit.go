package report

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/scimharness/scimharness/harness/scenario"
)

// The JUnit schema as CI servers read it (Jenkins, GitLab, GitHub
// reporters): one testsuite per scenario, one testcase per result.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name       string          `xml:"name,attr"`
	Classname  string          `xml:"classname,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Failure    *junitProblem   `xml:"failure,omitempty"`
	Error      *junitProblem   `xml:"error,omitempty"`
	Skipped    *junitProblem   `xml:"skipped,omitempty"`
	SystemOut  string          `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes r as JUnit XML: one testsuite for the run, one testcase
// per scenario — a conformance check ("filter/and") or an IdP scenario
// ("Okta: assign and deactivate") — named by it, so that names are stable
// from run to run and CI trend views follow them; the steps, with their
// server-made ids, are in the case's system-out. A case fails when a step
// failed, errs when a step erred or was cut off (Incomplete), is skipped
// when nothing in it ran (Skip, Disabled, Blocked), and passes otherwise,
// warnings in its system-out. The failure holds every failing step's
// message and exchanges; the properties are those of the first step that
// decided the case (level, clause, source, behaviour, verification).
func WriteJUnit(w io.Writer, r Report) error {
	r = r.withSummary()
	suite := junitSuite{Name: r.Title}
	if !r.Started.IsZero() {
		suite.Timestamp = r.Started.UTC().Format("2006-01-02T15:04:05")
	}
	suite.Properties = props("tool", r.Tool, "target", r.Target, "idp", r.IdP, "mode", r.Mode, "command", r.Command, "interrupted", r.Interrupted)
	var order []string
	byScenario := map[string][]scenario.Result{}
	for _, res := range r.Results {
		if _, ok := byScenario[res.Scenario]; !ok {
			order = append(order, res.Scenario)
		}
		byScenario[res.Scenario] = append(byScenario[res.Scenario], res)
	}
	var total time.Duration
	for _, name := range order {
		c, d := junitCaseOf(r, name, byScenario[name])
		switch {
		case c.Failure != nil:
			suite.Failures++
		case c.Error != nil:
			suite.Errors++
		case c.Skipped != nil:
			suite.Skipped++
		}
		suite.Tests++
		suite.Cases = append(suite.Cases, c)
		total += d
	}
	suite.Time = seconds(total)
	root := junitSuites{Name: r.Title, Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors, Skipped: suite.Skipped, Time: suite.Time}
	if len(order) > 0 {
		root.Suites = []junitSuite{suite}
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitCaseOf is the testcase of one scenario's results, and its time.
func junitCaseOf(r Report, name string, rs []scenario.Result) (junitCase, time.Duration) {
	var d time.Duration
	var out, problems []string
	var failed, erred []scenario.Result
	ran := false
	for _, res := range rs {
		d += res.Duration
		line := strings.ToUpper(badge(res)) + "  " + res.Step
		if res.Message != "" {
			line += ": " + firstLine(res.Message)
		}
		out = append(out, line)
		switch res.Status {
		case scenario.Fail:
			failed = append(failed, res)
		case scenario.Error, scenario.Incomplete:
			erred = append(erred, res)
		}
		if res.Status != scenario.Skip && res.Status != scenario.Disabled && res.Status != scenario.Blocked {
			ran = true
		}
	}
	c := junitCase{Name: name, Classname: classname(cmp.Or(rs[0].IdP, r.IdP), area(name)), Time: seconds(d)}
	decided := rs[0]
	problem := func(set []scenario.Result, typ string) *junitProblem {
		decided = set[0]
		for _, res := range set {
			problems = append(problems, res.Step+"\n"+details(res))
		}
		msg := set[0].Step + ": " + firstLine(set[0].Message)
		if len(set) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(set)-1)
		}
		return &junitProblem{Message: msg, Type: typ, Text: strings.Join(problems, "\n\n")}
	}
	switch {
	case len(failed) > 0:
		c.Failure = problem(failed, "fail")
	case len(erred) > 0:
		// An interrupted step did not pass: an error, never a pass or a
		// skip CI would ignore.
		c.Error = problem(erred, erred[0].Status.String())
	case !ran:
		c.Skipped = &junitProblem{Message: rs[0].Status.String() + ": " + firstLine(rs[0].Message)}
	}
	c.Properties = props("status", badge(decided), "level", string(decided.Level), "clause", decided.Clause,
		"source", decided.Source, "sourceURL", decided.SourceURL, "confidence", string(decided.Confidence), "behaviour", decided.Behaviour, "verified", fmt.Sprint(decided.Verified))
	c.SystemOut = strings.Join(out, "\n")
	return c, d
}

// area is the part of a scenario's name before its "/" or ":" — a check's
// area ("filter"), an IdP scenario's IdP ("Okta") — for the classname.
func area(name string) string {
	if i := strings.IndexAny(name, "/:"); i > 0 {
		return strings.TrimSpace(name[:i])
	}
	return name
}

// props builds properties from name/value pairs, leaving out empty values.
func props(kv ...string) []junitProperty {
	var out []junitProperty
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			out = append(out, junitProperty{Name: kv[i], Value: kv[i+1]})
		}
	}
	return out
}

func classname(idp, area string) string {
	if idp == "" {
		return area
	}
	return idp + "." + area
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// details is a result's message followed by its exchanges.
func details(res scenario.Result) string {
	parts := []string{}
	if res.Message != "" {
		parts = append(parts, res.Message)
	}
	for _, ex := range res.Exchanges {
		parts = append(parts, formatExchange(ex))
	}
	return strings.Join(parts, "\n\n")
}
