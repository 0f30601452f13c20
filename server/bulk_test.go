package server_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server"
)

// bulk POSTs a BulkRequest and returns the operation results, checking the
// BulkResponse shape and each failed operation's error body.
func (c *client) bulk(failOnErrors int, ops ...obj) []map[string]any {
	c.tb.Helper()
	body := obj{"schemas": []any{scim.BulkRequestURN}, "Operations": ops}
	if failOnErrors > 0 {
		body["failOnErrors"] = failOnErrors
	}
	r := c.do("POST", "/Bulk", js(body))
	if r.Status != http.StatusOK {
		c.tb.Fatalf("bulk: status %d: %s", r.Status, r.Raw)
	}
	if !slices.Contains(strs(r.Body["schemas"]), scim.BulkResponseURN) {
		c.tb.Errorf("bulk: schemas %v", r.Body["schemas"])
	}
	var out []map[string]any
	for _, x := range asSlice(r.Body["Operations"]) {
		m, _ := x.(map[string]any)
		st, ok := m["status"].(string)
		code, err := strconv.Atoi(st)
		if !ok || err != nil {
			c.tb.Errorf("bulk: operation status %#v is not a string of digits", m["status"])
		}
		if code >= 500 {
			c.tb.Errorf("bulk: operation answered %d: %v", code, m)
		}
		if code >= 400 {
			resp, _ := m["response"].(map[string]any)
			checkErrorBody(c.tb, "bulk operation", code, resp)
		}
		out = append(out, m)
	}
	return out
}

func opStatuses(res []map[string]any) []string { return values(res, "status") }

// idOf reads the resource id from a bulk result's location.
func idOf(res map[string]any) string {
	loc := str(res, "location")
	return loc[strings.LastIndexByte(loc, '/')+1:]
}

func TestBulkCreateWithForwardReferences(t *testing.T) {
	c := newClient(t)
	// The group comes first and refers to users created after it.
	res := c.bulk(0,
		obj{"method": "POST", "path": "/Groups", "bulkId": "g1", "data": obj{
			"schemas": []any{scim.GroupURN}, "displayName": "Bulk Group",
			"members": []any{obj{"type": "User", "value": "bulkId:u1"}, obj{"type": "User", "value": "bulkId:u2"}}}},
		obj{"method": "POST", "path": "/Users", "bulkId": "u1", "data": obj{"schemas": []any{scim.UserURN}, "userName": "bulk1"}},
		obj{"method": "POST", "path": "/Users", "bulkId": "u2", "data": obj{"schemas": []any{scim.UserURN}, "userName": "bulk2"}},
	)
	if got := opStatuses(res); !slices.Equal(got, []string{"201", "201", "201"}) {
		t.Fatalf("statuses %v: %v", got, res)
	}
	if got := values(res, "bulkId"); !slices.Equal(got, []string{"g1", "u1", "u2"}) {
		t.Errorf("results out of request order: bulkIds %v", got)
	}
	gid, u1, u2 := idOf(res[0]), idOf(res[1]), idOf(res[2])
	if str(res[0], "location") != c.url("/Groups/"+gid) || str(res[1], "location") != c.url("/Users/"+u1) {
		t.Errorf("locations %v", values(res, "location"))
	}
	g := c.mustGet("/Groups/" + gid)
	if got := memberIDs(g); !slices.Equal(got, sorted([]string{u1, u2})) {
		t.Errorf("members = %v, want the ids created for u1 and u2 %v", got, sorted([]string{u1, u2}))
	}
	if v := str(res[0], "version"); v == "" || v != str(g, "meta", "version") {
		t.Errorf("version %q, the group's is %q", v, str(g, "meta", "version"))
	}
	if u := c.mustGet("/Users/" + u1); str(u, "userName") != "bulk1" || str(u, "groups", 0, "value") != gid {
		t.Errorf("user %v", u)
	}

	t.Run("reference in a PATCH path and value", func(t *testing.T) {
		res := c.bulk(0,
			obj{"method": "PATCH", "path": "/Groups/bulkId:g2", "data": obj{"schemas": []any{scim.PatchOpURN},
				"Operations": []any{obj{"op": "add", "path": "members", "value": []any{obj{"value": "bulkId:u3"}}}}}},
			obj{"method": "POST", "path": "/Groups", "bulkId": "g2", "data": obj{"displayName": "Second"}},
			obj{"method": "POST", "path": "/Users", "bulkId": "u3", "data": obj{"userName": "bulk3"}},
		)
		if got := opStatuses(res); !slices.Equal(got, []string{"200", "201", "201"}) {
			t.Fatalf("statuses %v: %v", got, res)
		}
		if got := memberIDs(c.mustGet("/Groups/" + idOf(res[1]))); !slices.Equal(got, []string{idOf(res[2])}) {
			t.Errorf("members = %v", got)
		}
	})
}

func TestBulkPutPatchDelete(t *testing.T) {
	c := newClient(t)
	a := str(c.createUser("a", obj{"title": "old"}), "id")
	b := str(c.createUser("b", nil), "id")
	res := c.bulk(0,
		obj{"method": "PUT", "path": "/Users/" + a, "data": obj{"userName": "a", "displayName": "A"}},
		obj{"method": "PATCH", "path": "/Users/" + b, "data": obj{"schemas": []any{scim.PatchOpURN},
			"Operations": []any{obj{"op": "add", "path": "title", "value": "patched"}}}},
		obj{"method": "delete", "path": "/Users/" + a},
	)
	if got := opStatuses(res); !slices.Equal(got, []string{"200", "200", "204"}) {
		t.Fatalf("statuses %v: %v", got, res)
	}
	if got := values(res, "method"); !slices.Equal(got, []string{"PUT", "PATCH", "DELETE"}) {
		t.Errorf("methods %v", got)
	}
	if str(res[1], "location") != c.url("/Users/"+b) || str(res[2], "location") != c.url("/Users/"+a) {
		t.Errorf("locations %v", values(res, "location"))
	}
	if str(res[1], "version") != str(c.mustGet("/Users/"+b), "meta", "version") {
		t.Errorf("PATCH version %q", str(res[1], "version"))
	}
	want(t, c.do("GET", "/Users/"+a, ""), http.StatusNotFound, "")
	if got := c.mustGet("/Users/" + b); str(got, "title") != "patched" {
		t.Errorf("b = %v", got)
	}
}

func TestBulkErrors(t *testing.T) {
	c := newClient(t)
	existing := c.createUser("dup", nil)
	id := str(existing, "id")
	tests := []struct {
		name     string
		op       obj
		status   string
		scimType string
	}{
		{"duplicate userName", obj{"method": "POST", "path": "/Users", "bulkId": "d", "data": obj{"userName": "DUP"}}, "409", "uniqueness"},
		{"missing userName", obj{"method": "POST", "path": "/Users", "bulkId": "m", "data": obj{"displayName": "x"}}, "400", "invalidValue"},
		{"PUT unknown id", obj{"method": "PUT", "path": "/Users/nope", "data": obj{"userName": "x"}}, "404", ""},
		{"PATCH bad path", obj{"method": "PATCH", "path": "/Users/" + id, "data": obj{"Operations": []any{obj{"op": "replace", "path": "nosuch", "value": 1}}}}, "400", "invalidPath"},
		{"DELETE unknown id", obj{"method": "DELETE", "path": "/Groups/nope"}, "404", ""},
		{"stale version", obj{"method": "DELETE", "path": "/Users/" + id, "version": `W/"999999"`}, "412", ""},
		{"POST without bulkId", obj{"method": "POST", "path": "/Users", "data": obj{"userName": "nobulkid"}}, "400", ""},
		{"POST to a resource path", obj{"method": "POST", "path": "/Users/" + id, "bulkId": "x", "data": obj{"userName": "x2"}}, "400", ""},
		{"unknown endpoint", obj{"method": "POST", "path": "/Widgets", "bulkId": "w", "data": obj{}}, "400", "invalidPath"},
		{"unknown method", obj{"method": "GET", "path": "/Users/" + id}, "400", ""},
		{"no data", obj{"method": "PUT", "path": "/Users/" + id}, "400", ""},
		{"data not an object", obj{"method": "PUT", "path": "/Users/" + id, "data": "x"}, "400", ""},
		{"unknown bulkId in path", obj{"method": "DELETE", "path": "/Users/bulkId:nope"}, "400", "invalidPath"},
		{"wrong type", obj{"method": "POST", "path": "/Users", "bulkId": "t", "data": obj{"userName": "typed", "active": "yes"}}, "400", "invalidValue"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := c.total("/Users")
			res := c.bulk(0, tc.op)
			if len(res) != 1 || str(res[0], "status") != tc.status {
				t.Fatalf("results %v, want one with status %s", res, tc.status)
			}
			if tc.scimType != "" && str(res[0], "response", "scimType") != tc.scimType {
				t.Errorf("scimType %q, want %q", str(res[0], "response", "scimType"), tc.scimType)
			}
			if b, _ := tc.op["bulkId"].(string); b != "" && str(res[0], "bulkId") != b {
				t.Errorf("bulkId %q not echoed", b)
			}
			if c.total("/Users") != before {
				t.Error("a failed operation changed the users")
			}
		})
	}
	if got := c.mustGet("/Users/" + id); str(got, "meta", "version") != str(existing, "meta", "version") {
		t.Errorf("user changed by failed operations: %v", got)
	}

	t.Run("errors do not stop other operations", func(t *testing.T) {
		res := c.bulk(0,
			obj{"method": "POST", "path": "/Users", "bulkId": "e1", "data": obj{"userName": "dup"}},
			obj{"method": "POST", "path": "/Users", "bulkId": "ok1", "data": obj{"userName": "fine1"}},
		)
		if got := opStatuses(res); !slices.Equal(got, []string{"409", "201"}) {
			t.Errorf("statuses %v", got)
		}
	})
	t.Run("failOnErrors=1 stops after the first error", func(t *testing.T) {
		before := c.total("/Users")
		res := c.bulk(1,
			obj{"method": "POST", "path": "/Users", "bulkId": "ok2", "data": obj{"userName": "fine2"}},
			obj{"method": "POST", "path": "/Users", "bulkId": "e2", "data": obj{"userName": "dup"}},
			obj{"method": "POST", "path": "/Users", "bulkId": "ok3", "data": obj{"userName": "fine3"}},
		)
		if got := opStatuses(res); !slices.Equal(got, []string{"201", "409"}) {
			t.Errorf("statuses %v, want the operations up to the first error", got)
		}
		if c.total("/Users") != before+1 {
			t.Error("an operation after the failOnErrors limit ran")
		}
		want(t, c.do("GET", "/Users/"+idOf(res[0]), ""), http.StatusOK, "")
	})
	t.Run("failOnErrors=2", func(t *testing.T) {
		res := c.bulk(2,
			obj{"method": "DELETE", "path": "/Users/nope1"},
			obj{"method": "POST", "path": "/Users", "bulkId": "ok4", "data": obj{"userName": "fine4"}},
			obj{"method": "DELETE", "path": "/Users/nope2"},
			obj{"method": "POST", "path": "/Users", "bulkId": "ok5", "data": obj{"userName": "fine5"}},
		)
		if got := opStatuses(res); !slices.Equal(got, []string{"404", "201", "404"}) {
			t.Errorf("statuses %v", got)
		}
	})
	t.Run("reference to a failed POST", func(t *testing.T) {
		res := c.bulk(0,
			obj{"method": "POST", "path": "/Users", "bulkId": "bad", "data": obj{"userName": "dup"}},
			obj{"method": "POST", "path": "/Groups", "bulkId": "gbad", "data": obj{"displayName": "refers to bad",
				"members": []any{obj{"value": "bulkId:bad"}}}},
		)
		if got := opStatuses(res); !slices.Equal(got, []string{"409", "400"}) {
			t.Errorf("statuses %v: an operation that refers to a failed one fails too (400)", got)
		}
		if n := c.total("/Groups"); n != 0 {
			t.Errorf("%d groups created", n)
		}
	})
}

func TestBulkCycle(t *testing.T) {
	c := newClient(t)
	res := c.bulk(0,
		obj{"method": "POST", "path": "/Groups", "bulkId": "a", "data": obj{"displayName": "A", "members": []any{obj{"value": "bulkId:b"}}}},
		obj{"method": "POST", "path": "/Groups", "bulkId": "b", "data": obj{"displayName": "B", "members": []any{obj{"value": "bulkId:a"}}}},
		obj{"method": "POST", "path": "/Users", "bulkId": "u", "data": obj{"userName": "independent"}},
	)
	if len(res) != 3 {
		t.Fatalf("results %v", res)
	}
	// RFC 7644 §3.7.1: a server that does not resolve a circular
	// reference answers 409 for it.
	for _, r := range res[:2] {
		if str(r, "status") != "409" {
			t.Errorf("cycle operation %v: status %s, want 409", r["bulkId"], str(r, "status"))
		}
	}
	if str(res[2], "status") != "201" {
		t.Errorf("an operation outside the cycle: %v", res[2])
	}
	if n := c.total("/Groups"); n != 0 {
		t.Errorf("%d groups created from a cycle", n)
	}
}

func TestBulkLimits(t *testing.T) {
	c := newClient(t, func(cfg *server.Config) { cfg.BulkMaxOperations = 2 })
	op := func(i int) obj {
		return obj{"method": "POST", "path": "/Users", "bulkId": strconv.Itoa(i), "data": obj{"userName": "lim" + strconv.Itoa(i)}}
	}
	r := c.do("POST", "/Bulk", js(obj{"schemas": []any{scim.BulkRequestURN}, "Operations": []any{op(1), op(2), op(3)}}))
	want(t, r, http.StatusRequestEntityTooLarge, "")
	if c.total("/Users") != 0 {
		t.Error("a rejected bulk request ran operations")
	}
	if got := opStatuses(c.bulk(0, op(1), op(2))); !slices.Equal(got, []string{"201", "201"}) {
		t.Errorf("at the limit: %v", got)
	}
	spc := c.mustGet("/ServiceProviderConfig")
	if n := intField(t, spc["bulk"].(map[string]any), "maxOperations"); n != 2 {
		t.Errorf("bulk.maxOperations = %d, configured 2", n)
	}

	bad := []struct{ name, body, scimType string }{
		{"no Operations", `{"schemas":["` + scim.BulkRequestURN + `"]}`, "invalidSyntax"},
		{"empty Operations", `{"Operations":[]}`, "invalidSyntax"},
		{"Operations not an array", `{"Operations":"x"}`, "invalidSyntax"},
		{"operation not an object", `{"Operations":[1]}`, "invalidSyntax"},
		{"failOnErrors a string", `{"failOnErrors":"1","Operations":[{"method":"DELETE","path":"/Users/x"}]}`, "invalidValue"},
		{"failOnErrors negative", `{"failOnErrors":-1,"Operations":[{"method":"DELETE","path":"/Users/x"}]}`, "invalidValue"},
		{"not JSON", `{"Operations":[`, "invalidSyntax"},
		{"duplicate bulkId", `{"Operations":[{"method":"POST","path":"/Users","bulkId":"x","data":{"userName":"d1"}},` +
			`{"method":"POST","path":"/Users","bulkId":"x","data":{"userName":"d2"}}]}`, "invalidValue"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			before := c.total("/Users")
			want(t, c.do("POST", "/Bulk", tc.body), http.StatusBadRequest, tc.scimType)
			if c.total("/Users") != before {
				t.Error("a rejected bulk request ran operations")
			}
		})
	}
	t.Run("body limit", func(t *testing.T) {
		c := newClient(t, func(cfg *server.Config) { cfg.MaxBodyBytes = 512 })
		big := obj{"method": "POST", "path": "/Users", "bulkId": "big", "data": obj{"userName": strings.Repeat("x", 1000)}}
		want(t, c.do("POST", "/Bulk", js(obj{"Operations": []any{big}})), http.StatusRequestEntityTooLarge, "")
		if n := intField(t, c.mustGet("/ServiceProviderConfig")["bulk"].(map[string]any), "maxPayloadSize"); n != 512 {
			t.Errorf("bulk.maxPayloadSize = %d, configured 512", n)
		}
	})
}

func TestBulkTenantIsolation(t *testing.T) {
	c := newClient(t)
	acme := c.tenant("acme", acmeToken)
	foreign := str(acme.createUser("acme-user", nil), "id")
	res := c.bulk(0,
		obj{"method": "DELETE", "path": "/Users/" + foreign},
		obj{"method": "PATCH", "path": "/Users/" + foreign, "data": obj{"Operations": []any{obj{"op": "add", "path": "title", "value": "x"}}}},
	)
	if got := opStatuses(res); !slices.Equal(got, []string{"404", "404"}) {
		t.Errorf("statuses %v: one tenant's bulk request reached another's user", got)
	}
	if u := acme.mustGet("/Users/" + foreign); u["title"] != nil {
		t.Errorf("acme user changed: %v", u)
	}
	r := acme.do("POST", "/Bulk", js(obj{"Operations": []any{obj{"method": "POST", "path": "/Users", "bulkId": "x", "data": obj{"userName": "in-acme"}}}}))
	want(t, r, http.StatusOK, "")
	if !strings.HasPrefix(str(r.Body, "Operations", 0, "location"), c.root+"/t/acme/scim/v2/Users/") {
		t.Errorf("location %q is not under the tenant's base URL", str(r.Body, "Operations", 0, "location"))
	}
	if c.total("/Users") != 0 {
		t.Error("acme's bulk POST created a user in the default tenant")
	}
}
