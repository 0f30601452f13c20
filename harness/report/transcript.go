package report

// The golden transcript format of a simulator run (issue 15 item 3): what
// the tests compare with fixtures/transcripts, and what simulate
// --transcript writes of a live run, so that what a simulator sent to a
// staging server can be read and diffed the same way.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/scimharness/scimharness/harness/scenario"
)

// TranscriptHeaders are the request headers a transcript shows: those a
// server's answer can depend on.
var TranscriptHeaders = []string{"Accept", "Accept-Charset", "Authorization", "Content-Type", "User-Agent"}

var (
	uuidLike  = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	timestamp = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	loopback  = regexp.MustCompile(`https?://127\.0\.0\.1:\d+`)
)

// Transcript renders what a simulator sent — every request of rs but the
// runner's cleanup, in order — as a golden transcript: per request, the
// step and its source (marked [unverified] when no source shows the IdP
// sending it), then method, path and decoded query, the headers
// that matter and the body as compact JSON with sorted keys. Generated
// values are normalised: the run prefix reads ${prefix} (${PREFIX} upper-cased), ids and GUIDs
// read <id1>, <id2>… by first appearance, passwords read <password>,
// timestamps <time> and the test server's address <base> (a resource read
// and sent back, as Okta's PUT does, carries its meta). So a
// change to what a simulator sends, and only that, changes its transcript.
//
// base is the target's base URL: its scheme and host read <base>, its path
// is taken off each request's; "" is a test server on loopback under
// /scim/v2.
func Transcript(rs []scenario.Result, prefix, base string) string {
	basePath, origin := "/scim/v2", ""
	if u, err := url.Parse(base); err == nil && base != "" {
		basePath, origin = strings.TrimSuffix(u.Path, "/"), u.Scheme+"://"+u.Host
	}
	ids := map[string]string{}
	norm := func(s string) string {
		s = uuidLike.ReplaceAllStringFunc(s, func(id string) string {
			id = strings.ToLower(id)
			if ids[id] == "" {
				ids[id] = fmt.Sprintf("<id%d>", len(ids)+1)
			}
			return ids[id]
		})
		if prefix != "" {
			// Okta's spec test upper-cases a userName to test that the
			// server matches it case-insensitively.
			s = strings.ReplaceAll(s, prefix, "${prefix}")
			s = strings.ReplaceAll(s, strings.ToUpper(prefix), "${PREFIX}")
		}
		s = timestamp.ReplaceAllString(s, "<time>")
		if origin != "" {
			s = strings.ReplaceAll(s, origin, "<base>")
		}
		return loopback.ReplaceAllString(s, "<base>")
	}
	var b strings.Builder
	for _, r := range rs {
		if r.Cleanup {
			continue
		}
		for _, ex := range r.Exchanges {
			label := ""
			if !r.Verified {
				label = " [unverified]"
			}
			fmt.Fprintf(&b, "# %s / %s — %s%s\n", r.Scenario, norm(r.Step), r.Source, label)
			target := ex.Request.URL
			if u, err := url.Parse(target); err == nil {
				target = strings.TrimPrefix(u.Path, basePath)
				if u.RawQuery != "" {
					q, err := url.QueryUnescape(u.RawQuery)
					if err != nil {
						q = u.RawQuery
					}
					target += "?" + q
				}
			}
			fmt.Fprintf(&b, "%s %s\n", ex.Request.Method, norm(target))
			for _, h := range TranscriptHeaders {
				if v := ex.Request.Header.Values(h); len(v) > 0 {
					fmt.Fprintf(&b, "  %s: %s\n", h, strings.Join(v, ", "))
				}
			}
			if body := bytes.TrimSpace(ex.Request.Body); len(body) > 0 {
				fmt.Fprintf(&b, "  %s\n", norm(normalBody(body)))
			}
		}
	}
	return b.String()
}

// normalBody re-encodes a JSON body with sorted keys and passwords hidden.
func normalBody(body []byte) string {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return string(body)
	}
	var hide func(any) any
	hide = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if strings.EqualFold(k, "password") {
					v[k] = "<password>"
				} else {
					v[k] = hide(e)
				}
			}
		case []any:
			for i, e := range v {
				v[i] = hide(e)
			}
		}
		return v
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if enc.Encode(hide(v)) != nil {
		return string(body)
	}
	return strings.TrimSpace(out.String())
}
