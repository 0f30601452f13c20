package filter

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/scimharness/scimharness/server/schema"
)

// maxDepth bounds the nesting of parentheses, "not" and value filters. The
// parser recurses once per level, so without a bound a hostile filter of a
// million "(" would exhaust the stack; no real filter comes near 50.
const maxDepth = 50

// Parse parses a filter (RFC 7644 §3.4.2.2). Every error is a *schema.Error
// with scimType invalidFilter whose detail names the 1-based position of the
// problem.
func Parse(s string) (Expr, error) {
	p := &parser{s: s, scimType: schema.InvalidFilter, subject: "filter"}
	p.skipSpace()
	if p.eof() {
		return nil, p.errorf(p.i, "the filter is empty")
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if !p.eof() {
		return nil, p.errorf(p.i, `expected "and", "or" or the end of the filter, found %s`, p.found(p.i))
	}
	return e, nil
}

// ParsePath parses a PATCH path (RFC 7644 §3.5.2): attrPath,
// attrPath[valFilter] or attrPath[valFilter].subAttr. Every error is a
// *schema.Error with scimType invalidPath.
func ParsePath(s string) (Path, error) {
	p := &parser{s: s, scimType: schema.InvalidPath, subject: "path"}
	p.skipSpace()
	attr, err := p.parseAttrPath()
	if err != nil {
		return Path{}, err
	}
	path := Path{Attr: attr}
	if p.peek() == '[' {
		if err := p.checkFilterable(attr); err != nil {
			return Path{}, err
		}
		if path.Filter, _, err = p.parseValueFilter(); err != nil {
			return Path{}, err
		}
		if p.peek() == '.' {
			p.i++
			if path.Sub, err = p.parseSubAttr(); err != nil {
				return Path{}, err
			}
		}
	}
	p.skipSpace()
	switch {
	case p.peek() == '[':
		return Path{}, p.errorf(p.i, `no space is allowed before "["`)
	case !p.eof():
		return Path{}, p.errorf(p.i, `expected "[" or the end of the path, found %s`, p.found(p.i))
	}
	return path, nil
}

// ParseAttrPath parses an attribute path without a value filter, such as
// "name.givenName" or "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager".
// Every error is a *schema.Error with scimType invalidPath.
func ParseAttrPath(s string) (AttrPath, error) {
	p := &parser{s: s, scimType: schema.InvalidPath, subject: "path"}
	p.skipSpace()
	a, err := p.parseAttrPath()
	if err != nil {
		return AttrPath{}, err
	}
	p.skipSpace()
	if !p.eof() {
		return AttrPath{}, p.errorf(p.i, "expected the end of the path, found %s", p.found(p.i))
	}
	return a, nil
}

// parser is a recursive-descent parser over the text s; i is the byte
// offset of the next unread character.
type parser struct {
	s        string
	i        int
	depth    int
	deepest  int    // greatest depth reached, for the check of Entra's form
	inValue  bool   // inside "[...]", where another "[" is an error
	scimType string // of every error: invalidFilter or invalidPath
	subject  string // "filter" or "path", for messages
}

// parseOr parses or-terms; "or" binds loosest, left-associatively.
func (p *parser) parseOr() (Expr, error) {
	left, err := p.parseAnd()
	for err == nil && p.keyword("or") {
		var right Expr
		right, err = p.parseAnd()
		left = Or{Left: left, Right: right}
	}
	if err != nil {
		return nil, err
	}
	return left, nil
}

// parseAnd parses and-terms, which bind tighter than "or".
func (p *parser) parseAnd() (Expr, error) {
	left, err := p.parseUnary()
	for err == nil && p.keyword("and") {
		var right Expr
		right, err = p.parseUnary()
		left = And{Left: left, Right: right}
	}
	if err != nil {
		return nil, err
	}
	return left, nil
}

// parseUnary parses "(filter)", "not (filter)", or an attribute expression.
func (p *parser) parseUnary() (Expr, error) {
	p.skipSpace()
	if p.peek() == '(' {
		return p.parseGroup()
	}
	if w := p.word(p.i); schema.EqualName(w, "not") && p.notFollows(p.i+len(w)) {
		return p.parseNot(p.i + len(w))
	}
	return p.parseAttrExpr()
}

// notFollows tells the keyword "not" (at j, just after the word) from an
// attribute that happens to be named "not": the attribute is followed by "["
// or by a comparison operator.
func (p *parser) notFollows(j int) bool {
	if j < len(p.s) && p.s[j] == '[' {
		return false
	}
	for j < len(p.s) && isSpace(p.s[j]) {
		j++
	}
	if j < len(p.s) && p.s[j] == '(' {
		return true
	}
	_, isOp := opOf(p.word(j))
	return !isOp
}

// parseNot parses the parenthesised filter after "not"; j is just past "not".
func (p *parser) parseNot(j int) (Expr, error) {
	p.i = j
	p.skipSpace()
	if p.peek() != '(' {
		return nil, p.errorf(p.i, `expected "(" after "not", found %s`, p.found(p.i))
	}
	x, err := p.parseGroup()
	if err != nil {
		return nil, err
	}
	return Not{X: x}, nil
}

// parseGroup parses "(" filter ")".
func (p *parser) parseGroup() (Expr, error) {
	open := p.i
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.i++
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.peek() != ')' {
		return nil, p.errorf(p.i, `expected "and", "or" or ")" to close the "(" at position %d, found %s`,
			p.pos(open), p.found(p.i))
	}
	p.i++
	p.depth--
	return e, nil
}

// parseAttrExpr parses "attrPath op value", "attrPath pr",
// "attrPath[valFilter]", and Entra's "attrPath[valFilter].sub op value".
func (p *parser) parseAttrExpr() (Expr, error) {
	path, err := p.parseAttrPath()
	if err != nil {
		return nil, err
	}
	if p.peek() != '[' {
		return p.parseComparison(path)
	}
	if err := p.checkFilterable(path); err != nil {
		return nil, err
	}
	filter, deepest, err := p.parseValueFilter()
	if err != nil {
		return nil, err
	}
	if p.peek() != '.' {
		return ValuePath{Path: path, Filter: filter}, nil
	}
	return p.parseEntraForm(path, filter, deepest)
}

// parseEntraForm parses the ".sub op value" after a value filter. Entra ID
// matches users with emails[type eq "work"].value eq "x", which means the
// same as the RFC form emails[type eq "work" and value eq "x"]; the parser
// returns the RFC form. An or-filter gains parentheses in that form, one
// more level of nesting than deepest: past maxDepth, the printed filter
// would not parse back, so the filter is refused here.
func (p *parser) parseEntraForm(path AttrPath, filter Expr, deepest int) (Expr, error) {
	if _, isOr := filter.(Or); isOr && deepest+1 > maxDepth {
		return nil, p.errorf(p.i, "the %s is nested more than %d levels deep", p.subject, maxDepth)
	}
	p.i++ // the "."
	sub, err := p.parseSubAttr()
	if err != nil {
		return nil, err
	}
	cmp, err := p.parseComparison(AttrPath{Name: sub})
	if err != nil {
		return nil, err
	}
	return ValuePath{Path: path, Filter: And{Left: filter, Right: cmp}}, nil
}

// checkFilterable rejects a value filter where it cannot apply: inside
// another value filter, or after a sub-attribute.
func (p *parser) checkFilterable(path AttrPath) error {
	if p.inValue {
		return p.errorf(p.i, `a value filter cannot contain another "["`)
	}
	if path.Sub != "" {
		return p.errorf(p.i, `a value filter "[" must follow an attribute, not the sub-attribute %q`, path.String())
	}
	return nil
}

// parseValueFilter parses "[" valFilter "]". It also returns the deepest
// nesting reached inside, for [parser.parseEntraForm].
func (p *parser) parseValueFilter() (e Expr, deepest int, err error) {
	open, outer := p.i, p.deepest
	if err := p.enter(); err != nil {
		return nil, 0, err
	}
	p.deepest = p.depth
	p.i++
	p.inValue = true
	if e, err = p.parseOr(); err != nil {
		return nil, 0, err
	}
	if p.peek() != ']' {
		return nil, 0, p.errorf(p.i, `expected "and", "or" or "]" to close the "[" at position %d, found %s`,
			p.pos(open), p.found(p.i))
	}
	p.i++
	p.inValue = false
	p.depth--
	deepest, p.deepest = p.deepest, max(outer, p.deepest)
	return e, deepest, nil
}

// parseComparison parses the operator and value after an attribute path.
func (p *parser) parseComparison(path AttrPath) (Expr, error) {
	p.skipSpace()
	w := p.word(p.i)
	op, ok := opOf(w)
	if !ok {
		return nil, p.errorf(p.i, "expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr), found %s", p.found(p.i))
	}
	p.i += len(w)
	if op == Pr {
		return Compare{Path: path, Op: Pr}, p.checkNoValue()
	}
	v, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	return Compare{Path: path, Op: op, Value: v}, nil
}

// checkNoValue gives a clear message for "title pr "x"", which would
// otherwise be reported as a missing "and".
func (p *parser) checkNoValue() error {
	p.skipSpace()
	w := p.word(p.i)
	if p.peek() == '"' || (w != "" && !schema.EqualName(w, "and") && !schema.EqualName(w, "or")) {
		return p.errorf(p.i, `"pr" takes no value, found %s`, p.found(p.i))
	}
	return nil
}

// parseValue parses a comparison value: a JSON string, number, true, false
// or null. An unquoted word that is none of these is read as a string:
// Entra's documentation filters "externalId eq jyoung".
func (p *parser) parseValue() (any, error) {
	p.skipSpace()
	if p.peek() == '"' {
		return p.parseString()
	}
	w := p.word(p.i)
	if w == "" {
		return nil, p.errorf(p.i, "expected a value (a string, number, true, false or null), found %s", p.found(p.i))
	}
	p.i += len(w)
	switch {
	case schema.EqualName(w, "true"):
		return true, nil
	case schema.EqualName(w, "false"):
		return false, nil
	case schema.EqualName(w, "null"):
		return nil, nil
	case isNumber(w):
		return json.Number(w), nil
	}
	return strings.ToValidUTF8(w, string(utf8.RuneError)), nil
}

// parseAttrPath reads an attribute path token and splits it into URN, name
// and sub-attribute.
func (p *parser) parseAttrPath() (AttrPath, error) {
	start := p.i
	w := p.word(start)
	if w == "" {
		what := "an attribute path"
		if p.subject == "filter" {
			what = `an attribute path, "(" or "not"`
		}
		return AttrPath{}, p.errorf(start, "expected %s, found %s", what, p.found(start))
	}
	p.i += len(w)
	urn, name, sub := schema.SplitPath(w)
	rest := w
	if urn != "" {
		rest = w[len(urn)+1:]
	}
	switch {
	case urn != "" && !validURN(urn):
		return AttrPath{}, p.errorf(start, "invalid schema URN %q in attribute path %q", urn, w)
	case !validName(name) || (strings.Contains(rest, ".") && !validName(sub)):
		return AttrPath{}, p.errorf(start, "invalid attribute path %q (expected name, name.subAttribute or schemaURN:name)", w)
	}
	return AttrPath{URN: urn, Name: name, Sub: sub}, nil
}

// parseSubAttr reads the sub-attribute name after "].".
func (p *parser) parseSubAttr() (string, error) {
	w := p.word(p.i)
	if !validName(w) {
		return "", p.errorf(p.i, `expected a sub-attribute name after "].", found %s`, p.found(p.i))
	}
	p.i += len(w)
	return w, nil
}

// keyword consumes the keyword kw (case-insensitive) if it comes next.
func (p *parser) keyword(kw string) bool {
	p.skipSpace()
	w := p.word(p.i)
	if !schema.EqualName(w, kw) {
		return false
	}
	p.i += len(w)
	return true
}

// enter counts one more level of nesting and refuses to go past maxDepth.
func (p *parser) enter() error {
	p.depth++
	p.deepest = max(p.deepest, p.depth)
	if p.depth > maxDepth {
		return p.errorf(p.i, "the %s is nested more than %d levels deep", p.subject, maxDepth)
	}
	return nil
}

// word returns the token starting at j: the run of characters up to a space,
// a parenthesis, a bracket or a double quote. Operators, keywords, attribute
// paths and unquoted values are all words.
func (p *parser) word(j int) string {
	k := j
	for k < len(p.s) && !isDelim(p.s[k]) {
		k++
	}
	return p.s[j:k]
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '[', ']', '"':
		return true
	}
	return isSpace(c)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *parser) skipSpace() {
	for p.i < len(p.s) && isSpace(p.s[p.i]) {
		p.i++
	}
}

func (p *parser) eof() bool { return p.i >= len(p.s) }

// peek returns the next byte, 0 at the end.
func (p *parser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.s[p.i]
}

// operators in the order of RFC 7644 §3.4.2.2, Table 3.
var operators = [...]Op{Eq, Ne, Co, Sw, Ew, Pr, Gt, Ge, Lt, Le}

// opOf returns the operator named w, in any case.
func opOf(w string) (Op, bool) {
	if len(w) == 2 {
		for _, op := range operators {
			if schema.EqualName(w, string(op)) {
				return op, true
			}
		}
	}
	return "", false
}

// validName reports whether s is an ATTRNAME of RFC 7643 §2.1 (a letter,
// then letters, digits, "-" and "_"), or "$" and one ("$ref").
func validName(s string) bool {
	s = strings.TrimPrefix(s, "$")
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// validURN accepts "urn:" followed by the characters schema URNs use.
func validURN(s string) bool {
	if len(s) <= len("urn:") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) && !strings.ContainsRune("-_.:", rune(c)) {
			return false
		}
	}
	return true
}

// isNumber reports whether w is a JSON number (RFC 8259 §6).
func isNumber(w string) bool {
	i := 0
	if i < len(w) && w[i] == '-' {
		i++
	}
	switch {
	case i < len(w) && w[i] == '0':
		i++
	case i < len(w) && w[i] >= '1' && w[i] <= '9':
		i = skipDigits(w, i)
	default:
		return false
	}
	if i < len(w) && w[i] == '.' {
		if j := skipDigits(w, i+1); j > i+1 {
			i = j
		} else {
			return false
		}
	}
	if i < len(w) && (w[i] == 'e' || w[i] == 'E') {
		i++
		if i < len(w) && (w[i] == '+' || w[i] == '-') {
			i++
		}
		j := skipDigits(w, i)
		if j == i {
			return false
		}
		i = j
	}
	return i == len(w)
}

func skipDigits(w string, i int) int {
	for i < len(w) && isDigit(w[i]) {
		i++
	}
	return i
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// pos converts the byte offset j to the 1-based character position users see.
func (p *parser) pos(j int) int {
	if j > len(p.s) {
		j = len(p.s)
	}
	return utf8.RuneCountInString(p.s[:j]) + 1
}

// found describes what is at byte offset j, for "expected X, found Y".
func (p *parser) found(j int) string {
	const max = 30
	if j >= len(p.s) {
		return "the end of the " + p.subject
	}
	c := p.s[j]
	if c == '"' {
		// Shown as written, escapes and all, since that is what the user typed.
		tok := p.s[j:]
		if k := strings.IndexByte(tok[1:], '"'); k >= 0 {
			tok = tok[:k+2]
		}
		return "the string " + truncate(tok, max)
	}
	tok := p.word(j)
	if tok == "" {
		tok = p.s[j : j+1]
	}
	return strconv.Quote(truncate(tok, max))
}

// truncate shortens s to max characters for a message.
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "..."
}

// errorf returns the error for a problem at byte offset j.
func (p *parser) errorf(j int, format string, args ...any) *schema.Error {
	args = append([]any{p.pos(j)}, args...)
	return schema.Errorf(p.scimType, "at position %d: "+format, args...)
}
