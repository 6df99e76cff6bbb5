package load

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as a tiny server for the X1 tests: when
// FAKE_SERVER_ADDR is set, TestMain serves /health/ready there instead of
// running tests.
func TestMain(m *testing.M) {
	if addr := os.Getenv("FAKE_SERVER_ADDR"); addr != "" {
		os.Exit(fakeServer(addr, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeServer checks it was started in an empty directory named by its
// "-dir" argument, then serves until SIGTERM and exits with FAKE_SERVER_EXIT.
func fakeServer(addr string, args []string) int {
	if os.Getenv("FAKE_SERVER_DIE") != "" {
		fmt.Fprintln(os.Stderr, "dying on purpose")
		return 2
	}
	wd, _ := os.Getwd()
	if len(args) != 2 || args[0] != "-dir" || args[1] != wd || os.Getenv("WARDEN_DATA_DIR") != wd {
		fmt.Fprintf(os.Stderr, "args %q, working dir %q\n", args, wd)
		return 3
	}
	if ents, _ := os.ReadDir(wd); len(ents) != 0 {
		fmt.Fprintln(os.Stderr, "data dir not empty")
		return 4
	}
	os.WriteFile("data.db", []byte("x"), 0o600) // the next run must not see it
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	time.Sleep(10 * time.Millisecond) // pretend to open a database
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 5
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health/ready" {
			w.Write([]byte(`{"status":"ok"}`))
			return
		}
		http.NotFound(w, r)
	})}
	go srv.Serve(ln)
	<-term
	srv.Close()
	var code int
	fmt.Sscan(os.Getenv("FAKE_SERVER_EXIT"), &code)
	return code
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func startupConfig(t *testing.T, addr string) StartupConfig {
	// A race-enabled child otherwise sleeps a second at exit.
	t.Setenv("GORACE", "atexit_sleep_ms=0")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return StartupConfig{
		Binary:       exe,
		Args:         []string{"-dir", "{dir}"},
		Runs:         2,
		ReadyURL:     "http://" + addr + "/health/ready",
		Poll:         2 * time.Millisecond,
		ReadyTimeout: 5 * time.Second,
		Idle:         30 * time.Millisecond,
		StopTimeout:  5 * time.Second,
	}
}

func TestRunStartup(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("idle RSS needs /proc")
	}
	addr := freeAddr(t)
	t.Setenv("FAKE_SERVER_ADDR", addr)
	res := RunStartup(context.Background(), startupConfig(t, addr))
	if res.Error != "" {
		t.Fatal(res.Error)
	}
	for i, r := range res.Runs {
		if r.Error != "" {
			t.Errorf("run %d: %s", i, r.Error)
		}
	}
	if res.Ready != 2 || res.CleanStops != 2 {
		t.Fatalf("ready %d, clean stops %d", res.Ready, res.CleanStops)
	}
	if res.MinMS < 10 || res.MedianMS < res.MinMS || res.MinRSSMB <= 0 || res.BinaryMB <= 0 {
		t.Fatalf("implausible result %+v", res)
	}
}

func TestRunStartupFailures(t *testing.T) {
	addr := freeAddr(t)
	t.Setenv("FAKE_SERVER_ADDR", addr)

	t.Run("unclean exit", func(t *testing.T) {
		t.Setenv("FAKE_SERVER_EXIT", "1")
		cfg := startupConfig(t, addr)
		cfg.Runs = 1
		res := RunStartup(context.Background(), cfg)
		if res.Ready != 1 || res.CleanStops != 0 || !strings.Contains(res.Runs[0].Error, "exit code 1") {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("dies before ready", func(t *testing.T) {
		t.Setenv("FAKE_SERVER_DIE", "1")
		cfg := startupConfig(t, addr)
		cfg.Runs = 1
		res := RunStartup(context.Background(), cfg)
		if res.Ready != 0 || !strings.Contains(res.Runs[0].Error, "code 2 before becoming ready") ||
			!strings.Contains(res.Runs[0].Error, "dying on purpose") {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("port already taken", func(t *testing.T) {
		srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {})
		cfg := startupConfig(t, addr)
		cfg.ReadyURL = srv.URL + "/health/ready"
		res := RunStartup(context.Background(), cfg)
		if !strings.Contains(res.Error, "already answers") || len(res.Runs) != 0 {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("missing binary", func(t *testing.T) {
		cfg := startupConfig(t, addr)
		cfg.Binary = "/nonexistent/warden"
		if res := RunStartup(context.Background(), cfg); res.Error == "" {
			t.Fatal("want an error")
		}
	})
}

func TestSplitArgs(t *testing.T) {
	cases := map[string][]string{
		``:                                    nil,
		`serve`:                               {"serve"},
		`  serve   --dev  `:                   {"serve", "--dev"},
		`serve --dsn 'sqlite://{dir}/a b.db'`: {"serve", "--dsn", "sqlite://{dir}/a b.db"},
		`-c "x \"y\" \\z" a\ b`:               {"-c", `x "y" \z`, "a b"},
		`--name=''`:                           {"--name="},
		`""`:                                  {""},
	}
	for in, want := range cases {
		got, err := SplitArgs(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("SplitArgs(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{`'open`, `"open`, `a "b`} {
		if _, err := SplitArgs(in); err == nil {
			t.Errorf("SplitArgs(%q): want an error", in)
		}
	}
}
