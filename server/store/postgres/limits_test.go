package postgres

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

var _ = Describe("the bounds of one statement", func() {
	ctx := context.Background()

	It("sets jit=off and a statement_timeout on every session, unless the URL sets them", func() {
		for _, c := range []struct{ name, want string }{{"jit", "off"}, {"statement_timeout", StatementTimeout}} {
			var got string
			Expect(testStore.pool.QueryRow(ctx, "SHOW "+c.name).Scan(&got)).To(Succeed())
			Expect(got).To(Equal(c.want), c.name)
		}
		s, err := Open(ctx, withParams(db.URL(), "statement_timeout", "5000", "jit", "on"))
		Expect(err).NotTo(HaveOccurred())
		defer s.Close()
		var timeout, jit string
		Expect(s.pool.QueryRow(ctx, "SHOW statement_timeout").Scan(&timeout)).To(Succeed())
		Expect(s.pool.QueryRow(ctx, "SHOW jit").Scan(&jit)).To(Succeed())
		Expect([]string{timeout, jit}).To(Equal([]string{"5s", "on"}))
	})

	It("refuses a filter over the term limit before any SQL runs", func() {
		// A store whose pool is closed fails every statement: a 400
		// tooMany rather than a 503 shows no statement was tried.
		s, err := Open(ctx, db.URL())
		Expect(err).NotTo(HaveOccurred())
		s.Close()
		users, _ := schema.Default().ResourceType("User")
		terms := make([]string, 2000)
		for i := range terms {
			terms[i] = fmt.Sprintf(`userName eq "u%d"`, i)
		}
		f, err := filter.Parse(strings.Join(terms, " or "))
		Expect(err).NotTo(HaveOccurred())
		_, err = s.Query(ctx, "t", users, store.Query{Filter: f, Count: -1})
		expectSCIMStatus(err, 400, schema.TooMany)
		f, _ = filter.Parse(`userName eq "u1"`)
		_, err = s.Query(ctx, "t", users, store.Query{Filter: f, Count: -1})
		Expect(err).To(MatchError(schema.ErrUnavailable), "the closed pool does fail a query that reaches it")
	})

	// pgx (5.12) sends a cancel request when a context ends mid-statement;
	// with jit=off the backend honours it. This guards both.
	It("cancels the statement on the server when the context ends, instead of leaving it running", func() {
		cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		tag := "scim-cancel-" + randomSuffix()
		start := time.Now()
		_, err := testStore.pool.Exec(cctx, "SELECT pg_sleep(60) /* "+tag+" */")
		Expect(err).To(HaveOccurred())
		Expect(time.Since(start)).To(BeNumerically("<", 5*time.Second))
		Eventually(func() int {
			var n int
			Expect(testStore.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
WHERE state = 'active' AND query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid() AND query NOT LIKE '%pg_stat_activity%'`, tag).Scan(&n)).To(Succeed())
			return n
		}).WithTimeout(5*time.Second).WithPolling(50*time.Millisecond).Should(BeZero(), "the backend stopped the statement")
	})
})

func expectSCIMStatus(err error, status int, scimType string) {
	GinkgoHelper()
	se := schema.AsError(err)
	Expect(se.Status).To(Equal(status), "%v", err)
	Expect(se.ScimType).To(Equal(scimType), "%v", err)
}

// withParams adds run-time parameters to a postgres:// URL or a key=value
// connection string.
func withParams(connStr string, kv ...string) string {
	u, err := url.Parse(connStr)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		for i := 0; i < len(kv); i += 2 {
			connStr += " " + kv[i] + "=" + kv[i+1]
		}
		return connStr
	}
	q := u.Query()
	for i := 0; i < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}
