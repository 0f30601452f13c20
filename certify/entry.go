package certify

import "github.com/scimharness/scimharness/certify/record"

// GradeEntry grades one exchange on its own, as it arrives (the live
// inspector, package certify/inspect): the findings every rule of Rules
// gives the request. Fingerprints, lifecycle coverage and the verdict need
// a whole recording and are left to Grade. The findings' File is empty.
func GradeEntry(e record.Entry) []Finding {
	g := &grader{e: e, first: e.Seq == 1, st: &state{}}
	g.grade()
	return g.findings
}

// Worst is the heaviest level among fs (Violation, then Quirk, then Note),
// or "" when fs is empty.
func Worst(fs []Finding) Level {
	var w Level
	for _, f := range fs {
		if rank(f.Level) > rank(w) {
			w = f.Level
		}
	}
	return w
}
