package seed

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden/bench/load"
	"github.com/warden-iam/warden/internal/app"
	"github.com/warden-iam/warden/internal/config"
	"github.com/warden-iam/warden/internal/identity"
	"github.com/warden-iam/warden/internal/session"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
	"github.com/warden-iam/warden/internal/storage/sqltest"
)

func testConfig(t *testing.T, n, sessions int) Config {
	t.Helper()
	c := Config{Identities: n, Sessions: sessions, EmailPrefix: "user", EmailDomain: "seed.test", Password: "seeded-Passw0rd",
		SessionLifespan: 24 * time.Hour, Writers: 3}
	var err error
	if c.Hash, c.HasherName, err = Hash(context.Background(), "argon2id", 0, c.Password); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSeed: on each database, every identity is found by its email the way
// sign-in finds it, and every token is an active API session of the
// identity it was written for, as the session service reads it.
func TestSeed(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		c := testConfig(t, 10, 25)
		f, st, err := Seed(ctx, db, c)
		if err != nil {
			t.Fatal(err)
		}
		if st.Identities <= 0 || st.Sessions <= 0 || f.Password != c.Password || f.Hasher != "argon2id m=19456 t=2 p=1" {
			t.Fatalf("stats %+v, fixtures %+v", st, f)
		}
		if len(f.Emails) != 10 || len(f.IDs) != 10 || len(f.Tokens) != 25 || f.Emails[7] != "user7@seed.test" {
			t.Fatalf("fixtures %d emails, %d ids, %d tokens, %v", len(f.Emails), len(f.IDs), len(f.Tokens), f.Emails)
		}
		store := sqlstore.New(db)
		for k, email := range f.Emails {
			i, err := store.Identities().FindByIdentifier(ctx, identity.CredentialPassword, email)
			if err != nil || i.ID != f.IDs[k] {
				t.Fatalf("%s: %v, %v", email, i, err)
			}
			var cfg identity.PasswordConfig
			if err := json.Unmarshal(i.Credentials[identity.CredentialPassword].Config, &cfg); err != nil || cfg.HashedPassword != c.Hash {
				t.Fatalf("%s: password config %s", email, i.Credentials[identity.CredentialPassword].Config)
			}
		}
		svc := session.NewService(store.Sessions(), session.Options{})
		seen := map[string]bool{}
		for k, tok := range f.Tokens {
			if len(tok) != 50 || seen[tok] {
				t.Fatalf("token %q: length %d, seen before %v", tok, len(tok), seen[tok])
			}
			seen[tok] = true
			se, err := svc.ByToken(ctx, tok, session.ViaToken)
			if err != nil || se.IdentityID != f.IDs[k%10] || !se.Active || se.AAL != session.AAL1 {
				t.Fatalf("token %d: %+v, %v", k, se, err)
			}
			if d := se.ExpiresAt.Sub(se.IssuedAt); d != c.SessionLifespan {
				t.Fatalf("token %d lives %s", k, d)
			}
		}
		for table, want := range map[string]int{"identities": 10, "identity_credentials": 20, "identity_credential_identifiers": 20,
			"identity_addresses": 20, "sessions": 25} {
			var n int
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil || n != want {
				t.Errorf("%s: %d rows, want %d (%v)", table, n, want, err)
			}
		}
		// Seeding again with the same emails conflicts instead of adding.
		if _, _, err := Seed(ctx, db, testConfig(t, 1, 0)); err == nil {
			t.Error("a second seeding with the same emails succeeded")
		}
	})
}

func TestSeedRefusesAnUnknownHash(t *testing.T) {
	c := testConfig(t, 1, 0)
	c.Hash = "plain"
	if _, _, err := Seed(context.Background(), sqltest.Memory(t), c); err == nil || !strings.Contains(err.Error(), "not one the server accepts") {
		t.Fatalf("seeded with an unknown hash: %v", err)
	}
	if _, _, err := Hash(context.Background(), "md5", 0, "x"); err == nil {
		t.Fatal("hashed with md5")
	}
	if h, name, err := Hash(context.Background(), "bcrypt", 10, "x"); err != nil || !strings.HasPrefix(h, "$2a$10$") || name != "bcrypt cost 10" {
		t.Fatalf("bcrypt: %q %q %v", h, name, err)
	}
}

// TestSeededRowsAreTheServersRows compares a seeded identity with one a
// running Warden creates through POST /admin/identities (with the same
// imported hash), row by row, apart from ids, times and the email; then
// signs in as a seeded identity and presents a seeded token to whoami.
func TestSeededRowsAreTheServersRows(t *testing.T) {
	ctx := context.Background()
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "w.db")
	public, admin := startWarden(t, dsn)
	db, err := sqldb.Open(ctx, dsn, sqldb.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := testConfig(t, 3, 3)
	f, _, err := Seed(ctx, db, c)
	if err != nil {
		t.Fatal(err)
	}

	client := load.NewClient(2, 30*time.Second)
	var made struct {
		ID string `json:"id"`
	}
	body := map[string]any{"traits": map[string]any{"email": "server@seed.test"},
		"credentials": map[string]any{"password": map[string]any{"config": map[string]any{"hashed_password": c.Hash}}}}
	if err := client.Call(ctx, http.MethodPost, admin+"/admin/identities", nil, body, &made, http.StatusCreated); err != nil {
		t.Fatal(err)
	}
	server := rowsOf(t, db, made.ID, "server@seed.test")
	seeded := rowsOf(t, db, f.IDs[1], f.Emails[1])
	if server != seeded {
		t.Fatalf("rows differ:\nserver: %s\nseeded: %s", server, seeded)
	}

	// The seeded password signs in, and a seeded token is a session.
	var flow struct {
		ID string `json:"id"`
	}
	if err := client.Call(ctx, http.MethodGet, public+"/self-service/login/api", nil, nil, &flow, http.StatusOK); err != nil {
		t.Fatal(err)
	}
	submit := map[string]any{"method": "password", "identifier": f.Emails[2], "password": c.Password}
	var login struct {
		Session struct {
			Identity struct {
				ID string `json:"id"`
			} `json:"identity"`
		} `json:"session"`
	}
	if err := client.Call(ctx, http.MethodPost, public+"/self-service/login?flow="+flow.ID, nil, submit, &login, http.StatusOK); err != nil {
		t.Fatal(err)
	}
	if login.Session.Identity.ID != f.IDs[2] {
		t.Fatalf("signed in as %q, want %q", login.Session.Identity.ID, f.IDs[2])
	}
	var who struct {
		Active   bool `json:"active"`
		Identity struct {
			ID     string          `json:"id"`
			Traits json.RawMessage `json:"traits"`
		} `json:"identity"`
	}
	if err := client.Call(ctx, http.MethodGet, public+"/sessions/whoami", http.Header{"X-Session-Token": {f.Tokens[1]}}, nil, &who, http.StatusOK); err != nil {
		t.Fatal(err)
	}
	if !who.Active || who.Identity.ID != f.IDs[1] || string(who.Identity.Traits) != `{"email":"user1@seed.test"}` {
		t.Fatalf("whoami %+v", who)
	}
	// A session the server issued and a seeded one look the same, apart
	// from ids, times and the device's user agent.
	var issued string
	if err := db.QueryRow(ctx, `SELECT id FROM sessions WHERE identity_id = ? ORDER BY created_at DESC LIMIT 1`, f.IDs[2]).Scan(&issued); err != nil {
		t.Fatal(err)
	}
	var seededSession string
	if err := db.QueryRow(ctx, `SELECT id FROM sessions WHERE identity_id = ? ORDER BY created_at LIMIT 1`, f.IDs[2]).Scan(&seededSession); err != nil {
		t.Fatal(err)
	}
	if a, b := sessionShape(t, db, issued), sessionShape(t, db, seededSession); a != b {
		t.Fatalf("sessions differ:\nserver: %s\nseeded: %s", a, b)
	}
}

// rowsOf renders an identity's rows in every identity table with its id,
// the ids of its children, its times and its email replaced by
// placeholders.
func rowsOf(t *testing.T, db *sqldb.DB, id, email string) string {
	t.Helper()
	ctx := context.Background()
	i, err := sqlstore.New(db).Identities().GetIdentity(ctx, id, true)
	if err != nil {
		t.Fatal(err)
	}
	replace := []string{id, "ID", email, "EMAIL"}
	var stamp time.Time
	if i.StateChangedAt != nil {
		i.StateChangedAt = &stamp
	}
	i.CreatedAt, i.UpdatedAt = stamp, stamp
	for k := range i.VerifiableAddresses {
		a := &i.VerifiableAddresses[k]
		replace = append(replace, a.ID, "ADDR-verifiable")
		a.CreatedAt, a.UpdatedAt = stamp, stamp
	}
	for k := range i.RecoveryAddresses {
		a := &i.RecoveryAddresses[k]
		replace = append(replace, a.ID, "ADDR-recovery")
		a.CreatedAt, a.UpdatedAt = stamp, stamp
	}
	creds := i.Credentials
	i.Credentials = nil
	var out []string
	for _, typ := range []string{"code", "password"} {
		c, ok := creds[typ]
		if !ok {
			t.Fatalf("identity %s has no %s credential", email, typ)
		}
		replace = append(replace, c.ID, "CRED-"+typ)
		c.CreatedAt, c.UpdatedAt = stamp, stamp
		b, _ := json.Marshal(c)
		out = append(out, typ+": "+string(b)+" config "+string(c.Config))
	}
	b, _ := json.Marshal(i)
	out = append(out, "identity: "+string(b))
	for _, q := range []string{
		`SELECT kind || ' ' || via || ' ' || value || ' ' || id FROM identity_addresses WHERE identity_id = ? ORDER BY kind`,
		`SELECT type || ' ' || identifier || ' ' || credential_id FROM identity_credential_identifiers WHERE identity_id = ? ORDER BY type`,
		`SELECT type || ' ' || identifiers || ' ' || version FROM identity_credentials WHERE identity_id = ? ORDER BY type`,
	} {
		rows, err := db.Query(ctx, q, id)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		rows.Close()
	}
	s := strings.Join(out, "\n")
	if len(creds) != 2 {
		s += fmt.Sprintf("\n%d credential types", len(creds))
	}
	return strings.NewReplacer(replace...).Replace(s)
}

// sessionShape renders a session row without its ids, times and the
// device's user agent.
func sessionShape(t *testing.T, db *sqldb.DB, id string) string {
	t.Helper()
	se, err := sqlstore.New(db).Sessions().GetSession(context.Background(), id, false)
	if err != nil {
		t.Fatal(err)
	}
	life := se.ExpiresAt.Sub(se.IssuedAt)
	var methods []string
	for _, m := range se.AuthenticationMethods {
		methods = append(methods, m.Method+"/"+m.AAL+"/"+m.Provider)
	}
	var devices []string
	for _, d := range se.Devices {
		devices = append(devices, d.IPAddress+"/"+d.Location)
	}
	return fmt.Sprintf("via %s active %v aal %s lifespan %s methods %v devices %v", se.Via, se.Active, se.AAL, life, methods, devices)
}

// startWarden runs Warden in-process on dsn with its defaults and returns
// its public and admin base URLs.
func startWarden(t *testing.T, dsn string) (public, admin string) {
	t.Helper()
	cfg, err := config.Load(config.Sources{
		Env:  func(string) (string, bool) { return "", false },
		Sets: []string{"serve.public.port=0", "serve.admin.port=0", "dsn=" + dsn},
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
