// Command identityseed fills a Warden database with identities and API
// sessions for the identity benchmarks (bench/README.md, "Identity"), and
// writes the fixtures file the K* workloads read (--identity-fixtures).
// Identity k has the email trait user<k>@seed.test and a password
// credential whose hash (one hash of one known password, computed once)
// is the same for all; sessions are spread over the identities in turn,
// each with a token named in the fixtures file. See bench/identity/seed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	benchid "github.com/warden-iam/warden/bench/identity"
	"github.com/warden-iam/warden/bench/identity/seed"
	"github.com/warden-iam/warden/internal/storage/migrations"
	"github.com/warden-iam/warden/internal/storage/sqldb"
)

// Bounds.
const (
	maxIdentities = 10_000_000
	maxSessions   = 20_000_000
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type config struct {
	seed.Config
	dsn        string
	fixtures   string
	hasher     string
	bcryptCost int
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("identityseed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.StringVar(&c.dsn, "dsn", "", "database of the server, as its dsn setting: sqlite:///ABS/PATH.db or postgres://... (required)")
	fs.StringVar(&c.fixtures, "fixtures", "", "write the fixtures file (emails, identity ids, password, session tokens) here (required)")
	fs.IntVar(&c.Identities, "identities", 100_000, fmt.Sprintf("identities to insert (at most %d)", maxIdentities))
	fs.IntVar(&c.Sessions, "sessions", 200_000, fmt.Sprintf("API sessions to insert, spread over the identities (at most %d)", maxSessions))
	fs.StringVar(&c.hasher, "hasher", "argon2id", "hash of the password: argon2id (the server's default parameters) or bcrypt")
	fs.IntVar(&c.bcryptCost, "bcrypt-cost", 12, "bcrypt cost with --hasher bcrypt")
	fs.StringVar(&c.Password, "password", "seeded-Passw0rd-for-bench", "password of every identity")
	fs.StringVar(&c.EmailPrefix, "email-prefix", "user", "emails are PREFIX<k>@DOMAIN")
	fs.StringVar(&c.EmailDomain, "email-domain", "seed.test", "emails are PREFIX<k>@DOMAIN")
	fs.DurationVar(&c.SessionLifespan, "session-lifespan", 24*time.Hour, "sessions expire this long after now (the server's default lifespan)")
	fs.IntVar(&c.Writers, "writers", 4, "identities or sessions written at once (SQLite serialises the writes; the rest overlaps)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: go run ./bench/cmd/identityseed --dsn DSN --fixtures FILE [flags]

Inserts --identities identities and --sessions active API sessions into the
database at DSN, which must be migrated already (start the server once, or
run warden migrate up), and writes FILE for bench/cmd/load
--identity-fixtures. Safe while the server runs.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "unexpected arguments: %v\n", fs.Args())
		return 2
	case c.dsn == "":
		fmt.Fprintln(stderr, "--dsn is required")
		return 2
	case c.fixtures == "":
		fmt.Fprintln(stderr, "--fixtures is required")
		return 2
	case c.Identities < 0 || c.Identities > maxIdentities:
		fmt.Fprintf(stderr, "--identities must be between 0 and %d\n", maxIdentities)
		return 2
	case c.Sessions < 0 || c.Sessions > maxSessions:
		fmt.Fprintf(stderr, "--sessions must be between 0 and %d\n", maxSessions)
		return 2
	case c.Sessions > 0 && c.Identities == 0:
		fmt.Fprintln(stderr, "--sessions needs at least one identity")
		return 2
	case c.hasher != "argon2id" && c.hasher != "bcrypt":
		fmt.Fprintln(stderr, "--hasher must be argon2id or bcrypt")
		return 2
	case c.Password == "" || c.EmailPrefix == "" || c.EmailDomain == "":
		fmt.Fprintln(stderr, "--password, --email-prefix and --email-domain must not be empty")
		return 2
	case c.SessionLifespan <= 0:
		fmt.Fprintln(stderr, "--session-lifespan must be positive")
		return 2
	case c.Writers < 1 || c.Writers > 64:
		fmt.Fprintln(stderr, "--writers must be between 1 and 64")
		return 2
	}
	c.Progress = stderr
	f, st, total, err := seedDSN(ctx, c, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "identityseed:", err)
		return 1
	}
	if err := benchid.WriteFixtures(c.fixtures, f); err != nil {
		fmt.Fprintln(stderr, "identityseed: writing the fixtures:", err)
		return 1
	}
	rate := func(n int, d time.Duration) float64 { return float64(n) / max(d.Seconds(), 1e-9) }
	fmt.Fprintf(stdout, "inserted %d identities in %.1f s (%.0f/s) and %d sessions in %.1f s (%.0f/s); the database now holds %d identities and %d sessions; fixtures in %s (password hash: %s)\n",
		c.Identities, st.Identities.Seconds(), rate(c.Identities, st.Identities), c.Sessions, st.Sessions.Seconds(),
		rate(c.Sessions, st.Sessions), total[0], total[1], c.fixtures, f.Hasher)
	return 0
}

// seedDSN opens the database, computes the one hash, seeds and counts the
// tables after.
func seedDSN(ctx context.Context, c config, log io.Writer) (*benchid.Fixtures, seed.Stats, [2]int64, error) {
	var total [2]int64
	db, err := sqldb.Open(ctx, c.dsn, sqldb.Options{MaxConns: c.Writers})
	if err != nil {
		return nil, seed.Stats{}, total, err
	}
	defer db.Close()
	pending, err := migrations.Pending(ctx, db)
	if err != nil {
		return nil, seed.Stats{}, total, fmt.Errorf("read migration status: %w", err)
	}
	if pending > 0 {
		return nil, seed.Stats{}, total, fmt.Errorf("the database has %d pending migrations: start the server on it once (or run warden migrate up)", pending)
	}
	t0 := time.Now()
	if c.Hash, c.HasherName, err = seed.Hash(ctx, c.hasher, c.bcryptCost, c.Password); err != nil {
		return nil, seed.Stats{}, total, err
	}
	fmt.Fprintf(log, "identityseed: password hash (%s) computed once in %.0f ms\n", c.HasherName, float64(time.Since(t0).Microseconds())/1000)
	f, st, err := seed.Seed(ctx, db, c.Config)
	if err != nil {
		return nil, st, total, err
	}
	for k, table := range []string{"identities", "sessions"} {
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM `+table).Scan(&total[k]); err != nil {
			return nil, st, total, fmt.Errorf("count %s: %w", table, err)
		}
	}
	return f, st, total, nil
}
