package broken

import (
	"encoding/json"
	"net/http"

	"github.com/scimharness/scimharness/scim"
)

// The bugs in this file are those the IdP simulators' fidelity work (the
// catalog's "Corrections and additions") found real IdPs tripping over in
// answers a server writes: each makes the real IdP fail where an answer
// looks almost right.

// fidelityBugs are the bugs of this file, appended to All's.
func fidelityBugs() []Bug {
	return []Bug{
		{
			Name:        "manager-as-string",
			Description: "answers the enterprise manager as the raw id string Entra sent (\"manager\":\"<id>\") instead of the complex {\"value\":\"<id>\"}; Entra then fails to deserialize every user that has a manager (Budibase issue 15369, apache/directory-scimple issue 1242; RFC 7643 §4.3)",
			Wrap:        managerAsString,
			Fails: []string{
				"schema/User/" + scim.EnterpriseUserURN + ":manager/create",
				"schema/User/" + scim.EnterpriseUserURN + ":manager/put",
				"schema/User/" + scim.EnterpriseUserURN + ":manager/patch-replace",
			},
		},
	}
}

// managerAsString rewrites every User answer (a resource or a list of
// them): a manager object becomes its value, a raw string.
func managerAsString(next http.Handler) http.Handler {
	flatten := func(doc map[string]any) {
		_, ext, _ := field(doc, scim.EnterpriseUserURN)
		m, _ := ext.(map[string]any)
		if m == nil {
			return
		}
		key, mgr, _ := field(m, "manager")
		if obj, ok := mgr.(map[string]any); ok {
			if _, v, ok := field(obj, "value"); ok {
				m[key] = v
			}
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if endpoint, _ := resourcePath(r.URL.Path); endpoint != "Users" {
			next.ServeHTTP(w, r)
			return
		}
		rec := record(next, r)
		body := rec.Body.Bytes()
		var doc map[string]any
		if rec.Code/100 != 2 || json.Unmarshal(body, &doc) != nil {
			replay(w, rec, body)
			return
		}
		flatten(doc)
		if list, ok := doc["Resources"].([]any); ok {
			for _, e := range list {
				if m, ok := e.(map[string]any); ok {
					flatten(m)
				}
			}
		}
		replay(w, rec, marshal(doc))
	})
}
