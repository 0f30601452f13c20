package server

import (
	"strconv"
	"sync"

	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// DefaultRenderCacheBytes is Config.RenderCacheBytes's default.
const DefaultRenderCacheBytes = 64 << 20

// renderCache keeps the encoded JSON of rendered resources, so that a
// repeated read of an unchanged resource — Entra's userName lookup, again
// and again for the same users — copies stored bytes instead of projecting
// the document and encoding the projection (issue 20: a third of the
// handler's CPU, and most of its garbage).
//
// It lives here, on the render path, and not in the store, because what is
// cached is an answer, not a document: it depends on the request's base
// URL, its attributes/excludedAttributes, the tenant's schema and the
// user's derived groups, none of which the store knows. It is safe by
// construction rather than by invalidation: an entry's key holds
// everything its bytes are made from (renderKey), so a changed resource,
// a changed group, another tenant, schema, base URL or projection simply
// looks up another key, and an old entry is never found again — also when
// another replica on the same database made the change. The resource's
// version stands for its document: a store bumps it on every write,
// membership changes included, and never reuses an id (the ETag contract,
// RFC 7644 §3.14). The groups are in the key by content (each group's id
// and displayName, what User.groups shows), because a group write does not
// bump its members' versions.
//
// Memory is bounded by a byte budget; past it, arbitrary entries (Go's
// map order) are evicted, stale ones as likely as live ones. The values
// are []byte, which the garbage collector does not scan.
type renderCache struct {
	mu     sync.RWMutex
	m      map[renderKey][]byte
	size   int // bytes held, keys included
	budget int
}

// renderKey names one rendered form of one resource. The schema is named
// by pointer: the tenant's registry and resource type are what the answer
// is projected, ordered and linked by, and a provider map replaced at run
// time (SetProviders) brings new ones. form is renderForm's encoding of
// the rest.
type renderKey struct {
	reg  *schema.Registry
	rt   *schema.ResourceType
	form string
}

// entryOverhead approximates a map entry's own bytes (key, slice header,
// bucket share), so that many tiny entries still count.
const entryOverhead = 96

func newRenderCache(budget int) *renderCache {
	if budget <= 0 {
		return nil
	}
	return &renderCache{m: map[renderKey][]byte{}, budget: budget}
}

// get returns the stored bytes for k; they are never changed after put, so
// the caller may read them without the lock.
func (c *renderCache) get(reg *schema.Registry, rt *schema.ResourceType, form []byte) ([]byte, bool) {
	c.mu.RLock()
	b, ok := c.m[renderKey{reg, rt, string(form)}] // no allocation: the conversion is for the lookup only
	c.mu.RUnlock()
	return b, ok
}

// put stores b for the key. An entry larger than a sixteenth of the budget
// (a group of many members) is not kept: it would evict many small ones.
func (c *renderCache) put(reg *schema.Registry, rt *schema.ResourceType, form []byte, b []byte) {
	n := len(form) + len(b) + entryOverhead
	if n > c.budget/16 {
		return
	}
	k := renderKey{reg, rt, string(form)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[k]; ok {
		c.size -= len(form) + len(old) + entryOverhead
	}
	c.m[k] = b
	c.size += n
	if c.size <= c.budget {
		return
	}
	// Evict down to 15/16 of the budget, so that eviction runs once per
	// many puts, not on each.
	for ek, eb := range c.m {
		if c.size <= c.budget-c.budget/16 {
			break
		}
		delete(c.m, ek)
		c.size -= len(ek.form) + len(eb) + entryOverhead
	}
}

// renderForm appends to dst the part of a rendered form's key that is not
// the schema and the base URL: tenant, id, version, projection and groups,
// each length-prefixed so that no two keys run together.
func renderForm(dst []byte, tenant string, res store.Resource, v view, groups []store.Resource, showsGroups bool) []byte {
	dst = appendField(dst, tenant)
	dst = appendField(dst, res.ID)
	dst = strconv.AppendInt(dst, res.Version, 10)
	dst = append(dst, ';')
	dst = appendList(dst, v.attributes)
	dst = appendList(dst, v.excluded)
	if !showsGroups {
		return append(dst, '-')
	}
	dst = strconv.AppendInt(dst, int64(len(groups)), 10)
	dst = append(dst, ';')
	for _, g := range groups {
		dst = appendField(dst, g.ID)
		if dn, ok := g.Doc["displayName"].(string); ok {
			dst = append(dst, '+')
			dst = appendField(dst, dn)
		} else {
			dst = append(dst, '-')
		}
	}
	return dst
}

func appendField(dst []byte, s string) []byte {
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, ':')
	return append(dst, s...)
}

func appendList(dst []byte, l []string) []byte {
	dst = strconv.AppendInt(dst, int64(len(l)), 10)
	dst = append(dst, ';')
	for _, s := range l {
		dst = appendField(dst, s)
	}
	return dst
}
