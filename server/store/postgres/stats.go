package postgres

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// freshStats keeps the planner's statistics of scim.resources close to the
// table while the store fills it. The store's statements are prepared once
// per connection and run with their generic plan (plan_cache_mode, Open),
// planned from the statistics of that moment until an ANALYZE invalidates
// it; autovacuum analyses a table at most once a minute (its naptime),
// and after a tenth of it has changed. So a database provisioned from
// empty kept, for a minute and more, plans made for an empty table: a Get
// by id walked the tenant's resources_externalid_idx entries of the type
// (2.95 ms a Get of a group in the Entra initial cycle of 100,000 users,
// 5.6 ms the look-up of a group's new members), where resources_id_key
// finds the row in a few µs. The store therefore runs ANALYZE itself, in
// the background and one at a time, each time the resources it has
// created since the last one outnumber the rows the table held then (at
// least minAnalyze): some ten ANALYZEs to grow from empty to 100,000 rows,
// none for a large table, which autovacuum looks after. scim.members (the
// groups of every user read) is analysed with it: it fills as the groups do.
type freshStats struct {
	mu      sync.Mutex
	rows    int64 // the table's rows at the last ANALYZE (or at Open)
	written int64 // resources created since
	running bool
	off     bool // ANALYZE is not ours to run (not the table's owner)
}

// minAnalyze is the fewest creates between two ANALYZEs.
const minAnalyze = 500

// analyzeTimeout bounds one ANALYZE.
const analyzeTimeout = time.Minute

// initStats reads the table's size as the statistics know it.
func (s *Store) initStats(ctx context.Context) error {
	var rows float64
	if err := s.pool.QueryRow(ctx, `SELECT reltuples FROM pg_class WHERE oid = 'scim.resources'::regclass`).Scan(&rows); err != nil {
		return err
	}
	s.stats.rows = max(int64(rows), 0) // -1: never analysed
	return nil
}

// created counts n resources created, and starts an ANALYZE when they
// outnumber the table's rows at the last one.
func (s *Store) created(n int) {
	f := &s.stats
	f.mu.Lock()
	defer f.mu.Unlock()
	f.written += int64(n)
	if f.off || f.running || f.written < max(f.rows, minAnalyze) {
		return
	}
	f.running = true
	rows := f.rows + f.written
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), analyzeTimeout)
		defer cancel()
		_, err := s.pool.Exec(ctx, `ANALYZE scim.resources, scim.members`)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.running = false
		var pe *pgconn.PgError
		switch {
		case err == nil:
			f.rows, f.written = rows, f.written-(rows-f.rows)
		case errors.As(err, &pe) && pe.Code == "42501": // insufficient_privilege
			f.off = true
		default:
			// A closed pool, a lost connection, a read-only session: the
			// next create past the threshold tries again.
		}
	}()
}
