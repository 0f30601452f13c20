package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/schema"
)

// issued is an access token the token endpoint gave out; only its hash is
// kept, as for tenant tokens.
type issued struct {
	tenant  string
	p       provider.Principal
	expires time.Time
}

// issuedTokens are the live access tokens of every tenant.
type issuedTokens struct {
	mu sync.Mutex
	m  map[TokenHash]issued
}

func (it *issuedTokens) add(h TokenHash, t issued, now time.Time) {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.m == nil {
		it.m = map[TokenHash]issued{}
	}
	for k, v := range it.m { // expired tokens go when new ones come
		if !now.Before(v.expires) {
			delete(it.m, k)
		}
	}
	it.m[h] = t
}

func (it *issuedTokens) get(token string) (issued, bool) {
	if token == "" {
		return issued{}, false
	}
	it.mu.Lock()
	defer it.mu.Unlock()
	t, ok := it.m[HashToken(token)]
	return t, ok
}

// authenticate returns who the request's token acts as for tenant: a
// tenant token (with its actor's permissions, if the provider lists them) or
// a live token issued to one of the tenant's clients. Any other token is a
// 401 (an expired one says so).
func (s *Server) authenticate(tenant, token string) (provider.Principal, error) {
	pr := s.providerOf(tenant)
	if s.cfg.Tenants.Allowed(tenant, token) {
		if pr != nil && pr.Access != nil {
			return pr.Access.Principal(HashToken(token)), nil
		}
		return provider.Full, nil
	}
	if t, ok := s.issued.get(token); ok && t.tenant == tenant {
		if !s.now().Before(t.expires) {
			return provider.Principal{}, provider.ErrExpired
		}
		return t.p, nil
	}
	return provider.Principal{}, schema.StatusError(http.StatusUnauthorized, "a valid bearer token for this tenant is required")
}

func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// oauthError writes an RFC 6749 §5.2 error.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
	}
	writeOAuth(w, status, map[string]any{"error": code, "error_description": desc})
}

func writeOAuth(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// token is the tenant's OAuth2 token endpoint, client credentials grant
// (RFC 6749 §4.4): POST /t/{tenant}/connect/token, or /connect/token for
// the default tenant. Client credentials go in the form body (Board:
// "Send client credentials in body") or in HTTP Basic (RFC 6749 §2.3.1).
// A tenant without clients has no token endpoint (404).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	tenant := tenantOf(r)
	pr := s.providerOf(tenant)
	if pr == nil || pr.Access == nil || len(pr.Access.Clients) == 0 {
		writeError(w, schema.StatusError(http.StatusNotFound, "no token endpoint at %s: the tenant has no OAuth2 clients", r.URL.Path))
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "the token endpoint takes POST")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "send the parameters as application/x-www-form-urlencoded")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the form body does not parse")
		return
	}
	form := r.PostForm
	if gt := form.Get("grant_type"); gt != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "only grant_type=client_credentials is supported")
		return
	}
	id, secret := form.Get("client_id"), form.Get("client_secret")
	if bid, bsecret, ok := r.BasicAuth(); ok {
		if id != "" || secret != "" {
			oauthError(w, http.StatusBadRequest, "invalid_request", "client credentials both in the body and in Basic authentication")
			return
		}
		id, secret = bid, bsecret
	}
	c, ok := pr.Access.Clients[id]
	sum := sha256.Sum256([]byte(secret))
	if !ok || id == "" || subtle.ConstantTimeCompare(sum[:], c.SecretSHA256[:]) != 1 {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	}
	scope := form.Get("scope")
	if want := pr.Access.Scope; want != "" && !slices.Contains(strings.Fields(scope), want) {
		oauthError(w, http.StatusBadRequest, "invalid_scope", "the scope must be "+want)
		return
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		writeError(w, errors.New("no randomness for a token"))
		return
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	now := s.now()
	s.issued.add(HashToken(tok), issued{tenant: tenant, p: c.Principal, expires: now.Add(c.Lifetime)}, now)
	out := map[string]any{
		"access_token": tok,
		"token_type":   "Bearer",
		"expires_in":   int64(c.Lifetime / time.Second),
	}
	if scope != "" {
		out["scope"] = scope
	}
	writeOAuth(w, http.StatusOK, out)
}
