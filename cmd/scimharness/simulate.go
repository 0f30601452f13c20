package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/server/broken"
	"github.com/scimharness/scimharness/server/servertest"
)

const simulateHelp = `Usage: scimharness simulate --idp entra|google|okta --url URL [--token TOKEN] [flags]

Plays what an identity provider sends — its lookups, creates, updates,
deactivations, group pushes, in its order and its shapes — against the SCIM
server at URL, judges every answer, prints a summary and, with --report-dir,
writes report.json, junit.xml and report.html.

--dry-run sends nothing to URL (which it does not need, nor a token): it
plays the IdP against the in-process reference server instead and prints
exactly what the IdP would send to a sound server, in the golden-transcript
format of fixtures/transcripts — each request under the step and the source
it comes from, generated values normalised. With --users 2 --groups 1
--seed 7 (Entra), --users 1 --groups 1 --seed 7 (Okta) or --users 1 --seed 7
(Google) and a mode's flags, it is that mode's golden file.

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
reached, 130 when the run was interrupted (SIGINT, SIGTERM): what was not
sent is reported incomplete, and what was created is still deleted.

Flags:
`

// simConfig is what the simulate flags say.
type simConfig struct {
	out *outputFlags
	// tf are the target flags (--url, --token, --yes, --prefix,
	// --timeout, --retries, --oauth2-*), the same for every command.
	tf         *target.Flags
	tcfg       target.Config
	idp        string
	users      int
	groups     int
	mode       string
	strict     bool
	compat     bool
	reportDir  string
	transcript string
	prefix     string
	keep       bool
	dryRun     bool
	listBugs   bool
	evidence   string
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
	entraRolesOnePatch   bool
	entraManagerFilter   bool
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
	setUsage(fs, simulateHelp, func(w io.Writer) {
		fmt.Fprintln(w, "\nIdPs:")
		for _, p := range idps {
			fmt.Fprintf(w, "  %-8s %s\n", p.name, p.about)
		}
	})
	fs.StringVar(&c.idp, "idp", "", "identity provider to simulate: "+strings.Join(idpNames(), ", "))
	c.tf = target.AddFlags(fs, target.FlagSpec{What: "the server under test", OAuth2: true, Retries: true})
	fs.IntVar(&c.users, "users", 5, "number of users to provision")
	fs.IntVar(&c.groups, "groups", 2, "number of groups to push")
	fs.StringVar(&c.mode, "mode", "", "judgement: strict (the RFC) or compat (tolerate what real IdPs and servers do) (default compat)")
	fs.BoolVar(&c.strict, "strict", false, "same as --mode strict")
	fs.BoolVar(&c.compat, "compat", false, "same as --mode compat")
	fs.StringVar(&c.reportDir, "report-dir", "", "write report.json, junit.xml and report.html into this directory")
	fs.BoolVar(&c.keep, "keep", false, "keep what the run created (no cleanup), for inspection")
	fs.StringVar(&c.transcript, "transcript", "", "write what was sent, in the golden-transcript format of fixtures/transcripts (generated values normalised, secrets hidden), to this file")
	c.out = addOutputFlags(fs)
	fs.BoolVar(&c.dryRun, "dry-run", false, "send nothing to --url (nor need it, or a token): print what the IdP would send to a sound server — played against the in-process reference server — as a golden transcript")
	fs.BoolVar(&c.listBugs, "list-bugs", false, "list the deliberate bugs of scimharness serve --bug and exit")
	fs.StringVar(&c.evidence, "evidence", "", "exchanges the results and reports keep: all, or problems (only those of results that did not pass) (default all; problems with --entra-cycle initial)")

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
	fs.BoolVar(&c.entraRolesOnePatch, "entra-roles-one-patch", false, "entra: with --entra-role-mode complex, send every role a user holds in one Add (log: SCIM-SDK issue 516)")
	fs.BoolVar(&c.entraManagerFilter, "entra-manager-remove-filter", false, "entra: also remove a manager with the path manager[value eq \"<id>\"] (log: scim-patch issue 453; graded SHOULD)")
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
	if code, ok := parseFlags(fs, "simulate", args, stdout, stderr); !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "scimharness simulate: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	if c.listBugs {
		listBugs(stdout)
		return exitOK
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	tcfg, err := c.tf.Config(getenv)
	if err != nil {
		return usageErr("%v", err)
	}
	c.tcfg = tcfg
	p, err := c.check(set)
	if err != nil {
		return usageErr("%v", err)
	}
	if err := checkReportDir(c.reportDir); err != nil {
		return usageErr("%v", err)
	}
	if c.transcript != "" {
		switch {
		case c.dryRun:
			return usageErr("--transcript records a run: with --dry-run nothing is sent (the dry run prints its transcript)")
		case c.set["evidence"] && c.evidence != "all":
			return usageErr("--transcript needs every exchange: leave out --evidence %s", c.evidence)
		}
		if err := os.WriteFile(c.transcript, nil, 0o644); err != nil { // writable before the run, not after
			return usageErr("--transcript: %v", err)
		}
	}
	switch {
	case c.dryRun && c.set["evidence"] && c.evidence != "all":
		return usageErr("--dry-run prints every request: leave out --evidence %s", c.evidence)
	case c.dryRun && c.reportDir != "":
		return usageErr("--report-dir reports a run: with --dry-run nothing is sent (the dry run prints its transcript)")
	}
	// sendTo is where the requests go: the target, or for a dry run the
	// in-process reference server, so that the dry run shows what the IdP
	// sends to a sound server — each request as the answers before it
	// shape it, a step taken only on some answer included or not — and not
	// templates with unexpanded variables.
	sendTo := c.tcfg
	if c.dryRun {
		ref, err := servertest.NewServer()
		if err != nil {
			fmt.Fprintf(stderr, "scimharness simulate: dry run: starting the reference server: %v\n", err)
			return exitFail
		}
		defer ref.Close()
		sendTo.BaseURL, sendTo.Token, sendTo.OAuth2, sendTo.Transport = ref.URL, ref.Token, nil, nil
	}
	base := sendTo.ClientConfig()
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
	safe := target.SafeURL(c.tcfg.BaseURL)
	if !c.dryRun {
		// The probe is the harness's own request, not the IdP's, so it
		// goes out under the harness's User-Agent: a server recording
		// Okta's traffic must not see Okta read /ServiceProviderConfig.
		if _, _, err := target.Connect(ctx, c.tcfg); err != nil {
			return probeFailed(ctx, "simulate", err, stderr)
		}
	}

	rep := report.Report{
		Title:    "scimharness simulate: " + p.name,
		Target:   safe,
		IdP:      p.name,
		Mode:     c.mode,
		Command:  reproduce(fs, c),
		Started:  time.Now(),
		Sections: []report.Section{retrySection(c.tcfg)},
	}
	opts := scenario.Options{
		Mode:     scenario.Mode(c.mode),
		Prefix:   c.tcfg.Prefix,
		Keep:     c.keep && !c.dryRun,
		Evidence: pl.evidence,
	}
	if c.set["evidence"] {
		opts.Evidence, _ = scenario.ParseEvidence(c.evidence) // checked by check
	}
	if c.transcript != "" || c.dryRun {
		opts.Evidence = scenario.EvidenceAll
	}
	// On a terminal, one line kept up to date with the steps so far (none
	// with --quiet, nor in a pipe or a CI log).
	var progress *report.Progress
	if !c.dryRun && !c.out.quiet {
		progress = report.NewProgress(stderr, "steps", 0)
	}
	if progress != nil {
		opts.Progress = func(r scenario.Result) { progress.Count(r.Status) }
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
	progress.Clear()
	interrupted := ctx.Err() != nil
	rep.Summary = scenario.Summarize(rep.Results)
	if interrupted {
		// Steps not sent are Incomplete (scenario.Run): the verdict is no
		// pass, and the reports say how far the run got.
		ran := 0
		for _, r := range rep.Results {
			if r.Status != scenario.Incomplete {
				ran++
			}
		}
		rep.Interrupted = fmt.Sprintf("interrupted after %d of %d steps", ran, len(rep.Results))
	}

	if c.dryRun {
		return c.printDryRun(stdout, stderr, rep, sendTo.BaseURL, safe, planned)
	}
	if err := c.out.write(stdout, rep, rep.Command); err != nil {
		fmt.Fprintf(stderr, "scimharness simulate: %v\n", err)
		return exitFail
	}
	if c.keep {
		fmt.Fprintf(stdout, "kept what the run created: prefix %s (remove it with: %s)\n", c.prefix, cleanupCommand(c.prefix, safe))
	}
	if c.reportDir != "" {
		if err := report.WriteDir(c.reportDir, rep); err != nil {
			fmt.Fprintf(stderr, "scimharness simulate: writing the report: %v\n", err)
			return exitFail
		}
		fmt.Fprintf(stderr, "scimharness simulate: report written to %s\n", c.reportDir)
	}
	if c.transcript != "" {
		if err := os.WriteFile(c.transcript, []byte(report.Transcript(rep.Results, c.tcfg.Prefix, c.tcfg.BaseURL)), 0o644); err != nil {
			fmt.Fprintf(stderr, "scimharness simulate: writing the transcript: %v\n", err)
			return exitFail
		}
		fmt.Fprintf(stderr, "scimharness simulate: transcript written to %s\n", c.transcript)
	}
	if interrupted {
		fmt.Fprintln(stderr, "scimharness simulate: interrupted; what the run created was cleaned up (see the cleanup results)")
		return exitInterrupted
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
	// Entra, entra, ENTRA: the IdP's name, however it is written.
	c.idp = strings.ToLower(c.idp)
	p, ok := findIdP(c.idp)
	if !ok {
		return idp{}, fmt.Errorf("unknown --idp %q: use %s", c.idp, strings.Join(idpNames(), ", "))
	}
	for name := range set {
		if owner, _, ok := strings.Cut(name, "-"); ok && slices.Contains([]string{"entra", "google", "okta"}, owner) && owner != p.name {
			return idp{}, fmt.Errorf("--%s applies to --idp %s, not %s", name, owner, p.name)
		}
	}
	switch {
	case c.tcfg.BaseURL == "" && !c.dryRun:
		return idp{}, errors.New("--url is required: the SCIM base URL of the server under test")
	case c.tcfg.BaseURL != "":
		if _, err := target.ParseURL(c.tcfg.BaseURL); err != nil {
			return idp{}, err
		}
	}
	if c.users < 1 || c.groups < 0 {
		return idp{}, fmt.Errorf("--users must be at least 1 and --groups at least 0 (got %d and %d)", c.users, c.groups)
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

	c.oauth2Used = c.tf.OAuth2Used()
	if c.tcfg.Prefix == "" {
		c.tcfg.Prefix = scenario.NewPrefix()
	}
	c.prefix = c.tcfg.Prefix
	// Credentials and consent: the run writes users and groups, and a dry
	// run sends nothing.
	if !c.dryRun {
		if err := c.tcfg.Check(); err != nil {
			return idp{}, err
		}
	}
	return p, nil
}

// printDryRun prints the transcript of a dry run — rep's results, played
// against the reference server at refURL — and says on stderr that
// nothing went to target. A step that did not pass is the simulator's
// own bug (the reference server is sound): it is listed and the exit
// status says so, since the transcript then is not what the IdP sends.
func (c *simConfig) printDryRun(stdout, stderr io.Writer, rep report.Report, refURL, target string, planned int) int {
	fmt.Fprint(stdout, report.Transcript(rep.Results, c.tcfg.Prefix, refURL))
	sent := "nothing was sent"
	if target != "" {
		sent += " to " + target
	}
	fmt.Fprintf(stderr, "scimharness simulate: dry run: %d scenarios played against the in-process reference server; %s\n", planned, sent)
	code := exitOK
	for _, r := range rep.Results {
		if r.Status > scenario.Warn && r.Status != scenario.Incomplete {
			fmt.Fprintf(stderr, "scimharness simulate: dry run: %s / %s did not pass against the reference server (%s): %s\n", r.Scenario, r.Step, r.Status, r.Message)
			code = exitFail
		}
	}
	if rep.Interrupted != "" {
		return exitInterrupted
	}
	return code
}

// reproduce is the command line that repeats the run. Secrets become
// environment variables, never values: reports are shared.
func reproduce(fs *flag.FlagSet, c *simConfig) string {
	var env []string
	c.oauth2Used = c.tf.OAuth2Used()
	if !c.oauth2Used && (c.tf.Token != "" || c.tcfg.Token != "") {
		env = append(env, "SCIM_TOKEN=…")
	}
	if c.oauth2Used {
		env = append(env, "SCIM_OAUTH2_CLIENT_SECRET=…")
	}
	return commandLine("simulate", fs, env, c.tf.URL, "token", "oauth2-client-secret", "prefix", "list-bugs")
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

func listBugs(w io.Writer) {
	fmt.Fprintln(w, "Deliberate bugs for testing the harness (scimharness serve --bug NAME):")
	for _, b := range broken.All() {
		fmt.Fprintf(w, "  %-26s %s\n", b.Name, b.Description)
	}
}
