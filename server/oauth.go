package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/wire"
)

// Access tokens are self-contained and signed, not kept: any server that
// has the same Config.TokenKey and the tenant's client configuration
// accepts a token another issued — replicas on one database behind a load
// balancer, or a restarted server — and nothing grows with the tokens
// issued. A token is
//
//	"sat1." base64url(claims) "." base64url(HMAC-SHA256(k, claims))
//
// where claims is the JSON {"t": tenant, "c": client id, "e": expiry (Unix
// seconds), "n": 16 random bytes} and k = HMAC-SHA256(TokenKey, label ‖
// tenant ‖ client id ‖ the client's stored secret hash): changing a client's
// secret, or removing the client, ends its tokens. The principal is the
// client's as configured when the token is used.
const accessTokenPrefix = "sat1."

var accessTokenLabel = []byte("scimharness access token v1\x00")

type accessClaims struct {
	Tenant  string `json:"t"`
	Client  string `json:"c"`
	Expires int64  `json:"e"`
	Nonce   []byte `json:"n"`
}

// issued is what a valid access token says.
type issued struct {
	tenant  string
	p       provider.Principal
	expires time.Time
}

// tokenMAC signs claims for client c of tenant.
func (s *Server) tokenMAC(tenant string, c provider.Client, claims []byte) []byte {
	kd := hmac.New(sha256.New, s.tokenKey)
	kd.Write(accessTokenLabel)
	kd.Write([]byte(tenant + "\x00" + c.ID + "\x00"))
	kd.Write(c.SecretSHA256[:])
	m := hmac.New(sha256.New, kd.Sum(nil))
	m.Write(claims)
	return m.Sum(nil)
}

// issue returns a new access token for client c of tenant.
func (s *Server) issue(tenant string, c provider.Client, expires time.Time) (string, error) {
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	claims, err := json.Marshal(accessClaims{Tenant: tenant, Client: c.ID, Expires: expires.Unix(), Nonce: nonce})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	return accessTokenPrefix + enc.EncodeToString(claims) + "." + enc.EncodeToString(s.tokenMAC(tenant, c, claims)), nil
}

// verify returns what token says when this server issued it (or one with
// the same key and client configuration did), expired or not.
func (s *Server) verify(token string) (issued, bool) {
	rest, ok := strings.CutPrefix(token, accessTokenPrefix)
	if !ok || len(rest) > 1024 {
		return issued{}, false
	}
	c64, m64, ok := strings.Cut(rest, ".")
	if !ok {
		return issued{}, false
	}
	enc := base64.RawURLEncoding.Strict() // one spelling per token: no slack in the padding bits
	claims, err1 := enc.DecodeString(c64)
	mac, err2 := enc.DecodeString(m64)
	var cl accessClaims
	if err1 != nil || err2 != nil || json.Unmarshal(claims, &cl) != nil {
		return issued{}, false
	}
	pr := s.providerOf(cl.Tenant)
	if pr == nil || pr.Access == nil {
		return issued{}, false
	}
	c, ok := pr.Access.Clients[cl.Client]
	if !ok || !hmac.Equal(mac, s.tokenMAC(cl.Tenant, c, claims)) {
		return issued{}, false
	}
	return issued{tenant: cl.Tenant, p: c.Principal, expires: time.Unix(cl.Expires, 0)}, true
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
	if t, ok := s.verify(token); ok && t.tenant == tenant {
		if !s.now().Before(t.expires) {
			return provider.Principal{}, provider.ErrExpired
		}
		return t.p, nil
	}
	return provider.Principal{}, schema.StatusError(http.StatusUnauthorized, "a valid bearer token for this tenant is required")
}

// identify reports the tenant the request's path names (pathTenant, on the
// clean path) and whether its bearer token authenticates for it: a token of
// the tenant, or an access token issued to one of its clients (also once
// expired: it is still that tenant's client). It decides whose rate limit a
// request spends and whether the recorder keeps it, before routing.
func (s *Server) identify(r *http.Request) (string, bool) {
	t := pathTenant(r.URL.Path, s.prefixes)
	tok := s.requestToken(r)
	if tok == "" {
		return t, false
	}
	if s.cfg.Tenants.Allowed(t, tok) {
		return t, true
	}
	it, ok := s.verify(tok)
	return t, ok && it.tenant == t
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
	// The client authenticated: its exchange is the tenant's (recorded).
	wire.AuthenticationFrom(r.Context()).Set(tenant)
	scope := form.Get("scope")
	if want := pr.Access.Scope; want != "" && !slices.Contains(strings.Fields(scope), want) {
		oauthError(w, http.StatusBadRequest, "invalid_scope", "the scope must be "+want)
		return
	}
	now := s.now()
	tok, err := s.issue(tenant, c, now.Add(c.Lifetime))
	if err != nil {
		writeError(w, fmt.Errorf("issuing a token: %w", err))
		return
	}
	if s.cfg.Issued != nil {
		s.cfg.Issued(tok) // before it is sent: the recorder must know it first
	}
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
