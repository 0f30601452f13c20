package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/scimharness/scimharness/certify/inspect"
	"github.com/scimharness/scimharness/certify/record"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/broken"
	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/provider/builtin"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/server/store/memory"
	"github.com/scimharness/scimharness/server/store/postgres"
)

const serveHelp = `Usage: scimharness serve [flags]

Runs the reference SCIM 2.0 server. The default tenant is served at
http://ADDR/scim/v2 with the bearer token of --token (or SCIM_TOKEN); more
tenants, each at /t/{tenant}/scim/v2, come from --config. Its tokens and
the tenants' profiles and their settings are re-read when the file changes
(scimharness token create/revoke), without a restart, for the requests after
the change; a file that does not load is refused and logged, and so is a
profile whose own routes or base paths (huddle's, board's) the server was not
started with: that one needs a restart.

Providers: every tenant behaves as a strict RFC 7643/7644 server unless it has
a service-provider profile (--profile for all tenants, or "profile:" per tenant
in --config): humbol, holaspirit, huddle and board reproduce those services'
documented behaviour — endpoints, methods, required attributes, filters,
error bodies, OAuth2 client credentials (/t/{tenant}/connect/token).

Storage: by default resources are kept IN MEMORY and are LOST when the server stops.
The memory store is ephemeral by design: the server is a reference and a test
target, not a system of record. With --database-url (or SCIM_DATABASE_URL)
they are kept in PostgreSQL instead (12 or later, UTF8 database) and survive
restarts; the server creates or migrates its tables (schema "scim") when it
starts, and exits 1 if the database cannot be reached.

OAuth2 access tokens (the token endpoints of Huddle and Board tenants) are
signed, not stored: replicas that share SCIM_TOKEN_KEY (at least 32 bytes,
from the environment so that it is not in ps output) and the --config accept
each other's tokens. Without it each process signs with a random key, and its
tokens end with it.

Flags:
`

// serveConfig is what the serve flags say.
type serveConfig struct {
	addr           string
	token          string
	configFile     string
	maxResults     int
	maxBodyBytes   int64
	patchNoContent bool
	logFormat      string
	logLevel       string
	tlsCert        string
	tlsKey         string
	insecureListen bool
	bug            string // --bug: a deliberate defect from package broken
	databaseURL    string
	profile        string  // --profile: service-provider profile of every tenant without its own
	recordDir      string  // --record: write every exchange, redacted, as JSON lines into this directory
	rateLimit      float64 // --rate-limit: requests per second per tenant; 0 is none
	rateBurst      int     // --rate-limit-burst
	inspect        bool    // --inspect: the live inspector at /_harness/
	tolerate       string  // --tolerate: idp (default) or none
	publicBaseURL  string  // --public-base-url: the URL meta.location is built on
}

func serveFlags(stderr io.Writer, getenv func(string) string) (*flag.FlagSet, *serveConfig) {
	c := &serveConfig{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	setUsage(fs, serveHelp, nil)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address")
	// The environment is read after parsing, not as the flag's default, so
	// that -h never prints the token.
	fs.StringVar(&c.token, "token", "", "bearer token of the default tenant (default $SCIM_TOKEN)")
	fs.StringVar(&c.configFile, "config", "", "YAML or JSON file with tenants and their tokens")
	fs.IntVar(&c.maxResults, "max-results", 1000, "largest page a list returns")
	fs.Int64Var(&c.maxBodyBytes, "max-body-bytes", 1<<20, "largest request body accepted (413 above)")
	fs.BoolVar(&c.patchNoContent, "patch-no-content", false, "answer PATCH with 204 instead of 200 and the resource")
	fs.StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "TLS certificate file (serve HTTPS)")
	fs.StringVar(&c.tlsKey, "tls-key", "", "TLS key file")
	fs.BoolVar(&c.insecureListen, "insecure-listen", false, "allow plain HTTP on a non-loopback address")
	fs.StringVar(&c.bug, "bug", "", "for testing the harness: serve the reference server with a deliberate bug (see scimharness simulate --list-bugs); list: print each bug with the checks that must see it, and exit")
	// No default from the environment here: -h prints defaults, and the URL
	// may hold a password. serve reads SCIM_DATABASE_URL after parsing.
	fs.StringVar(&c.profile, "profile", "strict", "service-provider profile of tenants without a profile: key in --config: "+strings.Join(builtin.Names(), ", "))
	fs.StringVar(&c.databaseURL, "database-url", "", "PostgreSQL URL to keep resources in, e.g. postgres://user:pass@host:5432/db (default $SCIM_DATABASE_URL; in memory if neither)")
	fs.StringVar(&c.recordDir, "record", "", "record every exchange the server authenticated (redacted: no tokens, cookies or passwords; bodies up to --max-body-bytes) as JSON lines in this directory, one file per tenant per run, for scimharness certify and replay; requests without a valid token are counted, and the first of them (up to 4 MiB) kept apart in one file, anonymous/{run}.jsonl, which certify and replay do not read")
	fs.Float64Var(&c.rateLimit, "rate-limit", 0, "requests per second each tenant may make; above it the server answers 429 with Retry-After (0: no limit)")
	fs.IntVar(&c.rateBurst, "rate-limit-burst", 0, "requests a tenant may make at once under --rate-limit (default: the rate, rounded up)")
	fs.BoolVar(&c.inspect, "inspect", false, "serve a live inspector at /_harness/ on the same listener: each tenant's requests as they arrive, graded by the certify rules, shown to whoever has that tenant's token (off by default, also with --record)")
	fs.StringVar(&c.tolerate, "tolerate", "idp", "type mismatches in request bodies: idp tolerates those real IdPs send (a lone value for a list, \"True\" for true, a manager id as a string) and a number for a string, each logged by name; none answers every one with 400 invalidValue (RFC 7643 §2.3)")
	fs.StringVar(&c.publicBaseURL, "public-base-url", "", "URL clients reach the server at, e.g. https://scim.example.com; meta.location and Location are built on it (default: the request's Host header)")
	return fs, c
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs, c := serveFlags(stderr, getenv)
	if code, ok := parseFlags(fs, "serve", args, stdout, stderr); !ok {
		return code
	}
	if c.token == "" {
		c.token = getenv("SCIM_TOKEN")
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "scimharness serve: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if c.rateLimit < 0 || c.rateBurst < 0 || math.IsNaN(c.rateLimit) || math.IsInf(c.rateLimit, 0) {
		fmt.Fprintf(stderr, "scimharness serve: --rate-limit and --rate-limit-burst must be finite and not negative\n")
		return exitUsage
	}
	if c.bug == "list" {
		// The catalog for ci/conform-process.sh: every bug, with the
		// checks that must fail or warn against it.
		for _, b := range broken.All() {
			fmt.Fprintf(stdout, "%s\tfails=%s\twarns=%s\n", b.Name, strings.Join(b.Fails, ","), strings.Join(b.Warns, ","))
		}
		return exitOK
	}
	if _, err := schema.ParseTolerate(c.tolerate); err != nil {
		fmt.Fprintf(stderr, "scimharness serve: --tolerate: %v\n", err)
		return exitUsage
	}
	wrap, err := bugWrapper(c.bug)
	if err != nil {
		fmt.Fprintf(stderr, "scimharness serve: %v\n", err)
		return exitUsage
	}
	logger, err := newLogger(stderr, c.logFormat, c.logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "scimharness serve: %v\n", err)
		return exitUsage
	}
	tenants, err := loadTenants(c.token, c.configFile)
	if err != nil {
		fmt.Fprintf(stderr, "scimharness serve: %v\n", err)
		return exitUsage
	}
	profiles, err := loadProfiles(c.profile, c.configFile)
	if err != nil {
		fmt.Fprintf(stderr, "scimharness serve: %v\n", err)
		return exitUsage
	}
	if err := checkListen(c); err != nil {
		fmt.Fprintf(stderr, "scimharness serve: %v\n", err)
		return exitUsage
	}
	tokenKey := getenv("SCIM_TOKEN_KEY")
	if tokenKey != "" && len(tokenKey) < 32 {
		fmt.Fprintf(stderr, "scimharness serve: SCIM_TOKEN_KEY has %d bytes; give at least 32 random ones\n", len(tokenKey))
		return exitUsage
	}
	if c.databaseURL == "" {
		c.databaseURL = getenv("SCIM_DATABASE_URL")
	}
	var st store.Store = memory.New()
	if c.databaseURL != "" {
		octx, cancel := context.WithTimeout(ctx, 30*time.Second)
		pg, err := postgres.Open(octx, c.databaseURL)
		cancel()
		if errors.Is(err, postgres.ErrInvalidURL) {
			fmt.Fprintf(stderr, "scimharness serve: --database-url: %v\n", err)
			return exitUsage
		}
		if err != nil {
			fmt.Fprintf(stderr, "scimharness serve: %v\n", err)
			return exitFail
		}
		defer pg.Close()
		st = pg
	}
	// The recorder (or, for --inspect alone, the observer) exists before
	// the server, which tells it every access token it issues.
	var insp *inspect.Inspector
	var rec *record.Recorder
	ro := record.Options{Secrets: literalSecrets(c.token, c.configFile), MaxBody: int(min(c.maxBodyBytes, math.MaxInt32)), Logger: logger}
	if c.inspect {
		insp = inspect.New(inspect.Options{Authorize: tenants.Allowed})
		ro.Observe = insp.Observe
	}
	switch {
	case c.recordDir != "":
		if rec, err = record.New(c.recordDir, ro); err != nil {
			fmt.Fprintf(stderr, "scimharness serve: --record: %v\n", err)
			return exitFail
		}
		defer func() {
			if err := rec.Close(); err != nil {
				logger.Error("recording", "err", err)
			}
			logger.Info("recording closed", "dir", c.recordDir, "without_valid_token", rec.Anonymous(), "without_valid_token_kept", rec.AnonymousKept(), "dropped", rec.Dropped())
		}()
		logger.Info("recording exchanges", "dir", c.recordDir)
	case insp != nil:
		if rec, err = record.NewObserver(ro); err != nil {
			fmt.Fprintf(stderr, "scimharness serve: --inspect: %v\n", err)
			return exitFail
		}
	}
	var issued func(string)
	if rec != nil {
		issued = rec.AddSecret
	}
	srv, err := server.New(server.Config{
		Store:          st,
		Tenants:        tenants,
		Logger:         logger,
		MaxResults:     c.maxResults,
		MaxBodyBytes:   c.maxBodyBytes,
		PatchNoContent: c.patchNoContent,
		Providers:      profiles,
		RateLimit:      server.RateLimit{PerSecond: c.rateLimit, Burst: c.rateBurst},
		Issued:         issued,
		TokenKey:       []byte(tokenKey),
		Tolerate:       schema.Tolerate(c.tolerate),
		PublicBaseURL:  c.publicBaseURL,
	})
	if err != nil {
		fmt.Fprintf(stderr, "scimharness serve: %v\n", err)
		return exitFail
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		fmt.Fprintf(stderr, "scimharness serve: %v\n", err)
		return exitFail
	}
	logTenants(logger, c, profiles)
	if c.configFile != "" {
		go watchConfig(ctx, configWatch{token: c.token, profile: c.profile, path: c.configFile,
			tenants: tenants, setProviders: srv.SetProviders, addSecret: issued, logger: logger})
	}
	if c.bug != "" {
		logger.Warn("serving with a deliberate bug, for testing the harness", "bug", c.bug)
	}
	h := wrap(srv)
	if rec != nil {
		h = rec.Wrap(h)
	}
	if insp != nil {
		// Outside the recorder: the inspector's own requests (and the
		// view keys in their URLs) are neither recorded nor shown.
		h = insp.Mount(h)
		scheme := "http"
		if c.tlsCert != "" {
			scheme = "https"
		}
		logger.Info("live inspector", "url", scheme+"://"+ln.Addr().String()+inspect.Prefix)
	}
	return runHTTP(ctx, ln, h, c, logger)
}

// literalSecrets are the tokens serve knows in plain text, --token and every
// tenant's "tokens:" in --config, for the recorder to redact as literals
// wherever a client puts them. Tokens given only as hashes (token_sha256)
// are learnt by the recorder from the first request they authenticate.
// loadTenants has read the file already, so an error here cannot happen.
func literalSecrets(token, configFile string) []string {
	out := []string{token}
	if configFile == "" {
		return out
	}
	fc, err := readFileConfig(configFile)
	if err != nil {
		return out
	}
	for _, tc := range fc.Tenants {
		out = append(out, tc.Tokens...)
	}
	return out
}

// logTenants logs each tenant the server serves, its base path and its
// service-provider profile — never a token or its hash.
func logTenants(logger *slog.Logger, c *serveConfig, providers *provider.Map) {
	var ids []string
	if c.token != "" {
		ids = append(ids, server.DefaultTenant)
	}
	if c.configFile != "" {
		fc, _ := readFileConfig(c.configFile) // read (and checked) before
		for _, tc := range fc.Tenants {
			if !slices.Contains(ids, tc.ID) {
				ids = append(ids, tc.ID)
			}
		}
	}
	for _, id := range ids {
		name := "strict"
		var routes []string
		if p := providers.Of(id); p != nil {
			name = p.Name
			// A provider's own endpoints (Huddle's company Users) sit at
			// the root, not under the base.
			for _, rt := range p.Routes {
				if !strings.Contains(rt.Pattern, "{id}") {
					routes = append(routes, strings.ReplaceAll(rt.Pattern, "{tenant}", id))
				}
			}
		}
		base := "/t/" + id + "/scim/v2"
		if id == server.DefaultTenant {
			base = "/scim/v2"
		}
		if len(routes) > 0 {
			logger.Info("tenant", "id", id, "base", base, "users", strings.Join(routes, " "), "profile", name)
			continue
		}
		logger.Info("tenant", "id", id, "base", base, "profile", name)
	}
}

// runHTTP serves until ctx ends (SIGINT/SIGTERM), then drains requests in
// flight for up to 10 seconds.
func runHTTP(ctx context.Context, ln net.Listener, h http.Handler, c *serveConfig, logger *slog.Logger) int {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if c.tlsCert != "" {
		scheme = "https"
	}
	storeKind := "memory (ephemeral)"
	if c.databaseURL != "" {
		storeKind = "postgres"
	}
	logger.Info("serving", "url", scheme+"://"+ln.Addr().String()+"/scim/v2", "store", storeKind)
	errc := make(chan error, 1)
	go func() {
		if c.tlsCert != "" {
			errc <- hs.ServeTLS(ln, c.tlsCert, c.tlsKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		logger.Error("server stopped", "err", err)
		return exitFail
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		logger.Error("shutdown", "err", err)
		return exitFail
	}
	return exitOK
}

// checkListen refuses plain HTTP on an address other hosts can reach: a
// bearer token sent in clear text to a non-loopback address can be read on
// the way.
func checkListen(c *serveConfig) error {
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if c.tlsCert != "" || c.insecureListen {
		return nil
	}
	host, _, err := net.SplitHostPort(c.addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %v", c.addr, err)
	}
	if target.IsLoopback(host) {
		return nil
	}
	return fmt.Errorf("--addr %q is not a loopback address: serve TLS (--tls-cert, --tls-key) or pass --insecure-listen", c.addr)
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", format)
}

// bugWrapper returns the middleware of the deliberate bug called name
// (package broken), or the identity for "". The harness is tested by
// running it against such servers: a check must fail against them.
func bugWrapper(name string) (func(http.Handler) http.Handler, error) {
	if name == "" {
		return func(h http.Handler) http.Handler { return h }, nil
	}
	b, ok := broken.ByName(name)
	if !ok {
		return nil, fmt.Errorf("--bug %q: unknown; the bugs are %s", name, strings.Join(broken.Names(), ", "))
	}
	return b.Wrap, nil
}
