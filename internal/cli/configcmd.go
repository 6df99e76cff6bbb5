package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/warden-iam/warden/internal/config"
)

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check configuration files and show the configuration schema",
	}
	validate := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check configuration files (merged in order, with the environment) and report every problem",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			if _, err := config.Load(config.Sources{Files: files}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "The configuration is valid.\n")
			return nil
		},
	}
	schema := &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of Warden's configuration",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := config.Schema()
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	env := &cobra.Command{
		Use:   "env",
		Short: "List the environment variables Warden reads",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			for _, n := range config.EnvKeys() {
				fmt.Fprintln(cmd.OutOrStdout(), n)
			}
		},
	}
	cmd.AddCommand(validate, schema, env)
	return cmd
}
