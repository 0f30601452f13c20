// Package store defines what the server needs from a place to keep
// resources: the small [Store] interface that the memory and Postgres stores
// implement, and the types that cross it.
//
// A store keeps, per tenant and resource type, canonical documents (see
// package schema). It owns "id" and "meta" (resourceType, created,
// lastModified, version) and writes them on every create and update; the
// server adds meta.location and "schemas" on output. A store enforces
// uniqueness of attributes whose uniqueness is "server" (userName
// case-insensitively with [Fold], the comparison of eq filters, group
// displayName), keeps group membership consistent — a write stores only
// members naming a User or Group of the tenant ([KeepMembers], checked in
// the write's own lock or transaction) and a delete removes the resource
// from every group — refuses text it cannot keep ([CheckText]) and
// filters larger than [MaxFilterTerms] ([CheckFilter]), and hands out
// deep copies only.
package store

import (
	"context"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
)

// Resource is a stored resource: Doc holds every attribute including "id" and
// "meta"; Version is the number behind meta.version (W/"<Version>").
type Resource struct {
	ID      string
	Version int64
	Doc     map[string]any
	// Load, set only in answer to a Query with LazyDoc, is how to get Doc
	// when Doc is nil: see Query.LazyDoc.
	Load func() (map[string]any, error)
}

// Loaded returns r with its Doc: r itself, or r with Doc read by Load.
func (r Resource) Loaded() (Resource, error) {
	if r.Doc != nil || r.Load == nil {
		return r, nil
	}
	doc, err := r.Load()
	if err != nil {
		return Resource{}, err
	}
	r.Doc, r.Load = doc, nil
	return r, nil
}

// Query selects, sorts and pages resources of one type (RFC 7644 §3.4.2).
type Query struct {
	Filter     filter.Expr // nil selects every resource
	SortBy     string      // attribute path; "" keeps the store's stable order (creation order)
	Descending bool
	StartIndex int // 1-based; values below 1 are read as 1
	Count      int // most resources to return; 0 returns none (Total only); negative means no limit
	// LazyDoc lets the store leave a resource's Doc nil and set Load
	// instead (the caller then reads Doc through Resource.Loaded). The
	// server asks for it when it may answer from its render cache, which
	// needs a resource's id, version and groups but not its document: the
	// Postgres store then skips decoding the stored JSON of every resource
	// the cache already holds. A store may ignore it.
	LazyDoc bool
}

// Page is the answer to a Query: Total counts every match, Resources holds
// the requested window.
type Page struct {
	Total     int
	Resources []Resource
}

// Store keeps resources per tenant. Every error it returns is a
// *schema.Error (404 for an unknown id, 409 uniqueness, 412 from a check
// function, 400 invalidFilter, tooMany or invalidValue, 507 for a backing
// service out of storage) or wraps schema.ErrUnavailable (the backing
// service is unreachable, read-only or out of resources, or ctx ended
// before the store answered).
type Store interface {
	// Create stores doc (canonical, without id and meta) as a new resource.
	// Its members that name no User or Group of the tenant are left out
	// (as by Update), atomically with the write.
	Create(ctx context.Context, tenant string, rt *schema.ResourceType, doc map[string]any) (Resource, error)
	// Get returns the resource with the given id.
	Get(ctx context.Context, tenant string, rt *schema.ResourceType, id string) (Resource, error)
	// Update reads the resource, calls fn with a copy, and stores the
	// document fn returns (without id and meta), all atomically: no other
	// write to that resource happens between the read and the write. fn may
	// return an error (a 412 for If-Match, a PATCH error) to abort. fn may
	// run under the store's lock: it must not call the store.
	Update(ctx context.Context, tenant string, rt *schema.ResourceType, id string, fn func(cur Resource) (map[string]any, error)) (Resource, error)
	// Delete removes the resource after check (nil: no check) accepts it,
	// and removes it from the members of every group of the tenant. Like
	// Update's fn, check must not call the store.
	Delete(ctx context.Context, tenant string, rt *schema.ResourceType, id string, check func(cur Resource) error) error
	// Query returns the resources of one type that match q.Filter. Its
	// documents are read-only: a store may share them with its own state
	// (the memory store does: copying every result was a fifth of the
	// allocations of Entra's userName lookup, and every caller only reads
	// or projects them). A store never changes a document it has handed
	// out; an update stores a new one. Create, Get and Update hand out
	// copies the caller may change.
	Query(ctx context.Context, tenant string, rt *schema.ResourceType, q Query) (Page, error)
}

// GroupsReader is an optional capability of a [Store], in the manner of
// net/http's Flusher: reads that also answer, in the same round trip to the
// backing service, the groups each resource read is a member of — what the
// server shows as the derived User.groups (RFC 7643 §4.1.2). A store
// without it is read in two steps (the resources, then one Query for
// "members.value eq" each); the answer must be the same either way.
//
// The groups of a resource are the resources of type gt of the tenant whose
// "members" is an array holding an object with a string "value" equal,
// case-exactly (ids are, RFC 7643 §3.1), to the resource's id; each group
// once, in the store's stable order (creation order). Each group is a
// Resource with ID set and a Doc holding only "displayName", when the
// group's is a string.
type GroupsReader interface {
	// GetWithGroups is Get, and the groups of the resource.
	GetWithGroups(ctx context.Context, tenant string, rt *schema.ResourceType, id string, gt *schema.ResourceType) (Resource, []Resource, error)
	// QueryWithGroups is Query, and the groups of each resource of the
	// page, by resource id (a resource in no group has no entry).
	QueryWithGroups(ctx context.Context, tenant string, rt *schema.ResourceType, q Query, gt *schema.ResourceType) (Page, map[string][]Resource, error)
	// GroupsOf is the groups of each of the resources ids, by id (a
	// resource in no group, or that does not exist, has no entry): what the
	// server shows of a resource it has just written. Unlike a Query of
	// "members.value eq" each, it reads no member list back.
	GroupsOf(ctx context.Context, tenant string, ids []string, gt *schema.ResourceType) (map[string][]Resource, error)
}
