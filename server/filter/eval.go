package filter

import (
	"github.com/scimharness/scimharness/server/schema"
)

// Matcher reports whether a document (or one element of a multi-valued
// attribute, for [CompileValue]) matches a compiled filter. It never panics,
// whatever the shape of the document: a value of an unexpected type simply
// does not match.
type Matcher func(doc map[string]any) bool

// Compile resolves every attribute path of e against rt and returns its
// matcher. All checks happen here, once, so that a scan over many documents
// does no lookups in the schema: an unknown attribute, or an operator or
// value that does not fit the attribute's type, is an invalidFilter error
// rather than a filter that silently matches nothing or everything.
func Compile(e Expr, rt *schema.ResourceType) (Matcher, error) {
	if rt == nil {
		return nil, schema.Errorf(schema.InvalidFilter, "no resource type to resolve the filter against")
	}
	return compile(e, resourceScope{rt})
}

// CompileValue compiles the filter of a value path (the `type eq "work"` of
// `emails[type eq "work"]`) against one element of the complex attribute
// attr: the matcher takes the element's map, and the paths in e name
// sub-attributes of attr. PATCH uses it to pick the elements a path targets.
func CompileValue(e Expr, attr *schema.Attribute) (Matcher, error) {
	if attr == nil || attr.Type != schema.TypeComplex {
		return nil, schema.Errorf(schema.InvalidFilter, "a value filter applies only to a complex attribute")
	}
	return compile(e, valueScope{attr})
}

func compile(e Expr, sc scope) (Matcher, error) {
	switch e := e.(type) {
	case Compare:
		return sc.compare(e)
	case And:
		return compileBinary(e.Left, e.Right, sc, func(l, r Matcher) Matcher {
			return func(d map[string]any) bool { return l(d) && r(d) }
		})
	case Or:
		return compileBinary(e.Left, e.Right, sc, func(l, r Matcher) Matcher {
			return func(d map[string]any) bool { return l(d) || r(d) }
		})
	case Not:
		x, err := compile(e.X, sc)
		if err != nil {
			return nil, err
		}
		return func(d map[string]any) bool { return !x(d) }, nil
	case ValuePath:
		return compileValuePath(e, sc)
	// Nodes built by address (&And{...}) compile like their values.
	case *Compare:
		return compile(deref(e), sc)
	case *And:
		return compile(deref(e), sc)
	case *Or:
		return compile(deref(e), sc)
	case *Not:
		return compile(deref(e), sc)
	case *ValuePath:
		return compile(deref(e), sc)
	}
	return nil, schema.Errorf(schema.InvalidFilter, "the filter is empty")
}

// deref returns *e, or nil (an empty filter) for a nil pointer.
func deref[T Expr](e *T) Expr {
	if e == nil {
		return nil
	}
	return *e
}

func compileBinary(left, right Expr, sc scope, join func(l, r Matcher) Matcher) (Matcher, error) {
	l, err := compile(left, sc)
	if err != nil {
		return nil, err
	}
	r, err := compile(right, sc)
	if err != nil {
		return nil, err
	}
	return join(l, r), nil
}

// compileValuePath matches a document when some element of the complex
// attribute matches the inner filter; a single-valued complex attribute
// (the enterprise manager) is its own one element.
func compileValuePath(vp ValuePath, sc scope) (Matcher, error) {
	f, err := sc.complexField(vp.Path)
	if err != nil {
		return nil, err
	}
	inner, err := compile(vp.Filter, valueScope{f.attr})
	if err != nil {
		return nil, err
	}
	return func(doc map[string]any) bool { return f.anyElement(doc, inner) }, nil
}

// scope resolves attribute paths: against a resource type, or against the
// sub-attributes of one complex attribute inside a value filter.
type scope interface {
	compare(c Compare) (Matcher, error)
	complexField(p AttrPath) (*field, error)
}

// field is a resolved attribute path: where its values sit in a document.
type field struct {
	urn  string // key of the extension object, "" for core attributes
	name string
	sub  string            // "" when the path names the attribute itself
	attr *schema.Attribute // the attribute the path ends at
	path string            // canonical path, for messages
}

type resourceScope struct{ rt *schema.ResourceType }

func (s resourceScope) compare(c Compare) (Matcher, error) {
	if c.Path.URN == "" && c.Path.Sub == "" && schema.EqualName(c.Path.Name, "schemas") {
		return s.compareSchemas(c)
	}
	f, err := s.field(c.Path)
	if err != nil {
		return nil, err
	}
	return compileCompare(f, c)
}

// compareSchemas evaluates a filter on "schemas" (RFC 7644's example
// `schemas eq "urn:...:enterprise:2.0:User"`). Stores do not keep
// "schemas"; the server derives it on output from the core schema and the
// extensions the resource has values for, and so does this.
func (s resourceScope) compareSchemas(c Compare) (Matcher, error) {
	f := &field{name: "schemas", path: "schemas", attr: &schema.Attribute{Name: "schemas", Type: schema.TypeReference}}
	var test func(any) bool
	switch {
	case !knownOp(c.Op):
		return nil, unknownOp(c.Op)
	case c.Op == Pr || (c.Op == Eq || c.Op == Ne) && c.Value == nil:
		test = present
	default:
		var err error
		if test, err = compileTest(f, c); err != nil {
			return nil, err
		}
	}
	core, exts := s.rt.Core().ID, s.rt.Extensions()
	m := func(doc map[string]any) bool {
		if test(core) {
			return true
		}
		for _, e := range exts {
			if ext, _ := doc[e.ID].(map[string]any); len(ext) > 0 && test(e.ID) {
				return true
			}
		}
		return false
	}
	if c.Op == Ne || c.Op == Eq && c.Value == nil {
		return negate(m), nil
	}
	return m, nil
}

func (s resourceScope) field(p AttrPath) (*field, error) {
	ref, ok := s.rt.Find(p.URN, p.Name, p.Sub)
	if !ok {
		return nil, schema.Errorf(schema.InvalidFilter, "unknown attribute %q", p.String())
	}
	f := &field{urn: ref.URN, name: ref.Attr.Name, attr: ref.Target(), path: ref.Path()}
	if ref.Sub != nil {
		f.sub = ref.Sub.Name
	}
	return f, checkReturned(ref.Attr, f)
}

func (s resourceScope) complexField(p AttrPath) (*field, error) {
	f, err := s.field(p)
	if err != nil {
		return nil, err
	}
	if f.sub != "" || f.attr.Type != schema.TypeComplex {
		return nil, schema.Errorf(schema.InvalidFilter, "a value filter applies only to a complex attribute, and %q is not one", f.path)
	}
	return f, nil
}

type valueScope struct{ parent *schema.Attribute }

func (s valueScope) compare(c Compare) (Matcher, error) {
	f, err := s.field(c.Path)
	if err != nil {
		return nil, err
	}
	return compileCompare(f, c)
}

// field resolves a sub-attribute of the parent: "type", or, tolerated,
// the qualified "emails.type".
func (s valueScope) field(p AttrPath) (*field, error) {
	var sub *schema.Attribute
	switch {
	case p.URN != "":
	case p.Sub == "":
		sub = s.parent.Sub(p.Name)
	case schema.EqualName(p.Name, s.parent.Name):
		sub = s.parent.Sub(p.Sub)
	}
	if sub == nil {
		return nil, schema.Errorf(schema.InvalidFilter, "unknown attribute %q in a value filter of %q (expected one of its sub-attributes)",
			p.String(), s.parent.Name)
	}
	f := &field{name: sub.Name, attr: sub, path: s.parent.Name + "." + sub.Name}
	return f, checkReturned(s.parent, f)
}

func (s valueScope) complexField(p AttrPath) (*field, error) {
	return nil, schema.Errorf(schema.InvalidFilter, "value filters cannot be nested (%q inside a value filter of %q)", p.String(), s.parent.Name)
}

// checkReturned refuses attributes that are never returned (password):
// filtering on them would let a client probe their values one guess at a
// time.
func checkReturned(attr *schema.Attribute, f *field) error {
	if attr.Returned == schema.ReturnedNever || f.attr.Returned == schema.ReturnedNever {
		return schema.Errorf(schema.InvalidFilter, "attribute %q is never returned and cannot be used in a filter", f.path)
	}
	return nil
}

// any reports whether test holds for some value of f in doc. A multi-valued
// attribute is existential: the elements are tested one by one.
func (f *field) any(doc map[string]any, test func(any) bool) bool {
	v := f.top(doc)
	if f.sub == "" {
		return anyValue(v, test)
	}
	switch t := v.(type) {
	case map[string]any:
		return anyValue(t[f.sub], test)
	case []any:
		for _, e := range t {
			if m, ok := e.(map[string]any); ok && anyValue(m[f.sub], test) {
				return true
			}
		}
	}
	return false
}

// anyElement reports whether some element of the complex attribute f
// matches inner.
func (f *field) anyElement(doc map[string]any, inner Matcher) bool {
	switch t := f.top(doc).(type) {
	case map[string]any:
		return inner(t)
	case []any:
		for _, e := range t {
			if m, ok := e.(map[string]any); ok && inner(m) {
				return true
			}
		}
	}
	return false
}

// top returns the value of the attribute itself, from the extension object
// for an extension attribute.
func (f *field) top(doc map[string]any) any {
	if f.urn != "" {
		ext, _ := doc[f.urn].(map[string]any)
		return ext[f.name]
	}
	return doc[f.name]
}

func anyValue(v any, test func(any) bool) bool {
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			if test(e) {
				return true
			}
		}
		return false
	}
	return test(v)
}

// present is the test of "pr" (RFC 7644 §3.4.2.2): a value that is not
// null and not empty.
func present(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case string:
		return t != ""
	case []any:
		return len(t) > 0
	case map[string]any:
		return len(t) > 0
	}
	return true
}
