package postgres

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
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

// TestFilterSQLIsBounded: what the backend is sent for the largest filters
// the store accepts is bounded whatever the filter's length — the backend's
// memory grows with the statement it plans (issue 14: 2,000 or-terms, 778
// MB), so a bound on the text is a deterministic bound on it. An id chain
// of any length is one text[] parameter (idIn); a filter at MaxFilterTerms
// is a statement of tens of KB and a parameter per comparison; a longer one is refused before any SQL is
// built ("refuses a filter over the term limit before any SQL runs"). It
// needs no database: buildQuery is what Query sends.
func TestFilterSQLIsBounded(t *testing.T) {
	users, _ := schema.Default().ResourceType("User")
	join := func(n int, sep string, term func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = term(i)
		}
		return strings.Join(parts, sep)
	}
	ids := join(20000, " or ", func(int) string { return fmt.Sprintf("id eq %q", store.NewID()) })
	entra := join(store.MaxFilterTerms/4, " or ", func(i int) string {
		return fmt.Sprintf(`(userName eq "u%d@example.com" or emails[type eq "work" and value eq "u%d@example.com"])`, i, i)
	})
	for _, tc := range []struct {
		name            string
		filter          string
		maxSQL, maxArgs int
	}{
		{"20,000 id eq or-terms", ids, 400, 2},
		{"not (20,000 id eq or-terms)", "not (" + ids + ")", 400, 2},
		{"20,000 id eq or-terms and userName", "(" + ids + `) and userName eq "c"`, 600, 3},
		{"MaxFilterTerms comparisons, Entra's form", entra, 32 << 10, store.MaxFilterTerms + 1},
		{"MaxFilterTerms userName or-terms", join(store.MaxFilterTerms, " or ", func(i int) string { return fmt.Sprintf(`userName eq "u%d"`, i) }), 32 << 10, store.MaxFilterTerms + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := filter.Parse(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if err := store.CheckFilter(f); err != nil {
				t.Fatalf("the filter is refused: %v", err)
			}
			st, err := buildQuery("t", users, store.Query{Filter: f, Count: -1})
			if err != nil {
				t.Fatal(err)
			}
			sql := st.pageSQL()
			t.Logf("filter %d bytes: SQL %d bytes, %d parameters, exact %v", len(tc.filter), len(sql), len(st.args), st.exact)
			if len(sql) > tc.maxSQL || len(st.args) > tc.maxArgs {
				t.Errorf("SQL of %d bytes and %d parameters, want at most %d and %d:\n%.400s", len(sql), len(st.args), tc.maxSQL, tc.maxArgs, sql)
			}
			if !st.exact {
				t.Errorf("not translated exactly: the Go matcher would read the tenant's every user")
			}
		})
	}
}

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
