package scenario

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/wire"
)

// DefaultCleanupTimeout bounds the whole cleanup phase.
const DefaultCleanupTimeout = 30 * time.Second

// CreateGrace is how long a POST already sent may still take after the run
// is cancelled: its answer carries the id of what it created, which cleanup
// needs. Without it, a Ctrl-C while creates are in flight (a concurrent
// initial cycle has several) would leave those resources behind.
const CreateGrace = 5 * time.Second

// graceful returns a context for a request that may create something: it
// is not cancelled with ctx at once but grace later, unless the returned
// function (which must be called) ends it first. A deadline of ctx counts
// as a cancellation; the client's own timeout bounds every attempt anyway.
func graceful(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	gctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(grace, cancel) })
	return gctx, func() {
		stop()
		cancel()
	}
}

// Options control a run.
type Options struct {
	// Mode is the judgement; empty means Strict.
	Mode Mode
	// Prefix is substituted as ${prefix}; everything a scenario creates
	// must carry it (a POST whose body lacks it is refused), so that a
	// run's data is recognisable on a shared server. Empty: Run makes one
	// with NewPrefix.
	Prefix string
	// Vars are the initial variables.
	Vars Vars
	// StopOnFail skips the remaining steps after a Fail or Error.
	StopOnFail bool
	// Keep skips cleanup, leaving created resources for inspection; each
	// kept resource is reported as a skipped cleanup.
	Keep bool
	// DryRun prints each request to Out instead of sending it; steps are
	// reported as skipped and placeholders that would be captured stay as
	// written.
	DryRun bool
	// Out receives dry-run output; default os.Stdout.
	Out io.Writer
	// Progress, if set, is called with each result as soon as it exists.
	Progress func(Result)
	// CleanupTimeout bounds cleanup, which runs on a fresh context so that
	// a cancelled run still removes its data. Default DefaultCleanupTimeout.
	CleanupTimeout time.Duration
	// Evidence decides which exchanges the returned results keep; the
	// default, EvidenceAll, keeps every one. Progress always sees them all.
	Evidence Evidence
}

// Evidence is how much of the wire a run's results keep (Options.Evidence).
type Evidence string

const (
	// EvidenceAll keeps every exchange in every result: the default, and
	// what a report showing every request needs.
	EvidenceAll Evidence = ""
	// EvidenceProblems keeps the exchanges of results that did not pass
	// (warnings, failures, errors, skips after an answer) and drops those
	// of passing results, so that a run of tens of thousands of requests
	// does not hold every body in memory. A report then shows the evidence
	// of every problem, and passes without their exchanges.
	EvidenceProblems Evidence = "problems"
)

// ParseEvidence reads an Evidence as a flag gives it: "all" or "problems".
func ParseEvidence(s string) (Evidence, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "all":
		return EvidenceAll, nil
	case string(EvidenceProblems):
		return EvidenceProblems, nil
	}
	return "", fmt.Errorf("scenario: evidence %q: want all or problems", s)
}

// NewPrefix returns a fresh run prefix such as "scimh-1a2b3c4d".
func NewPrefix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "scimh-" + hex.EncodeToString(b)
}

// ErrRefused is the reason a request was not sent: the runner only changes
// resources this run created (see Run).
var ErrRefused = errors.New("refusing to modify a resource this run did not create")

// Run executes sc's steps in order through c and returns one Result per step
// followed by the cleanup results.
//
// For each step it skips if When's var is unset or the template needs a var
// nobody captured; expands the request; checks it is safe; sends it; records
// the exchange; captures vars; judges the expectations and Check. No answer
// (a transport error) is Error, not Fail: nothing could be judged.
//
// Safety. The runner tracks the ids of resources created by this run's own
// POSTs (the response's "id", its Location, and /Bulk POST locations). A
// PUT, PATCH or DELETE — direct or inside a /Bulk request — is sent only to
// such an id, or to an id carrying the run prefix (which nothing older can
// carry); anything else is refused with ErrRefused and reported as Error.
// /Me is never modified. This holds for scenarios built in code too, so a
// simulator cannot touch existing data on a staging server.
//
// Cleanup. Every resource a step created is deleted afterwards, as are the
// steps' explicit Cleanup requests, newest first — also after failures,
// panics in checks and context cancellation (cleanup uses a fresh context
// bounded by CleanupTimeout). Cleanup results are appended with Cleanup set;
// a 404 counts as done. With Keep they are reported as skipped instead.
func Run(ctx context.Context, c *client.Client, sc Scenario, opts Options) []Result {
	results, pending := RunDeferred(ctx, c, sc, opts)
	return append(results, pending.Cleanup(ctx)...)
}

// Pending is the cleanup of a run started with RunDeferred: what the run
// created, still to be deleted.
type Pending struct {
	r    *runner
	done bool
}

// RunDeferred runs sc's steps as Run does but leaves the cleanup to the
// returned Pending, so that a caller running many scenarios can time their
// steps apart from their cleanup, or keep what a scenario created until the
// others have run. The caller must call Cleanup — after a failure or a
// cancellation too — or the run's data stays on the target; every safety
// rule of Run holds for the deferred cleanup as well.
func RunDeferred(ctx context.Context, c *client.Client, sc Scenario, opts Options) ([]Result, *Pending) {
	r := newRunner(c, sc, opts)
	if err := sc.Validate(); err != nil {
		r.emit(Result{Scenario: sc.Name, IdP: sc.IdP, Step: "(scenario)", Status: Error, Verified: true, Message: "harness error: " + err.Error()})
		return r.take(), &Pending{r: r}
	}
	if c == nil && !opts.DryRun {
		r.emit(Result{Scenario: sc.Name, IdP: sc.IdP, Step: "(scenario)", Status: Error, Verified: true, Message: "harness error: no client"})
		return r.take(), &Pending{r: r}
	}
	stopped := ""
	ended := map[string]Result{} // step name → its result, for Setup and Needs
	setup := ""                  // the first set-up step that did not pass
	for _, st := range sc.Steps {
		if ctx.Err() != nil {
			// Interrupted: what did not run is incomplete, never a
			// pass or a skip that reads as one.
			res := r.base(st)
			res.Status, res.Message = Incomplete, "incomplete: not run, the run was interrupted ("+ctx.Err().Error()+")"
			r.emit(res)
			continue
		}
		if stopped != "" {
			res := r.base(st)
			res.Status, res.Message = Skip, "skipped: "+stopped
			r.emit(res)
			continue
		}
		res := r.blocked(st, setup, ended)
		if res.Status != Blocked {
			res = r.step(ctx, st)
		}
		ended[st.Name] = res
		r.emit(res)
		if st.Setup && setup == "" && !passed(res.Status) {
			setup = st.Name
		}
		if opts.StopOnFail && res.Status >= Fail {
			stopped = fmt.Sprintf("an earlier step (%q) ended with %s", st.Name, res.Status)
		}
	}
	// The cleanup needs the scenario's name and the requests registered,
	// not the steps or the vars: a caller holding many Pendings should
	// not hold those too.
	r.sc.Steps, r.vars = nil, nil
	return r.take(), &Pending{r: r}
}

// Cleanup deletes what the run created, newest first, and returns the
// cleanup results (see Run). It runs on a fresh context derived from ctx
// without its cancellation, bounded by Options.CleanupTimeout. A second
// call does nothing.
func (p *Pending) Cleanup(ctx context.Context) []Result {
	if p == nil || p.done {
		return nil
	}
	p.done = true
	p.r.cleanup(ctx)
	return p.r.take()
}

// Len is the number of cleanup requests still to send.
func (p *Pending) Len() int {
	if p == nil || p.done {
		return 0
	}
	n := 0
	for _, e := range p.r.cleanups {
		if e.id == "" || !p.r.deleted[e.id] {
			n++
		}
	}
	return n
}

type cleanupEntry struct {
	label string
	req   client.Request
	id    string // the resource it deletes, if it is a DELETE
}

type runner struct {
	c        *client.Client
	sc       Scenario
	opts     Options
	vars     Vars
	created  map[string]bool
	deleted  map[string]bool
	cleanups []cleanupEntry
	results  []Result
}

func newRunner(c *client.Client, sc Scenario, opts Options) *runner {
	if opts.Mode == "" {
		opts.Mode = Strict
	}
	if opts.Prefix == "" {
		opts.Prefix = NewPrefix()
	}
	if opts.Out == nil {
		opts.Out = os.Stdout
	}
	if opts.CleanupTimeout <= 0 {
		opts.CleanupTimeout = DefaultCleanupTimeout
	}
	vars := Vars{}
	for k, v := range opts.Vars {
		vars[k] = v
	}
	vars["prefix"] = opts.Prefix // the one the safety rules check
	return &runner{c: c, sc: sc, opts: opts, vars: vars, created: map[string]bool{}, deleted: map[string]bool{}}
}

func (r *runner) emit(res Result) {
	if r.opts.Progress != nil {
		r.opts.Progress(res)
	}
	if r.opts.Evidence == EvidenceProblems && res.Status == Pass {
		res.Exchanges = nil
	}
	r.results = append(r.results, res)
}

// take returns the results emitted since the last take.
func (r *runner) take() []Result {
	out := r.results
	r.results = nil
	return out
}

func (r *runner) base(st Step) Result {
	return Result{
		Scenario: r.sc.Name, IdP: r.sc.IdP, Step: st.Name, Level: st.Level.orMust(), Clause: st.Clause,
		Behaviour: st.Behaviour, Source: st.Source, SourceURL: st.SourceURL, Setup: st.Setup,
		Verified: !st.Unverified && st.Confidence != Unverified, Confidence: st.Confidence,
	}
}

// passed reports whether a step with status s lets the steps waiting for
// it run: a pass or a warning, and a skip (a dry run, a feature not
// there), whose dependents skip by their own missing vars.
func passed(s Status) bool { return s <= Warn }

// blocked returns st as a Blocked result when a set-up step before it, or
// a step it Needs, did not pass; otherwise a result whose Status is not
// Blocked. WaitsFor names the root failure: a blocker that was itself
// blocked is followed to the step that failed.
func (r *runner) blocked(st Step, setup string, ended map[string]Result) Result {
	res := r.base(st)
	waits := setup
	if waits == "" {
		for _, n := range st.Needs {
			if e, ok := ended[n]; ok && !passed(e.Status) {
				waits = n
				break
			}
		}
	}
	if waits == "" {
		return res
	}
	root := ended[waits]
	name := waits
	if root.Status == Blocked && root.WaitsFor != "" {
		name = root.WaitsFor
		root = ended[name]
	}
	res.Status, res.WaitsFor = Blocked, name
	res.Message = fmt.Sprintf("blocked: not judged, it waits for step %q, which ended %s", name, root.Status)
	if name != waits {
		res.Message += fmt.Sprintf(" (through %q)", waits)
	}
	return res
}

// step runs one step, its First request before it (see Step.First).
func (r *runner) step(ctx context.Context, st Step) Result {
	if st.First == nil || r.opts.DryRun {
		return r.send(ctx, st)
	}
	first := r.send(ctx, *st.First)
	if first.Status == Pass {
		// The step, named for the request that decided it.
		res := r.base(st)
		res.Step, res.Status, res.Exchanges, res.Duration = st.First.Name, Pass, first.Exchanges, first.Duration
		return res
	}
	res := r.send(ctx, st)
	res.Exchanges = append(first.Exchanges, res.Exchanges...)
	res.Duration += first.Duration
	if res.Status != Pass {
		msg, _, _ := strings.Cut(first.Message, "\n")
		res.Message += "\n(sent first, deciding nothing: " + st.First.Name + ": " + first.Status.String() + " " + msg + ")"
	}
	return res
}

// send sends one step's request and judges the answer; a panic in a Build
// or Check function becomes Error.
func (r *runner) send(ctx context.Context, st Step) (res Result) {
	res = r.base(st)
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			res.Status = Error
			res.Message = strings.TrimSpace(fmt.Sprintf("harness error: step panicked: %v\n%s", p, res.Message))
		}
		res.Duration = time.Since(start)
	}()

	if st.When != "" {
		if _, ok := r.vars[st.When]; !ok && !r.opts.DryRun {
			res.Status, res.Message = Skip, fmt.Sprintf("skipped: needs ${%s}, which no earlier step set", st.When)
			return res
		}
	}
	x := &expander{vars: r.vars, keep: r.opts.DryRun}
	req, err := r.build(st, x)
	if err != nil {
		res.Status, res.Message = statusOf(err), err.Error()
		return res
	}
	if r.opts.DryRun {
		r.print(st, req)
		res.Status, res.Message = Skip, "dry run: not sent"
		return res
	}
	if req.RawBody == nil && req.Body != nil {
		// Encoded once, as the client would encode it, for the safety
		// check and the wire alike.
		raw, err := encodeBody(req.Body)
		if err != nil {
			res.Status, res.Message = Error, "harness error: encoding the request body: "+err.Error()
			return res
		}
		req.RawBody = raw
	}
	if err := r.allowed(req); err != nil {
		res.Status, res.Message = Error, err.Error()
		return res
	}

	sendCtx := ctx
	if strings.EqualFold(req.Method, http.MethodPost) {
		var done context.CancelFunc
		sendCtx, done = graceful(ctx, CreateGrace)
		defer done()
	}
	ex, err := r.c.Do(sendCtx, req)
	if ex != nil {
		res.Exchanges = append(res.Exchanges, *ex)
	}
	if err != nil {
		res.Status = Error
		res.Message = "no answer from the target: " + err.Error() + "\n" + sentLine(ex)
		if ctx.Err() != nil {
			// Cut off by the interruption, not by the target.
			res.Status = Incomplete
			res.Message = "incomplete: interrupted while waiting for the answer (" + ctx.Err().Error() + ")\n" + sentLine(ex)
		}
		return res
	}
	b := &body{ex: ex}
	judging.Store(ex, b)
	defer judging.Delete(ex)
	r.track(req, ex)

	level := st.Level.orMust()
	var outs []outcome
	for _, name := range sortedKeys(st.Capture) {
		if s := r.capture(name, st.Capture[name], ex, b); s != "" {
			outs = append(outs, failing(level, false, "", r.opts.Mode, s))
		}
	}
	if st.Cleanup != nil && ex.Status()/100 == 2 {
		r.register(st, x)
	}
	for _, e := range st.Expect {
		s, err := judge(e, ex, b, x, r.vars)
		if err != nil {
			res.Status, res.Message = Skip, err.Error()
			return res
		}
		if s != "" {
			if e.Clause != "" && !strings.Contains(s, e.Clause) {
				s += " (" + e.Clause + ")"
			}
			outs = append(outs, failing(e.Level.orIf(level), e.StrictOnly, e.Note, r.opts.Mode, s))
		}
	}
	if st.Check != nil {
		if err := st.Check(ex, r.vars); err != nil {
			if errors.Is(err, ErrSkip) {
				res.Status, res.Message = Skip, err.Error()
				return res
			}
			outs = append(outs, failing(level, false, "", r.opts.Mode, err.Error()))
		}
	}

	res.Status = Pass
	if len(outs) == 0 {
		return res
	}
	res.Info = true
	// The gravest reason first: a message's first line is what a summary
	// shows, and a failing MUST must not hide behind a SHOULD's warning.
	slices.SortStableFunc(outs, func(a, b outcome) int { return int(b.status) - int(a.status) })
	var lines []string
	for _, o := range outs {
		res.Status = max(res.Status, o.status)
		res.Info = res.Info && o.info
		lines = append(lines, o.sentence)
	}
	res.Info = res.Info && res.Status == Warn
	res.Level = outs[0].level
	lines = append(lines, sentLine(ex), receivedLine(ex))
	res.Message = strings.Join(lines, "\n")
	return res
}

func (l Level) orIf(def Level) Level {
	if l == "" {
		return def
	}
	return l
}

// statusOf maps a build error to a status: a missing var or ErrSkip skips,
// anything else is a broken scenario.
func statusOf(err error) Status {
	var mv missingVars
	if errors.Is(err, ErrSkip) || errors.As(err, &mv) {
		return Skip
	}
	return Error
}

type missingVars []string

func (m missingVars) Error() string {
	return fmt.Sprintf("skipped: needs %s, which no earlier step captured", strings.Join(m, ", "))
}

func (r *runner) build(st Step, x *expander) (client.Request, error) {
	if st.Build != nil {
		req, err := st.Build(r.vars)
		if err != nil {
			if errors.Is(err, ErrSkip) {
				return req, err
			}
			return req, fmt.Errorf("harness error: building the request: %w", err)
		}
		return req, nil
	}
	req, err := x.expand(st.Request)
	if err != nil {
		return req, fmt.Errorf("harness error: %w", err)
	}
	if m := x.missingList(); len(m) > 0 && !x.keep {
		return req, missingVars(m)
	}
	return req, nil
}

// capture stores one var; it returns a failure sentence if the value is
// missing.
func (r *runner) capture(name, from string, ex *wire.Exchange, b *body) string {
	if h, ok := strings.CutPrefix(from, "header:"); ok {
		v := ex.Response.Header.Get(h)
		if v == "" {
			return fmt.Sprintf("could not capture ${%s}: the response has no %s header", name, h)
		}
		r.vars[name] = v
		return ""
	}
	doc, err := b.get()
	if err != nil {
		return fmt.Sprintf("could not capture ${%s} from %q: %v", name, from, err)
	}
	v, ok := Lookup(doc, from)
	if !ok || v == nil {
		return fmt.Sprintf("could not capture ${%s}: the response body has no %q", name, from)
	}
	r.vars[name] = v
	return ""
}

func (r *runner) register(st Step, x *expander) {
	req, err := x.expand(*st.Cleanup)
	if err != nil || len(x.missingList()) > 0 {
		// The step succeeded but the undo cannot be built: say so now,
		// rather than silently leaving data behind.
		r.cleanups = append(r.cleanups, cleanupEntry{label: fmt.Sprintf("%s (for %q): cannot expand: needs %s", st.Cleanup.Method, st.Name, strings.Join(x.missingList(), ", "))})
		return
	}
	e := cleanupEntry{label: req.Method + " " + req.Path, req: req}
	if req.Method == http.MethodDelete {
		if segs := r.segments(req.Path); len(segs) >= 2 {
			e.id = segs[1]
		}
	}
	r.cleanups = append(r.cleanups, e)
}

// segments splits a request path, relative to the base URL, into unescaped
// segments; nil when the path points outside the base URL.
func (r *runner) segments(p string) []string {
	if strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") {
		base := r.c.BaseURL()
		if !strings.HasPrefix(p, base+"/") && p != base {
			return nil
		}
		p = strings.TrimPrefix(p, base)
	}
	p, _, _ = strings.Cut(p, "?")
	p, _, _ = strings.Cut(p, "#")
	segs := []string{}
	for _, s := range strings.Split(p, "/") {
		if s == "" {
			continue
		}
		if u, err := url.PathUnescape(s); err == nil {
			s = u
		}
		segs = append(segs, s)
	}
	return segs
}

// minPrefixForIDs is the shortest prefix trusted to mark an id as this
// run's: a two-letter prefix could occur in anybody's id.
const minPrefixForIDs = 6

func (r *runner) ownID(id string) bool {
	return r.created[id] || (len(r.opts.Prefix) >= minPrefixForIDs && strings.Contains(id, r.opts.Prefix))
}

func mutating(method string) bool {
	switch strings.ToUpper(method) {
	case http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// allowed enforces the safety rules (see Run).
func (r *runner) allowed(req client.Request) error {
	method := strings.ToUpper(req.Method)
	if method != http.MethodPost && !mutating(method) {
		return nil
	}
	segs := r.segments(req.Path)
	if segs == nil {
		return fmt.Errorf("%w: %s %s is outside the base URL", ErrRefused, method, req.Path)
	}
	last := ""
	if len(segs) > 0 {
		last = segs[len(segs)-1]
	}
	if method == http.MethodPost {
		switch {
		case strings.EqualFold(last, "Bulk"):
			return r.allowedBulk(req)
		case strings.HasSuffix(last, ".search"):
			return nil
		}
		if body := bodyText(req); body != "" && !strings.Contains(body, r.opts.Prefix) {
			return fmt.Errorf("refusing to create a resource without the run prefix %q: POST %s (put ${prefix} in its userName or displayName)", r.opts.Prefix, req.Path)
		}
		return nil
	}
	switch {
	case len(segs) == 1 && strings.EqualFold(segs[0], "Me"):
		return fmt.Errorf("%w: %s %s would change the authenticated user", ErrRefused, method, req.Path)
	case len(segs) >= 2 && !r.ownID(segs[1]):
		return fmt.Errorf("%w: %s %s (only ids this run's own POSTs returned, or ids carrying the run prefix %q, may be changed)", ErrRefused, method, req.Path, r.opts.Prefix)
	}
	return nil
}

// allowedBulk applies the same rules to each operation of a /Bulk request.
// A body the runner cannot parse is let through: the target cannot act on
// it either.
func (r *runner) allowedBulk(req client.Request) error {
	var ops struct {
		Operations []struct {
			Method string `json:"method"`
			Path   string `json:"path"`
			Data   any    `json:"data"`
		} `json:"Operations"`
	}
	if json.Unmarshal([]byte(bodyText(req)), &ops) != nil {
		return nil
	}
	for _, op := range ops.Operations {
		sub := client.Request{Method: op.Method, Path: op.Path, Body: op.Data}
		if segs := r.segments(op.Path); mutating(op.Method) && len(segs) >= 2 && strings.HasPrefix(segs[1], "bulkId:") {
			continue // a resource created earlier in the same request
		}
		if err := r.allowed(sub); err != nil {
			return fmt.Errorf("in /Bulk: %w", err)
		}
	}
	return nil
}

// encodeBody encodes a request body as client.Client does: JSON without
// HTML escaping, no trailing newline.
func encodeBody(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func bodyText(req client.Request) string {
	if req.RawBody != nil {
		return string(req.RawBody)
	}
	if req.Body == nil {
		return ""
	}
	b, _ := json.Marshal(req.Body)
	return string(b)
}

// track records resources created and deleted by an answered request.
func (r *runner) track(req client.Request, ex *wire.Exchange) {
	segs := r.segments(req.Path)
	if len(segs) == 0 {
		return
	}
	method, status := strings.ToUpper(req.Method), ex.Status()
	switch {
	case method == http.MethodDelete && len(segs) >= 2 && (status/100 == 2 || status == http.StatusNotFound):
		r.deleted[segs[1]] = true
	case method != http.MethodPost || status/100 != 2:
	case strings.EqualFold(segs[len(segs)-1], "Bulk"):
		r.trackBulk(ex)
	case len(segs) == 1:
		id := ""
		if doc, err := ResponseJSON(ex); err == nil {
			id, _ = doc["id"].(string)
		}
		if id == "" {
			id = lastSegment(ex.Response.Header.Get("Location"))
		}
		r.created1(segs[0], id)
	}
}

func (r *runner) trackBulk(ex *wire.Exchange) {
	doc, err := ResponseJSON(ex)
	if err != nil {
		return
	}
	ops, _ := doc["Operations"].([]any)
	for _, o := range ops {
		op, _ := o.(map[string]any)
		method, _ := op["method"].(string)
		loc, _ := op["location"].(string)
		status := fmt.Sprint(op["status"])
		if !strings.EqualFold(method, http.MethodPost) || loc == "" || !strings.HasPrefix(status, "2") {
			continue
		}
		u, err := url.Parse(loc)
		if err != nil {
			continue
		}
		parts := strings.Split(strings.Trim(u.Path, "/"), "/")
		if len(parts) >= 2 {
			r.created1(parts[len(parts)-2], parts[len(parts)-1])
		}
	}
}

// created1 records one created resource and schedules its deletion.
func (r *runner) created1(collection, id string) {
	if id == "" || r.created[id] {
		return
	}
	r.created[id] = true
	path := "/" + collection + "/" + url.PathEscape(id)
	r.cleanups = append(r.cleanups, cleanupEntry{label: "DELETE " + path, req: client.Request{Method: http.MethodDelete, Path: path}, id: id})
}

func lastSegment(loc string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return ""
	}
	p := strings.TrimRight(u.Path, "/")
	return p[strings.LastIndexByte(p, '/')+1:]
}

// cleanup undoes the run, newest first, on a fresh context.
func (r *runner) cleanup(ctx context.Context) {
	if r.opts.DryRun {
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.CleanupTimeout)
	defer cancel()
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		e := r.cleanups[i]
		if e.id != "" && r.deleted[e.id] {
			continue // a step (or a newer cleanup) already deleted it
		}
		res := Result{Scenario: r.sc.Name, IdP: r.sc.IdP, Step: "cleanup: " + e.label, Cleanup: true, Verified: true, Behaviour: "remove what this run created"}
		start := time.Now()
		switch {
		case e.req.Method == "":
			res.Status, res.Message = Error, "harness error: cleanup "+e.label
		case r.opts.Keep:
			res.Status, res.Message = Skip, "kept: not sent because cleanup is disabled (keep)"
		default:
			r.cleanup1(cctx, e, &res)
		}
		res.Duration = time.Since(start)
		r.emit(res)
	}
}

func (r *runner) cleanup1(ctx context.Context, e cleanupEntry, res *Result) {
	if err := r.allowed(e.req); err != nil {
		res.Status, res.Message = Error, err.Error()
		return
	}
	ex, err := r.c.Do(ctx, e.req)
	if ex != nil {
		res.Exchanges = append(res.Exchanges, *ex)
	}
	switch {
	case err != nil:
		res.Status, res.Message = Error, "no answer from the target: "+err.Error()+"; the resource may remain"
	case ex.Status()/100 == 2:
		res.Status = Pass
	case ex.Status() == http.StatusNotFound:
		res.Status, res.Message = Pass, "already gone (404)"
	default:
		res.Status = Fail
		res.Message = fmt.Sprintf("cleanup failed: expected 2xx or 404, got %d; the resource may remain\n%s\n%s", ex.Status(), sentLine(ex), receivedLine(ex))
	}
	if err == nil {
		r.track(e.req, ex)
	}
}

var escapedPlaceholder = regexp.MustCompile(`\$%7B([A-Za-z_][A-Za-z0-9_.-]*)%7D`)

// print writes a dry-run request.
func (r *runner) print(st Step, req client.Request) {
	w := r.opts.Out
	fmt.Fprintf(w, "# %s / %s\n", r.sc.Name, st.Name)
	var ex *wire.Exchange
	if r.c != nil {
		ex, _ = r.c.Preview(req)
	}
	if ex == nil {
		fmt.Fprintf(w, "%s %s\n\n", req.Method, req.Path)
		return
	}
	// Show uncaptured placeholders as written, not %-encoded.
	fmt.Fprintf(w, "%s %s\n", ex.Request.Method, escapedPlaceholder.ReplaceAllString(ex.Request.URL, "$${$1}"))
	keys := make([]string, 0, len(ex.Request.Header))
	for k := range ex.Request.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%s: %s\n", k, strings.Join(ex.Request.Header[k], ", "))
	}
	if len(ex.Request.Body) > 0 {
		fmt.Fprintf(w, "\n%s\n", Pretty(ex.Request.Body))
	}
	fmt.Fprintln(w)
}

// Pretty indents a JSON body for people, keeping its key order; other
// bodies are returned as they are.
func Pretty(b []byte) string {
	var buf bytes.Buffer
	if json.Indent(&buf, bytes.TrimSpace(b), "", "  ") != nil {
		return string(b)
	}
	return buf.String()
}

func sentLine(ex *wire.Exchange) string {
	if ex == nil {
		return "sent: nothing"
	}
	s := "sent: " + ex.Request.Method + " " + ex.Request.URL
	if len(ex.Request.Body) > 0 {
		s += " " + excerpt(ex.Request.Body, 300)
	}
	return s
}

func receivedLine(ex *wire.Exchange) string {
	if ex == nil || ex.Response == nil {
		return "received: no answer"
	}
	return fmt.Sprintf("received: %d %s", ex.Response.Status, excerptOr(ex.Response.Body, 300, "(empty body)"))
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
