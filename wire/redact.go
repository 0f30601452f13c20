// Package wire holds what travels between a SCIM client and a server: a
// request and its response as they crossed the wire (Exchange), a bounded
// ring of recent exchanges (Ring), and the one set of redaction rules
// (Redactor) that every capture goes through — the harness's client and
// the server's recorder alike — so no token, password or Authorization
// header reaches a log, recording or report; and the one reader of the
// JSON bodies that travel (ParseObject), which both sides decode with. It
// imports no package of the module.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Redacted replaces every secret in a captured exchange.
const Redacted = "[REDACTED]"

// Redaction rules. They run when an Exchange is built, so no unredacted copy
// is ever handed out, and they edit bytes in place rather than re-encoding,
// so that a captured body keeps its key order and layout: the wire as sent.
//
//   - Authorization and Proxy-Authorization keep their scheme
//     ("Bearer [REDACTED]"); Cookie, Set-Cookie and any header whose name
//     contains token, secret, password, api-key/apikey/api_key are replaced.
//   - Query and form parameters whose name contains token, secret, password
//     or api key are replaced (access_token, client_secret...).
//   - JSON members named password, client_secret, access_token,
//     refresh_token, id_token, token, secret, api_key, apikey or
//     client_assertion, at any depth and in any case, are replaced — also as
//     the last segment of a URN or dotted key (Entra's
//     "urn:...:User:password"), and the "value" of a PATCH operation whose
//     "path" names such an attribute.
//   - Bodies that are not valid JSON get a pattern-based pass for the same
//     member names, so malformed-input steps are covered too.
//   - Finally, the literal secrets the client knows (its static token, the
//     OAuth2 client secret, every access token it fetched) are replaced
//     wherever they appear — a server echoing a token in an error detail
//     cannot leak it. Literals shorter than 8 bytes are not searched for:
//     replacing every "t" would make captures unreadable.

var sensitiveMembers = map[string]bool{
	"password": true, "client_secret": true, "access_token": true, "refresh_token": true,
	"id_token": true, "token": true, "secret": true, "api_key": true, "apikey": true,
	"client_assertion": true,
}

var sensitiveFragments = []string{"token", "secret", "password", "passwd", "api-key", "apikey", "api_key"}

// foldName is the comparison form of a member, header or parameter name:
// ASCII letters lower-cased, which is the whole of RFC 7643 §2.1's rule
// (attribute names are ASCII, ATTRNAME = ALPHA *(nameChar), and
// case-insensitive) and the one the reference server applies. Nothing else
// is folded — strings.ToLower would also turn the Kelvin sign into "k" and
// not "ſ" into "s", one rule for neither side — except the two non-ASCII
// letters whose Unicode case folding reaches an ASCII letter, ſ (U+017F,
// s) and K (U+212A, k): a name spelled with them is not a SCIM attribute
// name at all, but a server that folds Unicode (as this one did, and as
// servers under test may) would take "paſsword" as the password, so the
// redactor reads it as the name it looks like. Redacting a lookalike costs
// nothing; missing one stores a password in clear.
func foldName(name string) string {
	ascii := true
	for i := 0; i < len(name); i++ {
		if c := name[i]; c >= 0x80 || ('A' <= c && c <= 'Z') {
			ascii = false
			break
		}
	}
	if ascii {
		return name // already folded: no allocation for the common name
	}
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range name {
		switch {
		case 'A' <= r && r <= 'Z':
			r += 'a' - 'A'
		case r == '\u017F':
			r = 's'
		case r == '\u212A':
			r = 'k'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func sensitiveName(name string) bool {
	n := foldName(name)
	for _, f := range sensitiveFragments {
		if strings.Contains(n, f) {
			return true
		}
	}
	return false
}

func sensitiveHeader(name string) bool {
	switch foldName(name) {
	case "authorization", "proxy-authorization", "cookie", "set-cookie":
		return true
	}
	return sensitiveName(name)
}

// sensitiveMember reports whether a JSON member name or SCIM attribute path
// names a secret: its last segment after any value filter, ':' and '.'.
func sensitiveMember(name string) bool {
	if i := strings.IndexByte(name, '['); i >= 0 {
		if j := strings.LastIndexByte(name, ']'); j > i {
			name = name[:i] + name[j+1:]
		}
	}
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	return sensitiveMembers[foldName(name)]
}

// Redactor applies the rules above; it also knows literal secrets (the
// client's token, the server's tenants' tokens) to replace wherever they
// appear. It is safe for concurrent use.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
	// rep replaces every secret in one pass; nil until needed after a
	// change (a recorder learns many tokens, and a pass per secret per
	// header would cost that many scans).
	rep *strings.Replacer
}

// NewRedactor returns a Redactor that also replaces the given literal
// secrets. Secrets shorter than 8 bytes are not searched for.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		r.AddSecret(s)
	}
	return r
}

// AddSecret adds a literal secret to replace.
func (r *Redactor) AddSecret(s string) {
	if len(s) < 8 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.secrets {
		if x == s {
			return
		}
	}
	r.secrets = append(r.secrets, s)
	// Longest first, so a secret containing another is replaced whole
	// (strings.Replacer tries its pairs in argument order).
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	r.rep = nil
}

// RemoveSecret forgets a literal secret added before, e.g. an access token
// learnt long ago, so that the list of literals stays bounded.
func (r *Redactor) RemoveSecret(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, x := range r.secrets {
		if x == s {
			r.secrets = append(r.secrets[:i], r.secrets[i+1:]...)
			r.rep = nil
			return
		}
	}
}

// replacer returns the one-pass replacer of the secrets, or nil if none.
func (r *Redactor) replacer() *strings.Replacer {
	r.mu.RLock()
	rep, n := r.rep, len(r.secrets)
	r.mu.RUnlock()
	if rep != nil || n == 0 {
		return rep
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rep == nil && len(r.secrets) > 0 {
		pairs := make([]string, 0, 2*len(r.secrets))
		for _, x := range r.secrets {
			pairs = append(pairs, x, Redacted)
		}
		r.rep = strings.NewReplacer(pairs...)
	}
	return r.rep
}

func (r *Redactor) literals(s string) string {
	if rep := r.replacer(); rep != nil {
		return rep.Replace(s)
	}
	return s
}

func (r *Redactor) literalBytes(b []byte) []byte {
	rep := r.replacer()
	if rep == nil {
		return b
	}
	out := rep.Replace(string(b))
	if len(out) == len(b) && out == string(b) {
		return b
	}
	return []byte(out)
}

// Request returns the redacted form of a request: credentials in headers,
// token-like query parameters and secret body members replaced.
func (r *Redactor) Request(method, rawURL string, h http.Header, body []byte) Request {
	return Request{
		Method: method,
		URL:    r.URL(rawURL),
		Header: r.header(h),
		Body:   r.body(body, h.Get("Content-Type")),
	}
}

// Response returns the redacted form of a response.
func (r *Redactor) Response(status int, h http.Header, body []byte) *Response {
	return &Response{Status: status, Header: r.header(h), Body: r.body(body, h.Get("Content-Type"))}
}

func (r *Redactor) header(h http.Header) http.Header {
	if len(h) == 0 {
		return nil
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		var kept []string
		for _, v := range vs {
			if v == "" {
				continue // a removed header (see removeHeaders)
			}
			switch {
			case strings.EqualFold(k, "Authorization") || strings.EqualFold(k, "Proxy-Authorization"):
				if scheme, _, ok := strings.Cut(v, " "); ok {
					v = scheme + " " + Redacted
				} else {
					v = Redacted
				}
			case sensitiveHeader(k):
				v = Redacted
			default:
				v = r.literals(v)
			}
			kept = append(kept, v)
		}
		if len(kept) > 0 {
			out[k] = kept
		}
	}
	return out
}

// URL returns rawURL with credentials in its user info and query replaced.
func (r *Redactor) URL(raw string) string {
	base, frag, hasFrag := strings.Cut(raw, "#")
	path, query, hasQuery := strings.Cut(base, "?")
	if u, err := url.Parse(path); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), Redacted)
		} else {
			u.User = url.User(Redacted)
		}
		path = u.String()
	}
	out := path
	if hasQuery {
		out += "?" + redactPairs(query)
	}
	if hasFrag {
		out += "#" + frag
	}
	return r.literals(out)
}

// redactPairs replaces the values of sensitive k=v pairs in a query or form
// string, leaving everything else byte for byte.
func redactPairs(s string) string {
	pairs := strings.Split(s, "&")
	for i, p := range pairs {
		k, _, ok := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if ok && sensitiveName(name) {
			pairs[i] = k + "=" + Redacted
		}
	}
	return strings.Join(pairs, "&")
}

func (r *Redactor) body(b []byte, contentType string) Body {
	if b == nil {
		return nil
	}
	if len(b) == 0 {
		return Body{}
	}
	var out []byte
	form := strings.Contains(strings.ToLower(contentType), "x-www-form-urlencoded")
	if !form && !mayNameSecret(b) {
		out = b // nothing to walk: the common SCIM body
	} else if form {
		out = []byte(redactPairs(string(b)))
	} else if red, ok := redactJSON(b); ok {
		out = red
	} else {
		out = jsonish.ReplaceAll(b, []byte(`${1}"`+Redacted+`"`))
	}
	return Body(r.literalBytes(out))
}

// mayNameSecret reports whether b could hold a sensitive member or pair:
// a fragment of one of their names in any case, or a \u escape (which can
// spell a name, "pass\u0077ord"). Most SCIM bodies have none, and skipping
// the JSON walk for them was measured as a quarter of the harness's CPU in
// a 10,000-user Entra cycle. The other escapes (\" \\ \/ \b \f \n \r \t)
// stand for no letter, so they cannot spell one: every resource's
// meta.version, W/\"1\", has two, and counting them made every answer
// take the walk (12 % of the simulator's CPU in an Entra cycle).
func mayNameSecret(b []byte) bool {
	if bytes.Contains(b, unicodeEscape) || bytes.Contains(b, longS) || bytes.Contains(b, kelvin) {
		return true // an escape, or a lookalike letter (foldName)
	}
	// One pass, without a lower-cased copy of the body: at each byte that
	// may begin a fragment, compare the fragments that begin with it.
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if !fragmentStart[c] {
			continue
		}
		for _, f := range secretFragments {
			if f[0] == c && hasFoldPrefix(b[i:], f) {
				return true
			}
		}
	}
	return false
}

// hasFoldPrefix reports whether b begins with the lower-case ASCII
// fragment f, ignoring the case of ASCII letters only (foldName's rule).
func hasFoldPrefix(b, f []byte) bool {
	if len(b) < len(f) {
		return false
	}
	for j, fc := range f {
		c := b[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != fc {
			return false
		}
	}
	return true
}

// longS and kelvin are ſ and K in UTF-8: the letters foldName maps to s
// and k.
var longS, kelvin = []byte("\u017F"), []byte("\u212A")

// unicodeEscape begins a JSON \uXXXX escape.
var unicodeEscape = []byte(`\u`)

// secretFragments cover every name in sensitiveMembers and
// sensitiveFragments, and "secret" and "token" any suffix of them.
var secretFragments = [][]byte{[]byte("password"), []byte("passwd"), []byte("secret"), []byte("token"),
	[]byte("api_key"), []byte("apikey"), []byte("api-key"), []byte("client_assertion")}

// fragmentStart marks the first bytes of secretFragments.
var fragmentStart = func() (t [256]bool) {
	for _, f := range secretFragments {
		t[f[0]] = true
	}
	return t
}()

// jsonish finds sensitive members in text that is not valid JSON.
var jsonish = regexp.MustCompile(`(?i)("(?:[^"\\]*[:.])?(?:password|client_secret|access_token|refresh_token|id_token|token|secret|api_?key|client_assertion)"\s*:\s*)("(?:[^"\\]|\\.)*"|[^\s,}\]]+)`)

// redactJSON replaces sensitive values in a valid JSON document in place.
// It reports false when src is not a single valid JSON value.
func redactJSON(src []byte) ([]byte, bool) {
	w := &jsonWalker{src: src, dec: json.NewDecoder(bytes.NewReader(src))}
	w.dec.UseNumber()
	tok, start, err := w.next()
	if err != nil {
		return nil, false
	}
	if _, err := w.value(tok, start); err != nil {
		return nil, false
	}
	if _, err := w.dec.Token(); err != io.EOF {
		return nil, false
	}
	if len(w.spans) == 0 {
		return src, true
	}
	sort.Slice(w.spans, func(i, j int) bool { return w.spans[i].start < w.spans[j].start })
	var out bytes.Buffer
	pos := 0
	for _, s := range w.spans {
		if s.start < pos {
			continue // inside a span already replaced
		}
		out.Write(src[pos:s.start])
		out.WriteString(`"` + Redacted + `"`)
		pos = s.end
	}
	out.Write(src[pos:])
	return out.Bytes(), true
}

type span struct{ start, end int }

// jsonWalker walks a JSON document with encoding/json's tokenizer and notes
// the byte spans of values to redact.
type jsonWalker struct {
	src   []byte
	dec   *json.Decoder
	spans []span
}

var errShape = errors.New("unexpected JSON token")

// next returns the next token and the offset where it starts.
func (w *jsonWalker) next() (json.Token, int, error) {
	off := int(w.dec.InputOffset())
	tok, err := w.dec.Token()
	if err != nil {
		return nil, 0, err
	}
	for off < len(w.src) {
		switch w.src[off] {
		case ' ', '\t', '\r', '\n', ':', ',':
			off++
			continue
		}
		break
	}
	return tok, off, nil
}

// value consumes the value that begins with tok and returns its end offset.
func (w *jsonWalker) value(tok json.Token, start int) (int, error) {
	switch tok {
	case json.Delim('{'):
		type member struct {
			key        string
			start, end int
			str        string
			isStr      bool
			isNull     bool
		}
		var members []member
		for {
			kt, _, err := w.next()
			if err != nil {
				return 0, err
			}
			if kt == json.Delim('}') {
				break
			}
			key, ok := kt.(string)
			if !ok {
				return 0, errShape
			}
			vt, vs, err := w.next()
			if err != nil {
				return 0, err
			}
			ve, err := w.value(vt, vs)
			if err != nil {
				return 0, err
			}
			s, isStr := vt.(string)
			members = append(members, member{key: key, start: vs, end: ve, str: s, isStr: isStr, isNull: vt == nil})
		}
		secretPath := false
		for _, m := range members {
			if foldName(m.key) == "path" && m.isStr && sensitiveMember(m.str) {
				secretPath = true
			}
		}
		for _, m := range members {
			if m.isNull {
				continue
			}
			if sensitiveMember(m.key) || (secretPath && foldName(m.key) == "value") {
				w.spans = append(w.spans, span{m.start, m.end})
			}
		}
		return int(w.dec.InputOffset()), nil
	case json.Delim('['):
		for {
			t, s, err := w.next()
			if err != nil {
				return 0, err
			}
			if t == json.Delim(']') {
				return int(w.dec.InputOffset()), nil
			}
			if _, err := w.value(t, s); err != nil {
				return 0, err
			}
		}
	case json.Delim('}'), json.Delim(']'):
		return 0, errShape
	}
	return int(w.dec.InputOffset()), nil
}

// SensitiveQueryName reports whether a query or form parameter of this name
// is redacted as a credential (access_token, client_secret, api_key…).
func SensitiveQueryName(name string) bool { return sensitiveName(name) }
