package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/provider/builtin"
	"github.com/scimharness/scimharness/server/provider/humbol"
)

// withProfile gives tenant "acme" the built-in profile name; the default
// tenant stays strict, so every profile test also shows that a profile is
// per tenant.
func withProfile(tb testing.TB, name string) func(*server.Config) {
	tb.Helper()
	p, err := builtin.ByName(name)
	if err != nil || p == nil {
		tb.Fatalf("profile %q: %v", name, err)
	}
	return func(c *server.Config) {
		c.Providers = &provider.Map{Tenants: map[string]*provider.Provider{"acme": p}}
	}
}

// humbolClient is a client of a Humbol-profile tenant (acme) and one of
// the strict default tenant of the same server.
func humbolClient(t *testing.T) (humbol, strict *client) {
	t.Helper()
	c := newClient(t, withProfile(t, "humbol"))
	return c.tenant("acme", acmeToken), c
}

// humbolUser is a user carrying everything Humbol always requires.
func humbolUser(userName string) obj {
	return obj{
		"schemas":  []any{scim.UserURN},
		"userName": userName,
		"active":   true,
		"name":     obj{"givenName": "Ada", "familyName": "Lovelace"},
		"emails":   []any{obj{"type": "work", "value": userName, "primary": true}},
		"roles":    []any{obj{"primary": "True", "value": "Member"}},
	}
}

// with returns a copy of u with key set to v (nil deletes it).
func with(u obj, key string, v any) obj {
	out := obj{}
	for k, x := range u {
		out[k] = x
	}
	if v == nil {
		delete(out, key)
	} else {
		out[key] = v
	}
	return out
}

// TestHumbolRequiredAttributes: userName, active, name.givenName,
// name.familyName and exactly one work email are always required (seed
// 000, "These SCIM attributes are always required"); 400 with the SCIM
// error body otherwise.
func TestHumbolRequiredAttributes(t *testing.T) {
	h, _ := humbolClient(t)
	base := humbolUser("ada@example.com")
	for _, tc := range []struct {
		name   string
		body   obj
		status int
	}{
		{"complete", base, http.StatusCreated},
		{"without roles (set inside Humbol)", with(with(base, "roles", nil), "userName", "nr@example.com"), http.StatusCreated},
		{"no userName", with(base, "userName", nil), http.StatusBadRequest},
		{"no active", with(base, "active", nil), http.StatusBadRequest},
		{"no name", with(base, "name", nil), http.StatusBadRequest},
		{"no givenName", with(base, "name", obj{"familyName": "L"}), http.StatusBadRequest},
		{"no familyName", with(base, "name", obj{"givenName": "A"}), http.StatusBadRequest},
		{"no emails", with(base, "emails", nil), http.StatusBadRequest},
		{"only a home email", with(base, "emails", []any{obj{"type": "home", "value": "a@home"}}), http.StatusBadRequest},
		{"two work emails", with(base, "emails", []any{obj{"type": "work", "value": "a@x"}, obj{"type": "work", "value": "b@x"}}), http.StatusBadRequest},
		{"work email without value", with(base, "emails", []any{obj{"type": "work", "display": "x"}}), http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do("POST", "/Users", js(tc.body))
			want(t, r, tc.status, "")
			if tc.status == http.StatusBadRequest && str(r.Body, "detail") == "" {
				t.Errorf("400 without a reason: %s", r.Raw)
			}
		})
	}
}

// TestHumbolRoles: the five organization roles in roles[primary eq
// "True"]; a user with roles has exactly one, of the five.
func TestHumbolRoles(t *testing.T) {
	h, _ := humbolClient(t)
	for i, role := range humbol.Roles {
		u := with(humbolUser("r"+string(rune('a'+i))+"@example.com"), "roles", []any{obj{"primary": "True", "value": role}})
		r := h.do("POST", "/Users", js(u))
		want(t, r, http.StatusCreated, "")
		if got := str(get(r.Body, "roles", 0), "value"); got != role {
			t.Errorf("role %q stored as %q", role, got)
		}
		if get(r.Body, "roles", 0, "primary") != true {
			t.Errorf("role %q is not primary: %s", role, r.Raw)
		}
	}
	// Canonical values take their canonical case (Normalize).
	r := h.do("POST", "/Users", js(with(humbolUser("case@example.com"), "roles", []any{obj{"primary": true, "value": "light member"}})))
	want(t, r, http.StatusCreated, "")
	if got := str(get(r.Body, "roles", 0), "value"); got != "Light Member" {
		t.Errorf("role light member stored as %q", got)
	}
	for _, tc := range []struct {
		name  string
		roles []any
	}{
		{"unknown role", []any{obj{"primary": "True", "value": "Owner"}}},
		{"two roles", []any{obj{"value": "Admin"}, obj{"primary": true, "value": "Member"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want(t, h.do("POST", "/Users", js(with(humbolUser("bad@example.com"), "roles", tc.roles))), http.StatusBadRequest, "invalidValue")
		})
	}
	// A role change as Entra sends it (SingleAppRoleAssignment), then a
	// change to a role Humbol does not have.
	u := h.createUser("change@example.com", with(humbolUser("x"), "userName", nil))
	id := str(u, "id")
	h.patchOK("/Users/"+id, obj{"op": "Replace", "path": `roles[primary eq "True"].value`, "value": "Admin"})
	if got := str(get(h.mustGet("/Users/"+id), "roles", 0), "value"); got != "Admin" {
		t.Errorf("after the role change the role is %q", got)
	}
	want(t, h.patch("/Users/"+id, obj{"op": "Replace", "path": `roles[primary eq "True"].value`, "value": "Root"}), http.StatusBadRequest, "invalidValue")
	// Entra's SingleAppRoleAssignment adds the new role (the catalog's
	// corrections, MAP): one role per user, so the add replaces it.
	h.patchOK("/Users/"+id, obj{"op": "Add", "path": "roles", "value": []any{obj{"value": `{"id":"r1","value":"Member","displayName":"Member"}`}}})
	if roles, _ := h.mustGet("/Users/" + id)["roles"].([]any); len(roles) != 1 || str(get(obj{"roles": roles}, "roles", 0), "value") != "Member" {
		t.Errorf("after Entra's add of a role the roles are %v, want the one role Member", roles)
	}
	want(t, h.patch("/Users/"+id, obj{"op": "Add", "path": "roles", "value": []any{obj{"value": "Root"}}}), http.StatusBadRequest, "invalidValue")
	// PATCH keeps the requirements: the work email cannot be removed.
	want(t, h.patch("/Users/"+id, obj{"op": "Remove", "path": "emails"}), http.StatusBadRequest, "invalidValue")
	want(t, h.patch("/Users/"+id, obj{"op": "Remove", "path": "name.givenName"}), http.StatusBadRequest, "invalidValue")
}

// TestHumbolFilters: only `userName eq` and `emails[type eq "work"].value
// eq`; any other filter is 400 invalidFilter.
func TestHumbolFilters(t *testing.T) {
	h, strict := humbolClient(t)
	h.createUser("ada@example.com", with(humbolUser("ada@example.com"), "userName", nil))
	for _, f := range []string{
		`userName eq "ada@example.com"`,
		`USERNAME eq "ada@example.com"`,
		`emails[type eq "work"].value eq "ada@example.com"`,
		`emails[type eq "work" and value eq "ada@example.com"]`,
	} {
		r := h.list("/Users", "filter", f)
		want(t, r, http.StatusOK, "")
		if n := intField(t, r.Body, "totalResults"); n != 1 {
			t.Errorf("filter %s found %d users, want 1", f, n)
		}
	}
	r := h.list("/Users", "filter", `userName eq "nobody"`) // Entra's Test Connection
	want(t, r, http.StatusOK, "")
	if n := intField(t, r.Body, "totalResults"); n != 0 {
		t.Errorf("filter for nobody found %d", n)
	}
	want(t, h.list("/Users"), http.StatusOK, "")
	for _, f := range []string{
		`externalId eq "x"`,
		`userName sw "ada"`,
		`userName eq "a" or userName eq "b"`,
		`emails.value eq "ada@example.com"`,
		`emails[type eq "home"].value eq "ada@example.com"`,
		`emails[type eq "work"].value co "ada"`,
		`active eq true`,
		`userName pr`,
	} {
		want(t, h.list("/Users", "filter", f), http.StatusBadRequest, "invalidFilter")
	}
	// The strict tenant of the same server still takes them.
	want(t, strict.list("/Users", "filter", `externalId eq "x"`), http.StatusOK, "")
}

// TestHumbolMethodMatrix: /Schemas GET; /Users POST and GET; /Users/{id}
// GET, PATCH and DELETE; other methods 405 and other endpoints (Groups
// first) 404, each with the SCIM error body.
func TestHumbolMethodMatrix(t *testing.T) {
	h, strict := humbolClient(t)
	u := h.createUser("ada@example.com", with(humbolUser("x"), "userName", nil))
	id := "/Users/" + str(u, "id")
	for _, tc := range []struct {
		method, path string
		body         string
		status       int
		allow        string
	}{
		{"GET", "/Schemas", "", 200, ""},
		{"GET", "/Users", "", 200, ""},
		{"HEAD", "/Users", "", 200, ""},
		{"GET", id, "", 200, ""},
		{"PUT", id, js(humbolUser("ada@example.com")), 405, "DELETE, GET, HEAD, PATCH"},
		{"POST", id, "{}", 405, "DELETE, GET, HEAD, PATCH"},
		{"DELETE", "/Users", "", 405, "GET, HEAD, POST"},
		{"POST", "/Schemas", "{}", 405, "GET, HEAD"},
		{"GET", "/Groups", "", 404, ""},
		{"POST", "/Groups", js(obj{"displayName": "g"}), 404, ""},
		{"GET", "/Groups/x", "", 404, ""},
		{"POST", "/Bulk", "{}", 404, ""},
		{"POST", "/.search", "{}", 404, ""},
		{"POST", "/Users/.search", "{}", 404, ""},
		{"GET", "/ServiceProviderConfig", "", 404, ""},
		{"GET", "/ResourceTypes", "", 404, ""},
		{"GET", "/Me", "", 404, ""},
		{"DELETE", id, "", 204, ""},
	} {
		r := h.do(tc.method, tc.path, tc.body)
		if r.Status != tc.status {
			t.Errorf("%s %s: status %d, want %d: %s", tc.method, tc.path, r.Status, tc.status, r.Raw)
		}
		if tc.allow != "" && r.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, r.Header.Get("Allow"), tc.allow)
		}
	}
	// The strict tenant of the same server keeps every endpoint.
	want(t, strict.do("GET", "/Groups", ""), http.StatusOK, "")
	want(t, strict.do("GET", "/ServiceProviderConfig", ""), http.StatusOK, "")
}

// TestHumbolSchemas: /Schemas describes exactly Humbol's attributes — the
// 13 targets of Entra's Humbol mapping — and nothing of the strict server's.
func TestHumbolSchemas(t *testing.T) {
	h, _ := humbolClient(t)
	r := h.do("GET", "/Schemas", "")
	want(t, r, http.StatusOK, "")
	got := map[string][]string{}
	for _, sc := range resources(t, r) {
		for _, a := range asSlice(sc["attributes"]) {
			am, _ := a.(map[string]any)
			name := str(am, "name")
			for _, s := range asSlice(am["subAttributes"]) {
				name += "." + str(s, "name")
			}
			got[str(sc, "id")] = append(got[str(sc, "id")], name)
		}
	}
	wantAttrs := map[string][]string{
		scim.UserURN: {"userName", "name.familyName.givenName", "title", "preferredLanguage", "active",
			"emails.value.type.primary", "addresses.locality.region.country.type.primary", "roles.value.display.type.primary"},
		scim.EnterpriseUserURN: {"department", "manager.value.$ref.displayName"},
	}
	for urn, w := range wantAttrs {
		g := slices.Clone(got[urn])
		slices.Sort(g)
		w = slices.Clone(w)
		slices.Sort(w)
		if !slices.Equal(g, w) {
			t.Errorf("%s attributes:\n got %v\nwant %v", urn, g, w)
		}
	}
	if len(got) != len(wantAttrs) {
		t.Errorf("schemas %v, want exactly User and EnterpriseUser", got)
	}
	sc := h.mustGet("/Schemas/" + scim.UserURN)
	roles := ""
	for _, a := range asSlice(sc["attributes"]) {
		if str(a, "name") == "roles" {
			roles = js(a)
		}
	}
	for _, role := range humbol.Roles {
		if !strings.Contains(roles, `"`+role+`"`) {
			t.Errorf("the roles attribute does not list %q as a canonical value: %s", role, roles)
		}
	}
	want(t, h.do("GET", "/Schemas/"+scim.GroupURN, ""), http.StatusNotFound, "")
}

// TestHumbolLifecycle: what an IdP does to a Humbol user — create, update,
// role change, disable, delete — and unknown attributes are dropped.
func TestHumbolLifecycle(t *testing.T) {
	h, _ := humbolClient(t)
	u := h.createUser("ada@example.com", with(with(humbolUser("x"), "userName", nil), "nickName", "Ada"))
	if u["nickName"] != nil {
		t.Errorf("nickName is not a Humbol attribute but was kept: %v", u)
	}
	id := "/Users/" + str(u, "id")
	h.patchOK(id, obj{"op": "Replace", "path": "title", "value": "Engineer"},
		obj{"op": "Replace", "path": `emails[type eq "work"].value`, "value": "ada2@example.com"})
	h.patchOK(id, obj{"op": "Replace", "path": `roles[primary eq "True"].value`, "value": "External admin"})
	h.patchOK(id, obj{"op": "Replace", "path": "active", "value": "False"})
	got := h.mustGet(id)
	if got["active"] != false || str(got, "title") != "Engineer" || str(get(got, "roles", 0), "value") != "External admin" ||
		str(get(got, "emails", 0), "value") != "ada2@example.com" {
		t.Errorf("after the updates: %s", js(got))
	}
	want(t, h.do("DELETE", id, ""), http.StatusNoContent, "")
	want(t, h.do("GET", id, ""), http.StatusNotFound, "")
}

// TestHumbolRoleMapping: with the tenant's role mapping on, every user has
// precisely one role (seed 001: "If you include roles[primary eq "True"].value
// every user must have precisely one role"); without it, roles are optional.
func TestHumbolRoleMapping(t *testing.T) {
	on, err := builtin.ByNameWith("humbol", provider.Settings{RoleMapping: true})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, func(cfg *server.Config) {
		off, err := humbol.New(provider.Settings{})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Providers = &provider.Map{Default: off, Tenants: map[string]*provider.Provider{"acme": on}}
	})
	mapped, unmapped := c.tenant("acme", acmeToken), c
	noRole := with(humbolUser("norole@example.com"), "roles", nil)
	tests := []struct {
		name     string
		c        *client
		body     obj
		status   int
		scimType string
	}{
		{"mapping on: no role refused", mapped, noRole, http.StatusBadRequest, "invalidValue"},
		{"mapping on: one role accepted", mapped, humbolUser("onerole@example.com"), http.StatusCreated, ""},
		{"mapping off: no role accepted", unmapped, noRole, http.StatusCreated, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want(t, tc.c.do("POST", "/Users", js(tc.body)), tc.status, tc.scimType)
		})
	}
	// Removing the one role by PATCH is refused too while mapping is on.
	u := mapped.createUser("keeprole@example.com", with(humbolUser("x"), "userName", nil))
	want(t, mapped.patch("/Users/"+str(u, "id"), obj{"op": "Remove", "path": "roles"}), http.StatusBadRequest, "invalidValue")
	if _, err := builtin.ByNameWith("strict", provider.Settings{RoleMapping: true}); err == nil {
		t.Error("role_mapping was accepted for a profile other than humbol")
	}
}
