package inspect

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Guessing is throttled: each address may fail to open a session (a wrong
// token) or a stream (an unknown view key) DefaultGuessBurst times at once,
// then once per DefaultGuessEvery; over that, every attempt from it — right
// or wrong, so that the answer tells nothing — is 429 with Retry-After until
// its failures have drained. Tokens are long random secrets and so are view
// keys, but a tenant's token may be short and chosen by a person.
const (
	DefaultGuessBurst = 10
	DefaultGuessEvery = 6 * time.Second
	// maxGuessers bounds the addresses tracked; above it those whose
	// failures have drained are dropped, then any.
	maxGuessers = 10000
)

// throttle is a leaky bucket of failures per remote address.
type throttle struct {
	burst float64
	every time.Duration
	now   func() time.Time

	mu sync.Mutex
	m  map[string]*leak
}

type leak struct {
	level float64 // failures not yet drained
	last  time.Time
}

func newThrottle(burst int, every time.Duration, now func() time.Time) *throttle {
	return &throttle{burst: float64(burst), every: every, now: now, m: map[string]*leak{}}
}

// drainLocked brings l's level to now.
func (t *throttle) drainLocked(l *leak, now time.Time) {
	if el := now.Sub(l.last); el > 0 {
		l.level = max(0, l.level-float64(el)/float64(t.every))
		l.last = now
	}
}

// wait is how long addr must wait before its next attempt; 0 lets it try.
func (t *throttle) wait(addr string) time.Duration {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.m[addr]
	if l == nil {
		return 0
	}
	t.drainLocked(l, now)
	if over := l.level - t.burst + 1; over > 0 {
		return time.Duration(over * float64(t.every))
	}
	return 0
}

// fail counts one failed attempt of addr.
func (t *throttle) fail(addr string) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.m[addr]
	if l == nil {
		if len(t.m) >= maxGuessers {
			for a, x := range t.m {
				if t.drainLocked(x, now); x.level == 0 {
					delete(t.m, a)
				}
			}
			for a := range t.m {
				if len(t.m) < maxGuessers {
					break
				}
				delete(t.m, a)
			}
		}
		l = &leak{last: now}
		t.m[addr] = l
	}
	t.drainLocked(l, now)
	l.level++
}

// refuse answers 429 and reports true when r's address must wait.
func (t *throttle) refuse(w http.ResponseWriter, r *http.Request) bool {
	d := t.wait(remoteHost(r))
	if d <= 0 {
		return false
	}
	secs := max(1, int64(math.Ceil(d.Seconds())))
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "too many failed attempts from this address; retry after " + strconv.FormatInt(secs, 10) + " s"})
	return true
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
