// Command warden runs the Warden identity and access server.
package main

import (
	"os"

	"github.com/warden-iam/warden/internal/cli"
)

func main() { os.Exit(cli.Main()) }
