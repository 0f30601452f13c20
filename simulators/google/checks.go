package google

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/simulators/client"
	"github.com/scimharness/scimharness/simulators/scenario"
)

// The checks below judge answers the way Google's provisioning would trip
// over them, and their sentences name the server bug they reveal, so that
// a failing report says what to fix rather than which byte differed.

// listPage is a decoded ListResponse.
type listPage struct {
	total     int64
	resources []map[string]any
}

// readList decodes a ListResponse; paging fields must be JSON integers.
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
	for _, name := range []string{"startIndex", "itemsPerPage"} {
		if _, _, err := intField(doc, name); err != nil {
			return p, err
		}
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
		return 0, true, fmt.Errorf("%s is %s, not a JSON number (RFC 7644 §3.4.2)", name, render(v))
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		return 0, true, fmt.Errorf("%s is %s, not an integer (RFC 7644 §3.4.2)", name, n)
	}
	return i, true, nil
}

// emptyLookup judges the lookup before a create: 200 with nobody in it.
func emptyLookup(userName string) scenario.Expectation {
	return scenario.Func(func(ex *client.Exchange, vars scenario.Vars) error {
		want := expandVars(userName, vars)
		switch ex.Status() {
		case 200:
		case 404:
			return fmt.Errorf("the server answered 404 for a filter that matches nobody; Google expects 200 with an empty ListResponse (totalResults 0) before it creates %q (RFC 7644 §3.4.2)", want)
		default:
			return fmt.Errorf("expected 200 with an empty ListResponse for userName eq %q, got %d", want, ex.Status())
		}
		p, err := readList(ex)
		if err != nil {
			return err
		}
		if p.total != 0 || len(p.resources) > 0 {
			return fmt.Errorf("the filter userName eq %q matched %d resource(s) %s although no such user exists yet: the server ignored the filter; Google would update that user instead of creating %q",
				want, max(p.total, int64(len(p.resources))), userNames(p.resources), want)
		}
		return nil
	})
}

// foundOnce judges a lookup that must find exactly the user captured as idVar.
func foundOnce(userName, idVar string) scenario.Expectation {
	return scenario.Func(func(ex *client.Exchange, vars scenario.Vars) error {
		want := expandVars(userName, vars)
		if ex.Status() != 200 {
			return fmt.Errorf("expected 200 with the user %q, got %d", want, ex.Status())
		}
		p, err := readList(ex)
		if err != nil {
			return err
		}
		id, _ := vars[idVar].(string)
		switch {
		case p.total == 0 && len(p.resources) == 0:
			return fmt.Errorf("the filter userName eq %q found nobody although the user exists (id %s): Google would create it again", want, id)
		case p.total > 1 || len(p.resources) > 1:
			return fmt.Errorf("the filter userName eq %q matched %d resources %s, not just that user: the server ignored the filter", want, max(p.total, int64(len(p.resources))), userNames(p.resources))
		case len(p.resources) == 0:
			return fmt.Errorf("totalResults is 1 but Resources is empty: Google cannot read the id of %q", want)
		}
		if got, _ := p.resources[0]["id"].(string); got != id {
			return fmt.Errorf("the filter userName eq %q found id %q, not the user created (%s)", want, got, id)
		}
		return nil
	})
}

// created judges a create: 201 with the resource. It is quiet about the
// body when the status is already wrong.
func created(contentType string) scenario.Expectation {
	return scenario.Func(func(ex *client.Exchange, _ scenario.Vars) error {
		switch s := ex.Status(); {
		case s == 201:
		case s == 406 || s == 415:
			return fmt.Errorf("the server refused the create with %d: Google sends Content-Type %s, which it cannot change, and a server must accept it (pond/scimitar issue 142, indigo-iam 1285)", s, contentType)
		case s == 200:
			return errors.New("the create was answered 200, not 201 Created (RFC 7644 §3.3)")
		default:
			return fmt.Errorf("expected 201 Created, got %d", s)
		}
		if _, err := ex.JSON(); err != nil {
			return fmt.Errorf("the 201 answer carries no resource (%v): Google reads the new user's id from it (RFC 7644 §3.3)", err)
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
			return fmt.Errorf("the server changed the case of userName: sent %q, got back %q. userName is case-insensitive for matching but must be kept as sent (RFC 7643 §4.1.1); an IdP that reads back another value keeps sending updates (PostHog 42253)", want, s)
		}
		return fmt.Errorf("userName came back as %s; %q was sent", render(got), want)
	})
}

// activeIs judges that active is the JSON boolean want.
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
			return fmt.Errorf("active came back as the string %q, not the JSON boolean %t: the server stores a boolean sent as a string without converting it (RFC 7643 §2.3.2; SCIMReferenceCode issue 21, django-scim2 issue 35)", v, want)
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
			return fmt.Errorf("the server created a second user with an existing userName (%d): duplicates must get 409 with scimType uniqueness (RFC 7644 §3.3)", s)
		default:
			return fmt.Errorf("a duplicate userName got %d, not 409 with scimType uniqueness (RFC 7644 §3.3); a client retries a 5xx forever instead of matching the existing user (go-scim issue 65, gravitee 8290)", s)
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
			return fmt.Errorf("the %d answer has no SCIM error body (RFC 7644 §3.12: schemas [%q], status, detail): %v; body: %s",
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

// bodyIs judges that the body value at path equals want (with ${vars}).
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

// patched accepts the two successes RFC 7644 allows for a PATCH.
func patched() scenario.Expectation {
	return scenario.Func(func(ex *client.Exchange, _ scenario.Vars) error {
		switch s := ex.Status(); s {
		case 200, 204:
			return nil
		default:
			return fmt.Errorf("expected 200 with the resource or 204 (RFC 7644 §3.5.2), got %d", s)
		}
	})
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
