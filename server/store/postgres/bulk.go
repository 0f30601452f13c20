package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// CreateMany stores docs as new resources of rt in tenant, each as Create
// would store it (a fresh id, meta with version 1 and the same created and
// lastModified, the same columns, so the same index entries), and returns
// their ids in the order of docs. It is a loader for fixtures and
// benchmarks: the rows go in with one COPY in one transaction, all or
// nothing, some thirty times faster than a Create each. A unique value
// already taken, by a stored resource or by another document of docs, fails
// the whole call with 409 uniqueness, as does Create. As in Create, the
// documents are neither kept nor changed.
func (s *Store) CreateMany(ctx context.Context, tenant string, rt *schema.ResourceType, docs []map[string]any) ([]string, error) {
	if err := cancelled(ctx); err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return []string{}, nil
	}
	extra := extraUnique(rt)
	lock := false
	if store.HasMembers(rt) {
		for _, d := range docs {
			if _, ok := d["members"]; ok {
				lock = true
				break
			}
		}
	}
	now := s.clock()
	for attempt := 0; ; attempt++ {
		ids := make([]string, len(docs))
		rows := make([][]any, len(docs))
		var full []map[string]any
		for i, d := range docs {
			if err := store.CheckText(d); err != nil {
				return nil, err
			}
			ids[i] = store.NewID()
			f := store.WithMeta(stripMeta(d), rt.ID, ids[i], 1, now, now)
			body, err := encode(f)
			if err != nil {
				return nil, err
			}
			rows[i] = []any{tenant, rt.ID, ids[i], int64(1), now, now, body}
			if len(extra) > 0 {
				full = append(full, f)
			}
		}
		err := s.inTx(ctx, func(tx pgx.Tx) error {
			// A load of many thousand resources is one COPY, which may take
			// longer than the sessions' statement_timeout (meant for a
			// request's statements); the caller's ctx bounds it instead.
			if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
				return err
			}
			if lock {
				// As Create: no group gains a member that a Delete is
				// removing from every group.
				if _, err := tx.Exec(ctx, membersSharedLockSQL, tenant); err != nil {
					return err
				}
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"scim", "resources"},
				[]string{"tenant", "rtype", "id", "version", "created", "modified", "doc"}, pgx.CopyFromRows(rows)); err != nil {
				return err
			}
			// The unique attributes no index covers (a custom schema's), as
			// Create checks them; after the COPY, so that the batch's own
			// rows count too.
			for i, f := range full {
				if err := checkUnique(ctx, tx, tenant, rt, ids[i], f, extra); err != nil {
					return err
				}
			}
			return nil
		})
		err = mapError(ctx, err, func(constraint string) error {
			if constraint == "resources_id_key" {
				return errIDTaken
			}
			for name, index := range uniqueIndexes[rt.ID] {
				if index == constraint {
					return schema.Errorf(schema.Uniqueness, "%s: a value of the batch is already taken", name)
				}
			}
			return schema.Errorf(schema.Uniqueness, "a unique attribute's value is already taken")
		})
		if errors.Is(err, errIDTaken) && attempt < 3 {
			continue // a random id collided: astronomically unlikely, never fatal
		}
		if err != nil {
			return nil, err
		}
		return ids, nil
	}
}

// DeleteTenant deletes every resource of tenant, of every type, and returns
// how many it deleted. Other tenants are not touched. It is the clean-up of
// a tenant made for a run (fixtures, load tests); it does not bump anything
// in other tenants, since no other tenant can reference these resources.
func (s *Store) DeleteTenant(ctx context.Context, tenant string) (int64, error) {
	if err := cancelled(ctx); err != nil {
		return 0, err
	}
	var n int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// Exclusive, as Delete: no write is adding members meanwhile.
		if _, err := tx.Exec(ctx, membersLockSQL, tenant); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM scim.resources WHERE tenant = $1`, tenant)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, mapError(ctx, err, nil)
	}
	return n, nil
}
