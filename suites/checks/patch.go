package checks

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/wire"
)

// patched accepts either success answer of a PATCH: 200 with the resource
// or 204 (RFC 7644 §3.5.2).
func patched() scenario.Expectation { return status(http.StatusOK, http.StatusNoContent) }

func patchUser(tag string) scenario.Step {
	return createUser("u", userBody(tag, "pat", map[string]any{
		"displayName": "Pat Before", "title": "Engineer", "active": true,
		"emails": []any{
			map[string]any{"value": "${prefix}-" + tag + "-work@example.com", "type": "work", "primary": true},
			map[string]any{"value": "${prefix}-" + tag + "-home@example.com", "type": "home"},
		},
	}))
}

// emailsAre expects the user's emails, by type → value, to be exactly want.
func emailsAre(want map[string]string) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
		doc, err := ex.JSON()
		if ex.Status() != http.StatusOK || err != nil {
			return nil
		}
		got := map[string]string{}
		list, _ := doc["emails"].([]any)
		for _, e := range list {
			m, _ := e.(map[string]any)
			got[fmt.Sprint(m["type"])] = fmt.Sprint(m["value"])
		}
		exp := map[string]string{}
		for k, v := range want {
			exp[k] = judge.Expand(v, vars)
		}
		if fmt.Sprint(got) != fmt.Sprint(exp) {
			return fmt.Errorf("emails by type are %v, expected %v", got, exp)
		}
		return nil
	})
}

// membersAre expects the group's member ids to be exactly the vars'.
func membersAre(idVars ...string) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
		doc, err := ex.JSON()
		if ex.Status() != http.StatusOK || err != nil {
			return nil
		}
		var got, want []string
		list, _ := doc["members"].([]any)
		for _, e := range list {
			m, _ := e.(map[string]any)
			got = append(got, fmt.Sprint(m["value"]))
		}
		for _, v := range idVars {
			want = append(want, fmt.Sprint(vars[v]))
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			return fmt.Errorf("members are %v, expected %v (%v)", got, want, idVars)
		}
		return nil
	})
}

func patchCheck(id, name, clause string, ops []map[string]any, then ...scenario.Expectation) Check {
	return Check{
		ID: id, Name: name, Clause: clause, Features: []string{target.Patch},
		Steps: []scenario.Step{
			patchUser(id[len("patch/"):]),
			step("PATCH", http.MethodPatch, "/Users/${u}", patchOp(ops...), patched()),
			after(get("read back", "/Users/${u}", append([]scenario.Expectation{status(http.StatusOK)}, then...)...), "PATCH"),
		},
	}
}

func groupPatchCheck(id, name, clause, profile string, ops []map[string]any, members ...string) Check {
	tag := id[len("patch/"):]
	return Check{
		ID: id, Name: name, Clause: clause, Features: []string{target.Patch, target.Groups}, Profile: profile,
		Steps: []scenario.Step{
			createUser("u1", userBody(tag, "m1", nil)),
			createUser("u2", userBody(tag, "m2", nil)),
			createUser("u3", userBody(tag, "m3", nil)),
			createGroup("g", "${prefix} "+tag, "u1", "u2"),
			step("PATCH the group", http.MethodPatch, "/Groups/${g}", patchOp(ops...), patched()),
			after(get("read the group back", "/Groups/${g}", status(http.StatusOK), membersAre(members...)), "PATCH the group"),
		},
	}
}

func member(idVar string) map[string]any { return map[string]any{"value": "${" + idVar + "}"} }

func patch() []Check {
	return []Check{
		patchCheck("patch/add", "add with a path sets the attribute", "RFC 7644 §3.5.2.1",
			[]map[string]any{op("add", "nickName", "Patsy")}, bodyIs("nickName", "Patsy")),
		patchCheck("patch/replace", "replace with a path changes the attribute", "RFC 7644 §3.5.2.3",
			[]map[string]any{op("replace", "displayName", "Pat After")}, bodyIs("displayName", "Pat After")),
		patchCheck("patch/replace-sub-attribute", "replace of a sub-attribute (name.givenName)", "RFC 7644 §3.5.2.3",
			[]map[string]any{op("replace", "name.givenName", "Patricia")}, bodyIs("name.givenName", "Patricia")),
		patchCheck("patch/replace-no-path", "replace without a path merges the value object (Okta's deactivate)", "RFC 7644 §3.5.2.3",
			[]map[string]any{op("replace", "", map[string]any{"active": false, "title": "Manager"})}, bodyIs("active", false), bodyIs("title", "Manager")),
		patchCheck("patch/add-no-path", "add without a path merges the value object", "RFC 7644 §3.5.2.1",
			[]map[string]any{op("add", "", map[string]any{"nickName": "P"})}, bodyIs("nickName", "P"), bodyIs("title", "Engineer")),
		patchCheck("patch/remove", "remove with a path clears the attribute", "RFC 7644 §3.5.2.2",
			[]map[string]any{op("remove", "title", nil)}, absent("title")),
		patchCheck("patch/add-multivalued", "add to a multi-valued attribute appends", "RFC 7644 §3.5.2.1",
			[]map[string]any{op("add", "emails", []any{map[string]any{"value": "${prefix}-add-multivalued-other@example.com", "type": "other"}})},
			emailsAre(map[string]string{"work": "${prefix}-add-multivalued-work@example.com", "home": "${prefix}-add-multivalued-home@example.com", "other": "${prefix}-add-multivalued-other@example.com"})),
		patchCheck("patch/replace-value-filter", `replace emails[type eq "work"].value changes only the work email`, "RFC 7644 §3.5.2.3",
			[]map[string]any{op("replace", `emails[type eq "work"].value`, "${prefix}-new@example.com")},
			emailsAre(map[string]string{"work": "${prefix}-new@example.com", "home": "${prefix}-replace-value-filter-home@example.com"})),
		patchCheck("patch/remove-value-filter", `remove emails[type eq "home"] removes only that email`, "RFC 7644 §3.5.2.2",
			[]map[string]any{op("remove", `emails[type eq "home"]`, nil)},
			emailsAre(map[string]string{"work": "${prefix}-remove-value-filter-work@example.com"})),
		patchCheck("patch/several-ops", "several operations apply in order", "RFC 7644 §3.5.2",
			[]map[string]any{op("replace", "title", "A"), op("replace", "title", "B"), op("add", "nickName", "N")}, bodyIs("title", "B"), bodyIs("nickName", "N")),
		{
			ID: "patch/atomic", Name: "a PATCH with one failing operation changes nothing", Clause: "RFC 7644 §3.5.2", Features: []string{target.Patch},
			Steps: []scenario.Step{
				patchUser("atomic"),
				step("PATCH: a good replace, then a remove without a path", http.MethodPatch, "/Users/${u}",
					patchOp(op("replace", "displayName", "Changed"), op("remove", "", nil)), scimError(http.StatusBadRequest, "noTarget")...),
				get("read back: unchanged", "/Users/${u}", status(http.StatusOK), bodyIs("displayName", "Pat Before")),
			},
		},
		{
			ID: "patch/invalid-path", Name: "a PATCH with an unparsable path is refused with 400 invalidPath", Clause: "RFC 7644 §3.5.2, §3.12", Features: []string{target.Patch},
			Steps: []scenario.Step{
				patchUser("invpath"),
				step("PATCH with a broken path", http.MethodPatch, "/Users/${u}", patchOp(op("replace", `emails[type eq "work"`, "x")), scimError(http.StatusBadRequest, "invalidPath")...),
			},
		},
		groupPatchCheck("patch/group-add-member", "add members appends a member", "RFC 7644 §3.5.2.1", "",
			[]map[string]any{op("add", "members", []any{member("u3")})}, "u1", "u2", "u3"),
		groupPatchCheck("patch/group-remove-member-filter", `remove members[value eq "id"] removes only that member`, "RFC 7644 §3.5.2.2", "",
			[]map[string]any{op("remove", `members[value eq "${u1}"]`, nil)}, "u2"),
		groupPatchCheck("patch/group-replace-members", "replace members sets the member list", "RFC 7644 §3.5.2.3", "",
			[]map[string]any{op("replace", "members", []any{member("u3")})}, "u3"),
		// Entra ID removes one member with path "members" and a value
		// array. RFC 7644 §3.5.2.2 reads a remove without a filter as
		// "remove all", but a server that does so wipes the group of every
		// Entra customer (entra-docs issue 949).
		groupPatchCheck("patch/entra-remove-member-value", `remove path "members" with a value array removes only those (Entra ID)`, "Entra ID SCIM guide; RFC 7644 §3.5.2.2", Entra,
			[]map[string]any{op("remove", "members", []any{member("u1")})}, "u2"),
		{
			ID: "patch/entra-capitalised-ops", Name: `ops "Replace" and "Add" as Entra ID sends them are accepted`, Clause: "Entra ID SCIM guide; RFC 7644 §3.5.2",
			Features: []string{target.Patch}, Profile: Entra,
			Steps: []scenario.Step{
				patchUser("capops"),
				step("PATCH with Replace and Add", http.MethodPatch, "/Users/${u}", patchOp(op("Replace", "displayName", "Pat Entra"), op("Add", "nickName", "PE")), patched()),
				after(get("read back", "/Users/${u}", status(http.StatusOK), bodyIs("displayName", "Pat Entra"), bodyIs("nickName", "PE")), "PATCH with Replace and Add"),
			},
		},
		{
			ID: "patch/entra-string-boolean", Name: `active sent as the string "False" (Entra ID) is stored as the boolean false`, Clause: "Entra ID SCIM guide; RFC 7643 §2.3.2",
			Features: []string{target.Patch}, Profile: Entra,
			Steps: []scenario.Step{
				patchUser("strbool"),
				step(`PATCH replace active "False"`, http.MethodPatch, "/Users/${u}", patchOp(op("Replace", "active", "False")), patched()),
				after(get("read back", "/Users/${u}", status(http.StatusOK), bodyIs("active", false)), `PATCH replace active "False"`),
			},
		},
		{
			ID: "patch/okta-group-rename", Name: "replace without a path renames a group (Okta group push)", Clause: "Okta SCIM reference; RFC 7644 §3.5.2.3",
			Features: []string{target.Patch, target.Groups}, Profile: Okta,
			Steps: []scenario.Step{
				createGroup("g", "${prefix} okta-rename"),
				step("PATCH replace {id, displayName}", http.MethodPatch, "/Groups/${g}", patchOp(op("replace", "", map[string]any{"id": "${g}", "displayName": "${prefix} okta-renamed"})), patched()),
				after(get("read back", "/Groups/${g}", status(http.StatusOK), bodyIs("displayName", "${prefix} okta-renamed")), "PATCH replace {id, displayName}"),
			},
		},
	}
}
