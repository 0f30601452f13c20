package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/provider/board"
	"github.com/scimharness/scimharness/server/provider/builtin"
	"github.com/scimharness/scimharness/server/provider/huddle"
)

// fileConfig is the --config file. YAML, so JSON works too:
//
//	tenants:
//	  - id: acme                 # served at /t/acme/scim/v2; "default" is /scim/v2
//	    tokens: ["s3cret"]       # read once, kept only as hashes
//	    token_sha256: ["9f86…"]  # or give the hashes: no secret in the file
//	    profile: humbol          # service-provider profile; default --profile, else strict (re-read while serving)
//
// Huddle and Board tenants take more (see the docs of huddle.New and
// board.New, packages server/provider/…):
//
//   - id: "123"                # Huddle: the company, /people/companies/123/users
//     profile: huddle
//     token_sha256: ["…"]      # plain tokens: actors with provisioning permission
//     actors:                  # tokens with permissions (also tokens of the tenant)
//   - {name: viewer, token_sha256: "…", provisioning: false}
//     email_domains: [example.com]   # empty: every domain
//     clients:                 # OAuth2 client credentials at /t/123/connect/token
//   - {id: frootymcnooty, secret_sha256: "…", provisioning: true, token_minutes: 60}
//   - id: hub                  # Board
//     profile: board
//     clients:                 # Client API users; scope board-scim
//   - {id: idp, secret_sha256: "…", scim: true, token_minutes: 1440}  # at most 259200
//     permission_groups:       # served as SCIM Groups
//   - {name: Planners, default: true}
//   - {name: Archived, disabled: true}
//     metadata: [name.givenName, name.familyName, emails, active]  # SCIM attributes mapped to metadata
type fileConfig struct {
	Tenants []tenantConfig `yaml:"tenants"`
}

type tenantConfig struct {
	ID          string   `yaml:"id"`
	Tokens      []string `yaml:"tokens"`
	TokenSHA256 []string `yaml:"token_sha256"`
	Profile     string   `yaml:"profile"`

	Actors           []actorConfig           `yaml:"actors"`
	EmailDomains     []string                `yaml:"email_domains"`
	Clients          []clientConfig          `yaml:"clients"`
	PermissionGroups []permissionGroupConfig `yaml:"permission_groups"`
	Metadata         []string                `yaml:"metadata"`
	// RoleMapping (Humbol): the IdP maps roles, so every user has one.
	RoleMapping bool `yaml:"role_mapping"`
}

// actorConfig is a Huddle actor: a token with permissions.
type actorConfig struct {
	Name         string `yaml:"name"`
	TokenSHA256  string `yaml:"token_sha256"`
	Provisioning bool   `yaml:"provisioning"`
}

// clientConfig is an OAuth 2.0 client (Huddle, Board).
type clientConfig struct {
	ID           string `yaml:"id"`
	SecretSHA256 string `yaml:"secret_sha256"`
	SCIM         bool   `yaml:"scim"`
	Provisioning bool   `yaml:"provisioning"`
	TokenMinutes int    `yaml:"token_minutes"`
}

// permissionGroupConfig is a Board permission group.
type permissionGroupConfig struct {
	Name     string `yaml:"name"`
	Default  bool   `yaml:"default"`
	Disabled bool   `yaml:"disabled"`
}

// configTypes names the config's parts in its own terms, with their keys,
// for error messages: the Go types are nobody's business but ours.
var configTypes = map[string]struct{ what, keys string }{
	"fileConfig":            {"at the top level", "tenants"},
	"tenantConfig":          {"in a tenant", "id, tokens, token_sha256, profile, actors, email_domains, clients, permission_groups, metadata, role_mapping"},
	"actorConfig":           {"in an actor", "name, token_sha256, provisioning"},
	"clientConfig":          {"in a client", "id, secret_sha256, scim, provisioning, token_minutes"},
	"permissionGroupConfig": {"in a permission group", "name, default, disabled"},
}

var (
	yamlUnknownKey = regexp.MustCompile(`^line (\d+): field (\S+) not found in type main\.(\w+)$`)
	yamlBadValue   = regexp.MustCompile(`^line (\d+): cannot unmarshal !!(\w+) (.*) into (.+)$`)
	yamlLine       = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
)

// configError is a decoding error of the --config file in the file's own
// terms, one "FILE:LINE: message" per problem.
func configError(path string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n")
	var out []string
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimSpace(line)
		if m := yamlUnknownKey.FindStringSubmatch(line); m != nil {
			t := configTypes[m[3]]
			out = append(out, fmt.Sprintf("%s:%s: unknown key %q %s (known: %s)", path, m[1], m[2], t.what, t.keys))
		} else if m := yamlBadValue.FindStringSubmatch(line); m != nil {
			out = append(out, fmt.Sprintf("%s:%s: %s is not %s", path, m[1], m[3], valueKind(m[4])))
		} else if m := yamlLine.FindStringSubmatch(line); m != nil {
			out = append(out, fmt.Sprintf("%s:%s: %s", path, m[1], m[2]))
		} else if line != "" {
			out = append(out, fmt.Sprintf("%s: %s", path, strings.TrimPrefix(line, "yaml: ")))
		}
	}
	return errors.New(strings.Join(out, "\n"))
}

// valueKind is what a Go type expects, in YAML's words.
func valueKind(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case goType == "bool":
		return "true or false"
	case goType == "int" || goType == "int64":
		return "a whole number"
	case goType == "string":
		return "a string"
	}
	return "a mapping of keys"
}

// settings is the tenant's profile settings.
func (tc tenantConfig) settings() (provider.Settings, error) {
	var s provider.Settings
	for _, a := range tc.Actors {
		h, err := server.ParseTokenHash(a.TokenSHA256)
		if err != nil {
			return s, fmt.Errorf("actor %q: %v", a.Name, err)
		}
		s.Actors = append(s.Actors, provider.Actor{Name: a.Name, TokenSHA256: h, Grants: grants(a.Provisioning, false)})
	}
	s.EmailDomains = tc.EmailDomains
	for _, c := range tc.Clients {
		h, err := server.ParseTokenHash(c.SecretSHA256)
		if err != nil {
			return s, fmt.Errorf("client %q: secret_sha256: %v", c.ID, err)
		}
		if c.TokenMinutes < 0 || c.TokenMinutes > 259200 {
			return s, fmt.Errorf("client %q: token_minutes %d: use 1 to 259200 (180 days)", c.ID, c.TokenMinutes)
		}
		s.Clients = append(s.Clients, provider.Client{
			ID: c.ID, SecretSHA256: h, Lifetime: time.Duration(c.TokenMinutes) * time.Minute,
			Principal: provider.Principal{Grants: grants(c.Provisioning, c.SCIM)},
		})
	}
	for _, g := range tc.PermissionGroups {
		s.PermissionGroups = append(s.PermissionGroups, provider.PermissionGroup{Name: g.Name, Default: g.Default, Disabled: g.Disabled})
	}
	s.Metadata = tc.Metadata
	s.RoleMapping = tc.RoleMapping
	return s, nil
}

func (tc tenantConfig) hasSettings() bool {
	return len(tc.Actors) > 0 || len(tc.EmailDomains) > 0 || len(tc.Clients) > 0 ||
		len(tc.PermissionGroups) > 0 || tc.Metadata != nil || tc.RoleMapping
}

// readFileConfig reads and decodes the --config file; unknown keys are
// errors, so a misspelt key is not silently ignored.
func readFileConfig(path string) (fileConfig, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fileConfig{}, fmt.Errorf("--config: %v", err)
	}
	return parseFileConfig(path, raw)
}

// parseFileConfig decodes raw, the content of the --config file at path.
func parseFileConfig(path string, raw []byte) (fileConfig, error) {
	var fc fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
		return fc, configError(path, err)
	}
	// A tenant id given twice would merge two tenants' tokens silently.
	var doc struct {
		Tenants []yaml.Node `yaml:"tenants"`
	}
	_ = yaml.Unmarshal(raw, &doc) // decoded above: cannot fail now
	first := map[string]int{}
	for i, tc := range fc.Tenants {
		line := 0
		if i < len(doc.Tenants) {
			line = doc.Tenants[i].Line
		}
		if prev, ok := first[tc.ID]; ok && tc.ID != "" {
			return fc, fmt.Errorf("%s:%d: tenant id %q is given twice (first at line %d): each tenant once, with all its tokens", path, line, tc.ID, prev)
		}
		first[tc.ID] = line
	}
	return fc, nil
}

// loadProfiles returns each tenant's service-provider profile: the
// tenant's "profile:" in the config file, else def (--profile), else the
// strict RFC behaviour (nil). Names are checked here, so a typo stops the
// server at start rather than serving the wrong behaviour.
func loadProfiles(def, path string) (*provider.Map, error) {
	var fc fileConfig
	if path != "" {
		var err error
		if fc, err = readFileConfig(path); err != nil {
			return nil, err
		}
	}
	return profilesOf(def, path, fc)
}

// profilesOf is loadProfiles of the decoded file fc.
func profilesOf(def, path string, fc fileConfig) (*provider.Map, error) {
	dp, err := builtin.ByName(def)
	if err != nil {
		return nil, fmt.Errorf("--profile: %v", err)
	}
	per := map[string]*provider.Provider{}
	if path != "" {
		for _, tc := range fc.Tenants {
			if tc.Profile == "" && tc.hasSettings() {
				tc.Profile = def // actors, clients… go with --profile
			}
			if tc.Profile == "" {
				continue
			}
			set, err := tc.settings()
			if err != nil {
				return nil, fmt.Errorf("--config %s: tenant %q: %v", path, tc.ID, err)
			}
			p, err := builtin.ByNameWith(tc.Profile, set)
			if err != nil {
				return nil, fmt.Errorf("--config %s: tenant %q: %v", path, tc.ID, err)
			}
			per[tc.ID] = p
		}
	}
	if dp == nil && len(per) == 0 {
		return nil, nil // every tenant strict: the server's zero-cost path
	}
	return &provider.Map{Default: dp, Tenants: per}, nil
}

// loadTenants builds the tenant table from the default tenant's token and
// the config file. A server nobody can call is a mistake, so at least one
// token is required.
func loadTenants(token, path string) (*server.Tenants, error) {
	var fc fileConfig
	if path != "" {
		var err error
		if fc, err = readFileConfig(path); err != nil {
			return nil, err
		}
	}
	return tenantsOf(token, path, fc)
}

// tenantsOf is loadTenants of the decoded file fc.
func tenantsOf(token, path string, fc fileConfig) (*server.Tenants, error) {
	t := server.NewTenants()
	n := 0
	if token != "" {
		if err := t.Add(server.DefaultTenant, server.HashToken(token)); err != nil {
			return nil, err
		}
		n++
	}
	if path != "" {
		for i, tc := range fc.Tenants {
			if tc.ID == "" {
				return nil, fmt.Errorf("--config %s: tenant %d has no id", path, i+1)
			}
			for _, tok := range tc.Tokens {
				if tok == "" {
					return nil, fmt.Errorf("--config %s: tenant %q has an empty token", path, tc.ID)
				}
				if err := t.Add(tc.ID, server.HashToken(tok)); err != nil {
					return nil, fmt.Errorf("--config %s: %v", path, err)
				}
				n++
			}
			for _, hs := range tc.TokenSHA256 {
				h, err := server.ParseTokenHash(hs)
				if err != nil {
					return nil, fmt.Errorf("--config %s: tenant %q: %v", path, tc.ID, err)
				}
				if err := t.Add(tc.ID, h); err != nil {
					return nil, fmt.Errorf("--config %s: %v", path, err)
				}
				n++
			}
			// An actor's token is a token of the tenant; its permissions
			// are the profile's business.
			for _, a := range tc.Actors {
				h, err := server.ParseTokenHash(a.TokenSHA256)
				if err != nil {
					return nil, fmt.Errorf("--config %s: tenant %q: actor %q: %v", path, tc.ID, a.Name, err)
				}
				if err := t.Add(tc.ID, h); err != nil {
					return nil, fmt.Errorf("--config %s: %v", path, err)
				}
				n++
			}
			// OAuth2 clients get their tokens from the token endpoint.
			n += len(tc.Clients)
		}
	}
	if n == 0 {
		return nil, errors.New("no token: pass --token, set SCIM_TOKEN, or give tenants with tokens in --config")
	}
	return t, nil
}

// configPoll is how often serve looks at its --config file for changes.
const configPoll = time.Second

// watchConfig applies changes of the --config file to the running server
// until ctx ends: tokens, so `scimharness token create/revoke` takes effect
// without a restart on every replica that reads the file, and each tenant's
// profile with its settings (actors' permissions, clients, Board's
// permission groups…), for the requests that start after the change. The
// file is read every configPoll (it is small; token create/revoke replace
// it by a rename, which a content comparison sees whatever the clock's
// resolution). A file that does not load is refused as a whole: the old
// tokens and profiles stay, and the error is logged once in the file's own
// terms. A profile change the server cannot apply running (a profile with
// routes or base paths it was not started with: server.SetProviders) is
// refused alone, logged once per version of the file; the tokens of that
// version are applied. Each change is logged as counts per tenant and
// profile names, never a token or its hash.
func watchConfig(ctx context.Context, w configWatch) {
	last, _ := os.ReadFile(w.path) // what serve loaded at start
	applied := map[string]string{}
	if fc, err := parseFileConfig(w.path, last); err == nil {
		applied = profileKeys(w.profile, fc)
	}
	refused := false
	t := time.NewTicker(configPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		raw, err := os.ReadFile(w.path)
		if err == nil && bytes.Equal(raw, last) {
			continue
		}
		var (
			fc       fileConfig
			next     *server.Tenants
			profiles *provider.Map
		)
		if err != nil {
			err = fmt.Errorf("--config: %v", err)
		} else if fc, err = parseFileConfig(w.path, raw); err == nil {
			if next, err = tenantsOf(w.token, w.path, fc); err == nil {
				profiles, err = profilesOf(w.profile, w.path, fc)
			}
		}
		if err != nil {
			if !refused { // once per broken version, not every second
				w.logger.Error("config not reloaded: keeping the tokens and profiles in use", "config", w.path, "err", err)
			}
			refused, last = true, raw
			continue
		}
		refused, last = false, raw
		if w.addSecret != nil {
			w.addSecret(w.token)
			for _, tc := range fc.Tenants {
				for _, s := range tc.Tokens {
					w.addSecret(s)
				}
			}
		}
		changes := w.tenants.Replace(next)
		keys := profileKeys(w.profile, fc)
		if len(changes) == 0 && maps.Equal(keys, applied) {
			w.logger.Info("config reloaded: no token or profile changed", "config", w.path)
		}
		for _, id := range slices.Sorted(maps.Keys(changes)) {
			w.logger.Info("config reloaded", "config", w.path, "tenant", id, "tokens_added", changes[id].Added, "tokens_revoked", changes[id].Removed)
		}
		if maps.Equal(keys, applied) {
			continue // the providers in use stay, and the tenants they seeded
		}
		if err := w.setProviders(profiles); err != nil {
			w.logger.Error("config profiles not reloaded: keeping the profiles in use", "config", w.path, "err", err)
			continue
		}
		for _, id := range changedKeys(applied, keys) {
			name := "strict"
			if p := profiles.Of(id); p != nil {
				name = p.Name
			}
			w.logger.Info("config reloaded: profile", "config", w.path, "tenant", id, "profile", name)
		}
		applied = keys
	}
}

// configWatch is what watchConfig applies a changed --config file to.
type configWatch struct {
	token, profile, path string // --token, --profile, --config
	tenants              *server.Tenants
	setProviders         func(*provider.Map) error // server.SetProviders
	addSecret            func(string)              // the recorder's, or nil
	logger               *slog.Logger
}

// profileKeys is, per tenant of fc with a profile or settings, what its
// provider is built from (the profile name, def when not given, and the
// settings), as a string to compare: equal keys, the same provider. Tokens
// are left out (they are the tenant table's); the keys hold the settings'
// hashes and are never logged.
func profileKeys(def string, fc fileConfig) map[string]string {
	out := map[string]string{}
	for _, tc := range fc.Tenants {
		if tc.Profile == "" && tc.hasSettings() {
			tc.Profile = def
		}
		if tc.Profile == "" {
			continue
		}
		tc.Tokens, tc.TokenSHA256 = nil, nil
		out[tc.ID] = fmt.Sprintf("%#v", tc)
	}
	return out
}

// changedKeys are the tenants whose key differs between a and b, sorted.
func changedKeys(a, b map[string]string) []string {
	var out []string
	for id := range a {
		if a[id] != b[id] {
			out = append(out, id)
		}
	}
	for id := range b {
		if _, ok := a[id]; !ok {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// grants are the permissions the config's booleans give: Huddle's
// provisioning and Board's "enable SCIM endpoint".
func grants(provisioning, scimEnabled bool) []string {
	var g []string
	if provisioning {
		g = append(g, huddle.Provisioning)
	}
	if scimEnabled {
		g = append(g, board.SCIMEnabled)
	}
	return g
}
