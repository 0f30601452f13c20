package postgres

import (
	"context"
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/server/store/postgres/pgtest"
	"github.com/scimharness/scimharness/server/store/storetest"
)

func TestPostgres(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "postgres store")
}

// TestMain stops the server the benchmarks share (pgtest.Shared); the
// Ginkgo suite has its own, stopped by its DeferCleanup.
func TestMain(m *testing.M) {
	code := m.Run()
	if bench.store != nil {
		bench.store.Close()
	}
	pgtest.StopShared()
	os.Exit(code)
}

// db is the suite's PostgreSQL; testStore is one store on it, shared by
// every spec (the contract specs each work in fresh random tenants).
var (
	testStore *Store
	db        = pgtest.Suite(func(url string) {
		s, err := Open(context.Background(), url)
		Expect(err).NotTo(HaveOccurred())
		testStore = s
		DeferCleanup(s.Close)
	})
)

var _ = storetest.Describe("postgres", func() store.Store { return testStore })
