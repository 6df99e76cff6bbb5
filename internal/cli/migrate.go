package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-iam/warden/internal/config"
	"github.com/warden-iam/warden/internal/storage/migrations"
	"github.com/warden-iam/warden/internal/storage/sqldb"
)

func newMigrate() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Show or apply database schema migrations",
		Long: `Show or apply database schema migrations.

Migrations are forward-only, embedded in the binary and checksummed: a migration
file changed after it was applied, or a database newer than this binary, is
reported and nothing is changed.`,
	}
	var cf configFlags
	up := &cobra.Command{
		Use:   "up",
		Short: "Apply every pending migration, showing progress",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDB(cmd.Context(), &cf, func(ctx context.Context, db *sqldb.DB) error {
				out := cmd.OutOrStdout()
				start := time.Now()
				n, err := migrations.Up(ctx, db, func(m migrations.Migration, i, total int) {
					fmt.Fprintf(out, "[%d/%d] applying %04d_%s\n", i, total, m.Version, m.Name)
				})
				if err != nil {
					return err
				}
				if n == 0 {
					fmt.Fprintln(out, "The database is up to date.")
				} else {
					fmt.Fprintf(out, "Applied %d migration(s) in %s.\n", n, time.Since(start).Round(time.Millisecond))
				}
				return nil
			})
		},
	}
	status := &cobra.Command{
		Use:   "status",
		Short: "List migrations and whether each is applied",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDB(cmd.Context(), &cf, func(ctx context.Context, db *sqldb.DB) error {
				list, err := migrations.Status(ctx, db)
				if err != nil {
					return err
				}
				printStatus(cmd.OutOrStdout(), list)
				return nil
			})
		},
	}
	cf.register(up)
	cf.register(status)
	cmd.AddCommand(up, status)
	return cmd
}

func withDB(ctx context.Context, cf *configFlags, fn func(context.Context, *sqldb.DB) error) error {
	cfg, err := cf.load(false)
	if err != nil {
		return err
	}
	return openAndRun(ctx, cfg, fn)
}

func openAndRun(ctx context.Context, cfg *config.Config, fn func(context.Context, *sqldb.DB) error) error {
	db, err := sqldb.Open(ctx, cfg.DSN, sqldb.Options{})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	return fn(ctx, db)
}

func printStatus(w io.Writer, list []migrations.Migration) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tNAME\tSTATE\tAPPLIED AT")
	pending := 0
	for _, m := range list {
		state, at := "pending", "-"
		if m.Applied {
			state, at = "applied", m.AppliedAt.UTC().Format(time.RFC3339)
		} else {
			pending++
		}
		fmt.Fprintf(tw, "%04d\t%s\t%s\t%s\n", m.Version, m.Name, state, at)
	}
	tw.Flush()
	if pending > 0 {
		fmt.Fprintf(w, "%d pending: run `warden migrate up`.\n", pending)
	}
}
