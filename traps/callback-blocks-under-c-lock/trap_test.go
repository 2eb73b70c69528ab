package callbackblocksunderclock

import (
	"testing"

	"github.com/cgoguard/cgoguard/traps/internal/trapt"
)

// TestSchedulerKeepsRunning refutes the seed's claim that a blocking exported
// Go function deadlocks the scheduler: 16 C threads block inside a Go
// callback, other goroutines keep running, and every callback returns.
func TestSchedulerKeepsRunning(t *testing.T) {
	r := trapt.Run(t, trapt.Build(t, "bad"), "-scheduler")
	if r.ExitCode != 0 {
		t.Fatalf("%v", r)
	}
	if r.Int(t, "callers") != 16 || r.Int(t, "callbacks_returned") != 16 {
		t.Errorf("want 16 callers, all returned\n%v", r)
	}
	if r.Int(t, "ticks_while_blocked") == 0 {
		t.Errorf("no Go progress while C threads were blocked in callbacks\n%v", r)
	}
	t.Logf("16 C threads blocked in Go callbacks; a Go goroutine counted %d ticks meanwhile", r.Int(t, "ticks_while_blocked"))
}

// TestLockOrderDeadlock shows the deadlock that does happen: the callback
// blocks while C holds a mutex that the unblocking Go code needs.
func TestLockOrderDeadlock(t *testing.T) {
	bad := trapt.Run(t, trapt.Build(t, "bad"))
	if bad.ExitCode != 3 || bad.Int(t, "deadlock") != 1 {
		t.Errorf("bad: want the watchdog to report a deadlock (exit 3)\n%v", bad)
	}
	good := trapt.Run(t, trapt.Build(t, "good"))
	if good.ExitCode != 0 || good.Int(t, "deadlock") != 0 {
		t.Errorf("good: want completion\n%v", good)
	}
}
