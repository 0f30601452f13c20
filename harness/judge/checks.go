package judge

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/wire"
)

// The judgements of a resource's body are quiet when there is no body to
// judge — a failed status, or a 204 — so that the status judgement alone
// reports it.

// Created judges a create: 201 Created with the resource. It is quiet about
// the body when the status is already wrong.
func (v Voice) Created() scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		switch s := ex.Status(); {
		case s == 201:
		case (s == 406 || s == 415) && v.MediaRefused != "":
			return fmt.Errorf("the server refused the create with %d: %s", s, v.MediaRefused)
		case s == 200:
			return errors.New("the create was answered 200, not 201 Created (RFC 7644 §3.3)")
		default:
			return fmt.Errorf("expected 201 Created, got %d", s)
		}
		if _, err := ex.JSON(); err != nil {
			return fmt.Errorf("the 201 answer carries no resource (%v)%s (RFC 7644 §3.3%s)", err, because(v.EmptyCreate), cite(v.Reference))
		}
		return nil
	})
}

// UserNameKept judges that userName (with ${vars}) came back exactly as
// sent. A server that changes its case — lower-cases it, typically — is
// named as such: userName matches case-insensitively but is kept as given.
func (v Voice) UserNameKept(userName string) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
		doc, err := ex.JSON()
		if ex.Status()/100 != 2 || err != nil {
			return nil
		}
		want := Expand(userName, vars)
		got, found := scenario.Lookup(doc, "userName")
		switch {
		case !found || got == nil:
			return fmt.Errorf("the answer has no userName; %q was sent", want)
		case got == want:
			return nil
		}
		if s, ok := got.(string); ok && strings.EqualFold(s, want) {
			return fmt.Errorf("the server changed the case of userName: sent %q, got back %q. userName is case-insensitive for matching but must be kept as sent (RFC 7643 §4.1.1)%s", want, s, cite(v.CaseChanged))
		}
		return fmt.Errorf("userName came back as %s; %q was sent", Render(got), want)
	})
}

// BooleanIs judges that the attribute at path is the JSON boolean want. A
// boolean that comes back as a string is named as such.
func (v Voice) BooleanIs(path string, want bool) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		doc, err := ex.JSON()
		if ex.Status()/100 != 2 || err != nil {
			return nil
		}
		got, found := scenario.Lookup(doc, path)
		switch b := got.(type) {
		case bool:
			if b != want {
				return fmt.Errorf("%s is %t, expected %t", path, b, want)
			}
			return nil
		case string:
			if v.StringBooleans {
				return fmt.Errorf("%s came back as the string %q, not the JSON boolean %t: the server stores a boolean sent as a string without converting it (RFC 7643 §2.3.2; SCIMReferenceCode issue 21, django-scim2 issue 35)", path, b, want)
			}
			return fmt.Errorf("%s came back as the string %q, not the JSON boolean %t (RFC 7643 §2.3.2)", path, b, want)
		case nil:
			if !found {
				return fmt.Errorf("the answer has no %s attribute; expected %t", path, want)
			}
		}
		return fmt.Errorf("%s is %s, expected the JSON boolean %t", path, Render(got), want)
	})
}

// Duplicate judges the answer to a second create of an existing userName:
// refused with 409 ([Voice.DuplicateRefused]), a SCIM error body
// ([Voice.SCIMError]) and scimType uniqueness — a MUST of RFC 7644 §3.3
// ("MUST return HTTP status code 409 (Conflict) with a "scimType" error
// code of "uniqueness""), graded so for every IdP.
func (v Voice) Duplicate() []scenario.Expectation {
	return []scenario.Expectation{
		v.DuplicateRefused(),
		v.SCIMError(409),
		scenario.BodyEquals("scimType", "uniqueness").Per("RFC 7644 §3.3", scenario.Must),
	}
}

// DuplicateRefused judges the status of a second create of an existing
// userName: 409. A 2xx is a duplicate user; anything else, typically a 500,
// is retried by the IdP instead of matched.
func (v Voice) DuplicateRefused() scenario.Expectation {
	retries := v.Retries
	if retries == "" {
		retries = "a client retries a 5xx forever"
	}
	return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		switch s := ex.Status(); {
		case s == 409:
			return nil
		case s/100 == 2:
			return fmt.Errorf("the server created a second user with an existing userName (%d): duplicates must get 409 with scimType uniqueness (RFC 7644 §3.3%s)", s, cite(v.Reference))
		default:
			return fmt.Errorf("a duplicate userName got %d, not 409 with scimType uniqueness (RFC 7644 §3.3%s); %s instead of matching the existing user (go-scim issue 65, gravitee 8290)", s, cite(v.Reference), retries)
		}
	})
}

// SCIMError judges the body of an answer with status code status: a SCIM
// error (RFC 7644 §3.12) whose schemas hold [scim.ErrorURN] and whose status
// is the HTTP status, as a string or a number. Answers with another status
// are left to the status judgement.
func (v Voice) SCIMError(status int) scenario.Expectation {
	checks := ""
	if v.SpecTest != "" {
		checks = "; the " + v.SpecTest + " checks the Error schema"
	}
	return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		if ex.Status() != status {
			return nil
		}
		doc, err := ex.JSON()
		if err != nil {
			return fmt.Errorf("the %d answer has no SCIM error body (RFC 7644 §3.12: schemas [%q], status, detail%s): %v; body: %s",
				status, scim.ErrorURN, checks, err, Excerpt(ex.Response.Body))
		}
		schemas, _ := scenario.Lookup(doc, "schemas")
		list, _ := schemas.([]any)
		if !slices.Contains(list, any(scim.ErrorURN)) {
			return fmt.Errorf("the %d answer has no SCIM error body: its schemas %s lack %q (RFC 7644 §3.12)", status, Render(schemas), scim.ErrorURN)
		}
		got, _ := scenario.Lookup(doc, "status")
		if fmt.Sprint(got) != strconv.Itoa(status) {
			return fmt.Errorf("the error body's status is %s, not %q (RFC 7644 §3.12)", Render(got), strconv.Itoa(status))
		}
		return nil
	})
}

// BodyIs judges that the body value at path (see scenario.Lookup) equals
// want, compared as JSON; a string want may hold ${vars}.
func BodyIs(path string, want any) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
		doc, err := ex.JSON()
		if ex.Status()/100 != 2 || err != nil {
			return nil
		}
		want := want
		if s, ok := want.(string); ok {
			want = Expand(s, vars)
		}
		got, found := scenario.Lookup(doc, path)
		if !found || got == nil {
			return fmt.Errorf("the answer has no %s; expected %s", path, Render(want))
		}
		if Render(got) != Render(want) {
			return fmt.Errorf("%s is %s, expected %s", path, Render(got), Render(want))
		}
		return nil
	})
}
