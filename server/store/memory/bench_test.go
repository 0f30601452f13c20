package memory

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

var sizes = []int{1_000, 10_000, 100_000}

// populated caches one store per size across benchmarks that only read.
var populated sync.Map // int -> *benchStore

type benchStore struct {
	once sync.Once
	s    *Store
	ids  []string
}

func readStore(b *testing.B, n int) (*Store, []string) {
	v, _ := populated.LoadOrStore(n, &benchStore{})
	bs := v.(*benchStore)
	bs.once.Do(func() {
		bs.s = New()
		bs.ids = populate(b, bs.s, n)
		runtime.GC() // don't bill populate's garbage to the benchmark
	})
	return bs.s, bs.ids
}

// BenchmarkQueryUserNameEq is the IdP's "does this user exist" lookup; its
// cost should not grow with the number of users.
func BenchmarkQueryUserNameEq(b *testing.B) {
	ctx := context.Background()
	for _, n := range sizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			s, _ := readStore(b, n)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				q := store.Query{Count: -1, Filter: filter.Compare{
					Path: filter.AttrPath{Name: "userName"}, Op: filter.Eq,
					Value: fmt.Sprintf("user%d@example.com", i%n),
				}}
				p, err := s.Query(ctx, "t", userType, q)
				if err != nil || p.Total != 1 {
					b.Fatalf("total %d, err %v", p.Total, err)
				}
				i += 7919
			}
		})
	}
}

// newName makes the userNames of BenchmarkCreate unique across runs.
var newName atomic.Int64

func BenchmarkCreate(b *testing.B) {
	ctx := context.Background()
	for _, n := range sizes {
		b.Run(fmt.Sprintf("existing=%d", n), func(b *testing.B) {
			s := New()
			populate(b, s, n)
			runtime.GC()
			b.ReportAllocs()
			for b.Loop() {
				doc := userDoc(0)
				doc["userName"] = fmt.Sprintf("new%d", newName.Add(1))
				if _, err := s.Create(ctx, "t", userType, doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			s, ids := readStore(b, n)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := s.Get(ctx, "t", userType, ids[i%n]); err != nil {
					b.Fatal(err)
				}
				i += 7919
			}
		})
	}
}

// BenchmarkCopyDoc is the deep copy every Get and every returned resource
// pays, to compare with BenchmarkGet.
func BenchmarkCopyDoc(b *testing.B) {
	doc := store.WithMeta(userDoc(1), "User", store.NewID(), 1, time.Now(), time.Now())
	b.ReportAllocs()
	for b.Loop() {
		_ = schema.CopyDoc(doc)
	}
}

// BenchmarkQueryPage is a page in the middle of an unfiltered listing of
// 100k users (startIndex=50001, count=100): no sort, no matcher.
func BenchmarkQueryPage(b *testing.B) {
	s, _ := readStore(b, 100_000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := s.Query(ctx, "t", userType, store.Query{StartIndex: 50_001, Count: 100})
		if err != nil || len(p.Resources) != 100 {
			b.Fatalf("%d resources, err %v", len(p.Resources), err)
		}
	}
}

// BenchmarkQueryScan is an unindexed filter over 10k users, for comparison:
// every entry goes through the matcher.
func BenchmarkQueryScan(b *testing.B) {
	s, _ := readStore(b, 10_000)
	benchFilter(b, s, `displayName eq "User 5000"`, 1)
}

// BenchmarkQueryPrefix is `sw` at 100k users, as the conformance checks
// scope their lists (a prefix that 11 userNames have): on userName it is a
// range of the ordered index; "co" on displayName is a scan of every user,
// the cost userName sw had before it had an ordered index.
func BenchmarkQueryPrefix(b *testing.B) {
	s, _ := readStore(b, 100_000)
	for _, c := range []struct{ name, filter string }{
		{"index=userName", `userName sw "user9999"`},
		{"scan=displayName-co", `displayName co "User 9999"`},
	} {
		b.Run(c.name, func(b *testing.B) { benchFilter(b, s, c.filter, 11) })
	}
}

// benchFilter times the query of every user matching the filter text f,
// which must match total users.
func benchFilter(b *testing.B, s *Store, f string, total int) {
	e, err := filter.Parse(f)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := s.Query(ctx, "t", userType, store.Query{Filter: e, Count: -1})
		if err != nil || p.Total != total {
			b.Fatalf("total %d, err %v", p.Total, err)
		}
	}
}

// BenchmarkHeapPerUser reports what a stored user costs the heap once the
// garbage of creating it is gone: bytes and objects per user at 100k users.
// Objects are what the collector marks on every cycle, so at 100k users
// they, more than bytes, decide how much of a busy server's CPU goes to the
// collector; each index key adds some.
func BenchmarkHeapPerUser(b *testing.B) {
	const n = 100_000
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := New()
		populate(b, s, n)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/user")
		b.ReportMetric(float64(after.HeapObjects-before.HeapObjects)/n, "objects/user")
		runtime.KeepAlive(s)
	}
}

// BenchmarkQueryConformFilters is the unscoped filters of conform's
// filter checks (suites/checks/filter.go) at 100k users with 1,000 distinct
// family names and one title, a page of 1000 (the server's default when
// count is not given): co and gt are decided on the distinct keys of an
// index; ew on userName (as many keys as users) and ne must scan.
//
//	go test -run '^$' -bench QueryConformFilters ./server/store/memory/
func BenchmarkQueryConformFilters(b *testing.B) {
	s := New()
	for i := range 100_000 {
		doc := userDoc(i)
		doc["name"] = map[string]any{"givenName": "User", "familyName": fmt.Sprint("Family", i%1000)}
		if _, err := s.Create(context.Background(), "t", userType, doc); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	ctx := context.Background()
	for _, c := range []struct{ name, filter string }{
		{"co", `title co "nag"`},
		{"gt", `name.familyName gt "Xu"`},
		{"ge", `name.familyName ge "Young"`},
		{"ew", `userName ew "-carol"`},
		{"ne", `name.familyName ne "Young"`},
	} {
		b.Run(c.name, func(b *testing.B) {
			f, err := filter.Parse(c.filter)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := s.Query(ctx, "t", userType, store.Query{Filter: f, Count: 1000}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
