package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/provider/board"
	"github.com/scimharness/scimharness/server/provider/builtin"
	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/server/store/memory"
)

// replica starts a reference server over st, with a Board tenant "hub"
// whose client idp has secret, signing access tokens with key.
func replica(t *testing.T, st store.Store, key []byte, secret string, clock *fakeClock) string {
	t.Helper()
	hub, err := builtin.ByNameWith("board", provider.Settings{Clients: []provider.Client{
		{ID: "idp", SecretSHA256: server.HashToken(secret), Lifetime: time.Hour, Principal: provider.Principal{Grants: []string{board.SCIMEnabled}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return newServer(t, func(c *server.Config) {
		c.Store = st
		c.TokenKey = key
		c.Now = clock.Now
		c.Providers = &provider.Map{Tenants: map[string]*provider.Provider{"hub": hub}}
	}).URL
}

// Issue 14, "Several replicas": an access token issued by one replica is
// accepted by every replica with the same token key and client
// configuration, on one store — and by no server with another key, nor
// after the client's secret changed, nor once tampered with or expired.
func TestAccessTokensHoldAcrossReplicas(t *testing.T) {
	st := memory.New()
	key := []byte("replicas-share-this-key-0123456789abcdef")
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	a := replica(t, st, key, boardSecret, clock)
	b := replica(t, st, key, boardSecret, clock)
	otherKey := replica(t, st, []byte("another-key-0123456789abcdef-0123456"), boardSecret, clock)
	rotated := replica(t, st, key, "a-new-secret", clock)
	noKey := replica(t, st, nil, boardSecret, clock) // random key: its own tokens only

	tok := boardToken(t, a, "hub", "idp", boardSecret)
	get := func(root, tok string) int {
		return rawDo(t, "GET", root+"/t/hub/scim/Users", "", "Authorization", "Bearer "+tok).Status
	}
	create := rawDo(t, "POST", a+"/t/hub/scim/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"r1@example.com"}`,
		"Authorization", "Bearer "+tok, "Content-Type", "application/scim+json")
	if create.Status != http.StatusCreated {
		t.Fatalf("create on replica a: %d %s", create.Status, create.Body)
	}
	if r := rawDo(t, "GET", b+"/t/hub/scim/Users?filter=userName%20eq%20%22r1@example.com%22", "", "Authorization", "Bearer "+tok); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "r1@example.com") {
		t.Errorf("replica b with a's token: %d %s, want 200 and the user a created", r.Status, r.Body)
	}
	// Tampered: one character of the MAC changed, and the last one
	// changed only in its padding bits (the same bytes, spelt otherwise).
	mid := len(tok) - 10
	other := byte('A')
	if tok[mid] == 'A' {
		other = 'B'
	}
	tampered := tok[:mid] + string(other) + tok[mid+1:]
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, tok[len(tok)-1])
	respelt := tok[:len(tok)-1] + string(alphabet[last^1]) // 32 bytes: the last character's 2 low bits are padding
	for _, c := range []struct {
		name, root, tok string
		want            int
	}{
		{"same key", b, tok, http.StatusOK},
		{"another key", otherKey, tok, http.StatusUnauthorized},
		{"the client's secret changed", rotated, tok, http.StatusUnauthorized},
		{"a random key", noKey, tok, http.StatusUnauthorized},
		{"tampered", b, tampered, http.StatusUnauthorized},
		{"respelt", b, respelt, http.StatusUnauthorized},
		{"claims of another tenant", b, strings.Replace(tok, "sat1.", "sat1.x", 1), http.StatusUnauthorized},
		{"a random key's own token", noKey, boardToken(t, noKey, "hub", "idp", boardSecret), http.StatusOK},
	} {
		if got := get(c.root, c.tok); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	clock.Add(time.Hour + time.Second)
	r := rawDo(t, "GET", b+"/t/hub/scim/Users", "", "Authorization", "Bearer "+tok)
	if r.Status != http.StatusUnauthorized || !strings.Contains(string(r.Body), "expired") {
		t.Errorf("after its lifetime, on replica b: %d %s, want 401 expired", r.Status, r.Body)
	}
}
