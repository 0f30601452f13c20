package certify

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/wire"
)

// Scenario names in the certification report.
const (
	ScenarioVerdict      = "certification"
	ScenarioRequests     = "requests"
	ScenarioFingerprints = "IdP fingerprints"
	ScenarioCoverage     = "lifecycle coverage"
)

// Report turns a graded recording into the harness's report model, so that
// report.WriteDir writes it as self-contained HTML, JSON and JUnit:
//
//   - "certification": one result, the verdict (pass: certified; warn:
//     certified with quirks; fail: not certified).
//   - "IdP fingerprints": one passing result per behaviour recognised.
//   - "lifecycle coverage": one result per step; pass when exercised, skip
//     ("never exercised") when not.
//   - "requests": one result per request — pass when clean, fail on a
//     violation, warn on a quirk, info on a note — with every finding, its
//     source, the exchange and the time the server took to answer.
//
// Coverage, fingerprints and the findings grouped by rule — what a
// certification is read for — are also Sections, which the HTML report
// shows right under its summary, above the requests.
func (r Result) Report(command string, started time.Time) report.Report {
	rep := report.Report{
		Title:   "SCIM client certification: " + string(r.Verdict),
		Target:  strings.Join(baseNames(r.Files), ", "),
		IdP:     r.IdP,
		Mode:    "certify",
		Command: command,
		Started: started,
	}
	v := scenario.Result{Scenario: ScenarioVerdict, Step: "verdict: " + string(r.Verdict), Verified: true, Message: r.Summary(), Level: scenario.Must}
	switch r.Verdict {
	case Certified:
		v.Status = scenario.Pass
	case CertifiedWithQuirks:
		v.Status = scenario.Warn
		v.Level = scenario.Should
	default:
		v.Status = scenario.Fail
	}
	rep.Results = append(rep.Results, v)

	for _, fp := range r.Fingerprints {
		rep.Results = append(rep.Results, scenario.Result{
			Scenario: ScenarioFingerprints, IdP: fp.IdP, Step: fp.IdP + ": " + fp.Behaviour, Status: scenario.Pass, Verified: true,
			Behaviour: fp.Behaviour, Source: fp.Source, SourceURL: sourceURLs[fp.Source],
			Message: fmt.Sprintf("seen in %d request(s), e.g. #%s of %s", fp.Count, joinInts(fp.Seqs), filepath.Base(fp.File)),
		})
	}
	for _, c := range r.Coverage {
		res := scenario.Result{Scenario: ScenarioCoverage, Step: string(c.Step), Verified: true, Level: scenario.May}
		if c.Exercised {
			res.Status = scenario.Pass
			res.Message = fmt.Sprintf("exercised by %d request(s), first #%d %s", c.Count, c.Seq, c.Example)
			if c.Failed > 0 {
				res.Message += fmt.Sprintf("; %d not answered 2xx", c.Failed)
			}
		} else {
			res.Status = scenario.Skip
			res.Message = "never exercised: the recording holds no request for this step"
		}
		rep.Results = append(rep.Results, res)
	}
	multi := len(r.Files) > 1
	for _, g := range r.graded {
		name := fmt.Sprintf("#%d %s", g.entry.Seq, g.entry.String())
		if multi {
			name = filepath.Base(g.file) + " " + name
		}
		res := scenario.Result{Scenario: ScenarioRequests, Step: name, Status: scenario.Pass, Verified: true, Level: scenario.Must,
			Exchanges: []wire.Exchange{g.entry.Exchange()}, Duration: g.entry.Duration}
		worst := Level("")
		var lines, clauses []string
		for _, f := range g.fs {
			lines = append(lines, fmt.Sprintf("[%s] %s: %s (%s)", f.Level, f.Rule, f.Message, f.Source))
			clauses = appendOnce(clauses, f.Source)
			if rank(f.Level) > rank(worst) {
				worst = f.Level
			}
		}
		switch worst {
		case Violation:
			res.Status = scenario.Fail
		case Quirk:
			res.Status, res.Level = scenario.Warn, scenario.Should
		case Note:
			res.Status, res.Level, res.Info = scenario.Warn, scenario.May, true
		}
		res.Message = strings.Join(lines, "\n")
		res.Clause = strings.Join(clauses, "; ")
		rep.Results = append(rep.Results, res)
	}
	rep.Sections = r.sections()
	rep.Tally = r.tally()
	return rep
}

// tally is the report's headline, in the terminal summary's terms:
// requests by their worst finding, and the findings by level.
func (r Result) tally() *report.Tally {
	var clean, quirky, violating, noted int
	for _, g := range r.graded {
		worst := Level("")
		for _, f := range g.fs {
			if rank(f.Level) > rank(worst) {
				worst = f.Level
			}
		}
		switch worst {
		case Violation:
			violating++
		case Quirk:
			quirky++
		case Note:
			noted++
		default:
			clean++
		}
	}
	return &report.Tally{
		Line: r.Summary(),
		Groups: []report.TallyGroup{
			{Unit: "requests", Counts: []report.TallyCount{
				{Status: "pass", Label: "clean", N: clean},
				{Status: "info", Label: "with notes", N: noted},
				{Status: "warn", Label: "with quirks", N: quirky},
				{Status: "fail", Label: "with violations", N: violating},
			}},
			{Unit: "findings", Counts: []report.TallyCount{
				{Status: "fail", Label: "violations", N: r.Count(Violation)},
				{Status: "warn", Label: "tolerated quirks", N: r.Count(Quirk)},
				{Status: "info", Label: "notes", N: r.Count(Note)},
			}},
		},
	}
}

func rank(l Level) int {
	switch l {
	case Note:
		return 1
	case Quirk:
		return 2
	case Violation:
		return 3
	}
	return 0
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", #")
}

func baseNames(files []string) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = filepath.Base(f)
	}
	return out
}

// sections are the certification's summaries: lifecycle coverage, the IdP
// fingerprints, and the findings grouped by rule with their count (27
// requests with the same quirk are one row, not 27).
func (r Result) sections() []report.Section {
	cov := report.Section{Title: "Lifecycle coverage"}
	for _, c := range r.Coverage {
		row := report.SectionRow{Label: string(c.Step), Value: "never exercised", Status: scenario.Skip.String()}
		if c.Exercised {
			row.Value = fmt.Sprintf("yes: %d request(s), first #%d %s", c.Count, c.Seq, c.Example)
			row.Status = scenario.Pass.String()
			if c.Failed > 0 {
				row.Value += fmt.Sprintf("; %d not answered 2xx", c.Failed)
				row.Status = scenario.Warn.String()
			}
		}
		cov.Rows = append(cov.Rows, row)
	}
	fps := report.Section{Title: "IdP fingerprints"}
	for _, fp := range r.Fingerprints {
		fps.Rows = append(fps.Rows, report.SectionRow{Label: fp.IdP,
			Value: fmt.Sprintf("%s — %d request(s), e.g. #%s of %s (%s)", fp.Behaviour, fp.Count, joinInts(fp.Seqs), filepath.Base(fp.File), fp.Source)})
	}
	if len(fps.Rows) == 0 {
		fps.Rows = append(fps.Rows, report.SectionRow{Label: "none", Value: "the traffic matches no known IdP's behaviour"})
	}
	type key struct {
		level Level
		rule  string
	}
	var order []key
	by := map[key][]Finding{}
	for _, f := range r.Findings {
		k := key{f.Level, f.Rule}
		if _, ok := by[k]; !ok {
			order = append(order, k)
		}
		by[k] = append(by[k], f)
	}
	sort.SliceStable(order, func(i, j int) bool { return rank(order[i].level) > rank(order[j].level) })
	rules := report.Section{Title: fmt.Sprintf("Findings by rule (%s, %s)", report.Plural(len(r.Findings), "findings"), report.Plural(len(order), "rules"))}
	for _, k := range order {
		fs := by[k]
		seqs := make([]int, 0, 5)
		for _, f := range fs[:min(len(fs), 5)] {
			seqs = append(seqs, f.Seq)
		}
		more := ""
		if len(fs) > 5 {
			more = ", …"
		}
		status := map[Level]string{Violation: "fail", Quirk: "warn", Note: "info"}[k.level]
		rules.Rows = append(rules.Rows, report.SectionRow{Label: fmt.Sprintf("%s (%s)", k.rule, k.level), Status: status,
			Value: fmt.Sprintf("%d× %s — %s; requests #%s%s", len(fs), fs[0].Message, fs[0].Source, joinInts(seqs), more)})
	}
	if len(order) == 0 {
		rules.Rows = append(rules.Rows, report.SectionRow{Label: "none", Value: "no finding"})
	}
	return []report.Section{cov, fps, rules}
}
