// Package okta simulates Okta's SCIM 2.0 provisioning client: it generates
// scenarios that send what Okta sends, in Okta's order, and judge the
// answers the way Okta depends on them.
//
// Behaviours reproduced (the Okta section of the harness's IdP catalog,
// idp-behaviour.md, and its "Corrections and additions", which win where
// they differ; documented by developer.okta.com's SCIM 2.0 reference and
// FAQ — "Okta SCIM reference" below — and by the Okta SCIM 2.0 spec test,
// Okta-SCIM-20-SPEC-Test.json). Every step names its source and
// confidence; golden transcripts are under fixtures/transcripts.
//
//   - Two kinds of app ([Options].App): a custom App Integration Wizard
//     app (AppAIW, the default — what developers build first) sends
//     deactivation, reactivation, group rename and membership changes as
//     PUT of the whole resource (doc; log, coder/coder issue 15828); a
//     catalog (OIN) app sends them as PATCH, plus password sync.
//   - Headers: User-Agent "Okta SCIM Client 1.0.0", Content-Type
//     "application/scim+json; charset=utf-8", Accept application/scim+json,
//     Accept-Charset utf-8 (see [ClientConfig]; log, okta-blog-archive PR 1956).
//   - Connection test: GET /Users?startIndex=1&count=2 (log, same PR).
//   - Assign: GET /Users?filter=userName eq "…"&startIndex=1&count=100 →
//     200 with totalResults 0 (or a 404 with the Error schema, "another
//     acceptable response"); then POST /Users with externalId, groups [],
//     password, active true, locale, displayName, name and emails → 201
//     with a body echoing them (an empty 201 body is an error for Okta)
//     and no password.
//   - Update: GET /Users/{id}, then PUT of the resource as read — id, meta
//     and groups included — with changed attributes → 200.
//   - Deactivate and reactivate: AIW, GET then PUT with active false/true;
//     OIN, PATCH {"op":"replace","value":{"active":false}} (and true), then
//     a password sync PATCH. A 204 to a PATCH is fine (doc). Okta never
//     DELETEs users, and neither does any scenario here (the runner's
//     cleanup is the harness's own).
//   - Import: GET /Users?startIndex=1&count=N, then startIndex+N — the
//     count asked, not the number returned (doc), so a server that caps
//     count fails: the real Okta skips users; paging fields integers, order
//     stable; then GET /Groups?startIndex=1&count=N.
//   - The spec test's own inputs and checks: GET /Users?count=1&startIndex=1
//     finds a user whose id, userName, name.givenName, name.familyName,
//     active and emails[0].value are not empty; get by id; unknown
//     userName filter → totalResults 0; an upper-cased userName filter →
//     200 (finding the user is the RFC's caseExact=false); POST with
//     Content-Type application/json; duplicate → 409; the non-UUID unknown
//     ids 010101001010101011001010101011 and 00919288221112222 → 404;
//     Authorization: non-token → 401, each with the Error schema (the 401
//     and the "Check status 404" with a detail); most steps under 600 ms
//     (MAY: informational).
//   - Group push: POST /Groups with members [] → 201; then AIW: PUT of the
//     whole group for the rename and each membership change; OIN: rename
//     with a path-less replace carrying the read-only id — also before each
//     membership change (doc) — membership in one PATCH (remove with path
//     members[value eq "…"] and no value, then add with [{"value","display"}]),
//     full push with replace path members; DELETE /Groups/{id} → 204.
//
// Unverified, so not simulated: an Okta client timeout, and that Okta
// retries a 5xx.
//
// Okta never calls /Schemas, /ServiceProviderConfig, /ResourceTypes, /Bulk or
// /.search; no scenario does. Every Okta behaviour above is documented or
// logged, so no step is marked unverified; the read-back GETs that confirm
// an effect are the harness's own and say so (confidence harness).
//
// userNames carry the run prefix and mixed case ("…-Ada.Lovelace.lc1@example.com"),
// so a server that changes their case shows itself.
package okta

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/simulators/internal/simrun"
	"github.com/scimharness/scimharness/wire"
)

const (
	// IdP names the simulated identity provider in scenarios and results.
	IdP = "okta"
	// UserAgent is the User-Agent Okta sends (Okta SCIM reference).
	UserAgent = "Okta SCIM Client 1.0.0"
	// ContentType is the media type of Okta's request bodies.
	ContentType = "application/scim+json; charset=utf-8"
	// Accept is the Accept header Okta sends.
	Accept = "application/scim+json"
	// AcceptCharset is the Accept-Charset header of an Okta capture (log,
	// okta-blog-archive PR 1956).
	AcceptCharset = "utf-8"
)

// Defaults of [Options].
const (
	DefaultUsers          = 2
	DefaultGroups         = 1
	DefaultImportPageSize = 100
	DefaultImportMaxPages = 10
)

// groupMembers is how many users the group push uses: three, so that a
// remove of one member that wipes the others shows itself.
const groupMembers = 3

// Options choose what to simulate.
type Options struct {
	// Users is the number of users assigned, updated and deactivated, and
	// created for the import; default 2.
	Users int
	// Groups is the number of groups pushed; default 1. Each push uses
	// three users of its own.
	Groups int
	// Prefix is the run prefix Run uses when scenario.Options.Prefix is
	// empty. Scenarios refer to it as ${prefix}, so the runner's prefix is
	// always the one in effect.
	Prefix string
	// Seed chooses the generated names, externalIds and passwords; the same
	// seed gives the same scenarios.
	Seed int64
	// ImportPageSize is the count of each import page; default 100, as
	// Okta sends.
	ImportPageSize int
	// ImportMaxPages bounds the import, default 10: a scenario's steps are
	// fixed in advance, so the import has one step per possible page, and
	// the pages after the last are reported as skipped. An import that
	// reaches the bound without seeing the end says so (skipped, not
	// passed).
	ImportMaxPages int
	// App is the kind of Okta app simulated: AppAIW (the default, also
	// for "") or AppOIN.
	App App
}

// App is the kind of Okta app: how it sends deactivation, reactivation,
// group renames and membership changes (Okta SCIM 2.0 reference).
type App string

const (
	// AppAIW is a custom app built with the App Integration Wizard — what
	// most developers build first: deactivation, reactivation, group
	// rename and membership changes are PUTs of the whole resource (doc,
	// Okta SCIM 2.0 reference; log, coder/coder issue 15828: "making PUT
	// request … method=deactivateUser").
	AppAIW App = "aiw"
	// AppOIN is an app from the Okta Integration Network catalog: those
	// changes are PATCHes (Okta SCIM 2.0 reference).
	AppOIN App = "oin"
)

// ParseApp reads an app kind as a flag gives it: "aiw" (or empty) or
// "oin", case-insensitively.
func ParseApp(s string) (App, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", string(AppAIW):
		return AppAIW, nil
	case string(AppOIN):
		return AppOIN, nil
	}
	return "", fmt.Errorf("okta: app %q: want aiw or oin", s)
}

func (o Options) normalized() (Options, error) {
	app, err := ParseApp(string(o.App))
	if err != nil {
		return o, err
	}
	o.App = app
	for _, f := range []struct {
		name string
		v    *int
		def  int
	}{
		{"Users", &o.Users, DefaultUsers},
		{"Groups", &o.Groups, DefaultGroups},
		{"ImportPageSize", &o.ImportPageSize, DefaultImportPageSize},
		{"ImportMaxPages", &o.ImportMaxPages, DefaultImportMaxPages},
	} {
		switch {
		case *f.v < 0:
			return o, fmt.Errorf("okta: %s is %d; it must be positive", f.name, *f.v)
		case *f.v == 0:
			*f.v = f.def
		}
	}
	return o, simrun.CheckPrefix(IdP, o.Prefix)
}

// ClientConfig returns base configured as Okta sends: its User-Agent,
// Content-Type application/scim+json; charset=utf-8 on requests with a body,
// Accept application/scim+json and Accept-Charset utf-8 (log,
// okta-blog-archive PR 1956). base's other headers are kept; base is
// not modified.
func ClientConfig(base client.Config) client.Config {
	return simrun.Dress(base, UserAgent, map[string]string{"Content-Type": ContentType, "Accept": Accept, "Accept-Charset": AcceptCharset})
}

// Source notes: each names the document behind it.
const (
	srcRef      = "doc: Okta SCIM 2.0 reference"
	srcSpec     = "doc: Okta SCIM 2.0 spec test"
	srcGroups   = "doc: Okta SCIM 2.0 reference, group push"
	srcPathless = "doc: Okta SCIM 2.0 reference; scimitar PR 29"
	srcReadBack = "harness read-back: confirms the previous step's effect (Okta does not send it)"
	srcAIW      = "doc: Okta SCIM 2.0 reference (App Integration Wizard apps send these as PUT); log: coder/coder issue 15828"
	srcOIN      = "doc: Okta SCIM 2.0 reference (OIN apps: activation and password changes by PATCH)"
	srcRename   = "doc: Okta SCIM 2.0 reference (\"the group name update operation is triggered each time there is a group membership update operation\")"
	srcConnect  = "log: okta-blog-archive PR 1956 (connection test GET /Users?startIndex=1&count=2); jelhub/scimgateway issue 26"
	srcImport   = "doc: Okta SCIM 2.0 reference (import: startIndex becomes startIndex+100)"
	srcSpecFile = "doc: Okta-SCIM-20-SPEC-Test.json (developer.okta.com/standards/SCIM)"
	refURL      = "https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20"
)

// Scenarios returns Okta's flows for o: the user lifecycle (assign, update,
// deactivate), the import, the spec test's checks and the group push.
func Scenarios(o Options) ([]scenario.Scenario, error) {
	o, err := o.normalized()
	if err != nil {
		return nil, err
	}
	g := newGen(o.Seed)
	scs := []scenario.Scenario{connectionTest(), lifecycle(o, g), importUsers(o, g), specTest(g), groupPush(o, g)}
	for _, sc := range scs {
		provenance(sc.Steps)
		if err := sc.Validate(); err != nil {
			return nil, fmt.Errorf("okta: %w", err)
		}
	}
	return scs, nil
}

// provenance gives every step a confidence read from its Source ("doc:",
// "log:", or the harness's own read-back) and a link to Okta's reference,
// and every expectation without a source its step's: each request and
// each judgement names where it comes from.
func provenance(steps []scenario.Step) {
	for i := range steps {
		st := &steps[i]
		if st.Confidence == "" {
			switch {
			case strings.HasPrefix(st.Source, "harness"):
				st.Confidence = scenario.Harness
			case strings.HasPrefix(st.Source, "log:"):
				st.Confidence = scenario.Log
			default:
				st.Confidence = scenario.Doc
			}
		}
		if st.SourceURL == "" && st.Confidence != scenario.Harness {
			st.SourceURL = refURL
		}
		st.LendProvenance()
	}
}

var sim = simrun.Sim{IdP: IdP, Name: "Okta"}

// Run runs the scenarios for o through c, which should be built with
// [ClientConfig]. o.Prefix is used when ro.Prefix is empty; setting both to
// different values is an error.
func Run(ctx context.Context, c *client.Client, o Options, ro scenario.Options) []scenario.Result {
	return sim.Run(ctx, c, o.Prefix, ro, func(prefix string) ([]scenario.Scenario, error) {
		o.Prefix = prefix
		return Scenarios(o)
	})
}

// gen makes names, externalIds and passwords from the seed.
type gen struct{ rng *rand.Rand }

func newGen(seed int64) *gen { return &gen{rand.New(rand.NewPCG(uint64(seed), 0x0c7a))} }

var (
	givenNames  = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Margaret", "Dennis", "Hedy"}
	familyNames = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Hamilton", "Ritchie", "Lamarr"}
)

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func (g *gen) chars(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[g.rng.IntN(len(alnum))]
	}
	return string(b)
}

// user is one generated Okta user; tag keeps userNames distinct across
// scenarios (a kept run leaves them side by side).
type user struct {
	tag                  string
	n                    int
	given, family, other string // other: the family name after an update
	externalID, password string
}

func (g *gen) user(tag string, n int) user {
	f := g.rng.IntN(len(familyNames))
	return user{
		tag: tag, n: n,
		given:      givenNames[g.rng.IntN(len(givenNames))],
		family:     familyNames[f],
		other:      familyNames[(f+1+g.rng.IntN(len(familyNames)-1))%len(familyNames)],
		externalID: "00u" + g.chars(17), // Okta user ids: "00u" and 17 characters
		password:   g.chars(10) + "!9",
	}
}

func (u user) userName() string {
	return fmt.Sprintf("${prefix}-%s.%s.%s%d@example.com", u.given, u.family, u.tag, u.n)
}
func (u user) idVar() string { return fmt.Sprintf("%s%d_id", u.tag, u.n) }
func (u user) idRef() string { return "${" + u.idVar() + "}" }
func (u user) path() string  { return "/Users/" + u.idRef() }
func (u user) label() string { return fmt.Sprintf("user %d", u.n) }

// body is Okta's create body (Okta SCIM reference).
func (u user) body() map[string]any {
	return map[string]any{
		"schemas":     []any{scim.UserURN},
		"userName":    u.userName(),
		"name":        map[string]any{"givenName": u.given, "familyName": u.family},
		"emails":      []any{map[string]any{"primary": true, "value": u.userName(), "type": "work"}},
		"displayName": u.given + " " + u.family,
		"locale":      "en-US",
		"externalId":  u.externalID,
		"groups":      []any{},
		"password":    u.password,
		"active":      true,
	}
}

// asRead is a dry run's stand-in for the updated resource Okta PUTs back:
// what a GET returns (no password; id, meta and groups) with the changes.
func (u user) asRead() map[string]any {
	doc := u.body()
	delete(doc, "password")
	doc["id"] = u.idRef()
	doc["meta"] = map[string]any{"resourceType": "User"}
	doc["name"].(map[string]any)["familyName"] = u.other
	doc["displayName"] = u.given + " " + u.other
	return doc
}

// lookupPath is Okta's assign lookup.
func lookupPath(userName string) string {
	return fmt.Sprintf(`/Users?filter=userName eq "%s"&startIndex=1&count=100`, userName)
}

func lookupStep(u user) scenario.Step {
	return scenario.Step{
		Name:      u.label() + ": look up before assigning",
		Behaviour: `GET /Users?filter=userName eq "…"&startIndex=1&count=100`,
		Source:    srcRef,
		Clause:    "RFC 7644 §3.4.2.2, §3.4.2.4",
		Request:   scenario.RequestTemplate{Method: http.MethodGet, Path: lookupPath(u.userName())},
		Expect:    []scenario.Expectation{nobodyOr404(u.userName())},
	}
}

// nobodyOr404 judges Okta's assign lookup: 200 with an empty ListResponse
// is the normal answer, and a 404 with the Error schema is "another
// acceptable response" (doc, Okta SCIM 2.0 reference).
func nobodyOr404(userName string) scenario.Expectation {
	empty := voice.NobodyFound(userName, "before Okta creates the user")
	scimError := voice.SCIMError(http.StatusNotFound)
	return scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
		if ex.Status() == http.StatusNotFound {
			return scimError.Check(ex, vars)
		}
		return empty.Check(ex, vars)
	}).From(srcRef, scenario.Doc)
}

// connectionTest is what Okta sends when an admin tests the connection.
func connectionTest() scenario.Scenario {
	return scenario.Scenario{
		Name:        "Okta: connection test",
		IdP:         IdP,
		Description: "Okta tests the connection by reading two users; the answer must be a ListResponse with integer paging fields, whatever the server holds.",
		Steps: []scenario.Step{{
			Name:       "read two users",
			Behaviour:  "GET /Users?startIndex=1&count=2",
			Source:     srcConnect,
			Confidence: scenario.Log,
			Clause:     "RFC 7644 §3.4.2.4",
			Request:    scenario.RequestTemplate{Method: http.MethodGet, Path: "/Users?startIndex=1&count=2"},
			Expect: []scenario.Expectation{
				scenario.StatusIn(200),
				scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
					if ex.Status() != 200 {
						return nil
					}
					l, err := voice.ReadList(ex)
					if err == nil && len(l.Resources) > 2 {
						err = fmt.Errorf("the answer holds %d users for count=2 (RFC 7644 §3.4.2.4)", len(l.Resources))
					}
					return err
				}).From(srcConnect+"; RFC 7644 §3.4.2", scenario.Log),
			},
		}},
	}
}

func createStep(u user, name string) scenario.Step {
	return scenario.Step{
		Name:      name,
		Behaviour: "POST /Users with externalId, groups [], password, active true, locale, displayName, name, emails",
		Source:    srcRef,
		Clause:    "RFC 7644 §3.3",
		Request:   scenario.RequestTemplate{Method: http.MethodPost, Path: "/Users", Body: u.body()},
		Capture:   map[string]string{u.idVar(): "id"},
		Expect: []scenario.Expectation{
			voice.Created(),
			voice.UserNameKept(u.userName()),
			judge.BodyIs("externalId", u.externalID),
			judge.BodyIs("displayName", u.given+" "+u.family),
			judge.BodyIs("name.givenName", u.given),
			judge.BodyIs("name.familyName", u.family),
			judge.BodyIs("locale", "en-US"),
			voice.BooleanIs("active", true),
			scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
				doc, err := ex.JSON()
				if ex.Status() != 201 || err != nil {
					return nil
				}
				emails, _ := scenario.Lookup(doc, "emails")
				want := judge.Expand(u.userName(), vars)
				list, _ := emails.([]any)
				for _, e := range list {
					if m, _ := e.(map[string]any); m != nil && m["value"] == want {
						return nil
					}
				}
				return fmt.Errorf("emails %s lack the work email %q sent", judge.Render(emails), want)
			}),
			noPassword(),
		},
	}
}

// lifecycle: assign, update (GET then PUT), deactivate, for each user.
func lifecycle(o Options, g *gen) scenario.Scenario {
	users := make([]user, o.Users)
	for i := range users {
		users[i] = g.user("lc", i+1)
	}
	var steps []scenario.Step
	for _, u := range users {
		steps = append(steps, lookupStep(u), createStep(u, u.label()+": create"))
	}
	for _, u := range users {
		steps = append(steps, readForUpdate(u), putAsRead(u), readBack(u, "update", u.other, true))
	}
	how := "PATCH, path-less replace"
	for _, u := range users {
		if o.App == AppAIW {
			how = "PUT of the whole resource"
			steps = append(steps, readFor(u, "deactivation"), putActive(u, false), readBack(u, "deactivate", u.other, false),
				readFor(u, "reactivation"), putActive(u, true), readBack(u, "reactivate", u.other, true))
			continue
		}
		steps = append(steps, deactivate(u), readBack(u, "deactivate", u.other, false),
			activate(u), readBack(u, "reactivate", u.other, true), passwordSync(u))
	}
	return scenario.Scenario{
		Name:        "Okta: assign, update, deactivate",
		IdP:         IdP,
		Description: fmt.Sprintf("Okta (%s app) assigns %d user(s) (lookup, create), updates them (GET, then PUT of the resource as read), deactivates and reactivates them (%s); it never deletes users.", o.App, o.Users, how),
		Steps:       steps,
	}
}

func readVar(u user) string { return u.tag + fmt.Sprint(u.n) + "_read" }

func readForUpdate(u user) scenario.Step { return readFor(u, "update") }

func readFor(u user, what string) scenario.Step {
	return scenario.Step{
		Name:      u.label() + ": read before " + what,
		Behaviour: "GET /Users/{id}: Okta reads the user it will PUT back",
		Source:    srcRef,
		Clause:    "RFC 7644 §3.4.1",
		Request:   scenario.RequestTemplate{Method: http.MethodGet, Path: u.path()},
		Expect:    []scenario.Expectation{scenario.StatusIn(200), judge.BodyIs("id", u.idRef()), voice.UserNameKept(u.userName()), noPassword()},
		Check: func(ex *wire.Exchange, vars scenario.Vars) error {
			if ex.Status() != http.StatusOK {
				return nil // the status expectation says so; the PUT skips
			}
			doc, err := ex.JSON()
			if err != nil {
				return fmt.Errorf("the user cannot be read for the update: %v", err)
			}
			vars[readVar(u)] = doc
			return nil
		},
	}
}

func putAsRead(u user) scenario.Step {
	return scenario.Step{
		Name:      u.label() + ": update (PUT the resource as read)",
		Behaviour: "PUT /Users/{id} of the resource as read — id, meta and groups included — with name.familyName and displayName changed",
		Source:    srcRef,
		Clause:    "RFC 7644 §3.5.1",
		When:      u.idVar(),
		Build: func(vars scenario.Vars) (client.Request, error) {
			id, _ := vars[u.idVar()].(string)
			if id == "" {
				// Only a dry run gets here (When guards real runs): show
				// the shape, with the values a real run reads.
				return client.Request{Method: http.MethodPut, Path: u.path(), Body: expandAll(u.asRead(), vars)}, nil
			}
			read, ok := vars[readVar(u)].(map[string]any)
			if !ok {
				return client.Request{}, scenario.Skipf("needs the user read by the previous step")
			}
			doc := deepCopy(read).(map[string]any)
			name, _ := doc["name"].(map[string]any)
			if name == nil {
				name = map[string]any{}
				doc["name"] = name
			}
			name["familyName"] = u.other
			doc["displayName"] = u.given + " " + u.other
			return client.Request{Method: http.MethodPut, Path: "/Users/" + url.PathEscape(id), Body: doc}, nil
		},
		Expect: []scenario.Expectation{
			scenario.StatusIn(200),
			judge.BodyIs("id", u.idRef()),
			voice.UserNameKept(u.userName()),
			judge.BodyIs("name.familyName", u.other),
			judge.BodyIs("displayName", u.given+" "+u.other),
			judge.BodyIs("externalId", u.externalID),
			voice.BooleanIs("active", true),
			noPassword(),
		},
	}
}

// putActive is an AIW app's deactivation (active false) or reactivation
// (active true): a PUT of the resource as just read, with active changed.
func putActive(u user, active bool) scenario.Step {
	what := "deactivate"
	if active {
		what = "reactivate"
	}
	return scenario.Step{
		Name:       fmt.Sprintf("%s: %s (PUT the resource as read)", u.label(), what),
		Behaviour:  fmt.Sprintf("PUT /Users/{id} of the whole resource as read with \"active\": %t — a custom (AIW) app's %s", active, what),
		Source:     srcAIW,
		SourceURL:  refURL,
		Confidence: scenario.Doc,
		Clause:     "RFC 7644 §3.5.1",
		When:       u.idVar(),
		Build: func(vars scenario.Vars) (client.Request, error) {
			id, _ := vars[u.idVar()].(string)
			if id == "" {
				doc := expandAll(u.asRead(), vars).(map[string]any)
				doc["active"] = active
				return client.Request{Method: http.MethodPut, Path: u.path(), Body: doc}, nil
			}
			read, ok := vars[readVar(u)].(map[string]any)
			if !ok {
				return client.Request{}, scenario.Skipf("needs the user read by the previous step")
			}
			doc := deepCopy(read).(map[string]any)
			doc["active"] = active
			return client.Request{Method: http.MethodPut, Path: "/Users/" + url.PathEscape(id), Body: doc}, nil
		},
		Expect: []scenario.Expectation{
			scenario.StatusIn(200),
			voice.BooleanIs("active", active),
			voice.UserNameKept(u.userName()),
			judge.BodyIs("name.familyName", u.other),
			noPassword(),
		},
	}
}

// activate is an OIN app's reactivation: the path-less replace of
// deactivate with active true (doc, Okta SCIM 2.0 reference).
func activate(u user) scenario.Step {
	return scenario.Step{
		Name:       u.label() + ": reactivate",
		Behaviour:  `PATCH /Users/{id} {"op":"replace","value":{"active":true}} — a replace without path`,
		Source:     srcOIN,
		SourceURL:  refURL,
		Confidence: scenario.Doc,
		Clause:     "RFC 7644 §3.5.2.3",
		Request: scenario.RequestTemplate{Method: http.MethodPatch, Path: u.path(), Body: patchOp(
			map[string]any{"op": "replace", "value": map[string]any{"active": true}},
		)},
		Expect: []scenario.Expectation{patchedWith("reactivate"), voice.BooleanIs("active", true)},
	}
}

// passwordSync is an OIN app's password change: a path-less replace of
// password (doc, Okta SCIM 2.0 reference). The password must not come back.
func passwordSync(u user) scenario.Step {
	return scenario.Step{
		Name:       u.label() + ": password sync",
		Behaviour:  `PATCH /Users/{id} {"op":"replace","value":{"password":"…"}} — a replace without path`,
		Source:     srcOIN,
		SourceURL:  refURL,
		Confidence: scenario.Doc,
		Clause:     "RFC 7644 §3.5.2.3; RFC 7643 §4.1.1 (password returned never)",
		Request: scenario.RequestTemplate{Method: http.MethodPatch, Path: u.path(), Body: patchOp(
			map[string]any{"op": "replace", "value": map[string]any{"password": u.password + "x"}},
		)},
		Expect: []scenario.Expectation{patchedWith("password sync"), noPassword()},
	}
}

// readBack confirms an update or deactivation.
func readBack(u user, after, family string, active bool) scenario.Step {
	return scenario.Step{
		Name:      fmt.Sprintf("%s: read after %s", u.label(), after),
		Behaviour: "GET /Users/{id}: the change took effect and nothing else changed",
		Source:    srcReadBack,
		Clause:    "RFC 7644 §3.4.1",
		Request:   scenario.RequestTemplate{Method: http.MethodGet, Path: u.path()},
		Expect: []scenario.Expectation{
			scenario.StatusIn(200),
			voice.BooleanIs("active", active),
			voice.UserNameKept(u.userName()),
			judge.BodyIs("name.familyName", family),
			judge.BodyIs("name.givenName", u.given),
			judge.BodyIs("displayName", u.given+" "+family),
			judge.BodyIs("externalId", u.externalID),
			judge.BodyIs("locale", "en-US"),
		},
	}
}

func deactivate(u user) scenario.Step {
	return scenario.Step{
		Name:      u.label() + ": deactivate",
		Behaviour: `PATCH /Users/{id} {"op":"replace","value":{"active":false}} — a replace without path (OIN apps)`,
		Source:    srcPathless,
		Clause:    "RFC 7644 §3.5.2.3",
		Request: scenario.RequestTemplate{Method: http.MethodPatch, Path: u.path(), Body: patchOp(
			map[string]any{"op": "replace", "value": map[string]any{"active": false}},
		)},
		Expect: []scenario.Expectation{
			// A 204 is allowed: PATCH answers "can also be a HTTP 204
			// response, with no body" (doc, Okta SCIM 2.0 reference).
			patchedWith("deactivate"),
			voice.BooleanIs("active", false),
		},
	}
}

func patchOp(ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for i, op := range ops {
		list[i] = op
	}
	return map[string]any{"schemas": []any{scim.PatchOpURN}, "Operations": list}
}

// expandAll substitutes string-valued ${name}s in the strings of v.
func expandAll(v any, vars scenario.Vars) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = expandAll(e, vars)
		}
	case []any:
		for i, e := range v {
			v[i] = expandAll(e, vars)
		}
	case string:
		return judge.Expand(v, vars)
	}
	return v
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}
