package filter

import (
	"errors"

	"github.com/scimharness/scimharness/server/schema"
)

// STUB: replaced by the real implementation (parse.go, eval.go).

// Parse parses a filter.
func Parse(s string) (Expr, error) { return nil, errors.New("not implemented") }

// ParsePath parses a PATCH path.
func ParsePath(s string) (Path, error) { return Path{}, errors.New("not implemented") }

// ParseAttrPath parses an attribute path.
func ParseAttrPath(s string) (AttrPath, error) { return AttrPath{}, errors.New("not implemented") }

// Matcher reports whether a document (or one element of a multi-valued
// attribute, for [CompileValue]) matches a compiled filter.
type Matcher func(doc map[string]any) bool

// Compile resolves e against rt and returns its matcher.
func Compile(e Expr, rt *schema.ResourceType) (Matcher, error) { return nil, errors.New("not implemented") }

// CompileValue compiles the filter of a value path against one element of the
// multi-valued complex attribute attr.
func CompileValue(e Expr, attr *schema.Attribute) (Matcher, error) {
	return nil, errors.New("not implemented")
}

func (c Compare) String() string   { return "" }
func (a And) String() string       { return "" }
func (o Or) String() string        { return "" }
func (n Not) String() string       { return "" }
func (v ValuePath) String() string { return "" }
