package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// planNode is a node of EXPLAIN (FORMAT JSON).
type planNode struct {
	NodeType  string     `json:"Node Type"`
	IndexName string     `json:"Index Name"`
	Filter    string     `json:"Filter"`
	Plans     []planNode `json:"Plans"`
}

// seqScans lists the filter of every sequential scan of a plan, subplans
// and CTEs included.
func (n planNode) seqScans() []string {
	var out []string
	if n.NodeType == "Seq Scan" {
		out = append(out, n.Filter)
	}
	for _, c := range n.Plans {
		out = append(out, c.seqScans()...)
	}
	return out
}

// scans lists "Node Type on Index Name" for every index scan of a plan.
func (n planNode) scans() []string {
	var out []string
	if n.IndexName != "" {
		out = append(out, n.NodeType+" on "+n.IndexName)
	}
	for _, c := range n.Plans {
		out = append(out, c.scans()...)
	}
	return out
}

var _ = Describe("indexes", Ordered, func() {
	// 10,000 users in the tenant (and as many in each of three others), so
	// that a sequential scan would cost the planner far more than an index.
	const n = 10000
	var (
		ctx           = context.Background()
		tenant        = "explain-" + randomSuffix()
		users, groups *schema.ResourceType
		userIDs       []string
		explain       func(rt *schema.ResourceType, f string, generic bool) (planNode, string)
		explainSQL    func(sql string, args []any, generic bool) (planNode, string)
	)

	BeforeAll(func() {
		users, _ = schema.Default().ResourceType("User")
		groups, _ = schema.Default().ResourceType("Group")
		var docs []map[string]any
		for i := range n {
			docs = append(docs, benchUser(i))
		}
		var err error
		userIDs, err = bulkLoad(ctx, testStore, tenant, users, docs)
		Expect(err).NotTo(HaveOccurred())
		// The same users in other tenants, so that the tenant is not selective
		// alone.
		for t := range 3 {
			_, err = bulkLoad(ctx, testStore, fmt.Sprintf("%s-other%d", tenant, t), users, docs)
			Expect(err).NotTo(HaveOccurred())
		}
		var gdocs []map[string]any
		for i := range 300 {
			gdocs = append(gdocs, map[string]any{"displayName": fmt.Sprintf("group %d", i), "members": []any{
				map[string]any{"value": userIDs[i]}, map[string]any{"value": userIDs[i+1]},
			}})
		}
		_, err = bulkLoad(ctx, testStore, tenant, groups, gdocs)
		Expect(err).NotTo(HaveOccurred())
		_, err = testStore.pool.Exec(ctx, "VACUUM ANALYZE scim.resources, scim.members")
		Expect(err).NotTo(HaveOccurred())

		// explain plans the statement Query runs for the filter, with the
		// parameters bound (a custom plan, as the first executions of a
		// prepared statement get) or as a generic plan (what a prepared
		// statement may switch to after five executions).
		explain = func(rt *schema.ResourceType, f string, generic bool) (planNode, string) {
			GinkgoHelper()
			e, err := filter.Parse(f)
			Expect(err).NotTo(HaveOccurred())
			st, err := buildQuery(tenant, rt, store.Query{Filter: e, Count: -1})
			Expect(err).NotTo(HaveOccurred())
			Expect(st.exact).To(BeTrue())
			return explainSQL(st.pageSQL(), append(st.args, nil, 0), generic)
		}
		explainSQL = func(sql string, args []any, generic bool) (planNode, string) {
			GinkgoHelper()
			conn, err := testStore.pool.Acquire(ctx)
			Expect(err).NotTo(HaveOccurred())
			defer conn.Release()
			var raw []byte
			if generic {
				_, err = conn.Exec(ctx, "SET plan_cache_mode = force_generic_plan")
				Expect(err).NotTo(HaveOccurred())
				defer conn.Exec(ctx, "RESET plan_cache_mode")
				_, err = conn.Exec(ctx, "PREPARE q AS "+sql)
				Expect(err).NotTo(HaveOccurred())
				defer conn.Exec(ctx, "DEALLOCATE q")
				// EXECUTE takes no bind parameters: the test's own values are
				// written as literals.
				ps := make([]string, len(args))
				for i, a := range args {
					switch v := a.(type) {
					case string:
						ps[i] = quote(v)
					case []string:
						q := make([]string, len(v))
						for j := range v {
							q[j] = quote(v[j])
						}
						ps[i] = "ARRAY[" + strings.Join(q, ", ") + "]::text[]"
					case nil:
						ps[i] = "NULL"
					default:
						ps[i] = fmt.Sprint(v)
					}
				}
				err = conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) EXECUTE q("+strings.Join(ps, ", ")+")").Scan(&raw)
			} else {
				err = conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+sql, args...).Scan(&raw)
			}
			Expect(err).NotTo(HaveOccurred())
			var plans []struct {
				Plan planNode `json:"Plan"`
			}
			Expect(json.Unmarshal(raw, &plans)).To(Succeed())
			return plans[0].Plan, string(raw)
		}
	})

	DescribeTable("are what the planner picks for the lookups IdPs make",
		func(rtID, f, index string, alsoGeneric bool) {
			rt := users
			if rtID == "Group" {
				rt = groups
			}
			f = strings.ReplaceAll(f, "<id>", userIDs[7])
			modes := []bool{false}
			if alsoGeneric {
				modes = append(modes, true)
			}
			for _, generic := range modes {
				plan, raw := explain(rt, f, generic)
				scans := plan.scans()
				AddReportEntry(fmt.Sprintf("EXPLAIN %s (generic plan: %v)", f, generic), strings.Join(scans, "; "))
				Expect(scans).To(ContainElement(MatchRegexp(`^(Index Scan|Index Only Scan|Bitmap Index Scan) on `+index+`$`)),
					"filter %s, generic %v: %s", f, generic, raw)
			}
			// And the store answers it.
			e, _ := filter.Parse(f)
			p, err := testStore.Query(ctx, tenant, rt, store.Query{Filter: e, Count: -1})
			Expect(err).NotTo(HaveOccurred())
			Expect(p.Total).To(BeNumerically(">=", 1))
		},
		// Generic plans too where the choice does not hang on the value: a
		// prepared statement may switch to its generic plan after five
		// executions, and only does when that plan is no costlier than the
		// custom ones, which for the GIN lookups it is not.
		Entry("userName eq", "User", `userName eq "USER0001234@example.com"`, "resources_user_username_key", true),
		Entry("externalId eq", "User", `externalId eq "ext-0002345"`, "resources_externalid_idx", true),
		Entry("id eq", "User", `id eq "<id>"`, "resources_id_key", true),
		Entry("displayName eq (groups)", "Group", `displayName eq "GROUP 42"`, "resources_group_displayname_key", true),
		Entry("emails.value eq", "User", `emails.value eq "User0003456@Example.com"`, "resources_emails_idx", true),
		Entry("emails[type eq and value eq] (Entra)", "User", `emails[type eq "work"].value eq "user0003456@example.com"`, "resources_emails_idx", true),
		Entry("members.value eq (User.groups)", "Group", `members.value eq "<id>"`, "resources_members_idx", false),
	)

	// The reads of store.GroupsReader: one statement each (the page, its
	// total and every user's groups), every row found through an index — the
	// user's, then members_member_idx once per user for its groups and the
	// groups' rows by primary key — with no sequential scan and no GIN scan
	// (resources_members_idx) anywhere, in the custom and the generic plan
	// (the store forces generic plans: plan_cache_mode, Open).
	DescribeTable("are what the planner picks for the reads with groups",
		func(read string, indexes ...string) {
			var sql string
			var args []any
			switch read {
			case "get":
				sql, args = getWithGroupsSQL(users, groups), []any{tenant, userIDs[7]}
			case "ids":
				sql, args = groupsOfIDsSQL(groups), []any{tenant, []string{userIDs[7], userIDs[8]}}
			case "first lookup":
				f, _ := filter.Parse(`userName eq "USER0000007@example.com"`)
				st, err := buildQuery(tenant, users, store.Query{Filter: f, StartIndex: 1, Count: 100})
				Expect(err).NotTo(HaveOccurred())
				sql, args = st.oneWithGroupsSQL(groups), st.args
			default:
				q := store.Query{StartIndex: 1, Count: 100}
				if read == "lookup" {
					q.Filter, _ = filter.Parse(`userName eq "USER0000007@example.com"`)
				}
				st, err := buildQuery(tenant, users, q)
				Expect(err).NotTo(HaveOccurred())
				sql, args = st.pageWithGroupsSQL(groups), append(st.args, 100, 0)
			}
			for _, generic := range []bool{false, true} {
				plan, raw := explainSQL(sql, args, generic)
				scans := plan.scans()
				AddReportEntry(fmt.Sprintf("EXPLAIN %s with groups (generic plan: %v)", read, generic), strings.Join(scans, "; "))
				seq := plan.seqScans()
				if read == "page" {
					// The total of an unfiltered page counts every user of
					// the tenant (as Query's count does): the planner may
					// read the table for that when the tenant is a large
					// part of it. Nothing else may: no scan that looks
					// at documents (a filter on doc) is sequential.
					for _, f := range seq {
						Expect(f).NotTo(ContainSubstring("doc"), "%s, generic %v: %s", read, generic, raw)
					}
					seq = nil
				}
				Expect(seq).To(BeEmpty(), "%s, generic %v: %s", read, generic, raw)
				Expect(scans).NotTo(ContainElement(ContainSubstring("resources_members_idx")), "%s, generic %v: %s", read, generic, raw)
				for _, index := range indexes {
					Expect(scans).To(ContainElement(MatchRegexp(`^(Index Scan|Index Only Scan|Bitmap Index Scan) on `+index+`$`)),
						"%s, generic %v: %s", read, generic, raw)
				}
			}
			// And the statement answers with the groups: user 7 is in groups 6 and 7.
			var gs []store.Resource
			switch read {
			case "get":
				_, g, err := testStore.GetWithGroups(ctx, tenant, users, userIDs[7], groups)
				Expect(err).NotTo(HaveOccurred())
				gs = g
			case "ids":
				by, err := testStore.GroupsOf(ctx, tenant, []string{userIDs[7], userIDs[8]}, groups)
				Expect(err).NotTo(HaveOccurred())
				gs = by[userIDs[7]]
			default:
				q := store.Query{StartIndex: 1, Count: 100}
				if read != "page" {
					q.Filter, _ = filter.Parse(`userName eq "USER0000007@example.com"`)
				}
				p, by, err := testStore.QueryWithGroups(ctx, tenant, users, q, groups)
				Expect(err).NotTo(HaveOccurred())
				Expect(p.Resources).NotTo(BeEmpty())
				gs = by[userIDs[7]]
			}
			Expect(gs).To(HaveLen(2))
			Expect(gs[0].Doc["displayName"]).To(Equal("group 6"))
			Expect(gs[1].Doc["displayName"]).To(Equal("group 7"))
		},
		// QueryWithGroups answers a lookup's first page with the plain
		// SELECT, and any other page with the statement that counts too.
		Entry("first page of a lookup by userName eq", "first lookup", "resources_user_username_key", "members_member_idx", "resources_pkey"),
		Entry("lookup by userName eq", "lookup", "resources_user_username_key", "members_member_idx", "resources_pkey"),
		Entry("get by id", "get", "resources_id_key", "members_member_idx", "resources_pkey"),
		// What the server shows of users it has just written (groupsFor):
		// the members index only, where a Query of "members.value eq" may
		// walk every group of the tenant in its generic plan (above).
		Entry("groups of ids", "ids", "members_member_idx", "resources_pkey"),
		// The window in creation order: the tenant's order index, or the
		// primary key (seq) with the tenant as a filter when the tenant is a
		// large part of the table.
		Entry("list page of 100", "page", "resources_(order_idx|pkey)", "members_member_idx"),
	)
})

// TestAtMostOne: the filters whose first page QueryWithGroups answers
// without counting are those a unique index limits to one resource.
func TestAtMostOne(t *testing.T) {
	for _, c := range []struct {
		rt, f string
		want  bool
	}{
		{"User", `userName eq "a@example.com"`, true},
		{"User", `urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a"`, true},
		{"User", `userName eq "a" and active eq true`, true},
		{"User", `active eq true and userName eq "a"`, true},
		{"Group", `displayName eq "admins"`, true},
		{"User", `userName eq null`, false},
		{"User", `userName co "a"`, false},
		{"User", `userName eq "a" or userName eq "b"`, false},
		{"User", `not (userName eq "a")`, false},
		{"User", `externalId eq "e"`, false},
		{"User", `displayName eq "a"`, false},
		{"User", `emails.value eq "a@example.com"`, false},
		{"User", `emails[value eq "a@example.com"]`, false},
	} {
		e, err := filter.Parse(c.f)
		if err != nil {
			t.Fatal(err)
		}
		if got := atMostOne(e, mustType(c.rt)); got != c.want {
			t.Errorf("%s %s: atMostOne %v, want %v", c.rt, c.f, got, c.want)
		}
	}
}
