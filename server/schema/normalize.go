package schema

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Normalize checks a client-supplied resource document (POST or PUT body, or
// the result of a PATCH) and returns it in canonical form, with the default
// [Options] (every IdP tolerance of [Tolerances] applied). See
// [Normalizer.Document].
func (rt *ResourceType) Normalize(in map[string]any) (map[string]any, error) {
	var n Normalizer
	return n.Document(rt, in)
}

// NormalizeValue normalises one value for attribute a, as [ResourceType.Normalize]
// does for a whole document. It returns nil for an unassigned value.
func NormalizeValue(a *Attribute, v any) (any, error) {
	var n Normalizer
	return n.Value(a, v)
}

// Normalizer normalises documents and values under one [Options] and
// records, in Applied, every tolerance it applied, in the order of the
// document's sorted keys: the same request gives the same list every time.
// The zero value applies every tolerance. A Normalizer is not safe for
// concurrent use; make one per request.
type Normalizer struct {
	Options
	Applied []Applied
}

// Document checks a client-supplied resource document (POST or PUT body, or
// the result of a PATCH) and returns it in canonical form:
//
//   - attribute names matched ASCII-case-insensitively ([EqualName]) and
//     written canonically, extension attributes under their schema URN;
//   - readOnly attributes (id, meta, groups, ...) and unknown attributes
//     dropped (RFC 7644 §3.3: readOnly "SHALL be ignored");
//   - null, "" and [] read as unassigned (RFC 7643 §2.5) and dropped, because
//     IdPs send null for unset attributes;
//   - values of their type (RFC 7643 §2.3), except for the IdP tolerances of
//     [Tolerances] unless Options.Tolerate is [TolerateNone]; canonical
//     values take their canonical case;
//   - required attributes present (unless Options.DeferRequired), at most one
//     primary per multi-valued attribute (RFC 7643 §2.4), the same attribute
//     not given twice.
//
// A key that is an attribute path rather than an attribute name —
// "name.familyName", "emails.value", "urn:…:enterprise:2.0:User:department"
// — is refused with 400 invalidSyntax. RFC 7644 §3.3 and §3.5.1 make the
// body of a POST or PUT the resource itself, whose keys are attribute names
// (RFC 7643 §2.1: ATTRNAME has no "." and no ":"); paths belong to PATCH
// (RFC 7644 §3.5.2), where package patch resolves them. Expanding them here
// had no IdP behind it and three ways to go wrong: "emails.value" is no
// element of the multi-valued emails; "members.value" skipped the member
// check; and "name" next to "name.familyName" kept one or the other by map
// order (issue 14, #3). Keys are read in sorted order, so that a request
// with several faults always gets the same answer.
//
// "schemas" is not checked, beyond its type under TolerateNone: servers
// compute it, and IdPs send missing or legacy URNs (Google sends the SCIM
// 1.0 core URN).
func (n *Normalizer) Document(rt *ResourceType, in map[string]any) (map[string]any, error) {
	out := map[string]any{}
	seen := map[string]string{}
	for _, key := range sortedKeys(in) {
		v := in[key]
		if EqualName(key, "schemas") {
			if n.Tolerate == TolerateNone && !isURNList(v) {
				return nil, Errorf(InvalidValue, "\"schemas\" must be an array of schema URNs (RFC 7643 §3), got %s", describe(v))
			}
			continue
		}
		if ext, ok := rt.Extension(key); ok {
			if err := once(seen, ext.ID, key); err != nil {
				return nil, err
			}
			if v == nil {
				continue
			}
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, Errorf(InvalidValue, "extension %s must be a JSON object", ext.ID)
			}
			if err := n.attrs(ext, obj, out, seen); err != nil {
				return nil, err
			}
			continue
		}
		urn, name, sub := SplitPath(key)
		if urn != "" || sub != "" || strings.Contains(key, ".") {
			if ref, ok := rt.Find(urn, name, sub); ok {
				return nil, Errorf(InvalidSyntax, "the key %q is an attribute path; the body of a POST or PUT is the resource, whose keys are attribute names (RFC 7644 §3.3, RFC 7643 §2.1): send %s", key, nested(ref))
			}
			continue // names nothing: an unknown attribute
		}
		ref, ok := rt.Find("", name, "")
		if !ok || ref.Attr.Mutability == ReadOnly {
			continue
		}
		if ref.URN != "" {
			if err := n.tolerate(TolExtensionAttributeAtTop, ref.Path(),
				"attribute %q belongs to the extension %s and must be sent inside its object (RFC 7643 §3)", key, ref.URN); err != nil {
				return nil, err
			}
		}
		if err := once(seen, ref.Path(), key); err != nil {
			return nil, err
		}
		nv, err := n.value(ref.Attr, v, ref.Path())
		if err != nil {
			return nil, err
		}
		if nv == nil {
			continue
		}
		holder(out, ref.URN)[ref.Attr.Name] = nv
	}
	for _, e := range rt.exts {
		if m, ok := out[e.ID].(map[string]any); ok && len(m) == 0 {
			delete(out, e.ID)
		}
	}
	if !n.DeferRequired {
		if err := rt.CheckRequired(out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// isURNList reports whether v is a JSON array of strings, the type of
// "schemas" (RFC 7643 §3); missing (nil) passes, as IdPs leave it out.
func isURNList(v any) bool {
	if v == nil {
		return true
	}
	list, ok := v.([]any)
	if !ok {
		return false
	}
	for _, x := range list {
		if _, ok := x.(string); !ok {
			return false
		}
	}
	return true
}

// nested is the body form of the path ref, for the message that refuses it.
func nested(ref Ref) string {
	var s string
	switch {
	case ref.Sub != nil && ref.Attr.MultiValued:
		s = fmt.Sprintf(`{"%s":[{"%s":…}]}`, ref.Attr.Name, ref.Sub.Name)
	case ref.Sub != nil:
		s = fmt.Sprintf(`{"%s":{"%s":…}}`, ref.Attr.Name, ref.Sub.Name)
	default:
		s = fmt.Sprintf(`{"%s":…}`, ref.Attr.Name)
	}
	if ref.URN != "" {
		s = fmt.Sprintf(`{"%s":%s}`, ref.URN, s)
	}
	return s
}

// holder is the map of out that holds the attributes of urn: out itself for
// core ones, the extension's object (made on first use) otherwise.
func holder(out map[string]any, urn string) map[string]any {
	if urn == "" {
		return out
	}
	m, _ := out[urn].(map[string]any)
	if m == nil {
		m = map[string]any{}
		out[urn] = m
	}
	return m
}

// sortedKeys is the keys of m in byte order: documents are read in one
// order, whatever Go's map order, so that what a request means and the
// first fault it reports never change between two sends.
func sortedKeys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

func once(seen map[string]string, canonical, key string) error {
	if prev, dup := seen[FoldName(canonical)]; dup {
		return Errorf(InvalidSyntax, "attribute %q is given twice (as %q and %q)", canonical, prev, key)
	}
	seen[FoldName(canonical)] = key
	return nil
}

// attrs normalises the object of extension s into out[s.ID]. seen is the
// document's, so that an attribute given both at the top level and in the
// extension object is refused as given twice.
func (n *Normalizer) attrs(s *Schema, in map[string]any, out map[string]any, seen map[string]string) error {
	for _, key := range sortedKeys(in) {
		a := s.Attr(key)
		if a == nil || a.Mutability == ReadOnly {
			continue
		}
		path := s.ID + ":" + a.Name
		if err := once(seen, path, key); err != nil {
			return err
		}
		nv, err := n.value(a, in[key], path)
		if err != nil {
			return err
		}
		if nv != nil {
			holder(out, s.ID)[a.Name] = nv
		}
	}
	return nil
}

// CheckRequired returns an invalidValue error when doc lacks a required
// attribute or a required extension (RFC 7643 §2.2 "required"). Normalize
// runs it unless Options.DeferRequired: the server defers it until a
// provider's checks, whose error bodies are the service's own, have run.
func (rt *ResourceType) CheckRequired(doc map[string]any) error {
	for _, a := range rt.core.Attributes {
		if a.Required && a.Mutability != ReadOnly && doc[a.Name] == nil {
			return Errorf(InvalidValue, "required attribute %q is missing", a.Name)
		}
	}
	for i, e := range rt.exts {
		ext, _ := doc[e.ID].(map[string]any)
		if ext == nil {
			if rt.SchemaExtensions[i].Required {
				return Errorf(InvalidValue, "required extension %s is missing", e.ID)
			}
			continue
		}
		for _, a := range e.Attributes {
			if a.Required && a.Mutability != ReadOnly && ext[a.Name] == nil {
				return Errorf(InvalidValue, "required attribute %s:%s is missing", e.ID, a.Name)
			}
		}
	}
	return nil
}

// Value normalises one value for attribute a, as Document does for a whole
// document. It returns nil for an unassigned value.
func (n *Normalizer) Value(a *Attribute, v any) (any, error) {
	return n.value(a, v, a.Name)
}

// value normalises v for a; path names it in messages and in Applied.
func (n *Normalizer) value(a *Attribute, v any, path string) (any, error) {
	if v == nil || v == "" { // unassigned, whatever the type (RFC 7643 §2.5)
		return nil, nil
	}
	if !a.MultiValued {
		if _, isArr := v.([]any); isArr {
			return nil, Errorf(InvalidValue, "attribute %q is single-valued, got an array", path)
		}
		return n.single(a, v, path)
	}
	arr, isArr := v.([]any)
	if !isArr {
		if err := n.tolerate(TolLoneValue, path, "attribute %q is multi-valued and must be an array, got %s", path, describe(v)); err != nil {
			return nil, err
		}
		arr = []any{v}
	}
	out := make([]any, 0, len(arr))
	primaries := 0
	for _, x := range arr {
		nx, err := n.single(a, x, path)
		if err != nil {
			return nil, err
		}
		if nx == nil {
			continue
		}
		if m, ok := nx.(map[string]any); ok && m["primary"] == true {
			primaries++
		}
		out = append(out, nx)
	}
	if primaries > 1 {
		return nil, Errorf(InvalidValue, "attribute %q has %d values with primary true; at most one is allowed (RFC 7643 §2.4)", path, primaries)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func (n *Normalizer) single(a *Attribute, v any, path string) (any, error) {
	if v == nil {
		return nil, nil
	}
	bad := func(want string) error {
		return Errorf(InvalidValue, "attribute %q must be %s, got %s", path, want, describe(v))
	}
	switch a.Type {
	case TypeString, TypeReference:
		var s string
		switch t := v.(type) {
		case string:
			s = t
		case json.Number:
			if err := n.tolerate(TolNumberAsString, path, "attribute %q must be a string, got %s", path, describe(v)); err != nil {
				return nil, err
			}
			s = t.String()
		default:
			return nil, bad("a string")
		}
		if s == "" {
			return nil, nil
		}
		for _, c := range a.CanonicalValues {
			if strings.EqualFold(c, s) {
				return c, nil
			}
		}
		return s, nil
	case TypeBinary:
		s, ok := v.(string)
		if !ok {
			return nil, bad("a base64 string")
		}
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			return nil, bad("a base64 string")
		}
		if s == "" {
			return nil, nil
		}
		return s, nil
	case TypeBoolean:
		switch t := v.(type) {
		case bool:
			return t, nil
		case string:
			if b, ok := boolText(t); ok {
				if err := n.tolerate(TolStringBoolean, path, "attribute %q must be a JSON boolean, got %s", path, describe(v)); err != nil {
					return nil, err
				}
				return b, nil
			}
		}
		return nil, bad("a boolean")
	case TypeInteger:
		// JSON has one number type (RFC 8259 §6): an integral number is an
		// integer whatever its Go type; a string is not (no IdP is known
		// to send one).
		switch t := v.(type) {
		case json.Number:
			if i, err := t.Int64(); err == nil {
				return i, nil
			}
		case int64:
			return t, nil
		case int:
			return int64(t), nil
		case float64:
			if t == math.Trunc(t) && math.Abs(t) < 1<<53 {
				return int64(t), nil
			}
		}
		return nil, bad("an integer")
	case TypeDecimal:
		switch t := v.(type) {
		case json.Number:
			if f, err := t.Float64(); err == nil {
				return f, nil
			}
		case float64:
			return t, nil
		case int64:
			return float64(t), nil
		case int:
			return float64(t), nil
		}
		return nil, bad("a number")
	case TypeDateTime:
		s, ok := v.(string)
		if !ok {
			return nil, bad("a dateTime string")
		}
		if s == "" {
			return nil, nil
		}
		if _, err := ParseTime(s); err != nil {
			return nil, bad("an xsd:dateTime such as 2026-01-02T15:04:05Z")
		}
		return s, nil
	case TypeComplex:
		m, ok := v.(map[string]any)
		if !ok {
			if a.Sub("value") == nil {
				return nil, bad("a JSON object")
			}
			if _, isArr := v.([]any); isArr {
				return nil, bad("a JSON object")
			}
			if err := n.tolerate(TolScalarAsValue, path, "attribute %q is complex and must be a JSON object, got %s", path, describe(v)); err != nil {
				return nil, err
			}
			m = map[string]any{"value": v}
		}
		out := map[string]any{}
		seen := map[string]string{}
		for _, key := range sortedKeys(m) {
			sa := a.Sub(key)
			if sa == nil || sa.Mutability == ReadOnly {
				continue
			}
			sp := path + "." + sa.Name
			if err := once(seen, sp, key); err != nil {
				return nil, err
			}
			nx, err := n.value(sa, m[key], sp)
			if err != nil {
				return nil, err
			}
			if nx != nil {
				out[sa.Name] = nx
			}
		}
		if len(out) == 0 {
			return nil, nil
		}
		for _, sa := range a.SubAttributes {
			if sa.Required && out[sa.Name] == nil {
				return nil, Errorf(InvalidValue, "sub-attribute %s.%s is required", path, sa.Name)
			}
		}
		return out, nil
	}
	return nil, Errorf(InvalidValue, "attribute %q has an unknown type %q", path, a.Type)
}

// boolText reads the JSON boolean literals spelt as strings, in any ASCII
// case ("True", "false").
func boolText(s string) (bool, bool) {
	switch {
	case EqualName(s, "true"):
		return true, true
	case EqualName(s, "false"):
		return false, true
	}
	return false, false
}

// ParseTime parses an xsd:dateTime (RFC 7643 §2.3.5); the time zone may be
// left out, as xsd allows, and is then UTC.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err == nil {
		return t, nil
	}
	if t2, err2 := time.Parse("2006-01-02T15:04:05.999999999", s); err2 == nil {
		return t2, nil
	}
	return time.Time{}, err
}

func describe(v any) string {
	switch t := v.(type) {
	case string:
		return strconv.Quote(t)
	case bool:
		return strconv.FormatBool(t)
	case json.Number:
		return "the number " + t.String()
	case float64, int64, int:
		return "a number"
	case map[string]any:
		return "a JSON object"
	case []any:
		return "an array"
	}
	return "an unsupported value"
}

// CheckImmutable returns a mutability error when next changes an immutable
// attribute that old has a value for (RFC 7643 §7: immutable attributes may be
// set once, then never changed).
func (rt *ResourceType) CheckImmutable(old, next map[string]any) error {
	check := func(attrs []*Attribute, o, n map[string]any, prefix string) error {
		for _, a := range attrs {
			if a.Mutability != Immutable || o[a.Name] == nil {
				continue
			}
			if !Equal(o[a.Name], n[a.Name]) {
				return Errorf(Mutability, "attribute %q is immutable", prefix+a.Name)
			}
		}
		return nil
	}
	if err := check(rt.core.Attributes, old, next, ""); err != nil {
		return err
	}
	for _, e := range rt.exts {
		o, _ := old[e.ID].(map[string]any)
		n, _ := next[e.ID].(map[string]any)
		if err := check(e.Attributes, o, n, e.ID+":"); err != nil {
			return err
		}
	}
	return nil
}

// KeepWriteOnly copies into next the writeOnly attributes (password) that
// old has and next lacks. A client cannot read them back (returned "never"),
// so a PUT of what it read — Okta updates by GET then PUT — must not clear
// them (RFC 7644 §3.5.1 replaces what the client can know about).
func (rt *ResourceType) KeepWriteOnly(old, next map[string]any) {
	keep := func(attrs []*Attribute, o, n map[string]any) {
		for _, a := range attrs {
			if a.Mutability == WriteOnly && o[a.Name] != nil && n[a.Name] == nil {
				n[a.Name] = DeepCopy(o[a.Name])
			}
		}
	}
	keep(rt.core.Attributes, old, next)
	for _, e := range rt.exts {
		o, _ := old[e.ID].(map[string]any)
		if o == nil {
			continue
		}
		n, _ := next[e.ID].(map[string]any)
		if n == nil {
			n = map[string]any{}
		}
		keep(e.Attributes, o, n)
		if len(n) > 0 {
			next[e.ID] = n
		}
	}
}

// Equal reports whether two JSON-shaped values are equal.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if !Equal(v, y[k]) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}
