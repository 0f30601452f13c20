package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/scenario"
	sutarget "github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/suites/differential"
)

const fuzzHelp = `Usage: scimharness fuzz [--url URL [--token TOKEN]] [flags]

Differential fuzzing: seeds the server under test and an in-process
reference server with the same generated users (and groups with them as
members, when the server declares Groups), sends both the same random but
valid requests (filters with and/or/not, value paths and case variants;
sorted pages; attributes/excludedAttributes; PATCH sequences on users and
on groups' members, each read back; members compared as a set of users,
ids mapped between the sides), and stops at
the first answer on which they disagree. The disagreement is shrunk to the
smallest request (or PATCH sequence) and then the smallest set of users
that still disagree, and printed with the users' POST bodies, the request,
both answers, the RFC 7644 clause and curl commands. --save DIR keeps it
as a regression case. Without --url the
reference server is fuzzed against itself: a disagreement there is a bug of
the harness. Everything created carries the run prefix and is deleted.

With --replay DIR it fuzzes nothing: each case saved there by --save is
replayed — its users and groups created under this run's prefix, its
requests sent, each answer judged against what the reference answered
when the case was saved — and deleted again; a case the in-process
reference no longer answers as saved is reported stale, not failed.

Exit status: 0 no disagreement (every case passes), 1 a disagreement (a
case fails), 2 bad usage, an unreachable target or a case that cannot be
judged, 130 interrupted.

Flags:
`

func fuzzCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
	setUsage(fs, fuzzHelp, nil)
	tf := sutarget.AddFlags(fs, sutarget.FlagSpec{What: "the server under test (default: the reference server, in process)", OAuth2: true, Retries: true})
	seed := fs.Uint64("seed", 0, "seed of the generator: the same seed sends the same requests (default: from the clock, printed)")
	requests := fs.Int("requests", 500, "generated requests to compare (with --duration: at most)")
	duration := fs.Duration("duration", 0, "stop after this long, e.g. 10m (with --requests 0: only by time)")
	users := fs.Int("users", 12, "users seeded on both sides")
	save := fs.String("save", "", "write the disagreement as a JSON regression case into this directory")
	replay := fs.String("replay", "", "replay the cases saved in this directory (by --save) instead of fuzzing")
	if code, ok := parseFlags(fs, "fuzz", args, stdout, stderr); !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "scimharness fuzz: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	if *requests < 0 || (*requests == 0 && *duration <= 0) || *users <= 0 || *duration < 0 {
		return usageErr("--users must be positive, and --requests too unless --duration bounds the run")
	}
	if *replay != "" && *save != "" {
		return usageErr("--replay and --save do not go together")
	}
	if tf.URL == "" && (tf.Token != "" || tf.OAuth2Used()) {
		return usageErr("--token and --oauth2-* need --url: without --url the reference server is fuzzed against itself")
	}
	env := getenv
	if tf.URL == "" { // $SCIM_TOKEN is for a server named by --url
		env = func(k string) string {
			if k == sutarget.EnvToken {
				return ""
			}
			return getenv(k)
		}
	}
	cfg, err := tf.Config(env)
	if err != nil {
		return usageErr("%v", err)
	}
	if cfg.Prefix == "" {
		cfg.Prefix = scenario.NewPrefix()
	}
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano())
	}
	tg, err := sutarget.Open(ctx, cfg)
	if err != nil {
		if errors.Is(err, sutarget.ErrProbe) || errors.Is(err, sutarget.ErrConsent) {
			return probeFailed(ctx, "fuzz", err, stderr)
		}
		return usageErr("%v", err)
	}
	defer tg.Close()
	ref, err := sutarget.Open(ctx, sutarget.Config{Prefix: cfg.Prefix, Timeout: cfg.Timeout})
	if err != nil {
		fmt.Fprintf(stderr, "scimharness fuzz: the reference server: %v\n", err)
		return exitFail
	}
	defer ref.Close()
	if *replay != "" {
		return replayCases(ctx, *replay, tg, ref, cfg.Prefix, stdout, stderr)
	}

	fmt.Fprintf(stdout, "fuzz: %s against the reference server, seed %d, %d users, %d requests, prefix %s\n",
		tg.BaseURL, *seed, *users, *requests, cfg.Prefix)
	started := time.Now()
	// On a terminal, one line kept up to date with the requests so far; in
	// a pipe or a CI log a line every 1000 requests.
	progress := report.NewProgress(stderr, "requests", *requests)
	res, err := differential.Run(ctx, differential.Config{
		Target: tg.Client, Reference: ref.Client,
		Sort: tg.Supports(sutarget.Sort), Patch: tg.Supports(sutarget.Patch), Groups: tg.Supports(sutarget.Groups),
		Seed: *seed, Requests: *requests, Duration: *duration, Users: *users, Prefix: cfg.Prefix,
		Progress: func(done, total int) {
			if progress != nil {
				progress.Count(scenario.Pass) // each request so far agreed
			} else if done%1000 == 0 {
				fmt.Fprintf(stderr, "fuzz: %d requests, 0 disagreements, %s\n", done, time.Since(started).Round(100*time.Millisecond))
			}
		},
	})
	progress.Clear()
	for _, e := range resultCleanup(res) {
		fmt.Fprintf(stderr, "fuzz: cleanup: %s\n", e)
	}
	if res == nil {
		res = &differential.Result{}
	}
	reproduce := fmt.Sprintf("scimharness fuzz --url %s --seed %d --users %d --requests %d", sutarget.SafeURL(tg.BaseURL), *seed, *users, res.Requests)
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stdout, "fuzz: interrupted after %d of %d requests: no verdict\n", res.Requests, *requests)
		return exitInterrupted
	case err != nil:
		fmt.Fprintf(stderr, "scimharness fuzz: %v\n", err)
		return exitFail
	case res.Disagreement != nil:
		fmt.Fprint(stdout, res.Disagreement.Format(sutarget.SafeURL(tg.BaseURL)))
		if *save != "" {
			p, err := res.Disagreement.Save(*save, *seed)
			if err != nil {
				fmt.Fprintf(stderr, "scimharness fuzz: --save: %v\n", err)
				return exitFail
			}
			fmt.Fprintf(stdout, "saved: %s\n", p)
		}
		fmt.Fprintf(stdout, "fail: a disagreement after %d requests; reproduce the run: %s\n", res.Requests, reproduce)
		return exitFail
	}
	fmt.Fprintf(stdout, "pass: %d requests, no disagreement (%s)\n", res.Requests, time.Since(started).Round(100*time.Millisecond))
	return exitOK
}

func resultCleanup(res *differential.Result) []string {
	if res == nil {
		return nil
	}
	return res.CleanupErrors
}

// replayCases replays every case of dir against the target, after checking
// that the in-process reference still answers it as saved (a case it does
// not is stale: it says nothing about the target).
func replayCases(ctx context.Context, dir string, tg, ref *sutarget.Target, prefix string, stdout, stderr io.Writer) int {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		fmt.Fprintf(stderr, "scimharness fuzz: --replay: no *.json case in %s\n", dir)
		return exitUsage
	}
	var pass, fail, unjudged int
	for i, f := range files {
		if ctx.Err() != nil {
			fmt.Fprintf(stdout, "fuzz: interrupted after %d of %d cases: no verdict\n", i, len(files))
			return exitInterrupted
		}
		name := filepath.Base(f)
		cs, err := differential.Load(f)
		if err != nil {
			fmt.Fprintf(stdout, "error %s: %v\n", name, err)
			unjudged++
			continue
		}
		// Each case under its own prefix: one left over cannot disturb the next.
		p := fmt.Sprintf("%s-%dx", prefix, i+1)
		why, leftovers, err := differential.Replay(ctx, ref.Client, cs, p)
		for _, l := range leftovers {
			fmt.Fprintf(stderr, "fuzz: cleanup (reference): %s\n", l)
		}
		if err != nil || why != "" {
			fmt.Fprintf(stdout, "stale %s: the reference no longer answers it as saved: %s%v\n", name, why, errOrNil(err))
			unjudged++
			continue
		}
		why, leftovers, err = differential.Replay(ctx, tg.Client, cs, p)
		for _, l := range leftovers {
			fmt.Fprintf(stderr, "fuzz: cleanup: %s\n", l)
		}
		switch {
		case err != nil:
			fmt.Fprintf(stdout, "error %s: %v\n", name, err)
			unjudged++
		case why != "":
			fmt.Fprintf(stdout, "fail  %s (%s, %s): %s\n", name, cs.Kind, cs.Clause, why)
			fail++
		default:
			fmt.Fprintf(stdout, "pass  %s (%s, %s)\n", name, cs.Kind, cs.Clause)
			pass++
		}
	}
	fmt.Fprintf(stdout, "replay: %d cases, %d pass, %d fail, %d not judged\n", len(files), pass, fail, unjudged)
	switch {
	case fail > 0:
		return exitFail
	case unjudged > 0:
		return exitUsage
	}
	return exitOK
}

func errOrNil(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
