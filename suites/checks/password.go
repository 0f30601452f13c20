package checks

import (
	"net/http"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
)

func passwordChecks() []Check {
	const c = "RFC 7644 §3.5.2; RFC 7643 §4.1.1 (password: writeOnly, returned never)"
	return []Check{{
		ID: "password/change", Name: "a password is changed by PATCH and by PUT, and never returned", Clause: c,
		Features: []string{target.ChangePassword, target.Patch},
		Steps: []scenario.Step{
			createUser("u", userBody("chpw", "max", map[string]any{"password": "0ld!Secret-pw"})),
			step("PATCH replace password", http.MethodPatch, "/Users/${u}", patchOp(op("replace", "password", "N3w!Secret-pw")), patched(), absent("password")),
			step("PUT with a password", http.MethodPut, "/Users/${u}", userBody("chpw", "max", map[string]any{"password": "Put!Secret-pw2"}), status(http.StatusOK), absent("password")),
			after(get("read back", "/Users/${u}", status(http.StatusOK), absent("password")), "PUT with a password"),
		},
	}}
}
