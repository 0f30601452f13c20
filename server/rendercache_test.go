package server_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/store/memory"
)

// The render cache never changes an answer: through a sequence of writes
// (PATCH and PUT of a user, group membership and a group's displayName,
// deletes, a user created again), every read of a server with the cache,
// asked before and after each write, answers byte for byte what a server
// without it answers from the same store — with projections, on two hosts
// and in two tenants.
func TestRenderCacheAnswersAsUncached(t *testing.T) {
	st := memory.New()
	tenants := server.NewTenants()
	tenants.Add(server.DefaultTenant, server.HashToken(defaultToken))
	tenants.Add("acme", server.HashToken(acmeToken))
	newSrv := func(cacheBytes int) http.Handler {
		srv, err := server.New(server.Config{Store: st, Tenants: tenants, RenderCacheBytes: cacheBytes,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		return srv
	}
	cached, uncached := newSrv(0), newSrv(-1)

	type answer struct {
		status     int
		etag, body string
	}
	do := func(h http.Handler, method, host, target, token, body string) answer {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		req.Host = host
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/scim+json")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return answer{w.Code, w.Header().Get("ETag"), w.Body.String()}
	}
	// write goes through the cached server; it answers with the resource
	// (so the write's own answer is cached too), and its id.
	write := func(method, target, token, body string) string {
		t.Helper()
		a := do(cached, method, "example.com", target, token, body)
		if a.status >= 300 {
			t.Fatalf("%s %s: %d %s", method, target, a.status, a.body)
		}
		var doc struct{ ID string }
		json.Unmarshal([]byte(a.body), &doc)
		return doc.ID
	}
	const users, acmeUsers = "/scim/v2/Users", "/t/acme/scim/v2/Users"
	lookup := func(base, userName, query string) string {
		return base + "?filter=" + url.QueryEscape(`userName eq "`+userName+`"`) + query
	}
	alice := write("POST", users, defaultToken, `{"userName":"alice","name":{"givenName":"Alice"},"emails":[{"value":"alice@example.com","primary":true}]}`)
	bob := write("POST", users, defaultToken, `{"userName":"bob"}`)
	acmeAlice := write("POST", acmeUsers, acmeToken, `{"userName":"alice","title":"acme's"}`)
	group := write("POST", "/scim/v2/Groups", defaultToken, `{"displayName":"eng","members":[{"value":"`+alice+`"}]}`)

	check := func(step string) {
		t.Helper()
		reads := []struct{ host, method, target, token, body string }{}
		for _, host := range []string{"example.com", "other.example"} {
			for _, q := range []string{"", "&attributes=userName,groups", "&attributes=groups.display", "&excludedAttributes=groups,emails", "&excludedAttributes=name"} {
				reads = append(reads,
					struct{ host, method, target, token, body string }{host, "GET", lookup(users, "alice", q), defaultToken, ""},
					struct{ host, method, target, token, body string }{host, "GET", users + "/" + alice + "?" + strings.TrimPrefix(q, "&"), defaultToken, ""},
					struct{ host, method, target, token, body string }{host, "GET", lookup(acmeUsers, "alice", q), acmeToken, ""},
				)
			}
			reads = append(reads,
				struct{ host, method, target, token, body string }{host, "GET", users, defaultToken, ""},
				struct{ host, method, target, token, body string }{host, "GET", users + "/" + bob, defaultToken, ""},
				struct{ host, method, target, token, body string }{host, "GET", "/scim/v2/Groups/" + group, defaultToken, ""},
				struct{ host, method, target, token, body string }{host, "GET", "/scim/v2/Groups?attributes=members.value", defaultToken, ""},
				struct{ host, method, target, token, body string }{host, "POST", users + "/.search", defaultToken, `{"attributes":["userName","groups"]}`},
				struct{ host, method, target, token, body string }{host, "POST", users + "/.search", defaultToken, `{"attributes":["userName,groups"]}`},
				struct{ host, method, target, token, body string }{host, "POST", "/scim/v2/.search", defaultToken, `{"excludedAttributes":["members"]}`},
			)
		}
		for _, rd := range reads {
			want := do(uncached, rd.method, rd.host, rd.target, rd.token, rd.body)
			for range 2 { // a miss that fills the cache, then a hit
				if got := do(cached, rd.method, rd.host, rd.target, rd.token, rd.body); got != want {
					t.Errorf("%s: %s %s (Host %s):\ncached   %d %s %s\nuncached %d %s %s", step, rd.method, rd.target, rd.host,
						got.status, got.etag, got.body, want.status, want.etag, want.body)
				}
			}
		}
	}
	check("created")
	write("PATCH", users+"/"+alice, defaultToken, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Alice A"}]}`)
	check("user patched")
	write("PUT", users+"/"+alice, defaultToken, `{"userName":"alice","name":{"givenName":"Alicia"},"emails":[{"value":"alicia@example.com"}]}`)
	check("user replaced")
	write("PATCH", "/scim/v2/Groups/"+group, defaultToken, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"`+bob+`"}]}]}`)
	check("member added")
	write("PATCH", "/scim/v2/Groups/"+group, defaultToken, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"engineering"}]}`)
	check("group renamed")
	second := write("POST", "/scim/v2/Groups", defaultToken, `{"displayName":"all","members":[{"value":"`+alice+`"},{"value":"`+bob+`"}]}`)
	check("second group")
	write("PATCH", "/scim/v2/Groups/"+group, defaultToken, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"`+alice+`\"]"}]}`)
	check("member removed")
	write("PATCH", acmeUsers+"/"+acmeAlice, acmeToken, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"acme's own"}]}`)
	check("other tenant's user patched")
	write("DELETE", "/scim/v2/Groups/"+second, defaultToken, "")
	check("group deleted")
	write("DELETE", users+"/"+bob, defaultToken, "")
	check("member deleted")
	write("DELETE", users+"/"+alice, defaultToken, "")
	alice = write("POST", users, defaultToken, `{"userName":"alice","nickName":"again"}`)
	check("user created again")
}
