// Command vault is the oldest HashiCorp Vault release the generated plugins support (see the README), built the same
// way as the newest one in the folder above: `bash test/e2e/server/build.sh oldest`.
package main

import (
	"os"

	"github.com/hashicorp/vault/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}
