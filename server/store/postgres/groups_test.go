package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// statementCounter is a pgx tracer that counts the statements sent and
// keeps their SQL.
type statementCounter struct {
	n   atomic.Int64
	mu  sync.Mutex
	sql []string
}

func (c *statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	c.mu.Lock()
	c.sql = append(c.sql, d.SQL)
	c.mu.Unlock()
	return ctx
}

// reset zeroes the count and forgets the SQL.
func (c *statementCounter) reset() {
	c.n.Store(0)
	c.mu.Lock()
	c.sql = nil
	c.mu.Unlock()
}

// statements is the SQL sent since the last reset.
func (c *statementCounter) statements() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.sql...)
}

func (c *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func mustType(id string) *schema.ResourceType {
	rt, ok := schema.Default().ResourceType(id)
	if !ok {
		panic("no resource type " + id)
	}
	return rt
}

// twoStepGroups is what the server derives without the capability
// (groupsFor): one Query of the groups with "members.value eq" the id, the
// exact comparison after it, each group once, in the store's order.
func twoStepGroups(ctx context.Context, tenant string, gt *schema.ResourceType, id string) []store.Resource {
	GinkgoHelper()
	f := filter.Compare{Path: filter.AttrPath{Name: "members", Sub: "value"}, Op: filter.Eq, Value: id}
	p, err := testStore.Query(ctx, tenant, gt, store.Query{Filter: f, Count: -1})
	Expect(err).NotTo(HaveOccurred())
	var out []store.Resource
	for _, g := range p.Resources {
		members, _ := g.Doc["members"].([]any)
		for _, m := range members {
			if mm, _ := m.(map[string]any); mm["value"] == id {
				doc := map[string]any{}
				if dn, ok := g.Doc["displayName"].(string); ok {
					doc["displayName"] = dn
				}
				out = append(out, store.Resource{ID: g.ID, Doc: doc})
				break
			}
		}
	}
	return out
}

var _ = Describe("reads with groups (store.GroupsReader)", Ordered, func() {
	var (
		ctx           = context.Background()
		tenant        = "groups-" + randomSuffix()
		users, groups *schema.ResourceType
		ids           []string
	)

	BeforeAll(func() {
		users, _ = schema.Default().ResourceType("User")
		groups, _ = schema.Default().ResourceType("Group")
		for i := range 5 {
			u, err := testStore.Create(ctx, tenant, users, benchUser(i))
			Expect(err).NotTo(HaveOccurred())
			ids = append(ids, u.ID)
		}
		member := func(id string) any { return map[string]any{"value": id, "type": "User"} }
		for i, ms := range [][]any{
			{member(ids[0]), member(ids[1])},
			{member(ids[0]), member(ids[0])}, // listed twice: one entry
			{member(ids[2])},
			{member(ids[0])},
		} {
			_, err := testStore.Create(ctx, tenant, groups, map[string]any{"displayName": fmt.Sprintf("g%d", i), "members": ms})
			Expect(err).NotTo(HaveOccurred())
		}
		// The same users' ids in another tenant's group: never theirs.
		_, err := testStore.Create(ctx, tenant+"-other", groups, map[string]any{"displayName": "elsewhere"})
		Expect(err).NotTo(HaveOccurred())
	})

	It("answers Get with the groups the two-step path derives", func() {
		for _, id := range ids {
			res, gs, err := testStore.GetWithGroups(ctx, tenant, users, id, groups)
			Expect(err).NotTo(HaveOccurred())
			plain, err := testStore.Get(ctx, tenant, users, id)
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(Equal(plain))
			Expect(gs).To(Equal(twoStepGroups(ctx, tenant, groups, id)), "user %s", id)
		}
		_, _, err := testStore.GetWithGroups(ctx, tenant, users, "no-such-id", groups)
		Expect(err).To(MatchError(schema.NotFound("User", "no-such-id")))
	})

	DescribeTable("answers Query with the page and total of Query and the groups of the two-step path",
		func(f string, startIndex, count int) {
			q := pageQuery(f, startIndex, count)
			page, by, err := testStore.QueryWithGroups(ctx, tenant, users, q, groups)
			Expect(err).NotTo(HaveOccurred())
			plain, err := testStore.Query(ctx, tenant, users, q)
			Expect(err).NotTo(HaveOccurred())
			Expect(page).To(Equal(plain))
			for _, r := range page.Resources {
				Expect(by[r.ID]).To(Equal(twoStepGroups(ctx, tenant, groups, r.ID)), "user %s", r.ID)
			}
			Expect(len(by)).To(BeNumerically("<=", len(page.Resources)))
		},
		Entry("lookup by userName", `userName eq "USER0000000@example.com"`, 1, 100),
		Entry("lookup with no match", `userName eq "nobody@example.com"`, 1, 100),
		Entry("every user", "", 1, -1),
		Entry("a full first page (the total counted)", "", 1, 2),
		Entry("a middle page", "", 2, 2),
		Entry("past the last match", "", 9, 2),
		Entry("count 0", "", 1, 0),
		Entry("a filter SQL only narrows (matched in Go)", `name.familyName co "ily1"`, 1, 10),
	)

	DescribeTable("with LazyDoc, answers Query as without it, each document read by Load",
		func(f string, startIndex, count int) {
			q := pageQuery(f, startIndex, count)
			eager, eagerBy, err := testStore.QueryWithGroups(ctx, tenant, users, q, groups)
			Expect(err).NotTo(HaveOccurred())
			q.LazyDoc = true
			lazy, lazyBy, err := testStore.QueryWithGroups(ctx, tenant, users, q, groups)
			Expect(err).NotTo(HaveOccurred())
			Expect(lazyBy).To(Equal(eagerBy))
			Expect(lazy.Total).To(Equal(eager.Total))
			Expect(lazy.Resources).To(HaveLen(len(eager.Resources)))
			for i, r := range lazy.Resources {
				if len(eager.Resources[i].Doc) > 0 && r.Doc == nil {
					Expect(r.Load).NotTo(BeNil())
				}
				loaded, err := r.Loaded()
				Expect(err).NotTo(HaveOccurred())
				Expect(loaded.Load).To(BeNil())
				Expect(loaded).To(Equal(eager.Resources[i]))
			}
		},
		Entry("lookup by userName (the first page alone)", `userName eq "USER0000000@example.com"`, 1, 100),
		Entry("every user", "", 1, -1),
		Entry("a middle page (the total counted)", "", 2, 2),
		Entry("a filter SQL only narrows (matched in Go)", `name.familyName co "ily1"`, 1, 10),
	)

	It("answers GroupsOf with the groups of the two-step path", func() {
		ask := append(append([]string{}, ids...), ids[0], "no-such-id")
		by, err := testStore.GroupsOf(ctx, tenant, ask, groups)
		Expect(err).NotTo(HaveOccurred())
		for _, id := range ids {
			Expect(by[id]).To(Equal(twoStepGroups(ctx, tenant, groups, id)), "user %s", id)
		}
		Expect(by).NotTo(HaveKey("no-such-id"))
		Expect(by).To(HaveLen(3)) // ids 0, 1 and 2 are in groups
		none, err := testStore.GroupsOf(ctx, tenant, nil, groups)
		Expect(err).NotTo(HaveOccurred())
		Expect(none).To(BeEmpty())
	})

	It("refuses a bad filter as Query does", func() {
		e, err := filter.Parse(`nosuch eq "x"`)
		Expect(err).NotTo(HaveOccurred())
		_, _, err = testStore.QueryWithGroups(ctx, tenant, users, store.Query{Filter: e, Count: 1}, groups)
		_, want := testStore.Query(ctx, tenant, users, store.Query{Filter: e, Count: 1})
		Expect(want).To(HaveOccurred())
		Expect(err).To(Equal(want))
	})
})

var _ = Describe("the server on PostgreSQL", Ordered, func() {
	const token = "round-trip-token"
	var (
		counter statementCounter
		base    string
		userID  string
	)
	do := func(method, path string, body any) (int, map[string]any) {
		GinkgoHelper()
		var rd io.Reader
		if body != nil {
			b, err := json.Marshal(body)
			Expect(err).NotTo(HaveOccurred())
			rd = bytes.NewReader(b)
		}
		req, err := http.NewRequest(method, base+path, rd)
		Expect(err).NotTo(HaveOccurred())
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		var out map[string]any
		Expect(json.NewDecoder(resp.Body).Decode(&out)).To(Succeed())
		return resp.StatusCode, out
	}

	BeforeAll(func() {
		st, err := Open(context.Background(), db.URL(), WithTracer(&counter))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(st.Close)
		tenant := "rt" + randomSuffix()
		tenants := server.NewTenants()
		Expect(tenants.Add(tenant, server.HashToken(token))).To(Succeed())
		srv, err := server.New(server.Config{Store: st, Tenants: tenants, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		Expect(err).NotTo(HaveOccurred())
		ts := httptest.NewServer(srv)
		DeferCleanup(ts.Close)
		base = ts.URL + "/t/" + tenant + "/scim/v2"
		for i := range 3 {
			code, u := do("POST", "/Users", map[string]any{
				"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
				"userName": fmt.Sprintf("rt%d@example.com", i),
			})
			Expect(code).To(Equal(http.StatusCreated))
			if i == 0 {
				userID = u["id"].(string)
			}
		}
		code, _ := do("POST", "/Groups", map[string]any{
			"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
			"displayName": "rt group",
			"members":     []any{map[string]any{"value": userID}},
		})
		Expect(code).To(Equal(http.StatusCreated))
	})

	// groupsOfUser is the User.groups values of an answer.
	groupsOfUser := func(u map[string]any) []string {
		var out []string
		gs, _ := u["groups"].([]any)
		for _, g := range gs {
			out = append(out, g.(map[string]any)["display"].(string))
		}
		return out
	}

	DescribeTable("answers a read of users, groups derived, in one statement",
		func(path string, check func(map[string]any)) {
			path = strings.ReplaceAll(path, "<id>", userID) // created in BeforeAll
			do("GET", path, nil)                            // the first use of a statement on a connection prepares it
			counter.n.Store(0)
			code, body := do("GET", path, nil)
			Expect(code).To(Equal(http.StatusOK))
			Expect(counter.n.Load()).To(Equal(int64(1)), "statements sent for GET %s", path)
			check(body)
		},
		Entry("a lookup by userName eq", "/Users?filter="+url.QueryEscape(`userName eq "RT0@example.com"`), func(b map[string]any) {
			Expect(b["totalResults"]).To(BeEquivalentTo(1))
			Expect(groupsOfUser(b["Resources"].([]any)[0].(map[string]any))).To(Equal([]string{"rt group"}))
		}),
		Entry("a get by id", "/Users/<id>", func(b map[string]any) {
			Expect(groupsOfUser(b)).To(Equal([]string{"rt group"}))
		}),
		Entry("a full list page (the total counted)", "/Users?startIndex=1&count=2", func(b map[string]any) {
			Expect(b["totalResults"]).To(BeEquivalentTo(3))
			Expect(b["Resources"]).To(HaveLen(2))
			Expect(groupsOfUser(b["Resources"].([]any)[0].(map[string]any))).To(Equal([]string{"rt group"}))
		}),
		Entry("a later list page", "/Users?startIndex=2&count=2", func(b map[string]any) {
			Expect(b["totalResults"]).To(BeEquivalentTo(3))
			Expect(b["Resources"]).To(HaveLen(2))
		}),
	)

	// The answer to a write shows the user's groups (groupsFor): read with
	// GroupsOf's statement, never with a Query of the groups, whose generic
	// plan may compute the member keys of every group of the tenant.
	DescribeTable("answers a write of a user with its groups read through the members index",
		func(method, path string, body any, wantGroups []string) {
			path = strings.ReplaceAll(path, "<id>", userID)
			counter.reset()
			code, u := do(method, path, body)
			Expect(code).To(BeNumerically("<", 300))
			Expect(groupsOfUser(u)).To(Equal(wantGroups))
			var groupReads []string
			for _, sql := range counter.statements() {
				if strings.Contains(sql, "scim.resources g") || strings.Contains(sql, "'Group'") {
					groupReads = append(groupReads, sql)
				}
			}
			Expect(groupReads).To(Equal([]string{groupsOfIDsSQL(mustType("Group"))}))
		},
		Entry("a create", "POST", "/Users", map[string]any{
			"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": "rt-new@example.com",
		}, nil),
		Entry("a PATCH", "PATCH", "/Users/<id>", map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "replace", "path": "title", "value": "Engineer"}},
		}, []string{"rt group"}),
	)
})

// pageQuery is the Query of filter f (none when empty) and a window.
func pageQuery(f string, startIndex, count int) store.Query {
	q := store.Query{StartIndex: startIndex, Count: count}
	if f != "" {
		e, err := filter.Parse(f)
		Expect(err).NotTo(HaveOccurred())
		q.Filter = e
	}
	return q
}
