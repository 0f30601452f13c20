// Package postgres is the Postgres store of the reference server: the same
// contract as the memory store (package store, checked by the shared
// storetest suite), kept in a PostgreSQL database (version 12 or later,
// UTF8 encoding) through pgx/v5 and a pgxpool pool, so resources survive a
// restart and several servers can share them.
//
// # Schema
//
// [Open] applies the embedded migrations (migrations/NNNN_*.sql, recorded
// in scim.schema_migrations) in one transaction under an advisory lock, so
// starting several servers at once, or twice, is safe. Everything lives in
// the schema "scim": one table, scim.resources, holds every resource of
// every tenant and type as a jsonb document (id and meta included) beside
// the columns the store needs (creation sequence, version, times).
// Expression indexes serve what is looked up: a unique index per tenant on
// the case-folded userName of users and displayName of groups (uniqueness
// "server"; concurrent creates race on it and exactly one wins), a btree on
// externalId, GIN indexes on the folded emails.value and members.value
// values (the server derives User.groups with `members.value eq <id>` on
// every user read, and Delete finds the groups to clean up with it).
//
// # Filters
//
// A filter is pushed down to SQL in full when it can be, and always with
// its values as parameters: attribute paths are resolved through the
// resource type's schema (rt.Find) and the SQL is assembled from fixed
// fragments chosen by the attribute's type, caseExact and multiValued;
// nothing of the request text but parameter values reaches the database.
// Every operator translates, with the Go evaluator's semantics
// (filter.Compile) for the canonical documents the store holds:
//
//   - strings that are not caseExact compare through scim.fold, a Unicode
//     simple case folding generated from Go's tables (strings.EqualFold,
//     not the locale-dependent lower()); co, sw and ew are LIKE with the
//     pattern escaped; gt/ge/lt/le compare bytewise as the evaluator does;
//   - multi-valued attributes and value paths (emails[type eq "work"]) are
//     EXISTS subqueries over scim.elems (jsonb_array_elements);
//   - dateTimes compare as instants with nanoseconds through scim.time,
//     which parses exactly what schema.ParseTime accepts and yields NULL
//     (no match) instead of an error for anything else; numbers compare as
//     numeric, booleans as booleans (with the evaluator's "True" tolerance);
//   - not, ne and eq null are NOT coalesce(x, false), so SQL's NULLs never
//     make a negation differ from Go's two-valued logic;
//   - "schemas", which the store does not keep, is decided per extension.
//
// What cannot be expressed exactly falls back to Go, never to a wrong
// answer: a string literal holding NUL or invalid UTF-8 (PostgreSQL text
// cannot hold them), an integer literal compared with a decimal attribute
// that a float64 cannot represent, an unresolvable path, or a filter
// needing more than 30,000 parameters. Such a part becomes TRUE in the SQL
// (a whole not over it too), the SQL returns that superset in order, and
// the compiled Go matcher filters and pages it. An or-chain of id
// comparisons (the server's rewrite of a User "groups" filter) is one
// parameter, r.id = ANY($n). Otherwise counting,
// sorting (creation sequence as the tiebreak, missing values last when
// ascending and first when descending, as the memory store sorts) and
// paging happen in SQL, the count and the page from one snapshot.
//
// # Plans
//
// The store's connections run with plan_cache_mode=force_generic_plan
// unless the URL sets it: pgx prepares each statement once per connection,
// and every condition the store generates compares with = or @> on indexed
// expressions, so the generic plan is the right one whatever the values;
// left to choose, PostgreSQL re-plans on every execution for a tenant the
// statistics do not know yet, which made a `userName eq` lookup spend 0.3
// ms planning for 0.04 ms executing.
//
// # Bounds
//
// A filter of more than store.MaxFilterTerms comparisons is refused (400
// tooMany) before any SQL is built. Sessions run with jit=off and
// statement_timeout=30s unless the URL sets them: JIT compilation of a big
// filter's SQL ignored cancel requests, statement_timeout and
// pg_terminate_backend, and ran a backend for minutes. pgx sends a cancel
// request when a statement's ctx ends (the client left, the server's
// request deadline passed).
//
// # Loading
//
// [Store.CreateMany] stores many resources as Create would, with one COPY
// (fixtures, benchmarks: scimharness load --serve-fixture --database-url),
// and [Store.DeleteTenant] removes a tenant's resources.
//
// # Writes and failures
//
// Update reads the row FOR UPDATE, calls fn, and writes the next version in
// the same transaction; Delete removes the resource and its memberships in
// one transaction. A unique violation (SQLSTATE 23505) is 409 uniqueness. A
// lost connection, a database that is down, a cancelled context, a
// deadlock or serialization failure wrap schema.ErrUnavailable (503), and
// the store recovers by itself when the database is back: the pool pings
// connections idle for more than a second before handing them out and
// drops those that failed, the first connection found dead empties the pool
// (after a restart all of them are), reads are retried once on a fresh
// connection, and writes only when nothing reached the server.
//
// Deletes in one tenant are serialised (an advisory lock that writes adding
// group members share), and those writes look their new members up under
// that lock, dropping the ones that do not exist: no group can gain a
// member while, or after, that member is deleted. A write refused by a
// read-only session (SQLSTATE 25006: a standby, a database set read-only)
// is 503; the pool is emptied and the write tried once more on a fresh
// session, since sessions opened read-only stay so after the database is
// writable again. A full disk (53100) is 507.
package postgres
