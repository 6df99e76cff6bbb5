package workloads

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-iam/warden/bench/load"
	"github.com/warden-iam/warden/internal/app"
	"github.com/warden-iam/warden/internal/config"
)

// isOAuth2 tells the H* workloads apart: they run against a real Warden, not
// the fake (their flows need the real login and consent machinery).
func isOAuth2(id string) bool { return strings.HasPrefix(id, "H") }

// startWarden runs Warden in-process on SQLite with ES256 signing and
// returns its public and admin base URLs.
func startWarden(t *testing.T) (public, admin string) {
	t.Helper()
	return startWardenOn(t, "sqlite://"+filepath.Join(t.TempDir(), "w.db"))
}

// startWardenOn is startWarden on the database dsn, with more settings.
func startWardenOn(t *testing.T, dsn string, sets ...string) (public, admin string) {
	t.Helper()
	cfg, err := config.Load(config.Sources{
		Env: func(string) (string, bool) { return "", false },
		Sets: append([]string{"serve.public.port=0", "serve.admin.port=0", "dsn=" + dsn,
			"oauth2.signing.access_token_alg=ES256", "oauth2.signing.id_token_alg=ES256", "oauth2.cleanup.interval=0s"}, sets...),
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
	t.Cleanup(func() { cancel(); <-done })
	return strings.TrimSuffix(cfg.Serve.Public.BaseURL, "/"), strings.TrimSuffix(cfg.Serve.Admin.BaseURL, "/")
}

// TestOAuth2WorkloadsAgainstWarden runs every H* workload through the whole
// command against a real server: setups succeed, no operation fails, and
// H5's check passes.
func TestOAuth2WorkloadsAgainstWarden(t *testing.T) {
	public, admin := startWarden(t)
	jsonPath := filepath.Join(t.TempDir(), "r.json")
	args := []string{"--public", public, "--admin", admin, "--duration", "300ms", "--warmup", "50ms",
		"--concurrency", "4", "--h5-tokens", "60", "--json", jsonPath}
	var ids []string
	for _, w := range Table() {
		if isOAuth2(w.ID) {
			ids = append(ids, w.ID)
		}
	}
	var stdout, stderr bytes.Buffer
	code := load.Main(context.Background(), append(args, ids...), Table(), &stdout, &stderr)
	t.Logf("stdout:\n%s", stdout.String())
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	for _, want := range []string{"H2: access tokens are JWTs signed with ES256", "H4: ID tokens signed with ES256",
		"H5: 60 refresh tokens issued"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, stderr.String())
		}
	}
	var rep load.Report
	b, _ := os.ReadFile(jsonPath)
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Workloads) != len(ids) {
		t.Fatalf("%d workloads in the report, want %d", len(rep.Workloads), len(ids))
	}
	for _, r := range rep.Workloads {
		if r.Skipped || r.Ops == 0 || r.Errors != 0 {
			t.Errorf("%s: %+v", r.ID, r)
		}
		if r.ID == "H5" && (r.CheckError != "" || !strings.Contains(r.Check, "rotated exactly once")) {
			t.Errorf("H5 check: %q, error %q", r.Check, r.CheckError)
		}
	}
}

// TestH6RevalidatesTheKeySet: the key set operation sends the ETag and
// counts the 304.
func TestH6RevalidatesTheKeySet(t *testing.T) {
	public, admin := startWarden(t)
	env := &load.Env{URLs: load.URLs{Public: public, Admin: admin, OAuth2Public: public, OAuth2Admin: admin},
		Client: load.NewClient(2, 10*time.Second), Concurrency: 2, Tag: "h6"}
	w, _ := load.Lookup(Table(), "H6j")
	op, err := w.Setup(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	r := op(context.Background(), env.Client.NewWorker(0))
	if r.Err != nil || r.Status != http.StatusNotModified {
		t.Fatalf("status %d: %v", r.Status, r.Err)
	}
}

// rotationFake is a token endpoint for H5's check that can be told to get
// rotation wrong.
type rotationFake struct {
	mu       sync.Mutex
	active   map[string]bool
	n        int
	reuse    bool // accept used tokens again
	inactive bool // report every token inactive
}

func (f *rotationFake) handler(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/oauth2/token":
		old := r.PostFormValue("refresh_token")
		ok, known := f.active[old]
		if !known || (!ok && !f.reuse) {
			reply(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
			return
		}
		f.active[old] = false
		f.n++
		tok := fmt.Sprintf("rt-%d", f.n)
		f.active[tok] = true
		reply(w, http.StatusOK, map[string]string{"access_token": "at", "refresh_token": tok})
	case "/admin/oauth2/introspect":
		reply(w, http.StatusOK, map[string]bool{"active": f.active[r.PostFormValue("token")] && !f.inactive})
	default:
		http.NotFound(w, r)
	}
}

func TestH5CheckFindsRotationFaults(t *testing.T) {
	for _, c := range []struct {
		name            string
		reuse, inactive bool
		want            string
	}{
		{"correct", false, false, ""},
		{"reuse", true, false, "accepted again"},
		{"lost", false, true, "a current refresh token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := &rotationFake{active: map[string]bool{}, reuse: c.reuse, inactive: c.inactive}
			srv := httptest.NewServer(http.HandlerFunc(f.handler))
			defer srv.Close()
			env := testEnv(srv)
			rt := &rotation{tokenURL: srv.URL + "/oauth2/token", auth: "Basic eDp5", pool: make(chan string, 50),
				seen: map[string]struct{}{}}
			for i := range 50 {
				tok := fmt.Sprintf("seed-%d", i)
				f.active[tok] = true
				rt.add(tok)
				rt.pool <- tok
			}
			st := load.Run(context.Background(), load.RunConfig{Concurrency: 4, Duration: time.Minute, Requests: 200}, env.Client, rt.op)
			if st.OK != 200 || st.ErrorCount() != 0 {
				t.Fatalf("ok %d, errors %v: %s", st.OK, st.Errors, st.FirstError)
			}
			summary, err := rt.check(context.Background(), env)
			t.Log(summary)
			if c.want == "" {
				if err != nil {
					t.Fatalf("check failed: %v", err)
				}
				if !strings.Contains(summary, "200 rotations") || !strings.Contains(summary, "25/25 simultaneous") {
					t.Errorf("summary %q", summary)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("check error %v, want %q", err, c.want)
			}
		})
	}
}
