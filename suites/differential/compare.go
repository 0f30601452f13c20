package differential

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/scim"
)

// listed is what a list answer says, as far as the RFC fixes it; it is
// also what a saved case holds of the reference's answer (Expected.List).
type listed struct {
	ok    bool           // a ListResponse with a totalResults
	Total int            `json:"totalResults"`
	Names []string       `json:"userNames"`           // userNames (of groups: displayNames) of the page, in answer order
	Docs  map[string]any `json:"resources,omitempty"` // name → normalised resource
	Keys  []string       `json:"sortKeys,omitempty"`  // sort keys of the page, in order
}

// listRequest is a generated GET /Users (GET /Groups when groups): a
// filter (nil for none) scoped to the run's resources, and the other
// parameters (sortBy, sortOrder, startIndex, count, attributes,
// excludedAttributes).
type listRequest struct {
	filter expr
	params url.Values
	groups bool
	// search sends it as POST {endpoint}/.search with a SearchRequest
	// body (RFC 7644 §3.4.3), when the target serves it.
	search bool
}

// with is lr with another filter and parameters.
func (lr listRequest) with(f expr, p url.Values) listRequest {
	return listRequest{f, p, lr.groups, lr.search}
}

// endpoint, key: the path listed and the attribute its resources are
// told apart by (and the run's scope is on).
func (lr listRequest) endpoint() (string, string) {
	if lr.groups {
		return "/Groups", "displayName"
	}
	return "/Users", "userName"
}

func (lr listRequest) has(k string) bool { return lr.params.Get(k) != "" }

// kind and clause name what the request exercises, from its parameters.
func (lr listRequest) kind() (string, string) {
	k, c := lr.userKind()
	if lr.search {
		k, c = "search-"+k, "RFC 7644 §3.4.3, "+c
	}
	if lr.groups {
		return "group-" + k, c + ", RFC 7643 §4.2"
	}
	return k, c
}

func (lr listRequest) userKind() (string, string) {
	switch {
	case lr.has("sortBy") && lr.has("startIndex"):
		return "sort", "RFC 7644 §3.4.2.3 (sorting), RFC 7644 §3.4.2.4 (pagination)"
	case lr.has("sortBy"):
		return "sort", "RFC 7644 §3.4.2.3"
	case lr.has("startIndex") || lr.has("count"):
		return "paging", "RFC 7644 §3.4.2.4"
	case lr.has("attributes") || lr.has("excludedAttributes"):
		return "projection", "RFC 7644 §3.4.2.5"
	}
	return "filter", "RFC 7644 §3.4.2.2"
}

// smaller lists requests with one parameter fewer or a smaller filter.
func (lr listRequest) smaller() []listRequest {
	var out []listRequest
	if lr.filter != nil {
		out = append(out, lr.with(nil, lr.params))
		for _, f := range lr.filter.smaller() {
			out = append(out, lr.with(f, lr.params))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(lr.params)) { // in one order: --seed reproduces the shrink too
		p := maps.Clone(lr.params)
		delete(p, k)
		if k == "sortBy" {
			delete(p, "sortOrder")
		}
		out = append(out, lr.with(lr.filter, p))
	}
	// Smaller numbers: a smaller startIndex or count needs fewer users
	// (the population is shrunk after the request).
	for _, kn := range []struct {
		k     string
		small int
	}{{"startIndex", 2}, {"count", 1}} {
		k, small := kn.k, kn.small
		if n, err := strconv.Atoi(lr.params.Get(k)); err == nil && n > small {
			p := maps.Clone(lr.params)
			p.Set(k, strconv.Itoa(small))
			out = append(out, lr.with(lr.filter, p))
		}
	}
	slices.SortStableFunc(out, func(a, b listRequest) int { return len(a.params) - len(b.params) })
	if lr.search { // the same query by GET first: a case without .search is smaller
		get := lr
		get.search = false
		out = append([]listRequest{get}, out...)
	}
	return out
}

// request is lr as sent: GET with the query, or POST /.search with it
// as a SearchRequest.
func (r *run) request(lr listRequest) client.Request {
	path, _ := lr.endpoint()
	q := r.query(lr)
	if !lr.search {
		return client.Request{Method: http.MethodGet, Path: path, Query: q}
	}
	return client.Request{Method: http.MethodPost, Path: path + "/.search", Body: searchBody(q)}
}

// searchBody is a query's parameters as a SearchRequest (RFC 7644
// §3.4.3): numbers as numbers, attribute lists as arrays.
func searchBody(q url.Values) map[string]any {
	b := map[string]any{"schemas": []any{scim.SearchRequestURN}}
	for k, v := range q {
		switch k {
		case "startIndex", "count":
			n, _ := strconv.Atoi(v[0])
			b[k] = n
		case "attributes", "excludedAttributes":
			var l []any
			for _, a := range strings.Split(v[0], ",") {
				l = append(l, a)
			}
			b[k] = l
		default:
			b[k] = v[0]
		}
	}
	return b
}

// query is lr's parameters, its filter scoped to the run.
func (r *run) query(lr listRequest) url.Values {
	f := ""
	if lr.filter != nil {
		f = lr.filter.String()
	}
	_, key := lr.endpoint()
	n := len(r.users)
	if lr.groups {
		n = len(r.groups)
	}
	q := url.Values{"filter": {r.scopeBy(key, f)}}
	for k, v := range lr.params {
		q[k] = v
	}
	if q.Get("count") == "" {
		q.Set("count", strconv.Itoa(n+10)) // one page holds every resource of the run
	}
	return q
}

// compareList sends lr to both sides and compares the lists by what the
// RFC fixes: the status class, totalResults; unpaged, the set of users and
// each user's attributes; sorted, the sequence of sort keys (ties may come
// in any order); paged but unsorted, only how many came back (the order,
// and so a page's members, is the server's).
func (r *run) compareList(lr listRequest) (*Disagreement, error) {
	req, q := r.request(lr), r.query(lr)
	ta, tdoc, err := r.tgt.send(r.ctx, req)
	if err != nil {
		return nil, err
	}
	ra, rdoc, err := r.ref.send(r.ctx, req)
	if err != nil {
		return nil, err
	}
	kind, clause := lr.kind()
	d := &Disagreement{Kind: kind, Clause: clause, Requests: []Sent{sent(req)}, Target: ta, Reference: ra}
	_, key := lr.endpoint()
	tl, rl := readList(tdoc, q, key, r.tgt.names()), readList(rdoc, q, key, r.ref.names())
	d.Requests[0].Expect = &Expected{Status: ra.Status}
	if ra.Status/100 == 2 {
		d.Requests[0].Expect.List = &rl
	}
	if d.Why = judgeList(q, ta.Status, tl, ra.Status, rl); d.Why == "" {
		return nil, nil
	}
	return d, nil
}

// sortKeyOf reads the sortBy attribute of a resource, lower-cased: the
// attributes sorted on are caseExact false, so ordered case-insensitively.
func sortKeyOf(by string) func(map[string]any) string {
	if by == "" {
		return nil
	}
	return func(m map[string]any) string {
		v := any(m)
		for _, part := range strings.Split(by, ".") {
			mm, _ := v.(map[string]any)
			v = lookup(mm, part)
		}
		return strings.ToLower(fmt.Sprint(v))
	}
}

// judgeList compares a list answer of the target with the reference's,
// for the request of query q, and says how they disagree ("" if not).
// The status classes were compared already when rStatus is not 2xx.
func judgeList(q url.Values, tStatus int, tl listed, rStatus int, rl listed) string {
	if tStatus/100 != rStatus/100 {
		return fmt.Sprintf("the target answered %d, the reference %d", tStatus, rStatus)
	}
	if rStatus/100 != 2 {
		return ""
	}
	sorted := q.Get("sortBy") != ""
	// A page that starts at the first result and has room for all of
	// them holds the whole result set; any other page's members depend on
	// an order the server chooses when unsorted.
	start, _ := strconv.Atoi(q.Get("startIndex"))
	count, err := strconv.Atoi(q.Get("count"))
	paged := start > 1 || err == nil && count < rl.Total
	switch {
	case !tl.ok:
		return "the target's answer is not a ListResponse with totalResults (RFC 7644 §3.4.2)"
	case tl.Total != rl.Total:
		return fmt.Sprintf("totalResults: the target says %d, the reference %d", tl.Total, rl.Total)
	case len(tl.Names) != len(rl.Names):
		return fmt.Sprintf("the target returned %d resources, the reference %d", len(tl.Names), len(rl.Names))
	case sorted && !slices.Equal(tl.Keys, rl.Keys):
		return fmt.Sprintf("the page is not in sort order: the target's keys %q, the reference's %q", tl.Keys, rl.Keys)
	case !sorted && paged:
		return ""
	case !sorted && !sameSet(tl.Names, rl.Names):
		return fmt.Sprintf("the target returned %s, the reference %s", setDiff(tl.Names, rl.Names), setDiff(rl.Names, tl.Names))
	}
	for _, name := range slices.Sorted(maps.Keys(rl.Docs)) {
		if td, ok := tl.Docs[name]; ok && !reflect.DeepEqual(td, rl.Docs[name]) {
			return fmt.Sprintf("%s differs: the target returned %s, the reference %s", name, canonical(td), canonical(rl.Docs[name]))
		}
	}
	return ""
}

// readList reads a list answer to the request of query q, telling its
// resources apart by key (userName, displayName: listRequest.endpoint);
// names maps the answering side's ids to the run's names (see
// normaliseResource).
func readList(doc map[string]any, q url.Values, key string, names map[string]string) listed {
	sortKey := sortKeyOf(q.Get("sortBy"))
	l := listed{Docs: map[string]any{}}
	if doc == nil {
		return l
	}
	n, err := strconv.Atoi(fmt.Sprint(doc["totalResults"]))
	if err != nil {
		return l
	}
	l.Total, l.ok = n, true
	rs, _ := doc["Resources"].([]any)
	for _, x := range rs {
		m, _ := x.(map[string]any)
		name := fmt.Sprint(lookup(m, key))
		l.Names = append(l.Names, name)
		l.Docs[name] = normaliseResource(m, names)
		if sortKey != nil {
			l.Keys = append(l.Keys, sortKey(m))
		}
	}
	return l
}

// lookup reads a top-level attribute in any case (RFC 7643 §2.1).
func lookup(m map[string]any, name string) any {
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// normalise removes what the RFC leaves to the server: id, meta and
// schemas (compared elsewhere), groups (derived, RFC 7643 §4.1.2), case of
// attribute names, order of multi-valued elements, and an empty value
// against an absent one (RFC 7643 §2.5).
func normalise(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			lk := strings.ToLower(k)
			if lk == "id" || lk == "meta" || lk == "schemas" || lk == "groups" {
				continue
			}
			// An extension's URN keys are compared the same way.
			if n := normalise(e); n != nil {
				out[lk] = n
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		var out []any
		for _, e := range x {
			if n := normalise(e); n != nil {
				out = append(out, n)
			}
		}
		if len(out) == 0 {
			return nil
		}
		sort.Slice(out, func(i, j int) bool { return canonical(out[i]) < canonical(out[j]) })
		return out
	case json.Number:
		return x.String()
	case nil:
		return nil
	default:
		return x
	}
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

// normaliseResource is normalise after replacing a Group's members by the
// names of the resources they point to, as names maps this side's ids
// (RFC 7643 §4.2): the ids differ between the sides; $ref, display and
// type are the server's to fill in or leave out; the members are a set —
// the order is the server's and one member listed twice is one member.
// An id the run did not create reads as "(another id)".
func normaliseResource(doc map[string]any, names map[string]string) any {
	if doc == nil {
		return nil
	}
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		if !strings.EqualFold(k, "members") {
			out[k] = v
			continue
		}
		var ms []any
		for _, m := range asSlice(v) {
			mm, _ := m.(map[string]any)
			n, ok := names[fmt.Sprint(lookup(mm, "value"))]
			if !ok {
				n = "(another id)"
			}
			if !slices.Contains(ms, any(n)) {
				ms = append(ms, n)
			}
		}
		out[k] = ms
	}
	return normalise(out)
}

func canonical(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// setDiff describes what a has that b lacks.
func setDiff(a, b []string) string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		return "nothing more"
	}
	return strings.Join(out, ", ")
}

// sortable are the attributes sorted pages are generated over (RFC 7644
// §3.4.2.3), all single-valued strings every user has.
var sortable = []string{"userName", "displayName", "title", "name.familyName"}

// sorted sends a sorted page: sortBy, maybe sortOrder, startIndex, count.
func (r *run) sorted() (*Disagreement, error) {
	q := url.Values{"sortBy": {sortable[r.rnd.IntN(len(sortable))]}}
	if o := r.rnd.IntN(3); o > 0 {
		q.Set("sortOrder", []string{"", "ascending", "descending"}[o])
	}
	if r.rnd.IntN(3) > 0 {
		q.Set("startIndex", strconv.Itoa(1+r.rnd.IntN(len(r.users))))
		q.Set("count", strconv.Itoa(1+r.rnd.IntN(len(r.users))))
	}
	return r.list(listRequest{params: q})
}

// grow sends a page, creates a user on both sides, and sends the next
// page. Pagination is not stateful (RFC 7644 §3.4.2.4: the service
// provider need not keep the result set between requests), so nothing is
// asserted across the two pages — no "not seen twice" — but each page is
// compared with the reference's, which holds the same data at that
// moment: totalResults counts the new user, a sorted page places it.
func (r *run) grow() (*Disagreement, error) {
	if len(r.users) >= 2*r.cfg.Users { // the population stays bounded
		return r.filtered()
	}
	count := 1 + r.rnd.IntN(len(r.users)/2+1)
	q := url.Values{"startIndex": {"1"}, "count": {strconv.Itoa(count)}}
	if r.cfg.Sort {
		q.Set("sortBy", sortable[r.rnd.IntN(len(sortable))])
		if r.rnd.IntN(2) == 0 {
			q.Set("sortOrder", "descending")
		}
	}
	if d, err := r.list(listRequest{params: q}); err != nil || d != nil {
		return d, err
	}
	u := newUser(r.rnd, r.cfg.Prefix, len(r.users))
	r.users = append(r.users, u)
	if d, err := r.createBoth(u); err != nil || d != nil {
		return d, err
	}
	next := maps.Clone(q)
	next.Set("startIndex", strconv.Itoa(1+count))
	return r.list(listRequest{params: next})
}

// projections are attributes/excludedAttributes values (RFC 7644 §3.4.2.5).
var projections = []string{"userName", "displayName", "emails", "name.givenName", "title,active", "emails.value", "name"}

// projected sends a list with attributes or excludedAttributes.
func (r *run) projected() (*Disagreement, error) {
	param := "attributes"
	if r.rnd.IntN(2) == 0 {
		param = "excludedAttributes"
	}
	lr := listRequest{params: url.Values{param: {projections[r.rnd.IntN(len(projections))]}}}
	if r.rnd.IntN(2) == 0 {
		g := &filters{rnd: r.rnd, users: r.users}
		lr.filter = g.next(1)
	}
	lr.search = r.search && r.vrnd.IntN(4) == 0
	return r.list(lr)
}

// patch sends a sequence of one to three operations to one user on both
// sides, then reads the user back from both.
func (r *run) patch() (*Disagreement, error) {
	u := r.users[r.rnd.IntN(len(r.users))]
	ops := r.patchOps(u.UserName)
	var proj url.Values // now and then, the answer shaped as §3.9 lets a client ask
	if r.vrnd.IntN(5) == 0 {
		proj = url.Values{[]string{"attributes", "excludedAttributes"}[r.vrnd.IntN(2)]: {projections[r.vrnd.IntN(len(projections))]}}
	}
	d, err := r.comparePatch(u.UserName, ops, nil, proj)
	if err != nil || d == nil {
		return d, err
	}
	return r.shrinkPatch(u.UserName, ops, proj, d)
}

func (r *run) patchOps(userName string) []any {
	g := &filters{rnd: r.rnd, users: r.users}
	n := 1 + r.rnd.IntN(3)
	var ops []any
	for range n {
		var op map[string]any
		switch r.rnd.IntN(8) {
		case 0:
			op = map[string]any{"op": "replace", "path": "title", "value": titles[r.rnd.IntN(len(titles))]}
		case 1:
			op = map[string]any{"op": "replace", "value": map[string]any{"displayName": "Renamed " + strconv.Itoa(r.rnd.IntN(100))}}
		case 2:
			// Each add grows the user: a long run keeps users small.
			if r.adds[userName] >= 3 {
				op = map[string]any{"op": "remove", "path": `emails[type eq "other"]`}
				r.adds[userName] = 0
				break
			}
			r.adds[userName]++
			op = map[string]any{"op": "add", "path": "emails", "value": []any{map[string]any{"value": fmt.Sprintf("extra%d@other.example.net", r.rnd.IntN(1000)), "type": "other"}}}
		case 3:
			op = map[string]any{"op": "remove", "path": `emails[type eq "home"]`}
		case 4:
			op = map[string]any{"op": "replace", "path": "name.givenName", "value": givenNames[r.rnd.IntN(len(givenNames))]}
		case 5:
			op = map[string]any{"op": "replace", "path": "active", "value": r.rnd.IntN(2) == 0}
		case 6:
			op = map[string]any{"op": "replace", "path": `emails[type eq "work"].value`, "value": fmt.Sprintf("moved%d@work.example.com", r.rnd.IntN(1000))}
		default:
			op = map[string]any{"op": "remove", "path": "title"}
		}
		op["op"] = g.caseOf(op["op"].(string)) // Entra sends "Replace" (RFC 7644 §3.5.2 names are case-insensitive)
		ops = append(ops, op)
	}
	return ops
}

// comparePatch applies ops to userName on both sides and compares the
// status class and then the resource read back. before, if set, is sent
// first (the creation of a fresh copy while shrinking). With proj
// (attributes or excludedAttributes) the PATCH asks for its answer shaped
// (RFC 7644 §3.9), and two 200 answers with a body are compared too: a
// 204 is a legal answer of its own (§3.5.2).
func (r *run) comparePatch(userName string, ops []any, before *client.Request, proj url.Values) (*Disagreement, error) {
	body := map[string]any{"schemas": []any{scim.PatchOpURN}, "Operations": ops}
	d := &Disagreement{Kind: "patch", Clause: "RFC 7644 §3.5.2"}
	if len(ops) == 0 {
		d.Kind, d.Clause = "create", "RFC 7644 §3.3 (the created resource as stored), RFC 7643 §2.1"
	}
	if before != nil {
		d.Users = []map[string]any{before.Body.(map[string]any)}
	}
	var ans, gets [2]Answer
	var docs, pdocs [2]map[string]any
	for i, s := range []*side{r.tgt, r.ref} {
		id := s.ids[userName]
		if len(ops) > 0 {
			req := client.Request{Method: http.MethodPatch, Path: "/Users/" + id, Query: proj, Body: body}
			a, pdoc, err := s.send(r.ctx, req)
			if err != nil {
				return nil, err
			}
			ans[i], pdocs[i] = a, pdoc
			if i == 1 {
				p := sent(client.Request{Method: http.MethodPatch, Path: "/Users/{id}", Query: proj, Body: body})
				p.Expect = &Expected{Status: a.Status}
				d.Requests = append(d.Requests, p)
			}
		}
		g, doc, err := s.send(r.ctx, client.Request{Method: http.MethodGet, Path: "/Users/" + id})
		if err != nil {
			return nil, err
		}
		if g.Status != http.StatusOK || len(ops) == 0 {
			ans[i] = g
		}
		gets[i], docs[i] = g, doc
	}
	d.Target, d.Reference = ans[0], ans[1]
	if ans[0].Status/100 != ans[1].Status/100 {
		d.Why = fmt.Sprintf("the target answered %d, the reference %d", ans[0].Status, ans[1].Status)
		return d, nil
	}
	if len(proj) > 0 && ans[0].Status == http.StatusOK && ans[1].Status == http.StatusOK && pdocs[0] != nil && pdocs[1] != nil {
		pt, pr := normaliseResource(pdocs[0], r.tgt.names()), normaliseResource(pdocs[1], r.ref.names())
		if why := judgeResource(pt, pr); why != "" {
			d.Kind, d.Clause = "patch-projection", "RFC 7644 §3.9 (the answer of a PATCH, §3.5.2)"
			d.Why = "the PATCH's answer to ?" + proj.Encode() + ": " + strings.Replace(why, "read back, ", "", 1)
			return d, nil
		}
	}
	tn, rn := normaliseResource(docs[0], r.tgt.names()), normaliseResource(docs[1], r.ref.names())
	d.Requests = append(d.Requests, Sent{Method: http.MethodGet, Path: "/Users/{id}", Expect: &Expected{Status: gets[1].Status, Resource: rn}})
	if why := judgeResource(tn, rn); why != "" {
		d.Why = why
		if len(ops) > 0 {
			d.Why = "after the PATCH, " + d.Why
		}
		return d, nil
	}
	return nil, nil
}

// judgeResource compares two normalised resources read back.
func judgeResource(tn, rn any) string {
	if reflect.DeepEqual(tn, rn) {
		return ""
	}
	return fmt.Sprintf("read back, the target holds %s, the reference %s", canonical(tn), canonical(rn))
}

// shrinkPatch looks for a shorter operation list that still disagrees, each
// try on a fresh copy of the user as the reference held it before.
func (r *run) shrinkPatch(userName string, ops []any, proj url.Values, d *Disagreement) (*Disagreement, error) {
	// A projection the disagreement does not need is left out.
	if proj != nil {
		if sd, err := r.onFreshCopy(userName, ops, nil); err != nil {
			return nil, err
		} else if sd != nil {
			proj, d = nil, sd
		}
	}
	// A copy that disagrees before any PATCH: the create is the defect.
	if sd, err := r.onFreshCopy(userName, nil, nil); err != nil || sd != nil {
		if sd != nil {
			sd.Shrunk = true
		}
		return sd, err
	}
	for len(ops) > 1 {
		progressed := false
		for i := range ops {
			try := append(slices.Clone(ops[:i]), ops[i+1:]...)
			sd, err := r.onFreshCopy(userName, try, proj)
			if err != nil {
				return nil, err
			}
			if sd != nil {
				ops, d, progressed = try, sd, true
				break
			}
		}
		if !progressed {
			break
		}
	}
	// The reported case starts from its own POST, so it reproduces without
	// the rest of the population.
	if len(d.Users) == 0 {
		if sd, err := r.onFreshCopy(userName, ops, proj); err != nil {
			return nil, err
		} else if sd != nil {
			d = sd
		}
	}
	d.Shrunk = true
	return d, nil
}

// onFreshCopy creates a new user like the original one (as generated) on
// both sides and applies ops to it.
func (r *run) onFreshCopy(userName string, ops []any, proj url.Values) (*Disagreement, error) {
	var u user
	for _, x := range r.users {
		if x.UserName == userName {
			u = x
		}
	}
	r.fresh++
	u.UserName = fmt.Sprintf("%s-Shrink%d", r.cfg.Prefix, r.fresh)
	req := client.Request{Method: http.MethodPost, Path: "/Users", Body: u.doc()}
	for _, s := range []*side{r.tgt, r.ref} {
		a, err := s.create(r.ctx, u.UserName, req)
		if err != nil {
			return nil, err
		}
		if a.Status/100 != 2 {
			return nil, nil // cannot reproduce on a copy: keep the larger case
		}
	}
	return r.comparePatch(u.UserName, ops, &req, proj)
}

// cleanup deletes every group and then every user this run created, on
// both sides.
func (r *run) cleanup() {
	for _, s := range []*side{r.tgt, r.ref} {
		for key, id := range s.gids {
			a, _, err := s.send(r.ctx, client.Request{Method: http.MethodDelete, Path: "/Groups/" + id})
			if err != nil || (a.Status != http.StatusNoContent && a.Status != http.StatusOK && a.Status != http.StatusNotFound) {
				r.cleanupErrs = append(r.cleanupErrs, fmt.Sprintf("%s: group %s (%s): status %d %v", s.name, key, id, a.Status, err))
			}
		}
		for name, id := range s.ids {
			a, _, err := s.send(r.ctx, client.Request{Method: http.MethodDelete, Path: "/Users/" + id})
			if err != nil || (a.Status != http.StatusNoContent && a.Status != http.StatusOK && a.Status != http.StatusNotFound) {
				r.cleanupErrs = append(r.cleanupErrs, fmt.Sprintf("%s: %s (%s): status %d %v", s.name, name, id, a.Status, err))
			}
		}
	}
}
