package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/server/broken"
)

const simulateHelp = `Usage: scimharness simulate --idp entra|google|okta --url URL [--token TOKEN] [flags]

Plays what an identity provider sends — its lookups, creates, updates,
deactivations, group pushes, in its order and its shapes — against the SCIM
server at URL, judges every answer, prints a summary and, with --report-dir,
writes report.json, junit.xml and report.html.

Everything the run creates carries the run prefix (--prefix) and is deleted
afterwards, also after a failure or Ctrl-C; the run never changes a resource
it did not create. A URL that is not on this machine (not loopback) is
refused unless --yes says the server may be written to.

Credentials: --token or $SCIM_TOKEN (a static bearer token), or the OAuth 2.0
client-credentials flags (the secret may come from $SCIM_OAUTH2_CLIENT_SECRET).
Secrets are never printed; the reproduce command in reports names the
environment variables instead.

Exit status: 0 when every MUST passed (warnings allowed), 1 when anything
failed or could not be judged, 2 for bad usage or a target that cannot be
reached.

Flags:
`

// simConfig is what the simulate flags say.
type simConfig struct {
	idp        string
	url        string
	token      string
	users      int
	groups     int
	mode       string
	strict     bool
	compat     bool
	reportDir  string
	prefix     string
	keep       bool
	dryRun     bool
	yes        bool
	timeout    time.Duration
	retries    int
	listBugs   bool
	evidence   string
	oauth2     client.OAuth2
	oauth2Used bool
	// set holds the flags given on the command line.
	set map[string]bool

	// Passed through to the IdP's scenario generator; the flag prefix says
	// which IdP a flag belongs to, and mixing IdPs is a usage error.
	seed                 int64
	entraFlag            bool
	entraRoleMode        string
	entraMapping         string
	entraMatch           string
	entraConcurrency     int
	entraCycle           string
	entraRate            float64
	entraGallery         bool
	entraNulls           bool
	oktaApp              string
	googleUpdate         string
	googleStringBooleans bool
	googleDeprovision    string
	googleProbe          bool
	oktaPageSize         int
}

// idp is one simulated identity provider: how to build its scenarios from
// the flags and how its HTTP client introduces itself.
type idp struct {
	name  string
	about string
	// build validates the flags for this IdP — an error is a usage error,
	// reported before anything is sent — and returns the plan. base holds
	// the URL, credentials, timeout and retries from the flags.
	build func(c *simConfig, base client.Config) (plan, error)
}

// plan is what one simulate run sends and how.
type plan struct {
	scenarios []scenario.Scenario
	// client is base dressed as the IdP's client: its User-Agent, headers.
	client client.Config
	// run, if set, runs the plan the IdP's own way (Entra: Test Connection
	// first and alone, quarantine) and returns the results and the timings
	// it measured; otherwise each scenario runs in turn with scenario.Run.
	run func(ctx context.Context, cl *client.Client, ro scenario.Options) ([]scenario.Result, []report.Timing)
	// evidence is the default of --evidence for this plan.
	evidence scenario.Evidence
	// problemsOnly: progress lines only for results that did not pass (a
	// run of tens of thousands of steps, whose terminal output would
	// otherwise slow the run it times).
	problemsOnly bool
}

// findIdP returns the simulator called name. It is a variable so tests can
// add a fake IdP.
var findIdP = func(name string) (idp, bool) {
	for _, p := range idps {
		if p.name == name {
			return p, true
		}
	}
	return idp{}, false
}

func idpNames() []string {
	var names []string
	for _, p := range idps {
		names = append(names, p.name)
	}
	return names
}

func simulateFlags(stderr io.Writer, getenv func(string) string) (*flag.FlagSet, *simConfig) {
	c := &simConfig{}
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, simulateHelp)
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nIdPs:")
		for _, p := range idps {
			fmt.Fprintf(stderr, "  %-8s %s\n", p.name, p.about)
		}
	}
	fs.StringVar(&c.idp, "idp", "", "identity provider to simulate: "+strings.Join(idpNames(), ", "))
	fs.StringVar(&c.url, "url", "", "SCIM base URL of the server under test, e.g. http://127.0.0.1:8080/scim/v2")
	// Secrets from the environment are read after parsing, not given as
	// flag defaults: -h prints defaults.
	fs.StringVar(&c.token, "token", "", "bearer token (default $SCIM_TOKEN)")
	fs.IntVar(&c.users, "users", 5, "number of users to provision")
	fs.IntVar(&c.groups, "groups", 2, "number of groups to push")
	fs.StringVar(&c.mode, "mode", "", "judgement: strict (the RFC) or compat (tolerate what real IdPs and servers do) (default compat)")
	fs.BoolVar(&c.strict, "strict", false, "same as --mode strict")
	fs.BoolVar(&c.compat, "compat", false, "same as --mode compat")
	fs.StringVar(&c.reportDir, "report-dir", "", "write report.json, junit.xml and report.html into this directory")
	fs.StringVar(&c.prefix, "prefix", "", "prefix of everything the run creates (default random, scimh-xxxxxxxx)")
	fs.BoolVar(&c.keep, "keep", false, "keep what the run created (no cleanup), for inspection")
	fs.BoolVar(&c.dryRun, "dry-run", false, "print the requests instead of sending them (no token needed)")
	fs.BoolVar(&c.yes, "yes", false, "consent to write to a server that is not on this machine")
	fs.DurationVar(&c.timeout, "timeout", client.DefaultTimeout, "timeout of each request")
	fs.IntVar(&c.retries, "retries", 0, "retries on 429/503 and transport errors; 0 judges the first answer")
	fs.BoolVar(&c.listBugs, "list-bugs", false, "list the deliberate bugs of scimharness serve --bug and exit")
	fs.StringVar(&c.evidence, "evidence", "", "exchanges the results and reports keep: all, or problems (only those of results that did not pass) (default all; problems with --entra-cycle initial)")
	fs.StringVar(&c.oauth2.TokenURL, "oauth2-token-url", "", "OAuth 2.0 token endpoint (client-credentials grant), instead of --token")
	fs.StringVar(&c.oauth2.ClientID, "oauth2-client-id", "", "OAuth 2.0 client id")
	fs.StringVar(&c.oauth2.ClientSecret, "oauth2-client-secret", "", "OAuth 2.0 client secret (default $SCIM_OAUTH2_CLIENT_SECRET)")
	fs.StringVar(&c.oauth2.Scope, "oauth2-scope", "", "OAuth 2.0 scope")
	fs.BoolVar(&c.oauth2.CredentialsInBody, "oauth2-credentials-in-body", false, "send the client credentials as form fields instead of HTTP Basic")

	fs.Int64Var(&c.seed, "seed", 0, "seed of the generated names; the same seed gives the same requests")
	fs.BoolVar(&c.entraFlag, "entra-flag", false, "entra: the tenant URL carries aadOptscim062020 (lower-case ops, RFC-style PATCH shapes)")
	fs.StringVar(&c.entraRoleMode, "entra-role-mode", "", "entra: app-role mapping: single, complex or assertive (default: the mapping's)")
	fs.StringVar(&c.entraMapping, "entra-mapping", "", "entra: attribute mapping: a built-in name or a YAML file (default Entra's default mapping)")
	fs.StringVar(&c.entraMatch, "entra-match", "", "entra: matching attribute: userName, externalId or email (default: the mapping's)")
	fs.IntVar(&c.entraConcurrency, "entra-concurrency", 1, "entra: provisioning scenarios (teams of 5 users) run at once (1 keeps the request order deterministic)")
	fs.StringVar(&c.entraCycle, "entra-cycle", "full", "entra: full (the whole judged lifecycle), initial (Test Connection, then match and create every user, create every group and add its members; timed apart from cleanup) or on-demand (provisioning on demand: GUID probes, then up to 5 users and a group of at most 5 members; the aadOptscim062020 flag is ignored)")
	fs.Float64Var(&c.entraRate, "entra-rate", 0, "entra: requests per second at most (0: unlimited)")
	fs.BoolVar(&c.entraGallery, "entra-gallery", false, "entra: a gallery app, which reads /Schemas (non-gallery apps never do, TUT)")
	fs.BoolVar(&c.entraNulls, "entra-nulls", false, "entra: POST unset attributes as null, as the tutorial's legacy example (Entra itself provisions no nulls, KNOWN)")
	fs.StringVar(&c.googleUpdate, "google-update", "none", "google: how users are updated: none, put or patch (unverified)")
	fs.BoolVar(&c.googleStringBooleans, "google-string-booleans", false, "google: send active as a string (unverified)")
	fs.StringVar(&c.googleDeprovision, "google-deprovision", "suspend", "google: deprovisioning: suspend or delete (unverified)")
	fs.BoolVar(&c.googleProbe, "google-probe", false, "google: open with the connection probe GET /Users?count=1 (unverified)")
	fs.IntVar(&c.oktaPageSize, "okta-page-size", 100, "okta: count of each import page")
	fs.StringVar(&c.oktaApp, "okta-app", "aiw", "okta: aiw (a custom App Integration Wizard app: deactivation, reactivation, group rename and membership as PUT) or oin (a catalog app: PATCH)")
	return fs, c
}

func simulate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs, c := simulateFlags(stderr, getenv)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "scimharness simulate: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	if c.token == "" {
		c.token = getenv("SCIM_TOKEN")
	}
	if c.oauth2.ClientSecret == "" {
		c.oauth2.ClientSecret = getenv("SCIM_OAUTH2_CLIENT_SECRET")
	}
	if c.listBugs {
		listBugs(stdout)
		return exitOK
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	p, err := c.check(set)
	if err != nil {
		return usageErr("%v", err)
	}
	base := client.Config{
		BaseURL: c.url,
		Token:   c.token,
		Timeout: c.timeout,
		Retry:   client.Retry{Max: c.retries},
	}
	if c.oauth2Used {
		o := c.oauth2
		base.OAuth2, base.Token = &o, ""
	}
	pl, err := p.build(c, base)
	if err != nil {
		return usageErr("--idp %s: %v", p.name, err)
	}
	if len(pl.scenarios) == 0 {
		return usageErr("--idp %s: these options give no scenarios", p.name)
	}
	planned := len(pl.scenarios)
	if pl.run != nil {
		// The IdP's run builds its own; a big population's steps need
		// not be held twice.
		pl.scenarios = nil
	}
	cl, err := client.New(pl.client)
	if err != nil {
		return usageErr("%v", err)
	}
	target := safeURL(c.url)
	if !c.dryRun {
		// The probe is the harness's own request, not the IdP's, so it
		// goes out under the harness's User-Agent: a server recording
		// Okta's traffic must not see Okta read /ServiceProviderConfig.
		pc, err := client.New(base)
		if err != nil {
			return usageErr("%v", err)
		}
		if code, ok := probe(ctx, pc, target, stderr); !ok {
			return code
		}
	}

	rep := report.Report{
		Title:   "scimharness simulate: " + p.name,
		Target:  target,
		IdP:     p.name,
		Mode:    c.mode,
		Command: reproduce(fs, c),
		Started: time.Now(),
	}
	opts := scenario.Options{
		Mode:     scenario.Mode(c.mode),
		Prefix:   c.prefix,
		Keep:     c.keep,
		DryRun:   c.dryRun,
		Out:      stdout,
		Evidence: pl.evidence,
	}
	if c.set["evidence"] {
		opts.Evidence, _ = scenario.ParseEvidence(c.evidence) // checked by check
	}
	if !c.dryRun && isTerminal(stderr) {
		var mu sync.Mutex // an IdP may run scenarios concurrently
		opts.Progress = func(r scenario.Result) {
			if pl.problemsOnly && r.Status == scenario.Pass {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprint(stderr, progressLine(r))
		}
	}
	if pl.run != nil {
		rep.Results, rep.Timings = pl.run(ctx, cl, opts)
	} else {
		for _, sc := range pl.scenarios {
			if ctx.Err() != nil {
				break
			}
			rep.Results = append(rep.Results, scenario.Run(ctx, cl, sc, opts)...)
		}
	}
	interrupted := ctx.Err() != nil
	rep.Summary = scenario.Summarize(rep.Results)

	if c.dryRun {
		fmt.Fprintf(stderr, "scimharness simulate: dry run: %d scenarios printed, nothing sent\n", planned)
	} else if err := report.WriteText(stdout, rep); err != nil {
		fmt.Fprintf(stderr, "scimharness simulate: %v\n", err)
		return exitFail
	}
	if c.reportDir != "" {
		if err := report.WriteDir(c.reportDir, rep); err != nil {
			fmt.Fprintf(stderr, "scimharness simulate: writing the report: %v\n", err)
			return exitFail
		}
		fmt.Fprintf(stderr, "scimharness simulate: report written to %s\n", c.reportDir)
	}
	if interrupted {
		fmt.Fprintln(stderr, "scimharness simulate: interrupted; what the run created was cleaned up (see the cleanup results)")
		return exitFail
	}
	if rep.Summary.Counts[scenario.Fail] > 0 || rep.Summary.Counts[scenario.Error] > 0 {
		return exitFail
	}
	return exitOK
}

// check validates the flags that were set and settles the mode and the
// credentials; it returns the IdP to simulate.
func (c *simConfig) check(set map[string]bool) (idp, error) {
	c.set = set
	if c.idp == "" {
		return idp{}, fmt.Errorf("--idp is required: %s", strings.Join(idpNames(), ", "))
	}
	p, ok := findIdP(c.idp)
	if !ok {
		return idp{}, fmt.Errorf("unknown --idp %q: use %s", c.idp, strings.Join(idpNames(), ", "))
	}
	for name := range set {
		if owner, _, ok := strings.Cut(name, "-"); ok && slices.Contains([]string{"entra", "google", "okta"}, owner) && owner != p.name {
			return idp{}, fmt.Errorf("--%s applies to --idp %s, not %s", name, owner, p.name)
		}
	}
	if c.url == "" {
		return idp{}, errors.New("--url is required: the SCIM base URL of the server under test")
	}
	u, err := url.Parse(c.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return idp{}, fmt.Errorf("--url %q is not an absolute http(s) URL", safeURL(c.url))
	}
	if c.users < 1 || c.groups < 0 {
		return idp{}, fmt.Errorf("--users must be at least 1 and --groups at least 0 (got %d and %d)", c.users, c.groups)
	}
	if c.retries < 0 {
		return idp{}, fmt.Errorf("--retries %d is negative", c.retries)
	}
	if c.timeout <= 0 {
		return idp{}, fmt.Errorf("--timeout %v must be positive", c.timeout)
	}
	if _, err := scenario.ParseEvidence(c.evidence); err != nil {
		return idp{}, fmt.Errorf("--evidence %q: use all or problems", c.evidence)
	}

	switch {
	case c.strict && c.compat:
		return idp{}, errors.New("--strict and --compat exclude each other")
	case c.strict && c.mode != "" && c.mode != string(scenario.Strict),
		c.compat && c.mode != "" && c.mode != string(scenario.Compat):
		return idp{}, fmt.Errorf("--mode %s contradicts --strict/--compat", c.mode)
	case c.strict:
		c.mode = string(scenario.Strict)
	case c.compat, c.mode == "":
		c.mode = string(scenario.Compat)
	}
	if c.mode != string(scenario.Strict) && c.mode != string(scenario.Compat) {
		return idp{}, fmt.Errorf("--mode %q: use strict or compat", c.mode)
	}

	c.oauth2Used = set["oauth2-token-url"] || set["oauth2-client-id"] || set["oauth2-scope"] || set["oauth2-credentials-in-body"]
	switch {
	case c.oauth2Used && (c.oauth2.TokenURL == "" || c.oauth2.ClientID == "" || c.oauth2.ClientSecret == ""):
		return idp{}, errors.New("OAuth 2.0 needs --oauth2-token-url, --oauth2-client-id and --oauth2-client-secret (or $SCIM_OAUTH2_CLIENT_SECRET)")
	case c.oauth2Used && set["token"]:
		return idp{}, errors.New("give --token or the --oauth2-* flags, not both")
	case !c.oauth2Used && c.token == "" && !c.dryRun:
		return idp{}, errors.New("no credentials: pass --token, set SCIM_TOKEN, or use the --oauth2-* flags")
	}

	if c.prefix == "" {
		c.prefix = scenario.NewPrefix()
	}
	if len(c.prefix) < 3 || strings.IndexFunc(c.prefix, func(r rune) bool {
		return !(r == '-' || r == '_' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z'))
	}) >= 0 {
		// It goes into userNames, emails and displayNames, and marks the
		// run's data: a short or odd prefix could match somebody else's.
		return idp{}, fmt.Errorf("--prefix %q: use at least 3 letters, digits, '-' or '_'", c.prefix)
	}

	// Consent: the run writes users and groups. Somebody's staging server
	// is not a test fixture unless they say so; a dry run writes nothing.
	if !c.dryRun && !c.yes && !isLoopback(u.Hostname()) {
		return idp{}, fmt.Errorf("%s is not on this machine, and the run creates, changes and deletes users and groups there (only its own, named %s…); pass --yes to consent", u.Host, c.prefix)
	}
	return p, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// probe makes sure somebody answers at the URL before any scenario runs,
// so that a typo gives one clear message (exit 2) instead of a report full
// of errors. /ServiceProviderConfig is read-only and every server should
// have it; a 404 there is not fatal (Okta never reads it either).
func probe(ctx context.Context, cl *client.Client, target string, stderr io.Writer) (int, bool) {
	ex, err := cl.Do(ctx, client.Request{Method: http.MethodGet, Path: "/ServiceProviderConfig"})
	switch {
	case err != nil && strings.HasPrefix(err.Error(), "oauth2:"):
		fmt.Fprintf(stderr, "scimharness simulate: cannot get an access token: %v\n", err)
		return exitUsage, false
	case err != nil && ctx.Err() != nil:
		fmt.Fprintln(stderr, "scimharness simulate: interrupted")
		return exitFail, false
	case err != nil:
		fmt.Fprintf(stderr, "scimharness simulate: cannot reach %s: %s\n", target, ex.Err)
		return exitUsage, false
	case ex.Status() == http.StatusUnauthorized || ex.Status() == http.StatusForbidden:
		fmt.Fprintf(stderr, "scimharness simulate: %s refused the credentials (%d on GET /ServiceProviderConfig); check --token or the --oauth2-* flags\n", target, ex.Status())
		return exitUsage, false
	}
	return exitOK, true
}

// safeURL is u without a password, for messages and reports.
func safeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		return u
	}
	return p.Redacted()
}

// reproduce is the command line that repeats the run. Secrets become
// environment variables, never values: reports are shared.
func reproduce(fs *flag.FlagSet, c *simConfig) string {
	var env []string
	if !c.oauth2Used && c.token != "" {
		env = append(env, "SCIM_TOKEN=…")
	}
	if c.oauth2Used {
		env = append(env, "SCIM_OAUTH2_CLIENT_SECRET=…")
	}
	return commandLine("simulate", fs, env, c.url, "token", "oauth2-client-secret", "prefix", "list-bugs")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r == '/' || r == ':' || r == '=' || r == ',' ||
			('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// progressLine is the one line a result gets while the run goes on.
func progressLine(r scenario.Result) string {
	return fmt.Sprintf("%-5s %s / %s\n", r.Status, r.Scenario, r.Step)
}

// isTerminal reports whether w is a terminal: progress lines help a person
// watching, and would only clutter a CI log that gets the summary anyway.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func listBugs(w io.Writer) {
	fmt.Fprintln(w, "Deliberate bugs for testing the harness (scimharness serve --bug NAME):")
	for _, b := range broken.All() {
		fmt.Fprintf(w, "  %-26s %s\n", b.Name, b.Description)
	}
}
