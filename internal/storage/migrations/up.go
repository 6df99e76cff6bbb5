package migrations

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/sqldb"
)

// bootstrap creates the bookkeeping tables; it runs before any migration.
var bootstrap = map[sqldb.Dialect][]string{
	sqldb.SQLite: {
		`CREATE TABLE IF NOT EXISTS migrations (
			version    INTEGER   PRIMARY KEY,
			name       TEXT      NOT NULL,
			checksum   TEXT      NOT NULL,
			applied_at TIMESTAMP NOT NULL
		)`,
		`CREATE TABLE IF NOT EXISTS migrations_lock (
			id        INTEGER PRIMARY KEY,
			locked_at TIMESTAMP
		)`,
		`INSERT INTO migrations_lock (id) VALUES (1) ON CONFLICT DO NOTHING`,
	},
	sqldb.Postgres: {
		`CREATE TABLE IF NOT EXISTS migrations (
			version    BIGINT      PRIMARY KEY,
			name       TEXT        NOT NULL,
			checksum   TEXT        NOT NULL,
			applied_at TIMESTAMPTZ NOT NULL
		)`,
		`CREATE TABLE IF NOT EXISTS migrations_lock (
			id        INTEGER PRIMARY KEY,
			locked_at TIMESTAMPTZ
		)`,
		`INSERT INTO migrations_lock (id) VALUES (1) ON CONFLICT DO NOTHING`,
	},
}

// Up applies every pending migration in version order, each file in its own
// transaction together with its record in the migrations table, and calls
// progress (if not nil) after each with its 1-based index among the n that
// were pending when Up started. It returns how many this call applied.
//
// Up is safe when several processes run it at once: every migration
// transaction first takes the row in migrations_lock (UPDATE, which blocks
// other writers to it on PostgreSQL and CockroachDB; SQLite's transactions
// already hold the database's write lock), then re-reads what is applied,
// so each migration is applied exactly once. Before applying anything, Up
// fails with ErrChanged or ErrUnknown as Status does.
func Up(ctx context.Context, db *sqldb.DB, progress func(m Migration, i, n int)) (applied int, err error) {
	list, err := known(db.Dialect())
	if err != nil {
		return 0, err
	}
	return up(ctx, db, list, progress)
}

func up(ctx context.Context, db *sqldb.DB, list []Migration, progress func(m Migration, i, n int)) (applied int, err error) {
	if err := ensureTables(ctx, db); err != nil {
		return 0, err
	}
	current, err := status(ctx, db, list)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, m := range current {
		if !m.Applied {
			total++
		}
	}
	for {
		var done *Migration
		err := db.TxWith(ctx, sqldb.TxOptions{Isolation: sql.LevelReadCommitted}, func(tx *sqldb.Tx) error {
			done = nil
			if _, err := tx.Exec(ctx, `UPDATE migrations_lock SET locked_at = ? WHERE id = 1`, sqldb.Now()); err != nil {
				return fmt.Errorf("migrations: take lock: %w", err)
			}
			rec, err := readApplied(ctx, tx)
			if err != nil {
				return err
			}
			merged, err := merge(list, rec)
			if err != nil {
				return err
			}
			for _, m := range merged {
				if m.Applied {
					continue
				}
				if _, err := tx.Exec(ctx, m.sql); err != nil {
					return fmt.Errorf("migration %s: %w", m.File, err)
				}
				if _, err := tx.Exec(ctx, `INSERT INTO migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)`,
					m.Version, m.Name, m.Checksum, sqldb.Now()); err != nil {
					return fmt.Errorf("migration %s: record: %w", m.File, err)
				}
				done = &m
				return nil
			}
			return nil
		})
		if err != nil {
			return applied, err
		}
		if done == nil {
			return applied, nil
		}
		applied++
		if progress != nil {
			progress(*done, applied, max(total, applied))
		}
	}
}

// ensureTables creates the bookkeeping tables if needed. Two processes
// creating them at once can collide in PostgreSQL's catalog; the loser just
// tries again and finds them.
func ensureTables(ctx context.Context, db *sqldb.DB) error {
	var last error
	for attempt := 0; attempt < 5; attempt++ {
		haveM, err := tableExists(ctx, db, db.Dialect(), "migrations")
		if err != nil {
			return err
		}
		haveL, err := tableExists(ctx, db, db.Dialect(), "migrations_lock")
		if err != nil {
			return err
		}
		if haveM && haveL {
			// The lock row may be missing if a bootstrap was interrupted on
			// a database without transactional DDL.
			_, err := db.Exec(ctx, `INSERT INTO migrations_lock (id) VALUES (1) ON CONFLICT DO NOTHING`)
			return err
		}
		last = db.Tx(ctx, func(tx *sqldb.Tx) error {
			for _, stmt := range bootstrap[db.Dialect()] {
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return err
				}
			}
			return nil
		})
		if last == nil {
			return nil
		}
		if !raceLost(last) {
			break
		}
	}
	return fmt.Errorf("migrations: create the migrations table: %w", last)
}

// raceLost reports whether err comes from another process creating the
// same tables at the same moment.
func raceLost(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "42P07" || pe.Code == "42710") { // duplicate_table, duplicate_object
		return true
	}
	return errors.Is(err, storage.ErrConflict) || sqldb.Retryable(err)
}
