package patch

import (
	"maps"
	"slices"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/schema"
)

// MaxOperations caps the operations of one PATCH request. Every operation
// may scan a multi-valued attribute, so an unbounded list is a cheap way to
// burn CPU. Real clients stay far below: Entra ID sends one operation per
// attribute and batches group members, Okta sends one per membership change.
//
// A longer list is rejected with scimType tooMany. RFC 7644 §3.12 defines
// tooMany for filters ("more results than the server is willing to
// calculate or process"), but it is the only scimType that says "too much to
// process" rather than "malformed", so a client reading scimType learns the
// real cause; the status is 400 either way. (413 is the Bulk answer,
// RFC 7644 §3.7.4, and carries no scimType.)
const MaxOperations = 1000

// Operation is one PATCH operation (RFC 7644 §3.5.2) as sent by the client:
// Op is the operation name in the client's case ("add", "Replace"...), Path
// is "" when absent, Value is the decoded JSON value (nil when absent or
// null; [ParseRequest] rejects an absent value where one is required).
type Operation struct {
	Op    string
	Path  string
	Value any
}

// Operation kinds, lower case.
const (
	opAdd     = "add"
	opRemove  = "remove"
	opReplace = "replace"
)

// kindOf returns the lower-case operation kind, "" for an unknown op.
// Operation names are matched case-insensitively: Entra ID sends "Add",
// "Replace", "Remove" (elimity-com/scim PR 79, zitadel 9282).
func kindOf(op string) string {
	switch {
	case schema.EqualName(op, opAdd):
		return opAdd
	case schema.EqualName(op, opRemove):
		return opRemove
	case schema.EqualName(op, opReplace):
		return opReplace
	}
	return ""
}

// ParseRequest reads a PatchOp request body (RFC 7644 §3.5.2), decoded with
// json.Decoder.UseNumber. Member names are matched case-insensitively
// ("Operations", "op", "path", "value"); "schemas" may be missing, but when
// given it must contain the PatchOp URN. Every error is a *schema.Error:
// invalidSyntax for a malformed body, invalidValue for an add or replace
// without "value", tooMany above [MaxOperations].
func ParseRequest(body map[string]any) ([]Operation, error) {
	if body == nil {
		return nil, schema.Errorf(schema.InvalidSyntax, "the PATCH body must be a JSON object with an \"Operations\" array")
	}
	var (
		raw    any
		rawKey string
	)
	// Sorted keys make the reported error the same on every run.
	for _, k := range slices.Sorted(maps.Keys(body)) {
		switch {
		case schema.EqualName(k, "schemas"):
			if err := checkSchemas(body[k]); err != nil {
				return nil, err
			}
		case schema.EqualName(k, "Operations"):
			if rawKey != "" {
				return nil, schema.Errorf(schema.InvalidSyntax, "\"Operations\" is given twice (as %q and %q)", rawKey, k)
			}
			raw, rawKey = body[k], k
		}
	}
	if rawKey == "" {
		return nil, schema.Errorf(schema.InvalidSyntax, "the PATCH body has no \"Operations\" array (RFC 7644 §3.5.2)")
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, schema.Errorf(schema.InvalidSyntax, "\"Operations\" must be an array of operations")
	}
	if len(list) == 0 {
		return nil, schema.Errorf(schema.InvalidSyntax, "\"Operations\" is empty; at least one operation is required")
	}
	if len(list) > MaxOperations {
		return nil, tooMany(len(list))
	}
	ops := make([]Operation, 0, len(list))
	for i, x := range list {
		op, err := parseOperation(i+1, x)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func tooMany(n int) error {
	return schema.Errorf(schema.TooMany, "the request has %d operations; at most %d are accepted in one PATCH", n, MaxOperations)
}

// checkSchemas accepts a missing, null or empty "schemas" (RFC 7643 §2.5:
// unassigned) and a lone string, but a list that names other schemas only is
// not a PatchOp request.
func checkSchemas(v any) error {
	var list []any
	switch t := v.(type) {
	case nil:
		return nil
	case string:
		list = []any{t}
	case []any:
		list = t
	default:
		return schema.Errorf(schema.InvalidSyntax, "\"schemas\" must be an array of schema URNs")
	}
	if len(list) == 0 {
		return nil
	}
	for _, s := range list {
		if u, ok := s.(string); ok && schema.EqualName(u, scim.PatchOpURN) {
			return nil
		}
	}
	return schema.Errorf(schema.InvalidSyntax, "\"schemas\" must contain %s", scim.PatchOpURN)
}

// parseOperation reads operation number idx (1-based).
func parseOperation(idx int, x any) (Operation, error) {
	m, ok := x.(map[string]any)
	if !ok {
		return Operation{}, schema.Errorf(schema.InvalidSyntax, "operation %d must be a JSON object with \"op\", \"path\" and \"value\"", idx)
	}
	var (
		op       Operation
		seen     = map[string]string{}
		hasOp    bool
		hasValue bool
	)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		lk := schema.FoldName(k)
		if lk != "op" && lk != "path" && lk != "value" {
			continue // unknown members are ignored
		}
		if prev, dup := seen[lk]; dup {
			return Operation{}, schema.Errorf(schema.InvalidSyntax, "operation %d gives %q twice (as %q and %q)", idx, lk, prev, k)
		}
		seen[lk] = k
		v := m[k]
		switch lk {
		case "op":
			s, ok := v.(string)
			if !ok {
				return Operation{}, schema.Errorf(schema.InvalidSyntax, "operation %d: \"op\" must be a string", idx)
			}
			op.Op, hasOp = s, true
		case "path":
			switch p := v.(type) {
			case nil: // null path: no path
			case string:
				op.Path = p
			default:
				return Operation{}, schema.Errorf(schema.InvalidSyntax, "operation %d: \"path\" must be a string", idx)
			}
		case "value":
			op.Value, hasValue = v, true
		}
	}
	if !hasOp {
		return Operation{}, schema.Errorf(schema.InvalidSyntax, "operation %d has no \"op\"", idx)
	}
	kind := kindOf(op.Op)
	if kind == "" {
		return Operation{}, unknownOp(idx, op.Op)
	}
	// RFC 7644 §3.5.2.1 and §3.5.2.3: add and replace MUST carry "value".
	// An explicit null is a value (it unassigns, RFC 7643 §2.5); a missing
	// member is checked here because Operation cannot tell the two apart.
	if !hasValue && kind != opRemove {
		return Operation{}, schema.Errorf(schema.InvalidValue, "operation %d (%s%s) has no \"value\"; %s requires one (RFC 7644 §3.5.2)", idx, op.Op, pathSuffix(op.Path), kind)
	}
	return op, nil
}

func unknownOp(idx int, op string) error {
	return schema.Errorf(schema.InvalidSyntax, "unknown op %q in operation %d; use add, remove or replace", op, idx)
}

func pathSuffix(p string) string {
	if p == "" {
		return ""
	}
	return " " + p
}
