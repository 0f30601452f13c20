package scenario

import (
	"fmt"
	"strings"
	"time"

	"github.com/scimharness/scimharness/wire"
)

// Status is the outcome of one check. The order matters: a summary's verdict
// is the worst status, so Error (the harness or the target broke, nothing
// could be judged) outranks Fail (the target answered wrongly). The scale
// is the OCI distribution-spec conformance suite's.
type Status int

const (
	// Disabled: the check was turned off by configuration.
	Disabled Status = iota
	// Skip: the check did not run (a precondition was unmet, an earlier
	// step failed, the run was stopped, a dry run).
	Skip
	// Pass: the target did what was expected.
	Pass
	// Warn: the target missed a SHOULD or MAY, or a strict-only rule in
	// compat mode.
	Warn
	// Blocked: the step was not judged because a step it waits for (a
	// set-up step, or the write before a read-back; Step.Setup, Step.Needs)
	// did not pass. It is not a failure of its own subject: the root
	// failure is reported once, at the step that failed, and Result.WaitsFor
	// names it.
	Blocked
	// Incomplete: the run was interrupted (SIGINT, a deadline) before the
	// step finished or ran. A run with an incomplete result never passes.
	Incomplete
	// Fail: the target missed a MUST.
	Fail
	// Error: no judgement was possible — no answer, a refused request, a
	// broken scenario or check.
	Error
)

var statusNames = [...]string{"disabled", "skip", "pass", "warn", "blocked", "incomplete", "fail", "error"}

// Statuses lists every status, best to worst after Disabled and Skip.
var Statuses = []Status{Disabled, Skip, Pass, Warn, Blocked, Incomplete, Fail, Error}

func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// MarshalText implements encoding.TextMarshaler (JSON uses the name).
func (s Status) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(statusNames) {
		return nil, fmt.Errorf("scenario: invalid status %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Status) UnmarshalText(b []byte) error {
	for i, n := range statusNames {
		if strings.EqualFold(n, string(b)) {
			*s = Status(i)
			return nil
		}
	}
	return fmt.Errorf("scenario: unknown status %q", b)
}

// Level is the RFC 2119 strength of the requirement a check tests.
//
// Grading a failing check: MUST → Fail; SHOULD → Warn; MAY → Warn marked
// Info. A MAY is optional, so missing it is not a defect and must not change
// the verdict, but the reader still wants to see it (scim2-tester's "info"):
// Info warnings are listed and counted apart, and Summarize treats them as
// passes. The empty level means MUST.
type Level string

const (
	Must   Level = "MUST"   // failing: Fail
	Should Level = "SHOULD" // failing: Warn
	May    Level = "MAY"    // failing: Warn with Info set; not held against the target
)

func (l Level) orMust() Level {
	if l == "" {
		return Must
	}
	return l
}

func (l Level) valid() bool { return l == "" || l == Must || l == Should || l == May }

// Mode is the judgement: Strict holds the target to the RFC; Compat
// tolerates what real IdPs and servers do (an expectation marked StrictOnly
// then gives Warn instead of Fail).
type Mode string

const (
	Strict Mode = "strict" // the default
	Compat Mode = "compat"
)

// Result is the judgement of one step (or one cleanup request). It is the
// unit every report, the Ginkgo suites and certification share.
type Result struct {
	Scenario string `json:"scenario"`
	// IdP is the scenario's IdP, if it reproduces one.
	IdP    string `json:"idp,omitempty"`
	Step   string `json:"step"`
	Status Status `json:"status"`
	Level  Level  `json:"level,omitempty"`
	// Info marks a Warn that comes only from a failing MAY: shown, but not
	// held against the target (see Level).
	Info bool `json:"info,omitempty"`
	// Clause is the requirement tested, e.g. "RFC 7644 §3.4.2.2".
	Clause string `json:"clause,omitempty"`
	// Behaviour is the IdP behaviour reproduced.
	Behaviour string `json:"behaviour,omitempty"`
	// Source is where the behaviour is documented or was seen.
	Source string `json:"source,omitempty"`
	// SourceURL, if set, is where to read Source (Step.SourceURL); the
	// HTML report links Source to it.
	SourceURL string `json:"sourceURL,omitempty"`
	// Verified is false for behaviour nobody has confirmed; reports label
	// such results "unverified".
	Verified bool `json:"verified"`
	// Confidence is how well Source backs the step's request (doc, log,
	// unverified; harness for the harness's own read-backs), as the step
	// says (Step.Confidence): every report shows it beside the source.
	Confidence Confidence `json:"confidence,omitempty"`
	// Cleanup marks the results of undoing what the run created.
	Cleanup bool `json:"cleanup,omitempty"`
	// Setup marks the result of a set-up step (Step.Setup): a precondition
	// of the scenario's subject, not the subject itself.
	Setup bool `json:"setup,omitempty"`
	// WaitsFor names, on a Blocked result, the step that did not pass and
	// so blocked this one: the root failure (a blocked step's own blocker
	// is followed to it).
	WaitsFor string `json:"waitsFor,omitempty"`
	// Message explains anything but a plain pass, readable on its own: what
	// was expected, what was sent, what came back.
	Message   string          `json:"message,omitempty"`
	Exchanges []wire.Exchange `json:"exchanges,omitempty"`
	Duration  time.Duration   `json:"durationNs"`
}

// counted is the status a result contributes to a verdict.
func (r Result) counted() Status {
	if r.Status == Warn && r.Info {
		return Pass
	}
	return r.Status
}

// Summary counts results per status and gives the verdict.
type Summary struct {
	Total  int            `json:"total"`
	Counts map[Status]int `json:"counts"`
	// Info counts the Warn results that are informational (failing MAYs).
	Info int `json:"info,omitempty"`
	// Verdict is the worst counted status (Info warnings count as passes);
	// Skip when nothing ran.
	Verdict Status `json:"verdict"`
}

// Summarize counts results.
func Summarize(results []Result) Summary {
	s := Summary{Total: len(results), Counts: map[Status]int{}, Verdict: Skip}
	for i, r := range results {
		s.Counts[r.Status]++
		if r.Status == Warn && r.Info {
			s.Info++
		}
		if i == 0 || r.counted() > s.Verdict {
			s.Verdict = r.counted()
		}
	}
	return s
}

// String reads "fail: 12 passed, 1 warned (1 info), 2 failed, 3 skipped".
func (s Summary) String() string {
	var parts []string
	for _, st := range []Status{Pass, Warn, Fail, Error, Blocked, Incomplete, Skip, Disabled} {
		n := s.Counts[st]
		if n == 0 {
			continue
		}
		p := fmt.Sprintf("%d %s", n, map[Status]string{Pass: "passed", Warn: "warned", Fail: "failed", Error: "errored", Blocked: "blocked", Incomplete: "incomplete", Skip: "skipped", Disabled: "disabled"}[st])
		if st == Warn && s.Info > 0 {
			p += fmt.Sprintf(" (%d info)", s.Info)
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		parts = append(parts, "no results")
	}
	return s.Verdict.String() + ": " + strings.Join(parts, ", ")
}
