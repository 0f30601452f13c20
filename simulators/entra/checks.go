package entra

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/wire"
)

// Wire constants (RFC 7643/7644 and Entra's group schema). Kept here rather
// than imported from the reference server: the simulator is a client and
// must not depend on the server it judges.
const (
	roleType = "WindowsAzureActiveDirectoryRole"
)

// Every check below returns a sentence that can stand alone in a report:
// what the server did, why it matters to Entra, and where that is
// documented. Tests match on the key phrases, so keep them stable.

// wantStatus expects one of codes; why says what Entra does otherwise.
func wantStatus(why string, codes ...int) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		if slices.Contains(codes, ex.Status()) {
			return nil
		}
		return fmt.Errorf("expected %s, got %d: %s", orList(codes), ex.Status(), why)
	})
}

func orList(codes []int) string {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = strconv.Itoa(c)
	}
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// voice is how Entra's judgements word a failure (package judge).
var voice = judge.Voice{
	IdP:            "Entra",
	Reference:      "Microsoft Learn: SCIM tutorial",
	ListURN:        true, // its own copy of these judgements required it
	WrongMatch:     "take that match as the account to update, overwriting it — corrupted accounts and duplicates",
	EmptyCreate:    "Entra reads the new resource's id from it",
	CaseChanged:    "Entra sees a difference and will loop updating it (PostHog 42253, langfuse 13528)",
	StringBooleans: true,
	Retries:        "Entra treats a 5xx as transient and retries every cycle",
}

// errorBody holds every error answer to RFC 7644 §3.12; a body Entra
// cannot parse is logged as ServiceIncompatible (TUT).
func errorBody() scenario.Expectation {
	return voice.ErrorBody("Entra cannot parse it and logs ServiceIncompatible (SCIM tutorial)")
}

// acceptRefused names a 406 for what it is: the server refused a request
// for its Accept header, and Entra's requests do not ask for
// application/scim+json (log, MicrosoftDocs/azure-docs issue 94189).
func acceptRefused() scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		if ex.Status() != 406 {
			return nil
		}
		return fmt.Errorf("the server answered 406 Not Acceptable to a request without Accept: application/scim+json: real Entra does not ask for it, and a server that 406s its requests fails Test Connection and every cycle (log, MicrosoftDocs/azure-docs issue 94189; RFC 7644 §3.8: with no Accept header the server SHOULD default to application/scim+json)")
	}).From("MicrosoftDocs/azure-docs issue 94189", scenario.Log)
}

// onDoc judges the resource of a 200 answer with check; another status is
// left to the status expectation, and a body that is not a JSON object
// fails.
func onDoc(check func(doc map[string]any, v scenario.Vars) error) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, v scenario.Vars) error {
		if ex.Status() != 200 {
			return nil
		}
		doc, err := scenario.ResponseJSON(ex)
		if err != nil {
			return err
		}
		return check(doc, v)
	})
}

// errorStatusString: §3.12's status is a string ("409"), as TUT's examples
// show; many servers send a number.
func errorStatusString() scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		if ex.Status() < 400 {
			return nil
		}
		doc, err := scenario.ResponseJSON(ex)
		if err != nil || !hasString(doc["schemas"], scim.ErrorURN) {
			return nil // errorBody says so
		}
		switch s := doc["status"].(type) {
		case string:
			if s != strconv.Itoa(ex.Status()) {
				return fmt.Errorf("the SCIM error body says status %q but the HTTP status is %d (RFC 7644 §3.12)", s, ex.Status())
			}
			return nil
		case nil:
			return fmt.Errorf("the SCIM error body has no status (RFC 7644 §3.12 requires it, as a string)")
		default:
			return fmt.Errorf("the SCIM error body's status is %s, a JSON %T; RFC 7644 §3.12 and Entra's examples (SCIM tutorial) send it as a string %q", judge.Render(s), s, strconv.Itoa(ex.Status()))
		}
	}).StrictOnlyBecause("many servers send status as a number and Entra is not known to reject it")
}

// expectNoMatch judges a lookup for something that does not exist yet
// (judge's MatchesNone). found (if set) receives the number of results, so
// the next step can act as Entra would.
func expectNoMatch(filterOf func(scenario.Vars) string, kind string, found string) []scenario.Expectation {
	out := []scenario.Expectation{
		voice.MatchesNone(filterOf, kind, "— Entra reads a 404 as a failure and quarantines an app whose Test Connection gets one (SCIM tutorial, Quarantine status)"),
	}
	if found != "" {
		out = append(out, scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
			if l, err := voice.ReadList(ex); err == nil && ex.Status() == 200 {
				vars[found] = int(l.Found())
			}
			return nil // MatchesNone judges the answer
		}))
	}
	return out
}

// expectOneMatch judges a lookup that must find exactly the resource
// whose id is in var idVar (judge's MatchesOne); caseNote, if set, is why
// a lookup that finds nothing fails.
func expectOneMatch(filterOf func(scenario.Vars) string, kind, idVar, caseNote string) scenario.Expectation {
	missed := ": Entra would create a duplicate, get 409 and escrow the user (How provisioning works)"
	if caseNote != "" {
		missed = ": " + caseNote
	}
	return voice.MatchesOne(filterOf, kind, idVar, missed, ": Entra would update the wrong account or report a duplicate match (How provisioning works)")
}

func plural(n int, one, many string) string {
	if n > 1 {
		return many
	}
	return one
}

func describe(r map[string]any) string {
	for _, k := range []string{"userName", "displayName"} {
		if v, ok := r[k].(string); ok {
			return fmt.Sprintf("%s %q, id %v", k, v, r["id"])
		}
	}
	return fmt.Sprintf("id %v", r["id"])
}

func hasString(v any, want string) bool {
	list, _ := v.([]any)
	for _, e := range list {
		if s, ok := e.(string); ok && strings.EqualFold(s, want) {
			return true
		}
	}
	return false
}

// field finds an object member case-insensitively, as SCIM attribute names
// match (RFC 7643 §2.1).
func field(m map[string]any, name string) (any, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// valueAt reads a mapping target from a resource.
func valueAt(doc map[string]any, p path) (any, bool) {
	obj := doc
	if p.URN != "" {
		ext, _ := field(doc, p.URN)
		if obj, _ = ext.(map[string]any); obj == nil {
			return nil, false
		}
	}
	v, ok := field(obj, p.Attr)
	if !ok || v == nil {
		return nil, false
	}
	if p.filtered() {
		list, _ := v.([]any)
		v, ok = nil, false
		for _, e := range list {
			m, _ := e.(map[string]any)
			if fv, has := field(m, p.FilterAttr); has && strings.EqualFold(fmt.Sprint(fv), p.FilterVal) {
				v, ok = m, true
				break
			}
		}
		if !ok {
			return nil, false
		}
	}
	if p.Sub != "" {
		m, _ := v.(map[string]any)
		if m == nil {
			return nil, false
		}
		v, ok = field(m, p.Sub)
		if !ok || v == nil {
			return nil, false
		}
	}
	return v, true
}

// expected is one attribute a read-back must show.
type expected struct {
	target string
	path   path
	level  scenario.Level
	// value is what Entra wrote, computed at run time (values carry the
	// run prefix): a string or a bool; nil means unset (sent as null or
	// not at all).
	value func(scenario.Vars) any
}

// readBack judges a GET of a user against what Entra wrote. Each attribute
// is its own expectation, at its own level: userName, active, the work
// email and the matching attribute are MUSTs (Entra's matching and
// disable depend on them); the rest SHOULD read back, or Entra sees a
// difference on every comparison and keeps sending the same update.
func readBack(want []expected) []scenario.Expectation {
	var out []scenario.Expectation
	for _, w := range want {
		out = append(out, scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
			if ex.Status()/100 != 2 {
				return nil // the status expectation reports it
			}
			doc, err := scenario.ResponseJSON(ex)
			if err != nil {
				return fmt.Errorf("the answer is not a JSON resource: %v", err)
			}
			got, found := valueAt(doc, w.path)
			return compare(w.target, w.value(vars), got, found)
		}).At(w.level))
	}
	return out
}

func compare(target string, value, got any, found bool) error {
	if value == nil {
		if found {
			return fmt.Errorf("%s reads back %s, but Entra sent it as null or not at all (unassigned, RFC 7643 §2.5)", target, judge.Render(got))
		}
		return nil
	}
	if !found {
		return fmt.Errorf("%s is missing from the resource; Entra wrote %s — it will send it again every cycle", target, judge.Render(value))
	}
	switch want := value.(type) {
	case bool:
		switch g := got.(type) {
		case bool:
			if g != want {
				return fmt.Errorf("%s reads back %v; Entra set it to %v", target, g, want)
			}
			return nil
		case string:
			return fmt.Errorf("the server stored %s as the string %q instead of the JSON boolean %v: Entra's string booleans must be coerced, or filters on %s and Entra's own comparison break (SCIMReferenceCode issue 21, django-scim2 issue 35)", target, g, want, target)
		default:
			return fmt.Errorf("%s reads back %s, not the JSON boolean %v", target, judge.Render(got), want)
		}
	case string:
		g, ok := got.(string)
		switch {
		case ok && g == want:
			return nil
		case ok && strings.EqualFold(g, want) && strings.EqualFold(target, "userName"):
			what := "changed the case of userName"
			if g == strings.ToLower(want) {
				what = "lower-cased userName"
			}
			return fmt.Errorf("the server %s: sent %q, read back %q — userName must be kept exactly as sent (RFC 7643 §4.1: unique case-insensitively, returned as given); Entra sees a difference and will loop updating it (PostHog 42253, langfuse 13528)", what, want, g)
		case ok:
			return fmt.Errorf("%s reads back %q; Entra wrote %q — Entra sees a difference and will send it again every cycle", target, g, want)
		default:
			return fmt.Errorf("%s reads back %s; Entra wrote the string %q", target, judge.Render(got), want)
		}
	}
	return fmt.Errorf("harness error: cannot compare %s", target)
}

// echo checks one attribute of the resource a create or update answered
// with.
func echo(target string, level scenario.Level, value func(scenario.Vars) any) scenario.Expectation {
	p, _ := parsePath(target)
	return readBack([]expected{{target: target, path: p, level: level, value: value}})[0]
}

// membersOf returns the member ids of a group resource, sorted.
func membersOf(doc map[string]any) []string {
	v, _ := field(doc, "members")
	list, _ := v.([]any)
	var ids []string
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			if id, ok := field(m, "value"); ok {
				ids = append(ids, fmt.Sprint(id))
			}
		}
	}
	sort.Strings(ids)
	return ids
}

// idsOf resolves var names to ids, sorted; ok is false if one is missing.
func idsOf(vars scenario.Vars, names []string) ([]string, bool) {
	var ids []string
	for _, n := range names {
		v, ok := vars[n]
		if !ok {
			return nil, false
		}
		ids = append(ids, fmt.Sprint(v))
	}
	sort.Strings(ids)
	return ids, true
}
