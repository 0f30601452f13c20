// Package server is the HTTP side of the reference SCIM 2.0 server: routing,
// tenants and bearer-token auth, content negotiation, and the RFC 7644
// operations (CRUD, PATCH, list and search with filter, sort and paging,
// ETags, Bulk, discovery). It holds no SCIM semantics of its own: documents
// are checked and shaped by package schema, filters by package filter, PATCH
// by package patch, and kept by a [store.Store]. Nor does it hold any
// vendor's behaviour: a tenant's service provider (package provider) shapes
// each step through hooks — its method table, schema, checks, extra routes
// and base URLs — and the vendors' own endpoints live in their packages
// below server/provider, which reach the server through [provider.Host].
//
// One request: recover → log → auth (token hash → tenant) → route → decode
// (size limit, UTF-8, one JSON object) → normalise → operation → store →
// project (attributes, excludedAttributes, returned) → encode with meta and
// ETag; a form encoded before comes from the render cache (renderCache). Any error anywhere becomes one *schema.Error and one writer turns it
// into the RFC 7644 §3.12 body.
package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/wire"
)

// Config configures a [Server]. Zero values take the defaults noted.
type Config struct {
	Store    store.Store      // required
	Tenants  *Tenants         // required: who may act for which tenant
	Registry *schema.Registry // default schema.Default()
	Logger   *slog.Logger     // default slog.Default()

	// MaxResults caps a list page (RFC 7644 §3.4.2.4 lets the server return
	// fewer than asked); it is advertised as filter.maxResults. Default 1000.
	MaxResults int
	// MaxBodyBytes caps a request body (413 above). Default 1 MiB.
	MaxBodyBytes int64
	// BulkMaxOperations caps a /Bulk request. Default 1000.
	BulkMaxOperations int
	// PatchNoContent answers a successful PATCH with 204 and no body instead
	// of 200 with the resource (RFC 7644 §3.5.2 allows both).
	PatchNoContent bool
	// Providers gives each tenant its service provider (package provider;
	// nil is the strict RFC behaviour). The providers' own routes are
	// mounted once, at New. Nil: every tenant is strict, at the cost of one
	// nil check per step.
	Providers *provider.Map
	// Now is the clock of issued access tokens' expiry. Default time.Now.
	Now func() time.Time
	// RateLimit caps each tenant's requests (429 with Retry-After above
	// it). The zero value is no limit.
	RateLimit RateLimit
	// Issued, if set, is called with every access token the token endpoint
	// issues, before the response carries it, so that a recorder can
	// redact it as a literal wherever a client later puts it (a query
	// parameter, an odd header, the path). It must be quick and safe for
	// concurrent use.
	Issued func(token string)
	// TokenKey signs the OAuth2 access tokens the token endpoints issue
	// (HMAC-SHA256, with each client's stored secret hash mixed in), so
	// that they need not be kept: servers given the same key and client
	// configuration — replicas on one database — accept each other's
	// tokens. Empty: a random key, so tokens die with the process. Give at
	// least 32 random bytes.
	TokenKey []byte
	// PublicBaseURL is the scheme, host and optional path prefix clients
	// reach the server at ("https://scim.example.com"): meta.location,
	// Location and $ref are built on it. Empty: from the request's scheme
	// and Host header.
	PublicBaseURL string
	// Tolerate chooses the IdP tolerances applied to request bodies
	// (schema.Tolerances): "" or schema.TolerateIdP applies them, each
	// logged by name; schema.TolerateNone answers every type mismatch
	// with 400 invalidValue, as RFC 7643 §2.3 reads.
	Tolerate schema.Tolerate
	// RequestTimeout bounds the time one request may take: past it the
	// store gives up and the answer is 503 with Retry-After, where a
	// frozen database made requests wait 20–35 s. Default
	// DefaultRequestTimeout; negative is no deadline.
	RequestTimeout time.Duration
	// RenderCacheBytes bounds the memory of the cache of encoded answers
	// (renderCache), which serves a repeated read of an unchanged resource
	// without projecting and encoding it again. Default
	// DefaultRenderCacheBytes; negative is no cache.
	RenderCacheBytes int
}

// DefaultRequestTimeout is Config.RequestTimeout's default.
const DefaultRequestTimeout = 15 * time.Second

// Server is the reference SCIM server; it is an http.Handler.
type Server struct {
	cfg Config
	mux *http.ServeMux
	log *slog.Logger
	// tokenKey signs the access tokens of the tenants' token endpoints
	// (Config.TokenKey, or random).
	tokenKey []byte
	// providers is Config.Providers, or the map SetProviders gave since.
	providers atomic.Pointer[provider.Map]
	// mounted are the route patterns and base paths of the providers
	// known at New: a map SetProviders takes must need no others.
	mounted mounted
	seeded  sync.Map // seedKey → true once that provider's Seed ran for the tenant
	// seedMu serialises the providers' Seed hooks.
	seedMu  sync.Mutex
	limiter *rateLimiter // nil: no rate limit
	// prefixes precede a tenant's name in a path (pathTenant).
	prefixes []string
	cache    *renderCache // nil: Config.RenderCacheBytes < 0
}

// New returns a server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Tenants == nil {
		return nil, fmt.Errorf("server: Config.Store and Config.Tenants are required")
	}
	if cfg.Registry == nil {
		cfg.Registry = schema.Default()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxResults <= 0 {
		cfg.MaxResults = 1000
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.BulkMaxOperations <= 0 {
		cfg.BulkMaxOperations = 1000
	}
	if cfg.RenderCacheBytes == 0 {
		cfg.RenderCacheBytes = DefaultRenderCacheBytes
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.PublicBaseURL != "" {
		u, err := url.Parse(cfg.PublicBaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return nil, fmt.Errorf("server: Config.PublicBaseURL %q: want an absolute http or https URL without query, fragment or user info", cfg.PublicBaseURL)
		}
		cfg.PublicBaseURL = strings.TrimSuffix(cfg.PublicBaseURL, "/")
	}
	var err error
	if cfg.Tolerate, err = schema.ParseTolerate(string(cfg.Tolerate)); err != nil {
		return nil, fmt.Errorf("server: Config.Tolerate: %v", err)
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), log: cfg.Logger, limiter: newRateLimiter(cfg.RateLimit, nil), tokenKey: cfg.TokenKey}
	if len(s.tokenKey) == 0 {
		s.tokenKey = make([]byte, 32)
		if _, err := rand.Read(s.tokenKey); err != nil {
			return nil, fmt.Errorf("server: no randomness for the token key: %w", err)
		}
	}
	s.cache = newRenderCache(cfg.RenderCacheBytes)
	s.providers.Store(cfg.Providers)
	s.mounted = mountedOf(cfg.Providers)
	if err := s.routes(); err != nil {
		return nil, err
	}
	s.prefixes = s.tenantPrefixes()
	return s, nil
}

// routes registers every endpoint twice: under the default tenant's
// /scim/v2 and under /t/{tenant}/scim/v2 — and twice more for each other
// base path of a provider (Board's /scim: /scim and /t/{tenant}/scim),
// which answer only for tenants whose provider has that base. Methods are dispatched in the
// handlers (not in the patterns) so that a wrong method gets a SCIM 405 body
// rather than ServeMux's plain-text one. The providers' own routes come
// last; one that clashes with another route is an error (ServeMux panics on
// it).
func (s *Server) routes() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("server: a provider's route: %v", p)
		}
	}()
	var prefixes []string
	for _, b := range s.bases() {
		prefixes = append(prefixes, b, tenantRoot+b)
	}
	for _, p := range prefixes {
		s.handle(p, "/ServiceProviderConfig", methods{http.MethodGet: s.serviceProviderConfig})
		s.handle(p, "/Schemas", methods{http.MethodGet: s.listSchemas})
		s.handle(p, "/Schemas/{id}", methods{http.MethodGet: s.getSchema})
		s.handle(p, "/ResourceTypes", methods{http.MethodGet: s.listResourceTypes})
		s.handle(p, "/ResourceTypes/{id}", methods{http.MethodGet: s.getResourceType})
		s.handle(p, "/.search", methods{http.MethodPost: s.searchAll})
		s.handle(p, "/Bulk", methods{http.MethodPost: s.bulk})
		s.handle(p, "/Me", methods{"*": s.me})
		s.handle(p, "/Me/{rest...}", methods{"*": s.me})
		for _, rt := range s.cfg.Registry.ResourceTypes() {
			rt := rt
			s.handle(p, rt.Endpoint, methods{
				http.MethodGet:  s.withType(rt, s.list),
				http.MethodPost: s.withType(rt, s.create),
			})
			s.handle(p, rt.Endpoint+"/.search", methods{http.MethodPost: s.withType(rt, s.search)})
			s.handle(p, rt.Endpoint+"/{id}", methods{
				http.MethodGet:    s.withType(rt, s.get),
				http.MethodPut:    s.withType(rt, s.replace),
				http.MethodPatch:  s.withType(rt, s.patch),
				http.MethodDelete: s.withType(rt, s.delete),
			})
		}
		notFound := s.authed(func(w http.ResponseWriter, r *http.Request) {
			writeError(w, schema.StatusError(http.StatusNotFound, "no SCIM endpoint at %s", r.URL.Path))
		})
		s.register(p, "", notFound) // else ServeMux redirects the base URL to p+"/"
		s.register(p, "/", notFound)
	}
	// OAuth2 client credentials, for tenants whose provider has clients.
	s.mux.HandleFunc("/connect/token", s.token)
	s.mux.HandleFunc("/t/{tenant}/connect/token", s.token)
	s.providerRoutes()
	s.mux.HandleFunc("/", noEndpoint)
	return nil
}

// noEndpoint answers a path outside every SCIM base URL.
func noEndpoint(w http.ResponseWriter, r *http.Request) {
	writeError(w, schema.StatusError(http.StatusNotFound,
		"no SCIM endpoint at %s; the base URL is /scim/v2 or /t/{tenant}/scim/v2", r.URL.Path))
}

// register mounts h at prefix+pattern. Under a provider's base path it
// answers only for tenants whose provider has that base, and tells base()
// which one the request came in at; for every other tenant the path is
// outside the SCIM API, exactly as without it.
func (s *Server) register(prefix, pattern string, h http.HandlerFunc) {
	b := strings.TrimPrefix(prefix, tenantRoot)
	if b == strictBase {
		s.mux.Handle(prefix+pattern, h)
		return
	}
	s.mux.HandleFunc(prefix+pattern, func(w http.ResponseWriter, r *http.Request) {
		if !s.provider(r).ServesBase(b) {
			noEndpoint(w, r)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), baseKey{}, b)))
	})
}

// strictBase is the SCIM base path of every tenant, below its root: "" for
// the default tenant, tenantRoot for the others.
const (
	strictBase   = "/scim/v2"
	tenantRoot   = "/t/{tenant}"
	tenantPrefix = "/t/" // tenantRoot as a path prefix
)

// baseKey is the context key of the base path a request came in at, when
// it is not strictBase.
type baseKey struct{}

// methods maps an HTTP method to its handler; "*" takes every method.
type methods map[string]http.HandlerFunc

// handle registers the endpoint (a pattern below the base URL, as providers
// name it) under prefix. A tenant's provider may withhold the endpoint (404)
// or some of its methods (405), before the strict dispatch below.
func (s *Server) handle(prefix, endpoint string, m methods) {
	s.register(prefix, endpoint, s.authed(func(w http.ResponseWriter, r *http.Request) {
		if pr := s.provider(r); pr != nil {
			allowed, known := pr.Allows(endpoint, r.Method)
			if !known {
				writeError(w, schema.StatusError(http.StatusNotFound, "no SCIM endpoint at %s", r.URL.Path))
				return
			}
			if !allowed {
				w.Header().Set("Allow", pr.Allow(endpoint))
				writeError(w, schema.StatusError(http.StatusMethodNotAllowed, "%s is not allowed on %s", r.Method, r.URL.Path))
				return
			}
		}
		h, ok := m[r.Method]
		if !ok && r.Method == http.MethodHead {
			// RFC 9110 §9.1: a server supports HEAD wherever it supports
			// GET; net/http drops the body.
			h, ok = m[http.MethodGet]
		}
		if !ok {
			h, ok = m["*"]
		}
		if !ok {
			var allow []string
			for k := range m {
				allow = append(allow, k)
				if k == http.MethodGet {
					allow = append(allow, http.MethodHead)
				}
			}
			slices.Sort(allow)
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, schema.StatusError(http.StatusMethodNotAllowed, "%s is not allowed on %s", r.Method, r.URL.Path))
			return
		}
		h(w, r)
	}))
}

// authed checks the bearer token against the tenant named in the path, so a
// token of one tenant never opens another's data (401 either way: no hint
// whether the tenant exists).
func (s *Server) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t := tenantOf(r)
		p, err := s.authenticate(t, bearer(r))
		note := wire.AuthenticationFrom(r.Context())
		switch {
		case err == nil, err == provider.ErrExpired: // an expired token is still this tenant's client
			note.Set(t)
		default:
			note.Clear()
		}
		if err != nil {
			writeError(w, err)
			return
		}
		if pr := s.providerOf(t); pr != nil {
			if pr.Authorize != nil {
				if err := pr.Authorize(p); err != nil {
					writeError(w, err)
					return
				}
			}
			if err := s.seed(r.Context(), t, pr); err != nil {
				writeError(w, err)
				return
			}
		}
		if !acceptable(r) {
			writeError(w, schema.StatusError(http.StatusNotAcceptable, "this server answers application/scim+json; Accept was %q", r.Header.Get("Accept")))
			return
		}
		next(w, r)
	}
}

// provider is the provider of the request's tenant; nil is strict.
func (s *Server) provider(r *http.Request) *provider.Provider {
	return s.providers.Load().Of(tenantOf(r))
}

// providerOf is the provider of tenant; nil is strict.
func (s *Server) providerOf(tenant string) *provider.Provider {
	return s.providers.Load().Of(tenant)
}

// registry is the schema registry of tenant: its provider's, else the
// server's.
func (s *Server) registry(tenant string) *schema.Registry {
	if pr := s.providerOf(tenant); pr != nil && pr.Registry != nil {
		return pr.Registry
	}
	return s.cfg.Registry
}

func tenantOf(r *http.Request) string {
	if t := r.PathValue("tenant"); t != "" {
		return t
	}
	return DefaultTenant
}

// ServeHTTP serves one request. A panic becomes a 500 with the SCIM error
// body and a log line, never a dropped connection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	// ServeMux answers an unclean path ("//Users", "/./Users") with a
	// redirect whose body is HTML, and a client that follows it turns a
	// POST into a GET; a base URL configured with a trailing slash makes
	// such paths common. They are served as their clean form instead.
	if p := cleanPath(r.URL.Path); p != r.URL.Path {
		r2, u := *r, *r.URL
		u.Path = p
		if u.RawPath != "" {
			u.RawPath = cleanPath(u.RawPath)
		}
		r2.URL = &u
		r = &r2
	}
	if d := s.cfg.RequestTimeout; d > 0 {
		ctx, release := withDeadline(r.Context(), start.Add(d))
		defer release()
		r = r.WithContext(ctx)
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			if !rec.wrote {
				writeError(rec, fmt.Errorf("panic: %v", p))
			}
		}
		level := slog.LevelInfo
		if rec.cause != nil {
			level = slog.LevelError
		}
		// With request lines off (serve --log-level warn, as under load)
		// the line is not even put together (its attributes and context
		// cost every request an allocation).
		if !s.log.Enabled(r.Context(), level) {
			return
		}
		// The query string is not logged: clients have been seen putting
		// tokens in it. The Authorization header never is.
		attrs := []slog.Attr{slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.String("tenant", tenantOf(r)),
			slog.Int("status", rec.status), slog.Int64("duration_ms", time.Since(start).Milliseconds())}
		if rec.cause != nil {
			// What made the answer a 5xx (a store's error: SQLSTATE and
			// message, never a URL or a password; pgx leaves those out).
			attrs = append(attrs, slog.String("error", rec.cause.Error()))
		}
		s.log.LogAttrs(context.WithoutCancel(r.Context()), level, "request", attrs...)
	}()
	// Who sent it, before anything spends or records on a tenant's behalf:
	// a path naming a tenant proves nothing. The recorder (package
	// certify/record) keeps only exchanges noted here; authed refines the
	// note once routing has named the tenant.
	if note := wire.AuthenticationFrom(r.Context()); note != nil || s.limiter != nil {
		tenant, authenticated := s.identify(r)
		if authenticated {
			note.Set(tenant)
		}
		if s.limiter != nil && s.limiter.limit(rec, r, tenant, authenticated) {
			return
		}
	}
	s.mux.ServeHTTP(rec, r)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
	cause  error // the error behind a 5xx answer, for the log
}

// Unwrap lets http.ResponseController and noteCause reach the writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// noteCause keeps err as the cause of the request's 5xx answer, for
// ServeHTTP's log line, on the statusRecorder w is or wraps.
func noteCause(w http.ResponseWriter, err error) {
	for {
		if rec, ok := w.(*statusRecorder); ok {
			if rec.cause == nil {
				rec.cause = err
			}
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// cleanPath is path.Clean for a URL path: absolute, no empty or dot
// segments, no trailing slash ("/Users/" names /Users).
func cleanPath(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return path.Clean(p) // no allocation when p is clean already
}
