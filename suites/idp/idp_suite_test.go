package idp_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/simulators/entra"
	"github.com/scimharness/scimharness/simulators/google"
	"github.com/scimharness/scimharness/simulators/okta"
)

func TestIdPs(t *testing.T) {
	RegisterFailHandler(Fail)
	// No colour codes in output that is not a terminal (go test's own, CI
	// logs, a pipe).
	suiteConfig, reporterConfig := GinkgoConfiguration()
	if fi, err := os.Stdout.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		reporterConfig.NoColor = true
	}
	RunSpecs(t, "IdP simulations", suiteConfig, reporterConfig)
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

var tg *target.Target

var _ = BeforeSuite(func(ctx SpecContext) {
	var err error
	tg, err = target.Open(ctx, target.ConfigFromEnv(os.Getenv))
	if err != nil {
		// The message alone: HaveOccurred printed it twice, under its Go type.
		Fail(err.Error())
	}
	DeferCleanup(tg.Close)
})

// problems lists the results a spec fails on: a MUST missed (Fail) or
// nothing to judge (Error). Warnings are reported, not failed.
func problems(rs []scenario.Result) []string {
	var out []string
	for _, r := range rs {
		if r.Status == scenario.Warn {
			AddReportEntry("warning", fmt.Sprintf("%s / %s: %s", r.Scenario, r.Step, r.Message))
		}
		if r.Status >= scenario.Fail {
			// The reason on the step's line, what was sent and received under it.
			reason, detail, _ := strings.Cut(r.Message, "\n")
			out = append(out, strings.TrimRight(fmt.Sprintf("%s / %s: %s: %s [%s]\n%s", r.Scenario, r.Step, r.Status, reason, r.Clause, detail), "\n"))
		}
	}
	return out
}

func dressed(dress func(client.Config) client.Config) *client.Client {
	cl, err := client.New(dress(tg.ClientConfig()))
	Expect(err).NotTo(HaveOccurred())
	return cl
}

func expectClean(rs []scenario.Result) {
	Expect(rs).NotTo(BeEmpty())
	// Fail, not Expect(p).To(BeEmpty(), text): Gomega prints the slice
	// after the text, so each failure was printed twice.
	if p := problems(rs); len(p) > 0 {
		Fail(strings.Join(p, "\n"))
	}
}

var _ = Describe("Entra ID", Label("entra", "idp"), func() {
	// Entra runs as a whole (Test Connection first, quarantine across
	// cycles), so one spec per role mode rather than per scenario.
	for _, mode := range []entra.RoleMode{"", entra.RoleMode("single"), entra.RoleMode("complex"), entra.RoleMode("assertive")} {
		name := string(mode)
		if name == "" {
			name = "no role mapping"
		}
		It("provisions users and groups ("+name+")", func(ctx SpecContext) {
			rm, err := entra.ParseRoleMode(string(mode))
			Expect(err).NotTo(HaveOccurred())
			rs, quarantined := entra.Run(context.WithoutCancel(ctx), dressed(entra.ClientConfig), entra.Options{Users: 3, Groups: 1, RoleMode: rm}, scenario.Options{Mode: scenario.Compat, Prefix: tg.Prefix})
			Expect(quarantined).To(BeFalse(), "Entra would quarantine the app")
			expectClean(rs)
		})
	}
})

var _ = Describe("Google Workspace", Label("google", "idp"), func() {
	scs, err := google.Scenarios(google.Options{Users: 3})
	if err != nil {
		panic(err)
	}
	for _, sc := range scs {
		It(sc.Name, func(ctx SpecContext) {
			expectClean(scenario.Run(context.WithoutCancel(ctx), dressed(google.ClientConfig), sc, scenario.Options{Mode: scenario.Compat, Prefix: tg.Prefix}))
		})
	}
})

var _ = Describe("Okta", Label("okta", "idp"), func() {
	scs, err := okta.Scenarios(okta.Options{Users: 3, Groups: 1})
	if err != nil {
		panic(err)
	}
	for _, sc := range scs {
		It(sc.Name, func(ctx SpecContext) {
			expectClean(scenario.Run(context.WithoutCancel(ctx), dressed(okta.ClientConfig), sc, scenario.Options{Mode: scenario.Compat, Prefix: tg.Prefix}))
		})
	}
})
