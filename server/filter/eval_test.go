package filter

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/server/schema"
)

// loadDocs reads testdata/<file> (a JSON array of resources), normalises
// each as a client's POST would be, and puts back "id" and "meta", which
// Normalize drops as read-only but a stored document carries.
func loadDocs(tb testing.TB, rt *schema.ResourceType, file string) []map[string]any {
	tb.Helper()
	f, err := os.Open("testdata/" + file)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.UseNumber()
	var raw []map[string]any
	if err := dec.Decode(&raw); err != nil {
		tb.Fatal(err)
	}
	docs := make([]map[string]any, len(raw))
	for i, r := range raw {
		doc, err := rt.Normalize(r)
		if err != nil {
			tb.Fatalf("%s[%d]: %v", file, i, err)
		}
		for _, k := range []string{"id", "meta"} {
			if v, ok := r[k]; ok {
				doc[k] = v
			}
		}
		docs[i] = doc
	}
	return docs
}

func resourceType(tb testing.TB, id string) *schema.ResourceType {
	tb.Helper()
	rt, ok := schema.Default().ResourceType(id)
	if !ok {
		tb.Fatalf("no resource type %s", id)
	}
	return rt
}

// thingType is the test resource type of testdata/, with an attribute of
// every type.
func thingType(tb testing.TB) *schema.ResourceType {
	tb.Helper()
	reg, err := schema.Load(os.DirFS("testdata"))
	if err != nil {
		tb.Fatal(err)
	}
	rt, ok := reg.ResourceType("Thing")
	if !ok {
		tb.Fatal("no resource type Thing in testdata")
	}
	return rt
}

// matching returns the key of every doc that the filter matches.
func matching(t *testing.T, rt *schema.ResourceType, docs []map[string]any, key, filter string) []string {
	t.Helper()
	e, err := Parse(filter)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	m, err := Compile(e, rt)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	got := []string{}
	for _, d := range docs {
		if m(d) {
			got = append(got, d[key].(string))
		}
	}
	return got
}

const (
	bjensen = "bjensen"
	jsmith  = "JSmith"
	minimal = "minimal"
	zoe     = "Zoë"
)

func TestCompileUsers(t *testing.T) {
	rt := resourceType(t, "User")
	users := loadDocs(t, rt, "users.json")
	tests := []struct {
		filter string
		want   []string
	}{
		{`userName eq "bjensen"`, []string{bjensen}},
		{`userName eq "BJENSEN"`, []string{bjensen}},
		{`USERNAME EQ "jsmith"`, []string{jsmith}},
		{`username Eq "JSMITH"`, []string{jsmith}},
		{`userName eq "zoë"`, []string{zoe}},
		{`userName eq "ZOË"`, []string{zoe}},
		{`userName eq "nobody"`, nil},
		{`userName ne "bjensen"`, []string{jsmith, minimal, zoe}},
		{`userName sw "j"`, []string{jsmith}},
		{`userName ew "SEN"`, []string{bjensen}},
		{`userName co "MIT"`, []string{jsmith}},
		{`userName co "Ë"`, []string{zoe}},
		{`userName gt "c"`, []string{jsmith, minimal, zoe}},
		{`userName lt "C"`, []string{bjensen}},
		{`userName ge "JSMITH"`, []string{jsmith, minimal, zoe}},
		{`userName le "jsmith"`, []string{bjensen, jsmith}},
		{`displayName co "babs"`, []string{bjensen}},

		// id and externalId are caseExact, userName is not.
		{`id eq "2819c223-7f76-453a-919d-413861904646"`, []string{bjensen}},
		{`id eq "2819C223-7F76-453A-919D-413861904646"`, nil},
		{`externalId eq "JS-Ext"`, []string{jsmith}},
		{`externalId eq "js-ext"`, nil},
		{`externalId sw "JS"`, []string{jsmith}},
		{`externalId sw "js"`, nil},
		{`externalId eq bjensen-ext`, []string{bjensen}},

		// Presence and null.
		{`title pr`, []string{bjensen}},
		{`title eq null`, []string{jsmith, minimal, zoe}},
		{`title ne null`, []string{bjensen}},
		{`not (title pr)`, []string{jsmith, minimal, zoe}},
		{`title ne "Tour Guide"`, []string{jsmith, minimal, zoe}},
		{`emails pr`, []string{bjensen, jsmith, zoe}},
		{`externalId pr and not (externalId eq "JS-Ext")`, []string{bjensen}},

		// Multi-valued attributes: some value matches.
		{`emails co "example.com"`, []string{bjensen, zoe}},
		{`emails eq "john@example.org"`, []string{jsmith}},
		{`emails.value co "@jensen"`, []string{bjensen}},
		{`emails.type eq "home" and emails.primary eq true`, []string{bjensen}},
		{`emails.type ne "work"`, []string{jsmith, minimal}},

		// Value paths: one element matches the whole filter.
		{`emails[type eq "work"]`, []string{bjensen, zoe}},
		{`emails[type eq "home" and primary eq true]`, nil},
		{`emails[type eq "work" and value co "@example.com" and primary eq true]`, []string{bjensen}},
		{`emails[type eq "home" and value ew ".org"]`, []string{bjensen, jsmith}},
		{`emails[not (type eq "work")]`, []string{bjensen, jsmith}},
		{`not (emails[type eq "work"])`, []string{jsmith, minimal}},
		{`emails[(type eq "work" or type eq "home") and primary eq true]`, []string{bjensen}},
		{`emails[type eq "work"].value eq "bjensen@example.com"`, []string{bjensen}},
		{`emails[type eq "work"].value eq "zoe@example.com"`, []string{zoe}},
		{`emails[emails.type eq "home"]`, []string{bjensen, jsmith}},
		{`userName eq "bjensen" and emails[type eq "work"]`, []string{bjensen}},

		// Booleans, including the strings Entra sends.
		{`active eq true`, []string{bjensen}},
		{`active eq "True"`, []string{bjensen}},
		{`active eq "false"`, []string{jsmith}},
		{`active eq FALSE`, []string{jsmith}},
		{`active ne true`, []string{jsmith, minimal, zoe}},
		{`active pr`, []string{bjensen, jsmith}},
		{`roles[primary eq "True"]`, []string{bjensen}},
		{`roles[primary eq "True"].value eq "admin"`, []string{bjensen}},
		{`roles[primary eq false]`, nil},

		// dateTime: compared as instants.
		{`meta.lastModified gt "2026-01-02T00:00:00Z"`, []string{bjensen, jsmith}},
		{`meta.lastModified eq "2026-01-02T04:04:05+01:00"`, []string{bjensen}},
		{`meta.lastModified eq "2026-01-02T03:04:05.000Z"`, []string{bjensen}},
		{`meta.lastModified eq "2026-01-02T23:00:00Z"`, []string{jsmith}},
		{`meta.lastModified ne "2026-01-02T23:00:00Z"`, []string{bjensen, minimal, zoe}},
		{`meta.lastModified lt "2026-01-01T00:00:00Z"`, []string{minimal}},
		{`meta.lastModified ge "2026-01-02T03:04:05Z"`, []string{bjensen, jsmith}},
		{`meta.lastModified le "2026-01-02T03:04:05Z"`, []string{bjensen, minimal}},
		{`meta.lastModified gt "2026-01-01T00:00:00"`, []string{bjensen, jsmith}},
		{`meta.lastModified sw "2026-01-02"`, []string{bjensen}},
		{`meta.lastModified ew "z"`, []string{bjensen, minimal}},
		{`meta.lastModified pr`, []string{bjensen, jsmith, minimal}},
		{`meta.created pr`, []string{bjensen}},

		// Extension attributes, with and without the URN.
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`, []string{bjensen}},
		{`employeeNumber eq 1234`, []string{jsmith}},
		{`EmployeeNumber eq "1234"`, []string{jsmith}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m1"`, []string{bjensen}},
		{`manager eq "M1"`, []string{bjensen}},
		{`manager pr`, []string{bjensen}},
		{`manager[value eq "m1"]`, []string{bjensen}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department co "tour"`, []string{bjensen}},

		// "schemas", derived from the extensions a user has values for.
		{`schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`, []string{bjensen, jsmith}},
		{`schemas eq "urn:ietf:params:scim:schemas:core:2.0:User"`, []string{bjensen, jsmith, minimal, zoe}},
		{`schemas ne "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`, []string{minimal, zoe}},
		{`Schemas co "enterprise"`, []string{bjensen, jsmith}},
		{`schemas pr`, []string{bjensen, jsmith, minimal, zoe}},
		{`schemas eq null`, nil},

		// Core URN and sub-attributes.
		{`urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "barbara"`, []string{bjensen}},
		{`name.familyName sw "S" or name.givenName eq "Barbara"`, []string{bjensen, jsmith}},
		{`name pr`, []string{bjensen, jsmith}},
		{`name.givenName pr`, []string{bjensen}},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			got := matching(t, rt, users, "userName", tc.filter)
			if tc.want == nil {
				tc.want = []string{}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("matched %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCompileGroups(t *testing.T) {
	rt := resourceType(t, "Group")
	groups := loadDocs(t, rt, "groups.json")
	tests := []struct {
		filter string
		want   []string
	}{
		{`members eq "2819c223-7f76-453a-919d-413861904646"`, []string{"Admins"}},
		{`members[value eq "902c246b-6245-4190-8e05-00816be7344a"]`, []string{"Admins"}},
		{`members.value eq "2819c223-7f76-453a-919d-413861904646"`, []string{"Admins"}},
		{`members.value eq "2819C223-7f76-453a-919d-413861904646"`, []string{"Admins"}},
		{`members eq "nobody"`, []string{}},
		{`members pr`, []string{"Admins"}},
		{`not (members pr)`, []string{"Empty"}},
		{`members.$ref pr`, []string{"Admins"}},
		{`members[$ref ew "/2819c223-7f76-453a-919d-413861904646"]`, []string{"Admins"}},
		{`displayName eq "admins"`, []string{"Admins"}},
		{`displayName eq "Admins" or displayName eq "Empty"`, []string{"Admins", "Empty"}},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			got := matching(t, rt, groups, "displayName", tc.filter)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("matched %q, want %q", got, tc.want)
			}
		})
	}
}

// things hold stored values in every shape a document may carry, including
// shapes Normalize would never produce: the matcher must not panic on them.
func things() []map[string]any {
	return []map[string]any{
		{"label": "t1", "count": int64(5), "big": int64(9007199254740993), "ratio": 0.5, "flag": true,
			"blob": "QUJD", "when": "2026-01-02T03:04:05Z", "code": "AbC", "tags": []any{"red", "Blue"},
			"props": map[string]any{"key": "k"}, "secret": "hunter2"},
		{"label": "t2", "count": float64(7), "ratio": json.Number("1.5"), "flag": "TRUE", "when": "not a date",
			"tags": []any{"green"}, "code": []any{"AbC"}},
		{"label": "t3", "count": json.Number("10"), "flag": "yes", "when": int64(5), "props": map[string]any{},
			"ratio": json.Number("bogus")},
		{"label": "t4", "count": "5", "tags": map[string]any{"x": "red"}, "props": []any{map[string]any{"key": "k"}, "junk"},
			"blob": 42},
		{"label": "t5", "count": 3, "props": "a string", "when": nil, "big": float64(9007199254740992)},
	}
}

func TestCompileTypes(t *testing.T) {
	rt := thingType(t)
	tests := []struct {
		filter string
		want   []string
	}{
		{`count eq 5`, []string{"t1"}},
		{`count eq "5"`, []string{"t1"}},
		{`count eq 7`, []string{"t2"}},
		{`count eq 7.0`, []string{"t2"}},
		{`count gt 5`, []string{"t2", "t3"}},
		{`count ge 7.0`, []string{"t2", "t3"}},
		{`count lt 5`, []string{"t5"}},
		{`count le 5`, []string{"t1", "t5"}},
		{`count ne 5`, []string{"t2", "t3", "t4", "t5"}},
		{`count pr`, []string{"t1", "t2", "t3", "t4", "t5"}},
		{`count gt -1e3`, []string{"t1", "t2", "t3", "t5"}},
		{`big eq 9007199254740993`, []string{"t1"}},
		{`big eq 9007199254740992`, []string{"t5"}},
		{`ratio gt 0.75`, []string{"t2"}},
		{`ratio lt 1`, []string{"t1"}},
		{`ratio eq 0.5`, []string{"t1"}},
		{`blob eq "QUJD"`, []string{"t1"}},
		{`blob eq "qujd"`, []string{}},
		{`blob ne "QUJD"`, []string{"t2", "t3", "t4", "t5"}},
		{`blob pr`, []string{"t1", "t4"}},
		{`tags eq "blue"`, []string{"t1"}},
		{`tags ne "red"`, []string{"t2", "t3", "t4", "t5"}},
		{`tags pr`, []string{"t1", "t2", "t4"}},
		{`tags sw "GR"`, []string{"t2"}},
		{`code eq "abc"`, []string{}},
		{`code eq "AbC"`, []string{"t1", "t2"}},
		{`code sw "Ab"`, []string{"t1", "t2"}},
		{`code sw "ab"`, []string{}},
		{`code gt "AB"`, []string{"t1", "t2"}},
		{`code co "bC"`, []string{"t1", "t2"}},
		{`code ew "C"`, []string{"t1", "t2"}},
		{`label co "T"`, []string{"t1", "t2", "t3", "t4", "t5"}},
		{`props pr`, []string{"t1", "t4", "t5"}},
		{`props.key eq "K"`, []string{"t1", "t4"}},
		{`props[key eq "k"]`, []string{"t1", "t4"}},
		{`when gt "2020-01-01T00:00:00Z"`, []string{"t1"}},
		{`when lt "2030-01-01T00:00:00-05:00"`, []string{"t1"}},
		{`when co "date"`, []string{"t2"}},
		{`when pr`, []string{"t1", "t2", "t3"}},
		{`flag eq true`, []string{"t1", "t2"}},
		{`flag eq false`, []string{}},
		{`flag ne true`, []string{"t3", "t4", "t5"}},
	}
	docs := things()
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			got := matching(t, rt, docs, "label", tc.filter)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("matched %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	user := resourceType(t, "User")
	group := resourceType(t, "Group")
	thing := thingType(t)
	tests := []struct {
		rt     *schema.ResourceType
		filter string
		want   string
	}{
		{user, `foo eq "x"`, `unknown attribute "foo"`},
		{user, `name.foo eq "x"`, `unknown attribute "name.foo"`},
		{user, `urn:bad:schema:userName eq "x"`, `unknown attribute "urn:bad:schema:userName"`},
		{user, `userName eq "x" or foo pr`, `unknown attribute "foo"`},
		{user, `not (foo pr)`, `unknown attribute "foo"`},
		{group, `emails[type eq "work"]`, `unknown attribute "emails"`},
		{user, `emails[foo eq "x"]`, `unknown attribute "foo" in a value filter of "emails"`},
		{user, `emails[type eq "x"].foo eq "y"`, `unknown attribute "foo"`},
		{user, `active gt true`, `operator gt is not allowed on the boolean attribute "active"`},
		{user, `active co "t"`, `not allowed on the boolean attribute`},
		{user, `emails[primary lt true]`, `not allowed on the boolean attribute "emails.primary"`},
		{user, `active eq "yes"`, `cannot be compared with "yes"`},
		{user, `active eq 1`, `cannot be compared with 1`},
		{user, `userName eq true`, `cannot be compared with true`},
		{user, `userName gt null`, `null can only be compared with eq or ne`},
		{user, `meta.lastModified gt "yesterday"`, `dateTime attribute and cannot be compared with "yesterday"`},
		{user, `meta.lastModified eq 5`, `cannot be compared with 5`},
		{user, `name eq "x"`, `"name" is a complex attribute without a "value" sub-attribute`},
		{user, `addresses co "x"`, `"addresses" is a complex attribute`},
		{user, `userName[value eq "x"]`, `"userName" is not one`},
		{user, `password eq "x"`, `"password" is never returned`},
		{user, `password pr`, `never returned`},
		{user, `schemas gt true`, `cannot be compared with true`},
		{user, `schemas.value eq "x"`, `unknown attribute "schemas.value"`},
		{thing, `secret eq "x"`, `never returned`},
		{thing, `count co 5`, `operator co is not allowed on the integer attribute "count"`},
		{thing, `count eq "five"`, `cannot be compared with "five"`},
		{thing, `count eq 1e999`, `cannot be compared with 1e999`},
		{thing, `count eq true`, `cannot be compared with true`},
		{thing, `ratio sw 1`, `not allowed on the decimal attribute`},
		{thing, `blob gt "x"`, `operator gt is not allowed on the binary attribute "blob" (only eq, ne and pr)`},
		{thing, `props eq "x"`, `only pr applies`},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			e, err := Parse(tc.filter)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			m, err := Compile(e, tc.rt)
			if err == nil {
				t.Fatalf("Compile succeeded (matcher %p)", m)
			}
			checkCompileError(t, err, tc.want)
		})
	}
}

// TestCompileHandBuilt covers trees that the parser never produces but
// other packages may build.
func TestCompileHandBuilt(t *testing.T) {
	rt := resourceType(t, "User")
	users := loadDocs(t, rt, "users.json")
	c := &Compare{Path: AttrPath{Name: "userName"}, Op: Eq, Value: "bjensen"}
	m, err := Compile(&Or{Left: &And{Left: c, Right: &Not{X: &Compare{Path: AttrPath{Name: "title"}, Op: Eq, Value: nil}}},
		Right: &ValuePath{Path: AttrPath{Name: "emails"}, Filter: &Compare{Path: AttrPath{Name: "type"}, Op: Eq, Value: "none"}}}, rt)
	if err != nil {
		t.Fatal(err)
	}
	if !m(users[0]) || m(users[1]) {
		t.Errorf("pointer tree matched wrongly")
	}
	bad := []struct {
		e    Expr
		want string
	}{
		{nil, "empty"},
		{(*And)(nil), "empty"},
		{And{Left: c}, "empty"},
		{Compare{Path: AttrPath{Name: "userName"}, Op: "xx", Value: "x"}, `unknown operator "xx"`},
		{Compare{Path: AttrPath{Name: "schemas"}, Op: "EQ", Value: "x"}, `unknown operator "EQ"`},
		{ValuePath{Path: AttrPath{Name: "name", Sub: "givenName"}, Filter: c}, `"name.givenName" is not one`},
		{ValuePath{Path: AttrPath{Name: "emails"}, Filter: ValuePath{Path: AttrPath{Name: "type"}, Filter: c}}, "cannot be nested"},
		{Compare{Path: AttrPath{Name: "userName"}, Op: Eq, Value: 3.5}, "cannot be compared"},
	}
	for _, tc := range bad {
		if _, err := Compile(tc.e, rt); err == nil {
			t.Errorf("Compile(%#v) succeeded", tc.e)
		} else {
			checkCompileError(t, err, tc.want)
		}
	}
	if _, err := Compile(c, nil); err == nil {
		t.Error("Compile with a nil resource type succeeded")
	}
}

func checkCompileError(t *testing.T, err error, want string) {
	t.Helper()
	var se *schema.Error
	if !errors.As(err, &se) || se.ScimType != schema.InvalidFilter || se.Status != 400 {
		t.Fatalf("error %v (%T) is not a 400 invalidFilter *schema.Error", err, err)
	}
	if !strings.Contains(se.Detail, want) {
		t.Errorf("detail %q does not contain %q", se.Detail, want)
	}
}

func TestCompileValue(t *testing.T) {
	emails := resourceType(t, "User").Core().Attr("emails")
	elements := []map[string]any{
		{"type": "work", "value": "a@x.com", "primary": true},
		{"type": "home", "value": "b@y.org"},
		{"type": 5, "value": []any{"c@x.com"}, "primary": "True"},
		{},
		nil,
	}
	tests := []struct {
		filter string
		want   []int
	}{
		{`type eq "work"`, []int{0}},
		{`type eq "WORK"`, []int{0}},
		{`value co "@X"`, []int{0, 2}},
		{`primary eq "True"`, []int{0, 2}},
		{`primary eq true`, []int{0, 2}},
		{`not (type eq "work")`, []int{1, 2, 3, 4}},
		{`emails.type eq "home"`, []int{1}},
		{`type pr and not (primary eq true)`, []int{1}},
		{`type eq "work" or value ew ".org"`, []int{0, 1}},
		{`value pr`, []int{0, 1, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			e, err := Parse(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			m, err := CompileValue(e, emails)
			if err != nil {
				t.Fatal(err)
			}
			got := []int{}
			for i, el := range elements {
				if m(el) {
					got = append(got, i)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("matched elements %v, want %v", got, tc.want)
			}
		})
	}

	bad := []struct {
		filter string
		attr   *schema.Attribute
		want   string
	}{
		{`foo eq 1`, emails, `unknown attribute "foo"`},
		{`userName eq "x"`, emails, `unknown attribute "userName"`},
		{`urn:ietf:params:scim:schemas:core:2.0:User:type eq "x"`, emails, `unknown attribute`},
		{`members.value eq "x"`, emails, `unknown attribute "members.value"`},
		{`emails[type eq "x"]`, emails, `cannot be nested`},
		{`primary gt true`, emails, `not allowed on the boolean attribute "emails.primary"`},
		{`type eq "x"`, resourceType(t, "User").Core().Attr("userName"), `only to a complex attribute`},
		{`type eq "x"`, nil, `only to a complex attribute`},
	}
	for _, tc := range bad {
		e, err := Parse(tc.filter)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := CompileValue(e, tc.attr); err == nil {
			t.Errorf("CompileValue(%s) succeeded", tc.filter)
		} else {
			checkCompileError(t, err, tc.want)
		}
	}
}

// TestMatchOddShapes runs filters over documents of the wrong shape
// everywhere: the matcher must not panic, and must not match.
func TestMatchOddShapes(t *testing.T) {
	rt := resourceType(t, "User")
	docs := []map[string]any{
		nil,
		{},
		{"userName": 5, "emails": "x", "name": []any{1}, "meta": "x", enterprise: "x", "active": 1.0},
		{"emails": []any{"a", nil, 5, map[string]any{"value": 3, "type": true}, []any{}}, "name": map[string]any{"givenName": map[string]any{}}},
		{"meta": map[string]any{"lastModified": 5}, enterprise: map[string]any{"manager": []any{"m1"}, "employeeNumber": json.Number("1")}},
		{"userName": []any{1, nil}, "emails": map[string]any{"value": 7}},
	}
	filters := []string{
		`userName eq "x"`, `userName co "x"`, `userName gt "a"`, `emails co "a"`, `emails[type eq "work"]`,
		`emails[type eq "work"].value eq "a"`, `name.givenName sw "b"`, `meta.lastModified gt "2020-01-01T00:00:00Z"`,
		`manager eq "m1"`, `employeeNumber eq "1"`, `active eq true`, `emails[value eq 3]`, `emails.primary eq true`,
	}
	for _, f := range filters {
		e, err := Parse(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Compile(e, rt)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i, d := range docs {
			if m(d) {
				t.Errorf("%s matched odd document %d", f, i)
			}
		}
	}
}

// TestMatchAllocations guards the scan path: a string eq on a document
// allocates nothing.
func TestMatchAllocations(t *testing.T) {
	rt := resourceType(t, "User")
	users := loadDocs(t, rt, "users.json")
	for _, f := range []string{
		`userName eq "BJENSEN"`,
		`userName co "JEN"`,
		`emails[type eq "work" and value co "@example.com" and primary eq true]`,
		`meta.lastModified gt "2026-01-01T00:00:00Z"`,
	} {
		e, _ := Parse(f)
		m, err := Compile(e, rt)
		if err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { m(users[0]) }); n != 0 {
			t.Errorf("%s: %v allocations per match, want 0", f, n)
		}
	}
}
