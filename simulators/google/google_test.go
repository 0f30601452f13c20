package google_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/scimharness/scimharness/simulators/broken"
	"github.com/scimharness/scimharness/simulators/client"
	"github.com/scimharness/scimharness/simulators/google"
	"github.com/scimharness/scimharness/simulators/scenario"
)

const token = "google-sim-test-token"

// request is one request as the target saw it.
type request struct {
	Method, Path, Query string
	Header              http.Header
	Body                string
}

// target serves h over httptest and records every request.
type target struct {
	*httptest.Server
	mu   sync.Mutex
	seen []request
}

func (tg *target) requests() []request {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return slices.Clone(tg.seen)
}

func serve(tb testing.TB, h http.Handler) *target {
	tb.Helper()
	tg := &target{}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		tg.mu.Lock()
		tg.seen = append(tg.seen, request{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(body)})
		tg.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	tb.Cleanup(tg.Close)
	return tg
}

// reference starts the reference server (broken.Handler without a bug).
func reference(tb testing.TB) *target {
	tb.Helper()
	h, err := broken.Handler(nil, token)
	if err != nil {
		tb.Fatal(err)
	}
	return serve(tb, h)
}

func (tg *target) base() string { return tg.URL + "/scim/v2" }

// googleClient is a client configured as Google.
func googleClient(tb testing.TB, tg *target) *client.Client {
	tb.Helper()
	c, err := client.New(google.ClientConfig(client.Config{BaseURL: tg.base(), Token: token}))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// plainClient sets up and inspects the target outside any simulation.
func plainClient(tb testing.TB, tg *target) *client.Client {
	tb.Helper()
	c, err := client.New(client.Config{BaseURL: tg.base(), Token: token})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func do(tb testing.TB, c *client.Client, method, path string, body any) map[string]any {
	tb.Helper()
	ex, err := c.Do(context.Background(), client.Request{Method: method, Path: path, Body: body})
	if err != nil || ex.Status()/100 != 2 {
		tb.Fatalf("%s %s: %v %s", method, path, err, ex.Response.Body)
	}
	m, _ := ex.JSON()
	return m
}

func total(tb testing.TB, c *client.Client, endpoint string) int {
	tb.Helper()
	n, _ := do(tb, c, "GET", "/"+endpoint, nil)["totalResults"].(json.Number).Int64()
	return int(n)
}

func summary(rs []scenario.Result) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.Status.String() + "  " + r.Step + "\n")
		if r.Message != "" && r.Status != scenario.Pass {
			b.WriteString("      " + strings.ReplaceAll(r.Message, "\n", "\n      ") + "\n")
		}
	}
	return b.String()
}

var variants = []struct {
	name string
	o    google.Options
}{
	{"default", google.Options{}},
	{"one user", google.Options{Users: 1}},
	{"three users, other seed", google.Options{Users: 3, Seed: 7}},
	{"probe", google.Options{Probe: true}},
	{"update put", google.Options{Update: google.UpdatePut}},
	{"update patch", google.Options{Update: google.UpdatePatch}},
	{"string booleans", google.Options{StringBooleans: true}},
	{"delete", google.Options{Deprovision: google.DeprovisionDelete}},
	{"put, string booleans, delete", google.Options{Update: google.UpdatePut, StringBooleans: true, Deprovision: google.DeprovisionDelete}},
	{"patch, string booleans, probe", google.Options{Update: google.UpdatePatch, StringBooleans: true, Probe: true}},
	{"put, suspend", google.Options{Update: google.UpdatePut, Deprovision: google.DeprovisionSuspend}},
}

// TestReferenceServerPasses: every variant passes against the reference
// server, sends only what Google sends, and leaves nothing behind.
func TestReferenceServerPasses(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			tg := reference(t)
			rs := google.Run(context.Background(), googleClient(t, tg), v.o, scenario.Options{})
			if len(rs) == 0 {
				t.Fatal("no results")
			}
			for _, r := range rs {
				if r.Status != scenario.Pass {
					t.Fatalf("not all steps passed:\n%s", summary(rs))
				}
			}
			for _, r := range tg.requests() {
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
			if n := total(t, plainClient(t, tg), "Users"); n != 0 {
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
	}
	for _, bug := range broken.All() {
		t.Run(bug.Name, func(t *testing.T) {
			tc, ok := cases[bug.Name]
			if !ok {
				t.Fatalf("bug %q is not in the table: say whether Google can see it", bug.Name)
			}
			h, err := broken.Handler(&bug, token)
			if err != nil {
				t.Fatal(err)
			}
			tg := serve(t, h)
			rs := google.Run(context.Background(), googleClient(t, tg), tc.o, scenario.Options{})
			var failed []scenario.Result
			for _, r := range rs {
				if r.Status >= scenario.Fail {
					failed = append(failed, r)
				}
			}
			if tc.want == "" {
				if len(failed) > 0 {
					t.Fatalf("Google is listed as blind to %q, but the run failed — update the table:\n%s", bug.Name, summary(rs))
				}
				return
			}
			if len(failed) == 0 {
				t.Fatalf("the run passed against a server that %s:\n%s", bug.Description, summary(rs))
			}
			for _, r := range failed {
				if strings.Contains(r.Message, tc.want) {
					t.Logf("caught at %q: %s", r.Step, strings.SplitN(r.Message, "\n", 2)[0])
					return
				}
			}
			t.Fatalf("no failure says %q:\n%s", tc.want, summary(rs))
		})
	}
}

// TestSafety: resources the run did not create are neither changed nor
// deleted, and cleanup leaves the server as it was — unless Keep.
func TestSafety(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			tg := reference(t)
			pc := plainClient(t, tg)
			u := do(t, pc, "POST", "/Users", map[string]any{"userName": "Ada.Lovelace.g1@example.com", "active": true, "displayName": "Existing"})
			g := do(t, pc, "POST", "/Groups", map[string]any{"displayName": "Existing group", "members": []any{map[string]any{"value": u["id"]}}})
			beforeU := do(t, pc, "GET", "/Users/"+u["id"].(string), nil)
			beforeG := do(t, pc, "GET", "/Groups/"+g["id"].(string), nil)

			rs := google.Run(context.Background(), googleClient(t, tg), v.o, scenario.Options{})
			for _, r := range rs {
				if r.Status == scenario.Error {
					t.Errorf("%s: %s", r.Step, r.Message)
				}
			}
			if after := do(t, pc, "GET", "/Users/"+u["id"].(string), nil); !reflect.DeepEqual(after, beforeU) {
				t.Errorf("the existing user changed:\nbefore %v\nafter  %v", beforeU, after)
			}
			if after := do(t, pc, "GET", "/Groups/"+g["id"].(string), nil); !reflect.DeepEqual(after, beforeG) {
				t.Errorf("the existing group changed:\nbefore %v\nafter  %v", beforeG, after)
			}
			if n := total(t, pc, "Users"); n != 1 {
				t.Errorf("%d users after the run, want the 1 that was there", n)
			}
			if n := total(t, pc, "Groups"); n != 1 {
				t.Errorf("%d groups after the run, want the 1 that was there", n)
			}
		})
	}
	t.Run("keep", func(t *testing.T) {
		tg := reference(t)
		pc := plainClient(t, tg)
		do(t, pc, "POST", "/Users", map[string]any{"userName": "existing@example.com"})
		rs := google.Run(context.Background(), googleClient(t, tg), google.Options{Users: 3}, scenario.Options{Keep: true})
		kept := 0
		for _, r := range rs {
			if r.Cleanup && r.Status == scenario.Skip && strings.Contains(r.Message, "kept") {
				kept++
			}
		}
		if kept != 3 {
			t.Errorf("%d kept cleanups, want 3:\n%s", kept, summary(rs))
		}
		if n := total(t, pc, "Users"); n != 4 {
			t.Errorf("%d users after a kept run, want 1 + 3", n)
		}
	})
}

// TestDryRun: nothing is sent; the requests are printed as Google would send them.
func TestDryRun(t *testing.T) {
	tg := reference(t)
	var out bytes.Buffer
	rs := google.Run(context.Background(), googleClient(t, tg), google.Options{Probe: true, Update: google.UpdatePut}, scenario.Options{DryRun: true, Out: &out})
	if n := len(tg.requests()); n != 0 {
		t.Fatalf("a dry run sent %d requests", n)
	}
	for _, r := range rs {
		if r.Status != scenario.Skip {
			t.Errorf("%s: %s in a dry run", r.Step, r.Status)
		}
	}
	for _, want := range []string{"POST " + tg.base() + "/Users", "User-Agent: " + google.UserAgent, "Content-Type: application/json", google.LegacyCoreURN, "startIndex=1"} {
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
	rs := google.Run(context.Background(), nil, google.Options{Prefix: "aaaaaa"}, scenario.Options{Prefix: "bbbbbb"})
	if len(rs) != 1 || rs[0].Status != scenario.Error || !strings.Contains(rs[0].Message, "differ") {
		t.Errorf("conflicting prefixes: %+v", rs)
	}
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
