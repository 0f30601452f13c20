package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/server/store/postgres/pgtest"
)

// membership is a row of scim.members.
type membership struct {
	tenant, rtype string
	seq           int64
	member        string
}

// expectMembers checks that scim.members holds, for the tenant, exactly
// the rows its documents imply: for every resource, each distinct string
// "value" of an object of its members array (what the server compares a
// member id with), and that those are the resources whose members
// @> [{"value": v}], the comparison groupsOf made through the GIN index.
func expectMembers(ctx context.Context, pool *pgxpool.Pool, tenant string) {
	GinkgoHelper()
	rows, err := pool.Query(ctx, `SELECT seq, rtype, doc FROM scim.resources WHERE tenant = $1`, tenant)
	Expect(err).NotTo(HaveOccurred())
	var want []membership
	err = forEachRow(rows, func(r pgx.Rows) error {
		var m membership
		var body []byte
		if err := r.Scan(&m.seq, &m.rtype, &body); err != nil {
			return err
		}
		var doc map[string]any
		if err := json.Unmarshal(body, &doc); err != nil {
			return err
		}
		members, _ := doc["members"].([]any)
		seen := map[string]bool{}
		for _, e := range members {
			obj, _ := e.(map[string]any)
			if v, ok := obj["value"].(string); ok && !seen[v] {
				seen[v] = true
				want = append(want, membership{tenant, m.rtype, m.seq, v})
			}
		}
		return nil
	})
	Expect(err).NotTo(HaveOccurred())
	got := members(ctx, pool, tenant)
	order := func(a, b membership) int {
		if c := a.seq - b.seq; c != 0 {
			return int(c)
		}
		return strings.Compare(a.member, b.member)
	}
	slices.SortFunc(want, order)
	slices.SortFunc(got, order)
	Expect(got).To(Equal(want))
	// And the containment the GIN path compared, for every value the rows
	// name (and their upper-case forms, which are other ids).
	for _, m := range got {
		for _, v := range []string{m.member, strings.ToUpper(m.member)} {
			var viaDocs, viaTable []int64
			Expect(pool.QueryRow(ctx, `SELECT coalesce(array_agg(seq ORDER BY seq), '{}') FROM scim.resources
WHERE tenant = $1 AND doc -> 'members' @> jsonb_build_array(jsonb_build_object('value', $2::text))`, tenant, v).Scan(&viaDocs)).To(Succeed())
			Expect(pool.QueryRow(ctx, `SELECT coalesce(array_agg(seq ORDER BY seq), '{}') FROM scim.members
WHERE tenant = $1 AND member = $2`, tenant, v).Scan(&viaTable)).To(Succeed())
			Expect(viaTable).To(Equal(viaDocs), "member %q", v)
		}
	}
}

// members is the rows of scim.members of the tenant.
func members(ctx context.Context, pool *pgxpool.Pool, tenant string) []membership {
	GinkgoHelper()
	rows, err := pool.Query(ctx, `SELECT tenant, rtype, seq, member FROM scim.members WHERE tenant = $1`, tenant)
	Expect(err).NotTo(HaveOccurred())
	var out []membership
	Expect(forEachRow(rows, func(r pgx.Rows) error {
		var m membership
		err := r.Scan(&m.tenant, &m.rtype, &m.seq, &m.member)
		out = append(out, m)
		return err
	})).To(Succeed())
	return out
}

func forEachRow(rows pgx.Rows, fn func(pgx.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// oddMembers are "members" values the server's schema would not let in but
// the store must read as the GIN path did: only string values of objects in
// an array are members, case-exactly, each once.
func oddMembers(id string) []any {
	return []any{
		[]any{map[string]any{"value": id}, map[string]any{"value": id, "type": "User"}},
		[]any{map[string]any{"value": []any{id}}},
		[]any{[]any{map[string]any{"value": id}}},
		map[string]any{"value": id},
		[]any{map[string]any{"value": 5}, map[string]any{"value": nil}, map[string]any{"display": id}, id},
		id,
		[]any{map[string]any{"value": strings.ToUpper(id)}},
		[]any{},
	}
}

// insertRaw stores doc as a resource the way the store's INSERT does,
// without the store's checks.
func insertRaw(ctx context.Context, pool *pgxpool.Pool, tenant, rtype string, doc map[string]any) {
	GinkgoHelper()
	body, err := json.Marshal(doc)
	Expect(err).NotTo(HaveOccurred())
	_, err = pool.Exec(ctx, `INSERT INTO scim.resources (tenant, rtype, id, version, created, modified, doc)
VALUES ($1, $2, $3, 1, now(), now(), $4)`, tenant, rtype, store.NewID(), body)
	Expect(err).NotTo(HaveOccurred())
}

var _ = Describe("the members table (scim.members)", func() {
	ctx := context.Background()
	users, groups := mustType("User"), mustType("Group")
	member := func(id string) any { return map[string]any{"value": id, "type": "User"} }

	DescribeTable("agrees with the documents after a random sequence of group writes", func(seed uint64) {
		tenant := "members-" + randomSuffix()
		rng := rand.New(rand.NewPCG(seed, 1))
		var userIDs, groupIDs []string
		newUser := func() {
			u, err := testStore.Create(ctx, tenant, users, map[string]any{"userName": "u" + randomSuffix()})
			Expect(err).NotTo(HaveOccurred())
			userIDs = append(userIDs, u.ID)
		}
		for range 6 {
			newUser()
		}
		// someMembers is a random member list: duplicates, the odd id of no
		// resource (dropped by the store) and another group (a group may
		// be a member) included.
		someMembers := func() []any {
			var ms []any
			for range rng.IntN(5) {
				ms = append(ms, member(userIDs[rng.IntN(len(userIDs))]))
			}
			if rng.IntN(4) == 0 {
				ms = append(ms, member("no-such-"+randomSuffix()))
			}
			if len(groupIDs) > 0 && rng.IntN(4) == 0 {
				ms = append(ms, map[string]any{"value": groupIDs[rng.IntN(len(groupIDs))], "type": "Group"})
			}
			return ms
		}
		update := func(id string, fn func(doc map[string]any)) {
			_, err := testStore.Update(ctx, tenant, groups, id, func(cur store.Resource) (map[string]any, error) {
				fn(cur.Doc)
				return cur.Doc, nil
			})
			Expect(err).NotTo(HaveOccurred())
		}
		for step := range 80 {
			op := rng.IntN(9)
			if len(groupIDs) == 0 {
				op = 0
			}
			var gid string
			if len(groupIDs) > 0 {
				gid = groupIDs[rng.IntN(len(groupIDs))]
			}
			switch op {
			case 0, 1: // POST
				doc := map[string]any{"displayName": fmt.Sprintf("g%d", step)}
				if ms := someMembers(); len(ms) > 0 {
					doc["members"] = ms
				}
				g, err := testStore.Create(ctx, tenant, groups, doc)
				Expect(err).NotTo(HaveOccurred())
				groupIDs = append(groupIDs, g.ID)
			case 2: // PATCH add
				update(gid, func(doc map[string]any) {
					ms, _ := doc["members"].([]any)
					doc["members"] = append(ms, someMembers()...)
				})
			case 3: // PATCH remove members[value eq "..."]
				v := userIDs[rng.IntN(len(userIDs))]
				update(gid, func(doc map[string]any) {
					ms, _ := doc["members"].([]any)
					ms = slices.DeleteFunc(slices.Clone(ms), func(m any) bool { return m.(map[string]any)["value"] == v })
					if len(ms) == 0 {
						delete(doc, "members")
					} else {
						doc["members"] = ms
					}
				})
			case 4: // PATCH replace members (or remove them all)
				update(gid, func(doc map[string]any) {
					if ms := someMembers(); len(ms) > 0 {
						doc["members"] = ms
					} else {
						delete(doc, "members")
					}
				})
			case 5: // PUT
				update(gid, func(doc map[string]any) {
					clear(doc)
					doc["displayName"] = fmt.Sprintf("g%d", step)
					if ms := someMembers(); len(ms) > 0 {
						doc["members"] = ms
					}
				})
			case 6: // PATCH displayName: the members rows stay
				update(gid, func(doc map[string]any) { doc["displayName"] = fmt.Sprintf("g%d", step) })
			case 7: // DELETE the group
				Expect(testStore.Delete(ctx, tenant, groups, gid, nil)).To(Succeed())
				groupIDs = slices.DeleteFunc(groupIDs, func(id string) bool { return id == gid })
			case 8: // DELETE a user: the store removes it from every group
				i := rng.IntN(len(userIDs))
				Expect(testStore.Delete(ctx, tenant, users, userIDs[i], nil)).To(Succeed())
				userIDs = slices.Delete(userIDs, i, i+1)
				newUser()
			}
			expectMembers(ctx, testStore.pool, tenant)
		}
		// And the groups the server shows are the two-step path's.
		for _, id := range userIDs {
			by, err := testStore.GroupsOf(ctx, tenant, []string{id}, groups)
			Expect(err).NotTo(HaveOccurred())
			Expect(by[id]).To(Equal(twoStepGroups(ctx, tenant, groups, id)), "user %s", id)
		}
		_, err := testStore.DeleteTenant(ctx, tenant)
		Expect(err).NotTo(HaveOccurred())
		Expect(members(ctx, testStore.pool, tenant)).To(BeEmpty())
	}, Entry("seed 1", uint64(1)), Entry("seed 2", uint64(2)), Entry("seed 3", uint64(3)))

	It("reads members as the documents' containment did, whatever their shape", func() {
		tenant := "members-odd-" + randomSuffix()
		id := store.NewID()
		for _, ms := range oddMembers(id) {
			insertRaw(ctx, testStore.pool, tenant, "Group", map[string]any{"displayName": "g" + randomSuffix(), "members": ms})
		}
		insertRaw(ctx, testStore.pool, tenant, "Team", map[string]any{"members": []any{member(id)}})
		expectMembers(ctx, testStore.pool, tenant)
		// Every document from each shape to the next, in place.
		for _, ms := range oddMembers(id) {
			b, _ := json.Marshal(ms)
			_, err := testStore.pool.Exec(ctx, `UPDATE scim.resources SET doc = jsonb_set(doc, '{members}', $2::jsonb) WHERE tenant = $1`, tenant, b)
			Expect(err).NotTo(HaveOccurred())
			expectMembers(ctx, testStore.pool, tenant)
		}
		_, err := testStore.DeleteTenant(ctx, tenant)
		Expect(err).NotTo(HaveOccurred())
		Expect(members(ctx, testStore.pool, tenant)).To(BeEmpty())
	})

	It("is filled by its migration from the groups an older version stored", func() {
		dbURL, drop, err := pgtest.CreateDatabase(ctx, db.URL(), "scimmembers_")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(drop(context.Background())).To(Succeed()) })
		pool, err := pgxpool.New(ctx, dbURL)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(pool.Close) // before the drop: cleanups run last in, first out
		all, err := migrations()
		Expect(err).NotTo(HaveOccurred())
		Expect(all[4].name).To(Equal("0005_members.sql"))
		Expect(migrate(ctx, pool, all[:4])).To(Succeed())

		// The store's writes on the version 4 schema are the older
		// version's: none of them names scim.members.
		old := &Store{pool: pool, now: time.Now}
		tenants := []string{"t1-" + randomSuffix(), "t2-" + randomSuffix()}
		var ids []string
		for _, tenant := range tenants {
			for range 3 {
				u, err := old.Create(ctx, tenant, users, map[string]any{"userName": "u" + randomSuffix()})
				Expect(err).NotTo(HaveOccurred())
				ids = append(ids, u.ID)
			}
			n := len(ids)
			for i, ms := range [][]any{
				{member(ids[n-3]), member(ids[n-2])},
				{member(ids[n-3]), member(ids[n-3])},
				{member(ids[n-1])},
				nil,
			} {
				doc := map[string]any{"displayName": fmt.Sprintf("g%d", i)}
				if ms != nil {
					doc["members"] = ms
				}
				_, err := old.Create(ctx, tenant, groups, doc)
				Expect(err).NotTo(HaveOccurred())
			}
			for _, ms := range oddMembers(ids[n-1]) {
				insertRaw(ctx, pool, tenant, "Group", map[string]any{"displayName": "odd" + randomSuffix(), "members": ms})
			}
		}

		Expect(migrate(ctx, pool, all)).To(Succeed())
		s, err := Open(ctx, dbURL)
		Expect(err).NotTo(HaveOccurred())
		defer s.Close()
		for _, tenant := range tenants {
			Expect(members(ctx, pool, tenant)).NotTo(BeEmpty())
			expectMembers(ctx, pool, tenant)
		}
		by, err := s.GroupsOf(ctx, tenants[0], ids[:3], groups)
		Expect(err).NotTo(HaveOccurred())
		names := func(gs []store.Resource) []any {
			var out []any
			for _, g := range gs {
				out = append(out, g.Doc["displayName"])
			}
			return out
		}
		Expect(names(by[ids[0]])).To(Equal([]any{"g0", "g1"}))
		Expect(names(by[ids[1]])).To(Equal([]any{"g0"}))
		Expect(by[ids[2]]).To(HaveLen(2)) // g2, and the odd document that lists it twice
		Expect(names(by[ids[2]])[0]).To(Equal("g2"))
	})
})
