package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// listPage is a ListResponse of n users as render makes them: Entra's
// attributes, the enterprise extension, meta.
func listPage(tb testing.TB, n int) listResponse {
	tb.Helper()
	rt, _ := schema.Default().ResourceType("User")
	resources := make([]any, n)
	for i := range n {
		doc, err := rt.Normalize(map[string]any{
			"schemas":              []any{scim.UserURN, scim.EnterpriseUserURN},
			"userName":             fmt.Sprintf("user%d@example.com", i),
			"externalId":           fmt.Sprintf("ext-%d", i),
			"active":               true,
			"name":                 map[string]any{"givenName": "Given", "familyName": fmt.Sprintf("Family%d", i), "formatted": "Given Family"},
			"emails":               []any{map[string]any{"value": fmt.Sprintf("user%d@example.com", i), "type": "work", "primary": true}},
			"addresses":            []any{map[string]any{"type": "work", "streetAddress": "1 Main St", "locality": "Springfield", "country": "US"}},
			scim.EnterpriseUserURN: map[string]any{"department": "R&D", "employeeNumber": fmt.Sprint(i)},
		})
		if err != nil {
			tb.Fatal(err)
		}
		now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
		doc = store.WithMeta(doc, "User", fmt.Sprintf("id-%d", i), 1, now, now)
		out := rt.Project(doc, rt.NewProjection(nil, nil))
		out["schemas"] = rt.SchemasOf(out)
		resources[i] = schema.Ordered{Type: rt, Doc: out}
	}
	return newListResponse(n, 1, resources)
}

// BenchmarkEncodeListPage is the JSON encoding of a list page (issue 8):
// the server's writeJSON (schema.AppendJSON into a pooled buffer) against
// encoding/json writing the same documents as plain maps (its own key
// order, and its reflection), at 1 and 100 users a page.
//
//	go test -run '^$' -bench EncodeListPage -benchmem ./server/
func BenchmarkEncodeListPage(b *testing.B) {
	for _, n := range []int{1, 100} {
		page := listPage(b, n)
		b.Run(fmt.Sprintf("page=%d/writeJSON", n), func(b *testing.B) {
			b.ReportAllocs()
			w := httptest.NewRecorder()
			for b.Loop() {
				w.Body.Reset()
				writeJSON(w, 200, page)
			}
			b.SetBytes(int64(w.Body.Len()))
		})
		plain := page
		plain.Resources = make([]any, len(page.Resources))
		for i, r := range page.Resources {
			plain.Resources[i] = r.(schema.Ordered).Doc
		}
		b.Run(fmt.Sprintf("page=%d/encoding-json", n), func(b *testing.B) {
			b.ReportAllocs()
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				enc := json.NewEncoder(&buf)
				enc.SetEscapeHTML(false)
				if err := enc.Encode(plain); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(buf.Len()))
		})
	}
}

// The page writeJSON writes is the page encoding/json writes.
func TestWriteJSONMatchesEncodingJSON(t *testing.T) {
	page := listPage(t, 3)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(page); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	writeJSON(w, 200, page)
	if w.Body.String() != buf.String() {
		t.Errorf("writeJSON:\n%s\nencoding/json:\n%s", w.Body, buf.String())
	}
}
