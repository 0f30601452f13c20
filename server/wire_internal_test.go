package server

import "testing"

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
