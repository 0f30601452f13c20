// Package server is the HTTP side of the reference SCIM 2.0 server: routing,
// tenants and bearer-token auth, content negotiation, and the RFC 7644
// operations (CRUD, PATCH, list and search with filter, sort and paging,
// ETags, Bulk, discovery). It holds no SCIM semantics of its own: documents
// are checked and shaped by package schema, filters by package filter, PATCH
// by package patch, and kept by a [store.Store].
//
// One request: recover → log → auth (token hash → tenant) → route → decode
// (size limit, UTF-8, one JSON object) → normalise → operation → store →
// project (attributes, excludedAttributes, returned) → encode with meta and
// ETag. Any error anywhere becomes one *schema.Error and one writer turns it
// into the RFC 7644 §3.12 body.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scimharness/scimharness/server/profile"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
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
	// Profiles returns the service-provider profile of a tenant (package
	// profile), or nil for the strict RFC behaviour. Nil: every tenant is
	// strict, at the cost of one nil check per step.
	Profiles func(tenant string) *profile.Profile
	// Now is the clock of issued access tokens' expiry. Default time.Now.
	Now func() time.Time
	// RateLimit caps each tenant's requests (429 with Retry-After above
	// it). The zero value is no limit.
	RateLimit RateLimit
	// RequestTimeout bounds the time one request may take: past it the
	// store gives up and the answer is 503 with Retry-After, where a
	// frozen database made requests wait 20–35 s. Default
	// DefaultRequestTimeout; negative is no deadline.
	RequestTimeout time.Duration
}

// DefaultRequestTimeout is Config.RequestTimeout's default.
const DefaultRequestTimeout = 15 * time.Second

// Server is the reference SCIM server; it is an http.Handler.
type Server struct {
	cfg    Config
	mux    *http.ServeMux
	log    *slog.Logger
	issued issuedTokens // access tokens of the tenants' token endpoints
	groups sync.Map     // tenant → true once its profile's groups exist
	// groupsMu serialises the creation of profiles' groups.
	groupsMu sync.Mutex
	limiter  *rateLimiter // nil: no rate limit
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
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), log: cfg.Logger, limiter: newRateLimiter(cfg.RateLimit, nil)}
	s.routes()
	return s, nil
}

// routes registers every endpoint twice: under the default tenant's
// /scim/v2 and under /t/{tenant}/scim/v2 — and twice more under /scim and
// /t/{tenant}/scim, which answer only for tenants whose profile has
// ShortBase (Board's /scim/Users). Methods are dispatched in the
// handlers (not in the patterns) so that a wrong method gets a SCIM 405 body
// rather than ServeMux's plain-text one.
func (s *Server) routes() {
	for _, p := range []string{"/scim/v2", "/t/{tenant}/scim/v2", "/scim", "/t/{tenant}/scim"} {
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
	// OAuth2 client credentials, for tenants whose profile has clients.
	s.mux.HandleFunc("/connect/token", s.token)
	s.mux.HandleFunc("/t/{tenant}/connect/token", s.token)
	// Huddle's company-scoped Users endpoint (profile.CompanyPath).
	s.mux.HandleFunc("/people/companies/{company}/users", s.huddle)
	s.mux.HandleFunc("/people/companies/{company}/users/{id}", s.huddle)
	s.mux.HandleFunc("/", noEndpoint)
}

// noEndpoint answers a path outside every SCIM base URL.
func noEndpoint(w http.ResponseWriter, r *http.Request) {
	writeError(w, schema.StatusError(http.StatusNotFound,
		"no SCIM endpoint at %s; the base URL is /scim/v2 or /t/{tenant}/scim/v2", r.URL.Path))
}

// register mounts h at prefix+pattern. Under a short base (no /v2) it
// answers only for tenants whose profile has ShortBase; for every other
// tenant the path is outside the SCIM API, exactly as without it.
func (s *Server) register(prefix, pattern string, h http.HandlerFunc) {
	if !isShortBase(prefix) {
		s.mux.Handle(prefix+pattern, h)
		return
	}
	s.mux.HandleFunc(prefix+pattern, func(w http.ResponseWriter, r *http.Request) {
		if pr := s.profile(r); pr == nil || !pr.ShortBase {
			noEndpoint(w, r)
			return
		}
		h(w, r)
	})
}

func isShortBase(prefix string) bool { return !strings.HasSuffix(prefix, "/v2") }

// methods maps an HTTP method to its handler; "*" takes every method.
type methods map[string]http.HandlerFunc

// handle registers the endpoint (a pattern below the base URL, as profiles
// name it) under prefix. A tenant's profile may withhold the endpoint (404)
// or some of its methods (405), before the strict dispatch below.
func (s *Server) handle(prefix, endpoint string, m methods) {
	s.register(prefix, endpoint, s.authed(func(w http.ResponseWriter, r *http.Request) {
		if pr := s.profile(r); pr != nil {
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
		if err != nil {
			writeError(w, err)
			return
		}
		if pr := s.profileOf(t); pr != nil {
			if pr.Authorize != nil {
				if err := pr.Authorize(p); err != nil {
					writeError(w, err)
					return
				}
			}
			if err := s.ensureGroups(r.Context(), t, pr); err != nil {
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

// profile is the profile of the request's tenant; nil is strict.
func (s *Server) profile(r *http.Request) *profile.Profile {
	if s.cfg.Profiles == nil {
		return nil
	}
	return s.cfg.Profiles(tenantOf(r))
}

// profileOf is the profile of tenant; nil is strict.
func (s *Server) profileOf(tenant string) *profile.Profile {
	if s.cfg.Profiles == nil {
		return nil
	}
	return s.cfg.Profiles(tenant)
}

// registry is the schema registry of tenant: its profile's, else the
// server's.
func (s *Server) registry(tenant string) *schema.Registry {
	if pr := s.profileOf(tenant); pr != nil && pr.Registry != nil {
		return pr.Registry
	}
	return s.cfg.Registry
}

func tenantOf(r *http.Request) string {
	if t := r.PathValue("tenant"); t != "" {
		return t
	}
	if c := r.PathValue("company"); c != "" { // Huddle: the company is the tenant
		return c
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
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
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
		// The query string is not logged: clients have been seen putting
		// tokens in it. The Authorization header never is.
		attrs := []slog.Attr{slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.String("tenant", tenantOf(r)),
			slog.Int("status", rec.status), slog.Int64("duration_ms", time.Since(start).Milliseconds())}
		level := slog.LevelInfo
		if rec.cause != nil {
			// What made the answer a 5xx (a store's error: SQLSTATE and
			// message, never a URL or a password; pgx leaves those out).
			level = slog.LevelError
			attrs = append(attrs, slog.String("error", rec.cause.Error()))
		}
		s.log.LogAttrs(context.WithoutCancel(r.Context()), level, "request", attrs...)
	}()
	if s.limiter != nil && s.limiter.limit(rec, r) {
		return
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
