package board

import (
	"context"
	"fmt"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// permissionGroups are the subscription's Permission Groups (seed 003),
// served as SCIM Groups.
type permissionGroups struct {
	groups []provider.PermissionGroup
}

// seed creates the Permission Groups that do not exist yet: they are made in
// the Subscription Hub, not through SCIM, so they are there before the
// first SCIM call. The server runs it once per tenant.
func (pg *permissionGroups) seed(ctx context.Context, h provider.Host, tenant string) error {
	if len(pg.groups) == 0 {
		return nil
	}
	gt, ok := h.Registry(tenant).ResourceType("Group")
	if !ok {
		return nil
	}
	for _, g := range pg.groups {
		id, err := groupID(ctx, h, tenant, gt, g.Name)
		if err != nil {
			return err
		}
		if id != "" {
			continue
		}
		doc, err := gt.Normalize(map[string]any{"schemas": []any{scim.GroupURN}, "displayName": g.Name})
		if err != nil {
			return err
		}
		if _, err := h.Store().Create(ctx, tenant, gt, doc); err != nil {
			return err
		}
	}
	return nil
}

// defaultGroup is the name of the Permission Group a created user joins:
// the one set as default, unless it is disabled; "" for none.
func (pg *permissionGroups) defaultGroup() string {
	for _, g := range pg.groups {
		if g.Default && !g.Disabled {
			return g.Name
		}
	}
	return ""
}

// join adds a user just created through SCIM to the default Permission
// Group, if there is one and it is not disabled.
func (pg *permissionGroups) join(ctx context.Context, h provider.Host, tenant string, rt *schema.ResourceType, res store.Resource) error {
	name := pg.defaultGroup()
	if rt.ID != "User" || name == "" {
		return nil
	}
	gt, ok := h.Registry(tenant).ResourceType("Group")
	if !ok {
		return nil
	}
	gid, err := groupID(ctx, h, tenant, gt, name)
	if err == nil && gid != "" {
		_, err = h.Modify(ctx, tenant, gt, gid, func(old map[string]any) (map[string]any, error) {
			ms, _ := old["members"].([]any)
			old["members"] = append(ms, map[string]any{"value": res.ID, "type": "User"})
			return old, nil
		})
	}
	if err != nil {
		return fmt.Errorf("adding user %s to the default permission group %q: %w", res.ID, name, err)
	}
	return nil
}

// groupID is the id of the tenant's group called name, or "".
func groupID(ctx context.Context, h provider.Host, tenant string, gt *schema.ResourceType, name string) (string, error) {
	page, err := h.Store().Query(ctx, tenant, gt, store.Query{
		Filter: filter.Compare{Path: filter.AttrPath{Name: "displayName"}, Op: filter.Eq, Value: name},
		Count:  -1,
	})
	if err != nil || len(page.Resources) == 0 {
		return "", err
	}
	return page.Resources[0].ID, nil
}
