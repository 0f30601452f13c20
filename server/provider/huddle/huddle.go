// Package huddle is the provider of Huddle's SCIM user provisioning (seed
// 002): the company's Users endpoint outside the SCIM base URL, its
// <scimUser> XML bodies, actor permissions and authorised email domains.
package huddle

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/schema"
)

// New is the provider of Huddle's SCIM user provisioning (seed 002), with
// the company's settings (actors, clients, email_domains; empty settings:
// every email domain authorised, no OAuth2 clients):
//
//   - the company is the tenant, and its users are at
//     POST /people/companies/{company}/users and
//     GET /people/companies/{company}/users/{id} (no /scim/v2 endpoints:
//     those answer 404);
//   - bodies are SCIM JSON (application/scim+json) or the seed's
//     <scimUser> XML document (application/xml), chosen by Content-Type for
//     the request and Accept for the answer;
//   - 201 Created with a Location header and meta.location, both the
//     /people/companies/… URL of the user;
//   - 403 when the actor lacks provisioning permission (an actor listed
//     with provisioning: false, or an OAuth2 client without it), when the
//     actor's token is of another company, and when the email domain of the
//     user (userName, emails) is not one of the company's email_domains;
//     400 for an invalid request, 409 for a user that exists;
//   - authentication is "Authorization: OAuth2 <token>" (the seed's scheme)
//     or Bearer, with a tenant token or one issued by the client-credentials
//     token endpoint /t/{company}/connect/token.
func New(s provider.Settings) (*provider.Provider, error) {
	if len(s.PermissionGroups) > 0 || s.Metadata != nil {
		return nil, fmt.Errorf("profile huddle: permission_groups and metadata are Board settings")
	}
	acc, err := s.Access("")
	if err != nil {
		return nil, fmt.Errorf("profile huddle: %v", err)
	}
	domains := make([]string, 0, len(s.EmailDomains))
	for _, d := range s.EmailDomains {
		domains = append(domains, strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@")))
	}
	return &provider.Provider{
		Name:        "huddle",
		Description: "Huddle (seed 002): /people/companies/{company}/users, JSON or XML, actor permissions and email domains",
		Registry:    provider.FixtureRegistry("huddle"),
		Methods:     map[string][]string{}, // no /scim/v2 endpoint
		Routes: []provider.Route{
			{Pattern: usersPattern, Serve: serveUsers, Token: token},
			{Pattern: usersPattern + "/{id}", Serve: serveUsers, Token: token},
		},
		Access:    acc,
		Authorize: authorize,
		Check: func(_ provider.Op, rt *schema.ResourceType, _, doc map[string]any) error {
			if rt.ID != "User" || len(domains) == 0 {
				return nil
			}
			addrs := []string{}
			if u, ok := doc["userName"].(string); ok {
				addrs = append(addrs, u)
			}
			for _, e := range provider.Values(doc, "emails") {
				if v, ok := e["value"].(string); ok {
					addrs = append(addrs, v)
				}
			}
			for _, a := range addrs {
				_, d, ok := strings.Cut(a, "@")
				if !ok {
					return schema.Errorf(schema.InvalidValue, "%q is not an email address; Huddle users are named by email", a)
				}
				if !slices.Contains(domains, strings.ToLower(d)) {
					return schema.StatusError(http.StatusForbidden, "the email domain %q is not authorized for this company", d)
				}
			}
			return nil
		},
	}, nil
}

// Provisioning is the permission of an actor or client that may provision
// users (seed 002); the config key "provisioning: true" grants it.
const Provisioning = "provisioning"

// authorize lets only actors with provisioning permission use the API
// (seed 002: "Actor does not have provisioning permissions" is a 403).
func authorize(p provider.Principal) error {
	if !p.Has(Provisioning) {
		return schema.StatusError(http.StatusForbidden, "the actor does not have provisioning permissions")
	}
	return nil
}
