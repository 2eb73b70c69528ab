package leakypkg

import (
	"os"
	"testing"

	"github.com/cgoguard/cgoguard/tracker"
)

// LEAKYPKG=leak makes TestWork leak; otherwise it frees what it allocates.
func TestWork(t *testing.T) {
	if NoLeak("hello") != 5 {
		t.Fatal("strlen")
	}
	if os.Getenv("LEAKYPKG") == "leak" {
		Leak("leaked by TestWork")
	}
}

// TestVerify leaks inside a VerifyNone scope when LEAKYPKG=verify.
func TestVerify(t *testing.T) {
	tracker.VerifyNone(t)
	NoLeak("clean")
	if os.Getenv("LEAKYPKG") == "verify" {
		Leak("leaked under VerifyNone")
	}
}
