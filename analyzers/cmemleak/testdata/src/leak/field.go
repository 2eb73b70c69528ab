package leak

/*
#include <stdlib.h>

struct hdr { int kind; };
struct wrapped { struct hdr parent; char *name; };

static int hdr_kind(struct hdr *h) { return h->kind; }
*/
import "C"

import "unsafe"

type wrapper struct{ h *C.struct_hdr }

// The block is handed over through the address of its first field, the
// header C code knows it by (git2go's NewCredentialSSHKeyFromSigner).
func handOverByField() *wrapper {
	p := (*C.struct_wrapped)(C.calloc(1, C.size_t(unsafe.Sizeof(C.struct_wrapped{}))))
	w := &wrapper{}
	w.h = &p.parent
	return w
}

// Reading through the field's address hands nothing over.
func fieldAddressOnlyRead() int {
	p := (*C.struct_wrapped)(C.calloc(1, C.size_t(unsafe.Sizeof(C.struct_wrapped{}))))
	return int(C.hdr_kind(&p.parent)) // want `this return may be reached without freeing p`
}
