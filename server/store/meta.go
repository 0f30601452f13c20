package store

import (
	"crypto/rand"
	"fmt"
	"strconv"
	"time"
)

// TimeFormat is the layout of meta.created and meta.lastModified: UTC with
// exactly three fractional digits, so that the string order of two stamps is
// their time order (sorting by meta.lastModified as text stays correct).
const TimeFormat = "2006-01-02T15:04:05.000Z"

// NewID returns a random (version 4) UUID. crypto/rand is used because ids
// are visible to clients and must not be guessable across tenants; it never
// fails on supported platforms (Go 1.24+ crashes the program instead).
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ETag is the weak entity tag that meta.version carries (RFC 7644 §3.14):
// weak, because one version is served in several projections.
func ETag(version int64) string {
	return `W/"` + strconv.FormatInt(version, 10) + `"`
}

// Stamp formats t as TimeFormat, truncating to milliseconds.
func Stamp(t time.Time) string { return t.UTC().Format(TimeFormat) }

// Meta is the "meta" a store writes (the server adds location on output).
func Meta(rtID string, version int64, created, modified time.Time) map[string]any {
	return map[string]any{
		"resourceType": rtID,
		"created":      Stamp(created),
		"lastModified": Stamp(modified),
		"version":      ETag(version),
	}
}

// WithMeta returns a shallow copy of doc with the store-owned "id" and
// "meta" written over whatever the caller put there (the store owns them).
func WithMeta(doc map[string]any, rtID, id string, version int64, created, modified time.Time) map[string]any {
	out := make(map[string]any, len(doc)+2)
	for k, v := range doc {
		out[k] = v
	}
	out["id"] = id
	out["meta"] = Meta(rtID, version, created, modified)
	return out
}
