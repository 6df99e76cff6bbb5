// Package cli is Warden's command line: one file per command group. Commands
// that change a running server's data talk to its admin API; commands that
// manage the server itself (serve, migrate) build it from configuration.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/warden-iam/warden/internal/config"
)

// Main runs the command line and returns the process exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
}

// Run executes the command line with the given arguments and streams.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := NewRoot(stdout, stderr)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		var p config.Problems
		if errors.As(err, &p) {
			fmt.Fprintf(stderr, "warden: %s\n", p.Error())
		} else {
			fmt.Fprintf(stderr, "warden: %v\n", err)
		}
		return 1
	}
	return 0
}

// NewRoot builds the command tree.
func NewRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "warden",
		Short: "Warden: identity, OAuth2/OpenID Connect, permissions and access proxy in one server",
		Long: `Warden is an identity and access platform in one binary: self-service identity
(sign-up, sign-in, sessions, recovery), an OAuth 2.0 and OpenID Connect provider,
Zanzibar-style permissions and an access proxy, speaking Ory's public APIs.

Start it with no configuration at all:

  warden serve

It keeps its data in ./warden-data (or $WARDEN_DATA_DIR) and listens on
127.0.0.1:4433 (public API) and 127.0.0.1:4434 (admin API).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newServe(), newMigrate(), newVersion(), newConfigCmd(),
		newRelationTuples(), newCheck(), newExpand(), newNamespaces())
	return root
}

// configFlags are the flags every command that reads configuration shares.
type configFlags struct {
	files []string
	sets  []string
	dsn   string
}

func (f *configFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVarP(&f.files, "config", "c", nil,
		"configuration file (YAML or JSON); repeat to merge several, later files win")
	cmd.Flags().StringArrayVar(&f.sets, "set", nil,
		"override one key, e.g. --set serve.public.port=8080 (wins over files and environment)")
	cmd.Flags().StringVar(&f.dsn, "dsn", "", "database to use, e.g. sqlite://./warden.db or postgres://user:pass@host/db (same as --set dsn=...)")
}

func (f *configFlags) load(dev bool) (*config.Config, error) {
	sets := f.sets
	if f.dsn != "" {
		sets = append([]string{"dsn=" + f.dsn}, sets...)
	}
	return config.Load(config.Sources{Files: f.files, Sets: sets, Dev: dev})
}
