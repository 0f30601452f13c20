package memory

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/store"
)

// TestKeyComparisonsUseIndexes checks that co, ew and the orderings on an
// indexed attribute answer exactly what a scan answers (the same ids in
// creation order, the same total), also for values that differ only by
// case or by a rune of the same folding orbit (the Kelvin sign for k, long s
// for s, final sigma), and that they examine only the entries under the
// keys that pass — or scan, when those are more than a quarter of the
// table, or when the comparison cannot be decided by a key (ne, pr).
func TestKeyComparisonsUseIndexes(t *testing.T) {
	s := New()
	n := 20_000
	for i := range n {
		// Few distinct family names and addresses, as in a directory; the
		// userNames stay distinct.
		doc := userDoc(i)
		doc["name"] = map[string]any{"familyName": fmt.Sprint(i % 100)}
		doc["emails"] = []any{map[string]any{"value": fmt.Sprintf("team%d@example.com", i%50), "type": "work"}}
		if _, err := s.Create(context.Background(), "t", userType, doc); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"kelvin", "Straße", "ſam", "İnci", "inga", "ΣΑΣ-1", "σας-2", "user-x"} {
		doc := userDoc(n + 1)
		doc["userName"], doc["externalId"], doc["title"] = name, "EXT-"+name, "Title "+name
		doc["name"] = map[string]any{"familyName": name}
		doc["emails"] = []any{map[string]any{"value": name + "@Mixed.Example", "type": "work"}}
		if _, err := s.Create(context.Background(), "t", userType, doc); err != nil {
			t.Fatal(err)
		}
	}
	total := n + 8
	cases := []struct {
		filter   string
		want     int
		examined int // at most; -1: a scan of everything
	}{
		{`title co "nag"`, 0, 0},
		{`title co "KELV"`, 1, 1},
		{`title co "\u212aelv"`, 1, 1}, // Kelvin sign: in k's orbit
		{`title co "SS"`, 0, 0},        // ß is not "ss" under simple folding
		{`title co "aß"`, 1, 1},
		{`title co "ſ"`, 3, 3}, // ſam, Straße, user-x
		{`title co "σασ"`, 2, 2},
		{`title co "İ"`, 1, 1},
		{`title ew "-1"`, 1, 1},
		{`title co "ngineer"`, n, -1}, // the keys that pass hold most of the table
		{`name.familyName gt "Σ"`, 2, 2},
		{`name.familyName gt "σας-1"`, 1, 1},
		{`name.familyName ge "ΣΑΣ-1"`, 2, 2},
		{`name.familyName lt "1"`, n / 100, n / 100}, // "0"
		{`name.familyName le "10"`, 3 * n / 100, 3 * n / 100},
		{`name.familyName lt "KELVIN"`, n + 2, -1}, // the digits, İnci and inga
		{`name.familyName gt "\u212aelvin"`, 5, 5}, // ſam, Straße, ΣΑΣ-1, σας-2, user-x
		{`emails.value co "mixed.example"`, 8, 8},
		{`emails[type eq "work" and value co "KELVIN@"]`, 1, 1},
		{`emails[type eq "home" and value co "KELVIN@"]`, 0, 1},
		{`emails[value ew "@example.com"]`, n, -1},
		{`title co "kelvin" or emails.value ew "9@EXAMPLE.COM"`, 1 + n/10, 1 + n/10},
		{`title co "kelvin" and active pr`, 1, 1},
		{`userName ew "-x"`, 1, -1}, // as many keys as users: a scan is as cheap
		{`externalId ew "-kelvin"`, 1, -1},
		{`name.familyName ne "kelvin"`, total - 1, -1},
		{`title pr`, total, -1},
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
			if !slices.Equal(got, want) || p.Total != c.want || len(want) != c.want {
				t.Errorf("total %d, scan %d, want %d; ids in creation order equal to a scan's: %v", p.Total, len(want), c.want, slices.Equal(got, want))
			}
			switch {
			case c.examined < 0 && examined != int64(total):
				t.Errorf("examined %d entries, want a scan of %d", examined, total)
			case c.examined >= 0 && examined > int64(c.examined):
				t.Errorf("examined %d entries, want at most %d (the keys that pass)", examined, c.examined)
			}
		})
	}
}

// TestParallelScanPagesLikeOne checks that a scan split over goroutines
// answers as one pass over the table would: the same total, and each
// window the same ids in creation order or sort order, also a window that
// starts in one chunk and ends in the next.
func TestParallelScanPagesLikeOne(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	s := New()
	n := 3 * scanChunk
	ids := populate(t, s, n)
	for i := 0; i < n; i += 7 { // tombstones, unevenly spread
		if err := s.Delete(context.Background(), "t", userType, ids[i], nil); err != nil {
			t.Fatal(err)
		}
	}
	f, err := filter.Parse(`active eq true`) // unindexed: a scan
	if err != nil {
		t.Fatal(err)
	}
	m, err := filter.Compile(f, userType)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, e := range s.tenants["t"].tables[userType.ID].order {
		if e != nil && m(e.doc) {
			all = append(all, e.id)
		}
	}
	for _, c := range []struct {
		start, count int
		sortBy       string
	}{
		{1, 1000, ""}, {1, -1, ""}, {1, 0, ""}, {scanChunk / 2, 100, ""}, {len(all) - 5, 100, ""},
		{len(all) + 1, 10, ""}, {1, 1000, "userName"},
	} {
		p, err := s.Query(context.Background(), "t", userType, store.Query{Filter: f, StartIndex: c.start, Count: c.count, SortBy: c.sortBy})
		if err != nil {
			t.Fatal(err)
		}
		want := all
		if c.sortBy != "" {
			want = slices.Clone(all)
			byID := map[string]string{}
			for _, e := range s.tenants["t"].tables[userType.ID].order {
				if e != nil {
					byID[e.id] = e.doc["userName"].(string)
				}
			}
			slices.SortStableFunc(want, func(a, b string) int { return strings.Compare(byID[a], byID[b]) })
		}
		want = want[min(c.start-1, len(want)):]
		if c.count >= 0 {
			want = want[:min(c.count, len(want))]
		}
		var got []string
		for _, r := range p.Resources {
			got = append(got, r.ID)
		}
		if p.Total != len(all) || !slices.Equal(got, want) {
			t.Errorf("start %d count %d sortBy %q: total %d (want %d), %d ids (want %d), equal %v",
				c.start, c.count, c.sortBy, p.Total, len(all), len(got), len(want), slices.Equal(got, want))
		}
	}
}
