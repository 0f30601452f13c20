package entra

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/wire"
)

// IdP is the scenarios' IdP name.
const IdP = "entra"

// Names of the two scenarios every run opens with; Run treats a 404 or
// 401 to the first as an immediate quarantine.
const (
	TestConnectionName = "entra: Test Connection"
	SchemaDiscovery    = "entra: schema discovery"
)

// Scenarios returns Entra's provisioning job as scenarios. With
// Options.Cycle CycleInitial they are Test Connection and one "initial
// cycle" scenario per team (see CycleInitial and initialTeam); otherwise,
// in order:
//
//  1. Test Connection: the random-GUID userName probe.
//  2. Schema discovery: GET /Schemas, checked against the mapping.
//  3. One "provisioning cycles" scenario per team (see TeamSize): the
//     initial cycle (match, create, read back; match again), the manager
//     pass, groups (query, create empty, add members, read without
//     members), and the incremental cycle (attribute updates, app roles,
//     manager replace and remove, group rename, member add and remove,
//     disable, re-enable, hard delete).
//  4. Duplicate create: a second POST of the same user must be 409.
//  5. Booleans as strings: "active":"True" and "primary":"True" on POST.
//  6. Legacy and validator shapes: the unquoted filter value
//     (externalId eq jyoung-<prefix>), a PATCH with path
//     emails[type eq "other"].Value and its read-back, and paging over
//     the scenario's own users with startIndex=N&count=5.
//
// Every scenario builds its requests in code from the generated population
// and the mapping, and reads ${prefix} from the runner, so the same
// scenarios work for any prefix. Requests wait for the Options.Rate limiter
// shared by all scenarios of one call.
func Scenarios(o Options) ([]scenario.Scenario, error) {
	j, err := newJob(o)
	if err != nil {
		return nil, err
	}
	scs := make([]scenario.Scenario, j.n)
	for i := range scs {
		scs[i] = j.at(i)
		if err := scs[i].Validate(); err != nil {
			return nil, fmt.Errorf("entra: harness error: %w", err)
		}
	}
	return scs, nil
}

// job is a provisioning job's scenarios, built when asked for: Provision
// builds an initial cycle's team scenarios as it runs them, so that the
// steps of 10,000 users are not all held at once.
type job struct {
	r *resolved
	g *gen
	// n is the number of scenarios; at(i) builds scenario i.
	n  int
	at func(i int) scenario.Scenario
	// planned is the number of steps of all n scenarios.
	planned int
}

func newJob(o Options) (*job, error) {
	r, err := o.resolve()
	if err != nil {
		return nil, err
	}
	g := &gen{r: r, pop: generate(r.Users, r.Groups, r.Seed, r.Roles), lim: newLimiter(r.Rate), kinds: &sync.Map{}}
	if r.Cycle == CycleInitial {
		j := &job{r: r, g: g, n: 1 + len(g.pop.teams), planned: len(g.testConnection().Steps)}
		j.at = func(i int) scenario.Scenario {
			if i == 0 {
				return g.testConnection()
			}
			return g.initialTeam(i - 1)
		}
		for t := range g.pop.teams {
			j.planned += g.initialSteps(t)
		}
		return j, nil
	}
	if r.Cycle == CycleOnDemand {
		sc := g.onDemand()
		return &job{r: r, g: g, n: 1, at: func(int) scenario.Scenario { return sc }, planned: len(sc.Steps)}, nil
	}
	scs := []scenario.Scenario{g.testConnection()}
	if r.Gallery {
		scs = append(scs, g.schemaDiscovery())
	}
	for t := range g.pop.teams {
		scs = append(scs, g.team(t))
	}
	scs = append(scs, g.duplicate(), g.stringBooleans(), g.legacyShapes())
	j := &job{r: r, g: g, n: len(scs), at: func(i int) scenario.Scenario { return scs[i] }}
	for _, sc := range scs {
		j.planned += len(sc.Steps)
	}
	return j, nil
}

// gen builds the scenarios of one Scenarios call.
type gen struct {
	r   *resolved
	pop *population
	lim *limiter
	// kinds holds, by scenario "\x00" step, the opKind of the steps that
	// are not plain Entra operations: the harness's read-backs and
	// reference updates.
	kinds *sync.Map
}

// opKind is what a step is to Entra's quarantine (QUAR).
type opKind int

const (
	// opEntra is one of Entra's own operations: its failures count
	// toward every threshold.
	opEntra opKind = iota
	// opReference is a reference update (manager, group members): its
	// failures count only toward the absolute threshold of 60,000
	// ("reference failures won't be counted" in the 40% and 40,000).
	opReference
	// opHarness is the harness's own read-back: no Entra operation, so
	// it counts toward nothing.
	opHarness
)

// kind reports what res is to the quarantine.
func (g *gen) kind(res scenario.Result) opKind {
	k, _ := g.kinds.Load(res.Scenario + "\x00" + res.Step)
	kind, _ := k.(opKind)
	return kind
}

// builder appends steps to one scenario.
type builder struct {
	g  *gen
	sc *scenario.Scenario
}

// add appends st: its Build waits for the rate limiter, and every step
// also judges error bodies (an error answer anywhere must be SCIM's) and
// a 406 to Entra's Accept. A step without a Confidence gets one from its
// Source ("(log)" in it: log; Unverified: unverified; else doc), and each
// expectation without a source takes its step's: every request and every
// judgement names where it comes from.
func (b *builder) add(st scenario.Step) {
	b.addOp(st, opEntra)
}

// addReference appends a reference update (manager, group members): an
// Entra operation whose failures Entra's quarantine leaves out of the 40%
// and 40,000 thresholds ("reference failures won't be counted", QUAR) and
// counts only toward the absolute 60,000.
func (b *builder) addReference(st scenario.Step) {
	b.addOp(st, opReference)
}

func (b *builder) addOp(st scenario.Step, kind opKind) {
	if st.Confidence == "" {
		switch {
		case st.Unverified:
			st.Confidence = scenario.Unverified
		case strings.HasPrefix(st.Behaviour, "Harness"):
			st.Confidence = scenario.Harness
		case strings.Contains(st.Source, "(log)"):
			st.Confidence = scenario.Log
		default:
			st.Confidence = scenario.Doc
		}
	}
	if st.Confidence == scenario.Harness {
		kind = opHarness
	}
	if kind != opEntra {
		b.g.kinds.Store(b.sc.Name+"\x00"+st.Name, kind)
	}
	build, lim := st.Build, b.g.lim
	st.Build = func(v scenario.Vars) (client.Request, error) {
		req, err := build(v)
		if err == nil {
			lim.wait()
		}
		return req, err
	}
	if st.SourceURL == "" {
		st.SourceURL = sourceURL(st.Source)
	}
	st.Expect = append(st.Expect, acceptRefused(), errorBody(), errorStatusString())
	st.LendProvenance()
	b.sc.Steps = append(b.sc.Steps, st)
}

func (g *gen) newScenario(name, description string) (*scenario.Scenario, *builder) {
	sc := &scenario.Scenario{Name: name, IdP: IdP, Description: description}
	return sc, &builder{g: g, sc: sc}
}

// ---- request helpers ----

func prefixOf(v scenario.Vars) string { s, _ := v["prefix"].(string); return s }

// ids returns the vars named, as strings. A step that needs ids names the
// first in its When, so in a real run the first is always set; if it is
// not, this is a dry run and placeholders are printed instead. A missing
// later id skips the step.
func ids(v scenario.Vars, names ...string) ([]string, error) {
	out := make([]string, len(names))
	_, dry := v[names[0]]
	dry = !dry
	for i, n := range names {
		val, ok := v[n]
		switch {
		case ok:
			out[i] = fmt.Sprint(val)
		case dry:
			out[i] = "${" + n + "}"
		default:
			return nil, scenario.Skipf("needs ${%s}, which an earlier step did not capture", n)
		}
	}
	return out, nil
}

func esc(id string) string { return url.PathEscape(id) }

// byID builds the request for the resource whose id an earlier step
// captured in var idVar (see ids): to gets its path, endpoint + "/" + the
// escaped id, and the vars.
func byID(endpoint, idVar string, to func(path string, v scenario.Vars) client.Request) func(scenario.Vars) (client.Request, error) {
	return func(v scenario.Vars) (client.Request, error) {
		x, err := ids(v, idVar)
		if err != nil {
			return client.Request{}, err
		}
		return to(endpoint+"/"+esc(x[0]), v), nil
	}
}

// search queries endpoint with the filter the vars give.
func search(endpoint string, filter func(scenario.Vars) string) func(scenario.Vars) (client.Request, error) {
	return func(v scenario.Vars) (client.Request, error) {
		return get(endpoint, url.Values{"filter": {filter(v)}}), nil
	}
}

// getByID reads the resource whose id is in var idVar, with query q.
func getByID(endpoint, idVar string, q url.Values) func(scenario.Vars) (client.Request, error) {
	return byID(endpoint, idVar, func(path string, _ scenario.Vars) client.Request { return get(path, q) })
}

// quote writes a filter string literal (RFC 7644 §3.4.2.2: JSON string).
func quote(s string) string {
	return `"` + quoter.Replace(s) + `"`
}

var quoter = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

func get(path string, q url.Values) client.Request {
	return client.Request{Method: http.MethodGet, Path: path, Query: q}
}

func patch(path string, ops ...any) client.Request {
	return client.Request{Method: http.MethodPatch, Path: path, Body: map[string]any{
		"schemas":    []any{scim.PatchOpURN},
		"Operations": ops,
	}}
}

func op(kind, p string, value any) map[string]any {
	m := map[string]any{"op": kind}
	if p != "" {
		m["path"] = p
	}
	if value != nil {
		m["value"] = value
	}
	return m
}

// ---- the population through the mapping ----

func uvar(p *person) string  { return fmt.Sprintf("u%d", p.idx) }
func gvar(gr *group) string  { return fmt.Sprintf("g%d", gr.idx) }
func label(p *person) string { return fmt.Sprintf("u%d %s", p.idx+1, p.name()) }

func (g *gen) vals(p *person, v scenario.Vars, changed bool) map[string]string {
	return p.values(prefixOf(v), g.r.Seed, changed)
}

// attrValue computes a plain or Join attribute from Entra's values.
func attrValue(a *Attribute, vals map[string]string) string {
	switch a.src.kind {
	case srcAttr:
		return vals[a.src.attrs[0]]
	case srcJoin:
		var parts []string
		for _, n := range a.src.attrs {
			if vals[n] != "" {
				parts = append(parts, vals[n])
			}
		}
		return strings.Join(parts, a.src.sep)
	}
	return ""
}

// plain reports whether a is a string attribute Entra computes from user
// attributes (not active, roles or the manager reference).
func plain(a *Attribute) bool {
	return (a.src.kind == srcAttr || a.src.kind == srcJoin) && !a.isManager()
}

// filter is Entra's matching query for p, by the first matching attribute.
func (g *gen) filter(p *person, v scenario.Vars, changed bool) string {
	return g.filterBy(g.r.match, p, v, changed)
}

func (g *gen) filterBy(m *Attribute, p *person, v scenario.Vars, changed bool) string {
	return m.Target + " eq " + quote(attrValue(m, g.vals(p, v, changed)))
}

func (g *gen) managerMapped() bool { return g.r.mapping.find(scim.EnterpriseUserURN+":manager") != nil }

// set writes value at a mapping target into a resource body, as Entra
// builds it: extension attributes under their URN, filtered multi-valued
// targets as an element with the filter's value (emails of type work get
// primary true, as in TUT's body).
func set(doc map[string]any, p path, value any) {
	obj := doc
	if p.URN != "" {
		ext, _ := doc[p.URN].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			doc[p.URN] = ext
		}
		obj = ext
	}
	if p.filtered() {
		list, _ := obj[p.Attr].([]any)
		var elem map[string]any
		for _, e := range list {
			if m, ok := e.(map[string]any); ok && strings.EqualFold(fmt.Sprint(m[p.FilterAttr]), p.FilterVal) {
				elem = m
			}
		}
		if elem == nil {
			elem = map[string]any{}
			if strings.EqualFold(p.FilterAttr, "primary") {
				elem["primary"] = strings.EqualFold(p.FilterVal, "true")
			} else {
				elem[p.FilterAttr] = p.FilterVal
			}
			if strings.EqualFold(p.Attr, "emails") && strings.EqualFold(p.FilterVal, "work") {
				elem["primary"] = true
			}
			obj[p.Attr] = append(list, elem)
		}
		sub := p.Sub
		if sub == "" {
			sub = "value"
		}
		elem[sub] = value
		return
	}
	if p.Sub != "" {
		m, _ := obj[p.Attr].(map[string]any)
		if m == nil {
			m = map[string]any{}
			obj[p.Attr] = m
		}
		m[p.Sub] = value
		return
	}
	obj[p.Attr] = value
}

// roles is the roles value of a POST body for the mode.
func roles(mode RoleMode, p *person) []any {
	switch mode {
	case RoleSingle:
		return []any{map[string]any{"primary": true, "type": roleType, "value": p.role}}
	case RoleComplex:
		// AppRoleAssignmentsComplex POSTs displayName, not display (MAP).
		return []any{map[string]any{"primary": false, "type": roleType, "displayName": p.role, "value": p.role}}
	case RoleAssertive:
		return []any{map[string]any{"primary": false, "type": roleType, "display": p.role, "value": p.role}}
	}
	return []any{}
}

// userBody is Entra's POST /Users body for p (TUT): core and enterprise
// schemas, meta.resourceType, every mapped attribute that has a value
// (unset ones left out — Entra cannot provision nulls, KNOWN — or sent as
// null with Options.Nulls, as the tutorial's legacy example does), roles
// per the role mode or [], no manager (reference attributes come in a
// later update, HOW).
func (g *gen) userBody(p *person, v scenario.Vars) map[string]any {
	vals := g.vals(p, v, false)
	body := map[string]any{
		"schemas": []any{scim.UserURN, scim.EnterpriseUserURN},
		"meta":    map[string]any{"resourceType": "User"},
		"roles":   []any{},
	}
	for i := range g.r.mapping.Attributes {
		a := &g.r.mapping.Attributes[i]
		switch {
		case a.src.kind == srcActive:
			set(body, a.path, true)
		case a.src.kind == srcRole:
			body["roles"] = roles(a.src.role, p)
		case plain(a):
			val := attrValue(a, vals)
			switch {
			case val != "":
				set(body, a.path, val)
			case g.r.Nulls && !a.path.filtered():
				set(body, a.path, nil)
			}
		}
	}
	return body
}

// userExpectations are the read-back checks of p's mapped attributes.
func (g *gen) userExpectations(p *person, changed bool, active bool) []scenario.Expectation {
	var want []expected
	for i := range g.r.mapping.Attributes {
		a := &g.r.mapping.Attributes[i]
		switch {
		case a.src.kind == srcActive:
			want = append(want, expected{target: a.Target, path: a.path, level: scenario.Must, value: func(scenario.Vars) any { return active }})
		case plain(a):
			level := scenario.Should
			if a == g.r.match || a.path.is("", "userName") || strings.EqualFold(a.Target, workEmailTarget) {
				level = scenario.Must
			}
			want = append(want, expected{target: a.Target, path: a.path, level: level, value: func(v scenario.Vars) any {
				if s := attrValue(a, g.vals(p, v, changed)); s != "" {
					return s
				}
				return nil
			}})
		}
	}
	return readBack(want)
}

// ---- scenarios ----

// testConnection is Test Connection: a query by the matching attribute
// for a random GUID (TUT: "a random GUID as the matching property";
// SCIMReferenceCode issue 63 logs externalId eq "<guid>"), then, when the
// job provisions groups, a random group (TUT: a random user and group are
// fetched). The group query's shape is Entra's displayName query (TUT); that
// Test Connection uses that exact shape is not documented.
func (g *gen) testConnection() scenario.Scenario {
	sc, b := g.newScenario(TestConnectionName, "Test Connection (and the start of every provisioning run): query the matching attribute for a value nobody has, and a random group.")
	m := g.r.match
	probe := func(v scenario.Vars) string {
		return m.Target + " eq " + quote(guid(g.r.Seed, prefixOf(v), "probe"))
	}
	b.add(scenario.Step{
		Name:       "query a random GUID " + m.Target,
		Behaviour:  fmt.Sprintf(`Test Connection sends GET /Users?filter=%s eq "<random GUID>" (the matching attribute) and needs 200 with an empty ListResponse; the same probe opens every provisioning run. A 404 quarantines the app.`, m.Target),
		Source:     "Microsoft Learn: SCIM tutorial (\"a random GUID as the matching property\"); Quarantine status; SCIMReferenceCode issue 63 (log: externalId eq \"<guid>\")",
		SourceURL:  tutURL,
		Confidence: scenario.Doc,
		Clause:     "RFC 7644 §3.4.2",
		Build:      search("/Users", probe),
		Expect:     expectNoMatch(probe, "user", ""),
	})
	if g.r.Groups > 0 {
		gprobe := func(v scenario.Vars) string {
			return "displayName eq " + quote(guid(g.r.Seed, prefixOf(v), "group-probe"))
		}
		b.add(scenario.Step{
			Name:       "query a random GUID group displayName",
			Behaviour:  `Test Connection also fetches a random group: GET /Groups?excludedAttributes=members&filter=displayName eq "<random GUID>" (Entra's group query, SCIM tutorial), which needs 200 with an empty ListResponse.`,
			Source:     "Microsoft Learn: SCIM tutorial (a random user and group are fetched); the query's shape is Entra's group query (SCIM tutorial), its use here unverified",
			SourceURL:  tutURL,
			Confidence: scenario.Doc,
			Clause:     "RFC 7644 §3.4.2",
			Build: func(v scenario.Vars) (client.Request, error) {
				return get("/Groups", url.Values{"excludedAttributes": {"members"}, "filter": {gprobe(v)}}), nil
			},
			Expect: expectNoMatch(gprobe, "group", ""),
		})
	}
	return *sc
}

// tutURL is Microsoft Learn's SCIM tutorial (TUT).
const tutURL = "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups"

func (g *gen) schemaDiscovery() scenario.Scenario {
	sc, b := g.newScenario(SchemaDiscovery, "Entra reads /Schemas to list the attributes an app supports (gallery apps).")
	m := g.r.mapping
	b.add(scenario.Step{
		Name:      "read /Schemas",
		Behaviour: "GET /Schemas when the attribute mapping is opened or saved, to list the target attributes (gallery apps).",
		Source:    "Microsoft Learn: SCIM tutorial",
		Clause:    "RFC 7644 §4",
		Build:     func(scenario.Vars) (client.Request, error) { return get("/Schemas", nil), nil },
		Expect: []scenario.Expectation{
			wantStatus("/Schemas is how Entra learns which attributes the app supports (RFC 7644 §4)", 200),
			scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
				if ex.Status() != 200 {
					return nil
				}
				l, err := voice.ReadListResponse(ex)
				rs := l.Resources
				if err != nil {
					return err
				}
				declared := schemaAttrs(rs)
				if declared[strings.ToLower(scim.UserURN)] == nil {
					return fmt.Errorf("/Schemas does not list the core User schema %s (RFC 7643 §8.7.1)", scim.UserURN)
				}
				return nil
			}),
			scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
				if ex.Status() != 200 {
					return nil
				}
				l, err := voice.ReadListResponse(ex)
				rs := l.Resources
				if err != nil {
					return nil
				}
				declared := schemaAttrs(rs)
				var missing []string
				for _, a := range m.Attributes {
					if a.path.is("", "externalId") {
						continue // a common attribute, in no schema (RFC 7643 §3.1)
					}
					urn := a.path.URN
					if urn == "" {
						urn = scim.UserURN
					}
					attrs := declared[strings.ToLower(urn)]
					sub := a.path.Sub
					if a.path.filtered() && sub == "" {
						sub = "value"
					}
					if !attrs[strings.ToLower(a.path.Attr)] || (sub != "" && !attrs[strings.ToLower(a.path.Attr+"."+sub)]) {
						missing = append(missing, a.Target)
					}
				}
				if len(missing) > 0 {
					return fmt.Errorf("/Schemas does not declare %s, which the %s mapping sends: an admin cannot pick them in Entra's mapping editor, and Entra still sends them", strings.Join(missing, ", "), m.Name)
				}
				return nil
			}).At(scenario.Should),
		},
	})
	return *sc
}

// schemaAttrs indexes /Schemas: lower-case schema id → lower-case
// "attr" and "attr.sub" names.
func schemaAttrs(rs []map[string]any) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, s := range rs {
		id, _ := s["id"].(string)
		names := map[string]bool{}
		list, _ := s["attributes"].([]any)
		for _, e := range list {
			a, _ := e.(map[string]any)
			n, _ := a["name"].(string)
			names[strings.ToLower(n)] = true
			subs, _ := a["subAttributes"].([]any)
			for _, se := range subs {
				sa, _ := se.(map[string]any)
				sn, _ := sa["name"].(string)
				names[strings.ToLower(n+"."+sn)] = true
			}
		}
		out[strings.ToLower(id)] = names
	}
	return out
}

// teamOf returns team t's people, their var names and the team's groups.
func (g *gen) teamOf(t int) (people []*person, names []string, groups []*group) {
	for _, i := range g.pop.teams[t] {
		people = append(people, g.pop.people[i])
		names = append(names, fmt.Sprintf("u%d", i+1))
	}
	for _, gr := range g.pop.groups {
		if gr.team == t {
			groups = append(groups, gr)
		}
	}
	return people, names, groups
}

func (g *gen) flagWord() string {
	if g.r.Flag {
		return "with"
	}
	return "without"
}

// team is one team's provisioning: initial cycle, manager pass, groups,
// incremental cycle.
func (g *gen) team(t int) scenario.Scenario {
	people, names, groups := g.teamOf(t)
	sc, b := g.newScenario(
		fmt.Sprintf("entra: provisioning cycles, team %d (%s)", t+1, strings.Join(names, ", ")),
		fmt.Sprintf("Entra provisions %d users and %d groups %s aadOptscim062020, matching on %s, mapping %s, roles %s.",
			len(people), len(groups), g.flagWord(), g.r.match.Target, g.r.mapping.Name, orNone(g.r.mapping.roleMode())))

	for _, p := range people {
		g.initialUser(b, p, true)
	}
	g.rematch(b, people[0])
	if g.managerMapped() {
		for _, p := range people[1:] {
			g.setManager(b, p, g.pop.people[p.manager])
		}
	}
	for _, gr := range groups {
		g.pushGroup(b, gr, people)
	}
	for _, p := range people {
		g.updateUser(b, p)
	}
	if mode := g.r.mapping.roleMode(); mode != RoleNone {
		for _, p := range people {
			g.changeRole(b, p, mode)
		}
	}
	if g.managerMapped() && len(people) >= 2 {
		g.managerChanges(b, people)
	}
	for _, gr := range groups {
		g.groupChanges(b, gr, people)
		g.deleteGroup(b, gr)
	}
	g.disableAndDelete(b, people[len(people)-1])
	return *sc
}

// initialTeam is one team's share of Entra's initial cycle alone
// (CycleInitial): each user matched, then created; each group matched,
// created empty, then given all its members in one PATCH. Only what Entra
// sends: no harness read-back.
func (g *gen) initialTeam(t int) scenario.Scenario {
	people, names, groups := g.teamOf(t)
	sc, b := g.newScenario(
		fmt.Sprintf("entra: initial cycle, team %d (%s)", t+1, strings.Join(names, ", ")),
		fmt.Sprintf("Entra's initial cycle for %d users and %d groups %s aadOptscim062020, matching on %s, mapping %s, roles %s: match, create, add members.",
			len(people), len(groups), g.flagWord(), g.r.match.Target, g.r.mapping.Name, orNone(g.r.mapping.roleMode())))
	for _, p := range people {
		g.initialUser(b, p, false)
	}
	for _, gr := range groups {
		g.createGroup(b, gr, people, false)
	}
	return *sc
}

// initialSteps is the number of steps of initialTeam(t), without
// building them.
func (g *gen) initialSteps(t int) int {
	people, _, groups := g.teamOf(t)
	n := len(people) * (len(g.r.matches) + 1)
	for _, gr := range groups {
		n += 2
		if len(members(gr, people)) > 0 {
			n++
		}
	}
	return n
}

func orNone(m RoleMode) string {
	if m == RoleNone {
		return "none"
	}
	return string(m)
}

// onDemandProbes is how many random-GUID probes open each on-demand
// request ("several", provision-on-demand page; the number is not given).
const onDemandProbes = 2

// onDemand is provisioning on demand (CycleOnDemand): per user, the
// GUID probes, the match and the create; then one group with at most five
// members. Only what Entra sends: no harness read-back.
func (g *gen) onDemand() scenario.Scenario {
	var people []*person
	var names []string
	for i, p := range g.pop.people[:min(5, len(g.pop.people))] {
		people, names = append(people, p), append(names, fmt.Sprintf("u%d", i+1))
	}
	_, _, groups := g.teamOf(0)
	sc, b := g.newScenario(
		fmt.Sprintf("entra: on-demand provisioning (%s)", strings.Join(names, ", ")),
		fmt.Sprintf("Entra provisions %d user(s) on demand, matching on %s (the aadOptscim062020 flag is ignored on demand), then a group with at most 5 members.", len(people), g.r.match.Target))
	m := g.r.match
	for _, p := range people {
		for k := range onDemandProbes {
			probe := func(v scenario.Vars) string {
				return m.Target + " eq " + quote(guid(g.r.Seed, prefixOf(v), "on-demand", p.idx, k))
			}
			b.add(scenario.Step{
				Name:       fmt.Sprintf("on demand: probe %d for %s", k+1, label(p)),
				Behaviour:  fmt.Sprintf(`An on-demand request opens with several random-GUID queries by the matching attribute: GET /Users?filter=%s eq "<GUID>" → 200, empty ListResponse.`, m.Target),
				Source:     "Microsoft Learn: On-demand provisioning (several GUID probes), SCIM tutorial",
				SourceURL:  OnDemandURL,
				Confidence: scenario.Doc,
				Clause:     "RFC 7644 §3.4.2",
				Build:      search("/Users", probe),
				Expect:     expectNoMatch(probe, "user", ""),
			})
		}
		g.initialUser(b, p, false)
	}
	if len(groups) > 0 {
		// A group on demand handles at most 5 members (provision-on-demand page).
		g.createGroup(b, groups[0], people, false)
	}
	return *sc
}

// ---- extra scenarios ----

// extraPerson is a user outside the teams, for the one-off scenarios.
func (g *gen) extraPerson(n int, given, surname string) *person {
	idx := len(g.pop.people) + n
	loc := locations[n%len(locations)]
	return &person{
		idx: idx, given: given, surname: surname, newSurname: surname,
		local: given + "." + surname, newLocal: given + "." + surname,
		title: "Tester", newTitle: "Tester", dept: "QA", newDept: "QA", loc: loc, newLoc: loc,
		phone: "+1 425 555 0199", mobile: "+1 206 555 0199", fax: "+1 425 555 0198",
		employeeID: fmt.Sprintf("E%05d", 9000+n), manager: -1,
		role: g.r.Roles[0], newRole: g.r.Roles[1%len(g.r.Roles)], role2: g.r.Roles[0],
	}
}

func (g *gen) duplicate() scenario.Scenario {
	sc, b := g.newScenario("entra: duplicate create", "When its lookup misses an existing account, Entra POSTs it again and must get 409 uniqueness.")
	p := g.extraPerson(0, "Dup", "Licate")
	body := func(v scenario.Vars) (client.Request, error) {
		return client.Request{Method: http.MethodPost, Path: "/Users", Body: g.userBody(p, v)}, nil
	}
	b.add(scenario.Step{
		Name:      "create " + p.name(),
		Behaviour: "Entra's POST /Users (SCIM tutorial body).",
		Source:    "Microsoft Learn: SCIM tutorial",
		Clause:    "RFC 7644 §3.3",
		Build:     body,
		Capture:   map[string]string{"dup": "id"},
		Expect:    []scenario.Expectation{wantStatus("Entra expects 201 Created (SCIM tutorial)", http.StatusCreated)},
	})
	b.add(scenario.Step{
		Name:      "create " + p.name() + " again",
		Behaviour: "A second POST of the same userName must be refused with 409 and scimType uniqueness, with a SCIM error body; Entra then reports the conflict instead of retrying.",
		Source:    "Microsoft Learn: SCIM tutorial; go-scim issue 65, gravitee 8290",
		Clause:    "RFC 7644 §3.3, §3.12",
		When:      "dup",
		Build:     body,
		// The one judgement of a duplicate (package judge): 409, the SCIM
		// error body, scimType uniqueness, each a MUST of RFC 7644 §3.3.
		Expect: voice.Duplicate(),
	})
	return *sc
}

func (g *gen) stringBooleans() scenario.Scenario {
	sc, b := g.newScenario("entra: booleans as strings", `Entra and its validator send booleans as the strings "True"/"False"; they must be stored as booleans.`)
	p := g.extraPerson(1, "String", "True")
	b.add(scenario.Step{
		Name:       `create a user with "active":"True"`,
		Behaviour:  `POST /Users with "active":"True" (a string) must give 201 with active true, the JSON boolean. A tolerance test: that Entra itself POSTs string booleans is not shown (the tutorial POSTs a boolean).`,
		Source:     `Unverified for Entra: SCIMReferenceCode issue 21 (its Postman test "Post emp1 with string True" tests the reference server)`,
		Unverified: true,
		Clause:     "RFC 7643 §2.3.2, §4.1.1",
		Build: func(v scenario.Vars) (client.Request, error) {
			body := g.userBody(p, v)
			body["active"] = "True"
			return client.Request{Method: http.MethodPost, Path: "/Users", Body: body}, nil
		},
		Capture: map[string]string{"st": "id"},
		Expect: []scenario.Expectation{
			wantStatus(`Entra's "active":"True" must be accepted (SCIMReferenceCode issue 21); a 400 fails every such create`, http.StatusCreated),
			echo("active", scenario.Must, func(scenario.Vars) any { return true }),
		},
	})
	b.add(scenario.Step{
		Name:      `read back the user created with "active":"True"`,
		Behaviour: "Harness read-back: the stored value is the boolean true.",
		Source:    "SCIMReferenceCode issue 21; django-scim2 issue 35",
		Clause:    "RFC 7643 §4.1.1",
		When:      "st",
		Build:     getByID("/Users", "st", nil),
		Expect: []scenario.Expectation{
			wantStatus("the user must be readable (RFC 7644 §3.4.1)", 200),
			echo("active", scenario.Must, func(scenario.Vars) any { return true }),
		},
	})
	q := g.extraPerson(2, "Primary", "String")
	primary := func() scenario.Expectation {
		return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
			if ex.Status()/100 != 2 {
				return nil
			}
			doc, err := scenario.ResponseJSON(ex)
			if err != nil {
				return err
			}
			p, _ := parsePath(`emails[type eq "work"].primary`)
			got, found := valueAt(doc, p)
			return compare("emails[type eq \"work\"].primary", true, got, found)
		})
	}
	b.add(scenario.Step{
		Name:      `create a user with "primary":"True"`,
		Behaviour: `Microsoft's SCIM validator POSTs "primary":"True" as a string in emails (and roles); it must be stored as the boolean true.`,
		Source:    "Microsoft Learn: Attribute mappings: the validator sends \"primary\":\"True\" (log)",
		Clause:    "RFC 7643 §2.3.2, §2.4",
		Level:     scenario.Should,
		Build: func(v scenario.Vars) (client.Request, error) {
			body := g.userBody(q, v)
			body["emails"] = []any{map[string]any{"primary": "True", "type": "work", "value": g.vals(q, v, false)["mail"]}}
			if g.r.mapping.roleMode() != RoleNone {
				body["roles"] = []any{map[string]any{"primary": "True", "type": roleType, "value": q.role}}
			}
			return client.Request{Method: http.MethodPost, Path: "/Users", Body: body}, nil
		},
		Capture: map[string]string{"sp": "id"},
		Expect: []scenario.Expectation{
			wantStatus(`a string "primary":"True" should be accepted as Microsoft's validator sends it`, http.StatusCreated),
			primary(),
		},
	})
	b.add(scenario.Step{
		Name:      `read back the user created with "primary":"True"`,
		Behaviour: "Harness read-back: the stored primary is the boolean true.",
		Source:    "Microsoft Learn: Attribute mappings (log); SCIMReferenceCode issue 21",
		Clause:    "RFC 7643 §2.4",
		Level:     scenario.Should,
		When:      "sp",
		Build:     getByID("/Users", "sp", nil),
		Expect:    []scenario.Expectation{wantStatus("the user must be readable (RFC 7644 §3.4.1)", 200), primary()},
	})
	return *sc
}

// ---- rate ----

// limiter spaces requests evenly at a rate per second (burst 1), shared by
// every scenario of one Scenarios call: Entra's rate is per tenant.
type limiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func newLimiter(perSecond float64) *limiter {
	if perSecond <= 0 {
		return nil
	}
	return &limiter{interval: time.Duration(float64(time.Second) / perSecond)}
}

func (l *limiter) wait() {
	if l == nil {
		return
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	l.mu.Unlock()
	time.Sleep(time.Until(at))
}
