package scenario_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/wire"
)

// RunDeferred leaves what the steps created in place until Cleanup, which
// then removes it with Run's safety rules; a second Cleanup does nothing.
func TestRunDeferred(t *testing.T) {
	cases := []struct {
		name        string
		opts        scenario.Options
		cancel      bool // cancel the context before Cleanup
		wantCleanup []string
		left        int // users left after Cleanup
	}{
		{name: "cleanup", wantCleanup: []string{"pass"}},
		{name: "cancelled", cancel: true, wantCleanup: []string{"pass"}},
		{name: "keep", opts: scenario.Options{Keep: true}, wantCleanup: []string{"skip"}, left: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tg, c := newTarget(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sc := scenario.Scenario{Name: "deferred", Steps: []scenario.Step{createStep()}}
			tc.opts.Prefix = "defer-" + tc.name
			results, pending := scenario.RunDeferred(ctx, c, sc, tc.opts)
			if got := statuses(results); !reflect.DeepEqual(got, []string{"create=pass"}) {
				t.Fatalf("step results %v", got)
			}
			if n := countUsers(t, c, tc.opts.Prefix); n != 1 {
				t.Fatalf("%d users before Cleanup, want the one created", n)
			}
			if tg.requests("DELETE") != 0 {
				t.Fatal("a DELETE before Cleanup")
			}
			if n := pending.Len(); n != 1 {
				t.Errorf("Len %d, want 1", n)
			}
			if tc.cancel {
				cancel()
			}
			var got []string
			for _, r := range pending.Cleanup(ctx) {
				if !r.Cleanup {
					t.Errorf("%s: not marked Cleanup", r.Step)
				}
				got = append(got, r.Status.String())
			}
			if !reflect.DeepEqual(got, tc.wantCleanup) {
				t.Errorf("cleanup results %v, want %v", got, tc.wantCleanup)
			}
			if again := pending.Cleanup(ctx); len(again) != 0 || pending.Len() != 0 {
				t.Errorf("second Cleanup gave %d results, Len %d", len(again), pending.Len())
			}
			if n := countUsers(t, c, tc.opts.Prefix); n != tc.left {
				t.Errorf("%d users after Cleanup, want %d", n, tc.left)
			}
		})
	}
}

// Run is RunDeferred followed by Cleanup: same results.
func TestRunIsRunDeferredThenCleanup(t *testing.T) {
	_, c := newTarget(t)
	sc := scenario.Scenario{Name: "same", Steps: []scenario.Step{createStep()}}
	a := scenario.Run(context.Background(), c, sc, scenario.Options{Prefix: "same-a"})
	rs, p := scenario.RunDeferred(context.Background(), c, sc, scenario.Options{Prefix: "same-b"})
	b := append(rs, p.Cleanup(context.Background())...)
	shape := func(rs []scenario.Result) (out []string) {
		for _, r := range rs {
			out = append(out, fmt.Sprintf("%s cleanup=%v %s", r.Status, r.Cleanup, r.Exchanges[0].Request.Method))
		}
		return out
	}
	if !reflect.DeepEqual(shape(a), shape(b)) {
		t.Errorf("Run %v, RunDeferred+Cleanup %v", shape(a), shape(b))
	}
}

// EvidenceProblems drops the exchanges of passing results only; Progress
// still sees every exchange.
func TestEvidence(t *testing.T) {
	steps := []scenario.Step{
		createStep(),
		{
			Name:    "read, judged wrongly",
			Request: scenario.RequestTemplate{Method: "GET", Path: "/Users/${userId}"},
			Expect:  []scenario.Expectation{scenario.StatusIn(404)},
		},
		{
			Name:    "read, judged at SHOULD",
			Level:   scenario.Should,
			Request: scenario.RequestTemplate{Method: "GET", Path: "/Users/${userId}"},
			Expect:  []scenario.Expectation{scenario.StatusIn(404)},
		},
	}
	cases := []struct {
		evidence scenario.Evidence
		want     []int // exchanges per result: steps, then cleanup
	}{
		{scenario.EvidenceAll, []int{1, 1, 1, 1}},
		{scenario.EvidenceProblems, []int{0, 1, 1, 0}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%q", tc.evidence), func(t *testing.T) {
			_, c := newTarget(t)
			seen := 0
			rs := scenario.Run(context.Background(), c, scenario.Scenario{Name: "evidence", Steps: steps}, scenario.Options{
				Evidence: tc.evidence,
				Progress: func(r scenario.Result) { seen += len(r.Exchanges) },
			})
			var got []int
			for _, r := range rs {
				got = append(got, len(r.Exchanges))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("exchanges per result %v, want %v (%v)", got, tc.want, statuses(rs))
			}
			if seen != 4 {
				t.Errorf("Progress saw %d exchanges, want all 4", seen)
			}
			if rs[1].Status != scenario.Fail || rs[1].Message == "" {
				t.Errorf("the failure lost its message: %+v", rs[1])
			}
		})
	}
}

func TestParseEvidence(t *testing.T) {
	for in, want := range map[string]scenario.Evidence{"": scenario.EvidenceAll, "all": scenario.EvidenceAll, " Problems ": scenario.EvidenceProblems} {
		if got, err := scenario.ParseEvidence(in); err != nil || got != want {
			t.Errorf("ParseEvidence(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := scenario.ParseEvidence("failures"); err == nil {
		t.Error("ParseEvidence(failures): no error")
	}
}

// While a step is judged, ResponseJSON gives every check the same decoded
// body; outside a run, and for a body that is not a JSON object, it is
// ex.JSON.
func TestResponseJSONSharesOneDecode(t *testing.T) {
	_, c := newTarget(t)
	var docs []map[string]any
	keep := func(ex *wire.Exchange, _ scenario.Vars) error {
		doc, err := scenario.ResponseJSON(ex)
		if err != nil {
			return err
		}
		docs = append(docs, doc)
		return nil
	}
	st := createStep()
	st.Expect = append(st.Expect, scenario.Func(keep), scenario.Func(keep))
	st.Check = keep
	rs := scenario.Run(context.Background(), c, scenario.Scenario{Name: "decode", Steps: []scenario.Step{st}}, scenario.Options{Prefix: "decode-1"})
	if rs[0].Status != scenario.Pass || len(docs) != 3 {
		t.Fatalf("%v, %d docs", statuses(rs), len(docs))
	}
	for _, d := range docs[1:] {
		if reflect.ValueOf(d).UnsafePointer() != reflect.ValueOf(docs[0]).UnsafePointer() {
			t.Error("the checks of one step decoded the body more than once")
		}
	}
	ex := rs[0].Exchanges[0]
	outside, err := scenario.ResponseJSON(&ex)
	if err != nil || outside["id"] != docs[0]["id"] || reflect.ValueOf(outside).UnsafePointer() == reflect.ValueOf(docs[0]).UnsafePointer() {
		t.Errorf("outside a run: %v, %v", outside["id"], err)
	}
	for _, body := range []string{"", "[1]", "{", "{} {}"} {
		ex := &wire.Exchange{Response: &wire.Response{Status: http.StatusOK, Body: wire.Body(body)}}
		_, want := ex.JSON()
		if _, err := scenario.ResponseJSON(ex); err == nil || want == nil || err.Error() != want.Error() {
			t.Errorf("body %q: error %v, want %v", body, err, want)
		}
	}
}

// A POST in flight when the run is cancelled still gets its answer, so
// that what it created is cleaned up; the next step is skipped.
func TestCancelDuringCreateStillCleansUp(t *testing.T) {
	tg, c := newTarget(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inner := tg.Config.Handler
	tg.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			cancel() // Ctrl-C while the create is on its way
		}
		inner.ServeHTTP(w, r)
	})
	second := createStep()
	second.Name = "create another"
	sc := scenario.Scenario{Name: "cancel during create", Steps: []scenario.Step{createStep(), second}}
	rs := scenario.Run(ctx, c, sc, scenario.Options{Prefix: "grace-test"})
	got := statuses(rs)
	if len(rs) != 3 || got[0] != "create=pass" || got[1] != "create another=incomplete" || !rs[2].Cleanup || rs[2].Status != scenario.Pass {
		t.Fatalf("results %v", got)
	}
	if n := countUsers(t, c, "grace-test"); n != 0 {
		t.Errorf("%d users left: the create's answer was dropped", n)
	}
}
