package differential

import (
	"fmt"
	"math/rand/v2"
	"strings"

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
		out[i] = u
	}
	return out
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
