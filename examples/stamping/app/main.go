// Prints the values the linker set through x_defs.
package main

import "fmt"

var (
	version = "dev"
	commit  = "none"
	name    = "unset"
	flavor  = "unknown"
)

func main() {
	fmt.Printf("version=%s commit=%s name=%s flavor=%s\n", version, commit, name, flavor)
}
