package storetest

import (
	"errors"
	"fmt"

	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// aliceAttrs is a user with nested and multi-valued attributes, to check
// that whole documents survive a round trip.
func aliceAttrs() map[string]any {
	return map[string]any{
		"displayName": "Alice Smith",
		"name":        map[string]any{"givenName": "Alice", "familyName": "Smith"},
		"emails": []any{
			map[string]any{"value": "alice@example.com", "type": "work", "primary": true},
			map[string]any{"value": "alice@home.example", "type": "home"},
		},
		"active":               true,
		scim.EnterpriseUserURN: map[string]any{"employeeNumber": "42"},
	}
}

func createSpecs(e *env) {
	g.Describe("Create and Get", func() {
		g.It("assigns an id and meta with version 1 and keeps every attribute", func() {
			doc := e.userDoc("alice", aliceAttrs())
			r := e.createIn(e.tenant, e.users, doc)

			Expect(r.ID).NotTo(BeEmpty())
			Expect(r.Version).To(Equal(int64(1)))
			Expect(r.Doc["id"]).To(Equal(r.ID))
			m := meta(r)
			Expect(m["resourceType"]).To(Equal("User"))
			Expect(m["version"]).To(Equal(`W/"1"`))
			Expect(m["created"]).To(MatchRegexp(timeRE.String()))
			Expect(m["lastModified"]).To(Equal(m["created"]))
			for k, v := range doc {
				Expect(r.Doc).To(HaveKeyWithValue(k, v))
			}
		})

		g.It("writes meta.resourceType from the resource type", func() {
			Expect(meta(e.createGroup("admins"))["resourceType"]).To(Equal("Group"))
		})

		g.It("ignores an id and meta in the document it is given", func() {
			doc := e.userDoc("alice", nil)
			doc["id"] = "client-chosen"
			doc["meta"] = map[string]any{"version": `W/"9"`, "created": "2000-01-01T00:00:00.000Z", "resourceType": "Group"}
			r := e.createIn(e.tenant, e.users, doc)

			Expect(r.ID).NotTo(Equal("client-chosen"))
			Expect(r.Doc["id"]).To(Equal(r.ID))
			Expect(meta(r)).To(HaveKeyWithValue("version", `W/"1"`))
			Expect(meta(r)).To(HaveKeyWithValue("resourceType", "User"))
			Expect(meta(r)["created"]).NotTo(Equal("2000-01-01T00:00:00.000Z"))
		})

		g.It("gives every resource a distinct id", func() {
			seen := map[string]bool{}
			for i := range 20 {
				r := e.createUser(fmt.Sprintf("user%d", i), nil)
				Expect(seen).NotTo(HaveKey(r.ID))
				seen[r.ID] = true
			}
		})

		g.It("returns what Create returned from Get", func() {
			r := e.createUser("alice", aliceAttrs())
			Expect(e.get(e.users, r.ID)).To(Equal(r))
		})

		g.It("returns 404 for an unknown id", func() {
			_, err := e.s.Get(e.ctx, e.tenant, e.users, "no-such-id")
			expectNotFound(err)
		})

		g.It("keeps resource types apart: a user id is not a group", func() {
			r := e.createUser("alice", nil)
			_, err := e.s.Get(e.ctx, e.tenant, e.groups, r.ID)
			expectNotFound(err)
		})
	})
}

func updateSpecs(e *env) {
	g.Describe("Update", func() {
		g.It("stores fn's document as the next version, keeping created and moving lastModified", func() {
			r := e.createUser("alice", aliceAttrs())
			tick()
			var seen store.Resource
			u, err := e.s.Update(e.ctx, e.tenant, e.users, r.ID, func(cur store.Resource) (map[string]any, error) {
				seen = cur
				next := e.userDoc("alice", map[string]any{"displayName": "Alice Jones"})
				return next, nil
			})
			Expect(err).NotTo(HaveOccurred())

			Expect(seen).To(Equal(r), "fn sees the current resource")
			Expect(u.ID).To(Equal(r.ID))
			Expect(u.Version).To(Equal(int64(2)))
			Expect(u.Doc["displayName"]).To(Equal("Alice Jones"))
			Expect(u.Doc).NotTo(HaveKey("emails"), "attributes fn dropped are gone")
			Expect(meta(u)["version"]).To(Equal(`W/"2"`))
			Expect(meta(u)["created"]).To(Equal(meta(r)["created"]))
			Expect(meta(u)["lastModified"]).To(MatchRegexp(timeRE.String()))
			Expect(meta(u)["lastModified"].(string) > meta(r)["lastModified"].(string)).To(BeTrue(),
				"lastModified %v moves past %v", meta(u)["lastModified"], meta(r)["lastModified"])
			Expect(e.get(e.users, r.ID)).To(Equal(u))
		})

		g.It("increments the version on every write", func() {
			r := e.createUser("alice", nil)
			for want := int64(2); want <= 5; want++ {
				u := e.update(e.users, r.ID, map[string]any{"title": "t"})
				Expect(u.Version).To(Equal(want))
				Expect(meta(u)["version"]).To(Equal(fmt.Sprintf(`W/"%d"`, want)))
			}
		})

		g.It("ignores an id and meta in fn's document", func() {
			r := e.createUser("alice", nil)
			u := e.update(e.users, r.ID, map[string]any{
				"id":   "other",
				"meta": map[string]any{"version": `W/"40"`, "created": "2000-01-01T00:00:00.000Z"},
			})
			Expect(u.ID).To(Equal(r.ID))
			Expect(u.Doc["id"]).To(Equal(r.ID))
			Expect(meta(u)["version"]).To(Equal(`W/"2"`))
			Expect(meta(u)["created"]).To(Equal(meta(r)["created"]))
			_, err := e.s.Get(e.ctx, e.tenant, e.users, "other")
			expectNotFound(err)
		})

		g.It("returns fn's error as is and changes nothing", func() {
			r := e.createUser("alice", aliceAttrs())
			failed := schema.StatusError(412, "version mismatch")
			_, err := e.s.Update(e.ctx, e.tenant, e.users, r.ID, func(cur store.Resource) (map[string]any, error) {
				cur.Doc["displayName"] = "changed"
				return cur.Doc, failed
			})
			Expect(errors.Is(err, failed)).To(BeTrue(), "got %v", err)
			Expect(e.get(e.users, r.ID)).To(Equal(r))
		})

		g.It("returns 404 for an unknown id without calling fn", func() {
			called := false
			_, err := e.s.Update(e.ctx, e.tenant, e.users, "no-such-id", func(store.Resource) (map[string]any, error) {
				called = true
				return nil, nil
			})
			expectNotFound(err)
			Expect(called).To(BeFalse())
		})
	})
}

func deleteSpecs(e *env) {
	g.Describe("Delete", func() {
		g.It("removes the resource", func() {
			r := e.createUser("alice", nil)
			Expect(e.s.Delete(e.ctx, e.tenant, e.users, r.ID, nil)).To(Succeed())
			_, err := e.s.Get(e.ctx, e.tenant, e.users, r.ID)
			expectNotFound(err)
			expectNotFound(e.s.Delete(e.ctx, e.tenant, e.users, r.ID, nil))
			Expect(e.query(e.users, "", all).Total).To(Equal(0))
		})

		g.It("calls check with the current resource and deletes when it accepts", func() {
			r := e.createUser("alice", aliceAttrs())
			var seen store.Resource
			Expect(e.s.Delete(e.ctx, e.tenant, e.users, r.ID, func(cur store.Resource) error {
				seen = cur
				return nil
			})).To(Succeed())
			Expect(seen).To(Equal(r))
		})

		g.It("returns check's error as is and deletes nothing", func() {
			r := e.createUser("alice", nil)
			grp := e.createGroup("admins", r.ID)
			failed := schema.StatusError(412, "version mismatch")
			err := e.s.Delete(e.ctx, e.tenant, e.users, r.ID, func(store.Resource) error { return failed })
			Expect(errors.Is(err, failed)).To(BeTrue(), "got %v", err)
			Expect(e.get(e.users, r.ID)).To(Equal(r))
			Expect(e.get(e.groups, grp.ID)).To(Equal(grp), "membership untouched")
		})

		g.It("returns 404 for an unknown id without calling check", func() {
			called := false
			err := e.s.Delete(e.ctx, e.tenant, e.users, "no-such-id", func(store.Resource) error {
				called = true
				return nil
			})
			expectNotFound(err)
			Expect(called).To(BeFalse())
		})

		g.It("removes the deleted user from the members of every group", func() {
			alice := e.createUser("alice", nil)
			bob := e.createUser("bob", nil)
			both := e.createGroup("both", alice.ID, bob.ID)
			only := e.createGroup("only-alice", alice.ID)
			other := e.createGroup("only-bob", bob.ID)
			tick()
			Expect(e.s.Delete(e.ctx, e.tenant, e.users, alice.ID, nil)).To(Succeed())

			b := e.get(e.groups, both.ID)
			Expect(memberValues(b)).To(Equal([]string{bob.ID}))
			Expect(b.Version).To(Equal(int64(2)))
			Expect(meta(b)["version"]).To(Equal(`W/"2"`))
			Expect(meta(b)["lastModified"].(string) > meta(both)["lastModified"].(string)).To(BeTrue())
			Expect(memberValues(e.get(e.groups, only.ID))).To(BeEmpty())
			Expect(e.get(e.groups, other.ID)).To(Equal(other), "a group without the user is untouched")
		})

		g.It("removes a deleted group from the groups it is nested in", func() {
			inner := e.createGroup("inner")
			outer := e.createGroup("outer", inner.ID)
			Expect(e.s.Delete(e.ctx, e.tenant, e.groups, inner.ID, nil)).To(Succeed())
			Expect(memberValues(e.get(e.groups, outer.ID))).To(BeEmpty())
		})
	})
}

func copySpecs(e *env) {
	g.Describe("copies", func() {
		// mutate changes a document at the top level and deep inside.
		mutate := func(doc map[string]any) {
			doc["displayName"] = "mutated"
			doc["emails"].([]any)[0].(map[string]any)["value"] = "mutated@example.com"
			doc["meta"].(map[string]any)["version"] = `W/"99"`
		}
		// expectPristine checks the stored user against literals, not against
		// a Resource that might share maps with the store.
		expectPristine := func(id string) {
			g.GinkgoHelper()
			got := e.get(e.users, id)
			Expect(got.Doc["displayName"]).To(Equal("Alice Smith"))
			Expect(got.Doc["emails"].([]any)[0]).To(HaveKeyWithValue("value", "alice@example.com"))
			Expect(meta(got)["version"]).To(Equal(fmt.Sprintf(`W/"%d"`, got.Version)))
		}
		var r store.Resource
		g.BeforeEach(func() { r = e.createUser("alice", aliceAttrs()) })

		g.It("keeps no reference to the document given to Create", func() {
			doc := e.userDoc("bob", aliceAttrs())
			c := e.createIn(e.tenant, e.users, doc)
			doc["displayName"] = "mutated"
			doc["emails"].([]any)[0].(map[string]any)["value"] = "mutated@example.com"
			expectPristine(c.ID)
		})

		g.It("hands out copies from Create and Get", func() {
			mutate(r.Doc)
			expectPristine(r.ID)
			mutate(e.get(e.users, r.ID).Doc)
			expectPristine(r.ID)
		})

		g.It("never changes a document Query handed out (it may be shared, read-only)", func() {
			before := e.query(e.users, "", all).Resources[0]
			snapshot := schema.CopyDoc(before.Doc)
			_, err := e.s.Update(e.ctx, e.tenant, e.users, r.ID, func(cur store.Resource) (map[string]any, error) {
				mutate(cur.Doc)
				return cur.Doc, nil
			})
			Expect(err).NotTo(HaveOccurred())
			Expect(before.Doc).To(Equal(snapshot))
			Expect(e.get(e.users, r.ID).Doc["displayName"]).To(Equal("mutated"))
		})

		g.It("hands out copies from Update and keeps none of fn's document", func() {
			var mine map[string]any
			u, err := e.s.Update(e.ctx, e.tenant, e.users, r.ID, func(cur store.Resource) (map[string]any, error) {
				mine = cur.Doc
				return mine, nil
			})
			Expect(err).NotTo(HaveOccurred())
			mutate(mine)
			mutate(u.Doc)
			expectPristine(r.ID)
		})

		g.It("gives fn a copy: changes by a failing fn don't stick", func() {
			_, err := e.s.Update(e.ctx, e.tenant, e.users, r.ID, func(cur store.Resource) (map[string]any, error) {
				mutate(cur.Doc)
				return nil, schema.StatusError(412, "no")
			})
			Expect(err).To(HaveOccurred())
			expectPristine(r.ID)
		})

		g.It("gives check a copy", func() {
			err := e.s.Delete(e.ctx, e.tenant, e.users, r.ID, func(cur store.Resource) error {
				mutate(cur.Doc)
				return schema.StatusError(412, "no")
			})
			Expect(err).To(HaveOccurred())
			expectPristine(r.ID)
		})
	})
}
