package load

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"time"
)

// Hard bounds.
const (
	MaxConcurrency = 1024
	MaxDuration    = 10 * time.Minute
	maxRuns        = 100
	setupTimeout   = 2 * time.Minute
	maxH5Tokens    = 1_000_000
)

// Config is the parsed command line.
type Config struct {
	URLs        URLs
	Concurrency int
	Duration    time.Duration
	Requests    int64
	Warmup      time.Duration
	Rate        float64
	Timeout     time.Duration
	PID         int
	DBPID       int
	JSONPath    string
	Options     Options
	Binary      string
	Args        []string
	Runs        int
	Workloads   []Workload
}

const usageHead = `Usage: go run ./bench/cmd/load [flags] WORKLOAD...

Runs the named workloads against a running server and prints throughput and
latency next to a no-op baseline (GET /health/alive on --public) measured with
the same settings first. WORKLOAD is an id from the list below, or "all" for
every load workload (X1 is never included in "all"). Flags may come before or
after the workload ids. Every base URL must be on a loopback host.

Workloads:
`

func usage(fs *flag.FlagSet, table []Workload) func() {
	return func() {
		out := fs.Output()
		fmt.Fprint(out, usageHead)
		for _, w := range table {
			fmt.Fprintf(out, "  %-4s %s\n", w.ID, w.Description)
		}
		fmt.Fprint(out, "\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprint(out, `
Examples:
  go run ./bench/cmd/load --public http://127.0.0.1:4433 --admin http://127.0.0.1:4434 --pid $(pidof warden) all
  go run ./bench/cmd/load --public http://127.0.0.1:4433 --rate 5000 --duration 30s K1
  go run ./bench/cmd/load --public http://127.0.0.1:4433 --binary /tmp/warden --args serve --runs 5 X1
`)
	}
}

// ParseArgs parses the command line. Unknown workload ids, non-loopback URLs
// and malformed values are errors; concurrency and durations above the hard
// bounds are lowered to them with a note on warn.
func ParseArgs(args []string, table []Workload, warn io.Writer) (*Config, error) {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(warn)
	fs.Usage = usage(fs, table)

	var (
		cfg    Config
		public = fs.String("public", "", "public API base URL, e.g. http://127.0.0.1:4433 (required)")
		admin  = fs.String("admin", "", "admin API base URL, e.g. http://127.0.0.1:4434 (default: --public)")
		o2pub  = fs.String("oauth2-public", "", "OAuth2 public API base URL (default: --public)")
		o2adm  = fs.String("oauth2-admin", "", "OAuth2 admin API base URL (default: --admin)")
		pread  = fs.String("permission-read", "", "permission read API base URL (default: --public)")
		pwrite = fs.String("permission-write", "", "permission write API base URL (default: --admin)")
		proxy  = fs.String("proxy", "", "decision API base URL for O4 (default: --public)")
		argStr = fs.String("args", "", `X1: arguments for --binary, split like a shell would (quotes, no expansion); "{dir}" becomes the run's fresh directory (also its working directory and $WARDEN_DATA_DIR)`)
		list   = fs.Bool("list", false, "print the workload table with targets and exit")
	)
	fs.IntVar(&cfg.Concurrency, "concurrency", 16, fmt.Sprintf("concurrent workers (at most %d)", MaxConcurrency))
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "measured time per workload (at most 10m)")
	fs.Int64Var(&cfg.Requests, "requests", 0, "operations per workload; with --duration, whichever ends first")
	fs.DurationVar(&cfg.Warmup, "warmup", 2*time.Second, "unmeasured warm-up before each measured window")
	fs.Float64Var(&cfg.Rate, "rate", 0, "open loop: operations per second, latency measured from each operation's due time (0 = closed loop)")
	fs.DurationVar(&cfg.Timeout, "timeout", 30*time.Second, "per-request timeout")
	fs.IntVar(&cfg.PID, "pid", 0, "server PID: report its RSS and CPU seconds over each measured window (Linux /proc)")
	fs.IntVar(&cfg.DBPID, "db-pid", 0, "with --pid: a database server process (e.g. the PostgreSQL postmaster) whose CPU seconds, its child processes' included, are reported and added to the per-operation figures")
	fs.StringVar(&cfg.JSONPath, "json", "", "also write the results to this file as JSON")
	fs.StringVar(&cfg.Options.IdentitySchema, "identity-schema", "default", "schema_id of identities created by K1 and K4 (traits: {email})")
	fs.StringVar(&cfg.Options.Namespace, "namespace", "Video", "permission namespace for C1, C4 and C5")
	fs.StringVar(&cfg.Options.Relation, "relation", "owner", "relation written and checked by C1, C4 and C5")
	fs.StringVar(&cfg.Options.DecisionPath, "decision-path", "/bench", "O4: path requested under /decisions (a rule must match it)")
	fs.IntVar(&cfg.Options.SeedIdentities, "seed-identities", 250, "K4: create identities until the first page holds this many; K4i and K4g without --identity-fixtures: identities each creates to look up")
	fs.StringVar(&cfg.Options.IdentityFixtures, "identity-fixtures", "", "fixtures file of a seeded identity database (bench/cmd/identityseed): K1 presents its session tokens, K2 signs in as its identities, K4i and K4g look them up (default: they create a few through the API)")
	fs.StringVar(&cfg.Options.Fixtures, "fixtures", "", "permission dataset fixtures file (bench/cmd/dataset): C1, C2 and C3* check its ids (default: they create small fixtures through the API)")
	fs.IntVar(&cfg.Options.C5CheckEvery, "c5-check-every", 10, "C5: follow every K-th write of a worker with a check at its snaptoken that must be allowed (0 = never)")
	fs.IntVar(&cfg.Options.H5Tokens, "h5-tokens", 10000, fmt.Sprintf("H5: refresh tokens issued (by authorization code flows) before rotating them (at most %d)", maxH5Tokens))
	fs.StringVar(&cfg.Binary, "binary", "", "X1: server binary to start")
	fs.IntVar(&cfg.Runs, "runs", 5, "X1: number of cold starts")

	// Let flags and workload ids interleave: the flag package stops at the
	// first non-flag argument, so resume parsing after each id.
	var ids []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		ids = append(ids, rest[0])
		args = rest[1:]
	}
	if *list {
		return &Config{}, errList
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

	// Workloads.
	if len(ids) == 0 {
		bad("no workload given (try --list)")
	}
	seen := map[string]bool{}
	add := func(w Workload) {
		if !seen[w.ID] {
			seen[w.ID] = true
			cfg.Workloads = append(cfg.Workloads, w)
		}
	}
	for _, id := range ids {
		if strings.EqualFold(id, "all") {
			for _, w := range table {
				if !w.Startup {
					add(w)
				}
			}
			continue
		}
		w, ok := Lookup(table, id)
		if !ok {
			bad("unknown workload %q", id)
			continue
		}
		add(w)
	}

	// URLs.
	if *public == "" {
		bad("--public is required")
	}
	if *admin == "" {
		*admin = *public
	}
	pick := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	refused := map[string]bool{}
	for _, u := range []struct {
		name string
		raw  string
		dst  *string
	}{
		{"public", *public, &cfg.URLs.Public},
		{"admin", *admin, &cfg.URLs.Admin},
		{"oauth2-public", pick(*o2pub, *public), &cfg.URLs.OAuth2Public},
		{"oauth2-admin", pick(*o2adm, *admin), &cfg.URLs.OAuth2Admin},
		{"permission-read", pick(*pread, *public), &cfg.URLs.PermissionRead},
		{"permission-write", pick(*pwrite, *admin), &cfg.URLs.PermissionWrite},
		{"proxy", pick(*proxy, *public), &cfg.URLs.Proxy},
	} {
		if u.raw == "" || refused[u.raw] {
			continue // defaults repeat --public/--admin: report each bad URL once
		}
		v, err := CheckLoopbackURL(u.raw)
		if err != nil {
			refused[u.raw] = true
			bad("--%s: %v", u.name, err)
			continue
		}
		*u.dst = v
	}

	// Numbers and bounds.
	if cfg.Concurrency < 1 {
		bad("--concurrency must be at least 1")
	} else if cfg.Concurrency > MaxConcurrency {
		fmt.Fprintf(warn, "note: --concurrency %d lowered to %d\n", cfg.Concurrency, MaxConcurrency)
		cfg.Concurrency = MaxConcurrency
	}
	if set["requests"] && !set["duration"] {
		cfg.Duration = MaxDuration // only the request count ends the run
	}
	if cfg.Duration <= 0 {
		bad("--duration must be positive")
	} else if cfg.Duration > MaxDuration {
		fmt.Fprintf(warn, "note: --duration %s lowered to %s\n", cfg.Duration, MaxDuration)
		cfg.Duration = MaxDuration
	}
	if cfg.Warmup < 0 {
		bad("--warmup must not be negative")
	} else if cfg.Warmup > MaxDuration {
		fmt.Fprintf(warn, "note: --warmup %s lowered to %s\n", cfg.Warmup, MaxDuration)
		cfg.Warmup = MaxDuration
	}
	if cfg.Requests < 0 {
		bad("--requests must not be negative")
	}
	if cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0) {
		bad("--rate must be a positive number (or 0 for closed loop)")
	}
	if cfg.Timeout <= 0 {
		bad("--timeout must be positive")
	}
	if cfg.PID < 0 {
		bad("--pid must be positive")
	} else if cfg.PID > 0 {
		if _, err := ReadProc(cfg.PID); err != nil {
			bad("--pid %d: %v", cfg.PID, err)
		}
	}
	if cfg.DBPID < 0 {
		bad("--db-pid must be positive")
	} else if cfg.DBPID > 0 {
		if cfg.PID == 0 {
			bad("--db-pid needs --pid")
		}
		if _, err := ReadTree(cfg.DBPID); err != nil {
			bad("--db-pid %d: %v", cfg.DBPID, err)
		}
	}
	if cfg.Options.SeedIdentities < 0 {
		bad("--seed-identities must not be negative")
	}
	if cfg.Options.C5CheckEvery < 0 {
		bad("--c5-check-every must not be negative")
	}
	if cfg.Options.H5Tokens < 1 || cfg.Options.H5Tokens > maxH5Tokens {
		bad("--h5-tokens must be between 1 and %d", maxH5Tokens)
	}
	if f := cfg.Options.Fixtures; f != "" {
		if _, err := os.Stat(f); err != nil {
			bad("--fixtures: %v", err)
		}
	}
	if f := cfg.Options.IdentityFixtures; f != "" {
		if _, err := os.Stat(f); err != nil {
			bad("--identity-fixtures: %v", err)
		}
	}

	// X1.
	if seen["X1"] {
		if cfg.Binary == "" {
			bad("X1 needs --binary")
		}
		if cfg.Runs < 1 || cfg.Runs > maxRuns {
			bad("--runs must be between 1 and %d", maxRuns)
		}
		a, err := SplitArgs(*argStr)
		if err != nil {
			bad("--args: %v", err)
		}
		cfg.Args = a
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	return &cfg, nil
}

var errList = errors.New("list requested")

// PrintList writes the workload table with descriptions and targets.
func PrintList(out io.Writer, table []Workload) {
	for _, w := range table {
		fmt.Fprintf(out, "%-4s %s\n     target: %s\n", w.ID, w.Description, w.Target)
	}
}

// Main runs the harness with the given command-line arguments and returns the
// process exit code: 0 when every requested measurement ran (even if the server
// answered with errors), 1 when something could not be measured or written, 2
// on a usage error.
func Main(ctx context.Context, args []string, table []Workload, stdout, stderr io.Writer) int {
	cfg, err := ParseArgs(args, table, stderr)
	switch {
	case errors.Is(err, errList):
		PrintList(stdout, table)
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintln(stderr, err)
		fmt.Fprintln(stderr, "run with -h for usage")
		return 2
	}
	rep, code := Execute(ctx, cfg, stderr)
	rep.WriteTable(stdout)
	if cfg.JSONPath != "" {
		if err := rep.WriteJSON(cfg.JSONPath); err != nil {
			fmt.Fprintln(stderr, "writing JSON:", err)
			return 1
		}
	}
	return code
}

// Execute performs a parsed run: the baseline, each load workload, then X1.
// Progress goes to logw.
func Execute(ctx context.Context, cfg *Config, logw io.Writer) (*Report, int) {
	rep := &Report{
		StartedAt: time.Now().UTC(),
		Config: ReportConfig{
			URLs:        cfg.URLs,
			Concurrency: cfg.Concurrency,
			DurationS:   cfg.Duration.Seconds(),
			WarmupS:     cfg.Warmup.Seconds(),
			Requests:    cfg.Requests,
			Rate:        cfg.Rate,
			PID:         cfg.PID,
			DBPID:       cfg.DBPID,
			Options:     cfg.Options,
			GoVersion:   runtime.Version(),
			NumCPU:      runtime.NumCPU(),
			GOMAXPROCS:  runtime.GOMAXPROCS(0),
		},
	}
	code := 0
	client := NewClient(cfg.Concurrency, cfg.Timeout)
	defer client.CloseIdle()
	env := &Env{
		URLs:        cfg.URLs,
		Client:      client,
		Concurrency: cfg.Concurrency,
		Tag:         newTag(),
		Options:     cfg.Options,
		Log:         logw,
	}
	logf := func(format string, a ...any) { fmt.Fprintf(logw, format+"\n", a...) }

	var loads []Workload
	var startup *Workload
	for _, w := range cfg.Workloads {
		if w.Startup {
			startup = &w
		} else {
			loads = append(loads, w)
		}
	}

	if len(loads) > 0 {
		base := Workload{ID: "baseline", Description: "GET /health/alive on --public (no-op)"}
		op := Get(cfg.URLs.Public+"/health/alive", nil)
		rep.Baseline = measure(ctx, cfg, client, base, op, logf)
		if rep.Baseline.Ops > 0 {
			rep.Baseline.Ratio = 1
		} else {
			logf("warning: the baseline had no successful operation (first error: %s); ratios are not available", rep.Baseline.FirstError)
		}
	}
	for _, w := range loads {
		if ctx.Err() != nil {
			break
		}
		logf("%s: setup", w.ID)
		timeout := setupTimeout
		if w.SetupTimeout > 0 {
			timeout = w.SetupTimeout
		}
		env.check = nil
		sctx, cancel := context.WithTimeout(ctx, timeout)
		op, err := w.Setup(sctx, env)
		cancel()
		if err != nil {
			logf("%s: setup failed, skipping: %v", w.ID, err)
			rep.Workloads = append(rep.Workloads, &WorkloadReport{ID: w.ID, Description: w.Description, Target: w.Target, Skipped: true, SetupError: err.Error()})
			code = 1
			continue
		}
		r := measure(ctx, cfg, client, w, op, logf)
		if b := rep.Baseline; b != nil && b.OpsPerSec > 0 {
			r.Ratio = r.OpsPerSec / b.OpsPerSec
		}
		if check := env.check; check != nil && ctx.Err() == nil {
			logf("%s: checking", w.ID)
			cctx, cancel := context.WithTimeout(ctx, timeout)
			summary, err := check(cctx)
			cancel()
			r.Check = summary
			if err != nil {
				r.CheckError = err.Error()
				logf("%s: check failed: %v", w.ID, err)
				code = 1
			} else {
				logf("%s: check passed: %s", w.ID, summary)
			}
		}
		env.check = nil
		rep.Workloads = append(rep.Workloads, r)
	}
	if startup != nil && ctx.Err() == nil {
		logf("X1: starting %s %d times", cfg.Binary, cfg.Runs)
		rep.Startup = RunStartup(ctx, StartupConfig{
			Binary:       cfg.Binary,
			Args:         cfg.Args,
			Runs:         cfg.Runs,
			ReadyURL:     cfg.URLs.Public + "/health/ready",
			Poll:         2 * time.Millisecond,
			ReadyTimeout: time.Minute,
			Idle:         time.Second,
			StopTimeout:  10 * time.Second,
		})
		if rep.Startup.Error != "" || rep.Startup.CleanStops < len(rep.Startup.Runs) {
			code = 1
		}
	}
	if ctx.Err() != nil {
		logf("interrupted: results so far follow")
		code = 1
	}
	return rep, code
}

func measure(ctx context.Context, cfg *Config, client *Client, w Workload, op Op, logf func(string, ...any)) *WorkloadReport {
	rc := RunConfig{Concurrency: cfg.Concurrency, Duration: cfg.Duration, Requests: cfg.Requests, Rate: cfg.Rate}
	if cfg.Warmup > 0 {
		logf("%s: warm-up %s", w.ID, cfg.Warmup)
		Run(ctx, RunConfig{Concurrency: cfg.Concurrency, Duration: cfg.Warmup, Rate: cfg.Rate}, client, op)
	}
	logf("%s: measuring", w.ID)
	var before, after *ProcSample
	if cfg.PID > 0 {
		if s, err := ReadProc(cfg.PID); err == nil {
			before = &s
		} else {
			logf("%s: reading server stats: %v", w.ID, err)
		}
	}
	var dbBefore TreeSample
	if cfg.DBPID > 0 && before != nil {
		if t, err := ReadTree(cfg.DBPID); err == nil {
			dbBefore = t
		} else {
			logf("%s: reading database stats: %v", w.ID, err)
		}
	}
	st := Run(ctx, rc, client, op)
	if before != nil {
		if s, err := ReadProc(cfg.PID); err == nil {
			after = &s
		} else {
			logf("%s: reading server stats: %v", w.ID, err)
		}
	}
	r := NewWorkloadReport(w, st, before, after)
	if dbBefore != nil && r.Server != nil {
		if t, err := ReadTree(cfg.DBPID); err == nil {
			r.Server.AddDatabase(t.CPUSecondsSince(dbBefore), st.OK)
		} else {
			logf("%s: reading database stats: %v", w.ID, err)
		}
	}
	if r.Shed > 0 {
		logf("%s: %d ok, %d errors, %d shed, %.0f ops/s, p99 %.3f ms", w.ID, r.Ops, r.Errors, r.Shed, r.OpsPerSec, r.P99MS)
	} else {
		logf("%s: %d ok, %d errors, %.0f ops/s, p99 %.3f ms", w.ID, r.Ops, r.Errors, r.OpsPerSec, r.P99MS)
	}
	return r
}

func newTag() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x%s", time.Now().Unix(), hex.EncodeToString(b[:]))
}
