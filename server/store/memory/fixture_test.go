package memory

import (
	"context"
	"fmt"
	"testing"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/schema"
)

// Shared test fixtures of the white-box tests and benchmarks.

var (
	userType  = mustType("User")
	groupType = mustType("Group")
)

func mustType(id string) *schema.ResourceType {
	rt, ok := schema.Default().ResourceType(id)
	if !ok {
		panic("no resource type " + id)
	}
	return rt
}

// userDoc builds a canonical user document directly, without Normalize, so
// that populating 100k users is fast. Its shape is that of a typical
// provisioned user, so copy costs in benchmarks are realistic.
func userDoc(i int) map[string]any {
	return map[string]any{
		"userName":    fmt.Sprintf("user%d@example.com", i),
		"externalId":  fmt.Sprintf("ext-%d", i),
		"displayName": fmt.Sprintf("User %d", i),
		"name":        map[string]any{"givenName": "User", "familyName": fmt.Sprint(i)},
		"active":      i%2 == 0,
		"title":       "Engineer",
		"emails": []any{
			map[string]any{"value": fmt.Sprintf("user%d@example.com", i), "type": "work", "primary": true},
			map[string]any{"value": fmt.Sprintf("user%d@home.example", i), "type": "home"},
		},
		scim.EnterpriseUserURN: map[string]any{"employeeNumber": fmt.Sprint(i), "department": "R&D"},
	}
}

// populate creates n users in tenant "t" and returns their ids in creation
// order.
func populate(tb testing.TB, s *Store, n int) []string {
	tb.Helper()
	ids := make([]string, n)
	for i := range n {
		r, err := s.Create(context.Background(), "t", userType, userDoc(i))
		if err != nil {
			tb.Fatal(err)
		}
		ids[i] = r.ID
	}
	return ids
}
