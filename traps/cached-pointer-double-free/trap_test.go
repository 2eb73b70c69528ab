package cachedpointerdoublefree

import (
	"strings"
	"testing"

	"github.com/cgoguard/cgoguard/traps/internal/trapt"
)

// TestAbortOnLargeBuffers: two concurrent set_buffer calls free the same
// 4 KiB block; glibc's arena checks catch the second free and abort. The Go
// runtime reports the SIGABRT "during cgo execution" and exits with status 2.
func TestAbortOnLargeBuffers(t *testing.T) {
	bad := trapt.Run(t, trapt.Build(t, "bad"), "-size", "4096")
	if bad.ExitCode != 2 || !strings.Contains(bad.Stderr, "double free or corruption") ||
		!strings.Contains(bad.Stderr, "SIGABRT") {
		t.Fatalf("bad: want glibc's double-free abort, got %v", bad)
	}
	if _, ok := bad.Value("survived"); ok {
		t.Errorf("bad: survived the double free")
	}
	good := trapt.Run(t, trapt.Build(t, "good"), "-size", "4096", "-rounds", "200")
	checkGood(t, good)
}

// TestSilentOnSmallBuffers: with 64-byte buffers each thread's free goes to
// its own tcache, whose double-free check only looks at that thread's list,
// so nothing aborts. Each thread's next malloc then returns the same block:
// two owners of one buffer.
func TestSilentOnSmallBuffers(t *testing.T) {
	bad := trapt.Run(t, trapt.Build(t, "bad"), "-size", "64")
	if bad.ExitCode != 0 {
		t.Fatalf("bad: %v", bad)
	}
	if bad.Int(t, "window_timeouts") != 0 {
		t.Fatalf("bad: the two calls did not overlap\n%v", bad)
	}
	if v, _ := bad.Value("same_block_twice"); v != "true" {
		t.Errorf("bad: want the doubly freed block handed out to both threads, got %v", bad)
	}
	good := trapt.Run(t, trapt.Build(t, "good"), "-size", "64", "-rounds", "200")
	checkGood(t, good)
}

func checkGood(t *testing.T, good *trapt.Result) {
	t.Helper()
	if good.ExitCode != 0 {
		t.Fatalf("good: %v", good)
	}
	// Every round overlapped in the same window as bad, and no block was shared.
	if good.Int(t, "rounds") != 200 || good.Int(t, "window_timeouts") != 0 {
		t.Errorf("good: rounds did not all overlap\n%v", good)
	}
	if v, _ := good.Value("same_block_twice"); v != "false" {
		t.Errorf("good: a block was handed out twice\n%v", good)
	}
}
