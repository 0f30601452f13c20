package server_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server"
)

func TestServiceProviderConfig(t *testing.T) {
	c := newClient(t, func(cfg *server.Config) {
		cfg.MaxResults = 37
		cfg.BulkMaxOperations = 12
		cfg.MaxBodyBytes = 4096
	})
	r := c.do("GET", "/ServiceProviderConfig", "")
	want(t, r, http.StatusOK, "")
	spc := r.Body
	if s := strs(spc["schemas"]); !slices.Equal(s, []string{scim.SPConfigURN}) {
		t.Errorf("schemas = %v", s)
	}
	for _, f := range []string{"patch", "bulk", "filter", "sort", "etag", "changePassword"} {
		if _, ok := get(spc, f, "supported").(bool); !ok {
			t.Errorf("%s.supported = %#v, want a boolean", f, get(spc, f, "supported"))
		}
	}
	// Each feature advertised as supported is exercised by this package's
	// tests: PATCH (crud), Bulk (bulk), filter and sort (query), ETags (etag).
	for _, f := range []string{"patch", "bulk", "filter", "sort", "etag"} {
		if get(spc, f, "supported") != true {
			t.Errorf("%s.supported = %v; the server supports it", f, get(spc, f, "supported"))
		}
	}
	if n := intField(t, spc["filter"].(map[string]any), "maxResults"); n != 37 {
		t.Errorf("filter.maxResults = %d, want Config.MaxResults 37", n)
	}
	if n := intField(t, spc["bulk"].(map[string]any), "maxOperations"); n != 12 {
		t.Errorf("bulk.maxOperations = %d, want 12", n)
	}
	if n := intField(t, spc["bulk"].(map[string]any), "maxPayloadSize"); n != 4096 {
		t.Errorf("bulk.maxPayloadSize = %d, want 4096", n)
	}
	schemes := asSlice(spc["authenticationSchemes"])
	if len(schemes) == 0 || str(schemes[0], "type") != "oauthbearertoken" || str(schemes[0], "name") == "" || str(schemes[0], "description") == "" {
		t.Errorf("authenticationSchemes = %v", spc["authenticationSchemes"])
	}
	if str(spc, "meta", "resourceType") != "ServiceProviderConfig" || str(spc, "meta", "location") != c.url("/ServiceProviderConfig") {
		t.Errorf("meta = %v", spc["meta"])
	}

	t.Run("filter.maxResults is the page cap", func(t *testing.T) {
		for i := 0; i < 38; i++ {
			c.createUser("cap"+string(rune('a'+i/26))+string(rune('a'+i%26)), nil)
		}
		r := c.list("/Users", "count", "1000")
		if n := len(resources(t, r)); n != 37 || intField(t, r.Body, "totalResults") != 38 {
			t.Errorf("%d resources of %v; the page is capped at filter.maxResults", n, r.Body["totalResults"])
		}
	})
}

func TestSchemas(t *testing.T) {
	c := newClient(t)
	r := c.do("GET", "/Schemas", "")
	rs := resources(t, r)
	if intField(t, r.Body, "totalResults") != 3 || len(rs) != 3 {
		t.Fatalf("%d schemas: %s", len(rs), r.Raw)
	}
	if got := sorted(values(rs, "id")); !slices.Equal(got, sorted([]string{scim.UserURN, scim.GroupURN, scim.EnterpriseUserURN})) {
		t.Errorf("schema ids %v", got)
	}
	for _, s := range rs {
		if len(asSlice(s["attributes"])) == 0 || str(s, "name") == "" {
			t.Errorf("schema %s has no name or attributes", str(s, "id"))
		}
		if !slices.Equal(strs(s["schemas"]), []string{scim.SchemaURN}) {
			t.Errorf("schema %s: schemas %v", str(s, "id"), s["schemas"])
		}
		if str(s, "meta", "location") != c.url("/Schemas/"+str(s, "id")) || str(s, "meta", "resourceType") != "Schema" {
			t.Errorf("schema %s: meta %v", str(s, "id"), s["meta"])
		}
	}

	attr := func(s map[string]any, name string) map[string]any {
		for _, a := range asSlice(s["attributes"]) {
			if str(a, "name") == name {
				return a.(map[string]any)
			}
		}
		t.Fatalf("schema %s has no attribute %s", str(s, "id"), name)
		return nil
	}
	t.Run("User attribute characteristics", func(t *testing.T) {
		user := c.mustGet("/Schemas/" + scim.UserURN)
		un := attr(user, "userName")
		if un["required"] != true || un["uniqueness"] != "server" || un["caseExact"] != false || un["type"] != "string" {
			t.Errorf("userName = %v", un)
		}
		pw := attr(user, "password")
		if pw["mutability"] != "writeOnly" || pw["returned"] != "never" {
			t.Errorf("password = %v", pw)
		}
		if gs := attr(user, "groups"); gs["mutability"] != "readOnly" || gs["multiValued"] != true {
			t.Errorf("groups = %v", gs)
		}
		for _, n := range []string{"name", "displayName", "nickName", "profileUrl", "title", "userType", "preferredLanguage",
			"locale", "timezone", "active", "emails", "phoneNumbers", "ims", "photos", "addresses", "entitlements", "roles", "x509Certificates"} {
			attr(user, n)
		}
	})
	t.Run("enterprise extension by id", func(t *testing.T) {
		r := c.do("GET", "/Schemas/"+scim.EnterpriseUserURN, "")
		want(t, r, http.StatusOK, "")
		if str(r.Body, "id") != scim.EnterpriseUserURN {
			t.Errorf("id = %q", str(r.Body, "id"))
		}
		if m := attr(r.Body, "manager"); m["type"] != "complex" {
			t.Errorf("manager = %v", m)
		}
		attr(r.Body, "employeeNumber")
		// Encoded colons name the same schema.
		r = c.do("GET", "/Schemas/"+url.PathEscape(scim.EnterpriseUserURN), "")
		want(t, r, http.StatusOK, "")
	})
	t.Run("Group", func(t *testing.T) {
		g := c.mustGet("/Schemas/" + scim.GroupURN)
		if m := attr(g, "members"); m["multiValued"] != true {
			t.Errorf("members = %v", m)
		}
	})
	for _, id := range []string{"urn:ietf:params:scim:schemas:core:2.0:Nope", "nope", "urn:scim:schemas:core:1.0"} {
		t.Run("unknown "+id, func(t *testing.T) {
			want(t, c.do("GET", "/Schemas/"+id, ""), http.StatusNotFound, "")
		})
	}
}

func TestResourceTypes(t *testing.T) {
	c := newClient(t)
	r := c.do("GET", "/ResourceTypes", "")
	rs := resources(t, r)
	if intField(t, r.Body, "totalResults") != 2 || !slices.Equal(sorted(values(rs, "id")), []string{"Group", "User"}) {
		t.Fatalf("resource types %s", r.Raw)
	}
	u := c.mustGet("/ResourceTypes/User")
	if str(u, "endpoint") != "/Users" || str(u, "schema") != scim.UserURN || str(u, "name") != "User" {
		t.Errorf("User = %v", u)
	}
	exts := asSlice(u["schemaExtensions"])
	if len(exts) != 1 || str(exts[0], "schema") != scim.EnterpriseUserURN || get(exts[0], "required") != false {
		t.Errorf("schemaExtensions = %v", u["schemaExtensions"])
	}
	if !slices.Equal(strs(u["schemas"]), []string{scim.ResourceTypeURN}) || str(u, "meta", "location") != c.url("/ResourceTypes/User") {
		t.Errorf("schemas %v, meta %v", u["schemas"], u["meta"])
	}
	g := c.mustGet("/ResourceTypes/Group")
	if str(g, "endpoint") != "/Groups" || str(g, "schema") != scim.GroupURN {
		t.Errorf("Group = %v", g)
	}
	if e, ok := g["schemaExtensions"].([]any); !ok || len(e) != 0 {
		t.Errorf("Group schemaExtensions = %#v, want []", g["schemaExtensions"])
	}
	want(t, c.do("GET", "/ResourceTypes/Widget", ""), http.StatusNotFound, "")
}

func TestDiscoveryPerTenant(t *testing.T) {
	c := newClient(t)
	acme := c.tenant("acme", acmeToken)
	for _, p := range []string{"/ServiceProviderConfig", "/Schemas", "/ResourceTypes", "/ResourceTypes/User", "/Schemas/" + scim.UserURN} {
		t.Run(p, func(t *testing.T) {
			acme.mustGet(p)
			want(t, c.tenant("acme", defaultToken).do("GET", p, ""), http.StatusUnauthorized, "")
		})
	}
	if loc := str(acme.mustGet("/ResourceTypes/User"), "meta", "location"); loc != c.root+"/t/acme/scim/v2/ResourceTypes/User" {
		t.Errorf("meta.location %q is not under the tenant's base URL", loc)
	}
	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		r := c.do(m, "/Schemas", "")
		want(t, r, http.StatusMethodNotAllowed, "")
		if r.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /Schemas: Allow %q", m, r.Header.Get("Allow"))
		}
	}
}

// TestMe: RFC 7644 §3.11 lets a server without a "me" answer 501; the
// answer must still be the SCIM error body.
func TestMe(t *testing.T) {
	c := newClient(t)
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/Me", ""},
		{"POST", "/Me", js(obj{"userName": "me"})},
		{"PUT", "/Me", js(obj{"userName": "me"})},
		{"PATCH", "/Me", patchBody(obj{"op": "add", "path": "title", "value": "x"})},
		{"DELETE", "/Me", ""},
		{"GET", "/Me/anything", ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			want(t, c.do(tc.method, tc.path, tc.body), http.StatusNotImplemented, "")
		})
	}
	want(t, c.tenant("acme", acmeToken).do("GET", "/Me", ""), http.StatusNotImplemented, "")
	want(t, c.withToken("").do("GET", "/Me", ""), http.StatusUnauthorized, "")
	if c.total("/Users") != 0 {
		t.Error("POST /Me created a user")
	}
}
