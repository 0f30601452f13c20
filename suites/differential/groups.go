package differential

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/scim"
)

// Group traffic (RFC 7643 §4.2), generated when the target declares the
// Group resource type: groups whose members are the run's users, filters
// on displayName, externalId and members, sorted and paged lists, and
// PATCH sequences in the forms the RFC and the IdPs use (add members;
// remove members[value eq "…"]; remove members with a value array, as
// Entra ID sends it; remove all members; replace members; rename, with and
// without a path), each followed by a read of the group. Members are
// compared as the set of the users they point to (normaliseResource).

// group is one generated Group.
type group struct {
	// Key is its first displayName: requests name its id {id:Key}.
	Key         string
	DisplayName string
	// ExternalID is lower case: externalId is caseExact (RFC 7643 §3.1),
	// so its literals are sent as they are and it sorts like any string.
	ExternalID string
	Members    []string // userNames
}

var teams = []string{"Engineering", "Sales", "Support", "engineering", "Research"}

// groupPopulation returns n groups whose displayNames start with prefix,
// each with none to three of users as members.
func groupPopulation(rnd *rand.Rand, prefix string, n int, users []user) []group {
	out := make([]group, n)
	for i := range out {
		name := fmt.Sprintf("%s-%s %d", prefix, teams[rnd.IntN(len(teams))], i)
		g := group{Key: name, DisplayName: name, ExternalID: fmt.Sprintf("ext-%d-%d", i, rnd.IntN(100))}
		for _, j := range rnd.Perm(len(users))[:rnd.IntN(min(4, len(users)+1))] {
			g.Members = append(g.Members, users[j].UserName)
		}
		out[i] = g
	}
	return out
}

// ref is the placeholder of the id of the user or group called name.
func ref(name string) string { return "{id:" + name + "}" }

func memberValues(names []string) []any {
	var out []any
	for _, n := range names {
		out = append(out, map[string]any{"value": ref(n)})
	}
	return out
}

// doc is the group as a POST /Groups body.
func (g group) doc() map[string]any {
	d := map[string]any{"schemas": []any{scim.GroupURN}, "displayName": g.DisplayName, "externalId": g.ExternalID}
	if len(g.Members) > 0 {
		d["members"] = memberValues(g.Members)
	}
	return d
}

// createGroupBoth creates g on the reference, then on the target.
func (r *run) createGroupBoth(g group) (*Disagreement, error) {
	req := client.Request{Method: http.MethodPost, Path: "/Groups", Body: g.doc()}
	ra, err := r.ref.createGroup(r.ctx, g.Key, req)
	if err != nil {
		return nil, err
	}
	if ra.Status != http.StatusCreated {
		return nil, fmt.Errorf("%w: the reference answered %d to creating group %s: %s", ErrSetup, ra.Status, g.Key, ra.Body)
	}
	ta, err := r.tgt.createGroup(r.ctx, g.Key, req)
	if err != nil {
		return nil, err
	}
	if ta.Status/100 != 2 {
		d := &Disagreement{Kind: "group-create", Clause: "RFC 7644 §3.3, RFC 7643 §4.2", Groups: []map[string]any{g.doc()},
			Target: ta, Reference: ra, Why: "the target refused a valid Group the reference created", Shrunk: true}
		for _, m := range g.Members {
			for _, u := range r.users {
				if u.UserName == m {
					d.Users = append(d.Users, u.doc())
				}
			}
		}
		return d, nil
	}
	return nil, nil
}

// groupStep generates one request (or PATCH sequence) on groups.
func (r *run) groupStep() (*Disagreement, error) {
	n := r.grnd.IntN(10)
	switch {
	case n < 3 && r.cfg.Patch:
		return r.groupPatch()
	case n < 5 && r.cfg.Sort:
		return r.groupSorted()
	case n == 5:
		return r.groupPaged()
	default:
		return r.groupFiltered()
	}
}

// groupFiltered sends one generated filter on groups, a quarter of the
// time without members as Entra ID looks a group up.
func (r *run) groupFiltered() (*Disagreement, error) {
	g := &filters{rnd: r.grnd, users: r.users, groups: r.groups}
	lr := listRequest{filter: g.group(2), groups: true}
	if r.grnd.IntN(4) == 0 {
		lr.params = url.Values{"excludedAttributes": {"members"}}
	}
	lr.search = r.search && r.vrnd.IntN(4) == 0
	return r.list(lr)
}

// groupSortable are the attributes sorted pages of groups are generated
// over (RFC 7644 §3.4.2.3).
var groupSortable = []string{"displayName", "externalId"}

// groupSorted sends a sorted page of groups.
func (r *run) groupSorted() (*Disagreement, error) {
	q := url.Values{"sortBy": {groupSortable[r.grnd.IntN(len(groupSortable))]}}
	if o := r.grnd.IntN(3); o > 0 {
		q.Set("sortOrder", []string{"", "ascending", "descending"}[o])
	}
	if r.grnd.IntN(3) > 0 {
		q.Set("startIndex", strconv.Itoa(1+r.grnd.IntN(len(r.groups))))
		q.Set("count", strconv.Itoa(1+r.grnd.IntN(len(r.groups))))
	}
	return r.list(listRequest{params: q, groups: true})
}

// groupPaged sends an unsorted page of groups (compared by totalResults
// and size: the order is the server's), sometimes projected as
// JumpCloud's and Entra ID's imports read them.
func (r *run) groupPaged() (*Disagreement, error) {
	q := url.Values{
		"startIndex": {strconv.Itoa(1 + r.grnd.IntN(len(r.groups)))},
		"count":      {strconv.Itoa(1 + r.grnd.IntN(len(r.groups)))},
	}
	if r.grnd.IntN(2) == 0 {
		q.Set([]string{"attributes", "excludedAttributes"}[r.grnd.IntN(2)], "members")
	}
	return r.list(listRequest{params: q, groups: true})
}

// group returns a filter over groups of at most depth levels of
// and/or/not: displayName with every operator (every group has one),
// externalId eq or pr, members.value eq, members[value eq …] and members
// pr. Member ids are placeholders, resolved per side.
func (g *filters) group(depth int) expr {
	if depth > 0 && g.rnd.IntN(3) > 0 {
		if g.rnd.IntN(4) == 0 {
			return negation{g.group(depth - 1)}
		}
		op := "and"
		if g.rnd.IntN(2) == 0 {
			op = "or"
		}
		return logical{g.caseOf(op), g.group(depth - 1), g.group(depth - 1), g.rnd.IntN(3) == 0}
	}
	switch g.rnd.IntN(6) {
	case 0, 1:
		ops := []string{"eq", "co", "sw", "ew", "pr", "ne", "gt", "ge", "lt", "le"}
		op := ops[g.rnd.IntN(len(ops))]
		if op == "pr" {
			return compare{g.caseOf("displayName"), g.caseOf(op), ""}
		}
		var pool []string
		for _, gr := range g.groups {
			pool = append(pool, gr.DisplayName)
		}
		return compare{g.caseOf("displayName"), g.caseOf(op), literal(g.literalFor(pool, op))}
	case 2:
		if g.rnd.IntN(4) == 0 {
			return compare{g.caseOf("externalId"), g.caseOf("pr"), ""}
		}
		return compare{g.caseOf("externalId"), g.caseOf("eq"), literal(g.groups[g.rnd.IntN(len(g.groups))].ExternalID)}
	case 3:
		return compare{g.caseOf("members.value"), g.caseOf("eq"), literal(ref(g.member()))}
	case 4:
		return valuePath{g.caseOf("members"), compare{g.caseOf("value"), g.caseOf("eq"), literal(ref(g.member()))}}
	default:
		return compare{g.caseOf("members"), g.caseOf("pr"), ""}
	}
}

// member picks a user, most of the time one that is a member of a group.
func (g *filters) member() string {
	var pool []string
	for _, gr := range g.groups {
		pool = append(pool, gr.Members...)
	}
	if len(pool) == 0 || g.rnd.IntN(4) == 0 {
		return g.users[g.rnd.IntN(len(g.users))].UserName
	}
	return pool[g.rnd.IntN(len(pool))]
}

// groupPatch reads a group from both sides, sends both a sequence of one
// to three operations generated from what the reference holds, and reads
// the group back from both.
func (r *run) groupPatch() (*Disagreement, error) {
	i := r.grnd.IntN(len(r.groups))
	key := r.groups[i].Key
	d, before, err := r.compareGroupPatch(key, nil)
	if err != nil {
		return nil, err
	}
	body, members := r.groupBody(before)
	if d != nil {
		return r.shrinkGroupPatch(key, body, nil, d)
	}
	ops := r.groupOps(members)
	d, after, err := r.compareGroupPatch(key, ops)
	if err != nil {
		return nil, err
	}
	if d != nil {
		return r.shrinkGroupPatch(key, body, ops, d)
	}
	_, members = r.groupBody(after)
	r.groups[i].DisplayName, _ = lookup(after, "displayName").(string)
	r.groups[i].Members = members
	return nil, nil
}

// groupBody is a group as the reference answered it, as a POST body with
// its members as placeholders, and the names of its members.
func (r *run) groupBody(doc map[string]any) (map[string]any, []string) {
	body := asCreate(doc)
	names := r.ref.names()
	var members []string
	for k, v := range body {
		if !strings.EqualFold(k, "members") {
			continue
		}
		for _, m := range asSlice(v) {
			mm, _ := m.(map[string]any)
			if n, ok := names[fmt.Sprint(lookup(mm, "value"))]; ok {
				members = append(members, n)
			}
		}
		delete(body, k)
	}
	if len(members) > 0 {
		body["members"] = memberValues(members)
	}
	return body, members
}

// groupOps generates one to three operations on a group whose members are
// members. Only members are removed, and only non-members added: what a
// server does with the removal of a value that is not there (noTarget, or
// nothing) and an add of one that is, the RFC leaves open enough that
// servers differ legally (RFC 7644 §3.5.2.1, §3.5.2.2).
func (r *run) groupOps(members []string) []any {
	g := &filters{rnd: r.grnd}
	members = slices.Clone(members)
	var ops []any
	for range 1 + r.grnd.IntN(3) {
		var non []string
		for _, u := range r.users {
			if !slices.Contains(members, u.UserName) {
				non = append(non, u.UserName)
			}
		}
		k := r.grnd.IntN(8)
		if k >= 2 && k <= 4 && len(members) == 0 {
			k = 0 // nothing to remove: add
		}
		if k <= 1 && len(non) == 0 {
			k = 5 // everyone is a member: rename
		}
		var op map[string]any
		switch k {
		case 0, 1: // add one or two members (RFC 7644 §3.5.2.1; Entra ID, Okta)
			r.grnd.Shuffle(len(non), func(i, j int) { non[i], non[j] = non[j], non[i] })
			add := non[:1]
			if len(non) > 1 && r.grnd.IntN(2) == 0 {
				add = non[:2]
			}
			op = map[string]any{"op": "add", "path": g.caseOf("members"), "value": memberValues(add)}
			members = append(members, add...)
		case 2: // remove one member by a value filter (RFC 7644 §3.5.2.2; Okta, Entra ID with aadOptscim062020)
			m := members[r.grnd.IntN(len(members))]
			op = map[string]any{"op": "remove", "path": g.caseOf("members") + `[value eq "` + ref(m) + `"]`}
			members = slices.DeleteFunc(members, func(x string) bool { return x == m })
		case 3: // remove one member named in a value array (Entra ID without the flag)
			m := members[r.grnd.IntN(len(members))]
			op = map[string]any{"op": "remove", "path": "members", "value": memberValues([]string{m})}
			members = slices.DeleteFunc(members, func(x string) bool { return x == m })
		case 4: // remove every member: a path and no value (RFC 7644 §3.5.2.2)
			op = map[string]any{"op": "remove", "path": "members"}
			members = nil
		case 5: // rename (RFC 7644 §3.5.2.3)
			r.renames++
			op = map[string]any{"op": "replace", "path": g.caseOf("displayName"), "value": fmt.Sprintf("%s-Renamed %d", r.cfg.Prefix, r.renames)}
		case 6: // rename without a path (Okta's group rename)
			r.renames++
			op = map[string]any{"op": "replace", "value": map[string]any{"displayName": fmt.Sprintf("%s-Renamed %d", r.cfg.Prefix, r.renames)}}
		default: // replace the members by one to three users (RFC 7644 §3.5.2.3; OneLogin's full push)
			perm := r.grnd.Perm(len(r.users))[:1+r.grnd.IntN(min(3, len(r.users)))]
			members = nil
			for _, j := range perm {
				members = append(members, r.users[j].UserName)
			}
			op = map[string]any{"op": "replace", "path": "members", "value": memberValues(members)}
		}
		op["op"] = g.caseOf(op["op"].(string))
		ops = append(ops, op)
	}
	return ops
}

// compareGroupPatch applies ops to the group called key on both sides (no
// ops: only reads it) and compares the status class and then the group
// read back; it returns the reference's read-back too.
func (r *run) compareGroupPatch(key string, ops []any) (*Disagreement, map[string]any, error) {
	path := "/Groups/" + ref(key)
	d := &Disagreement{Kind: "group-patch", Clause: "RFC 7644 §3.5.2, RFC 7643 §4.2"}
	if len(ops) == 0 {
		d.Kind, d.Clause = "group-read", "RFC 7644 §3.4.1, RFC 7643 §4.2"
	}
	if len(ops) > 0 {
		req := client.Request{Method: http.MethodPatch, Path: path, Body: map[string]any{"schemas": []any{scim.PatchOpURN}, "Operations": ops}}
		ta, _, err := r.tgt.send(r.ctx, req)
		if err != nil {
			return nil, nil, err
		}
		ra, _, err := r.ref.send(r.ctx, req)
		if err != nil {
			return nil, nil, err
		}
		p := sent(req)
		p.Expect = &Expected{Status: ra.Status}
		d.Requests, d.Target, d.Reference = append(d.Requests, p), ta, ra
		if ta.Status/100 != ra.Status/100 {
			d.Why = fmt.Sprintf("the target answered %d, the reference %d", ta.Status, ra.Status)
			return d, nil, nil
		}
	}
	get := client.Request{Method: http.MethodGet, Path: path}
	tg, tdoc, err := r.tgt.send(r.ctx, get)
	if err != nil {
		return nil, nil, err
	}
	rg, rdoc, err := r.ref.send(r.ctx, get)
	if err != nil {
		return nil, nil, err
	}
	rn := normaliseResource(rdoc, r.ref.names())
	d.Requests = append(d.Requests, Sent{Method: http.MethodGet, Path: path, Expect: &Expected{Status: rg.Status, Resource: rn}})
	switch {
	case tg.Status/100 != rg.Status/100:
		d.Target, d.Reference = tg, rg
		d.Why = fmt.Sprintf("reading the group: the target answered %d, the reference %d", tg.Status, rg.Status)
	case rg.Status/100 == 2:
		if why := judgeResource(normaliseResource(tdoc, r.tgt.names()), rn); why != "" {
			if len(ops) == 0 {
				d.Target, d.Reference = tg, rg
			}
			d.Why = why
			if len(ops) > 0 {
				d.Why = "after the PATCH, " + why
			}
		}
	}
	if d.Why == "" {
		return nil, rdoc, nil
	}
	return d, rdoc, nil
}

// shrinkGroupPatch looks for a shorter operation list that still
// disagrees. The group is deleted on both sides; each try creates a copy
// of it from body (as the reference held it before the operations) under
// its displayName, applies the operations and deletes the copy again. The
// case is self-contained: the copy and the users it names.
func (r *run) shrinkGroupPatch(key string, body map[string]any, ops []any, d *Disagreement) (*Disagreement, error) {
	caseKey, _ := body["displayName"].(string)
	for _, s := range []*side{r.tgt, r.ref} {
		if err := s.removeGroup(r.ctx, key); err != nil {
			return nil, err
		}
		if _, left := s.gids[key]; left {
			return d, nil // the copy could not take its name: keep the case as found
		}
	}
	tryOn := func(body map[string]any, ops []any) (*Disagreement, error) {
		return r.onGroups([]map[string]any{body}, func() (*Disagreement, error) {
			sd, _, err := r.compareGroupPatch(caseKey, ops)
			return sd, err
		})
	}
	try := func(ops []any) (*Disagreement, error) { return tryOn(body, ops) }
	sd, err := try(ops)
	if err != nil {
		return nil, err
	}
	if sd == nil {
		d.Why += " (on a fresh copy of the group the same operations agree: the case needs the run's history)"
		return d, nil
	}
	d = sd
	for len(ops) > 1 {
		progressed := false
		for i := range ops {
			fewer := append(slices.Clone(ops[:i]), ops[i+1:]...)
			sd, err := try(fewer)
			if err != nil {
				return nil, err
			}
			if sd != nil {
				ops, d, progressed = fewer, sd, true
				break
			}
		}
		if !progressed {
			break
		}
	}
	// Fewer members: each is dropped from the copy while the case still
	// disagrees, so that the case names as few users as it needs.
	for {
		ms, _ := body["members"].([]any)
		progressed := false
		for i := range ms {
			fewer := maps.Clone(body)
			fewer["members"] = append(slices.Clone(ms[:i]), ms[i+1:]...)
			sd, err := tryOn(fewer, ops)
			if err != nil {
				return nil, err
			}
			if sd != nil {
				body, d, progressed = fewer, sd, true
				break
			}
		}
		if !progressed {
			break
		}
	}
	d.Groups = []map[string]any{body}
	d.Shrunk = true
	return r.withUsers(d)
}

// onGroups creates groups on both sides (each under its displayName),
// runs compare and deletes them again; nil when a copy cannot be created.
func (r *run) onGroups(groups []map[string]any, compare func() (*Disagreement, error)) (*Disagreement, error) {
	return r.onCopies("/Groups", "displayName", func(s *side) map[string]string { return s.gids }, groups, compare)
}

// shrinkGroups finds a small set of groups on which lr still disagrees:
// the run's groups are deleted on both sides, and subsets of copies of
// them as the reference holds them now (with the same displayNames, so
// the filter's literals mean what they meant) are created again, as
// shrinkPopulation does with users. The run's users stay.
func (r *run) shrinkGroups(lr listRequest, d *Disagreement) (*Disagreement, error) {
	var bodies []map[string]any
	for _, g := range r.groups {
		a, doc, err := r.ref.send(r.ctx, client.Request{Method: http.MethodGet, Path: "/Groups/" + ref(g.Key)})
		if err != nil {
			return nil, err
		}
		if a.Status != http.StatusOK || doc == nil {
			return d, nil // the reference cannot say what it holds: keep the case as found
		}
		body, _ := r.groupBody(doc)
		bodies = append(bodies, body)
	}
	for _, g := range r.groups {
		for _, s := range []*side{r.tgt, r.ref} {
			if err := s.removeGroup(r.ctx, g.Key); err != nil {
				return nil, err
			}
			if _, left := s.gids[g.Key]; left {
				return d, nil // a copy could not take its name: keep the case as found
			}
		}
	}
	try := func(set []map[string]any) (*Disagreement, error) {
		sd, err := r.onGroups(set, func() (*Disagreement, error) { return r.compareList(lr) })
		if sd != nil {
			sd.Groups, sd.Shrunk = set, true
		}
		return sd, err
	}
	best, err := try(bodies)
	if err != nil {
		return nil, err
	}
	if best == nil {
		d.Why += " (recreated on their own, the same groups agree: the case needs the run's history)"
		return d, nil
	}
	best, err = minimise(bodies, best, try)
	if err != nil {
		return nil, err
	}
	return r.withUsers(best)
}

// withUsers adds to a group case the users its groups and requests name
// (by placeholder), as the reference holds them, so that it reproduces on
// its own.
func (r *run) withUsers(d *Disagreement) (*Disagreement, error) {
	text := canonical(d.Groups)
	for _, s := range d.Requests {
		text += s.Path + unescape(s.Query) + canonical(s.Body)
	}
	var names []string
	for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
		if _, ok := r.ref.ids[m[1]]; ok && !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	slices.Sort(names)
	d.Users = nil
	for _, n := range names {
		a, doc, err := r.ref.send(r.ctx, client.Request{Method: http.MethodGet, Path: "/Users/" + ref(n)})
		if err != nil {
			return nil, err
		}
		if a.Status != http.StatusOK || doc == nil {
			return d, nil
		}
		d.Users = append(d.Users, asCreate(doc))
	}
	return d, nil
}
