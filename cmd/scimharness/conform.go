package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/suites/checks"
	"github.com/scimharness/scimharness/suites/results"
)

const conformHelp = `Usage: scimharness conform [--url URL [--token TOKEN]] [flags]

Runs the SCIM conformance checks (the same checks as go test ./suites/...)
against the server at URL or, without --url, against the reference server
started in this process (memory store; --store postgres with --database-url
keeps it in PostgreSQL, without it a throwaway PostgreSQL is started): discovery, CRUD and PUT, every PATCH form, the
filter grammar, sort, paging, attributes, ETags, Bulk, /.search, /Me, media
types and error bodies. Each check names the RFC clause it tests and its
level: a failing MUST fails, a failing SHOULD warns. Checks for features the
server's /ServiceProviderConfig does not declare are skipped, never failed
(--features and --skip-features override it).

The checks named schema/TYPE/ATTRIBUTE/KIND are generated from the target's
own /ResourceTypes and /Schemas: for every writable attribute a create, PUT
and PATCH replace (with and without a path), add and remove, each read back
through the write's answer, GET by id, the create's Location, a filter and
POST /.search, with id, meta and ETag held constant as the RFC says; PUT
?attributes= and ?excludedAttributes= shape the answer (§3.9). The
"attributes:" line and the reports group them by resource type and
attribute (--only schema/User/emails/ selects one attribute's).

Everything the run creates carries a run prefix and is deleted afterwards;
existing data is never changed. A URL that is not on this machine is refused
unless --yes consents.

With --report-dir the certification report is written there: results.yaml,
report.html (self-contained), report.json and junit.xml.

Exit status: 0 when every MUST passed (rfc-edge checks do not count), 1 when
a check failed or could not be judged, 2 for bad usage or a target that
cannot be reached, 130 when the run was interrupted (SIGINT, SIGTERM): the
checks not run are reported incomplete, and what was created is still
deleted.

Flags:
`

type conformConfig struct {
	tf                                *target.Flags
	tcfg                              target.Config
	reportDir, features, skipFeatures string
	only, store, databaseURL          string
	list                              bool
}

func conform(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c := &conformConfig{}
	fs := flag.NewFlagSet("conform", flag.ContinueOnError)
	setUsage(fs, conformHelp, nil)
	c.tf = target.AddFlags(fs, target.FlagSpec{What: "the server under test", OAuth2: true, Retries: true})
	fs.StringVar(&c.reportDir, "report-dir", "", "write results.yaml, report.html, report.json and junit.xml into this directory")
	fs.StringVar(&c.features, "features", "", "features to test whatever the server declares, comma-separated: "+strings.Join(target.Known, ","))
	fs.StringVar(&c.skipFeatures, "skip-features", "", "features to skip whatever the server declares, comma-separated")
	fs.StringVar(&c.only, "only", "", "run only the checks whose id starts with one of these, comma-separated (e.g. filter/,patch/atomic)")
	fs.StringVar(&c.store, "store", "", "without --url: store of the in-process reference server, memory (default) or postgres")
	fs.StringVar(&c.databaseURL, "database-url", "", "without --url, with --store postgres: PostgreSQL URL of the in-process server (default $SCIM_DATABASE_URL; a throwaway PostgreSQL if neither)")
	fs.BoolVar(&c.list, "list", false, "list the checks and exit")
	out := addOutputFlags(fs)
	if code, ok := parseFlags(fs, "conform", args, stdout, stderr); !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "scimharness conform: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	prefixes := target.SplitList(c.only)
	selected := selectChecks(prefixes)
	generate := checks.SelectsSchema(prefixes)
	if c.list {
		for _, ch := range selected {
			fmt.Fprintf(stdout, "%-40s %-6s %-8s %-22s %s\n", ch.ID, ch.LevelOf(), ch.ProfileOf(), strings.Join(ch.Features, ","), ch.Clause)
		}
		if generate {
			fmt.Fprintf(stdout, "%-40s generated at run time from the target's /ResourceTypes and /Schemas\n", checks.SchemaArea+"TYPE/ATTRIBUTE/KIND")
		}
		return exitOK
	}
	if len(selected) == 0 && !generate {
		return usageErr("--only %q selects no check (see --list)", c.only)
	}
	if c.tf.URL == "" && (c.tf.Token != "" || c.tf.OAuth2Used()) {
		// Credentials without a URL are a forgotten --url, not a wish to
		// test the in-process server.
		return usageErr("--token and --oauth2-* need --url: without --url the reference server is started in process")
	}
	if c.tf.URL != "" && (c.store != "" || c.databaseURL != "") {
		return usageErr("--store and --database-url choose the store of the in-process reference server; they do not go with --url")
	}
	if c.store != "" && c.store != "memory" && c.store != "postgres" {
		return usageErr("--store %q: use memory or postgres", c.store)
	}
	if c.tf.URL == "" && c.store == "postgres" && c.databaseURL == "" {
		c.databaseURL = getenv("SCIM_DATABASE_URL")
	}
	if c.databaseURL != "" && c.store != "postgres" {
		return usageErr("--database-url needs --store postgres")
	}
	env := getenv
	if c.tf.URL == "" {
		// $SCIM_TOKEN is for a server named by --url, not the in-process one.
		env = func(k string) string {
			if k == target.EnvToken {
				return ""
			}
			return getenv(k)
		}
	}
	cfg, err := c.tf.Config(env)
	if err != nil {
		return usageErr("%v", err)
	}
	cfg.Features, cfg.SkipFeatures = target.SplitList(c.features), target.SplitList(c.skipFeatures)
	// Asked for by name, PostgreSQL is required: no silent fall-back.
	cfg.Store, cfg.RequirePostgres, cfg.DatabaseURL = c.store, c.store == "postgres", c.databaseURL
	c.tcfg = cfg
	if err := checkReportDir(c.reportDir); err != nil {
		return usageErr("%v", err)
	}
	tg, err := target.Open(ctx, cfg)
	if err != nil {
		if errors.Is(err, target.ErrProbe) || errors.Is(err, target.ErrConsent) {
			return probeFailed(ctx, "conform", err, stderr)
		}
		return usageErr("%v", err)
	}
	defer tg.Close()

	cert := results.Certification{
		Title:   "scimharness conform",
		Target:  tg,
		Command: conformCommand(fs, c),
		Started: time.Now(),
	}
	if generate {
		// The schema checks are made from what this target declares.
		gen, err := checks.SchemaChecks(ctx, tg)
		if err != nil {
			fmt.Fprintf(stderr, "scimharness conform: no schema checks: %v\n", err)
		}
		selected = append(selected, checks.Select(gen, prefixes)...)
		if len(selected) == 0 {
			fmt.Fprintf(stderr, "scimharness conform: --only %q selects no check of this target\n", c.only)
			return exitFail
		}
	}
	// On a terminal, one line kept up to date with the checks so far (none
	// with --quiet, nor in a pipe or a CI log).
	var onOutcome func(checks.Outcome)
	var progress *report.Progress
	if !out.quiet {
		progress = report.NewProgress(stderr, "checks", len(selected))
	}
	if progress != nil {
		onOutcome = func(o checks.Outcome) { progress.Count(o.Status()) }
	}
	cert.Outcomes = checks.RunAll(ctx, tg, selected, onOutcome)
	progress.Clear()
	rep := cert.Report()
	if err := out.write(stdout, rep, rep.Command); err != nil {
		fmt.Fprintf(stderr, "scimharness conform: %v\n", err)
		return exitFail
	}
	if tg.InProcess {
		fmt.Fprintf(stdout, "target: the reference server, in process (%s store)\n", tg.Store)
	}
	fmt.Fprintf(stdout, "features declared: %s; tested: %s\n", orNone(tg.Declared.List()), orNone(tg.Features.List()))
	if line := attributeLine(cert.Attributes()); line != "" {
		fmt.Fprintln(stdout, line)
	}
	for _, p := range cert.Profiles() {
		fmt.Fprintf(stdout, "profile %-8s %s\n", p.Profile, p.Verdict)
	}
	if c.reportDir != "" {
		if err := cert.WriteDir(c.reportDir); err != nil {
			fmt.Fprintf(stderr, "scimharness conform: writing the report: %v\n", err)
			return exitFail
		}
		fmt.Fprintf(stderr, "scimharness conform: report written to %s\n", c.reportDir)
	}
	fmt.Fprintf(stdout, "verdict: %s (%s)\n", cert.Verdict(), cert.Run())
	if run := cert.Run(); !run.Complete() || ctx.Err() != nil {
		fmt.Fprintf(stderr, "scimharness conform: %s; the report says incomplete\n", run)
		return exitInterrupted
	}
	if !checks.Passed(cert.Outcomes) {
		return exitFail
	}
	return exitOK
}

// attributeLine sums up the generated checks by attribute: how many
// attributes were exercised, and those a check failed or warned on with
// the kinds that did ("" when none was generated).
func attributeLine(attrs []results.Attribute) string {
	if len(attrs) == 0 {
		return ""
	}
	var bad []string
	for _, a := range attrs {
		if kinds := a.Problems(); len(kinds) > 0 {
			bad = append(bad, a.ResourceType+" "+a.Attribute+" ("+strings.Join(kinds, ", ")+")")
		}
	}
	line := fmt.Sprintf("attributes: %d exercised by generated checks, %d with problems", len(attrs), len(bad))
	if len(bad) > 0 {
		line += ": " + strings.Join(bad, "; ")
	}
	return line
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// selectChecks returns the hand-written checks whose ID starts with one of
// prefixes (all of them when there is none); the schema checks are
// generated once the target is open (checks.SelectsSchema).
func selectChecks(prefixes []string) []checks.Check {
	return checks.Select(checks.All(), prefixes)
}

// conformCommand is the command line that repeats the run; secrets are
// named as environment variables, never written.
func conformCommand(fs *flag.FlagSet, c *conformConfig) string {
	var env []string
	if c.tcfg.OAuth2 == nil && c.tcfg.Token != "" && c.tcfg.BaseURL != "" {
		env = append(env, "SCIM_TOKEN=…")
	}
	if c.tcfg.OAuth2 != nil {
		env = append(env, "SCIM_OAUTH2_CLIENT_SECRET=…")
	}
	if c.databaseURL != "" {
		// A PostgreSQL URL may carry a password, in its user part or its
		// query: named, never written.
		env = append(env, "SCIM_DATABASE_URL=…")
	}
	return commandLine("conform", fs, env, c.tcfg.BaseURL, "token", "oauth2-client-secret", "prefix", "database-url")
}
