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
	"github.com/scimharness/scimharness/server/provider/huddle"
)

// builtins are the providers by name; each refuses the settings it does
// not use.
var builtins = map[string]func(provider.Settings) (*provider.Provider, error){
	"humbol":     humbol,
	"holaspirit": holaspirit,
	"huddle":     huddle.New,
	"board":      board.New,
}

func humbol(s provider.Settings) (*provider.Provider, error) {
	rm := s.RoleMapping
	s.RoleMapping = false
	if !s.Empty() {
		return nil, fmt.Errorf("profile humbol takes no actors, clients, email_domains, permission_groups or metadata (only role_mapping)")
	}
	return provider.HumbolWith(provider.Settings{RoleMapping: rm}), nil
}

func holaspirit(s provider.Settings) (*provider.Provider, error) {
	if !s.Empty() {
		return nil, noSettings("holaspirit")
	}
	return provider.Holaspirit(), nil
}

func noSettings(name string) error {
	return fmt.Errorf("profile %q takes no actors, clients, email_domains, permission_groups, metadata or role_mapping (huddle, board and humbol do)", name)
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
			return nil, noSettings(name)
		}
		return nil, nil
	}
	mk, ok := builtins[n]
	if !ok {
		if !s.Empty() {
			return nil, noSettings(name)
		}
		return nil, fmt.Errorf("profile %q: unknown; the profiles are %s", name, strings.Join(Names(), ", "))
	}
	return mk(s)
}
