package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/sqldb"
)

// Run runs the conformance suite. open must return a fresh, migrated
// database for each call; it is called once per subtest.
func Run(t *testing.T, open func(t *testing.T) *sqldb.DB) {
	t.Run("TxCommitRollback", func(t *testing.T) { testTx(t, open(t)) })
	t.Run("ReadTx", func(t *testing.T) { testReadTx(t, open(t)) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, open(t)) })
	t.Run("Conflict", func(t *testing.T) { testConflict(t, open(t)) })
	t.Run("Retry", func(t *testing.T) { testRetry(t, open(t)) })
	t.Run("ConflictingTransactions", func(t *testing.T) { testConflictingTx(t, open(t)) })
	t.Run("ConcurrentWriters", func(t *testing.T) { testConcurrentWriters(t, open(t)) })
	t.Run("Time", func(t *testing.T) { testTime(t, open(t)) })
	t.Run("Migrations", func(t *testing.T) { testMigrations(t, open(t)) })
	t.Run("SystemSecrets", func(t *testing.T) { testSystemSecrets(t, open(t)) })
	t.Run("ClientRegistrationToken", func(t *testing.T) { testClientRegistrationToken(t, open(t)) })
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// scratch creates the tables the suite writes to.
func scratch(t *testing.T, db *sqldb.DB) {
	t.Helper()
	ts := "TIMESTAMPTZ"
	if db.Dialect() == sqldb.SQLite {
		ts = "TIMESTAMP"
	}
	for _, stmt := range []string{
		`CREATE TABLE st_items (id TEXT PRIMARY KEY, n BIGINT NOT NULL DEFAULT 0, at ` + ts + `)`,
		`CREATE TABLE st_children (id TEXT PRIMARY KEY, item_id TEXT NOT NULL REFERENCES st_items (id))`,
	} {
		if _, err := db.Exec(ctxFor(t), stmt); err != nil {
			t.Fatalf("create scratch table: %v", err)
		}
	}
}

func count(t *testing.T, db *sqldb.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(ctxFor(t), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func testTx(t *testing.T, db *sqldb.DB) {
	ctx := ctxFor(t)
	scratch(t, db)
	if err := db.Tx(ctx, func(tx *sqldb.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO st_items (id, n) VALUES (?, ?)`, "committed", 1)
		return err
	}); err != nil {
		t.Fatalf("commit: %v", err)
	}
	errBoom := errors.New("boom")
	err := db.Tx(ctx, func(tx *sqldb.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO st_items (id, n) VALUES (?, ?)`, "rolled-back", 1); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM st_items`).Scan(&n); err != nil || n != 2 {
			t.Errorf("inside tx: count = %d, %v; want 2 (own write visible)", n, err)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("rollback: got %v, want the function's error", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic in Tx was swallowed")
			}
		}()
		_ = db.Tx(ctx, func(tx *sqldb.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO st_items (id) VALUES (?)`, "panicked"); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	rows, err := db.Query(ctx, `SELECT id FROM st_items ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != "committed" {
		t.Fatalf("rows after commit, rollback and panic = %v, want [committed]", ids)
	}
	// The writer is usable after a panic.
	if _, err := db.Exec(ctx, `UPDATE st_items SET n = n + 1 WHERE id = ?`, "committed"); err != nil {
		t.Fatalf("exec after panic: %v", err)
	}
}

func testReadTx(t *testing.T, db *sqldb.DB) {
	ctx := ctxFor(t)
	scratch(t, db)
	if _, err := db.Exec(ctx, `INSERT INTO st_items (id) VALUES ('a')`); err != nil {
		t.Fatal(err)
	}
	wrote := make(chan error, 1)
	err := db.ReadTx(ctx, func(tx *sqldb.Tx) error {
		var before, after int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM st_items`).Scan(&before); err != nil {
			return err
		}
		go func() {
			_, err := db.Exec(ctx, `INSERT INTO st_items (id) VALUES ('b')`)
			wrote <- err
		}()
		// Give the write time to commit where it can (it may instead wait
		// for this read to end, which is also a consistent snapshot).
		select {
		case err := <-wrote:
			wrote <- err
		case <-time.After(200 * time.Millisecond):
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM st_items`).Scan(&after); err != nil {
			return err
		}
		if before != after {
			t.Errorf("snapshot changed inside ReadTx: %d rows then %d", before, after)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO st_items (id) VALUES ('c')`); err == nil {
			t.Error("ReadTx accepted a write")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ReadTx: %v", err)
	}
	if err := <-wrote; err != nil {
		t.Fatalf("concurrent write: %v", err)
	}
	if n := count(t, db, "st_items"); n != 2 {
		t.Fatalf("rows = %d, want 2", n)
	}
}

func testNotFound(t *testing.T, db *sqldb.DB) {
	ctx := ctxFor(t)
	scratch(t, db)
	var id string
	err := db.QueryRow(ctx, `SELECT id FROM st_items WHERE id = ?`, "missing").Scan(&id)
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("QueryRow on no row: got %v, want storage.ErrNotFound", err)
	}
	err = db.Tx(ctx, func(tx *sqldb.Tx) error {
		return tx.QueryRow(ctx, `SELECT id FROM st_items WHERE id = ?`, "missing").Scan(&id)
	})
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Tx QueryRow on no row: got %v, want storage.ErrNotFound", err)
	}
	// Other errors are not mapped to the sentinels.
	_, err = db.Exec(ctx, `INSERT INTO no_such_table (id) VALUES (?)`, "x")
	if err == nil || errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrConflict) || errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("missing table: got %v, want an unclassified error", err)
	}
}

func testConflict(t *testing.T, db *sqldb.DB) {
	ctx := ctxFor(t)
	scratch(t, db)
	if _, err := db.Exec(ctx, `INSERT INTO st_items (id) VALUES (?)`, "dup"); err != nil {
		t.Fatal(err)
	}
	_, err := db.Exec(ctx, `INSERT INTO st_items (id) VALUES (?)`, "dup")
	checkConflict(t, "duplicate primary key", err)

	err = db.Tx(ctx, func(tx *sqldb.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO st_items (id) VALUES (?)`, "dup")
		return err
	})
	checkConflict(t, "duplicate primary key in Tx", err)

	_, err = db.Exec(ctx, `INSERT INTO st_children (id, item_id) VALUES (?, ?)`, "c1", "no-such-item")
	checkConflict(t, "foreign key", err)

	if _, err := db.Exec(ctx, `INSERT INTO st_children (id, item_id) VALUES (?, ?)`, "c1", "dup"); err != nil {
		t.Fatalf("valid child: %v", err)
	}
	_, err = db.Exec(ctx, `DELETE FROM st_items WHERE id = ?`, "dup")
	checkConflict(t, "delete of a referenced row", err)

	// A unique index other than the primary key.
	if _, err := db.Exec(ctx, `CREATE UNIQUE INDEX st_items_n ON st_items (n)`); err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(ctx, `INSERT INTO st_items (id, n) VALUES (?, 0)`, "other")
	checkConflict(t, "unique index", err)
}

func checkConflict(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("%s: got %v, want storage.ErrConflict", what, err)
	}
	var se *sqldb.Error
	if !errors.As(err, &se) || se.Err == nil || se.Kind != storage.ErrConflict {
		t.Fatalf("%s: %v does not carry the driver error in a *sqldb.Error", what, err)
	}
	if !strings.Contains(err.Error(), se.Err.Error()) {
		t.Fatalf("%s: message %q lost the driver's %q", what, err, se.Err)
	}
}

// testConcurrentWriters checks that concurrent writers all land: on SQLite
// they queue for the single writer connection instead of failing busy.
func testConcurrentWriters(t *testing.T, db *sqldb.DB) {
	ctx := ctxFor(t)
	scratch(t, db)
	const workers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("w%d-%d", w, i)
				var err error
				if i%2 == 0 {
					_, err = db.Exec(ctx, `INSERT INTO st_items (id, n) VALUES (?, ?)`, id, i)
				} else {
					err = db.Tx(ctx, func(tx *sqldb.Tx) error {
						_, err := tx.Exec(ctx, `INSERT INTO st_items (id, n) VALUES (?, ?)`, id, i)
						return err
					})
				}
				if err != nil {
					errs <- fmt.Errorf("%s: %w", id, err)
					return
				}
				if i%10 == 0 { // readers run alongside the writers
					var n int
					if err := db.QueryRow(ctx, `SELECT count(*) FROM st_items`).Scan(&n); err != nil {
						errs <- fmt.Errorf("read: %w", err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := count(t, db, "st_items"); n != workers*each {
		t.Fatalf("rows = %d, want %d", n, workers*each)
	}
}
