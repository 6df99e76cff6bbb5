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
	"github.com/warden-iam/warden/bench/permission"
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
	for _, id := range []string{"H1", "H1c", "H2", "H3", "H4", "H4s", "H5", "H6", "H6j", "H6d", "H6g", "H6l", "K1", "K2", "K3", "K4", "K4i", "K4g", "C1", "C2", "C3a", "C3d", "C3k", "C4", "C5", "O4", "X1"} {
		if !seen[id] {
			t.Errorf("missing %s", id)
		}
	}
}

// needsGRPC are the workloads the HTTP fake cannot serve; grpc_test.go runs
// them against a real server.
var needsGRPC = map[string]bool{"C1g": true}

// TestEveryWorkloadAgainstFake runs setup and a short measured window of each
// load workload against the fake server and expects no error at all.
func TestEveryWorkloadAgainstFake(t *testing.T) {
	f, srv := newFake(t)
	env := testEnv(srv)
	var log bytes.Buffer
	env.Log = &log
	defer func() { t.Logf("setup log:\n%s", log.String()) }()
	for _, w := range Table() {
		if w.Startup || needsGRPC[w.ID] || isOAuth2(w.ID) {
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
	// K1 and K2 made one each, K3 40 by signing up, K4 none (its page was
	// full already), K4i and K4g 30 each to look up.
	if len(f.identities) != 1+1+40+30+30 {
		t.Errorf("%d identities, want 102", len(f.identities))
	}
	f.pmu.Lock()
	defer f.pmu.Unlock()
	// C1, C4, one per C5 op, and the uncached-check probes of C2, C3a, C3d
	// and C3k (two cases).
	if want := 1 + 10 + 40 + 5*coldSamples; f.writes != want {
		t.Errorf("%d tuple writes, want %d", f.writes, want)
	}
	// C2 (17 tuples), C3a and C3d (one transaction each), C3k (3,260 tuples).
	if f.patches != 1+1+1+4 {
		t.Errorf("%d PATCH transactions, want 7", f.patches)
	}
	// The probes, and C5's read-your-writes checks (how many depends on how
	// the 40 writes fell to the 4 workers).
	if f.snapChecks < 5*coldSamples || f.snapChecks > 5*coldSamples+4 {
		t.Errorf("%d checks with a snaptoken, want %d to %d", f.snapChecks, 5*coldSamples, 5*coldSamples+4)
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
	args := []string{"--public", srv.URL, "--duration", "40ms", "--warmup", "10ms",
		"--concurrency", "2", "--seed-identities", "5", "--json", jsonPath}
	n := 0
	for _, w := range Table() {
		if !w.Startup && !needsGRPC[w.ID] && !isOAuth2(w.ID) {
			args = append(args, w.ID) // "all" but those the fake does not speak (gRPC, OAuth2 flows)
			n++
		}
	}
	code := load.Main(context.Background(), args, Table(), &stdout, &stderr)
	t.Logf("stdout:\n%s", stdout.String())
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	var rep load.Report
	b, _ := os.ReadFile(jsonPath)
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Workloads) != n {
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
	for _, want := range []string{"H1 skipped:", "H5 skipped:", "H6 skipped:", "K1 skipped:", "K2 skipped:", "K3 skipped:",
		"K4i skipped:", "K4g skipped:", "C1 skipped:", "H6d errors: 4xx=", "O4 errors: 4xx="} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// loadDataset generates the dataset at scale 0.01, loads it into the fake
// with the dataset loader and writes its fixtures file.
func loadDataset(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	ds, err := permission.Generate(permission.Config{Scale: 0.01, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := permission.Load(context.Background(), ds.Tuples, permission.LoadConfig{URL: srv.URL, Writers: 2,
		Batch: permission.MaxBatch, Client: srv.Client()}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "fixtures.json")
	if err := permission.WriteFixtures(path, &ds.Fixtures); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPermissionWorkloadsWithFixtures runs C1, C2 and C3* against the
// generated dataset loaded into the fake, reading ids from the fixtures file.
func TestPermissionWorkloadsWithFixtures(t *testing.T) {
	f, srv := newFake(t)
	env := testEnv(srv)
	env.Options.Fixtures = loadDataset(t, srv)
	var log bytes.Buffer
	env.Log = &log
	for _, id := range []string{"C1", "C2", "C3a", "C3d", "C3k"} {
		w, _ := load.Lookup(Table(), id)
		op, err := w.Setup(context.Background(), env)
		if err != nil {
			t.Fatalf("%s setup: %v", id, err)
		}
		st := load.Run(context.Background(), load.RunConfig{Concurrency: 2, Duration: time.Minute, Requests: 40}, env.Client, op)
		if st.OK != 40 || st.ErrorCount() != 0 {
			t.Fatalf("%s: ok %d, errors %v, first %q", id, st.OK, st.Errors, st.FirstError)
		}
	}
	fx, err := permission.ReadFixtures(env.Options.Fixtures)
	if err != nil {
		t.Fatal(err)
	}
	f.pmu.Lock()
	defer f.pmu.Unlock()
	pairs := 0
	for _, p := range fx.Owners {
		if f.checked[fakeTuple{Namespace: "Document", Object: p.Document, Relation: "owners",
			SubjectSet: &fakeSet{"User", p.User, ""}}.key()] > 0 {
			pairs++
		}
	}
	if pairs < 10 { // 40 random picks out of 1,000 pairs
		t.Errorf("C1 checked %d distinct owner pairs", pairs)
	}
	w200, _ := fx.WideWith(200)
	w1000, _ := fx.WideWith(1000)
	for _, c := range []struct {
		doc, user string
		min       int
	}{
		{fx.Chain.Document, fx.Chain.User, 40},
		{w200.Document, w200.AllowedUser, 40},
		{w200.Document, w200.DeniedUser, 40},
		{w1000.Document, w1000.AllowedUser, 20},
		{w1000.Document, w1000.DeniedUser, 20},
	} {
		k := fakeTuple{Namespace: "Document", Object: c.doc, Relation: "view", SubjectSet: &fakeSet{"User", c.user, ""}}.key()
		if f.checked[k] < c.min {
			t.Errorf("%s checked %d times, want at least %d", k, f.checked[k], c.min)
		}
	}
	if !strings.Contains(log.String(), "uncached check") {
		t.Errorf("no uncached-check figures in the log:\n%s", log.String())
	}
}

// TestFixtureMismatches: a fixtures file the workloads cannot use fails the
// setup with a reason.
func TestFixtureMismatches(t *testing.T) {
	_, srv := newFake(t)
	env := testEnv(srv)
	ds, err := permission.Generate(permission.Config{Scale: 0.01, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ds.Fixtures.Wide = ds.Fixtures.Wide[:1] // no 1,000-parent document
	env.Options.Fixtures = filepath.Join(t.TempDir(), "f.json")
	if err := permission.WriteFixtures(env.Options.Fixtures, &ds.Fixtures); err != nil {
		t.Fatal(err)
	}
	w, _ := load.Lookup(Table(), "C3k")
	if _, err := w.Setup(context.Background(), env); err == nil || !strings.Contains(err.Error(), "1000 parents") {
		t.Errorf("C3k setup: %v", err)
	}
	env.Options.Fixtures = filepath.Join(t.TempDir(), "missing.json")
	w, _ = load.Lookup(Table(), "C1")
	if _, err := w.Setup(context.Background(), env); err == nil {
		t.Error("C1 setup accepted a missing fixtures file")
	}
}

func TestC5ReadYourWrites(t *testing.T) {
	run := func(t *testing.T, f *fakeServer, srv *httptest.Server, every int) *load.Stats {
		env := testEnv(srv)
		env.Options.C5CheckEvery = every
		w, _ := load.Lookup(Table(), "C5")
		op, err := w.Setup(context.Background(), env)
		if err != nil {
			t.Fatal(err)
		}
		// One worker, so its sequence numbers are 0..19.
		return load.Run(context.Background(), load.RunConfig{Concurrency: 1, Duration: time.Minute, Requests: 20}, env.Client, op)
	}
	t.Run("holds", func(t *testing.T) {
		f, srv := newFake(t)
		st := run(t, f, srv, 3)
		if st.OK != 20 || st.ErrorCount() != 0 {
			t.Fatalf("ok %d errors %v: %s", st.OK, st.Errors, st.FirstError)
		}
		f.pmu.Lock()
		defer f.pmu.Unlock()
		if f.snapChecks != 6 { // writes 3, 6, ..., 18
			t.Errorf("%d checks with a snaptoken, want 6", f.snapChecks)
		}
	})
	t.Run("never", func(t *testing.T) {
		f, srv := newFake(t)
		if st := run(t, f, srv, 0); st.OK != 20 {
			t.Fatalf("ok %d: %s", st.OK, st.FirstError)
		}
		f.pmu.Lock()
		defer f.pmu.Unlock()
		if f.checks != 0 {
			t.Errorf("%d checks with --c5-check-every 0", f.checks)
		}
	})
	t.Run("stale reads", func(t *testing.T) {
		f, srv := newFake(t)
		f.stale = true
		st := run(t, f, srv, 2)
		if st.OK != 10 || st.Errors[load.Class4xx] != 10 || !strings.Contains(st.FirstError, "read-your-writes") {
			t.Fatalf("ok %d errors %v: %s", st.OK, st.Errors, st.FirstError)
		}
	})
	t.Run("no snaptoken", func(t *testing.T) {
		f, srv := newFake(t)
		f.noSnaptoken = true
		st := run(t, f, srv, 1)
		if st.OK != 0 || st.Errors[load.Class2xx] != 20 || !strings.Contains(st.FirstError, "X-Snaptoken") {
			t.Fatalf("ok %d errors %v: %s", st.OK, st.Errors, st.FirstError)
		}
	})
}

func TestCheckAnswer(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		want   bool
		ok     bool
	}{
		{200, `{"allowed":true}`, true, true},
		{200, `{"allowed":false}`, false, true},
		{403, `{"allowed":false}`, false, true},
		{403, `{"allowed":false}`, true, false},
		{200, `{"allowed":true}`, false, false},
		{200, `{"allowed":false}`, true, false},
		{200, `{}`, false, false},
		{200, `not json`, true, false},
		{500, `{"allowed":false}`, false, false},
		{404, `{"error":{}}`, false, false},
	} {
		r := checkAnswer(c.status, []byte(c.body), nil, c.want)
		if (r.Err == nil) != c.ok {
			t.Errorf("HTTP %d %s, want allowed=%v: error %v", c.status, c.body, c.want, r.Err)
		}
	}
}
