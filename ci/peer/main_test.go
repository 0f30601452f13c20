package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The peer must be a working SCIM server for its findings to mean anything:
// it refuses a request without the token, and creates, finds and patches.
func TestPeerServesSCIM(t *testing.T) {
	srv, err := newServer()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/", http.StripPrefix("/scim", srv))
	ts := httptest.NewServer(bearer("tok", mux))
	defer ts.Close()
	cases := []struct {
		name, method, path, token, body string
		status                          int
		contains                        string
	}{
		{"no token", "GET", "/scim/v2/Users", "", "", 401, `"status":"401"`},
		{"wrong token", "GET", "/scim/v2/Users", "nope", "", 401, `urn:ietf:params:scim:api:messages:2.0:Error`},
		{"create", "POST", "/scim/v2/Users", "tok", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada","title":"Engineer"}`, 201, `"userName":"ada"`},
		{"duplicate", "POST", "/scim/v2/Users", "tok", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ADA"}`, 409, `uniqueness`},
		{"filter", "GET", "/scim/v2/Users?filter=userName+eq+%22ada%22", "tok", "", 200, `"totalResults":1`},
		{"filter no match", "GET", "/scim/v2/Users?filter=userName+eq+%22bob%22", "tok", "", 200, `"totalResults":0`},
		{"patch replace", "PATCH", "/scim/v2/Users/1", "tok", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"Manager"}]}`, 200, `"title":"Manager"`},
		{"patch remove", "PATCH", "/scim/v2/Users/1", "tok", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"title"}]}`, 200, `"userName":"ada"`},
		{"unknown id", "GET", "/scim/v2/Users/99", "tok", "", 404, `"status":"404"`},
		{"group with a member", "POST", "/scim/v2/Groups", "tok", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"eng","members":[{"value":"1"}]}`, 201, `"displayName":"eng"`},
		{"remove the member by filter", "PATCH", "/scim/v2/Groups/1", "tok", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"1\"]"}]}`, 200, `"members":[]`},
		{"delete", "DELETE", "/scim/v2/Users/1", "tok", "", 204, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, ts.URL+c.path, strings.NewReader(c.body))
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			req.Header.Set("Content-Type", "application/scim+json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != c.status || !strings.Contains(string(b), c.contains) {
				t.Errorf("%s %s: %d %s; want %d containing %q", c.method, c.path, res.StatusCode, b, c.status, c.contains)
			}
		})
	}
}

// --users N seeds the population ci/bench.sh measures lookups against: N
// users, each found by its userName, and nothing else.
func TestSeed(t *testing.T) {
	srv, err := newServer()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/", http.StripPrefix("/scim", srv))
	if err := seed(mux, 50); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, want string }{
		{"/scim/v2/Users?count=1", `"totalResults":50`},
		{"/scim/v2/Users?filter=userName+eq+%22user0@example.com%22", `"totalResults":1`},
		{"/scim/v2/Users?filter=userName+eq+%22USER49@example.com%22", `"externalId":"ext-49"`},
		{"/scim/v2/Users?filter=userName+eq+%22user50@example.com%22", `"totalResults":0`},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.path, nil))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), c.want) {
			t.Errorf("GET %s: %d %s; want 200 containing %s", c.path, rec.Code, rec.Body, c.want)
		}
	}
	// A second seed collides with the first: seeding reports the refusal.
	if err := seed(mux, 1); err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("seeding a taken userName: %v; want a 409 error", err)
	}
}
