package a

/*
#cgo CFLAGS: -I${SRCDIR}/../libinc
#include "libmsg.h"

// own_msg is this package's own wire format: len is whatever the peer sent.
struct own_msg {
	unsigned len;
	char body[16];
};
*/
import "C"

// A length the library keeps consistent with its own array: trusted, as any
// pointer and length a library returns (git2go's git_diff_hunk.header_len).
func libraryBody(m *C.struct_lib_msg) string {
	return C.GoStringN(&m.body[0], C.int(m.len))
}

// The package decodes the message itself: the Heartbleed shape still reports.
func ownBody(m *C.struct_own_msg) string {
	return C.GoStringN(&m.body[0], C.int(m.len)) // want `C.GoStringN copies m.len bytes out of a 16-byte array`
}
