// Package judge is where the simulators judge SCIM answers: expectations
// that read a ListResponse, a lookup that must find nobody or exactly one
// user, a create, a userName read back, a boolean, a refused duplicate and
// an error body, each failing with one sentence that names the server bug
// the answer reveals.
//
// It exists so that each judgement is written once. The Google and Okta
// simulators had grown near-identical copies of these checks, and copies
// drift: a fix to one (paging fields that must be JSON integers, a 404 for
// an empty list) did not reach the other, and a report's wording depended
// on which simulator found the bug. What really differs between IdPs is the
// consequence — which IdP breaks and how, and which of its documents says
// so — and that is data: each IdP package declares a [Voice], and the
// checks here speak with it. Checks only one IdP makes stay in that IdP's
// package. The Ginkgo suites are to judge with the same checks, so that a
// simulator and a suite cannot disagree about the same answer.
//
// Judgements are scenario.Expectations built with scenario.Func over
// client.Exchanges. The values they compare may hold the run's ${vars},
// expanded when the answer is judged. The package depends on the client and
// scenario packages only, never on the server it judges.
package judge

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/scimharness/scimharness/harness/scenario"
)

// Voice is how one IdP's judgements word a failure: its name and, for each
// check, what goes wrong for that IdP and which of its documents says so.
// A field left empty leaves its clause out of the sentence.
type Voice struct {
	// IdP names the IdP in sentences: "Google", "Okta".
	IdP string
	// Reference is the IdP's documentation of what it needs from a server,
	// cited beside the RFC where it restates a requirement (a create's 201
	// with the resource, a duplicate's 409): "Okta SCIM reference".
	Reference string
	// SpecTest is the IdP's conformance test, cited beside the RFC for what
	// it checks (paging fields, the Error schema): "Okta SCIM 2.0 spec test".
	SpecTest string
	// CannotPage says what breaks when a paging field is not a JSON number:
	// "Okta's import cannot page".
	CannotPage string
	// ListURN: the IdP reads a list's "schemas" and needs the ListResponse
	// URN in it (RFC 7644 §3.4.2), as Entra does.
	ListURN bool
	// WrongMatch says what the IdP does with the resource a lookup for
	// nobody matched, instead of creating the user it looked for: "update
	// that user".
	WrongMatch string
	// EmptyCreate says why a 201 without a resource fails the IdP: "Google
	// reads the new user's id from it".
	EmptyCreate string
	// MediaRefused, if set, explains a 406 or 415 to a create: the media
	// type the IdP sends and cannot change. Otherwise such a status is
	// judged like any other that is not 201.
	MediaRefused string
	// CaseChanged says, with its sources, what the IdP does when userName
	// reads back in another case: "Okta reads back another value and keeps
	// sending updates (PostHog 42253, langfuse 13528)".
	CaseChanged string
	// StringBooleans: the IdP may send booleans as strings, so a boolean
	// read back as a string is the server storing it unconverted, and the
	// sentence says so and cites the reports of that bug.
	StringBooleans bool
	// Retries says what the IdP does with a 5xx to a duplicate create:
	// "Okta retries a 5xx". Empty: "a client retries a 5xx forever".
	Retries string
}

// cite returns "; source" to close an RFC citation with, or "".
func cite(source string) string {
	if source == "" {
		return ""
	}
	return "; " + source
}

// because returns ": why" to end a sentence with, or "".
func because(why string) string {
	if why == "" {
		return ""
	}
	return ": " + why
}

// Expand substitutes the string-valued ${name}s of vars in s; other
// placeholders are left as written.
func Expand(s string, vars scenario.Vars) string {
	for k, v := range vars {
		if t, ok := v.(string); ok {
			s = strings.ReplaceAll(s, "${"+k+"}", t)
		}
	}
	return s
}

// Text returns a function that expands s with the run's vars, for the
// judgements that take the value asked for as a function.
func Text(s string) func(scenario.Vars) string {
	return func(vars scenario.Vars) string { return Expand(s, vars) }
}

// Render shows a value in a sentence: compact JSON, shortened (see Excerpt).
func Render(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return Excerpt(b)
}

// Excerpt shows a body in a sentence: on one line, at most 200 characters,
// "(empty)" for nothing.
func Excerpt(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if r := []rune(s); len(r) > 200 {
		return string(r[:200]) + "…"
	}
	if s == "" {
		return "(empty)"
	}
	return s
}

// UserNames lists the userNames of resources for a sentence: the first
// five, then "…".
func UserNames(rs []map[string]any) string {
	var names []string
	for _, r := range rs {
		names = append(names, fmt.Sprint(r["userName"]))
	}
	if len(names) > 5 {
		names = append(names[:5], "…")
	}
	return "[" + strings.Join(names, ", ") + "]"
}
