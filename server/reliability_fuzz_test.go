package server_test

import (
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store/memory"
)

// createSeeds are POST /Users bodies in the shapes IdPs send
// (/work/shared/idp-behaviour.md), plus the malformed shapes of
// testdata/bad-inputs.json.
var createSeeds = []string{
	// Entra ID (TUT): core+enterprise, externalId, emails, meta, name, roles [].
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"externalId":"0a21f0f2-8d2a-4f8e-bf98-7d2c1a8c9f5e","userName":"Test_User_ab6490ee@contoso.com","active":true,"emails":[{"primary":true,"type":"work","value":"Test_User_fd0ea19b@contoso.com"}],"meta":{"resourceType":"User"},"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},"roles":[]}`,
	// Entra's older examples: null for unset attributes; string booleans.
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"emp1","active":"True","displayName":null,"title":null,"emails":null,"name":{"givenName":null,"familyName":"F"}}`,
	// Entra app roles, primary as a string (validator).
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"roles@x","roles":[{"primary":"True","type":"WindowsAzureActiveDirectoryRole","value":"Admin"}]}`,
	// Enterprise extension: raw-string manager, numeric employeeNumber.
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"ext@x","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":701984,"department":"Sales","manager":"26118915-6090-4610-87e4-49d8ca9f808d"}}`,
	// Google: legacy SCIM 1.0 URN next to the 2.0 one.
	`{"schemas":["urn:scim:schemas:core:1.0","urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"user@domain.com","emails":[{"primary":true,"type":"work","value":"user@domain.com"}],"displayName":"User Name","name":{"givenName":"User","familyName":"Name"},"active":true}`,
	// Okta: externalId, groups [], password, locale, displayName.
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"isaac.brock@example.com","name":{"givenName":"Isaac","familyName":"Brock"},"emails":[{"primary":true,"value":"isaac.brock@example.com","type":"work"}],"displayName":"Isaac Brock","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true}`,
	// OneLogin: emails as a single object, SCIM 1.0 URN only, string active.
	`{"schemas":["urn:scim:schemas:core:1.0"],"userName":"ol@x","emails":{"value":"ol@x","primary":true},"active":"false"}`,
	// Okta PUT-shaped body sent to POST: id, meta, groups included.
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"abc","userName":"put@x","meta":{"resourceType":"User","version":"W/\"3\""},"groups":[{"value":"g1","display":"G"}]}`,
	// Everything of RFC 7643 §8.2.
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen","name":{"formatted":"Ms. Barbara J Jensen III","familyName":"Jensen","givenName":"Barbara","middleName":"Jane","honorificPrefix":"Ms.","honorificSuffix":"III"},"displayName":"Babs Jensen","nickName":"Babs","profileUrl":"https://login.example.com/bjensen","emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"}],"addresses":[{"type":"work","streetAddress":"100 Universal City Plaza","locality":"Hollywood","region":"CA","postalCode":"91608","country":"USA","formatted":"100 Universal City Plaza\nHollywood, CA 91608 USA","primary":true}],"phoneNumbers":[{"value":"555-555-5555","type":"work"}],"ims":[{"value":"someaimhandle","type":"aim"}],"photos":[{"value":"https://photos.example.com/profilephoto/72930000000Ccne/F","type":"photo"}],"userType":"Employee","title":"Tour Guide","preferredLanguage":"en-US","locale":"en-US","timezone":"America/Los_Angeles","active":true,"x509Certificates":[{"value":"MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"}]}`,
	// Malformed and hostile.
	``, `null`, `[]`, `"x"`, `{`, `{"userName":"a"} {}`, `{"userName":"dup","USERNAME":"dup2"}`,
	`{"userName":"x","name":[[[[[[[[[[[[]]]]]]]]]]]]}`, `{"userName":123}`, `{"userName":"x","active":"maybe"}`,
	`{"userName":"x","emails":[{"value":"a","primary":true},{"value":"b","primary":true}]}`,
	// Issue 14: dotted keys, "ſ" spellings, conflicting name forms.
	`{"userName":"d1","emails.value":"a@x"}`, `{"userName":"d2","name":{"familyName":"A"},"name.familyName":"B"}`,
	`{"userName":"d3","paſsword":"x","emails":"x@y","active":"True","department":12}`,
	"{\"userName\":\"\xff\"}", `{"userName":"x\ud800"}`, `{"userName":"x","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"x"}`,
}

// FuzzCreateUser POSTs arbitrary bodies to /Users through the server's
// handler in-process (the request decoding and normalisation path). The
// invariants: never a 5xx (a panic is recovered as a 500, so it is caught
// too); every answer passes the wire checks of checkResponse (4xx with the
// RFC 7644 §3.12 body); and a created user can be read back, re-POSTed (409
// uniqueness: the returned resource is valid input) and PUT back unchanged
// (Okta's update sends the GET result back), then is deleted so the store
// stays small.
func FuzzCreateUser(f *testing.F) {
	for _, s := range createSeeds {
		f.Add(s)
	}
	tenants := server.NewTenants()
	if err := tenants.Add(server.DefaultTenant, server.HashToken(defaultToken)); err != nil {
		f.Fatal(err)
	}
	var logs syncBuffer
	srv, err := server.New(server.Config{Store: memory.New(), Tenants: tenants,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		f.Fatal(err)
	}
	do := func(t *testing.T, method, path, body string) response {
		t.Helper()
		req := httptest.NewRequest(method, "http://scim.test/scim/v2"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+defaultToken)
		req.Header.Set("Content-Type", "application/scim+json")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		res := w.Result()
		raw, _ := io.ReadAll(res.Body)
		r := response{Status: res.StatusCode, Header: res.Header, Raw: raw}
		checkResponse(t, method+" "+path+" "+body, &r, false)
		if s := logs.String(); strings.Contains(s, "panic") {
			t.Fatalf("%s %s with %q: the server panicked:\n%s", method, path, body, s)
		}
		return r
	}
	userType, _ := schema.Default().ResourceType("User")
	f.Fuzz(func(t *testing.T, body string) {
		r := do(t, "POST", "/Users", body)
		if r.Status != http.StatusCreated {
			return
		}
		id := str(r.Body, "id")
		defer func() {
			if d := do(t, "DELETE", "/Users/"+id, ""); d.Status != http.StatusNoContent {
				t.Fatalf("DELETE the created user: status %d: %s", d.Status, d.Raw)
			}
		}()
		g := do(t, "GET", "/Users/"+id, "")
		if g.Status != http.StatusOK || !reflect.DeepEqual(withoutMeta(g.Body), withoutMeta(r.Body)) {
			t.Fatalf("POST %q gave %s, but GET gives %d %s", body, r.Raw, g.Status, g.Raw)
		}
		// Issue 14, #3: whatever was sent, what is stored is an instance
		// of the User schema.
		if err := userType.Validate(g.Body); err != nil {
			t.Fatalf("POST %q stored a user that does not validate against its schema: %v\n%s", body, err, g.Raw)
		}
		if again := do(t, "POST", "/Users", string(r.Raw)); again.Status != http.StatusConflict {
			t.Fatalf("POST %q gave %s; POSTing that back gave %d %s, want 409", body, r.Raw, again.Status, again.Raw)
		}
		p := do(t, "PUT", "/Users/"+id, string(g.Raw))
		if p.Status != http.StatusOK || !reflect.DeepEqual(withoutMeta(p.Body), withoutMeta(g.Body)) {
			t.Fatalf("POST %q gave %s; PUTting it back gave %d %s, want 200 and the same resource", body, g.Raw, p.Status, p.Raw)
		}
	})
}

// withoutMeta is a resource without meta (version and lastModified change
// with every write).
func withoutMeta(doc map[string]any) map[string]any {
	out := maps.Clone(doc)
	delete(out, "meta")
	return out
}
