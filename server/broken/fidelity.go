package broken

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/schema"
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
		{
			// Entra sends no SCIM Accept (the catalog's "Corrections and
			// additions"): the harness's own client does, so only the
			// SHOULD check that sends another Accept sees the bug, and
			// the Entra simulator, which sends none, fails at Test
			// Connection.
			Name:        "406-without-scim-accept",
			Description: "answers 406 Not Acceptable to every request whose Accept does not name application/scim+json — none, */* or application/json — as Rails-style content negotiation does; Entra ID sends no SCIM Accept, so its Test Connection and every request after it fail (azure-docs issue 94189, log; RFC 9110 §12.5.1: no Accept means any type)",
			Wrap:        notAcceptableWithoutSCIMAccept,
			Warns:       []string{"content/accept-json"},
		},
		{
			// Entra's AppRoleAssignmentsComplex may send every role of a
			// user in one Add; its default one-role Add cannot show the
			// bug, only simulate --entra-role-mode complex
			// --entra-roles-one-patch and roles/patch-add-two can.
			Name:        "keeps-first-role-of-add",
			Description: "keeps only the first value of a PATCH add to roles that lists several, answering 2xx: Entra's AppRoleAssignmentsComplex Add of every role a user holds loses all roles but one (Captain-P-Goldfish/SCIM-SDK issue 516, log; RFC 7644 §3.5.2.1)",
			Wrap:        keepsFirstRoleOfAdd,
			Fails:       []string{"roles/patch-add-two"},
		},
	}
}

// notAcceptableWithoutSCIMAccept refuses a request unless its Accept
// names application/scim+json.
func notAcceptableWithoutSCIMAccept(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, v := range r.Header.Values("Accept") {
			for part := range strings.SplitSeq(v, ",") {
				mt, _, _ := strings.Cut(part, ";")
				if strings.EqualFold(strings.TrimSpace(mt), scim.MediaType) {
					next.ServeHTTP(w, r)
					return
				}
			}
		}
		writeError(w, schema.StatusError(http.StatusNotAcceptable, "Accept %q: only %s is served", r.Header.Get("Accept"), scim.MediaType))
	})
}

// keepsFirstRoleOfAdd cuts the value of each PATCH add to roles to its
// first element before the reference server applies it.
func keepsFirstRoleOfAdd(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if endpoint, id := resourcePath(r.URL.Path); r.Method == http.MethodPatch && endpoint == "Users" && id != "" {
			r = rewriteOps(r, func(op map[string]any) map[string]any {
				k, p := opParts(op)
				vk, value, _ := field(op, "value")
				if list, ok := value.([]any); ok && len(list) > 1 && strings.EqualFold(k, "add") && strings.EqualFold(p, "roles") {
					op[vk] = list[:1]
				}
				return op
			})
		}
		next.ServeHTTP(w, r)
	})
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
