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
	keys   map[string]postings
	sorted *btree.BTreeG[string] // the keys of keys in byte order; nil: no prefix lookups
}

// postings are the entries under one key of an index. Most keys have one
// entry (a userName, an email); some have nearly every entry of the table
// (title "Engineer", emails.type "work", a department). Adding or removing
// an entry must not cost the length of the list: a linear scan for the
// entry made each create of the 100,000th user walk six lists of 100,000
// (BenchmarkCreate went from 0.1 ms at 1k users to 0.4-0.6 ms at 100k). So
// a list longer than smallPostings keeps each entry's position in a map:
// the set of the list, which makes add and remove O(1).
type postings struct {
	list []*entry
	pos  map[*entry]int // position in list of each entry; nil while the list is short
}

// smallPostings is the longest list searched linearly: up to here a scan
// of a few pointers is cheaper than a map, and most keys never reach it.
const smallPostings = 8

// add appends e unless it is there already (a document holding the same
// value twice); added reports whether it was new.
func (p *postings) add(e *entry) (added bool) {
	if p.pos != nil {
		if _, ok := p.pos[e]; ok {
			return false
		}
		p.pos[e] = len(p.list)
	} else if slices.Contains(p.list, e) {
		return false
	}
	if p.list == nil {
		p.list = e.self[:] // the only entry: no slice of its own (see entry.self)
		return true
	}
	p.list = append(p.list, e)
	if p.pos == nil && len(p.list) > smallPostings {
		p.pos = make(map[*entry]int, len(p.list))
		for i, x := range p.list {
			p.pos[x] = i
		}
	}
	return true
}

// remove drops e, moving the last entry into its place.
func (p *postings) remove(e *entry) {
	i := -1
	if p.pos != nil {
		if j, ok := p.pos[e]; ok {
			i = j
			delete(p.pos, e)
		}
	} else {
		i = slices.Index(p.list, e)
	}
	if i < 0 {
		return
	}
	last := len(p.list) - 1
	if last == 0 {
		p.list = nil // never write through: the list may be e.self
		return
	}
	if i != last {
		p.list[i] = p.list[last]
		if p.pos != nil {
			p.pos[p.list[i]] = i
		}
	}
	p.list[last] = nil
	p.list = p.list[:last]
}

// btreeDegree is the B-tree's fan-out: google/btree's own examples use 32,
// and nodes of that size keep a 100k-key tree three or four levels deep.
const btreeDegree = 32

// unordered names the indexed attributes that keep no key order, and whose
// sub-attributes other than "value" have no index at all: members' values
// are ids, which no one filters by prefix, and a group's members are most of
// its document — a write of a group with thousands of members would
// otherwise maintain thousands of keys in each of four indexes.
var unordered = []string{"members"}

// indexesFor lists the indexes of a resource type: one for every string
// (or reference) attribute and sub-attribute of its core and extension
// schemas, and externalId; uniqueness "server" or "global" on a top-level
// core attribute (userName, Group displayName) makes the index unique. An
// index on every path, not only on the unique ones, is what keeps a lookup
// by any attribute from scanning every resource: the generated conformance
// checks read each write back with "ATTR eq <a value unique to the check>"
// on each attribute in turn (title, name.familyName, addresses.country,
// enterprise employeeNumber…), 265 scans of the population per conform
// run. Attributes never returned (password) are left out: no one finds a
// user by them, and an index would be a second copy of each; so are those
// with canonical values (emails.type, addresses.type), which select
// nothing.
func indexesFor(rt *schema.ResourceType) []*index {
	var out []*index
	add := func(ref schema.Ref, unique bool) {
		if t := ref.Target().Type; t != schema.TypeString && t != schema.TypeReference {
			return // only strings are compared by eq on a key
		}
		if ref.Attr.Returned == schema.ReturnedNever || ref.Target().Returned == schema.ReturnedNever {
			return
		}
		if len(ref.Target().CanonicalValues) > 0 {
			// A handful of values ("work", "home"): each key would list
			// most of the table, selecting nothing, and every write would
			// pay for a place in those lists.
			return
		}
		ix := &index{
			ref:    ref,
			path:   ref.Path(),
			fold:   !ref.Target().CaseExact,
			unique: unique,
			keys:   map[string]postings{},
		}
		if !slices.Contains(unordered, ref.Attr.Name) {
			ix.sorted = btree.NewOrderedG[string](btreeDegree)
		}
		out = append(out, ix)
	}
	attrs := func(urn string, as []*schema.Attribute) {
		for _, a := range as {
			if a.Type != schema.TypeComplex {
				add(schema.Ref{URN: urn, Attr: a}, urn == "" && (a.Uniqueness == "server" || a.Uniqueness == "global"))
				continue
			}
			for _, sub := range a.SubAttributes {
				if urn == "" && slices.Contains(unordered, a.Name) && sub.Name != "value" {
					continue
				}
				add(schema.Ref{URN: urn, Attr: a, Sub: sub}, false)
			}
		}
	}
	attrs("", rt.Core().Attributes)
	if ref, ok := rt.Find("", "externalId", ""); ok {
		add(ref, false)
	}
	for _, e := range rt.Extensions() {
		attrs(e.ID, e.Attributes)
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
// multi-valued one, one per value of a multi-valued sub-attribute (an
// extension may declare one) in each element.
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
		if ix.ref.Sub == nil {
			if s, ok := x.(string); ok {
				fn(s)
			}
			continue
		}
		m, _ := x.(map[string]any)
		switch sv := m[ix.ref.Sub.Name].(type) {
		case string:
			fn(sv)
		case []any: // a multi-valued sub-attribute: each of its values
			for _, y := range sv {
				if s, ok := y.(string); ok {
					fn(s)
				}
			}
		}
	}
}

// add indexes e under every value of doc.
func (ix *index) add(e *entry, doc map[string]any) {
	ix.each(doc, func(v string) { ix.addKey(e, ix.key(v)) })
}

// remove drops e from every key that doc's values map to.
func (ix *index) remove(e *entry, doc map[string]any) {
	ix.each(doc, func(v string) { ix.removeKey(e, ix.key(v)) })
}

// update moves e from the keys of old to those of next, touching only the
// keys that differ: a PATCH of one attribute leaves the other indexes, and
// a member added to a large group the keys of the other members, as they
// are.
func (ix *index) update(e *entry, old, next map[string]any) {
	was, is := ix.keysOf(old), ix.keysOf(next)
	if slices.Equal(was, is) {
		return
	}
	in := func(keys []string) func(string) bool {
		if len(keys) <= 8 { // the values of one attribute: a set costs more
			return func(k string) bool { return slices.Contains(keys, k) }
		}
		set := make(map[string]struct{}, len(keys))
		for _, k := range keys {
			set[k] = struct{}{}
		}
		return func(k string) bool { _, ok := set[k]; return ok }
	}
	inWas, inIs := in(was), in(is)
	for _, k := range was {
		if !inIs(k) {
			ix.removeKey(e, k)
		}
	}
	for _, k := range is {
		if !inWas(k) {
			ix.addKey(e, k)
		}
	}
}

// keysOf lists the keys of doc's values, in document order.
func (ix *index) keysOf(doc map[string]any) []string {
	var out []string
	ix.each(doc, func(v string) { out = append(out, ix.key(v)) })
	return out
}

func (ix *index) addKey(e *entry, k string) {
	p, had := ix.keys[k]
	if !p.add(e) {
		return
	}
	ix.keys[k] = p
	if !had && ix.sorted != nil {
		ix.sorted.ReplaceOrInsert(k)
	}
}

func (ix *index) removeKey(e *entry, k string) {
	p, ok := ix.keys[k]
	if !ok {
		return
	}
	p.remove(e)
	if len(p.list) == 0 {
		delete(ix.keys, k)
		if ix.sorted != nil {
			ix.sorted.Delete(k)
		}
		return
	}
	ix.keys[k] = p
}

// entries returns the entries under key k, shared with the index: the
// caller must not change the slice.
func (ix *index) entries(k string) []*entry { return ix.keys[k].list }

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
		out = append(out, ix.keys[k].list...)
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
		for _, x := range ix.entries(ix.key(v)) {
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
