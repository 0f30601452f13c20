// Package patch applies RFC 7644 §3.5.2 PATCH operations.
package patch

import (
	"errors"

	"github.com/scimharness/scimharness/server/schema"
)

// STUB: replaced by the real implementation.

// Operation is one PATCH operation.
type Operation struct {
	Op    string
	Path  string
	Value any
}

// ParseRequest reads the PatchOp body.
func ParseRequest(body map[string]any) ([]Operation, error) { return nil, errors.New("not implemented") }

// Apply applies ops to doc atomically.
func Apply(rt *schema.ResourceType, doc map[string]any, ops []Operation) (map[string]any, error) {
	return nil, errors.New("not implemented")
}
