// The "legacy and validator shapes" scenario: documented Entra shapes that
// are not part of a provisioning cycle built from the mapping — the legacy
// unquoted filter value, the emails[type eq "other"].Value path with a
// capital V, and the paging of account discovery and Microsoft's SCIM
// validator.

package entra

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/wire"
)

// LegacyScenario is the name of the scenario with the legacy and validator
// shapes.
const LegacyScenario = "entra: legacy and validator shapes"

// modeVar is the var Run sets to the run's scenario.Mode, so that a check
// can grade a deviation by mode beyond what StrictOnly expresses (the
// legacy unquoted filter: a 400 is RFC-correct, so informational in strict
// mode, and a warning in compat mode, which judges what Entra needs).
// Scenarios run without Run are judged as in strict mode.
const modeVar = "entra:mode"

func compatMode(v scenario.Vars) bool {
	m, _ := v[modeVar].(scenario.Mode)
	return m == scenario.Compat
}

// Paging as Entra's account discovery and validator do it (catalog
// "Paging"): count=5, startIndex following what was read.
const (
	pageSize = 5
	// pagerUsers is how many users the scenario creates and pages over:
	// more than one page, so that a second page exists to ask for.
	pagerUsers = pageSize + 1
	// otherEmailPath is the other email's path as Entra writes it, with a
	// capital V (catalog "Path forms seen").
	otherEmailPath = `emails[type eq "other"].Value`
)

// Vars of the scenario: the legacy user's id, the pager users' ids, the
// ids seen while paging (id → page) and the next startIndex.
const (
	varLegacy = "lg"
	varSeen   = "pg_seen"
	varNext   = "pg_next"
)

func pagerVar(i int) string { return fmt.Sprintf("pg%d", i) }

// legacyUserName is the userName of the scenario's users: it starts with
// the run prefix (team users' userNames carry it after the @), so that
// `userName sw "<prefix>."` finds exactly this scenario's users.
func legacyUserName(p *person, v scenario.Vars) string {
	return prefixOf(v) + "." + p.local + "@contoso.example"
}

// legacyExternalID is a bare word, as in Entra's legacy example
// "externalId eq jyoung": no space, quote, bracket or parenthesis.
func legacyExternalID(v scenario.Vars) string { return "jyoung-" + prefixOf(v) }

func otherEmail(p *person, v scenario.Vars, changed bool) string {
	s := "other"
	if changed {
		s = "other2"
	}
	return strings.ToLower(p.local) + "." + s + "@" + prefixOf(v) + ".fabrikam.example"
}

func (g *gen) legacyBody(p *person, v scenario.Vars, externalID string) map[string]any {
	body := g.userBody(p, v)
	body["userName"] = legacyUserName(p, v)
	body["externalId"] = externalID
	body["emails"] = []any{
		map[string]any{"primary": true, "type": "work", "value": g.vals(p, v, false)["mail"]},
		map[string]any{"primary": false, "type": "other", "value": otherEmail(p, v, false)},
	}
	return body
}

func (g *gen) legacyShapes() scenario.Scenario {
	sc, b := g.newScenario(LegacyScenario, "Documented Entra shapes outside the mapped cycle: the legacy unquoted filter value, the emails[type eq \"other\"].Value path, and paging with startIndex=N&count=5 as account discovery and Microsoft's validator do.")
	jo := g.extraPerson(3, "Jo", "Young")
	b.add(scenario.Step{
		Name:      "create " + jo.name() + " with externalId " + "jyoung-<prefix>" + " and an other email",
		Behaviour: "Entra's POST /Users (SCIM tutorial body), here with an externalId that is a bare word, as in Entra's legacy filter example, and a second email of type other.",
		Source:    "Microsoft Learn: SCIM tutorial",
		Clause:    "RFC 7644 §3.3",
		Build: func(v scenario.Vars) (client.Request, error) {
			return client.Request{Method: http.MethodPost, Path: "/Users", Body: g.legacyBody(jo, v, legacyExternalID(v))}, nil
		},
		Capture: map[string]string{varLegacy: "id"},
		Expect:  []scenario.Expectation{wantStatus("Entra expects 201 Created (SCIM tutorial)", http.StatusCreated)},
	})
	g.unquotedLookup(b)
	g.capitalValue(b, jo)
	g.nullUpdates(b)
	g.paging(b)
	return *sc
}

// nullUpdates are the validator's SCIM_Null_Update_Test: PATCH an
// attribute with "", then with null (REF, SCIM-Validation-Test-Overview.md
// of the Logic App validation template). Both clear it: null is unassigned
// (RFC 7643 §2.5), and "" reads back as "" or not at all.
func (g *gen) nullUpdates(b *builder) {
	for _, tc := range []struct {
		name  string
		value any
	}{{`""`, ""}, {"null", nil}} {
		b.add(scenario.Step{
			Name:      "validator: replace title with " + tc.name,
			Behaviour: fmt.Sprintf(`Microsoft's validator (SCIM_Null_Update_Test) PATCHes an attribute with "", then null: {"op":"Replace","path":"title","value":%s}; the server must accept it and clear the attribute.`, tc.name),
			Source:    "SCIMReferenceCode: SCIM-Validation-Test-Overview.md (Logic App validation template), SCIM_Null_Update_Test",
			Clause:    "RFC 7644 §3.5.2.3; RFC 7643 §2.5 (null is unassigned)",
			Level:     scenario.Should,
			When:      varLegacy,
			Build: byID("/Users", varLegacy, func(path string, _ scenario.Vars) client.Request {
				return patch(path, map[string]any{"op": g.r.op("replace"), "path": "title", "value": tc.value})
			}),
			Expect: []scenario.Expectation{g.patchStatus([]string{"replace"}, false)},
		})
	}
	b.add(scenario.Step{
		Name:      "validator: read back the cleared title",
		Behaviour: "Harness read-back: after the null update the title is unassigned — absent, or null.",
		Source:    "SCIMReferenceCode: SCIM_Null_Update_Test",
		Clause:    "RFC 7643 §2.5",
		Level:     scenario.Should,
		When:      varLegacy,
		Build:     getByID("/Users", varLegacy, nil),
		Expect: []scenario.Expectation{
			wantStatus("the user must be readable by its id (RFC 7644 §3.4.1)", 200),
			onDoc(func(doc map[string]any, _ scenario.Vars) error {
				if t, ok := field(doc, "title"); ok && t != nil && t != "" {
					return fmt.Errorf("title reads back %s after Entra's validator replaced it with \"\" and then null: it must be unassigned (RFC 7643 §2.5)", judge.Render(t))
				}
				return nil
			}),
		},
	})
}

// unquotedLookup: `GET /Users?filter=externalId eq jyoung-<prefix>`.
func (g *gen) unquotedLookup(b *builder) {
	filter := func(v scenario.Vars) string { return "externalId eq " + legacyExternalID(v) }
	b.add(scenario.Step{
		Name:      "look up by externalId with an unquoted value (legacy filter)",
		Behaviour: "A legacy Entra example filters `externalId eq jyoung` without quotes. A server that reads the bare word as a string finds the user; one that follows the RFC grammar strictly may refuse it with 400 invalidFilter — correct, but Entra's legacy lookup then fails.",
		Source:    "Microsoft Learn: SCIM tutorial (its legacy example filters externalId eq jyoung, unquoted)",
		Clause:    "RFC 7644 §3.4.2.2 (compValue is a JSON value), §3.12 (invalidFilter)",
		Level:     scenario.Should,
		When:      varLegacy,
		Build:     search("/Users", filter),
		Expect: []scenario.Expectation{
			scenario.Func(func(ex *wire.Exchange, v scenario.Vars) error {
				f := filter(v)
				switch s := ex.Status(); {
				case s == http.StatusOK:
					l, err := voice.ReadListResponse(ex)
					rs, total := l.Resources, l.Total
					if err != nil {
						return err
					}
					want := fmt.Sprint(v[varLegacy])
					if total == 1 && len(rs) == 1 && fmt.Sprint(rs[0]["id"]) == want {
						return nil
					}
					var got []string
					for _, r := range rs {
						got = append(got, fmt.Sprint(r["id"]))
					}
					return fmt.Errorf("the server accepted Entra's unquoted filter %s but answered totalResults %d, ids %v instead of exactly the user with externalId %s (id %s): it misread the bare word; if it cannot read it as a string it must refuse it with 400 invalidFilter, not match the wrong accounts — Entra would update the wrong user or create a duplicate (How provisioning works)",
						f, total, got, legacyExternalID(v), want)
				case s == http.StatusBadRequest:
					return nil // judged by the next two expectations
				default:
					return fmt.Errorf("expected 200 (the unquoted value read as a string) or 400 invalidFilter for Entra's legacy filter %s, got %d (RFC 7644 §3.4.2.2, §3.12)", f, s)
				}
			}).At(scenario.Must),
			scenario.Func(func(ex *wire.Exchange, v scenario.Vars) error {
				if ex.Status() != http.StatusBadRequest {
					return nil
				}
				doc, err := scenario.ResponseJSON(ex)
				if err != nil {
					return nil // errorBody says so
				}
				if st, _ := doc["scimType"].(string); !strings.EqualFold(st, "invalidFilter") {
					return fmt.Errorf("the 400 to the unquoted filter %s carries scimType %s; a filter the server cannot parse is refused with scimType \"invalidFilter\" (RFC 7644 §3.12)", filter(v), judge.Render(doc["scimType"]))
				}
				return nil
			}),
			// The refusal itself: RFC-correct, so informational in strict
			// mode; in compat mode, which judges what Entra needs, a warning.
			scenario.Func(func(ex *wire.Exchange, v scenario.Vars) error {
				if ex.Status() != http.StatusBadRequest || compatMode(v) {
					return nil
				}
				return fmt.Errorf("the server refused the unquoted value in %s with 400: correct under RFC 7644 §3.4.2.2, but Entra's legacy lookup (SCIM tutorial's legacy filter example) would fail against it", filter(v))
			}).At(scenario.May),
			scenario.Func(func(ex *wire.Exchange, v scenario.Vars) error {
				if ex.Status() != http.StatusBadRequest || !compatMode(v) {
					return nil
				}
				return fmt.Errorf("the server refused Entra's legacy unquoted filter %s with 400: Entra's documentation filters `externalId eq jyoung` without quotes, and a lenient server reads the bare word as a string (RFC 7644 §3.4.2.2 allows the refusal, so strict mode only notes it)", filter(v))
			}).At(scenario.Should),
		},
	})
}

// capitalValue: PATCH Replace emails[type eq "other"].Value, then read back.
func (g *gen) capitalValue(b *builder, p *person) {
	b.add(scenario.Step{
		Name:      `replace the other email with path emails[type eq "other"].Value (capital V)`,
		Behaviour: `Entra's documented path forms include emails[type eq "other"].Value with a capital V; attribute names are case-insensitive, so it is the same sub-attribute as value.`,
		Source:    "Microsoft Learn: SCIM tutorial (the path forms of its examples)",
		Clause:    "RFC 7643 §2.1 (attribute names are case-insensitive); RFC 7644 §3.5.2.3",
		When:      varLegacy,
		Build: byID("/Users", varLegacy, func(path string, v scenario.Vars) client.Request {
			return patch(path, op(g.r.op("Replace"), otherEmailPath, otherEmail(p, v, true)))
		}),
		Expect: []scenario.Expectation{
			scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
				switch s := ex.Status(); {
				case s == http.StatusOK || s == http.StatusNoContent:
					return nil
				case s == http.StatusBadRequest:
					return fmt.Errorf("the server refused the path %s with 400: it matches attribute names case-sensitively (the capital V of .Value), but they are case-insensitive (RFC 7643 §2.1) and Entra sends this path (the path forms of SCIM tutorial's examples) — every such update fails", otherEmailPath)
				default:
					return fmt.Errorf("expected 200 or 204 to a PATCH with path %s, got %d (RFC 7644 §3.5.2.3; SCIM tutorial)", otherEmailPath, s)
				}
			}),
			onDoc(func(doc map[string]any, v scenario.Vars) error { return otherReadBack(doc, p, v) }),
		},
	})
	b.add(scenario.Step{
		Name:      "read back the other email written with .Value",
		Behaviour: "Harness read-back: the other email holds the value written through the capital-V path, in its value sub-attribute, and the work email is untouched.",
		Source:    "Microsoft Learn: SCIM tutorial (the path forms of its examples), How provisioning works",
		Clause:    "RFC 7643 §2.1; RFC 7644 §3.4.1",
		When:      varLegacy,
		Build:     getByID("/Users", varLegacy, nil),
		Expect: []scenario.Expectation{
			wantStatus("the user must be readable by its id (RFC 7644 §3.4.1)", 200),
			onDoc(func(doc map[string]any, v scenario.Vars) error { return otherReadBack(doc, p, v) }),
		},
	})
}

func otherReadBack(doc map[string]any, p *person, v scenario.Vars) error {
	want := otherEmail(p, v, true)
	ep, _ := parsePath(`emails[type eq "other"].value`)
	got, found := valueAt(doc, ep)
	if s, _ := got.(string); found && s == want {
		var work []string
		list, _ := field(doc, "emails")
		items, _ := list.([]any)
		for _, e := range items {
			if m, ok := e.(map[string]any); ok {
				if t, _ := field(m, "type"); strings.EqualFold(fmt.Sprint(t), "work") {
					val, _ := field(m, "value")
					work = append(work, fmt.Sprint(val))
				}
			}
		}
		if len(work) != 1 {
			return fmt.Errorf("after the PATCH of %s the user has %d work emails (%v), want the one it had: the update through the other email's path touched the work email", otherEmailPath, len(work), work)
		}
		return nil
	}
	if m, ok := elementOf(doc, "emails", "type", "other"); ok {
		if val, has := m["Value"]; has {
			if _, lower := m["value"]; lower {
				return fmt.Errorf("the server stored %s as a new sub-attribute \"Value\" (%s) beside value: it matched attribute names case-sensitively (the capital V), but they are case-insensitive (RFC 7643 §2.1); the other email still reads %s", otherEmailPath, judge.Render(val), judge.Render(m["value"]))
			}
		}
	}
	if !found {
		return fmt.Errorf(`emails[type eq "other"].value is missing after Entra's PATCH of %s; Entra wrote %q — it will send it again every cycle`, otherEmailPath, want)
	}
	return fmt.Errorf(`emails[type eq "other"].value reads back %s after Entra's PATCH of %s (capital V); Entra wrote %q — the server did not apply the path case-insensitively (RFC 7643 §2.1)`, judge.Render(got), otherEmailPath, want)
}

// elementOf finds the element of a multi-valued attribute whose key
// equals val (case-insensitively).
func elementOf(doc map[string]any, attr, key, val string) (map[string]any, bool) {
	list, _ := field(doc, attr)
	items, _ := list.([]any)
	for _, e := range items {
		if m, ok := e.(map[string]any); ok {
			if k, has := field(m, key); has && strings.EqualFold(fmt.Sprint(k), val) {
				return m, true
			}
		}
	}
	return nil, false
}

// paging creates the pager users and pages over this scenario's users
// with startIndex=N&count=5.
func (g *gen) paging(b *builder) {
	for i := 1; i < pagerUsers; i++ {
		p := g.extraPerson(3+i, "Page", fmt.Sprintf("Reader%d", i))
		b.add(scenario.Step{
			Name:      fmt.Sprintf("create %s (to page over)", p.name()),
			Behaviour: "Entra's POST /Users (SCIM tutorial body): one of the users account discovery and the validator page over.",
			Source:    "Microsoft Learn: SCIM tutorial",
			Clause:    "RFC 7644 §3.3",
			Build: func(v scenario.Vars) (client.Request, error) {
				return client.Request{Method: http.MethodPost, Path: "/Users", Body: g.legacyBody(p, v, guid(g.r.Seed, prefixOf(v), "pager", i))}, nil
			},
			Capture: map[string]string{pagerVar(i): "id"},
			Expect:  []scenario.Expectation{wantStatus("Entra expects 201 Created (SCIM tutorial)", http.StatusCreated)},
		})
	}
	for page := 1; page <= (pagerUsers+pageSize-1)/pageSize; page++ {
		// The first page needs a user to find; the next ones the
		// startIndex the previous page leads to (unset when it ended the
		// list or could not be read).
		when := varLegacy
		if page > 1 {
			when = varNext
		}
		b.add(scenario.Step{
			Name:      fmt.Sprintf("page %d: GET /Users?startIndex=N&count=%d", page, pageSize),
			Behaviour: fmt.Sprintf("Microsoft's SCIM validator pages plain GET /Users?startIndex=N&count=%d, without a filter (Entra's sync sends only eq and and filters), and checks the startIndex returned; normal sync does not page. Every page is judged (startIndex echoed, itemsPerPage at most %d, paging fields integers); of the users, only this scenario's own are followed: none on two pages, and none missing when the list ends.", pageSize, pageSize),
			Source:    "Microsoft's SCIM validator (SCIMReferenceCode: account discovery and the validation suite page with startIndex=N&count=5)",
			Clause:    "RFC 7644 §3.4.2.4",
			When:      when,
			Build: func(v scenario.Vars) (client.Request, error) {
				start := "1"
				if page > 1 {
					// When guards a real run; a dry run prints the var.
					start = "${" + varNext + "}"
					if n, ok := v[varNext]; ok {
						start = fmt.Sprint(n)
					}
				}
				return get(fmt.Sprintf("/Users?startIndex=%s&count=%d", start, pageSize), nil), nil
			},
			Expect: []scenario.Expectation{
				wantStatus(fmt.Sprintf("Entra's account discovery and the validator page with startIndex=N&count=%d (RFC 7644 §3.4.2.4)", pageSize), 200),
				scenario.Func(func(ex *wire.Exchange, v scenario.Vars) error {
					if ex.Status() != 200 {
						return nil
					}
					return judgePage(ex, v, page, g.r.Concurrency == 1)
				}),
			},
		})
	}
}

var pagingVoice = judge.Voice{
	IdP:        "Entra",
	SpecTest:   "Microsoft's SCIM validator",
	CannotPage: "Entra's account discovery and Microsoft's validator cannot page",
}

// judgePage judges one page and records what it held. The pages are not
// filtered (the validator sends none), so other scenarios running at the
// same time change them: only a stable run (one scenario at a time) judges
// users seen twice or missed.
func judgePage(ex *wire.Exchange, v scenario.Vars, page int, stable bool) error {
	start, count := judge.Requested(ex)
	l, err := pagingVoice.ReadList(ex)
	if err != nil {
		return fmt.Errorf("page %d (startIndex %d, count %d): %w", page, start, count, err)
	}
	own := map[string]string{} // id → var, this scenario's users
	for _, name := range append([]string{varLegacy}, pagerNames()...) {
		if id, ok := v[name]; ok {
			own[fmt.Sprint(id)] = name
		}
	}
	seen, _ := v[varSeen].(map[string]int)
	if seen == nil {
		seen = map[string]int{}
		v[varSeen] = seen
	}
	var problems []string
	switch {
	case !l.HasStart:
		problems = append(problems, fmt.Sprintf("the page has no startIndex; Entra's validator checks that it echoes the startIndex=%d asked for (RFC 7644 §3.4.2: REQUIRED when paging)", start))
	case l.Start != int64(start):
		problems = append(problems, fmt.Sprintf("startIndex is %d, but %d was asked for: the server ignored startIndex, and Entra's validator checks the startIndex returned (RFC 7644 §3.4.2.4)", l.Start, start))
	}
	if len(l.Resources) > count {
		problems = append(problems, fmt.Sprintf("the page holds %d resources for count=%d (RFC 7644 §3.4.2.4: count is the most per page)", len(l.Resources), count))
	}
	switch {
	case l.HasPerPage && l.PerPage > int64(count):
		problems = append(problems, fmt.Sprintf("itemsPerPage is %d for count=%d (RFC 7644 §3.4.2.4)", l.PerPage, count))
	case l.HasPerPage && l.PerPage != int64(len(l.Resources)):
		problems = append(problems, fmt.Sprintf("itemsPerPage is %d but the page holds %d resources (RFC 7644 §3.4.2)", l.PerPage, len(l.Resources)))
	case !l.HasPerPage && l.Total > int64(len(l.Resources)):
		problems = append(problems, "the page has no itemsPerPage although the results are partial (RFC 7644 §3.4.2: REQUIRED when paging)")
	}
	var twice []string
	for _, r := range l.Resources {
		id := fmt.Sprint(r["id"])
		if _, ours := own[id]; !ours || !stable {
			continue // only this scenario's users are judged
		}
		if p, dup := seen[id]; dup {
			twice = append(twice, fmt.Sprintf("%s (page %d)", describe(r), p))
			continue
		}
		seen[id] = page
	}
	if len(twice) > 0 {
		problems = append(problems, fmt.Sprintf("%s seen twice while paging: %s came back again on page %d (the server ignored startIndex or its order is unstable; RFC 7644 §3.4.2.4)",
			plural(len(twice), "a user", fmt.Sprintf("%d users", len(twice))), strings.Join(twice, "; "), page))
	}
	if len(l.Resources) > 0 && int64(start-1+len(l.Resources)) < l.Total {
		v[varNext] = start + len(l.Resources)
	} else {
		delete(v, varNext)
		// The list ended here: every user of the scenario must have come.
		if stable && l.Total <= int64(pagerUsers) {
			var missing []string
			for id := range own {
				if _, ok := seen[id]; !ok {
					missing = append(missing, "id "+id)
				}
			}
			if len(missing) > 0 {
				problems = append(problems, fmt.Sprintf("the pages ended without the user(s) with %s, which the filter matches: paging skipped users (RFC 7644 §3.4.2.4)", strings.Join(slices.Sorted(slices.Values(missing)), ", ")))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("page %d (startIndex %d, count %d): %s", page, start, count, strings.Join(problems, "; "))
	}
	return nil
}

func pagerNames() []string {
	var out []string
	for i := 1; i < pagerUsers; i++ {
		out = append(out, pagerVar(i))
	}
	return out
}
