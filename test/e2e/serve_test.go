package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden/internal/storage/sqldb"
)

func TestZeroConfigStartRestartAndSIGTERM(t *testing.T) {
	dir := t.TempDir()
	began := time.Now()
	s := start(t, dir, nil)
	code, body := get(t, s.public+"/health/ready")
	if code != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("ready: %d %s", code, body)
	}
	t.Logf("ready %v after exec", time.Since(began).Round(time.Millisecond))
	if _, err := os.Stat(filepath.Join(dir, "warden-data", "warden.db")); err != nil {
		t.Fatalf("embedded database not in ./warden-data: %v", err)
	}
	for _, base := range []string{s.public, s.admin} {
		for _, p := range []string{"/health/alive", "/health/ready", "/version"} {
			if code, body := get(t, base+p); code != 200 {
				t.Errorf("GET %s%s: %d %s", base, p, code, body)
			}
		}
	}
	code, body = get(t, s.admin+"/metrics/prometheus")
	for _, want := range []string{"warden_http_requests_total", `route="GET /health/ready"`, "warden_db_"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if code, _ := get(t, s.public+"/metrics/prometheus"); code != 404 {
		t.Errorf("metrics must not be on the public listener (got %d)", code)
	}
	code, body = get(t, s.public+"/no/such/path")
	var env struct {
		Error struct {
			Code    int    `json:"code"`
			Status  string `json:"status"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(body), &env) != nil || code != 404 || env.Error.Code != 404 || env.Error.Status != "Not Found" {
		t.Errorf("404 envelope: %d %s", code, body)
	}
	first := secrets(t, dir)
	if len(first) != 3 {
		t.Fatalf("want system, cookie and cipher secrets generated, got %v", first)
	}
	if c := s.stop(t); c != 0 {
		t.Fatalf("SIGTERM exit code %d\nstderr:\n%s", c, s.stderr)
	}
	if len(logLines(s.stderr.String(), "stopped")) != 1 {
		t.Fatalf("no clean stop logged:\n%s", s.stderr)
	}

	s = start(t, dir, nil)
	if code, _ := get(t, s.public+"/health/ready"); code != 200 {
		t.Fatal("not ready after restart")
	}
	if c := s.stop(t); c != 0 {
		t.Fatalf("second SIGTERM exit code %d", c)
	}
	again := secrets(t, dir)
	for k, v := range first {
		if again[k] != v {
			t.Fatalf("secret %s changed across restart", k)
		}
	}
}

// secrets reads the generated secrets straight from the embedded database.
func secrets(t *testing.T, dir string) map[string]string {
	t.Helper()
	db, err := sqldb.Open(context.Background(), "sqlite://"+filepath.Join(dir, "warden-data", "warden.db"), sqldb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(context.Background(), "SELECT kind, value FROM system_secrets WHERE position = 0")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	return out
}

func TestDataDirFromEnvironmentAndDevFlag(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(t.TempDir(), "elsewhere")
	s := start(t, dir, []string{"WARDEN_DATA_DIR=" + data}, "--dev")
	if _, err := os.Stat(filepath.Join(data, "warden.db")); err != nil {
		t.Fatalf("WARDEN_DATA_DIR not used: %v", err)
	}
	if !strings.Contains(s.stdout.String(), "development") {
		t.Fatalf("--dev not shown in banner:\n%s", s.stdout)
	}
	if c := s.stop(t); c != 0 {
		t.Fatalf("exit %d", c)
	}
}

func TestBadConfigurationStopsStartUp(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(`
dsn: mysql://root@localhost/db
serve:
  public: { port: 70000, colour: blue }
log: { level: loud }
permission: { namespaces: { location: 7 } }
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		args  []string
		env   []string
		wants []string
	}{
		"every problem at once": {[]string{"serve", "-c", bad}, nil,
			[]string{"serve.public.port", "serve.public.colour: unknown key", "log.level", "permission.namespaces.location", "5 problems"}},
		"unreadable file": {[]string{"serve", "-c", filepath.Join(dir, "missing.yaml")}, nil,
			[]string{"missing.yaml: cannot read file: no such file or directory"}},
		"bad dsn":      {[]string{"serve", "--dsn", "mysql://x"}, nil, []string{"dsn: unsupported database \"mysql\""}},
		"bad env":      {[]string{"serve"}, []string{"SERVE_ADMIN_PORT=99999"}, []string{"serve.admin.port", "SERVE_ADMIN_PORT"}},
		"validate":     {[]string{"config", "validate", bad}, nil, []string{"serve.public.colour: unknown key"}},
		"unknown flag": {[]string{"serve", "--nope"}, nil, []string{"unknown flag: --nope"}},
		"postgres unreachable": {[]string{"serve", "--dsn", "postgres://u:hunter2@127.0.0.1:1/db?connect_timeout=2"}, nil,
			[]string{"open database"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, stderr, code := run(t, dir, tc.env, tc.args...)
			if code == 0 {
				t.Fatalf("exit 0, want failure; stderr:\n%s", stderr)
			}
			for _, w := range tc.wants {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic:") || strings.Contains(stderr, "hunter2") {
				t.Errorf("stack trace or secret in output:\n%s", stderr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "warden-data")); err == nil {
		t.Error("a failed start must not create the data directory")
	}
}

func TestCommandsHaveHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"migrate", "--help"}, {"migrate", "up", "--help"},
		{"migrate", "status", "--help"}, {"version", "--help"}, {"config", "validate", "--help"}, {"config", "schema", "--help"}} {
		out, _, code := run(t, t.TempDir(), nil, args...)
		if code != 0 || !strings.Contains(out, "Usage:") || len(out) < 80 {
			t.Errorf("warden %v --help: code %d\n%s", args, code, out)
		}
	}
	out, _, code := run(t, t.TempDir(), nil, "version")
	if code != 0 || !strings.HasPrefix(out, "warden ") {
		t.Errorf("version: %q", out)
	}
	out, _, code = run(t, t.TempDir(), nil, "config", "schema")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["properties"] == nil {
		t.Errorf("config schema is not JSON Schema")
	}
}

func TestMigrateOnSQLite(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "m.db")
	out, errOut, code := run(t, dir, nil, "migrate", "status", "--dsn", dsn)
	if code != 0 || !strings.Contains(out, "pending") {
		t.Fatalf("status before: %d %s %s", code, out, errOut)
	}
	out, errOut, code = run(t, dir, nil, "migrate", "up", "--dsn", dsn)
	if code != 0 || !strings.Contains(out, "applying") || !strings.Contains(out, "Applied") {
		t.Fatalf("up: %d %s %s", code, out, errOut)
	}
	out, _, _ = run(t, dir, nil, "migrate", "up", "--dsn", dsn)
	if !strings.Contains(out, "up to date") {
		t.Fatalf("second up: %s", out)
	}
	out, _, _ = run(t, dir, nil, "migrate", "status", "--dsn", dsn)
	if strings.Contains(out, "pending") || !strings.Contains(out, "applied") {
		t.Fatalf("status after: %s", out)
	}
}
