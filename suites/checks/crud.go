package checks

import (
	"net/http"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/scim"
)

// mixedCase is a userName whose case a server must keep: caseExact false
// governs comparison, not storage (RFC 7643 §2.2).
func mixedCase(tag string) string { return "${prefix}-" + tag + "-Ada.Lovelace@Example.COM" }

func crud() []Check {
	// RFC 7644 §3.3: 201 SHALL be returned; the body SHOULD hold the
	// resource; its URI SHALL be in the Location header and in the body's
	// meta.location.
	created := []scenario.Expectation{
		status(http.StatusCreated), mediaType(),
		bodyIs("userName", mixedCase("cr")).Per(clauseUserNameKept, scenario.Must),
		present("id").Per(clauseCreatedBody, scenario.Should), bodyIs("meta.resourceType", "User").Per(clauseCreatedBody, scenario.Should),
		present("meta.location").Per(clauseLocation, scenario.Must),
		// Location is a URI-reference (RFC 7231 §7.1.2): "Users/1", relative to
		// POST …/v2/Users, is the created resource's URI as much as the absolute form.
		scenario.HeaderContains("Location", "Users/").Per(clauseLocation, scenario.Must),
	}
	return []Check{
		{
			ID: "crud/create-user", Name: "POST /Users answers 201 with the user as sent", Clause: "RFC 7644 §3.3",
			Steps: []scenario.Step{{
				Name:    "create a user with a mixed-case userName",
				Request: scenario.RequestTemplate{Method: http.MethodPost, Path: "/Users", Body: map[string]any{"schemas": []any{scim.UserURN}, "userName": mixedCase("cr"), "displayName": "Ada Lovelace"}},
				Expect:  created, // no capture: cleanup finds the id in the body or the Location
			}},
		},
		{
			ID: "crud/get-user", Name: "GET /Users/{id} returns the user, userName case kept", Clause: "RFC 7644 §3.4.1",
			Steps: []scenario.Step{
				createUser("u", map[string]any{"schemas": []any{scim.UserURN}, "userName": mixedCase("gt"), "title": "Analyst"}),
				get("read the user back", "/Users/${u}", status(http.StatusOK), mediaType(), bodyIs("id", "${u}"), bodyIs("userName", mixedCase("gt")).Per(clauseUserNameKept, scenario.Must), bodyIs("title", "Analyst")),
			},
		},
		{
			ID: "crud/duplicate-username", Name: "a duplicate userName is refused with 409 uniqueness", Clause: "RFC 7644 §3.3, §3.12",
			Steps: []scenario.Step{
				createUser("u", userBody("dup", "same", nil)),
				step("create the same userName again", http.MethodPost, "/Users", userBody("dup", "same", nil), scimError(http.StatusConflict, "uniqueness")...),
			},
		},
		{
			ID: "crud/duplicate-username-case", Name: "userName uniqueness ignores case (caseExact false)", Clause: "RFC 7643 §4.1.1, §2.2",
			Steps: []scenario.Step{
				createUser("u", userBody("dupc", "alice", nil)),
				step("create the userName upper-cased", http.MethodPost, "/Users", map[string]any{"schemas": []any{scim.UserURN}, "userName": "${prefix}-DUPC-ALICE"}, scimError(http.StatusConflict, "uniqueness")...),
			},
		},
		{
			// The subject is the replace; what becomes of an attribute left
			// out is the server's choice (it MAY clear it or MAY assign a
			// default), so a title kept is an info, never a failure.
			ID: "crud/put-replaces", Name: "PUT replaces the resource (an attribute left out MAY be cleared)", Clause: "RFC 7644 §3.5.1",
			Steps: []scenario.Step{
				createUser("u", userBody("put", "bob", map[string]any{"title": "Engineer", "displayName": "Bob"})),
				step("PUT without title", http.MethodPut, "/Users/${u}", userBody("put", "bob", map[string]any{"displayName": "Robert"}),
					status(http.StatusOK), bodyIs("id", "${u}"), bodyIs("displayName", "Robert"), absent("title").Per(clausePutOmitted, scenario.May)),
				after(get("read back", "/Users/${u}", status(http.StatusOK), bodyIs("displayName", "Robert"), absent("title").Per(clausePutOmitted, scenario.May)), "PUT without title"),
			},
		},
		{
			ID: "crud/delete", Name: "DELETE answers 204 and the user is gone (404)", Clause: "RFC 7644 §3.6",
			Steps: []scenario.Step{
				createUser("u", userBody("del", "carol", nil)),
				step("delete", http.MethodDelete, "/Users/${u}", nil, status(http.StatusNoContent)),
				after(get("read the deleted user", "/Users/${u}", scimError(http.StatusNotFound, "")...), "delete"),
			},
		},
		{
			ID: "crud/missing-username", Name: "a user without userName is refused with 400 (scimType invalidValue is OPTIONAL)", Clause: "RFC 7643 §4.1.1; RFC 7644 §3.12",
			Steps: []scenario.Step{
				step("create without userName", http.MethodPost, "/Users", map[string]any{"schemas": []any{scim.UserURN}, "displayName": "${prefix} nameless"}, scimError(http.StatusBadRequest, "invalidValue")...),
			},
		},
		{
			ID: "crud/password-never-returned", Name: "a password is never returned", Clause: "RFC 7643 §4.1.1 (returned: never)",
			Steps: []scenario.Step{
				{
					Name:    "create with a password",
					Request: scenario.RequestTemplate{Method: http.MethodPost, Path: "/Users", Body: userBody("pw", "dan", map[string]any{"password": "t1tl3!Secret"})},
					Capture: map[string]string{"u": "id"}, Expect: []scenario.Expectation{status(http.StatusCreated), absent("password")},
				},
				after(get("read back", "/Users/${u}", status(http.StatusOK), absent("password")), "create with a password"),
			},
		},
		{
			ID: "crud/group-lifecycle", Name: "a group is created with members, read, renamed by PUT and deleted", Clause: "RFC 7644 §3.3, §3.5.1, §3.6",
			Features: []string{target.Groups},
			Steps: []scenario.Step{
				createUser("u1", userBody("grp", "erin", nil)),
				createGroup("g", "${prefix} grp team", "u1"),
				get("read the group", "/Groups/${g}", status(http.StatusOK), bodyIs("displayName", "${prefix} grp team"), bodyIs("members.0.value", "${u1}")),
				step("rename by PUT", http.MethodPut, "/Groups/${g}", map[string]any{"schemas": []any{scim.GroupURN}, "displayName": "${prefix} grp renamed", "members": []any{map[string]any{"value": "${u1}"}}},
					status(http.StatusOK), bodyIs("displayName", "${prefix} grp renamed")),
				step("delete the group", http.MethodDelete, "/Groups/${g}", nil, status(http.StatusNoContent)),
			},
		},
	}
}

const (
	// clauseLocation: "The URI of the created resource SHALL include, in
	// the HTTP "Location" header ..." (RFC 7644 §3.3).
	clauseLocation = "RFC 7644 §3.3 (the created resource's URI SHALL be in the Location header and meta.location)"
	// clauseCreatedBody: "The response body SHOULD contain the service
	// provider's representation of the newly created resource."
	clauseCreatedBody = "RFC 7644 §3.3 (the 201 body SHOULD hold the created resource)"
	// clauseUserNameKept: caseExact false governs how userName is
	// compared (uniqueness, filters), not what is stored and returned.
	clauseUserNameKept = "RFC 7643 §2.2, §4.1.1 (userName: caseExact false governs comparison; the value is kept as sent)"
	// clausePutOmitted: omitted readWrite attributes "MAY be assumed to be
	// not asserted"; the server "MAY assume that any existing values are
	// to be cleared, or ... MAY assign a default value" (RFC 7644 §3.5.1).
	clausePutOmitted = "RFC 7644 §3.5.1 (an attribute left out of a PUT: the server MAY clear it or MAY assign a default)"
)
