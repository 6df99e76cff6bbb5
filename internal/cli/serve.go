package cli

import (
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/warden-iam/warden/internal/app"
	"github.com/warden-iam/warden/internal/gctune"
)

// The collector's settings when neither GOGC nor GOMEMLIMIT is set: GOGC=200
// and a heap goal of at least gcHeapFloor (internal/gctune).
const (
	defaultGCPercent = 200
	gcHeapFloor      = 128 << 20
)

func newServe() *cobra.Command {
	var (
		cf      configFlags
		dev     bool
		migrate bool
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Warden server (public and admin APIs)",
		Long: `Run the Warden server.

With no configuration it uses an embedded SQLite database in ./warden-data (or
$WARDEN_DATA_DIR), applies its migrations, generates secrets once and keeps them
in the database, and listens on 127.0.0.1:4433 (public) and 127.0.0.1:4434 (admin).

Configuration comes from YAML files (--config, merged in order), then environment
variables named after the key path (serve.public.port -> SERVE_PUBLIC_PORT,
permission.namespaces.location -> PERMISSION_NAMESPACES_LOCATION), then --set.
Every problem in it is reported at once and start-up stops.

On PostgreSQL, serve refuses a database whose schema is behind unless --migrate
is given (or run "warden migrate up" first). SIGTERM or Ctrl-C drains in-flight
requests, closes the database and exits 0.

Unless GOGC or GOMEMLIMIT is set, the garbage collector runs at GOGC=200 with a
heap goal of at least 128 MiB: the server's live heap is small, and collecting
rarely saves CPU on every request and keeps collections out of the latency
tail. Memory in use stays below max(128 MiB, 3 x the live heap).

When stderr is a file, pipe or terminal, log lines are gathered and written
out together, within 50 ms of being logged, rather than one write per
request; shutting down writes out what waits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := cf.load(dev)
			if err != nil {
				return err
			}
			logOut, flushLog := bufferedStderr(cmd.ErrOrStderr())
			defer flushLog()
			log := newLogger(cfg.Log, logOut)
			_, gogc := os.LookupEnv("GOGC")
			_, limit := os.LookupEnv("GOMEMLIMIT")
			if !gogc && !limit {
				defer gctune.Start(defaultGCPercent, gcHeapFloor).Stop()
			} else if !gogc {
				debug.SetGCPercent(defaultGCPercent)
			}
			a, err := app.New(cmd.Context(), app.Options{Config: cfg, Logger: log, Migrate: migrate, Out: cmd.OutOrStdout()})
			if err != nil {
				return err
			}
			if err := a.Listen(); err != nil {
				a.Close()
				return err
			}
			return a.Serve(cmd.Context())
		},
	}
	cf.register(cmd)
	cmd.Flags().BoolVar(&dev, "dev", false, "development mode: cookies without the Secure flag, so plain http://localhost works")
	cmd.Flags().BoolVar(&migrate, "migrate", false, "apply pending database migrations before serving (always done for SQLite)")
	return cmd
}
