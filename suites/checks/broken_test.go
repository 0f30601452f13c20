package checks_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/server/broken"
	"github.com/scimharness/scimharness/suites/checks"
)

// brokenMatrix is, for each deliberately broken server, checks that must
// fail against it. A check that passes against the bug it is meant to see
// is worthless; the table keeps each bug seen by name.
var brokenMatrix = map[string][]string{
	"lowercases-username":      {"crud/create-user", "crud/get-user"},
	"ignores-filter":           {"filter/eq", "filter/and", "filter/value-path"},
	"404-for-empty-list":       {"filter/no-match"},
	"remove-members-wipes-all": {"patch/entra-remove-member-value"},
	"rejects-capitalised-ops":  {"patch/entra-capitalised-ops"},
	"errors-without-scim-body": {"errors/not-found", "crud/duplicate-username", "filter/invalid"},
	"stores-false-as-string":   {"patch/entra-string-boolean"},
	"500-on-duplicate":         {"crud/duplicate-username", "crud/duplicate-username-case"},
	"rejects-pathless-replace": {"patch/replace-no-path", "patch/okta-group-rename"},
	"case-sensitive-filter":    {"filter/attribute-case", "filter/operator-case", "filter/value-case-insensitive"},
	"rejects-application-json": {"content/request-application-json"},
	"first-clause-only":        {"filter/and", "filter/or"},
	"ignores-not":              {"filter/not"},
	"value-path-first-term":    {"filter/value-path"},
	"ignores-sort-order":       {"sort/descending"},
	"zero-based-start-index":   {"paging/start-index"},
	"ignores-attributes":       {"attributes/list"},
	"add-replaces-multivalued": {"patch/add-multivalued"},
}

func TestBrokenServersFailNamingTheBug(t *testing.T) {
	if len(brokenMatrix) != len(broken.All()) {
		t.Errorf("the matrix has %d bugs, broken.All() %d: every bug needs its checks", len(brokenMatrix), len(broken.All()))
	}
	for _, bug := range broken.All() {
		t.Run(bug.Name, func(t *testing.T) {
			h, err := broken.Handler(&bug, "tok")
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(h)
			defer ts.Close()
			ctx := context.Background()
			tg, err := target.Open(ctx, target.Config{BaseURL: ts.URL + "/scim/v2", Token: "tok"})
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, o := range checks.RunAll(ctx, tg, checks.All(), nil) {
				if o.Status() >= scenario.Fail {
					failed = append(failed, o.Check.ID)
				}
			}
			t.Logf("failing checks: %v", failed)
			for _, want := range brokenMatrix[bug.Name] {
				if !slices.Contains(failed, want) {
					t.Errorf("check %s does not fail against %s", want, bug.Name)
				}
			}
		})
	}
}
