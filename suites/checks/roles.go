package checks

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/wire"
)

// roles: the role edge cases the strict RFC profile defines. Roles are a
// multi-valued complex attribute (RFC 7643 §4.1.2); "primary" is a boolean
// true on at most one value (§2.4). The edge cases IdPs send (Entra's
// "True", JSON-string values, two primaries) are in rolesMore.
func roles() []Check {
	const c = "RFC 7643 §4.1.2, §2.4"
	role := func(v string, primary any) map[string]any {
		m := map[string]any{"value": v}
		if primary != nil {
			m["primary"] = primary
		}
		return m
	}
	rolesAre := func(want ...string) scenario.Expectation {
		return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
			doc, err := ex.JSON()
			if ex.Status() != http.StatusOK || err != nil {
				return nil
			}
			var got []string
			list, _ := doc["roles"].([]any)
			for _, r := range list {
				m, _ := r.(map[string]any)
				got = append(got, fmt.Sprint(m["value"]))
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				return fmt.Errorf("roles are %v, expected %v", got, want)
			}
			return nil
		})
	}
	return []Check{
		{ID: "roles/two-roles", Name: "two roles, one primary, are kept", Clause: c,
			Steps: []scenario.Step{createUser("u", userBody("r2", "ro", map[string]any{"roles": []any{role("Admin", true), role("Reader", nil)}})),
				get("read back", "/Users/${u}", status(http.StatusOK), rolesAre("Admin", "Reader"), bodyIs("roles.0.primary", true))}},
		{ID: "roles/zero-roles", Name: "a user without roles has no roles attribute", Clause: c,
			Steps: []scenario.Step{createUser("u", userBody("r0", "ro", nil)), get("read back", "/Users/${u}", status(http.StatusOK), absent("roles"))}},
		{ID: "roles/casing-kept", Name: "a role's value keeps its case", Clause: c,
			Steps: []scenario.Step{createUser("u", userBody("rc", "ro", map[string]any{"roles": []any{role("SuperAdmin", nil)}})), get("read back", "/Users/${u}", status(http.StatusOK), rolesAre("SuperAdmin"))}},
		{ID: "roles/change", Name: "replace roles[primary eq true].value changes the primary role", Clause: c + "; RFC 7644 §3.5.2.3", Features: []string{target.Patch},
			Steps: []scenario.Step{createUser("u", userBody("rch", "ro", map[string]any{"roles": []any{role("User", true)}})),
				step("PATCH the primary role", http.MethodPatch, "/Users/${u}", patchOp(op("replace", "roles[primary eq true].value", "Admin")), patched()),
				after(get("read back", "/Users/${u}", status(http.StatusOK), rolesAre("Admin")), "PATCH the primary role")}},
		{ID: "roles/replace-removes", Name: "replace roles with a new list removes the old roles (Entra assertive mode)", Clause: c + "; RFC 7644 §3.5.2.3", Features: []string{target.Patch},
			Steps: []scenario.Step{createUser("u", userBody("rrp", "ro", map[string]any{"roles": []any{role("User", nil), role("Admin", nil)}})),
				step("PATCH replace roles", http.MethodPatch, "/Users/${u}", patchOp(op("replace", "roles", []any{role("Reader", nil)})), patched()),
				after(get("read back", "/Users/${u}", status(http.StatusOK), rolesAre("Reader")), "PATCH replace roles")}},
		// Entra's AppRoleAssignmentsComplex may add every role a user
		// holds in one op (log, Captain-P-Goldfish/SCIM-SDK issue 516).
		{ID: "roles/patch-add-two", Name: "PATCH add with two roles adds both", Clause: c + "; RFC 7644 §3.5.2.1", Features: []string{target.Patch},
			Steps: []scenario.Step{createUser("u", userBody("rad", "ro", map[string]any{"roles": []any{role("User", nil)}})),
				step("PATCH add two roles", http.MethodPatch, "/Users/${u}", patchOp(op("add", "roles", []any{role("Reader", nil), role("Admin", nil)})), patched()),
				after(get("read back", "/Users/${u}", status(http.StatusOK), rolesAre("User", "Reader", "Admin")), "PATCH add two roles")}},
		{ID: "roles/remove-all", Name: "remove roles leaves the user without roles", Clause: c + "; RFC 7644 §3.5.2.2", Features: []string{target.Patch},
			Steps: []scenario.Step{createUser("u", userBody("rrm", "ro", map[string]any{"roles": []any{role("User", nil)}})),
				step("PATCH remove roles", http.MethodPatch, "/Users/${u}", patchOp(op("remove", "roles", nil)), patched()),
				after(get("read back", "/Users/${u}", status(http.StatusOK), absent("roles")), "PATCH remove roles")}},
	}
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
			// The control (the same role with the boolean true) must be
			// accepted, so that a 400 to "True" is known to be about it.
			ID: "roles/primary-string-true", Name: `primary "True" (a string) is stored as the boolean true, or refused`, Clause: c + "; RFC 7643 §2.3.2",
			Steps: []scenario.Step{
				createUser("control", userBody("rpst", "ctl", map[string]any{"roles": []any{map[string]any{"value": "Admin", "primary": true}}})),
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
				after(when("u", get("read back: primary is true, a boolean", "/Users/${u}", status(http.StatusOK), bodyIs("roles.0.value", "Admin"), bodyIs("roles.0.primary", true))), `create with roles [{"value":"Admin","primary":"True"}]`),
			},
		},
		{
			// A refusal counts only when it is the refusal asked for. The
			// set-up sends the same user with one primary (under its own
			// userName, the only other difference): accepted, it proves a
			// 400 to the two primaries is about them; refused ("'emails'
			// is required"), the subject cannot be judged and is blocked —
			// never passed on a 400 for something else.
			ID: "roles/two-primaries", Name: "two primary roles are never stored: refused, or stored with one", Clause: "RFC 7643 §2.4 (primary: at most once); RFC 7644 §3.12",
			Steps: []scenario.Step{
				createUser("control", twoPrimaries("ctl", false)),
				{
					Name:    "create with two primary roles",
					Request: scenario.RequestTemplate{Method: http.MethodPost, Path: "/Users", Body: twoPrimaries("ro", true)},
					Expect: append([]scenario.Expectation{
						status(http.StatusCreated, http.StatusBadRequest),
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
					}, scimError(http.StatusBadRequest, "invalidValue")[1:]...),
				},
			},
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
					Expect: []scenario.Expectation{status(http.StatusOK, http.StatusNoContent, http.StatusBadRequest),
						// A refusal counts only as the refusal of this path:
						// a 400 about something else (a required attribute
						// the server wants) is no answer to it (issue 16).
						scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
							if ex.Status() != http.StatusBadRequest {
								return nil
							}
							doc, _ := ex.JSON()
							st, _ := doc["scimType"].(string)
							detail, _ := doc["detail"].(string)
							switch {
							case st == "invalidFilter", st == "invalidPath", st == "noTarget":
								return nil
							case refusesPath.MatchString(detail):
								return nil
							}
							return fmt.Errorf("the 400 does not refuse the path roles[primary eq \"True\"].value (scimType %q, detail %q): a refusal must name the filter, the path or primary (scimType invalidFilter, invalidPath or noTarget, RFC 7644 §3.12)", st, detail)
						})},
					Check: func(ex *wire.Exchange, vars scenario.Vars) error {
						if ex.Status()/100 == 2 {
							vars["changed"] = true
						}
						return nil
					},
				},
				{
					Name: "read back: the primary role changed, the other kept", When: "changed", Needs: []string{`PATCH replace roles[primary eq "True"].value`},
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

// twoPrimaries is a user of roles/two-primaries: roles A and B, both
// primary — or, for the control, only A.
func twoPrimaries(who string, second bool) map[string]any {
	b := map[string]any{"value": "B"}
	if second {
		b["primary"] = true
	}
	return userBody("r2pr", who, map[string]any{"roles": []any{map[string]any{"value": "A", "primary": true}, b}})
}

// refusesPath finds an error detail about a PATCH path's filter.
var refusesPath = regexp.MustCompile(`(?i)primary|filter|path|"True"`)
