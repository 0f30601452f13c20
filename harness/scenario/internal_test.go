package scenario

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	doc, err := decodeJSON([]byte(`{
		"id": "1", "userName": "bjensen", "active": null,
		"Resources": [{"id": "a"}, {"id": "b"}],
		"a/b": {"c~d": 5},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "m1"}, "employeeNumber": "7"}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path  string
		want  any
		found bool
	}{
		{"id", "1", true},
		{"USERNAME", "bjensen", true},
		{"Resources.1.id", "b", true},
		{"/Resources/0/id", "a", true},
		{"/a~1b/c~0d", json.Number("5"), true},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager.value", "m1", true},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:user.employeeNumber", "7", true},
		{"active", nil, true},
		{"Resources.2.id", nil, false},
		{"Resources.x", nil, false},
		{"/resources/0/id", nil, false}, // pointers are exact
		{"name.givenName", nil, false},
		{"id.x", nil, false},
	}
	for _, tt := range tests {
		got, found := Lookup(doc, tt.path)
		if found != tt.found || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Lookup(%q) = %v, %v; want %v, %v", tt.path, got, found, tt.want, tt.found)
		}
	}
}

func TestExpand(t *testing.T) {
	x := &expander{vars: Vars{"prefix": "run1", "id": "a/b c", "n": json.Number("3"), "flag": true, "list": []any{"x"}}}
	req, err := x.expand(RequestTemplate{
		Method:  "patch",
		Path:    `/Users/${id}?filter=userName eq "${prefix}"`,
		Query:   map[string]string{"attributes": "${prefix}.x"},
		Headers: map[string]string{"X-Run": "${prefix}"},
		Body: map[string]any{
			"userName":  "${prefix}-u",
			"count":     "${n}",
			"active":    "${flag}",
			"text":      "n=${n} flag=${flag}",
			"nested":    []any{map[string]any{"v": "${list}"}},
			"${prefix}": 1,
		},
	})
	if err != nil || len(x.missingList()) > 0 {
		t.Fatal(err, x.missingList())
	}
	if req.Method != "PATCH" || req.Path != `/Users/a%2Fb%20c?filter=userName eq "run1"` {
		t.Errorf("method/path %s %s", req.Method, req.Path)
	}
	if req.Query.Get("attributes") != "run1.x" || req.Headers["X-Run"] != "run1" {
		t.Errorf("query/headers %v %v", req.Query, req.Headers)
	}
	want := map[string]any{
		"userName": "run1-u", "count": json.Number("3"), "active": true, "text": "n=3 flag=true",
		"nested": []any{map[string]any{"v": []any{"x"}}}, "run1": json.Number("1"),
	}
	if !reflect.DeepEqual(req.Body, want) {
		t.Errorf("body %#v", req.Body)
	}

	type user struct {
		UserName string `json:"userName"`
	}
	x = &expander{vars: Vars{}}
	req, _ = x.expand(RequestTemplate{Method: "POST", Path: "/Users", Body: user{"${who}"}, RawBody: ""})
	if m := x.missingList(); len(m) != 1 || m[0] != "${who}" {
		t.Errorf("missing %v", m)
	}
	if req.Body.(map[string]any)["userName"] != "${who}" {
		t.Errorf("unresolved placeholder changed: %v", req.Body)
	}
	req, _ = (&expander{vars: Vars{"p": `x"y`}}).expand(RequestTemplate{Method: "POST", RawBody: `{"userName":"${p}",}`})
	if string(req.RawBody) != `{"userName":"x"y",}` {
		t.Errorf("raw body %s", req.RawBody)
	}
	_ = url.Values{}
}

func TestEqualAndContains(t *testing.T) {
	j := func(s string) any {
		v, err := decodeJSON([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	eq := []struct {
		a, b string
		want bool
	}{
		{`1`, `1.0`, true}, {`1`, `2`, false}, {`"1"`, `1`, false},
		{`{"a":[1,{"b":null}]}`, `{"a":[1,{"b":null}]}`, true},
		{`{"a":1}`, `{"a":1,"b":2}`, false}, {`[1,2]`, `[2,1]`, false},
		{`9007199254740993`, `9007199254740992`, false},
	}
	for _, tt := range eq {
		if got := equalJSON(j(tt.a), j(tt.b)); got != tt.want {
			t.Errorf("equalJSON(%s, %s) = %v", tt.a, tt.b, got)
		}
	}
	contains := []struct {
		got, want string
		ok        bool
	}{
		{`"application/scim+json"`, `"scim"`, true},
		{`["a","b"]`, `"b"`, true},
		{`[{"value":"x","type":"work","primary":true}]`, `{"TYPE":"work","primary":true}`, true},
		{`[{"value":"x","type":"work"}]`, `{"type":"home"}`, false},
		{`{"a":1,"b":2}`, `{"b":2}`, true},
		{`5`, `5`, false},
	}
	for _, tt := range contains {
		if got := containsJSON(j(tt.got), j(tt.want)); got != tt.ok {
			t.Errorf("containsJSON(%s, %s) = %v", tt.got, tt.want, got)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Step{Name: "a", Request: RequestTemplate{Method: "GET", Path: "/Users"}}
	with := func(f func(*Step)) Scenario {
		s := ok
		f(&s)
		return Scenario{Name: "s", Steps: []Step{s}}
	}
	n := 1
	tests := []struct {
		sc   Scenario
		want string
	}{
		{Scenario{Steps: []Step{ok}}, "no name"},
		{Scenario{Name: "s"}, "no steps"},
		{Scenario{Name: "s", Steps: []Step{ok, ok}}, "duplicate"},
		{with(func(s *Step) { s.Level = "MUSTN'T" }), "level"},
		{with(func(s *Step) { s.Request.Method = "" }), "no method"},
		{with(func(s *Step) { s.Cleanup = &RequestTemplate{} }), "cleanup has no method"},
		{with(func(s *Step) { s.Capture = map[string]string{"x": "header:"} }), "incomplete"},
		{with(func(s *Step) { s.Expect = []Expectation{{}} }), "exactly one"},
		{with(func(s *Step) { s.Expect = []Expectation{{Status: []int{200}, Path: "id"}} }), "exactly one"},
		{with(func(s *Step) { s.Expect = []Expectation{{Path: "id", Absent: true, Equals: "x"}} }), "absent excludes"},
		{with(func(s *Step) { s.Expect = []Expectation{{Header: "ETag", Length: &n}} }), "length applies"},
		{with(func(s *Step) { s.Expect = []Expectation{{Header: "ETag", Equals: 1}} }), "must be strings"},
		{with(func(s *Step) { s.Expect = []Expectation{{Status: []int{200}, Exists: true}} }), "need a header or a path"},
	}
	for _, tt := range tests {
		err := tt.sc.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate() = %v, want %q", err, tt.want)
		}
	}
	if err := with(func(*Step) {}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestPretty(t *testing.T) {
	if got := Pretty([]byte(`{"b":1,"a":"<x>"}`)); got != "{\n  \"b\": 1,\n  \"a\": \"<x>\"\n}" {
		t.Errorf("Pretty kept neither order nor text: %s", got)
	}
	if got := Pretty([]byte("not json")); got != "not json" {
		t.Error(got)
	}
}
