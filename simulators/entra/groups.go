// Group steps of the provisioning cycles: query, create empty, members,
// rename, member removal.

package entra

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/wire"
)

// pushGroup is the group push of the full cycle: createGroup with all
// members but the last (the incremental cycle adds them), then Entra's
// reads without members and the harness's read-back of the members.
func (g *gen) pushGroup(b *builder, gr *group, people []*person) {
	initial := g.createGroup(b, gr, people, true)
	id := gvar(gr)
	byName := func(v scenario.Vars) string { return "displayName eq " + quote(gr.displayName(prefixOf(v))) }
	query := func(v scenario.Vars) client.Request {
		return get("/Groups", url.Values{"excludedAttributes": {"members"}, "filter": {byName(v)}})
	}
	b.add(scenario.Step{
		Name:      "groups: read " + gr.label + " without members",
		Behaviour: "Entra reads a group with GET /Groups/{id}?excludedAttributes=members; members in the answer are an error in its logs.",
		Source:    "Microsoft Learn: SCIM tutorial",
		Clause:    "RFC 7644 §3.4.2.5",
		When:      id,
		Build:     getByID("/Groups", id, url.Values{"excludedAttributes": {"members"}}),
		Expect: []scenario.Expectation{
			wantStatus("the group must be readable by its id (RFC 7644 §3.4.1)", 200),
			noMembers(),
			echo("displayName", scenario.Must, func(v scenario.Vars) any { return gr.displayName(prefixOf(v)) }),
		},
	})
	b.add(scenario.Step{
		Name:      "groups: query " + gr.label + " without members",
		Behaviour: `GET /Groups?excludedAttributes=members&filter=displayName eq "…" must find the group, without members.`,
		Source:    "Microsoft Learn: SCIM tutorial",
		Clause:    "RFC 7644 §3.4.2.2, §3.4.2.5",
		When:      id,
		Build:     func(v scenario.Vars) (client.Request, error) { return query(v), nil },
		Expect: []scenario.Expectation{
			expectOneMatch(byName, "group", id, ""),
			scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
				l, err := voice.ReadListResponse(ex)
				rs := l.Resources
				if err != nil || len(rs) == 0 {
					return nil
				}
				if ms := membersOf(rs[0]); len(ms) > 0 {
					return fmt.Errorf("the query returned members %v although Entra asked excludedAttributes=members: Entra logs this as an error (SCIM tutorial)", ms)
				}
				return nil
			}),
		},
	})
	g.readMembers(b, gr, "groups: read back "+gr.label+"'s members", initial, "members_"+id, "")
}

// createGroup is Entra's push of a new group: the displayName query, the
// POST without members, then one PATCH adding its members — all of them,
// or with later all but the last, whom the incremental cycle adds. It
// returns the members added.
func (g *gen) createGroup(b *builder, gr *group, people []*person, later bool) []*person {
	id, found := gvar(gr), "found_"+gvar(gr)
	byName := func(v scenario.Vars) string { return "displayName eq " + quote(gr.displayName(prefixOf(v))) }
	query := func(v scenario.Vars) client.Request {
		return get("/Groups", url.Values{"excludedAttributes": {"members"}, "filter": {byName(v)}})
	}
	b.add(scenario.Step{
		Name:      "groups: look up " + gr.label,
		Behaviour: `Entra queries groups by displayName without members: GET /Groups?excludedAttributes=members&filter=displayName eq "…".`,
		Source:    "Microsoft Learn: SCIM tutorial",
		Clause:    "RFC 7644 §3.4.2.2, §3.4.2.5",
		Build:     func(v scenario.Vars) (client.Request, error) { return query(v), nil },
		Expect:    expectNoMatch(byName, "group", found),
	})
	b.add(scenario.Step{
		Name:      "groups: create " + gr.label + " without members",
		Behaviour: "Groups are created empty, with the core Group schema and Microsoft's ADSCIM Group schema URN; members follow in PATCHes.",
		Source:    "Microsoft Learn: SCIM tutorial",
		Clause:    "RFC 7644 §3.3",
		Build: func(v scenario.Vars) (client.Request, error) {
			if n, _ := v[found].(int); n > 0 {
				return client.Request{}, scenario.Skipf("the lookup returned %d group(s); Entra would adopt that group — not done here, the harness changes only what it created", n)
			}
			prefix := prefixOf(v)
			return client.Request{Method: http.MethodPost, Path: "/Groups", Body: map[string]any{
				"schemas":     []any{scim.GroupURN, scim.ADSCIMGroupURN},
				"externalId":  guid(g.r.Seed, prefix, "group", gr.idx),
				"displayName": gr.displayName(prefix),
				"meta":        map[string]any{"resourceType": "Group"},
			}}, nil
		},
		Capture: map[string]string{id: "id"},
		Expect: []scenario.Expectation{
			wantStatus("Entra expects 201 Created with the group and caches its id (SCIM tutorial); the ADSCIM schema URN next to the core one must be tolerated", http.StatusCreated),
			echo("displayName", scenario.Must, func(v scenario.Vars) any { return gr.displayName(prefixOf(v)) }),
		},
	})
	initial := members(gr, people)
	if later {
		initial, _ = splitMembers(gr, people)
	}
	if len(initial) > 0 {
		b.addReference(g.membersPatch(gr, "groups: add members to "+gr.label, initial, "Members are added after the group exists: {\"op\":\"Add\",\"path\":\"members\",\"value\":[{\"$ref\":null,\"value\":\"<id>\"},…]}; 204 or 200."))
	}
	return initial
}

// members are the people of gr, in team order.
func members(gr *group, people []*person) []*person {
	var out []*person
	for _, p := range people {
		if slices.Contains(gr.members, p.idx) {
			out = append(out, p)
		}
	}
	return out
}

// splitMembers: the first push adds all members but the last, whom the
// incremental cycle adds; the second member is the one later removed.
func splitMembers(gr *group, people []*person) (initial []*person, later *person) {
	ms := members(gr, people)
	if len(ms) < 2 {
		return ms, nil
	}
	return ms[:len(ms)-1], ms[len(ms)-1]
}

func noMembers() scenario.Expectation {
	return onDoc(func(doc map[string]any, _ scenario.Vars) error {
		if v, ok := field(doc, "members"); ok && v != nil {
			return fmt.Errorf("the server returned members %s although Entra asked excludedAttributes=members: Entra logs this as an error (SCIM tutorial), and for big groups it is the payload excludedAttributes avoids (RFC 7644 §3.4.2.5)", judge.Render(v))
		}
		return nil
	})
}

func (g *gen) membersPatch(gr *group, name string, add []*person, behaviour string) scenario.Step {
	id := gvar(gr)
	vars := []string{id}
	for _, p := range add {
		vars = append(vars, uvar(p))
	}
	return scenario.Step{
		Name:      name,
		Behaviour: behaviour,
		Source:    "Microsoft Learn: SCIM tutorial",
		Clause:    "RFC 7644 §3.5.2.1",
		When:      id,
		Build: func(v scenario.Vars) (client.Request, error) {
			x, err := ids(v, vars...)
			if err != nil {
				return client.Request{}, err
			}
			var value []any
			for _, m := range x[1:] {
				value = append(value, map[string]any{"$ref": nil, "value": m})
			}
			return patch("/Groups/"+esc(x[0]), op(g.r.op("add"), "members", value)), nil
		},
		Expect: []scenario.Expectation{g.patchStatus([]string{"add"}, false)},
	}
}

// readMembers reads a group and checks its members are exactly want. On
// success it sets okVar. removed names the var of the member just removed:
// an empty group then means the server wiped every member — said only if
// the vars in proof are set (the earlier members read back, the add and the
// remove succeeded), so another bug is not blamed on the remove.
func (g *gen) readMembers(b *builder, gr *group, name string, want []*person, okVar, removed string, proof ...string) {
	id := gvar(gr)
	var names []string
	for _, p := range want {
		names = append(names, uvar(p))
	}
	b.add(scenario.Step{
		Name:      name,
		Behaviour: "Harness read-back: the members must be exactly those Entra added and did not remove.",
		Source:    "Microsoft Learn: SCIM tutorial; entra-docs issue 949",
		Clause:    "RFC 7644 §3.5.2",
		When:      id,
		Build:     getByID("/Groups", id, nil),
		Expect: []scenario.Expectation{
			wantStatus("the group must be readable (RFC 7644 §3.4.1)", 200),
			onDoc(func(doc map[string]any, v scenario.Vars) error {
				wantIDs, ok := idsOf(v, names)
				if !ok {
					return scenario.Skipf("a member was not created")
				}
				got := membersOf(doc)
				if slices.Equal(got, wantIDs) {
					v[okVar] = true
					return nil
				}
				proven := true
				for _, p := range proof {
					_, ok := v[p]
					proven = proven && ok
				}
				if removed != "" && proven && len(got) == 0 && len(wantIDs) > 0 {
					return fmt.Errorf("the server removed every member when Entra asked to remove only %v: members are now empty, expected %v. Without aadOptscim062020 Entra's remove carries the member in value ({\"op\":\"Remove\",\"path\":\"members\",\"value\":[{\"value\":\"<id>\"}]}); reading it as \"remove all members\" loses data (entra-docs issue 949)", v[removed], wantIDs)
				}
				return fmt.Errorf("members are %v, expected %v", got, wantIDs)
			}),
		},
	})
}

func (g *gen) groupChanges(b *builder, gr *group, people []*person) {
	id := gvar(gr)
	b.add(scenario.Step{
		Name:      "incremental cycle: rename " + gr.label,
		Behaviour: `A renamed group is PATCHed with {"op":"Replace","path":"displayName","value":"…"}; SCIM tutorial shows 204, 200 is fine too.`,
		Source:    "Microsoft Learn: SCIM tutorial",
		Clause:    "RFC 7644 §3.5.2.3",
		When:      id,
		Build: byID("/Groups", id, func(path string, v scenario.Vars) client.Request {
			return patch(path, op(g.r.op("replace"), "displayName", gr.newName(prefixOf(v))))
		}),
		Expect: []scenario.Expectation{g.patchStatus([]string{"replace"}, false)},
	})
	b.add(scenario.Step{
		Name:      "incremental cycle: read " + gr.label + " after the rename",
		Behaviour: "Entra reads the group without members; the new displayName must read back.",
		Source:    "Microsoft Learn: SCIM tutorial",
		Clause:    "RFC 7644 §3.4.1",
		When:      id,
		Build:     getByID("/Groups", id, url.Values{"excludedAttributes": {"members"}}),
		Expect: []scenario.Expectation{
			wantStatus("the group must be readable (RFC 7644 §3.4.1)", 200),
			echo("displayName", scenario.Must, func(v scenario.Vars) any { return gr.newName(prefixOf(v)) }),
			noMembers(),
		},
	})
	initial, later := splitMembers(gr, people)
	if later == nil {
		return // one member: nothing to add, and a remove could not show a wipe
	}
	add := g.membersPatch(gr, "incremental cycle: add "+label(later)+" to "+gr.label, []*person{later},
		"A newly assigned member is added with op Add on members and a value array whose elements carry \"$ref\": null.")
	add.Check = succeeded("added_" + id)
	b.addReference(add)
	gone := initial[min(1, len(initial)-1)] // the second member, if there is one
	var remaining []*person
	for _, p := range append(slices.Clone(initial), later) {
		if p != gone {
			remaining = append(remaining, p)
		}
	}
	uid := uvar(gone)
	behaviour := `An unassigned member is removed with {"op":"Remove","path":"members","value":[{"value":"<id>"}]} (no aadOptscim062020 flag): only that member may go.`
	if g.r.Flag {
		behaviour = `With aadOptscim062020 an unassigned member is removed with {"op":"remove","path":"members[value eq \"<id>\"]"}.`
	}
	b.addReference(scenario.Step{
		Name:      fmt.Sprintf("incremental cycle: remove %s from %s", label(gone), gr.label),
		Behaviour: behaviour,
		Source:    "Microsoft Learn: SCIM tutorial, Known issues; entra-docs issue 949",
		Clause:    "RFC 7644 §3.5.2.2",
		When:      id,
		Build: func(v scenario.Vars) (client.Request, error) {
			x, err := ids(v, id, uid)
			if err != nil {
				return client.Request{}, err
			}
			if g.r.Flag {
				return patch("/Groups/"+esc(x[0]), op("remove", "members[value eq "+quote(x[1])+"]", nil)), nil
			}
			return patch("/Groups/"+esc(x[0]), op("Remove", "members", []any{map[string]any{"value": x[1]}})), nil
		},
		Expect: []scenario.Expectation{g.patchStatus([]string{"remove"}, false)},
		Check:  succeeded("removed_" + id),
	})
	g.readMembers(b, gr, "incremental cycle: read back "+gr.label+"'s members", remaining, "members2_"+id, uid,
		"members_"+id, "added_"+id, "removed_"+id)
}

// succeeded returns a Check that sets name when the answer is 2xx.
func succeeded(name string) func(*wire.Exchange, scenario.Vars) error {
	return func(ex *wire.Exchange, v scenario.Vars) error {
		if ex.Status()/100 == 2 {
			v[name] = true
		}
		return nil
	}
}

// deleteGroup is Entra's group delete: DELETE /Groups/{id} → 204 (TUT
// "Delete Group"; the validator's Delete_Group_Test), then the group is
// gone.
func (g *gen) deleteGroup(b *builder, gr *group) {
	id := gvar(gr)
	b.add(scenario.Step{
		Name:      "incremental cycle: delete " + gr.label,
		Behaviour: "A group deleted or unassigned in Entra is deleted: DELETE /Groups/{id}, expecting 204.",
		Source:    "Microsoft Learn: SCIM tutorial (\"Delete Group\"); SCIMReferenceCode validator Delete_Group_Test",
		SourceURL: tutURL,
		Clause:    "RFC 7644 §3.6",
		When:      id,
		Build: byID("/Groups", id, func(path string, _ scenario.Vars) client.Request {
			return client.Request{Method: http.MethodDelete, Path: path}
		}),
		Expect: []scenario.Expectation{wantStatus("Entra expects 204 No Content to a DELETE (SCIM tutorial; RFC 7644 §3.6)", http.StatusNoContent)},
	})
	b.add(scenario.Step{
		Name:      "incremental cycle: read deleted " + gr.label,
		Behaviour: "Harness read-back: a deleted group is gone; GET by id answers 404.",
		Source:    "Microsoft Learn: SCIM tutorial",
		Clause:    "RFC 7644 §3.6",
		When:      id,
		Build:     getByID("/Groups", id, url.Values{"excludedAttributes": {"members"}}),
		Expect:    []scenario.Expectation{wantStatus("a deleted group must answer 404 (RFC 7644 §3.6)", http.StatusNotFound)},
	})
}
