package postgres

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimharness/scimharness/server/store/postgres/pgtest"
)

func TestMigrationsAreNumbered(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if m.version != i+1 {
			t.Errorf("migration %s: version %d, want %d (no gaps)", m.name, m.version, i+1)
		}
	}
}

var _ = Describe("migrations", func() {
	ctx := context.Background()
	var dbURL string
	BeforeEach(func() {
		var drop func(context.Context) error
		var err error
		dbURL, drop, err = pgtest.CreateDatabase(ctx, db.URL(), "scimmigrate_")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(drop(context.Background())).To(Succeed()) })
	})

	It("apply once, whether stores start together or one after another", func() {
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Go(func() {
				s, err := Open(ctx, dbURL)
				if err == nil {
					s.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		Expect(errors.Join(errs...)).NotTo(HaveOccurred())
		s, err := Open(ctx, dbURL) // and again, later
		Expect(err).NotTo(HaveOccurred())
		defer s.Close()
		Expect(Migrate(ctx, s.pool)).To(Succeed())
		var n, max int
		Expect(s.pool.QueryRow(ctx, `SELECT count(*), max(version) FROM scim.schema_migrations`).Scan(&n, &max)).To(Succeed())
		all, _ := migrations()
		Expect(n).To(Equal(len(all)))
		Expect(max).To(Equal(all[len(all)-1].version))
	})

	It("refuse a database migrated by a newer version", func() {
		s, err := Open(ctx, dbURL)
		Expect(err).NotTo(HaveOccurred())
		defer s.Close()
		_, err = s.pool.Exec(ctx, `INSERT INTO scim.schema_migrations (version, name) VALUES (9999, '9999_future.sql')`)
		Expect(err).NotTo(HaveOccurred())
		_, err = Open(ctx, dbURL)
		Expect(err).To(MatchError(ContainSubstring("migrated by a newer version")))
	})

	It("refuse a database that is not UTF8", func() {
		pool, err := pgxpool.New(ctx, db.URL())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(pool.Close) // after the drop: cleanups run last in, first out
		name := "scimlatin_" + randomSuffix()[:6]
		_, err = pool.Exec(ctx, `CREATE DATABASE `+name+` ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() {
			_, err := pool.Exec(context.Background(), `DROP DATABASE `+name)
			Expect(err).NotTo(HaveOccurred())
		})
		u, err := pgtest.WithDatabase(db.URL(), name)
		Expect(err).NotTo(HaveOccurred())
		_, err = Open(ctx, u)
		Expect(err).To(MatchError(ContainSubstring("needs UTF8")))
	})

	It("tell a malformed URL from an unreachable database", func() {
		_, err := Open(ctx, "postgres://user:secret@host:notaport/db")
		Expect(errors.Is(err, ErrInvalidURL)).To(BeTrue(), "%v", err)
		Expect(err.Error()).NotTo(ContainSubstring("secret"))
		_, err = Open(ctx, "postgres://user:secret@127.0.0.1:1/db?connect_timeout=2")
		Expect(err).To(HaveOccurred())
		Expect(errors.Is(err, ErrInvalidURL)).To(BeFalse())
		Expect(err.Error()).NotTo(ContainSubstring("secret"))
	})
})
