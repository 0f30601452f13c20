package memory

import (
	"cmp"
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// Query returns the resources of one type that match q.Filter, sorted by
// q.SortBy or in creation order, windowed by q.StartIndex and q.Count.
func (s *Store) Query(ctx context.Context, tenant string, rt *schema.ResourceType, q store.Query) (store.Page, error) {
	return s.query(ctx, tenant, rt, q, nil)
}

// query is Query; also, when set, it calls also with the tenant's data
// and the filled window while it still holds the read lock.
func (s *Store) query(ctx context.Context, tenant string, rt *schema.ResourceType, q store.Query, also func(*space, *window)) (store.Page, error) {
	if err := cancelled(ctx); err != nil {
		return store.Page{}, err
	}
	// Compile and resolve before looking at data, so that a bad filter or
	// sortBy is an error even in an empty tenant.
	if err := store.CheckFilter(q.Filter); err != nil {
		return store.Page{}, err
	}
	// A lone eq of a string is answered from an index when its path has
	// one (table.exactly), and then no matcher runs: that filter's compile
	// waits until collect finds it needed. exactly answers only filters
	// Compile accepts (TestExactLookupsAgree), so a bad filter is the same
	// error either way, in a tenant without data too.
	match := matcherOf(q.Filter, rt)
	if _, lone := exactCompare(q.Filter); !lone || q.SortBy != "" {
		if _, err := match(); err != nil {
			return store.Page{}, err
		}
	}
	var order *sorter
	if q.SortBy != "" {
		o, err := newSorter(rt, q.SortBy, q.Descending)
		if err != nil {
			return store.Page{}, err
		}
		order = o
	}
	page := store.Page{Resources: []store.Resource{}}
	sp := s.space(tenant, false)
	if sp == nil {
		_, err := match()
		return page, err
	}
	w := newWindow(q.StartIndex, q.Count)
	var err error
	sp.mu.RLock()
	if t := sp.tables[rt.ID]; t != nil {
		page.Total, err = s.collect(t, q.Filter, match, order, w)
	} else {
		_, err = match()
	}
	if also != nil && err == nil {
		also(sp, w)
	}
	sp.mu.RUnlock()
	if err != nil {
		return store.Page{}, err
	}
	page.Resources = w.resources()
	return page, nil
}

// matcherOf returns f's matcher, compiled on the first call (every
// resource matches a nil filter).
func matcherOf(f filter.Expr, rt *schema.ResourceType) func() (filter.Matcher, error) {
	var m filter.Matcher
	var err error
	return func() (filter.Matcher, error) {
		if m == nil && err == nil {
			if f == nil {
				m = func(map[string]any) bool { return true }
			} else {
				m, err = compile(f, rt)
			}
		}
		return m, err
	}
}

// collect runs the query on t (the caller holds the read lock), fills w with
// snapshots of the requested window and returns the total number of matches.
func (s *Store) collect(t *table, f filter.Expr, matcher func() (filter.Matcher, error), order *sorter, w *window) (int, error) {
	if hits, ok := t.exactly(f); ok && order == nil {
		for i, e := range hits {
			w.offer(i+1, e)
		}
		return len(hits), nil
	}
	cands, planned := t.plan(f)
	if !planned {
		if f == nil && order == nil {
			return w.fillUnfiltered(t), nil // no matcher to run: skip straight to the window
		}
		cands = t.order
	}
	match, err := matcher()
	if err != nil {
		return 0, err
	}
	if order == nil {
		return s.matchInOrder(cands, match, w), nil
	}
	hits := s.matchAll(cands, match)
	if w.count != 0 {
		order.sort(hits)
		for i, e := range hits {
			w.offer(i+1, e)
		}
	}
	return len(hits), nil
}

// matchInOrder offers the matches among cands (creation order, nil for a
// tombstone) to w, and counts them.
func (s *Store) matchInOrder(cands []*entry, match filter.Matcher, w *window) int {
	keep := -1 // the matches up to the end of the window
	if w.count >= 0 {
		keep = w.first - 1 + w.count
	}
	if w.count == 0 {
		keep = 0
	}
	hits, total := s.matching(cands, match, keep)
	for i, e := range hits {
		w.offer(i+1, e)
	}
	return total
}

// matchAll returns the matches among cands, for sorting.
func (s *Store) matchAll(cands []*entry, match filter.Matcher) []*entry {
	hits, _ := s.matching(cands, match, -1)
	return hits
}

// scanChunk is the fewest entries a goroutine of a scan matches: a scan of
// 100k users (a filter no index narrows, such as conform's
// name.familyName ne "Young") is memory-bound, ~1 µs an entry, and is split
// over the processors; a smaller one stays on the request's goroutine.
const scanChunk = 16_384

// matching returns the first keep matches among cands in their order (all
// of them when keep < 0) and the number of matches, with the candidates
// split into chunks matched in parallel when there are many. Matchers only
// read, and the caller holds the read lock until all chunks are done. A
// panic in a chunk is raised again on the caller's goroutine, where the
// server's recovery sees it, rather than ending the process.
func (s *Store) matching(cands []*entry, match filter.Matcher, keep int) ([]*entry, int) {
	parts := min(runtime.GOMAXPROCS(0), len(cands)/scanChunk)
	if parts < 2 {
		return s.matchRange(cands, match, keep)
	}
	type part struct {
		hits   []*entry
		total  int
		panicV any
	}
	res := make([]part, parts)
	size := (len(cands) + parts - 1) / parts
	var wg sync.WaitGroup
	for i := range parts {
		chunk := cands[i*size : min((i+1)*size, len(cands))]
		wg.Go(func() {
			defer func() {
				if v := recover(); v != nil {
					res[i].panicV = v
				}
			}()
			res[i].hits, res[i].total = s.matchRange(chunk, match, keep)
		})
	}
	wg.Wait()
	var hits []*entry
	total := 0
	for _, r := range res {
		if r.panicV != nil {
			panic(r.panicV)
		}
		total += r.total
		if keep < 0 || len(hits) < keep {
			hits = append(hits, r.hits...)
		}
	}
	if keep >= 0 && len(hits) > keep {
		hits = hits[:keep]
	}
	return hits, total
}

// matchRange is matching on one goroutine.
func (s *Store) matchRange(cands []*entry, match filter.Matcher, keep int) ([]*entry, int) {
	var hits []*entry
	total, examined := 0, 0
	for _, e := range cands {
		if e == nil {
			continue
		}
		examined++
		if match(e.doc) {
			total++
			if keep < 0 || len(hits) < keep {
				hits = append(hits, e)
			}
		}
	}
	s.examined.Add(int64(examined))
	return hits, total
}

// window selects the 1-based positions [first, first+count) of a result.
type window struct {
	first, count int // count < 0: no limit
	snaps        []store.Resource
}

func newWindow(startIndex, count int) *window {
	return &window{first: max(startIndex, 1), count: count}
}

// offer takes the entry at 1-based position pos if it falls in the window.
func (w *window) offer(pos int, e *entry) {
	if pos >= w.first && (w.count < 0 || pos-w.first < w.count) {
		w.snaps = append(w.snaps, e.snapshot())
	}
}

// fillUnfiltered fills the window from every live entry in creation order
// and returns their number. Without tombstones the window is a slice of
// t.order; otherwise it walks the slice, skipping nils, and stops once the
// window is full.
func (w *window) fillUnfiltered(t *table) int {
	if w.count == 0 {
		return t.live()
	}
	order := t.order
	if t.dead == 0 {
		order = order[min(w.first-1, len(order)):]
		if w.count > 0 && len(order) > w.count {
			order = order[:w.count]
		}
		for i, e := range order {
			w.offer(w.first+i, e)
		}
		return t.live()
	}
	pos := 0
	for _, e := range order {
		if e == nil {
			continue
		}
		pos++
		if pos >= w.first {
			w.offer(pos, e)
			if w.count > 0 && len(w.snaps) == w.count {
				break
			}
		}
	}
	return t.live()
}

// resources are the window's snapshots, shared with the store and
// read-only (store.Store.Query): stored documents are never changed in
// place, so they stay valid after the lock is released.
func (w *window) resources() []store.Resource { return w.snaps }

// plan returns the candidate entries for f from an index, in creation
// order, when f pins an indexed attribute to a value or a prefix; planned is
// false when the whole table must be scanned. The candidates are a superset
// of the matches: the caller still runs the full matcher on each.
func (t *table) plan(f filter.Expr) (cands []*entry, planned bool) {
	cands, planned = t.candidates(f)
	if planned {
		slices.SortFunc(cands, func(a, b *entry) int { return cmp.Compare(a.seq, b.seq) })
		cands = slices.Compact(cands)
	}
	return cands, planned
}

// exactly answers a filter that is one "eq" of a string on an indexed path
// (the IdPs' lookup, userName eq "…") from the index alone, in creation
// order, without running the matcher: an index key is the value itself
// for a caseExact attribute and foldKey(value) otherwise, and foldKey(a) ==
// foldKey(b) exactly when strings.EqualFold(a, b), the matcher's eq
// (TestFoldRuneCoversOrbits); a multi-valued attribute is listed under the
// key of each value, as eq matches any. So the entries under the key are
// the matches, and a lookup need not read the document at all — at 100k
// users, reading it was a cache miss per lookup (TestExactLookupsAgree).
func (t *table) exactly(f filter.Expr) ([]*entry, bool) {
	c, ok := exactCompare(f)
	if !ok {
		return nil, false
	}
	hits, ok := t.lookup(c.Path, c)
	if ok && len(hits) > 1 {
		slices.SortFunc(hits, func(a, b *entry) int { return cmp.Compare(a.seq, b.seq) })
	}
	return hits, ok
}

// exactCompare is f as the one comparison exactly may answer: an eq of a
// string.
func exactCompare(f filter.Expr) (filter.Compare, bool) {
	c, ok := filter.Value(f).(filter.Compare)
	if !ok || c.Op != filter.Eq {
		return filter.Compare{}, false
	}
	_, isString := c.Value.(string)
	return c, isString
}

// candidates is plan without the ordering: "eq" or "sw" on an indexed path,
// either side of an "and" (the narrower one), both sides of an "or", or a
// value path on an indexed multi-valued attribute whose filter pins "value".
func (t *table) candidates(f filter.Expr) ([]*entry, bool) {
	switch x := filter.Value(f).(type) {
	case filter.Compare:
		return t.lookup(x.Path, x)
	case filter.And:
		l, lok := t.candidates(x.Left)
		r, rok := t.candidates(x.Right)
		switch {
		case lok && (!rok || len(l) <= len(r)):
			return l, true
		case rok:
			return r, true
		}
	case filter.Or:
		l, lok := t.candidates(x.Left)
		if !lok {
			return nil, false
		}
		r, rok := t.candidates(x.Right)
		if !rok {
			return nil, false
		}
		return append(l, r...), true
	case filter.ValuePath:
		if c, ok := valueCompare(x.Filter); ok && x.Path.Sub == "" {
			return t.lookup(filter.AttrPath{URN: x.Path.URN, Name: x.Path.Name, Sub: "value"}, c)
		}
	}
	return nil, false
}

// valueCompare finds a comparison of "value" that lookup can answer (eq,
// sw, or one of keyOps) in the filter of a value path, alone or inside
// nested ands.
func valueCompare(f filter.Expr) (filter.Compare, bool) {
	switch x := filter.Value(f).(type) {
	case filter.Compare:
		if (x.Op == filter.Eq || x.Op == filter.Sw || keyOps[x.Op]) && x.Path.URN == "" && x.Path.Sub == "" && strings.EqualFold(x.Path.Name, "value") {
			return x, true
		}
	case filter.And:
		if c, ok := valueCompare(x.Left); ok {
			return c, true
		}
		return valueCompare(x.Right)
	}
	return filter.Compare{}, false
}

// lookup answers `path eq c.Value` from the id map or an index, `path sw
// c.Value` from an index that keeps its keys in order, and the comparisons
// of keyOps by testing each distinct key of an index (see keysPassing). The
// result is a fresh slice the caller may reorder.
func (t *table) lookup(path filter.AttrPath, c filter.Compare) ([]*entry, bool) {
	v, isString := c.Value.(string)
	if !isString || (c.Op != filter.Eq && c.Op != filter.Sw && !keyOps[c.Op]) {
		return nil, false
	}
	if c.Op == filter.Sw && v == "" {
		return nil, false // every value starts with "": a scan is as narrow and skips the sort
	}
	ref, ok := t.rt.Find(path.URN, path.Name, path.Sub)
	if !ok {
		return nil, false
	}
	if ref.URN == "" && ref.Sub == nil && ref.Attr == schema.Common("id") {
		if c.Op != filter.Eq {
			return nil, false
		}
		if e := t.byID[v]; e != nil {
			return []*entry{e}, true
		}
		return nil, true
	}
	p := ref.Path()
	for _, ix := range t.indexes {
		if !strings.EqualFold(ix.path, p) {
			continue
		}
		switch c.Op {
		case filter.Sw:
			return ix.withPrefix(v)
		case filter.Eq:
			return slices.Clone(ix.entries(ix.key(v))), true
		}
		return t.keysPassing(ix, ref, c)
	}
	return nil, false
}

// keyOps are the string comparisons whose verdict on a value a key of the
// value's index gives as well: co, ew and the orderings. A key is the value
// itself, or for an attribute that is not caseExact store.Fold of it, which
// replaces each rune by a member of its simple case-folding orbit; the
// filter package compares those without case rune by rune, with
// strings.EqualFold's orbit test (co, ew) or a folded rune that is the same
// for the whole orbit (the orderings), so the verdict on the key is the
// verdict on the value. "ne" and "pr" are not among them: ne also matches
// a resource without the attribute, which no key holds, and pr is every key.
var keyOps = map[filter.Op]bool{filter.Co: true, filter.Ew: true, filter.Gt: true, filter.Ge: true, filter.Lt: true, filter.Le: true}

// keysPassing returns the entries of ix under the keys that pass c, with
// the matcher's own string test: for `title co "nag"` a test of each
// distinct title instead of a scan of every user. When the index has about
// as many keys as the table has entries (userName), or the keys that pass
// hold more than a quarter of the table, the candidates are no cheaper than
// a scan, which is what the caller is told to do instead (planned false).
func (t *table) keysPassing(ix *index, ref schema.Ref, c filter.Compare) ([]*entry, bool) {
	if len(ix.keys) > len(t.order)/2 {
		return nil, false
	}
	test := filter.StringTest(ref.Target().CaseExact, c.Op, c.Value.(string))
	limit := len(t.order)/4 + 1
	var out []*entry
	for k, p := range ix.keys {
		if !test(k) {
			continue
		}
		if out = append(out, p.list...); len(out) > limit {
			return nil, false
		}
	}
	return out, true
}

// compile is filter.Compile, except that each id set of the filter
// (store.IDSet: an or-chain of `id eq "…"`, which the server's rewrite of
// User "groups" filters makes one id per member) is one map lookup rather
// than a comparison per id: a set of n ids would otherwise cost n
// comparisons for each resource examined.
func compile(e filter.Expr, rt *schema.ResourceType) (filter.Matcher, error) {
	m, err := filter.Compile(e, rt)
	if err != nil || !hasIDSet(e) {
		return m, err
	}
	return withIDSets(e, rt), nil
}

func hasIDSet(e filter.Expr) bool {
	if store.IsIDSet(e) {
		return true
	}
	switch x := filter.Value(e).(type) {
	case filter.And:
		return hasIDSet(x.Left) || hasIDSet(x.Right)
	case filter.Or:
		return hasIDSet(x.Left) || hasIDSet(x.Right)
	case filter.Not:
		return hasIDSet(x.X)
	}
	return false
}

// withIDSets compiles e, which filter.Compile has accepted, with the
// matcher's own and/or/not composition and a set lookup for each id set.
func withIDSets(e filter.Expr, rt *schema.ResourceType) filter.Matcher {
	if store.IsIDSet(e) {
		ids, _ := store.IDSet(e)
		set := make(map[string]struct{}, len(ids))
		for _, id := range ids {
			set[id] = struct{}{}
		}
		return func(d map[string]any) bool {
			id, ok := d["id"].(string)
			if !ok {
				return false
			}
			_, in := set[id]
			return in
		}
	}
	switch x := filter.Value(e).(type) {
	case filter.And:
		l, r := withIDSets(x.Left, rt), withIDSets(x.Right, rt)
		return func(d map[string]any) bool { return l(d) && r(d) }
	case filter.Or:
		l, r := withIDSets(x.Left, rt), withIDSets(x.Right, rt)
		return func(d map[string]any) bool { return l(d) || r(d) }
	case filter.Not:
		m := withIDSets(x.X, rt)
		return func(d map[string]any) bool { return !m(d) }
	}
	m, _ := filter.Compile(e, rt) // a part of a filter that compiled
	return m
}
