package client

import "net/http"

// Redactor applies the client's redaction rules (see redact.go) to traffic
// captured outside the client — the server-side recorder of package
// server/record — so that there is one set of rules, not two.
// It is safe for concurrent use.
type Redactor struct{ r *redactor }

// NewRedactor returns a Redactor that also replaces the given literal
// secrets (tokens the server knows, for instance) wherever they appear.
// Secrets shorter than 8 bytes are not searched for.
func NewRedactor(secrets ...string) *Redactor {
	rd := &Redactor{r: newRedactor()}
	for _, s := range secrets {
		rd.r.addSecret(s)
	}
	return rd
}

// AddSecret adds a literal secret to replace.
func (rd *Redactor) AddSecret(s string) { rd.r.addSecret(s) }

// Request returns the redacted form of a request: credentials in headers,
// token-like query parameters and secret body members replaced.
func (rd *Redactor) Request(method, rawURL string, h http.Header, body []byte) WireRequest {
	return rd.r.request(method, rawURL, h, body)
}

// Response returns the redacted form of a response.
func (rd *Redactor) Response(status int, h http.Header, body []byte) *WireResponse {
	return rd.r.response(status, h, body)
}

// SensitiveQueryName reports whether a query or form parameter of this name
// is redacted as a credential (access_token, client_secret, api_key…).
func SensitiveQueryName(name string) bool { return sensitiveName(name) }
