package server

import (
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/scimharness/scimharness/wire"
)

func TestDuplicateKey(t *testing.T) {
	tests := []struct {
		body string
		key  string
		dup  bool
	}{
		{`{"a":1,"b":2}`, "", false},
		{`{"a":1,"a":2}`, "a", true},
		{`{"a":1,"A":2}`, "", false}, // case is the schema's business
		{`{"a":{"b":1},"c":{"b":2}}`, "", false},
		{`{"a":{"b":1,"b":2}}`, "b", true},
		{`{"a":[{"v":1},{"v":2}],"b":"a"}`, "", false},
		{`{"a":[{"v":1,"v":2}]}`, "v", true},
		{`{"a":["a","a"],"b":[["b"],"b"]}`, "", false},
		{`{"Operations":[{"op":"add","value":{"x":1}}],"op":1}`, "", false},
		{`{"a":1,"b":{"c":[1,{"d":2}]},"a":3}`, "a", true},
		{`{"a":`, "", false}, // malformed: left to the decoder
	}
	for _, tc := range tests {
		k, dup := duplicateKey([]byte(tc.body))
		if dup != tc.dup || k != tc.key {
			t.Errorf("duplicateKey(%s) = %q, %v; want %q, %v", tc.body, k, dup, tc.key, tc.dup)
		}
	}
}

// FuzzParseObject: a body that wire.ParseObject reads in one pass is one
// that the strict path (token walk and encoding/json) accepts too, read to
// the same document; so the fast path neither lets a repeated key through
// nor reads a body otherwise.
func FuzzParseObject(f *testing.F) {
	for _, tc := range []string{`{"a":1,"a":2}`, `{"a":{"b":1,"b":2}}`, `{"a":[{"v":1,"v":2}]}`, `{"userName":"bjensen","emails":[{"value":"b@example.com"}]}`, `{"a":1.5e3,"b":null,"c":[true,false]}`} {
		f.Add([]byte(tc))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !utf8.Valid(raw) {
			return
		}
		got, fast := wire.ParseObject(raw)
		if !fast {
			return
		}
		want, err := decodeStrict(raw)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: ParseObject = %#v, strict path = %#v, %v", raw, got, want, err)
		}
	})
}
