package postgres

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/wire"
)

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
	doc, ok := wire.ParseObject(data)
	if !ok {
		var err error
		if doc, err = decodeJSON(data); err != nil {
			return nil, err
		}
	}
	return typedDoc(rt, doc), nil
}

// decodeJSON is wire.ParseObject by encoding/json: the path of what it
// does not read, so that such text is read, or refused, as it always was.
func decodeJSON(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("postgres store: a stored document is not a JSON object: %w", err)
	}
	return doc, nil
}

// typedDoc converts the json.Numbers of doc as the schema types them.
func typedDoc(rt *schema.ResourceType, doc map[string]any) map[string]any {
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
	return doc
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
