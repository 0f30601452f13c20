package server_test

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/provider/builtin"
	"github.com/scimharness/scimharness/server/provider/huddle"
	"github.com/scimharness/scimharness/server/store/memory"
)

// Huddle's companies and actors (seed 002): company 123 authorises
// example.com; its admin may provision, its viewer may not; 456 is another
// company. frootymcnooty/vonbootycherooty is the seed's OAuth2 client.
const (
	huddleAdmin   = "huddle-admin"
	huddleViewer  = "huddle-viewer"
	huddleOther   = "huddle-other-company"
	huddleClient  = "frootymcnooty"
	huddleSecret  = "vonbootycherooty"
	huddleNoPerms = "readonly-client"
)

// huddleServer is a server whose tenants 123 and 456 are Huddle companies;
// acme and the default tenant stay strict.
func huddleServer(t *testing.T) string {
	t.Helper()
	sum := func(s string) [32]byte { return server.HashToken(s) }
	p123, err := builtin.ByNameWith("huddle", provider.Settings{
		Actors:       []provider.Actor{{Name: "viewer", TokenSHA256: sum(huddleViewer)}},
		EmailDomains: []string{"example.com"},
		Clients: []provider.Client{
			{ID: huddleClient, SecretSHA256: sum(huddleSecret), Principal: provider.Principal{Grants: []string{huddle.Provisioning}}},
			{ID: huddleNoPerms, SecretSHA256: sum("s"), Principal: provider.Principal{}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	p456, err := huddle.New(provider.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	ts := newServer(t, func(c *server.Config) {
		for tenant, tok := range map[string]string{"123": huddleAdmin, "456": huddleOther} {
			if err := c.Tenants.Add(tenant, server.HashToken(tok)); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Tenants.Add("123", server.HashToken(huddleViewer)); err != nil {
			t.Fatal(err)
		}
		c.Providers = &provider.Map{Tenants: map[string]*provider.Provider{"123": p123, "456": p456}}
	})
	return ts.URL
}

type rawResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// rawDo sends a request and returns the answer unchecked: Huddle answers
// XML, which the SCIM client's checks would refuse. headers are name/value
// pairs.
func rawDo(t *testing.T, method, u, body string, headers ...string) rawResponse {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return rawResponse{res.StatusCode, res.Header, raw}
}

// The seed's JSON create body, with the seed's (obfuscated) address
// replaced.
func huddleJSON(userName string) string {
	return `{
"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
"userName":"` + userName + `",
"name":{"familyName": "Jensen","givenName": "Barbara"},
"phoneNumbers":[{"value":"555-555-8377"}],
"title":"Tour Guide",
"preferredLanguage":"en-US",
"timezone":"America/Los_Angeles"
}`
}

// The seed's XML create body.
func huddleXML(userName string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<scimUser xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<schemas>
<schema>urn:ietf:params:scim:schemas:core:2.0:User</schema>
</schemas>
<userName>` + userName + `</userName>
<name>
<givenName>Barbara</givenName>
<familyName>Jensen</familyName>
</name>
<phoneNumbers>
<phoneNumber>
<value>555-555-5555</value>
</phoneNumber>
</phoneNumbers>
<title>Tour Guide</title>
<preferredLanguage>en-US</preferredLanguage>
<timezone>America/Los_Angeles</timezone>
</scimUser>`
}

// huddleUserXML is what a test reads back from an XML answer.
type huddleUserXML struct {
	XMLName  xml.Name `xml:"scimUser"`
	Schemas  []string `xml:"schemas>schema"`
	ID       string   `xml:"id"`
	UserName string   `xml:"userName"`
	Given    string   `xml:"name>givenName"`
	Family   string   `xml:"name>familyName"`
	Phones   []string `xml:"phoneNumbers>phoneNumber>value"`
	Title    string   `xml:"title"`
	Lang     string   `xml:"preferredLanguage"`
	TZ       string   `xml:"timezone"`
	Location string   `xml:"meta>location"`
}

// huddleToken gets an access token from company 123's token endpoint.
func huddleToken(t *testing.T, root, id, secret string) string {
	t.Helper()
	r := rawDo(t, "POST", root+"/t/123/connect/token",
		url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}.Encode(),
		"Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("token endpoint: %d %s", r.Status, r.Body)
	}
	return tok.AccessToken
}

// TestHuddleCreate reproduces seed 002's create: the route, both formats,
// 201 with Location and meta.location, and every row of its error table.
func TestHuddleCreate(t *testing.T) {
	root := huddleServer(t)
	users := root + "/people/companies/123/users"
	clientTok := huddleToken(t, root, huddleClient, huddleSecret)
	noPermsTok := huddleToken(t, root, huddleNoPerms, "s")
	const (
		scimJSON = "application/scim+json"
		appXML   = "application/xml"
	)
	for _, tc := range []struct {
		name        string
		url         string
		auth        string
		contentType string
		accept      string
		body        string
		status      int
		answerXML   bool
	}{
		{"JSON in, JSON out (seed)", users, "OAuth2 " + huddleAdmin, scimJSON, scimJSON, huddleJSON("bjensen@example.com"), 201, false},
		{"XML in, XML out (seed)", users, "OAuth2 " + huddleAdmin, appXML, appXML, huddleXML("bxml@example.com"), 201, true},
		{"JSON in, XML out", users, "OAuth2 " + huddleAdmin, scimJSON, appXML, huddleJSON("mixed1@example.com"), 201, true},
		{"XML in, JSON out", users, "OAuth2 " + huddleAdmin, appXML, scimJSON, huddleXML("mixed2@example.com"), 201, false},
		{"XML without Accept answers XML", users, "OAuth2 " + huddleAdmin, appXML, "", huddleXML("noaccept@example.com"), 201, true},
		{"Bearer scheme too", users, "Bearer " + huddleAdmin, scimJSON, scimJSON, huddleJSON("bearer@example.com"), 201, false},
		{"client-credentials token", users, "OAuth2 " + clientTok, scimJSON, scimJSON, huddleJSON("oauth@example.com"), 201, false},
		{"email domain is case-insensitive", users, "OAuth2 " + huddleAdmin, scimJSON, scimJSON, huddleJSON("upper@EXAMPLE.com"), 201, false},

		{"actor without provisioning permission", users, "OAuth2 " + huddleViewer, scimJSON, scimJSON, huddleJSON("v@example.com"), 403, false},
		{"client without provisioning permission", users, "OAuth2 " + noPermsTok, scimJSON, scimJSON, huddleJSON("np@example.com"), 403, false},
		{"actor not in company", users, "OAuth2 " + huddleOther, scimJSON, scimJSON, huddleJSON("o@example.com"), 403, false},
		{"actor of a strict tenant is not in company", users, "OAuth2 " + acmeToken, scimJSON, scimJSON, huddleJSON("a@example.com"), 403, false},
		{"email domain not authorized", users, "OAuth2 " + huddleAdmin, scimJSON, scimJSON, huddleJSON("bjensen@elsewhere.org"), 403, false},
		{"email domain not authorized (XML)", users, "OAuth2 " + huddleAdmin, appXML, appXML, huddleXML("bjensen@elsewhere.org"), 403, false},
		{"invalid: no userName", users, "OAuth2 " + huddleAdmin, scimJSON, scimJSON, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"title":"x"}`, 400, false},
		{"invalid: userName not an email", users, "OAuth2 " + huddleAdmin, scimJSON, scimJSON, huddleJSON("bjensen"), 400, false},
		{"invalid: malformed JSON", users, "OAuth2 " + huddleAdmin, scimJSON, scimJSON, `{"userName":`, 400, false},
		{"invalid: malformed XML", users, "OAuth2 " + huddleAdmin, appXML, appXML, `<scimUser><userName>x</scimUser>`, 400, false},
		{"invalid: another XML document", users, "OAuth2 " + huddleAdmin, appXML, appXML, `<user><userName>z@example.com</userName></user>`, 400, false},
		{"already exists", users, "OAuth2 " + huddleAdmin, scimJSON, scimJSON, huddleJSON("bjensen@example.com"), 409, false},
		{"already exists (XML, other case)", users, "OAuth2 " + huddleAdmin, appXML, appXML, huddleXML("BJensen@example.com"), 409, false},

		{"no token", users, "", scimJSON, scimJSON, huddleJSON("n@example.com"), 401, false},
		{"unknown token", users, "OAuth2 nope", scimJSON, scimJSON, huddleJSON("n@example.com"), 401, false},
		{"another scheme", users, "Basic " + huddleAdmin, scimJSON, scimJSON, huddleJSON("n@example.com"), 401, false},
		{"unsupported Content-Type", users, "OAuth2 " + huddleAdmin, "text/plain", scimJSON, "hello", 415, false},
		{"unacceptable Accept", users, "OAuth2 " + huddleAdmin, scimJSON, "text/html", huddleJSON("n@example.com"), 406, false},
		{"not a Huddle company", root + "/people/companies/acme/users", "OAuth2 " + acmeToken, scimJSON, scimJSON, huddleJSON("n@example.com"), 404, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := []string{"Content-Type", tc.contentType}
			if tc.auth != "" {
				h = append(h, "Authorization", tc.auth)
			}
			if tc.accept != "" {
				h = append(h, "Accept", tc.accept)
			}
			r := rawDo(t, "POST", tc.url, tc.body, h...)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if tc.status != http.StatusCreated {
				// Errors keep the RFC 7644 §3.12 body.
				if mt != "application/scim+json" || !strings.Contains(string(r.Body), `"status":"`) {
					t.Fatalf("error answer %q: %s", mt, r.Body)
				}
				return
			}
			loc := r.Header.Get("Location")
			if !strings.HasPrefix(loc, users+"/") {
				t.Fatalf("Location %q, want %s/{id}", loc, users)
			}
			var id, metaLoc, userName string
			if tc.answerXML {
				if mt != "application/xml" {
					t.Fatalf("Content-Type %q, want application/xml", mt)
				}
				if !strings.HasPrefix(string(r.Body), `<?xml version="1.0" encoding="utf-8"?>`) {
					t.Errorf("no XML declaration: %s", r.Body)
				}
				var u huddleUserXML
				if err := xml.Unmarshal(r.Body, &u); err != nil {
					t.Fatalf("answer is not a <scimUser>: %v: %s", err, r.Body)
				}
				if u.Given != "Barbara" || u.Family != "Jensen" || u.Title != "Tour Guide" || u.Lang != "en-US" ||
					u.TZ != "America/Los_Angeles" || len(u.Phones) != 1 || len(u.Schemas) != 1 {
					t.Errorf("XML answer lost attributes: %+v", u)
				}
				id, metaLoc, userName = u.ID, u.Location, u.UserName
			} else {
				if mt != "application/scim+json" {
					t.Fatalf("Content-Type %q, want application/scim+json", mt)
				}
				var b map[string]any
				if err := json.Unmarshal(r.Body, &b); err != nil {
					t.Fatal(err)
				}
				if str(b, "name", "givenName") != "Barbara" || str(b, "title") != "Tour Guide" || str(b, "timezone") != "America/Los_Angeles" {
					t.Errorf("JSON answer lost attributes: %s", r.Body)
				}
				id, metaLoc, userName = str(b, "id"), str(b, "meta", "location"), str(b, "userName")
			}
			if id == "" || loc != users+"/"+id || metaLoc != loc {
				t.Errorf("id %q, Location %q, meta.location %q: want the same /people/companies/123/users/{id}", id, loc, metaLoc)
			}
			if userName == "" {
				t.Errorf("no userName in %s", r.Body)
			}
		})
	}
}

// TestHuddleRead: GET /people/companies/{company}/users/{id} in either
// format; a user of one company is not found in another.
func TestHuddleRead(t *testing.T) {
	root := huddleServer(t)
	users := root + "/people/companies/123/users"
	c := rawDo(t, "POST", users, huddleXML("read@example.com"), "Authorization", "OAuth2 "+huddleAdmin, "Content-Type", "application/xml")
	if c.Status != 201 {
		t.Fatalf("create: %d %s", c.Status, c.Body)
	}
	loc := c.Header.Get("Location")
	id := loc[strings.LastIndex(loc, "/")+1:]
	for _, tc := range []struct {
		name, url, auth, accept string
		status                  int
		xml                     bool
	}{
		{"JSON", loc, huddleAdmin, "application/scim+json", 200, false},
		{"XML", loc, huddleAdmin, "application/xml", 200, true},
		{"no Accept: JSON", loc, huddleAdmin, "", 200, false},
		{"unknown id", users + "/nope", huddleAdmin, "application/scim+json", 404, false},
		{"other company's actor", loc, huddleOther, "application/xml", 403, false},
		{"other company's URL", root + "/people/companies/456/users/" + id, huddleOther, "application/scim+json", 404, false},
		{"viewer may not use the API", loc, huddleViewer, "application/scim+json", 403, false},
		{"no token", loc, "", "application/scim+json", 401, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := []string{}
			if tc.auth != "" {
				h = append(h, "Authorization", "OAuth2 "+tc.auth)
			}
			if tc.accept != "" {
				h = append(h, "Accept", tc.accept)
			}
			r := rawDo(t, "GET", tc.url, "", h...)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if tc.status != 200 {
				return
			}
			if tc.xml {
				var u huddleUserXML
				if err := xml.Unmarshal(r.Body, &u); err != nil || u.ID != id || u.Location != loc || u.UserName != "read@example.com" {
					t.Fatalf("XML read: %v %+v", err, u)
				}
				return
			}
			var b map[string]any
			if err := json.Unmarshal(r.Body, &b); err != nil || str(b, "id") != id || str(b, "meta", "location") != loc {
				t.Fatalf("JSON read: %v %s", err, r.Body)
			}
		})
	}
}

// TestHuddleEndpoints: Huddle's API is the company path only; other
// methods are 405; the company's /scim/v2 base does not exist; strict
// tenants have no company path.
func TestHuddleEndpoints(t *testing.T) {
	root := huddleServer(t)
	users := root + "/people/companies/123/users"
	auth := []string{"Authorization", "OAuth2 " + huddleAdmin}
	for _, tc := range []struct {
		name, method, url string
		headers           []string
		status            int
		allow             string
	}{
		{"GET the collection", "GET", users, auth, 405, "POST"},
		{"DELETE a user", "DELETE", users + "/x", auth, 405, "GET, HEAD"},
		{"PUT a user", "PUT", users + "/x", auth, 405, "GET, HEAD"},
		{"the company's SCIM base", "GET", root + "/t/123/scim/v2/Users", []string{"Authorization", "Bearer " + huddleAdmin}, 404, ""},
		{"strict tenant keeps /scim/v2", "GET", root + "/t/acme/scim/v2/Users", []string{"Authorization", "Bearer " + acmeToken}, 200, ""},
		{"strict tenant has no company path", "POST", root + "/people/companies/acme/users", []string{"Authorization", "OAuth2 " + acmeToken, "Content-Type", "application/scim+json"}, 404, ""},
		{"nor does the default tenant", "GET", root + "/people/companies/default/users/x", []string{"Authorization", "Bearer " + defaultToken}, 404, ""},
		{"a company without clients has no token endpoint", "POST", root + "/t/456/connect/token", nil, 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rawDo(t, tc.method, tc.url, "", tc.headers...)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if tc.allow != "" && r.Header.Get("Allow") != tc.allow {
				t.Errorf("Allow %q, want %q", r.Header.Get("Allow"), tc.allow)
			}
		})
	}
}

// TestHuddleXMLCodec: the codec reads exactly the seed's document and
// writes one that reads back the same.
func TestHuddleXMLCodec(t *testing.T) {
	doc, err := huddle.DecodeXML([]byte(huddleXML("codec@example.com")))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":{"familyName":"Jensen","givenName":"Barbara"},"phoneNumbers":[{"value":"555-555-5555"}],"preferredLanguage":"en-US","schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"timezone":"America/Los_Angeles","title":"Tour Guide","userName":"codec@example.com"}`
	if got := js(doc); got != want {
		t.Fatalf("decoded\n%s\nwant\n%s", got, want)
	}
	doc["id"] = "78579b5f"
	doc["meta"] = map[string]any{"location": "https://api.huddle.net/people/companies/123/users/78579b5f"}
	back, err := huddle.DecodeXML(huddle.EncodeXML(doc))
	if err != nil {
		t.Fatal(err)
	}
	delete(doc, "id")
	delete(doc, "meta")
	if js(back) != js(doc) {
		t.Fatalf("round trip\n%s\nwant\n%s", js(back), js(doc))
	}
	out := string(huddle.EncodeXML(map[string]any{"id": "1", "meta": map[string]any{"location": "L"}}))
	for _, s := range []string{`xmlns:xsd="http://www.w3.org/2001/XMLSchema"`, `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`, "<id>1</id>", "<meta>", "<location>L</location>"} {
		if !strings.Contains(out, s) {
			t.Errorf("encoded document lacks %s:\n%s", s, out)
		}
	}
}

// TestProviderRouteClash: a provider route that clashes with the server's
// own is refused at New, not left to panic in ServeMux.
func TestProviderRouteClash(t *testing.T) {
	p := &provider.Provider{Name: "clash", Routes: []provider.Route{{Pattern: "/scim/v2/Users",
		Serve: func(provider.Host, http.ResponseWriter, *http.Request) {}}}}
	_, err := server.New(server.Config{Store: memory.New(), Tenants: server.NewTenants(),
		Providers: &provider.Map{Tenants: map[string]*provider.Provider{"x": p}}})
	if err == nil || !strings.Contains(err.Error(), "route") {
		t.Fatalf("New: %v, want a route error", err)
	}
}
