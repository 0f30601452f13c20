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

// firstUserAttributes are what the spec test requires not to be empty in
// the first user of GET /Users?count=1&startIndex=1.
var firstUserAttributes = []string{"id", "userName", "name.givenName", "name.familyName", "active", "emails.0.value"}

// firstUser judges the answer to GET /Users?count=1&startIndex=1: one
// user, whose firstUserAttributes are not empty, as the spec test
// asserts. own chooses the case judged: the first user is u (created by
// the run), or it is another user.
func firstUser(u user, own bool) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
		if ex.Status() != 200 {
			return nil
		}
		l, err := voice.ReadList(ex)
		switch {
		case err != nil:
			if own {
				return err
			}
			return nil
		case len(l.Resources) != 1:
			if own {
				return fmt.Errorf("count=1 returned %d users while at least one exists; the spec test expects exactly one (RFC 7644 §3.4.2.4)", len(l.Resources))
			}
			return nil
		}
		first := l.Resources[0]
		if id, _ := first["id"].(string); (id == fmt.Sprint(vars[u.idVar()])) != own {
			return nil
		}
		var missing []string
		for _, path := range firstUserAttributes {
			if v, ok := scenario.Lookup(first, path); !ok || v == nil || v == "" {
				missing = append(missing, path)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		if own {
			return fmt.Errorf("the first user of the list, created by this run with all of them, lacks %s, which the spec test requires of Resources[0]: a ListResponse must hold the resources' attributes (RFC 7644 §3.4.2): %s", strings.Join(missing, ", "), judge.Render(first))
		}
		return fmt.Errorf("the first user of the list (not created by this run) lacks %s, which the spec test requires of Resources[0]; the spec test fails on this server's data: %s", strings.Join(missing, ", "), judge.Render(first))
	})
}

// errorDetail judges that an error answer with status has a detail, as
// the spec test's "Check status 401" and "Check status 404" assert (RFC
// 7644 §3.12 makes detail optional; the spec test does not).
func errorDetail(status int) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		if ex.Status() != status {
			return nil
		}
		doc, err := ex.JSON()
		if err != nil {
			return nil // SCIMError says so
		}
		if d, _ := scenario.Lookup(doc, "detail"); d == nil || d == "" {
			return fmt.Errorf("the %d error body has no detail; the Okta SCIM 2.0 spec test requires one (RFC 7644 §3.12 makes it optional)", status)
		}
		return nil
	})
}

// specTest: the checks of the Okta SCIM 2.0 spec test (Runscope), in its
// order, each also held to its "most steps under 600 ms".
func specTest(g *gen) scenario.Scenario {
	u := g.user("spec", 1)
	nobody := fmt.Sprintf("${prefix}-nobody.%s@example.com", g.chars(8))
	// The spec test's own unknown ids are non-UUID strings: one for the
	// get of an unknown id, one for its "Check status 404".
	unknownID, unknownID404 := "010101001010101011001010101011", "00919288221112222"

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
			Behaviour: "GET /Users?count=1&startIndex=1 → a ListResponse holding one user whose id, userName, name.givenName, name.familyName, active and emails[0].value are not empty",
			Request:   scenario.RequestTemplate{Method: http.MethodGet, Path: "/Users?count=1&startIndex=1"},
			// A MUST when the first user is the run's own (it has them
			// all); a SHOULD when it is someone else's, whose data the
			// run does not know — the spec test fails either way.
			Expect: []scenario.Expectation{scenario.StatusIn(200), firstUser(u, true), firstUser(u, false).At(scenario.Should)},
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
			Behaviour: "GET /Users/010101001010101011001010101011 (the spec test's unknown id) → 404 with the Error schema",
			Request:   scenario.RequestTemplate{Method: http.MethodGet, Path: "/Users/" + unknownID},
			Expect:    []scenario.Expectation{scenario.StatusIn(404), voice.SCIMError(404)},
			Clause:    "RFC 7644 §3.4.1, §3.12",
		},
		{
			Name:      "a wrong bearer token",
			Behaviour: `GET /Users with Authorization: non-token (the spec test's bad credentials) → 401 with the Error schema, status "401" and a detail`,
			Request: scenario.RequestTemplate{
				Method:  http.MethodGet,
				Path:    "/Users?startIndex=1&count=1",
				Headers: map[string]string{"Authorization": "non-token"},
			},
			Expect: []scenario.Expectation{scenario.StatusIn(401), voice.SCIMError(401), errorDetail(401)},
			Clause: "RFC 7644 §2, §3.12",
		},
		{
			Name:      "check status 404",
			Behaviour: "GET /Users/00919288221112222 (the spec test's second unknown id) → 404 with the Error schema, status \"404\" and a detail",
			Request:   scenario.RequestTemplate{Method: http.MethodGet, Path: "/Users/" + unknownID404},
			Expect:    []scenario.Expectation{scenario.StatusIn(404), voice.SCIMError(404), errorDetail(404)},
			Clause:    "RFC 7644 §3.4.1, §3.12",
		},
	}
	for i := range steps {
		steps[i].Source, steps[i].SourceURL, steps[i].Confidence = srcSpecFile, "https://developer.okta.com/standards/SCIM/", scenario.Doc
		steps[i].Expect = append(steps[i].Expect, fast())
	}
	return scenario.Scenario{
		Name:        "Okta: SCIM 2.0 spec test",
		IdP:         IdP,
		Description: "The checks of Okta's SCIM 2.0 spec test: create, read the first user, get by id, unknown and upper-cased userName filters, duplicate, unknown ids, wrong token.",
		Steps:       steps,
	}
}
