package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

var _ store.GroupsReader = (*Store)(nil)

// groupsOf is the SQL of the groups of type gt (a literal: it comes from
// the schema) of the tenant ($1) whose members hold the id in the column
// col, as a json array of [id, displayName or null] in creation order, or
// NULL when there is none: the two-step path's "members.value eq" query
// (groupsFor in package server) as a subquery, run once per row read.
//
// It reads scim.members (migration 0005), which holds a row for each group
// and each distinct member value of it that is a string, compared
// case-exactly as the server compares ids (RFC 7643 §3.1): a btree look-up
// on members_member_idx, then each group's row by its primary key for the
// displayName. A group listing the id twice is there once. Through
// resources_members_idx (GIN) the same answer cost more than the user's
// own look-up.
func groupsOf(gt *schema.ResourceType, col string) string {
	return `(SELECT json_agg(json_build_array(g.id,
    CASE WHEN jsonb_typeof(g.doc -> 'displayName') = 'string' THEN g.doc ->> 'displayName' END) ORDER BY m.seq)
  FROM scim.members m JOIN scim.resources g ON g.seq = m.seq
  WHERE m.tenant = $1 AND m.member = ` + col + ` AND m.rtype = ` + quote(gt.ID) + `)`
}

// decodeGroups reads groupsOf's json into the groups of
// [store.GroupsReader]: ID, and a Doc with displayName when it is a string.
func decodeGroups(raw []byte) ([]store.Resource, error) {
	if raw == nil {
		return nil, nil
	}
	var rows [][2]*string
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, fmt.Errorf("postgres store: reading groups: %w", err)
	}
	out := make([]store.Resource, 0, len(rows))
	for _, r := range rows {
		if r[0] == nil {
			continue // ids are never NULL
		}
		g := store.Resource{ID: *r[0], Doc: map[string]any{}}
		if r[1] != nil {
			g.Doc["displayName"] = *r[1]
		}
		out = append(out, g)
	}
	return out, nil
}

// getWithGroupsSQL reads one resource and its groups in one statement.
func getWithGroupsSQL(rt, gt *schema.ResourceType) string {
	return `SELECT r.version, r.doc, ` + groupsOf(gt, "r.id") + `
FROM scim.resources r WHERE r.tenant = $1 AND r.rtype = ` + quote(rt.ID) + ` AND r.id = $2`
}

// GetWithGroups is Get and the groups of the resource, in one statement
// (one round trip; pgx prepares it once per connection).
func (s *Store) GetWithGroups(ctx context.Context, tenant string, rt *schema.ResourceType, id string, gt *schema.ResourceType) (store.Resource, []store.Resource, error) {
	if err := cancelled(ctx); err != nil {
		return store.Resource{}, nil, err
	}
	var version int64
	var body, groups []byte
	err := s.read(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, getWithGroupsSQL(rt, gt), tenant, id).Scan(&version, &body, &groups)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Resource{}, nil, schema.NotFound(rt.ID, id)
	}
	if err != nil {
		return store.Resource{}, nil, mapError(ctx, err, nil)
	}
	doc, err := decode(rt, body)
	if err != nil {
		return store.Resource{}, nil, err
	}
	gs, err := decodeGroups(groups)
	if err != nil {
		return store.Resource{}, nil, err
	}
	return store.Resource{ID: id, Version: version, Doc: doc}, gs, nil
}

// pageWithGroupsSQL is one statement that answers an exact query: the
// total, and the window with each resource's groups, from one snapshot.
// Its LIMIT and OFFSET are the two parameters after st.args (a NULL limit
// is none). A page that starts at the first match and is not full holds
// every match, so the total is its length and the count is not run
// (PostgreSQL evaluates a CASE branch's subquery only when it takes it).
// When the window is past the last match the one row has NULL resource
// columns and carries the total alone.
func (st statement) pageWithGroupsSQL(gt *schema.ResourceType) string {
	n := len(st.args)
	limit, offset := "$"+strconv.Itoa(n+1)+"::bigint", "$"+strconv.Itoa(n+2)+"::bigint"
	return `WITH page AS MATERIALIZED (
  SELECT w.id, w.version, w.doc, row_number() OVER () AS n FROM (
    SELECT r.id, r.version, r.doc FROM scim.resources r WHERE ` + st.where + `
    ORDER BY ` + st.order + ` LIMIT ` + limit + ` OFFSET ` + offset + `) w)
SELECT CASE WHEN ` + offset + ` = 0 AND (` + limit + ` IS NULL OR (SELECT count(*) FROM page) < ` + limit + `)
            THEN (SELECT count(*) FROM page)
            ELSE (SELECT count(*) FROM scim.resources r WHERE ` + st.where + `) END,
       p.id, p.version, p.doc, ` + groupsOf(gt, "p.id") + `
FROM (SELECT) one LEFT JOIN page p ON true
ORDER BY p.n`
}

// oneWithGroupsSQL is the first page of a query that matches at most one
// resource (atMostOne), with its groups. It has no ORDER BY and no LIMIT:
// one row needs no order, and the page's Count is not 0 (QueryWithGroups
// takes another path then), so a LIMIT would never cut. Without them
// PostgreSQL runs no Sort and no Limit node for the lookup.
func (st statement) oneWithGroupsSQL(gt *schema.ResourceType) string {
	return `SELECT r.id, r.version, r.doc, ` + groupsOf(gt, "r.id") + `
FROM scim.resources r WHERE ` + st.where
}

// QueryWithGroups is Query and the groups of each resource of the page. A
// filter SQL translates exactly (every filter IdPs send) is answered in one
// statement, count included; any other, and a Count of 0, take Query's path
// and then one statement for the groups.
//
// The first page of a lookup by a unique attribute (`userName eq`, the
// read IdPs make most) holds every match, at most one, so its length is
// the total: oneWithGroupsSQL answers it, which costs PostgreSQL a third
// less than pageWithGroupsSQL (its CTE, window and count).
func (s *Store) QueryWithGroups(ctx context.Context, tenant string, rt *schema.ResourceType, q store.Query, gt *schema.ResourceType) (store.Page, map[string][]store.Resource, error) {
	if err := cancelled(ctx); err != nil {
		return store.Page{}, nil, err
	}
	// The checks of Query, in its order, so that a bad filter or sortBy is
	// the same 400.
	if err := store.CheckFilter(q.Filter); err != nil {
		return store.Page{}, nil, err
	}
	if q.Filter != nil {
		if _, err := filter.Compile(q.Filter, rt); err != nil {
			return store.Page{}, nil, err
		}
	}
	st, err := buildQuery(tenant, rt, q)
	if err != nil {
		return store.Page{}, nil, err
	}
	if !st.exact || q.Count == 0 {
		return s.queryThenGroups(ctx, tenant, rt, q, gt)
	}
	first := max(q.StartIndex, 1)
	var limit any // none
	if q.Count > 0 {
		limit = q.Count
	}
	n := len(st.args)
	if first == 1 && q.Filter != nil && atMostOne(q.Filter, rt) {
		page, groups, err := s.pageWithGroups(ctx, rt, st.oneWithGroupsSQL(gt), st.args, false, q.LazyDoc)
		page.Total = len(page.Resources)
		return page, groups, err
	}
	return s.pageWithGroups(ctx, rt, st.pageWithGroupsSQL(gt), append(st.args[:n:n], limit, first-1), true, q.LazyDoc)
}

// atMostOne reports whether the filter e, which SQL translates exactly,
// matches at most one resource of rt in a tenant: an eq of a string on an
// attribute that a unique index holds (uniqueIndexes: the index compares
// what the filter compares, scim.fold), alone or and-ed with anything.
func atMostOne(e filter.Expr, rt *schema.ResourceType) bool {
	switch x := filter.Value(e).(type) {
	case filter.And:
		return atMostOne(x.Left, rt) || atMostOne(x.Right, rt)
	case filter.Compare:
		ref, ok := rt.Find(x.Path.URN, x.Path.Name, x.Path.Sub)
		_, str := x.Value.(string)
		return ok && str && x.Op == filter.Eq && ref.URN == "" && ref.Sub == nil && indexedUnique(rt, ref.Attr) != ""
	}
	return false
}

// pageWithGroups runs sql, oneWithGroupsSQL or (counted)
// pageWithGroupsSQL, and reads its rows. With lazy (store.Query.LazyDoc)
// a resource's document is decoded by its Load, when the caller needs it:
// the server answering from its render cache does not, and decoding was
// the larger part of this store's own CPU for a lookup.
func (s *Store) pageWithGroups(ctx context.Context, rt *schema.ResourceType, sql string, args []any, counted, lazy bool) (store.Page, map[string][]store.Resource, error) {
	var page store.Page
	var groups map[string][]store.Resource
	err := s.read(ctx, func(ctx context.Context) error {
		page, groups = store.Page{Resources: []store.Resource{}}, map[string][]store.Resource{}
		rows, err := s.pool.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var total int
		var id *string
		var version *int64
		var body, gs []byte
		dest := []any{&id, &version, &body, &gs}
		if counted {
			dest = append([]any{&total}, dest...)
		}
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			page.Total = total
			if id == nil {
				continue // the window is empty: the row carries the total
			}
			r := store.Resource{ID: *id, Version: *version}
			if lazy {
				// pgx scans a jsonb into a new slice each row, so Load may
				// keep it.
				raw := body
				r.Load = func() (map[string]any, error) { return decode(rt, raw) }
			} else if r.Doc, err = decode(rt, body); err != nil {
				return err
			}
			page.Resources = append(page.Resources, r)
			g, err := decodeGroups(gs)
			if err != nil {
				return err
			}
			if len(g) > 0 {
				groups[r.ID] = g
			}
		}
		return rows.Err()
	})
	if err != nil {
		return store.Page{}, nil, mapError(ctx, err, nil)
	}
	return page, groups, nil
}

// queryThenGroups is the two-statement path: Query, then the groups of its
// page's resources in one statement.
func (s *Store) queryThenGroups(ctx context.Context, tenant string, rt *schema.ResourceType, q store.Query, gt *schema.ResourceType) (store.Page, map[string][]store.Resource, error) {
	page, err := s.Query(ctx, tenant, rt, q)
	if err != nil || len(page.Resources) == 0 {
		return page, nil, err
	}
	ids := make([]string, len(page.Resources))
	for i, r := range page.Resources {
		ids[i] = r.ID
	}
	groups, err := s.GroupsOf(ctx, tenant, ids, gt)
	if err != nil {
		return store.Page{}, nil, err
	}
	return page, groups, nil
}

// groupsOfIDsSQL is the groups of each id of the array $2, one row per id.
// It reaches the groups through members_member_idx alone (groupsOf), in
// the generic plan too: a Query of "members.value eq" each, the path the
// server took without it, is planned with the tenant's order index when
// the statistics know few groups (a tenant being provisioned), and then
// computes scim.value_keys of every group of the tenant, member lists and
// all, for each user written — 2.3 ms a user at 100 groups in the Entra
// initial cycle, growing with the groups.
func groupsOfIDsSQL(gt *schema.ResourceType) string {
	return `SELECT u.id, ` + groupsOf(gt, "u.id") + ` FROM unnest($2::text[]) AS u(id)`
}

// GroupsOf is the groups of each of ids, in one statement.
func (s *Store) GroupsOf(ctx context.Context, tenant string, ids []string, gt *schema.ResourceType) (map[string][]store.Resource, error) {
	if err := cancelled(ctx); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return map[string][]store.Resource{}, nil
	}
	groups := map[string][]store.Resource{}
	err := s.read(ctx, func(ctx context.Context) error {
		clear(groups)
		rows, err := s.pool.Query(ctx, groupsOfIDsSQL(gt), tenant, ids)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var gs []byte
			if err := rows.Scan(&id, &gs); err != nil {
				return err
			}
			g, err := decodeGroups(gs)
			if err != nil {
				return err
			}
			if len(g) > 0 {
				groups[id] = g // an id listed twice has the same groups
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, mapError(ctx, err, nil)
	}
	return groups, nil
}
