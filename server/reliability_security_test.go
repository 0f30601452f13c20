package server_test

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// route is one request shape of the server's API; "{id}" in path is replaced
// by a resource id of the type at endpoint, and in body as well.
type route struct {
	method, path, body string
	endpoint           string // the resource type's endpoint when path has {id}
}

// allRoutes lists a request for every route the server registers (see
// Server.routes), each resource type of the registry included, so a type or
// endpoint added later is covered without editing this list.
func allRoutes() []route {
	rs := []route{
		{method: "GET", path: ""},
		{method: "GET", path: "/ServiceProviderConfig"},
		{method: "GET", path: "/Schemas"},
		{method: "GET", path: "/Schemas/" + scim.UserURN},
		{method: "GET", path: "/ResourceTypes"},
		{method: "GET", path: "/ResourceTypes/User"},
		{method: "POST", path: "/.search", body: js(obj{"schemas": []any{scim.SearchRequestURN}, "filter": `id eq "{id}"`})},
		{method: "GET", path: "/Me"},
		{method: "GET", path: "/Me/x"},
		{method: "GET", path: "/NoSuchEndpoint"},
		{method: "DELETE", path: "/Users"}, // a 405 answer, which must not come before the 401
	}
	for _, rt := range schema.Default().ResourceTypes() {
		e := rt.Endpoint
		body := js(obj{"schemas": []any{rt.Schema}, "displayName": "x-{id}", "userName": "x-{id}"})
		if rt.ID == "Group" {
			body = js(obj{"schemas": []any{rt.Schema}, "displayName": "x-{id}"})
		}
		pb := patchBody(obj{"op": "replace", "path": "displayName", "value": "pwned"})
		rs = append(rs,
			route{method: "GET", path: e, endpoint: e},
			route{method: "GET", path: e + "?filter=" + url.QueryEscape(`id eq "{id}"`), endpoint: e},
			route{method: "POST", path: e, body: body, endpoint: e},
			route{method: "POST", path: e + "/.search", body: js(obj{"schemas": []any{scim.SearchRequestURN}, "filter": `id eq "{id}"`}), endpoint: e},
			route{method: "GET", path: e + "/{id}", endpoint: e},
			route{method: "HEAD", path: e + "/{id}", endpoint: e},
			route{method: "PUT", path: e + "/{id}", body: body, endpoint: e},
			route{method: "PATCH", path: e + "/{id}", body: pb, endpoint: e},
			route{method: "DELETE", path: e + "/{id}", endpoint: e},
			route{method: "POST", path: "/Bulk", endpoint: e, body: js(obj{
				"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
				"Operations": []any{
					obj{"method": "PATCH", "path": e + "/{id}", "data": obj{"schemas": []any{scim.PatchOpURN},
						"Operations": []any{obj{"op": "replace", "path": "displayName", "value": "pwned"}}}},
					obj{"method": "PUT", "path": e + "/{id}", "data": obj{"schemas": []any{rt.Schema}, "displayName": "pwned", "userName": "pwned"}},
					obj{"method": "DELETE", "path": e + "/{id}"},
				}})},
		)
	}
	return rs
}

// tenantData is what one tenant holds in the isolation test.
type tenantData struct {
	c     *client
	ids   map[string]string // endpoint → the id of a resource there
	words []string          // strings found only in this tenant's data
}

func seedTenant(c *client, prefix string) tenantData {
	c.tb.Helper()
	u := c.createUser(prefix+"-user@example.com", obj{"externalId": prefix + "-ext"})
	g := c.createGroup(prefix+"-group", str(u, "id"))
	return tenantData{c: c,
		ids:   map[string]string{"/Users": str(u, "id"), "/Groups": str(g, "id")},
		words: []string{prefix + "-user", prefix + "-group", prefix + "-ext", str(u, "id"), str(g, "id")}}
}

func (r route) fill(id string) route {
	r.path = strings.ReplaceAll(r.path, "{id}", id)
	r.body = strings.ReplaceAll(r.body, "{id}", id)
	return r
}

// TestTenantIsolationEveryRoute: on every route, on both stores, (1) a
// token of another tenant, no token, a token without the Bearer scheme,
// or an unknown tenant gets 401 with the SCIM body and no data; (2) another
// tenant's ids under my own URL with my own token get 404 (list and search:
// nothing found; Bulk: every operation 404) and never the other tenant's
// data; and neither tenant's data changes.
func TestTenantIsolationEveryRoute(t *testing.T) {
	forEachStore(t, func(t *testing.T, st store.Store) {
		c := relServer(t, st)
		mine := seedTenant(c, "mine")
		theirs := seedTenant(c.tenant("acme", acmeToken), "theirs")
		mineBefore, theirsBefore := snapshot(mine.c), snapshot(theirs.c)
		routes := allRoutes()

		noLeak := func(t *testing.T, what string, r response, of tenantData, sent string) {
			t.Helper()
			for _, w := range of.words {
				if strings.Contains(string(r.Raw), w) && !strings.Contains(sent, w) {
					t.Errorf("%s: the answer holds %q of another tenant: %.400s", what, w, r.Raw)
				}
			}
		}

		t.Run("401", func(t *testing.T) {
			checked := 0
			defer func() { t.Logf("%d unauthorised requests over %d routes", checked, len(routes)) }()
			for _, rt := range routes {
				for _, tc := range []struct {
					name string
					cl   *client
					hdr  []string
				}{
					{"acme token on default URL", c.withT(t).withToken(acmeToken), nil},
					{"default token on acme URL", c.withT(t).tenant("acme", defaultToken), nil},
					{"no token on default URL", c.withT(t).withToken(""), nil},
					{"no token on acme URL", c.withT(t).tenant("acme", ""), nil},
					{"token without Bearer", c.withT(t), []string{"Authorization", defaultToken}},
					{"Basic with the token", c.withT(t), []string{"Authorization", "Basic " + defaultToken}},
					{"unknown tenant, default token", c.withT(t).tenant("ghost", defaultToken), nil},
					{"unknown tenant, acme token", c.withT(t).tenant("ghost", acmeToken), nil},
					{"tenant name case", c.withT(t).tenant("ACME", acmeToken), nil},
				} {
					for _, owner := range []tenantData{mine, theirs} {
						id := owner.ids[rt.endpoint]
						if id == "" {
							id = owner.ids["/Users"]
						}
						q := rt.fill(id)
						what := tc.name + ": " + q.method + " " + tc.cl.base + q.path
						r := tc.cl.do(q.method, q.path, q.body, tc.hdr...)
						checked++
						if r.Status != http.StatusUnauthorized {
							t.Errorf("%s: status %d, want 401: %.300s", what, r.Status, r.Raw)
						}
						if r.Header.Get("WWW-Authenticate") == "" {
							t.Errorf("%s: 401 without WWW-Authenticate", what)
						}
						noLeak(t, what, r, mine, q.path+q.body)
						noLeak(t, what, r, theirs, q.path+q.body)
					}
				}
			}
		})

		t.Run("404 for another tenant's ids", func(t *testing.T) {
			checked := 0
			defer func() { t.Logf("%d requests with another tenant's ids", checked) }()
			for _, pair := range []struct{ me, other tenantData }{{mine, theirs}, {theirs, mine}} {
				cl := pair.me.c.withT(t)
				for _, rt := range routes {
					if rt.endpoint == "" || !strings.Contains(rt.path+rt.body, "{id}") {
						continue
					}
					q := rt.fill(pair.other.ids[rt.endpoint])
					what := q.method + " " + cl.base + q.path
					r := cl.do(q.method, q.path, q.body)
					checked++
					noLeak(t, what, r, pair.other, q.path+q.body)
					switch {
					case strings.HasSuffix(q.path, pair.other.ids[rt.endpoint]):
						if r.Status != http.StatusNotFound {
							t.Errorf("%s: status %d, want 404: %.300s", what, r.Status, r.Raw)
						}
					case q.path == "/Bulk":
						if r.Status != http.StatusOK {
							t.Errorf("%s: status %d, want 200: %.300s", what, r.Status, r.Raw)
							continue
						}
						ops := asSlice(r.Body["Operations"])
						if len(ops) != 3 {
							t.Errorf("%s: %d operation results, want 3: %s", what, len(ops), r.Raw)
						}
						for i, op := range ops {
							if s := str(op, "status"); s != "404" {
								t.Errorf("%s: operation %d: status %q, want \"404\": %s", what, i, s, r.Raw)
							}
						}
					case q.method == "GET" || strings.HasSuffix(q.path, ".search"):
						if r.Status != http.StatusOK || intField(t, r.Body, "totalResults") != 0 {
							t.Errorf("%s: status %d, want 200 with nothing found: %.300s", what, r.Status, r.Raw)
						}
					case q.method == "POST":
						// A create in my tenant whose name carries the
						// other's id: allowed, and it must be mine alone.
						if r.Status != http.StatusCreated {
							t.Errorf("%s: status %d, want 201: %.300s", what, r.Status, r.Raw)
							continue
						}
						if d := cl.do("DELETE", q.path+"/"+str(r.Body, "id"), ""); d.Status != http.StatusNoContent {
							t.Errorf("cleaning up: DELETE: status %d", d.Status)
						}
					}
				}
				// Group members and User.groups across tenants.
				for _, f := range []string{`members[value eq "` + pair.other.ids["/Users"] + `"]`, `members.value eq "` + pair.other.ids["/Users"] + `"`} {
					r := cl.list("/Groups", "filter", f)
					if r.Status != http.StatusOK || intField(t, r.Body, "totalResults") != 0 {
						t.Errorf("GET /Groups?filter=%s: status %d, want 200 with nothing found: %.300s", f, r.Status, r.Raw)
					}
				}
			}
		})

		if after := snapshot(mine.c); after != mineBefore {
			t.Errorf("the default tenant changed: %s", firstDiff(mineBefore, after))
		}
		if after := snapshot(theirs.c); after != theirsBefore {
			t.Errorf("tenant acme changed: %s", firstDiff(theirsBefore, after))
		}
	})
}

// TestLogsNeverHoldTokens runs every route with a distinctive token (valid,
// of another tenant, malformed, in the query string) through a server that
// logs at debug level, as text and as JSON, and looks for the token and
// the Authorization header in everything logged.
func TestLogsNeverHoldTokens(t *testing.T) {
	raw := make([]byte, 12)
	rand.Read(raw)
	secret := "Sekr1t-" + hex.EncodeToString(raw)
	other := "0ther-" + hex.EncodeToString(raw)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, st store.Store) {
				var logs syncBuffer
				opts := &slog.HandlerOptions{Level: slog.LevelDebug, AddSource: true}
				h := slog.Handler(slog.NewTextHandler(&logs, opts))
				if format == "json" {
					h = slog.NewJSONHandler(&logs, opts)
				}
				c := relServer(t, st, func(cfg *server.Config) {
					cfg.Logger = slog.New(h)
					if err := cfg.Tenants.Add("logco", server.HashToken(secret)); err != nil {
						t.Fatal(err)
					}
				})
				me := c.tenant("logco", secret)
				d := seedTenant(me, "log")
				for _, rt := range allRoutes() {
					id := d.ids[rt.endpoint]
					if id == "" {
						id = d.ids["/Users"]
					}
					q := rt.fill(id)
					sep := "?"
					if strings.Contains(q.path, "?") {
						sep = "&"
					}
					me.do(q.method, q.path, q.body)
					me.do(q.method, q.path+sep+"access_token="+secret, q.body)
					me.withToken(other).do(q.method, q.path, q.body)
					c.withToken(secret).do(q.method, q.path, q.body)
					me.do(q.method, q.path, q.body, "Authorization", "Token "+secret)
					me.do(q.method, q.path, q.body, "Authorization", "bEaReR   "+secret+"  trailing")
				}
				out := logs.String()
				if !strings.Contains(out, "/t/logco/scim/v2/Users") {
					t.Fatalf("the requests were not logged:\n%.2000s", out)
				}
				for _, bad := range []string{secret, other, "Bearer", "access_token"} {
					if strings.Contains(out, bad) {
						i := strings.Index(out, bad)
						t.Errorf("the log holds %q: …%s…", bad, out[max(i-300, 0):min(i+100, len(out))])
					}
				}
				if strings.Contains(strings.ToLower(out), "authorization") {
					t.Errorf("the log mentions the Authorization header:\n%.2000s", out)
				}
			})
		})
	}
}
