package postgres

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/server/store/postgres/pgtest"
)

// The benchmarks run against one PostgreSQL per process (pgtest.Shared,
// stopped by TestMain) and one tenant per size, loaded once with COPY:
// per-operation cost should not grow from 1,000 to 100,000 users, since
// every operation is an index lookup or an insert into indexes.
//
//	go test -run '^$' -bench . -benchtime 2000x ./server/store/postgres/

var benchSizes = []int{1_000, 10_000, 100_000}

var bench struct {
	sync.Mutex
	store   *Store
	loaded  map[int]string // size → tenant
	nextNew atomic.Int64
}

// benchTenant returns the store and a tenant holding n users named as
// benchUser names them, loading it on first use.
func benchTenant(b *testing.B, n int) (*Store, string) {
	b.Helper()
	url := pgtest.Shared(b)
	bench.Lock()
	defer bench.Unlock()
	ctx := context.Background()
	if bench.store == nil {
		s, err := Open(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		bench.store, bench.loaded = s, map[int]string{} // closed by TestMain
	}
	if t, ok := bench.loaded[n]; ok {
		return bench.store, t
	}
	tenant := fmt.Sprintf("bench-%d-%s", n, randomSuffix())
	users, _ := schema.Default().ResourceType("User")
	const batch = 10_000
	for from := 0; from < n; from += batch {
		docs := make([]map[string]any, 0, batch)
		for i := from; i < min(from+batch, n); i++ {
			doc, err := users.Normalize(benchUser(i))
			if err != nil {
				b.Fatal(err)
			}
			docs = append(docs, doc)
		}
		if _, err := bulkLoad(ctx, bench.store, tenant, users, docs); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := bench.store.pool.Exec(ctx, "ANALYZE scim.resources"); err != nil {
		b.Fatal(err)
	}
	bench.loaded[n] = tenant
	return bench.store, tenant
}

func userNameEq(name string) filter.Expr {
	return filter.Compare{Path: filter.AttrPath{Name: "userName"}, Op: filter.Eq, Value: name}
}

// BenchmarkUserNameLookup is the lookup every IdP makes before a create:
// GET /Users?filter=userName eq "...", of a user that exists.
func BenchmarkUserNameLookup(b *testing.B) {
	users, _ := schema.Default().ResourceType("User")
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			s, tenant := benchTenant(b, n)
			ctx := context.Background()
			r := rand.New(rand.NewPCG(1, 2))
			b.ResetTimer()
			for b.Loop() {
				name := fmt.Sprintf("USER%07d@example.com", r.IntN(n))
				p, err := s.Query(ctx, tenant, users, store.Query{Filter: userNameEq(name), Count: -1})
				if err != nil || p.Total != 1 {
					b.Fatalf("lookup %s: %v, %d", name, err, p.Total)
				}
			}
		})
	}
}

// BenchmarkCreate creates users in a tenant that already holds n.
func BenchmarkCreate(b *testing.B) {
	users, _ := schema.Default().ResourceType("User")
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			s, tenant := benchTenant(b, n)
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				i := 10_000_000 + int(bench.nextNew.Add(1))
				doc, err := users.Normalize(benchUser(i))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.Create(ctx, tenant, users, doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEntraCycle is what Entra ID does to provision a user: look the
// userName up (not found), create it, then PATCH it (here the Update the
// server runs for a PATCH: read FOR UPDATE, change, write).
func BenchmarkEntraCycle(b *testing.B) {
	users, _ := schema.Default().ResourceType("User")
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			s, tenant := benchTenant(b, n)
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				i := 10_000_000 + int(bench.nextNew.Add(1))
				in := benchUser(i)
				p, err := s.Query(ctx, tenant, users, store.Query{Filter: userNameEq(in["userName"].(string)), Count: -1})
				if err != nil || p.Total != 0 {
					b.Fatalf("lookup: %v, %d", err, p.Total)
				}
				doc, err := users.Normalize(in)
				if err != nil {
					b.Fatal(err)
				}
				r, err := s.Create(ctx, tenant, users, doc)
				if err != nil {
					b.Fatal(err)
				}
				_, err = s.Update(ctx, tenant, users, r.ID, func(cur store.Resource) (map[string]any, error) {
					cur.Doc["active"] = false
					cur.Doc["title"] = "Engineer"
					return cur.Doc, nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWrittenUserGroups is what the server reads to answer a write of
// a user (its derived groups), in a tenant being provisioned: 10,000 users
// analysed, then 100 groups of 100 members each written after the last
// ANALYZE, as in the Entra initial cycle. "query" is the path the server
// took before GroupsReader.GroupsOf (a Query of "members.value eq" the id,
// whose generic plan may walk every group of the tenant); "groupsOf" is
// GroupsOf. Both run in one process, so their ratio is the measure.
func BenchmarkWrittenUserGroups(b *testing.B) {
	const nUsers, nGroups, perGroup = 10_000, 100, 100
	url := pgtest.Shared(b)
	ctx := context.Background()
	s, err := Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	users, _ := schema.Default().ResourceType("User")
	groups, _ := schema.Default().ResourceType("Group")
	tenant := "written-" + randomSuffix()
	docs := make([]map[string]any, nUsers)
	for i := range docs {
		if docs[i], err = users.Normalize(benchUser(i)); err != nil {
			b.Fatal(err)
		}
	}
	ids, err := bulkLoad(ctx, s, tenant, users, docs)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, "ANALYZE scim.resources"); err != nil {
		b.Fatal(err)
	}
	for g := range nGroups {
		var members []any
		for _, id := range ids[g*perGroup : (g+1)*perGroup] {
			members = append(members, map[string]any{"value": id, "type": "User"})
		}
		if _, err := s.Create(ctx, tenant, groups, map[string]any{"displayName": fmt.Sprintf("group %d", g), "members": members}); err != nil {
			b.Fatal(err)
		}
	}
	ways := []struct {
		name string
		read func(id string) error
	}{
		{"query", func(id string) error {
			f := filter.Compare{Path: filter.AttrPath{Name: "members", Sub: "value"}, Op: filter.Eq, Value: id}
			_, err := s.Query(ctx, tenant, groups, store.Query{Filter: f, Count: -1})
			return err
		}},
		{"groupsOf", func(id string) error {
			_, err := s.GroupsOf(ctx, tenant, []string{id}, groups)
			return err
		}},
	}
	for _, w := range ways {
		b.Run(w.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			for b.Loop() {
				if err := w.read(ids[r.IntN(nUsers)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLookupWithGroups is the read the server makes for the lookup IdPs
// send most (GET /Users?filter=userName eq "…"): QueryWithGroups, the page
// and each user's groups in one statement, from 8 goroutines at once as
// the server's requests would.
func BenchmarkLookupWithGroups(b *testing.B) {
	users, _ := schema.Default().ResourceType("User")
	groups, _ := schema.Default().ResourceType("Group")
	const n = 100_000
	s, tenant := benchTenant(b, n)
	ctx := context.Background()
	var seed atomic.Uint64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(seed.Add(1), 2))
		for pb.Next() {
			name := fmt.Sprintf("USER%07d@example.com", r.IntN(n))
			p, _, err := s.QueryWithGroups(ctx, tenant, users, store.Query{Filter: userNameEq(name), StartIndex: 1, Count: 100}, groups)
			if err != nil || p.Total != 1 {
				b.Errorf("lookup %s: %v, %d", name, err, p.Total)
				return
			}
		}
	})
}

// BenchmarkLookupStatement is the statement of a `userName eq` lookup
// with groups, run on one connection, with the CPU time its backend spent
// (backend-µs/op, from /proc when PostgreSQL runs on this machine): what
// the server's lookups/s on PostgreSQL hang on, and a figure the other
// processes of a shared machine barely move. "counted" is the statement of
// any exact page (pageWithGroupsSQL), "first page" the one QueryWithGroups
// sends for the first page of a lookup by a unique attribute
// (oneWithGroupsSQL), "first page, ORDER BY and LIMIT" that statement as
// it was sent before, and "first page, groups by GIN" the statement with
// the groups found as before migration 0005 (resources_members_idx);
// "counted, groups by GIN" is the statement every lookup sent before.
// Two floors say where the rest goes: "first page, no groups" is the
// lookup alone, and "SELECT 1" a round trip that reads nothing.
func BenchmarkLookupStatement(b *testing.B) {
	users, groups := mustType("User"), mustType("Group")
	const n = 100_000
	s, tenant := benchTenant(b, n)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	var sts []statement
	for range 1000 {
		st, err := buildQuery(tenant, users, store.Query{Filter: userNameEq(fmt.Sprintf("USER%07d@example.com", r.IntN(n))), StartIndex: 1, Count: 100})
		if err != nil {
			b.Fatal(err)
		}
		sts = append(sts, st)
	}
	const gin = `(SELECT json_agg(json_build_array(g.id,
    CASE WHEN jsonb_typeof(g.doc -> 'displayName') = 'string' THEN g.doc ->> 'displayName' END) ORDER BY g.seq)
  FROM scim.resources g
  WHERE scim.value_keys(g.doc -> 'members') @> scim.fold(jsonb_build_array(r.id)::text)::jsonb
    AND g.doc -> 'members' @> jsonb_build_array(jsonb_build_object('value', r.id))
    AND (g.tenant || '') = $1 AND (g.rtype || '') = 'Group')`
	ways := []struct {
		name     string
		sql      string
		args     []any // after the filter's
		noFilter bool  // the statement takes none of the filter's
	}{
		{"counted", sts[0].pageWithGroupsSQL(groups), []any{100, 0}, false},
		{"first page", sts[0].oneWithGroupsSQL(groups), nil, false},
		{"first page, ORDER BY and LIMIT", sts[0].oneWithGroupsSQL(groups) + "\nORDER BY r.seq LIMIT $3::bigint", []any{100}, false},
		{"first page, groups by GIN", strings.Replace(sts[0].oneWithGroupsSQL(groups), groupsOf(groups, "r.id"), gin, 1), nil, false},
		{"counted, groups by GIN (the statement before)", strings.Replace(sts[0].pageWithGroupsSQL(groups), groupsOf(groups, "p.id"), strings.ReplaceAll(gin, "r.id", "p.id"), 1), []any{100, 0}, false},
		{"first page, no groups", strings.Replace(sts[0].oneWithGroupsSQL(groups), ", "+groupsOf(groups, "r.id"), "", 1), nil, false},
		{"SELECT 1", "SELECT 1", nil, true},
	}
	for _, w := range ways {
		b.Run(w.name, func(b *testing.B) {
			conn, err := s.pool.Acquire(ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Release()
			var pid int
			if err := conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
				b.Fatal(err)
			}
			cpu0, local := backendCPU(pid)
			i := 0
			for b.Loop() {
				st := sts[i%len(sts)]
				i++
				args := append(st.args[:len(st.args):len(st.args)], w.args...)
				if w.noFilter {
					args = nil
				}
				rows, err := conn.Query(ctx, w.sql, args...)
				if err != nil {
					b.Fatal(err)
				}
				k := 0
				for rows.Next() {
					k++
				}
				if rows.Close(); rows.Err() != nil || k != 1 {
					b.Fatalf("%d rows, %v", k, rows.Err())
				}
			}
			if cpu1, ok := backendCPU(pid); ok && local {
				b.ReportMetric(float64(cpu1-cpu0)*1e6/100/float64(b.N), "backend-µs/op")
			}
		})
	}
}

// backendCPU is the CPU time (user and system, in clock ticks of 10 ms) of
// the process pid, if /proc shows it.
func backendCPU(pid int) (int64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// Fields 14 and 15 (utime, stime), counting from the pid; the second
	// field, the command, is in parentheses and may hold spaces.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	return u + s, err1 == nil && err2 == nil
}
