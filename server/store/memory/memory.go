// Package memory is the embedded default store of the reference server: it
// keeps every tenant's resources in process memory, so it is ephemeral —
// everything is gone when the process exits — and needs no setup, which is
// what a conformance harness's reference server wants.
//
// Each tenant has its own data and its own lock, so no call for one tenant
// can see or touch another's resources, and tenants never wait on each
// other. Within a tenant, reads run in parallel and writes are serialised:
// Update holds the write lock while its fn runs, so concurrent PATCHes of one
// resource never lose an update, and a uniqueness check and the write it
// guards are one step. Indexes on id and on every string attribute and
// sub-attribute (userName, externalId, emails.value, title, enterprise
// employeeNumber…; of members only value) let equality filters, uniqueness
// checks, membership clean-up and the derived User.groups (the store is a
// store.GroupsReader) avoid scanning the tenant's resources. All but the
// members index also keep their keys in order, in a B-tree of
// github.com/google/btree, so that "sw" on those attributes (the userName
// prefix with which IdPs and the conformance checks scope their lists) is a
// range of keys, not a scan: google/btree rather than tidwall/btree or a
// hand-written sorted slice because it is generic, has no dependencies,
// allows the concurrent reads of Query's shared lock, and inserts in
// O(log n) where a sorted slice moves half its keys per create.
//
// Stored documents are never changed in place (a write replaces the map), so
// readers take pointers under the read lock and deep-copy after releasing
// it: callers only ever see copies, and copying doesn't lengthen the time the
// lock is held.
package memory

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// Store is the in-memory store. The zero value is not usable; call New.
type Store struct {
	mu      sync.RWMutex
	tenants map[string]*space

	now func() time.Time // the clock, replaceable by tests

	// examined counts the entries Query ran a filter matcher on, so tests
	// can tell an index lookup from a scan.
	examined atomic.Int64
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{tenants: map[string]*space{}, now: time.Now}
}

// space is one tenant's data: a table per resource type, under one lock
// because deleting a resource of one type changes another (groups).
type space struct {
	mu     sync.RWMutex
	tables map[string]*table // by ResourceType.ID
}

// space returns the tenant's data, creating it when create is set; without
// create it returns nil for a tenant that has never written anything, so
// reads for unknown tenants allocate nothing.
func (s *Store) space(tenant string, create bool) *space {
	s.mu.RLock()
	sp := s.tenants[tenant]
	s.mu.RUnlock()
	if sp != nil || !create {
		return sp
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sp = s.tenants[tenant]; sp == nil {
		sp = &space{tables: map[string]*table{}}
		s.tenants[tenant] = sp
	}
	return sp
}

// table returns the tenant's table for rt, creating it on first write. The
// caller holds sp.mu for writing.
func (sp *space) table(rt *schema.ResourceType) *table {
	t := sp.tables[rt.ID]
	if t == nil {
		t = newTable(rt)
		sp.tables[rt.ID] = t
	}
	return t
}

// cancelled turns a done context into the store's error for it: a wrapped
// ErrUnavailable (the interface allows no other non-SCIM error) that still
// matches context.Canceled or DeadlineExceeded with errors.Is.
func cancelled(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory store: %w: %w", schema.ErrUnavailable, err)
	}
	return nil
}

// Create stores doc as a new resource with a fresh id and meta.
func (s *Store) Create(ctx context.Context, tenant string, rt *schema.ResourceType, doc map[string]any) (store.Resource, error) {
	if err := cancelled(ctx); err != nil {
		return store.Resource{}, err
	}
	if err := store.CheckText(doc); err != nil {
		return store.Resource{}, err
	}
	own := ownCopy(doc) // outside the lock: the copy is the expensive part
	sp := s.space(tenant, true)
	sp.mu.Lock()
	own = sp.liveMembers(rt, own)
	t := sp.table(rt)
	if err := t.checkUnique(nil, own); err != nil {
		sp.mu.Unlock()
		return store.Resource{}, err
	}
	r := t.insert(own, s.now()).snapshot()
	sp.mu.Unlock()
	return resource(r), nil
}

// Get returns a copy of the resource with the given id.
func (s *Store) Get(ctx context.Context, tenant string, rt *schema.ResourceType, id string) (store.Resource, error) {
	if err := cancelled(ctx); err != nil {
		return store.Resource{}, err
	}
	sp := s.space(tenant, false)
	if sp == nil {
		return store.Resource{}, schema.NotFound(rt.ID, id)
	}
	sp.mu.RLock()
	e := sp.lookup(rt, id)
	var r store.Resource
	if e != nil {
		r = e.snapshot()
	}
	sp.mu.RUnlock()
	if e == nil {
		return store.Resource{}, schema.NotFound(rt.ID, id)
	}
	return resource(r), nil
}

// lookup returns the live entry with the given id, or nil. The caller holds
// sp.mu.
func (sp *space) lookup(rt *schema.ResourceType, id string) *entry {
	if t := sp.tables[rt.ID]; t != nil {
		return t.byID[id]
	}
	return nil
}

// Update runs fn on a copy of the current resource and stores what it
// returns, all under the tenant's write lock. fn must not call the store.
func (s *Store) Update(ctx context.Context, tenant string, rt *schema.ResourceType, id string, fn func(cur store.Resource) (map[string]any, error)) (store.Resource, error) {
	if err := cancelled(ctx); err != nil {
		return store.Resource{}, err
	}
	sp := s.space(tenant, false)
	if sp == nil {
		return store.Resource{}, schema.NotFound(rt.ID, id)
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	e := sp.lookup(rt, id)
	if e == nil {
		return store.Resource{}, schema.NotFound(rt.ID, id)
	}
	next, err := fn(resource(e.snapshot()))
	if err != nil {
		return store.Resource{}, err
	}
	if err := store.CheckText(next); err != nil {
		return store.Resource{}, err
	}
	own := sp.liveMembers(rt, ownCopy(next))
	t := sp.tables[rt.ID]
	if err := t.checkUnique(e, own); err != nil {
		return store.Resource{}, err
	}
	t.replace(e, own, s.now())
	return resource(e.snapshot()), nil
}

// liveMembers drops the members of doc that name no resource of the
// tenant (store.MemberTypes). The caller holds sp.mu for writing, which
// Delete needs too: a member deleted before this write is dropped here, one
// deleted after it is removed from the stored group by Delete.
func (sp *space) liveMembers(rt *schema.ResourceType, doc map[string]any) map[string]any {
	if !store.HasMembers(rt) {
		return doc
	}
	doc, _ = store.KeepMembers(doc, func(id string) bool {
		for _, name := range store.MemberTypes {
			if t := sp.tables[name]; t != nil && t.byID[id] != nil {
				return true
			}
		}
		return false
	})
	return doc
}

// Delete removes the resource once check accepts it, then removes it from
// the members of every group of the tenant.
func (s *Store) Delete(ctx context.Context, tenant string, rt *schema.ResourceType, id string, check func(cur store.Resource) error) error {
	if err := cancelled(ctx); err != nil {
		return err
	}
	sp := s.space(tenant, false)
	if sp == nil {
		return schema.NotFound(rt.ID, id)
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	e := sp.lookup(rt, id)
	if e == nil {
		return schema.NotFound(rt.ID, id)
	}
	if check != nil {
		if err := check(resource(e.snapshot())); err != nil {
			return err
		}
	}
	sp.tables[rt.ID].remove(e)
	now := s.now()
	for _, t := range sp.tables {
		t.dropMember(id, now)
	}
	return nil
}
