package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"

	"github.com/warden-iam/warden/internal/storage"
)

// SQLite result codes this package classifies. Extended codes carry the
// primary code in their low byte.
const (
	sqliteBusy             = 5
	sqliteLocked           = 6
	sqliteCantOpen         = 14
	sqliteConstraintFK     = 787  // SQLITE_CONSTRAINT_FOREIGNKEY
	sqliteConstraintPK     = 1555 // SQLITE_CONSTRAINT_PRIMARYKEY
	sqliteConstraintUnique = 2067 // SQLITE_CONSTRAINT_UNIQUE
	sqliteConstraintRowID  = 2579 // SQLITE_CONSTRAINT_ROWID
)

// Error is a driver error classified as one of the storage sentinels. Both
// the sentinel and the driver error are reachable with errors.Is and
// errors.As; Err is the driver error itself.
type Error struct {
	// Kind is storage.ErrNotFound, storage.ErrConflict or storage.ErrUnavailable.
	Kind error
	// Err is the error the driver returned.
	Err error
}

func (e *Error) Error() string { return e.Kind.Error() + ": " + e.Err.Error() }

// Unwrap returns the sentinel and the driver error.
func (e *Error) Unwrap() []error { return []error{e.Kind, e.Err} }

// MapError classifies a driver error: sql.ErrNoRows becomes
// storage.ErrNotFound, unique and foreign-key violations become
// storage.ErrConflict, and refused or closed connections become
// storage.ErrUnavailable, each wrapped in an *Error that keeps the original.
// Other errors, nil, context errors and errors already classified are
// returned unchanged. MapError is idempotent.
func MapError(err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) ||
		errors.Is(err, storage.ErrNotFound) ||
		errors.Is(err, storage.ErrConflict) ||
		errors.Is(err, storage.ErrUnavailable) {
		return err
	}
	if kind := classify(err); kind != nil {
		return &Error{Kind: kind, Err: err}
	}
	return err
}

func classify(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return storage.ErrNotFound
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqliteConstraintUnique, sqliteConstraintPK, sqliteConstraintFK, sqliteConstraintRowID:
			return storage.ErrConflict
		}
		if se.Code()&0xff == sqliteCantOpen {
			return storage.ErrUnavailable
		}
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505", pe.Code == "23503":
			return storage.ErrConflict
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", // shutdown, cannot connect now
			pe.Code == "53300": // too many connections
			return storage.ErrUnavailable
		}
		return nil
	}
	var ce *pgconn.ConnectError
	var oe *net.OpError
	switch {
	case errors.As(err, &ce),
		errors.As(err, &oe),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, driver.ErrBadConn),
		errors.Is(err, sql.ErrConnDone),
		strings.Contains(err.Error(), "sql: database is closed"):
		return storage.ErrUnavailable
	}
	return nil
}

// Retryable reports whether err means the transaction lost a race and running
// it again may succeed: SQLITE_BUSY or SQLITE_LOCKED (any extended code), or
// PostgreSQL serialization_failure (40001) or deadlock_detected (40P01).
// It looks through wrapping, including *Error.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqliteBusy || c == sqliteLocked
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	return false
}
