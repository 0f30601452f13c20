package schema

import (
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/scimharness/scimharness/scim"
)

// TestNormalizeDottedKeys: issue 14 #3. Each body is sent 50 times (Go
// randomises map order per iteration); each must get the same answer every
// time, and the answers of the issue must be 400, never a document with
// "emails" as an object, an unchecked member, or one of two conflicting
// values picked by chance.
func TestNormalizeDottedKeys(t *testing.T) {
	reg := Default()
	user, _ := reg.ResourceType("User")
	group, _ := reg.ResourceType("Group")
	tests := []struct {
		name     string
		rt       *ResourceType
		in       string
		scimType string
	}{
		{"emails.value (was stored as an object)", user, `{"userName":"a","emails.value":"a@x"}`, InvalidSyntax},
		{"members.value (was stored unchecked)", group, `{"displayName":"g","members.value":"no-such-user"}`, InvalidSyntax},
		{"name and name.familyName (map order decided)", user, `{"userName":"a","name":{"familyName":"A","givenName":"G"},"name.familyName":"B"}`, InvalidSyntax},
		{"core-URN-qualified userName", user, `{"urn:ietf:params:scim:schemas:core:2.0:User:userName":"a"}`, InvalidSyntax},
		{"extension attribute at the top and in its object", user,
			`{"userName":"a","employeeNumber":"1","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"2"}}`, InvalidSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for range 50 {
				_, err := tc.rt.Normalize(decode(t, tc.in))
				var se *Error
				if !errors.As(err, &se) || se.ScimType != tc.scimType || se.Status != http.StatusBadRequest {
					t.Fatalf("Normalize(%s) = %v, want 400 %s", tc.in, err, tc.scimType)
				}
			}
		})
	}
}

// TestNormalizeDeterministic: a body with several faults gets the same
// error every time (keys are read in sorted order).
func TestNormalizeDeterministic(t *testing.T) {
	u := userType(t)
	in := `{"userName":"a","active":"maybe","title":{"x":1},"nickName":["n"],"displayName":true,"emails":[{"value":1,"primary":"no"}]}`
	_, first := u.Normalize(decode(t, in))
	if first == nil {
		t.Fatal("no error")
	}
	for range 50 {
		if _, err := u.Normalize(decode(t, in)); err == nil || err.Error() != first.Error() {
			t.Fatalf("error %v, then %v", first, err)
		}
	}
}

// TestNameFolding: issue 14 #6. Attribute names fold ASCII case only
// (RFC 7643 §2.1); "ſ" (U+017F), "K" (U+212A KELVIN SIGN) and "ı" do not
// name "s", "k" and "i" attributes, in Find, in Normalize and in the
// registry's URN and id look-ups.
func TestNameFolding(t *testing.T) {
	u := userType(t)
	for _, p := range []string{"paſsword", "PAſSWORD", "uſerName", "name.familyName\u212a", "ıd", "urn:ietf:params:ſcim:schemas:core:2.0:User:userName"} {
		if ref, ok := u.Find(SplitPath(p)); ok {
			t.Errorf("Find(%q) = %s, want no attribute", p, ref.Path())
		}
	}
	for _, p := range []string{"PASSWORD", "password", "UserName", "urn:ietf:params:scim:schemas:core:2.0:user:USERNAME"} {
		if _, ok := u.Find(SplitPath(p)); !ok {
			t.Errorf("Find(%q) found nothing; ASCII case must fold", p)
		}
	}
	doc, err := u.Normalize(decode(t, `{"userName":"a","paſsword":"hunter2","PASSWORD":"ok"}`))
	if err != nil {
		t.Fatal(err)
	}
	if doc["password"] != "ok" || len(doc) != 2 {
		t.Errorf("Normalize kept %v; the ſ key is an unknown attribute and is dropped", doc)
	}
	if _, ok := Default().ResourceType("Uſer"); ok {
		t.Error(`ResourceType("Uſer") found User`)
	}
	if _, ok := u.Extension("urn:ietf:params:ſcim:schemas:extension:enterprise:2.0:User"); ok {
		t.Error("Extension with ſ found the enterprise extension")
	}
	for _, tc := range []struct {
		a, b string
		eq   bool
	}{{"userName", "USERNAME", true}, {"paſsword", "password", false}, {"ſ", "S", false}, {"K", "\u212a", false}, {"é", "É", false}, {"", "", true}, {"a", "ab", false}} {
		if got := EqualName(tc.a, tc.b); got != tc.eq {
			t.Errorf("EqualName(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.eq)
		}
		if got := FoldName(tc.a) == FoldName(tc.b); got != tc.eq {
			t.Errorf("FoldName(%q) == FoldName(%q) is %v, want %v", tc.a, tc.b, got, tc.eq)
		}
	}
}

// TestTolerances: each IdP tolerance is applied by default and named in
// Applied; under TolerateNone the same body is 400 invalidValue (issue 14,
// "Tolerances are a documented choice"). A body without a mismatch applies
// none, in both modes.
func TestTolerances(t *testing.T) {
	u := userType(t)
	ext := scim.EnterpriseUserURN
	tests := []struct {
		name, in, want string
		applied        []Applied
		strictType     string
	}{
		{"number for a string", `{"userName":12}`, `{"userName":"12"}`,
			[]Applied{{TolNumberAsString, "userName"}}, InvalidValue},
		{"lone string for multi-valued complex", `{"userName":"a","emails":"x@y"}`, `{"userName":"a","emails":[{"value":"x@y"}]}`,
			[]Applied{{TolLoneValue, "emails"}, {TolScalarAsValue, "emails"}}, InvalidValue},
		{"lone object for multi-valued", `{"userName":"a","emails":{"value":"x@y"}}`, `{"userName":"a","emails":[{"value":"x@y"}]}`,
			[]Applied{{TolLoneValue, "emails"}}, InvalidValue},
		{"string boolean", `{"userName":"a","active":"True"}`, `{"userName":"a","active":true}`,
			[]Applied{{TolStringBoolean, "active"}}, InvalidValue},
		{"string boolean in a sub-attribute", `{"userName":"a","emails":[{"value":"x","primary":"false"}]}`, `{"userName":"a","emails":[{"value":"x","primary":false}]}`,
			[]Applied{{TolStringBoolean, "emails.primary"}}, InvalidValue},
		{"raw manager id", `{"userName":"a","` + ext + `":{"manager":"m1"}}`, `{"userName":"a","` + ext + `":{"manager":{"value":"m1"}}}`,
			[]Applied{{TolScalarAsValue, ext + ":manager"}}, InvalidValue},
		{"extension attribute at the top", `{"userName":"a","department":"D"}`, `{"userName":"a","` + ext + `":{"department":"D"}}`,
			[]Applied{{TolExtensionAttributeAtTop, ext + ":department"}}, InvalidSyntax},
		{"schemas not an array (ignored; strict refuses its type)", `{"schemas":"` + scim.UserURN + `","userName":"a"}`, `{"userName":"a"}`,
			nil, InvalidValue},
		{"legacy schemas URN is no mismatch", `{"schemas":["urn:scim:schemas:core:1.0"],"userName":"a"}`, `{"userName":"a"}`,
			nil, ""},
		{"empty string for a list is unassigned, not a lone value", `{"userName":"a","emails":"","active":""}`, `{"userName":"a"}`,
			nil, ""},
		{"no mismatch", `{"userName":"a","active":false,"emails":[{"value":"x","type":"Work"}]}`, `{"userName":"a","active":false,"emails":[{"value":"x","type":"work"}]}`,
			nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n Normalizer
			got, err := n.Document(u, decode(t, tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if want := normalizeNumbers(decode(t, tc.want)); !reflect.DeepEqual(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
			if !reflect.DeepEqual(n.Applied, tc.applied) {
				t.Errorf("applied %v, want %v", n.Applied, tc.applied)
			}
			strict := Normalizer{Options: Options{Tolerate: TolerateNone}}
			_, err = strict.Document(u, decode(t, tc.in))
			if tc.strictType == "" {
				if err != nil {
					t.Errorf("strict: %v, want no error", err)
				}
				return
			}
			var se *Error
			if !errors.As(err, &se) || se.ScimType != tc.strictType || se.Status != http.StatusBadRequest {
				t.Errorf("strict: %v, want 400 %s", err, tc.strictType)
			}
			if len(strict.Applied) != 0 {
				t.Errorf("strict applied %v", strict.Applied)
			}
		})
	}
}

func TestParseTolerate(t *testing.T) {
	for in, want := range map[string]Tolerate{"": TolerateIdP, "idp": TolerateIdP, "None": TolerateNone, " none ": TolerateNone} {
		if got, err := ParseTolerate(in); err != nil || got != want {
			t.Errorf("ParseTolerate(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseTolerate("some"); err == nil {
		t.Error(`ParseTolerate("some") accepted`)
	}
}

// TestDeferRequired: with DeferRequired the document comes back without
// its required attribute, and CheckRequired refuses it.
func TestDeferRequired(t *testing.T) {
	u := userType(t)
	n := Normalizer{Options: Options{DeferRequired: true}}
	doc, err := n.Document(u, decode(t, `{"displayName":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := u.CheckRequired(doc); err == nil {
		t.Error("CheckRequired accepted a user without userName")
	}
	if _, err := u.Normalize(decode(t, `{"displayName":"x"}`)); err == nil {
		t.Error("Normalize accepted a user without userName")
	}
}

// TestValidate: Validate accepts what Normalize makes (and what a GET
// returns), and refuses each way a document can break its schema — the
// shapes issue 14 #3 found stored.
func TestValidate(t *testing.T) {
	reg := Default()
	user, _ := reg.ResourceType("User")
	group, _ := reg.ResourceType("Group")
	ext := scim.EnterpriseUserURN
	valid := []struct {
		rt  *ResourceType
		doc string
	}{
		{user, `{"userName":"a"}`},
		{user, `{"schemas":["` + scim.UserURN + `"],"id":"1","userName":"a","active":true,"name":{"givenName":"G"},"emails":[{"value":"a@x","primary":true},{"value":"b@x"}],"meta":{"resourceType":"User","created":"2026-01-02T15:04:05Z","location":"http://x/Users/1","version":"W/\"1\""},"groups":[{"value":"g","$ref":"http://x/Groups/g","display":"G","type":"direct"}],"` + ext + `":{"employeeNumber":"7","manager":{"value":"m"}}}`},
		{group, `{"displayName":"g","members":[{"value":"u1","type":"User"}]}`},
	}
	for _, tc := range valid {
		if err := tc.rt.Validate(decode(t, tc.doc)); err != nil {
			t.Errorf("Validate(%s): %v, want valid", tc.doc, err)
		}
	}
	invalidDocs := []struct {
		name string
		rt   *ResourceType
		doc  string
	}{
		{"emails as an object (issue 14)", user, `{"userName":"a","emails":{"value":"a@x"}}`},
		{"single-valued as array", user, `{"userName":["a"]}`},
		{"number for string", user, `{"userName":12}`},
		{"string for boolean", user, `{"userName":"a","active":"true"}`},
		{"unknown key", user, `{"userName":"a","bogus":1}`},
		{"dotted key", user, `{"userName":"a","name.familyName":"F"}`},
		{"non-canonical case", user, `{"username":"a"}`},
		{"missing required", user, `{"displayName":"a"}`},
		{"unknown sub-attribute", user, `{"userName":"a","name":{"nick":"x"}}`},
		{"empty multi-valued", user, `{"userName":"a","emails":[]}`},
		{"null value", user, `{"userName":"a","title":null}`},
		{"two primaries", user, `{"userName":"a","emails":[{"value":"a","primary":true},{"value":"b","primary":true}]}`},
		{"bad dateTime", user, `{"userName":"a","meta":{"created":"yesterday"}}`},
		{"extension not an object", user, `{"userName":"a","` + ext + `":"x"}`},
		{"extension attribute at the top", user, `{"userName":"a","department":"D"}`},
		{"group member with a foreign key", group, `{"displayName":"g","members":[{"value":"u","tenant":"acme"}]}`},
		{"group member as a string", group, `{"displayName":"g","members":["u1"]}`},
		{"ſ spelling", user, `{"userName":"a","paſsword":"x"}`},
		{"bad binary", user, `{"userName":"a","x509Certificates":[{"value":"***"}]}`},
	}
	for _, tc := range invalidDocs {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.rt.Validate(decode(t, tc.doc))
			var se *Error
			if !errors.As(err, &se) || se.ScimType != InvalidValue {
				t.Errorf("Validate(%s) = %v, want an invalidValue error", tc.doc, err)
			}
		})
	}
}

// TestNormalizeOutputValidates: whatever Normalize returns validates, for
// the shapes of TestNormalize and TestTolerances (the property the server
// tests assert over HTTP).
func TestNormalizeOutputValidates(t *testing.T) {
	u := userType(t)
	for _, in := range []string{
		`{"userName":12,"emails":"x@y","active":"True","department":"D"}`,
		`{"userName":"a","emails":{"value":"a@x","type":"Work"},"urn:ietf:params:scim:schemas:extension:enterprise:2.0:user":{"Department":"R&D","manager":"m-1","employeeNumber":42}}`,
		`{"userName":"a","roles":[3],"x509Certificates":[{"value":"TUlJ"}],"name":{"givenName":5}}`,
	} {
		doc, err := u.Normalize(decode(t, in))
		if err != nil {
			t.Fatalf("Normalize(%s): %v", in, err)
		}
		if err := u.Validate(doc); err != nil {
			t.Errorf("Normalize(%s) = %v, which does not validate: %v", in, doc, err)
		}
	}
}
