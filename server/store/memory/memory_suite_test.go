package memory_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/server/store/memory"
	"github.com/scimharness/scimharness/server/store/storetest"
)

func TestMemory(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "memory store")
}

// The memory store must meet the contract every store meets.
var _ = storetest.Describe("memory", func() store.Store { return memory.New() })
