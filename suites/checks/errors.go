package checks

import (
	"net/http"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
)

func errorChecks() []Check {
	const c = "RFC 7644 §3.12"
	return []Check{
		{ID: "errors/not-found", Name: "an unknown id answers 404 with a SCIM error", Clause: c,
			Steps: []scenario.Step{get("GET an unknown user", "/Users/${prefix}-no-such-id", scimError(http.StatusNotFound, "")...)}},
		{ID: "errors/unauthorized", Name: "a request without credentials answers 401", Clause: "RFC 7644 §2, §3.12",
			Steps: []scenario.Step{
				withHeaders(get("GET /Users without a token", "/Users", scimError(http.StatusUnauthorized, "")...), map[string]string{"Authorization": ""}),
			}},
		{ID: "errors/invalid-json", Name: "an unparsable body is refused with 400 (scimType invalidSyntax is OPTIONAL)", Clause: c,
			Steps: []scenario.Step{{Name: "POST broken JSON", Request: scenario.RequestTemplate{Method: http.MethodPost, Path: "/Users", RawBody: `{"userName": "${prefix}-broken",`}, Expect: scimError(http.StatusBadRequest, "invalidSyntax")}}},
		{ID: "errors/mutability", Name: "changing a readOnly attribute (id) by PATCH is refused with 400 (scimType mutability is OPTIONAL)", Clause: "RFC 7644 §3.5.2, §3.12", Features: []string{target.Patch},
			Steps: []scenario.Step{createUser("u", userBody("mut", "ian", nil)),
				step("PATCH replace id", http.MethodPatch, "/Users/${u}", patchOp(op("replace", "id", "${prefix}-other")), scimError(http.StatusBadRequest, "mutability")...)}},
		{ID: "errors/unknown-endpoint", Name: "an unknown endpoint answers 404 with a SCIM error", Clause: "RFC 7644 §3.12 (Table 8 describes 404 for an endpoint that does not exist)", Level: scenario.Should,
			Steps: []scenario.Step{get("GET /NoSuchEndpoint", "/NoSuchEndpoint", scimError(http.StatusNotFound, "")...)}},
	}
}
