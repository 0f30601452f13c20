// Package differential drives the same random but valid SCIM traffic at a
// target and at the reference server holding the same data, and reports
// the first disagreement, shrunk to a small case with a curl reproduction.
//
// Hand-written checks send one shape per feature; real servers break on
// combinations (a compound filter evaluated from its first clause only, the
// precedence of and over or, not around a value path, sort with paging, a
// PATCH whose second operation depends on the first). The reference server
// is the oracle: it is tested on its own (server/...), and a run of the
// reference against itself must find nothing — a disagreement there is a bug
// in the oracle or in this generator.
//
// Answers are compared, not bytes: the status class; for lists the set of
// resources (by userName, groups by displayName) and totalResults, and for
// sorted pages the sequence of sort keys (ties may legally come in any
// order); for reads the resource with what the RFC leaves open normalised
// away (id, meta, schemas, element order of multi-valued attributes, empty
// versus absent; a group's members are the set of the run's resources they
// point to). Only features the target declares in /ServiceProviderConfig
// (and Group, in /ResourceTypes) are generated.
package differential

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/scimharness/scimharness/harness/client"
)

// Config is one differential run.
type Config struct {
	// Target is the server under test; Reference the oracle, holding nothing
	// of this run's yet. Both are seeded with the same population.
	Target, Reference *client.Client
	// Sort and Patch say whether the target declares those features (RFC
	// 7643 §5), Groups whether its /ResourceTypes declares Group (RFC 7643
	// §6); what it does not declare is not generated.
	Sort, Patch, Groups bool
	// Seed makes the run reproducible: the same seed, the same requests.
	Seed uint64
	// Requests bounds the run (default 200, unless Duration is set);
	// Duration, if set, bounds it by time as well. Users is the population
	// (default 12); GroupCount the groups seeded when Groups is set
	// (default 4), each with none to a few of the users as members.
	Requests, Users, GroupCount int
	Duration                    time.Duration
	// Prefix starts every userName and group displayName this run creates.
	Prefix string
	// Progress, if set, is called after every request.
	Progress func(done, total int)
}

// Result is the outcome of a run.
type Result struct {
	// Requests is how many generated requests were compared.
	Requests int
	// Disagreement is the first one found, shrunk; nil when none.
	Disagreement *Disagreement
	// CleanupErrors lists resources that could not be deleted.
	CleanupErrors []string
}

// ErrSetup is wrapped by errors that stopped the run before it compared
// anything it generated (the reference refused its own population, say).
var ErrSetup = errors.New("differential: set-up failed")

// side is one server of the comparison with the ids of this run's users
// and groups.
type side struct {
	name string
	c    *client.Client
	ids  map[string]string // userName → id
	gids map[string]string // group key (its first displayName) → id
}

func newSide(name string, c *client.Client) *side {
	return &side{name: name, c: c, ids: map[string]string{}, gids: map[string]string{}}
}

// placeholder is {id:NAME} in a generated request: the id this side gave
// the user or group NAME. The two sides give different ids, so a request
// that names a resource (a member to add, members.value eq …) is written
// once, saved so, and resolved per side when sent.
var placeholder = regexp.MustCompile(`\{id:([^{}]*)\}`)

// resolve replaces the placeholders of s by this side's ids; one for a
// resource it does not hold stays as is.
func (s *side) resolve(str string) string {
	return placeholder.ReplaceAllStringFunc(str, func(m string) string {
		name := m[len("{id:") : len(m)-1]
		if id, ok := s.ids[name]; ok {
			return id
		}
		if id, ok := s.gids[name]; ok {
			return id
		}
		return m
	})
}

// resolveAny resolves the placeholders in every string of a JSON value.
func (s *side) resolveAny(v any) any {
	switch x := v.(type) {
	case string:
		return s.resolve(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = s.resolveAny(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = s.resolveAny(e)
		}
		return out
	}
	return v
}

// names maps this side's ids back to the names of the run's users and
// groups: what members are compared by.
func (s *side) names() map[string]string {
	out := make(map[string]string, len(s.ids)+len(s.gids))
	for n, id := range s.ids {
		out[id] = n
	}
	for n, id := range s.gids {
		out[id] = n
	}
	return out
}

type run struct {
	cfg Config
	rnd *rand.Rand
	// grnd generates the group traffic: a stream of its own, so that
	// the users' traffic of a seed is the same with groups or without.
	grnd *rand.Rand
	// vrnd chooses the views a request is sent through (POST /.search,
	// a PATCH's projection): a stream of its own, so that the rest of a
	// seed's traffic does not depend on whether the target serves them.
	vrnd        *rand.Rand
	users       []user
	groups      []group
	renames     int // group renames so far: each new name is unique
	tgt, ref    *side
	search      bool // the target serves POST /.search (RFC 7644 §3.4.3: a MAY)
	fresh       int
	adds        map[string]int // emails added to a user since its last removal
	ctx         context.Context
	cleanupErrs []string
}

// Run seeds both servers, sends cfg.Requests generated requests to both and
// compares every answer; it stops at the first disagreement, shrinks it, and
// always deletes what it created on both sides.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Target == nil || cfg.Reference == nil {
		return nil, errors.New("differential: a target and a reference are required")
	}
	if cfg.Prefix == "" {
		return nil, errors.New("differential: a prefix is required")
	}
	if cfg.Requests <= 0 {
		cfg.Requests = 200
		if cfg.Duration > 0 {
			cfg.Requests = math.MaxInt
		}
	}
	var deadline time.Time
	if cfg.Duration > 0 {
		deadline = time.Now().Add(cfg.Duration)
	}
	if cfg.Users <= 0 {
		cfg.Users = 12
	}
	if cfg.GroupCount <= 0 {
		cfg.GroupCount = 4
	}
	r := &run{
		cfg: cfg, ctx: ctx,
		rnd:  rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5c1a)),
		grnd: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x6a0b)),
		vrnd: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x71e3)),
		adds: map[string]int{},
		tgt:  newSide("target", cfg.Target),
		ref:  newSide("reference", cfg.Reference),
	}
	r.users = population(r.rnd, cfg.Prefix, cfg.Users)
	if cfg.Groups {
		r.groups = groupPopulation(r.grnd, cfg.Prefix, cfg.GroupCount, r.users)
	}
	res := &Result{}
	defer func() {
		// Cleanup runs even when ctx was cancelled: what was created goes.
		r.ctx = context.WithoutCancel(ctx)
		r.cleanup()
		res.CleanupErrors = r.cleanupErrs
	}()
	defer func() {
		if res.Disagreement != nil {
			res.Disagreement.Prefix = cfg.Prefix
		}
	}()
	if d, err := r.seed(); err != nil || d != nil {
		res.Disagreement = d
		return res, err
	}
	search, err := r.servesSearch()
	if err != nil {
		return res, err
	}
	r.search = search
	for i := 0; i < cfg.Requests; i++ {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			break
		}
		d, err := r.step()
		if err != nil {
			return res, err
		}
		res.Requests++
		if cfg.Progress != nil {
			cfg.Progress(res.Requests, cfg.Requests)
		}
		if d != nil {
			res.Disagreement = d
			return res, nil
		}
	}
	return res, nil
}

// seed creates the population on both sides: the users, then the groups
// that have them as members.
func (r *run) seed() (*Disagreement, error) {
	for _, u := range r.users {
		if d, err := r.createBoth(u); err != nil || d != nil {
			return d, err
		}
	}
	for _, g := range r.groups {
		if d, err := r.createGroupBoth(g); err != nil || d != nil {
			return d, err
		}
	}
	return nil, nil
}

// createBoth creates u on the reference, then on the target.
func (r *run) createBoth(u user) (*Disagreement, error) {
	req := client.Request{Method: http.MethodPost, Path: "/Users", Body: u.doc()}
	ra, err := r.ref.create(r.ctx, u.UserName, req)
	if err != nil {
		return nil, err
	}
	if ra.Status != http.StatusCreated {
		return nil, fmt.Errorf("%w: the reference answered %d to creating %s: %s", ErrSetup, ra.Status, u.UserName, ra.Body)
	}
	ta, err := r.tgt.create(r.ctx, u.UserName, req)
	if err != nil {
		return nil, err
	}
	if ta.Status/100 != 2 {
		return &Disagreement{Kind: "create", Clause: "RFC 7644 §3.3", Users: []map[string]any{u.doc()},
			Target: ta, Reference: ra, Why: "the target refused a valid User the reference created", Shrunk: true}, nil
	}
	return nil, nil
}

// create POSTs a user and remembers the new id for cleanup and later
// requests; createGroup the same for a group, under key.
func (s *side) create(ctx context.Context, userName string, req client.Request) (Answer, error) {
	return s.createIn(ctx, s.ids, userName, req)
}

func (s *side) createGroup(ctx context.Context, key string, req client.Request) (Answer, error) {
	return s.createIn(ctx, s.gids, key, req)
}

// createIn POSTs req and remembers the id answered under key in ids.
func (s *side) createIn(ctx context.Context, ids map[string]string, key string, req client.Request) (Answer, error) {
	a, doc, err := s.send(ctx, req)
	if err != nil {
		return a, err
	}
	if id, ok := doc["id"].(string); ok && a.Status/100 == 2 {
		ids[key] = id
	}
	return a, nil
}

// remove deletes a user this run created; one the server cannot delete
// stays listed for cleanup to try again.
func (s *side) remove(ctx context.Context, userName string) error {
	return s.delete(ctx, "/Users/", s.ids, userName)
}

// removeGroup deletes a group this run created, as remove a user.
func (s *side) removeGroup(ctx context.Context, key string) error {
	return s.delete(ctx, "/Groups/", s.gids, key)
}

func (s *side) delete(ctx context.Context, endpoint string, ids map[string]string, key string) error {
	id, ok := ids[key]
	if !ok {
		return nil
	}
	a, _, err := s.send(ctx, client.Request{Method: http.MethodDelete, Path: endpoint + id})
	if err != nil {
		return err
	}
	if a.Status/100 == 2 || a.Status == http.StatusNotFound {
		delete(ids, key)
	}
	return nil
}

// send sends one request, its placeholders resolved, and summarises the
// answer.
func (s *side) send(ctx context.Context, req client.Request) (Answer, map[string]any, error) {
	req.Path = s.resolve(req.Path)
	if len(req.Query) > 0 {
		q := url.Values{}
		for k, vs := range req.Query {
			for _, v := range vs {
				q.Add(k, s.resolve(v))
			}
		}
		req.Query = q
	}
	if req.Body != nil {
		req.Body = s.resolveAny(req.Body)
	}
	ex, err := s.c.Do(ctx, req)
	if err != nil {
		return Answer{}, nil, fmt.Errorf("differential: %s: %w", s.name, err)
	}
	if ex.Response == nil {
		return Answer{}, nil, fmt.Errorf("differential: %s did not answer %s %s: %s", s.name, req.Method, req.Path, ex.Err)
	}
	a := Answer{Status: ex.Status(), Body: excerpt(ex.Response.Body)}
	doc, _ := ex.JSON()
	return a, doc, nil
}

// step generates one request (or PATCH sequence) and compares both answers.
func (r *run) step() (*Disagreement, error) {
	if len(r.groups) > 0 && r.grnd.IntN(4) == 0 {
		return r.groupStep()
	}
	n := r.rnd.IntN(20)
	switch {
	case n < 3 && r.cfg.Patch:
		return r.patch()
	case n < 6 && r.cfg.Sort:
		return r.sorted()
	case n < 9:
		return r.projected()
	case n == 9:
		return r.grow()
	default:
		return r.filtered()
	}
}

// scope restricts a filter to this run's users, so that a target holding
// other data can be compared. The scoped form is itself under test: a
// server that mishandles it disagrees at once, and the shrinker then
// reduces the generated part to nothing.
func (r *run) scope(f string) string { return r.scopeBy("userName", f) }

// scopeBy is scope over attr, which every resource of the run starts with
// the prefix in (displayName for groups).
func (r *run) scopeBy(attr, f string) string {
	s := attr + " sw " + literal(r.cfg.Prefix)
	if f == "" {
		return s
	}
	return s + " and (" + f + ")"
}

// servesSearch asks the target whether it serves POST /Users/.search: a
// server need not (RFC 7644 §3.4.3), and what it does not declare is not
// generated. The probe's answer is not compared.
func (r *run) servesSearch() (bool, error) {
	a, _, err := r.tgt.send(r.ctx, client.Request{Method: http.MethodPost, Path: "/Users/.search", Body: searchBody(url.Values{"filter": {r.scope("")}, "count": {"1"}})})
	return err == nil && a.Status/100 == 2, err
}

// filtered sends one generated filter, now and then by POST /.search.
func (r *run) filtered() (*Disagreement, error) {
	g := &filters{rnd: r.rnd, users: r.users}
	lr := listRequest{filter: g.next(3)}
	lr.search = r.search && r.vrnd.IntN(4) == 0
	return r.list(lr)
}

// list sends lr to both sides, and shrinks it when they disagree.
func (r *run) list(lr listRequest) (*Disagreement, error) {
	d, err := r.compareList(lr)
	if err != nil || d == nil {
		return d, err
	}
	return r.shrinkList(lr, d)
}

// shrinkList replaces lr by smaller requests while they still disagree.
func (r *run) shrinkList(lr listRequest, d *Disagreement) (*Disagreement, error) {
	for tries := 0; tries < 200; {
		progressed := false
		for _, s := range lr.smaller() {
			tries++
			sd, err := r.compareList(s)
			if err != nil {
				return nil, err
			}
			if sd != nil {
				lr, d, progressed = s, sd, true
				break
			}
		}
		if !progressed {
			break
		}
	}
	d.Shrunk = true
	if lr.groups {
		return r.shrinkGroups(lr, d)
	}
	return r.shrinkPopulation(lr, d)
}
