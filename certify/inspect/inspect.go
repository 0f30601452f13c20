// Package inspect is the live inspector of the reference server: a page at
// /_harness/ that shows a tenant's SCIM requests as they arrive, each with
// the findings of package certify's rules — the page people keep open while
// they click "provision on demand" in an IdP console.
//
// It is fed by the recording middleware (record.Options.Observe), so it
// only ever sees exchanges the server authenticated, after redaction, and it keeps none of their
// bodies: an Event is the method, path, query (redacted), status, time,
// tenant and findings of one exchange.
//
// Routes (mount the Inspector at /_harness/ on the SCIM listener, outside
// the recorder so its own traffic is neither recorded nor shown):
//
//	GET  /_harness/          the page: one self-contained HTML document
//	POST /_harness/session   Authorization: Bearer <tenant token>, body
//	                         {"tenant":"T"} → {"key":…,"tenant":"T","expires":…}
//	GET  /_harness/events?tenant=T&key=K   Server-Sent Events
//
// EventSource cannot send headers, so the page trades the tenant's token,
// once, for a view key: 32 random bytes, valid for one tenant for an hour
// (Options.KeyTTL), that opens that tenant's event stream and nothing else.
// The key travels in the events URL; nothing here logs URLs. The token
// itself stays in the tab's sessionStorage, so a new key can be minted when
// one expires.
//
// The last Options.Buffer events of each tenant (default 500) are kept in
// the tenant's own ring and replayed to every new stream of its key; a
// reconnecting EventSource sends Last-Event-ID and gets only what it missed.
// Failed attempts to open a session or a stream are throttled per remote
// address (Options.GuessBurst). A subscriber that falls behind is disconnected and catches up
// from the ring when it reconnects.
package inspect

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scimharness/scimharness/certify"
	"github.com/scimharness/scimharness/certify/record"
)

// Prefix is where the inspector is mounted.
const Prefix = "/_harness/"

// Defaults.
const (
	DefaultBuffer = 500
	DefaultKeyTTL = time.Hour
	// maxSessions bounds the live view keys; expired ones are dropped
	// first, then the oldest.
	maxSessions = 1024
	// subBuffer is how many events a slow stream may lag before it is cut.
	subBuffer = 256
)

// Options configure an Inspector.
type Options struct {
	// Authorize reports whether token may act for tenant (server.Tenants'
	// Allowed). Required.
	Authorize func(tenant, token string) bool
	// Buffer is how many events of each tenant are kept for replay;
	// default DefaultBuffer.
	Buffer int
	// KeyTTL is how long a view key lives; default DefaultKeyTTL.
	KeyTTL time.Duration
	// Heartbeat is the interval of SSE comments that keep proxies from
	// closing an idle stream; default 15s.
	Heartbeat time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// GuessBurst and GuessEvery throttle failed attempts per remote
	// address (see DefaultGuessBurst); defaults DefaultGuessBurst and
	// DefaultGuessEvery.
	GuessBurst int
	GuessEvery time.Duration
}

// Finding is one certify finding of an event.
type Finding struct {
	Level   string `json:"level"` // "violation", "quirk" or "note"
	Rule    string `json:"rule"`
	Message string `json:"message"`
	Source  string `json:"source"`
	IdP     string `json:"idp,omitempty"`
}

// Event is one graded exchange, as the page receives it.
type Event struct {
	ID       uint64    `json:"id"`
	Seq      int       `json:"seq"`
	Time     time.Time `json:"time"`
	Tenant   string    `json:"tenant"`
	Method   string    `json:"method"`
	Path     string    `json:"path"`
	Query    string    `json:"query,omitempty"`
	Status   int       `json:"status"`
	Duration float64   `json:"durationMs"`
	// Grade is the heaviest finding's level, or "ok".
	Grade    string    `json:"grade"`
	Findings []Finding `json:"findings"`
}

// Inspector is the http.Handler of /_harness/ and the sink of the
// recorder's Observe.
type Inspector struct {
	o Options

	guesses *throttle

	mu     sync.Mutex
	nextID uint64
	// rings holds each tenant's recent events: a busy tenant cannot
	// evict another's. Only authenticated exchanges reach Observe (the
	// recorder keeps no others), so the tenants are the configured ones.
	rings map[string]*ring
	subs  map[*sub]struct{}
	keys  map[string]session
}

// ring is the last events of one tenant: ev[(start+i)%len] for i < n.
type ring struct {
	ev       []Event
	start, n int
}

func (r *ring) push(ev Event) {
	if r.n < len(r.ev) {
		r.ev[(r.start+r.n)%len(r.ev)] = ev
		r.n++
		return
	}
	r.ev[r.start] = ev
	r.start = (r.start + 1) % len(r.ev)
}

type session struct {
	tenant  string
	expires time.Time
}

type sub struct {
	tenant string
	ch     chan Event
	cut    chan struct{} // closed when the subscriber fell behind
}

// New returns an Inspector.
func New(o Options) *Inspector {
	if o.Buffer <= 0 {
		o.Buffer = DefaultBuffer
	}
	if o.KeyTTL <= 0 {
		o.KeyTTL = DefaultKeyTTL
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 15 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Authorize == nil {
		o.Authorize = func(string, string) bool { return false }
	}
	if o.GuessBurst <= 0 {
		o.GuessBurst = DefaultGuessBurst
	}
	if o.GuessEvery <= 0 {
		o.GuessEvery = DefaultGuessEvery
	}
	return &Inspector{o: o, rings: map[string]*ring{}, subs: map[*sub]struct{}{}, keys: map[string]session{},
		guesses: newThrottle(o.GuessBurst, o.GuessEvery, o.Now)}
}

// levelName is the short name the page shows.
func levelName(l certify.Level) string {
	switch l {
	case certify.Violation:
		return "violation"
	case certify.Quirk:
		return "quirk"
	case certify.Note:
		return "note"
	}
	return "ok"
}

// Observe grades one redacted exchange and publishes it. It is
// record.Options.Observe.
func (in *Inspector) Observe(e record.Entry) {
	fs := certify.GradeEntry(e)
	ev := Event{
		Seq: e.Seq, Time: e.Time, Tenant: e.Tenant, Method: e.Method, Path: e.Path, Query: e.Query,
		Status: e.Response.Status, Duration: float64(e.Duration.Microseconds()) / 1000,
		Grade: levelName(certify.Worst(fs)), Findings: make([]Finding, 0, len(fs)),
	}
	for _, f := range fs {
		ev.Findings = append(ev.Findings, Finding{Level: levelName(f.Level), Rule: f.Rule, Message: f.Message, Source: f.Source, IdP: f.IdP})
	}
	in.publish(ev)
}

func (in *Inspector) publish(ev Event) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.nextID++
	ev.ID = in.nextID
	rg := in.rings[ev.Tenant]
	if rg == nil {
		rg = &ring{ev: make([]Event, in.o.Buffer)}
		in.rings[ev.Tenant] = rg
	}
	rg.push(ev)
	for s := range in.subs {
		if s.tenant != ev.Tenant {
			continue
		}
		select {
		case s.ch <- ev:
		default:
			// Too slow: cut it; it reconnects with Last-Event-ID and
			// catches up from the ring.
			close(s.cut)
			delete(in.subs, s)
		}
	}
}

// Recent returns the buffered events of tenant with an ID above after,
// oldest first.
func (in *Inspector) Recent(tenant string, after uint64) []Event {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.recentLocked(tenant, after)
}

func (in *Inspector) recentLocked(tenant string, after uint64) []Event {
	rg := in.rings[tenant]
	if rg == nil {
		return nil
	}
	var out []Event
	for i := 0; i < rg.n; i++ {
		if ev := rg.ev[(rg.start+i)%len(rg.ev)]; ev.ID > after {
			out = append(out, ev)
		}
	}
	return out
}

// ServeHTTP serves the page, view keys and the event stream.
func (in *Inspector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	switch strings.TrimPrefix(r.URL.Path, strings.TrimSuffix(Prefix, "/")) {
	case "", "/":
		if r.URL.Path != Prefix {
			http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, "GET, HEAD")
			return
		}
		in.page(w)
	case "/session":
		if r.Method != http.MethodPost {
			methodNotAllowed(w, "POST")
			return
		}
		in.session(w, r)
	case "/events":
		if r.Method != http.MethodGet {
			methodNotAllowed(w, "GET")
			return
		}
		in.events(w, r)
	default:
		http.NotFound(w, r)
	}
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// session trades a tenant's bearer token for a view key.
func (in *Inspector) session(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Tenant string `json:"tenant"`
	}
	_ = json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&req)
	if req.Tenant == "" {
		req.Tenant = r.URL.Query().Get("tenant")
	}
	if req.Tenant == "" {
		req.Tenant = record.DefaultTenant
	}
	if in.guesses.refuse(w, r) {
		return
	}
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || !in.o.Authorize(req.Tenant, strings.TrimSpace(tok)) {
		in.guesses.fail(remoteHost(r))
		w.Header().Set("WWW-Authenticate", `Bearer realm="scimharness inspector"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "this token does not open tenant " + strconv.Quote(req.Tenant)})
		return
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	key := hex.EncodeToString(b)
	now := in.o.Now()
	s := session{tenant: req.Tenant, expires: now.Add(in.o.KeyTTL)}
	in.mu.Lock()
	for k, old := range in.keys {
		if !now.Before(old.expires) {
			delete(in.keys, k)
		}
	}
	for len(in.keys) >= maxSessions {
		var oldest string
		for k, old := range in.keys {
			if oldest == "" || old.expires.Before(in.keys[oldest].expires) {
				oldest = k
			}
		}
		delete(in.keys, oldest)
	}
	in.keys[key] = s
	in.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"key": key, "tenant": s.tenant, "expires": s.expires.UTC().Format(time.RFC3339)})
}

// lookup returns the live session of key.
func (in *Inspector) lookup(key string) (session, bool) {
	if key == "" {
		return session{}, false
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	s, ok := in.keys[key]
	if ok && !in.o.Now().Before(s.expires) {
		delete(in.keys, key)
		return session{}, false
	}
	return s, ok
}

// events streams a tenant's events: the buffered ones after Last-Event-ID,
// then each as it arrives, until the client leaves or the key expires.
func (in *Inspector) events(w http.ResponseWriter, r *http.Request) {
	if in.guesses.refuse(w, r) {
		return
	}
	q := r.URL.Query()
	s, ok := in.lookup(q.Get("key"))
	if !ok {
		in.guesses.fail(remoteHost(r))
		http.Error(w, "no such view key, or it expired: open a new session", http.StatusUnauthorized)
		return
	}
	if t := q.Get("tenant"); t != "" && t != s.tenant {
		http.Error(w, "this view key is for another tenant", http.StatusForbidden)
		return
	}
	var after uint64
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		after, _ = strconv.ParseUint(v, 10, 64)
	}
	rc := http.NewResponseController(w)
	// The server's WriteTimeout would end a long-lived stream.
	_ = rc.SetWriteDeadline(time.Time{})

	sb := &sub{tenant: s.tenant, ch: make(chan Event, subBuffer), cut: make(chan struct{})}
	in.mu.Lock()
	backlog := in.recentLocked(s.tenant, after)
	in.subs[sb] = struct{}{}
	in.mu.Unlock()
	defer func() {
		in.mu.Lock()
		delete(in.subs, sb)
		in.mu.Unlock()
	}()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(ev Event) bool {
		b, _ := json.Marshal(ev)
		if _, err := w.Write([]byte("id: " + strconv.FormatUint(ev.ID, 10) + "\nevent: exchange\ndata: " + string(b) + "\n\n")); err != nil {
			return false
		}
		return true
	}
	hello, _ := json.Marshal(map[string]any{"tenant": s.tenant, "expires": s.expires.UTC().Format(time.RFC3339), "replayed": len(backlog)})
	if _, err := w.Write([]byte("retry: 2000\nevent: hello\ndata: " + string(hello) + "\n\n")); err != nil {
		return
	}
	for _, ev := range backlog {
		if !send(ev) {
			return
		}
	}
	if rc.Flush() != nil {
		return
	}
	expire := time.NewTimer(s.expires.Sub(in.o.Now()))
	defer expire.Stop()
	beat := time.NewTicker(in.o.Heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-sb.cut:
			return
		case <-expire.C:
			_, _ = w.Write([]byte("event: expired\ndata: {}\n\n"))
			_ = rc.Flush()
			return
		case <-beat.C:
			if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil || rc.Flush() != nil {
				return
			}
		case ev := <-sb.ch:
			if !send(ev) {
				return
			}
			// Send what else is queued before flushing.
			for drained := false; !drained; {
				select {
				case ev := <-sb.ch:
					if !send(ev) {
						return
					}
				default:
					drained = true
				}
			}
			if rc.Flush() != nil {
				return
			}
		}
	}
}

// Mount returns a handler that serves the inspector under Prefix (and
// /_harness without the slash) and everything else with next. Put it
// outside the recorder, so the inspector's own requests are not shown.
func (in *Inspector) Mount(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == strings.TrimSuffix(Prefix, "/") || strings.HasPrefix(r.URL.Path, Prefix) {
			in.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
