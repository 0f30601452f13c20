// Package record records what a SCIM client sends to a server and what it
// got back: an http.Handler middleware that appends every exchange the
// server authenticated, as one JSON line, to a file per tenant per run in a
// directory. Certification (package certify) grades such recordings and
// `scimharness replay` plays them against another server.
//
// Nothing secret is written: each exchange goes through the harness's one
// set of redaction rules (wire.Redactor) before it reaches the file — the
// Authorization header keeps only its scheme, cookies and token-like headers
// and query parameters are replaced, secret body members (password,
// client_secret…) are replaced, and the literal secrets the recorder is told
// about (the tenants' tokens, the access tokens the server issues, and the
// credential of every request it authenticated) are replaced wherever they
// appear.
package record

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimharness/scimharness/wire"
)

// Ext is the extension of recording files: JSON lines.
const Ext = ".jsonl"

// DefaultTenant names exchanges of the tenant served at /scim/v2.
const DefaultTenant = "default"

// DefaultMaxBody bounds the bytes of one body kept in a recording when
// Options.MaxBody is not set: the reference server's default request limit
// (server.Config.MaxBodyBytes), since a longer body is refused unread. The
// rest is dropped and the entry marked truncated; the request itself is
// passed on whole.
const DefaultMaxBody = 1 << 20

// DefaultMaxOpenFiles bounds the recording files open at once when
// Options.MaxOpenFiles is not set: above it the least recently written is
// closed, and reopened (appending) when its tenant speaks again.
const DefaultMaxOpenFiles = 32

// DefaultMaxAnonymousBytes bounds the file of exchanges nobody
// authenticated (see AnonymousDir) when Options.MaxAnonymousBytes is not
// set.
const DefaultMaxAnonymousBytes = 4 << 20

// maxLearnt bounds the literal secrets learnt while recording (tokens of
// authenticated requests, issued access tokens); above it the oldest learnt
// one is forgotten, and learnt again the next time a request carries it.
const maxLearnt = 1024

// Entry is one recorded exchange: one line of a recording.
type Entry struct {
	// Seq numbers the entries of one file from 1.
	Seq    int       `json:"seq"`
	Time   time.Time `json:"time"`
	Tenant string    `json:"tenant"`
	Method string    `json:"method"`
	// Path is the request path, clean (as the server served it: no dot or
	// empty segments); Query its raw query (redacted).
	Path  string `json:"path"`
	Query string `json:"query,omitempty"`
	// Request and Response are the exchange as it crossed the wire,
	// redacted. Request.URL is Path?Query.
	Request  wire.Request  `json:"request"`
	Response wire.Response `json:"response"`
	Duration time.Duration `json:"durationNs"`
	// Truncated is set when a body was longer than the recorder keeps.
	Truncated bool `json:"truncated,omitempty"`
}

// Exchange returns e in the harness's results model, for reports.
func (e Entry) Exchange() wire.Exchange {
	resp := e.Response
	return wire.Exchange{Request: e.Request, Response: &resp, Started: e.Time, Duration: e.Duration, Attempts: 1}
}

// String is "POST /scim/v2/Users → 201".
func (e Entry) String() string {
	u := e.Path
	if e.Query != "" {
		u += "?" + e.Query
	}
	return fmt.Sprintf("%s %s → %d", e.Method, u, e.Response.Status)
}

// Options configure a Recorder.
type Options struct {
	// Secrets are literal secrets (bearer tokens) replaced wherever they
	// appear, in addition to the rule-based redaction.
	Secrets []string
	// MaxBody bounds a kept body; default DefaultMaxBody. Give it the
	// server's limit on request bodies.
	MaxBody int
	// MaxOpenFiles bounds the recording files open at once; default
	// DefaultMaxOpenFiles.
	MaxOpenFiles int
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Observe, if set, is called with every exchange once it is redacted
	// (and written, when recording to a directory), on the request's
	// goroutine: it must be quick and safe for concurrent use. The live
	// inspector (package certify/inspect) is fed this way.
	Observe func(Entry)
	// Logger, if set, is told of exchanges that could not be recorded
	// (the first, then at each power of two), besides Dropped.
	Logger *slog.Logger
	// MaxAnonymousBytes bounds the one file of the run's exchanges nobody
	// authenticated (AnonymousDir); once it is full they are only counted.
	// Default DefaultMaxAnonymousBytes; negative keeps none.
	MaxAnonymousBytes int64
}

// Recorder records the exchanges of authenticated clients, each under the
// tenant its credentials authenticated as — noted by the server on the
// request's wire.Authentication, since anyone can name a tenant in a path.
// Exchanges nobody authenticated are counted (Anonymous) and the first of
// them kept in one bounded file of the run (AnonymousDir), never a file
// per path: a client without a token can neither fill a tenant's recording
// nor open files. Close it when the server stops.
type Recorder struct {
	dir     string
	run     string
	red     *wire.Redactor
	max     int
	maxOpen int
	now     func() time.Time
	log     *slog.Logger
	// observe is Options.Observe.
	observe func(Entry)

	anonymous, dropped atomic.Int64
	// anon is the file of anonymous exchanges; anonFull is set once it
	// holds all it may (or none are kept), so that a flood costs a load.
	anon     anonymousFile
	anonFull atomic.Bool

	// mu guards everything below, and the writing of lines: one line is
	// written whole, in Seq order, and files are closed and reopened under
	// it.
	mu     sync.Mutex
	files  map[string]*file
	open   int
	closed bool // after Close, exchanges are dropped (counted), not reopened
	tick   uint64
	err    error
	// learnt are the literals learnt while recording, oldest first.
	learnt   []string
	isLearnt map[string]bool
}

// file is one tenant's recording; f is nil while it is closed to keep
// within MaxOpenFiles.
type file struct {
	path string
	f    *os.File
	seq  int
	used uint64
}

// New returns a Recorder writing into dir (created if missing). Each tenant
// seen gets its own file, named {tenant}-{run}.jsonl, where run is the
// recorder's start time and a random suffix, so runs never overwrite each
// other.
func New(dir string, o Options) (*Recorder, error) {
	if dir == "" {
		return nil, errors.New("record: no directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	return newRecorder(dir, o), nil
}

func newRecorder(dir string, o Options) *Recorder {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.MaxOpenFiles <= 0 {
		o.MaxOpenFiles = DefaultMaxOpenFiles
	}
	if o.MaxAnonymousBytes == 0 {
		o.MaxAnonymousBytes = DefaultMaxAnonymousBytes
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	rec := &Recorder{
		dir:      dir,
		run:      o.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b),
		red:      wire.NewRedactor(o.Secrets...),
		max:      o.MaxBody,
		maxOpen:  o.MaxOpenFiles,
		now:      o.Now,
		log:      o.Logger,
		observe:  o.Observe,
		files:    map[string]*file{},
		isLearnt: map[string]bool{},
	}
	rec.anon.max = o.MaxAnonymousBytes
	rec.anonFull.Store(dir == "" || o.MaxAnonymousBytes < 0)
	return rec
}

// Dir is the directory recorded into.
func (rec *Recorder) Dir() string { return rec.dir }

// AddSecret adds a literal secret to redact wherever it appears, e.g. an
// access token the server issued (server.Config.Issued). Such secrets are
// learnt ones: at most a bounded number are kept, the oldest forgotten.
func (rec *Recorder) AddSecret(s string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.learnLocked(s)
}

func (rec *Recorder) learnLocked(s string) {
	if s == "" || rec.isLearnt[s] {
		return
	}
	rec.red.AddSecret(s)
	rec.learnt = append(rec.learnt, s)
	rec.isLearnt[s] = true
	if len(rec.learnt) > maxLearnt {
		old := rec.learnt[0]
		rec.learnt = rec.learnt[1:]
		delete(rec.isLearnt, old)
		rec.red.RemoveSecret(old)
	}
}

// Err returns the first write error, if any: recording never fails a
// request, so errors are kept here, counted (Dropped) and logged.
func (rec *Recorder) Err() error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.err
}

// Anonymous is how many exchanges were not recorded because no credentials
// in them authenticated for a tenant.
func (rec *Recorder) Anonymous() int64 { return rec.anonymous.Load() }

// Dropped is how many authenticated exchanges could not be recorded.
func (rec *Recorder) Dropped() int64 { return rec.dropped.Load() }

// Close closes every file.
func (rec *Recorder) Close() error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var errs []error
	for _, f := range rec.files {
		if f.f != nil {
			errs = append(errs, f.f.Close())
			f.f = nil
		}
	}
	if rec.anon.f != nil {
		errs = append(errs, rec.anon.f.Close())
		rec.anon.f = nil
	}
	rec.open = 0
	rec.closed = true
	rec.anonFull.Store(true)
	return errors.Join(append(errs, rec.err)...)
}

// Wrap returns next recording every authenticated exchange.
func (rec *Recorder) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := rec.now()
		ctx, auth := wire.WithAuthentication(r.Context())
		r = r.WithContext(ctx)
		// The body is kept as the handler reads it, not read ahead: a
		// request the server refuses unread (401) costs no read here.
		var body *teeBody
		if r.Body != nil && r.Body != http.NoBody {
			body = &teeBody{rc: r.Body, max: rec.max}
			r.Body = body
		}
		reqHeader := r.Header.Clone()
		// The path as the server serves it (server.ServeHTTP cleans it
		// the same way): /t/globex/../acme/Users is acme's /Users.
		p := cleanPath(r.URL.Path)
		cw := &captureWriter{ResponseWriter: w, max: rec.max, status: http.StatusOK}
		defer func() {
			// Record even if the handler panics (the server's own
			// recovery sits inside), then let the panic go on.
			tenant, ok := auth.Tenant()
			if !ok {
				rec.anonymous.Add(1)
				if !rec.anonFull.Load() {
					// Only what the handler read: a request refused
					// unread costs no read (and no wait on Expect).
					var reqBody []byte
					truncated := false
					if body != nil {
						reqBody, truncated = body.buf.Bytes(), body.truncated || !body.done
					}
					rec.keepAnonymous(Entry{
						Time:      start,
						Method:    r.Method,
						Path:      p,
						Query:     r.URL.RawQuery,
						Duration:  rec.now().Sub(start),
						Truncated: truncated || cw.truncated,
					}, reqHeader, reqBody, cw)
				}
				return
			}
			reqBody, truncated := []byte{}, false
			if body != nil {
				// What the handler left unread (a 415, a 405) is
				// recorded too, up to the bound — unless the client waits
				// for a 100 Continue that will not come.
				if !strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
					body.rest()
				}
				reqBody, truncated = body.buf.Bytes(), body.truncated
			}
			rec.write(Entry{
				Time:      start,
				Tenant:    tenant,
				Method:    r.Method,
				Path:      p,
				Query:     r.URL.RawQuery,
				Duration:  rec.now().Sub(start),
				Truncated: truncated || cw.truncated,
			}, reqHeader, reqBody, cw)
		}()
		next.ServeHTTP(cw, r)
	})
}

// cleanPath is path.Clean for a URL path, as the server applies it.
func cleanPath(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return path.Clean(p)
}

func (rec *Recorder) write(e Entry, reqHeader http.Header, reqBody []byte, cw *captureWriter) {
	// The request authenticated, so its credential (a bearer token) is one
	// of the tenant's — possibly one known only by its hash (token_sha256):
	// learn it before redacting, so that it is replaced also where the
	// rules do not look (a query parameter of any name, an odd header,
	// the path).
	if _, cred, ok := strings.Cut(reqHeader.Get("Authorization"), " "); ok {
		rec.AddSecret(strings.TrimSpace(cred)) // Bearer, Huddle's OAuth2, Basic client credentials
	}
	raw := e.Path
	if e.Query != "" {
		raw += "?" + e.Query
	}
	if reqBody == nil {
		reqBody = []byte{}
	}
	e.Request = rec.red.Request(e.Method, raw, reqHeader, reqBody)
	e.Path, e.Query, _ = strings.Cut(e.Request.URL, "?")
	hdr := cw.Header().Clone()
	e.Response = *rec.red.Response(cw.status, hdr, cw.body.Bytes())

	rec.mu.Lock()
	err := rec.appendLocked(&e)
	rec.mu.Unlock()
	if err != nil {
		rec.fail(err)
	}
	if rec.observe != nil {
		rec.observe(e)
	}
}

// appendLocked numbers e in its tenant's file and, when recording to a
// directory, appends it.
func (rec *Recorder) appendLocked(e *Entry) error {
	if rec.closed {
		return errors.New("an exchange ended after the recorder was closed")
	}
	f := rec.files[e.Tenant]
	if f == nil {
		name := unsafeName.ReplaceAllString(e.Tenant, "_")
		if name == "" || name == "." || name == ".." {
			name = "_"
		}
		f = &file{path: filepath.Join(rec.dir, name+"-"+rec.run+Ext)}
		rec.files[e.Tenant] = f
	}
	f.seq++
	e.Seq = f.seq
	if rec.dir == "" { // NewObserver: nothing written
		return nil
	}
	rec.tick++
	f.used = rec.tick
	if f.f == nil {
		if rec.open >= rec.maxOpen {
			rec.closeLeastRecentLocked()
		}
		osf, err := os.OpenFile(f.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		f.f = osf
		rec.open++
	}
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = f.f.Write(append(line, '\n'))
	return err
}

func (rec *Recorder) closeLeastRecentLocked() {
	var lru *file
	for _, f := range rec.files {
		if f.f != nil && (lru == nil || f.used < lru.used) {
			lru = f
		}
	}
	if lru == nil {
		return
	}
	if err := lru.f.Close(); err != nil && rec.err == nil {
		rec.err = fmt.Errorf("record: %w", err)
	}
	lru.f = nil
	rec.open--
}

// fail counts an exchange that was not recorded, keeps the first error and
// logs the first failure and then each power of two, so that a full disk
// is heard of without a log line per request.
func (rec *Recorder) fail(err error) {
	n := rec.dropped.Add(1)
	rec.mu.Lock()
	if rec.err == nil {
		rec.err = fmt.Errorf("record: %w", err)
	}
	rec.mu.Unlock()
	if rec.log != nil && n&(n-1) == 0 {
		rec.log.Error("an exchange could not be recorded", "dropped", n, "err", err)
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// teeBody passes a request body on and keeps what is read of it, up to max
// bytes; truncated tells there was more.
type teeBody struct {
	rc        io.ReadCloser
	max       int
	buf       bytes.Buffer
	truncated bool
	done      bool // EOF or an error: nothing more to read
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	if room := t.max - t.buf.Len(); n > room {
		t.buf.Write(p[:max(room, 0)])
		t.truncated = true
	} else {
		t.buf.Write(p[:n])
	}
	if err != nil {
		t.done = true
	}
	return n, err
}

func (t *teeBody) Close() error { return t.rc.Close() }

// rest reads what the handler did not, up to one byte over the bound (to
// know whether there was more), for the recording.
func (t *teeBody) rest() {
	if t.done || t.truncated {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(t, int64(t.max-t.buf.Len())+1))
}

// captureWriter passes the response on and keeps a copy.
type captureWriter struct {
	http.ResponseWriter
	status    int
	wrote     bool
	body      bytes.Buffer
	max       int
	truncated bool
}

func (c *captureWriter) WriteHeader(code int) {
	if !c.wrote {
		c.status, c.wrote = code, true
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(b []byte) (int, error) {
	c.wrote = true
	if room := c.max - c.body.Len(); room > 0 {
		c.body.Write(b[:min(len(b), room)])
		if len(b) > room {
			c.truncated = true
		}
	} else if len(b) > 0 {
		c.truncated = true
	}
	return c.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *captureWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// Flush implements http.Flusher when the underlying writer does.
func (c *captureWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Recording is one recording file read back.
type Recording struct {
	File    string
	Tenant  string
	Entries []Entry
}

// ReadFile reads one recording file.
func ReadFile(path string) (Recording, error) {
	f, err := os.Open(path)
	if err != nil {
		return Recording{}, err
	}
	defer f.Close()
	rc := Recording{File: path}
	sc := bufio.NewScanner(f)
	// A line holds two bodies of at most the recorder's MaxBody, which a
	// server with a large --max-body-bytes may set high; the buffer only
	// grows as far as the longest line.
	sc.Buffer(make([]byte, 64<<10), 1<<30)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			return rc, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if rc.Tenant == "" {
			rc.Tenant = e.Tenant
		}
		rc.Entries = append(rc.Entries, e)
	}
	if err := sc.Err(); err != nil {
		return rc, fmt.Errorf("%s: %w", path, err)
	}
	return rc, nil
}

// Read reads a recording file, or every recording file in a directory
// (sorted by name: tenant, then run).
func Read(path string) ([]Recording, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		rc, err := ReadFile(path)
		if err != nil {
			return nil, err
		}
		return []Recording{rc}, nil
	}
	names, err := filepath.Glob(filepath.Join(path, "*"+Ext))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Recording
	for _, n := range names {
		rc, err := ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, rc)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no recordings (*%s)", path, Ext)
	}
	return out, nil
}
