package server_test

import (
	"encoding/json"
	"net/http"
	"sort"
	"testing"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/profile"
	"github.com/scimharness/scimharness/server/schema"
)

// TestProfileSchemasAgreeWithChecks: issue 14, "every profile's /Schemas
// must agree with what it enforces". For the strict server and each
// built-in profile, a user is built from the User schema the tenant
// publishes (GET /Schemas/{id}; the profile's registry where it serves no
// /Schemas, as Huddle does) with its required attributes only — what a
// client that reads the schema sends — and must be created; dropping any
// one required attribute or required sub-attribute must be refused (4xx).
// Before, Holaspirit's schema said emails was optional while the profile
// refused users without it.
func TestProfileSchemasAgreeWithChecks(t *testing.T) {
	for _, name := range profile.Names() {
		t.Run(name, func(t *testing.T) {
			pr, err := profile.ByName(name)
			if err != nil {
				t.Fatal(err)
			}
			c := newClient(t, func(cfg *server.Config) {
				cfg.Profiles = func(tenant string) *profile.Profile {
					if tenant == "acme" {
						return pr
					}
					return nil
				}
			}).tenant("acme", acmeToken)
			reg := schema.Default()
			if pr != nil && pr.Registry != nil {
				reg = pr.Registry
			}
			rt, ok := reg.ResourceType("User")
			if !ok {
				t.Skipf("profile %s has no users", name)
			}
			user := publishedSchema(t, c, pr, rt)
			post := func(body obj) (int, string) {
				t.Helper()
				// Unchecked: a profile's error body may be its service's
				// own (Holaspirit's numeric status), not RFC 7644 §3.12.
				u := c.url("/Users")
				if pr != nil && pr.CompanyPath { // Huddle: the company path, not /scim/v2
					u = c.root + "/people/companies/acme/users"
				}
				r := rawDo(t, "POST", u, js(body),
					"Authorization", "Bearer "+acmeToken, "Content-Type", scim.MediaType, "Accept", scim.MediaType)
				return r.Status, string(r.Body)
			}
			full := minimalUser(user, rt)
			if st, b := post(full); st != http.StatusCreated {
				t.Fatalf("POST of the minimal user its /Schemas describes, %s: %d %s", js(full), st, b)
			}
			for _, drop := range requiredPaths(user) {
				body := minimalUser(user, rt)
				body["userName"] = "dropped-" + drop.name()
				drop.remove(body)
				if drop.attr == "userName" {
					delete(body, "userName")
				}
				if st, b := post(body); st/100 != 4 {
					t.Errorf("without the required %s: POST %s gave %d %s, want 4xx", drop.name(), js(body), st, b)
				}
			}
		})
	}
}

// publishedSchema is the User schema as the tenant publishes it: GET
// /Schemas/{urn} where the tenant serves it, else the registry's (its JSON,
// round-tripped, so both are read the same way).
func publishedSchema(t *testing.T, c *client, pr *profile.Profile, rt *schema.ResourceType) *schema.Schema {
	t.Helper()
	var raw []byte
	served := pr == nil
	if !served {
		served, _ = pr.Allows("/Schemas/{id}", http.MethodGet)
	}
	if served {
		r := c.do("GET", "/Schemas/"+rt.Core().ID, "")
		if r.Status != http.StatusOK {
			t.Fatalf("GET /Schemas/%s: %d %s", rt.Core().ID, r.Status, r.Raw)
		}
		raw = r.Raw
	} else {
		var err error
		if raw, err = json.Marshal(rt.Core()); err != nil {
			t.Fatal(err)
		}
	}
	var s schema.Schema
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("the User schema: %v", err)
	}
	if len(s.Attributes) == 0 {
		t.Fatalf("the published User schema has no attributes: %s", raw)
	}
	return &s
}

// minimalUser is the user a schema-reading client builds: every required,
// writable attribute, with a value of its type (the first canonical value
// where there are some), and the required extensions likewise.
func minimalUser(s *schema.Schema, rt *schema.ResourceType) obj {
	u := obj{"schemas": []any{s.ID}}
	for _, a := range s.Attributes {
		if a.Required && a.Mutability != schema.ReadOnly {
			u[a.Name] = sample(a)
		}
	}
	for i, e := range rt.Extensions() {
		if !rt.SchemaExtensions[i].Required {
			continue
		}
		ext := obj{}
		for _, a := range e.Attributes {
			if a.Required && a.Mutability != schema.ReadOnly {
				ext[a.Name] = sample(a)
			}
		}
		u[e.ID] = ext
		u["schemas"] = append(u["schemas"].([]any), e.ID)
	}
	if _, ok := u["userName"]; !ok {
		u["userName"] = "minimal@example.com"
	}
	return u
}

// sample is a value of a's type: an array of one for a multi-valued one; for
// a complex one, its required sub-attributes, or its first writable one when
// none is required (an empty object would be unassigned).
func sample(a *schema.Attribute) any {
	one := func() any {
		if len(a.CanonicalValues) > 0 {
			return a.CanonicalValues[0]
		}
		switch a.Type {
		case schema.TypeBoolean:
			return true
		case schema.TypeInteger:
			return 1
		case schema.TypeDecimal:
			return 1.5
		case schema.TypeDateTime:
			return "2026-01-02T15:04:05Z"
		case schema.TypeBinary:
			return "TUlJ"
		case schema.TypeReference:
			return "https://example.com/r/1"
		case schema.TypeComplex:
			m := obj{}
			for _, sa := range a.SubAttributes {
				if sa.Required && sa.Mutability != schema.ReadOnly {
					m[sa.Name] = sample(sa)
				}
			}
			if len(m) == 0 {
				for _, sa := range a.SubAttributes {
					if sa.Mutability != schema.ReadOnly {
						m[sa.Name] = sample(sa)
						break
					}
				}
			}
			return m
		}
		return "minimal@example.com"
	}
	if a.MultiValued {
		return []any{one()}
	}
	return one()
}

// requiredPath is a required attribute, or a required sub-attribute of a
// required complex attribute, that a test drops.
type requiredPath struct{ attr, sub string }

func (p requiredPath) name() string {
	if p.sub == "" {
		return p.attr
	}
	return p.attr + "." + p.sub
}

// remove drops p from the user u built by minimalUser.
func (p requiredPath) remove(u obj) {
	if p.sub == "" {
		delete(u, p.attr)
		return
	}
	switch v := u[p.attr].(type) {
	case obj:
		delete(v, p.sub)
	case []any:
		for _, e := range v {
			delete(e.(obj), p.sub)
		}
	}
}

func requiredPaths(s *schema.Schema) []requiredPath {
	var out []requiredPath
	for _, a := range s.Attributes {
		if !a.Required || a.Mutability == schema.ReadOnly {
			continue
		}
		out = append(out, requiredPath{attr: a.Name})
		for _, sa := range a.SubAttributes {
			if sa.Required && sa.Mutability != schema.ReadOnly {
				out = append(out, requiredPath{attr: a.Name, sub: sa.Name})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name() < out[j].name() })
	return out
}
