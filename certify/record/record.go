// Package record records what a SCIM client sends to a server and what it
// got back: an http.Handler middleware that appends every exchange, as one
// JSON line, to a file per tenant per run in a directory. Certification
// (package certify) grades such recordings and `scimharness replay` plays
// them against another server.
//
// Nothing secret is written: each exchange goes through the harness's one
// set of redaction rules (wire.Redactor) before it reaches the file — the
// Authorization header keeps only its scheme, cookies and token-like headers
// and query parameters are replaced, secret body members (password,
// client_secret…) are replaced, and the literal secrets the recorder is told
// about (the tenants' tokens) are replaced wherever they appear.
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
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/scimharness/scimharness/wire"
)

// Ext is the extension of recording files: JSON lines.
const Ext = ".jsonl"

// DefaultTenant names exchanges whose path is not under /t/{tenant}/.
const DefaultTenant = "default"

// DefaultMaxBody bounds the bytes of one body kept in a recording; the rest
// is dropped and the entry marked truncated. The request itself is passed on
// whole.
const DefaultMaxBody = 4 << 20

// Entry is one recorded exchange: one line of a recording.
type Entry struct {
	// Seq numbers the entries of one file from 1.
	Seq    int       `json:"seq"`
	Time   time.Time `json:"time"`
	Tenant string    `json:"tenant"`
	Method string    `json:"method"`
	// Path is the request path; Query its raw query (redacted).
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
	// MaxBody bounds a kept body; default DefaultMaxBody.
	MaxBody int
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Observe, if set, is called with every exchange once it is redacted
	// (and written, when recording to a directory), on the request's
	// goroutine: it must be quick and safe for concurrent use. The live
	// inspector (package certify/inspect) is fed this way.
	Observe func(Entry)
}

// Recorder writes recordings into a directory. Close it when the server
// stops.
type Recorder struct {
	dir   string
	run   string
	red   *wire.Redactor
	max   int
	now   func() time.Time
	mu    sync.Mutex
	files map[string]*file
	err   error
	// observe is Options.Observe; seqs numbers entries per tenant when
	// there is no directory (NewObserver).
	observe func(Entry)
	seqs    map[string]int
}

type file struct {
	mu  sync.Mutex
	f   *os.File
	seq int
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
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return &Recorder{
		dir:   dir,
		run:   o.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b),
		red:   wire.NewRedactor(o.Secrets...),
		max:   o.MaxBody,
		now:   o.Now,
		files: map[string]*file{},

		observe: o.Observe,
	}, nil
}

// Dir is the directory recorded into.
func (rec *Recorder) Dir() string { return rec.dir }

// Err returns the first write error, if any: recording never fails a
// request, so errors are kept here (and the exchange is lost).
func (rec *Recorder) Err() error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.err
}

// Close closes every file.
func (rec *Recorder) Close() error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var errs []error
	for _, f := range rec.files {
		f.mu.Lock()
		errs = append(errs, f.f.Close())
		f.mu.Unlock()
	}
	rec.files = map[string]*file{}
	return errors.Join(append(errs, rec.err)...)
}

// Wrap returns next recording every exchange.
func (rec *Recorder) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := rec.now()
		var reqBody []byte
		truncated := false
		if r.Body != nil && r.Body != http.NoBody {
			buf, err := io.ReadAll(io.LimitReader(r.Body, int64(rec.max)+1))
			if len(buf) > rec.max {
				truncated = true
			}
			// The handler reads what was read, then the rest, then the
			// read error if any.
			rest := r.Body
			if err != nil {
				rest = io.NopCloser(errReader{err})
			}
			r.Body = readCloser{io.MultiReader(bytes.NewReader(buf), rest), r.Body}
			reqBody = buf[:min(len(buf), rec.max)]
		}
		reqHeader := r.Header.Clone()
		cw := &captureWriter{ResponseWriter: w, max: rec.max, status: http.StatusOK}
		defer func() {
			// Record even if the handler panics (the server's own
			// recovery sits inside), then let the panic go on.
			rec.write(Entry{
				Time:      start,
				Tenant:    TenantOf(r.URL.Path),
				Method:    r.Method,
				Path:      r.URL.Path,
				Query:     r.URL.RawQuery,
				Duration:  rec.now().Sub(start),
				Truncated: truncated || cw.truncated,
			}, reqHeader, reqBody, cw)
		}()
		next.ServeHTTP(cw, r)
	})
}

func (rec *Recorder) write(e Entry, reqHeader http.Header, reqBody []byte, cw *captureWriter) {
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

	if rec.dir == "" { // NewObserver: nothing written
		rec.mu.Lock()
		rec.seqs[e.Tenant]++
		e.Seq = rec.seqs[e.Tenant]
		rec.mu.Unlock()
		rec.observe(e)
		return
	}
	f, err := rec.file(e.Tenant)
	if err != nil {
		rec.fail(err)
		return
	}
	f.mu.Lock()
	f.seq++
	e.Seq = f.seq
	err = f.append(e)
	f.mu.Unlock()
	if err != nil {
		rec.fail(err)
	}
	if rec.observe != nil {
		rec.observe(e)
	}
}

func (f *file) append(e Entry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = f.f.Write(append(line, '\n'))
	return err
}

func (rec *Recorder) fail(err error) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.err == nil {
		rec.err = fmt.Errorf("record: %w", err)
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func (rec *Recorder) file(tenant string) (*file, error) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if f := rec.files[tenant]; f != nil {
		return f, nil
	}
	name := unsafeName.ReplaceAllString(tenant, "_")
	if name == "" || name == "." || name == ".." {
		name = "_"
	}
	p := filepath.Join(rec.dir, name+"-"+rec.run+Ext)
	osf, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	f := &file{f: osf}
	rec.files[tenant] = f
	return f, nil
}

// TenantOf is the tenant a request path names: {tenant} in /t/{tenant}/…,
// else DefaultTenant.
func TenantOf(path string) string {
	if rest, ok := strings.CutPrefix(path, "/t/"); ok {
		if t, _, _ := strings.Cut(rest, "/"); t != "" {
			return t
		}
	}
	return DefaultTenant
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

type readCloser struct {
	io.Reader
	io.Closer
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
	sc.Buffer(make([]byte, 64<<10), 4*DefaultMaxBody+1<<20)
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
