// Package target decides what the conformance checks run against — the
// reference server started in process, or any SCIM server named by
// SCIM_BASE_URL — and what that target says it supports.
//
// The same checks run in `go test` (Ginkgo, suites/...) and in
// `scimharness conform`; both build their Target here, so the safety rules
// (a run prefix on everything created, consent before writing to a server
// that is not on this machine) and the feature gating are the same in both.
package target

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/server/servertest"
	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/server/store/memory"
	"github.com/scimharness/scimharness/server/store/postgres"
	"github.com/scimharness/scimharness/server/store/postgres/ephemeral"
	"github.com/scimharness/scimharness/wire"
)

// Features a check may need. The first six are the capabilities of
// /ServiceProviderConfig (RFC 7643 §5); Groups is read from /ResourceTypes.
const (
	Patch          = "patch"
	Bulk           = "bulk"
	Filter         = "filter"
	Sort           = "sort"
	ETag           = "etag"
	ChangePassword = "changePassword"
	Groups         = "groups"
)

// Known lists every feature name, for validating overrides.
var Known = []string{Patch, Bulk, Filter, Sort, ETag, ChangePassword, Groups}

// Features is the set of features a target supports.
type Features map[string]bool

// List returns the supported features, sorted.
func (f Features) List() []string {
	var out []string
	for k, ok := range f {
		if ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Target is one server under test and a client for it.
type Target struct {
	// Client sends every request of the checks.
	Client *client.Client
	// BaseURL is the SCIM base URL, without credentials.
	BaseURL string
	// Declared is what /ServiceProviderConfig and /ResourceTypes say.
	Declared Features
	// Features is Declared after the overrides: what checks are gated on.
	Features Features
	// Prefix marks everything the checks create (see scenario.Options).
	Prefix string
	// InProcess is set when the target is the reference server started
	// by this package; Store then names its store ("memory", "postgres").
	InProcess bool
	Store     string
	// Retries says the retry policy of Client (Config.RetryNote), for
	// reports: a verdict on a server that answered 429 depends on it.
	Retries string

	clientCfg client.Config
	closers   []func()
}

// ClientConfig is the configuration of Client (credentials included), for
// building a client dressed as an IdP's (entra.ClientConfig and friends).
func (t *Target) ClientConfig() client.Config { return t.clientCfg }

// Supports reports whether the target supports feature.
func (t *Target) Supports(feature string) bool { return t.Features[feature] }

// Missing returns the features of need the target does not support.
func (t *Target) Missing(need []string) []string {
	var out []string
	for _, f := range need {
		if !t.Supports(f) {
			out = append(out, f)
		}
	}
	return out
}

// Close stops what the target started (the in-process server, its store).
func (t *Target) Close() {
	for i := len(t.closers) - 1; i >= 0; i-- {
		t.closers[i]()
	}
	t.closers = nil
}

// Config describes a target.
type Config struct {
	// BaseURL empty: start the reference server in process.
	BaseURL string
	Token   string
	OAuth2  *client.OAuth2
	// Yes consents to writing to a BaseURL that is not loopback.
	Yes bool
	// Store is the in-process store: "memory" (default) or "postgres".
	// RequirePostgres makes a missing PostgreSQL an error instead of a
	// fall-back to memory.
	Store           string
	RequirePostgres bool
	// DatabaseURL, with Store "postgres", is the PostgreSQL database the
	// in-process server keeps its resources in; empty starts a throwaway
	// one (package ephemeral: Docker or a local PostgreSQL).
	DatabaseURL string
	// Features are forced on and SkipFeatures forced off, whatever the
	// target declares: a server whose /ServiceProviderConfig is wrong can
	// still be tested for what it really does.
	Features, SkipFeatures []string
	// Prefix of created resources; default scenario.NewPrefix().
	Prefix  string
	Timeout time.Duration
	// Retries is how often a 429 is retried (after its Retry-After); 0
	// judges the first answer.
	Retries int
	// Transport, if set, is the client's HTTP transport.
	Transport http.RoundTripper

	from source // where the Config came from, for the consent message
}

// source is where a Config came from.
type source int

const (
	fromCode source = iota
	fromEnv
	fromFlags
)

// Environment variables read by FromEnv.
const (
	EnvBaseURL      = "SCIM_BASE_URL"
	EnvToken        = "SCIM_TOKEN"
	EnvTokenURL     = "SCIM_OAUTH2_TOKEN_URL"
	EnvClientID     = "SCIM_OAUTH2_CLIENT_ID"
	EnvClientSecret = "SCIM_OAUTH2_CLIENT_SECRET"
	EnvScope        = "SCIM_OAUTH2_SCOPE"
	EnvYes          = "SCIM_YES"
	EnvFeatures     = "SCIM_FEATURES"
	EnvSkipFeatures = "SCIM_SKIP_FEATURES"
	EnvStore        = "SCIM_SUITES_STORE"
	EnvRequirePG    = "SCIM_REQUIRE_POSTGRES"
	EnvPrefix       = "SCIM_PREFIX"
)

// EnvHelp describes the environment a suite run reads, for the help of the
// compiled suites (go test -c), which have flags of their own only.
const EnvHelp = `
The target, from the environment (without SCIM_BASE_URL the reference
server is started in process):
  SCIM_BASE_URL              SCIM base URL of the server under test, e.g. http://127.0.0.1:8080/scim/v2
  SCIM_TOKEN                 its bearer token
  SCIM_OAUTH2_TOKEN_URL, SCIM_OAUTH2_CLIENT_ID, SCIM_OAUTH2_CLIENT_SECRET, SCIM_OAUTH2_SCOPE
                             OAuth 2.0 client credentials instead of a token
  SCIM_YES=1                 consent to write to a server that is not on this machine
  SCIM_FEATURES, SCIM_SKIP_FEATURES
                             features to test or skip whatever /ServiceProviderConfig says (comma-separated)
  SCIM_PREFIX                prefix of everything the run creates (default random)
  SCIM_SUITES_STORE=postgres the in-process server's store (SCIM_REQUIRE_POSTGRES=1: no fall-back to memory)
Select checks with -ginkgo.label-filter (area, level, profile, feature); -ginkgo.v lists the specs
(under go test, with -v too).
`

// ConfigFromEnv reads a Config from the environment (the OCI conformance
// suite's way: the same test binary runs in any CI).
func ConfigFromEnv(getenv func(string) string) Config {
	c := Config{
		BaseURL:         getenv(EnvBaseURL),
		Token:           getenv(EnvToken),
		Yes:             getenv(EnvYes) == "1",
		Store:           getenv(EnvStore),
		RequirePostgres: getenv(EnvRequirePG) == "1",
		Features:        SplitList(getenv(EnvFeatures)),
		SkipFeatures:    SplitList(getenv(EnvSkipFeatures)),
		Prefix:          getenv(EnvPrefix),
		from:            fromEnv,
	}
	if c.RequirePostgres && c.Store == "" {
		c.Store = "postgres"
	}
	if u := getenv(EnvTokenURL); u != "" {
		c.OAuth2 = &client.OAuth2{TokenURL: u, ClientID: getenv(EnvClientID), ClientSecret: getenv(EnvClientSecret), Scope: getenv(EnvScope)}
		c.Token = ""
	}
	return c
}

// SplitList splits a comma- or space-separated list.
func SplitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// ErrConsent is returned for a non-loopback BaseURL without Config.Yes.
var ErrConsent = errors.New("target: consent needed")

// Open returns the target cfg describes, its features read from the target.
func Open(ctx context.Context, cfg Config) (*Target, error) {
	for _, f := range append(slices.Clone(cfg.Features), cfg.SkipFeatures...) {
		if !slices.Contains(Known, f) {
			return nil, fmt.Errorf("target: unknown feature %q (known: %s)", f, strings.Join(Known, ", "))
		}
	}
	if cfg.Prefix == "" {
		cfg.Prefix = scenario.NewPrefix()
	}
	t := &Target{Prefix: cfg.Prefix}
	var (
		cl  *client.Client
		spc *wire.Exchange
		err error
	)
	if cfg.BaseURL == "" {
		var base, token string
		if base, token, err = t.startReference(ctx, cfg); err != nil {
			t.Close()
			return nil, err
		}
		cfg.BaseURL, cfg.Token, cfg.OAuth2, cfg.Yes = base, token, nil, true
		if cl, err = client.New(cfg.ClientConfig()); err == nil {
			spc, err = Probe(ctx, cl)
		}
	} else {
		cl, spc, err = Connect(ctx, cfg)
	}
	if err != nil {
		t.Close()
		return nil, err
	}
	t.Client, t.BaseURL, t.clientCfg = cl, SafeURL(cfg.BaseURL), cfg.ClientConfig()
	t.Retries = cfg.RetryNote()
	t.Declared = discover(ctx, cl, spc)
	t.Features = Features{}
	for k, v := range t.Declared {
		t.Features[k] = v
	}
	for _, f := range cfg.Features {
		t.Features[f] = true
	}
	for _, f := range cfg.SkipFeatures {
		t.Features[f] = false
	}
	return t, nil
}

// startReference starts the reference server (strict RFC profile) on a
// loopback listener and returns its base URL and token.
func (t *Target) startReference(ctx context.Context, cfg Config) (base, token string, err error) {
	var st store.Store = memory.New()
	t.Store = "memory"
	if cfg.Store == "postgres" && cfg.DatabaseURL != "" {
		pg, err := postgres.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return "", "", fmt.Errorf("target: postgres store: %w", err)
		}
		t.closers = append(t.closers, pg.Close)
		st, t.Store = pg, "postgres"
	} else if cfg.Store == "postgres" {
		dbURL, _, stop, err := ephemeral.Start(ctx)
		switch {
		case err == nil:
			t.closers = append(t.closers, stop)
			pg, err := postgres.Open(ctx, dbURL)
			if err != nil {
				return "", "", err
			}
			t.closers = append(t.closers, pg.Close)
			st, t.Store = pg, "postgres"
		case cfg.RequirePostgres || !errors.Is(err, ephemeral.ErrNoPostgres):
			return "", "", fmt.Errorf("target: postgres store: %w", err)
		}
	} else if cfg.Store != "" && cfg.Store != "memory" {
		return "", "", fmt.Errorf("target: unknown store %q: use memory or postgres", cfg.Store)
	}
	srv, err := servertest.NewServer(servertest.WithStore(st))
	if err != nil {
		return "", "", err
	}
	t.closers = append(t.closers, srv.Close)
	t.InProcess = true
	return srv.URL, srv.Token, nil
}

// discover reads the features from /ServiceProviderConfig and whether
// Groups exist from /ResourceTypes. An unreadable document means "nothing
// optional is supported", which skips the gated checks rather than failing
// them; the discovery checks judge the documents themselves.
func discover(ctx context.Context, cl *client.Client, ex *wire.Exchange) Features {
	f := Features{}
	if doc, err := ex.JSON(); err == nil && ex.Status() == http.StatusOK {
		for _, k := range []string{Patch, Bulk, Filter, Sort, ETag, ChangePassword} {
			if m, ok := doc[k].(map[string]any); ok {
				f[k], _ = m["supported"].(bool)
			}
		}
	}
	ex, err := cl.Do(ctx, client.Request{Method: http.MethodGet, Path: "/ResourceTypes"})
	if err == nil && ex.Status() == http.StatusOK {
		if doc, err := ex.JSON(); err == nil {
			rs, _ := doc["Resources"].([]any)
			for _, r := range rs {
				if m, ok := r.(map[string]any); ok && strings.EqualFold(fmt.Sprint(m["endpoint"]), "/Groups") {
					f[Groups] = true
				}
			}
		}
	}
	return f
}

// IsLoopback reports whether host is this machine.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SafeURL is u without a password, for messages and reports.
func SafeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		return u
	}
	return p.Redacted()
}
