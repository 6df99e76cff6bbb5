// Package seed fills a migrated Warden database with identities and
// sessions for the identity benchmarks (bench/cmd/identityseed).
//
// Identities go through the identity service's Create with the built-in
// identity schema and an imported password hash, as POST /admin/identities
// with credentials.password.config.hashed_password does: the traits are
// validated, addresses, identifiers and credentials derived, and
// everything written by the store's InsertIdentity, so the rows are the
// ones the server writes. Every identity gets the same hash of one known
// password, computed once with the server's hasher package, so seeding
// costs no hashing. Sessions are written by the store's InsertSession, as
// the session service issues API sessions, with tokens chosen here so the
// load harness can present them.
package seed

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	benchid "github.com/warden-iam/warden/bench/identity"
	"github.com/warden-iam/warden/internal/authn/password"
	"github.com/warden-iam/warden/internal/identity"
	"github.com/warden-iam/warden/internal/identity/schema"
	"github.com/warden-iam/warden/internal/session"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
)

// Config says what to seed.
type Config struct {
	Identities int
	Sessions   int // spread over the identities in turn
	// EmailPrefix and EmailDomain make identity k's email
	// EmailPrefix<k>@EmailDomain.
	EmailPrefix string
	EmailDomain string
	Password    string
	// Hash is the stored hash of Password for every identity (see Hash).
	Hash string
	// HasherName describes Hash in the fixtures.
	HasherName string
	// SessionLifespan: sessions expire this long after now.
	SessionLifespan time.Duration
	// Writers is how many identities or sessions are written at once.
	Writers int
	// Progress gets a line about every tenth of each part; nil for none.
	Progress io.Writer
}

// Stats says how long each part took.
type Stats struct {
	Identities, Sessions time.Duration
}

// Hash computes the stored hash of pw with the server's hasher package at
// its production defaults: argon2id (m=19 MiB, t=2, p=1) for algorithm
// "argon2id", or bcrypt at the given cost for "bcrypt". It returns the
// hash and a description of it for the fixtures.
func Hash(ctx context.Context, algorithm string, bcryptCost int, pw string) (hash, name string, err error) {
	c := password.Config{}
	switch algorithm {
	case "argon2id", "argon2":
		c.Algorithm = password.AlgorithmArgon2
		name = fmt.Sprintf("argon2id m=%d t=%d p=%d", password.DefaultArgon2Memory/1024, password.DefaultArgon2Iterations,
			password.DefaultArgon2Parallelism)
	case "bcrypt":
		c.Algorithm, c.Bcrypt.Cost = password.AlgorithmBcrypt, bcryptCost
		name = fmt.Sprintf("bcrypt cost %d", bcryptCost)
	default:
		return "", "", fmt.Errorf("hasher %q is not argon2id or bcrypt", algorithm)
	}
	h, err := password.NewHasher(c)
	if err != nil {
		return "", "", err
	}
	hash, err = h.Hash(ctx, []byte(pw))
	return hash, name, err
}

// HashToken is how the session service keys a session by its token: the
// unpadded base64url SHA-256 of the token.
func HashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Email is identity k's email.
func (c *Config) Email(k int) string {
	return fmt.Sprintf("%s%d@%s", c.EmailPrefix, k, c.EmailDomain)
}

// tokenPrefix starts every token of one seeding: the session token prefix
// and 30 random characters; the session's number, 13 digits, completes it
// to the 50 characters of a token the server issues.
func tokenPrefix() string {
	b := make([]byte, 23)
	_, _ = rand.Read(b)
	return session.TokenPrefix + base64.RawURLEncoding.EncodeToString(b)[:30]
}

// Seed writes c.Identities identities, then c.Sessions sessions, and
// returns the fixtures that name them.
func Seed(ctx context.Context, db *sqldb.DB, c Config) (*benchid.Fixtures, Stats, error) {
	var st Stats
	if c.Identities < 1 && c.Sessions > 0 {
		return nil, st, errors.New("sessions need identities")
	}
	if c.Writers < 1 {
		c.Writers = 1
	}
	store := sqlstore.New(db)
	reg, err := schema.NewRegistry(ctx, nil, "", schema.Options{})
	if err != nil {
		return nil, st, err
	}
	known, err := password.NewHasher(password.Config{})
	if err != nil {
		return nil, st, err
	}
	if !known.Known(c.Hash) {
		return nil, st, errors.New("the password hash is not one the server accepts")
	}
	svc := identity.NewService(store.Identities(), schemas{reg}, importOnly{known})

	f := &benchid.Fixtures{Hasher: c.HasherName, Password: c.Password,
		Emails: make([]string, c.Identities), IDs: make([]string, c.Identities), Tokens: make([]string, c.Sessions)}
	start := time.Now()
	err = parallel(ctx, c.Identities, c.Writers, progress(c.Progress, "identities", c.Identities), func(ctx context.Context, k int) error {
		email := c.Email(k)
		var creds identity.ImportCredentials
		if err := json.Unmarshal(fmt.Appendf(nil, `{"password":{"config":{"hashed_password":%q}}}`, c.Hash), &creds); err != nil {
			return err
		}
		traits, _ := json.Marshal(map[string]string{"email": email})
		i, err := svc.Create(ctx, identity.CreateBody{Traits: traits, Credentials: &creds})
		if err != nil {
			return fmt.Errorf("identity %s: %w", email, err)
		}
		f.Emails[k], f.IDs[k] = email, i.ID
		return nil
	})
	st.Identities = time.Since(start)
	if err != nil {
		return nil, st, err
	}

	sessions := store.Sessions()
	prefix := tokenPrefix()
	start = time.Now()
	err = parallel(ctx, c.Sessions, c.Writers, progress(c.Progress, "sessions", c.Sessions), func(ctx context.Context, k int) error {
		tok := fmt.Sprintf("%s%013d", prefix, k)
		now := sqldb.Now()
		se := &session.Session{ID: uuid.NewString(), Active: true, ExpiresAt: now.Add(c.SessionLifespan), AuthenticatedAt: now,
			IssuedAt: now, AAL: session.AAL1,
			AuthenticationMethods: []session.AuthenticationMethod{{Method: "password", AAL: session.AAL1, CompletedAt: now}},
			Devices:               []session.Device{{ID: uuid.NewString(), IPAddress: "127.0.0.1", UserAgent: "identityseed"}},
			IdentityID:            f.IDs[k%c.Identities], Via: session.ViaToken}
		if err := sessions.InsertSession(ctx, se, HashToken(tok)); err != nil {
			return err
		}
		f.Tokens[k] = tok
		return nil
	})
	st.Sessions = time.Since(start)
	if err != nil {
		return nil, st, err
	}
	return f, st, nil
}

// parallel calls fn for 0..n-1, writers calls at a time, and stops at the
// first error.
func parallel(ctx context.Context, n, writers int, done func(int64), fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		finished atomic.Int64
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for range min(writers, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				k := int(next.Add(1) - 1)
				if k >= n {
					return
				}
				if err := fn(ctx, k); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				done(finished.Add(1))
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// progress returns a counter that writes a line at every tenth of n; the
// writers call it concurrently, so lines are written one at a time.
func progress(w io.Writer, what string, n int) func(int64) {
	step := int64(max(n/10, 1))
	start := time.Now()
	var mu sync.Mutex
	return func(k int64) {
		if w != nil && k%step == 0 {
			el := time.Since(start).Seconds()
			mu.Lock()
			fmt.Fprintf(w, "identityseed: %d/%d %s (%.0f/s)\n", k, n, what, float64(k)/max(el, 1e-9))
			mu.Unlock()
		}
	}
}

// schemas gives the identity service the identity schemas, as the server
// does (internal/app): validation and what the schema marks in traits.
type schemas struct{ reg *schema.Registry }

func (s schemas) DefaultID() string    { return s.reg.Default().ID }
func (s schemas) URL(id string) string { return "" }

func (s schemas) Validate(_ context.Context, id string, traits json.RawMessage) error {
	sc, err := s.reg.Get(id)
	if err != nil {
		return &identity.InvalidError{Reason: err.Error(), Err: err}
	}
	if err := sc.Validate(traits); err != nil {
		return &identity.InvalidError{Reason: err.Error(), Err: err}
	}
	return nil
}

func (s schemas) Derive(id string, traits json.RawMessage) (identity.Derived, error) {
	sc, err := s.reg.Get(id)
	if err != nil {
		return identity.Derived{}, err
	}
	x, err := sc.Extract(traits)
	if err != nil {
		return identity.Derived{}, err
	}
	addrs := func(in []schema.Address) []identity.Address {
		out := make([]identity.Address, len(in))
		for k, a := range in {
			out[k] = identity.Address{Via: a.Via, Value: a.Value}
		}
		return out
	}
	return identity.Derived{PasswordIdentifiers: x.PasswordIdentifiers, WebAuthnIdentifiers: x.WebAuthnIdentifiers,
		CodeIdentifiers: addrs(x.CodeIdentifiers), Verifiable: addrs(x.VerifiableAddresses), Recovery: addrs(x.RecoveryAddresses)}, nil
}

// importOnly accepts imported hashes the server accepts and refuses to hash:
// seeding never computes a hash per identity.
type importOnly struct{ h *password.Hasher }

func (i importOnly) Hash(context.Context, []byte) (string, error) {
	return "", errors.New("seed: identities are seeded with an imported hash")
}
func (i importOnly) KnownHash(hash string) bool { return i.h.Known(hash) }
