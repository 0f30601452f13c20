package store

import (
	"strings"

	"github.com/scimharness/scimharness/server/schema"
)

// CheckText refuses, with 400 invalidValue, a document holding a NUL
// (U+0000) in any string or attribute name. PostgreSQL text cannot hold
// one, so the Postgres store could never store it, and the memory store
// stored it: the same request was 201 on one store and 400 on the other.
// Both call CheckText on what they are about to store, so every store
// answers it the same way. JSON allows "\u0000" (RFC 8259 §7); a SCIM
// service may refuse a value it cannot keep (RFC 7644 §3.12 invalidValue).
func CheckText(doc map[string]any) error {
	if path, bad := nulAt(doc, ""); bad {
		return schema.Errorf(schema.InvalidValue, "%s holds a NUL character (U+0000), which the service cannot store", path)
	}
	return nil
}

func nulAt(v any, path string) (string, bool) {
	switch x := v.(type) {
	case string:
		return path, strings.IndexByte(x, 0) >= 0
	case map[string]any:
		for k, e := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if strings.IndexByte(k, 0) >= 0 {
				return p, true
			}
			if at, bad := nulAt(e, p); bad {
				return at, true
			}
		}
	case []any:
		for _, e := range x {
			if at, bad := nulAt(e, path); bad {
				return at, true
			}
		}
	}
	return "", false
}
