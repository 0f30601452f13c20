package entra_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/server/broken"
	"github.com/scimharness/scimharness/simulators/entra"
	"github.com/scimharness/scimharness/simulators/internal/simtest"
)

// BenchConcurrency is the team scenarios the benchmark runs at once; the
// README's 10,000-user command passes the same --entra-concurrency.
const benchConcurrency = 4

func provision(t testing.TB, c *client.Client, o entra.Options, ro scenario.Options) entra.Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return entra.Provision(ctx, c, o, ro)
}

// wire counts the requests a target got, by "METHOD /Endpoint" (the
// resource id dropped, "?" added when there was a filter).
func wireCounts(reqs []simtest.Request) map[string]int {
	out := map[string]int{}
	for _, r := range reqs {
		segs := strings.Split(strings.TrimPrefix(r.Path, "/scim/v2/"), "/")
		k := r.Method + " /" + segs[0]
		if len(segs) > 1 {
			k += "/{id}"
		}
		if strings.Contains(r.Query, "filter=") {
			k += "?filter"
		}
		out[k]++
	}
	return out
}

// The initial cycle alone: exactly Entra's requests — Test Connection, a
// match and a POST per user (per matching attribute), a query, an empty
// POST and a member PATCH per group — every answer judged and passing, the
// cycle timed apart from its cleanup, and nothing left behind.
func TestInitialCycle(t *testing.T) {
	cases := []struct {
		name    string
		o       entra.Options
		ro      scenario.Options
		matches int // matching attributes tried per user
	}{
		{name: "default", o: entra.Options{Users: 5, Groups: 2}, matches: 1},
		{name: "flag, concurrent, more groups than teams", o: entra.Options{Users: 12, Groups: 4, Flag: true, Concurrency: 3}, matches: 1},
		{name: "one user, no groups", o: entra.Options{Users: 1}, matches: 1},
		{name: "humbol (no groups), email, single role", o: entra.Options{Users: 6, Mapping: humbol(t), Match: entra.MatchEmail, RoleMode: entra.RoleSingle}, matches: 1},
		{name: "two matching attributes", o: entra.Options{Users: 5, Groups: 1, Mapping: twoMatching(t)}, matches: 2},
		{name: "compat, evidence of problems only", o: entra.Options{Users: 7, Groups: 3, Seed: 4}, ro: scenario.Options{Mode: scenario.Compat, Evidence: scenario.EvidenceProblems}, matches: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg, c := start(t, simtest.Reference(t))
			tc.o.Cycle = entra.CycleInitial
			out := provision(t, c, tc.o, tc.ro)
			if out.Quarantined {
				t.Error("quarantined")
			}
			if b := bad(out.Results, scenario.Warn); len(b) > 0 {
				t.Fatalf("%d of %d results did not pass:\n%s", len(b), len(out.Results), strings.Join(b, "\n\n"))
			}
			users, groups := tc.o.Users, tc.o.Groups
			// Test Connection: the user probe, and a group probe when
			// groups are provisioned (TUT).
			probes := 0
			if groups > 0 {
				probes = 1
			}
			cycle := 1 + probes + users*(tc.matches+1) + 3*groups
			want := map[string]int{
				"GET /Users?filter":     1 + users*tc.matches,
				"POST /Users":           users,
				"GET /Groups?filter":    probes + groups,
				"POST /Groups":          groups,
				"PATCH /Groups/{id}":    groups,
				"DELETE /Users/{id}":    users,
				"DELETE /Groups/{id}":   groups,
				"(results: cycle)":      cycle,
				"(results: cleanup)":    users + groups,
				"(timing: requests)":    cycle,
				"(timing: cleanup)":     users + groups,
				"(left: users, groups)": 0,
			}
			if groups == 0 {
				for _, k := range []string{"GET /Groups?filter", "POST /Groups", "PATCH /Groups/{id}", "DELETE /Groups/{id}"} {
					delete(want, k)
				}
			}
			got := wireCounts(tg.Requests())
			for _, r := range out.Results {
				if r.Cleanup {
					got["(results: cleanup)"]++
				} else {
					got["(results: cycle)"]++
				}
			}
			if tm := out.Timing; tm != nil {
				got["(timing: requests)"], got["(timing: cleanup)"] = tm.Requests, tm.CleanupRequests
				if tm.Cycle != entra.CycleInitial || tm.Users != users || tm.Groups != groups || tm.Duration <= 0 || tm.Concurrency != max(tc.o.Concurrency, 1) {
					t.Errorf("timing %+v", *tm)
				}
				if line := tm.String(); !strings.HasPrefix(line, fmt.Sprintf("initial cycle: %d users, %d groups, %d requests in ", users, groups, cycle)) {
					t.Errorf("timing line %q", line)
				}
			} else {
				t.Error("no Timing")
			}
			pc := tg.Client(t, nil)
			got["(left: users, groups)"] = simtest.Total(t, pc, "Users") + simtest.Total(t, pc, "Groups")
			for k, n := range want {
				if got[k] != n {
					t.Errorf("%s: %d, want %d", k, got[k], n)
				}
			}
			for k := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("unexpected %s (%d): the initial cycle sends only Entra's own requests", k, got[k])
				}
			}
			for _, r := range out.Results {
				if tc.ro.Evidence == scenario.EvidenceProblems && len(r.Exchanges) > 0 {
					t.Errorf("%s: a passing result kept its exchanges with EvidenceProblems", r.Step)
				}
				if tc.ro.Evidence == scenario.EvidenceAll && len(r.Exchanges) != 1 {
					t.Errorf("%s: %d exchanges, want 1", r.Step, len(r.Exchanges))
				}
			}
		})
	}
}

// twoMatching is the default mapping with externalId as a second matching
// attribute (precedence 2).
func twoMatching(t *testing.T) *entra.Mapping {
	t.Helper()
	m, err := entra.DefaultMapping()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for i := range m.Attributes {
		if m.Attributes[i].Target == "externalId" {
			m.Attributes[i].Matching, m.Attributes[i].Precedence = true, 2
			found = true
		}
	}
	if !found {
		t.Fatal("the default mapping maps no externalId")
	}
	return m
}

// What goes on the wire in the initial cycle: the group is created empty
// with the ADSCIM schema, then one capitalised Add gives it every member of
// its team with "$ref": null.
func TestInitialCycleWire(t *testing.T) {
	tg, c := start(t, simtest.Reference(t))
	out := provision(t, c, entra.Options{Users: 5, Groups: 1, Cycle: entra.CycleInitial}, scenario.Options{Prefix: "scimh-init0000"})
	if b := bad(out.Results, scenario.Warn); len(b) > 0 {
		t.Fatal(strings.Join(b, "\n"))
	}
	ids := map[string]bool{}
	var order []string
	for _, r := range tg.Requests() {
		order = append(order, r.Method+" "+strings.TrimPrefix(r.Path, "/scim/v2"))
		switch {
		case r.Method == "POST" && strings.HasSuffix(r.Path, "/Users"):
			if !strings.Contains(r.Body, `"meta":{"resourceType":"User"}`) || !strings.Contains(r.Body, `"roles":[]`) {
				t.Errorf("POST /Users is not Entra's body: %s", r.Body)
			}
		case r.Method == "POST" && strings.HasSuffix(r.Path, "/Groups"):
			if strings.Contains(r.Body, "members") || !strings.Contains(r.Body, "ADSCIM") {
				t.Errorf("POST /Groups must be empty, with the ADSCIM schema: %s", r.Body)
			}
		case r.Method == "PATCH":
			var body struct {
				Operations []struct {
					Op    string
					Path  string
					Value []map[string]any
				}
			}
			if err := json.Unmarshal([]byte(r.Body), &body); err != nil || len(body.Operations) != 1 {
				t.Fatalf("PATCH body %s: %v", r.Body, err)
			}
			o := body.Operations[0]
			if o.Op != "Add" || o.Path != "members" || len(o.Value) != 5 {
				t.Errorf("member PATCH %s", r.Body)
			}
			for _, v := range o.Value {
				if ref, ok := v["$ref"]; !ok || ref != nil {
					t.Errorf("member %v without \"$ref\": null", v)
				}
				ids[fmt.Sprint(v["value"])] = true
			}
		}
	}
	if len(ids) != 5 {
		t.Errorf("members %v, want the team's 5 users", ids)
	}
	want := []string{"GET /Users", "GET /Groups"} // Test Connection: user and group probes
	for range 5 {
		want = append(want, "GET /Users", "POST /Users")
	}
	want = append(want, "GET /Groups", "POST /Groups", "PATCH /Groups/")
	for i, w := range want {
		if i >= len(order) || !strings.HasPrefix(order[i], w) {
			t.Fatalf("request %d is %q, want %s…; order %v", i+1, order[min(i, len(order)-1)], w, order)
		}
	}
}

// The initial cycle judges every answer: a server that gets Entra's
// initial cycle wrong fails it, with a message that names the bug.
func TestInitialCycleCatchesBrokenServers(t *testing.T) {
	cases := []struct {
		bug  string
		o    entra.Options
		want string
		// quarantine: Provision must report it (others may: in a run this
		// small, one failure in four steps crosses Entra's 40% line).
		quarantine bool
		// counted: the bug leaves /Users and /Groups countable, so the
		// test can see that cleanup left nothing.
		counted bool
	}{
		{"ignores-filter", entra.Options{Users: 5}, "ignored the filter", false, false},
		{"404-for-empty-list", entra.Options{Users: 5}, "quarantined: Test Connection", true, false},
		{"lowercases-username", entra.Options{Users: 5}, "lower-cased userName", false, true},
		{"rejects-capitalised-ops", entra.Options{Users: 5, Groups: 1}, "capitalised ops", false, true},
	}
	for _, tc := range cases {
		t.Run(tc.bug, func(t *testing.T) {
			t.Parallel()
			bug, ok := broken.ByName(tc.bug)
			if !ok {
				t.Fatalf("no bug %q", tc.bug)
			}
			tg, c := start(t, simtest.Broken(t, bug))
			tc.o.Cycle = entra.CycleInitial
			out := provision(t, c, tc.o, scenario.Options{})
			if tc.quarantine && !out.Quarantined {
				t.Error("not quarantined")
			}
			if out.Timing == nil {
				t.Error("no Timing")
			}
			failing := bad(out.Results, scenario.Fail)
			found := false
			for _, f := range failing {
				found = found || strings.Contains(f, tc.want)
			}
			if !found {
				t.Errorf("the initial cycle passed against a server that %s, or no failure says %q:\n%s", bug.Description, tc.want, strings.Join(failing, "\n\n"))
			}
			for _, r := range out.Results {
				if r.Status >= scenario.Warn && len(r.Exchanges) == 0 && r.Scenario != entra.QuarantineScenario && !strings.HasPrefix(r.Message, "skipped") {
					t.Errorf("%s: a problem without its exchange", r.Step)
				}
			}
			if tc.counted {
				pc := tg.Client(t, nil)
				if n := simtest.Total(t, pc, "Users") + simtest.Total(t, pc, "Groups"); n != 0 {
					t.Errorf("%d resources left after cleanup", n)
				}
			}
		})
	}
}

// Without a full cycle, nothing of the incremental cycle or the one-off
// scenarios is built; Scenarios and Provision agree.
func TestInitialCycleScenarios(t *testing.T) {
	scs, err := entra.Scenarios(entra.Options{Users: 11, Groups: 3, Cycle: entra.CycleInitial})
	if err != nil {
		t.Fatal(err)
	}
	if len(scs) != 1+3 || scs[0].Name != entra.TestConnectionName {
		t.Fatalf("%d scenarios, first %q", len(scs), scs[0].Name)
	}
	steps := 0
	for _, sc := range scs[1:] {
		if !strings.HasPrefix(sc.Name, "entra: initial cycle, team ") {
			t.Errorf("scenario %q", sc.Name)
		}
		for _, st := range sc.Steps {
			steps++
			if strings.Contains(st.Name, "read back") || strings.Contains(st.Name, "incremental") || strings.Contains(st.Name, "manager") {
				t.Errorf("%s / %s is not part of Entra's initial cycle", sc.Name, st.Name)
			}
		}
	}
	if steps != 11*2+3*3 {
		t.Errorf("%d steps, want %d", steps, 11*2+3*3)
	}
}

func TestParseCycle(t *testing.T) {
	cases := []struct {
		in   string
		want entra.Cycle
		err  bool
	}{
		{"", entra.CycleFull, false},
		{"full", entra.CycleFull, false},
		{" Initial ", entra.CycleInitial, false},
		{"incremental", "", true},
	}
	for _, tc := range cases {
		got, err := entra.ParseCycle(tc.in)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("ParseCycle(%q) = %q, %v", tc.in, got, err)
		}
	}
	if _, err := entra.Scenarios(entra.Options{Cycle: "incremental"}); err == nil || !strings.Contains(err.Error(), "Cycle") {
		t.Errorf("Scenarios with a bad Cycle: %v", err)
	}
	// A full run has no initial-cycle timing: its teams clean up while
	// others run.
	_, c := start(t, simtest.Reference(t))
	if out := provision(t, c, entra.Options{Users: 1}, scenario.Options{}); out.Timing != nil {
		t.Errorf("full cycle Timing %+v", *out.Timing)
	}
}

// BenchmarkInitialCycle runs Entra's initial cycle against the reference
// server (memory store) in this process, at 1,000 and 10,000 users with a
// group per 100 users, and reports the cycle's own time (cleanup apart):
// cycle-s, µs/user and req/s. Compare µs/user across the sizes to see
// whether the cost per user grows with the population. The 10,000-user
// figure is the target of issue 8 (< 10 s); the command in the README
// measures it against a separate `scimharness serve`. Here the server and
// the harness share one process and one garbage collector (the server's
// store is most of the live heap), so the figure is somewhat higher; as
// `scimharness simulate --entra-cycle initial` does, GOGC is 400 unless
// the environment sets it.
//
//	go test -run '^$' -bench InitialCycle -benchtime 1x ./simulators/entra/
func BenchmarkInitialCycle(b *testing.B) {
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	for _, users := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			var cycle time.Duration
			var requests int
			for range b.N {
				b.StopTimer()
				srv := httptest.NewServer(simtest.Reference(b))
				c, err := client.New(entra.ClientConfig(client.Config{BaseURL: srv.URL + "/scim/v2", Token: simtest.Token}))
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				out := entra.Provision(context.Background(), c, entra.Options{Users: users, Groups: users / 100, Cycle: entra.CycleInitial, Concurrency: benchConcurrency}, scenario.Options{Evidence: scenario.EvidenceProblems})
				b.StopTimer()
				srv.Close()
				if b := bad(out.Results, scenario.Warn); len(b) > 0 || out.Timing == nil {
					panic(fmt.Sprintf("the cycle did not pass: %d problems, first %q", len(b), b[:min(1, len(b))]))
				}
				cycle += out.Timing.Duration
				requests += out.Timing.Requests
			}
			b.ReportMetric(cycle.Seconds()/float64(b.N), "cycle-s/op")
			b.ReportMetric(float64(cycle.Microseconds())/float64(b.N*users), "µs/user")
			b.ReportMetric(float64(requests)/cycle.Seconds(), "req/s")
		})
	}
}

// A cancelled initial cycle (Ctrl-C) stops sending the cycle's requests
// and still removes everything it created.
func TestInitialCycleCancelled(t *testing.T) {
	ref := simtest.Reference(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var posts atomic.Int32
	tg := simtest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && posts.Add(1) == 7 {
			cancel()
		}
		ref.ServeHTTP(w, r)
	}))
	c := tg.Client(t, entra.ClientConfig)
	out := entra.Provision(ctx, c, entra.Options{Users: 20, Groups: 2, Cycle: entra.CycleInitial, Concurrency: 2}, scenario.Options{})
	skipped, cleaned := 0, 0
	for _, r := range out.Results {
		switch {
		case r.Cleanup && r.Status == scenario.Pass:
			cleaned++
		case r.Status == scenario.Incomplete, r.Status == scenario.Skip && strings.Contains(r.Message, "cancelled"):
			skipped++ // not sent: incomplete (scenario.Run), or skipped by the cycle
		}
	}
	if skipped == 0 || int(posts.Load()) >= 22 {
		t.Errorf("the cycle went on after the cancel: %d POSTs, %d steps skipped", posts.Load(), skipped)
	}
	if cleaned != int(posts.Load()) {
		t.Errorf("%d cleanups for %d creates", cleaned, posts.Load())
	}
	pc := tg.Client(t, nil)
	if n := simtest.Total(t, pc, "Users") + simtest.Total(t, pc, "Groups"); n != 0 {
		t.Errorf("%d resources left", n)
	}
}
