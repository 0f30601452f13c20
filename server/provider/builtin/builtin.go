// Package builtin names the service providers the reference server ships,
// for serve --profile and the config file's "profile:" key. It is the one
// place that knows them all: package provider cannot, since each provider
// imports it.
package builtin

import (
	"fmt"
	"sort"
	"strings"

	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/provider/board"
	"github.com/scimharness/scimharness/server/provider/holaspirit"
	"github.com/scimharness/scimharness/server/provider/huddle"
	"github.com/scimharness/scimharness/server/provider/humbol"
)

// builtins are the providers by name; each refuses the settings it does
// not use.
var builtins = map[string]func(provider.Settings) (*provider.Provider, error){
	"humbol":     humbol.New,
	"holaspirit": holaspirit.New,
	"huddle":     huddle.New,
	"board":      board.New,
}

// Names lists the built-in providers, sorted; "strict" (the default) is
// included.
func Names() []string {
	out := []string{"strict"}
	for n := range builtins {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ByName returns the built-in provider called name, without tenant
// settings. "strict" and "" are the strict RFC behaviour, returned as nil:
// the server's default path, with no per-request cost.
func ByName(name string) (*provider.Provider, error) {
	return ByNameWith(name, provider.Settings{})
}

// ByNameWith returns the built-in provider called name configured with the
// tenant's settings. Settings a provider does not use are refused, so a
// misplaced key stops the server at start.
func ByNameWith(name string, s provider.Settings) (*provider.Provider, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" || n == "strict" {
		if !s.Empty() {
			return nil, provider.NoSettings(name)
		}
		return nil, nil
	}
	mk, ok := builtins[n]
	if !ok {
		if !s.Empty() {
			return nil, provider.NoSettings(name)
		}
		return nil, fmt.Errorf("profile %q: unknown; the profiles are %s", name, strings.Join(Names(), ", "))
	}
	return mk(s)
}
