package scenario

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/scimharness/scimharness/wire"
)

// outcome is the judgement of one expectation, capture or check.
type outcome struct {
	status Status
	// level is the keyword of the clause the failed check cites: a step's
	// result takes its gravest outcome's, so that a warning from a SHOULD
	// in a MUST step is shown as SHOULD.
	level    Level
	info     bool
	sentence string
}

// failing grades a failed check: the level decides Fail or Warn, and in
// Compat mode a strict-only check only warns.
func failing(level Level, strictOnly bool, note string, mode Mode, sentence string) outcome {
	o := outcome{status: Fail, level: level, sentence: sentence}
	switch {
	case strictOnly && mode == Compat:
		o.status = Warn
		o.sentence += " [strict only; tolerated in compat mode"
		if note != "" {
			o.sentence += ": " + note
		}
		o.sentence += "]"
		return o
	case level == Should:
		o.status, o.sentence = Warn, sentence+" [SHOULD]"
	case level == May:
		o.status, o.info, o.sentence = Warn, true, sentence+" [MAY: informational]"
	}
	if strictOnly && note != "" {
		o.sentence += " (compat mode tolerates this: " + note + ")"
	}
	return o
}

// judging maps each exchange being judged to its lazily decoded body, so
// that the captures, path expectations and check functions of a step share
// one decode (see ResponseJSON).
var judging sync.Map // *wire.Exchange → *body

// ResponseJSON returns ex's response body as a JSON object with numbers as
// json.Number, like ex.JSON. While Run judges the step that got ex, every
// capture, path expectation and check shares one decode of the body, which
// matters when a run judges tens of thousands of answers; otherwise, and
// whenever the body is not a JSON object, it is ex.JSON (with its error).
// The map is shared: a check must not modify it.
func ResponseJSON(ex *wire.Exchange) (map[string]any, error) {
	if b, ok := judging.Load(ex); ok {
		if doc, err := b.(*body).get(); err == nil {
			if m, ok := doc.(map[string]any); ok {
				return m, nil
			}
		}
	}
	return ex.JSON()
}

// body lazily decodes the response body once for all path expectations.
type body struct {
	ex   *wire.Exchange
	done bool
	doc  any
	err  error
}

func (b *body) get() (any, error) {
	if !b.done {
		b.done = true
		if b.ex.Response == nil || len(strings.TrimSpace(string(b.ex.Response.Body))) == 0 {
			b.err = errors.New("the response has no body")
		} else if b.doc, b.err = decodeJSON(b.ex.Response.Body); b.err != nil {
			b.err = fmt.Errorf("the response body is not JSON: %s", excerpt(b.ex.Response.Body, 200))
		}
	}
	return b.doc, b.err
}

// judge returns "" when e holds, else the sentence saying why not. err
// wraps ErrSkip when a check asked to skip.
func judge(e Expectation, ex *wire.Exchange, b *body, x *expander, vars Vars) (string, error) {
	switch {
	case len(e.Status) > 0:
		if slices.Contains(e.Status, ex.Status()) {
			return "", nil
		}
		return fmt.Sprintf("expected status %s, got %d; response body: %s", orList(e.Status), ex.Status(), excerptOr(ex.Response.Body, 300, "(empty)")), nil
	case e.Header != "":
		return judgeHeader(e, ex, x), nil
	case e.Path != "":
		return judgePath(e, b, x), nil
	case e.Check != nil:
		if err := e.Check(ex, vars); err != nil {
			if errors.Is(err, ErrSkip) {
				return "", err
			}
			return err.Error(), nil
		}
	}
	return "", nil
}

func judgeHeader(e Expectation, ex *wire.Exchange, x *expander) string {
	vals := ex.Response.Header.Values(e.Header)
	got := strings.Join(vals, ", ")
	switch {
	case e.Absent:
		if len(vals) > 0 {
			return fmt.Sprintf("expected no %s header, got %q", e.Header, got)
		}
		return ""
	case len(vals) == 0:
		return fmt.Sprintf("expected a %s header, but the response has none", e.Header)
	}
	if want, ok := e.Equals.(string); ok {
		if want = x.text(want, nil); got != want {
			return fmt.Sprintf("expected %s header %q, got %q", e.Header, want, got)
		}
	}
	if want, ok := e.Contains.(string); ok {
		if want = x.text(want, nil); !strings.Contains(strings.ToLower(got), strings.ToLower(want)) {
			return fmt.Sprintf("expected %s header to contain %q, got %q", e.Header, want, got)
		}
	}
	return ""
}

func judgePath(e Expectation, b *body, x *expander) string {
	doc, err := b.get()
	if err != nil {
		if e.Absent {
			return ""
		}
		return fmt.Sprintf("expected %q in the response body, but %v", e.Path, err)
	}
	v, found := Lookup(doc, e.Path)
	found = found && v != nil // null is unassigned (RFC 7643 §2.5)
	if e.Absent {
		if found {
			return fmt.Sprintf("expected no %q in the response body, got %s", e.Path, render(v))
		}
		return ""
	}
	if !found {
		return fmt.Sprintf("expected %q in the response body, but it is absent", e.Path)
	}
	if e.Equals != nil {
		want := expected(e.Equals, x)
		if !equalJSON(v, want) {
			return fmt.Sprintf("expected %q to be %s, got %s", e.Path, render(want), render(v))
		}
	}
	if e.Contains != nil {
		want := expected(e.Contains, x)
		if !containsJSON(v, want) {
			return fmt.Sprintf("expected %q to contain %s, got %s", e.Path, render(want), render(v))
		}
	}
	if e.Length != nil {
		if n := lengthOf(v); n != *e.Length {
			if n < 0 {
				return fmt.Sprintf("expected %q to have %d elements, but it is %s", e.Path, *e.Length, render(v))
			}
			return fmt.Sprintf("expected %q to have %d elements, got %d: %s", e.Path, *e.Length, n, render(v))
		}
	}
	return ""
}

// expected substitutes vars into an expected value and normalises it to
// decoded-JSON shapes so that YAML's int 1 equals JSON's 1.
func expected(v any, x *expander) any {
	n, err := normalize(v)
	if err != nil {
		return v
	}
	n, err = normalize(x.value(n))
	if err != nil {
		return v
	}
	return n
}

// equalJSON compares decoded JSON values; numbers compare by value.
func equalJSON(a, b any) bool {
	switch a := a.(type) {
	case json.Number:
		bn, ok := b.(json.Number)
		if !ok {
			return false
		}
		if ai, err := strconv.ParseInt(a.String(), 10, 64); err == nil {
			if bi, err := strconv.ParseInt(bn.String(), 10, 64); err == nil {
				return ai == bi
			}
		}
		af, err1 := a.Float64()
		bf, err2 := bn.Float64()
		return err1 == nil && err2 == nil && af == bf
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(a) != len(bm) {
			return false
		}
		for k, v := range a {
			if w, ok := bm[k]; !ok || !equalJSON(v, w) {
				return false
			}
		}
		return true
	case []any:
		bs, ok := b.([]any)
		if !ok || len(a) != len(bs) {
			return false
		}
		for i := range a {
			if !equalJSON(a[i], bs[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

// subset reports whether got matches want, where an object want need only
// match some of got's members (names case-insensitively, as SCIM's are).
func subset(got, want any) bool {
	wm, ok := want.(map[string]any)
	if !ok {
		return equalJSON(got, want)
	}
	gm, ok := got.(map[string]any)
	if !ok {
		return false
	}
	for k, w := range wm {
		g, found := step(gm, k, true)
		if !found || !subset(g, w) {
			return false
		}
	}
	return true
}

// containsJSON: substring of a string, an element of an array, or a subset
// of an object.
func containsJSON(got, want any) bool {
	switch g := got.(type) {
	case string:
		w, ok := want.(string)
		return ok && strings.Contains(g, w)
	case []any:
		for _, e := range g {
			if subset(e, want) {
				return true
			}
		}
		return false
	case map[string]any:
		return subset(g, want)
	}
	return false
}

func lengthOf(v any) int {
	switch v := v.(type) {
	case []any:
		return len(v)
	case map[string]any:
		return len(v)
	case string:
		return utf8.RuneCountInString(v)
	}
	return -1
}

func orList(codes []int) string {
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = strconv.Itoa(c)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// render shows a value in a sentence: compact JSON, shortened.
func render(v any) string { return excerpt(mustJSON(v), 200) }

// excerpt shortens a body for a message, on one line.
func excerpt(b []byte, n int) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if utf8.RuneCountInString(s) > n {
		r := []rune(s)
		return string(r[:n]) + "…"
	}
	return s
}

func excerptOr(b []byte, n int, empty string) string {
	if s := excerpt(b, n); s != "" {
		return s
	}
	return empty
}
