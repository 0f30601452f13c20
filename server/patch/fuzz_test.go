package patch

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/scimharness/scimharness/server/schema"
)

// FuzzApply feeds arbitrary PATCH bodies to ParseRequest and Apply against a
// fixed user: no panic, every error a 400 *schema.Error with a scimType, the
// input untouched, and every result canonical (rt.Normalize leaves it
// unchanged) and valid (rt.Validate).
func FuzzApply(f *testing.F) {
	for _, c := range applyCases {
		if c.group {
			continue
		}
		if c.raw != "" {
			f.Add(c.raw)
		} else {
			f.Add(body(c.ops))
		}
	}
	f.Add(`{"Operations":[{"op":"add","path":"emails[type eq \"work\" and primary eq true].display","value":"x"}]}`)
	f.Add(`{"Operations":[{"op":"replace","path":"emails[not (type eq \"work\")]","value":{"primary":true}}]}`)
	f.Add(`{"Operations":[{"op":"add","value":{"emails[type eq \"home\"].value":"h@example.com"}}]}`)

	rt := resourceType(f, "User")
	base := canonical(f, rt, baseUser)
	f.Fuzz(func(t *testing.T, text string) {
		d := json.NewDecoder(bytes.NewReader([]byte(text)))
		d.UseNumber()
		var v any
		if d.Decode(&v) != nil {
			return
		}
		req, ok := v.(map[string]any)
		if !ok {
			return
		}
		ops, err := ParseRequest(req)
		if err != nil {
			mustSCIM(t, err)
			return
		}
		doc := schema.CopyDoc(base)
		got, err := Apply(rt, doc, ops)
		if !schema.Equal(doc, base) {
			t.Fatalf("the input document changed")
		}
		if err != nil {
			mustSCIM(t, err)
			return
		}
		again, err := rt.Normalize(got)
		if err != nil {
			t.Fatalf("the result does not normalise: %v\n%s", err, pretty(got))
		}
		if !schema.Equal(again, got) {
			t.Fatalf("the result is not canonical:\n%s\nnormalised:\n%s", pretty(got), pretty(again))
		}
		// Issue 14, #3: what a PATCH leaves is an instance of the schema.
		if err := rt.Validate(got); err != nil {
			t.Fatalf("the result does not validate against the User schema: %v\n%s", err, pretty(got))
		}
	})
}

func mustSCIM(t *testing.T, err error) {
	t.Helper()
	var se *schema.Error
	if !errors.As(err, &se) || err != error(se) {
		t.Fatalf("error %T is not a *schema.Error: %v", err, err)
	}
	if se.Status != 400 || se.ScimType == "" {
		t.Fatalf("error is not a 400 with a scimType: %v", err)
	}
}
