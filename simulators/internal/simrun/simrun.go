// Package simrun holds what the simulators' entry points share beyond
// judging answers (that is package judge): dressing a client as the IdP,
// checking the run prefix, and the Run convenience of the Google and Okta
// simulators — settle the run prefix between the simulator's options and
// the runner's, generate the scenarios for it, run them one after another.
// (Entra's Run differs: it runs scenarios concurrently and quarantines.)
package simrun

import (
	"context"
	"fmt"
	"maps"
	"regexp"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
)

// Dress returns base with User-Agent userAgent and headers set over base's
// own; base's other headers are kept, and base is not modified.
func Dress(base client.Config, userAgent string, headers map[string]string) client.Config {
	base.UserAgent = userAgent
	h := maps.Clone(base.Headers)
	if h == nil {
		h = map[string]string{}
	}
	maps.Copy(h, headers)
	base.Headers = h
	return base
}

var validPrefix = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// CheckPrefix refuses a run prefix that could not go into userNames and
// filters unquoted; the error starts with idp. An empty prefix is fine: the
// run makes one.
func CheckPrefix(idp, prefix string) error {
	if prefix != "" && !validPrefix.MatchString(prefix) {
		return fmt.Errorf("%s: Prefix %q may hold only letters, digits, '.', '_' and '-': it goes into userNames and filters", idp, prefix)
	}
	return nil
}

// Sim names a simulator for Run.
type Sim struct {
	// IdP is the IdP's name in results and the start of error messages.
	IdP string
	// Name is the Scenario of the Error result reporting bad options.
	Name string
}

// Run runs the scenarios generate returns through c. prefix is the
// simulator's Options.Prefix: it is used when ro.Prefix is empty, and a new
// prefix when both are; setting both to different values is an error.
// generate gets the prefix in effect. An error — there, or from generate —
// is reported as a single Error result, and nothing is sent.
func (sim Sim) Run(ctx context.Context, c *client.Client, prefix string, ro scenario.Options, generate func(prefix string) ([]scenario.Scenario, error)) []scenario.Result {
	fail := func(err error) []scenario.Result {
		return []scenario.Result{{Scenario: sim.Name, IdP: sim.IdP, Step: "(options)", Status: scenario.Error, Verified: true, Message: "harness error: " + err.Error()}}
	}
	switch {
	case ro.Prefix == "":
		ro.Prefix = prefix
	case prefix != "" && prefix != ro.Prefix:
		return fail(fmt.Errorf("%s: Options.Prefix %q and the run's prefix %q differ", sim.IdP, prefix, ro.Prefix))
	}
	if ro.Prefix == "" {
		ro.Prefix = scenario.NewPrefix()
	}
	scs, err := generate(ro.Prefix)
	if err != nil {
		return fail(err)
	}
	var out []scenario.Result
	for _, sc := range scs {
		out = append(out, scenario.Run(ctx, c, sc, ro)...)
	}
	return out
}
