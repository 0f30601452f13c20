package differential

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"

	"github.com/scimharness/scimharness/harness/client"

	"github.com/scimharness/scimharness/scim"
)

// user is one generated User: every attribute the filters use, drawn from
// small vocabularies so that filters match several users and ties occur
// (sorting and paging are then tested where they are hard).
type user struct {
	UserName, DisplayName, Title string
	GivenName, FamilyName        string
	UserType                     string // empty: absent
	Active                       bool
	Emails                       []email
}

type email struct {
	Value, Type string
	Primary     bool
}

var (
	givenNames  = []string{"Ada", "Alan", "Grace", "Edsger", "Barbara", "Ken"}
	familyNames = []string{"Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Thompson"}
	titles      = []string{"Engineer", "Manager", "Director", "engineer", "Intern"}
	userTypes   = []string{"Employee", "Contractor", ""}
)

// population returns n users whose userNames all start with prefix.
func population(rnd *rand.Rand, prefix string, n int) []user {
	out := make([]user, n)
	for i := range out {
		out[i] = newUser(rnd, prefix, i)
	}
	return out
}

// newUser is the i-th generated user of a run.
func newUser(rnd *rand.Rand, prefix string, i int) user {
	g, f := givenNames[rnd.IntN(len(givenNames))], familyNames[rnd.IntN(len(familyNames))]
	u := user{
		// Mixed case: a server that changes the case of what it stores
		// disagrees (userName is caseExact false, but returned as sent).
		UserName:    fmt.Sprintf("%s-%s.%s%d", prefix, g, f, i),
		DisplayName: g + " " + f,
		Title:       titles[rnd.IntN(len(titles))],
		GivenName:   g,
		FamilyName:  f,
		UserType:    userTypes[rnd.IntN(len(userTypes))],
		Active:      rnd.IntN(4) > 0,
	}
	u.Emails = []email{{Value: fmt.Sprintf("%s.%s%d@work.example.com", strings.ToLower(g), strings.ToLower(f), i), Type: "work", Primary: true}}
	if rnd.IntN(2) == 0 {
		u.Emails = append(u.Emails, email{Value: fmt.Sprintf("%s%d@home.example.org", strings.ToLower(g), i), Type: "home"})
	}
	return u
}

// doc is the user as a POST /Users body (RFC 7643 §4.1).
func (u user) doc() map[string]any {
	d := map[string]any{
		"schemas":     []any{scim.UserURN},
		"userName":    u.UserName,
		"displayName": u.DisplayName,
		"title":       u.Title,
		"name":        map[string]any{"givenName": u.GivenName, "familyName": u.FamilyName},
		"active":      u.Active,
	}
	if u.UserType != "" {
		d["userType"] = u.UserType
	}
	var es []any
	for _, e := range u.Emails {
		es = append(es, map[string]any{"value": e.Value, "type": e.Type, "primary": e.Primary})
	}
	d["emails"] = es
	return d
}

// shrinkPopulation finds a small set of users on which lr still disagrees,
// so that the case reproduces on its own (delta debugging, bounded). The
// run's users are deleted on both sides; each try creates copies of a
// subset as the reference holds them now (after the run's PATCHes) with
// the same userNames — so the filter's literals and the scope mean what
// they meant — sends lr, and deletes the copies again.
func (r *run) shrinkPopulation(lr listRequest, d *Disagreement) (*Disagreement, error) {
	var bodies []map[string]any
	for _, u := range r.users {
		id, ok := r.ref.ids[u.UserName]
		if !ok {
			continue
		}
		a, doc, err := r.ref.send(r.ctx, client.Request{Method: http.MethodGet, Path: "/Users/" + id})
		if err != nil {
			return nil, err
		}
		if a.Status != http.StatusOK || doc == nil {
			return d, nil // the reference cannot say what it holds: keep the case as found
		}
		bodies = append(bodies, asCreate(doc))
	}
	for _, u := range r.users {
		for _, s := range []*side{r.tgt, r.ref} {
			if err := s.remove(r.ctx, u.UserName); err != nil {
				return nil, err
			}
			if _, left := s.ids[u.UserName]; left {
				return d, nil // a copy could not take its name: keep the case as found
			}
		}
	}
	best, err := r.onUsers(lr, bodies)
	if err != nil {
		return nil, err
	}
	if best == nil {
		d.Why += " (recreated on their own, the same users agree: the case needs the run's history)"
		return d, nil
	}
	return minimise(bodies, best, func(set []map[string]any) (*Disagreement, error) { return r.onUsers(lr, set) })
}

// minimise finds a small subset of set on which try still disagrees
// (delta debugging, at most 64 tries) and returns try's disagreement on
// it; best is try's disagreement on the whole set.
func minimise(set []map[string]any, best *Disagreement, try func([]map[string]any) (*Disagreement, error)) (*Disagreement, error) {
	n := 2
	for tries := 0; len(set) > 1 && tries < 64; {
		chunks := split(set, n)
		candidates := chunks
		if n > 2 {
			for i := range chunks {
				candidates = append(candidates, slices.Concat(slices.Concat(chunks[:i]...), slices.Concat(chunks[i+1:]...)))
			}
		}
		progressed := false
		for i, c := range candidates {
			tries++
			sd, err := try(c)
			if err != nil {
				return nil, err
			}
			if sd != nil {
				set, best, progressed = c, sd, true
				if n = 2; i >= len(chunks) {
					n = max(len(chunks)-1, 2) // a complement: keep the granularity
				}
				break
			}
		}
		if !progressed {
			if n >= len(set) {
				break
			}
			n = min(2*n, len(set))
		}
	}
	return best, nil
}

// onUsers creates users on both sides, compares lr, and deletes them; nil
// when they agree or a copy cannot be created.
func (r *run) onUsers(lr listRequest, users []map[string]any) (*Disagreement, error) {
	return r.onCopies("/Users", "userName", func(s *side) map[string]string { return s.ids }, users, func() (*Disagreement, error) {
		d, err := r.compareList(lr)
		if d != nil {
			d.Users, d.Shrunk = users, true
		}
		return d, err
	})
}

// onCopies creates docs at endpoint on both sides, each remembered in
// ids under its key attribute, runs compare and deletes them again; nil
// when a copy cannot be created.
func (r *run) onCopies(endpoint, key string, ids func(*side) map[string]string, docs []map[string]any, compare func() (*Disagreement, error)) (*Disagreement, error) {
	defer func() {
		for _, d := range docs {
			name, _ := d[key].(string)
			for _, s := range []*side{r.tgt, r.ref} {
				_ = s.delete(r.ctx, endpoint+"/", ids(s), name) // what stays is deleted by cleanup
			}
		}
	}()
	for _, d := range docs {
		name, _ := d[key].(string)
		req := client.Request{Method: http.MethodPost, Path: endpoint, Body: d}
		for _, s := range []*side{r.ref, r.tgt} {
			a, err := s.createIn(r.ctx, ids(s), name, req)
			if err != nil {
				return nil, err
			}
			if a.Status/100 != 2 {
				return nil, nil
			}
		}
	}
	return compare()
}

// split cuts s into n parts of nearly equal length (n ≤ len(s)).
func split[T any](s []T, n int) [][]T {
	var out [][]T
	for i := range n {
		out = append(out, s[i*len(s)/n:(i+1)*len(s)/n])
	}
	return out
}

// asCreate is a resource as read back, as a POST body: without what the
// server assigns (id, meta) or derives (groups, RFC 7643 §4.1.2).
func asCreate(doc map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range doc {
		switch strings.ToLower(k) {
		case "id", "meta", "groups":
			continue
		}
		out[k] = v
	}
	return out
}
