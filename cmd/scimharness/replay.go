package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/scimharness/scimharness/certify"
	"github.com/scimharness/scimharness/certify/record"
	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
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
	setUsage(fs, replayHelp, nil)
	tf := target.AddFlags(fs, target.FlagSpec{What: "the server to replay against", OAuth2: true, Retries: true})
	reportDir := fs.String("report-dir", "", "write report.html, report.json and junit.xml here")
	keep := fs.Bool("keep", false, "do not delete what the replay created; the prefix is printed")
	dryRun := fs.Bool("dry-run", false, "print the requests instead of sending them")
	out := addOutputFlags(fs)
	pos, code, ok := parseArgs(fs, "replay", args, true, stdout, stderr)
	if !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "scimharness replay: "+format+"\n", a...)
		return exitUsage
	}
	if len(pos) != 1 {
		return usageErr("want one recording directory or file, got %d arguments", len(pos))
	}
	tcfg, err := tf.Config(getenv)
	if err != nil {
		return usageErr("%v", err)
	}
	if tcfg.BaseURL == "" {
		return usageErr("--url is required: the SCIM base URL to replay against")
	}
	if _, err := target.ParseURL(tcfg.BaseURL); err != nil {
		return usageErr("%v", err)
	}
	if tcfg.Prefix == "" {
		tcfg.Prefix = scenario.NewPrefix()
	}
	if !*dryRun {
		if err := tcfg.Check(); err != nil {
			return usageErr("%v", err)
		}
	}
	if err := checkReportDir(*reportDir); err != nil {
		return usageErr("%v", err)
	}
	var c *client.Client
	if *dryRun {
		// Nothing is sent: no credentials, consent or probe needed.
		c, err = client.New(client.Config{BaseURL: tcfg.BaseURL, Timeout: tcfg.Timeout})
		if err != nil {
			return usageErr("%v", err)
		}
	} else {
		// Credentials, consent and the probe first: a wrong token or URL is
		// one line and exit 2, not thousands of failed replayed requests.
		if c, _, err = target.Connect(ctx, tcfg); err != nil {
			return probeFailed(ctx, "replay", err, stderr)
		}
	}
	recs, err := record.Read(pos[0])
	if err != nil {
		return usageErr("%v", err)
	}
	ro := scenario.Options{Prefix: tcfg.Prefix, Keep: *keep, DryRun: *dryRun, Out: stdout}
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
	safe := target.SafeURL(tcfg.BaseURL)
	env := ""
	switch {
	case tcfg.OAuth2 != nil:
		env = "SCIM_OAUTH2_CLIENT_SECRET=… "
	case tcfg.Token != "":
		env = "SCIM_TOKEN=… "
	}
	rep := report.Report{
		Title:    "scimharness replay of " + pos[0],
		Target:   safe,
		Mode:     "replay",
		Command:  env + commandLine("replay", fs, nil, tcfg.BaseURL, "token", "oauth2-client-secret", "prefix") + " " + shellQuote(pos[0]),
		Started:  started,
		Results:  results,
		Sections: []report.Section{retrySection(tcfg)},
		// Steps not replayed are Incomplete (scenario.Run), so the
		// verdict is not a pass; Interrupted says how far it got.
		Interrupted: interrupted,
	}
	if err := out.write(stdout, rep, rep.Command); err != nil {
		fmt.Fprintf(stderr, "scimharness replay: %v\n", err)
		return exitFail
	}
	if *keep {
		fmt.Fprintf(stdout, "kept what the replay created: prefix %s (remove it with: %s)\n", tcfg.Prefix, cleanupCommand(tcfg.Prefix, tcfg.BaseURL))
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
