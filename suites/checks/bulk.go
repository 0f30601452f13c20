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

// readAt reads the resource at the absolute URL in var v (a bulk
// location): sent as is, not as a template, which would escape it.
func readAt(name, v string, expect ...scenario.Expectation) scenario.Step {
	return scenario.Step{Name: name, When: v, Expect: expect, Build: func(vars scenario.Vars) (client.Request, error) {
		return client.Request{Method: http.MethodGet, Path: fmt.Sprint(vars[v])}, nil
	}}
}

func bulk() []Check {
	bulkOK := scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		doc, err := ex.JSON()
		if ex.Status() != http.StatusOK || err != nil {
			return nil
		}
		ops, _ := doc["Operations"].([]any)
		if len(ops) != 2 {
			return fmt.Errorf("expected 2 operation results, got %d", len(ops))
		}
		for i, o := range ops {
			m, _ := o.(map[string]any)
			st, ok := m["status"].(string)
			if !ok || !strings.HasPrefix(st, "2") {
				return fmt.Errorf("operation %d has status %s; RFC 7644 §3.7.3 makes it a string like \"201\"", i+1, judge.Render(m["status"]))
			}
		}
		return nil
	})
	return []Check{{
		ID: "bulk/create-with-bulk-id", Name: "POST /Bulk creates a user and a group referring to it by bulkId", Clause: "RFC 7644 §3.7",
		Features: []string{target.Bulk, target.Groups},
		Steps: []scenario.Step{
			{
				Name: "POST /Bulk",
				Request: scenario.RequestTemplate{Method: http.MethodPost, Path: "/Bulk", Body: map[string]any{
					"schemas": []any{scim.BulkRequestURN},
					"Operations": []any{
						map[string]any{"method": "POST", "path": "/Users", "bulkId": "u1", "data": userBody("bulk", "fay", nil)},
						map[string]any{"method": "POST", "path": "/Groups", "bulkId": "g1", "data": map[string]any{"schemas": []any{scim.GroupURN}, "displayName": "${prefix} bulk team", "members": []any{map[string]any{"value": "bulkId:u1"}}}},
					},
				}},
				Capture: map[string]string{"g": "Operations.1.location"},
				Expect:  []scenario.Expectation{status(http.StatusOK), bodyIs("schemas", []any{scim.BulkResponseURN}), bulkOK},
			},
			{Name: "read the group at its location", Build: func(v scenario.Vars) (client.Request, error) {
				// The location is absolute: sent as is, not as a template
				// (which would escape it into a path segment).
				return client.Request{Method: http.MethodGet, Path: fmt.Sprint(v["g"])}, nil
			}, When: "g", Needs: []string{"POST /Bulk"}, Expect: []scenario.Expectation{status(http.StatusOK), present("members.0.value")}},
		},
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
				after(readAt("the group's member is the user", "gloc", status(http.StatusOK), membersAre("uid")), "POST /Bulk: the group first, its user second"),
			},
		},
	}
}
