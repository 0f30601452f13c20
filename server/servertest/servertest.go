// Package servertest starts the reference SCIM server in process, the way
// net/http/httptest starts a handler: on a loopback listener, with a bearer
// token of its own, a memory store unless told otherwise, and its logs
// discarded. It is the one place the in-process reference server is put
// together — for harness/target (conform with no URL), the simulators'
// tests, the deliberate bugs of server/broken and the load fixture — so
// that they all test the same server.
//
// It does not import package testing: the CLI uses it too.
package servertest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/server/store/memory"
)

// Server is one reference server, started or not.
type Server struct {
	// URL is the SCIM base URL — http://127.0.0.1:PORT/scim/v2, or
	// …/t/TENANT/scim/v2 for a tenant other than server.DefaultTenant —
	// once the server is started; empty before.
	URL string
	// Token is the bearer token the server accepts for Tenant.
	Token string
	// Tenant is the tenant Token acts for.
	Tenant string
	// BasePath is the SCIM base path below the host: /scim/v2 or
	// /t/TENANT/scim/v2. URL is the listener's address followed by it.
	BasePath string
	// Handler is what is served: Reference, wrapped by WithWrap's
	// middleware if one was given.
	Handler http.Handler
	// Reference is the reference server itself, unwrapped.
	Reference *server.Server

	ts *httptest.Server
}

// config is what the options set.
type config struct {
	store  store.Store
	token  string
	tenant string
	logger *slog.Logger
	server []func(*server.Config)
	wrap   func(http.Handler) http.Handler
}

// Option configures a Server.
type Option func(*config)

// WithStore makes the server keep its resources in st (default: a new
// memory store). The caller keeps st and closes it after the server.
func WithStore(st store.Store) Option { return func(c *config) { c.store = st } }

// WithToken sets the bearer token (default: 32 random hex digits).
func WithToken(token string) Option { return func(c *config) { c.token = token } }

// WithTenant makes the token act for tenant instead of
// server.DefaultTenant; the base path is then /t/TENANT/scim/v2.
func WithTenant(tenant string) Option { return func(c *config) { c.tenant = tenant } }

// WithLogger sets the server's logger (default: logs discarded).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithPatchNoContent makes the server answer a successful PATCH with 204
// and no body, as RFC 7644 §3.5.2 allows.
func WithPatchNoContent() Option {
	return WithConfig(func(c *server.Config) { c.PatchNoContent = true })
}

// WithConfig changes the server.Config before the server is built: its
// profiles, limits, clock or rate limit. Store, Tenants and Logger are
// set by the other options; change them here only to replace them.
func WithConfig(f func(*server.Config)) Option {
	return func(c *config) { c.server = append(c.server, f) }
}

// WithWrap serves the reference server behind mw (a deliberate bug of
// server/broken, a recorder).
func WithWrap(mw func(http.Handler) http.Handler) Option {
	return func(c *config) { c.wrap = mw }
}

// NewUnstartedServer builds the server without a listener: Handler is
// ready, URL is empty until Start. For a caller that serves Handler on a
// listener of its own.
func NewUnstartedServer(opts ...Option) (*Server, error) {
	c := config{tenant: server.DefaultTenant}
	for _, o := range opts {
		o(&c)
	}
	if c.store == nil {
		c.store = memory.New()
	}
	if c.token == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b) // never fails (crypto/rand, Go ≥ 1.24)
		c.token = hex.EncodeToString(b)
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler) // disabled: no request line is put together
	}
	tenants := server.NewTenants()
	if err := tenants.Add(c.tenant, server.HashToken(c.token)); err != nil {
		return nil, fmt.Errorf("servertest: %w", err)
	}
	cfg := server.Config{Store: c.store, Tenants: tenants, Logger: c.logger}
	for _, f := range c.server {
		f(&cfg)
	}
	ref, err := server.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("servertest: %w", err)
	}
	s := &Server{Token: c.token, Tenant: c.tenant, BasePath: "/scim/v2", Handler: ref, Reference: ref}
	if c.tenant != server.DefaultTenant {
		s.BasePath = "/t/" + c.tenant + "/scim/v2"
	}
	if c.wrap != nil {
		s.Handler = c.wrap(ref)
	}
	return s, nil
}

// NewServer builds the server and starts it on a loopback port.
func NewServer(opts ...Option) (*Server, error) {
	s, err := NewUnstartedServer(opts...)
	if err != nil {
		return nil, err
	}
	s.Start()
	return s, nil
}

// Start serves Handler on a loopback port (127.0.0.1) and sets URL.
// It panics if the server is already started, as httptest does.
func (s *Server) Start() {
	if s.ts != nil {
		panic("servertest: Server already started")
	}
	s.ts = httptest.NewServer(s.Handler)
	s.URL = s.ts.URL + s.BasePath
}

// Client is an HTTP client for the server (httptest's: its connections
// are closed by Close); nil before Start.
func (s *Server) Client() *http.Client {
	if s.ts == nil {
		return nil
	}
	return s.ts.Client()
}

// Close stops the listener and waits for the requests in flight. The
// store given by WithStore is the caller's to close. Close on an
// unstarted server does nothing.
func (s *Server) Close() {
	if s.ts != nil {
		s.ts.Close()
	}
}
