package patch

import (
	"reflect"
	"testing"

	"github.com/scimharness/scimharness/server/schema"
)

// TestPathNamesFoldASCII: issue 14 #6. A path spelt with "ſ" (U+017F) or
// "K" (U+212A) names no attribute (400 invalidPath), in a path and as a
// key of a path-less value, where it is an unknown attribute and ignored:
// the password is never set through it. ASCII case still folds.
func TestPathNamesFoldASCII(t *testing.T) {
	u := resourceType(t, "User")
	doc := canonical(t, u, baseUser)
	for _, path := range []string{"paſsword", "PAſSWORD", "name.familyName\u212a", "emails[type eq \"work\"].valuſ"} {
		ops, err := parse(t, body(`[{"op":"replace","path":"`+jsonEscape(path)+`","value":"x"}]`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Apply(u, doc, ops); scimType(err) != schema.InvalidPath {
			t.Errorf("replace %q: %v, want invalidPath", path, err)
		}
	}
	ops, err := parse(t, body(`[{"op":"replace","value":{"paſsword":"hunter2","DISPLAYNAME":"D"}}]`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Apply(u, doc, ops)
	if err != nil {
		t.Fatal(err)
	}
	if out["password"] != nil || out["displayName"] != "D" {
		t.Errorf("path-less replace: password %v, displayName %v; want no password, D", out["password"], out["displayName"])
	}
	// "Operationſ" is not "Operations", nor "ſchemas" "schemas".
	if _, err := parse(t, `{"Operationſ":[{"op":"add","path":"title","value":"x"}]}`); scimType(err) != schema.InvalidSyntax {
		t.Errorf(`"Operationſ": %v, want invalidSyntax (no Operations)`, err)
	}
}

func jsonEscape(s string) string {
	b := []byte{}
	for _, r := range s {
		if r == '"' {
			b = append(b, '\\', '"')
			continue
		}
		b = append(b, string(r)...)
	}
	return string(b)
}

// TestApplyWithTolerances: the tolerances of the operations' values are
// returned by name, and under TolerateNone the same operation is 400
// invalidValue; a value of the right type applies none.
func TestApplyWithTolerances(t *testing.T) {
	u := resourceType(t, "User")
	doc := canonical(t, u, baseUser)
	tests := []struct {
		name, ops string
		applied   []schema.Applied
	}{
		{"string boolean (Entra)", `[{"op":"Replace","path":"active","value":"False"}]`,
			[]schema.Applied{{Name: schema.TolStringBoolean, Path: "active"}}},
		{"raw manager id (Entra)", `[{"op":"Add","path":"` + enterprise + `:manager","value":"m-2"}]`,
			[]schema.Applied{{Name: schema.TolScalarAsValue, Path: "manager"}}},
		{"number for a string", `[{"op":"replace","path":"title","value":7}]`,
			[]schema.Applied{{Name: schema.TolNumberAsString, Path: "title"}}},
		{"right types", `[{"op":"replace","path":"active","value":false},{"op":"replace","path":"title","value":"T"}]`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ops, err := parse(t, body(tc.ops))
			if err != nil {
				t.Fatal(err)
			}
			_, applied, err := ApplyWith(u, doc, ops, schema.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(applied, tc.applied) {
				t.Errorf("applied %v, want %v", applied, tc.applied)
			}
			_, _, err = ApplyWith(u, doc, ops, schema.Options{Tolerate: schema.TolerateNone})
			if tc.applied == nil {
				if err != nil {
					t.Errorf("strict: %v", err)
				}
			} else if scimType(err) != schema.InvalidValue {
				t.Errorf("strict: %v, want invalidValue", err)
			}
		})
	}
}

// TestPathlessNameAndSubDeterministic: a path-less value with both "name"
// and "name.familyName" gives the same result every time (keys are applied
// in sorted order, the more specific last), unlike the POST body of issue
// 14 #3.
func TestPathlessNameAndSubDeterministic(t *testing.T) {
	u := resourceType(t, "User")
	doc := canonical(t, u, baseUser)
	ops, err := parse(t, body(`[{"op":"replace","value":{"name":{"givenName":"G","familyName":"A"},"name.familyName":"B"}}]`))
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		out, err := Apply(u, doc, ops)
		if err != nil {
			t.Fatal(err)
		}
		if got := sub(out, "name")["familyName"]; got != "B" {
			t.Fatalf("name.familyName = %v, want B", got)
		}
	}
}
