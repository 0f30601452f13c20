package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// Store is the Postgres store. It is safe for concurrent use; Close it when
// done.
type Store struct {
	pool  *pgxpool.Pool
	now   func() time.Time // the clock, replaceable by tests
	stats freshStats
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at databaseURL (a postgres:// URL or a
// key=value connection string, as pgx reads them, pool_max_conns and
// friends included), applies the migrations it lacks (see [Migrate]) and
// returns the store. An unparsable URL is an error wrapping
// [ErrInvalidURL]; an unreachable database or a failed migration is any
// other error. Neither message carries the password.
func Open(ctx context.Context, databaseURL string, opts ...Option) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidURL, err)
	}
	for _, o := range opts {
		o(cfg)
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "scimharness"
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["plan_cache_mode"]; !ok {
		// pgx prepares every statement once per connection. Left to choose
		// (auto), PostgreSQL plans a statement anew on each execution as
		// long as the custom plans it made look cheaper than the generic
		// one, and they do for a tenant the statistics do not know yet (a
		// new one, or one provisioned since the last ANALYZE): the
		// `userName eq` lookup then spent 0.3 ms planning for 0.04 ms of
		// execution, capping a 2-core machine at some 2,500 lookups/s.
		// Every condition the store generates compares with = or @> on
		// indexed expressions whatever the values, so the generic plan is
		// the plan (explain_test.go checks it uses the indexes). A URL that
		// sets plan_cache_mode wins.
		cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	}
	for name, value := range guardParams {
		if _, ok := cfg.ConnConfig.RuntimeParams[name]; !ok {
			cfg.ConnConfig.RuntimeParams[name] = value
		}
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// Without a timeout a connection attempt to a host that drops
		// packets waits on the kernel: a request would hang instead of
		// getting its 503.
		cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store: cannot connect to database %q on %s:%d: %w",
			cfg.ConnConfig.Database, cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	if err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store: migrating database %q: %w", cfg.ConnConfig.Database, err)
	}
	s := &Store{pool: pool, now: time.Now}
	if err := s.initStats(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store: reading the statistics of database %q: %w", cfg.ConnConfig.Database, err)
	}
	return s, nil
}

// Option changes how [Open] connects.
type Option func(*pgxpool.Config)

// WithTracer has every connection of the store report its statements to t
// (pgx's tracing hooks): the tests count statements per request with it.
func WithTracer(t pgx.QueryTracer) Option {
	return func(c *pgxpool.Config) { c.ConnConfig.Tracer = t }
}

// guardParams are session settings that bound the work of one statement,
// set on every connection unless the URL sets them:
//
//   - jit=off: PostgreSQL JIT-compiles a statement its planner thinks costly,
//     and the SQL of a filter with many terms looks costly. The compile
//     ignores pg_cancel_backend, pg_terminate_backend and statement_timeout:
//     a filter of 2,000 or-terms took over 65 s and 778 MB of one backend
//     (only kill -9 stopped it, restarting the cluster), and 0.16–1.6 s
//     without JIT. The store's statements are short lookups JIT never pays
//     for.
//   - statement_timeout: no statement, lock waits included, runs longer
//     than this, whatever the client does; the server's per-request
//     deadline (server.Config.RequestTimeout) normally ends it first.
var guardParams = map[string]string{
	"jit":               "off",
	"statement_timeout": StatementTimeout,
}

// StatementTimeout is the statement_timeout of the store's sessions unless
// the URL sets one.
const StatementTimeout = "30s"

// Close closes every connection of the store.
func (s *Store) Close() { s.pool.Close() }

// clock is the time written into meta, truncated to the millisecond that
// meta shows, so that the column the store compares (modified) and the text
// clients read never disagree.
func (s *Store) clock() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// later keeps lastModified from going backwards if the wall clock does.
func later(now, prev time.Time) time.Time {
	if now.Before(prev) {
		return prev
	}
	return now
}

// Advisory lock keys. Membership: Delete holds the tenant's key exclusively
// while it removes the deleted resource from groups, and every write that
// may add members (Create, Update of a type with "members") holds it shared,
// so that no group can gain a member that is being deleted between
// Delete's look-up of the groups and its commit — which row locks alone
// would allow under READ COMMITTED. Uniqueness: see checkUnique.
const (
	membersLockSQL       = `SELECT pg_advisory_xact_lock(hashtextextended('scim/members/' || $1, 0))`
	membersSharedLockSQL = `SELECT pg_advisory_xact_lock_shared(hashtextextended('scim/members/' || $1, 0))`
	uniqueLockSQL        = `SELECT pg_advisory_xact_lock(hashtextextended('scim/unique/' || $1 || '/' || $2 || '/' || $3, 0))`
)

// liveMembers drops the members of doc that name no resource of the
// tenant (store.MemberTypes), looking up only the values not in old (the
// member values of the version being replaced, which exist: Delete
// removes a resource from every group). The caller holds the members lock
// shared, so a Delete either committed before the look-up, which then
// misses the member, or waits for this transaction and removes the member
// after it.
func liveMembers(ctx context.Context, tx pgx.Tx, tenant string, doc map[string]any, old []string) (map[string]any, error) {
	known := map[string]bool{}
	for _, v := range old {
		known[v] = true
	}
	var ask []string
	for _, v := range store.MemberValues(doc) {
		if !known[v] {
			if _, ok := stringLit(v); ok {
				ask = append(ask, v)
			}
		}
	}
	if len(ask) > 0 {
		rows, err := tx.Query(ctx, `SELECT id FROM scim.resources WHERE tenant = $1 AND rtype = ANY($2) AND id = ANY($3)`,
			tenant, store.MemberTypes, ask)
		if err != nil {
			return nil, err
		}
		found, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, err
		}
		for _, id := range found {
			known[id] = true
		}
	}
	doc, _ = store.KeepMembers(doc, func(v string) bool { return known[v] })
	return doc, nil
}

// Create stores doc as a new resource with a fresh id and meta.
func (s *Store) Create(ctx context.Context, tenant string, rt *schema.ResourceType, doc map[string]any) (store.Resource, error) {
	if err := cancelled(ctx); err != nil {
		return store.Resource{}, err
	}
	if err := store.CheckText(doc); err != nil {
		return store.Resource{}, err
	}
	// The document is encoded before Create returns and nothing of it is
	// kept, so dropping id and meta needs no deep copy.
	own := stripMeta(doc)
	now := s.clock()
	_, lock := own["members"]
	lock = lock && store.HasMembers(rt)
	extra := extraUnique(rt)
	for attempt := 0; ; attempt++ {
		id := store.NewID()
		var body []byte
		var uniq func(string) error
		// prepare writes the document with its id and meta.
		prepare := func(doc map[string]any) (map[string]any, error) {
			full := store.WithMeta(doc, rt.ID, id, 1, now, now)
			uniq = uniqueness(rt, full)
			var err error
			body, err = encode(full)
			return full, err
		}
		insert := func(ctx context.Context, q querier) error {
			_, err := q.Exec(ctx, `INSERT INTO scim.resources (tenant, rtype, id, version, created, modified, doc)
VALUES ($1, $2, $3, 1, $4, $4, $5)`, tenant, rt.ID, id, now, body)
			return err
		}
		var err error
		if !lock && len(extra) == 0 {
			// The common case is one statement: the unique indexes decide
			// races between creates.
			if _, err = prepare(own); err != nil {
				return store.Resource{}, err
			}
			err = s.write(ctx, func(ctx context.Context) error { return insert(ctx, s.pool) })
		} else {
			err = s.inTx(ctx, func(tx pgx.Tx) error {
				doc := own
				if lock {
					if _, err := tx.Exec(ctx, membersSharedLockSQL, tenant); err != nil {
						return err
					}
					var err error
					if doc, err = liveMembers(ctx, tx, tenant, doc, nil); err != nil {
						return err
					}
				}
				full, err := prepare(doc)
				if err != nil {
					return err
				}
				if err := checkUnique(ctx, tx, tenant, rt, id, full, extra); err != nil {
					return err
				}
				return insert(ctx, tx)
			})
		}
		err = mapError(ctx, err, uniq)
		if errors.Is(err, errIDTaken) && attempt < 3 {
			continue // a random id collided: astronomically unlikely, never fatal
		}
		if err != nil {
			return store.Resource{}, err
		}
		s.created(1)
		res, err := decode(rt, body)
		if err != nil {
			return store.Resource{}, err
		}
		return store.Resource{ID: id, Version: 1, Doc: res}, nil
	}
}

// Get returns the resource with the given id.
func (s *Store) Get(ctx context.Context, tenant string, rt *schema.ResourceType, id string) (store.Resource, error) {
	if err := cancelled(ctx); err != nil {
		return store.Resource{}, err
	}
	var version int64
	var body []byte
	err := s.read(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT version, doc FROM scim.resources WHERE tenant = $1 AND rtype = $2 AND id = $3`,
			tenant, rt.ID, id).Scan(&version, &body)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Resource{}, schema.NotFound(rt.ID, id)
	}
	if err != nil {
		return store.Resource{}, mapError(ctx, err, nil)
	}
	doc, err := decode(rt, body)
	if err != nil {
		return store.Resource{}, err
	}
	return store.Resource{ID: id, Version: version, Doc: doc}, nil
}

// current is a row read FOR UPDATE.
type current struct {
	seq, version      int64
	created, modified time.Time
	body              []byte
}

const selectForUpdate = `SELECT seq, version, created, modified, doc FROM scim.resources
WHERE tenant = $1 AND rtype = $2 AND id = $3 FOR UPDATE`

func lockRow(ctx context.Context, tx pgx.Tx, tenant string, rt *schema.ResourceType, id string) (current, error) {
	var c current
	err := tx.QueryRow(ctx, selectForUpdate, tenant, rt.ID, id).Scan(&c.seq, &c.version, &c.created, &c.modified, &c.body)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, schema.NotFound(rt.ID, id)
	}
	return c, err
}

// Update reads the resource FOR UPDATE, calls fn with a copy, and stores
// what fn returns as the next version, in one transaction: a concurrent
// Update of the same resource waits for the row lock and then sees this
// version, so no write is lost and fn always sees the current
// meta.version (the server's If-Match and retry loop rely on that).
func (s *Store) Update(ctx context.Context, tenant string, rt *schema.ResourceType, id string, fn func(cur store.Resource) (map[string]any, error)) (store.Resource, error) {
	if err := cancelled(ctx); err != nil {
		return store.Resource{}, err
	}
	var out store.Resource
	var uniq func(string) error
	extra := extraUnique(rt)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		members := store.HasMembers(rt)
		if members {
			if _, err := tx.Exec(ctx, membersSharedLockSQL, tenant); err != nil {
				return err
			}
		}
		c, err := lockRow(ctx, tx, tenant, rt, id)
		if err != nil {
			return err
		}
		cur, err := decode(rt, c.body)
		if err != nil {
			return err
		}
		old := store.MemberValues(cur) // before fn, which may change cur
		next, err := fn(store.Resource{ID: id, Version: c.version, Doc: cur})
		if err != nil {
			return fnError{err}
		}
		if err := store.CheckText(next); err != nil {
			return err
		}
		if members {
			if next, err = liveMembers(ctx, tx, tenant, next, old); err != nil {
				return err
			}
		}
		version, modified := c.version+1, later(s.clock(), c.modified)
		// encode reads next before fn's caller can touch it again, so a
		// shallow copy (to drop id and meta) keeps nothing of fn's document.
		full := store.WithMeta(stripMeta(next), rt.ID, id, version, c.created, modified)
		uniq = uniqueness(rt, full)
		body, err := encode(full)
		if err != nil {
			return err
		}
		if err := checkUnique(ctx, tx, tenant, rt, id, full, extra); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE scim.resources SET version = $2, modified = $3, doc = $4 WHERE seq = $1`,
			c.seq, version, modified, body); err != nil {
			return err
		}
		doc, err := decode(rt, body)
		if err != nil {
			return err
		}
		out = store.Resource{ID: id, Version: version, Doc: doc}
		return nil
	})
	if err != nil {
		return store.Resource{}, mapError(ctx, err, uniq)
	}
	return out, nil
}

func stripMeta(doc map[string]any) map[string]any {
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != "id" && k != "meta" {
			out[k] = v
		}
	}
	return out
}

// Delete removes the resource once check accepts it, and removes it from
// the members of every group of the tenant, in one transaction.
func (s *Store) Delete(ctx context.Context, tenant string, rt *schema.ResourceType, id string, check func(cur store.Resource) error) error {
	if err := cancelled(ctx); err != nil {
		return err
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, membersLockSQL, tenant); err != nil {
			return err
		}
		c, err := lockRow(ctx, tx, tenant, rt, id)
		if err != nil {
			return err
		}
		if check != nil {
			cur, err := decode(rt, c.body)
			if err != nil {
				return err
			}
			if err := check(store.Resource{ID: id, Version: c.version, Doc: cur}); err != nil {
				return fnError{err}
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM scim.resources WHERE seq = $1`, c.seq); err != nil {
			return err
		}
		return s.dropMember(ctx, tx, tenant, id)
	})
	return mapError(ctx, err, nil)
}

// dropMember removes every member whose value is id from the resources of
// the tenant (of any type) that list it, bumping their version and
// lastModified as an Update would. The members index finds them (by the
// folded value, a superset); the exact comparison, the memory store's, is
// withoutMember's.
func (s *Store) dropMember(ctx context.Context, tx pgx.Tx, tenant, id string) error {
	rows, err := tx.Query(ctx, `SELECT seq, rtype, id, version, created, modified, doc FROM scim.resources
WHERE tenant = $1 AND scim.value_keys(doc -> 'members') @> $2::jsonb ORDER BY seq FOR UPDATE`, tenant, keysJSON(id))
	if err != nil {
		return err
	}
	type group struct {
		seq, version      int64
		rtype, id         string
		created, modified time.Time
		body              []byte
	}
	var groups []group
	for rows.Next() {
		var g group
		if err := rows.Scan(&g.seq, &g.rtype, &g.id, &g.version, &g.created, &g.modified, &g.body); err != nil {
			rows.Close()
			return err
		}
		groups = append(groups, g)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	now := s.clock()
	for _, g := range groups {
		version, modified := g.version+1, later(now, g.modified)
		body, changed, err := withoutMember(g.body, id, store.Meta(g.rtype, version, g.created, modified))
		if err != nil {
			return err
		}
		if !changed {
			continue
		}
		if _, err := tx.Exec(ctx, `UPDATE scim.resources SET version = $2, modified = $3, doc = $4 WHERE seq = $1`,
			g.seq, version, modified, body); err != nil {
			return err
		}
	}
	return nil
}

// withoutMember returns the stored document body without the members whose
// value is the string id, with meta replaced, and whether anything was
// removed. It works on raw JSON so that every other value is written back
// byte for byte, whatever its type; like the memory store it drops
// "members" when none is left ([] is unassigned, RFC 7643 §2.5).
func withoutMember(body []byte, id string, meta map[string]any) ([]byte, bool, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, false, err
	}
	var members []json.RawMessage
	if err := json.Unmarshal(top["members"], &members); err != nil {
		return body, false, nil // not an array: nothing the index could have matched exactly
	}
	kept := make([]json.RawMessage, 0, len(members))
	for _, m := range members {
		var obj map[string]json.RawMessage
		if json.Unmarshal(m, &obj) == nil {
			var v string
			if raw := obj["value"]; len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &v) == nil && v == id {
				continue
			}
		}
		kept = append(kept, m)
	}
	if len(kept) == len(members) {
		return body, false, nil
	}
	if len(kept) > 0 {
		b, err := json.Marshal(kept)
		if err != nil {
			return nil, false, err
		}
		top["members"] = b
	} else {
		delete(top, "members")
	}
	mb, err := json.Marshal(meta)
	if err != nil {
		return nil, false, err
	}
	top["meta"] = mb
	out, err := json.Marshal(top)
	return out, true, err
}

// querier is what a statement runs on: the pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// inTx runs fn in a transaction, committing when it returns nil. Errors are
// returned unmapped; the callers map them.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return s.write(ctx, func(ctx context.Context) error {
		tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
		if err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = tx.Rollback(rctx)
			return err
		}
		return tx.Commit(ctx)
	})
}

// read runs a read, once more on a fresh connection if the first attempt
// found its connection dead; a read may be repeated without harm.
func (s *Store) read(ctx context.Context, fn func(context.Context) error) error {
	err := fn(ctx)
	if err != nil && ctx.Err() == nil && s.lost(err) {
		err = fn(ctx)
	}
	return err
}

// write runs a write, once more only when the first attempt failed before
// anything reached the server (pgconn.SafeToRetry), or was refused by a
// read-only session (nothing was written): a write that may have been
// applied is never repeated, it fails with 503 for the client to retry.
func (s *Store) write(ctx context.Context, fn func(context.Context) error) error {
	err := fn(ctx)
	if err == nil || ctx.Err() != nil {
		return err
	}
	switch {
	case s.lost(err) && pgconn.SafeToRetry(err):
		err = fn(ctx)
	case readOnly(err):
		// A session takes default_transaction_read_only when it starts
		// (ALTER DATABASE/ROLE ... SET, a standby, a failover): sessions
		// opened while the database was read-only stay read-only after it
		// is writable again, and kept answering every write with an error.
		// Fresh ones see the database as it is now.
		s.pool.Reset()
		err = fn(ctx)
	}
	return err
}

// readOnly reports whether err is SQLSTATE 25006, a write refused by a
// read-only transaction.
func readOnly(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "25006"
}

// lost reports whether err is the failure of a connection and, if so,
// empties the pool: when one connection turns out dead the server has
// most likely restarted or cut every session, and the pool's other idle
// connections are dead too. Without the reset each would fail one request
// before the pool dropped it (the pool pings only connections idle for more
// than a second).
func (s *Store) lost(err error) bool {
	if !connectionLost(err) {
		return false
	}
	s.pool.Reset()
	return true
}

// connectionLost reports whether err is the failure of a connection rather
// than an answer of the server or an error of the store: no connection
// could be made, the server ended the session (terminated, shutting down,
// restarting), or the network failed under it.
func connectionLost(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "57P01", "57P02", "57P03": // admin shutdown, crash shutdown, cannot connect now
			return true
		}
		return strings.HasPrefix(pe.Code, "08") // connection exception
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || pgconn.SafeToRetry(err) ||
		strings.Contains(err.Error(), "conn closed")
}
