package certify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/scimharness/scimharness/certify/record"
	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/wire"
)

// ReplayScenario turns a recording into a scenario that sends the same
// requests, in order, to another server, and expects the same answers:
//
//   - Ids are mapped. Every id a recorded response carried (the "id" of a
//     created or read resource, the ids of a list's Resources) is captured
//     from the target's answer to the same request, and substituted for the
//     recorded id in later paths and bodies. A write to a recorded id the
//     replay never saw is skipped, never sent: the replay changes only what
//     it created.
//   - Names are marked. Every userName, displayName and externalId a
//     recorded POST created is sent as "${prefix}-<name>", here and in
//     every later path, filter and body, so that the replay's data is
//     recognisable (and removed afterwards) on a shared server.
//   - Expectations: the recorded status class (2xx, 4xx…), and for 2xx
//     answers the key body fields — userName, displayName, externalId,
//     active (MUST) and a list's totalResults (MUST when its filter names
//     a marked name, else SHOULD: a shared server holds other data).
//   - Headers: Content-Type, Accept and User-Agent as recorded. Requests the
//     recorded server refused with 401 are sent with the recorded (redacted,
//     so wrong) Authorization header, or none, and must be refused again.
//
// Requests outside the SCIM base URL (/scim/v2) are left out.
func ReplayScenario(rc record.Recording) scenario.Scenario {
	rp := &replayer{ids: map[string]string{}, names: map[string]string{}}
	sc := scenario.Scenario{Name: "replay " + filepath.Base(rc.File), Description: fmt.Sprintf("replay of %d recorded requests (tenant %s)", len(rc.Entries), rc.Tenant)}
	// First pass: which strings are names to mark (from POST bodies).
	for _, e := range rc.Entries {
		if rel, ok := relPath(e.Path); ok && strings.EqualFold(e.Method, http.MethodPost) && isCollection(rel) {
			var doc map[string]any
			if json.Unmarshal(e.Request.Body, &doc) == nil {
				for _, k := range []string{"userName", "displayName", "externalId"} {
					if s, ok := doc[k].(string); ok && len(s) >= 3 {
						rp.names[s] = ""
					}
				}
			}
		}
	}
	for _, e := range rc.Entries {
		rel, ok := relPath(e.Path)
		if !ok {
			continue
		}
		e := e
		st := scenario.Step{
			Name:   fmt.Sprintf("#%d %s %s", e.Seq, e.Method, rel),
			Clause: "replay: as recorded",
			Source: filepath.Base(rc.File),
			Build:  func(v scenario.Vars) (client.Request, error) { return rp.build(e, rel, v) },
			Check:  func(ex *wire.Exchange, v scenario.Vars) error { return rp.check(e, ex, v) },
			Expect: []scenario.Expectation{
				scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error { return checkTotal(e, ex) }).At(rp.totalLevel(e)),
			},
		}
		sc.Steps = append(sc.Steps, st)
	}
	return sc
}

type replayer struct {
	mu sync.Mutex
	// ids maps a recorded id to the id the target gave ("" until known).
	ids map[string]string
	// names maps a recorded name to its prefixed form ("" until the prefix
	// is known).
	names map[string]string
}

// totalLevel is how much a list's totalResults must match: MUST when the
// filter names a marked name (only the replay's own data can match it),
// SHOULD otherwise (a shared server holds other data).
func (rp *replayer) totalLevel(e record.Entry) scenario.Level {
	q, _ := url.ParseQuery(e.Query)
	f := q.Get("filter")
	for n := range rp.names {
		if f != "" && strings.Contains(f, n) {
			return scenario.Must
		}
	}
	return scenario.Should
}

// relPath is a recorded path relative to the SCIM base URL.
func relPath(p string) (string, bool) {
	i := strings.Index(p, "/scim/v2")
	if i < 0 {
		return "", false
	}
	rel := p[i+len("/scim/v2"):]
	if rel == "" {
		rel = "/"
	}
	return rel, true
}

func isCollection(rel string) bool {
	segs := strings.Split(strings.Trim(rel, "/"), "/")
	return len(segs) == 1 && (strings.EqualFold(segs[0], "Users") || strings.EqualFold(segs[0], "Groups"))
}

// subst maps recorded strings in s to the replay's: ids exactly, names
// case-insensitively (IdPs look users up with the case changed, and SCIM
// compares userName without case) keeping the case found. escapes give the
// encoded forms to look for as well (a query's %20 or '+').
func (rp *replayer) subst(s string, prefix string, escapes ...func(string) string) string {
	type pair struct {
		from, to string
		name     bool
	}
	var ps []pair
	add := func(from, to string, name bool) {
		if from == "" || from == to || (!name && to == "") {
			return
		}
		seen := map[string]bool{}
		for _, esc := range append([]func(string) string{nil}, escapes...) {
			f, t := from, to
			if esc != nil {
				f, t = esc(from), esc(to)
			}
			if !seen[f] {
				seen[f] = true
				ps = append(ps, pair{f, t, name})
			}
		}
	}
	rp.mu.Lock()
	for rec, got := range rp.ids {
		add(rec, got, false)
	}
	if prefix != "" {
		for n := range rp.names {
			add(n, "", true)
		}
	}
	rp.mu.Unlock()
	if len(ps) == 0 {
		return s
	}
	// Longest first, so that a string containing another is replaced whole.
	sort.SliceStable(ps, func(i, j int) bool { return len(ps[i].from) > len(ps[j].from) })
	var b strings.Builder
	for i := 0; i < len(s); {
		matched := false
		for _, p := range ps {
			if len(s)-i < len(p.from) {
				continue
			}
			seg := s[i : i+len(p.from)]
			switch {
			case p.name && strings.EqualFold(seg, p.from):
				b.WriteString(prefix + "-" + seg)
			case !p.name && seg == p.from:
				b.WriteString(p.to)
			default:
				continue
			}
			i += len(p.from)
			matched = true
			break
		}
		if !matched {
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String()
}

func (rp *replayer) build(e record.Entry, rel string, v scenario.Vars) (client.Request, error) {
	prefix, _ := v["prefix"].(string)
	method := strings.ToUpper(e.Method)
	segs := strings.Split(strings.Trim(rel, "/"), "/")
	if len(segs) >= 2 && (method == http.MethodPut || method == http.MethodPatch || method == http.MethodDelete) {
		id, err := url.PathUnescape(segs[1])
		if err != nil {
			id = segs[1]
		}
		rp.mu.Lock()
		got := rp.ids[id]
		rp.mu.Unlock()
		if got == "" {
			return client.Request{}, scenario.Skipf("%s %s changes %q, a resource the replay did not create (no recorded answer gave that id)", e.Method, rel, id)
		}
	}
	path := rp.subst(rel, prefix, url.PathEscape)
	if e.Query != "" {
		path += "?" + rp.subst(e.Query, prefix, url.QueryEscape, func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }, url.PathEscape)
	}
	req := client.Request{Method: method, Path: path, Headers: map[string]string{}}
	if len(e.Request.Body) > 0 {
		req.RawBody = []byte(rp.subst(string(e.Request.Body), prefix))
		if ct := e.Request.Header.Get("Content-Type"); ct != "" {
			req.ContentType = ct
		}
	}
	for _, h := range []string{"Accept", "User-Agent"} {
		if val := e.Request.Header.Get(h); val != "" {
			req.Headers[h] = val
		}
	}
	if e.Response.Status == http.StatusUnauthorized {
		// Refused as recorded: resend the recorded (redacted) credentials.
		req.Headers["Authorization"] = e.Request.Header.Get("Authorization")
	}
	if method == http.MethodPost && isCollection(rel) && prefix != "" && !bytes.Contains(req.RawBody, []byte(prefix)) {
		return req, scenario.Skipf("POST %s: the body has no userName, displayName or externalId to mark with the run prefix, so it cannot be replayed safely", rel)
	}
	return req, nil
}

// check judges the answer against the recorded one and learns ids.
func (rp *replayer) check(e record.Entry, ex *wire.Exchange, v scenario.Vars) error {
	want, got := e.Response.Status, ex.Status()
	var problems []string
	if want/100 != got/100 {
		problems = append(problems, fmt.Sprintf("status %d, the recording had %d (%dxx expected)", got, want, want/100))
	}
	recDoc := jsonObject(e.Response.Body)
	gotDoc := jsonObject(ex.Response.Body)
	rp.learn(recDoc, gotDoc)
	if want/100 == 2 && got/100 == 2 && recDoc != nil {
		prefix, _ := v["prefix"].(string)
		for _, k := range []string{"userName", "displayName", "externalId", "active"} {
			rv, ok := recDoc[k]
			if !ok {
				continue
			}
			if s, isStr := rv.(string); isStr {
				rv = rp.subst(s, prefix)
			}
			gv, ok := gotDoc[k]
			if !ok || fmt.Sprint(gv) != fmt.Sprint(rv) {
				problems = append(problems, fmt.Sprintf("%s is %s, the recording had %s", k, show(gv, ok), show(rv, true)))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// checkTotal compares a list's totalResults with the recorded one.
func checkTotal(e record.Entry, ex *wire.Exchange) error {
	if e.Response.Status/100 != 2 || ex.Status()/100 != 2 {
		return nil
	}
	rec, got := jsonObject(e.Response.Body), jsonObject(ex.Response.Body)
	rt, ok := rec["totalResults"]
	if !ok || got == nil {
		return nil
	}
	if fmt.Sprint(got["totalResults"]) != fmt.Sprint(rt) {
		return fmt.Errorf("totalResults is %s, the recording had %s (the target may hold other data)", show(got["totalResults"], true), show(rt, true))
	}
	return nil
}

func show(v any, ok bool) string {
	if !ok {
		return "missing"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// learn maps the ids of a recorded answer to the target's: the resource's
// own id, and a list's Resources by position.
func (rp *replayer) learn(rec, got map[string]any) {
	if rec == nil || got == nil {
		return
	}
	rp.mu.Lock()
	defer rp.mu.Unlock()
	pair := func(r, g map[string]any) {
		rid, _ := r["id"].(string)
		gid, _ := g["id"].(string)
		if rid != "" && gid != "" && rp.ids[rid] == "" {
			rp.ids[rid] = gid
		}
	}
	pair(rec, got)
	rr, _ := rec["Resources"].([]any)
	gr, _ := got["Resources"].([]any)
	for i := range min(len(rr), len(gr)) {
		r, _ := rr[i].(map[string]any)
		g, _ := gr[i].(map[string]any)
		if r != nil && g != nil {
			pair(r, g)
		}
	}
}

func jsonObject(b []byte) map[string]any {
	var m map[string]any
	if json.Unmarshal(bytes.TrimSpace(b), &m) != nil {
		return nil
	}
	return m
}
