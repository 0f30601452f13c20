package checks

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/wire"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
)

// people creates the three users the filter, sort and paging checks
// search: alice, bob and carol under tag, each with distinct attributes.
func people(tag string) []scenario.Step {
	email := func(who, typ string) []any {
		return []any{map[string]any{"value": "${prefix}-" + tag + "-" + who + "@example.com", "type": typ}}
	}
	return []scenario.Step{
		createUser("alice", userBody(tag, "alice", map[string]any{"title": "Engineer", "active": true, "externalId": "${prefix}-" + tag + "-EXT-A", "emails": email("alice", "work"), "name": map[string]any{"familyName": "Zeta"}})),
		createUser("bob", userBody(tag, "bob", map[string]any{"title": "Manager", "active": false, "externalId": "${prefix}-" + tag + "-EXT-B", "emails": email("bob", "home"), "name": map[string]any{"familyName": "Young"}})),
		createUser("carol", userBody(tag, "carol", map[string]any{"active": true, "externalId": "${prefix}-" + tag + "-EXT-C", "emails": email("carol", "work"), "name": map[string]any{"familyName": "Xu"}})),
	}
}

// filterCheck judges filter f by the check's own users (userName
// "${prefix}-<tag>-…"): exactly the users who (by short name) must match.
// Other resources on the server that match f are not the check's
// business.
//
// It first sends f scoped to those users, `userName sw "${prefix}-<tag>-"
// and (f)`: the answer then holds three users at most, however many the
// server holds, so neither the server's work nor the page grows with its
// population, and the verdict does not depend on where the check's users
// fall in a long list (unscoped, at 100,000 users, ten of these checks
// could only skip: their users were beyond the first page). When that
// answer is exactly right, f was evaluated right on every user it judges,
// and the check passes. Any other answer (a 400, a wrong set, a short
// page) decides nothing: a server may fail the scoped form for its `and`
// or `sw`, which filter/scoped-compound and filter/and judge. Then f is
// sent alone — the smallest request that tests it — and that answer is
// the verdict, as it was before the scoped form came first.
func filterCheck(id, name, clause, f string, who ...string) Check {
	tag := "f" + id[len("filter/"):]
	var want []string
	for _, w := range who {
		want = append(want, uname(tag, w))
	}
	own := ownNames(uname(tag, ""), want...)
	alone := get("GET /Users?filter="+f, listPath("/Users", map[string]string{"filter": f}), status(http.StatusOK), mediaType(), own)
	scoped := get("GET /Users?filter=userName sw … and ("+f+")", listPath("/Users", map[string]string{"filter": `userName sw "` + uname(tag, "") + `" and (` + f + `)`}), status(http.StatusOK), mediaType(), own)
	alone.First = &scoped
	return Check{
		ID: id, Name: name, Clause: clause, Features: []string{target.Filter},
		Steps: append(people(tag), alone),
	}
}

// ownNames expects the users of a ListResponse whose userName starts with
// own (${vars} expanded) to be exactly want, in any order. When a wanted
// user is missing from a partial page (totalResults beyond the page), the
// step is skipped: the user may be on a later page, and nothing can be
// judged from this one.
func ownNames(own string, want ...string) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
		doc, rs, err := resources(ex)
		if err != nil {
			return err
		}
		own := judge.Expand(own, vars)
		var got, exp []string
		for _, r := range rs {
			if n := fmt.Sprint(r["userName"]); strings.HasPrefix(n, own) {
				got = append(got, n)
			}
		}
		for _, w := range want {
			exp = append(exp, judge.Expand(w, vars))
		}
		slices.Sort(got)
		slices.Sort(exp)
		if slices.Equal(got, exp) {
			return nil
		}
		total, _ := number(doc["totalResults"])
		for _, e := range exp {
			if !slices.Contains(got, e) && total > len(rs) {
				return scenario.Skipf("the filter matches %d resources on this server and the answer holds %d: %s may be on a later page", total, len(rs), e)
			}
		}
		return fmt.Errorf("of the check's users (%s…), expected %s, got %s", own, show(exp), show(got))
	})
}

func filters() []Check {
	const c = "RFC 7644 §3.4.2.2"
	cs := []Check{
		filterCheck("filter/eq", "eq finds exactly the user", c, `title eq "Engineer"`, "alice"),
		// On an attribute every user has: what ne makes of an unassigned one
		// is not fixed by RFC 7644 §3.4.2.2 (the peer corpus showed it).
		filterCheck("filter/ne", "ne", c, `name.familyName ne "Young"`, "alice", "carol"),
		filterCheck("filter/co", "co", c, `title co "nag"`, "bob"),
		filterCheck("filter/sw", "sw", c, `name.familyName sw "Y"`, "bob"),
		filterCheck("filter/ew", "ew", c, `userName ew "-carol"`, "carol"),
		filterCheck("filter/pr", "pr", c, `title pr`, "alice", "bob"),
		filterCheck("filter/gt", "gt on strings", c, `name.familyName gt "Xu"`, "alice", "bob"),
		filterCheck("filter/ge", "ge on strings", c, `name.familyName ge "Young"`, "alice", "bob"),
		filterCheck("filter/lt", "lt on strings", c, `name.familyName lt "Young"`, "carol"),
		filterCheck("filter/le", "le on strings", c, `name.familyName le "Young"`, "bob", "carol"),
		filterCheck("filter/boolean", "eq on a boolean", c, `active eq false`, "bob"),
		filterCheck("filter/and", "and", c, `active eq true and title pr`, "alice"),
		filterCheck("filter/or", "or", c, `title eq "Manager" or name.familyName eq "Xu"`, "bob", "carol"),
		filterCheck("filter/not", "not", c, `not (title eq "Engineer")`, "bob", "carol"),
		filterCheck("filter/precedence", "and binds tighter than or", c, `title eq "Manager" or active eq true and name.familyName eq "Xu"`, "bob", "carol"),
		filterCheck("filter/grouping", "parentheses override precedence", c, `(title eq "Manager" or active eq true) and name.familyName eq "Xu"`, "carol"),
		filterCheck("filter/value-path", `value path emails[type eq "work" and value co "alice"]`, c, `emails[type eq "work" and value co "alice"]`, "alice"),
		filterCheck("filter/sub-attribute", "emails.type eq (any value matches)", c, `emails.type eq "home"`, "bob"),
		filterCheck("filter/attribute-case", "attribute names are case-insensitive", "RFC 7644 §3.4.2.2; RFC 7643 §2.1", `TITLE eq "Engineer" or NAME.FAMILYNAME eq "Xu"`, "alice", "carol"),
		filterCheck("filter/operator-case", "operators are case-insensitive", c, `title EQ "Manager" OR title Eq "Engineer"`, "alice", "bob"),
		// The prefix-scoped compound form the other checks used to wrap
		// every filter in: a subject of its own, so that a server failing
		// it fails here, and only here.
		{
			ID: "filter/scoped-compound", Name: `a prefix-scoped compound filter: userName sw "…" and ( … or … )`, Clause: c, Features: []string{target.Filter},
			Steps: append(people("fscoped"), get("GET /Users?filter=userName sw … and (…)", listPath("/Users", map[string]string{"filter": `userName sw "${prefix}-fscoped-" and (title eq "Manager" or name.familyName eq "Xu")`}),
				status(http.StatusOK), mediaType(), namesAre(false, uname("fscoped", "bob"), uname("fscoped", "carol")))),
		},
		filterCheck("filter/case-exact", "values of caseExact=true attributes compare with case (externalId)", "RFC 7643 §2.2, §3.1", `externalId eq "${prefix}-fcase-exact-ext-a" or externalId eq "${prefix}-fcase-exact-EXT-C"`, "carol"),
		{
			// Alone, not scoped by an "and": IdPs look users up with exactly
			// this one comparison, and servers special-case it.
			ID: "filter/value-case-insensitive", Name: "userName eq compares without case (caseExact false)", Clause: "RFC 7643 §2.2, §4.1.1", Features: []string{target.Filter},
			Steps: append(people("fvci"), scenario.Step{
				Name: "GET /Users?filter=userName eq <upper-cased>",
				Build: func(v scenario.Vars) (client.Request, error) {
					f := `userName eq "` + strings.ToUpper(judge.Expand(uname("fvci", "bob"), v)) + `"`
					return client.Request{Method: http.MethodGet, Path: "/Users", Query: url.Values{"filter": {f}}}, nil
				},
				Expect: []scenario.Expectation{status(http.StatusOK), namesAre(false, uname("fvci", "bob"))},
			}),
		},
		{
			ID: "filter/no-match", Name: "a filter matching nobody answers 200 with totalResults 0", Clause: "RFC 7644 §3.4.2", Features: []string{target.Filter},
			Steps: []scenario.Step{get("filter for nobody", listPath("/Users", map[string]string{"filter": `userName eq "${prefix}-nobody"`}), append([]scenario.Expectation{status(http.StatusOK), namesAre(false)}, listFields(0, 1, -1, 0)...)...)},
		},
		{
			ID: "filter/invalid", Name: "an unparsable filter is refused with 400 invalidFilter", Clause: "RFC 7644 §3.4.2.2, §3.12", Features: []string{target.Filter},
			Steps: []scenario.Step{get("GET with a broken filter", listPath("/Users", map[string]string{"filter": `userName eq`}), scimError(http.StatusBadRequest, "invalidFilter")...)},
		},
		{
			ID: "filter/groups-displayname", Name: "GET /Groups?filter=displayName eq finds the group", Clause: "RFC 7644 §3.4.2.2", Features: []string{target.Filter, target.Groups},
			Steps: []scenario.Step{
				createGroup("g", "${prefix} fgroup Team"),
				get("filter groups", listPath("/Groups", map[string]string{"filter": `displayName eq "${prefix} fgroup Team"`}), append([]scenario.Expectation{status(http.StatusOK), listHas("id", "${g}")}, listFields(1, 1, -1, 1)...)...),
			},
		},
	}
	return cs
}
