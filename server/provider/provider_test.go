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

// A Map gives a listed tenant its own provider (nil there is strict, even
// with a Default), every other tenant the Default; a nil Map is all strict.
// All lists each provider the server must set up routes for.
func TestMap(t *testing.T) {
	def, own := &provider.Provider{Name: "def"}, &provider.Provider{Name: "own"}
	m := &provider.Map{Default: def, Tenants: map[string]*provider.Provider{"a": own, "strict": nil}}
	for _, tc := range []struct {
		m      *provider.Map
		tenant string
		want   *provider.Provider
	}{
		{m, "a", own},
		{m, "strict", nil},
		{m, "other", def},
		{&provider.Map{Tenants: m.Tenants}, "other", nil},
		{nil, "a", nil},
	} {
		if got := tc.m.Of(tc.tenant); got != tc.want {
			t.Errorf("Of(%q) = %v, want %v", tc.tenant, got, tc.want)
		}
	}
	if all := m.All(); len(all) != 2 || all[0] != def || all[1] != own {
		t.Errorf("All() = %v, want [def own]", all)
	}
	if all := (*provider.Map)(nil).All(); all != nil {
		t.Errorf("nil Map: All() = %v", all)
	}
}

// Route and ServesBase answer for a nil (strict) provider too: it has none.
func TestRouteAndBases(t *testing.T) {
	var strict *provider.Provider
	if strict.Route("/x") != nil || strict.ServesBase("/scim") {
		t.Error("a strict tenant has a route or a base")
	}
	p := &provider.Provider{Routes: []provider.Route{{Pattern: "/x/{tenant}"}}, Bases: []string{"/scim"}}
	if r := p.Route("/x/{tenant}"); r == nil || r.Pattern != "/x/{tenant}" {
		t.Errorf("Route = %v", r)
	}
	if p.Route("/y") != nil || !p.ServesBase("/scim") || p.ServesBase("/scim/v2") {
		t.Error("Route or ServesBase answers for what p does not list")
	}
}
