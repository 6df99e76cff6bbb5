package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/warden-iam/warden/internal/config"
)

func testConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Load(config.Sources{
		Env:  func(string) (string, bool) { return "", false },
		Sets: []string{"serve.public.port=0", "serve.admin.port=0", "serve.shutdown_timeout=5s", "dsn=sqlite://" + filepath.Join(t.TempDir(), "w.db")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestGracefulShutdownDrainsInFlightRequests(t *testing.T) {
	cfg := testConfig(t)
	a, err := New(context.Background(), Options{Config: cfg, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	entered := make(chan struct{})
	a.Public.Handle("GET /slow", func(w http.ResponseWriter, r *http.Request) error {
		close(entered)
		time.Sleep(400 * time.Millisecond)
		_, _ = w.Write([]byte("finished"))
		return nil
	})
	if err := a.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx) }()

	got := make(chan string, 1)
	go func() {
		res, err := http.Get(cfg.Serve.Public.BaseURL + "slow")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		got <- string(b)
	}()
	<-entered
	cancel() // as SIGTERM does
	if body := <-got; body != "finished" {
		t.Fatalf("in-flight request was cut off: %q", body)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve returned %v after a clean drain", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
	if _, err := http.Get(cfg.Serve.Public.BaseURL + "health/alive"); err == nil {
		t.Fatal("listener still accepting after shutdown")
	}
	if err := a.DB.Ping(context.Background()); err == nil {
		t.Fatal("database still open after shutdown")
	}
}

func TestReadinessReportsTheDatabase(t *testing.T) {
	cfg := testConfig(t)
	a, err := New(context.Background(), Options{Config: cfg, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.checkDatabase(context.Background()); err != nil {
		t.Fatalf("fresh database not ready: %v", err)
	}
	a.Close()
	if err := a.checkDatabase(context.Background()); err == nil {
		t.Fatal("a closed database must make readiness fail")
	}
}

func TestSecretsAreGeneratedOnceAndConfiguredOnesWin(t *testing.T) {
	cfg := testConfig(t)
	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	a, err := New(context.Background(), Options{Config: cfg, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	first := a.Secrets
	a.Close()
	if len(first.System) != 1 || len(first.System[0]) < 32 || len(first.Cipher[0]) != 32 || first.System[0] == first.Cookie[0] {
		t.Fatalf("generated secrets: %+v", first)
	}
	b, err := New(context.Background(), Options{Config: cfg, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if b.Secrets.System[0] != first.System[0] || b.Secrets.Cookie[0] != first.Cookie[0] || b.Secrets.Cipher[0] != first.Cipher[0] {
		t.Fatal("secrets changed on reopen")
	}
	b.Close()
	cfg.Secrets.System = []string{"configured-system-secret-1234567", "older-system-secret-123456789012"}
	c, err := New(context.Background(), Options{Config: cfg, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Secrets.System[0] != "configured-system-secret-1234567" || len(c.Secrets.System) != 2 || c.Secrets.Cookie[0] != first.Cookie[0] {
		t.Fatalf("configured secrets must win: %+v", c.Secrets)
	}
}
