package okta_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/simulators/internal/simtest"
	"github.com/scimharness/scimharness/simulators/okta"
)

// Behaviours from the catalog's "Corrections and additions" (Okta): each
// deliberate bug is a wrapper around the reference server.

func scimError(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	io.WriteString(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"`+strconv.Itoa(status)+`","detail":"`+detail+`"}`)
}

func TestCorrectedBehavioursCaught(t *testing.T) {
	cases := []struct {
		name string
		wrap func(http.Handler) http.Handler
		o    okta.Options
		want string
	}{
		{
			// Caps count at 2: Okta's next page is startIndex+100, so the
			// real Okta skips users (Okta SCIM reference).
			name: "count capped",
			wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if q := r.URL.Query(); q.Has("count") && q.Get("filter") == "" {
						if n, _ := strconv.Atoi(q.Get("count")); n > 2 {
							q.Set("count", "2")
							r.URL.RawQuery = q.Encode()
						}
					}
					next.ServeHTTP(w, r)
				})
			},
			o:    okta.Options{Users: 4},
			want: "the server caps count",
		},
		{
			// AIW apps PUT groups for renames and membership changes.
			name: "PUT on groups refused",
			wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/Groups/") {
						scimError(w, http.StatusMethodNotAllowed, "PUT not supported")
						return
					}
					next.ServeHTTP(w, r)
				})
			},
			want: "(PUT the whole group)",
		},
		{
			// AIW apps deactivate with PUT; a server that ignores active
			// in a PUT keeps the user active.
			name: "PUT ignores active",
			wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/Users/") {
						body, _ := io.ReadAll(r.Body)
						body = bytes.ReplaceAll(body, []byte(`"active":false`), []byte(`"active":true`))
						r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
					}
					next.ServeHTTP(w, r)
				})
			},
			want: "active is true, expected false",
		},
		{
			// The spec test's unknown ids are not UUIDs: a server that
			// answers 400 for them fails it.
			name: "400 for a non-UUID id",
			wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.HasSuffix(r.URL.Path, "/Users/010101001010101011001010101011") {
						scimError(w, http.StatusBadRequest, "not a UUID")
						return
					}
					next.ServeHTTP(w, r)
				})
			},
			want: "get an unknown id",
		},
		{
			// The spec test's bad credentials are "Authorization: non-token",
			// not a wrong bearer token.
			name: "a non-bearer Authorization let through",
			wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Header.Get("Authorization") == "non-token" {
						r.Header.Set("Authorization", "Bearer "+simtest.Token)
					}
					next.ServeHTTP(w, r)
				})
			},
			want: "a wrong bearer token",
		},
		{
			// The spec test's "Check status 404" reads the second of its
			// unknown ids, 00919288221112222.
			name: "400 for the second non-UUID id",
			wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.HasSuffix(r.URL.Path, "/Users/00919288221112222") {
						scimError(w, http.StatusBadRequest, "not a UUID")
						return
					}
					next.ServeHTTP(w, r)
				})
			},
			want: "check status 404",
		},
		{
			// The spec test asserts the 401 and 404 error bodies have a
			// detail, which RFC 7644 §3.12 leaves optional.
			name: "error bodies without detail",
			wrap: func(next http.Handler) http.Handler {
				return rewrite(next, func(r *http.Request, status int) bool { return status >= 400 }, func(doc map[string]any) { delete(doc, "detail") })
			},
			want: "has no detail; the Okta SCIM 2.0 spec test requires one",
		},
		{
			// A list that answers only id and userName fails the spec
			// test's first read, which asserts name, active and emails
			// of Resources[0].
			name: "list answers only id and userName",
			wrap: func(next http.Handler) http.Handler {
				return rewrite(next, func(r *http.Request, status int) bool {
					return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/Users") && status == 200
				}, func(doc map[string]any) {
					list, _ := doc["Resources"].([]any)
					for i, e := range list {
						if m, _ := e.(map[string]any); m != nil {
							list[i] = map[string]any{"id": m["id"], "userName": m["userName"]}
						}
					}
				})
			},
			want: "lacks name.givenName, name.familyName, active, emails.0.value",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs := simulate(t, simtest.Serve(t, tc.wrap(simtest.Reference(t))), tc.o)
			var failing []string
			for _, r := range rs {
				if r.Status >= scenario.Fail {
					line := r.Step + ": " + r.Message
					if strings.Contains(line, tc.want) {
						return
					}
					failing = append(failing, line)
				}
			}
			t.Errorf("no failure says %q:\n%s", tc.want, strings.Join(failing, "\n"))
		})
	}
}

// A 404 with the Error schema to the assign lookup is "another acceptable
// response" (Okta SCIM reference): the lookups pass.
func TestLookup404Allowed(t *testing.T) {
	ref := simtest.Reference(t)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("filter") == "" {
			ref.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		ref.ServeHTTP(rec, r)
		var l struct{ TotalResults int }
		if json.Unmarshal(rec.Body.Bytes(), &l) == nil && l.TotalResults == 0 {
			scimError(w, http.StatusNotFound, "no match")
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
	rs := simulate(t, simtest.Serve(t, h), okta.Options{})
	lookups := 0
	for _, r := range rs {
		if strings.HasSuffix(r.Step, ": look up before assigning") {
			lookups++
			if r.Status != scenario.Pass {
				t.Errorf("%s: %s %s", r.Step, r.Status, r.Message)
			}
		}
	}
	if lookups == 0 {
		t.Fatal("no assign lookup ran")
	}
}

// The wire of each app kind: AIW PUTs deactivation, reactivation and group
// changes and sends no PATCH; OIN PATCHes them, with a rename before each
// membership change. Both open with the connection test and import groups.
func TestAppWire(t *testing.T) {
	for _, app := range []okta.App{okta.AppAIW, okta.AppOIN} {
		t.Run(string(app), func(t *testing.T) {
			tg := simtest.Start(t)
			rs := simulate(t, tg, okta.Options{App: app})
			for _, r := range rs {
				if !passed(r) {
					t.Fatalf("not all passed:\n%s", simtest.Summary(rs))
				}
			}
			reqs := tg.Requests()
			if first := reqs[0]; first.Method != "GET" || first.Query != "startIndex=1&count=2" {
				t.Errorf("first request %s %s?%s, want the connection test", first.Method, first.Path, first.Query)
			}
			var patches, userPuts, groupPuts, groupImport int
			lastRename := false
			for _, r := range reqs {
				switch {
				case r.Method == "GET" && strings.HasSuffix(r.Path, "/Groups") && r.Query == "startIndex=1&count=100":
					groupImport++
				case r.Method == "PUT" && strings.Contains(r.Path, "/Users/"):
					userPuts++
				case r.Method == "PUT" && strings.Contains(r.Path, "/Groups/"):
					groupPuts++
				case r.Method == "PATCH":
					patches++
					membership := strings.Contains(r.Body, `"path":"members`)
					if membership && !lastRename {
						t.Errorf("a membership PATCH without a rename before it: %s", r.Body)
					}
					lastRename = strings.Contains(r.Body, `"displayName"`) && !membership
				}
			}
			if groupImport != 1 {
				t.Errorf("%d group imports", groupImport)
			}
			switch app {
			case okta.AppAIW:
				// update, deactivate, reactivate per user; rename and three
				// membership changes per group.
				if patches != 0 || userPuts != 3*okta.DefaultUsers || groupPuts != 4*okta.DefaultGroups {
					t.Errorf("AIW: %d PATCHes, %d user PUTs, %d group PUTs", patches, userPuts, groupPuts)
				}
			case okta.AppOIN:
				if patches == 0 || groupPuts != 0 || userPuts != okta.DefaultUsers {
					t.Errorf("OIN: %d PATCHes, %d user PUTs, %d group PUTs", patches, userPuts, groupPuts)
				}
			}
		})
	}
}

func TestParseApp(t *testing.T) {
	for in, want := range map[string]okta.App{"": okta.AppAIW, "AIW": okta.AppAIW, "oin": okta.AppOIN} {
		if got, err := okta.ParseApp(in); err != nil || got != want {
			t.Errorf("ParseApp(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := okta.ParseApp("catalog"); err == nil {
		t.Error("ParseApp(catalog) succeeded")
	}
	if _, err := okta.Scenarios(okta.Options{App: "x"}); err == nil {
		t.Error("Scenarios accepted app x")
	}
}

// rewrite serves next, and lets edit change the JSON answer to a request
// (with the answer's status) that selects picks.
func rewrite(next http.Handler, picks func(*http.Request, int) bool, edit func(map[string]any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var doc map[string]any
		if picks(r, rec.Code) && json.Unmarshal(body, &doc) == nil {
			edit(doc)
			body, _ = json.Marshal(doc)
		}
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}
