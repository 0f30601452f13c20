package schema

import (
	"encoding/json"
	"reflect"
	"testing"
	"unsafe"
)

// TestOwnedCopy: the copy equals the value, shares no string with it, and
// holds its strings in one block; DeepCopy shares them. Neither shares a
// map or slice with the value.
func TestOwnedCopy(t *testing.T) {
	doc := map[string]any{}
	if err := json.Unmarshal([]byte(`{"userName":"ada@example.com","active":true,"name":{"givenName":"Ada","familyName":""},
		"emails":[{"value":"ada@example.com","primary":true},{"value":"ada@home.example","type":"home"}],"tags":["a","bc",""],"none":null}`), &doc); err != nil {
		t.Fatal(err)
	}
	var strs func(v any, fn func(string))
	strs = func(v any, fn func(string)) {
		switch t := v.(type) {
		case map[string]any:
			for _, x := range t {
				strs(x, fn)
			}
		case []any:
			for _, x := range t {
				strs(x, fn)
			}
		case string:
			if t != "" {
				fn(t)
			}
		}
	}
	var in []string
	strs(doc, func(s string) { in = append(in, s) })

	owned := OwnedCopy(doc).(map[string]any)
	if !reflect.DeepEqual(owned, doc) {
		t.Fatalf("OwnedCopy = %v, want %v", owned, doc)
	}
	// One block: the copy's strings lie within n bytes, n the length of
	// them all, from the lowest of them.
	n := stringBytes(doc)
	var lo, hi uintptr
	strs(owned, func(s string) {
		for _, x := range in {
			if unsafe.StringData(s) == unsafe.StringData(x) {
				t.Errorf("OwnedCopy shares %q with the value", s)
			}
		}
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		if lo == 0 || p < lo {
			lo = p
		}
		hi = max(hi, p+uintptr(len(s)))
	})
	if hi-lo != uintptr(n) {
		t.Errorf("the copy's strings span %d bytes, not one block of %d", hi-lo, n)
	}
	owned["name"].(map[string]any)["givenName"] = "changed"
	owned["emails"].([]any)[0] = nil
	if doc["name"].(map[string]any)["givenName"] != "Ada" || doc["emails"].([]any)[0] == nil {
		t.Error("a change to the owned copy reached the value")
	}

	shared := DeepCopy(doc).(map[string]any)
	if !reflect.DeepEqual(shared, doc) {
		t.Fatalf("DeepCopy = %v, want %v", shared, doc)
	}
	if unsafe.StringData(shared["userName"].(string)) != unsafe.StringData(doc["userName"].(string)) {
		t.Error("DeepCopy copied a string")
	}
	shared["tags"].([]any)[0] = "changed"
	if doc["tags"].([]any)[0] != "a" {
		t.Error("a change to the deep copy reached the value")
	}
}
