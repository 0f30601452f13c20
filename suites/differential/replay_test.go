package differential_test

import (
	"context"
	"testing"

	"github.com/scimharness/scimharness/server/broken"
	"github.com/scimharness/scimharness/suites/differential"
)

// TestSavedCaseReplays: a case found against a deliberate bug, saved and
// loaded, replays under another prefix clean against the reference server
// and fails against the bug — a fixed bug stays fixed, and the saved case
// is no false alarm. One bug per kind of case: a filter, a sorted page, a
// page, a projection, a PATCH, a create, and a PATCH of a group (whose
// case creates users and a group naming them by placeholder).
func TestSavedCaseReplays(t *testing.T) {
	for _, name := range []string{"ignores-not", "ignores-sort-order", "zero-based-start-index", "ignores-attributes", "add-replaces-multivalued", "lowercases-username", "remove-members-wipes-all"} {
		t.Run(name, func(t *testing.T) {
			bug, _ := broken.ByName(name)
			target := serve(t, &bug)
			res, _ := run(t, target, 7, 500)
			if res.Disagreement == nil {
				t.Fatalf("no disagreement in %d requests", res.Requests)
			}
			p, err := res.Disagreement.Save(t.TempDir(), 7)
			if err != nil {
				t.Fatal(err)
			}
			cs, err := differential.Load(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				server string
				bug    *broken.Bug
				fails  bool
			}{{"the reference", nil, false}, {"the bug", &bug, true}} {
				why, leftovers, err := differential.Replay(context.Background(), serve(t, c.bug), cs, "replay-7f3a9c")
				if err != nil {
					t.Fatal(err)
				}
				if len(leftovers) > 0 {
					t.Errorf("%s: not cleaned up: %v", c.server, leftovers)
				}
				if (why != "") != c.fails {
					t.Errorf("replayed against %s: fails %v (%q), want %v; the case:\n%s", c.server, why != "", why, c.fails, cs.Format("u"))
				}
			}
			// Replaying against the server the case was found on, after
			// the run: it holds nothing of the case any more.
			if why, _, _ := differential.Replay(context.Background(), target, cs, "replay-2"); why == "" {
				t.Errorf("the case does not fail on the server it was found on:\n%s", cs.Format("u"))
			}
		})
	}
}

// TestLoadRefusesWhatIsNotACase: a file without users, groups or requests
// is not replayed as an empty pass; a group-create case (one group, no
// member, no request) is a case.
func TestLoadRefusesWhatIsNotACase(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    differential.Disagreement
		ok   bool
	}{
		{"empty", differential.Disagreement{Kind: "filter", Prefix: "x"}, false},
		{"a group alone", differential.Disagreement{Kind: "group-create", Prefix: "x", Groups: []map[string]any{{"displayName": "x-G"}}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.d.Save(t.TempDir(), 1)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := differential.Load(p); (err == nil) != tc.ok {
				t.Errorf("loaded: %v, want %v (%v)", err == nil, tc.ok, err)
			}
		})
	}
}
