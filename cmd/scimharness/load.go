package main

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/server/store/memory"
	"github.com/scimharness/scimharness/server/store/postgres"
	"github.com/scimharness/scimharness/simulators/load"
)

const loadHelp = `Usage: scimharness load --url URL [--token TOKEN] [flags]
       scimharness load --serve-fixture users=N [--database-url URL] [flags]

Drives a provisioning mix against the SCIM server at URL — by default
Entra-like: 70% lookups by userName eq, 15% creates, 10% patches, 5% group
membership changes — from --concurrency workers, flat out or at --rate
requests per second, and reports throughput and latency percentiles (p50,
p90, p99, max). A progress line is shown when stderr is a terminal; --json
writes the result as JSON.

Before the run it creates a small working set (one user per worker, four
groups when the mix changes memberships); everything it creates carries the
run prefix (--prefix) and is deleted afterwards, also after Ctrl-C, unless
--keep. A URL that is not on this machine is refused unless --yes.

--serve-fixture users=N reproduces the issue's performance target: it starts
in this process the reference server with the memory store holding N users
(user0@example.com …, loaded through the store) and a bare net/http handler
returning a fixed one-user ListResponse, runs the same lookup-only load
(GET /Users?filter=userName eq "userK@example.com") against each, taking
turns --rounds times, and prints the server's throughput as a ratio of the
bare handler's (target: ≥ 0.5) and the requests per second driven at the
server (target: ≥ 20,000). No target counts as met when the error rate is
above --max-errors. --cpuprofile FILE profiles the process during the
comparison.

--database-url URL (with --serve-fixture) puts the reference server on the
Postgres store at URL instead of the memory store, and reproduces the
Postgres target: at least 5,000 userName eq lookups per second (the line
"postgres    N lookups/s"). What it writes there: the store's schema "scim"
if the database lacks it (its migrations, as scimharness serve applies
them), and the N users in a tenant of the run's own (scimh-load-xxxxxxxx,
addressed as /t/TENANT/scim/v2), loaded with one COPY per batch of 5,000 as
the store's Create would store them; the tenant's rows are deleted at the
end, also after Ctrl-C or a failure. Nothing else in the database is
touched. A throwaway PostgreSQL to point it at:
ci/pg-local.sh run -- scimharness load --serve-fixture users=100000 --database-url '$DATABASE_URL'

Requests go out through fasthttp by default: on a 2-core machine it drives
the server 1.4–1.5 times as fast as net/http (see simulators/load). Use
--client net/http to go through an HTTP proxy from the environment.

Exit status: 0 when the error rate is at most --max-errors, 1 above it, 2 for
bad usage or a target that cannot be reached or set up.

Flags:
`

type loadConfig struct {
	url          string
	token        string
	duration     time.Duration
	requests     int
	concurrency  int
	rate         float64
	mix          string
	lookupOnly   bool
	path         string
	jsonFile     string
	yes          bool
	keep         bool
	prefix       string
	maxErrors    float64
	engine       string
	timeout      time.Duration
	fixture      string
	cpuprofile   string
	rounds       int
	fixtureUsers int
	databaseURL  string
}

func loadFlags(stderr io.Writer) (*flag.FlagSet, *loadConfig) {
	c := &loadConfig{}
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, loadHelp)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.url, "url", "", "SCIM base URL of the server under load, e.g. http://127.0.0.1:8080/scim/v2")
	fs.StringVar(&c.token, "token", "", "bearer token (default $SCIM_TOKEN)")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "length of the measured run")
	fs.IntVar(&c.requests, "requests", 0, "stop after this many requests instead of after --duration")
	fs.IntVar(&c.concurrency, "concurrency", 32, "concurrent workers")
	fs.Float64Var(&c.rate, "rate", 0, "target requests per second (0: flat out)")
	fs.StringVar(&c.mix, "mix", load.DefaultMix.String(), "operation weights")
	fs.BoolVar(&c.lookupOnly, "lookup-only", false, "same as --mix lookup=100")
	fs.StringVar(&c.path, "path", "", "send every lookup to this path and query (relative to --url) instead of /Users?filter=userName eq …")
	fs.StringVar(&c.jsonFile, "json", "", "write the result as JSON to this file (- for stdout)")
	fs.BoolVar(&c.yes, "yes", false, "consent to load a server that is not on this machine")
	fs.BoolVar(&c.keep, "keep", false, "keep what the run created (no cleanup)")
	fs.StringVar(&c.prefix, "prefix", "", "prefix of everything the run creates (default random, scimh-xxxxxxxx)")
	fs.Float64Var(&c.maxErrors, "max-errors", 0.01, "error rate (0–1) above which the exit status is 1")
	fs.StringVar(&c.engine, "client", load.EngineFast, "how requests are sent: fasthttp, net/http (slower; honours HTTP_PROXY) or resty (the harness's client; slowest)")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "timeout of each request")
	fs.StringVar(&c.fixture, "serve-fixture", "", "users=N: measure the in-process reference server against a bare handler (see above)")
	fs.StringVar(&c.cpuprofile, "cpuprofile", "", "with --serve-fixture: write a CPU profile of the measured comparison to this file")
	fs.StringVar(&c.databaseURL, "database-url", "", "with --serve-fixture: PostgreSQL URL whose store the fixture server uses instead of the memory store (see above)")
	fs.IntVar(&c.rounds, "rounds", 4, "with --serve-fixture: alternate the two targets this many times, --duration/rounds each")
	return fs, c
}

func loadCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs, c := loadFlags(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "scimharness load: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if c.token == "" {
		c.token = getenv("SCIM_TOKEN")
	}
	mix, err := load.ParseMix(c.mix)
	switch {
	case err != nil:
		return usageErr("--%v", err)
	case c.lookupOnly && set["mix"]:
		return usageErr("--lookup-only and --mix exclude each other")
	case c.lookupOnly || c.fixture != "":
		mix = load.Mix{Lookup: 100}
	}
	if c.concurrency < 1 || c.concurrency > 10_000 {
		return usageErr("--concurrency %d: use 1 to 10000", c.concurrency)
	}
	if c.requests < 0 || c.rate < 0 || c.duration <= 0 || c.timeout <= 0 {
		return usageErr("--requests and --rate must not be negative, --duration and --timeout must be positive")
	}
	if set["requests"] && set["duration"] {
		return usageErr("give --duration or --requests, not both")
	}
	if c.maxErrors < 0 || c.maxErrors > 1 {
		return usageErr("--max-errors %v: use 0 to 1", c.maxErrors)
	}
	if c.engine != load.EngineNetHTTP && c.engine != load.EngineResty && c.engine != load.EngineFast {
		return usageErr("--client %q: use %s, %s or %s", c.engine, load.EngineFast, load.EngineNetHTTP, load.EngineResty)
	}
	if (c.cpuprofile != "" || set["rounds"] || set["database-url"]) && c.fixture == "" {
		return usageErr("--cpuprofile, --rounds and --database-url go with --serve-fixture")
	}
	if set["database-url"] && c.databaseURL == "" {
		return usageErr("--database-url is empty (an unset variable?): give the PostgreSQL URL, or leave the flag out for the memory store")
	}
	if c.rounds < 1 || c.rounds > 100 {
		return usageErr("--rounds %d: use 1 to 100", c.rounds)
	}
	opts := load.Options{
		URL: c.url, Token: c.token, Concurrency: c.concurrency, Rate: c.rate, Mix: mix,
		Keep: c.keep, Path: c.path, Engine: c.engine, Timeout: c.timeout,
	}
	if set["requests"] {
		opts.Requests = c.requests
	} else {
		opts.Duration = c.duration
	}
	if isTerminal(stderr) {
		opts.Progress = func(p load.Progress) {
			fmt.Fprintf(stderr, "\r%6.1fs  %9d requests  %8.0f/s  %6d errors ", p.Elapsed.Seconds(), p.Requests, float64(p.Requests)/p.Elapsed.Seconds(), p.Errors)
		}
	}

	if c.fixture != "" {
		k, v, ok := strings.Cut(c.fixture, "=")
		n, err := strconv.Atoi(v)
		if !ok || k != "users" || err != nil || n < 1 || n > 10_000_000 {
			return usageErr("--serve-fixture %q: use users=N (1 to 10000000)", c.fixture)
		}
		for _, f := range []string{"url", "token", "path", "keep", "yes", "prefix"} {
			if set[f] {
				return usageErr("--%s does not go with --serve-fixture (it makes its own servers)", f)
			}
		}
		return loadFixture(ctx, n, c, opts, stdout, stderr)
	}

	if c.url == "" {
		return usageErr("--url is required: the SCIM base URL of the server under load (or --serve-fixture users=N)")
	}
	u, err := url.Parse(c.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErr("--url %q is not an absolute http(s) URL", safeURL(c.url))
	}
	if c.prefix == "" {
		c.prefix = scenario.NewPrefix()
	}
	if len(c.prefix) < 3 || strings.IndexFunc(c.prefix, func(r rune) bool {
		return !(r == '-' || r == '_' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z'))
	}) >= 0 {
		return usageErr("--prefix %q: use at least 3 letters, digits, '-' or '_'", c.prefix)
	}
	opts.Prefix = c.prefix
	if !c.yes && !isLoopback(u.Hostname()) {
		return usageErr("%s is not on this machine, and the load run creates, changes and deletes users and groups there (only its own, named %s…) at a high rate; pass --yes to consent", u.Host, c.prefix)
	}
	if code, ok := loadProbe(ctx, opts, stderr); !ok {
		return code
	}

	opts.URL = c.url
	res, err := load.Run(ctx, opts)
	if opts.Progress != nil {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "scimharness load: %v\n", err)
		if res != nil && !res.Kept {
			fmt.Fprintf(stderr, "scimharness load: cleanup: %d of %d created resources deleted\n", res.Deleted, res.Created)
		}
		return exitUsage
	}
	writeLoadSummary(stdout, "", res)
	if code := writeLoadJSON(c.jsonFile, res, stdout, stderr); code != exitOK {
		return code
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "scimharness load: interrupted; what the run created was cleaned up")
		return exitFail
	}
	if len(res.CleanupErrors) > 0 || res.ErrorRate() > c.maxErrors {
		return exitFail
	}
	return exitOK
}

// loadProbe makes sure the target answers and takes the credentials before
// anything is created.
func loadProbe(ctx context.Context, o load.Options, stderr io.Writer) (int, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(o.URL, "/")+"/ServiceProviderConfig", nil)
	if err != nil {
		fmt.Fprintf(stderr, "scimharness load: %v\n", err)
		return exitUsage, false
	}
	if o.Token != "" {
		req.Header.Set("Authorization", "Bearer "+o.Token)
	}
	hc := &http.Client{Timeout: o.Timeout}
	resp, err := hc.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "scimharness load: cannot reach %s: %v\n", safeURL(o.URL), errors.Unwrap(err))
		return exitUsage, false
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		fmt.Fprintf(stderr, "scimharness load: %s refused the credentials (%d on GET /ServiceProviderConfig); check --token\n", safeURL(o.URL), resp.StatusCode)
		return exitUsage, false
	}
	return exitOK, true
}

func writeLoadSummary(w io.Writer, title string, r *load.Result) {
	if title != "" {
		fmt.Fprintf(w, "%s\n", title)
	}
	fmt.Fprintf(w, "target      %s (%s, concurrency %d, ", safeURL(r.Target), r.Engine, r.Concurrency)
	if r.Rate > 0 {
		fmt.Fprintf(w, "rate %.0f/s)\n", r.Rate)
	} else {
		fmt.Fprintln(w, "flat out)")
	}
	fmt.Fprintf(w, "mix         %s\n", r.Mix)
	fmt.Fprintf(w, "requests    %d in %.2fs: %.0f/s\n", r.Requests, r.Seconds, r.Throughput)
	fmt.Fprintf(w, "latency     p50 %s  p90 %s  p99 %s  max %s\n", r.P50, r.P90, r.P99, r.Max)
	fmt.Fprintf(w, "errors      %d (%.2f%%)", r.Errors, 100*r.ErrorRate())
	if len(r.ErrorsByStatus) > 0 {
		fmt.Fprintf(w, " by status %v", r.ErrorsByStatus)
	}
	fmt.Fprintln(w)
	if r.Created > 0 {
		if r.Kept {
			fmt.Fprintf(w, "cleanup     kept %d resources (prefix %s)\n", r.Created, r.Prefix)
		} else {
			fmt.Fprintf(w, "cleanup     %d of %d created resources deleted\n", r.Deleted, r.Created)
		}
	}
	for _, e := range r.CleanupErrors {
		fmt.Fprintf(w, "  cleanup failed: %s\n", e)
	}
}

func writeLoadJSON(file string, v any, stdout, stderr io.Writer) int {
	if file == "" {
		return exitOK
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "scimharness load: %v\n", err)
		return exitFail
	}
	b = append(b, '\n')
	if file == "-" {
		_, err = stdout.Write(b)
	} else {
		err = os.WriteFile(file, b, 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "scimharness load: writing %s: %v\n", file, err)
		return exitFail
	}
	return exitOK
}

// fixtureResult is the JSON of --serve-fixture.
type fixtureResult struct {
	Users       int          `json:"users"`
	Server      *load.Result `json:"server"`
	Bare        *load.Result `json:"bare"`
	Ratio       float64      `json:"ratio"`
	RatioMet    bool         `json:"ratioMet"`    // ≥ 0.5
	DriveMet    bool         `json:"driveMet"`    // ≥ 20,000/s against the server
	DriveTarget float64      `json:"driveTarget"` // 20000
	Rounds      int          `json:"rounds"`
	RoundRatios []float64    `json:"roundRatios"`
	// Clean is false when either error rate is above --max-errors: such a
	// run measured something else than lookups, and no target counts as met.
	Clean bool `json:"clean"`
	// Store is the reference server's store: "memory", or "postgres" with
	// --database-url, whose target is PostgresTarget lookups per second.
	Store          string  `json:"store"`
	PostgresTarget float64 `json:"postgresTarget,omitempty"` // 5000
	PostgresMet    bool    `json:"postgresMet,omitempty"`
}

// postgresTarget is issue 8's: userName eq lookups per second through the
// reference server on the Postgres store.
const postgresTarget = 5000

func newFixtureResult(users int, server, bare *load.Result, roundRatios []float64, maxErrors float64) fixtureResult {
	fr := fixtureResult{Users: users, Server: server, Bare: bare, DriveTarget: 20_000,
		Rounds: len(roundRatios), RoundRatios: roundRatios}
	if bare.Throughput > 0 {
		fr.Ratio = server.Throughput / bare.Throughput
	}
	fr.Clean = server.ErrorRate() <= maxErrors && bare.ErrorRate() <= maxErrors
	fr.RatioMet = fr.Clean && fr.Ratio >= 0.5
	fr.DriveMet = fr.Clean && server.Throughput >= fr.DriveTarget
	fr.Store = "memory"
	return fr
}

// forPostgres marks fr as a run on the Postgres store, judged by its target.
func (fr *fixtureResult) forPostgres() {
	fr.Store = "postgres"
	fr.PostgresTarget = postgresTarget
	fr.PostgresMet = fr.Clean && fr.Server.Throughput >= postgresTarget
}

func ratios(rs []float64) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = strconv.FormatFloat(r, 'f', 2, 64)
	}
	return strings.Join(parts, " ")
}

// bareListResponse is the floor: a handler that does nothing but write a
// fixed one-user ListResponse (server/bench_test.go has the same).
var bareListResponse = []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"startIndex":1,"itemsPerPage":1,"Resources":[{"id":"2819c223-7f76-453a-919d-413861904646","userName":"user50000@example.com"}]}`)

func loadFixture(ctx context.Context, n int, c *loadConfig, opts load.Options, stdout, stderr io.Writer) int {
	tok := make([]byte, 16)
	crand.Read(tok)
	token := hex.EncodeToString(tok)

	fx, code := openFixtureStore(ctx, c.databaseURL, stderr)
	if fx == nil {
		return code
	}
	defer fx.close(stderr)
	fmt.Fprintf(stderr, "scimharness load: loading %d users into the %s store…\n", n, fx.kind)
	t0 := time.Now()
	srv, err := fixtureServer(ctx, fx, n, token)
	if err != nil {
		fmt.Fprintf(stderr, "scimharness load: fixture: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "scimharness load: loaded in %s\n", time.Since(t0).Round(time.Millisecond))
	srvURL, stopSrv, err := listen(srv)
	if err != nil {
		fmt.Fprintf(stderr, "scimharness load: %v\n", err)
		return exitUsage
	}
	defer stopSrv()
	srvURL += fx.base
	bareURL, stopBare, err := listen(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		w.Write(bareListResponse)
	}))
	if err != nil {
		fmt.Fprintf(stderr, "scimharness load: %v\n", err)
		return exitUsage
	}
	defer stopBare()

	// The same 1024 existing userNames, in the same order, for both.
	r := rand.New(rand.NewPCG(uint64(n), 8))
	names := make([]string, 1024)
	for i := range names {
		names[i] = fmt.Sprintf("user%d@example.com", r.IntN(n))
	}
	opts.Token, opts.LookupNames = token, names

	warm := func(base string) error {
		// A short warm-up: connections, caches, the heap's size.
		w := opts
		w.URL, w.Progress, w.Duration, w.Requests = base, nil, 0, 2000
		_, err := load.Run(ctx, w)
		return err
	}
	if err := warm(bareURL + "/scim/v2"); err != nil {
		fmt.Fprintf(stderr, "scimharness load: bare handler: %v\n", err)
		return exitUsage
	}
	if err := warm(srvURL); err != nil {
		fmt.Fprintf(stderr, "scimharness load: reference server: %v\n", err)
		return exitUsage
	}
	if c.cpuprofile != "" {
		f, err := os.Create(c.cpuprofile)
		if err == nil {
			defer f.Close()
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(stderr, "scimharness load: --cpuprofile: %v\n", err)
			return exitUsage
		}
		defer pprof.StopCPUProfile()
	}
	// The targets take turns, bare-server, server-bare, …, each for
	// --duration/--rounds (or --requests/--rounds), so that a slow spell of
	// a shared machine falls on both; each target's turns are combined.
	rounds := c.rounds
	var bares, servers []*load.Result
	var roundRatios []float64
	for i := range rounds {
		o := opts
		if o.Requests > 0 {
			o.Requests = max(o.Requests/rounds, 1)
		} else {
			o.Duration = max(o.Duration/time.Duration(rounds), 100*time.Millisecond)
		}
		turn := func(base, what string) (*load.Result, error) {
			o := o
			o.URL = base
			if base == bareURL {
				o.URL += "/scim/v2"
			}
			res, err := load.Run(ctx, o)
			if opts.Progress != nil {
				fmt.Fprintln(stderr)
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %v", what, err)
			}
			return res, nil
		}
		order := []string{bareURL, srvURL}
		if i%2 == 1 {
			order = []string{srvURL, bareURL}
		}
		var b, sv *load.Result
		for _, base := range order {
			var err error
			if base == bareURL {
				b, err = turn(base, "bare handler")
			} else {
				sv, err = turn(base, "reference server")
			}
			if err != nil {
				fmt.Fprintf(stderr, "scimharness load: %v\n", err)
				return exitUsage
			}
		}
		bares, servers = append(bares, b), append(servers, sv)
		if b.Throughput > 0 {
			roundRatios = append(roundRatios, sv.Throughput/b.Throughput)
		}
		if ctx.Err() != nil {
			break
		}
	}
	bare, sres := load.Combine(bares...), load.Combine(servers...)
	fr := newFixtureResult(n, sres, bare, roundRatios, c.maxErrors)
	if fx.kind == "postgres" {
		fr.forPostgres()
	}
	clean := fr.Clean
	writeLoadSummary(stdout, "== bare net/http handler (fixed ListResponse)", bare)
	fmt.Fprintln(stdout)
	writeLoadSummary(stdout, fmt.Sprintf("== reference server, %s store, %d users", fx.kind, n), sres)
	fmt.Fprintln(stdout)
	met := map[bool]string{true: "met", false: "NOT met"}
	if fx.kind == "postgres" {
		// The memory store's targets do not apply; the ratio is shown for
		// what it tells.
		fmt.Fprintf(stdout, "ratio       server/bare = %.2f; by round %s\n", fr.Ratio, ratios(roundRatios))
	} else {
		fmt.Fprintf(stdout, "ratio       server/bare = %.2f (target ≥ 0.50: %s); by round %s\n", fr.Ratio, met[fr.RatioMet], ratios(roundRatios))
	}
	if !clean {
		fmt.Fprintf(stdout, "invalid     error rate above --max-errors %.2f: the targets are not met\n", c.maxErrors)
	}
	if fx.kind == "postgres" {
		fmt.Fprintf(stdout, "postgres    %.0f lookups/s (target ≥ %d: %s)\n", sres.Throughput, postgresTarget, met[fr.PostgresMet])
	} else {
		fmt.Fprintf(stdout, "drive       %.0f/s against the server (target ≥ 20000: %s)\n", sres.Throughput, met[fr.DriveMet])
	}
	if c.cpuprofile != "" {
		fmt.Fprintf(stdout, "profile     %s, both targets (go tool pprof -top %s)\n", c.cpuprofile, c.cpuprofile)
	}
	if code := writeLoadJSON(c.jsonFile, fr, stdout, stderr); code != exitOK {
		return code
	}
	if ctx.Err() != nil {
		return exitFail
	}
	if sres.ErrorRate() > c.maxErrors || bare.ErrorRate() > c.maxErrors {
		return exitFail
	}
	return exitOK
}

// fixtureStore is the store the fixture server runs on, the tenant the
// users go into and the base path that addresses it.
type fixtureStore struct {
	kind   string // "memory" or "postgres"
	st     store.Store
	pg     *postgres.Store // with --database-url
	tenant string
	base   string // /scim/v2, or /t/TENANT/scim/v2
}

// openFixtureStore opens the memory store, or the Postgres store at dbURL
// with a tenant of the run's own. A nil result comes with the exit status.
func openFixtureStore(ctx context.Context, dbURL string, stderr io.Writer) (*fixtureStore, int) {
	if dbURL == "" {
		return &fixtureStore{kind: "memory", st: memory.New(), tenant: server.DefaultTenant, base: "/scim/v2"}, exitOK
	}
	octx, cancel := context.WithTimeout(ctx, 30*time.Second)
	pg, err := postgres.Open(octx, dbURL)
	cancel()
	if err != nil {
		if errors.Is(err, postgres.ErrInvalidURL) {
			fmt.Fprintf(stderr, "scimharness load: --database-url: %v\n", err)
		} else {
			fmt.Fprintf(stderr, "scimharness load: %v\n", err)
		}
		return nil, exitUsage
	}
	tenant := scenario.NewPrefix()
	tenant = "scimh-load-" + tenant[strings.LastIndexByte(tenant, '-')+1:]
	return &fixtureStore{kind: "postgres", st: pg, pg: pg, tenant: tenant, base: "/t/" + tenant + "/scim/v2"}, exitOK
}

// close deletes what the run wrote into the database (its tenant), also
// after Ctrl-C, and closes the store.
func (f *fixtureStore) close(stderr io.Writer) {
	if f.pg == nil {
		return
	}
	defer f.pg.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	t0 := time.Now()
	n, err := f.pg.DeleteTenant(ctx, f.tenant)
	if err != nil {
		fmt.Fprintf(stderr, "scimharness load: cleanup: deleting tenant %s from the database: %v (delete its rows of scim.resources by hand)\n", f.tenant, err)
		return
	}
	fmt.Fprintf(stderr, "scimharness load: cleanup: deleted the %d resources of tenant %s in %s\n", n, f.tenant, time.Since(t0).Round(time.Millisecond))
}

// fixtureUser is the i-th user of the fixture, as an IdP provisions one.
func fixtureUser(rt *schema.ResourceType, i int) (map[string]any, error) {
	return rt.Normalize(map[string]any{
		"userName":   fmt.Sprintf("user%d@example.com", i),
		"externalId": fmt.Sprintf("ext-%d", i),
		"name":       map[string]any{"givenName": "Given", "familyName": fmt.Sprintf("Family%d", i)},
		"emails":     []any{map[string]any{"value": fmt.Sprintf("user%d@example.com", i), "type": "work", "primary": true}},
		"active":     true,
	})
}

// fixtureServer is the reference server with n users loaded through the
// store (as server/bench_test.go's benchServer) into f's tenant: one Create
// each in memory, batches of CreateMany (COPY) from a few goroutines on
// Postgres.
func fixtureServer(ctx context.Context, f *fixtureStore, n int, token string) (http.Handler, error) {
	rt, ok := schema.Default().ResourceType("User")
	if !ok {
		return nil, errors.New("no User resource type")
	}
	if f.pg != nil {
		if err := loadPostgres(ctx, f, rt, n); err != nil {
			return nil, err
		}
	} else {
		for i := range n {
			if i%1000 == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			doc, err := fixtureUser(rt, i)
			if err != nil {
				return nil, err
			}
			if _, err := f.st.Create(ctx, f.tenant, rt, doc); err != nil {
				return nil, err
			}
		}
	}
	tenants := server.NewTenants()
	if err := tenants.Add(f.tenant, server.HashToken(token)); err != nil {
		return nil, err
	}
	return server.New(server.Config{Store: f.st, Tenants: tenants, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// loadPostgres loads the n users with CreateMany, a batch at a time from
// as many goroutines as there are CPUs (the database's index updates are
// most of the cost).
func loadPostgres(ctx context.Context, f *fixtureStore, rt *schema.ResourceType, n int) error {
	const batch = 5000
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	go func() {
		defer close(next)
		for from := 0; from < n; from += batch {
			select {
			case next <- from:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range max(2, min(runtime.GOMAXPROCS(0), 8)) {
		wg.Go(func() {
			for from := range next {
				docs := make([]map[string]any, 0, batch)
				var err error
				for i := from; i < min(from+batch, n) && err == nil; i++ {
					var doc map[string]any
					doc, err = fixtureUser(rt, i)
					docs = append(docs, doc)
				}
				if err == nil {
					_, err = f.pg.CreateMany(ctx, f.tenant, rt, docs)
				}
				if err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return first
}

// listen serves h on a fresh loopback port.
func listen(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return "http://" + ln.Addr().String(), func() { hs.Close() }, nil
}
