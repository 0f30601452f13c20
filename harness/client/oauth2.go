package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// tokenSource fetches and caches client-credentials tokens. One mutex
// serialises fetches, so concurrent requests share one token request.
type tokenSource struct {
	cfg OAuth2
	c   *Client

	mu      sync.Mutex
	tok     string
	expires time.Time // zero: no expiry given, keep until a 401
}

// token returns a valid access token, fetching one if needed.
func (t *tokenSource) token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok != "" && (t.expires.IsZero() || t.c.now().Before(t.expires)) {
		return t.tok, nil
	}
	tok, lifetime, err := t.fetch(ctx)
	if err != nil {
		return "", err
	}
	t.tok, t.expires = tok, time.Time{}
	if lifetime > 0 {
		// Refresh a little early so a token does not expire in flight:
		// 30s, or half the lifetime for very short-lived tokens.
		t.expires = t.c.now().Add(lifetime - min(30*time.Second, lifetime/2))
	}
	return tok, nil
}

// invalidate drops the cached token if it is still the one that got a 401
// (another request may already have replaced it).
func (t *tokenSource) invalidate(authorization string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if "Bearer "+t.tok == authorization {
		t.tok = ""
	}
}

func (t *tokenSource) fetch(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if t.cfg.Scope != "" {
		form.Set("scope", t.cfg.Scope)
	}
	p := &prepared{
		method:  http.MethodPost,
		url:     t.cfg.TokenURL,
		header:  http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"application/json"}, "User-Agent": {t.c.cfg.UserAgent}},
		hasBody: true,
	}
	auth := ""
	if t.cfg.CredentialsInBody {
		form.Set("client_id", t.cfg.ClientID)
		form.Set("client_secret", t.cfg.ClientSecret)
	} else {
		// RFC 6749 §2.3.1: both parts are form-encoded before Basic encoding.
		cred := url.QueryEscape(t.cfg.ClientID) + ":" + url.QueryEscape(t.cfg.ClientSecret)
		auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(cred))
	}
	p.body = []byte(form.Encode())

	ex, resp, err := t.c.send(ctx, p, auth)
	ex.Attempts = 1
	defer func() { t.c.capture(*ex) }()
	if err != nil {
		return "", 0, fmt.Errorf("oauth2: token request to %s: %w", t.c.red.URL(t.cfg.TokenURL), err)
	}
	var body struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
		Error       string          `json:"error"`
	}
	_ = json.Unmarshal(resp.Body(), &body)
	if body.AccessToken != "" {
		// Register before anything else could print it.
		t.c.red.AddSecret(body.AccessToken)
	}
	if resp.StatusCode()/100 != 2 || body.AccessToken == "" {
		detail := body.Error
		if detail == "" {
			detail = excerpt(ex.Response.Body, 200)
		}
		return "", 0, fmt.Errorf("oauth2: token endpoint %s answered %d without an access token: %s", t.c.red.URL(t.cfg.TokenURL), resp.StatusCode(), detail)
	}
	return body.AccessToken, parseExpiresIn(body.ExpiresIn), nil
}

// parseExpiresIn accepts a number or, as some providers send, a string.
func parseExpiresIn(raw json.RawMessage) time.Duration {
	s := strings.Trim(string(bytes.TrimSpace(raw)), `"`)
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n * float64(time.Second))
}

// excerpt shortens a body for an error message.
func excerpt(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
