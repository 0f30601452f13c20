package postgres

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store/postgres/pgtest"
)

var _ = Describe("statistics of a database filled from empty (freshStats)", Ordered, func() {
	ctx := context.Background()
	var (
		s     *Store
		admin *pgx.Conn
	)

	BeforeAll(func() {
		dbURL, drop, err := pgtest.CreateDatabase(ctx, db.URL(), "scimstats_")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(drop(context.Background())).To(Succeed()) })
		s, err = Open(ctx, dbURL)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(s.Close)
		admin, err = pgx.Connect(ctx, dbURL)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { admin.Close(context.Background()) })
	})

	// getPlan is the index of the generic plan of Get's statement, planned
	// now from the statistics the database has.
	getPlan := func() string {
		GinkgoHelper()
		_, err := admin.Exec(ctx, "SET plan_cache_mode = force_generic_plan")
		Expect(err).NotTo(HaveOccurred())
		_, err = admin.Exec(ctx, "PREPARE g(text, text, text) AS SELECT version, doc FROM scim.resources WHERE tenant = $1 AND rtype = $2 AND id = $3")
		Expect(err).NotTo(HaveOccurred())
		defer admin.Exec(ctx, "DEALLOCATE g")
		var raw []byte
		Expect(admin.QueryRow(ctx, "EXPLAIN (FORMAT JSON) EXECUTE g('t', 'User', 'x')").Scan(&raw)).To(Succeed())
		var plans []struct {
			Plan planNode `json:"Plan"`
		}
		Expect(json.Unmarshal(raw, &plans)).To(Succeed())
		return strings.Join(plans[0].Plan.scans(), "; ")
	}

	It("are renewed by the store as it creates, so that reads by id plan with resources_id_key", func() {
		users, _ := schema.Default().ResourceType("User")
		AddReportEntry("generic plan of Get on the empty table", getPlan())
		for i := range minAnalyze + 100 {
			_, err := s.Create(ctx, "stats", users, benchUser(i))
			Expect(err).NotTo(HaveOccurred())
		}
		// Autovacuum would analyse the table within its naptime (a minute);
		// the store's own ANALYZE runs at once.
		Eventually(func() float64 {
			var rows float64
			Expect(admin.QueryRow(ctx, `SELECT reltuples FROM pg_class WHERE oid = 'scim.resources'::regclass`).Scan(&rows)).To(Succeed())
			return rows
		}, 10*time.Second, 50*time.Millisecond).Should(BeNumerically(">=", minAnalyze))
		Expect(getPlan()).To(Equal("Index Scan on resources_id_key"))
	})
})
