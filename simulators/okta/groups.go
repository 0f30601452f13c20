package okta

import (
	"fmt"
	"net/http"

	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/scim"
)

// group is one pushed group.
type group struct{ n int }

func (g group) idVar() string { return fmt.Sprintf("grp%d_id", g.n) }
func (g group) idRef() string { return "${" + g.idVar() + "}" }
func (g group) path() string  { return "/Groups/" + g.idRef() }
func (g group) name() string  { return fmt.Sprintf("${prefix} Okta Push %d", g.n) }
func (g group) renamed() string {
	return fmt.Sprintf("${prefix} Okta Push %d renamed", g.n)
}
func (g group) label() string { return fmt.Sprintf("group %d", g.n) }

// member is Okta's member value: value and display, no type.
func member(u user) map[string]any {
	return map[string]any{"value": u.idRef(), "display": u.userName()}
}

// groupPush: Okta's group push for each group, with three users of its own
// as members.
func groupPush(o Options, gen *gen) scenario.Scenario {
	var steps []scenario.Step
	for i := 1; i <= o.Groups; i++ {
		g := group{i}
		var m [groupMembers]user
		for j := range m {
			m[j] = gen.user(fmt.Sprintf("grp%dm", i), j+1)
			st := createStep(m[j], fmt.Sprintf("%s: create member %d", g.label(), j+1))
			st.Behaviour = "POST /Users: Okta provisions a group's members before pushing it"
			steps = append(steps, st)
		}
		a, b, c := m[0], m[1], m[2]
		steps = append(steps, scenario.Step{
			Name:      g.label() + ": create",
			Behaviour: `POST /Groups with "members": []`,
			Source:    srcGroups,
			Clause:    "RFC 7644 §3.3",
			Request: scenario.RequestTemplate{Method: http.MethodPost, Path: "/Groups", Body: map[string]any{
				"schemas":     []any{scim.GroupURN},
				"displayName": g.name(),
				"members":     []any{},
			}},
			Capture: map[string]string{g.idVar(): "id"},
			Expect:  []scenario.Expectation{voice.Created(), judge.BodyIs("displayName", g.name())},
		})
		if o.App == AppAIW {
			steps = append(steps,
				putGroup(g, "rename", nil), readGroup(g, "rename", nil, nil, judge.BodyIs("displayName", g.renamed()), judge.BodyIs("id", g.idRef())),
				putGroup(g, "add members", []user{a, b}), readGroup(g, "adding members", []user{a, b}, nil),
				putGroup(g, "change membership", []user{b, c}), readGroup(g, "the membership change", []user{b, c}, []user{a}),
				putGroup(g, "full push", []user{a, b, c}), readGroup(g, "the full push", []user{a, b, c}, nil),
			)
		} else {
			steps = append(steps,
				renameGroup(g, ""),
				readGroup(g, "rename", nil, nil, judge.BodyIs("displayName", g.renamed()), judge.BodyIs("id", g.idRef())),
				renameGroup(g, "adding members"),
				scenario.Step{
					Name:      g.label() + ": add members",
					Behaviour: `PATCH /Groups/{id} {"op":"add","path":"members","value":[{"value","display"}]} — no type`,
					Source:    srcGroups,
					Clause:    "RFC 7644 §3.5.2.1",
					Request: scenario.RequestTemplate{Method: http.MethodPatch, Path: g.path(), Body: patchOp(
						map[string]any{"op": "add", "path": "members", "value": []any{member(a), member(b)}},
					)},
					Expect: []scenario.Expectation{patchedWith("member add")},
				},
				readGroup(g, "adding members", []user{a, b}, nil),
				renameGroup(g, "the membership change"),
				scenario.Step{
					Name:      g.label() + ": change membership in one PATCH",
					Behaviour: `PATCH /Groups/{id}: remove path members[value eq "…"] with no value, then add path members — one request`,
					Source:    srcGroups,
					Clause:    "RFC 7644 §3.5.2.1, §3.5.2.2",
					Request: scenario.RequestTemplate{Method: http.MethodPatch, Path: g.path(), Body: patchOp(
						map[string]any{"op": "remove", "path": fmt.Sprintf(`members[value eq "%s"]`, a.idRef())},
						map[string]any{"op": "add", "path": "members", "value": []any{member(c)}},
					)},
					Expect: []scenario.Expectation{patchedWith("membership change (remove then add)")},
				},
				readGroup(g, "the membership change", []user{b, c}, []user{a}),
				renameGroup(g, "the full push"),
				scenario.Step{
					Name:      g.label() + ": full push",
					Behaviour: `PATCH /Groups/{id} {"op":"replace","path":"members","value":[…all members…]}`,
					Source:    srcGroups,
					Clause:    "RFC 7644 §3.5.2.3",
					Request: scenario.RequestTemplate{Method: http.MethodPatch, Path: g.path(), Body: patchOp(
						map[string]any{"op": "replace", "path": "members", "value": []any{member(a), member(b), member(c)}},
					)},
					Expect: []scenario.Expectation{patchedWith("full push (replace members)")},
				},
				readGroup(g, "the full push", []user{a, b, c}, nil),
			)
		}
		steps = append(steps,
			scenario.Step{
				Name:      g.label() + ": delete",
				Behaviour: "DELETE /Groups/{id}",
				Source:    srcGroups,
				Clause:    "RFC 7644 §3.6",
				Request:   scenario.RequestTemplate{Method: http.MethodDelete, Path: g.path()},
				Expect:    []scenario.Expectation{scenario.StatusIn(204)},
			},
			scenario.Step{
				Name:      g.label() + ": read after delete",
				Behaviour: "GET /Groups/{id} of the deleted group: 404 with a SCIM error",
				Source:    srcReadBack,
				Clause:    "RFC 7644 §3.6, §3.12",
				Request:   scenario.RequestTemplate{Method: http.MethodGet, Path: g.path()},
				Expect:    []scenario.Expectation{scenario.StatusIn(404), voice.SCIMError(404)},
			},
		)
	}
	return scenario.Scenario{
		Name:        "Okta: group push",
		IdP:         IdP,
		Description: groupDescription(o),
		Steps:       steps,
	}
}

// readGroup reads a group back; members, if given, must be exactly them.
func readGroup(g group, after string, members, removed []user, more ...scenario.Expectation) scenario.Step {
	expect := []scenario.Expectation{scenario.StatusIn(200)}
	if members != nil {
		expect = append(expect, membersAre(idVars(members), idVars(removed), after))
	}
	return scenario.Step{
		Name:      fmt.Sprintf("%s: read after %s", g.label(), after),
		Behaviour: "GET /Groups/{id}: the change took effect",
		Source:    srcReadBack,
		Clause:    "RFC 7644 §3.4.1",
		Request:   scenario.RequestTemplate{Method: http.MethodGet, Path: g.path()},
		Expect:    append(expect, more...),
	}
}

func idVars(us []user) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.idVar())
	}
	return out
}

func groupDescription(o Options) string {
	if o.App == AppAIW {
		return fmt.Sprintf("Okta (custom AIW app) pushes %d group(s): create with no members, then rename and every membership change as a PUT of the whole group, delete.", o.Groups)
	}
	return fmt.Sprintf("Okta (OIN app) pushes %d group(s): create with no members, rename (path-less, with the id) — again before each membership change — add members, remove and add in one PATCH, full push, delete.", o.Groups)
}

// renameGroup is an OIN app's rename: a path-less replace carrying the
// read-only id. before, if set, names the membership change it precedes:
// Okta sends the rename each time it changes membership (doc).
func renameGroup(g group, before string) scenario.Step {
	name, behaviour, source := g.label()+": rename", `PATCH /Groups/{id} {"op":"replace","value":{"id":"<id>","displayName":"…"}} — path-less, carrying the read-only id`, srcGroups+"; scimitar PR 29"
	if before != "" {
		name = g.label() + ": rename before " + before
		behaviour += "; Okta sends it before each membership change"
		source = srcRename
	}
	return scenario.Step{
		Name:       name,
		Behaviour:  behaviour,
		Source:     source,
		SourceURL:  refURL,
		Confidence: scenario.Doc,
		Clause:     "RFC 7644 §3.5.2.3",
		Request: scenario.RequestTemplate{Method: http.MethodPatch, Path: g.path(), Body: patchOp(
			map[string]any{"op": "replace", "value": map[string]any{"id": g.idRef(), "displayName": g.renamed()}},
		)},
		Expect: []scenario.Expectation{patchedWith("group rename"), judge.BodyIs("displayName", g.renamed()), judge.BodyIs("id", g.idRef())},
	}
}

// putGroup is an AIW app's rename or membership change: a PUT of the whole
// group with its (new) name and all its members (doc; log, coder/coder
// issue 15828).
func putGroup(g group, what string, members []user) scenario.Step {
	list := []any{}
	for _, u := range members {
		list = append(list, member(u))
	}
	return scenario.Step{
		Name:       fmt.Sprintf("%s: %s (PUT the whole group)", g.label(), what),
		Behaviour:  `PUT /Groups/{id} {"schemas":[Group],"id","displayName","members":[{"value","display"}…]} — a custom (AIW) app's ` + what,
		Source:     srcAIW,
		SourceURL:  refURL,
		Confidence: scenario.Doc,
		Clause:     "RFC 7644 §3.5.1",
		Request: scenario.RequestTemplate{Method: http.MethodPut, Path: g.path(), Body: map[string]any{
			"schemas":     []any{scim.GroupURN},
			"id":          g.idRef(),
			"displayName": g.renamed(),
			"members":     list,
		}},
		Expect: []scenario.Expectation{scenario.StatusIn(200), judge.BodyIs("displayName", g.renamed())},
	}
}
