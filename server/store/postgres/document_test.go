package postgres

import (
	"testing"

	"github.com/scimharness/scimharness/server/schema"
)

// storedUser is a user document as PostgreSQL's jsonb text output gives it
// back (keys sorted by length, ", " and ": " between items).
const storedUser = `{"id": "8f14e45fceea167a5a36dedd4bea2543", "meta": {"created": "2026-12-03T13:31:44.123Z", "version": "W/\"1\"", "location": "", "lastModified": "2026-12-03T13:31:44.123Z", "resourceType": "User"}, "name": {"givenName": "Given", "familyName": "Family42"}, "title": "Ingénieur \u00e9 \ud83d\ude00", "active": true, "emails": [{"type": "work", "value": "user0000042@example.com", "primary": true}], "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "user0000042@example.com", "externalId": "ext-0000042", "displayName": "User 42", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": null, "employeeNumber": "42"}}`

// TestDecodeAllocations bounds what reading a stored user back costs
// (every lookup does it once per user of the page): the map of each object,
// the slice of each array, one string per string without escapes, and the
// boxes of the values: 62 for this user; encoding/json's Decoder took 95.
func TestDecodeAllocations(t *testing.T) {
	users, _ := schema.Default().ResourceType("User")
	data := []byte(storedUser)
	n := testing.AllocsPerRun(100, func() {
		if _, err := decode(users, data); err != nil {
			t.Fatal(err)
		}
	})
	if n > 64 {
		t.Errorf("decode of a stored user: %.0f allocations, want ≤ 64", n)
	}
}

// BenchmarkDecode reads a stored user back: "encoding/json" is the path
// decode took before wire.ParseObject, "wire.ParseObject" the one it takes.
func BenchmarkDecode(b *testing.B) {
	users, _ := schema.Default().ResourceType("User")
	data := []byte(storedUser)
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			doc, err := decodeJSON(data)
			if err != nil {
				b.Fatal(err)
			}
			typedDoc(users, doc)
		}
	})
	b.Run("wire.ParseObject", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decode(users, data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
