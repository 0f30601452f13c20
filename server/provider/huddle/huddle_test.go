package huddle

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/schema"
)

// Check refuses a user whose email domain the company has not authorised
// (403) or whose name is not an email (400); without email_domains every
// domain is allowed.
func TestCheckDomains(t *testing.T) {
	limited, err := New(provider.Settings{EmailDomains: []string{"@Example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	open, err := New(provider.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	ut, _ := limited.Registry.ResourceType("User")
	for _, tc := range []struct {
		name   string
		p      *provider.Provider
		doc    map[string]any
		status int // 0: accepted
	}{
		{"authorised", limited, map[string]any{"userName": "a@example.COM"}, 0},
		{"other domain", limited, map[string]any{"userName": "a@other.org"}, http.StatusForbidden},
		{"other domain in emails", limited, map[string]any{"userName": "a@example.com", "emails": []any{map[string]any{"value": "a@other.org"}}}, http.StatusForbidden},
		{"not an email", limited, map[string]any{"userName": "alice"}, http.StatusBadRequest},
		{"every domain", open, map[string]any{"userName": "a@other.org"}, 0},
	} {
		err := tc.p.Check(provider.Create, ut, nil, tc.doc)
		if got := schema.AsError(err); (err == nil) != (tc.status == 0) || (err != nil && got.Status != tc.status) {
			t.Errorf("%s: %v, want status %d", tc.name, err, tc.status)
		}
	}
}

// The seed's "Authorization: OAuth2 <token>" and Bearer both carry the
// token; other schemes carry none.
func TestToken(t *testing.T) {
	for h, want := range map[string]string{"OAuth2 abc": "abc", "bearer abc": "abc", "Basic abc": "", "abc": "", "": ""} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", h)
		if got := token(r); got != want {
			t.Errorf("token(%q) = %q, want %q", h, got, want)
		}
	}
}

// The answer is XML or JSON by Accept, first match wins; without Accept it
// follows the request's Content-Type.
func TestWantsXML(t *testing.T) {
	for _, tc := range []struct {
		accept, contentType string
		xml, ok             bool
	}{
		{"application/xml", "", true, true},
		{"text/xml", "", true, true},
		{"application/scim+json, application/xml", "", false, true},
		{"*/*", "application/xml", false, true},
		{"", "application/xml", true, true},
		{"", "application/scim+json", false, true},
		{"text/html", "", false, false},
	} {
		r := httptest.NewRequest("POST", "/", nil)
		if tc.accept != "" {
			r.Header.Set("Accept", tc.accept)
		}
		r.Header.Set("Content-Type", tc.contentType)
		if x, ok := wantsXML(r); x != tc.xml || ok != tc.ok {
			t.Errorf("Accept %q, Content-Type %q: xml %v ok %v, want %v %v", tc.accept, tc.contentType, x, ok, tc.xml, tc.ok)
		}
	}
}
