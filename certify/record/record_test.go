package record_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/scimharness/scimharness/certify/record"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/provider/board"
	"github.com/scimharness/scimharness/server/provider/huddle"
	"github.com/scimharness/scimharness/server/store/memory"
	"github.com/scimharness/scimharness/wire"
)

const (
	tokenDefault = "tok-Zq9XvK7mWpL3distinctive"
	tokenAcme    = "acme-Hh42RrTtYy88distinctive"
	password     = "pw-Secr3tVeryDistinctive!"
)

func reference(t *testing.T) http.Handler {
	t.Helper()
	tenants := server.NewTenants()
	if err := tenants.Add(server.DefaultTenant, server.HashToken(tokenDefault)); err != nil {
		t.Fatal(err)
	}
	if err := tenants.Add("acme", server.HashToken(tokenAcme)); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: memory.New(), Tenants: tenants, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func TestRecordRedactsAndKeepsEveryExchange(t *testing.T) {
	dir := t.TempDir()
	// The recorder is not told the tokens: rule-based redaction alone must
	// hide them (the literal pass is a second line of defence).
	rec, err := record.New(dir, record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(rec.Wrap(reference(t)))
	defer ts.Close()

	type req struct {
		method, path, token, body string
		hdr                       map[string]string
	}
	user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alice","password":"` + password + `"}`
	reqs := []req{
		{method: "GET", path: "/scim/v2/Users?filter=userName%20eq%20%22x%22", token: tokenDefault},
		{method: "POST", path: "/scim/v2/Users", token: tokenDefault, body: user},
		{method: "GET", path: "/scim/v2/Users?access_token=" + tokenDefault, token: tokenDefault},
		{method: "GET", path: "/scim/v2/Users", token: tokenDefault, hdr: map[string]string{"Cookie": "session=" + tokenDefault, "X-Api-Token": tokenDefault}},
		{method: "PATCH", path: "/scim/v2/Users/nope", token: tokenDefault, body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"password","value":"` + password + `"}]}`},
		{method: "GET", path: "/scim/v2/Users", token: "wrong-" + tokenDefault},
		{method: "POST", path: "/t/acme/scim/v2/Users", token: tokenAcme, body: strings.Replace(user, "alice", "bob", 1)},
		{method: "GET", path: "/t/acme/scim/v2/ServiceProviderConfig", token: tokenAcme},
	}
	var wg sync.WaitGroup
	for _, rq := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var body io.Reader
			if rq.body != "" {
				body = strings.NewReader(rq.body)
			}
			r, _ := http.NewRequest(rq.method, ts.URL+rq.path, body)
			r.Header.Set("Authorization", "Bearer "+rq.token)
			if rq.body != "" {
				r.Header.Set("Content-Type", "application/scim+json")
			}
			for k, v := range rq.hdr {
				r.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}()
	}
	wg.Wait()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}

	files, _ := filepath.Glob(filepath.Join(dir, "*"+record.Ext))
	if len(files) != 2 {
		t.Fatalf("want one file per tenant (2), got %v", files)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{tokenDefault, tokenAcme, password, "Zq9XvK7mWpL3", "Hh42RrTtYy88", "Secr3tVery"} {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("%s contains the secret %q:\n%s", f, secret, raw)
			}
		}
	}

	recs, err := record.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	perTenant := map[string][]record.Entry{}
	for _, rc := range recs {
		perTenant[rc.Tenant] = append(perTenant[rc.Tenant], rc.Entries...)
	}
	// The request with a wrong token authenticated as nobody: not recorded.
	if n := len(perTenant["default"]); n != 5 {
		t.Errorf("default tenant: %d entries, want 5", n)
	}
	if n := len(perTenant["acme"]); n != 2 {
		t.Errorf("acme tenant: %d entries, want 2", n)
	}
	statuses := map[string]int{}
	for _, es := range perTenant {
		for i, e := range es {
			if e.Seq != i+1 {
				t.Errorf("%s: seq %d at %d", e.Tenant, e.Seq, i)
			}
			if e.Time.IsZero() || e.Response.Status == 0 {
				t.Errorf("incomplete entry %+v", e)
			}
			if got := e.Request.Header.Get("Authorization"); got != "Bearer [REDACTED]" {
				t.Errorf("%s: Authorization recorded as %q", e, got)
			}
			statuses[e.Method+" "+e.Path]++
			if e.Method == "POST" && e.Response.Status == 201 {
				if !bytes.Contains(e.Request.Body, []byte(`"userName"`)) || !bytes.Contains(e.Response.Body, []byte(`"id"`)) {
					t.Errorf("%s: bodies not recorded: %s / %s", e, e.Request.Body, e.Response.Body)
				}
				if e.Response.Header.Get("Location") == "" {
					t.Errorf("%s: response headers not recorded", e)
				}
			}
			if strings.Contains(e.Query, "access_token") && e.Query != "access_token=[REDACTED]" {
				t.Errorf("query not redacted: %q", e.Query)
			}
		}
	}
	if statuses["POST /t/acme/scim/v2/Users"] != 1 || statuses["GET /scim/v2/Users"] != 3 {
		t.Errorf("exchanges: %v", statuses)
	}
}

func TestRecordPassesBodyOnAndTruncates(t *testing.T) {
	dir := t.TempDir()
	rec, err := record.New(dir, record.Options{MaxBody: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got string
	h := rec.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wire.AuthenticationFrom(r.Context()).Set("default")
		b, _ := io.ReadAll(r.Body)
		got = string(b)
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "a long answer body")
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/scim/v2/Users", strings.NewReader("0123456789abcdef")))
	rec.Close()
	if got != "0123456789abcdef" {
		t.Errorf("handler read %q", got)
	}
	recs, err := record.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	e := recs[0].Entries[0]
	if !e.Truncated || string(e.Request.Body) != "0123456789" || e.Response.Status != 418 || string(e.Response.Body) != "a long ans" {
		t.Errorf("entry %+v", e)
	}
}

// recordedServer is the reference server (tenants default and acme) behind
// a recorder in a fresh directory; mods adjust the server.
func recordedServer(t *testing.T, o record.Options, mods ...func(*server.Config)) (*httptest.Server, *record.Recorder, string) {
	t.Helper()
	dir := t.TempDir()
	rec, err := record.New(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	tenants := server.NewTenants()
	for name, tok := range map[string]string{server.DefaultTenant: tokenDefault, "acme": tokenAcme} {
		if err := tenants.Add(name, server.HashToken(tok)); err != nil {
			t.Fatal(err)
		}
	}
	cfg := server.Config{Store: memory.New(), Tenants: tenants, Logger: slog.New(slog.DiscardHandler), Issued: rec.AddSecret}
	for _, m := range mods {
		m(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(rec.Wrap(srv))
	t.Cleanup(ts.Close)
	return ts, rec, dir
}

func send(t *testing.T, ts *httptest.Server, method, path, token string, hdr map[string]string, body string) int {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" && r.Header.Get("Content-Type") == "" {
		r.Header.Set("Content-Type", "application/scim+json")
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	resp, err := ts.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// openIn counts this process's open descriptors on files in dir.
func openIn(t *testing.T, dir string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	n := 0
	for _, fd := range fds {
		if p, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasPrefix(p, dir+string(filepath.Separator)) {
			n++
		}
	}
	return n
}

// descriptors counts this process's open descriptors.
func descriptors(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(fds)
}

// Issue 14 #4 and #7: clients without a valid token — naming any tenant,
// with a wrong token, another tenant's, or a dotted path — open no file but
// the one anonymous file and add nothing to a tenant's recording; they are
// counted. The real tenants'
// exchanges are all kept, under the tenant the server authenticated (the
// clean path's), not the one the raw path names first.
func TestRecordKeepsOnlyAuthenticatedExchanges(t *testing.T) {
	ts, rec, dir := recordedServer(t, record.Options{})
	const flood = 600
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range flood {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var tok string
			switch i % 3 {
			case 1:
				tok = "guess-" + tokenAcme
			case 2:
				tok = tokenDefault // another tenant's
			}
			send(t, ts, "GET", "/t/anon"+strconv.Itoa(i)+"/../acme/scim/v2/Users", tok, nil, "")
		}()
	}
	send(t, ts, "GET", "/t/acme/scim/v2/Users", tokenAcme, nil, "")
	send(t, ts, "GET", "/t/globex/../acme/scim/v2/ServiceProviderConfig", tokenAcme, nil, "")
	wg.Wait()
	if n := openIn(t, dir); n != 2 {
		t.Errorf("%d recording files open after %d anonymous requests, want 2 (acme's and the anonymous file)", n, flood)
	}
	if got := rec.Anonymous(); got != flood {
		t.Errorf("Anonymous() = %d, want %d", got, flood)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := record.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Tenant != "acme" || len(recs[0].Entries) != 2 {
		for _, rc := range recs[:min(len(recs), 5)] {
			t.Logf("%s: %s, %d entries", rc.File, rc.Tenant, len(rc.Entries))
		}
		t.Fatalf("want one recording, acme's, with its 2 exchanges; got %d files", len(recs))
	}
	if p := recs[0].Entries[1].Path; p != "/t/acme/scim/v2/ServiceProviderConfig" {
		t.Errorf("the dotted path is recorded as %q, want the clean /t/acme/scim/v2/ServiceProviderConfig", p)
	}
}

// Issue 14 #4: 20,000 anonymous requests naming as many tenants — no
// token, a guessed one, another tenant's, a token in the query — leave one
// anonymous file, within MaxAnonymousBytes, redacted, with bodies within
// MaxBody; the real tenant's recording is whole, and the process holds no
// more descriptors than before the flood.
func TestRecordKeepsAnonymousInOneBoundedFile(t *testing.T) {
	const (
		flood    = 20000
		maxBytes = 256 << 10
		maxBody  = 64
	)
	dir := t.TempDir()
	rec, err := record.New(dir, record.Options{Secrets: []string{tokenDefault, tokenAcme}, MaxBody: maxBody, MaxAnonymousBytes: maxBytes})
	if err != nil {
		t.Fatal(err)
	}
	h := rec.Wrap(reference(t))
	serve := func(method, target, token, body string) int {
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		r.Header.Set("Content-Type", "application/scim+json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	guess := func(i int) string { return "guess-" + strconv.Itoa(i) + "-Kp2distinctive" }
	anonymous := func(i int) {
		p := "/t/anon" + strconv.Itoa(i) + "/scim/v2/Users"
		var code int
		switch i % 4 {
		case 0:
			code = serve("GET", p, "", "")
		case 1:
			code = serve("GET", p+"?ref="+guess(i), guess(i), "")
		case 2:
			code = serve("GET", p+"?ref="+tokenAcme, tokenDefault, "") // another tenant's token
		default:
			code = serve("POST", p, "", `{"userName":"x","password":"`+password+`","displayName":"`+strings.Repeat("y", 500)+`"}`)
		}
		if code != http.StatusUnauthorized {
			t.Fatalf("anonymous request %d: %d", i, code)
		}
	}
	acme := func() {
		if code := serve("GET", "/t/acme/scim/v2/ServiceProviderConfig", tokenAcme, ""); code != http.StatusOK {
			t.Fatalf("acme: %d", code)
		}
	}
	// Both files open before the descriptors are counted.
	anonymous(0)
	acme()
	before := descriptors(t)
	for i := 1; i < flood; i++ {
		anonymous(i)
		if i%1000 == 0 {
			acme()
		}
	}
	if after := descriptors(t); after > before {
		t.Errorf("%d descriptors open after %d anonymous requests, %d before", after, flood, before)
	}
	if got := rec.Anonymous(); got != flood {
		t.Errorf("Anonymous() = %d, want %d", got, flood)
	}
	kept := rec.AnonymousKept()
	t.Logf("%d of %d anonymous exchanges kept; %d descriptors open", kept, flood, before)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}

	files, _ := filepath.Glob(filepath.Join(dir, record.AnonymousDir, "*"))
	if len(files) != 1 {
		t.Fatalf("anonymous files %v, want one", files)
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > maxBytes || len(raw) < maxBytes/2 {
		t.Errorf("the anonymous file holds %d bytes, want at most %d and near it", len(raw), maxBytes)
	}
	for _, secret := range []string{tokenDefault, tokenAcme, password, "-Kp2distinctive"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the anonymous file holds the secret %q", secret)
		}
	}
	anon, err := record.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(anon.Entries) != kept || kept == 0 || kept == flood {
		t.Errorf("%d entries in the anonymous file, AnonymousKept() %d; want them equal, and some but not all of %d", len(anon.Entries), kept, flood)
	}
	for _, e := range anon.Entries {
		if e.Tenant != "" || e.Response.Status != http.StatusUnauthorized || len(e.Request.Body) > maxBody || len(e.Response.Body) > maxBody {
			t.Fatalf("anonymous entry %d: tenant %q, status %d, bodies of %d and %d bytes; want no tenant, 401, at most %d",
				e.Seq, e.Tenant, e.Response.Status, len(e.Request.Body), len(e.Response.Body), maxBody)
		}
		if got := e.Request.Header.Get("Authorization"); got != "" && got != "Bearer [REDACTED]" {
			t.Fatalf("anonymous entry %d: Authorization %q", e.Seq, got)
		}
	}
	recs, err := record.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Tenant != "acme" || len(recs[0].Entries) != flood/1000 {
		t.Fatalf("recordings: %d, want acme's alone with its %d exchanges", len(recs), flood/1000)
	}
}

// Issue 14 #4: however many tenants speak, at most MaxOpenFiles recording
// files are open; a closed one is reopened and appended to, in order.
func TestRecordBoundsOpenFiles(t *testing.T) {
	dir := t.TempDir()
	rec, err := record.New(dir, record.Options{MaxOpenFiles: 2})
	if err != nil {
		t.Fatal(err)
	}
	h := rec.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wire.AuthenticationFrom(r.Context()).Set(r.URL.Query().Get("tenant"))
		w.WriteHeader(http.StatusNoContent)
	}))
	most := 0
	for round := range 3 {
		for _, tenant := range []string{"a", "b", "c", "d", "e"} {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x?round="+strconv.Itoa(round)+"&tenant="+tenant, nil))
			most = max(most, openIn(t, dir))
		}
	}
	if most > 2 {
		t.Errorf("%d files open at once, want at most 2", most)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if n := openIn(t, dir); n != 0 {
		t.Errorf("%d files open after Close", n)
	}
	recs, err := record.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 {
		t.Fatalf("%d recordings, want 5", len(recs))
	}
	for _, rc := range recs {
		for i, e := range rc.Entries {
			if e.Seq != i+1 || !strings.Contains(e.Query, "round="+strconv.Itoa(i)) {
				t.Errorf("%s entry %d: seq %d, query %q", rc.Tenant, i, e.Seq, e.Query)
			}
		}
		if len(rc.Entries) != 3 {
			t.Errorf("%s: %d entries, want 3", rc.Tenant, len(rc.Entries))
		}
	}
}

// Issue 14 #4: an exchange that cannot be written is counted and logged,
// not lost in silence.
func TestRecordDroppedIsCountedAndLogged(t *testing.T) {
	var logged bytes.Buffer
	var mu sync.Mutex
	dir := t.TempDir()
	rec, err := record.New(dir, record.Options{Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logged}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil { // nowhere to write
		t.Fatal(err)
	}
	h := rec.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wire.AuthenticationFrom(r.Context()).Set("acme")
	}))
	for range 5 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/t/acme/scim/v2/Users", nil))
	}
	if rec.Dropped() != 5 || rec.Err() == nil {
		t.Errorf("Dropped() = %d, Err() = %v; want 5 and the error", rec.Dropped(), rec.Err())
	}
	mu.Lock()
	defer mu.Unlock()
	// Logged at the 1st, 2nd and 4th: a full disk is heard of, without a
	// line per request.
	if n := strings.Count(logged.String(), "could not be recorded"); n != 3 {
		t.Errorf("%d log lines, want 3 (1st, 2nd, 4th drop):\n%s", n, logged.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// Issue 14 #8: a tenant's token is replaced wherever a client puts it —
// a query parameter of any name, an odd header, the path, the body — also
// when the recorder was told no token (a token_sha256 tenant): the token
// of every request the server authenticated is learnt before its exchange
// is redacted. An access token the server issued is replaced too, before
// any request carries it (server.Config.Issued).
func TestRecordRedactsEveryTenantsTokenAsALiteral(t *testing.T) {
	secretHash := sha256.Sum256([]byte("client-secret-0123456789"))
	hub, err := board.New(provider.Settings{Clients: []provider.Client{{ID: "idp", SecretSHA256: secretHash, Principal: provider.Principal{Grants: []string{board.SCIMEnabled}}}}})
	if err != nil {
		t.Fatal(err)
	}
	ts, rec, dir := recordedServer(t, record.Options{}, func(c *server.Config) {
		if err := c.Tenants.Add("hub", server.HashToken("hub-tenant-token-0123")); err != nil {
			t.Fatal(err)
		}
		c.Providers = &provider.Map{Tenants: map[string]*provider.Provider{"hub": hub}}
	})
	// The access token, fetched with a plain client (not through the
	// recorder's eyes: it only sees the response).
	resp, err := ts.Client().PostForm(ts.URL+"/t/hub/connect/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {"idp"}, "client_secret": {"client-secret-0123456789"}, "scope": {board.Scope}})
	if err != nil {
		t.Fatal(err)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tr)
	resp.Body.Close()
	if tr.AccessToken == "" {
		t.Fatalf("no access token: %d", resp.StatusCode)
	}
	for _, c := range []struct{ tenant, base, token string }{
		{"acme", "/t/acme/scim/v2", tokenAcme},
		{"hub", "/t/hub/scim", tr.AccessToken},
	} {
		send(t, ts, "GET", c.base+"/Users?filter=userName%20eq%20%22x%22&sig="+c.token, c.token, nil, "")
		send(t, ts, "GET", c.base+"/Users", c.token, map[string]string{"X-Client-Ref": "ref " + c.token}, "")
		send(t, ts, "GET", c.base+"/Users/"+c.token, c.token, nil, "")
		send(t, ts, "POST", c.base+"/Users", c.token, nil, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u-`+c.token+`"}`)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"+record.Ext))
	if len(files) != 2 {
		t.Errorf("recordings %v, want acme's and hub's", files)
	}
	entries := 0
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		entries += bytes.Count(raw, []byte("\n"))
		for _, secret := range []string{tokenAcme, tr.AccessToken, "client-secret-0123456789"} {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("%s holds the secret %q:\n%s", f, secret, raw)
			}
		}
	}
	if entries != 9 { // 4 + token request + 4
		t.Errorf("%d entries, want 9", entries)
	}
}

// Huddle's company endpoints take "Authorization: OAuth2 <token>": such a
// request is the company's, recorded under it with its token redacted as
// a literal; a token of another company is nobody's there.
func TestRecordHuddleCompanyExchanges(t *testing.T) {
	const admin, other = "huddle-admin-token-0123", "huddle-other-token-4567"
	ts, rec, dir := recordedServer(t, record.Options{}, func(c *server.Config) {
		for tenant, tok := range map[string]string{"123": admin, "456": other} {
			if err := c.Tenants.Add(tenant, server.HashToken(tok)); err != nil {
				t.Fatal(err)
			}
		}
		hud, err := huddle.New(provider.Settings{})
		if err != nil {
			t.Fatal(err)
		}
		c.Providers = &provider.Map{Tenants: map[string]*provider.Provider{"123": hud, "456": hud}}
	})
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"h@example.com","name":{"givenName":"H","familyName":"K"},"emails":[{"value":"h@example.com","primary":true}],"ref":"` + admin + `"}`
	send(t, ts, "POST", "/people/companies/123/users", "", map[string]string{"Authorization": "OAuth2 " + admin, "Accept": "application/json"}, body)
	send(t, ts, "GET", "/people/companies/123/users/nope", "", map[string]string{"Authorization": "OAuth2 " + other}, "")
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := record.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Tenant != "123" || len(recs[0].Entries) != 1 {
		t.Fatalf("want company 123's one exchange, got %+v", recs)
	}
	raw, _ := os.ReadFile(recs[0].File)
	if bytes.Contains(raw, []byte(admin)) {
		t.Errorf("the recording holds the OAuth2-scheme token:\n%s", raw)
	}
	if rec.Anonymous() != 1 {
		t.Errorf("Anonymous() = %d, want 1 (456's token on 123)", rec.Anonymous())
	}
}

// An exchange that ends after Close (a request the shutdown's grace period
// did not wait for) is counted as dropped; it neither reopens a file nor
// restarts its numbering.
func TestRecordAfterCloseIsDropped(t *testing.T) {
	dir := t.TempDir()
	rec, err := record.New(dir, record.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := rec.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wire.AuthenticationFrom(r.Context()).Set("acme")
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/t/acme/scim/v2/Users", nil))
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/t/acme/scim/v2/Groups", nil))
	if rec.Dropped() != 1 || openIn(t, dir) != 0 {
		t.Errorf("after Close: Dropped() = %d, %d files open; want 1 and 0", rec.Dropped(), openIn(t, dir))
	}
	recs, err := record.Read(dir)
	if err != nil || len(recs) != 1 || len(recs[0].Entries) != 1 {
		t.Errorf("recordings %+v, %v; want acme's one entry", recs, err)
	}
}

// countingBody counts the bytes read from a request body.
type countingBody struct {
	r io.Reader
	n *int
}

func (c countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += n
	return n, err
}
func (countingBody) Close() error { return nil }

// The recorder reads no body ahead: a request refused unread (anonymous)
// costs no read; an authenticated one whose body the handler left unread
// (a 415) is recorded with its body, up to the bound.
func TestRecordReadsBodiesOnlyForAuthenticated(t *testing.T) {
	dir := t.TempDir()
	rec, err := record.New(dir, record.Options{MaxBody: 8})
	if err != nil {
		t.Fatal(err)
	}
	h := rec.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer ok" {
			wire.AuthenticationFrom(r.Context()).Set("acme")
		}
		w.WriteHeader(http.StatusUnsupportedMediaType) // the body is not read
	}))
	for _, c := range []struct {
		auth, body string
		wantRead   int
	}{
		{"", strings.Repeat("a", 1000), 0},
		{"Bearer ok", "0123456789", 9}, // 8 kept, one more to know it was longer
		{"Bearer ok", "short", 5},
	} {
		read := 0
		r := httptest.NewRequest("POST", "/t/acme/scim/v2/Users", nil)
		r.Body = countingBody{strings.NewReader(c.body), &read}
		if c.auth != "" {
			r.Header.Set("Authorization", c.auth)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		if read != c.wantRead {
			t.Errorf("%q with %d bytes: the recorder read %d, want %d", c.auth, len(c.body), read, c.wantRead)
		}
	}
	rec.Close()
	recs, err := record.Read(dir)
	if err != nil || len(recs) != 1 || len(recs[0].Entries) != 2 {
		t.Fatalf("recordings %+v, %v", recs, err)
	}
	for i, want := range []struct {
		body      string
		truncated bool
	}{{"01234567", true}, {"short", false}} {
		if e := recs[0].Entries[i]; string(e.Request.Body) != want.body || e.Truncated != want.truncated {
			t.Errorf("entry %d: body %q truncated %v, want %q %v", i+1, e.Request.Body, e.Truncated, want.body, want.truncated)
		}
	}
}
