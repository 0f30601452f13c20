package memory

import "strings"

// ownCopy deep-copies a caller's document so the store holds the only
// reference to what it stores, strings included: a request body is decoded
// in one pass (wire.ParseObject) whose strings are slices of one copy of the
// body's text, and a stored document holding one of them would keep the
// whole body alive — a 1 MiB PATCH of a group's members for the sake of
// one display name (TestStoredStringsAreOwned). Keys are not copied: the
// schema's normaliser names every attribute by the schema's own strings.
func ownCopy(doc map[string]any) map[string]any {
	if doc == nil {
		return map[string]any{}
	}
	return own(doc).(map[string]any)
}

func own(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = own(x)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = own(x)
		}
		return s
	case string:
		return strings.Clone(t)
	default:
		return v
	}
}
