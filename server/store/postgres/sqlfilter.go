package postgres

import (
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// This file turns a filter.Expr into an SQL condition on the row alias "r"
// of scim.resources. The condition is built from fixed fragments chosen by
// the resolved schema attribute (its type, caseExact, multiValued); the
// only names written into the SQL are schema names (attribute names,
// extension URNs, the resource type id), quoted by quote; every value of
// the request is a $n parameter.
//
// The condition holds exactly when filter.Compile's matcher does, for the
// canonical documents the store keeps (single-valued attributes hold a
// scalar or an object, multi-valued ones an array). Three-valued logic is
// kept out of the way: a condition built from and/or alone is TRUE exactly
// when the Go matcher is true (NULL counts as not true, and and/or are
// monotone), and every negation — not, ne, eq null — is written
// NOT coalesce(x, false), which is TRUE exactly when x is not TRUE.
//
// A part that cannot be expressed in SQL with the same result is replaced
// by TRUE, which widens the condition; the caller is told (exact == false)
// and runs the Go matcher on what the SQL returns. Under a negation a
// widened part would narrow the result instead, so a not over a widened
// part is widened as a whole.

const (
	// maxArgs keeps a filter's parameters well below PostgreSQL's limit of
	// 65535 per statement: the server's rewrite of User "groups" filters
	// can produce an id comparison per user.
	maxArgs = 30000
	// maxNesting bounds the recursion over the filter tree; the parser
	// already refuses filters nested more than 50 levels.
	maxNesting = 200
)

// sqlQuery collects the parameters and aliases of one statement.
type sqlQuery struct {
	args  []any
	alias int
}

func (q *sqlQuery) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *sqlQuery) newAlias() string {
	q.alias++
	return "e" + strconv.Itoa(q.alias)
}

// quote writes a schema name as an SQL string literal (the server runs with
// standard_conforming_strings, PostgreSQL's default since 9.1, so only the
// quote needs doubling). It is never given request text.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// scope is where the paths of a filter resolve: against the resource type
// (rt set), or, inside a value path, against the sub-attributes of parent,
// for the element whose jsonb SQL is elem.
type scope struct {
	rt     *schema.ResourceType
	parent *schema.Attribute
	elem   string
}

// field is a resolved path: the attribute attr under the jsonb object base,
// and sub, the sub-attribute of attr the path names (nil for attr itself).
type field struct {
	base string
	attr *schema.Attribute
	sub  *schema.Attribute
	rt   *schema.ResourceType // set for top-level core attributes, whose indexes exist
	id   bool                 // the common attribute "id": the id column
}

func (f field) target() *schema.Attribute {
	if f.sub != nil {
		return f.sub
	}
	return f.attr
}

// resolve finds a path as the filter package does (resourceScope.field,
// valueScope.field).
func (sc scope) resolve(p filter.AttrPath) (field, bool) {
	if sc.rt != nil {
		ref, ok := sc.rt.Find(p.URN, p.Name, p.Sub)
		if !ok {
			return field{}, false
		}
		f := field{base: "r.doc", attr: ref.Attr, sub: ref.Sub}
		if ref.URN != "" {
			f.base = "r.doc -> " + quote(ref.URN)
		} else {
			f.rt = sc.rt
			f.id = ref.Sub == nil && ref.Attr == schema.Common("id")
		}
		return f, true
	}
	var sub *schema.Attribute
	switch {
	case p.URN != "":
	case p.Sub == "":
		sub = sc.parent.Sub(p.Name)
	case strings.EqualFold(p.Name, sc.parent.Name):
		sub = sc.parent.Sub(p.Sub)
	}
	if sub == nil {
		return field{}, false
	}
	return field{base: sc.elem, attr: sub}, true
}

// scalar is the filter package's field.scalar: a complex attribute compares
// its "value" sub-attribute.
func (f field) scalar() (field, bool) {
	if f.target().Type != schema.TypeComplex {
		return f, true
	}
	v := f.attr.Sub("value")
	if f.sub != nil || v == nil {
		return field{}, false
	}
	f.sub = v
	return f, true
}

// val is one value under test: j is its jsonb SQL, t its text SQL (the
// ->> form, which index expressions use). str is set when the value is
// known to be a string (the id column), so no type check is needed.
type val struct {
	j, t string
	str  bool
}

func elemVal(e string) val { return val{j: e, t: "(" + e + " #>> '{}')"} }

// exists is "some element of the jsonb array (or lone value) arr passes
// body".
func (q *sqlQuery) exists(arr string, body func(elem string) string) string {
	a := q.newAlias()
	e := a + ".v"
	return "EXISTS (SELECT 1 FROM scim.elems(" + arr + ") AS " + a + "(v) WHERE " + body(e) + ")"
}

// any is the filter package's field.any: test holds for some value of f.
// A multi-valued attribute is existential over its elements.
func (q *sqlQuery) any(f field, test func(val) string) string {
	if f.id {
		return test(val{j: "to_jsonb(r.id)", t: "r.id", str: true})
	}
	name := quote(f.attr.Name)
	top := f.base + " -> " + name
	if f.sub == nil {
		if !f.attr.MultiValued {
			return test(val{j: top, t: f.base + " ->> " + name})
		}
		return q.exists(top, func(e string) string { return test(elemVal(e)) })
	}
	sub := quote(f.sub.Name)
	inner := func(obj string) string {
		if f.sub.MultiValued {
			return q.exists(obj+" -> "+sub, func(e string) string { return test(elemVal(e)) })
		}
		return test(val{j: obj + " -> " + sub, t: obj + " ->> " + sub})
	}
	if !f.attr.MultiValued {
		return inner(top)
	}
	return q.exists(top, inner)
}

func not(cond string) string { return "NOT coalesce(" + cond + ", false)" }

// where translates a filter that filter.Compile has accepted for rt. When
// exact is false the condition is a superset and the caller must run the
// matcher; when the filter needs too many parameters, the whole condition
// is TRUE.
func (q *sqlQuery) where(e filter.Expr, rt *schema.ResourceType) (cond string, exact bool) {
	mark := len(q.args)
	cond, exact = q.cond(e, scope{rt: rt}, 0)
	if len(q.args) > maxArgs {
		q.args = q.args[:mark]
		return "TRUE", false
	}
	return cond, exact
}

func (q *sqlQuery) cond(e filter.Expr, sc scope, depth int) (string, bool) {
	if depth > maxNesting {
		return "TRUE", false
	}
	if sc.rt != nil && store.IsIDSet(e) {
		ids, _ := store.IDSet(e)
		return q.idIn(ids), true
	}
	switch x := filter.Value(e).(type) {
	case filter.And, filter.Or:
		_, isAnd := x.(filter.And)
		var parts []string
		exact := true
		for _, term := range terms(x, isAnd) {
			c, ok := q.cond(term, sc, depth+1)
			parts = append(parts, c)
			exact = exact && ok
		}
		sep := " OR "
		if isAnd {
			sep = " AND "
		}
		return "(" + strings.Join(parts, sep) + ")", exact
	case filter.Not:
		mark := len(q.args)
		c, ok := q.cond(x.X, sc, depth+1)
		if !ok {
			q.args = q.args[:mark]
			return "TRUE", false
		}
		return not(c), true
	case filter.ValuePath:
		return q.valuePath(x, sc, depth)
	case filter.Compare:
		mark := len(q.args)
		c, ok := q.compare(x, sc)
		if !ok {
			q.args = q.args[:mark]
			return "TRUE", false
		}
		return c, true
	}
	return "TRUE", false
}

// idIn is an id set (store.IDSet) as one parameter: the SQL of the
// server's rewrite of a User "groups" filter stays one comparison however
// many members the group has. An id PostgreSQL text cannot hold names no
// resource (the store makes every id), so it is left out.
func (q *sqlQuery) idIn(ids []string) string {
	valid := make([]string, 0, len(ids))
	for _, id := range ids {
		if s, ok := stringLit(id); ok {
			valid = append(valid, s)
		}
	}
	return "(r.id = ANY(" + q.arg(valid) + "::text[]))"
}

// terms flattens a chain of and (or of or) into its operands, so that the
// SQL of a long chain is flat too.
func terms(e filter.Expr, isAnd bool) []filter.Expr {
	var out []filter.Expr
	var walk func(filter.Expr)
	walk = func(e filter.Expr) {
		switch x := filter.Value(e).(type) {
		case filter.And:
			if isAnd {
				walk(x.Left)
				walk(x.Right)
				return
			}
		case filter.Or:
			if !isAnd {
				walk(x.Left)
				walk(x.Right)
				return
			}
		}
		out = append(out, e)
	}
	walk(e)
	return out
}

// valuePath is "some element of the complex attribute matches the inner
// filter"; elements that are not objects match nothing, as in Go.
func (q *sqlQuery) valuePath(vp filter.ValuePath, sc scope, depth int) (string, bool) {
	if sc.rt == nil {
		return "TRUE", false // nested value paths do not compile
	}
	f, ok := sc.resolve(vp.Path)
	if !ok || f.sub != nil || f.attr.Type != schema.TypeComplex {
		return "TRUE", false
	}
	exact := true
	c := q.exists(f.base+" -> "+quote(f.attr.Name), func(e string) string {
		inner, ok := q.cond(vp.Filter, scope{parent: f.attr, elem: e}, depth+1)
		exact = ok
		return "jsonb_typeof(" + e + ") = 'object' AND " + inner
	})
	// emails[type eq "work" and value eq "x"] (Entra's
	// emails[type eq "work"].value eq "x") can only hold when some value is
	// x: saying so lets the planner use the GIN index of the values; the
	// EXISTS still decides.
	for _, t := range terms(vp.Filter, true) {
		cmp, ok := filter.Value(t).(filter.Compare)
		if !ok || cmp.Op != filter.Eq || cmp.Value == nil {
			continue
		}
		sub, ok := scope{parent: f.attr}.resolve(cmp.Path)
		if !ok || sub.attr.Name != "value" {
			continue
		}
		s, ok := stringLit(cmp.Value)
		if !ok || (sub.attr.Type != schema.TypeString && sub.attr.Type != schema.TypeReference) {
			continue
		}
		if keys, ok := q.valueKeys(field{base: f.base, attr: f.attr, sub: sub.attr}, filter.Eq, s); ok {
			return "(" + keys + " AND " + c + ")", exact
		}
	}
	return c, exact
}

// compare is compileCompare: pr, eq/ne null, then the typed tests; ne is
// the negation of eq over the whole attribute.
func (q *sqlQuery) compare(c filter.Compare, sc scope) (string, bool) {
	if sc.rt != nil && c.Path.URN == "" && c.Path.Sub == "" && strings.EqualFold(c.Path.Name, "schemas") {
		return q.schemas(c, sc.rt)
	}
	f, ok := sc.resolve(c.Path)
	if !ok {
		return "", false
	}
	present := func(v val) string {
		if v.str {
			return "(" + v.t + " <> '')"
		}
		return "scim.present(" + v.j + ")"
	}
	switch c.Op {
	case filter.Pr:
		return q.any(f, present), true
	case filter.Eq, filter.Ne:
		if c.Value == nil {
			if c.Op == filter.Eq {
				return not(q.any(f, present)), true
			}
			return q.any(f, present), true
		}
	}
	sf, ok := f.scalar()
	if !ok {
		return "", false
	}
	op := c.Op
	if op == filter.Ne {
		op = filter.Eq
	}
	m, ok := q.match(sf, op, c.Value)
	if !ok {
		return "", false
	}
	if c.Op == filter.Ne {
		return not(m), true
	}
	return m, true
}

var sqlOps = map[filter.Op]string{filter.Eq: "=", filter.Gt: ">", filter.Ge: ">=", filter.Lt: "<", filter.Le: "<="}

// match is "some value of f passes op lit" by the type of f's attribute,
// the filter package's compileTest.
func (q *sqlQuery) match(f field, op filter.Op, lit any) (string, bool) {
	a := f.target()
	switch a.Type {
	case schema.TypeString, schema.TypeReference:
		s, ok := stringLit(lit)
		if !ok {
			return "", false
		}
		if c, ok := q.valueKeys(f, op, s); ok {
			return c, true
		}
		return q.any(f, q.stringTest(f, a.CaseExact, op, s)), true
	case schema.TypeBinary:
		s, ok := stringLit(lit)
		if !ok || op != filter.Eq {
			return "", false
		}
		return q.any(f, q.stringTest(f, true, op, s)), true
	case schema.TypeBoolean:
		b, ok := filter.Bool(lit)
		if !ok || op != filter.Eq {
			return "", false
		}
		p := q.arg(b)
		return q.any(f, func(v val) string { return "(scim.bool(" + v.j + ") = " + p + ")" }), true
	case schema.TypeInteger, schema.TypeDecimal:
		n, ok := q.numberArg(a, lit)
		if !ok || sqlOps[op] == "" {
			return "", false
		}
		return q.any(f, func(v val) string { return "(scim.num(" + v.j + ") " + sqlOps[op] + " " + n + "::text::numeric)" }), true
	case schema.TypeDateTime:
		if op == filter.Co || op == filter.Sw || op == filter.Ew {
			s, ok := stringLit(lit)
			if !ok {
				return "", false
			}
			return q.any(f, q.stringTest(f, false, op, s)), true
		}
		s, _ := lit.(string)
		t, err := schema.ParseTime(s)
		if err != nil || sqlOps[op] == "" {
			return "", false
		}
		key := new(big.Int).Mul(big.NewInt(t.Unix()), big.NewInt(1e9))
		key.Add(key, big.NewInt(int64(t.Nanosecond())))
		p := q.arg(key.String())
		return q.any(f, func(v val) string {
			c := "scim.time(" + v.t + ") " + sqlOps[op] + " " + p + "::text::numeric"
			if v.str {
				return "(" + c + ")"
			}
			return "(jsonb_typeof(" + v.j + ") = 'string' AND " + c + ")"
		}), true
	}
	return "", false
}

// valueKeys answers `emails.value eq "x"` (a "value" that is not caseExact,
// of a multi-valued complex attribute) through scim.value_keys, which the
// emails and members GIN indexes hold: the folded values contain fold(x)
// exactly when some element's value equals x case-insensitively.
func (q *sqlQuery) valueKeys(f field, op filter.Op, s string) (string, bool) {
	if op != filter.Eq || f.sub == nil || f.sub.Name != "value" || f.sub.MultiValued || f.sub.CaseExact ||
		!f.attr.MultiValued || f.attr.Type != schema.TypeComplex {
		return "", false
	}
	return "scim.value_keys(" + f.base + " -> " + quote(f.attr.Name) + ") @> " + q.arg(keysJSON(s)) + "::jsonb", true
}

// keysJSON is the jsonb array scim.value_keys must contain for a value
// equal to s.
func keysJSON(s string) string {
	b, _ := json.Marshal([]string{fold(s)}) // a string always marshals
	return string(b)
}

// stringTest is the filter package's stringTest. Without caseExact, eq,
// co, sw and ew compare scim.fold of both sides (EqualFold), and the
// orderings compare scim.fold_order bytewise unless the two are equal under
// fold (compareFold).
func (q *sqlQuery) stringTest(f field, caseExact bool, op filter.Op, lit string) func(val) string {
	var cond func(t string) string
	switch {
	case caseExact && op == filter.Eq:
		p := q.arg(lit)
		cond = func(t string) string { return t + " = " + p }
	case caseExact && (op == filter.Co || op == filter.Sw || op == filter.Ew):
		p := q.arg(likePattern(op, lit))
		cond = func(t string) string { return t + " LIKE " + p }
	case caseExact:
		p := q.arg(lit)
		cond = func(t string) string { return "(" + t + ` COLLATE "C") ` + sqlOps[op] + " " + p }
	case op == filter.Eq:
		// For userName and Group displayName this is the expression of
		// their unique indexes (migrations/0004), which it uses.
		p := q.arg(fold(lit))
		cond = func(t string) string { return "scim.fold(" + t + ") = " + p }
	case op == filter.Co || op == filter.Sw || op == filter.Ew:
		p := q.arg(likePattern(op, fold(lit)))
		cond = func(t string) string { return "scim.fold(" + t + ") LIKE " + p }
	default:
		pf, po := q.arg(fold(lit)), q.arg(foldOrder(lit))
		cond = func(t string) string {
			ord := "(scim.fold_order(" + t + `) COLLATE "C") ` + sqlOps[op] + " " + po
			if op == filter.Ge || op == filter.Le {
				return "(scim.fold(" + t + ") = " + pf + " OR " + ord + ")"
			}
			return "(scim.fold(" + t + ") <> " + pf + " AND " + ord + ")"
		}
	}
	return func(v val) string {
		if v.str {
			return "(" + cond(v.t) + ")"
		}
		return "(jsonb_typeof(" + v.j + ") = 'string' AND " + cond(v.t) + ")"
	}
}

// likePattern escapes the LIKE wildcards and the escape character (the
// default, backslash) of lit and anchors it for op.
func likePattern(op filter.Op, lit string) string {
	lit = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(lit)
	switch op {
	case filter.Co:
		return "%" + lit + "%"
	case filter.Sw:
		return lit + "%"
	}
	return "%" + lit
}

// stringLit is the filter package's stringLiteral, refusing (for the Go
// matcher to decide) what PostgreSQL text cannot hold: NUL and invalid
// UTF-8. No stored string holds either.
func stringLit(v any) (string, bool) {
	var s string
	switch t := v.(type) {
	case string:
		s = t
	case json.Number:
		s = string(t)
	default:
		return "", false
	}
	return s, utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// numberArg returns the parameter of a number literal, as decimal text
// whose numeric comparison with the stored numbers is the Go comparison:
//
//   - integer attributes hold int64 values, compared exactly with the
//     literal, so the literal is written exactly (a float's full binary
//     expansion);
//   - decimal attributes hold float64 values, which the store writes in
//     their shortest form; shortest forms order as the floats do, so a float
//     literal is written in its shortest form too, and an integer literal
//     as the float it equals. An integer a float64 cannot hold exactly is
//     left to the Go matcher.
func (q *sqlQuery) numberArg(a *schema.Attribute, lit any) (string, bool) {
	var s string
	switch t := lit.(type) {
	case json.Number:
		s = string(t)
	case string:
		s = t
	default:
		return "", false
	}
	i, ierr := strconv.ParseInt(s, 10, 64)
	isInt := ierr == nil
	var f float64
	if !isInt {
		var err error
		if f, err = strconv.ParseFloat(s, 64); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return "", false
		}
	}
	var text string
	switch {
	case a.Type == schema.TypeInteger && isInt:
		text = strconv.FormatInt(i, 10)
	case a.Type == schema.TypeInteger:
		text = exactDecimal(new(big.Rat).SetFloat64(f))
	case isInt:
		fi := float64(i)
		if fi >= 0x1p63 || int64(fi) != i {
			return "", false
		}
		text = strconv.FormatFloat(fi, 'g', -1, 64)
	default:
		text = strconv.FormatFloat(f, 'g', -1, 64)
	}
	return q.arg(text), true
}

// exactDecimal writes a rational whose denominator is a power of two (a
// float64) as a finite decimal.
func exactDecimal(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	digits := r.Denom().BitLen() // 2^k needs k decimal digits
	s := r.FloatString(digits)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// schemas translates a filter on "schemas", which stores do not keep: the
// server derives it from the core schema and the extensions a resource has
// values for (compareSchemas). Whether the comparison holds for the core
// schema and for each extension does not depend on the document, so it is
// asked of the Go matcher itself, on documents holding no extension and one
// extension each, and the SQL only tests which extension objects a
// resource has.
func (q *sqlQuery) schemas(c filter.Compare, rt *schema.ResourceType) (string, bool) {
	m, err := filter.Compile(c, rt)
	if err != nil {
		return "", false
	}
	none := m(map[string]any{})
	var differ []string
	for _, e := range rt.Extensions() {
		if m(map[string]any{e.ID: map[string]any{"x": true}}) != none {
			x := "r.doc -> " + quote(e.ID)
			differ = append(differ, "coalesce(jsonb_typeof("+x+") = 'object' AND "+x+" <> '{}'::jsonb, false)")
		}
	}
	if len(differ) == 0 {
		if none {
			return "TRUE", true
		}
		return "FALSE", true
	}
	some := "(" + strings.Join(differ, " OR ") + ")"
	if none {
		return "NOT " + some, true
	}
	return some, true
}
