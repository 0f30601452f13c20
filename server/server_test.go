package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/store/memory"
)

// The tokens of the two tenants every test server has.
const (
	defaultToken = "t0k3n"
	acmeToken    = "acme-token"
)

// obj is a JSON object, for building request bodies.
type obj = map[string]any

// newServer starts a reference server over a fresh memory store with the
// default tenant and "acme"; mods adjust the configuration.
func newServer(tb testing.TB, mods ...func(*server.Config)) *httptest.Server {
	tb.Helper()
	tenants := server.NewTenants()
	if err := tenants.Add(server.DefaultTenant, server.HashToken(defaultToken)); err != nil {
		tb.Fatal(err)
	}
	if err := tenants.Add("acme", server.HashToken(acmeToken)); err != nil {
		tb.Fatal(err)
	}
	cfg := server.Config{
		Store:      memory.New(),
		Tenants:    tenants,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		MaxResults: 50,
	}
	for _, m := range mods {
		m(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	tb.Cleanup(ts.Close)
	return ts
}

// client is the one way tests talk to the server. Every response passes
// through checkResponse, so every test enforces the wire rules.
type client struct {
	tb    testing.TB
	root  string // scheme://host of the test server
	base  string // SCIM base path: /scim/v2 or /t/{tenant}/scim/v2
	token string
	// serverErrorsExpected lets a test that breaks the store on purpose
	// see 5xx answers; their bodies are still checked.
	serverErrorsExpected bool
}

// newClient starts a server (see newServer) and returns a client of its
// default tenant.
func newClient(tb testing.TB, mods ...func(*server.Config)) *client {
	tb.Helper()
	ts := newServer(tb, mods...)
	return &client{tb: tb, root: ts.URL, base: "/scim/v2", token: defaultToken}
}

// tenant returns a client of the same server for another tenant's URL.
func (c *client) tenant(name, token string) *client {
	d := *c
	d.base, d.token = "/t/"+name+"/scim/v2", token
	return &d
}

// withToken returns a client that sends another bearer token.
func (c *client) withToken(token string) *client {
	d := *c
	d.token = token
	return &d
}

// url is the absolute URL of a path under the client's base.
func (c *client) url(path string) string { return c.root + c.base + path }

type response struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any // nil when the response has no body
}

// do sends a request to base+path. headers are name/value pairs that
// override the defaults (Authorization with the client's token;
// Content-Type application/scim+json when there is a body); an empty value
// removes the header.
func (c *client) do(method, path, body string, headers ...string) response {
	c.tb.Helper()
	return c.doURL(method, c.root+c.base+path, body, headers...)
}

// doURL is do with an absolute URL.
func (c *client) doURL(method, u, body string, headers ...string) response {
	c.tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		c.tb.Fatalf("building %s %s: %v", method, u, err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	if len(headers)%2 != 0 {
		c.tb.Fatalf("headers must come in name/value pairs: %q", headers)
	}
	for i := 0; i < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		c.tb.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		c.tb.Fatalf("%s %s: reading the body: %v", method, u, err)
	}
	r := response{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if method == http.MethodHead {
		if len(raw) != 0 {
			c.tb.Errorf("HEAD %s: a body came back: %s", u, raw)
		}
		return r
	}
	checkResponse(c.tb, method+" "+u, &r, c.serverErrorsExpected)
	return r
}

// noRedirects hands every answer to the checks, a redirect too: a 3xx is
// not a SCIM answer, and following a 301 would turn a POST into a GET.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// scimTypeStatus is RFC 7644 §3.12 Table 9: the status each scimType goes with.
var scimTypeStatus = map[string]int{
	"invalidFilter": 400, "tooMany": 400, "uniqueness": 409, "mutability": 400,
	"invalidSyntax": 400, "invalidPath": 400, "noTarget": 400, "invalidValue": 400,
	"invalidVers": 400, "sensitive": 403,
}

// checkResponse enforces what every answer of a SCIM server must satisfy:
// never a 5xx (but 501), unless the test broke the store on purpose; a body is one JSON object served as application/scim+json;
// 204 and 304 have no body; every non-2xx carries the RFC 7644 §3.12 error
// body with status as a string equal to the HTTP status and a scimType of
// Table 9 that fits the status; meta.version is a string; and a password is
// never returned (RFC 7643 §4.1.1, returned "never").
func checkResponse(tb testing.TB, what string, r *response, serverErrorsExpected bool) {
	tb.Helper()
	if r.Status >= 500 && r.Status != http.StatusNotImplemented && !serverErrorsExpected {
		tb.Errorf("%s: status %d (body %s); no input may make the server fail", what, r.Status, r.Raw)
	}
	if r.Status == http.StatusNoContent || r.Status == http.StatusNotModified {
		if len(r.Raw) != 0 {
			tb.Errorf("%s: status %d with a body: %s", what, r.Status, r.Raw)
		}
		return
	}
	if len(r.Raw) == 0 {
		tb.Errorf("%s: status %d without a body", what, r.Status)
		return
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/scim+json" {
		tb.Errorf("%s: Content-Type %q, want application/scim+json", what, ct)
	}
	d := json.NewDecoder(bytes.NewReader(r.Raw))
	d.UseNumber()
	if err := d.Decode(&r.Body); err != nil {
		tb.Errorf("%s: body is not a JSON object: %v: %s", what, err, r.Raw)
		return
	}
	if d.More() {
		tb.Errorf("%s: data after the JSON object: %s", what, r.Raw)
	}
	walkJSON(r.Body, func(k string, v any) {
		if strings.EqualFold(k, "password") {
			tb.Errorf("%s: a password was returned: %s", what, r.Raw)
		}
		if k == "meta" {
			if m, ok := v.(map[string]any); ok && m["version"] != nil {
				if _, ok := m["version"].(string); !ok {
					tb.Errorf("%s: meta.version %v is not a string", what, m["version"])
				}
			}
		}
	})
	if r.Status < 300 {
		return
	}
	checkErrorBody(tb, what, r.Status, r.Body)
}

// checkErrorBody checks an RFC 7644 §3.12 error body for status.
func checkErrorBody(tb testing.TB, what string, status int, b map[string]any) {
	tb.Helper()
	if !slices.Contains(strs(b["schemas"]), scim.ErrorURN) {
		tb.Errorf("%s: status %d: schemas %v lacks %s", what, status, b["schemas"], scim.ErrorURN)
	}
	if s, ok := b["status"].(string); !ok || s != strconv.Itoa(status) {
		tb.Errorf("%s: error status %#v, want the string %q", what, b["status"], strconv.Itoa(status))
	}
	if st, ok := b["scimType"]; ok {
		s, _ := st.(string)
		want, known := scimTypeStatus[s]
		switch {
		case !known:
			tb.Errorf("%s: scimType %#v is not one of RFC 7644 Table 9", what, st)
		case want != status:
			tb.Errorf("%s: scimType %s with status %d; RFC 7644 pairs it with %d", what, s, status, want)
		}
	}
	if d, ok := b["detail"]; ok {
		if _, ok := d.(string); !ok {
			tb.Errorf("%s: detail %#v is not a string", what, d)
		}
	}
}

// walkJSON calls fn for every key/value pair in v, at any depth.
func walkJSON(v any, fn func(k string, v any)) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			fn(k, x)
			walkJSON(x, fn)
		}
	case []any:
		for _, x := range t {
			walkJSON(x, fn)
		}
	}
}

// js marshals v as a request body.
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// get walks a decoded JSON value: string keys index objects, ints index
// arrays. A missing step gives nil.
func get(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k < 0 || k >= len(a) {
				return nil
			}
			v = a[k]
		default:
			panic(fmt.Sprintf("get: key %#v", k))
		}
	}
	return v
}

// str is get for a string value ("" when absent or not a string).
func str(v any, keys ...any) string {
	s, _ := get(v, keys...).(string)
	return s
}

// strs reads a JSON array of strings.
func strs(v any) []string {
	a, _ := v.([]any)
	var out []string
	for _, x := range a {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// intField returns an integer member of a JSON object, failing the test
// unless it is a JSON number without a fraction (Okta checks this).
func intField(tb testing.TB, m map[string]any, key string) int {
	tb.Helper()
	n, ok := m[key].(json.Number)
	if !ok {
		tb.Errorf("%s = %#v, want a JSON integer", key, m[key])
		return -1
	}
	i, err := strconv.Atoi(n.String())
	if err != nil {
		tb.Errorf("%s = %s, want a JSON integer", key, n)
		return -1
	}
	return i
}

// resources returns the Resources of a ListResponse (absent reads as empty).
func resources(tb testing.TB, r response) []map[string]any {
	tb.Helper()
	if r.Status != http.StatusOK {
		tb.Fatalf("list: status %d: %s", r.Status, r.Raw)
	}
	if !slices.Contains(strs(r.Body["schemas"]), scim.ListResponseURN) {
		tb.Errorf("list: schemas %v lacks %s", r.Body["schemas"], scim.ListResponseURN)
	}
	var out []map[string]any
	for _, x := range asSlice(r.Body["Resources"]) {
		m, ok := x.(map[string]any)
		if !ok {
			tb.Fatalf("list: a resource is not an object: %#v", x)
		}
		out = append(out, m)
	}
	return out
}

func asSlice(v any) []any { a, _ := v.([]any); return a }

// values collects one string attribute of each resource.
func values(rs []map[string]any, keys ...any) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, str(r, keys...))
	}
	return out
}

// sorted returns a sorted copy.
func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	if s == nil {
		s = []string{}
	}
	return s
}

// want fails the test unless the response has the given status and, when
// scimType is not empty, that scimType.
func want(tb testing.TB, r response, status int, scimType string) {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("status %d, want %d; body %s", r.Status, status, r.Raw)
	}
	if scimType != "" && str(r.Body, "scimType") != scimType {
		tb.Fatalf("scimType %q, want %q; body %s", str(r.Body, "scimType"), scimType, r.Raw)
	}
}

// createUser POSTs a user with userName and the extra attributes and
// returns the created resource.
func (c *client) createUser(userName string, extra obj) map[string]any {
	c.tb.Helper()
	body := obj{"schemas": []any{scim.UserURN}, "userName": userName}
	for k, v := range extra {
		body[k] = v
	}
	r := c.do("POST", "/Users", js(body))
	if r.Status != http.StatusCreated {
		c.tb.Fatalf("creating user %q: status %d: %s", userName, r.Status, r.Raw)
	}
	return r.Body
}

// createGroup POSTs a group holding the given member ids.
func (c *client) createGroup(displayName string, memberIDs ...string) map[string]any {
	c.tb.Helper()
	members := []any{}
	for _, id := range memberIDs {
		members = append(members, obj{"value": id})
	}
	r := c.do("POST", "/Groups", js(obj{"schemas": []any{scim.GroupURN}, "displayName": displayName, "members": members}))
	if r.Status != http.StatusCreated {
		c.tb.Fatalf("creating group %q: status %d: %s", displayName, r.Status, r.Raw)
	}
	return r.Body
}

// mustGet GETs a resource path and returns the body, failing unless 200.
func (c *client) mustGet(path string) map[string]any {
	c.tb.Helper()
	r := c.do("GET", path, "")
	if r.Status != http.StatusOK {
		c.tb.Fatalf("GET %s: status %d: %s", path, r.Status, r.Raw)
	}
	return r.Body
}

// patch sends a PatchOp with the given operations.
func (c *client) patch(path string, ops ...obj) response {
	c.tb.Helper()
	return c.do("PATCH", path, patchBody(ops...))
}

// patchOK is patch that fails the test unless the answer is 200 or 204.
func (c *client) patchOK(path string, ops ...obj) {
	c.tb.Helper()
	r := c.patch(path, ops...)
	if r.Status != http.StatusOK && r.Status != http.StatusNoContent {
		c.tb.Fatalf("PATCH %s %s: status %d: %s", path, patchBody(ops...), r.Status, r.Raw)
	}
}

func patchBody(ops ...obj) string {
	list := make([]any, len(ops))
	for i, o := range ops {
		list[i] = o
	}
	return js(obj{"schemas": []any{scim.PatchOpURN}, "Operations": list})
}

// total returns totalResults of GET endpoint?query.
func (c *client) total(endpoint string) int {
	c.tb.Helper()
	r := c.do("GET", endpoint+"?count=0", "")
	if r.Status != http.StatusOK {
		c.tb.Fatalf("counting %s: status %d: %s", endpoint, r.Status, r.Raw)
	}
	return intField(c.tb, r.Body, "totalResults")
}

// list GETs endpoint with the query parameters (name/value pairs, encoded
// with url.Values: spaces become "+").
func (c *client) list(endpoint string, params ...string) response {
	c.tb.Helper()
	q := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		q.Add(params[i], params[i+1])
	}
	p := endpoint
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return c.do("GET", p, "")
}

// filterUserNames returns the userNames a filter on /Users finds.
func (c *client) filterUserNames(f string) []string {
	c.tb.Helper()
	return sorted(values(resources(c.tb, c.list("/Users", "filter", f)), "userName"))
}

// memberIDs returns the member values of a group, sorted.
func memberIDs(g map[string]any) []string {
	var out []string
	for _, m := range asSlice(g["members"]) {
		out = append(out, str(m, "value"))
	}
	return sorted(out)
}

// TestCheckResponseCatchesBrokenAnswers makes sure the response checks
// every test relies on can fail.
func TestCheckResponseCatchesBrokenAnswers(t *testing.T) {
	scimHeader := http.Header{"Content-Type": {"application/scim+json"}}
	tests := []struct {
		name string
		r    response
	}{
		{"500", response{Status: 500, Header: scimHeader, Raw: []byte(`{"schemas":["` + scim.ErrorURN + `"],"status":"500"}`)}},
		{"plain JSON content type", response{Status: 200, Header: http.Header{"Content-Type": {"text/plain"}}, Raw: []byte(`{}`)}},
		{"error without schemas", response{Status: 404, Header: scimHeader, Raw: []byte(`{"status":"404"}`)}},
		{"numeric status", response{Status: 404, Header: scimHeader, Raw: []byte(`{"schemas":["` + scim.ErrorURN + `"],"status":404}`)}},
		{"status mismatch", response{Status: 404, Header: scimHeader, Raw: []byte(`{"schemas":["` + scim.ErrorURN + `"],"status":"400"}`)}},
		{"unknown scimType", response{Status: 400, Header: scimHeader, Raw: []byte(`{"schemas":["` + scim.ErrorURN + `"],"status":"400","scimType":"bad"}`)}},
		{"uniqueness with 400", response{Status: 400, Header: scimHeader, Raw: []byte(`{"schemas":["` + scim.ErrorURN + `"],"status":"400","scimType":"uniqueness"}`)}},
		{"password returned", response{Status: 200, Header: scimHeader, Raw: []byte(`{"userName":"x","password":"p"}`)}},
		{"numeric version", response{Status: 200, Header: scimHeader, Raw: []byte(`{"meta":{"version":3}}`)}},
		{"body on 204", response{Status: 204, Header: scimHeader, Raw: []byte(`{}`)}},
		{"not JSON", response{Status: 200, Header: scimHeader, Raw: []byte(`<html>`)}},
		{"empty 400", response{Status: 400, Header: scimHeader}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recordingTB{TB: t}
			checkResponse(rec, "test", &tc.r, false)
			if !rec.failed {
				t.Errorf("checkResponse accepted %d %s", tc.r.Status, tc.r.Raw)
			}
		})
	}
	t.Run("good error", func(t *testing.T) {
		rec := &recordingTB{TB: t}
		r := response{Status: 409, Header: scimHeader, Raw: []byte(`{"schemas":["` + scim.ErrorURN + `"],"status":"409","scimType":"uniqueness","detail":"dup"}`)}
		checkResponse(rec, "test", &r, false)
		if rec.failed {
			t.Error("checkResponse rejected a valid error body")
		}
	})
}

// recordingTB notes failures instead of reporting them.
type recordingTB struct {
	testing.TB
	failed bool
}

func (r *recordingTB) Errorf(string, ...any) { r.failed = true }
func (r *recordingTB) Fatalf(string, ...any) { r.failed = true }
func (r *recordingTB) Helper()               {}

// decodeInto decodes JSON as the client does (numbers as json.Number).
func decodeInto(raw []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	return d.Decode(v)
}
