package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/provider/board"
	"github.com/scimharness/scimharness/server/provider/builtin"
)

// Board's subscription hubs (seed 003): "hub" has a SCIM-enabled Client API
// user (idp), one without the SCIM flag (reporting), Permission Groups with
// an enabled default, and metadata for given name, family name and emails;
// "hub2" has a disabled default group.
const (
	boardSecret      = "idp-secret"
	boardOtherSecret = "reporting-secret"
)

// fakeClock is the server's clock, moved by the test.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func boardServer(t *testing.T) (root string, clock *fakeClock) {
	t.Helper()
	sum := func(s string) [32]byte { return server.HashToken(s) }
	hub, err := builtin.ByNameWith("board", provider.Settings{
		Clients: []provider.Client{
			{ID: "idp", SecretSHA256: sum(boardSecret), Lifetime: 60 * time.Minute, Principal: provider.Principal{Grants: []string{board.SCIMEnabled}}},
			{ID: "reporting", SecretSHA256: sum(boardOtherSecret), Principal: provider.Principal{}},
		},
		PermissionGroups: []provider.PermissionGroup{
			{Name: "Planners", Default: true},
			{Name: "Archived", Disabled: true},
			{Name: "Viewers"},
		},
		Metadata: []string{"name.givenName", "name.familyName", "emails"},
	})
	if err != nil {
		t.Fatal(err)
	}
	hub2, err := builtin.ByNameWith("board", provider.Settings{
		Clients:          []provider.Client{{ID: "idp", SecretSHA256: sum(boardSecret), Principal: provider.Principal{Grants: []string{board.SCIMEnabled}}}},
		PermissionGroups: []provider.PermissionGroup{{Name: "Planners", Default: true, Disabled: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	clock = &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	ts := newServer(t, func(c *server.Config) {
		c.Now = clock.Now
		c.Providers = &provider.Map{Tenants: map[string]*provider.Provider{"hub": hub, "hub2": hub2}}
	})
	return ts.URL, clock
}

// boardTokenRequest posts the form to the tenant's /connect/token.
func boardTokenRequest(t *testing.T, root, tenant string, form url.Values, headers ...string) rawResponse {
	t.Helper()
	h := append([]string{"Content-Type", "application/x-www-form-urlencoded"}, headers...)
	return rawDo(t, "POST", root+"/t/"+tenant+"/connect/token", form.Encode(), h...)
}

func boardForm(id, secret, scope string) url.Values {
	v := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	if scope != "" {
		v.Set("scope", scope)
	}
	return v
}

// boardToken gets an access token for a client of tenant.
func boardToken(t *testing.T, root, tenant, id, secret string) string {
	t.Helper()
	r := boardTokenRequest(t, root, tenant, boardForm(id, secret, "board-scim"))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &tok) != nil {
		t.Fatalf("token for %s: %d %s", id, r.Status, r.Body)
	}
	return tok.AccessToken
}

// boardClient is a SCIM client of tenant with a fresh token of the idp
// client.
func boardClient(t *testing.T, root, tenant string) *client {
	t.Helper()
	return (&client{tb: t, root: root}).tenant(tenant, boardToken(t, root, tenant, "idp", boardSecret))
}

// TestBoardTokenEndpoint: OAuth2 client credentials in the form body, scope
// board-scim, the client's lifetime in minutes (seed 003, Authentication),
// and the RFC 6749 §5.2 errors.
func TestBoardTokenEndpoint(t *testing.T) {
	root, _ := boardServer(t)
	for _, tc := range []struct {
		name    string
		tenant  string
		form    url.Values
		headers []string
		status  int
		errCode string
		expires int
	}{
		{"client credentials in the body", "hub", boardForm("idp", boardSecret, "board-scim"), nil, 200, "", 3600},
		{"default lifetime is an hour", "hub", boardForm("reporting", boardOtherSecret, "board-scim"), nil, 200, "", 3600},
		{"scope among others", "hub", boardForm("idp", boardSecret, "openid board-scim"), nil, 200, "", 3600},
		{"Basic client authentication too", "hub", url.Values{"grant_type": {"client_credentials"}, "scope": {"board-scim"}},
			[]string{"Authorization", "Basic aWRwOmlkcC1zZWNyZXQ="}, 200, "", 3600},
		{"no scope", "hub", boardForm("idp", boardSecret, ""), nil, 400, "invalid_scope", 0},
		{"wrong scope", "hub", boardForm("idp", boardSecret, "scim"), nil, 400, "invalid_scope", 0},
		{"wrong secret", "hub", boardForm("idp", "guess", "board-scim"), nil, 401, "invalid_client", 0},
		{"unknown client", "hub", boardForm("nobody", boardSecret, "board-scim"), nil, 401, "invalid_client", 0},
		{"client of another hub", "hub", boardForm("idp", boardOtherSecret, "board-scim"), nil, 401, "invalid_client", 0},
		{"password grant", "hub", url.Values{"grant_type": {"password"}, "client_id": {"idp"}, "client_secret": {boardSecret}, "scope": {"board-scim"}}, nil, 400, "unsupported_grant_type", 0},
		{"no grant type", "hub", url.Values{"client_id": {"idp"}}, nil, 400, "unsupported_grant_type", 0},
		{"JSON body", "hub", nil, []string{"Content-Type", "application/json"}, 400, "invalid_request", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := boardTokenRequest(t, root, tc.tenant, tc.form, tc.headers...)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json" || r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Content-Type %q, Cache-Control %q", ct, r.Header.Get("Cache-Control"))
			}
			var b struct {
				AccessToken string `json:"access_token"`
				TokenType   string `json:"token_type"`
				ExpiresIn   int    `json:"expires_in"`
				Error       string `json:"error"`
			}
			if err := json.Unmarshal(r.Body, &b); err != nil {
				t.Fatal(err)
			}
			if tc.status != 200 {
				if b.Error != tc.errCode || b.AccessToken != "" {
					t.Fatalf("error %q, want %q: %s", b.Error, tc.errCode, r.Body)
				}
				return
			}
			if b.AccessToken == "" || b.TokenType != "Bearer" || b.ExpiresIn != tc.expires {
				t.Fatalf("token answer %s; want a Bearer token for %ds", r.Body, tc.expires)
			}
		})
	}
	if r := rawDo(t, "GET", root+"/t/hub/connect/token", ""); r.Status != 405 {
		t.Errorf("GET /connect/token: %d, want 405", r.Status)
	}
	if r := boardTokenRequest(t, root, "acme", boardForm("idp", boardSecret, "board-scim")); r.Status != 404 {
		t.Errorf("a strict tenant's token endpoint: %d, want 404", r.Status)
	}
}

// TestBoardTokenLifetime: a token works until its lifetime ends, then 401;
// the limit is 259,200 minutes.
func TestBoardTokenLifetime(t *testing.T) {
	root, clock := boardServer(t)
	c := boardClient(t, root, "hub")
	want(t, c.do("GET", "/Users", ""), 200, "")
	clock.Add(59 * time.Minute)
	want(t, c.do("GET", "/Users", ""), 200, "")
	clock.Add(time.Minute)
	r := c.do("GET", "/Users", "")
	want(t, r, 401, "")
	if !strings.Contains(str(r.Body, "detail"), "expired") {
		t.Errorf("detail %q does not say the token expired", str(r.Body, "detail"))
	}
	// A new token works again.
	want(t, boardClient(t, root, "hub").do("GET", "/Users", ""), 200, "")
	// A token of one hub does not open another.
	want(t, c.tenant("hub2", boardToken(t, root, "hub", "idp", boardSecret)).do("GET", "/Users", ""), 401, "")

	for _, tc := range []struct {
		lifetime time.Duration
		ok       bool
	}{
		{provider.MaxTokenLifetime, true},
		{259200 * time.Minute, true},
		{259201 * time.Minute, false},
		{-time.Minute, false},
	} {
		_, err := builtin.ByNameWith("board", provider.Settings{Clients: []provider.Client{{ID: "x", Lifetime: tc.lifetime}}})
		if (err == nil) != tc.ok {
			t.Errorf("lifetime %v: err %v, want ok=%v", tc.lifetime, err, tc.ok)
		}
	}
}

// TestBoardSCIMFlag: only Client API users with "enable SCIM endpoint" may
// call the SCIM API (403 otherwise, on every endpoint).
func TestBoardSCIMFlag(t *testing.T) {
	root, _ := boardServer(t)
	reporting := (&client{tb: t, root: root}).tenant("hub", boardToken(t, root, "hub", "reporting", boardOtherSecret))
	idp := boardClient(t, root, "hub")
	for _, tc := range []struct {
		c            *client
		method, path string
		body         string
		status       int
	}{
		{idp, "GET", "/Users", "", 200},
		{idp, "GET", "/Groups", "", 200},
		{reporting, "GET", "/Users", "", 403},
		{reporting, "GET", "/Groups", "", 403},
		{reporting, "POST", "/Users", js(obj{"schemas": []any{scim.UserURN}, "userName": "r@example.com"}), 403},
		{reporting, "GET", "/Schemas", "", 403},
		{idp.withToken("forged"), "GET", "/Users", "", 401},
	} {
		r := tc.c.do(tc.method, tc.path, tc.body)
		if r.Status != tc.status {
			t.Errorf("%s %s: %d, want %d: %s", tc.method, tc.path, r.Status, tc.status, r.Raw)
		}
	}
}

// TestBoardPermissionGroups: Permission Groups are SCIM Groups made in the
// Subscription Hub; a user created through SCIM joins the default group,
// unless it is disabled; membership is managed by PATCH.
func TestBoardPermissionGroups(t *testing.T) {
	root, _ := boardServer(t)
	hub := boardClient(t, root, "hub")
	names := sorted(values(resources(t, hub.list("/Groups")), "displayName"))
	if !slices.Equal(names, []string{"Archived", "Planners", "Viewers"}) {
		t.Fatalf("groups %v, want the three Permission Groups", names)
	}
	groupID := map[string]string{}
	for _, g := range resources(t, hub.list("/Groups")) {
		groupID[str(g, "displayName")] = str(g, "id")
	}

	u := hub.createUser("ada@example.com", nil)
	if got := values(asMaps(u["groups"]), "display"); !slices.Equal(got, []string{"Planners"}) {
		t.Fatalf("created user's groups %v, want the default [Planners]: %s", got, js(u))
	}
	if m := memberIDs(hub.mustGet("/Groups/" + groupID["Planners"])); !slices.Equal(m, []string{str(u, "id")}) {
		t.Fatalf("Planners members %v", m)
	}
	hub.patchOK("/Groups/"+groupID["Viewers"], obj{"op": "add", "path": "members", "value": []any{obj{"value": str(u, "id")}}})
	got := sorted(values(asMaps(hub.mustGet("/Users/" + str(u, "id"))["groups"]), "display"))
	if !slices.Equal(got, []string{"Planners", "Viewers"}) {
		t.Fatalf("groups after PATCH %v", got)
	}

	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"POST", "/Groups", 405},
		{"PUT", "/Groups/" + groupID["Viewers"], 405},
		{"DELETE", "/Groups/" + groupID["Viewers"], 405},
	} {
		r := hub.do(tc.method, tc.path, js(obj{"schemas": []any{scim.GroupURN}, "displayName": "New"}))
		if r.Status != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, r.Status, tc.status)
		}
	}

	hub2 := boardClient(t, root, "hub2")
	u2 := hub2.createUser("bob@example.com", nil)
	if g := u2["groups"]; g != nil {
		t.Fatalf("a disabled default group was applied: %s", js(u2))
	}
	if hub2.total("/Groups") != 1 {
		t.Fatalf("hub2 groups: %d", hub2.total("/Groups"))
	}
}

// TestBoardMetadata: attributes are kept only when mapped to a metadata
// field (userName, the login, always); the others are ignored, on create
// and update alike.
func TestBoardMetadata(t *testing.T) {
	root, _ := boardServer(t)
	hub := boardClient(t, root, "hub")
	u := hub.createUser("meta@example.com", obj{
		"name":        obj{"givenName": "Ada", "familyName": "Lovelace", "middleName": "King"},
		"emails":      []any{obj{"value": "meta@example.com", "type": "work"}},
		"title":       "Countess",
		"active":      true,
		"displayName": "Ada",
		"externalId":  "ext-1",
	})
	for _, tc := range []struct {
		path []any
		want any
	}{
		{[]any{"userName"}, "meta@example.com"},
		{[]any{"externalId"}, "ext-1"},
		{[]any{"name", "givenName"}, "Ada"},
		{[]any{"name", "familyName"}, "Lovelace"},
		{[]any{"name", "middleName"}, nil},
		{[]any{"emails", 0, "value"}, "meta@example.com"},
		{[]any{"title"}, nil},
		{[]any{"active"}, nil},
		{[]any{"displayName"}, nil},
	} {
		if got := get(u, tc.path...); js(got) != js(tc.want) {
			t.Errorf("%v = %s, want %s", tc.path, js(got), js(tc.want))
		}
	}
	id := str(u, "id")
	hub.patchOK("/Users/"+id, obj{"op": "replace", "path": "title", "value": "Engineer"},
		obj{"op": "replace", "path": "name.familyName", "value": "Byron"})
	got := hub.mustGet("/Users/" + id)
	if got["title"] != nil || str(got, "name", "familyName") != "Byron" {
		t.Fatalf("after PATCH: %s", js(got))
	}
}

// TestBoardClientAPIUsers: Client API users are not SCIM users: never
// listed or found, and a SCIM write naming one is refused.
func TestBoardClientAPIUsers(t *testing.T) {
	root, _ := boardServer(t)
	hub := boardClient(t, root, "hub")
	if n := len(hub.filterUserNames(`userName eq "idp"`)); n != 0 {
		t.Fatalf("a Client API user is visible: %d", n)
	}
	for _, name := range []string{"idp", "Reporting"} {
		r := hub.do("POST", "/Users", js(obj{"schemas": []any{scim.UserURN}, "userName": name}))
		want(t, r, 409, "uniqueness")
		if !strings.Contains(str(r.Body, "detail"), "Client API user") {
			t.Errorf("detail %q", str(r.Body, "detail"))
		}
	}
	u := hub.createUser("carol@example.com", nil)
	r := hub.patch("/Users/"+str(u, "id"), obj{"op": "replace", "path": "userName", "value": "idp"})
	want(t, r, 409, "uniqueness")
	if hub.total("/Users") != 1 {
		t.Fatalf("users: %d, want only carol", hub.total("/Users"))
	}
}

// asMaps reads a JSON array of objects.
func asMaps(v any) []map[string]any {
	var out []map[string]any
	for _, x := range asSlice(v) {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// TestBoardBaseURL: the seed's base URL is …/scim (".../scim/Users/<user
// id>"); /scim/v2 keeps working; strict tenants have no /scim path.
func TestBoardBaseURL(t *testing.T) {
	root, _ := boardServer(t)
	hub := boardClient(t, root, "hub")
	short := *hub
	short.base = "/t/hub/scim"
	u := short.createUser("short@example.com", nil)
	id := str(u, "id")
	if loc := str(u, "meta", "location"); loc != root+"/t/hub/scim/Users/"+id {
		t.Errorf("meta.location %q, want the /scim base", loc)
	}
	if got := str(short.mustGet("/Users/"+id), "userName"); got != "short@example.com" {
		t.Errorf("GET via /scim: userName %q", got)
	}
	if loc := str(hub.mustGet("/Users/"+id), "meta", "location"); loc != root+"/t/hub/scim/v2/Users/"+id {
		t.Errorf("meta.location via /scim/v2 %q", loc)
	}
	want(t, short.withToken("forged").do("GET", "/Users", ""), 401, "")

	strict := (&client{tb: t, root: root}).tenant("acme", acmeToken)
	want(t, strict.do("GET", "/Users", ""), 200, "")
	strict.base = "/t/acme/scim"
	for _, p := range []string{"/Users", "", "/Schemas", "/Nope"} {
		r := strict.do("GET", p, "")
		want(t, r, 404, "")
		if !strings.Contains(str(r.Body, "detail"), "the base URL is /scim/v2") {
			t.Errorf("GET /t/acme/scim%s: %s", p, r.Raw)
		}
	}
}
