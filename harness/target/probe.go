package target

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/wire"
)

// ErrProbe wraps every failure of the probe: the target cannot be used at
// all (unreachable, credentials refused, wrong base URL). The commands exit
// 2 on it, before anything is created.
var ErrProbe = errors.New("target: probe failed")

// Connect checks cfg (Check), builds its client and probes the server
// (Probe): the one way conform, simulate, load and replay reach a server.
// The client carries cfg's credentials, timeout and retry policy.
func Connect(ctx context.Context, cfg Config) (*client.Client, *wire.Exchange, error) {
	if err := cfg.Check(); err != nil {
		return nil, nil, err
	}
	cl, err := client.New(cfg.ClientConfig())
	if err != nil {
		return nil, nil, err
	}
	ex, err := Probe(ctx, cl)
	if err != nil {
		return nil, nil, err
	}
	return cl, ex, nil
}

// Probe reads GET /ServiceProviderConfig (RFC 7644 §4: every service
// provider has it, and it is read-only) before a run, so that a typo, a
// wrong token or a wrong base path gives one clear line instead of a report
// full of errors. It returns the answer for discovery.
//
// A 404 there is not fatal by itself (some servers lack the endpoint; Okta
// never reads it), unless the base path is evidently wrong: <url>/v2 answers
// the same request (the common "…/scim" for "…/scim/v2"), or the server's
// own 404 detail names its base URL.
func Probe(ctx context.Context, cl *client.Client) (*wire.Exchange, error) {
	base := SafeURL(cl.BaseURL())
	ex, err := cl.Do(ctx, client.Request{Method: http.MethodGet, Path: "/ServiceProviderConfig"})
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil && strings.HasPrefix(err.Error(), "oauth2:"):
		return nil, probeErrorf("cannot get an access token: %v", err)
	case err != nil:
		return nil, probeErrorf("cannot reach %s: %s", base, ex.Err)
	case ex.Status() == http.StatusUnauthorized || ex.Status() == http.StatusForbidden:
		return nil, probeErrorf("%s refused the credentials (%d on GET /ServiceProviderConfig); check --token or the --oauth2-* flags", base, ex.Status())
	case ex.Status() == http.StatusNotFound:
		if hint := wrongBase(ctx, cl, ex); hint != "" {
			return nil, probeErrorf("%s is not a SCIM base URL (404 on GET /ServiceProviderConfig); %s", base, hint)
		}
	}
	return ex, nil
}

// wrongBase returns a hint naming the right base URL when the 404 of the
// probe shows the base path is wrong, or "".
func wrongBase(ctx context.Context, cl *client.Client, ex *wire.Exchange) string {
	v2 := strings.TrimRight(cl.BaseURL(), "/") + "/v2"
	if !strings.HasSuffix(strings.TrimRight(cl.BaseURL(), "/"), "/v2") {
		alt, err := cl.Do(ctx, client.Request{Method: http.MethodGet, Path: v2 + "/ServiceProviderConfig"})
		if err == nil && alt.Status() == http.StatusOK {
			return "the server answers at " + SafeURL(v2) + ": use --url " + SafeURL(v2)
		}
	}
	// The SCIM error body's detail (RFC 7644 §3.12), when it says where
	// the base is.
	if doc, err := ex.JSON(); err == nil {
		if d, _ := doc["detail"].(string); strings.Contains(strings.ToLower(d), "base url") {
			return "the server says: " + d
		}
	}
	return ""
}

// probeError is ErrProbe with its message: errors.Is finds ErrProbe, the
// user reads only the message.
type probeError string

func (e probeError) Error() string        { return string(e) }
func (e probeError) Is(target error) bool { return target == ErrProbe }

func probeErrorf(format string, a ...any) error { return probeError(fmt.Sprintf(format, a...)) }
