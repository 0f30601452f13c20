package checks

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/wire"
)

// uname is the userName of a check's user: unique per run (the prefix) and
// per check (the tag), so checks never see each other's data.
func uname(tag, who string) string { return "${prefix}-" + tag + "-" + who }

// userBody is a User with userName uname(tag, who) and the extra attributes.
func userBody(tag, who string, extra map[string]any) map[string]any {
	b := map[string]any{"schemas": []any{scim.UserURN}, "userName": uname(tag, who)}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

// createUser is a set-up step: it creates a user and captures its id as
// idVar. When it fails, the steps after it are blocked, not failed.
func createUser(idVar string, body map[string]any) scenario.Step {
	return scenario.Step{
		Name:    "create " + idVar,
		Setup:   true,
		Clause:  "RFC 7644 §3.3",
		Level:   scenario.Must,
		Request: scenario.RequestTemplate{Method: http.MethodPost, Path: "/Users", Body: body},
		Capture: map[string]string{idVar: "id"},
		Expect:  []scenario.Expectation{scenario.StatusIn(http.StatusCreated)},
	}
}

// createGroup creates a group with the member ids (vars) and captures its
// id as idVar.
func createGroup(idVar, displayName string, memberVars ...string) scenario.Step {
	var members []any
	for _, m := range memberVars {
		members = append(members, map[string]any{"value": "${" + m + "}"})
	}
	body := map[string]any{"schemas": []any{scim.GroupURN}, "displayName": displayName}
	if members != nil {
		body["members"] = members
	}
	return scenario.Step{
		Name:    "create " + idVar,
		Setup:   true,
		Clause:  "RFC 7644 §3.3",
		Level:   scenario.Must,
		Request: scenario.RequestTemplate{Method: http.MethodPost, Path: "/Groups", Body: body},
		Capture: map[string]string{idVar: "id"},
		Expect:  []scenario.Expectation{scenario.StatusIn(http.StatusCreated)},
	}
}

// step is a judged request.
func step(name, method, path string, body any, expect ...scenario.Expectation) scenario.Step {
	return scenario.Step{Name: name, Request: scenario.RequestTemplate{Method: method, Path: path, Body: body}, Expect: expect}
}

func get(name, path string, expect ...scenario.Expectation) scenario.Step {
	return step(name, http.MethodGet, path, nil, expect...)
}

// patchOp is a PatchOp request body.
func patchOp(ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for i, o := range ops {
		list[i] = o
	}
	return map[string]any{"schemas": []any{scim.PatchOpURN}, "Operations": list}
}

func op(kind, path string, value any) map[string]any {
	o := map[string]any{"op": kind}
	if path != "" {
		o["path"] = path
	}
	if value != nil {
		o["value"] = value
	}
	return o
}

// listPath is GET path with a query, encoded so the filter survives
// whatever it holds; ${vars} stay readable for the template expander.
func listPath(path string, q map[string]string) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		v := strings.ReplaceAll(url.QueryEscape(q[k]), "%24%7Bprefix%7D", "${prefix}")
		parts = append(parts, k+"="+v)
	}
	return path + "?" + strings.Join(parts, "&")
}

// status expects one of codes.
func status(codes ...int) scenario.Expectation { return scenario.StatusIn(codes...) }

// bodyIs expects the value at path to equal want (JSON equality; strings
// may hold ${vars}).
func bodyIs(path string, want any) scenario.Expectation { return judge.BodyIs(path, want) }

// absent expects no value at path in a 2xx body.
func absent(path string) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		doc, err := ex.JSON()
		if ex.Status()/100 != 2 || err != nil {
			return nil
		}
		if v, ok := scenario.Lookup(doc, path); ok && v != nil {
			return fmt.Errorf("%s should be absent, but is %s", path, judge.Render(v))
		}
		return nil
	})
}

// present expects a non-null value at path in a 2xx body.
func present(path string) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		doc, err := ex.JSON()
		if ex.Status()/100 != 2 {
			return nil
		}
		if err != nil {
			return fmt.Errorf("the body is not JSON: %v; body: %s", err, judge.Excerpt(ex.Response.Body))
		}
		if v, ok := scenario.Lookup(doc, path); !ok || v == nil {
			return fmt.Errorf("%s is missing from the answer; body: %s", path, judge.Excerpt(ex.Response.Body))
		}
		return nil
	})
}

// The clauses of rules shared by many checks. Each is cited by the
// expectation that tests it and graded by its keyword wherever it is used
// (levels_test.go holds the keyword of every clause cited), so that one
// defect is never a failure in one check and a warning in another.
const (
	clauseErrorBody   = "RFC 7644 §3.12 (errors are returned in a JSON body with the Error schema: MUST)"
	clauseErrorStatus = "RFC 7644 §3.12 (the error's status: REQUIRED, a JSON string)"
	clauseErrorDetail = "RFC 7644 §3.12 (the error's detail: OPTIONAL)"
	clauseScimType    = "RFC 7644 §3.12 (scimType: OPTIONAL)"
	clauseUniqueness  = "RFC 7644 §3.3 (a conflict MUST be 409 with scimType uniqueness)"
	clauseNoTarget    = "RFC 7644 §3.5.2.2 (a remove without a path fails with 400 and scimType noTarget)"
	clauseMediaType   = "RFC 7644 §3.1, §8.1"
	clauseListTotal   = "RFC 7644 §3.4.2 (totalResults: REQUIRED)"
	clausePageFields  = "RFC 7644 §3.4.2 (startIndex, itemsPerPage: REQUIRED when partial results are returned)"
	clauseListFields  = "RFC 7644 §3.4.2 (startIndex, itemsPerPage on a complete list: not REQUIRED; when sent, right)"
)

// scimTypeClause is the clause that makes scimType typ required, or the
// one that makes it OPTIONAL (RFC 7644 §3.12) when no clause demands it.
func scimTypeClause(typ string) (string, scenario.Level) {
	switch typ {
	case "uniqueness":
		return clauseUniqueness, scenario.Must
	case "noTarget":
		return clauseNoTarget, scenario.Must
	}
	return clauseScimType, scenario.May
}

// scimType expects the error body's scimType to be want (RFC 7644 §3.12),
// graded by the clause that asks for it (scimTypeClause).
func scimType(want string) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		if ex.Status() < 400 {
			return nil
		}
		doc, err := ex.JSON()
		if err != nil {
			return nil // SCIMError says so
		}
		if got, _ := doc["scimType"].(string); got != want {
			return fmt.Errorf("the error's scimType is %s, not %q (Table 9)", judge.Render(doc["scimType"]), want)
		}
		return nil
	}).Per(scimTypeClause(want))
}

// scimError judges an error answer: the status (at the step's clause), the
// RFC 7644 §3.12 body (Error schema, status as a string: MUST), a detail
// (OPTIONAL in the RFC, so a MAY: shown, not held against the server), the
// SCIM media type and, if given, the scimType (see scimTypeClause).
func scimError(code int, typ string) []scenario.Expectation {
	es := []scenario.Expectation{
		status(code),
		judge.Voice{}.SCIMError(code).Per(clauseErrorBody, scenario.Must),
		scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
			if ex.Status() != code {
				return nil
			}
			doc, err := ex.JSON()
			if err != nil {
				return nil
			}
			if _, ok := doc["status"].(string); !ok {
				return fmt.Errorf("the error's status is %s, a JSON %T, not a string", judge.Render(doc["status"]), doc["status"])
			}
			return nil
		}).Per(clauseErrorStatus, scenario.Must),
		mediaType(),
		scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
			doc, err := ex.JSON()
			if ex.Status() != code || err != nil {
				return nil
			}
			if d, _ := doc["detail"].(string); d == "" {
				return fmt.Errorf("the error has no detail: nobody can tell why the request was refused")
			}
			return nil
		}).Per(clauseErrorDetail, scenario.May),
	}
	if typ != "" {
		es = append(es, scimType(typ))
	}
	return es
}

// mediaType expects a body to be sent as application/scim+json (RFC 7644
// §3.1, §8.1).
func mediaType() scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		if ex.Response == nil || len(ex.Response.Body) == 0 {
			return nil
		}
		ct := ex.Response.Header.Get("Content-Type")
		if !strings.HasPrefix(strings.ToLower(ct), scim.MediaType) {
			return fmt.Errorf("the answer's Content-Type is %q, not %s", ct, scim.MediaType)
		}
		return nil
	}).Per(clauseMediaType, scenario.Must)
}

// resources reads a ListResponse; the error is the failure sentence.
func resources(ex *wire.Exchange) (map[string]any, []map[string]any, error) {
	if ex.Status() != http.StatusOK {
		return nil, nil, fmt.Errorf("a list answers 200 (RFC 7644 §3.4.2), not %d; body: %s", ex.Status(), judge.Excerpt(ex.Response.Body))
	}
	doc, err := ex.JSON()
	if err != nil {
		return nil, nil, fmt.Errorf("the list is not JSON: %v", err)
	}
	schemas, _ := doc["schemas"].([]any)
	if !slices.Contains(schemas, any(scim.ListResponseURN)) {
		return nil, nil, fmt.Errorf("the list's schemas %s lack %q (RFC 7644 §3.4.2)", judge.Render(doc["schemas"]), scim.ListResponseURN)
	}
	if _, ok := number(doc["totalResults"]); !ok {
		return nil, nil, fmt.Errorf("the list's totalResults is %s, not a number (RFC 7644 §3.4.2)", judge.Render(doc["totalResults"]))
	}
	var out []map[string]any
	list, _ := doc["Resources"].([]any)
	for _, r := range list {
		if m, ok := r.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return doc, out, nil
}

// namesAre expects a ListResponse holding exactly the users want (by
// userName, ${vars} expanded), in any order unless ordered.
func namesAre(ordered bool, want ...string) scenario.Expectation {
	return names1(ordered, true, want)
}

// pageNames expects a page holding exactly the users want, in order.
func pageNames(want ...string) scenario.Expectation { return names1(true, false, want) }

func names1(ordered, all bool, want []string) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
		doc, rs, err := resources(ex)
		if err != nil {
			return err
		}
		var got, exp []string
		for _, r := range rs {
			got = append(got, fmt.Sprint(r["userName"]))
		}
		for _, w := range want {
			exp = append(exp, judge.Expand(w, vars))
		}
		g, e := slices.Clone(got), slices.Clone(exp)
		if !ordered {
			slices.Sort(g)
			slices.Sort(e)
		}
		if !slices.Equal(g, e) {
			return fmt.Errorf("expected userNames %s, got %s", show(exp), show(got))
		}
		if n, _ := number(doc["totalResults"]); all && n != len(exp) {
			return fmt.Errorf("totalResults is %v, but %d resources match", doc["totalResults"], len(exp))
		}
		return nil
	})
}

func show(s []string) string {
	if len(s) == 0 {
		return "[] (none)"
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// listFields expects a ListResponse of total results holding n resources,
// from startIndex start with itemsPerPage perPage (-1: not judged). It is
// three rules, each graded by its own clause: the counts (the step's
// clause); startIndex and itemsPerPage, REQUIRED only when the results are
// partial (RFC 7644 §3.4.2); and, on a complete list, those two when sent
// must still be right — a SHOULD, since nothing requires them there.
func listFields(total, start, perPage, n int) []scenario.Expectation {
	fields := func(partial bool) scenario.Expectation {
		return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
			doc, rs, err := resources(ex)
			if err != nil {
				return nil // the counts judge a list that is not one
			}
			// Partial: the page holds fewer than the list's totalResults.
			if sent, _ := number(doc["totalResults"]); (len(rs) < sent) != partial {
				return nil
			}
			var bad []string
			check := func(name string, want int) {
				v, sent := doc[name]
				if !partial && !sent {
					return
				}
				if got, ok := number(v); !ok || got != want {
					bad = append(bad, fmt.Sprintf("%s is %s, expected %d", name, judge.Render(v), want))
				}
			}
			check("startIndex", start)
			if perPage >= 0 {
				check("itemsPerPage", perPage)
			}
			if len(bad) > 0 {
				return fmt.Errorf("%s", strings.Join(bad, "; "))
			}
			return nil
		})
	}
	return []scenario.Expectation{
		scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
			doc, rs, err := resources(ex)
			if err != nil {
				return err
			}
			var bad []string
			if got, ok := number(doc["totalResults"]); !ok || got != total {
				bad = append(bad, fmt.Sprintf("totalResults is %s, expected %d", judge.Render(doc["totalResults"]), total))
			}
			if len(rs) != n {
				bad = append(bad, fmt.Sprintf("%d Resources, expected %d", len(rs), n))
			}
			if len(bad) > 0 {
				return fmt.Errorf("%s", strings.Join(bad, "; "))
			}
			return nil
		}),
		fields(true).Per(clausePageFields, scenario.Must),
		fields(false).Per(clauseListFields, scenario.Should),
	}
}

// jsonOf is compact JSON, for messages.
func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// at returns st graded at level l.
func at(l scenario.Level, st scenario.Step) scenario.Step {
	st.Level = l
	return st
}

// number reads a JSON integer (wire.Exchange.JSON keeps json.Numbers).
func number(v any) (int, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	case float64:
		return int(n), n == float64(int(n))
	}
	return 0, false
}

// when runs st only when var v is set.
func when(v string, st scenario.Step) scenario.Step {
	st.When = v
	return st
}

func withHeaders(st scenario.Step, h map[string]string) scenario.Step {
	st.Request.Headers = h
	return st
}

// after makes st wait for the earlier steps named: when one did not pass,
// st is blocked (a read-back after a failed write judges nothing).
func after(st scenario.Step, steps ...string) scenario.Step {
	st.Needs = append(st.Needs, steps...)
	return st
}
