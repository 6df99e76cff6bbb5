// Command dataset generates the permission load-test dataset (1 M relation
// tuples at scale 1, model in bench/permission/namespaces.ts), loads it into a
// running server through PATCH /admin/relation-tuples and writes the fixtures
// file the C1..C3 workloads read (bench/cmd/load --fixtures).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/warden-iam/warden/bench/load"
	"github.com/warden-iam/warden/bench/permission"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dataset", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		writeURL = fs.String("write-url", "", "permission write API base URL, e.g. http://127.0.0.1:4434 (required unless --dry-run)")
		scale    = fs.Float64("scale", 1.0, "dataset scale: 1.0 = 1M tuples, 10k users, 1k groups, 100k documents; 0.01 for tests")
		seed     = fs.Uint64("seed", 1, "random seed; the same scale and seed give the same dataset")
		writers  = fs.Int("writers", 4, "transactions in flight at once")
		batch    = fs.Int("batch", permission.MaxBatch, fmt.Sprintf("inserts per transaction (at most %d)", permission.MaxBatch))
		fixtures = fs.String("fixtures", "permission-fixtures.json", "write the fixtures (ids the workloads check) to this file")
		timeout  = fs.Duration("timeout", time.Minute, "per-request timeout")
		dryRun   = fs.Bool("dry-run", false, "generate and write the fixtures file, send nothing")
	)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: go run ./bench/cmd/dataset --write-url URL [flags]

Generates the permission dataset deterministically, loads it through
PATCH /admin/relation-tuples (one transaction per --batch inserts,
--writers at once) and writes the fixtures file for
go run ./bench/cmd/load --fixtures FILE. The server needs the namespaces of
bench/permission/namespaces.ts and a max read depth of at least 18
(bench/permission/warden.yaml). The URL must be on a loopback host.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *writeURL == "" && !*dryRun {
		fmt.Fprintln(stderr, "--write-url is required (or --dry-run)")
		return 2
	}
	if *writers < 1 || *writers > 64 {
		fmt.Fprintln(stderr, "--writers must be between 1 and 64")
		return 2
	}
	if *batch < 1 || *batch > permission.MaxBatch {
		fmt.Fprintf(stderr, "--batch must be between 1 and %d\n", permission.MaxBatch)
		return 2
	}
	base := ""
	if !*dryRun {
		u, err := load.CheckLoopbackURL(*writeURL)
		if err != nil {
			fmt.Fprintf(stderr, "--write-url: %v\n", err)
			return 2
		}
		base = u
	}

	t0 := time.Now()
	ds, err := permission.Generate(permission.Config{Scale: *scale, Seed: *seed})
	if err != nil {
		fmt.Fprintf(stderr, "--scale: %v\n", err)
		return 2
	}
	c := ds.Fixtures.Counts
	fmt.Fprintf(stdout, "dataset: scale %g, seed %d: %d tuples (%d users, %d groups, %d folders, %d documents), generated in %s\n",
		*scale, *seed, len(ds.Tuples), c.Users, c.Groups, c.Folders, c.Documents, time.Since(t0).Round(time.Millisecond))
	for _, k := range permission.Breakdown(ds.Tuples) {
		fmt.Fprintf(stdout, "  %-32s %9d\n", k.Kind, k.Count)
	}

	if !*dryRun {
		fmt.Fprintf(stdout, "loading into %s: %d writers, %d inserts per transaction\n", base, *writers, *batch)
		client := load.NewClient(*writers, *timeout)
		defer client.CloseIdle()
		res, err := permission.Load(ctx, ds.Tuples, permission.LoadConfig{
			URL: base, Writers: *writers, Batch: *batch, Client: client.HTTP,
			Progress: stdout, Every: 5 * time.Second, Attempts: 4,
		})
		if err != nil {
			fmt.Fprintf(stderr, "load failed after %d tuples in %s: %v\n", res.Tuples, res.Elapsed.Round(time.Millisecond), err)
			return 1
		}
		fmt.Fprintf(stdout, "loaded %d tuples in %s: %.0f tuples/s (%d transactions, %d retries)\n",
			res.Tuples, res.Elapsed.Round(time.Millisecond), res.TuplesPerSecond(), res.Transactions, res.Retries)
	}
	if err := permission.WriteFixtures(*fixtures, &ds.Fixtures); err != nil {
		fmt.Fprintf(stderr, "writing fixtures: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "fixtures: %s (chain user %s, wide documents %s and %s, %d owner pairs)\n", *fixtures,
		ds.Fixtures.Chain.User, ds.Fixtures.Wide[0].Document, ds.Fixtures.Wide[1].Document, len(ds.Fixtures.Owners))
	return 0
}
