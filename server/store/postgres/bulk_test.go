package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// storedRow is what one resource leaves in scim.resources, with the index
// expressions the store's lookups go through.
type storedRow struct {
	version           int64
	created, modified time.Time
	doc               map[string]any
	userKey, extID    *string
	emailKeys         string
}

var _ = Describe("CreateMany", func() {
	ctx := context.Background()
	var users, groups *schema.ResourceType

	BeforeEach(func() {
		users, _ = schema.Default().ResourceType("User")
		groups, _ = schema.Default().ResourceType("Group")
	})

	row := func(tenant, rtype, id string) storedRow {
		GinkgoHelper()
		var r storedRow
		var body []byte
		err := testStore.pool.QueryRow(ctx, `SELECT version, created, modified, doc,
       scim.fold(doc ->> 'userName'), doc ->> 'externalId', scim.value_keys(doc -> 'emails')::text
FROM scim.resources WHERE tenant = $1 AND rtype = $2 AND id = $3`, tenant, rtype, id).
			Scan(&r.version, &r.created, &r.modified, &body, &r.userKey, &r.extID, &r.emailKeys)
		Expect(err).NotTo(HaveOccurred())
		Expect(json.Unmarshal(body, &r.doc)).To(Succeed())
		return r
	}
	// sameAsCreate compares two stored rows but for what differs by design
	// between two creates: the id and the times.
	sameAsCreate := func(bulk, one storedRow, bulkID, oneID string) {
		GinkgoHelper()
		Expect(bulk.version).To(Equal(int64(1)))
		Expect(bulk.created).To(Equal(bulk.modified))
		Expect(bulk.doc["id"]).To(Equal(bulkID))
		Expect(one.doc["id"]).To(Equal(oneID))
		bm, om := bulk.doc["meta"].(map[string]any), one.doc["meta"].(map[string]any)
		Expect(bm["created"]).To(Equal(bm["lastModified"]))
		Expect(bm["created"]).To(Equal(store.Stamp(bulk.created)))
		for _, m := range []map[string]any{bm, om} {
			delete(m, "created")
			delete(m, "lastModified")
		}
		delete(bulk.doc, "id")
		delete(one.doc, "id")
		Expect(bulk.doc).To(Equal(one.doc))
		Expect(bulk.userKey).To(Equal(one.userKey))
		Expect(bulk.extID).To(Equal(one.extID))
		Expect(bulk.emailKeys).To(Equal(one.emailKeys))
		Expect(bulk.version).To(Equal(one.version))
	}

	It("stores what Create stores, findable through the same indexes", func() {
		bulkTenant, oneTenant := "bulk-"+randomSuffix(), "one-"+randomSuffix()
		var docs []map[string]any
		for i := range 50 {
			in := benchUser(i)
			if i == 7 {
				in["userName"] = "ÄMIL@example.com"
			}
			doc, err := users.Normalize(in)
			Expect(err).NotTo(HaveOccurred())
			if i == 7 {
				// id and meta from the caller are the store's to set, as in Create.
				doc["id"], doc["meta"] = "client-id", map[string]any{"version": `W/"99"`}
			}
			docs = append(docs, doc)
		}
		ids, err := testStore.CreateMany(ctx, bulkTenant, users, docs)
		Expect(err).NotTo(HaveOccurred())
		Expect(ids).To(HaveLen(len(docs)))
		for i, d := range docs {
			one, err := testStore.Create(ctx, oneTenant, users, d)
			Expect(err).NotTo(HaveOccurred())
			Expect(ids[i]).NotTo(Equal("client-id"))
			sameAsCreate(row(bulkTenant, "User", ids[i]), row(oneTenant, "User", one.ID), ids[i], one.ID)

			// Get and the lookups answer the same document.
			got, err := testStore.Get(ctx, bulkTenant, users, ids[i])
			Expect(err).NotTo(HaveOccurred())
			Expect(got.Version).To(Equal(int64(1)))
			p, err := testStore.Query(ctx, bulkTenant, users, store.Query{Filter: userNameEq(fmt.Sprint(d["userName"])), Count: -1})
			Expect(err).NotTo(HaveOccurred())
			Expect(p.Total).To(Equal(1))
			Expect(p.Resources[0].ID).To(Equal(ids[i]))
			Expect(p.Resources[0].Doc).To(Equal(got.Doc))
		}
		// The documents given are not changed.
		Expect(docs[7]["id"]).To(Equal("client-id"))
		// Case-insensitive lookup of a non-ASCII userName, through the index.
		p, err := testStore.Query(ctx, bulkTenant, users, store.Query{Filter: userNameEq("ämil@EXAMPLE.com"), Count: -1})
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Total).To(Equal(1))
		Expect(p.Resources[0].ID).To(Equal(ids[7]))
	})

	It("is all or nothing: a taken userName, in the batch or stored, is 409 uniqueness and stores none", func() {
		tenant := "bulk-" + randomSuffix()
		a, _ := users.Normalize(benchUser(1))
		b, _ := users.Normalize(benchUser(2))
		dup, _ := users.Normalize(map[string]any{"userName": "USER0000001@example.com"})
		_, err := testStore.CreateMany(ctx, tenant, users, []map[string]any{a, b, dup})
		expectUniqueness(err, "taken value")
		p, err := testStore.Query(ctx, tenant, users, store.Query{Count: -1})
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Total).To(BeZero())

		_, err = testStore.Create(ctx, tenant, users, a)
		Expect(err).NotTo(HaveOccurred())
		_, err = testStore.CreateMany(ctx, tenant, users, []map[string]any{b, dup})
		expectUniqueness(err, "taken value")
		p, err = testStore.Query(ctx, tenant, users, store.Query{Count: -1})
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Total).To(Equal(1))

		ids, err := testStore.CreateMany(ctx, tenant, users, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(ids).To(BeEmpty())
	})

	It("stores groups with members that User.groups and Delete find", func() {
		tenant := "bulk-" + randomSuffix()
		u, _ := users.Normalize(benchUser(1))
		uids, err := testStore.CreateMany(ctx, tenant, users, []map[string]any{u})
		Expect(err).NotTo(HaveOccurred())
		g, err := groups.Normalize(map[string]any{"displayName": "admins", "members": []any{map[string]any{"value": uids[0]}}})
		Expect(err).NotTo(HaveOccurred())
		gids, err := testStore.CreateMany(ctx, tenant, groups, []map[string]any{g})
		Expect(err).NotTo(HaveOccurred())
		member := filter.Compare{Path: filter.AttrPath{Name: "members", Sub: "value"}, Op: filter.Eq, Value: uids[0]}
		p, err := testStore.Query(ctx, tenant, groups, store.Query{Filter: member, Count: -1})
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Total).To(Equal(1))
		Expect(p.Resources[0].ID).To(Equal(gids[0]))
		Expect(testStore.Delete(ctx, tenant, users, uids[0], nil)).To(Succeed())
		got, err := testStore.Get(ctx, tenant, groups, gids[0])
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Doc).NotTo(HaveKey("members"))
		Expect(got.Version).To(Equal(int64(2)))
	})

	It("keeps unique the attributes no index covers, all or nothing too", func() {
		_, gadget := testTypes()
		tenant := "bulk-" + randomSuffix()
		mk := func(serial, label string) map[string]any {
			doc, err := gadget.Normalize(map[string]any{"serial": serial, "label": label})
			Expect(err).NotTo(HaveOccurred())
			return doc
		}
		count := func() int {
			p, err := testStore.Query(ctx, tenant, gadget, store.Query{Count: 0})
			Expect(err).NotTo(HaveOccurred())
			return p.Total
		}
		ids, err := testStore.CreateMany(ctx, tenant, gadget, []map[string]any{mk("SN-1", "a"), mk("SN-2", "b")})
		Expect(err).NotTo(HaveOccurred())
		Expect(ids).To(HaveLen(2))
		_, err = testStore.CreateMany(ctx, tenant, gadget, []map[string]any{mk("SN-3", "c"), mk("sn-1", "d")})
		expectUniqueness(err, "serial taken by a stored gadget")
		_, err = testStore.CreateMany(ctx, tenant, gadget, []map[string]any{mk("SN-4", "e"), mk("sn-4", "f")})
		expectUniqueness(err, "serial taken within the batch")
		Expect(count()).To(Equal(2), "all or nothing")
	})

	It("DeleteTenant deletes the tenant's resources and nothing else", func() {
		gone, kept := "bulk-"+randomSuffix(), "bulk-"+randomSuffix()
		var docs []map[string]any
		for i := range 20 {
			d, _ := users.Normalize(benchUser(i))
			docs = append(docs, d)
		}
		_, err := testStore.CreateMany(ctx, gone, users, docs)
		Expect(err).NotTo(HaveOccurred())
		g, _ := groups.Normalize(map[string]any{"displayName": "g"})
		_, err = testStore.Create(ctx, gone, groups, g)
		Expect(err).NotTo(HaveOccurred())
		_, err = testStore.CreateMany(ctx, kept, users, docs[:5])
		Expect(err).NotTo(HaveOccurred())

		n, err := testStore.DeleteTenant(ctx, gone)
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(int64(21)))
		for tenant, want := range map[string]int{gone: 0, kept: 5} {
			p, err := testStore.Query(ctx, tenant, users, store.Query{Count: 0})
			Expect(err).NotTo(HaveOccurred())
			Expect(p.Total).To(Equal(want), tenant)
		}
	})
})
