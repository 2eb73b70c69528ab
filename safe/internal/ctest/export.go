package ctest

// This file holds the //export: with one, the preamble may only declare.

/*
#include <stdint.h>
*/
import "C"

//export ctestGoCallback
func ctestGoCallback(h C.uintptr_t) {
	if Callback != nil {
		Callback(uintptr(h))
	}
}
