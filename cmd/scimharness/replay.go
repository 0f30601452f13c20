package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/scimharness/scimharness/certify"
	"github.com/scimharness/scimharness/certify/record"
	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/scenario"
)

const replayHelp = `Usage: scimharness replay DIR|FILE --url URL [--token TOKEN] [--yes] [flags]

Replays a recording made by scimharness serve --record DIR (every *.jsonl
file in DIR, or one FILE) against the SCIM server at URL, as a scenario:
the same requests in the same order, with the same Content-Type, Accept and
User-Agent, and the recorded answers as expectations — the status class
(2xx, 4xx…) and the key body fields (userName, displayName, externalId,
active; a list's totalResults).

Ids are mapped: the ids the target returns replace the recorded ones in
later paths and bodies. Names are marked: every userName, displayName and
externalId the recording created is sent as "<run prefix>-<name>", so the
replay's data is recognisable; it is deleted afterwards (--keep leaves it).
A write to a resource the replay did not create is skipped, never sent.
A URL that is not on this machine is refused unless --yes consents.

Exit status: 0 when every replayed request was answered as recorded (or
only SHOULD-level differences), 1 when one was not, 2 for bad usage or an
unreadable recording, 130 when the replay was interrupted (SIGINT,
SIGTERM): what was not replayed is reported incomplete, and what was
created is still deleted.

Flags:
`

func replayCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, replayHelp); fs.PrintDefaults() }
	target := fs.String("url", "", "SCIM base URL to replay against, e.g. http://127.0.0.1:8080/scim/v2")
	token := fs.String("token", "", "bearer token (default $SCIM_TOKEN)")
	yes := fs.Bool("yes", false, "consent to write to a server that is not on this machine")
	reportDir := fs.String("report-dir", "", "write report.html, report.json and junit.xml here")
	prefix := fs.String("prefix", "", "run prefix marking the replay's data (default: a new one)")
	keep := fs.Bool("keep", false, "do not delete what the replay created")
	dryRun := fs.Bool("dry-run", false, "print the requests instead of sending them")
	timeout := fs.Duration("timeout", client.DefaultTimeout, "timeout of each request")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "scimharness replay: want one recording directory or file, got %d arguments\n", len(pos))
		return exitUsage
	}
	if *target == "" {
		fmt.Fprintln(stderr, "scimharness replay: --url is required")
		return exitUsage
	}
	u, err := url.Parse(*target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintf(stderr, "scimharness replay: --url %q is not an absolute http(s) URL\n", *target)
		return exitUsage
	}
	if !*dryRun && !*yes && !isLoopback(u.Hostname()) {
		fmt.Fprintf(stderr, "scimharness replay: %s is not on this machine, and the replay creates, changes and deletes users and groups there (only its own); pass --yes to consent\n", u.Host)
		return exitUsage
	}
	if *token == "" {
		*token = getenv("SCIM_TOKEN")
	}
	recs, err := record.Read(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "scimharness replay: %v\n", err)
		return exitUsage
	}
	c, err := client.New(client.Config{BaseURL: *target, Token: *token, Timeout: *timeout})
	if err != nil {
		fmt.Fprintf(stderr, "scimharness replay: %v\n", err)
		return exitUsage
	}
	ro := scenario.Options{Prefix: *prefix, Keep: *keep, DryRun: *dryRun, Out: stdout}
	if ro.Prefix == "" {
		ro.Prefix = scenario.NewPrefix()
	}
	started := time.Now()
	var results []scenario.Result
	done := 0 // recordings replayed to their end
	for _, rc := range recs {
		rs := scenario.Run(ctx, c, certify.ReplayScenario(rc), ro)
		results = append(results, rs...)
		if ctx.Err() == nil {
			done++
		}
	}
	interrupted := ""
	if ctx.Err() != nil {
		interrupted = fmt.Sprintf("interrupted after %d of %d recordings", done, len(recs))
	}
	rep := report.Report{
		Title:   "scimharness replay of " + pos[0],
		Target:  *target,
		Mode:    "replay",
		Command: fmt.Sprintf("scimharness replay %s --url %s --token \"$SCIM_TOKEN\"", pos[0], *target),
		Started: started,
		Results: results,
		// Steps not replayed are Incomplete (scenario.Run), so the
		// verdict is not a pass; Interrupted says how far it got.
		Interrupted: interrupted,
	}
	if err := report.WriteText(stdout, rep); err != nil {
		fmt.Fprintf(stderr, "scimharness replay: %v\n", err)
		return exitFail
	}
	if *reportDir != "" {
		if err := report.WriteDir(*reportDir, rep); err != nil {
			fmt.Fprintf(stderr, "scimharness replay: %v\n", err)
			return exitFail
		}
	}
	if interrupted != "" {
		fmt.Fprintf(stderr, "scimharness replay: %s; the report says incomplete\n", interrupted)
		return exitInterrupted
	}
	if scenario.Summarize(results).Verdict >= scenario.Fail {
		return exitFail
	}
	return exitOK
}
