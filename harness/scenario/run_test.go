package scenario_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/store/memory"
	"github.com/scimharness/scimharness/wire"
)

const token = "scenario-test-token"

// target is the reference server behind httptest, counting what it gets.
type target struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string // "METHOD /path"
}

func (tg *target) requests(method string) int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	n := 0
	for _, s := range tg.seen {
		if method == "" || strings.HasPrefix(s, method+" ") {
			n++
		}
	}
	return n
}

func newTarget(t *testing.T) (*target, *client.Client) {
	t.Helper()
	tenants := server.NewTenants()
	tenants.Add(server.DefaultTenant, server.HashToken(token))
	srv, err := server.New(server.Config{Store: memory.New(), Tenants: tenants, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	tg := &target{}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.mu.Lock()
		tg.seen = append(tg.seen, r.Method+" "+r.URL.Path)
		tg.mu.Unlock()
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(tg.Close)
	return tg, newClient(t, tg.URL+"/scim/v2")
}

func newClient(t *testing.T, base string) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{BaseURL: base, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// createUser makes a user the run did not create, as if it pre-existed.
func createUser(t *testing.T, c *client.Client, userName string) string {
	t.Helper()
	ex, err := c.Do(context.Background(), client.Request{Method: "POST", Path: "/Users", Body: map[string]any{"userName": userName}})
	if err != nil || ex.Status() != 201 {
		t.Fatalf("create %s: %v %v", userName, ex, err)
	}
	m, _ := ex.JSON()
	return m["id"].(string)
}

// countUsers lists users whose userName starts with prefix.
func countUsers(t *testing.T, c *client.Client, prefix string) int {
	t.Helper()
	ex, err := c.Do(context.Background(), client.Request{Path: "/Users", Query: map[string][]string{"filter": {`userName sw "` + prefix + `"`}}})
	if err != nil || ex.Status() != 200 {
		t.Fatalf("list: %v %v", ex, err)
	}
	m, _ := ex.JSON()
	n, _ := m["totalResults"].(interface{ Int64() (int64, error) }).Int64()
	return int(n)
}

func load(t *testing.T, name string) scenario.Scenario {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc, err := scenario.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func statuses(rs []scenario.Result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Step + "=" + r.Status.String()
	}
	return out
}

// createStep creates a user carrying the prefix and captures its id.
func createStep() scenario.Step {
	return scenario.Step{
		Name:    "create",
		Request: scenario.RequestTemplate{Method: "POST", Path: "/Users", Body: map[string]any{"userName": "${prefix}-u@example.com"}},
		Capture: map[string]string{"userId": "id"},
		Expect:  []scenario.Expectation{scenario.StatusIn(201)},
	}
}

func TestLifecyclePasses(t *testing.T) {
	tg, c := newTarget(t)
	sc := load(t, "user-lifecycle.yaml")
	var progressed int
	rs := scenario.Run(context.Background(), c, sc, scenario.Options{Prefix: "run-abc123", Progress: func(scenario.Result) { progressed++ }})
	if len(rs) != len(sc.Steps) {
		t.Fatalf("results %v; the user was deleted by a step, so no cleanup result is expected", statuses(rs))
	}
	for _, r := range rs {
		if r.Status != scenario.Pass {
			t.Errorf("%s: %s\n%s", r.Step, r.Status, r.Message)
		}
		if len(r.Exchanges) != 1 || r.Scenario != "user lifecycle" || !r.Verified || r.Level != scenario.Must {
			t.Errorf("%s: result %+v", r.Step, r)
		}
	}
	if progressed != len(rs) {
		t.Errorf("Progress saw %d results, want %d", progressed, len(rs))
	}
	if s := scenario.Summarize(rs); s.Verdict != scenario.Pass || s.Counts[scenario.Pass] != 7 {
		t.Errorf("summary %v", s)
	}
	if rs[0].Clause != "RFC 7644 §3.3" || rs[3].Source != "Entra KNOWN" {
		t.Errorf("metadata lost: %+v", rs[3])
	}
	if n := tg.requests("PATCH"); n != 1 {
		t.Errorf("server saw %d PATCH", n)
	}
}

func TestFailureMessageIsReadable(t *testing.T) {
	_, c := newTarget(t)
	sc := scenario.Scenario{Name: "broken", Steps: []scenario.Step{{
		Name:    "create",
		Request: scenario.RequestTemplate{Method: "POST", Path: "/Users", Body: map[string]any{"userName": "${prefix}-x@example.com"}},
		Expect: []scenario.Expectation{
			scenario.StatusIn(200),
			scenario.BodyEquals("userName", "someone-else"),
			scenario.HeaderContains("Content-Type", "xml"),
			scenario.BodyAbsent("id"),
		},
	}}}
	rs := scenario.Run(context.Background(), c, sc, scenario.Options{Prefix: "pfx-broken"})
	r := rs[0]
	if r.Status != scenario.Fail {
		t.Fatalf("status %s", r.Status)
	}
	for _, want := range []string{
		"expected status 200, got 201; response body: {",
		`expected "userName" to be "someone-else", got "pfx-broken-x@example.com"`,
		`expected Content-Type header to contain "xml", got "application/scim+json`,
		`expected no "id" in the response body, got "`,
		`sent: POST ` + c.BaseURL() + `/Users {"userName":"pfx-broken-x@example.com"}`,
		"received: 201 {",
	} {
		if !strings.Contains(r.Message, want) {
			t.Errorf("message lacks %q:\n%s", want, r.Message)
		}
	}
	// The created user is still cleaned up.
	if last := rs[len(rs)-1]; !last.Cleanup || last.Status != scenario.Pass {
		t.Errorf("cleanup result %+v", last)
	}
}

func TestTransportErrorIsError(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	c := newClient(t, dead.URL+"/scim/v2")
	sc := scenario.Scenario{Name: "down", Steps: []scenario.Step{{Name: "list", Request: scenario.RequestTemplate{Method: "GET", Path: "/Users"}, Expect: []scenario.Expectation{scenario.StatusIn(200)}}}}
	rs := scenario.Run(context.Background(), c, sc, scenario.Options{})
	if len(rs) != 1 || rs[0].Status != scenario.Error || !strings.Contains(rs[0].Message, "no answer from the target") || len(rs[0].Exchanges) != 1 {
		t.Fatalf("%+v", rs)
	}
	if scenario.Summarize(rs).Verdict != scenario.Error {
		t.Error("verdict is not error")
	}
}

func TestCleanupRunsAfterFailure(t *testing.T) {
	tests := []struct {
		name     string
		breakage scenario.Step
		want     scenario.Status
	}{
		{"failed expectation", scenario.Step{Name: "break", Request: scenario.RequestTemplate{Method: "GET", Path: "/Users/${userId}"}, Expect: []scenario.Expectation{scenario.StatusIn(418)}}, scenario.Fail},
		{"panicking check", scenario.Step{Name: "break", Request: scenario.RequestTemplate{Method: "GET", Path: "/Users/${userId}"},
			Check: func(*wire.Exchange, scenario.Vars) error { panic("boom") }}, scenario.Error},
		{"panicking build", scenario.Step{Name: "break", Build: func(scenario.Vars) (client.Request, error) { panic("boom") }}, scenario.Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newTarget(t)
			never := scenario.Step{Name: "never", Request: scenario.RequestTemplate{Method: "GET", Path: "/Users"}}
			sc := scenario.Scenario{Name: "s", Steps: []scenario.Step{createStep(), tt.breakage, never}}
			rs := scenario.Run(context.Background(), c, sc, scenario.Options{Prefix: "cleanup-test", StopOnFail: true})
			want := []string{"create=pass", "break=" + tt.want.String(), "never=skip"}
			got := statuses(rs)
			if len(got) != 4 || strings.Join(got[:3], " ") != strings.Join(want, " ") {
				t.Fatalf("results %v", got)
			}
			if !rs[3].Cleanup || rs[3].Status != scenario.Pass || !strings.HasPrefix(rs[3].Step, "cleanup: DELETE /Users/") {
				t.Errorf("cleanup %+v", rs[3])
			}
			if tt.want == scenario.Error && !strings.Contains(rs[1].Message, "panicked: boom") {
				t.Errorf("message %q", rs[1].Message)
			}
			if n := countUsers(t, c, "cleanup-test"); n != 0 {
				t.Errorf("%d users left", n)
			}
		})
	}
}

func TestCleanupRunsAfterCancel(t *testing.T) {
	_, c := newTarget(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	second := createStep()
	second.Name = "create another"
	second.Request.Body = map[string]any{"userName": "${prefix}-v@example.com"}
	sc := scenario.Scenario{Name: "s", Steps: []scenario.Step{createStep(), second}}
	// Cancel as soon as the first result arrives: the second step must be
	// incomplete (never a skip that reads as done), and the first user still
	// removed.
	rs := scenario.Run(ctx, c, sc, scenario.Options{Prefix: "cancel-test", Progress: func(scenario.Result) { cancel() }})
	got := statuses(rs)
	if len(rs) != 3 || got[0] != "create=pass" || got[1] != "create another=incomplete" || !strings.Contains(rs[1].Message, "cancel") {
		t.Fatalf("results %v", got)
	}
	if !rs[2].Cleanup || rs[2].Status != scenario.Pass {
		t.Errorf("cleanup %+v", rs[2])
	}
	if n := countUsers(t, c, "cancel-test"); n != 0 {
		t.Errorf("%d users left", n)
	}
}

func TestExplicitCleanupAndKeep(t *testing.T) {
	for _, keep := range []bool{false, true} {
		_, c := newTarget(t)
		group := scenario.Step{
			Name:    "create group with member",
			Request: scenario.RequestTemplate{Method: "POST", Path: "/Groups", Body: map[string]any{"displayName": "${prefix} group", "members": []any{map[string]any{"value": "${userId}"}}}},
			Capture: map[string]string{"groupId": "id"},
			Expect:  []scenario.Expectation{scenario.StatusIn(201), scenario.BodyLength("members", 1)},
			// Undo the membership before the deletes (newest first).
			Cleanup: &scenario.RequestTemplate{Method: "PATCH", Path: "/Groups/${groupId}", Body: map[string]any{
				"schemas":    []any{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
				"Operations": []any{map[string]any{"op": "remove", "path": "members"}},
			}},
		}
		sc := scenario.Scenario{Name: "s", Steps: []scenario.Step{createStep(), group}}
		rs := scenario.Run(context.Background(), c, sc, scenario.Options{Prefix: "keep-test", Keep: keep})
		got := statuses(rs)
		want := "create=pass create group with member=pass cleanup: PATCH /Groups/%s=pass cleanup: DELETE /Groups/%s=pass cleanup: DELETE /Users/%s=pass"
		if keep {
			want = strings.ReplaceAll(want, "=pass", "=skip")
			want = strings.Replace(strings.Replace(want, "create=skip", "create=pass", 1), "member=skip", "member=pass", 1)
		}
		groupID, userID := lastSegment(rs[3].Step), lastSegment(rs[4].Step)
		want = strings.Replace(strings.Replace(strings.Replace(want, "%s", groupID, 1), "%s", groupID, 1), "%s", userID, 1)
		if strings.Join(got, " ") != want {
			t.Errorf("keep=%v:\n got %v\nwant %v", keep, strings.Join(got, " "), want)
		}
		left := countUsers(t, c, "keep-test")
		if (keep && left != 1) || (!keep && left != 0) {
			t.Errorf("keep=%v: %d users left", keep, left)
		}
	}
}

func lastSegment(s string) string { return s[strings.LastIndexByte(s, '/')+1:] }

func TestGrading(t *testing.T) {
	// The reference server answers 201 to a create; expecting 200 fails.
	tests := []struct {
		name      string
		mode      scenario.Mode
		level     scenario.Level
		exp       scenario.Expectation
		want      scenario.Status
		info      bool
		verdict   scenario.Status
		inMessage string
		// resLevel is the result's level: the keyword of the gravest
		// failed check, not the step's.
		resLevel scenario.Level
	}{
		{"MUST fails", scenario.Strict, "", scenario.StatusIn(200), scenario.Fail, false, scenario.Fail, "", scenario.Must},
		{"SHOULD warns", scenario.Strict, scenario.Should, scenario.StatusIn(200), scenario.Warn, false, scenario.Warn, "[SHOULD]", scenario.Should},
		{"a SHOULD check in a MUST step warns as SHOULD", scenario.Strict, "", scenario.StatusIn(200).At(scenario.Should), scenario.Warn, false, scenario.Warn, "[SHOULD]", scenario.Should},
		{"MAY is informational", scenario.Strict, scenario.May, scenario.StatusIn(200), scenario.Warn, true, scenario.Pass, "[MAY: informational]", scenario.May},
		{"expectation level wins", scenario.Strict, scenario.May, scenario.StatusIn(200).At(scenario.Must), scenario.Fail, false, scenario.Fail, "", scenario.Must},
		{"strict-only fails in strict mode", scenario.Strict, "", scenario.StatusIn(200).StrictOnlyBecause("Okta accepts 200"), scenario.Fail, false, scenario.Fail, "compat mode tolerates this: Okta accepts 200", scenario.Must},
		{"strict-only warns in compat mode", scenario.Compat, "", scenario.StatusIn(200).StrictOnlyBecause("Okta accepts 200"), scenario.Warn, false, scenario.Warn, "tolerated in compat mode: Okta accepts 200", scenario.Must},
		{"compat does not excuse the rest", scenario.Compat, "", scenario.StatusIn(200), scenario.Fail, false, scenario.Fail, "", scenario.Must},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newTarget(t)
			st := createStep()
			st.Level, st.Expect = tt.level, []scenario.Expectation{tt.exp}
			rs := scenario.Run(context.Background(), c, scenario.Scenario{Name: "s", Steps: []scenario.Step{st}}, scenario.Options{Mode: tt.mode})
			r := rs[0]
			if r.Status != tt.want || r.Info != tt.info || !strings.Contains(r.Message, tt.inMessage) {
				t.Errorf("got %s info=%v %q", r.Status, r.Info, r.Message)
			}
			if r.Level != tt.resLevel {
				t.Errorf("level %s, want %s", r.Level, tt.resLevel)
			}
			if v := scenario.Summarize(rs[:1]).Verdict; v != tt.verdict {
				t.Errorf("verdict %s, want %s", v, tt.verdict)
			}
		})
	}
}

func TestRefusesToModifyWhatItDidNotCreate(t *testing.T) {
	tg, c := newTarget(t)
	existing := createUser(t, c, "pre-existing@example.com")
	tests := []struct {
		name string
		step scenario.Step
	}{
		{"PATCH", scenario.Step{Request: scenario.RequestTemplate{Method: "PATCH", Path: "/Users/" + existing, Body: map[string]any{"Operations": []any{}}}}},
		{"PUT", scenario.Step{Request: scenario.RequestTemplate{Method: "PUT", Path: "/Users/" + existing, Body: map[string]any{"userName": "x"}}}},
		{"DELETE", scenario.Step{Request: scenario.RequestTemplate{Method: "delete", Path: "/Users/" + existing}}},
		{"DELETE by absolute URL", scenario.Step{Request: scenario.RequestTemplate{Method: "DELETE", Path: c.BaseURL() + "/Users/" + existing}}},
		{"DELETE outside the base URL", scenario.Step{Request: scenario.RequestTemplate{Method: "DELETE", Path: "http://elsewhere.invalid/Users/x"}}},
		{"escaped id", scenario.Step{Request: scenario.RequestTemplate{Method: "DELETE", Path: "/Users/${victim}"}}},
		{"DELETE from a Build func", scenario.Step{Build: func(scenario.Vars) (client.Request, error) {
			return client.Request{Method: "DELETE", Path: "/Users/" + existing}, nil
		}}},
		{"PATCH /Me", scenario.Step{Request: scenario.RequestTemplate{Method: "PATCH", Path: "/Me", Body: map[string]any{}}}},
		{"DELETE inside /Bulk", scenario.Step{Request: scenario.RequestTemplate{Method: "POST", Path: "/Bulk", Body: map[string]any{
			"schemas":    []any{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
			"Operations": []any{map[string]any{"method": "DELETE", "path": "/Users/" + existing}},
		}}}},
		{"POST without the prefix", scenario.Step{Request: scenario.RequestTemplate{Method: "POST", Path: "/Users", Body: map[string]any{"userName": "unmarked@example.com"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tg.requests("")
			tt.step.Name = tt.name
			rs := scenario.Run(context.Background(), c, scenario.Scenario{Name: "s", Steps: []scenario.Step{tt.step}},
				scenario.Options{Prefix: "safe-run", Vars: scenario.Vars{"victim": existing}})
			if len(rs) != 1 || rs[0].Status != scenario.Error || !strings.Contains(rs[0].Message, "refusing to") {
				t.Fatalf("results %+v", rs)
			}
			if n := tg.requests("") - before; n != 0 {
				t.Errorf("%d requests reached the server", n)
			}
		})
	}
	if ex, _ := c.Do(context.Background(), client.Request{Path: "/Users/" + existing}); ex.Status() != 200 {
		t.Errorf("the pre-existing user was touched: %d", ex.Status())
	}
}

func TestAllowsOwnAndPrefixedIDs(t *testing.T) {
	_, c := newTarget(t)
	sc := scenario.Scenario{Name: "s", Steps: []scenario.Step{
		createStep(),
		{Name: "patch own", Request: scenario.RequestTemplate{Method: "PATCH", Path: "/Users/${userId}", Body: map[string]any{
			"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": []any{map[string]any{"op": "replace", "path": "displayName", "value": "x"}}}},
			Expect: []scenario.Expectation{scenario.StatusIn(200)}},
		// An id carrying the run prefix cannot belong to anyone else: a
		// 404 check on it is allowed.
		{Name: "delete unknown prefixed id", Request: scenario.RequestTemplate{Method: "DELETE", Path: "/Users/${prefix}-missing"}, Expect: []scenario.Expectation{scenario.StatusIn(404)}},
		{Name: "bulk create", Request: scenario.RequestTemplate{Method: "POST", Path: "/Bulk", Body: map[string]any{
			"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
			"Operations": []any{
				map[string]any{"method": "POST", "path": "/Users", "bulkId": "b1", "data": map[string]any{"userName": "${prefix}-bulk@example.com"}},
				map[string]any{"method": "PATCH", "path": "/Users/bulkId:b1", "data": map[string]any{"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": []any{map[string]any{"op": "replace", "path": "displayName", "value": "y"}}}},
			}}}, Expect: []scenario.Expectation{scenario.StatusIn(200)}},
	}}
	rs := scenario.Run(context.Background(), c, sc, scenario.Options{Prefix: "own-ids"})
	for _, r := range rs {
		if r.Status != scenario.Pass {
			t.Errorf("%s: %s %s", r.Step, r.Status, r.Message)
		}
	}
	// Two users created (one by /Bulk), two cleanups.
	if len(rs) != 6 || !rs[4].Cleanup || !rs[5].Cleanup {
		t.Errorf("results %v", statuses(rs))
	}
	if n := countUsers(t, c, "own-ids"); n != 0 {
		t.Errorf("%d users left", n)
	}
}

func TestDryRunSendsNothing(t *testing.T) {
	tg, c := newTarget(t)
	var out bytes.Buffer
	sc := load(t, "user-lifecycle.yaml")
	rs := scenario.Run(context.Background(), c, sc, scenario.Options{Prefix: "dry", DryRun: true, Out: &out})
	if n := tg.requests(""); n != 0 {
		t.Errorf("dry run sent %d requests", n)
	}
	if len(rs) != len(sc.Steps) {
		t.Errorf("results %v", statuses(rs))
	}
	for _, r := range rs {
		if r.Status != scenario.Skip || r.Message != "dry run: not sent" {
			t.Errorf("%s: %s %q", r.Step, r.Status, r.Message)
		}
	}
	for _, want := range []string{
		"# user lifecycle / create user\nPOST " + c.BaseURL() + "/Users\n",
		"Authorization: Bearer [REDACTED]",
		`"userName": "dry-bjensen@example.com"`,
		"PATCH " + c.BaseURL() + "/Users/${userId}",
		"filter=userName+eq+%22dry-BJENSEN%40example.com%22",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), token) {
		t.Error("dry-run output contains the token")
	}
}

func TestSkips(t *testing.T) {
	_, c := newTarget(t)
	sc := scenario.Scenario{Name: "s", Steps: []scenario.Step{
		{Name: "when unset", When: "groupId", Request: scenario.RequestTemplate{Method: "GET", Path: "/Groups/${groupId}"}},
		{Name: "needs a var", Request: scenario.RequestTemplate{Method: "GET", Path: "/Users/${userId}", Query: map[string]string{"attributes": "${attr}"}}},
		{Name: "build skips", Build: func(scenario.Vars) (client.Request, error) {
			return client.Request{}, scenario.Skipf("bulk not supported by %s", "the target")
		}},
		{Name: "check skips", Request: scenario.RequestTemplate{Method: "GET", Path: "/ServiceProviderConfig"},
			Check: func(*wire.Exchange, scenario.Vars) error {
				return scenario.Skipf("no etag")
			}},
	}}
	rs := scenario.Run(context.Background(), c, sc, scenario.Options{})
	wantMsg := []string{"skipped: needs ${groupId}", "skipped: needs ${attr}, ${userId}", "skipped: bulk not supported by the target", "skipped: no etag"}
	for i, r := range rs {
		if r.Status != scenario.Skip || !strings.HasPrefix(r.Message, wantMsg[i]) {
			t.Errorf("%s: %s %q", r.Step, r.Status, r.Message)
		}
	}
	if v := scenario.Summarize(rs).Verdict; v != scenario.Skip {
		t.Errorf("verdict %s", v)
	}
}

func TestCaptureBuildAndCheck(t *testing.T) {
	_, c := newTarget(t)
	sc := scenario.Scenario{Name: "s", Steps: []scenario.Step{
		createStep(),
		{
			Name: "built in code",
			Build: func(v scenario.Vars) (client.Request, error) {
				return client.Request{Method: "GET", Path: "/Users/" + v["userId"].(string), Query: map[string][]string{"attributes": {"userName,meta"}}}, nil
			},
			Capture: map[string]string{"etag": "header:ETag", "version": "meta.version", "name": "userName"},
			Check: func(ex *wire.Exchange, v scenario.Vars) error {
				if v["etag"] != v["version"] {
					return errors.New("ETag header differs from meta.version")
				}
				v["checked"] = true
				return nil
			},
		},
		{Name: "uses typed var", When: "checked", Request: scenario.RequestTemplate{Method: "GET", Path: "/Users/${userId}"},
			Expect: []scenario.Expectation{scenario.BodyEquals("userName", "${name}"), scenario.Func(func(ex *wire.Exchange, v scenario.Vars) error {
				if ex.Status() != 200 {
					return errors.New("not 200")
				}
				return nil
			})}},
		{Name: "missing capture fails", Request: scenario.RequestTemplate{Method: "GET", Path: "/Users/${userId}"}, Capture: map[string]string{"nope": "nickName"}},
	}}
	rs := scenario.Run(context.Background(), c, sc, scenario.Options{Prefix: "capture"})
	got := strings.Join(statuses(rs)[:4], " ")
	if got != "create=pass built in code=pass uses typed var=pass missing capture fails=fail" {
		t.Errorf("results %s\n%v", got, rs[1].Message)
	}
	if !strings.Contains(rs[3].Message, `could not capture ${nope}: the response body has no "nickName"`) {
		t.Errorf("message %q", rs[3].Message)
	}
}

func TestInvalidScenarioIsError(t *testing.T) {
	_, c := newTarget(t)
	rs := scenario.Run(context.Background(), c, scenario.Scenario{Name: "s", Steps: []scenario.Step{{Name: "x"}}}, scenario.Options{})
	if len(rs) != 1 || rs[0].Status != scenario.Error || !strings.Contains(rs[0].Message, "no method") {
		t.Errorf("%+v", rs)
	}
}

func TestCleanupFailureIsReported(t *testing.T) {
	tg, c := newTarget(t)
	// A target that cannot delete: wrap the reference server.
	inner := tg.Config.Handler
	tg.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		inner.ServeHTTP(w, r)
	})
	rs := scenario.Run(context.Background(), c, scenario.Scenario{Name: "s", Steps: []scenario.Step{createStep()}}, scenario.Options{Prefix: "undeletable"})
	if len(rs) != 2 || rs[0].Status != scenario.Pass {
		t.Fatalf("results %v", statuses(rs))
	}
	cl := rs[1]
	if !cl.Cleanup || cl.Status != scenario.Fail || !strings.Contains(cl.Message, "expected 2xx or 404, got 405; the resource may remain") || len(cl.Exchanges) != 1 {
		t.Errorf("cleanup %+v", cl)
	}
	if v := scenario.Summarize(rs).Verdict; v != scenario.Fail {
		t.Errorf("verdict %s: a failed cleanup must not be hidden", v)
	}
}

// TestFirstRequest: a step's First request settles it when it passes (the
// result named for it), and the step's own request is then not sent; any
// other outcome of First decides nothing, and the step's own answer is the
// verdict, with both exchanges in the result.
func TestFirstRequest(t *testing.T) {
	get := func(name, path string, code int) scenario.Step {
		return scenario.Step{Name: name, Request: scenario.RequestTemplate{Method: "GET", Path: path}, Expect: []scenario.Expectation{scenario.StatusIn(code)}}
	}
	for _, tc := range []struct {
		name       string
		first, own scenario.Step
		step       string // the result's name
		status     scenario.Status
		gets       int
		inMessage  string
	}{
		{"first passes", get("first", "/ServiceProviderConfig", 200), get("own", "/Users/nobody", 200), "first", scenario.Pass, 1, ""},
		{"first fails, own passes", get("first", "/Users/nobody", 200), get("own", "/ServiceProviderConfig", 200), "own", scenario.Pass, 2, ""},
		{"both fail", get("first", "/Users/nobody", 200), get("own", "/Users/nobody", 200), "own", scenario.Fail, 2, "(sent first, deciding nothing: first: fail"},
		{"first skips, own fails", scenario.Step{Name: "first", Build: func(scenario.Vars) (client.Request, error) {
			return client.Request{}, scenario.Skipf("not today")
		}}, get("own", "/Users/nobody", 200), "own", scenario.Fail, 1, "first: skip skipped: not today"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, c := newTarget(t)
			own := tc.own
			own.First = &tc.first
			rs := scenario.Run(context.Background(), c, scenario.Scenario{Name: "s", Steps: []scenario.Step{own}}, scenario.Options{})
			if len(rs) != 1 {
				t.Fatalf("%d results", len(rs))
			}
			r := rs[0]
			if r.Step != tc.step || r.Status != tc.status {
				t.Errorf("result %s %s: %s", r.Step, r.Status, r.Message)
			}
			if n := tg.requests("GET"); n != tc.gets || len(r.Exchanges) != tc.gets {
				t.Errorf("%d GETs sent, %d exchanges in the result; want %d", n, len(r.Exchanges), tc.gets)
			}
			if !strings.Contains(r.Message, tc.inMessage) {
				t.Errorf("message %q lacks %q", r.Message, tc.inMessage)
			}
		})
	}
}
