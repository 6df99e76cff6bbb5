package workloads

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	benchid "github.com/warden-iam/warden/bench/identity"
	"github.com/warden-iam/warden/bench/identity/seed"
	"github.com/warden-iam/warden/bench/load"
	"github.com/warden-iam/warden/internal/storage/sqldb"
)

// mainJSON runs the whole command and returns its exit code, stdout and
// report.
func mainJSON(t *testing.T, args ...string) (int, string, *load.Report) {
	t.Helper()
	jsonPath := filepath.Join(t.TempDir(), "r.json")
	var stdout, stderr bytes.Buffer
	code := load.Main(context.Background(), append(args, "--json", jsonPath), Table(), &stdout, &stderr)
	t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	var rep load.Report
	if b, err := os.ReadFile(jsonPath); err == nil {
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatal(err)
		}
	}
	return code, stdout.String(), &rep
}

// TestIdentityWorkloadsWithFixtures: with --identity-fixtures, K1 spreads
// over the seeded tokens, K2 signs in as seeded identities, K4i and K4g look
// seeded identities up, and none of them creates anything.
func TestIdentityWorkloadsWithFixtures(t *testing.T) {
	f, srv := newFake(t)
	fx := &benchid.Fixtures{Hasher: "test", Password: "seeded-password"}
	for k := range 20 {
		email := fmt.Sprintf("user%d@seed.test", k)
		ident, _ := f.addIdentity(email, fx.Password)
		fx.Emails, fx.IDs = append(fx.Emails, email), append(fx.IDs, ident["id"].(string))
	}
	for k := range 50 {
		tok := fmt.Sprintf("st_seed_%d", k)
		f.sessions[tok] = true
		fx.Tokens = append(fx.Tokens, tok)
	}
	path := filepath.Join(t.TempDir(), "identity.json")
	if err := benchid.WriteFixtures(path, fx); err != nil {
		t.Fatal(err)
	}
	code, _, rep := mainJSON(t, "--public", srv.URL, "--identity-fixtures", path, "--duration", "150ms", "--warmup", "0s",
		"--concurrency", "4", "K1", "K2", "K4i", "K4g")
	if code != 0 || len(rep.Workloads) != 4 || rep.Config.Options.IdentityFixtures != path {
		t.Fatalf("exit %d, %d workloads, options %+v", code, len(rep.Workloads), rep.Config.Options)
	}
	for _, r := range rep.Workloads {
		if r.Skipped || r.Ops == 0 || r.Errors != 0 || r.Shed != 0 {
			t.Errorf("%s: %+v", r.ID, r)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.identities) != 20 {
		t.Errorf("%d identities, want the 20 seeded ones only", len(f.identities))
	}
	seeded := 0
	for tok := range f.whoamis {
		if strings.HasPrefix(tok, "st_seed_") {
			seeded++
		} else {
			t.Errorf("whoami with %q, not a seeded token", tok)
		}
	}
	if seeded < 10 {
		t.Errorf("K1 used %d of the 50 seeded tokens", seeded)
	}
	if len(f.logins) < 5 {
		t.Errorf("K2 signed in as %d of the 20 seeded identities", len(f.logins))
	}
}

// TestShedIsCountedApart: 503s of an overloaded login or registration are
// shed, not errors, and the report says so.
func TestShedIsCountedApart(t *testing.T) {
	f, srv := newFake(t)
	f.shedEvery = 3
	code, out, rep := mainJSON(t, "--public", srv.URL, "--requests", "30", "--warmup", "0s", "--concurrency", "2", "K2", "K3")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, r := range rep.Workloads {
		if r.Errors != 0 || r.Shed < 5 || r.Ops+r.Shed != 30 || !strings.Contains(r.FirstShed, "HTTP 503") {
			t.Errorf("%s: ok %d, errors %d, shed %d (%q)", r.ID, r.Ops, r.Errors, r.Shed, r.FirstShed)
		}
		if !strings.Contains(out, r.ID+" shed: ") {
			t.Errorf("the table does not report %s's shed operations", r.ID)
		}
	}
}

// TestIdentityLookupsDetectWrongAnswers: K4i wants exactly the identity it
// asked for, K4g the identity of the path, K2 a session token and K3 the new
// identity.
func TestIdentityLookupsDetectWrongAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/admin/identities" && r.URL.Query().Get("credentials_identifier") != "":
			w.Write([]byte(`[{"id":"id-0"},{"id":"id-1"}]`))
		case strings.HasPrefix(r.URL.Path, "/admin/identities/"):
			w.Write([]byte(`{"id":"someone-else"}`))
		case strings.HasSuffix(r.URL.Path, "/api"):
			w.Write([]byte(`{"id":"f"}`))
		case strings.HasPrefix(r.URL.Path, "/self-service/"):
			w.Write([]byte(`{"session":{}}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	fx := &benchid.Fixtures{Password: "pw", Emails: []string{"a@seed.test", "b@seed.test"}, IDs: []string{"id-0", "id-1"}}
	path := filepath.Join(t.TempDir(), "identity.json")
	if err := benchid.WriteFixtures(path, fx); err != nil {
		t.Fatal(err)
	}
	env := testEnv(srv)
	env.Options.IdentityFixtures = path
	ops := map[string]load.Op{}
	for _, id := range []string{"K4i", "K4g", "K3"} {
		w, _ := load.Lookup(Table(), id)
		op, err := w.Setup(context.Background(), env)
		if err != nil {
			t.Fatalf("%s setup: %v", id, err)
		}
		ops[id] = op
	}
	ops["K2"] = apiFlow(srv.URL, "login", func(*load.Worker) ([]byte, error) { return []byte(`{}`), nil }, func(b []byte) error {
		var out struct {
			SessionToken string `json:"session_token"`
		}
		if json.Unmarshal(b, &out) != nil || out.SessionToken == "" {
			return fmt.Errorf("no token")
		}
		return nil
	})
	for id, op := range ops {
		st := load.Run(context.Background(), load.RunConfig{Concurrency: 1, Duration: time.Minute, Requests: 3}, env.Client, op)
		if st.OK != 0 || st.Errors[load.Class2xx] != 3 {
			t.Errorf("%s: ok %d errors %v", id, st.OK, st.Errors)
		}
	}
}

func TestIdentityFixtureProblems(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"password":"x","emails":["a@b.c"],"identity_ids":[]}`), 0o644)
	if _, err := benchid.ReadFixtures(bad); err == nil || !strings.Contains(err.Error(), "1 emails but 0 identity ids") {
		t.Errorf("mismatched lists: %v", err)
	}
	empty := filepath.Join(dir, "empty.json")
	if err := benchid.WriteFixtures(empty, &benchid.Fixtures{}); err != nil {
		t.Fatal(err)
	}
	_, srv := newFake(t)
	env := testEnv(srv)
	env.Options.IdentityFixtures = empty
	w, _ := load.Lookup(Table(), "K1")
	if _, err := w.Setup(context.Background(), env); err == nil || !strings.Contains(err.Error(), "no session tokens") {
		t.Errorf("K1 with no tokens: %v", err)
	}
	var stderr bytes.Buffer
	if code := load.Main(context.Background(), []string{"--public", srv.URL, "--identity-fixtures", filepath.Join(dir, "missing.json"), "K1"},
		Table(), &bytes.Buffer{}, &stderr); code != 2 || !strings.Contains(stderr.String(), "--identity-fixtures") {
		t.Errorf("missing file: exit %d, %s", code, stderr.String())
	}
}

// TestIdentityWorkloadsAgainstWarden seeds a real Warden's database with
// bench/identity/seed and runs every K* workload through the whole command,
// with and without the fixtures: no operation fails, and K2's sign-ins
// never rehash a seeded password (the seeded hash has the server's
// parameters).
func TestIdentityWorkloadsAgainstWarden(t *testing.T) {
	ctx := context.Background()
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "w.db")
	public, admin := startWardenOn(t, dsn)
	db, err := sqldb.Open(ctx, dsn, sqldb.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := seed.Config{Identities: 40, Sessions: 100, EmailPrefix: "user", EmailDomain: "seed.test", Password: "seeded-Passw0rd",
		SessionLifespan: time.Hour, Writers: 2}
	if c.Hash, c.HasherName, err = seed.Hash(ctx, "argon2id", 0, c.Password); err != nil {
		t.Fatal(err)
	}
	fx, _, err := seed.Seed(ctx, db, c)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "identity.json")
	if err := benchid.WriteFixtures(path, fx); err != nil {
		t.Fatal(err)
	}
	// Hashing workloads end after a few operations, not a time: a hash
	// takes tens of milliseconds, more under the race detector.
	common := []string{"--public", public, "--admin", admin, "--warmup", "0s", "--concurrency", "2", "--seed-identities", "20"}
	runs := [][]string{
		{"--identity-fixtures", path, "--duration", "300ms", "K1", "K4", "K4i", "K4g"},
		{"--identity-fixtures", path, "--duration", "2m", "--requests", "6", "K2"},
		{"--duration", "300ms", "K1", "K4i", "K4g"},
		{"--duration", "2m", "--requests", "4", "K2", "K3"},
	}
	for _, args := range runs {
		code, _, rep := mainJSON(t, append(append([]string{}, common...), args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
		for _, r := range rep.Workloads {
			if r.Skipped || r.Ops == 0 || r.Errors != 0 || r.Shed != 0 {
				t.Errorf("%v %s: %+v", args, r.ID, r)
			}
		}
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM identity_credentials WHERE type = ? AND config LIKE ?`, "password",
		"%"+c.Hash+"%").Scan(&n); err != nil || n != c.Identities {
		t.Errorf("%d of %d seeded password hashes left as seeded (%v): the server rehashed them at sign-in", n, c.Identities, err)
	}
}
