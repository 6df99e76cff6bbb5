package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"
)

// TxOptions tune TxWith.
type TxOptions struct {
	// ReadOnly runs the transaction on the reader pool as a consistent
	// snapshot that cannot write.
	ReadOnly bool
	// Isolation overrides the PostgreSQL isolation level. The default is
	// SERIALIZABLE for writes (matching SQLite's single writer and
	// CockroachDB) and REPEATABLE READ for read-only snapshots. SQLite
	// ignores it: its transactions are always serializable.
	Isolation sql.IsolationLevel
}

// Tx is a transaction inside Tx, ReadTx or TxWith. It must not be used after
// the function it was passed to returns.
type Tx struct {
	tx       *sql.Tx
	db       *DB
	readOnly bool
	unseen   []string // statements run unprepared, to prepare after the transaction
}

// Dialect reports which database this is.
func (tx *Tx) Dialect() Dialect { return tx.db.dialect }

// Exec runs a statement in the transaction.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	q, a := tx.db.query(query, len(args)), convertArgs(tx.db.dialect, args)
	if st := tx.stmt(ctx, q); st != nil {
		res, err := st.ExecContext(ctx, a...)
		return res, MapError(err)
	}
	res, err := tx.tx.ExecContext(ctx, q, a...)
	return res, MapError(err)
}

// Query runs a query in the transaction.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*Rows, error) {
	q, a := tx.db.query(query, len(args)), convertArgs(tx.db.dialect, args)
	var (
		rows *sql.Rows
		err  error
	)
	if st := tx.stmt(ctx, q); st != nil {
		rows, err = st.QueryContext(ctx, a...)
	} else {
		rows, err = tx.tx.QueryContext(ctx, q, a...)
	}
	if err != nil {
		return nil, MapError(err)
	}
	return &Rows{rows}, nil
}

// QueryRow runs a query expected to return at most one row.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *Row {
	q, a := tx.db.query(query, len(args)), convertArgs(tx.db.dialect, args)
	if st := tx.stmt(ctx, q); st != nil {
		return &Row{st.QueryRowContext(ctx, a...)}
	}
	return &Row{tx.tx.QueryRowContext(ctx, q, a...)}
}

// stmt returns q prepared for this transaction, reusing the statement its
// connection already prepared, or nil to run q unprepared. Only SQLite
// gains from it: the PostgreSQL driver keeps its own per-connection cache.
func (tx *Tx) stmt(ctx context.Context, q string) *sql.Stmt {
	if tx.db.dialect != SQLite {
		return nil
	}
	// Preparing needs a connection of the pool while this transaction
	// holds one (on the writer, the only one), so a statement not yet
	// prepared runs unprepared now and is prepared once the transaction
	// has let its connection go.
	cache := &tx.db.wstmts
	if tx.readOnly {
		cache = &tx.db.stmts
	}
	v, ok := cache.Load(q)
	if !ok {
		if len(tx.unseen) < 16 {
			tx.unseen = append(tx.unseen, q)
		}
		return nil
	}
	return tx.tx.StmtContext(ctx, v.(*sql.Stmt))
}

// prepareUnseen prepares, outside any transaction, the statements a
// transaction ran unprepared.
func (db *DB) prepareUnseen(ctx context.Context, t *Tx) {
	for _, q := range t.unseen {
		if t.readOnly {
			db.prepared(ctx, q)
		} else {
			db.preparedWrite(ctx, q)
		}
	}
}

// Tx runs fn in a write transaction and commits it if fn returns nil. When
// fn or the commit fails because the transaction lost a race (see
// Retryable), the whole of fn runs again in a new transaction, up to
// Options.MaxAttempts times with jittered backoff, while ctx allows: fn must
// therefore have no effects outside the transaction, or tolerate repeats.
// On SQLite the transaction begins IMMEDIATE on the single writer connection,
// so writers queue rather than fail; do not call db.Exec or db.Tx from
// inside fn (the writer is taken): use tx.
func (db *DB) Tx(ctx context.Context, fn func(tx *Tx) error) error {
	return db.TxWith(ctx, TxOptions{}, fn)
}

// ReadTx runs fn in a read-only transaction on the reader pool, so every
// query in fn sees the same snapshot. It is retried like Tx.
func (db *DB) ReadTx(ctx context.Context, fn func(tx *Tx) error) error {
	return db.TxWith(ctx, TxOptions{ReadOnly: true}, fn)
}

// TxWith is Tx with options.
func (db *DB) TxWith(ctx context.Context, o TxOptions, fn func(tx *Tx) error) error {
	pool := db.writer
	opts := &sql.TxOptions{ReadOnly: o.ReadOnly}
	if o.ReadOnly {
		pool = db.reader
	} else {
		db.writes.Add(1)
	}
	if db.dialect == Postgres {
		opts.Isolation = o.Isolation
		if opts.Isolation == sql.LevelDefault {
			opts.Isolation = sql.LevelSerializable
			if o.ReadOnly {
				opts.Isolation = sql.LevelRepeatableRead
			}
		}
	}
	return MapError(db.retry(ctx, func() error { return db.runTx(ctx, pool, opts, fn) }))
}

func (db *DB) runTx(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, fn func(tx *Tx) error) (err error) {
	stx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			_ = stx.Rollback() // fn panicked; the panic carries on
		}
	}()
	t := &Tx{tx: stx, db: db, readOnly: opts.ReadOnly}
	err = fn(t)
	done = true
	if len(t.unseen) > 0 {
		defer db.prepareUnseen(context.WithoutCancel(ctx), t) // after the commit or rollback below
	}
	if err != nil || opts.ReadOnly {
		// A read-only transaction has nothing to commit; ending it with
		// a rollback also ends it cleanly after a refused statement.
		if rerr := stx.Rollback(); err == nil && rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return rerr
		}
		return err
	}
	return stx.Commit()
}

// retry runs op until it succeeds, fails with an error that is not
// Retryable, runs out of attempts, or ctx ends.
func (db *DB) retry(ctx context.Context, op func() error) error {
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || !Retryable(err) || attempt >= db.opts.MaxAttempts || ctx.Err() != nil {
			return err
		}
		db.retries.Add(1)
		t := time.NewTimer(backoff(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// backoff returns the pause before attempt+1: exponential from 2ms, capped
// at 200ms, jittered over its upper half so competing transactions spread out.
func backoff(attempt int) time.Duration {
	ceil := 2 * time.Millisecond << min(attempt-1, 7)
	ceil = min(ceil, 200*time.Millisecond)
	return ceil/2 + rand.N(ceil/2+1)
}
