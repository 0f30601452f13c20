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

// WriteJUnit writes r as JUnit XML. Fail → <failure>, Error → <error>, Skip
// and Disabled → <skipped>; Warn passes (CI stays green) with the warning in
// <system-out>. Level, clause, source, behaviour, status and verification
// are testcase properties. Failure text holds the message and every
// exchange.
func WriteJUnit(w io.Writer, r Report) error {
	r = r.withSummary()
	root := junitSuites{Name: r.Title}
	var total time.Duration
	index := map[string]int{}
	for _, res := range r.Results {
		i, ok := index[res.Scenario]
		if !ok {
			i = len(root.Suites)
			index[res.Scenario] = i
			s := junitSuite{Name: res.Scenario}
			if !r.Started.IsZero() {
				s.Timestamp = r.Started.UTC().Format("2006-01-02T15:04:05")
			}
			s.Properties = props("target", r.Target, "idp", r.IdP, "mode", r.Mode, "command", r.Command, "interrupted", r.Interrupted)
			root.Suites = append(root.Suites, s)
		}
		s := &root.Suites[i]
		c := junitCase{
			Name:      res.Step,
			Classname: classname(cmp.Or(res.IdP, r.IdP), res.Scenario),
			Time:      seconds(res.Duration),
			Properties: props("status", badge(res), "level", string(res.Level), "clause", res.Clause,
				"source", res.Source, "behaviour", res.Behaviour, "verified", fmt.Sprint(res.Verified)),
		}
		detail := details(res)
		switch res.Status {
		case scenario.Fail:
			c.Failure = &junitProblem{Message: firstLine(res.Message), Type: "fail", Text: detail}
			s.Failures++
		case scenario.Error, scenario.Incomplete:
			// An interrupted step did not pass: an error, never a pass
			// or a skip CI would ignore.
			c.Error = &junitProblem{Message: firstLine(res.Message), Type: res.Status.String(), Text: detail}
			s.Errors++
		case scenario.Blocked:
			// Its root failure is a failure case of its own.
			c.Skipped = &junitProblem{Message: firstLine(res.Message)}
			s.Skipped++
		case scenario.Skip, scenario.Disabled:
			c.Skipped = &junitProblem{Message: res.Status.String() + ": " + firstLine(res.Message)}
			s.Skipped++
		default:
			c.SystemOut = detail
			if res.Status == scenario.Warn {
				c.SystemOut = strings.ToUpper(badge(res)) + ": " + detail
			}
		}
		s.Cases = append(s.Cases, c)
		s.Tests++
		total += res.Duration
	}
	for i := range root.Suites {
		s := &root.Suites[i]
		var d time.Duration
		for _, res := range r.Results {
			if res.Scenario == s.Name {
				d += res.Duration
			}
		}
		s.Time = seconds(d)
		root.Tests += s.Tests
		root.Failures += s.Failures
		root.Errors += s.Errors
		root.Skipped += s.Skipped
	}
	root.Time = seconds(total)
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

func classname(idp, sc string) string {
	if idp == "" {
		return sc
	}
	return idp + "." + sc
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
