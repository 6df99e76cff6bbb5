// Package e2e drives the built warden binary from the outside: its command
// line, its HTTP listeners, its exit codes and its data directory.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	// The parallel tests (TestOIDF_*) mostly wait on their own server
	// processes, not on the CPU: run more at once than there are CPUs,
	// unless -parallel was given.
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", strconv.Itoa(max(8, runtime.GOMAXPROCS(0))))
	}
	dir, err := os.MkdirTemp("", "warden-e2e-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "warden")
	build := exec.Command("go", "build", "-o", binary, "./cmd/warden")
	build.Dir = "../.."
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build warden:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is one running warden process.
type server struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	public, admin  string // base URLs without trailing slash
	done           chan error
}

// baseEnv is the environment the binary runs with: the test's own, minus any
// variable that would configure warden by accident.
func baseEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "DSN", "LOG_LEVEL", "LOG_FORMAT", "SERVE_PUBLIC_PORT", "SERVE_ADMIN_PORT", "WARDEN_DATA_DIR":
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

var urlLine = regexp.MustCompile(`(public|admin) API\s+(http://\S+?)/?\s`)

// start runs `warden serve ARGS` in dir on free ports and waits for its banner.
func start(t *testing.T, dir string, env []string, args ...string) *server {
	t.Helper()
	args = append([]string{"serve", "--set", "serve.public.port=0", "--set", "serve.admin.port=0"}, args...)
	s := &server{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(binary, args...)
	s.cmd.Dir = dir
	s.cmd.Env = baseEnv(env...)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range urlLine.FindAllStringSubmatch(s.stdout.String(), -1) {
			if m[1] == "public" {
				s.public = strings.TrimSuffix(m[2], "/")
			} else {
				s.admin = strings.TrimSuffix(m[2], "/")
			}
		}
		if s.public != "" && s.admin != "" {
			return s
		}
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("warden exited early (%v)\nstdout:\n%s\nstderr:\n%s", err, s.stdout, s.stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("no banner within 20s\nstdout:\n%s\nstderr:\n%s", s.stdout, s.stderr)
	return nil
}

// stop sends SIGTERM and returns the exit code.
func (s *server) stop(t *testing.T) int {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("warden did not exit within 20s of SIGTERM\nstderr:\n%s", s.stderr)
	}
	return s.cmd.ProcessState.ExitCode()
}

// run executes a warden command to completion.
func run(t *testing.T, dir string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	cmd.Env = baseEnv(env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code = 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return o.String(), e.String(), code
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// logLines returns the JSON log lines whose msg is msg.
func logLines(stderr, msg string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"msg":"`+msg+`"`) {
			out = append(out, sc.Text())
		}
	}
	return out
}
