package filter

import (
	"cmp"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/scimharness/scimharness/server/schema"
)

// compileCompare compiles "path op value" for the resolved path f.
//
// "ne" is the negation of "eq" over the whole attribute, so a resource
// without the attribute matches "title ne "x"", and for a multi-valued
// attribute "ne" means that no value is equal. "eq null" matches an absent
// attribute and "ne null" a present one.
func compileCompare(f *field, c Compare) (Matcher, error) {
	switch c.Op {
	case Pr:
		return f.matcher(present), nil
	case Eq, Ne:
		if c.Value == nil {
			if c.Op == Eq {
				return negate(f.matcher(present)), nil
			}
			return f.matcher(present), nil
		}
	case Co, Sw, Ew, Gt, Ge, Lt, Le:
		if c.Value == nil {
			return nil, schema.Errorf(schema.InvalidFilter, "%q %s null: null can only be compared with eq or ne", f.path, c.Op)
		}
	default:
		return nil, unknownOp(c.Op)
	}
	f, err := f.scalar(c.Op)
	if err != nil {
		return nil, err
	}
	test, err := compileTest(f, c)
	if err != nil {
		return nil, err
	}
	m := f.matcher(test)
	if c.Op == Ne {
		return negate(m), nil
	}
	return m, nil
}

func knownOp(op Op) bool {
	for _, o := range operators {
		if op == o {
			return true
		}
	}
	return false
}

func unknownOp(op Op) error {
	return schema.Errorf(schema.InvalidFilter, "unknown operator %q", string(op))
}

// scalar returns the path to compare values at. A complex attribute
// compares its "value" sub-attribute (RFC 7644 §3.4.2.2: `emails co "@x"`,
// `members eq "<id>"`); one without "value" can only be tested with "pr".
func (f *field) scalar(op Op) (*field, error) {
	if f.attr.Type != schema.TypeComplex {
		return f, nil
	}
	v := f.attr.Sub("value")
	if f.sub != "" || v == nil {
		return nil, schema.Errorf(schema.InvalidFilter,
			"%q is a complex attribute without a \"value\" sub-attribute: %s needs one of its sub-attributes (only pr applies to it)", f.path, op)
	}
	return &field{urn: f.urn, name: f.name, sub: v.Name, attr: v, path: f.path + "." + v.Name}, nil
}

func (f *field) matcher(test func(any) bool) Matcher {
	return func(doc map[string]any) bool { return f.any(doc, test) }
}

func negate(m Matcher) Matcher {
	return func(doc map[string]any) bool { return !m(doc) }
}

// compileTest returns the test one value must pass for c, by the type of the
// attribute (RFC 7644 §3.4.2.2). "ne" is compiled as "eq" and negated by the
// caller.
func compileTest(f *field, c Compare) (func(any) bool, error) {
	op := c.Op
	if op == Ne {
		op = Eq
	}
	switch f.attr.Type {
	case schema.TypeString, schema.TypeReference:
		lit, err := stringLiteral(f, c)
		if err != nil {
			return nil, err
		}
		return stringTest(f.attr.CaseExact, op, lit), nil
	case schema.TypeBinary:
		return binaryTest(f, c, op)
	case schema.TypeBoolean:
		return boolTest(f, c, op)
	case schema.TypeInteger, schema.TypeDecimal:
		return numberTest(f, c, op)
	case schema.TypeDateTime:
		return timeTest(f, c, op)
	}
	return nil, schema.Errorf(schema.InvalidFilter, "attribute %q of type %q cannot be compared", f.path, f.attr.Type)
}

// stringLiteral is the literal of c as a string. A number is accepted as its
// text, since IdPs write employeeNumber eq 1234 for a string attribute.
func stringLiteral(f *field, c Compare) (string, error) {
	switch v := c.Value.(type) {
	case string:
		return v, nil
	case json.Number:
		return string(v), nil
	}
	return "", schema.Errorf(schema.InvalidFilter, "%q is a %s attribute and cannot be compared with %s", f.path, f.attr.Type, formatValue(c.Value))
}

// stringTest compares strings; without caseExact the comparison ignores
// case (RFC 7643 §2.3.1) the way strings.EqualFold does, without allocating.
func stringTest(caseExact bool, op Op, lit string) func(any) bool {
	test := StringTest(caseExact, op, lit)
	return func(v any) bool {
		s, ok := v.(string)
		return ok && test(s)
	}
}

// StringTest is the test a string value of an attribute (caseExact or not)
// must pass for op (eq, co, sw, ew, gt, ge, lt or le; "ne" is "eq" negated
// by the caller) with the literal lit: the matcher's own, so that a store
// testing the keys of an index agrees with a scan.
func StringTest(caseExact bool, op Op, lit string) func(string) bool {
	var test func(s string) bool
	switch {
	case op == Eq && caseExact:
		test = func(s string) bool { return s == lit }
	case op == Eq:
		test = func(s string) bool { return strings.EqualFold(s, lit) }
	case op == Co && caseExact:
		test = func(s string) bool { return strings.Contains(s, lit) }
	case op == Co:
		test = func(s string) bool { return containsFold(s, lit) }
	case op == Sw && caseExact:
		test = func(s string) bool { return strings.HasPrefix(s, lit) }
	case op == Sw:
		test = func(s string) bool { return hasPrefixFold(s, lit) }
	case op == Ew && caseExact:
		test = func(s string) bool { return strings.HasSuffix(s, lit) }
	case op == Ew:
		test = func(s string) bool { return hasSuffixFold(s, lit) }
	case caseExact:
		test = func(s string) bool { return ordered(op, strings.Compare(s, lit)) }
	default:
		test = func(s string) bool { return ordered(op, compareFold(s, lit)) }
	}
	return test
}

// binaryTest compares base64 text exactly: base64 is case-sensitive whatever
// the schema says. RFC 7644 allows only eq, ne and pr on binary values.
func binaryTest(f *field, c Compare, op Op) (func(any) bool, error) {
	if op != Eq {
		return nil, notAllowed(f, c, "eq, ne and pr")
	}
	lit, err := stringLiteral(f, c)
	if err != nil {
		return nil, err
	}
	return stringTest(true, Eq, lit), nil
}

// boolTest accepts the literals true and false and, as a tolerance, the
// strings "true" and "false" in any case: Entra ID filters
// roles[primary eq "True"].
func boolTest(f *field, c Compare, op Op) (func(any) bool, error) {
	if op != Eq {
		return nil, notAllowed(f, c, "eq, ne and pr")
	}
	lit, ok := boolOf(c.Value)
	if !ok {
		return nil, schema.Errorf(schema.InvalidFilter, "%q is a boolean attribute and cannot be compared with %s (expected true or false)", f.path, formatValue(c.Value))
	}
	return func(v any) bool {
		b, ok := boolOf(v)
		return ok && b == lit
	}, nil
}

// Bool reads a boolean filter literal: true/false, or the strings "True" and
// "False" in any case (Entra's roles[primary eq "True"]). Stores that
// translate filters read literals with it, so they agree with [Compile].
func Bool(v any) (bool, bool) { return boolOf(v) }

func boolOf(v any) (bool, bool) {
	switch t := v.(type) {
	case bool:
		return t, true
	case string:
		switch {
		case strings.EqualFold(t, "true"):
			return true, true
		case strings.EqualFold(t, "false"):
			return false, true
		}
	}
	return false, false
}

// numberTest compares numerically; a numeric string literal is tolerated.
func numberTest(f *field, c Compare, op Op) (func(any) bool, error) {
	if op == Co || op == Sw || op == Ew {
		return nil, notAllowed(f, c, "eq, ne, gt, ge, lt, le and pr")
	}
	var lit number
	ok := false
	switch v := c.Value.(type) {
	case json.Number:
		lit, ok = parseNumber(string(v))
	case string:
		lit, ok = parseNumber(v)
	}
	if !ok {
		return nil, schema.Errorf(schema.InvalidFilter, "%q is a number attribute and cannot be compared with %s", f.path, formatValue(c.Value))
	}
	return func(v any) bool {
		n, ok := numberOf(v)
		return ok && ordered(op, n.compare(lit))
	}, nil
}

// timeTest compares dateTime values as instants, so that
// "2026-01-02T04:04:05+01:00" equals "2026-01-02T03:04:05Z"; co, sw and ew
// compare the text.
func timeTest(f *field, c Compare, op Op) (func(any) bool, error) {
	if op == Co || op == Sw || op == Ew {
		lit, err := stringLiteral(f, c)
		if err != nil {
			return nil, err
		}
		return stringTest(false, op, lit), nil
	}
	s, _ := c.Value.(string)
	lit, err := schema.ParseTime(s)
	if err != nil {
		return nil, schema.Errorf(schema.InvalidFilter, "%q is a dateTime attribute and cannot be compared with %s (expected a dateTime such as \"2026-01-02T15:04:05Z\")", f.path, formatValue(c.Value))
	}
	return func(v any) bool {
		s, ok := v.(string)
		if !ok {
			return false
		}
		t, err := schema.ParseTime(s)
		return err == nil && ordered(op, t.Compare(lit))
	}, nil
}

func notAllowed(f *field, c Compare, allowed string) error {
	return schema.Errorf(schema.InvalidFilter, "operator %s is not allowed on the %s attribute %q (only %s)", c.Op, f.attr.Type, f.path, allowed)
}

// ordered applies op to the result of a three-way comparison.
func ordered(op Op, cmp int) bool {
	switch op {
	case Eq:
		return cmp == 0
	case Gt:
		return cmp > 0
	case Ge:
		return cmp >= 0
	case Lt:
		return cmp < 0
	case Le:
		return cmp <= 0
	}
	return false
}

// number is an integer or decimal value. Integers compare exactly, so that
// two int64 values beyond 2^53 are not equal merely because their float64
// approximations are.
type number struct {
	i     int64
	f     float64
	isInt bool
}

func (a number) compare(b number) int {
	switch {
	case a.isInt && b.isInt:
		return cmp.Compare(a.i, b.i)
	case a.isInt:
		return -compareFloatInt(b.f, a.i)
	case b.isInt:
		return compareFloatInt(a.f, b.i)
	}
	return cmp.Compare(a.f, b.f)
}

// compareFloatInt compares f with i exactly, where converting i to float64
// would round it.
func compareFloatInt(f float64, i int64) int {
	switch {
	case f < math.MinInt64:
		return -1
	case f >= -math.MinInt64: // 2^63, exactly representable
		return 1
	}
	t := math.Trunc(f)
	if c := cmp.Compare(int64(t), i); c != 0 {
		return c
	}
	return cmp.Compare(f, t)
}

// parseNumber reads a JSON number; infinities (overflow) are refused.
func parseNumber(s string) (number, bool) {
	if !isNumber(s) {
		return number{}, false
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return number{i: i, f: float64(i), isInt: true}, true
	}
	f, err := strconv.ParseFloat(s, 64)
	return number{f: f}, err == nil
}

// numberOf reads a stored number in any of the shapes a document may hold.
func numberOf(v any) (number, bool) {
	switch t := v.(type) {
	case int64:
		return number{i: t, f: float64(t), isInt: true}, true
	case int:
		return number{i: int64(t), f: float64(t), isInt: true}, true
	case float64:
		return number{f: t}, !math.IsNaN(t)
	case json.Number:
		return parseNumber(string(t))
	}
	return number{}, false
}
