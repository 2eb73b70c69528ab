// Package user does not use cgo itself; it calls a binding that keeps pointers.
package user

import (
	"binding"
	"unsafe"
)

type state struct{ n int }

func Use() {
	s := &state{}
	binding.Register(unsafe.Pointer(s)) // want `binding.Register keeps this Go pointer .*Go: Register passes it to C.keep; C: stores p in global slot at binding.go:6`
	binding.Submit([]byte("data"))      // want `binding.Submit keeps this Go pointer`
	binding.Submit(binding.Buffer(8))
}

// Forward passes its parameter on: Forward's callers would be told.
func Forward(b []byte) { // want Forward:`keeps\[0\]`
	binding.Submit(b)
}

func UseForward() {
	Forward(make([]byte, 4)) // want `Forward keeps this Go pointer .*Go: Forward passes it to binding.Submit; Go: Submit passes it to C.keep`
}
