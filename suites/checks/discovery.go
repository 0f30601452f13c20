package checks

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/wire"
)

// listHas expects a ListResponse with a resource whose key equals value.
func listHas(key, value string) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
		value := judge.Expand(value, vars)
		_, rs, err := resources(ex)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if fmt.Sprint(r[key]) == value {
				return nil
			}
		}
		return fmt.Errorf("no resource with %s %q in the list", key, value)
	})
}

// clauseByID: reading one resource type or schema by its id (RFC 7644 §4)
// is graded SHOULD: the listing endpoints are what discovery needs.
const clauseByID = "RFC 7644 §4 (GET /ResourceTypes/{name} and /Schemas/{id})"

// byID is a read of one discovery resource, at clauseByID.
func byID(st scenario.Step) scenario.Step {
	st.Clause, st.Level = clauseByID, scenario.Should
	return st
}

func discovery() []Check {
	spcShape := scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		doc, err := ex.JSON()
		if ex.Status() != http.StatusOK || err != nil {
			return nil
		}
		schemas, _ := doc["schemas"].([]any)
		if !slices.Contains(schemas, any(scim.SPConfigURN)) {
			return fmt.Errorf("schemas %s lack %q", judge.Render(doc["schemas"]), scim.SPConfigURN)
		}
		for _, k := range []string{target.Patch, target.Bulk, target.Filter, target.ChangePassword, target.Sort, target.ETag} {
			m, ok := doc[k].(map[string]any)
			if !ok {
				return fmt.Errorf("%s is missing: every capability is REQUIRED in the ServiceProviderConfig", k)
			}
			if _, ok := m["supported"].(bool); !ok {
				return fmt.Errorf("%s.supported is %s, not a boolean", k, judge.Render(m["supported"]))
			}
		}
		if _, ok := doc["authenticationSchemes"].([]any); !ok {
			return fmt.Errorf("authenticationSchemes is missing or not an array")
		}
		return nil
	})
	return []Check{
		{
			ID: "discovery/service-provider-config", Name: "GET /ServiceProviderConfig declares every capability",
			Clause: "RFC 7643 §5; RFC 7644 §4",
			Steps:  []scenario.Step{get("read the configuration", "/ServiceProviderConfig", status(http.StatusOK), mediaType(), spcShape)},
		},
		{
			ID: "discovery/resource-types", Name: "GET /ResourceTypes lists User at /Users",
			Clause: "RFC 7643 §6; RFC 7644 §4",
			Steps: []scenario.Step{get("list resource types", "/ResourceTypes", status(http.StatusOK), listHas("endpoint", "/Users"), listHas("schema", scim.UserURN)),
				byID(get("read the User resource type", "/ResourceTypes/User", status(http.StatusOK), bodyIs("endpoint", "/Users")))},
		},
		{
			ID: "discovery/schemas", Name: "GET /Schemas holds the core User schema",
			Clause: "RFC 7643 §7; RFC 7644 §4",
			Steps: []scenario.Step{get("list schemas", "/Schemas", status(http.StatusOK), listHas("id", scim.UserURN)),
				byID(get("read the User schema", "/Schemas/"+scim.UserURN, status(http.StatusOK), bodyIs("id", scim.UserURN), present("attributes")))},
		},
	}
}
