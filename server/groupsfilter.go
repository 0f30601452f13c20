package server

import (
	"context"
	"net/http"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// resolveGroups rewrites the parts of a User filter that name "groups"
// (`groups.value eq "…"`, `groups[display sw "…"]`, `groups pr`) into
// conditions on "id". User.groups is derived on output from the groups'
// members (see groupsFor), so the store holds no value for those parts to
// match: passed through, they would silently match no user — the wrong
// answer that makes an IdP create duplicates. Each such part is evaluated
// here, against each user's groups as render shows them, with the filter
// package's own semantics (so ne, not and unassigned values behave as for
// any other multi-valued attribute).
func (s *Server) resolveGroups(ctx context.Context, r *http.Request, rt *schema.ResourceType, e filter.Expr) (filter.Expr, error) {
	if !derivesGroups(rt) || !mentionsGroups(rt, e) {
		return e, nil
	}
	byUser, err := s.groupsByUser(ctx, r)
	if err != nil {
		return nil, err
	}
	var walk func(filter.Expr) (filter.Expr, error)
	walk = func(e filter.Expr) (filter.Expr, error) {
		switch x := filter.Value(e).(type) {
		case filter.And:
			l, err := walk(x.Left)
			if err != nil {
				return nil, err
			}
			rr, err := walk(x.Right)
			return filter.And{Left: l, Right: rr}, err
		case filter.Or:
			l, err := walk(x.Left)
			if err != nil {
				return nil, err
			}
			rr, err := walk(x.Right)
			return filter.Or{Left: l, Right: rr}, err
		case filter.Not:
			inner, err := walk(x.X)
			return filter.Not{X: inner}, err
		case filter.Compare:
			if !namesGroups(rt, x.Path) {
				return x, nil
			}
		case filter.ValuePath:
			if !namesGroups(rt, x.Path) {
				return x, nil
			}
		default:
			return e, nil
		}
		m, err := filter.Compile(e, rt)
		if err != nil {
			return nil, err
		}
		// A user in no group matches or not as the empty document does;
		// only the users in some group need looking at one by one.
		if m(map[string]any{}) {
			var fails []string
			for id, gs := range byUser {
				if !m(map[string]any{"groups": gs}) {
					fails = append(fails, id)
				}
			}
			return filter.Not{X: idIn(fails)}, nil
		}
		var hits []string
		for id, gs := range byUser {
			if m(map[string]any{"groups": gs}) {
				hits = append(hits, id)
			}
		}
		return idIn(hits), nil
	}
	return walk(e)
}

// groupsByUser maps each member id of the tenant's groups to its
// User.groups value.
func (s *Server) groupsByUser(ctx context.Context, r *http.Request) (map[string][]any, error) {
	gt, ok := s.registry(tenantOf(r)).ResourceType("Group")
	if !ok {
		return nil, nil
	}
	page, err := s.cfg.Store.Query(ctx, tenantOf(r), gt, store.Query{Count: -1})
	if err != nil {
		return nil, err
	}
	out := map[string][]any{}
	for _, g := range page.Resources {
		members, _ := g.Doc["members"].([]any)
		for _, m := range members {
			e, _ := m.(map[string]any)
			id, _ := e["value"].(string)
			if id == "" || e["type"] == "Group" {
				continue
			}
			out[id] = append(out[id], s.groupEntry(r, gt, g))
		}
	}
	return out, nil
}

func mentionsGroups(rt *schema.ResourceType, e filter.Expr) bool {
	switch x := filter.Value(e).(type) {
	case filter.And:
		return mentionsGroups(rt, x.Left) || mentionsGroups(rt, x.Right)
	case filter.Or:
		return mentionsGroups(rt, x.Left) || mentionsGroups(rt, x.Right)
	case filter.Not:
		return mentionsGroups(rt, x.X)
	case filter.Compare:
		return namesGroups(rt, x.Path)
	case filter.ValuePath:
		return namesGroups(rt, x.Path)
	}
	return false
}

func namesGroups(rt *schema.ResourceType, p filter.AttrPath) bool {
	ref, ok := rt.Find(p.URN, p.Name, "")
	return ok && ref.URN == "" && ref.Attr == rt.Core().Attr("groups")
}

// idIn is a filter matching exactly the resources with the given ids: a
// balanced "or" of id comparisons, so a long list stays shallow; an empty
// list matches nothing.
func idIn(ids []string) filter.Expr {
	if len(ids) == 0 {
		return filter.Not{X: filter.Compare{Path: filter.AttrPath{Name: "id"}, Op: filter.Pr}}
	}
	if len(ids) == 1 {
		return filter.Compare{Path: filter.AttrPath{Name: "id"}, Op: filter.Eq, Value: ids[0]}
	}
	return filter.Or{Left: idIn(ids[:len(ids)/2]), Right: idIn(ids[len(ids)/2:])}
}
