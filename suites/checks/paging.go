package checks

import (
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
)

func paging() []Check {
	const paging = "RFC 7644 §3.4.2.4"
	var cs []Check
	add := func(c Check) { cs = append(cs, c) }
	add(listCheck("paging/count", "count limits the page; totalResults counts all", paging, nil,
		map[string]string{"count": "2"}, listFields(3, 1, 2, 2)...))
	add(listCheck("paging/start-index", "startIndex=3 returns the third and last", paging, []string{target.Sort},
		map[string]string{"startIndex": "3", "count": "2", "sortBy": "userName"},
		append(listFields(3, 3, 1, 1), pageNames(names(tagOf("paging/start-index"), "carol")...).Per(clauseSortedPage, scenario.Should))...))
	add(listCheck("paging/beyond-end", "startIndex past the end gives an empty page", paging, nil,
		map[string]string{"startIndex": "10"}, listFields(3, 10, 0, 0)...))
	// Edge cases: a sound server may stumble on these, so they have their
	// own profile and do not sink the core verdict (nor the exit status).
	for _, c := range []Check{
		// The subject is the page: all three, from the first. startIndex
		// and itemsPerPage of this complete list are not REQUIRED
		// (RFC 7644 §3.4.2), so a wrong one sent is a SHOULD of its own.
		listCheck("paging/edge-start-index-0", "startIndex=0 is read as 1", paging+` ("a value less than 1 SHALL be interpreted as 1")`, nil,
			map[string]string{"startIndex": "0"}, listFields(3, 1, 3, 3)...),
		listCheck("paging/edge-count-0", "count=0 returns totalResults and no resources", paging, nil,
			map[string]string{"count": "0"}, listFields(3, 1, 0, 0)...),
		listCheck("paging/edge-count-negative", "a negative count is read as 0", paging+` ("a negative value SHALL be interpreted as 0")`, nil,
			map[string]string{"count": "-1"}, listFields(3, 1, 0, 0)...),
	} {
		c.Profile = RFCEdge
		add(c)
	}
	return cs
}

// clauseSortedPage: RFC 7644 §3.4.2.4 does not promise consistent pages
// across requests, so which resources a sorted page holds is a SHOULD.
const clauseSortedPage = "RFC 7644 §3.4.2.3, §3.4.2.4 (a sorted page holds the resources at its startIndex; pagination need not be consistent)"
