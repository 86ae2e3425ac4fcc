// Command server prints its platform, the user it runs as and the base image's release file.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"example.com/realworld/internal/greeting"
)

func main() {
	base, err := os.ReadFile("/etc/base-release")
	if err != nil {
		base = []byte("none")
	}
	fmt.Println(greeting.Line(runtime.GOOS, runtime.GOARCH, os.Getuid(), strings.TrimSpace(string(base))))
}
