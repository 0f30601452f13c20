package judge_test

import (
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/wire"
)

// acme is a voice with every clause set; plain is the zero voice but for
// the name, to show that empty fields leave their clause out.
var (
	acme = judge.Voice{
		IdP:          "Acme",
		Reference:    "Acme guide",
		SpecTest:     "Acme validator",
		CannotPage:   "Acme's sync stops",
		WrongMatch:   "adopt that account",
		EmptyCreate:  "Acme needs the id",
		MediaRefused: "Acme sends text/json",
		CaseChanged:  "Acme loops",
		Retries:      "Acme retries",
	}
	plain = judge.Voice{IdP: "Plain"}
)

func answer(status int, body string) *wire.Exchange {
	return &wire.Exchange{Response: &wire.Response{Status: status, Body: wire.Body(body)}}
}

var vars = scenario.Vars{"prefix": "run1", "u1_id": "42"}

// verdict judges ex with e: "" for a pass, else the failure sentence.
func verdict(t *testing.T, e scenario.Expectation, ex *wire.Exchange) string {
	t.Helper()
	if e.Check == nil {
		t.Fatal("not a check expectation")
	}
	if err := e.Check(ex, vars); err != nil {
		return err.Error()
	}
	return ""
}

// expect checks that got is "" when want is, else that got holds every
// part of want.
func expect(t *testing.T, name, got string, want ...string) {
	t.Helper()
	if len(want) == 0 {
		if got != "" {
			t.Errorf("%s: failed: %s", name, got)
		}
		return
	}
	if got == "" {
		t.Errorf("%s: passed, want a failure saying %q", name, want)
		return
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s: %q\nlacks %q", name, got, w)
		}
	}
}

func TestReadList(t *testing.T) {
	l, err := plain.ReadList(answer(200, `{"totalResults":3,"startIndex":2,"itemsPerPage":1,"Resources":[{"id":"a"}]}`))
	if err != nil || l.Total != 3 || !l.HasStart || l.Start != 2 || !l.HasPerPage || l.PerPage != 1 || len(l.Resources) != 1 || l.Found() != 3 {
		t.Fatalf("%+v, %v", l, err)
	}
	l, err = plain.ReadList(answer(200, `{"totalResults":0}`))
	if err != nil || l.HasStart || l.HasPerPage || l.Resources != nil {
		t.Fatalf("%+v, %v", l, err)
	}
	for _, tc := range []struct {
		v    judge.Voice
		body string
		want []string
	}{
		{plain, `{"totalResults":"1"}`, []string{`totalResults is "1", not a JSON number (RFC 7644 §3.4.2)`}},
		{acme, `{"totalResults":1,"startIndex":"1"}`, []string{`startIndex is "1", not a JSON number: Acme's sync stops (RFC 7644 §3.4.2; Acme validator)`}},
		{acme, `{"totalResults":1,"itemsPerPage":1.5}`, []string{"itemsPerPage is 1.5, not an integer (RFC 7644 §3.4.2; Acme validator)"}},
		{plain, `{"Resources":[]}`, []string{"no totalResults"}},
		{plain, `{"totalResults":1,"Resources":{}}`, []string{"Resources is {}, not an array"}},
		{plain, `{"totalResults":1,"Resources":[1]}`, []string{"Resources holds 1, not a resource object"}},
		{plain, `not json`, []string{"not a SCIM ListResponse"}},
	} {
		_, err := tc.v.ReadList(answer(200, tc.body))
		got := ""
		if err != nil {
			got = err.Error()
		}
		expect(t, tc.body, got, tc.want...)
	}
}

func TestNobodyFound(t *testing.T) {
	e := acme.NobodyFound("${prefix}-Ada", "before Acme creates ${prefix}-Ada")
	expect(t, "empty", verdict(t, e, answer(200, `{"totalResults":0,"Resources":[]}`)))
	expect(t, "404", verdict(t, e, answer(404, `{}`)),
		`the server answered 404 for a filter that matches nobody (userName eq "run1-Ada"); Acme expects 200 with an empty ListResponse (totalResults 0) before Acme creates run1-Ada (RFC 7644 §3.4.2)`)
	expect(t, "500", verdict(t, e, answer(500, ``)), `expected 200 with an empty ListResponse for userName eq "run1-Ada", got 500`)
	expect(t, "ignored filter", verdict(t, e, answer(200, `{"totalResults":2,"Resources":[{"userName":"a"},{"userName":"b"}]}`)),
		`the filter userName eq "run1-Ada" matched 2 resource(s) [a, b] although no such user exists: the server ignored the filter; Acme would adopt that account instead of creating "run1-Ada"`)
	expect(t, "paging", verdict(t, e, answer(200, `{"totalResults":"0"}`)), "not a JSON number")
	if got := verdict(t, plain.NobodyFound("x", ""), answer(404, ``)); !strings.Contains(got, "(totalResults 0) (RFC") {
		t.Errorf("without before: %q", got)
	}
	if got := verdict(t, plain.NobodyFound("x", ""), answer(200, `{"totalResults":1,"Resources":[{"userName":"y"}]}`)); !strings.HasSuffix(got, "the server ignored the filter") {
		t.Errorf("without WrongMatch: %q", got)
	}
}

func TestFoundOnce(t *testing.T) {
	e := plain.FoundOnce(judge.Text("${prefix}-Ada"), "u1_id", ": Plain would create it again")
	expect(t, "found", verdict(t, e, answer(200, `{"totalResults":1,"Resources":[{"id":"42"}]}`)))
	expect(t, "status", verdict(t, e, answer(404, ``)), `expected 200 with the user for userName eq "run1-Ada", got 404`)
	expect(t, "nobody", verdict(t, e, answer(200, `{"totalResults":0}`)),
		`the filter userName eq "run1-Ada" found nobody although the user exists (id 42): Plain would create it again`)
	expect(t, "everybody", verdict(t, e, answer(200, `{"totalResults":7,"Resources":[{"id":"42","userName":"a"}]}`)),
		`matched 7 resources [a] (totalResults 7), not just that user: the server ignored the filter`)
	expect(t, "no resources", verdict(t, e, answer(200, `{"totalResults":1}`)),
		`totalResults is 1 but Resources is empty: Plain cannot read the id of the user userName eq "run1-Ada" matches`)
	expect(t, "other id", verdict(t, e, answer(200, `{"totalResults":1,"Resources":[{"id":"7"}]}`)),
		`found id "7", not the user created (42)`)
}

func TestCreated(t *testing.T) {
	expect(t, "201", verdict(t, acme.Created(), answer(201, `{"id":"1"}`)))
	expect(t, "415", verdict(t, acme.Created(), answer(415, ``)), "the server refused the create with 415: Acme sends text/json")
	expect(t, "415 plain", verdict(t, plain.Created(), answer(415, ``)), "expected 201 Created, got 415")
	expect(t, "200", verdict(t, plain.Created(), answer(200, `{}`)), "answered 200, not 201 Created")
	expect(t, "empty", verdict(t, acme.Created(), answer(201, ``)),
		"the 201 answer carries no resource (empty response body): Acme needs the id (RFC 7644 §3.3; Acme guide)")
	expect(t, "empty plain", verdict(t, plain.Created(), answer(201, ``)), "the 201 answer carries no resource (empty response body) (RFC 7644 §3.3)")
}

func TestUserNameKept(t *testing.T) {
	e := acme.UserNameKept("${prefix}-Ada")
	expect(t, "kept", verdict(t, e, answer(201, `{"userName":"run1-Ada"}`)))
	expect(t, "failed status", verdict(t, e, answer(400, `{"userName":"x"}`)))
	expect(t, "lower-cased", verdict(t, e, answer(201, `{"userName":"run1-ada"}`)),
		`the server changed the case of userName: sent "run1-Ada", got back "run1-ada"`, "(RFC 7643 §4.1.1); Acme loops")
	expect(t, "other", verdict(t, e, answer(200, `{"userName":"bob"}`)), `userName came back as "bob"; "run1-Ada" was sent`)
	expect(t, "missing", verdict(t, e, answer(200, `{}`)), `the answer has no userName; "run1-Ada" was sent`)
}

func TestBooleanIs(t *testing.T) {
	google := judge.Voice{IdP: "Google", StringBooleans: true}
	expect(t, "true", verdict(t, plain.BooleanIs("active", true), answer(200, `{"active":true}`)))
	expect(t, "no body", verdict(t, plain.BooleanIs("active", true), answer(204, ``)))
	expect(t, "false", verdict(t, plain.BooleanIs("active", true), answer(200, `{"active":false}`)), "active is false, expected true")
	expect(t, "string", verdict(t, plain.BooleanIs("active", false), answer(200, `{"active":"False"}`)),
		`active came back as the string "False", not the JSON boolean false (RFC 7643 §2.3.2)`)
	expect(t, "string sent", verdict(t, google.BooleanIs("active", false), answer(200, `{"active":"False"}`)),
		"the server stores a boolean sent as a string without converting it (RFC 7643 §2.3.2; SCIMReferenceCode issue 21")
	expect(t, "absent", verdict(t, plain.BooleanIs("active", true), answer(200, `{}`)), "the answer has no active attribute; expected true")
	expect(t, "null", verdict(t, plain.BooleanIs("active", true), answer(200, `{"active":null}`)), "active is null, expected the JSON boolean true")
	expect(t, "number", verdict(t, plain.BooleanIs("active", true), answer(200, `{"active":1}`)), "active is 1, expected the JSON boolean true")
}

func TestDuplicate(t *testing.T) {
	es := acme.Duplicate()
	if len(es) != 3 || es[2].Path != "scimType" || es[2].Level != scenario.Must || es[2].Clause != "RFC 7644 §3.3" { // §3.3: MUST, for every IdP
		t.Fatalf("%+v", es)
	}
	expect(t, "409", verdict(t, acme.DuplicateRefused(), answer(409, ``)))
	expect(t, "201", verdict(t, acme.DuplicateRefused(), answer(201, ``)),
		"the server created a second user with an existing userName (201): duplicates must get 409 with scimType uniqueness (RFC 7644 §3.3; Acme guide)")
	expect(t, "500", verdict(t, acme.DuplicateRefused(), answer(500, ``)),
		"a duplicate userName got 500, not 409 with scimType uniqueness (RFC 7644 §3.3; Acme guide); Acme retries instead of matching")
	expect(t, "500 plain", verdict(t, plain.DuplicateRefused(), answer(500, ``)), "(RFC 7644 §3.3); a client retries a 5xx forever instead")
}

func TestSCIMError(t *testing.T) {
	const ok = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409"}`
	expect(t, "ok", verdict(t, plain.SCIMError(409), answer(409, ok)))
	expect(t, "number", verdict(t, plain.SCIMError(409), answer(409, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":409}`)))
	expect(t, "other status", verdict(t, plain.SCIMError(409), answer(500, `oops`)))
	expect(t, "text", verdict(t, acme.SCIMError(409), answer(409, "error\n")),
		`the 409 answer has no SCIM error body (RFC 7644 §3.12: schemas ["urn:ietf:params:scim:api:messages:2.0:Error"], status, detail; the Acme validator checks the Error schema)`, "body: error")
	expect(t, "schemas", verdict(t, plain.SCIMError(404), answer(404, `{"schemas":["x"],"status":"404"}`)), `its schemas ["x"] lack`)
	expect(t, "status", verdict(t, plain.SCIMError(404), answer(404, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400"}`)),
		`the error body's status is "400", not "404"`)
}

func TestBodyIs(t *testing.T) {
	e := judge.BodyIs("name.familyName", "${prefix}-Lovelace")
	expect(t, "equal", verdict(t, e, answer(200, `{"name":{"familyName":"run1-Lovelace"}}`)))
	expect(t, "204", verdict(t, e, answer(204, ``)))
	expect(t, "differs", verdict(t, e, answer(200, `{"name":{"familyName":"Hopper"}}`)), `name.familyName is "Hopper", expected "run1-Lovelace"`)
	expect(t, "absent", verdict(t, e, answer(200, `{}`)), `the answer has no name.familyName; expected "run1-Lovelace"`)
	// The expected value is expanded for each judgement, not once for all.
	if err := e.Check(answer(200, `{"name":{"familyName":"run2-Lovelace"}}`), scenario.Vars{"prefix": "run2"}); err != nil {
		t.Errorf("second run: %v", err)
	}
	expect(t, "number", verdict(t, judge.BodyIs("n", 1), answer(200, `{"n":1}`)))
}

func TestText(t *testing.T) {
	if got := judge.Expand("${prefix}-${u1_id}-${nope}", vars); got != "run1-42-${nope}" {
		t.Errorf("Expand: %q", got)
	}
	if got := judge.Text("${prefix}")(vars); got != "run1" {
		t.Errorf("Text: %q", got)
	}
	if got := judge.Excerpt([]byte(" a \n\t b ")); got != "a b" {
		t.Errorf("Excerpt: %q", got)
	}
	if got := judge.Excerpt(nil); got != "(empty)" {
		t.Errorf("Excerpt(nil): %q", got)
	}
	if got := judge.Render(strings.Repeat("é", 300)); !strings.HasSuffix(got, "…") || len([]rune(got)) != 201 {
		t.Errorf("Render cuts at 200 characters, not bytes: %d runes", len([]rune(got)))
	}
	names := judge.UserNames([]map[string]any{{"userName": "a"}, {"userName": "b"}, {}, {"userName": "d"}, {"userName": "e"}, {"userName": "f"}})
	if names != "[a, b, <nil>, d, e, …]" {
		t.Errorf("UserNames: %s", names)
	}
}
