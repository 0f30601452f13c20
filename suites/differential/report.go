package differential

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/scimharness/scimharness/harness/client"
)

// Disagreement is the first request on which the target and the reference
// answered differently, after shrinking. It is self-contained: the users
// to create, then the requests; saved as JSON (Save) it is a regression
// case that Replay sends to a server and judges by what the reference
// answered.
type Disagreement struct {
	// Kind is what was generated: create, filter, sort, paging,
	// projection, patch; on groups group-create, group-read, group-patch,
	// group-filter and so on.
	Kind string `json:"kind"`
	// Clause is the part of RFC 7644 the request exercises.
	Clause string `json:"clause"`
	// Prefix starts every userName below and the scope of every filter;
	// a replay puts its own run prefix in its place.
	Prefix string `json:"prefix"`
	// Users are POSTed to /Users first, in order (RFC 7644 §3.3); {id} in
	// a request is the id the first of them was given. Groups are POSTed
	// to /Groups next; {id:NAME} anywhere in a group or a request is the id
	// of the user whose userName, or the group whose displayName, is NAME.
	Users  []map[string]any `json:"users,omitempty"`
	Groups []map[string]any `json:"groups,omitempty"`
	// Requests reproduce it, in order, after the users are created.
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
	// Expect is what the reference answered, in the form the comparison
	// uses; nil for a request whose answer is not compared.
	Expect *Expected `json:"expect,omitempty"`
}

// Expected is the reference's answer as far as the RFC fixes it: the
// status (compared by class), and for a list the totalResults, userNames,
// sort keys and normalised resources, or for a read the normalised
// resource.
type Expected struct {
	Status   int     `json:"status"`
	List     *listed `json:"list,omitempty"`
	Resource any     `json:"resource,omitempty"`
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
	for i, u := range d.Users {
		body, _ := json.Marshal(u)
		fmt.Fprintf(&b, "  user %d. POST /Users  %s\n", i+1, body)
	}
	for i, g := range d.Groups {
		body, _ := json.Marshal(g)
		fmt.Fprintf(&b, "  group %d. POST /Groups  %s\n", i+1, body)
	}
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
	others := "users"
	if len(d.Groups) > 0 {
		others = "users or groups"
	}
	b.WriteString("  reproduce on a server without other " + others + " under the prefix " + d.Prefix)
	if len(d.Users) > 0 && slices.ContainsFunc(d.Requests, func(s Sent) bool { return strings.Contains(s.Path, "{id}") }) {
		b.WriteString(" ({id}: the id the first POST answered)")
	}
	if len(d.Groups) > 0 {
		b.WriteString(" ({id:NAME}: the id the POST of the user or group NAME answered)")
	}
	b.WriteString(":\n")
	for _, u := range d.Users {
		b.WriteString("    " + Sent{Method: http.MethodPost, Path: "/Users", Body: u}.curl(baseURL) + "\n")
	}
	for _, g := range d.Groups {
		b.WriteString("    " + Sent{Method: http.MethodPost, Path: "/Groups", Body: g}.curl(baseURL) + "\n")
	}
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
