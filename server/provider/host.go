package provider

import (
	"context"
	"net/http"

	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// Host is what the reference server lends a provider's hooks: its
// authentication, its write path and its answers. A vendor's endpoint is
// then the server's own operation behind another URL, with the same checks
// and the same RFC 7644 §3.12 errors, and no provider imports package
// server.
type Host interface {
	// Authenticate returns who token acts as for tenant. An unknown token
	// is a 401; an issued one past its lifetime is [ErrExpired].
	Authenticate(tenant, token string) (Principal, error)
	// KnownElsewhere reports whether token acts for some tenant — asked
	// once it is known not to act for this one.
	KnownElsewhere(token string) bool
	// Registry is the schema registry of tenant.
	Registry(tenant string) *schema.Registry
	// Create is POST without HTTP (RFC 7644 §3.3): body is normalised
	// against rt, checked by the tenant's provider and stored.
	Create(ctx context.Context, tenant string, rt *schema.ResourceType, body map[string]any) (store.Resource, error)
	// Modify changes one resource of the tenant with the server's
	// optimistic concurrency (read, change, write if unchanged, else again)
	// and its member checks.
	Modify(ctx context.Context, tenant string, rt *schema.ResourceType, id string, change func(old map[string]any) (map[string]any, error)) (store.Resource, error)
	// Store is the server's store, for what the service holds outside its
	// SCIM API (Board's Permission Groups) and for reads.
	Store() store.Store
	// Render is res as the SCIM API answers r: meta.location under the
	// SCIM base URL, and the projection of r's attributes and
	// excludedAttributes (RFC 7644 §3.9).
	Render(r *http.Request, rt *schema.ResourceType, res store.Resource) (schema.Ordered, error)
	// DecodeJSON reads r's body as one JSON object, within the server's
	// size limit (413 above it), as the SCIM endpoints do.
	DecodeJSON(w http.ResponseWriter, r *http.Request) (map[string]any, error)
	// MaxBodyBytes is the server's request body limit.
	MaxBodyBytes() int64
	// WriteJSON answers v as application/scim+json with status.
	WriteJSON(w http.ResponseWriter, status int, v any)
	// WriteError answers err as the RFC 7644 §3.12 error body (or a
	// [RawError] verbatim).
	WriteError(w http.ResponseWriter, err error)
	// Origin is the scheme and host (and path prefix) clients reach the
	// server at: Config.PublicBaseURL, else from r.
	Origin(r *http.Request) string
}
