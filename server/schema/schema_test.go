package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/scim"
)

func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewBufferString(s))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

func userType(t testing.TB) *ResourceType {
	t.Helper()
	rt, ok := Default().ResourceType("User")
	if !ok {
		t.Fatal("no User resource type")
	}
	return rt
}

func TestDefaultRegistry(t *testing.T) {
	r := Default()
	for _, id := range []string{scim.UserURN, scim.GroupURN, scim.EnterpriseUserURN} {
		if _, ok := r.Schema(id); !ok {
			t.Errorf("schema %s missing", id)
		}
	}
	u := userType(t)
	if u.Endpoint != "/Users" || len(u.Extensions()) != 1 {
		t.Errorf("User resource type: endpoint %q, %d extensions", u.Endpoint, len(u.Extensions()))
	}
	// RFC 7643 §4.1: every core User attribute is defined.
	for _, n := range []string{"userName", "name", "displayName", "nickName", "profileUrl", "title", "userType",
		"preferredLanguage", "locale", "timezone", "active", "password", "emails", "phoneNumbers", "ims",
		"photos", "addresses", "groups", "entitlements", "roles", "x509Certificates"} {
		if u.Core().Attr(n) == nil {
			t.Errorf("User attribute %s missing", n)
		}
	}
}

func TestFind(t *testing.T) {
	u := userType(t)
	tests := []struct {
		path, want string
		ok         bool
	}{
		{"userName", "userName", true},
		{"USERNAME", "userName", true},
		{"name.GivenName", "name.givenName", true},
		{"urn:ietf:params:scim:schemas:core:2.0:User:userName", "userName", true},
		{"URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:name.familyName", "name.familyName", true},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", scim.EnterpriseUserURN + ":manager.value", true},
		{"employeeNumber", scim.EnterpriseUserURN + ":employeeNumber", true},
		{"meta.lastModified", "meta.lastModified", true},
		{"id", "id", true},
		{"emails.value", "emails.value", true},
		{"members", "", false},
		{"name.nope", "", false},
		{"urn:example:unknown:thing", "", false},
	}
	for _, tc := range tests {
		ref, ok := u.Find(SplitPath(tc.path))
		if ok != tc.ok {
			t.Errorf("Find(%q) ok = %v, want %v", tc.path, ok, tc.ok)
			continue
		}
		if ok && ref.Path() != tc.want {
			t.Errorf("Find(%q) = %q, want %q", tc.path, ref.Path(), tc.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	u := userType(t)
	tests := []struct {
		name, in, want string
		scimType       string
	}{
		{"canonical names and types",
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"USERNAME":"Bjensen","Active":true,"name":{"GIVENNAME":"Barbara"}}`,
			`{"userName":"Bjensen","active":true,"name":{"givenName":"Barbara"}}`, ""},
		{"Entra string booleans (SCIMReferenceCode issue 21)",
			`{"userName":"a","active":"True","emails":[{"value":"a@x","primary":"False"}]}`,
			`{"userName":"a","active":true,"emails":[{"value":"a@x","primary":false}]}`, ""},
		{"readOnly and unknown attributes dropped",
			`{"userName":"a","id":"x","meta":{"resourceType":"User"},"groups":[{"value":"g"}],"bogus":1}`,
			`{"userName":"a"}`, ""},
		{"null, empty string and empty array are unassigned",
			`{"userName":"a","displayName":null,"title":"","emails":[],"roles":[]}`,
			`{"userName":"a"}`, ""},
		{"lone object for a multi-valued attribute (OneLogin)",
			`{"userName":"a","emails":{"value":"a@x","type":"Work"}}`,
			`{"userName":"a","emails":[{"value":"a@x","type":"work"}]}`, ""},
		{"enterprise extension and raw manager id",
			`{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:user":{"Department":"R&D","manager":"m-1","employeeNumber":42}}`,
			`{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D","manager":{"value":"m-1"},"employeeNumber":"42"}}`, ""},
		{"dotted key refused (a body names attributes, RFC 7644 §3.3)",
			`{"userName":"a","name.familyName":"J"}`, "", InvalidSyntax},
		{"URN-qualified key refused",
			`{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"D"}`, "", InvalidSyntax},
		{"unknown dotted key dropped as unknown",
			`{"userName":"a","bogus.thing":"J"}`, `{"userName":"a"}`, ""},
		{"legacy 1.0 URN in schemas (Google) tolerated",
			`{"schemas":["urn:scim:schemas:core:1.0","urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a"}`,
			`{"userName":"a"}`, ""},
		{"missing userName", `{"displayName":"x"}`, "", InvalidValue},
		{"userName empty", `{"userName":""}`, "", InvalidValue},
		{"wrong type", `{"userName":"a","active":"yes"}`, "", InvalidValue},
		{"array for single-valued", `{"userName":["a"]}`, "", InvalidValue},
		{"object for string", `{"userName":{"x":1}}`, "", InvalidValue},
		{"two primaries", `{"userName":"a","emails":[{"value":"a","primary":true},{"value":"b","primary":"True"}]}`, "", InvalidValue},
		{"bad dateTime", `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":1}}}`, "", ""},
		{"duplicate keys differing in case", `{"userName":"a","USERNAME":"b"}`, "", InvalidSyntax},
		{"extension not an object", `{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"x"}`, "", InvalidValue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := u.Normalize(decode(t, tc.in))
			if tc.scimType != "" {
				var se *Error
				if !errors.As(err, &se) || se.ScimType != tc.scimType || se.Status != http.StatusBadRequest {
					t.Fatalf("err = %v, want scimType %s", err, tc.scimType)
				}
				return
			}
			if tc.want == "" {
				return // only "does not fail or panic"
			}
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			if want := normalizeNumbers(decode(t, tc.want)); !reflect.DeepEqual(got, want) {
				t.Errorf("got  %#v\nwant %#v", got, want)
			}
			again, err := u.Normalize(got)
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("Normalize is not idempotent: %v %#v", err, again)
			}
		})
	}
}

// normalizeNumbers turns json.Number into the int64 that Normalize stores, for
// comparison with expected documents.
func normalizeNumbers(v map[string]any) map[string]any {
	var walk func(any) any
	walk = func(x any) any {
		switch t := x.(type) {
		case map[string]any:
			for k, y := range t {
				t[k] = walk(y)
			}
		case []any:
			for i, y := range t {
				t[i] = walk(y)
			}
		case json.Number:
			i, _ := t.Int64()
			return i
		}
		return x
	}
	return walk(v).(map[string]any)
}

func TestCheckImmutable(t *testing.T) {
	g, _ := Default().ResourceType("Group")
	// No top-level Group or User attribute is immutable in RFC 7643, so build
	// a resource type that has one.
	rt := &ResourceType{ID: "T", core: &Schema{ID: "urn:t", Attributes: []*Attribute{
		{Name: "code", Type: TypeString, Mutability: Immutable},
	}}}
	if err := rt.CheckImmutable(map[string]any{"code": "a"}, map[string]any{"code": "b"}); err == nil {
		t.Error("changing an immutable attribute was accepted")
	}
	if err := rt.CheckImmutable(map[string]any{}, map[string]any{"code": "b"}); err != nil {
		t.Errorf("setting an unset immutable attribute: %v", err)
	}
	if err := g.CheckImmutable(map[string]any{"displayName": "a"}, map[string]any{"displayName": "b"}); err != nil {
		t.Errorf("displayName is readWrite: %v", err)
	}
}

func TestProject(t *testing.T) {
	u := userType(t)
	doc := map[string]any{
		"id":       "1",
		"userName": "a",
		"password": "secret",
		"name":     map[string]any{"givenName": "B", "familyName": "J"},
		"emails":   []any{map[string]any{"value": "a@x", "type": "work"}},
		"meta":     map[string]any{"resourceType": "User"},
		scim.EnterpriseUserURN: map[string]any{
			"department": "D", "employeeNumber": "7",
		},
	}
	tests := []struct {
		name          string
		attrs, excl   []string
		wantKeys      []string
		wantNameKeys  []string
		wantEmailKeys []string
		wantExtKeys   []string
	}{
		{"default drops password", nil, nil,
			[]string{"id", "userName", "name", "emails", "meta", scim.EnterpriseUserURN}, []string{"givenName", "familyName"}, []string{"value", "type"}, []string{"department", "employeeNumber"}},
		{"attributes keeps id", []string{"userName"}, nil,
			[]string{"id", "userName"}, nil, nil, nil},
		{"attributes sub-attribute", []string{"name.givenName", "emails.value"}, nil,
			[]string{"id", "name", "emails"}, []string{"givenName"}, []string{"value"}, nil},
		{"attributes case-insensitive and qualified", []string{"URN:ietf:params:scim:schemas:core:2.0:User:USERNAME", scim.EnterpriseUserURN + ":department"}, nil,
			[]string{"id", "userName", scim.EnterpriseUserURN}, nil, nil, []string{"department"}},
		{"whole extension", []string{scim.EnterpriseUserURN}, nil,
			[]string{"id", scim.EnterpriseUserURN}, nil, nil, []string{"department", "employeeNumber"}},
		{"password never, even when asked", []string{"password"}, nil, []string{"id"}, nil, nil, nil},
		{"excluded", nil, []string{"emails", "name.familyName", "id"},
			[]string{"id", "userName", "name", "meta", scim.EnterpriseUserURN}, []string{"givenName"}, nil, []string{"department", "employeeNumber"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := u.Project(doc, u.NewProjection(tc.attrs, tc.excl))
			checkKeys(t, "resource", got, tc.wantKeys)
			if tc.wantNameKeys != nil {
				checkKeys(t, "name", got["name"].(map[string]any), tc.wantNameKeys)
			}
			if tc.wantEmailKeys != nil {
				checkKeys(t, "emails[0]", got["emails"].([]any)[0].(map[string]any), tc.wantEmailKeys)
			}
			if tc.wantExtKeys != nil {
				checkKeys(t, "enterprise", got[scim.EnterpriseUserURN].(map[string]any), tc.wantExtKeys)
			}
		})
	}
	if doc["password"] != "secret" {
		t.Error("Project changed its input")
	}
}

func checkKeys(t *testing.T, what string, m map[string]any, want []string) {
	t.Helper()
	if len(m) != len(want) {
		t.Errorf("%s: got keys %v, want %v", what, keys(m), want)
		return
	}
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: missing %q (have %v)", what, k, keys(m))
		}
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestErrorBody(t *testing.T) {
	e := Errorf(Uniqueness, "userName %q is taken", "a")
	if e.Status != http.StatusConflict {
		t.Fatalf("status %d", e.Status)
	}
	b := e.Body()
	if b["status"] != "409" || b["scimType"] != "uniqueness" || b["schemas"].([]any)[0] != scim.ErrorURN {
		t.Errorf("body %v", b)
	}
	if got := AsError(errors.New("pq: connection refused at 10.0.0.1")); got.Status != 500 || got.Detail != "internal error" {
		t.Errorf("internal error leaked: %+v", got)
	}
	if got := AsError(ErrUnavailable); got.Status != 503 {
		t.Errorf("unavailable: %+v", got)
	}
}

func TestKeepWriteOnly(t *testing.T) {
	u := userType(t)
	old := map[string]any{"userName": "a", "password": "s3cret"}
	tests := []struct {
		name string
		next map[string]any
		want any
	}{
		{"absent password kept", map[string]any{"userName": "a"}, "s3cret"},
		{"new password wins", map[string]any{"userName": "a", "password": "n3w"}, "n3w"},
	}
	for _, tc := range tests {
		u.KeepWriteOnly(old, tc.next)
		if tc.next["password"] != tc.want {
			t.Errorf("%s: password = %v, want %v", tc.name, tc.next["password"], tc.want)
		}
	}
}

func TestOrderedKeys(t *testing.T) {
	u := userType(t)
	doc := map[string]any{
		"meta": map[string]any{"resourceType": "User"}, "zzz": 1, "active": true, "userName": "userName",
		"id": "1", "schemas": []any{scim.UserURN}, "externalId": "e", scim.EnterpriseUserURN: map[string]any{"department": "<R&D>"},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // as the server encodes: no HTML escaping
	enc.SetEscapeHTML(false)
	if err := enc.Encode(Ordered{Type: u, Doc: doc}); err != nil {
		t.Fatal(err)
	}
	b := bytes.TrimSpace(buf.Bytes())
	want := `{"schemas":["` + scim.UserURN + `"],"id":"1","externalId":"e","userName":"userName","active":true,"` +
		scim.EnterpriseUserURN + `":{"department":"<R&D>"},"zzz":1,"meta":{"resourceType":"User"}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil || len(back) != len(doc) {
		t.Errorf("not a faithful JSON object: %v %v", err, back)
	}
}

// TestKeep: Keep declares only what keep admits — a complex attribute
// with the sub-attributes admitted, an extension left empty dropped from
// its resource type — and leaves the registry it copies unchanged.
func TestKeep(t *testing.T) {
	def := Default()
	r := def.Keep(func(id, path string, a *Attribute) bool {
		return EqualName(id, "urn:ietf:params:scim:schemas:core:2.0:User") && (path == "userName" || path == "name.givenName") ||
			EqualName(id, "urn:ietf:params:scim:schemas:core:2.0:Group")
	})
	u, _ := r.ResourceType("User")
	var names []string
	for _, a := range u.Core().Attributes {
		names = append(names, a.Name)
	}
	if got := strings.Join(names, ","); got != "userName,name" {
		t.Errorf("User declares %s, want userName,name", got)
	}
	if n := u.Core().Attr("name"); n == nil || len(n.SubAttributes) != 1 || n.SubAttributes[0].Name != "givenName" {
		t.Errorf("name keeps %+v, want givenName only", n)
	}
	if len(u.Extensions()) != 0 || len(u.SchemaExtensions) != 0 {
		t.Errorf("the emptied enterprise extension is still on User: %v", u.SchemaExtensions)
	}
	if g, _ := r.ResourceType("Group"); g == nil || g.Core().Attr("members") == nil {
		t.Error("Group lost its attributes")
	}
	du, _ := def.ResourceType("User")
	if du.Core().Attr("title") == nil || len(du.Extensions()) != 1 || len(du.Core().Attr("name").SubAttributes) < 2 {
		t.Error("Keep changed the registry it copied")
	}
}
