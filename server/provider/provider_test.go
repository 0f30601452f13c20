package provider_test

import (
	"net/http"
	"testing"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/provider"
)

func TestAllows(t *testing.T) {
	p := provider.Humbol()
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
		t.Error("a profile without a method table must allow everything")
	}
}

func TestHumbolFilterShapes(t *testing.T) {
	p := provider.Humbol()
	rt, _ := p.Registry.ResourceType("User")
	for f, ok := range map[string]bool{
		`userName eq "a"`:                                         true,
		`emails[type eq "work"].value eq "a"`:                     true,
		`emails[value eq "a" and type eq "work"]`:                 false, // not a documented shape
		`userName eq 1`:                                           false,
		`not (userName eq "a")`:                                   false,
		`emails[type eq "work"].value eq "a" and userName eq "a"`: false,
	} {
		e, err := filter.Parse(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if got := p.Filter(rt, e) == nil; got != ok {
			t.Errorf("%s: accepted %v, want %v", f, got, ok)
		}
	}
}
