package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store/memory"
)

// TestPutKeepsPassword: Okta updates by GET then PUT of what it read, and a
// GET never returns the password, so that PUT must not clear it.
func TestPutKeepsPassword(t *testing.T) {
	st := memory.New()
	tenants := server.NewTenants()
	tenants.Add(server.DefaultTenant, server.HashToken("t"))
	srv, _ := server.New(server.Config{Store: st, Tenants: tenants, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	send := func(method, path, body string) *http.Response {
		req, _ := http.NewRequest(method, ts.URL+"/scim/v2"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer t")
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := send("POST", "/Users", `{"userName":"okta@example.com","password":"t1tl3!","externalId":"00u1"}`)
	id := strings.TrimPrefix(resp.Header.Get("Location"), ts.URL+"/scim/v2/Users/")
	if resp.StatusCode != http.StatusCreated || id == "" {
		t.Fatalf("create: %d %q", resp.StatusCode, id)
	}
	if r := send("PUT", "/Users/"+id, `{"id":"`+id+`","userName":"okta@example.com","displayName":"Okta User","externalId":"00u1"}`); r.StatusCode != http.StatusOK {
		t.Fatalf("PUT: %d", r.StatusCode)
	}
	rt, _ := schema.Default().ResourceType("User")
	res, err := st.Get(context.Background(), server.DefaultTenant, rt, id)
	if err != nil {
		t.Fatal(err)
	}
	if res.Doc["password"] != "t1tl3!" || res.Doc["displayName"] != "Okta User" {
		t.Errorf("after PUT: password %v, displayName %v", res.Doc["password"], res.Doc["displayName"])
	}
}
