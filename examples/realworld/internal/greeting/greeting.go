// Package greeting formats what the server prints.
package greeting

import "fmt"

// Line describes the running binary and its base image.
func Line(goos, goarch string, uid int, base string) string {
	return fmt.Sprintf("realworld %s/%s uid=%d base=%q", goos, goarch, uid, base)
}
