package google_test

import (
	"context"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/simulators/google"
	"github.com/scimharness/scimharness/simulators/internal/simtest"
)

// TestTranscripts: what the Google simulator sends, in each variant, is
// exactly its golden transcript under fixtures/transcripts. Regenerate with:
// go test ./simulators/google -run Transcripts -update
func TestTranscripts(t *testing.T) {
	const prefix = "scimh-golden00"
	for _, v := range variants {
		file := "google-" + strings.NewReplacer(", ", "-", " ", "-").Replace(v.Name) + ".txt"
		t.Run(file, func(t *testing.T) {
			// One user and seed 7 unless the variant says otherwise, so
			// that "three users, other seed" shows three users.
			o := v.Options
			if o.Users == 0 {
				o.Users = 1
			}
			if o.Seed == 0 {
				o.Seed = 7
			}
			tg := simtest.Start(t)
			rs := google.Run(context.Background(), tg.Client(t, google.ClientConfig), o, scenario.Options{Prefix: prefix})
			for _, r := range rs {
				if r.Status != scenario.Pass {
					t.Fatalf("not all passed:\n%s", simtest.Summary(rs))
				}
			}
			simtest.Golden(t, file, report.Transcript(rs, prefix, ""))
		})
	}
}
