package schema

import (
	"bytes"
	"encoding/json"
	"sort"
)

// Ordered marshals a resource document with its keys in the order of the
// RFC 7643 examples — schemas, id, externalId, the core attributes in schema
// order, the extensions, meta last — rather than encoding/json's alphabetical
// order, so that answers read like the RFC in a terminal and in reports.
// Keys the schema does not know come last, sorted. Values inside attributes
// keep encoding/json's order.
type Ordered struct {
	Type *ResourceType
	Doc  map[string]any
}

// MarshalJSON implements json.Marshaler.
func (o Ordered) MarshalJSON() ([]byte, error) {
	keys := make([]string, 0, len(o.Doc))
	placed := make(map[string]bool, len(o.Doc))
	add := func(k string) {
		if _, ok := o.Doc[k]; ok && !placed[k] {
			keys = append(keys, k)
			placed[k] = true
		}
	}
	add("schemas")
	add("id")
	add("externalId")
	for _, a := range o.Type.core.Attributes {
		add(a.Name)
	}
	for _, e := range o.Type.exts {
		add(e.ID)
	}
	var rest []string
	for k := range o.Doc {
		if !placed[k] && k != "meta" {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	keys = append(keys, rest...)
	add("meta")

	// One encoder writes every key and value into one buffer; Encode ends
	// each with a newline, which is cut before the next separator.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := enc.Encode(k); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1)
		buf.WriteByte(':')
		if err := enc.Encode(o.Doc[k]); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
