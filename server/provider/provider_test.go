package provider_test

import (
	"net/http"
	"testing"

	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/provider/humbol"
)

func TestAllows(t *testing.T) {
	p, err := humbol.New(provider.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		endpoint, method string
		allowed, known   bool
	}{
		{"/Users", http.MethodPost, true, true},
		{"/Users", http.MethodHead, true, true},
		{"/Users/{id}", http.MethodPut, false, true},
		{"/Groups", http.MethodGet, false, false},
	} {
		a, k := p.Allows(tc.endpoint, tc.method)
		if a != tc.allowed || k != tc.known {
			t.Errorf("%s %s: %v %v, want %v %v", tc.method, tc.endpoint, a, k, tc.allowed, tc.known)
		}
	}
	if got := p.Allow("/Users/{id}"); got != "DELETE, GET, HEAD, PATCH" {
		t.Errorf("Allow = %q", got)
	}
	if a, k := (&provider.Provider{}).Allows("/anything", "PUT"); !a || !k {
		t.Error("a provider without a method table must allow everything")
	}
}
