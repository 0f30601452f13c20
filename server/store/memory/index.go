package memory

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/btree"

	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// index maps the string values of one attribute path to the entries that
// hold them. Lookups through it replace a scan for "path eq value" filters
// and for uniqueness checks; an index is a superset filter only — the full
// matcher still runs on what it returns — so the one thing it must never do
// is miss an entry.
//
// Besides the map of keys, an index may keep its keys in order (sorted), so
// that "path sw prefix" is a range of keys rather than a scan: IdPs and the
// conformance checks scope their lists with a userName prefix. The order is
// a B-tree of github.com/google/btree — chosen over tidwall/btree and a
// sorted slice because it has no dependencies, is generic (BTreeG[string]:
// no boxing of keys), allows concurrent reads, which Query's shared lock
// needs, and inserts in O(log n) where a sorted slice would move half of a
// 100k-key slice per create. The map stays for eq and uniqueness: a hash
// lookup is cheaper than a walk down the tree.
type index struct {
	ref    schema.Ref
	path   string // ref.Path(), to recognise the attribute in a filter
	fold   bool   // keys are foldKey(value): the attribute is not caseExact
	unique bool   // uniqueness "server" or "global": at most one entry per key
	keys   map[string][]*entry
	sorted *btree.BTreeG[string] // the keys of keys in byte order; nil: no prefix lookups
}

// btreeDegree is the B-tree's fan-out: google/btree's own examples use 32,
// and nodes of that size keep a 100k-key tree three or four levels deep.
const btreeDegree = 32

// multiIndexed names the multi-valued "value" sub-attributes worth an index:
// IdPs look users up by email, and deleting a resource needs the groups it is
// a member of without scanning every group.
var multiIndexed = []string{"emails", "members"}

// unordered names the indexed attributes that keep no key order: members'
// values are ids, which no one filters by prefix, and a group's every write
// re-adds all its members' keys, which a tree would make cost more.
var unordered = []string{"members"}

// indexesFor lists the indexes of a resource type: every unique top-level
// core attribute (userName, Group displayName), externalId, and the
// multi-valued values named in multiIndexed that the type has.
func indexesFor(rt *schema.ResourceType) []*index {
	var out []*index
	add := func(ref schema.Ref, unique bool) {
		if t := ref.Target().Type; t != schema.TypeString && t != schema.TypeReference {
			return // only strings are compared by eq on a key
		}
		ix := &index{
			ref:    ref,
			path:   ref.Path(),
			fold:   !ref.Target().CaseExact,
			unique: unique,
			keys:   map[string][]*entry{},
		}
		if !slices.Contains(unordered, ref.Attr.Name) {
			ix.sorted = btree.NewOrderedG[string](btreeDegree)
		}
		out = append(out, ix)
	}
	for _, a := range rt.Core().Attributes {
		if a.Uniqueness == "server" || a.Uniqueness == "global" {
			add(schema.Ref{Attr: a}, true)
		}
	}
	if ref, ok := rt.Find("", "externalId", ""); ok {
		add(ref, false)
	}
	for _, name := range multiIndexed {
		if ref, ok := rt.Find("", name, "value"); ok && ref.Attr.MultiValued {
			add(ref, false)
		}
	}
	return out
}

// key returns the index key of a value.
func (ix *index) key(v string) string {
	if ix.fold {
		return foldKey(v)
	}
	return v
}

// each calls fn with every string value the document holds at the index's
// path: one for a single-valued attribute, one per element for a
// multi-valued one.
func (ix *index) each(doc map[string]any, fn func(string)) {
	if ix.ref.URN != "" {
		doc, _ = doc[ix.ref.URN].(map[string]any)
	}
	v := doc[ix.ref.Attr.Name]
	if v == nil {
		return
	}
	vals, multi := v.([]any)
	if !multi {
		vals = []any{v}
	}
	for _, x := range vals {
		if ix.ref.Sub != nil {
			m, _ := x.(map[string]any)
			x = m[ix.ref.Sub.Name]
		}
		if s, ok := x.(string); ok {
			fn(s)
		}
	}
}

// add indexes e under every value of doc.
func (ix *index) add(e *entry, doc map[string]any) {
	ix.each(doc, func(v string) {
		k := ix.key(v)
		list, had := ix.keys[k]
		for _, x := range list {
			if x == e {
				return // the same value twice in one document
			}
		}
		ix.keys[k] = append(list, e)
		if !had && ix.sorted != nil {
			ix.sorted.ReplaceOrInsert(k)
		}
	})
}

// remove drops e from every key that doc's values map to.
func (ix *index) remove(e *entry, doc map[string]any) {
	ix.each(doc, func(v string) {
		k := ix.key(v)
		list := ix.keys[k]
		for i, x := range list {
			if x == e {
				list[i] = list[len(list)-1]
				list[len(list)-1] = nil
				list = list[:len(list)-1]
				break
			}
		}
		if len(list) == 0 {
			delete(ix.keys, k)
			if ix.sorted != nil {
				ix.sorted.Delete(k)
			}
		} else {
			ix.keys[k] = list
		}
	})
}

// withPrefix returns the entries under every key that begins with the key
// of prefix: what "path sw prefix" matches, since a value starts with prefix
// ignoring case exactly when its folded key starts with prefix's folded key
// (foldKey folds rune by rune, as the filter's sw compares). ok is false
// when the index keeps no key order. The result is a fresh slice, in key
// order, and may hold an entry more than once (a multi-valued attribute).
func (ix *index) withPrefix(prefix string) (_ []*entry, ok bool) {
	if ix.sorted == nil {
		return nil, false
	}
	p := ix.key(prefix)
	var out []*entry
	ix.sorted.AscendGreaterOrEqual(p, func(k string) bool {
		if !strings.HasPrefix(k, p) {
			return false
		}
		out = append(out, ix.keys[k]...)
		return true
	})
	return out, true
}

// conflict returns the uniqueness error for doc, or nil when no entry other
// than self holds one of its values. The message quotes the value as the
// client sent it.
func (ix *index) conflict(self *entry, doc map[string]any) error {
	var err error
	ix.each(doc, func(v string) {
		if err != nil {
			return
		}
		for _, x := range ix.keys[ix.key(v)] {
			if x != self {
				err = schema.Errorf(schema.Uniqueness, "%s %q is already taken", ix.path, v)
				return
			}
		}
	})
	return err
}

// foldKey is the key of a value that is not caseExact: store.Fold, the
// comparison the filter's eq makes, so uniqueness and lookups agree.
func foldKey(s string) string { return store.Fold(s) }

// String describes an index for test failure messages.
func (ix *index) String() string {
	return fmt.Sprintf("index(%s, fold=%v, unique=%v, %d keys)", ix.path, ix.fold, ix.unique, len(ix.keys))
}
