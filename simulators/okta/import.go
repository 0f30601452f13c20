package okta

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/wire"
)

// Vars the import pages share: the next startIndex, the ids seen (id → the
// page it was on) and the page on which the import finished.
const (
	varImportNext = "import_next"
	varImportSeen = "import_seen"
	varImportDone = "import_done"
)

// importUsers: Okta's import reads every user, page by page.
func importUsers(o Options, g *gen) scenario.Scenario {
	users := make([]user, o.Users)
	var steps []scenario.Step
	for i := range users {
		users[i] = g.user("imp", i+1)
		steps = append(steps, createStep(users[i], users[i].label()+": create"))
	}
	for k := 1; k <= o.ImportMaxPages; k++ {
		steps = append(steps, importPage(o, k, users))
	}
	steps = append(steps, scenario.Step{
		Name:       "import: groups, page 1",
		Behaviour:  fmt.Sprintf("GET /Groups?startIndex=1&count=%d: Okta imports groups as it imports users", o.ImportPageSize),
		Source:     srcImport,
		SourceURL:  refURL,
		Confidence: scenario.Doc,
		Clause:     "RFC 7644 §3.4.2.4",
		Request:    scenario.RequestTemplate{Method: http.MethodGet, Path: fmt.Sprintf("/Groups?startIndex=1&count=%d", o.ImportPageSize)},
		Expect: []scenario.Expectation{
			scenario.StatusIn(200),
			scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
				if ex.Status() != 200 {
					return nil
				}
				l, err := voice.ReadList(ex)
				switch {
				case err != nil:
					return err
				case !l.HasStart || l.Start != 1:
					return fmt.Errorf("the group page's startIndex is %s, not the 1 asked for (RFC 7644 §3.4.2)", judge.Render(l.Start))
				}
				return nil
			}),
		},
	})
	return scenario.Scenario{
		Name: "Okta: import users",
		IdP:  IdP,
		Description: fmt.Sprintf("Okta imports users with GET /Users?startIndex=1&count=%d and the following pages until all are read (at most %d pages here); paging fields must be integers and the order stable.",
			o.ImportPageSize, o.ImportMaxPages),
		Steps: steps,
	}
}

func importPage(o Options, k int, users []user) scenario.Step {
	when := ""
	if k > 1 {
		when = varImportNext // set by every page read, the last included
	}
	return scenario.Step{
		Name:      fmt.Sprintf("import: page %d", k),
		When:      when,
		Behaviour: fmt.Sprintf("GET /Users?startIndex=N&count=%d; after each page \"the startIndex becomes startIndex+%d\" — the count asked for, not the number returned", o.ImportPageSize, o.ImportPageSize),
		Source:    srcImport + "; " + srcSpec,
		SourceURL: refURL,
		Clause:    "RFC 7644 §3.4.2.4",
		Build: func(vars scenario.Vars) (client.Request, error) {
			if k == 1 {
				return client.Request{Method: http.MethodGet, Path: fmt.Sprintf("/Users?startIndex=1&count=%d", o.ImportPageSize)}, nil
			}
			if done, ok := vars[varImportDone].(int); ok {
				return client.Request{}, scenario.Skipf("the import finished on page %d", done)
			}
			n, ok := vars[varImportNext].(int)
			switch {
			case ok:
				return client.Request{Method: http.MethodGet, Path: fmt.Sprintf("/Users?startIndex=%d&count=%d", n, o.ImportPageSize)}, nil
			case k == 2:
				// Only a dry run gets here (When guards real runs).
				return client.Request{Method: http.MethodGet, Path: fmt.Sprintf("/Users?startIndex=${%s}&count=%d", varImportNext, o.ImportPageSize)}, nil
			}
			return client.Request{}, scenario.Skipf("dry run: later pages follow page 2's shape until every user is read")
		},
		Expect: []scenario.Expectation{scenario.StatusIn(200)},
		Check: func(ex *wire.Exchange, vars scenario.Vars) error {
			return judgePage(ex, vars, k, o, users)
		},
	}
}

// judgePage checks one import page and records what it saw for the next.
func judgePage(ex *wire.Exchange, vars scenario.Vars, k int, o Options, users []user) error {
	if ex.Status() != 200 {
		return nil // the status expectation says so; later pages skip
	}
	start, count := judge.Requested(ex)
	p, err := voice.ReadList(ex)
	if err != nil {
		return err
	}
	var problems []string
	switch {
	case !p.HasStart:
		problems = append(problems, "the page has no startIndex (RFC 7644 §3.4.2: REQUIRED when paging)")
	case p.Start != int64(start):
		problems = append(problems, fmt.Sprintf("startIndex is %d, but %d was asked for", p.Start, start))
	}
	switch {
	case !p.HasPerPage:
		problems = append(problems, "the page has no itemsPerPage (RFC 7644 §3.4.2: REQUIRED when paging)")
	case p.PerPage > int64(count):
		problems = append(problems, fmt.Sprintf("itemsPerPage is %d, more than the count %d asked for (RFC 7644 §3.4.2.4)", p.PerPage, count))
	case p.PerPage != int64(len(p.Resources)):
		problems = append(problems, fmt.Sprintf("itemsPerPage is %d, but the page holds %d resources", p.PerPage, len(p.Resources)))
	}
	if len(p.Resources) > count {
		problems = append(problems, fmt.Sprintf("the page holds %d resources, more than the count %d asked for (RFC 7644 §3.4.2.4)", len(p.Resources), count))
	}
	seen, _ := vars[varImportSeen].(map[string]int)
	if seen == nil {
		seen = map[string]int{}
	}
	for _, r := range p.Resources {
		id, _ := r["id"].(string)
		switch first, dup := seen[id]; {
		case id == "":
			problems = append(problems, fmt.Sprintf("a resource has no id: %s", judge.Render(r)))
		case dup:
			problems = append(problems, fmt.Sprintf("user %s (%v) was on page %d and again on page %d: the order is not stable, so Okta imports some users twice and misses others", id, r["userName"], first, k))
		default:
			seen[id] = k
		}
	}
	vars[varImportSeen] = seen
	// Okta's next page starts at startIndex+count, whatever the page held
	// (doc): a server that caps count below what was asked makes the real
	// Okta skip the users between.
	next := start + count
	done := len(p.Resources) == 0 || int64(next) > p.Total
	if n := len(p.Resources); n > 0 && n < count && int64(start-1+n) < p.Total {
		problems = append(problems, fmt.Sprintf("the page holds %d resources for count=%d although %d remain: the server caps count, and Okta's next page starts at startIndex+%d (the count asked for, Okta SCIM 2.0 reference), so the real Okta skips resources %d to %d", n, count, p.Total-int64(start-1), count, start+n, start+count-1))
	}
	if len(p.Resources) == 0 && int64(start) <= p.Total {
		problems = append(problems, fmt.Sprintf("the page at startIndex %d is empty although totalResults is %d: Okta's import stops early", start, p.Total))
	}
	vars[varImportNext] = next
	if done {
		vars[varImportDone] = k
		var missing []string
		for _, u := range users {
			id, _ := vars[u.idVar()].(string)
			if _, ok := seen[id]; id != "" && !ok {
				missing = append(missing, judge.Expand(u.userName(), vars)+" ("+id+")")
			}
		}
		if len(missing) > 0 {
			problems = append(problems, fmt.Sprintf("the import ended after %d resources on %d page(s) without the run's users %s: paging lost them", len(seen), k, strings.Join(missing, ", ")))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("import page %d (startIndex %d, count %d): %s", k, start, count, strings.Join(problems, "; "))
	}
	if !done && k == o.ImportMaxPages {
		return scenario.Skipf("stopped at the bound of %d pages with %d of %d resources read; whether every user of the run is listed was not checked (raise ImportMaxPages)", k, len(seen), p.Total)
	}
	return nil
}
