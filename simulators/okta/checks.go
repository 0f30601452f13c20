package okta

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/simulators/client"
	"github.com/scimharness/scimharness/simulators/scenario"
)

// The checks below judge answers the way Okta depends on them, and their
// sentences name the server bug they reveal.

// listPage is a decoded ListResponse.
type listPage struct {
	total, start, perPage int64
	hasStart, hasPerPage  bool
	resources             []map[string]any
}

// readList decodes a ListResponse; Okta needs its paging fields to be JSON
// integers (Okta SCIM 2.0 spec test).
func readList(ex *client.Exchange) (listPage, error) {
	var p listPage
	doc, err := ex.JSON()
	if err != nil {
		return p, fmt.Errorf("the answer is not a SCIM ListResponse: %v", err)
	}
	total, ok, err := intField(doc, "totalResults")
	switch {
	case err != nil:
		return p, err
	case !ok:
		return p, errors.New("the ListResponse has no totalResults (RFC 7644 §3.4.2: REQUIRED)")
	}
	p.total = total
	if p.start, p.hasStart, err = intField(doc, "startIndex"); err != nil {
		return p, err
	}
	if p.perPage, p.hasPerPage, err = intField(doc, "itemsPerPage"); err != nil {
		return p, err
	}
	v, found := scenario.Lookup(doc, "Resources")
	if !found || v == nil {
		return p, nil
	}
	list, ok := v.([]any)
	if !ok {
		return p, fmt.Errorf("Resources is %s, not an array", render(v))
	}
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return p, fmt.Errorf("Resources holds %s, not a resource object", render(e))
		}
		p.resources = append(p.resources, m)
	}
	return p, nil
}

// intField reads a paging field, which must be a JSON integer.
func intField(doc map[string]any, name string) (int64, bool, error) {
	v, found := scenario.Lookup(doc, name)
	if !found || v == nil {
		return 0, false, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, true, fmt.Errorf("%s is %s, not a JSON number: Okta's import cannot page (RFC 7644 §3.4.2; Okta SCIM 2.0 spec test)", name, render(v))
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		return 0, true, fmt.Errorf("%s is %s, not an integer (RFC 7644 §3.4.2; Okta SCIM 2.0 spec test)", name, n)
	}
	return i, true, nil
}

// emptyLookup judges a filter that must match nobody; before says what Okta
// is about to do with the answer.
func emptyLookup(userName, before string) scenario.Expectation {
	return scenario.Func(func(ex *client.Exchange, vars scenario.Vars) error {
		want := expandVars(userName, vars)
		switch ex.Status() {
		case 200:
		case 404:
			return fmt.Errorf("the server answered 404 for a filter that matches nobody; Okta expects 200 with an empty ListResponse (totalResults 0) %s (RFC 7644 §3.4.2)", before)
		default:
			return fmt.Errorf("expected 200 with an empty ListResponse for userName eq %q, got %d", want, ex.Status())
		}
		p, err := readList(ex)
		if err != nil {
			return err
		}
		if p.total != 0 || len(p.resources) > 0 {
			return fmt.Errorf("the filter userName eq %q matched %d resource(s) %s although no such user exists: the server ignored the filter; Okta would link the wrong user instead of creating %q",
				want, max(p.total, int64(len(p.resources))), userNames(p.resources), want)
		}
		return nil
	})
}

// foundOnce judges a lookup that must find exactly the user captured as
// idVar; asked gives the userName the filter asked for.
func foundOnce(asked func(scenario.Vars) string, idVar string) scenario.Expectation {
	return scenario.Func(func(ex *client.Exchange, vars scenario.Vars) error {
		asked := asked(vars)
		if ex.Status() != 200 {
			return fmt.Errorf("expected 200 with the user for userName eq %q, got %d", asked, ex.Status())
		}
		p, err := readList(ex)
		if err != nil {
			return err
		}
		id, _ := vars[idVar].(string)
		switch {
		case p.total == 0 && len(p.resources) == 0:
			return fmt.Errorf("the filter userName eq %q found nobody although the user exists (id %s) with that userName in another case: the server matches userName case-sensitively; userName is caseExact false (RFC 7643 §4.1.1, RFC 7644 §3.4.2.2; Okta SCIM 2.0 spec test)", asked, id)
		case p.total > 1 || len(p.resources) > 1:
			return fmt.Errorf("the filter userName eq %q matched %d resources %s, not just that user: the server ignored the filter", asked, max(p.total, int64(len(p.resources))), userNames(p.resources))
		case len(p.resources) == 0:
			return fmt.Errorf("totalResults is 1 but Resources is empty: Okta cannot read the user's id")
		}
		if got, _ := p.resources[0]["id"].(string); got != id {
			return fmt.Errorf("the filter userName eq %q found id %q, not the user created (%s)", asked, got, id)
		}
		return nil
	})
}

// created judges a create: 201 with the resource; an empty 201 body is an
// error for Okta.
func created() scenario.Expectation {
	return scenario.Func(func(ex *client.Exchange, _ scenario.Vars) error {
		switch s := ex.Status(); {
		case s == 201:
		case s == 200:
			return errors.New("the create was answered 200, not 201 Created (RFC 7644 §3.3)")
		default:
			return fmt.Errorf("expected 201 Created, got %d", s)
		}
		if _, err := ex.JSON(); err != nil {
			return fmt.Errorf("the 201 answer carries no resource (%v): an empty 201 body is an error for Okta, which reads the new id from it (RFC 7644 §3.3; Okta SCIM reference)", err)
		}
		return nil
	})
}

// sameUserName judges that userName came back exactly as sent.
func sameUserName(userName string) scenario.Expectation {
	return scenario.Func(func(ex *client.Exchange, vars scenario.Vars) error {
		doc, err := ex.JSON()
		if ex.Status()/100 != 2 || err != nil {
			return nil // judged by the status check
		}
		want := expandVars(userName, vars)
		got, found := scenario.Lookup(doc, "userName")
		switch {
		case !found || got == nil:
			return fmt.Errorf("the answer has no userName; %q was sent", want)
		case got == want:
			return nil
		}
		if s, ok := got.(string); ok && strings.EqualFold(s, want) {
			return fmt.Errorf("the server changed the case of userName: sent %q, got back %q. userName is case-insensitive for matching but must be kept as sent (RFC 7643 §4.1.1); Okta reads back another value and keeps sending updates (PostHog 42253, langfuse 13528)", want, s)
		}
		return fmt.Errorf("userName came back as %s; %q was sent", render(got), want)
	})
}

// activeIs judges that active is the JSON boolean want; a 204 has no body
// to judge.
func activeIs(want bool) scenario.Expectation {
	return scenario.Func(func(ex *client.Exchange, _ scenario.Vars) error {
		doc, err := ex.JSON()
		if ex.Status()/100 != 2 || err != nil {
			return nil
		}
		got, found := scenario.Lookup(doc, "active")
		switch v := got.(type) {
		case bool:
			if v != want {
				return fmt.Errorf("active is %t, expected %t", v, want)
			}
			return nil
		case string:
			return fmt.Errorf("active came back as the string %q, not the JSON boolean %t (RFC 7643 §2.3.2)", v, want)
		case nil:
			if !found {
				return fmt.Errorf("the answer has no active attribute; expected %t", want)
			}
		}
		return fmt.Errorf("active is %s, expected the JSON boolean %t", render(got), want)
	})
}

// duplicateRefused judges a second create of an existing userName.
func duplicateRefused() scenario.Expectation {
	return scenario.Func(func(ex *client.Exchange, _ scenario.Vars) error {
		switch s := ex.Status(); {
		case s == 409:
			return nil
		case s/100 == 2:
			return fmt.Errorf("the server created a second user with an existing userName (%d): duplicates must get 409 with scimType uniqueness (RFC 7644 §3.3; Okta SCIM reference)", s)
		default:
			return fmt.Errorf("a duplicate userName got %d, not 409 with scimType uniqueness (RFC 7644 §3.3; Okta SCIM reference); Okta retries a 5xx instead of matching the existing user (go-scim issue 65, gravitee 8290)", s)
		}
	})
}

// scimError judges the body of an error answer with status code status
// (RFC 7644 §3.12); other statuses are left to the status check.
func scimError(status int) scenario.Expectation {
	return scenario.Func(func(ex *client.Exchange, _ scenario.Vars) error {
		if ex.Status() != status {
			return nil
		}
		doc, err := ex.JSON()
		if err != nil {
			return fmt.Errorf("the %d answer has no SCIM error body (RFC 7644 §3.12: schemas [%q], status, detail; the Okta spec test checks the Error schema): %v; body: %s",
				status, schema.ErrorURN, err, excerpt(ex.Response.Body))
		}
		schemas, _ := scenario.Lookup(doc, "schemas")
		list, _ := schemas.([]any)
		if !slices.Contains(list, any(schema.ErrorURN)) {
			return fmt.Errorf("the %d answer has no SCIM error body: its schemas %s lack %q (RFC 7644 §3.12)", status, render(schemas), schema.ErrorURN)
		}
		got, _ := scenario.Lookup(doc, "status")
		if fmt.Sprint(got) != strconv.Itoa(status) {
			return fmt.Errorf("the error body's status is %s, not %q (RFC 7644 §3.12)", render(got), strconv.Itoa(status))
		}
		return nil
	})
}

// bodyIs judges that the body value at path equals want (with ${vars}); it
// is quiet when there is no body to judge (a 204, or a failed status).
func bodyIs(path string, want any) scenario.Expectation {
	return scenario.Func(func(ex *client.Exchange, vars scenario.Vars) error {
		doc, err := ex.JSON()
		if ex.Status()/100 != 2 || err != nil {
			return nil
		}
		if s, ok := want.(string); ok {
			want = expandVars(s, vars)
		}
		got, found := scenario.Lookup(doc, path)
		if !found || got == nil {
			return fmt.Errorf("the answer has no %s; expected %s", path, render(want))
		}
		if render(got) != render(want) {
			return fmt.Errorf("%s is %s, expected %s", path, render(got), render(want))
		}
		return nil
	})
}

// noPassword judges that a password never comes back (RFC 7643 §4.1.1:
// returned "never").
func noPassword() scenario.Expectation {
	return scenario.Func(func(ex *client.Exchange, _ scenario.Vars) error {
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
	return scenario.Func(func(ex *client.Exchange, _ scenario.Vars) error {
		switch s := ex.Status(); {
		case s == 200 || s == 204:
			return nil
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

// pathless reports whether the PATCH sent holds a replace without a path.
func pathless(ex *client.Exchange) bool {
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
	return scenario.Func(func(ex *client.Exchange, vars scenario.Vars) error {
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
				return fmt.Errorf("members is %s, not an array", render(v))
			}
			for _, e := range list {
				m, _ := e.(map[string]any)
				id, _ := m["value"].(string)
				if id == "" {
					return fmt.Errorf("a member has no value: %s", render(e))
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
	return scenario.Func(func(ex *client.Exchange, _ scenario.Vars) error {
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

func userNames(rs []map[string]any) string {
	var names []string
	for _, r := range rs {
		names = append(names, fmt.Sprint(r["userName"]))
	}
	if len(names) > 5 {
		names = append(names[:5], "…")
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// expandVars substitutes string-valued ${name}s.
func expandVars(s string, vars scenario.Vars) string {
	for k, v := range vars {
		if t, ok := v.(string); ok {
			s = strings.ReplaceAll(s, "${"+k+"}", t)
		}
	}
	return s
}

func render(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return excerpt(b)
}

func excerpt(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if r := []rune(s); len(r) > 200 {
		return string(r[:200]) + "…"
	}
	if s == "" {
		return "(empty)"
	}
	return s
}
