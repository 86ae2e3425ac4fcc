package main

import (
	"fmt"
	"runtime"

	"example.com/monorepo/libs/reverse"
	"github.com/google/uuid"
)

func main() {
	msg := "Hello, World!"
	fmt.Printf("%s(%s)\n", msg, uuid.NewString())
	fmt.Printf("Reversed: %s\n", reverse.String(msg))
	fmt.Printf("OsName: %s\n", runtime.GOOS)
}
