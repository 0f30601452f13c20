package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/scimharness/scimharness/server"
)

// fileConfig is the --config file. YAML, so JSON works too:
//
//	tenants:
//	  - id: acme                 # served at /t/acme/scim/v2; "default" is /scim/v2
//	    tokens: ["s3cret"]       # read once, kept only as hashes
//	    token_sha256: ["9f86…"]  # or give the hashes: no secret in the file
type fileConfig struct {
	Tenants []struct {
		ID          string   `yaml:"id"`
		Tokens      []string `yaml:"tokens"`
		TokenSHA256 []string `yaml:"token_sha256"`
	} `yaml:"tenants"`
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
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("--config: %v", err)
		}
		var fc fileConfig
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(&fc); err != nil {
			return nil, fmt.Errorf("--config %s: %v", path, err)
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
