// Command load is Warden's whole-server load harness. Run it with -h for the
// flags and the workload list; the logic lives in bench/load.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/warden-iam/warden/bench/load"
	"github.com/warden-iam/warden/bench/load/workloads"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := load.Main(ctx, os.Args[1:], workloads.Table(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
