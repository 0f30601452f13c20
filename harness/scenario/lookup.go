package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/scimharness/scimharness/wire"
)

// decodeJSON decodes one JSON value keeping numbers as json.Number.
func decodeJSON(b []byte) (any, error) {
	if m, ok := wire.ParseObject(b); ok {
		return m, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

// Lookup finds the value at path in a decoded JSON document. The path is a
// JSON pointer ("/Resources/0/id", RFC 6901) or a dotted path
// ("Resources.0.id"). Dotted paths suit SCIM: attribute names match
// case-insensitively (RFC 7643 §2.1) when there is no exact match, and a key
// containing dots — an extension URN such as
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" — is matched
// whole, so "urn:...:2.0:User.manager.value" works.
func Lookup(doc any, path string) (any, bool) {
	if path == "" {
		return doc, true
	}
	if strings.HasPrefix(path, "/") {
		return lookupPointer(doc, path)
	}
	return lookupDotted(doc, path)
}

func lookupPointer(doc any, p string) (any, bool) {
	cur := doc
	for _, tok := range strings.Split(p[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		next, ok := step(cur, tok, false)
		if !ok {
			return nil, false
		}
		cur = next
	}
	return cur, true
}

func lookupDotted(doc any, rest string) (any, bool) {
	cur := doc
	for rest != "" {
		var seg string
		if obj, ok := cur.(map[string]any); ok {
			seg = longestKey(obj, rest)
		}
		if seg == "" {
			seg, _, _ = strings.Cut(rest, ".")
		}
		next, ok := step(cur, seg, true)
		if !ok {
			return nil, false
		}
		cur = next
		rest = strings.TrimPrefix(strings.TrimPrefix(rest, seg), ".")
	}
	return cur, true
}

// longestKey returns the longest key of obj that rest starts with as a
// whole segment (followed by '.' or the end), case-insensitively.
func longestKey(obj map[string]any, rest string) string {
	best := ""
	for k := range obj {
		if len(k) <= len(best) || len(k) > len(rest) || !strings.EqualFold(rest[:len(k)], k) {
			continue
		}
		if len(k) == len(rest) || rest[len(k)] == '.' {
			best = rest[:len(k)]
		}
	}
	return best
}

// step moves one segment into an object member or array element.
func step(cur any, seg string, fold bool) (any, bool) {
	switch c := cur.(type) {
	case map[string]any:
		if v, ok := c[seg]; ok {
			return v, true
		}
		if fold {
			for k, v := range c {
				if strings.EqualFold(k, seg) {
					return v, true
				}
			}
		}
	case []any:
		i, err := strconv.Atoi(seg)
		if err == nil && i >= 0 && i < len(c) {
			return c[i], true
		}
	}
	return nil, false
}
