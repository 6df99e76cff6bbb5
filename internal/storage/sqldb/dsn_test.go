package sqldb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden/internal/storage"
)

func TestParseDSN(t *testing.T) {
	ok := []struct {
		in      string
		dialect Dialect
		path    string
		memory  bool
	}{
		{"memory", SQLite, "", true},
		{"sqlite://data/warden.db", SQLite, "data/warden.db", false},
		{"sqlite://warden.db", SQLite, "warden.db", false},
		{"sqlite://./warden.db?_pragma=synchronous(FULL)", SQLite, "warden.db", false},
		{"sqlite:///var/lib/warden/warden.db", SQLite, "/var/lib/warden/warden.db", false},
		{"sqlite:///tmp/a%20b%3Fc.db", SQLite, "/tmp/a b?c.db", false},
		{"SQLite:///x.db", SQLite, "/x.db", false},
		{"postgres://u:p@localhost:5432/warden?sslmode=disable", Postgres, "", false},
		{"postgresql://localhost/warden", Postgres, "", false},
	}
	for _, c := range ok {
		d, err := parseDSN(c.in)
		if err != nil {
			t.Errorf("parseDSN(%q): %v", c.in, err)
			continue
		}
		if d.dialect != c.dialect || d.path != c.path || d.memory != c.memory {
			t.Errorf("parseDSN(%q) = %+v", c.in, d)
		}
	}

	bad := []struct{ in, want string }{
		{"", "empty"},
		{"warden.db", "no scheme"},
		{"mysql://u:hunter2@h/db", `unknown scheme "mysql"`},
		{"sqlite://", "empty path"},
		{"sqlite://?_pragma=x", "empty path"},
		{"sqlite:///", "directory"},
		{"sqlite://data/", "directory"},
		{"sqlite://a%zz.db", "percent-escape"},
		{"sqlite://a#b.db", "'#'"},
		{"sqlite://x.db?_txlock=deferred", `"_txlock" is managed`},
		{"sqlite://x.db?vfs=memdb", `"vfs" is managed`},
		{"sqlite://x.db?a=%zz", "malformed query"},
		{"sqlite://:memory:", "use the DSN memory"},
		{"postgres://u:hunter2@h:port/db", "not a valid URL"},
		{"postgres://u:hunter2@h/db?a=%zz", "malformed query"},
		{"host=localhost password=hunter2", "no scheme"},
		{"postgres://u:hunter2@h/db?max_conns=0", "max_conns must be a whole number"},
		{"postgres://u:hunter2@h/db?max_conns=many", "max_conns must be a whole number"},
		{"postgres://u:hunter2@h/db?max_idle_conns=-1", "max_idle_conns must be"},
		{"postgres://u:hunter2@h/db?max_conn_lifetime=forever", "max_conn_lifetime must be a positive duration"},
		{"postgres://u:hunter2@h/db?max_conn_idle_time=0s", "max_conn_idle_time must be a positive duration"},
	}
	for _, c := range bad {
		_, err := parseDSN(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parseDSN(%q) error = %v, want one containing %q", c.in, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("parseDSN(%q) error leaks the password: %v", c.in, err)
		}
	}
}

func TestOpenNeverEchoesPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, dsn := range []string{
		// Nothing listens on port 1: the connection is refused.
		"postgres://warden:hunter2@127.0.0.1:1/warden?sslmode=disable&connect_timeout=2",
		"postgres://warden:hunter2@127.0.0.1:1/warden?sslmode=bogus",
		"postgres://warden:hunter2@127.0.0.1:1/warden?sslmode=disable&password=hunter2",
		"postgres://warden:hunter%2F2@127.0.0.1:1/warden?sslmode=disable&connect_timeout=2",
		"postgres://warden:hunter2@[::1/warden",
	} {
		_, err := Open(ctx, dsn, Options{})
		if err == nil {
			t.Errorf("Open(%s) succeeded", Redact(dsn))
			continue
		}
		t.Logf("%s: %v", Redact(dsn), err)
		if strings.Contains(err.Error(), "hunter") {
			t.Errorf("Open error leaks the password: %v", err)
		}
	}
	_, err := Open(ctx, "postgres://warden:hunter2@127.0.0.1:1/warden?sslmode=disable&connect_timeout=2", Options{})
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("refused connection: %v, want storage.ErrUnavailable", err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@h:5432/db?sslmode=disable": "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"postgres://u@h/db":                             "postgres://u@h/db",
		"postgres://h/db?password=secret":               "postgres://h/db?password=xxxxx",
		"postgres://u:secret@h:port/db":                 "postgres://xxxxx@h:port/db",
		"postgres://u:sec@ret@h:port/db?password=x%zz":  "postgres://xxxxx@h:port/db?xxxxx",
		"garbage": "garbage",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOpenCreatesParentFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a b", "c?d")
	path := filepath.Join(dir, "warden.db")
	db, err := Open(context.Background(), SQLiteDSN(path), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(context.Background(), `CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file not at %s: %v", path, err)
	}
	var mode string
	if err := db.QueryRow(context.Background(), `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk, sync int
	if err := db.QueryRow(context.Background(), `SELECT foreign_keys, synchronous FROM pragma_foreign_keys, pragma_synchronous`).Scan(&fk, &sync); err != nil || fk != 1 || sync != 1 {
		t.Fatalf("foreign_keys = %d, synchronous = %d, %v; want 1, 1 (NORMAL)", fk, sync, err)
	}
}

func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{
		"memory", "sqlite://a.db", "sqlite:///a/b.db?_pragma=busy_timeout(1)", "sqlite://%",
		"postgres://u:p@h:1/d?sslmode=disable", "postgresql://[::1]:5432/x", "postgres://u:p@h:x/d",
		"://", "sqlite://?", "postgres://%zz@h",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDSN(s)
		if err != nil {
			return
		}
		_ = d.redacted()
		_ = Redact(s)
		if d.dialect == SQLite && !d.memory {
			_ = sqliteURI(d.path, d.query)
			if d.path == "" {
				t.Fatalf("accepted %q with an empty path", s)
			}
		}
	})
}

// TestPostgresPoolSettings: the pool settings of a PostgreSQL DSN are read
// and removed from what the driver sees (it would send them to the server,
// which refuses unknown parameters); the rest of the DSN is kept.
func TestPostgresPoolSettings(t *testing.T) {
	d, err := parseDSN("postgres://u:p%40ss@h:5432/warden?sslmode=disable&max_conns=32&max_idle_conns=8&max_conn_lifetime=1h&max_conn_idle_time=90s&application_name=w")
	if err != nil {
		t.Fatal(err)
	}
	want := poolSettings{maxConns: 32, maxIdle: 8, lifetime: time.Hour, maxIdleTime: 90 * time.Second}
	if d.pool != want {
		t.Errorf("pool = %+v, want %+v", d.pool, want)
	}
	if strings.Contains(d.url, "max_") {
		t.Errorf("the driver would see the pool settings: %s", d.url)
	}
	for _, keep := range []string{"sslmode=disable", "application_name=w", "u:p%40ss@h:5432/warden"} {
		if !strings.Contains(d.url, keep) {
			t.Errorf("%q lost from the DSN: %s", keep, d.url)
		}
	}
	d, err = parseDSN("postgres://h/warden")
	if err != nil || d.pool != (poolSettings{}) {
		t.Errorf("no settings: %+v, %v", d.pool, err)
	}
}

// TestPostgresPoolSettingsApplied: on a real server, a DSN with pool
// settings connects (none of them reaches the server) and sizes the pool.
func TestPostgresPoolSettingsApplied(t *testing.T) {
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		t.Skip("TEST_DATABASE_URL is not set")
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	db, err := Open(context.Background(), base+sep+"max_conns=3&max_conn_idle_time=1m", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := db.Stats().MaxOpenConnections; got != 3 {
		t.Errorf("pool of %d connections, want 3", got)
	}
	var one int
	if err := db.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Errorf("query: %d, %v", one, err)
	}
}
