package entra_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/broken"
	"github.com/scimharness/scimharness/simulators/entra"
	"github.com/scimharness/scimharness/simulators/internal/simtest"
)

// Each deliberate bug below is one the real Entra trips on, per the
// catalog's "Corrections and additions", that cannot be one of the
// catalog's (server/broken) — they break the ordinary flow its tests keep
// working, or no conformance check sees them — so it is built as a wrapper
// around the reference server. The simulator must fail each, naming the
// behaviour, and pass the reference server
// (TestAllScenariosPassAgainstReference). The bugs that can be the
// catalog's are: a manager read back as a string (manager-as-string), a 406
// to a request without a SCIM Accept (406-without-scim-accept) and the
// first role only of a multi-role Add (keeps-first-role-of-add, in
// TestBrokenServersAreCaught and TestRolesInOnePatch).

func TestCorrectedBehavioursCaught(t *testing.T) {
	ref := simtest.Reference(t)
	cases := []struct {
		name string
		h    http.Handler
		o    entra.Options
		want string
	}{
		{
			// Test Connection by the matching attribute: a server that
			// ignores an externalId filter is caught at the probe.
			name: "externalId filter ignored",
			h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if f := r.URL.Query().Get("filter"); strings.HasPrefix(f, "externalId eq") {
					q := r.URL.Query()
					q.Del("filter")
					r.URL.RawQuery = q.Encode()
				}
				ref.ServeHTTP(w, r)
			}),
			o:    entra.Options{Match: entra.MatchExternalID},
			want: "ignored the filter",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, c := start(t, tc.h)
			results, _ := run(t, c, tc.o, scenario.Options{})
			failing := bad(results, scenario.Fail)
			for _, f := range failing {
				if strings.Contains(f, tc.want) {
					return
				}
			}
			t.Errorf("no failing result says %q:\n%s", tc.want, strings.Join(failing, "\n\n"))
		})
	}
}

// What Entra tolerates passes: a server without /Schemas (non-gallery
// apps never ask, TUT) and without sw filters.
func TestNonGalleryWithoutSchemasPasses(t *testing.T) {
	ref := simtest.Reference(t)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/Schemas") {
			http.NotFound(w, r)
			return
		}
		ref.ServeHTTP(w, r)
	})
	_, c := start(t, h)
	results, q := run(t, c, entra.Options{Users: 3, Groups: 1}, scenario.Options{})
	if b := bad(results, scenario.Warn); len(b) > 0 || q {
		t.Errorf("quarantined %v:\n%s", q, strings.Join(b, "\n\n"))
	}
	// A gallery app reads /Schemas, and fails without it.
	_, c = start(t, h)
	results, _ = run(t, c, entra.Options{Users: 1, Gallery: true}, scenario.Options{})
	if len(bad(results, scenario.Fail)) == 0 {
		t.Error("a gallery run passed a server without /Schemas")
	}
}

// Quarantine counts failures of Entra's own operations (QUAR): not the
// harness's read-backs, and not reference updates (manager, members).
func TestQuarantineCountsEntraFailuresOnly(t *testing.T) {
	ref := simtest.Reference(t)
	fail := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", scim.MediaType)
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500","detail":"down"}`))
	}
	cases := []struct {
		name  string
		fails func(*http.Request) bool
	}{
		{"read-backs fail", func(r *http.Request) bool {
			return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/Users/")
		}},
		{"reference updates fail", func(r *http.Request) bool {
			var body bytes.Buffer
			body.ReadFrom(r.Body)
			r.Body = readCloser{bytes.NewReader(body.Bytes())}
			return r.Method == http.MethodPatch && (strings.Contains(body.String(), `"path":"members`) || strings.Contains(body.String(), ":manager\""))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.fails(r) {
					fail(w)
					return
				}
				ref.ServeHTTP(w, r)
			})
			_, c := start(t, h)
			results, q := run(t, c, entra.Options{Users: 5, Groups: 1, QuarantineMin: 1}, scenario.Options{})
			if len(bad(results, scenario.Fail)) == 0 {
				t.Fatal("nothing failed")
			}
			if q {
				t.Errorf("quarantined: %s", results[len(results)-1].Message)
			}
		})
	}
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// With aadOptscim062020 a single-value add stays an add of its own; only
// replaces are folded into the path-less op (KNOWN's flag sample).
func TestFlagKeepsSingleValueAdd(t *testing.T) {
	w, c := start(t, simtest.Reference(t))
	results, _ := run(t, c, entra.Options{Users: 5, Flag: true, Seed: 7}, scenario.Options{})
	if b := bad(results, scenario.Warn); len(b) > 0 {
		t.Errorf("not all passed:\n%s", strings.Join(b, "\n"))
	}
	adds := 0
	for _, r := range w.Requests() {
		if r.Method != http.MethodPatch || !strings.Contains(r.Path, "/Users/") {
			continue
		}
		var body struct{ Operations []map[string]any }
		json.Unmarshal([]byte(r.Body), &body)
		for _, op := range body.Operations {
			if op["op"] == "add" && op["path"] != nil {
				adds++
			}
			if v, ok := op["value"].(map[string]any); ok && op["path"] == nil && op["op"] != "replace" {
				t.Errorf("a path-less %v with %v", op["op"], v)
			}
		}
	}
	if adds == 0 {
		t.Error("no single-value add was sent as its own op")
	}
}

// Without a soft-delete mapping (nothing maps active) an unassigned user
// is deleted, and no disable is sent (HOW; validator Restore_User_Test).
func TestUnassignDeletesWithoutSoftDelete(t *testing.T) {
	m, err := entra.LoadMapping(strings.NewReader(`name: no-soft-delete
attributes:
  - {target: userName, source: userPrincipalName, matching: true, precedence: 1}
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
	deleted := false
	for _, r := range results {
		if strings.Contains(r.Step, "(unassigned, no soft-delete mapping)") && r.Status == scenario.Pass {
			deleted = true
		}
	}
	for _, r := range w.Requests() {
		if strings.Contains(r.Body, `"path":"active"`) {
			t.Errorf("an active PATCH without a soft-delete mapping: %s", r.Body)
		}
	}
	if !deleted {
		t.Error("no unassign DELETE")
	}
}

// A server that cannot delete groups fails Entra's group delete (TUT).
func TestGroupDeleteRefusedCaught(t *testing.T) {
	ref := simtest.Reference(t)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/Groups/") {
			w.Header().Set("Content-Type", scim.MediaType)
			w.WriteHeader(http.StatusMethodNotAllowed)
			w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"405","detail":"no"}`))
			return
		}
		ref.ServeHTTP(w, r)
	})
	_, c := start(t, h)
	results, _ := run(t, c, entra.Options{Users: 2, Groups: 1}, scenario.Options{})
	for _, f := range bad(results, scenario.Fail) {
		if strings.Contains(f, "incremental cycle: delete") && strings.Contains(f, "expects 204") {
			return
		}
	}
	t.Errorf("group delete refusal not caught:\n%s", strings.Join(bad(results, scenario.Fail), "\n"))
}

// Microsoft's validator PATCHes "" then null (SCIM_Null_Update_Test): a
// server that refuses the null is warned about (SHOULD), naming the step.
func TestNullUpdateRefusedWarned(t *testing.T) {
	ref := simtest.Reference(t)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			var body bytes.Buffer
			body.ReadFrom(r.Body)
			if strings.Contains(body.String(), `"value":null`) {
				w.Header().Set("Content-Type", scim.MediaType)
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidValue","detail":"null"}`))
				return
			}
			r.Body = readCloser{bytes.NewReader(body.Bytes())}
		}
		ref.ServeHTTP(w, r)
	})
	_, c := start(t, h)
	results, _ := run(t, c, entra.Options{Users: 1}, scenario.Options{})
	for _, f := range bad(results, scenario.Warn) {
		if strings.Contains(f, "validator: replace title with null") && strings.Contains(f, "got 400") {
			return
		}
	}
	t.Errorf("the refused null update is not reported:\n%s", strings.Join(bad(results, scenario.Warn), "\n"))
}

// On-demand provisioning (provision-on-demand page): GUID probes before
// each user's match and create, the aadOptscim062020 flag ignored, a group
// with at most 5 members; it passes the reference server.
func TestOnDemand(t *testing.T) {
	w, c := start(t, simtest.Reference(t))
	results, q := run(t, c, entra.Options{Users: 7, Groups: 1, Flag: true, Cycle: entra.CycleOnDemand}, scenario.Options{})
	if b := bad(results, scenario.Warn); len(b) > 0 || q {
		t.Fatalf("quarantined %v:\n%s", q, strings.Join(b, "\n"))
	}
	probes, posts := 0, 0
	for _, r := range w.Requests() {
		switch {
		case r.Method == "GET" && strings.HasPrefix(r.Query, "filter=userName+eq+%22") && len(r.Query) == len("filter=userName+eq+%22")+36+3:
			probes++
		case r.Method == "POST" && strings.HasSuffix(r.Path, "/Users"):
			posts++
		case r.Method == "PATCH":
			var body struct{ Operations []map[string]any }
			json.Unmarshal([]byte(r.Body), &body)
			for _, op := range body.Operations {
				if op["op"] != "Add" {
					t.Errorf("on demand the flag is ignored: op %v", op["op"])
				}
				if ms, _ := op["value"].([]any); len(ms) > 5 {
					t.Errorf("%d members in one on-demand group", len(ms))
				}
			}
		}
	}
	if posts != 5 || probes != 10 {
		t.Errorf("%d users created, %d GUID probes; want 5 and 2 per user", posts, probes)
	}
	if _, err := entra.ParseCycle("on-demand"); err != nil {
		t.Error(err)
	}
}

// AppRoleAssignmentsComplex may send every role a user holds in one Add
// (log, Captain-P-Goldfish/SCIM-SDK issue 516): with RolesInOnePatch the
// simulator sends both roles in one op and passes the reference server,
// and a server that keeps only the first element of the value (the
// catalog's keeps-first-role-of-add) — which the default one-role Add
// cannot show — fails, naming the lost role.
func TestRolesInOnePatch(t *testing.T) {
	o := entra.Options{Users: 2, RoleMode: entra.RoleComplex, RolesInOnePatch: true, Seed: 7}
	w, c := start(t, simtest.Reference(t))
	results, _ := run(t, c, o, scenario.Options{})
	if b := bad(results, scenario.Warn); len(b) > 0 {
		t.Fatalf("not all passed:\n%s", strings.Join(b, "\n"))
	}
	sent := 0
	for _, r := range w.Requests() {
		var body struct{ Operations []map[string]any }
		json.Unmarshal([]byte(r.Body), &body)
		for _, op := range body.Operations {
			if vs, _ := op["value"].([]any); r.Method == http.MethodPatch && op["path"] == "roles" && op["op"] == "Add" && len(vs) == 2 {
				sent++
			}
		}
	}
	if sent != 2 {
		t.Errorf("%d role Adds with both roles, want one per user", sent)
	}

	bug, ok := broken.ByName("keeps-first-role-of-add")
	if !ok {
		t.Fatal("no bug keeps-first-role-of-add")
	}
	keepsFirst := simtest.Broken(t, bug)
	_, c = start(t, keepsFirst)
	results, _ = run(t, c, o, scenario.Options{})
	caught := false
	for _, f := range bad(results, scenario.Fail) {
		caught = caught || strings.Contains(f, "expected the role") && strings.Contains(f, "AppRoleAssignmentsComplex")
	}
	if !caught {
		t.Errorf("a server keeping only the first role of the Add passed:\n%s", strings.Join(bad(results, scenario.Fail), "\n"))
	}
	// Without the option Entra's Add holds the new role alone: the same
	// server passes, which is why the variant is simulated.
	_, c = start(t, keepsFirst)
	o.RolesInOnePatch = false
	if results, _ = run(t, c, o, scenario.Options{}); len(bad(results, scenario.Fail)) > 0 {
		t.Errorf("the one-role Add failed against a server that keeps the first role:\n%s", strings.Join(bad(results, scenario.Fail), "\n"))
	}
	if _, err := entra.Scenarios(entra.Options{RolesInOnePatch: true, RoleMode: entra.RoleSingle}); err == nil {
		t.Error("RolesInOnePatch accepted with SingleAppRoleAssignment")
	}
}

// Each corrected step carries the confidence its sources give it: the
// re-enable is documented (TUT, HOW) though a log also shows it; the
// variants seen only in logs are log; the string-boolean POST, a
// tolerance test, is unverified for Entra.
func TestCorrectedStepsConfidence(t *testing.T) {
	want := map[string]scenario.Confidence{
		"re-enable":                     scenario.Doc,
		"again (soft-deleted in Entra)": scenario.Doc,
		"query a random GUID":           scenario.Doc,
		"manager by value filter":       scenario.Log,
		"'s app role":                   scenario.Log, // RolesInOnePatch
		`with "active":"True"`:          scenario.Unverified,
	}
	scs, err := entra.Scenarios(entra.Options{Users: 3, RoleMode: entra.RoleComplex, RolesInOnePatch: true, ManagerRemoveByFilter: true})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, sc := range scs {
		for _, st := range sc.Steps {
			for part, c := range want {
				if strings.Contains(st.Name, part) && !strings.Contains(st.Name, "read back") {
					seen[part] = true
					if st.Confidence != c {
						t.Errorf("%s / %s: confidence %q, want %q (source %q)", sc.Name, st.Name, st.Confidence, c, st.Source)
					}
				}
			}
		}
	}
	for part := range want {
		if !seen[part] {
			t.Errorf("no step named like %q", part)
		}
	}
}
