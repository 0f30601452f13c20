package checks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/store/memory"
	"github.com/scimharness/scimharness/suites/checks"
)

// The checks issue 16 changed, each against the reference server with one
// behaviour changed in front of it: a bug the check must fail on, or a
// legal variation it must not fail on (with the label it must get).

const verdictToken = "verdicts-token"

func verdictServer(t *testing.T, mw func(http.Handler) http.Handler) *target.Target {
	t.Helper()
	tenants := server.NewTenants()
	if err := tenants.Add(server.DefaultTenant, server.HashToken(verdictToken)); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: memory.New(), Tenants: tenants, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = srv
	if mw != nil {
		h = mw(srv)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	tg, err := target.Open(context.Background(), target.Config{BaseURL: ts.URL + "/scim/v2", Token: verdictToken})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

// alterAnswer rewrites the JSON answer (any status) to matching requests.
func alterAnswer(match func(*http.Request) bool, f func(code int, doc map[string]any)) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !match(r) {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			var doc map[string]any
			d := json.NewDecoder(bytes.NewReader(body))
			d.UseNumber()
			if d.Decode(&doc) == nil {
				f(rec.Code, doc)
				body, _ = json.Marshal(doc)
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Del("Content-Length")
			w.WriteHeader(rec.Code)
			w.Write(body)
		})
	}
}

// alterRequest rewrites the JSON body of matching requests.
func alterRequest(match func(*http.Request) bool, f func(doc map[string]any)) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if match(r) && r.Body != nil {
				b, _ := io.ReadAll(r.Body)
				var doc map[string]any
				if json.Unmarshal(b, &doc) == nil {
					f(doc)
					b, _ = json.Marshal(doc)
				}
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
			}
			h.ServeHTTP(w, r)
		})
	}
}

// refuseWith answers matching requests with a SCIM error 400 saying detail.
func refuseWith(match func(*http.Request) bool, detail string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !match(r) {
				h.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/scim+json")
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]any{"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:Error"}, "status": "400", "detail": detail})
		})
	}
}

// peek reports whether the request body holds s, leaving it readable.
func peek(r *http.Request, s string) bool {
	if r.Body == nil {
		return false
	}
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	return bytes.Contains(b, []byte(s))
}

func method(m, pathPart string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == m && strings.Contains(r.URL.Path, pathPart) }
}

func anyRequest(*http.Request) bool { return true }

func isList(r *http.Request) bool {
	return r.Method == http.MethodGet && (strings.HasSuffix(r.URL.Path, "/Users") || strings.HasSuffix(r.URL.Path, "/Groups"))
}

// alterFilter rewrites the filter of GET /Users requests.
func alterFilter(f func(string) string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if q := r.URL.Query(); r.Method == http.MethodGet && q.Has("filter") {
				if nf := f(q.Get("filter")); nf == "" {
					q.Del("filter")
				} else {
					q.Set("filter", nf)
				}
				r.URL.RawQuery = q.Encode()
			}
			h.ServeHTTP(w, r)
		})
	}
}

// scoped reports whether filter f is the prefix-scoped compound form
// (userName sw "…" and (…)) that the filter checks send first.
func scoped(f string) bool { return strings.Contains(f, `sw "`) && strings.Contains(f, " and (") }

// refuseScoped answers the scoped compound form with 400.
func refuseScoped(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if scoped(r.URL.Query().Get("filter")) {
			refuseWith(anyRequest, "unsupported filter")(h).ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// unscopedList matches a GET /Users with a filter that is not the scoped
// form.
func unscopedList(r *http.Request) bool {
	f := r.URL.Query().Get("filter")
	return isList(r) && f != "" && !scoped(f)
}

// beyondFirstPage makes a list answer the first page of 100,000 matches,
// holding none of those asked for, as a server holding that many would.
func beyondFirstPage(code int, doc map[string]any) {
	if code == http.StatusOK {
		doc["totalResults"], doc["itemsPerPage"], doc["Resources"] = 100000, 0, []any{}
	}
}

func TestChangedChecksFailTheirBugAndPassLegalVariations(t *testing.T) {
	tests := []struct {
		name string
		mw   func(http.Handler) http.Handler
		// want is check → the label it must get (Outcome.Label).
		want map[string]string
	}{
		{"the reference server", nil, map[string]string{
			"crud/missing-username": "pass", "errors/invalid-json": "pass", "errors/mutability": "pass", "crud/put-replaces": "pass",
			"errors/not-found": "pass", "errors/unauthorized": "pass", "filter/no-match": "pass", "filter/groups-displayname": "pass",
			"paging/edge-start-index-0": "pass", "search/root": "pass", "roles/two-primaries": "pass", "roles/primary-string-true": "pass",
			"filter/scoped-compound": "pass", "filter/and": "pass", "filter/or": "pass", "filter/attribute-case": "pass",
		}},
		// scimType is OPTIONAL (RFC 7644 §3.12) but where a clause
		// demands it: §3.3 uniqueness, §3.5.2.2 noTarget.
		{"errors without scimType", alterAnswer(anyRequest, func(code int, doc map[string]any) {
			if code >= 400 {
				delete(doc, "scimType")
			}
		}), map[string]string{
			"crud/missing-username": "info", "errors/invalid-json": "info", "errors/mutability": "info", "filter/invalid": "info",
			"crud/duplicate-username": "fail", "patch/atomic": "fail",
		}},
		// One defect, one level: a numeric status fails everywhere.
		{"error status as a JSON number", alterAnswer(anyRequest, func(code int, doc map[string]any) {
			if code >= 400 {
				doc["status"] = code
			}
		}), map[string]string{"errors/not-found": "fail", "errors/unauthorized": "fail", "errors/unknown-endpoint": "fail"}},
		// A PUT that keeps the omitted title: the server MAY (§3.5.1).
		{"PUT keeps an omitted attribute", alterRequest(method(http.MethodPut, "/Users/"), func(doc map[string]any) {
			if _, ok := doc["title"]; !ok {
				doc["title"] = "Engineer"
			}
		}), map[string]string{"crud/put-replaces": "info"}},
		// A PUT that does not replace: a failure, and its read-back is
		// blocked rather than failed a second time.
		{"PUT ignores the new displayName", alterRequest(method(http.MethodPut, "/Users/"), func(doc map[string]any) {
			doc["displayName"] = "Bob"
		}), map[string]string{"crud/put-replaces": "fail"}},
		// startIndex 0 on a complete list: one level (SHOULD) in both.
		{"startIndex 0 on complete lists", alterAnswer(isList, func(code int, doc map[string]any) {
			doc["startIndex"] = 0
		}), map[string]string{"filter/no-match": "warn", "filter/groups-displayname": "warn", "paging/count": "fail"}},
		// startIndex and itemsPerPage are REQUIRED only for partial
		// results (§3.4.2).
		{"no startIndex or itemsPerPage", alterAnswer(isList, func(code int, doc map[string]any) {
			delete(doc, "startIndex")
			delete(doc, "itemsPerPage")
		}), map[string]string{"filter/no-match": "pass", "filter/groups-displayname": "pass", "paging/edge-start-index-0": "pass", "paging/count": "fail", "paging/beyond-end": "fail"}},
		// The subject of paging/edge-start-index-0 is the page, not
		// itemsPerPage.
		{"a wrong itemsPerPage on a complete list", alterAnswer(isList, func(code int, doc map[string]any) {
			if doc["itemsPerPage"] != nil && doc["totalResults"] == json.Number("3") && len(doc["Resources"].([]any)) == 3 {
				doc["itemsPerPage"] = 100
			}
		}), map[string]string{"paging/edge-start-index-0": "warn"}},
		{"startIndex=0 read as an empty page", alterAnswer(func(r *http.Request) bool { return isList(r) && r.URL.Query().Get("startIndex") == "0" }, func(code int, doc map[string]any) {
			doc["Resources"] = []any{}
		}), map[string]string{"paging/edge-start-index-0": "fail"}},
		// Root search is a MAY: not served is an info, recorded as such.
		{"no root /.search", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/v2/.search") {
					r.URL.Path = "/scim/v2/NoSuchEndpoint/.search"
				}
				h.ServeHTTP(w, r)
			})
		}, map[string]string{"search/root": "info"}},
		{"root /.search finds nobody", alterAnswer(method(http.MethodPost, "/v2/.search"), func(code int, doc map[string]any) {
			doc["Resources"], doc["totalResults"] = []any{}, 0
		}), map[string]string{"search/root": "fail"}},
		// Two primaries: a refusal for another reason is not the refusal
		// asked for; the check is blocked, never passed.
		{`every user without emails refused ("'emails' is required")`, refuseWith(func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/Users") && !peek(r, `"emails"`)
		}, "'emails' is required"), map[string]string{"roles/two-primaries": "blocked", "roles/primary-string-true": "blocked"}},
		// ... and a bare 400 to two primaries, when one primary is
		// accepted, is theirs.
		{"two primaries refused without naming them", refuseWith(func(r *http.Request) bool {
			return r.Method == http.MethodPost && peek(r, `"value":"B"`) && peek(r, `{"primary":true,"value":"B"}`)
		}, "bad request"), map[string]string{"roles/two-primaries": "info"}}, // info: no scimType (OPTIONAL)
		// The primary-role PATCH: refused for another reason is no answer
		// to it; refused naming its filter is a legal answer.
		{"the primary-role PATCH refused for another reason", refuseWith(func(r *http.Request) bool {
			return r.Method == http.MethodPatch && peek(r, `roles[primary eq \"True\"].value`)
		}, "'emails' is required"), map[string]string{"roles/change-primary-string-filter": "fail"}},
		{"the primary-role PATCH refused naming its filter", refuseWith(func(r *http.Request) bool {
			return r.Method == http.MethodPatch && peek(r, `roles[primary eq \"True\"].value`)
		}, `the filter primary eq "True" compares a boolean with a string`), map[string]string{"roles/change-primary-string-filter": "pass"}},
		// Filters are tested alone: a server that cannot parse the
		// prefix-scoped compound form fails that check only.
		{"the scoped compound form refused", refuseScoped, map[string]string{"filter/attribute-case": "pass", "filter/and": "pass", "filter/or": "pass", "filter/eq": "pass", "filter/scoped-compound": "fail"}},
		{"the filter ignored", alterFilter(func(string) string { return "" }), map[string]string{"filter/eq": "fail", "filter/and": "fail", "filter/scoped-compound": "fail"}},
		{"and read as its left side", alterFilter(func(f string) string { l, _, _ := strings.Cut(f, " and "); return l }), map[string]string{"filter/and": "fail", "filter/or": "pass"}},
		{"or read as and", alterFilter(func(f string) string { return strings.ReplaceAll(f, " or ", " and ") }), map[string]string{"filter/or": "fail", "filter/and": "pass", "filter/attribute-case": "fail"}},
		{"ne read as eq", alterFilter(func(f string) string { return strings.ReplaceAll(f, " ne ", " eq ") }), map[string]string{"filter/ne": "fail", "filter/eq": "pass"}},
		// A populated server: the unscoped filters match more users than a
		// page holds, and the check's own are not on the first page. The
		// scoped form, sent first, still judges them; without it (refused),
		// nothing can be judged, and the check skips rather than fails.
		{"a populated server", alterAnswer(unscopedList, beyondFirstPage), map[string]string{
			"filter/ne": "pass", "filter/pr": "pass", "filter/not": "pass", "filter/value-path": "pass", "filter/case-exact": "pass",
		}},
		{"a populated server refusing the scoped form", func(h http.Handler) http.Handler {
			return alterAnswer(unscopedList, beyondFirstPage)(refuseScoped(h))
		}, map[string]string{"filter/ne": "skip", "filter/pr": "skip", "filter/scoped-compound": "fail"}},
		// RFC 7644 §3.3: the body SHOULD hold the resource, the Location
		// header SHALL be there.
		{"a created user's body without meta.resourceType", alterAnswer(method(http.MethodPost, "/Users"), func(code int, doc map[string]any) {
			if m, ok := doc["meta"].(map[string]any); ok && code == http.StatusCreated {
				delete(m, "resourceType")
			}
		}), map[string]string{"crud/create-user": "warn"}},
		{"no Location header on a create", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				for k, v := range rec.Header() {
					if k != "Location" {
						w.Header()[k] = v
					}
				}
				w.WriteHeader(rec.Code)
				w.Write(rec.Body.Bytes())
			})
		}, map[string]string{"crud/create-user": "fail"}},
		// A relative Location is legal (RFC 7231 §7.1.2: a URI-reference,
		// resolved against the request URI), as the peer in ci/peer sends it.
		{"a relative Location header on a create", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				for k, v := range rec.Header() {
					w.Header()[k] = v
				}
				if loc := rec.Header().Get("Location"); loc != "" {
					w.Header().Set("Location", loc[strings.LastIndex(loc, "/Users/")+1:])
				}
				w.WriteHeader(rec.Code)
				w.Write(rec.Body.Bytes())
			})
		}, map[string]string{"crud/create-user": "pass"}},
		// A failed set-up blocks the subject: not a failure of PUT.
		{"creates of the put-replaces user fail", refuseWith(func(r *http.Request) bool {
			return r.Method == http.MethodPost && peek(r, "-put-bob")
		}, "refused"), map[string]string{"crud/put-replaces": "blocked"}},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := verdictServer(t, tt.mw)
			for id, want := range tt.want {
				c, ok := checks.ByID(id)
				if !ok {
					t.Fatalf("no check %s", id)
				}
				o := checks.Outcome{Check: c, Results: c.Run(ctx, tg)}
				if got := o.Label(); got != want {
					for _, r := range o.Results {
						t.Logf("%s / %s: %s: %s", id, r.Step, r.Status, r.Message)
					}
					t.Errorf("%s is %s, want %s", id, got, want)
				}
				if want == "blocked" && o.Worst() < scenario.Fail {
					t.Errorf("%s: blocked, but its root failure (%s) does not count as one", id, o.Worst())
				}
			}
		})
	}
}

// TestEdgeChecksDoNotSinkTheExitStatus: an rfc-edge failure leaves the run
// passing (README); the same failure in the rfc profile does not, nor does
// a failed set-up, nor an interrupted run.
func TestEdgeChecksDoNotSinkTheExitStatus(t *testing.T) {
	edge, _ := checks.ByID("paging/edge-count-0")
	core, _ := checks.ByID("paging/count")
	fail := []scenario.Result{{Step: "list", Status: scenario.Fail}}
	setupFail := []scenario.Result{{Step: "create u", Status: scenario.Fail, Setup: true}, {Step: "list", Status: scenario.Blocked, WaitsFor: "create u"}}
	incomplete := []scenario.Result{{Step: "list", Status: scenario.Incomplete}}
	pass := []scenario.Result{{Step: "list", Status: scenario.Pass}}
	tests := []struct {
		name string
		os   []checks.Outcome
		want bool
	}{
		{"an edge check fails", []checks.Outcome{{Check: edge, Results: fail}, {Check: core, Results: pass}}, true},
		{"a core check fails", []checks.Outcome{{Check: edge, Results: pass}, {Check: core, Results: fail}}, false},
		{"a core set-up fails", []checks.Outcome{{Check: core, Results: setupFail}}, false},
		{"interrupted", []checks.Outcome{{Check: core, Results: pass}, {Check: edge, Results: incomplete}}, false},
	}
	for _, tt := range tests {
		if got := checks.Passed(tt.os); got != tt.want {
			t.Errorf("%s: Passed = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestInterruptedRunAllIsIncomplete: checks not run when the context ends
// are returned as incomplete, and the run says how far it got.
func TestInterruptedRunAllIsIncomplete(t *testing.T) {
	tg := verdictServer(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs := checks.All()[:5]
	n := 0
	os := checks.RunAll(ctx, tg, cs, func(checks.Outcome) {
		if n++; n == 2 {
			cancel()
		}
	})
	if len(os) != len(cs) {
		t.Fatalf("%d outcomes for %d checks", len(os), len(cs))
	}
	run := checks.RunOf(os)
	if run.Complete() || run.String() != "interrupted after 2 of 5 checks" || checks.Passed(os) {
		t.Errorf("run %q, complete %v, passed %v", run, run.Complete(), checks.Passed(os))
	}
	for _, o := range os[2:] {
		if o.Status() != scenario.Incomplete {
			t.Errorf("%s is %s, not incomplete", o.Check.ID, o.Status())
		}
	}
	if v := checks.ProfileVerdict(os, checks.RFC); v != "incomplete" {
		t.Errorf("profile verdict %s", v)
	}
}
