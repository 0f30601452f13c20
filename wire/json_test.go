package wire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// storedUser is a user document as PostgreSQL's jsonb text output gives it
// back (keys sorted by length, ", " and ": " between items).
const storedUser = `{"id": "8f14e45fceea167a5a36dedd4bea2543", "meta": {"created": "2026-12-03T13:31:44.123Z", "version": "W/\"1\"", "location": "", "lastModified": "2026-12-03T13:31:44.123Z", "resourceType": "User"}, "name": {"givenName": "Given", "familyName": "Family42"}, "title": "Ingénieur \u00e9 \ud83d\ude00", "active": true, "emails": [{"type": "work", "value": "user0000042@example.com", "primary": true}], "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "user0000042@example.com", "externalId": "ext-0000042", "displayName": "User 42", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": null, "employeeNumber": "42"}}`

// decodeJSON is the path ParseObject must agree with: encoding/json's
// Decoder with UseNumber, one value.
func decodeJSON(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// TestParseObjectReadsAsEncodingJSON: ParseObject gives what encoding/json
// gives, or hands the text over to it.
func TestParseObjectReadsAsEncodingJSON(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		fast       bool // ParseObject reads it itself
	}{
		{"a stored user", storedUser, true},
		{"empty", `{}`, true},
		{"nested and empty values", ` { "a" : [ ] , "b" : { } , "c" : [ [ 1 , -0.5e+3 , 0 ] , null , false ] } `, true},
		{"numbers", `{"i": 9007199254740993, "f": 1.25, "e": 1E-7, "z": -0, "big": 123456789012345678901234567890}`, true},
		{"escapes", `{"s": "\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u20ac"}`, true},
		{"a surrogate pair", `{"s": "\ud83d\ude00"}`, true},
		{"a lone high surrogate", `{"s": "a\ud83db"}`, true},
		{"a lone low surrogate", `{"s": "\ude00"}`, true},
		{"two high surrogates", `{"s": "\ud83d\ud83d\ude00"}`, true},
		{"invalid UTF-8", "{\"s\": \"a\xffb\xc3\"}", true},
		{"multi-byte text", `{"s": "日本語 ſ K"}`, true},
		{"keys differing in case", `{"a": 1, "A": 2}`, true},
		{"a repeated key", `{"a": 1, "a": 2}`, false},
		{"a repeated key in a nested object", `{"a": {"b": 1, "c": [{"d": 1, "d": 1}]}}`, false},
		{"not an object", `[1]`, false},
		{"null", `null`, false},
		{"text after the object", `{"a": 1} {"b": 2}`, false},
		{"a trailing comma", `{"a": 1,}`, false},
		{"a leading zero", `{"a": 01}`, false},
		{"a control character", "{\"a\": \"x\ny\"}", false},
		{"a bad escape", `{"a": "\x"}`, false},
		{"truncated", `{"a": [1, 2`, false},
		{"a bare word", `{"a": nul}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, fast := ParseObject([]byte(tc.text))
			if fast != tc.fast {
				t.Fatalf("ParseObject read it: %v, want %v", fast, tc.fast)
			}
			want, err := decodeJSON([]byte(tc.text))
			if fast && (err != nil || !reflect.DeepEqual(got, want)) {
				t.Fatalf("ParseObject = %#v\nencoding/json = %#v, %v", got, want, err)
			}
		})
	}
}

// FuzzParseObject: on any text, ParseObject either hands it over or reads
// exactly what encoding/json reads.
func FuzzParseObject(f *testing.F) {
	for _, s := range []string{storedUser, `{"a": [1, "\ud83d", {"b": null}]}`, "{\"s\": \"\xff\"}", `{"a": 1e5}`, `{"a": {"a": 1}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, fast := ParseObject(data)
		if !fast {
			return
		}
		want, err := decodeJSON(data)
		if err != nil || !reflect.DeepEqual(any(got), want) {
			t.Fatalf("%q: ParseObject = %#v\nencoding/json = %#v, %v", data, got, want, err)
		}
	})
}
