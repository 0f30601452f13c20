package entra_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/simulators/entra"
	"github.com/scimharness/scimharness/simulators/internal/simtest"
	"github.com/scimharness/scimharness/wire"
)

// faulty wraps a SCIM handler (the reference server) as an unreliable
// target. fault decides, for the n-th request (1-based), what goes wrong;
// the request is not served when it is dropped or refused, so a retry
// cannot create anything twice.
type faulty struct {
	h     http.Handler
	fault func(n int, r *http.Request) fault

	mu                       sync.Mutex
	n                        int
	delayed, dropped, tooMny int
}

type fault int

const (
	none    fault = iota
	slow          // answered after a delay
	drop          // connection closed mid-answer
	limited       // 429 with Retry-After: 1
)

func (f *faulty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	switch f.fault(n, r) {
	case slow:
		f.count(&f.delayed)
		time.Sleep(150 * time.Millisecond)
	case drop:
		f.count(&f.dropped)
		// A truncated answer, then the connection closed: net/http's
		// transport does not resend after a response began, so the retry
		// is the simulator client's.
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nContent-Length: 100\r\n\r\n{\"sch"))
			conn.Close()
		}
		return
	case limited:
		f.count(&f.tooMny)
		w.Header().Set("Content-Type", scim.MediaType)
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"429","detail":"slow down"}`))
		return
	}
	f.h.ServeHTTP(w, r)
}

func (f *faulty) count(c *int) {
	f.mu.Lock()
	*c++
	f.mu.Unlock()
}

// retryingClient is an Entra client of tg with retries on, counting the
// attempts it retried.
func retryingClient(t *testing.T, tg *simtest.Target, r client.Retry) (*client.Client, func() int) {
	t.Helper()
	var mu sync.Mutex
	retried := 0
	c, err := client.New(entra.ClientConfig(client.Config{BaseURL: tg.Base(), Token: simtest.Token, Retry: r,
		Capture: func(ex wire.Exchange) {
			mu.Lock()
			retried += len(ex.Retried)
			mu.Unlock()
		}}))
	if err != nil {
		t.Fatal(err)
	}
	return c, func() int { mu.Lock(); defer mu.Unlock(); return retried }
}

// A slow target, one that drops connections and one that answers 429 with
// Retry-After: the simulator, with client retries on, completes the run
// with every step passing, retrying exactly the requests that were dropped
// (idempotent ones only) or refused.
func TestFaultySlowDroppingRateLimitedTarget(t *testing.T) {
	f := &faulty{h: simtest.Reference(t), fault: func(n int, r *http.Request) fault {
		switch {
		case n == 1:
			return none // Test Connection
		case n%10 == 3:
			return slow
		case n%13 == 5 && r.Method == http.MethodGet:
			return drop // only what a client may send again
		case n%50 == 7:
			return limited
		}
		return none
	}}
	tg := simtest.Serve(t, f)
	c, retried := retryingClient(t, tg, client.Retry{Max: 5, Base: 20 * time.Millisecond, MaxDelay: 2 * time.Second})
	start := time.Now()
	results, quarantined := run(t, c, entra.Options{Users: 10, Groups: 2, Seed: 3}, scenario.Options{})
	el := time.Since(start)
	if quarantined {
		t.Errorf("quarantined: %s", results[len(results)-1].Message)
	}
	if b := bad(results, scenario.Fail); len(b) > 0 {
		t.Errorf("%d steps did not pass against the faulty target:\n%s", len(b), strings.Join(b, "\n\n"))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.delayed == 0 || f.dropped == 0 || f.tooMny == 0 {
		t.Fatalf("faults injected: %d delayed, %d dropped, %d × 429; want some of each", f.delayed, f.dropped, f.tooMny)
	}
	if got, want := retried(), f.dropped+f.tooMny; got != want {
		t.Errorf("the client retried %d requests, want %d (%d dropped + %d × 429)", got, want, f.dropped, f.tooMny)
	}
	if el < time.Duration(f.tooMny)*time.Second {
		t.Errorf("%d × 429 with Retry-After: 1 took only %v: Retry-After was not honoured", f.tooMny, el)
	}
	t.Logf("faulty target: %d requests; faults injected: %d delayed 150ms, %d dropped, %d × 429; %d retried; %s in %v",
		f.n, f.delayed, f.dropped, f.tooMny, retried(), scenario.Summarize(results), el.Round(time.Millisecond))
}

// A target that drops most connections fails more than the quarantine
// threshold even with retries: Run quarantines and says so.
func TestFaultyTargetQuarantined(t *testing.T) {
	f := &faulty{h: simtest.Reference(t), fault: func(n int, r *http.Request) fault {
		if n > 1 && n%10 < 7 {
			return drop
		}
		return none
	}}
	tg := simtest.Serve(t, f)
	c, retried := retryingClient(t, tg, client.Retry{Max: 2, Base: time.Millisecond, MaxDelay: 10 * time.Millisecond})
	results, quarantined := run(t, c, entra.Options{Users: 10, Groups: 2, QuarantineMin: 20}, scenario.Options{})
	if !quarantined {
		t.Fatalf("not quarantined with %d of %d requests dropped", f.dropped, f.n)
	}
	last := results[len(results)-1]
	if last.Scenario != entra.QuarantineScenario || last.Status != scenario.Fail || !strings.Contains(last.Message, "operations failed") {
		t.Errorf("last result %+v", last)
	}
	t.Logf("dropping target: %d of %d requests dropped, %d retried; %s", f.dropped, f.n, retried(), last.Message)
}
