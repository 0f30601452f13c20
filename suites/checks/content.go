package checks

import (
	"net/http"

	"github.com/scimharness/scimharness/harness/scenario"
)

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

func content() []Check {
	return []Check{
		{
			ID: "content/response-media-type", Name: "answers are application/scim+json", Clause: "RFC 7644 §3.1, §8.1",
			Steps: []scenario.Step{createUser("u", userBody("ctype", "gil", nil)), get("GET the user", "/Users/${u}", status(http.StatusOK), mediaType())},
		},
		{
			ID: "content/accept-json", Name: "Accept: application/json is served", Clause: "RFC 7644 §3.8 (servers SHOULD support Accept: application/json)", Level: scenario.Should,
			Steps: []scenario.Step{withHeaders(get("GET /ServiceProviderConfig with Accept: application/json", "/ServiceProviderConfig", status(http.StatusOK)), map[string]string{"Accept": "application/json"})},
		},
		{
			// Google Workspace sends application/json and cannot be told
			// otherwise: refusing it means no Google provisioning.
			ID: "content/request-application-json", Name: "a body sent as application/json is accepted (Google Workspace)", Clause: "RFC 7644 §3.8; Google Workspace SSO app", Profile: Google,
			Steps: []scenario.Step{withHeaders(step("POST /Users as application/json", http.MethodPost, "/Users", userBody("ajson", "hal", nil), status(http.StatusCreated)), map[string]string{"Content-Type": "application/json"})},
		},
	}
}
