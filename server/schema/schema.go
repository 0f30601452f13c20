// Package schema holds the RFC 7643 schemas as data, the attribute
// characteristics they carry, and the operations every other package builds
// on: resolving an attribute path, normalising a client's document into
// canonical form (names, types, IdP tolerances), and projecting a stored
// document for output (returned, attributes, excludedAttributes). It also
// holds the one error type of the server ([Error]).
//
// A resource document is JSON-shaped Go data: map[string]any, []any, string,
// bool, int64 (integer), float64 (decimal) and nil. Core and common attributes
// sit at the top level under their canonical names; extension attributes sit
// in an object under the extension's schema URN, as on the wire.
package schema

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/scimharness/scimharness/fixtures"
)

// Attribute types (RFC 7643 §2.3).
const (
	TypeString    = "string"
	TypeBoolean   = "boolean"
	TypeDecimal   = "decimal"
	TypeInteger   = "integer"
	TypeDateTime  = "dateTime"
	TypeReference = "reference"
	TypeComplex   = "complex"
	TypeBinary    = "binary"
)

// Mutability and returned values (RFC 7643 §7).
const (
	ReadOnly  = "readOnly"
	ReadWrite = "readWrite"
	Immutable = "immutable"
	WriteOnly = "writeOnly"

	ReturnedAlways  = "always"
	ReturnedNever   = "never"
	ReturnedDefault = "default"
	ReturnedRequest = "request"
)

// Attribute is one attribute definition with its characteristics (RFC 7643 §7).
type Attribute struct {
	Name            string       `json:"name"`
	Type            string       `json:"type"`
	MultiValued     bool         `json:"multiValued"`
	Description     string       `json:"description"`
	Required        bool         `json:"required"`
	CanonicalValues []string     `json:"canonicalValues,omitempty"`
	CaseExact       bool         `json:"caseExact"`
	Mutability      string       `json:"mutability"`
	Returned        string       `json:"returned"`
	Uniqueness      string       `json:"uniqueness"`
	ReferenceTypes  []string     `json:"referenceTypes,omitempty"`
	SubAttributes   []*Attribute `json:"subAttributes,omitempty"`
}

// Sub returns the sub-attribute named name, compared case-insensitively.
func (a *Attribute) Sub(name string) *Attribute {
	return find(a.SubAttributes, name)
}

func find(attrs []*Attribute, name string) *Attribute {
	for _, s := range attrs {
		if EqualName(s.Name, name) {
			return s
		}
	}
	return nil
}

// Schema is one schema: core (User, Group) or extension (EnterpriseUser).
type Schema struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Attributes  []*Attribute `json:"attributes"`
}

// Attr returns the attribute named name, compared case-insensitively.
func (s *Schema) Attr(name string) *Attribute { return find(s.Attributes, name) }

// Extension is a schema extension of a resource type.
type Extension struct {
	Schema   string `json:"schema"`
	Required bool   `json:"required"`
}

// ResourceType is a resource type (RFC 7643 §6) with its schemas resolved.
type ResourceType struct {
	ID               string      `json:"id"`
	Name             string      `json:"name"`
	Endpoint         string      `json:"endpoint"`
	Description      string      `json:"description"`
	Schema           string      `json:"schema"`
	SchemaExtensions []Extension `json:"schemaExtensions"`

	core *Schema
	exts []*Schema
	// rank is each top-level key's place in an answer (see Ordered), made
	// once by Load.
	rank map[string]int
}

// Core is the resource type's core schema.
func (rt *ResourceType) Core() *Schema { return rt.core }

// Extensions are the resource type's extension schemas, in declared order.
func (rt *ResourceType) Extensions() []*Schema { return rt.exts }

// Extension returns the extension schema whose URN equals urn case-insensitively.
func (rt *ResourceType) Extension(urn string) (*Schema, bool) {
	for _, s := range rt.exts {
		if EqualName(s.ID, urn) {
			return s, true
		}
	}
	return nil, false
}

// Common attributes of every resource (RFC 7643 §3.1). They are not part of
// any schema's published attribute list, but filters, sorting and projection
// resolve them like any other attribute.
var commonAttributes = []*Attribute{
	{Name: "id", Type: TypeString, CaseExact: true, Mutability: ReadOnly, Returned: ReturnedAlways, Uniqueness: "server",
		Description: "Unique identifier for the resource, assigned by the service provider."},
	{Name: "externalId", Type: TypeString, CaseExact: true, Mutability: ReadWrite, Returned: ReturnedDefault, Uniqueness: "none",
		Description: "Identifier of the resource as defined by the provisioning client."},
	{Name: "meta", Type: TypeComplex, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: "none",
		Description: "Resource metadata.",
		SubAttributes: []*Attribute{
			{Name: "resourceType", Type: TypeString, CaseExact: true, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: "none"},
			{Name: "created", Type: TypeDateTime, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: "none"},
			{Name: "lastModified", Type: TypeDateTime, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: "none"},
			{Name: "location", Type: TypeReference, CaseExact: true, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: "none", ReferenceTypes: []string{"uri"}},
			{Name: "version", Type: TypeString, CaseExact: true, Mutability: ReadOnly, Returned: ReturnedDefault, Uniqueness: "none"},
		}},
}

// Common returns the common attribute named name (id, externalId, meta).
func Common(name string) *Attribute { return find(commonAttributes, name) }

// Ref is an attribute path resolved against a resource type.
type Ref struct {
	// URN is "" for core and common attributes, else the extension schema's
	// id: the key under which the attribute sits in a document.
	URN  string
	Attr *Attribute
	// Sub is the sub-attribute, nil when the path names the attribute itself.
	Sub *Attribute
}

// Find resolves an attribute path — optional schema URN, attribute name,
// optional sub-attribute — case-insensitively. A URN equal to the core schema
// is the same as none. Without a URN, an attribute not in the core schema is
// looked up in the extensions (a tolerance: clients write employeeNumber for
// the enterprise attribute).
func (rt *ResourceType) Find(urn, name, sub string) (Ref, bool) {
	var ref Ref
	switch {
	case urn == "" || EqualName(urn, rt.core.ID):
		ref.Attr = rt.core.Attr(name)
		if ref.Attr == nil {
			ref.Attr = Common(name)
		}
		if ref.Attr == nil && urn == "" {
			for _, e := range rt.exts {
				if a := e.Attr(name); a != nil {
					ref.URN, ref.Attr = e.ID, a
					break
				}
			}
		}
	default:
		e, ok := rt.Extension(urn)
		if !ok {
			return Ref{}, false
		}
		ref.URN, ref.Attr = e.ID, e.Attr(name)
	}
	if ref.Attr == nil {
		return Ref{}, false
	}
	if sub != "" {
		ref.Sub = ref.Attr.Sub(sub)
		if ref.Sub == nil {
			return Ref{}, false
		}
	}
	return ref, true
}

// Path returns the canonical text of the resolved path, as used in messages
// and in sortBy.
func (r Ref) Path() string {
	p := r.Attr.Name
	if r.Sub != nil {
		p += "." + r.Sub.Name
	}
	if r.URN != "" {
		p = r.URN + ":" + p
	}
	return p
}

// Target is the attribute the path ends at: Sub when set, else Attr.
func (r Ref) Target() *Attribute {
	if r.Sub != nil {
		return r.Sub
	}
	return r.Attr
}

// SplitPath splits an attribute path "urn:...:name.sub" into its URN, name
// and sub-attribute. Attribute names cannot contain ':', so the URN is all
// before the last ':' (URNs themselves contain dots, as in "2.0").
func SplitPath(p string) (urn, name, sub string) {
	if len(p) > 4 && EqualName(p[:4], "urn:") {
		i := strings.LastIndexByte(p, ':')
		urn, p = p[:i], p[i+1:]
	}
	name, sub, _ = strings.Cut(p, ".")
	return urn, name, sub
}

// Registry holds the schemas and resource types one server serves.
type Registry struct {
	schemas []*Schema
	types   []*ResourceType
}

// Load reads schemas/*.json and resourcetypes/*.json from fsys (the layout of
// the fixtures folder) and resolves each resource type's schemas.
func Load(fsys fs.FS) (*Registry, error) {
	r := &Registry{}
	if err := readAll(fsys, "schemas", func(b []byte) error {
		s := &Schema{}
		if err := json.Unmarshal(b, s); err != nil {
			return err
		}
		r.schemas = append(r.schemas, s)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := readAll(fsys, "resourcetypes", func(b []byte) error {
		rt := &ResourceType{}
		if err := json.Unmarshal(b, rt); err != nil {
			return err
		}
		r.types = append(r.types, rt)
		return nil
	}); err != nil {
		return nil, err
	}
	sort.Slice(r.schemas, func(i, j int) bool { return r.schemas[i].ID < r.schemas[j].ID })
	sort.Slice(r.types, func(i, j int) bool { return r.types[i].ID > r.types[j].ID }) // User, then Group
	if err := r.resolve(); err != nil {
		return nil, err
	}
	return r, nil
}

// resolve links each resource type to its schemas and ranks its keys.
func (r *Registry) resolve() error {
	for _, rt := range r.types {
		var ok bool
		if rt.core, ok = r.Schema(rt.Schema); !ok {
			return fmt.Errorf("schema: resource type %s: unknown schema %s", rt.ID, rt.Schema)
		}
		for _, e := range rt.SchemaExtensions {
			s, ok := r.Schema(e.Schema)
			if !ok {
				return fmt.Errorf("schema: resource type %s: unknown extension %s", rt.ID, e.Schema)
			}
			rt.exts = append(rt.exts, s)
		}
		rt.rank = map[string]int{}
		for _, k := range rt.keyOrder() {
			if _, dup := rt.rank[k]; !dup {
				rt.rank[k] = len(rt.rank)
			}
		}
	}
	return nil
}

// Keep returns a copy of r that declares only the attributes keep admits:
// keep is asked of every attribute by its schema's id and its path within
// it ("name", then "name.givenName" for each sub-attribute), with its
// definition. A complex
// attribute is kept with the sub-attributes admitted, or whole when keep
// admits it; left without sub-attributes it is dropped, and so is an
// extension left without attributes (from its resource types too). A
// server that ignores some attributes declares what it stores with it, so
// that clients reading /Schemas learn the truth (RFC 7643 §7: the schema
// is how a server says what it supports). r itself is unchanged.
func (r *Registry) Keep(keep func(schemaID, path string, a *Attribute) bool) *Registry {
	out := &Registry{}
	kept := map[string]bool{}
	for _, s := range r.schemas {
		c := &Schema{ID: s.ID, Name: s.Name, Description: s.Description}
		for _, a := range s.Attributes {
			if keep(s.ID, a.Name, a) {
				c.Attributes = append(c.Attributes, copyAttr(a))
				continue
			}
			var subs []*Attribute
			for _, sub := range a.SubAttributes {
				if keep(s.ID, a.Name+"."+sub.Name, sub) {
					subs = append(subs, copyAttr(sub))
				}
			}
			if len(subs) > 0 {
				ca := copyAttr(a)
				ca.SubAttributes = subs
				c.Attributes = append(c.Attributes, ca)
			}
		}
		if len(c.Attributes) > 0 || r.isCore(s.ID) {
			out.schemas = append(out.schemas, c)
			kept[strings.ToLower(s.ID)] = true
		}
	}
	for _, rt := range r.types {
		c := &ResourceType{ID: rt.ID, Name: rt.Name, Endpoint: rt.Endpoint, Description: rt.Description, Schema: rt.Schema}
		for _, e := range rt.SchemaExtensions {
			if kept[strings.ToLower(e.Schema)] {
				c.SchemaExtensions = append(c.SchemaExtensions, e)
			}
		}
		out.types = append(out.types, c)
	}
	if err := out.resolve(); err != nil {
		panic(err) // every schema a type names was copied
	}
	return out
}

// isCore reports whether id is the core schema of a resource type.
func (r *Registry) isCore(id string) bool {
	for _, rt := range r.types {
		if EqualName(rt.Schema, id) {
			return true
		}
	}
	return false
}

// copyAttr is a deep copy of a.
func copyAttr(a *Attribute) *Attribute {
	c := *a
	c.CanonicalValues = slices.Clone(a.CanonicalValues)
	c.ReferenceTypes = slices.Clone(a.ReferenceTypes)
	c.SubAttributes = nil
	for _, s := range a.SubAttributes {
		c.SubAttributes = append(c.SubAttributes, copyAttr(s))
	}
	return &c
}

func readAll(fsys fs.FS, dir string, fn func([]byte) error) error {
	names, err := fs.Glob(fsys, dir+"/*.json")
	if err != nil {
		return err
	}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return fmt.Errorf("schema: %s: %w", path.Base(n), err)
		}
	}
	return nil
}

var (
	defaultOnce sync.Once
	defaultReg  *Registry
)

// Default is the registry of the embedded fixtures: User with the enterprise
// extension, and Group. It panics if the fixtures are broken, which a unit
// test rules out.
func Default() *Registry {
	defaultOnce.Do(func() {
		r, err := Load(fixtures.FS)
		if err != nil {
			panic(err)
		}
		defaultReg = r
	})
	return defaultReg
}

// Schemas returns every schema, sorted by id.
func (r *Registry) Schemas() []*Schema { return r.schemas }

// Schema returns the schema with the given id (case-insensitive).
func (r *Registry) Schema(id string) (*Schema, bool) {
	for _, s := range r.schemas {
		if EqualName(s.ID, id) {
			return s, true
		}
	}
	return nil, false
}

// ResourceTypes returns every resource type.
func (r *Registry) ResourceTypes() []*ResourceType { return r.types }

// ResourceType returns the resource type with the given id (case-insensitive).
func (r *Registry) ResourceType(id string) (*ResourceType, bool) {
	for _, rt := range r.types {
		if EqualName(rt.ID, id) {
			return rt, true
		}
	}
	return nil, false
}

// DeepCopy copies a JSON-shaped value so that no caller can reach into
// another's maps or slices. Strings are shared: they are immutable.
func DeepCopy(v any) any { return deepCopy(v, nil) }

// OwnedCopy is DeepCopy that copies the strings too, so that the copy
// keeps alive no larger text a string was sliced from: the one-pass
// decoder (wire.ParseObject) slices every string of a document from one
// copy of the request body, and a stored document would keep a 1 MiB
// PATCH alive for one display name. The strings are copied into one
// block, sized exactly: one object for the collector to mark instead of
// one per string (a stored user holds a dozen). Map keys are shared: the
// normaliser names attributes by the schema's own strings.
func OwnedCopy(v any) any {
	n := stringBytes(v)
	if n == 0 {
		return deepCopy(v, nil)
	}
	var b strings.Builder
	b.Grow(n) // exactly: the builder never moves, so every string sliced from it shares the one block
	return deepCopy(v, &b)
}

// deepCopy copies v; with b, each non-empty string is written to b and
// replaced by its slice of b's text.
func deepCopy(v any, b *strings.Builder) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x, b)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = deepCopy(x, b)
		}
		return s
	case string:
		if b == nil || t == "" {
			return v // the same interface: returning t would box it anew
		}
		at := b.Len()
		b.WriteString(t)
		return b.String()[at:]
	default:
		return v
	}
}

// stringBytes is the length of every string in v.
func stringBytes(v any) int {
	switch t := v.(type) {
	case map[string]any:
		n := 0
		for _, x := range t {
			n += stringBytes(x)
		}
		return n
	case []any:
		n := 0
		for _, x := range t {
			n += stringBytes(x)
		}
		return n
	case string:
		return len(t)
	}
	return 0
}

// CopyDoc is DeepCopy for a document.
func CopyDoc(d map[string]any) map[string]any {
	if d == nil {
		return nil
	}
	return DeepCopy(d).(map[string]any)
}
