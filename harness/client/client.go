// Package client is the one HTTP client the harness uses to talk to a SCIM
// service provider: simulators, suites and certification all send through it,
// so authentication, retries and wire capture behave the same everywhere.
//
// Three rules shape it:
//
//   - Any HTTP answer is a result, never an error. Do returns an error only
//     when no answer arrived (connection refused, timeout, DNS, a cancelled
//     context, a token endpoint that would not give a token). Judging a 409 or
//     a 500 is the caller's business.
//   - Everything is captured: each wire.Exchange holds the request and response as
//     they crossed the wire, so a report can show exactly what happened.
//   - Nothing secret is ever stored: redaction happens when the wire.Exchange is
//     built, before any caller, recorder or report can see it (see redact.go).
//
// Requests go through github.com/go-resty/resty/v2. Retries are done here
// rather than by resty's retry loop so the policy (which methods, which
// statuses, Retry-After, 401 → refresh once) is explicit and testable with an
// injected clock.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/wire"
)

// DefaultTimeout bounds one attempt; it is Okta's documented client timeout.
const DefaultTimeout = 60 * time.Second

// maxResponseBytes protects the harness from a target that streams forever;
// a SCIM page of 1000 users is a few MiB.
const maxResponseBytes = 64 << 20

// DefaultUserAgent is sent when Config.UserAgent is empty.
const DefaultUserAgent = "scimharness"

// Config configures a Client. Only BaseURL is required.
type Config struct {
	// BaseURL is the SCIM base, e.g. http://127.0.0.1:8080/scim/v2. Request
	// paths are appended to it.
	BaseURL string
	// Token is a static bearer token. Ignored when OAuth2 is set.
	Token string
	// OAuth2 fetches bearer tokens with the client-credentials grant.
	OAuth2 *OAuth2
	// UserAgent defaults to DefaultUserAgent; simulators set the IdP's.
	UserAgent string
	// Headers are sent on every request, after the defaults (Accept and, for
	// bodies, Content-Type application/scim+json) and before the request's
	// own headers. An empty value removes the header: an IdP that sends no
	// Accept is simulated with {"Accept": ""}. Content-Type here overrides
	// the media type of bodies and is not sent on requests without one.
	Headers map[string]string
	// Timeout bounds each attempt, body included. Default DefaultTimeout.
	Timeout time.Duration
	// Retry is the retry policy. The zero value never retries, which is what
	// judging wants: a 503 is then an answer to judge, not something to hide.
	Retry Retry
	// Capture, if set, receives every finished wire.Exchange (already redacted),
	// including token-endpoint exchanges. A Recorder's Record method fits.
	Capture func(wire.Exchange)
	// Transport, if set, replaces the default HTTP transport (custom CAs,
	// an httptest TLS server's client transport).
	Transport http.RoundTripper
}

// Retry is the retry policy: exponential backoff with jitter on 429 and 503
// (any method: the server refused before acting) and on transport errors
// for idempotent methods only (a POST or PATCH that may have reached the
// server is never sent twice). Retry-After, in seconds or as an HTTP-date,
// replaces the computed backoff. Every wait is capped at MaxDelay.
type Retry struct {
	// Max is the number of retries after the first attempt; 0 disables them.
	Max int
	// Base is the first backoff (default 500ms); it doubles per retry and is
	// jittered to between half and all of it.
	Base time.Duration
	// MaxDelay caps any single wait, Retry-After included (default 30s).
	MaxDelay time.Duration
	// Statuses, if set, are the only answers retried, instead of 429, 503
	// and transport errors: the CLI retries only 429, the server asking to
	// slow down, since a 503 or a dropped connection is what the checks judge.
	Statuses []int
}

// OAuth2 configures the client-credentials grant (RFC 6749 §4.4). The token
// is cached until shortly before expires_in and fetched again once when the
// service provider answers 401.
type OAuth2 struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
	Scope        string
	// CredentialsInBody sends client_id and client_secret as form fields
	// (RFC 6749 §2.3.1's alternative, which Board requires) instead of HTTP
	// Basic authentication.
	CredentialsInBody bool
}

// Request is one request to send.
type Request struct {
	Method string
	// Path is relative to Config.BaseURL and may carry a query, which is sent
	// as written (for IdP-specific encodings such as '+' for space) except
	// that bytes invalid in a URL (space, '"', non-ASCII) are %-encoded.
	// An absolute http(s) URL is used as is.
	Path string
	// Query is encoded and appended to Path's query.
	Query url.Values
	// Body is marshalled as JSON (HTML characters are not escaped, as IdPs
	// do not escape them). Ignored when RawBody is set.
	Body any
	// RawBody is sent byte for byte: malformed-input steps need it.
	RawBody []byte
	// Headers override Config.Headers; an empty value removes the header.
	// Setting Authorization here replaces the client's credentials, and an
	// empty Authorization sends none (for 401 checks).
	Headers map[string]string
	// ContentType overrides the Content-Type of a body.
	ContentType string
}

// Client sends SCIM requests. It is safe for concurrent use.
type Client struct {
	cfg    Config
	base   string
	rc     *resty.Client
	tokens *tokenSource
	red    *wire.Redactor

	// Injected in tests; real time and randomness otherwise.
	sleep  func(ctx context.Context, d time.Duration) error
	now    func() time.Time
	jitter func() float64
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: BaseURL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.Retry.Max < 0 {
		return nil, fmt.Errorf("client: Retry.Max %d is negative", cfg.Retry.Max)
	}
	if cfg.Retry.Base <= 0 {
		cfg.Retry.Base = 500 * time.Millisecond
	}
	if cfg.Retry.MaxDelay <= 0 {
		cfg.Retry.MaxDelay = 30 * time.Second
	}
	c := &Client{
		cfg:    cfg,
		base:   strings.TrimRight(cfg.BaseURL, "/"),
		red:    wire.NewRedactor(),
		sleep:  sleepCtx,
		now:    time.Now,
		jitter: rand.Float64,
	}
	c.red.AddSecret(cfg.Token)
	if cfg.OAuth2 != nil {
		if cfg.OAuth2.TokenURL == "" {
			return nil, errors.New("client: OAuth2.TokenURL is required")
		}
		c.red.AddSecret(cfg.OAuth2.ClientSecret)
		c.tokens = &tokenSource{cfg: *cfg.OAuth2, c: c}
	}
	hc := &http.Client{Timeout: cfg.Timeout}
	if cfg.Transport != nil {
		hc.Transport = cfg.Transport
	} else {
		// The default keeps 2 idle connections per host: simulators running
		// scenarios at once would dial a new connection for most requests.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		hc.Transport = t
	}
	c.rc = resty.NewWithClient(hc).
		SetLogger(discardLogger{}).
		SetDisableWarn(true).
		SetResponseBodyLimit(maxResponseBytes).
		// A redirect is an answer to capture and judge, and following one
		// could carry credentials to another host.
		SetRedirectPolicy(resty.RedirectPolicyFunc(func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		})).
		SetPreRequestHook(removeHeaders)
	return c, nil
}

// BaseURL returns the SCIM base URL requests are relative to.
func (c *Client) BaseURL() string { return c.base }

// prepared is a request ready to send: URL built, body encoded, headers
// merged. It is built once and reused by every attempt.
type prepared struct {
	method  string
	url     string
	header  http.Header
	remove  []string // headers to strip after resty adds its defaults
	body    []byte
	authSet bool // the request chose its own Authorization (or none)
	hasBody bool
}

func (c *Client) prepare(req Request) (*prepared, error) {
	p := &prepared{method: strings.ToUpper(req.Method), header: http.Header{}}
	if p.method == "" {
		p.method = http.MethodGet
	}
	u, err := c.resolve(req.Path, req.Query)
	if err != nil {
		return nil, err
	}
	p.url = u

	switch {
	case req.RawBody != nil:
		p.body, p.hasBody = req.RawBody, true
	case req.Body != nil:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(req.Body); err != nil {
			return nil, fmt.Errorf("client: encoding the request body: %w", err)
		}
		p.body, p.hasBody = bytes.TrimSuffix(buf.Bytes(), []byte("\n")), true
	}

	set := func(k, v string) {
		if v == "" {
			p.header.Del(k)
			p.remove = append(p.remove, k)
			return
		}
		p.header.Set(k, v)
		p.remove = without(p.remove, k)
	}
	set("Accept", scim.MediaType)
	set("User-Agent", c.cfg.UserAgent)
	if p.hasBody {
		set("Content-Type", scim.MediaType)
	}
	for k, v := range c.cfg.Headers {
		if !p.hasBody && http.CanonicalHeaderKey(k) == "Content-Type" {
			continue // a media-type override for bodies, not a header for GETs
		}
		set(k, v)
	}
	if req.ContentType != "" {
		set("Content-Type", req.ContentType)
	}
	for k, v := range req.Headers {
		if http.CanonicalHeaderKey(k) == "Authorization" {
			p.authSet = true
		}
		set(k, v)
	}
	return p, nil
}

func without(list []string, k string) []string {
	out := list[:0]
	for _, x := range list {
		if !strings.EqualFold(x, k) {
			out = append(out, x)
		}
	}
	return out
}

// resolve joins BaseURL and path and appends the encoded query.
func (c *Client) resolve(path string, q url.Values) (string, error) {
	var u string
	path = escapeInvalid(path)
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		u = path
	} else if path == "" {
		u = c.base
	} else {
		u = c.base + "/" + strings.TrimLeft(path, "/")
	}
	if len(q) > 0 {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + q.Encode()
	}
	if _, err := url.Parse(u); err != nil {
		return "", fmt.Errorf("client: bad request URL: %w", err)
	}
	return u, nil
}

// escapeInvalid percent-encodes the bytes that cannot appear in a request
// target (RFC 3986 §2: controls, space, non-ASCII, and "<>\^`{|}), so that
// a template may write filter=userName eq "x" in a path. Everything valid,
// '+' and existing %XX escapes included, is left as written.
func escapeInvalid(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"<>\^`+"`"+`{|}`, c) >= 0 {
			if b.Len() == 0 {
				b.WriteString(s[:i])
			}
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(c)
		}
	}
	if b.Len() == 0 {
		return s
	}
	return b.String()
}

// Preview returns the wire.Exchange that Do would start with — request only,
// redacted — without sending anything or fetching a token. Dry runs print it.
func (c *Client) Preview(req Request) (*wire.Exchange, error) {
	p, err := c.prepare(req)
	if err != nil {
		return nil, err
	}
	h := p.header.Clone()
	if !p.authSet && (c.cfg.Token != "" || c.tokens != nil) {
		h.Set("Authorization", "Bearer "+wire.Redacted)
	}
	ex := &wire.Exchange{Request: c.red.Request(p.method, p.url, h, p.body)}
	return ex, nil
}

// Do sends req and returns the exchange. The error is non-nil only when no
// HTTP answer was obtained; the wire.Exchange is then still returned, holding the
// request and Err, so that callers can report what was attempted.
func (c *Client) Do(ctx context.Context, req Request) (*wire.Exchange, error) {
	started := c.now()
	p, err := c.prepare(req)
	if err != nil {
		ex := &wire.Exchange{Started: started, Request: wire.Request{Method: req.Method, URL: c.red.URL(req.Path)}, Err: err.Error()}
		c.capture(*ex)
		return ex, err
	}
	var (
		retried   []wire.Exchange
		retries   int
		refreshed bool
	)
	for attempt := 1; ; attempt++ {
		auth, err := c.authorization(ctx, p)
		if err != nil {
			ex := &wire.Exchange{Started: started, Request: c.red.Request(p.method, p.url, p.header, p.body), Attempts: attempt, Retried: retried, Err: err.Error()}
			c.capture(*ex)
			return ex, err
		}
		ex, resp, err := c.send(ctx, p, auth)
		ex.Attempts = attempt
		if err == nil && resp.StatusCode() == http.StatusUnauthorized && c.tokens != nil && !p.authSet && !refreshed {
			// The cached token may have been revoked or expired early:
			// fetch a new one, once.
			refreshed = true
			c.tokens.invalidate(auth)
			retried = append(retried, *ex)
			continue
		}
		wait, again := c.retryAfter(p.method, retries, resp, err)
		if again && ctx.Err() == nil {
			if serr := c.sleep(ctx, wait); serr == nil {
				retries++
				retried = append(retried, *ex)
				continue
			}
		}
		// Done: either no retry is due, or the caller gave up while we
		// waited — then the last answer stands (an HTTP answer is never an
		// error) and a transport failure keeps its error.
		ex.Started, ex.Retried = started, retried
		c.capture(*ex)
		return ex, err
	}
}

// authorization returns the Authorization value for this attempt.
func (c *Client) authorization(ctx context.Context, p *prepared) (string, error) {
	switch {
	case p.authSet:
		return "", nil
	case c.tokens != nil:
		tok, err := c.tokens.token(ctx)
		if err != nil {
			return "", err
		}
		return "Bearer " + tok, nil
	case c.cfg.Token != "":
		return "Bearer " + c.cfg.Token, nil
	}
	return "", nil
}

type removeKey struct{}

// removeHeaders strips the headers a request asked to omit, after resty has
// added its defaults (User-Agent, Accept copied from Content-Type).
func removeHeaders(_ *resty.Client, r *http.Request) error {
	if rm, ok := r.Context().Value(removeKey{}).([]string); ok {
		for _, k := range rm {
			r.Header.Del(k)
		}
		if contains(rm, "User-Agent") {
			// net/http adds its own User-Agent unless the key is present
			// and empty.
			r.Header["User-Agent"] = []string{""}
		}
	}
	return nil
}

func contains(list []string, k string) bool {
	for _, x := range list {
		if strings.EqualFold(x, k) {
			return true
		}
	}
	return false
}

// send makes one attempt. The wire.Exchange is always non-nil.
func (c *Client) send(ctx context.Context, p *prepared, auth string) (*wire.Exchange, *resty.Response, error) {
	if len(p.remove) > 0 {
		ctx = context.WithValue(ctx, removeKey{}, p.remove)
	}
	r := c.rc.R().SetContext(ctx)
	r.Header = p.header.Clone()
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	if p.hasBody {
		r.SetBody(p.body)
	}
	start := c.now()
	t0 := time.Now()
	resp, err := r.Execute(p.method, p.url)
	dur := time.Since(t0)

	sentHeader := r.Header
	if r.RawRequest != nil {
		sentHeader = r.RawRequest.Header
	}
	sentURL := p.url
	if r.RawRequest != nil && r.RawRequest.URL != nil {
		sentURL = r.RawRequest.URL.String()
	}
	ex := &wire.Exchange{
		Started:  start,
		Request:  c.red.Request(p.method, sentURL, sentHeader, p.body),
		Duration: dur,
	}
	if err != nil {
		ex.Err = err.Error()
		return ex, resp, err
	}
	ex.Response = c.red.Response(resp.StatusCode(), resp.Header(), resp.Body())
	return ex, resp, nil
}

// retryAfter decides whether to retry after an attempt and how long to wait.
func (c *Client) retryAfter(method string, retries int, resp *resty.Response, err error) (time.Duration, bool) {
	if retries >= c.cfg.Retry.Max {
		return 0, false
	}
	if err != nil {
		if errors.Is(err, context.Canceled) || !idempotent(method) || c.cfg.Retry.Statuses != nil {
			return 0, false
		}
		return c.backoff(retries), true
	}
	if st := c.cfg.Retry.Statuses; st != nil {
		if !slices.Contains(st, resp.StatusCode()) {
			return 0, false
		}
	} else if s := resp.StatusCode(); s != http.StatusTooManyRequests && s != http.StatusServiceUnavailable {
		return 0, false
	}
	if d, ok := parseRetryAfter(resp.Header().Get("Retry-After"), c.now()); ok {
		return min(d, c.cfg.Retry.MaxDelay), true
	}
	return c.backoff(retries), true
}

// backoff is Base·2^retries, jittered to [½, 1] of itself ("equal jitter",
// so clients that failed together do not retry together) and capped.
func (c *Client) backoff(retries int) time.Duration {
	d := c.cfg.Retry.Base << min(retries, 30)
	if d <= 0 || d > c.cfg.Retry.MaxDelay {
		d = c.cfg.Retry.MaxDelay
	}
	return d/2 + time.Duration(c.jitter()*float64(d/2))
}

// idempotent reports whether RFC 9110 §9.2.2 lets a request be repeated.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// parseRetryAfter reads delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var secs int64
	if _, err := fmt.Sscanf(v, "%d", &secs); err == nil && fmt.Sprint(secs) == v {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) capture(ex wire.Exchange) {
	if c.cfg.Capture != nil {
		c.cfg.Capture(ex)
	}
}

// discardLogger silences resty: the harness reports through Exchanges, and
// a library log line could carry a URL with a secret in it.
type discardLogger struct{}

func (discardLogger) Errorf(string, ...any) {}
func (discardLogger) Warnf(string, ...any)  {}
func (discardLogger) Debugf(string, ...any) {}
