// Package checks holds the SCIM conformance checks as plain Go: each
// [Check] is a short scenario (set-up requests and the judged request) that
// runs through the one SCIM client and returns scenario.Results. The Ginkgo
// suites under suites/ drive them for `go test`, and `scimharness conform`
// calls them directly, so both judge a server the same way.
//
// Checks run through scenario.Run, which brings the safety rules of the
// simulators: everything created carries the run prefix and is deleted
// afterwards, and nothing the run did not create is ever changed — so the
// checks can be pointed at a staging server.
package checks

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
)

// Profiles a check belongs to. A verdict is given per profile: "rfc" is
// the RFC core; "rfc-edge" holds edge cases a sound server may get wrong
// (startIndex=0, count=0) so they do not sink the core verdict; an IdP
// profile holds what that IdP sends beyond the RFC and cannot change.
const (
	RFC     = "rfc"
	RFCEdge = "rfc-edge"
	Entra   = "entra"
	Google  = "google"
	Okta    = "okta"
)

// Profiles lists the profiles in report order.
var Profiles = []string{RFC, RFCEdge, Entra, Google, Okta}

// Check is one conformance check.
type Check struct {
	// ID is stable and short, "area/what": reports, labels and the
	// broken-server matrix refer to it.
	ID string
	// Name says what is checked, as a sentence fragment.
	Name string
	// Clause is the requirement, e.g. "RFC 7644 §3.4.2.2".
	Clause string
	// Level grades the judged steps (set-up steps are MUSTs of their own).
	Level scenario.Level
	// Features the target must support; otherwise the check is skipped,
	// never failed.
	Features []string
	// Profile is the profile the check counts for (default RFC).
	Profile string
	// Steps are the requests, set-up first. A step without Clause or
	// Level takes the check's.
	Steps []scenario.Step
	// Declared, if set, makes more steps from what the target declares —
	// one read per entry of its /ResourceTypes or /Schemas, which no fixed
	// list of steps can hold. It reads through t's client when the check
	// runs; its steps run after Steps and take the check's clause and
	// level like them. A discovery it cannot read gives no steps: Steps
	// judge that read themselves.
	Declared func(ctx context.Context, t *target.Target) []scenario.Step
}

// Labels are the Ginkgo labels of the check: its features, level and
// profile, and its area (the ID up to the slash).
func (c Check) Labels() []string {
	area, _, _ := strings.Cut(c.ID, "/")
	ls := append([]string{area, string(c.level()), c.profile()}, c.Features...)
	slices.Sort(ls)
	return slices.Compact(ls)
}

func (c Check) level() scenario.Level {
	if c.Level == "" {
		return scenario.Must
	}
	return c.Level
}

func (c Check) profile() string {
	if c.Profile == "" {
		return RFC
	}
	return c.Profile
}

// LevelOf returns the check's level (MUST when unset).
func (c Check) LevelOf() scenario.Level { return c.level() }

// ProfileOf returns the check's profile.
func (c Check) ProfileOf() string { return c.profile() }

// Scenario returns the check's Steps as a scenario, the check's clause
// and level filled into steps that have none; ScenarioFor adds the steps
// Declared makes.
func (c Check) Scenario() scenario.Scenario {
	return scenario.Scenario{Name: c.ID, Description: c.Name, Steps: c.filled(c.Steps)}
}

// ScenarioFor is the check as it runs against t: Scenario, with the steps
// Declared makes from t's discovery after Steps.
func (c Check) ScenarioFor(ctx context.Context, t *target.Target) scenario.Scenario {
	sc := c.Scenario()
	if c.Declared != nil {
		sc.Steps = append(sc.Steps, c.filled(c.Declared(ctx, t))...)
	}
	return sc
}

// filled returns steps with the check's clause and level filled into
// those that have none.
func (c Check) filled(steps []scenario.Step) []scenario.Step {
	var out []scenario.Step
	for _, st := range steps {
		if st.Clause == "" {
			st.Clause = c.Clause
		}
		if st.Level == "" {
			st.Level = c.level()
		}
		out = append(out, st)
	}
	return out
}

// Run runs the check against t. A check needing a feature t lacks gives
// one Skip result naming the feature.
func (c Check) Run(ctx context.Context, t *target.Target) []scenario.Result {
	if missing := t.Missing(c.Features); len(missing) > 0 {
		return []scenario.Result{{
			Scenario: c.ID, Step: c.Name, Status: scenario.Skip, Level: c.level(), Clause: c.Clause, Verified: true,
			Message: fmt.Sprintf("skipped: the target does not support %s (from /ServiceProviderConfig, or SCIM_SKIP_FEATURES)", strings.Join(missing, ", ")),
		}}
	}
	return scenario.Run(ctx, t.Client, c.ScenarioFor(ctx, t), scenario.Options{Mode: scenario.Strict, Prefix: t.Prefix})
}

// Verdict is a check's verdict: the worst counted status of its subject —
// the results that are neither set-up (Result.Setup) nor cleanup. A
// subject blocked by a failed set-up is Blocked, not Fail: the set-up's
// own failure is reported once, where it happened (see Counted). With no
// subject result at all (a skipped check), every result counts.
func Verdict(rs []scenario.Result) scenario.Status {
	var subject []scenario.Result
	for _, r := range rs {
		if !r.Setup && !r.Cleanup {
			subject = append(subject, r)
		}
	}
	if len(subject) == 0 {
		subject = rs
	}
	return scenario.Summarize(subject).Verdict
}

// Outcome is one check and its results.
type Outcome struct {
	Check   Check
	Results []scenario.Result
}

// Status is the check's verdict.
func (o Outcome) Status() scenario.Status { return Verdict(o.Results) }

// Label is the check's verdict as reports print it: the status name, but
// "info" for a pass that holds a failing MAY, so that a recorded "pass"
// never sits beside an "info: expected 200, got 404".
func (o Outcome) Label() string {
	st := o.Status()
	if st == scenario.Pass {
		for _, r := range o.Results {
			if r.Status == scenario.Warn && r.Info {
				return "info"
			}
		}
	}
	return st.String()
}

// Worst is the worst counted status of every result of the check, set-up
// and cleanup included: what the check contributes to a run's verdict
// and exit status (a failed "create u" is a failure of the server, even
// though it only blocks the check's subject).
func (o Outcome) Worst() scenario.Status { return scenario.Summarize(o.Results).Verdict }

// Counted reports whether the check counts towards the exit status: every
// profile but rfc-edge, whose edge cases a sound server may get wrong
// (README: they do not sink the core verdict).
func (o Outcome) Counted() bool { return o.Check.profile() != RFCEdge }

// Finished reports whether the check ran to its end: no result of it is
// Incomplete.
func (o Outcome) Finished() bool { return !hasStatus(o.Results, scenario.Incomplete) }

func hasStatus(rs []scenario.Result, s scenario.Status) bool {
	for _, r := range rs {
		if r.Status == s {
			return true
		}
	}
	return false
}

// RunAll runs checks in order; progress, if set, sees each outcome. When
// ctx ends first, every check not run is still returned, with one
// Incomplete result, so that no report can count the run as complete.
func RunAll(ctx context.Context, t *target.Target, cs []Check, progress func(Outcome)) []Outcome {
	var out []Outcome
	for _, c := range cs {
		if ctx.Err() != nil {
			out = append(out, Outcome{Check: c, Results: []scenario.Result{{
				Scenario: c.ID, Step: c.Name, Status: scenario.Incomplete, Level: c.level(), Clause: c.Clause, Verified: true,
				Message: "incomplete: not run, the run was interrupted (" + ctx.Err().Error() + ")",
			}}})
			continue
		}
		o := Outcome{Check: c, Results: c.Run(ctx, t)}
		out = append(out, o)
		if progress != nil {
			progress(o)
		}
	}
	return out
}

// Run is the state of a run of checks: how many were planned, how many
// ran to their end, and whether it passed.
type Run struct {
	Planned, Finished int
}

// RunOf counts os.
func RunOf(os []Outcome) Run {
	r := Run{Planned: len(os)}
	for _, o := range os {
		if o.Finished() {
			r.Finished++
		}
	}
	return r
}

// Complete reports whether every planned check ran to its end.
func (r Run) Complete() bool { return r.Finished == r.Planned }

// String is "interrupted after N of M checks" for an incomplete run.
func (r Run) String() string {
	if r.Complete() {
		return fmt.Sprintf("complete: %d of %d checks ran", r.Finished, r.Planned)
	}
	return fmt.Sprintf("interrupted after %d of %d checks", r.Finished, r.Planned)
}

// Passed reports whether a run's outcomes pass: complete, and no counted
// check has a result that failed or could not be judged (set-up and
// cleanup included).
func Passed(os []Outcome) bool {
	if !RunOf(os).Complete() {
		return false
	}
	for _, o := range os {
		if o.Counted() && o.Worst() >= scenario.Fail {
			return false
		}
	}
	return true
}

// ProfileVerdict is "success" (every check of the profile ran and passed,
// warnings allowed), "partial" (nothing failed, some were skipped for
// unsupported features), "fail" (a MUST failed or could not be judged,
// set-up steps included), "incomplete" (the run was interrupted before
// the profile's checks finished) or "none" (no check of the profile ran).
func ProfileVerdict(os []Outcome, profile string) string {
	ran, skipped, incomplete := 0, 0, false
	for _, o := range os {
		if o.Check.profile() != profile {
			continue
		}
		switch st := o.Worst(); {
		case st >= scenario.Fail:
			return "fail"
		case !o.Finished():
			incomplete = true
		case st <= scenario.Skip:
			skipped++
		default:
			ran++
		}
	}
	switch {
	case incomplete:
		return "incomplete"
	case ran == 0 && skipped == 0:
		return "none"
	case ran == 0:
		return "partial"
	case skipped > 0:
		return "partial"
	}
	return "success"
}

// ByID returns the check called id.
func ByID(id string) (Check, bool) {
	for _, c := range All() {
		if c.ID == id {
			return c, true
		}
	}
	return Check{}, false
}

// All returns every check, in a stable order; the slice is new on each call.
func All() []Check {
	var all []Check
	for _, area := range [][]Check{discovery(), crud(), patch(), filters(), sorting(), paging(), attributes(), search(), etag(), bulk(), bulkMore(), me(), content(), contentMore(), passwordChecks(), errorChecks(), roles(), rolesMore()} {
		all = append(all, area...)
	}
	return all
}

// Select returns the checks of cs whose ID starts with one of prefixes
// (every one of them when there is none): what --only selects.
func Select(cs []Check, prefixes []string) []Check {
	var out []Check
	for _, c := range cs {
		if len(prefixes) == 0 || slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(c.ID, p) }) {
			out = append(out, c)
		}
	}
	return out
}

// SelectsSchema reports whether prefixes may select a check generated from
// the target's discovery (SchemaChecks): with none, or with one that is a
// prefix of SchemaArea or lies inside it. Those checks exist only once the
// target is open, so a caller generates them when this holds.
func SelectsSchema(prefixes []string) bool {
	return len(prefixes) == 0 || slices.ContainsFunc(prefixes, func(p string) bool {
		return strings.HasPrefix(p, SchemaArea) || strings.HasPrefix(SchemaArea, p)
	})
}
