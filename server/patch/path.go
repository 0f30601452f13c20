package patch

import (
	"strings"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
)

// target is a PATCH path resolved against a resource type.
type target struct {
	text    string // the path, for messages
	schemas bool   // the path is "schemas": computed by the server, ignored

	// ext is set when the path names a whole extension
	// ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").
	ext *schema.Schema

	urn  string // where attr sits: "" for core and common, else the extension id
	attr *schema.Attribute
	// sub is the sub-attribute the path ends at ("name.givenName",
	// "emails[type eq \"work\"].value"); nil when it names attr or its elements.
	sub *schema.Attribute

	// For a multi-valued attr, elements selects the elements the operation
	// works on: filtered is set for "attr[filter]", and match is nil when
	// every element is meant ("emails.value").
	filtered bool
	match    filter.Matcher
	// create is the element an add or replace builds when no element
	// matches, before the value is set on it: the filter's eq terms
	// (emails[type eq "work"] gives {"type": "work"}). nil when the filter
	// is not a conjunction of eq terms, so no element can be built.
	create map[string]any
}

// readOnly reports whether the path names something clients may not write
// (id, meta, groups, manager.displayName: RFC 7643 §7).
func (t target) readOnly() bool {
	if t.attr == nil {
		return false
	}
	return t.attr.Mutability == schema.ReadOnly || (t.sub != nil && t.sub.Mutability == schema.ReadOnly)
}

// resolve resolves a PATCH path. found is false, with a nil error, when the
// path is well formed but names no attribute of the resource type; err is an
// invalidPath error for a malformed path.
//
// A path without "[" is a plain attribute path and is split with
// [schema.SplitPath], exactly as Normalize resolves the keys of a document,
// so the path "name.givenName" and the path-less key "name.givenName" mean
// the same thing. Value paths go to [filter.ParsePath].
func (p *patcher) resolve(path string) (t target, found bool, err error) {
	t.text = path
	if schema.EqualName(path, "schemas") {
		t.schemas = true
		return t, true, nil
	}
	if ext, ok := p.rt.Extension(path); ok {
		t.ext, t.urn = ext, ext.ID
		return t, true, nil
	}
	if !strings.Contains(path, "[") {
		ref, ok := p.rt.Find(schema.SplitPath(path))
		if !ok {
			return t, false, nil
		}
		t.urn, t.attr, t.sub = ref.URN, ref.Attr, ref.Sub
		if t.attr.MultiValued && t.sub != nil {
			// "emails.value": the sub-attribute of every element; with no
			// element, one is created, as an empty eq-filter would.
			t.create = map[string]any{}
		}
		return t, true, nil
	}
	fp, err := filter.ParsePath(path)
	if err != nil {
		return t, false, schema.Errorf(schema.InvalidPath, "path %q cannot be parsed: %s", path, detail(err))
	}
	if fp.Filter == nil {
		ref, ok := p.rt.Find(fp.Attr.URN, fp.Attr.Name, fp.Attr.Sub)
		if !ok {
			return t, false, nil
		}
		t.urn, t.attr, t.sub = ref.URN, ref.Attr, ref.Sub
		return t, true, nil
	}
	if fp.Attr.Sub != "" {
		return t, false, schema.Errorf(schema.InvalidPath, "path %q: a value filter must follow a multi-valued attribute, not a sub-attribute", path)
	}
	ref, ok := p.rt.Find(fp.Attr.URN, fp.Attr.Name, "")
	if !ok {
		return t, false, nil
	}
	if !ref.Attr.MultiValued || ref.Attr.Type != schema.TypeComplex {
		return t, false, schema.Errorf(schema.InvalidPath, "path %q: a value filter needs a multi-valued complex attribute, and %q is not one", path, ref.Path())
	}
	t.urn, t.attr, t.filtered = ref.URN, ref.Attr, true
	if fp.Sub != "" {
		if t.sub = ref.Attr.Sub(fp.Sub); t.sub == nil {
			return t, false, nil
		}
	}
	// CompileValue reads "True"/"False" against a boolean sub-attribute
	// (Entra ID's roles[primary eq "True"]).
	if t.match, err = filter.CompileValue(fp.Filter, ref.Attr); err != nil {
		return t, false, schema.Errorf(schema.InvalidPath, "path %q: invalid value filter: %s", path, detail(err))
	}
	t.create = eqElement(fp.Filter, ref.Attr)
	return t, true, nil
}

// detail is the message of err without the "scim: 400 ...:" prefix of a
// *schema.Error.
func detail(err error) string {
	if se, ok := err.(*schema.Error); ok {
		return se.Detail
	}
	return err.Error()
}

// subOf returns the sub-attribute of a that a value-filter attribute path
// names: "type", or, tolerated, the qualified "emails.type".
func subOf(a *schema.Attribute, p filter.AttrPath) *schema.Attribute {
	if p.URN != "" {
		return nil
	}
	if p.Sub != "" {
		if !schema.EqualName(p.Name, a.Name) {
			return nil
		}
		return a.Sub(p.Sub)
	}
	return a.Sub(p.Name)
}

// eqElement returns the element that a filter made only of eq comparisons
// joined by and describes, its values normalised for their sub-attributes
// (emails[type eq "Work"] gives {"type": "work"}); nil for any other filter.
func eqElement(e filter.Expr, a *schema.Attribute) map[string]any {
	el := map[string]any{}
	if !collectEq(e, a, el) || len(el) == 0 {
		return nil
	}
	return el
}

func collectEq(e filter.Expr, a *schema.Attribute, el map[string]any) bool {
	switch x := filter.Value(e).(type) {
	case filter.And:
		return collectEq(x.Left, a, el) && collectEq(x.Right, a, el)
	case filter.Compare:
		if !schema.EqualName(string(x.Op), string(filter.Eq)) {
			return false
		}
		sa := subOf(a, x.Path)
		if sa == nil || sa.MultiValued || sa.Mutability == schema.ReadOnly {
			return false
		}
		v, err := schema.NormalizeValue(sa, x.Value)
		if err != nil || v == nil {
			return false
		}
		if old, ok := el[sa.Name]; ok && !schema.Equal(old, v) {
			return false // type eq "work" and type eq "home": nothing matches
		}
		el[sa.Name] = v
		return true
	}
	return false
}
