// Package simtest is the set-up the simulators' tests share: a target
// server that records what it was sent (the reference server, a broken one,
// or any handler), clients for it, resources counted and read outside any
// simulation, data that was there before a run and must survive it, and the
// verdict of a run against a broken server.
package simtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/server/broken"
	"github.com/scimharness/scimharness/server/servertest"
)

// Token is the bearer token of every server simtest starts.
const Token = "simtest-token"

// Reference returns the reference server of server/servertest — memory
// store, the default tenant at /scim/v2 with Token, logs discarded —
// configured by opts.
func Reference(tb testing.TB, opts ...servertest.Option) http.Handler {
	tb.Helper()
	s, err := servertest.NewUnstartedServer(append([]servertest.Option{servertest.WithToken(Token)}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return s.Handler
}

// Start serves the reference server, configured by opts.
func Start(tb testing.TB, opts ...servertest.Option) *Target {
	tb.Helper()
	return Serve(tb, Reference(tb, opts...))
}

// PatchNoContent makes the reference server answer PATCH with 204, as RFC
// 7644 §3.5.2 allows.
var PatchNoContent = servertest.WithPatchNoContent()

// Broken returns the reference server with bug (broken.Handler).
func Broken(tb testing.TB, bug broken.Bug) http.Handler {
	tb.Helper()
	h, err := broken.Handler(&bug, Token)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// Request is one request as the target saw it.
type Request struct {
	Method, Path, Query string
	Header              http.Header
	Body                string
}

// Target serves a handler over httptest and records every request.
type Target struct {
	*httptest.Server
	mu   sync.Mutex
	seen []Request
}

// Serve starts a Target for h, closed when the test ends.
func Serve(tb testing.TB, h http.Handler) *Target {
	tb.Helper()
	tg := &Target{}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		tg.mu.Lock()
		tg.seen = append(tg.seen, Request{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(body)})
		tg.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	tb.Cleanup(tg.Close)
	return tg
}

// Requests returns the requests received so far, oldest first.
func (tg *Target) Requests() []Request {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return slices.Clone(tg.seen)
}

// Base is the SCIM base URL of the target.
func (tg *Target) Base() string { return tg.URL + "/scim/v2" }

// Client returns a client for the target with Token, dressed as an IdP by
// dress (its ClientConfig); nil dress gives a plain client, to set up and
// inspect the target outside any simulation.
func (tg *Target) Client(tb testing.TB, dress func(client.Config) client.Config) *client.Client {
	tb.Helper()
	cfg := client.Config{BaseURL: tg.Base(), Token: Token}
	if dress != nil {
		cfg = dress(cfg)
	}
	c, err := client.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Do sends a request that must succeed (2xx) and returns the answer's body.
func Do(tb testing.TB, c *client.Client, method, path string, body any) map[string]any {
	tb.Helper()
	ex, err := c.Do(context.Background(), client.Request{Method: method, Path: path, Body: body})
	if err != nil || ex.Status()/100 != 2 {
		tb.Fatalf("%s %s: %v %s", method, path, err, ex.Response.Body)
	}
	m, _ := ex.JSON()
	return m
}

// Total counts the resources at endpoint ("Users", "Groups").
func Total(tb testing.TB, c *client.Client, endpoint string) int {
	tb.Helper()
	n, _ := Do(tb, c, "GET", "/"+endpoint, nil)["totalResults"].(json.Number).Int64()
	return int(n)
}

// Foreign is data a run did not create — a user and a group holding it —
// which the run must neither change nor delete.
type Foreign struct {
	c           *client.Client
	user, group string // their paths
	before      []map[string]any
}

// PreCreate creates user and a group named groupName with that user as
// member, through c, and reads both back as they are before the run.
func PreCreate(tb testing.TB, c *client.Client, user map[string]any, groupName string) *Foreign {
	tb.Helper()
	u := Do(tb, c, "POST", "/Users", user)
	g := Do(tb, c, "POST", "/Groups", map[string]any{"displayName": groupName, "members": []any{map[string]any{"value": u["id"]}}})
	f := &Foreign{c: c, user: "/Users/" + u["id"].(string), group: "/Groups/" + g["id"].(string)}
	f.before = f.read(tb)
	return f
}

func (f *Foreign) read(tb testing.TB) []map[string]any {
	tb.Helper()
	return []map[string]any{Do(tb, f.c, "GET", f.user, nil), Do(tb, f.c, "GET", f.group, nil)}
}

// Unchanged fails the test unless the user and the group read back as they
// did before the run.
func (f *Foreign) Unchanged(tb testing.TB) {
	tb.Helper()
	after := f.read(tb)
	for i, what := range []string{"user", "group"} {
		if !reflect.DeepEqual(after[i], f.before[i]) {
			tb.Errorf("the existing %s changed:\nbefore %v\nafter  %v", what, f.before[i], after[i])
		}
	}
}

// Variant is a named choice of a simulator's options.
type Variant[O any] struct {
	Name    string
	Options O
}

// Safety runs each variant against the reference server holding data the
// run did not create — user and a group holding it — and checks that the
// data is neither changed nor deleted and that cleanup leaves nothing else:
// one user and one group remain. A result at worst or above fails the test.
func Safety[O any](t *testing.T, variants []Variant[O], user map[string]any, worst scenario.Status, run func(t *testing.T, tg *Target, o O) []scenario.Result) {
	t.Helper()
	for _, v := range variants {
		t.Run(v.Name, func(t *testing.T) {
			tg := Start(t)
			pc := tg.Client(t, nil)
			existing := PreCreate(t, pc, user, "Existing group")
			for _, r := range run(t, tg, v.Options) {
				if r.Status >= worst {
					t.Errorf("%s: %s", r.Step, r.Message)
				}
			}
			existing.Unchanged(t)
			if n, g := Total(t, pc, "Users"), Total(t, pc, "Groups"); n != 1 || g != 1 {
				t.Errorf("%d users and %d groups after the run, want the 1 and 1 that were there", n, g)
			}
		})
	}
}

// Kept runs run — which must run with scenario.Options.Keep — against the
// reference server holding one user the run did not create, and checks
// that the run kept the created users it made: each cleanup is reported
// as kept, and they are still there.
func Kept(t *testing.T, created int, run func(t *testing.T, tg *Target) []scenario.Result) {
	t.Helper()
	t.Run("keep", func(t *testing.T) {
		tg := Start(t)
		pc := tg.Client(t, nil)
		Do(t, pc, "POST", "/Users", map[string]any{"userName": "existing@example.com"})
		rs := run(t, tg)
		kept := 0
		for _, r := range rs {
			if r.Cleanup && r.Status == scenario.Skip && strings.Contains(r.Message, "kept") {
				kept++
			}
		}
		if kept != created {
			t.Errorf("%d kept cleanups, want %d:\n%s", kept, created, Summary(rs))
		}
		if n := Total(t, pc, "Users"); n != 1+created {
			t.Errorf("%d users after a kept run, want 1 + %d", n, created)
		}
	})
}

// Refused checks that rs is what Run returns for options it refuses: a
// single Error result whose message contains why.
func Refused(t *testing.T, rs []scenario.Result, why string) {
	t.Helper()
	if len(rs) != 1 || rs[0].Status != scenario.Error || !strings.Contains(rs[0].Message, why) {
		t.Errorf("options not refused with a message containing %q: %+v", why, rs)
	}
}

// Summary lists results for a failure message: status, scenario and step,
// and the message of those that did not pass.
func Summary(rs []scenario.Result) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.Status.String() + "  " + r.Scenario + " / " + r.Step + "\n")
		if r.Message != "" && r.Status != scenario.Pass {
			b.WriteString("      " + strings.ReplaceAll(r.Message, "\n", "\n      ") + "\n")
		}
	}
	return b.String()
}

// ExpectCaught judges a run against a server that bug describes: with want
// "" (idp cannot see the bug) no result may fail; otherwise some result
// must fail with a message containing want.
func ExpectCaught(t *testing.T, rs []scenario.Result, idp, bug, want string) {
	t.Helper()
	var failed []scenario.Result
	for _, r := range rs {
		if r.Status >= scenario.Fail {
			failed = append(failed, r)
		}
	}
	if want == "" {
		if len(failed) > 0 {
			t.Fatalf("%s is listed as blind to this bug, but the run failed — update the table:\n%s", idp, Summary(rs))
		}
		return
	}
	if len(failed) == 0 {
		t.Fatalf("the run passed against a server that %s:\n%s", bug, Summary(rs))
	}
	for _, r := range failed {
		if strings.Contains(r.Message, want) {
			t.Logf("caught at %q: %s", r.Scenario+" / "+r.Step, strings.SplitN(r.Message, "\n", 2)[0])
			return
		}
	}
	t.Fatalf("no failure says %q:\n%s", want, Summary(rs))
}
