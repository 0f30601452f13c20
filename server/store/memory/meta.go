package memory

import (
	"github.com/scimharness/scimharness/server/schema"
)

// ownCopy deep-copies a caller's document so the store holds the only
// reference to what it stores.
func ownCopy(doc map[string]any) map[string]any {
	if doc == nil {
		return map[string]any{}
	}
	return schema.CopyDoc(doc)
}
