package filter

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// parseString parses the JSON string (RFC 8259 §7) at p.i and returns it
// with every escape decoded. Invalid UTF-8 and unpaired surrogates become
// U+FFFD, as encoding/json does for request bodies, so that a filter value
// compares equal to the same text in a stored document.
func (p *parser) parseString() (string, error) {
	open := p.i
	i := open + 1
	// Most values have no escapes: return a substring, no allocation.
	for i < len(p.s) {
		c := p.s[i]
		if c == '"' {
			p.i = i + 1
			return p.s[open+1 : i], nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
		i++
	}
	var b strings.Builder
	b.WriteString(p.s[open+1 : i])
	for i < len(p.s) {
		c := p.s[i]
		switch {
		case c == '"':
			p.i = i + 1
			return b.String(), nil
		case c == '\\':
			n, err := p.unescape(&b, i)
			if err != nil {
				return "", err
			}
			i += n
		case c < 0x20:
			return "", p.errorf(i, "control character %U in a string; write it as an escape such as \\n or \\u%04x", rune(c), c)
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			i++
		default:
			r, n := utf8.DecodeRuneInString(p.s[i:])
			b.WriteRune(r) // RuneError for an invalid byte
			i += n
		}
	}
	return "", p.errorf(open, "unterminated string: no closing '\"'")
}

// unescape decodes the escape sequence at byte offset i into b and returns
// its length.
func (p *parser) unescape(b *strings.Builder, i int) (int, error) {
	if i+1 >= len(p.s) {
		return 0, p.errorf(i, `incomplete escape "\" at the end of the %s`, p.subject)
	}
	switch c := p.s[i+1]; c {
	case '"', '\\', '/':
		b.WriteByte(c)
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'u':
		return p.unescapeUnicode(b, i)
	default:
		r, _ := utf8.DecodeRuneInString(p.s[i+1:])
		return 0, p.errorf(i, `invalid escape "\%c" in a string (JSON allows \" \\ \/ \b \f \n \r \t \uXXXX)`, r)
	}
	return 2, nil
}

// unescapeUnicode decodes \uXXXX at i, and the \uXXXX after it when the two
// form a UTF-16 surrogate pair.
func (p *parser) unescapeUnicode(b *strings.Builder, i int) (int, error) {
	r, ok := hex4(p.s, i+2)
	if !ok {
		return 0, p.errorf(i, `invalid escape: "\u" must be followed by four hexadecimal digits`)
	}
	if utf16.IsSurrogate(r) && i+12 <= len(p.s) && p.s[i+6] == '\\' && p.s[i+7] == 'u' {
		if r2, ok := hex4(p.s, i+8); ok {
			if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
				b.WriteRune(pair)
				return 12, nil
			}
		}
	}
	b.WriteRune(r) // an unpaired surrogate is written as RuneError
	return 6, nil
}

// hex4 parses the four hexadecimal digits at s[i:].
func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}
