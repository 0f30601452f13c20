package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/scimharness/scimharness/server/schema"
)

// errIDTaken is a collision of a fresh random id with a stored one.
var errIDTaken = errors.New("postgres store: id collision")

// uniqueIndexes are the unique indexes of migrations/0004_fold_unique.sql that
// enforce uniqueness "server" (resource type → attribute → index). The
// database decides races between concurrent creates with them: of 100
// concurrent creates of one userName exactly one commits.
var uniqueIndexes = map[string]map[string]string{
	"User":  {"userName": "resources_user_username_key"},
	"Group": {"displayName": "resources_group_displayname_key"},
}

// indexedUnique returns the unique index for attribute a of rt, or "". The
// indexes compare scim.fold, so they stand for attributes that are not
// caseExact only.
func indexedUnique(rt *schema.ResourceType, a *schema.Attribute) string {
	if a.CaseExact {
		return ""
	}
	return uniqueIndexes[rt.ID][a.Name]
}

// uniqueAttrs lists the attributes the memory store keeps unique: the
// top-level core string attributes with uniqueness "server" or "global".
func uniqueAttrs(rt *schema.ResourceType) []*schema.Attribute {
	var out []*schema.Attribute
	for _, a := range rt.Core().Attributes {
		if (a.Uniqueness == "server" || a.Uniqueness == "global") && (a.Type == schema.TypeString || a.Type == schema.TypeReference) {
			out = append(out, a)
		}
	}
	return out
}

// extraUnique lists the unique attributes of rt that no index covers: those
// of schemas other than the default ones (a custom registry). checkUnique
// enforces them.
func extraUnique(rt *schema.ResourceType) []*schema.Attribute {
	var out []*schema.Attribute
	for _, a := range uniqueAttrs(rt) {
		if indexedUnique(rt, a) == "" {
			out = append(out, a)
		}
	}
	return out
}

// uniqueness returns the function that turns the name of a violated unique
// index into the store's error for doc: 409 uniqueness naming the attribute
// and the value as the client wrote it, as the memory store words it.
func uniqueness(rt *schema.ResourceType, doc map[string]any) func(constraint string) error {
	return func(constraint string) error {
		if constraint == "resources_id_key" {
			return errIDTaken
		}
		for name, index := range uniqueIndexes[rt.ID] {
			if index == constraint {
				return schema.Errorf(schema.Uniqueness, "%s %q is already taken", name, doc[name])
			}
		}
		return schema.Errorf(schema.Uniqueness, "a unique attribute's value is already taken")
	}
}

// checkUnique enforces, inside the write's transaction, the unique
// attributes no index covers: under a transaction-level advisory lock per
// tenant, type and attribute (so two writers of the same value cannot both
// find it free), it looks for another resource holding one of doc's values,
// compared as the memory store compares them (fold unless caseExact).
func checkUnique(ctx context.Context, tx pgx.Tx, tenant string, rt *schema.ResourceType, self string, doc map[string]any, attrs []*schema.Attribute) error {
	for _, a := range attrs {
		values := stringValues(doc[a.Name])
		if len(values) == 0 {
			continue
		}
		if _, err := tx.Exec(ctx, uniqueLockSQL, tenant, rt.ID, a.Name); err != nil {
			return err
		}
		cmp := `scim.fold(e.v #>> '{}') = scim.fold($4)`
		if a.CaseExact {
			cmp = `(e.v #>> '{}') = $4`
		}
		q := `SELECT EXISTS (SELECT 1 FROM scim.resources r, scim.elems(r.doc -> ` + quote(a.Name) + `) AS e(v)
WHERE r.tenant = $1 AND r.rtype = $2 AND r.id <> $3 AND jsonb_typeof(e.v) = 'string' AND ` + cmp + `)`
		for _, v := range values {
			var taken bool
			if err := tx.QueryRow(ctx, q, tenant, rt.ID, self, v).Scan(&taken); err != nil {
				return err
			}
			if taken {
				return schema.Errorf(schema.Uniqueness, "%s %q is already taken", a.Name, v)
			}
		}
	}
	return nil
}

// stringValues lists the strings of a single or multi-valued value.
func stringValues(v any) []string {
	list, multi := v.([]any)
	if !multi {
		list = []any{v}
	}
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
