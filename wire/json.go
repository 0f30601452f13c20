package wire

import (
	"encoding/json"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// ParseObject reads JSON text holding one object into the values
// encoding/json's Decoder with UseNumber gives: map[string]any, []any,
// string, json.Number, bool, nil. It is the fast path of every decode of a
// document — a request body (package server) and a stored document (the
// PostgreSQL store) and an answer (the harness): one pass, no reflection, no token stream, and a string
// without escapes costs no copy. Decoding a create through encoding/json
// took two passes, a token walk for repeated keys and the decode itself,
// 30 % of the server's CPU in an Entra cycle. It lives here, at the bottom,
// because both sides read what travels: the server its requests and stored
// rows, the harness its answers (Exchange.JSON).
//
// It reports false for anything it does not read exactly as encoding/json
// would, and for a key repeated in one object (which encoding/json would
// read, keeping the last): a value that is not an object, malformed text,
// text after the object, nesting deeper than encoding/json allows. The
// caller then takes encoding/json's path, errors included, so that the two
// never disagree (TestParseObjectReadsAsEncodingJSON, FuzzParseObject).
//
// The strings it returns share one copy of data: a document keeps the
// text of its request or row alive, about the size of its strings anyway,
// as one object for the collector instead of one per string.
func ParseObject(data []byte) (map[string]any, bool) {
	p := parser{data: data, text: string(data)}
	p.space()
	if p.i >= len(p.data) || p.data[p.i] != '{' {
		return nil, false
	}
	v, ok := p.value()
	if !ok {
		return nil, false
	}
	p.space()
	if p.i != len(p.data) {
		return nil, false
	}
	return v.(map[string]any), true
}

type parser struct {
	data  []byte
	text  string // data, as a string
	i     int
	depth int // of nested objects and arrays; encoding/json refuses more than 10,000
}

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

func (p *parser) space() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value() (any, bool) {
	p.space()
	if p.i >= len(p.data) {
		return nil, false
	}
	switch c := p.data[p.i]; {
	case c == '{' || c == '[':
		if p.depth++; p.depth > maxDepth {
			return nil, false
		}
		defer func() { p.depth-- }()
		if c == '{' {
			return p.object()
		}
		return p.array()
	case c == '"':
		return p.str()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		return p.number()
	}
	return nil, false
}

func (p *parser) literal(s string) bool {
	if len(p.data)-p.i < len(s) || p.text[p.i:p.i+len(s)] != s {
		return false
	}
	p.i += len(s)
	return true
}

func (p *parser) object() (any, bool) {
	p.i++ // {
	m := map[string]any{}
	p.space()
	if p.i < len(p.data) && p.data[p.i] == '}' {
		p.i++
		return m, true
	}
	for {
		p.space()
		if p.i >= len(p.data) || p.data[p.i] != '"' {
			return nil, false
		}
		k, ok := p.str()
		if !ok {
			return nil, false
		}
		p.space()
		if p.i >= len(p.data) || p.data[p.i] != ':' {
			return nil, false
		}
		p.i++
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		if _, dup := m[k.(string)]; dup {
			return nil, false // encoding/json keeps the last; the caller decides
		}
		m[k.(string)] = v
		done, ok := p.separator('}')
		if !ok {
			return nil, false
		}
		if done {
			return m, true
		}
	}
}

// separator reads what follows a member or an element: a comma (done is
// false), or the closing byte of the object or array (done is true).
func (p *parser) separator(closing byte) (done, ok bool) {
	p.space()
	if p.i >= len(p.data) {
		return false, false
	}
	switch p.data[p.i] {
	case ',':
		p.i++
		return false, true
	case closing:
		p.i++
		return true, true
	}
	return false, false
}

func (p *parser) array() (any, bool) {
	p.i++ // [
	a := []any{}
	p.space()
	if p.i < len(p.data) && p.data[p.i] == ']' {
		p.i++
		return a, true
	}
	for {
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		a = append(a, v)
		done, ok := p.separator(']')
		if !ok {
			return nil, false
		}
		if done {
			return a, true
		}
	}
}

// number reads a JSON number (RFC 8259 grammar) as a json.Number.
func (p *parser) number() (any, bool) {
	start := p.i
	if p.data[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.data) && '0' <= p.data[p.i] && p.data[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.data) && p.data[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return nil, false
	}
	if p.i < len(p.data) && p.data[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return nil, false
		}
	}
	if p.i < len(p.data) && (p.data[p.i] == 'e' || p.data[p.i] == 'E') {
		p.i++
		if p.i < len(p.data) && (p.data[p.i] == '+' || p.data[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	return json.Number(p.text[start:p.i]), true
}

// str reads a string, replacing invalid UTF-8 and lone surrogates with
// U+FFFD as encoding/json does.
func (p *parser) str() (any, bool) {
	p.i++ // "
	start := p.i
	for p.i < len(p.data) {
		c := p.data[p.i]
		if c == '"' {
			s := p.text[start:p.i]
			p.i++
			return s, true
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
		p.i++
	}
	buf := append([]byte(nil), p.data[start:p.i]...)
	for p.i < len(p.data) {
		c := p.data[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), true
		case c < 0x20:
			return nil, false
		case c == '\\':
			p.i++
			if p.i >= len(p.data) {
				return nil, false
			}
			e := p.data[p.i]
			p.i++
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return nil, false
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if len(p.data)-p.i >= 6 && p.data[p.i] == '\\' && p.data[p.i+1] == 'u' {
						save := p.i
						p.i += 2
						if r2, ok = p.hex4(); !ok {
							return nil, false
						}
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							r = d
						} else {
							p.i, r = save, utf8.RuneError // the second escape is read on its own
						}
					} else {
						r = utf8.RuneError
					}
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return nil, false
			}
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			p.i++
		default:
			r, size := utf8.DecodeRune(p.data[p.i:])
			p.i += size
			buf = utf8.AppendRune(buf, r) // RuneError for an invalid byte
		}
	}
	return nil, false
}

func (p *parser) hex4() (rune, bool) {
	if len(p.data)-p.i < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(p.text[p.i:p.i+4], 16, 16)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(n), true
}
