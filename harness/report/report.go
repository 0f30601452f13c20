// Package report writes a run's results for people and machines: JSON (the
// archive; ReadJSON reads it back), JUnit XML (for CI), one self-contained
// HTML file (for people, and for certification), and plain text (for a
// terminal). Every writer takes the same Report, so `simulate`, the Ginkgo
// suites and `certify` produce reports that look and read the same.
//
// Exchanges in results are already redacted by the client; the writers add
// nothing that could carry a secret.
package report

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/internal/version"
	"github.com/scimharness/scimharness/wire"
)

// Report is one run: what was tested, how, and every result.
type Report struct {
	Title string `json:"title"`
	// Tool is the build of scimharness that judged the run (package
	// version); filled in when left empty.
	Tool string `json:"tool,omitempty"`
	// Target is the SCIM base URL tested.
	Target string `json:"target"`
	IdP    string `json:"idp,omitempty"`
	// Mode is the judgement, "strict" or "compat".
	Mode string `json:"mode,omitempty"`
	// Command reproduces the run (secrets as environment variables, never
	// inline).
	Command string            `json:"command,omitempty"`
	Started time.Time         `json:"started"`
	Results []scenario.Result `json:"results"`
	// Summary is computed from Results when left zero.
	Summary scenario.Summary `json:"summary"`
	// Interrupted, when the run did not finish, says how far it got
	// ("interrupted after 61 of 100 checks"); every report shows it, and
	// the results not run are Incomplete, so the verdict is never a pass.
	Interrupted string `json:"interrupted,omitempty"`
	// Sections are extra summaries a caller adds (the conformance
	// certification: target, features, verdict per profile). The HTML
	// report shows them between the header and the results; JSON keeps
	// them. Text and JUnit leave them out.
	Sections []Section `json:"sections,omitempty"`
	// Timings are measured cycles (simulate --entra-cycle initial): their
	// own wall time and requests, cleanup apart. Text shows each Line
	// before the verdict; HTML shows them as a section; JUnit leaves them
	// out.
	Timings []Timing `json:"timings,omitempty"`
	// Scenarios describe the scenarios of Results (by Result.Scenario): a
	// conformance check's descriptive name, area and profile. The HTML
	// report shows the title and filters by area, profile and level; a
	// scenario not described takes its area from its name ("crud/get" →
	// "crud") or its IdP.
	Scenarios []ScenarioInfo `json:"scenarios,omitempty"`
	// Unit names what a scenario of this report is in its counts: "checks"
	// for a conformance run ("checks: 101 (100 passed, 1 failed)"), so
	// that the counts say checks and steps; empty means "scenarios".
	Unit string `json:"unit,omitempty"`
	// Tally, when set, replaces the HTML summary's counts of scenarios
	// and steps: a certification is read for its requests and findings,
	// not for the report's internal scenarios ("requests", "IdP
	// fingerprints"), so its cards say what its terminal summary says.
	Tally *Tally `json:"tally,omitempty"`
}

// Tally is a report's own headline: a line, then groups of cards.
type Tally struct {
	Line   string       `json:"line"`
	Groups []TallyGroup `json:"groups"`
}

// TallyGroup is one row of cards: "requests: 196 clean, 32 with quirks".
type TallyGroup struct {
	Unit   string       `json:"unit"`
	Counts []TallyCount `json:"counts"`
}

// TallyCount is one card; Status (pass, warn, fail, info) colours it.
type TallyCount struct {
	Status string `json:"status"`
	Label  string `json:"label"`
	N      int    `json:"n"`
}

// ScenarioInfo describes one scenario of a report.
type ScenarioInfo struct {
	// Name is the Result.Scenario it describes ("crud/get-user").
	Name string `json:"name"`
	// Title says what is checked ("GET /Users/{id} returns the user").
	Title   string         `json:"title,omitempty"`
	Area    string         `json:"area,omitempty"`
	Profile string         `json:"profile,omitempty"`
	Level   scenario.Level `json:"level,omitempty"`
	Clause  string         `json:"clause,omitempty"`
}

// Timing is one measured provisioning cycle.
type Timing struct {
	// Name says what was timed: "initial cycle".
	Name        string `json:"name"`
	Users       int    `json:"users"`
	Groups      int    `json:"groups"`
	Concurrency int    `json:"concurrency"`
	// Requests the cycle sent (retries included), in Duration: from the
	// first request of the cycle to its last answer, cleanup excluded.
	Requests          int           `json:"requests"`
	Duration          time.Duration `json:"durationNs"`
	Seconds           float64       `json:"seconds"`
	RequestsPerSecond float64       `json:"requestsPerSecond"`
	// CleanupRequests and Cleanup measure the removal of what the cycle
	// created, which is not in Duration.
	CleanupRequests int           `json:"cleanupRequests"`
	Cleanup         time.Duration `json:"cleanupNs"`
	// Line is the timing in one sentence, as text reports print it.
	Line string `json:"line"`
}

// Section is one extra summary: a titled list of label/value rows.
type Section struct {
	Title string       `json:"title"`
	Rows  []SectionRow `json:"rows"`
}

// SectionRow is one row of a Section. With Status (a result status:
// pass, warn, info, fail, error, skip, disabled) the value is shown as a
// badge of that colour; an unknown Status shows plain text.
type SectionRow struct {
	Label  string `json:"label"`
	Value  string `json:"value"`
	Status string `json:"status,omitempty"`
}

// withSummary fills in a zero Summary.
func (r Report) withSummary() Report {
	if r.Summary.Counts == nil {
		r.Summary = scenario.Summarize(r.Results)
	}
	if r.Tool == "" {
		r.Tool = "scimharness " + version.String()
	}
	return r
}

// WriteJSON writes r as indented JSON.
func WriteJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r.withSummary())
}

// ReadJSON reads a report written by WriteJSON.
func ReadJSON(rd io.Reader) (Report, error) {
	var r Report
	err := json.NewDecoder(rd).Decode(&r)
	return r, err
}

// Files written by WriteDir.
const (
	JSONFile  = "report.json"
	JUnitFile = "junit.xml"
	HTMLFile  = "report.html"
)

// WriteDir writes report.json, junit.xml and report.html into dir,
// creating it. Each file is written to a temporary name and renamed, so a
// reader never sees half a report.
func WriteDir(dir string, r Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r = r.withSummary()
	for _, f := range []struct {
		name  string
		write func(io.Writer, Report) error
	}{{JSONFile, WriteJSON}, {JUnitFile, WriteJUnit}, {HTMLFile, WriteHTML}} {
		var buf bytes.Buffer
		if err := f.write(&buf, r); err != nil {
			return fmt.Errorf("report: %s: %w", f.name, err)
		}
		tmp := filepath.Join(dir, "."+f.name+".tmp")
		if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dir, f.name)); err != nil {
			return err
		}
	}
	return nil
}

// WriteText writes a terminal summary: one line per result, the message of
// anything that is not a pass, and the verdict.
func WriteText(w io.Writer, r Report) error {
	r = r.withSummary()
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", r.Title)
	if r.Target != "" {
		fmt.Fprintf(&b, "target %s", r.Target)
		if r.IdP != "" {
			fmt.Fprintf(&b, " · idp %s", r.IdP)
		}
		if r.Mode != "" {
			fmt.Fprintf(&b, " · mode %s", r.Mode)
		}
		b.WriteString("\n")
	}
	roots := map[string]string{} // first line of a set-up failure → where it was first shown
	for _, res := range r.Results {
		fmt.Fprintf(&b, "%-5s %s / %s", badge(res), res.Scenario, res.Step)
		if tags := tagLine(res); tags != "" && res.Status != scenario.Blocked {
			fmt.Fprintf(&b, "  [%s]", tags)
		}
		b.WriteString("\n")
		// The root failure is shown once: a blocked step under it says
		// only what it waited for, and a set-up failing the same way in
		// another scenario points at the first.
		if res.Status == scenario.Blocked {
			fmt.Fprintf(&b, "      ↳ waits for %q\n", res.WaitsFor)
			continue
		}
		if res.Setup && res.Status >= scenario.Fail {
			key := firstLine(res.Message)
			if first, seen := roots[key]; seen {
				fmt.Fprintf(&b, "      the same failure as %s\n", first)
				continue
			}
			roots[key] = res.Scenario + " / " + res.Step
		}
		if res.Status != scenario.Pass && res.Message != "" {
			for _, line := range strings.Split(res.Message, "\n") {
				fmt.Fprintf(&b, "      %s\n", line)
			}
		}
	}
	for _, t := range r.Timings {
		fmt.Fprintf(&b, "%s\n", t.Line)
	}
	if r.Interrupted != "" {
		fmt.Fprintf(&b, "INCOMPLETE: %s\n", r.Interrupted)
	}
	fmt.Fprintf(&b, "%s\n", r.Summary)
	_, err := io.WriteString(w, b.String())
	return err
}

// badge is a result's label: its status, or "info" for a failing MAY.
func badge(res scenario.Result) string {
	if res.Status == scenario.Warn && res.Info {
		return "info"
	}
	return res.Status.String()
}

func tagLine(res scenario.Result) string {
	var tags []string
	if res.Level != "" {
		tags = append(tags, string(res.Level))
	}
	if res.Clause != "" {
		tags = append(tags, res.Clause)
	}
	switch {
	case !res.Verified:
		tags = append(tags, "unverified")
	case res.Confidence == scenario.Doc, res.Confidence == scenario.Log:
		tags = append(tags, "source: "+string(res.Confidence)) // documented, or seen in traffic
	}
	return strings.Join(tags, " · ")
}

// formatExchange renders an exchange as text, curl -v style: "> " for the
// request, "< " for the response, JSON bodies indented.
func formatExchange(ex wire.Exchange) string {
	var b strings.Builder
	for i, prev := range ex.Retried {
		fmt.Fprintf(&b, "(attempt %d of %d)\n%s\n", i+1, ex.Attempts, formatExchange(prev))
	}
	fmt.Fprintf(&b, "> %s %s\n", ex.Request.Method, ex.Request.URL)
	writeHeaders(&b, "> ", ex.Request.Header)
	if len(ex.Request.Body) > 0 {
		b.WriteString(">\n")
		prefixLines(&b, "> ", scenario.Pretty(ex.Request.Body))
	}
	switch {
	case ex.Response != nil:
		fmt.Fprintf(&b, "< %d %s (%s)\n", ex.Response.Status, http.StatusText(ex.Response.Status), ms(ex.Duration))
		writeHeaders(&b, "< ", ex.Response.Header)
		if len(ex.Response.Body) > 0 {
			b.WriteString("<\n")
			prefixLines(&b, "< ", scenario.Pretty(ex.Response.Body))
		}
	case ex.Err != "":
		fmt.Fprintf(&b, "! no answer: %s\n", ex.Err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func writeHeaders(b *strings.Builder, prefix string, h http.Header) {
	for _, line := range headerLines(h) {
		b.WriteString(prefix + line + "\n")
	}
}

// headerLines lists headers sorted by name, one "Name: value" per line.
func headerLines(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		for _, v := range h[k] {
			out = append(out, k+": "+v)
		}
	}
	return out
}

func prefixLines(b *strings.Builder, prefix, s string) {
	for _, line := range strings.Split(s, "\n") {
		b.WriteString(prefix + line + "\n")
	}
}

// ms formats a duration for people: "12 ms", "1.4 s".
func ms(d time.Duration) string {
	switch {
	case d <= 0:
		return "0 ms"
	case d < time.Millisecond:
		return "<1 ms"
	case d < 10*time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// TextOptions choose how much WriteChecks prints.
type TextOptions struct {
	// Steps prints every step under its scenario (-v): WriteText's view.
	Steps bool
	// Quiet prints only the failures and the summary lines.
	Quiet bool
	// Reproduce is the command that runs the same again, printed with the
	// failures.
	Reproduce string
}

// WriteChecks writes a terminal summary by scenario — a conformance check,
// an IdP scenario — not by step: one line each with its verdict and its
// number of steps, the first problem's one-line reason under anything that
// did not pass — but one line for a row of passing scenarios that differ
// only by their numbers (an Entra initial cycle's 2000 teams), and one for
// those an interruption kept from starting; then the failures again,
// together, with the reproduce command; then the counts of scenarios and
// of steps, each named. With Steps it is WriteText; with Quiet only the
// closing part.
func WriteChecks(w io.Writer, r Report, o TextOptions) error {
	if o.Steps {
		return WriteText(w, r)
	}
	r = r.withSummary()
	var b strings.Builder
	if !o.Quiet {
		fmt.Fprintf(&b, "%s\n", r.Title)
		if r.Target != "" {
			fmt.Fprintf(&b, "target %s\n", r.Target)
		}
	}
	t := tallyOf(r)
	var failures, notRun []string
	for i := 0; i < len(t.checks); i++ {
		c := t.checks[i]
		if c.notRun() {
			// After a Ctrl-C: hundreds of scenarios never started, one
			// line for them all rather than two each.
			notRun = append(notRun, c.name)
			continue
		}
		if n, steps := t.passingRun(i); n >= minCollapsed && r.Unit == "" {
			// 2000 passing teams of an Entra initial cycle: one line.
			// (Never checks, which are each a rule of their own.)
			if !o.Quiet {
				fmt.Fprintf(&b, "%-5s %s … %s  (%d scenarios, %d steps)\n", c.verdict, c.name, t.checks[i+n-1].name, n, steps)
			}
			i += n - 1
			continue
		}
		if !o.Quiet {
			fmt.Fprintf(&b, "%-5s %s  (%d steps)\n", c.verdict, c.name, len(c.results))
			if c.reason != "" {
				fmt.Fprintf(&b, "      %s\n", c.reason)
			}
		}
		if c.verdict >= scenario.Fail {
			failures = append(failures, fmt.Sprintf("  %-5s %s — %s", c.verdict, c.name, c.reason))
		}
	}
	switch len(notRun) {
	case 0:
	case 1:
		fmt.Fprintf(&b, "%-5s %s  (not run: the run was interrupted)\n", scenario.Incomplete, notRun[0])
	default:
		fmt.Fprintf(&b, "%-5s %d more not run, the run was interrupted: %s … %s\n", scenario.Incomplete, len(notRun), notRun[0], notRun[len(notRun)-1])
	}
	if len(failures) > 0 {
		fmt.Fprintf(&b, "\n%d of %d did not pass:\n%s\n", len(failures), len(t.checks), strings.Join(failures, "\n"))
		if o.Reproduce != "" {
			fmt.Fprintf(&b, "reproduce: %s (add -v for every step)\n", o.Reproduce)
		}
	}
	for _, t := range r.Timings {
		fmt.Fprintf(&b, "%s\n", t.Line)
	}
	if r.Interrupted != "" {
		fmt.Fprintf(&b, "INCOMPLETE: %s\n", r.Interrupted)
	}
	fmt.Fprintf(&b, "%s\n%s\n", t.scenarioLine(), t.stepLine())
	_, err := io.WriteString(w, b.String())
	return err
}

// A tally groups a report's results by scenario (a conformance check, an
// IdP scenario) and counts both: the terminal (WriteChecks) and the HTML
// summary print its two lines, so that they never disagree.
type tally struct {
	unit   string // Report.Unit, "scenarios" when it is empty
	checks []checkTally
	counts map[scenario.Status]int // scenarios by verdict
	steps  scenario.Summary
}

// checkTally is one scenario: its results, its verdict and, when it did
// not pass, the first problem's one-line reason.
type checkTally struct {
	name    string
	results []scenario.Result
	verdict scenario.Status
	reason  string
	first   int // the index in results of the step the reason is from; -1 without one
}

// minCollapsed is the fewest passing scenarios of one kind in a row that
// WriteChecks prints as one line.
const minCollapsed = 3

// digits are what numbered scenarios of one kind differ by ("team 1 (u1,
// u2)", "team 2 (u3, u4)").
var digits = regexp.MustCompile(`[0-9]+`)

// passingRun counts the passing scenarios from t.checks[i] on that differ
// from it only by their numbers, and their steps; 0 if t.checks[i] did not
// pass.
func (t tally) passingRun(i int) (n, steps int) {
	kind := digits.ReplaceAllString(t.checks[i].name, "#")
	for _, c := range t.checks[i:] {
		if c.verdict != scenario.Pass || digits.ReplaceAllString(c.name, "#") != kind {
			break
		}
		n, steps = n+1, steps+len(c.results)
	}
	return n, steps
}

// notRun reports whether the run was interrupted before c began: every
// result of it is Incomplete.
func (c checkTally) notRun() bool {
	for _, res := range c.results {
		if res.Status != scenario.Incomplete {
			return false
		}
	}
	return len(c.results) > 0
}

func tallyOf(r Report) tally {
	r = r.withSummary()
	t := tally{unit: cmp.Or(r.Unit, "scenarios"), counts: map[scenario.Status]int{}, steps: r.Summary}
	index := map[string]int{}
	for _, res := range r.Results {
		i, ok := index[res.Scenario]
		if !ok {
			i = len(t.checks)
			index[res.Scenario] = i
			t.checks = append(t.checks, checkTally{name: res.Scenario, first: -1})
		}
		t.checks[i].results = append(t.checks[i].results, res)
	}
	for i := range t.checks {
		c := &t.checks[i]
		c.verdict = scenario.Summarize(c.results).Verdict
		t.counts[c.verdict]++
		for j, res := range c.results {
			if res.Status == c.verdict && c.verdict > scenario.Pass && res.Status != scenario.Blocked {
				c.reason, c.first = res.Step+": "+firstLine(res.Message), j
				break
			}
		}
	}
	return t
}

// tallyWords name the scenario counts, in the order printed.
var tallyWords = []struct {
	st   scenario.Status
	word string
}{{scenario.Pass, "passed"}, {scenario.Warn, "warned"}, {scenario.Skip, "skipped"}, {scenario.Blocked, "blocked"},
	{scenario.Incomplete, "incomplete"}, {scenario.Fail, "failed"}, {scenario.Error, "errored"}}

// scenarioLine reads "scenarios: 30 (28 passed, 2 failed)" (or "checks: …",
// Report.Unit).
func (t tally) scenarioLine() string {
	var parts []string
	for _, x := range tallyWords {
		if n := t.counts[x.st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, x.word))
		}
	}
	return fmt.Sprintf("%s: %d (%s)", t.unit, len(t.checks), strings.Join(parts, ", "))
}

// stepLine reads "steps: fail: 102 passed, 2 failed".
func (t tally) stepLine() string { return "steps: " + t.steps.String() }
