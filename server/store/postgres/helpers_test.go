package postgres

import (
	"context"
	"fmt"

	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// benchUser is the i-th user of a bulk load: unique userName, externalId
// and email, as an IdP would provision them.
func benchUser(i int) map[string]any {
	return map[string]any{
		"userName":    fmt.Sprintf("user%07d@example.com", i),
		"externalId":  fmt.Sprintf("ext-%07d", i),
		"displayName": fmt.Sprintf("User %d", i),
		"active":      i%3 != 0,
		"name":        map[string]any{"givenName": "Given", "familyName": fmt.Sprintf("Family%d", i%1000)},
		"emails": []any{
			map[string]any{"value": fmt.Sprintf("user%07d@example.com", i), "type": "work", "primary": true},
		},
	}
}

// bulkLoad stores docs as Create would, with CreateMany (one COPY), and
// returns their ids: loading 100,000 users one Create at a time would take
// minutes.
func bulkLoad(ctx context.Context, s *Store, tenant string, rt *schema.ResourceType, docs []map[string]any) ([]string, error) {
	return s.CreateMany(ctx, tenant, rt, docs)
}

func randomSuffix() string { return store.NewID()[:8] }
