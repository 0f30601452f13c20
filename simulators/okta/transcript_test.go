package okta_test

import (
	"context"
	"testing"

	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/simulators/internal/simtest"
	"github.com/scimharness/scimharness/simulators/okta"
)

// TestTranscripts: what the Okta simulator sends, for each kind of app, is
// exactly its golden transcript under fixtures/transcripts. Regenerate with:
// go test ./simulators/okta -run Transcripts -update
func TestTranscripts(t *testing.T) {
	const prefix = "scimh-golden00"
	for file, app := range map[string]okta.App{"okta-aiw.txt": okta.AppAIW, "okta-oin.txt": okta.AppOIN} {
		t.Run(file, func(t *testing.T) {
			tg := simtest.Start(t)
			rs := okta.Run(context.Background(), tg.Client(t, okta.ClientConfig), okta.Options{App: app, Users: 1, Seed: 7}, scenario.Options{Prefix: prefix})
			for _, r := range rs {
				if !passed(r) {
					t.Fatalf("not all passed:\n%s", simtest.Summary(rs))
				}
			}
			simtest.Golden(t, file, report.Transcript(rs, prefix, ""))
		})
	}
}
