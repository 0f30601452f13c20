package server

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scimharness/scimharness/server/schema"
)

// RateLimit caps the requests of each tenant with a token bucket: Burst
// requests at once, refilled at PerSecond. PerSecond 0 turns it off.
type RateLimit struct {
	// PerSecond is the sustained rate of one tenant, in requests per
	// second; 0 (the default) is no limit.
	PerSecond float64
	// Burst is how many requests a tenant may make at once after being
	// idle. Default: PerSecond rounded up, at least 1.
	Burst int
}

// maxBuckets bounds the limiter's memory: tenants are the configured ones,
// but clients without a token are keyed by address, and there may be many.
// Above it, buckets that are full again (idle, indistinguishable from a key
// never seen) are dropped.
const maxBuckets = 10000

// rateLimiter holds one token bucket per tenant. It is hand-rolled rather
// than golang.org/x/time/rate so that the module needs no new dependency
// and so that the wait a refused request is told (Retry-After) and the
// eviction of idle tenants fall out of the same few lines.
type rateLimiter struct {
	rate, burst float64
	now         func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// newRateLimiter returns the limiter of rl, or nil when rl is off.
func newRateLimiter(rl RateLimit, now func() time.Time) *rateLimiter {
	if rl.PerSecond <= 0 || math.IsNaN(rl.PerSecond) || math.IsInf(rl.PerSecond, 0) {
		return nil
	}
	burst := float64(rl.Burst)
	if rl.Burst <= 0 {
		burst = max(1, math.Ceil(rl.PerSecond))
	}
	if now == nil {
		now = time.Now
	}
	return &rateLimiter{rate: rl.PerSecond, burst: burst, now: now, buckets: map[string]*bucket{}}
}

// allow takes a token from tenant's bucket. When there is none it reports
// how long until there is one.
func (l *rateLimiter) allow(tenant string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[tenant]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.evict(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[tenant] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(l.burst, b.tokens+el*l.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// evict drops the buckets that have refilled completely.
func (l *rateLimiter) evict(now time.Time) {
	for t, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, t)
		}
	}
}

// limit answers 429 with a SCIM error and Retry-After (whole seconds,
// rounded up, RFC 9110 §10.2.3) when r is over its rate, and reports
// whether it did. A request whose token authenticates for the tenant of its
// path (identify) spends that tenant's bucket; any other request — no
// token, a wrong one, another tenant's — spends the bucket of its remote
// address, so that nobody without a tenant's token can spend the tenant's
// rate and get its real client refused.
func (l *rateLimiter) limit(w http.ResponseWriter, r *http.Request, tenant string, authenticated bool) bool {
	key := tenant
	if !authenticated {
		key = anonymousKey(r)
	}
	ok, wait := l.allow(key)
	if ok {
		return false
	}
	secs := max(1, int64(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	who := "this tenant"
	if !authenticated {
		who = "a client without a valid token for this tenant, per address,"
	}
	writeError(w, schema.StatusError(http.StatusTooManyRequests,
		"too many requests: %s may make %g per second (burst %g); retry after %d s", who, l.rate, l.burst, secs))
	return true
}

// anonymousKey is the bucket of requests that did not authenticate: their
// remote host. It starts with a NUL byte, which no tenant id holds, so it
// never shares a bucket with a tenant.
func anonymousKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "\x00" + host
}

// pathTenant is the tenant a request path names, as tenantOf reads it
// after routing: the segment after one of prefixes (/t/{tenant}/..., a
// provider route's, such as Huddle's /people/companies/{tenant}/...), else
// the default tenant, read from the clean path (ServeHTTP cleans it first,
// so /t/globex/../acme is acme's). The limit applies before routing, so
// that a refused request costs no store work; telling whose bucket it
// spends costs one hash of its token (identify).
func pathTenant(p string, prefixes []string) string {
	for _, pre := range prefixes {
		if rest, ok := strings.CutPrefix(p, pre); ok {
			if t, _, _ := strings.Cut(rest, "/"); t != "" {
				return t
			}
		}
	}
	return DefaultTenant
}
