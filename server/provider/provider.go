// Package provider holds service-provider profiles: what a real SCIM service
// (Humbol, Holaspirit, …) accepts, requires and answers, written as
// configuration of the reference server's request steps rather than as forks
// of its handlers. The server looks up a tenant's profile at each step —
// routing (which endpoints and methods exist), schema (the profile's own
// [schema.Registry]), filter (which filter shapes the service supports) and
// the write path (extra checks on the normalised document) — and a nil
// profile means the strict RFC 7643/7644 behaviour, unchanged.
//
// Profiles are data plus small pure functions; none of them touches HTTP or
// the store, so each can be tested on its own and a new service is a new
// value, not a new handler.
package provider

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/scimharness/scimharness/fixtures"
	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
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
	// IgnoreUnknownPatchPaths drops PATCH operations whose path names an
	// attribute the profile's schema lacks, instead of failing the request
	// with invalidPath: services that "ignore other fields silently" do so
	// for PATCH too.
	IgnoreUnknownPatchPaths bool

	// Access holds the tenant's actors (tokens with permissions) and OAuth2
	// clients; nil: every tenant token has every permission and there is
	// no token endpoint.
	Access *Access
	// Authorize decides, after authentication, whether the principal may
	// use the API: an error is a 403. Nil allows every principal.
	Authorize func(p Principal) error
	// CompanyPath serves the Users endpoint at Huddle's
	// /people/companies/{company}/users, the company being the tenant,
	// with JSON or XML bodies (seed 002).
	CompanyPath bool
	// ShortBase also serves the SCIM API at /scim (default tenant) and
	// /t/{tenant}/scim, Board's base URL ("…/scim/Users/<user id>", seed
	// 003); /scim/v2 keeps working. Strict tenants have no such path.
	ShortBase bool
	// PermissionGroups exist as SCIM Groups of the tenant from the start
	// (Board, seed 003); the enabled default one receives every user
	// created through SCIM.
	PermissionGroups []PermissionGroup
}

// DefaultGroup is the name of the Permission Group a created user joins:
// the one set as default, unless it is disabled; "" for none.
func (p *Provider) DefaultGroup() string {
	for _, g := range p.PermissionGroups {
		if g.Default && !g.Disabled {
			return g.Name
		}
	}
	return ""
}

// Allows reports whether the profile serves method on endpoint; known is
// false when the endpoint does not exist in the profile. A profile without
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
// that exact body, so the profile reproduces it byte for byte.
type RawError struct {
	Status int
	Body   json.RawMessage
}

func (e *RawError) Error() string {
	return fmt.Sprintf("profile: %d: %s", e.Status, e.Body)
}

// load reads fixtures/profiles/<name> into a registry. The fixtures are
// embedded, so a failure is a bug that the package's tests catch; it panics.
func load(name string) *schema.Registry {
	sub, err := fs.Sub(fixtures.FS, "profiles/"+name)
	if err != nil {
		panic(err)
	}
	r, err := schema.Load(sub)
	if err != nil {
		panic(fmt.Sprintf("profile %s: %v", name, err))
	}
	return r
}

// builtins are the profiles by name, built once on first use.
var builtins = map[string]func() *Provider{
	"humbol":     Humbol,
	"holaspirit": Holaspirit,
	"huddle":     Huddle,
	"board":      Board,
}

// Names lists the built-in profiles, sorted; "strict" (the default) is
// included.
func Names() []string {
	out := []string{"strict"}
	for n := range builtins {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ByName returns the built-in profile called name. "strict" and "" are the
// strict RFC behaviour, returned as nil: the server's default path, with no
// per-request cost.
func ByName(name string) (*Provider, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" || n == "strict" {
		return nil, nil
	}
	mk, ok := builtins[n]
	if !ok {
		return nil, fmt.Errorf("profile %q: unknown; the profiles are %s", name, strings.Join(Names(), ", "))
	}
	return mk(), nil
}

// workEmails returns the emails of doc whose type is "work".
func workEmails(doc map[string]any) []map[string]any {
	var out []map[string]any
	for _, e := range multi(doc, "emails") {
		if t, _ := e["type"].(string); strings.EqualFold(t, "work") {
			out = append(out, e)
		}
	}
	return out
}

// multi returns the values of a multi-valued complex attribute of doc.
func multi(doc map[string]any, name string) []map[string]any {
	vs, _ := doc[name].([]any)
	out := make([]map[string]any, 0, len(vs))
	for _, v := range vs {
		if m, ok := v.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// isAttr reports whether p names attribute name (no URN or the core URN,
// case-insensitive) with sub-attribute sub.
func isAttr(p filter.AttrPath, name, sub string) bool {
	return (p.URN == "" || strings.EqualFold(p.URN, scim.UserURN)) &&
		strings.EqualFold(p.Name, name) && strings.EqualFold(p.Sub, sub)
}

// str is v as a string; ok is false if v is not one.
func str(v any) (string, bool) {
	s, ok := v.(string)
	return s, ok
}
