package storetest

import (
	"fmt"
	"sync"

	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/store"
)

func memberSpecs(e *env) {
	g.Describe("members", func() {
		// The store checks a member's existence in the write's own lock or
		// transaction (store.KeepMembers), so a check and the write it
		// guards are one step.
		g.It("stores only the members that name a user or group of the tenant", func() {
			alice := e.createUser("alice", nil)
			inner := e.createGroup("inner")
			foreign := e.createIn(randomTenant(), e.users, e.userDoc("foreign", nil))
			grp := e.createGroup("admins", alice.ID, "no-such-user", inner.ID, foreign.ID)
			Expect(memberValues(grp)).To(Equal([]string{alice.ID, inner.ID}))
			Expect(memberValues(e.get(e.groups, grp.ID))).To(Equal([]string{alice.ID, inner.ID}))

			u, err := e.s.Update(e.ctx, e.tenant, e.groups, grp.ID, addMember("no-such-user"))
			Expect(err).NotTo(HaveOccurred())
			Expect(memberValues(u)).To(Equal([]string{alice.ID, inner.ID}))

			only := e.createGroup("ghosts", "no-such-user")
			Expect(only.Doc).NotTo(HaveKey("members"), "none left: unassigned, not []")
		})

		// store.GroupsReader: the same groups as the two-step read (the
		// resources, then a Query for "members.value eq" each), each once,
		// in creation order, with only their displayName.
		g.It("answers GetWithGroups, QueryWithGroups and GroupsOf as a members.value query does", func() {
			gr, ok := e.s.(store.GroupsReader)
			if !ok {
				g.Skip("the store is not a store.GroupsReader")
			}
			alice, bob := e.createUser("alice", nil), e.createUser("bob", nil)
			carol := e.createUser("carol", nil)
			both := e.createGroup("both", alice.ID, bob.ID, alice.ID)
			onlyBob := e.createGroup("only-bob", bob.ID)
			onlyAlice := e.createGroup("only-alice", alice.ID)
			e.createGroup("nobody")
			shown := func(gs ...store.Resource) []store.Resource {
				out := []store.Resource{}
				for _, grp := range gs {
					out = append(out, store.Resource{ID: grp.ID, Doc: map[string]any{"displayName": grp.Doc["displayName"]}})
				}
				return out
			}
			twoStep := func(id string) []store.Resource {
				return shown(e.query(e.groups, fmt.Sprintf("members.value eq %q", id), all).Resources...)
			}
			Expect(twoStep(alice.ID)).To(Equal(shown(both, onlyAlice)))

			r, gs, err := gr.GetWithGroups(e.ctx, e.tenant, e.users, alice.ID, e.groups)
			Expect(err).NotTo(HaveOccurred())
			Expect(r).To(Equal(alice))
			Expect(gs).To(Equal(twoStep(alice.ID)))
			_, gs, err = gr.GetWithGroups(e.ctx, e.tenant, e.users, carol.ID, e.groups)
			Expect(err).NotTo(HaveOccurred())
			Expect(gs).To(BeEmpty())

			f, err := filter.Parse(`userName sw "a" or userName sw "b" or userName eq "carol"`)
			Expect(err).NotTo(HaveOccurred())
			page, by, err := gr.QueryWithGroups(e.ctx, e.tenant, e.users, store.Query{Filter: f, Count: -1}, e.groups)
			Expect(err).NotTo(HaveOccurred())
			Expect(pageIDs(page)).To(Equal(ids(alice, bob, carol)))
			Expect(by).To(HaveLen(2), "carol is in no group: no entry")
			Expect(by[alice.ID]).To(Equal(twoStep(alice.ID)))
			Expect(by[bob.ID]).To(Equal(shown(both, onlyBob)))

			of, err := gr.GroupsOf(e.ctx, e.tenant, []string{alice.ID, bob.ID, carol.ID, "no-such-id"}, e.groups)
			Expect(err).NotTo(HaveOccurred())
			Expect(of).To(HaveLen(2), "carol is in no group, no-such-id is nobody: no entries")
			Expect(of[alice.ID]).To(Equal(twoStep(alice.ID)))
			Expect(of[bob.ID]).To(Equal(shown(both, onlyBob)))
		})

		// Issue 14: a user deleted while a write adds it to a group stayed a
		// member (PostgreSQL 82 of 100 rounds). Whatever the interleaving,
		// afterwards no group names a user that does not exist.
		g.It("never leaves a deleted user a member when the delete races adding it", func() {
			const rounds = 40
			for round := range rounds {
				u := e.createUser(fmt.Sprintf("racer%d", round), nil)
				grp := e.createGroup(fmt.Sprintf("target%d", round))
				var wg sync.WaitGroup
				wg.Go(func() {
					defer g.GinkgoRecover()
					Expect(e.s.Delete(e.ctx, e.tenant, e.users, u.ID, nil)).To(Succeed())
				})
				wg.Go(func() { // a PATCH add
					defer g.GinkgoRecover()
					_, err := e.s.Update(e.ctx, e.tenant, e.groups, grp.ID, addMember(u.ID))
					Expect(err).NotTo(HaveOccurred())
				})
				wg.Go(func() { // a POST of a group listing the user
					defer g.GinkgoRecover()
					_, err := e.s.Create(e.ctx, e.tenant, e.groups, e.groupDoc(fmt.Sprintf("posted%d", round), u.ID))
					Expect(err).NotTo(HaveOccurred())
				})
				wg.Wait()
			}
			users := map[string]bool{}
			for _, r := range e.query(e.users, "", all).Resources {
				users[r.ID] = true
			}
			groups := e.query(e.groups, "", all)
			Expect(groups.Total).To(Equal(2 * rounds))
			for _, grp := range groups.Resources {
				for _, m := range memberValues(grp) {
					Expect(users).To(HaveKey(m), "group %v names a deleted user", grp.Doc["displayName"])
				}
			}
		})
	})
}
