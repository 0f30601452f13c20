package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/simulators/load"
)

const loadHelp = `Usage: scimharness load --url URL [--token TOKEN] [flags]
       scimharness load --serve-fixture users=N [--database-url URL] [flags]
       scimharness load merge [--json OUT] FILE...

Drives a provisioning mix against the SCIM server at URL — by default
Entra-like: 70% lookups by userName eq, 15% creates, 10% patches, 5% group
membership changes — from --concurrency workers, flat out or at --rate
requests per second, and reports throughput and latency percentiles (p50,
p90, p99, max). A progress line is shown when stderr is a terminal; --json
writes the result as JSON.

Before the run it creates a small working set (one user per worker, four
groups when the mix changes memberships); everything it creates carries the
run prefix (--prefix) and is deleted afterwards, also after Ctrl-C, unless
--keep (which prints the prefix, for scimharness cleanup); creates in flight
at the end are waited for, and a last sweep by prefix deletes what the
server created without its answer arriving. A URL that is not on this machine is refused unless --yes.

More load than one machine gives: run load on several machines with --shard
i/N (generator i of N: its prefix, and so its users and groups, are its own)
and --json FILE, then merge the files with scimharness load merge: the
latency histograms add exactly, the throughputs add up.

--serve-fixture users=N reproduces the issue's performance target: it starts
in this process the reference server with the memory store holding N users
(user0@example.com …, loaded through the store) and a bare net/http handler
returning a fixed one-user ListResponse, runs the same lookup-only load
(GET /Users?filter=userName eq "userK@example.com") against each, taking
turns --rounds times, and prints the server's throughput as a ratio of the
bare handler's (target: ≥ 0.65) and the requests per second driven at the
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
bad usage or a target that cannot be reached or set up, 130 when the run was
interrupted (what it created is still deleted).

Flags:
`

type loadConfig struct {
	tf          *target.Flags
	shard       string
	duration    time.Duration
	requests    int
	concurrency int
	rate        float64
	mix         string
	lookupOnly  bool
	path        string
	jsonFile    string
	keep        bool
	maxErrors   float64
	engine      string
	fixture     string
	cpuprofile  string
	rounds      int
	databaseURL string
}

func loadFlags(stderr io.Writer) (*flag.FlagSet, *loadConfig) {
	c := &loadConfig{}
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.tf = target.AddFlags(fs, target.FlagSpec{What: "the server under load", Timeout: 30 * time.Second})
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "length of the measured run")
	fs.IntVar(&c.requests, "requests", 0, "stop after this many requests instead of after --duration")
	fs.IntVar(&c.concurrency, "concurrency", 32, "concurrent workers")
	fs.Float64Var(&c.rate, "rate", 0, "target requests per second (0: flat out)")
	fs.StringVar(&c.mix, "mix", load.DefaultMix.String(), "operation weights")
	fs.BoolVar(&c.lookupOnly, "lookup-only", false, "same as --mix lookup=100")
	fs.StringVar(&c.path, "path", "", "send every lookup to this path and query (relative to --url) instead of /Users?filter=userName eq …")
	fs.StringVar(&c.jsonFile, "json", "", "write the result as JSON to this file (- for stdout)")
	fs.BoolVar(&c.keep, "keep", false, "keep what the run created (no cleanup); the prefix is printed")
	fs.Float64Var(&c.maxErrors, "max-errors", 0.01, "error rate (0–1) above which the exit status is 1")
	fs.StringVar(&c.engine, "client", load.EngineFast, "how requests are sent: fasthttp, net/http (slower; honours HTTP_PROXY) or resty (the harness's client; slowest)")
	fs.StringVar(&c.fixture, "serve-fixture", "", "users=N: measure the in-process reference server against a bare handler (see above)")
	fs.StringVar(&c.cpuprofile, "cpuprofile", "", "with --serve-fixture: write a CPU profile of the measured comparison to this file")
	fs.StringVar(&c.databaseURL, "database-url", "", "with --serve-fixture: PostgreSQL URL whose store the fixture server uses instead of the memory store (see above)")
	fs.IntVar(&c.rounds, "rounds", 4, "with --serve-fixture: alternate the two targets this many times, --duration/rounds each")
	fs.StringVar(&c.shard, "shard", "", "i/N: this run is generator i of N (on several machines): its prefix, users and groups are its own; merge the --json results with scimharness load merge")
	setUsage(fs, loadHelp, nil)
	return fs, c
}

func loadCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) > 0 && args[0] == "merge" {
		return loadMerge(args[1:], stdout, stderr)
	}
	fs, c := loadFlags(stderr)
	if code, ok := parseFlags(fs, "load", args, stdout, stderr); !ok {
		return code
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
	tcfg, err := c.tf.Config(getenv)
	if err != nil {
		return usageErr("%v", err)
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
	if c.requests < 0 || c.rate < 0 || c.duration <= 0 {
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
		URL: tcfg.BaseURL, Token: tcfg.Token, Concurrency: c.concurrency, Rate: c.rate, Mix: mix,
		Keep: c.keep, Path: c.path, Engine: c.engine, Timeout: tcfg.Timeout,
	}
	if set["requests"] {
		opts.Requests = c.requests
	} else {
		opts.Duration = c.duration
	}
	if report.IsTerminal(stderr) {
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

	if tcfg.BaseURL == "" {
		return usageErr("--url is required: the SCIM base URL of the server under load (or --serve-fixture users=N)")
	}
	if tcfg.Prefix == "" {
		tcfg.Prefix = scenario.NewPrefix()
	}
	if c.shard != "" {
		sh, err := load.ParseShard(c.shard)
		if err != nil {
			return usageErr("%v", err)
		}
		tcfg.Prefix = sh.Prefix(tcfg.Prefix)
	}
	opts.Prefix = tcfg.Prefix
	if _, _, err := target.Connect(ctx, tcfg); err != nil {
		return probeFailed(ctx, "load", err, stderr)
	}

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
		return exitInterrupted
	}
	if len(res.CleanupErrors) > 0 || res.ErrorRate() > c.maxErrors {
		return exitFail
	}
	return exitOK
}

func writeLoadSummary(w io.Writer, title string, r *load.Result) {
	if title != "" {
		fmt.Fprintf(w, "%s\n", title)
	}
	fmt.Fprintf(w, "target      %s (%s, concurrency %d, ", target.SafeURL(r.Target), r.Engine, r.Concurrency)
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
			fmt.Fprintf(w, "cleanup     kept %d resources (prefix %s; remove them with: %s)\n", r.Created, r.Prefix, cleanupCommand(r.Prefix, r.Target))
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

func ratios(rs []float64) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = strconv.FormatFloat(r, 'f', 2, 64)
	}
	return strings.Join(parts, " ")
}

// loadFixture is --serve-fixture: load.Fixture's comparison, printed.
func loadFixture(ctx context.Context, n int, c *loadConfig, opts load.Options, stdout, stderr io.Writer) int {
	fo := load.FixtureOptions{
		Users: n, DatabaseURL: c.databaseURL, Rounds: c.rounds, MaxErrors: c.maxErrors,
		Load: opts, Log: prefixWriter{"scimharness load: ", stderr},
	}
	if opts.Progress != nil {
		fo.AfterTurn = func() { fmt.Fprintln(stderr) }
	}
	if c.cpuprofile != "" {
		f, err := os.Create(c.cpuprofile)
		if err != nil {
			fmt.Fprintf(stderr, "scimharness load: --cpuprofile: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		fo.CPUProfile = f
	}
	fr, err := load.Fixture(ctx, fo)
	if err != nil {
		fmt.Fprintf(stderr, "scimharness load: %v\n", err)
		return exitUsage
	}
	writeLoadSummary(stdout, "== bare net/http handler (fixed ListResponse)", fr.Bare)
	fmt.Fprintln(stdout)
	writeLoadSummary(stdout, fmt.Sprintf("== reference server, %s store, %d users", fr.Store, n), fr.Server)
	fmt.Fprintln(stdout)
	met := map[bool]string{true: "met", false: "NOT met"}
	if fr.Store == "postgres" {
		// The memory store's targets do not apply; the ratio is shown for
		// what it tells.
		fmt.Fprintf(stdout, "ratio       server/bare = %.2f; by round %s\n", fr.Ratio, ratios(fr.RoundRatios))
	} else {
		fmt.Fprintf(stdout, "ratio       server/bare = %.2f (target ≥ %.2f: %s); by round %s\n", fr.Ratio, load.RatioTarget, met[fr.RatioMet], ratios(fr.RoundRatios))
	}
	if !fr.Clean {
		fmt.Fprintf(stdout, "invalid     error rate above --max-errors %.2f: the targets are not met\n", c.maxErrors)
	}
	if fr.Store == "postgres" {
		fmt.Fprintf(stdout, "postgres    %.0f lookups/s (target ≥ %d: %s)\n", fr.Server.Throughput, load.PostgresTarget, met[fr.PostgresMet])
	} else {
		fmt.Fprintf(stdout, "drive       %.0f/s against the server (target ≥ 20000: %s)\n", fr.Server.Throughput, met[fr.DriveMet])
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
	if fr.Server.ErrorRate() > c.maxErrors || fr.Bare.ErrorRate() > c.maxErrors {
		return exitFail
	}
	return exitOK
}

// prefixWriter writes each Write (one line) after a prefix: the library's
// log lines, under the command's name.
type prefixWriter struct {
	prefix string
	w      io.Writer
}

func (p prefixWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(p.w, p.prefix); err != nil {
		return 0, err
	}
	return p.w.Write(b)
}

const loadMergeHelp = `Usage: scimharness load merge [--json OUT] FILE...

Merges the --json results of load runs made at the same time by several
generators (--shard i/N): requests, errors and resources add up, the latency
histograms merge exactly (the percentiles are those of every request), the
throughput is the sum of the shards'.

Flags:
`

// loadMerge is `scimharness load merge`.
func loadMerge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("load merge", flag.ContinueOnError)
	setUsage(fs, loadMergeHelp, nil)
	jsonFile := fs.String("json", "", "write the merged result as JSON to this file (- for stdout)")
	pos, code, ok := parseArgs(fs, "load merge", args, true, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		fmt.Fprintln(stderr, "scimharness load merge: name the --json files of the shards")
		return exitUsage
	}
	var rs []*load.Result
	for _, f := range pos {
		b, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "scimharness load merge: %v\n", err)
			return exitUsage
		}
		var r load.Result
		if err := json.Unmarshal(b, &r); err != nil {
			fmt.Fprintf(stderr, "scimharness load merge: %s: %v\n", f, err)
			return exitUsage
		}
		rs = append(rs, &r)
	}
	m, err := load.Merge(rs...)
	if err != nil {
		fmt.Fprintf(stderr, "scimharness load merge: %v\n", err)
		return exitUsage
	}
	writeLoadSummary(stdout, fmt.Sprintf("merged %d shards", len(rs)), m)
	return writeLoadJSON(*jsonFile, m, stdout, stderr)
}
