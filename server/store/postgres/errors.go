package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/scimharness/scimharness/server/schema"
)

// ErrInvalidURL marks an error of [Open] caused by a database URL that
// cannot be parsed, as opposed to a database that cannot be reached: the
// command line answers the first with a usage error.
var ErrInvalidURL = errors.New("invalid database URL")

// fnError carries an error returned by an Update fn or a Delete check
// through the transaction helpers, so that it reaches the caller as is
// (errors.Is on it must hold) rather than being mapped.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// unavailable wraps err as schema.ErrUnavailable, the error the server
// answers with 503: IdPs retry those, where a 500 would make them give up.
func unavailable(err error) error {
	return fmt.Errorf("postgres store: %w: %w", schema.ErrUnavailable, err)
}

// insufficientStorage is 507 for a database out of disk: a *schema.Error
// for the client (errors.As finds it) that keeps the cause for the log.
type insufficientStorage struct{ cause error }

func (e insufficientStorage) Error() string {
	return "postgres store: out of storage: " + e.cause.Error()
}
func (e insufficientStorage) Unwrap() []error {
	return []error{schema.StatusError(http.StatusInsufficientStorage, "the service is out of storage; retry later"), e.cause}
}

// cancelled turns a done context into the store's error for it, as the
// memory store does: a wrapped ErrUnavailable that still matches
// context.Canceled or DeadlineExceeded.
func cancelled(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

// mapError turns an error of pgx into the store's errors (see store.Store):
// SCIM errors pass through; a unique violation is 409 uniqueness (the
// message built by uniq, which knows the document); text PostgreSQL cannot
// hold is 400 invalidValue; a lost or refused connection, an ended ctx, a
// server shutting down or out of resources, a read-only database, a
// deadlock or serialization failure all wrap schema.ErrUnavailable (503,
// worth a retry); a full disk is 507; anything else is an internal error
// (500) whose text the server does not show (it logs it).
func mapError(ctx context.Context, err error, uniq func(constraint string) error) error {
	if err == nil {
		return nil
	}
	var fe fnError
	if errors.As(err, &fe) {
		return fe.err
	}
	var se *schema.Error
	if errors.As(err, &se) {
		return err
	}
	if errors.Is(err, schema.ErrUnavailable) {
		return err
	}
	if ctx.Err() != nil {
		return unavailable(errors.Join(ctx.Err(), err))
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return unavailable(err)
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		// No connection could be made: down, restarting, refusing
		// connections to this database, out of connection slots.
		return unavailable(err)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		// Not an answer of the server: the connection failed (refused,
		// reset, closed, timed out).
		return unavailable(err)
	}
	switch {
	case pe.Code == "23505" && uniq != nil:
		return uniq(pe.ConstraintName)
	case pe.Code == "22P05" || pe.Code == "22021" || pe.Code == "54000":
		// untranslatable character (\u0000 in jsonb), invalid byte
		// sequence, value too long for an index row.
		return schema.Errorf(schema.InvalidValue, "the resource holds a value the database cannot store: %s", pe.Message)
	}
	switch pe.Code {
	case "25006":
		// read_only_sql_transaction: a standby, or a database set
		// read-only. Writes may work again soon (Store.write replaces the
		// sessions).
		return unavailable(err)
	case "53100":
		// disk_full: 507 Insufficient Storage (RFC 4918 §11.5), with the
		// SCIM error body; the server adds Retry-After.
		return insufficientStorage{err}
	}
	class := pe.Code
	if len(class) > 2 {
		class = class[:2]
	}
	switch class {
	case "08", // connection exception
		"40", // transaction rollback: serialization failure, deadlock
		"53", // insufficient resources: too many connections, disk full
		"57", // operator intervention: shutdown, terminated backend, cancel
		"58": // system error
		return unavailable(err)
	}
	return fmt.Errorf("postgres store: %w", err)
}
