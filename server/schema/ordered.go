package schema

import (
	"bytes"
	"cmp"
	"encoding/json"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Ordered marshals a resource document with its keys in the order of the
// RFC 7643 examples — schemas, id, externalId, the core attributes in schema
// order, the extensions, meta last — rather than encoding/json's alphabetical
// order, so that answers read like the RFC in a terminal and in reports.
// Keys the schema does not know come last, sorted. Values inside attributes
// keep encoding/json's order.
type Ordered struct {
	Type *ResourceType
	Doc  map[string]any
}

// MarshalJSON implements json.Marshaler.
func (o Ordered) MarshalJSON() ([]byte, error) { return o.AppendJSON(nil) }

// keyOrder is the order of the known top-level keys; meta goes last,
// after the keys the schema does not know.
func (rt *ResourceType) keyOrder() []string {
	keys := []string{"schemas", "id", "externalId"}
	for _, a := range rt.core.Attributes {
		keys = append(keys, a.Name)
	}
	for _, e := range rt.exts {
		keys = append(keys, e.ID)
	}
	return keys
}

// AppendJSON appends the document's JSON to dst; see [AppendJSON].
func (o Ordered) AppendJSON(dst []byte) ([]byte, error) {
	const unknown, last = 1 << 30, 1<<30 + 1
	rank := func(k string) int {
		if r, ok := o.Type.rank[k]; ok {
			return r
		}
		if k == "meta" {
			return last
		}
		return unknown
	}
	// Each key's rank is looked up once, not at every comparison.
	type ranked struct {
		k string
		r int
	}
	var small [32]ranked
	keys := small[:0]
	for k := range o.Doc {
		keys = append(keys, ranked{k, rank(k)})
	}
	slices.SortFunc(keys, func(a, b ranked) int {
		if c := cmp.Compare(a.r, b.r); c != 0 {
			return c
		}
		return strings.Compare(a.k, b.k) // unknown keys, sorted
	})
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k.k)
		dst = append(dst, ':')
		var err error
		if dst, err = AppendJSON(dst, o.Doc[k.k]); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// AppendJSON appends v's JSON to dst, byte for byte what encoding/json
// writes with SetEscapeHTML(false) (object keys sorted, no trailing
// newline). Documents are JSON-shaped (maps, slices, strings, numbers,
// booleans, nil, [Appender]s), and those are written here without reflection; it is the
// hot path of every answer — a list page of one user was 40 % of the
// server's allocations through encoding/json's map encoder. Anything else
// (and NaN or ±Inf, to keep its error) goes to encoding/json.
// TestAppendJSONMatchesEncodingJSON and FuzzAppendJSON hold the two equal.
func AppendJSON(dst []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendString(dst, v), nil
	case bool:
		return strconv.AppendBool(dst, v), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			break
		}
		return appendFloat(dst, v), nil
	case int:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(dst, v, 10), nil
	case json.Number:
		if v == "" {
			return append(dst, '0'), nil
		}
		if !json.Valid([]byte(v)) {
			break
		}
		return append(dst, v...), nil
	case map[string]any:
		if v == nil {
			return append(dst, "null"...), nil
		}
		var small [16]string
		keys := small[:0]
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			var err error
			if dst, err = AppendJSON(dst, v[k]); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	case []any:
		if v == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = AppendJSON(dst, e); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case []string:
		if v == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, e)
		}
		return append(dst, ']'), nil
	case Appender:
		return v.AppendJSON(dst)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

// Appender is a value that writes its own JSON, as [Ordered] does.
type Appender interface {
	AppendJSON(dst []byte) ([]byte, error)
}

// appendFloat is encoding/json's float64 format: ES6 number-to-string.
func appendFloat(dst []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// e-09 becomes e-9, as encoding/json writes it.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

const hex = "0123456789abcdef"

// appendString is encoding/json's string encoding without HTML escaping:
// control characters escaped, invalid UTF-8 replaced by U+FFFD, U+2028 and
// U+2029 escaped for JavaScript.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
