package checks

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/wire"
)

// etagMatchesVersion expects an ETag header equal to meta.version.
func etagMatchesVersion() scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		doc, err := ex.JSON()
		if ex.Status() != http.StatusOK || err != nil {
			return nil
		}
		et := ex.Response.Header.Get("ETag")
		v, _ := scenario.Lookup(doc, "meta.version")
		if et == "" {
			return fmt.Errorf("no ETag header (RFC 7644 §3.14)")
		}
		if fmt.Sprint(v) != et {
			return fmt.Errorf("ETag %q differs from meta.version %s (RFC 7644 §3.14)", et, judge.Render(v))
		}
		return nil
	})
}

func withHeaders(st scenario.Step, h map[string]string) scenario.Step {
	st.Request.Headers = h
	return st
}

func etag() []Check {
	const c = "RFC 7644 §3.14"
	f := []string{target.ETag}
	read := scenario.Step{Name: "read the user and its ETag", Request: scenario.RequestTemplate{Method: http.MethodGet, Path: "/Users/${u}"},
		Capture: map[string]string{"etag": "header:ETag"}, Expect: []scenario.Expectation{status(http.StatusOK), etagMatchesVersion()}}
	return []Check{
		{ID: "etag/header", Name: "a resource has an ETag equal to meta.version", Clause: c, Features: f,
			Steps: []scenario.Step{createUser("u", userBody("etag", "eve", nil)), read}},
		{ID: "etag/if-none-match", Name: "If-None-Match with the current ETag answers 304", Clause: c, Features: f, Level: scenario.Should,
			Steps: []scenario.Step{createUser("u", userBody("etnm", "eve", nil)), read,
				withHeaders(get("GET with If-None-Match", "/Users/${u}", status(http.StatusNotModified)), map[string]string{"If-None-Match": "${etag}"})}},
		{ID: "etag/if-match-stale", Name: "If-Match with a stale ETag is refused with 412", Clause: c, Features: append(f, target.Patch),
			Steps: []scenario.Step{createUser("u", userBody("etim", "eve", nil)), read,
				withHeaders(step("PATCH with the right If-Match", http.MethodPatch, "/Users/${u}", patchOp(op("replace", "title", "One")), patched()), map[string]string{"If-Match": "${etag}"}),
				withHeaders(step("PATCH with the now stale If-Match", http.MethodPatch, "/Users/${u}", patchOp(op("replace", "title", "Two")), scimError(http.StatusPreconditionFailed, "")...), map[string]string{"If-Match": "${etag}"}),
				get("read back: the first change only", "/Users/${u}", status(http.StatusOK), bodyIs("title", "One"))}},
	}
}

func bulk() []Check {
	bulkOK := scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		doc, err := ex.JSON()
		if ex.Status() != http.StatusOK || err != nil {
			return nil
		}
		ops, _ := doc["Operations"].([]any)
		if len(ops) != 2 {
			return fmt.Errorf("expected 2 operation results, got %d", len(ops))
		}
		for i, o := range ops {
			m, _ := o.(map[string]any)
			st, ok := m["status"].(string)
			if !ok || !strings.HasPrefix(st, "2") {
				return fmt.Errorf("operation %d has status %s; RFC 7644 §3.7.3 makes it a string like \"201\"", i+1, judge.Render(m["status"]))
			}
		}
		return nil
	})
	return []Check{{
		ID: "bulk/create-with-bulk-id", Name: "POST /Bulk creates a user and a group referring to it by bulkId", Clause: "RFC 7644 §3.7",
		Features: []string{target.Bulk, target.Groups},
		Steps: []scenario.Step{
			{
				Name: "POST /Bulk",
				Request: scenario.RequestTemplate{Method: http.MethodPost, Path: "/Bulk", Body: map[string]any{
					"schemas": []any{scim.BulkRequestURN},
					"Operations": []any{
						map[string]any{"method": "POST", "path": "/Users", "bulkId": "u1", "data": userBody("bulk", "fay", nil)},
						map[string]any{"method": "POST", "path": "/Groups", "bulkId": "g1", "data": map[string]any{"schemas": []any{scim.GroupURN}, "displayName": "${prefix} bulk team", "members": []any{map[string]any{"value": "bulkId:u1"}}}},
					},
				}},
				Capture: map[string]string{"g": "Operations.1.location"},
				Expect:  []scenario.Expectation{status(http.StatusOK), bodyIs("schemas", []any{scim.BulkResponseURN}), bulkOK},
			},
			{Name: "read the group at its location", Build: func(v scenario.Vars) (client.Request, error) {
				// The location is absolute: sent as is, not as a template
				// (which would escape it into a path segment).
				return client.Request{Method: http.MethodGet, Path: fmt.Sprint(v["g"])}, nil
			}, When: "g", Expect: []scenario.Expectation{status(http.StatusOK), present("members.0.value")}},
		},
	}}
}

func misc() []Check {
	return []Check{
		{
			ID: "me/get", Name: "GET /Me returns the user, or 501 with a SCIM error when /Me is not supported", Clause: "RFC 7644 §3.11", Level: scenario.Should,
			Steps: []scenario.Step{get("GET /Me", "/Me", status(http.StatusOK, http.StatusNotImplemented), mediaType(), judge.Voice{}.SCIMError(http.StatusNotImplemented))},
		},
		{
			ID: "content/response-media-type", Name: "answers are application/scim+json", Clause: "RFC 7644 §3.1, §8.1",
			Steps: []scenario.Step{createUser("u", userBody("ctype", "gil", nil)), get("GET the user", "/Users/${u}", status(http.StatusOK), mediaType())},
		},
		{
			ID: "content/accept-json", Name: "Accept: application/json is served", Clause: "RFC 7644 §3.8", Level: scenario.Should,
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

func errorChecks() []Check {
	const c = "RFC 7644 §3.12"
	return []Check{
		{ID: "errors/not-found", Name: "an unknown id answers 404 with a SCIM error", Clause: c,
			Steps: []scenario.Step{get("GET an unknown user", "/Users/${prefix}-no-such-id", scimError(http.StatusNotFound, "")...)}},
		{ID: "errors/unauthorized", Name: "a request without credentials answers 401", Clause: "RFC 7644 §2, §3.12",
			Steps: []scenario.Step{
				withHeaders(get("GET /Users without a token", "/Users", append([]scenario.Expectation{status(http.StatusUnauthorized)}, atAll(scenario.Should, scimError(http.StatusUnauthorized, "")[1:])...)...), map[string]string{"Authorization": ""}),
			}},
		{ID: "errors/invalid-json", Name: "an unparsable body is refused with 400 invalidSyntax", Clause: c,
			Steps: []scenario.Step{{Name: "POST broken JSON", Request: scenario.RequestTemplate{Method: http.MethodPost, Path: "/Users", RawBody: `{"userName": "${prefix}-broken",`}, Expect: scimError(http.StatusBadRequest, "invalidSyntax")}}},
		{ID: "errors/mutability", Name: "changing a readOnly attribute (id) by PATCH is refused with 400 mutability", Clause: "RFC 7644 §3.5.2, §3.12", Features: []string{target.Patch},
			Steps: []scenario.Step{createUser("u", userBody("mut", "ian", nil)),
				step("PATCH replace id", http.MethodPatch, "/Users/${u}", patchOp(op("replace", "id", "${prefix}-other")), scimError(http.StatusBadRequest, "mutability")...)}},
		{ID: "errors/unknown-endpoint", Name: "an unknown endpoint answers 404 with a SCIM error", Clause: c, Level: scenario.Should,
			Steps: []scenario.Step{get("GET /NoSuchEndpoint", "/NoSuchEndpoint", scimError(http.StatusNotFound, "")...)}},
	}
}

// atAll grades every expectation at l.
func atAll(l scenario.Level, es []scenario.Expectation) []scenario.Expectation {
	out := make([]scenario.Expectation, len(es))
	for i, e := range es {
		out[i] = e.At(l)
	}
	return out
}

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
				get("read back", "/Users/${u}", status(http.StatusOK), rolesAre("Admin"))}},
		{ID: "roles/replace-removes", Name: "replace roles with a new list removes the old roles (Entra assertive mode)", Clause: c + "; RFC 7644 §3.5.2.3", Features: []string{target.Patch},
			Steps: []scenario.Step{createUser("u", userBody("rrp", "ro", map[string]any{"roles": []any{role("User", nil), role("Admin", nil)}})),
				step("PATCH replace roles", http.MethodPatch, "/Users/${u}", patchOp(op("replace", "roles", []any{role("Reader", nil)})), patched()),
				get("read back", "/Users/${u}", status(http.StatusOK), rolesAre("Reader"))}},
		{ID: "roles/remove-all", Name: "remove roles leaves the user without roles", Clause: c + "; RFC 7644 §3.5.2.2", Features: []string{target.Patch},
			Steps: []scenario.Step{createUser("u", userBody("rrm", "ro", map[string]any{"roles": []any{role("User", nil)}})),
				step("PATCH remove roles", http.MethodPatch, "/Users/${u}", patchOp(op("remove", "roles", nil)), patched()),
				get("read back", "/Users/${u}", status(http.StatusOK), absent("roles"))}},
	}
}
