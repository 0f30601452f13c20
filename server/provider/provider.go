// Package provider holds the service providers the reference server can
// reproduce: what a real SCIM service (Humbol, Holaspirit, Huddle, Board)
// accepts, requires and answers, written as configuration of the server's
// request steps and as small hooks, not as forks of its handlers. The server
// looks up a tenant's provider at each step — routing (which endpoints and
// methods exist, and the service's own endpoints and base URLs), schema (the
// provider's own [schema.Registry]), filter (which filter shapes the service
// supports), authorisation, and the write path (extra checks on the
// normalised document) — and a nil provider means the strict RFC 7643/7644
// behaviour, unchanged.
//
// This package holds the hooks and what every provider shares (tenant
// settings, principals, OAuth2 clients); each service lives in its own
// package below (provider/huddle, provider/board, …) and package
// provider/builtin names them for --profile and the config file's
// "profile:" key. A hook that needs the server (a vendor's own endpoint)
// gets it as a [Host], so no provider imports package server.
package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/scimharness/scimharness/fixtures"
	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/patch"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// Op names the write a [Provider.Check] is asked about.
type Op int

// The writes that store a document.
const (
	Create  Op = iota // POST
	Replace           // PUT
	Patch             // PATCH (the document after the operations)
)

// Provider is one service provider's behaviour. The zero value of every field
// keeps the strict server's behaviour for that step.
type Provider struct {
	// Name is what --profile and the config file's "profile:" key take.
	Name string
	// Description says which service this reproduces and from which seed.
	Description string
	// Registry holds the schemas and resource types the service has: /Schemas
	// and /ResourceTypes show exactly these, documents are normalised against
	// them (so attributes the service lacks are dropped, RFC 7644 §3.3), and
	// a resource type the registry lacks (Groups for a users-only service)
	// answers 404 as the service would.
	Registry *schema.Registry
	// Methods lists, per endpoint below the base URL ("/Users",
	// "/Users/{id}", "/Schemas", …), the methods the service serves. Nil
	// serves every endpoint and method of the strict server. When set, an
	// endpoint that is not listed answers 404 and a method that is not listed
	// 405 with an Allow header, both with the SCIM error body. HEAD goes with
	// GET (RFC 9110 §9.1).
	Methods map[string][]string
	// Filter checks a parsed list filter before it runs; nil accepts every
	// filter the strict server accepts. Services that support only a few
	// filter shapes refuse the rest with 400 invalidFilter.
	Filter func(rt *schema.ResourceType, f filter.Expr) error
	// Check runs on every normalised document about to be stored, after the
	// schema's own checks: the service's extra requirements (a required work
	// email, a closed set of roles) and its silent rewrites (fields it does
	// not keep). It may change doc in place. old is the stored document
	// (without id and meta) for Replace and Patch, nil for Create.
	Check func(op Op, rt *schema.ResourceType, old, doc map[string]any) error
	// PatchOps rewrites the parsed operations of a PATCH request (RFC 7644
	// §3.5.2) before they are applied: Holaspirit drops those whose path
	// names an attribute its schema lacks, instead of failing with
	// invalidPath, since it "ignores other fields silently" in PATCH too.
	PatchOps func(rt *schema.ResourceType, ops []patch.Operation) []patch.Operation

	// Access holds the tenant's actors (tokens with permissions) and OAuth2
	// clients; nil: every tenant token has every permission and there is
	// no token endpoint.
	Access *Access
	// Authorize decides, after authentication, whether the principal may
	// use the API: an error is a 403. Nil allows every principal.
	Authorize func(p Principal) error
	// Routes are the service's own endpoints, outside the SCIM base URL
	// (Huddle's /people/companies/{tenant}/users). Each answers only for
	// tenants whose provider lists it; for every other tenant the path is
	// outside the API.
	Routes []Route
	// Bases are base paths the service also serves its SCIM API at,
	// besides /scim/v2: "/scim" serves /scim (default tenant) and
	// /t/{tenant}/scim (Board's "…/scim/Users/<user id>", seed 003).
	// meta.location follows the base a request came in at. Tenants whose
	// provider does not list a base have no such path.
	Bases []string
	// Seed creates what the service has before any SCIM call (Board's
	// Permission Groups, made in its Subscription Hub). The server runs it
	// once per tenant, after authorisation of the tenant's first request;
	// an error fails that request, and the next one tries again.
	Seed func(ctx context.Context, h Host, tenant string) error
	// Created runs after a resource is created through SCIM (Board: a user
	// joins the default Permission Group). The resource exists by then, so
	// an error does not fail the create: the server logs it.
	Created func(ctx context.Context, h Host, tenant string, rt *schema.ResourceType, res store.Resource) error
}

// ServesBase reports whether p serves its SCIM API at base, besides
// /scim/v2 ([Provider.Bases]); a nil provider (strict) serves none.
func (p *Provider) ServesBase(base string) bool {
	return p != nil && slices.Contains(p.Bases, base)
}

// Allows reports whether the provider serves method on endpoint; known is
// false when the endpoint does not exist in the provider. A provider without
// a method table allows everything.
func (p *Provider) Allows(endpoint, method string) (allowed, known bool) {
	if p.Methods == nil {
		return true, true
	}
	ms, ok := p.Methods[endpoint]
	if !ok {
		return false, false
	}
	if method == http.MethodHead {
		method = http.MethodGet
	}
	return slices.Contains(ms, method), true
}

// Allow is the Allow header value for endpoint (RFC 9110 §10.2.1).
func (p *Provider) Allow(endpoint string) string {
	ms := slices.Clone(p.Methods[endpoint])
	if slices.Contains(ms, http.MethodGet) {
		ms = append(ms, http.MethodHead)
	}
	sort.Strings(ms)
	return strings.Join(ms, ", ")
}

// RawError is an error whose body is given verbatim, for services whose
// documentation quotes an error body that differs from RFC 7644 §3.12 (a
// numeric "status", a detail in another format): clients are written against
// that exact body, so the provider reproduces it byte for byte.
type RawError struct {
	Status int
	Body   json.RawMessage
}

func (e *RawError) Error() string {
	return fmt.Sprintf("provider: %d: %s", e.Status, e.Body)
}

// FixtureRegistry reads fixtures/profiles/<name> into a registry: the
// schemas and resource types of a service. The fixtures are embedded, so a
// failure is a bug that the providers' tests catch; it panics.
func FixtureRegistry(name string) *schema.Registry {
	sub, err := fs.Sub(fixtures.FS, "profiles/"+name)
	if err != nil {
		panic(err)
	}
	r, err := schema.Load(sub)
	if err != nil {
		panic(fmt.Sprintf("provider %s: %v", name, err))
	}
	return r
}

// Values returns the values of a multi-valued complex attribute of doc.
func Values(doc map[string]any, name string) []map[string]any {
	vs, _ := doc[name].([]any)
	out := make([]map[string]any, 0, len(vs))
	for _, v := range vs {
		if m, ok := v.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// Route is an endpoint of a service outside the SCIM base URL. Pattern is
// a [net/http.ServeMux] pattern whose {tenant} wildcard names the tenant
// ("/people/companies/{tenant}/users"); Serve answers it, with the server
// lent as h.
type Route struct {
	Pattern string
	Serve   func(h Host, w http.ResponseWriter, r *http.Request)
	// Token, if set, reads the credential of a request to this route
	// (Huddle's "Authorization: OAuth2 <token>"); nil is Bearer. The server
	// asks it before routing, to tell whose rate limit and recording the
	// request belongs to.
	Token func(r *http.Request) string
}

// Route returns the route of p with pattern, or nil; a nil provider (strict)
// has none.
func (p *Provider) Route(pattern string) *Route {
	if p == nil {
		return nil
	}
	for i := range p.Routes {
		if p.Routes[i].Pattern == pattern {
			return &p.Routes[i]
		}
	}
	return nil
}

// Map gives each tenant its provider: Tenants[tenant] if the tenant is
// listed (nil there is strict), else Default (nil: strict). A nil *Map
// makes every tenant strict.
type Map struct {
	Default *Provider
	Tenants map[string]*Provider
}

// Of is the provider of tenant; nil is the strict RFC behaviour.
func (m *Map) Of(tenant string) *Provider {
	if m == nil {
		return nil
	}
	if p, ok := m.Tenants[tenant]; ok {
		return p
	}
	return m.Default
}

// All lists the providers of m (without nil), Default first, then the
// tenants' in the order of their names: what the server sets up once, such
// as the providers' own routes, comes from them.
func (m *Map) All() []*Provider {
	if m == nil {
		return nil
	}
	var out []*Provider
	if m.Default != nil {
		out = append(out, m.Default)
	}
	names := make([]string, 0, len(m.Tenants))
	for n := range m.Tenants {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if p := m.Tenants[n]; p != nil {
			out = append(out, p)
		}
	}
	return out
}

// KnownPaths drops the operations whose path names an attribute or
// sub-attribute rt does not declare: for a service that ignores unknown
// fields silently (Holaspirit, Board's unmapped attributes), in PATCH as
// in POST and PUT. Operations without a path are kept: Normalize already
// drops unknown keys of their value. A path that does not parse is kept,
// so that it still fails.
func KnownPaths(rt *schema.ResourceType, ops []patch.Operation) []patch.Operation {
	kept := ops[:0:0]
	for _, op := range ops {
		if op.Path != "" {
			if p, err := filter.ParsePath(op.Path); err == nil {
				sub := p.Attr.Sub
				if sub == "" {
					sub = p.Sub
				}
				if _, ok := rt.Find(p.Attr.URN, p.Attr.Name, sub); !ok {
					if _, isExt := rt.Extension(op.Path); !isExt {
						continue
					}
				}
			}
		}
		kept = append(kept, op)
	}
	return kept
}
