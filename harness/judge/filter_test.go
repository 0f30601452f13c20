package judge_test

import (
	"testing"

	"github.com/scimharness/scimharness/harness/judge"
)

const listURN = `"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"]`

func TestMatchesNone(t *testing.T) {
	listVoice := acme
	listVoice.ListURN = true
	e := listVoice.MatchesNone(judge.Text(`externalId eq "x-${prefix}"`), "user", "before Acme creates it")
	cases := []struct {
		name   string
		status int
		body   string
		want   []string
	}{
		{"empty list", 200, `{` + listURN + `,"totalResults":0,"Resources":[]}`, nil},
		{"404", 404, `{}`, []string{"answered 404", `externalId eq "x-run1"`, "before Acme creates it"}},
		{"500", 500, `{}`, []string{"got 500"}},
		{"no ListResponse URN", 200, `{"schemas":[],"totalResults":0}`, []string{"lack"}},
		{"ignored filter", 200, `{` + listURN + `,"totalResults":1,"Resources":[{"id":"7","displayName":"G"}]}`, []string{"ignored the filter", "[G]", "adopt that account"}},
		{"string total", 200, `{` + listURN + `,"totalResults":"0"}`, []string{"not a JSON number"}},
	}
	for _, tc := range cases {
		expect(t, tc.name, verdict(t, e, answer(tc.status, tc.body)), tc.want...)
	}
}

func TestMatchesOne(t *testing.T) {
	listVoice := acme
	listVoice.ListURN = true
	e := listVoice.MatchesOne(judge.Text(`userName eq "a"`), "user", "u1_id", ": Acme duplicates it", ": Acme updates the wrong one")
	one := `{` + listURN + `,"totalResults":1,"Resources":[{"id":"42"}]}`
	cases := []struct {
		name   string
		status int
		body   string
		want   []string
	}{
		{"exactly it", 200, one, nil},
		{"nothing", 200, `{` + listURN + `,"totalResults":0}`, []string{"found nobody", "id 42", "Acme duplicates it"}},
		{"another", 200, `{` + listURN + `,"totalResults":1,"Resources":[{"id":"9"}]}`, []string{`found id "9", not the user created (42)`, "wrong one"}},
		{"two", 200, `{` + listURN + `,"totalResults":2,"Resources":[{"id":"42"},{"id":"9"}]}`, []string{"totalResults 2"}},
		{"404", 404, `{}`, []string{"got 404"}},
	}
	for _, tc := range cases {
		expect(t, tc.name, verdict(t, e, answer(tc.status, tc.body)), tc.want...)
	}
}

func TestErrorBody(t *testing.T) {
	e := plain.ErrorBody("Plain logs it")
	cases := []struct {
		name   string
		status int
		body   string
		want   []string
	}{
		{"success is not judged", 200, `oops`, nil},
		{"SCIM error", 409, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409"}`, nil},
		{"HTML", 400, `<html>`, []string{"answered 400 without a SCIM error body", "Plain logs it"}},
		{"JSON without URN", 500, `{"error":"x"}`, []string{"without a SCIM error body"}},
	}
	for _, tc := range cases {
		expect(t, tc.name, verdict(t, e, answer(tc.status, tc.body)), tc.want...)
	}
}
