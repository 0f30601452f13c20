package humbol_test

import (
	"reflect"
	"testing"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/patch"
	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/provider/humbol"
)

// TestFilterShapes: Humbol's two documented filters pass, every other
// shape is refused, even one the strict server could run.
func TestFilterShapes(t *testing.T) {
	p, err := humbol.New(provider.Settings{})
	if err != nil {
		t.Fatal(err)
	}
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

// TestAddRoleReplacesTheRole: Entra's SingleAppRoleAssignment adds the new
// role as JSON text; Humbol, with one role per user, replaces the role with
// the one the text names. Other operations pass unchanged.
func TestAddRoleReplacesTheRole(t *testing.T) {
	p, err := humbol.New(provider.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	rt, _ := p.Registry.ResourceType("User")
	in := []patch.Operation{
		{Op: "Add", Path: "roles", Value: []any{map[string]any{"value": `{"id":"1","value":"Member","displayName":"Member"}`}}},
		{Op: "add", Path: "roles", Value: []any{map[string]any{"value": "Admin"}}},
		{Op: "replace", Path: "title", Value: "x"},
	}
	got := p.PatchOps(rt, in)
	want := []patch.Operation{
		{Op: "replace", Path: "roles", Value: []any{map[string]any{"value": "Member", "primary": true}}},
		{Op: "replace", Path: "roles", Value: []any{map[string]any{"value": "Admin", "primary": true}}},
		{Op: "replace", Path: "title", Value: "x"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
}
