// Package holaspirit is the provider of Holaspirit's SCIM 2.0 API (seed
// 004): users only, unknown fields ignored silently (PATCH paths included),
// and the missing-emails error body its documentation quotes.
package holaspirit

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/schema"
)

// MissingEmails is the error body Holaspirit's troubleshooting
// section quotes for a user without emails (seed 004), verbatim: a numeric
// status and a Python-dict detail, unlike RFC 7644 §3.12.
const MissingEmails = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":400,"detail":"{'emails': ['This field is required.']}"}`

// New is the provider of Holaspirit's SCIM 2.0 API (seed 004), which takes
// no tenant settings:
//
//   - bearer provisioning key (the tenant's token); Users only — /Groups
//     answers 404 ("Groups are not implemented: Send only Users");
//   - it keeps email, name.givenName and name.familyName, preferredLanguage
//     (its "language"), timezone, the work phone, the work address (its
//     "Locations") and privilege (member or inactive); other fields, other
//     phone and address types included, are ignored silently — in PATCH as
//     in POST and PUT;
//   - active is only read when updating a member: a created member is
//     active; active=false later suspends it;
//   - no soft delete: DELETE removes the member;
//   - a user without emails gets exactly the 400 body the seed quotes.
//
// The seed does not list the methods; the provider serves the strict set for
// Users and the discovery endpoints, and no /Bulk or /.search.
func New(s provider.Settings) (*provider.Provider, error) {
	if !s.Empty() {
		return nil, provider.NoSettings("holaspirit")
	}
	return &provider.Provider{
		Name:        "holaspirit",
		Description: "Holaspirit SCIM 2.0 (seed 004): users only, unknown fields ignored, quoted missing-emails error",
		Registry:    provider.FixtureRegistry("holaspirit"),
		Methods: map[string][]string{
			"/ServiceProviderConfig": {http.MethodGet},
			"/Schemas":               {http.MethodGet},
			"/Schemas/{id}":          {http.MethodGet},
			"/ResourceTypes":         {http.MethodGet},
			"/ResourceTypes/{id}":    {http.MethodGet},
			"/Users":                 {http.MethodGet, http.MethodPost},
			"/Users/{id}":            {http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete},
		},
		Check:    check,
		PatchOps: provider.KnownPaths, // other fields are ignored silently, in PATCH too
	}, nil
}

func check(op provider.Op, rt *schema.ResourceType, _, doc map[string]any) error {
	if rt.ID != "User" {
		return nil
	}
	if len(provider.Values(doc, "emails")) == 0 {
		return &provider.RawError{Status: http.StatusBadRequest, Body: json.RawMessage(MissingEmails)}
	}
	if p, ok := doc["privilege"].(string); ok && p != "member" && p != "inactive" {
		return schema.Errorf(schema.InvalidValue, `privilege must be "member" or "inactive", got %q`, p)
	}
	keepWork(doc, "phoneNumbers")
	keepWork(doc, "addresses")
	if op == provider.Create {
		// "active (only available when updating a member)".
		doc["active"] = true
	}
	return nil
}

// keepWork keeps only the values of type "work" of a multi-valued
// attribute: Holaspirit saves the work phone and the work address only.
func keepWork(doc map[string]any, name string) {
	vs, ok := doc[name].([]any)
	if !ok {
		return
	}
	kept := vs[:0]
	for _, v := range vs {
		if m, ok := v.(map[string]any); ok {
			if t, _ := m["type"].(string); strings.EqualFold(t, "work") {
				kept = append(kept, m)
			}
		}
	}
	if len(kept) == 0 {
		delete(doc, name)
	} else {
		doc[name] = kept
	}
}
