// Package blockbinding wraps a C call that blocks.
package blockbinding

/*
#include <unistd.h>
static void nap(void) { usleep(1000); }
*/
import "C"

// Wait blocks in C.
func Wait() { // want Wait:"blocksInC"
	C.nap()
}
