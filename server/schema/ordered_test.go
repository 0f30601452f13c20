package schema

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/scimharness/scimharness/scim"
)

// stdJSON is what the server wrote before AppendJSON: encoding/json without
// HTML escaping and without the trailing newline.
func stdJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), err
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	tests := []struct {
		name string
		v    any
	}{
		{"nil", nil},
		{"string", "plain"},
		{"escapes", "q\" b\\ \b\f\n\r\t \x00\x1f \x7f <&> é 日本"},
		{"invalid UTF-8", "a\xffb\xc3"},
		{"line separators", "a\u2028b\u2029c"},
		{"true", true},
		{"false", false},
		{"int", 42},
		{"int64", int64(-7)},
		{"float", 1.5},
		{"float integral", 3.0},
		{"float tiny", 1e-7},
		{"float e-9", 2e-9},
		{"float huge", 1e21},
		{"float negative zero", math.Copysign(0, -1)},
		{"number", json.Number("12.50")},
		{"empty number", json.Number("")},
		{"map sorted", map[string]any{"b": 1.0, "a": "x", "C": nil, "é": true}},
		{"nil map", map[string]any(nil)},
		{"empty map", map[string]any{}},
		{"slice", []any{"a", 1.0, false, nil, map[string]any{"v": "x"}, []any{}}},
		{"nil slice", []any(nil)},
		{"strings", []string{"a", "<b>"}},
		{"nil strings", []string(nil)},
		{"other type", struct {
			A int `json:"a"`
		}{1}},
		{"nested other", map[string]any{"t": []int{1, 2}}},
	}
	for _, tc := range tests {
		want, err := stdJSON(tc.v)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, err := AppendJSON([]byte("prefix"), tc.v)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if string(got) != "prefix"+string(want) {
			t.Errorf("%s:\n got %s\nwant prefix%s", tc.name, got, want)
		}
	}
}

func TestAppendJSONKeepsErrors(t *testing.T) {
	for _, v := range []any{math.NaN(), math.Inf(1), json.Number("1x"), map[string]any{"a": []any{math.Inf(-1)}}, func() {}} {
		if _, err := AppendJSON(nil, v); err == nil {
			t.Errorf("%#v: no error, encoding/json gives one", v)
		}
	}
}

// FuzzAppendJSON decodes arbitrary JSON into the generic shape documents
// have and checks that AppendJSON writes what encoding/json writes.
func FuzzAppendJSON(f *testing.F) {
	for _, s := range []string{`{"a":"\u2028\ud800x","b":[1e-7,1e21,-0,null,true]}`, `"\u0000<>&"`, `[{"z":{},"a":[]}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// The raw bytes as a string: invalid UTF-8 never comes out of
		// Unmarshal.
		raw := string(data)
		want, _ := stdJSON(raw)
		if got, _ := AppendJSON(nil, raw); string(got) != string(want) {
			t.Fatalf("string %q:\n got %s\nwant %s", raw, got, want)
		}
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		var werr error
		want, werr = stdJSON(v)
		got, gerr := AppendJSON(nil, v)
		if (werr != nil) != (gerr != nil) || string(got) != string(want) {
			t.Fatalf("input %q:\n got %s (%v)\nwant %s (%v)", data, got, gerr, want, werr)
		}
	})
}

func TestProjectionShows(t *testing.T) {
	u := userType(t)
	groups, password, id := u.Core().Attr("groups"), u.Core().Attr("password"), Common("id")
	dept, _ := u.Find(scim.EnterpriseUserURN, "department", "")
	tests := []struct {
		name                string
		attributes, exclude []string
		a                   *Attribute
		urn                 string
		want                bool
	}{
		{"default read shows groups", nil, nil, groups, "", true},
		{"never: password", nil, nil, password, "", false},
		{"always: id, even when not asked", []string{"userName"}, nil, id, "", true},
		{"attributes without it", []string{"userName"}, nil, groups, "", false},
		{"attributes naming it", []string{"userName", "groups"}, nil, groups, "", true},
		{"attributes naming a sub-attribute", []string{"groups.display"}, nil, groups, "", true},
		{"excluded", nil, []string{"groups"}, groups, "", false},
		{"a sub-attribute excluded", nil, []string{"groups.display"}, groups, "", true},
		{"excluded in any case", nil, []string{"GROUPS"}, groups, "", false},
		{"extension attribute by default", nil, nil, dept.Attr, scim.EnterpriseUserURN, true},
		{"extension named as a whole", []string{scim.EnterpriseUserURN}, nil, dept.Attr, scim.EnterpriseUserURN, true},
		{"extension excluded as a whole", nil, []string{scim.EnterpriseUserURN}, dept.Attr, scim.EnterpriseUserURN, false},
	}
	for _, tc := range tests {
		p := u.NewProjection(tc.attributes, tc.exclude)
		if got := p.Shows(tc.a, tc.urn); got != tc.want {
			t.Errorf("%s: Shows = %v, want %v", tc.name, got, tc.want)
		}
		// Shows must agree with what Project returns for a value.
		doc := map[string]any{"id": "1", "userName": "u", "groups": []any{map[string]any{"value": "g", "display": "G"}},
			"password": "p", scim.EnterpriseUserURN: map[string]any{"department": "D"}}
		out := u.Project(doc, p)
		_, has := out[tc.a.Name]
		if tc.urn != "" {
			ext, _ := out[tc.urn].(map[string]any)
			_, has = ext[tc.a.Name]
		}
		if has != tc.want {
			t.Errorf("%s: Project returns it: %v, Shows says %v", tc.name, has, tc.want)
		}
	}
}
