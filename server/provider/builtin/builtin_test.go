package builtin_test

import (
	"slices"
	"testing"

	"github.com/scimharness/scimharness/server/provider/builtin"
)

// Every built-in provider loads from the embedded fixtures
// (FixtureRegistry panics otherwise) and has a User type; strict is nil, the
// server's default path.
func TestBuiltins(t *testing.T) {
	if p, err := builtin.ByName("strict"); p != nil || err != nil {
		t.Errorf("strict = %v, %v; want nil, nil", p, err)
	}
	if p, err := builtin.ByName(""); p != nil || err != nil {
		t.Errorf(`"" = %v, %v; want nil, nil`, p, err)
	}
	if _, err := builtin.ByName("nope"); err == nil {
		t.Error("an unknown provider was accepted")
	}
	for _, n := range builtin.Names() {
		if n == "strict" {
			continue
		}
		p, err := builtin.ByName(n)
		if err != nil || p == nil || p.Name != n {
			t.Fatalf("%s: %v, %v", n, p, err)
		}
		if _, ok := p.Registry.ResourceType("User"); !ok {
			t.Errorf("%s has no User type", n)
		}
		if _, ok := p.Registry.ResourceType("Group"); ok != (n == "board") {
			t.Errorf("%s has groups: %v; only Board's Permission Groups are", n, ok)
		}
	}
	if !slices.Equal(builtin.Names(), []string{"board", "holaspirit", "huddle", "humbol", "strict"}) {
		t.Errorf("Names() = %v", builtin.Names())
	}
}
