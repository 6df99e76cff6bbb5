package workloads

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden/bench/load"
	"github.com/warden-iam/warden/internal/app"
	"github.com/warden-iam/warden/internal/config"
)

// TestC1gAgainstWarden runs the gRPC check workload against a real Warden
// started in-process.
func TestC1gAgainstWarden(t *testing.T) {
	opl := "class User implements Namespace {}\nclass Video implements Namespace { related: { owner: User[] } }\n"
	cfg, err := config.Load(config.Sources{
		Env: func(string) (string, bool) { return "", false },
		Sets: []string{"serve.public.port=0", "serve.admin.port=0", "dsn=sqlite://" + filepath.Join(t.TempDir(), "w.db"),
			"permission.namespaces.location=base64://" + base64.StdEncoding.EncodeToString([]byte(opl))},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), app.Options{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	defer func() { cancel(); <-done }()

	public := strings.TrimSuffix(cfg.Serve.Public.BaseURL, "/")
	admin := strings.TrimSuffix(cfg.Serve.Admin.BaseURL, "/")
	client := load.NewClient(4, 10*time.Second)
	env := &load.Env{
		URLs:        load.URLs{Public: public, Admin: admin, PermissionRead: public, PermissionWrite: admin},
		Client:      client,
		Concurrency: 4,
		Tag:         "grpc",
		Options:     load.Options{Namespace: "Video", Relation: "owner"},
	}
	w, _ := load.Lookup(Table(), "C1g")
	op, err := w.Setup(context.Background(), env)
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	st := load.Run(context.Background(), load.RunConfig{Concurrency: 4, Duration: time.Minute, Requests: 200}, env.Client, op)
	if st.OK != 200 || st.ErrorCount() != 0 {
		t.Fatalf("ok %d, errors %v, first %q", st.OK, st.Errors, st.FirstError)
	}
}
