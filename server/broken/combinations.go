package broken

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/scimharness/scimharness/server/filter"
)

// The bugs below break a feature only in combination with another — a
// compound filter, a value path with two terms, a sort order with paging,
// a projection — the ground hand-written checks cover with one shape each
// and the differential fuzzer (suites/differential) is there to cover.
// Each names the hand-written checks that see it; the fuzzer's own test
// (suites/differential) finds each of them too.
func combinationBugs() []Bug {
	return []Bug{
		{
			Name:        "first-clause-only",
			Description: "evaluates a compound filter (and/or) by its first clause alone, so \"userName sw \\\"a\\\" and title eq \\\"x\\\"\" lists every user whose name starts with a (RFC 7644 §3.4.2.2; go-scim issue 83)",
			Wrap:        firstClauseOnly,
			Fails:       []string{"filter/and", "filter/or"},
		},
		{
			Name:        "ignores-not",
			Description: "reads \"not (F)\" as F, listing exactly the resources the client asked to exclude (RFC 7644 §3.4.2.2)",
			Wrap:        ignoresNot,
			Fails:       []string{"filter/not"},
		},
		{
			Name:        "value-path-first-term",
			Description: "evaluates a value path with two terms (emails[type eq \"work\" and value co \"x\"]) by its first term alone, matching a user whose work address is another (RFC 7644 §3.4.2.2)",
			Wrap:        valuePathFirstTerm,
			Fails:       []string{"filter/value-path"},
		},
		{
			Name:        "ignores-sort-order",
			Description: "ignores sortOrder=descending and always sorts ascending (RFC 7644 §3.4.2.3)",
			Wrap:        ignoresSortOrder,
			Fails:       []string{"sort/descending"},
		},
		{
			Name:        "zero-based-start-index",
			Description: "reads startIndex as 0-based, so every page skips the first resource it should hold (RFC 7644 §3.4.2.4: startIndex is 1-based)",
			Wrap:        zeroBasedStartIndex,
			Fails:       []string{"paging/start-index"},
		},
		{
			Name:        "ignores-attributes",
			Description: "ignores attributes and excludedAttributes on lists and returns whole resources (RFC 7644 §3.4.2.5), so clients that exclude large attributes get them anyway",
			Wrap:        ignoresAttributes,
			Fails:       []string{"attributes/list"},
		},
		{
			Name:        "add-replaces-multivalued",
			Description: "treats a PATCH add to a multi-valued attribute (emails) as a replace, losing the values already there (RFC 7644 §3.5.2.1: add appends to a multi-valued attribute)",
			Wrap:        addReplacesMultiValued,
			Fails:       []string{"patch/add-multivalued", "schema/User/emails/patch-add"},
		},
	}
}

// rewriteQuery changes the query of list requests to Users and Groups.
func rewriteQuery(next http.Handler, change func(q url.Values)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		endpoint, id := resourcePath(r.URL.Path)
		if isList(r, endpoint, id) {
			q := r.URL.Query()
			change(q)
			r = r.Clone(r.Context())
			r.URL.RawQuery = q.Encode()
		}
		next.ServeHTTP(w, r)
	})
}

// param returns the key of q that is name in any case, or name.
func param(q url.Values, name string) string {
	for k := range q {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return name
}

func firstClauseOnly(next http.Handler) http.Handler {
	return rewriteQuery(next, func(q url.Values) {
		k := param(q, "filter")
		e, err := filter.Parse(q.Get(k))
		if err != nil {
			return
		}
		switch x := filter.Value(e).(type) {
		case filter.And:
			q.Set(k, fmt.Sprint(x.Left))
		case filter.Or:
			q.Set(k, fmt.Sprint(x.Left))
		}
	})
}

var notCall = regexp.MustCompile(`(?i)\bnot\s*\(`)

func ignoresNot(next http.Handler) http.Handler {
	return rewriteQuery(next, func(q url.Values) {
		k := param(q, "filter")
		q.Set(k, notCall.ReplaceAllString(q.Get(k), "("))
	})
}

var secondTerm = regexp.MustCompile(`(?i)\[([^\]]*?)\s+and\s+[^\]]*\]`)

func valuePathFirstTerm(next http.Handler) http.Handler {
	return rewriteQuery(next, func(q url.Values) {
		k := param(q, "filter")
		q.Set(k, secondTerm.ReplaceAllString(q.Get(k), "[$1]"))
	})
}

func ignoresSortOrder(next http.Handler) http.Handler {
	return rewriteQuery(next, func(q url.Values) { q.Del(param(q, "sortOrder")) })
}

func zeroBasedStartIndex(next http.Handler) http.Handler {
	return rewriteQuery(next, func(q url.Values) {
		k := param(q, "startIndex")
		if n, err := strconv.Atoi(q.Get(k)); err == nil && n >= 1 {
			q.Set(k, strconv.Itoa(n+1))
		}
	})
}

func ignoresAttributes(next http.Handler) http.Handler {
	return rewriteQuery(next, func(q url.Values) {
		q.Del(param(q, "attributes"))
		q.Del(param(q, "excludedAttributes"))
	})
}

func addReplacesMultiValued(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			r = rewriteOps(r, func(op map[string]any) map[string]any {
				k, o, _ := field(op, "op")
				_, p, _ := field(op, "path")
				if s, _ := o.(string); strings.EqualFold(s, "add") {
					if ps, _ := p.(string); strings.EqualFold(ps, "emails") {
						op[k] = "replace"
					}
				}
				return op
			})
		}
		next.ServeHTTP(w, r)
	})
}
