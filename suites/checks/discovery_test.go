package checks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/server/broken"
	"github.com/scimharness/scimharness/suites/checks"
)

// TestDiscoveryReadsEveryDeclaredEntry: the by-id checks read every entry
// the reference server lists — the steps come from the target's own
// /ResourceTypes and /Schemas, not from a list in the harness — and those
// steps are graded by their clauses' keywords too (TestLevelIsTheClauseKeyword
// sees only the fixed steps).
func TestDiscoveryReadsEveryDeclaredEntry(t *testing.T) {
	ctx := context.Background()
	tg, err := target.Open(ctx, target.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	ids := func(path, key string) []string {
		ex, err := tg.Client.Do(ctx, client.Request{Method: http.MethodGet, Path: path})
		if err != nil {
			t.Fatal(err)
		}
		var list struct{ Resources []map[string]any }
		if err := json.Unmarshal(ex.Response.Body, &list); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range list.Resources {
			out = append(out, fmt.Sprint(r[key]))
		}
		return out
	}
	types, schemas := ids("/ResourceTypes", "id"), ids("/Schemas", "id")
	if len(types) < 2 || len(schemas) < 3 {
		t.Fatalf("the reference server lists resource types %v and schemas %v", types, schemas)
	}
	want := map[string][]string{}
	for _, id := range types {
		want["discovery/resource-types-by-id"] = append(want["discovery/resource-types-by-id"], "GET /ResourceTypes/"+id)
	}
	for _, id := range schemas {
		want["discovery/schemas-by-id"] = append(want["discovery/schemas-by-id"], "GET /Schemas/"+id)
		want["discovery/resource-type-schemas"] = append(want["discovery/resource-type-schemas"], "GET /Schemas/"+id)
	}
	var expanded []checks.Check
	for id, steps := range want {
		c, ok := checks.ByID(id)
		if !ok {
			t.Fatalf("no check %s", id)
		}
		sc := c.ScenarioFor(ctx, tg)
		if err := sc.Validate(); err != nil {
			t.Errorf("%s as run: %v", id, err)
		}
		var names []string
		for _, st := range sc.Steps {
			names = append(names, st.Name)
		}
		for _, s := range steps {
			if !slices.Contains(names, s) {
				t.Errorf("%s has no step %q; steps: %v", id, s, names)
			}
		}
		expanded = append(expanded, checks.Check{ID: id, Steps: sc.Steps})
	}
	for _, p := range levelProblems(gradings(expanded), clauseKeyword) {
		t.Error(p)
	}
}

// TestDiscoveryVariants runs one discovery check against the reference
// server with one change each: the legal variants pass (501 for a write,
// a feature declared unsupported that answers as the RFC says), and the
// defects beyond the bug catalog's are seen, at their clause's level.
func TestDiscoveryVariants(t *testing.T) {
	isWrite := func(r *http.Request) bool {
		for _, e := range []string{"/ServiceProviderConfig", "/ResourceTypes", "/Schemas"} {
			if strings.HasSuffix(r.URL.Path, e) && r.Method != http.MethodGet {
				return true
			}
		}
		return false
	}
	isSPC := func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/ServiceProviderConfig")
	}
	isPatch := func(r *http.Request) bool {
		return r.Method == http.MethodPatch && strings.Contains(r.URL.Path, "/Users/")
	}
	isBulk := func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/Bulk") }
	set := func(path string, v any) func(map[string]any) {
		return func(doc map[string]any) {
			k, sub, _ := strings.Cut(path, ".")
			m, _ := doc[k].(map[string]any)
			m[sub] = v
		}
	}
	tests := []struct {
		name, check string
		wrap        func(http.Handler) http.Handler
		want        scenario.Status
		says        string // in a message of a result that is not a pass
	}{
		{"writes answered 501", "discovery/writes-refused",
			answering(isWrite, http.StatusNotImplemented), scenario.Pass, ""},
		{"writes answered 403", "discovery/writes-refused",
			answering(isWrite, http.StatusForbidden), scenario.Pass, ""},
		{"writes answered 500", "discovery/writes-refused",
			answering(isWrite, http.StatusInternalServerError), scenario.Fail, "answered 500"},
		{"PUT /ServiceProviderConfig answered 200", "discovery/writes-refused",
			answering(func(r *http.Request) bool { return isWrite(r) && r.Method == http.MethodPut }, http.StatusOK), scenario.Fail, "answered 200"},
		{"patch declared unsupported, PATCH answers 501", "discovery/spc-claims",
			chain(editing(isSPC, set("patch.supported", false)), answering(isPatch, http.StatusNotImplemented)), scenario.Pass, ""},
		{"patch declared unsupported, PATCH answers 400", "discovery/spc-claims",
			chain(editing(isSPC, set("patch.supported", false)), answering(isPatch, http.StatusBadRequest)), scenario.Warn, "should answer 501, not 400"},
		{"bulk declared unsupported, /Bulk answers 404", "discovery/spc-claims",
			chain(editing(isSPC, set("bulk.supported", false)), answering(isBulk, http.StatusNotFound)), scenario.Pass, ""},
		{"bulk declared supported, /Bulk answers 501", "discovery/spc-claims",
			answering(isBulk, http.StatusNotImplemented), scenario.Fail, "declares the operation supported, but it answered 501"},
		{"filter supported with maxResults 0", "discovery/spc-claims",
			editing(isSPC, set("filter.maxResults", 0)), scenario.Fail, "filter.maxResults is 0"},
		{"a schema by id with another mutability", "discovery/schemas-by-id",
			editing(func(r *http.Request) bool {
				return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")
			}, func(doc map[string]any) {
				attrs, _ := doc["attributes"].([]any)
				for _, a := range attrs {
					if m, _ := a.(map[string]any); m["name"] == "title" {
						m["mutability"] = "readOnly"
					}
				}
			}), scenario.Warn, "title is"},
		{"a schema by id with its attributes in another order", "discovery/schemas-by-id",
			editing(func(r *http.Request) bool {
				return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/Schemas/")
			}, func(doc map[string]any) {
				attrs, _ := doc["attributes"].([]any)
				slices.Reverse(attrs)
			}), scenario.Pass, ""},
		{"resource types without the OPTIONAL id, read by name", "discovery/resource-types-by-id",
			editing(func(r *http.Request) bool {
				return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/ResourceTypes")
			}, func(doc map[string]any) {
				delete(doc, "id")
				rs, _ := doc["Resources"].([]any)
				for _, r := range rs {
					delete(r.(map[string]any), "id")
				}
			}), scenario.Pass, ""},
		{"/Schemas lacks the enterprise extension a resource type names", "discovery/resource-type-schemas",
			editing(func(r *http.Request) bool {
				return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/Schemas")
			}, func(doc map[string]any) {
				rs, _ := doc["Resources"].([]any)
				doc["Resources"] = slices.DeleteFunc(rs, func(r any) bool {
					m, _ := r.(map[string]any)
					return strings.Contains(fmt.Sprint(m["id"]), "enterprise")
				})
			}), scenario.Fail, "which /Schemas does not list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := broken.Handler(&broken.Bug{Name: tc.name, Wrap: tc.wrap}, "tok")
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(h)
			defer ts.Close()
			ctx := context.Background()
			tg, err := target.Open(ctx, target.Config{BaseURL: ts.URL + "/scim/v2", Token: "tok"})
			if err != nil {
				t.Fatal(err)
			}
			c, ok := checks.ByID(tc.check)
			if !ok {
				t.Fatalf("no check %s", tc.check)
			}
			rs := c.Run(ctx, tg)
			var msgs []string
			for _, r := range rs {
				if r.Status != scenario.Pass {
					msgs = append(msgs, r.Step+": "+r.Status.String()+": "+r.Message)
				}
			}
			if got := checks.Verdict(rs); got != tc.want {
				t.Errorf("%s is %s, want %s:\n%s", tc.check, got, tc.want, strings.Join(msgs, "\n"))
			}
			if all := strings.Join(msgs, "\n"); tc.says != "" && !strings.Contains(all, tc.says) {
				t.Errorf("no message says %q:\n%s", tc.says, all)
			}
		})
	}
}

// answering answers the requests match selects with status and, for an
// error, an RFC 7644 §3.12 body; a 2xx echoes nothing but {}.
func answering(match func(*http.Request) bool, status int) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !match(r) {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/scim+json")
			w.WriteHeader(status)
			if status < 400 {
				w.Write([]byte("{}"))
				return
			}
			fmt.Fprintf(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"%d","detail":"%s"}`, status, http.StatusText(status))
		})
	}
}

// editing lets edit change the JSON answers to the requests match selects.
func editing(match func(*http.Request) bool, edit func(map[string]any)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !match(r) {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var doc map[string]any
			body := rec.Body.Bytes()
			if json.Unmarshal(body, &doc) == nil {
				edit(doc)
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

// chain applies wraps, the first outermost.
func chain(wraps ...func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		for i := len(wraps) - 1; i >= 0; i-- {
			next = wraps[i](next)
		}
		return next
	}
}
