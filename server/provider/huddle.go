package provider

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/scimharness/scimharness/server/schema"
)

// Huddle is the profile of Huddle's SCIM user provisioning (seed 002) with
// no tenant settings: every email domain authorised, no OAuth2 clients.
// See [HuddleWith].
func Huddle() *Provider {
	p, _ := HuddleWith(Settings{})
	return p
}

// HuddleWith is the profile of Huddle's SCIM user provisioning (seed 002):
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
func HuddleWith(s Settings) (*Provider, error) {
	acc, err := s.access("")
	if err != nil {
		return nil, fmt.Errorf("profile huddle: %v", err)
	}
	domains := make([]string, 0, len(s.EmailDomains))
	for _, d := range s.EmailDomains {
		domains = append(domains, strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@")))
	}
	return &Provider{
		Name:        "huddle",
		Description: "Huddle (seed 002): /people/companies/{company}/users, JSON or XML, actor permissions and email domains",
		Registry:    load("huddle"),
		Methods:     map[string][]string{}, // no /scim/v2 endpoint
		CompanyPath: true,
		Access:      acc,
		Authorize: func(p Principal) error {
			if !p.Provisioning {
				return schema.StatusError(http.StatusForbidden, "the actor does not have provisioning permissions")
			}
			return nil
		},
		Check: func(_ Op, rt *schema.ResourceType, _, doc map[string]any) error {
			if rt.ID != "User" || len(domains) == 0 {
				return nil
			}
			addrs := []string{}
			if u, ok := doc["userName"].(string); ok {
				addrs = append(addrs, u)
			}
			for _, e := range multi(doc, "emails") {
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

// HuddleXMLType is the media type of Huddle's XML bodies.
const HuddleXMLType = "application/xml"

// huddleXMLUser is exactly the seed's <scimUser> document.
type huddleXMLUser struct {
	XMLName           xml.Name         `xml:"scimUser"`
	XSD               string           `xml:"xmlns:xsd,attr,omitempty"`
	XSI               string           `xml:"xmlns:xsi,attr,omitempty"`
	Schemas           []string         `xml:"schemas>schema"`
	ID                string           `xml:"id,omitempty"`
	UserName          string           `xml:"userName,omitempty"`
	Name              *huddleXMLName   `xml:"name,omitempty"`
	PhoneNumbers      []huddleXMLPhone `xml:"phoneNumbers>phoneNumber,omitempty"`
	Title             string           `xml:"title,omitempty"`
	PreferredLanguage string           `xml:"preferredLanguage,omitempty"`
	Timezone          string           `xml:"timezone,omitempty"`
	Meta              *huddleXMLMeta   `xml:"meta,omitempty"`
}

type huddleXMLName struct {
	GivenName  string `xml:"givenName,omitempty"`
	FamilyName string `xml:"familyName,omitempty"`
}

type huddleXMLPhone struct {
	Value string `xml:"value"`
}

type huddleXMLMeta struct {
	Location string `xml:"location"`
}

// DecodeHuddleXML reads the seed's <scimUser> document into the SCIM JSON
// document it stands for. Elements the seed does not show are ignored.
func DecodeHuddleXML(raw []byte) (map[string]any, error) {
	var u huddleXMLUser
	d := xml.NewDecoder(bytes.NewReader(raw))
	if err := d.Decode(&u); err != nil {
		return nil, schema.Errorf(schema.InvalidSyntax, "request body is not a <scimUser> XML document: %v", err)
	}
	doc := map[string]any{}
	if len(u.Schemas) > 0 {
		ss := make([]any, 0, len(u.Schemas))
		for _, s := range u.Schemas {
			ss = append(ss, strings.TrimSpace(s))
		}
		doc["schemas"] = ss
	}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			doc[k] = v
		}
	}
	set("userName", u.UserName)
	set("title", u.Title)
	set("preferredLanguage", u.PreferredLanguage)
	set("timezone", u.Timezone)
	if u.Name != nil {
		n := map[string]any{}
		if v := strings.TrimSpace(u.Name.GivenName); v != "" {
			n["givenName"] = v
		}
		if v := strings.TrimSpace(u.Name.FamilyName); v != "" {
			n["familyName"] = v
		}
		if len(n) > 0 {
			doc["name"] = n
		}
	}
	if len(u.PhoneNumbers) > 0 {
		ps := []any{}
		for _, p := range u.PhoneNumbers {
			ps = append(ps, map[string]any{"value": strings.TrimSpace(p.Value)})
		}
		doc["phoneNumbers"] = ps
	}
	return doc, nil
}

// EncodeHuddleXML writes a rendered user document as the seed's
// <scimUser> XML document, with its XML declaration. Attributes the
// document does not have (emails, …) are left out, as in the seed.
func EncodeHuddleXML(doc map[string]any) []byte {
	u := huddleXMLUser{
		XSD: "http://www.w3.org/2001/XMLSchema",
		XSI: "http://www.w3.org/2001/XMLSchema-instance",
	}
	for _, s := range asSlice(doc["schemas"]) {
		if s, ok := s.(string); ok {
			u.Schemas = append(u.Schemas, s)
		}
	}
	u.ID, _ = doc["id"].(string)
	u.UserName, _ = doc["userName"].(string)
	u.Title, _ = doc["title"].(string)
	u.PreferredLanguage, _ = doc["preferredLanguage"].(string)
	u.Timezone, _ = doc["timezone"].(string)
	if n, ok := doc["name"].(map[string]any); ok {
		u.Name = &huddleXMLName{}
		u.Name.GivenName, _ = n["givenName"].(string)
		u.Name.FamilyName, _ = n["familyName"].(string)
	}
	for _, p := range multi(doc, "phoneNumbers") {
		v, _ := p["value"].(string)
		u.PhoneNumbers = append(u.PhoneNumbers, huddleXMLPhone{Value: v})
	}
	if m, ok := doc["meta"].(map[string]any); ok {
		if l, ok := m["location"].(string); ok {
			u.Meta = &huddleXMLMeta{Location: l}
		}
	}
	out, err := xml.MarshalIndent(u, "", "  ")
	if err != nil {
		// Only strings go in; MarshalIndent cannot fail on them.
		panic(err)
	}
	return append([]byte(`<?xml version="1.0" encoding="utf-8"?>`+"\n"), append(out, '\n')...)
}

func asSlice(v any) []any { s, _ := v.([]any); return s }
