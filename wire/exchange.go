package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"
	"unicode/utf8"
)

// Exchange is one request and its answer as they crossed the wire, already
// redacted. It is what results and reports carry as evidence.
type Exchange struct {
	Request Request `json:"request"`
	// Response is nil when no answer arrived (see Err).
	Response *Response `json:"response,omitempty"`
	// Started is when the first attempt began.
	Started time.Time `json:"started"`
	// Duration is the round trip of the final attempt (what the server
	// took), not counting earlier attempts or waits between them.
	Duration time.Duration `json:"durationNs"`
	// Attempts counts every send, retries and the 401 token refresh included.
	Attempts int `json:"attempts"`
	// Err describes a transport failure; empty when an answer arrived.
	Err string `json:"err,omitempty"`
	// Retried holds the earlier attempts (a 429 with its Retry-After, a
	// refused connection), oldest first.
	Retried []Exchange `json:"retried,omitempty"`
}

// Request is a request as sent.
type Request struct {
	Method string      `json:"method"`
	URL    string      `json:"url"`
	Header http.Header `json:"header,omitempty"`
	Body   Body        `json:"body,omitempty"`
}

// Response is a response as received.
type Response struct {
	Status int         `json:"status"`
	Header http.Header `json:"header,omitempty"`
	Body   Body        `json:"body,omitempty"`
}

// Status returns the response status, or 0 when no answer arrived.
func (e *Exchange) Status() int {
	if e == nil || e.Response == nil {
		return 0
	}
	return e.Response.Status
}

// JSON parses the response body as a JSON object, keeping numbers as
// json.Number so that integers (startIndex, totalResults) can be told from
// floats.
func (e *Exchange) JSON() (map[string]any, error) {
	if e == nil || e.Response == nil {
		return nil, errors.New("no response")
	}
	if len(bytes.TrimSpace(e.Response.Body)) == 0 {
		return nil, errors.New("empty response body")
	}
	if m, ok := ParseObject(e.Response.Body); ok {
		return m, nil
	}
	dec := json.NewDecoder(bytes.NewReader(e.Response.Body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("response body is not a JSON object: %w", err)
	}
	if dec.More() {
		return nil, errors.New("response body has data after the JSON object")
	}
	return m, nil
}

// String is the one-line summary used in messages and logs:
// "POST /scim/v2/Users → 201 (12ms)".
func (e *Exchange) String() string {
	if e == nil {
		return "<no exchange>"
	}
	target := e.Request.URL
	if u, err := url.Parse(target); err == nil && u.Host != "" {
		target = u.RequestURI()
	}
	switch {
	case e.Response != nil:
		return fmt.Sprintf("%s %s → %d (%s)", e.Request.Method, target, e.Response.Status, e.Duration.Round(time.Millisecond))
	case e.Err != "":
		return fmt.Sprintf("%s %s → no answer: %s", e.Request.Method, target, e.Err)
	}
	return fmt.Sprintf("%s %s (not sent)", e.Request.Method, target)
}

// Body is a message body. In JSON it is a string when it is valid UTF-8 (so
// report.json stays readable) and {"base64": "..."} otherwise.
type Body []byte

// MarshalJSON implements json.Marshaler.
func (b Body) MarshalJSON() ([]byte, error) {
	if b == nil {
		return []byte("null"), nil
	}
	if utf8.Valid(b) {
		return json.Marshal(string(b))
	}
	return json.Marshal(struct {
		Base64 string `json:"base64"`
	}{base64.StdEncoding.EncodeToString(b)})
}

// UnmarshalJSON implements json.Unmarshaler.
func (b *Body) UnmarshalJSON(data []byte) error {
	switch {
	case bytes.Equal(data, []byte("null")):
		*b = nil
		return nil
	case len(data) > 0 && data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*b = Body(s)
		return nil
	}
	var v struct {
		Base64 string `json:"base64"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	raw, err := base64.StdEncoding.DecodeString(v.Base64)
	*b = raw
	return err
}

// Ring keeps the last Max exchanges in memory: a bounded wire log for a
// run. Pass its Record method as Config.Capture.
type Ring struct {
	mu   sync.Mutex
	max  int
	next int
	buf  []Exchange
}

// NewRing returns a Ring keeping at most n exchanges (n ≥ 1).
func NewRing(n int) *Ring {
	return &Ring{max: max(n, 1)}
}

// Record adds ex, dropping the oldest exchange when full.
func (r *Ring) Record(ex Exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.buf) < r.max {
		r.buf = append(r.buf, ex)
		return
	}
	r.buf[r.next] = ex
	r.next = (r.next + 1) % r.max
}

// Exchanges returns the kept exchanges, oldest first.
func (r *Ring) Exchanges() []Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Exchange, 0, len(r.buf))
	out = append(out, r.buf[r.next:]...)
	return append(out, r.buf[:r.next]...)
}
