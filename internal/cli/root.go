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
	"strings"
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
		newRelationTuples(), newCheck(), newExpand(), newNamespaces(),
		newClients(), newKeys(), newToken(), newIdentities())
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

// nArgs accepts min to max arguments (max < 0: no limit) and otherwise
// answers with the command's usage line.
func nArgs(min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || (max >= 0 && len(args) > max) {
			return fmt.Errorf("wrong number of arguments (%d); usage: %s", len(args), cmd.UseLine())
		}
		return nil
	}
}

// forEach calls fn for each id. With several ids a failure is reported on
// stderr and the others still run; the returned error sums them up. With one
// id its error is returned as is.
func forEach(cmd *cobra.Command, ids []string, what string, fn func(id string) error) error {
	var failed []string
	var last error
	for _, id := range ids {
		if err := fn(id); err != nil {
			failed, last = append(failed, id), err
			if len(ids) > 1 {
				fmt.Fprintf(cmd.ErrOrStderr(), "warden: %s %s: %v\n", what, id, err)
			}
		}
	}
	switch {
	case len(failed) == 0:
		return nil
	case len(ids) == 1:
		return last
	}
	return fmt.Errorf("%d of %d %ss failed: %s", len(failed), len(ids), what, strings.Join(failed, ", "))
}
