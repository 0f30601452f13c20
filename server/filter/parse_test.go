package filter

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/server/schema"
)

const (
	enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	coreUser   = "urn:ietf:params:scim:schemas:core:2.0:User"
)

// ap builds an AttrPath from its text the way the parser splits it.
func ap(s string) AttrPath {
	urn, name, sub := schema.SplitPath(s)
	return AttrPath{URN: urn, Name: name, Sub: sub}
}

func comp(path string, op Op, v any) Compare { return Compare{Path: ap(path), Op: op, Value: v} }
func pr(path string) Compare                 { return Compare{Path: ap(path), Op: Pr} }
func and(l, r Expr) And                      { return And{Left: l, Right: r} }
func or(l, r Expr) Or                        { return Or{Left: l, Right: r} }
func not(x Expr) Not                         { return Not{X: x} }
func vp(path string, f Expr) ValuePath       { return ValuePath{Path: ap(path), Filter: f} }

type num = json.Number

var validFilters = []struct {
	in   string
	want Expr
}{
	// RFC 7644 §3.4.2.2 examples.
	{`userName eq "bjensen"`, comp("userName", Eq, "bjensen")},
	{`name.familyName co "O'Malley"`, comp("name.familyName", Co, "O'Malley")},
	{`userName sw "J"`, comp("userName", Sw, "J")},
	{`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`, Compare{Path: AttrPath{URN: coreUser, Name: "userName"}, Op: Sw, Value: "J"}},
	{`title pr`, pr("title")},
	{`meta.lastModified gt "2011-05-13T04:42:34Z"`, comp("meta.lastModified", Gt, "2011-05-13T04:42:34Z")},
	{`meta.lastModified ge "2011-05-13T04:42:34Z"`, comp("meta.lastModified", Ge, "2011-05-13T04:42:34Z")},
	{`meta.lastModified lt "2011-05-13T04:42:34Z"`, comp("meta.lastModified", Lt, "2011-05-13T04:42:34Z")},
	{`meta.lastModified le "2011-05-13T04:42:34Z"`, comp("meta.lastModified", Le, "2011-05-13T04:42:34Z")},
	{`title pr and userType eq "Employee"`, and(pr("title"), comp("userType", Eq, "Employee"))},
	{`title pr or userType eq "Intern"`, or(pr("title"), comp("userType", Eq, "Intern"))},
	{`schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`, comp("schemas", Eq, enterprise)},
	{`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
		and(comp("userType", Eq, "Employee"), or(comp("emails", Co, "example.com"), comp("emails.value", Co, "example.org")))},
	{`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
		and(comp("userType", Ne, "Employee"), not(or(comp("emails", Co, "example.com"), comp("emails.value", Co, "example.org"))))},
	{`userType eq "Employee" and (emails.type eq "work")`, and(comp("userType", Eq, "Employee"), comp("emails.type", Eq, "work"))},
	{`userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
		and(comp("userType", Eq, "Employee"), vp("emails", and(comp("type", Eq, "work"), comp("value", Co, "@example.com"))))},
	{`emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
		or(vp("emails", and(comp("type", Eq, "work"), comp("value", Co, "@example.com"))),
			vp("ims", and(comp("type", Eq, "xmpp"), comp("value", Co, "@foo.com"))))},
	{`displayName ew "son"`, comp("displayName", Ew, "son")},

	// Keywords, operators and literals in any case.
	{`USERNAME EQ "x"`, comp("USERNAME", Eq, "x")},
	{`username Eq "x"`, comp("username", Eq, "x")},
	{`a eq 1 And b eq 2`, and(comp("a", Eq, num("1")), comp("b", Eq, num("2")))},
	{`A PR OR B PR`, or(pr("A"), pr("B"))},
	{`NOT (a pr)`, not(pr("a"))},
	{`a Ne "x"`, comp("a", Ne, "x")},
	{`a cO "x" aNd b Sw "y" oR c eW "z"`, or(and(comp("a", Co, "x"), comp("b", Sw, "y")), comp("c", Ew, "z"))},
	{`a GT 1 and b GE 2 and c LT 3 and d LE 4`, and(and(and(comp("a", Gt, num("1")), comp("b", Ge, num("2"))), comp("c", Lt, num("3"))), comp("d", Le, num("4")))},
	{`active eq TRUE`, comp("active", Eq, true)},
	{`active eq False`, comp("active", Eq, false)},
	{`title eq NULL`, comp("title", Eq, nil)},
	{`title ne null`, comp("title", Ne, nil)},

	// Precedence and grouping.
	{`a eq 1 or b eq 2 and c eq 3`, or(comp("a", Eq, num("1")), and(comp("b", Eq, num("2")), comp("c", Eq, num("3"))))},
	{`a eq 1 and b eq 2 or c eq 3`, or(and(comp("a", Eq, num("1")), comp("b", Eq, num("2"))), comp("c", Eq, num("3")))},
	{`a pr or b pr or c pr`, or(or(pr("a"), pr("b")), pr("c"))},
	{`a pr and b pr and c pr`, and(and(pr("a"), pr("b")), pr("c"))},
	{`a pr and (b pr or c pr)`, and(pr("a"), or(pr("b"), pr("c")))},
	{`(a pr or b pr) and c pr`, and(or(pr("a"), pr("b")), pr("c"))},
	{`a pr or (b pr or c pr)`, or(pr("a"), or(pr("b"), pr("c")))},
	{`a pr and (b pr and c pr)`, and(pr("a"), and(pr("b"), pr("c")))},
	{`((a pr))`, pr("a")},
	{strings.Repeat("(", maxDepth-1) + `emails[a pr and b pr].value pr` + strings.Repeat(")", maxDepth-1),
		vp("emails", and(and(pr("a"), pr("b")), pr("value")))},
	{strings.Repeat("(", maxDepth-2) + `emails[a pr or b pr].value pr` + strings.Repeat(")", maxDepth-2),
		vp("emails", and(or(pr("a"), pr("b")), pr("value")))},
	{`(a pr) and ((b pr) or (c pr))`, and(pr("a"), or(pr("b"), pr("c")))},
	{`not(a pr)`, not(pr("a"))},
	{"not \t (a pr)", not(pr("a"))},
	{`not (not (a pr))`, not(not(pr("a")))},
	{`not (a pr) and not (b pr) or c pr`, or(and(not(pr("a")), not(pr("b"))), pr("c"))},
	{`a pr and not (b pr or c pr)`, and(pr("a"), not(or(pr("b"), pr("c"))))},

	// Value filters.
	{`emails[type eq "work"]`, vp("emails", comp("type", Eq, "work"))},
	{`emails[type eq "work" and value co "@x" and primary eq true]`,
		vp("emails", and(and(comp("type", Eq, "work"), comp("value", Co, "@x")), comp("primary", Eq, true)))},
	{`emails[type eq "work" and value co "@x" and primary eq true and display pr]`,
		vp("emails", and(and(and(comp("type", Eq, "work"), comp("value", Co, "@x")), comp("primary", Eq, true)), pr("display")))},
	{`emails[not (type eq "work")]`, vp("emails", not(comp("type", Eq, "work")))},
	{`emails[(type eq "work" or type eq "home") and primary eq true]`,
		vp("emails", and(or(comp("type", Eq, "work"), comp("type", Eq, "home")), comp("primary", Eq, true)))},
	{`emails[type eq "work" or type eq "home"]`, vp("emails", or(comp("type", Eq, "work"), comp("type", Eq, "home")))},
	{`emails[ type eq "work" ]`, vp("emails", comp("type", Eq, "work"))},
	{`members[value eq "2819c223"]`, vp("members", comp("value", Eq, "2819c223"))},
	{`members[$ref eq "https://x/Users/1"]`, vp("members", comp("$ref", Eq, "https://x/Users/1"))},
	{`roles[primary eq "True"]`, vp("roles", comp("primary", Eq, "True"))},
	{`not (emails[type eq "work"]) and emails[type eq "home"]`, and(not(vp("emails", comp("type", Eq, "work"))), vp("emails", comp("type", Eq, "home")))},

	// Entra ID's value path with a trailing sub-attribute, rewritten.
	{`emails[type eq "work"].value eq "a@b.c"`, vp("emails", and(comp("type", Eq, "work"), comp("value", Eq, "a@b.c")))},
	{`emails[type eq "work"].value pr`, vp("emails", and(comp("type", Eq, "work"), pr("value")))},
	{`emails[type eq "work" or type eq "home"].value co "@x"`,
		vp("emails", and(or(comp("type", Eq, "work"), comp("type", Eq, "home")), comp("value", Co, "@x")))},
	{`emails[type eq "work"].value eq "a@b.c" and userName pr`,
		and(vp("emails", and(comp("type", Eq, "work"), comp("value", Eq, "a@b.c"))), pr("userName"))},

	// Attribute paths.
	{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`,
		Compare{Path: AttrPath{URN: enterprise, Name: "employeeNumber"}, Op: Eq, Value: "701984"}},
	{`urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "Barbara"`,
		Compare{Path: AttrPath{URN: coreUser, Name: "name", Sub: "givenName"}, Op: Eq, Value: "Barbara"}},
	{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"`,
		Compare{Path: AttrPath{URN: enterprise, Name: "manager", Sub: "value"}, Op: Eq, Value: "x"}},
	{`urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"]`,
		ValuePath{Path: AttrPath{URN: coreUser, Name: "emails"}, Filter: comp("type", Eq, "work")}},
	{`members.$ref eq "x"`, comp("members.$ref", Eq, "x")},
	{`x-custom_attr1 pr`, pr("x-custom_attr1")},
	{`not eq "x"`, comp("not", Eq, "x")},
	{`not pr`, pr("not")},
	{`a pr or or pr`, or(pr("a"), pr("or"))},

	// String escapes, decoded.
	{`userName eq "\u0062jensen"`, comp("userName", Eq, "bjensen")},
	{`a eq "a\"b"`, comp("a", Eq, `a"b`)},
	{`a eq "tab\there"`, comp("a", Eq, "tab\there")},
	{`a eq "\\ \/ \b \f \n \r \t"`, comp("a", Eq, "\\ / \b \f \n \r \t")},
	{`a eq "\ud83d\ude00!"`, comp("a", Eq, "😀!")},
	{`a eq "\uD83D\uDE00"`, comp("a", Eq, "😀")},
	{`a eq "\ud800"`, comp("a", Eq, "\uFFFD")},
	{`a eq "\ud800\u0041"`, comp("a", Eq, "\uFFFDA")},
	{`a eq "\u00e9"`, comp("a", Eq, "é")},
	{`displayName eq "Zoë"`, comp("displayName", Eq, "Zoë")},
	{"a eq \"bad\xffbyte\"", comp("a", Eq, "bad\uFFFDbyte")},
	{`a eq ""`, comp("a", Eq, "")},
	{`a eq "a b"`, comp("a", Eq, "a b")},
	{`a eq "(x) [y] and or"`, comp("a", Eq, "(x) [y] and or")},
	{`displayName eq "Group & Co <x>"`, comp("displayName", Eq, "Group & Co <x>")},

	// Numbers, kept as written.
	{`a eq 0`, comp("a", Eq, num("0"))},
	{`a eq -1`, comp("a", Eq, num("-1"))},
	{`a gt 1.5`, comp("a", Gt, num("1.5"))},
	{`a lt 1e10`, comp("a", Lt, num("1e10"))},
	{`a le -0.5E-3`, comp("a", Le, num("-0.5E-3"))},
	{`a eq 12345678901234567890`, comp("a", Eq, num("12345678901234567890"))},

	// Unquoted words read as strings (Entra's legacy example).
	{`externalId eq jyoung`, comp("externalId", Eq, "jyoung")},
	{`userName eq bjensen@example.com and active eq true`, and(comp("userName", Eq, "bjensen@example.com"), comp("active", Eq, true))},
	{`emails[type eq work]`, vp("emails", comp("type", Eq, "work"))},
	{`a eq 01`, comp("a", Eq, "01")},
	{`a eq 1x`, comp("a", Eq, "1x")},
	{`a eq \u0062`, comp("a", Eq, `\u0062`)},
	{"a eq x\xff", comp("a", Eq, "x\uFFFD")},

	// Whitespace.
	{"  userName \t eq \n \"x\"  ", comp("userName", Eq, "x")},
	{`a eq"x"`, comp("a", Eq, "x")},
	{`a eq "x"and b pr`, and(comp("a", Eq, "x"), pr("b"))},
	{`a pr and(b pr)`, and(pr("a"), pr("b"))},
	{`(a pr)or(b pr)`, or(pr("a"), pr("b"))},

	// What IdPs send (see /work/shared/idp-behaviour.md).
	{`userName eq "1b1b4ebb-6b3a-4b2e-8ac8-6ab6b5e0d5f4"`, comp("userName", Eq, "1b1b4ebb-6b3a-4b2e-8ac8-6ab6b5e0d5f4")},
	{`displayName eq "Sales & Marketing"`, comp("displayName", Eq, "Sales & Marketing")},
	{`externalId eq "ae1a21ef" and userName eq "x@y.z"`, and(comp("externalId", Eq, "ae1a21ef"), comp("userName", Eq, "x@y.z"))},
	{`userName eq "user@domain.com"`, comp("userName", Eq, "user@domain.com")},
}

func TestParse(t *testing.T) {
	for _, tc := range validFilters {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Parse:\n got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range validFilters {
		t.Run(tc.in, func(t *testing.T) {
			e, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			s := e.String()
			again, err := Parse(s)
			if err != nil {
				t.Fatalf("Parse(%q): %v", s, err)
			}
			if !reflect.DeepEqual(again, e) {
				t.Fatalf("round trip through %q:\n got %#v\nwant %#v", s, again, e)
			}
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct{ in, want string }{
		{`USERNAME EQ "x"`, `USERNAME eq "x"`},
		{`a eq 1 or b eq 2 and c eq 3`, `a eq 1 or b eq 2 and c eq 3`},
		{`(a eq 1 or b eq 2) and c eq 3`, `(a eq 1 or b eq 2) and c eq 3`},
		{`a pr or (b pr or c pr)`, `a pr or (b pr or c pr)`},
		{`(a pr or b pr) or c pr`, `a pr or b pr or c pr`},
		{`a pr and (b pr and c pr)`, `a pr and (b pr and c pr)`},
		{`((a pr))`, `a pr`},
		{`not(a pr)`, `not (a pr)`},
		{`NOT (a pr and b pr)`, `not (a pr and b pr)`},
		{`a eq "tab\there"`, `a eq "tab\there"`},
		{`a eq "a\"b\\c\/d"`, `a eq "a\"b\\c/d"`},
		{`a eq "\u0001"`, `a eq "\u0001"`},
		{`userName eq "\u0062jensen"`, `userName eq "bjensen"`},
		{`displayName eq "Group & Co <x>"`, `displayName eq "Group & Co <x>"`},
		{`a eq TRUE or b eq Null`, `a eq true or b eq null`},
		{`a eq 1.5E3`, `a eq 1.5E3`},
		{`externalId eq jyoung`, `externalId eq "jyoung"`},
		{`emails[type eq "work"].value eq "a@b.c"`, `emails[type eq "work" and value eq "a@b.c"]`},
		{`emails[type eq "work" or type eq "home"].value co "@x"`, `emails[(type eq "work" or type eq "home") and value co "@x"]`},
		{`urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "B"`, `urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "B"`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			e, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := e.String(); got != tc.want {
				t.Fatalf("String() = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestStringPointers checks that nodes built by address print like values:
// other packages build trees by hand.
func TestStringPointers(t *testing.T) {
	c := &Compare{Path: AttrPath{Name: "a"}, Op: Eq, Value: "x"}
	e := &Or{Left: &And{Left: c, Right: &Not{X: c}}, Right: &ValuePath{Path: AttrPath{Name: "emails"}, Filter: c}}
	want := `a eq "x" and not (a eq "x") or emails[a eq "x"]`
	if got := e.String(); got != want {
		t.Fatalf("String() = %s, want %s", got, want)
	}
}

var invalidFilters = []struct {
	in      string
	wantPos int
	want    string // a further fragment of the detail
}{
	{``, 1, "empty"},
	{`   `, 4, "empty"},
	{`userName equals "x"`, 10, `expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr), found "equals"`},
	{`userName = "x"`, 10, `found "="`},
	{`userName=x`, 1, `invalid attribute path "userName=x"`},
	{`userName eq`, 12, "expected a value"},
	{`userName eq "x`, 13, "unterminated string"},
	{`userName eq "x\"`, 13, "unterminated string"},
	{`a eq "\x"`, 7, `invalid escape "\x"`},
	{`a eq "\u12"`, 7, `four hexadecimal digits`},
	{`a eq "\u12zz"`, 7, `four hexadecimal digits`},
	{`a eq "\`, 7, `incomplete escape`},
	{"a eq \"tab\there\"", 10, "control character"},
	{`a eq "x" b eq "y"`, 10, `expected "and", "or" or the end of the filter, found "b"`},
	{`(a pr`, 6, `to close the "(" at position 1, found the end of the filter`},
	{`((a pr) and b pr`, 17, `to close the "(" at position 1`},
	{`a pr)`, 5, `found ")"`},
	{`a pr and`, 9, "expected an attribute path"},
	{`a pr and )`, 10, `found ")"`},
	{`and a pr`, 5, `expected a comparison operator`},
	{`not a pr`, 5, `expected "(" after "not", found "a"`},
	{`not`, 4, `expected "(" after "not", found the end of the filter`},
	{`title pr "x"`, 10, `"pr" takes no value, found the string "x"`},
	{`title pr x`, 10, `"pr" takes no value`},
	{`emails[type eq "work"`, 22, `expected "and", "or" or "]" to close the "[" at position 7`},
	{`emails[type[value eq "x"]]`, 12, `cannot contain another "["`},
	{`emails[]`, 8, `expected an attribute path`},
	{`emails[type eq "work"]]`, 23, `found "]"`},
	{`name.givenName[x pr]`, 15, `must follow an attribute`},
	{`emails[type eq "work"].value`, 29, `expected a comparison operator`},
	{`emails[type eq "work"].`, 24, `expected a sub-attribute name`},
	{`emails[type eq "work"].value.x eq 1`, 24, `expected a sub-attribute name`},
	{`1abc eq "x"`, 1, `invalid attribute path "1abc"`},
	{`a.b.c eq "x"`, 1, `invalid attribute path`},
	{`a. eq 1`, 1, `invalid attribute path`},
	{`.a eq 1`, 1, `invalid attribute path`},
	{`a:b eq 1`, 1, `invalid attribute path`},
	{`urn:x eq 1`, 1, `invalid schema URN`},
	{`urn:a: eq 1`, 1, `invalid attribute path`},
	{`userName eq "x" and`, 20, `expected an attribute path`},
	{`a eq [`, 6, `expected a value (a string, number, true, false or null), found "["`},
	{`a gt`, 5, `expected a value`},
	{`a eq 1 (`, 8, `found "("`},
	{`displayName eq "Zoë" x`, 22, `found "x"`},
	{`a eq "x" or`, 12, `found the end of the filter`},
	{`[a pr]`, 1, `expected an attribute path`},
	{`"x" eq a`, 1, `found the string "x"`},
	{strings.Repeat("(", maxDepth+1) + "a pr" + strings.Repeat(")", maxDepth+1), maxDepth + 1, "nested more than 50 levels"},
	{strings.Repeat("not (", maxDepth+1) + "a pr" + strings.Repeat(")", maxDepth+1), 5*maxDepth + 5, "nested more than 50 levels"},
	{strings.Repeat("(", 1_000_000), maxDepth + 1, "nested more than 50 levels"},
	// Printed, the or-filter gains a pair of parentheses, one level too many.
	{strings.Repeat("(", maxDepth-1) + `emails[a pr or b pr].value pr` + strings.Repeat(")", maxDepth-1), maxDepth + len(`emails[a pr or b pr]`), "nested more than 50 levels"},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range invalidFilters {
		name := tc.in
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			e, err := Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse succeeded with %#v", e)
			}
			checkError(t, err, schema.InvalidFilter, tc.wantPos, tc.want)
		})
	}
}

// checkError checks that err is a *schema.Error of scimType whose detail
// names position pos and contains want.
func checkError(t *testing.T, err error, scimType string, pos int, want string) {
	t.Helper()
	var se *schema.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *schema.Error", err, err)
	}
	if se.ScimType != scimType || se.Status != 400 {
		t.Errorf("error %v: scimType %q status %d, want %q 400", err, se.ScimType, se.Status, scimType)
	}
	if prefix := "at position " + strconv.Itoa(pos) + ": "; !strings.HasPrefix(se.Detail, prefix) {
		t.Errorf("detail %q does not start with %q", se.Detail, prefix)
	}
	if !strings.Contains(se.Detail, want) {
		t.Errorf("detail %q does not contain %q", se.Detail, want)
	}
}

var validPaths = []struct {
	in   string
	want Path
}{
	{`emails[type eq "work"].value`, Path{Attr: ap("emails"), Filter: comp("type", Eq, "work"), Sub: "value"}},
	{`members[value eq "2819c223"]`, Path{Attr: ap("members"), Filter: comp("value", Eq, "2819c223")}},
	{`emails[type eq "other"].Value`, Path{Attr: ap("emails"), Filter: comp("type", Eq, "other"), Sub: "Value"}},
	{`roles[primary eq "True"].value`, Path{Attr: ap("roles"), Filter: comp("primary", Eq, "True"), Sub: "value"}},
	{`phoneNumbers[type eq "mobile"].value`, Path{Attr: ap("phoneNumbers"), Filter: comp("type", Eq, "mobile"), Sub: "value"}},
	{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`, Path{Attr: AttrPath{URN: enterprise, Name: "manager"}}},
	{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`, Path{Attr: AttrPath{URN: enterprise, Name: "manager", Sub: "value"}}},
	{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`, Path{Attr: AttrPath{URN: enterprise, Name: "employeeNumber"}}},
	{`name.familyName`, Path{Attr: ap("name.familyName")}},
	{`addresses[type eq "work"].postalCode`, Path{Attr: ap("addresses"), Filter: comp("type", Eq, "work"), Sub: "postalCode"}},
	{`userName`, Path{Attr: ap("userName")}},
	{`members`, Path{Attr: ap("members")}},
	{`members[value eq "a" or value eq "b"]`, Path{Attr: ap("members"), Filter: or(comp("value", Eq, "a"), comp("value", Eq, "b"))}},
	{`emails[type eq "work" and primary eq true].display`, Path{Attr: ap("emails"), Filter: and(comp("type", Eq, "work"), comp("primary", Eq, true)), Sub: "display"}},
	{`emails[not (type eq "work")]`, Path{Attr: ap("emails"), Filter: not(comp("type", Eq, "work"))}},
	{`members[value eq "\u0062"]`, Path{Attr: ap("members"), Filter: comp("value", Eq, "b")}},
	{`urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value`, Path{Attr: AttrPath{URN: coreUser, Name: "emails"}, Filter: comp("type", Eq, "work"), Sub: "value"}},
	{` name.givenName `, Path{Attr: ap("name.givenName")}},
	{`members.$ref`, Path{Attr: ap("members.$ref")}},
}

func TestParsePath(t *testing.T) {
	for _, tc := range validPaths {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParsePath(tc.in)
			if err != nil {
				t.Fatalf("ParsePath: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParsePath:\n got %#v\nwant %#v", got, tc.want)
			}
			again, err := ParsePath(got.String())
			if err != nil {
				t.Fatalf("ParsePath(%q): %v", got.String(), err)
			}
			if !reflect.DeepEqual(again, got) {
				t.Fatalf("round trip through %q:\n got %#v\nwant %#v", got.String(), again, got)
			}
		})
	}
}

func TestParsePathErrors(t *testing.T) {
	tests := []struct {
		in   string
		pos  int
		want string
	}{
		{``, 1, "expected an attribute path, found the end of the path"},
		{`emails[type eq "work"`, 22, `to close the "[" at position 7, found the end of the path`},
		{`emails[type eq "work"].`, 24, `expected a sub-attribute name`},
		{`emails[type eq "work"].value.x`, 24, `expected a sub-attribute name`},
		{`emails[type eq "work"]x`, 23, `expected "[" or the end of the path, found "x"`},
		{`emails[type eq "work"] x`, 24, `found "x"`},
		{`emails [type eq "work"]`, 8, `no space is allowed before "["`},
		{`name.givenName[x pr]`, 15, `must follow an attribute`},
		{`userName eq "x"`, 10, `found "eq"`},
		{`emails[type eq]`, 15, `expected a value`},
		{`emails[type[x pr]]`, 12, `cannot contain another "["`},
		{`1a`, 1, `invalid attribute path`},
		{`emails["work"]`, 8, `expected an attribute path, found the string "work"`},
		{`emails[type eq "a\q"]`, 18, `invalid escape`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			p, err := ParsePath(tc.in)
			if err == nil {
				t.Fatalf("ParsePath succeeded with %#v", p)
			}
			checkError(t, err, schema.InvalidPath, tc.pos, tc.want)
		})
	}
}

func TestParseAttrPath(t *testing.T) {
	valid := []struct {
		in   string
		want AttrPath
	}{
		{`userName`, AttrPath{Name: "userName"}},
		{`name.givenName`, AttrPath{Name: "name", Sub: "givenName"}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`, AttrPath{URN: enterprise, Name: "manager", Sub: "value"}},
		{`members.$ref`, AttrPath{Name: "members", Sub: "$ref"}},
	}
	for _, tc := range valid {
		got, err := ParseAttrPath(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseAttrPath(%q) = %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
		if got.String() != tc.in {
			t.Errorf("ParseAttrPath(%q).String() = %q", tc.in, got.String())
		}
	}
	invalid := []struct {
		in   string
		pos  int
		want string
	}{
		{``, 1, "expected an attribute path"},
		{`emails[type eq "work"]`, 7, `expected the end of the path, found "["`},
		{`a b`, 3, `found "b"`},
		{`a..b`, 1, `invalid attribute path`},
	}
	for _, tc := range invalid {
		_, err := ParseAttrPath(tc.in)
		if err == nil {
			t.Errorf("ParseAttrPath(%q) succeeded", tc.in)
			continue
		}
		checkError(t, err, schema.InvalidPath, tc.pos, tc.want)
	}
}
