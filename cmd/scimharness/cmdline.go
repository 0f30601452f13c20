package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/target"
)

// commandLine is the command line that repeats a run of `scimharness
// command`, for reports: env first (secrets named as environment variables,
// never written), then every flag that was set, sorted, except those in
// skip; the URL is written without credentials (target.SafeURL).
func commandLine(command string, fs *flag.FlagSet, env []string, url string, skip ...string) string {
	args := []string{"scimharness", command}
	var names []string
	fs.Visit(func(f *flag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	for _, name := range names {
		if slices.Contains(skip, name) {
			continue
		}
		if name == "url" {
			args = append(args, "--url", shellQuote(target.SafeURL(url)))
			continue
		}
		f := fs.Lookup(name)
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			args = append(args, "--"+name+"="+f.Value.String())
			continue
		}
		args = append(args, "--"+name, shellQuote(f.Value.String()))
	}
	return strings.Join(append(env, args...), " ")
}

// probeFailed reports a target that cannot be used (target.Connect's error:
// unreachable, credentials refused, wrong base URL, no consent) in one line
// and returns exit 2; an interrupted probe exits 1.
func probeFailed(ctx context.Context, cmd string, err error, stderr io.Writer) int {
	if ctx.Err() != nil {
		fmt.Fprintf(stderr, "scimharness %s: interrupted\n", cmd)
		return exitFail
	}
	fmt.Fprintf(stderr, "scimharness %s: %v\n", cmd, err)
	return exitUsage
}

// checkReportDir makes sure the report can be written before the run
// rather than failing at its end: it creates dir and a file in it.
func checkReportDir(dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--report-dir: %v", err)
	}
	f, err := os.CreateTemp(dir, ".scimharness-check-*")
	if err != nil {
		return fmt.Errorf("--report-dir %s is not writable: %v", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// setUsage makes fs's help: text, the flags (spelt --x, as the text spells
// them), then extra. It prints to fs.Output(), which parseFlags points at
// stdout for -h and --help: help asked for is output, not an error.
func setUsage(fs *flag.FlagSet, text string, extra func(io.Writer)) {
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, text)
		printDefaults(w, fs)
		if extra != nil {
			extra(w)
		}
	}
}

// printDefaults is fs.PrintDefaults with each flag spelt --x.
func printDefaults(w io.Writer, fs *flag.FlagSet) {
	var b strings.Builder
	out := fs.Output()
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(out)
	for line := range strings.Lines(b.String()) {
		if strings.HasPrefix(line, "  -") {
			line = "  --" + line[3:]
		}
		io.WriteString(w, line)
	}
}

// parseFlags parses args into fs. -h and --help print the help on stdout
// (exit 0); a bad flag gets one line and a hint, never the whole help, on
// stderr (exit 2). ok is false when the command should return code.
func parseFlags(fs *flag.FlagSet, cmd string, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	_, code, ok = parseArgs(fs, cmd, args, false, stdout, stderr)
	return code, ok
}

// parseArgs is parseFlags; with interleaved, flags may also come after the
// positional arguments ("certify DIR --report-dir OUT"), which it returns.
func parseArgs(fs *flag.FlagSet, cmd string, args []string, interleaved bool, stdout, stderr io.Writer) (pos []string, code int, ok bool) {
	help := fs.Usage
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	var err error
	if interleaved {
		pos, err = parseInterleaved(fs, args)
	} else {
		err = fs.Parse(args)
		pos = fs.Args()
	}
	fs.Usage = help
	fs.SetOutput(stdout)
	switch {
	case err == nil:
		return pos, exitOK, true
	case errors.Is(err, flag.ErrHelp):
		help()
		return nil, exitOK, false
	}
	fmt.Fprintf(stderr, "scimharness %s: %s\n", cmd, flagError(err))
	fmt.Fprintf(stderr, "run 'scimharness %s -h' for its flags\n", cmd)
	return nil, exitUsage, false
}

// flagError is the flag package's message with the flag spelt --x.
func flagError(err error) string {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return "unknown flag --" + strings.TrimPrefix(rest, "-")
	}
	msg = strings.Replace(msg, "flag -", "flag --", 1)
	return strings.Replace(msg, "argument: -", "argument: --", 1)
}

// retrySection records the retry policy in a report: a verdict on a server
// that answered 429 depends on it.
func retrySection(c target.Config) report.Section {
	return report.Section{Title: "Requests", Rows: []report.SectionRow{{Label: "retries", Value: c.RetryNote()}}}
}

// outputFlags are -v and --quiet of the commands that print a report.
type outputFlags struct{ verbose, quiet bool }

func addOutputFlags(fs *flag.FlagSet) *outputFlags {
	o := &outputFlags{}
	fs.BoolVar(&o.verbose, "v", false, "print every step, not one line per check or scenario")
	fs.BoolVar(&o.quiet, "quiet", false, "print only the failures and the counts")
	return o
}

// write prints rep on the terminal as the flags say.
func (o *outputFlags) write(w io.Writer, rep report.Report, reproduce string) error {
	return report.WriteChecks(w, rep, report.TextOptions{Steps: o.verbose, Quiet: o.quiet, Reproduce: reproduce})
}
