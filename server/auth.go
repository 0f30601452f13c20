package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
)

// DefaultTenant is the tenant served at /scim/v2; every other tenant is
// served at /t/{tenant}/scim/v2.
const DefaultTenant = "default"

// TokenHash is the SHA-256 of a bearer token. Tokens are random secrets, so
// a fast unsalted hash is enough to make a leaked table useless; only hashes
// are ever kept in memory or in files.
type TokenHash [sha256.Size]byte

// HashToken returns the hash of a bearer token.
func HashToken(token string) TokenHash { return sha256.Sum256([]byte(token)) }

// ParseTokenHash reads a hash written as 64 hex digits (the form
// `scimharness` config files use under token_sha256).
func ParseTokenHash(s string) (TokenHash, error) {
	var h TokenHash
	b, err := hex.DecodeString(strings.TrimPrefix(s, "sha256:"))
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("token hash %q is not 64 hex digits", s)
	}
	copy(h[:], b)
	return h, nil
}

var tenantID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// Tenants maps each tenant to the hashes of the tokens that may act for it.
// It is safe for concurrent use, so tokens can be added and revoked while
// the server runs.
type Tenants struct {
	mu     sync.RWMutex
	tokens map[string][]TokenHash
}

// NewTenants returns an empty tenant table.
func NewTenants() *Tenants { return &Tenants{tokens: map[string][]TokenHash{}} }

// Add lets the token with hash h act for tenant, creating the tenant.
func (t *Tenants) Add(tenant string, h TokenHash) error {
	if !tenantID.MatchString(tenant) {
		return fmt.Errorf("tenant id %q: use 1-64 letters, digits, '.', '_' or '-'", tenant)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tokens[tenant] = append(t.tokens[tenant], h)
	return nil
}

// Revoke removes the token with hash h from tenant.
func (t *Tenants) Revoke(tenant string, h TokenHash) {
	t.mu.Lock()
	defer t.mu.Unlock()
	hs := t.tokens[tenant]
	out := hs[:0]
	for _, x := range hs {
		if x != h {
			out = append(out, x)
		}
	}
	t.tokens[tenant] = out
}

// Replace makes t's tokens those of n in one step, so a request sees the
// old table or the new one, never a mix (serve's reload of --config). It
// returns, per tenant whose tokens changed, how many were added and how
// many removed: counts for the log, never the tokens.
func (t *Tenants) Replace(n *Tenants) map[string]TokenChange {
	n.mu.RLock()
	next := make(map[string][]TokenHash, len(n.tokens))
	for k, v := range n.tokens {
		next[k] = append([]TokenHash(nil), v...)
	}
	n.mu.RUnlock()
	t.mu.Lock()
	prev := t.tokens
	t.tokens = next
	t.mu.Unlock()
	changes := map[string]TokenChange{}
	count := func(of map[string][]TokenHash, tenant string, h TokenHash) bool {
		for _, x := range of[tenant] {
			if x == h {
				return true
			}
		}
		return false
	}
	for tenant, hs := range next {
		for _, h := range hs {
			if !count(prev, tenant, h) {
				c := changes[tenant]
				c.Added++
				changes[tenant] = c
			}
		}
	}
	for tenant, hs := range prev {
		for _, h := range hs {
			if !count(next, tenant, h) {
				c := changes[tenant]
				c.Removed++
				changes[tenant] = c
			}
		}
	}
	return changes
}

// TokenChange counts the tokens of a tenant a [Tenants.Replace] added and
// removed.
type TokenChange struct{ Added, Removed int }

// Names lists the tenants.
func (t *Tenants) Names() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []string
	for n := range t.tokens {
		out = append(out, n)
	}
	return out
}

// Allowed reports whether the bearer token may act for tenant. Every stored
// hash of the tenant is compared in constant time, so the answer's timing
// tells nothing about which bytes matched.
func (t *Tenants) Allowed(tenant, token string) bool {
	if token == "" {
		return false
	}
	h := HashToken(token)
	t.mu.RLock()
	defer t.mu.RUnlock()
	ok := 0
	for _, x := range t.tokens[tenant] {
		ok |= subtle.ConstantTimeCompare(h[:], x[:])
	}
	return ok == 1
}

// Known reports whether the token may act for any tenant: a token that is
// known but not for the tenant it is used on is "not in the company" (403)
// for providers that say so (Huddle, through provider.Host), rather than
// unknown (401).
func (t *Tenants) Known(token string) bool {
	if token == "" {
		return false
	}
	h := HashToken(token)
	t.mu.RLock()
	defer t.mu.RUnlock()
	ok := 0
	for _, hs := range t.tokens {
		for _, x := range hs {
			ok |= subtle.ConstantTimeCompare(h[:], x[:])
		}
	}
	return ok == 1
}

// bearer extracts the token of an "Authorization: Bearer …" header; the
// scheme name is case-insensitive (RFC 6750 §2.1, RFC 7235 §2.1).
func bearer(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}
