package certify_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scimharness/scimharness/certify"
	"github.com/scimharness/scimharness/certify/record"
	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/store/memory"
	"github.com/scimharness/scimharness/simulators/entra"
	"github.com/scimharness/scimharness/simulators/google"
	"github.com/scimharness/scimharness/simulators/okta"
	"github.com/scimharness/scimharness/wire"
)

const token = "certify-test-token-0123456789"

// recording serves the reference server behind a recorder, lets drive
// send traffic to its SCIM base URL, and returns the recording.
func recording(t *testing.T, drive func(base string)) []record.Recording {
	t.Helper()
	tenants := server.NewTenants()
	if err := tenants.Add(server.DefaultTenant, server.HashToken(token)); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: memory.New(), Tenants: tenants, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rec, err := record.New(dir, record.Options{Secrets: []string{token}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(rec.Wrap(srv))
	drive(ts.URL + "/scim/v2")
	ts.Close()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := record.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func newClient(t *testing.T, cfg client.Config) *client.Client {
	t.Helper()
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func failedSteps(rs []scenario.Result) []string {
	var out []string
	for _, r := range rs {
		if r.Status >= scenario.Fail {
			out = append(out, r.Scenario+" / "+r.Step+": "+r.Message)
		}
	}
	return out
}

// checkProfile asserts a simulator's recording grades as that IdP: its
// fingerprints found, no violation, and the given steps covered.
func checkProfile(t *testing.T, res certify.Result, idp string, wantPrints []string, covered, never []certify.Step) {
	t.Helper()
	t.Log(res.Summary())
	if res.IdP != idp {
		t.Errorf("graded as %q, want %q (fingerprints %+v)", res.IdP, idp, res.Fingerprints)
	}
	got := strings.Join(res.FingerprintsOf(idp), "\n")
	for _, w := range wantPrints {
		if !strings.Contains(got, w) {
			t.Errorf("fingerprint %q not found in:\n%s", w, got)
		}
	}
	for _, f := range res.Findings {
		if f.Level == certify.Violation {
			t.Errorf("violation: %s: %s (%s) in %s", f.Rule, f.Message, f.Source, f.Request)
		}
	}
	for _, s := range covered {
		if !res.Covered(s) {
			t.Errorf("step %q not covered", s)
		}
	}
	for _, s := range never {
		if res.Covered(s) {
			t.Errorf("step %q covered, but %s never does it", s, idp)
		}
	}
	if res.Verdict == certify.NotCertified {
		t.Errorf("verdict %s", res.Verdict)
	}
}

func TestEntraRecordingGradesAsEntra(t *testing.T) {
	recs := recording(t, func(base string) {
		c := newClient(t, entra.ClientConfig(client.Config{BaseURL: base, Token: token}))
		rs, q := entra.Run(context.Background(), c, entra.Options{Users: 3, Groups: 1, Seed: 7}, scenario.Options{})
		if q {
			t.Errorf("quarantined")
		}
		if f := failedSteps(rs); len(f) > 0 {
			t.Logf("simulator reported failures (not the grader's concern): %v", f)
		}
	})
	res := certify.Grade(recs)
	checkProfile(t, res, "entra",
		[]string{"Test Connection", "capitalised PATCH ops", "ADSCIM"},
		[]certify.Step{certify.StepConnection, certify.StepCreate, certify.StepUpdateSingle, certify.StepDisable, certify.StepGroups, certify.StepMemberAdd, certify.StepMemberRemove},
		nil)
	if !res.HasFinding("patch-op-case", certify.Quirk) {
		t.Error("capitalised ops not reported as a tolerated quirk")
	}
	if res.Verdict != certify.CertifiedWithQuirks {
		t.Errorf("verdict %s, want certified with quirks", res.Verdict)
	}
}

func TestEntraFlagRecordingGradesAsEntra(t *testing.T) {
	recs := recording(t, func(base string) {
		c := newClient(t, entra.ClientConfig(client.Config{BaseURL: base, Token: token}))
		entra.Run(context.Background(), c, entra.Options{Users: 2, Groups: 1, Flag: true, Seed: 3}, scenario.Options{})
	})
	res := certify.Grade(recs)
	checkProfile(t, res, "entra", []string{"Test Connection", "ADSCIM"}, []certify.Step{certify.StepConnection, certify.StepCreate, certify.StepDisable}, nil)
	if res.HasFinding("patch-op-case", certify.Quirk) {
		t.Error("with aadOptscim062020 ops are lower case")
	}
}

func TestGoogleRecordingGradesAsGoogle(t *testing.T) {
	recs := recording(t, func(base string) {
		c := newClient(t, google.ClientConfig(client.Config{BaseURL: base, Token: token}))
		google.Run(context.Background(), c, google.Options{Users: 2, Update: "patch"}, scenario.Options{})
	})
	res := certify.Grade(recs)
	checkProfile(t, res, "google",
		// application/json is graded (a quirk) but is no fingerprint of
		// Google: Okta's spec test sends it too.
		[]string{"User-Agent Google-Auto-Provisioning"},
		[]certify.Step{certify.StepCreate, certify.StepUpdateSingle, certify.StepDisable},
		[]certify.Step{certify.StepGroups, certify.StepMemberAdd})
	for _, rule := range []string{"content-type-json", "schemas-scim1-urn"} {
		if !res.HasFinding(rule, certify.Quirk) {
			t.Errorf("no %s quirk", rule)
		}
	}
}

func TestOktaRecordingGradesAsOkta(t *testing.T) {
	recs := recording(t, func(base string) {
		c := newClient(t, okta.ClientConfig(client.Config{BaseURL: base, Token: token}))
		// OIN: a catalog app deactivates with a path-less replace and PATCHes
		// membership (an AIW app PUTs both). Keep: no harness cleanup
		// DELETEs; Okta never deletes users.
		okta.Run(context.Background(), c, okta.Options{Users: 2, Groups: 1, App: okta.AppOIN}, scenario.Options{Keep: true})
	})
	res := certify.Grade(recs)
	checkProfile(t, res, "okta",
		[]string{"User-Agent \"Okta SCIM Client", "startIndex=1&count=100", "path-less replace {\"active\": false}"},
		[]certify.Step{certify.StepCreate, certify.StepUpdateSingle, certify.StepDisable, certify.StepGroups, certify.StepMemberAdd, certify.StepMemberRemove},
		[]certify.Step{certify.StepDelete})
	// Okta's spec test POSTs with Content-Type application/json (a SHOULD
	// of RFC 7644 §3.1): a quirk, and the only finding.
	if res.Verdict != certify.CertifiedWithQuirks || !onlyFindings(res, "content-type-json") {
		t.Errorf("verdict %s, want certified with quirks for application/json alone; findings %+v", res.Verdict, res.Findings)
	}
}

// Issue 14 #7: requests without a valid token — an attacker's, a scanner's,
// another tenant's client — are not the tenant's client and must not change
// its grade: three anonymous 401s used to turn Okta's "certified" into "not
// certified". The recorder keeps only exchanges the server authenticated.
func TestAnonymousTrafficDoesNotChangeTheVerdict(t *testing.T) {
	recs := recording(t, func(base string) {
		anonymous := func() {
			for _, tok := range []string{"", "guess-" + token, "Basic " + token} {
				hr, _ := http.NewRequest("DELETE", base+"/Users/x?filter=bogus%20eq", strings.NewReader("{not json"))
				if tok != "" {
					hr.Header.Set("Authorization", "Bearer "+tok)
				}
				hr.Header.Set("Content-Type", "text/plain")
				resp, err := http.DefaultClient.Do(hr)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
		anonymous()
		c := newClient(t, okta.ClientConfig(client.Config{BaseURL: base, Token: token}))
		okta.Run(context.Background(), c, okta.Options{Users: 2, Groups: 1, App: okta.AppOIN}, scenario.Options{Keep: true})
		anonymous()
	})
	res := certify.Grade(recs)
	if res.Verdict != certify.CertifiedWithQuirks || !onlyFindings(res, "content-type-json") {
		t.Errorf("verdict %s, want certified with quirks for application/json alone (as without the anonymous requests); findings %+v", res.Verdict, res.Findings)
	}
	for _, rc := range recs {
		for _, e := range rc.Entries {
			if e.Response.Status == http.StatusUnauthorized {
				t.Errorf("an unauthenticated exchange was recorded: %s", e)
			}
		}
	}
}

// A deliberately faulty client: each request carries one known defect.
func TestFaultyClientIsFlagged(t *testing.T) {
	type bad struct {
		method, path, ct, body string
	}
	user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"faulty@example.com","active":true}`
	patch := func(ops string) string {
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + ops + `]}`
	}
	reqs := []bad{
		{"GET", "/Users?filter=" + urlq(`userName eq "faulty@example.com"`), "", ""},                                                                    // 1 clean
		{"POST", "/Users", "application/scim+json", user},                                                                                               // 2 clean
		{"GET", "/Users?filter=" + urlq(`userName eq`), "", ""},                                                                                         // 3 malformed filter
		{"PATCH", "/Users/x", "application/scim+json", patch(`{"op":"frobnicate","path":"title","value":"x"}`)},                                         // 4 unknown op
		{"POST", "/Users", "application/scim+json", strings.Replace(user, `"active":true`, `"active":1`, 1)},                                            // 5 numeric active
		{"POST", "/Users", "text/plain", strings.Replace(user, "faulty@", "faulty2@", 1)},                                                               // 6 wrong content type
		{"GET", "/Users?access_token=" + token, "", ""},                                                                                                 // 7 token in query
		{"PATCH", "/Users/x", "application/scim+json", patch(`{"op":"replace","path":"emails[type eq ].value","value":"x"}`)},                           // 8 bad path
		{"POST", "/Users", "application/scim+json", `{"userName":"noschemas@example.com"}`},                                                             // 9 no schemas
		{"PATCH", "/Users/x", "application/scim+json", patch(`{"op":"Replace","path":"active","value":"False"}`)},                                       // 10 Entra quirks
		{"POST", "/Users", "application/json", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"g@example.com","active":"True"}`}, // 11 Google/Entra quirks
	}
	recs := recording(t, func(base string) {
		for _, r := range reqs {
			var body io.Reader
			if r.body != "" {
				body = strings.NewReader(r.body)
			}
			hr, _ := http.NewRequest(r.method, base+r.path, body)
			hr.Header.Set("Authorization", "Bearer "+token)
			if r.ct != "" {
				hr.Header.Set("Content-Type", r.ct)
			}
			resp, err := http.DefaultClient.Do(hr)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	res := certify.Grade(recs)
	t.Log(res.Summary())
	if res.Verdict != certify.NotCertified {
		t.Errorf("verdict %s, want not certified", res.Verdict)
	}
	want := map[int][]string{
		1: nil, 2: nil,
		3:  {"violation filter-syntax"},
		4:  {"violation patch-op-unknown"},
		5:  {"violation json-type"},
		6:  {"violation content-type"},
		7:  {"tolerated quirk token-in-query"},
		8:  {"violation patch-path"},
		9:  {"violation schemas-missing"},
		10: {"tolerated quirk patch-op-case", "tolerated quirk boolean-as-string"},
		11: {"tolerated quirk content-type-json", "tolerated quirk boolean-as-string"},
	}
	got := map[int][]string{}
	for _, f := range res.Findings {
		got[f.Seq] = append(got[f.Seq], string(f.Level)+" "+f.Rule)
		if f.Source == "" || f.Request == "" || f.File == "" {
			t.Errorf("finding without source or request: %+v", f)
		}
	}
	for seq, rules := range want {
		if strings.Join(got[seq], ",") != strings.Join(rules, ",") {
			t.Errorf("request #%d (%s): findings %v, want %v", seq, reqs[seq-1].method+" "+reqs[seq-1].path, got[seq], rules)
		}
	}
	// The recording must not hold the token that was in the query string.
	for _, rc := range recs {
		for _, e := range rc.Entries {
			if strings.Contains(e.Query, token) || strings.Contains(e.Request.URL, token) {
				t.Errorf("token recorded in %s", e)
			}
		}
	}
	if !res.Covered(certify.StepCreate) || res.Covered(certify.StepGroups) || res.Covered(certify.StepPaging) {
		t.Errorf("coverage %+v", res.Coverage)
	}
}

func urlq(s string) string {
	return strings.NewReplacer(" ", "%20", `"`, "%22").Replace(s)
}

func TestReportHasVerdictAndCoverage(t *testing.T) {
	recs := recording(t, func(base string) {
		c := newClient(t, okta.ClientConfig(client.Config{BaseURL: base, Token: token}))
		okta.Run(context.Background(), c, okta.Options{Users: 1, Groups: 1}, scenario.Options{})
	})
	res := certify.Grade(recs)
	rep := res.Report("scimharness certify DIR", recs[0].Entries[0].Time)
	counts := map[string]int{}
	for _, r := range rep.Results {
		counts[r.Scenario]++
	}
	if counts[certify.ScenarioVerdict] != 1 || counts[certify.ScenarioCoverage] != len(certify.Steps) || counts[certify.ScenarioRequests] != res.Requests || counts[certify.ScenarioFingerprints] == 0 {
		t.Errorf("report scenarios %v", counts)
	}
	if !strings.Contains(rep.Title, string(res.Verdict)) {
		t.Errorf("title %q", rep.Title)
	}
}

// onlyFindings reports whether every finding of res is of one of rules.
func onlyFindings(res certify.Result, rules ...string) bool {
	for _, f := range res.Findings {
		if !slices.Contains(rules, f.Rule) {
			return false
		}
	}
	return true
}

// synthetic is a recording of the given exchanges, as the recorder writes
// them: method, path, request body and answer status.
func synthetic(xs ...[4]string) []record.Recording {
	rc := record.Recording{File: "synthetic.jsonl"}
	for i, x := range xs {
		path, query, _ := strings.Cut(x[1], "?")
		e := record.Entry{Seq: i + 1, Tenant: "default", Method: x[0], Path: path, Query: query}
		e.Request = wire.Request{Method: x[0], URL: x[1], Header: http.Header{"Content-Type": {"application/scim+json"}, "Authorization": {"Bearer [REDACTED]"}}}
		if x[2] != "" {
			e.Request.Body = wire.Body(x[2])
		}
		st, _ := strconv.Atoi(x[3])
		e.Response = wire.Response{Status: st, Header: http.Header{"Content-Type": {"application/scim+json"}}}
		rc.Entries = append(rc.Entries, e)
	}
	return []record.Recording{rc}
}

const patchOp = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[%s]}`

// Issue 19: a request the server refused exercised nothing — a 400 to a
// disable is no disable; issue 16: group rename, replace and delete are
// lifecycle steps; the SCIM 1.0 URN alone names no IdP (Google and OneLogin
// both send it).
func TestCoverageCountsOnlyAcceptedRequests(t *testing.T) {
	user := `{"schemas":["urn:scim:schemas:core:1.0","urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a"}`
	group := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G"}`
	res := certify.Grade(synthetic(
		[4]string{"POST", "/scim/v2/Users", user, "201"},
		[4]string{"PATCH", "/scim/v2/Users/1", fmt.Sprintf(patchOp, `{"op":"replace","path":"active","value":false}`), "400"},
		[4]string{"PUT", "/scim/v2/Groups/2", group, "200"},
		[4]string{"PATCH", "/scim/v2/Groups/2", fmt.Sprintf(patchOp, `{"op":"replace","path":"displayName","value":"H"}`), "200"},
		[4]string{"DELETE", "/scim/v2/Groups/2", "", "204"},
	))
	if res.Covered(certify.StepDisable) {
		t.Error("a refused disable (400) counts as a disable")
	}
	for _, s := range []certify.Step{certify.StepCreate, certify.StepGroupReplace, certify.StepGroupRename, certify.StepGroupDelete} {
		if !res.Covered(s) {
			t.Errorf("step %q not covered", s)
		}
	}
	if res.IdP != "" {
		t.Errorf("the SCIM 1.0 URN alone fingerprints the client as %q", res.IdP)
	}
	if !res.HasFinding("schemas-scim1-urn", certify.Quirk) {
		t.Error("the SCIM 1.0 URN is no longer graded")
	}
}

// Issue 14: every coercion the reference server tolerates is graded,
// naming it — a quirk where an IdP is documented sending it (Entra's
// manager as a string id), a violation where none is (a number for the
// string userName: the type error json-type grades, issue 16's one level)
// — and a body that needs none is clean.
func TestToleratedCoercionsAreGraded(t *testing.T) {
	for _, tc := range []struct {
		name, body, rule, tolerance string
		level                       certify.Level
	}{
		{"number for a string", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":12345}`, "type-coercion", "numberAsString(userName)", certify.Violation},
		{"Entra's string manager", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"m-1"}}`, "tolerated-coercion", "scalarAsValue", certify.Quirk},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := certify.Grade(synthetic([4]string{"POST", "/scim/v2/Users", tc.body, "201"}))
			found := false
			for _, f := range res.Findings {
				if f.Rule == tc.rule {
					found = true
					if f.Level != tc.level || !strings.Contains(f.Message, tc.tolerance) {
						t.Errorf("finding %+v, want a %s naming %s", f, tc.level, tc.tolerance)
					}
				}
			}
			if !found {
				t.Errorf("no %s finding: %+v", tc.rule, res.Findings)
			}
		})
	}
	clean := certify.Grade(synthetic(
		[4]string{"POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a"}`, "201"},
	))
	if clean.HasFinding("tolerated-coercion", certify.Quirk) || clean.HasFinding("type-coercion", certify.Violation) {
		t.Errorf("a clean body graded as tolerated: %+v", clean.Findings)
	}
}

// Issue 16: a body without Content-Type is a SHOULD (RFC 7231 §3.1.1.5),
// so a quirk, not a violation; an unquoted filter value (Entra's legacy
// example) is a quirk naming it; a lookup before a create is no
// connection test, Entra's GUID probe and a paging probe are.
func TestClientFindingsAtTheirLevel(t *testing.T) {
	user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a"}`
	res := certify.Grade([]record.Recording{{File: "x", Entries: []record.Entry{{Seq: 1, Method: "POST", Path: "/scim/v2/Users",
		Request:  wire.Request{Method: "POST", URL: "/scim/v2/Users", Header: http.Header{"Authorization": {"Bearer [REDACTED]"}}, Body: wire.Body(user)},
		Response: wire.Response{Status: 201}}}}})
	if !res.HasFinding("content-type-missing", certify.Quirk) || res.Verdict == certify.NotCertified {
		t.Errorf("a body without Content-Type: %s %+v", res.Verdict, res.Findings)
	}
	lookup := certify.Grade(synthetic(
		[4]string{"GET", "/scim/v2/Users?filter=userName%20eq%20%22a%22", "", "200"},
		[4]string{"POST", "/scim/v2/Users", user, "201"},
	))
	if lookup.Covered(certify.StepConnection) {
		t.Error("a lookup before a create counts as a connection test")
	}
	probe := certify.Grade(synthetic([4]string{"GET", "/scim/v2/Users?startIndex=1&count=2", "", "200"}))
	if !probe.Covered(certify.StepConnection) {
		t.Error("Okta's paging probe is not a connection test")
	}
	unquoted := certify.Grade(synthetic([4]string{"GET", "/scim/v2/Users?filter=userName%20eq%20x", "", "200"}))
	if !unquoted.HasFinding("filter-unquoted-value", certify.Quirk) {
		t.Errorf("unquoted filter value: %+v", unquoted.Findings)
	}
	quoted := certify.Grade(synthetic([4]string{"GET", "/scim/v2/Users?filter=userName%20eq%20%22x%22%20and%20active%20eq%20true", "", "200"}))
	if quoted.HasFinding("filter-unquoted-value", certify.Quirk) {
		t.Errorf("a quoted filter graded unquoted: %+v", quoted.Findings)
	}
}

// ruleKeywords is, for every rule, the keyword of the clause it cites
// (RFC 7643/7644 and the RFCs they lean on), "GRAMMAR" for a definition of
// the protocol that needs no RFC 2119 keyword (an ABNF, a data type, a
// parameter's type: a request outside it is no SCIM request, and RFC 7644
// §3.12 has the server refuse it with invalidFilter, invalidPath or
// invalidValue), "IdP" for a documented IdP habit (servers tolerate it; for
// some the RFC text is stricter) or "NOTE" for what no clause grades: the
// data TestRuleLevels checks the levels against. Each entry quotes the
// sentence that sets its keyword.
var ruleKeywords = map[string]string{
	// RFC 6750 §2.3: the URI query parameter method "SHOULD NOT be used
	// unless it is impossible to transport the access token in the
	// "Authorization" request header field or the HTTP request
	// entity-body"; §5.3: "Bearer tokens SHOULD NOT be passed in page URLs".
	"token-in-query": "SHOULD",
	// RFC 7644 §3.8: "Clients using other encodings MUST specify the format
	// in which the data is submitted via an HTTP header "Content-Type"" — a
	// JSON body labelled text/plain does not; RFC 7230 §2.5: "a sender MUST
	// NOT generate protocol elements that do not match the grammar defined
	// by the corresponding ABNF rules" (a Content-Type that does not parse).
	"content-type": "MUST",
	// RFC 7231 §3.1.1.5: "A sender that generates a message containing a
	// payload body SHOULD generate a Content-Type header field"; RFC 7644
	// §3.8's MUST binds only "clients using other encodings".
	"content-type-missing": "SHOULD",
	// RFC 7644 §3.1: "To identify this content, SCIM uses a media type of
	// "application/scim+json"" — no keyword; application/json is JSON, and
	// §3.8 has service providers "SHOULD support the header "Accept:
	// application/json"". A quirk because Google Workspace and Okta's SCIM
	// spec test send it (idp-behaviour.md).
	"content-type-json": "IdP",
	// RFC 7643 §3: "The "schemas" attribute is a REQUIRED attribute"; RFC
	// 7644 §3.5.2: "The body of each request MUST contain the "schemas"
	// attribute" — a body that is not one JSON object has none.
	"body-not-json": "MUST",
	// RFC 7643 §3: "schemas" is "a REQUIRED attribute"; RFC 7644 §3.5.2:
	// "The body of each request MUST contain the "schemas" attribute with
	// the URI value of "urn:ietf:params:scim:api:messages:2.0:PatchOp"".
	"schemas-missing": "MUST",
	// RFC 7643 §3: "All representations of SCIM schemas MUST include a
	// non-empty array with value(s) of the URIs supported by that
	// representation"; RFC 7644 §3.5.2 (the PatchOp URN, as above).
	"schemas-core-urn": "MUST",
	// RFC 7643 §3: "The "schemas" attribute for a resource MUST only
	// contain values defined as "schema" and "schemaExtensions" for the
	// resource's defined "resourceType"" — stricter than the habit of
	// Google and OneLogin, which servers tolerate.
	"schemas-scim1-urn": "IdP",
	// The same sentence; Entra sends Microsoft's ADSCIM group URN (TUT).
	"schemas-adscim": "IdP",
	// The same sentence, but a recording does not show which extensions the
	// server declares: the grader cannot tell a breach, so a note.
	"schemas-unknown-urn": "NOTE",
	// RFC 7644 §3.5.2: "The body of an HTTP PATCH request MUST contain the
	// attribute "Operations", whose value is an array of one or more PATCH
	// operations."
	"patch-no-operations": "MUST",
	// RFC 7644 §3.5.2: "Each PATCH operation object MUST have exactly one
	// "op" member, whose value indicates the operation to perform and MAY
	// be one of "add", "remove", or "replace"" — no other operation is
	// defined, so another value is no operation.
	"patch-op-unknown": "MUST",
	// RFC 7644 §3.5.2 writes the ops lowercase; Entra without
	// aadOptscim062020 capitalises them (TUT).
	"patch-op-case": "IdP",
	// RFC 7644 §3.5.2: "The "path" attribute is described by the following
	// ABNF syntax rule: PATH = attrPath / valuePath [subAttr]"; §3.12
	// invalidPath: "The "path" attribute was invalid or malformed".
	"patch-path": "GRAMMAR",
	// RFC 7644 §3.5.2: "The "path" attribute is OPTIONAL for "add" and
	// "replace" and is REQUIRED for "remove" operations."
	"patch-remove-no-path": "MUST",
	// RFC 7644 §3.5.2.1: "The operation MUST contain a "value" member whose
	// content specifies the value to be added"; §3.5.2.3: a replace of an
	// attribute that does not exist is treated as an "add".
	"patch-no-value": "MUST",
	// RFC 7644 §3.5.2.3: "If the "path" parameter is omitted, the target is
	// assumed to be the resource itself. In this case, the "value" attribute
	// SHALL contain a list of one or more attributes that are to be
	// replaced"; §3.5.2.1 the same for add.
	"patch-pathless-not-object": "MUST",
	// RFC 7644 §3.5.2.3 (the keys of a path-less value are attribute names;
	// ATTRNAME has no "."): Entra with aadOptscim062020 (KNOWN).
	"patch-dotted-keys": "IdP",
	// RFC 7644 §3.5.2.2 (remove path "members" removes every member): Entra
	// without aadOptscim062020 means one (entra-docs issue 949).
	"patch-remove-members-value": "IdP",
	// RFC 7644 §3.4.2.2: "The filter parameter MUST contain at least one
	// valid expression (see Table 3)."
	"filter-syntax": "MUST",
	// RFC 7644 §3.4.2.2: compValue = false / null / true / number / string
	// — an unquoted word is none; Entra's legacy example sends it (TUT).
	"filter-unquoted-value": "IdP",
	// RFC 7644 §3.4.2.4, Table 5: startIndex is "The 1-based index of the
	// first query result"; count a "Non-negative integer"; §3.12
	// invalidValue.
	"paging-param": "GRAMMAR",
	// RFC 7644 §3.4.2.4: "A value less than 1 SHALL be interpreted as 1";
	// count: "A negative value SHALL be interpreted as "0"" — the server's
	// duty; the client's request has a defined meaning.
	"paging-range": "NOTE",
	// RFC 7643 §2.3.2: "Boolean: The literal "true" or "false""; Entra and
	// OneLogin send "True"/"False" strings.
	"boolean-as-string": "IdP",
	// RFC 7643 §2.3.2: "The literal "true" or "false"" — a data type; §3.12
	// invalidValue: "the value specified was not compatible with the
	// operation or attribute type".
	"json-type": "GRAMMAR",
	// RFC 7643 §2.3, §2.4 (the attribute's data type): a lone string for a
	// complex attribute, which Entra sends for manager (log, SCIM-SDK
	// issue 686) and the reference server reads as {"value": …}.
	"tolerated-coercion": "IdP",
	// RFC 7643 §2.3: each attribute has a data type ("String: A sequence
	// of zero or more Unicode characters"), §3.3: extension attributes sit
	// under their schema's URN — definitions, graded as json-type is; no
	// IdP is documented sending a number for a string.
	"type-coercion": "GRAMMAR",
	// RFC 7643 §2.4 (multi-valued attributes are JSON arrays): OneLogin
	// sends one object.
	"multi-valued-as-object": "IdP",
	// RFC 7644 §2: "Because SCIM builds on the HTTP protocol, it does not
	// itself define a scheme for authentication and authorization": the
	// service provider decides, nothing graded.
	"no-credentials": "NOTE",
	// RFC 7644 §3.2 (the endpoints under the base URI): a request elsewhere
	// is not SCIM, nothing graded.
	"not-scim": "NOTE",
}

// TestRuleLevels (issue 16): a violation only for a MUST (or a grammar the
// request is outside of), a quirk for a SHOULD or a documented IdP habit, a
// note otherwise — for every rule, and no table entry for a rule that is
// gone.
func TestRuleLevels(t *testing.T) {
	want := map[string]certify.Level{"MUST": certify.Violation, "GRAMMAR": certify.Violation, "SHOULD": certify.Quirk, "IdP": certify.Quirk, "NOTE": certify.Note}
	for _, r := range certify.Rules {
		kw, ok := ruleKeywords[r.ID]
		if !ok {
			t.Errorf("rule %s: no keyword in the table: say which clause grades it", r.ID)
			continue
		}
		lvl, known := want[kw]
		if !known {
			t.Errorf("rule %s: keyword %q is none of MUST, GRAMMAR, SHOULD, IdP, NOTE", r.ID, kw)
			continue
		}
		if r.Level != lvl {
			t.Errorf("rule %s is a %s, but its clause is a %s: want %s", r.ID, r.Level, kw, lvl)
		}
		// An IdP habit is a quirk only with its source: the IdP and its
		// page or capture or, for the coercions, the server's tolerances.
		if kw == "IdP" && !regexp.MustCompile(`Entra|Google|Okta|OneLogin`).MatchString(r.Source) && !strings.Contains(r.Source, "tolerances") {
			t.Errorf("rule %s is graded as an IdP habit but its source %q names no IdP", r.ID, r.Source)
		}
	}
	for id := range ruleKeywords {
		found := false
		for _, r := range certify.Rules {
			found = found || r.ID == id
		}
		if !found {
			t.Errorf("the keyword table names %s, which is no rule", id)
		}
	}
}

// TestSourcesReadAsNames (issue 19): a source is read by people, so it
// names its document, never one of the catalog's tags (TUT, KNOWN, HOW,
// MAP, QUAR); and every fingerprint links to the page it rests on.
func TestSourcesReadAsNames(t *testing.T) {
	tag := regexp.MustCompile(`\b(TUT|KNOWN|HOW|MAP|QUAR|REF)\b`)
	for _, r := range certify.Rules {
		if tag.MatchString(r.Source) {
			t.Errorf("rule %s cites %q: a tag, not a document", r.ID, r.Source)
		}
	}
	for name, rec := range map[string]func(base string){
		"entra": func(base string) {
			c := newClient(t, entra.ClientConfig(client.Config{BaseURL: base, Token: token}))
			entra.Run(context.Background(), c, entra.Options{Users: 2, Groups: 1, Seed: 7}, scenario.Options{})
		},
		"okta": func(base string) {
			c := newClient(t, okta.ClientConfig(client.Config{BaseURL: base, Token: token}))
			okta.Run(context.Background(), c, okta.Options{Users: 2, Groups: 1}, scenario.Options{})
		},
	} {
		res := certify.Grade(recording(t, rec))
		if len(res.Fingerprints) == 0 {
			t.Fatalf("%s: no fingerprint", name)
		}
		for _, r := range res.Report("certify", time.Now()).Results {
			if r.Scenario != certify.ScenarioFingerprints {
				continue
			}
			if tag.MatchString(r.Source) || !strings.HasPrefix(r.SourceURL, "https://") {
				t.Errorf("%s: fingerprint %q cites %q, link %q", name, r.Step, r.Source, r.SourceURL)
			}
		}
	}
}
