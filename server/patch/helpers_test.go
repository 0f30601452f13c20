package patch

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/schema"
)

const enterprise = scim.EnterpriseUserURN

// baseUser is the starting user of the tests: name, work (primary) and home
// emails, a primary role, and the enterprise extension with a manager.
const baseUser = `{
	"userName": "bjensen@example.com",
	"externalId": "ext-1",
	"displayName": "Babs Jensen",
	"active": true,
	"name": {"givenName": "Barbara", "familyName": "Jensen", "formatted": "Barbara Jensen"},
	"emails": [
		{"value": "bjensen@example.com", "type": "work", "primary": true},
		{"value": "babs@home.example", "type": "home"}
	],
	"roles": [{"value": "User", "display": "User", "primary": true}],
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
		"employeeNumber": "701984",
		"department": "Tour Operations",
		"manager": {"value": "mgr-1", "$ref": "../Users/mgr-1"}
	}
}`

// baseGroup is the starting group: three members, one with a type.
const baseGroup = `{
	"displayName": "Admins",
	"members": [
		{"value": "u1", "display": "Alice", "type": "User"},
		{"value": "u2", "display": "Bob"},
		{"value": "u3"}
	]
}`

func resourceType(tb testing.TB, id string) *schema.ResourceType {
	tb.Helper()
	rt, ok := schema.Default().ResourceType(id)
	if !ok {
		tb.Fatalf("no resource type %s", id)
	}
	return rt
}

// decode reads JSON as the server does: numbers kept as json.Number.
func decode(tb testing.TB, s string) any {
	tb.Helper()
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		tb.Fatalf("bad JSON in test: %v\n%s", err, s)
	}
	return v
}

// canonical decodes a document and normalises it for rt.
func canonical(tb testing.TB, rt *schema.ResourceType, s string) map[string]any {
	tb.Helper()
	doc, err := rt.Normalize(decode(tb, s).(map[string]any))
	if err != nil {
		tb.Fatalf("normalising a test document: %v", err)
	}
	return doc
}

// body wraps an Operations array in a PatchOp request, as IdPs send it.
func body(ops string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":` + ops + `}`
}

// parse runs the wire path: JSON text, UseNumber, ParseRequest.
func parse(tb testing.TB, text string) ([]Operation, error) {
	tb.Helper()
	return ParseRequest(decode(tb, text).(map[string]any))
}

func scimType(err error) string {
	var se *schema.Error
	if errors.As(err, &se) {
		return se.ScimType
	}
	return "<not a *schema.Error: " + err.Error() + ">"
}

func pretty(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// Helpers for the edit functions of the table: they reach into a copy of
// the base document.

func ext(d map[string]any) map[string]any {
	m, _ := d[enterprise].(map[string]any)
	if m == nil {
		m = map[string]any{}
		d[enterprise] = m
	}
	return m
}

func sub(d map[string]any, attr string) map[string]any {
	m, _ := d[attr].(map[string]any)
	return m
}

func elem(d map[string]any, attr string, i int) map[string]any {
	return d[attr].([]any)[i].(map[string]any)
}

func appendElem(d map[string]any, attr string, el map[string]any) {
	arr, _ := d[attr].([]any)
	d[attr] = append(arr, el)
}

func obj(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}
