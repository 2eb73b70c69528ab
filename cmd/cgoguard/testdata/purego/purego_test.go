package purego

import (
	"os"
	"testing"
)

// TestDouble fails when PUREGO=fail, to show that an untracked test
// binary's failure still fails cgoguard test.
func TestDouble(t *testing.T) {
	want := 4
	if os.Getenv("PUREGO") == "fail" {
		want = 5
	}
	if got := Double(2); got != want {
		t.Fatalf("Double(2) = %d, want %d", got, want)
	}
}
