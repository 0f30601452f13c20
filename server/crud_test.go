package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/schema"
)

func TestCreateUser(t *testing.T) {
	c := newClient(t)
	r := c.do("POST", "/Users", js(obj{
		"schemas":              []any{scim.UserURN, scim.EnterpriseUserURN},
		"id":                   "chosen-by-client",
		"meta":                 obj{"created": "2000-01-01T00:00:00Z", "version": `W/"99"`},
		"userName":             "bjensen",
		"password":             "t1meMa$heen",
		"name":                 obj{"givenName": "Barbara", "familyName": "Jensen"},
		"emails":               []any{obj{"value": "bjensen@example.com", "type": "work", "primary": true}},
		"active":               true,
		scim.EnterpriseUserURN: obj{"employeeNumber": "701984", "department": "Tour Operations"},
	}))
	want(t, r, http.StatusCreated, "")
	u := r.Body
	id := str(u, "id")
	if id == "" || id == "chosen-by-client" {
		t.Errorf("id = %q: the server must assign the id and ignore the client's", id)
	}
	if loc := r.Header.Get("Location"); loc != str(u, "meta", "location") || loc != c.url("/Users/"+id) {
		t.Errorf("Location %q, meta.location %q, want both %q", loc, str(u, "meta", "location"), c.url("/Users/"+id))
	}
	if et := r.Header.Get("ETag"); et == "" || et != str(u, "meta", "version") {
		t.Errorf("ETag %q, meta.version %q: want equal and non-empty", et, str(u, "meta", "version"))
	}
	if str(u, "meta", "version") == `W/"99"` {
		t.Error("meta.version was taken from the client")
	}
	if got := str(u, "meta", "resourceType"); got != "User" {
		t.Errorf("meta.resourceType = %q", got)
	}
	created, err := time.Parse(time.RFC3339Nano, str(u, "meta", "created"))
	if err != nil || created.Year() < 2020 {
		t.Errorf("meta.created = %q (%v): must be the server's time", str(u, "meta", "created"), err)
	}
	if _, err := time.Parse(time.RFC3339Nano, str(u, "meta", "lastModified")); err != nil {
		t.Errorf("meta.lastModified = %q: %v", str(u, "meta", "lastModified"), err)
	}
	if s := strs(u["schemas"]); !slices.Equal(s, []string{scim.UserURN, scim.EnterpriseUserURN}) {
		t.Errorf("schemas = %v", s)
	}
	if str(u, "userName") != "bjensen" || str(u, "name", "givenName") != "Barbara" ||
		str(u, "emails", 0, "value") != "bjensen@example.com" || get(u, "active") != true ||
		str(u, scim.EnterpriseUserURN, "employeeNumber") != "701984" {
		t.Errorf("attributes not echoed: %v", u)
	}
	if _, ok := u["password"]; ok {
		t.Error("password returned")
	}

	t.Run("get", func(t *testing.T) {
		r := c.do("GET", "/Users/"+id, "")
		want(t, r, http.StatusOK, "")
		if r.Header.Get("ETag") != str(r.Body, "meta", "version") {
			t.Errorf("ETag %q != meta.version %q", r.Header.Get("ETag"), str(r.Body, "meta", "version"))
		}
		for _, k := range []string{"id", "userName", "name", "emails", "active", "meta", scim.EnterpriseUserURN} {
			if !schema.Equal(r.Body[k], u[k]) {
				t.Errorf("GET %s = %v, POST answered %v", k, r.Body[k], u[k])
			}
		}
		if r.Header.Get("Location") != "" {
			t.Errorf("Location on a GET: %q", r.Header.Get("Location"))
		}
	})
	t.Run("list", func(t *testing.T) {
		rs := resources(t, c.list("/Users"))
		if len(rs) != 1 || str(rs[0], "id") != id || str(rs[0], "meta", "location") != c.url("/Users/"+id) {
			t.Errorf("list = %v", rs)
		}
	})
}

// TestCreateUserAllCoreAttributes round-trips every RFC 7643 §4.1 attribute.
func TestCreateUserAllCoreAttributes(t *testing.T) {
	c := newClient(t)
	in := obj{
		"userName":          "full",
		"externalId":        "ext-full",
		"name":              obj{"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen", "givenName": "Barbara", "middleName": "Jane", "honorificPrefix": "Ms.", "honorificSuffix": "III"},
		"displayName":       "Babs Jensen",
		"nickName":          "Babs",
		"profileUrl":        "https://login.example.com/bjensen",
		"title":             "Tour Guide",
		"userType":          "Employee",
		"preferredLanguage": "en-US",
		"locale":            "en-US",
		"timezone":          "America/Los_Angeles",
		"active":            true,
		"emails":            []any{obj{"value": "a@example.com", "type": "work", "primary": true}, obj{"value": "b@example.org", "type": "home"}},
		"phoneNumbers":      []any{obj{"value": "555-555-5555", "type": "work"}, obj{"value": "555-555-4444", "type": "mobile"}},
		"ims":               []any{obj{"value": "someaimhandle", "type": "aim"}},
		"photos":            []any{obj{"value": "https://photos.example.com/profilephoto/72930000000Ccne/F", "type": "photo"}},
		"addresses":         []any{obj{"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood", "region": "CA", "postalCode": "91608", "country": "USA", "formatted": "100 Universal City Plaza\nHollywood, CA 91608 USA", "primary": true}},
		"entitlements":      []any{obj{"value": "Tour Guide Access"}},
		"roles":             []any{obj{"value": "Tour Guide", "primary": true}},
		"x509Certificates":  []any{obj{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"}},
	}
	u := c.createUser("full", in)
	got := c.mustGet("/Users/" + str(u, "id"))
	for k, v := range in {
		if !schema.Equal(jsonRoundTrip(v), got[k]) {
			t.Errorf("%s = %v, sent %v", k, got[k], v)
		}
	}
}

// jsonRoundTrip gives v as the client decodes it (numbers as json.Number).
func jsonRoundTrip(v any) any {
	var r response
	r.Raw = []byte(js(obj{"v": v}))
	_ = decodeInto(r.Raw, &r.Body)
	return r.Body["v"]
}

func TestCreateUserNormalisation(t *testing.T) {
	c := newClient(t)
	r := c.do("POST", "/Users", `{"USERNAME":"Case.Person","Name":{"GivenName":"Case"},"EMAILS":[{"VALUE":"c@example.com","Type":"WORK"}],"Active":"true"}`)
	want(t, r, http.StatusCreated, "")
	if str(r.Body, "userName") != "Case.Person" {
		t.Errorf("userName = %v: attribute names are case-insensitive and the value keeps its case", r.Body["userName"])
	}
	if str(r.Body, "name", "givenName") != "Case" {
		t.Errorf("name = %v, want canonical name.givenName", r.Body["name"])
	}
	if str(r.Body, "emails", 0, "value") != "c@example.com" || str(r.Body, "emails", 0, "type") != "work" {
		t.Errorf("emails = %v, want canonical names and the canonical value \"work\"", r.Body["emails"])
	}
	if r.Body["active"] != true {
		t.Errorf("active = %#v, want true", r.Body["active"])
	}
	for _, k := range []string{"USERNAME", "Name", "EMAILS", "Active"} {
		if _, ok := r.Body[k]; ok {
			t.Errorf("non-canonical key %q returned", k)
		}
	}

	t.Run("two primaries", func(t *testing.T) {
		n := c.total("/Users")
		r := c.do("POST", "/Users", js(obj{"userName": "twoprimary", "emails": []any{
			obj{"value": "a@example.com", "primary": true}, obj{"value": "b@example.com", "primary": true}}}))
		want(t, r, http.StatusBadRequest, "invalidValue")
		if c.total("/Users") != n {
			t.Error("a rejected POST created a user")
		}
	})
	t.Run("unknown attributes ignored", func(t *testing.T) {
		r := c.do("POST", "/Users", js(obj{"userName": "extra", "favouriteColour": "blue"}))
		want(t, r, http.StatusCreated, "")
		if _, ok := r.Body["favouriteColour"]; ok {
			t.Error("an unknown attribute was stored")
		}
	})
	t.Run("readOnly groups ignored", func(t *testing.T) {
		r := c.do("POST", "/Users", js(obj{"userName": "grp", "groups": []any{obj{"value": "not-a-group"}}}))
		want(t, r, http.StatusCreated, "")
		if r.Body["groups"] != nil {
			t.Errorf("groups = %v: readOnly input must be ignored", r.Body["groups"])
		}
	})
}

// TestPutOktaStyle: Okta reads a user and PUTs back the full resource, id,
// meta and groups included (developer.okta.com SCIM 2.0 reference).
func TestPutOktaStyle(t *testing.T) {
	c := newClient(t)
	u := c.createUser("okta.put", obj{"displayName": "Before", "title": "Engineer", "nickName": "op"})
	id := str(u, "id")
	g := c.createGroup("Engineering", id)
	cur := c.mustGet("/Users/" + id)
	if len(asSlice(cur["groups"])) != 1 {
		t.Fatalf("groups = %v, want the one group", cur["groups"])
	}
	cur["displayName"] = "After"
	delete(cur, "nickName")
	cur["id"] = "another-id"
	cur["meta"] = obj{"created": "1999-01-01T00:00:00Z", "resourceType": "Group", "version": `W/"0"`}
	cur["groups"] = []any{}
	r := c.do("PUT", "/Users/"+id, js(cur))
	want(t, r, http.StatusOK, "")
	p := r.Body
	if str(p, "id") != id || str(p, "meta", "created") != str(u, "meta", "created") || str(p, "meta", "resourceType") != "User" {
		t.Errorf("readOnly id/meta changed by PUT: %v", p)
	}
	if str(p, "meta", "version") == str(u, "meta", "version") || r.Header.Get("ETag") != str(p, "meta", "version") {
		t.Errorf("version %q (was %q), ETag %q", str(p, "meta", "version"), str(u, "meta", "version"), r.Header.Get("ETag"))
	}
	if str(p, "displayName") != "After" || str(p, "title") != "Engineer" {
		t.Errorf("PUT did not replace: %v", p)
	}
	if _, ok := p["nickName"]; ok {
		t.Error("nickName left out of the PUT body but still there: PUT replaces the resource")
	}
	if got := str(p, "groups", 0, "value"); got != str(g, "id") {
		t.Errorf("groups = %v: membership is derived from groups, not from the PUT body", p["groups"])
	}
	if got := c.mustGet("/Users/" + id); str(got, "displayName") != "After" {
		t.Errorf("GET after PUT: %v", got)
	}

	t.Run("unknown id", func(t *testing.T) {
		want(t, c.do("PUT", "/Users/nope", js(obj{"userName": "x"})), http.StatusNotFound, "")
	})
	t.Run("missing userName", func(t *testing.T) {
		want(t, c.do("PUT", "/Users/"+id, js(obj{"displayName": "x"})), http.StatusBadRequest, "invalidValue")
		if str(c.mustGet("/Users/"+id), "userName") != "okta.put" {
			t.Error("a rejected PUT changed the user")
		}
	})
	t.Run("userName taken", func(t *testing.T) {
		c.createUser("other.user", nil)
		want(t, c.do("PUT", "/Users/"+id, js(obj{"userName": "OTHER.user"})), http.StatusConflict, "uniqueness")
	})
}

func TestPatchWiring(t *testing.T) {
	c := newClient(t)
	u := c.createUser("patchme", obj{"displayName": "Old", "emails": []any{obj{"value": "p@example.com", "type": "work"}}})
	id := str(u, "id")

	t.Run("200 with the resource", func(t *testing.T) {
		r := c.patch("/Users/"+id, obj{"op": "replace", "path": "displayName", "value": "New"})
		want(t, r, http.StatusOK, "")
		if str(r.Body, "displayName") != "New" || str(r.Body, "id") != id || str(r.Body, "userName") != "patchme" {
			t.Errorf("PATCH answer = %v", r.Body)
		}
		if r.Header.Get("ETag") != str(r.Body, "meta", "version") || str(r.Body, "meta", "version") == str(u, "meta", "version") {
			t.Errorf("ETag %q, version %q (before %q)", r.Header.Get("ETag"), str(r.Body, "meta", "version"), str(u, "meta", "version"))
		}
	})
	t.Run("attributes on PATCH", func(t *testing.T) {
		r := c.do("PATCH", "/Users/"+id+"?attributes=displayName", patchBody(obj{"op": "replace", "path": "title", "value": "T"}))
		want(t, r, http.StatusOK, "")
		if r.Body["emails"] != nil || str(r.Body, "displayName") != "New" || str(r.Body, "id") != id {
			t.Errorf("projected PATCH answer = %v", r.Body)
		}
	})

	errs := []struct {
		name, scimType string
		status         int
		ops            []obj
	}{
		{"bad path syntax", "invalidPath", 400, []obj{{"op": "replace", "path": `emails[type eq "work"`, "value": "x"}}},
		{"unknown attribute", "invalidPath", 400, []obj{{"op": "replace", "path": "nosuch", "value": "x"}}},
		{"remove without path", "noTarget", 400, []obj{{"op": "remove"}}},
		{"wrong type", "invalidValue", 400, []obj{{"op": "replace", "path": "active", "value": "yes"}}},
		{"readOnly id", "mutability", 400, []obj{{"op": "replace", "path": "id", "value": "x"}}},
		{"atomic: second op fails", "invalidPath", 400, []obj{
			{"op": "replace", "path": "displayName", "value": "Half"},
			{"op": "replace", "path": "nosuch", "value": "x"}}},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			before := c.do("GET", "/Users/"+id, "")
			r := c.patch("/Users/"+id, tc.ops...)
			want(t, r, tc.status, tc.scimType)
			after := c.do("GET", "/Users/"+id, "")
			if !schema.Equal(before.Body, after.Body) || before.Header.Get("ETag") != after.Header.Get("ETag") {
				t.Errorf("a failed PATCH changed the user:\nbefore %s\nafter  %s", before.Raw, after.Raw)
			}
		})
	}
	t.Run("not a PatchOp", func(t *testing.T) {
		want(t, c.do("PATCH", "/Users/"+id, `{"displayName":"x"}`), http.StatusBadRequest, "")
		want(t, c.do("PATCH", "/Users/"+id, `{"schemas":["`+scim.PatchOpURN+`"],"Operations":[]}`+"x"), http.StatusBadRequest, "invalidSyntax")
	})
	t.Run("unknown id", func(t *testing.T) {
		want(t, c.patch("/Users/nope", obj{"op": "replace", "path": "displayName", "value": "x"}), http.StatusNotFound, "")
	})
	t.Run("uniqueness", func(t *testing.T) {
		c.createUser("taken", nil)
		want(t, c.patch("/Users/"+id, obj{"op": "replace", "path": "userName", "value": "TAKEN"}), http.StatusConflict, "uniqueness")
	})
}

func TestPatchNoContent(t *testing.T) {
	c := newClient(t, func(cfg *server.Config) { cfg.PatchNoContent = true })
	id := str(c.createUser("nc", nil), "id")
	r := c.patch("/Users/"+id, obj{"op": "add", "path": "title", "value": "Boss"})
	want(t, r, http.StatusNoContent, "")
	got := c.do("GET", "/Users/"+id, "")
	if str(got.Body, "title") != "Boss" {
		t.Errorf("title = %v after a 204 PATCH", got.Body["title"])
	}
	if et := r.Header.Get("ETag"); et == "" || et != got.Header.Get("ETag") {
		t.Errorf("204 ETag %q, GET ETag %q", et, got.Header.Get("ETag"))
	}
	// Errors are still errors.
	want(t, c.patch("/Users/"+id, obj{"op": "replace", "path": "nosuch", "value": 1}), http.StatusBadRequest, "invalidPath")
}

func TestDeleteUser(t *testing.T) {
	c := newClient(t)
	id := str(c.createUser("gone", nil), "id")
	keep := str(c.createUser("kept", nil), "id")
	want(t, c.do("DELETE", "/Users/"+id, ""), http.StatusNoContent, "")
	want(t, c.do("GET", "/Users/"+id, ""), http.StatusNotFound, "")
	want(t, c.do("DELETE", "/Users/"+id, ""), http.StatusNotFound, "")
	want(t, c.patch("/Users/"+id, obj{"op": "replace", "path": "title", "value": "x"}), http.StatusNotFound, "")
	if got := values(resources(t, c.list("/Users")), "id"); !slices.Equal(got, []string{keep}) {
		t.Errorf("users after delete = %v, want [%s]", got, keep)
	}
	// The userName is free again.
	c.createUser("gone", nil)
}

func TestGroupsAndMembership(t *testing.T) {
	c := newClient(t)
	u1 := str(c.createUser("m1", nil), "id")
	u2 := str(c.createUser("m2", nil), "id")
	u3 := str(c.createUser("m3", nil), "id")
	r := c.do("POST", "/Groups", js(obj{"schemas": []any{scim.GroupURN}, "displayName": "Team",
		"members": []any{obj{"value": u1}, obj{"value": u2, "display": "m2"}, obj{"value": "no-such-id"}}}))
	want(t, r, http.StatusCreated, "")
	g := r.Body
	gid := str(g, "id")
	if r.Header.Get("Location") != c.url("/Groups/"+gid) || str(g, "meta", "resourceType") != "Group" {
		t.Errorf("Location %q, meta %v", r.Header.Get("Location"), g["meta"])
	}
	if got := memberIDs(g); !slices.Equal(got, sorted([]string{u1, u2})) {
		t.Errorf("members = %v, want %v: an unknown member id is dropped, not stored and not a 400", got, sorted([]string{u1, u2}))
	}
	for _, m := range asSlice(g["members"]) {
		if str(m, "type") != "User" {
			t.Errorf("member %v: type must be set to User", m)
		}
	}
	if s := strs(g["schemas"]); !slices.Equal(s, []string{scim.GroupURN}) {
		t.Errorf("schemas = %v", s)
	}

	t.Run("User.groups derived", func(t *testing.T) {
		u := c.mustGet("/Users/" + u1)
		gs := asSlice(u["groups"])
		if len(gs) != 1 || str(gs[0], "value") != gid || str(gs[0], "display") != "Team" || str(gs[0], "$ref") != c.url("/Groups/"+gid) {
			t.Errorf("groups = %v", u["groups"])
		}
		if u3g := c.mustGet("/Users/" + u3)["groups"]; u3g != nil {
			t.Errorf("a user in no group has groups %v", u3g)
		}
		rs := resources(t, c.list("/Users", "filter", `userName eq "m1"`))
		if len(rs) != 1 || str(rs[0], "groups", 0, "value") != gid {
			t.Errorf("groups in a list = %v", rs)
		}
	})
	t.Run("nested group member", func(t *testing.T) {
		parent := c.createGroup("Parent", gid)
		if m := asSlice(parent["members"]); len(m) != 1 || str(m[0], "type") != "Group" || str(m[0], "value") != gid {
			t.Errorf("members = %v, want the group with type Group", parent["members"])
		}
		want(t, c.do("DELETE", "/Groups/"+str(parent, "id"), ""), http.StatusNoContent, "")
	})
	t.Run("add unknown member via PATCH", func(t *testing.T) {
		r := c.patch("/Groups/"+gid, obj{"op": "add", "path": "members", "value": []any{obj{"value": u3}, obj{"value": "ghost"}}})
		if r.Status != http.StatusOK {
			t.Fatalf("status %d: one unknown member must not fail the PATCH (fleetdm 52600): %s", r.Status, r.Raw)
		}
		if got := memberIDs(r.Body); !slices.Equal(got, sorted([]string{u1, u2, u3})) {
			t.Errorf("members = %v", got)
		}
	})
	t.Run("deleting a user removes it from groups", func(t *testing.T) {
		want(t, c.do("DELETE", "/Users/"+u1, ""), http.StatusNoContent, "")
		g := c.mustGet("/Groups/" + gid)
		if got := memberIDs(g); !slices.Equal(got, sorted([]string{u2, u3})) {
			t.Errorf("members = %v after deleting %s", got, u1)
		}
		if s := c.mustGet("/Users/" + u2); str(s, "groups", 0, "value") != gid {
			t.Errorf("u2 groups = %v", s["groups"])
		}
	})
	t.Run("deleting a group clears User.groups", func(t *testing.T) {
		want(t, c.do("DELETE", "/Groups/"+gid, ""), http.StatusNoContent, "")
		want(t, c.do("GET", "/Groups/"+gid, ""), http.StatusNotFound, "")
		if gs := c.mustGet("/Users/" + u2)["groups"]; gs != nil {
			t.Errorf("groups = %v after the group was deleted", gs)
		}
	})
	t.Run("other tenant's user is not a member", func(t *testing.T) {
		acme := c.tenant("acme", acmeToken)
		foreign := str(acme.createUser("foreign", nil), "id")
		g := c.createGroup("Local", u2, foreign)
		if got := memberIDs(g); !slices.Equal(got, []string{u2}) {
			t.Errorf("members = %v: a user of another tenant became a member", got)
		}
	})
}

// TestOktaGroupFlow follows Okta's group push (developer.okta.com SCIM 2.0
// reference): POST with members [], rename by path-less replace carrying
// the read-only id, one PATCH that removes members[value eq] and adds
// members without type, a full replace of members, PUT, DELETE.
func TestOktaGroupFlow(t *testing.T) {
	c := newClient(t)
	u1 := str(c.createUser("o1", nil), "id")
	u2 := str(c.createUser("o2", nil), "id")
	u3 := str(c.createUser("o3", nil), "id")

	r := c.do("POST", "/Groups", js(obj{"schemas": []any{scim.GroupURN}, "displayName": "Okta Group", "members": []any{}}),
		"User-Agent", "Okta SCIM Client 1.0.0", "Content-Type", "application/scim+json; charset=utf-8")
	want(t, r, http.StatusCreated, "")
	gid := str(r.Body, "id")
	if gid == "" || str(r.Body, "displayName") != "Okta Group" || len(memberIDs(r.Body)) != 0 {
		t.Fatalf("created group = %s", r.Raw)
	}
	path := "/Groups/" + gid

	c.patchOK(path, obj{"op": "replace", "value": obj{"id": gid, "displayName": "Okta Group Renamed"}})
	if g := c.mustGet(path); str(g, "displayName") != "Okta Group Renamed" || str(g, "id") != gid {
		t.Errorf("after rename: %v", g)
	}

	c.patchOK(path, obj{"op": "add", "path": "members", "value": []any{obj{"value": u1, "display": "o1"}, obj{"value": u2, "display": "o2"}}})
	c.patchOK(path,
		obj{"op": "remove", "path": `members[value eq "` + u1 + `"]`},
		obj{"op": "add", "path": "members", "value": []any{obj{"value": u3, "display": "o3"}}})
	g := c.mustGet(path)
	if got := memberIDs(g); !slices.Equal(got, sorted([]string{u2, u3})) {
		t.Errorf("members = %v, want %v", got, sorted([]string{u2, u3}))
	}
	for _, m := range asSlice(g["members"]) {
		if str(m, "type") != "User" {
			t.Errorf("member %v has no type User", m)
		}
	}

	c.patchOK(path, obj{"op": "replace", "path": "members", "value": []any{obj{"value": u1}}})
	if got := memberIDs(c.mustGet(path)); !slices.Equal(got, []string{u1}) {
		t.Errorf("members after replace = %v, want [%s]", got, u1)
	}

	g = c.mustGet(path)
	g["members"] = []any{obj{"value": u2}, obj{"value": u3}}
	r = c.do("PUT", path, js(g))
	want(t, r, http.StatusOK, "")
	if got := memberIDs(r.Body); !slices.Equal(got, sorted([]string{u2, u3})) {
		t.Errorf("members after PUT = %v", got)
	}

	want(t, c.do("DELETE", path, ""), http.StatusNoContent, "")
	want(t, c.do("GET", path, ""), http.StatusNotFound, "")
	if gs := c.mustGet("/Users/" + u2)["groups"]; gs != nil {
		t.Errorf("groups = %v after the group was deleted", gs)
	}
}

// TestAttributeCharacteristicsOverHTTP: RFC 7643 §2, §7 characteristics as
// a client sees them through POST, PUT and PATCH.
func TestAttributeCharacteristicsOverHTTP(t *testing.T) {
	c := newClient(t)
	u1 := str(c.createUser("chars", obj{"emails": []any{obj{"value": "a@example.com", "primary": true}}}), "id")
	u2 := str(c.createUser("chars2", nil), "id")
	gid := str(c.createGroup("Chars", u1), "id")

	t.Run("one primary after PATCH", func(t *testing.T) {
		// RFC 7644 §3.5.2: setting primary true on one value sets it false
		// on the others.
		r := c.patch("/Users/"+u1, obj{"op": "add", "path": "emails", "value": []any{obj{"value": "b@example.com", "primary": true}}})
		want(t, r, http.StatusOK, "")
		primaries := 0
		for _, e := range asSlice(r.Body["emails"]) {
			if get(e, "primary") == true {
				primaries++
				if str(e, "value") != "b@example.com" {
					t.Errorf("primary is %v", e)
				}
			}
		}
		if primaries != 1 || len(asSlice(r.Body["emails"])) != 2 {
			t.Errorf("emails = %v", r.Body["emails"])
		}
	})
	t.Run("readOnly: groups", func(t *testing.T) {
		want(t, c.patch("/Users/"+u1, obj{"op": "add", "path": "groups", "value": []any{obj{"value": gid}}}), http.StatusBadRequest, "mutability")
	})
	t.Run("readOnly in a path-less value is ignored", func(t *testing.T) {
		r := c.patch("/Users/"+u1, obj{"op": "replace", "value": obj{"id": "other", "meta": obj{"version": `W/"1"`}, "displayName": "ok"}})
		want(t, r, http.StatusOK, "")
		if str(r.Body, "id") != u1 || str(r.Body, "displayName") != "ok" {
			t.Errorf("got %v", r.Body)
		}
	})
	t.Run("immutable: members.value", func(t *testing.T) {
		want(t, c.patch("/Groups/"+gid, obj{"op": "replace", "path": `members[value eq "` + u1 + `"].value`, "value": u2}), http.StatusBadRequest, "mutability")
		if got := memberIDs(c.mustGet("/Groups/" + gid)); !slices.Equal(got, []string{u1}) {
			t.Errorf("members = %v", got)
		}
	})
	t.Run("required: userName cannot be removed", func(t *testing.T) {
		want(t, c.patch("/Users/"+u1, obj{"op": "remove", "path": "userName"}), http.StatusBadRequest, "invalidValue")
		want(t, c.patch("/Users/"+u1, obj{"op": "replace", "path": "userName", "value": ""}), http.StatusBadRequest, "")
		if str(c.mustGet("/Users/"+u1), "userName") != "chars" {
			t.Error("userName lost")
		}
	})
	t.Run("returned never: password not even on request", func(t *testing.T) {
		u := c.mustGet("/Users/" + u1 + "?attributes=password")
		if len(u) != 2 || str(u, "id") != u1 {
			t.Errorf("attributes=password gave %v", u)
		}
		want(t, c.list("/Users", "filter", `password pr`), http.StatusBadRequest, "invalidFilter")
	})
	t.Run("caseExact id", func(t *testing.T) {
		want(t, c.do("GET", "/Users/"+strings.ToUpper(u1), ""), http.StatusNotFound, "")
	})
	t.Run("no Content-Type is accepted", func(t *testing.T) {
		want(t, c.do("POST", "/Users", `{"userName":"no.ct"}`, "Content-Type", ""), http.StatusCreated, "")
	})
	t.Run("Location under a tenant", func(t *testing.T) {
		acme := c.tenant("acme", acmeToken)
		r := acme.do("POST", "/Users", `{"userName":"chars"}`)
		want(t, r, http.StatusCreated, "")
		if loc := r.Header.Get("Location"); loc != c.root+"/t/acme/scim/v2/Users/"+str(r.Body, "id") || loc != str(r.Body, "meta", "location") {
			t.Errorf("Location %q, meta.location %q", loc, str(r.Body, "meta", "location"))
		}
	})
}
