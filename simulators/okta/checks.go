package okta

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/wire"
)

// voice words the shared judgements (package judge) the way Okta depends
// on the answers, citing the Okta SCIM reference and spec test where they
// restate a requirement. The checks below are Okta's own.
var voice = judge.Voice{
	IdP:         "Okta",
	Reference:   "Okta SCIM reference",
	SpecTest:    "Okta SCIM 2.0 spec test",
	CannotPage:  "Okta's import cannot page",
	WrongMatch:  "link the wrong user",
	EmptyCreate: "an empty 201 body is an error for Okta, which reads the new id from it",
	CaseChanged: "Okta reads back another value and keeps sending updates (PostHog 42253, langfuse 13528)",
	// "Okta retries a 5xx" has no source (catalog, Corrections): say
	// what a 5xx does to any client, not what Okta is claimed to do.
	Retries: "a client may retry a 5xx (that Okta does is unverified)",
}

// noPassword judges that a password never comes back (RFC 7643 §4.1.1:
// returned "never").
func noPassword() scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		doc, err := ex.JSON()
		if err != nil {
			return nil
		}
		if v, found := scenario.Lookup(doc, "password"); found && v != nil {
			return errors.New("the password came back in the answer; it is returned never (RFC 7643 §4.1.1)")
		}
		return nil
	})
}

// patchedWith judges the status of an Okta PATCH (what names it): 200 or
// 204, as RFC 7644 §3.5.2 allows. A rejected path-less replace is named as
// such.
func patchedWith(what string) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		switch s := ex.Status(); {
		case s == 200 || s == 204:
			return nil
		case s == 400 && refusedValues(ex):
			doc, _ := ex.JSON()
			return fmt.Errorf("the server refused the values of Okta's %s with 400 invalidValue (%v): Okta's request is RFC 7644's (§3.5.2), and the change is lost", what, doc["detail"])
		case s == 400 || s == 501:
			if pathless(ex) {
				return fmt.Errorf("the server rejected Okta's path-less replace (%s) with %d: a replace without path whose value is an object must be applied to the resource (RFC 7644 §3.5.2.3; scimitar PR 29). Okta does not retry with PUT", what, s)
			}
			return fmt.Errorf("the server rejected Okta's %s with %d (RFC 7644 §3.5.2)", what, s)
		default:
			return fmt.Errorf("expected 200 or 204 for Okta's %s (RFC 7644 §3.5.2), got %d", what, s)
		}
	})
}

// refusedValues reports whether an error answer refuses a PATCH's values
// (scimType invalidValue), not its form.
func refusedValues(ex *wire.Exchange) bool {
	doc, err := ex.JSON()
	if err != nil {
		return false
	}
	st, _ := doc["scimType"].(string)
	return st == "invalidValue"
}

// pathless reports whether the PATCH sent holds a replace without a path.
func pathless(ex *wire.Exchange) bool {
	var body struct {
		Operations []map[string]any
	}
	if json.Unmarshal(ex.Request.Body, &body) != nil {
		return false
	}
	for _, op := range body.Operations {
		if _, has := op["path"]; !has && op["op"] == "replace" {
			return true
		}
	}
	return false
}

// membersAre judges a group read: its members' values are exactly the ids
// in wantVars. removed names the ids a PATCH removed, to tell a lost member
// from one that was never added.
func membersAre(wantVars, removedVars []string, after string) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
		if ex.Status() != http.StatusOK {
			return nil // the status expectation says so
		}
		doc, err := ex.JSON()
		if err != nil {
			return fmt.Errorf("the group cannot be read: %v", err)
		}
		got := map[string]bool{}
		if v, _ := scenario.Lookup(doc, "members"); v != nil {
			list, ok := v.([]any)
			if !ok {
				return fmt.Errorf("members is %s, not an array", judge.Render(v))
			}
			for _, e := range list {
				m, _ := e.(map[string]any)
				id, _ := m["value"].(string)
				if id == "" {
					return fmt.Errorf("a member has no value: %s", judge.Render(e))
				}
				got[id] = true
			}
		}
		want := map[string]string{} // id → var
		for _, w := range wantVars {
			id, _ := vars[w].(string)
			want[id] = w
		}
		removed := map[string]bool{}
		for _, r := range removedVars {
			id, _ := vars[r].(string)
			removed[id] = true
		}
		var missing, extra []string
		for id := range want {
			if !got[id] {
				missing = append(missing, id)
			}
		}
		for id := range got {
			if _, ok := want[id]; !ok {
				extra = append(extra, id)
			}
		}
		sort.Strings(missing)
		sort.Strings(extra)
		var problems []string
		if len(missing) > 0 && len(removedVars) > 0 {
			problems = append(problems, fmt.Sprintf("members %v are gone although the PATCH removed only %s: the server removed other members too — a remove with path members[value eq \"…\"] must remove that member alone (RFC 7644 §3.5.2.2; elimity 91, authentik 25686, SimpleIdServer 244)", missing, keys(removed)))
		} else if len(missing) > 0 {
			problems = append(problems, fmt.Sprintf("members %v are missing", missing))
		}
		for _, id := range extra {
			if removed[id] {
				problems = append(problems, fmt.Sprintf("member %s is still there although the PATCH removed it with path members[value eq \"%s\"] (RFC 7644 §3.5.2.2)", id, id))
			} else {
				problems = append(problems, fmt.Sprintf("member %s was never added", id))
			}
		}
		if len(problems) > 0 {
			return fmt.Errorf("after %s the group's members are %v, expected exactly %v: %s", after, keys(got), keys(set(want)), strings.Join(problems, "; "))
		}
		return nil
	})
}

// fast reports steps slower than the Okta spec test likes (MAY: informational).
func fast() scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		if ex.Duration > 600*time.Millisecond {
			return fmt.Errorf("the answer took %v; the Okta spec test expects most steps under 600 ms", ex.Duration.Round(time.Millisecond))
		}
		return nil
	}).At(scenario.May)
}

func set(m map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
