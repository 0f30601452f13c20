// Package google simulates Google Workspace's automatic user provisioning as
// a SCIM 2.0 client: it generates scenarios that send what Google sends, in
// Google's order, and judge the answers the way Google depends on them.
//
// Behaviours reproduced, with their sources (the Google Workspace section of
// the harness's IdP catalog, idp-behaviour.md):
//
//   - Users only: Google pushes no Group resources; group choices only scope
//     which users are provisioned (doc: Keeper's guide; cloudposse docs PR
//     893). No scenario ever calls /Groups, and none calls discovery.
//   - Lookup before create with startIndex and no count:
//     GET /Users?filter=userName eq "…"&startIndex=1, which must answer 200
//     with totalResults 0 for an unknown user, and find exactly the user
//     once it exists (log: snipe-it issue 12642).
//   - Create with the legacy SCIM 1.0 URN beside the 2.0 one,
//     "schemas":["urn:scim:schemas:core:1.0","urn:ietf:params:scim:schemas:core:2.0:User"],
//     and userName, emails (primary, work), displayName, name, active (log).
//   - User-Agent Google-Auto-Provisioning and Content-Type application/json
//     (not application/scim+json): a server answering 406 or 415 breaks
//     Google (log: pond/scimitar issue 142). See [ClientConfig].
//
// Unverified behaviour, behind [Options] and marked Unverified so reports say
// "unverified": the connection probe GET /Users?count=1 (weak); the update
// method (PUT of the full resource or PATCH); the deprovisioning request
// (PATCH active false, PUT with active false, or DELETE; the catalog marks
// the suspend/delete mapping weak); booleans sent as strings (weak); and a
// second create of an existing userName, which Google sends only if its
// lookup missed the user — the server must answer 409 (server pitfalls:
// go-scim issue 65, gravitee 8290).
//
// userNames carry the run prefix and mixed case ("…-Ada.Lovelace.g1@example.com"):
// a server must keep the case it was sent, and a lower-cased answer is how
// the harness sees a server that changes it.
package google

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
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
	IdP = "google"
	// UserAgent is the User-Agent Google's provisioning sends (log).
	UserAgent = "Google-Auto-Provisioning"
	// ContentType is the media type of Google's request bodies (log,
	// pond/scimitar issue 142): plain JSON, not application/scim+json.
	ContentType = "application/json"
	// LegacyCoreURN is the SCIM 1.0 core schema URN Google sends beside the
	// 2.0 User URN on create (log).
	LegacyCoreURN = "urn:scim:schemas:core:1.0"
)

// Update values of [Options].Update.
const (
	UpdateNone  = ""
	UpdatePut   = "put"
	UpdatePatch = "patch"
)

// Deprovision values of [Options].Deprovision.
const (
	DeprovisionSuspend = "suspend"
	DeprovisionDelete  = "delete"
)

// Options choose the variant of Google's behaviour to simulate.
type Options struct {
	// Users is the number of users provisioned; default 2, so that the
	// second lookup runs while another user exists (a server ignoring the
	// filter then shows itself).
	Users int
	// Update is how a changed user is sent: "" (none, the default), "put"
	// (the full resource) or "patch" (one replace per attribute).
	// Unverified: nobody has captured Google's update.
	Update string
	// StringBooleans sends booleans (active, emails' primary) as the
	// strings "true"/"false" instead of JSON booleans. Unverified (weak).
	StringBooleans bool
	// Deprovision is what happens when a user is suspended, deleted or
	// unassigned in Google: "suspend" (the default; PATCH active false, or
	// PUT with active false when Update is "put") or "delete" (DELETE).
	// Unverified: the mapping is weak and the body not captured.
	Deprovision string
	// Probe opens with the connection probe GET /Users?count=1. Unverified
	// (weak).
	Probe bool
	// Prefix is the run prefix Run uses when scenario.Options.Prefix is
	// empty. Scenarios refer to it as ${prefix}, so the runner's prefix is
	// always the one in effect.
	Prefix string
	// Seed chooses the generated names; the same seed gives the same
	// scenarios.
	Seed int64
}

// Source notes: each names the capture or page behind it.
const (
	srcLookup    = "log: grokability/snipe-it issue 12642 (2024 capture)"
	srcCreate    = "log: create body with urn:scim:schemas:core:1.0, grokability/snipe-it issue 12642 (2023 capture); Content-Type application/json: pond/scimitar issue 142"
	srcStrBool   = "weak: string booleans (no capture shows them)"
	srcProbe     = "weak: GET /Users?count=1 is claimed (no capture shows it)"
	srcUpdate    = "not verified: update method PUT vs PATCH (no capture shows an update)"
	srcDeprov    = "weak: deprovisioning maps to suspend or delete (support.google.com/a/answer/7681608); the deactivate body is not verified"
	srcDuplicate = "server pitfalls: duplicates must be 409 uniqueness — go-scim issue 65, gravitee 8290"
	srcReadBack  = "harness read-back: confirms the previous step's effect"
)

func (o Options) normalized() (Options, error) {
	switch {
	case o.Users < 0:
		return o, fmt.Errorf("google: Users is %d; it must be positive", o.Users)
	case o.Users == 0:
		o.Users = 2
	}
	switch o.Update {
	case UpdateNone, UpdatePut, UpdatePatch:
	default:
		return o, fmt.Errorf("google: Update is %q; use \"\", %q or %q", o.Update, UpdatePut, UpdatePatch)
	}
	switch o.Deprovision {
	case "":
		o.Deprovision = DeprovisionSuspend
	case DeprovisionSuspend, DeprovisionDelete:
	default:
		return o, fmt.Errorf("google: Deprovision is %q; use %q or %q", o.Deprovision, DeprovisionSuspend, DeprovisionDelete)
	}
	return o, simrun.CheckPrefix(IdP, o.Prefix)
}

// ClientConfig returns base configured as Google sends: User-Agent
// Google-Auto-Provisioning and Content-Type application/json on requests
// with a body. Accept is left at the client's default
// (application/scim+json), and that is unverified: no capture shows the
// Accept header Google sends (catalog, "Corrections and additions"), so a
// verdict that depends on it is not Google's. base's other headers are
// kept; base is not modified.
func ClientConfig(base client.Config) client.Config {
	return simrun.Dress(base, UserAgent, map[string]string{"Content-Type": ContentType})
}

// user is one generated person.
type user struct {
	n                    int
	given, family, other string // other: the family name after an update
}

func (u user) userName() string {
	return fmt.Sprintf("${prefix}-%s.%s.g%d@example.com", u.given, u.family, u.n)
}
func (u user) idVar() string { return fmt.Sprintf("u%d_id", u.n) }
func (u user) idRef() string { return "${" + u.idVar() + "}" }
func (u user) path() string  { return "/Users/" + u.idRef() }

var (
	givenNames  = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Margaret", "Dennis", "Hedy"}
	familyNames = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Hamilton", "Ritchie", "Lamarr"}
)

func people(n int, seed int64) []user {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x600613))
	out := make([]user, n)
	for i := range out {
		f := rng.IntN(len(familyNames))
		out[i] = user{
			n:      i + 1,
			given:  givenNames[rng.IntN(len(givenNames))],
			family: familyNames[f],
			other:  familyNames[(f+1+rng.IntN(len(familyNames)-1))%len(familyNames)],
		}
	}
	return out
}

// Scenarios returns the scenarios for o: one, Google's provisioning cycle.
func Scenarios(o Options) ([]scenario.Scenario, error) {
	o, err := o.normalized()
	if err != nil {
		return nil, err
	}
	b := builder{o: o}
	var steps []scenario.Step
	if o.Probe {
		steps = append(steps, b.probe())
	}
	users := people(o.Users, o.Seed)
	for _, u := range users {
		steps = append(steps, b.lookup(u), b.create(u), b.found(u, "after creating it", false))
	}
	steps = append(steps, b.duplicate(users[0]))
	if o.Update != UpdateNone {
		for _, u := range users {
			steps = append(steps, b.update(u), b.readUpdated(u))
		}
	}
	for _, u := range users {
		if o.Deprovision == DeprovisionDelete {
			steps = append(steps, b.remove(u), b.gone(u))
		} else {
			steps = append(steps, b.suspend(u), b.readSuspended(u), b.found(u, "after suspending it", true))
		}
	}
	sc := scenario.Scenario{
		Name: "Google Workspace: auto-provisioning",
		IdP:  IdP,
		Description: fmt.Sprintf("Google's provisioning cycle for %d user(s): look up, create, find again, then %s (update: %s, string booleans: %t, probe: %t).",
			o.Users, o.Deprovision, cmp.Or(o.Update, "none"), o.StringBooleans, o.Probe),
		Steps: steps,
	}
	provenance(sc.Steps)
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("google: %w", err)
	}
	return []scenario.Scenario{sc}, nil
}

// provenance gives every step a confidence — unverified for every step
// marked so, log for the captured lookup and create, harness for the
// read-backs — and every expectation without a source its step's, so that
// each request and judgement names where it comes from and an unverified
// one says so in the verdict.
func provenance(steps []scenario.Step) {
	for i := range steps {
		st := &steps[i]
		switch {
		case st.Unverified:
			st.Confidence = scenario.Unverified
		case strings.HasPrefix(st.Source, "harness"):
			st.Confidence = scenario.Harness
		case strings.HasPrefix(st.Source, "log:"):
			st.Confidence = scenario.Log
		default:
			st.Confidence = scenario.Doc
		}
		if st.SourceURL == "" {
			st.SourceURL = sourceURL(st.Source)
		}
		st.LendProvenance()
	}
}

// sourceURLs are the pages the steps' sources cite, by the words that
// name them, so that a report's source is a link to read.
var sourceURLs = []struct{ cites, url string }{
	{"snipe-it issue 12642", "https://github.com/grokability/snipe-it/issues/12642"},
	{"scimitar issue 142", "https://github.com/pond/scimitar/issues/142"},
	{"support.google.com/a/answer/7681608", "https://support.google.com/a/answer/7681608"},
	{"go-scim issue 65", "https://github.com/imulab/go-scim/issues/65"},
}

// sourceURL is the page the first source a step cites is on, or "".
func sourceURL(source string) string {
	first, url := len(source), ""
	for _, s := range sourceURLs {
		if i := strings.Index(source, s.cites); i >= 0 && i < first {
			first, url = i, s.url
		}
	}
	return url
}

var sim = simrun.Sim{IdP: IdP, Name: "Google Workspace"}

// Run runs the scenarios for o through c, which should be built with
// [ClientConfig]. o.Prefix is used when ro.Prefix is empty; setting both to
// different values is an error.
func Run(ctx context.Context, c *client.Client, o Options, ro scenario.Options) []scenario.Result {
	return sim.Run(ctx, c, o.Prefix, ro, func(prefix string) ([]scenario.Scenario, error) {
		o.Prefix = prefix
		return Scenarios(o)
	})
}

type builder struct{ o Options }

func (b builder) boolean(v bool) any {
	if b.o.StringBooleans {
		return fmt.Sprint(v)
	}
	return v
}

// body is Google's user representation (log).
func (b builder) body(u user, family string, active bool) map[string]any {
	return map[string]any{
		"schemas":     []any{LegacyCoreURN, scim.UserURN},
		"userName":    u.userName(),
		"emails":      []any{map[string]any{"primary": b.boolean(true), "type": "work", "value": u.userName()}},
		"displayName": u.given + " " + family,
		"name":        map[string]any{"givenName": u.given, "familyName": family},
		"active":      b.boolean(active),
	}
}

func lookupPath(u user) string {
	return fmt.Sprintf(`/Users?filter=userName eq "%s"&startIndex=1`, u.userName())
}

func (b builder) probe() scenario.Step {
	return scenario.Step{
		Name:       "connection probe",
		Behaviour:  "GET /Users?count=1 when the app's provisioning is set up",
		Source:     srcProbe,
		Clause:     "RFC 7644 §3.4.2.4",
		Unverified: true,
		Request:    scenario.RequestTemplate{Method: http.MethodGet, Path: "/Users?count=1"},
		Expect: []scenario.Expectation{
			scenario.StatusIn(200),
			scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
				if ex.Status() != 200 {
					return nil
				}
				l, err := voice.ReadList(ex)
				if err != nil {
					return err
				}
				if len(l.Resources) > 1 {
					return fmt.Errorf("count=1 returned %d resources (RFC 7644 §3.4.2.4: no more than count)", len(l.Resources))
				}
				return nil
			}),
		},
	}
}

func (b builder) lookup(u user) scenario.Step {
	return scenario.Step{
		Name:      fmt.Sprintf("user %d: look up before creating", u.n),
		Behaviour: `GET /Users?filter=userName eq "…"&startIndex=1 — startIndex without count`,
		Source:    srcLookup,
		Clause:    "RFC 7644 §3.4.2.2, §3.4.2.4",
		Request:   scenario.RequestTemplate{Method: http.MethodGet, Path: lookupPath(u)},
		Expect:    []scenario.Expectation{voice.NobodyFound(u.userName(), fmt.Sprintf("before it creates %q", u.userName()))},
	}
}

func (b builder) create(u user) scenario.Step {
	st := scenario.Step{
		Name:      fmt.Sprintf("user %d: create", u.n),
		Behaviour: "POST /Users, Content-Type application/json, schemas with the SCIM 1.0 URN beside the 2.0 one",
		Source:    srcCreate,
		Clause:    "RFC 7644 §3.3",
		Request:   scenario.RequestTemplate{Method: http.MethodPost, Path: "/Users", Body: b.body(u, u.family, true)},
		Capture:   map[string]string{u.idVar(): "id"},
		Expect: []scenario.Expectation{
			voice.Created(),
			voice.UserNameKept(u.userName()),
			voice.BooleanIs("active", true),
			judge.BodyIs("name.familyName", u.family),
			judge.BodyIs("displayName", u.given+" "+u.family),
			scenario.BodyAbsent("password"),
		},
	}
	if b.o.StringBooleans {
		st.Behaviour += `; booleans sent as strings ("active":"true", "primary":"true")`
		st.Source += "; " + srcStrBool
		st.Unverified = true
	}
	return st
}

func (b builder) found(u user, when string, unverified bool) scenario.Step {
	return scenario.Step{
		Name:       fmt.Sprintf("user %d: look up %s", u.n, when),
		Behaviour:  "the next sync's lookup finds the user exactly once, by the same filter",
		Source:     srcLookup,
		Clause:     "RFC 7644 §3.4.2.2",
		Unverified: unverified,
		Request:    scenario.RequestTemplate{Method: http.MethodGet, Path: lookupPath(u)},
		Expect:     []scenario.Expectation{voice.FoundOnce(judge.Text(u.userName()), u.idVar(), ": Google would create it again")},
	}
}

func (b builder) duplicate(u user) scenario.Step {
	return scenario.Step{
		Name:       fmt.Sprintf("user %d: create again (duplicate userName)", u.n),
		Behaviour:  "a create of an existing userName, as Google sends when its lookup missed the user",
		Source:     srcDuplicate,
		Clause:     "RFC 7644 §3.3, §3.12",
		Unverified: true,
		Request:    scenario.RequestTemplate{Method: http.MethodPost, Path: "/Users", Body: b.body(u, u.family, true)},
		Expect:     voice.Duplicate(),
	}
}

func (b builder) update(u user) scenario.Step {
	st := scenario.Step{
		Name:       fmt.Sprintf("user %d: update (%s)", u.n, b.o.Update),
		Source:     srcUpdate,
		Unverified: true,
	}
	if b.o.Update == UpdatePut {
		st.Behaviour = "PUT /Users/{id} with the full Google representation, family name changed"
		st.Clause = "RFC 7644 §3.5.1"
		st.Request = scenario.RequestTemplate{Method: http.MethodPut, Path: u.path(), Body: b.body(u, u.other, true)}
		st.Expect = []scenario.Expectation{scenario.StatusIn(200), voice.UserNameKept(u.userName()), judge.BodyIs("name.familyName", u.other), voice.BooleanIs("active", true)}
		return st
	}
	st.Behaviour = "PATCH /Users/{id} with one replace per changed attribute"
	st.Clause = "RFC 7644 §3.5.2.3"
	st.Request = scenario.RequestTemplate{Method: http.MethodPatch, Path: u.path(), Body: patchOp(
		map[string]any{"op": "replace", "path": "name.familyName", "value": u.other},
		map[string]any{"op": "replace", "path": "displayName", "value": u.given + " " + u.other},
	)}
	st.Expect = []scenario.Expectation{patched(), judge.BodyIs("name.familyName", u.other)}
	return st
}

func (b builder) readUpdated(u user) scenario.Step {
	return scenario.Step{
		Name:       fmt.Sprintf("user %d: read after update", u.n),
		Behaviour:  "GET /Users/{id}: the update took effect and nothing else changed",
		Source:     srcReadBack,
		Clause:     "RFC 7644 §3.4.1",
		Unverified: true,
		Request:    scenario.RequestTemplate{Method: http.MethodGet, Path: u.path()},
		Expect: []scenario.Expectation{
			scenario.StatusIn(200),
			judge.BodyIs("name.familyName", u.other),
			judge.BodyIs("displayName", u.given+" "+u.other),
			judge.BodyIs("name.givenName", u.given),
			voice.UserNameKept(u.userName()),
			voice.BooleanIs("active", true),
		},
	}
}

func (b builder) suspend(u user) scenario.Step {
	st := scenario.Step{
		Name:       fmt.Sprintf("user %d: suspend", u.n),
		Source:     srcDeprov,
		Unverified: true,
	}
	if b.o.StringBooleans {
		st.Source += "; " + srcStrBool
	}
	if b.o.Update == UpdatePut {
		// The update ran before, so the representation has the new name.
		st.Behaviour = "PUT /Users/{id} with the full representation and active false"
		st.Clause = "RFC 7644 §3.5.1"
		st.Request = scenario.RequestTemplate{Method: http.MethodPut, Path: u.path(), Body: b.body(u, u.other, false)}
		st.Expect = []scenario.Expectation{scenario.StatusIn(200), voice.BooleanIs("active", false)}
		return st
	}
	st.Behaviour = `PATCH /Users/{id} {"op":"replace","path":"active","value":false}`
	st.Clause = "RFC 7644 §3.5.2.3"
	st.Request = scenario.RequestTemplate{Method: http.MethodPatch, Path: u.path(), Body: patchOp(
		map[string]any{"op": "replace", "path": "active", "value": b.boolean(false)},
	)}
	st.Expect = []scenario.Expectation{patched(), voice.BooleanIs("active", false)}
	return st
}

func (b builder) readSuspended(u user) scenario.Step {
	family := u.family
	if b.o.Update != UpdateNone {
		family = u.other
	}
	return scenario.Step{
		Name:       fmt.Sprintf("user %d: read after suspending", u.n),
		Behaviour:  "GET /Users/{id}: active is the JSON boolean false and the rest is kept",
		Source:     srcReadBack,
		Clause:     "RFC 7643 §4.1.1, RFC 7644 §3.4.1",
		Unverified: true,
		Request:    scenario.RequestTemplate{Method: http.MethodGet, Path: u.path()},
		Expect: []scenario.Expectation{
			scenario.StatusIn(200),
			voice.BooleanIs("active", false),
			voice.UserNameKept(u.userName()),
			judge.BodyIs("name.familyName", family),
		},
	}
}

func (b builder) remove(u user) scenario.Step {
	return scenario.Step{
		Name:       fmt.Sprintf("user %d: delete", u.n),
		Behaviour:  "DELETE /Users/{id} when the user is deleted in Google (deprovisioning mapped to delete)",
		Source:     srcDeprov,
		Clause:     "RFC 7644 §3.6",
		Unverified: true,
		Request:    scenario.RequestTemplate{Method: http.MethodDelete, Path: u.path()},
		Expect:     []scenario.Expectation{scenario.StatusIn(204)},
	}
}

func (b builder) gone(u user) scenario.Step {
	return scenario.Step{
		Name:       fmt.Sprintf("user %d: read after delete", u.n),
		Behaviour:  "GET /Users/{id} of the deleted user: 404 with a SCIM error",
		Source:     srcReadBack,
		Clause:     "RFC 7644 §3.6, §3.12",
		Unverified: true,
		Request:    scenario.RequestTemplate{Method: http.MethodGet, Path: u.path()},
		Expect:     []scenario.Expectation{scenario.StatusIn(404), voice.SCIMError(404)},
	}
}

func patchOp(ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for i, op := range ops {
		list[i] = op
	}
	return map[string]any{"schemas": []any{scim.PatchOpURN}, "Operations": list}
}
