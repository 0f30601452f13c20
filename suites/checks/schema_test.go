package checks_test

import (
	"context"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/suites/checks"
)

// openSchemaTarget opens cfg and generates its schema checks.
func openSchemaTarget(t *testing.T, cfg target.Config) (*target.Target, []checks.Check) {
	t.Helper()
	ctx := context.Background()
	tg, err := target.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tg.Close)
	cs, err := checks.SchemaChecks(ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	return tg, cs
}

// TestSchemaChecksPassTheReferenceServer: every check generated from the
// reference server's own discovery passes it.
func TestSchemaChecksPassTheReferenceServer(t *testing.T) {
	tg, cs := openSchemaTarget(t, target.Config{})
	if len(cs) < 50 {
		t.Fatalf("only %d schema checks generated", len(cs))
	}
	for _, o := range checks.RunAll(context.Background(), tg, cs, nil) {
		for _, r := range o.Results {
			if r.Status >= scenario.Warn || r.Status == scenario.Skip || r.Status == scenario.Blocked {
				msg, _, _ := strings.Cut(r.Message, "\n")
				t.Errorf("%s / %s: %s: %s", o.Check.ID, r.Step, r.Status, msg)
			}
		}
	}
}

func TestSchemaDump(t *testing.T) {
	tg, cs := openSchemaTarget(t, target.Config{})
	for _, o := range checks.RunAll(context.Background(), tg, cs, nil) {
		t.Logf("%s %s %d results", o.Check.ID, o.Label(), len(o.Results))
	}
}
