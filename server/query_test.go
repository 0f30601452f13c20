package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/server/store/memory"
)

// seedUsers creates a small, varied population.
func seedUsers(tb testing.TB, c *client) map[string]string {
	tb.Helper()
	ids := map[string]string{}
	for _, u := range []struct {
		name  string
		extra obj
	}{
		{"bjensen", obj{"externalId": "Ext-B", "title": "Tour Guide", "active": true,
			"name":                 obj{"givenName": "Barbara", "familyName": "Jensen"},
			"emails":               []any{obj{"value": "bjensen@example.com", "type": "work", "primary": true}, obj{"value": "babs@home.example.org", "type": "home"}},
			scim.EnterpriseUserURN: obj{"department": "Sales", "employeeNumber": "701984"}}},
		{"jsmith", obj{"externalId": "ext-j", "active": true,
			"name":                 obj{"givenName": "John", "familyName": "Smith"},
			"emails":               []any{obj{"value": "jsmith@example.org", "type": "home"}},
			scim.EnterpriseUserURN: obj{"department": "Engineering"}}},
		{"Alice", obj{"active": false, "title": "CEO", "name": obj{"familyName": "Adams"},
			"emails": []any{obj{"value": "alice@example.com", "type": "work"}}}},
		{"carol two", obj{"active": true, "name": obj{"familyName": "Zeta"}}},
	} {
		ids[u.name] = str(c.createUser(u.name, u.extra), "id")
	}
	return ids
}

func TestFilters(t *testing.T) {
	c := newClient(t)
	seedUsers(t, c)
	all := []string{"Alice", "bjensen", "carol two", "jsmith"}
	tests := []struct {
		filter string
		want   []string
	}{
		{`userName eq "bjensen"`, []string{"bjensen"}},
		{`USERNAME eq "BJENSEN"`, []string{"bjensen"}},
		{`userName EQ "alice"`, []string{"Alice"}},
		{`userName eq "carol two"`, []string{"carol two"}},
		{`externalId eq "Ext-B"`, []string{"bjensen"}},
		{`externalId eq "ext-b"`, []string{}}, // externalId is caseExact
		{`emails[type eq "work"].value eq "bjensen@example.com"`, []string{"bjensen"}},
		{`emails[type eq "work" and value co "example.com"]`, []string{"Alice", "bjensen"}},
		{`emails.value ew "example.org"`, []string{"bjensen", "jsmith"}},
		{`emails.type eq "home"`, []string{"bjensen", "jsmith"}},
		{`userName co "ens"`, []string{"bjensen"}},
		{`userName sw "J"`, []string{"jsmith"}},
		{`userName ew "SMITH"`, []string{"jsmith"}},
		{`title pr`, []string{"Alice", "bjensen"}},
		{`not (title pr)`, []string{"carol two", "jsmith"}},
		{`userName ne "bjensen"`, []string{"Alice", "carol two", "jsmith"}},
		{`name.familyName eq "jensen"`, []string{"bjensen"}},
		{`name.familyName gt "M"`, []string{"jsmith", "carol two"}},
		{`name.familyName le "jensen"`, []string{"Alice", "bjensen"}},
		{`active eq false`, []string{"Alice"}},
		{`active eq true and title pr`, []string{"bjensen"}},
		{`userName eq "bjensen" or userName eq "jsmith"`, []string{"bjensen", "jsmith"}},
		{`(userName eq "bjensen" or userName eq "jsmith") and not (name.givenName eq "John")`, []string{"bjensen"}},
		{`meta.lastModified gt "2000-01-01T00:00:00Z"`, all},
		{`meta.lastModified lt "2000-01-01T00:00:00Z"`, []string{}},
		{`meta.created ge "2000-01-01T00:00:00Z" and meta.lastModified le "2999-01-01T00:00:00Z"`, all},
		{`meta.resourceType eq "User"`, all},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales"`, []string{"bjensen"}},
		{`employeeNumber eq "701984"`, []string{"bjensen"}},
		{`userName eq "nobody"`, []string{}},
		{`id pr`, all},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			if got := c.filterUserNames(tc.filter); !slices.Equal(got, sorted(tc.want)) {
				t.Errorf("filter %s found %v, want %v", tc.filter, got, sorted(tc.want))
			}
		})
	}

	t.Run("encodings", func(t *testing.T) {
		// url.Values writes spaces as "+"; Entra sometimes does, sometimes %20.
		for _, raw := range []string{
			`filter=userName+eq+%22bjensen%22`,
			`filter=userName%20eq%20%22bjensen%22`,
			`filter=userName+eq+%22bjensen%22&startIndex=1&count=100`,
		} {
			r := c.doURL("GET", c.url("/Users")+"?"+raw, "")
			if got := values(resources(t, r), "userName"); !slices.Equal(got, []string{"bjensen"}) {
				t.Errorf("%s found %v", raw, got)
			}
		}
	})
	t.Run("groups", func(t *testing.T) {
		g := c.createGroup("Admins")
		c.createGroup("Users")
		rs := resources(t, c.list("/Groups", "filter", `displayName eq "admins"`))
		if len(rs) != 1 || str(rs[0], "id") != str(g, "id") {
			t.Errorf("displayName filter found %v", rs)
		}
	})
}

func TestInvalidFilters(t *testing.T) {
	c := newClient(t)
	seedUsers(t, c)
	tests := []struct{ name, filter string }{
		{"no value", `userName eq`},
		{"unterminated string", `userName eq "x`},
		{"unclosed paren", `(userName eq "x"`},
		{"unknown operator", `userName xx "x"`},
		{"dangling and", `userName eq "x" and`},
		{"unclosed bracket", `emails[type eq "work"`},
		{"number as path", `userName eq "x" or 1 eq 1`},
		{"sql comment", `userName eq "x" --`},
		{"semicolon", `userName eq "x"; DROP TABLE users`},
		{"just garbage", `)(`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := c.list("/Users", "filter", tc.filter)
			want(t, r, http.StatusBadRequest, "invalidFilter")
			if !strings.Contains(strings.ToLower(str(r.Body, "detail")), "position") {
				t.Errorf("detail %q does not point at the position", str(r.Body, "detail"))
			}
		})
	}
	unknown := []string{`nosuch eq "x"`, `name.nosuch eq "x"`, `members pr`, `urn:example:nope:attr eq "x"`,
		`userName eq "bjensen" or nosuch eq "x"`, `emails[nosuch eq "x"]`}
	for _, f := range unknown {
		t.Run("unknown attribute "+f, func(t *testing.T) {
			r := c.list("/Users", "filter", f)
			if r.Status == http.StatusOK {
				t.Fatalf("filter on an unknown attribute answered 200 with %d users; it must be 400 invalidFilter, never all users", len(resources(t, r)))
			}
			want(t, r, http.StatusBadRequest, "invalidFilter")
		})
	}
	t.Run("search body", func(t *testing.T) {
		r := c.do("POST", "/Users/.search", js(obj{"schemas": []any{scim.SearchRequestURN}, "filter": `userName eq`}))
		want(t, r, http.StatusBadRequest, "invalidFilter")
	})
}

func TestPaging(t *testing.T) {
	c := newClient(t, func(cfg *server.Config) { cfg.MaxResults = 5 })
	var ids []string
	for i := 1; i <= 7; i++ {
		ids = append(ids, str(c.createUser("page"+strconv.Itoa(i), nil), "id"))
	}
	tests := []struct {
		name             string
		params           []string
		start, per, from int // expected startIndex, itemsPerPage, 1-based index of the first resource
	}{
		{"no parameters: capped at MaxResults", nil, 1, 5, 1},
		{"startIndex=0 read as 1", []string{"startIndex", "0"}, 1, 5, 1},
		{"negative startIndex read as 1", []string{"startIndex", "-5"}, 1, 5, 1},
		{"startIndex without count", []string{"startIndex", "4"}, 4, 4, 4},
		{"count only", []string{"count", "2"}, 1, 2, 1},
		{"count=0: totalResults only", []string{"count", "0"}, 1, 0, 0},
		{"negative count read as 0", []string{"count", "-3"}, 1, 0, 0},
		{"count above MaxResults clamped", []string{"count", "100"}, 1, 5, 1},
		{"huge count clamped", []string{"count", "99999999999999999999"}, 1, 5, 1},
		{"window at the end", []string{"startIndex", "6", "count", "5"}, 6, 2, 6},
		{"last one", []string{"startIndex", "7", "count", "1"}, 7, 1, 7},
		{"beyond the end", []string{"startIndex", "8"}, 8, 0, 0},
		{"huge startIndex", []string{"startIndex", "99999999999999999999"}, -1, 0, 0},
		{"empty values ignored", []string{"startIndex", "", "count", ""}, 1, 5, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := c.list("/Users", tc.params...)
			rs := resources(t, r)
			if n := intField(t, r.Body, "totalResults"); n != 7 {
				t.Errorf("totalResults = %d, want 7", n)
			}
			if s := intField(t, r.Body, "startIndex"); tc.start > 0 && s != tc.start {
				t.Errorf("startIndex = %d, want %d", s, tc.start)
			}
			if n := intField(t, r.Body, "itemsPerPage"); n != tc.per || len(rs) != tc.per {
				t.Errorf("itemsPerPage = %d with %d resources, want %d", n, len(rs), tc.per)
			}
			if tc.per > 0 {
				if got := values(rs, "id"); !slices.Equal(got, ids[tc.from-1:tc.from-1+tc.per]) {
					t.Errorf("ids = %v, want %v", got, ids[tc.from-1:tc.from-1+tc.per])
				}
			}
		})
	}
	for _, p := range [][]string{{"count", "ten"}, {"startIndex", "1.5"}, {"startIndex", "abc"}, {"count", "1e3"}} {
		t.Run("non-integer "+p[0]+"="+p[1], func(t *testing.T) {
			want(t, c.list("/Users", p...), http.StatusBadRequest, "invalidValue")
		})
	}
	t.Run("paging with a filter", func(t *testing.T) {
		r := c.list("/Users", "filter", `userName sw "page"`, "startIndex", "3", "count", "2")
		rs := resources(t, r)
		if intField(t, r.Body, "totalResults") != 7 || !slices.Equal(values(rs, "id"), ids[2:4]) {
			t.Errorf("got %s", r.Raw)
		}
	})
	t.Run("paging fields are JSON integers", func(t *testing.T) {
		r := c.list("/Users", "startIndex", "2", "count", "3")
		for _, k := range []string{`"totalResults":7`, `"startIndex":2`, `"itemsPerPage":3`} {
			if !strings.Contains(string(r.Raw), k) {
				t.Errorf("body lacks %s: %s", k, r.Raw)
			}
		}
	})
	t.Run("stable order across pages", func(t *testing.T) {
		walk := func() []string {
			var got []string
			for start := 1; start <= 7; start += 2 {
				got = append(got, values(resources(t, c.list("/Users", "startIndex", strconv.Itoa(start), "count", "2")), "id")...)
			}
			return got
		}
		first := walk()
		if !slices.Equal(first, ids) {
			t.Errorf("pages gave %v, want every user once in a stable order %v", first, ids)
		}
		// A change to a user must not move it (Okta imports page by page).
		c.patchOK("/Users/"+ids[0], obj{"op": "replace", "path": "displayName", "value": "moved?"})
		if again := walk(); !slices.Equal(again, first) {
			t.Errorf("order changed after an update: %v, then %v", first, again)
		}
	})
}

func TestSort(t *testing.T) {
	c := newClient(t)
	seedUsers(t, c)
	tests := []struct {
		params []string
		want   []string
	}{
		{[]string{"sortBy", "userName"}, []string{"Alice", "bjensen", "carol two", "jsmith"}},
		{[]string{"sortBy", "USERNAME", "sortOrder", "ascending"}, []string{"Alice", "bjensen", "carol two", "jsmith"}},
		{[]string{"sortBy", "userName", "sortOrder", "descending"}, []string{"jsmith", "carol two", "bjensen", "Alice"}},
		{[]string{"sortBy", "userName", "sortOrder", "Descending"}, []string{"jsmith", "carol two", "bjensen", "Alice"}},
		{[]string{"sortBy", "name.familyName"}, []string{"Alice", "bjensen", "jsmith", "carol two"}},
		{[]string{"sortBy", "userName", "count", "2", "startIndex", "2"}, []string{"bjensen", "carol two"}},
		{[]string{"sortBy", "userName", "sortOrder", "descending", "filter", `active eq true`}, []string{"jsmith", "carol two", "bjensen"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.params, " "), func(t *testing.T) {
			if got := values(resources(t, c.list("/Users", tc.params...)), "userName"); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("missing values last ascending, first descending", func(t *testing.T) {
		// RFC 7644 §3.4.2.3: resources without a value for sortBy are
		// "ordered last if ascending and first if descending".
		asc := values(resources(t, c.list("/Users", "sortBy", "title")), "userName")
		if len(asc) != 4 || asc[0] != "Alice" || asc[1] != "bjensen" {
			t.Errorf("ascending by title: %v, want Alice (CEO), bjensen (Tour Guide), then the two without a title", asc)
		}
		desc := values(resources(t, c.list("/Users", "sortBy", "title", "sortOrder", "descending")), "userName")
		if len(desc) != 4 || desc[2] != "bjensen" || desc[3] != "Alice" {
			t.Errorf("descending by title: %v, want the two without a title, then bjensen, Alice", desc)
		}
	})
	t.Run("bad sortOrder", func(t *testing.T) {
		want(t, c.list("/Users", "sortBy", "userName", "sortOrder", "sideways"), http.StatusBadRequest, "invalidValue")
	})
	t.Run("unsortable attributes", func(t *testing.T) {
		// Sorting by password would reveal the order of the passwords.
		for _, by := range []string{"password", "PASSWORD", scim.UserURN + ":password", "groups.display", "groups", "nosuch", "name.nosuch"} {
			want(t, c.list("/Users", "sortBy", by), http.StatusBadRequest, "invalidValue")
		}
		want(t, c.do("POST", "/.search", js(obj{"sortBy": "password"})), http.StatusBadRequest, "invalidValue")
		want(t, c.do("POST", "/.search", js(obj{"sortBy": "nosuch"})), http.StatusBadRequest, "invalidValue")
	})
	t.Run("root search sorted by an attribute only users have", func(t *testing.T) {
		c.createGroup("Zebras")
		c.createGroup("Ants")
		r := c.do("POST", "/.search", js(obj{"sortBy": "userName"}))
		got := values(resources(t, r), "meta", "resourceType")
		names := values(resources(t, r), "userName")
		if !slices.Equal(got, []string{"User", "User", "User", "User", "Group", "Group"}) || !slices.Equal(names[:4], []string{"Alice", "bjensen", "carol two", "jsmith"}) {
			t.Errorf("ascending: %v %v; want sorted users, then the groups (no userName: last)", got, names)
		}
		r = c.do("POST", "/.search", js(obj{"sortBy": "userName", "sortOrder": "descending", "startIndex": 2, "count": 3}))
		got = values(resources(t, r), "meta", "resourceType")
		names = values(resources(t, r), "userName")
		if !slices.Equal(got, []string{"Group", "User", "User"}) || !slices.Equal(names[1:], []string{"jsmith", "carol two"}) {
			t.Errorf("descending page: %v %v; want the groups (no userName: first), then users descending", got, names)
		}
	})
	t.Run("search body", func(t *testing.T) {
		r := c.do("POST", "/Users/.search", js(obj{"sortBy": "userName", "sortOrder": "descending", "count": 2}))
		if got := values(resources(t, r), "userName"); !slices.Equal(got, []string{"jsmith", "carol two"}) {
			t.Errorf("got %v", got)
		}
	})
}

func TestProjection(t *testing.T) {
	c := newClient(t)
	ids := seedUsers(t, c)
	bj := "/Users/" + ids["bjensen"]

	t.Run("attributes", func(t *testing.T) {
		u := c.mustGet(bj + "?attributes=userName")
		if str(u, "userName") != "bjensen" || str(u, "id") != ids["bjensen"] {
			t.Errorf("attributes=userName: %v", u)
		}
		for _, k := range []string{"name", "emails", "title", "active", "meta", scim.EnterpriseUserURN} {
			if _, ok := u[k]; ok {
				t.Errorf("attributes=userName returned %s", k)
			}
		}
		if s := strs(u["schemas"]); !slices.Equal(s, []string{scim.UserURN}) {
			t.Errorf("schemas = %v", s)
		}
	})
	t.Run("sub-attribute", func(t *testing.T) {
		u := c.mustGet(bj + "?attributes=emails.value,name.givenName")
		if str(u, "emails", 0, "value") != "bjensen@example.com" || get(u, "emails", 0, "type") != nil {
			t.Errorf("emails = %v, want values only", u["emails"])
		}
		if !schema.Equal(u["name"], obj{"givenName": "Barbara"}) {
			t.Errorf("name = %v, want givenName only", u["name"])
		}
	})
	t.Run("extension attribute", func(t *testing.T) {
		u := c.mustGet(bj + "?attributes=" + scim.EnterpriseUserURN + ":department")
		if !schema.Equal(u[scim.EnterpriseUserURN], obj{"department": "Sales"}) || u["userName"] != nil {
			t.Errorf("got %v", u)
		}
		if s := strs(u["schemas"]); !slices.Contains(s, scim.EnterpriseUserURN) {
			t.Errorf("schemas = %v", s)
		}
	})
	t.Run("case-insensitive names", func(t *testing.T) {
		u := c.mustGet(bj + "?attributes=USERNAME,Name.GivenName")
		if str(u, "userName") != "bjensen" || str(u, "name", "givenName") != "Barbara" || u["emails"] != nil {
			t.Errorf("got %v", u)
		}
	})
	t.Run("excludedAttributes", func(t *testing.T) {
		u := c.mustGet(bj + "?excludedAttributes=emails,name,id")
		if u["emails"] != nil || u["name"] != nil {
			t.Errorf("excluded attributes returned: %v", u)
		}
		if str(u, "id") == "" || str(u, "userName") != "bjensen" || u["meta"] == nil {
			t.Errorf("excludedAttributes removed too much (id is returned always): %v", u)
		}
	})
	t.Run("list", func(t *testing.T) {
		rs := resources(t, c.list("/Users", "attributes", "userName", "filter", `title pr`))
		if len(rs) != 2 {
			t.Fatalf("got %v", rs)
		}
		for _, u := range rs {
			if len(u) != 3 || u["id"] == nil || u["userName"] == nil || u["schemas"] == nil {
				t.Errorf("attributes=userName in a list: %v", u)
			}
		}
	})
	t.Run("on POST and PUT", func(t *testing.T) {
		r := c.do("POST", "/Users?attributes=userName", js(obj{"userName": "proj", "title": "X"}))
		want(t, r, http.StatusCreated, "")
		if r.Body["title"] != nil || str(r.Body, "userName") != "proj" {
			t.Errorf("POST with attributes: %v", r.Body)
		}
		r = c.do("PUT", "/Users/"+str(r.Body, "id")+"?excludedAttributes=title", js(obj{"userName": "proj", "title": "Y"}))
		want(t, r, http.StatusOK, "")
		if r.Body["title"] != nil || str(r.Body, "userName") != "proj" {
			t.Errorf("PUT with excludedAttributes: %v", r.Body)
		}
	})
	t.Run("groups excludedAttributes=members (Entra)", func(t *testing.T) {
		g := c.createGroup("Entra Group", ids["bjensen"], ids["jsmith"])
		rs := resources(t, c.list("/Groups", "excludedAttributes", "members", "filter", `displayName eq "Entra Group"`))
		if len(rs) != 1 || str(rs[0], "displayName") != "Entra Group" {
			t.Fatalf("got %v", rs)
		}
		if _, ok := rs[0]["members"]; ok {
			t.Errorf("members returned despite excludedAttributes=members: %v", rs[0])
		}
		one := c.mustGet("/Groups/" + str(g, "id") + "?excludedAttributes=members")
		if _, ok := one["members"]; ok || str(one, "displayName") != "Entra Group" {
			t.Errorf("GET with excludedAttributes=members: %v", one)
		}
		if got := memberIDs(c.mustGet("/Groups/" + str(g, "id"))); len(got) != 2 {
			t.Errorf("members = %v without the parameter", got)
		}
	})
}

func TestSearch(t *testing.T) {
	c := newClient(t)
	ids := seedUsers(t, c)
	g1 := str(c.createGroup("G1", ids["bjensen"]), "id")
	g2 := str(c.createGroup("G2"), "id")

	t.Run("POST /Users/.search", func(t *testing.T) {
		r := c.do("POST", "/Users/.search", js(obj{
			"schemas": []any{scim.SearchRequestURN}, "filter": `userName sw "j"`,
			"attributes": []any{"userName"}, "startIndex": 1, "count": 10}))
		rs := resources(t, r)
		if got := sorted(values(rs, "userName")); !slices.Equal(got, []string{"jsmith"}) {
			t.Errorf("found %v", got)
		}
		if len(rs) == 1 && rs[0]["emails"] != nil {
			t.Errorf("attributes ignored: %v", rs[0])
		}
	})
	t.Run("excludedAttributes in the body", func(t *testing.T) {
		r := c.do("POST", "/Groups/.search", js(obj{"filter": `displayName eq "G1"`, "excludedAttributes": []any{"members"}}))
		rs := resources(t, r)
		if len(rs) != 1 || rs[0]["members"] != nil {
			t.Errorf("got %v", rs)
		}
	})
	t.Run("application/json", func(t *testing.T) {
		r := c.do("POST", "/Users/.search", js(obj{"filter": `userName eq "bjensen"`}), "Content-Type", "application/json")
		if got := values(resources(t, r), "id"); !slices.Equal(got, []string{ids["bjensen"]}) {
			t.Errorf("got %v", got)
		}
	})
	t.Run("root search covers every type", func(t *testing.T) {
		r := c.do("POST", "/.search", js(obj{"schemas": []any{scim.SearchRequestURN}}))
		rs := resources(t, r)
		if intField(t, r.Body, "totalResults") != 6 || len(rs) != 6 {
			t.Fatalf("totalResults %v with %d resources, want 6", r.Body["totalResults"], len(rs))
		}
		types := values(rs, "meta", "resourceType")
		if !slices.Equal(types, []string{"User", "User", "User", "User", "Group", "Group"}) {
			t.Errorf("resource types %v", types)
		}
		if str(rs[4], "id") != g1 || str(rs[5], "id") != g2 || str(rs[4], "meta", "location") != c.url("/Groups/"+g1) {
			t.Errorf("groups: %v", rs[4:])
		}
	})
	t.Run("root search pages across types", func(t *testing.T) {
		tests := []struct {
			start, count int
			types        []string
		}{
			{3, 3, []string{"User", "User", "Group"}},
			{5, 5, []string{"Group", "Group"}},
			{1, 2, []string{"User", "User"}},
			{6, 1, []string{"Group"}},
			{7, 5, []string{}},
			{1, 0, []string{}},
		}
		for _, tc := range tests {
			r := c.do("POST", "/.search", js(obj{"startIndex": tc.start, "count": tc.count}))
			rs := resources(t, r)
			if got := values(rs, "meta", "resourceType"); !slices.Equal(got, tc.types) ||
				intField(t, r.Body, "totalResults") != 6 || intField(t, r.Body, "itemsPerPage") != len(tc.types) ||
				intField(t, r.Body, "startIndex") != tc.start {
				t.Errorf("startIndex %d count %d: types %v, body %s; want %v", tc.start, tc.count, got, r.Raw, tc.types)
			}
		}
		// Pages walk the concatenation without gaps or repeats.
		var seen []string
		for start := 1; start <= 6; start += 4 {
			seen = append(seen, values(resources(t, c.do("POST", "/.search", js(obj{"startIndex": start, "count": 4}))), "id")...)
		}
		if len(seen) != 6 || len(slices.Compact(sorted(seen))) != 6 {
			t.Errorf("paged root search gave %v", seen)
		}
	})
	t.Run("root search with a filter only one type understands", func(t *testing.T) {
		r := c.do("POST", "/.search", js(obj{"filter": `displayName sw "G"`}))
		if got := sorted(values(resources(t, r), "id")); !slices.Equal(got, sorted([]string{g1, g2})) {
			t.Errorf("displayName filter found %v", got)
		}
		r = c.do("POST", "/.search", js(obj{"filter": `userName eq "bjensen"`}))
		if got := values(resources(t, r), "id"); !slices.Equal(got, []string{ids["bjensen"]}) {
			t.Errorf("userName filter found %v", got)
		}
		r = c.do("POST", "/.search", js(obj{"filter": `members pr`}))
		if got := values(resources(t, r), "id"); !slices.Equal(got, []string{g1}) {
			t.Errorf("members pr found %v", got)
		}
	})
	t.Run("root search errors", func(t *testing.T) {
		want(t, c.do("POST", "/.search", js(obj{"filter": `nosuch eq "x"`})), http.StatusBadRequest, "invalidFilter")
		want(t, c.do("POST", "/.search", js(obj{"filter": `userName eq`})), http.StatusBadRequest, "invalidFilter")
		want(t, c.do("POST", "/.search", js(obj{"count": "ten"})), http.StatusBadRequest, "invalidValue")
		want(t, c.do("POST", "/.search", js(obj{"count": true})), http.StatusBadRequest, "invalidValue")
		want(t, c.do("POST", "/.search", js(obj{"attributes": 3})), http.StatusBadRequest, "invalidValue")
		want(t, c.do("POST", "/.search", js(obj{"sortOrder": "up"})), http.StatusBadRequest, "invalidValue")
		want(t, c.do("POST", "/.search", `[]`), http.StatusBadRequest, "invalidSyntax")
		r := c.do("GET", "/.search", "")
		want(t, r, http.StatusMethodNotAllowed, "")
		if r.Header.Get("Allow") != "POST" {
			t.Errorf("Allow = %q", r.Header.Get("Allow"))
		}
	})
}

// TestFilterOnGroups: User.groups is derived from group membership, so a
// filter on it must be answered from the groups, not silently match no one.
func TestFilterOnGroups(t *testing.T) {
	c := newClient(t)
	ids := seedUsers(t, c)
	admins := str(c.createGroup("Admins", ids["bjensen"], ids["Alice"]), "id")
	staff := str(c.createGroup("Staff", ids["bjensen"], ids["jsmith"]), "id")
	c.createGroup("Nested", admins) // a group member is not a user
	tests := []struct {
		filter string
		want   []string
	}{
		{`groups.value eq "` + admins + `"`, []string{"Alice", "bjensen"}},
		{`groups.value eq "` + staff + `" and userName sw "j"`, []string{"jsmith"}},
		{`groups[display eq "admins"]`, []string{"Alice", "bjensen"}},
		{`groups[display eq "Admins" and value eq "` + staff + `"]`, []string{}},
		{`groups.display eq "Admins" and groups.display eq "Staff"`, []string{"bjensen"}},
		{`groups pr`, []string{"Alice", "bjensen", "jsmith"}},
		{`not (groups pr)`, []string{"carol two"}},
		{`not (groups.value eq "` + admins + `")`, []string{"carol two", "jsmith"}},
		{`groups.value ne "` + admins + `"`, []string{"carol two", "jsmith"}},
		{`groups.type eq "direct" or userName eq "carol two"`, []string{"Alice", "bjensen", "carol two", "jsmith"}},
		{`groups.value eq "no-such-group"`, []string{}},
		{`GROUPS.VALUE eq "` + staff + `"`, []string{"bjensen", "jsmith"}},
		{`urn:ietf:params:scim:schemas:core:2.0:User:groups.display sw "St"`, []string{"bjensen", "jsmith"}},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			if got := c.filterUserNames(tc.filter); !slices.Equal(got, sorted(tc.want)) {
				t.Errorf("found %v, want %v", got, sorted(tc.want))
			}
		})
	}
	t.Run("paging counts the matches", func(t *testing.T) {
		r := c.list("/Users", "filter", `groups pr`, "count", "1")
		if len(resources(t, r)) != 1 || intField(t, r.Body, "totalResults") != 3 {
			t.Errorf("got %s", r.Raw)
		}
	})
	t.Run("search and root search", func(t *testing.T) {
		r := c.do("POST", "/Users/.search", js(obj{"filter": `groups.value eq "` + staff + `"`}))
		if got := sorted(values(resources(t, r), "userName")); !slices.Equal(got, []string{"bjensen", "jsmith"}) {
			t.Errorf(".search found %v", got)
		}
		r = c.do("POST", "/.search", js(obj{"filter": `groups.display eq "Admins"`}))
		if got := sorted(values(resources(t, r), "userName")); !slices.Equal(got, []string{"Alice", "bjensen"}) {
			t.Errorf("root .search found %v", got)
		}
	})
	t.Run("membership changes are seen at once", func(t *testing.T) {
		c.patchOK("/Groups/"+admins, obj{"op": "remove", "path": `members[value eq "` + ids["Alice"] + `"]`})
		if got := c.filterUserNames(`groups.value eq "` + admins + `"`); !slices.Equal(got, []string{"bjensen"}) {
			t.Errorf("found %v", got)
		}
	})
	t.Run("errors", func(t *testing.T) {
		want(t, c.list("/Users", "filter", `groups.nosuch eq "x"`), http.StatusBadRequest, "invalidFilter")
		want(t, c.list("/Users", "filter", `groups[nosuch eq "x"]`), http.StatusBadRequest, "invalidFilter")
	})
	t.Run("other tenant's groups", func(t *testing.T) {
		acme := c.tenant("acme", acmeToken)
		acme.createGroup("Admins")
		if got := acme.filterUserNames(`groups pr`); len(got) != 0 {
			t.Errorf("acme found %v", got)
		}
	})
}

// The memory store shares Query's documents with its own state (read-only,
// store.Store.Query); rendering a list must add meta.location and the
// derived groups to a copy, never to the stored document — which the next
// reader, on another goroutine, would see half-written.
func TestListLeavesStoredDocumentsAlone(t *testing.T) {
	st := memory.New()
	c := newClient(t, func(cfg *server.Config) { cfg.Store = st })
	u := c.createUser("alice", nil)
	c.createGroup("staff", u["id"].(string))
	for range 2 {
		if got := c.filterUserNames(`userName eq "alice"`); len(got) != 1 {
			t.Fatalf("lookup: %v", got)
		}
	}
	rt, _ := schema.Default().ResourceType("User")
	page, err := st.Query(context.Background(), server.DefaultTenant, rt, store.Query{Count: -1})
	if err != nil || len(page.Resources) != 1 {
		t.Fatalf("query: %v %v", page, err)
	}
	doc := page.Resources[0].Doc
	if _, ok := doc["groups"]; ok {
		t.Errorf("stored document gained the derived groups: %v", doc["groups"])
	}
	if loc, ok := doc["meta"].(map[string]any)["location"]; ok {
		t.Errorf("stored document gained meta.location %v", loc)
	}
}

// groupQueries counts the store queries for groups, to check how many a
// request costs.
type groupQueries struct {
	store.Store
	n atomic.Int64
}

func (g *groupQueries) Query(ctx context.Context, tenant string, rt *schema.ResourceType, q store.Query) (store.Page, error) {
	if rt.ID == "Group" {
		g.n.Add(1)
	}
	return g.Store.Query(ctx, tenant, rt, q)
}

// A list page derives its users' groups in one store query, not one per
// user, and not at all when the answer leaves groups out; each user still
// gets exactly its own groups.
func TestListDerivesGroupsInOneQuery(t *testing.T) {
	st := &groupQueries{Store: memory.New()}
	c := newClient(t, func(cfg *server.Config) { cfg.Store = st })
	var ids []string
	for i := range 6 {
		ids = append(ids, c.createUser(fmt.Sprintf("page-user-%d", i), nil)["id"].(string))
	}
	c.createGroup("evens", ids[0], ids[2], ids[4])
	c.createGroup("first", ids[0])
	want := map[string][]string{ids[0]: {"evens", "first"}, ids[2]: {"evens"}, ids[4]: {"evens"}}

	tests := []struct {
		name    string
		params  []string
		queries int64
		groups  bool
	}{
		{"a page of 6 users", []string{"filter", `userName sw "page-user-"`}, 1, true},
		{"attributes without groups", []string{"filter", `userName sw "page-user-"`, "attributes", "userName"}, 0, false},
		{"groups excluded", []string{"filter", `userName sw "page-user-"`, "excludedAttributes", "groups"}, 0, false},
	}
	for _, tc := range tests {
		st.n.Store(0)
		resp := c.list("/Users", tc.params...)
		if got := st.n.Load(); got != tc.queries {
			t.Errorf("%s: %d group queries, want %d", tc.name, got, tc.queries)
		}
		var body struct{ Resources []map[string]any }
		if err := json.Unmarshal(resp.Raw, &body); err != nil || len(body.Resources) != 6 {
			t.Fatalf("%s: %d resources, err %v: %s", tc.name, len(body.Resources), err, resp.Raw)
		}
		for _, u := range body.Resources {
			var names []string
			gs, _ := u["groups"].([]any)
			for _, g := range gs {
				names = append(names, g.(map[string]any)["display"].(string))
			}
			slices.Sort(names)
			if w := want[u["id"].(string)]; !tc.groups {
				if u["groups"] != nil {
					t.Errorf("%s: groups shown: %v", tc.name, u["groups"])
				}
			} else if !slices.Equal(names, w) {
				t.Errorf("%s: user %v has groups %v, want %v", tc.name, u["userName"], names, w)
			}
		}
	}
}

// A page of more users than a filter may compare (store.MaxFilterTerms)
// still derives every user's groups — in chunks of that many — instead of
// answering 400 tooMany to a plain GET /Users?count=250 (the server's own
// derivation is not a client's filter), on both the first and the last
// user of the page.
func TestLargePageDerivesGroups(t *testing.T) {
	st := &groupQueries{Store: memory.New()}
	c := newClient(t, func(cfg *server.Config) { cfg.Store, cfg.MaxResults = st, 1000 })
	n := store.MaxFilterTerms + 50
	var ids []string
	for i := range n {
		ids = append(ids, c.createUser(fmt.Sprintf("big-page-%03d", i), nil)["id"].(string))
	}
	c.createGroup("ends", ids[0], ids[n-1])
	st.n.Store(0)
	resp := c.list("/Users", "filter", `userName sw "big-page-"`, "count", strconv.Itoa(n))
	var body struct{ Resources []map[string]any }
	if err := json.Unmarshal(resp.Raw, &body); err != nil || len(body.Resources) != n {
		t.Fatalf("%d resources, err %v: %.300s", len(body.Resources), err, resp.Raw)
	}
	if got := st.n.Load(); got != 2 {
		t.Errorf("%d group queries for %d users, want 2 chunks", got, n)
	}
	for _, u := range body.Resources {
		gs, _ := u["groups"].([]any)
		end := u["id"] == ids[0] || u["id"] == ids[n-1]
		if end != (len(gs) == 1) {
			t.Errorf("user %v has groups %v", u["userName"], gs)
		}
	}
}
