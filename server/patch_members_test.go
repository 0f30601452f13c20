package server_test

import (
	"context"
	"fmt"
	"net/http"
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
