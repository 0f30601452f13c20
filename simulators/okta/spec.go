package okta

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/wire"
)

// specTest: the checks of the Okta SCIM 2.0 spec test (Runscope), in its
// order, each also held to its "most steps under 600 ms".
func specTest(g *gen) scenario.Scenario {
	u := g.user("spec", 1)
	nobody := fmt.Sprintf("${prefix}-nobody.%s@example.com", g.chars(8))
	// The spec test's own unknown ids are non-UUID strings.
	unknownID := "010101001010101011001010101011"

	upper := func(vars scenario.Vars) string { return strings.ToUpper(judge.Expand(u.userName(), vars)) }

	create := createStep(u, "create a user")
	// The spec test POSTs with Content-Type application/json.
	create.Request.Headers = map[string]string{"Content-Type": "application/json"}
	create.Behaviour += " (Content-Type: application/json, as the spec test sends)"
	spec := voice
	spec.MediaRefused = "Okta's SCIM 2.0 spec test POSTs with Content-Type application/json, which a SCIM server must accept (RFC 7644 §3.8; indigo-iam issue 1285)"
	create.Expect[0] = spec.Created()
	steps := []scenario.Step{
		create,
		{
			// The spec test opens with this read and expects a user to
			// exist; here the user just created is one.
			Name:      "read the first user",
			Behaviour: "GET /Users?count=1&startIndex=1 → a ListResponse holding one user with userName and name.givenName",
			Request:   scenario.RequestTemplate{Method: http.MethodGet, Path: "/Users?count=1&startIndex=1"},
			Expect: []scenario.Expectation{scenario.StatusIn(200), scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
				if ex.Status() != 200 {
					return nil
				}
				l, err := voice.ReadList(ex)
				switch {
				case err != nil:
					return err
				case len(l.Resources) != 1:
					return fmt.Errorf("count=1 returned %d users while at least one exists; the spec test expects exactly one (RFC 7644 §3.4.2.4)", len(l.Resources))
				}
				if _, ok := scenario.Lookup(l.Resources[0], "userName"); !ok {
					return fmt.Errorf("the first user has no userName: %s", judge.Render(l.Resources[0]))
				}
				return nil
			})},
			Clause: "RFC 7644 §3.4.2.4",
			When:   u.idVar(),
		},
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
			Behaviour: `GET /Users?filter=userName eq "<USERNAME>"&startIndex=1&count=100 → 200 (all the spec test asserts); that it finds the user is the RFC's caseExact=false, not Okta's`,
			Build: func(vars scenario.Vars) (client.Request, error) {
				// The prefix holds only [A-Za-z0-9._-] (Scenarios checks),
				// so the client's escaping of space and '"' is all it needs.
				return client.Request{Method: http.MethodGet, Path: lookupPath(upper(vars))}, nil
			},
			Expect: []scenario.Expectation{voice.FoundOnce(upper, u.idVar(),
				" with that userName in another case: the server matches userName case-sensitively; userName is caseExact false (RFC 7643 §4.1.1, RFC 7644 §3.4.2.2)").From("RFC 7643 §4.1.1 (caseExact false)", scenario.Doc)},
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
			Behaviour: "GET /Users with Authorization: non-token (the spec test's bad credentials) → 401 with the Error schema",
			Request: scenario.RequestTemplate{
				Method:  http.MethodGet,
				Path:    "/Users?startIndex=1&count=1",
				Headers: map[string]string{"Authorization": "non-token"},
			},
			Expect: []scenario.Expectation{scenario.StatusIn(401), voice.SCIMError(401)},
			Clause: "RFC 7644 §2, §3.12",
		},
	}
	for i := range steps {
		steps[i].Source, steps[i].SourceURL, steps[i].Confidence = srcSpecFile, "https://developer.okta.com/standards/SCIM/", scenario.Doc
		steps[i].Expect = append(steps[i].Expect, fast())
	}
	return scenario.Scenario{
		Name:        "Okta: SCIM 2.0 spec test",
		IdP:         IdP,
		Description: "The checks of Okta's SCIM 2.0 spec test: create, get by id, unknown and upper-cased userName filters, duplicate, unknown id, wrong token.",
		Steps:       steps,
	}
}
