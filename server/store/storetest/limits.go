package storetest

import (
	"fmt"
	"strings"
	"time"

	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// orFilter joins n terms made by term with "or", as a hostile or buggy
// client would send them.
func orFilter(n int, term func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = term(i)
	}
	return strings.Join(parts, " or ")
}

// entraTerm is a lookup the way Entra ID writes it, one email per term.
func entraTerm(i int) string {
	return fmt.Sprintf(`(userName eq "u%d@example.com" or emails[type eq "work" and value eq "u%d@example.com"])`, i, i)
}

// bounded is the time within which every query below must answer: far
// above what they take (milliseconds), far below a runaway (the 2,000-term
// filter of issue 14 ran over 65 s on PostgreSQL).
const bounded = 20 * time.Second

func limitSpecs(e *env) {
	g.Describe("work per query", func() {
		g.It("refuses a filter of more than MaxFilterTerms comparisons with 400 tooMany", func() {
			e.createUser("u1@example.com", nil)
			for _, f := range []string{
				orFilter(2000, func(i int) string { return fmt.Sprintf("userName eq %q", fmt.Sprint("u", i)) }),
				orFilter(store.MaxFilterTerms/4+1, entraTerm), // 4 comparisons a term: the value path counts as one
				orFilter(store.MaxFilterTerms+1, func(i int) string { return fmt.Sprintf("not (id eq %q)", fmt.Sprint(i)) }),
			} {
				start := time.Now()
				_, err := e.tryQuery(e.users, f, all)
				expectSCIMError(err, 400, schema.TooMany)
				Expect(time.Since(start)).To(BeNumerically("<", bounded))
			}
		})

		g.It("answers a filter of MaxFilterTerms comparisons, and exactly", func() {
			for i := range 20 {
				e.createUser(fmt.Sprintf("u%d@example.com", i), map[string]any{
					"emails": []any{map[string]any{"value": fmt.Sprintf("u%d@example.com", i), "type": "work"}},
				})
			}
			f := orFilter(store.MaxFilterTerms/4, func(i int) string { return entraTerm(i * 3) })
			expr, err := filter.Parse(f)
			Expect(err).NotTo(HaveOccurred())
			Expect(store.CheckFilter(expr)).To(Succeed())
			start := time.Now()
			p := e.query(e.users, f, all)
			Expect(time.Since(start)).To(BeNumerically("<", bounded))
			Expect(names(p)).To(ConsistOf("u0@example.com", "u3@example.com", "u6@example.com", "u9@example.com",
				"u12@example.com", "u15@example.com", "u18@example.com"))
		})

		g.It("answers an or-chain of 20,000 id comparisons as one set, exactly", func() {
			a, c := e.createUser("a", nil), e.createUser("c", nil)
			e.createUser("b", nil)
			const n = 20000
			idTerm := func(i int) string {
				switch i {
				case 7:
					return fmt.Sprintf("id eq %q", a.ID)
				case n - 1:
					return fmt.Sprintf("id eq %q", c.ID)
				}
				return fmt.Sprintf("id eq %q", store.NewID())
			}
			ids := orFilter(n, idTerm)
			for _, tc := range []struct {
				f    string
				want []string
			}{
				{ids, []string{"a", "c"}},
				{"not (" + ids + ")", []string{"b"}},
				{`(` + ids + `) and userName eq "c"`, []string{"c"}},
			} {
				start := time.Now()
				p := e.query(e.users, tc.f, all)
				Expect(time.Since(start)).To(BeNumerically("<", bounded))
				Expect(names(p)).To(ConsistOf(tc.want), "%.60s…", tc.f)
			}
		})
	})
}
