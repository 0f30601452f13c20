package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/profile"
)

// fileConfig is the --config file. YAML, so JSON works too:
//
//	tenants:
//	  - id: acme                 # served at /t/acme/scim/v2; "default" is /scim/v2
//	    tokens: ["s3cret"]       # read once, kept only as hashes
//	    token_sha256: ["9f86…"]  # or give the hashes: no secret in the file
//	    profile: humbol          # service-provider profile; default --profile, else strict
type fileConfig struct {
	Tenants []struct {
		ID          string   `yaml:"id"`
		Tokens      []string `yaml:"tokens"`
		TokenSHA256 []string `yaml:"token_sha256"`
		Profile     string   `yaml:"profile"`
	} `yaml:"tenants"`
}

// readFileConfig reads and decodes the --config file; unknown keys are
// errors, so a misspelt key is not silently ignored.
func readFileConfig(path string) (fileConfig, error) {
	var fc fileConfig
	raw, err := os.ReadFile(path)
	if err != nil {
		return fc, fmt.Errorf("--config: %v", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil {
		return fc, fmt.Errorf("--config %s: %v", path, err)
	}
	return fc, nil
}

// loadProfiles returns each tenant's service-provider profile: the
// tenant's "profile:" in the config file, else def (--profile), else the
// strict RFC behaviour (nil). Names are checked here, so a typo stops the
// server at start rather than serving the wrong behaviour.
func loadProfiles(def, path string) (func(tenant string) *profile.Profile, error) {
	dp, err := profile.ByName(def)
	if err != nil {
		return nil, fmt.Errorf("--profile: %v", err)
	}
	per := map[string]*profile.Profile{}
	if path != "" {
		fc, err := readFileConfig(path)
		if err != nil {
			return nil, err
		}
		for _, tc := range fc.Tenants {
			if tc.Profile == "" {
				continue
			}
			p, err := profile.ByName(tc.Profile)
			if err != nil {
				return nil, fmt.Errorf("--config %s: tenant %q: %v", path, tc.ID, err)
			}
			per[tc.ID] = p
		}
	}
	if dp == nil && len(per) == 0 {
		return nil, nil // every tenant strict: the server's zero-cost path
	}
	return func(tenant string) *profile.Profile {
		if p, ok := per[tenant]; ok {
			return p
		}
		return dp
	}, nil
}

// loadTenants builds the tenant table from the default tenant's token and
// the config file. A server nobody can call is a mistake, so at least one
// token is required.
func loadTenants(token, path string) (*server.Tenants, error) {
	t := server.NewTenants()
	n := 0
	if token != "" {
		if err := t.Add(server.DefaultTenant, server.HashToken(token)); err != nil {
			return nil, err
		}
		n++
	}
	if path != "" {
		fc, err := readFileConfig(path)
		if err != nil {
			return nil, err
		}
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
		}
	}
	if n == 0 {
		return nil, errors.New("no token: pass --token, set SCIM_TOKEN, or give tenants with tokens in --config")
	}
	return t, nil
}
