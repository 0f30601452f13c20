package postgres

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/scimharness/scimharness/server/schema"
)

// TimeFormat is the layout of meta.created and meta.lastModified, the
// memory store's: UTC with exactly three fractional digits, so that the
// text order of two stamps is their time order.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// newID returns a random (version 4) UUID; see the memory store for why
// crypto/rand.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// etag is the weak entity tag that meta.version carries (RFC 7644 §3.14).
func etag(version int64) string {
	return `W/"` + strconv.FormatInt(version, 10) + `"`
}

func stamp(t time.Time) string { return t.UTC().Format(TimeFormat) }

// withMeta returns a shallow copy of doc with the store-owned "id" and
// "meta" written over whatever the caller put there.
func withMeta(doc map[string]any, rtID, id string, version int64, created, modified time.Time) map[string]any {
	out := make(map[string]any, len(doc)+2)
	for k, v := range doc {
		out[k] = v
	}
	out["id"] = id
	out["meta"] = metaOf(rtID, version, created, modified)
	return out
}

func metaOf(rtID string, version int64, created, modified time.Time) map[string]any {
	return map[string]any{
		"resourceType": rtID,
		"created":      stamp(created),
		"lastModified": stamp(modified),
		"version":      etag(version),
	}
}

// encode returns the JSON text the store keeps for doc. A value JSON cannot
// carry (NaN) is the client's invalid value, not an internal error.
func encode(doc map[string]any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, schema.Errorf(schema.InvalidValue, "the resource cannot be stored as JSON: %v", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// decode reads a stored document back into the Go types of package schema:
// JSON numbers become int64 for integer attributes and float64 for decimal
// ones, as Normalize produced them, so that a document read back equals the
// one stored. Numbers the schema does not type become int64 when integral,
// else float64.
func decode(rt *schema.ResourceType, data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("postgres store: a stored document is not a JSON object: %w", err)
	}
	for k, v := range doc {
		if ext := extension(rt, k); ext != nil {
			if obj, ok := v.(map[string]any); ok {
				for kk, vv := range obj {
					obj[kk] = typed(vv, ext.Attr(kk))
				}
				continue
			}
		}
		doc[k] = typed(v, topAttr(rt, k))
	}
	return doc, nil
}

// extension returns the extension schema whose id is the document key k.
func extension(rt *schema.ResourceType, k string) *schema.Schema {
	if rt == nil {
		return nil
	}
	for _, e := range rt.Extensions() {
		if e.ID == k {
			return e
		}
	}
	return nil
}

func topAttr(rt *schema.ResourceType, name string) *schema.Attribute {
	if rt == nil {
		return schema.Common(name)
	}
	if a := rt.Core().Attr(name); a != nil {
		return a
	}
	return schema.Common(name)
}

// typed converts the json.Numbers in v, a value of attribute a (nil when
// the schema does not know it); the elements of an array are values of a
// too, the members of an object values of a's sub-attributes.
func typed(v any, a *schema.Attribute) any {
	switch t := v.(type) {
	case json.Number:
		return number(t, a)
	case []any:
		for i := range t {
			t[i] = typed(t[i], a)
		}
	case map[string]any:
		for k, x := range t {
			var sub *schema.Attribute
			if a != nil {
				sub = a.Sub(k)
			}
			t[k] = typed(x, sub)
		}
	}
	return v
}

func number(n json.Number, a *schema.Attribute) any {
	if a == nil || a.Type != schema.TypeDecimal {
		if i, err := n.Int64(); err == nil {
			return i
		}
	}
	if f, err := n.Float64(); err == nil {
		return f
	}
	return n.String()
}
