package conformance_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/suites/checks"
	"github.com/scimharness/scimharness/suites/results"
)

func TestConformance(t *testing.T) {
	RegisterFailHandler(Fail)
	// No colour codes in output that is not a terminal (go test's own, CI
	// logs, a pipe).
	suiteConfig, reporterConfig := GinkgoConfiguration()
	if fi, err := os.Stdout.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		reporterConfig.NoColor = true
	}
	// The target is opened before the spec tree is built: the
	// schema-driven checks are generated from what it declares in
	// /ResourceTypes and /Schemas, so they exist only once it answers.
	ctx := context.Background()
	var err error
	if tg, err = target.Open(ctx, target.ConfigFromEnv(os.Getenv)); err != nil {
		t.Fatalf("scimharness: %v", err)
	}
	defer tg.Close()
	generated, err := checks.SchemaChecks(ctx, tg)
	if err != nil {
		// The discovery checks judge an unreadable discovery; nothing
		// is generated from it.
		schemaProblem = err.Error()
	}
	suiteChecks = append(checks.All(), generated...)
	Describe("schema-driven checks, generated from the target's /Schemas", func() {
		for _, c := range generated {
			declare(c)
		}
	})
	RunSpecs(t, "SCIM conformance", suiteConfig, reporterConfig)
}

// The compiled suite's -h names the environment it reads.
func init() {
	// Ginkgo sets the command line's Usage; the environment goes after it.
	usage := flag.CommandLine.Usage
	flag.CommandLine.Usage = func() {
		usage()
		fmt.Fprint(flag.CommandLine.Output(), target.EnvHelp)
	}
}

var (
	tg      *target.Target
	started = time.Now()
	// suiteChecks are the checks of this run, hand-written then
	// generated, in report order.
	suiteChecks []checks.Check
	// schemaProblem says why no schema check was generated, if none was.
	schemaProblem string
)

// outcomeEntry names the report entry that carries a check's results from
// the spec (in whichever parallel process ran it) to ReportAfterSuite.
const outcomeEntry = "scimharness-results"

// record attaches the check's results to the spec's report.
func record(c checks.Check, rs []scenario.Result) {
	b, err := json.Marshal(rs)
	Expect(err).NotTo(HaveOccurred())
	AddReportEntry(outcomeEntry, string(b), ReportEntryVisibilityNever)
}

var _ = BeforeSuite(func() {
	AddReportEntry("target", fmt.Sprintf("%s (features: %s)", tg.BaseURL, strings.Join(tg.Features.List(), ", ")))
	if schemaProblem != "" {
		AddReportEntry("no schema-driven checks", schemaProblem)
	}
})

// A run against SCIM_BASE_URL must never be answered from go test's
// cache: the cache keys on the environment variables and files a test
// reads, not on the server behind the URL, so a second identical run
// would print "ok (cached)" even with the server down. When the suite ran
// against a URL it writes and opens a run marker as its last act: go test
// does not cache a result whose inputs include a file modified in the last
// two seconds (cmd/go's modTimeCutoff) inside the module, and the marker
// is new on every run. The README's command adds -count=1, which says the same in words;
// TestCachedRunCannotMasquerade proves the marker alone is enough.
const runMarker = ".scimharness-run"

var _ = AfterSuite(func() {
	if os.Getenv(target.EnvBaseURL) == "" {
		return // the in-process reference server: a cached result is a true one
	}
	// In the package directory: go test rechecks only inputs inside the
	// module (git ignores the file).
	marker := runMarker
	if err := os.WriteFile(marker, []byte(time.Now().Format(time.RFC3339Nano)), 0o644); err != nil {
		return
	}
	if f, err := os.Open(marker); err == nil { // recorded as an input of the run
		f.Close()
	}
})

var _ = Describe("RFC 7643/7644 conformance", func() {
	for _, c := range checks.All() {
		declare(c)
	}
})

// declare makes c a spec: it fails when a result of c fails; warnings
// are reported, never failed.
func declare(c checks.Check) {
	It(c.ID+": "+c.Name, Label(c.Labels()...), func(ctx SpecContext) {
		if missing := tg.Missing(c.Features); len(missing) > 0 {
			record(c, c.Run(ctx, tg))
			Skip("the target does not support " + strings.Join(missing, ", "))
		}
		rs := c.Run(context.WithoutCancel(ctx), tg)
		record(c, rs)
		var problems, warnings []string
		for _, r := range rs {
			// The reason on the step's line, what was sent and received under it.
			reason, detail, _ := strings.Cut(r.Message, "\n")
			line := strings.TrimRight(fmt.Sprintf("%s / %s: %s: %s [%s · %s]\n%s", r.Scenario, r.Step, r.Status, reason, r.Level, r.Clause, detail), "\n")
			switch {
			case r.Status >= scenario.Fail:
				problems = append(problems, line)
			case r.Status == scenario.Warn:
				warnings = append(warnings, line)
			}
		}
		for _, w := range warnings {
			AddReportEntry("warning", w) // a failing SHOULD or MAY: reported, never failed
		}
		// Fail, not Expect(problems).To(BeEmpty(), text): Gomega prints
		// the slice after the text, so each failure was printed twice.
		if len(problems) > 0 {
			Fail(fmt.Sprintf("%s (%s) failed:\n%s", c.ID, c.Clause, strings.Join(problems, "\n")))
		}
	})
}

// The certification report is written after the suite from the same
// results the specs judged; Ginkgo's own JUnit/JSON reporters see specs.
var _ = ReportAfterSuite("certification report", func(r Report) {
	dir := os.Getenv("SCIM_REPORT_DIR")
	if dir == "" || tg == nil {
		return
	}
	byID := map[string][]scenario.Result{}
	// An interrupted suite (Ctrl-C, a timeout) never writes a passing
	// report: the spec cut off and the specs it skipped are incomplete (a
	// spec filtered out by label too: such a run is incomplete either way).
	interrupted := len(r.SpecialSuiteFailureReasons) > 0 && !r.SuiteSucceeded
	for _, sr := range r.SpecReports {
		if id, _, ok := strings.Cut(sr.LeafNodeText, ": "); ok && (sr.State.Is(types.SpecStateInterrupted|types.SpecStateAborted|types.SpecStateTimedout) || interrupted && sr.State == types.SpecStateSkipped) {
			byID[id] = []scenario.Result{{Scenario: id, Step: sr.LeafNodeText, Status: scenario.Incomplete, Verified: true,
				Message: "incomplete: the suite was interrupted (" + strings.Join(r.SpecialSuiteFailureReasons, "; ") + ")"}}
		}
		for _, e := range sr.ReportEntries {
			if e.Name != outcomeEntry {
				continue
			}
			var rs []scenario.Result
			Expect(json.Unmarshal([]byte(e.Value.String()), &rs)).To(Succeed())
			if len(rs) > 0 {
				byID[rs[0].Scenario] = rs
			}
		}
	}
	var outcomes []checks.Outcome // in check order, whatever order the specs ran in
	for _, c := range suiteChecks {
		if rs, ok := byID[c.ID]; ok {
			outcomes = append(outcomes, checks.Outcome{Check: c, Results: rs})
		}
	}
	cert := results.Certification{
		Title:    "scimharness conformance",
		Target:   tg,
		Command:  reproduce(),
		Started:  started,
		Outcomes: outcomes,
	}
	Expect(cert.WriteDir(dir)).To(Succeed())
})

// reproduce is the command that repeats this run; secrets are named as
// environment variables, never written.
func reproduce() string {
	var env []string
	for _, k := range []string{target.EnvBaseURL, target.EnvFeatures, target.EnvSkipFeatures, target.EnvStore, target.EnvYes} {
		if v := os.Getenv(k); v != "" {
			env = append(env, k+"="+target.SafeURL(v))
		}
	}
	if os.Getenv(target.EnvToken) != "" {
		env = append(env, target.EnvToken+"=…")
	}
	if os.Getenv(target.EnvClientSecret) != "" {
		env = append(env, target.EnvTokenURL+"="+os.Getenv(target.EnvTokenURL), target.EnvClientID+"="+os.Getenv(target.EnvClientID), target.EnvClientSecret+"=…")
	}
	return strings.TrimSpace(strings.Join(env, " ") + " go test ./suites/conformance/")
}
