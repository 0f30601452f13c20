package filter

import (
	"errors"
	"reflect"
	"testing"

	"github.com/scimharness/scimharness/server/schema"
)

// fuzzSeeds are filters from RFC 7644 and from what IdPs send
// (/work/shared/idp-behaviour.md), plus the tolerances and edge cases of the
// grammar.
var fuzzSeeds = []string{
	`userName eq "1b1b4ebb-6b3a-4b2e-8ac8-6ab6b5e0d5f4"`,
	`userName eq "user@domain.com"`,
	`externalId eq jyoung`,
	`externalId eq "ae1a21ef" and userName eq "x@y.z"`,
	`displayName eq "Sales & Marketing"`,
	`emails[type eq "work"].value eq "a@b.c"`,
	`USERNAME EQ "x"`,
	`username Eq "x"`,
	`ExternalId eq "E1"`,
	`roles[primary eq "True"].value eq "Admin"`,
	`name.familyName co "O'Malley"`,
	`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`,
	`title pr and userType eq "Employee"`,
	`meta.lastModified gt "2011-05-13T04:42:34Z"`,
	`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
	`userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
	`emails[type eq "work" and value co "@x" and primary eq true]`,
	`emails[not (type eq "work")]`,
	`emails[(type eq "work" or type eq "home") and primary eq true]`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`,
	`members[value eq "2819c223"]`,
	`members.$ref pr`,
	`a eq 1 or b eq 2 and c eq 3`,
	`(a pr or b pr) and not (c le -1.5e3)`,
	`userName eq "\u0062jensen"`,
	`a eq "a\"b" or b eq "tab\there" or c eq "\ud83d\ude00"`,
	`a eq null or b ne TRUE or c eq false`,
	`not(a pr)`,
	`not eq "x"`,
	`emails[type eq "work"`,
	`a eq "\x"`,
	`((((a pr))))`,
	"a eq \"\xff\"",
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			checkFuzzError(t, err, schema.InvalidFilter)
			return
		}
		printed := e.String()
		again, err := Parse(printed)
		if err != nil {
			t.Fatalf("Parse(%q) gave %#v, whose String %q does not parse: %v", s, e, printed, err)
		}
		if !reflect.DeepEqual(again, e) {
			t.Fatalf("Parse(%q) = %#v, but Parse(%q) = %#v", s, e, printed, again)
		}
	})
}

var pathSeeds = []string{
	`emails[type eq "work"].value`,
	`members[value eq "2819c223"]`,
	`emails[type eq "other"].Value`,
	`roles[primary eq "True"].value`,
	`phoneNumbers[type eq "mobile"].value`,
	`addresses[type eq "work"].postalCode`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`,
	`name.familyName`,
	`members`,
	`members[value eq "a" or not (value sw "b")]`,
	`emails[type eq "work"`,
	`emails[type eq "work"].`,
}

func FuzzParsePath(f *testing.F) {
	for _, s := range pathSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			checkFuzzError(t, err, schema.InvalidPath)
			return
		}
		printed := p.String()
		again, err := ParsePath(printed)
		if err != nil {
			t.Fatalf("ParsePath(%q) gave %#v, whose String %q does not parse: %v", s, p, printed, err)
		}
		if !reflect.DeepEqual(again, p) {
			t.Fatalf("ParsePath(%q) = %#v, but ParsePath(%q) = %#v", s, p, printed, again)
		}
	})
}

func checkFuzzError(t *testing.T, err error, scimType string) {
	t.Helper()
	var se *schema.Error
	if !errors.As(err, &se) || se.ScimType != scimType {
		t.Fatalf("error %v (%T) is not a *schema.Error with scimType %s", err, err, scimType)
	}
}
