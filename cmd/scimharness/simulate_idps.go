package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/simulators/entra"
	"github.com/scimharness/scimharness/simulators/google"
	"github.com/scimharness/scimharness/simulators/okta"
)

// idps are the simulated identity providers, in the order help lists them.
// Each maps the flags to its package's Options; the package validates them
// (an error is a usage error, reported before anything is sent) and dresses
// the client as the IdP's.
var idps = []idp{
	{
		name:  entra.IdP,
		about: "Microsoft Entra ID: Test Connection by the matching attribute, schema discovery (--entra-gallery), provisioning cycles with capitalised PATCH ops, groups, on-demand, quarantine",
		build: func(c *simConfig, base client.Config) (plan, error) {
			o := entra.Options{
				Users:       c.users,
				Groups:      c.groups,
				Flag:        c.entraFlag,
				Match:       c.entraMatch,
				Seed:        c.seed,
				Concurrency: c.entraConcurrency,
				Rate:        c.entraRate,
				Gallery:     c.entraGallery,
				Nulls:       c.entraNulls,

				RolesInOnePatch:       c.entraRolesOnePatch,
				ManagerRemoveByFilter: c.entraManagerFilter,
			}
			var err error
			if o.RoleMode, err = entra.ParseRoleMode(c.entraRoleMode); err != nil {
				return plan{}, err
			}
			if o.Cycle, err = entra.ParseCycle(c.entraCycle); err != nil {
				return plan{}, err
			}
			if c.entraConcurrency < 1 {
				return plan{}, fmt.Errorf("--entra-concurrency %d: at least 1", c.entraConcurrency)
			}
			evidence := scenario.EvidenceAll
			if o.Cycle == entra.CycleInitial {
				// Tens of thousands of passing creates: their bodies are
				// not needed to explain anything.
				evidence = scenario.EvidenceProblems
			}
			if c.entraMapping != "" {
				if o.Mapping, err = entra.OpenMapping(c.entraMapping); err != nil {
					return plan{}, err
				}
			}
			scs, err := entra.Scenarios(o)
			if err != nil {
				return plan{}, err
			}
			return plan{
				scenarios: scs,
				client:    entra.ClientConfig(base),
				evidence:  evidence,
				// Entra's own order: Test Connection first and alone,
				// then the cycles, stopping when Entra would quarantine
				// the app (the quarantine is a Fail result).
				run: func(ctx context.Context, cl *client.Client, ro scenario.Options) ([]scenario.Result, []report.Timing) {
					if o.Cycle == entra.CycleInitial && os.Getenv("GOGC") == "" {
						// The harness's live heap is small and it allocates
						// a few hundred MB per 10,000 users (mostly JSON
						// encoding, decoding and redaction), so the default
						// GOGC=100 collects every few MB and the collector
						// takes CPU from the server being timed on the same
						// machine. GOGC=400 costs memory instead: measured at
						// 10,000 users, a peak of 200–250 MB RSS against
						// 114 MB with GOGC=100 (and 0.6 s more CPU).
						defer debug.SetGCPercent(debug.SetGCPercent(400))
					}
					out := entra.Provision(ctx, cl, o, ro)
					if out.Timing == nil {
						return out.Results, nil
					}
					t := out.Timing
					return out.Results, []report.Timing{{
						Name: string(t.Cycle) + " cycle", Users: t.Users, Groups: t.Groups, Concurrency: t.Concurrency,
						Requests: t.Requests, Duration: t.Duration, Seconds: t.Duration.Seconds(), RequestsPerSecond: t.PerSecond(),
						CleanupRequests: t.CleanupRequests, Cleanup: t.Cleanup, Line: t.String(),
					}}
				},
			}, nil
		},
	},
	{
		name:  google.IdP,
		about: "Google Workspace: users only; lookup without count, legacy URN, Content-Type application/json",
		build: func(c *simConfig, base client.Config) (plan, error) {
			if c.set["groups"] {
				return plan{}, fmt.Errorf("--groups does not apply: Google Workspace provisions users only and pushes no groups")
			}
			update := c.googleUpdate
			if update == "none" {
				update = google.UpdateNone
			}
			scs, err := google.Scenarios(google.Options{
				Users:          c.users,
				Update:         update,
				StringBooleans: c.googleStringBooleans,
				Deprovision:    c.googleDeprovision,
				Probe:          c.googleProbe,
				Seed:           c.seed,
			})
			return plan{scenarios: scs, client: google.ClientConfig(base)}, err
		},
	},
	{
		name:  okta.IdP,
		about: "Okta (--okta-app aiw|oin): connection test, assign, PUT updates, deactivate and reactivate (PUT for AIW, path-less PATCH for OIN), import, the spec test's checks, group push",
		build: func(c *simConfig, base client.Config) (plan, error) {
			if c.groups < 1 {
				// okta.Options reads 0 as "the default", so 0 cannot be passed on.
				return plan{}, fmt.Errorf("--groups %d: Okta's run pushes at least one group", c.groups)
			}
			app, err := okta.ParseApp(c.oktaApp)
			if err != nil {
				return plan{}, err
			}
			scs, err := okta.Scenarios(okta.Options{
				Users:          c.users,
				Groups:         c.groups,
				Seed:           c.seed,
				ImportPageSize: c.oktaPageSize,
				App:            app,
			})
			return plan{scenarios: scs, client: okta.ClientConfig(base)}, err
		},
	},
}
