package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/server/store/postgres/pgtest"
)

var _ = Describe("a database that goes away", Ordered, func() {
	var (
		ctx    = context.Background()
		dbURL  string
		dbName string
		s      *Store
		users  *schema.ResourceType
		admin  *pgx.Conn
		h      http.Handler
	)

	// get asks the SCIM server for the users, as an IdP would.
	get := func() (int, map[string]any) {
		GinkgoHelper()
		req := httptest.NewRequest("GET", "/scim/v2/Users?filter="+strings.ReplaceAll(`userName eq "alice"`, " ", "%20"), nil)
		req.Header.Set("Authorization", "Bearer t0ken")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var body map[string]any
		b, _ := io.ReadAll(rec.Body)
		Expect(json.Unmarshal(b, &body)).To(Succeed(), "body %s", b)
		return rec.Code, body
	}
	// backends terminates the store's connections.
	backends := func() int {
		GinkgoHelper()
		var n int
		Expect(admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = $1 AND application_name = 'scimharness'`, dbName).Scan(&n)).To(Succeed())
		return n
	}

	BeforeAll(func() {
		// A database of its own: cutting it off must not disturb other specs.
		var drop func(context.Context) error
		var err error
		dbURL, drop, err = pgtest.CreateDatabase(ctx, db.URL(), "scimoutage_")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(drop(context.Background())).To(Succeed()) })
		dbName = dbNameOf(dbURL)
		s, err = Open(ctx, dbURL)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(s.Close)
		admin, err = pgx.Connect(ctx, db.URL())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() {
			_, _ = admin.Exec(context.Background(), `ALTER DATABASE `+dbName+` ALLOW_CONNECTIONS true`)
			admin.Close(context.Background())
		})
		users, _ = schema.Default().ResourceType("User")
		tenants := server.NewTenants()
		Expect(tenants.Add(server.DefaultTenant, server.HashToken("t0ken"))).To(Succeed())
		h, err = server.New(server.Config{Store: s, Tenants: tenants, Logger: slog.New(slog.NewTextHandler(GinkgoWriter, nil))})
		Expect(err).NotTo(HaveOccurred())
		doc, err := users.Normalize(map[string]any{"userName": "alice"})
		Expect(err).NotTo(HaveOccurred())
		_, err = s.Create(ctx, server.DefaultTenant, users, doc)
		Expect(err).NotTo(HaveOccurred())
	})

	It("answers 503 with a SCIM error while the database refuses connections, and recovers by itself", func() {
		code, body := get()
		Expect(code).To(Equal(200))
		Expect(body["totalResults"]).To(BeNumerically("==", 1))

		// The outage: no new connections, and the open ones cut.
		_, err := admin.Exec(ctx, `ALTER DATABASE `+dbName+` ALLOW_CONNECTIONS false`)
		Expect(err).NotTo(HaveOccurred())
		Expect(backends()).To(BeNumerically(">=", 1))

		for range 3 {
			code, body = get()
			Expect(code).To(Equal(503), "body %v", body)
			Expect(body["schemas"]).To(ConsistOf(scim.ErrorURN))
			Expect(body["status"]).To(Equal("503"))
		}
		doc, _ := users.Normalize(map[string]any{"userName": "bob"})
		_, err = s.Create(ctx, server.DefaultTenant, users, doc)
		Expect(errors.Is(err, schema.ErrUnavailable)).To(BeTrue(), "create: %v", err)
		_, err = s.Get(ctx, server.DefaultTenant, users, "x")
		Expect(errors.Is(err, schema.ErrUnavailable)).To(BeTrue(), "get: %v", err)
		_, err = s.Update(ctx, server.DefaultTenant, users, "x", func(store.Resource) (map[string]any, error) { return nil, nil })
		Expect(errors.Is(err, schema.ErrUnavailable)).To(BeTrue(), "update: %v", err)
		err = s.Delete(ctx, server.DefaultTenant, users, "x", nil)
		Expect(errors.Is(err, schema.ErrUnavailable)).To(BeTrue(), "delete: %v", err)
		AddReportEntry("error during the outage", err.Error())

		// The database is back: the next requests succeed, with no restart.
		_, err = admin.Exec(ctx, `ALTER DATABASE `+dbName+` ALLOW_CONNECTIONS true`)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() int { c, _ := get(); return c }).WithTimeout(10 * time.Second).WithPolling(50 * time.Millisecond).Should(Equal(200))
		_, err = s.Create(ctx, server.DefaultTenant, users, doc)
		Expect(err).NotTo(HaveOccurred())
	})

	It("replaces connections the server terminated instead of reusing them", func() {
		// Fill the pool with connections, then cut every one of them.
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				defer GinkgoRecover()
				_, err := s.Query(ctx, server.DefaultTenant, users, store.Query{Count: -1})
				Expect(err).NotTo(HaveOccurred())
			})
		}
		wg.Wait()
		Expect(backends()).To(BeNumerically(">=", 1))
		failures := 0
		for i := range 30 {
			doc, _ := users.Normalize(map[string]any{"userName": fmt.Sprintf("after-%d", i)})
			_, err := s.Create(ctx, server.DefaultTenant, users, doc)
			if err != nil {
				Expect(errors.Is(err, schema.ErrUnavailable)).To(BeTrue(), "a dead connection is a 503: %v", err)
				failures++
			}
			_, err = s.Get(ctx, server.DefaultTenant, users, "x")
			var se *schema.Error
			Expect(errors.As(err, &se) && se.Status == 404).To(BeTrue(), "reads are retried on a fresh connection: %v", err)
		}
		AddReportEntry("writes failed after pg_terminate_backend", failures)
		Expect(failures).To(BeNumerically("<=", 1), "the first dead connection found empties the pool")
		_, err := s.Query(ctx, server.DefaultTenant, users, store.Query{Count: -1})
		Expect(err).NotTo(HaveOccurred())
	})
})

func dbNameOf(connStr string) string {
	cfg, err := pgx.ParseConfig(connStr)
	Expect(err).NotTo(HaveOccurred())
	return cfg.Database
}

var _ = Describe("store errors", func() {
	var (
		ctx    = context.Background()
		users  *schema.ResourceType
		tenant string
	)
	BeforeEach(func() {
		users, _ = schema.Default().ResourceType("User")
		tenant = "errors-" + randomSuffix()
	})

	It("fails a write whose context ends mid-way with a wrapped ErrUnavailable, writing nothing", func() {
		doc, _ := users.Normalize(map[string]any{"userName": "alice"})
		r, err := testStore.Create(ctx, tenant, users, doc)
		Expect(err).NotTo(HaveOccurred())
		cctx, cancel := context.WithCancel(ctx)
		_, err = testStore.Update(cctx, tenant, users, r.ID, func(cur store.Resource) (map[string]any, error) {
			cancel() // the context ends while the transaction is open
			cur.Doc["title"] = "changed"
			return cur.Doc, nil
		})
		Expect(errors.Is(err, schema.ErrUnavailable)).To(BeTrue(), "%v", err)
		Expect(errors.Is(err, context.Canceled)).To(BeTrue(), "%v", err)
		got, err := testStore.Get(ctx, tenant, users, r.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(Equal(r))
	})

	It("refuses a value PostgreSQL cannot hold (NUL) with 400 invalidValue", func() {
		doc, _ := users.Normalize(map[string]any{"userName": "nul", "title": "a\x00b"})
		_, err := testStore.Create(ctx, tenant, users, doc)
		var se *schema.Error
		Expect(errors.As(err, &se)).To(BeTrue(), "%v", err)
		Expect(se.Status).To(Equal(400))
		Expect(se.ScimType).To(Equal(schema.InvalidValue))
	})

	It("keeps unique the attributes a custom schema declares unique, without an index", func() {
		_, gadget := testTypes()
		mk := func(serial, label string) error {
			doc, err := gadget.Normalize(map[string]any{"serial": serial, "label": label})
			Expect(err).NotTo(HaveOccurred())
			_, err = testStore.Create(ctx, tenant, gadget, doc)
			return err
		}
		Expect(mk("SN-1", "Label")).To(Succeed())
		expectUniqueness(mk("sn-1", "other"), "serial is not caseExact")
		expectUniqueness(mk("SN-2", "Label"), "label is caseExact")
		Expect(mk("SN-2", "label")).To(Succeed())

		// Concurrent creates of one serial: exactly one wins.
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for i := range 20 {
			wg.Go(func() {
				defer GinkgoRecover()
				serial := "race"
				if i%2 == 1 {
					serial = "RACE"
				}
				err := mk(serial, fmt.Sprint(i))
				if err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
					return
				}
				expectUniqueness(err, "race")
			})
		}
		wg.Wait()
		Expect(ok).To(Equal(1))
	})

	It("makes Delete wait for a write that is adding members, so it removes that membership too", func() {
		groups, _ := schema.Default().ResourceType("Group")
		udoc, _ := users.Normalize(map[string]any{"userName": "leaving"})
		u, err := testStore.Create(ctx, tenant, users, udoc)
		Expect(err).NotTo(HaveOccurred())
		gdoc, _ := groups.Normalize(map[string]any{"displayName": "joining"})
		grp, err := testStore.Create(ctx, tenant, groups, gdoc)
		Expect(err).NotTo(HaveOccurred())

		inFn, release := make(chan struct{}), make(chan struct{})
		updated := make(chan error, 1)
		go func() {
			_, err := testStore.Update(ctx, tenant, groups, grp.ID, func(cur store.Resource) (map[string]any, error) {
				close(inFn)
				<-release
				cur.Doc["members"] = []any{map[string]any{"value": u.ID}}
				return cur.Doc, nil
			})
			updated <- err
		}()
		<-inFn // the Update holds its transaction open, the user not yet added
		deleted := make(chan error, 1)
		go func() { deleted <- testStore.Delete(ctx, tenant, users, u.ID, nil) }()
		Consistently(deleted, "300ms").ShouldNot(Receive(), "Delete waits for the write in flight")
		close(release)
		Expect(<-updated).To(Succeed())
		Expect(<-deleted).To(Succeed())
		got, err := testStore.Get(ctx, tenant, groups, grp.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Doc).NotTo(HaveKey("members"), "the membership added just before the delete is gone")
		Expect(got.Version).To(Equal(int64(3)))
	})
})

func expectUniqueness(err error, what string) {
	GinkgoHelper()
	var se *schema.Error
	Expect(errors.As(err, &se)).To(BeTrue(), "%s: %v", what, err)
	Expect(se.Status).To(Equal(409), what)
	Expect(se.ScimType).To(Equal(schema.Uniqueness), what)
}
