package filter

// Expr is a node of a parsed filter (RFC 7644 §3.4.2.2). Stores translate
// this tree (the Postgres store into SQL); [Compile] turns it into a matcher.
// String prints the expression back in canonical filter syntax so that
// Parse(e.String()) yields an equal tree.
type Expr interface {
	String() string
	isExpr()
}

// AttrPath is an attribute path: optional schema URN, attribute name,
// optional sub-attribute ("urn:...:User:name.givenName"). Names are kept as
// written; [Compile] resolves them case-insensitively.
type AttrPath struct {
	URN  string
	Name string
	Sub  string
}

// Op is a comparison operator, always lower case after parsing.
type Op string

// The operators of RFC 7644 §3.4.2.2, Table 3.
const (
	Eq Op = "eq"
	Ne Op = "ne"
	Co Op = "co"
	Sw Op = "sw"
	Ew Op = "ew"
	Gt Op = "gt"
	Ge Op = "ge"
	Lt Op = "lt"
	Le Op = "le"
	Pr Op = "pr"
)

// Compare is "attrPath op value". For Pr, Value is nil. Value is a string
// (escapes decoded), bool, nil (the literal null) or json.Number.
type Compare struct {
	Path  AttrPath
	Op    Op
	Value any
}

// And is "Left and Right".
type And struct{ Left, Right Expr }

// Or is "Left or Right".
type Or struct{ Left, Right Expr }

// Not is "not (X)".
type Not struct{ X Expr }

// ValuePath is "attrPath[valFilter]": some value of the multi-valued
// attribute Path matches Filter, whose paths name sub-attributes of Path.
type ValuePath struct {
	Path   AttrPath
	Filter Expr
}

func (Compare) isExpr()   {}
func (And) isExpr()       {}
func (Or) isExpr()        {}
func (Not) isExpr()       {}
func (ValuePath) isExpr() {}

// Path is a PATCH path (RFC 7644 §3.5.2): attrPath, or
// attrPath "[" valFilter "]" optionally followed by "." subAttr.
type Path struct {
	Attr   AttrPath // Attr.Sub is set for "name.givenName"
	Filter Expr     // nil without a value filter
	Sub    string   // the sub-attribute after "]", "" if none
}

// Value returns a node built by address (&And{…}, which Compile accepts too)
// as its value, so code that walks a tree switches on value types only. A nil
// pointer gives nil; any other node is returned as it is.
func Value(e Expr) Expr {
	switch x := e.(type) {
	case *Compare:
		return deref(x)
	case *And:
		return deref(x)
	case *Or:
		return deref(x)
	case *Not:
		return deref(x)
	case *ValuePath:
		return deref(x)
	}
	return e
}
