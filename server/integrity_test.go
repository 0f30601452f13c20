package server_test

// Issue 14: the reference server is the oracle, so what it stores must be
// an instance of its own schema, a request must mean the same thing every
// time it is sent, attribute names fold ASCII case only, tolerances are a
// documented and switchable choice, and nothing a client sends (Host,
// member $ref) points an answer at another host or tenant.

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/server/store/memory"
)

// typeOfPath is the resource type a request path under the base URL is
// about ("/Users/x" → User), or nil.
func typeOfPath(p string) *schema.ResourceType {
	p = strings.TrimPrefix(p, "/")
	name := ""
	switch {
	case strings.HasPrefix(p, "Users"):
		name = "User"
	case strings.HasPrefix(p, "Groups"):
		name = "Group"
	default:
		return nil
	}
	rt, _ := schema.Default().ResourceType(name)
	return rt
}

// checkValid fails tb unless doc, a resource as the server answered it,
// validates against rt's schema (schema.ResourceType.Validate).
func checkValid(tb testing.TB, what string, rt *schema.ResourceType, doc map[string]any) {
	tb.Helper()
	if err := rt.Validate(doc); err != nil {
		tb.Errorf("%s: the stored %s does not validate against its schema: %v\n%.600s", what, rt.ID, err, js(doc))
	}
}

// checkStoredValid GETs the resource at path (as stored) and validates it.
func checkStoredValid(tb testing.TB, c *client, what, path string) {
	tb.Helper()
	rt := typeOfPath(path)
	if rt == nil {
		return
	}
	r := c.do("GET", path, "")
	if r.Status != http.StatusOK {
		tb.Errorf("%s: GET %s: status %d: %.300s", what, path, r.Status, r.Raw)
		return
	}
	checkValid(tb, what+": GET "+path, rt, r.Body)
}

// checkAllValid validates every user and group of c's tenant.
func checkAllValid(tb testing.TB, c *client, what string) {
	tb.Helper()
	for _, ep := range []string{"/Users", "/Groups"} {
		r := c.do("GET", ep+"?count=1000", "")
		if r.Status != http.StatusOK {
			tb.Fatalf("%s: GET %s: status %d: %s", what, ep, r.Status, r.Raw)
		}
		for _, doc := range resources(tb, r) {
			checkValid(tb, what+": listed in "+ep, typeOfPath(ep), doc)
		}
	}
}

// TestDottedKeysRefused: issue 14 #3. A POST or PUT body whose keys are
// attribute paths is refused with 400 invalidSyntax on both stores, on
// every one of 20 sends (Go's map order changes between them), and nothing
// is stored: before, "emails.value" was stored as an object, "members.value"
// skipped the member check, and "name" next to "name.familyName" kept
// either one by chance.
func TestDottedKeysRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, st store.Store) {
		c := relServer(t, st)
		uid := str(c.createUser("dots@example.com", nil), "id")
		gid := str(c.createGroup("dotted"), "id")
		before := snapshot(c)
		tests := []struct{ name, method, path, body string }{
			{"emails.value", "POST", "/Users", `{"schemas":["` + scim.UserURN + `"],"userName":"e@x","emails.value":"a@x"}`},
			{"members.value", "POST", "/Groups", `{"schemas":["` + scim.GroupURN + `"],"displayName":"g","members.value":"no-such-user"}`},
			{"name and name.familyName", "POST", "/Users", `{"schemas":["` + scim.UserURN + `"],"userName":"n@x","name":{"familyName":"A","givenName":"G"},"name.familyName":"B"}`},
			{"qualified enterprise key", "POST", "/Users", `{"schemas":["` + scim.UserURN + `"],"userName":"q@x","` + scim.EnterpriseUserURN + `:department":"D"}`},
			{"PUT emails.value", "PUT", "/Users/" + uid, `{"schemas":["` + scim.UserURN + `"],"userName":"dots@example.com","emails.value":"a@x"}`},
			{"PUT members.value", "PUT", "/Groups/" + gid, `{"schemas":["` + scim.GroupURN + `"],"displayName":"dotted","members.value":"no-such-user"}`},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				for range 20 {
					want(t, c.withT(t).do(tc.method, tc.path, tc.body), http.StatusBadRequest, schema.InvalidSyntax)
				}
			})
		}
		if after := snapshot(c); after != before {
			t.Errorf("a refused request changed the tenant: %s", firstDiff(before, after))
		}
		checkAllValid(t, c, "after dotted keys")
	})
}

// TestLongSPasswordNotStored: issue 14 #6. "paſsword" (U+017F) is not the
// password attribute (RFC 7643 §2.1: names are ASCII): it is unknown and
// dropped, in a POST, a PUT and a path-less PATCH; as a PATCH path it is
// 400 invalidPath. The store is read directly, since the password is
// never returned.
func TestLongSPasswordNotStored(t *testing.T) {
	st := memory.New()
	c := relServer(t, st)
	rt, _ := schema.Default().ResourceType("User")
	stored := func(id string) map[string]any {
		t.Helper()
		res, err := st.Get(context.Background(), server.DefaultTenant, rt, id)
		if err != nil {
			t.Fatal(err)
		}
		return res.Doc
	}
	r := c.do("POST", "/Users", `{"schemas":["`+scim.UserURN+`"],"userName":"longs","paſsword":"s3cret-1"}`)
	want(t, r, http.StatusCreated, "")
	id := str(r.Body, "id")
	if pw := stored(id)["password"]; pw != nil {
		t.Fatalf(`POST with "paſsword": the password %q is stored`, pw)
	}
	want(t, c.do("PUT", "/Users/"+id, `{"schemas":["`+scim.UserURN+`"],"userName":"longs","PAſSWORD":"s3cret-2"}`), http.StatusOK, "")
	want(t, c.patch("/Users/"+id, obj{"op": "replace", "value": obj{"paſsword": "s3cret-3"}}), http.StatusOK, "")
	want(t, c.patch("/Users/"+id, obj{"op": "replace", "path": "paſsword", "value": "s3cret-4"}), http.StatusBadRequest, schema.InvalidPath)
	if pw := stored(id)["password"]; pw != nil {
		t.Errorf(`after PUT and PATCH with "ſ" spellings: the password %q is stored`, pw)
	}
	// The ASCII spellings still work, in any case.
	want(t, c.patch("/Users/"+id, obj{"op": "replace", "path": "PASSWORD", "value": "s3cret-5"}), http.StatusOK, "")
	if pw := stored(id)["password"]; pw != "s3cret-5" {
		t.Errorf("PATCH path PASSWORD: stored password %v, want s3cret-5", pw)
	}
}

// TestTolerate: issue 14, "Tolerances are a documented choice". By
// default {"userName": 12} and {"emails": "x"} are 201, and each applied
// tolerance is logged by name; with Tolerate none they are 400
// invalidValue, and a body of the right types is still 201.
func TestTolerate(t *testing.T) {
	var logs syncBuffer
	lenient := newClient(t, func(c *server.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	strict := newClient(t, func(c *server.Config) { c.Tolerate = schema.TolerateNone })
	bodies := []struct{ name, body, logged string }{
		{"number for userName", `{"schemas":["` + scim.UserURN + `"],"userName":12}`, "numberAsString(userName)"},
		{"lone string for emails", `{"schemas":["` + scim.UserURN + `"],"userName":"e","emails":"x@y"}`, "loneValueAsArray(emails) scalarAsValue(emails)"},
		{"string boolean", `{"schemas":["` + scim.UserURN + `"],"userName":"b","active":"True"}`, "stringBoolean(active)"},
	}
	for _, tc := range bodies {
		t.Run(tc.name, func(t *testing.T) {
			r := lenient.withT(t).do("POST", "/Users", tc.body)
			want(t, r, http.StatusCreated, "")
			checkValid(t, "tolerated "+tc.name, typeOfPath("/Users"), r.Body)
			if !strings.Contains(logs.String(), tc.logged) {
				t.Errorf("the log does not name %s:\n%s", tc.logged, logs.String())
			}
			want(t, strict.withT(t).do("POST", "/Users", tc.body), http.StatusBadRequest, schema.InvalidValue)
		})
	}
	r := strict.do("POST", "/Users", `{"schemas":["`+scim.UserURN+`"],"userName":"ok","active":true,"emails":[{"value":"ok@x"}]}`)
	want(t, r, http.StatusCreated, "")
	id := str(r.Body, "id")
	want(t, strict.patch("/Users/"+id, obj{"op": "Replace", "path": "active", "value": "False"}), http.StatusBadRequest, schema.InvalidValue)
	want(t, strict.patch("/Users/"+id, obj{"op": "Replace", "path": "active", "value": false}), http.StatusOK, "")
	if _, err := server.New(server.Config{Store: memory.New(), Tenants: server.NewTenants(), Tolerate: "some"}); err == nil {
		t.Error(`server.New accepted Tolerate "some"`)
	}
}

// TestPublicBaseURL: issue 14 #10. With Config.PublicBaseURL, meta.location,
// the Location header, the groups' and members' $ref are built on it,
// whatever Host the client sends; without it, the request's host is used
// (the old behaviour).
func TestPublicBaseURL(t *testing.T) {
	const public = "https://scim.example.com/idp"
	c := newClient(t, func(cfg *server.Config) { cfg.PublicBaseURL = public + "/" })
	host := []string{"Host", "evil.example"}
	r := c.do("POST", "/Users", js(obj{"schemas": []any{scim.UserURN}, "userName": "pub"}), host...)
	want(t, r, http.StatusCreated, "")
	id := str(r.Body, "id")
	wantLoc := public + "/scim/v2/Users/" + id
	if got := str(r.Body, "meta", "location"); got != wantLoc {
		t.Errorf("meta.location %q, want %q", got, wantLoc)
	}
	if got := r.Header.Get("Location"); got != wantLoc {
		t.Errorf("Location %q, want %q", got, wantLoc)
	}
	g := c.do("POST", "/Groups", js(obj{"schemas": []any{scim.GroupURN}, "displayName": "pubg", "members": []any{obj{"value": id}}}), host...)
	want(t, g, http.StatusCreated, "")
	if got := str(asSlice(g.Body["members"])[0], "$ref"); got != wantLoc {
		t.Errorf("members[0].$ref %q, want %q", got, wantLoc)
	}
	u := c.do("GET", "/Users/"+id, "", host...)
	if got := str(asSlice(u.Body["groups"])[0], "$ref"); !strings.HasPrefix(got, public+"/scim/v2/Groups/") {
		t.Errorf("groups[0].$ref %q, want under %s", got, public)
	}
	acme := c.tenant("acme", acmeToken)
	if got := str(acme.createUser("pub-acme", nil), "meta", "location"); !strings.HasPrefix(got, public+"/t/acme/scim/v2/Users/") {
		t.Errorf("acme meta.location %q, want under %s/t/acme/scim/v2", got, public)
	}
	if strings.Contains(string(u.Raw), "evil.example") {
		t.Errorf("the Host header reached the answer: %s", u.Raw)
	}
	// Without the setting the request's host is used, as before.
	d := newClient(t)
	if got := str(d.createUser("nopub", nil), "meta", "location"); !strings.HasPrefix(got, d.root+"/scim/v2/Users/") {
		t.Errorf("without PublicBaseURL: meta.location %q, want under %s", got, d.root)
	}
	for _, bad := range []string{"ftp://x", "scim.example.com", "https://x/?q=1", "https://u:p@x"} {
		if _, err := server.New(server.Config{Store: memory.New(), Tenants: server.NewTenants(), PublicBaseURL: bad}); err == nil {
			t.Errorf("server.New accepted PublicBaseURL %q", bad)
		}
	}
}

// TestMemberRefNotStoredVerbatim: issue 14 #10. A member $ref naming
// another tenant (or host) is not kept: the answer's $ref is this tenant's
// URL of the member, on POST, PATCH and PUT, on both stores.
func TestMemberRefNotStoredVerbatim(t *testing.T) {
	forEachStore(t, func(t *testing.T, st store.Store) {
		c := relServer(t, st)
		acme := c.tenant("acme", acmeToken)
		u1 := str(c.createUser("ref1", nil), "id")
		u2 := str(c.createUser("ref2", nil), "id")
		u3 := str(c.createUser("ref3", nil), "id")
		foreign := func(id string) string { return c.root + "/t/acme/scim/v2/Users/" + id }
		r := c.do("POST", "/Groups", js(obj{"schemas": []any{scim.GroupURN}, "displayName": "refs",
			"members": []any{obj{"value": u1, "$ref": foreign(u1)}}}))
		want(t, r, http.StatusCreated, "")
		gid := str(r.Body, "id")
		c.patchOK("/Groups/"+gid, obj{"op": "add", "path": "members", "value": []any{obj{"value": u2, "$ref": "https://evil.example/Users/" + u2}}})
		check := func(what string, ids ...string) {
			t.Helper()
			g := c.mustGet("/Groups/" + gid)
			ms := asSlice(g["members"])
			if len(ms) != len(ids) {
				t.Fatalf("%s: members %v, want %v", what, ms, ids)
			}
			for i, m := range ms {
				if got, want := str(m, "$ref"), c.url("/Users/"+ids[i]); got != want {
					t.Errorf("%s: members[%d].$ref %q, want %q", what, i, got, want)
				}
			}
			checkValid(t, what, typeOfPath("/Groups"), g)
		}
		check("after POST and PATCH", u1, u2)
		want(t, c.do("PUT", "/Groups/"+gid, js(obj{"schemas": []any{scim.GroupURN}, "displayName": "refs",
			"members": []any{obj{"value": u3, "$ref": foreign(u3)}}})), http.StatusOK, "")
		check("after PUT", u3)
		if strings.Contains(snapshot(acme), u3) {
			t.Error("tenant acme's data mentions the default tenant's user")
		}
	})
}
