package sqltest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden/internal/storage/migrations"
	"github.com/warden-iam/warden/internal/storage/sqldb"
)

// EnvURL names the environment variable holding the PostgreSQL server URL
// the tests may create databases on.
const EnvURL = "TEST_DATABASE_URL"

// Small pools: tests run many databases side by side on small machines.
var testOpts = sqldb.Options{MaxConns: 4}

// SQLite returns a migrated SQLite database in a fresh file under
// t.TempDir(), closed when the test ends.
func SQLite(t testing.TB) *sqldb.DB {
	t.Helper()
	return openMigrated(t, sqldb.SQLiteDSN(filepath.Join(t.TempDir(), "warden.db")))
}

// Memory returns a migrated private in-memory SQLite database, closed when
// the test ends.
func Memory(t testing.TB) *sqldb.DB {
	t.Helper()
	return openMigrated(t, "memory")
}

// Postgres returns a migrated PostgreSQL database created for this test on
// the server at $TEST_DATABASE_URL and dropped when the test ends. It skips
// the test when the variable is unset.
func Postgres(t testing.TB) *sqldb.DB {
	t.Helper()
	return openMigrated(t, PostgresURL(t))
}

// Each runs fn once per available dialect, as subtests "sqlite" and
// "postgres" (the latter skipped without $TEST_DATABASE_URL).
func Each(t *testing.T, fn func(t *testing.T, db *sqldb.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// Open opens dsn for the test, unmigrated, and closes it when the test ends.
func Open(t testing.TB, dsn string) *sqldb.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sqldb.Open(ctx, dsn, testOpts)
	if err != nil {
		t.Fatalf("sqltest: open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func openMigrated(t testing.TB, dsn string) *sqldb.DB {
	t.Helper()
	db := Open(t, dsn)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := migrations.Up(ctx, db, nil); err != nil {
		t.Fatalf("sqltest: migrate: %v", err)
	}
	return db
}

// PostgresURL creates an empty database on the server at $TEST_DATABASE_URL
// and returns its URL; the database is dropped (with FORCE) when the test
// ends, after the test's own cleanups closed their connections. It skips
// the test when the variable is unset.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		t.Skipf("%s is not set (start a server with scripts/pg.sh start)", EnvURL)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("sqltest: %s is not a URL", EnvURL)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	name := "warden_test_" + ident(t.Name()) + "_" + hex.EncodeToString(rnd[:])

	admin := Open(t, base)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("sqltest: create database: %v", err)
	}
	_ = admin.Close()

	// Registered before the caller opens the new database, so it runs after
	// the caller's Close (cleanups run last-registered first).
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := sqldb.Open(ctx, base, sqldb.Options{MaxConns: 1})
		if err != nil {
			t.Errorf("sqltest: drop database %s: %v", name, err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			// CockroachDB has no FORCE; CASCADE drops it with its tables.
			if _, err2 := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" CASCADE"); err2 != nil {
				t.Errorf("sqltest: drop database %s: %v", name, err)
			}
		}
	})

	u.Path = "/" + name
	return u.String()
}

// ident turns a test name into a short lower-case identifier fragment.
func ident(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 24 {
			break
		}
	}
	return b.String()
}
