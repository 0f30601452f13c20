package checks

import (
	"fmt"
	"net/http"

	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/harness/target"
	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/wire"
)

func search() []Check {
	var cs []Check
	add := func(c Check) { cs = append(cs, c) }
	add(Check{
		ID: "search/post", Name: "POST /Users/.search finds like GET with a filter", Clause: "RFC 7644 §3.4.3", Features: []string{target.Filter},
		Steps: append(people("srch"), step("POST /Users/.search", http.MethodPost, "/Users/.search",
			map[string]any{"schemas": []any{scim.SearchRequestURN}, "filter": `userName eq "` + uname("srch", "bob") + `"`, "attributes": []any{"userName"}},
			status(http.StatusOK).Per(clauseSearch, scenario.May), served(namesAre(false, uname("srch", "bob"))), served(absent("Resources.0.title")))),
	})
	// Root-level search is optional: a query MAY be made at the server
	// root (RFC 7644 §3.4.2, §3.4.3), and a server that does not serve it
	// is not at fault — that is an info, recorded as such. A server that
	// answers it must answer it right.
	add(Check{
		ID: "search/root", Name: "POST /.search, when served, finds across resource types", Clause: "RFC 7644 §3.4.3", Features: []string{target.Filter},
		Steps: append(people("rsrch"), step("POST /.search", http.MethodPost, "/.search",
			map[string]any{"schemas": []any{scim.SearchRequestURN}, "filter": `userName eq "` + uname("rsrch", "carol") + `"`},
			status(http.StatusOK).Per(clauseRootSearch, scenario.May), served(namesAre(false, uname("rsrch", "carol"))))),
	})
	return append(cs, Check{
		ID: "search/groups", Name: "POST /Groups/.search finds a group by displayName", Clause: "RFC 7644 §3.4.3",
		Features: []string{target.Filter, target.Groups},
		Steps: []scenario.Step{
			createGroup("g", "${prefix} gsrch team"),
			// A second group, so that a search ignoring its filter shows.
			createGroup("g2", "${prefix} gsrch other"),
			step("POST /Groups/.search", http.MethodPost, "/Groups/.search",
				map[string]any{"schemas": []any{scim.SearchRequestURN}, "filter": `displayName eq "${prefix} gsrch team"`},
				status(http.StatusOK).Per(clauseSearch, scenario.May), served(mediaType()), served(scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
					_, rs, err := resources(ex)
					if err != nil {
						return err
					}
					if len(rs) != 1 || fmt.Sprint(rs[0]["id"]) != fmt.Sprint(vars["g"]) {
						return fmt.Errorf("expected exactly the group %v, got %d resources; body: %s", vars["g"], len(rs), judge.Excerpt(ex.Response.Body))
					}
					return nil
				}))),
		},
	})
}

const clauseRootSearch = "RFC 7644 §3.4.2, §3.4.3 (a query at the server root: MAY)"

// clauseSearch grades whether /.search is served at all: RFC 7644 §3.4.3
// lets clients search with POST (MAY) and obliges no server to serve it;
// a 501 is the answer of §3.12 for an operation not supported. A server
// that does serve it must answer it right (served). The peer corpus
// (ci/peer) showed the MUST grading failing a sound server.
const clauseSearch = "RFC 7644 §3.4.3 (POST /.search: clients MAY; a server need not serve it)"

// served judges e only on a 200 answer: the status is judged apart, at its
// own level.
func served(e scenario.Expectation) scenario.Expectation {
	check := e.Check
	e.Check = func(ex *wire.Exchange, vars scenario.Vars) error {
		if ex.Status() != http.StatusOK {
			return nil
		}
		return check(ex, vars)
	}
	return e
}
