package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/sqldb"
)

// testRetry checks Tx's retry loop with the driver's own error type for a
// lost race: the function runs again, its earlier attempts leave nothing
// behind, other errors are not retried, attempts are bounded and a done
// context stops the loop.
func testRetry(t *testing.T, db *sqldb.DB) {
	ctx := ctxFor(t)
	scratch(t, db)
	lost := func() error { return &pgconn.PgError{Code: "40001", Message: "could not serialize access"} }

	calls := 0
	before := db.Retries()
	err := db.Tx(ctx, func(tx *sqldb.Tx) error {
		calls++
		if _, err := tx.Exec(ctx, `INSERT INTO st_items (id) VALUES (?)`, fmt.Sprint("attempt", calls)); err != nil {
			return err
		}
		if calls < 3 {
			return fmt.Errorf("wrapped: %w", lost())
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("Tx = %v after %d calls, want success after 3", err, calls)
	}
	if got := db.Retries() - before; got != 2 {
		t.Errorf("Retries() grew by %d, want 2", got)
	}
	var id string
	if err := db.QueryRow(ctx, `SELECT id FROM st_items`).Scan(&id); err != nil || id != "attempt3" {
		t.Fatalf("rows after retries: %q, %v; want only attempt3", id, err)
	}

	calls = 0
	err = db.Tx(ctx, func(tx *sqldb.Tx) error {
		calls++
		return &pgconn.PgError{Code: "23505", Message: "duplicate key"}
	})
	if calls != 1 || !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("non-retryable error: %d calls, %v; want 1 call and ErrConflict", calls, err)
	}

	calls = 0
	err = db.Tx(ctx, func(tx *sqldb.Tx) error { calls++; return lost() })
	if calls < 2 || calls > 20 || !sqldb.Retryable(err) {
		t.Fatalf("always losing: %d calls, %v; want a bounded number of attempts and the last error", calls, err)
	}

	cctx, cancel := context.WithCancel(ctx)
	calls = 0
	err = db.Tx(cctx, func(tx *sqldb.Tx) error { calls++; cancel(); return lost() })
	if calls != 1 || err == nil {
		t.Fatalf("cancelled context: %d calls, %v; want 1 call and an error", calls, err)
	}
}

// testConflictingTx runs concurrent read-modify-write transactions on one
// counter so that they really collide: on PostgreSQL the losers get a
// serialization failure from the server and are retried; on SQLite they
// queue for the writer. No increment may be lost.
func testConflictingTx(t *testing.T, db *sqldb.DB) {
	ctx := ctxFor(t)
	scratch(t, db)
	if _, err := db.Exec(ctx, `INSERT INTO st_items (id, n) VALUES ('counter', 0)`); err != nil {
		t.Fatal(err)
	}
	const workers = 3
	var (
		arrived sync.WaitGroup
		allRead = make(chan struct{})
		mu      sync.Mutex
		seen    []error // errors the writes met inside the transactions
		wg      sync.WaitGroup
		errs    = make(chan error, workers)
	)
	arrived.Add(workers)
	go func() { arrived.Wait(); close(allRead) }()
	before := db.Retries()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			attempt := 0
			errs <- db.Tx(ctx, func(tx *sqldb.Tx) error {
				attempt++
				var n int64
				if err := tx.QueryRow(ctx, `SELECT n FROM st_items WHERE id = 'counter'`).Scan(&n); err != nil {
					return err
				}
				if attempt == 1 {
					// Wait until every worker has read, where the database
					// lets them run side by side.
					arrived.Done()
					select {
					case <-allRead:
					case <-time.After(150 * time.Millisecond):
					}
				}
				_, err := tx.Exec(ctx, `UPDATE st_items SET n = ? WHERE id = 'counter'`, n+1)
				if err != nil {
					mu.Lock()
					seen = append(seen, err)
					mu.Unlock()
				}
				return err
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Tx: %v", err)
		}
	}
	var n int64
	if err := db.QueryRow(ctx, `SELECT n FROM st_items WHERE id = 'counter'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != workers {
		t.Fatalf("counter = %d, want %d: an increment was lost", n, workers)
	}
	for _, err := range seen {
		if !sqldb.Retryable(err) {
			t.Errorf("a write failed with %v, which is not a retryable race", err)
		}
	}
	if db.Dialect() == sqldb.Postgres {
		if len(seen) == 0 || db.Retries() == before {
			t.Errorf("no serialization failure was met and retried (errors %v, retries %d)", seen, db.Retries()-before)
		}
		t.Logf("%d conflicting writes retried", len(seen))
	}
}
