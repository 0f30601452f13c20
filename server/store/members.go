package store

import "github.com/scimharness/scimharness/server/schema"

// MemberTypes are the resource types a group member may be (RFC 7643 §4.2:
// "members" names Users and Groups). A store looks a member's value up
// among these types only.
var MemberTypes = []string{"User", "Group"}

// HasMembers reports whether resources of rt have "members".
func HasMembers(rt *schema.ResourceType) bool { return rt.Core().Attr("members") != nil }

// MemberValues lists the string values of doc's members. A lone member
// object (not in an array) counts as a list of one.
func MemberValues(doc map[string]any) []string {
	var out []string
	for _, m := range memberList(doc["members"]) {
		if mm, ok := m.(map[string]any); ok {
			if v, ok := mm["value"].(string); ok {
				out = append(out, v)
			}
		}
	}
	return out
}

func memberList(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case map[string]any:
		return []any{x}
	}
	return nil
}

// KeepMembers returns doc with only the members whose value keep accepts,
// and whether it dropped any. Members that are not objects with a string
// value name nothing and are dropped too. When none is left, "members" is
// removed ([] is unassigned, RFC 7643 §2.5). doc is not changed: the
// result is a shallow copy when something was dropped.
//
// Stores call it inside the write's lock or transaction, with keep
// answering whether the value names a resource of the tenant now: a
// member's existence and the write that stores it are one step, so no
// group keeps a member deleted between a check and the write.
func KeepMembers(doc map[string]any, keep func(value string) bool) (map[string]any, bool) {
	raw, present := doc["members"]
	if !present {
		return doc, false
	}
	list := memberList(raw)
	kept := make([]any, 0, len(list))
	for _, m := range list {
		if mm, ok := m.(map[string]any); ok {
			if v, ok := mm["value"].(string); ok && keep(v) {
				kept = append(kept, m)
			}
		}
	}
	if _, isList := raw.([]any); isList && len(kept) == len(list) {
		return doc, false
	}
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		out[k] = v
	}
	if len(kept) > 0 {
		out["members"] = kept
	} else {
		delete(out, "members")
	}
	return out, true
}
