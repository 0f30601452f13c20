package scenario

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/scimharness/scimharness/harness/client"
)

var placeholder = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}`)

// expander substitutes ${var}s. It collects the names it could not resolve
// rather than failing on the first, so a skip message can list them all. In
// a dry run (keep) unresolved placeholders stay as written.
type expander struct {
	vars    Vars
	keep    bool
	missing map[string]bool
}

func (x *expander) lookup(name string) (any, bool) {
	v, ok := x.vars[name]
	if !ok {
		if x.missing == nil {
			x.missing = map[string]bool{}
		}
		x.missing[name] = true
	}
	return v, ok
}

func (x *expander) missingList() []string {
	var out []string
	for n := range x.missing {
		out = append(out, "${"+n+"}")
	}
	sort.Strings(out)
	return out
}

// text replaces each placeholder in s by escape(the var's text).
func (x *expander) text(s string, escape func(string) string) string {
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		v, ok := x.lookup(m[2 : len(m)-1])
		if !ok {
			return m
		}
		t := textOf(v)
		if escape != nil {
			t = escape(t)
		}
		return t
	})
}

// value substitutes recursively in a decoded JSON-like value. A string that
// is exactly one placeholder becomes the var's value, keeping its type.
func (x *expander) value(v any) any {
	switch v := v.(type) {
	case string:
		if m := placeholder.FindStringSubmatch(v); m != nil && m[0] == v {
			if val, ok := x.lookup(m[1]); ok {
				return val
			}
			return v
		}
		return x.text(v, nil)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[x.text(k, nil)] = x.value(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = x.value(e)
		}
		return out
	}
	return v
}

// path substitutes into a URL path, escaping values for the part they land
// in: a captured id with a '/' cannot change which resource is addressed.
func (x *expander) path(p string) string {
	before, query, hasQuery := strings.Cut(p, "?")
	out := x.text(before, url.PathEscape)
	if hasQuery {
		out += "?" + x.text(query, url.QueryEscape)
	}
	return out
}

func textOf(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case nil:
		return ""
	case fmt.Stringer:
		return v.String()
	case bool, int, int64, float64:
		return fmt.Sprint(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// normalize turns any Go value (structs included) into the decoded-JSON
// shapes expander.value walks: map[string]any, []any, string, json.Number,
// bool, nil.
func normalize(v any) (any, error) {
	switch v.(type) {
	case nil, string, bool, json.Number:
		return v, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return decodeJSON(b)
}

// expand turns a template into a client request.
func (x *expander) expand(t RequestTemplate) (client.Request, error) {
	req := client.Request{
		Method: strings.ToUpper(t.Method),
		Path:   x.path(t.Path),
	}
	if len(t.Query) > 0 {
		req.Query = url.Values{}
		for k, v := range t.Query {
			req.Query.Set(k, x.text(v, nil))
		}
	}
	if len(t.Headers) > 0 {
		req.Headers = map[string]string{}
		for k, v := range t.Headers {
			req.Headers[k] = x.text(v, nil)
		}
	}
	switch {
	case t.RawBody != "":
		req.RawBody = []byte(x.text(t.RawBody, nil))
	case t.Body != nil:
		body, err := normalize(t.Body)
		if err != nil {
			return req, fmt.Errorf("request body: %w", err)
		}
		req.Body = x.value(body)
	}
	return req, nil
}
