package memory

import "github.com/scimharness/scimharness/server/schema"

// ownCopy deep-copies a caller's document so the store holds the only
// reference to what it stores, strings included: a request body is decoded
// in one pass (wire.ParseObject) whose strings are slices of one copy of the
// body's text, and a stored document holding one of them would keep the
// whole body alive — a 1 MiB PATCH of a group's members for the sake of
// one display name (TestStoredStringsAreOwned).
func ownCopy(doc map[string]any) map[string]any {
	if doc == nil {
		return map[string]any{}
	}
	return schema.OwnedCopy(doc).(map[string]any)
}
