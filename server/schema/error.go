package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/scimharness/scimharness/scim"
)

// The scimType values of RFC 7644 §3.12, Table 9.
const (
	InvalidFilter = "invalidFilter"
	TooMany       = "tooMany"
	Uniqueness    = "uniqueness"
	Mutability    = "mutability"
	InvalidSyntax = "invalidSyntax"
	InvalidPath   = "invalidPath"
	NoTarget      = "noTarget"
	InvalidValue  = "invalidValue"
	InvalidVers   = "invalidVers"
	Sensitive     = "sensitive"
)

// statusOf is the one table from scimType to HTTP status (RFC 7644 §3.12).
var statusOf = map[string]int{
	InvalidFilter: http.StatusBadRequest,
	TooMany:       http.StatusBadRequest,
	Uniqueness:    http.StatusConflict,
	Mutability:    http.StatusBadRequest,
	InvalidSyntax: http.StatusBadRequest,
	InvalidPath:   http.StatusBadRequest,
	NoTarget:      http.StatusBadRequest,
	InvalidValue:  http.StatusBadRequest,
	InvalidVers:   http.StatusBadRequest,
	Sensitive:     http.StatusForbidden,
}

// Error is the single error type of the server: every failure, wherever it
// happens, becomes one Error, and one writer turns it into the RFC 7644 §3.12
// body. Status is the HTTP status; ScimType is empty where the RFC defines none
// (404, 401, 412, 413, 501, 503, ...).
type Error struct {
	Status   int
	ScimType string
	Detail   string
}

func (e *Error) Error() string {
	if e.ScimType != "" {
		return fmt.Sprintf("scim: %d %s: %s", e.Status, e.ScimType, e.Detail)
	}
	return fmt.Sprintf("scim: %d: %s", e.Status, e.Detail)
}

// Body is the RFC 7644 §3.12 JSON body; status is a string, as the RFC's
// examples show and as Entra ID requires.
func (e *Error) Body() map[string]any {
	b := map[string]any{
		"schemas": []any{scim.ErrorURN},
		"status":  strconv.Itoa(e.Status),
	}
	if e.ScimType != "" {
		b["scimType"] = e.ScimType
	}
	if e.Detail != "" {
		b["detail"] = e.Detail
	}
	return b
}

// MarshalJSON writes [Error.Body] with its keys in the RFC 7644 §3.12 order
// (schemas, status, scimType, detail), so errors read like the RFC's examples.
func (e *Error) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Schemas  []string `json:"schemas"`
		Status   string   `json:"status"`
		ScimType string   `json:"scimType,omitempty"`
		Detail   string   `json:"detail,omitempty"`
	}{[]string{scim.ErrorURN}, strconv.Itoa(e.Status), e.ScimType, e.Detail})
}

// Errorf returns a 4xx error of the given scimType, its status from the RFC table.
func Errorf(scimType, format string, args ...any) *Error {
	st, ok := statusOf[scimType]
	if !ok {
		st = http.StatusBadRequest
	}
	return &Error{Status: st, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

// StatusError returns an error with an HTTP status and no scimType.
func StatusError(status int, format string, args ...any) *Error {
	return &Error{Status: status, Detail: fmt.Sprintf(format, args...)}
}

// NotFound is the 404 for an unknown resource id.
func NotFound(resourceType, id string) *Error {
	return StatusError(http.StatusNotFound, "%s %q not found", resourceType, id)
}

// ErrUnavailable marks a failure of a backing service (a lost database
// connection): it becomes 503, which IdPs retry, never 500.
var ErrUnavailable = errors.New("scim: store unavailable")

// AsError turns any error into an *Error. Errors that are not already SCIM
// errors are internal: their text is not shown to clients, because it may
// carry details of the store.
func AsError(err error) *Error {
	var se *Error
	if errors.As(err, &se) {
		return se
	}
	if errors.Is(err, ErrUnavailable) {
		return StatusError(http.StatusServiceUnavailable, "service temporarily unavailable, retry later")
	}
	return StatusError(http.StatusInternalServerError, "internal error")
}
