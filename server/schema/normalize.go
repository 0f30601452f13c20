package schema

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// Normalize checks a client-supplied resource document (POST or PUT body, or
// the result of a PATCH) and returns it in canonical form:
//
//   - attribute names matched case-insensitively and written canonically,
//     extension attributes under their schema URN;
//   - readOnly attributes (id, meta, groups, ...) and unknown attributes
//     dropped (RFC 7644 §3.3: readOnly "SHALL be ignored");
//   - null, "" and [] read as unassigned (RFC 7643 §2.5) and dropped, because
//     IdPs send null for unset attributes;
//   - values coerced to their type: "True"/"False" to booleans (Entra ID,
//     OneLogin), a lone value for a multi-valued attribute wrapped in an array
//     (OneLogin sends emails as one object), a scalar for a complex attribute
//     with a "value" sub-attribute read as {"value": scalar} (Entra sends the
//     manager as a raw id); canonical values take their canonical case;
//   - required attributes present, at most one primary per multi-valued
//     attribute (RFC 7643 §2.4), the same attribute not given twice.
//
// "schemas" is not checked: servers compute it, and IdPs send missing or
// legacy URNs (Google sends the SCIM 1.0 core URN).
func (rt *ResourceType) Normalize(in map[string]any) (map[string]any, error) {
	out := map[string]any{}
	seen := map[string]string{}
	for key, v := range in {
		if strings.EqualFold(key, "schemas") {
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
			n, err := normalizeAttrs(ext, obj)
			if err != nil {
				return nil, err
			}
			if len(n) > 0 {
				out[ext.ID] = n
			}
			continue
		}
		ref, ok := rt.Find(SplitPath(key))
		if !ok || ref.Attr.Mutability == ReadOnly || (ref.Sub != nil && ref.Sub.Mutability == ReadOnly) {
			continue
		}
		if err := once(seen, ref.Path(), key); err != nil {
			return nil, err
		}
		nv, err := NormalizeValue(ref.Target(), v)
		if err != nil {
			return nil, err
		}
		if nv == nil {
			continue
		}
		// A qualified or dotted key ("name.givenName", "urn:...:User:department")
		// lands where its unqualified form would.
		dst := out
		if ref.URN != "" {
			m, _ := out[ref.URN].(map[string]any)
			if m == nil {
				m = map[string]any{}
				out[ref.URN] = m
			}
			dst = m
		}
		if ref.Sub != nil {
			m, _ := dst[ref.Attr.Name].(map[string]any)
			if m == nil {
				m = map[string]any{}
				dst[ref.Attr.Name] = m
			}
			m[ref.Sub.Name] = nv
		} else {
			dst[ref.Attr.Name] = nv
		}
	}
	if err := rt.checkRequired(out); err != nil {
		return nil, err
	}
	return out, nil
}

func once(seen map[string]string, canonical, key string) error {
	if prev, dup := seen[strings.ToLower(canonical)]; dup {
		return Errorf(InvalidSyntax, "attribute %q is given twice (as %q and %q)", canonical, prev, key)
	}
	seen[strings.ToLower(canonical)] = key
	return nil
}

func normalizeAttrs(s *Schema, in map[string]any) (map[string]any, error) {
	out := map[string]any{}
	seen := map[string]string{}
	for key, v := range in {
		a := s.Attr(key)
		if a == nil || a.Mutability == ReadOnly {
			continue
		}
		if err := once(seen, a.Name, key); err != nil {
			return nil, err
		}
		nv, err := NormalizeValue(a, v)
		if err != nil {
			return nil, err
		}
		if nv != nil {
			out[a.Name] = nv
		}
	}
	return out, nil
}

func (rt *ResourceType) checkRequired(doc map[string]any) error {
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

// NormalizeValue normalises one value for attribute a, as [ResourceType.Normalize]
// does for a whole document. It returns nil for an unassigned value.
func NormalizeValue(a *Attribute, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if !a.MultiValued {
		if _, isArr := v.([]any); isArr {
			return nil, Errorf(InvalidValue, "attribute %q is single-valued, got an array", a.Name)
		}
		return normalizeSingle(a, v)
	}
	arr, isArr := v.([]any)
	if !isArr {
		arr = []any{v}
	}
	out := make([]any, 0, len(arr))
	primaries := 0
	for _, x := range arr {
		nx, err := normalizeSingle(a, x)
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
		return nil, Errorf(InvalidValue, "attribute %q has %d values with primary true; at most one is allowed (RFC 7643 §2.4)", a.Name, primaries)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func normalizeSingle(a *Attribute, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	bad := func(want string) error {
		return Errorf(InvalidValue, "attribute %q must be %s, got %s", a.Name, want, describe(v))
	}
	switch a.Type {
	case TypeString, TypeReference:
		var s string
		switch t := v.(type) {
		case string:
			s = t
		case json.Number: // employeeNumber sent as a JSON number
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
			switch strings.ToLower(t) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		}
		return nil, bad("a boolean")
	case TypeInteger:
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
		case string:
			if i, err := strconv.ParseInt(t, 10, 64); err == nil {
				return i, nil
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
			m = map[string]any{"value": v}
		}
		out := map[string]any{}
		seen := map[string]string{}
		for key, x := range m {
			sa := a.Sub(key)
			if sa == nil || sa.Mutability == ReadOnly {
				continue
			}
			if err := once(seen, a.Name+"."+sa.Name, key); err != nil {
				return nil, err
			}
			nx, err := NormalizeValue(sa, x)
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
				return nil, Errorf(InvalidValue, "sub-attribute %s.%s is required", a.Name, sa.Name)
			}
		}
		return out, nil
	}
	return nil, Errorf(InvalidValue, "attribute %q has an unknown type %q", a.Name, a.Type)
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
