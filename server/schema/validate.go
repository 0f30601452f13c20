package schema

import (
	"encoding/base64"
	"encoding/json"
	"math"
)

// Validate reports whether doc, a resource as stored or as a server returns
// it, is an instance of rt's schemas (RFC 7643 §2, §3): every key is
// "schemas", a common attribute (id, externalId, meta), a core attribute
// or an extension URN, spelt canonically; every value has its attribute's
// type (RFC 7643 §2.3) and plurality (an array of at least one value
// exactly for multiValued, §2.4), complex values hold only their
// sub-attributes (§2.3.8), required attributes and sub-attributes are
// present, and at most one value of a multi-valued attribute is primary.
//
// It is the oracle's invariant: whatever a client sends, what the server
// keeps validates (issue 14, #3). Numbers may be int64, int, float64 or
// json.Number, so a document decoded from an answer validates as the stored
// one does. The first fault found is returned, as an invalidValue *Error
// naming the path; nil means valid.
func (rt *ResourceType) Validate(doc map[string]any) error {
	for _, k := range sortedKeys(doc) {
		v := doc[k]
		if k == "schemas" {
			if err := validateSchemas(v); err != nil {
				return err
			}
			continue
		}
		if e, ok := rt.extensionExact(k); ok {
			obj, ok := v.(map[string]any)
			if !ok {
				return invalid(k, "the extension must be a JSON object, got %s", describe(v))
			}
			for _, ak := range sortedKeys(obj) {
				a := exact(e.Attributes, ak)
				if a == nil {
					return invalid(k+":"+ak, "no attribute of %s is named so (canonically)", e.ID)
				}
				if err := validateValue(a, obj[ak], k+":"+ak); err != nil {
					return err
				}
			}
			if err := requiredIn(e.Attributes, obj, k+":"); err != nil {
				return err
			}
			continue
		}
		a := exact(rt.core.Attributes, k)
		if a == nil {
			a = exact(commonAttributes, k)
		}
		if a == nil {
			return invalid(k, "no attribute of %s is named so (canonically)", rt.core.ID)
		}
		if err := validateValue(a, v, k); err != nil {
			return err
		}
	}
	if err := requiredIn(rt.core.Attributes, doc, ""); err != nil {
		return err
	}
	for i, e := range rt.exts {
		if _, ok := doc[e.ID]; !ok && rt.SchemaExtensions[i].Required {
			return invalid(e.ID, "the required extension is missing")
		}
	}
	return nil
}

func invalid(path, format string, args ...any) *Error {
	return Errorf(InvalidValue, "%s: "+format, append([]any{path}, args...)...)
}

// exact finds the attribute spelt exactly name: a canonical document has
// no other spelling.
func exact(attrs []*Attribute, name string) *Attribute {
	for _, a := range attrs {
		if a.Name == name {
			return a
		}
	}
	return nil
}

func (rt *ResourceType) extensionExact(urn string) (*Schema, bool) {
	for _, e := range rt.exts {
		if e.ID == urn {
			return e, true
		}
	}
	return nil, false
}

func validateSchemas(v any) error {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return invalid("schemas", "must be a non-empty array of URNs, got %s", describe(v))
	}
	for _, s := range list {
		if _, ok := s.(string); !ok {
			return invalid("schemas", "must hold strings, got %s", describe(s))
		}
	}
	return nil
}

func requiredIn(attrs []*Attribute, m map[string]any, prefix string) error {
	for _, a := range attrs {
		if a.Required && a.Mutability != ReadOnly && m[a.Name] == nil {
			return invalid(prefix+a.Name, "the required attribute is missing")
		}
	}
	return nil
}

func validateValue(a *Attribute, v any, path string) error {
	if v == nil {
		return invalid(path, "null is stored; an unassigned attribute is left out (RFC 7643 §2.5)")
	}
	arr, isArr := v.([]any)
	if !a.MultiValued {
		if isArr {
			return invalid(path, "the attribute is single-valued, got an array")
		}
		return validateSingle(a, v, path)
	}
	if !isArr {
		return invalid(path, "the attribute is multi-valued, got %s, not an array", describe(v))
	}
	if len(arr) == 0 {
		return invalid(path, "an empty array is stored; an unassigned attribute is left out (RFC 7643 §2.5)")
	}
	primaries := 0
	for _, x := range arr {
		if err := validateSingle(a, x, path); err != nil {
			return err
		}
		if m, ok := x.(map[string]any); ok && m["primary"] == true {
			primaries++
		}
	}
	if primaries > 1 {
		return invalid(path, "%d values have primary true; at most one may (RFC 7643 §2.4)", primaries)
	}
	return nil
}

func validateSingle(a *Attribute, v any, path string) error {
	bad := func(want string) error {
		return invalid(path, "must be %s (type %s), got %s", want, a.Type, describe(v))
	}
	switch a.Type {
	case TypeString, TypeReference:
		if _, ok := v.(string); !ok {
			return bad("a string")
		}
	case TypeBinary:
		s, ok := v.(string)
		if !ok {
			return bad("a base64 string")
		}
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			return bad("a base64 string")
		}
	case TypeBoolean:
		if _, ok := v.(bool); !ok {
			return bad("a JSON boolean")
		}
	case TypeDateTime:
		s, ok := v.(string)
		if !ok {
			return bad("an xsd:dateTime string")
		}
		if _, err := ParseTime(s); err != nil {
			return bad("an xsd:dateTime string")
		}
	case TypeInteger:
		if !isInteger(v) {
			return bad("an integer")
		}
	case TypeDecimal:
		switch t := v.(type) {
		case float64, int64, int:
		case json.Number:
			if _, err := t.Float64(); err != nil {
				return bad("a number")
			}
		default:
			return bad("a number")
		}
	case TypeComplex:
		m, ok := v.(map[string]any)
		if !ok {
			return bad("a JSON object")
		}
		if len(m) == 0 {
			return invalid(path, "an empty object is stored")
		}
		for _, k := range sortedKeys(m) {
			sa := exact(a.SubAttributes, k)
			if sa == nil {
				return invalid(path+"."+k, "no sub-attribute of %s is named so (canonically)", a.Name)
			}
			if err := validateValue(sa, m[k], path+"."+k); err != nil {
				return err
			}
		}
		for _, sa := range a.SubAttributes {
			if sa.Required && m[sa.Name] == nil {
				return invalid(path+"."+sa.Name, "the required sub-attribute is missing")
			}
		}
	default:
		return invalid(path, "the schema gives the unknown type %q", a.Type)
	}
	return nil
}

func isInteger(v any) bool {
	switch t := v.(type) {
	case int64, int:
		return true
	case float64:
		return t == math.Trunc(t) && math.Abs(t) < 1<<53
	case json.Number:
		_, err := t.Int64()
		return err == nil
	}
	return false
}
