package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden/internal/storage/migrations"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
	"github.com/warden-iam/warden/internal/storage/sqltest"
)

// TestRun is the whole command on a SQLite file: refused before the schema
// exists, then seeded.
func TestRun(t *testing.T) {
	dsn := sqldb.SQLiteDSN(filepath.Join(t.TempDir(), "w.db"))
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"--dsn", dsn}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "pending migrations") {
		t.Fatalf("unmigrated database: exit %d, %s", code, stderr.String())
	}
	db := sqltest.Open(t, dsn)
	if _, err := migrations.Up(context.Background(), db, nil); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := run(context.Background(), []string{"--dsn", dsn, "--tokens", "4321", "--batch", "1000"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "inserted 4321 token rows") || !strings.Contains(stdout.String(), "now holds 4321 rows") {
		t.Errorf("stdout %q", stdout.String())
	}
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM oauth2_tokens`).Scan(&n); err != nil || n != 4321 {
		t.Fatalf("%d rows: %v", n, err)
	}
}

func TestSeed(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		c := config{tokens: 2503, batch: 500, writers: 2, dataBytes: 100, ttl: time.Hour, client: "seed-test"}
		n, _, err := seedDB(ctx, db, c, io.Discard)
		if err != nil || n != 2503 {
			t.Fatalf("inserted %d: %v", n, err)
		}
		var rows, active, long int
		if err := db.QueryRow(ctx, `SELECT COUNT(*), SUM(CASE WHEN active THEN 1 ELSE 0 END), SUM(CASE WHEN length(token_data) = 100 THEN 1 ELSE 0 END) FROM oauth2_tokens WHERE client_id = ?`,
			"seed-test").Scan(&rows, &active, &long); err != nil {
			t.Fatal(err)
		}
		if rows != 2503 || active != 2503 || long != 2503 {
			t.Fatalf("rows %d, active %d, with 100-byte data %d", rows, active, long)
		}
		// The rows are well-formed for the store.
		var sig string
		if err := db.QueryRow(ctx, `SELECT signature FROM oauth2_tokens WHERE client_id = ? LIMIT 1`, "seed-test").Scan(&sig); err != nil {
			t.Fatal(err)
		}
		rec, err := sqlstore.New(db).OAuth2().GetToken(ctx, sig)
		if err != nil || !rec.Active || !rec.ExpiresAt.After(time.Now()) || len(rec.Signature) != 43 || len(rec.RequestID) != 22 {
			t.Fatalf("record %+v: %v", rec, err)
		}
	})
}

func TestUsageErrors(t *testing.T) {
	for name, args := range map[string][]string{
		"no dsn":        {"--tokens", "10"},
		"bad tokens":    {"--dsn", "memory", "--tokens", "-1"},
		"bad batch":     {"--dsn", "memory", "--batch", "5000"},
		"bad writers":   {"--dsn", "memory", "--writers", "0"},
		"bad data":      {"--dsn", "memory", "--data-bytes", "0"},
		"extra args":    {"--dsn", "memory", "more"},
		"unknown flags": {"--nope"},
	} {
		if code := run(context.Background(), args, io.Discard, io.Discard); code != 2 {
			t.Errorf("%s: exit %d, want 2", name, code)
		}
	}
}
