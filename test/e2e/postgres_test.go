package e2e

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// freshPostgres creates an empty database on the TEST_DATABASE_URL server and
// returns its DSN and a function that drops it (even with open connections).
func freshPostgres(t *testing.T) (dsn string, drop func()) {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		t.Skip("TEST_DATABASE_URL is not set")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "warden_e2e_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(base)
	u.Path = "/" + name
	dropped := false
	drop = func() {
		if !dropped {
			dropped = true
			if _, err := admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
				t.Errorf("drop %s: %v", name, err)
			}
		}
	}
	t.Cleanup(drop)
	return u.String(), drop
}

func TestPostgresRefusesABehindSchemaUntilMigrated(t *testing.T) {
	dsn, _ := freshPostgres(t)
	dir := t.TempDir()
	_, stderr, code := run(t, dir, nil, "serve", "--dsn", dsn)
	if code == 0 || !strings.Contains(stderr, "behind") || !strings.Contains(stderr, "--migrate") {
		t.Fatalf("serve on an unmigrated database: code %d\n%s", code, stderr)
	}
	out, _, code := run(t, dir, nil, "migrate", "status", "--dsn", dsn)
	if code != 0 || !strings.Contains(out, "pending") {
		t.Fatalf("status: %d %s", code, out)
	}
	out, stderr, code = run(t, dir, nil, "migrate", "up", "--dsn", dsn)
	if code != 0 || !strings.Contains(out, "Applied") {
		t.Fatalf("up: %d %s %s", code, out, stderr)
	}
	s := start(t, dir, []string{"DSN=" + dsn})
	if code, body := get(t, s.public+"/health/ready"); code != 200 {
		t.Fatalf("ready on postgres: %d %s", code, body)
	}
	if pw := passwordOf(dsn); pw != "" && strings.Contains(s.stdout.String()+s.stderr.String(), ":"+pw+"@") {
		t.Fatal("the banner or log shows the database password")
	}
	if !strings.Contains(s.stdout.String(), ":xxxxx@") && passwordOf(dsn) != "" {
		t.Fatalf("the banner should show the DSN with its password hidden:\n%s", s.stdout)
	}
	if c := s.stop(t); c != 0 {
		t.Fatalf("exit %d\n%s", c, s.stderr)
	}
}

func passwordOf(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return ""
	}
	p, _ := u.User.Password()
	return p
}

func TestPostgresMigrateFlagAndReadinessWhenTheDatabaseGoes(t *testing.T) {
	dsn, drop := freshPostgres(t)
	s := start(t, t.TempDir(), nil, "--dsn", dsn, "--migrate")
	if code, _ := get(t, s.admin+"/health/ready"); code != 200 {
		t.Fatal("not ready with --migrate")
	}
	drop()
	code, body := get(t, s.public+"/health/ready")
	if code != 503 || !strings.Contains(body, `"database"`) {
		t.Fatalf("ready with the database gone: %d %s", code, body)
	}
	if code, _ := get(t, s.public+"/health/alive"); code != 200 {
		t.Fatal("alive must not depend on the database")
	}
	if c := s.stop(t); c != 0 {
		t.Fatalf("exit %d\n%s", c, s.stderr)
	}
}
