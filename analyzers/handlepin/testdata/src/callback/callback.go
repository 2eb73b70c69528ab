package callback

/*
#include <stdint.h>
extern void goDone(uintptr_t ctx);
static inline void run(uintptr_t ctx) { goDone(ctx); }
*/
import "C"

import "runtime/cgo"

//export goDone
func goDone(ctx C.uintptr_t) {
	h := cgo.Handle(ctx)
	_ = h.Value()
	h.Delete() // the callback deletes the handle it was given
}

// start hands the handle over: goDone deletes it when C calls back.
func start(v any) {
	C.run(C.uintptr_t(cgo.NewHandle(v)))
}

func startBound(v any) {
	h := cgo.NewHandle(v)
	C.run(C.uintptr_t(h))
}
