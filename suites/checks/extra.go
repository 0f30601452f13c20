package checks

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/wire"
)

// maxBulkProbe bounds the request bulk/max-operations sends: a server
// advertising more operations than this is not probed (the check skips).
const maxBulkProbe = 10000

// bulkOps reads the Operations of a 200 BulkResponse; the error is the
// failure sentence.
func bulkOps(ex *wire.Exchange) ([]map[string]any, error) {
	if ex.Status() != http.StatusOK {
		return nil, fmt.Errorf("POST /Bulk answers 200 with a BulkResponse (RFC 7644 §3.7.3), not %d; body: %s", ex.Status(), judge.Excerpt(ex.Response.Body))
	}
	doc, err := ex.JSON()
	if err != nil {
		return nil, fmt.Errorf("the BulkResponse is not JSON: %v", err)
	}
	list, ok := doc["Operations"].([]any)
	if !ok {
		return nil, fmt.Errorf("the BulkResponse has no Operations array; body: %s", judge.Excerpt(ex.Response.Body))
	}
	var out []map[string]any
	for _, o := range list {
		m, _ := o.(map[string]any)
		out = append(out, m)
	}
	return out, nil
}

// opStatus is an operation result's status ("201"), or its JSON when it
// is not a string.
func opStatus(m map[string]any) string {
	if s, ok := m["status"].(string); ok {
		return s
	}
	return judge.Render(m["status"])
}

// lastSegment is the id at the end of a location URL.
func lastSegment(loc string) string {
	loc = strings.TrimRight(loc, "/")
	return loc[strings.LastIndex(loc, "/")+1:]
}

func bulkRequest(failOnErrors int, ops ...any) map[string]any {
	b := map[string]any{"schemas": []any{scim.BulkRequestURN}, "Operations": ops}
	if failOnErrors > 0 {
		b["failOnErrors"] = failOnErrors
	}
	return b
}

// groupData is a Group for a bulk operation, its members given as values
// ("bulkId:u1", "${u}").
func groupData(displayName string, members ...string) map[string]any {
	g := map[string]any{"schemas": []any{scim.GroupURN}, "displayName": displayName}
	var ms []any
	for _, m := range members {
		ms = append(ms, map[string]any{"value": m})
	}
	if ms != nil {
		g["members"] = ms
	}
	return g
}

// when runs st only when var v is set.
func when(v string, st scenario.Step) scenario.Step {
	st.When = v
	return st
}

// readAt reads the resource at the absolute URL in var v (a bulk
// location): sent as is, not as a template, which would escape it.
func readAt(name, v string, expect ...scenario.Expectation) scenario.Step {
	return scenario.Step{Name: name, When: v, Expect: expect, Build: func(vars scenario.Vars) (client.Request, error) {
		return client.Request{Method: http.MethodGet, Path: fmt.Sprint(vars[v])}, nil
	}}
}

func bulkMore() []Check {
	f := []string{target.Bulk}
	return []Check{
		{
			ID: "bulk/fail-on-errors", Name: "failOnErrors stops the run after that many errors", Clause: "RFC 7644 §3.7.3",
			Features: []string{target.Bulk, target.Filter},
			Steps: []scenario.Step{
				{
					Name: "POST /Bulk, failOnErrors 1: a DELETE that fails, then a POST",
					Request: scenario.RequestTemplate{Method: http.MethodPost, Path: "/Bulk", Body: bulkRequest(1,
						map[string]any{"method": "DELETE", "path": "/Users/${prefix}-bfoe-no-such-user"},
						map[string]any{"method": "POST", "path": "/Users", "bulkId": "u1", "data": userBody("bfoe", "kim", nil)},
					)},
					Expect: []scenario.Expectation{status(http.StatusOK), scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
						ops, err := bulkOps(ex)
						if err != nil {
							return err
						}
						for i, o := range ops {
							if m := fmt.Sprint(o["method"]); strings.EqualFold(m, "POST") || o["location"] != nil {
								return fmt.Errorf("operation %d (%s, status %s) ran after the first error; failOnErrors 1 stops the run there", i+1, m, opStatus(o))
							}
						}
						if len(ops) == 0 || !strings.HasPrefix(opStatus(ops[0]), "4") {
							return fmt.Errorf("the failing DELETE is not reported as an error: %s", judge.Excerpt(ex.Response.Body))
						}
						return nil
					})},
				},
				get("the POST after the error created nobody", listPath("/Users", map[string]string{"filter": `userName eq "` + uname("bfoe", "kim") + `"`}),
					status(http.StatusOK), namesAre(false)),
			},
		},
		{
			ID: "bulk/max-operations", Name: "a BulkRequest over maxOperations is refused with 413", Clause: "RFC 7644 §3.7.4", Features: f,
			Steps: []scenario.Step{
				{
					Name: "read bulk.maxOperations", Clause: "RFC 7643 §5", Request: scenario.RequestTemplate{Method: http.MethodGet, Path: "/ServiceProviderConfig"},
					Expect: []scenario.Expectation{status(http.StatusOK)},
					Check: func(ex *wire.Exchange, vars scenario.Vars) error {
						doc, err := ex.JSON()
						if err != nil {
							return err
						}
						v, _ := scenario.Lookup(doc, "bulk.maxOperations")
						n, ok := number(v)
						switch {
						case !ok || n < 1:
							return scenario.Skipf("bulk.maxOperations is %s, not a positive number", judge.Render(v))
						case n >= maxBulkProbe:
							return scenario.Skipf("bulk.maxOperations is %d: too many operations to probe", n)
						}
						vars["maxOps"] = n
						return nil
					},
				},
				{
					Name: "POST /Bulk with maxOperations+1 operations", When: "maxOps",
					Build: func(vars scenario.Vars) (client.Request, error) {
						n, _ := vars["maxOps"].(int)
						// DELETEs of ids that do not exist: a server that runs
						// them anyway changes nothing.
						ops := make([]any, n+1)
						for i := range ops {
							ops[i] = map[string]any{"method": "DELETE", "path": fmt.Sprintf("/Users/%v-bmax-none-%d", vars["prefix"], i)}
						}
						return client.Request{Method: http.MethodPost, Path: "/Bulk", Body: bulkRequest(0, ops...)}, nil
					},
					Expect: scimError(http.StatusRequestEntityTooLarge, ""),
				},
			},
		},
		{
			ID: "bulk/circular-reference", Name: "circular bulkId references are resolved, or refused with 409", Clause: "RFC 7644 §3.7.1",
			Features: []string{target.Bulk, target.Groups, target.Filter},
			Steps: []scenario.Step{
				{
					Name: "POST /Bulk: two groups, each a member of the other by bulkId",
					Request: scenario.RequestTemplate{Method: http.MethodPost, Path: "/Bulk", Body: bulkRequest(0,
						map[string]any{"method": "POST", "path": "/Groups", "bulkId": "ga", "data": groupData("${prefix} bcirc a", "bulkId:gb")},
						map[string]any{"method": "POST", "path": "/Groups", "bulkId": "gb", "data": groupData("${prefix} bcirc b", "bulkId:ga")},
					)},
					Expect: []scenario.Expectation{status(http.StatusOK, http.StatusConflict)},
					Check: func(ex *wire.Exchange, _ scenario.Vars) error {
						if ex.Status() == http.StatusConflict {
							return nil
						}
						ops, err := bulkOps(ex)
						if err != nil {
							return err
						}
						for i, o := range ops {
							switch st := opStatus(o); st {
							case "201", "409":
							default:
								return fmt.Errorf("operation %d has status %s: a circular reference is resolved (201) or refused with 409", i+1, st)
							}
						}
						return nil
					},
				},
				get("list the groups: none, or both with resolved members", listPath("/Groups", map[string]string{"filter": `displayName sw "${prefix} bcirc"`}),
					status(http.StatusOK), scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
						_, rs, err := resources(ex)
						if err != nil {
							return err
						}
						for _, g := range rs {
							ms, _ := g["members"].([]any)
							for _, m := range ms {
								mm, _ := m.(map[string]any)
								if v := fmt.Sprint(mm["value"]); strings.HasPrefix(v, "bulkId:") || v == "" || v == "<nil>" {
									return fmt.Errorf("group %v holds the member %s: a bulkId left unresolved (RFC 7644 §3.7.2)", g["displayName"], judge.Render(mm["value"]))
								}
							}
							if len(ms) != 1 {
								return fmt.Errorf("group %v has %d members; a resolved cycle gives each group the other", g["displayName"], len(ms))
							}
						}
						return nil
					})),
			},
		},
		{
			ID: "bulk/group-before-members", Name: "a group listed before its users gets their ids for their bulkIds", Clause: "RFC 7644 §3.7.2",
			Features: []string{target.Bulk, target.Groups},
			Steps: []scenario.Step{
				{
					Name: "POST /Bulk: the group first, its user second",
					Request: scenario.RequestTemplate{Method: http.MethodPost, Path: "/Bulk", Body: bulkRequest(0,
						map[string]any{"method": "POST", "path": "/Groups", "bulkId": "g1", "data": groupData("${prefix} border team", "bulkId:u1")},
						map[string]any{"method": "POST", "path": "/Users", "bulkId": "u1", "data": userBody("border", "lee", nil)},
					)},
					Expect: []scenario.Expectation{status(http.StatusOK)},
					Check: func(ex *wire.Exchange, vars scenario.Vars) error {
						ops, err := bulkOps(ex)
						if err != nil {
							return err
						}
						for _, o := range ops {
							loc, _ := o["location"].(string)
							if st := opStatus(o); st != "201" || loc == "" {
								return fmt.Errorf("operation %s %s has status %s: a reference to a bulkId defined later in the request is resolved (RFC 7644 §3.7.2)", o["method"], o["bulkId"], st)
							}
							if strings.Contains(loc, "/Groups/") {
								vars["gloc"] = loc
							} else {
								vars["uid"] = lastSegment(loc)
							}
						}
						if vars["gloc"] == nil || vars["uid"] == nil {
							return fmt.Errorf("expected the locations of a group and a user; body: %s", judge.Excerpt(ex.Response.Body))
						}
						return nil
					},
				},
				readAt("the group's member is the user", "gloc", status(http.StatusOK), membersAre("uid")),
			},
		},
	}
}

func searchMore() []Check {
	return []Check{{
		ID: "search/groups", Name: "POST /Groups/.search finds a group by displayName", Clause: "RFC 7644 §3.4.3",
		Features: []string{target.Filter, target.Groups},
		Steps: []scenario.Step{
			createGroup("g", "${prefix} gsrch team"),
			step("POST /Groups/.search", http.MethodPost, "/Groups/.search",
				map[string]any{"schemas": []any{scim.SearchRequestURN}, "filter": `displayName eq "${prefix} gsrch team"`},
				status(http.StatusOK), mediaType(), scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
					_, rs, err := resources(ex)
					if err != nil {
						return err
					}
					if len(rs) != 1 || fmt.Sprint(rs[0]["id"]) != fmt.Sprint(vars["g"]) {
						return fmt.Errorf("expected exactly the group %v, got %d resources; body: %s", vars["g"], len(rs), judge.Excerpt(ex.Response.Body))
					}
					return nil
				})),
		},
	}}
}

func passwordChecks() []Check {
	const c = "RFC 7644 §3.5.2; RFC 7643 §4.1.1 (password: writeOnly, returned never)"
	return []Check{{
		ID: "password/change", Name: "a password is changed by PATCH and by PUT, and never returned", Clause: c,
		Features: []string{target.ChangePassword, target.Patch},
		Steps: []scenario.Step{
			createUser("u", userBody("chpw", "max", map[string]any{"password": "0ld!Secret-pw"})),
			step("PATCH replace password", http.MethodPatch, "/Users/${u}", patchOp(op("replace", "password", "N3w!Secret-pw")), patched(), absent("password")),
			step("PUT with a password", http.MethodPut, "/Users/${u}", userBody("chpw", "max", map[string]any{"password": "Put!Secret-pw2"}), status(http.StatusOK), absent("password")),
			get("read back", "/Users/${u}", status(http.StatusOK), absent("password")),
		},
	}}
}

func contentMore() []Check {
	return []Check{{
		ID: "content/every-answer-media-type", Name: "created resources, lists and discovery documents are application/scim+json", Clause: "RFC 7644 §3.1, §8.1",
		Steps: []scenario.Step{
			{Name: "POST /Users", Request: scenario.RequestTemplate{Method: http.MethodPost, Path: "/Users", Body: userBody("ctall", "ned", nil)},
				Capture: map[string]string{"u": "id"}, Expect: []scenario.Expectation{status(http.StatusCreated), mediaType()}},
			get("GET /Users (a list)", "/Users?count=1", status(http.StatusOK), mediaType()),
			get("GET /ServiceProviderConfig", "/ServiceProviderConfig", status(http.StatusOK), mediaType()),
			get("GET /Schemas", "/Schemas", status(http.StatusOK), mediaType()),
		},
	}}
}

// rolesMore: role edge cases IdPs send (Entra above all) where the RFC
// leaves no room: a boolean is never kept as a string, primary is true at
// most once, a string value is kept as sent, and a PATCH either does what
// it says or is refused — never answered 2xx and ignored.
func rolesMore() []Check {
	const c = "RFC 7643 §4.1.2, §2.4"
	rolesOf := func(doc map[string]any) []map[string]any {
		var out []map[string]any
		list, _ := doc["roles"].([]any)
		for _, r := range list {
			m, _ := r.(map[string]any)
			out = append(out, m)
		}
		return out
	}
	return []Check{
		{
			ID: "roles/primary-string-true", Name: `primary "True" (a string) is stored as the boolean true, or refused`, Clause: c + "; RFC 7643 §2.3.2",
			Steps: []scenario.Step{
				{
					Name:    `create with roles [{"value":"Admin","primary":"True"}]`,
					Request: scenario.RequestTemplate{Method: http.MethodPost, Path: "/Users", Body: userBody("rpst", "ro", map[string]any{"roles": []any{map[string]any{"value": "Admin", "primary": "True"}}})},
					Expect:  []scenario.Expectation{status(http.StatusCreated, http.StatusBadRequest)},
					Check: func(ex *wire.Exchange, vars scenario.Vars) error {
						if ex.Status() == http.StatusCreated {
							doc, err := ex.JSON()
							if err != nil {
								return err
							}
							vars["u"] = doc["id"]
						}
						return nil
					},
				},
				when("u", get("read back: primary is true, a boolean", "/Users/${u}", status(http.StatusOK), bodyIs("roles.0.value", "Admin"), bodyIs("roles.0.primary", true))),
			},
		},
		{
			ID: "roles/two-primaries", Name: "two primary roles are never stored; the strict answer is 400 invalidValue", Clause: "RFC 7643 §2.4 (primary: at most once); RFC 7644 §3.12",
			Steps: []scenario.Step{{
				Name:    "create with two primary roles",
				Request: scenario.RequestTemplate{Method: http.MethodPost, Path: "/Users", Body: userBody("r2pr", "ro", map[string]any{"roles": []any{map[string]any{"value": "A", "primary": true}, map[string]any{"value": "B", "primary": true}}})},
				Expect: append([]scenario.Expectation{
					status(http.StatusCreated, http.StatusBadRequest),
					status(http.StatusBadRequest).At(scenario.Should),
					scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
						doc, err := ex.JSON()
						if ex.Status()/100 != 2 || err != nil {
							return nil
						}
						n := 0
						for _, r := range rolesOf(doc) {
							if r["primary"] == true {
								n++
							}
						}
						if n > 1 {
							return fmt.Errorf("%d roles were stored as primary; RFC 7643 §2.4 allows one", n)
						}
						return nil
					}),
				}, atAll(scenario.Should, scimError(http.StatusBadRequest, "invalidValue")[1:])...),
			}},
		},
		{
			ID: "roles/json-string-value", Name: "a role value holding JSON text is kept as that string", Clause: c,
			Steps: []scenario.Step{
				createUser("u", userBody("rjs", "ro", map[string]any{"roles": []any{map[string]any{"value": `{"id":"r-1","name":"Admin"}`, "type": "WindowsAzureActiveDirectoryRole"}}})),
				get("read back", "/Users/${u}", status(http.StatusOK), bodyIs("roles.0.value", `{"id":"r-1","name":"Admin"}`)),
			},
		},
		{
			ID: "roles/change-primary-string-filter", Name: `replace roles[primary eq "True"].value changes the primary role, or is refused`, Clause: c + "; RFC 7644 §3.5.2.3",
			Features: []string{target.Patch},
			Steps: []scenario.Step{
				createUser("u", userBody("rpsf", "ro", map[string]any{"roles": []any{map[string]any{"value": "User", "primary": true}, map[string]any{"value": "Guest"}}})),
				{
					Name:    `PATCH replace roles[primary eq "True"].value`,
					Request: scenario.RequestTemplate{Method: http.MethodPatch, Path: "/Users/${u}", Body: patchOp(op("replace", `roles[primary eq "True"].value`, "Admin"))},
					Expect:  []scenario.Expectation{status(http.StatusOK, http.StatusNoContent, http.StatusBadRequest)},
					Check: func(ex *wire.Exchange, vars scenario.Vars) error {
						if ex.Status()/100 == 2 {
							vars["changed"] = true
						}
						return nil
					},
				},
				{
					Name: "read back: the primary role changed, the other kept", When: "changed",
					Request: scenario.RequestTemplate{Method: http.MethodGet, Path: "/Users/${u}"},
					Expect: []scenario.Expectation{status(http.StatusOK), scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
						doc, err := ex.JSON()
						if err != nil {
							return err
						}
						var got []string
						primary, guest := "", false
						for _, r := range rolesOf(doc) {
							got = append(got, fmt.Sprintf("%v (primary %v)", r["value"], judge.Render(r["primary"])))
							switch {
							case r["primary"] == true:
								primary = fmt.Sprint(r["value"])
							case r["value"] == "Guest":
								guest = true
							}
						}
						if len(got) != 2 || primary != "Admin" || !guest {
							return fmt.Errorf("roles are %v; the PATCH was answered 2xx, so the primary role must now be Admin and Guest kept", got)
						}
						return nil
					})},
				},
			},
		},
	}
}
