package entra_test

import (
	"testing"

	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/simulators/entra"
	"github.com/scimharness/scimharness/simulators/internal/simtest"
)

// goldenPrefix is the run prefix of every golden transcript.
const goldenPrefix = "scimh-golden00"

// TestTranscripts: what the Entra simulator sends, in each mode, is
// exactly its golden transcript under fixtures/transcripts; a change to a
// request shows up in review beside the source its step names. Regenerate
// with: go test ./simulators/entra -run Transcripts -update
func TestTranscripts(t *testing.T) {
	cases := []struct {
		file string
		o    entra.Options
	}{
		{"entra-default.txt", entra.Options{}},
		{"entra-flag.txt", entra.Options{Flag: true}},
		{"entra-roles-single.txt", entra.Options{RoleMode: entra.RoleSingle}},
		{"entra-roles-complex.txt", entra.Options{RoleMode: entra.RoleComplex}},
		{"entra-roles-complex-one-patch.txt", entra.Options{RoleMode: entra.RoleComplex, RolesInOnePatch: true}},
		{"entra-roles-assertive.txt", entra.Options{RoleMode: entra.RoleAssertive, Flag: true}},
		{"entra-gallery-nulls.txt", entra.Options{Gallery: true, Nulls: true}},
		{"entra-cycle-initial.txt", entra.Options{Cycle: entra.CycleInitial}},
		{"entra-cycle-on-demand.txt", entra.Options{Cycle: entra.CycleOnDemand, Flag: true}}, // the flag is ignored on demand
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			tc.o.Users, tc.o.Groups, tc.o.Seed = 2, 1, 7
			_, c := start(t, simtest.Reference(t))
			results, _ := run(t, c, tc.o, scenario.Options{Prefix: goldenPrefix})
			if b := bad(results, scenario.Warn); len(b) > 0 {
				t.Fatalf("not all passed: %v", b)
			}
			simtest.Golden(t, tc.file, report.Transcript(results, goldenPrefix, ""))
		})
	}
}
