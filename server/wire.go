package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/wire"
)

// decodeBody reads a JSON object request body. It enforces the body limit
// (413), accepts application/scim+json and application/json (Google sends the
// latter) or no Content-Type at all (415 for anything else), rejects invalid
// UTF-8 and anything but exactly one JSON object (400 invalidSyntax), and
// keeps numbers as json.Number so integers are not rounded through float64.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64) (map[string]any, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != scim.MediaType && mt != "application/json") {
			return nil, schema.StatusError(http.StatusUnsupportedMediaType,
				"Content-Type %q is not supported; send application/scim+json or application/json", ct)
		}
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			discardRest(w, r, limit)
			return nil, schema.StatusError(http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", limit)
		}
		return nil, schema.Errorf(schema.InvalidSyntax, "reading the request body: %v", err)
	}
	return parseObject(raw)
}

// discardRest reads and drops what is left of a body over the limit, up to
// [discardBound] of it and for at most [discardTime], so that a client that
// writes its whole body before reading (Python's urllib, many IdP stacks)
// gets to read the 413: closing a connection with unread data resets it, and
// the reset takes the answer with it. Past the bound the connection is still
// closed: the work per request stays bounded.
func discardRest(w http.ResponseWriter, r *http.Request, limit int64) {
	// A failure only means the server's own ReadTimeout bounds the read.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(discardTime))
	io.CopyN(io.Discard, r.Body, discardBound(limit))
}

// discardBound is how much of an oversized body is read and dropped: 16
// times the limit, at least 4 MiB and at most 64 MiB.
func discardBound(limit int64) int64 { return min(max(16*limit, 4<<20), 64<<20) }

// discardTime bounds the time spent reading an oversized body.
const discardTime = 10 * time.Second

// parseObject decodes raw as exactly one JSON object. Well-formed bodies
// take wire.ParseObject's one pass; anything it hands back (malformed
// text, a repeated key, not an object) goes through the token walk and
// encoding/json, which say what is wrong.
func parseObject(raw []byte) (map[string]any, error) {
	if !utf8.Valid(raw) {
		return nil, schema.Errorf(schema.InvalidSyntax, "request body is not valid UTF-8")
	}
	if m, ok := wire.ParseObject(raw); ok {
		return m, nil
	}
	return decodeStrict(raw)
}

// decodeStrict is parseObject's slow path, for valid UTF-8: the token walk
// for repeated keys, then encoding/json, each error said in its words.
func decodeStrict(raw []byte) (map[string]any, error) {
	if k, dup := duplicateKey(raw); dup {
		return nil, schema.Errorf(schema.InvalidSyntax, "request body has the key %q twice in one object", k)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var body any
	if err := d.Decode(&body); err != nil {
		if err == io.EOF {
			return nil, schema.Errorf(schema.InvalidSyntax, "request body is empty; a JSON object is required")
		}
		return nil, schema.Errorf(schema.InvalidSyntax, "request body is not valid JSON: %v", err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, schema.Errorf(schema.InvalidSyntax, "request body has data after the JSON object")
	}
	m, ok := body.(map[string]any)
	if !ok {
		return nil, schema.Errorf(schema.InvalidSyntax, "request body must be a JSON object")
	}
	return m, nil
}

// acceptable reports whether the Accept header allows a SCIM JSON answer.
// A missing header, */*, application/* and application/json all do.
func acceptable(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	switch accept {
	case "", scim.MediaType, "application/json", "*/*":
		return true // what clients send, without parsing it on every request
	}
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case scim.MediaType, "application/json", "*/*", "application/*":
			return true
		}
	}
	return false
}

// writeJSON writes v as the SCIM JSON response body, through
// schema.AppendJSON into a pooled buffer: answers are mostly maps, which it
// writes without encoding/json's reflection (the hot path of issue 8).
func writeJSON(w http.ResponseWriter, status int, v any) {
	writeAppended(w, status, func(dst []byte) ([]byte, error) { return schema.AppendJSON(dst, v) })
}

// writeAppended is writeJSON of the body add appends.
func writeAppended(w http.ResponseWriter, status int, add func(dst []byte) ([]byte, error)) {
	bp := bodyPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 1<<20 { // a huge page does not stay pinned
			bodyPool.Put(bp)
		}
	}()
	b, err := add((*bp)[:0])
	if err != nil {
		// Documents are built from JSON-shaped data, so this cannot happen
		// unless a bug put a non-JSON value into one; say so plainly.
		status, b = http.StatusInternalServerError, []byte(
			`{"schemas":["`+scim.ErrorURN+`"],"status":"500","detail":"internal error"}`)
	}
	*bp = append(b, '\n')
	w.Header().Set("Content-Type", scim.MediaType)
	w.WriteHeader(status)
	w.Write(*bp)
}

var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// writeError is the one error writer: any error becomes the RFC 7644 §3.12
// body with its status.
//
// A provider's [provider.RawError] is the exception: its body is the one a
// service's documentation quotes, written verbatim.
func writeError(w http.ResponseWriter, err error) {
	var raw *provider.RawError
	if errors.As(err, &raw) {
		w.Header().Set("Content-Type", scim.MediaType)
		w.WriteHeader(raw.Status)
		w.Write(raw.Body)
		return
	}
	se := schema.AsError(err)
	if se.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
	}
	if se.Status == http.StatusServiceUnavailable || se.Status == http.StatusInsufficientStorage {
		w.Header().Set("Retry-After", "1")
	}
	if se.Status >= 500 {
		noteCause(w, err) // the body says only "internal error" or "unavailable"
	}
	writeJSON(w, se.Status, se)
}

// duplicateKey finds a key given twice in one JSON object. encoding/json
// keeps the last one silently, so a proxy or an IdP that reads the first
// would disagree with the server about what was sent (RFC 8259 §4: names
// SHOULD be unique). Keys differing only in case are caught later, by the
// schema, since SCIM attribute names are case-insensitive.
func duplicateKey(raw []byte) (string, bool) {
	type frame struct {
		keys      map[string]bool // nil for an array
		expectKey bool
	}
	var stack []*frame
	d := json.NewDecoder(bytes.NewReader(raw))
	for {
		tok, err := d.Token()
		if err != nil {
			return "", false // malformed input is reported by the real decode
		}
		if delim, ok := tok.(json.Delim); ok {
			switch delim {
			case '{':
				stack = append(stack, &frame{keys: map[string]bool{}, expectKey: true})
				continue
			case '[':
				stack = append(stack, &frame{})
				continue
			default:
				stack = stack[:len(stack)-1]
			}
		} else if k, ok := tok.(string); ok && len(stack) > 0 {
			if top := stack[len(stack)-1]; top.keys != nil && top.expectKey {
				if top.keys[k] {
					return k, true
				}
				top.keys[k], top.expectKey = true, false
				continue
			}
		}
		// A value ended: the enclosing object expects a key next.
		if len(stack) > 0 && stack[len(stack)-1].keys != nil {
			stack[len(stack)-1].expectKey = true
		}
	}
}
