package google_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/server/broken"
	"github.com/scimharness/scimharness/simulators/google"
	"github.com/scimharness/scimharness/simulators/internal/simtest"
)

var variants = []simtest.Variant[google.Options]{
	{Name: "default", Options: google.Options{}},
	{Name: "one user", Options: google.Options{Users: 1}},
	{Name: "three users, other seed", Options: google.Options{Users: 3, Seed: 7}},
	{Name: "probe", Options: google.Options{Probe: true}},
	{Name: "update put", Options: google.Options{Update: google.UpdatePut}},
	{Name: "update patch", Options: google.Options{Update: google.UpdatePatch}},
	{Name: "string booleans", Options: google.Options{StringBooleans: true}},
	{Name: "delete", Options: google.Options{Deprovision: google.DeprovisionDelete}},
	{Name: "put, string booleans, delete", Options: google.Options{Update: google.UpdatePut, StringBooleans: true, Deprovision: google.DeprovisionDelete}},
	{Name: "patch, string booleans, probe", Options: google.Options{Update: google.UpdatePatch, StringBooleans: true, Probe: true}},
	{Name: "put, suspend", Options: google.Options{Update: google.UpdatePut, Deprovision: google.DeprovisionSuspend}},
}

// simulate runs Google's simulation with o against tg.
func simulate(t *testing.T, tg *simtest.Target, o google.Options) []scenario.Result {
	t.Helper()
	return google.Run(context.Background(), tg.Client(t, google.ClientConfig), o, scenario.Options{})
}

// TestReferenceServerPasses: every variant passes against the reference
// server, sends only what Google sends, and leaves nothing behind.
func TestReferenceServerPasses(t *testing.T) {
	for _, v := range variants {
		t.Run(v.Name, func(t *testing.T) {
			tg := simtest.Start(t)
			rs := simulate(t, tg, v.Options)
			if len(rs) == 0 {
				t.Fatal("no results")
			}
			for _, r := range rs {
				if r.Status != scenario.Pass {
					t.Fatalf("not all steps passed:\n%s", simtest.Summary(rs))
				}
			}
			for _, r := range tg.Requests() {
				if !strings.HasPrefix(r.Path, "/scim/v2/Users") {
					t.Errorf("%s %s: Google only ever calls /Users", r.Method, r.Path)
				}
				if ua := r.Header.Get("User-Agent"); ua != google.UserAgent {
					t.Errorf("%s %s: User-Agent %q", r.Method, r.Path, ua)
				}
				if ct := r.Header.Get("Content-Type"); r.Body != "" && ct != google.ContentType {
					t.Errorf("%s %s: Content-Type %q, want %q", r.Method, r.Path, ct, google.ContentType)
				}
				if r.Method == "GET" && strings.Contains(r.Query, "filter=") {
					if !strings.Contains(r.Query, "startIndex=1") || strings.Contains(r.Query, "count=") {
						t.Errorf("lookup %q: Google sends startIndex=1 and no count", r.Query)
					}
				}
				if r.Method == "POST" && !strings.Contains(r.Body, google.LegacyCoreURN) {
					t.Errorf("create without the legacy URN: %s", r.Body)
				}
			}
			if n := simtest.Total(t, tg.Client(t, nil), "Users"); n != 0 {
				t.Errorf("%d users left after cleanup", n)
			}
		})
	}
}

// TestStepsAreLabelled: verified behaviour is the logged one; everything the
// catalog calls weak or not verified is marked unverified and cites a source.
func TestStepsAreLabelled(t *testing.T) {
	scs, err := google.Scenarios(google.Options{Probe: true, Update: google.UpdatePatch, Users: 1})
	if err != nil {
		t.Fatal(err)
	}
	verified := map[string]bool{
		"user 1: look up before creating":           true,
		"user 1: create":                            true,
		"user 1: look up after creating it":         true,
		"connection probe":                          false,
		"user 1: create again (duplicate userName)": false,
		"user 1: update (patch)":                    false,
		"user 1: read after update":                 false,
		"user 1: suspend":                           false,
		"user 1: read after suspending":             false,
		"user 1: look up after suspending it":       false,
	}
	for _, st := range scs[0].Steps {
		want, ok := verified[st.Name]
		if !ok {
			t.Errorf("unexpected step %q", st.Name)
			continue
		}
		if !st.Unverified != want {
			t.Errorf("%q: Unverified = %t", st.Name, st.Unverified)
		}
		if st.Source == "" || st.Behaviour == "" || st.Clause == "" {
			t.Errorf("%q: missing source, behaviour or clause", st.Name)
		}
	}
	scs, _ = google.Scenarios(google.Options{StringBooleans: true, Users: 1})
	if st := scs[0].Steps[1]; st.Name != "user 1: create" || !st.Unverified {
		t.Errorf("a create with string booleans must be unverified: %q %t", st.Name, st.Unverified)
	}
}

// TestBrokenServers: against each deliberately broken server the run fails
// with a message naming the bug, or the table says why Google cannot see it.
func TestBrokenServers(t *testing.T) {
	cases := map[string]struct {
		o    google.Options
		want string // "" : Google cannot see this bug (why in the comment)
	}{
		"lowercases-username": {google.Options{}, "changed the case of userName"},
		// The second user's lookup runs while the first exists.
		"ignores-filter":     {google.Options{}, "the server ignored the filter"},
		"404-for-empty-list": {google.Options{}, "404 for a filter that matches nobody"},
		// Google sends no group requests.
		"remove-members-wipes-all": {google.Options{}, ""},
		// Google's (unverified) PATCH uses lower-case ops.
		"rejects-capitalised-ops": {google.Options{Update: google.UpdatePatch}, ""},
		// The duplicate create provokes a 409.
		"errors-without-scim-body": {google.Options{}, "no SCIM error body"},
		// Only Google's (unverified) string booleans reach the bug.
		"stores-false-as-string": {google.Options{StringBooleans: true}, "as the string"},
		"500-on-duplicate":       {google.Options{}, "a duplicate userName got 500"},
		// Google's (unverified) PATCH always names a path.
		"rejects-pathless-replace": {google.Options{Update: google.UpdatePatch}, ""},
		// Google looks users up with the userName exactly as created, with
		// the schema's spelling and a lower-case operator.
		"case-sensitive-filter":    {google.Options{}, ""},
		"rejects-application-json": {google.Options{}, "Google sends Content-Type application/json"},
		// The conformance-only bugs (server/broken/conformance.go): Google
		// sends no /Bulk, .search, /Me, role or password requests, and
		// reads answers labelled application/json.
		"bulk-ignores-fail-on-errors":        {google.Options{}, ""},
		"bulk-advertises-too-few-operations": {google.Options{}, ""},
		"bulk-ignores-bulk-ids":              {google.Options{}, ""},
		"groups-search-ignores-filter":       {google.Options{}, ""},
		// The view bugs (server/broken/views.go): Google sends no POST
		// /.search, no attributes= on a write, and keeps the create's id.
		"users-search-ignores-filter": {google.Options{}, ""},
		"location-names-username":     {google.Options{}, ""},
		"write-ignores-attributes":    {google.Options{}, ""},
		// The discovery bugs (server/broken/discovery.go): Google reads no
		// /Schemas, /ResourceTypes or /ServiceProviderConfig and writes
		// none; its PATCHes work whatever the configuration says.
		"schemas-by-id-404":             {google.Options{}, ""},
		"discovery-accepts-writes":      {google.Options{}, ""},
		"resource-type-by-id-differs":   {google.Options{}, ""},
		"unknown-schema-200":            {google.Options{}, ""},
		"spc-denies-patch":              {google.Options{Update: google.UpdatePatch}, ""},
		"refuses-password-patch":        {google.Options{}, ""},
		"answers-application-json":      {google.Options{}, ""},
		"me-404":                        {google.Options{}, ""},
		"keeps-primary-as-string":       {google.Options{}, ""},
		"stores-two-primaries":          {google.Options{}, ""},
		"parses-json-role-values":       {google.Options{}, ""},
		"ignores-string-primary-filter": {google.Options{}, ""},
		// The combination bugs (server/broken/combinations.go): Google's
		// lookups are single-clause eq filters without sort, paging beyond the
		// first page, projections or multi-valued adds.
		"first-clause-only":     {google.Options{}, ""},
		"ignores-not":           {google.Options{}, ""},
		"value-path-first-term": {google.Options{}, ""},
		"ignores-sort-order":    {google.Options{}, ""},
		// Google's look-up asks startIndex=1 and reads the first resource.
		"zero-based-start-index":   {google.Options{}, "Resources is empty"},
		"ignores-attributes":       {google.Options{}, ""},
		"add-replaces-multivalued": {google.Options{}, ""},
		// The fidelity bugs (server/broken/fidelity.go): Google's bodies
		// carry no enterprise manager, its Accept is the client's
		// application/scim+json (unverified: no capture shows it; see
		// ClientConfig), and it sends no roles.
		"manager-as-string":       {google.Options{}, ""},
		"406-without-scim-accept": {google.Options{}, ""},
		"keeps-first-role-of-add": {google.Options{}, ""},
	}
	for _, bug := range broken.All() {
		t.Run(bug.Name, func(t *testing.T) {
			tc, ok := cases[bug.Name]
			if !ok {
				t.Fatalf("bug %q is not in the table: say whether Google can see it", bug.Name)
			}
			rs := simulate(t, simtest.Serve(t, simtest.Broken(t, bug)), tc.o)
			simtest.ExpectCaught(t, rs, "Google", bug.Description, tc.want)
		})
	}
}

// TestSafety: resources the run did not create are neither changed nor
// deleted, and cleanup leaves the server as it was — unless Keep.
func TestSafety(t *testing.T) {
	simtest.Safety(t, variants, map[string]any{"userName": "Ada.Lovelace.g1@example.com", "active": true, "displayName": "Existing"}, scenario.Error, simulate)
	simtest.Kept(t, 3, func(t *testing.T, tg *simtest.Target) []scenario.Result {
		return google.Run(context.Background(), tg.Client(t, google.ClientConfig), google.Options{Users: 3}, scenario.Options{Keep: true})
	})
}

// TestDryRun: nothing is sent; the requests are printed as Google would send them.
func TestDryRun(t *testing.T) {
	tg := simtest.Start(t)
	var out bytes.Buffer
	rs := google.Run(context.Background(), tg.Client(t, google.ClientConfig), google.Options{Probe: true, Update: google.UpdatePut}, scenario.Options{DryRun: true, Out: &out})
	if n := len(tg.Requests()); n != 0 {
		t.Fatalf("a dry run sent %d requests", n)
	}
	for _, r := range rs {
		if r.Status != scenario.Skip {
			t.Errorf("%s: %s in a dry run", r.Step, r.Status)
		}
	}
	for _, want := range []string{"POST " + tg.Base() + "/Users", "User-Agent: " + google.UserAgent, "Content-Type: application/json", google.LegacyCoreURN, "startIndex=1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestOptionsRejected(t *testing.T) {
	for _, o := range []google.Options{
		{Users: -1},
		{Update: "post"},
		{Deprovision: "archive"},
		{Prefix: `bad "prefix"`},
	} {
		if _, err := google.Scenarios(o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	simtest.Refused(t, google.Run(context.Background(), nil, google.Options{Prefix: "aaaaaa"}, scenario.Options{Prefix: "bbbbbb"}), "differ")
}

func TestScenariosDeterministic(t *testing.T) {
	a, _ := google.Scenarios(google.Options{Seed: 42, Update: google.UpdatePut})
	b, _ := google.Scenarios(google.Options{Seed: 42, Update: google.UpdatePut})
	c, _ := google.Scenarios(google.Options{Seed: 43, Update: google.UpdatePut})
	body := func(scs []scenario.Scenario) string {
		var s []string
		for _, st := range scs[0].Steps {
			j, _ := json.Marshal(st.Request)
			s = append(s, string(j))
		}
		return strings.Join(s, "\n")
	}
	if body(a) != body(b) {
		t.Error("the same seed gave different scenarios")
	}
	if body(a) == body(c) {
		t.Error("another seed gave the same names")
	}
}

func TestClientConfig(t *testing.T) {
	base := client.Config{BaseURL: "http://x", UserAgent: "other", Headers: map[string]string{"X-Tenant": "t"}}
	cfg := google.ClientConfig(base)
	if cfg.UserAgent != google.UserAgent || cfg.Headers["Content-Type"] != "application/json" || cfg.Headers["X-Tenant"] != "t" {
		t.Errorf("config %+v", cfg)
	}
	if _, ok := cfg.Headers["Accept"]; ok {
		t.Error("Accept is not documented for Google; leave the default")
	}
	if base.Headers["Content-Type"] != "" || base.UserAgent != "other" {
		t.Error("base was modified")
	}
}

// TestCapturedStepsLink: the steps backed by a capture link to it, so the
// HTML report's source is a page to read (issue 15 item 2).
func TestCapturedStepsLink(t *testing.T) {
	scs, err := google.Scenarios(google.Options{Users: 1})
	if err != nil {
		t.Fatal(err)
	}
	linked := 0
	for _, st := range scs[0].Steps {
		if st.Confidence == scenario.Log {
			if !strings.HasPrefix(st.SourceURL, "https://github.com/") {
				t.Errorf("%q (log: %s) links to %q", st.Name, st.Source, st.SourceURL)
			}
			linked++
		}
	}
	if linked == 0 {
		t.Error("no captured step")
	}
}
