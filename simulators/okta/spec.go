package okta

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/harness/scenario"
)

// specTest: the checks of the Okta SCIM 2.0 spec test (Runscope), in its
// order, each also held to its "most steps under 600 ms".
func specTest(g *gen) scenario.Scenario {
	u := g.user("spec", 1)
	nobody := fmt.Sprintf("${prefix}-nobody.%s@example.com", g.chars(8))
	unknownID := fmt.Sprintf("%s-%s-%s-%s-%s", hex(g, 8), hex(g, 4), hex(g, 4), hex(g, 4), hex(g, 12))
	badToken := "scimharness-invalid-" + g.chars(16)

	upper := func(vars scenario.Vars) string { return strings.ToUpper(judge.Expand(u.userName(), vars)) }

	create := createStep(u, "create a user")
	create.Source = srcSpec
	steps := []scenario.Step{
		create,
		{
			Name:      "get the user by id",
			Behaviour: "GET /Users/{id}",
			Request:   scenario.RequestTemplate{Method: http.MethodGet, Path: u.path()},
			Expect:    []scenario.Expectation{scenario.StatusIn(200), judge.BodyIs("id", u.idRef()), voice.UserNameKept(u.userName()), judge.BodyIs("externalId", u.externalID), noPassword()},
			Clause:    "RFC 7644 §3.4.1",
		},
		{
			Name:      "filter by an unknown userName",
			Behaviour: `GET /Users?filter=userName eq "<unknown>"&startIndex=1&count=100 → totalResults 0`,
			Request:   scenario.RequestTemplate{Method: http.MethodGet, Path: lookupPath(nobody)},
			Expect:    []scenario.Expectation{voice.NobodyFound(nobody, "when no user has that userName")},
			Clause:    "RFC 7644 §3.4.2.2",
		},
		{
			Name:      "filter by the upper-cased userName",
			Behaviour: `GET /Users?filter=userName eq "<USERNAME>"&startIndex=1&count=100 finds the user: userName matches case-insensitively`,
			Build: func(vars scenario.Vars) (client.Request, error) {
				// The prefix holds only [A-Za-z0-9._-] (Scenarios checks),
				// so the client's escaping of space and '"' is all it needs.
				return client.Request{Method: http.MethodGet, Path: lookupPath(upper(vars))}, nil
			},
			Expect: []scenario.Expectation{voice.FoundOnce(upper, u.idVar(),
				" with that userName in another case: the server matches userName case-sensitively; userName is caseExact false (RFC 7643 §4.1.1, RFC 7644 §3.4.2.2; Okta SCIM 2.0 spec test)")},
			Clause: "RFC 7643 §4.1.1 (caseExact false), RFC 7644 §3.4.2.2",
			When:   u.idVar(),
		},
		{
			Name:      "create the same user again",
			Behaviour: "POST /Users with an existing userName → 409 with the Error schema",
			Request:   scenario.RequestTemplate{Method: http.MethodPost, Path: "/Users", Body: u.body()},
			Expect:    voice.Duplicate(),
			Clause:    "RFC 7644 §3.3, §3.12",
		},
		{
			Name:      "get an unknown id",
			Behaviour: "GET /Users/{unknown id} → 404 with the Error schema",
			Request:   scenario.RequestTemplate{Method: http.MethodGet, Path: "/Users/" + unknownID},
			Expect:    []scenario.Expectation{scenario.StatusIn(404), voice.SCIMError(404)},
			Clause:    "RFC 7644 §3.4.1, §3.12",
		},
		{
			Name:      "a wrong bearer token",
			Behaviour: "GET /Users with a wrong bearer token → 401 with the Error schema",
			Request: scenario.RequestTemplate{
				Method:  http.MethodGet,
				Path:    "/Users?startIndex=1&count=1",
				Headers: map[string]string{"Authorization": "Bearer " + badToken},
			},
			Expect: []scenario.Expectation{scenario.StatusIn(401), voice.SCIMError(401)},
			Clause: "RFC 7644 §2, §3.12",
		},
	}
	for i := range steps {
		steps[i].Source = srcSpec
		steps[i].Expect = append(steps[i].Expect, fast())
	}
	return scenario.Scenario{
		Name:        "Okta: SCIM 2.0 spec test",
		IdP:         IdP,
		Description: "The checks of Okta's SCIM 2.0 spec test: create, get by id, unknown and upper-cased userName filters, duplicate, unknown id, wrong token.",
		Steps:       steps,
	}
}

func hex(g *gen, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rng.IntN(16)]
	}
	return string(b)
}
