// Package cheap measures the C heap of the current process, so that the trap
// gallery can show a leak as a number rather than assert one by assumption.
package cheap

/*
#include <malloc.h>

static size_t cheap_inuse(void) {
	struct mallinfo2 mi = mallinfo2();
	// uordblks: bytes in use from the main arena and thread arenas;
	// hblkhd: bytes in blocks that glibc served with mmap.
	return mi.uordblks + mi.hblkhd;
}
*/
import "C"

// InUse returns the bytes of C heap currently allocated by glibc's malloc
// (mallinfo2: uordblks + hblkhd). It counts every thread's arena.
func InUse() int64 { return int64(C.cheap_inuse()) }
