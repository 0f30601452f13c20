package memory

import (
	"cmp"
	"context"
	"slices"

	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// The memory store is a [store.GroupsReader]: the groups of a read's
// resources come from the members index under the same read lock, instead
// of the server's second Query with a "members.value eq" filter per
// resource, which parsed, compiled and matched a filter and took the lock
// again on every lookup (in BenchmarkListByUserName: 9 of the request's 59
// allocations in the server, for a user in no group).
var _ store.GroupsReader = (*Store)(nil)

// GetWithGroups is Get, and the groups of the resource.
func (s *Store) GetWithGroups(ctx context.Context, tenant string, rt *schema.ResourceType, id string, gt *schema.ResourceType) (store.Resource, []store.Resource, error) {
	if err := cancelled(ctx); err != nil {
		return store.Resource{}, nil, err
	}
	sp := s.space(tenant, false)
	if sp == nil {
		return store.Resource{}, nil, schema.NotFound(rt.ID, id)
	}
	sp.mu.RLock()
	e := sp.lookup(rt, id)
	var r store.Resource
	var groups []store.Resource
	if e != nil {
		r = e.snapshot()
		groups = sp.groupsOf(gt, e.id)
	}
	sp.mu.RUnlock()
	if e == nil {
		return store.Resource{}, nil, schema.NotFound(rt.ID, id)
	}
	return resource(r), groups, nil
}

// QueryWithGroups is Query, and the groups of each resource of the page.
func (s *Store) QueryWithGroups(ctx context.Context, tenant string, rt *schema.ResourceType, q store.Query, gt *schema.ResourceType) (store.Page, map[string][]store.Resource, error) {
	var groups map[string][]store.Resource
	page, err := s.query(ctx, tenant, rt, q, func(sp *space, w *window) {
		for _, r := range w.snaps {
			if gs := sp.groupsOf(gt, r.ID); len(gs) > 0 {
				if groups == nil {
					groups = map[string][]store.Resource{}
				}
				groups[r.ID] = gs
			}
		}
	})
	if err != nil {
		return store.Page{}, nil, err
	}
	return page, groups, nil
}

// GroupsOf is the groups of each of ids, by id, from the members index
// under one read lock (a resource in no group, or unknown, has no entry).
func (s *Store) GroupsOf(ctx context.Context, tenant string, ids []string, gt *schema.ResourceType) (map[string][]store.Resource, error) {
	if err := cancelled(ctx); err != nil {
		return nil, err
	}
	sp := s.space(tenant, false)
	if sp == nil {
		return nil, nil
	}
	sp.mu.RLock()
	defer sp.mu.RUnlock()
	var out map[string][]store.Resource
	for _, id := range ids {
		if gs := sp.groupsOf(gt, id); len(gs) > 0 {
			if out == nil {
				out = map[string][]store.Resource{}
			}
			out[id] = gs
		}
	}
	return out, nil
}

// groupsOf returns the groups of type gt whose members hold id, each once,
// in creation order, as [store.GroupsReader] describes them. The caller
// holds sp.mu. The members index may fold case; ids are case-exact, so the
// exact comparison happens here.
func (sp *space) groupsOf(gt *schema.ResourceType, id string) []store.Resource {
	t := sp.tables[gt.ID]
	if t == nil || t.members == nil {
		return nil
	}
	cands := t.members.entries(t.members.key(id))
	if len(cands) == 0 {
		return nil
	}
	var hits []*entry
	for _, g := range cands {
		if slices.Contains(store.MemberValues(g.doc), id) {
			hits = append(hits, g)
		}
	}
	slices.SortFunc(hits, func(a, b *entry) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]store.Resource, len(hits))
	for i, g := range hits {
		doc := map[string]any{}
		if dn, ok := g.doc["displayName"].(string); ok {
			doc["displayName"] = dn
		}
		out[i] = store.Resource{ID: g.id, Doc: doc}
	}
	return out
}
