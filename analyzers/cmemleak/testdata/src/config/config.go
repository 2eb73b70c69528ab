package config

/*
// A library whose allocator cgoguard cannot see into: only the config knows
// that lib_make returns memory to be released with lib_release.
typedef struct lib_obj lib_obj;
lib_obj *lib_make(int n);
void lib_release(lib_obj *o);
int lib_size(lib_obj *o);
*/
import "C"

func leaks(n int) int {
	o := C.lib_make(C.int(n))
	return int(C.lib_size(o)) // want `this return may be reached without freeing o, allocated by C.lib_make`
}

func releases(n int) int {
	o := C.lib_make(C.int(n))
	defer C.lib_release(o)
	return int(C.lib_size(o))
}
