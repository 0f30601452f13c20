package record_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/scimharness/scimharness/certify/record"
	"github.com/scimharness/scimharness/server"
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
