package differential

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/scimharness/scimharness/harness/client"
)

// Disagreement is the first request on which the target and the reference
// answered differently, after shrinking.
type Disagreement struct {
	// Kind is what was generated: create, filter, sort, projection, patch.
	Kind string `json:"kind"`
	// Clause is the part of RFC 7644 the request exercises.
	Clause string `json:"clause"`
	// Requests reproduce it, in order (ids written as {id}).
	Requests []Sent `json:"requests"`
	// Target and Reference are the answers to the request that disagreed.
	Target    Answer `json:"target"`
	Reference Answer `json:"reference"`
	// Why says how they disagree.
	Why string `json:"why"`
	// Shrunk is set once the case was reduced as far as it still disagrees.
	Shrunk bool `json:"shrunk"`
}

// Sent is one request of a reproduction.
type Sent struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Query  string `json:"query,omitempty"`
	Body   any    `json:"body,omitempty"`
}

// Answer is the status and the start of the body of an answer.
type Answer struct {
	Status int    `json:"status"`
	Body   string `json:"body,omitempty"`
}

func sent(req client.Request) Sent {
	return Sent{Method: req.Method, Path: req.Path, Query: req.Query.Encode(), Body: req.Body}
}

// excerpt keeps the first 600 bytes of a body, for a readable report.
func excerpt(b []byte) string {
	const n = 600
	if len(b) <= n {
		return string(b)
	}
	cut := b[:n]
	for len(cut) > 0 && !utf8.Valid(cut) {
		cut = cut[:len(cut)-1]
	}
	return string(cut) + "…"
}

// Format writes the disagreement for a terminal: what was sent, both
// answers, the clause, and a curl command per request against baseURL
// (the token is read from $SCIM_TOKEN, never written out).
func (d *Disagreement) Format(baseURL string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "disagreement (%s, %s): %s\n", d.Kind, d.Clause, d.Why)
	for i, s := range d.Requests {
		q := ""
		if s.Query != "" {
			q = "?" + s.Query
		}
		fmt.Fprintf(&b, "  %d. %s %s%s", i+1, s.Method, s.Path, unescape(q))
		if s.Body != nil {
			body, _ := json.Marshal(s.Body)
			fmt.Fprintf(&b, "  %s", body)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "  target:    %d %s\n", d.Target.Status, oneLine(d.Target.Body))
	fmt.Fprintf(&b, "  reference: %d %s\n", d.Reference.Status, oneLine(d.Reference.Body))
	b.WriteString("  reproduce (with {id} the id the POST answered; every other user of the run is deleted when it ends):\n")
	for _, s := range d.Requests {
		b.WriteString("    " + s.curl(baseURL) + "\n")
	}
	return b.String()
}

// curl is the request as a curl command.
func (s Sent) curl(base string) string {
	u := strings.TrimRight(base, "/") + s.Path
	if s.Query != "" {
		u += "?" + s.Query
	}
	cmd := fmt.Sprintf(`curl -sS -X %s -H "Authorization: Bearer $SCIM_TOKEN"`, s.Method)
	if s.Body != nil {
		body, _ := json.Marshal(s.Body)
		cmd += ` -H 'Content-Type: application/scim+json' --data '` + strings.ReplaceAll(string(body), "'", `'\''`) + `'`
	}
	return cmd + " '" + strings.ReplaceAll(u, "'", `'\''`) + "'"
}

func unescape(q string) string {
	if u, err := url.QueryUnescape(q); err == nil {
		return u
	}
	return q
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Save writes the disagreement as JSON under dir (created if need be) and
// returns the file's path: a regression case to keep with the target's
// tests.
func (d *Disagreement) Save(dir string, seed uint64) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	p := filepath.Join(dir, fmt.Sprintf("%s-seed%d.json", d.Kind, seed))
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return "", err
	}
	return p, os.WriteFile(p, append(b, '\n'), 0o644)
}
