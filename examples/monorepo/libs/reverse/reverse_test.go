package reverse

import "testing"

func TestString(t *testing.T) {
	if got := String("Hello, World!"); got != "!dlroW ,olleH" {
		t.Fatalf("String() = %q", got)
	}
}
