// Command vault is HashiCorp Vault's own CLI and server, built from the released module for the end-to-end tests
// (see build.sh): the same entry point as Vault's main.go.
package main

import (
	"os"

	"github.com/hashicorp/vault/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}
