package server_test

// One test per server-relevant behaviour of /work/shared/idp-behaviour.md,
// named after the IdP and the behaviour. The comment on each cites the
// source the catalog gives.

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/schema"
)

const adscimGroupURN = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"

// Entra Test Connection: GET /Users?filter=userName eq "<guid>" → 200
// empty ListResponse, not 404 (TUT, QUAR; SCIMReferenceCode issue 63).
func TestEntraTestConnectionEmptyList(t *testing.T) {
	c := newClient(t)
	c.createUser("someone", nil)
	r := c.list("/Users", "filter", `userName eq "2b6a1e4c-8f0d-4d8a-9a5e-3f1c7e9d2b10"`)
	if rs := resources(t, r); len(rs) != 0 {
		t.Errorf("found %v", rs)
	}
	if intField(t, r.Body, "totalResults") != 0 {
		t.Errorf("totalResults = %v", r.Body["totalResults"])
	}
}

// Entra schema discovery: GET /Schemas when the mapping is opened (TUT).
func TestEntraSchemaDiscovery(t *testing.T) {
	c := newClient(t)
	rs := resources(t, c.list("/Schemas"))
	if !slices.Contains(values(rs, "id"), scim.EnterpriseUserURN) {
		t.Errorf("schemas %v lack the enterprise extension Entra maps to", values(rs, "id"))
	}
}

// entraUser is the POST body of TUT: core+enterprise schemas, externalId,
// userName, active, a primary work email, meta.resourceType, name, roles [].
func entraUser(userName, externalID string) obj {
	return obj{
		"schemas":    []any{scim.UserURN, scim.EnterpriseUserURN},
		"externalId": externalID,
		"userName":   userName,
		"active":     true,
		"emails":     []any{obj{"primary": true, "type": "work", "value": userName}},
		"meta":       obj{"resourceType": "User"},
		"name":       obj{"formatted": "Given Family", "familyName": "Family", "givenName": "Given"},
		"roles":      []any{},
	}
}

// Entra POST body with roles [], null attributes (older examples) and
// meta {resourceType} (TUT).
func TestEntraCreateUserBody(t *testing.T) {
	c := newClient(t)
	body := entraUser("Test_User_ab6490ee@testuser.com", "0a21f0f2-8d2a-4f8e-bf98-7b2d3ae9a0a6")
	body["nickName"] = nil
	body["title"] = nil
	body["phoneNumbers"] = nil
	body[scim.EnterpriseUserURN] = obj{"department": nil, "manager": nil, "employeeNumber": "42"}
	r := c.do("POST", "/Users", js(body))
	want(t, r, http.StatusCreated, "")
	u := r.Body
	if str(u, "userName") != "Test_User_ab6490ee@testuser.com" || u["active"] != true || str(u, "name", "givenName") != "Given" ||
		str(u, "externalId") != "0a21f0f2-8d2a-4f8e-bf98-7b2d3ae9a0a6" || str(u, "emails", 0, "value") != "Test_User_ab6490ee@testuser.com" {
		t.Errorf("created %v", u)
	}
	for _, k := range []string{"roles", "nickName", "title", "phoneNumbers"} {
		if _, ok := u[k]; ok {
			t.Errorf("%s = %v: null and [] are unassigned", k, u[k])
		}
	}
	if !schema.Equal(u[scim.EnterpriseUserURN], obj{"employeeNumber": "42"}) {
		t.Errorf("enterprise = %v", u[scim.EnterpriseUserURN])
	}
	if str(u, "meta", "resourceType") != "User" || str(u, "meta", "created") == "" {
		t.Errorf("meta = %v", u["meta"])
	}
}

// Entra initial cycle: query by the matching attribute — userName,
// externalId, or emails[type eq "work"].value — one at a time (HOW).
func TestEntraMatchingAttributeQueries(t *testing.T) {
	c := newClient(t)
	id := str(c.createUser("match@contoso.com", entraUser("match@contoso.com", "obj-1")), "id")
	c.createUser("other@contoso.com", entraUser("other@contoso.com", "obj-2"))
	for _, f := range []string{
		`userName eq "match@contoso.com"`,
		`externalId eq "obj-1"`,
		`emails[type eq "work"].value eq "match@contoso.com"`,
	} {
		if got := values(resources(t, c.list("/Users", "filter", f)), "id"); !slices.Equal(got, []string{id}) {
			t.Errorf("%s found %v, want [%s]", f, got, id)
		}
	}
}

// Entra booleans as strings: "active":"True" on POST → 201 with active
// true (SCIMReferenceCode issue 21, Postman test "Post emp1 with string True").
func TestEntraActiveStringTrueOnPost(t *testing.T) {
	c := newClient(t)
	body := entraUser("stringtrue@contoso.com", "st")
	body["active"] = "True"
	r := c.do("POST", "/Users", js(body))
	want(t, r, http.StatusCreated, "")
	if r.Body["active"] != true {
		t.Errorf("active = %#v, want the boolean true", r.Body["active"])
	}
	if got := c.filterUserNames(`active eq true`); !slices.Equal(got, []string{"stringtrue@contoso.com"}) {
		t.Errorf("active eq true found %v: the string must be stored as a boolean", got)
	}
}

// Entra update: PATCH with capitalised ops, one op per attribute (TUT).
func TestEntraPatchCapitalisedOps(t *testing.T) {
	c := newClient(t)
	id := str(c.createUser("cap@contoso.com", entraUser("cap@contoso.com", "cap")), "id")
	c.patchOK("/Users/"+id,
		obj{"op": "Replace", "path": `emails[type eq "work"].value`, "value": "updated@contoso.com"},
		obj{"op": "Replace", "path": "name.familyName", "value": "Updated"},
		obj{"op": "Replace", "path": "userName", "value": "updated@contoso.com"},
		obj{"op": "Add", "path": "title", "value": "Manager"},
	)
	u := c.mustGet("/Users/" + id)
	if str(u, "emails", 0, "value") != "updated@contoso.com" || str(u, "name", "familyName") != "Updated" ||
		str(u, "name", "givenName") != "Given" || str(u, "userName") != "updated@contoso.com" || str(u, "title") != "Manager" {
		t.Errorf("after PATCH: %v", u)
	}
	if len(asSlice(u["emails"])) != 1 || get(u, "emails", 0, "primary") != true {
		t.Errorf("emails = %v: the other sub-attributes must stay", u["emails"])
	}
}

// Entra disable: Replace active with the string "False" (without the
// aadOptscim062020 flag) or the boolean false (with it, and in TUT);
// re-assignment PATCHes active true (TUT, KNOWN).
func TestEntraDisableAndEnable(t *testing.T) {
	c := newClient(t)
	id := str(c.createUser("dis@contoso.com", entraUser("dis@contoso.com", "dis")), "id")
	for _, tc := range []struct {
		op    string
		value any
		want  bool
	}{
		{"Replace", "False", false},
		{"Replace", "True", true},
		{"replace", false, false},
		{"Replace", true, true},
		{"Replace", false, false},
	} {
		c.patchOK("/Users/"+id, obj{"op": tc.op, "path": "active", "value": tc.value})
		if got := c.mustGet("/Users/" + id)["active"]; got != tc.want {
			t.Errorf("after %s active %#v: active = %#v, want %v", tc.op, tc.value, got, tc.want)
		}
	}
}

// Entra: inactive users must still be found by GET and filter (TUT, KNOWN).
func TestEntraInactiveUsersStillFound(t *testing.T) {
	c := newClient(t)
	id := str(c.createUser("inactive@contoso.com", entraUser("inactive@contoso.com", "in")), "id")
	c.patchOK("/Users/"+id, obj{"op": "Replace", "path": "active", "value": "False"})
	if u := c.mustGet("/Users/" + id); u["active"] != false {
		t.Errorf("GET: %v", u)
	}
	if got := c.filterUserNames(`userName eq "inactive@contoso.com"`); len(got) != 1 {
		t.Errorf("filter found %v", got)
	}
	if got := c.filterUserNames(`externalId eq "in"`); len(got) != 1 {
		t.Errorf("externalId filter found %v", got)
	}
	if n := c.total("/Users"); n != 1 {
		t.Errorf("list total %d", n)
	}
}

// Entra delete: DELETE /Users/{id} → 204 (doc).
func TestEntraDeleteUser(t *testing.T) {
	c := newClient(t)
	id := str(c.createUser("del@contoso.com", entraUser("del@contoso.com", "del")), "id")
	want(t, c.do("DELETE", "/Users/"+id, ""), http.StatusNoContent, "")
	if got := c.filterUserNames(`userName eq "del@contoso.com"`); len(got) != 0 {
		t.Errorf("deleted user still found: %v", got)
	}
}

// Entra manager: path ...:User:manager with a raw string id (Add), changed
// with replace, removed with "value":"" (REF validation app; SCIM-SDK 686).
func TestEntraManagerRawString(t *testing.T) {
	c := newClient(t)
	boss1 := str(c.createUser("boss1@contoso.com", nil), "id")
	boss2 := str(c.createUser("boss2@contoso.com", nil), "id")
	id := str(c.createUser("emp@contoso.com", entraUser("emp@contoso.com", "emp")), "id")
	mgr := scim.EnterpriseUserURN + ":manager"
	manager := func() any { return get(c.mustGet("/Users/"+id), scim.EnterpriseUserURN, "manager") }

	c.patchOK("/Users/"+id, obj{"op": "Add", "path": mgr, "value": boss1})
	if m := manager(); str(m, "value") != boss1 {
		t.Errorf("after Add: manager = %v, want value %s", m, boss1)
	}
	c.patchOK("/Users/"+id, obj{"op": "Replace", "path": mgr, "value": boss2})
	if m := manager(); str(m, "value") != boss2 {
		t.Errorf("after Replace: manager = %v, want value %s", m, boss2)
	}
	c.patchOK("/Users/"+id, obj{"op": "Replace", "path": mgr, "value": ""})
	if m := manager(); m != nil {
		t.Errorf(`after Replace with "": manager = %v, want none`, m)
	}
	c.patchOK("/Users/"+id, obj{"op": "Add", "path": mgr, "value": boss1})
	c.patchOK("/Users/"+id, obj{"op": "Remove", "path": mgr})
	if m := manager(); m != nil {
		t.Errorf("after Remove: manager = %v, want none", m)
	}
	// The object form keeps working.
	c.patchOK("/Users/"+id, obj{"op": "replace", "path": mgr, "value": obj{"value": boss2}})
	if m := manager(); str(m, "value") != boss2 {
		t.Errorf("object form: manager = %v", m)
	}
}

// Entra groups: created without members, with the ADSCIM schema URN next to
// the core one (TUT).
func TestEntraGroupCreateWithADSCIMSchema(t *testing.T) {
	c := newClient(t)
	r := c.do("POST", "/Groups", js(obj{
		"schemas":     []any{scim.GroupURN, adscimGroupURN},
		"externalId":  "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
		"displayName": "Group1DisplayName",
		"meta":        obj{"resourceType": "Group"},
	}))
	want(t, r, http.StatusCreated, "")
	if str(r.Body, "displayName") != "Group1DisplayName" || str(r.Body, "externalId") != "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159" {
		t.Errorf("created %v", r.Body)
	}
	if !slices.Contains(strs(r.Body["schemas"]), scim.GroupURN) {
		t.Errorf("schemas = %v", r.Body["schemas"])
	}
}

// Entra reads groups with excludedAttributes=members, by id and in a
// displayName query; members returned anyway are an error in Entra's logs (TUT).
func TestEntraGroupReadExcludingMembers(t *testing.T) {
	c := newClient(t)
	u := str(c.createUser("member@contoso.com", nil), "id")
	gid := str(c.createGroup("Entra Readers", u), "id")
	g := c.mustGet("/Groups/" + gid + "?excludedAttributes=members")
	if _, ok := g["members"]; ok || str(g, "displayName") != "Entra Readers" {
		t.Errorf("by id: %v", g)
	}
	rs := resources(t, c.list("/Groups", "excludedAttributes", "members", "filter", `displayName eq "Entra Readers"`))
	if len(rs) != 1 || rs[0]["members"] != nil || str(rs[0], "id") != gid {
		t.Errorf("query: %v", rs)
	}
}

// Entra group rename: Replace displayName → 204 in TUT (200 is also fine).
func TestEntraGroupRename(t *testing.T) {
	c := newClient(t)
	u := str(c.createUser("keep@contoso.com", nil), "id")
	gid := str(c.createGroup("Old Name", u), "id")
	c.patchOK("/Groups/"+gid, obj{"op": "Replace", "path": "displayName", "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"})
	g := c.mustGet("/Groups/" + gid)
	if str(g, "displayName") != "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName" || !slices.Equal(memberIDs(g), []string{u}) {
		t.Errorf("after rename: %v", g)
	}
	if str(c.mustGet("/Users/"+u), "groups", 0, "display") != "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName" {
		t.Error("User.groups.display does not follow the rename")
	}
}

// Entra members add: {"op":"Add","path":"members","value":[{"$ref":null,"value":id}]} (TUT).
func TestEntraGroupMembersAddWithRefNull(t *testing.T) {
	c := newClient(t)
	u1 := str(c.createUser("a1@contoso.com", nil), "id")
	u2 := str(c.createUser("a2@contoso.com", nil), "id")
	gid := str(c.createGroup("Adds"), "id")
	c.patchOK("/Groups/"+gid, obj{"op": "Add", "path": "members", "value": []any{obj{"$ref": nil, "value": u1}}})
	c.patchOK("/Groups/"+gid, obj{"op": "Add", "path": "members", "value": []any{obj{"$ref": nil, "value": u2}}})
	// Adding an existing member again changes nothing.
	c.patchOK("/Groups/"+gid, obj{"op": "Add", "path": "members", "value": []any{obj{"$ref": nil, "value": u1}}})
	if got := memberIDs(c.mustGet("/Groups/" + gid)); !slices.Equal(got, sorted([]string{u1, u2})) {
		t.Errorf("members = %v", got)
	}
}

// Entra members remove without aadOptscim062020: op Remove with a value
// array removes only the listed members; reading it as "remove all" loses
// data (TUT; entra-docs issue 949).
func TestEntraGroupMembersRemoveWithValueArray(t *testing.T) {
	c := newClient(t)
	var ids []string
	for i := range 3 {
		ids = append(ids, str(c.createUser("r"+strconv.Itoa(i)+"@contoso.com", nil), "id"))
	}
	gid := str(c.createGroup("Removes", ids...), "id")
	c.patchOK("/Groups/"+gid, obj{"op": "Remove", "path": "members", "value": []any{obj{"$ref": nil, "value": ids[0]}}})
	if got := memberIDs(c.mustGet("/Groups/" + gid)); !slices.Equal(got, sorted(ids[1:])) {
		t.Errorf("members = %v, want %v: only the listed member goes", got, sorted(ids[1:]))
	}
}

// Entra members remove with aadOptscim062020: path members[value eq "id"] (KNOWN, TUT).
func TestEntraGroupMembersRemoveValueFilter(t *testing.T) {
	c := newClient(t)
	var ids []string
	for i := range 3 {
		ids = append(ids, str(c.createUser("f"+strconv.Itoa(i)+"@contoso.com", nil), "id"))
	}
	gid := str(c.createGroup("Filtered Removes", ids...), "id")
	c.patchOK("/Groups/"+gid, obj{"op": "remove", "path": `members[value eq "` + ids[1] + `"]`})
	if got := memberIDs(c.mustGet("/Groups/" + gid)); !slices.Equal(got, sorted([]string{ids[0], ids[2]})) {
		t.Errorf("members = %v", got)
	}
	if gs := c.mustGet("/Users/" + ids[1])["groups"]; gs != nil {
		t.Errorf("removed user still has groups %v", gs)
	}
}

// Entra with aadOptscim062020: several attributes in one path-less replace
// whose keys contain dots and URNs (KNOWN).
func TestEntraOptscimPathlessDottedReplace(t *testing.T) {
	c := newClient(t)
	id := str(c.createUser("dots@contoso.com", entraUser("dots@contoso.com", "dots")), "id")
	c.patchOK("/Users/"+id, obj{"op": "replace", "value": obj{
		"displayName":    "Dotted Name",
		"name.givenName": "NewGiven",
		scim.EnterpriseUserURN + ":employeeNumber": "12345",
		"emails[type eq \"work\"].value":           "dots2@contoso.com",
	}})
	u := c.mustGet("/Users/" + id)
	if str(u, "displayName") != "Dotted Name" || str(u, "name", "givenName") != "NewGiven" ||
		str(u, scim.EnterpriseUserURN, "employeeNumber") != "12345" {
		t.Errorf("after replace: %v", u)
	}
	if str(u, "name", "familyName") != "Family" {
		t.Errorf("name = %v: name.givenName must not wipe the other name parts", u["name"])
	}
	if str(u, "emails", 0, "value") != "dots2@contoso.com" {
		t.Errorf("emails = %v", u["emails"])
	}
}

// Entra filters: only eq and and (doc).
func TestEntraFilterEqAnd(t *testing.T) {
	c := newClient(t)
	c.createUser("and1@contoso.com", entraUser("and1@contoso.com", "x1"))
	c.createUser("and2@contoso.com", entraUser("and2@contoso.com", "x2"))
	if got := c.filterUserNames(`userName eq "and1@contoso.com" and externalId eq "x1"`); !slices.Equal(got, []string{"and1@contoso.com"}) {
		t.Errorf("found %v", got)
	}
	if got := c.filterUserNames(`userName eq "and1@contoso.com" and externalId eq "x2"`); len(got) != 0 {
		t.Errorf("found %v", got)
	}
}

// Entra filter values arrive URL-encoded, sometimes with + for space (doc).
func TestEntraFilterPlusForSpace(t *testing.T) {
	c := newClient(t)
	c.createUser("Jane Doe", nil)
	c.createUser("Jane", nil)
	for _, q := range []string{`filter=userName+eq+%22Jane+Doe%22`, `filter=userName%20eq%20%22Jane%20Doe%22`} {
		r := c.doURL("GET", c.url("/Users")+"?"+q, "")
		if got := values(resources(t, r), "userName"); !slices.Equal(got, []string{"Jane Doe"}) {
			t.Errorf("%s found %v", q, got)
		}
	}
}

// Entra legacy example: externalId eq jyoung, unquoted (doc).
func TestEntraUnquotedFilterValue(t *testing.T) {
	c := newClient(t)
	c.createUser("jyoung@contoso.com", obj{"externalId": "jyoung"})
	c.createUser("other@contoso.com", obj{"externalId": "jyoungster"})
	if got := c.filterUserNames(`externalId eq jyoung`); !slices.Equal(got, []string{"jyoung@contoso.com"}) {
		t.Errorf("found %v", got)
	}
}

// Entra path forms: phoneNumbers[type eq "mobile"].value,
// addresses[type eq "work"].postalCode, emails[type eq "other"].Value
// with a capital V (doc).
func TestEntraPatchPathForms(t *testing.T) {
	c := newClient(t)
	id := str(c.createUser("paths@contoso.com", obj{
		"emails":       []any{obj{"type": "work", "value": "paths@contoso.com"}, obj{"type": "other", "value": "old@other.example"}},
		"phoneNumbers": []any{obj{"type": "work", "value": "1"}, obj{"type": "mobile", "value": "2"}},
		"addresses":    []any{obj{"type": "work", "postalCode": "11111", "locality": "Redmond"}, obj{"type": "home", "postalCode": "22222"}},
	}), "id")
	c.patchOK("/Users/"+id,
		obj{"op": "Replace", "path": `phoneNumbers[type eq "mobile"].value`, "value": "+1 555 0100"},
		obj{"op": "Replace", "path": `addresses[type eq "work"].postalCode`, "value": "98052"},
		obj{"op": "Replace", "path": `emails[type eq "other"].Value`, "value": "new@other.example"},
	)
	u := c.mustGet("/Users/" + id)
	find := func(attr, typ, sub string) string {
		for _, e := range asSlice(u[attr]) {
			if str(e, "type") == typ {
				return str(e, sub)
			}
		}
		return "<none>"
	}
	for _, tc := range []struct{ attr, typ, sub, want string }{
		{"phoneNumbers", "mobile", "value", "+1 555 0100"},
		{"phoneNumbers", "work", "value", "1"},
		{"addresses", "work", "postalCode", "98052"},
		{"addresses", "work", "locality", "Redmond"},
		{"addresses", "home", "postalCode", "22222"},
		{"emails", "other", "value", "new@other.example"},
		{"emails", "work", "value", "paths@contoso.com"},
	} {
		if got := find(tc.attr, tc.typ, tc.sub); got != tc.want {
			t.Errorf("%s[type eq %q].%s = %q, want %q", tc.attr, tc.typ, tc.sub, got, tc.want)
		}
	}
}

// Entra: add (and replace) to a filtered path with no matching element
// creates that element (SCIM-SDK issue 680).
func TestEntraAddToFilteredPathCreatesElement(t *testing.T) {
	c := newClient(t)
	id := str(c.createUser("nomatch@contoso.com", obj{"emails": []any{obj{"type": "work", "value": "nomatch@contoso.com"}}}), "id")
	c.patchOK("/Users/"+id, obj{"op": "Add", "path": `phoneNumbers[type eq "mobile"].value`, "value": "555-0101"})
	c.patchOK("/Users/"+id, obj{"op": "Replace", "path": `addresses[type eq "work"].postalCode`, "value": "98052"})
	c.patchOK("/Users/"+id, obj{"op": "Add", "path": `emails[type eq "home"].value`, "value": "home@example.org"})
	u := c.mustGet("/Users/" + id)
	if p := asSlice(u["phoneNumbers"]); len(p) != 1 || str(p[0], "type") != "mobile" || str(p[0], "value") != "555-0101" {
		t.Errorf("phoneNumbers = %v, want [{type mobile, value 555-0101}]", u["phoneNumbers"])
	}
	if a := asSlice(u["addresses"]); len(a) != 1 || str(a[0], "type") != "work" || str(a[0], "postalCode") != "98052" {
		t.Errorf("addresses = %v", u["addresses"])
	}
	if e := asSlice(u["emails"]); len(e) != 2 {
		t.Errorf("emails = %v, want the work one and a new home one", u["emails"])
	}
}

// Entra SingleAppRoleAssignment: POST roles [{primary true, type
// WindowsAzureActiveDirectoryRole, value}], updated through
// roles[primary eq "True"].value (MAP).
func TestEntraSingleAppRoleAssignment(t *testing.T) {
	c := newClient(t)
	body := entraUser("role@contoso.com", "role")
	body["roles"] = []any{obj{"primary": true, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}}
	id := str(c.createUser("role@contoso.com", body), "id")
	c.patchOK("/Users/"+id, obj{"op": "Replace", "path": `roles[primary eq "True"].value`, "value": "Reader"})
	roles := asSlice(c.mustGet("/Users/" + id)["roles"])
	if len(roles) != 1 || str(roles[0], "value") != "Reader" || get(roles[0], "primary") != true ||
		str(roles[0], "type") != "WindowsAzureActiveDirectoryRole" {
		t.Errorf("roles = %v", roles)
	}
	if got := c.filterUserNames(`roles[primary eq true and value eq "Reader"]`); len(got) != 1 {
		t.Errorf("role filter found %v", got)
	}
}

// Entra AppRoleAssignmentsComplex: roles with primary false, then PATCH Add
// on roles whose values are JSON strings (MAP). Accepted, not a 400.
func TestEntraAppRoleAssignmentsComplex(t *testing.T) {
	c := newClient(t)
	id := str(c.createUser("complex@contoso.com", obj{"roles": []any{obj{"primary": false, "value": "Reader"}}}), "id")
	c.patchOK("/Users/"+id, obj{"op": "Add", "path": "roles", "value": []any{
		`{"id":"7a1b5c2e-0f38-4c6e-9d24-1e3b5c7d9f01","value":"Admin","displayName":"Admin"}`,
		`{"id":"7a1b5c2e-0f38-4c6e-9d24-1e3b5c7d9f02","value":"Writer","displayName":"Writer"}`,
	}})
	roles := asSlice(c.mustGet("/Users/" + id)["roles"])
	if len(roles) != 3 {
		t.Fatalf("roles = %v, want Reader and the two added", roles)
	}
	got := strings.Join(values(sliceOfMaps(roles), "value"), " | ")
	for _, w := range []string{"Reader", "Admin", "Writer"} {
		if !strings.Contains(got, w) {
			t.Errorf("roles values %q lack %s", got, w)
		}
	}
}

// Entra AssertiveAppRoleAssignmentsComplex: replace on roles with the full
// list, key display (MAP).
func TestEntraAssertiveRolesReplace(t *testing.T) {
	c := newClient(t)
	id := str(c.createUser("assert@contoso.com", obj{"roles": []any{obj{"value": "Old1"}, obj{"value": "Old2"}}}), "id")
	c.patchOK("/Users/"+id, obj{"op": "replace", "path": "roles", "value": []any{
		obj{"primary": false, "value": "New1", "display": "New One"},
		obj{"primary": false, "value": "New2", "display": "New Two"},
	}})
	roles := sliceOfMaps(asSlice(c.mustGet("/Users/" + id)["roles"]))
	if got := sorted(values(roles, "value")); !slices.Equal(got, []string{"New1", "New2"}) {
		t.Errorf("roles = %v, want exactly the new list", got)
	}
	if got := sorted(values(roles, "display")); !slices.Equal(got, []string{"New One", "New Two"}) {
		t.Errorf("display = %v", got)
	}
}

// Entra's validator POSTs "primary":"True" as a string (log, MAP).
func TestEntraPrimaryStringOnPost(t *testing.T) {
	c := newClient(t)
	body := entraUser("primary@contoso.com", "p")
	body["emails"] = []any{obj{"primary": "True", "type": "work", "value": "primary@contoso.com"}, obj{"primary": "False", "type": "home", "value": "h@example.org"}}
	r := c.do("POST", "/Users", js(body))
	want(t, r, http.StatusCreated, "")
	if get(r.Body, "emails", 0, "primary") != true {
		t.Errorf("emails = %v, want primary the boolean true", r.Body["emails"])
	}
	if p := get(r.Body, "emails", 1, "primary"); p != false && p != nil {
		t.Errorf("second primary = %#v", p)
	}
}

// Entra errors: 409 with scimType uniqueness on duplicates (TUT).
func TestEntraDuplicateUser409(t *testing.T) {
	c := newClient(t)
	c.createUser("dup@contoso.com", entraUser("dup@contoso.com", "d1"))
	r := c.do("POST", "/Users", js(entraUser("dup@contoso.com", "d2")))
	want(t, r, http.StatusConflict, "uniqueness")
	want(t, c.do("POST", "/Groups", js(obj{"displayName": "G"})), http.StatusCreated, "")
	want(t, c.do("POST", "/Groups", js(obj{"schemas": []any{scim.GroupURN, adscimGroupURN}, "displayName": "G"})), http.StatusConflict, "uniqueness")
}

// Entra account discovery and validation page with startIndex=N&count=5
// and check the returned startIndex (doc).
func TestEntraPagingStartIndexEchoed(t *testing.T) {
	c := newClient(t)
	for i := range 12 {
		c.createUser("p"+strconv.Itoa(i)+"@contoso.com", nil)
	}
	var seen []string
	for start := 1; start <= 12; start += 5 {
		r := c.list("/Users", "startIndex", strconv.Itoa(start), "count", "5")
		rs := resources(t, r)
		if intField(t, r.Body, "startIndex") != start || intField(t, r.Body, "itemsPerPage") != len(rs) {
			t.Errorf("page at %d: %s", start, r.Raw)
		}
		seen = append(seen, values(rs, "id")...)
	}
	if len(seen) != 12 || len(slices.Compact(sorted(seen))) != 12 {
		t.Errorf("pages gave %d ids, %d distinct", len(seen), len(slices.Compact(sorted(seen))))
	}
}

// Google lookup: startIndex and no count (log, snipe-it 12642; bitwarden 4034).
func TestGoogleLookupStartIndexWithoutCount(t *testing.T) {
	c := newClient(t)
	id := str(c.createUser("user@domain.com", nil), "id")
	r := c.list("/Users", "filter", `userName eq "user@domain.com"`, "startIndex", "1")
	if got := values(resources(t, r), "id"); !slices.Equal(got, []string{id}) {
		t.Errorf("found %v", got)
	}
	r = c.list("/Users", "filter", `userName eq "absent@domain.com"`, "startIndex", "1")
	if len(resources(t, r)) != 0 || intField(t, r.Body, "totalResults") != 0 {
		t.Errorf("absent user: %s", r.Raw)
	}
}

// Google create: the legacy SCIM 1.0 URN next to the 2.0 one,
// Content-Type application/json, User-Agent Google-Auto-Provisioning; a 406
// or 415 breaks it (log; pond/scimitar 142; indigo-iam 1285).
func TestGoogleCreateLegacyURNAndJSONContentType(t *testing.T) {
	c := newClient(t)
	r := c.do("POST", "/Users", js(obj{
		"schemas":     []any{"urn:scim:schemas:core:1.0", scim.UserURN},
		"userName":    "g.user@domain.com",
		"emails":      []any{obj{"primary": true, "type": "work", "value": "g.user@domain.com"}},
		"displayName": "G User",
		"name":        obj{"givenName": "G", "familyName": "User"},
		"active":      true,
	}), "Content-Type", "application/json", "Accept", "application/json", "User-Agent", "Google-Auto-Provisioning")
	want(t, r, http.StatusCreated, "")
	if str(r.Body, "userName") != "g.user@domain.com" || str(r.Body, "name", "familyName") != "User" {
		t.Errorf("created %v", r.Body)
	}
	if s := strs(r.Body["schemas"]); slices.Contains(s, "urn:scim:schemas:core:1.0") {
		t.Errorf("schemas = %v: the server computes schemas", s)
	}
	id := str(r.Body, "id")
	r = c.do("PUT", "/Users/"+id, js(obj{"schemas": []any{"urn:scim:schemas:core:1.0"}, "userName": "g.user@domain.com", "active": false}),
		"Content-Type", "application/json; charset=utf-8", "User-Agent", "Google-Auto-Provisioning")
	want(t, r, http.StatusOK, "")
	if r.Body["active"] != false {
		t.Errorf("suspend by PUT: %v", r.Body)
	}
	r = c.do("PATCH", "/Users/"+id, patchBody(obj{"op": "replace", "path": "active", "value": true}), "Content-Type", "application/json")
	want(t, r, http.StatusOK, "")
}

// Google probes with GET /Users?count=1 (weak).
func TestGoogleConnectionProbe(t *testing.T) {
	c := newClient(t)
	c.createUser("a@domain.com", nil)
	c.createUser("b@domain.com", nil)
	r := c.list("/Users", "count", "1")
	if len(resources(t, r)) != 1 || intField(t, r.Body, "totalResults") != 2 {
		t.Errorf("probe: %s", r.Raw)
	}
}

// Okta assign: GET /Users?filter=userName eq "…"&startIndex=1&count=100
// (developer.okta.com SCIM 2.0 reference).
func TestOktaLookupStartIndexCount(t *testing.T) {
	c := newClient(t)
	r := c.list("/Users", "filter", `userName eq "okta.new@example.com"`, "startIndex", "1", "count", "100")
	resources(t, r)
	if intField(t, r.Body, "totalResults") != 0 || intField(t, r.Body, "startIndex") != 1 || intField(t, r.Body, "itemsPerPage") != 0 {
		t.Errorf("empty lookup: %s", r.Raw)
	}
	id := str(c.createUser("okta.new@example.com", nil), "id")
	r = c.list("/Users", "filter", `userName eq "okta.new@example.com"`, "startIndex", "1", "count", "100")
	if got := values(resources(t, r), "id"); !slices.Equal(got, []string{id}) || intField(t, r.Body, "totalResults") != 1 {
		t.Errorf("lookup: %s", r.Raw)
	}
}

// Okta create: POST with externalId, groups [], password, active, locale,
// displayName; an empty 201 body is an error for Okta (Okta reference).
func TestOktaCreateUser(t *testing.T) {
	c := newClient(t)
	r := c.do("POST", "/Users", js(obj{
		"schemas":     []any{scim.UserURN},
		"userName":    "okta.user@example.com",
		"name":        obj{"givenName": "Okta", "familyName": "User"},
		"emails":      []any{obj{"primary": true, "value": "okta.user@example.com", "type": "work"}},
		"displayName": "Okta User",
		"locale":      "en-US",
		"externalId":  "00ujl29u0le5T6Aj10h7",
		"groups":      []any{},
		"password":    "1mz050nq",
		"active":      true,
	}), "Content-Type", "application/scim+json; charset=utf-8", "User-Agent", "Okta SCIM Client 1.0.0")
	want(t, r, http.StatusCreated, "")
	u := r.Body
	if str(u, "id") == "" || str(u, "userName") != "okta.user@example.com" || str(u, "locale") != "en-US" ||
		str(u, "externalId") != "00ujl29u0le5T6Aj10h7" || str(u, "displayName") != "Okta User" || u["active"] != true {
		t.Errorf("created %v", u)
	}
	if strings.Contains(string(r.Raw), "1mz050nq") {
		t.Error("the password came back")
	}
}

// Okta update: GET /Users/{id} then PUT the full resource, id, meta and
// groups included (Okta reference).
func TestOktaUpdateGetThenPut(t *testing.T) {
	c := newClient(t)
	id := str(c.createUser("okta.put@example.com", obj{"name": obj{"givenName": "A", "familyName": "B"}}), "id")
	gid := str(c.createGroup("Okta Pushed", id), "id")
	u := c.mustGet("/Users/" + id)
	u["name"] = obj{"givenName": "Changed", "familyName": "B"}
	u["password"] = "newPassw0rd"
	r := c.do("PUT", "/Users/"+id, js(u), "Content-Type", "application/scim+json; charset=utf-8", "User-Agent", "Okta SCIM Client 1.0.0")
	want(t, r, http.StatusOK, "")
	if str(r.Body, "name", "givenName") != "Changed" || str(r.Body, "id") != id || str(r.Body, "groups", 0, "value") != gid {
		t.Errorf("after PUT: %v", r.Body)
	}
}

// Okta deactivate: path-less {"op":"replace","value":{"active":false}};
// Okta never DELETEs users (Okta reference; scimitar PR 29).
func TestOktaDeactivatePathlessReplace(t *testing.T) {
	c := newClient(t)
	id := str(c.createUser("okta.off@example.com", obj{"active": true, "displayName": "Stays"}), "id")
	c.patchOK("/Users/"+id, obj{"op": "replace", "value": obj{"active": false}})
	u := c.mustGet("/Users/" + id)
	if u["active"] != false || str(u, "displayName") != "Stays" || str(u, "userName") != "okta.off@example.com" {
		t.Errorf("after deactivate: %v", u)
	}
	c.patchOK("/Users/"+id, obj{"op": "replace", "value": obj{"active": true}})
	if c.mustGet("/Users/" + id)["active"] != true {
		t.Error("reactivate failed")
	}
}

// Okta import: GET /Users?startIndex=1&count=100, then +100…; paging fields
// are JSON integers and the order is stable (Okta reference; Runscope test).
func TestOktaImportPaging(t *testing.T) {
	c := newClient(t) // MaxResults 50: Okta's count=100 is clamped, and Okta follows itemsPerPage
	var ids []string
	for i := range 120 {
		ids = append(ids, str(c.createUser("imp"+strconv.Itoa(i)+"@example.com", nil), "id"))
	}
	var got []string
	for start := 1; ; {
		r := c.list("/Users", "startIndex", strconv.Itoa(start), "count", "100")
		rs := resources(t, r)
		if intField(t, r.Body, "totalResults") != 120 || intField(t, r.Body, "startIndex") != start || intField(t, r.Body, "itemsPerPage") != len(rs) {
			t.Fatalf("page at %d: totalResults %v startIndex %v itemsPerPage %v with %d resources",
				start, r.Body["totalResults"], r.Body["startIndex"], r.Body["itemsPerPage"], len(rs))
		}
		if len(rs) == 0 {
			break
		}
		got = append(got, values(rs, "id")...)
		start += len(rs)
	}
	if !slices.Equal(got, ids) {
		t.Errorf("import gave %d ids; want all 120 once, in creation order", len(got))
	}
}

// Okta spec test: an upper-cased userName filter finds the user
// (case-insensitive match) and the user keeps its case (Runscope test).
func TestOktaUpperCasedUserNameFilter(t *testing.T) {
	c := newClient(t)
	c.createUser("Runscope.User@Example.com", nil)
	if got := c.filterUserNames(`userName eq "RUNSCOPE.USER@EXAMPLE.COM"`); !slices.Equal(got, []string{"Runscope.User@Example.com"}) {
		t.Errorf("found %v", got)
	}
}

// Okta spec test: unknown id → 404 with the Error schema; unknown userName
// filter → totalResults 0 (Runscope test).
func TestOktaUnknownIDAndUserName(t *testing.T) {
	c := newClient(t)
	want(t, c.do("GET", "/Users/010101", ""), http.StatusNotFound, "")
	r := c.list("/Users", "filter", `userName eq "not.there@example.com"`)
	if len(resources(t, r)) != 0 || intField(t, r.Body, "totalResults") != 0 {
		t.Errorf("got %s", r.Raw)
	}
}

// Okta spec test: duplicate → 409 (Runscope test).
func TestOktaDuplicate409(t *testing.T) {
	c := newClient(t)
	c.createUser("okta.dup@example.com", nil)
	want(t, c.do("POST", "/Users", js(obj{"userName": "okta.dup@example.com", "password": "x"})), http.StatusConflict, "uniqueness")
}

// Okta spec test: bad token → 401 with the Error schema (Runscope test).
func TestOktaBadToken401(t *testing.T) {
	c := newClient(t)
	r := c.withToken("not-the-token").do("GET", "/Users?filter="+`userName%20eq%20%22x%22`, "", "User-Agent", "Okta SCIM Client 1.0.0")
	want(t, r, http.StatusUnauthorized, "")
	if !slices.Contains(strs(r.Body["schemas"]), scim.ErrorURN) {
		t.Errorf("body %s", r.Raw)
	}
}

// OneLogin: default template with the SCIM 1.0 URN, emails as a single
// object, active as a string (developers.onelogin.com).
func TestOneLoginEmailsObjectAndActiveString(t *testing.T) {
	c := newClient(t)
	r := c.do("POST", "/Users", js(obj{
		"schemas":  []any{"urn:scim:schemas:core:1.0"},
		"userName": "ol.user@example.com",
		"name":     obj{"givenName": "One", "familyName": "Login"},
		"emails":   obj{"value": "ol.user@example.com", "type": "work", "primary": true},
		"active":   "true",
	}))
	want(t, r, http.StatusCreated, "")
	if e := asSlice(r.Body["emails"]); len(e) != 1 || str(e[0], "value") != "ol.user@example.com" {
		t.Errorf("emails = %#v, want an array of one", r.Body["emails"])
	}
	if r.Body["active"] != true {
		t.Errorf("active = %#v", r.Body["active"])
	}
}

// OneLogin updates users with PUT and deletes them for real (developers.onelogin.com).
func TestOneLoginPutAndDelete(t *testing.T) {
	c := newClient(t)
	id := str(c.createUser("ol.put@example.com", obj{"title": "A"}), "id")
	r := c.do("PUT", "/Users/"+id, js(obj{"schemas": []any{"urn:scim:schemas:core:1.0"}, "userName": "ol.put@example.com",
		"title": "B", "emails": obj{"value": "ol.put@example.com"}, "active": "false"}))
	want(t, r, http.StatusOK, "")
	if str(r.Body, "title") != "B" || r.Body["active"] != false || str(r.Body, "emails", 0, "value") != "ol.put@example.com" {
		t.Errorf("after PUT: %v", r.Body)
	}
	want(t, c.do("DELETE", "/Users/"+id, ""), http.StatusNoContent, "")
	want(t, c.do("GET", "/Users/"+id, ""), http.StatusNotFound, "")
}

// OneLogin uses PATCH only on groups, with lowercase ops (developers.onelogin.com).
func TestOneLoginGroupPatchLowercaseOps(t *testing.T) {
	c := newClient(t)
	u1 := str(c.createUser("ol1@example.com", nil), "id")
	u2 := str(c.createUser("ol2@example.com", nil), "id")
	gid := str(c.createGroup("OneLogin Role"), "id")
	c.patchOK("/Groups/"+gid, obj{"op": "add", "path": "members", "value": []any{obj{"value": u1}, obj{"value": u2}}})
	c.patchOK("/Groups/"+gid, obj{"op": "remove", "path": "members", "value": []any{obj{"value": u1}}})
	if got := memberIDs(c.mustGet("/Groups/" + gid)); !slices.Equal(got, []string{u2}) {
		t.Errorf("members = %v", got)
	}
}

// JumpCloud Test Connection creates a test user and group, then deletes
// them (JumpCloud support).
func TestJumpCloudTestConnection(t *testing.T) {
	c := newClient(t)
	uid := str(c.createUser("jc-test-user@example.com", nil), "id")
	gid := str(c.createGroup("jc-test-group", uid), "id")
	want(t, c.do("DELETE", "/Groups/"+gid, ""), http.StatusNoContent, "")
	want(t, c.do("DELETE", "/Users/"+uid, ""), http.StatusNoContent, "")
	if c.total("/Users") != 0 || c.total("/Groups") != 0 {
		t.Error("test objects left behind")
	}
	// Adopting an existing group by name: a displayName filter finds it.
	c.createGroup("Existing")
	if rs := resources(t, c.list("/Groups", "filter", `displayName eq "existing"`)); len(rs) != 1 {
		t.Errorf("found %v", rs)
	}
}

// PingFederate: admin-written filter templates such as `username Eq "%s"`:
// attribute names and operators in mixed case (doc; scimmy 7, wso2 5140).
func TestPingFederateMixedCaseFilter(t *testing.T) {
	c := newClient(t)
	c.createUser("ping.user", obj{"externalId": "P-1"})
	c.createUser("other", nil)
	for _, f := range []string{`username Eq "ping.user"`, `UserName EQ "PING.USER"`, `ExternalId eQ "P-1"`,
		`userName Sw "PING" AND Active Pr OR userName eq "nobody"`, `NOT (userName Ne "ping.user")`} {
		if f == `userName Sw "PING" AND Active Pr OR userName eq "nobody"` {
			// active is unset on both users: nothing matches.
			if got := c.filterUserNames(f); len(got) != 0 {
				t.Errorf("%s found %v", f, got)
			}
			continue
		}
		if got := c.filterUserNames(f); !slices.Equal(got, []string{"ping.user"}) {
			t.Errorf("%s found %v", f, got)
		}
	}
}

// Rippling sends only declared attributes; a minimal user works (WorkOS guide).
func TestRipplingMinimalUser(t *testing.T) {
	c := newClient(t)
	r := c.do("POST", "/Users", `{"userName":"min@example.com"}`)
	want(t, r, http.StatusCreated, "")
	if !slices.Equal(strs(r.Body["schemas"]), []string{scim.UserURN}) {
		t.Errorf("schemas = %v", r.Body["schemas"])
	}
}

// Pitfall: schemas missing entirely on POST, or carrying extra URNs —
// tolerate, don't enforce an exact set.
func TestSchemasMissingOnPost(t *testing.T) {
	c := newClient(t)
	for i, body := range []string{
		`{"userName":"noschemas"}`,
		`{"schemas":[],"userName":"emptyschemas"}`,
		`{"schemas":null,"userName":"nullschemas"}`,
		`{"schemas":["urn:example:custom","` + scim.UserURN + `"],"userName":"extraschemas"}`,
		`{"SCHEMAS":["` + scim.UserURN + `"],"userName":"capschemas"}`,
	} {
		r := c.do("POST", "/Users", body)
		want(t, r, http.StatusCreated, "")
		if !slices.Equal(strs(r.Body["schemas"]), []string{scim.UserURN}) {
			t.Errorf("body %d: schemas = %v", i, r.Body["schemas"])
		}
	}
	r := c.do("POST", "/Groups", `{"displayName":"no schemas group"}`)
	want(t, r, http.StatusCreated, "")
}

// Pitfall: userName unique case-insensitively but returned with its
// original case; lower-casing it makes IdPs loop (PostHog 42253, langfuse 13528).
func TestUserNameCaseKept(t *testing.T) {
	c := newClient(t)
	u := c.createUser("Mixed.Case@Example.COM", nil)
	if str(u, "userName") != "Mixed.Case@Example.COM" {
		t.Errorf("POST answered userName %q", str(u, "userName"))
	}
	if got := str(c.mustGet("/Users/"+str(u, "id")), "userName"); got != "Mixed.Case@Example.COM" {
		t.Errorf("GET answered userName %q", got)
	}
	if got := c.filterUserNames(`userName eq "mixed.case@example.com"`); !slices.Equal(got, []string{"Mixed.Case@Example.COM"}) {
		t.Errorf("filter found %v", got)
	}
	want(t, c.do("POST", "/Users", `{"userName":"mixed.case@example.com"}`), http.StatusConflict, "uniqueness")
	// Changing only the case of one's own userName is not a conflict.
	c.patchOK("/Users/"+str(u, "id"), obj{"op": "replace", "path": "userName", "value": "mixed.case@example.com"})
	if got := str(c.mustGet("/Users/"+str(u, "id")), "userName"); got != "mixed.case@example.com" {
		t.Errorf("after a case change: %q", got)
	}
}

// Pitfall: meta.version must be a string (catalog, last item). The client
// check enforces it on every response; this makes sure it is present.
func TestMetaVersionIsString(t *testing.T) {
	c := newClient(t)
	u := c.createUser("ver", nil)
	if _, ok := get(u, "meta", "version").(string); !ok {
		t.Errorf("meta.version = %#v", get(u, "meta", "version"))
	}
	g := c.createGroup("ver")
	if _, ok := get(g, "meta", "version").(string); !ok {
		t.Errorf("group meta.version = %#v", get(g, "meta", "version"))
	}
	for _, r := range resources(t, c.list("/Users")) {
		if _, ok := get(r, "meta", "version").(string); !ok {
			t.Errorf("listed meta.version = %#v", get(r, "meta", "version"))
		}
	}
}

// Pitfall: unsupported or compound filters must be 400 invalidFilter,
// never all users and never a silent empty list (authorizer 705).
func TestCompoundFilterNeverAllUsers(t *testing.T) {
	c := newClient(t)
	c.createUser("a", nil)
	c.createUser("b", nil)
	for _, f := range []string{`userName eq "a" or`, `userName eq "a" xor userName eq "b"`, `nosuch eq "a"`, `userName[eq "a"]`} {
		want(t, c.list("/Users", "filter", f), http.StatusBadRequest, "invalidFilter")
	}
	// A valid compound filter is evaluated, not ignored.
	if got := c.filterUserNames(`userName eq "a" or userName eq "b"`); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("or found %v", got)
	}
	if got := c.filterUserNames(`userName eq "a" and userName eq "b"`); len(got) != 0 {
		t.Errorf("and found %v", got)
	}
}

// sliceOfMaps converts a JSON array of objects.
func sliceOfMaps(a []any) []map[string]any {
	var out []map[string]any
	for _, x := range a {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
