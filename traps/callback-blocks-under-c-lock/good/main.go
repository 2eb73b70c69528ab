// Command good never blocks in a Go callback while C holds its lock: the
// callback only records that data is wanted, and the library calls the Go
// side again after it released the mutex.
package main

/*
#include <pthread.h>

extern void goNoteWanted(void);

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int data;

static void with_lock(void) {
	pthread_mutex_lock(&mu);
	goNoteWanted(); // returns at once
	pthread_mutex_unlock(&mu);
}

static void produce(int v) {
	pthread_mutex_lock(&mu);
	data = v;
	pthread_mutex_unlock(&mu);
}

static int get(void) {
	pthread_mutex_lock(&mu);
	int v = data;
	pthread_mutex_unlock(&mu);
	return v;
}
*/
import "C"

import (
	"fmt"
	"os"
	"time"
)

var wanted = make(chan struct{}, 1)

//export goNoteWanted
func goNoteWanted() {
	select {
	case wanted <- struct{}{}:
	default:
	}
}

func main() {
	done := make(chan struct{})
	go func() {
		C.with_lock()
		<-wanted // wait here, outside the C lock
		for C.get() != 42 {
			time.Sleep(time.Millisecond)
		}
		close(done)
	}()
	go func() {
		time.Sleep(50 * time.Millisecond)
		C.produce(42)
	}()
	select {
	case <-done:
		fmt.Println("deadlock=0")
	case <-time.After(2 * time.Second):
		fmt.Println("deadlock=1")
		os.Exit(3)
	}
}
