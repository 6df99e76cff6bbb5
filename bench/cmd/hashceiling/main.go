// Command hashceiling measures the raw cost of the password hash a sign-in
// pays: Compare of the server's hasher (internal/authn/password, production
// defaults) against one stored hash, in a loop, on GOMAXPROCS goroutines. It
// prints the comparisons per CPU-second of its own process, the figure a
// sign-in benchmark (K2) is held against. Run it pinned the way the server
// runs (bench/identity/run.sh does, before and after K2), so that both
// figures come from the same cores at the same time.
//
//	hashceiling [--algorithm argon2|bcrypt] [--bcrypt-cost 12] [--duration 5s] [--json]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/warden-iam/warden/internal/authn/password"
)

type result struct {
	Algorithm    string  `json:"algorithm"`
	Hash         string  `json:"hash"`
	Goroutines   int     `json:"goroutines"`
	Comparisons  int64   `json:"comparisons"`
	Seconds      float64 `json:"seconds"`
	CPUSeconds   float64 `json:"cpu_seconds"`
	PerCPUSecond float64 `json:"per_cpu_second"`
	MsPerCompare float64 `json:"cpu_ms_per_compare"`
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "hashceiling:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("hashceiling", flag.ContinueOnError)
	algorithm := fs.String("algorithm", password.AlgorithmArgon2, "argon2 or bcrypt (the server's identity.hashers.algorithm)")
	cost := fs.Int("bcrypt-cost", 12, "bcrypt cost (with --algorithm bcrypt)")
	duration := fs.Duration("duration", 5*time.Second, "how long to compare")
	asJSON := fs.Bool("json", false, "print one JSON object instead of a line of text")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *duration <= 0 || *duration > 10*time.Minute {
		return fmt.Errorf("--duration must be between 0 and 10m")
	}
	cfg := password.Config{Algorithm: *algorithm, MaxWait: -1}
	if *algorithm == password.AlgorithmBcrypt {
		cfg.Bcrypt.Cost = *cost
	}
	h, err := password.NewHasher(cfg)
	if err != nil {
		return err
	}
	ctx := context.Background()
	secret := []byte("seeded-Passw0rd-for-bench")
	stored, err := h.Hash(ctx, secret)
	if err != nil {
		return err
	}
	// One comparison before the clock starts, as a warm-up.
	if ok, err := h.Compare(ctx, secret, stored); err != nil || !ok {
		return fmt.Errorf("the stored hash does not verify (%v)", err)
	}

	n := runtime.GOMAXPROCS(0)
	var done atomic.Int64
	var failed atomic.Value
	cpu0 := cpuTime()
	start := time.Now()
	deadline := start.Add(*duration)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				ok, err := h.Compare(ctx, secret, stored)
				if err != nil || !ok {
					failed.Store(fmt.Errorf("compare: ok=%v, %v", ok, err))
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return err
	}
	r := result{
		Algorithm:   *algorithm,
		Hash:        hashParams(stored),
		Goroutines:  n,
		Comparisons: done.Load(),
		Seconds:     time.Since(start).Seconds(),
		CPUSeconds:  (cpuTime() - cpu0).Seconds(),
	}
	if r.CPUSeconds > 0 && r.Comparisons > 0 {
		r.PerCPUSecond = float64(r.Comparisons) / r.CPUSeconds
		r.MsPerCompare = 1000 * r.CPUSeconds / float64(r.Comparisons)
	}
	if *asJSON {
		return json.NewEncoder(out).Encode(r)
	}
	_, err = fmt.Fprintf(out, "hash ceiling (%s): %d comparisons in %.1f s on %d goroutines, %.2f CPU-s: %.1f per CPU-second (%.1f ms each)\n",
		r.Hash, r.Comparisons, r.Seconds, r.Goroutines, r.CPUSeconds, r.PerCPUSecond, r.MsPerCompare)
	return err
}

// hashParams is the stored hash without its salt and digest: "argon2id
// m=19456 t=2 p=1" or "bcrypt cost 12".
func hashParams(stored string) string {
	var m, t, p, cost int
	if _, err := fmt.Sscanf(stored, "$argon2id$v=19$m=%d,t=%d,p=%d$", &m, &t, &p); err == nil {
		return fmt.Sprintf("argon2id m=%d t=%d p=%d", m, t, p)
	}
	if len(stored) > 4 && stored[0] == '$' && stored[1] == '2' {
		if _, err := fmt.Sscanf(stored[4:], "%d$", &cost); err == nil {
			return fmt.Sprintf("bcrypt cost %d", cost)
		}
	}
	return "unknown"
}

// cpuTime is the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
