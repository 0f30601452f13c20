package checks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/scimharness/scimharness/fixtures"
	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/broken"
	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/provider/builtin"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/servertest"
	"github.com/scimharness/scimharness/suites/checks"
)

// openSchemaTarget opens cfg and generates its schema checks.
func openSchemaTarget(t *testing.T, cfg target.Config) (*target.Target, []checks.Check) {
	t.Helper()
	ctx := context.Background()
	tg, err := target.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tg.Close)
	cs, err := checks.SchemaChecks(ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	return tg, cs
}

// TestSchemaChecksPassTheReferenceServer: every check generated from the
// reference server's own discovery passes it.
func TestSchemaChecksPassTheReferenceServer(t *testing.T) {
	tg, cs := openSchemaTarget(t, target.Config{})
	if len(cs) < 50 {
		t.Fatalf("only %d schema checks generated", len(cs))
	}
	for _, o := range checks.RunAll(context.Background(), tg, cs, nil) {
		for _, r := range o.Results {
			if r.Status >= scenario.Warn || r.Status == scenario.Skip || r.Status == scenario.Blocked {
				msg, _, _ := strings.Cut(r.Message, "\n")
				t.Errorf("%s / %s: %s: %s", o.Check.ID, r.Step, r.Status, msg)
			}
		}
	}
	// Everything the checks created is gone (the runner's cleanup).
	for _, ep := range []string{"/Users", "/Groups"} {
		ex, err := tg.Client.Do(context.Background(), client.Request{Method: http.MethodGet, Path: ep})
		if err != nil {
			t.Fatal(err)
		}
		if doc, _ := ex.JSON(); fmt.Sprint(doc["totalResults"]) != "0" {
			t.Errorf("%s holds %v resources after the run", ep, doc["totalResults"])
		}
	}
}

// TestSchemaChecksPassEveryProfile: for each built-in profile, the checks
// generated from the discovery that profile serves pass the reference
// server running it — a profile's /Schemas declares what it stores (Board
// its mapped attributes, Holaspirit its work phone and address), and a
// resource type clients may not create (Board's Permission Groups: 405)
// is skipped, not failed. A profile that serves no /ResourceTypes (Huddle,
// Humbol, as their services) gets no generated check, and says why.
func TestSchemaChecksPassEveryProfile(t *testing.T) {
	for _, name := range builtin.Names() {
		t.Run(name, func(t *testing.T) {
			pr, err := builtin.ByName(name)
			if err != nil {
				t.Fatal(err)
			}
			srv, err := servertest.NewServer(servertest.WithConfig(func(c *server.Config) { c.Providers = &provider.Map{Default: pr} }))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Close)
			ctx := context.Background()
			tg, err := target.Open(ctx, target.Config{BaseURL: srv.URL, Token: srv.Token})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(tg.Close)
			cs, err := checks.SchemaChecks(ctx, tg)
			if err != nil {
				if ex, _ := tg.Client.Do(ctx, client.Request{Method: http.MethodGet, Path: "/ResourceTypes"}); ex == nil || ex.Status() != http.StatusNotFound {
					t.Fatalf("no schema checks, and /ResourceTypes is served: %v", err)
				}
				t.Logf("no schema checks: %v", err)
				return
			}
			passed := 0
			for _, o := range checks.RunAll(ctx, tg, cs, nil) {
				if o.Status() == scenario.Pass {
					passed++
				}
				for _, r := range o.Results {
					if r.Status >= scenario.Warn {
						msg, _, _ := strings.Cut(r.Message, "\n")
						t.Errorf("%s / %s: %s: %s", o.Check.ID, r.Step, r.Status, msg)
					}
				}
			}
			if passed < 10 {
				t.Errorf("only %d of %d generated checks passed (the others skipped)", passed, len(cs))
			}
			t.Logf("%d generated checks, %d passed", len(cs), passed)
		})
	}
}

// serve starts the reference server with opts and opens it as a target.
func serve(t *testing.T, opts ...servertest.Option) (*target.Target, []checks.Check) {
	t.Helper()
	srv, err := servertest.NewServer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return openSchemaTarget(t, target.Config{BaseURL: srv.URL, Token: srv.Token})
}

// failures runs cs and returns "check / step: message" of every result
// that failed, by check ID.
func failures(t *testing.T, tg *target.Target, cs []checks.Check) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, o := range checks.RunAll(context.Background(), tg, cs, nil) {
		for _, r := range o.Results {
			if r.Status >= scenario.Fail {
				out[o.Check.ID] = append(out[o.Check.ID], r.Step+": "+r.Message)
			}
		}
	}
	return out
}

// rewrite is middleware changing every JSON answer with edit (the
// request, the decoded body, the answer's headers); a request body is
// given to before, which may change it.
func rewrite(before func(r *http.Request, body map[string]any), edit func(r *http.Request, doc map[string]any, h http.Header)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if before != nil && r.Body != nil {
				b, _ := io.ReadAll(r.Body)
				var doc map[string]any
				if json.Unmarshal(b, &doc) == nil {
					before(r, doc)
					b, _ = json.Marshal(doc)
				}
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
				r.Header.Set("Content-Length", strconv.Itoa(len(b)))
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			var doc map[string]any
			if edit != nil && json.Unmarshal(body, &doc) == nil {
				edit(r, doc, rec.Header())
				body, _ = json.Marshal(doc)
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(rec.Code)
			_, _ = w.Write(body)
		})
	}
}

// users applies f to every User resource in doc (the body or a list's).
func users(doc map[string]any, f func(map[string]any)) {
	apply := func(m map[string]any) {
		if meta, _ := m["meta"].(map[string]any); meta != nil && meta["resourceType"] == "User" {
			f(m)
		}
	}
	apply(doc)
	rs, _ := doc["Resources"].([]any)
	for _, e := range rs {
		if m, ok := e.(map[string]any); ok {
			apply(m)
		}
	}
}

// TestSchemaChecksSeeTheBugs: against deliberate bugs wrapped around the
// reference server, a generated check fails, and its message names the
// attribute and the view that showed the bug. The same checks pass the
// unwrapped server (TestSchemaChecksPassTheReferenceServer).
func TestSchemaChecksSeeTheBugs(t *testing.T) {
	var mu sync.Mutex
	firstVersion := map[string]any{}
	var sentGroups any // the readOnly groups of the last create, "stored"
	for _, tc := range []struct {
		name  string
		wrap  func(http.Handler) http.Handler
		check string // the check that must fail
		want  []string
	}{
		{
			name: "PATCH drops title",
			wrap: rewrite(func(r *http.Request, body map[string]any) {
				if r.Method != http.MethodPatch {
					return
				}
				ops, _ := body["Operations"].([]any)
				for _, o := range ops {
					if m, _ := o.(map[string]any); m["path"] == "title" {
						m["path"] = "nickName" // title is left as it was
					}
				}
			}, nil),
			check: "schema/User/title/patch-replace",
			want:  []string{"the PATCH's answer: title is", "GET by id: title is"},
		},
		{
			name: "stale meta.version",
			wrap: rewrite(nil, func(r *http.Request, doc map[string]any, _ http.Header) {
				users(doc, func(u map[string]any) {
					mu.Lock()
					defer mu.Unlock()
					meta := u["meta"].(map[string]any)
					if v, ok := firstVersion[u["id"].(string)]; ok {
						meta["version"] = v
					} else {
						firstVersion[u["id"].(string)] = meta["version"]
					}
				})
			}),
			check: "schema/User/title/patch-replace",
			want:  []string{"the PATCH's answer: meta.version is still", "the PATCH's answer: meta.version", "differs from the ETag header"},
		},
		{
			name: "password returned",
			wrap: rewrite(nil, func(r *http.Request, doc map[string]any, _ http.Header) {
				users(doc, func(u map[string]any) { u["password"] = "leaked" })
			}),
			check: "schema/User/password/create",
			want:  []string{"the create's answer: password is returned", "GET by id: password is returned"},
		},
		{
			name: "emails add replaces",
			wrap: rewrite(func(r *http.Request, body map[string]any) {
				ops, _ := body["Operations"].([]any)
				for _, o := range ops {
					if m, _ := o.(map[string]any); m["op"] == "add" && m["path"] == "emails" {
						m["op"] = "replace"
					}
				}
			}, nil),
			check: "schema/User/emails/patch-add",
			want:  []string{"the PATCH's answer: emails is", "GET by id: emails is"},
		},
		{
			name: "meta.location differs from Location",
			wrap: rewrite(nil, func(r *http.Request, doc map[string]any, _ http.Header) {
				users(doc, func(u map[string]any) { u["meta"].(map[string]any)["location"] = "http://127.0.0.1/elsewhere" })
			}),
			check: "schema/User/title/create",
			want:  []string{"the create's answer: meta.location", "differs from the Location header"},
		},
		{
			name: "filter on the enterprise extension finds nothing",
			wrap: rewrite(nil, func(r *http.Request, doc map[string]any, _ http.Header) {
				if strings.Contains(r.URL.Query().Get("filter"), "employeeNumber") {
					doc["Resources"], doc["totalResults"] = []any{}, 0
				}
			}),
			check: "schema/User/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber/patch-replace",
			want:  []string{"the filter urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq", "does not find the resource"},
		},
		{
			name: "PUT drops title",
			wrap: rewrite(func(r *http.Request, body map[string]any) {
				if r.Method == http.MethodPut {
					delete(body, "title")
				}
			}, nil),
			check: "schema/User/title/put",
			want:  []string{"the PUT's answer: title is absent, expected", "GET by id: title is absent"},
		},
		{
			name: "a value-filtered remove removes every email",
			wrap: rewrite(func(r *http.Request, body map[string]any) {
				ops, _ := body["Operations"].([]any)
				for _, o := range ops {
					if m, _ := o.(map[string]any); m["op"] == "remove" && strings.HasPrefix(fmt.Sprint(m["path"]), "emails[") {
						m["path"] = "emails"
					}
				}
			}, nil),
			check: "schema/User/emails/patch-remove-filtered",
			want:  []string{"the PATCH's answer: emails is absent, expected", "GET by id: emails is absent", "the filter emails.value eq"},
		},
		{
			name: "PATCH remove of nickName ignored",
			wrap: rewrite(func(r *http.Request, body map[string]any) {
				ops, _ := body["Operations"].([]any)
				for _, o := range ops {
					if m, _ := o.(map[string]any); m["op"] == "remove" && m["path"] == "nickName" {
						m["path"] = "title"
					}
				}
			}, nil),
			check: "schema/User/nickName/patch-remove",
			want:  []string{"the PATCH's answer: nickName still holds", "GET by id: nickName still holds", "the filter nickName eq \"", "-nickName-a\" still finds the resource"},
		},
		{
			name: "readOnly groups stored from a create",
			wrap: rewrite(func(r *http.Request, body map[string]any) {
				if r.Method == http.MethodPost && body["groups"] != nil {
					mu.Lock()
					sentGroups = body["groups"]
					mu.Unlock()
				}
			}, func(r *http.Request, doc map[string]any, _ http.Header) {
				mu.Lock()
				defer mu.Unlock()
				users(doc, func(u map[string]any) {
					if sentGroups != nil {
						u["groups"] = sentGroups
					}
				})
			}),
			check: "schema/User/groups/readonly-ignored",
			want:  []string{"the create's answer: the readOnly groups holds the value the client sent", "GET by id: the readOnly groups holds"},
		},
		{
			name: "schemas omits the enterprise extension",
			wrap: rewrite(nil, func(r *http.Request, doc map[string]any, _ http.Header) {
				users(doc, func(u map[string]any) {
					u["schemas"] = []any{"urn:ietf:params:scim:schemas:core:2.0:User"}
				})
			}),
			check: "schema/User/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber/create",
			want:  []string{"the create's answer: schemas [\"urn:ietf:params:scim:schemas:core:2.0:User\"] does not list urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "GET by id: schemas"},
		},
		{
			name: "a value-filtered replace adds",
			wrap: rewrite(func(r *http.Request, body map[string]any) {
				ops, _ := body["Operations"].([]any)
				for _, o := range ops {
					if m, _ := o.(map[string]any); m["op"] == "replace" && strings.HasPrefix(fmt.Sprint(m["path"]), "emails[") {
						m["op"], m["path"], m["value"] = "add", "emails", []any{m["value"]}
					}
				}
			}, nil),
			check: "schema/User/emails/patch-replace-filtered",
			want:  []string{"the PATCH's answer: emails still holds", "GET by id: emails still holds"},
		},
		{
			name: "POST /.search ignores the filter",
			wrap: rewrite(nil, func(r *http.Request, doc map[string]any, _ http.Header) {
				if strings.HasSuffix(r.URL.Path, "/.search") {
					doc["Resources"], doc["totalResults"] = []any{}, 0
				}
			}),
			check: "schema/User/title/create",
			want:  []string{"/.search with the filter title eq", "does not find the resource"},
		},
		{
			name: "Location names another resource",
			wrap: rewrite(nil, func(r *http.Request, doc map[string]any, h http.Header) {
				if r.Method != http.MethodPost || h.Get("Location") == "" {
					return
				}
				elsewhere := h.Get("Location") + "-elsewhere"
				h.Set("Location", elsewhere)
				doc["meta"].(map[string]any)["location"] = elsewhere
			}),
			check: "schema/User/title/create",
			want:  []string{"GET the create's Location", "expected status 200, got 404"},
		},
		{
			name:  "PUT ignores ?attributes=",
			wrap:  catalogWrap("write-ignores-attributes"),
			check: "schema/User/name/put-attributes",
			want:  []string{"the answer of PUT ?attributes=name: userName, not asked for, is returned"},
		},
		{
			name:  "PUT ignores ?excludedAttributes=",
			wrap:  catalogWrap("write-ignores-attributes"),
			check: "schema/Group/members/put-excluded",
			want:  []string{"the answer of PUT ?excludedAttributes=members: members, excluded, is returned"},
		},
		{
			name: "a path-less replace is ignored",
			wrap: rewrite(func(r *http.Request, body map[string]any) {
				ops, _ := body["Operations"].([]any)
				for _, o := range ops {
					if m, _ := o.(map[string]any); m["path"] == nil {
						m["value"] = map[string]any{}
					}
				}
			}, nil),
			check: "schema/User/title/patch-replace-no-path",
			want:  []string{"the PATCH's answer: title is", "GET by id: title is"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, cs := serve(t, servertest.WithWrap(tc.wrap))
			i := slices.IndexFunc(cs, func(c checks.Check) bool { return c.ID == tc.check })
			if i < 0 {
				t.Fatalf("no check %s generated", tc.check)
			}
			got := failures(t, tg, cs[i:i+1])[tc.check]
			all := strings.Join(got, "\n")
			t.Logf("%s fails:\n%s", tc.check, all)
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("%s: no failure says %q", tc.check, w)
				}
			}
		})
	}
}

// TestSchemaChecksPassALegalVariant: a server answering PATCH with 204
// (RFC 7644 §3.5.2 allows it) passes every generated check: the read-backs
// judge the change, not the missing body.
func TestSchemaChecksPassALegalVariant(t *testing.T) {
	tg, cs := serve(t, servertest.WithPatchNoContent())
	for id, fs := range failures(t, tg, cs) {
		t.Errorf("%s: %s", id, strings.Join(fs, "; "))
	}
}

// TestSchemaChecksWarnOnAnExtensionListedInExcess: a user answered with
// the enterprise URN in schemas but no enterprise attribute warns (the
// sentence has no keyword for it), and fails nothing.
func TestSchemaChecksWarnOnAnExtensionListedInExcess(t *testing.T) {
	tg, cs := serve(t, servertest.WithWrap(rewrite(nil, func(r *http.Request, doc map[string]any, _ http.Header) {
		users(doc, func(u map[string]any) {
			u["schemas"] = []any{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}
		})
	})))
	i := slices.IndexFunc(cs, func(c checks.Check) bool { return c.ID == "schema/User/title/create" })
	o := checks.RunAll(context.Background(), tg, cs[i:i+1], nil)[0]
	if o.Status() != scenario.Warn {
		t.Fatalf("schema/User/title/create is %s, want warn", o.Status())
	}
	for _, r := range o.Results {
		if r.Status == scenario.Warn && !strings.Contains(r.Message, "schemas lists urn:ietf:params:scim:schemas:extension:enterprise:2.0:User, but the resource holds no attribute of it") {
			t.Errorf("%s: %s", r.Step, r.Message)
		}
	}
}

// TestSchemaChecksSkipViewsNotServed: a server that legally does without a
// view — no /.search (a MAY of RFC 7644 §3.4.3), a Location on another
// host (not followed with the target's credentials) — fails no generated
// check; those views are skipped, the others still judged.
func TestSchemaChecksSkipViewsNotServed(t *testing.T) {
	tg, cs := serve(t, servertest.WithWrap(func(next http.Handler) http.Handler {
		// A public base URL on another host than the one the harness
		// reaches: every location names it.
		elsewhere := func(loc string) string { return strings.Replace(loc, "127.0.0.1", "localhost", 1) }
		return rewrite(nil, func(r *http.Request, doc map[string]any, h http.Header) {
			if loc := h.Get("Location"); loc != "" {
				h.Set("Location", elsewhere(loc))
			}
			for _, res := range append([]any{doc}, asList(doc["Resources"])...) {
				if meta, _ := res.(map[string]any)["meta"].(map[string]any); meta != nil && meta["location"] != nil {
					meta["location"] = elsewhere(fmt.Sprint(meta["location"]))
				}
			}
		})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/.search") {
				http.Error(w, "not here", http.StatusNotFound)
				return
			}
			next.ServeHTTP(w, r)
		}))
	}))
	skipped := map[string]int{}
	for _, o := range checks.RunAll(context.Background(), tg, cs, nil) {
		for _, r := range o.Results {
			switch {
			case r.Status >= scenario.Fail:
				msg, _, _ := strings.Cut(r.Message, "\n")
				t.Errorf("%s / %s: %s", o.Check.ID, r.Step, msg)
			case r.Status == scenario.Skip && strings.Contains(r.Step, "/.search"):
				skipped["search"]++
			case r.Status == scenario.Skip && strings.Contains(r.Step, "Location"):
				skipped["location"]++
			}
		}
	}
	if skipped["search"] == 0 || skipped["location"] == 0 {
		t.Errorf("views skipped: %v; want /.search and Location skipped", skipped)
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }

// catalogWrap is the middleware of the catalog's bug name (server/broken).
func catalogWrap(name string) func(http.Handler) http.Handler {
	b, ok := broken.ByName(name)
	if !ok {
		panic("no bug " + name)
	}
	return b.Wrap
}

// acmeURN is a custom extension no code of the harness knows.
const acmeURN = "urn:example:params:scim:schemas:extension:acme:2.0:User"

// acmeRegistry is the reference registry with the acme extension on User.
func acmeRegistry(t *testing.T) *schema.Registry { return acmeRegistryWith(t, "immutable") }

// acmeRegistryWith is acmeRegistry with hireId of the mutability given.
func acmeRegistryWith(t *testing.T, hireID string) *schema.Registry {
	t.Helper()
	m := fstest.MapFS{}
	for _, dir := range []string{"schemas", "resourcetypes"} {
		names, _ := fs.Glob(fixtures.FS, dir+"/*.json")
		for _, n := range names {
			b, _ := fs.ReadFile(fixtures.FS, n)
			m[n] = &fstest.MapFile{Data: b}
		}
	}
	m["schemas/acme.json"] = &fstest.MapFile{Data: []byte(`{
  "id": "` + acmeURN + `", "name": "AcmeUser", "description": "a custom extension",
  "attributes": [
    {"name": "badgeNumber", "type": "string", "multiValued": false, "required": false, "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "clearance", "type": "string", "multiValued": false, "required": false, "canonicalValues": ["low", "high"], "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "shifts", "type": "integer", "multiValued": true, "required": false, "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "hireId", "type": "string", "multiValued": false, "required": false, "caseExact": true, "mutability": "` + hireID + `", "returned": "default", "uniqueness": "none"}
  ]}`)}
	var rt map[string]any
	if err := json.Unmarshal(m["resourcetypes/user.json"].Data, &rt); err != nil {
		t.Fatal(err)
	}
	rt["schemaExtensions"] = append(rt["schemaExtensions"].([]any), map[string]any{"schema": acmeURN, "required": false})
	b, _ := json.Marshal(rt)
	m["resourcetypes/user.json"] = &fstest.MapFile{Data: b}
	reg, err := schema.Load(m)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// TestSchemaChecksCoverACustomExtension: a server declaring an extension
// the harness has never seen gets checks for each of its attributes, which
// pass the server that implements it and fail one that drops it.
func TestSchemaChecksCoverACustomExtension(t *testing.T) {
	withAcme := servertest.WithConfig(func(c *server.Config) { c.Registry = acmeRegistry(t) })
	tg, cs := serve(t, withAcme)
	var acme []checks.Check
	for _, c := range cs {
		if strings.HasPrefix(c.ID, "schema/User/"+acmeURN+":") {
			acme = append(acme, c)
		}
	}
	var ids []string
	for _, c := range acme {
		ids = append(ids, c.ID)
	}
	for _, want := range []string{"badgeNumber/create", "badgeNumber/patch-replace", "badgeNumber/patch-remove", "clearance/patch-replace", "shifts/patch-add", "hireId/create", "hireId/immutable-put"} {
		if !slices.Contains(ids, "schema/User/"+acmeURN+":"+want) {
			t.Errorf("no check for %s:%s; generated: %v", acmeURN, want, ids)
		}
	}
	for id, fs := range failures(t, tg, acme) {
		t.Errorf("against the server implementing it: %s: %s", id, strings.Join(fs, "; "))
	}

	drop := rewrite(nil, func(r *http.Request, doc map[string]any, _ http.Header) {
		users(doc, func(u map[string]any) {
			if ext, _ := u[acmeURN].(map[string]any); ext != nil {
				delete(ext, "badgeNumber")
			}
		})
	})
	tg, cs = serve(t, withAcme, servertest.WithWrap(drop))
	id := "schema/User/" + acmeURN + ":badgeNumber/create"
	i := slices.IndexFunc(cs, func(c checks.Check) bool { return c.ID == id })
	if i < 0 {
		t.Fatalf("no check %s", id)
	}
	got := strings.Join(failures(t, tg, cs[i:i+1])[id], "\n")
	if !strings.Contains(got, "GET by id: "+acmeURN+":badgeNumber is absent") {
		t.Errorf("a server dropping badgeNumber: %s does not fail naming it and the view; failures:\n%s", id, got)
	}

	// A server declaring hireId immutable that lets a PUT change it: its
	// /Schemas says immutable, its store takes the new value.
	lies := rewrite(nil, func(r *http.Request, doc map[string]any, _ http.Header) {
		if !strings.Contains(r.URL.Path, "/Schemas") {
			return
		}
		for _, res := range append([]any{doc}, asList(doc["Resources"])...) {
			for _, a := range asList(res.(map[string]any)["attributes"]) {
				if m := a.(map[string]any); m["name"] == "hireId" {
					m["mutability"] = "immutable"
				}
			}
		}
	})
	writable := servertest.WithConfig(func(c *server.Config) { c.Registry = acmeRegistryWith(t, "readWrite") })
	tg, cs = serve(t, writable, servertest.WithWrap(lies))
	id = "schema/User/" + acmeURN + ":hireId/immutable-put"
	i = slices.IndexFunc(cs, func(c checks.Check) bool { return c.ID == id })
	if i < 0 {
		t.Fatalf("no check %s", id)
	}
	got = strings.Join(failures(t, tg, cs[i:i+1])[id], "\n")
	if !strings.Contains(got, "GET by id: "+acmeURN+":hireId is") || !strings.Contains(got, "the PUT's answer: "+acmeURN+":hireId is") {
		t.Errorf("a server updating the immutable hireId: %s does not fail naming it and the view; failures:\n%s", id, got)
	}
}

// TestSchemaLevelsAreTheClauseKeyword: the generated checks obey the one
// level rule of the hand-written ones (TestLevelIsTheClauseKeyword), the
// two sets together, so that no clause is graded at two levels.
func TestSchemaLevelsAreTheClauseKeyword(t *testing.T) {
	_, cs := openSchemaTarget(t, target.Config{})
	for _, p := range levelProblems(gradings(append(checks.All(), cs...)), clauseKeyword) {
		t.Error(p)
	}
}

// TestSchemaCheckIDs: generated IDs are unique, in the schema area, and
// each scenario is valid.
func TestSchemaCheckIDs(t *testing.T) {
	_, cs := openSchemaTarget(t, target.Config{})
	seen := map[string]bool{}
	for _, c := range cs {
		if seen[c.ID] || !strings.HasPrefix(c.ID, checks.SchemaArea) || c.Name == "" || c.Clause == "" {
			t.Errorf("check %q: duplicate, outside %s or incomplete", c.ID, checks.SchemaArea)
		}
		seen[c.ID] = true
		if err := c.Scenario().Validate(); err != nil {
			t.Errorf("%s: %v", c.ID, err)
		}
	}
	for _, want := range []string{"schema/User/title/create", "schema/User/title/patch-replace", "schema/User/emails/patch-add", "schema/User/emails/patch-remove",
		"schema/User/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber/patch-replace", "schema/User/password/create", "schema/User/groups/readonly-ignored", "schema/Group/members/patch-add"} {
		if !seen[want] {
			t.Errorf("no check %s", want)
		}
	}
}
