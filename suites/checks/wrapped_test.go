package checks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/store/memory"
	"github.com/scimharness/scimharness/suites/checks"
)

// The broken servers of server/broken do not cover every check. These
// wrappers give the reference server one bug each, in front of it, so that
// each remaining check is seen to fail against the bug it is meant to see.

// wrapped is the reference server with one bug.
type wrapped struct {
	name string
	mw   func(http.Handler) http.Handler
	// fail are checks that must fail; warn are SHOULD checks that must
	// warn (and not fail).
	fail, warn []string
}

var wrappedBugs = []wrapped{
	{"bulk-ignores-fail-on-errors", rewriteRequest(isBulk, func(doc map[string]any) { delete(doc, "failOnErrors") }),
		[]string{"bulk/fail-on-errors"}, nil},
	{"bulk-advertises-too-few-operations", rewriteResponse(path("/ServiceProviderConfig"), func(doc map[string]any) {
		doc["bulk"].(map[string]any)["maxOperations"] = 2
	}), []string{"bulk/max-operations"}, nil},
	{"bulk-ignores-bulk-ids", rewriteRawRequest(isBulk, func(b []byte) []byte {
		return regexp.MustCompile(`"bulkId:`).ReplaceAll(b, []byte(`"bulkId:undefined-`))
	}), []string{"bulk/group-before-members", "bulk/circular-reference", "bulk/create-with-bulk-id"}, nil},
	{"no-groups-search", answer(func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/Groups/.search") }, http.StatusNotFound),
		[]string{"search/groups"}, nil},
	{"refuses-password-patch", answer(func(r *http.Request) bool { return r.Method == http.MethodPatch && bodyHas(r, `"password"`) }, http.StatusBadRequest),
		[]string{"password/change"}, nil},
	{"answers-application-json", func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			copyHeader(w, rec)
			if rec.Body.Len() > 0 {
				w.Header().Set("Content-Type", "application/json")
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
		})
	}, []string{"content/every-answer-media-type", "content/response-media-type"}, nil},
	{"me-404", answer(func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/Me") }, http.StatusNotFound),
		nil, []string{"me/get"}},
	{"keeps-primary-as-string", rewriteResponse(isUsers, func(doc map[string]any) {
		eachRole(doc, func(r map[string]any) {
			if r["primary"] == true {
				r["primary"] = "True"
			}
		})
	}), []string{"roles/primary-string-true"}, nil},
	{"stores-two-primaries", twoPrimaries, []string{"roles/two-primaries"}, nil},
	{"parses-json-role-values", rewriteResponse(isUsers, func(doc map[string]any) {
		eachRole(doc, func(r map[string]any) {
			var v any
			if s, ok := r["value"].(string); ok && strings.HasPrefix(s, "{") && json.Unmarshal([]byte(s), &v) == nil {
				r["value"] = v
			}
		})
	}), []string{"roles/json-string-value"}, nil},
	{"ignores-string-primary-filter", answer(func(r *http.Request) bool {
		return r.Method == http.MethodPatch && bodyHas(r, `primary eq \"True\"`)
	}, http.StatusNoContent), []string{"roles/change-primary-string-filter"}, nil},
}

func TestWrappedServersFailNamingTheBug(t *testing.T) {
	ctx := context.Background()
	for _, wb := range wrappedBugs {
		t.Run(wb.name, func(t *testing.T) {
			ts := httptest.NewServer(wb.mw(reference(t)))
			defer ts.Close()
			tg, err := target.Open(ctx, target.Config{BaseURL: ts.URL + "/scim/v2", Token: refToken})
			if err != nil {
				t.Fatal(err)
			}
			status := map[string]scenario.Status{}
			var ids []string
			for _, c := range checks.All() {
				if slices.Contains(wb.fail, c.ID) || slices.Contains(wb.warn, c.ID) {
					ids = append(ids, c.ID)
				}
			}
			if len(ids) != len(wb.fail)+len(wb.warn) {
				t.Fatalf("checks %v, %v: some do not exist", wb.fail, wb.warn)
			}
			for _, id := range ids {
				c, _ := checks.ByID(id)
				o := checks.Outcome{Check: c, Results: c.Run(ctx, tg)}
				status[id] = o.Status()
				for _, r := range o.Results {
					if r.Status >= scenario.Warn {
						t.Logf("%s / %s: %s: %s", id, r.Step, r.Status, firstLine(r.Message))
					}
				}
			}
			for _, id := range wb.fail {
				if status[id] < scenario.Fail {
					t.Errorf("check %s is %s against %s, not fail", id, status[id], wb.name)
				}
			}
			for _, id := range wb.warn {
				if status[id] != scenario.Warn {
					t.Errorf("check %s is %s against %s, not warn", id, status[id], wb.name)
				}
			}
		})
	}
}

const refToken = "wrapped-token"

// reference is the reference server (strict, memory store).
func reference(t *testing.T) http.Handler {
	t.Helper()
	tenants := server.NewTenants()
	if err := tenants.Add(server.DefaultTenant, server.HashToken(refToken)); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: memory.New(), Tenants: tenants, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func isBulk(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/Bulk") }

func isUsers(r *http.Request) bool { return strings.Contains(r.URL.Path, "/Users") }

func path(suffix string) func(*http.Request) bool {
	return func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, suffix) }
}

// bodyHas reports whether the request body holds s, leaving it readable.
func bodyHas(r *http.Request, s string) bool {
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	return bytes.Contains(b, []byte(s))
}

// answer answers matching requests with a SCIM error of code (no body for
// a 204) instead of serving them.
func answer(match func(*http.Request) bool, code int) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !match(r) {
				h.ServeHTTP(w, r)
				return
			}
			if code == http.StatusNoContent {
				w.WriteHeader(code)
				return
			}
			w.Header().Set("Content-Type", "application/scim+json")
			w.WriteHeader(code)
			json.NewEncoder(w).Encode(map[string]any{"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:Error"}, "status": strconv.Itoa(code), "detail": "wrapped bug"})
		})
	}
}

func rewriteRawRequest(match func(*http.Request) bool, f func([]byte) []byte) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if match(r) && r.Body != nil {
				b, _ := io.ReadAll(r.Body)
				b = f(b)
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
			}
			h.ServeHTTP(w, r)
		})
	}
}

func rewriteRequest(match func(*http.Request) bool, f func(map[string]any)) func(http.Handler) http.Handler {
	return rewriteRawRequest(match, func(b []byte) []byte {
		var doc map[string]any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if d.Decode(&doc) != nil {
			return b
		}
		f(doc)
		out, _ := json.Marshal(doc)
		return out
	})
}

// rewriteResponse changes the JSON answers to matching requests.
func rewriteResponse(match func(*http.Request) bool, f func(map[string]any)) func(http.Handler) http.Handler {
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
			if rec.Code < 300 && d.Decode(&doc) == nil {
				f(doc)
				body, _ = json.Marshal(doc)
			}
			copyHeader(w, rec)
			w.Header().Del("Content-Length")
			w.WriteHeader(rec.Code)
			w.Write(body)
		})
	}
}

func copyHeader(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
}

// eachRole calls f on every role of a user, or of every user of a list.
func eachRole(doc map[string]any, f func(map[string]any)) {
	docs := []any{doc}
	if rs, ok := doc["Resources"].([]any); ok {
		docs = rs
	}
	for _, d := range docs {
		m, _ := d.(map[string]any)
		roles, _ := m["roles"].([]any)
		for _, r := range roles {
			if rm, ok := r.(map[string]any); ok {
				f(rm)
			}
		}
	}
}

// twoPrimaries stores a user with two primary roles as if it had kept
// both: the reference server is sent one, and its answer shows both.
func twoPrimaries(h http.Handler) http.Handler {
	strip := rewriteRequest(isUsers, func(doc map[string]any) {
		n := 0
		eachRole(doc, func(r map[string]any) {
			if r["primary"] == true {
				if n++; n > 1 {
					delete(r, "primary")
				}
			}
		})
	})
	show := rewriteResponse(func(r *http.Request) bool { return r.Method == http.MethodPost && isUsers(r) }, func(doc map[string]any) {
		eachRole(doc, func(r map[string]any) { r["primary"] = true })
	})
	return strip(show(h))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
