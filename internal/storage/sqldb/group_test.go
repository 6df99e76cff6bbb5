package sqldb

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/warden-iam/warden/internal/storage"
)

// queued runs call(i) for each i < n in goroutines that queue for the
// writer while another handle holds the write lock, lets the lock go once
// all n wait in the group queue or in the group the leader is trying to
// begin (so that they are sure to be grouped), and returns each call's
// error and what it panicked with.
func queued(t *testing.T, db *DB, path string, n int, call func(i int) error) ([]error, []any) {
	t.Helper()
	release := lockFrom(t, path)
	errs, panics := make([]error, n), make([]any, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { panics[i] = recover() }()
			errs[i] = call(i)
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		db.group.mu.Lock()
		q := len(db.group.queue) + db.group.running
		db.group.mu.Unlock()
		if q >= n {
			break
		}
		if time.Now().After(deadline) {
			release()
			wg.Wait()
			t.Fatalf("only %d callers queued, want %d", q, n)
		}
		time.Sleep(time.Millisecond)
	}
	release()
	wg.Wait()
	return errs, panics
}

func count(t *testing.T, db *DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Writes that queue together commit together, each exactly once, and a
// failing write (a duplicate here) fails alone: the others of its group
// still commit.
func TestGroupedWritesCommitOnceAndFailAlone(t *testing.T) {
	db, path := openFile(t, Options{})
	ctx := context.Background()
	if _, err := db.Exec(ctx, `INSERT INTO t (v) VALUES ('taken')`); err != nil {
		t.Fatal(err)
	}
	const n = 40
	errs, _ := queued(t, db, path, n, func(i int) error {
		v := fmt.Sprint("v", i)
		if i%10 == 3 {
			v = "taken"
		}
		_, err := db.Exec(ctx, `INSERT INTO t (v) VALUES (?)`, v)
		return err
	})
	for i, err := range errs {
		if i%10 == 3 {
			if !errors.Is(err, storage.ErrConflict) {
				t.Errorf("duplicate %d: %v, want a conflict", i, err)
			}
		} else if err != nil {
			t.Errorf("insert %d: %v", i, err)
		}
	}
	if got := count(t, db, `SELECT COUNT(*) FROM t`); got != 1+n-n/10 {
		t.Errorf("%d rows, want %d", got, 1+n-n/10)
	}
	if got := count(t, db, `SELECT COUNT(DISTINCT v) FROM t`); got != 1+n-n/10 {
		t.Errorf("%d distinct rows, want %d", got, 1+n-n/10)
	}
}

// A function that fails before writing (Unwritten) leaves its group's
// transaction running: the others commit in it, and the caller gets its
// own error.
func TestGroupedUnwrittenKeepsTheGroup(t *testing.T) {
	db, path := openFile(t, Options{})
	ctx := context.Background()
	errNo := errors.New("nothing to do")
	const n = 20
	before := db.GroupStats()
	errs, _ := queued(t, db, path, n, func(i int) error {
		return db.Grouped(ctx, func(tx *Tx) error {
			if i%2 == 1 {
				return Unwritten(errNo)
			}
			_, err := tx.Exec(ctx, `INSERT INTO t (v) VALUES (?)`, fmt.Sprint("u", i))
			return err
		})
	})
	for i, err := range errs {
		if i%2 == 1 && (!errors.Is(err, errNo) || errors.As(err, new(unwrittenError))) {
			t.Errorf("caller %d: %v, want its own error unmarked", i, err)
		}
		if i%2 == 0 && err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	if got := count(t, db, `SELECT COUNT(*) FROM t`); got != n/2 {
		t.Errorf("%d rows, want %d", got, n/2)
	}
	after := db.GroupStats()
	// All but perhaps the first leader's own call, which may have taken its
	// group before anyone else queued, were committed in groups: none of
	// the groups fell back to one transaction per call.
	if after.Writes-before.Writes < n-1 {
		t.Errorf("the group fell apart: %+v -> %+v", before, after)
	}
}

// A caller whose function panics gets the panic in its own goroutine; the
// others of the group still commit, and the next writes go on.
func TestGroupedPanicStaysWithItsCaller(t *testing.T) {
	db, path := openFile(t, Options{})
	ctx := context.Background()
	const n = 10
	errs, panics := queued(t, db, path, n, func(i int) error {
		return db.Grouped(ctx, func(tx *Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO t (v) VALUES (?)`, fmt.Sprint("p", i)); err != nil {
				return err
			}
			if i == 4 {
				panic("boom")
			}
			return nil
		})
	})
	for i := range n {
		if i == 4 {
			if panics[i] != "boom" {
				t.Errorf("caller 4 recovered %v, want its panic", panics[i])
			}
			continue
		}
		if panics[i] != nil || errs[i] != nil {
			t.Errorf("caller %d: panic %v, err %v", i, panics[i], errs[i])
		}
	}
	if got := count(t, db, `SELECT COUNT(*) FROM t`); got != n-1 {
		t.Errorf("%d rows, want %d", got, n-1)
	}
	if _, err := db.Exec(ctx, `INSERT INTO t (v) VALUES ('after')`); err != nil {
		t.Fatalf("write after the panic: %v", err)
	}
}

// A caller whose context ends while it waits gets the context's error and
// its write is not made.
func TestGroupedCanceledWhileQueued(t *testing.T) {
	db, path := openFile(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	lead := make(chan error, 1)
	release := lockFrom(t, path)
	go func() { // the leader, waiting for the lock
		_, err := db.Exec(context.Background(), `INSERT INTO t (v) VALUES ('first')`)
		lead <- err
	}()
	for { // until the leader has taken its group and waits for the lock
		db.group.mu.Lock()
		running := db.group.running
		db.group.mu.Unlock()
		if running == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	go func() {
		_, err := db.Exec(ctx, `INSERT INTO t (v) VALUES ('canceled')`)
		done <- err
	}()
	for {
		db.group.mu.Lock()
		q := len(db.group.queue)
		db.group.mu.Unlock()
		if q == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	release()
	if err := <-lead; err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled caller: %v", err)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM t WHERE v = 'canceled'`); got != 0 {
		t.Fatal("the canceled write was made")
	}
}
