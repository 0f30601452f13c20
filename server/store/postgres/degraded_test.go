package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store/postgres/pgtest"
)

var _ = DescribeTable("SQLSTATEs as the client sees them",
	func(code string, status int) {
		err := mapError(context.Background(), &pgconn.PgError{Code: code, Message: "m"}, nil)
		Expect(schema.AsError(err).Status).To(Equal(status), "%s: %v", code, err)
		Expect(err.Error()).To(ContainSubstring(code), "the cause, for the log")
	},
	Entry("read_only_sql_transaction", "25006", 503),
	Entry("disk_full", "53100", 507),
	Entry("out_of_memory", "53200", 503),
	Entry("too_many_connections", "53300", 503),
	Entry("admin_shutdown", "57P01", 503),
	Entry("query_canceled (statement_timeout)", "57014", 503),
	Entry("connection_failure", "08006", 503),
	Entry("serialization_failure", "40001", 503),
	Entry("undefined_table (a bug: 500)", "42P01", 500),
)

// syncBuffer is a log the server and the spec share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

var _ = Describe("a database that is degraded", Ordered, func() {
	var (
		ctx    = context.Background()
		dbName string
		dbURL  string
		admin  *pgx.Conn
		h      http.Handler
		logs   *syncBuffer
		n      int
	)
	const token = "t0ken-degraded"

	// create posts a new user as an IdP would.
	create := func() *httptest.ResponseRecorder {
		GinkgoHelper()
		n++
		body := `{"schemas":["` + scim.UserURN + `"],"userName":"user` + strconv.Itoa(n) + `"}`
		req := httptest.NewRequest("POST", "/scim/v2/Users", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", scim.MediaType)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	expect503 := func(rec *httptest.ResponseRecorder) {
		GinkgoHelper()
		Expect(rec.Code).To(Equal(503), rec.Body.String())
		Expect(rec.Header().Get("Retry-After")).NotTo(BeEmpty())
		var body map[string]any
		b, _ := io.ReadAll(rec.Body)
		Expect(json.Unmarshal(b, &body)).To(Succeed(), "body %s", b)
		Expect(body["schemas"]).To(ConsistOf(scim.ErrorURN))
		Expect(body["status"]).To(Equal("503"))
	}

	BeforeAll(func() {
		var drop func(context.Context) error
		var err error
		dbURL, drop, err = pgtest.CreateDatabase(ctx, db.URL(), "scimdegraded_")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(drop(context.Background())).To(Succeed()) })
		dbName = dbNameOf(dbURL)
		s, err := Open(ctx, dbURL)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(s.Close)
		admin, err = pgx.Connect(ctx, db.URL())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { admin.Close(context.Background()) })
		tenants := server.NewTenants()
		Expect(tenants.Add(server.DefaultTenant, server.HashToken(token))).To(Succeed())
		logs = &syncBuffer{}
		h, err = server.New(server.Config{Store: s, Tenants: tenants, RequestTimeout: 500 * time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(io.MultiWriter(logs, GinkgoWriter), nil))})
		Expect(err).NotTo(HaveOccurred())
	})

	It("answers 503 with Retry-After while the database is read-only, logs why, and recovers when it is writable", func() {
		Expect(create().Code).To(Equal(201))
		// Sessions opened from now on are read-only, as on a standby; the
		// open ones are cut so the pool makes new ones.
		_, err := admin.Exec(ctx, `ALTER DATABASE `+dbName+` SET default_transaction_read_only = on`)
		Expect(err).NotTo(HaveOccurred())
		_, err = admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, dbName)
		Expect(err).NotTo(HaveOccurred())
		for range 3 {
			expect503(create())
		}
		Expect(logs.String()).To(ContainSubstring("25006"), "the cause is logged")
		Expect(logs.String()).NotTo(ContainSubstring(token))

		// Writable again; the pool's sessions were opened read-only.
		_, err = admin.Exec(ctx, `ALTER DATABASE `+dbName+` RESET default_transaction_read_only`)
		Expect(err).NotTo(HaveOccurred())
		Expect(create().Code).To(Equal(201), "the first write after the database is writable succeeds")
		Expect(create().Code).To(Equal(201))
	})

	It("answers 503 with Retry-After within the request deadline while the database does not answer", func() {
		// Every statement on the table waits for this lock: the database
		// answers nothing, as when it is frozen.
		locker, err := pgx.Connect(ctx, dbURL)
		Expect(err).NotTo(HaveOccurred())
		defer locker.Close(ctx)
		tx, err := locker.Begin(ctx)
		Expect(err).NotTo(HaveOccurred())
		_, err = tx.Exec(ctx, `LOCK TABLE scim.resources IN ACCESS EXCLUSIVE MODE`)
		Expect(err).NotTo(HaveOccurred())
		start := time.Now()
		rec := create()
		took := time.Since(start)
		Expect(tx.Rollback(ctx)).To(Succeed())
		expect503(rec)
		Expect(took).To(BeNumerically("<", 10*time.Second), "bounded by the 500ms deadline, with room for a loaded machine")
		Expect(logs.String()).To(ContainSubstring("deadline exceeded"))
		Eventually(func() int { return create().Code }).WithTimeout(10 * time.Second).Should(Equal(201))
	})
})
