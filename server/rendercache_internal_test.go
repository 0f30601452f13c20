package server

import (
	"fmt"
	"testing"

	"github.com/scimharness/scimharness/server/schema"
)

// The render cache holds no more than its budget, however many forms are
// put, and a form put again replaces the old one.
func TestRenderCacheBudget(t *testing.T) {
	reg := schema.Default()
	rt, _ := reg.ResourceType("User")
	const budget = 64 << 10
	c := newRenderCache(budget)
	val := make([]byte, 300)
	for i := range 10_000 {
		c.put(reg, rt, []byte(fmt.Sprint("form", i)), val)
		if c.size > budget {
			t.Fatalf("after %d puts: %d bytes held, budget %d", i+1, c.size, budget)
		}
	}
	if len(c.m) == 0 {
		t.Fatal("nothing kept")
	}
	c = newRenderCache(budget)
	c.put(reg, rt, []byte("k"), []byte("one"))
	c.put(reg, rt, []byte("k"), []byte("three"))
	if b, ok := c.get(reg, rt, []byte("k")); !ok || string(b) != "three" || c.size != 1+5+entryOverhead {
		t.Errorf("get = %q, %v; size %d", b, ok, c.size)
	}
	if _, ok := c.get(reg, rt, []byte("huge")); ok {
		t.Error("a form never put was found")
	}
	c.put(reg, rt, []byte("huge"), make([]byte, budget/16))
	if _, ok := c.get(reg, rt, []byte("huge")); ok {
		t.Error("a form over a sixteenth of the budget was kept")
	}
}
