// Command oauth2seed fills the OAuth2 token table of a Warden database with
// expiring opaque access token rows, to measure the token endpoints with a
// large table (bench/README.md, "OAuth2"). Rows go in through the store's
// InsertTokens, many per statement. They look like real ones (random
// signatures and request ids, token data of realistic size) but stand for
// no token anyone holds: they only make the table and its indexes large.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/warden-iam/warden/internal/oauth2/provider"
	"github.com/warden-iam/warden/internal/storage/migrations"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
)

// Bounds.
const (
	maxTokens = 50_000_000
	maxBatch  = 3000 // 10 parameters a row: under SQLite's 32,766 and PostgreSQL's 65,535
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type config struct {
	dsn       string
	tokens    int
	batch     int
	writers   int
	dataBytes int
	ttl       time.Duration
	client    string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("oauth2seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.StringVar(&c.dsn, "dsn", "", "database of the server, as its dsn setting: sqlite:///ABS/PATH.db or postgres://... (required)")
	fs.IntVar(&c.tokens, "tokens", 1_000_000, fmt.Sprintf("rows to insert (at most %d)", maxTokens))
	fs.IntVar(&c.batch, "batch", 2000, fmt.Sprintf("rows per INSERT statement (at most %d)", maxBatch))
	fs.IntVar(&c.writers, "writers", 2, "statements in flight at once (SQLite serialises them anyway)")
	fs.IntVar(&c.dataBytes, "data-bytes", 512, "length of each row's token_data (a sealed client_credentials grant is about this long)")
	fs.DurationVar(&c.ttl, "ttl", 24*time.Hour, "rows expire this long after now")
	fs.StringVar(&c.client, "client-id", "bench-seed", "client_id and subject of the rows")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: go run ./bench/cmd/oauth2seed --dsn DSN [flags]

Inserts --tokens active opaque access token rows into oauth2_tokens of the
database at DSN, which must be migrated already (start the server once, or
run warden migrate up). Safe while the server runs.

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
	case c.tokens < 0 || c.tokens > maxTokens:
		fmt.Fprintf(stderr, "--tokens must be between 0 and %d\n", maxTokens)
		return 2
	case c.batch < 1 || c.batch > maxBatch:
		fmt.Fprintf(stderr, "--batch must be between 1 and %d\n", maxBatch)
		return 2
	case c.writers < 1 || c.writers > 16:
		fmt.Fprintln(stderr, "--writers must be between 1 and 16")
		return 2
	case c.dataBytes < 1 || c.dataBytes > 1<<16:
		fmt.Fprintln(stderr, "--data-bytes must be between 1 and 65536")
		return 2
	case c.ttl <= 0:
		fmt.Fprintln(stderr, "--ttl must be positive")
		return 2
	}
	n, el, total, err := seed(ctx, c, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "oauth2seed:", err)
		return 1
	}
	fmt.Fprintf(stdout, "inserted %d token rows in %.1f s (%.0f rows/s); oauth2_tokens now holds %d rows\n",
		n, el.Seconds(), float64(n)/max(el.Seconds(), 1e-9), total)
	return 0
}

// seed opens the database, inserts the rows and counts the table after.
func seed(ctx context.Context, c config, progress io.Writer) (n int64, el time.Duration, total int64, err error) {
	db, err := sqldb.Open(ctx, c.dsn, sqldb.Options{MaxConns: c.writers})
	if err != nil {
		return 0, 0, 0, err
	}
	defer db.Close()
	pending, err := migrations.Pending(ctx, db)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("read migration status: %w", err)
	}
	if pending > 0 {
		return 0, 0, 0, fmt.Errorf("the database has %d pending migrations: start the server on it once (or run warden migrate up)", pending)
	}
	if n, el, err = seedDB(ctx, db, c, progress); err != nil {
		return n, el, 0, err
	}
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM oauth2_tokens`).Scan(&total); err != nil {
		return n, el, 0, fmt.Errorf("count tokens: %w", err)
	}
	return n, el, total, nil
}

// seedDB inserts c.tokens rows into db, c.writers statements at a time.
func seedDB(ctx context.Context, db *sqldb.DB, c config, progress io.Writer) (int64, time.Duration, error) {
	store := sqlstore.New(db).OAuth2()

	start := time.Now()
	batches := (c.tokens + c.batch - 1) / c.batch
	var (
		next     atomic.Int64
		inserted atomic.Int64
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	step := int64(max(c.tokens/10, 1))
	for range c.writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs := make([]provider.TokenRecord, 0, c.batch)
			for ctx.Err() == nil {
				b := int(next.Add(1) - 1)
				if b >= batches {
					return
				}
				size := min(c.batch, c.tokens-b*c.batch)
				recs = recs[:0]
				now := time.Now().UTC().Truncate(time.Microsecond)
				for range size {
					recs = append(recs, row(c, now))
				}
				if err := store.InsertTokens(ctx, recs...); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				before := inserted.Load()
				after := inserted.Add(int64(size))
				if after/step != before/step && after < int64(c.tokens) {
					fmt.Fprintf(progress, "oauth2seed: %d rows\n", after)
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return inserted.Load(), time.Since(start), firstErr
	}
	return inserted.Load(), time.Since(start), ctx.Err()
}

var b64 = base64.RawURLEncoding

func randomText(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b64.EncodeToString(b)
}

// row is one active access token row: a 43-character signature hash and a
// 22-character request id as the server makes them, and data of the
// configured length.
func row(c config, now time.Time) provider.TokenRecord {
	data := randomText(c.dataBytes*3/4 + 3)[:c.dataBytes]
	return provider.TokenRecord{
		Signature:   randomText(32),
		Kind:        provider.TokenAccess,
		RequestID:   randomText(16),
		ClientID:    c.client,
		Subject:     c.client,
		Active:      true,
		Data:        data,
		RequestedAt: now,
		ExpiresAt:   now.Add(c.ttl),
	}
}
