package storetest

import (
	"fmt"
	"strings"

	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

func querySpecs(e *env) {
	g.Describe("Query filters", func() {
		var alice, bob, carol, dave store.Resource
		g.BeforeEach(func() {
			alice = e.createUser("alice", map[string]any{
				"title": "Engineer", "active": true, "externalId": "ext-A",
				"emails":               []any{map[string]any{"value": "alice@example.com", "type": "work", "primary": true}},
				scim.EnterpriseUserURN: map[string]any{"employeeNumber": "42"},
			})
			bob = e.createUser("bob", map[string]any{
				"title": "Engineering Manager", "active": false, "externalId": "ext-b",
				"emails": []any{
					map[string]any{"value": "bob@home.example", "type": "home"},
					map[string]any{"value": "bob@example.com", "type": "work", "primary": true},
				},
			})
			carol = e.createUser("carol", nil)
			dave = e.createUser("dave", map[string]any{
				"title": "Sales", "active": true,
				"emails": []any{map[string]any{"value": "dave@example.com", "type": "work"}},
			})
		})

		g.It("returns every resource in creation order without a filter", func() {
			p := e.query(e.users, "", all)
			Expect(p.Total).To(Equal(4))
			Expect(pageIDs(p)).To(Equal(ids(alice, bob, carol, dave)))
			Expect(p.Resources[0]).To(Equal(alice), "whole resources, with id, version and meta")
		})

		g.DescribeTable("selects what the filter matches, in creation order",
			func(f string, want ...string) {
				p := e.query(e.users, f, all)
				if want == nil {
					want = []string{}
				}
				Expect(names(p)).To(Equal(want), "filter %s", f)
				Expect(p.Total).To(Equal(len(want)))
			},
			g.Entry("eq on userName, case-insensitively", `userName eq "ALICE"`, "alice"),
			g.Entry("a qualified path in any case", `urn:ietf:params:scim:schemas:core:2.0:User:USERNAME eq "bob"`, "bob"),
			g.Entry("an unknown value", `userName eq "nobody"`),
			g.Entry("co", `title co "engineer"`, "alice", "bob"),
			g.Entry("sw", `title sw "ENG"`, "alice", "bob"),
			g.Entry("pr", `title pr`, "alice", "bob", "dave"),
			g.Entry("and", `title co "engineer" and active eq true`, "alice"),
			g.Entry("or", `userName eq "dave" or userName eq "alice"`, "alice", "dave"),
			g.Entry("eq on an indexed attribute and another that fails", `userName eq "alice" and title eq "Sales"`),
			g.Entry("emails.value, case-insensitively", `emails.value eq "BOB@EXAMPLE.COM"`, "bob"),
			g.Entry("a value path", `emails[type eq "work"]`, "alice", "bob", "dave"),
			g.Entry("a value path on value and type", `emails[type eq "home" and value eq "bob@home.example"]`, "bob"),
			g.Entry("a value path whose terms hold in different values", `emails[type eq "home" and value eq "bob@example.com"]`),
			g.Entry("externalId, case-exact", `externalId eq "ext-A"`, "alice"),
			g.Entry("externalId in another case", `externalId eq "EXT-A"`),
			g.Entry("sw on userName, case-insensitively", `userName sw "AL"`, "alice"),
			g.Entry("sw on userName with a whole name", `userName sw "bob"`, "bob"),
			g.Entry("sw on userName longer than any", `userName sw "bobby"`),
			g.Entry("sw on emails.value", `emails.value sw "BOB@"`, "bob"),
			g.Entry("sw in a value path", `emails[type eq "work" and value sw "DAVE@"]`, "dave"),
			g.Entry("sw on externalId, case-exact", `externalId sw "ext-"`, "alice", "bob"),
			g.Entry("sw on externalId in another case", `externalId sw "EXT-"`),
			g.Entry("sw on userName or eq", `userName sw "c" or userName eq "dave"`, "carol", "dave"),
			g.Entry("sw on userName and another that fails", `userName sw "a" and title eq "Sales"`),
			g.Entry("an extension attribute", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "42"`, "alice"),
		)

		g.It("matches id exactly", func() {
			Expect(pageIDs(e.query(e.users, fmt.Sprintf("id eq %q", bob.ID), all))).To(Equal(ids(bob)))
			if upper := strings.ToUpper(bob.ID); upper != bob.ID {
				Expect(e.query(e.users, fmt.Sprintf("id eq %q", upper), all).Total).To(Equal(0))
			}
			Expect(e.query(e.users, fmt.Sprintf("id eq %q", bob.ID+"x"), all).Total).To(Equal(0))
		})

		g.It("finds groups by member", func() {
			both := e.createGroup("both", alice.ID, bob.ID)
			e.createGroup("only-bob", bob.ID)
			one := e.createGroup("only-alice", alice.ID)
			p := e.query(e.groups, fmt.Sprintf("members.value eq %q", alice.ID), all)
			Expect(pageIDs(p)).To(Equal(ids(both, one)))
			p = e.query(e.groups, fmt.Sprintf("members[value eq %q]", alice.ID), all)
			Expect(pageIDs(p)).To(Equal(ids(both, one)))
			Expect(e.query(e.groups, fmt.Sprintf("members.value eq %q", carol.ID), all).Total).To(Equal(0))
		})

		g.It("finds groups by any of many members (the server derives a page's User.groups in one query)", func() {
			both := e.createGroup("both", alice.ID, bob.ID)
			onlyBob := e.createGroup("only-bob", bob.ID)
			e.createGroup("only-carol", carol.ID)
			terms := []string{fmt.Sprintf("members.value eq %q", alice.ID), fmt.Sprintf("members.value eq %q", bob.ID)}
			for i := range 48 { // a page of 50 users, most in no group
				terms = append(terms, fmt.Sprintf("members.value eq %q", fmt.Sprintf("no-such-user-%d", i)))
			}
			p := e.query(e.groups, strings.Join(terms, " or "), all)
			Expect(pageIDs(p)).To(Equal(ids(both, onlyBob)))
		})

		g.It("follows updates and deletes in its answers", func() {
			e.update(e.users, alice.ID, map[string]any{
				"userName": "alicia",
				"emails":   []any{map[string]any{"value": "alicia@example.com"}},
			})
			Expect(e.query(e.users, `userName eq "alice"`, all).Total).To(Equal(0))
			Expect(e.query(e.users, `emails.value eq "alice@example.com"`, all).Total).To(Equal(0))
			Expect(names(e.query(e.users, `emails.value eq "alicia@example.com"`, all))).To(Equal([]string{"alicia"}))
			Expect(e.s.Delete(e.ctx, e.tenant, e.users, bob.ID, nil)).To(Succeed())
			Expect(e.query(e.users, `userName eq "bob"`, all).Total).To(Equal(0))
			Expect(e.query(e.users, `externalId eq "ext-b"`, all).Total).To(Equal(0))
		})

		g.It("rejects a filter on an unknown attribute with 400 invalidFilter", func() {
			_, err := e.tryQuery(e.users, `nosuch eq "x"`, all)
			expectSCIMError(err, 400, schema.InvalidFilter)
		})

		// A lone eq of a string, the shape the memory store answers from an
		// index without compiling: refused all the same.
		g.It("rejects a filter on an attribute never returned (password)", func() {
			_, err := e.tryQuery(e.users, `password eq "x"`, all)
			expectSCIMError(err, 400, schema.InvalidFilter)
		})

		g.It("rejects a bad filter in a tenant without data too", func() {
			e.tenant = randomTenant()
			_, err := e.tryQuery(e.users, `nosuch eq "x"`, all)
			expectSCIMError(err, 400, schema.InvalidFilter)
		})

		g.It("answers an empty page for a tenant without data", func() {
			e.tenant = randomTenant()
			p := e.query(e.users, `userName eq "alice"`, all)
			Expect(p.Total).To(Equal(0))
			Expect(p.Resources).To(BeEmpty())
		})
	})
}

func pagingSpecs(e *env) {
	g.Describe("Query paging", func() {
		var users []store.Resource
		g.BeforeEach(func() {
			users = nil
			for i := 1; i <= 5; i++ {
				title := "even"
				if i%2 == 1 {
					title = "odd"
				}
				users = append(users, e.createUser(fmt.Sprintf("u%d", i), map[string]any{"title": title}))
			}
		})

		g.DescribeTable("returns the window of the matches and counts them all",
			func(f string, startIndex, count, total int, want ...string) {
				p := e.query(e.users, f, store.Query{StartIndex: startIndex, Count: count})
				Expect(p.Total).To(Equal(total))
				if want == nil {
					want = []string{}
				}
				Expect(names(p)).To(Equal(want))
			},
			g.Entry("everything", "", 1, -1, 5, "u1", "u2", "u3", "u4", "u5"),
			g.Entry("a middle window", "", 2, 2, 5, "u2", "u3"),
			g.Entry("startIndex 0 read as 1", "", 0, 2, 5, "u1", "u2"),
			g.Entry("negative startIndex read as 1", "", -3, 2, 5, "u1", "u2"),
			g.Entry("count 0: the total only", "", 1, 0, 5),
			g.Entry("negative count: no limit", "", 3, -1, 5, "u3", "u4", "u5"),
			g.Entry("a window past the end", "", 4, 10, 5, "u4", "u5"),
			g.Entry("startIndex beyond the end", "", 6, 10, 5),
			g.Entry("a filtered window", `title eq "odd"`, 2, 1, 3, "u3"),
			g.Entry("a filtered count 0", `title eq "odd"`, 1, 0, 3),
		)

		g.It("keeps creation order through updates and deletes", func() {
			e.update(e.users, users[0].ID, map[string]any{"title": "changed"})
			Expect(e.s.Delete(e.ctx, e.tenant, e.users, users[2].ID, nil)).To(Succeed())
			e.createUser("u6", nil)
			Expect(names(e.query(e.users, "", all))).To(Equal([]string{"u1", "u2", "u4", "u5", "u6"}))
			Expect(names(e.query(e.users, "", store.Query{StartIndex: 3, Count: 2}))).To(Equal([]string{"u4", "u5"}))
		})
	})
}

func sortSpecs(e *env) {
	g.Describe("Query sortBy", func() {
		g.BeforeEach(func() {
			e.createUser("carol", map[string]any{"title": "Manager", "active": true,
				"emails": []any{map[string]any{"value": "carol@example.com"}}})
			e.createUser("Alice", map[string]any{"title": "engineer", "active": false,
				"emails": []any{
					map[string]any{"value": "zz-home@example.com", "type": "home"},
					map[string]any{"value": "alice@example.com", "type": "work", "primary": true},
				}})
			e.createUser("bob", map[string]any{"active": true,
				"emails": []any{map[string]any{"value": "bob@example.com"}}})
			e.createUser("dave", map[string]any{"title": "Director"})
			e.createUser("erin", map[string]any{"active": false,
				"emails": []any{
					map[string]any{"value": "b-first@example.com"},
					map[string]any{"value": "y@example.com"},
				}})
		})

		g.DescribeTable("orders by the attribute's value",
			func(sortBy string, desc bool, want ...string) {
				p := e.query(e.users, "", store.Query{SortBy: sortBy, Descending: desc, Count: -1})
				Expect(names(p)).To(Equal(want))
			},
			g.Entry("a string, case-insensitively", "userName", false, "Alice", "bob", "carol", "dave", "erin"),
			g.Entry("a string, descending", "userName", true, "erin", "dave", "carol", "bob", "Alice"),
			g.Entry("a qualified path in any case", "urn:ietf:params:scim:schemas:core:2.0:User:USERNAME", false, "Alice", "bob", "carol", "dave", "erin"),
			g.Entry("missing values last when ascending", "title", false, "dave", "Alice", "carol", "bob", "erin"),
			g.Entry("missing values first when descending", "title", true, "bob", "erin", "carol", "Alice", "dave"),
			g.Entry("booleans, ties in creation order", "active", false, "Alice", "erin", "carol", "bob", "dave"),
			g.Entry("booleans descending, ties in creation order", "active", true, "dave", "carol", "bob", "Alice", "erin"),
			g.Entry("a multi-valued attribute by its primary or first value", "emails.value", false, "Alice", "erin", "bob", "carol", "dave"),
		)

		g.It("sorts dateTimes by time", func() {
			tick()
			carol := e.query(e.users, `userName eq "carol"`, all).Resources[0]
			e.update(e.users, carol.ID, map[string]any{"title": "CEO"})
			asc := e.query(e.users, "", store.Query{SortBy: "meta.lastModified", Count: -1})
			Expect(names(asc)).To(Equal([]string{"Alice", "bob", "dave", "erin", "carol"}))
			desc := e.query(e.users, "", store.Query{SortBy: "meta.lastModified", Descending: true, Count: -1})
			Expect(names(desc)[0]).To(Equal("carol"))
		})

		g.It("sorts before paging, after filtering", func() {
			p := e.query(e.users, "active pr", store.Query{SortBy: "userName", Descending: true, StartIndex: 2, Count: 2})
			Expect(p.Total).To(Equal(4))
			Expect(names(p)).To(Equal([]string{"carol", "bob"}))
		})

		g.It("rejects an unknown sortBy attribute with 400 invalidValue", func() {
			_, err := e.tryQuery(e.users, "", store.Query{SortBy: "nosuch", Count: -1})
			expectSCIMError(err, 400, schema.InvalidValue)
			e.tenant = randomTenant()
			_, err = e.tryQuery(e.users, "", store.Query{SortBy: "nosuch", Count: -1})
			expectSCIMError(err, 400, schema.InvalidValue)
		})
	})
}
