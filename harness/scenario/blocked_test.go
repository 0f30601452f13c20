package scenario_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/scenario"
)

// TestBlockedIsNotFailed: a step whose set-up or needed step did not pass
// is Blocked, naming the root failure, and is never sent; steps that wait
// for nothing that failed still run.
func TestBlockedIsNotFailed(t *testing.T) {
	read := func(name string, needs ...string) scenario.Step {
		return scenario.Step{Name: name, Needs: needs, Request: scenario.RequestTemplate{Method: "GET", Path: "/ServiceProviderConfig"}, Expect: []scenario.Expectation{scenario.StatusIn(200)}}
	}
	failingSetup := createStep()
	failingSetup.Setup = true
	failingSetup.Expect = []scenario.Expectation{scenario.StatusIn(418)} // the server answers 201: a failed set-up
	failingWrite := read("write")
	failingWrite.Expect = []scenario.Expectation{scenario.StatusIn(418)}
	passingSetup := createStep()
	passingSetup.Setup = true
	tests := []struct {
		name  string
		steps []scenario.Step
		want  []string
		waits map[string]string // step → WaitsFor
	}{
		{"a failed set-up blocks every later step",
			[]scenario.Step{failingSetup, read("subject"), read("read back", "subject")},
			[]string{"create=fail", "subject=blocked", "read back=blocked"},
			map[string]string{"subject": "create", "read back": "create"}},
		{"a failed write blocks its read-back, not an unrelated step",
			[]scenario.Step{passingSetup, failingWrite, read("read back", "write"), read("other")},
			[]string{"create=pass", "write=fail", "read back=blocked", "other=pass"},
			map[string]string{"read back": "write"}},
		{"a block is followed to its root",
			[]scenario.Step{passingSetup, failingWrite, read("read back", "write"), read("read again", "read back")},
			[]string{"create=pass", "write=fail", "read back=blocked", "read again=blocked"},
			map[string]string{"read back": "write", "read again": "write"}},
		{"nothing failed, nothing blocked",
			[]scenario.Step{passingSetup, read("subject"), read("read back", "subject")},
			[]string{"create=pass", "subject=pass", "read back=pass"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, c := newTarget(t)
			sent := len(tg.seen)
			rs := scenario.Run(context.Background(), c, scenario.Scenario{Name: "s", Steps: tt.steps}, scenario.Options{Prefix: "blocked-test"})
			var got []string
			blocked := 0
			for _, r := range rs {
				if r.Cleanup {
					continue
				}
				got = append(got, r.Step+"="+r.Status.String())
				if r.Status != scenario.Blocked {
					continue
				}
				blocked++
				if r.WaitsFor != tt.waits[r.Step] || !strings.Contains(r.Message, `"`+tt.waits[r.Step]+`"`) || len(r.Exchanges) != 0 {
					t.Errorf("%s: waits for %q (%s), want %q and nothing sent", r.Step, r.WaitsFor, r.Message, tt.waits[r.Step])
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("results %v, want %v", got, tt.want)
			}
			if n := len(tg.seen) - sent; n > len(tt.steps)-blocked+1 { // +1: the cleanup DELETE
				t.Errorf("%d requests sent: a blocked step was sent", n)
			}
		})
	}
}

// TestNeedsAnEarlierStep: Needs naming no earlier step is a broken
// scenario, not a silent no-op.
func TestNeedsAnEarlierStep(t *testing.T) {
	sc := scenario.Scenario{Name: "s", Steps: []scenario.Step{{Name: "a", Needs: []string{"b"}, Request: scenario.RequestTemplate{Method: "GET", Path: "/x"}}}}
	if err := sc.Validate(); err == nil || !strings.Contains(err.Error(), `needs "b"`) {
		t.Fatalf("Validate = %v", err)
	}
}

// TestInterruptedInFlightIsIncomplete: a request cut off by the run's
// cancellation is Incomplete, not an Error of the target, and the steps
// after it are Incomplete too.
func TestInterruptedInFlightIsIncomplete(t *testing.T) {
	tg, c := newTarget(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inner := tg.Config.Handler
	tg.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			cancel()
			<-r.Context().Done()
			return
		}
		inner.ServeHTTP(w, r)
	})
	sc := scenario.Scenario{Name: "s", Steps: []scenario.Step{
		{Name: "read", Request: scenario.RequestTemplate{Method: "GET", Path: "/Users"}, Expect: []scenario.Expectation{scenario.StatusIn(200)}},
		{Name: "read again", Request: scenario.RequestTemplate{Method: "GET", Path: "/Users"}, Expect: []scenario.Expectation{scenario.StatusIn(200)}},
	}}
	rs := scenario.Run(ctx, c, sc, scenario.Options{Prefix: "inflight-test"})
	if got := statuses(rs); !slices.Equal(got, []string{"read=incomplete", "read again=incomplete"}) {
		t.Fatalf("results %v", got)
	}
	if v := scenario.Summarize(rs).Verdict; v != scenario.Incomplete {
		t.Errorf("verdict %s, want incomplete", v)
	}
}
