package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-iam/warden/internal/storage"
)

func openFile(t *testing.T, opts Options) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := Open(context.Background(), SQLiteDSN(path), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(context.Background(), `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)`); err != nil {
		t.Fatal(err)
	}
	return db, path
}

// lockFrom holds the database's write lock from another handle, as another
// process would, until release is called.
func lockFrom(t *testing.T, path string) (release func()) {
	t.Helper()
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
			conn.Close()
			other.Close()
		})
	}
	t.Cleanup(release)
	return release
}

// TestRetryableRealErrors classifies errors produced by the drivers
// themselves.
func TestRetryableRealErrors(t *testing.T) {
	db, path := openFile(t, Options{BusyTimeout: 10 * time.Millisecond, MaxAttempts: 1})
	ctx := context.Background()
	release := lockFrom(t, path)
	_, err := db.Exec(ctx, `INSERT INTO t (v) VALUES ('x')`)
	if err == nil || !Retryable(err) {
		t.Fatalf("write while another handle holds the lock: %v; want a retryable SQLITE_BUSY", err)
	}
	if !strings.Contains(err.Error(), "SQLITE_BUSY") {
		t.Errorf("busy error message %q", err)
	}
	release()
	if _, err := db.Exec(ctx, `INSERT INTO t (v) VALUES ('x')`); err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(ctx, `INSERT INTO t (v) VALUES ('x')`)
	if Retryable(err) || !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("unique violation: %v; want ErrConflict, not retryable", err)
	}
	_, err = db.Exec(ctx, `INSERT INTO nope VALUES (1)`)
	if Retryable(err) || err == nil {
		t.Fatalf("syntax error: %v", err)
	}
	for code, want := range map[string]bool{"40001": true, "40P01": true, "23505": false, "08006": false} {
		if got := Retryable(fmt.Errorf("x: %w", &pgconn.PgError{Code: code})); got != want {
			t.Errorf("Retryable(PgError %s) = %v", code, got)
		}
	}
	if Retryable(nil) || Retryable(errors.New("busy")) {
		t.Error("Retryable of a plain error")
	}
}

// TestTxRetriesBusy runs a transaction while another handle holds the write
// lock: the first attempts fail with SQLITE_BUSY and are retried until the
// lock goes away.
func TestTxRetriesBusy(t *testing.T) {
	db, path := openFile(t, Options{BusyTimeout: 20 * time.Millisecond})
	release := lockFrom(t, path)
	go func() {
		time.Sleep(120 * time.Millisecond)
		release()
	}()
	calls := 0
	err := db.Tx(context.Background(), func(tx *Tx) error {
		calls++
		_, err := tx.Exec(context.Background(), `INSERT INTO t (v) VALUES ('after-busy')`)
		return err
	})
	if err != nil {
		t.Fatalf("Tx: %v", err)
	}
	if db.Retries() == 0 {
		t.Fatal("no retry recorded although the database was locked")
	}
	t.Logf("%d retries, fn called %d times", db.Retries(), calls)

	// With the lock held for good, attempts run out and the busy error is
	// returned.
	lockFrom(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = db.Tx(ctx, func(tx *Tx) error { return nil })
	if !Retryable(err) {
		t.Fatalf("Tx under a lock that stays: %v; want the busy error", err)
	}
}

func TestMapError(t *testing.T) {
	if MapError(nil) != nil {
		t.Fatal("MapError(nil) != nil")
	}
	plain := errors.New("plain")
	if MapError(plain) != plain {
		t.Fatal("plain error changed")
	}
	if MapError(context.Canceled) != context.Canceled {
		t.Fatal("context error changed")
	}
	nf := MapError(fmt.Errorf("get: %w", sql.ErrNoRows))
	if !errors.Is(nf, storage.ErrNotFound) || !errors.Is(nf, sql.ErrNoRows) {
		t.Fatalf("no rows: %v", nf)
	}
	if MapError(nf) != nf {
		t.Fatal("MapError is not idempotent")
	}
	for code, want := range map[string]error{"23505": storage.ErrConflict, "23503": storage.ErrConflict, "08006": storage.ErrUnavailable, "57P01": storage.ErrUnavailable, "42P01": nil} {
		pe := &pgconn.PgError{Code: code, Message: "m" + code}
		err := MapError(pe)
		var got *pgconn.PgError
		if !errors.As(err, &got) || got != pe {
			t.Errorf("%s: driver error lost in %v", code, err)
		}
		if want == nil {
			if err != error(pe) {
				t.Errorf("%s: mapped to %v", code, err)
			}
			continue
		}
		if !errors.Is(err, want) || !strings.Contains(err.Error(), "m"+code) {
			t.Errorf("%s: %v, want %v with the driver message", code, err, want)
		}
	}
}

func TestClosedIsUnavailable(t *testing.T) {
	db, _ := openFile(t, Options{})
	db.Close()
	if _, err := db.Exec(context.Background(), `INSERT INTO t (v) VALUES ('x')`); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("Exec on closed DB: %v", err)
	}
	if err := db.QueryRow(context.Background(), `SELECT 1`).Scan(new(int)); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("QueryRow on closed DB: %v", err)
	}
	if err := db.Ping(context.Background()); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("Ping on closed DB: %v", err)
	}
}

func TestReaderIsReadOnly(t *testing.T) {
	for _, dsn := range []string{"memory", SQLiteDSN(filepath.Join(t.TempDir(), "r.db"))} {
		db, err := Open(context.Background(), dsn, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(context.Background(), `CREATE TABLE t (x INTEGER)`); err != nil {
			t.Fatal(err)
		}
		rows, err := db.Query(context.Background(), `INSERT INTO t VALUES (1) RETURNING x`)
		if err == nil {
			rows.Close()
			t.Errorf("%s: the read pool accepted a write", dsn)
		}
	}
}

func TestMemoryIsPrivate(t *testing.T) {
	ctx := context.Background()
	a, err := Open(ctx, "memory", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, "memory", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := a.Exec(ctx, `CREATE TABLE only_in_a (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exec(ctx, `INSERT INTO only_in_a VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	// Every reader connection sees the writer's data.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var n int
			if err := a.QueryRow(ctx, `SELECT count(*) FROM only_in_a`).Scan(&n); err != nil || n != 1 {
				t.Errorf("reader: %d, %v", n, err)
			}
		}()
	}
	wg.Wait()
	if _, err := b.Exec(ctx, `SELECT * FROM only_in_a`); err == nil {
		t.Fatal("a second memory database sees the first one's table")
	}
}

func TestTimeScan(t *testing.T) {
	want := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	for _, src := range []any{
		want, want.In(time.FixedZone("X", 3600)), "2024-05-06T07:08:09.123456+00:00", []byte("2024-05-06 07:08:09.123456Z"),
		"2024-05-06T09:08:09.123456+02:00", want.UnixMicro(), "2024-05-06 07:08:09.123456 +0000 UTC",
	} {
		var got Time
		if err := got.Scan(src); err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("Scan(%T %v) = %v, %v", src, src, got.Time, err)
		}
	}
	var got Time
	if err := got.Scan(nil); err != nil || !got.IsZero() {
		t.Errorf("Scan(nil) = %v, %v", got, err)
	}
	if err := got.Scan("yesterday"); err == nil {
		t.Error("Scan of garbage succeeded")
	}
	if v, _ := (Time{}).Value(); v != nil {
		t.Errorf("zero Time value = %v, want NULL", v)
	}
	if s := formatSQLiteTime(time.Date(2024, 1, 2, 3, 4, 5, 6789, time.FixedZone("X", -3600))); s != "2024-01-02T04:04:05.000006+00:00" {
		t.Errorf("stored form %q", s)
	}
	if n := Now(); n.Location() != time.UTC || n.Nanosecond()%1000 != 0 {
		t.Errorf("Now() = %v", n)
	}
}

func TestCollectorAndStats(t *testing.T) {
	db, _ := openFile(t, Options{MaxConns: 3})
	if s := db.Stats(); s.MaxOpenConnections != 4 {
		t.Errorf("Stats().MaxOpenConnections = %d, want 1 writer + 3 readers", s.MaxOpenConnections)
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(Collector(db)); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := 0
	maxOpen := map[string]float64{}
	for _, f := range families {
		series += len(f.GetMetric())
		if f.GetName() != "warden_db_max_open_connections" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "pool" {
					maxOpen[l.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
	}
	if series != 15 { // 6 series per pool, 2 pools, plus retries and the two group counters
		t.Errorf("%d series, want 15", series)
	}
	if maxOpen["writer"] != 1 || maxOpen["reader"] != 3 {
		t.Errorf("max open connections by pool = %v", maxOpen)
	}
}

type expiry time.Time

func (e expiry) Value() (driver.Value, error) { return time.Time(e), nil }

func TestConvertArgs(t *testing.T) {
	tm := time.Date(2024, 1, 2, 3, 4, 5, 6007008, time.FixedZone("X", 3600))
	want := "2024-01-02T02:04:05.006007+00:00"
	tt := Time{Time: tm}
	in := []any{tm, &tm, tt, &tt, sql.NullTime{Time: tm, Valid: true}, expiry(tm), 1, "s", (*time.Time)(nil), sql.NullTime{}, Time{}}
	out := convertArgs(SQLite, in)
	for i := 0; i < 6; i++ {
		if out[i] != want {
			t.Errorf("arg %d (%T) = %v, want %s", i, in[i], out[i], want)
		}
	}
	if out[6] != 1 || out[7] != "s" || out[8] != nil || out[9] != nil || out[10] != nil {
		t.Errorf("other args = %v", out[6:])
	}
	pg := convertArgs(Postgres, in[:1])
	if got := pg[0].(time.Time); got.Location() != time.UTC || !got.Equal(tm.Truncate(time.Microsecond)) {
		t.Errorf("postgres arg = %v", got)
	}
	plain := []any{1, "x"}
	if out := convertArgs(SQLite, plain); &out[0] != &plain[0] {
		t.Error("args without times were copied")
	}
}

// Statements run in transactions are prepared once, after the first
// transaction lets its connection go, and reused by later ones; errors,
// constraint failures and a transaction that panics still behave.
func TestTxPreparedStatements(t *testing.T) {
	db, _ := openFile(t, Options{})
	ctx := context.Background()
	const ins = `INSERT INTO t (id, v) VALUES (?, ?)`
	for i := range 5 {
		if err := db.Tx(ctx, func(tx *Tx) error {
			_, err := tx.Exec(ctx, ins, i, fmt.Sprint("v", i))
			return err
		}); err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
	}
	if _, ok := db.wstmts.Load(ins); !ok {
		t.Fatal("the insert was not prepared on the writer")
	}
	n := db.nwstmts.Load()
	err := db.Tx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, ins, 99, "v1") // duplicate v
		return err
	})
	if !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("duplicate through a prepared statement: %v, want ErrConflict", err)
	}
	if db.nwstmts.Load() != n {
		t.Fatalf("prepared again: %d statements, was %d", db.nwstmts.Load(), n)
	}
	const cnt = `SELECT count(*) FROM t WHERE id >= ?`
	for range 3 {
		var c int
		if err := db.ReadTx(ctx, func(tx *Tx) error { return tx.QueryRow(ctx, cnt, 0).Scan(&c) }); err != nil || c != 5 {
			t.Fatalf("read tx count = %d, %v", c, err)
		}
	}
	if _, ok := db.stmts.Load(cnt); !ok {
		t.Fatal("the read-only transaction's query was not prepared on the readers")
	}
	func() {
		defer func() { _ = recover() }()
		_ = db.Tx(ctx, func(tx *Tx) error {
			_, _ = tx.Exec(ctx, `UPDATE t SET v = ? WHERE id = ?`, "x", 0)
			panic("boom")
		})
	}()
	var v string
	if err := db.QueryRow(ctx, `SELECT v FROM t WHERE id = 0`).Scan(&v); err != nil || v != "v0" {
		t.Fatalf("after a panicking tx: v = %q, %v", v, err)
	}
	if _, err := db.Exec(ctx, `UPDATE t SET v = ? WHERE id = ?`, "y", 0); err != nil {
		t.Fatalf("writer usable after the panic: %v", err)
	}
}

// The checkpointer copies committed writes back into the database file in
// the background, so the log does not grow while the server writes.
func TestBackgroundCheckpoint(t *testing.T) {
	db, path := openFile(t, Options{})
	ctx := context.Background()
	for i := range 200 {
		if _, err := db.Exec(ctx, `INSERT INTO t (id, v) VALUES (?, ?)`, i, strings.Repeat("x", 2000)+fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	// The rows (~400 KB) sit in the log, far below the automatic
	// checkpoint's 8,000 pages; only the checkpointer moves them into the file.
	deadline := time.Now().Add(10 * time.Second)
	for {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > 300_000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("database file is %d bytes after 10 s: the log was not checkpointed", fi.Size())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
