package migrations_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/migrations"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqltest"
)

func TestUpFresh(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		testUpFresh(t, sqldb.SQLiteDSN(filepath.Join(t.TempDir(), "m.db")))
	})
	t.Run("postgres", func(t *testing.T) { testUpFresh(t, sqltest.PostgresURL(t)) })
}

// testUpFresh migrates an empty database from two handles at once, as two
// replicas starting together would, and checks each migration is applied
// exactly once.
func testUpFresh(t *testing.T, dsn string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b := sqltest.Open(t, dsn), sqltest.Open(t, dsn)

	list, err := migrations.Status(ctx, a)
	if err != nil {
		t.Fatalf("Status on an empty database: %v", err)
	}
	for _, m := range list {
		if m.Applied {
			t.Fatalf("%s applied on an empty database", m.File)
		}
	}
	if n, err := migrations.Pending(ctx, a); err != nil || n != len(list) {
		t.Fatalf("Pending = %d, %v; want %d", n, err, len(list))
	}
	if err := migrations.Check(ctx, a); !errors.Is(err, storage.ErrBehind) {
		t.Fatalf("Check on an empty database: %v, want ErrBehind", err)
	}

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		applied  = map[string]int{}
		total    int
		errs     = make([]error, 2)
		progress = func(m migrations.Migration, i, n int) {
			mu.Lock()
			defer mu.Unlock()
			applied[m.File]++
			if i < 1 || i > n {
				t.Errorf("progress(%s, %d, %d)", m.File, i, n)
			}
		}
	)
	for i, db := range []*sqldb.DB{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := migrations.Up(ctx, db, progress)
			mu.Lock()
			total += n
			mu.Unlock()
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Up: %v", err)
		}
	}
	if total != len(list) {
		t.Fatalf("the two Up calls applied %d migrations together, want %d", total, len(list))
	}
	for _, m := range list {
		if applied[m.File] != 1 {
			t.Errorf("%s applied %d times", m.File, applied[m.File])
		}
	}
	if err := migrations.Check(ctx, b); err != nil {
		t.Fatalf("Check after Up: %v", err)
	}
	if n, err := migrations.Up(ctx, b, nil); err != nil || n != 0 {
		t.Fatalf("second Up = %d, %v", n, err)
	}
}

func TestUpRace(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		testUpRace(t, sqldb.SQLiteDSN(filepath.Join(t.TempDir(), "m.db")))
	})
	t.Run("postgres", func(t *testing.T) { testUpRace(t, sqltest.PostgresURL(t)) })
}

// testUpRace races three handles through several multi-statement migrations
// that fail if run twice, then checks that a failing migration leaves
// nothing behind.
func testUpRace(t *testing.T, dsn string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var list []migrations.Migration
	for v := int64(1); v <= 6; v++ {
		list = append(list, migrations.NewForTest(v, fmt.Sprintf("race_%d", v), fmt.Sprintf(
			"CREATE TABLE race_%d (id INTEGER PRIMARY KEY);\nINSERT INTO race_%d (id) VALUES (1);\n", v, v)))
	}
	dbs := []*sqldb.DB{sqltest.Open(t, dsn), sqltest.Open(t, dsn), sqltest.Open(t, dsn)}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
		errs  []error
	)
	for _, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := migrations.UpList(ctx, db, list, nil)
			mu.Lock()
			defer mu.Unlock()
			total += n
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("racing Up: %v", errs)
	}
	if total != len(list) {
		t.Fatalf("racing Up applied %d in total, want %d", total, len(list))
	}
	st, err := migrations.StatusList(ctx, dbs[0], list)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range st {
		if !m.Applied {
			t.Errorf("%s not applied", m.File)
		}
	}

	bad := append(list, migrations.NewForTest(7, "broken",
		"CREATE TABLE half_done (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);\n"))
	_, err = migrations.UpList(ctx, dbs[1], bad, nil)
	if err == nil || !strings.Contains(err.Error(), "0007_broken.sql") {
		t.Fatalf("broken migration: %v; want an error naming 0007_broken.sql", err)
	}
	if _, err := dbs[0].Exec(ctx, `SELECT * FROM half_done`); err == nil {
		t.Error("a failed migration left its table behind")
	}
	if st, err := migrations.StatusList(ctx, dbs[0], bad); err != nil || st[6].Applied {
		t.Fatalf("after a failed migration: %v, %+v", err, st)
	}
}
