package memory

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// examinedBy runs a query and returns how many entries its matcher ran on,
// and the page.
func examinedBy(t *testing.T, s *Store, rt *schema.ResourceType, f string) (int64, store.Page) {
	t.Helper()
	expr, err := filter.Parse(f)
	if err != nil {
		t.Fatalf("parse %s: %v", f, err)
	}
	before := s.examined.Load()
	p, err := s.Query(context.Background(), "t", rt, store.Query{Filter: expr, Count: -1})
	if err != nil {
		t.Fatalf("query %s: %v", f, err)
	}
	return s.examined.Load() - before, p
}

// TestEqualityFiltersUseIndexes checks that a lookup by an indexed attribute
// over 100k users examines only the entries the index names, however the
// filter spells the path.
func TestEqualityFiltersUseIndexes(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	s := New()
	ids := populate(t, s, n)
	id := ids[n/2]
	_, err := s.Create(context.Background(), "t", groupType, map[string]any{
		"displayName": "g", "members": []any{map[string]any{"value": id}},
	})
	if err != nil {
		t.Fatal(err)
	}
	k := n / 2
	cases := []struct {
		filter string
		rt     *schema.ResourceType
		want   int // matches
	}{
		{fmt.Sprintf(`userName eq "USER%d@example.com"`, k), userType, 1},
		{fmt.Sprintf(`USERNAME eq "user%d@example.com"`, k), userType, 1},
		{fmt.Sprintf(`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "user%d@example.com"`, k), userType, 1},
		{fmt.Sprintf(`emails.value eq "User%d@Home.Example"`, k), userType, 1},
		{fmt.Sprintf(`emails[type eq "work" and value eq "user%d@example.com"]`, k), userType, 1},
		{fmt.Sprintf(`emails[type eq "home" and value eq "user%d@example.com"]`, k), userType, 0},
		{fmt.Sprintf(`externalId eq "ext-%d"`, k), userType, 1},
		{fmt.Sprintf(`id eq %q`, id), userType, 1},
		{fmt.Sprintf(`title pr and (active pr and userName eq "user%d@example.com")`, k), userType, 1},
		{fmt.Sprintf(`userName eq "user%d@example.com" or externalId eq "ext-%d"`, k, k+1), userType, 2},
		{`userName eq "nobody"`, userType, 0},
		{fmt.Sprintf(`members.value eq %q`, id), groupType, 1},
		{fmt.Sprintf(`members[value eq %q]`, id), groupType, 1},
		{fmt.Sprintf(`name.familyName eq "%d"`, k), userType, 1},
		{fmt.Sprintf(`displayName eq "user %d"`, k), userType, 1},
		{fmt.Sprintf(`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "%d"`, k), userType, 1},
		{fmt.Sprintf(`employeeNumber eq "%d"`, k), userType, 1},
		{fmt.Sprintf(`emails[type eq "home" and value eq "user%d@home.example"]`, k), userType, 1},
		{`title eq "Manager"`, userType, 0},
	}
	for _, c := range cases {
		examined, p := examinedBy(t, s, c.rt, c.filter)
		if p.Total != c.want {
			t.Errorf("%s: total %d, want %d", c.filter, p.Total, c.want)
		}
		if examined > 2 {
			t.Errorf("%s: examined %d entries, want an index lookup (≤ 2)", c.filter, examined)
		}
	}
	if examined, _ := examinedBy(t, s, userType, `active eq false and active eq true`); examined != int64(n) {
		t.Errorf("unindexed filter examined %d entries, want a scan of %d", examined, n)
	}
}

// TestIndexesStayExact runs random creates, updates and deletes and then
// checks every index against one rebuilt from the stored documents.
func TestIndexesStayExact(t *testing.T) {
	s := New()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	var users, groups []string
	for step := range 3000 {
		switch op := rng.IntN(10); {
		case op < 4 || len(users) < 5:
			r, err := s.Create(ctx, "t", userType, userDoc(rng.IntN(500)))
			if err == nil {
				users = append(users, r.ID)
			}
		case op < 6:
			id := users[rng.IntN(len(users))]
			_, _ = s.Update(ctx, "t", userType, id, func(cur store.Resource) (map[string]any, error) {
				d := userDoc(rng.IntN(500))
				d["emails"] = append(d["emails"].([]any), map[string]any{"value": strings.ToUpper(fmt.Sprint(step))})
				return d, nil
			})
		case op < 7:
			i := rng.IntN(len(users))
			if err := s.Delete(ctx, "t", userType, users[i], nil); err == nil {
				users = slices.Delete(users, i, i+1)
			}
		case op < 9:
			ms := []any{}
			for range rng.IntN(4) {
				ms = append(ms, map[string]any{"value": users[rng.IntN(len(users))]})
			}
			doc := map[string]any{"displayName": fmt.Sprint("g", rng.IntN(50))}
			if len(ms) > 0 {
				doc["members"] = ms
			}
			if r, err := s.Create(ctx, "t", groupType, doc); err == nil {
				groups = append(groups, r.ID)
			}
		default:
			if len(groups) > 0 {
				_ = s.Delete(ctx, "t", groupType, groups[0], nil)
				groups = groups[1:]
			}
		}
	}
	for _, tbl := range s.tenants["t"].tables {
		checkTable(t, tbl)
	}
}

// checkTable compares a table's indexes and order with ones rebuilt from
// scratch.
func checkTable(t *testing.T, tbl *table) {
	t.Helper()
	fresh := newTable(tbl.rt)
	live := 0
	var prev uint64
	for i, e := range tbl.order {
		if e == nil {
			continue
		}
		if e.seq <= prev || e.pos != i {
			t.Errorf("%s: order broken at %d (seq %d after %d, pos %d)", tbl.rt.ID, i, e.seq, prev, e.pos)
		}
		prev = e.seq
		live++
		if tbl.byID[e.id] != e {
			t.Errorf("%s: %s in order but not in byID", tbl.rt.ID, e.id)
		}
		for _, ix := range fresh.indexes {
			ix.add(e, e.doc)
		}
	}
	if live != len(tbl.byID) {
		t.Errorf("%s: %d live entries in order, %d in byID", tbl.rt.ID, live, len(tbl.byID))
	}
	for i, ix := range tbl.indexes {
		want := fresh.indexes[i]
		if len(ix.keys) != len(want.keys) {
			t.Errorf("%v: %d keys, rebuilt has %d", ix, len(ix.keys), len(want.keys))
		}
		for k, p := range want.keys {
			got, list := ix.keys[k].list, p.list
			if len(got) != len(list) || !sameEntries(got, list) {
				t.Errorf("%v: key %q has %d entries, rebuilt has %d", ix, k, len(got), len(list))
			}
		}
		for k, p := range ix.keys {
			if p.pos == nil {
				continue
			}
			if len(p.pos) != len(p.list) {
				t.Errorf("%v: key %q: %d positions for %d entries", ix, k, len(p.pos), len(p.list))
			}
			for i, e := range p.list {
				if p.pos[e] != i {
					t.Errorf("%v: key %q: entry %d recorded at %d", ix, k, i, p.pos[e])
				}
			}
		}
		if ix.sorted == nil {
			continue
		}
		if ix.sorted.Len() != len(ix.keys) {
			t.Errorf("%v: %d keys in order, %d in the map", ix, ix.sorted.Len(), len(ix.keys))
		}
		prev := ""
		ix.sorted.Ascend(func(k string) bool {
			if _, ok := ix.keys[k]; !ok || k < prev {
				t.Errorf("%v: ordered key %q not in the map or out of order", ix, k)
			}
			prev = k
			return true
		})
	}
}

func sameEntries(a, b []*entry) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// TestFoldKeyAgreesWithEqualFold: whatever the filter's eq considers equal
// must share an index key, or an index lookup would miss a match.
func TestFoldKeyAgreesWithEqualFold(t *testing.T) {
	pairs := [][2]string{
		{"Alice", "aLICE"},
		{"k", "\u212a"},      // Kelvin sign
		{"s", "\u017f"},      // long s
		{"ΣΑΣ", "σας"},       // final sigma
		{"straße", "STRAßE"}, // ß has no simple upper case
		{"ǅ", "ǆ"},           // title case digraph
		{"user@EXAMPLE.com", "USER@example.COM"},
	}
	for _, p := range pairs {
		if strings.EqualFold(p[0], p[1]) && foldKey(p[0]) != foldKey(p[1]) {
			t.Errorf("foldKey(%q)=%q, foldKey(%q)=%q", p[0], foldKey(p[0]), p[1], foldKey(p[1]))
		}
	}
}

// TestFoldRuneCoversOrbits checks every rune: the members of its simple
// folding orbit (what EqualFold equates) share its key, and runes that
// lower or upper case leads to share it only when EqualFold says so (the
// key is exactly the matcher's relation: "İ" is not "i").
func TestFoldRuneCoversOrbits(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		k := store.FoldRune(r)
		if r < utf8.RuneSelf && k != unicode.ToLower(r) {
			t.Fatalf("FoldRune(%U)=%U disagrees with Fold's ASCII fast path", r, k)
		}
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if store.FoldRune(f) != k {
				t.Fatalf("FoldRune(%U)=%U but FoldRune(%U)=%U", r, k, f, store.FoldRune(f))
			}
		}
		for _, x := range []rune{unicode.ToLower(r), unicode.ToUpper(r)} {
			if (store.FoldRune(x) == k) != strings.EqualFold(string(x), string(r)) {
				t.Fatalf("FoldRune(%U) == FoldRune(%U) is %v, EqualFold disagrees", x, r, store.FoldRune(x) == k)
			}
		}
	}
	if foldKey("İ") == foldKey("i") {
		t.Errorf("İ and i share a key, which EqualFold does not equate")
	}
}

func FuzzFoldKey(f *testing.F) {
	f.Add("Alice", "ALICE")
	f.Add("\u212a", "k")
	f.Add("ς", "Σ")
	f.Add("İ", "i")
	f.Fuzz(func(t *testing.T, a, b string) {
		if strings.EqualFold(a, b) != (foldKey(a) == foldKey(b)) {
			t.Errorf("EqualFold(%q, %q) = %v but keys %q, %q", a, b, strings.EqualFold(a, b), foldKey(a), foldKey(b))
		}
	})
}

func TestIDsAreUUIDv4(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for range 100 {
		if id := store.NewID(); !re.MatchString(id) {
			t.Fatalf("id %q is not a UUID v4", id)
		}
	}
}

// TestTombstonesAreCompacted checks that deleting most resources shrinks the
// order slice and keeps the survivors in creation order.
func TestTombstonesAreCompacted(t *testing.T) {
	s := New()
	ids := populate(t, s, 1000)
	for i, id := range ids {
		if i%10 != 0 {
			if err := s.Delete(context.Background(), "t", userType, id, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	tbl := s.tenants["t"].tables["User"]
	if len(tbl.order) > 2*tbl.live()+1 {
		t.Errorf("order holds %d entries for %d live resources", len(tbl.order), tbl.live())
	}
	p, err := s.Query(context.Background(), "t", userType, store.Query{Count: -1})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range p.Resources {
		if r.ID != ids[i*10] {
			t.Fatalf("position %d: got %s, want %s", i, r.ID, ids[i*10])
		}
	}
}

// TestLastModifiedNeverGoesBack: a clock stepping backwards must not make
// lastModified earlier than the previous write.
func TestLastModifiedNeverGoesBack(t *testing.T) {
	s := New()
	clock := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	s.now = func() time.Time { return clock }
	r, err := s.Create(context.Background(), "t", userType, userDoc(1))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Doc["meta"].(map[string]any)["created"]; got != "2026-01-02T03:04:05.006Z" {
		t.Errorf("created %v, want the fixed-width UTC form", got)
	}
	clock = clock.Add(-time.Hour)
	u, err := s.Update(context.Background(), "t", userType, r.ID, func(cur store.Resource) (map[string]any, error) {
		return cur.Doc, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Doc["meta"].(map[string]any)["lastModified"]; got != "2026-01-02T03:04:05.006Z" {
		t.Errorf("lastModified went back to %v", got)
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New().Get(ctx, "t", userType, "x")
	if !errors.Is(err, context.Canceled) || !errors.Is(err, schema.ErrUnavailable) {
		t.Errorf("got %v, want context.Canceled wrapped in ErrUnavailable", err)
	}
}

// TestUnfilteredPagingStopsAtTheWindow: a page of an unfiltered, unsorted
// query runs no matcher at all.
func TestUnfilteredPagingStopsAtTheWindow(t *testing.T) {
	s := New()
	ids := populate(t, s, 5000)
	before := s.examined.Load()
	p, err := s.Query(context.Background(), "t", userType, store.Query{StartIndex: 2501, Count: 100})
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 5000 || len(p.Resources) != 100 || p.Resources[0].ID != ids[2500] {
		t.Errorf("total %d, %d resources, first %s; want 5000, 100, %s", p.Total, len(p.Resources), p.Resources[0].ID, ids[2500])
	}
	if d := s.examined.Load() - before; d != 0 {
		t.Errorf("examined %d entries", d)
	}
}

// TestPrefixFiltersUseIndexes checks that "sw" on an ordered index examines
// only the entries whose key has the prefix, and finds exactly what the
// matcher finds over every entry — with the case folding of eq, so that a
// prefix in another case, or with a rune of the same folding orbit (the
// Kelvin sign for k, long s for s), finds what it should and "İ" does not
// stand for "i".
func TestPrefixFiltersUseIndexes(t *testing.T) {
	s := New()
	n := 20_000
	populate(t, s, n)
	for _, name := range []string{"kelvin", "Straße", "ſam", "İnci", "inga", "ΣΑΣ-1", "σας-2", "user-x"} {
		doc := userDoc(n + 1)
		doc["userName"], doc["externalId"] = name, "EXT-"+name
		doc["emails"] = []any{map[string]any{"value": name + "@Mixed.Example", "type": "work"}}
		if _, err := s.Create(context.Background(), "t", userType, doc); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		filter   string
		want     int
		examined int // at most; -1: a scan of everything
	}{
		{`userName sw "user1999"`, 11, 11}, // user1999@…, user19990@… to user19999@…
		{`userName sw "USER1999"`, 11, 11},
		{`USERNAME sw "user1999"`, 11, 11},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName sw "User1999"`, 11, 11},
		{`userName sw "user19999@example.com"`, 1, 1},
		{`userName sw "user19999@example.comx"`, 0, 0},
		{`userName sw "user-"`, 1, 1},
		{`userName sw "nobody"`, 0, 0},
		{`userName sw "\u212aEL"`, 1, 1}, // Kelvin sign: in k's orbit
		{`userName sw "STRASS"`, 0, 0},   // ß is not "ss" under simple folding
		{`userName sw "STRAß"`, 1, 1},
		{`userName sw "sa"`, 1, 1}, // ſam
		{`userName sw "i"`, 1, 1},  // inga, not İnci
		{`userName sw "İ"`, 1, 1},
		{`userName sw "σασ"`, 2, 2}, // σ, ς and Σ are one orbit
		{`userName sw "ΣΑ"`, 2, 2},
		{`userName sw ""`, n + 8, -1},
		{`externalId sw "EXT-"`, 8, 8}, // caseExact
		{`externalId sw "ext-"`, n, n},
		{`externalId sw "ext-1999"`, 11, 11},
		{`externalId sw "Ext-"`, 0, 0},
		{`emails.value sw "KELVIN@mixed"`, 1, 1},
		{`emails[value sw "user1999"]`, 11, 11}, // work and home addresses: one entry each
		{`emails[type eq "home" and value sw "user1999"]`, 11, 11},
		{`userName sw "user1999" and title eq "Engineer"`, 11, 11},
		{`userName sw "user1999" or userName eq "kelvin"`, 12, 12},
		{`userName sw "user1999" and userName sw "user19990"`, 1, 1},
		{`title sw "Eng"`, n + 8, n + 8}, // a range that holds everyone
		{`title co "ngineer"`, n + 8, -1},
	}
	rt := userType
	for _, c := range cases {
		t.Run(c.filter, func(t *testing.T) {
			want := matchedIDs(t, s.tenants["t"].tables[rt.ID], c.filter)
			examined, p := examinedBy(t, s, rt, c.filter)
			var got []string
			for _, r := range p.Resources {
				got = append(got, r.ID)
			}
			if !slices.Equal(got, want) || p.Total != c.want {
				t.Errorf("total %d, want %d; ids in creation order equal to a scan's: %v", p.Total, c.want, slices.Equal(got, want))
			}
			switch {
			case c.examined < 0 && examined != int64(n+8):
				t.Errorf("examined %d entries, want a scan of %d", examined, n+8)
			case c.examined >= 0 && examined > int64(c.examined):
				t.Errorf("examined %d entries, want at most %d (an index range)", examined, c.examined)
			}
		})
	}
}

// TestExactLookupsAgree: the answer of a lone "eq" from the index alone
// (table.exactly) is the matcher's, for every indexed path, values in any
// case, values that fold alike and values no one has; and Compile accepts
// every filter exactly answers, which is why query does not compile them.
func TestExactLookupsAgree(t *testing.T) {
	s := New()
	ctx := context.Background()
	odd := []string{"Straße", "STRASSE", "\u212aelvin", "kelvin", "ΣΑΣ", "σας", "ǅ", "İstanbul", "istanbul", ""}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		d := userDoc(i % 120) // some userNames repeat: those creates fail on uniqueness
		d["title"] = odd[rng.IntN(len(odd))]
		d["name"].(map[string]any)["familyName"] = odd[rng.IntN(len(odd))]
		d["emails"] = append(d["emails"].([]any), map[string]any{"value": strings.ToUpper(odd[rng.IntN(len(odd))])})
		_, _ = s.Create(ctx, "t", userType, d)
	}
	tbl := s.tenants["t"].tables[userType.ID]
	for _, ix := range tbl.indexes {
		var values []string
		for k := range ix.keys {
			values = append(values, k, strings.ToUpper(k), strings.ToLower(k))
		}
		values = append(values, odd...)
		values = append(values, "nobody has this")
		for _, v := range values {
			e, err := filter.Parse(ix.path + ` eq "x"`)
			if err != nil {
				t.Fatal(err)
			}
			c := filter.Value(e).(filter.Compare)
			c.Value = v
			hits, ok := tbl.exactly(c)
			if !ok {
				t.Fatalf("%s eq %q: not answered from the index", ix.path, v)
			}
			match, err := filter.Compile(c, userType)
			if err != nil {
				t.Fatal(err)
			}
			var want []*entry
			for _, x := range tbl.order {
				if x != nil && match(x.doc) {
					want = append(want, x)
				}
			}
			if !slices.Equal(hits, want) {
				t.Errorf("%s eq %q: index gives %d entries, the matcher %d", ix.path, v, len(hits), len(want))
			}
		}
	}
}

// partsSchemas declares a multi-valued sub-attribute (parts.labels), which
// an extension may: the index on it holds every label of every part.
var partsSchemas = fstest.MapFS{
	"schemas/thing.json": {Data: []byte(`{
  "id": "urn:example:scim:schemas:Thing", "name": "Thing",
  "attributes": [
    {"name": "parts", "type": "complex", "multiValued": true, "mutability": "readWrite", "returned": "default", "uniqueness": "none",
     "subAttributes": [
       {"name": "labels", "type": "string", "multiValued": true, "mutability": "readWrite", "returned": "default", "uniqueness": "none"}
     ]}
  ]}`)},
	"resourcetypes/thing.json": {Data: []byte(`{
  "id": "Thing", "name": "Thing", "endpoint": "/Things", "schema": "urn:example:scim:schemas:Thing", "schemaExtensions": []}`)},
}

// TestMultiValuedSubAttributesAreIndexed: an eq or sw on a multi-valued
// sub-attribute finds the resource through the index (which missed such
// values once, so that both answered nothing: the PostgreSQL differential
// test found it).
func TestMultiValuedSubAttributesAreIndexed(t *testing.T) {
	reg, err := schema.Load(partsSchemas)
	if err != nil {
		t.Fatal(err)
	}
	thing, _ := reg.ResourceType("Thing")
	s := New()
	doc := map[string]any{"parts": []any{map[string]any{"labels": []any{"alpha", "Kelvin"}}, map[string]any{"labels": []any{"beta"}}}}
	if _, err := s.Create(context.Background(), "t", thing, doc); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{`parts.labels eq "beta"`, `parts.labels eq "KELVIN"`, `parts.labels sw "kel"`, `parts[labels sw "al"]`} {
		if _, p := examinedBy(t, s, thing, f); p.Total != 1 {
			t.Errorf("%s: %d resources, want 1", f, p.Total)
		}
	}
	checkTable(t, s.tenants["t"].tables[thing.ID])
}

// TestStoredStringsAreOwned: a stored document shares no string with the
// caller's, so that it never keeps a request body's text alive (the
// server's decoder slices every string from one copy of the body).
func TestStoredStringsAreOwned(t *testing.T) {
	s := New()
	body := `{"userName":"owned@example.com","emails":[{"value":"owned@example.com"}]}`
	in := map[string]any{"userName": body[13:30], "emails": []any{map[string]any{"value": body[52:69]}}}
	r, err := s.Create(context.Background(), "t", userType, in)
	if err != nil {
		t.Fatal(err)
	}
	e := s.tenants["t"].tables[userType.ID].byID[r.ID]
	stored := []string{e.doc["userName"].(string), e.doc["emails"].([]any)[0].(map[string]any)["value"].(string)}
	for _, v := range stored {
		if p := unsafe.StringData(v); uintptr(unsafe.Pointer(p)) >= uintptr(unsafe.Pointer(unsafe.StringData(body))) &&
			uintptr(unsafe.Pointer(p)) < uintptr(unsafe.Pointer(unsafe.StringData(body)))+uintptr(len(body)) {
			t.Errorf("stored %q points into the caller's text", v)
		}
	}
}

// matchedIDs returns the ids of the entries of tbl that the filter text f
// matches, by the matcher run on every entry in creation order: the answer
// an index must agree with.
func matchedIDs(t *testing.T, tbl *table, f string) []string {
	t.Helper()
	expr, err := filter.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	m, err := filter.Compile(expr, tbl.rt)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range tbl.order {
		if e != nil && m(e.doc) {
			ids = append(ids, e.id)
		}
	}
	return ids
}
