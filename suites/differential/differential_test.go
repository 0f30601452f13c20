package differential_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/server/broken"
	"github.com/scimharness/scimharness/suites/differential"
)

const token = "differential-test-token"

// serve starts the reference server, with bug applied when not nil.
func serve(t *testing.T, bug *broken.Bug) *client.Client {
	t.Helper()
	h, err := broken.Handler(bug, token)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	c, err := client.New(client.Config{BaseURL: ts.URL + "/scim/v2", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func run(t *testing.T, target *client.Client, seed uint64, requests int) (*differential.Result, *client.Client) {
	t.Helper()
	ref := serve(t, nil)
	res, err := differential.Run(context.Background(), differential.Config{
		Target: target, Reference: ref, Sort: true, Patch: true, Groups: true,
		Seed: seed, Requests: requests, Prefix: "dt",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.CleanupErrors) > 0 {
		t.Errorf("cleanup: %v", res.CleanupErrors)
	}
	return res, ref
}

// TestReferenceAgreesWithItself is the engine's own proof: the oracle
// against a second copy of itself disagrees on nothing. A disagreement here
// is a bug in the reference server or in the generator. The group traffic
// is part of it: each run lists, filters, reads and PATCHes groups.
func TestReferenceAgreesWithItself(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		h, err := broken.Handler(nil, token)
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		groupTraffic := map[string]int{}
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, rest, ok := strings.Cut(r.URL.Path, "/Groups"); ok {
				key := r.Method + " /Groups"
				if rest != "" {
					key += "/{id}"
				}
				mu.Lock()
				groupTraffic[key]++
				mu.Unlock()
			}
			h.ServeHTTP(w, r)
		}))
		c, err := client.New(client.Config{BaseURL: ts.URL + "/scim/v2", Token: token})
		if err != nil {
			t.Fatal(err)
		}
		res, _ := run(t, c, seed, 300)
		ts.Close()
		if res.Disagreement != nil {
			t.Fatalf("seed %d: the reference disagrees with itself:\n%s", seed, res.Disagreement.Format("http://reference/scim/v2"))
		}
		if res.Requests != 300 {
			t.Fatalf("seed %d: %d requests compared, want 300", seed, res.Requests)
		}
		for _, want := range []string{"POST /Groups", "GET /Groups", "GET /Groups/{id}", "PATCH /Groups/{id}", "DELETE /Groups/{id}"} {
			if groupTraffic[want] == 0 {
				t.Errorf("seed %d: no %s request on /Groups: %v", seed, want, groupTraffic)
			}
		}
	}
}

// fuzzBugs are the deliberate bugs of the catalog that concern filters,
// sorting, paging, projection or PATCH, with the clause the shrunk case
// must cite and how many requests it may take at most after creating its
// users.
var fuzzBugs = []struct {
	name, clause string
	requests     int
}{
	{"ignores-filter", "§3.4.2.2", 1},
	{"case-sensitive-filter", "§3.4.2.2", 1},
	{"lowercases-username", "§3.3", 1},
	{"first-clause-only", "§3.4.2.2", 1},
	{"ignores-not", "§3.4.2.2", 1},
	{"value-path-first-term", "§3.4.2.2", 1},
	{"ignores-sort-order", "§3.4.2.3", 1},
	{"zero-based-start-index", "§3.4.2.4", 1},
	{"ignores-attributes", "§3.4.2.5", 1},
	{"rejects-capitalised-ops", "§3.5.2", 2},
	{"rejects-pathless-replace", "§3.5.2", 2},
	{"add-replaces-multivalued", "§3.5.2", 2},
	{"remove-members-wipes-all", "§3.5.2", 2},
	{"users-search-ignores-filter", "§3.4.3", 1},
	{"groups-search-ignores-filter", "§3.4.3", 1},
	{"write-ignores-attributes", "§3.9", 2},
}

// notFuzzed are the bugs of the catalog the fuzzer does not look for, and
// why: TestEveryBugIsConsidered keeps the two lists whole.
var notFuzzed = map[string]string{
	"404-for-empty-list":                 "an empty result is a 200 for both sides only when a filter matches nothing; the generated filters are scoped to a population that always matches: found by conform's filter/no-match",
	"errors-without-scim-body":           "error bodies: the fuzzer compares status classes and resources, not error documents (conform's errors/ area)",
	"stores-false-as-string":             "an Entra quirk (the string \"False\" in a PATCH): the fuzzer sends JSON booleans; found by conform and simulate --idp entra",
	"500-on-duplicate":                   "uniqueness: the fuzzer never creates a duplicate; found by conform's crud/duplicate-username",
	"rejects-application-json":           "media types: the fuzzer sends application/scim+json only",
	"bulk-ignores-fail-on-errors":        "/Bulk is not generated",
	"bulk-advertises-too-few-operations": "/Bulk is not generated",
	"bulk-ignores-bulk-ids":              "/Bulk is not generated",
	"refuses-password-patch":             "passwords are not generated (they are never returned, so nothing could be compared)",
	"answers-application-json":           "media types of answers are not compared",
	"me-404":                             "/Me is not generated",
	"keeps-primary-as-string":            "roles are not generated",
	"stores-two-primaries":               "roles are not generated",
	"parses-json-role-values":            "roles are not generated",
	"ignores-string-primary-filter":      "roles are not generated",
	"location-names-username":            "Location and meta.location are normalised away: the RFC leaves the URL open, conform's schema checks dereference it",
	"schemas-by-id-404":                  "discovery endpoints are not generated (conform's discovery/ area reads them)",
	"discovery-accepts-writes":           "discovery endpoints are not generated (conform's discovery/ area reads them)",
	"resource-type-by-id-differs":        "discovery endpoints are not generated (conform's discovery/ area reads them)",
	"unknown-schema-200":                 "discovery endpoints are not generated (conform's discovery/ area reads them)",
	"spc-denies-patch":                   "a server declaring PATCH unsupported gets no PATCH traffic: what it declares is what is generated",
	"manager-as-string":                  "the enterprise extension (manager) is not generated: found by conform's schema/User/…:manager checks and simulate --idp entra",
	"406-without-scim-accept":            "media types: the fuzzer asks Accept: application/scim+json only; found by conform's content/accept-json and simulate --idp entra (which sends no Accept)",
	"keeps-first-role-of-add":            "roles are not generated: found by conform's roles/patch-add-two and simulate --idp entra --entra-role-mode complex --entra-roles-one-patch",
}

// TestEveryBugIsConsidered: every bug of the catalog is fuzzed or says why
// not, so a new bug cannot be left out by oversight.
func TestEveryBugIsConsidered(t *testing.T) {
	fuzzed := map[string]bool{}
	for _, fb := range fuzzBugs {
		fuzzed[fb.name] = true
		if _, ok := notFuzzed[fb.name]; ok {
			t.Errorf("%s is both fuzzed and not", fb.name)
		}
	}
	for _, b := range broken.All() {
		if _, ok := notFuzzed[b.Name]; !ok && !fuzzed[b.Name] {
			t.Errorf("bug %q is neither in fuzzBugs nor in notFuzzed", b.Name)
		}
	}
}

// maxUsers bounds the population of a shrunk case (users, and groups).
const maxUsers = 3

// TestFindsTheBugsOfTheCatalog runs a bounded fuzz against each deliberate
// bug it concerns: each is found and shrunk to a few requests, the report
// cites the clause and carries a curl command but never the token.
func TestFindsTheBugsOfTheCatalog(t *testing.T) {
	for _, fb := range fuzzBugs {
		name := fb.name
		t.Run(name, func(t *testing.T) {
			bug, ok := broken.ByName(name)
			if !ok {
				t.Fatalf("no bug %q", name)
			}
			res, _ := run(t, serve(t, &bug), 7, 500)
			d := res.Disagreement
			if d == nil {
				t.Fatalf("%s: no disagreement in %d requests", name, res.Requests)
			}
			if !d.Shrunk || len(d.Requests) > fb.requests {
				t.Errorf("not shrunk to %d requests: %+v", fb.requests, d)
			}
			// Self-contained: it creates its own users or groups, a few.
			if len(d.Users)+len(d.Groups) == 0 || len(d.Users) > maxUsers || len(d.Groups) > maxUsers {
				t.Errorf("the case creates %d users and %d groups, want some, at most %d of each:\n%s", len(d.Users), len(d.Groups), maxUsers, d.Format("u"))
			}
			out := d.Format("http://target/scim/v2")
			for _, want := range []string{"RFC 7644 " + fb.clause, "curl -sS -X", "$SCIM_TOKEN"} {
				if !strings.Contains(out, want) {
					t.Errorf("report lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, token) {
				t.Errorf("the report carries the token:\n%s", out)
			}
			t.Logf("%s found after %d requests:\n%s", name, res.Requests, out)
		})
	}
}

// TestSameSeedSameRun: --seed reproduces a run exactly.
func TestSameSeedSameRun(t *testing.T) {
	bug, _ := broken.ByName("case-sensitive-filter")
	a, _ := run(t, serve(t, &bug), 11, 300)
	b, _ := run(t, serve(t, &bug), 11, 300)
	if a.Disagreement == nil || b.Disagreement == nil {
		t.Fatal("no disagreement found")
	}
	// The answers carry server-made ids and times; what was sent and why
	// it disagreed must be the same.
	da, db := a.Disagreement, b.Disagreement
	if a.Requests != b.Requests || da.Why != db.Why || !reflect.DeepEqual(da.Requests, db.Requests) {
		t.Errorf("two runs of one seed differ:\n%s\n%s", da.Format("u"), db.Format("u"))
	}
}

// staleTotals wraps a server so that a list answers the totalResults it
// first answered for the same filter: a server that caches counts. Only
// traffic that creates users between two lists can see it.
func staleTotals(h http.Handler) http.Handler {
	var mu sync.Mutex
	seen := map[string]any{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/Users") {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var doc map[string]any
		if rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &doc) == nil {
			mu.Lock()
			key := r.URL.Query().Get("filter")
			if total, ok := seen[key]; ok {
				doc["totalResults"] = total
			} else {
				seen[key] = doc["totalResults"]
			}
			mu.Unlock()
		}
		b, _ := json.Marshal(doc)
		w.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(b)
	})
}

// TestFindsStaleTotalsWhileCreating: paging while users are created finds
// a server whose totalResults does not count a user created since.
func TestFindsStaleTotalsWhileCreating(t *testing.T) {
	h, err := broken.Handler(nil, token)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(staleTotals(h))
	t.Cleanup(ts.Close)
	c, err := client.New(client.Config{BaseURL: ts.URL + "/scim/v2", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := run(t, c, 7, 500)
	d := res.Disagreement
	if d == nil || !strings.Contains(d.Why, "totalResults") {
		t.Fatalf("a stale totalResults not found in %d requests: %+v", res.Requests, d)
	}
	t.Logf("found after %d requests:\n%s", res.Requests, d.Format("http://target/scim/v2"))
}

// membersVariant wraps a server so that every Group it answers lists its
// members in reverse order, without $ref and type and with a display: all
// the server's choice (RFC 7643 §4.2, §2.4: multi-valued attributes are
// unordered).
func membersVariant(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var doc map[string]any
		if !strings.Contains(r.URL.Path, "/Groups") || json.Unmarshal(rec.Body.Bytes(), &doc) != nil {
			copyAnswer(w, rec, rec.Body.Bytes())
			return
		}
		vary := func(g map[string]any) {
			ms, _ := g["members"].([]any)
			for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
				ms[i], ms[j] = ms[j], ms[i]
			}
			for _, m := range ms {
				mm := m.(map[string]any)
				delete(mm, "$ref")
				delete(mm, "type")
				mm["display"] = "someone"
			}
		}
		vary(doc)
		rs, _ := doc["Resources"].([]any)
		for _, x := range rs {
			vary(x.(map[string]any))
		}
		b, _ := json.Marshal(doc)
		copyAnswer(w, rec, b)
	})
}

func copyAnswer(w http.ResponseWriter, rec *httptest.ResponseRecorder, body []byte) {
	for k, v := range rec.Header() {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body)
}

// TestGroupMembersComparedAsASet: members in another order, without $ref
// or type, with a display, are the same members — no disagreement over a
// run whose group traffic reads, filters, pages and PATCHes members.
func TestGroupMembersComparedAsASet(t *testing.T) {
	h, err := broken.Handler(nil, token)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(membersVariant(h))
	t.Cleanup(ts.Close)
	c, err := client.New(client.Config{BaseURL: ts.URL + "/scim/v2", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := run(t, c, 5, 400)
	if res.Disagreement != nil {
		t.Fatalf("a legal variant of members disagrees:\n%s", res.Disagreement.Format("http://target/scim/v2"))
	}
}
