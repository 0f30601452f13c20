package patch

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/scimharness/scimharness/server/schema"
)

// Apply applies ops, in order, to doc: a canonical document without "id" and
// "meta". doc is never modified: the operations work on a copy, and when one
// fails Apply returns its error and nothing else (RFC 7644 §3.5.2: "the
// entire request fails"). The result is normalised with rt.Normalize (types,
// required attributes, one primary) and checked with rt.CheckImmutable.
//
// Every error is a *schema.Error whose detail names the failing operation
// (1-based) and its path.
func Apply(rt *schema.ResourceType, doc map[string]any, ops []Operation) (map[string]any, error) {
	out, _, err := ApplyWith(rt, doc, ops, schema.Options{})
	return out, err
}

// ApplyWith is Apply under opts: the tolerances of [schema.Tolerances] that
// opts allows are applied to the operations' values and returned, in the
// order applied; under schema.TolerateNone a value of the wrong type fails
// its operation with invalidValue. With opts.DeferRequired the result is not
// checked for required attributes (the caller runs
// [schema.ResourceType.CheckRequired]).
func ApplyWith(rt *schema.ResourceType, doc map[string]any, ops []Operation, opts schema.Options) (map[string]any, []schema.Applied, error) {
	return ApplyContext(context.Background(), rt, doc, ops, opts)
}

// ApplyContext is ApplyWith that stops when ctx ends (the client left, or
// the request's deadline passed), checked before each operation: a large
// PATCH does no work for nobody. The error then wraps
// [schema.ErrUnavailable] (503) and ctx's error.
func ApplyContext(ctx context.Context, rt *schema.ResourceType, doc map[string]any, ops []Operation, opts schema.Options) (map[string]any, []schema.Applied, error) {
	if len(ops) > MaxOperations {
		return nil, nil, tooMany(len(ops))
	}
	p := &patcher{rt: rt, doc: schema.CopyDoc(doc), norm: &schema.Normalizer{Options: opts}}
	if p.doc == nil {
		p.doc = map[string]any{}
	}
	for i, op := range ops {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("patch: stopped before operation %d: %w: %w", i+1, schema.ErrUnavailable, err)
		}
		kind := kindOf(op.Op)
		if kind == "" {
			return nil, nil, unknownOp(i+1, op.Op)
		}
		if err := p.apply(kind, op); err != nil {
			return nil, nil, opError(i+1, op, err)
		}
	}
	// The working copy holds canonical values only, so this pass applies
	// no tolerance of its own.
	out, err := p.norm.Document(rt, p.doc)
	if err != nil {
		se := schema.AsError(err)
		return nil, nil, schema.Errorf(se.ScimType, "the patched resource is not valid: %s", se.Detail)
	}
	if err := rt.CheckImmutable(doc, out); err != nil {
		return nil, nil, err
	}
	return out, p.norm.Applied, nil
}

// opError prefixes err with the operation it comes from.
func opError(idx int, op Operation, err error) error {
	se := schema.AsError(err)
	return schema.Errorf(se.ScimType, "operation %d (%s%s): %s", idx, op.Op, pathSuffix(op.Path), se.Detail)
}

// patcher holds the working copy the operations change.
type patcher struct {
	rt  *schema.ResourceType
	doc map[string]any
	// norm normalises the operations' values and collects the tolerances
	// it applied.
	norm *schema.Normalizer
	// added is the key set of the multi-valued attribute the previous
	// operation added values to, for the next operation if it adds to the
	// same one: Entra ID sends one operation per member, and rebuilding the
	// set of a 20,000-member group for each of 1,000 adds took 19 s (issue
	// 14 #10). Any other operation forgets it (see apply).
	added *keySet
	// mayCache is set while an operation with a path runs: only those
	// record added (a path-less one may change the same attribute's
	// elements through another key).
	mayCache bool
}

// keySet is the valueKey of every element of arr, the attribute's list
// after an add to the attribute named by attr.
type keySet struct {
	attr    string // urn + "\x00" + name
	arr     []any
	present map[string]bool
}

// matches reports whether ks was built for arr, the attribute's list now:
// the same backing array and length, which nothing but setMulti changes
// between two consecutive adds.
func (ks *keySet) matches(attr string, arr []any) bool {
	return ks != nil && ks.attr == attr && len(ks.arr) == len(arr) && len(arr) > 0 && &ks.arr[0] == &arr[0]
}

func (p *patcher) apply(kind string, op Operation) error {
	path := strings.TrimSpace(op.Path)
	reuse := p.added
	p.added, p.mayCache = nil, false
	if path != "" && kind == opAdd {
		p.added, p.mayCache = reuse, true // setMulti checks it still fits
	}
	defer func() { p.mayCache = false }()
	if path == "" {
		if kind == opRemove {
			return schema.Errorf(schema.NoTarget, "remove requires a path (RFC 7644 §3.5.2.2)")
		}
		obj, ok := op.Value.(map[string]any)
		if !ok {
			return schema.Errorf(schema.InvalidValue, "without a path, the value must be a JSON object of attributes (RFC 7644 §3.5.2.1)")
		}
		return p.setObject(obj, kind == opReplace, nil)
	}
	t, found, err := p.resolve(path)
	if err != nil {
		return err
	}
	if !found {
		return schema.Errorf(schema.InvalidPath, "path %q names no attribute of %s", path, p.rt.Name)
	}
	if t.readOnly() {
		return schema.Errorf(schema.Mutability, "attribute %q is readOnly (RFC 7643 §7)", path)
	}
	if kind == opRemove {
		return p.remove(t, op.Value)
	}
	return p.set(t, op.Value, kind == opReplace)
}

// setObject applies a path-less add or replace (RFC 7644 §3.5.2.1,
// §3.5.2.3): each key of obj is applied as if it were the path of its own
// operation. within is the extension whose object obj is, nil at the top.
//
// Keys may be attribute names (any case), dotted "name.givenName" (Entra ID
// with aadOptscim062020), URN-qualified, an extension URN whose value is an
// object of its attributes, or the core schema URN likewise. Unknown and
// readOnly keys are ignored, as in a POST body (RFC 7644 §3.3): Okta renames
// a group with a value carrying its read-only "id".
//
// Keys are applied in case-insensitive sorted order, so the result never
// depends on map order and an attribute comes before its sub-attributes ("name" before
// "name.givenName"), the more specific key winning.
func (p *patcher) setObject(obj map[string]any, replace bool, within *schema.Schema) error {
	seen := map[string]string{}
	keys := slices.SortedFunc(maps.Keys(obj), func(a, b string) int {
		if c := strings.Compare(schema.FoldName(a), schema.FoldName(b)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	for _, k := range keys {
		v := obj[k]
		var (
			t     target
			found bool
			err   error
		)
		switch {
		case within == nil && schema.EqualName(k, p.rt.Core().ID):
			inner, ok := v.(map[string]any)
			if !ok {
				if v == nil {
					continue
				}
				return schema.Errorf(schema.InvalidValue, "the value of %q must be a JSON object of attributes", k)
			}
			if err := p.setObject(inner, replace, nil); err != nil {
				return err
			}
			continue
		case within == nil:
			t, found, err = p.resolve(k)
		default:
			urn, name, sub := schema.SplitPath(k)
			if urn != "" && !schema.EqualName(urn, within.ID) {
				continue
			}
			var ref schema.Ref
			if ref, found = p.rt.Find(within.ID, name, sub); found {
				t = target{text: k, urn: ref.URN, attr: ref.Attr, sub: ref.Sub}
			}
		}
		if err != nil {
			return err
		}
		if !found || t.schemas || t.readOnly() {
			continue
		}
		canon := schema.FoldName(t.canonical())
		if prev, dup := seen[canon]; dup {
			return schema.Errorf(schema.InvalidSyntax, "attribute %q is given twice in the value (as %q and %q)", t.canonical(), prev, k)
		}
		seen[canon] = k
		if err := p.set(t, v, replace); err != nil {
			return err
		}
	}
	return nil
}

// canonical is the canonical text of t for duplicate detection.
func (t target) canonical() string {
	switch {
	case t.ext != nil:
		return t.ext.ID
	case t.filtered:
		return t.text
	}
	ref := schema.Ref{URN: t.urn, Attr: t.attr, Sub: t.sub}
	return ref.Path()
}

// holder returns the map that holds t's attribute: the document, or the
// extension object, made when create is set.
func (p *patcher) holder(urn string, create bool) map[string]any {
	if urn == "" {
		return p.doc
	}
	m, _ := p.doc[urn].(map[string]any)
	if m == nil && create {
		m = map[string]any{}
		p.doc[urn] = m
	}
	return m
}

// unset removes attribute name from the holder of urn, and the extension
// object when it is left empty.
func (p *patcher) unset(urn, name string) {
	h := p.holder(urn, false)
	if h == nil {
		return
	}
	delete(h, name)
	if urn != "" && len(h) == 0 {
		delete(p.doc, urn)
	}
}

// set applies add (replace false) or replace to t. An unassigned value —
// null, "", [] or an object of unassigned sub-attributes (RFC 7643 §2.5) —
// removes a single-valued target: Entra ID removes the manager with
// "value": "", under add or replace.
func (p *patcher) set(t target, raw any, replace bool) error {
	switch {
	case t.schemas:
		return nil
	case t.ext != nil:
		if raw == nil {
			if replace {
				delete(p.doc, t.ext.ID)
			}
			return nil
		}
		obj, ok := raw.(map[string]any)
		if !ok {
			return schema.Errorf(schema.InvalidValue, "the value of extension %s must be a JSON object of its attributes", t.ext.ID)
		}
		return p.setObject(obj, replace, t.ext)
	case t.attr.MultiValued && !t.filtered && t.sub == nil:
		return p.setMulti(t, raw, replace)
	case t.attr.MultiValued:
		if raw == nil && replace && t.sub == nil {
			return p.removeElements(t) // the selected values replaced by null
		}
		return p.setElements(t, raw)
	case t.sub != nil:
		return p.setSub(t, raw)
	case t.attr.Type == schema.TypeComplex:
		return p.setComplex(t, raw)
	}
	nv, err := p.norm.Value(t.attr, raw)
	if err != nil {
		return err
	}
	if nv == nil {
		p.unset(t.urn, t.attr.Name)
		return nil
	}
	p.holder(t.urn, true)[t.attr.Name] = nv
	return nil
}

// setMulti adds to or replaces a whole multi-valued attribute.
func (p *patcher) setMulti(t target, raw any, replace bool) error {
	nv, err := p.norm.Value(t.attr, raw)
	if err != nil {
		return err
	}
	if replace {
		// RFC 7644 §3.5.2.3: with no filter, the attribute and all its values
		// are replaced (Okta's full member push, Entra's
		// AssertiveAppRoleAssignmentsComplex).
		if nv == nil {
			p.unset(t.urn, t.attr.Name)
		} else {
			p.holder(t.urn, true)[t.attr.Name] = nv
		}
		return nil
	}
	if nv == nil {
		return nil // nothing to add
	}
	// RFC 7644 §3.5.2.1: the values are added; a value already there is not
	// added again ("no changes SHOULD be made"), so adding a member twice is a
	// no-op.
	h := p.holder(t.urn, true)
	arr, _ := h[t.attr.Name].([]any)
	byValue := identifiedByValue(t.attr)
	attr := t.urn + "\x00" + t.attr.Name
	var present map[string]bool
	if reuse := p.added; reuse.matches(attr, arr) {
		present = reuse.present
	} else {
		present = make(map[string]bool, len(arr))
		for _, y := range arr {
			present[valueKey(t.attr, y, byValue)] = true
		}
	}
	p.added = nil
	var touched []int
	for _, x := range nv.([]any) {
		k := valueKey(t.attr, x, byValue)
		if present[k] {
			continue
		}
		present[k] = true
		arr = append(arr, x)
		touched = append(touched, len(arr)-1)
	}
	// onePrimary may change elements' primary, which is part of the key
	// of an element keyed by its JSON: the set is kept only when it did not.
	if !onePrimary(arr, touched) && p.mayCache && byValue {
		p.added = &keySet{attr: attr, arr: arr, present: present}
	}
	h[t.attr.Name] = arr
	return nil
}

// setElements sets a value on the elements of a multi-valued attribute that
// a path selects: "attr[filter]", "attr[filter].sub" or "attr.sub". Add and
// replace act alike here (RFC 7644 §3.5.2.3: "all matching record values
// SHALL be replaced"; Entra ID sends add to change emails[type eq
// "work"].value).
//
// When nothing matches, RFC 7644 §3.5.2.3 answers noTarget. The tolerance:
// if the filter is a conjunction of eq terms, the element it describes is
// created with the value set on it, because Entra ID sends
// emails[type eq "work"].value, addresses[type eq "work"].locality and
// roles[primary eq "True"].value for users who have no such element yet
// (SCIM-SDK issue 680, Microsoft Q&A 120490).
func (p *patcher) setElements(t target, raw any) error {
	var (
		nv  any            // the normalised value
		obj map[string]any // the element's sub-attributes, for attr[filter]
		err error
	)
	if t.sub != nil {
		if nv, err = p.norm.Value(t.sub, raw); err != nil {
			return err
		}
	} else {
		one := raw
		if arr, ok := raw.([]any); ok {
			if len(arr) != 1 {
				return schema.Errorf(schema.InvalidValue, "a filtered path selects values of %q; give one value (an object of sub-attributes), not %d", t.attr.Name, len(arr))
			}
			one = arr[0]
		}
		if nv, err = p.norm.Value(t.attr, one); err != nil {
			return err
		}
		switch o := one.(type) {
		case map[string]any:
			obj = o
		case nil:
		default: // scalar shorthand for {"value": x}; NormalizeValue accepted it
			obj = map[string]any{"value": o}
		}
	}
	h := p.holder(t.urn, false)
	var arr []any
	if h != nil {
		arr, _ = h[t.attr.Name].([]any)
	}
	var touched []int
	for i, x := range arr {
		el, ok := x.(map[string]any)
		if !ok || (t.match != nil && !t.match(el)) {
			continue
		}
		if err := p.setOn(t, el, nv, obj); err != nil {
			return err
		}
		touched = append(touched, i)
	}
	if len(touched) == 0 {
		if nv == nil {
			return nil // nothing matches and nothing to set
		}
		if t.create == nil {
			return schema.Errorf(schema.NoTarget, "no value of %q matches the filter (RFC 7644 §3.5.2.3)", t.attr.Name)
		}
		el := maps.Clone(t.create)
		if err := p.setOn(t, el, nv, obj); err != nil {
			return err
		}
		arr = append(arr, el)
		touched = append(touched, len(arr)-1)
	}
	onePrimary(arr, touched)
	p.storeElements(t, dropEmpty(arr))
	return nil
}

// setOn sets on element el the sub-attribute value nv (t.sub set) or the
// sub-attributes of obj.
func (p *patcher) setOn(t target, el map[string]any, nv any, obj map[string]any) error {
	if t.sub == nil {
		_, err := p.merge(t.attr, el, obj)
		return err
	}
	if err := checkImmutableSub(t.attr, t.sub, el, nv); err != nil {
		return err
	}
	oldValue := el["value"]
	if nv == nil {
		delete(el, t.sub.Name)
	} else {
		el[t.sub.Name] = nv
	}
	dropStaleRef(t.attr, el, oldValue)
	return nil
}

// storeElements writes arr back; an empty list leaves the attribute
// unassigned (RFC 7644 §3.5.2.2).
func (p *patcher) storeElements(t target, arr []any) {
	if len(arr) == 0 {
		p.unset(t.urn, t.attr.Name)
		return
	}
	p.holder(t.urn, true)[t.attr.Name] = arr
}

// setSub sets one sub-attribute of a single-valued complex attribute
// ("name.givenName", "urn:...:User:manager.value").
func (p *patcher) setSub(t target, raw any) error {
	nv, err := p.norm.Value(t.sub, raw)
	if err != nil {
		return err
	}
	h := p.holder(t.urn, nv != nil)
	var cur map[string]any
	if h != nil {
		cur, _ = h[t.attr.Name].(map[string]any)
	}
	if cur == nil {
		if nv == nil {
			return nil
		}
		cur = map[string]any{}
		h[t.attr.Name] = cur
	}
	if err := checkImmutableSub(t.attr, t.sub, cur, nv); err != nil {
		return err
	}
	if nv != nil {
		oldValue := cur["value"]
		cur[t.sub.Name] = nv
		dropStaleRef(t.attr, cur, oldValue)
		return nil
	}
	delete(cur, t.sub.Name)
	if len(cur) == 0 || t.sub.Name == "value" {
		p.unset(t.urn, t.attr.Name)
	}
	return nil
}

// setComplex adds or replaces a single-valued complex attribute. An object
// value sets the sub-attributes it gives and keeps the others (RFC 7644
// §3.5.2.1 and §3.5.2.3: "Sub-attributes that are not specified in the
// value parameter are left unchanged"). A scalar is the shorthand for
// {"value": x} (Entra ID sends the manager as a raw id) and replaces the
// whole attribute, so a $ref of the previous manager does not survive.
func (p *patcher) setComplex(t target, raw any) error {
	nv, err := p.norm.Value(t.attr, raw)
	if err != nil {
		return err
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		if nv == nil {
			p.unset(t.urn, t.attr.Name)
		} else {
			p.holder(t.urn, true)[t.attr.Name] = nv
		}
		return nil
	}
	h := p.holder(t.urn, true)
	cur, _ := h[t.attr.Name].(map[string]any)
	if cur == nil {
		cur = map[string]any{}
	}
	clearedValue, err := p.merge(t.attr, cur, obj)
	if err != nil {
		return err
	}
	if len(cur) == 0 || clearedValue {
		p.unset(t.urn, t.attr.Name)
		return nil
	}
	h[t.attr.Name] = cur
	return nil
}

// merge sets on el the sub-attributes of a given in obj, normalised; an
// unassigned one is removed. Unknown and readOnly sub-attributes are
// ignored. It reports whether obj unassigned the "value" sub-attribute,
// which for a single-valued attribute such as manager means the attribute
// itself is gone ({"value": ""} is how Entra ID clears the manager).
func (p *patcher) merge(a *schema.Attribute, el, obj map[string]any) (clearedValue bool, err error) {
	oldValue := el["value"]
	seen := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		sa := a.Sub(k)
		if sa == nil || sa.Mutability == schema.ReadOnly {
			continue
		}
		if prev, dup := seen[sa.Name]; dup {
			return false, schema.Errorf(schema.InvalidSyntax, "sub-attribute %s.%s is given twice (as %q and %q)", a.Name, sa.Name, prev, k)
		}
		seen[sa.Name] = k
		nv, err := p.norm.Value(sa, obj[k])
		if err != nil {
			return false, err
		}
		if err := checkImmutableSub(a, sa, el, nv); err != nil {
			return false, err
		}
		if nv == nil {
			delete(el, sa.Name)
			clearedValue = clearedValue || sa.Name == "value"
			continue
		}
		el[sa.Name] = nv
	}
	if _, gaveRef := seen["$ref"]; !gaveRef {
		dropStaleRef(a, el, oldValue)
	}
	return clearedValue, nil
}

// dropStaleRef removes the "$ref" of el when its "value" changed from
// oldValue: the reference names the resource the old value identified
// (manager: replacing the manager's id must not keep the old manager's URI).
func dropStaleRef(a *schema.Attribute, el map[string]any, oldValue any) {
	if oldValue != nil && a.Sub("$ref") != nil && !schema.Equal(oldValue, el["value"]) {
		delete(el, "$ref")
	}
}

// checkImmutableSub refuses to change an immutable sub-attribute that has a
// value (RFC 7643 §7; Group members' value, $ref and type).
// [schema.ResourceType.CheckImmutable] covers top-level attributes only.
func checkImmutableSub(a, sa *schema.Attribute, el map[string]any, nv any) error {
	if sa.Mutability != schema.Immutable {
		return nil
	}
	if old, ok := el[sa.Name]; ok && old != nil && !schema.Equal(old, nv) {
		return schema.Errorf(schema.Mutability, "sub-attribute %s.%s is immutable (RFC 7643 §7)", a.Name, sa.Name)
	}
	return nil
}

// remove applies remove (RFC 7644 §3.5.2.2) to t.
func (p *patcher) remove(t target, raw any) error {
	switch {
	case t.schemas:
		return nil
	case t.ext != nil:
		delete(p.doc, t.ext.ID)
		return nil
	case t.attr.MultiValued && !t.filtered && t.sub == nil:
		if raw == nil {
			p.unset(t.urn, t.attr.Name)
			return nil
		}
		return p.removeListed(t, raw)
	case t.attr.MultiValued:
		return p.removeElements(t)
	case t.sub != nil:
		h := p.holder(t.urn, false)
		if h == nil {
			return nil
		}
		cur, _ := h[t.attr.Name].(map[string]any)
		if cur == nil {
			return nil
		}
		if err := checkImmutableSub(t.attr, t.sub, cur, nil); err != nil {
			return err
		}
		delete(cur, t.sub.Name)
		if len(cur) == 0 || t.sub.Name == "value" {
			p.unset(t.urn, t.attr.Name)
		}
		return nil
	}
	p.unset(t.urn, t.attr.Name)
	return nil
}

// removeListed removes from a multi-valued attribute only the values listed
// in raw. Entra ID without aadOptscim062020 removes group members with
// {"op":"Remove","path":"members","value":[{"value":"<id>"}]}; reading that
// as "remove the attribute" wipes every member (entra-docs issue 949).
// Listed values that are not there are ignored.
func (p *patcher) removeListed(t target, raw any) error {
	listed, err := p.norm.Value(t.attr, raw)
	if err != nil {
		return err
	}
	if listed == nil {
		return nil // "value": [] lists nothing
	}
	h := p.holder(t.urn, false)
	if h == nil {
		return nil
	}
	// A listed value with a "value" sub-attribute matches by it (Entra
	// lists {"value": id}, the stored member also has display and type);
	// any other listed value matches an equal element.
	hasValue := t.attr.Sub("value") != nil
	gone := map[string]bool{}
	for _, l := range listed.([]any) {
		gone[valueKey(t.attr, l, hasValue)] = true
	}
	arr, _ := h[t.attr.Name].([]any)
	kept := make([]any, 0, len(arr))
	for _, x := range arr {
		if gone[valueKey(t.attr, x, hasValue)] || (hasValue && gone[valueKey(t.attr, x, false)]) {
			continue
		}
		kept = append(kept, x)
	}
	p.storeElements(t, kept)
	return nil
}

// removeElements removes the elements a filter selects ("members[value eq
// \"id\"]", Okta and Entra ID with aadOptscim062020), or the sub-attribute
// of them ("emails[type eq \"work\"].display"). No match is not an error:
// removing what is not there leaves the resource as asked.
func (p *patcher) removeElements(t target) error {
	h := p.holder(t.urn, false)
	if h == nil {
		return nil
	}
	arr, _ := h[t.attr.Name].([]any)
	kept := make([]any, 0, len(arr))
	for _, x := range arr {
		el, ok := x.(map[string]any)
		if !ok || (t.match != nil && !t.match(el)) {
			kept = append(kept, x)
			continue
		}
		if t.sub == nil {
			continue
		}
		if err := checkImmutableSub(t.attr, t.sub, el, nil); err != nil {
			return err
		}
		delete(el, t.sub.Name)
		kept = append(kept, el)
	}
	p.storeElements(t, dropEmpty(kept))
	return nil
}

// identifiedByValue reports whether the elements of a are identified by
// their "value" sub-attribute: where it is immutable (Group members: the
// member's id), two elements with the same value are the same element
// whatever their display, so adding a member twice is a no-op.
func identifiedByValue(a *schema.Attribute) bool {
	v := a.Sub("value")
	return v != nil && v.Mutability == schema.Immutable
}

// valueKey returns a key that two elements of a share exactly when they are
// the same value: with byValue, an element with a "value" sub-attribute is
// keyed by it (case-folded unless caseExact, RFC 7643 §2.2); otherwise by
// its canonical JSON (map keys sorted), which for canonical values is
// equality. Keys make de-duplication and removal linear, where comparing
// every pair would let one large request burn CPU.
func valueKey(a *schema.Attribute, x any, byValue bool) string {
	if m, ok := x.(map[string]any); ok && byValue && m["value"] != nil {
		if s, ok := m["value"].(string); ok {
			if !a.Sub("value").CaseExact {
				s = strings.ToLower(s)
			}
			return "v" + s
		}
		b, _ := json.Marshal(m["value"])
		return "w" + string(b)
	}
	b, _ := json.Marshal(x)
	return "j" + string(b)
}

// onePrimary keeps at most one primary value (RFC 7644 §3.5.2: setting
// primary true on a value "SHALL cause the server to automatically set
// primary to false for any other values"). touched are the indices of the
// elements the operation added or changed; the first of them with primary
// true keeps it. It reports whether it changed an element.
func onePrimary(arr []any, touched []int) bool {
	keep := -1
	for _, i := range touched {
		if m, ok := arr[i].(map[string]any); ok && m["primary"] == true {
			keep = i
			break
		}
	}
	if keep < 0 {
		return false
	}
	changed := false
	for j, x := range arr {
		if m, ok := x.(map[string]any); ok && j != keep && m["primary"] == true {
			m["primary"] = false
			changed = true
		}
	}
	return changed
}

// dropEmpty removes elements left with no sub-attribute.
func dropEmpty(arr []any) []any {
	return slices.DeleteFunc(arr, func(x any) bool {
		m, ok := x.(map[string]any)
		return ok && len(m) == 0
	})
}
