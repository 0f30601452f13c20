package server_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// TestErrors sends bad requests of every kind: each gets its status and
// scimType with the RFC 7644 §3.12 body (checked by the client), and none
// changes the data.
func TestErrors(t *testing.T) {
	c := newClient(t)
	acme := c.tenant("acme", acmeToken)
	existing := c.createUser("existing", obj{"emails": []any{obj{"value": "e@example.com"}}})
	id := str(existing, "id")
	c.createGroup("Existing Group", id)
	acmeID := str(acme.createUser("acme.user", nil), "id")
	nested := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

	tests := []struct {
		name     string
		cl       *client
		method   string
		path     string
		body     string
		headers  []string
		status   int
		scimType string
	}{
		// Bodies.
		{name: "malformed JSON", method: "POST", path: "/Users", body: `{"userName":`, status: 400, scimType: "invalidSyntax"},
		{name: "JSON array body", method: "POST", path: "/Users", body: `[{"userName":"arr"}]`, status: 400, scimType: "invalidSyntax"},
		{name: "JSON string body", method: "POST", path: "/Users", body: `"userName"`, status: 400, scimType: "invalidSyntax"},
		{name: "JSON null body", method: "POST", path: "/Users", body: `null`, status: 400, scimType: "invalidSyntax"},
		{name: "empty body", method: "POST", path: "/Users", body: "", status: 400, scimType: "invalidSyntax"},
		{name: "whitespace body", method: "POST", path: "/Users", body: " \n\t ", status: 400, scimType: "invalidSyntax"},
		{name: "empty PUT body", method: "PUT", path: "/Users/" + id, body: "", status: 400, scimType: "invalidSyntax"},
		{name: "empty PATCH body", method: "PATCH", path: "/Users/" + id, body: "", status: 400, scimType: "invalidSyntax"},
		{name: "trailing object", method: "POST", path: "/Users", body: `{"userName":"t1"} {"userName":"t2"}`, status: 400, scimType: "invalidSyntax"},
		{name: "trailing garbage", method: "POST", path: "/Users", body: `{"userName":"t1"}x`, status: 400, scimType: "invalidSyntax"},
		{name: "trailing brace", method: "POST", path: "/Users", body: `{"userName":"t1"}}`, status: 400, scimType: "invalidSyntax"},
		{name: "invalid UTF-8", method: "POST", path: "/Users", body: "{\"userName\":\"bad\xff\xfe\"}", status: 400, scimType: "invalidSyntax"},
		{name: "invalid UTF-8 in a key", method: "POST", path: "/Users", body: "{\"user\xc3Name\":\"x\"}", status: 400, scimType: "invalidSyntax"},
		{name: "10000 nested arrays", method: "POST", path: "/Users", body: nested(10000), status: 400, scimType: "invalidSyntax"},
		{name: "10000 nested arrays in an attribute", method: "POST", path: "/Users", body: `{"userName":"deep","emails":` + nested(10000) + `}`, status: 400},
		{name: "deep arrays in a sub-attribute", method: "POST", path: "/Users", body: `{"userName":"deep","name":{"givenName":` + nested(2000) + `}}`, status: 400, scimType: "invalidValue"},
		{name: "deep objects", method: "POST", path: "/Users", body: `{"userName":"deep","name":` + strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat(`}`, 5000) + `}`, status: 201},
		{name: "deep PATCH value", method: "PATCH", path: "/Users/" + id, body: `{"Operations":[{"op":"add","path":"title","value":` + nested(5000) + `}]}`, status: 400},
		{name: "case-variant duplicate key", method: "POST", path: "/Users", body: `{"userName":"a","USERNAME":"b"}`, status: 400, scimType: "invalidSyntax"},

		// Media types and auth.
		{name: "text/plain", method: "POST", path: "/Users", body: `{"userName":"ct"}`, headers: []string{"Content-Type", "text/plain"}, status: 415},
		{name: "form content type", method: "POST", path: "/Users", body: `userName=ct`, headers: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 415},
		{name: "unparsable content type", method: "POST", path: "/Users", body: `{"userName":"ct"}`, headers: []string{"Content-Type", "application/"}, status: 415},
		{name: "Accept text/html", method: "GET", path: "/Users", headers: []string{"Accept", "text/html"}, status: 406},
		{name: "Accept text/html on POST", method: "POST", path: "/Users", body: `{"userName":"acc"}`, headers: []string{"Accept", "text/html"}, status: 406},
		{name: "no token", cl: c.withToken(""), method: "GET", path: "/Users", status: 401},
		{name: "no token on POST", cl: c.withToken(""), method: "POST", path: "/Users", body: `{"userName":"anon"}`, status: 401},
		{name: "wrong token", cl: c.withToken("guess"), method: "GET", path: "/Users", status: 401},
		{name: "token with trailing garbage", cl: c.withToken(defaultToken + "x"), method: "GET", path: "/Users", status: 401},
		{name: "Basic scheme", method: "GET", path: "/Users", headers: []string{"Authorization", "Basic dDBrM246"}, status: 401},
		{name: "Basic scheme with the token", method: "GET", path: "/Users", headers: []string{"Authorization", "Basic " + defaultToken}, status: 401},
		{name: "bare token", method: "GET", path: "/Users", headers: []string{"Authorization", defaultToken}, status: 401},
		{name: "Bearer without token", method: "GET", path: "/Users", headers: []string{"Authorization", "Bearer "}, status: 401},
		{name: "acme token on /scim/v2", cl: c.withToken(acmeToken), method: "GET", path: "/Users", status: 401},
		{name: "acme token deleting on /scim/v2", cl: c.withToken(acmeToken), method: "DELETE", path: "/Users/" + id, status: 401},
		{name: "default token on acme", cl: acme.withToken(defaultToken), method: "GET", path: "/Users/" + acmeID, status: 401},
		{name: "unknown tenant", cl: c.tenant("nope", defaultToken), method: "GET", path: "/Users", status: 401},
		{name: "tenant ids are case-sensitive", cl: c.tenant("ACME", acmeToken), method: "GET", path: "/Users", status: 401},

		// Tenant isolation: an id of another tenant does not exist here.
		{name: "acme id GET", method: "GET", path: "/Users/" + acmeID, status: 404},
		{name: "acme id PUT", method: "PUT", path: "/Users/" + acmeID, body: `{"userName":"stolen"}`, status: 404},
		{name: "acme id PATCH", method: "PATCH", path: "/Users/" + acmeID, body: patchBody(obj{"op": "replace", "path": "userName", "value": "stolen"}), status: 404},
		{name: "acme id DELETE", method: "DELETE", path: "/Users/" + acmeID, status: 404},
		{name: "default id under acme", cl: acme, method: "GET", path: "/Users/" + id, status: 404},
		{name: "default id DELETE under acme", cl: acme, method: "DELETE", path: "/Users/" + id, status: 404},

		// Routing.
		{name: "unknown endpoint", method: "GET", path: "/Widgets", status: 404},
		{name: "unknown sub-path", method: "GET", path: "/Users/" + id + "/extra", status: 404},
		{name: "v1 path", method: "GET", path: "/../v1/Users", status: 404},
		{name: "PUT /Users", method: "PUT", path: "/Users", body: `{"userName":"x"}`, status: 405},
		{name: "DELETE /Users", method: "DELETE", path: "/Users", status: 405},
		{name: "PATCH /Groups", method: "PATCH", path: "/Groups", body: `{}`, status: 405},
		{name: "POST /Users/{id}", method: "POST", path: "/Users/" + id, body: `{"userName":"x"}`, status: 405},
		{name: "GET /Bulk", method: "GET", path: "/Bulk", status: 405},
		{name: "odd method", method: "BREW", path: "/Users", status: 405},

		// Documents.
		{name: "missing userName", method: "POST", path: "/Users", body: `{"displayName":"No Name"}`, status: 400, scimType: "invalidValue"},
		{name: "null userName", method: "POST", path: "/Users", body: `{"userName":null}`, status: 400, scimType: "invalidValue"},
		{name: "empty userName", method: "POST", path: "/Users", body: `{"userName":""}`, status: 400, scimType: "invalidValue"},
		{name: "missing displayName", method: "POST", path: "/Groups", body: `{"members":[]}`, status: 400, scimType: "invalidValue"},
		{name: "duplicate userName differing in case", method: "POST", path: "/Users", body: `{"userName":"EXISTING"}`, status: 409, scimType: "uniqueness"},
		{name: "duplicate userName", method: "POST", path: "/Users", body: `{"userName":"existing"}`, status: 409, scimType: "uniqueness"},
		{name: "duplicate group displayName", method: "POST", path: "/Groups", body: `{"displayName":"Existing Group"}`, status: 409, scimType: "uniqueness"},
		{name: "active yes", method: "POST", path: "/Users", body: `{"userName":"typed","active":"yes"}`, status: 400, scimType: "invalidValue"},
		{name: "active number", method: "POST", path: "/Users", body: `{"userName":"typed","active":1}`, status: 400, scimType: "invalidValue"},
		{name: "userName array", method: "POST", path: "/Users", body: `{"userName":["a"]}`, status: 400, scimType: "invalidValue"},
		{name: "userName object", method: "POST", path: "/Users", body: `{"userName":{"a":1}}`, status: 400, scimType: "invalidValue"},
		{name: "name a string", method: "POST", path: "/Users", body: `{"userName":"typed","name":"Bob"}`, status: 400, scimType: "invalidValue"},
		{name: "emails an array of arrays", method: "POST", path: "/Users", body: `{"userName":"typed","emails":[["x"]]}`, status: 400, scimType: "invalidValue"},
		{name: "extension not an object", method: "POST", path: "/Users", body: `{"userName":"typed","` + scim.EnterpriseUserURN + `":"x"}`, status: 400, scimType: "invalidValue"},
		{name: "bad dateTime filter value is fine, bad binary is not", method: "POST", path: "/Users", body: `{"userName":"typed","x509Certificates":[{"value":"%%%"}]}`, status: 400, scimType: "invalidValue"},
		{name: "PUT wrong type", method: "PUT", path: "/Users/" + id, body: `{"userName":"existing","active":"maybe"}`, status: 400, scimType: "invalidValue"},
		{name: "unknown id GET", method: "GET", path: "/Users/does-not-exist", status: 404},
		{name: "unknown id PUT", method: "PUT", path: "/Groups/does-not-exist", body: `{"displayName":"x"}`, status: 404},
		{name: "unknown id DELETE", method: "DELETE", path: "/Groups/does-not-exist", status: 404},
		{name: "user id under /Groups", method: "GET", path: "/Groups/" + id, status: 404},
		{name: "encoded slash id", method: "GET", path: "/Users/a%2Fb", status: 404},

		// Filters and paging.
		{name: "filter injection: or 1 eq 1", method: "GET", path: "/Users?filter=" + url.QueryEscape(`userName eq "x" or 1 eq 1`), status: 400, scimType: "invalidFilter"},
		{name: "filter on unknown attribute", method: "GET", path: "/Users?filter=" + url.QueryEscape(`password eq "x" or nosuch pr`), status: 400, scimType: "invalidFilter"},
		{name: "deeply nested filter", method: "GET", path: "/Users?filter=" + url.QueryEscape(strings.Repeat("(", 10000)+`userName eq "x"`+strings.Repeat(")", 10000)), status: 400, scimType: "invalidFilter"},
		{name: "deeply nested not", method: "GET", path: "/Users?filter=" + url.QueryEscape(strings.Repeat("not (", 5000)+`userName eq "x"`+strings.Repeat(")", 5000)), status: 400, scimType: "invalidFilter"},
		{name: "bad count", method: "GET", path: "/Users?count=many", status: 400, scimType: "invalidValue"},
		{name: "bad sortOrder", method: "GET", path: "/Users?sortOrder=random", status: 400, scimType: "invalidValue"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cl := tc.cl
			if cl == nil {
				cl = c
			}
			users, groups := c.total("/Users"), c.total("/Groups")
			acmeUsers := acme.total("/Users")
			before := c.mustGet("/Users/" + id)
			r := cl.do(tc.method, tc.path, tc.body, tc.headers...)
			want(t, r, tc.status, tc.scimType)
			switch tc.status {
			case 401:
				if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("401 without WWW-Authenticate: Bearer (got %q)", r.Header.Get("WWW-Authenticate"))
				}
			case 405:
				if r.Header.Get("Allow") == "" {
					t.Error("405 without Allow")
				}
			case 201:
				users++ // the one case that is meant to succeed
			}
			if c.total("/Users") != users || c.total("/Groups") != groups || acme.total("/Users") != acmeUsers {
				t.Error("a rejected request changed the number of resources")
			}
			if after := c.mustGet("/Users/" + id); !schema.Equal(before, after) {
				t.Errorf("a rejected request changed the user:\nbefore %v\nafter  %v", before, after)
			}
			if _, err := acme.do("GET", "/Users/"+acmeID, "").Body["userName"].(string); !err || str(acme.mustGet("/Users/"+acmeID), "userName") != "acme.user" {
				t.Error("acme's user changed")
			}
		})
	}

	t.Run("Allow lists the methods", func(t *testing.T) {
		r := c.do("PUT", "/Users", `{}`)
		allow := strings.Split(strings.ReplaceAll(r.Header.Get("Allow"), " ", ""), ",")
		if !slices.Equal(sorted(allow), []string{"GET", "HEAD", "POST"}) {
			t.Errorf("Allow = %q, want GET, HEAD, POST", r.Header.Get("Allow"))
		}
		r = c.do("POST", "/Users/"+id, `{}`)
		allow = strings.Split(strings.ReplaceAll(r.Header.Get("Allow"), " ", ""), ",")
		if !slices.Equal(sorted(allow), []string{"DELETE", "GET", "HEAD", "PATCH", "PUT"}) {
			t.Errorf("Allow = %q", r.Header.Get("Allow"))
		}
	})
	t.Run("HEAD is GET without a body", func(t *testing.T) {
		// RFC 9110 §9.1: HEAD is supported wherever GET is.
		for _, p := range []string{"/Users", "/Users/" + id, "/Groups", "/ServiceProviderConfig", "/Schemas"} {
			get := c.do("GET", p, "")
			head := c.do("HEAD", p, "")
			if head.Status != http.StatusOK || head.Header.Get("Content-Type") != get.Header.Get("Content-Type") || head.Header.Get("ETag") != get.Header.Get("ETag") {
				t.Errorf("HEAD %s: status %d, headers %v; GET had %v", p, head.Status, head.Header, get.Header)
			}
		}
		if r := c.do("HEAD", "/Users/nope", ""); r.Status != http.StatusNotFound {
			t.Errorf("HEAD of an unknown id: %d", r.Status)
		}
		if r := c.withToken("").do("HEAD", "/Users", ""); r.Status != http.StatusUnauthorized {
			t.Errorf("HEAD without a token: %d", r.Status)
		}
		if r := c.do("HEAD", "/Bulk", ""); r.Status != http.StatusMethodNotAllowed {
			t.Errorf("HEAD /Bulk: %d", r.Status)
		}
	})
	t.Run("odd but harmless paths", func(t *testing.T) {
		// A base URL configured with a trailing slash gives "//Users"; the
		// server answers it rather than redirecting (a followed 301 turns a
		// POST into a GET) or answering with an HTML body.
		for _, tc := range []struct {
			method, path, body string
			status             int
		}{
			{"GET", "//Users", "", 200},
			{"GET", "/Users/", "", 200},
			{"GET", "//Users//" + id, "", 200},
			{"GET", "/./Users/" + id, "", 200},
			{"POST", "//Users", `{"userName":"via.double.slash"}`, 201},
			{"GET", "", "", 404},
			{"GET", "/", "", 404},
			{"GET", "/Users/x/../../Groups/" + id, "", 404},
		} {
			r := c.do(tc.method, tc.path, tc.body)
			if r.Status != tc.status {
				t.Errorf("%s %s: status %d, want %d: %s", tc.method, tc.path, r.Status, tc.status, r.Raw)
			}
		}
		want(t, c.do("DELETE", "/Users/"+str(c.mustGet("/Users?filter=userName%20eq%20%22via.double.slash%22"), "Resources", 0, "id"), ""), http.StatusNoContent, "")
		want(t, c.tenant("acme", acmeToken).do("GET", "", ""), http.StatusNotFound, "")
		want(t, c.tenant("acme", acmeToken).do("GET", "//Users", ""), http.StatusOK, "")
	})
	t.Run("unknown path outside the base", func(t *testing.T) {
		for _, p := range []string{"/", "/nope", "/scim/v1/Users", "/t/acme/nope"} {
			want(t, c.doURL("GET", c.root+p, ""), http.StatusNotFound, "")
		}
	})
	t.Run("bearer scheme is case-insensitive", func(t *testing.T) {
		want(t, c.do("GET", "/Users", "", "Authorization", "bearer "+defaultToken), http.StatusOK, "")
		want(t, c.do("GET", "/Users", "", "Authorization", "BEARER "+defaultToken), http.StatusOK, "")
	})
	t.Run("revoked token", func(t *testing.T) {
		tenants := server.NewTenants()
		tenants.Add(server.DefaultTenant, server.HashToken("old"))
		tenants.Add(server.DefaultTenant, server.HashToken("new"))
		c := newClient(t, func(cfg *server.Config) { cfg.Tenants = tenants })
		want(t, c.withToken("old").do("GET", "/Users", ""), http.StatusOK, "")
		tenants.Revoke(server.DefaultTenant, server.HashToken("old"))
		want(t, c.withToken("old").do("GET", "/Users", ""), http.StatusUnauthorized, "")
		want(t, c.withToken("new").do("GET", "/Users", ""), http.StatusOK, "")
	})
	t.Run("acme sees only its own", func(t *testing.T) {
		rs := resources(t, acme.list("/Users"))
		if got := values(rs, "id"); !slices.Equal(got, []string{acmeID}) {
			t.Errorf("acme lists %v", got)
		}
		rs = resources(t, acme.list("/Users", "filter", `userName eq "existing"`))
		if len(rs) != 0 {
			t.Errorf("acme's filter found the default tenant's user: %v", rs)
		}
		// Uniqueness is per tenant.
		acme.createUser("existing", nil)
	})
}

func TestBodyLimit(t *testing.T) {
	c := newClient(t, func(cfg *server.Config) { cfg.MaxBodyBytes = 256 })
	id := str(c.createUser("small", nil), "id")
	big := js(obj{"userName": "big", "displayName": strings.Repeat("x", 300)})
	for _, tc := range []struct{ method, path string }{
		{"POST", "/Users"}, {"PUT", "/Users/" + id}, {"PATCH", "/Users/" + id}, {"POST", "/Users/.search"}, {"POST", "/.search"}, {"POST", "/Bulk"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			want(t, c.do(tc.method, tc.path, big), http.StatusRequestEntityTooLarge, "")
		})
	}
	if c.total("/Users") != 1 || str(c.mustGet("/Users/"+id), "displayName") != "" {
		t.Error("an oversized request changed the data")
	}
	// Just under the limit is fine.
	want(t, c.do("POST", "/Users", js(obj{"userName": "fits", "displayName": strings.Repeat("y", 200)})), http.StatusCreated, "")
}

// TestFilterAbuse: hostile or odd filters are answered with 400 or an empty
// result, never with every user and never with a 5xx.
func TestFilterAbuse(t *testing.T) {
	c := newClient(t)
	seedUsers(t, c)
	filters := []string{
		`userName eq "x" or 1 eq 1`,
		`userName eq "x\") or (\"1\" eq \"1"`,
		`userName eq "x' OR '1'='1"`,
		`userName eq "x" or userName eq "y") or (userName pr`,
		`userName eq "*"`,
		`userName eq "%"`,
		`userName co "\u0000"`,
		`userName eq "x"]`,
		`userName[value eq "x"]`,
		`emails[type eq "work"][value eq "x"]`,
		`userName eq "x" and`,
		`userName eq null`,
		`active gt true`,
		`x509Certificates.value eq "AAAA"`,
		`meta.lastModified gt "not a date"`,
		`active eq "maybe"`,
		`userName eq x"`,
		`$where eq "1"`,
		`userName eq "` + strings.Repeat("a", 100000) + `"`,
		strings.Repeat(`userName eq "x" or `, 3000) + `userName eq "y"`,
		strings.Repeat(`userName eq "x" and `, 3000) + `userName eq "y"`,
		"\x00",
		"userName eq \"\xff\"",
	}
	for i, f := range filters {
		name := f
		if len(name) > 60 {
			name = name[:60] + "..."
		}
		t.Run(name, func(t *testing.T) {
			for _, via := range []string{"GET", "POST"} {
				var r response
				if via == "GET" && len(f) < 50000 {
					r = c.list("/Users", "filter", f)
				} else {
					r = c.do("POST", "/Users/.search", js(obj{"filter": f}))
				}
				switch r.Status {
				case http.StatusBadRequest:
					scimType := "invalidFilter"
					if strings.Count(f, " eq ") > store.MaxFilterTerms {
						scimType = "tooMany" // RFC 7644 §3.12: more than the server will process
					}
					want(t, r, http.StatusBadRequest, scimType)
				case http.StatusOK:
					if n := intField(t, r.Body, "totalResults"); n != 0 {
						t.Errorf("filter %d via %s found %d users", i, via, n)
					}
				default:
					t.Errorf("filter %d via %s: status %d: %s", i, via, r.Status, r.Raw)
				}
			}
		})
	}
}

// TestConcurrentDuplicates: racing creates of one userName give exactly one
// 201 and 409s, never a 500 (go-scim 65, gravitee 8290).
func TestConcurrentDuplicates(t *testing.T) {
	c := newClient(t)
	const n = 20
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := "race"
			if i%2 == 1 {
				name = "RACE"
			}
			statuses[i] = c.do("POST", "/Users", js(obj{"userName": name})).Status
		}()
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
		default:
			t.Errorf("status %d", s)
		}
	}
	if created != 1 || c.total("/Users") != 1 {
		t.Errorf("%d creates succeeded, %d users: want exactly one", created, c.total("/Users"))
	}
}

// TestConcurrentPatches: concurrent PATCHes of one group each add a member;
// none is lost.
func TestConcurrentPatches(t *testing.T) {
	c := newClient(t)
	gid := str(c.createGroup("Busy"), "id")
	const n = 12
	ids := make([]string, n)
	for i := range n {
		ids[i] = str(c.createUser("busy"+string(rune('a'+i)), nil), "id")
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.patchOK("/Groups/"+gid, obj{"op": "add", "path": "members", "value": []any{obj{"value": ids[i]}}})
		}()
	}
	wg.Wait()
	if got := memberIDs(c.mustGet("/Groups/" + gid)); !slices.Equal(got, sorted(ids)) {
		t.Errorf("%d members after %d concurrent adds: %v", len(got), n, got)
	}
}
