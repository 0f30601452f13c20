package okta_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/server/broken"
	"github.com/scimharness/scimharness/simulators/internal/simtest"
	"github.com/scimharness/scimharness/simulators/okta"
)

// simulate runs Okta's simulation with o against tg.
func simulate(t *testing.T, tg *simtest.Target, o okta.Options) []scenario.Result {
	t.Helper()
	return okta.Run(context.Background(), tg.Client(t, okta.ClientConfig), o, scenario.Options{})
}

// passed: a pass, an informational warning (the spec test's 600 ms is a
// MAY, and a loaded test machine may be slow), or a skip of an import page
// after the import ended.
func passed(r scenario.Result) bool {
	return r.Status == scenario.Pass || (r.Status == scenario.Warn && r.Info) ||
		(r.Status == scenario.Skip && strings.HasPrefix(r.Step, "import: page") && strings.Contains(r.Message, "the import finished on page"))
}

// checkWire asserts that only what Okta sends was sent.
func checkWire(t *testing.T, tg *simtest.Target, rs []scenario.Result) {
	t.Helper()
	for _, r := range tg.Requests() {
		for _, never := range []string{"/Schemas", "/ServiceProviderConfig", "/ResourceTypes", "/Bulk", "/.search"} {
			if strings.Contains(r.Path, never) {
				t.Errorf("%s %s: Okta never calls %s", r.Method, r.Path, never)
			}
		}
		if ua := r.Header.Get("User-Agent"); ua != okta.UserAgent {
			t.Errorf("%s %s: User-Agent %q", r.Method, r.Path, ua)
		}
		if a := r.Header.Get("Accept"); a != okta.Accept {
			t.Errorf("%s %s: Accept %q", r.Method, r.Path, a)
		}
		if ac := r.Header.Get("Accept-Charset"); ac != okta.AcceptCharset {
			t.Errorf("%s %s: Accept-Charset %q", r.Method, r.Path, ac)
		}
		// The spec test's create goes as application/json, as Okta's own
		// spec test sends it.
		if ct := r.Header.Get("Content-Type"); r.Body != "" && ct != okta.ContentType && !(ct == "application/json" && r.Method == "POST") {
			t.Errorf("%s %s: Content-Type %q", r.Method, r.Path, ct)
		}
		if r.Method == "GET" && strings.Contains(r.Query, "filter=") && !strings.HasSuffix(r.Query, "&startIndex=1&count=100") {
			t.Errorf("lookup %q: Okta sends startIndex=1&count=100", r.Query)
		}
	}
	for _, r := range rs {
		if r.Cleanup {
			continue
		}
		for _, ex := range r.Exchanges {
			if ex.Request.Method == "DELETE" && strings.Contains(ex.Request.URL, "/Users/") {
				t.Errorf("%s: Okta never DELETEs users", r.Step)
			}
		}
	}
}

var variants = []simtest.Variant[okta.Options]{
	{Name: "default", Options: okta.Options{}},
	{Name: "OIN app", Options: okta.Options{App: okta.AppOIN}},
	{Name: "OIN app, two groups", Options: okta.Options{App: okta.AppOIN, Groups: 2, Users: 3}},
	{Name: "one user", Options: okta.Options{Users: 1}},
	{Name: "five users, pages of two", Options: okta.Options{Users: 5, ImportPageSize: 2}},
	{Name: "two groups, other seed", Options: okta.Options{Groups: 2, Seed: 3}},
	{Name: "pages of one", Options: okta.Options{Users: 3, ImportPageSize: 1}},
}

// TestReferenceServerPasses: every scenario of every variant passes against
// the reference server, sends only what Okta sends and leaves nothing behind.
func TestReferenceServerPasses(t *testing.T) {
	for _, v := range variants {
		t.Run(v.Name, func(t *testing.T) {
			tg := simtest.Start(t)
			rs := simulate(t, tg, v.Options)
			scenarios := map[string]bool{}
			for _, r := range rs {
				scenarios[r.Scenario] = true
				if !passed(r) {
					t.Fatalf("not all steps passed:\n%s", simtest.Summary(rs))
				}
			}
			if len(scenarios) != 5 {
				t.Errorf("ran %d scenarios, want 5", len(scenarios))
			}
			checkWire(t, tg, rs)
			pc := tg.Client(t, nil)
			if n, g := simtest.Total(t, pc, "Users"), simtest.Total(t, pc, "Groups"); n != 0 || g != 0 {
				t.Errorf("%d users and %d groups left after cleanup", n, g)
			}
		})
	}
}

// TestPatchNoContent: a server answering PATCH with 204 passes without a
// warning: a PATCH answer "can also be a HTTP 204 response, with no body"
// (Okta SCIM 2.0 reference).
func TestPatchNoContent(t *testing.T) {
	for _, app := range []okta.App{okta.AppAIW, okta.AppOIN} {
		rs := simulate(t, simtest.Start(t, simtest.PatchNoContent), okta.Options{App: app})
		for _, r := range rs {
			if !passed(r) {
				t.Fatalf("%s: %s: %s\n%s", app, r.Step, r.Status, simtest.Summary(rs))
			}
		}
	}
}

// TestImportBound: an import that reaches ImportMaxPages is reported as
// skipped — not passed — and says why.
func TestImportBound(t *testing.T) {
	rs := simulate(t, simtest.Start(t), okta.Options{Users: 5, ImportPageSize: 1, ImportMaxPages: 2})
	var last scenario.Result
	for _, r := range rs {
		if r.Step == "import: page 2" {
			last = r
		}
	}
	if last.Status != scenario.Skip || !strings.Contains(last.Message, "stopped at the bound of 2 pages") {
		t.Errorf("page 2: %s %q", last.Status, last.Message)
	}
}

// unstableOrder reverses every page of a list, so that paging sees the same
// users twice and misses others.
func unstableOrder(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "GET" || !strings.HasSuffix(r.URL.Path, "/Users") || r.URL.Query().Get("filter") != "" {
			next.ServeHTTP(w, r)
			return
		}
		// Ask for everything and hand out a shifted window.
		q := r.URL.Query()
		q.Set("startIndex", "1")
		q.Del("count")
		r2 := r.Clone(r.Context())
		r2.URL.RawQuery = q.Encode()
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r2)
		var list map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &list)
		all, _ := list["Resources"].([]any)
		var page []any
		if len(all) > 0 {
			page = all[:1] // always the first user
		}
		list["Resources"], list["itemsPerPage"], list["startIndex"] = page, len(page), json.Number(r.URL.Query().Get("startIndex"))
		w.Header().Set("Content-Type", "application/scim+json")
		_ = json.NewEncoder(w).Encode(list)
	})
}

// memberRemoveWipesAll reads Okta's remove of members[value eq "…"] as
// "remove all members": the filtered-path form of remove-members-wipes-all.
func memberRemoveWipesAll(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "PATCH" && strings.Contains(r.URL.Path, "/Groups/") {
			body, _ := io.ReadAll(r.Body)
			body = bytes.ReplaceAll(body, []byte(`"path":"members[value eq \"`), []byte(`"path":"members","x":"`))
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		next.ServeHTTP(w, r)
	})
}

// TestBrokenServers: against each deliberately broken server the run fails
// with a message naming the bug, or the table says why Okta cannot see it.
func TestBrokenServers(t *testing.T) {
	type seen struct {
		want string // a phrase of the failure; "": Okta cannot see it
		o    okta.Options
	}
	oin := okta.Options{App: okta.AppOIN}
	cases := map[string]seen{
		"lowercases-username": {want: "changed the case of userName"},
		// The spec test's unknown-userName filter runs while a user exists.
		"ignores-filter": {want: "the server ignored the filter"},
		// The assign lookup may get 404 (Okta SCIM reference); the spec
		// test's unknown-userName filter may not.
		"404-for-empty-list": {want: "404 for a filter that matches nobody"},
		// The bug wipes members on a remove with path "members" and a value
		// array (Entra's form); Okta removes with members[value eq "…"].
		// TestMembershipLoss covers the same loss in Okta's form.
		"remove-members-wipes-all": {},
		// Okta's ops are lower case.
		"rejects-capitalised-ops":  {},
		"errors-without-scim-body": {want: "no SCIM error body"},
		// Okta sends JSON booleans, which the bug leaves alone.
		"stores-false-as-string": {},
		"500-on-duplicate":       {want: "a duplicate userName got 500"},
		// OIN apps deactivate and rename with a path-less replace; AIW
		// apps PUT instead.
		"rejects-pathless-replace": {want: "rejected Okta's path-less replace", o: oin},
		"case-sensitive-filter":    {want: "matches userName case-sensitively"},
		// The spec test POSTs with application/json.
		"rejects-application-json": {want: "spec test POSTs with Content-Type application/json"},
		// The conformance-only bugs (server/broken/conformance.go): Okta
		// sends no /Bulk, .search, /Me, role or password requests, and
		// reads answers labelled application/json.
		"bulk-ignores-fail-on-errors":        {},
		"bulk-advertises-too-few-operations": {},
		"bulk-ignores-bulk-ids":              {},
		"groups-search-ignores-filter":       {},
		// The view bugs (server/broken/views.go): Okta sends no POST
		// /.search, no attributes= on a write, and keeps the create's id.
		"users-search-ignores-filter": {},
		"location-names-username":     {},
		"write-ignores-attributes":    {},
		// The discovery bugs (server/broken/discovery.go): Okta never calls
		// /Schemas, /ResourceTypes or /ServiceProviderConfig (okta.go); its
		// PATCHes work whatever the configuration says.
		"schemas-by-id-404":           {},
		"discovery-accepts-writes":    {},
		"resource-type-by-id-differs": {},
		"unknown-schema-200":          {},
		"spc-denies-patch":            {o: oin},
		// OIN apps sync passwords by PATCH (doc); AIW apps send none.
		"refuses-password-patch":        {want: "password sync", o: oin},
		"answers-application-json":      {},
		"me-404":                        {},
		"keeps-primary-as-string":       {},
		"stores-two-primaries":          {},
		"parses-json-role-values":       {},
		"ignores-string-primary-filter": {},
		// The combination bugs (server/broken/combinations.go): Okta's
		// lookups are single-clause eq filters; it sends no not, value
		// paths with two terms, sortOrder, projections or adds to emails.
		"first-clause-only":     {},
		"ignores-not":           {},
		"value-path-first-term": {},
		"ignores-sort-order":    {},
		// Okta's import and spec test ask startIndex=1 and check it.
		"zero-based-start-index":   {want: "but 1 was asked for"},
		"ignores-attributes":       {},
		"add-replaces-multivalued": {},
		// The fidelity bugs (server/broken/fidelity.go): Okta's bodies
		// carry no enterprise manager, it asks Accept:
		// application/scim+json, and it sends no roles.
		"manager-as-string":       {},
		"406-without-scim-accept": {},
		"keeps-first-role-of-add": {},
	}
	for _, bug := range broken.All() {
		t.Run(bug.Name, func(t *testing.T) {
			c, ok := cases[bug.Name]
			if !ok {
				t.Fatalf("bug %q is not in the table: say whether Okta can see it", bug.Name)
			}
			expectCaught(t, simtest.Broken(t, bug), c.o, c.want, bug.Description)
		})
	}
	t.Run("AIW apps send no path-less replace", func(t *testing.T) {
		bug, _ := broken.ByName("rejects-pathless-replace")
		expectCaught(t, simtest.Broken(t, bug), okta.Options{}, "", bug.Description)
	})
	t.Run("AIW apps sync no password", func(t *testing.T) {
		bug, _ := broken.ByName("refuses-password-patch")
		expectCaught(t, simtest.Broken(t, bug), okta.Options{}, "", bug.Description)
	})
	t.Run("unstable paging order", func(t *testing.T) {
		expectCaught(t, unstableOrder(simtest.Reference(t)), okta.Options{Users: 3, ImportPageSize: 1}, "the order is not stable", "pages in an unstable order")
	})
	t.Run("filtered member remove wipes all", func(t *testing.T) {
		expectCaught(t, memberRemoveWipesAll(simtest.Reference(t)), okta.Options{App: okta.AppOIN}, "removed other members too", "wipes all members on a filtered remove")
	})
}

func expectCaught(t *testing.T, h http.Handler, o okta.Options, want, bug string) {
	t.Helper()
	simtest.ExpectCaught(t, simulate(t, simtest.Serve(t, h), o), "Okta", bug, want)
}

// TestSafety: resources the run did not create are neither changed nor
// deleted, and cleanup leaves the server as it was — unless Keep.
func TestSafety(t *testing.T) {
	simtest.Safety(t, variants, map[string]any{"userName": "Ada.Lovelace@example.com", "active": true, "displayName": "Existing"}, scenario.Fail, simulate)
	// lifecycle 2 + import 2 + spec test 1 + group members 3; the group
	// deletes itself.
	const created = 2 + 2 + 1 + 3
	simtest.Kept(t, created, func(t *testing.T, tg *simtest.Target) []scenario.Result {
		o := okta.Options{Users: 2, Groups: 1}
		return okta.Run(context.Background(), tg.Client(t, okta.ClientConfig), o, scenario.Options{Keep: true})
	})
}

// TestDryRun: nothing is sent; the requests are printed as Okta sends them.
func TestDryRun(t *testing.T) {
	tg := simtest.Start(t)
	var out bytes.Buffer
	rs := okta.Run(context.Background(), tg.Client(t, okta.ClientConfig), okta.Options{App: okta.AppOIN}, scenario.Options{DryRun: true, Out: &out})
	if n := len(tg.Requests()); n != 0 {
		t.Fatalf("a dry run sent %d requests", n)
	}
	for _, r := range rs {
		if r.Status != scenario.Skip {
			t.Errorf("%s: %s in a dry run", r.Step, r.Status)
		}
	}
	for _, want := range []string{"User-Agent: " + okta.UserAgent, "Content-Type: " + okta.ContentType, `"op": "replace"`, "startIndex=1&count=100", `"groups": []`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry-run output lacks %q", want)
		}
	}
}

func TestStepsAreLabelled(t *testing.T) {
	scs, err := okta.Scenarios(okta.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scs {
		if sc.IdP != okta.IdP {
			t.Errorf("%s: IdP %q", sc.Name, sc.IdP)
		}
		for _, st := range sc.Steps {
			if st.Source == "" || st.Behaviour == "" || st.Clause == "" {
				t.Errorf("%s / %s: missing source, behaviour or clause", sc.Name, st.Name)
			}
			if st.Unverified {
				t.Errorf("%s / %s: Okta's behaviour is documented; nothing is unverified", sc.Name, st.Name)
			}
			if st.Confidence == "" || !st.Confidence.Valid() || st.Confidence == scenario.Unverified {
				t.Errorf("%s / %s: confidence %q", sc.Name, st.Name, st.Confidence)
			}
			for k, e := range st.Expect {
				if e.Source == "" || e.Confidence == "" {
					t.Errorf("%s / %s: expectation %d names no source", sc.Name, st.Name, k+1)
				}
			}
		}
	}
}

func TestOptionsRejected(t *testing.T) {
	for _, o := range []okta.Options{{Users: -1}, {Groups: -2}, {ImportPageSize: -1}, {ImportMaxPages: -1}, {Prefix: "a b"}} {
		if _, err := okta.Scenarios(o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	simtest.Refused(t, okta.Run(context.Background(), nil, okta.Options{Prefix: "aaaaaa"}, scenario.Options{Prefix: "bbbbbb"}), "differ")
}

func TestScenariosDeterministic(t *testing.T) {
	dump := func(seed int64) string {
		scs, _ := okta.Scenarios(okta.Options{Seed: seed})
		var s []string
		for _, sc := range scs {
			for _, st := range sc.Steps {
				j, _ := json.Marshal(st.Request)
				s = append(s, string(j))
			}
		}
		return strings.Join(s, "\n")
	}
	if dump(5) != dump(5) {
		t.Error("the same seed gave different scenarios")
	}
	if dump(5) == dump(6) {
		t.Error("another seed gave the same scenarios")
	}
}

func TestClientConfig(t *testing.T) {
	base := client.Config{BaseURL: "http://x", Headers: map[string]string{"X-Tenant": "t"}}
	cfg := okta.ClientConfig(base)
	if cfg.UserAgent != okta.UserAgent || cfg.Headers["Content-Type"] != "application/scim+json; charset=utf-8" ||
		cfg.Headers["Accept"] != "application/scim+json" || cfg.Headers["X-Tenant"] != "t" {
		t.Errorf("config %+v", cfg)
	}
	if len(base.Headers) != 1 {
		t.Error("base was modified")
	}
}
