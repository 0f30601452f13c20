package server

import (
	"context"
	"net/http"

	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// host is the server as its providers' hooks see it ([provider.Host]):
// the generic operations, so that a vendor's endpoint shares their checks
// and errors instead of copying them.
type host struct{ s *Server }

var _ provider.Host = host{}

func (h host) Authenticate(tenant, token string) (provider.Principal, error) {
	return h.s.authenticate(tenant, token)
}

// KnownElsewhere reports whether token is a tenant token or a live issued
// token of any tenant.
func (h host) KnownElsewhere(token string) bool {
	if h.s.cfg.Tenants.Known(token) {
		return true
	}
	t, ok := h.s.issued.get(token)
	return ok && h.s.now().Before(t.expires)
}

func (h host) Registry(tenant string) *schema.Registry { return h.s.registry(tenant) }

func (h host) Create(ctx context.Context, tenant string, rt *schema.ResourceType, body map[string]any) (store.Resource, error) {
	return h.s.createDoc(ctx, tenant, rt, body)
}

func (h host) Get(ctx context.Context, tenant string, rt *schema.ResourceType, id string) (store.Resource, error) {
	return h.s.cfg.Store.Get(ctx, tenant, rt, id)
}

func (h host) Render(r *http.Request, rt *schema.ResourceType, res store.Resource) (schema.Ordered, error) {
	out, err := h.s.render(r.Context(), r, rt, res, projection(r, rt))
	if err != nil {
		return schema.Ordered{}, err
	}
	return out.(schema.Ordered), nil
}

func (h host) DecodeJSON(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	return decodeBody(w, r, h.s.cfg.MaxBodyBytes)
}

func (h host) MaxBodyBytes() int64 { return h.s.cfg.MaxBodyBytes }

func (h host) WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

func (h host) WriteError(w http.ResponseWriter, err error) { writeError(w, err) }
