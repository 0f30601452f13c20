package huddle

import (
	"bytes"
	"encoding/xml"
	"strings"

	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/schema"
)

// XMLType is the media type of Huddle's XML bodies.
const XMLType = "application/xml"

// xmlUser is exactly the seed's <scimUser> document.
type xmlUser struct {
	XMLName           xml.Name   `xml:"scimUser"`
	XSD               string     `xml:"xmlns:xsd,attr,omitempty"`
	XSI               string     `xml:"xmlns:xsi,attr,omitempty"`
	Schemas           []string   `xml:"schemas>schema"`
	ID                string     `xml:"id,omitempty"`
	UserName          string     `xml:"userName,omitempty"`
	Name              *xmlName   `xml:"name,omitempty"`
	PhoneNumbers      []xmlPhone `xml:"phoneNumbers>phoneNumber,omitempty"`
	Title             string     `xml:"title,omitempty"`
	PreferredLanguage string     `xml:"preferredLanguage,omitempty"`
	Timezone          string     `xml:"timezone,omitempty"`
	Meta              *xmlMeta   `xml:"meta,omitempty"`
}

type xmlName struct {
	GivenName  string `xml:"givenName,omitempty"`
	FamilyName string `xml:"familyName,omitempty"`
}

type xmlPhone struct {
	Value string `xml:"value"`
}

type xmlMeta struct {
	Location string `xml:"location"`
}

// DecodeXML reads the seed's <scimUser> document into the SCIM JSON
// document it stands for. Elements the seed does not show are ignored.
func DecodeXML(raw []byte) (map[string]any, error) {
	var u xmlUser
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

// EncodeXML writes a rendered user document as the seed's
// <scimUser> XML document, with its XML declaration. Attributes the
// document does not have (emails, …) are left out, as in the seed.
func EncodeXML(doc map[string]any) []byte {
	u := xmlUser{
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
		u.Name = &xmlName{}
		u.Name.GivenName, _ = n["givenName"].(string)
		u.Name.FamilyName, _ = n["familyName"].(string)
	}
	for _, p := range provider.Values(doc, "phoneNumbers") {
		v, _ := p["value"].(string)
		u.PhoneNumbers = append(u.PhoneNumbers, xmlPhone{Value: v})
	}
	if m, ok := doc["meta"].(map[string]any); ok {
		if l, ok := m["location"].(string); ok {
			u.Meta = &xmlMeta{Location: l}
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
