package xgb

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

// XGBGetLastError is per OS thread: two threads fail one after the other,
// each reads its own message, not the latest one. This is why every method
// reads it with the thread locked since the failing call.
func TestLastErrorIsPerThread(t *testing.T) {
	// fail runs on a locked thread: fail with junk, report the thread's
	// message when asked, and keep the thread until released.
	fail := func(junk string, failed chan<- struct{}, ask <-chan struct{}, msg chan<- string, release <-chan struct{}) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if !failLoadRaw([]byte(junk)) {
			t.Error("loading junk succeeded")
		}
		close(failed)
		<-ask
		msg <- lastErrorRaw()
		<-release
	}
	release := make(chan struct{})
	defer close(release)
	failedA, askA, msgA := make(chan struct{}), make(chan struct{}), make(chan string)
	failedB, askB, msgB := make(chan struct{}), make(chan struct{}), make(chan string)
	go fail("abcde", failedA, askA, msgA, release)
	<-failedA
	go fail("abcdefghijk", failedB, askB, msgB, release) // a second locked goroutine: another thread
	<-failedB
	close(askA)
	close(askB)
	a, b := <-msgA, <-msgB
	// XGBoost reads the 136-byte header: "(5 vs. 136)" and "(11 vs. 136)".
	if !strings.Contains(a, "(5 vs. 136)") || !strings.Contains(b, "(11 vs. 136)") {
		t.Fatalf("thread A (failed first) reads %.120q\nthread B (failed last) reads %.120q", a, b)
	}
}

func TestErrorsAndDoubleClose(t *testing.T) {
	b, err := NewBooster()
	if err != nil {
		t.Fatal(err)
	}
	var xe *Error
	if err := b.LoadModel([]byte("{")); !errors.As(err, &xe) || xe.Op != "XGBoosterLoadModelFromBuffer" || strings.Contains(xe.Msg, "Stack trace") {
		t.Fatalf("LoadModel junk: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil { // cleared handle: nothing freed twice
		t.Fatal(err)
	}
	if _, err := b.NumFeatures(); !errors.Is(err, ErrClosed) {
		t.Fatalf("use after Close: %v", err)
	}
	if _, err := NewDMatrix([]float32{1, 2, 3}, 2, 2, 1); err == nil {
		t.Fatal("NewDMatrix with a wrong length succeeded")
	}
}
