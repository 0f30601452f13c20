package load

import (
	"context"
	"crypto/tls"
	"net/url"
	"time"

	"github.com/scimharness/scimharness/scim"
	"github.com/valyala/fasthttp"
)

// fastSender sends through fasthttp's HostClient: one connection per
// worker, request and response objects reused, no goroutines per
// connection. See the package doc for why it is the default.
type fastSender struct {
	hc      *fasthttp.HostClient
	base    string
	auth    string
	timeout time.Duration
}

func newFastSender(u *url.URL, base, auth string, conc int, timeout time.Duration) *fastSender {
	hc := &fasthttp.HostClient{
		Addr:                          fastAddr(u),
		IsTLS:                         u.Scheme == "https",
		MaxConns:                      conc,
		MaxConnWaitTimeout:            timeout,
		ReadTimeout:                   timeout,
		WriteTimeout:                  timeout,
		MaxResponseBodySize:           8 << 20,
		DisableHeaderNamesNormalizing: true,
		NoDefaultUserAgentHeader:      true,
		TLSConfig:                     &tls.Config{ServerName: u.Hostname()},
	}
	return &fastSender{hc: hc, base: base, auth: auth, timeout: timeout}
}

func fastAddr(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return u.Host + ":443"
	}
	return u.Host + ":80"
}

func (s *fastSender) send(ctx context.Context, method, path string, body []byte, wantBody bool) (int, []byte, error) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(s.base + path)
	req.Header.SetMethod(method)
	req.Header.Set("Accept", scim.MediaType)
	req.Header.Set("User-Agent", "scimharness-load")
	if s.auth != "" {
		req.Header.Set("Authorization", s.auth)
	}
	if body != nil {
		req.Header.SetContentType(scim.MediaType)
		req.SetBodyRaw(body)
	}
	timeout := s.timeout
	if d, ok := ctx.Deadline(); ok {
		if timeout = min(timeout, time.Until(d)); timeout <= 0 {
			return 0, nil, context.DeadlineExceeded
		}
	}
	if err := s.hc.DoTimeout(req, resp, timeout); err != nil {
		return 0, nil, err
	}
	if wantBody {
		return resp.StatusCode(), append([]byte(nil), resp.Body()...), nil
	}
	return resp.StatusCode(), nil, nil
}
