// Package humbol is the provider of Humbol's SCIM API (seed 000, with
// Entra's Humbol mapping of seed 001): users with one organization role,
// two filters, no groups.
package humbol

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/patch"
	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/schema"
)

// Roles are Humbol's five organization roles (seed 000, "Application
// roles"), carried in roles[primary eq "True"].value.
var Roles = []string{"Admin", "External admin", "Member", "Light Member", "External member"}

// New is the provider of Humbol's SCIM API (seed 000, with Entra's Humbol
// mapping of seed 001):
//
//   - Users only: /Groups, /Bulk, /.search, /ServiceProviderConfig and
//     /ResourceTypes are not part of its API and answer 404;
//   - the method matrix of its documentation: /Schemas GET, /Users POST and
//     GET, /Users/{id} GET, PATCH and DELETE; any other method 405;
//   - /Schemas lists exactly the attributes it supports (the 13 targets of
//     Entra's Humbol mapping);
//   - userName, active, name.givenName, name.familyName and one and only one
//     emails[type eq "work"] are always required (400 otherwise);
//   - roles are optional unless the tenant's role_mapping is on (then
//     every user has one), but a user that has roles has exactly one, the
//     primary one, and its value is one of [Roles];
//   - the only filters are `userName eq "…"` and
//     `emails[type eq "work"].value eq "…"` (400 invalidFilter otherwise).
//
// Its per-organization SCIM URL is the tenant's base URL,
// /t/{organization}/scim/v2.
//
// Its one setting is role_mapping: with it, a user without a role is
// refused too.
func New(s provider.Settings) (*provider.Provider, error) {
	rm := s.RoleMapping
	s.RoleMapping = false
	if !s.Empty() {
		return nil, fmt.Errorf("profile humbol takes no actors, clients, email_domains, permission_groups or metadata (only role_mapping)")
	}
	check := humbolCheck
	if rm {
		check = func(op provider.Op, rt *schema.ResourceType, old, doc map[string]any) error {
			if err := humbolCheck(op, rt, old, doc); err != nil {
				return err
			}
			if rt.ID == "User" && len(provider.Values(doc, "roles")) == 0 {
				return schema.Errorf(schema.InvalidValue,
					`role mapping is on: every Humbol user has precisely one role in roles[primary eq "True"].value (%s)`,
					strings.Join(Roles, ", "))
			}
			return nil
		}
	}
	return &provider.Provider{
		Name:        "humbol",
		Description: "Humbol SCIM API (seed 000): users with one organization role, two filters, no groups",
		Registry:    provider.FixtureRegistry("humbol"),
		Methods: map[string][]string{
			"/Schemas":      {http.MethodGet},
			"/Schemas/{id}": {http.MethodGet},
			"/Users":        {http.MethodGet, http.MethodPost},
			"/Users/{id}":   {http.MethodGet, http.MethodPatch, http.MethodDelete},
		},
		Filter:   humbolFilter,
		Check:    check,
		PatchOps: oneRole,
	}, nil
}

// humbolFilter accepts the two filters Humbol documents and nothing else:
// an IdP that relies on another (externalId eq, for matching) must learn it
// from a 400 here rather than in production.
func humbolFilter(_ *schema.ResourceType, f filter.Expr) error {
	switch e := f.(type) {
	case filter.Compare:
		if isAttr(e.Path, "userName", "") && e.Op == filter.Eq {
			if _, ok := str(e.Value); ok {
				return nil
			}
		}
	case filter.ValuePath:
		// emails[type eq "work"].value eq "x" parses as
		// emails[type eq "work" and value eq "x"].
		if and, ok := e.Filter.(filter.And); ok && isAttr(e.Path, "emails", "") {
			l, lok := and.Left.(filter.Compare)
			r, rok := and.Right.(filter.Compare)
			if lok && rok && isWorkType(l) && isValueEq(r) {
				return nil
			}
		}
	}
	return schema.Errorf(schema.InvalidFilter,
		`Humbol supports only the filters userName eq "…" and emails[type eq "work"].value eq "…"; got %s`, f)
}

func isWorkType(c filter.Compare) bool {
	s, ok := str(c.Value)
	return ok && c.Op == filter.Eq && strings.EqualFold(c.Path.Name, "type") && c.Path.Sub == "" && strings.EqualFold(s, "work")
}

func isValueEq(c filter.Compare) bool {
	_, ok := str(c.Value)
	return ok && c.Op == filter.Eq && strings.EqualFold(c.Path.Name, "value") && c.Path.Sub == ""
}

// humbolCheck enforces what Humbol's documentation says is "always
// required" beyond the schema's top-level required flags, and its role rule.
func humbolCheck(_ provider.Op, rt *schema.ResourceType, _, doc map[string]any) error {
	if rt.ID != "User" {
		return nil
	}
	name, _ := doc["name"].(map[string]any)
	for _, sub := range []string{"givenName", "familyName"} {
		if s, _ := name[sub].(string); s == "" {
			return schema.Errorf(schema.InvalidValue, "name.%s is required", sub)
		}
	}
	if _, ok := doc["active"].(bool); !ok {
		return schema.Errorf(schema.InvalidValue, "active is required")
	}
	work := workEmails(doc)
	if len(work) != 1 {
		return schema.Errorf(schema.InvalidValue, `exactly one emails[type eq "work"] is required, got %d`, len(work))
	}
	if v, _ := work[0]["value"].(string); v == "" {
		return schema.Errorf(schema.InvalidValue, `emails[type eq "work"].value is required`)
	}
	roles := provider.Values(doc, "roles")
	switch {
	case len(roles) == 0:
		return nil // roles are optional: an admin sets them inside Humbol
	case len(roles) > 1:
		return schema.Errorf(schema.InvalidValue, "a Humbol user has exactly one role, got %d", len(roles))
	}
	v, _ := roles[0]["value"].(string)
	if !slices.Contains(Roles, v) {
		return schema.Errorf(schema.InvalidValue, "role %q is not a Humbol organization role; the roles are %s",
			v, strings.Join(Roles, ", "))
	}
	// The one role is the primary one: Humbol reads it at
	// roles[primary eq "True"], whatever the client sent.
	roles[0]["primary"] = true
	return nil
}

// workEmails returns the emails of doc whose type is "work".
func workEmails(doc map[string]any) []map[string]any {
	var out []map[string]any
	for _, e := range provider.Values(doc, "emails") {
		if t, _ := e["type"].(string); strings.EqualFold(t, "work") {
			out = append(out, e)
		}
	}
	return out
}

// isAttr reports whether p names attribute name (no URN or the core URN,
// case-insensitive) with sub-attribute sub.
func isAttr(p filter.AttrPath, name, sub string) bool {
	return (p.URN == "" || strings.EqualFold(p.URN, scim.UserURN)) &&
		strings.EqualFold(p.Name, name) && strings.EqualFold(p.Sub, sub)
}

// str is v as a string; ok is false if v is not one.
func str(v any) (string, bool) {
	s, ok := v.(string)
	return s, ok
}

// oneRole reads an add to roles as the user's new role: a Humbol user has
// precisely one, the primary one (seed 001), and Entra's
// SingleAppRoleAssignment PATCHes a changed role as
// {"op":"Add","path":"roles","value":[{"value":"{\"id\":…,\"value\":\"Admin\",…}"}]}
// — the role as JSON text in value (Microsoft Learn, "Customize attribute
// mappings": "the request formats in the PATCH and POST differ"). A service
// that keeps one role must replace it with the role the text names.
// Inferred: the seed is silent on how Humbol reads the add.
func oneRole(rt *schema.ResourceType, ops []patch.Operation) []patch.Operation {
	if rt.ID != "User" {
		return ops
	}
	out := make([]patch.Operation, len(ops))
	for i, op := range ops {
		if schema.EqualName(op.Op, "add") && schema.EqualName(op.Path, "roles") {
			if list, ok := op.Value.([]any); ok && len(list) > 0 {
				if e, ok := list[len(list)-1].(map[string]any); ok {
					v := e["value"]
					if text, ok := v.(string); ok {
						var named struct{ Value string }
						if json.Unmarshal([]byte(text), &named) == nil && named.Value != "" {
							v = named.Value
						}
					}
					op = patch.Operation{Op: "replace", Path: "roles", Value: []any{map[string]any{"value": v, "primary": true}}}
				}
			}
		}
		out[i] = op
	}
	return out
}
