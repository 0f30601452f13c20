package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLock is the key of the transaction-level advisory lock that
// serialises migrations: servers started together wait for each other, and
// the second finds the work done. It is an arbitrary constant ("scimmigr").
const migrationLock int64 = 0x7363696d6d696772

// migration is one numbered file of migrations/.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the embedded migrations in version order. A file is
// named NNNN_description.sql; a name that does not start with a number is
// a programming error caught by the tests.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("postgres store: migration %s: name must start with a positive number and '_'", base)
		}
		b, err := migrationFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("postgres store: migrations %s and %s share version %d", out[i-1].name, out[i].name, out[i].version)
		}
	}
	return out, nil
}

// Migrate brings the database's scim schema up to date: it applies, in
// order, every embedded migration that scim.schema_migrations does not list,
// all in one transaction under an advisory lock. Running it again, or from
// several processes at once, is safe: the lock makes the others wait, and
// they find nothing left to do. A database migrated by a newer scimharness
// (a version this binary does not know) is refused rather than used.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	all, err := migrations()
	if err != nil {
		return err
	}
	return migrate(ctx, pool, all)
}

// migrate is Migrate with the migrations this binary knows given: the
// tests bring a database to an older version with the first few.
func migrate(ctx context.Context, pool *pgxpool.Pool, all []migration) error {
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var enc string
	if err := tx.QueryRow(ctx, `SELECT current_setting('server_encoding')`).Scan(&enc); err != nil {
		return err
	}
	if enc != "UTF8" {
		return fmt.Errorf("postgres store: the database's encoding is %s; the store needs UTF8 (CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE template0)", enc)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS scim;
CREATE TABLE IF NOT EXISTS scim.schema_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)`); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT version FROM scim.schema_migrations`)
	if err != nil {
		return err
	}
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return err
	}
	done := map[int]bool{}
	for _, v := range applied {
		done[int(v)] = true
	}
	known := map[int]bool{}
	for _, m := range all {
		known[m.version] = true
	}
	for v := range done {
		if !known[v] {
			return fmt.Errorf("postgres store: the database has migration %d, which this scimharness does not know: it was migrated by a newer version", v)
		}
	}
	for _, m := range all {
		if done[m.version] {
			continue
		}
		// No arguments: pgx sends the file with the simple protocol, so it
		// may hold several statements.
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("postgres store: migration %s: %w", m.name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO scim.schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}
