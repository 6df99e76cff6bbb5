package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/warden-iam/warden/bench/permission"
)

func TestDryRunWritesFixtures(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fx.json")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--dry-run", "--scale", "0.01", "--seed", "2", "--fixtures", path}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	f, err := permission.ReadFixtures(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Tuples != 10_000 || f.Seed != 2 || f.Chain.Depth != 16 {
		t.Errorf("fixtures %+v", f)
	}
	if !strings.Contains(out.String(), "10000 tuples") || strings.Contains(out.String(), "loaded") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestLoadsIntoServer(t *testing.T) {
	var tuples atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPatch || r.URL.Path != "/admin/relation-tuples" {
			http.NotFound(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		tuples.Add(int64(bytes.Count(b, []byte(`"action":"insert"`))))
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "fx.json")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"--write-url", srv.URL, "--scale", "0.01", "--writers", "2", "--fixtures", path}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if tuples.Load() != 10_000 || !strings.Contains(out.String(), "loaded 10000 tuples") {
		t.Errorf("server got %d tuples; output:\n%s", tuples.Load(), out.String())
	}
	if _, err := permission.ReadFixtures(path); err != nil {
		t.Error(err)
	}
}

func TestUsageErrors(t *testing.T) {
	for name, args := range map[string][]string{
		"no URL":        {"--scale", "0.01"},
		"not loopback":  {"--write-url", "http://192.0.2.1:4434"},
		"bad scale":     {"--dry-run", "--scale", "0"},
		"bad batch":     {"--dry-run", "--batch", "1001"},
		"bad writers":   {"--dry-run", "--writers", "0"},
		"extra args":    {"--dry-run", "more"},
		"unknown flags": {"--nope"},
	} {
		if code := run(context.Background(), args, io.Discard, io.Discard); code != 2 {
			t.Errorf("%s: exit %d, want 2", name, code)
		}
	}
}
