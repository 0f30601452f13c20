package entra

import (
	"context"
	"fmt"
	"maps"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/simulators/internal/simrun"
)

// UserAgent is the User-Agent the simulator sends. Entra's own is not
// documented in any source the catalog lists, so the simulator introduces
// itself neutrally rather than inventing one.
const UserAgent = "scimharness-entra-simulator"

// QuarantineScenario is the Scenario of the result Run adds on quarantine.
const QuarantineScenario = "entra: quarantine"

// ClientConfig returns base with Entra's request headers: bodies as
// application/scim+json (TUT's requests) and the simulator's User-Agent.
// Everything else in base (URL, credentials, retries) is kept.
//
// No Accept header: real Entra requests do not ask for
// application/scim+json — a logged Test Connection was served "as HTML" by
// Rails and answered 406, which Microsoft called by design (log,
// MicrosoftDocs/azure-docs issue 94189). Bodies go as
// "application/scim+json; charset=utf-8" (log, azure-docs issue 12728).
func ClientConfig(base client.Config) client.Config {
	return simrun.Dress(base, UserAgent, map[string]string{"Accept": "", "Content-Type": ContentType})
}

// ContentType is the Content-Type of Entra's request bodies (log,
// MicrosoftDocs/azure-docs issue 12728).
const ContentType = scim.MediaType + "; charset=utf-8"

// Run runs Scenarios(o) through c the way Entra runs a provisioning job,
// and reports whether Entra would have quarantined the app. It is Provision
// without the timing.
func Run(ctx context.Context, c *client.Client, o Options, ro scenario.Options) (results []scenario.Result, quarantined bool) {
	out := Provision(ctx, c, o, ro)
	return out.Results, out.Quarantined
}

// Outcome is what Provision returns.
type Outcome struct {
	// Results are every step's results, then the cleanup results, then
	// the quarantine result if Entra would have quarantined the app.
	Results     []scenario.Result
	Quarantined bool
	// Timing is the cycle's own time; nil for CycleFull, whose teams clean
	// up after themselves while the others run.
	Timing *Timing
}

// Timing measures an initial cycle (CycleInitial) apart from its cleanup.
type Timing struct {
	Cycle       Cycle
	Users       int
	Groups      int
	Concurrency int
	// Requests counts the requests the cycle sent, from Test Connection to
	// the last member PATCH: every attempt, retries included.
	Requests int
	// Duration is the wall time from Test Connection to the last answer of
	// the cycle; cleanup is not in it.
	Duration time.Duration
	// CleanupRequests and Cleanup are the requests and wall time that
	// removed what the cycle created (0 with scenario.Options.Keep).
	CleanupRequests int
	Cleanup         time.Duration
}

// PerSecond is the cycle's request rate.
func (t Timing) PerSecond() float64 {
	if t.Duration <= 0 {
		return 0
	}
	return float64(t.Requests) / t.Duration.Seconds()
}

// String reads "initial cycle: 10000 users, 100 groups, 20301 requests in
// 4.21 s (4822 req/s), concurrency 8; cleanup 10100 requests in 1.90 s".
func (t Timing) String() string {
	s := fmt.Sprintf("%s cycle: %d users, %d groups, %d requests in %.2f s (%.0f req/s), concurrency %d",
		t.Cycle, t.Users, t.Groups, t.Requests, t.Duration.Seconds(), t.PerSecond(), t.Concurrency)
	if t.CleanupRequests > 0 {
		s += fmt.Sprintf("; cleanup (not counted) %d requests in %.2f s", t.CleanupRequests, t.Cleanup.Seconds())
	}
	return s
}

// Provision runs Scenarios(o) through c the way Entra runs a provisioning
// job, and reports whether Entra would have quarantined the app.
//
// Test Connection runs first and alone. A 404 to it, or 401/403 (bad
// credentials), quarantines at once: the remaining scenarios are reported
// as skipped. Then the other scenarios run, o.Concurrency at a time. Every
// judged step that is one of Entra's own operations counts (not the
// harness's read-backs, not cleanup; reference updates only toward the
// absolute threshold), and a Fail or Error as a failed one; when at least
// QuarantineMin operations have failed and the failed share exceeds
// QuarantineThreshold or the failures exceed 40,000 — or, whatever the
// share, failures with reference ones exceed 60,000 — Run cancels the run
// (scenario.Run then skips the remaining steps and still cleans up) and
// stops starting scenarios (QUAR, "Escrow thresholds"). With the default
// QuarantineMin, scaled to the run, the ratio is also judged when the run
// ends with fewer failures than that.
//
// With CycleInitial every scenario's cleanup waits until the whole cycle
// has run (scenario.RunDeferred), so that Outcome.Timing is the cycle's
// own time; the cleanups then run o.Concurrency at a time. With CycleFull
// each team cleans up when it ends, as before.
//
// On quarantine a Fail result in scenario QuarantineScenario, whose message
// starts "quarantined:", is appended. ro is passed to scenario.Run; its
// Prefix defaults to o.Prefix, then to a new one, shared by all scenarios.
func Provision(ctx context.Context, c *client.Client, o Options, ro scenario.Options) Outcome {
	j, err := newJob(o)
	if err != nil {
		return Outcome{Results: []scenario.Result{{Scenario: "entra", IdP: IdP, Step: "(options)", Status: scenario.Error, Verified: true, Message: "harness error: " + err.Error()}}}
	}
	if ro.Prefix == "" {
		ro.Prefix = o.Prefix
	}
	if ro.Prefix == "" {
		ro.Prefix = scenario.NewPrefix()
	}
	// The mode, for checks that grade by it (see modeVar); the caller's
	// vars are copied, not changed.
	vars := maps.Clone(ro.Vars)
	if vars == nil {
		vars = scenario.Vars{}
	}
	vars[modeVar] = ro.Mode
	ro.Vars = vars
	planned := j.planned
	q := &quarantine{threshold: o.QuarantineThreshold, min: o.QuarantineMin, max: EntraQuarantineMax, absolute: EntraQuarantineAbsolute, kind: j.g.kind}
	if q.threshold <= 0 {
		q.threshold = EntraQuarantineRatio
	}
	if q.min <= 0 {
		q.min, q.scaled = min(EntraQuarantineFailures, max(1, int(math.Ceil(q.threshold*float64(planned))))), true
	}
	r := j.r
	deferred := r.Cycle == CycleInitial

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var requests, cleanupRequests int
	progress := ro.Progress
	ro.Progress = func(res scenario.Result) {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for i := range res.Exchanges {
			n += max(res.Exchanges[i].Attempts, 1)
		}
		if res.Cleanup {
			cleanupRequests += n
		} else {
			requests += n
		}
		if q.observe(res) {
			cancel()
		}
		if progress != nil {
			progress(res)
		}
	}
	tripped := func() (string, bool) {
		mu.Lock()
		defer mu.Unlock()
		return q.reason, q.tripped
	}

	out := make([][]scenario.Result, j.n)
	pending := make([]*scenario.Pending, j.n)
	runOne := func(i int) {
		sc := j.at(i)
		if reason, stop := tripped(); stop {
			out[i] = skipAll(sc, "quarantined: "+reason)
			for _, res := range out[i] {
				ro.Progress(res)
			}
			return
		}
		if deferred {
			out[i], pending[i] = scenario.RunDeferred(ctx, c, sc, ro)
			return
		}
		out[i] = scenario.Run(ctx, c, sc, ro)
	}
	workers := max(o.Concurrency, 1)
	parallel := func(n int, do func(i int)) {
		jobs := make(chan int)
		var wg sync.WaitGroup
		for range min(workers, n) {
			wg.Go(func() {
				for i := range jobs {
					do(i)
				}
			})
		}
		for i := range n {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
	}

	begin := time.Now()
	runOne(0) // Test Connection: Entra starts nothing if it fails
	parallel(j.n-1, func(i int) { runOne(i + 1) })
	cycle := time.Since(begin)

	var cleanup time.Duration
	if deferred {
		// What the cycle created stays until the whole cycle has run, then
		// goes — also after a quarantine or a cancelled run (RunDeferred's
		// cleanup runs on a context without the cancellation).
		begin := time.Now()
		cleaned := make([][]scenario.Result, j.n)
		parallel(j.n, func(i int) { cleaned[i] = pending[i].Cleanup(ctx) })
		cleanup = time.Since(begin)
		for i := range out {
			out[i] = append(out[i], cleaned[i]...)
		}
	}

	var results []scenario.Result
	for _, rs := range out {
		results = append(results, rs...)
	}
	mu.Lock()
	q.finish()
	var timing *Timing
	if deferred {
		timing = &Timing{
			Cycle: r.Cycle, Users: r.Users, Groups: r.Groups, Concurrency: workers,
			Requests: requests, Duration: cycle, CleanupRequests: cleanupRequests, Cleanup: cleanup,
		}
	}
	mu.Unlock()
	if !q.tripped {
		return Outcome{Results: results, Timing: timing}
	}
	res := scenario.Result{
		Scenario: QuarantineScenario, IdP: IdP, Step: "quarantine", Status: scenario.Fail, Level: scenario.Must,
		Behaviour: "Entra quarantines an app on excessive failures (from 5,000 failed operations: more than 40% of them or more than 40,000, reference updates not counted; more than 60,000 counting them), or on credential errors or a 404 to Test Connection; it then retries after 6h, 12h, 24h and daily.",
		Source:    "Microsoft Learn: Quarantine status",
		Verified:  true,
		Message:   "quarantined: " + q.reason,
	}
	if ro.Progress != nil {
		ro.Progress(res)
	}
	return Outcome{Results: append(results, res), Quarantined: true, Timing: timing}
}

// quarantine follows the run's results as Entra's quarantine logic would
// (QUAR, "Escrow thresholds"): a 404 or refused credentials at Test
// Connection quarantine at once; otherwise, once at least min operations
// have failed, more than threshold of them failing, or more than max
// failures, quarantines — reference updates (manager, group members) left
// out of both ("reference failures won't be counted") — and more than
// absolute failures, reference ones included, quarantines whatever else.
// The harness's read-backs and cleanup are not Entra operations and count
// toward nothing. No source gives a rule for 401s later in a run, so none
// is simulated.
type quarantine struct {
	threshold     float64
	min           int
	scaled        bool // min was defaulted, so the end of the run also counts
	max, absolute int
	kind          func(scenario.Result) opKind

	ops, failed int // Entra's own operations, and those that failed
	refFailed   int // failed reference updates
	tripped     bool
	reason      string
}

// observe counts one result and reports whether quarantine just tripped.
func (q *quarantine) observe(res scenario.Result) bool {
	if q.tripped || res.Cleanup {
		return false
	}
	st := lastStatus(res)
	switch {
	case res.Scenario == TestConnectionName && st == http.StatusNotFound:
		return q.trip("Test Connection's query for a value nobody has got 404 instead of 200 with an empty ListResponse; Entra quarantines the app (Quarantine status) — the server must answer an empty filter result with totalResults 0")
	case res.Scenario == TestConnectionName && (st == http.StatusUnauthorized || st == http.StatusForbidden):
		return q.trip(fmt.Sprintf("Test Connection was refused with %d: Entra cannot authenticate with the configured token and quarantines the job on persistent credential errors (Quarantine status)", st))
	}
	kind := opEntra
	if q.kind != nil {
		kind = q.kind(res)
	}
	if res.Status < scenario.Pass || kind == opHarness {
		return false // skipped, disabled, or not an Entra operation
	}
	failed := res.Status >= scenario.Fail
	switch {
	case kind == opReference && failed:
		q.refFailed++
	case kind == opEntra:
		q.ops++
		if failed {
			q.failed++
		}
	}
	if q.absolute > 0 && q.failed+q.refFailed > q.absolute {
		return q.trip(fmt.Sprintf("%d failures, %d of them reference updates, exceed the absolute threshold of %d failures that counts reference failures too; Entra stops provisioning to the app (Quarantine status)", q.failed+q.refFailed, q.refFailed, q.absolute))
	}
	if q.failed < q.min {
		return false // "5,000 failures are the minimum to start evaluating" (QUAR)
	}
	if q.max > 0 && q.failed > q.max {
		return q.trip(fmt.Sprintf("%d of %d operations failed (%.0f%%), more than %d failures whatever their share (reference updates not counted); Entra stops provisioning to the app (Quarantine status)", q.failed, q.ops, 100*q.ratio(), q.max))
	}
	if q.ratio() > q.threshold {
		return q.trip(q.ratioReason(fmt.Sprintf("at least %d failures", q.min)))
	}
	return false
}

func (q *quarantine) ratio() float64 { return float64(q.failed) / float64(q.ops) }

func (q *quarantine) ratioReason(when string) string {
	return fmt.Sprintf("%d of %d operations failed (%.0f%%, threshold %.0f%% and %s); Entra stops provisioning to the app (Quarantine status)",
		q.failed, q.ops, 100*q.ratio(), 100*q.threshold, when)
}

// finish judges the ratio once more at the end of a run whose default
// minimum was scaled to the planned steps, which skipped steps never reach.
func (q *quarantine) finish() {
	if !q.tripped && q.scaled && q.failed > 0 && q.failed < q.min && q.ratio() > q.threshold {
		q.trip(q.ratioReason("judged at the end of the run"))
	}
}

func (q *quarantine) trip(reason string) bool {
	q.tripped, q.reason = true, reason
	return true
}

func lastStatus(res scenario.Result) int {
	if n := len(res.Exchanges); n > 0 {
		return res.Exchanges[n-1].Status()
	}
	return 0
}

// skipAll reports every step of a scenario that was not started.
func skipAll(sc scenario.Scenario, why string) []scenario.Result {
	out := make([]scenario.Result, 0, len(sc.Steps))
	for _, st := range sc.Steps {
		level := st.Level
		if level == "" {
			level = scenario.Must
		}
		out = append(out, scenario.Result{
			Scenario: sc.Name, IdP: sc.IdP, Step: st.Name, Status: scenario.Skip, Level: level, Clause: st.Clause,
			Behaviour: st.Behaviour, Source: st.Source, Verified: !st.Unverified, Message: "skipped: " + why,
		})
	}
	return out
}
