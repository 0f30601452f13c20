// Package certify grades what a SCIM client — an identity provider being
// validated — sent to a server, from a recording made by package
// certify/record (`scimharness serve --record DIR`).
//
// Each recorded request is graded for RFC 7643/7644 conformance and for the
// known IdP behaviours it shows (the catalog in idp-behaviour.md): every
// Finding has a level — a Violation of the RFC, a Quirk that real IdPs
// send and servers are expected to tolerate, or a Note — the clause or
// catalog source it rests on, and the request it concerns. Fingerprints
// name the IdP the traffic looks like. Coverage says which lifecycle steps
// the client exercised and which it never did. The verdict: not certified
// on any violation, certified with quirks on any quirk, else certified.
//
// The package sits at the top level, not under simulators/: simulators play
// IdPs against servers, certify judges IdPs (clients) from what a server saw.
package certify

import (
	"fmt"
	"sort"
	"strings"

	"github.com/scimharness/scimharness/certify/record"
)

// Level is how much a finding weighs.
type Level string

const (
	// Violation: the request breaks RFC 7643/7644 (or sends a credential
	// where it leaks); a server may rightly reject it.
	Violation Level = "violation"
	// Quirk: not what the RFC says, but what a known IdP sends and what
	// servers are expected to accept.
	Quirk Level = "tolerated quirk"
	// Note: worth knowing, not a defect.
	Note Level = "note"
)

// Verdict is the outcome of a certification.
type Verdict string

const (
	Certified           Verdict = "certified"
	CertifiedWithQuirks Verdict = "certified with quirks"
	NotCertified        Verdict = "not certified"
)

// Finding is one observation about one request.
type Finding struct {
	Level Level `json:"level"`
	// Rule is a stable identifier ("patch-op-case"); see Rules.
	Rule    string `json:"rule"`
	Message string `json:"message"`
	// Source is the RFC clause ("RFC 7644 §3.5.2") or catalog entry
	// ("Microsoft Entra ID (Microsoft Learn: …)") the finding rests on.
	Source string `json:"source"`
	// IdP is the IdP known to send this ("entra"), if any.
	IdP string `json:"idp,omitempty"`
	// File and Seq locate the request in the recording.
	File string `json:"file"`
	Seq  int    `json:"seq"`
	// Request is "PATCH /scim/v2/Users/… → 200".
	Request string `json:"request"`
}

// Fingerprint is evidence that the traffic comes from a known IdP.
type Fingerprint struct {
	IdP       string `json:"idp"`
	Behaviour string `json:"behaviour"`
	Source    string `json:"source"`
	// Seqs are the requests that show it (of File), at most a few.
	File  string `json:"file"`
	Seqs  []int  `json:"seqs"`
	Count int    `json:"count"`
}

// Step is a lifecycle step of provisioning.
type Step string

const (
	StepConnection   Step = "connection test"
	StepCreate       Step = "create user"
	StepUpdateSingle Step = "update single-valued attribute"
	StepUpdateMulti  Step = "update multi-valued attribute"
	StepDisable      Step = "disable user"
	StepReenable     Step = "re-enable user"
	StepDelete       Step = "delete user"
	StepGroups       Step = "create group"
	StepGroupRename  Step = "rename group"
	StepGroupReplace Step = "replace group (PUT)"
	StepGroupDelete  Step = "delete group"
	StepMemberAdd    Step = "add group member"
	StepMemberRemove Step = "remove group member"
	StepPaging       Step = "paging"
)

// Steps lists the lifecycle steps in the order reports show them. Entra
// and Okta both rename, replace (Okta's AIW apps) and delete groups.
var Steps = []Step{StepConnection, StepCreate, StepUpdateSingle, StepUpdateMulti, StepDisable, StepReenable, StepDelete,
	StepGroups, StepGroupRename, StepGroupReplace, StepGroupDelete, StepMemberAdd, StepMemberRemove, StepPaging}

// Coverage is whether the client exercised one step.
type Coverage struct {
	Step      Step `json:"step"`
	Exercised bool `json:"exercised"`
	Count     int  `json:"count"`
	// Example is the first request that exercised it.
	Example string `json:"example,omitempty"`
	File    string `json:"file,omitempty"`
	Seq     int    `json:"seq,omitempty"`
	// Failed counts the exercising requests the server did not answer 2xx.
	Failed int `json:"failed,omitempty"`
}

// Result is a graded recording.
type Result struct {
	Files    []string `json:"files"`
	Requests int      `json:"requests"`
	// IdP is the IdP the traffic looks like most ("" when none).
	IdP          string        `json:"idp,omitempty"`
	Fingerprints []Fingerprint `json:"fingerprints,omitempty"`
	Findings     []Finding     `json:"findings"`
	Coverage     []Coverage    `json:"coverage"`
	Verdict      Verdict       `json:"verdict"`
	// Graded maps a request (file, seq) to its findings, for reports.
	graded []graded
}

type graded struct {
	file  string
	entry record.Entry
	fs    []Finding
	scim  bool
}

// Count returns the number of findings at level l.
func (r Result) Count(l Level) int {
	n := 0
	for _, f := range r.Findings {
		if f.Level == l {
			n++
		}
	}
	return n
}

// HasFinding reports whether a finding of rule at level l exists.
func (r Result) HasFinding(rule string, l Level) bool {
	for _, f := range r.Findings {
		if f.Rule == rule && f.Level == l {
			return true
		}
	}
	return false
}

// Covered reports whether step s was exercised.
func (r Result) Covered(s Step) bool {
	for _, c := range r.Coverage {
		if c.Step == s {
			return c.Exercised
		}
	}
	return false
}

// Grade grades recordings: every request of every file, in order.
func Grade(recs []record.Recording) Result {
	res := Result{Findings: []Finding{}}
	fps := map[string]*Fingerprint{}
	var fpOrder []string
	cov := newCoverage()
	for _, rc := range recs {
		res.Files = append(res.Files, rc.File)
		st := &state{}
		for i, e := range rc.Entries {
			g := &grader{file: rc.File, e: e, first: i == 0, st: st}
			g.grade()
			res.Requests++
			res.Findings = append(res.Findings, g.findings...)
			res.graded = append(res.graded, graded{file: rc.File, entry: e, fs: g.findings, scim: g.scim})
			for _, fp := range g.prints {
				k := fp.IdP + "\x00" + fp.Behaviour
				have := fps[k]
				if have == nil {
					f := fp
					f.File = rc.File
					have = &f
					fps[k] = have
					fpOrder = append(fpOrder, k)
				}
				have.Count++
				if len(have.Seqs) < 5 && have.File == rc.File {
					have.Seqs = append(have.Seqs, e.Seq)
				}
			}
			// A step counts as exercised only when the server accepted it:
			// a 400 to a disable is no disable.
			if e.Response.Status/100 == 2 {
				for _, s := range g.steps {
					cov.add(s, rc.File, e)
				}
			}
		}
	}
	for _, k := range fpOrder {
		res.Fingerprints = append(res.Fingerprints, *fps[k])
	}
	res.IdP = likeliest(res.Fingerprints)
	res.Coverage = cov.list()
	switch {
	case res.Requests == 0 || res.Count(Violation) > 0:
		res.Verdict = NotCertified
	case res.Count(Quirk) > 0:
		res.Verdict = CertifiedWithQuirks
	default:
		res.Verdict = Certified
	}
	return res
}

// likeliest is the IdP with the most distinct fingerprints; ties go to
// the one with more matching requests, then by name.
func likeliest(fps []Fingerprint) string {
	kinds, reqs := map[string]int{}, map[string]int{}
	for _, f := range fps {
		kinds[f.IdP]++
		reqs[f.IdP] += f.Count
	}
	var names []string
	for n := range kinds {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := names[i], names[j]
		if kinds[a] != kinds[b] {
			return kinds[a] > kinds[b]
		}
		if reqs[a] != reqs[b] {
			return reqs[a] > reqs[b]
		}
		return a < b
	})
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// FingerprintsOf returns the distinct behaviours recognised for idp.
func (r Result) FingerprintsOf(idp string) []string {
	var out []string
	for _, f := range r.Fingerprints {
		if f.IdP == idp {
			out = append(out, f.Behaviour)
		}
	}
	return out
}

// Summary is one line: "certified with quirks: 120 requests, 0 violations,
// 14 tolerated quirks, 3 notes; looks like entra; 9/11 lifecycle steps".
func (r Result) Summary() string {
	n := 0
	for _, c := range r.Coverage {
		if c.Exercised {
			n++
		}
	}
	like := "no known IdP recognised"
	if r.IdP != "" {
		like = "looks like " + r.IdP
	}
	return fmt.Sprintf("%s: %d requests, %d violations, %d tolerated quirks, %d notes; %s; %d/%d lifecycle steps exercised",
		r.Verdict, r.Requests, r.Count(Violation), r.Count(Quirk), r.Count(Note), like, n, len(r.Coverage))
}

type coverage struct{ m map[Step]*Coverage }

func newCoverage() *coverage {
	c := &coverage{m: map[Step]*Coverage{}}
	for _, s := range Steps {
		c.m[s] = &Coverage{Step: s}
	}
	return c
}

func (c *coverage) add(s Step, file string, e record.Entry) {
	cv := c.m[s]
	if !cv.Exercised {
		cv.Exercised, cv.Example, cv.File, cv.Seq = true, e.String(), file, e.Seq
	}
	cv.Count++
	if e.Response.Status/100 != 2 {
		cv.Failed++
	}
}

func (c *coverage) list() []Coverage {
	out := make([]Coverage, 0, len(Steps))
	for _, s := range Steps {
		out = append(out, *c.m[s])
	}
	return out
}

// idpLabel is how findings name an IdP: "Entra", "Google".
func idpLabel(idp string) string {
	switch idp {
	case "entra":
		return "Entra"
	case "okta":
		return "Okta"
	case "google":
		return "Google"
	case "onelogin":
		return "OneLogin"
	}
	return strings.ToUpper(idp[:1]) + idp[1:]
}
