package storetest

import (
	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimharness/scimharness/server/schema"
)

func textSpecs(e *env) {
	g.Describe("text", func() {
		// Issue 14: "\u0000" in userName was 201 on the memory store and
		// 400 on PostgreSQL (text cannot hold NUL). Every store answers 400
		// invalidValue and stores nothing.
		g.It("refuses a NUL anywhere in a document with 400 invalidValue, storing nothing", func() {
			for _, doc := range []map[string]any{
				e.userDoc("a\x00b", nil),
				e.userDoc("alice", map[string]any{"title": "x\x00"}),
				e.userDoc("alice", map[string]any{"emails": []any{map[string]any{"value": "a\x00@example.com"}}}),
			} {
				_, err := e.s.Create(e.ctx, e.tenant, e.users, doc)
				expectSCIMError(err, 400, schema.InvalidValue)
			}
			Expect(e.query(e.users, "", all).Total).To(Equal(0))

			r := e.createUser("alice", nil)
			_, err := e.s.Update(e.ctx, e.tenant, e.users, r.ID, set(map[string]any{"title": "\x00"}))
			expectSCIMError(err, 400, schema.InvalidValue)
			Expect(e.get(e.users, r.ID)).To(Equal(r))
		})
	})
}
