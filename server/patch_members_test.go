package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/server/store/memory"
)

// bigGroup fills st's default tenant with users+extra users and one group
// holding the first users of them, and returns the group's id and the ids
// of the extra users.
func bigGroup(t *testing.T, st store.Store, users, extra int) (string, []string) {
	t.Helper()
	ctx := context.Background()
	reg := schema.Default()
	ut, _ := reg.ResourceType("User")
	gt, _ := reg.ResourceType("Group")
	var members []any
	var rest []string
	for i := range users + extra {
		r, err := st.Create(ctx, server.DefaultTenant, ut, map[string]any{
			"schemas": []any{scim.UserURN}, "userName": fmt.Sprintf("u%05d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if i < users {
			members = append(members, map[string]any{"value": r.ID, "type": "User"})
		} else {
			rest = append(rest, r.ID)
		}
	}
	g, err := st.Create(ctx, server.DefaultTenant, gt, map[string]any{
		"schemas": []any{scim.GroupURN}, "displayName": "big", "members": members})
	if err != nil {
		t.Fatal(err)
	}
	return g.ID, rest
}

// TestPatchManyMemberAddsOnLargeGroup (issue 14 #10): one PATCH of 1,000
// member adds, one operation each as Entra ID batches them, on a group of
// 20,000 members took 19 s. Each operation must cost about its own size,
// not the group's: the bound here is a fraction of the request deadline
// (server.DefaultRequestTimeout) that a linear implementation meets many
// times over and the quadratic one did not.
func TestPatchManyMemberAddsOnLargeGroup(t *testing.T) {
	st := memory.New()
	gid, add := bigGroup(t, st, 20000, 1000)
	c := newClient(t, func(cfg *server.Config) { cfg.Store = st })
	ops := make([]obj, len(add))
	for i, id := range add {
		ops[i] = obj{"op": "add", "path": "members", "value": []any{obj{"value": id}}}
	}
	start := time.Now()
	r := c.patch("/Groups/"+gid, ops...)
	took := time.Since(start)
	if r.Status != http.StatusOK {
		t.Fatalf("PATCH: %d %s", r.Status, r.Raw)
	}
	if n := len(r.Body["members"].([]any)); n != 21000 {
		t.Fatalf("the group has %d members, want 21000", n)
	}
	if bound := server.DefaultRequestTimeout / 5; took > bound {
		t.Fatalf("one PATCH of 1,000 member adds on 20,000 members took %v, want under %v", took, bound)
	}
	t.Logf("took %v", took)
}

// leavingStore is a store whose Get ends the request's context once it has
// answered, as a client that leaves while its PATCH is computed does, and
// that counts the writes it is asked for.
type leavingStore struct {
	store.Store
	leave   context.CancelFunc
	updates int
}

func (s *leavingStore) Get(ctx context.Context, tenant string, rt *schema.ResourceType, id string) (store.Resource, error) {
	r, err := s.Store.Get(ctx, tenant, rt, id)
	s.leave()
	return r, err
}

func (s *leavingStore) Update(ctx context.Context, tenant string, rt *schema.ResourceType, id string, fn func(store.Resource) (map[string]any, error)) (store.Resource, error) {
	s.updates++
	return s.Store.Update(ctx, tenant, rt, id, fn)
}

// TestPatchStopsWhenClientLeaves (issue 14 #10: the 19-second PATCH went on
// after its client had gone): a PATCH whose client leaves after the read
// applies no further operation and asks the store for no write; the answer
// is a 503 with a SCIM error body, and the user is unchanged.
func TestPatchStopsWhenClientLeaves(t *testing.T) {
	mem := memory.New()
	ut, _ := schema.Default().ResourceType("User")
	u, err := mem.Create(context.Background(), server.DefaultTenant, ut, map[string]any{
		"schemas": []any{scim.UserURN}, "userName": "bjensen"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := &leavingStore{Store: mem, leave: cancel}
	tenants := server.NewTenants()
	if err := tenants.Add(server.DefaultTenant, server.HashToken(defaultToken)); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: st, Tenants: tenants, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequestWithContext(ctx, "PATCH", "/scim/v2/Users/"+u.ID, strings.NewReader(patchBody(
		obj{"op": "replace", "path": "displayName", "value": "Babs"},
		obj{"op": "add", "path": "title", "value": "Tour Guide"})))
	req.Header.Set("Authorization", "Bearer "+defaultToken)
	req.Header.Set("Content-Type", scim.MediaType)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), scim.ErrorURN) {
		t.Fatalf("status %d %s, want 503 with a SCIM error body", rec.Code, rec.Body)
	}
	if st.updates != 0 {
		t.Fatalf("the store was asked for %d writes after the client left, want 0", st.updates)
	}
	if got, _ := mem.Get(context.Background(), server.DefaultTenant, ut, u.ID); got.Doc["displayName"] != nil {
		t.Fatalf("the user was changed: %v", got.Doc)
	}
}
