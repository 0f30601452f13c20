package patch

import (
	"fmt"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/server/schema"
)

func TestParseRequest(t *testing.T) {
	many := make([]string, MaxOperations+1)
	for i := range many {
		many[i] = `{"op":"remove","path":"title"}`
	}
	tooMany := body("[" + strings.Join(many, ",") + "]")

	cases := []struct {
		name   string
		body   string
		want   []Operation // when err is ""
		err    string
		detail string
	}{
		{name: "RFC shape", body: body(`[{"op":"add","path":"title","value":"x"}]`),
			want: []Operation{{Op: "add", Path: "title", Value: "x"}}},
		{name: "schemas missing is tolerated", body: `{"Operations":[{"op":"remove","path":"title"}]}`,
			want: []Operation{{Op: "remove", Path: "title"}}},
		{name: "schemas empty is tolerated", body: `{"schemas":[],"Operations":[{"op":"remove","path":"title"}]}`,
			want: []Operation{{Op: "remove", Path: "title"}}},
		{name: "schemas as a lone string", body: `{"schemas":"urn:ietf:params:scim:api:messages:2.0:PatchOp","Operations":[{"op":"remove","path":"title"}]}`,
			want: []Operation{{Op: "remove", Path: "title"}}},
		{name: "schemas with an extra URN", body: `{"schemas":["urn:x","URN:IETF:PARAMS:SCIM:API:MESSAGES:2.0:PATCHOP"],"Operations":[{"op":"remove","path":"title"}]}`,
			want: []Operation{{Op: "remove", Path: "title"}}},
		{name: "member names in any case", body: `{"SCHEMAS":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"operations":[{"OP":"Replace","Path":"active","VALUE":"False"}]}`,
			want: []Operation{{Op: "Replace", Path: "active", Value: "False"}}},
		{name: "op kept in the client's case, unknown members ignored", body: body(`[{"op":"ADD","path":"title","value":"x","comment":"hi"}]`),
			want: []Operation{{Op: "ADD", Path: "title", Value: "x"}}},
		{name: "null path is no path", body: body(`[{"op":"replace","path":null,"value":{"active":false}}]`),
			want: []Operation{{Op: "replace", Value: map[string]any{"active": false}}}},
		{name: "remove needs no value", body: body(`[{"op":"remove","path":"members[value eq \"u1\"]"}]`),
			want: []Operation{{Op: "remove", Path: `members[value eq "u1"]`}}},
		{name: "explicit null value is kept", body: body(`[{"op":"replace","path":"title","value":null}]`),
			want: []Operation{{Op: "replace", Path: "title"}}},

		{name: "schemas without PatchOp", body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"Operations":[{"op":"remove","path":"title"}]}`,
			err: schema.InvalidSyntax, detail: "PatchOp"},
		{name: "schemas not a list", body: `{"schemas":5,"Operations":[{"op":"remove","path":"title"}]}`, err: schema.InvalidSyntax},
		{name: "no Operations", body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`, err: schema.InvalidSyntax, detail: "Operations"},
		{name: "Operations twice", body: `{"Operations":[{"op":"remove","path":"title"}],"operations":[]}`, err: schema.InvalidSyntax},
		{name: "Operations not an array", body: `{"Operations":{"op":"remove","path":"title"}}`, err: schema.InvalidSyntax},
		{name: "Operations empty", body: body(`[]`), err: schema.InvalidSyntax},
		{name: "operation not an object", body: body(`[{"op":"remove","path":"title"},"remove"]`), err: schema.InvalidSyntax, detail: "operation 2"},
		{name: "op missing", body: body(`[{"path":"title","value":"x"}]`), err: schema.InvalidSyntax, detail: "operation 1"},
		{name: "op not a string", body: body(`[{"op":1,"path":"title","value":"x"}]`), err: schema.InvalidSyntax},
		{name: "unknown op", body: body(`[{"op":"remove","path":"title"},{"op":"foo","path":"title"}]`),
			err: schema.InvalidSyntax, detail: `unknown op "foo" in operation 2`},
		{name: "path not a string", body: body(`[{"op":"remove","path":["title"]}]`), err: schema.InvalidSyntax},
		{name: "op given twice", body: body(`[{"op":"remove","Op":"add","path":"title"}]`), err: schema.InvalidSyntax},
		{name: "add without value", body: body(`[{"op":"add","path":"title"}]`), err: schema.InvalidValue, detail: "operation 1 (add title)"},
		{name: "too many operations", body: tooMany, err: schema.TooMany},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parse(t, c.body)
			if c.err != "" {
				if err == nil {
					t.Fatalf("want a %s error, got %+v", c.err, got)
				}
				if st := scimType(err); st != c.err {
					t.Fatalf("scimType = %s, want %s (%v)", st, c.err, err)
				}
				if d := err.(*schema.Error).Detail; !strings.Contains(d, c.detail) {
					t.Fatalf("detail %q does not contain %q", d, c.detail)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
	if _, err := ParseRequest(nil); scimType(err) != schema.InvalidSyntax {
		t.Fatalf("nil body: %v", err)
	}
}
