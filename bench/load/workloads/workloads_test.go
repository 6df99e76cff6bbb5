package workloads

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden/bench/load"
)

func testEnv(srv *httptest.Server) *load.Env {
	u := srv.URL
	return &load.Env{
		URLs: load.URLs{Public: u, Admin: u, OAuth2Public: u, OAuth2Admin: u,
			PermissionRead: u, PermissionWrite: u, Proxy: u},
		Client:      load.NewClient(4, 5*time.Second),
		Concurrency: 4,
		Tag:         "test",
		Options: load.Options{IdentitySchema: "default", Namespace: "Video", Relation: "owner",
			DecisionPath: "/bench", SeedIdentities: 30},
	}
}

func TestTableIsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, w := range Table() {
		if w.ID == "" || w.Description == "" || w.Target == "" || seen[w.ID] {
			t.Errorf("bad or duplicate entry %+v", w)
		}
		seen[w.ID] = true
		if (w.Setup == nil) != w.Startup {
			t.Errorf("%s: a load workload needs Setup, X1 must not have one", w.ID)
		}
	}
	for _, id := range []string{"H1", "H3", "H6", "K1", "K4", "C1", "C4", "C5", "O4", "X1"} {
		if !seen[id] {
			t.Errorf("missing %s", id)
		}
	}
}

// TestEveryWorkloadAgainstFake runs setup and a short measured window of each
// load workload against the fake server and expects no error at all.
func TestEveryWorkloadAgainstFake(t *testing.T) {
	f, srv := newFake(t)
	env := testEnv(srv)
	for _, w := range Table() {
		if w.Startup {
			continue
		}
		t.Run(w.ID, func(t *testing.T) {
			op, err := w.Setup(context.Background(), env)
			if err != nil {
				t.Fatalf("setup: %v", err)
			}
			st := load.Run(context.Background(), load.RunConfig{Concurrency: 4, Duration: time.Minute, Requests: 40}, env.Client, op)
			if st.OK != 40 || st.ErrorCount() != 0 {
				t.Fatalf("ok %d, errors %v, first %q", st.OK, st.Errors, st.FirstError)
			}
		})
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.identities) != 30 { // K1 made one, K4 filled up to 30
		t.Errorf("%d identities, want 30", len(f.identities))
	}
	if f.writes != 1+10+40 { // C1, C4 and one per C5 op
		t.Errorf("%d tuple writes, want 51", f.writes)
	}
}

func TestC5ObjectsStayUniqueAcrossRuns(t *testing.T) {
	_, srv := newFake(t)
	env := testEnv(srv)
	w, _ := load.Lookup(Table(), "c5")
	op, err := w.Setup(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	cfg := load.RunConfig{Concurrency: 2, Duration: time.Minute, Requests: 10}
	for range 3 { // like warm-up followed by measured windows
		if st := load.Run(context.Background(), cfg, env.Client, op); st.ErrorCount() != 0 {
			t.Fatalf("errors %v: %s", st.Errors, st.FirstError)
		}
	}
}

func TestWorkloadsDetectWrongAnswers(t *testing.T) {
	// A server that answers 200 with the wrong body must not count as success.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/admin/relation-tuples":
			w.WriteHeader(http.StatusCreated)
		case "/relation-tuples/check":
			w.Write([]byte(`{"allowed":false}`))
		case "/relation-tuples/batch/check":
			w.Write([]byte(`{"results":[{"allowed":true}]}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	env := testEnv(srv)
	for _, id := range []string{"C1", "C4"} {
		w, _ := load.Lookup(Table(), id)
		op, err := w.Setup(context.Background(), env)
		if err != nil {
			t.Fatalf("%s setup: %v", id, err)
		}
		st := load.Run(context.Background(), load.RunConfig{Concurrency: 1, Duration: time.Minute, Requests: 3}, env.Client, op)
		if st.OK != 0 || st.Errors[load.Class2xx] != 3 {
			t.Errorf("%s: ok %d errors %v", id, st.OK, st.Errors)
		}
	}
}

// TestMainAllAgainstFake is the whole command against the fake server.
func TestMainAllAgainstFake(t *testing.T) {
	_, srv := newFake(t)
	jsonPath := filepath.Join(t.TempDir(), "r.json")
	var stdout, stderr bytes.Buffer
	code := load.Main(context.Background(), []string{"--public", srv.URL, "--duration", "40ms", "--warmup", "10ms",
		"--concurrency", "2", "--seed-identities", "5", "--json", jsonPath, "all"}, Table(), &stdout, &stderr)
	t.Logf("stdout:\n%s", stdout.String())
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	var rep load.Report
	b, _ := os.ReadFile(jsonPath)
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Workloads) != 9 {
		t.Fatalf("%d workloads in the report", len(rep.Workloads))
	}
	for _, r := range rep.Workloads {
		if r.Skipped || r.Ops == 0 || r.Errors != 0 {
			t.Errorf("%s: %+v", r.ID, r)
		}
	}
}

// TestMainAgainstBareServer points every workload at a server that only has
// /health/alive: setups fail and are skipped, setup-free workloads count
// their 404s, and nothing crashes.
func TestMainAgainstBareServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health/alive" {
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	code := load.Main(context.Background(), []string{"--public", srv.URL, "--duration", "30ms", "--warmup", "0s",
		"--concurrency", "2", "all"}, Table(), &stdout, &stderr)
	out := stdout.String()
	t.Logf("stdout:\n%s", out)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (setups failed)", code)
	}
	for _, want := range []string{"H1 skipped:", "K1 skipped:", "C1 skipped:", "H6 errors: 4xx=", "O4 errors: 4xx="} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
