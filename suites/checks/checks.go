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

// Scenario returns the check as a scenario, the check's clause and level
// filled into steps that have none.
func (c Check) Scenario() scenario.Scenario {
	sc := scenario.Scenario{Name: c.ID, Description: c.Name}
	for _, st := range c.Steps {
		if st.Clause == "" {
			st.Clause = c.Clause
		}
		if st.Level == "" {
			st.Level = c.level()
		}
		sc.Steps = append(sc.Steps, st)
	}
	return sc
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
	return scenario.Run(ctx, t.Client, c.Scenario(), scenario.Options{Mode: scenario.Strict, Prefix: t.Prefix})
}

// Verdict is the worst counted status of a check's results.
func Verdict(rs []scenario.Result) scenario.Status { return scenario.Summarize(rs).Verdict }

// Outcome is one check and its results.
type Outcome struct {
	Check   Check
	Results []scenario.Result
}

// Status is the check's verdict.
func (o Outcome) Status() scenario.Status { return Verdict(o.Results) }

// RunAll runs checks in order; progress, if set, sees each outcome.
func RunAll(ctx context.Context, t *target.Target, cs []Check, progress func(Outcome)) []Outcome {
	var out []Outcome
	for _, c := range cs {
		if ctx.Err() != nil {
			break
		}
		o := Outcome{Check: c, Results: c.Run(ctx, t)}
		out = append(out, o)
		if progress != nil {
			progress(o)
		}
	}
	return out
}

// ProfileVerdict is "success" (every check of the profile ran and passed,
// warnings allowed), "partial" (nothing failed, some were skipped for
// unsupported features), "fail" (a MUST failed or could not be judged) or
// "none" (no check of the profile ran).
func ProfileVerdict(os []Outcome, profile string) string {
	ran, skipped := 0, 0
	for _, o := range os {
		if o.Check.profile() != profile {
			continue
		}
		switch st := o.Status(); {
		case st >= scenario.Fail:
			return "fail"
		case st <= scenario.Skip:
			skipped++
		default:
			ran++
		}
	}
	switch {
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
