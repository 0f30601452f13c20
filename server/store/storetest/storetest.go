// Package storetest is the contract of store.Store as shared Ginkgo specs:
// every store (memory now, Postgres later) runs the same specs, so they
// behave the same behind the server.
//
// A store's test suite calls Describe once at package level:
//
//	func TestMemory(t *testing.T) {
//		RegisterFailHandler(Fail)
//		RunSpecs(t, "memory store")
//	}
//
//	var _ = storetest.Describe("memory", func() store.Store { return memory.New() })
//
// The specs use only the store.Store interface. Each spec works in fresh
// random tenants, so newStore may hand out one shared store (a database)
// as well as a new one per spec.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"maps"
	"regexp"
	"time"

	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// Describe registers the store contract specs under "<name> store" and
// returns true, so that it can be called as `var _ = storetest.Describe(...)`.
// newStore is called before every spec.
//
// Ginkgo is imported as g, not dot-imported, because this Describe would
// clash with ginkgo's.
func Describe(name string, newStore func() store.Store) bool {
	return g.Describe(name+" store", g.Label("store-contract"), func() {
		e := &env{}
		g.BeforeEach(func() {
			*e = env{
				s:      newStore(),
				ctx:    context.Background(),
				tenant: randomTenant(),
				users:  resourceType("User"),
				groups: resourceType("Group"),
			}
		})
		createSpecs(e)
		updateSpecs(e)
		deleteSpecs(e)
		memberSpecs(e)
		copySpecs(e)
		uniquenessSpecs(e)
		tenantSpecs(e)
		concurrencySpecs(e)
		querySpecs(e)
		pagingSpecs(e)
		sortSpecs(e)
		limitSpecs(e)
		textSpecs(e)
	})
}

// env is the state of one spec, reset before each.
type env struct {
	s             store.Store
	ctx           context.Context
	tenant        string
	users, groups *schema.ResourceType
}

// timeRE is the fixed-width UTC form of meta.created and meta.lastModified,
// whose string order is time order.
var timeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)

func resourceType(id string) *schema.ResourceType {
	rt, ok := schema.Default().ResourceType(id)
	if !ok {
		panic("storetest: no resource type " + id)
	}
	return rt
}

// randomTenant gives every spec its own tenant, so specs never see each
// other's data even in a shared store.
func randomTenant() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "tenant-" + hex.EncodeToString(b[:])
}

// userDoc builds a canonical User document through rt.Normalize, as the
// server would.
func (e *env) userDoc(userName string, attrs map[string]any) map[string]any {
	g.GinkgoHelper()
	return e.normalize(e.users, "userName", userName, attrs)
}

func (e *env) groupDoc(displayName string, memberIDs ...string) map[string]any {
	g.GinkgoHelper()
	var attrs map[string]any
	if len(memberIDs) > 0 {
		attrs = map[string]any{"members": members(memberIDs...)}
	}
	return e.normalize(e.groups, "displayName", displayName, attrs)
}

func (e *env) normalize(rt *schema.ResourceType, key, name string, attrs map[string]any) map[string]any {
	g.GinkgoHelper()
	in := maps.Clone(attrs)
	if in == nil {
		in = map[string]any{}
	}
	in[key] = name
	doc, err := rt.Normalize(in)
	Expect(err).NotTo(HaveOccurred())
	return doc
}

func members(ids ...string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = map[string]any{"value": id}
	}
	return out
}

func (e *env) createUser(userName string, attrs map[string]any) store.Resource {
	g.GinkgoHelper()
	return e.createIn(e.tenant, e.users, e.userDoc(userName, attrs))
}

func (e *env) createGroup(displayName string, memberIDs ...string) store.Resource {
	g.GinkgoHelper()
	return e.createIn(e.tenant, e.groups, e.groupDoc(displayName, memberIDs...))
}

func (e *env) createIn(tenant string, rt *schema.ResourceType, doc map[string]any) store.Resource {
	g.GinkgoHelper()
	r, err := e.s.Create(e.ctx, tenant, rt, doc)
	Expect(err).NotTo(HaveOccurred())
	return r
}

func (e *env) get(rt *schema.ResourceType, id string) store.Resource {
	g.GinkgoHelper()
	r, err := e.s.Get(e.ctx, e.tenant, rt, id)
	Expect(err).NotTo(HaveOccurred())
	return r
}

// set returns an Update function that sets the given attributes on the
// current document.
func set(attrs map[string]any) func(store.Resource) (map[string]any, error) {
	return func(cur store.Resource) (map[string]any, error) {
		maps.Copy(cur.Doc, attrs)
		return cur.Doc, nil
	}
}

func (e *env) update(rt *schema.ResourceType, id string, attrs map[string]any) store.Resource {
	g.GinkgoHelper()
	r, err := e.s.Update(e.ctx, e.tenant, rt, id, set(attrs))
	Expect(err).NotTo(HaveOccurred())
	return r
}

// query runs a query with filter text f ("" for none) and no paging limit
// unless q sets one.
func (e *env) query(rt *schema.ResourceType, f string, q store.Query) store.Page {
	g.GinkgoHelper()
	p, err := e.tryQuery(rt, f, q)
	Expect(err).NotTo(HaveOccurred())
	return p
}

func (e *env) tryQuery(rt *schema.ResourceType, f string, q store.Query) (store.Page, error) {
	g.GinkgoHelper()
	if f != "" {
		expr, err := filter.Parse(f)
		Expect(err).NotTo(HaveOccurred(), "filter %q", f)
		q.Filter = expr
	}
	return e.s.Query(e.ctx, e.tenant, rt, q)
}

// all is a Query without a window.
var all = store.Query{Count: -1}

// attr returns the string value of a top-level attribute of each resource.
func attr(p store.Page, name string) []string {
	out := make([]string, len(p.Resources))
	for i, r := range p.Resources {
		out[i], _ = r.Doc[name].(string)
	}
	return out
}

func names(p store.Page) []string { return attr(p, "userName") }

func ids(rs ...store.Resource) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func pageIDs(p store.Page) []string { return ids(p.Resources...) }

func meta(r store.Resource) map[string]any {
	g.GinkgoHelper()
	m, ok := r.Doc["meta"].(map[string]any)
	Expect(ok).To(BeTrue(), "meta is an object: %#v", r.Doc["meta"])
	return m
}

// memberValues lists the values of a group's members.
func memberValues(r store.Resource) []string {
	list, _ := r.Doc["members"].([]any)
	out := make([]string, 0, len(list))
	for _, m := range list {
		if mm, ok := m.(map[string]any); ok {
			v, _ := mm["value"].(string)
			out = append(out, v)
		}
	}
	return out
}

// expectSCIMError asserts that err is a *schema.Error with the status and
// scimType given.
func expectSCIMError(err error, status int, scimType string) {
	g.GinkgoHelper()
	var se *schema.Error
	Expect(errors.As(err, &se)).To(BeTrue(), "want a *schema.Error, got %v", err)
	Expect(se.Status).To(Equal(status), "error %v", err)
	Expect(se.ScimType).To(Equal(scimType), "error %v", err)
}

func expectNotFound(err error) {
	g.GinkgoHelper()
	expectSCIMError(err, 404, "")
}

// tick waits long enough for a millisecond timestamp to move.
func tick() { time.Sleep(3 * time.Millisecond) }
