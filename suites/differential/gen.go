package differential

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

// The generator writes filters (RFC 7644 §3.4.2.2) over the population's
// attributes as a small tree, so that a disagreement can be shrunk node by
// node. It only writes filters whose meaning the RFC fixes: no "ne", gt or lt
// on multi-valued attributes (whether "any element" or "every element" must
// differ is left open), and ne/gt/ge/lt/le only on attributes every
// generated user has (what an absent attribute compares as is left open too).

// expr is a node of a generated filter.
type expr interface {
	String() string
	// smaller lists strictly smaller filters to try when shrinking.
	smaller() []expr
}

type compare struct {
	attr, op string
	value    string // the JSON literal, "" for pr
}

func (c compare) String() string {
	if c.op == "pr" || strings.EqualFold(c.op, "pr") {
		return c.attr + " " + c.op
	}
	return c.attr + " " + c.op + " " + c.value
}
func (c compare) smaller() []expr { return nil }

type logical struct {
	op    string // and, or (any case)
	l, r  expr
	paren bool // parenthesised even where precedence does not need it
}

// String writes only the parentheses precedence needs (RFC 7644 §3.4.2.2:
// "and" binds tighter than "or"), plus the ones paren asks for: servers
// that get precedence wrong are only caught by filters that lean on it.
func (l logical) String() string {
	side := func(e expr) string {
		if c, ok := e.(logical); ok && (c.paren || strings.EqualFold(c.op, "or") && strings.EqualFold(l.op, "and")) {
			return "(" + c.String() + ")"
		}
		return e.String()
	}
	return side(l.l) + " " + l.op + " " + side(l.r)
}
func (l logical) smaller() []expr {
	out := []expr{l.l, l.r}
	for _, s := range l.l.smaller() {
		out = append(out, logical{l.op, s, l.r, l.paren})
	}
	for _, s := range l.r.smaller() {
		out = append(out, logical{l.op, l.l, s, l.paren})
	}
	return out
}

type negation struct{ e expr }

func (n negation) String() string { return "not (" + n.e.String() + ")" }
func (n negation) smaller() []expr {
	out := []expr{n.e}
	for _, s := range n.e.smaller() {
		out = append(out, negation{s})
	}
	return out
}

// valuePath is attr[filter] over a multi-valued complex attribute.
type valuePath struct {
	attr string
	e    expr // over sub-attribute names
}

func (v valuePath) String() string { return v.attr + "[" + v.e.String() + "]" }
func (v valuePath) smaller() []expr {
	var out []expr
	if c, ok := v.e.(compare); ok { // emails[type eq "work"] → emails.type eq "work"
		out = append(out, compare{v.attr + "." + c.attr, c.op, c.value})
	}
	for _, s := range v.e.smaller() {
		out = append(out, valuePath{v.attr, s})
	}
	return out
}

// attribute is one filterable attribute of the generated users.
type attribute struct {
	path string
	// always: every user has it, so ne and ordering comparisons are defined.
	always bool
	multi  bool // a sub-attribute of a multi-valued attribute
	bool   bool
	values func(u user) []string // the user's values, for literals that match
}

var attributes = []attribute{
	{path: "userName", always: true, values: func(u user) []string { return []string{u.UserName} }},
	{path: "displayName", always: true, values: func(u user) []string { return []string{u.DisplayName} }},
	{path: "title", always: true, values: func(u user) []string { return []string{u.Title} }},
	{path: "name.givenName", always: true, values: func(u user) []string { return []string{u.GivenName} }},
	{path: "name.familyName", always: true, values: func(u user) []string { return []string{u.FamilyName} }},
	{path: "userType", values: func(u user) []string { return nonEmpty(u.UserType) }},
	{path: "active", always: true, bool: true, values: func(u user) []string { return []string{fmt.Sprint(u.Active)} }},
	{path: "emails.value", multi: true, values: func(u user) []string { return emailField(u, func(e email) string { return e.Value }) }},
	{path: "emails.type", multi: true, values: func(u user) []string { return emailField(u, func(e email) string { return e.Type }) }},
}

// emailAttributes are the sub-attributes a value path on emails filters by.
var emailAttributes = attributes[7:9]

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func emailField(u user, f func(email) string) []string {
	var out []string
	for _, e := range u.Emails {
		out = append(out, f(e))
	}
	return out
}

// filters generates random filters over a population.
type filters struct {
	rnd    *rand.Rand
	users  []user
	groups []group
}

// next returns a filter of at most depth levels of and/or/not.
func (g *filters) next(depth int) expr {
	if depth > 0 && g.rnd.IntN(3) > 0 {
		switch g.rnd.IntN(5) {
		case 0:
			return negation{g.next(depth - 1)}
		case 1:
			return g.emailPath()
		default:
			op := "and"
			if g.rnd.IntN(2) == 0 {
				op = "or"
			}
			return logical{g.caseOf(op), g.next(depth - 1), g.next(depth - 1), g.rnd.IntN(3) == 0}
		}
	}
	return g.compare(attributes[g.rnd.IntN(len(attributes))], "")
}

// emailPath is a value path on emails, with one or two sub-attribute terms.
func (g *filters) emailPath() expr {
	var e expr = g.compare(emailAttributes[g.rnd.IntN(len(emailAttributes))], "emails.")
	if g.rnd.IntN(2) == 0 {
		e = logical{g.caseOf("and"), e, g.compare(emailAttributes[g.rnd.IntN(len(emailAttributes))], "emails."), false}
	}
	return valuePath{g.caseOf("emails"), e}
}

// compare writes one attribute comparison; inside a value path the
// attribute is named without its parent (strip).
func (g *filters) compare(a attribute, strip string) expr {
	name := g.caseOf(strings.TrimPrefix(a.path, strip))
	if a.bool {
		return compare{name, g.caseOf("eq"), fmt.Sprint(g.rnd.IntN(2) == 0)}
	}
	ops := []string{"eq", "co", "sw", "ew", "pr"}
	if a.always && !a.multi {
		ops = append(ops, "ne", "gt", "ge", "lt", "le")
	}
	op := ops[g.rnd.IntN(len(ops))]
	if op == "pr" {
		return compare{name, g.caseOf(op), ""}
	}
	return compare{name, g.caseOf(op), literal(g.valueFor(a, op))}
}

// valueFor picks a literal that some user's value matches, cut to fit the
// operator, in a random case (the attributes are caseExact false).
func (g *filters) valueFor(a attribute, op string) string {
	var pool []string
	for _, u := range g.users {
		pool = append(pool, a.values(u)...)
	}
	return g.literalFor(pool, op)
}

// literalFor picks one of pool, cut to fit op, in a random case.
func (g *filters) literalFor(pool []string, op string) string {
	if len(pool) == 0 {
		return "x"
	}
	v := pool[g.rnd.IntN(len(pool))]
	if n := len(v); n > 2 {
		switch op {
		case "co":
			i := g.rnd.IntN(n - 1)
			v = v[i : i+1+g.rnd.IntN(n-i-1)+1]
		case "sw":
			v = v[:1+g.rnd.IntN(n-1)]
		case "ew":
			v = v[g.rnd.IntN(n-1):]
		}
	}
	if g.rnd.IntN(4) == 0 {
		v = strings.ToUpper(v)
	}
	return v
}

// caseOf returns s, or s in another case a quarter of the time: attribute
// names and operators are case-insensitive (RFC 7644 §3.4.2.2, RFC 7643 §2.1).
func (g *filters) caseOf(s string) string {
	switch g.rnd.IntN(8) {
	case 0:
		return strings.ToUpper(s)
	case 1:
		return strings.ToLower(s)
	}
	return s
}

func literal(s string) string {
	if s == "true" || s == "false" {
		return s
	}
	b, _ := json.Marshal(s)
	return string(b)
}
