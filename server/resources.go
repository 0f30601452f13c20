package server

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/patch"
	"github.com/scimharness/scimharness/server/provider"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// typedHandler serves one resource type.
type typedHandler func(w http.ResponseWriter, r *http.Request, rt *schema.ResourceType)

// withType serves rt, or the tenant's provider's resource type of the same
// id: the provider's schema is the one documents are checked against. A
// type the provider lacks (Groups of a users-only service) is not found.
func (s *Server) withType(rt *schema.ResourceType, h typedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if pr := s.provider(r); pr != nil && pr.Registry != nil {
			prt, ok := pr.Registry.ResourceType(rt.ID)
			if !ok {
				writeError(w, schema.StatusError(http.StatusNotFound, "no SCIM endpoint at %s", r.URL.Path))
				return
			}
			h(w, r, prt)
			return
		}
		h(w, r, rt)
	}
}

// check runs the tenant's provider's checks on a document about to be
// stored; strict tenants have none.
func (s *Server) check(tenant string, op provider.Op, rt *schema.ResourceType, old, doc map[string]any) error {
	if pr := s.providerOf(tenant); pr != nil && pr.Check != nil {
		return pr.Check(op, rt, old, doc)
	}
	return nil
}

// base is the SCIM base URL the request came in at, for meta.location,
// Location and $ref: the tenant's /scim/v2, or the provider's base path
// register saw (Board's /scim), under origin. With Config.PublicBaseURL the
// origin is that URL; without it, the scheme and Host header of the
// request, which a client can set to anything (issue 14, #10): a server
// behind a proxy or reachable by several names should be given its public
// URL.
func (s *Server) base(r *http.Request) string {
	return string(s.appendBase(make([]byte, 0, 64), r))
}

// appendBase appends base(r) to dst.
func (s *Server) appendBase(dst []byte, r *http.Request) []byte {
	dst = s.appendOrigin(dst, r)
	if t := r.PathValue("tenant"); t != "" {
		dst = append(dst, tenantPrefix...)
		dst = append(dst, t...)
	}
	p, _ := r.Context().Value(baseKey{}).(string)
	if p == "" {
		p = strictBase
	}
	return append(dst, p...)
}

// origin is the public base URL, or the request's scheme and host.
func (s *Server) origin(r *http.Request) string {
	if s.cfg.PublicBaseURL != "" {
		return s.cfg.PublicBaseURL
	}
	return string(s.appendOrigin(make([]byte, 0, 64), r))
}

func (s *Server) appendOrigin(dst []byte, r *http.Request) []byte {
	if s.cfg.PublicBaseURL != "" {
		return append(dst, s.cfg.PublicBaseURL...)
	}
	if r.TLS != nil {
		dst = append(dst, "https://"...)
	} else {
		dst = append(dst, "http://"...)
	}
	return append(dst, r.Host...)
}

// render turns a stored resource into what is sent: "schemas",
// meta.location and, for users, the derived "groups" attribute, then the
// projection. It is the providers' renderer (host.Render), whose result
// they may change; the server's own answers go through answer.
func (s *Server) render(ctx context.Context, r *http.Request, rt *schema.ResourceType, res store.Resource, p *schema.Projection) (schema.Ordered, error) {
	var gs []store.Resource
	if showsGroups(rt, p) {
		by, err := s.groupsFor(ctx, r, []string{res.ID})
		if err != nil {
			return schema.Ordered{}, err
		}
		gs = by[res.ID]
	}
	return s.renderDoc(r, rt, res, p, gs), nil
}

// view is what an answer shows of a resource: the attributes and
// excludedAttributes of the request, as given (the render cache's key) and
// as a projection.
type view struct {
	attributes, excluded []string
	p                    *schema.Projection
}

func newView(rt *schema.ResourceType, attributes, excluded []string) view {
	return view{attributes, excluded, rt.NewProjection(attributes, excluded)}
}

// answer appends the JSON of res as the server sends it (render's form)
// to dst, from the render cache when the same form was encoded before. gs
// are the user's groups, read by the caller when the answer shows them (a
// list page reads them for all its users at once: answerList).
func (s *Server) answer(dst []byte, r *http.Request, rt *schema.ResourceType, res store.Resource, v view, gs []store.Resource) ([]byte, error) {
	if s.cache == nil {
		res, err := res.Loaded()
		if err != nil {
			return nil, err
		}
		return s.renderDoc(r, rt, res, v.p, gs).AppendJSON(dst)
	}
	tenant := tenantOf(r)
	reg := s.registry(tenant)
	kp := keyPool.Get().(*[]byte)
	defer func() {
		if cap(*kp) <= 64<<10 {
			keyPool.Put(kp)
		}
	}()
	// The base URL last: the fields before it are length-prefixed.
	*kp = s.appendBase(renderForm((*kp)[:0], tenant, res, v, gs, showsGroups(rt, v.p)), r)
	if b, ok := s.cache.get(reg, rt, *kp); ok {
		return append(dst, b...), nil
	}
	res, err := res.Loaded() // only now: a hit needs no document
	if err != nil {
		return nil, err
	}
	start := len(dst)
	dst, err = s.renderDoc(r, rt, res, v.p, gs).AppendJSON(dst)
	if err != nil {
		return nil, err
	}
	s.cache.put(reg, rt, *kp, bytes.Clone(dst[start:]))
	return dst, nil
}

var keyPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// renderDoc is render with the user's groups gs (nil unless p shows them).
func (s *Server) renderDoc(r *http.Request, rt *schema.ResourceType, res store.Resource, p *schema.Projection, gs []store.Resource) schema.Ordered {
	// res.Doc may be the store's own (Query's are shared, read-only,
	// package store): the additions go into a shallow copy, and Project
	// copies what it keeps.
	doc := maps.Clone(res.Doc)
	if meta, ok := doc["meta"].(map[string]any); ok {
		meta = maps.Clone(meta)
		meta["location"] = s.base(r) + rt.Endpoint + "/" + res.ID
		doc["meta"] = meta
	}
	if members, ok := doc["members"].([]any); ok && rt.ID == "Group" {
		doc["members"] = s.memberRefs(r, members)
	}
	if len(gs) > 0 && showsGroups(rt, p) {
		if gt, ok := s.registry(tenantOf(r)).ResourceType("Group"); ok {
			doc["groups"] = s.groupEntries(r, gt, gs)
		}
	}
	out := rt.Project(doc, p)
	out["schemas"] = rt.SchemasOf(out)
	return schema.Ordered{Type: rt, Doc: out}
}

// memberRefs is members with each "$ref" made from this tenant's base URL
// and the member's id and type (RFC 7643 §4.2: "the URI corresponding to a
// SCIM resource that is a member of this Group"). The stored members carry
// no $ref (resolveMembers drops the client's, which could name another
// tenant or host), so the answer cannot point outside the tenant. The
// elements are copies: the stored ones may be shared.
func (s *Server) memberRefs(r *http.Request, members []any) []any {
	reg := s.registry(tenantOf(r))
	out := make([]any, len(members))
	for i, m := range members {
		e, ok := m.(map[string]any)
		v, _ := e["value"].(string)
		t, _ := e["type"].(string)
		rt, known := reg.ResourceType(t)
		if !ok || v == "" || !known {
			out[i] = m
			continue
		}
		e = maps.Clone(e)
		e["$ref"] = s.base(r) + rt.Endpoint + "/" + v
		out[i] = e
	}
	return out
}

// groupsFor derives User.groups (readOnly, RFC 7643 §4.1.2) of the users
// ids from the groups whose members hold them, so it can never disagree
// with them: through the store's [store.GroupsReader] when it has one, else
// one store query for a page of them ("members.value eq" each,
// joined by "or"), so that a page of 100 users costs one query, not 100.
// A page of more users than a filter may compare (store.MaxFilterTerms,
// the clients' bound) is asked in chunks of that many: the cap is for the
// filters clients send, and a count of 250 must not answer 400 tooMany.
func (s *Server) groupsFor(ctx context.Context, r *http.Request, ids []string) (map[string][]store.Resource, error) {
	gt, ok := s.registry(tenantOf(r)).ResourceType("Group")
	if !ok || len(ids) == 0 {
		return nil, nil
	}
	want := make(map[string]bool, len(ids))
	var unique []string
	for _, id := range ids {
		if !want[id] {
			want[id] = true
			unique = append(unique, id)
		}
	}
	if gr, ok := s.cfg.Store.(store.GroupsReader); ok {
		// One statement for all of them, and no member list read back.
		return gr.GroupsOf(ctx, tenantOf(r), unique, gt)
	}
	out := make(map[string][]store.Resource, len(want))
	for chunk := range slices.Chunk(unique, store.MaxFilterTerms) {
		var f filter.Expr
		for _, id := range chunk {
			c := filter.Compare{Path: filter.AttrPath{Name: "members", Sub: "value"}, Op: filter.Eq, Value: id}
			if f == nil {
				f = c
			} else {
				f = filter.Or{Left: f, Right: c}
			}
		}
		page, err := s.cfg.Store.Query(ctx, tenantOf(r), gt, store.Query{Filter: f, Count: -1})
		if err != nil {
			return nil, err
		}
		in := make(map[string]bool, len(chunk))
		for _, id := range chunk {
			in[id] = true
		}
		for _, g := range page.Resources {
			members, _ := g.Doc["members"].([]any)
			seen := map[string]bool{}
			for _, m := range members {
				mm, _ := m.(map[string]any)
				id, _ := mm["value"].(string)
				if in[id] && !seen[id] { // ids are case-exact (RFC 7643 §3.1)
					seen[id] = true
					out[id] = append(out[id], g)
				}
			}
		}
	}
	return out, nil
}

// groupEntry is the User.groups element that stands for group g.
func (s *Server) groupEntry(r *http.Request, gt *schema.ResourceType, g store.Resource) map[string]any {
	e := map[string]any{"value": g.ID, "$ref": s.base(r) + gt.Endpoint + "/" + g.ID, "type": "direct"}
	if dn, ok := g.Doc["displayName"].(string); ok {
		e["display"] = dn
	}
	return e
}

// derivesGroups reports whether rt's "groups" attribute is computed by
// render rather than stored.
func derivesGroups(rt *schema.ResourceType) bool {
	return rt.ID == "User" && rt.Core().Attr("groups") != nil
}

// showsGroups reports whether an answer under p shows the derived groups:
// attributes=userName, or excludedAttributes=groups, spares the query.
func showsGroups(rt *schema.ResourceType, p *schema.Projection) bool {
	return derivesGroups(rt) && p.Shows(rt.Core().Attr("groups"), "")
}

// viewOf is the view the query string of r asks for.
func viewOf(r *http.Request, rt *schema.ResourceType) view {
	q := r.URL.Query()
	return newView(rt, splitList(q.Get("attributes")), splitList(q.Get("excludedAttributes")))
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// writeResource answers with one resource, its ETag and, on 201, Location.
func (s *Server) writeResource(w http.ResponseWriter, r *http.Request, rt *schema.ResourceType, res store.Resource, status int) {
	v := viewOf(r, rt)
	var gs []store.Resource
	if showsGroups(rt, v.p) {
		by, err := s.groupsFor(r.Context(), r, []string{res.ID})
		if err != nil {
			writeError(w, err)
			return
		}
		gs = by[res.ID]
	}
	w.Header().Set("ETag", store.ETag(res.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", s.base(r)+rt.Endpoint+"/"+res.ID)
	}
	writeAppended(w, status, func(dst []byte) ([]byte, error) { return s.answer(dst, r, rt, res, v, gs) })
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, rt *schema.ResourceType) {
	body, err := decodeBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		writeError(w, err)
		return
	}
	res, err := s.createDoc(r.Context(), tenantOf(r), rt, body)
	if err != nil {
		writeError(w, err)
		return
	}
	s.writeResource(w, r, rt, res, http.StatusCreated)
}

// createDoc is POST without HTTP, shared by /Users, /Groups and /Bulk.
func (s *Server) createDoc(ctx context.Context, tenant string, rt *schema.ResourceType, body map[string]any) (store.Resource, error) {
	n := s.normalizer()
	doc, err := n.Document(rt, body)
	if err != nil {
		return store.Resource{}, err
	}
	if err := s.check(tenant, provider.Create, rt, nil, doc); err != nil {
		return store.Resource{}, err
	}
	if err := rt.CheckRequired(doc); err != nil {
		return store.Resource{}, err
	}
	s.tolerated(ctx, tenant, rt, n.Applied)
	if err := s.resolveMembers(ctx, tenant, rt, doc, nil); err != nil {
		return store.Resource{}, err
	}
	res, err := s.cfg.Store.Create(ctx, tenant, rt, doc)
	if err == nil {
		s.created(ctx, tenant, rt, res)
	}
	return res, err
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, rt *schema.ResourceType) {
	v := viewOf(r, rt)
	gr, gt, together := s.groupsReader(r, rt, v.p)
	var res store.Resource
	var groups []store.Resource
	var err error
	if together {
		res, groups, err = gr.GetWithGroups(r.Context(), tenantOf(r), rt, r.PathValue("id"), gt)
	} else {
		res, err = s.cfg.Store.Get(r.Context(), tenantOf(r), rt, r.PathValue("id"))
	}
	if err != nil {
		writeError(w, err)
		return
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, res.Version) {
		w.Header().Set("ETag", store.ETag(res.Version))
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if !together {
		s.writeResource(w, r, rt, res, http.StatusOK)
		return
	}
	w.Header().Set("ETag", store.ETag(res.Version))
	writeAppended(w, http.StatusOK, func(dst []byte) ([]byte, error) { return s.answer(dst, r, rt, res, v, groups) })
}

// groupsReader returns the store as a [store.GroupsReader] and the
// tenant's Group type when the store reads users with their groups in one
// round trip and an answer of rt under p shows them; else the two-step
// path (render, groupsFor) is taken.
func (s *Server) groupsReader(r *http.Request, rt *schema.ResourceType, p *schema.Projection) (store.GroupsReader, *schema.ResourceType, bool) {
	gr, ok := s.cfg.Store.(store.GroupsReader)
	if !ok || !showsGroups(rt, p) {
		return nil, nil, false
	}
	gt, ok := s.registry(tenantOf(r)).ResourceType("Group")
	return gr, gt, ok
}

// groupEntries is the User.groups of a user in the groups gs.
func (s *Server) groupEntries(r *http.Request, gt *schema.ResourceType, gs []store.Resource) []any {
	if len(gs) == 0 {
		return nil
	}
	out := make([]any, len(gs))
	for i, g := range gs {
		out[i] = s.groupEntry(r, gt, g)
	}
	return out
}

func (s *Server) replace(w http.ResponseWriter, r *http.Request, rt *schema.ResourceType) {
	body, err := decodeBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		writeError(w, err)
		return
	}
	res, err := s.replaceDoc(r.Context(), tenantOf(r), rt, r.PathValue("id"), r.Header.Get("If-Match"), body)
	if err != nil {
		writeError(w, err)
		return
	}
	s.writeResource(w, r, rt, res, http.StatusOK)
}

// replaceDoc is PUT without HTTP (RFC 7644 §3.5.1): every writable
// attribute is replaced; readOnly ones in the body (id, meta, groups — Okta
// sends them all back) are ignored.
func (s *Server) replaceDoc(ctx context.Context, tenant string, rt *schema.ResourceType, id, ifMatch string, body map[string]any) (store.Resource, error) {
	n := s.normalizer()
	next, err := n.Document(rt, body)
	if err != nil {
		return store.Resource{}, err
	}
	res, err := s.modify(ctx, tenant, rt, id, ifMatch, func(old map[string]any) (map[string]any, error) {
		if err := rt.CheckImmutable(old, next); err != nil {
			return nil, err
		}
		n := schema.CopyDoc(next)
		rt.KeepWriteOnly(old, n)
		if err := s.check(tenant, provider.Replace, rt, old, n); err != nil {
			return nil, err
		}
		return n, rt.CheckRequired(n)
	})
	if err == nil {
		s.tolerated(ctx, tenant, rt, n.Applied)
	}
	return res, err
}

// normalizer reads request bodies under the server's Tolerate. The
// required-attribute check is deferred until after the tenant's profile
// has checked the document, so that a service's own error body for a
// missing attribute (Holaspirit's for emails) is the one sent.
func (s *Server) normalizer() *schema.Normalizer {
	return &schema.Normalizer{Options: schema.Options{Tolerate: s.cfg.Tolerate, DeferRequired: true}}
}

// tolerated logs the IdP tolerances applied to a stored write, by name
// (schema.Tolerances), so that they are seen rather than silent.
func (s *Server) tolerated(ctx context.Context, tenant string, rt *schema.ResourceType, applied []schema.Applied) {
	if len(applied) == 0 {
		return
	}
	names := make([]string, len(applied))
	for i, a := range applied {
		names[i] = a.String()
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "tolerated", slog.String("tenant", tenant),
		slog.String("resourceType", rt.ID), slog.Any("tolerances", names))
}

func (s *Server) patch(w http.ResponseWriter, r *http.Request, rt *schema.ResourceType) {
	body, err := decodeBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		writeError(w, err)
		return
	}
	res, err := s.patchDoc(r.Context(), tenantOf(r), rt, r.PathValue("id"), r.Header.Get("If-Match"), body)
	if err != nil {
		writeError(w, err)
		return
	}
	if s.cfg.PatchNoContent {
		w.Header().Set("ETag", store.ETag(res.Version))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.writeResource(w, r, rt, res, http.StatusOK)
}

// patchDoc is PATCH without HTTP, shared with /Bulk.
func (s *Server) patchDoc(ctx context.Context, tenant string, rt *schema.ResourceType, id, ifMatch string, body map[string]any) (store.Resource, error) {
	ops, err := patch.ParseRequest(body)
	if err != nil {
		return store.Resource{}, err
	}
	pr := s.providerOf(tenant)
	if pr != nil && pr.PatchOps != nil {
		ops = pr.PatchOps(rt, ops)
	}
	opts := s.normalizer().Options
	var applied []schema.Applied
	res, err := s.modify(ctx, tenant, rt, id, ifMatch, func(old map[string]any) (map[string]any, error) {
		next, a, err := patch.ApplyContext(ctx, rt, old, ops, opts)
		if err != nil {
			return nil, err
		}
		applied = a
		if pr != nil && pr.Check != nil {
			if err := pr.Check(provider.Patch, rt, old, next); err != nil {
				return nil, err
			}
		}
		if err := rt.CheckRequired(next); err != nil {
			se := schema.AsError(err)
			return nil, schema.Errorf(se.ScimType, "the patched resource is not valid: %s", se.Detail)
		}
		return next, nil
	})
	if err == nil {
		s.tolerated(ctx, tenant, rt, applied)
	}
	return res, err
}

// errRetry tells modify that the resource changed between its read and its
// write; the change is computed again on the new version.
var errRetry = errors.New("server: resource changed concurrently")

// modify applies change to a resource with optimistic concurrency: it reads
// the resource, computes the new document outside the store's lock (so
// change may look up other resources, as member checks do), and writes it
// only if the version is still the one read. A concurrent writer makes it
// start over; no update is lost and a PATCH is never applied to a stale copy.
func (s *Server) modify(ctx context.Context, tenant string, rt *schema.ResourceType, id, ifMatch string, change func(old map[string]any) (map[string]any, error)) (store.Resource, error) {
	for attempt := 0; ; attempt++ {
		cur, err := s.cfg.Store.Get(ctx, tenant, rt, id)
		if err != nil {
			return store.Resource{}, err
		}
		if ifMatch != "" && !etagMatches(ifMatch, cur.Version) {
			return store.Resource{}, preconditionFailed(cur.Version)
		}
		old := clientView(cur.Doc)
		next, err := change(schema.CopyDoc(old))
		if err != nil {
			return store.Resource{}, err
		}
		if err := s.resolveMembers(ctx, tenant, rt, next, old); err != nil {
			return store.Resource{}, err
		}
		res, err := s.cfg.Store.Update(ctx, tenant, rt, id, func(now store.Resource) (map[string]any, error) {
			if now.Version != cur.Version {
				return nil, errRetry
			}
			return next, nil
		})
		if errors.Is(err, errRetry) && attempt < 100 {
			continue
		}
		if errors.Is(err, errRetry) {
			return store.Resource{}, schema.StatusError(http.StatusConflict, "%s %q is being changed by too many clients at once; retry", rt.ID, id)
		}
		return res, err
	}
}

// clientView is a stored document without what the store owns (id, meta).
func clientView(doc map[string]any) map[string]any {
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != "id" && k != "meta" {
			out[k] = v
		}
	}
	return out
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request, rt *schema.ResourceType) {
	if err := s.deleteDoc(r.Context(), tenantOf(r), rt, r.PathValue("id"), r.Header.Get("If-Match")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteDoc(ctx context.Context, tenant string, rt *schema.ResourceType, id, ifMatch string) error {
	return s.cfg.Store.Delete(ctx, tenant, rt, id, func(cur store.Resource) error {
		if ifMatch != "" && !etagMatches(ifMatch, cur.Version) {
			return preconditionFailed(cur.Version)
		}
		return nil
	})
}

func preconditionFailed(v int64) error {
	return schema.StatusError(http.StatusPreconditionFailed, "the resource has changed: its version is now %s", store.ETag(v))
}

// etagMatches reads an If-Match / If-None-Match list: "*" matches any
// version, and tags compare weakly (RFC 7232 §2.3.2), so W/"3" matches "3".
func etagMatches(header string, version int64) bool {
	want := strconv.FormatInt(version, 10)
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		t = strings.TrimPrefix(t, "W/")
		if strings.Trim(t, `"`) == want {
			return true
		}
	}
	return false
}

// resolveMembers checks the members a Group document names: each must be a
// user or group of the tenant. A member that is new in this write and names
// no resource is dropped rather than failing the whole request — Okta does
// not retry a 400, so one stale id would block the group for good (fleetdm
// issue 52600) — and "type" is set from what the id names. This look-up is
// outside the store's write, so a member deleted in between would pass it:
// the store checks again inside the write (store.KeepMembers) and drops it.
func (s *Server) resolveMembers(ctx context.Context, tenant string, rt *schema.ResourceType, doc, old map[string]any) error {
	members, ok := doc["members"].([]any)
	if !ok || rt.ID != "Group" {
		return nil
	}
	known := map[string]string{}
	if prev, ok := old["members"].([]any); ok {
		for _, m := range prev {
			if e, ok := m.(map[string]any); ok {
				if v, ok := e["value"].(string); ok {
					t, _ := e["type"].(string)
					known[v] = t
				}
			}
		}
	}
	kept := members[:0]
	seen := map[string]bool{}
	for _, m := range members {
		e, ok := m.(map[string]any)
		if !ok {
			continue
		}
		v, _ := e["value"].(string)
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		t, isOld := known[v]
		if !isOld {
			var err error
			if t, err = s.memberType(ctx, tenant, v); err != nil {
				return err
			}
			if t == "" {
				s.log.Warn("dropping unknown group member", "tenant", tenant, "member", v)
				continue
			}
		}
		if t != "" {
			e["type"] = t
		}
		// The client's $ref is not kept: it may name another tenant or
		// host (issue 14, #10); render makes it from this tenant's base.
		delete(e, "$ref")
		kept = append(kept, e)
	}
	if len(kept) == 0 {
		delete(doc, "members")
	} else {
		doc["members"] = kept
	}
	return nil
}

// memberType returns "User" or "Group" for the resource id names, or "".
func (s *Server) memberType(ctx context.Context, tenant, id string) (string, error) {
	for _, name := range []string{"User", "Group"} {
		rt, ok := s.registry(tenant).ResourceType(name)
		if !ok {
			continue
		}
		_, err := s.cfg.Store.Get(ctx, tenant, rt, id)
		if err == nil {
			return name, nil
		}
		if se := schema.AsError(err); se.Status != http.StatusNotFound {
			return "", err
		}
	}
	return "", nil
}
