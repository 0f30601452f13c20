package humbol_test

import (
	"testing"

	"github.com/scimharness/scimharness/server/filter"
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
