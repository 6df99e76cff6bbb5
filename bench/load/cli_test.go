package load

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func testTable() []Workload {
	noop := func(context.Context, *Env) (Op, error) { return nil, nil }
	return []Workload{
		{ID: "A1", Description: "first", Setup: noop},
		{ID: "B2", Description: "second", Setup: noop},
		{ID: "X1", Description: "startup", Startup: true},
	}
}

func ids(cfg *Config) string {
	var s []string
	for _, w := range cfg.Workloads {
		s = append(s, w.ID)
	}
	return strings.Join(s, ",")
}

func TestParseArgs(t *testing.T) {
	cfg, err := ParseArgs([]string{"--public", "http://127.0.0.1:4433/", "a1", "--concurrency", "4", "B2", "--requests", "50", "a1"}, testTable(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if ids(cfg) != "A1,B2" || cfg.Concurrency != 4 || cfg.Requests != 50 {
		t.Fatalf("workloads %s concurrency %d requests %d", ids(cfg), cfg.Concurrency, cfg.Requests)
	}
	if cfg.Duration != MaxDuration {
		t.Fatalf("--requests alone should leave only the hard time bound, got %s", cfg.Duration)
	}
	u := cfg.URLs
	if u.Public != "http://127.0.0.1:4433" || u.Admin != u.Public || u.OAuth2Public != u.Public ||
		u.OAuth2Admin != u.Admin || u.PermissionRead != u.Public || u.PermissionWrite != u.Admin || u.Proxy != u.Public {
		t.Fatalf("defaults %+v", u)
	}
	if cfg.Warmup != 2*time.Second {
		t.Fatalf("warmup %s", cfg.Warmup)
	}
	if cfg.Options.Fixtures != "" || cfg.Options.C5CheckEvery != 10 {
		t.Fatalf("permission options %+v", cfg.Options)
	}
	fx := filepath.Join(t.TempDir(), "fixtures.json")
	if err := os.WriteFile(fx, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err = ParseArgs([]string{"--public", "http://127.0.0.1:1", "--fixtures", fx, "--c5-check-every", "3", "A1"}, testTable(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Options.Fixtures != fx || cfg.Options.C5CheckEvery != 3 {
		t.Fatalf("permission options %+v", cfg.Options)
	}

	cfg, err = ParseArgs([]string{"--public", "http://localhost:1", "--admin", "http://[::1]:2", "--permission-read", "http://127.0.0.1:4466",
		"--permission-write", "http://127.0.0.1:4467", "--oauth2-public", "http://127.0.0.1:4444", "--oauth2-admin", "http://127.0.0.1:4445",
		"--proxy", "http://127.0.0.1:4456", "--requests", "10", "--duration", "3s", "all"}, testTable(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	u = cfg.URLs
	if u.Admin != "http://[::1]:2" || u.PermissionRead != "http://127.0.0.1:4466" || u.PermissionWrite != "http://127.0.0.1:4467" ||
		u.OAuth2Public != "http://127.0.0.1:4444" || u.OAuth2Admin != "http://127.0.0.1:4445" || u.Proxy != "http://127.0.0.1:4456" {
		t.Fatalf("overrides %+v", u)
	}
	if ids(cfg) != "A1,B2" || cfg.Duration != 3*time.Second {
		t.Fatalf("all = %s, duration %s", ids(cfg), cfg.Duration)
	}
}

func TestParseArgsBounds(t *testing.T) {
	var warn bytes.Buffer
	cfg, err := ParseArgs([]string{"--public", "http://127.0.0.1:1", "--concurrency", "5000", "--duration", "1h", "--warmup", "2h", "A1"}, testTable(), &warn)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Concurrency != MaxConcurrency || cfg.Duration != MaxDuration || cfg.Warmup != MaxDuration {
		t.Fatalf("not capped: %d %s %s", cfg.Concurrency, cfg.Duration, cfg.Warmup)
	}
	if !strings.Contains(warn.String(), "lowered") {
		t.Fatalf("no note about the caps: %q", warn.String())
	}

	bad := map[string][]string{
		"non-loopback public":   {"--public", "http://10.1.2.3:4433", "A1"},
		"non-loopback admin":    {"--public", "http://127.0.0.1:1", "--admin", "http://example.com:4434", "A1"},
		"non-loopback proxy":    {"--public", "http://127.0.0.1:1", "--proxy", "http://192.168.0.2", "A1"},
		"no public":             {"A1"},
		"no workload":           {"--public", "http://127.0.0.1:1"},
		"unknown workload":      {"--public", "http://127.0.0.1:1", "Z9"},
		"zero concurrency":      {"--public", "http://127.0.0.1:1", "--concurrency", "0", "A1"},
		"negative rate":         {"--public", "http://127.0.0.1:1", "--rate", "-1", "A1"},
		"zero duration":         {"--public", "http://127.0.0.1:1", "--duration", "0s", "A1"},
		"X1 without binary":     {"--public", "http://127.0.0.1:1", "X1"},
		"X1 bad args":           {"--public", "http://127.0.0.1:1", "--binary", "/bin/true", "--args", "'open", "X1"},
		"pid that is not there": {"--public", "http://127.0.0.1:1", "--pid", "999999999", "A1"},
		"unknown flag":          {"--public", "http://127.0.0.1:1", "--nope", "A1"},
		"missing fixtures":      {"--public", "http://127.0.0.1:1", "--fixtures", "/does/not/exist.json", "A1"},
		"negative c5 checks":    {"--public", "http://127.0.0.1:1", "--c5-check-every", "-1", "A1"},
	}
	for name, args := range bad {
		if _, err := ParseArgs(args, testTable(), io.Discard); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

// TestMainAgainstHTTPTest runs the whole command: baseline, a working
// workload, one whose setup fails and one the server lacks, with JSON output.
func TestMainAgainstHTTPTest(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health/alive", "/ok":
			w.Write([]byte(`{"status":"ok"}`))
		default:
			http.NotFound(w, r)
		}
	})
	table := []Workload{
		{ID: "OK", Description: "works", Setup: func(_ context.Context, env *Env) (Op, error) {
			return Get(env.URLs.Public+"/ok", nil), nil
		}},
		{ID: "BAD", Description: "setup fails", Setup: func(ctx context.Context, env *Env) (Op, error) {
			return nil, env.Client.Call(ctx, http.MethodPost, env.URLs.Admin+"/admin/fixtures", nil, map[string]string{"a": "b"}, nil)
		}},
		{ID: "MISSING", Description: "endpoint absent", Setup: func(_ context.Context, env *Env) (Op, error) {
			return Get(env.URLs.Public+"/absent", nil), nil
		}},
	}
	jsonPath := filepath.Join(t.TempDir(), "out.json")
	args := []string{"--public", srv.URL, "--duration", "100ms", "--warmup", "20ms",
		"--concurrency", "2", "--json", jsonPath, "OK", "BAD", "MISSING"}
	_, err := os.Stat("/proc/self/stat")
	withProc := err == nil
	if withProc {
		args = append(args, "--pid", strconv.Itoa(os.Getpid())) // this process stands in for the server
	}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), args, table, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit code %d (want 1 for the failed setup); stderr:\n%s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"baseline", "OK", "BAD skipped: POST", "HTTP 404", "MISSING errors: 4xx=", "CPU s/1k ops"} {
		if !withProc && want == "CPU s/1k ops" {
			continue
		}
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	var rep Report
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Baseline == nil || rep.Baseline.Ops == 0 || len(rep.Workloads) != 3 {
		t.Fatalf("report %s", b)
	}
	ok, bad, missing := rep.Workloads[0], rep.Workloads[1], rep.Workloads[2]
	if ok.Ops == 0 || ok.Errors != 0 || ok.Ratio <= 0 || (withProc && ok.Server == nil) || ok.P99MS <= 0 {
		t.Errorf("OK row %+v", ok)
	}
	if !bad.Skipped || bad.SetupError == "" {
		t.Errorf("BAD row %+v", bad)
	}
	if missing.Ops != 0 || missing.ErrorsByClass["4xx"] == 0 {
		t.Errorf("MISSING row %+v", missing)
	}
}

func TestMainUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"--list"}, testTable(), &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "A1") {
		t.Fatalf("--list: code %d, %q", code, stdout.String())
	}
	stdout.Reset()
	if code := Main(context.Background(), []string{"--public", "http://8.8.8.8", "A1"}, testTable(), &stdout, &stderr); code != 2 {
		t.Fatalf("non-loopback: code %d", code)
	}
	if !strings.Contains(stderr.String(), "not loopback") {
		t.Fatalf("stderr %q", stderr.String())
	}
}
