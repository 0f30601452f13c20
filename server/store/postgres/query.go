package postgres

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// Query returns the resources of one type that match q.Filter, sorted by
// q.SortBy or in creation order, windowed by q.StartIndex and q.Count.
// Filtering, sorting, counting and paging happen in SQL when the filter
// translates exactly (see sqlfilter.go); otherwise SQL returns a superset
// in order and the Go matcher filters and pages it.
func (s *Store) Query(ctx context.Context, tenant string, rt *schema.ResourceType, q store.Query) (store.Page, error) {
	if err := cancelled(ctx); err != nil {
		return store.Page{}, err
	}
	// Compile and resolve first, as the memory store does, so that a bad
	// filter or sortBy is the same 400 whatever the tenant holds; the
	// compiled matcher is also the fallback.
	if err := store.CheckFilter(q.Filter); err != nil {
		return store.Page{}, err // before any SQL is built or sent
	}
	var match filter.Matcher
	if q.Filter != nil {
		m, err := filter.Compile(q.Filter, rt)
		if err != nil {
			return store.Page{}, err
		}
		match = m
	}
	st, err := buildQuery(tenant, rt, q)
	if err != nil {
		return store.Page{}, err
	}
	first, count := max(q.StartIndex, 1), q.Count
	var page store.Page
	err = s.read(ctx, func(ctx context.Context) error {
		var e error
		if st.exact {
			page, e = s.window(ctx, rt, st, first, count)
		} else {
			page, e = s.matchInGo(ctx, rt, st, match, first, count)
		}
		return e
	})
	if err != nil {
		return store.Page{}, mapError(ctx, err, nil)
	}
	return page, nil
}

// statement is a query translated to SQL: the condition on the row alias r
// with its parameters, the ORDER BY list, and whether the condition is
// exact (else a superset for the Go matcher).
type statement struct {
	where, order string
	args         []any
	exact        bool
}

// buildQuery translates q for tenant and rt; q.Filter has compiled.
func buildQuery(tenant string, rt *schema.ResourceType, q store.Query) (statement, error) {
	st := statement{order: "r.seq", exact: true}
	if q.SortBy != "" {
		key, err := sortKey(rt, q.SortBy)
		if err != nil {
			return st, err
		}
		if q.Descending {
			st.order = key + " DESC NULLS FIRST, r.seq"
		} else {
			st.order = key + " ASC NULLS LAST, r.seq"
		}
	}
	// The type is written as a literal (it comes from the schema, not the
	// request) so that the planner matches the partial unique indexes
	// (WHERE rtype = 'User') in generic plans too.
	st.where = "r.tenant = $1 AND r.rtype = " + quote(rt.ID)
	sq := &sqlQuery{args: []any{tenant}}
	if q.Filter != nil {
		var cond string
		cond, st.exact = sq.where(q.Filter, rt)
		st.where += " AND " + cond
	}
	st.args = sq.args
	return st, nil
}

func (st statement) countSQL() string {
	return "SELECT count(*) FROM scim.resources r WHERE " + st.where
}

// pageSQL selects a window; its LIMIT and OFFSET are the two parameters
// after st.args (a NULL limit is none).
func (st statement) pageSQL() string {
	n := len(st.args)
	return "SELECT r.id, r.version, r.doc FROM scim.resources r WHERE " + st.where +
		" ORDER BY " + st.order + " LIMIT $" + strconv.Itoa(n+1) + "::bigint OFFSET $" + strconv.Itoa(n+2) + "::bigint"
}

func (st statement) allSQL() string {
	return "SELECT r.id, r.version, r.doc FROM scim.resources r WHERE " + st.where + " ORDER BY " + st.order
}

// window runs an exact query: the count and the page, from one snapshot
// when both are needed. The first page of a lookup (a filter that matches
// fewer resources than the page holds) needs one statement only.
func (s *Store) window(ctx context.Context, rt *schema.ResourceType, st statement, first, count int) (store.Page, error) {
	args, countSQL, pageSQL := st.args, st.countSQL(), st.pageSQL()
	if count == 0 {
		var total int
		if err := s.pool.QueryRow(ctx, countSQL, args...).Scan(&total); err != nil {
			return store.Page{}, err
		}
		return store.Page{Total: total, Resources: []store.Resource{}}, nil
	}
	pargs := append(append([]any(nil), args...), nil, first-1)
	if count > 0 {
		pargs[len(args)] = count
	}
	if first == 1 {
		rs, err := s.collect(ctx, s.pool, rt, pageSQL, pargs)
		if err != nil {
			return store.Page{}, err
		}
		if count < 0 || len(rs) < count {
			return store.Page{Total: len(rs), Resources: rs}, nil
		}
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return store.Page{}, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var total int
	if err := tx.QueryRow(ctx, countSQL, args...).Scan(&total); err != nil {
		return store.Page{}, err
	}
	rs := []store.Resource{}
	if first <= total {
		if rs, err = s.collect(ctx, tx, rt, pageSQL, pargs); err != nil {
			return store.Page{}, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return store.Page{}, err
	}
	return store.Page{Total: total, Resources: rs}, nil
}

// matchInGo runs a filter SQL could only narrow down: every candidate, in
// order, through the Go matcher, then the window.
func (s *Store) matchInGo(ctx context.Context, rt *schema.ResourceType, st statement, match filter.Matcher, first, count int) (store.Page, error) {
	rs, err := s.collect(ctx, s.pool, rt, st.allSQL(), st.args)
	if err != nil {
		return store.Page{}, err
	}
	page := store.Page{Resources: []store.Resource{}}
	for _, r := range rs {
		if !match(r.Doc) {
			continue
		}
		page.Total++
		if page.Total >= first && (count < 0 || len(page.Resources) < count) {
			page.Resources = append(page.Resources, r)
		}
	}
	return page, nil
}

func (s *Store) collect(ctx context.Context, q querier, rt *schema.ResourceType, sql string, args []any) ([]store.Resource, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []store.Resource{}
	for rows.Next() {
		var r store.Resource
		var body []byte
		if err := rows.Scan(&r.ID, &r.Version, &body); err != nil {
			return nil, err
		}
		if r.Doc, err = decode(rt, body); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// sortKey is the SQL of the memory store's sorter (newSorter, sortKey): the
// sort value of a resource, or NULL for one without a value of the right
// type; strings compare bytewise ("C"), through fold unless caseExact.
func sortKey(rt *schema.ResourceType, sortBy string) (string, error) {
	ref, ok := rt.Find(schema.SplitPath(sortBy))
	if !ok {
		return "", schema.Errorf(schema.InvalidValue, "sortBy: unknown attribute %q", sortBy)
	}
	if ref.Target().Type == schema.TypeComplex {
		if ref.Sub != nil || ref.Attr.Sub("value") == nil {
			return "", schema.Errorf(schema.InvalidValue, "sortBy: %q is complex; name one of its sub-attributes", sortBy)
		}
		ref.Sub = ref.Attr.Sub("value")
	}
	v := "r.doc"
	if ref.URN != "" {
		v += " -> " + quote(ref.URN)
	}
	v += " -> " + quote(ref.Attr.Name)
	if ref.Attr.MultiValued {
		v = "scim.primary_or_first(" + v + ")"
	}
	if ref.Sub != nil {
		v = "(" + v + ") -> " + quote(ref.Sub.Name)
	}
	typeIs := func(t string) string { return "jsonb_typeof(" + v + ") = '" + t + "'" }
	a := ref.Target()
	switch a.Type {
	case schema.TypeBoolean:
		return "(CASE WHEN " + typeIs("boolean") + " THEN (" + v + ")::boolean END)", nil
	case schema.TypeInteger:
		return "(CASE WHEN " + typeIs("number") + " THEN trunc((" + v + ")::numeric) END)", nil
	case schema.TypeDecimal:
		return "scim.num(" + v + ")", nil
	case schema.TypeDateTime:
		return "(CASE WHEN " + typeIs("string") + " THEN scim.time(" + v + " #>> '{}') END)", nil
	}
	text := "(CASE WHEN " + typeIs("string") + " THEN " + v + " #>> '{}' END)"
	if !a.CaseExact {
		text = "scim.fold" + text
	}
	return "(" + text + ` COLLATE "C")`, nil
}
