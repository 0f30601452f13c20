package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

func uniquenessSpecs(e *env) {
	g.Describe("uniqueness", func() {
		g.It("rejects a userName taken in another case with 409 uniqueness and keeps the original case", func() {
			first := e.createUser("Alice", nil)
			_, err := e.s.Create(e.ctx, e.tenant, e.users, e.userDoc("aLICE", nil))
			expectSCIMError(err, 409, schema.Uniqueness)
			Expect(e.get(e.users, first.ID).Doc["userName"]).To(Equal("Alice"))
			Expect(e.query(e.users, "", all).Total).To(Equal(1))
		})

		g.It("rejects an Update to a userName another user holds and changes nothing", func() {
			e.createUser("alice", nil)
			bob := e.createUser("bob", nil)
			_, err := e.s.Update(e.ctx, e.tenant, e.users, bob.ID, set(map[string]any{"userName": "ALICE"}))
			expectSCIMError(err, 409, schema.Uniqueness)
			Expect(e.get(e.users, bob.ID)).To(Equal(bob))
		})

		g.It("lets a user keep its own userName in another case", func() {
			r := e.createUser("alice", nil)
			u := e.update(e.users, r.ID, map[string]any{"userName": "Alice"})
			Expect(u.Doc["userName"]).To(Equal("Alice"))
		})

		g.It("frees a userName when its user is renamed or deleted", func() {
			a := e.createUser("alice", nil)
			e.update(e.users, a.ID, map[string]any{"userName": "alice2"})
			b := e.createUser("ALICE", nil)
			Expect(e.s.Delete(e.ctx, e.tenant, e.users, b.ID, nil)).To(Succeed())
			e.createUser("alice", nil)
		})

		g.It("keeps group displayName unique, case-insensitively", func() {
			e.createGroup("Admins")
			_, err := e.s.Create(e.ctx, e.tenant, e.groups, e.groupDoc("admins"))
			expectSCIMError(err, 409, schema.Uniqueness)
		})

		g.It("scopes uniqueness to one tenant and one resource type", func() {
			e.createUser("alice", nil)
			e.createIn(randomTenant(), e.users, e.userDoc("alice", nil))
			e.createGroup("alice")
		})

		// Issue 14: "İ" (U+0130) collided with "i" for uniqueness but
		// `userName eq` did not find it, so an IdP's lookup-then-create was
		// stuck. Whatever a store decides, a 409 must mean the lookup finds
		// the holder, and a 201 that it finds only the new user.
		g.It("uses one comparison for uniqueness and for userName eq", func() {
			for _, p := range [][2]string{
				{"İstanbul", "istanbul"}, {"İstanbul", "İSTANBUL"}, {"ıi", "II"},
				{"ſam", "SAM"}, {"\u212aelvin", "kelvin"}, {"straße", "STRAẞE"},
				{"ǅ", "ǆ"}, {"ΣΑΣ", "σας"}, {"ﬀ", "ff"},
			} {
				tenant := randomTenant()
				first := e.createIn(tenant, e.users, e.userDoc(p[0], nil))
				second, err := e.s.Create(e.ctx, tenant, e.users, e.userDoc(p[1], nil))
				expr, perr := filter.Parse(fmt.Sprintf("userName eq %q", p[1]))
				Expect(perr).NotTo(HaveOccurred())
				found, qerr := e.s.Query(e.ctx, tenant, e.users, store.Query{Filter: expr, Count: -1})
				Expect(qerr).NotTo(HaveOccurred())
				if err != nil {
					expectSCIMError(err, 409, schema.Uniqueness)
					Expect(pageIDs(found)).To(Equal([]string{first.ID}), "%q is taken by %q: the lookup finds it", p[1], p[0])
				} else {
					Expect(pageIDs(found)).To(Equal([]string{second.ID}), "%q and %q are distinct: the lookup finds one", p[1], p[0])
				}
			}
		})

		g.It("does not make non-unique attributes unique", func() {
			e.createUser("alice", map[string]any{"displayName": "Same", "externalId": "x"})
			e.createUser("bob", map[string]any{"displayName": "Same", "externalId": "x"})
		})
	})
}

func tenantSpecs(e *env) {
	g.Describe("tenants", func() {
		g.It("hides one tenant's resources from another, even by id", func() {
			alice := e.createUser("alice", nil)
			grp := e.createGroup("admins", alice.ID)
			other := randomTenant()
			called := false

			_, err := e.s.Get(e.ctx, other, e.users, alice.ID)
			expectNotFound(err)
			_, err = e.s.Update(e.ctx, other, e.users, alice.ID, func(cur store.Resource) (map[string]any, error) {
				called = true
				return cur.Doc, nil
			})
			expectNotFound(err)
			expectNotFound(e.s.Delete(e.ctx, other, e.users, alice.ID, func(store.Resource) error {
				called = true
				return nil
			}))
			Expect(called).To(BeFalse())

			p, err := e.s.Query(e.ctx, other, e.users, store.Query{Count: -1})
			Expect(err).NotTo(HaveOccurred())
			Expect(p.Total).To(Equal(0))
			Expect(p.Resources).To(BeEmpty())

			Expect(e.get(e.users, alice.ID)).To(Equal(alice))
			Expect(e.get(e.groups, grp.ID)).To(Equal(grp))
		})

		g.It("finds nothing by id filter in another tenant", func() {
			alice := e.createUser("alice", nil)
			other := e.createIn(randomTenant(), e.users, e.userDoc("alice", nil))
			p := e.query(e.users, fmt.Sprintf("id eq %q", other.ID), all)
			Expect(p.Total).To(Equal(0))
			p = e.query(e.users, fmt.Sprintf("id eq %q", alice.ID), all)
			Expect(pageIDs(p)).To(Equal([]string{alice.ID}))
		})

		g.It("leaves another tenant's groups alone when a user is deleted", func() {
			alice := e.createUser("alice", nil)
			other := randomTenant()
			bob := e.createIn(other, e.users, e.userDoc("bob", nil))
			// A group in another tenant cannot name alice: her id is dropped.
			grp := e.createIn(other, e.groups, e.groupDoc("admins", bob.ID, alice.ID))
			Expect(memberValues(grp)).To(Equal([]string{bob.ID}))
			Expect(e.s.Delete(e.ctx, e.tenant, e.users, alice.ID, nil)).To(Succeed())
			got, err := e.s.Get(e.ctx, other, e.groups, grp.ID)
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(Equal(grp))
		})
	})
}

func concurrencySpecs(e *env) {
	g.Describe("concurrency", func() {
		g.It("lets exactly one of 100 concurrent creates of one userName succeed", func() {
			const n = 100
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					defer g.GinkgoRecover()
					doc := e.userDoc(caseVariant("concurrent", i), nil)
					_, errs[i] = e.s.Create(e.ctx, e.tenant, e.users, doc)
				})
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
					continue
				}
				expectSCIMError(err, 409, schema.Uniqueness)
			}
			Expect(ok).To(Equal(1))
			Expect(e.query(e.users, "", all).Total).To(Equal(1))
		})

		g.It("loses no update when 50 goroutines each add a member to one group", func() {
			const n = 50
			grp := e.createGroup("crowd")
			want := make([]string, n)
			for i := range n {
				want[i] = e.createUser(fmt.Sprintf("member%d", i), nil).ID
			}
			var wg sync.WaitGroup
			for _, id := range want {
				wg.Go(func() {
					defer g.GinkgoRecover()
					_, err := e.s.Update(e.ctx, e.tenant, e.groups, grp.ID, addMember(id))
					Expect(err).NotTo(HaveOccurred())
				})
			}
			wg.Wait()
			got := e.get(e.groups, grp.ID)
			Expect(memberValues(got)).To(ConsistOf(want))
			Expect(got.Version).To(Equal(int64(n + 1)))
		})

		g.It("serves reads while writes go on", func() {
			r := e.createUser("alice", nil)
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Go(func() {
					defer g.GinkgoRecover()
					if i%2 == 0 {
						_, err := e.s.Update(e.ctx, e.tenant, e.users, r.ID, set(map[string]any{"title": fmt.Sprint(i)}))
						Expect(err).NotTo(HaveOccurred())
						return
					}
					_, err := e.s.Get(e.ctx, e.tenant, e.users, r.ID)
					Expect(err).NotTo(HaveOccurred())
					_, err = e.s.Query(e.ctx, e.tenant, e.users, all)
					Expect(err).NotTo(HaveOccurred())
				})
			}
			wg.Wait()
			Expect(e.get(e.users, r.ID).Version).To(Equal(int64(11)))
		})

		g.It("fails a call whose context is already cancelled, writing nothing", func() {
			ctx, cancel := context.WithCancel(e.ctx)
			cancel()
			_, err := e.s.Create(ctx, e.tenant, e.users, e.userDoc("alice", nil))
			Expect(err).To(HaveOccurred())
			Expect(errors.Is(err, context.Canceled) || errors.Is(err, schema.ErrUnavailable)).To(BeTrue(), "got %v", err)
			Expect(e.query(e.users, "", all).Total).To(Equal(0))
		})
	})
}

// caseVariant spells s with the letters picked by the bits of i in upper
// case, so concurrent creates collide only case-insensitively.
func caseVariant(s string, i int) string {
	b := []byte(s)
	for j := range b {
		if i&(1<<(j%7)) != 0 {
			b[j] = strings.ToUpper(string(b[j]))[0]
		}
	}
	return string(b)
}

// addMember is an Update fn appending one member, as a PATCH add would.
func addMember(id string) func(store.Resource) (map[string]any, error) {
	return func(cur store.Resource) (map[string]any, error) {
		list, _ := cur.Doc["members"].([]any)
		cur.Doc["members"] = append(list, map[string]any{"value": id})
		return cur.Doc, nil
	}
}
