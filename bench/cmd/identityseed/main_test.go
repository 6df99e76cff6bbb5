package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	benchid "github.com/warden-iam/warden/bench/identity"
	"github.com/warden-iam/warden/internal/storage/migrations"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqltest"
)

// TestRun is the whole command on a SQLite file: refused before the schema
// exists, then seeded with its fixtures file written.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	dsn := sqldb.SQLiteDSN(filepath.Join(dir, "w.db"))
	fixtures := filepath.Join(dir, "identity.json")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"--dsn", dsn, "--fixtures", fixtures}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "pending migrations") {
		t.Fatalf("unmigrated database: exit %d, %s", code, stderr.String())
	}
	db := sqltest.Open(t, dsn)
	if _, err := migrations.Up(context.Background(), db, nil); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	args := []string{"--dsn", dsn, "--fixtures", fixtures, "--identities", "30", "--sessions", "70", "--hasher", "bcrypt",
		"--bcrypt-cost", "10", "--email-prefix", "bc"}
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if out := stdout.String(); !strings.HasPrefix(out, "inserted 30 identities") || !strings.Contains(out, "now holds 30 identities and 70 sessions") ||
		!strings.Contains(out, "bcrypt cost 10") {
		t.Errorf("stdout %q", out)
	}
	if !strings.Contains(stderr.String(), "30/30 identities") || !strings.Contains(stderr.String(), "70/70 sessions") {
		t.Errorf("no progress on stderr: %s", stderr.String())
	}
	f, err := benchid.ReadFixtures(fixtures)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.IDs) != 30 || len(f.Tokens) != 70 || f.Emails[29] != "bc29@seed.test" || !strings.HasPrefix(f.Hasher, "bcrypt") {
		t.Fatalf("fixtures: %d ids, %d tokens, %v, %s", len(f.IDs), len(f.Tokens), f.Emails[29], f.Hasher)
	}
}

func TestUsageErrors(t *testing.T) {
	for name, args := range map[string][]string{
		"no dsn":           {"--fixtures", "f.json"},
		"no fixtures":      {"--dsn", "memory"},
		"bad identities":   {"--dsn", "memory", "--fixtures", "f", "--identities", "-1"},
		"sessions, no one": {"--dsn", "memory", "--fixtures", "f", "--identities", "0", "--sessions", "1"},
		"bad hasher":       {"--dsn", "memory", "--fixtures", "f", "--hasher", "md5"},
		"bad writers":      {"--dsn", "memory", "--fixtures", "f", "--writers", "0"},
		"bad lifespan":     {"--dsn", "memory", "--fixtures", "f", "--session-lifespan", "0s"},
		"extra args":       {"--dsn", "memory", "--fixtures", "f", "more"},
		"unknown flags":    {"--nope"},
	} {
		if code := run(context.Background(), args, io.Discard, io.Discard); code != 2 {
			t.Errorf("%s: exit %d, want 2", name, code)
		}
	}
}
