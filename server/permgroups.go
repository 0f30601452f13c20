package server

import (
	"context"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// ensureGroups creates, once per tenant, the Groups its profile says exist
// from the start (Board's Permission Groups, made in the Subscription Hub
// rather than through SCIM).
func (s *Server) ensureGroups(ctx context.Context, tenant string, pr *provider.Provider) error {
	if len(pr.PermissionGroups) == 0 {
		return nil
	}
	if _, done := s.groups.Load(tenant); done {
		return nil
	}
	s.groupsMu.Lock()
	defer s.groupsMu.Unlock()
	if _, done := s.groups.Load(tenant); done {
		return nil
	}
	gt, ok := s.registry(tenant).ResourceType("Group")
	if !ok {
		return nil
	}
	for _, g := range pr.PermissionGroups {
		id, err := s.groupID(ctx, tenant, gt, g.Name)
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
		if _, err := s.cfg.Store.Create(ctx, tenant, gt, doc); err != nil {
			return err
		}
	}
	s.groups.Store(tenant, true)
	return nil
}

// groupID is the id of the tenant's group called name, or "".
func (s *Server) groupID(ctx context.Context, tenant string, gt *schema.ResourceType, name string) (string, error) {
	page, err := s.cfg.Store.Query(ctx, tenant, gt, store.Query{
		Filter: filter.Compare{Path: filter.AttrPath{Name: "displayName"}, Op: filter.Eq, Value: name},
		Count:  -1,
	})
	if err != nil || len(page.Resources) == 0 {
		return "", err
	}
	return page.Resources[0].ID, nil
}

// joinDefaultGroup adds a user just created to the tenant's default
// Permission Group, if there is one and it is not disabled. The user
// exists by then, so a failure is logged rather than failing the create.
func (s *Server) joinDefaultGroup(ctx context.Context, tenant, userID string) {
	pr := s.providerOf(tenant)
	if pr == nil {
		return
	}
	name := pr.DefaultGroup()
	if name == "" {
		return
	}
	gt, ok := s.registry(tenant).ResourceType("Group")
	if !ok {
		return
	}
	err := s.ensureGroups(ctx, tenant, pr)
	var gid string
	if err == nil {
		gid, err = s.groupID(ctx, tenant, gt, name)
	}
	if err == nil && gid != "" {
		_, err = s.modify(ctx, tenant, gt, gid, "", func(old map[string]any) (map[string]any, error) {
			ms, _ := old["members"].([]any)
			old["members"] = append(ms, map[string]any{"value": userID, "type": "User"})
			return old, nil
		})
	}
	if err != nil {
		s.log.Warn("adding a user to the default permission group", "tenant", tenant, "user", userID, "group", name, "err", err)
	}
}
