// Package board is the provider of Board's SCIM API (seed 003): the short
// base URL, client-credentials tokens for SCIM-enabled Client API users,
// Permission Groups served as SCIM Groups, and the metadata mapping.
package board

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/schema"
)

// SCIMEnabled is the permission of a Client API user with "enable SCIM
// endpoint" turned on (seed 003); the config key "scim: true" grants it.
const SCIMEnabled = "scim"

// Scope is the scope Board's token endpoint requires (seed 003).
const Scope = "board-scim"

// DefaultMetadata is the metadata mapping of a Board tenant whose
// config gives none: the seed's example, "synchronize a User's familyName,
// givenName and userName (email login) but not activeFlag".
var DefaultMetadata = []string{"name.familyName", "name.givenName"}

// New is the provider of the Board SCIM API service (seed 003), with the
// subscription's settings (clients, permission_groups, metadata):
//
//   - the SCIM API is at /t/{tenant}/scim (the seed's
//     https://your-subscription-hub-url/scim/Users/<id>; /scim for the
//     default tenant), and at the usual /t/{tenant}/scim/v2;
//   - OAuth2 client credentials, sent in the form body, at
//     /t/{tenant}/connect/token (/connect/token for the default tenant),
//     scope "board-scim"; each Client API user's token lifetime is set in
//     minutes, at most 259,200 (180 days); an expired token is a 401;
//   - only Client API users with "enable SCIM endpoint" (scim: true) may
//     call the SCIM API: another client's token is a 403;
//   - Permission Groups are SCIM Groups: they are created in the
//     Subscription Hub (the tenant's permission_groups), so /Groups serves
//     GET and membership PATCH but no POST, PUT or DELETE;
//   - a user created through SCIM joins the default Permission Group, unless
//     it is disabled (then no group);
//   - a user attribute is kept only when it is mapped to a metadata field
//     (the tenant's metadata; userName, the login, and externalId always;
//     by default [DefaultMetadata]): others are
//     ignored, as data the subscription does not synchronize;
//   - Client API users are invisible to SCIM (never listed) and cannot be
//     managed through it: a user named as one is refused (409).
//
// Plain tenant tokens keep working as a SCIM-enabled client would, so the
// conformance harness can run against a Board tenant.
func New(s provider.Settings) (*provider.Provider, error) {
	if len(s.Actors) > 0 || len(s.EmailDomains) > 0 {
		return nil, fmt.Errorf("profile board: actors and email_domains are Huddle settings; Board authenticates clients")
	}
	acc, err := s.Access(Scope)
	if err != nil {
		return nil, fmt.Errorf("profile board: %v", err)
	}
	defaults := 0
	for _, g := range s.PermissionGroups {
		if g.Name == "" {
			return nil, fmt.Errorf("profile board: a permission group has no name")
		}
		if g.Default {
			defaults++
		}
	}
	if defaults > 1 {
		return nil, fmt.Errorf("profile board: there can be only one default permission group, got %d", defaults)
	}
	meta := s.Metadata
	if meta == nil {
		meta = DefaultMetadata
	}
	mapped := map[string]bool{}
	for _, m := range meta {
		mapped[strings.ToLower(m)] = true
	}
	var clients []string
	if acc != nil {
		for id := range acc.Clients {
			clients = append(clients, id)
		}
	}
	groups := &permissionGroups{groups: s.PermissionGroups}
	return &provider.Provider{
		Name:        "board",
		Description: "Board SCIM API (seed 003): client-credentials tokens, SCIM-enabled clients, Permission Groups, metadata mapping",
		Registry:    registry(mapped),
		Methods: map[string][]string{
			"/ServiceProviderConfig": {http.MethodGet},
			"/Schemas":               {http.MethodGet},
			"/Schemas/{id}":          {http.MethodGet},
			"/ResourceTypes":         {http.MethodGet},
			"/ResourceTypes/{id}":    {http.MethodGet},
			"/Users":                 {http.MethodGet, http.MethodPost},
			"/Users/{id}":            {http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete},
			"/Groups":                {http.MethodGet},
			"/Groups/{id}":           {http.MethodGet, http.MethodPatch},
		},
		Access: acc,
		// "…/scim/Users/<user id>"; /scim/v2 keeps working.
		Bases: []string{"/scim"},
		Authorize: func(p provider.Principal) error {
			if p.Client && !p.Has(SCIMEnabled) {
				return schema.StatusError(http.StatusForbidden,
					`Client API user %q does not have the "enable SCIM endpoint" option turned on`, p.Name)
			}
			return nil
		},
		Seed:     groups.seed,
		Created:  groups.join,
		PatchOps: provider.KnownPaths, // unmapped attributes are ignored, in PATCH too
		Check: func(_ provider.Op, rt *schema.ResourceType, _, doc map[string]any) error {
			if rt.ID != "User" {
				return nil
			}
			if u, ok := doc["userName"].(string); ok {
				for _, c := range clients {
					if strings.EqualFold(c, u) {
						return schema.Errorf(schema.Uniqueness,
							"%q is a Client API user; Board SCIM does not manage Client API users", u)
					}
				}
			}
			keepMapped(doc, mapped)
			return nil
		},
	}, nil
}

// registry is the default registry (Users with the enterprise extension,
// and Groups) declaring of User only what keepMapped keeps: userName, the
// mapped attributes and what the server itself sets (readOnly, such as
// groups). A client reading /Schemas then sees what the subscription
// synchronizes instead of attributes it would silently lose.
func registry(mapped map[string]bool) *schema.Registry {
	return schema.Default().Keep(func(id, path string, a *schema.Attribute) bool {
		lp := strings.ToLower(path)
		switch {
		case strings.EqualFold(id, scim.UserURN):
			return lp == "username" || a.Mutability == schema.ReadOnly || mapped[lp]
		case strings.EqualFold(id, scim.EnterpriseUserURN):
			return mapped[strings.ToLower(id)+":"+lp]
		}
		return true
	})
}

// keepMapped drops the attributes of doc that are not mapped to a metadata
// field; userName (the login) and externalId (the IdP's key for the user)
// are always kept. mapped holds lower-case paths: "title", "name.givenName",
// "urn:…:User:department".
func keepMapped(doc map[string]any, mapped map[string]bool) {
	for k, v := range doc {
		lk := strings.ToLower(k)
		if lk == "username" || lk == "externalid" || lk == "schemas" || mapped[lk] {
			continue
		}
		sub, ok := v.(map[string]any)
		if !ok {
			delete(doc, k)
			continue
		}
		// A complex attribute or an extension: keep the mapped parts.
		sep := "."
		if strings.HasPrefix(lk, "urn:") {
			sep = ":"
		}
		for sk := range sub {
			if !mapped[lk+sep+strings.ToLower(sk)] {
				delete(sub, sk)
			}
		}
		if len(sub) == 0 {
			delete(doc, k)
		}
	}
}
