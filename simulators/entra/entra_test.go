package entra_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/server/broken"
	"github.com/scimharness/scimharness/simulators/entra"
	"github.com/scimharness/scimharness/simulators/internal/simtest"
)

// start serves h and returns the target and an Entra-configured client
// for it.
func start(t *testing.T, h http.Handler) (*simtest.Target, *client.Client) {
	t.Helper()
	tg := simtest.Serve(t, h)
	return tg, tg.Client(t, entra.ClientConfig)
}

func humbol(t *testing.T) *entra.Mapping {
	t.Helper()
	m, err := entra.BuiltinMapping("humbol")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// bad lists the results that did not pass (warnings included), readably.
func bad(results []scenario.Result, worst scenario.Status) []string {
	var out []string
	for _, r := range results {
		if r.Status >= worst {
			out = append(out, fmt.Sprintf("[%s] %s / %s: %s", r.Status, r.Scenario, r.Step, r.Message))
		}
	}
	return out
}

func run(t *testing.T, c *client.Client, o entra.Options, ro scenario.Options) ([]scenario.Result, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return entra.Run(ctx, c, o, ro)
}

// (1) Against the reference server every step passes — no warning either —
// for each flag setting, role mode, matching attribute and mapping.
func TestAllScenariosPassAgainstReference(t *testing.T) {
	mappings := map[string]*entra.Mapping{"default": nil, "humbol": humbol(t)}
	for _, mname := range []string{"default", "humbol"} {
		for _, flag := range []bool{false, true} {
			for _, mode := range []entra.RoleMode{entra.RoleNone, entra.RoleSingle, entra.RoleComplex, entra.RoleAssertive} {
				for _, match := range []string{entra.MatchUserName, entra.MatchExternalID, entra.MatchEmail} {
					o := entra.Options{Users: 5, Groups: 2, Flag: flag, RoleMode: mode, Match: match, Mapping: mappings[mname], Seed: 7}
					name := fmt.Sprintf("%s/flag=%v/roles=%s/match=%s", mname, flag, mode, match)
					if mname == "humbol" && match == entra.MatchExternalID {
						// Humbol maps no externalId: Entra cannot match on it.
						if _, err := entra.Scenarios(o); err == nil || !strings.Contains(err.Error(), "does not map externalId") {
							t.Errorf("%s: Scenarios error = %v, want one saying the mapping does not map externalId", name, err)
						}
						continue
					}
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						_, c := start(t, simtest.Reference(t))
						results, quarantined := run(t, c, o, scenario.Options{})
						if quarantined {
							t.Error("quarantined")
						}
						if b := bad(results, scenario.Warn); len(b) > 0 {
							t.Errorf("%d of %d results did not pass:\n%s", len(b), len(results), strings.Join(b, "\n\n"))
						}
						if s := scenario.Summarize(results); s.Counts[scenario.Pass] < 60 {
							t.Errorf("only %s", s)
						}
					})
				}
			}
		}
	}
}

// A server that answers PATCH with 204 (TUT's group examples) passes too.
func TestPassAgainstPatchNoContent(t *testing.T) {
	srv := simtest.Reference(t, simtest.PatchNoContent)
	for _, flag := range []bool{false, true} {
		_, c := start(t, srv)
		results, q := run(t, c, entra.Options{Users: 3, Groups: 1, Flag: flag, RoleMode: entra.RoleSingle}, scenario.Options{})
		if b := bad(results, scenario.Warn); len(b) > 0 || q {
			t.Errorf("flag=%v: quarantined %v\n%s", flag, q, strings.Join(b, "\n\n"))
		}
	}
}

// Edge populations: one user (no manager, no member changes), two, and
// uneven teams with more groups than teams.
func TestSmallAndUnevenPopulations(t *testing.T) {
	for _, o := range []entra.Options{
		{Users: 1, Groups: 1},
		{Users: 2, Groups: 1, Flag: true},
		{Users: 7, Groups: 3, RoleMode: entra.RoleAssertive},
		{Users: 3, Groups: 0, Mapping: humbol(t), Match: entra.MatchEmail},
	} {
		_, c := start(t, simtest.Reference(t))
		results, q := run(t, c, o, scenario.Options{})
		if b := bad(results, scenario.Warn); len(b) > 0 || q {
			t.Errorf("%+v: quarantined %v\n%s", o, q, strings.Join(b, "\n\n"))
		}
	}
}

// The requests carry Entra's shapes: this is what makes the simulator a
// simulator, so the wire is checked directly.
func TestWireShapes(t *testing.T) {
	type want struct {
		contains []string
		absent   []string
	}
	cases := []struct {
		name string
		o    entra.Options
		want want
	}{
		{"default mapping, no flag", entra.Options{Users: 3, Groups: 1},
			want{contains: []string{
				`"op":"Replace","path":"name.familyName"`,
				`"path":"emails[type eq \"work\"].value"`,
				`"op":"Replace","path":"active","value":"False"`,
				`"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"`,
				`"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":""`,
				`"op":"Remove","path":"members","value":[{"value":"`,
				`"op":"Add","path":"members","value":[{"$ref":null,"value":"`,
				`"op":"Add","path":"title"`, // a sparse user gets a title
				`"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"]`,
				`"meta":{"resourceType":"User"}`,
				`"roles":[]`,
				`"active":"True"`,
				`"primary":"True"`,
				`"formatted":"`, // name.formatted is mapped by default
				// legacy and validator shapes
				`?filter=externalId+eq+jyoung-scimh-`,
				`/Users?startIndex=1&count=5 `,
				`/Users?startIndex=6&count=5 `,
				`"op":"Replace","path":"emails[type eq \"other\"].Value"`,
				`"op":"Replace","path":"active","value":"False"`, // KNOWN
				`"op":"Replace","path":"active","value":false`,   // TUT's own disable
				`DELETE /scim/v2/Groups/`,                        // TUT "Delete Group"
			}, absent: []string{`"op":"replace"`, `"op":"remove"`, `"title":null`, `+sw+`, `GET /scim/v2/Schemas`, `manager[value eq`}}},
		{"manager removed by value filter", entra.Options{Users: 3, ManagerRemoveByFilter: true},
			want{contains: []string{`"op":"remove","path":"manager[value eq \"`}}},
		{"legacy nulls, gallery app", entra.Options{Users: 3, Groups: 1, Nulls: true, Gallery: true},
			want{contains: []string{`"title":null`, `GET /scim/v2/Schemas`}}},
		{"default mapping, aadOptscim062020", entra.Options{Users: 3, Groups: 1, Flag: true},
			want{contains: []string{
				`{"op":"replace","value":{`,
				`"name.familyName":"`,
				`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"`,
				`"op":"replace","path":"active","value":false`,
				`"op":"remove","path":"members[value eq \"`,
				`"op":"replace","path":"emails[type eq \"other\"].Value"`,
			}, absent: []string{`"op":"Replace"`, `"op":"Remove"`, `"value":"False"`}}},
		{"humbol mapping", entra.Options{Users: 3, Mapping: humbol(t)},
			want{contains: []string{
				`"path":"addresses[type eq \"work\"].locality"`,
				`"path":"addresses[type eq \"work\"].region"`,
				`"roles":[{"primary":true,"type":"WindowsAzureActiveDirectoryRole","value":"`,
				// SingleAppRoleAssignment: the PATCH differs from the POST (MAP).
				`"op":"Add","path":"roles","value":[{"value":"{\"id\":\"`,
				`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"`,
			}}},
		{"complex roles", entra.Options{Users: 2, RoleMode: entra.RoleComplex},
			want{contains: []string{`"op":"Add","path":"roles","value":[{"value":"{\"id\":\"`, `"roles":[{"displayName":"`, `"primary":false`}}},
		{"assertive roles", entra.Options{Users: 2, RoleMode: entra.RoleAssertive, Flag: true},
			want{contains: []string{`"op":"replace","path":"roles","value":[{"display":"`, `"primary":false,"type":"WindowsAzureActiveDirectoryRole","value":"`}}},
		{"assertive roles, no flag: still lower case", entra.Options{Users: 2, RoleMode: entra.RoleAssertive},
			want{contains: []string{`"op":"replace","path":"roles"`}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, c := start(t, simtest.Reference(t))
			results, _ := run(t, c, tc.o, scenario.Options{})
			worst := scenario.Warn
			if tc.o.ManagerRemoveByFilter {
				// The reference server refuses a valuePath on the
				// single-valued manager (RFC 7644 §3.5.2): a SHOULD warning.
				worst = scenario.Fail
			}
			if b := bad(results, worst); len(b) > 0 {
				t.Errorf("not all passed:\n%s", strings.Join(b, "\n"))
			}
			var all strings.Builder
			for _, r := range w.Requests() {
				if ua := r.Header.Get("User-Agent"); ua != entra.UserAgent {
					t.Errorf("%s %s: User-Agent %q", r.Method, r.Path, ua)
				}
				if ct := r.Header.Get("Content-Type"); len(r.Body) > 0 && ct != entra.ContentType {
					t.Errorf("%s %s: Content-Type %q", r.Method, r.Path, ct)
				}
				if a := r.Header.Values("Accept"); len(a) > 0 {
					t.Errorf("%s %s: Accept %q; real Entra does not ask for application/scim+json (azure-docs issue 94189)", r.Method, r.Path, a)
				}
				fmt.Fprintf(&all, "%s %s?%s %s\n", r.Method, r.Path, r.Query, r.Body)
			}
			for _, s := range tc.want.contains {
				if !strings.Contains(all.String(), s) {
					t.Errorf("no request contains %s", s)
				}
			}
			for _, s := range tc.want.absent {
				if strings.Contains(all.String(), s) {
					t.Errorf("a request contains %s", s)
				}
			}
			if t.Failed() {
				t.Log(all.String())
			}
		})
	}
}

// The sequence opens with Test Connection's random-GUID probe and the
// schema read, and groups are queried without members.
func TestProbeAndQueries(t *testing.T) {
	w, c := start(t, simtest.Reference(t))
	run(t, c, entra.Options{Users: 2, Groups: 1, Match: entra.MatchEmail}, scenario.Options{})
	reqs := w.Requests()
	// Test Connection queries the matching attribute, not always userName
	// (TUT; SCIMReferenceCode issue 63), then a random group (TUT).
	if len(reqs) < 2 || reqs[0].Method != "GET" || reqs[0].Path != "/scim/v2/Users" || !strings.HasPrefix(reqs[0].Query, "filter=emails%5Btype+eq+%22work%22%5D.value+eq+%22") {
		t.Fatalf("first request %+v, want the probe by the work email", reqs[0])
	}
	if reqs[1].Path != "/scim/v2/Groups" || !strings.HasPrefix(reqs[1].Query, "excludedAttributes=members&filter=displayName+eq+%22") {
		t.Errorf("second request %+v, want the random group", reqs[1])
	}
	var sawGroupQuery, sawEmailMatch, sawSchemas bool
	for _, r := range reqs {
		sawGroupQuery = sawGroupQuery || (r.Path == "/scim/v2/Groups" && strings.HasPrefix(r.Query, "excludedAttributes=members&filter=displayName+eq+"))
		sawEmailMatch = sawEmailMatch || strings.Contains(r.Query, "filter=emails%5Btype+eq+%22work%22%5D.value+eq+")
		sawSchemas = sawSchemas || r.Path == "/scim/v2/Schemas"
	}
	if !sawGroupQuery || !sawEmailMatch || sawSchemas {
		t.Errorf("group query %v, email match %v, /Schemas asked of a non-gallery app %v", sawGroupQuery, sawEmailMatch, sawSchemas)
	}
}

// Several matching attributes are tried one at a time, in precedence
// order (HOW).
func TestMatchingPrecedence(t *testing.T) {
	m, err := entra.LoadMapping(strings.NewReader(`name: two-keys
attributes:
  - {target: userName, source: userPrincipalName, matching: true, precedence: 2}
  - {target: externalId, source: objectId, matching: true, precedence: 1}
  - {target: active, source: 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'}
  - {target: 'emails[type eq "work"].value', source: mail}
`))
	if err != nil {
		t.Fatal(err)
	}
	w, c := start(t, simtest.Reference(t))
	results, _ := run(t, c, entra.Options{Users: 2, Mapping: m}, scenario.Options{})
	if b := bad(results, scenario.Warn); len(b) > 0 {
		t.Errorf("not all passed:\n%s", strings.Join(b, "\n"))
	}
	var lookups []string
	for _, r := range w.Requests() {
		if r.Method == "POST" {
			break
		}
		if strings.HasPrefix(r.Query, "filter=") {
			lookups = append(lookups, strings.SplitN(r.Query, "+", 2)[0])
		}
	}
	// probe (by the first matching attribute, externalId), then the first
	// user's lookups by externalId, then userName.
	if want := []string{"filter=externalId", "filter=externalId", "filter=userName"}; !reflect.DeepEqual(lookups[len(lookups)-3:], want) {
		t.Errorf("lookups before the first POST: %v, want them to end with %v", lookups, want)
	}
}

// (2) Every broken server the Entra simulator can see fails the run, with
// a message that names the bug.
func TestBrokenServersAreCaught(t *testing.T) {
	cases := []struct {
		bug  string
		o    entra.Options
		want string // in the message of a failing result
		// quarantine: Run must report quarantine (others may: a bug that
		// fails every PATCH crosses the 40% line, as it would in Entra)
		quarantine bool
	}{
		{"lowercases-username", entra.Options{}, "lower-cased userName", false},
		{"ignores-filter", entra.Options{}, "ignored the filter", false},
		{"404-for-empty-list", entra.Options{}, "quarantined: Test Connection", true},
		{"remove-members-wipes-all", entra.Options{Groups: 1}, "removed every member", false},
		{"rejects-capitalised-ops", entra.Options{}, "capitalised ops", false},
		{"errors-without-scim-body", entra.Options{}, "without a SCIM error body", false},
		{"stores-false-as-string", entra.Options{}, `as the string "False"`, false},
		{"stores-false-as-string", entra.Options{Flag: true}, `as the string "True"`, false}, // booleans-as-strings scenario
		{"500-on-duplicate", entra.Options{}, "a duplicate userName got 500", false},
		{"rejects-pathless-replace", entra.Options{Flag: true}, "path-less replace", false},
		{"case-sensitive-filter", entra.Options{}, "case-sensitively", false},
		{"zero-based-start-index", entra.Options{}, "but 1 was asked for", false},
		// Entra sends the raw id and fails to deserialize it back (log,
		// Budibase issue 15369).
		{"manager-as-string", entra.Options{}, "manager reads back as the raw string", false},
		// Entra sends no SCIM Accept (catalog "Corrections and additions";
		// log, azure-docs issue 94189): Test Connection gets the 406.
		{"406-without-scim-accept", entra.Options{}, "406 Not Acceptable to a request without Accept: application/scim+json", false},
		// Only the Add of every role at once (log, SCIM-SDK issue 516)
		// shows a server keeping the first role; Entra's default one-role
		// Add passes it (TestRolesInOnePatch).
		{"keeps-first-role-of-add", entra.Options{RoleMode: entra.RoleComplex, RolesInOnePatch: true, Seed: 7}, "AppRoleAssignmentsComplex", false},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/flag=%v", tc.bug, tc.o.Flag), func(t *testing.T) {
			t.Parallel()
			bug, ok := broken.ByName(tc.bug)
			if !ok {
				t.Fatalf("no bug %q (have %v)", tc.bug, broken.Names())
			}
			_, c := start(t, simtest.Broken(t, bug))
			results, quarantined := run(t, c, tc.o, scenario.Options{})
			if tc.quarantine && !quarantined {
				t.Error("not quarantined")
			}
			failing := bad(results, scenario.Fail)
			if len(failing) == 0 {
				t.Fatalf("the run passed against a server that %s", bug.Description)
			}
			for _, f := range failing {
				if strings.Contains(f, tc.want) {
					return
				}
			}
			t.Errorf("no failing result says %q:\n%s", tc.want, strings.Join(failing, "\n\n"))
		})
	}
}

// invisible are the bugs Entra cannot see, and why; TestBlindToConformanceOnlyBugs
// shows a run against each fails nothing.
var invisible = map[string]string{
	"rejects-application-json":           "Entra sends application/scim+json",
	"bulk-ignores-fail-on-errors":        "a conformance-only bug: Entra sends no /Bulk, .search, /Me, role or password requests of this kind, and reads application/json answers",
	"bulk-advertises-too-few-operations": "a conformance-only bug: Entra sends no /Bulk, .search, /Me, role or password requests of this kind, and reads application/json answers",
	"bulk-ignores-bulk-ids":              "a conformance-only bug: Entra sends no /Bulk, .search, /Me, role or password requests of this kind, and reads application/json answers",
	"groups-search-ignores-filter":       "a conformance-only bug: Entra sends no /Bulk, .search, /Me, role or password requests of this kind, and reads application/json answers",
	"refuses-password-patch":             "a conformance-only bug: Entra sends no /Bulk, .search, /Me, role or password requests of this kind, and reads application/json answers",
	"answers-application-json":           "a conformance-only bug: Entra sends no /Bulk, .search, /Me, role or password requests of this kind, and reads application/json answers",
	"me-404":                             "a conformance-only bug: Entra sends no /Bulk, .search, /Me, role or password requests of this kind, and reads application/json answers",
	"keeps-primary-as-string":            "a conformance-only bug: Entra sends no /Bulk, .search, /Me, role or password requests of this kind, and reads application/json answers",
	"stores-two-primaries":               "a conformance-only bug: Entra sends no /Bulk, .search, /Me, role or password requests of this kind, and reads application/json answers",
	"parses-json-role-values":            "a conformance-only bug: Entra sends no /Bulk, .search, /Me, role or password requests of this kind, and reads application/json answers",
	"first-clause-only":                  "a combination bug: Entra's queries are single-clause eq filters with no not, two-term value paths, sortBy, startIndex past 1, attributes= or adds to emails",
	"ignores-not":                        "a combination bug: Entra's queries are single-clause eq filters with no not, two-term value paths, sortBy, startIndex past 1, attributes= or adds to emails",
	"value-path-first-term":              "a combination bug: Entra's queries are single-clause eq filters with no not, two-term value paths, sortBy, startIndex past 1, attributes= or adds to emails",
	"ignores-sort-order":                 "a combination bug: Entra's queries are single-clause eq filters with no not, two-term value paths, sortBy, startIndex past 1, attributes= or adds to emails",
	"ignores-attributes":                 "a combination bug: Entra's queries are single-clause eq filters with no not, two-term value paths, sortBy, startIndex past 1, attributes= or adds to emails",
	"add-replaces-multivalued":           "a combination bug: Entra's queries are single-clause eq filters with no not, two-term value paths, sortBy, startIndex past 1, attributes= or adds to emails",
	"users-search-ignores-filter":        "a view bug: Entra queries by GET, never POST /.search",
	"location-names-username":            "a view bug: Entra keeps the id of the create's body and never follows Location or meta.location",
	"write-ignores-attributes":           "a view bug: Entra sends no attributes= or excludedAttributes= on a write",
	"schemas-by-id-404":                  "a discovery bug: Entra's gallery apps read the /Schemas list, never a schema by id",
	"discovery-accepts-writes":           "a discovery bug: Entra never writes to /Schemas",
	"resource-type-by-id-differs":        "a discovery bug: Entra never reads /ResourceTypes",
	"unknown-schema-200":                 "a discovery bug: Entra's gallery apps read the /Schemas list, never a schema by id",
	"spc-denies-patch":                   "a discovery bug: Entra never reads /ServiceProviderConfig and PATCHes whatever it says, and the PATCHes work",
	"ignores-string-primary-filter":      "a conformance-only bug: Entra sends no /Bulk, .search, /Me, role or password requests of this kind, and reads application/json answers",
}

// The bugs Entra cannot see are listed, so that a new bug is a decision.
func TestEveryBugIsConsidered(t *testing.T) {
	covered := map[string]bool{
		"lowercases-username": true, "ignores-filter": true, "404-for-empty-list": true,
		"remove-members-wipes-all": true, "rejects-capitalised-ops": true, "errors-without-scim-body": true,
		"stores-false-as-string": true, "500-on-duplicate": true, "rejects-pathless-replace": true,
		"case-sensitive-filter": true, "zero-based-start-index": true, "manager-as-string": true,
		"406-without-scim-accept": true, "keeps-first-role-of-add": true,
	}
	for _, name := range broken.Names() {
		if !covered[name] && invisible[name] == "" {
			t.Errorf("bug %q is neither caught by TestBrokenServersAreCaught nor listed as invisible to Entra", name)
		}
	}
}

// (3) Quarantine: a server that fails most requests stops the run.
func TestQuarantineOnFailureRatio(t *testing.T) {
	ref := simtest.Reference(t)
	var n int
	var mu sync.Mutex
	failing := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		if r.Method == http.MethodGet && r.URL.Path == "/scim/v2/Users" && strings.Contains(r.URL.RawQuery, "GUID") {
			ref.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodGet && r.URL.Query().Has("filter") {
			ref.ServeHTTP(w, r) // lookups work; everything else fails
			return
		}
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500","detail":"down"}`)
	})
	_, c := start(t, failing)
	scs, err := entra.Scenarios(entra.Options{Users: 20, Groups: 2})
	if err != nil {
		t.Fatal(err)
	}
	planned := 0
	for _, sc := range scs {
		planned += len(sc.Steps)
	}
	results, quarantined := run(t, c, entra.Options{Users: 20, Groups: 2, QuarantineMin: 10}, scenario.Options{})
	if !quarantined {
		t.Fatalf("not quarantined:\n%s", strings.Join(bad(results, scenario.Fail), "\n"))
	}
	last := results[len(results)-1]
	if last.Scenario != entra.QuarantineScenario || last.Status != scenario.Fail || !strings.HasPrefix(last.Message, "quarantined: ") || !strings.Contains(last.Message, "operations failed") {
		t.Errorf("last result %+v", last)
	}
	skipped := 0
	for _, r := range results {
		if r.Status == scenario.Skip && (strings.Contains(r.Message, "quarantined") || strings.Contains(r.Message, "cancelled")) {
			skipped++
		}
	}
	mu.Lock()
	sent := n
	mu.Unlock()
	if skipped == 0 || sent >= planned {
		t.Errorf("the run did not stop: %d skipped, %d requests for %d planned steps", skipped, sent, planned)
	}
}

// A wrong token quarantines at Test Connection (persistent credential
// errors, QUAR), and nothing else is sent.
func TestQuarantineOnBadCredentials(t *testing.T) {
	w := simtest.Serve(t, simtest.Reference(t))
	c, err := client.New(entra.ClientConfig(client.Config{BaseURL: w.Base(), Token: "wrong"}))
	if err != nil {
		t.Fatal(err)
	}
	results, quarantined := run(t, c, entra.Options{}, scenario.Options{})
	if !quarantined || !strings.Contains(results[len(results)-1].Message, "refused with 401") {
		t.Errorf("quarantined %v, last %+v", quarantined, results[len(results)-1])
	}
	if n := len(w.Requests()); n != 1 {
		t.Errorf("%d requests after a refused Test Connection, want 1", n)
	}
}

// A healthy run is not quarantined, and the ratio is judged at the end of
// a small run (default minimum scaled to the run).
func TestQuarantineScaledMinimum(t *testing.T) {
	_, c := start(t, simtest.Reference(t))
	if _, q := run(t, c, entra.Options{Users: 2}, scenario.Options{}); q {
		t.Error("a passing run was quarantined")
	}
}

// (4) Mapping files.
func TestLoadBuiltinMappings(t *testing.T) {
	h := humbol(t)
	if len(h.Attributes) != 13 {
		t.Errorf("humbol has %d attributes, the tutorial lists 13", len(h.Attributes))
	}
	var targets []string
	for _, a := range h.Attributes {
		targets = append(targets, a.Target)
	}
	for _, want := range []string{`addresses[type eq "work"].locality`, `addresses[type eq "work"].region`, `addresses[type eq "work"].country`,
		`roles[primary eq "True"].value`, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "preferredLanguage", "title"} {
		if !strings.Contains(strings.Join(targets, "\n"), want) {
			t.Errorf("humbol lacks %s", want)
		}
	}
	d, err := entra.DefaultMapping()
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Attributes) < 15 || d.Attributes[0].Target != "userName" || !d.Attributes[0].Matching {
		t.Errorf("default mapping: %d attributes, first %+v", len(d.Attributes), d.Attributes[0])
	}
	if got := entra.BuiltinMappings(); !reflect.DeepEqual(got, []string{"entra-default", "humbol"}) {
		t.Errorf("BuiltinMappings = %v", got)
	}
	// OpenMapping takes a name or a path.
	dir := t.TempDir()
	p := filepath.Join(dir, "m.yaml")
	os.WriteFile(p, []byte("name: mine\nattributes:\n  - {target: userName, source: userPrincipalName, matching: true}\n  - {target: active, source: 'Not([IsSoftDeleted])'}\n"), 0o600)
	for _, arg := range []string{"humbol", p} {
		if _, err := entra.OpenMapping(arg); err != nil {
			t.Errorf("OpenMapping(%s): %v", arg, err)
		}
	}
	if _, err := entra.OpenMapping(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "neither a built-in mapping") {
		t.Errorf("OpenMapping(missing) = %v", err)
	}
	// A minimal mapping runs.
	m, _ := entra.OpenMapping(p)
	_, c := start(t, simtest.Reference(t))
	results, _ := run(t, c, entra.Options{Users: 2, Mapping: m}, scenario.Options{})
	if b := bad(results, scenario.Warn); len(b) > 0 {
		t.Errorf("minimal mapping:\n%s", strings.Join(b, "\n"))
	}
}

func TestLoadMappingErrors(t *testing.T) {
	const ok = "  - {target: userName, source: userPrincipalName, matching: true}\n"
	cases := []struct{ name, yaml, want string }{
		{"empty", "", "empty"},
		{"no attributes", "name: x\n", "no attributes"},
		{"unknown field", "name: x\nattributes:\n  - {target: userName, source: userPrincipalName, matchin: true}\n", "field matchin not found"},
		{"not yaml", "name: [x\n", "mapping:"},
		{"unknown source", "name: x\nattributes:\n" + ok + "  - {target: title, source: jobTitel}\n", `unknown Entra attribute "jobTitel"`},
		{"bad target", "name: x\nattributes:\n" + ok + "  - {target: 'emails[type co \"work\"].value', source: mail}\n", `attribute 2 (target "emails[type co \"work\"].value")`},
		{"duplicate", "name: x\nattributes:\n" + ok + "  - {target: USERNAME, source: mail}\n", "same target as attribute 1"},
		{"active source", "name: x\nattributes:\n" + ok + "  - {target: active, source: accountEnabled}\n", "unknown Entra attribute"},
		{"active from mail", "name: x\nattributes:\n" + ok + "  - {target: active, source: mail}\n", "active must be mapped from Switch"},
		{"bad type", "name: x\nattributes:\n" + ok + "  - {target: title, source: jobTitle, type: Text}\n", `type "Text" is not one of`},
		{"roles source", "name: x\nattributes:\n" + ok + "  - {target: roles, source: 'SingleAppRoleAssignment([appRoleAssignments])'}\n", `must target roles[primary eq "True"].value`},
		{"roles plain", "name: x\nattributes:\n" + ok + "  - {target: roles, source: jobTitle}\n", "roles must come from"},
		{"manager", "name: x\nattributes:\n" + ok + "  - {target: title, source: manager}\n", "manager must be mapped"},
		{"no userName", "name: x\nattributes:\n  - {target: title, source: jobTitle, matching: true}\n", "no userName target"},
		{"no matching", "name: x\nattributes:\n  - {target: userName, source: userPrincipalName}\n", "no matching attribute"},
		{"bad expression", "name: x\nattributes:\n" + ok + "  - {target: title, source: 'Mid([jobTitle], 1, 3)'}\n", "unsupported expression Mid"},
		{"no source", "name: x\nattributes:\n" + ok + "  - {target: title}\n", "no source"},
	}
	for _, tc := range cases {
		_, err := entra.LoadMapping(strings.NewReader(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
}

func TestOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		o    entra.Options
		want string
	}{
		{entra.Options{Users: -1}, "negative"},
		{entra.Options{Match: "mail"}, `Match "mail"`},
		{entra.Options{RoleMode: "Single"}, "RoleMode"},
		{entra.Options{RoleMode: entra.RoleSingle, Roles: []string{"Only"}}, "at least two Roles"},
		{entra.Options{QuarantineThreshold: 2}, "ratio"},
	} {
		if _, err := entra.Scenarios(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.o, err, tc.want)
		}
	}
	for in, want := range map[string]entra.RoleMode{"": entra.RoleNone, "single": entra.RoleSingle, "COMPLEX": entra.RoleComplex, "AssertiveAppRoleAssignmentsComplex": entra.RoleAssertive} {
		if got, err := entra.ParseRoleMode(in); err != nil || got != want {
			t.Errorf("ParseRoleMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := entra.ParseRoleMode("multi"); err == nil {
		t.Error("ParseRoleMode(multi) succeeded")
	}
}

// The same seed gives the same scenarios; every step documents itself.
func TestScenariosDeterministicAndDocumented(t *testing.T) {
	o := entra.Options{Users: 12, Groups: 3, Seed: 42, RoleMode: entra.RoleSingle, Gallery: true}
	a, err := entra.Scenarios(o)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := entra.Scenarios(o)
	if len(a) != len(b) {
		t.Fatal("different scenario counts")
	}
	if a[0].Name != entra.TestConnectionName || a[1].Name != entra.SchemaDiscovery {
		t.Errorf("first scenarios %q, %q", a[0].Name, a[1].Name)
	}
	teams := 0
	for i := range a {
		if strings.Contains(a[i].Name, "provisioning cycles") {
			teams++
		}
		if a[i].Name != b[i].Name || len(a[i].Steps) != len(b[i].Steps) {
			t.Errorf("scenario %d differs: %q vs %q", i, a[i].Name, b[i].Name)
		}
		for j, st := range a[i].Steps {
			if st.Name != b[i].Steps[j].Name {
				t.Errorf("step %d.%d differs", i, j)
			}
			if st.Behaviour == "" || st.Source == "" || st.Clause == "" || a[i].IdP != entra.IdP {
				t.Errorf("%s / %s: behaviour, source, clause and IdP are required", a[i].Name, st.Name)
			}
			if st.Unverified && !strings.Contains(st.Source, "Unverified") {
				t.Errorf("%s / %s: unverified steps say so in Source", a[i].Name, st.Name)
			}
			// Provenance: every request and every judgement names its
			// source and confidence, and an unverified one is labelled.
			if !st.Confidence.Valid() || st.Confidence == "" || (st.Unverified != (st.Confidence == scenario.Unverified)) {
				t.Errorf("%s / %s: confidence %q (unverified %v)", a[i].Name, st.Name, st.Confidence, st.Unverified)
			}
			for k, e := range st.Expect {
				if e.Source == "" || e.Confidence == "" {
					t.Errorf("%s / %s: expectation %d names no source or confidence", a[i].Name, st.Name, k+1)
				}
			}
		}
	}
	if teams != 3 { // 12 users, teams of at most 5
		t.Errorf("%d teams, want 3", teams)
	}
	c, _ := entra.Scenarios(entra.Options{Users: 12, Groups: 3, Seed: 43, RoleMode: entra.RoleSingle})
	if reflect.DeepEqual(stepNames(a), stepNames(c)) {
		t.Error("another seed gave the same population")
	}
}

func stepNames(scs []scenario.Scenario) []string {
	var out []string
	for _, sc := range scs {
		for _, st := range sc.Steps {
			out = append(out, st.Name)
		}
	}
	return out
}

// A dry run prints every request, ids as placeholders, without sending.
func TestDryRun(t *testing.T) {
	w, c := start(t, simtest.Reference(t))
	var out bytes.Buffer
	results, q := run(t, c, entra.Options{Users: 2, Groups: 1}, scenario.Options{DryRun: true, Out: &out, Prefix: "scimh-dryrun00"})
	if q || len(w.Requests()) != 0 {
		t.Errorf("quarantined %v, %d requests sent", q, len(w.Requests()))
	}
	for _, r := range results {
		if r.Status != scenario.Skip {
			t.Errorf("%s / %s: %s %s", r.Scenario, r.Step, r.Status, r.Message)
		}
	}
	for _, s := range []string{"PATCH ", "/Users/${u0}", `"value": "${u0}"`, "DELETE ", "scimh-dryrun00.contoso.example"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("dry run output lacks %q", s)
		}
	}
}

// Concurrency and rate: teams run in parallel, under the rate limit.
func TestConcurrencyAndRate(t *testing.T) {
	w, c := start(t, simtest.Reference(t))
	results, q := run(t, c, entra.Options{Users: 15, Groups: 3, Concurrency: 3}, scenario.Options{})
	if b := bad(results, scenario.Warn); len(b) > 0 || q {
		t.Errorf("concurrent run: quarantined %v\n%s", q, strings.Join(b, "\n"))
	}

	w, c = start(t, simtest.Reference(t))
	const rate = 400.0
	begin := time.Now()
	results, _ = run(t, c, entra.Options{Users: 2, Rate: rate, Concurrency: 2}, scenario.Options{Keep: true})
	elapsed := time.Since(begin)
	n := len(w.Requests())
	if min := time.Duration(float64(n-1) / rate * float64(time.Second)); elapsed < min {
		t.Errorf("%d requests in %v, faster than %v/s allows (%v)", n, elapsed, rate, min)
	}
	if b := bad(results, scenario.Warn); len(b) > 0 {
		t.Errorf("rated run:\n%s", strings.Join(b, "\n"))
	}
}

// (5) Safety: what the run did not create is untouched; what it created is
// removed, unless Keep.
func TestSafety(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
			_, c := start(t, simtest.Reference(t))
			// Pre-existing data without the prefix, including a user
			// whose userName Entra's generator could plausibly produce.
			existing := simtest.PreCreate(t, c, map[string]any{"userName": "Ada.Lovelace@contoso.example", "active": true, "name": map[string]any{"familyName": "Lovelace"}}, "Engineering 1")
			users, groups := simtest.Total(t, c, "Users"), simtest.Total(t, c, "Groups")

			results, q := run(t, c, entra.Options{Users: 6, Groups: 2, Seed: 1}, scenario.Options{Keep: keep})
			if b := bad(results, scenario.Warn); len(b) > 0 || q {
				t.Errorf("run: quarantined %v\n%s", q, strings.Join(b, "\n"))
			}
			existing.Unchanged(t)
			created, deletedByRun := 0, 0
			for _, r := range results {
				for _, ex := range r.Exchanges {
					switch {
					case ex.Request.Method == "POST" && ex.Status() == 201:
						created++
					case ex.Request.Method == "DELETE" && !r.Cleanup && ex.Status() == 204:
						deletedByRun++
					}
				}
			}
			gotUsers, gotGroups := simtest.Total(t, c, "Users"), simtest.Total(t, c, "Groups")
			if keep {
				if gotUsers+gotGroups != users+groups+created-deletedByRun {
					t.Errorf("keep: %d users + %d groups, want %d more than %d (created %d, deleted %d by the scenarios)",
						gotUsers, gotGroups, created-deletedByRun, users+groups, created, deletedByRun)
				}
				return
			}
			if gotUsers != users || gotGroups != groups {
				t.Errorf("after cleanup %d users, %d groups; before %d, %d", gotUsers, gotGroups, users, groups)
			}
		})
	}
}

// The legacy and validator shapes go on the wire exactly as documented.
func TestLegacyShapesWire(t *testing.T) {
	w, c := start(t, simtest.Reference(t))
	const prefix = "scimh-wire0000"
	results, _ := run(t, c, entra.Options{Users: 1}, scenario.Options{Prefix: prefix})
	if b := bad(results, scenario.Warn); len(b) > 0 {
		t.Errorf("not all passed:\n%s", strings.Join(b, "\n"))
	}
	var lines []string
	for _, r := range w.Requests() {
		line := r.Method + " " + r.Path
		if r.Query != "" {
			line += "?" + r.Query
		}
		lines = append(lines, line)
		if strings.Contains(r.Body, `emails[type eq \"other\"]`) {
			lines = append(lines, r.Body)
		}
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{
		"GET /scim/v2/Users?filter=externalId+eq+jyoung-" + prefix + "\n",
		"GET /scim/v2/Users?startIndex=1&count=5\n",
		"GET /scim/v2/Users?startIndex=6&count=5\n",
		`{"Operations":[{"op":"Replace","path":"emails[type eq \"other\"].Value","value":"jo.young.other2@` + prefix + `.fabrikam.example"}],"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`,
	} {
		if !strings.Contains(all+"\n", want) {
			t.Errorf("no request is\n  %s", want)
		}
	}
	var steps []string
	for _, r := range results {
		if r.Scenario == entra.LegacyScenario && !r.Cleanup {
			steps = append(steps, r.Status.String())
		}
	}
	if len(steps) != 14 || strings.Join(steps, ",") != strings.TrimSuffix(strings.Repeat("pass,", 14), ",") {
		t.Errorf("legacy scenario steps: %v, want 14 passes", steps)
	}
	if t.Failed() {
		t.Log(all)
	}
}

// scimError answers status with a SCIM error body.
func scimError(w http.ResponseWriter, status int, scimType, detail string) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"%d","scimType":%q,"detail":%q}`, status, scimType, detail)
}

// unquoted reports whether a filter compares with a bare word that is not
// true, false, null or a number.
func unquoted(filter string) bool {
	f := strings.Fields(filter)
	for i := 1; i+1 < len(f); i++ {
		if !strings.EqualFold(f[i], "eq") {
			continue
		}
		v := f[i+1]
		switch {
		case strings.HasPrefix(v, `"`), v == "true", v == "false", v == "null":
		case v[0] == '-' || (v[0] >= '0' && v[0] <= '9'):
		default:
			return true
		}
	}
	return false
}

// legacyResults runs Entra against h and returns the results of the
// legacy scenario's steps by step-name fragment.
func legacyResults(t *testing.T, h http.Handler, mode scenario.Mode) []scenario.Result {
	t.Helper()
	_, c := start(t, h)
	results, _ := run(t, c, entra.Options{Users: 1}, scenario.Options{Mode: mode})
	var out []scenario.Result
	for _, r := range results {
		if r.Scenario == entra.LegacyScenario && !r.Cleanup {
			out = append(out, r)
		}
	}
	return out
}

func stepResult(t *testing.T, rs []scenario.Result, fragment string) scenario.Result {
	t.Helper()
	for _, r := range rs {
		if strings.Contains(r.Step, fragment) {
			return r
		}
	}
	t.Fatalf("no step %q among %d results", fragment, len(rs))
	return scenario.Result{}
}

// Each legacy and validator shape catches the server that mishandles it.
func TestLegacyShapesCaught(t *testing.T) {
	ref := simtest.Reference(t)

	// A strict RFC server: unquoted values are refused with 400
	// invalidFilter. Informational in strict mode, a warning in compat.
	strictFilter := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if unquoted(r.URL.Query().Get("filter")) {
			scimError(w, http.StatusBadRequest, "invalidFilter", "filter values must be JSON strings")
			return
		}
		ref.ServeHTTP(w, r)
	})
	t.Run("unquoted refused, strict", func(t *testing.T) {
		r := stepResult(t, legacyResults(t, strictFilter, scenario.Strict), "unquoted value")
		if r.Status != scenario.Warn || !r.Info || !strings.Contains(r.Message, "correct under RFC 7644") {
			t.Errorf("%s info=%v: %s", r.Status, r.Info, r.Message)
		}
		if s := scenario.Summarize([]scenario.Result{r}); s.Verdict != scenario.Pass {
			t.Errorf("verdict %s, want pass: the refusal is RFC-correct", s.Verdict)
		}
	})
	t.Run("unquoted refused, compat", func(t *testing.T) {
		r := stepResult(t, legacyResults(t, strictFilter, scenario.Compat), "unquoted value")
		if r.Status != scenario.Warn || r.Info || !strings.Contains(r.Message, "refused Entra's legacy unquoted filter externalId eq jyoung-") {
			t.Errorf("%s info=%v: %s", r.Status, r.Info, r.Message)
		}
	})
	// A 400 without invalidFilter is a SHOULD miss in either mode.
	t.Run("unquoted refused without invalidFilter", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if unquoted(r.URL.Query().Get("filter")) {
				scimError(w, http.StatusBadRequest, "invalidValue", "bad filter")
				return
			}
			ref.ServeHTTP(w, r)
		})
		r := stepResult(t, legacyResults(t, h, scenario.Strict), "unquoted value")
		if r.Status != scenario.Warn || r.Info || !strings.Contains(r.Message, `scimType "invalidFilter"`) {
			t.Errorf("%s info=%v: %s", r.Status, r.Info, r.Message)
		}
	})
	// Misreading the bare word (here: matching nothing) fails in both
	// modes, as does a 500.
	for _, mode := range []scenario.Mode{scenario.Strict, scenario.Compat} {
		t.Run("unquoted misread/"+string(mode), func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if unquoted(r.URL.Query().Get("filter")) {
					w.Header().Set("Content-Type", "application/scim+json")
					io.WriteString(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[]}`)
					return
				}
				ref.ServeHTTP(w, r)
			})
			r := stepResult(t, legacyResults(t, h, mode), "unquoted value")
			if r.Status != scenario.Fail || !strings.Contains(r.Message, "misread the bare word") {
				t.Errorf("%s: %s", r.Status, r.Message)
			}
		})
	}
	t.Run("unquoted 500", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if unquoted(r.URL.Query().Get("filter")) {
				scimError(w, http.StatusInternalServerError, "", "parse error")
				return
			}
			ref.ServeHTTP(w, r)
		})
		r := stepResult(t, legacyResults(t, h, scenario.Compat), "unquoted value")
		if r.Status != scenario.Fail || !strings.Contains(r.Message, "or 400 invalidFilter for Entra's legacy filter") {
			t.Errorf("%s: %s", r.Status, r.Message)
		}
	})

	// A server that ignores startIndex and always answers from 1.
	t.Run("ignores startIndex", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if q := r.URL.Query(); q.Has("startIndex") {
				q.Set("startIndex", "1")
				r.URL.RawQuery = q.Encode()
			}
			ref.ServeHTTP(w, r)
		})
		rs := legacyResults(t, h, scenario.Compat)
		if r := stepResult(t, rs, "page 1:"); r.Status != scenario.Pass {
			t.Errorf("page 1: %s %s", r.Status, r.Message)
		}
		r := stepResult(t, rs, "page 2:")
		for _, want := range []string{"startIndex is 1, but 6 was asked for: the server ignored startIndex", "5 users seen twice while paging: userName \"scimh-", "came back again on page 2"} {
			if r.Status != scenario.Fail || !strings.Contains(r.Message, want) {
				t.Errorf("page 2 %s, want a Fail saying %q: %s", r.Status, want, r.Message)
			}
		}
	})
	// A server without sw passes: Microsoft's validator pages without a
	// filter, and Entra's sync filters only with eq and and.
	t.Run("sw refused", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Query().Get("filter"), " sw ") {
				scimError(w, http.StatusBadRequest, "invalidFilter", "sw is not supported")
				return
			}
			ref.ServeHTTP(w, r)
		})
		rs := legacyResults(t, h, scenario.Strict)
		for _, page := range []string{"page 1:", "page 2:"} {
			if r := stepResult(t, rs, page); r.Status != scenario.Pass {
				t.Errorf("%s %s %s", page, r.Status, r.Message)
			}
		}
	})
	// One that pages but drops the echo and sends itemsPerPage as a string.
	t.Run("paging fields", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !r.URL.Query().Has("startIndex") {
				ref.ServeHTTP(w, r)
				return
			}
			rec := &recorder{header: http.Header{}}
			ref.ServeHTTP(rec, r)
			b := strings.Replace(rec.body.String(), `"itemsPerPage":5`, `"itemsPerPage":"5"`, 1)
			w.Header().Set("Content-Type", "application/scim+json")
			w.WriteHeader(rec.status)
			io.WriteString(w, b)
		})
		r := stepResult(t, legacyResults(t, h, scenario.Compat), "page 1:")
		if r.Status != scenario.Fail || !strings.Contains(r.Message, `itemsPerPage is "5", not a JSON number`) {
			t.Errorf("%s: %s", r.Status, r.Message)
		}
	})

	// A server that matches attribute names in paths case-sensitively.
	t.Run("case-sensitive path", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPatch {
				body, _ := io.ReadAll(r.Body)
				if bytes.Contains(body, []byte(`].Value"`)) {
					scimError(w, http.StatusBadRequest, "invalidPath", "no attribute Value")
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			ref.ServeHTTP(w, r)
		})
		for _, flag := range []bool{false, true} {
			_, c := start(t, h)
			results, _ := run(t, c, entra.Options{Users: 1, Flag: flag}, scenario.Options{})
			var patchStep, readStep scenario.Result
			for _, r := range results {
				switch {
				case r.Scenario != entra.LegacyScenario:
				case strings.Contains(r.Step, "capital V"):
					patchStep = r
				case strings.Contains(r.Step, "read back the other email"):
					readStep = r
				}
			}
			if patchStep.Status != scenario.Fail || !strings.Contains(patchStep.Message, "matches attribute names case-sensitively (the capital V of .Value)") {
				t.Errorf("flag=%v: PATCH step %s: %s", flag, patchStep.Status, patchStep.Message)
			}
			if readStep.Status != scenario.Fail || !strings.Contains(readStep.Message, `reads back "jo.young.other@`) {
				t.Errorf("flag=%v: read-back step %s: %s", flag, readStep.Status, readStep.Message)
			}
		}
	})
}

// recorder is a minimal http.ResponseWriter that keeps the answer.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(s int) { r.status = s }

// TestMappingRolesAndGroups: a mapping names its application's app roles
// and whether it takes groups, so that --entra-mapping humbol alone
// provisions into Humbol (issue 19: from the CLI the roles were "User",
// "Admin", "Reader", which Humbol refuses, and the group probe of Test
// Connection got Humbol's 404); Options.Roles still overrides.
func TestMappingRolesAndGroups(t *testing.T) {
	humbolRoles := []string{"Admin", "External admin", "Member", "Light Member", "External member"}
	tests := []struct {
		name      string
		o         entra.Options
		roles     []string // the only roles sent
		groupsOut bool     // whether anything is sent to /Groups
	}{
		{"humbol's roles, no groups", entra.Options{Users: 5, Groups: 2, Mapping: humbol(t)}, humbolRoles, false},
		{"Options.Roles override the mapping's", entra.Options{Users: 5, Mapping: humbol(t), Roles: []string{"Member", "Admin"}}, []string{"Member", "Admin"}, false},
		{"the default mapping: DefaultRoles and groups", entra.Options{Users: 5, Groups: 1, RoleMode: entra.RoleSingle}, entra.DefaultRoles, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := start(t, simtest.Reference(t))
			results, quarantined := run(t, c, tt.o, scenario.Options{})
			if quarantined {
				t.Fatal("quarantined")
			}
			sentRoles, toGroups := map[string]bool{}, false
			for _, r := range results {
				for _, ex := range r.Exchanges {
					toGroups = toGroups || strings.Contains(ex.Request.URL, "/Groups")
					var doc struct {
						Roles []struct{ Value string }
					}
					if json.Unmarshal(ex.Request.Body, &doc) == nil {
						for _, role := range doc.Roles {
							sentRoles[role.Value] = true
						}
					}
				}
			}
			if len(sentRoles) < 2 {
				t.Errorf("roles sent: %v, want at least two", sentRoles)
			}
			for role := range sentRoles {
				if !slices.Contains(tt.roles, role) {
					t.Errorf("role %q sent, want only %v", role, tt.roles)
				}
			}
			if toGroups != tt.groupsOut {
				t.Errorf("requests to /Groups: %v, want %v", toGroups, tt.groupsOut)
			}
		})
	}
}
