package filter

import (
	"encoding/json"
	"strconv"
	"strings"
)

// String returns the path as written: "urn:...:name.sub".
func (a AttrPath) String() string {
	s := a.Name
	if a.Sub != "" {
		s += "." + a.Sub
	}
	if a.URN != "" {
		s = a.URN + ":" + s
	}
	return s
}

// String returns the PATCH path in RFC 7644 §3.5.2 syntax.
func (p Path) String() string {
	var b strings.Builder
	b.WriteString(p.Attr.String())
	if p.Filter != nil {
		b.WriteByte('[')
		write(&b, p.Filter)
		b.WriteByte(']')
	}
	if p.Sub != "" {
		b.WriteByte('.')
		b.WriteString(p.Sub)
	}
	return b.String()
}

func (c Compare) String() string   { return exprString(c) }
func (a And) String() string       { return exprString(a) }
func (o Or) String() string        { return exprString(o) }
func (n Not) String() string       { return exprString(n) }
func (v ValuePath) String() string { return exprString(v) }

func exprString(e Expr) string {
	var b strings.Builder
	write(&b, e)
	return b.String()
}

// Binding strength of each node, to print parentheses only where the
// default precedence (not > and > or, left-associative) would misread.
const (
	precOr = iota + 1
	precAnd
	precAtom
)

func precOf(e Expr) int {
	switch e.(type) {
	case Or, *Or:
		return precOr
	case And, *And:
		return precAnd
	}
	return precAtom
}

// write appends e to b; one builder for the whole tree keeps printing linear
// in the size of the filter.
func write(b *strings.Builder, e Expr) {
	switch e := e.(type) {
	case Compare:
		writeCompare(b, e)
	case And:
		writeBinary(b, e.Left, " and ", e.Right, precAnd)
	case Or:
		writeBinary(b, e.Left, " or ", e.Right, precOr)
	case Not:
		b.WriteString("not (")
		write(b, e.X)
		b.WriteByte(')')
	case ValuePath:
		b.WriteString(e.Path.String())
		b.WriteByte('[')
		write(b, e.Filter)
		b.WriteByte(']')
	case *Compare:
		writePtr(b, e)
	case *And:
		writePtr(b, e)
	case *Or:
		writePtr(b, e)
	case *Not:
		writePtr(b, e)
	case *ValuePath:
		writePtr(b, e)
	}
}

// writePtr prints a node built by address (&And{...}) like its value.
func writePtr[T Expr](b *strings.Builder, e *T) {
	if e != nil {
		write(b, *e)
	}
}

// writeBinary prints "left op right". Both operators are left-associative,
// so a right operand of the same strength needs parentheses and a left one
// does not.
func writeBinary(b *strings.Builder, left Expr, op string, right Expr, prec int) {
	writeOperand(b, left, precOf(left) < prec)
	b.WriteString(op)
	writeOperand(b, right, precOf(right) <= prec)
}

func writeOperand(b *strings.Builder, e Expr, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	write(b, e)
	if paren {
		b.WriteByte(')')
	}
}

func writeCompare(b *strings.Builder, c Compare) {
	b.WriteString(c.Path.String())
	b.WriteByte(' ')
	b.WriteString(string(c.Op))
	if c.Op == Pr {
		return
	}
	b.WriteByte(' ')
	b.WriteString(formatValue(c.Value))
}

// formatValue prints a comparison value as the JSON literal it was parsed
// from. Strings go through encoding/json so that every escape the parser
// decodes is produced again; HTML escaping is off to keep "&" readable.
func formatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case json.Number:
		if v == "" {
			return "0"
		}
		return string(v)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "null"
	}
	return strings.TrimSuffix(b.String(), "\n")
}
