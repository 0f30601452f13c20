package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/provider/holaspirit"
)

// holaspiritClient is a client of a Holaspirit-profile tenant (acme) and
// one of the strict default tenant of the same server.
func holaspiritClient(t *testing.T) (hola, strict *client) {
	t.Helper()
	c := newClient(t, withProfile(t, "holaspirit"))
	return c.tenant("acme", acmeToken), c
}

func holaspiritUser(userName string) obj {
	return obj{
		"schemas":           []any{scim.UserURN, scim.EnterpriseUserURN},
		"userName":          userName,
		"name":              obj{"givenName": "Ada", "familyName": "Lovelace"},
		"emails":            []any{obj{"type": "work", "value": userName, "primary": true}},
		"preferredLanguage": "fr",
		"timezone":          "Europe/Paris",
		"phoneNumbers":      []any{obj{"type": "work", "value": "+33 1"}, obj{"type": "mobile", "value": "+33 6"}},
		"addresses":         []any{obj{"type": "work", "locality": "Paris"}, obj{"type": "home", "locality": "Lyon"}},
		"privilege":         "member",
		// Fields Holaspirit does not keep: ignored silently.
		"title":                "Engineer",
		"nickName":             "Ada",
		scim.EnterpriseUserURN: obj{"department": "R&D"},
	}
}

// TestHolaspiritSavedFields: Holaspirit keeps email, first and last name,
// language, timezone, the work phone, the work address (its Locations) and
// privilege; other fields are ignored silently (seed 004).
func TestHolaspiritSavedFields(t *testing.T) {
	h, _ := holaspiritClient(t)
	u := h.createUser("ada@example.com", with(holaspiritUser("ada@example.com"), "userName", nil))
	for _, k := range []string{"title", "nickName", scim.EnterpriseUserURN} {
		if u[k] != nil {
			t.Errorf("%s was kept: %s", k, js(u))
		}
	}
	if got := values(toMaps(u["phoneNumbers"]), "value"); strings.Join(got, ",") != "+33 1" {
		t.Errorf("phones %v, want only the work phone", got)
	}
	if got := values(toMaps(u["addresses"]), "locality"); strings.Join(got, ",") != "Paris" {
		t.Errorf("addresses %v, want only the work address", got)
	}
	if str(u, "preferredLanguage") != "fr" || str(u, "timezone") != "Europe/Paris" || str(u, "privilege") != "member" ||
		str(u, "name", "givenName") != "Ada" || str(u, "name", "familyName") != "Lovelace" {
		t.Errorf("saved fields missing: %s", js(u))
	}
	want(t, h.do("POST", "/Users", js(with(holaspiritUser("p@example.com"), "privilege", "admin"))), http.StatusBadRequest, "invalidValue")
	// PATCH of a field Holaspirit does not keep is ignored, not refused.
	id := "/Users/" + str(u, "id")
	h.patchOK(id, obj{"op": "Replace", "path": "title", "value": "CTO"},
		obj{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Ops"},
		obj{"op": "Replace", "path": "timezone", "value": "Europe/Berlin"},
		obj{"op": "Replace", "value": obj{"nickName": "A", "privilege": "inactive"}})
	got := h.mustGet(id)
	if got["title"] != nil || got[scim.EnterpriseUserURN] != nil || got["nickName"] != nil ||
		str(got, "timezone") != "Europe/Berlin" || str(got, "privilege") != "inactive" {
		t.Errorf("after PATCH: %s", js(got))
	}
}

// TestHolaspiritActive: active is read only when updating a member; false
// suspends it, true brings it back.
func TestHolaspiritActive(t *testing.T) {
	h, _ := holaspiritClient(t)
	u := h.createUser("ada@example.com", with(with(holaspiritUser("ada@example.com"), "userName", nil), "active", false))
	if u["active"] != true {
		t.Errorf("a created member is active whatever the POST says: %s", js(u))
	}
	id := "/Users/" + str(u, "id")
	h.patchOK(id, obj{"op": "Replace", "path": "active", "value": "False"})
	if h.mustGet(id)["active"] != false {
		t.Error("active=false did not suspend the member")
	}
	h.patchOK(id, obj{"op": "Replace", "path": "active", "value": true})
	if h.mustGet(id)["active"] != true {
		t.Error("active=true did not bring the member back")
	}
	put := with(holaspiritUser("ada@example.com"), "active", false)
	want(t, h.do("PUT", id, js(put)), http.StatusOK, "")
	if h.mustGet(id)["active"] != false {
		t.Error("PUT active=false did not suspend the member")
	}
}

// TestHolaspiritMissingEmails: a user without emails gets exactly the body
// the seed quotes — numeric status included, which is not RFC 7644 §3.12
// (so this test reads the answer raw, past the client's RFC checks).
func TestHolaspiritMissingEmails(t *testing.T) {
	h, _ := holaspiritClient(t)
	raw := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, h.url(path), strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+h.token)
		req.Header.Set("Content-Type", "application/scim+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if ct := res.Header.Get("Content-Type"); ct != "application/scim+json" {
			t.Errorf("Content-Type %q", ct)
		}
		return res.StatusCode, string(b)
	}
	for _, body := range []obj{
		with(holaspiritUser("a@example.com"), "emails", nil),
		with(holaspiritUser("a@example.com"), "emails", []any{}),
	} {
		st, b := raw("POST", "/Users", js(body))
		if st != http.StatusBadRequest || b != holaspirit.MissingEmails {
			t.Errorf("POST without emails: %d %s\nwant 400 %s", st, b, holaspirit.MissingEmails)
		}
	}
	u := h.createUser("ada@example.com", with(holaspiritUser("ada@example.com"), "userName", nil))
	st, b := raw("PATCH", "/Users/"+str(u, "id"), patchBody(obj{"op": "Remove", "path": "emails"}))
	if st != http.StatusBadRequest || b != holaspirit.MissingEmails {
		t.Errorf("PATCH removing emails: %d %s", st, b)
	}
}

// TestHolaspiritEndpoints: no groups ("Send only Users"), no soft delete
// (DELETE removes the member), no Bulk.
func TestHolaspiritEndpoints(t *testing.T) {
	h, strict := holaspiritClient(t)
	u := h.createUser("ada@example.com", with(holaspiritUser("ada@example.com"), "userName", nil))
	id := "/Users/" + str(u, "id")
	want(t, h.do("GET", "/Groups", ""), http.StatusNotFound, "")
	want(t, h.do("POST", "/Groups", js(obj{"displayName": "g"})), http.StatusNotFound, "")
	want(t, h.do("POST", "/Bulk", "{}"), http.StatusNotFound, "")
	want(t, h.do("DELETE", "/Users", ""), http.StatusMethodNotAllowed, "")
	spc := h.mustGet("/ServiceProviderConfig")
	if get(spc, "bulk", "supported") != false {
		t.Errorf("bulk is advertised: %s", js(spc))
	}
	rts := resources(t, h.do("GET", "/ResourceTypes", ""))
	if len(rts) != 1 || str(rts[0], "id") != "User" {
		t.Errorf("resource types %s, want User only", js(rts))
	}
	want(t, h.do("DELETE", id, ""), http.StatusNoContent, "")
	want(t, h.do("GET", id, ""), http.StatusNotFound, "")
	if n := h.total("/Users"); n != 0 {
		t.Errorf("%d users after the delete: not a hard delete", n)
	}
	want(t, strict.do("GET", "/Groups", ""), http.StatusOK, "")
	if get(strict.mustGet("/ServiceProviderConfig"), "bulk", "supported") != true {
		t.Error("the strict tenant lost Bulk")
	}
}

func toMaps(v any) []map[string]any {
	var out []map[string]any
	for _, x := range asSlice(v) {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
