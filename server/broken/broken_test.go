package broken_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/server/broken"
)

const token = "t0ken"

// answer is one HTTP answer, its body decoded when it is JSON.
type answer struct {
	status int
	header http.Header
	body   string
	doc    map[string]any
}

func (a *answer) String() string {
	return a.header.Get("Content-Type") + " " + http.StatusText(a.status) + " " + a.body
}

func (a *answer) id() string { s, _ := a.doc["id"].(string); return s }

// manager is the enterprise manager of a user's answer, as written.
func manager(a *answer) any {
	ext, _ := a.doc["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)
	return ext["manager"]
}

func (a *answer) total() float64 { n, _ := a.doc["totalResults"].(float64); return n }

// isError reports whether a is an RFC 7644 §3.12 error with this status
// and, if scimType is not empty, this scimType.
func (a *answer) isError(status int, scimType string) bool {
	schemas, _ := a.doc["schemas"].([]any)
	return a.status == status && len(schemas) == 1 &&
		schemas[0] == "urn:ietf:params:scim:api:messages:2.0:Error" &&
		(scimType == "" || a.doc["scimType"] == scimType)
}

// conn sends raw requests to one server.
type conn struct {
	t    *testing.T
	base string
}

// send sends one request; hdr are extra "Name", "value" pairs.
func (c *conn) send(method, path, body string, hdr ...string) *answer {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+"/scim/v2"+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	// A SCIM client's headers, as the harness's client sends them; hdr
	// overrides them, and an empty value leaves a header out (Entra sends
	// no Accept).
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/scim+json")
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := &answer{status: resp.StatusCode, header: resp.Header, body: string(raw)}
	_ = json.Unmarshal(raw, &a.doc)
	return a
}

// mustCreate posts a resource and returns its id.
func (c *conn) mustCreate(path, body string) string {
	c.t.Helper()
	a := c.send(http.MethodPost, path, body)
	if a.status != http.StatusCreated || a.id() == "" {
		c.t.Fatalf("setup: POST %s: %v", path, a)
	}
	return a.id()
}

// ops are the Operations of a BulkResponse.
func (a *answer) ops() []any { o, _ := a.doc["Operations"].([]any); return o }

// opStatuses are the statuses of a BulkResponse's operations.
func (a *answer) opStatuses() []string {
	var out []string
	for _, o := range a.ops() {
		m, _ := o.(map[string]any)
		s, _ := m["status"].(string)
		out = append(out, s)
	}
	return out
}

func (a *answer) maxOperations() float64 {
	b, _ := a.doc["bulk"].(map[string]any)
	n, _ := b["maxOperations"].(float64)
	return n
}

// member is the value of the first member of the first group listed.
func (a *answer) member() string {
	rs, _ := a.doc["Resources"].([]any)
	if len(rs) == 0 {
		return ""
	}
	g, _ := rs[0].(map[string]any)
	ms, _ := g["members"].([]any)
	if len(ms) == 0 {
		return ""
	}
	m, _ := ms[0].(map[string]any)
	v, _ := m["value"].(string)
	return v
}

// role is the i-th role of a user, or nil.
func (a *answer) role(i int) map[string]any {
	roles, _ := a.doc["roles"].([]any)
	if i >= len(roles) {
		return nil
	}
	m, _ := roles[i].(map[string]any)
	return m
}

func bulk(extra, ops string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],` + extra + `"Operations":[` + ops + `]}`
}

// resource is the i-th resource of a ListResponse (nil when there is none).
func (a *answer) resource(i int) map[string]any {
	rs, _ := a.doc["Resources"].([]any)
	if i >= len(rs) {
		return nil
	}
	m, _ := rs[i].(map[string]any)
	return m
}

// userName is the userName of the i-th resource of a ListResponse.
func (a *answer) userName(i int) string { s, _ := a.resource(i)["userName"].(string); return s }

func user(userName string) string {
	return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + userName + `"}`
}

func patchOp(ops string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + ops + `]}`
}

// TestBugs proves each fixture carries its bug: the same exchange is
// answered correctly by the reference server (Handler(nil)) and shows the
// defect with the bug applied. A bug that the exchange could not tell apart
// from the reference server would make every check run against it
// worthless.
func TestBugs(t *testing.T) {
	tests := []struct {
		bug, name string
		// exchange sets up what it needs and returns the answer judged.
		exchange func(c *conn) *answer
		correct  func(a *answer) bool // what the reference server answers
		broken   func(a *answer) bool // what the bug answers
	}{
		{
			bug: "lowercases-username", name: "POST then GET",
			exchange: func(c *conn) *answer {
				return c.send(http.MethodGet, "/Users/"+c.mustCreate("/Users", user("Ada@Example.com")), "")
			},
			correct: func(a *answer) bool { return a.doc["userName"] == "Ada@Example.com" },
			broken:  func(a *answer) bool { return a.doc["userName"] == "ada@example.com" },
		},
		{
			bug: "lowercases-username", name: "PATCH replace userName",
			exchange: func(c *conn) *answer {
				id := c.mustCreate("/Users", user("first@example.com"))
				return c.send(http.MethodPatch, "/Users/"+id, patchOp(`{"op":"Replace","path":"userName","value":"Grace@Example.com"}`))
			},
			correct: func(a *answer) bool { return a.status == 200 && a.doc["userName"] == "Grace@Example.com" },
			broken:  func(a *answer) bool { return a.status == 200 && a.doc["userName"] == "grace@example.com" },
		},
		{
			bug: "lowercases-username", name: "PATCH path-less replace",
			exchange: func(c *conn) *answer {
				id := c.mustCreate("/Users", user("first@example.com"))
				return c.send(http.MethodPatch, "/Users/"+id, patchOp(`{"op":"replace","value":{"userName":"Grace@Example.com"}}`))
			},
			correct: func(a *answer) bool { return a.doc["userName"] == "Grace@Example.com" },
			broken:  func(a *answer) bool { return a.doc["userName"] == "grace@example.com" },
		},
		{
			bug: "ignores-filter", name: "filter by userName",
			exchange: func(c *conn) *answer {
				c.mustCreate("/Users", user("a@example.com"))
				c.mustCreate("/Users", user("b@example.com"))
				return c.send(http.MethodGet, `/Users?filter=userName+eq+%22a@example.com%22`, "")
			},
			correct: func(a *answer) bool { return a.status == 200 && a.total() == 1 },
			broken:  func(a *answer) bool { return a.status == 200 && a.total() == 2 },
		},
		{
			bug: "ignores-filter", name: "filter groups by displayName",
			exchange: func(c *conn) *answer {
				c.mustCreate("/Groups", `{"displayName":"Staff"}`)
				return c.send(http.MethodGet, `/Groups?filter=displayName+eq+%22nobody%22`, "")
			},
			correct: func(a *answer) bool { return a.status == 200 && a.total() == 0 },
			broken:  func(a *answer) bool { return a.status == 200 && a.total() == 1 },
		},
		{
			bug: "404-for-empty-list", name: "Entra test connection",
			exchange: func(c *conn) *answer {
				return c.send(http.MethodGet, `/Users?filter=userName+eq+%22ebe3d8b2-7e4f-4a2c-9f0e-1c2b3d4e5f60%22`, "")
			},
			correct: func(a *answer) bool { return a.status == 200 && a.total() == 0 },
			broken:  func(a *answer) bool { return a.isError(404, "") },
		},
		{
			bug: "remove-members-wipes-all", name: "Entra remove without the flag",
			exchange: func(c *conn) *answer {
				u1 := c.mustCreate("/Users", user("u1@example.com"))
				u2 := c.mustCreate("/Users", user("u2@example.com"))
				g := c.mustCreate("/Groups", `{"displayName":"Staff","members":[{"value":"`+u1+`"},{"value":"`+u2+`"}]}`)
				if a := c.send(http.MethodPatch, "/Groups/"+g, patchOp(`{"op":"Remove","path":"members","value":[{"$ref":null,"value":"`+u1+`"}]}`)); a.status/100 != 2 {
					c.t.Fatalf("PATCH: %v", a)
				}
				return c.send(http.MethodGet, "/Groups/"+g, "")
			},
			correct: func(a *answer) bool { m, _ := a.doc["members"].([]any); return len(m) == 1 },
			broken:  func(a *answer) bool { m, _ := a.doc["members"].([]any); return a.status == 200 && len(m) == 0 },
		},
		{
			bug: "rejects-capitalised-ops", name: "Replace",
			exchange: func(c *conn) *answer {
				id := c.mustCreate("/Users", user("ada@example.com"))
				return c.send(http.MethodPatch, "/Users/"+id, patchOp(`{"op":"Replace","path":"displayName","value":"Ada"}`))
			},
			correct: func(a *answer) bool { return a.status == 200 && a.doc["displayName"] == "Ada" },
			broken:  func(a *answer) bool { return a.isError(400, "invalidSyntax") },
		},
		{
			bug: "errors-without-scim-body", name: "404",
			exchange: func(c *conn) *answer { return c.send(http.MethodGet, "/Users/no-such-id", "") },
			correct:  func(a *answer) bool { return a.isError(404, "") },
			broken: func(a *answer) bool {
				return a.status == 404 && a.body == "error" && strings.HasPrefix(a.header.Get("Content-Type"), "text/plain")
			},
		},
		{
			bug: "errors-without-scim-body", name: "409",
			exchange: func(c *conn) *answer {
				c.mustCreate("/Users", user("dup@example.com"))
				return c.send(http.MethodPost, "/Users", user("dup@example.com"))
			},
			correct: func(a *answer) bool { return a.isError(409, "uniqueness") },
			broken:  func(a *answer) bool { return a.status == 409 && a.body == "error" },
		},
		{
			bug: "stores-false-as-string", name: "POST active True",
			exchange: func(c *conn) *answer {
				return c.send(http.MethodPost, "/Users", `{"userName":"emp1@example.com","active":"True","emails":[{"value":"emp1@example.com","type":"work","primary":"True"}]}`)
			},
			correct: func(a *answer) bool {
				e, _ := a.doc["emails"].([]any)
				return a.status == 201 && a.doc["active"] == true && len(e) == 1 && e[0].(map[string]any)["primary"] == true
			},
			broken: func(a *answer) bool {
				e, _ := a.doc["emails"].([]any)
				return a.status == 201 && a.doc["active"] == "True" && len(e) == 1 && e[0].(map[string]any)["primary"] == "True"
			},
		},
		{
			bug: "stores-false-as-string", name: "PATCH active False then GET",
			exchange: func(c *conn) *answer {
				id := c.mustCreate("/Users", user("ada@example.com"))
				c.send(http.MethodPatch, "/Users/"+id, patchOp(`{"op":"Replace","path":"active","value":"False"}`))
				return c.send(http.MethodGet, "/Users/"+id, "")
			},
			correct: func(a *answer) bool { return a.doc["active"] == false },
			broken:  func(a *answer) bool { return a.doc["active"] == "False" },
		},
		{
			bug: "stores-false-as-string", name: "in a list",
			exchange: func(c *conn) *answer {
				c.send(http.MethodPost, "/Users", `{"userName":"ada@example.com","active":"False"}`)
				return c.send(http.MethodGet, "/Users", "")
			},
			correct: func(a *answer) bool {
				r, _ := a.doc["Resources"].([]any)
				return len(r) == 1 && r[0].(map[string]any)["active"] == false
			},
			broken: func(a *answer) bool {
				r, _ := a.doc["Resources"].([]any)
				return len(r) == 1 && r[0].(map[string]any)["active"] == "False"
			},
		},
		{
			bug: "500-on-duplicate", name: "duplicate userName",
			exchange: func(c *conn) *answer {
				c.mustCreate("/Users", user("dup@example.com"))
				return c.send(http.MethodPost, "/Users", user("dup@example.com"))
			},
			correct: func(a *answer) bool { return a.isError(409, "uniqueness") },
			broken:  func(a *answer) bool { return a.isError(500, "") },
		},
		{
			bug: "rejects-pathless-replace", name: "Okta deactivate",
			exchange: func(c *conn) *answer {
				id := c.mustCreate("/Users", user("ada@example.com"))
				return c.send(http.MethodPatch, "/Users/"+id, patchOp(`{"op":"replace","value":{"active":false}}`))
			},
			correct: func(a *answer) bool { return a.status == 200 && a.doc["active"] == false },
			broken:  func(a *answer) bool { return a.status == 400 },
		},
		{
			bug: "case-sensitive-filter", name: "upper-case attribute",
			exchange: func(c *conn) *answer {
				c.mustCreate("/Users", user("Ada@Example.com"))
				return c.send(http.MethodGet, `/Users?filter=USERNAME+eq+%22Ada@Example.com%22`, "")
			},
			correct: func(a *answer) bool { return a.status == 200 && a.total() == 1 },
			broken:  func(a *answer) bool { return a.isError(400, "invalidFilter") },
		},
		{
			bug: "case-sensitive-filter", name: "mixed-case operator",
			exchange: func(c *conn) *answer {
				c.mustCreate("/Users", user("Ada@Example.com"))
				return c.send(http.MethodGet, `/Users?filter=userName+Eq+%22Ada@Example.com%22`, "")
			},
			correct: func(a *answer) bool { return a.status == 200 && a.total() == 1 },
			broken:  func(a *answer) bool { return a.isError(400, "invalidFilter") },
		},
		{
			bug: "case-sensitive-filter", name: "value-path sub-attribute",
			exchange: func(c *conn) *answer {
				c.mustCreate("/Users", `{"userName":"ada@example.com","emails":[{"value":"ada@example.com","type":"work"}]}`)
				return c.send(http.MethodGet, `/Users?filter=emails%5BTYPE+eq+%22work%22%5D`, "")
			},
			correct: func(a *answer) bool { return a.status == 200 && a.total() == 1 },
			broken:  func(a *answer) bool { return a.isError(400, "invalidFilter") },
		},
		{
			bug: "case-sensitive-filter", name: "userName value in another case",
			exchange: func(c *conn) *answer {
				c.mustCreate("/Users", user("Ada@Example.com"))
				return c.send(http.MethodGet, `/Users?filter=userName+eq+%22ADA@EXAMPLE.COM%22`, "")
			},
			correct: func(a *answer) bool { return a.status == 200 && a.total() == 1 },
			broken: func(a *answer) bool {
				r, _ := a.doc["Resources"].([]any)
				return a.status == 200 && a.total() == 0 && len(r) == 0
			},
		},
		{
			bug: "rejects-application-json", name: "Google create",
			exchange: func(c *conn) *answer {
				return c.send(http.MethodPost, "/Users", user("ada@example.com"), "Content-Type", "application/json")
			},
			correct: func(a *answer) bool { return a.status == 201 },
			broken:  func(a *answer) bool { return a.isError(415, "") },
		},
		{
			bug: "bulk-ignores-fail-on-errors", name: "failOnErrors 1, two failing operations",
			exchange: func(c *conn) *answer {
				return c.send(http.MethodPost, "/Bulk", bulk(`"failOnErrors":1,`, `{"method":"DELETE","path":"/Users/nope1"},{"method":"DELETE","path":"/Users/nope2"}`))
			},
			correct: func(a *answer) bool { return a.status == 200 && len(a.ops()) == 1 },
			broken:  func(a *answer) bool { return a.status == 200 && len(a.ops()) == 2 },
		},
		{
			bug: "bulk-advertises-too-few-operations", name: "ServiceProviderConfig",
			exchange: func(c *conn) *answer { return c.send(http.MethodGet, "/ServiceProviderConfig", "") },
			correct:  func(a *answer) bool { return a.status == 200 && a.maxOperations() > 2 },
			broken:   func(a *answer) bool { return a.status == 200 && a.maxOperations() == 2 },
		},
		{
			bug: "bulk-ignores-bulk-ids", name: "group naming a user by bulkId",
			exchange: func(c *conn) *answer {
				a := c.send(http.MethodPost, "/Bulk", bulk("", `{"method":"POST","path":"/Users","bulkId":"u1","data":`+user("bulk@example.com")+`},`+
					`{"method":"POST","path":"/Groups","bulkId":"g1","data":{"displayName":"Bulk","members":[{"value":"bulkId:u1"}]}}`))
				if s := a.opStatuses(); len(s) != 2 || s[0] != "201" || s[1] != "201" {
					c.t.Fatalf("POST /Bulk: %v", a)
				}
				return c.send(http.MethodGet, `/Groups?filter=displayName+eq+%22Bulk%22`, "")
			},
			// The member is the user created, by its id; with the bug the
			// reference resolves to nothing and the group has no member
			// (or keeps the unresolved reference).
			correct: func(a *answer) bool { v := a.member(); return v != "" && !strings.HasPrefix(v, "bulkId:") },
			broken: func(a *answer) bool {
				v := a.member()
				return a.status == 200 && a.total() == 1 && (v == "" || strings.HasPrefix(v, "bulkId:"))
			},
		},
		{
			bug: "groups-search-ignores-filter", name: "POST /Groups/.search",
			exchange: func(c *conn) *answer {
				c.mustCreate("/Groups", `{"displayName":"Staff"}`)
				c.mustCreate("/Groups", `{"displayName":"Other"}`)
				return c.send(http.MethodPost, "/Groups/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"displayName eq \"Staff\""}`)
			},
			correct: func(a *answer) bool { return a.status == 200 && a.total() == 1 },
			broken:  func(a *answer) bool { return a.status == 200 && a.total() == 2 },
		},
		{
			bug: "users-search-ignores-filter", name: "POST /Users/.search",
			exchange: func(c *conn) *answer {
				c.mustCreate("/Users", user("ada@example.com"))
				c.mustCreate("/Users", user("bob@example.com"))
				return c.send(http.MethodPost, "/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName eq \"ada@example.com\""}`)
			},
			correct: func(a *answer) bool { return a.status == 200 && a.total() == 1 },
			broken:  func(a *answer) bool { return a.status == 200 && a.total() == 2 },
		},
		{
			bug: "manager-as-string", name: "GET a user with a manager",
			exchange: func(c *conn) *answer {
				mgr := c.mustCreate("/Users", user("boss@example.com"))
				id := c.mustCreate("/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"ada@example.com","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"`+mgr+`"}}}`)
				return c.send(http.MethodGet, "/Users/"+id, "")
			},
			correct: func(a *answer) bool {
				m, _ := manager(a).(map[string]any)
				v, _ := m["value"].(string)
				return a.status == 200 && v != ""
			},
			broken: func(a *answer) bool { v, _ := manager(a).(string); return a.status == 200 && v != "" },
		},
		{
			bug: "406-without-scim-accept", name: "GET a user without an Accept, as Entra does",
			exchange: func(c *conn) *answer {
				return c.send(http.MethodGet, "/Users/"+c.mustCreate("/Users", user("ada@example.com")), "", "Accept", "")
			},
			correct: func(a *answer) bool { return a.status == 200 && a.doc["userName"] == "ada@example.com" },
			broken:  func(a *answer) bool { return a.isError(406, "") },
		},
		{
			bug: "406-without-scim-accept", name: "GET /ServiceProviderConfig with Accept: application/json",
			exchange: func(c *conn) *answer {
				return c.send(http.MethodGet, "/ServiceProviderConfig", "", "Accept", "application/json")
			},
			correct: func(a *answer) bool { return a.status == 200 },
			broken:  func(a *answer) bool { return a.isError(406, "") },
		},
		{
			bug: "keeps-first-role-of-add", name: "PATCH Add of two roles, as Entra's AppRoleAssignmentsComplex may send",
			exchange: func(c *conn) *answer {
				id := c.mustCreate("/Users", user("ada@example.com"))
				if a := c.send(http.MethodPatch, "/Users/"+id, patchOp(`{"op":"Add","path":"roles","value":[{"value":"User"},{"value":"Admin"}]}`)); a.status != 200 {
					c.t.Fatalf("PATCH: %v", a)
				}
				return c.send(http.MethodGet, "/Users/"+id, "")
			},
			correct: func(a *answer) bool { roles, _ := a.doc["roles"].([]any); return a.status == 200 && len(roles) == 2 },
			broken:  func(a *answer) bool { roles, _ := a.doc["roles"].([]any); return a.status == 200 && len(roles) == 1 },
		},
		{
			bug: "location-names-username", name: "POST /Users, then GET its Location",
			exchange: func(c *conn) *answer {
				a := c.send(http.MethodPost, "/Users", user("ada@example.com"))
				loc := a.header.Get("Location")
				if meta, _ := a.doc["meta"].(map[string]any); a.status != 201 || meta["location"] != loc {
					c.t.Fatalf("create: %v", a)
				}
				return c.send(http.MethodGet, strings.TrimPrefix(loc, c.base+"/scim/v2"), "")
			},
			correct: func(a *answer) bool { return a.status == 200 && a.doc["userName"] == "ada@example.com" },
			broken:  func(a *answer) bool { return a.isError(404, "") },
		},
		{
			bug: "write-ignores-attributes", name: "PUT ?attributes=userName",
			exchange: func(c *conn) *answer {
				id := c.mustCreate("/Users", user("ada@example.com"))
				return c.send(http.MethodPut, "/Users/"+id+"?attributes=userName", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com","title":"Dr"}`)
			},
			correct: func(a *answer) bool { return a.status == 200 && a.doc["userName"] != nil && a.doc["title"] == nil },
			broken:  func(a *answer) bool { return a.status == 200 && a.doc["title"] == "Dr" },
		},
		{
			bug: "schemas-by-id-404", name: "GET /Schemas/{User}",
			exchange: func(c *conn) *answer {
				if a := c.send(http.MethodGet, "/Schemas", ""); a.status != 200 || a.total() < 1 {
					c.t.Fatalf("GET /Schemas: %v", a)
				}
				return c.send(http.MethodGet, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "")
			},
			correct: func(a *answer) bool { return a.status == 200 && a.id() == "urn:ietf:params:scim:schemas:core:2.0:User" },
			broken:  func(a *answer) bool { return a.isError(404, "") },
		},
		{
			bug: "discovery-accepts-writes", name: "POST /Schemas",
			exchange: func(c *conn) *answer {
				return c.send(http.MethodPost, "/Schemas", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Schema"],"id":"urn:x:y","name":"x","attributes":[]}`)
			},
			correct: func(a *answer) bool { return a.isError(405, "") },
			broken:  func(a *answer) bool { return a.status == 201 && a.id() == "urn:x:y" },
		},
		{
			bug: "resource-type-by-id-differs", name: "GET /ResourceTypes/User",
			exchange: func(c *conn) *answer { return c.send(http.MethodGet, "/ResourceTypes/User", "") },
			correct:  func(a *answer) bool { return a.status == 200 && a.doc["endpoint"] == "/Users" },
			broken:   func(a *answer) bool { return a.status == 200 && a.doc["endpoint"] == "/v1/Users" },
		},
		{
			bug: "unknown-schema-200", name: "GET /Schemas/urn:no:such:schema",
			exchange: func(c *conn) *answer { return c.send(http.MethodGet, "/Schemas/urn:no:such:schema", "") },
			correct:  func(a *answer) bool { return a.isError(404, "") },
			broken:   func(a *answer) bool { return a.status == 200 && len(a.doc) == 0 },
		},
		{
			bug: "spc-denies-patch", name: "GET /ServiceProviderConfig after a PATCH",
			exchange: func(c *conn) *answer {
				id := c.mustCreate("/Users", user("ada@example.com"))
				if a := c.send(http.MethodPatch, "/Users/"+id, patchOp(`{"op":"replace","path":"title","value":"Dr"}`)); a.status != 200 || a.doc["title"] != "Dr" {
					c.t.Fatalf("PATCH: %v", a)
				}
				return c.send(http.MethodGet, "/ServiceProviderConfig", "")
			},
			correct: func(a *answer) bool {
				p, _ := a.doc["patch"].(map[string]any)
				return a.status == 200 && p["supported"] == true
			},
			broken: func(a *answer) bool {
				p, _ := a.doc["patch"].(map[string]any)
				return a.status == 200 && p["supported"] == false
			},
		},
		{
			bug: "refuses-password-patch", name: "PATCH replace password",
			exchange: func(c *conn) *answer {
				id := c.mustCreate("/Users", user("ada@example.com"))
				return c.send(http.MethodPatch, "/Users/"+id, patchOp(`{"op":"replace","path":"password","value":"N3w-Passw0rd!"}`))
			},
			correct: func(a *answer) bool { return a.status == 200 && a.doc["password"] == nil },
			broken:  func(a *answer) bool { return a.isError(400, "") },
		},
		{
			bug: "answers-application-json", name: "GET /Users",
			exchange: func(c *conn) *answer { return c.send(http.MethodGet, "/Users", "") },
			correct: func(a *answer) bool {
				return a.status == 200 && strings.HasPrefix(a.header.Get("Content-Type"), "application/scim+json")
			},
			broken: func(a *answer) bool { return a.status == 200 && a.header.Get("Content-Type") == "application/json" },
		},
		{
			bug: "me-404", name: "GET /Me",
			exchange: func(c *conn) *answer { return c.send(http.MethodGet, "/Me", "") },
			correct:  func(a *answer) bool { return a.isError(501, "") },
			broken:   func(a *answer) bool { return a.isError(404, "") },
		},
		{
			bug: "keeps-primary-as-string", name: "POST a primary role",
			exchange: func(c *conn) *answer {
				return c.send(http.MethodPost, "/Users", `{"userName":"ada@example.com","roles":[{"value":"admin","primary":true}]}`)
			},
			correct: func(a *answer) bool { return a.status == 201 && a.role(0)["primary"] == true },
			broken:  func(a *answer) bool { return a.status == 201 && a.role(0)["primary"] == "True" },
		},
		{
			bug: "stores-two-primaries", name: "POST two primary roles",
			exchange: func(c *conn) *answer {
				return c.send(http.MethodPost, "/Users", `{"userName":"ada@example.com","roles":[{"value":"a","primary":true},{"value":"b","primary":true}]}`)
			},
			correct: func(a *answer) bool { return a.isError(400, "invalidValue") },
			broken: func(a *answer) bool {
				return a.status == 201 && a.role(0)["primary"] == true && a.role(1)["primary"] == true
			},
		},
		{
			bug: "parses-json-role-values", name: "POST a role holding JSON text",
			exchange: func(c *conn) *answer {
				return c.send(http.MethodPost, "/Users", `{"userName":"ada@example.com","roles":[{"value":"{\"app\":\"x\"}"}]}`)
			},
			correct: func(a *answer) bool { return a.status == 201 && a.role(0)["value"] == `{"app":"x"}` },
			broken: func(a *answer) bool {
				v, isObject := a.role(0)["value"].(map[string]any)
				return a.status == 201 && isObject && v["app"] == "x"
			},
		},
		{
			bug: "ignores-string-primary-filter", name: `replace roles[primary eq "True"].value`,
			exchange: func(c *conn) *answer {
				id := c.mustCreate("/Users", `{"userName":"ada@example.com","roles":[{"value":"a","primary":true}]}`)
				c.send(http.MethodPatch, "/Users/"+id, patchOp(`{"op":"replace","path":"roles[primary eq \"True\"].value","value":"b"}`))
				return c.send(http.MethodGet, "/Users/"+id, "")
			},
			correct: func(a *answer) bool { return a.status == 200 && a.role(0)["value"] == "b" },
			broken:  func(a *answer) bool { return a.status == 200 && a.role(0)["value"] == "a" },
		},
		{
			bug: "first-clause-only", name: `userName sw "a" and title eq "x"`,
			exchange: func(c *conn) *answer {
				c.mustCreate("/Users", `{"userName":"ada","title":"x"}`)
				c.mustCreate("/Users", `{"userName":"alan","title":"y"}`)
				return c.send(http.MethodGet, "/Users?filter="+url.QueryEscape(`userName sw "a" and title eq "x"`), "")
			},
			correct: func(a *answer) bool { return a.status == 200 && a.total() == 1 },
			broken:  func(a *answer) bool { return a.status == 200 && a.total() == 2 },
		},
		{
			bug: "ignores-not", name: `not (title eq "x")`,
			exchange: func(c *conn) *answer {
				c.mustCreate("/Users", `{"userName":"ada","title":"x"}`)
				c.mustCreate("/Users", `{"userName":"alan","title":"y"}`)
				return c.send(http.MethodGet, "/Users?filter="+url.QueryEscape(`not (title eq "x")`), "")
			},
			correct: func(a *answer) bool { return a.status == 200 && a.total() == 1 && a.userName(0) == "alan" },
			broken:  func(a *answer) bool { return a.status == 200 && a.total() == 1 && a.userName(0) == "ada" },
		},
		{
			bug: "value-path-first-term", name: `emails[type eq "work" and value co "b"]`,
			exchange: func(c *conn) *answer {
				c.mustCreate("/Users", `{"userName":"ada","emails":[{"type":"work","value":"a@x"},{"type":"home","value":"b@x"}]}`)
				return c.send(http.MethodGet, "/Users?filter="+url.QueryEscape(`emails[type eq "work" and value co "b"]`), "")
			},
			correct: func(a *answer) bool { return a.status == 200 && a.total() == 0 },
			broken:  func(a *answer) bool { return a.status == 200 && a.total() == 1 },
		},
		{
			bug: "ignores-sort-order", name: "sortBy=userName&sortOrder=descending",
			exchange: func(c *conn) *answer {
				c.mustCreate("/Users", user("ada"))
				c.mustCreate("/Users", user("bob"))
				return c.send(http.MethodGet, "/Users?sortBy=userName&sortOrder=descending", "")
			},
			correct: func(a *answer) bool { return a.status == 200 && a.userName(0) == "bob" },
			broken:  func(a *answer) bool { return a.status == 200 && a.userName(0) == "ada" },
		},
		{
			bug: "zero-based-start-index", name: "sortBy=userName&startIndex=1&count=1",
			exchange: func(c *conn) *answer {
				c.mustCreate("/Users", user("ada"))
				c.mustCreate("/Users", user("bob"))
				return c.send(http.MethodGet, "/Users?sortBy=userName&startIndex=1&count=1", "")
			},
			correct: func(a *answer) bool { return a.status == 200 && a.userName(0) == "ada" },
			broken:  func(a *answer) bool { return a.status == 200 && a.userName(0) == "bob" },
		},
		{
			bug: "ignores-attributes", name: "attributes=userName",
			exchange: func(c *conn) *answer {
				c.mustCreate("/Users", `{"userName":"ada","title":"x"}`)
				return c.send(http.MethodGet, "/Users?attributes=userName", "")
			},
			correct: func(a *answer) bool { return a.status == 200 && a.resource(0)["title"] == nil },
			broken:  func(a *answer) bool { return a.status == 200 && a.resource(0)["title"] == "x" },
		},
		{
			bug: "add-replaces-multivalued", name: "PATCH add to emails",
			exchange: func(c *conn) *answer {
				id := c.mustCreate("/Users", `{"userName":"ada","emails":[{"type":"work","value":"a@x"}]}`)
				c.send(http.MethodPatch, "/Users/"+id, patchOp(`{"op":"add","path":"emails","value":[{"type":"home","value":"b@x"}]}`))
				return c.send(http.MethodGet, "/Users/"+id, "")
			},
			correct: func(a *answer) bool { e, _ := a.doc["emails"].([]any); return a.status == 200 && len(e) == 2 },
			broken:  func(a *answer) bool { e, _ := a.doc["emails"].([]any); return a.status == 200 && len(e) == 1 },
		},
	}
	covered := map[string]bool{}
	for _, tc := range tests {
		covered[tc.bug] = true
		t.Run(tc.bug+"/"+tc.name, func(t *testing.T) {
			bug, ok := broken.ByName(tc.bug)
			if !ok {
				t.Fatalf("no bug %q", tc.bug)
			}
			ref := exchangeWith(t, nil, tc.exchange)
			if !tc.correct(ref) {
				t.Errorf("reference server: unexpected answer: %v", ref)
			}
			if tc.broken(ref) {
				t.Errorf("reference server shows the bug: %v", ref)
			}
			got := exchangeWith(t, &bug, tc.exchange)
			if !tc.broken(got) {
				t.Errorf("with the bug: the defect does not show: %v", got)
			}
			if tc.correct(got) {
				t.Errorf("with the bug: the answer is still correct: %v", got)
			}
		})
	}
	for _, b := range broken.All() {
		if !covered[b.Name] {
			t.Errorf("bug %q has no test exchange", b.Name)
		}
	}
}

func exchangeWith(t *testing.T, bug *broken.Bug, exchange func(c *conn) *answer) *answer {
	t.Helper()
	h, err := broken.Handler(bug, token)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	return exchange(&conn{t: t, base: ts.URL})
}

// TestBugsAreNarrow: every bug leaves the ordinary flow — create, read,
// find by exact userName, delete, sent as a SCIM client sends them (with
// Accept: application/scim+json) — working, so a simulator run against it
// fails only where the bug is, and the report names it.
func TestBugsAreNarrow(t *testing.T) {
	for _, bug := range broken.All() {
		t.Run(bug.Name, func(t *testing.T) {
			exchangeWith(t, &bug, func(c *conn) *answer {
				id := c.mustCreate("/Users", user("plain@example.com"))
				if a := c.send(http.MethodGet, "/Users/"+id, ""); a.status != 200 || a.doc["userName"] != "plain@example.com" {
					t.Errorf("GET: %v", a)
				}
				if a := c.send(http.MethodGet, `/Users?filter=userName+eq+%22plain@example.com%22`, ""); a.status != 200 || a.total() != 1 {
					t.Errorf("filter: %v", a)
				}
				if a := c.send(http.MethodDelete, "/Users/"+id, ""); a.status != 204 {
					t.Errorf("DELETE: %v", a)
				}
				if a := c.send(http.MethodGet, "/Users/"+id, ""); a.status != 404 {
					t.Errorf("GET after DELETE: %v", a)
				}
				return nil
			})
		})
	}
}

func TestCatalogue(t *testing.T) {
	all := broken.All()
	if len(all) < 10 {
		t.Errorf("%d bugs, want at least 10", len(all))
	}
	seen := map[string]bool{}
	for _, b := range all {
		switch {
		case b.Name == "" || b.Description == "" || b.Wrap == nil:
			t.Errorf("incomplete bug %+v", b)
		case seen[b.Name]:
			t.Errorf("duplicate bug name %q", b.Name)
		case !strings.Contains(b.Description, "("):
			t.Errorf("bug %q: the description names no source", b.Name)
		case len(b.Fails)+len(b.Warns) == 0:
			t.Errorf("bug %q names no check that sees it", b.Name)
		}
		ids := map[string]bool{}
		for _, id := range append(slices.Clone(b.Fails), b.Warns...) {
			if ids[id] || !strings.Contains(id, "/") {
				t.Errorf("bug %q: check %q is named twice or is not an area/name id", b.Name, id)
			}
			ids[id] = true
		}
		seen[b.Name] = true
		if got, ok := broken.ByName(b.Name); !ok || got.Name != b.Name {
			t.Errorf("ByName(%q) = %v, %v", b.Name, got.Name, ok)
		}
	}
	if _, ok := broken.ByName("no-such-bug"); ok {
		t.Error("ByName found a bug that does not exist")
	}
	if _, err := broken.Handler(nil, ""); err == nil {
		t.Error("Handler without a token: no error")
	}
	if _, err := broken.Handler(&broken.Bug{Name: "x"}, "t"); err == nil {
		t.Error("Handler with a bug without Wrap: no error")
	}
}

// TestHandlerNeedsToken: the fixture is a real server, so it refuses a
// wrong token like the reference server does.
func TestHandlerNeedsToken(t *testing.T) {
	bug, _ := broken.ByName("ignores-filter")
	h, err := broken.Handler(&bug, token)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/scim/v2/Users", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", rec.Code)
	}
}
