package store

import (
	"strings"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
)

// MaxFilterTerms is the most comparisons a filter may hold. Every store
// answers a filter with work proportional to its terms times the resources
// it looks at, and the Postgres store writes SQL proportional to its terms:
// a filter of 2,000 or-terms (38 KB) kept a PostgreSQL backend busy for
// over a minute and 778 MB. RFC 7644 sets no limit and lets a service
// refuse a filter it is not willing to process (§3.12, scimType
// "tooMany"); IdPs send one to a handful of terms.
const MaxFilterTerms = 200

// CheckFilter refuses, with 400 tooMany (RFC 7644 §3.4.2.2, §3.12), a
// filter of more than MaxFilterTerms comparisons. Both stores call it
// before doing anything else in Query, so the limit holds for every
// caller. An or-chain of `id eq "…"` comparisons counts as one term: the
// stores answer it as one set lookup (IDSet), whatever its length, and the
// server's rewrite of User "groups" filters produces one id per member.
func CheckFilter(e filter.Expr) error {
	if e == nil {
		return nil
	}
	if n := filterTerms(e); n > MaxFilterTerms {
		return schema.Errorf(schema.TooMany,
			"the filter has %d comparisons; at most %d are accepted (RFC 7644 §3.12 tooMany)", n, MaxFilterTerms)
	}
	return nil
}

func filterTerms(e filter.Expr) int {
	if _, ok := idSetSize(e); ok {
		return 1
	}
	switch x := filter.Value(e).(type) {
	case filter.And:
		return filterTerms(x.Left) + filterTerms(x.Right)
	case filter.Or:
		return filterTerms(x.Left) + filterTerms(x.Right)
	case filter.Not:
		return filterTerms(x.X)
	case filter.ValuePath:
		return 1 + filterTerms(x.Filter)
	}
	return 1
}

// IDSet returns the ids of e when e is `id eq "a"` or an or-chain of such
// comparisons (any nesting of "or"; the path written without a URN), in
// the order written, duplicates kept. "id" is caseExact (RFC 7643 §3.1), so the set matches exactly the
// resources whose id is one of them.
func IDSet(e filter.Expr) ([]string, bool) {
	n, ok := idSetSize(e)
	if !ok {
		return nil, false
	}
	ids := make([]string, 0, n)
	walkIDSet(e, func(id string) { ids = append(ids, id) })
	return ids, true
}

// IsIDSet reports whether e is an id set (see IDSet) of more than one id,
// without collecting the ids: CheckFilter and the stores ask it of every
// node of a filter, and a 20,000-id chain made each asking allocate its
// ids again (issue 14: memory per request).
func IsIDSet(e filter.Expr) bool {
	n, ok := idSetSize(e)
	return ok && n > 1
}

// idSetSize is the number of ids of e when e is an id set.
func idSetSize(e filter.Expr) (int, bool) {
	n := 0
	ok := walkIDSet(e, func(string) { n++ })
	return n, ok
}

// walkIDSet calls fn with each id of e in order, and reports whether e is
// an id set (fn may have been called before a term that is not).
func walkIDSet(e filter.Expr, fn func(id string)) bool {
	switch x := filter.Value(e).(type) {
	case filter.Or:
		return walkIDSet(x.Left, fn) && walkIDSet(x.Right, fn)
	case filter.Compare:
		v, ok := x.Value.(string)
		if !ok || x.Op != filter.Eq || x.Path.URN != "" || x.Path.Sub != "" || !strings.EqualFold(x.Path.Name, "id") {
			return false
		}
		fn(v)
		return true
	}
	return false
}
