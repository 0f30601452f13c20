package checks

import (
	"net/http"
	"strings"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/scim"
)

// scopedList is a list of the three people of tag, with more query
// parameters.
func scopedList(path, tag string, q map[string]string) string {
	all := map[string]string{"filter": `userName sw "${prefix}-` + tag + `-"`}
	for k, v := range q {
		all[k] = v
	}
	return listPath(path, all)
}

func listCheck(id, name, clause string, features []string, q map[string]string, expect ...scenario.Expectation) Check {
	tag := tagOf(id)
	return Check{
		ID: id, Name: name, Clause: clause, Features: append([]string{target.Filter}, features...),
		Steps: append(people(tag), get("list", scopedList("/Users", tag, q), append([]scenario.Expectation{status(http.StatusOK)}, expect...)...)),
	}
}

func names(tag string, who ...string) []string {
	var out []string
	for _, w := range who {
		out = append(out, uname(tag, w))
	}
	return out
}

// tagOf is the user-name tag of a list check.
func tagOf(id string) string { return "q" + strings.ReplaceAll(id, "/", "-") }

func query() []Check {
	const paging = "RFC 7644 §3.4.2.4"
	var cs []Check
	add := func(c Check) { cs = append(cs, c) }

	id := "sort/ascending"
	add(listCheck(id, "sortBy=userName sorts ascending by default", "RFC 7644 §3.4.2.3", []string{target.Sort},
		map[string]string{"sortBy": "userName"}, namesAre(true, names(tagOf(id), "alice", "bob", "carol")...)))
	id = "sort/descending"
	add(listCheck(id, "sortOrder=descending", "RFC 7644 §3.4.2.3", []string{target.Sort},
		map[string]string{"sortBy": "userName", "sortOrder": "descending"}, namesAre(true, names(tagOf(id), "carol", "bob", "alice")...)))
	id = "sort/sub-attribute"
	add(listCheck(id, "sortBy=name.familyName", "RFC 7644 §3.4.2.3", []string{target.Sort},
		map[string]string{"sortBy": "name.familyName"}, namesAre(true, names(tagOf(id), "carol", "bob", "alice")...)))

	add(listCheck("paging/count", "count limits the page; totalResults counts all", paging, nil,
		map[string]string{"count": "2"}, listFields(3, 1, 2, 2)))
	add(listCheck("paging/start-index", "startIndex=3 returns the third and last", paging, []string{target.Sort},
		map[string]string{"startIndex": "3", "count": "2", "sortBy": "userName"}, listFields(3, 3, 1, 1), pageNames(names(tagOf("paging/start-index"), "carol")...).At(scenario.Should)))
	add(listCheck("paging/beyond-end", "startIndex past the end gives an empty page", paging, nil,
		map[string]string{"startIndex": "10"}, listFields(3, 10, 0, 0)))
	// Edge cases: a sound server may stumble on these, so they have their
	// own profile and do not sink the core verdict.
	for _, c := range []Check{
		listCheck("paging/edge-start-index-0", "startIndex=0 is read as 1", paging+` ("a value less than 1 SHALL be interpreted as 1")`, nil,
			map[string]string{"startIndex": "0"}, listFields(3, 1, 3, 3)),
		listCheck("paging/edge-count-0", "count=0 returns totalResults and no resources", paging, nil,
			map[string]string{"count": "0"}, listFields(3, 1, 0, 0)),
		listCheck("paging/edge-count-negative", "a negative count is read as 0", paging+` ("a negative value SHALL be interpreted as 0")`, nil,
			map[string]string{"count": "-1"}, listFields(3, 1, 0, 0)),
	} {
		c.Profile = RFCEdge
		add(c)
	}

	const attrs = "RFC 7644 §3.4.2.5, §3.9"
	add(Check{
		ID: "attributes/attributes", Name: "attributes=userName returns userName, id and schemas only", Clause: attrs,
		Steps: []scenario.Step{
			createUser("u", userBody("attr", "ann", map[string]any{"title": "Engineer", "displayName": "Ann"})),
			get("GET ?attributes=userName", "/Users/${u}?attributes=userName", status(http.StatusOK), bodyIs("userName", uname("attr", "ann")), bodyIs("id", "${u}"), present("schemas"), absent("title"), absent("displayName")),
		},
	})
	add(Check{
		ID: "attributes/excluded", Name: "excludedAttributes=title leaves title out and the rest in", Clause: attrs,
		Steps: []scenario.Step{
			createUser("u", userBody("xattr", "ann", map[string]any{"title": "Engineer", "displayName": "Ann"})),
			get("GET ?excludedAttributes=title", "/Users/${u}?excludedAttributes=title", status(http.StatusOK), absent("title"), bodyIs("displayName", "Ann"), bodyIs("id", "${u}")),
		},
	})
	add(listCheck("attributes/list", "attributes apply to every resource of a list", attrs, nil,
		map[string]string{"attributes": "userName"}, absent("Resources.0.title"), present("Resources.0.userName"), present("Resources.0.id")))

	add(Check{
		ID: "search/post", Name: "POST /Users/.search finds like GET with a filter", Clause: "RFC 7644 §3.4.3", Features: []string{target.Filter},
		Steps: append(people("srch"), step("POST /Users/.search", http.MethodPost, "/Users/.search",
			map[string]any{"schemas": []any{scim.SearchRequestURN}, "filter": `userName eq "` + uname("srch", "bob") + `"`, "attributes": []any{"userName"}},
			status(http.StatusOK), namesAre(false, uname("srch", "bob")), absent("Resources.0.title"))),
	})
	add(Check{
		ID: "search/root", Name: "POST /.search searches every resource type", Clause: "RFC 7644 §3.4.3", Features: []string{target.Filter}, Level: scenario.May,
		Steps: append(people("rsrch"), step("POST /.search", http.MethodPost, "/.search",
			map[string]any{"schemas": []any{scim.SearchRequestURN}, "filter": `userName eq "` + uname("rsrch", "carol") + `"`},
			status(http.StatusOK), namesAre(false, uname("rsrch", "carol")))),
	})
	return cs
}
