package judge

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/wire"
)

// List is a decoded ListResponse (RFC 7644 §3.4.2).
type List struct {
	// Total is totalResults, which a ListResponse must have.
	Total int64
	// Start and PerPage are startIndex and itemsPerPage when HasStart and
	// HasPerPage say they were there.
	Start, PerPage       int64
	HasStart, HasPerPage bool
	// Resources are the resources of the page, in the order sent.
	Resources []map[string]any
}

// Found is the number of resources the list says it holds: totalResults,
// or the resources on the page when there are more of those.
func (l List) Found() int64 { return max(l.Total, int64(len(l.Resources))) }

// ReadList decodes the answer as a ListResponse. totalResults is required,
// and the paging fields (totalResults, startIndex, itemsPerPage) must be
// JSON integers when present: a server sending them as strings breaks
// every client that pages.
func (v Voice) ReadList(ex *wire.Exchange) (List, error) {
	var l List
	doc, err := ex.JSON()
	if err != nil {
		return l, fmt.Errorf("the answer is not a SCIM ListResponse: %v", err)
	}
	total, ok, err := v.intField(doc, "totalResults")
	switch {
	case err != nil:
		return l, err
	case !ok:
		return l, errors.New("the ListResponse has no totalResults (RFC 7644 §3.4.2: REQUIRED)")
	}
	l.Total = total
	if l.Start, l.HasStart, err = v.intField(doc, "startIndex"); err != nil {
		return l, err
	}
	if l.PerPage, l.HasPerPage, err = v.intField(doc, "itemsPerPage"); err != nil {
		return l, err
	}
	r, found := scenario.Lookup(doc, "Resources")
	if !found || r == nil {
		return l, nil
	}
	list, ok := r.([]any)
	if !ok {
		return l, fmt.Errorf("Resources is %s, not an array", Render(r))
	}
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return l, fmt.Errorf("Resources holds %s, not a resource object", Render(e))
		}
		l.Resources = append(l.Resources, m)
	}
	return l, nil
}

// intField reads a paging field, which must be a JSON integer; ok is false
// when it is absent or null.
func (v Voice) intField(doc map[string]any, name string) (n int64, ok bool, err error) {
	val, found := scenario.Lookup(doc, name)
	if !found || val == nil {
		return 0, false, nil
	}
	num, isNum := val.(json.Number)
	if !isNum {
		return 0, true, fmt.Errorf("%s is %s, not a JSON number%s (RFC 7644 §3.4.2%s)", name, Render(val), because(v.CannotPage), cite(v.SpecTest))
	}
	n, err = strconv.ParseInt(num.String(), 10, 64)
	if err != nil {
		return 0, true, fmt.Errorf("%s is %s, not an integer (RFC 7644 §3.4.2%s)", name, num, cite(v.SpecTest))
	}
	return n, true, nil
}

// NobodyFound judges a lookup by a userName nobody has (with ${vars}): 200
// with an empty ListResponse. It catches the server that answers 404 for an
// empty result and the one that ignores the filter and returns everybody.
// before says what the IdP is about to do with the answer ("before Okta
// creates the user"); it may hold ${vars}. It is [Voice.MatchesNone] for
// userName eq.
func (v Voice) NobodyFound(userName, before string) scenario.Expectation {
	return v.matchesNone(userNameEq(Text(userName)), "user", func(vars scenario.Vars) string {
		return fmt.Sprintf("%q", Expand(userName, vars))
	}, before)
}

// FoundOnce judges a lookup that must find exactly the user whose id was
// captured as idVar. asked gives the userName the filter asked for (see
// [Text]). missed is appended to the sentence for a lookup that found
// nobody, "… found nobody although the user exists (id …)", and starts
// with its own punctuation: ": Google would create it again". It is
// [Voice.MatchesOne] for userName eq.
func (v Voice) FoundOnce(asked func(scenario.Vars) string, idVar, missed string) scenario.Expectation {
	return v.MatchesOne(userNameEq(asked), "user", idVar, missed, "")
}

// userNameEq is the filter userName eq "<asked>", for sentences.
func userNameEq(asked func(scenario.Vars) string) func(scenario.Vars) string {
	return func(vars scenario.Vars) string { return fmt.Sprintf("userName eq %q", asked(vars)) }
}

// Requested reads startIndex and count back from the request ex sent (0
// where absent), for judging a page against what was asked.
func Requested(ex *wire.Exchange) (start, count int) {
	u, err := url.Parse(ex.Request.URL)
	if err != nil {
		return 0, 0
	}
	start, _ = strconv.Atoi(u.Query().Get("startIndex"))
	count, _ = strconv.Atoi(u.Query().Get("count"))
	return start, count
}
