package server

// The server's side of package provider: the routes and base URLs the
// providers add, the hooks it runs (Seed, Created), and the Host it lends
// them.

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

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
	t, ok := h.s.verify(token)
	return ok && h.s.now().Before(t.expires)
}

func (h host) Registry(tenant string) *schema.Registry { return h.s.registry(tenant) }

func (h host) Create(ctx context.Context, tenant string, rt *schema.ResourceType, body map[string]any) (store.Resource, error) {
	return h.s.createDoc(ctx, tenant, rt, body)
}

func (h host) Modify(ctx context.Context, tenant string, rt *schema.ResourceType, id string, change func(old map[string]any) (map[string]any, error)) (store.Resource, error) {
	return h.s.modify(ctx, tenant, rt, id, "", change)
}

func (h host) Store() store.Store { return h.s.cfg.Store }

func (h host) Render(r *http.Request, rt *schema.ResourceType, res store.Resource) (schema.Ordered, error) {
	return h.s.render(r.Context(), r, rt, res, viewOf(r, rt).p)
}

func (h host) DecodeJSON(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	return decodeBody(w, r, h.s.cfg.MaxBodyBytes)
}

func (h host) MaxBodyBytes() int64 { return h.s.cfg.MaxBodyBytes }

func (h host) WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

func (h host) WriteError(w http.ResponseWriter, err error) { writeError(w, err) }

func (h host) Origin(r *http.Request) string { return h.s.origin(r) }

// requestToken is the credential of r: as the provider route r's path falls
// under reads it (Route.Token), else its bearer token.
func (s *Server) requestToken(r *http.Request) string {
	for _, pr := range s.providers.Load().All() {
		for _, rt := range pr.Routes {
			pre, _, ok := strings.Cut(rt.Pattern, "{tenant}")
			if ok && rt.Token != nil && strings.HasPrefix(r.URL.Path, pre) {
				return rt.Token(r)
			}
		}
	}
	return bearer(r)
}

// bases are the SCIM base paths below a tenant's root: strictBase, then
// each other one a provider serves (Provider.Bases).
func (s *Server) bases() []string {
	out := []string{strictBase}
	for _, pr := range s.cfg.Providers.All() {
		for _, b := range pr.Bases {
			if !slices.Contains(out, b) {
				out = append(out, b)
			}
		}
	}
	return out
}

// tenantPrefixes are the path prefixes after which a path names its
// tenant: /t/, then those of the providers' routes (Huddle's
// /people/companies/), for the rate limit, which runs before routing.
func (s *Server) tenantPrefixes() []string {
	out := []string{tenantPrefix}
	for _, pr := range s.cfg.Providers.All() {
		for _, rt := range pr.Routes {
			pre, _, ok := strings.Cut(rt.Pattern, "{tenant}")
			if ok && strings.HasPrefix(pre, "/") && strings.HasSuffix(pre, "/") && !slices.Contains(out, pre) {
				out = append(out, pre)
			}
		}
	}
	return out
}

// providerRoutes mounts each pattern of the providers' Routes once. It
// answers for a tenant whose provider has the route; for every other tenant
// the path is outside the SCIM API, exactly as without it.
func (s *Server) providerRoutes() {
	seen := map[string]bool{}
	for _, pr := range s.cfg.Providers.All() {
		for _, rt := range pr.Routes {
			if seen[rt.Pattern] {
				continue
			}
			seen[rt.Pattern] = true
			pattern := rt.Pattern
			s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
				if own := s.provider(r).Route(pattern); own != nil {
					own.Serve(host{s}, w, r)
					return
				}
				noEndpoint(w, r)
			})
		}
	}
}

// seedKey is a tenant and the provider that seeded it: a provider given by
// SetProviders (Board with another permission group) seeds the tenant
// again. Seed hooks create only what is missing.
type seedKey struct {
	tenant string
	pr     *provider.Provider
}

// seed runs the provider's Seed once per tenant; seeding is serialised, so
// two first requests do not both create what the service has from the start.
func (s *Server) seed(ctx context.Context, tenant string, pr *provider.Provider) error {
	if pr.Seed == nil {
		return nil
	}
	key := seedKey{tenant, pr}
	if _, done := s.seeded.Load(key); done {
		return nil
	}
	s.seedMu.Lock()
	defer s.seedMu.Unlock()
	if _, done := s.seeded.Load(key); done {
		return nil
	}
	if err := pr.Seed(ctx, host{s}, tenant); err != nil {
		return err
	}
	s.seeded.Store(key, true)
	return nil
}

// mounted are the route patterns and base paths mounted at New.
type mounted struct {
	routes, bases map[string]bool
}

func mountedOf(m *provider.Map) mounted {
	out := mounted{routes: map[string]bool{}, bases: map[string]bool{}}
	for _, pr := range m.All() {
		for _, rt := range pr.Routes {
			out.routes[rt.Pattern] = true
		}
		for _, b := range pr.Bases {
			out.bases[b] = true
		}
	}
	return out
}

// SetProviders replaces the tenants' providers (Config.Providers) for the
// requests that start after it: `serve` calls it when the --config file's
// profiles change. Routes and base paths are mounted once, at New, so a map
// whose providers need a route or base the server was not started with is
// refused, and the providers in use stay: that change needs a restart.
func (s *Server) SetProviders(m *provider.Map) error {
	for _, pr := range m.All() {
		for _, rt := range pr.Routes {
			if !s.mounted.routes[rt.Pattern] {
				return fmt.Errorf("server: profile %q serves %s, which this server was not started with: restart it to apply", pr.Name, rt.Pattern)
			}
		}
		for _, b := range pr.Bases {
			if !s.mounted.bases[b] {
				return fmt.Errorf("server: profile %q serves the base path %s, which this server was not started with: restart it to apply", pr.Name, b)
			}
		}
	}
	s.providers.Store(m)
	return nil
}

// created runs the provider's Created hook on a resource just stored. The
// resource exists, so a failure is logged rather than failing the create.
func (s *Server) created(ctx context.Context, tenant string, rt *schema.ResourceType, res store.Resource) {
	pr := s.providerOf(tenant)
	if pr == nil || pr.Created == nil {
		return
	}
	err := s.seed(ctx, tenant, pr)
	if err == nil {
		err = pr.Created(ctx, host{s}, tenant, rt, res)
	}
	if err != nil {
		s.log.Warn("the provider's hook after a create failed", "tenant", tenant, "type", rt.ID, "id", res.ID, "err", err)
	}
}
