package entra

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
)

// The generated directory: people with names, titles, departments, work
// addresses, phones, managers and app roles, deterministic from the seed.
// Values that must be unique per run (userPrincipalName, mail,
// mailNickname, object ids, group names) are finished at request time with
// the run prefix, so that two runs never collide on a shared server and
// everything created carries the prefix.

type location struct {
	street, city, state, postal, country, lang string
}

// Non-ASCII regions on purpose: values must round-trip as UTF-8.
var locations = []location{
	{"123 Pike St", "Seattle", "WA", "98101", "US", "en-US"},
	{"8 Rue de Rivoli", "Paris", "Île-de-France", "75004", "FR", "fr-FR"},
	{"Unter den Linden 5", "Berlin", "Berlin", "10117", "DE", "de-DE"},
	{"2-1 Marunouchi", "Chiyoda", "Tōkyō", "100-0005", "JP", "ja-JP"},
	{"1 George St", "Sydney", "NSW", "2000", "AU", "en-AU"},
	{"200 Bay St", "Toronto", "ON", "M5J 2J2", "CA", "en-CA"},
}

var (
	givenNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Katherine", "Donald", "Margaret",
		"Tim", "Radia", "Ken", "Frances", "Niklaus", "Hedy", "John", "Renée", "Zoë", "Sophie"}
	surnames = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Johnson", "Knuth", "Hamilton",
		"Berners-Lee", "Perlman", "Thompson", "Allen", "Wirth", "Lamarr", "Backus", "O'Neil", "Wilson"}
	// newSurnames are the surnames people change to in the incremental
	// cycle (a marriage: surname, displayName, UPN and mail all change).
	newSurnames = []string{"Byron", "King", "Murray", "Stone", "Fairfax", "Grant", "Ashby", "Whitfield", "Okafor", "Nakamura"}
	departments = []string{"Engineering", "Research", "Finance", "Sales", "Support", "Legal"}
	titles      = []string{"Engineer", "Analyst", "Designer", "Consultant", "Specialist"}
)

// person is one generated Entra user.
type person struct {
	idx        int // in the population
	team       int
	given      string
	surname    string
	newSurname string
	local      string // UPN local part, unique in the population ("Ada.Lovelace")
	newLocal   string
	title      string
	newTitle   string
	dept       string
	newDept    string
	loc        location
	newLoc     location
	phone      string
	mobile     string
	fax        string
	employeeID string
	// sparse people have no title, language or phones: Entra's older
	// examples send such attributes as null (TUT).
	sparse  bool
	manager int // population index, -1 for none
	role    string
	newRole string
	// roles2 is the second role of the assertive full list.
	role2 string
	// cache holds the last values computed, for one prefix and seed: a
	// run asks for them on every request and check about the person.
	cache atomic.Pointer[valuesCache]
}

type valuesCache struct {
	prefix string
	seed   int64
	v      [2]map[string]string // before, after the changes
}

func (p *person) name() string { return p.given + " " + p.surname }

// values returns the person's Entra attributes, before (changed false) or
// after the incremental cycle's changes, keyed by the canonical attribute
// names of entraAttrs. Empty means unset. The map is shared: read it only.
func (p *person) values(prefix string, seed int64, changed bool) map[string]string {
	i := 0
	if changed {
		i = 1
	}
	c := p.cache.Load()
	if c != nil && c.prefix == prefix && c.seed == seed && c.v[i] != nil {
		return c.v[i]
	}
	v := p.compute(prefix, seed, changed)
	next := &valuesCache{prefix: prefix, seed: seed}
	if c != nil && c.prefix == prefix && c.seed == seed {
		next.v = c.v
	}
	next.v[i] = v
	p.cache.Store(next)
	return v
}

func (p *person) compute(prefix string, seed int64, changed bool) map[string]string {
	surname, local, title, dept, loc := p.surname, p.local, p.title, p.dept, p.loc
	if changed {
		surname, local, title, dept, loc = p.newSurname, p.newLocal, p.newTitle, p.newDept, p.newLoc
	}
	upn := local + "@" + prefix + ".contoso.example"
	v := map[string]string{
		"userPrincipalName":          upn,
		"mail":                       upn,
		"mailNickname":               strings.ReplaceAll(p.local, ".", "") + "-" + prefix, // never changes
		"objectId":                   guid(seed, prefix, "user", p.idx),
		"displayName":                p.given + " " + surname,
		"givenName":                  p.given,
		"surname":                    surname,
		"jobTitle":                   title,
		"department":                 dept,
		"employeeId":                 p.employeeID,
		"preferredLanguage":          loc.lang,
		"streetAddress":              loc.street,
		"city":                       loc.city,
		"state":                      loc.state,
		"postalCode":                 loc.postal,
		"country":                    loc.country,
		"usageLocation":              loc.country,
		"telephoneNumber":            p.phone,
		"mobile":                     p.mobile,
		"facsimileTelephoneNumber":   p.fax,
		"physicalDeliveryOfficeName": loc.city + " " + fmt.Sprint(10+p.idx%40),
		"companyName":                "Contoso",
	}
	if p.sparse {
		v["preferredLanguage"], v["telephoneNumber"], v["mobile"], v["facsimileTelephoneNumber"] = "", "", "", ""
		if !changed {
			v["jobTitle"] = "" // the incremental cycle gives them one: an Add to an unset attribute
		}
	}
	return v
}

// group is one generated Entra group.
type group struct {
	idx     int
	team    int
	label   string // "Engineering 1"
	members []int  // population indexes, in team order
}

func (g *group) displayName(prefix string) string { return prefix + " " + g.label }
func (g *group) newName(prefix string) string     { return prefix + " " + g.label + " (renamed)" }

// population is everyone, split into teams.
type population struct {
	people []*person
	teams  [][]int // population indexes per team
	groups []*group
}

// generate builds the population: users split into teams of at most
// TeamSize (balanced, so no team has one user when it can be avoided); the
// first of each team manages the others; group g belongs to team g mod
// teams and holds that team's members.
func generate(users, groups int, seed int64, roles []string) *population {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5c1e_e47a))
	gn := shuffled(rng, givenNames)
	sn := shuffled(rng, surnames)
	ns := shuffled(rng, newSurnames)
	pop := &population{}
	nteams := (users + TeamSize - 1) / TeamSize
	used := map[string]bool{}
	// next remembers, per base, the first number not yet tried: every
	// smaller one is taken (used only grows), so the names are those of
	// counting from 2 each time, without the quadratic cost.
	next := map[string]int{}
	unique := func(given, surname string) string {
		base := ascii(given) + "." + ascii(surname)
		key := strings.ToLower(base)
		l := base
		n := max(next[key], 2)
		if used[key] {
			for l = base + strconv.Itoa(n); used[strings.ToLower(l)]; n++ {
				l = base + strconv.Itoa(n+1)
			}
			next[key] = n + 1
		}
		used[strings.ToLower(l)] = true
		return l
	}
	for t := range nteams {
		lo, hi := t*users/nteams, (t+1)*users/nteams
		var team []int
		for i := lo; i < hi; i++ {
			p := &person{
				idx:        i,
				team:       t,
				given:      gn[i%len(gn)],
				surname:    sn[(i+i/len(gn))%len(sn)],
				newSurname: ns[i%len(ns)],
				dept:       departments[t%len(departments)],
				newDept:    departments[(t+1)%len(departments)],
				loc:        locations[rng.IntN(len(locations))],
				phone:      fmt.Sprintf("+1 425 555 %04d", 100+i),
				mobile:     fmt.Sprintf("+1 206 555 %04d", 100+i),
				fax:        fmt.Sprintf("+1 425 555 %04d", 5000+i),
				employeeID: fmt.Sprintf("E%05d", 1000+i),
				sparse:     i%4 == 2,
				manager:    -1,
				role:       roles[i%len(roles)],
				newRole:    roles[(i+1)%len(roles)],
				role2:      roles[(i+2)%len(roles)],
			}
			p.newLoc = locations[(indexOf(locations, p.loc)+1)%len(locations)]
			p.title = titles[rng.IntN(len(titles))]
			p.newTitle = "Senior " + p.title
			if i == lo {
				p.title, p.newTitle = "Engineering Manager", "Director"
			} else {
				p.manager = lo
			}
			p.local = unique(p.given, p.surname)
			pop.people = append(pop.people, p)
			team = append(team, i)
		}
		pop.teams = append(pop.teams, team)
	}
	// New UPNs after everyone's first one is taken, so none collides.
	for _, p := range pop.people {
		p.newLocal = unique(p.given, p.newSurname)
	}
	for g := range groups {
		t := g % max(nteams, 1)
		gr := &group{idx: g, team: t, label: fmt.Sprintf("%s %d", departments[t%len(departments)], g+1)}
		if nteams > 0 {
			gr.members = pop.teams[t]
		}
		pop.groups = append(pop.groups, gr)
	}
	return pop
}

func shuffled(rng *rand.Rand, s []string) []string {
	out := append([]string(nil), s...)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func indexOf(locs []location, l location) int {
	for i, x := range locs {
		if x == l {
			return i
		}
	}
	return 0
}

// ascii folds the accents of the generated names for UPNs (Entra's
// userPrincipalName is ASCII) and drops apostrophes.
func ascii(s string) string {
	return asciiFolder.Replace(s)
}

var asciiFolder = strings.NewReplacer("é", "e", "ë", "e", "'", "", " ", "")

// guid is a deterministic, version-4-shaped GUID: Entra object ids are
// GUIDs, and the Test Connection probe queries a random one.
func guid(seed int64, parts ...any) string {
	h := sha256.Sum256(fmt.Append(nil, seed, parts))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
