package memory

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/scimharness/scimharness/server/schema"
)

// sorter orders query results by one attribute (RFC 7644 §3.4.2.3).
type sorter struct {
	ref  schema.Ref
	attr *schema.Attribute // the attribute whose values are compared
	desc bool
}

// newSorter resolves sortBy against rt. A complex attribute must be sorted
// by one of its sub-attributes (RFC 7644 §3.4.2.3); as a tolerance, a
// complex attribute with a "value" sub-attribute ("emails") sorts by it.
func newSorter(rt *schema.ResourceType, sortBy string, desc bool) (*sorter, error) {
	ref, ok := rt.Find(schema.SplitPath(sortBy))
	if !ok {
		return nil, schema.Errorf(schema.InvalidValue, "sortBy: unknown attribute %q", sortBy)
	}
	if ref.Target().Type == schema.TypeComplex {
		if ref.Sub != nil || ref.Attr.Sub("value") == nil {
			return nil, schema.Errorf(schema.InvalidValue, "sortBy: %q is complex; name one of its sub-attributes", sortBy)
		}
		ref.Sub = ref.Attr.Sub("value")
	}
	return &sorter{ref: ref, attr: ref.Target(), desc: desc}, nil
}

// sortKey is the comparable form of one resource's sort value; ok is false
// for a resource without one.
type sortKey struct {
	ok bool
	s  string
	i  int64
	f  float64
	t  time.Time
}

type keyed struct {
	e *entry
	k sortKey
}

// sort orders entries (given in creation order) in place. Keys are computed
// once per entry, not per comparison; the sort is stable, so ties keep
// creation order in either direction.
func (o *sorter) sort(entries []*entry) {
	ks := make([]keyed, len(entries))
	for i, e := range entries {
		ks[i] = keyed{e: e, k: o.key(o.value(e.doc))}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int { return o.compare(a.k, b.k) })
	for i := range ks {
		entries[i] = ks[i].e
	}
}

// compare puts resources without a value last when ascending and first
// when descending: RFC 7644 §3.4.2.3, "if there is no data for the specified
// sortBy value, they are sorted via the sortOrder parameter, i.e., they are
// ordered last if ascending and first if descending".
func (o *sorter) compare(a, b sortKey) int {
	var c int
	switch {
	case !a.ok && !b.ok:
		return 0
	case !a.ok:
		c = 1
	case !b.ok:
		c = -1
	default:
		c = o.compareValues(a, b)
	}
	if o.desc {
		return -c
	}
	return c
}

func (o *sorter) compareValues(a, b sortKey) int {
	switch o.attr.Type {
	case schema.TypeBoolean, schema.TypeInteger:
		return cmp.Compare(a.i, b.i)
	case schema.TypeDecimal:
		return cmp.Compare(a.f, b.f)
	case schema.TypeDateTime:
		return a.t.Compare(b.t)
	}
	return strings.Compare(a.s, b.s)
}

// value finds the sort value in doc. For a multi-valued attribute it is the
// primary value or else the first (RFC 7644 §3.4.2.3).
func (o *sorter) value(doc map[string]any) any {
	if o.ref.URN != "" {
		doc, _ = doc[o.ref.URN].(map[string]any)
	}
	v := doc[o.ref.Attr.Name]
	if list, ok := v.([]any); ok {
		v = primaryOrFirst(list)
	}
	if o.ref.Sub != nil {
		m, _ := v.(map[string]any)
		v = m[o.ref.Sub.Name]
	}
	return v
}

func primaryOrFirst(list []any) any {
	for _, x := range list {
		if m, ok := x.(map[string]any); ok && m["primary"] == true {
			return x
		}
	}
	if len(list) == 0 {
		return nil
	}
	return list[0]
}

// key converts a value to its sortKey according to the attribute's type;
// strings compare case-insensitively unless the attribute is caseExact. A
// value of the wrong type counts as no value.
func (o *sorter) key(v any) sortKey {
	if v == nil {
		return sortKey{}
	}
	switch o.attr.Type {
	case schema.TypeBoolean:
		b, ok := v.(bool)
		if !ok {
			return sortKey{}
		}
		if b {
			return sortKey{ok: true, i: 1}
		}
		return sortKey{ok: true}
	case schema.TypeInteger:
		i, ok := toInt(v)
		return sortKey{ok: ok, i: i}
	case schema.TypeDecimal:
		f, ok := toFloat(v)
		return sortKey{ok: ok, f: f}
	case schema.TypeDateTime:
		s, _ := v.(string)
		t, err := schema.ParseTime(s)
		return sortKey{ok: err == nil, t: t}
	}
	s, ok := v.(string)
	if ok && !o.attr.CaseExact {
		s = foldKey(s)
	}
	return sortKey{ok: ok, s: s}
}

func toInt(v any) (int64, bool) {
	switch t := v.(type) {
	case int64:
		return t, true
	case int:
		return int64(t), true
	case float64:
		return int64(t), true
	case json.Number:
		i, err := t.Int64()
		return i, err == nil
	}
	return 0, false
}

func toFloat(v any) (float64, bool) {
	switch t := v.(type) {
	case float64:
		return t, true
	case int64:
		return float64(t), true
	case int:
		return float64(t), true
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	}
	return 0, false
}
