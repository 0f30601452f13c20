package checks

import (
	"net/http"

	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/harness/scenario"
)

func me() []Check {
	return []Check{
		{
			ID: "me/get", Name: "GET /Me returns the user, or 501 with a SCIM error when /Me is not supported", Clause: "RFC 7644 §3.11 (a server without /Me SHOULD answer 501)", Level: scenario.Should,
			Steps: []scenario.Step{get("GET /Me", "/Me", status(http.StatusOK, http.StatusNotImplemented), mediaType(), judge.Voice{}.SCIMError(http.StatusNotImplemented))},
		},
	}
}
