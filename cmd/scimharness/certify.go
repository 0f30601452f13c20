package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/scimharness/scimharness/certify"
	"github.com/scimharness/scimharness/certify/record"
	"github.com/scimharness/scimharness/harness/report"
)

const certifyHelp = `Usage: scimharness certify DIR|FILE [--report-dir OUT] [-v]

Grades what a SCIM client (an identity provider being validated) sent, from
a recording made by scimharness serve --record DIR: every *.jsonl file in DIR,
or one FILE.

Each request is graded for RFC 7643/7644 conformance — schemas and their
URNs, PATCH op names and paths, filter syntax, media type, JSON types, no
credential in the query string — and for the known behaviours of real IdPs
(Entra, Google, Okta, each from the document or log that shows it). Every
finding is a violation, a tolerated quirk (what a known IdP sends and
servers must accept) or a note, with its RFC clause or source and the
request. The terminal lists the findings by rule, with their count and the
first requests; -v lists every one.
The lifecycle coverage lists the steps the client exercised (connection
test, create, updates, disable, re-enable, delete, groups, membership,
paging) and those it never did.

Verdict: "not certified" on any violation, "certified with quirks" on any
tolerated quirk, else "certified".

With --report-dir the certification report is written there: report.html
(self-contained), report.json, junit.xml and certification.json (the
findings, fingerprints and coverage as data).

Exit status: 0 certified (with or without quirks), 1 not certified, 2 bad
usage or an unreadable recording.

Flags:
`

func certifyCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("certify", flag.ContinueOnError)
	setUsage(fs, certifyHelp, nil)
	reportDir := fs.String("report-dir", "", "write report.html, report.json, junit.xml and certification.json here")
	verbose := fs.Bool("v", false, "list every finding, not one line per rule")
	pos, code, ok := parseArgs(fs, "certify", args, true, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "scimharness certify: want one recording directory or file, got %d arguments\n", len(pos))
		fmt.Fprintln(stderr, "run 'scimharness certify -h' for its usage")
		return exitUsage
	}
	if err := checkReportDir(*reportDir); err != nil {
		fmt.Fprintf(stderr, "scimharness certify: %v\n", err)
		return exitUsage
	}
	recs, err := record.Read(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "scimharness certify: %v\n", err)
		return exitUsage
	}
	res := certify.Grade(recs)
	started := time.Now()
	for _, rc := range recs {
		if len(rc.Entries) > 0 {
			started = rc.Entries[0].Time
			break
		}
	}
	rep := res.Report("scimharness certify "+pos[0], started)
	writeCertifyText(stdout, res, *verbose)
	if *reportDir != "" {
		if err := report.WriteDir(*reportDir, rep); err != nil {
			fmt.Fprintf(stderr, "scimharness certify: %v\n", err)
			return exitFail
		}
		raw, err := json.MarshalIndent(res, "", "  ")
		if err == nil {
			err = os.WriteFile(filepath.Join(*reportDir, "certification.json"), append(raw, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "scimharness certify: %v\n", err)
			return exitFail
		}
		fmt.Fprintf(stdout, "report: %s\n", filepath.Join(*reportDir, report.HTMLFile))
	}
	if res.Verdict == certify.NotCertified {
		return exitFail
	}
	return exitOK
}

// writeCertifyText is the terminal summary: findings above notes, the
// fingerprints, the coverage table and the verdict. Findings are grouped by
// rule (a client repeats a habit on every request: 84 capitalised ops are
// one fact) unless verbose lists each.
func writeCertifyText(w io.Writer, res certify.Result, verbose bool) {
	var b strings.Builder
	for _, lv := range []certify.Level{certify.Violation, certify.Quirk, certify.Note} {
		if verbose {
			for _, f := range res.Findings {
				if f.Level == lv {
					fmt.Fprintf(&b, "%-15s #%d %s\n                %s: %s\n                source: %s\n", f.Level, f.Seq, f.Request, f.Rule, f.Message, f.Source)
				}
			}
			continue
		}
		for _, g := range groupFindings(res.Findings, lv) {
			f := g[0]
			fmt.Fprintf(&b, "%-15s %s ×%d, first #%d %s\n                %s\n                source: %s\n", f.Level, f.Rule, len(g), f.Seq, f.Request, f.Message, f.Source)
		}
	}
	for _, fp := range res.Fingerprints {
		fmt.Fprintf(&b, "fingerprint     %s: %s (%s; %s)\n", fp.IdP, fp.Behaviour, report.Plural(fp.Count, "requests"), fp.Source)
	}
	b.WriteString("\nlifecycle coverage\n")
	for _, c := range res.Coverage {
		mark, detail := "never", "the client never did this"
		if c.Exercised {
			mark, detail = "yes", fmt.Sprintf("%s, e.g. #%d %s", report.Plural(c.Count, "requests"), c.Seq, c.Example)
			if c.Failed > 0 {
				detail += fmt.Sprintf(" (%d not 2xx)", c.Failed)
			}
		}
		fmt.Fprintf(&b, "  %-32s %-6s %s\n", c.Step, mark, detail)
	}
	fmt.Fprintf(&b, "\n%s\n", res.Summary())
	io.WriteString(w, b.String())
}

// parseInterleaved parses flags that may come before or after the
// positional arguments ("certify DIR --report-dir OUT") and returns the
// positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// groupFindings returns the findings of level lv grouped by rule, in the
// order each rule first appears.
func groupFindings(fs []certify.Finding, lv certify.Level) [][]certify.Finding {
	var groups [][]certify.Finding
	at := map[string]int{}
	for _, f := range fs {
		if f.Level != lv {
			continue
		}
		i, ok := at[f.Rule]
		if !ok {
			i = len(groups)
			at[f.Rule] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], f)
	}
	return groups
}
