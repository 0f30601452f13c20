package memory

import (
	"slices"
	"time"

	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// entry is one stored resource. Its doc is never changed in place once
// stored: a write replaces the map. That lets readers copy a document after
// releasing the lock, and lets a write share unchanged sub-values with the
// document it replaces.
type entry struct {
	id       string
	seq      uint64 // creation order within the table
	version  int64
	created  time.Time
	modified time.Time
	doc      map[string]any
	pos      int // index in table.order
	// self holds the entry itself: the list of an index key whose only
	// entry this is (postings.add), shared by all such keys, so that most
	// keys (a userName, an email) cost no slice of their own. Appending a
	// second entry copies it out (its capacity is 1), and nothing writes
	// through it.
	self [1]*entry
}

// snapshot is the resource as stored, sharing e.doc: callers copy it (see
// resource) outside the lock.
func (e *entry) snapshot() store.Resource {
	return store.Resource{ID: e.id, Version: e.version, Doc: e.doc}
}

// resource returns a Resource with a deep copy of the stored document.
func resource(r store.Resource) store.Resource {
	r.Doc = schema.CopyDoc(r.Doc)
	return r
}

// table holds the resources of one type in one tenant.
type table struct {
	rt      *schema.ResourceType
	byID    map[string]*entry
	order   []*entry // creation order; nil marks a deleted entry until compaction
	dead    int      // nil slots in order
	seq     uint64
	indexes []*index
	members *index // the members.value index, nil for types without members
}

func newTable(rt *schema.ResourceType) *table {
	t := &table{rt: rt, byID: map[string]*entry{}, indexes: indexesFor(rt)}
	for _, ix := range t.indexes {
		if ix.ref.URN == "" && ix.ref.Attr.Name == "members" {
			t.members = ix
		}
	}
	return t
}

// live reports how many resources the table holds.
func (t *table) live() int { return len(t.byID) }

// checkUnique returns the uniqueness error doc would cause if stored for
// self (nil for a new resource).
func (t *table) checkUnique(self *entry, doc map[string]any) error {
	for _, ix := range t.indexes {
		if ix.unique {
			if err := ix.conflict(self, doc); err != nil {
				return err
			}
		}
	}
	return nil
}

// insert stores doc (already owned by the store, without id and meta) as a
// new resource. The caller has checked uniqueness.
func (t *table) insert(doc map[string]any, now time.Time) *entry {
	id := store.NewID()
	for t.byID[id] != nil { // a collision is astronomically unlikely; never reuse an id
		id = store.NewID()
	}
	t.seq++
	e := &entry{id: id, seq: t.seq, version: 1, created: now, modified: now, pos: len(t.order)}
	e.self[0] = e
	e.doc = store.WithMeta(doc, t.rt.ID, id, 1, now, now)
	t.byID[id] = e
	t.order = append(t.order, e)
	for _, ix := range t.indexes {
		ix.add(e, e.doc)
	}
	return e
}

// replace stores doc (owned, without id and meta) as the next version of e.
// The caller has checked uniqueness.
func (t *table) replace(e *entry, doc map[string]any, now time.Time) {
	old := e.doc
	e.version++
	e.modified = later(now, e.modified)
	e.doc = store.WithMeta(doc, t.rt.ID, e.id, e.version, e.created, e.modified)
	for _, ix := range t.indexes {
		ix.update(e, old, e.doc)
	}
}

// later keeps lastModified from going backwards if the wall clock does.
func later(now, prev time.Time) time.Time {
	if now.Before(prev) {
		return prev
	}
	return now
}

// remove deletes e, leaving a nil tombstone in order that compact clears
// once more than half the slice is dead, so deletes stay O(1) amortised and
// scans never wade through mostly dead slots. Tombstones are nil rather than
// flagged entries so that skipping them reads only the slice, not the heap.
func (t *table) remove(e *entry) {
	for _, ix := range t.indexes {
		ix.remove(e, e.doc)
	}
	delete(t.byID, e.id)
	t.order[e.pos] = nil
	t.dead++
	if t.dead > len(t.order)/2 {
		t.compact()
	}
}

func (t *table) compact() {
	t.order = slices.DeleteFunc(t.order, func(e *entry) bool { return e == nil })
	for i, e := range t.order {
		e.pos = i
	}
	t.dead = 0
}

// dropMember removes every member whose value is id from the groups of this
// table, bumping their version: a deleted resource leaves no dangling
// membership. It uses the members index, so it costs the number of groups
// the resource was in, not the number of groups.
func (t *table) dropMember(id string, now time.Time) {
	if t.members == nil {
		return
	}
	groups := slices.Clone(t.members.entries(t.members.key(id)))
	for _, g := range groups {
		if next, changed := withoutMember(g.doc, id); changed {
			t.replace(g, next, now)
		}
	}
}

// withoutMember returns a shallow copy of doc whose members leave out those
// with value id; unchanged sub-values are shared, which is safe because
// stored documents are never changed in place. The members index keys may
// fold case, so the exact comparison happens here.
func withoutMember(doc map[string]any, id string) (map[string]any, bool) {
	members, _ := doc["members"].([]any)
	kept := make([]any, 0, len(members))
	for _, m := range members {
		if mm, ok := m.(map[string]any); ok && mm["value"] == id {
			continue
		}
		kept = append(kept, m)
	}
	if len(kept) == len(members) {
		return doc, false
	}
	next := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != "id" && k != "meta" {
			next[k] = v
		}
	}
	if len(kept) > 0 {
		next["members"] = kept
	} else {
		delete(next, "members") // [] is unassigned (RFC 7643 §2.5); canonical docs drop it
	}
	return next, true
}
